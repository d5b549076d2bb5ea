//! The one module that uses the AWS SDK. SDK types stop here.

use std::collections::{BTreeMap, HashMap};
use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{SharedCredentialsProvider, future};
use aws_sdk_personalize::Client;
use aws_sdk_personalize::config::interceptors::{BeforeTransmitInterceptorContextRef, InterceptorContext};
use aws_sdk_personalize::config::retry::{ClassifyRetry, RetryAction, RetryConfig};
use aws_sdk_personalize::config::timeout::TimeoutConfig;
use aws_sdk_personalize::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, ProvideCredentials, Region, RuntimeComponents,
};
use aws_sdk_personalize::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_personalize::operation::RequestId;
use aws_sdk_personalize::types::{
    Campaign, CampaignConfig, CampaignUpdateSummary, RankingInfluenceType, Recommender,
    RecommenderConfig as SdkRecommenderConfig, RecommenderUpdateSummary, Tag,
    TrainingDataConfig as SdkTrainingDataConfig,
};

use super::profiles;
use super::{
    CampaignSummary, CreateCampaignRequest, CreateRecommenderRequest, DatasetColumns, LiveCampaign,
    LiveCampaignUpdate, LiveError, LiveRecommender, LiveRecommenderUpdate, PersonalizeApi, RecommenderConfig,
    RecommenderSummary, ResourceStatus, ServingConfig, SolutionMetrics, SolutionVersionDetail,
    SolutionVersionSummary, TrainingDataConfig, UpdateCampaignRequest, UpdateRecommenderRequest,
};

/// How the SDK retries throttling and server errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryMode {
    /// Exponential backoff with jitter.
    #[default]
    Standard,
    /// Standard, plus client-side rate limiting once AWS starts throttling.
    Adaptive,
}

/// Where and how to call Personalize.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// A profile from `~/.aws/config`; otherwise the default credential chain decides.
    pub profile: Option<String>,
    /// The region for calls that name no ARN; calls about a campaign go to the region in its ARN.
    pub region: Option<String>,
    /// Another endpoint, such as pz-emulator's. `AWS_ENDPOINT_URL_PERSONALIZE` does the same.
    pub endpoint_url: Option<String>,
    pub retry_mode: RetryMode,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The first retry's backoff; later ones grow from it, with jitter.
    pub initial_backoff: Duration,
    pub connect_timeout: Duration,
    /// Time for one attempt of one call.
    pub call_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            profile: None,
            region: None,
            endpoint_url: None,
            retry_mode: RetryMode::Standard,
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(30),
        }
    }
}

impl ClientOptions {
    fn retry_config(&self) -> RetryConfig {
        let base = match self.retry_mode {
            RetryMode::Standard => RetryConfig::standard(),
            RetryMode::Adaptive => RetryConfig::adaptive(),
        };
        base.with_max_attempts(self.max_attempts.max(1)).with_initial_backoff(self.initial_backoff)
    }

    fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.call_timeout)
            .build()
    }
}

const NO_CREDENTIALS: &str = "no AWS credentials found. pz-apply uses the standard AWS credential chain: set \
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile from ~/.aws/config with --profile or \
    AWS_PROFILE (after `aws sso login --profile NAME` for IAM Identity Center), or run where a role is \
    available (EC2, ECS, EKS, or GitHub Actions with aws-actions/configure-aws-credentials). To try pz-apply \
    without an AWS account, add --local.";

/// The error for credentials that did not resolve. The chain's words say which source failed (they never
/// contain a secret), except that when nothing was found they are instance metadata's (the last source
/// tried), which tells a user off EC2 nothing: that detail goes to the log (`-v`) instead.
fn no_credentials(error: &CredentialsError) -> String {
    let detail = source_chain(error);
    if detail.contains("IMDS") || detail.contains("169.254.169.254") {
        tracing::info!(%detail, "no credentials from the default chain; instance metadata said");
        NO_CREDENTIALS.to_string()
    } else {
        format!("{NO_CREDENTIALS}\n(the credential chain said: {detail})")
    }
}

/// Hands the SDK its credentials and tells the log writer to take each one out of every line.
#[derive(Debug)]
struct RedactedFromLogs(SharedCredentialsProvider);

impl ProvideCredentials for RedactedFromLogs {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let credentials = self.0.provide_credentials().await?;
            crate::logging::redact(credentials.access_key_id());
            crate::logging::redact(credentials.secret_access_key());
            if let Some(token) = credentials.session_token() {
                crate::logging::redact(token);
            }
            Ok(credentials)
        })
    }
}

