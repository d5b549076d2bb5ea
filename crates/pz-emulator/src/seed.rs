//! The seed file: the solutions, versions and campaigns the emulator starts with (YAML or JSON).
//!
//! ```yaml
//! solutions:
//!   - solutionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs
//!     versions:                          # oldest first: an id (ACTIVE, FULL), or in detail
//!       - a1b2c3d4
//!       - { id: 5e6f7a8b, trainingMode: UPDATE, trainingHours: 0.4, metrics: { coverage: 0.21 } }
//! campaigns:                             # ACTIVE from the start
//!   - name: home-recs
//!     solutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs/a1b2c3d4
//!     minProvisionedTPS: 1
//!     campaignConfig: { syncWithLatestSolutionVersion: false }
//!     tags: { team: discovery }
//! datasetGroups:                         # domain dataset groups hold recommenders
//!   - datasetGroupArn: arn:aws:personalize:us-east-1:111122223333:dataset-group/shop
//!     domain: ECOMMERCE                  # or VIDEO_ON_DEMAND; leave out for a custom group
//! recommenders:                          # ACTIVE from the start, or INACTIVE (stopped)
//!   - name: shop-for-you
//!     datasetGroupArn: arn:aws:personalize:us-east-1:111122223333:dataset-group/shop
//!     recipeArn: arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you
//!     recommenderConfig: { minRecommendationRequestsPerSecond: 2 }
//!     status: ACTIVE
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{self, ApiError, Timing};
use crate::state::{ACTIVE, DatasetGroup, INACTIVE, Solution, SolutionVersion, State};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub solutions: Vec<SeedSolution>,
    #[serde(default)]
    pub campaigns: Vec<SeedCampaign>,
    #[serde(default)]
    pub dataset_groups: Vec<SeedDatasetGroup>,
    #[serde(default)]
    pub recommenders: Vec<SeedRecommender>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedDatasetGroup {
    pub dataset_group_arn: String,
    /// ECOMMERCE or VIDEO_ON_DEMAND; `None` for a custom dataset group.
    #[serde(default)]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRecommender {
    pub name: String,
    pub dataset_group_arn: String,
    pub recipe_arn: String,
    #[serde(default)]
    pub recommender_config: Option<Value>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// ACTIVE (default) or INACTIVE.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSolution {
    pub solution_arn: String,
    /// Versions, oldest first: an id (an ACTIVE version, trained FULL) or the version in detail.
    #[serde(default)]
    pub versions: Vec<SeedVersion>,
}

/// One solution version in the seed: `v1`, or `{id: v1, status: CREATE IN_PROGRESS, metrics: {...}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SeedVersion {
    Id(String),
    Detailed(SeedVersionDetail),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedVersionDetail {
    pub id: String,
    /// Default ACTIVE.
    #[serde(default)]
    pub status: Option<String>,
    /// Default FULL.
    #[serde(default)]
    pub training_mode: Option<String>,
    #[serde(default)]
    pub training_hours: Option<f64>,
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Offline metrics (GetSolutionMetrics), by AWS's names.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
}

impl From<&str> for SeedVersion {
    fn from(id: &str) -> Self {
        SeedVersion::Id(id.to_string())
    }
}

impl From<String> for SeedVersion {
    fn from(id: String) -> Self {
        SeedVersion::Id(id)
    }
}

impl SeedVersion {
    pub fn id(&self) -> &str {
        match self {
            SeedVersion::Id(id) => id,
            SeedVersion::Detailed(detail) => &detail.id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedCampaign {
    pub name: String,
    pub solution_version_arn: String,
    #[serde(default, rename = "minProvisionedTPS")]
    pub min_provisioned_tps: Option<i32>,
    #[serde(default)]
    pub campaign_config: Option<Value>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    /// A problem at a place in the seed file, shown as pz-apply's validate shows one in a campaign file.
    #[error("{}", at.render())]
    At { at: Box<SeedProblem> },
    #[error(
        "seed: solution {arn} is not a solution ARN (arn:<partition>:personalize:<region>:<account>:solution/<name>)"
    )]
    BadSolution { arn: String },
    #[error("seed: campaign {name}: {source}")]
    Campaign { name: String, source: ApiError },
    #[error(
        "seed: dataset group {arn} is not a dataset group ARN (arn:<partition>:personalize:<region>:<account>:dataset-group/<name>)"
    )]
    BadDatasetGroup { arn: String },
    #[error("seed: recommender {name}: {source}")]
    Recommender { name: String, source: ApiError },
}

