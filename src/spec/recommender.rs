//! The desired state of one recommender (`kind: Recommender`): the fields of CreateRecommender and
//! UpdateRecommender, plus whether it runs. As for campaigns, `None` is a field the file does not manage.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::{ItemExplorationSpec, exploration_document, tags_schema};

/// Field names as files spell them, per mapping.
pub const RECOMMENDER_FIELDS: &[&str] = &[
    "kind",
    "name",
    "datasetGroupArn",
    "recipeArn",
    "recommenderArn",
    "recommenderConfig",
    "tags",
    "state",
    "allowReplacement",
];
pub const RECOMMENDER_CONFIG_FIELDS: &[&str] = &[
    "itemExplorationConfig",
    "minRecommendationRequestsPerSecond",
    "trainingDataConfig",
    "enableMetadataWithRecommendations",
];
pub const TRAINING_DATA_FIELDS: &[&str] = &["excludedDatasetColumns", "includedDatasetColumns"];
/// The dataset types whose columns training can include or exclude.
pub const DATASET_TYPES: &[&str] = &["Interactions", "Items", "Users"];
pub const MAX_COLUMNS_PER_DATASET: usize = 50;
pub const MAX_COLUMN_NAME_CHARS: usize = 150;
/// Column names start with a letter or underscore, then letters, digits and underscores.
pub const COLUMN_NAME_PATTERN: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";

/// Whether a recommender runs: `INACTIVE` is stopped, and not billed for its minimum requests per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
pub enum RecommenderState {
    #[schemars(rename = "ACTIVE")]
    Active,
    #[schemars(rename = "INACTIVE")]
    Inactive,
}

impl RecommenderState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecommenderState::Active => "ACTIVE",
            RecommenderState::Inactive => "INACTIVE",
        }
    }
}

/// An Amazon Personalize recommender of a domain dataset group, managed by pz-apply. Fields mirror the
/// CreateRecommender and UpdateRecommender API; a field that is left out is not managed, and keeps its
/// live value.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(
    title = "Amazon Personalize recommender (pz-apply)",
    rename_all = "camelCase",
    deny_unknown_fields
)]
pub struct RecommenderSpec {
    /// The recommender's name, unique in its account and region. It cannot change: a new name is a new
    /// recommender.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$"))]
    pub name: String,

    /// The domain dataset group the recommender belongs to:
    /// `arn:aws:personalize:<region>:<account>:dataset-group/<name>`. The recommender lives in this ARN's
    /// account and region. It cannot change in place: a new dataset group replaces the recommender (see
    /// `allowReplacement`).
    #[schemars(
        length(max = 256),
        regex(
            pattern = r"^arn:[a-z0-9-]+:personalize:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:dataset-group/[a-zA-Z0-9][a-zA-Z0-9\-_]*$"
        )
    )]
    pub dataset_group_arn: String,

    /// The domain use case: `arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you`,
    /// `.../aws-vod-top-picks` and so on, of the dataset group's domain. It cannot change in place (see
    /// `allowReplacement`).
    #[schemars(
        length(max = 256),
        regex(pattern = r"^arn:[a-z0-9-]+:personalize:::recipe/[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
    )]
    pub recipe_arn: String,

    /// Optional. The recommender's ARN; when given it must equal the one derived from `datasetGroupArn`
    /// and `name` (`arn:aws:personalize:<region>:<account>:recommender/<name>`).
    #[schemars(with = "String", default, skip_serializing_if = "Option::is_none", length(max = 256))]
    pub recommender_arn: Option<String>,

    /// Optional. How the recommender serves and trains; each key that is left out keeps its live value.
    #[schemars(with = "RecommenderConfigSpec", default, skip_serializing_if = "Option::is_none")]
    pub recommender_config: Option<RecommenderConfigSpec>,

    /// Optional. The recommender's tags, managed whole: tags not listed here are removed. At most 50; keys
    /// starting with `aws:` are reserved. Values are strings.
    #[schemars(schema_with = "tags_schema", default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,

    /// Optional. `ACTIVE` (running) or `INACTIVE` (stopped: not billed for its minimum requests per
    /// second, and not serving). Left out, apply neither starts nor stops it.
    #[schemars(with = "RecommenderState", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RecommenderState>,

    /// Optional, default false. Whether apply may delete and recreate the recommender when
    /// `datasetGroupArn` or `recipeArn` changes. Deleting a recommender loses its trained model: the new
    /// one trains from scratch, and serves nothing until it is ACTIVE. Not sent to AWS.
    #[schemars(with = "bool", default, skip_serializing_if = "Option::is_none")]
    pub allow_replacement: Option<bool>,
}

