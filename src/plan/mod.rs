//! Observe, compare, decide: the live state of each campaign against its file, as plain data.
//!
//! Only managed fields count (a field the file does not mention is never compared and is carried over from
//! live in any request), and the UpdateCampaign this builds is complete, so that nothing the file does not
//! mention can change whether AWS merges or replaces a partial config.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::arn::SolutionVersionArn;
use crate::live::{
    CampaignStatus, CampaignSummary, CreateCampaignRequest, LiveCampaign, LiveError, PersonalizeApi,
    ServingConfig, UpdateCampaignRequest, map_concurrently,
};
use crate::spec::CampaignSpec;
use crate::validate::LoadedCampaign;
use crate::yaml::Position;

/// Ranking weights closer than this are equal: AWS stores doubles and may round-trip them inexactly.
const RANKING_EPSILON: f64 = 1e-6;

/// AWS's defaults for exploration keys that are absent (`explorationWeight` 0.3, `explorationItemAgeCutOff`
/// 30 days): a key missing on one side equals its default on the other, so an echoed default is not drift.
const EXPLORATION_DEFAULTS: [(&str, f64); 2] =
    [("explorationWeight", 0.3), ("explorationItemAgeCutOff", 30.0)];

/// What apply will do for one campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    Wait,
    Blocked,
    NoOp,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Wait => "wait",
            Action::Blocked => "blocked",
            Action::NoOp => "no-op",
        }
    }
}

/// One managed field that differs: its path in the file's names, and the values as JSON (`None` for
/// absent).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The tag calls apply will make: TagResource with `set`, UntagResource with `remove`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagChanges {
    pub set: BTreeMap<String, String>,
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// The write call apply will send for a campaign.
#[derive(Debug, Clone, PartialEq)]
pub enum CampaignRequest {
    Create(CreateCampaignRequest),
    Update(UpdateCampaignRequest),
}

/// Everything read from AWS about one campaign.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub campaign: Option<LiveCampaign>,
    /// Only read when the file manages tags and the campaign exists.
    pub tags: Option<BTreeMap<String, String>>,
    /// The concrete version `$LATEST` serves, when the live ARN is the alias.
    pub latest_version: Option<String>,
}

/// The plan for one campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignPlan {
    pub name: String,
    pub arn: String,
    pub file: PathBuf,
    pub position: Position,
    pub action: Action,
    pub changes: Vec<FieldChange>,
    pub request: Option<CampaignRequest>,
    pub tags: TagChanges,
    pub notes: Vec<String>,
    /// Why apply cannot proceed, for `Blocked`.
    pub blocked_reason: Option<String>,
    /// An update or create in flight that apply waits for first.
    pub in_flight: Option<CampaignStatus>,
    /// The live and desired documents restricted to managed fields, for diffs.
    pub live_document: Option<Value>,
    pub desired_document: Value,
    /// What was observed, as JSON: the basis of the fingerprint, and of "what changed" for a stale plan.
    pub observed_document: Value,
    /// Identifies the live state this plan was computed from.
    pub fingerprint: String,
    /// The file's campaign, in the file's format, so that a saved plan can be applied without the files.
    pub desired_spec: Value,
}

/// A plan for every campaign, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub campaigns: Vec<CampaignPlan>,
}

/// How many campaigns get each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub no_op: usize,
    pub wait: usize,
    pub blocked: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for campaign in &self.campaigns {
            *match campaign.action {
                Action::Create => &mut summary.create,
                Action::Update => &mut summary.update,
                Action::NoOp => &mut summary.no_op,
                Action::Wait => &mut summary.wait,
                Action::Blocked => &mut summary.blocked,
            } += 1;
        }
        summary
    }

    /// Any action other than no-op.
    pub fn has_changes(&self) -> bool {
        self.campaigns.iter().any(|campaign| campaign.action != Action::NoOp)
    }
}

