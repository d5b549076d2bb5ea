//! The live side: what a campaign or a recommender looks like in AWS now, and the calls that change it.
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

/// A campaign's or recommender's status (or its latest update's). The API's status is a free string, so
/// anything unknown is kept and treated as "not finished" rather than rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceStatus {
    Active,
    CreatePending,
    CreateInProgress,
    CreateFailed,
    DeletePending,
    DeleteInProgress,
    StopPending,
    StopInProgress,
    /// A stopped recommender.
    Inactive,
    StartPending,
    StartInProgress,
    Other(String),
}

impl ResourceStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "ACTIVE" => ResourceStatus::Active,
            "CREATE PENDING" => ResourceStatus::CreatePending,
            "CREATE IN_PROGRESS" => ResourceStatus::CreateInProgress,
            "CREATE FAILED" => ResourceStatus::CreateFailed,
            "DELETE PENDING" => ResourceStatus::DeletePending,
            "DELETE IN_PROGRESS" => ResourceStatus::DeleteInProgress,
            "STOP PENDING" => ResourceStatus::StopPending,
            "STOP IN_PROGRESS" => ResourceStatus::StopInProgress,
            "INACTIVE" => ResourceStatus::Inactive,
            "START PENDING" => ResourceStatus::StartPending,
            "START IN_PROGRESS" => ResourceStatus::StartInProgress,
            other => ResourceStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ResourceStatus::Active => "ACTIVE",
            ResourceStatus::CreatePending => "CREATE PENDING",
            ResourceStatus::CreateInProgress => "CREATE IN_PROGRESS",
            ResourceStatus::CreateFailed => "CREATE FAILED",
            ResourceStatus::DeletePending => "DELETE PENDING",
            ResourceStatus::DeleteInProgress => "DELETE IN_PROGRESS",
            ResourceStatus::StopPending => "STOP PENDING",
            ResourceStatus::StopInProgress => "STOP IN_PROGRESS",
            ResourceStatus::Inactive => "INACTIVE",
            ResourceStatus::StartPending => "START PENDING",
            ResourceStatus::StartInProgress => "START IN_PROGRESS",
            ResourceStatus::Other(text) => text,
        }
    }

    /// ACTIVE, CREATE FAILED or INACTIVE (a stopped recommender): nothing more will happen without a new
    /// request. Every other status, including ones this version does not know (`UPDATE IN_PROGRESS`
    /// appears in AWS's own fixtures), means "still going".
    pub fn is_finished(&self) -> bool {
        matches!(self, ResourceStatus::Active | ResourceStatus::CreateFailed | ResourceStatus::Inactive)
    }

    pub fn is_deleting(&self) -> bool {
        matches!(self, ResourceStatus::DeletePending | ResourceStatus::DeleteInProgress)
    }
}

impl fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a resource is in its lifecycle: its status and its latest update's. The one definition of "in
/// flight", of the status to wait on and of how progress labels it, for every kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress<'a> {
    pub status: &'a ResourceStatus,
    pub update: Option<&'a ResourceStatus>,
}

impl<'a> Progress<'a> {
    /// The status to wait on: the latest update's if there is one, else the resource's.
    pub fn effective_status(&self) -> &'a ResourceStatus {
        self.update.unwrap_or(self.status)
    }

    /// The latest update is still running.
    pub fn update_in_flight(&self) -> bool {
        self.update.is_some_and(|status| !status.is_finished())
    }

    /// A create, update, stop, start or delete is still running.
    pub fn is_in_flight(&self) -> bool {
        !self.status.is_finished() || self.update_in_flight()
    }

    /// The status as progress shows it: an update's statuses are labelled as the update's, so that
    /// `update CREATE PENDING` does not read as the resource's creation.
    pub fn status_label(&self) -> String {
        match self.update {
            Some(update) if self.status.is_finished() => format!("update {update}"),
            _ => self.status.to_string(),
        }
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
    pub status: ResourceStatus,
    pub failure_reason: Option<String>,
    /// When AWS accepted this update, in seconds since the epoch: what tells one update from the next.
    pub created_at: Option<f64>,
    pub last_updated_at: Option<f64>,
}

