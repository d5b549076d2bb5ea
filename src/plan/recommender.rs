//! Recommenders: every comparison rule, the write calls and the decision for `kind: Recommender`, on the
//! engine's shared pieces (the plan's shape, lifecycle rules, tags, exploration values, notes).
//!
//! UpdateRecommender replaces the whole config, so an update sends every member: the file's values where
//! it manages them, live's (or the in-flight update's) for the rest.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::compare::{
    exploration_changes, managed_exploration, managed_live_tags, managed_metadata, tag_calls,
    tag_field_changes,
};
use super::notes::notes_for;
use super::{
    Action, FieldChange, Observed, ResourcePlan, WriteRequest, conclude, lifecycle_block, planned_create,
    undecided,
};
use crate::live::{
    CreateRecommenderRequest, DatasetColumns, LiveRecommender, LiveRecommenderUpdate, RecommenderConfig,
    ResourceStatus, TrainingDataConfig, UpdateRecommenderRequest,
};
use crate::spec::{ItemExplorationSpec, Kind, RecommenderSpec, RecommenderState};
use crate::validate::LoadedResource;

/// AWS's minimum requests per second when none was asked for.
const DEFAULT_RPS: i32 = 1;

/// The values compared for one recommender, on either side, restricted to what the file manages
/// (`datasetGroupArn` and `recipeArn` always are).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparable {
    dataset_group_arn: String,
    recipe_arn: String,
    rps: Option<i32>,
    metadata: Option<bool>,
    exploration: Option<BTreeMap<String, String>>,
    excluded: Option<DatasetColumns>,
    included: Option<DatasetColumns>,
    state: Option<RecommenderState>,
    tags: Option<BTreeMap<String, String>>,
}

fn desired_comparable(spec: &RecommenderSpec) -> Comparable {
    let config = spec.recommender_config.as_ref();
    let training = config.and_then(|config| config.training_data_config.as_ref());
    Comparable {
        dataset_group_arn: spec.dataset_group_arn.clone(),
        recipe_arn: spec.recipe_arn.clone(),
        rps: config.and_then(|config| config.min_recommendation_requests_per_second),
        metadata: config.and_then(|config| config.enable_metadata_with_recommendations),
        exploration: config
            .and_then(|config| config.item_exploration_config.as_ref())
            .map(ItemExplorationSpec::texts),
        excluded: training.and_then(|training| training.excluded_dataset_columns.clone()),
        included: training.and_then(|training| training.included_dataset_columns.clone()),
        state: spec.state,
        tags: spec.tags.clone(),
    }
}

/// Whether a recommender runs, or will once the start or stop in flight ends.
fn running_state(status: &ResourceStatus) -> RecommenderState {
    match status {
        ResourceStatus::Inactive | ResourceStatus::StopPending | ResourceStatus::StopInProgress => {
            RecommenderState::Inactive
        }
        _ => RecommenderState::Active,
    }
}

/// The values live has (or will have once the in-flight update lands: `config`), for the fields `desired`
/// manages. An absent member is AWS's default.
fn live_comparable(
    desired: &Comparable,
    live: &LiveRecommender,
    config: Option<&RecommenderConfig>,
    tags: Option<&BTreeMap<String, String>>,
) -> Comparable {
    let training = config.and_then(|config| config.training_data_config.as_ref());
    Comparable {
        dataset_group_arn: live.dataset_group_arn.clone(),
        recipe_arn: live.recipe_arn.clone(),
        rps: desired.rps.map(|_| {
            config.and_then(|config| config.min_recommendation_requests_per_second).unwrap_or(DEFAULT_RPS)
        }),
        metadata: managed_metadata(desired.metadata, config),
        exploration: managed_exploration(desired.exploration.as_ref(), config),
        excluded: desired.excluded.as_ref().map(|_| {
            training.and_then(|training| training.excluded_dataset_columns.clone()).unwrap_or_default()
        }),
        included: desired.included.as_ref().map(|_| {
            training.and_then(|training| training.included_dataset_columns.clone()).unwrap_or_default()
        }),
        state: desired.state.map(|_| running_state(&live.status)),
        tags: desired.tags.as_ref().map(|_| managed_live_tags(tags)),
    }
}

