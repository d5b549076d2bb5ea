//! The reconcile engine: for each campaign and recommender, the minimal calls, then waiting until AWS says the change is
//! done, re-deciding from a fresh observation after every wait. Re-running it after any interruption is
//! the normal path: a change already in flight that equals the file is only waited for.
//!
//! [`reconcile`] decides (a state machine over observed state, with no I/O); this module is the one
//! scheduler: it runs each step with bounded concurrency, sleeps between polls, and applies the deadline
//! and Ctrl-C to every await.

pub mod reconcile;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::live::{CallSlots, LiveError, PersonalizeApi, describe_resource, tags_to_wire};
use crate::plan::{ResourcePlan, SolutionCache, TagChanges, WriteRequest, observation_of, observe_one};
use crate::validate::LoadedResource;
use reconcile::{Notice, Outcome, Reconcile, Step, Timing, Write};

/// How apply runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Calls to AWS at once (waiting campaigns hold no place).
    pub concurrency: usize,
    /// The first poll comes this long after a write; later ones as [`reconcile::poll_offset`] says.
    pub poll_interval: Duration,
    /// Polls never come further apart than this.
    pub poll_cap: Duration,
    /// When the whole run stops waiting.
    pub deadline: Instant,
    /// How often someone else's update that got in first is waited out.
    pub in_use_retries: u32,
    /// When the plan's observations were made.
    pub observed_at: Instant,
    /// An observation older than this is read again before a write is built from it: zero after a
    /// confirmation prompt, so that every campaign is described again before its first write.
    pub fresh_for: Duration,
    /// How long a write we sent may stay invisible (eventual consistency) before we stop looking for it.
    pub visibility_grace: Duration,
    /// DescribeSolution's answers so far (the plan's), so that a run asks at most once per solution.
    pub solutions: Arc<SolutionCache>,
}

impl ApplyOptions {
    /// The rules the reconcile state machine itself applies.
    fn timing(&self) -> Timing {
        Timing {
            poll_interval: self.poll_interval,
            poll_cap: self.poll_cap,
            fresh_for: self.fresh_for,
            visibility_grace: self.visibility_grace,
            in_use_retries: self.in_use_retries,
        }
    }
}

/// How one campaign or recommender ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceResult {
    Created,
    Updated,
    /// A recommender was started (StartRecommender) and is ACTIVE.
    Started,
    /// A recommender was stopped (StopRecommender) and is INACTIVE.
    Stopped,
    /// A recommender was deleted and created again from its file.
    Replaced,
    /// Nothing to do.
    Unchanged,
    /// Only waited: a change already in flight (someone else's, or an earlier run's) ended, and the
    /// campaign now matches its file.
    Waited,
    Failed {
        reason: String,
    },
    /// Live moved since the plan was shown: nothing was sent, and `changed` says what moved.
    Stale {
        changed: Vec<String>,
    },
    /// The run's timeout came first; `status` is the last one seen. AWS carries on.
    TimedOut {
        status: String,
    },
    /// Ctrl-C or SIGTERM; `status` is the last one seen. AWS carries on.
    Interrupted {
        status: String,
    },
}

impl ResourceResult {
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            ResourceResult::Created
                | ResourceResult::Updated
                | ResourceResult::Started
                | ResourceResult::Stopped
                | ResourceResult::Replaced
                | ResourceResult::Unchanged
                | ResourceResult::Waited
        )
    }

    pub fn label(&self) -> &'static str {
        match self {
            ResourceResult::Created => "created",
            ResourceResult::Updated => "updated",
            ResourceResult::Started => "started",
            ResourceResult::Stopped => "stopped",
            ResourceResult::Replaced => "replaced",
            ResourceResult::Unchanged => "unchanged",
            ResourceResult::Waited => "waited",
            ResourceResult::Failed { .. } => "failed",
            ResourceResult::Stale { .. } => "stale",
            ResourceResult::TimedOut { .. } => "timed out",
            ResourceResult::Interrupted { .. } => "interrupted",
        }
    }
}

/// One campaign's or recommender's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceReport {
    pub kind: crate::spec::Kind,
    pub name: String,
    pub arn: String,
    pub result: ResourceResult,
    pub elapsed: Duration,
}

/// Something that happened to one campaign, for progress output.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyEvent {
    pub campaign: String,
    pub kind: EventKind,
    /// The campaign's status, labelled (`update CREATE PENDING`), where there is one.
    pub status: Option<String>,
    /// Since the run started.
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A write call is being sent: its operation and input, as the AWS API names them.
    Request { operation: &'static str, input: Value },
    /// A status was seen for the first time while waiting.
    Status,
    /// A call failed or a read was not what was expected, but the run goes on.
    Retrying { reason: String },
    /// The campaign is done.
    Finished { result: ResourceResult },
}