impl LiveCampaignUpdate {
    pub fn stamp(&self) -> UpdateStamp {
        UpdateStamp { created_at: self.created_at }
    }
}

/// Identifies one update among a resource's updates: when AWS accepted it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateStamp {
    pub created_at: Option<f64>,
}

impl UpdateStamp {
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
    pub status: ResourceStatus,
    pub failure_reason: Option<String>,
    pub latest_update: Option<LiveCampaignUpdate>,
}

impl LiveCampaign {
    pub fn progress(&self) -> Progress<'_> {
        Progress { status: &self.status, update: self.latest_update.as_ref().map(|update| &update.status) }
    }

    /// The latest update, while it is still running.
    pub fn update_in_flight(&self) -> Option<&LiveCampaignUpdate> {
        self.latest_update.as_ref().filter(|_| self.progress().update_in_flight())
    }
}

/// RecommenderConfig as the API reports or takes it. `None` is "not present".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecommenderConfig {
    /// Exploration settings as strings, as the API stores them.
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    pub min_recommendation_requests_per_second: Option<i32>,
    pub training_data_config: Option<TrainingDataConfig>,
    pub enable_metadata_with_recommendations: Option<bool>,
}

/// Dataset type (`Interactions`, `Items`, `Users`) -> column names.
pub type DatasetColumns = BTreeMap<String, Vec<String>>;

/// Which dataset columns training uses (TrainingDataConfig).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingDataConfig {
    pub excluded_dataset_columns: Option<DatasetColumns>,
    pub included_dataset_columns: Option<DatasetColumns>,
}

impl RecommenderConfig {
    /// The config as the AWS API names its members, present members only.
    pub fn to_json(&self) -> serde_json::Value {
        let mut document = serde_json::Map::new();
        if let Some(exploration) = &self.item_exploration_config {
            document.insert("itemExplorationConfig".into(), serde_json::json!(exploration));
        }
        if let Some(rps) = self.min_recommendation_requests_per_second {
            document.insert("minRecommendationRequestsPerSecond".into(), serde_json::json!(rps));
        }
        if let Some(training) = &self.training_data_config {
            let mut section = serde_json::Map::new();
            if let Some(columns) = &training.excluded_dataset_columns {
                section.insert("excludedDatasetColumns".into(), serde_json::json!(columns));
            }
            if let Some(columns) = &training.included_dataset_columns {
                section.insert("includedDatasetColumns".into(), serde_json::json!(columns));
            }
            document.insert("trainingDataConfig".into(), serde_json::Value::Object(section));
        }
        if let Some(metadata) = self.enable_metadata_with_recommendations {
            document.insert("enableMetadataWithRecommendations".into(), serde_json::json!(metadata));
        }
        serde_json::Value::Object(document)
    }
}

/// The settings a campaign's config and a recommender's share, by the same names and rules.
pub trait SharedSettings {
    fn enable_metadata(&self) -> Option<bool>;
    fn item_exploration(&self) -> Option<&BTreeMap<String, String>>;
}

impl SharedSettings for ServingConfig {
    fn enable_metadata(&self) -> Option<bool> {
        self.enable_metadata_with_recommendations
    }
    fn item_exploration(&self) -> Option<&BTreeMap<String, String>> {
        self.item_exploration_config.as_ref()
    }
}

impl SharedSettings for RecommenderConfig {
    fn enable_metadata(&self) -> Option<bool> {
        self.enable_metadata_with_recommendations
    }
    fn item_exploration(&self) -> Option<&BTreeMap<String, String>> {
        self.item_exploration_config.as_ref()
    }
}

/// The latest UpdateRecommender: what it asked for and how it is going.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRecommenderUpdate {
    pub config: Option<RecommenderConfig>,
    pub status: ResourceStatus,
    pub failure_reason: Option<String>,
    /// When AWS accepted this update, in seconds since the epoch.
    pub created_at: Option<f64>,
    pub last_updated_at: Option<f64>,
}

impl LiveRecommenderUpdate {
    pub fn stamp(&self) -> UpdateStamp {
        UpdateStamp { created_at: self.created_at }
    }
}

