//! `pz-apply import` and `plan --show-unmanaged` through the real binary against pz-emulator.

mod support;

use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";

fn solution(name: &str) -> String {
    format!("arn:aws:personalize:us-east-1:{ACCOUNT}:solution/{name}")
}

fn campaign_arn(name: &str) -> String {
    format!("arn:aws:personalize:us-east-1:{ACCOUNT}:campaign/{name}")
}

/// One campaign of every kind the emulator can hold.
fn every_kind() -> Value {
    json!({
        "solutions": [
            { "solutionArn": solution("recs"), "versions": ["v1", "v2"] },
            { "solutionArn": solution("trending"), "versions": ["t1"] }
        ],
        "campaigns": [
            { "name": "latest", "solutionVersionArn": format!("{}/$LATEST", solution("recs")),
              "campaignConfig": { "syncWithLatestSolutionVersion": true } },
            { "name": "pinned", "solutionVersionArn": format!("{}/v1", solution("recs")), "minProvisionedTPS": 4 },
            { "name": "exploring", "solutionVersionArn": format!("{}/v2", solution("recs")),
              "campaignConfig": { "itemExplorationConfig": { "explorationWeight": "0.30", "explorationItemAgeCutOff": "7" } } },
            { "name": "ranked", "solutionVersionArn": format!("{}/t1", solution("trending")),
              "campaignConfig": { "rankingInfluence": { "POPULARITY": 0.25, "FRESHNESS": 0.6 }, "enableMetadataWithRecommendations": true } },
            { "name": "tagged", "solutionVersionArn": format!("{}/t1", solution("trending")),
              "tags": { "team": "discovery", "cost-center": "4410" } }
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_campaign_round_trips_to_an_empty_plan() {
    let running = support::start_emulator(every_kind()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut import = support::pz_apply_against(dir.path(), &running);
    import.args(["import", "--all"]);
    let (code, stdout, stderr) = support::output(import).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    assert!(stderr.ends_with("5 imported, 0 skipped, 0 failed\n"), "{stderr}");
    // The schema the modelines point to comes along, so editors check the files in this repository too.
    assert!(
        stdout.ends_with("wrote schemas/campaign.schema.json (the schema the files' modeline points to)\n")
    );
    let schema = std::fs::read_to_string(dir.path().join("schemas/campaign.schema.json")).unwrap();
    assert_eq!(schema, pz_apply::spec::schema_json());

    let latest = std::fs::read_to_string(dir.path().join("campaigns/latest.yaml")).unwrap();
    assert!(
        latest.starts_with("# yaml-language-server: $schema=../schemas/campaign.schema.json\n"),
        "{latest}"
    );
    assert!(latest.contains(&format!("solutionVersionArn: {}/$LATEST\n", solution("recs"))), "{latest}");
    let exploring = std::fs::read_to_string(dir.path().join("campaigns/exploring.yaml")).unwrap();
    assert!(exploring.contains("explorationWeight: \"0.30\"\n"), "kept as AWS formats it: {exploring}");

    let mut validate = support::pz_apply_against(dir.path(), &running);
    validate.arg("validate");
    assert_eq!(support::output(validate).await.0, 0);
    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--detailed-exitcode"]);
    let (code, stdout, stderr) = support::output(plan).await;
    assert_eq!((code, stdout.as_str()), (0, "No changes: 5 campaigns match their files.\n"), "{stderr}");
    assert!(support::write_operations(&running).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_by_arn_and_by_solution() {
    let running = support::start_emulator(every_kind()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut by_arn = support::pz_apply_against(dir.path(), &running);
    by_arn.args(["import", &campaign_arn("pinned"), "--dir", "teams/search"]);
    let (code, stdout, stderr) = support::output(by_arn).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "wrote teams/search/pinned.yaml\nwrote schemas/campaign.schema.json (the schema the files' modeline points to)\n"
    );
    let pinned = std::fs::read_to_string(dir.path().join("teams/search/pinned.yaml")).unwrap();
    assert!(
        pinned.starts_with("# yaml-language-server: $schema=../../schemas/campaign.schema.json\n"),
        "{pinned}"
    );
    assert!(pinned.contains("minProvisionedTPS: 4\n"));

    // A schema already there is left alone.
    std::fs::write(dir.path().join("schemas/campaign.schema.json"), "{}").unwrap();
    let mut again = support::pz_apply_against(dir.path(), &running);
    again.args(["import", &campaign_arn("latest")]);
    assert_eq!(support::output(again).await.1, "wrote campaigns/latest.yaml\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("schemas/campaign.schema.json")).unwrap(), "{}");

    let mut by_solution = support::pz_apply_against(dir.path(), &running);
    by_solution.args(["import", "--solution", &solution("trending"), "--stdout"]);
    let (code, stdout, _) = support::output(by_solution).await;
    assert_eq!(code, 0);
    let names: Vec<&str> = stdout.lines().filter_map(|line| line.strip_prefix("name: ")).collect();
    assert_eq!(names, ["ranked", "tagged"]);

    let mut missing = support::pz_apply_against(dir.path(), &running);
    missing.args(["import", &campaign_arn("nope"), "--stdout"]);
    let (code, _, stderr) = support::output(missing).await;
    assert_eq!(code, 1);
    assert!(stderr.contains(&format!("error: {}: no such campaign", campaign_arn("nope"))), "{stderr}");

    let mut not_an_arn = support::pz_apply_against(dir.path(), &running);
    not_an_arn.args(["import", &solution("recs")]);
    let (code, _, stderr) = support::output(not_an_arn).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("is not a campaign or recommender ARN"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_reads_every_page() {
    let campaigns: Vec<Value> = (0..105)
        .map(|index| json!({ "name": format!("c{index:03}"), "solutionVersionArn": format!("{}/v1", solution("recs")) }))
        .collect();
    let running = support::start_emulator(json!({
        "solutions": [{ "solutionArn": solution("recs"), "versions": ["v1"] }],
        "campaigns": campaigns
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut import = support::pz_apply_against(dir.path(), &running);
    import.args(["import", "--all", "--stdout"]);
    let (code, stdout, stderr) = support::output(import).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.matches("\nname: ").count(), 105);
    let pages = running.emulator.requests().iter().filter(|call| call.operation == "ListCampaigns").count();
    assert_eq!(pages, 2);
    assert!(!dir.path().join("campaigns").exists(), "--stdout writes no file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_files_and_definitions_are_kept_unless_forced() {
    let running = support::start_emulator(every_kind()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    // `pinned` is defined in a file with another name; `tagged.yaml` exists with other content.
    let defined = format!("name: pinned\nsolutionVersionArn: {}/v1\n", solution("recs"));
    std::fs::write(dir.path().join("campaigns/mine.yaml"), &defined).unwrap();
    let other = format!("name: other\nsolutionVersionArn: {}/v1\n", solution("recs"));
    std::fs::write(dir.path().join("campaigns/tagged.yaml"), &other).unwrap();

    let mut import = support::pz_apply_against(dir.path(), &running);
    import.args(["import", &campaign_arn("pinned"), &campaign_arn("tagged")]);
    let (code, stdout, stderr) = support::output(import).await;
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.contains("skipped pinned: already defined in campaigns/mine.yaml (--force writes it anyway)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped tagged: campaigns/tagged.yaml exists (--force overwrites it)"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("campaigns/tagged.yaml")).unwrap(), other);
    assert!(!dir.path().join("campaigns/pinned.yaml").exists());

    let mut forced = support::pz_apply_against(dir.path(), &running);
    forced.args(["import", &campaign_arn("tagged"), "--force"]);
    let (code, stdout, _) = support::output(forced).await;
    assert_eq!(
        (code, stdout.as_str()),
        (
            0,
            "wrote campaigns/tagged.yaml\nwrote schemas/campaign.schema.json (the schema the files' modeline points to)\n"
        )
    );
    assert!(
        std::fs::read_to_string(dir.path().join("campaigns/tagged.yaml"))
            .unwrap()
            .contains("cost-center: \"4410\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_that_serve_nothing_are_skipped_with_the_reason() {
    let running = support::start_emulator(every_kind()).await;
    running
        .emulator
        .call(
            "CreateCampaign",
            &json!({ "name": "fresh", "solutionVersionArn": format!("{}/v1", solution("recs")) }),
        )
        .unwrap();
    running
        .emulator
        .call("UpdateCampaign", &json!({ "campaignArn": campaign_arn("pinned"), "minProvisionedTPS": 9 }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut import = support::pz_apply_against(dir.path(), &running);
    import.args(["import", &campaign_arn("fresh"), &campaign_arn("pinned"), "--stdout"]);
    let (code, stdout, stderr) = support::output(import).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("skipped fresh: it is being created (CREATE PENDING)"), "{stderr}");
    assert!(stderr.contains("warning: pinned: an update is in flight (CREATE PENDING)"), "{stderr}");
    assert!(stdout.contains("minProvisionedTPS: 4\n"), "what serves now: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_lists_unmanaged_campaigns_without_changing_the_exit_code() {
    let running = support::start_emulator(every_kind()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut import = support::pz_apply_against(dir.path(), &running);
    import.args(["import", &campaign_arn("pinned"), &campaign_arn("tagged")]);
    assert_eq!(support::output(import).await.0, 0);

    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--show-unmanaged", "--detailed-exitcode"]);
    let (code, stdout, stderr) = support::output(plan).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Unmanaged: 3 campaigns that no file defines:\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("  exploring  ACTIVE  pz-apply import {}\n", campaign_arn("exploring"))),
        "{stdout}"
    );

    let mut json_plan = support::pz_apply_against(dir.path(), &running);
    json_plan.args(["plan", "--show-unmanaged", "--format", "json"]);
    let (_, stdout, _) = support::output(json_plan).await;
    let document: Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> =
        document["unmanaged"].as_array().unwrap().iter().filter_map(|u| u["name"].as_str()).collect();
    assert_eq!(names, ["exploring", "latest", "ranked"]);
    assert!(support::write_operations(&running).is_empty());
}
