//! The emulator driven by AWS's own Rust SDK over HTTP on loopback.

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_personalize::Client;
use aws_sdk_personalize::config::retry::RetryConfig;
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_personalize::error::ProvideErrorMetadata;
use aws_sdk_personalize::types::{CampaignConfig, Tag};
use pz_emulator::{Emulator, EmulatorConfig, FaultKind, RunningEmulator, Seed, Timing};

const SOLUTION: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs";
const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1";
const V2: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v2";
const LATEST: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/$LATEST";
const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";

const SEED: &str = r#"
solutions:
  - solutionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs
    versions: [v1, v2]
campaigns:
  - name: home
    solutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1
    minProvisionedTPS: 2
    campaignConfig:
      enableMetadataWithRecommendations: true
      itemExplorationConfig: { explorationWeight: "0.3", explorationItemAgeCutOff: "30" }
    tags: { team: discovery }
"#;

fn seed_state(yaml: &str) -> pz_emulator::State {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    std::fs::write(&path, yaml).unwrap();
    Seed::from_file(&path).unwrap().to_state(pz_emulator::state::now()).unwrap()
}

/// An emulator whose work never finishes on its own (an hour), so tests move it with `finish_in_flight`.
async fn start() -> RunningEmulator {
    start_with(config(&seed_state(SEED), 3600.0, None)).await
}

/// Work takes `seconds`; state is kept in `state_file` when there is one.
fn config(seed: &pz_emulator::State, seconds: f64, state_file: Option<&std::path::Path>) -> EmulatorConfig {
    EmulatorConfig {
        timing: Timing { transition_seconds: seconds },
        seed: seed.clone(),
        state_file: state_file.map(std::path::Path::to_path_buf),
        stale_reads: 0,
    }
}

async fn start_with(config: EmulatorConfig) -> RunningEmulator {
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Emulator::new(config).unwrap().start(loopback).await.unwrap()
}