/// Receives events as they happen, from any task.
pub trait ApplySink: Send + Sync {
    fn event(&self, event: &ApplyEvent);
}

/// Why a step did not complete.
enum Stop {
    Deadline,
    Cancelled,
}

/// Applies every plan; returns one report per campaign, in input order, whatever happens to its task.
pub async fn apply<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    work: Vec<(LoadedResource, ResourcePlan)>,
    options: ApplyOptions,
    sink: Arc<dyn ApplySink>,
    cancel: watch::Receiver<bool>,
) -> Vec<ResourceReport> {
    let started = Instant::now();
    let scheduler = Arc::new(Scheduler {
        api,
        slots: CallSlots::new(options.concurrency),
        solutions: options.solutions.clone(),
        sink,
        cancel,
        started,
        options,
    });
    let mut tasks = JoinSet::new();
    let mut names = Vec::with_capacity(work.len());
    let mut task_index = HashMap::new();
    for (index, (loaded, plan)) in work.into_iter().enumerate() {
        names.push((loaded.kind(), loaded.name().to_string(), loaded.arn.clone()));
        let scheduler = scheduler.clone();
        let handle = tasks.spawn(async move { (index, scheduler.run(loaded, plan).await) });
        task_index.insert(handle.id(), index);
    }
    let mut results: Vec<Option<ResourceResult>> = vec![None; names.len()];
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, (index, result))) => results[index] = Some(result),
            Err(error) => {
                // A task that panicked or was cancelled is a failed campaign, never a missing one.
                let Some(&index) = task_index.get(&error.id()) else { continue };
                let reason = if error.is_panic() {
                    "internal error: pz-apply's task for this campaign panicked (a bug; please report it); \
                     run apply again to decide from what is there"
                } else {
                    "internal error: pz-apply's task for this campaign was cancelled"
                };
                tracing::error!(campaign = %names[index].1, %error, "an apply task ended abnormally");
                let result = ResourceResult::Failed { reason: reason.to_string() };
                scheduler.emit(&names[index].1, EventKind::Finished { result: result.clone() }, None);
                results[index] = Some(result);
            }
        }
    }
    names
        .into_iter()
        .zip(results)
        .map(|((kind, name, arn), result)| ResourceReport {
            kind,
            name,
            arn,
            result: result
                .unwrap_or(ResourceResult::Failed { reason: "internal error: no result".to_string() }),
            elapsed: started.elapsed(),
        })
        .collect()
}

/// Runs the steps of every campaign's reconcile.
struct Scheduler<A> {
    api: Arc<A>,
    slots: CallSlots,
    solutions: Arc<SolutionCache>,
    sink: Arc<dyn ApplySink>,
    cancel: watch::Receiver<bool>,
    started: Instant,
    options: ApplyOptions,
}

