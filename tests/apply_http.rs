//! `apply` scenarios over HTTP against pz-emulator, judged by its request log: which write calls were
//! sent, how many, and with what input.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pz_apply::apply::{ApplyEvent, ApplyOptions, ApplySink, ResourceResult, apply};
use pz_apply::live::aws::{AwsPersonalize, ClientOptions};
use pz_apply::plan::{SolutionCache, observe_with, plan_all};
use pz_apply::validate::LoadedResource;
use pz_emulator::{FaultKind, LoggedCall, RunningEmulator};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

const SOLUTION: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs";
const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1";
const V2: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v2";
const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";
const SHOP: &str = "arn:aws:personalize:us-east-1:111122223333:dataset-group/shop";
const FOR_YOU: &str = "arn:aws:personalize:us-east-1:111122223333:recommender/shop-for-you";
const POPULAR: &str = "arn:aws:personalize:us-east-1:111122223333:recommender/shop-popular";
const RECIPE: &str = "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you";
const VIEWS: &str = "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views";

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
        }],
        "datasetGroups": [{ "datasetGroupArn": SHOP, "domain": "ECOMMERCE" }],
        "recommenders": [
            {
                "name": "shop-for-you",
                "datasetGroupArn": SHOP,
                "recipeArn": RECIPE,
                "recommenderConfig": {
                    "minRecommendationRequestsPerSecond": 2,
                    "itemExplorationConfig": { "explorationWeight": "0.4" },
                    "trainingDataConfig": { "excludedDatasetColumns": { "Items": ["PRICE"] } },
                    "enableMetadataWithRecommendations": true
                },
                "tags": { "team": "shop" }
            },
            { "name": "shop-popular", "datasetGroupArn": SHOP, "recipeArn": VIEWS, "status": "INACTIVE" }
        ]
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

fn campaigns(files: &[&str]) -> Vec<LoadedResource> {
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
    results: Vec<ResourceResult>,
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
    Scenario { deadline, ..Scenario::default() }.run(running, files, between).await
}

/// How a scenario runs apply.
struct Scenario {
    deadline: Duration,
    /// Zero stands for "after a confirmation prompt": every campaign is read again before its first write.
    fresh_for: Duration,
    client: ClientOptions,
    /// Set to cancel (as Ctrl-C does) this long after apply starts.
    cancel_after: Option<Duration>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            deadline: Duration::from_secs(30),
            fresh_for: Duration::from_secs(3600),
            client: ClientOptions {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(5),
                ..ClientOptions::default()
            },
            cancel_after: None,
        }
    }
}

impl Scenario {
    async fn run(
        self,
        running: &RunningEmulator,
        files: &[&str],
        between: impl FnOnce(&RunningEmulator),
    ) -> Run {
        let api = Arc::new(AwsPersonalize::for_endpoint(&running.endpoint_url(), &self.client));
        let campaigns = campaigns(files);
        let observed_at = Instant::now();
        let solutions = Arc::new(SolutionCache::default());
        let observed = observe_with(api.clone(), &campaigns, 8, solutions.clone()).await;
        let (plan, failures) = plan_all(&campaigns, observed);
        assert!(failures.is_empty(), "{failures:?}");
        between(running);
        let recorder = Arc::new(Recorder::default());
        let (cancel, cancelled) = watch::channel(false);
        let options = ApplyOptions {
            concurrency: 8,
            poll_interval: Duration::from_millis(50),
            poll_cap: Duration::from_millis(200),
            deadline: Instant::now() + self.deadline,
            in_use_retries: 3,
            observed_at,
            fresh_for: self.fresh_for,
            visibility_grace: Duration::from_secs(5),
            solutions,
        };
        if let Some(after) = self.cancel_after {
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let _ = cancel.send(true);
                // Keep the sender alive until the run is over.
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
        } else {
            std::mem::forget(cancel);
        }
        let reports = apply(
            api,
            campaigns.into_iter().zip(plan.campaigns).collect(),
            options,
            recorder.clone(),
            cancelled,
        )
        .await;
        let events = recorder.0.lock().unwrap().clone();
        Run { results: reports.into_iter().map(|report| report.result).collect(), events }
    }
}

