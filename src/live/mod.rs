//! The live side: what a campaign looks like in AWS now, and the calls that change it.
//!
//! Everything past this module sees only these types. [`PersonalizeApi`] is the seam: [`aws::AwsPersonalize`]
//! talks to AWS (or to pz-emulator) through the AWS SDK, [`fake::FakePersonalize`] keeps campaigns in memory
//! for unit tests.

pub mod aws;
pub mod fake;

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

    /// A create, update or delete is still running.
    pub fn is_in_flight(&self) -> bool {
        !self.status.is_finished()
            || self.latest_update.as_ref().is_some_and(|update| !update.status.is_finished())
    }
}

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

/// UpdateCampaign's input, always complete: nothing is left for AWS to merge or default.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateCampaignRequest {
    pub campaign_arn: String,
    pub solution_version_arn: String,
    pub min_provisioned_tps: i32,
    pub config: ServingConfig,
}

/// A failed call, classified by the API's error code (never by HTTP status).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    #[error("not found: {message}")]
    NotFound { message: String },
    #[error("in use (another operation is in flight): {message}")]
    InUse { message: String },
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
    #[error("{0}")]
    Setup(String),
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
    /// The ARN of the newest solution version, the one `$LATEST` serves.
    fn latest_solution_version(
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

/// Runs `call` for every item, at most `concurrency` at a time; the results come in the order of `items`.
pub async fn map_concurrently<I, T, F, Fut>(
    items: Vec<I>,
    concurrency: usize,
    call: F,
) -> Vec<Result<T, LiveError>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, LiveError>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let call = Arc::new(call);
    let mut tasks = JoinSet::new();
    let count = items.len();
    for (index, item) in items.into_iter().enumerate() {
        let (permits, call) = (permits.clone(), call.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (index, call(item).await)
        });
    }
    let mut results: Vec<Option<Result<T, LiveError>>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, result)) => results[index] = Some(result),
            Err(error) => tracing::error!(%error, "a task calling AWS ended abnormally"),
        }
    }
    results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(LiveError::Setup("the call was cancelled".to_string()))))
        .collect()
}

/// Describes every campaign in `arns`, at most `concurrency` at a time, results in the order of `arns`.
pub async fn describe_many<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    arns: &[String],
    concurrency: usize,
) -> Vec<Result<Option<LiveCampaign>, LiveError>> {
    map_concurrently(arns.to_vec(), concurrency, move |arn| {
        let api = api.clone();
        async move { api.describe_campaign(&arn).await }
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
        });
        assert!(campaign.is_in_flight());
        assert_eq!(campaign.effective_status().as_str(), "UPDATE IN_PROGRESS");
    }
}
