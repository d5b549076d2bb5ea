//! Observe, compare, decide: the live state of each campaign and recommender against its file, as plain
//! data.
//!
//! Only managed fields count (a field the file does not mention is never compared and is carried over from
//! live in any request), and the update this builds is complete, so that nothing the file does not
//! mention can change whether AWS merges or replaces a partial config. Each step has its module:
//! [`observe`] reads, [`compare`] holds every comparison rule of campaigns, [`request`] builds their write
//! calls and [`notes`] says what a reviewer should know; [`recommender`] is the same for recommenders.
//! This module holds what every kind shares: the plan's shape, the lifecycle rules and the action.

pub mod compare;
pub mod guard;
pub mod notes;
pub mod observe;
pub mod recommender;
pub mod request;
pub mod versions;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::live::{
    CreateCampaignRequest, CreateRecommenderRequest, LiveError, LiveResource, ResourceStatus,
    UpdateCampaignRequest, UpdateRecommenderRequest,
};
use crate::spec::{CampaignSpec, Kind, ResourceSpec};
use crate::validate::LoadedResource;
use crate::yaml::Position;
use compare::{changes_between, desired_comparable, document, live_comparable, tag_changes};
use notes::{latest_note, notes_for};
pub use observe::{
    Observed, SolutionCache, UnmanagedResource, fingerprint, observation_of, observe, observe_one,
    observe_with, observed_document, unmanaged,
};
use request::{create_request, update_request};
/// What apply will do for one campaign or recommender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    /// StartRecommender: a stopped recommender the file wants running.
    Start,
    /// StopRecommender: a running recommender the file wants stopped.
    Stop,
    /// A field that cannot change in place changed: delete, then create. Apply refuses unless the file
    /// allows it.
    Replace,
    Wait,
    Blocked,
    NoOp,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Replace => "replace",
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

/// The write call apply will send for a campaign or recommender (tag calls aside).
#[derive(Debug, Clone, PartialEq)]
pub enum WriteRequest {
    CreateCampaign(CreateCampaignRequest),
    UpdateCampaign(UpdateCampaignRequest),
    CreateRecommender(CreateRecommenderRequest),
    UpdateRecommender(UpdateRecommenderRequest),
    /// The recommender's ARN.
    StartRecommender(String),
    StopRecommender(String),
    DeleteRecommender(String),
}

/// What a write does to its resource, which decides how apply waits for it.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteRole {
    Create,
    Update,
    /// Start or stop: done when the resource's own status is `target`.
    Transition {
        target: ResourceStatus,
    },
    Delete,
}

impl WriteRequest {
    pub fn operation(&self) -> &'static str {
        match self {
            WriteRequest::CreateCampaign(_) => "CreateCampaign",
            WriteRequest::UpdateCampaign(_) => "UpdateCampaign",
            WriteRequest::CreateRecommender(_) => "CreateRecommender",
            WriteRequest::UpdateRecommender(_) => "UpdateRecommender",
            WriteRequest::StartRecommender(_) => "StartRecommender",
            WriteRequest::StopRecommender(_) => "StopRecommender",
            WriteRequest::DeleteRecommender(_) => "DeleteRecommender",
        }
    }

    pub fn role(&self) -> WriteRole {
        match self {
            WriteRequest::CreateCampaign(_) | WriteRequest::CreateRecommender(_) => WriteRole::Create,
            WriteRequest::UpdateCampaign(_) | WriteRequest::UpdateRecommender(_) => WriteRole::Update,
            WriteRequest::StartRecommender(_) => WriteRole::Transition { target: ResourceStatus::Active },
            WriteRequest::StopRecommender(_) => WriteRole::Transition { target: ResourceStatus::Inactive },
            WriteRequest::DeleteRecommender(_) => WriteRole::Delete,
        }
    }

    /// The request exactly as the AWS API names its members.
    pub fn to_wire(&self) -> Value {
        match self {
            WriteRequest::CreateCampaign(create) => create.to_wire(),
            WriteRequest::UpdateCampaign(update) => update.to_wire(),
            WriteRequest::CreateRecommender(create) => create.to_wire(),
            WriteRequest::UpdateRecommender(update) => update.to_wire(),
            WriteRequest::StartRecommender(arn)
            | WriteRequest::StopRecommender(arn)
            | WriteRequest::DeleteRecommender(arn) => serde_json::json!({ "recommenderArn": arn }),
        }
    }

    /// Whether `live` is what this create asked for, by the same rules as a plan: how apply recognises its
    /// own resource when the create's answer was lost.
    pub(crate) fn created(&self, live: &LiveResource) -> bool {
        match (self, live) {
            (WriteRequest::CreateCampaign(request), LiveResource::Campaign(campaign)) => {
                compare::campaign_created_as(campaign, request)
            }
            (WriteRequest::CreateRecommender(request), LiveResource::Recommender(live)) => {
                recommender::created_as(live, request)
            }
            _ => false,
        }
    }

    /// Whether `live`'s latest update asks for what this update asked, by the same rules as a plan.
    pub(crate) fn asked_by_latest_update(&self, live: &LiveResource) -> bool {
        match (self, live) {
            (WriteRequest::UpdateCampaign(request), LiveResource::Campaign(campaign)) => campaign
                .latest_update
                .as_ref()
                .is_some_and(|update| compare::update_asks_for(update, request)),
            (WriteRequest::UpdateRecommender(request), LiveResource::Recommender(live)) => live
                .latest_update
                .as_ref()
                .is_some_and(|update| recommender::update_asks_for(update, request)),
            _ => false,
        }
    }
}