/// Every call of `operation` that reached the server, accepted or refused: its error code, `None` when
/// accepted.
fn calls_of(running: &RunningEmulator, operation: &str) -> Vec<Option<String>> {
    running
        .emulator
        .requests()
        .into_iter()
        .filter(|call| call.operation == operation)
        .map(|call| call.error)
        .collect()
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
    assert_eq!(run.results, [ResourceResult::Unchanged]);
    assert!(writes(&running).is_empty());
}

#[tokio::test]
async fn a_tps_change_is_one_complete_update_that_keeps_unmanaged_values() {
    let running = emulator().await;
    let run = run_apply(&running, &[&home(5, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated]);
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
    // Labelled as the update's, so they do not read as a create.
    assert_eq!(statuses.first(), Some(&"update CREATE PENDING"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"update ACTIVE"), "{statuses:?}");
}

#[tokio::test]
async fn a_missing_campaign_is_created_with_its_tags_and_waited_for() {
    let running = emulator().await;
    let file = format!("name: web\nsolutionVersionArn: {V2}\ntags:\n  team: web\n");
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Created]);
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
    assert_eq!(run.results, [ResourceResult::Updated]);
    let writes = writes(&running);
    // Removals first, so that a rename fits under the 50-tag quota.
    assert_eq!(operations(&writes), ["UntagResource", "TagResource"]);
    assert_eq!(writes[0].input["tagKeys"], json!(["team"]));
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
        [ResourceResult::Updated]
    );
    let live = describe(&running);
    assert_eq!(
        (live["solutionVersionArn"].as_str(), &live["campaignConfig"]["syncWithLatestSolutionVersion"]),
        (Some(V2), &json!(true))
    );
    // Now in sync: nothing more to do.
    assert_eq!(
        run_apply(&running, &[&latest], Duration::from_secs(30)).await.results,
        [ResourceResult::Unchanged]
    );
    // And back to a pinned version, which turns sync off.
    let pinned = format!("name: home\nsolutionVersionArn: {V1}\n");
    assert_eq!(
        run_apply(&running, &[&pinned], Duration::from_secs(30)).await.results,
        [ResourceResult::Updated]
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
    // Reported as what happened: a wait, not "unchanged".
    assert_eq!(run.results, [ResourceResult::Waited]);
    // Only the update made before apply: apply wrote nothing.
    assert_eq!(writes(&running).len(), 0);
    assert_eq!(describe(&running)["minProvisionedTPS"], 4);
}

#[tokio::test]
async fn an_in_flight_update_that_differs_is_waited_for_then_updated() {
    let running = emulator().await;
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 4 })).unwrap();
    let run = run_apply(&running, &[&home(6, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated]);
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
            ResourceResult::Failed {
                reason: "UpdateCampaign ended in CREATE FAILED: Insufficient capacity".into()
            },
            ResourceResult::Created
        ]
    );
    // Our own failed update is reported, never sent again.
    assert_eq!(calls_of(&running, "UpdateCampaign"), [None]);
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
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    // Every UpdateCampaign that reached the server: the two the SDK retried after throttling, then the one
    // accepted. pz-apply itself sent one.
    let throttled = Some("ThrottlingException".to_string());
    assert_eq!(calls_of(&running, "UpdateCampaign"), [throttled.clone(), throttled, None]);
    assert_eq!(describe(&running)["minProvisionedTPS"], 8);
}

