//! The live side: what a campaign looks like in AWS now, and the calls that change it.
//!
//! Everything past this module sees only these types. [`PersonalizeApi`] is the seam: [`aws::AwsPersonalize`]
//! talks to AWS (or to pz-emulator) through the AWS SDK, [`fake::FakePersonalize`] keeps campaigns in memory
//! for unit tests.

pub mod aws;
pub mod fake;
mod profiles;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A campaign's status. The API's status is a free string, so anything unknown is kept and treated as
/// "not finished" rather than rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignStatus {
    Active,
    CreatePending,
    CreateInProgress,
    CreateFailed,
    DeletePending,
    DeleteInProgress,
    Other(String),
}

impl CampaignStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "ACTIVE" => CampaignStatus::Active,
            "CREATE PENDING" => CampaignStatus::CreatePending,
            "CREATE IN_PROGRESS" => CampaignStatus::CreateInProgress,
            "CREATE FAILED" => CampaignStatus::CreateFailed,
            "DELETE PENDING" => CampaignStatus::DeletePending,
            "DELETE IN_PROGRESS" => CampaignStatus::DeleteInProgress,
            other => CampaignStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            CampaignStatus::Active => "ACTIVE",
            CampaignStatus::CreatePending => "CREATE PENDING",
            CampaignStatus::CreateInProgress => "CREATE IN_PROGRESS",
            CampaignStatus::CreateFailed => "CREATE FAILED",
            CampaignStatus::DeletePending => "DELETE PENDING",
            CampaignStatus::DeleteInProgress => "DELETE IN_PROGRESS",
            CampaignStatus::Other(text) => text,
        }
    }

    /// ACTIVE or CREATE FAILED: nothing more will happen without a new request. Every other status,
    /// including ones this version does not know (`UPDATE IN_PROGRESS` appears in AWS's own fixtures),
    /// means "still going".
    pub fn is_finished(&self) -> bool {
        matches!(self, CampaignStatus::Active | CampaignStatus::CreateFailed)
    }

    pub fn is_deleting(&self) -> bool {
        matches!(self, CampaignStatus::DeletePending | CampaignStatus::DeleteInProgress)
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CampaignConfig as the API reports or takes it. `None` is "not present".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServingConfig {
    /// Exploration settings as strings, as the API stores them.
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    pub enable_metadata_with_recommendations: Option<bool>,
    pub sync_with_latest_solution_version: Option<bool>,
    /// `POPULARITY` / `FRESHNESS` -> weight.
    pub ranking_influence: Option<BTreeMap<String, f64>>,
}

impl ServingConfig {
    /// The config as the AWS API names its members, present members only.
    pub fn to_json(&self) -> serde_json::Value {
        let mut document = serde_json::Map::new();
        if let Some(exploration) = &self.item_exploration_config {
            document.insert("itemExplorationConfig".into(), serde_json::json!(exploration));
        }
        if let Some(metadata) = self.enable_metadata_with_recommendations {
            document.insert("enableMetadataWithRecommendations".into(), serde_json::json!(metadata));
        }
        if let Some(sync) = self.sync_with_latest_solution_version {
            document.insert("syncWithLatestSolutionVersion".into(), serde_json::json!(sync));
        }
        if let Some(ranking) = &self.ranking_influence {
            document.insert("rankingInfluence".into(), serde_json::json!(ranking));
        }
        serde_json::Value::Object(document)
    }
}

/// The latest UpdateCampaign: what it asked for and how it is going.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveCampaignUpdate {
    pub solution_version_arn: Option<String>,
    pub min_provisioned_tps: Option<i32>,
    pub config: Option<ServingConfig>,
    pub status: CampaignStatus,
    pub failure_reason: Option<String>,
    /// When AWS accepted this update, in seconds since the epoch: what tells one update from the next.
    pub created_at: Option<f64>,
    pub last_updated_at: Option<f64>,
}

impl LiveCampaignUpdate {
    /// Whether this is a later update than the one `previous` describes (`None`: there was none). Only
    /// AWS's own timestamps are compared, so the local clock does not matter.
    pub fn is_newer_than(&self, previous: Option<&UpdateStamp>) -> bool {
        match (previous, self.created_at) {
            (None, _) => true,
            (Some(previous), Some(created)) => previous.created_at.is_none_or(|before| created > before),
            // Without a timestamp nothing tells the two apart: treat it as the old one.
            (Some(_), None) => false,
        }
    }