/// What is wrong, where: `file:line:col: error: message`, then the line with a caret under the place.
#[derive(Debug)]
pub struct SeedProblem {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The text of the line, when the file has it.
    pub text: Option<String>,
}

impl SeedProblem {
    fn render(&self) -> String {
        let mut out = format!("{}:{}:{}: error: {}", self.path, self.line, self.column, self.message);
        if let Some(text) = &self.text {
            let gutter = " ".repeat(self.line.to_string().len());
            let pad = " ".repeat(self.column.saturating_sub(1));
            out.push_str(&format!("\n{gutter} |\n{} | {text}\n{gutter} | {pad}^", self.line));
        }
        out
    }
}

impl Seed {
    pub fn from_file(path: &Path) -> Result<Seed, SeedError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| SeedError::Read { path: display.clone(), source })?;
        let seed = Self::parse(&text, path.extension().is_some_and(|extension| extension == "json"));
        let seed = seed.map_err(|(line, column, message)| problem(&display, &text, line, column, message))?;
        // Found here, not in to_state, because only here is the text to point into.
        seed.to_state(0.0).map_err(|error| match &error {
            SeedError::BadSolution { arn } => {
                at_value(&display, &text, "solutionArn", arn, error.to_string())
            }
            SeedError::Campaign { name, source } => {
                at_value(&display, &text, "name", name, format!("campaign `{name}`: {source}"))
            }
            SeedError::BadDatasetGroup { arn } => {
                at_value(&display, &text, "datasetGroupArn", arn, error.to_string())
            }
            SeedError::Recommender { name, source } => {
                at_value(&display, &text, "name", name, format!("recommender `{name}`: {source}"))
            }
            _ => error,
        })?;
        Ok(seed)
    }

    /// The seed in `text`, or the line, column and message of why not.
    fn parse(text: &str, is_json: bool) -> Result<Seed, (usize, usize, String)> {
        if is_json {
            return serde_json::from_str(text).map_err(|error| {
                let message = error.to_string();
                let message = message.split(" at line ").next().unwrap_or_default().to_string();
                (error.line().max(1), error.column().max(1), message)
            });
        }
        let mut options = serde_saphyr::Options::default();
        options.strict_booleans = true;
        options.with_snippet = false;
        serde_saphyr::from_str_with_options(text, options).map_err(|error| {
            let (line, column) = error.location().map_or((1, 1), |at| (at.line().max(1), at.column().max(1)));
            let message = error.to_string();
            // The parser says where as well; the location is printed once, in front.
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            let message = match message.split_once(": ") {
                Some((place, rest)) if place.starts_with("line ") => rest,
                _ => message,
            };
            let message = message.lines().next().unwrap_or_default();
            let message = message.split(" at line ").next().unwrap_or_default();
            (line as usize, column as usize, message.to_string())
        })
    }
}

fn problem(path: &str, text: &str, line: usize, column: usize, message: String) -> SeedError {
    let line_text = text.lines().nth(line.saturating_sub(1)).map(str::to_string);
    SeedError::At {
        at: Box::new(SeedProblem { path: path.to_string(), line, column, message, text: line_text }),
    }
}

/// A problem with a value the file holds, placed where `key` is first given that value (YAML `key: value`
/// or JSON `"key": "value"`).
fn at_value(path: &str, text: &str, key: &str, value: &str, message: String) -> SeedError {
    let found = text.lines().enumerate().find_map(|(index, line)| {
        let key_at = line.find(key)?;
        let after = line[key_at + key.len()..].trim_start_matches(['"', '\'']).trim_start();
        let after = after.strip_prefix(':')?.trim_start();
        let quoted = after.trim_start_matches(['"', '\'']);
        let value_at = line.len() - quoted.len();
        quoted.starts_with(value).then_some((index + 1, value_at + 1))
    });
    let (line, column) = found.unwrap_or((1, 1));
    let message = message.strip_prefix("seed: ").unwrap_or(&message).to_string();
    problem(path, text, line, column, message)
}