#[tokio::test]
async fn an_in_use_race_waits_for_the_other_update_then_sends_ours_once() {
    let running = emulator().await;
    // Someone else's update arrives between our describe and our UpdateCampaign: a real one, in flight,
    // which refuses ours with ResourceInUseException.
    let run = Scenario::default()
        .run(&running, &[&home(3, "")], |running| {
            running
                .emulator
                .call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 4 }))
                .unwrap();
        })
        .await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    assert_eq!(calls_of(&running, "UpdateCampaign"), [Some("ResourceInUseException".to_string()), None]);
    assert_eq!(describe(&running)["minProvisionedTPS"], 3);
}

#[tokio::test]
async fn the_timeout_reports_what_is_still_in_flight() {
    let running = support::start_emulator_timed(seed(), 60.0).await;
    // The deadline comes before the first poll: the accepted update is CREATE PENDING all the same.
    let run = run_apply(&running, &[&home(9, "")], Duration::from_millis(30)).await;
    assert_eq!(run.results, [ResourceResult::TimedOut { status: "update CREATE PENDING".into() }]);
    assert_eq!(operations(&writes(&running)), ["UpdateCampaign"]);
}

#[tokio::test]
async fn a_change_made_while_the_prompt_was_open_is_never_reverted() {
    let running = emulator().await;
    let run = Scenario { fresh_for: Duration::ZERO, ..Scenario::default() }
        .run(&running, &[&home(5, "")], |running| {
            // A colleague changes a field the file does not manage, and it lands, while apply's prompt is open.
            running
                .emulator
                .call(
                    "UpdateCampaign",
                    &json!({ "campaignArn": HOME, "minProvisionedTPS": 2, "campaignConfig": {
                        "syncWithLatestSolutionVersion": false,
                        "enableMetadataWithRecommendations": true,
                        "itemExplorationConfig": { "explorationWeight": "0.9" },
                        "rankingInfluence": { "FRESHNESS": 0.6 }
                    }}),
                )
                .unwrap();
            running.emulator.finish_in_flight();
        })
        .await;
    let ResourceResult::Stale { changed } = &run.results[0] else { panic!("{:?}", run.results) };
    assert!(
        changed.iter().any(|line| line.contains("explorationWeight") && line.contains("0.9")),
        "{changed:?}"
    );
    assert_eq!(calls_of(&running, "UpdateCampaign"), Vec::<Option<String>>::new(), "nothing sent");
    let live = describe(&running);
    assert_eq!(live["campaignConfig"]["itemExplorationConfig"]["explorationWeight"], "0.9");
    assert_eq!(live["minProvisionedTPS"], 2);
}

#[tokio::test]
async fn after_the_prompt_an_unmoved_campaign_is_read_again_then_applied() {
    let running = emulator().await;
    let run = Scenario { fresh_for: Duration::ZERO, ..Scenario::default() }
        .run(&running, &[&home(5, "")], |_| {})
        .await;
    assert_eq!(run.results, [ResourceResult::Updated]);
    let log: Vec<String> = running.emulator.requests().into_iter().map(|call| call.operation).collect();
    // The plan's describe, the describe again before the write, then the write.
    assert_eq!(log[..3], ["DescribeCampaign", "DescribeCampaign", "UpdateCampaign"], "{log:?}");
}

/// A campaign whose latest update failed long ago, with a reason that must never be reported as ours.
async fn emulator_with_an_old_failed_update() -> RunningEmulator {
    let running = emulator().await;
    running.emulator.fail_next_update(HOME, "old failure");
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 3 })).unwrap();
    running.emulator.finish_in_flight();
    running
}

#[tokio::test]
async fn stale_reads_after_an_update_are_not_taken_for_its_result() {
    let running = emulator_with_an_old_failed_update().await;
    let run = run_apply_then(&running, &[&home(5, "")], Duration::from_secs(30), |running| {
        running.emulator.set_stale_reads(3);
    })
    .await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    assert_eq!(calls_of(&running, "UpdateCampaign"), [None], "sent once");
    assert_eq!(describe(&running)["minProvisionedTPS"], 5);
}

