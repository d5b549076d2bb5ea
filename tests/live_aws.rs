//! The live module through the real AWS SDK, over HTTP, against pz-emulator on loopback.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pz_apply::live::aws::{AwsPersonalize, ClientOptions};
use pz_apply::live::{
    CreateCampaignRequest, LiveError, PersonalizeApi, ResourceStatus, ServingConfig, UpdateCampaignRequest,
};
use pz_emulator::{FaultKind, RunningEmulator};

const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1";
const V2: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v2";
const SOLUTION: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs";
const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";

async fn emulator() -> RunningEmulator {
    support::start_emulator(serde_json::json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": ["v1", "v2"] }],
        "campaigns": [{
            "name": "home",
            "solutionVersionArn": V1,
            "minProvisionedTPS": 2,
            "campaignConfig": {
                "itemExplorationConfig": { "explorationWeight": "0.3" },
                "rankingInfluence": { "FRESHNESS": 0.5 }
            },
            "tags": { "team": "discovery" }
        }]
    }))
    .await
}

fn options(attempts: u32) -> ClientOptions {
    ClientOptions {
        max_attempts: attempts,
        initial_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    }
}

fn api(running: &RunningEmulator, options: &ClientOptions) -> AwsPersonalize {
    AwsPersonalize::for_endpoint(&running.endpoint_url(), options)
}

#[tokio::test]
async fn describe_maps_the_campaign_into_our_types() {
    let running = emulator().await;
    let campaign = api(&running, &options(1)).describe_campaign(HOME).await.unwrap().unwrap();
    assert_eq!(campaign.name, "home");
    assert_eq!(campaign.solution_version_arn, V1);
    assert_eq!(campaign.min_provisioned_tps, Some(2));
    assert_eq!(campaign.status, ResourceStatus::Active);
    let config = campaign.config.unwrap();
    assert_eq!(config.item_exploration_config.unwrap()["explorationWeight"], "0.3");
    assert_eq!(config.ranking_influence.unwrap()["FRESHNESS"], 0.5);
    assert_eq!(campaign.latest_update, None);
}

#[tokio::test]
async fn a_missing_campaign_is_none_not_an_error() {
    let running = emulator().await;
    let missing = api(&running, &options(1))
        .describe_campaign("arn:aws:personalize:us-east-1:111122223333:campaign/nope")
        .await
        .unwrap();
    assert_eq!(missing, None);
}