/// Reads what each campaign needs from AWS, at most `concurrency` campaigns at a time, in file order.
pub async fn observe<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    campaigns: &[LoadedCampaign],
    concurrency: usize,
) -> Vec<Result<Observed, LiveError>> {
    let targets: Vec<(String, bool)> = campaigns
        .iter()
        .map(|campaign| (campaign.campaign_arn.clone(), campaign.spec.tags.is_some()))
        .collect();
    map_concurrently(targets, concurrency, move |(arn, manages_tags)| {
        let api = api.clone();
        async move { observe_one(api.as_ref(), &arn, manages_tags).await }
    })
    .await
}

pub async fn observe_one<A: PersonalizeApi>(
    api: &A,
    arn: &str,
    manages_tags: bool,
) -> Result<Observed, LiveError> {
    let Some(campaign) = api.describe_campaign(arn).await? else {
        return Ok(Observed::default());
    };
    let tags = if manages_tags { Some(api.list_tags(arn).await?) } else { None };
    let latest_version = match SolutionVersionArn::parse(&campaign.solution_version_arn) {
        Ok(serving) if serving.is_latest() => api.latest_solution_version(&serving.solution_arn()).await?,
        _ => None,
    };
    Ok(Observed { campaign: Some(campaign), tags, latest_version })
}