#[tokio::test]
async fn stale_reads_after_a_create_are_not_visible_yet_not_missing() {
    let running = emulator().await;
    let web = format!("name: web\nsolutionVersionArn: {V2}\n");
    let run = run_apply_then(&running, &[&web], Duration::from_secs(30), |running| {
        running.emulator.set_stale_reads(3);
    })
    .await;
    assert_eq!(run.results, [ResourceResult::Created], "{:#?}", run.events);
    assert_eq!(calls_of(&running, "CreateCampaign"), [None]);
}

/// The client's attempt gives up after 150 ms, and the emulator answers after 500 ms.
fn impatient_client() -> ClientOptions {
    ClientOptions {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        call_timeout: Duration::from_millis(150),
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_ours() {
    let running = emulator().await;
    let web = format!("name: web\nsolutionVersionArn: {V2}\nminProvisionedTPS: 3\n");
    let run = Scenario { client: impatient_client(), ..Scenario::default() }
        .run(&running, &[&web], |running| {
            running.emulator.inject("CreateCampaign", Some(1), FaultKind::LateAnswer { millis: 500 });
        })
        .await;
    assert_eq!(run.results, [ResourceResult::Created], "{:#?}", run.events);
    // The attempt that landed (its answer lost), then the SDK's retry that met it; pz-apply sent no other.
    assert_eq!(
        calls_of(&running, "CreateCampaign"),
        [None, Some("ResourceAlreadyExistsException".to_string())]
    );
}

#[tokio::test]
async fn an_update_whose_answer_was_lost_is_ours() {
    let running = emulator().await;
    let run = Scenario { client: impatient_client(), ..Scenario::default() }
        .run(&running, &[&home(6, "")], |running| {
            running.emulator.inject("UpdateCampaign", Some(1), FaultKind::LateAnswer { millis: 500 });
        })
        .await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    assert_eq!(calls_of(&running, "UpdateCampaign"), [None, Some("ResourceInUseException".to_string())]);
    assert_eq!(describe(&running)["minProvisionedTPS"], 6);
}

#[tokio::test]
async fn someone_elses_update_that_fails_is_not_our_failure() {
    let running = emulator().await;
    running.emulator.fail_next_update(HOME, "their failure");
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 4 })).unwrap();
    let run = run_apply(&running, &[&home(6, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    let sent = writes(&running);
    assert_eq!(operations(&sent), ["UpdateCampaign"]);
    assert_eq!(sent[0].input["minProvisionedTPS"], 6);
    assert_eq!(describe(&running)["minProvisionedTPS"], 6);
}

/// Tags `arn` with 49 more tags, so that with the file's one it is at AWS's quota of 50; returns them as
/// file lines.
fn forty_nine_more_tags(running: &RunningEmulator, arn: &str) -> String {
    let keys: Vec<Value> = (0..49).map(|n| json!({ "tagKey": format!("k{n}"), "tagValue": "v" })).collect();
    running.emulator.call("TagResource", &json!({ "resourceArn": arn, "tags": keys })).unwrap();
    (0..49).map(|n| format!("  k{n}: v\n")).collect()
}

/// A rename of `team` to `owner` at 50 tags: the removal is sent first, every tag call was accepted.
fn assert_renamed_at_the_quota(running: &RunningEmulator, arn: &str) {
    let tag_calls: Vec<(String, Option<String>)> = running
        .emulator
        .requests()
        .into_iter()
        .filter(|call| call.operation.ends_with("Resource") && call.operation != "ListTagsForResource")
        .map(|call| (call.operation, call.error))
        .collect();
    assert_eq!(tag_calls, [("UntagResource".to_string(), None), ("TagResource".to_string(), None)]);
    let tags = running.emulator.state().tags[arn].clone();
    assert_eq!(tags.len(), 50);
    assert!(tags.contains_key("owner") && !tags.contains_key("team"));
}

#[tokio::test]
async fn a_tag_rename_at_fifty_tags_removes_before_it_adds() {
    let running = emulator().await;
    let others = forty_nine_more_tags(&running, HOME);
    // 50 tags live (team + 49); the file renames team to owner.
    let run = run_apply(
        &running,
        &[&home(2, &format!("tags:\n  owner: discovery\n{others}"))],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    assert_renamed_at_the_quota(&running, HOME);
}

#[tokio::test]
async fn ctrl_c_reaches_a_describe_in_progress() {
    let running = emulator().await;
    let started = std::time::Instant::now();
    let run = Scenario {
        cancel_after: Some(Duration::from_millis(200)),
        fresh_for: Duration::ZERO,
        ..Scenario::default()
    }
    .run(&running, &[&home(5, "")], |running| {
        // The describe before the write hangs for 20 s.
        running.emulator.inject("DescribeCampaign", Some(1), FaultKind::Delay { millis: 20_000 });
    })
    .await;
    assert!(matches!(run.results[0], ResourceResult::Interrupted { .. }), "{:?}", run.results);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(calls_of(&running, "UpdateCampaign"), Vec::<Option<String>>::new());
}

#[tokio::test]
async fn the_poll_that_sees_active_is_the_last_describe() {
    let running = emulator().await;
    let run = run_apply(&running, &[&home(5, "")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated]);
    let log = running.emulator.requests();
    let update = log.iter().find(|call| call.operation == "UpdateCampaign").unwrap().time;
    let after_done: Vec<f64> = log
        .iter()
        .filter(|call| call.operation == "DescribeCampaign" && call.time >= update + 0.3)
        .map(|call| call.time)
        .collect();
    assert_eq!(after_done.len(), 1, "one describe saw ACTIVE, and no second one followed: {after_done:?}");
}

// Recommenders: the same engine, the same guarantees.

fn recommender(name: &str, recipe: &str, extra: &str) -> String {
    format!("kind: Recommender\nname: {name}\ndatasetGroupArn: {SHOP}\nrecipeArn: {recipe}\n{extra}")
}

fn for_you(extra: &str) -> String {
    recommender("shop-for-you", RECIPE, extra)
}

fn describe_recommender(running: &RunningEmulator, arn: &str) -> Value {
    running.emulator.call("DescribeRecommender", &json!({ "recommenderArn": arn })).unwrap()["recommender"]
        .clone()
}

fn rps(rps: u32) -> String {
    format!("recommenderConfig:\n  minRecommendationRequestsPerSecond: {rps}\n")
}

#[tokio::test]
async fn a_converged_recommender_makes_no_write_call() {
    let running = emulator().await;
    let run = run_apply(
        &running,
        &[&for_you(&format!("{}state: ACTIVE\ntags:\n  team: shop\n", rps(2)))],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(run.results, [ResourceResult::Unchanged]);
    assert!(writes(&running).is_empty());
}

#[tokio::test]
async fn a_recommender_update_sends_the_whole_config_with_unmanaged_values_kept() {
    let running = emulator().await;
    let run = run_apply(&running, &[&for_you(&rps(5))], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    let writes = writes(&running);
    assert_eq!(operations(&writes), ["UpdateRecommender"]);
    assert_eq!(
        writes[0].input,
        json!({
            "recommenderArn": FOR_YOU,
            "recommenderConfig": {
                "itemExplorationConfig": { "explorationWeight": "0.4" },
                "minRecommendationRequestsPerSecond": 5,
                "trainingDataConfig": { "excludedDatasetColumns": { "Items": ["PRICE"] } },
                "enableMetadataWithRecommendations": true
            }
        })
    );
    let live = describe_recommender(&running, FOR_YOU);
    assert_eq!(live["recommenderConfig"]["minRecommendationRequestsPerSecond"], 5);
    assert_eq!(
        live["recommenderConfig"]["trainingDataConfig"]["excludedDatasetColumns"]["Items"],
        json!(["PRICE"])
    );
    let statuses: Vec<&str> = run.events.iter().filter_map(|event| event.status.as_deref()).collect();
    assert_eq!(statuses.last(), Some(&"update ACTIVE"), "{statuses:?}");
}

#[tokio::test]
async fn a_missing_recommender_is_created_with_its_tags_and_waited_for() {
    let running = emulator().await;
    let file = recommender(
        "bought-together",
        "arn:aws:personalize:::recipe/aws-ecomm-frequently-bought-together",
        "tags:\n  team: shop\n",
    );
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Created], "{:#?}", run.events);
    let writes = writes(&running);
    assert_eq!(operations(&writes), ["CreateRecommender"]);
    assert_eq!(writes[0].input["tags"], json!([{ "tagKey": "team", "tagValue": "shop" }]));
    let arn = "arn:aws:personalize:us-east-1:111122223333:recommender/bought-together";
    assert_eq!(describe_recommender(&running, arn)["status"], "ACTIVE");
}

#[tokio::test]
async fn a_new_recommender_the_file_wants_stopped_is_created_then_stopped() {
    let running = emulator().await;
    let file = recommender("most-viewed", VIEWS, "state: INACTIVE\n");
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Created], "{:#?}", run.events);
    assert_eq!(operations(&writes(&running)), ["CreateRecommender", "StopRecommender"]);
    let arn = "arn:aws:personalize:us-east-1:111122223333:recommender/most-viewed";
    assert_eq!(describe_recommender(&running, arn)["status"], "INACTIVE");
}

#[tokio::test]
async fn state_stops_and_starts_a_recommender() {
    let running = emulator().await;
    let run = run_apply(&running, &[&for_you("state: INACTIVE\n")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Stopped], "{:#?}", run.events);
    assert_eq!(describe_recommender(&running, FOR_YOU)["status"], "INACTIVE");
    let statuses: Vec<&str> = run.events.iter().filter_map(|event| event.status.as_deref()).collect();
    assert_eq!(statuses.last(), Some(&"INACTIVE"), "{statuses:?}");
    let run = run_apply(&running, &[&for_you("state: ACTIVE\n")], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Started], "{:#?}", run.events);
    assert_eq!(operations(&writes(&running)), ["StopRecommender", "StartRecommender"]);
    assert_eq!(describe_recommender(&running, FOR_YOU)["status"], "ACTIVE");
}

