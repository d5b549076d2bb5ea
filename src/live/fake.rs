//! An in-memory [`PersonalizeApi`] for unit tests: campaigns, recommenders and tags in maps, every write recorded, and
//! in-flight work finished on demand. End-to-end behaviour is tested over HTTP against pz-emulator instead.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::arn::{DatasetGroupArn, SolutionVersionArn};

use super::{
    CampaignSummary, CreateCampaignRequest, CreateRecommenderRequest, LiveCampaign, LiveCampaignUpdate,
    LiveError, LiveRecommender, LiveRecommenderUpdate, PersonalizeApi, RecommenderSummary, ResourceStatus,
    SolutionMetrics, SolutionVersionDetail, SolutionVersionSummary, UpdateCampaignRequest,
    UpdateRecommenderRequest,
};

/// A write the fake received, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordedWrite {
    Create(CreateCampaignRequest),
    Update(UpdateCampaignRequest),
    Tag {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    Untag {
        arn: String,
        keys: Vec<String>,
    },
    CreateRecommender(CreateRecommenderRequest),
    UpdateRecommender(UpdateRecommenderRequest),
    /// StartRecommender, StopRecommender or DeleteRecommender, by operation name.
    Lifecycle {
        operation: &'static str,
        arn: String,
    },
}

#[derive(Debug, Default)]
struct FakeState {
    campaigns: BTreeMap<String, LiveCampaign>,
    recommenders: BTreeMap<String, LiveRecommender>,
    tags: BTreeMap<String, BTreeMap<String, String>>,
    latest_versions: BTreeMap<String, String>,
    versions: BTreeMap<String, (SolutionVersionDetail, SolutionMetrics)>,
    writes: Vec<RecordedWrite>,
    /// AWS's clock for update timestamps: one second per update.
    clock: f64,
}

#[derive(Debug, Default)]
pub struct FakePersonalize {
    state: Mutex<FakeState>,
}

/// An ACTIVE campaign `name` in us-east-1 of account 111122223333, serving `solution/s/v1` at TPS 1 with
/// an empty config and no update: the starting point of most unit tests.
pub fn active_campaign(name: &str) -> LiveCampaign {
    LiveCampaign {
        name: name.to_string(),
        arn: format!("arn:aws:personalize:us-east-1:111122223333:campaign/{name}"),
        solution_version_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s/v1".to_string(),
        min_provisioned_tps: Some(1),
        config: Some(super::ServingConfig::default()),
        status: ResourceStatus::Active,
        failure_reason: None,
        latest_update: None,
    }
}

impl FakePersonalize {
    fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn insert_campaign(&self, campaign: LiveCampaign) {
        self.state().campaigns.insert(campaign.arn.clone(), campaign);
    }

    pub fn set_tags(&self, arn: &str, tags: BTreeMap<String, String>) {
        self.state().tags.insert(arn.to_string(), tags);
    }

    /// A solution version with its metrics, for DescribeSolutionVersion and GetSolutionMetrics.
    pub fn insert_version(&self, version: SolutionVersionDetail, metrics: SolutionMetrics) {
        self.state().versions.insert(version.arn.clone(), (version, metrics));
    }

    pub fn set_latest_version(&self, solution_arn: &str, version_arn: &str) {
        self.state().latest_versions.insert(solution_arn.to_string(), version_arn.to_string());
    }

    /// Sets what a campaign serves now, as no API call can: for tests of an AWS that does not do as asked.
    pub fn set_serving_tps(&self, arn: &str, tps: i32) {
        if let Some(campaign) = self.state().campaigns.get_mut(arn) {
            campaign.min_provisioned_tps = Some(tps);
        }
    }

    pub fn writes(&self) -> Vec<RecordedWrite> {
        self.state().writes.clone()
    }

