//! The three plan renderers on one fixed plan (snapshots, `cargo insta review` to accept a change), the
//! Markdown size budget, and escaping of text that comes from files or AWS.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pz_apply::live::{CreateCampaignRequest, ResourceStatus, ServingConfig, UpdateCampaignRequest};
use pz_apply::plan::{Action, FieldChange, Observed, Plan, ResourcePlan, TagChanges, WriteRequest};
use pz_apply::render::{json, markdown, text};
use pz_apply::yaml::Position;
use serde_json::json as value;

/// The file's campaign, as loading it gives it.
fn spec(name: &str) -> pz_apply::spec::ResourceSpec {
    let source = format!(
        "name: {name}\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n"
    );
    let (mut campaigns, diagnostics) = pz_apply::load::check_source(std::path::Path::new("c.yaml"), &source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    campaigns.remove(0).spec
}

fn campaign(name: &str, action: Action) -> ResourcePlan {
    ResourcePlan {
        name: name.to_string(),
        arn: format!("arn:aws:personalize:us-east-1:111122223333:campaign/{name}"),
        file: PathBuf::from(format!("campaigns/{name}.yaml")),
        position: Position { line: 3, column: 1, len: 0 },
        version_position: Position { line: 4, column: 21, len: 0 },
        action,
        changes: Vec::new(),
        request: None,
        tags: TagChanges::default(),
        notes: Vec::new(),
        blocked_reason: None,
        in_flight: None,
        live_document: None,
        desired_document: value!({ "solutionVersionArn": "arn:aws:personalize:us-east-1:111122223333:solution/s/v1" }),
        observed: Observed::default(),
        desired_spec: spec(name),
        versions: None,
    }
}

fn fixture() -> Plan {
    let mut update = campaign("home-recs", Action::Update);
    update.changes = vec![
        FieldChange { path: "minProvisionedTPS".into(), before: Some(value!(2)), after: Some(value!(5)) },
        FieldChange { path: "tags.owner".into(), before: Some(value!("ml")), after: None },
    ];
    update.notes = vec!["minProvisionedTPS 2 -> 5 raises the billing floor from 2 to 5 TPS".into()];
    update.tags = TagChanges { set: BTreeMap::new(), remove: vec!["owner".into()] };
    update.live_document = Some(value!({
        "solutionVersionArn": "arn:aws:personalize:us-east-1:111122223333:solution/s/v1",
        "minProvisionedTPS": 2,
        "tags": { "owner": "ml" }
    }));
    update.desired_document = value!({
        "solutionVersionArn": "arn:aws:personalize:us-east-1:111122223333:solution/s/v1",
        "minProvisionedTPS": 5,
        "tags": {}
    });
    update.request = Some(WriteRequest::UpdateCampaign(UpdateCampaignRequest {
        campaign_arn: update.arn.clone(),
        solution_version_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s/v1".into(),
        min_provisioned_tps: 5,
        config: ServingConfig {
            enable_metadata_with_recommendations: Some(false),
            sync_with_latest_solution_version: Some(false),
            ..ServingConfig::default()
        },
    }));

    let mut create = campaign("web", Action::Create);
    create.changes = vec![FieldChange {
        path: "solutionVersionArn".into(),
        before: None,
        after: Some(value!("arn:aws:personalize:us-east-1:111122223333:solution/s/v1")),
    }];
    create.request = Some(WriteRequest::CreateCampaign(CreateCampaignRequest {
        name: "web".into(),
        solution_version_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s/v1".into(),
        min_provisioned_tps: None,
        config: None,
        tags: BTreeMap::from([("team".into(), "web".into())]),
    }));

    let mut wait = campaign("orders", Action::Wait);
    wait.in_flight = Some(ResourceStatus::CreateInProgress);
    wait.notes =
        vec!["a change with these values is in flight (CREATE IN_PROGRESS); apply only waits for it".into()];

    let mut blocked = campaign("legacy", Action::Blocked);
    blocked.blocked_reason =
        Some("the campaign is being deleted (DELETE PENDING); apply again once it is gone".into());

    Plan { campaigns: vec![update, create, wait, blocked, campaign("search", Action::NoOp)] }
}

fn text_output(plan: &Plan, options: text::TextOptions) -> String {
    let mut out = Vec::new();
    text::write_plan(&mut out, plan, options).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(text_output(&fixture(), text::TextOptions::default()));
}

#[test]
fn text_lists_unchanged_campaigns_only_when_verbose_and_colours_only_when_asked() {
    let quiet = text_output(&fixture(), text::TextOptions::default());
    assert!(!quiet.contains("search") && !quiet.contains('\x1b'));
    let verbose = text_output(&fixture(), text::TextOptions { color: true, verbose: true });
    assert!(verbose.contains("search") && verbose.contains("\x1b[33m~\x1b[0m"));
    let converged = Plan { campaigns: vec![campaign("a", Action::NoOp), campaign("b", Action::NoOp)] };
    assert_eq!(
        text_output(&converged, text::TextOptions::default()),
        "No changes: 2 campaigns match their files.\n"
    );
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(markdown::render(&fixture()));
}

#[test]
fn json_snapshot() {
    insta::assert_json_snapshot!(json::plan_document(&fixture(), false));
}

#[test]
fn json_with_fingerprints_for_saved_plans() {
    let document = json::plan_document(&fixture(), true);
    // What was observed is nothing (the campaign does not exist): its fingerprint is that of `null`.
    assert_eq!(
        document["campaigns"][0]["fingerprint"],
        pz_apply::plan::fingerprint(&serde_json::Value::Null)
    );
    assert_eq!(document["campaigns"][0]["observed"], serde_json::Value::Null);
    assert_eq!(json::plan_document(&fixture(), false)["campaigns"][0].get("fingerprint"), None);
}

#[test]
fn markdown_stays_within_budget_with_a_thousand_changed_campaigns() {
    let template = fixture().campaigns[0].clone();
    let campaigns = (0..1000)
        .map(|index| {
            let mut campaign = template.clone();
            campaign.name = format!("campaign-{index:04}");
            campaign
        })
        .collect();
    let rendered = markdown::render(&Plan { campaigns });
    assert!(rendered.chars().count() <= markdown::MAX_COMMENT_CHARS, "{}", rendered.chars().count());
    // Whole blocks only: every <details> that opens, closes.
    assert_eq!(rendered.matches("<details>").count(), rendered.matches("</details>").count());
    let shown = rendered.matches("<details>").count();
    assert!(shown > 50, "{shown}");
    assert!(
        rendered.contains(&format!("_{} more campaigns with changes left out", 1000 - shown)),
        "{}",
        &rendered[rendered.len() - 300..]
    );
    // The table lists exactly the campaigns whose blocks are shown.
    assert_eq!(rendered.matches("| `campaign-").count(), shown);
}

#[test]
fn text_from_files_and_aws_cannot_break_the_markdown() {
    let mut blocked = campaign("legacy", Action::Blocked);
    blocked.blocked_reason =
        Some("failed | <img src=x onerror=alert(1)> ping @security-team\nsee `logs`".into());
    let rendered = markdown::render(&Plan { campaigns: vec![blocked] });
    assert!(!rendered.contains("<img"), "{rendered}");
    assert!(!rendered.contains("@security"), "{rendered}");
    assert!(!rendered.contains("failed |"), "{rendered}");
    assert!(
        rendered.contains(
            "failed &#124; &lt;img src=x onerror=alert(1)&gt; ping &#64;security-team see &#96;logs&#96;"
        ),
        "{rendered}"
    );
}