    pub fn stamp(&self) -> UpdateStamp {
        UpdateStamp { created_at: self.created_at }
    }
}

/// Identifies one UpdateCampaign among a campaign's updates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateStamp {
    pub created_at: Option<f64>,
}

/// A campaign as DescribeCampaign reports it. The top-level fields are what serves now; an update in
/// flight lives in `latest_update` until it is ACTIVE.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveCampaign {
    pub name: String,
    pub arn: String,
    pub solution_version_arn: String,
    pub min_provisioned_tps: Option<i32>,
    pub config: Option<ServingConfig>,
    pub status: CampaignStatus,
    pub failure_reason: Option<String>,
    pub latest_update: Option<LiveCampaignUpdate>,
}

impl LiveCampaign {
    /// The status to wait on: the latest update's if there is one, else the campaign's.
    pub fn effective_status(&self) -> &CampaignStatus {
        self.latest_update.as_ref().map_or(&self.status, |update| &update.status)
    }

    /// The latest update, while it is still running.
    pub fn update_in_flight(&self) -> Option<&LiveCampaignUpdate> {
        self.latest_update.as_ref().filter(|update| !update.status.is_finished())
    }

    /// A create, update or delete is still running: the one definition of "not finished".
    pub fn is_in_flight(&self) -> bool {
        !self.status.is_finished() || self.update_in_flight().is_some()
    }

    /// The status as progress shows it: an update's statuses are labelled as the update's, so that
    /// `update CREATE PENDING` does not read as the campaign's creation.
    pub fn status_label(&self) -> String {
        match &self.latest_update {
            Some(update) if self.status.is_finished() => format!("update {}", update.status),
            _ => self.status.to_string(),
        }
    }
}

/// A solution version as DescribeSolution reports its newest.
#[derive(Debug, Clone, PartialEq)]
pub struct SolutionVersionSummary {
    pub arn: String,
    pub status: CampaignStatus,
}

/// A solution version as DescribeSolutionVersion reports it: whether it can serve, and how it was trained.
#[derive(Debug, Clone, PartialEq)]
pub struct SolutionVersionDetail {
    pub arn: String,
    /// The solution the version belongs to, as AWS reports it.
    pub solution_arn: Option<String>,
    /// ACTIVE, CREATE PENDING, CREATE IN_PROGRESS, CREATE FAILED, CREATE STOPPING, CREATE STOPPED, or
    /// whatever AWS adds; only ACTIVE can be deployed.
    pub status: String,
    pub failure_reason: Option<String>,
    /// FULL, UPDATE or AUTOTRAIN.
    pub training_mode: Option<String>,
    pub training_hours: Option<f64>,
    /// Seconds since the epoch.
    pub created_at: Option<f64>,
}

impl SolutionVersionDetail {
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// A version's offline metrics by AWS's names; a metric the recipe does not report is absent.
pub type SolutionMetrics = BTreeMap<String, f64>;

/// A campaign as ListCampaigns reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSummary {
    pub name: String,
    pub arn: String,
    pub status: CampaignStatus,
}

/// CreateCampaign's input.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCampaignRequest {
    pub name: String,
    pub solution_version_arn: String,
    pub min_provisioned_tps: Option<i32>,
    pub config: Option<ServingConfig>,
    pub tags: BTreeMap<String, String>,
}

impl CreateCampaignRequest {
    /// The request exactly as the AWS API names its members.
    pub fn to_wire(&self) -> serde_json::Value {
        let mut document =
            serde_json::json!({ "name": self.name, "solutionVersionArn": self.solution_version_arn });
        if let Some(tps) = self.min_provisioned_tps {
            document["minProvisionedTPS"] = serde_json::json!(tps);
        }
        if let Some(config) = &self.config {
            document["campaignConfig"] = config.to_json();
        }
        if !self.tags.is_empty() {
            document["tags"] = tags_to_wire(&self.tags);
        }
        document
    }
}

/// Tags as TagResource and CreateCampaign take them: `[{tagKey, tagValue}]`.
pub fn tags_to_wire(tags: &BTreeMap<String, String>) -> serde_json::Value {
    tags.iter()
        .map(|(key, value)| serde_json::json!({ "tagKey": key, "tagValue": value }))
        .collect::<Vec<_>>()
        .into()
}