#[tokio::test]
async fn a_stopped_recommender_is_started_before_its_update() {
    let running = emulator().await;
    let file = recommender("shop-popular", VIEWS, &format!("state: ACTIVE\n{}", rps(3)));
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    assert_eq!(operations(&writes(&running)), ["StartRecommender", "UpdateRecommender"]);
    let live = describe_recommender(&running, POPULAR);
    assert_eq!(
        (live["status"].as_str(), live["recommenderConfig"]["minRecommendationRequestsPerSecond"].as_i64()),
        (Some("ACTIVE"), Some(3))
    );
}

#[tokio::test]
async fn a_stopped_recommender_that_should_stay_stopped_is_not_updated() {
    let running = emulator().await;
    let file = recommender("shop-popular", VIEWS, &rps(3));
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    let [ResourceResult::Failed { reason }] = &run.results[..] else { panic!("{:?}", run.results) };
    assert!(reason.contains("stopped (INACTIVE)") && reason.contains("state: ACTIVE"), "{reason}");
    assert!(writes(&running).is_empty());
}

#[tokio::test]
async fn a_replacement_is_refused_unless_the_file_allows_it() {
    let running = emulator().await;
    let file = recommender("shop-for-you", VIEWS, "");
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    let [ResourceResult::Failed { reason }] = &run.results[..] else { panic!("{:?}", run.results) };
    assert!(
        reason.contains("recipeArn cannot change in place") && reason.contains("allowReplacement: true"),
        "{reason}"
    );
    assert!(
        running
            .emulator
            .requests()
            .iter()
            .all(|call| !call.operation.starts_with("Delete") && !call.operation.starts_with("Create"))
    );

    let allowed = recommender("shop-for-you", VIEWS, "allowReplacement: true\n");
    let run = run_apply(&running, &[&allowed], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Replaced], "{:#?}", run.events);
    assert_eq!(operations(&writes(&running)), ["DeleteRecommender", "CreateRecommender"]);
    assert_eq!(describe_recommender(&running, FOR_YOU)["recipeArn"], VIEWS);
}