/// The plan for one campaign or recommender.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePlan {
    pub name: String,
    pub arn: String,
    pub file: PathBuf,
    pub position: Position,
    /// Where the file writes `solutionVersionArn`: what a blocked version change points at.
    pub version_position: Position,
    pub action: Action,
    pub changes: Vec<FieldChange>,
    pub request: Option<WriteRequest>,
    pub tags: TagChanges,
    pub notes: Vec<String>,
    /// Why apply cannot proceed, for `Blocked`.
    pub blocked_reason: Option<String>,
    /// An update or create in flight that apply waits for first.
    pub in_flight: Option<ResourceStatus>,
    /// The live and desired documents restricted to managed fields, for diffs: only for a campaign with an
    /// action (`None` and `null` for a no-op).
    pub live_document: Option<Value>,
    pub desired_document: Value,
    /// What the plan was decided from.
    pub observed: Observed,
    /// The file's resource, so that a saved plan can be applied without the files
    /// ([`ResourceSpec::to_document`] gives it in the file's format).
    pub desired_spec: ResourceSpec,
    /// What the versions of a change of serving version are, and whether the file's guard lets it through.
    /// Boxed: most plans have none, and a plan of thousands of campaigns holds every plan.
    pub versions: Option<Box<versions::VersionReview>>,
}

impl ResourcePlan {
    pub fn kind(&self) -> Kind {
        self.desired_spec.kind()
    }

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

/// A plan for every campaign and recommender, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub campaigns: Vec<ResourcePlan>,
}

/// How many resources get each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub start: usize,
    pub stop: usize,
    pub replace: usize,
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
                Action::Start => &mut summary.start,
                Action::Stop => &mut summary.stop,
                Action::Replace => &mut summary.replace,
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

/// Decides the action for one campaign or recommender from its file and what was observed.
pub fn plan_resource(loaded: &LoadedResource, observed: &Observed) -> ResourcePlan {
    decide(loaded, observed.clone())
}

/// [`plan_resource`], keeping the observation it is given rather than a copy.
fn decide(loaded: &LoadedResource, observed: Observed) -> ResourcePlan {
    let mut plan = match &loaded.spec {
        ResourceSpec::Campaign(spec) => decide_campaign(loaded, spec, &observed),
        ResourceSpec::Recommender(spec) => recommender::decide(loaded, spec, &observed),
    };
    plan.observed = observed;
    plan
}

/// A plan with nothing decided yet.
fn undecided(loaded: &LoadedResource) -> ResourcePlan {
    ResourcePlan {
        name: loaded.name().to_string(),
        arn: loaded.arn.clone(),
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
        desired_spec: loaded.spec.clone(),
        versions: None,
    }
}

/// A create: every value of `desired_document` is a change from nothing.
fn planned_create(plan: &mut ResourcePlan, desired_document: Value, request: WriteRequest) {
    plan.action = Action::Create;
    plan.changes = leaves(&desired_document, "")
        .into_iter()
        .map(|(path, value)| FieldChange { path, before: None, after: Some(value) })
        .collect();
    plan.desired_document = desired_document;
    plan.request = Some(request);
}

/// Why a resource that exists cannot be changed at all: it is being deleted, or its creation failed.
fn lifecycle_block(live: &LiveResource, kind: Kind) -> Option<String> {
    let noun = kind.noun();
    let status = live.progress().status;
    if status.is_deleting() {
        return Some(format!("the {noun} is being deleted ({status}); apply again once it is gone"));
    }
    (*status == ResourceStatus::CreateFailed).then(|| {
        format!(
            "the {noun}'s creation failed ({}); delete it (aws personalize delete-{noun} --{noun}-arn {}) and apply again",
            live.failure_reason().unwrap_or("no reason given"),
            live.arn()
        )
    })
}