/// UpdateCampaign's input, always complete: nothing is left for AWS to merge or default.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateCampaignRequest {
    pub campaign_arn: String,
    pub solution_version_arn: String,
    pub min_provisioned_tps: i32,
    pub config: ServingConfig,
}

impl UpdateCampaignRequest {
    /// The request exactly as the AWS API names its members.
    pub fn to_wire(&self) -> serde_json::Value {
        serde_json::json!({
            "campaignArn": self.campaign_arn,
            "solutionVersionArn": self.solution_version_arn,
            "minProvisionedTPS": self.min_provisioned_tps,
            "campaignConfig": self.config.to_json(),
        })
    }
}

/// A failed call, classified by the API's error code (never by HTTP status).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    #[error("not found: {message}")]
    NotFound { message: String },
    #[error("in use (another operation is in flight): {message}")]
    InUse { message: String },
    #[error("already exists: {message}")]
    AlreadyExists { message: String },
    #[error("too many tags (a resource holds at most 50): {message}")]
    TooManyTags { message: String },
    #[error("rejected by AWS as invalid input: {message}")]
    InvalidInput { message: String },
    #[error("throttled by AWS ({code}) after all retries: {message}; lower --concurrency or retry later")]
    Throttled { code: String, message: String },
    #[error(
        "AWS refused: {message} (LimitExceededException; usually a quota such as 5 active campaigns per dataset \
         group, which Service Quotas can raise)"
    )]
    LimitExceeded { message: String },
    #[error("{code}: {message} (request id {request_id})")]
    Service { code: String, message: String, request_id: String },
    #[error("no response in time: {detail}")]
    Timeout { detail: String },
    #[error("cannot reach the Personalize endpoint: {detail}")]
    Connection { detail: String },
    /// No connection could be made, so no request left: the same for every campaign of the run.
    #[error("cannot connect to {endpoint}: {cause}")]
    Unreachable { endpoint: String, cause: String },
    #[error("{0}")]
    Setup(String),
}

impl LiveError {
    /// A write that failed this way may still have landed: the answer, not the call, was lost.
    pub fn answer_may_be_lost(&self) -> bool {
        matches!(self, LiveError::Timeout { .. } | LiveError::Connection { .. })
    }
}