/// A recommender as DescribeRecommender reports it. `config` is what serves now; an update in flight
/// lives in `latest_update` until it is ACTIVE.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRecommender {
    pub name: String,
    pub arn: String,
    pub dataset_group_arn: String,
    pub recipe_arn: String,
    pub config: Option<RecommenderConfig>,
    pub status: ResourceStatus,
    pub failure_reason: Option<String>,
    pub latest_update: Option<LiveRecommenderUpdate>,
}

impl LiveRecommender {
    pub fn progress(&self) -> Progress<'_> {
        Progress { status: &self.status, update: self.latest_update.as_ref().map(|update| &update.status) }
    }

    /// The latest update, while it is still running.
    pub fn update_in_flight(&self) -> Option<&LiveRecommenderUpdate> {
        self.latest_update.as_ref().filter(|_| self.progress().update_in_flight())
    }
}

/// A campaign or a recommender as AWS reports it: what the engine waits on, whatever the kind.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveResource {
    Campaign(LiveCampaign),
    Recommender(LiveRecommender),
}

impl LiveResource {
    pub fn name(&self) -> &str {
        match self {
            LiveResource::Campaign(campaign) => &campaign.name,
            LiveResource::Recommender(recommender) => &recommender.name,
        }
    }

    pub fn arn(&self) -> &str {
        match self {
            LiveResource::Campaign(campaign) => &campaign.arn,
            LiveResource::Recommender(recommender) => &recommender.arn,
        }
    }

    pub fn failure_reason(&self) -> Option<&str> {
        match self {
            LiveResource::Campaign(campaign) => campaign.failure_reason.as_deref(),
            LiveResource::Recommender(recommender) => recommender.failure_reason.as_deref(),
        }
    }

    pub fn progress(&self) -> Progress<'_> {
        match self {
            LiveResource::Campaign(campaign) => campaign.progress(),
            LiveResource::Recommender(recommender) => recommender.progress(),
        }
    }

    /// The latest update's stamp and failure reason.
    pub fn latest_update(&self) -> Option<(UpdateStamp, Option<&str>)> {
        match self {
            LiveResource::Campaign(campaign) => campaign
                .latest_update
                .as_ref()
                .map(|update| (update.stamp(), update.failure_reason.as_deref())),
            LiveResource::Recommender(recommender) => recommender
                .latest_update
                .as_ref()
                .map(|update| (update.stamp(), update.failure_reason.as_deref())),
        }
    }

    pub fn as_campaign(&self) -> Option<&LiveCampaign> {
        match self {
            LiveResource::Campaign(campaign) => Some(campaign),
            LiveResource::Recommender(_) => None,
        }
    }

    pub fn as_recommender(&self) -> Option<&LiveRecommender> {
        match self {
            LiveResource::Recommender(recommender) => Some(recommender),
            LiveResource::Campaign(_) => None,
        }
    }
}

/// A solution version as DescribeSolution reports its newest.
#[derive(Debug, Clone, PartialEq)]
pub struct SolutionVersionSummary {
    pub arn: String,
    pub status: ResourceStatus,
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
    pub status: ResourceStatus,
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

/// A recommender as ListRecommenders reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommenderSummary {
    pub name: String,
    pub arn: String,
    pub dataset_group_arn: String,
    pub status: ResourceStatus,
}

/// CreateRecommender's input.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRecommenderRequest {
    pub name: String,
    pub dataset_group_arn: String,
    pub recipe_arn: String,
    pub config: Option<RecommenderConfig>,
    pub tags: BTreeMap<String, String>,
}

impl CreateRecommenderRequest {
    /// The request exactly as the AWS API names its members.
    pub fn to_wire(&self) -> serde_json::Value {
        let mut document = serde_json::json!({
            "name": self.name,
            "datasetGroupArn": self.dataset_group_arn,
            "recipeArn": self.recipe_arn,
        });
        if let Some(config) = &self.config {
            document["recommenderConfig"] = config.to_json();
        }
        if !self.tags.is_empty() {
            document["tags"] = tags_to_wire(&self.tags);
        }
        document
    }
}

/// UpdateRecommender's input: the whole config, as the API requires.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRecommenderRequest {
    pub recommender_arn: String,
    pub config: RecommenderConfig,
}

