//! `apply` scenarios over HTTP against pz-emulator, judged by its request log: which write calls were
//! sent, how many, and with what input.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pz_apply::apply::{ApplyEvent, ApplyOptions, ApplySink, CampaignResult, apply};
use pz_apply::live::aws::{AwsPersonalize, ClientOptions};
use pz_apply::plan::{observe, plan_all};
use pz_apply::validate::LoadedCampaign;
use pz_emulator::{FaultKind, LoggedCall, RunningEmulator};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

const SOLUTION: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs";
const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1";
const V2: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v2";
const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";

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
                "itemExplorationConfig": { "explorationWeight": "0.4" },
                "rankingInfluence": { "FRESHNESS": 0.6 }
            },
            "tags": { "team": "discovery" }
        }]
    })
}

/// Work takes 0.3 s, so apply really waits, but tests stay quick.
async fn emulator() -> RunningEmulator {
    support::start_emulator_timed(seed(), 0.3).await
}

#[derive(Default)]
struct Recorder(Mutex<Vec<ApplyEvent>>);

impl ApplySink for Recorder {
    fn event(&self, event: &ApplyEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

fn campaigns(files: &[&str]) -> Vec<LoadedCampaign> {
    files
        .iter()
        .enumerate()
        .flat_map(|(index, text)| {
            let (campaigns, diagnostics) =
                pz_apply::load::check_source(Path::new(&format!("c{index}.yaml")), text);
            assert!(diagnostics.is_empty(), "{diagnostics:#?}");
            campaigns
        })
        .collect()
}

struct Run {
    results: Vec<CampaignResult>,
    events: Vec<ApplyEvent>,
}

async fn run_apply(running: &RunningEmulator, files: &[&str], deadline: Duration) -> Run {
    run_apply_then(running, files, deadline, |_| {}).await
}

/// Plans, calls `between` (to inject faults that only apply should meet), then applies.
async fn run_apply_then(
    running: &RunningEmulator,
    files: &[&str],
    deadline: Duration,
    between: impl FnOnce(&RunningEmulator),
) -> Run {
    let options = ClientOptions {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    };
    let api = Arc::new(AwsPersonalize::for_endpoint(&running.endpoint_url(), &options));
    let campaigns = campaigns(files);
    let observed = observe(api.clone(), &campaigns, 8).await;
    let (plan, failures) = plan_all(&campaigns, &observed);
    assert!(failures.is_empty(), "{failures:?}");
    between(running);
    let recorder = Arc::new(Recorder::default());
    let (_cancel, cancelled) = watch::channel(false);
    let options = ApplyOptions {
        concurrency: 8,
        poll_interval: Duration::from_millis(50),
        poll_cap: Duration::from_millis(200),
        deadline: Instant::now() + deadline,
        in_use_retries: 3,
    };
    let reports =
        apply(api, campaigns.into_iter().zip(plan.campaigns).collect(), options, recorder.clone(), cancelled)
            .await;
    let events = recorder.0.lock().unwrap().clone();
    Run { results: reports.into_iter().map(|report| report.result).collect(), events }
}

/// Successful write calls, in order.
fn writes(running: &RunningEmulator) -> Vec<LoggedCall> {
    running
        .emulator
        .requests()
        .into_iter()
        .filter(|call| {
            call.error.is_none()
                && !call.operation.starts_with("Describe")
                && !call.operation.starts_with("List")
        })
        .collect()
}

fn operations(calls: &[LoggedCall]) -> Vec<&str> {
    calls.iter().map(|call| call.operation.as_str()).collect()
}

fn describe(running: &RunningEmulator) -> Value {
    running.emulator.call("DescribeCampaign", &json!({ "campaignArn": HOME })).unwrap()["campaign"].clone()
}

fn home(tps: u32, extra: &str) -> String {
    format!("name: home\nsolutionVersionArn: {V1}\nminProvisionedTPS: {tps}\n{extra}")
}

#[tokio::test]
async fn converged_files_make_no_write_call() {
    let running = emulator().await;
    let run = run_apply(&running, &[&home(2, "tags:\n  team: discovery\n")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [CampaignResult::Unchanged]);
    assert!(writes(&running).is_empty());
}

#[tokio::test]
async fn a_tps_change_is_one_complete_update_that_keeps_unmanaged_values() {
    let running = emulator().await;
    let run = run_apply(&running, &[&home(5, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [CampaignResult::Updated]);
    let writes = writes(&running);
    assert_eq!(operations(&writes), ["UpdateCampaign"]);
    assert_eq!(
        writes[0].input,
        json!({
            "campaignArn": HOME,
            "solutionVersionArn": V1,
            "minProvisionedTPS": 5,
            "campaignConfig": {
                "itemExplorationConfig": { "explorationWeight": "0.4" },
                "enableMetadataWithRecommendations": true,
                "syncWithLatestSolutionVersion": false,
                "rankingInfluence": { "FRESHNESS": 0.6 }
            }
        })
    );
    let live = describe(&running);
    assert_eq!(live["minProvisionedTPS"], 5);
    assert_eq!(live["campaignConfig"]["itemExplorationConfig"]["explorationWeight"], "0.4");
    assert_eq!(live["campaignConfig"]["rankingInfluence"]["FRESHNESS"], 0.6);
    // Progress went through the statuses to ACTIVE.
    let statuses: Vec<&str> = run.events.iter().filter_map(|event| event.status.as_deref()).collect();
    assert_eq!(statuses.last(), Some(&"ACTIVE"), "{statuses:?}");
}

#[tokio::test]
async fn a_missing_campaign_is_created_with_its_tags_and_waited_for() {
    let running = emulator().await;
    let file = format!("name: web\nsolutionVersionArn: {V2}\ntags:\n  team: web\n");
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    assert_eq!(run.results, [CampaignResult::Created]);
    let writes = writes(&running);
    assert_eq!(operations(&writes), ["CreateCampaign"]);
    assert_eq!(writes[0].input["tags"], json!([{ "tagKey": "team", "tagValue": "web" }]));
    let web = running
        .emulator
        .call(
            "DescribeCampaign",
            &json!({ "campaignArn": "arn:aws:personalize:us-east-1:111122223333:campaign/web" }),
        )
        .unwrap();
    assert_eq!(web["campaign"]["status"], "ACTIVE");
}

#[tokio::test]
async fn tags_are_added_and_removed_without_an_update() {
    let running = emulator().await;
    let run = run_apply(&running, &[&home(2, "tags:\n  owner: ml\n")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [CampaignResult::Updated]);
    let writes = writes(&running);
    assert_eq!(operations(&writes), ["TagResource", "UntagResource"]);
    assert_eq!(writes[1].input["tagKeys"], json!(["team"]));
    let tags = running.emulator.call("ListTagsForResource", &json!({ "resourceArn": HOME })).unwrap();
    assert_eq!(tags["tags"], json!([{ "tagKey": "owner", "tagValue": "ml" }]));
}

#[tokio::test]
async fn switching_to_latest_and_back() {
    let running = emulator().await;
    let latest = format!(
        "name: home\nsolutionVersionArn: {SOLUTION}/$LATEST\ncampaignConfig:\n  syncWithLatestSolutionVersion: true\n"
    );
    assert_eq!(
        run_apply(&running, &[&latest], Duration::from_secs(30)).await.results,
        [CampaignResult::Updated]
    );
    let live = describe(&running);
    assert_eq!(
        (live["solutionVersionArn"].as_str(), &live["campaignConfig"]["syncWithLatestSolutionVersion"]),
        (Some(V2), &json!(true))
    );
    // Now in sync: nothing more to do.
    assert_eq!(
        run_apply(&running, &[&latest], Duration::from_secs(30)).await.results,
        [CampaignResult::Unchanged]
    );
    // And back to a pinned version, which turns sync off.
    let pinned = format!("name: home\nsolutionVersionArn: {V1}\n");
    assert_eq!(
        run_apply(&running, &[&pinned], Duration::from_secs(30)).await.results,
        [CampaignResult::Updated]
    );
    let live = describe(&running);
    assert_eq!(
        (live["solutionVersionArn"].as_str(), &live["campaignConfig"]["syncWithLatestSolutionVersion"]),
        (Some(V1), &json!(false))
    );
    assert_eq!(operations(&writes(&running)), ["UpdateCampaign", "UpdateCampaign"]);
}

#[tokio::test]
async fn an_in_flight_update_that_matches_is_only_waited_for() {
    let running = emulator().await;
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 4 })).unwrap();
    let run = run_apply(&running, &[&home(4, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [CampaignResult::Unchanged]);
    // Only the update made before apply: apply wrote nothing.
    assert_eq!(writes(&running).len(), 0);
    assert_eq!(describe(&running)["minProvisionedTPS"], 4);
}

#[tokio::test]
async fn an_in_flight_update_that_differs_is_waited_for_then_updated() {
    let running = emulator().await;
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 4 })).unwrap();
    let run = run_apply(&running, &[&home(6, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [CampaignResult::Updated]);
    let writes = writes(&running);
    assert_eq!(operations(&writes), ["UpdateCampaign"]);
    assert_eq!(writes[0].input["minProvisionedTPS"], 6);
    assert_eq!(describe(&running)["minProvisionedTPS"], 6);
}

#[tokio::test]
async fn a_failed_update_is_reported_and_the_other_campaigns_still_apply() {
    let running = emulator().await;
    running.emulator.fail_next_update(HOME, "Insufficient capacity");
    let web = format!("name: web\nsolutionVersionArn: {V2}\n");
    let run = run_apply(&running, &[&home(7, ""), &web], Duration::from_secs(30)).await;
    assert_eq!(
        run.results,
        [
            CampaignResult::Failed { reason: "ended in CREATE FAILED: Insufficient capacity".into() },
            CampaignResult::Created
        ]
    );
    assert_eq!(operations(&writes(&running)), ["UpdateCampaign", "CreateCampaign"]);
}

#[tokio::test]
async fn throttling_and_server_errors_never_cause_a_duplicate_update() {
    let running = emulator().await;
    let run = run_apply_then(&running, &[&home(8, "")], Duration::from_secs(30), |running| {
        running.emulator.inject("UpdateCampaign", Some(2), FaultKind::Throttling);
        // The polls fail for a while (more than the SDK's retries): apply polls again later.
        running.emulator.inject("DescribeCampaign", Some(6), FaultKind::InternalError);
    })
    .await;
    assert!(
        run.events.iter().any(|event| matches!(&event.kind, pz_apply::apply::EventKind::Retrying { reason } if reason.contains("InternalFailure"))),
        "{:#?}",
        run.events
    );
    assert_eq!(run.results, [CampaignResult::Updated], "{:#?}", run.events);
    assert_eq!(operations(&writes(&running)), ["UpdateCampaign"]);
    assert_eq!(describe(&running)["minProvisionedTPS"], 8);
}

#[tokio::test]
async fn an_in_use_race_is_waited_out_without_a_second_update() {
    let running = emulator().await;
    // Someone else's update arrives between our describe and our UpdateCampaign.
    running.emulator.inject(
        "UpdateCampaign",
        Some(1),
        FaultKind::Error { code: "ResourceInUseException".into(), message: "busy".into(), status: 400 },
    );
    let run = run_apply(&running, &[&home(3, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [CampaignResult::Updated]);
    assert_eq!(operations(&writes(&running)), ["UpdateCampaign"]);
}

#[tokio::test]
async fn the_timeout_reports_what_is_still_in_flight() {
    let running = support::start_emulator_timed(seed(), 60.0).await;
    let run = run_apply(&running, &[&home(9, "")], Duration::from_millis(400)).await;
    assert_eq!(run.results, [CampaignResult::TimedOut { status: "CREATE PENDING".into() }]);
    assert_eq!(operations(&writes(&running)), ["UpdateCampaign"]);
}