fn client(running: &RunningEmulator, attempts: u32) -> Client {
    let config = aws_sdk_personalize::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(running.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "static"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    Client::from_conf(config)
}

fn error_code<E: ProvideErrorMetadata>(error: &aws_sdk_personalize::error::SdkError<E>) -> String {
    error.as_service_error().and_then(|e| e.code()).unwrap_or("not a service error").to_string()
}

#[tokio::test]
async fn describe_returns_the_seeded_campaign() {
    let running = start().await;
    let campaign = client(&running, 1).describe_campaign().campaign_arn(HOME).send().await.unwrap();
    let campaign = campaign.campaign().unwrap();
    assert_eq!(campaign.name(), Some("home"));
    assert_eq!(campaign.status(), Some("ACTIVE"));
    assert_eq!(campaign.solution_version_arn(), Some(V1));
    assert_eq!(campaign.min_provisioned_tps(), Some(2));
    let config = campaign.campaign_config().unwrap();
    assert_eq!(config.enable_metadata_with_recommendations(), Some(true));
    assert_eq!(
        config.item_exploration_config().unwrap().get("explorationWeight").map(String::as_str),
        Some("0.3")
    );
    assert!(campaign.latest_campaign_update().is_none());
    assert!(campaign.creation_date_time().is_some());
}

#[tokio::test]
async fn unknown_campaigns_are_not_found() {
    let running = start().await;
    let error = client(&running, 1)
        .describe_campaign()
        .campaign_arn("arn:aws:personalize:us-east-1:111122223333:campaign/nope")
        .send()
        .await
        .unwrap_err();
    assert!(error.as_service_error().unwrap().is_resource_not_found_exception());
    assert!(error.as_service_error().unwrap().meta().message().unwrap().contains("campaign/nope"));
}

#[tokio::test]
async fn create_goes_through_pending_to_active() {
    let running = start().await;
    let client = client(&running, 1);
    let created = client
        .create_campaign()
        .name("web")
        .solution_version_arn(V2)
        .min_provisioned_tps(3)
        .tags(Tag::builder().tag_key("team").tag_value("web").build().unwrap())
        .send()
        .await
        .unwrap();
    let arn = created.campaign_arn().unwrap();
    assert_eq!(arn, "arn:aws:personalize:us-east-1:111122223333:campaign/web");
    let describe = || client.describe_campaign().campaign_arn(arn).send();
    assert_eq!(describe().await.unwrap().campaign().unwrap().status(), Some("CREATE PENDING"));

    let again = client.create_campaign().name("web").solution_version_arn(V2).send().await.unwrap_err();
    assert_eq!(error_code(&again), "ResourceAlreadyExistsException");

    running.emulator.finish_in_flight();
    assert_eq!(describe().await.unwrap().campaign().unwrap().status(), Some("ACTIVE"));
    let tags = client.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
    assert_eq!(tags.tags()[0].tag_key(), "team");
}

#[tokio::test]
async fn an_update_serves_the_old_values_until_active_and_replaces_the_config_whole() {
    let running = start().await;
    let client = client(&running, 1);
    client
        .update_campaign()
        .campaign_arn(HOME)
        .min_provisioned_tps(5)
        .campaign_config(CampaignConfig::builder().enable_metadata_with_recommendations(false).build())
        .send()
        .await
        .unwrap();
    let during = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    let during = during.campaign().unwrap();
    assert_eq!(during.min_provisioned_tps(), Some(2), "the top level keeps serving the old values");
    let update = during.latest_campaign_update().unwrap();
    assert_eq!((update.status(), update.min_provisioned_tps()), (Some("CREATE PENDING"), Some(5)));

    let busy = client.update_campaign().campaign_arn(HOME).min_provisioned_tps(6).send().await.unwrap_err();
    assert!(busy.as_service_error().unwrap().is_resource_in_use_exception());

    running.emulator.finish_in_flight();
    let after = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    let after = after.campaign().unwrap();
    assert_eq!(after.min_provisioned_tps(), Some(5));
    assert_eq!(after.solution_version_arn(), Some(V1), "an omitted solutionVersionArn keeps its value");
    let config = after.campaign_config().unwrap();
    assert_eq!(config.enable_metadata_with_recommendations(), Some(false));
    assert!(
        config.item_exploration_config().is_none(),
        "a sent campaignConfig replaces the stored one whole"
    );
    assert_eq!(after.latest_campaign_update().unwrap().status(), Some("ACTIVE"));
}

#[tokio::test]
async fn a_forced_failure_leaves_the_campaign_serving_and_updatable() {
    let running = start().await;
    let client = client(&running, 1);
    running.emulator.fail_next_update(HOME, "Insufficient capacity");
    client.update_campaign().campaign_arn(HOME).min_provisioned_tps(9).send().await.unwrap();
    running.emulator.finish_in_flight();
    let campaign = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    let campaign = campaign.campaign().unwrap();
    let update = campaign.latest_campaign_update().unwrap();
    assert_eq!(
        (update.status(), update.failure_reason()),
        (Some("CREATE FAILED"), Some("Insufficient capacity"))
    );
    assert_eq!(campaign.min_provisioned_tps(), Some(2));
    client.update_campaign().campaign_arn(HOME).min_provisioned_tps(9).send().await.unwrap();
}

#[tokio::test]
async fn latest_resolves_to_the_newest_active_version_and_requires_sync() {
    let running = start().await;
    let client = client(&running, 1);
    let error =
        client.update_campaign().campaign_arn(HOME).solution_version_arn(LATEST).send().await.unwrap_err();
    assert!(error.as_service_error().unwrap().is_invalid_input_exception());
    client
        .update_campaign()
        .campaign_arn(HOME)
        .solution_version_arn(LATEST)
        .campaign_config(CampaignConfig::builder().sync_with_latest_solution_version(true).build())
        .send()
        .await
        .unwrap();
    running.emulator.finish_in_flight();
    let campaign = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    assert_eq!(campaign.campaign().unwrap().solution_version_arn(), Some(V2));
    let solution = client.describe_solution().solution_arn(SOLUTION).send().await.unwrap();
    assert_eq!(
        solution.solution().unwrap().latest_solution_version().unwrap().solution_version_arn(),
        Some(V2)
    );
}

#[tokio::test]
async fn invalid_input_lists_every_violation() {
    let running = start().await;
    let error = client(&running, 1)
        .create_campaign()
        .name("-bad")
        .solution_version_arn("nope")
        .min_provisioned_tps(0)
        .send()
        .await
        .unwrap_err();
    let service = error.as_service_error().unwrap();
    assert!(service.is_invalid_input_exception());
    let message = service.meta().message().unwrap();
    assert!(message.starts_with("3 validation errors detected: "), "{message}");
    assert!(message.contains("Value '0' at 'minProvisionedTPS'"), "{message}");
}

#[tokio::test]
async fn list_campaigns_pages_through_everything() {
    let running = start().await;
    let client = client(&running, 1);
    for index in 0..7 {
        client.create_campaign().name(format!("c{index}")).solution_version_arn(V1).send().await.unwrap();
    }
    let pages: Vec<_> = client
        .list_campaigns()
        .max_results(3)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let names: Vec<_> = pages.iter().flat_map(|page| page.campaigns()).filter_map(|c| c.name()).collect();
    assert_eq!(names.len(), 8);
    let error = client.list_campaigns().next_token("garbage").send().await.unwrap_err();
    assert_eq!(error_code(&error), "InvalidNextTokenException");
    let versions =
        client.list_solution_versions().solution_arn(SOLUTION).max_results(1).send().await.unwrap();
    assert_eq!(versions.solution_versions()[0].solution_version_arn(), Some(V2));
    assert!(versions.next_token().is_some());
}

#[tokio::test]
async fn tags_are_added_listed_and_removed() {
    let running = start().await;
    let client = client(&running, 1);
    client
        .tag_resource()
        .resource_arn(HOME)
        .tags(Tag::builder().tag_key("owner").tag_value("ml").build().unwrap())
        .send()
        .await
        .unwrap();
    client.untag_resource().resource_arn(HOME).tag_keys("team").send().await.unwrap();
    let tags = client.list_tags_for_resource().resource_arn(HOME).send().await.unwrap();
    let keys: Vec<_> = tags.tags().iter().map(|tag| tag.tag_key()).collect();
    assert_eq!(keys, ["owner"]);
    let many: Vec<Tag> =
        (0..50).map(|i| Tag::builder().tag_key(format!("k{i}")).tag_value("v").build().unwrap()).collect();
    let error = client.tag_resource().resource_arn(HOME).set_tags(Some(many)).send().await.unwrap_err();
    assert_eq!(error_code(&error), "TooManyTagsException");
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_and_logged() {
    let running = start().await;
    running.emulator.inject("DescribeCampaign", Some(2), FaultKind::Throttling);
    client(&running, 3).describe_campaign().campaign_arn(HOME).send().await.unwrap();
    let log = running.emulator.requests();
    let outcomes: Vec<_> = log.iter().map(|call| call.error.as_deref()).collect();
    assert_eq!(outcomes, [Some("ThrottlingException"), Some("ThrottlingException"), None]);
    assert_eq!(log[2].input["campaignArn"], HOME);
}

#[tokio::test]
async fn internal_errors_surface_once_retries_run_out() {
    let running = start().await;
    running.emulator.inject("*", None, FaultKind::InternalError);
    let error = client(&running, 2).describe_campaign().campaign_arn(HOME).send().await.unwrap_err();
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(running.emulator.requests().len(), 2);
    running.emulator.clear_faults();
    client(&running, 1).describe_campaign().campaign_arn(HOME).send().await.unwrap();
}

#[tokio::test]
async fn state_survives_a_restart_and_in_flight_work_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let config = config(&seed_state(SEED), 0.5, Some(&state_file));
    let running = start_with(config.clone()).await;
    client(&running, 1).update_campaign().campaign_arn(HOME).min_provisioned_tps(7).send().await.unwrap();
    running.stop().await;

    let running = start_with(config).await;
    let client = client(&running, 1);
    let campaign = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    let status = campaign.campaign().unwrap().latest_campaign_update().unwrap().status().unwrap().to_string();
    assert!(status == "CREATE PENDING" || status == "CREATE IN_PROGRESS", "{status}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let campaign = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    assert_eq!(campaign.campaign().unwrap().min_provisioned_tps(), Some(7));
}

#[tokio::test]
async fn deletes_go_through_delete_pending() {
    let running = start().await;
    let client = client(&running, 1);
    client.delete_campaign().campaign_arn(HOME).send().await.unwrap();
    let campaign = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    assert_eq!(campaign.campaign().unwrap().status(), Some("DELETE PENDING"));
    let busy = client.update_campaign().campaign_arn(HOME).min_provisioned_tps(3).send().await.unwrap_err();
    assert_eq!(error_code(&busy), "ResourceInUseException");
    running.emulator.finish_in_flight();
    let gone = client.describe_campaign().campaign_arn(HOME).send().await.unwrap_err();
    assert!(gone.as_service_error().unwrap().is_resource_not_found_exception());
}

#[tokio::test]
async fn stale_reads_answer_as_before_the_write_then_catch_up() {
    let running = start().await;
    running.emulator.set_stale_reads(2);
    let client = client(&running, 1);
    client.update_campaign().campaign_arn(HOME).min_provisioned_tps(5).send().await.unwrap();
    for _ in 0..2 {
        let campaign = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
        assert!(campaign.campaign().unwrap().latest_campaign_update().is_none(), "the old view");
    }
    let campaign = client.describe_campaign().campaign_arn(HOME).send().await.unwrap();
    let update = campaign.campaign().unwrap().latest_campaign_update().unwrap();
    assert_eq!(update.min_provisioned_tps(), Some(5));

    // After a create, "not found" for a while.
    client.create_campaign().name("web").solution_version_arn(V2).send().await.unwrap();
    let web = HOME.replace("/home", "/web");
    for _ in 0..2 {
        let error = client.describe_campaign().campaign_arn(&web).send().await.unwrap_err();
        assert_eq!(error_code(&error), "ResourceNotFoundException");
    }
    let campaign = client.describe_campaign().campaign_arn(&web).send().await.unwrap();
    assert_eq!(campaign.campaign().unwrap().status(), Some("CREATE PENDING"));
    // The truth was there all along.
    assert!(running.emulator.state().campaigns.contains_key(&web));
}

#[tokio::test]
async fn a_late_answer_lands_the_write_and_the_retry_meets_it() {
    let running = start().await;
    running.emulator.inject("UpdateCampaign", Some(1), FaultKind::LateAnswer { millis: 400 });
    // Each attempt gives up after 100 ms; the answer comes after 400 ms.
    let impatient = aws_sdk_personalize::config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(100))
        .build();
    let client =
        Client::from_conf(client(&running, 3).config().to_builder().timeout_config(impatient).build());
    let error = client.update_campaign().campaign_arn(HOME).min_provisioned_tps(6).send().await.unwrap_err();
    assert_eq!(error_code(&error), "ResourceInUseException");
    let updates: Vec<_> =
        running.emulator.requests().into_iter().filter(|call| call.operation == "UpdateCampaign").collect();
    assert_eq!(updates.len(), 2, "the attempt that timed out, then the SDK's retry");
    assert_eq!(updates[0].error, None);
    let update = running.emulator.state().campaigns[HOME].latest_campaign_update.clone().unwrap();
    assert_eq!(update.min_provisioned_tps, 6);
}

#[tokio::test]
async fn a_resource_holds_at_most_fifty_tags_after_the_merge() {
    let running = start().await;
    let client = client(&running, 1);
    let tags = |range: std::ops::Range<u32>| {
        range
            .map(|n| Tag::builder().tag_key(format!("k{n}")).tag_value("v").build().unwrap())
            .collect::<Vec<_>>()
    };
    // The seed has one tag: 49 more reach the quota, one more goes over.
    client.tag_resource().resource_arn(HOME).set_tags(Some(tags(0..49))).send().await.unwrap();
    let error =
        client.tag_resource().resource_arn(HOME).set_tags(Some(tags(49..50))).send().await.unwrap_err();
    assert_eq!(error_code(&error), "TooManyTagsException");
    // Removing first makes room.
    client.untag_resource().resource_arn(HOME).tag_keys("k0").send().await.unwrap();
    client.tag_resource().resource_arn(HOME).set_tags(Some(tags(49..50))).send().await.unwrap();
    assert_eq!(running.emulator.state().tags[HOME].len(), 50);
}

#[tokio::test]
async fn list_campaigns_answers_for_the_region_the_request_was_signed_for() {
    let yaml = format!(
        "{SEED}  - name: dublin\n    solutionVersionArn: arn:aws:personalize:eu-west-1:111122223333:solution/eu/v1\n"
    )
    .replace(
        "campaigns:",
        "  - solutionArn: arn:aws:personalize:eu-west-1:111122223333:solution/eu\n    versions: [v1]\ncampaigns:",
    );
    let running = start_with(config(&seed_state(&yaml), 3600.0, None)).await;
    let names = |region: &'static str| {
        let client =
            Client::from_conf(client(&running, 1).config().to_builder().region(Region::new(region)).build());
        async move {
            let output = client.list_campaigns().send().await.unwrap();
            output.campaigns().iter().map(|c| c.name().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names("us-east-1").await, ["home"]);
    assert_eq!(names("eu-west-1").await, ["dublin"]);
}

#[tokio::test]
async fn concurrent_writes_never_lose_state_in_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let config = config(&seed_state(SEED), 3600.0, Some(&state_file));
    let running = start_with(config.clone()).await;
    let client = client(&running, 1);
    let mut creates = tokio::task::JoinSet::new();
    for n in 0..24 {
        let client = client.clone();
        creates.spawn(async move {
            client.create_campaign().name(format!("c{n}")).solution_version_arn(V1).send().await.unwrap();
        });
    }
    while let Some(done) = creates.join_next().await {
        done.unwrap();
    }
    running.stop().await;
    let saved: pz_emulator::State =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    assert_eq!(saved.campaigns.len(), 25, "{:?}", saved.campaigns.keys());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name != "state.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
