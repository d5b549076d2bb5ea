//! Observe: everything read from AWS about a campaign or recommender before deciding, with the fewest calls. Reads are
//! patient: throttling slows them down rather than failing them.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::arn::{ResourceArn, SolutionVersionArn};
use crate::live::{
    CallSlots, LiveCampaign, LiveError, LiveRecommender, LiveResource, PersonalizeApi, RecommenderConfig,
    ResourceStatus, ServingConfig, SolutionVersionSummary, describe_resource, map_concurrently,
};
use crate::spec::Kind;
use crate::validate::LoadedResource;

/// A read that used up the SDK's attempts on throttling is tried again after each of these pauses, so a
/// burst of throttling costs at most 30 s more rather than failing the command. No call slot is held while
/// pausing.
const THROTTLE_PAUSES: [Duration; 4] =
    [Duration::from_secs(2), Duration::from_secs(4), Duration::from_secs(8), Duration::from_secs(16)];

/// Everything read from AWS about one campaign or recommender.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// `None`: it does not exist.
    pub live: Option<LiveResource>,
    /// Only read when the file manages tags and the resource exists.
    pub tags: Option<BTreeMap<String, String>>,
    /// The solution's newest version, read only when DescribeCampaign reports the `$LATEST` alias itself.
    pub latest_version: Option<SolutionVersionSummary>,
    /// Why the solution could not be read: a warning, never a failed plan.
    pub latest_version_warning: Option<String>,
}

impl Observed {
    /// An observation of `live`, with nothing else read.
    pub fn of(live: LiveResource) -> Self {
        Observed { live: Some(live), ..Observed::default() }
    }

    pub fn campaign(&self) -> Option<&LiveCampaign> {
        self.live.as_ref().and_then(LiveResource::as_campaign)
    }

    pub fn recommender(&self) -> Option<&LiveRecommender> {
        self.live.as_ref().and_then(LiveResource::as_recommender)
    }
}

/// DescribeSolution's answer about a solution's newest version.
type LatestAnswer = Result<Option<SolutionVersionSummary>, LiveError>;

/// DescribeSolution, at most once per solution per run, however many campaigns follow it.
#[derive(Debug, Default)]
pub struct SolutionCache {
    answers: Mutex<HashMap<String, Arc<OnceCell<LatestAnswer>>>>,
}

impl SolutionCache {
    pub async fn latest_version<A: PersonalizeApi>(
        &self,
        api: &A,
        slots: &CallSlots,
        solution_arn: &str,
    ) -> Result<Option<SolutionVersionSummary>, LiveError> {
        let cell = self
            .answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(solution_arn.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| patiently(|| slots.call(api.latest_solution_version(solution_arn)))).await.clone()
    }
}

/// Runs a read, and again after a pause each time it ends throttled, up to [`THROTTLE_PAUSES`].
pub async fn patiently<T, F, Fut>(read: F) -> Result<T, LiveError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, LiveError>>,
{
    for pause in THROTTLE_PAUSES {
        match read().await {
            Err(LiveError::Throttled { code, .. }) => {
                tracing::warn!(%code, pause_seconds = pause.as_secs(), "throttled; reading again after a pause");
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
    }
    read().await
}

/// Reads what each resource needs from AWS, at most `concurrency` calls at a time, in file order.
pub async fn observe<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    campaigns: &[LoadedResource],
    concurrency: usize,
) -> Vec<Result<Observed, LiveError>> {
    observe_with(api, campaigns, concurrency, Arc::default()).await
}

/// [`observe`], keeping DescribeSolution's answers in `cache`, for the rest of the run to use.
pub async fn observe_with<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    campaigns: &[LoadedResource],
    concurrency: usize,
    cache: Arc<SolutionCache>,
) -> Vec<Result<Observed, LiveError>> {
    let targets: Vec<(Kind, String, bool)> = campaigns
        .iter()
        .map(|resource| (resource.kind(), resource.arn.clone(), resource.spec.tags().is_some()))
        .collect();
    map_concurrently(targets, concurrency, move |(kind, arn, manages_tags), slots| {
        let (api, cache) = (api.clone(), cache.clone());
        async move { observe_one(api.as_ref(), &slots, &cache, kind, &arn, manages_tags).await }
    })
    .await
}

/// Describes one resource and reads what its decision needs.
pub async fn observe_one<A: PersonalizeApi>(
    api: &A,
    slots: &CallSlots,
    cache: &SolutionCache,
    kind: Kind,
    arn: &str,
    manages_tags: bool,
) -> Result<Observed, LiveError> {
    let live = patiently(|| slots.call(describe_resource(api, kind, arn))).await?;
    observation_of(api, slots, cache, live, manages_tags).await
}