#[tokio::test]
async fn writes_round_trip_through_the_sdk() {
    let running = emulator().await;
    let api = api(&running, &options(1));
    let arn = api
        .create_campaign(&CreateCampaignRequest {
            name: "web".into(),
            solution_version_arn: V2.into(),
            min_provisioned_tps: Some(3),
            config: Some(ServingConfig {
                enable_metadata_with_recommendations: Some(true),
                ..Default::default()
            }),
            tags: BTreeMap::from([("team".into(), "web".into())]),
        })
        .await
        .unwrap();
    assert_eq!(arn, "arn:aws:personalize:us-east-1:111122223333:campaign/web");
    let created = api.describe_campaign(&arn).await.unwrap().unwrap();
    assert_eq!(created.status, ResourceStatus::CreatePending);
    assert!(created.progress().is_in_flight());

    let request = UpdateCampaignRequest {
        campaign_arn: HOME.into(),
        solution_version_arn: V2.into(),
        min_provisioned_tps: 4,
        config: ServingConfig {
            ranking_influence: Some(BTreeMap::from([("POPULARITY".into(), 0.25)])),
            ..Default::default()
        },
    };
    api.update_campaign(&request).await.unwrap();
    let during = api.describe_campaign(HOME).await.unwrap().unwrap();
    let update = during.latest_update.clone().unwrap();
    assert_eq!((update.status, update.min_provisioned_tps), (ResourceStatus::CreatePending, Some(4)));
    assert_eq!(during.min_provisioned_tps, Some(2));

    let busy = api.update_campaign(&request).await.unwrap_err();
    assert!(matches!(busy, LiveError::InUse { .. }), "{busy:?}");

    running.emulator.finish_in_flight();
    let after = api.describe_campaign(HOME).await.unwrap().unwrap();
    assert_eq!((after.solution_version_arn.as_str(), after.min_provisioned_tps), (V2, Some(4)));
    assert_eq!(after.config.unwrap().ranking_influence.unwrap()["POPULARITY"], 0.25);

    api.tag_resource(HOME, &BTreeMap::from([("owner".into(), "ml".into())])).await.unwrap();
    api.untag_resource(HOME, &["team".into()]).await.unwrap();
    assert_eq!(api.list_tags(HOME).await.unwrap(), BTreeMap::from([("owner".into(), "ml".into())]));
    let latest = api.latest_solution_version(SOLUTION).await.unwrap().unwrap();
    assert_eq!((latest.arn.as_str(), latest.status.as_str()), (V2, "ACTIVE"));

    // What was sent on the wire is the complete request, as the AWS API names its members.
    let log = running.emulator.requests();
    let sent = log.iter().find(|call| call.operation == "UpdateCampaign").unwrap();
    assert_eq!(
        sent.input,
        serde_json::json!({
            "campaignArn": HOME,
            "solutionVersionArn": V2,
            "minProvisionedTPS": 4,
            "campaignConfig": { "rankingInfluence": { "POPULARITY": 0.25 } }
        })
    );
}