/// Personalize through the AWS SDK, one client per region (a campaign lives in its solution's region).
#[derive(Debug)]
pub struct AwsPersonalize {
    base: aws_sdk_personalize::Config,
    clients: Mutex<HashMap<String, RegionClient>>,
}

/// The client for one region, and the endpoint its calls went to, to name in a connection error.
#[derive(Debug, Clone)]
struct RegionClient {
    client: Client,
    endpoint: EndpointSeen,
}

impl RegionClient {
    fn classify<E, R>(&self, error: SdkError<E, R>) -> LiveError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
        SdkError<E, R>: RequestId,
    {
        classify(error, &self.endpoint)
    }
}

/// Records where the SDK sent a request (scheme and host), which its errors do not say.
#[derive(Debug, Clone, Default)]
struct EndpointSeen(Arc<Mutex<Option<String>>>);

impl EndpointSeen {
    fn get(&self) -> String {
        let seen = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        seen.unwrap_or_else(|| "the Personalize endpoint".to_string())
    }
}

impl Intercept for EndpointSeen {
    fn name(&self) -> &'static str {
        "pz-apply endpoint recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        let origin_ends = uri.find("://").map_or(uri.len(), |scheme| {
            uri[scheme + 3..].find('/').map_or(uri.len(), |path| scheme + 3 + path)
        });
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some(uri[..origin_ends].to_string());
        Ok(())
    }
}

/// A connection that was refused carried no request: retrying it only makes a wrong endpoint slow to
/// report (the standard retry ladder takes ~15 s to give up).
#[derive(Debug)]
struct NoRetryWhenRefused;

impl ClassifyRetry for NoRetryWhenRefused {
    fn classify_retry(&self, context: &InterceptorContext) -> RetryAction {
        match context.output_or_error() {
            Some(Err(error))
                if error.as_connector_error().is_some_and(|error| {
                    io_kind_in(error) == Some(std::io::ErrorKind::ConnectionRefused)
                }) =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "pz-apply: no retry of a refused connection"
    }
}

/// The kind of the I/O error at the root of `error`, if one is.
fn io_kind_in(error: &(dyn StdError + 'static)) -> Option<std::io::ErrorKind> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    let mut kind = None;
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            kind = Some(io.kind());
        }
        current = error.source();
    }
    kind
}