    /// Ends every create and update as AWS would on success: updates replace the serving values.
    pub fn finish_in_flight(&self) {
        for campaign in self.state().campaigns.values_mut() {
            if !campaign.status.is_finished() {
                campaign.status = ResourceStatus::Active;
            }
            if let Some(update) =
                campaign.latest_update.as_mut().filter(|update| !update.status.is_finished())
            {
                update.status = ResourceStatus::Active;
                if let Some(version) = &update.solution_version_arn {
                    campaign.solution_version_arn = version.clone();
                }
                campaign.min_provisioned_tps = update.min_provisioned_tps;
                campaign.config = update.config.clone();
            }
        }
        let mut state = self.state();
        let mut deleted = Vec::new();
        for recommender in state.recommenders.values_mut() {
            recommender.status = match &recommender.status {
                ResourceStatus::StopPending | ResourceStatus::StopInProgress => ResourceStatus::Inactive,
                ResourceStatus::DeletePending | ResourceStatus::DeleteInProgress => {
                    deleted.push(recommender.arn.clone());
                    continue;
                }
                status if status.is_finished() => status.clone(),
                _ => ResourceStatus::Active,
            };
            if let Some(update) =
                recommender.latest_update.as_mut().filter(|update| !update.status.is_finished())
            {
                update.status = ResourceStatus::Active;
                recommender.config = update.config.clone();
            }
        }
        for arn in deleted {
            state.recommenders.remove(&arn);
        }
    }

    pub fn insert_recommender(&self, recommender: LiveRecommender) {
        self.state().recommenders.insert(recommender.arn.clone(), recommender);
    }

    /// Records a start, stop or delete and moves the recommender to `status`, if it exists.
    fn lifecycle(&self, operation: &'static str, arn: &str, status: ResourceStatus) -> Result<(), LiveError> {
        let mut state = self.state();
        state.writes.push(RecordedWrite::Lifecycle { operation, arn: arn.to_string() });
        let recommender = state
            .recommenders
            .get_mut(arn)
            .ok_or_else(|| LiveError::NotFound { message: arn.to_string() })?;
        recommender.status = status;
        Ok(())
    }
}

impl PersonalizeApi for FakePersonalize {
    async fn describe_campaign(&self, arn: &str) -> Result<Option<LiveCampaign>, LiveError> {
        Ok(self.state().campaigns.get(arn).cloned())
    }

    async fn list_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, LiveError> {
        Ok(self.state().tags.get(arn).cloned().unwrap_or_default())
    }

    async fn latest_solution_version(
        &self,
        solution_arn: &str,
    ) -> Result<Option<SolutionVersionSummary>, LiveError> {
        Ok(self
            .state()
            .latest_versions
            .get(solution_arn)
            .map(|arn| SolutionVersionSummary { arn: arn.clone(), status: ResourceStatus::Active }))
    }

    async fn describe_solution_version(&self, arn: &str) -> Result<Option<SolutionVersionDetail>, LiveError> {
        Ok(self.state().versions.get(arn).map(|(version, _)| version.clone()))
    }

    async fn solution_metrics(&self, arn: &str) -> Result<SolutionMetrics, LiveError> {
        match self.state().versions.get(arn) {
            Some((version, metrics)) if version.is_active() => Ok(metrics.clone()),
            Some(_) => Err(LiveError::InUse { message: format!("{arn} is not ACTIVE") }),
            None => Err(LiveError::NotFound { message: format!("no solution version {arn}") }),
        }
    }

    async fn newest_active_version(&self, solution_arn: &str) -> Result<Option<String>, LiveError> {
        let prefix = format!("{solution_arn}/");
        Ok(self
            .state()
            .versions
            .values()
            .filter(|(version, _)| version.arn.starts_with(&prefix) && version.is_active())
            .max_by(|(a, _), (b, _)| a.created_at.unwrap_or(0.0).total_cmp(&b.created_at.unwrap_or(0.0)))
            .map(|(version, _)| version.arn.clone()))
    }

