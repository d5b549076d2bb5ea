//! `plan` scenarios over HTTP: files on one side, pz-emulator (through the real AWS SDK) on the other. Each
//! test checks the action, the changes, the request apply would send, and that plan wrote nothing.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pz_apply::live::aws::{AwsPersonalize, ClientOptions};
use pz_apply::plan::{Action, Plan, ResourcePlan, observe, plan_all};
use pz_apply::validate::LoadedResource;
use pz_emulator::{FaultKind, RunningEmulator};
use serde_json::{Value, json};

const SOLUTION: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs";
const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1";
const V2: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v2";
const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";

/// A live campaign `home` on v1 with TPS 2, metadata on, exploration weight "0.3", ranking FRESHNESS 0.6
/// and a tag.
fn seed() -> Value {
    json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": ["v1", "v2"] }],
        "campaigns": [{
            "name": "home",
            "solutionVersionArn": V1,
            "minProvisionedTPS": 2,
            "campaignConfig": {
                "syncWithLatestSolutionVersion": false,
                "enableMetadataWithRecommendations": true,
                "itemExplorationConfig": { "explorationWeight": "0.3" },
                "rankingInfluence": { "FRESHNESS": 0.6 }
            },
            "tags": { "team": "discovery" }
        }]
    })
}

fn campaigns(files: &[&str]) -> Vec<LoadedResource> {
    let mut loaded = Vec::new();
    for (index, text) in files.iter().enumerate() {
        let (campaigns, diagnostics) =
            pz_apply::load::check_source(Path::new(&format!("c{index}.yaml")), text);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        loaded.extend(campaigns);
    }
    loaded
}

async fn plan(running: &RunningEmulator, files: &[&str]) -> Plan {
    let options = ClientOptions {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    };
    let api = Arc::new(AwsPersonalize::for_endpoint(&running.endpoint_url(), &options));
    let campaigns = campaigns(files);
    let observed = observe(api, &campaigns, 8).await;
    let (plan, failures) = plan_all(&campaigns, observed);
    assert!(failures.is_empty(), "{failures:?}");
    assert_no_writes(running);
    plan
}

fn assert_no_writes(running: &RunningEmulator) {
    let writes = support::write_operations(running);
    assert!(writes.is_empty(), "plan made write calls: {writes:?}");
}

fn only(plan: &Plan) -> &ResourcePlan {
    assert_eq!(plan.campaigns.len(), 1);
    &plan.campaigns[0]
}

fn paths(campaign: &ResourcePlan) -> Vec<&str> {
    campaign.changes.iter().map(|change| change.path.as_str()).collect()
}

/// The file that matches the seed exactly, with `extra` lines appended.
fn home_file(tps: u32, extra: &str) -> String {
    format!(
        "name: home\nsolutionVersionArn: {V1}\nminProvisionedTPS: {tps}\ncampaignConfig:\n  \
         enableMetadataWithRecommendations: true\n  itemExplorationConfig:\n    explorationWeight: \"0.30\"\n  \
         rankingInfluence:\n    FRESHNESS: 0.6\n{extra}"
    )
}

#[tokio::test]
async fn a_converged_campaign_is_a_no_op() {
    let running = support::start_emulator(seed()).await;
    let plan = plan(&running, &[&home_file(2, "tags:\n  team: discovery\n")]).await;
    let campaign = only(&plan);
    assert_eq!(campaign.action, Action::NoOp, "{:#?}", campaign.changes);
    assert!(!plan.has_changes());
    // Describe and ListTags, nothing else.
    let operations: Vec<String> =
        running.emulator.requests().into_iter().map(|call| call.operation).collect();
    assert_eq!(operations, ["DescribeCampaign", "ListTagsForResource"]);
}

#[tokio::test]
async fn a_missing_campaign_is_created_with_the_exact_request() {
    let running = support::start_emulator(seed()).await;
    let file = format!(
        "name: web\nsolutionVersionArn: {V2}\nminProvisionedTPS: 3\ncampaignConfig:\n  \
         enableMetadataWithRecommendations: false\ntags:\n  team: web\n"
    );
    let plan = plan(&running, &[&file]).await;
    let campaign = only(&plan);
    assert_eq!(campaign.action, Action::Create);
    assert_eq!(
        campaign.request.as_ref().unwrap().to_wire(),
        json!({
            "name": "web",
            "solutionVersionArn": V2,
            "minProvisionedTPS": 3,
            "campaignConfig": { "enableMetadataWithRecommendations": false, "syncWithLatestSolutionVersion": false },
            "tags": [{ "tagKey": "team", "tagValue": "web" }]
        })
    );
    // Creating needs no tag listing.
    let operations: Vec<String> =
        running.emulator.requests().into_iter().map(|call| call.operation).collect();
    assert_eq!(operations, ["DescribeCampaign"]);
}