/// The calls pz-apply makes. The trait is the seam between the engine and AWS.
pub trait PersonalizeApi: Send + Sync {
    /// `Ok(None)` when the campaign does not exist.
    fn describe_campaign(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<LiveCampaign>, LiveError>> + Send;
    fn list_tags(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, LiveError>> + Send;
    /// The solution's newest version and its status (DescribeSolution's `latestSolutionVersion`).
    fn latest_solution_version(
        &self,
        solution_arn: &str,
    ) -> impl Future<Output = Result<Option<SolutionVersionSummary>, LiveError>> + Send;
    /// `Ok(None)` when the version does not exist.
    fn describe_solution_version(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<SolutionVersionDetail>, LiveError>> + Send;
    /// GetSolutionMetrics: only an ACTIVE version has them.
    fn solution_metrics(&self, arn: &str) -> impl Future<Output = Result<SolutionMetrics, LiveError>> + Send;
    /// The newest ACTIVE version of the solution (what `$LATEST` deploys), from every page of
    /// ListSolutionVersions; `Ok(None)` when it has none.
    fn newest_active_version(
        &self,
        solution_arn: &str,
    ) -> impl Future<Output = Result<Option<String>, LiveError>> + Send;
    /// Returns the new campaign's ARN.
    fn create_campaign(
        &self,
        request: &CreateCampaignRequest,
    ) -> impl Future<Output = Result<String, LiveError>> + Send;
    fn update_campaign(
        &self,
        request: &UpdateCampaignRequest,
    ) -> impl Future<Output = Result<(), LiveError>> + Send;
    fn tag_resource(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), LiveError>> + Send;
    fn untag_resource(
        &self,
        arn: &str,
        keys: &[String],
    ) -> impl Future<Output = Result<(), LiveError>> + Send;
    /// Every campaign in `region` (the configured one when `None`), or only those of `solution_arn`, all
    /// pages.
    fn list_campaigns(
        &self,
        region: Option<&str>,
        solution_arn: Option<&str>,
    ) -> impl Future<Output = Result<Vec<CampaignSummary>, LiveError>> + Send;
}

/// Places for calls to AWS: a call holds one while it runs, never while its task sleeps (a pause after
/// throttling, a wait between polls), so that sleeping tasks never hold the others up.
#[derive(Debug, Clone)]
pub struct CallSlots(Arc<Semaphore>);

impl CallSlots {
    pub fn new(concurrency: usize) -> Self {
        CallSlots(Arc::new(Semaphore::new(concurrency.max(1))))
    }

    /// Runs `call` in a slot, waiting for one first.
    pub async fn call<T>(&self, call: impl Future<Output = T>) -> T {
        let _slot = self.0.acquire().await;
        call.await
    }
}

/// Runs `call` for every item, at most `concurrency` calls to AWS at a time (each call takes a slot from
/// the [`CallSlots`] it is given); the results come in the order of `items`.
pub async fn map_concurrently<I, T, F, Fut>(
    items: Vec<I>,
    concurrency: usize,
    call: F,
) -> Vec<Result<T, LiveError>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I, CallSlots) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, LiveError>> + Send + 'static,
{
    let slots = CallSlots::new(concurrency);
    let call = Arc::new(call);
    let mut tasks = JoinSet::new();
    let count = items.len();
    // Twice the slots in tasks: one may pause while another calls, yet memory still follows the
    // concurrency, not the number of items.
    let limit = concurrency.max(1) * 2;
    let mut results: Vec<Option<Result<T, LiveError>>> = (0..count).map(|_| None).collect();
    let mut pending = items.into_iter().enumerate();
    // At most `limit` tasks exist at once: memory follows the concurrency, not the number of items.
    loop {
        while tasks.len() < limit {
            let Some((index, item)) = pending.next() else { break };
            let (slots, call) = (slots.clone(), call.clone());
            tasks.spawn(async move { (index, call(item, slots).await) });
        }
        let Some(joined) = tasks.join_next().await else { break };
        match joined {
            Ok((index, result)) => results[index] = Some(result),
            Err(error) => tracing::error!(%error, "a task calling AWS ended abnormally"),
        }
    }
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| Err(LiveError::Setup("the call ended abnormally (a bug)".to_string())))
        })
        .collect()
}

/// Describes every campaign in `arns`, at most `concurrency` at a time, results in the order of `arns`.
pub async fn describe_many<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    arns: &[String],
    concurrency: usize,
) -> Vec<Result<Option<LiveCampaign>, LiveError>> {
    map_concurrently(arns.to_vec(), concurrency, move |arn, slots| {
        let api = api.clone();
        async move { slots.call(api.describe_campaign(&arn)).await }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_unfinished() {
        for text in [
            "ACTIVE",
            "CREATE PENDING",
            "CREATE IN_PROGRESS",
            "CREATE FAILED",
            "DELETE PENDING",
            "DELETE IN_PROGRESS",
        ] {
            assert_eq!(CampaignStatus::parse(text).as_str(), text);
        }
        assert!(CampaignStatus::parse("ACTIVE").is_finished());
        assert!(CampaignStatus::parse("CREATE FAILED").is_finished());
        let unknown = CampaignStatus::parse("UPDATE IN_PROGRESS");
        assert_eq!(unknown, CampaignStatus::Other("UPDATE IN_PROGRESS".into()));
        assert!(!unknown.is_finished());
        assert!(CampaignStatus::parse("DELETE PENDING").is_deleting());
    }

    #[test]
    fn the_latest_update_decides_what_is_in_flight() {
        let mut campaign = LiveCampaign {
            name: "c".into(),
            arn: "arn".into(),
            solution_version_arn: "v".into(),
            min_provisioned_tps: Some(1),
            config: None,
            status: CampaignStatus::Active,
            failure_reason: None,
            latest_update: None,
        };
        assert!(!campaign.is_in_flight());
        campaign.latest_update = Some(LiveCampaignUpdate {
            solution_version_arn: None,
            min_provisioned_tps: Some(2),
            config: None,
            status: CampaignStatus::Other("UPDATE IN_PROGRESS".into()),
            failure_reason: None,
            created_at: Some(10.0),
            last_updated_at: Some(10.0),
        });
        assert!(campaign.is_in_flight());
        assert_eq!(campaign.effective_status().as_str(), "UPDATE IN_PROGRESS");
    }
}