/// The action once the changes are known, for every kind: `changed` (with its `request`) when anything
/// differs, else wait for a change in flight or do nothing; and the notes about what is in flight.
fn conclude(plan: &mut ResourcePlan, live: &LiveResource, changed: Action, request: Option<WriteRequest>) {
    let progress = live.progress();
    if progress.update == Some(&ResourceStatus::CreateFailed) {
        let reason = live.latest_update().and_then(|(_, reason)| reason);
        plan.notes.push(format!("the latest update failed: {}", reason.unwrap_or("no reason given")));
    }
    let in_flight = progress.is_in_flight().then(|| progress.effective_status().clone());
    plan.action = match (plan.changes.is_empty(), &in_flight) {
        (true, Some(_)) => Action::Wait,
        (true, None) => Action::NoOp,
        (false, _) => changed,
    };
    if plan.action == changed && plan.action != Action::Blocked {
        plan.request = request;
    }
    if let Some(status) = &in_flight {
        plan.notes.push(match plan.action {
            Action::Wait | Action::NoOp => {
                format!("a change with these values is in flight ({status}); apply only waits for it")
            }
            _ => format!("an earlier change is in flight ({status}); apply waits for it first"),
        });
    }
    plan.in_flight = in_flight;
}

/// The plan for a campaign. The diff documents serve only campaigns with something to show: a converged
/// repository of thousands of campaigns builds none of them.
fn decide_campaign(loaded: &LoadedResource, spec: &CampaignSpec, observed: &Observed) -> ResourcePlan {
    let desired = desired_comparable(spec);
    let mut plan = undecided(loaded);
    let Some(live) = observed.live.as_ref() else {
        planned_create(
            &mut plan,
            document(&desired, spec),
            WriteRequest::CreateCampaign(create_request(spec, &desired)),
        );
        plan.notes = notes_for(&plan.changes);
        return plan;
    };
    let Some(campaign) = live.as_campaign() else { return plan };
    if let Some(reason) = lifecycle_block(live, Kind::Campaign) {
        plan.action = Action::Blocked;
        plan.blocked_reason = Some(reason);
        plan.desired_document = document(&desired, spec);
        return plan;
    }

    // An update in flight decides what the campaign will serve; compare against that.
    let (version, tps, config) = match campaign.update_in_flight() {
        Some(update) => (
            update.solution_version_arn.as_deref().unwrap_or(&campaign.solution_version_arn),
            update.min_provisioned_tps.or(campaign.min_provisioned_tps),
            update.config.as_ref().or(campaign.config.as_ref()),
        ),
        None => {
            (campaign.solution_version_arn.as_str(), campaign.min_provisioned_tps, campaign.config.as_ref())
        }
    };
    let mut current = live_comparable(&desired, version, tps, config, observed.tags.as_ref());
    plan.changes = changes_between(&desired, &current);
    if desired.sync && !plan.changes.iter().any(|change| change.path == "solutionVersionArn") {
        // Following `$LATEST` and serving one of its versions is no drift: the diff shows the alias on both
        // sides, and a note says which version serves.
        current.solution_version_arn = desired.solution_version_arn.clone();
    }
    plan.tags = tag_changes(&desired, &current);
    plan.notes = notes_for(&plan.changes);
    if desired.sync {
        plan.notes.push(latest_note(campaign, observed));
    }
    if let Some(warning) = &observed.latest_version_warning {
        plan.notes.push(format!("warning: {warning}"));
    }
    let config_changes = plan.changes.iter().any(|change| !change.path.starts_with("tags."));
    let update = config_changes
        .then(|| WriteRequest::UpdateCampaign(update_request(&campaign.arn, &desired, tps, config)));
    conclude(&mut plan, live, Action::Update, update);
    if plan.action != Action::NoOp {
        plan.desired_document = document(&desired, spec);
        plan.live_document = Some(document(&current, spec));
    }
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

/// What plan prints and apply starts from: every resource observed and planned, and the versions of the
/// campaigns that change it checked. Failures are returned beside the plan.
pub async fn plan_live<A: crate::live::PersonalizeApi + 'static>(
    api: std::sync::Arc<A>,
    campaigns: &[LoadedResource],
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
    campaigns: &[LoadedResource],
    observed: Vec<Result<Observed, LiveError>>,
) -> (Plan, Vec<(String, LiveError)>) {
    let mut plan = Plan { campaigns: Vec::with_capacity(campaigns.len()) };
    let mut failures = Vec::new();
    for (campaign, observed) in campaigns.iter().zip(observed) {
        match observed {
            Ok(observed) => plan.campaigns.push(decide(campaign, observed)),
            Err(error) => failures.push((campaign.name().to_string(), error)),
        }
    }
    (plan, failures)
}