    async fn create_campaign(&self, request: &CreateCampaignRequest) -> Result<String, LiveError> {
        let arn = SolutionVersionArn::parse(&request.solution_version_arn)
            .map_err(|error| LiveError::InvalidInput { message: error.to_string() })?
            .campaign_arn(&request.name);
        let mut state = self.state();
        state.writes.push(RecordedWrite::Create(request.clone()));
        if state.campaigns.contains_key(&arn) {
            return Err(LiveError::AlreadyExists { message: format!("{arn} exists") });
        }
        state.campaigns.insert(
            arn.clone(),
            LiveCampaign {
                name: request.name.clone(),
                arn: arn.clone(),
                solution_version_arn: request.solution_version_arn.clone(),
                min_provisioned_tps: Some(request.min_provisioned_tps.unwrap_or(1)),
                config: request.config.clone(),
                status: ResourceStatus::CreatePending,
                failure_reason: None,
                latest_update: None,
            },
        );
        state.tags.insert(arn.clone(), request.tags.clone());
        Ok(arn)
    }

    async fn update_campaign(&self, request: &UpdateCampaignRequest) -> Result<(), LiveError> {
        let mut state = self.state();
        state.writes.push(RecordedWrite::Update(request.clone()));
        state.clock += 1.0;
        let now = state.clock;
        let campaign = state
            .campaigns
            .get_mut(&request.campaign_arn)
            .ok_or_else(|| LiveError::NotFound { message: request.campaign_arn.clone() })?;
        if campaign.progress().is_in_flight() {
            return Err(LiveError::InUse { message: format!("{} is busy", request.campaign_arn) });
        }
        campaign.latest_update = Some(LiveCampaignUpdate {
            solution_version_arn: Some(request.solution_version_arn.clone()),
            min_provisioned_tps: Some(request.min_provisioned_tps),
            config: Some(request.config.clone()),
            status: ResourceStatus::CreatePending,
            failure_reason: None,
            created_at: Some(now),
            last_updated_at: Some(now),
        });
        Ok(())
    }

    async fn tag_resource(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), LiveError> {
        let mut state = self.state();
        state.writes.push(RecordedWrite::Tag { arn: arn.to_string(), tags: tags.clone() });
        state.tags.entry(arn.to_string()).or_default().extend(tags.clone());
        Ok(())
    }

    async fn list_campaigns(
        &self,
        region: Option<&str>,
        solution_arn: Option<&str>,
    ) -> Result<Vec<CampaignSummary>, LiveError> {
        Ok(self
            .state()
            .campaigns
            .values()
            .filter(|campaign| {
                region.is_none_or(|region| crate::arn::region_of(&campaign.arn) == Some(region))
            })
            .filter(|campaign| {
                solution_arn
                    .is_none_or(|solution| campaign.solution_version_arn.starts_with(&format!("{solution}/")))
            })
            .map(|campaign| CampaignSummary {
                name: campaign.name.clone(),
                arn: campaign.arn.clone(),
                status: campaign.status.clone(),
            })
            .collect())
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), LiveError> {
        let mut state = self.state();
        state.writes.push(RecordedWrite::Untag { arn: arn.to_string(), keys: keys.to_vec() });
        if let Some(tags) = state.tags.get_mut(arn) {
            tags.retain(|key, _| !keys.contains(key));
        }
        Ok(())
    }

    async fn describe_recommender(&self, arn: &str) -> Result<Option<LiveRecommender>, LiveError> {
        Ok(self.state().recommenders.get(arn).cloned())
    }

    async fn create_recommender(&self, request: &CreateRecommenderRequest) -> Result<String, LiveError> {
        let arn = DatasetGroupArn::parse(&request.dataset_group_arn)
            .map_err(|error| LiveError::InvalidInput { message: error.to_string() })?
            .recommender_arn(&request.name);
        let mut state = self.state();
        state.writes.push(RecordedWrite::CreateRecommender(request.clone()));
        if state.recommenders.contains_key(&arn) {
            return Err(LiveError::AlreadyExists { message: format!("{arn} exists") });
        }
        let mut config = request.config.clone().unwrap_or_default();
        config.min_recommendation_requests_per_second.get_or_insert(1);
        state.recommenders.insert(
            arn.clone(),
            LiveRecommender {
                name: request.name.clone(),
                arn: arn.clone(),
                dataset_group_arn: request.dataset_group_arn.clone(),
                recipe_arn: request.recipe_arn.clone(),
                config: Some(config),
                status: ResourceStatus::CreatePending,
                failure_reason: None,
                latest_update: None,
            },
        );
        state.tags.insert(arn.clone(), request.tags.clone());
        Ok(arn)
    }