impl<A: PersonalizeApi + 'static> Scheduler<A> {
    fn emit(&self, campaign: &str, kind: EventKind, status: Option<String>) {
        match &kind {
            EventKind::Request { operation, .. } => tracing::info!(campaign, operation, "sending"),
            EventKind::Status => tracing::info!(campaign, status = status.as_deref(), "status"),
            EventKind::Retrying { reason } => tracing::warn!(campaign, reason, "retrying"),
            EventKind::Finished { result } => tracing::info!(campaign, result = result.label(), "finished"),
        }
        self.sink.event(&ApplyEvent {
            campaign: campaign.to_string(),
            kind,
            status,
            elapsed: self.started.elapsed(),
        });
    }

    async fn run(&self, loaded: LoadedResource, plan: ResourcePlan) -> ResourceResult {
        let name = loaded.name().to_string();
        let arn = loaded.arn.clone();
        let kind = loaded.kind();
        let manages_tags = loaded.spec.tags().is_some();
        let mut machine = Reconcile::new(loaded, plan, self.options.observed_at, self.options.timing());
        let result = loop {
            let step = machine.next_step(Instant::now());
            let outcome = match step {
                Step::Finish(result) => break result,
                Step::Observe => self
                    .guarded(
                        false,
                        observe_one(
                            self.api.as_ref(),
                            &self.slots,
                            &self.solutions,
                            kind,
                            &arn,
                            manages_tags,
                        ),
                    )
                    .await
                    .map(Outcome::Observed),
                Step::Complete(live) => self
                    .guarded(
                        false,
                        observation_of(
                            self.api.as_ref(),
                            &self.slots,
                            &self.solutions,
                            Some(*live),
                            manages_tags,
                        ),
                    )
                    .await
                    .map(Outcome::Observed),
                Step::Poll { at } => match self.sleep_until(at).await {
                    Ok(()) => self
                        .guarded(false, self.slots.call(describe_resource(self.api.as_ref(), kind, &arn)))
                        .await
                        .map(Outcome::Polled),
                    Err(stop) => Err(stop),
                },
                Step::Send(write) => {
                    if Instant::now() >= self.options.deadline {
                        Err(Stop::Deadline)
                    } else {
                        self.guarded(true, self.send(&name, write)).await
                    }
                }
            };
            match outcome {
                Ok(outcome) => machine.advance(outcome, Instant::now()),
                Err(Stop::Deadline) => break ResourceResult::TimedOut { status: machine.last_status() },
                Err(Stop::Cancelled) => break ResourceResult::Interrupted { status: machine.last_status() },
            }
            for notice in machine.take_notices() {
                match notice {
                    Notice::Status(status) => self.emit(&name, EventKind::Status, Some(status)),
                    Notice::Retrying(reason) => self.emit(&name, EventKind::Retrying { reason }, None),
                }
            }
        };
        self.emit(&name, EventKind::Finished { result: result.clone() }, None);
        result
    }

    /// Runs `call` unless Ctrl-C comes first; reads also stop at the deadline. A write is never cut off by
    /// the deadline, only by Ctrl-C: once sent, its answer is worth having.
    async fn guarded<T>(&self, write: bool, call: impl Future<Output = T>) -> Result<T, Stop> {
        let mut cancel = self.cancel.clone();
        if *cancel.borrow() {
            return Err(Stop::Cancelled);
        }
        let deadline = self.options.deadline;
        tokio::select! {
            result = call => Ok(result),
            _ = cancel.wait_for(|cancelled| *cancelled) => Err(Stop::Cancelled),
            _ = tokio::time::sleep_until(deadline), if !write => Err(Stop::Deadline),
        }
    }

    async fn sleep_until(&self, at: Instant) -> Result<(), Stop> {
        self.guarded(false, tokio::time::sleep_until(at.min(self.options.deadline))).await?;
        if at > self.options.deadline { Err(Stop::Deadline) } else { Ok(()) }
    }

    /// Sends a write: for an update, tags first (UntagResource before TagResource, so that a rename at the
    /// 50-tag quota fits), then the update.
    async fn send(&self, name: &str, write: Write) -> Outcome {
        match write {
            Write::Call(request) => Outcome::Sent(self.call(name, &request).await),
            Write::Update { arn, request, tags, .. } => {
                if let Err(refused) = self.send_tags(name, &arn, &tags).await {
                    return refused;
                }
                Outcome::Sent(self.call(name, &request).await)
            }
            Write::Tags { arn, tags } => match self.send_tags(name, &arn, &tags).await {
                Ok(()) => Outcome::Sent(Ok(())),
                Err(refused) => refused,
            },
        }
    }

    /// Announces a write call and sends it: the one place a request becomes an API call.
    async fn call(&self, name: &str, request: &WriteRequest) -> Result<(), LiveError> {
        self.emit(
            name,
            EventKind::Request { operation: request.operation(), input: request.to_wire() },
            None,
        );
        let api = self.api.as_ref();
        self.slots
            .call(async {
                match request {
                    WriteRequest::CreateCampaign(create) => api.create_campaign(create).await.map(|_| ()),
                    WriteRequest::UpdateCampaign(update) => api.update_campaign(update).await,
                    WriteRequest::CreateRecommender(create) => {
                        api.create_recommender(create).await.map(|_| ())
                    }
                    WriteRequest::UpdateRecommender(update) => api.update_recommender(update).await,
                    WriteRequest::StartRecommender(arn) => api.start_recommender(arn).await,
                    WriteRequest::StopRecommender(arn) => api.stop_recommender(arn).await,
                    WriteRequest::DeleteRecommender(arn) => api.delete_recommender(arn).await,
                }
            })
            .await
    }

    async fn send_tags(&self, name: &str, arn: &str, tags: &TagChanges) -> Result<(), Outcome> {
        let refused = |operation, error: LiveError| Outcome::TagsRefused { operation, error };
        if !tags.remove.is_empty() {
            let input = json!({ "resourceArn": arn, "tagKeys": tags.remove });
            self.emit(name, EventKind::Request { operation: "UntagResource", input }, None);
            self.slots
                .call(self.api.untag_resource(arn, &tags.remove))
                .await
                .map_err(|error| refused("UntagResource", error))?;
        }
        if !tags.set.is_empty() {
            let input = json!({ "resourceArn": arn, "tags": tags_to_wire(&tags.set) });
            self.emit(name, EventKind::Request { operation: "TagResource", input }, None);
            self.slots
                .call(self.api.tag_resource(arn, &tags.set))
                .await
                .map_err(|error| refused("TagResource", error))?;
        }
        Ok(())
    }
}