#[tokio::test]
async fn a_tps_change_sends_the_complete_config_with_unmanaged_values_preserved() {
    let running = support::start_emulator(seed()).await;
    // The file manages only the ARN and TPS: metadata, exploration and ranking are live's to keep.
    let file = format!("name: home\nsolutionVersionArn: {V1}\nminProvisionedTPS: 5\n");
    let plan = plan(&running, &[&file]).await;
    let campaign = only(&plan);
    assert_eq!(campaign.action, Action::Update);
    assert_eq!(paths(campaign), ["minProvisionedTPS"]);
    assert_eq!(
        campaign.request.as_ref().unwrap().to_wire(),
        json!({
            "campaignArn": HOME,
            "solutionVersionArn": V1,
            "minProvisionedTPS": 5,
            "campaignConfig": {
                "itemExplorationConfig": { "explorationWeight": "0.3" },
                "enableMetadataWithRecommendations": true,
                "syncWithLatestSolutionVersion": false,
                "rankingInfluence": { "FRESHNESS": 0.6 }
            }
        })
    );
    assert!(
        campaign.notes.iter().any(|note| note.contains("raises the billing floor from 2 to 5 TPS")),
        "{:?}",
        campaign.notes
    );
}

#[tokio::test]
async fn unmanaged_fields_never_show_a_change() {
    let running = support::start_emulator(seed()).await;
    // Live has TPS 2, metadata, exploration, ranking and a tag; the file mentions none of them.
    let plan = plan(&running, &[&format!("name: home\nsolutionVersionArn: {V1}\n")]).await;
    assert_eq!(only(&plan).action, Action::NoOp, "{:#?}", only(&plan).changes);
    let operations: Vec<String> =
        running.emulator.requests().into_iter().map(|call| call.operation).collect();
    assert_eq!(operations, ["DescribeCampaign"], "tags are not read when the file does not manage them");
}

#[tokio::test]
async fn exploration_values_compare_as_numbers_and_maps_are_managed_whole() {
    let running = support::start_emulator(seed()).await;
    // "0.30" in the file, "0.3" live: equal. An age cut-off of 30 is AWS's default: equal to absent.
    let same = home_file(2, "")
        .replace("explorationWeight: \"0.30\"", "explorationWeight: 0.3\n    explorationItemAgeCutOff: 30");
    assert_eq!(only(&plan(&running, &[&same]).await).action, Action::NoOp);
    let different =
        home_file(2, "").replace("explorationWeight: \"0.30\"", "explorationItemAgeCutOff: \"7\"");
    // Live's weight "0.3" is AWS's default, so leaving it out changes nothing there.
    let plan_default = plan(&running, &[&different]).await;
    assert_eq!(paths(only(&plan_default)), ["campaignConfig.itemExplorationConfig.explorationItemAgeCutOff"]);
    // A weight that is not the default, left out of the file's map, is removed.
    let running = support::start_emulator_with(seed(), |state| {
        let config = state.campaigns.get_mut(HOME).unwrap().campaign_config.as_mut().unwrap();
        config.item_exploration_config = Some([("explorationWeight".to_string(), "0.5".to_string())].into());
    })
    .await;
    let plan = plan(&running, &[&different]).await;
    let campaign = only(&plan);
    assert_eq!(
        paths(campaign),
        [
            "campaignConfig.itemExplorationConfig.explorationItemAgeCutOff",
            "campaignConfig.itemExplorationConfig.explorationWeight"
        ]
    );
    assert_eq!(campaign.changes[1].after, None);
    // The weight is dropped (managed whole); the request carries exactly the file's map.
    let request = campaign.request.as_ref().unwrap().to_wire();
    assert_eq!(
        request["campaignConfig"]["itemExplorationConfig"],
        json!({ "explorationItemAgeCutOff": "7" })
    );
}

#[tokio::test]
async fn an_absent_map_equals_an_empty_one_and_ranking_has_a_tolerance() {
    let running = support::start_emulator_with(seed(), |state| {
        let campaign = state.campaigns.get_mut(HOME).unwrap();
        let config = campaign.campaign_config.as_mut().unwrap();
        config.item_exploration_config = None;
        config.ranking_influence = Some([("FRESHNESS".to_string(), 0.600_000_000_1)].into());
    })
    .await;
    let file = format!(
        "name: home\nsolutionVersionArn: {V1}\ncampaignConfig:\n  itemExplorationConfig: {{}}\n  rankingInfluence:\n    FRESHNESS: 0.6\n"
    );
    assert_eq!(only(&plan(&running, &[&file]).await).action, Action::NoOp);
    let file = file.replace("FRESHNESS: 0.6", "FRESHNESS: 0.61");
    let plan = plan(&running, &[&file]).await;
    assert_eq!(paths(only(&plan)), ["campaignConfig.rankingInfluence.FRESHNESS"]);
}

