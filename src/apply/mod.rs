//! The reconcile loop: for each campaign, send the minimal calls, wait until AWS says ACTIVE, and check the
//! result, re-deciding from a fresh observation after every wait. Re-running it after any interruption is
//! the normal path: an in-flight update that already equals the file is only waited for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::live::{LiveCampaign, LiveError, PersonalizeApi};
use crate::plan::{Action, CampaignPlan, CampaignRequest, observe_one, plan_campaign};
use crate::render::json::request_document;
use crate::validate::LoadedCampaign;

/// Rounds of wait-or-write for one campaign before apply gives up on it.
const MAX_ROUNDS: usize = 12;

/// How apply runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Campaigns talking to AWS at once (waiting campaigns do not hold a place).
    pub concurrency: usize,
    /// The first poll comes this long after a write; later ones grow from it.
    pub poll_interval: Duration,
    /// Polls never come further apart than this.
    pub poll_cap: Duration,
    /// When the whole run stops waiting.
    pub deadline: Instant,
    /// How often a `ResourceInUseException` race (someone else started an update) is waited out and retried.
    pub in_use_retries: u32,
}

/// How one campaign ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CampaignResult {
    Created,
    Updated,
    /// Nothing to do, or an in-flight change that already matched was waited for.
    Unchanged,
    Failed {
        reason: String,
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

impl CampaignResult {
    pub fn is_success(&self) -> bool {
        matches!(self, CampaignResult::Created | CampaignResult::Updated | CampaignResult::Unchanged)
    }

    pub fn label(&self) -> &'static str {
        match self {
            CampaignResult::Created => "created",
            CampaignResult::Updated => "updated",
            CampaignResult::Unchanged => "unchanged",
            CampaignResult::Failed { .. } => "failed",
            CampaignResult::TimedOut { .. } => "timed out",
            CampaignResult::Interrupted { .. } => "interrupted",
        }
    }
}

/// One campaign's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignReport {
    pub name: String,
    pub arn: String,
    pub result: CampaignResult,
    pub elapsed: Duration,
}

/// Something that happened to one campaign, for progress output.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyEvent {
    pub campaign: String,
    pub kind: EventKind,
    /// The campaign's status, where there is one.
    pub status: Option<String>,
    /// Since the run started.
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A write call was sent: its operation and input, as the AWS API names them.
    Request { operation: &'static str, input: Value },
    /// A status was seen for the first time while waiting.
    Status,
    /// A call failed but the run goes on (a poll that will be retried, an in-use race).
    Retrying { reason: String },
    /// The campaign is done.
    Finished { result: CampaignResult },
}

/// Receives events as they happen, from any task.
pub trait ApplySink: Send + Sync {
    fn event(&self, event: &ApplyEvent);
}

/// Why waiting stopped early.
enum Stop {
    Deadline,
    Cancelled,
}

/// Applies every plan; returns one report per campaign, in input order.
pub async fn apply<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    work: Vec<(LoadedCampaign, CampaignPlan)>,
    options: ApplyOptions,
    sink: Arc<dyn ApplySink>,
    cancel: watch::Receiver<bool>,
) -> Vec<CampaignReport> {
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let count = work.len();
    for (index, (loaded, plan)) in work.into_iter().enumerate() {
        let reconciler = Reconciler {
            api: api.clone(),
            permits: permits.clone(),
            options: options.clone(),
            sink: sink.clone(),
            cancel: cancel.clone(),
            started,
            last_status: Arc::new(Mutex::new(String::new())),
        };
        tasks.spawn(async move {
            let result = reconciler.reconcile(&loaded, plan).await;
            reconciler.emit(&loaded.spec.name, EventKind::Finished { result: result.clone() }, None);
            let report = CampaignReport {
                name: loaded.spec.name.clone(),
                arn: loaded.campaign_arn.clone(),
                result,
                elapsed: started.elapsed(),
            };
            (index, report)
        });
    }
    let mut reports: Vec<Option<CampaignReport>> = vec![None; count];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, report)) => reports[index] = Some(report),
            Err(error) => tracing::error!(%error, "an apply task ended abnormally"),
        }
    }
    reports.into_iter().flatten().collect()
}

struct Reconciler<A> {
    api: Arc<A>,
    permits: Arc<Semaphore>,
    options: ApplyOptions,
    sink: Arc<dyn ApplySink>,
    cancel: watch::Receiver<bool>,
    started: Instant,
    last_status: Arc<Mutex<String>>,
}

