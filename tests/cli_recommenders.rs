//! Recommenders through the binary against pz-emulator: validate, plan in every format, a refused
//! replacement, import and its round trip, status and unmanaged recommenders, and a repository that mixes
//! campaigns and recommenders in one plan and one apply.

mod support;

use std::path::Path;

use serde_json::{Value, json};

const SHOP: &str = "arn:aws:personalize:us-east-1:111122223333:dataset-group/shop";
const RECIPE: &str = "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you";
const VIEWS: &str = "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views";
const FOR_YOU: &str = "arn:aws:personalize:us-east-1:111122223333:recommender/shop-for-you";

/// The `home` campaign, and two recommenders in the `shop` dataset group: `shop-for-you` running with a
/// config and a tag, `shop-popular` stopped.
fn seed() -> Value {
    let mut seed = support::home_seed();
    seed["datasetGroups"] = json!([{ "datasetGroupArn": SHOP, "domain": "ECOMMERCE" }]);
    seed["recommenders"] = json!([
        {
            "name": "shop-for-you",
            "datasetGroupArn": SHOP,
            "recipeArn": RECIPE,
            "recommenderConfig": {
                "minRecommendationRequestsPerSecond": 2,
                "trainingDataConfig": { "excludedDatasetColumns": { "Items": ["PRICE"] } }
            },
            "tags": { "team": "shop" }
        },
        { "name": "shop-popular", "datasetGroupArn": SHOP, "recipeArn": VIEWS, "status": "INACTIVE" }
    ]);
    seed
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir.join("campaigns")).unwrap();
    std::fs::write(dir.join("campaigns").join(name), text).unwrap();
}

fn recommender(name: &str, recipe: &str, extra: &str) -> String {
    format!("kind: Recommender\nname: {name}\ndatasetGroupArn: {SHOP}\nrecipeArn: {recipe}\n{extra}")
}