/// `path: before -> after` for every leaf that differs between two observations.
pub fn changed_paths(before: &Value, after: &Value, prefix: &str) -> Vec<String> {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .flat_map(|key| {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    changed_paths(
                        a.get(key).unwrap_or(&Value::Null),
                        b.get(key).unwrap_or(&Value::Null),
                        &path,
                    )
                })
                .collect()
        }
        (a, b) if a == b => Vec::new(),
        (Value::Null, _) if prefix.is_empty() => vec!["it now exists".to_string()],
        (_, Value::Null) if prefix.is_empty() => vec!["it no longer exists".to_string()],
        // A section that appeared or went away: name its leaves.
        (Value::Null, Value::Object(_)) => changed_paths(&Value::Object(Default::default()), after, prefix),
        (Value::Object(_), Value::Null) => changed_paths(before, &Value::Object(Default::default()), prefix),
        (a, b) => vec![format!("{prefix}: {a} -> {b}")],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::fake::{FakePersonalize, RecordedWrite};
    use crate::live::{
        CampaignSummary, CreateCampaignRequest, CreateRecommenderRequest, LiveCampaign, LiveRecommender,
        LiveResource, RecommenderSummary, ResourceStatus, SolutionVersionSummary, UpdateCampaignRequest,
        UpdateRecommenderRequest,
    };
    use crate::plan::{Observed, plan_resource};

    const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";
    const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v1";

    /// AWS as it should never behave, in two ways: updates become ACTIVE but leave the TPS as it was, and
    /// describing a campaign called `crash` panics. Work finishes as soon as anyone looks.
    struct Misbehaving(FakePersonalize);

    impl PersonalizeApi for Misbehaving {
        async fn describe_campaign(&self, arn: &str) -> Result<Option<LiveCampaign>, LiveError> {
            assert!(!arn.ends_with("/crash"), "a bug in the engine's dependencies");
            self.0.finish_in_flight();
            self.0.describe_campaign(arn).await
        }
        async fn list_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, LiveError> {
            self.0.list_tags(arn).await
        }
        async fn latest_solution_version(
            &self,
            arn: &str,
        ) -> Result<Option<SolutionVersionSummary>, LiveError> {
            self.0.latest_solution_version(arn).await
        }
        async fn describe_solution_version(
            &self,
            arn: &str,
        ) -> Result<Option<crate::live::SolutionVersionDetail>, LiveError> {
            self.0.describe_solution_version(arn).await
        }
        async fn solution_metrics(&self, arn: &str) -> Result<crate::live::SolutionMetrics, LiveError> {
            self.0.solution_metrics(arn).await
        }
        async fn newest_active_version(&self, solution_arn: &str) -> Result<Option<String>, LiveError> {
            self.0.newest_active_version(solution_arn).await
        }
        async fn create_campaign(&self, request: &CreateCampaignRequest) -> Result<String, LiveError> {
            self.0.create_campaign(request).await
        }
        async fn update_campaign(&self, request: &UpdateCampaignRequest) -> Result<(), LiveError> {
            let current =
                self.0.describe_campaign(&request.campaign_arn).await?.and_then(|c| c.min_provisioned_tps);
            // The update lands asking for what was sent, and serves the old TPS all the same.
            self.0.update_campaign(request).await?;
            self.0.finish_in_flight();
            self.0.set_serving_tps(&request.campaign_arn, current.unwrap_or(1));
            Ok(())
        }
        async fn tag_resource(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), LiveError> {
            self.0.tag_resource(arn, tags).await
        }
        async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), LiveError> {
            self.0.untag_resource(arn, keys).await
        }
        async fn list_campaigns(
            &self,
            region: Option<&str>,
            solution: Option<&str>,
        ) -> Result<Vec<CampaignSummary>, LiveError> {
            self.0.list_campaigns(region, solution).await
        }
        async fn describe_recommender(&self, arn: &str) -> Result<Option<LiveRecommender>, LiveError> {
            self.0.describe_recommender(arn).await
        }
        async fn create_recommender(&self, request: &CreateRecommenderRequest) -> Result<String, LiveError> {
            self.0.create_recommender(request).await
        }
        async fn update_recommender(&self, request: &UpdateRecommenderRequest) -> Result<(), LiveError> {
            self.0.update_recommender(request).await
        }
        async fn start_recommender(&self, arn: &str) -> Result<(), LiveError> {
            self.0.start_recommender(arn).await
        }
        async fn stop_recommender(&self, arn: &str) -> Result<(), LiveError> {
            self.0.stop_recommender(arn).await
        }
        async fn delete_recommender(&self, arn: &str) -> Result<(), LiveError> {
            self.0.delete_recommender(arn).await
        }
        async fn list_recommenders(
            &self,
            region: Option<&str>,
            group: Option<&str>,
        ) -> Result<Vec<RecommenderSummary>, LiveError> {
            self.0.list_recommenders(region, group).await
        }
    }

    struct Silent;
    impl ApplySink for Silent {
        fn event(&self, _: &ApplyEvent) {}
    }

    fn options() -> ApplyOptions {
        ApplyOptions {
            concurrency: 2,
            poll_interval: Duration::from_secs(5),
            poll_cap: Duration::from_secs(60),
            deadline: Instant::now() + Duration::from_secs(3600),
            in_use_retries: 3,
            observed_at: Instant::now(),
            fresh_for: Duration::from_secs(3600),
            visibility_grace: Duration::from_secs(60),
            solutions: Arc::default(),
        }
    }

    fn live_home() -> LiveCampaign {
        crate::live::fake::active_campaign("home")
    }

    fn loaded(source: &str) -> Vec<LoadedResource> {
        let (campaigns, diagnostics) = crate::load::check_source(std::path::Path::new("c.yaml"), source);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        campaigns
    }

    #[tokio::test(start_paused = true)]
    async fn an_update_that_lands_without_effect_is_reported_not_resent() {
        let fake = FakePersonalize::default();
        fake.insert_campaign(live_home());
        let api = Arc::new(Misbehaving(fake));
        let campaigns = loaded(&format!("name: home\nsolutionVersionArn: {V1}\nminProvisionedTPS: 5\n"));
        let observed =
            Observed::of(LiveResource::Campaign(api.0.describe_campaign(HOME).await.unwrap().unwrap()));
        let plan = plan_resource(&campaigns[0], &observed);
        let (_keep, cancel) = watch::channel(false);
        let reports =
            apply(api.clone(), vec![(campaigns[0].clone(), plan)], options(), Arc::new(Silent), cancel).await;
        match &reports[0].result {
            ResourceResult::Failed { reason } => {
                assert!(reason.contains("became ACTIVE but live still differs"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let updates =
            api.0.writes().into_iter().filter(|write| matches!(write, RecordedWrite::Update(_))).count();
        assert_eq!(updates, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_is_a_failed_campaign_in_the_report() {
        let fake = FakePersonalize::default();
        let mut crash = crate::live::fake::active_campaign("crash");
        crash.latest_update = Some(crate::live::LiveCampaignUpdate {
            solution_version_arn: Some(V1.into()),
            min_provisioned_tps: Some(2),
            config: None,
            status: ResourceStatus::CreatePending,
            failure_reason: None,
            created_at: Some(1.0),
            last_updated_at: Some(1.0),
        });
        fake.insert_campaign(live_home());
        let api = Arc::new(Misbehaving(fake));
        let campaigns = loaded(&format!(
            "name: crash\nsolutionVersionArn: {V1}\nminProvisionedTPS: 2\n---\nname: home\nsolutionVersionArn: {V1}\n"
        ));
        // The crash campaign's plan is a wait: its first poll panics.
        let crash_plan = plan_resource(&campaigns[0], &Observed::of(LiveResource::Campaign(crash)));
        let home_plan = plan_resource(&campaigns[1], &Observed::of(LiveResource::Campaign(live_home())));
        let (_keep, cancel) = watch::channel(false);
        let work = vec![(campaigns[0].clone(), crash_plan), (campaigns[1].clone(), home_plan)];
        let reports = apply(api, work, options(), Arc::new(Silent), cancel).await;
        assert_eq!(reports.len(), 2, "no campaign disappears from the summary");
        assert_eq!(reports[0].name, "crash");
        assert!(
            matches!(&reports[0].result, ResourceResult::Failed { reason } if reason.contains("panicked")),
            "{:?}",
            reports[0].result
        );
        assert_eq!(reports[1].result, ResourceResult::Unchanged);
    }
}