impl<A: PersonalizeApi + 'static> Reconciler<A> {
    fn emit(&self, campaign: &str, kind: EventKind, status: Option<String>) {
        match &kind {
            EventKind::Request { operation, .. } => tracing::info!(campaign, operation, "sent"),
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

    fn last_status(&self) -> String {
        let status = self.last_status.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        if status.is_empty() { "not started".to_string() } else { status }
    }

    fn set_status(&self, status: &str) {
        *self.last_status.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = status.to_string();
    }

    /// Stop before a write: nothing new starts after Ctrl-C or past the deadline.
    fn stopped(&self) -> Option<CampaignResult> {
        if *self.cancel.borrow() {
            return Some(CampaignResult::Interrupted { status: self.last_status() });
        }
        if Instant::now() >= self.options.deadline {
            return Some(CampaignResult::TimedOut { status: self.last_status() });
        }
        None
    }

    fn stop_result(&self, stop: Stop) -> CampaignResult {
        match stop {
            Stop::Deadline => CampaignResult::TimedOut { status: self.last_status() },
            Stop::Cancelled => CampaignResult::Interrupted { status: self.last_status() },
        }
    }

    /// Describes again and decides again.
    async fn replan(&self, loaded: &LoadedCampaign) -> Result<CampaignPlan, LiveError> {
        let _permit = self.permits.acquire().await;
        let observed =
            observe_one(self.api.as_ref(), &loaded.campaign_arn, loaded.spec.tags.is_some()).await?;
        Ok(plan_campaign(loaded, &observed))
    }

    async fn reconcile(&self, loaded: &LoadedCampaign, mut plan: CampaignPlan) -> CampaignResult {
        let name = loaded.spec.name.as_str();
        let mut created = false;
        let mut wrote = false;
        // After one of our updates became ACTIVE, another difference means AWS did not do what was asked:
        // report it rather than send the update again.
        let mut update_landed = false;
        let mut in_use_races = 0;
        // Each round waits or writes; a campaign that needs more than this never converges (AWS keeps
        // reporting a difference after the calls that should remove it).
        for _ in 0..MAX_ROUNDS {
            match plan.action {
                Action::NoOp => {
                    return match (created, wrote) {
                        (true, _) => CampaignResult::Created,
                        (false, true) => CampaignResult::Updated,
                        (false, false) => CampaignResult::Unchanged,
                    };
                }
                Action::Blocked => {
                    return CampaignResult::Failed {
                        reason: plan.blocked_reason.clone().unwrap_or_else(|| "blocked".to_string()),
                    };
                }
                Action::Wait => {
                    if let Err(result) = self.wait_and_check(loaded, false).await {
                        return result;
                    }
                }
                Action::Create => {
                    if let Some(result) = self.stopped() {
                        return result;
                    }
                    let Some(whole @ CampaignRequest::Create(request)) = &plan.request else {
                        return CampaignResult::Failed {
                            reason: "the plan has no CreateCampaign request".into(),
                        };
                    };
                    self.emit(
                        name,
                        EventKind::Request { operation: "CreateCampaign", input: request_document(whole) },
                        None,
                    );
                    let sent = {
                        let _permit = self.permits.acquire().await;
                        self.api.create_campaign(request).await
                    };
                    if let Err(error) = sent {
                        return CampaignResult::Failed { reason: format!("CreateCampaign: {error}") };
                    }
                    created = true;
                    wrote = true;
                    if let Err(result) = self.wait_and_check(loaded, true).await {
                        return result;
                    }
                }
                Action::Update if plan.in_flight.is_some() => {
                    if let Err(result) = self.wait_and_check(loaded, false).await {
                        return result;
                    }
                }
                Action::Update => {
                    if let Some(result) = self.stopped() {
                        return result;
                    }
                    let sends_update = matches!(plan.request, Some(CampaignRequest::Update(_)));
                    if sends_update && update_landed {
                        let paths: Vec<&str> =
                            plan.changes.iter().map(|change| change.path.as_str()).collect();
                        return CampaignResult::Failed {
                            reason: format!(
                                "the update became ACTIVE but live still differs from the file on {}",
                                paths.join(", ")
                            ),
                        };
                    }
                    if let Some(whole @ CampaignRequest::Update(request)) = &plan.request {
                        self.emit(
                            name,
                            EventKind::Request {
                                operation: "UpdateCampaign",
                                input: request_document(whole),
                            },
                            None,
                        );
                        let sent = {
                            let _permit = self.permits.acquire().await;
                            self.api.update_campaign(request).await
                        };
                        match sent {
                            Ok(()) => wrote = true,
                            Err(LiveError::InUse { message })
                                if in_use_races < self.options.in_use_retries =>
                            {
                                // Someone else started an update: wait for it, then decide again.
                                in_use_races += 1;
                                self.emit(
                                    name,
                                    EventKind::Retrying { reason: format!("in use: {message}") },
                                    None,
                                );
                                if let Err(result) = self.wait_and_check(loaded, false).await {
                                    return result;
                                }
                                plan = match self.replan(loaded).await {
                                    Ok(plan) => plan,
                                    Err(error) => {
                                        return CampaignResult::Failed { reason: error.to_string() };
                                    }
                                };
                                continue;
                            }
                            Err(error) => {
                                return CampaignResult::Failed { reason: format!("UpdateCampaign: {error}") };
                            }
                        }
                    }
                    if let Err(result) = self.apply_tags(name, &plan).await {
                        return result;
                    }
                    wrote |= !plan.tags.is_empty();
                    if sends_update {
                        if let Err(result) = self.wait_and_check(loaded, true).await {
                            return result;
                        }
                        update_landed = true;
                    }
                }
            }
            plan = match self.replan(loaded).await {
                Ok(plan) => plan,
                Err(error) => return CampaignResult::Failed { reason: error.to_string() },
            };
            if plan.action == Action::Create && created {
                return CampaignResult::Failed {
                    reason: "the campaign was created but cannot be found".into(),
                };
            }
        }
        let paths: Vec<&str> = plan.changes.iter().map(|change| change.path.as_str()).collect();
        CampaignResult::Failed {
            reason: format!(
                "still differs from the file after {MAX_ROUNDS} rounds of changes: {}",
                paths.join(", ")
            ),
        }
    }

    async fn apply_tags(&self, name: &str, plan: &CampaignPlan) -> Result<(), CampaignResult> {
        if !plan.tags.set.is_empty() {
            let input = serde_json::json!({ "resourceArn": plan.arn, "tags": plan.tags.set.iter().map(|(k, v)| serde_json::json!({"tagKey": k, "tagValue": v})).collect::<Vec<_>>() });
            self.emit(name, EventKind::Request { operation: "TagResource", input }, None);
            let _permit = self.permits.acquire().await;
            self.api
                .tag_resource(&plan.arn, &plan.tags.set)
                .await
                .map_err(|error| CampaignResult::Failed { reason: format!("TagResource: {error}") })?;
        }
        if !plan.tags.remove.is_empty() {
            let input = serde_json::json!({ "resourceArn": plan.arn, "tagKeys": plan.tags.remove });
            self.emit(name, EventKind::Request { operation: "UntagResource", input }, None);
            let _permit = self.permits.acquire().await;
            self.api
                .untag_resource(&plan.arn, &plan.tags.remove)
                .await
                .map_err(|error| CampaignResult::Failed { reason: format!("UntagResource: {error}") })?;
        }
        Ok(())
    }

    /// Waits until nothing is in flight. A change that ends in CREATE FAILED is a failure with AWS's
    /// reason; `ours` says whether we sent it (for the wording).
    async fn wait_and_check(&self, loaded: &LoadedCampaign, ours: bool) -> Result<(), CampaignResult> {
        let name = loaded.spec.name.as_str();
        let campaign = match self.wait_until_finished(name, &loaded.campaign_arn).await {
            Ok(campaign) => campaign,
            Err(stop) => return Err(self.stop_result(stop)),
        };
        let Some(campaign) = campaign else {
            return Err(CampaignResult::Failed {
                reason: "the campaign disappeared while waiting (deleted?)".into(),
            });
        };
        let (status, reason) = match &campaign.latest_update {
            Some(update) => (&update.status, update.failure_reason.as_ref()),
            None => (&campaign.status, campaign.failure_reason.as_ref()),
        };
        if *status == crate::live::CampaignStatus::CreateFailed {
            let whose = if ours { "" } else { "the in-flight change " };
            return Err(CampaignResult::Failed {
                reason: format!(
                    "{whose}ended in CREATE FAILED: {}",
                    reason.map_or("AWS gave no reason", String::as_str)
                ),
            });
        }
        Ok(())
    }

    /// Polls DescribeCampaign, first after the poll interval, then further apart (x1.5 with jitter, up to
    /// the cap), until the campaign or its latest update is ACTIVE or CREATE FAILED. A failed poll is
    /// retried at the next interval: waiting is read-only, so it is always safe to go on.
    async fn wait_until_finished(&self, name: &str, arn: &str) -> Result<Option<LiveCampaign>, Stop> {
        let mut interval = self.options.poll_interval;
        let mut cancel = self.cancel.clone();
        let mut seen = String::new();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(jittered(interval)) => {}
                _ = tokio::time::sleep_until(self.options.deadline) => return Err(Stop::Deadline),
                _ = cancel.wait_for(|cancelled| *cancelled) => return Err(Stop::Cancelled),
            }
            interval = (interval.mul_f64(1.5)).min(self.options.poll_cap);
            let described = {
                let _permit = self.permits.acquire().await;
                self.api.describe_campaign(arn).await
            };
            match described {
                Ok(None) => return Ok(None),
                Ok(Some(campaign)) => {
                    let status = campaign.effective_status().as_str().to_string();
                    if status != seen {
                        self.set_status(&status);
                        self.emit(name, EventKind::Status, Some(status.clone()));
                        seen = status;
                    }
                    if !campaign.is_in_flight() {
                        return Ok(Some(campaign));
                    }
                }
                Err(error) => self.emit(
                    name,
                    EventKind::Retrying { reason: format!("DescribeCampaign: {error}") },
                    None,
                ),
            }
        }
    }
}