#[test]
fn validate_points_at_recommender_problems() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "kind.yaml", "kind: Recomender\nname: a\n");
    write(dir.path(), "list.yaml", "kind: [Recommender]\nname: a\n");
    write(
        dir.path(),
        "fields.yaml",
        &format!(
            "kind: Recommender\nname: a\ndatasetGroupArn: {SHOP}\nrecipeArn: {RECIPE}\nstate: stopped\n\
             recommenderConfig:\n  minRecommendationRequestsPerSecond: 0\n  trainingDataConfig:\n    \
             excludedDatasetColumns:\n      Item: [PRICE]\n  syncWithLatestSolutionVersion: true\n"
        ),
    );
    let mut validate = support::pz_apply(dir.path());
    validate.arg("validate");
    let output = validate.output().unwrap();
    // Problems go to stdout, the count to stderr.
    let problems = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{problems}");
    for expected in [
        "campaigns/kind.yaml:1:7: error: unknown kind `Recomender`",
        "did you mean `Recommender`?",
        "campaigns/list.yaml:1:7: error: `kind` must be a string, found a list",
        "help: write `kind: Campaign` (the default) or `kind: Recommender`",
        "campaigns/fields.yaml:5:8: error: `state` is `stopped`; expected `ACTIVE` or `INACTIVE`",
        "campaigns/fields.yaml:7:39: error: `recommenderConfig.minRecommendationRequestsPerSecond` is 0",
        "campaigns/fields.yaml:10:7: error: unknown field `Item`",
        "did you mean `Items`?",
        "campaigns/fields.yaml:11:3: error: unknown field `syncWithLatestSolutionVersion` in `recommenderConfig`",
    ] {
        assert!(problems.contains(expected), "{expected}\n{problems}");
    }
    assert!(
        !problems.contains("missing required field `datasetGroupArn`"),
        "an unknown kind is one problem: {problems}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_repository_plans_in_every_format_and_applies_in_one_run() {
    let running = support::start_emulator_timed(seed(), 0.3).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    write(
        dir.path(),
        "for-you.yaml",
        &recommender(
            "shop-for-you",
            RECIPE,
            "recommenderConfig:\n  trainingDataConfig:\n    excludedDatasetColumns:\n      Items: [PRICE, COLOR]\n",
        ),
    );
    write(dir.path(), "popular.yaml", &recommender("shop-popular", VIEWS, "state: ACTIVE\n"));

    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--detailed-exitcode"]);
    let (code, stdout, stderr) = support::output(plan).await;
    assert_eq!(code, 2, "{stderr}");
    for expected in [
        "~ recommender shop-for-you (update)  campaigns/for-you.yaml:1\n",
        "    recommenderConfig.trainingDataConfig.excludedDatasetColumns.Items: [\"PRICE\"] -> [\"PRICE\",\"COLOR\"]\n",
        "retrains the recommender's model in full",
        "^ recommender shop-popular (start)  campaigns/popular.yaml:1\n    state: \"INACTIVE\" -> \"ACTIVE\"\n",
        "~ home (update)",
        "Plan: 0 to create, 2 to update, 1 to start, 0 unchanged.\n",
    ] {
        assert!(stdout.contains(expected), "{expected}\n{stdout}");
    }

    let mut markdown = support::pz_apply_against(dir.path(), &running);
    markdown.args(["plan", "--format", "markdown"]);
    let (_, stdout, _) = support::output(markdown).await;
    assert!(stdout.starts_with("### pz-apply plan: 1 campaign and 2 recommenders to change\n"), "{stdout}");
    assert!(
        stdout.contains("| recommender `shop-popular` | start | state | campaigns/popular.yaml |"),
        "{stdout}"
    );

    let mut json_plan = support::pz_apply_against(dir.path(), &running);
    json_plan.args(["plan", "--format", "json"]);
    let (_, stdout, _) = support::output(json_plan).await;
    let document: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["summary"]["start"], 1);
    let kinds: Vec<(&str, &str)> = document["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["kind"].as_str().unwrap(), entry["action"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("Recommender", "update"), ("Campaign", "update"), ("Recommender", "start")]);
    let update = &document["campaigns"][0]["request"];
    assert_eq!(update["recommenderConfig"]["minRecommendationRequestsPerSecond"], 2, "kept from live");

    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--auto-approve", "--poll-interval", "0.1s"]);
    let (code, stdout, stderr) = support::output(apply).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("recommender shop-popular  started"), "{stdout}");
    assert!(stdout.contains(": 0 created, 2 updated, 1 started, 0 waited"), "{stdout}");
    let mut writes = support::write_operations(&running);
    writes.sort();
    assert_eq!(writes, ["StartRecommender", "UpdateCampaign", "UpdateRecommender"]);

    let mut again = support::pz_apply_against(dir.path(), &running);
    again.args(["plan", "--detailed-exitcode"]);
    let (code, stdout, _) = support::output(again).await;
    assert_eq!(
        (code, stdout.as_str()),
        (0, "No changes: 1 campaign and 2 recommenders match their files.\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_is_planned_but_refused_without_allow_replacement() {
    let running = support::start_emulator(seed()).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "for-you.yaml", &recommender("shop-for-you", VIEWS, ""));
    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--detailed-exitcode"]);
    let (code, stdout, _) = support::output(plan).await;
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("-/+ recommender shop-for-you (replace)"), "{stdout}");
    assert!(stdout.contains("apply refuses unless the file says `allowReplacement: true`"), "{stdout}");
    assert!(stdout.contains("deletes the recommender and its trained model"), "{stdout}");

    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--auto-approve"]);
    let (code, stdout, _) = support::output(apply).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(support::write_operations(&running).is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_recommenders_and_the_plan_after_it_is_empty() {
    let running = support::start_emulator(seed()).await;
    let dir = tempfile::tempdir().unwrap();

    let mut by_arn = support::pz_apply_against(dir.path(), &running);
    by_arn.args(["import", FOR_YOU, "--stdout"]);
    let (code, stdout, stderr) = support::output(by_arn).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!(
        "kind: Recommender\nname: shop-for-you\ndatasetGroupArn: {SHOP}\nrecipeArn: {RECIPE}\nstate: ACTIVE\n"
    )));
    assert!(
        stdout.contains("  trainingDataConfig:\n    excludedDatasetColumns:\n      Items: [PRICE]\n"),
        "{stdout}"
    );

    let mut by_group = support::pz_apply_against(dir.path(), &running);
    by_group.args(["import", "--dataset-group", SHOP, "--stdout"]);
    let (code, stdout, _) = support::output(by_group).await;
    assert_eq!(code, 0);
    let names: Vec<&str> = stdout.lines().filter_map(|line| line.strip_prefix("name: ")).collect();
    assert_eq!(names, ["shop-for-you", "shop-popular"]);
    assert!(stdout.contains("name: shop-popular\ndatasetGroupArn"), "{stdout}");
    assert!(stdout.contains("state: INACTIVE\n"), "{stdout}");

    let mut all = support::pz_apply_against(dir.path(), &running);
    all.args(["import", "--all"]);
    let (code, stdout, stderr) = support::output(all).await;
    assert_eq!(code, 0, "{stderr}");
    for file in ["home", "shop-for-you", "shop-popular"] {
        assert!(stdout.contains(&format!("wrote campaigns/{file}.yaml")), "{stdout}");
    }
    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--detailed-exitcode"]);
    let (code, stdout, stderr) = support::output(plan).await;
    assert_eq!(
        (code, stdout.as_str()),
        (0, "No changes: 1 campaign and 2 recommenders match their files.\n"),
        "{stderr}"
    );
    assert!(support::write_operations(&running).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_unmanaged_show_recommenders() {
    let running = support::start_emulator(seed()).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 2);
    write(dir.path(), "popular.yaml", &recommender("shop-popular", VIEWS, ""));

    let mut status = support::pz_apply_against(dir.path(), &running);
    status.arg("status");
    let (code, stdout, stderr) = support::output(status).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("RESOURCE "), "{stdout}");
    assert!(stdout.contains(&format!("recommender shop-popular  INACTIVE  {VIEWS}")), "{stdout}");

    let mut json_status = support::pz_apply_against(dir.path(), &running);
    json_status.args(["status", "--format", "json"]);
    let (_, stdout, _) = support::output(json_status).await;
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows[1]["kind"], "Recommender");
    assert_eq!(rows[1]["status"], "INACTIVE");

    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--show-unmanaged"]);
    let (_, stdout, _) = support::output(plan).await;
    assert!(stdout.contains("Unmanaged: 1 recommender that no file defines:\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("  recommender shop-for-you  ACTIVE  pz-apply import {FOR_YOU}\n")),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_of_a_recommender_applies_only_while_it_is_fresh() {
    let running = support::start_emulator_timed(seed(), 0.2).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "for-you.yaml",
        &recommender("shop-for-you", RECIPE, "recommenderConfig:\n  minRecommendationRequestsPerSecond: 3\n"),
    );
    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--out", "plan.json"]);
    assert_eq!(support::output(plan).await.0, 0);

    // Someone stops the recommender after the plan was saved.
    running.emulator.call("StopRecommender", &json!({ "recommenderArn": FOR_YOU })).unwrap();
    running.emulator.finish_in_flight();
    let mut stale = support::pz_apply_against(dir.path(), &running);
    stale.args(["apply", "--plan", "plan.json"]);
    let (code, _, stderr) = support::output(stale).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("shop-for-you: ") && stderr.contains("status: \"ACTIVE\" -> \"INACTIVE\""),
        "{stderr}"
    );
    assert!(support::write_operations(&running).is_empty());

    running.emulator.call("StartRecommender", &json!({ "recommenderArn": FOR_YOU })).unwrap();
    running.emulator.finish_in_flight();
    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--out", "plan.json"]);
    assert_eq!(support::output(plan).await.0, 0);
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--plan", "plan.json", "--poll-interval", "100ms"]);
    let (code, stdout, stderr) = support::output(apply).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(support::write_operations(&running), ["UpdateRecommender"]);
    let live = running.emulator.call("DescribeRecommender", &json!({ "recommenderArn": FOR_YOU })).unwrap();
    assert_eq!(live["recommender"]["recommenderConfig"]["minRecommendationRequestsPerSecond"], 3);
}
