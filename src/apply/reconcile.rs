//! One campaign's or recommender's reconcile as an explicit state machine. [`Reconcile::next_step`] says what to do next
//! from what was last observed; the scheduler in the parent module does it (with waiting, deadlines and
//! cancellation) and hands the outcome to [`Reconcile::advance`]. No I/O happens here, so every
//! transition is tested on plain values.
//!
//! The identity of our own write is part of the state: after an update we wait for *that* update (newer
//! than the one we saw before sending, asking for what we sent), not for whatever the latest update
//! shows, and a write whose answer was lost is recognised by the same rule instead of being sent again.
//! Every kind goes through the same machine; what differs per kind (the requests, how a create or an
//! update is recognised) comes from [`WriteRequest`].

use std::time::Duration;

use tokio::time::Instant;

use super::ResourceResult;
use crate::live::{LiveError, LiveResource, ResourceStatus, UpdateStamp};
use crate::plan::versions::{VersionReview, with_review};
use crate::plan::{
    Action, FieldChange, Observed, ResourcePlan, TagChanges, WriteRequest, WriteRole, plan_resource,
};
use crate::validate::LoadedResource;

/// Decisions for one resource before apply gives up on it: one that needs more never converges
/// (AWS keeps reporting a difference after the calls that should remove it).
pub const MAX_DECISIONS: usize = 12;

/// The next poll comes when the time waited since the write has grown by this fraction: a change is seen
/// at most 45 % of its own duration after it finished (and at most the poll cap, 60 s by default).
pub const POLL_GROWTH: f64 = 0.45;

/// The timing rules of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// The first poll comes this long after a write (or after waiting starts).
    pub poll_interval: Duration,
    /// Polls never come further apart than this.
    pub poll_cap: Duration,
    /// An observation older than this is read again before a write is built from it.
    pub fresh_for: Duration,
    /// How long a write we sent may stay invisible (eventual consistency) before we stop looking for it.
    pub visibility_grace: Duration,
    /// How often someone else's update that got in before ours is waited out.
    pub in_use_retries: u32,
}

/// A write call, with what identifies it once AWS shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// A create, start, stop or delete: the request alone.
    Call(Box<WriteRequest>),
    /// The update, the tag calls to send before it (for `arn`), and the latest update before ours.
    Update { arn: String, request: Box<WriteRequest>, tags: TagChanges, previous: Option<UpdateStamp> },
    /// Tags alone: UntagResource, then TagResource.
    Tags { arn: String, tags: TagChanges },
}

/// What the scheduler does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Finish(ResourceResult),
    /// Describe the resource (and read what a decision needs).
    Observe,
    /// Read what a decision needs besides the resource, which a poll has just described.
    Complete(Box<LiveResource>),
    /// Wait until `at`, then describe the resource.
    Poll {
        at: Instant,
    },
    Send(Write),
}

/// What came of a step.
#[derive(Debug, Clone)]
pub enum Outcome {
    Observed(Result<Observed, LiveError>),
    Polled(Result<Option<LiveResource>, LiveError>),
    /// The answer to the write call, or to the tag calls of a tags-only write.
    Sent(Result<(), LiveError>),
    /// A tag call sent before an update was refused; the update was not sent.
    TagsRefused {
        operation: &'static str,
        error: LiveError,
    },
}

/// Something progress output should show.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// A status seen for the first time, labelled (`update CREATE PENDING`).
    Status(String),
    /// A call failed, or a read was not what we expected, but the run goes on.
    Retrying(String),
}

/// The write we sent last, as far as we know.
#[derive(Debug, Clone, PartialEq)]
enum Ours {
    Create(Box<WriteRequest>),
    Update {
        request: Box<WriteRequest>,
        previous: Option<UpdateStamp>,
    },
    /// A start or stop, done when the resource's status is `target`.
    Transition {
        request: Box<WriteRequest>,
        target: ResourceStatus,
    },
    Delete(Box<WriteRequest>),
}