/// ±20% so that many campaigns waiting together do not poll in lockstep.
fn jittered(interval: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    let factor = 0.8 + f64::from(nanos % 1000) / 1000.0 * 0.4;
    interval.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::fake::{FakePersonalize, RecordedWrite};
    use crate::live::{CampaignSummary, CreateCampaignRequest, ServingConfig, UpdateCampaignRequest};
    use crate::plan::{Observed, plan_campaign};

    /// AWS as it should never behave: updates become ACTIVE but leave the TPS as it was. Work finishes as
    /// soon as anyone looks.
    struct Stubborn(FakePersonalize);

    impl PersonalizeApi for Stubborn {
        async fn describe_campaign(&self, arn: &str) -> Result<Option<LiveCampaign>, LiveError> {
            self.0.finish_in_flight();
            self.0.describe_campaign(arn).await
        }
        async fn list_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, LiveError> {
            self.0.list_tags(arn).await
        }
        async fn latest_solution_version(&self, arn: &str) -> Result<Option<String>, LiveError> {
            self.0.latest_solution_version(arn).await
        }
        async fn create_campaign(&self, request: &CreateCampaignRequest) -> Result<String, LiveError> {
            self.0.create_campaign(request).await
        }
        async fn update_campaign(&self, request: &UpdateCampaignRequest) -> Result<(), LiveError> {
            let current =
                self.0.describe_campaign(&request.campaign_arn).await?.and_then(|c| c.min_provisioned_tps);
            let ignored =
                UpdateCampaignRequest { min_provisioned_tps: current.unwrap_or(1), ..request.clone() };
            self.0.update_campaign(&ignored).await?;
            // Record what was asked, not what was done.
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
    }

    struct Silent;
    impl ApplySink for Silent {
        fn event(&self, _: &ApplyEvent) {}
    }

    #[tokio::test(start_paused = true)]
    async fn an_update_that_lands_without_effect_is_reported_not_resent() {
        let fake = FakePersonalize::default();
        let arn = "arn:aws:personalize:us-east-1:111122223333:campaign/home";
        fake.insert_campaign(LiveCampaign {
            name: "home".into(),
            arn: arn.into(),
            solution_version_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s/v1".into(),
            min_provisioned_tps: Some(1),
            config: Some(ServingConfig::default()),
            status: crate::live::CampaignStatus::Active,
            failure_reason: None,
            latest_update: None,
        });
        let api = Arc::new(Stubborn(fake));
        let (campaigns, _) = crate::load::check_source(
            std::path::Path::new("home.yaml"),
            "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\nminProvisionedTPS: 5\n",
        );
        let observed =
            Observed { campaign: api.0.describe_campaign(arn).await.unwrap(), ..Observed::default() };
        let plan = plan_campaign(&campaigns[0], &observed);
        let (_keep, cancel) = watch::channel(false);
        let options = ApplyOptions {
            concurrency: 1,
            poll_interval: Duration::from_secs(5),
            poll_cap: Duration::from_secs(60),
            deadline: Instant::now() + Duration::from_secs(3600),
            in_use_retries: 3,
        };
        let reports =
            apply(api.clone(), vec![(campaigns[0].clone(), plan)], options, Arc::new(Silent), cancel).await;
        match &reports[0].result {
            CampaignResult::Failed { reason } => {
                assert!(reason.contains("became ACTIVE but live still differs"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let updates =
            api.0.writes().into_iter().filter(|write| matches!(write, RecordedWrite::Update(_))).count();
        assert_eq!(updates, 1);
    }
}