/// The rest of an observation for a resource already described: the poll that saw a change finish is the
/// observation the next decision uses, with no second describe.
pub async fn observation_of<A: PersonalizeApi>(
    api: &A,
    slots: &CallSlots,
    cache: &SolutionCache,
    live: Option<LiveResource>,
    manages_tags: bool,
) -> Result<Observed, LiveError> {
    let Some(live) = live else { return Ok(Observed::default()) };
    let tags =
        if manages_tags { Some(patiently(|| slots.call(api.list_tags(live.arn()))).await?) } else { None };
    let mut observed = Observed { live: None, tags, latest_version: None, latest_version_warning: None };
    // Only the alias leaves the served version unsaid; a concrete ARN is what serves.
    if let Some(campaign) = live.as_campaign()
        && let Ok(serving) = SolutionVersionArn::parse(&campaign.solution_version_arn)
        && serving.is_latest()
    {
        match cache.latest_version(api, slots, &serving.solution_arn()).await {
            Ok(latest) => observed.latest_version = latest,
            Err(error) => {
                observed.latest_version_warning =
                    Some(format!("cannot tell which version $LATEST serves (DescribeSolution: {error})"))
            }
        }
    }
    observed.live = Some(live);
    Ok(observed)
}

/// A live campaign or recommender that no file defines.
#[derive(Debug, Clone, PartialEq)]
pub struct UnmanagedResource {
    pub kind: Kind,
    pub name: String,
    pub arn: String,
    pub status: ResourceStatus,
}

/// Live campaigns and recommenders in the accounts and regions of `resources` that none of them defines,
/// campaigns first, then by name.
pub async fn unmanaged<A: PersonalizeApi>(
    api: &A,
    resources: &[LoadedResource],
) -> Result<Vec<UnmanagedResource>, LiveError> {
    let defined: std::collections::BTreeSet<&str> =
        resources.iter().map(|resource| resource.arn.as_str()).collect();
    // Every partition, region and account the files point at.
    let places: Vec<ResourceArn> =
        resources.iter().filter_map(|resource| ResourceArn::parse(&resource.arn)).collect();
    let regions: std::collections::BTreeSet<&str> =
        places.iter().map(|place| place.region.as_str()).collect();
    let mut found: Vec<UnmanagedResource> = Vec::new();
    for region in regions {
        let campaigns =
            api.list_campaigns(Some(region), None).await?.into_iter().map(|summary| UnmanagedResource {
                kind: Kind::Campaign,
                name: summary.name,
                arn: summary.arn,
                status: summary.status,
            });
        let recommenders =
            api.list_recommenders(Some(region), None).await?.into_iter().map(|summary| UnmanagedResource {
                kind: Kind::Recommender,
                name: summary.name,
                arn: summary.arn,
                status: summary.status,
            });
        for summary in campaigns.chain(recommenders) {
            let in_scope = ResourceArn::parse(&summary.arn)
                .is_some_and(|arn| places.iter().any(|place| place.same_place(&arn)));
            if in_scope
                && !defined.contains(summary.arn.as_str())
                && !found.iter().any(|f| f.arn == summary.arn)
            {
                found.push(summary);
            }
        }
    }
    found.sort_by(|a, b| (a.kind, &a.name, &a.arn).cmp(&(b.kind, &b.name, &b.arn)));
    Ok(found)
}

/// What was observed, as JSON with AWS's member names; `null` for a resource that does not exist.
pub fn observed_document(observed: &Observed) -> Value {
    match &observed.live {
        None => Value::Null,
        Some(LiveResource::Campaign(campaign)) => campaign_document(campaign, observed),
        Some(LiveResource::Recommender(recommender)) => recommender_document(recommender, observed),
    }
}

fn campaign_document(campaign: &LiveCampaign, observed: &Observed) -> Value {
    json!({
        "status": campaign.status.as_str(),
        "failureReason": campaign.failure_reason,
        "solutionVersionArn": campaign.solution_version_arn,
        "minProvisionedTPS": campaign.min_provisioned_tps,
        "campaignConfig": campaign.config.as_ref().map(ServingConfig::to_json),
        "latestCampaignUpdate": campaign.latest_update.as_ref().map(|update| json!({
            "status": update.status.as_str(),
            "failureReason": update.failure_reason,
            "solutionVersionArn": update.solution_version_arn,
            "minProvisionedTPS": update.min_provisioned_tps,
            "campaignConfig": update.config.as_ref().map(ServingConfig::to_json),
        })),
        "tags": observed.tags,
        "latestSolutionVersion": observed.latest_version.as_ref().map(|latest| &latest.arn),
    })
}

fn recommender_document(recommender: &LiveRecommender, observed: &Observed) -> Value {
    json!({
        "status": recommender.status.as_str(),
        "failureReason": recommender.failure_reason,
        "datasetGroupArn": recommender.dataset_group_arn,
        "recipeArn": recommender.recipe_arn,
        "recommenderConfig": recommender.config.as_ref().map(RecommenderConfig::to_json),
        "latestRecommenderUpdate": recommender.latest_update.as_ref().map(|update| json!({
            "status": update.status.as_str(),
            "failureReason": update.failure_reason,
            "recommenderConfig": update.config.as_ref().map(RecommenderConfig::to_json),
        })),
        "tags": observed.tags,
    })
}

/// A stable digest of what was observed: FNV-1a over its canonical JSON. It detects change, it does not
/// protect against tampering.
pub fn fingerprint(observed_document: &Value) -> String {
    let text = observed_document.to_string();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
