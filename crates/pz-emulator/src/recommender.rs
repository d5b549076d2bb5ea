//! The recommender operations of domain dataset groups: CreateRecommender, DescribeRecommender,
//! UpdateRecommender, Start/StopRecommender, DeleteRecommender, ListRecommenders, and DescribeDatasetGroup.
//! Input checks word their messages as AWS does; the lifecycle lives in [`State::advance`].

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::api::{
    ApiError, Checks, MAX_TAGS, Timing, add_failure_reason, in_region, outcome_for, page, split_arn,
    string_list, with_token,
};
use crate::state::{
    ACTIVE, CREATE_PENDING, INACTIVE, Job, Outcome, Recommender, RecommenderConfig, RecommenderUpdate, State,
    TrainingDataConfig, Transition,
};

/// The use-case recipes of each domain, as `arn:aws:personalize:::recipe/<name>` names them.
pub const DOMAIN_RECIPES: &[(&str, &[&str])] = &[
    (
        "ECOMMERCE",
        &[
            "aws-ecomm-customers-who-viewed-x-also-viewed",
            "aws-ecomm-frequently-bought-together",
            "aws-ecomm-popular-items-by-purchases",
            "aws-ecomm-popular-items-by-views",
            "aws-ecomm-recommended-for-you",
        ],
    ),
    (
        "VIDEO_ON_DEMAND",
        &[
            "aws-vod-because-you-watched-x",
            "aws-vod-more-like-x",
            "aws-vod-most-popular",
            "aws-vod-top-picks",
        ],
    ),
];

/// The dataset types training columns can name.
const DATASET_TYPES: &[&str] = &["Interactions", "Items", "Users"];

/// The domain a recipe ARN belongs to, if it is a domain use case.
fn recipe_domain(recipe_arn: &str) -> Option<&'static str> {
    let name = recipe_arn.strip_prefix("arn:aws:personalize:::recipe/")?;
    DOMAIN_RECIPES.iter().find(|(_, recipes)| recipes.contains(&name)).map(|(domain, _)| *domain)
}

impl Checks<'_> {
    /// `recommenderConfig`: `None` when absent.
    fn recommender_config(&mut self, required: bool) -> Result<Option<RecommenderConfig>, ApiError> {
        let Some(config) = self.structure("recommenderConfig", required)? else {
            return Ok(None);
        };
        let mut result = RecommenderConfig::default();
        for (key, value) in config {
            let member = format!("recommenderConfig.{key}");
            match (key.as_str(), value) {
                (_, Value::Null) => {}
                ("enableMetadataWithRecommendations", Value::Bool(b)) => {
                    result.enable_metadata_with_recommendations = Some(*b)
                }
                ("minRecommendationRequestsPerSecond", Value::Number(number)) => {
                    let Some(n) = number.as_i64() else {
                        return Err(ApiError::expected("an integer", &member));
                    };
                    if n < 1 {
                        self.violation(
                            &n.to_string(),
                            &member,
                            "Member must have value greater than or equal to 1",
                        );
                    }
                    result.min_recommendation_requests_per_second = Some(n);
                }
                ("itemExplorationConfig", Value::Object(map)) => {
                    result.item_exploration_config = Some(self.exploration(&member, map)?)
                }
                ("trainingDataConfig", Value::Object(map)) => {
                    result.training_data_config = Some(self.training_data(&member, map)?)
                }
                ("enableMetadataWithRecommendations", _) => {
                    return Err(ApiError::expected("a boolean", &member));
                }
                ("minRecommendationRequestsPerSecond", _) => {
                    return Err(ApiError::expected("an integer", &member));
                }
                ("itemExplorationConfig" | "trainingDataConfig", _) => {
                    return Err(ApiError::expected("a map", &member));
                }
                // Unknown members are ignored on the wire, as AWS's JSON protocols do.
                _ => {}
            }
        }
        Ok(Some(result))
    }

    fn training_data(
        &mut self,
        member: &str,
        map: &Map<String, Value>,
    ) -> Result<TrainingDataConfig, ApiError> {
        let mut result = TrainingDataConfig::default();
        for (key, value) in map {
            let columns = match (key.as_str(), value) {
                (_, Value::Null) => continue,
                ("excludedDatasetColumns", _) => &mut result.excluded_dataset_columns,
                ("includedDatasetColumns", _) => &mut result.included_dataset_columns,
                _ => continue,
            };
            let Value::Object(by_type) = value else {
                return Err(ApiError::expected("a map", &format!("{member}.{key}")));
            };
            let mut parsed = BTreeMap::new();
            for (dataset_type, names) in by_type {
                if !DATASET_TYPES.contains(&dataset_type.as_str()) {
                    self.violations.push(format!(
                        "Unsupported dataset type '{dataset_type}' at '{member}.{key}'; expected one of {}",
                        DATASET_TYPES.join(", ")
                    ));
                }
                let names = string_list(names, &format!("{member}.{key}.{dataset_type}"))?;
                if names.len() > 50 {
                    self.violation(
                        "[...]",
                        &format!("{member}.{key}.{dataset_type}"),
                        "Member must have length less than or equal to 50",
                    );
                }
                parsed.insert(dataset_type.clone(), names);
            }
            *columns = Some(parsed);
        }
        Ok(result)
    }
}