/// Column lists compare as sets: the order a file lists columns in means nothing to training.
fn column_changes(
    prefix: &str,
    wanted: &DatasetColumns,
    current: &DatasetColumns,
    changes: &mut Vec<FieldChange>,
) {
    let sorted = |columns: Option<&Vec<String>>| {
        let mut columns = columns.cloned().unwrap_or_default();
        columns.sort();
        columns.dedup();
        columns
    };
    let types: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
    for dataset_type in types {
        if sorted(wanted.get(dataset_type)) != sorted(current.get(dataset_type)) {
            changes.push(FieldChange {
                path: format!("{prefix}.{dataset_type}"),
                before: current.get(dataset_type).map(|columns| json!(columns)),
                after: wanted.get(dataset_type).map(|columns| json!(columns)),
            });
        }
    }
}

fn changes_between(desired: &Comparable, live: &Comparable) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let change = |changes: &mut Vec<FieldChange>, path: &str, before: Value, after: Value| {
        changes.push(FieldChange { path: path.to_string(), before: Some(before), after: Some(after) });
    };
    if desired.dataset_group_arn != live.dataset_group_arn {
        change(
            &mut changes,
            "datasetGroupArn",
            json!(live.dataset_group_arn),
            json!(desired.dataset_group_arn),
        );
    }
    if desired.recipe_arn != live.recipe_arn {
        change(&mut changes, "recipeArn", json!(live.recipe_arn), json!(desired.recipe_arn));
    }
    if let (Some(wanted), Some(current)) = (desired.rps, live.rps)
        && wanted != current
    {
        change(
            &mut changes,
            "recommenderConfig.minRecommendationRequestsPerSecond",
            json!(current),
            json!(wanted),
        );
    }
    if let (Some(wanted), Some(current)) = (desired.metadata, live.metadata)
        && wanted != current
    {
        change(
            &mut changes,
            "recommenderConfig.enableMetadataWithRecommendations",
            json!(current),
            json!(wanted),
        );
    }
    if let (Some(wanted), Some(current)) = (&desired.exploration, &live.exploration) {
        exploration_changes("recommenderConfig.itemExplorationConfig", wanted, current, &mut changes);
    }
    if let (Some(wanted), Some(current)) = (&desired.excluded, &live.excluded) {
        column_changes(
            "recommenderConfig.trainingDataConfig.excludedDatasetColumns",
            wanted,
            current,
            &mut changes,
        );
    }
    if let (Some(wanted), Some(current)) = (&desired.included, &live.included) {
        column_changes(
            "recommenderConfig.trainingDataConfig.includedDatasetColumns",
            wanted,
            current,
            &mut changes,
        );
    }
    if let (Some(wanted), Some(current)) = (desired.state, live.state)
        && wanted != current
    {
        change(&mut changes, "state", json!(current.as_str()), json!(wanted.as_str()));
    }
    tag_field_changes(desired.tags.as_ref(), live.tags.as_ref(), &mut changes);
    changes
}

/// The document shown in diffs: the managed fields, nested as in the file.
fn document(values: &Comparable) -> Value {
    let mut document = serde_json::Map::new();
    document.insert("datasetGroupArn".into(), json!(values.dataset_group_arn));
    document.insert("recipeArn".into(), json!(values.recipe_arn));
    let config = managed_config(values).to_json();
    if config.as_object().is_some_and(|config| !config.is_empty()) {
        document.insert("recommenderConfig".into(), config);
    }
    if let Some(state) = values.state {
        document.insert("state".into(), json!(state.as_str()));
    }
    if let Some(tags) = &values.tags {
        document.insert("tags".into(), json!(tags));
    }
    Value::Object(document)
}

/// The complete UpdateRecommender: the file's values where it manages them, `base` (what live serves, or
/// will serve after the in-flight update) for the rest. The minimum requests per second and metadata flag
/// are always stated, so nothing is left for AWS to default.
fn update_request(
    arn: &str,
    desired: &Comparable,
    base: Option<&RecommenderConfig>,
) -> UpdateRecommenderRequest {
    let base = base.cloned().unwrap_or_default();
    let base_training = base.training_data_config.clone().unwrap_or_default();
    let excluded = desired.excluded.clone().or(base_training.excluded_dataset_columns);
    let included = desired.included.clone().or(base_training.included_dataset_columns);
    UpdateRecommenderRequest {
        recommender_arn: arn.to_string(),
        config: RecommenderConfig {
            item_exploration_config: desired.exploration.clone().or(base.item_exploration_config),
            min_recommendation_requests_per_second: Some(
                desired.rps.or(base.min_recommendation_requests_per_second).unwrap_or(DEFAULT_RPS),
            ),
            training_data_config: (excluded.is_some() || included.is_some()).then_some(TrainingDataConfig {
                excluded_dataset_columns: excluded,
                included_dataset_columns: included,
            }),
            enable_metadata_with_recommendations: Some(
                desired.metadata.or(base.enable_metadata_with_recommendations).unwrap_or(false),
            ),
        },
    }
}

