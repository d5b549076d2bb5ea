//! Observe, compare, decide: the live state of each campaign against its file, as plain data.
//!
//! Only managed fields count (a field the file does not mention is never compared and is carried over from
//! live in any request), and the UpdateCampaign this builds is complete, so that nothing the file does not
//! mention can change whether AWS merges or replaces a partial config. Each step has its module:
//! [`observe`] reads, [`compare`] holds every comparison rule, [`request`] builds the write calls and
//! [`notes`] says what a reviewer should know; this module decides.

pub mod compare;
pub mod guard;
pub mod notes;
pub mod observe;
pub mod request;
pub mod versions;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::live::{CampaignStatus, CreateCampaignRequest, LiveError, UpdateCampaignRequest};
use crate::spec::CampaignSpec;
use crate::validate::LoadedCampaign;
use crate::yaml::Position;
use compare::{changes_between, desired_comparable, document, live_comparable, tag_changes};
use notes::{latest_note, notes_for};
pub use observe::{
    Observed, SolutionCache, fingerprint, observation_of, observe, observe_one, observe_with,
    observed_document, unmanaged,
};
use request::{create_request, update_request};
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

impl CampaignRequest {
    pub fn operation(&self) -> &'static str {
        match self {
            CampaignRequest::Create(_) => "CreateCampaign",
            CampaignRequest::Update(_) => "UpdateCampaign",
        }
    }

    /// The request exactly as the AWS API names its members.
    pub fn to_wire(&self) -> Value {
        match self {
            CampaignRequest::Create(create) => create.to_wire(),
            CampaignRequest::Update(update) => update.to_wire(),
        }
    }
}

/// The plan for one campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignPlan {
    pub name: String,
    pub arn: String,
    pub file: PathBuf,
    pub position: Position,
    /// Where the file writes `solutionVersionArn`: what a blocked version change points at.
    pub version_position: Position,
    pub action: Action,
    pub changes: Vec<FieldChange>,
    pub request: Option<CampaignRequest>,
    pub tags: TagChanges,
    pub notes: Vec<String>,
    /// Why apply cannot proceed, for `Blocked`.
    pub blocked_reason: Option<String>,
    /// An update or create in flight that apply waits for first.
    pub in_flight: Option<CampaignStatus>,
    /// The live and desired documents restricted to managed fields, for diffs: only for a campaign with an
    /// action (`None` and `null` for a no-op).
    pub live_document: Option<Value>,
    pub desired_document: Value,
    /// What the plan was decided from.
    pub observed: Observed,
    /// The file's campaign, so that a saved plan can be applied without the files
    /// ([`CampaignSpec::to_document`] gives it in the file's format).
    pub desired_spec: CampaignSpec,
    /// What the versions of a change of serving version are, and whether the file's guard lets it through.
    pub versions: Option<versions::VersionReview>,
}

impl CampaignPlan {
    /// What was observed, as JSON: the basis of the fingerprint, and of "what changed" for a stale plan.
    /// Built only when asked for, so a plan of many campaigns holds no JSON it will not print.
    pub fn observed_document(&self) -> Value {
        observed_document(&self.observed)
    }

    /// Identifies the live state this plan was computed from.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.observed_document())
    }

    /// Whether apply would send anything for this campaign (a create, an update or tag calls), as opposed
    /// to waiting for a change in flight or doing nothing.
    pub fn sends_writes(&self) -> bool {
        self.request.is_some() || !self.tags.is_empty()
    }
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

/// Decides the action for one campaign from its file and what was observed.
pub fn plan_campaign(loaded: &LoadedCampaign, observed: &Observed) -> CampaignPlan {
    decide(loaded, observed.clone())
}

/// [`plan_campaign`], keeping the observation it is given rather than a copy.
fn decide(loaded: &LoadedCampaign, observed: Observed) -> CampaignPlan {
    let desired = desired_comparable(&loaded.spec);
    let (mut plan, current) = decide_from(loaded, &desired, &observed);
    // The diff documents serve only campaigns with something to show: a converged repository of
    // thousands of campaigns builds none of them.
    if plan.action != Action::NoOp {
        if plan.desired_document.is_null() {
            plan.desired_document = document(&desired, &loaded.spec);
        }
        plan.live_document = current.map(|current| document(&current, &loaded.spec));
    }
    plan.observed = observed;
    plan
}