fn recommender<'s>(state: &'s mut State, arn: &str) -> Result<&'s mut Recommender, ApiError> {
    state
        .recommenders
        .get_mut(arn)
        .ok_or_else(|| ApiError::not_found(format!("Could not find recommender with ARN {arn}")))
}

/// The recommender that a request naming only `recommenderArn` is about.
fn named_recommender<'s>(
    state: &'s mut State,
    input: &Map<String, Value>,
) -> Result<(String, &'s mut Recommender), ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("recommenderArn", true)?.unwrap_or_default();
    checks.finish()?;
    let recommender = recommender(state, &arn)?;
    Ok((arn, recommender))
}

pub fn create(
    state: &mut State,
    timing: Timing,
    input: &Map<String, Value>,
    now: f64,
) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let name = checks.name("name")?;
    let group = checks.arn("datasetGroupArn", true)?;
    let recipe = checks.arn("recipeArn", true)?;
    let config = checks.recommender_config(false)?;
    let tags = checks.tags("tags")?;
    checks.finish()?;
    let (Some(name), Some(group), Some(recipe)) = (name, group, recipe) else {
        return Err(ApiError::invalid_input("name, datasetGroupArn and recipeArn are required"));
    };
    if tags.len() > MAX_TAGS {
        return Err(ApiError::new(
            "TooManyTagsException",
            400,
            format!("A resource can have at most {MAX_TAGS} tags"),
        ));
    }
    let dataset_group = state
        .dataset_groups
        .get(&group)
        .ok_or_else(|| ApiError::not_found(format!("Could not find dataset group with ARN {group}")))?;
    let Some(domain) = dataset_group.domain.clone() else {
        return Err(ApiError::invalid_input(format!(
            "Dataset group {group} is not a domain dataset group; recommenders need a domain"
        )));
    };
    if recipe_domain(&recipe) != Some(domain.as_str()) {
        return Err(ApiError::invalid_input(format!(
            "Recipe {recipe} is not a use case of the {domain} domain"
        )));
    }
    let parts = split_arn(&group).ok_or_else(|| ApiError::invalid_input("malformed datasetGroupArn"))?;
    let arn =
        format!("arn:{}:personalize:{}:{}:recommender/{name}", parts.partition, parts.region, parts.account);
    if state.recommenders.contains_key(&arn) {
        return Err(ApiError::new(
            "ResourceAlreadyExistsException",
            400,
            format!("Recommender with ARN {arn} already exists"),
        ));
    }
    // AWS reports the minimum requests per second it applies, 1 when none was asked for.
    let mut config = config.unwrap_or_default();
    config.min_recommendation_requests_per_second.get_or_insert(1);
    let outcome = outcome_for(state, &arn);
    state.recommenders.insert(
        arn.clone(),
        Recommender {
            name,
            recommender_arn: arn.clone(),
            dataset_group_arn: group,
            recipe_arn: recipe,
            recommender_config: config,
            status: CREATE_PENDING.to_string(),
            failure_reason: None,
            creation_date_time: now,
            last_updated_date_time: now,
            latest_recommender_update: None,
            job: Some((Transition::Create, Job::new(now, timing.transition_seconds, outcome))),
            model_metrics: BTreeMap::from([
                ("coverage".to_string(), 0.27),
                ("precision_at_25".to_string(), 0.08),
            ]),
        },
    );
    if !tags.is_empty() {
        state.tags.insert(arn.clone(), tags.into_iter().collect());
    }
    state.advance(now);
    Ok(json!({ "recommenderArn": arn }))
}