/// Why no connection was made, when that is what failed: `connection refused`, or the resolver's words
/// for a host that does not resolve. None when the connection was made and lost later.
fn connect_failure(error: &(dyn StdError + 'static)) -> Option<String> {
    use std::io::ErrorKind;
    match io_kind_in(error) {
        Some(
            kind
            @ (ErrorKind::ConnectionRefused | ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable),
        ) => Some(kind.to_string()),
        _ => {
            let chain = source_chain(error);
            let dns = chain.find("dns error: ")?;
            Some(format!("cannot resolve the host ({})", &chain[dns + "dns error: ".len()..]))
        }
    }
}

impl AwsPersonalize {
    /// Loads the default AWS configuration (environment, profiles, SSO, instance roles) with `options`
    /// on top, and checks that credentials resolve before any call is made.
    pub async fn connect(options: &ClientOptions) -> Result<Self, LiveError> {
        // A profile that is not there makes the SDK fall through to the next source silently, and the
        // error then speaks of instance metadata.
        let named = options
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .filter(|name| !name.is_empty());
        if let Some(name) = named {
            profiles::check_defined(&name)?;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(options.retry_config())
            .timeout_config(options.timeout_config());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(endpoint) = &options.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let Some(provider) = shared.credentials_provider() else {
            return Err(LiveError::Setup(NO_CREDENTIALS.to_string()));
        };
        let provider = RedactedFromLogs(provider);
        if let Err(error) = provider.provide_credentials().await {
            return Err(LiveError::Setup(no_credentials(&error)));
        }
        Ok(Self::new(
            aws_sdk_personalize::config::Builder::from(&shared).credentials_provider(provider).build(),
        ))
    }

    /// Static test credentials against an endpoint such as pz-emulator's: nothing from the environment.
    pub fn for_endpoint(endpoint_url: &str, options: &ClientOptions) -> Self {
        let config = aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint_url)
            .region(Region::new(options.region.clone().unwrap_or_else(|| "us-east-1".to_string())))
            .credentials_provider(Credentials::new(
                "pz-apply-local",
                "pz-apply-local",
                None,
                None,
                "pz-apply",
            ))
            .retry_config(options.retry_config())
            .timeout_config(options.timeout_config())
            .build();
        Self::new(config)
    }

    pub fn new(base: aws_sdk_personalize::Config) -> Self {
        AwsPersonalize { base, clients: Mutex::new(HashMap::new()) }
    }

    /// The client for the region in `arn`, or the configured region when the ARN names none.
    fn client_for(&self, arn: &str) -> Result<RegionClient, LiveError> {
        self.client_in(crate::arn::region_of(arn), arn)
    }

    /// The client for `region`, or the configured region; `what` names the call for the error.
    fn client_in(&self, region: Option<&str>, what: &str) -> Result<RegionClient, LiveError> {
        let region = region
            .map(str::to_string)
            .or_else(|| self.base.region().map(|region| region.to_string()))
            .ok_or_else(|| {
                LiveError::Setup(format!("no region for {what}: pass --region or set AWS_REGION"))
            })?;
        let mut clients = self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let client = clients.entry(region.clone()).or_insert_with(|| {
            let endpoint = EndpointSeen::default();
            let config = self
                .base
                .to_builder()
                .region(Region::new(region))
                .interceptor(endpoint.clone())
                .retry_classifier(NoRetryWhenRefused)
                .build();
            RegionClient { client: Client::from_conf(config), endpoint }
        });
        Ok(client.clone())
    }
}

/// StartRecommender, StopRecommender and DeleteRecommender take the recommender's ARN and answer nothing
/// that matters: one call shape, three operations (the SDK's builders are distinct types).
macro_rules! lifecycle_call {
    ($self:ident, $arn:ident, $operation:ident) => {{
        let regional = $self.client_for($arn)?;
        regional
            .client
            .$operation()
            .recommender_arn($arn)
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(())
    }};
}

/// Every page of a List operation, filtered by `$filter` (an `Option<&str>`, set with `$setter`).
macro_rules! all_pages {
    ($regional:ident, $operation:ident, $setter:ident, $filter:expr) => {
        $regional
            .client
            .$operation()
            .$setter($filter.map(str::to_string))
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|error| $regional.classify(error))?
    };
}