#[tokio::test]
async fn tags_are_managed_whole_and_aws_tags_are_ignored() {
    let running = support::start_emulator_with(seed(), |state| {
        state.tags.get_mut(HOME).unwrap().insert("aws:cloudformation:stack-name".into(), "recs".into());
    })
    .await;
    let plan = plan(&running, &[&home_file(2, "tags:\n  owner: ml\n")]).await;
    let campaign = only(&plan);
    assert_eq!(campaign.action, Action::Update);
    assert_eq!(paths(campaign), ["tags.owner", "tags.team"]);
    assert_eq!(campaign.tags.set, [("owner".to_string(), "ml".to_string())].into());
    assert_eq!(campaign.tags.remove, ["team"]);
    assert_eq!(campaign.request, None, "only tags change: no UpdateCampaign");
}

/// `home` follows `$LATEST` of a solution with versions v1 and v2.
async fn emulator_following_latest() -> RunningEmulator {
    support::start_emulator(json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": ["v1", "v2"] }],
        "campaigns": [{
            "name": "home",
            "solutionVersionArn": format!("{SOLUTION}/$LATEST"),
            "campaignConfig": { "syncWithLatestSolutionVersion": true }
        }]
    }))
    .await
}

#[tokio::test]
async fn latest_is_in_sync_with_any_version_of_its_solution() {
    let running = emulator_following_latest().await;
    let latest = format!(
        "name: home\nsolutionVersionArn: {SOLUTION}/$LATEST\ncampaignConfig:\n  syncWithLatestSolutionVersion: true\n"
    );
    // Live serves v2, the newest version: not drift.
    let plan_latest = plan(&running, &[&latest]).await;
    let campaign = only(&plan_latest);
    assert_eq!(campaign.action, Action::NoOp);
    assert!(
        campaign.notes.iter().any(|note| note == &format!("$LATEST serves {V2} now")),
        "{:?}",
        campaign.notes
    );

    // Pinning a version switches sync off and names the version.
    let pinned = plan(&running, &[&format!("name: home\nsolutionVersionArn: {V1}\n")]).await;
    let campaign = only(&pinned);
    assert_eq!(paths(campaign), ["solutionVersionArn", "campaignConfig.syncWithLatestSolutionVersion"]);
    let request = campaign.request.as_ref().unwrap().to_wire();
    assert_eq!(request["campaignConfig"]["syncWithLatestSolutionVersion"], false);
    assert!(
        campaign.notes.iter().any(|note| note == &format!("the campaign will serve {V1} instead of {V2}"))
    );
}

#[tokio::test]
async fn switching_a_pinned_campaign_to_latest() {
    let running = support::start_emulator(seed()).await;
    let file = home_file(2, "")
        .replace(V1, &format!("{SOLUTION}/$LATEST"))
        .replace("campaignConfig:\n", "campaignConfig:\n  syncWithLatestSolutionVersion: true\n");
    let plan = plan(&running, &[&file]).await;
    let campaign = only(&plan);
    assert_eq!(paths(campaign), ["solutionVersionArn", "campaignConfig.syncWithLatestSolutionVersion"]);
    let request = campaign.request.as_ref().unwrap().to_wire();
    assert_eq!(request["solutionVersionArn"], format!("{SOLUTION}/$LATEST"));
    assert_eq!(request["campaignConfig"]["syncWithLatestSolutionVersion"], true);
}

#[tokio::test]
async fn an_in_flight_update_with_the_desired_values_is_only_waited_for() {
    let running = support::start_emulator(seed()).await;
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 4 })).unwrap();
    let waiting = plan(&running, &[&home_file(4, "")]).await;
    let campaign = only(&waiting);
    assert_eq!(campaign.action, Action::Wait);
    assert_eq!(campaign.in_flight.as_ref().map(|status| status.as_str()), Some("CREATE PENDING"));
    assert_eq!(campaign.request, None);

    let different = plan(&running, &[&home_file(6, "")]).await;
    let campaign = only(&different);
    assert_eq!(campaign.action, Action::Update);
    // Compared with what the in-flight update will serve (4), not what serves now (2).
    assert_eq!(campaign.changes[0].before, Some(json!(4)));
    assert!(
        campaign.notes.iter().any(|note| note.contains("apply waits for it first")),
        "{:?}",
        campaign.notes
    );
}