#[tokio::test]
async fn a_training_column_change_is_one_update() {
    let running = emulator().await;
    let file = for_you(
        "recommenderConfig:\n  trainingDataConfig:\n    excludedDatasetColumns:\n      Items: [PRICE, COLOR]\n",
    );
    let run = run_apply(&running, &[&file], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    let sent = writes(&running);
    assert_eq!(operations(&sent), ["UpdateRecommender"]);
    assert_eq!(
        sent[0].input["recommenderConfig"]["trainingDataConfig"]["excludedDatasetColumns"]["Items"],
        json!(["PRICE", "COLOR"])
    );
    assert_eq!(
        sent[0].input["recommenderConfig"]["minRecommendationRequestsPerSecond"], 2,
        "unmanaged, kept"
    );
}

#[tokio::test]
async fn stale_reads_after_a_recommender_update_are_not_taken_for_its_result() {
    let running = emulator().await;
    running.emulator.fail_next_update(FOR_YOU, "old failure");
    running.emulator.call("UpdateRecommender", &json!({ "recommenderArn": FOR_YOU, "recommenderConfig": { "minRecommendationRequestsPerSecond": 3 } })).unwrap();
    running.emulator.finish_in_flight();
    let run = run_apply_then(&running, &[&for_you(&rps(5))], Duration::from_secs(30), |running| {
        running.emulator.set_stale_reads(3);
    })
    .await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    assert_eq!(calls_of(&running, "UpdateRecommender"), [None], "sent once");
    assert_eq!(
        describe_recommender(&running, FOR_YOU)["recommenderConfig"]["minRecommendationRequestsPerSecond"],
        5
    );
}

#[tokio::test]
async fn stale_reads_after_a_stop_are_not_visible_yet() {
    let running = emulator().await;
    let run =
        run_apply_then(&running, &[&for_you("state: INACTIVE\n")], Duration::from_secs(30), |running| {
            running.emulator.set_stale_reads(3);
        })
        .await;
    assert_eq!(run.results, [ResourceResult::Stopped], "{:#?}", run.events);
    assert_eq!(calls_of(&running, "StopRecommender"), [None]);
}

#[tokio::test]
async fn lost_answers_on_recommender_writes_are_ours() {
    let running = emulator().await;
    let file = recommender(
        "bought-together",
        "arn:aws:personalize:::recipe/aws-ecomm-frequently-bought-together",
        "",
    );
    let run = Scenario { client: impatient_client(), ..Scenario::default() }
        .run(
            &running,
            &[&file, &for_you(&rps(6)), &recommender("shop-popular", VIEWS, "state: ACTIVE\n")],
            |running| {
                for operation in ["CreateRecommender", "UpdateRecommender", "StartRecommender"] {
                    running.emulator.inject(operation, Some(1), FaultKind::LateAnswer { millis: 500 });
                }
            },
        )
        .await;
    assert_eq!(
        run.results,
        [ResourceResult::Created, ResourceResult::Updated, ResourceResult::Started],
        "{:#?}",
        run.events
    );
    // Each: the attempt that landed (its answer lost), then the SDK's retry that met it; nothing else.
    assert_eq!(
        calls_of(&running, "CreateRecommender"),
        [None, Some("ResourceAlreadyExistsException".to_string())]
    );
    assert_eq!(calls_of(&running, "UpdateRecommender"), [None, Some("ResourceInUseException".to_string())]);
    assert_eq!(calls_of(&running, "StartRecommender"), [None, Some("ResourceInUseException".to_string())]);
}

#[tokio::test]
async fn our_recommender_update_that_fails_is_reported_with_its_reason_and_not_resent() {
    let running = emulator().await;
    running.emulator.fail_next_update(FOR_YOU, "Not enough interactions");
    let run = run_apply(&running, &[&for_you(&rps(4))], Duration::from_secs(30)).await;
    let [ResourceResult::Failed { reason }] = &run.results[..] else { panic!("{:?}", run.results) };
    assert_eq!(reason, "UpdateRecommender ended in CREATE FAILED: Not enough interactions");
    assert_eq!(calls_of(&running, "UpdateRecommender"), [None]);
}

#[tokio::test]
async fn someone_elses_recommender_update_that_fails_is_not_our_failure() {
    let running = emulator().await;
    running.emulator.fail_next_update(FOR_YOU, "their failure");
    running.emulator.call("UpdateRecommender", &json!({ "recommenderArn": FOR_YOU, "recommenderConfig": { "minRecommendationRequestsPerSecond": 4 } })).unwrap();
    let run = run_apply(&running, &[&for_you(&rps(6))], Duration::from_secs(30)).await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    let sent = writes(&running);
    assert_eq!(operations(&sent), ["UpdateRecommender"]);
    assert_eq!(sent[0].input["recommenderConfig"]["minRecommendationRequestsPerSecond"], 6);
    // What serves was kept, not what their failed update asked for.
    assert_eq!(sent[0].input["recommenderConfig"]["enableMetadataWithRecommendations"], true);
}

#[tokio::test]
async fn a_recommender_tag_rename_at_fifty_tags_removes_before_it_adds() {
    let running = emulator().await;
    let others = forty_nine_more_tags(&running, FOR_YOU);
    let run =
        run_apply(&running, &[&for_you(&format!("tags:\n  owner: shop\n{others}"))], Duration::from_secs(30))
            .await;
    assert_eq!(run.results, [ResourceResult::Updated], "{:#?}", run.events);
    assert_renamed_at_the_quota(&running, FOR_YOU);
}

#[tokio::test]
async fn campaigns_and_recommenders_apply_together() {
    let running = emulator().await;
    let run = run_apply(
        &running,
        &[&home(5, ""), &for_you(&rps(4)), &recommender("shop-popular", VIEWS, "state: ACTIVE\n")],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(
        run.results,
        [ResourceResult::Updated, ResourceResult::Updated, ResourceResult::Started],
        "{:#?}",
        run.events
    );
    let mut sent: Vec<String> = writes(&running).into_iter().map(|call| call.operation).collect();
    sent.sort();
    assert_eq!(sent, ["StartRecommender", "UpdateCampaign", "UpdateRecommender"]);
    // And now everything matches its file.
    let run = run_apply(
        &running,
        &[&home(5, ""), &for_you(&rps(4)), &recommender("shop-popular", VIEWS, "state: ACTIVE\n")],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(
        run.results,
        [ResourceResult::Unchanged, ResourceResult::Unchanged, ResourceResult::Unchanged]
    );
}

#[tokio::test]
async fn a_tag_change_made_while_the_prompt_was_open_is_never_reverted() {
    let running = emulator().await;
    let run = Scenario { fresh_for: Duration::ZERO, ..Scenario::default() }
        .run(&running, &[&for_you("tags:\n  team: search\n")], |running| {
            // A colleague retags the recommender while apply's prompt is open.
            running
                .emulator
                .call(
                    "TagResource",
                    &json!({ "resourceArn": FOR_YOU, "tags": [{ "tagKey": "owner", "tagValue": "ml" }] }),
                )
                .unwrap();
        })
        .await;
    let [ResourceResult::Stale { changed }] = &run.results[..] else { panic!("{:?}", run.results) };
    assert!(changed.iter().any(|line| line.contains("tags.owner")), "{changed:?}");
    assert!(writes(&running).is_empty(), "nothing sent from the old observation");
}