impl PersonalizeApi for AwsPersonalize {
    async fn describe_campaign(&self, arn: &str) -> Result<Option<LiveCampaign>, LiveError> {
        let regional = self.client_for(arn)?;
        let result = regional.client.describe_campaign().campaign_arn(arn).send().await;
        match result.map_err(|error| regional.classify(error)) {
            Ok(output) => Ok(output.campaign().map(live_campaign)),
            Err(LiveError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn list_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, LiveError> {
        let regional = self.client_for(arn)?;
        let output = regional
            .client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(output.tags().iter().map(|tag| (tag.tag_key().to_string(), tag.tag_value().to_string())).collect())
    }

    async fn latest_solution_version(
        &self,
        solution_arn: &str,
    ) -> Result<Option<SolutionVersionSummary>, LiveError> {
        let regional = self.client_for(solution_arn)?;
        let output = regional
            .client
            .describe_solution()
            .solution_arn(solution_arn)
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(output.solution().and_then(|solution| solution.latest_solution_version()).and_then(|version| {
            Some(SolutionVersionSummary {
                arn: version.solution_version_arn()?.to_string(),
                status: ResourceStatus::parse(version.status().unwrap_or_default()),
            })
        }))
    }

    async fn describe_solution_version(&self, arn: &str) -> Result<Option<SolutionVersionDetail>, LiveError> {
        let regional = self.client_for(arn)?;
        let result = regional.client.describe_solution_version().solution_version_arn(arn).send().await;
        let output = match result.map_err(|error| regional.classify(error)) {
            Ok(output) => output,
            Err(LiveError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        Ok(output.solution_version().map(|version| SolutionVersionDetail {
            arn: version.solution_version_arn().unwrap_or(arn).to_string(),
            solution_arn: version.solution_arn().map(str::to_string),
            status: version.status().unwrap_or_default().to_string(),
            failure_reason: version.failure_reason().map(str::to_string),
            training_mode: version.training_mode().map(|mode| mode.as_str().to_string()),
            training_hours: version.training_hours(),
            created_at: version.creation_date_time().map(|time| time.as_secs_f64()),
        }))
    }

    async fn solution_metrics(&self, arn: &str) -> Result<SolutionMetrics, LiveError> {
        let regional = self.client_for(arn)?;
        let output = regional
            .client
            .get_solution_metrics()
            .solution_version_arn(arn)
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(output
            .metrics()
            .map(|metrics| metrics.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default())
    }

    async fn newest_active_version(&self, solution_arn: &str) -> Result<Option<String>, LiveError> {
        let regional = self.client_for(solution_arn)?;
        let pages = regional
            .client
            .list_solution_versions()
            .solution_arn(solution_arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(pages
            .iter()
            .flat_map(|page| page.solution_versions())
            .filter(|version| version.status() == Some("ACTIVE"))
            .filter_map(|version| {
                Some((version.creation_date_time()?.as_secs_f64(), version.solution_version_arn()?))
            })
            .max_by(|(a, _), (b, _)| a.total_cmp(b))
            .map(|(_, arn)| arn.to_string()))
    }

    async fn create_campaign(&self, request: &CreateCampaignRequest) -> Result<String, LiveError> {
        let tags = sdk_tags(&request.tags)?;
        let regional = self.client_for(&request.solution_version_arn)?;
        let output = regional
            .client
            .create_campaign()
            .name(&request.name)
            .solution_version_arn(&request.solution_version_arn)
            .set_min_provisioned_tps(request.min_provisioned_tps)
            .set_campaign_config(request.config.as_ref().map(sdk_config))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(output.campaign_arn().unwrap_or_default().to_string())
    }

    async fn update_campaign(&self, request: &UpdateCampaignRequest) -> Result<(), LiveError> {
        let regional = self.client_for(&request.campaign_arn)?;
        regional
            .client
            .update_campaign()
            .campaign_arn(&request.campaign_arn)
            .solution_version_arn(&request.solution_version_arn)
            .min_provisioned_tps(request.min_provisioned_tps)
            .campaign_config(sdk_config(&request.config))
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(())
    }

    async fn tag_resource(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), LiveError> {
        let tags = sdk_tags(tags)?;
        let regional = self.client_for(arn)?;
        regional
            .client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(())
    }

    async fn list_campaigns(
        &self,
        region: Option<&str>,
        solution_arn: Option<&str>,
    ) -> Result<Vec<CampaignSummary>, LiveError> {
        self.list_all(region, solution_arn).await
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), LiveError> {
        let regional = self.client_for(arn)?;
        regional
            .client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(())
    }

    async fn describe_recommender(&self, arn: &str) -> Result<Option<LiveRecommender>, LiveError> {
        let regional = self.client_for(arn)?;
        let result = regional.client.describe_recommender().recommender_arn(arn).send().await;
        match result.map_err(|error| regional.classify(error)) {
            Ok(output) => Ok(output.recommender().map(live_recommender)),
            Err(LiveError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn create_recommender(&self, request: &CreateRecommenderRequest) -> Result<String, LiveError> {
        let tags = sdk_tags(&request.tags)?;
        let regional = self.client_for(&request.dataset_group_arn)?;
        let output = regional
            .client
            .create_recommender()
            .name(&request.name)
            .dataset_group_arn(&request.dataset_group_arn)
            .recipe_arn(&request.recipe_arn)
            .set_recommender_config(request.config.as_ref().map(sdk_recommender_config))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(output.recommender_arn().unwrap_or_default().to_string())
    }

    async fn update_recommender(&self, request: &UpdateRecommenderRequest) -> Result<(), LiveError> {
        let regional = self.client_for(&request.recommender_arn)?;
        regional
            .client
            .update_recommender()
            .recommender_arn(&request.recommender_arn)
            .recommender_config(sdk_recommender_config(&request.config))
            .send()
            .await
            .map_err(|error| regional.classify(error))?;
        Ok(())
    }

    async fn start_recommender(&self, arn: &str) -> Result<(), LiveError> {
        lifecycle_call!(self, arn, start_recommender)
    }

    async fn stop_recommender(&self, arn: &str) -> Result<(), LiveError> {
        lifecycle_call!(self, arn, stop_recommender)
    }

    async fn delete_recommender(&self, arn: &str) -> Result<(), LiveError> {
        lifecycle_call!(self, arn, delete_recommender)
    }

    async fn list_recommenders(
        &self,
        region: Option<&str>,
        dataset_group_arn: Option<&str>,
    ) -> Result<Vec<RecommenderSummary>, LiveError> {
        let region = region.or_else(|| dataset_group_arn.and_then(crate::arn::region_of));
        let regional = self.client_in(region, "ListRecommenders")?;
        let pages = all_pages!(regional, list_recommenders, set_dataset_group_arn, dataset_group_arn);
        Ok(pages
            .iter()
            .flat_map(|page| page.recommenders())
            .map(|summary| RecommenderSummary {
                name: summary.name().unwrap_or_default().to_string(),
                arn: summary.recommender_arn().unwrap_or_default().to_string(),
                dataset_group_arn: summary.dataset_group_arn().unwrap_or_default().to_string(),
                status: ResourceStatus::parse(summary.status().unwrap_or_default()),
            })
            .collect())
    }
}

impl AwsPersonalize {
    async fn list_all(
        &self,
        region: Option<&str>,
        solution_arn: Option<&str>,
    ) -> Result<Vec<CampaignSummary>, LiveError> {
        let regional =
            self.client_in(region.or_else(|| solution_arn.and_then(crate::arn::region_of)), "ListCampaigns")?;
        let pages = all_pages!(regional, list_campaigns, set_solution_arn, solution_arn);
        Ok(pages
            .iter()
            .flat_map(|page| page.campaigns())
            .map(|summary| CampaignSummary {
                name: summary.name().unwrap_or_default().to_string(),
                arn: summary.campaign_arn().unwrap_or_default().to_string(),
                status: ResourceStatus::parse(summary.status().unwrap_or_default()),
            })
            .collect())
    }
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, LiveError> {
    tags.iter()
        .map(|(key, value)| Tag::builder().tag_key(key).tag_value(value).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| LiveError::InvalidInput { message: error.to_string() })
}

fn live_config(config: &CampaignConfig) -> ServingConfig {
    ServingConfig {
        item_exploration_config: config
            .item_exploration_config()
            .map(|map| map.iter().map(|(key, value)| (key.clone(), value.clone())).collect()),
        enable_metadata_with_recommendations: config.enable_metadata_with_recommendations(),
        sync_with_latest_solution_version: config.sync_with_latest_solution_version(),
        ranking_influence: config
            .ranking_influence()
            .map(|map| map.iter().map(|(key, value)| (key.as_str().to_string(), *value)).collect()),
    }
}

fn sdk_config(config: &ServingConfig) -> CampaignConfig {
    CampaignConfig::builder()
        .set_item_exploration_config(
            config.item_exploration_config.as_ref().map(|map| map.clone().into_iter().collect()),
        )
        .set_enable_metadata_with_recommendations(config.enable_metadata_with_recommendations)
        .set_sync_with_latest_solution_version(config.sync_with_latest_solution_version)
        .set_ranking_influence(config.ranking_influence.as_ref().map(|map| {
            map.iter().map(|(key, value)| (RankingInfluenceType::from(key.as_str()), *value)).collect()
        }))
        .build()
}

fn live_update(update: &CampaignUpdateSummary) -> LiveCampaignUpdate {
    LiveCampaignUpdate {
        solution_version_arn: update.solution_version_arn().map(str::to_string),
        min_provisioned_tps: update.min_provisioned_tps(),
        config: update.campaign_config().map(live_config),
        status: ResourceStatus::parse(update.status().unwrap_or_default()),
        failure_reason: update.failure_reason().map(str::to_string),
        created_at: update.creation_date_time().map(|time| time.as_secs_f64()),
        last_updated_at: update.last_updated_date_time().map(|time| time.as_secs_f64()),
    }
}

fn live_columns(columns: Option<&std::collections::HashMap<String, Vec<String>>>) -> Option<DatasetColumns> {
    columns.map(|map| map.iter().map(|(key, value)| (key.clone(), value.clone())).collect())
}

fn live_recommender_config(config: &SdkRecommenderConfig) -> RecommenderConfig {
    RecommenderConfig {
        item_exploration_config: config
            .item_exploration_config()
            .map(|map| map.iter().map(|(key, value)| (key.clone(), value.clone())).collect()),
        min_recommendation_requests_per_second: config.min_recommendation_requests_per_second(),
        training_data_config: config.training_data_config().map(|training| TrainingDataConfig {
            excluded_dataset_columns: live_columns(training.excluded_dataset_columns()),
            included_dataset_columns: live_columns(training.included_dataset_columns()),
        }),
        enable_metadata_with_recommendations: config.enable_metadata_with_recommendations(),
    }
}

fn sdk_recommender_config(config: &RecommenderConfig) -> SdkRecommenderConfig {
    let columns =
        |columns: &Option<DatasetColumns>| columns.as_ref().map(|map| map.clone().into_iter().collect());
    SdkRecommenderConfig::builder()
        .set_item_exploration_config(
            config.item_exploration_config.as_ref().map(|map| map.clone().into_iter().collect()),
        )
        .set_min_recommendation_requests_per_second(config.min_recommendation_requests_per_second)
        .set_training_data_config(config.training_data_config.as_ref().map(|training| {
            SdkTrainingDataConfig::builder()
                .set_excluded_dataset_columns(columns(&training.excluded_dataset_columns))
                .set_included_dataset_columns(columns(&training.included_dataset_columns))
                .build()
        }))
        .set_enable_metadata_with_recommendations(config.enable_metadata_with_recommendations)
        .build()
}

fn live_recommender_update(update: &RecommenderUpdateSummary) -> LiveRecommenderUpdate {
    LiveRecommenderUpdate {
        config: update.recommender_config().map(live_recommender_config),
        status: ResourceStatus::parse(update.status().unwrap_or_default()),
        failure_reason: update.failure_reason().map(str::to_string),
        created_at: update.creation_date_time().map(|time| time.as_secs_f64()),
        last_updated_at: update.last_updated_date_time().map(|time| time.as_secs_f64()),
    }
}

fn live_recommender(recommender: &Recommender) -> LiveRecommender {
    LiveRecommender {
        name: recommender.name().unwrap_or_default().to_string(),
        arn: recommender.recommender_arn().unwrap_or_default().to_string(),
        dataset_group_arn: recommender.dataset_group_arn().unwrap_or_default().to_string(),
        recipe_arn: recommender.recipe_arn().unwrap_or_default().to_string(),
        config: recommender.recommender_config().map(live_recommender_config),
        status: ResourceStatus::parse(recommender.status().unwrap_or_default()),
        failure_reason: recommender.failure_reason().map(str::to_string),
        latest_update: recommender.latest_recommender_update().map(live_recommender_update),
    }
}

fn live_campaign(campaign: &Campaign) -> LiveCampaign {
    LiveCampaign {
        name: campaign.name().unwrap_or_default().to_string(),
        arn: campaign.campaign_arn().unwrap_or_default().to_string(),
        solution_version_arn: campaign.solution_version_arn().unwrap_or_default().to_string(),
        min_provisioned_tps: campaign.min_provisioned_tps(),
        config: campaign.campaign_config().map(live_config),
        status: ResourceStatus::parse(campaign.status().unwrap_or_default()),
        failure_reason: campaign.failure_reason().map(str::to_string),
        latest_update: campaign.latest_campaign_update().map(live_update),
    }
}

/// Maps an SDK error to ours by the API's error code, never by HTTP status (sources disagree on those).
fn classify<E, R>(error: SdkError<E, R>, endpoint: &EndpointSeen) -> LiveError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
    SdkError<E, R>: RequestId,
{
    let request_id = error.request_id().unwrap_or("none").to_string();
    match &error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_string();
            let message = service.err().message().unwrap_or("").to_string();
            match code.as_str() {
                "ResourceNotFoundException" => LiveError::NotFound { message },
                "ResourceInUseException" => LiveError::InUse { message },
                "ResourceAlreadyExistsException" => LiveError::AlreadyExists { message },
                "TooManyTagsException" => LiveError::TooManyTags { message },
                "InvalidInputException" => LiveError::InvalidInput { message },
                "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                    LiveError::Throttled { code, message }
                }
                "LimitExceededException" => LiveError::LimitExceeded { message },
                _ => LiveError::Service { code, message, request_id },
            }
        }
        SdkError::TimeoutError(_) => LiveError::Timeout { detail: source_chain(&error) },
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            LiveError::Timeout { detail: source_chain(&error) }
        }
        SdkError::DispatchFailure(failure)
            if let Some(cause) = failure.as_connector_error().and_then(|error| connect_failure(error)) =>
        {
            LiveError::Unreachable { endpoint: endpoint.get(), cause }
        }
        _ => {
            let detail = source_chain(&error);
            if detail.to_ascii_lowercase().contains("credential") {
                LiveError::Setup(format!("{NO_CREDENTIALS}\n(the credential chain said: {detail})"))
            } else {
                LiveError::Connection { detail }
            }
        }
    }
}

/// An error and its causes on one line: the SDK's top-level messages alone ("dispatch failure") say little.
fn source_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