/// The config members `values` manage, and no others.
fn managed_config(values: &Comparable) -> RecommenderConfig {
    RecommenderConfig {
        item_exploration_config: values.exploration.clone(),
        min_recommendation_requests_per_second: values.rps,
        training_data_config: (values.excluded.is_some() || values.included.is_some()).then(|| {
            TrainingDataConfig {
                excluded_dataset_columns: values.excluded.clone(),
                included_dataset_columns: values.included.clone(),
            }
        }),
        enable_metadata_with_recommendations: values.metadata,
    }
}

fn create_request(spec: &RecommenderSpec, desired: &Comparable) -> CreateRecommenderRequest {
    let config = spec.recommender_config.as_ref().map(|_| managed_config(desired));
    CreateRecommenderRequest {
        name: spec.name.clone(),
        dataset_group_arn: spec.dataset_group_arn.clone(),
        recipe_arn: spec.recipe_arn.clone(),
        config,
        tags: spec.tags.clone().unwrap_or_default(),
    }
}

/// The values a config asks for, every member managed (absent members at AWS's defaults).
fn config_comparable(group: &str, recipe: &str, config: &RecommenderConfig) -> Comparable {
    let training = config.training_data_config.clone().unwrap_or_default();
    Comparable {
        dataset_group_arn: group.to_string(),
        recipe_arn: recipe.to_string(),
        rps: Some(config.min_recommendation_requests_per_second.unwrap_or(DEFAULT_RPS)),
        metadata: Some(config.enable_metadata_with_recommendations.unwrap_or(false)),
        exploration: Some(config.item_exploration_config.clone().unwrap_or_default()),
        excluded: Some(training.excluded_dataset_columns.unwrap_or_default()),
        included: Some(training.included_dataset_columns.unwrap_or_default()),
        state: None,
        tags: None,
    }
}

/// Whether `live` is what `request` asked to create, by the same rules as a plan.
pub(crate) fn created_as(live: &LiveRecommender, request: &CreateRecommenderRequest) -> bool {
    let wanted = config_comparable(
        &request.dataset_group_arn,
        &request.recipe_arn,
        &request.config.clone().unwrap_or_default(),
    );
    let created = live_comparable(&wanted, live, live.config.as_ref(), None);
    live.name == request.name && changes_between(&wanted, &created).is_empty()
}

/// Whether `update` (a latestRecommenderUpdate) asks for what `request` asked, by the same rules as a plan.
pub(crate) fn update_asks_for(update: &LiveRecommenderUpdate, request: &UpdateRecommenderRequest) -> bool {
    let wanted = config_comparable("", "", &request.config);
    let asked = config_comparable("", "", &update.config.clone().unwrap_or_default());
    changes_between(&wanted, &asked).is_empty()
}

/// The plan for a recommender.
pub(super) fn decide(loaded: &LoadedResource, spec: &RecommenderSpec, observed: &Observed) -> ResourcePlan {
    let desired = desired_comparable(spec);
    let mut plan = undecided(loaded);
    let Some(live_resource) = observed.live.as_ref() else {
        planned_create(
            &mut plan,
            document(&desired),
            WriteRequest::CreateRecommender(create_request(spec, &desired)),
        );
        plan.notes = notes_for(&plan.changes);
        if desired.state == Some(RecommenderState::Inactive) {
            plan.notes.push("apply creates the recommender, then stops it once it is ACTIVE".to_string());
        }
        return plan;
    };
    let Some(live) = live_resource.as_recommender() else { return plan };
    if let Some(reason) = lifecycle_block(live_resource, Kind::Recommender) {
        plan.action = Action::Blocked;
        plan.blocked_reason = Some(reason);
        plan.desired_document = document(&desired);
        return plan;
    }
    let config = live.update_in_flight().and_then(|update| update.config.as_ref()).or(live.config.as_ref());
    let current = live_comparable(&desired, live, config, observed.tags.as_ref());
    plan.changes = changes_between(&desired, &current);
    plan.tags = tag_calls(desired.tags.as_ref(), current.tags.as_ref());
    plan.notes = notes_for(&plan.changes);
    let (action, request) = next_call(&mut plan, spec, &desired, live, config);
    conclude(&mut plan, live_resource, action, request);
    // The diff documents serve only recommenders with something to show, as for campaigns.
    if plan.action != Action::NoOp {
        plan.desired_document = document(&desired);
        plan.live_document = Some(document(&current));
    }
    plan
}