    async fn update_recommender(&self, request: &UpdateRecommenderRequest) -> Result<(), LiveError> {
        let mut state = self.state();
        state.writes.push(RecordedWrite::UpdateRecommender(request.clone()));
        state.clock += 1.0;
        let now = state.clock;
        let recommender = state
            .recommenders
            .get_mut(&request.recommender_arn)
            .ok_or_else(|| LiveError::NotFound { message: request.recommender_arn.clone() })?;
        if recommender.progress().is_in_flight() || recommender.status != ResourceStatus::Active {
            return Err(LiveError::InUse { message: format!("{} is busy", request.recommender_arn) });
        }
        recommender.latest_update = Some(LiveRecommenderUpdate {
            config: Some(request.config.clone()),
            status: ResourceStatus::CreatePending,
            failure_reason: None,
            created_at: Some(now),
            last_updated_at: Some(now),
        });
        Ok(())
    }

    async fn start_recommender(&self, arn: &str) -> Result<(), LiveError> {
        self.lifecycle("StartRecommender", arn, ResourceStatus::StartPending)
    }

    async fn stop_recommender(&self, arn: &str) -> Result<(), LiveError> {
        self.lifecycle("StopRecommender", arn, ResourceStatus::StopPending)
    }

    async fn delete_recommender(&self, arn: &str) -> Result<(), LiveError> {
        self.lifecycle("DeleteRecommender", arn, ResourceStatus::DeletePending)
    }

    async fn list_recommenders(
        &self,
        region: Option<&str>,
        dataset_group_arn: Option<&str>,
    ) -> Result<Vec<RecommenderSummary>, LiveError> {
        Ok(self
            .state()
            .recommenders
            .values()
            .filter(|recommender| {
                region.is_none_or(|region| crate::arn::region_of(&recommender.arn) == Some(region))
            })
            .filter(|recommender| {
                dataset_group_arn.is_none_or(|group| recommender.dataset_group_arn == group)
            })
            .map(|recommender| RecommenderSummary {
                name: recommender.name.clone(),
                arn: recommender.arn.clone(),
                dataset_group_arn: recommender.dataset_group_arn.clone(),
                status: recommender.status.clone(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ServingConfig;

    #[tokio::test]
    async fn an_update_serves_only_once_finished_and_writes_are_recorded() {
        let fake = FakePersonalize::default();
        let arn = fake
            .create_campaign(&CreateCampaignRequest {
                name: "home".into(),
                solution_version_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s/v1".into(),
                min_provisioned_tps: None,
                config: None,
                tags: BTreeMap::from([("team".into(), "a".into())]),
            })
            .await
            .unwrap();
        assert_eq!(arn, "arn:aws:personalize:us-east-1:111122223333:campaign/home");
        let update = UpdateCampaignRequest {
            campaign_arn: arn.clone(),
            solution_version_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s/v2".into(),
            min_provisioned_tps: 4,
            config: ServingConfig::default(),
        };
        assert!(matches!(fake.update_campaign(&update).await, Err(LiveError::InUse { .. })));
        fake.finish_in_flight();
        fake.update_campaign(&update).await.unwrap();
        assert_eq!(fake.describe_campaign(&arn).await.unwrap().unwrap().min_provisioned_tps, Some(1));
        fake.finish_in_flight();
        assert_eq!(fake.describe_campaign(&arn).await.unwrap().unwrap().min_provisioned_tps, Some(4));
        fake.untag_resource(&arn, &["team".into()]).await.unwrap();
        assert!(fake.list_tags(&arn).await.unwrap().is_empty());
        assert_eq!(fake.writes().len(), 4);
        assert_eq!(fake.describe_campaign("arn:nope").await.unwrap(), None);
    }
}