impl Ours {
    fn request(&self) -> &WriteRequest {
        match self {
            Ours::Create(request)
            | Ours::Update { request, .. }
            | Ours::Transition { request, .. }
            | Ours::Delete(request) => request,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Decide from `plan`. `shown` holds the plan the user saw until the first write: a write built from it
    /// must come from an observation younger than [`Timing::fresh_for`].
    Decide {
        plan: Box<ResourcePlan>,
        observed_at: Instant,
        shown: bool,
    },
    /// Reading again before the first write; the fresh decision must be the one the user saw.
    Recheck {
        shown: Box<ResourcePlan>,
    },
    /// Reading again after tag calls, to decide from what is there.
    Reread,
    /// Waiting for a change in flight. `ours` is set for our own write; `lost` holds the error of a write
    /// whose answer did not say whether it landed.
    Waiting {
        ours: Option<Ours>,
        since: Instant,
        polls: u32,
        unseen_since: Option<Instant>,
        lost: Option<String>,
    },
    /// A poll saw the change end: read the rest and decide.
    Settled(Box<LiveResource>),
    Done(ResourceResult),
    /// Between transitions only.
    Moving,
}

/// What happened so far, for the result.
#[derive(Debug, Clone, Default, PartialEq)]
struct History {
    created: bool,
    updated: bool,
    started: bool,
    stopped: bool,
    /// Our delete of a replacement landed: the create that follows makes it a replacement.
    deleted: bool,
    waited: bool,
    /// One of our updates became ACTIVE: a difference after it is AWS not doing what was asked.
    update_landed: bool,
    foreign_updates: u32,
    decisions: usize,
}

/// One resource's reconcile.
#[derive(Debug, Clone)]
pub struct Reconcile {
    loaded: LoadedResource,
    /// The version check of the plan the user saw: a later decision deploys only the change it checked,
    /// under its verdict.
    review: Option<VersionReview>,
    timing: Timing,
    phase: Phase,
    history: History,
    last_status: Option<String>,
    notices: Vec<Notice>,
}

impl Reconcile {
    /// Starts from the plan the user saw, observed at `observed_at`.
    pub fn new(loaded: LoadedResource, plan: ResourcePlan, observed_at: Instant, timing: Timing) -> Self {
        let last_status = plan.observed.live.as_ref().map(|live| live.progress().status_label());
        Reconcile {
            loaded,
            review: plan.versions.as_deref().cloned(),
            timing,
            phase: Phase::Decide { plan: Box::new(plan), observed_at, shown: true },
            history: History::default(),
            last_status,
            notices: Vec::new(),
        }
    }

    /// The last status seen, labelled; what a timeout or an interruption reports.
    pub fn last_status(&self) -> String {
        self.last_status.clone().unwrap_or_else(|| "not started".to_string())
    }

    /// What happened since the last call, for progress output.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// What to do next, at `now`. Deciding may move the state on (a decision that needs no I/O).
    pub fn next_step(&mut self, now: Instant) -> Step {
        loop {
            match &self.phase {
                Phase::Done(result) => return Step::Finish(result.clone()),
                Phase::Recheck { .. } | Phase::Reread => return Step::Observe,
                Phase::Settled(campaign) => return Step::Complete(campaign.clone()),
                Phase::Waiting { since, polls, .. } => {
                    return Step::Poll { at: *since + poll_offset(self.timing, *polls, self.loaded.name()) };
                }
                Phase::Moving | Phase::Decide { .. } => {
                    match std::mem::replace(&mut self.phase, Phase::Moving) {
                        Phase::Decide { plan, observed_at, shown } => {
                            if let Some(step) = self.decide(*plan, observed_at, shown, now) {
                                return step;
                            }
                        }
                        // Only a bug leaves the machine between transitions: a failed campaign, not a panic.
                        _ => {
                            self.phase = Phase::Done(ResourceResult::Failed {
                                reason: "internal error: the reconcile lost its state".to_string(),
                            })
                        }
                    }
                }
            }
        }
    }

    /// Moves on from what the last step brought.
    pub fn advance(&mut self, outcome: Outcome, now: Instant) {
        let phase = std::mem::replace(&mut self.phase, Phase::Moving);
        self.phase = match (phase, outcome) {
            (Phase::Recheck { shown }, Outcome::Observed(Ok(observed))) => {
                let fresh = self.plan_for(&observed);
                self.note_status(observed.live.as_ref());
                if same_decision(&shown, &fresh) {
                    Phase::Decide { plan: Box::new(fresh), observed_at: now, shown: false }
                } else {
                    Phase::Done(ResourceResult::Stale { changed: what_changed(&shown, &fresh) })
                }
            }
            (Phase::Settled(_) | Phase::Reread, Outcome::Observed(Ok(observed))) => {
                self.note_status(observed.live.as_ref());
                let plan = self.plan_for(&observed);
                Phase::Decide { plan: Box::new(plan), observed_at: now, shown: false }
            }
            (Phase::Recheck { .. } | Phase::Settled(_) | Phase::Reread, Outcome::Observed(Err(error))) => {
                Phase::Done(ResourceResult::Failed { reason: error.to_string() })
            }
            (Phase::Decide { .. } | Phase::Moving, _) => Phase::Done(ResourceResult::Failed {
                reason: "internal error: an outcome arrived before any step".to_string(),
            }),
            (phase @ Phase::Waiting { .. }, Outcome::Polled(polled)) => self.polled(phase, polled, now),
            (Phase::Waiting { ours: Some(ours), polls: 0, .. }, Outcome::Sent(sent)) => {
                self.sent(ours, sent, now)
            }
            (Phase::Reread, Outcome::Sent(Ok(()))) => {
                self.history.updated = true;
                Phase::Reread
            }
            (_, Outcome::TagsRefused { operation, error }) => {
                Phase::Done(ResourceResult::Failed { reason: format!("{operation}: {error}") })
            }
            (phase, _) => phase,
        };
    }

    /// The plan for a new observation, under the version check of the plan the user saw.
    fn plan_for(&self, observed: &Observed) -> ResourcePlan {
        with_review(plan_resource(&self.loaded, observed), self.review.as_ref())
    }

    fn note_status(&mut self, live: Option<&LiveResource>) {
        if let Some(live) = live {
            self.see_status(live.progress().status_label());
        }
    }

    fn see_status(&mut self, label: String) {
        if self.last_status.as_ref() != Some(&label) {
            self.notices.push(Notice::Status(label.clone()));
            self.last_status = Some(label);
        }
    }

    /// The decision for a plan: a step with I/O, or `None` when the state moved on without any.
    fn decide(
        &mut self,
        plan: ResourcePlan,
        observed_at: Instant,
        shown: bool,
        now: Instant,
    ) -> Option<Step> {
        self.history.decisions += 1;
        if self.history.decisions > MAX_DECISIONS {
            self.phase = Phase::Done(ResourceResult::Failed {
                reason: format!(
                    "still differs from the file after {MAX_DECISIONS} rounds of changes: {}",
                    changed_fields(&plan.changes)
                ),
            });
            return None;
        }
        // Any write, tag calls alone included, waits for a fresh read after a prompt.
        let writes_now = plan.sends_writes() && (plan.action == Action::Create || plan.in_flight.is_none());
        if shown && writes_now && now.saturating_duration_since(observed_at) > self.timing.fresh_for {
            self.phase = Phase::Recheck { shown: Box::new(plan) };
            return None;
        }
        let waiting = |ours, lost| Phase::Waiting { ours, since: now, polls: 0, unseen_since: None, lost };
        // Blocked, or a replacement the file does not allow: a reason, and nothing to send.
        if plan.action == Action::Blocked || (plan.blocked_reason.is_some() && plan.request.is_none()) {
            self.phase = Phase::Done(ResourceResult::Failed {
                reason: plan.blocked_reason.clone().unwrap_or_else(|| "blocked".to_string()),
            });
            return None;
        }
        if plan.action == Action::NoOp {
            self.phase = Phase::Done(self.result());
            return None;
        }
        // Whatever is in flight ends first: decide again from what it leaves.
        if plan.action == Action::Wait || (plan.in_flight.is_some() && plan.action != Action::Create) {
            self.phase = waiting(None, None);
            return None;
        }
        let Some(request) = plan.request else {
            if plan.tags.is_empty() {
                self.phase = Phase::Done(ResourceResult::Failed {
                    reason: format!("internal error: a {} with nothing to send", plan.action.as_str()),
                });
                return None;
            }
            self.phase = Phase::Reread;
            return Some(Step::Send(Write::Tags { arn: plan.arn, tags: plan.tags }));
        };
        let request = Box::new(request);
        let (ours, write) = match request.role() {
            WriteRole::Create => (Ours::Create(request.clone()), Write::Call(request)),
            WriteRole::Update if self.history.update_landed => {
                self.phase = Phase::Done(ResourceResult::Failed {
                    reason: format!(
                        "the update became ACTIVE but live still differs from the file on {}",
                        changed_fields(&plan.changes)
                    ),
                });
                return None;
            }
            WriteRole::Update => {
                let previous =
                    plan.observed.live.as_ref().and_then(LiveResource::latest_update).map(|(stamp, _)| stamp);
                (
                    Ours::Update { request: request.clone(), previous },
                    Write::Update { arn: plan.arn.clone(), request, tags: plan.tags, previous },
                )
            }
            WriteRole::Transition { target } => {
                (Ours::Transition { request: request.clone(), target }, Write::Call(request))
            }
            WriteRole::Delete => (Ours::Delete(request.clone()), Write::Call(request)),
        };
        self.phase = waiting(Some(ours), None);
        Some(Step::Send(write))
    }

    /// How the run ends when nothing is left to do.
    fn result(&self) -> ResourceResult {
        match &self.history {
            History { deleted: true, created: true, .. } => ResourceResult::Replaced,
            History { created: true, .. } => ResourceResult::Created,
            History { updated: true, .. } => ResourceResult::Updated,
            History { stopped: true, .. } => ResourceResult::Stopped,
            History { started: true, .. } => ResourceResult::Started,
            History { waited: true, .. } => ResourceResult::Waited,
            _ => ResourceResult::Unchanged,
        }
    }

    /// After a write: accepted, refused, or with its answer lost.
    fn sent(&mut self, ours: Ours, sent: Result<(), LiveError>, now: Instant) -> Phase {
        let waiting =
            |ours, lost| Phase::Waiting { ours: Some(ours), since: now, polls: 0, unseen_since: None, lost };
        let operation = ours.request().operation();
        match (&ours, sent) {
            (Ours::Create(_), Ok(())) => {
                self.see_status(ResourceStatus::CreatePending.to_string());
                waiting(ours, None)
            }
            (Ours::Update { .. }, Ok(())) => {
                // Accepted: AWS holds it as CREATE PENDING, whether or not a read shows it yet.
                self.see_status(format!("update {}", ResourceStatus::CreatePending));
                waiting(ours, None)
            }
            (Ours::Transition { .. } | Ours::Delete(_), Ok(())) => waiting(ours, None),
            // The SDK's retry met our own write, or an attempt timed out: find out from what AWS shows.
            (Ours::Create(_), Err(error @ LiveError::AlreadyExists { .. }))
            | (Ours::Update { .. } | Ours::Transition { .. }, Err(error @ LiveError::InUse { .. }))
            | (Ours::Delete(_), Err(error @ (LiveError::InUse { .. } | LiveError::NotFound { .. }))) => {
                self.notices.push(Notice::Retrying(format!(
                    "{error}; looking for our own write before anything else"
                )));
                waiting(ours, Some(error.to_string()))
            }
            (_, Err(error)) if error.answer_may_be_lost() => {
                self.notices
                    .push(Notice::Retrying(format!("{error}; the write may have landed, looking for it")));
                waiting(ours, Some(error.to_string()))
            }
            (_, Err(error)) => {
                Phase::Done(ResourceResult::Failed { reason: format!("{operation}: {error}") })
            }
        }
    }

    /// After a poll while waiting.
    fn polled(
        &mut self,
        phase: Phase,
        polled: Result<Option<LiveResource>, LiveError>,
        now: Instant,
    ) -> Phase {
        let Phase::Waiting { ours, since, polls, unseen_since, lost } = phase else { return phase };
        let again =
            |ours, unseen_since, lost| Phase::Waiting { ours, since, polls: polls + 1, unseen_since, lost };
        let noun = self.loaded.kind().noun();
        let live = match polled {
            Err(error) => {
                // Waiting is read-only: a failed poll is tried again at the next one.
                let describe = format!("Describe{}", self.loaded.kind().as_str());
                self.notices.push(Notice::Retrying(format!("{describe}: {error}")));
                return again(ours, unseen_since, lost);
            }
            Ok(None) => {
                return match &ours {
                    Some(Ours::Create(_)) => self.unseen(ours, since, polls, unseen_since, lost, now),
                    // Gone: the replacement's create comes from the next decision.
                    Some(Ours::Delete(_)) => {
                        self.history.deleted = true;
                        Phase::Reread
                    }
                    _ => Phase::Done(ResourceResult::Failed {
                        reason: format!("the {noun} disappeared while waiting (deleted?)"),
                    }),
                };
            }
            Ok(Some(live)) => live,
        };
        let progress = live.progress();
        match &ours {
            Some(Ours::Create(request)) => {
                if !request.created(&live) {
                    return Phase::Done(ResourceResult::Stale {
                        changed: vec![created_by_someone_else(&live)],
                    });
                }
                self.see_status(progress.status_label());
                match progress.status {
                    ResourceStatus::Active => {
                        self.history.created = true;
                        Phase::Settled(Box::new(live))
                    }
                    ResourceStatus::CreateFailed => ours_failed(request.operation(), live.failure_reason()),
                    _ => again(ours, None, lost),
                }
            }
            Some(Ours::Update { request, previous }) => {
                let Some((_, failure)) =
                    live.latest_update().filter(|(stamp, _)| stamp.is_newer_than(previous.as_ref()))
                else {
                    // Still the update from before ours, with its old status and failureReason: ours is not
                    // visible yet.
                    return self.unseen(ours, since, polls, unseen_since, lost, now);
                };
                if !request.asked_by_latest_update(&live) {
                    // Someone else's update got in (before ours, which then met ResourceInUseException, or
                    // after it): wait for theirs, then decide again from what serves.
                    self.history.foreign_updates += 1;
                    if self.history.foreign_updates > self.timing.in_use_retries {
                        return Phase::Done(ResourceResult::Failed {
                            reason: format!(
                                "other updates keep arriving ({} so far); apply again when the {noun} is quiet",
                                self.history.foreign_updates
                            ),
                        });
                    }
                    self.notices.push(Notice::Retrying(
                        "another update is in flight; waiting for it first".to_string(),
                    ));
                    return self.foreign(live, since, polls);
                }
                self.see_status(progress.status_label());
                match progress.update {
                    Some(ResourceStatus::Active) => {
                        self.history.updated = true;
                        self.history.update_landed = true;
                        Phase::Settled(Box::new(live))
                    }
                    Some(ResourceStatus::CreateFailed) => ours_failed(request.operation(), failure),
                    _ => again(ours, None, lost),
                }
            }
            Some(Ours::Transition { request, target }) => {
                if progress.status == target {
                    self.see_status(progress.status_label());
                    match request.as_ref() {
                        WriteRequest::StopRecommender(_) => self.history.stopped = true,
                        _ => self.history.started = true,
                    }
                    return Phase::Settled(Box::new(live));
                }
                if progress.status.is_finished() {
                    // Still the status from before ours: not visible yet.
                    return self.unseen(ours, since, polls, unseen_since, lost, now);
                }
                self.see_status(progress.status_label());
                again(ours, None, lost)
            }
            Some(Ours::Delete(_)) => {
                if progress.status.is_deleting() {
                    self.see_status(progress.status_label());
                    return again(ours, None, lost);
                }
                self.unseen(ours, since, polls, unseen_since, lost, now)
            }
            None => self.foreign(live, since, polls),
        }
    }

    /// Waiting for a change we did not send: when it ends, however it ends, decide again from what serves
    /// (a failed update of someone else's is not our failure).
    fn foreign(&mut self, live: LiveResource, since: Instant, polls: u32) -> Phase {
        self.see_status(live.progress().status_label());
        if live.progress().is_in_flight() {
            return Phase::Waiting { ours: None, since, polls: polls + 1, unseen_since: None, lost: None };
        }
        if !self.history.updated && !self.history.created {
            self.history.waited = true;
        }
        Phase::Settled(Box::new(live))
    }

    /// Our write is not visible: go on polling within the grace, then fail without ever sending it again.
    fn unseen(
        &mut self,
        ours: Option<Ours>,
        since: Instant,
        polls: u32,
        unseen_since: Option<Instant>,
        lost: Option<String>,
        now: Instant,
    ) -> Phase {
        let first_unseen = unseen_since.unwrap_or(now);
        if now.saturating_duration_since(first_unseen) <= self.timing.visibility_grace {
            if unseen_since.is_none() {
                self.notices.push(Notice::Retrying("our change is not visible yet; polling on".to_string()));
            }
            return Phase::Waiting { ours, since, polls: polls + 1, unseen_since: Some(first_unseen), lost };
        }
        let operation = ours.as_ref().map_or("the write", |ours| ours.request().operation());
        let grace = self.timing.visibility_grace.as_secs();
        Phase::Done(ResourceResult::Failed {
            reason: match lost {
                Some(error) => format!(
                    "{operation} got no clear answer ({error}) and its change did not appear within {grace}s; \
                     it was not sent again: run apply again to decide from what is there"
                ),
                None => format!("{operation} was accepted but its change did not appear within {grace}s"),
            },
        })
    }
}

/// What a create found instead of its own resource.
fn created_by_someone_else(live: &LiveResource) -> String {
    match live {
        LiveResource::Campaign(campaign) => format!(
            "the campaign was created by someone else, serving {} (TPS {}), while this run was creating it",
            campaign.solution_version_arn,
            campaign.min_provisioned_tps.unwrap_or(1)
        ),
        LiveResource::Recommender(recommender) => format!(
            "the recommender was created by someone else, with recipe {} and other values than the file's, while \
             this run was creating it",
            recommender.recipe_arn
        ),
    }
}

/// Our own write ended in CREATE FAILED: reported with AWS's reason, never sent again.
fn ours_failed(operation: &str, reason: Option<&str>) -> Phase {
    Phase::Done(ResourceResult::Failed {
        reason: format!("{operation} ended in CREATE FAILED: {}", reason.unwrap_or("AWS gave no reason")),
    })
}

/// Whether a fresh plan makes the calls the shown one announced.
fn same_decision(shown: &ResourcePlan, fresh: &ResourcePlan) -> bool {
    shown.action == fresh.action && shown.request == fresh.request && shown.tags == fresh.tags
}

/// `path: before -> after` for what moved between the observation shown and the fresh one.
pub fn what_changed(shown: &ResourcePlan, fresh: &ResourcePlan) -> Vec<String> {
    let changed = super::changed_paths(&shown.observed_document(), &fresh.observed_document(), "");
    if changed.is_empty() { vec!["its live state changed".to_string()] } else { changed }
}

/// When poll `polls` comes, counted from when waiting started: the interval first, then each time the
/// time waited has grown by [`POLL_GROWTH`], no gap above the cap. A spread of up to 2 % of the gap, the
/// same for a campaign on every run, keeps many campaigns from polling in lockstep without leaving one
/// unlucky campaign far behind.
pub fn poll_offset(timing: Timing, polls: u32, name: &str) -> Duration {
    let mut offset = timing.poll_interval;
    let mut gap = timing.poll_interval;
    for _ in 0..polls {
        gap = offset.mul_f64(POLL_GROWTH).max(timing.poll_interval.mul_f64(POLL_GROWTH)).min(timing.poll_cap);
        offset += gap;
    }
    let spread =
        name.bytes().fold(polls, |hash, byte| hash.wrapping_mul(31).wrapping_add(u32::from(byte))) % 1000;
    offset + gap.mul_f64(0.02 * f64::from(spread) / 1000.0)
}

/// The fields a plan still changes, for a failure's reason.
fn changed_fields(changes: &[FieldChange]) -> String {
    changes.iter().map(|change| change.path.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{LiveCampaign, LiveCampaignUpdate, ServingConfig};

    const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v1";

    fn live(update: Option<LiveCampaignUpdate>) -> LiveResource {
        LiveResource::Campaign(LiveCampaign {
            latest_update: update,
            ..crate::live::fake::active_campaign("home")
        })
    }

    fn update(tps: i32, status: ResourceStatus, created_at: f64, reason: Option<&str>) -> LiveCampaignUpdate {
        LiveCampaignUpdate {
            solution_version_arn: Some(V1.into()),
            min_provisioned_tps: Some(tps),
            config: Some(ServingConfig {
                enable_metadata_with_recommendations: Some(false),
                sync_with_latest_solution_version: Some(false),
                ..ServingConfig::default()
            }),
            status,
            failure_reason: reason.map(str::to_string),
            created_at: Some(created_at),
            last_updated_at: Some(created_at),
        }
    }

    /// A reconcile of `home` to TPS 5 from `observed`, past its first decision.
    fn machine(observed: LiveResource, now: Instant) -> (Reconcile, Step) {
        let (campaigns, diagnostics) = crate::load::check_source(
            std::path::Path::new("home.yaml"),
            &format!("name: home\nsolutionVersionArn: {V1}\nminProvisionedTPS: 5\n"),
        );
        assert!(diagnostics.is_empty());
        let observed = Observed::of(observed);
        let plan = plan_resource(&campaigns[0], &observed);
        let mut machine = Reconcile::new(campaigns[0].clone(), plan, now, TIMING);
        let step = machine.next_step(now);
        (machine, step)
    }

    const TIMING: Timing = Timing {
        poll_interval: Duration::from_secs(5),
        poll_cap: Duration::from_secs(60),
        fresh_for: Duration::from_secs(10),
        visibility_grace: Duration::from_secs(60),
        in_use_retries: 3,
    };

    #[test]
    fn an_old_failed_update_seen_after_ours_is_not_ours() {
        let now = Instant::now();
        let old = update(3, ResourceStatus::CreateFailed, 100.0, Some("old failure"));
        let (mut machine, step) = machine(live(Some(old.clone())), now);
        assert!(matches!(
            step,
            Step::Send(Write::Update { previous: Some(UpdateStamp { created_at: Some(100.0) }), .. })
        ));
        machine.advance(Outcome::Sent(Ok(())), now);
        assert_eq!(machine.last_status(), "update CREATE PENDING");
        // A stale read: the previous update, with its old reason. Not ours, not a failure: poll on.
        machine.advance(Outcome::Polled(Ok(Some(live(Some(old))))), now + Duration::from_secs(5));
        assert!(matches!(machine.next_step(now), Step::Poll { .. }));
        assert_eq!(machine.last_status(), "update CREATE PENDING");
        // Ours, visible and done.
        let ours = update(5, ResourceStatus::Active, 200.0, None);
        machine.advance(Outcome::Polled(Ok(Some(live(Some(ours))))), now + Duration::from_secs(8));
        assert!(matches!(machine.next_step(now), Step::Complete(_)));
    }

    #[test]
    fn our_own_failure_is_reported_with_its_reason_and_not_resent() {
        let now = Instant::now();
        let (mut machine, _) = machine(live(None), now);
        machine.advance(Outcome::Sent(Ok(())), now);
        let failed = update(5, ResourceStatus::CreateFailed, 200.0, Some("no capacity"));
        machine.advance(Outcome::Polled(Ok(Some(live(Some(failed))))), now);
        assert_eq!(
            machine.next_step(now),
            Step::Finish(ResourceResult::Failed {
                reason: "UpdateCampaign ended in CREATE FAILED: no capacity".into()
            })
        );
    }

    #[test]
    fn a_write_that_never_shows_up_fails_after_the_grace_without_a_second_send() {
        let now = Instant::now();
        let (mut machine, _) = machine(live(None), now);
        machine.advance(Outcome::Sent(Err(LiveError::Timeout { detail: "attempt timeout".into() })), now);
        for seconds in [5, 30, 61] {
            assert!(matches!(machine.next_step(now), Step::Poll { .. }));
            machine.advance(Outcome::Polled(Ok(Some(live(None)))), now + Duration::from_secs(seconds));
        }
        machine.advance(Outcome::Polled(Ok(Some(live(None)))), now + Duration::from_secs(70));
        let Step::Finish(ResourceResult::Failed { reason }) = machine.next_step(now) else { panic!() };
        assert!(
            reason.contains("did not appear within 60s") && reason.contains("not sent again"),
            "{reason}"
        );
    }

    #[test]
    fn someone_elses_update_is_waited_for_then_decided_again() {
        let now = Instant::now();
        let (mut machine, _) = machine(live(None), now);
        machine.advance(Outcome::Sent(Err(LiveError::InUse { message: "busy".into() })), now);
        let theirs = update(4, ResourceStatus::CreateInProgress, 150.0, None);
        machine.advance(Outcome::Polled(Ok(Some(live(Some(theirs))))), now);
        assert!(matches!(machine.next_step(now), Step::Poll { .. }));
        let failed = update(4, ResourceStatus::CreateFailed, 150.0, Some("their failure"));
        machine.advance(Outcome::Polled(Ok(Some(live(Some(failed))))), now);
        // Their failure is not ours: decide again from what serves.
        assert!(matches!(machine.next_step(now), Step::Complete(_)));
    }

    #[test]
    fn polls_grow_with_the_time_waited_and_stop_at_the_cap() {
        let offsets: Vec<f64> = (0..12).map(|polls| poll_offset(TIMING, polls, "c").as_secs_f64()).collect();
        assert!((5.0..5.1).contains(&offsets[0]), "{offsets:?}");
        for pair in offsets.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            assert!(after > before, "{offsets:?}");
            // The rule: the next poll comes at most 45 % (+2 % spread) of the time waited later, and at
            // most 60 s (+2 %) later.
            assert!(after - before <= (before * POLL_GROWTH).min(60.0) * 1.02 + 1e-6, "{offsets:?}");
        }
        assert!(offsets[11] - offsets[10] > 58.0, "the cap is reached: {offsets:?}");
        // A change that takes 10 s is seen by the third poll, within 1.1 x its duration.
        assert!(offsets[2] > 10.0 && offsets[2] < 11.0, "{offsets:?}");
    }
}