pub fn update(
    state: &mut State,
    timing: Timing,
    input: &Map<String, Value>,
    now: f64,
) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("recommenderArn", true)?.unwrap_or_default();
    let config = checks.recommender_config(true)?;
    checks.finish()?;
    let current = recommender(state, &arn)?;
    if current.is_busy() || current.status != ACTIVE {
        let status = current
            .latest_recommender_update
            .as_ref()
            .filter(|update| update.job.is_some())
            .map_or(current.status.as_str(), |update| update.status.as_str());
        return Err(ApiError::in_use(format!(
            "Recommender {arn} is {status}; only an ACTIVE recommender with nothing in flight can be updated"
        )));
    }
    let mut config = config.unwrap_or_default();
    config.min_recommendation_requests_per_second.get_or_insert(1);
    let outcome = outcome_for(state, &arn);
    let recommender = recommender(state, &arn)?;
    recommender.latest_recommender_update = Some(RecommenderUpdate {
        recommender_config: config,
        status: CREATE_PENDING.to_string(),
        failure_reason: None,
        creation_date_time: now,
        last_updated_date_time: now,
        job: Some(Job::new(now, timing.transition_seconds, outcome)),
    });
    recommender.last_updated_date_time = now;
    state.advance(now);
    Ok(json!({ "recommenderArn": arn }))
}

/// StartRecommender (from INACTIVE) and StopRecommender (from ACTIVE).
pub fn start_or_stop(
    state: &mut State,
    timing: Timing,
    input: &Map<String, Value>,
    now: f64,
    transition: Transition,
) -> Result<Value, ApiError> {
    let (arn, recommender) = named_recommender(state, input)?;
    let from = if transition == Transition::Start { INACTIVE } else { ACTIVE };
    if recommender.is_busy() || recommender.status != from {
        let operation = if transition == Transition::Start { "started" } else { "stopped" };
        return Err(ApiError::in_use(format!(
            "Recommender {arn} is {}; only an {from} recommender with nothing in flight can be {operation}",
            recommender.status
        )));
    }
    recommender.job = Some((transition, Job::new(now, timing.transition_seconds, Outcome::Active)));
    recommender.last_updated_date_time = now;
    state.advance(now);
    Ok(json!({ "recommenderArn": arn }))
}

pub fn delete(
    state: &mut State,
    timing: Timing,
    input: &Map<String, Value>,
    now: f64,
) -> Result<Value, ApiError> {
    let (arn, recommender) = named_recommender(state, input)?;
    if recommender.is_busy() {
        return Err(ApiError::in_use(format!("Recommender {arn} is {}", recommender.status)));
    }
    recommender.job = Some((Transition::Delete, Job::new(now, timing.transition_seconds, Outcome::Active)));
    state.advance(now);
    Ok(json!({}))
}

/// A recommender as ListRecommenders reports it (RecommenderSummary); DescribeRecommender says more.
fn summary(recommender: &Recommender) -> Value {
    json!({
        "name": recommender.name,
        "recommenderArn": recommender.recommender_arn,
        "datasetGroupArn": recommender.dataset_group_arn,
        "recipeArn": recommender.recipe_arn,
        "recommenderConfig": recommender.recommender_config,
        "status": recommender.status,
        "creationDateTime": recommender.creation_date_time,
        "lastUpdatedDateTime": recommender.last_updated_date_time,
    })
}

pub fn describe(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let (_, recommender) = named_recommender(state, input)?;
    let mut body = summary(recommender);
    add_failure_reason(&mut body, recommender.failure_reason.as_ref());
    if recommender.status == ACTIVE || recommender.status == INACTIVE {
        body["modelMetrics"] = json!(recommender.model_metrics);
    }
    if let Some(update) = &recommender.latest_recommender_update {
        let mut summary = json!({
            "recommenderConfig": update.recommender_config,
            "status": update.status,
            "creationDateTime": update.creation_date_time,
            "lastUpdatedDateTime": update.last_updated_date_time,
        });
        add_failure_reason(&mut summary, update.failure_reason.as_ref());
        body["latestRecommenderUpdate"] = summary;
    }
    Ok(json!({ "recommender": body }))
}

pub fn list(state: &mut State, input: &Map<String, Value>, region: Option<&str>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let group = checks.arn("datasetGroupArn", false)?;
    let summaries: Vec<Value> = state
        .recommenders
        .values()
        .filter(|recommender| in_region(&recommender.recommender_arn, region))
        .filter(|recommender| group.as_ref().is_none_or(|group| &recommender.dataset_group_arn == group))
        .map(summary)
        .collect();
    let (items, next) = page(&mut checks, summaries)?;
    checks.finish()?;
    Ok(with_token(json!({ "recommenders": items }), next))
}

pub fn describe_dataset_group(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("datasetGroupArn", true)?.unwrap_or_default();
    checks.finish()?;
    let group = state
        .dataset_groups
        .get(&arn)
        .ok_or_else(|| ApiError::not_found(format!("Could not find dataset group with ARN {arn}")))?;
    Ok(json!({ "datasetGroup": group }))
}