#[tokio::test]
async fn a_failed_update_is_shown_with_its_reason() {
    let running = support::start_emulator(seed()).await;
    running.emulator.fail_next_update(HOME, "Insufficient capacity in us-east-1");
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 9 })).unwrap();
    running.emulator.finish_in_flight();
    let plan = plan(&running, &[&home_file(9, "")]).await;
    let campaign = only(&plan);
    // Still serving 2: the update to 9 is needed again.
    assert_eq!(campaign.action, Action::Update);
    assert!(
        campaign
            .notes
            .iter()
            .any(|note| note == "the latest update failed: Insufficient capacity in us-east-1"),
        "{:?}",
        campaign.notes
    );
}

#[tokio::test]
async fn deleting_and_failed_campaigns_are_blocked() {
    let running = support::start_emulator(seed()).await;
    running.emulator.call("DeleteCampaign", &json!({ "campaignArn": HOME })).unwrap();
    let web = "arn:aws:personalize:us-east-1:111122223333:campaign/web";
    running.emulator.fail_next_update(web, "Dataset group quota reached");
    running.emulator.call("CreateCampaign", &json!({ "name": "web", "solutionVersionArn": V2 })).unwrap();
    running.emulator.set_status(web, "CREATE FAILED", false).unwrap();
    let plan = plan(&running, &[&home_file(2, ""), &format!("name: web\nsolutionVersionArn: {V2}\n")]).await;
    assert_eq!(plan.campaigns[0].action, Action::Blocked);
    assert!(plan.campaigns[0].blocked_reason.as_ref().unwrap().contains("being deleted (DELETE PENDING)"));
    assert_eq!(plan.campaigns[1].action, Action::Blocked);
    assert!(plan.campaigns[1].blocked_reason.as_ref().unwrap().contains("creation failed"));
}

#[tokio::test]
async fn an_unknown_status_means_not_finished() {
    let running = support::start_emulator(seed()).await;
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 3 })).unwrap();
    running.emulator.set_status(HOME, "UPDATE IN_PROGRESS", true).unwrap();
    let plan = plan(&running, &[&home_file(3, "")]).await;
    let campaign = only(&plan);
    assert_eq!(campaign.action, Action::Wait);
    assert_eq!(campaign.in_flight.as_ref().map(|status| status.as_str()), Some("UPDATE IN_PROGRESS"));
}

#[tokio::test]
async fn throttling_during_plan_is_absorbed() {
    let running = support::start_emulator(seed()).await;
    running.emulator.inject("*", Some(3), FaultKind::Throttling);
    let plan = plan(&running, &[&home_file(2, "tags:\n  team: discovery\n")]).await;
    assert_eq!(only(&plan).action, Action::NoOp);
    let throttled = running.emulator.requests().iter().filter(|call| call.error.is_some()).count();
    assert_eq!(throttled, 3);
}

/// `home` and `web` follow `$LATEST` of the solution, whose newest version v3 is still training; AWS
/// reports the alias itself as their version (which the API allows).
async fn emulator_reporting_the_alias() -> RunningEmulator {
    let latest = format!("{SOLUTION}/$LATEST");
    let campaign = |name: &str| json!({ "name": name, "solutionVersionArn": latest, "campaignConfig": { "syncWithLatestSolutionVersion": true } });
    support::start_emulator_with(
        json!({
            "solutions": [{ "solutionArn": SOLUTION, "versions": ["v1", "v2", "v3"] }],
            "campaigns": [campaign("home"), campaign("web")]
        }),
        |state| {
            let v3 = format!("{SOLUTION}/v3");
            let version = state.solution_versions.get_mut(&v3).unwrap();
            version.status = "CREATE IN_PROGRESS".to_string();
            version.creation_date_time += 100.0;
            for campaign in state.campaigns.values_mut() {
                campaign.solution_version_arn = format!("{SOLUTION}/$LATEST");
            }
        },
    )
    .await
}

fn latest_file(name: &str, tps: u32) -> String {
    format!(
        "name: {name}\nsolutionVersionArn: {SOLUTION}/$LATEST\nminProvisionedTPS: {tps}\ncampaignConfig:\n  syncWithLatestSolutionVersion: true\n"
    )
}

