//! What the emulated control plane holds: solutions, their versions, campaigns with their in-flight work,
//! and tags. Time moves status along: every read first calls [`State::advance`].

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub const ACTIVE: &str = "ACTIVE";
pub const CREATE_PENDING: &str = "CREATE PENDING";
pub const CREATE_IN_PROGRESS: &str = "CREATE IN_PROGRESS";
pub const CREATE_FAILED: &str = "CREATE FAILED";
pub const DELETE_PENDING: &str = "DELETE PENDING";
pub const DELETE_IN_PROGRESS: &str = "DELETE IN_PROGRESS";
pub const STOP_PENDING: &str = "STOP PENDING";
pub const STOP_IN_PROGRESS: &str = "STOP IN_PROGRESS";
pub const INACTIVE: &str = "INACTIVE";
pub const START_PENDING: &str = "START PENDING";
pub const START_IN_PROGRESS: &str = "START IN_PROGRESS";

/// Seconds since the epoch, as the API reports timestamps.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Solution {
    pub name: String,
    pub solution_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionVersion {
    pub solution_version_arn: String,
    pub solution_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    /// FULL, UPDATE or AUTOTRAIN, as DescribeSolutionVersion reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Offline metrics, as GetSolutionMetrics answers them; never part of DescribeSolutionVersion.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

/// CampaignConfig as the API stores it. Kept as sent: a sent config replaces the stored one whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_with_latest_solution_version: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking_influence: Option<BTreeMap<String, f64>>,
}

/// A dataset group; only a domain dataset group (`domain` set) can hold recommenders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetGroup {
    pub name: String,
    pub dataset_group_arn: String,
    /// ECOMMERCE or VIDEO_ON_DEMAND; `None` for a custom dataset group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

/// RecommenderConfig as the API stores it: a sent config replaces the stored one whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommenderConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_recommendation_requests_per_second: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_data_config: Option<TrainingDataConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,
}

/// Which dataset columns training uses: dataset type (`Interactions`, `Items`, `Users`) -> column names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingDataConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_dataset_columns: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_dataset_columns: Option<BTreeMap<String, Vec<String>>>,
}

/// What a recommender's job in flight does, and so which statuses it passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Transition {
    Create,
    Stop,
    Start,
    Delete,
}

impl Transition {
    /// Pending, in progress, and the status it ends in when it succeeds.
    pub fn statuses(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Transition::Create => (CREATE_PENDING, CREATE_IN_PROGRESS, ACTIVE),
            Transition::Stop => (STOP_PENDING, STOP_IN_PROGRESS, INACTIVE),
            Transition::Start => (START_PENDING, START_IN_PROGRESS, ACTIVE),
            Transition::Delete => (DELETE_PENDING, DELETE_IN_PROGRESS, DELETE_IN_PROGRESS),
        }
    }
}

/// The latest UpdateRecommender (RecommenderUpdateSummary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommenderUpdate {
    pub recommender_config: RecommenderConfig,
    pub status: String,
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub job: Option<Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommender {
    pub name: String,
    pub recommender_arn: String,
    pub dataset_group_arn: String,
    pub recipe_arn: String,
    pub recommender_config: RecommenderConfig,
    pub status: String,
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub latest_recommender_update: Option<RecommenderUpdate>,
    /// The create, stop, start or delete in flight, if any, and which one it is.
    pub job: Option<(Transition, Job)>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_metrics: BTreeMap<String, f64>,
}

impl Recommender {
    /// Anything in flight: UpdateRecommender, StopRecommender and DeleteRecommender must wait.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
            || self.latest_recommender_update.as_ref().is_some_and(|update| update.job.is_some())
    }
}

/// How a piece of in-flight work ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum Outcome {
    Active,
    Failed { reason: String },
}

/// Work in flight: pending for the first third of its time, in progress after, then done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub started: f64,
    pub finishes: f64,
    pub outcome: Outcome,
}

impl Job {
    pub fn new(started: f64, duration_seconds: f64, outcome: Outcome) -> Self {
        Job { started, finishes: started + duration_seconds.max(0.0), outcome }
    }

    /// Moves the end of the work to `now` at the latest.
    fn finish_by(&mut self, now: f64) {
        self.finishes = self.finishes.min(now);
        self.started = self.started.min(self.finishes);
    }

    fn is_done(&self, now: f64) -> bool {
        now >= self.finishes
    }

    fn is_pending(&self, now: f64) -> bool {
        now < self.started + (self.finishes - self.started) / 3.0
    }
}