/// The decision, and the live values it compared against (none for a campaign that does not exist or
/// cannot be updated).
fn decide_from(
    loaded: &LoadedCampaign,
    desired: &compare::Comparable,
    observed: &Observed,
) -> (CampaignPlan, Option<compare::Comparable>) {
    let spec = &loaded.spec;
    let mut plan = CampaignPlan {
        name: spec.name.clone(),
        arn: loaded.campaign_arn.clone(),
        file: loaded.file.clone(),
        position: loaded.position,
        version_position: loaded.version_position,
        action: Action::NoOp,
        changes: Vec::new(),
        request: None,
        tags: TagChanges::default(),
        notes: Vec::new(),
        blocked_reason: None,
        in_flight: None,
        live_document: None,
        desired_document: Value::Null,
        observed: Observed::default(),
        desired_spec: spec.clone(),
        versions: None,
    };
    let Some(live) = &observed.campaign else {
        plan.action = Action::Create;
        plan.desired_document = document(desired, spec);
        plan.changes = leaves(&plan.desired_document, "")
            .into_iter()
            .map(|(path, value)| FieldChange { path, before: None, after: Some(value) })
            .collect();
        plan.request = Some(CampaignRequest::Create(create_request(spec, desired)));
        plan.notes = notes_for(&plan.changes);
        return (plan, None);
    };
    if live.status.is_deleting() {
        plan.action = Action::Blocked;
        plan.blocked_reason =
            Some(format!("the campaign is being deleted ({}); apply again once it is gone", live.status));
        return (plan, None);
    }
    if live.status == CampaignStatus::CreateFailed {
        plan.action = Action::Blocked;
        plan.blocked_reason = Some(format!(
            "the campaign's creation failed ({}); delete it (aws personalize delete-campaign --campaign-arn {}) and apply again",
            live.failure_reason.as_deref().unwrap_or("no reason given"),
            live.arn
        ));
        return (plan, None);
    }

    // An update in flight decides what the campaign will serve; compare against that.
    let (version, tps, config) = match live.update_in_flight() {
        Some(update) => (
            update.solution_version_arn.as_deref().unwrap_or(&live.solution_version_arn),
            update.min_provisioned_tps.or(live.min_provisioned_tps),
            update.config.as_ref().or(live.config.as_ref()),
        ),
        None => (live.solution_version_arn.as_str(), live.min_provisioned_tps, live.config.as_ref()),
    };
    let mut current = live_comparable(desired, version, tps, config, observed.tags.as_ref());
    plan.changes = changes_between(desired, &current);
    if desired.sync && !plan.changes.iter().any(|change| change.path == "solutionVersionArn") {
        // Following `$LATEST` and serving one of its versions is no drift: the diff shows the alias on both
        // sides, and a note says which version serves.
        current.solution_version_arn = desired.solution_version_arn.clone();
    }
    plan.tags = tag_changes(desired, &current);
    plan.notes = notes_for(&plan.changes);
    if desired.sync {
        plan.notes.push(latest_note(live, observed));
    }
    if let Some(warning) = &observed.latest_version_warning {
        plan.notes.push(format!("warning: {warning}"));
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
        plan.request = Some(CampaignRequest::Update(update_request(&live.arn, desired, tps, config)));
    }
    if let Some(status) = &in_flight {
        plan.notes.push(match plan.action {
            Action::Update => format!("an earlier change is in flight ({status}); apply waits for it first"),
            _ => format!("a change with these values is in flight ({status}); apply only waits for it"),
        });
    }
    plan.in_flight = in_flight;
    (plan, Some(current))
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

/// What plan prints and apply starts from: every campaign observed and planned, and the versions of those
/// that change it checked. Failures are returned beside the plan.
pub async fn plan_live<A: crate::live::PersonalizeApi + 'static>(
    api: std::sync::Arc<A>,
    campaigns: &[LoadedCampaign],
    concurrency: usize,
    solutions: std::sync::Arc<SolutionCache>,
) -> (Plan, Vec<(String, LiveError)>) {
    let observed = observe_with(api.clone(), campaigns, concurrency, solutions).await;
    let (mut plan, mut failures) = plan_all(campaigns, observed);
    failures.extend(versions::review_versions(api, &mut plan, concurrency).await);
    (plan, failures)
}

/// Plans every campaign whose observation succeeded; failures are returned beside the plan.
pub fn plan_all(
    campaigns: &[LoadedCampaign],
    observed: Vec<Result<Observed, LiveError>>,
) -> (Plan, Vec<(String, LiveError)>) {
    let mut plan = Plan { campaigns: Vec::with_capacity(campaigns.len()) };
    let mut failures = Vec::new();
    for (campaign, observed) in campaigns.iter().zip(observed) {
        match observed {
            Ok(observed) => plan.campaigns.push(decide(campaign, observed)),
            Err(error) => failures.push((campaign.spec.name.clone(), error)),
        }
    }
    (plan, failures)
}
