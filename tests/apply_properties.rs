//! A property of the reconcile engine, over generated live states, histories and fault sequences: apply
//! ends converged or with an honest failure, sends no write that reverts a field the file does not manage,
//! and never sends a second write for one that landed.
//!
//! The model of AWS here is small and deliberately unkind: updates take 30 s of (virtual) time, reads can be
//! stale, answers can be lost after the write landed, calls can be throttled, and someone else can change
//! the campaign at any call.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use pz_apply::apply::{ApplyEvent, ApplyOptions, ApplySink, ResourceResult, apply};
use pz_apply::live::{
    CampaignSummary, CreateCampaignRequest, CreateRecommenderRequest, LiveCampaign, LiveCampaignUpdate,
    LiveError, LiveRecommender, LiveResource, PersonalizeApi, RecommenderSummary, ResourceStatus,
    ServingConfig, SolutionMetrics, SolutionVersionDetail, SolutionVersionSummary, UpdateCampaignRequest,
    UpdateRecommenderRequest,
};
use pz_apply::plan::{Observed, plan_resource};
use tokio::sync::watch;
use tokio::time::Instant;

const ARN: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";
const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v1";
const UPDATE_SECONDS: u64 = 30;

/// What happens to one call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    Throttled,
    /// A write lands, but the answer is lost and the SDK's retry meets it (ResourceInUseException).
    LostAnswerInUse,
    /// A write lands, but the answer never comes (the SDK's last attempt timed out).
    LostAnswerTimeout,
    /// The write is accepted, and the next reads show the campaign as before it.
    StaleReads(u8),
}

/// Someone else's change, started at a given call.
#[derive(Debug, Clone, PartialEq)]
struct ForeignChange {
    at_call: usize,
    exploration_weight: &'static str,
    fails: bool,
}

#[derive(Debug)]
struct ModelState {
    serving: LiveCampaign,
    pending: Option<(LiveCampaignUpdate, Instant, bool)>,
    clock: f64,
    faults: VecDeque<Fault>,
    stale: Option<(LiveCampaign, u8)>,
    foreign: Option<ForeignChange>,
    calls: usize,
    violations: Vec<String>,
    accepted_updates: usize,
    foreign_started: usize,
}

struct Model(Mutex<ModelState>);

impl Model {
    fn state(&self) -> std::sync::MutexGuard<'_, ModelState> {
        self.0.lock().unwrap()
    }
}

impl ModelState {
    /// Time moves updates along; someone else may write at this call.
    fn tick(&mut self) -> Fault {
        let now = Instant::now();
        if let Some((update, finishes, fails)) = self.pending.clone()
            && now >= finishes
        {
            let mut done = update.clone();
            if fails {
                done.status = ResourceStatus::CreateFailed;
                done.failure_reason = Some("model failure".into());
            } else {
                done.status = ResourceStatus::Active;
                self.serving.min_provisioned_tps = update.min_provisioned_tps;
                self.serving.config = update.config.clone();
            }
            self.serving.latest_update = Some(done);
            self.pending = None;
        }
        self.calls += 1;
        if let Some(foreign) = self.foreign.clone()
            && foreign.at_call == self.calls
            && self.pending.is_none()
        {
            let mut config = self.serving.config.clone().unwrap_or_default();
            config.item_exploration_config = Some(BTreeMap::from([(
                "explorationWeight".to_string(),
                foreign.exploration_weight.to_string(),
            )]));
            self.start_update(self.serving.min_provisioned_tps.unwrap_or(1), config, foreign.fails);
            self.foreign_started += 1;
        }
        self.faults.pop_front().unwrap_or(Fault::None)
    }

    fn start_update(&mut self, tps: i32, config: ServingConfig, fails: bool) {
        self.clock += 1.0;
        let update = LiveCampaignUpdate {
            solution_version_arn: Some(V1.into()),
            min_provisioned_tps: Some(tps),
            config: Some(config),
            status: ResourceStatus::CreatePending,
            failure_reason: None,
            created_at: Some(self.clock),
            last_updated_at: Some(self.clock),
        };
        self.serving.latest_update = Some(update.clone());
        self.pending = Some((update, Instant::now() + Duration::from_secs(UPDATE_SECONDS), fails));
    }
}

impl PersonalizeApi for Model {
    async fn describe_campaign(&self, _arn: &str) -> Result<Option<LiveCampaign>, LiveError> {
        let mut state = self.state();
        if state.tick() == Fault::Throttled {
            return Err(LiveError::Throttled {
                code: "ThrottlingException".into(),
                message: "slow down".into(),
            });
        }
        if let Some((old, remaining)) = state.stale.take() {
            if remaining > 1 {
                state.stale = Some((old.clone(), remaining - 1));
            }
            return Ok(Some(old));
        }
        Ok(Some(state.serving.clone()))
    }