impl Seed {
    /// The state this seed describes at time `now`: versions a second apart so "newest" is well defined,
    /// campaigns created through the same code path as CreateCampaign and then finished.
    pub fn to_state(&self, now: f64) -> Result<State, SeedError> {
        let mut state = State::default();
        let versions_total =
            self.solutions.iter().map(|solution| solution.versions.len()).sum::<usize>() as f64;
        let mut clock = now - versions_total - 1.0;
        for solution in &self.solutions {
            let name = solution
                .solution_arn
                .split_once(":solution/")
                .map(|(_, name)| name)
                .filter(|name| api::is_valid_name(name) && solution.solution_arn.starts_with("arn:"))
                .ok_or_else(|| SeedError::BadSolution { arn: solution.solution_arn.clone() })?;
            state.solutions.insert(
                solution.solution_arn.clone(),
                Solution {
                    name: name.to_string(),
                    solution_arn: solution.solution_arn.clone(),
                    status: ACTIVE.to_string(),
                    creation_date_time: clock,
                    last_updated_date_time: clock,
                },
            );
            for version in &solution.versions {
                clock += 1.0;
                let arn = format!("{}/{}", solution.solution_arn, version.id());
                let detail = match version {
                    SeedVersion::Id(_) => None,
                    SeedVersion::Detailed(detail) => Some(detail),
                };
                state.solution_versions.insert(
                    arn.clone(),
                    SolutionVersion {
                        solution_version_arn: arn,
                        solution_arn: solution.solution_arn.clone(),
                        status: detail.and_then(|d| d.status.clone()).unwrap_or_else(|| ACTIVE.to_string()),
                        creation_date_time: clock,
                        last_updated_date_time: clock,
                        training_mode: Some(
                            detail
                                .and_then(|d| d.training_mode.clone())
                                .unwrap_or_else(|| "FULL".to_string()),
                        ),
                        training_hours: detail.and_then(|d| d.training_hours),
                        failure_reason: detail.and_then(|d| d.failure_reason.clone()),
                        metrics: detail.map(|d| d.metrics.clone()).unwrap_or_default(),
                    },
                );
            }
        }
        let instant = Timing { transition_seconds: 0.0 };
        for campaign in &self.campaigns {
            let tags: Vec<Value> = campaign
                .tags
                .iter()
                .map(|(key, value)| json!({ "tagKey": key, "tagValue": value }))
                .collect();
            let mut input = json!({
                "name": campaign.name,
                "solutionVersionArn": campaign.solution_version_arn,
                "minProvisionedTPS": campaign.min_provisioned_tps.unwrap_or(1),
                "tags": tags,
            });
            if let Some(config) = &campaign.campaign_config {
                input["campaignConfig"] = config.clone();
            }
            api::call(&mut state, instant, "CreateCampaign", &input, now)
                .map_err(|source| SeedError::Campaign { name: campaign.name.clone(), source })?;
        }
        self.add_recommenders(&mut state, now)?;
        state.advance(now);
        Ok(state)
    }

    /// Dataset groups, then recommenders through the same code path as CreateRecommender (and
    /// StopRecommender for an INACTIVE one).
    fn add_recommenders(&self, state: &mut State, now: f64) -> Result<(), SeedError> {
        for group in &self.dataset_groups {
            let name = group
                .dataset_group_arn
                .split_once(":dataset-group/")
                .map(|(_, name)| name)
                .filter(|name| api::is_valid_name(name) && group.dataset_group_arn.starts_with("arn:"))
                .ok_or_else(|| SeedError::BadDatasetGroup { arn: group.dataset_group_arn.clone() })?;
            state.dataset_groups.insert(
                group.dataset_group_arn.clone(),
                DatasetGroup {
                    name: name.to_string(),
                    dataset_group_arn: group.dataset_group_arn.clone(),
                    domain: group.domain.clone(),
                    status: ACTIVE.to_string(),
                    creation_date_time: now,
                    last_updated_date_time: now,
                },
            );
        }
        let instant = Timing { transition_seconds: 0.0 };
        for recommender in &self.recommenders {
            let failed = |source| SeedError::Recommender { name: recommender.name.clone(), source };
            let tags: Vec<Value> = recommender
                .tags
                .iter()
                .map(|(key, value)| json!({ "tagKey": key, "tagValue": value }))
                .collect();
            let mut input = json!({
                "name": recommender.name,
                "datasetGroupArn": recommender.dataset_group_arn,
                "recipeArn": recommender.recipe_arn,
                "tags": tags,
            });
            if let Some(config) = &recommender.recommender_config {
                input["recommenderConfig"] = config.clone();
            }
            let created = api::call(state, instant, "CreateRecommender", &input, now).map_err(failed)?;
            match recommender.status.as_deref() {
                None | Some(ACTIVE) => {}
                Some(INACTIVE) => {
                    api::call(state, instant, "StopRecommender", &created, now).map_err(failed)?;
                }
                Some(other) => {
                    return Err(failed(ApiError::new(
                        "InvalidInputException",
                        400,
                        format!("a seeded recommender's status is ACTIVE or INACTIVE, not {other}"),
                    )));
                }
            }
        }
        Ok(())
    }
}