impl UpdateRecommenderRequest {
    /// The request exactly as the AWS API names its members.
    pub fn to_wire(&self) -> serde_json::Value {
        serde_json::json!({ "recommenderArn": self.recommender_arn, "recommenderConfig": self.config.to_json() })
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
        "AWS refused: {message} (LimitExceededException; usually a quota such as 5 active campaigns or \
         recommenders per dataset group, which Service Quotas can raise)"
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
    /// `Ok(None)` when the recommender does not exist.
    fn describe_recommender(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<LiveRecommender>, LiveError>> + Send;
    /// Returns the new recommender's ARN.
    fn create_recommender(
        &self,
        request: &CreateRecommenderRequest,
    ) -> impl Future<Output = Result<String, LiveError>> + Send;
    fn update_recommender(
        &self,
        request: &UpdateRecommenderRequest,
    ) -> impl Future<Output = Result<(), LiveError>> + Send;
    fn start_recommender(&self, arn: &str) -> impl Future<Output = Result<(), LiveError>> + Send;
    fn stop_recommender(&self, arn: &str) -> impl Future<Output = Result<(), LiveError>> + Send;
    fn delete_recommender(&self, arn: &str) -> impl Future<Output = Result<(), LiveError>> + Send;
    /// Every recommender in `region` (the configured one when `None`), or only those of
    /// `dataset_group_arn`, all pages.
    fn list_recommenders(
        &self,
        region: Option<&str>,
        dataset_group_arn: Option<&str>,
    ) -> impl Future<Output = Result<Vec<RecommenderSummary>, LiveError>> + Send;
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

/// Describes a campaign or a recommender: the one place that picks the describe call for a kind.
pub async fn describe_resource<A: PersonalizeApi>(
    api: &A,
    kind: crate::spec::Kind,
    arn: &str,
) -> Result<Option<LiveResource>, LiveError> {
    Ok(match kind {
        crate::spec::Kind::Campaign => api.describe_campaign(arn).await?.map(LiveResource::Campaign),
        crate::spec::Kind::Recommender => api.describe_recommender(arn).await?.map(LiveResource::Recommender),
    })
}

/// Describes every resource in `targets`, at most `concurrency` at a time, results in their order.
pub async fn describe_many<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    targets: &[(crate::spec::Kind, String)],
    concurrency: usize,
) -> Vec<Result<Option<LiveResource>, LiveError>> {
    map_concurrently(targets.to_vec(), concurrency, move |(kind, arn), slots| {
        let api = api.clone();
        async move { slots.call(describe_resource(api.as_ref(), kind, &arn)).await }
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
            assert_eq!(ResourceStatus::parse(text).as_str(), text);
        }
        assert!(ResourceStatus::parse("ACTIVE").is_finished());
        assert!(ResourceStatus::parse("CREATE FAILED").is_finished());
        let unknown = ResourceStatus::parse("UPDATE IN_PROGRESS");
        assert_eq!(unknown, ResourceStatus::Other("UPDATE IN_PROGRESS".into()));
        assert!(!unknown.is_finished());
        assert!(ResourceStatus::parse("DELETE PENDING").is_deleting());
    }

    #[test]
    fn the_latest_update_decides_what_is_in_flight() {
        let mut campaign = LiveCampaign {
            name: "c".into(),
            arn: "arn".into(),
            solution_version_arn: "v".into(),
            min_provisioned_tps: Some(1),
            config: None,
            status: ResourceStatus::Active,
            failure_reason: None,
            latest_update: None,
        };
        assert!(!campaign.progress().is_in_flight());
        campaign.latest_update = Some(LiveCampaignUpdate {
            solution_version_arn: None,
            min_provisioned_tps: Some(2),
            config: None,
            status: ResourceStatus::Other("UPDATE IN_PROGRESS".into()),
            failure_reason: None,
            created_at: Some(10.0),
            last_updated_at: Some(10.0),
        });
        assert!(campaign.progress().is_in_flight());
        assert_eq!(campaign.progress().effective_status().as_str(), "UPDATE IN_PROGRESS");
    }
}