/// A recommender's configuration (RecommenderConfig in the API).
#[derive(Debug, Clone, PartialEq, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommenderConfigSpec {
    /// Exploration of new and less relevant items (use cases that support it, such as Recommended for you
    /// and Top picks), managed whole: a key left out here is removed and falls back to its default.
    #[schemars(with = "ItemExplorationSpec", default, skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<ItemExplorationSpec>,

    /// The requested minimum recommendation requests per second, at least 1. A higher value raises the
    /// billing floor.
    #[schemars(with = "i32", default, skip_serializing_if = "Option::is_none", range(min = 1))]
    pub min_recommendation_requests_per_second: Option<i32>,

    /// Which dataset columns training uses. Changing them retrains the recommender's model.
    #[schemars(with = "TrainingDataSpec", default, skip_serializing_if = "Option::is_none")]
    pub training_data_config: Option<TrainingDataSpec>,

    /// Whether recommendations include item metadata from the Items dataset. Adds cost.
    #[schemars(with = "bool", default, skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,
}

/// Dataset columns to leave out of or keep in training, per dataset type; each map given is managed whole.
#[derive(Debug, Clone, PartialEq, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingDataSpec {
    /// Columns training leaves out, per dataset type (`Interactions`, `Items`, `Users`): for example a
    /// column used only to filter recommendations.
    #[schemars(schema_with = "dataset_columns_schema", default, skip_serializing_if = "Option::is_none")]
    pub excluded_dataset_columns: Option<BTreeMap<String, Vec<String>>>,

    /// The only columns training uses, per dataset type (`Interactions`, `Items`, `Users`).
    #[schemars(schema_with = "dataset_columns_schema", default, skip_serializing_if = "Option::is_none")]
    pub included_dataset_columns: Option<BTreeMap<String, Vec<String>>>,
}

fn dataset_columns_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": { "enum": DATASET_TYPES },
        "additionalProperties": {
            "type": "array",
            "maxItems": MAX_COLUMNS_PER_DATASET,
            "items": { "type": "string", "maxLength": MAX_COLUMN_NAME_CHARS, "pattern": COLUMN_NAME_PATTERN }
        }
    })
}

impl RecommenderSpec {
    /// The recommender as a file would write it, as JSON (which is also YAML, so `validate` reads it back).
    pub fn to_document(&self) -> serde_json::Value {
        let mut document = serde_json::Map::new();
        document.insert("kind".into(), "Recommender".into());
        document.insert("name".into(), self.name.clone().into());
        document.insert("datasetGroupArn".into(), self.dataset_group_arn.clone().into());
        document.insert("recipeArn".into(), self.recipe_arn.clone().into());
        if let Some(arn) = &self.recommender_arn {
            document.insert("recommenderArn".into(), arn.clone().into());
        }
        if let Some(config) = &self.recommender_config {
            let mut section = serde_json::Map::new();
            if let Some(exploration) = &config.item_exploration_config {
                section.insert("itemExplorationConfig".into(), exploration_document(exploration));
            }
            if let Some(rps) = config.min_recommendation_requests_per_second {
                section.insert("minRecommendationRequestsPerSecond".into(), rps.into());
            }
            if let Some(training) = &config.training_data_config {
                let mut columns = serde_json::Map::new();
                if let Some(excluded) = &training.excluded_dataset_columns {
                    columns.insert("excludedDatasetColumns".into(), serde_json::json!(excluded));
                }
                if let Some(included) = &training.included_dataset_columns {
                    columns.insert("includedDatasetColumns".into(), serde_json::json!(included));
                }
                section.insert("trainingDataConfig".into(), columns.into());
            }
            if let Some(metadata) = config.enable_metadata_with_recommendations {
                section.insert("enableMetadataWithRecommendations".into(), metadata.into());
            }
            document.insert("recommenderConfig".into(), section.into());
        }
        if let Some(tags) = &self.tags {
            document.insert("tags".into(), serde_json::json!(tags));
        }
        if let Some(state) = self.state {
            document.insert("state".into(), state.as_str().into());
        }
        if let Some(allow) = self.allow_replacement {
            document.insert("allowReplacement".into(), allow.into());
        }
        document.into()
    }
}