/// The requested values of the latest UpdateCampaign and how it is going (CampaignUpdateSummary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignUpdate {
    pub solution_version_arn: String,
    #[serde(rename = "minProvisionedTPS")]
    pub min_provisioned_tps: i32,
    pub campaign_config: Option<CampaignConfig>,
    pub status: String,
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub job: Option<Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub name: String,
    pub campaign_arn: String,
    pub solution_version_arn: String,
    #[serde(rename = "minProvisionedTPS")]
    pub min_provisioned_tps: i32,
    pub campaign_config: Option<CampaignConfig>,
    pub status: String,
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub latest_campaign_update: Option<CampaignUpdate>,
    /// The create or delete in flight, if any.
    pub job: Option<Job>,
    pub deleting: bool,
}

impl Campaign {
    /// An update, create or delete is still running: UpdateCampaign must wait.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
            || self.latest_campaign_update.as_ref().is_some_and(|update| {
                update.job.is_some() || (update.status != ACTIVE && update.status != CREATE_FAILED)
            })
    }
}

/// The moving parts of a campaign's or recommender's latest update.
struct UpdateProgress<'u> {
    job: &'u mut Option<Job>,
    status: &'u mut String,
    failure_reason: &'u mut Option<String>,
    last_updated: &'u mut f64,
}

impl UpdateProgress<'_> {
    /// Moves the update along to `now`: pending, in progress, then ACTIVE or CREATE FAILED. Returns when
    /// it became ACTIVE, if it just did: from then on the resource serves the update's values.
    fn advance(self, now: f64) -> Option<f64> {
        let job = self.job.clone()?;
        if !job.is_done(now) {
            *self.status = if job.is_pending(now) { CREATE_PENDING } else { CREATE_IN_PROGRESS }.to_string();
            return None;
        }
        *self.job = None;
        *self.last_updated = job.finishes;
        match job.outcome {
            Outcome::Active => {
                *self.status = ACTIVE.to_string();
                Some(job.finishes)
            }
            Outcome::Failed { reason } => {
                *self.status = CREATE_FAILED.to_string();
                *self.failure_reason = Some(reason);
                None
            }
        }
    }
}

/// Everything the emulator holds; serialised whole to the state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub solutions: BTreeMap<String, Solution>,
    pub solution_versions: BTreeMap<String, SolutionVersion>,
    pub campaigns: BTreeMap<String, Campaign>,
    #[serde(default)]
    pub dataset_groups: BTreeMap<String, DatasetGroup>,
    #[serde(default)]
    pub recommenders: BTreeMap<String, Recommender>,
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// Campaign or recommender ARN -> reason: its next create or update ends in `CREATE FAILED`.
    pub fail_next_update: BTreeMap<String, String>,
}

impl State {
    /// Moves every piece of in-flight work along to `now`.
    pub fn advance(&mut self, now: f64) {
        let mut deleted = Vec::new();
        for campaign in self.campaigns.values_mut() {
            if let Some(job) = campaign.job.clone() {
                if job.is_done(now) {
                    campaign.job = None;
                    campaign.last_updated_date_time = job.finishes;
                    if campaign.deleting {
                        deleted.push(campaign.campaign_arn.clone());
                        continue;
                    }
                    match job.outcome {
                        Outcome::Active => campaign.status = ACTIVE.to_string(),
                        Outcome::Failed { reason } => {
                            campaign.status = CREATE_FAILED.to_string();
                            campaign.failure_reason = Some(reason);
                        }
                    }
                } else {
                    let (pending, running) = if campaign.deleting {
                        (DELETE_PENDING, DELETE_IN_PROGRESS)
                    } else {
                        (CREATE_PENDING, CREATE_IN_PROGRESS)
                    };
                    campaign.status = if job.is_pending(now) { pending } else { running }.to_string();
                }
            }
            let Some(update) = campaign.latest_campaign_update.as_mut() else { continue };
            let progress = UpdateProgress {
                job: &mut update.job,
                status: &mut update.status,
                failure_reason: &mut update.failure_reason,
                last_updated: &mut update.last_updated_date_time,
            };
            if let Some(finished) = progress.advance(now) {
                // Only now does the campaign serve the new values.
                campaign.solution_version_arn = update.solution_version_arn.clone();
                campaign.min_provisioned_tps = update.min_provisioned_tps;
                campaign.campaign_config = update.campaign_config.clone();
                campaign.last_updated_date_time = finished;
            }
        }
        for arn in deleted {
            self.campaigns.remove(&arn);
            self.tags.remove(&arn);
        }
        self.advance_recommenders(now);
    }