#[tokio::test]
async fn a_latest_campaign_shows_no_version_change_when_only_another_field_changes() {
    let running = emulator_following_latest().await;
    let plan = plan(&running, &[&latest_file("home", 3)]).await;
    let campaign = only(&plan);
    assert_eq!(paths(campaign), ["minProvisionedTPS"]);
    let markdown = pz_apply::render::markdown::render(&plan);
    assert!(!markdown.contains(&format!("-  \"solutionVersionArn\": \"{V2}\"")), "{markdown}");
    assert!(
        !markdown.lines().any(|line| line.starts_with('-') && line.contains("solutionVersionArn")),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("$LATEST serves {V2} now")),
        "the served version as a note: {markdown}"
    );
    // DescribeCampaign named the version that serves: nothing else was asked.
    let solutions =
        running.emulator.requests().iter().filter(|call| call.operation == "DescribeSolution").count();
    assert_eq!(solutions, 0);
}

#[tokio::test]
async fn with_the_alias_reported_the_note_never_names_a_version_still_training() {
    let running = emulator_reporting_the_alias().await;
    let plan = plan(&running, &[&latest_file("home", 1), &latest_file("web", 1)]).await;
    for campaign in &plan.campaigns {
        assert_eq!(campaign.action, Action::NoOp);
        let note = campaign.notes.iter().find(|note| note.contains("$LATEST serves")).unwrap();
        assert!(
            note.contains("newest ACTIVE version") && note.contains("v3 is CREATE IN_PROGRESS"),
            "{note}"
        );
    }
    // Once per solution per run, however many campaigns follow it.
    let solutions =
        running.emulator.requests().iter().filter(|call| call.operation == "DescribeSolution").count();
    assert_eq!(solutions, 1);
}

#[tokio::test]
async fn a_failed_describe_solution_is_a_warning_not_a_failed_plan() {
    let running = emulator_reporting_the_alias().await;
    running.emulator.inject(
        "DescribeSolution",
        None,
        FaultKind::Error { code: "AccessDeniedException".into(), message: "not allowed".into(), status: 400 },
    );
    let plan = plan(&running, &[&latest_file("home", 1)]).await;
    let campaign = only(&plan);
    assert_eq!(campaign.action, Action::NoOp);
    assert!(
        campaign
            .notes
            .iter()
            .any(|note| note.starts_with("warning: cannot tell which version $LATEST serves")
                && note.contains("AccessDeniedException")),
        "{:?}",
        campaign.notes
    );
}

#[tokio::test]
async fn throttling_beyond_the_sdk_attempts_slows_plan_down_instead_of_failing_it() {
    let running = support::start_emulator(seed()).await;
    // Four SDK attempts, all throttled; plan pauses and reads again.
    running.emulator.inject("DescribeCampaign", Some(4), FaultKind::Throttling);
    let plan = plan(&running, &[&home_file(2, "tags:\n  team: discovery\n")]).await;
    assert_eq!(only(&plan).action, Action::NoOp);
    let describes =
        running.emulator.requests().iter().filter(|call| call.operation == "DescribeCampaign").count();
    assert_eq!(describes, 5, "four throttled by the SDK's attempts, then one after the pause");
}

#[tokio::test]
async fn a_read_pausing_after_throttling_holds_no_concurrency_place() {
    let running = support::start_emulator(seed()).await;
    // One place for calls; the first campaign read uses up the SDK's four attempts on throttling.
    running.emulator.inject("DescribeCampaign", Some(4), FaultKind::Throttling);
    let options = ClientOptions {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    };
    let api = Arc::new(AwsPersonalize::for_endpoint(&running.endpoint_url(), &options));
    let files = [home_file(2, ""), format!("name: web\nsolutionVersionArn: {V2}\n")];
    let campaigns = campaigns(&[&files[0], &files[1]]);
    let observed = observe(api, &campaigns, 1).await;
    assert!(observed.iter().all(Result::is_ok), "{observed:?}");
    let describes: Vec<(String, bool)> = running
        .emulator
        .requests()
        .into_iter()
        .filter(|call| call.operation == "DescribeCampaign")
        .map(|call| {
            let throttled = call.error.as_deref() == Some("ThrottlingException");
            (call.input["campaignArn"].as_str().unwrap_or_default().to_string(), throttled)
        })
        .collect();
    assert_eq!(describes.len(), 6, "{describes:?}");
    let throttled = &describes[0].0;
    assert!(describes[..4].iter().all(|(arn, refused)| arn == throttled && *refused), "{describes:?}");
    // While the throttled read pauses, the other campaign's read goes ahead in the only place.
    assert!(&describes[4].0 != throttled && !describes[4].1, "{describes:?}");
    assert!(&describes[5].0 == throttled && !describes[5].1, "{describes:?}");
}