/// Live campaigns in the accounts and regions of `campaigns` that none of them defines, by name.
pub async fn unmanaged<A: PersonalizeApi>(
    api: &A,
    campaigns: &[LoadedCampaign],
) -> Result<Vec<CampaignSummary>, LiveError> {
    let defined: std::collections::BTreeSet<&str> =
        campaigns.iter().map(|campaign| campaign.campaign_arn.as_str()).collect();
    // "arn:<partition>:personalize:<region>:<account>:campaign/" for every place the files point at.
    let scopes: std::collections::BTreeSet<(String, String)> = campaigns
        .iter()
        .filter_map(|campaign| {
            let (prefix, _) = campaign.campaign_arn.rsplit_once("campaign/")?;
            let region = campaign.campaign_arn.split(':').nth(3)?;
            Some((region.to_string(), format!("{prefix}campaign/")))
        })
        .collect();
    let mut found = Vec::new();
    for region in scopes.iter().map(|(region, _)| region).collect::<std::collections::BTreeSet<_>>() {
        for summary in api.list_campaigns(Some(region), None).await? {
            let in_scope = scopes
                .iter()
                .any(|(scope_region, prefix)| scope_region == region && summary.arn.starts_with(prefix));
            if in_scope
                && !defined.contains(summary.arn.as_str())
                && !found.iter().any(|f: &CampaignSummary| f.arn == summary.arn)
            {
                found.push(summary);
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.arn.cmp(&b.arn)));
    Ok(found)
}

/// The values compared for one campaign, on either side, restricted to what the file manages.
#[derive(Debug, Clone, PartialEq)]
struct Comparable {
    solution_version_arn: String,
    sync: bool,
    min_provisioned_tps: Option<i32>,
    metadata: Option<bool>,
    exploration: Option<BTreeMap<String, String>>,
    ranking: Option<BTreeMap<String, f64>>,
    tags: Option<BTreeMap<String, String>>,
}

fn desired_comparable(spec: &CampaignSpec) -> Comparable {
    let config = spec.campaign_config.as_ref();
    Comparable {
        solution_version_arn: spec.solution_version_arn.clone(),
        sync: spec.solution_version().is_some_and(|arn| arn.is_latest()),
        min_provisioned_tps: spec.min_provisioned_tps,
        metadata: config.and_then(|config| config.enable_metadata_with_recommendations),
        exploration: config.and_then(|config| config.item_exploration_config.as_ref()).map(|exploration| {
            [
                ("explorationWeight", &exploration.exploration_weight),
                ("explorationItemAgeCutOff", &exploration.exploration_item_age_cut_off),
            ]
            .into_iter()
            .filter_map(|(key, value)| value.as_ref().map(|value| (key.to_string(), value.text.clone())))
            .collect()
        }),
        ranking: config.and_then(|config| config.ranking_influence.as_ref()).map(|ranking| {
            [("POPULARITY", ranking.popularity), ("FRESHNESS", ranking.freshness)]
                .into_iter()
                .filter_map(|(key, value)| value.map(|value| (key.to_string(), value)))
                .collect()
        }),
        tags: spec.tags.clone(),
    }
}

/// The values live serves (or will serve once the in-flight update lands), for the fields `desired`
/// manages. `aws:` tags are AWS's own and never compared.
fn live_comparable(
    desired: &Comparable,
    version: &str,
    tps: Option<i32>,
    config: Option<&ServingConfig>,
    tags: Option<&BTreeMap<String, String>>,
) -> Comparable {
    Comparable {
        solution_version_arn: version.to_string(),
        sync: config.and_then(|config| config.sync_with_latest_solution_version).unwrap_or(false),
        min_provisioned_tps: desired.min_provisioned_tps.and(tps),
        metadata: desired
            .metadata
            .map(|_| config.and_then(|config| config.enable_metadata_with_recommendations).unwrap_or(false)),
        exploration: desired
            .exploration
            .as_ref()
            .map(|_| config.and_then(|config| config.item_exploration_config.clone()).unwrap_or_default()),
        ranking: desired
            .ranking
            .as_ref()
            .map(|_| config.and_then(|config| config.ranking_influence.clone()).unwrap_or_default()),
        tags: desired.tags.as_ref().map(|_| {
            tags.map(|tags| {
                tags.iter()
                    .filter(|(key, _)| {
                        !key.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
                    })
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect()
            })
            .unwrap_or_default()
        }),
    }
}

/// Same solution, when `live` is the alias or any version of the solution `desired` follows.
fn follows_same_solution(desired: &str, live: &str) -> bool {
    match (SolutionVersionArn::parse(desired), SolutionVersionArn::parse(live)) {
        (Ok(desired), Ok(live)) => desired.solution_arn() == live.solution_arn(),
        _ => false,
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Exploration values compare as numbers (`"0.30"` == `0.3`); an absent key equals its AWS default.
fn exploration_equal(key: &str, desired: Option<&String>, live: Option<&String>) -> bool {
    let default = EXPLORATION_DEFAULTS.iter().find(|(name, _)| *name == key).map(|(_, value)| *value);
    let value = |side: Option<&String>| side.and_then(|text| number(text)).or(default);
    match (desired, live) {
        (Some(a), Some(b)) if number(a).is_none() || number(b).is_none() => a == b,
        _ => value(desired) == value(live),
    }
}

fn changes_between(desired: &Comparable, live: &Comparable) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut change = |path: &str, before: Option<Value>, after: Option<Value>| {
        changes.push(FieldChange { path: path.to_string(), before, after });
    };
    let in_sync = if desired.sync {
        live.sync
            && (live.solution_version_arn == desired.solution_version_arn
                || follows_same_solution(&desired.solution_version_arn, &live.solution_version_arn))
    } else {
        live.solution_version_arn == desired.solution_version_arn
    };
    if !in_sync && live.solution_version_arn != desired.solution_version_arn {
        change(
            "solutionVersionArn",
            Some(json!(live.solution_version_arn)),
            Some(json!(desired.solution_version_arn)),
        );
    }
    if live.sync != desired.sync {
        change(
            "campaignConfig.syncWithLatestSolutionVersion",
            Some(json!(live.sync)),
            Some(json!(desired.sync)),
        );
    }
    if let Some(tps) = desired.min_provisioned_tps
        && live.min_provisioned_tps != Some(tps)
    {
        change("minProvisionedTPS", live.min_provisioned_tps.map(|tps| json!(tps)), Some(json!(tps)));
    }
    if let (Some(wanted), Some(current)) = (desired.metadata, live.metadata)
        && wanted != current
    {
        change("campaignConfig.enableMetadataWithRecommendations", Some(json!(current)), Some(json!(wanted)));
    }
    if let (Some(wanted), Some(current)) = (&desired.exploration, &live.exploration) {
        let keys: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
        for key in keys {
            if !exploration_equal(key, wanted.get(key), current.get(key)) {
                change(
                    &format!("campaignConfig.itemExplorationConfig.{key}"),
                    current.get(key).map(|value| json!(value)),
                    wanted.get(key).map(|value| json!(value)),
                );
            }
        }
    }
    if let (Some(wanted), Some(current)) = (&desired.ranking, &live.ranking) {
        let keys: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
        for key in keys {
            // An absent weight is no influence.
            let (a, b) = (wanted.get(key).copied().unwrap_or(0.0), current.get(key).copied().unwrap_or(0.0));
            if (a - b).abs() > RANKING_EPSILON {
                change(
                    &format!("campaignConfig.rankingInfluence.{key}"),
                    current.get(key).map(|value| json!(value)),
                    wanted.get(key).map(|value| json!(value)),
                );
            }
        }
    }
    if let (Some(wanted), Some(current)) = (&desired.tags, &live.tags) {
        let keys: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
        for key in keys {
            if wanted.get(key) != current.get(key) {
                change(
                    &format!("tags.{key}"),
                    current.get(key).map(|value| json!(value)),
                    wanted.get(key).map(|value| json!(value)),
                );
            }
        }
    }
    changes
}

fn tag_changes(desired: &Comparable, live: &Comparable) -> TagChanges {
    let (Some(wanted), Some(current)) = (&desired.tags, &live.tags) else { return TagChanges::default() };
    TagChanges {
        set: wanted
            .iter()
            .filter(|(key, value)| current.get(*key) != Some(*value))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        remove: current.keys().filter(|key| !wanted.contains_key(*key)).cloned().collect(),
    }
}

/// The document shown in diffs: the managed fields, nested as in the file.
fn document(values: &Comparable, spec: &CampaignSpec) -> Value {
    let mut document = serde_json::Map::new();
    document.insert("solutionVersionArn".into(), json!(values.solution_version_arn));
    if let Some(tps) = values.min_provisioned_tps {
        document.insert("minProvisionedTPS".into(), json!(tps));
    } else if spec.min_provisioned_tps.is_some() {
        document.insert("minProvisionedTPS".into(), Value::Null);
    }
    let mut config = serde_json::Map::new();
    config.insert("syncWithLatestSolutionVersion".into(), json!(values.sync));
    if let Some(metadata) = values.metadata {
        config.insert("enableMetadataWithRecommendations".into(), json!(metadata));
    }
    if let Some(exploration) = &values.exploration {
        config.insert("itemExplorationConfig".into(), json!(exploration));
    }
    if let Some(ranking) = &values.ranking {
        config.insert("rankingInfluence".into(), json!(ranking));
    }
    document.insert("campaignConfig".into(), Value::Object(config));
    if let Some(tags) = &values.tags {
        document.insert("tags".into(), json!(tags));
    }
    Value::Object(document)
}

/// The complete UpdateCampaign: desired values for managed fields, `base` (what live serves, or will serve
/// after the in-flight update) for the rest. `enableMetadataWithRecommendations` is always sent, because a
/// version change can otherwise turn it off.
fn update_request(
    arn: &str,
    desired: &Comparable,
    base_tps: Option<i32>,
    base_config: Option<&ServingConfig>,
) -> UpdateCampaignRequest {
    let base = base_config.cloned().unwrap_or_default();
    let exploration = desired.exploration.clone().or(base.item_exploration_config);
    UpdateCampaignRequest {
        campaign_arn: arn.to_string(),
        solution_version_arn: desired.solution_version_arn.clone(),
        min_provisioned_tps: desired.min_provisioned_tps.or(base_tps).unwrap_or(1),
        config: ServingConfig {
            item_exploration_config: exploration,
            enable_metadata_with_recommendations: Some(
                desired.metadata.or(base.enable_metadata_with_recommendations).unwrap_or(false),
            ),
            sync_with_latest_solution_version: Some(desired.sync),
            ranking_influence: desired.ranking.clone().or(base.ranking_influence),
        },
    }
}

fn create_request(spec: &CampaignSpec, desired: &Comparable) -> CreateCampaignRequest {
    let config = spec.campaign_config.as_ref().map(|_| ServingConfig {
        item_exploration_config: desired.exploration.clone(),
        enable_metadata_with_recommendations: desired.metadata,
        sync_with_latest_solution_version: Some(desired.sync),
        ranking_influence: desired.ranking.clone(),
    });
    // `$LATEST` needs the sync flag even when the file has no campaignConfig section (validate requires
    // it there anyway).
    let config = config.or_else(|| {
        desired.sync.then(|| ServingConfig {
            sync_with_latest_solution_version: Some(true),
            ..ServingConfig::default()
        })
    });
    CreateCampaignRequest {
        name: spec.name.clone(),
        solution_version_arn: spec.solution_version_arn.clone(),
        min_provisioned_tps: spec.min_provisioned_tps,
        config,
        tags: spec.tags.clone().unwrap_or_default(),
    }
}

/// Cost and risk notes for the changes, in the words a reviewer needs.
fn notes_for(changes: &[FieldChange]) -> Vec<String> {
    let mut notes = Vec::new();
    for change in changes {
        match (change.path.as_str(), &change.before, &change.after) {
            ("minProvisionedTPS", before, Some(after)) => {
                let before = before.as_ref().and_then(Value::as_i64);
                let after = after.as_i64().unwrap_or(0);
                match before {
                    Some(before) if after > before => notes.push(format!(
                        "minProvisionedTPS {before} -> {after} raises the billing floor from {before} to {after} TPS"
                    )),
                    Some(before) if after < before => notes.push(format!(
                        "minProvisionedTPS {before} -> {after}: traffic above {after} TPS is still served, but \
                         scaling up to it takes a short delay"
                    )),
                    _ => {}
                }
            }
            ("campaignConfig.enableMetadataWithRecommendations", _, Some(Value::Bool(true))) => {
                notes.push("enabling metadata in recommendations adds cost".to_string());
            }
            ("solutionVersionArn", Some(before), Some(after)) => notes.push(format!(
                "the campaign will serve {} instead of {}",
                after.as_str().unwrap_or_default(),
                before.as_str().unwrap_or_default()
            )),
            _ => {}
        }
    }
    notes
}

/// What was observed, as JSON with AWS's member names; `null` for a campaign that does not exist.
pub fn observed_document(observed: &Observed) -> Value {
    let Some(campaign) = &observed.campaign else { return Value::Null };
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
        "latestSolutionVersion": observed.latest_version,
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

/// Decides the action for one campaign from its file and what was observed.
pub fn plan_campaign(loaded: &LoadedCampaign, observed: &Observed) -> CampaignPlan {
    let spec = &loaded.spec;
    let desired = desired_comparable(spec);
    let mut plan = CampaignPlan {
        name: spec.name.clone(),
        arn: loaded.campaign_arn.clone(),
        file: loaded.file.clone(),
        position: loaded.position,
        action: Action::NoOp,
        changes: Vec::new(),
        request: None,
        tags: TagChanges::default(),
        notes: Vec::new(),
        blocked_reason: None,
        in_flight: None,
        live_document: None,
        desired_document: document(&desired, spec),
        observed_document: observed_document(observed),
        fingerprint: String::new(),
        desired_spec: spec.to_document(),
    };
    plan.fingerprint = fingerprint(&plan.observed_document);
    let Some(live) = &observed.campaign else {
        plan.action = Action::Create;
        plan.changes = leaves(&plan.desired_document, "")
            .into_iter()
            .map(|(path, value)| FieldChange { path, before: None, after: Some(value) })
            .collect();
        plan.request = Some(CampaignRequest::Create(create_request(spec, &desired)));
        plan.notes = notes_for(&plan.changes);
        return plan;
    };
    if live.status.is_deleting() {
        plan.action = Action::Blocked;
        plan.blocked_reason =
            Some(format!("the campaign is being deleted ({}); apply again once it is gone", live.status));
        return plan;
    }
    if live.status == CampaignStatus::CreateFailed {
        plan.action = Action::Blocked;
        plan.blocked_reason = Some(format!(
            "the campaign's creation failed ({}); delete it (aws personalize delete-campaign --campaign-arn {}) and apply again",
            live.failure_reason.as_deref().unwrap_or("no reason given"),
            live.arn
        ));
        return plan;
    }

    // An update in flight decides what the campaign will serve; compare against that.
    let pending = live.latest_update.as_ref().filter(|update| !update.status.is_finished());
    let (version, tps, config) = match pending {
        Some(update) => (
            update.solution_version_arn.as_deref().unwrap_or(&live.solution_version_arn),
            update.min_provisioned_tps.or(live.min_provisioned_tps),
            update.config.as_ref().or(live.config.as_ref()),
        ),
        None => (live.solution_version_arn.as_str(), live.min_provisioned_tps, live.config.as_ref()),
    };
    let current = live_comparable(&desired, version, tps, config, observed.tags.as_ref());
    plan.live_document = Some(document(&current, spec));
    plan.changes = changes_between(&desired, &current);
    plan.tags = tag_changes(&desired, &current);
    plan.notes = notes_for(&plan.changes);
    if desired.sync {
        let serving = observed.latest_version.as_deref().unwrap_or(&live.solution_version_arn);
        plan.notes.push(format!("$LATEST serves {serving} now"));
    }
    if let Some(update) =
        live.latest_update.as_ref().filter(|update| update.status == CampaignStatus::CreateFailed)
    {
        plan.notes.push(format!(
            "the latest update failed: {}",
            update.failure_reason.as_deref().unwrap_or("no reason given")
        ));
    }
    let in_flight = live.is_in_flight().then(|| live.effective_status().clone());
    let config_changes = plan.changes.iter().any(|change| !change.path.starts_with("tags."));
    plan.action = match (plan.changes.is_empty(), &in_flight) {
        (true, Some(_)) => Action::Wait,
        (true, None) => Action::NoOp,
        (false, _) => Action::Update,
    };
    if plan.action == Action::Update && config_changes {
        plan.request = Some(CampaignRequest::Update(update_request(&live.arn, &desired, tps, config)));
    }
    if let Some(status) = &in_flight {
        plan.notes.push(match plan.action {
            Action::Update => format!("an earlier change is in flight ({status}); apply waits for it first"),
            _ => format!("a change with these values is in flight ({status}); apply only waits for it"),
        });
    }
    plan.in_flight = in_flight;
    plan
}

/// Every scalar of a document with its dotted path, in document order.
fn leaves(value: &Value, prefix: &str) -> Vec<(String, Value)> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, value)| {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                leaves(value, &path)
            })
            .collect(),
        scalar => vec![(prefix.to_string(), scalar.clone())],
    }
}

/// Plans every campaign whose observation succeeded; failures are returned beside the plan.
pub fn plan_all(
    campaigns: &[LoadedCampaign],
    observed: &[Result<Observed, LiveError>],
) -> (Plan, Vec<(String, LiveError)>) {
    let mut plan = Plan::default();
    let mut failures = Vec::new();
    for (campaign, observed) in campaigns.iter().zip(observed) {
        match observed {
            Ok(observed) => plan.campaigns.push(plan_campaign(campaign, observed)),
            Err(error) => failures.push((campaign.spec.name.clone(), error.clone())),
        }
    }
    (plan, failures)
}