    fn advance_recommenders(&mut self, now: f64) {
        let mut deleted = Vec::new();
        for recommender in self.recommenders.values_mut() {
            if let Some((transition, job)) = recommender.job.clone() {
                let (pending, running, done) = transition.statuses();
                if !job.is_done(now) {
                    recommender.status = if job.is_pending(now) { pending } else { running }.to_string();
                } else {
                    recommender.job = None;
                    recommender.last_updated_date_time = job.finishes;
                    match (transition, job.outcome) {
                        (Transition::Delete, _) => deleted.push(recommender.recommender_arn.clone()),
                        (_, Outcome::Active) => recommender.status = done.to_string(),
                        (_, Outcome::Failed { reason }) => {
                            recommender.status = CREATE_FAILED.to_string();
                            recommender.failure_reason = Some(reason);
                        }
                    }
                }
            }
            let Some(update) = recommender.latest_recommender_update.as_mut() else { continue };
            let progress = UpdateProgress {
                job: &mut update.job,
                status: &mut update.status,
                failure_reason: &mut update.failure_reason,
                last_updated: &mut update.last_updated_date_time,
            };
            if let Some(finished) = progress.advance(now) {
                // The old config serves until the update is ACTIVE.
                recommender.recommender_config = update.recommender_config.clone();
                recommender.last_updated_date_time = finished;
            }
        }
        for arn in deleted {
            self.recommenders.remove(&arn);
            self.tags.remove(&arn);
        }
    }

    /// Ends every piece of in-flight work now, as it would have ended.
    pub fn finish_all(&mut self, now: f64) {
        for campaign in self.campaigns.values_mut() {
            if let Some(job) = campaign.job.as_mut() {
                job.finish_by(now);
            }
            if let Some(job) = campaign.latest_campaign_update.as_mut().and_then(|update| update.job.as_mut())
            {
                job.finish_by(now);
            }
        }
        for recommender in self.recommenders.values_mut() {
            if let Some((_, job)) = recommender.job.as_mut() {
                job.finish_by(now);
            }
            if let Some(job) =
                recommender.latest_recommender_update.as_mut().and_then(|update| update.job.as_mut())
            {
                job.finish_by(now);
            }
        }
        self.advance(now);
    }

    /// The newest ACTIVE version of a solution: what `$LATEST` resolves to.
    pub fn latest_active_version(&self, solution_arn: &str) -> Option<&SolutionVersion> {
        self.solution_versions
            .values()
            .filter(|version| version.solution_arn == solution_arn && version.status == ACTIVE)
            .max_by(|a, b| a.creation_date_time.total_cmp(&b.creation_date_time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign_with_update(job: Job) -> State {
        let mut state = State::default();
        state.campaigns.insert(
            "c".into(),
            Campaign {
                name: "c".into(),
                campaign_arn: "c".into(),
                solution_version_arn: "v1".into(),
                min_provisioned_tps: 1,
                campaign_config: None,
                status: ACTIVE.into(),
                failure_reason: None,
                creation_date_time: 0.0,
                last_updated_date_time: 0.0,
                latest_campaign_update: Some(CampaignUpdate {
                    solution_version_arn: "v2".into(),
                    min_provisioned_tps: 5,
                    campaign_config: Some(CampaignConfig {
                        enable_metadata_with_recommendations: Some(true),
                        ..Default::default()
                    }),
                    status: CREATE_PENDING.into(),
                    failure_reason: None,
                    creation_date_time: 100.0,
                    last_updated_date_time: 100.0,
                    job: Some(job),
                }),
                job: None,
                deleting: false,
            },
        );
        state
    }

    #[test]
    fn an_update_replaces_the_serving_values_only_when_active() {
        let mut state = campaign_with_update(Job::new(100.0, 30.0, Outcome::Active));
        state.advance(105.0);
        let campaign = &state.campaigns["c"];
        assert_eq!(campaign.latest_campaign_update.as_ref().unwrap().status, CREATE_PENDING);
        assert_eq!(campaign.min_provisioned_tps, 1);
        assert!(campaign.is_busy());
        state.advance(115.0);
        assert_eq!(state.campaigns["c"].latest_campaign_update.as_ref().unwrap().status, CREATE_IN_PROGRESS);
        assert_eq!(state.campaigns["c"].solution_version_arn, "v1");
        state.advance(130.0);
        let campaign = &state.campaigns["c"];
        assert_eq!(campaign.latest_campaign_update.as_ref().unwrap().status, ACTIVE);
        assert_eq!((campaign.solution_version_arn.as_str(), campaign.min_provisioned_tps), ("v2", 5));
        assert_eq!(
            campaign.campaign_config.as_ref().unwrap().enable_metadata_with_recommendations,
            Some(true)
        );
        assert!(!campaign.is_busy());
    }

    #[test]
    fn a_failed_update_keeps_serving_the_old_values() {
        let mut state =
            campaign_with_update(Job::new(100.0, 30.0, Outcome::Failed { reason: "no capacity".into() }));
        state.finish_all(101.0);
        let campaign = &state.campaigns["c"];
        let update = campaign.latest_campaign_update.as_ref().unwrap();
        assert_eq!(
            (update.status.as_str(), update.failure_reason.as_deref()),
            (CREATE_FAILED, Some("no capacity"))
        );
        assert_eq!((campaign.solution_version_arn.as_str(), campaign.min_provisioned_tps), ("v1", 1));
        assert_eq!(campaign.status, ACTIVE);
    }
}