    async fn list_tags(&self, _arn: &str) -> Result<BTreeMap<String, String>, LiveError> {
        Ok(BTreeMap::new())
    }

    async fn latest_solution_version(&self, _arn: &str) -> Result<Option<SolutionVersionSummary>, LiveError> {
        Ok(None)
    }

    // The model never changes the serving version, so the version checks must never read one.
    async fn describe_solution_version(&self, arn: &str) -> Result<Option<SolutionVersionDetail>, LiveError> {
        Err(LiveError::InvalidInput { message: format!("the model keeps its version; no read of {arn}") })
    }

    async fn solution_metrics(&self, arn: &str) -> Result<SolutionMetrics, LiveError> {
        Err(LiveError::InvalidInput { message: format!("the model keeps its version; no read of {arn}") })
    }

    async fn newest_active_version(&self, arn: &str) -> Result<Option<String>, LiveError> {
        Err(LiveError::InvalidInput { message: format!("the model keeps its version; no read of {arn}") })
    }

    async fn create_campaign(&self, _request: &CreateCampaignRequest) -> Result<String, LiveError> {
        Err(LiveError::InvalidInput { message: "the model has one campaign, which exists".into() })
    }

    async fn update_campaign(&self, request: &UpdateCampaignRequest) -> Result<(), LiveError> {
        let mut state = self.state();
        let fault = state.tick();
        if fault == Fault::Throttled {
            return Err(LiveError::Throttled {
                code: "ThrottlingException".into(),
                message: "slow down".into(),
            });
        }
        if state.pending.is_some() {
            return Err(LiveError::InUse { message: "an update is in flight".into() });
        }
        // The only unmanaged field in these files: the request must carry what serves now.
        let serving = state.serving.config.clone().unwrap_or_default();
        if request.config.item_exploration_config != serving.item_exploration_config {
            let violation = format!(
                "UpdateCampaign sent exploration {:?} while {:?} served",
                request.config.item_exploration_config, serving.item_exploration_config
            );
            state.violations.push(violation);
        }
        let before = state.serving.clone();
        state.start_update(request.min_provisioned_tps, request.config.clone(), false);
        state.accepted_updates += 1;
        match fault {
            Fault::LostAnswerInUse => {
                Err(LiveError::InUse { message: "the retry met the first attempt".into() })
            }
            Fault::LostAnswerTimeout => Err(LiveError::Timeout { detail: "attempt timeout".into() }),
            Fault::StaleReads(count) => {
                state.stale = Some((before, count));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn tag_resource(&self, _arn: &str, _tags: &BTreeMap<String, String>) -> Result<(), LiveError> {
        Ok(())
    }

    async fn untag_resource(&self, _arn: &str, _keys: &[String]) -> Result<(), LiveError> {
        Ok(())
    }

    async fn list_campaigns(
        &self,
        _region: Option<&str>,
        _solution: Option<&str>,
    ) -> Result<Vec<CampaignSummary>, LiveError> {
        Ok(Vec::new())
    }

    // The model holds campaigns only: no recommender exists, and none can be written.
    async fn describe_recommender(&self, _arn: &str) -> Result<Option<LiveRecommender>, LiveError> {
        Ok(None)
    }
    async fn create_recommender(&self, _request: &CreateRecommenderRequest) -> Result<String, LiveError> {
        Err(LiveError::Setup("the model holds campaigns only".into()))
    }
    async fn update_recommender(&self, _request: &UpdateRecommenderRequest) -> Result<(), LiveError> {
        Err(LiveError::Setup("the model holds campaigns only".into()))
    }
    async fn start_recommender(&self, _arn: &str) -> Result<(), LiveError> {
        Err(LiveError::Setup("the model holds campaigns only".into()))
    }
    async fn stop_recommender(&self, _arn: &str) -> Result<(), LiveError> {
        Err(LiveError::Setup("the model holds campaigns only".into()))
    }
    async fn delete_recommender(&self, _arn: &str) -> Result<(), LiveError> {
        Err(LiveError::Setup("the model holds campaigns only".into()))
    }
    async fn list_recommenders(
        &self,
        _region: Option<&str>,
        _group: Option<&str>,
    ) -> Result<Vec<RecommenderSummary>, LiveError> {
        Ok(Vec::new())
    }
}

struct Silent;
impl ApplySink for Silent {
    fn event(&self, _: &ApplyEvent) {}
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => Just(Fault::Throttled),
        1 => Just(Fault::LostAnswerInUse),
        1 => Just(Fault::LostAnswerTimeout),
        1 => (1u8..4).prop_map(Fault::StaleReads),
    ]
}

fn foreign() -> impl Strategy<Value = Option<ForeignChange>> {
    proptest::option::of((1usize..12, prop_oneof![Just("0.1"), Just("0.9")], any::<bool>()).prop_map(
        |(at_call, exploration_weight, fails)| ForeignChange { at_call, exploration_weight, fails },
    ))
}

/// The previous update live shows before apply starts: none, an old success, or an old failure.
fn history() -> impl Strategy<Value = Option<ResourceStatus>> {
    prop_oneof![Just(None), Just(Some(ResourceStatus::Active)), Just(Some(ResourceStatus::CreateFailed))]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn apply_converges_or_fails_honestly_and_never_reverts_an_unmanaged_field(
        live_tps in 1i32..4,
        wanted_tps in 1i32..4,
        previous in history(),
        faults in proptest::collection::vec(fault(), 0..12),
        foreign in foreign(),
    ) {
        let serving = LiveCampaign {
            name: "home".into(),
            arn: ARN.into(),
            solution_version_arn: V1.into(),
            min_provisioned_tps: Some(live_tps),
            config: Some(ServingConfig {
                item_exploration_config: Some(BTreeMap::from([("explorationWeight".into(), "0.5".into())])),
                enable_metadata_with_recommendations: Some(false),
                sync_with_latest_solution_version: Some(false),
                ranking_influence: None,
            }),
            status: ResourceStatus::Active,
            failure_reason: None,
            latest_update: previous.map(|status| LiveCampaignUpdate {
                solution_version_arn: Some(V1.into()),
                min_provisioned_tps: Some(9),
                config: None,
                failure_reason: (status == ResourceStatus::CreateFailed).then(|| "an old failure".to_string()),
                status,
                created_at: Some(0.5),
                last_updated_at: Some(0.5),
            }),
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        let (result, state) = runtime.block_on(async {
            let model = Arc::new(Model(Mutex::new(ModelState {
                serving: serving.clone(),
                pending: None,
                clock: 1.0,
                faults: faults.into(),
                stale: None,
                foreign,
                calls: 0,
                violations: Vec::new(),
                accepted_updates: 0,
                foreign_started: 0,
            })));
            let source = format!("name: home\nsolutionVersionArn: {V1}\nminProvisionedTPS: {wanted_tps}\n");
            let (campaigns, diagnostics) = pz_apply::load::check_source(Path::new("home.yaml"), &source);
            assert!(diagnostics.is_empty());
            let plan = plan_resource(&campaigns[0], &Observed::of(LiveResource::Campaign(serving)));
            let (_keep, cancel) = watch::channel(false);
            let options = ApplyOptions {
                concurrency: 1,
                poll_interval: Duration::from_secs(5),
                poll_cap: Duration::from_secs(60),
                deadline: Instant::now() + Duration::from_secs(3 * 3600),
                in_use_retries: 3,
                observed_at: Instant::now(),
                fresh_for: Duration::from_secs(10),
                visibility_grace: Duration::from_secs(120),
                solutions: Arc::default(),
            };
            let reports = apply(model.clone(), vec![(campaigns[0].clone(), plan)], options, Arc::new(Silent), cancel).await;
            let state = Arc::try_unwrap(model).ok().expect("apply let go of the model").0.into_inner().unwrap();
            (reports[0].result.clone(), state)
        });
        prop_assert!(state.violations.is_empty(), "{:?}", state.violations);
        prop_assert!(
            state.accepted_updates <= 1 + state.foreign_started,
            "{} updates accepted with {} foreign changes: {result:?}", state.accepted_updates, state.foreign_started
        );
        match &result {
            ResourceResult::Created => prop_assert!(false, "nothing to create"),
            ResourceResult::Updated | ResourceResult::Unchanged | ResourceResult::Waited => {
                prop_assert_eq!(state.serving.min_provisioned_tps, Some(wanted_tps), "{:?}", result);
                prop_assert!(state.pending.is_none(), "converged with a change still in flight: {result:?}");
            }
            ResourceResult::Failed { reason } => prop_assert!(!reason.is_empty()),
            ResourceResult::Stale { changed } => prop_assert!(!changed.is_empty()),
            other => prop_assert!(false, "{other:?}"),
        }
    }
}