#[tokio::test]
async fn invalid_input_carries_aws_message() {
    let running = emulator().await;
    let error = api(&running, &options(1))
        .create_campaign(&CreateCampaignRequest {
            name: "-bad".into(),
            solution_version_arn: V1.into(),
            min_provisioned_tps: None,
            config: None,
            tags: BTreeMap::new(),
        })
        .await
        .unwrap_err();
    match error {
        LiveError::InvalidInput { message } => {
            assert!(message.contains("Value '-bad' at 'name'"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn throttling_is_absorbed_by_retries() {
    let running = emulator().await;
    running.emulator.inject("DescribeCampaign", Some(2), FaultKind::Throttling);
    let campaign = api(&running, &options(3)).describe_campaign(HOME).await.unwrap();
    assert!(campaign.is_some());
    assert_eq!(running.emulator.requests().len(), 3);
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_reported_as_such() {
    let running = emulator().await;
    running.emulator.inject("*", None, FaultKind::Throttling);
    let error = api(&running, &options(3)).describe_campaign(HOME).await.unwrap_err();
    assert!(
        matches!(&error, LiveError::Throttled { code, .. } if code == "ThrottlingException"),
        "{error:?}"
    );
    assert!(error.to_string().contains("lower --concurrency"));
    assert_eq!(running.emulator.requests().len(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_with_code_and_request_id() {
    let running = emulator().await;
    running.emulator.inject("*", None, FaultKind::InternalError);
    let error = api(&running, &options(2)).describe_campaign(HOME).await.unwrap_err();
    match &error {
        LiveError::Service { code, request_id, .. } => {
            assert_eq!(code, "InternalFailure");
            assert_eq!(request_id.len(), 36, "{request_id}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(running.emulator.requests().len(), 2);
}

#[tokio::test]
async fn a_limit_exceeded_error_says_it_is_probably_a_quota() {
    let running = emulator().await;
    running.emulator.inject(
        "CreateCampaign",
        None,
        FaultKind::Error {
            code: "LimitExceededException".into(),
            message: "Too many campaigns".into(),
            status: 400,
        },
    );
    let error = api(&running, &options(1))
        .create_campaign(&CreateCampaignRequest {
            name: "x".into(),
            solution_version_arn: V1.into(),
            min_provisioned_tps: None,
            config: None,
            tags: BTreeMap::new(),
        })
        .await
        .unwrap_err();
    assert!(matches!(error, LiveError::LimitExceeded { .. }));
    assert!(error.to_string().contains("quota"));
}

#[tokio::test]
async fn slow_responses_hit_the_call_timeout() {
    let running = emulator().await;
    running.emulator.inject("DescribeCampaign", None, FaultKind::Delay { millis: 3000 });
    let options = ClientOptions { call_timeout: Duration::from_millis(200), ..options(1) };
    let started = Instant::now();
    let error = api(&running, &options).describe_campaign(HOME).await.unwrap_err();
    assert!(matches!(error, LiveError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_refused_connection_names_the_endpoint_at_once() {
    // Bind and drop a listener to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // Five attempts with a second's backoff would take seconds if a refused connection were retried.
    let options = ClientOptions { initial_backoff: Duration::from_secs(1), ..options(5) };
    let api = AwsPersonalize::for_endpoint(&format!("http://127.0.0.1:{port}"), &options);
    let started = Instant::now();
    let error = api.describe_campaign(HOME).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    assert_eq!(error.to_string(), format!("cannot connect to http://127.0.0.1:{port}: connection refused"));
    // Nothing left, so nothing can have landed: a write that failed so is not waited for.
    assert!(!error.answer_may_be_lost());
}

#[tokio::test]
async fn credentials_never_appear_in_errors() {
    let running = emulator().await;
    running.emulator.inject("*", None, FaultKind::InternalError);
    let api = api(&running, &options(1));
    let error = api.describe_campaign(HOME).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("pz-apply-local"), "{shown}");
    let log = serde_json::to_string(&running.emulator.requests()).unwrap();
    assert!(!log.contains("pz-apply-local"));
}

#[tokio::test]
async fn solution_versions_and_their_metrics_through_the_sdk() {
    let models = "arn:aws:personalize:us-east-1:111122223333:solution/models";
    let running = support::start_emulator(serde_json::json!({
        "solutions": [{ "solutionArn": models, "versions": [
            { "id": "m1", "trainingHours": 2.5, "metrics": { "coverage": 0.21, "precision_at_25": 0.041 } },
            { "id": "m2", "trainingMode": "UPDATE", "metrics": { "coverage": 0.2 } },
            { "id": "m3", "status": "CREATE IN_PROGRESS" },
            { "id": "m4", "status": "CREATE FAILED", "failureReason": "Not enough interactions" }
        ]}]
    }))
    .await;
    let api = api(&running, &options(1));
    let m1 = api.describe_solution_version(&format!("{models}/m1")).await.unwrap().unwrap();
    assert_eq!(
        (m1.status.as_str(), m1.training_mode.as_deref(), m1.training_hours),
        ("ACTIVE", Some("FULL"), Some(2.5))
    );
    assert!(m1.created_at.is_some() && m1.failure_reason.is_none());
    let m4 = api.describe_solution_version(&format!("{models}/m4")).await.unwrap().unwrap();
    assert_eq!(
        (m4.status.as_str(), m4.failure_reason.as_deref()),
        ("CREATE FAILED", Some("Not enough interactions"))
    );
    assert_eq!(api.describe_solution_version(&format!("{models}/nope")).await.unwrap(), None);

    let metrics = api.solution_metrics(&format!("{models}/m1")).await.unwrap();
    assert_eq!(
        metrics,
        BTreeMap::from([("coverage".to_string(), 0.21), ("precision_at_25".to_string(), 0.041)])
    );
    let training = api.solution_metrics(&format!("{models}/m3")).await.unwrap_err();
    assert!(matches!(training, LiveError::InUse { .. }), "{training:?}");
    // $LATEST deploys the newest ACTIVE version: m2, not the newer m3 still training or m4 that failed.
    assert_eq!(
        api.newest_active_version(models).await.unwrap().as_deref(),
        Some(format!("{models}/m2").as_str())
    );
}