/// The first call that brings the recommender to its file: a replacement, a start before an update (a
/// stopped recommender cannot be updated), an update (then a stop), a start or a stop; tags alone need
/// none. Later calls come from the decision after this one settles.
fn next_call(
    plan: &mut ResourcePlan,
    spec: &RecommenderSpec,
    desired: &Comparable,
    live: &LiveRecommender,
    config: Option<&RecommenderConfig>,
) -> (Action, Option<WriteRequest>) {
    let immutable: Vec<&str> = plan
        .changes
        .iter()
        .map(|change| change.path.as_str())
        .filter(|path| matches!(*path, "datasetGroupArn" | "recipeArn"))
        .collect();
    if !immutable.is_empty() {
        if spec.allow_replacement == Some(true) {
            plan.notes.push(
                "apply deletes the recommender, waits until it is gone, then creates it from the file"
                    .to_string(),
            );
            return (Action::Replace, Some(WriteRequest::DeleteRecommender(live.arn.clone())));
        }
        plan.blocked_reason = Some(format!(
            "{} cannot change in place, and replacing the recommender deletes it and its trained model; apply \
             refuses unless the file says `allowReplacement: true`",
            immutable.join(" and ")
        ));
        return (Action::Replace, None);
    }
    let config_changed = plan.changes.iter().any(|change| change.path.starts_with("recommenderConfig."));
    let running = running_state(&live.status);
    let start = || Some(WriteRequest::StartRecommender(live.arn.clone()));
    match (config_changed, desired.state, running) {
        (true, Some(RecommenderState::Active), RecommenderState::Inactive) => {
            plan.notes.push(
                "apply starts the recommender, then sends UpdateRecommender once it is ACTIVE".to_string(),
            );
            (Action::Start, start())
        }
        (true, _, RecommenderState::Inactive) => {
            plan.blocked_reason = Some(
                "the recommender is stopped (INACTIVE), and only a running recommender can be updated; set \
                 `state: ACTIVE` to start it and apply the change (then `state: INACTIVE` to stop it again)"
                    .to_string(),
            );
            (Action::Blocked, None)
        }
        (true, wanted, RecommenderState::Active) => {
            if wanted == Some(RecommenderState::Inactive) {
                plan.notes.push("apply stops the recommender once the update is ACTIVE".to_string());
            }
            let update = update_request(&live.arn, desired, config);
            (Action::Update, Some(WriteRequest::UpdateRecommender(update)))
        }
        (false, Some(RecommenderState::Active), RecommenderState::Inactive) => (Action::Start, start()),
        (false, Some(RecommenderState::Inactive), RecommenderState::Active) => {
            (Action::Stop, Some(WriteRequest::StopRecommender(live.arn.clone())))
        }
        (false, ..) => (Action::Update, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "arn:aws:personalize:us-east-1:111122223333:dataset-group/shop";
    const RECIPE: &str = "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you";

    fn comparable() -> Comparable {
        Comparable {
            dataset_group_arn: GROUP.into(),
            recipe_arn: RECIPE.into(),
            rps: None,
            metadata: None,
            exploration: None,
            excluded: None,
            included: None,
            state: None,
            tags: None,
        }
    }

    fn live(status: ResourceStatus, config: RecommenderConfig) -> LiveRecommender {
        LiveRecommender {
            name: "r".into(),
            arn: "arn:aws:personalize:us-east-1:111122223333:recommender/r".into(),
            dataset_group_arn: GROUP.into(),
            recipe_arn: RECIPE.into(),
            config: Some(config),
            status,
            failure_reason: None,
            latest_update: None,
        }
    }

    fn paths(desired: &Comparable, live: &LiveRecommender) -> Vec<String> {
        let current = live_comparable(desired, live, live.config.as_ref(), None);
        changes_between(desired, &current).into_iter().map(|change| change.path).collect()
    }

    #[test]
    fn comparison_rules_table() {
        type Adjust = fn(&mut Comparable, &mut RecommenderConfig, &mut ResourceStatus);
        let cases: &[(&str, Adjust, &[&str])] = &[
            ("nothing managed", |_, config, _| config.min_recommendation_requests_per_second = Some(9), &[]),
            ("an absent RPS is AWS's 1", |desired, _, _| desired.rps = Some(1), &[]),
            (
                "managed RPS",
                |desired, config, _| {
                    desired.rps = Some(3);
                    config.min_recommendation_requests_per_second = Some(2);
                },
                &["recommenderConfig.minRecommendationRequestsPerSecond"],
            ),
            ("metadata absent is false", |desired, _, _| desired.metadata = Some(false), &[]),
            (
                "exploration as numbers",
                |desired, config, _| {
                    desired.exploration = Some(BTreeMap::from([("explorationWeight".into(), "0.30".into())]));
                    config.item_exploration_config =
                        Some(BTreeMap::from([("explorationWeight".into(), "0.3".into())]));
                },
                &[],
            ),
            (
                "columns compare as sets",
                |desired, config, _| {
                    desired.excluded = Some(BTreeMap::from([("Items".into(), vec!["B".into(), "A".into()])]));
                    config.training_data_config = Some(TrainingDataConfig {
                        excluded_dataset_columns: Some(BTreeMap::from([(
                            "Items".into(),
                            vec!["A".into(), "B".into()],
                        )])),
                        included_dataset_columns: None,
                    });
                },
                &[],
            ),
            (
                "a column more is a change",
                |desired, _, _| {
                    desired.excluded = Some(BTreeMap::from([("Items".into(), vec!["PRICE".into()])]))
                },
                &["recommenderConfig.trainingDataConfig.excludedDatasetColumns.Items"],
            ),
            (
                "stopping counts as stopped",
                |desired, _, status| {
                    desired.state = Some(RecommenderState::Inactive);
                    *status = ResourceStatus::StopInProgress;
                },
                &[],
            ),
            (
                "a stopped recommender the file wants running",
                |desired, _, status| {
                    desired.state = Some(RecommenderState::Active);
                    *status = ResourceStatus::Inactive;
                },
                &["state"],
            ),
            (
                "another recipe",
                |desired, _, _| {
                    desired.recipe_arn =
                        "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views".into()
                },
                &["recipeArn"],
            ),
        ];
        for (name, adjust, expected) in cases {
            let mut desired = comparable();
            let mut config = RecommenderConfig::default();
            let mut status = ResourceStatus::Active;
            adjust(&mut desired, &mut config, &mut status);
            assert_eq!(paths(&desired, &live(status, config)), *expected, "{name}");
        }
    }

    #[test]
    fn an_update_sends_the_whole_config_with_unmanaged_live_values_kept() {
        let live_config = RecommenderConfig {
            item_exploration_config: Some(BTreeMap::from([("explorationWeight".into(), "0.7".into())])),
            min_recommendation_requests_per_second: Some(4),
            training_data_config: Some(TrainingDataConfig {
                excluded_dataset_columns: Some(BTreeMap::from([("Items".into(), vec!["PRICE".into()])])),
                included_dataset_columns: None,
            }),
            enable_metadata_with_recommendations: Some(true),
        };
        let mut desired = comparable();
        desired.rps = Some(6);
        let request = update_request("arn:r", &desired, Some(&live_config));
        assert_eq!(
            request.config,
            RecommenderConfig { min_recommendation_requests_per_second: Some(6), ..live_config }
        );
        let bare = update_request("arn:r", &comparable(), None);
        assert_eq!(bare.config.min_recommendation_requests_per_second, Some(1));
        assert_eq!(bare.config.enable_metadata_with_recommendations, Some(false));
        assert_eq!(bare.config.training_data_config, None);
    }

    #[test]
    fn an_update_is_recognised_by_what_it_asks_for() {
        let request = UpdateRecommenderRequest {
            recommender_arn: "arn:r".into(),
            config: RecommenderConfig {
                min_recommendation_requests_per_second: Some(1),
                enable_metadata_with_recommendations: Some(false),
                ..RecommenderConfig::default()
            },
        };
        let mut update = LiveRecommenderUpdate {
            // AWS may leave out what equals its defaults.
            config: Some(RecommenderConfig::default()),
            status: ResourceStatus::CreatePending,
            failure_reason: None,
            created_at: Some(1.0),
            last_updated_at: Some(1.0),
        };
        assert!(update_asks_for(&update, &request));
        update.config = Some(RecommenderConfig {
            min_recommendation_requests_per_second: Some(2),
            ..RecommenderConfig::default()
        });
        assert!(!update_asks_for(&update, &request));
    }
}
