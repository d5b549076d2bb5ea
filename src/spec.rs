//! The desired state: one campaign or recommender as a file declares it. A document's `kind` says which
//! (`Campaign` when left out); [`ResourceSpec`] holds either.
//!
//! `None` means the file does not mention the field: it is unmanaged, and its live value is carried over
//! unchanged. A map that is mentioned (`itemExplorationConfig`, `rankingInfluence`, `tags`) is managed whole.
//!
//! These types also generate `schemas/campaign.schema.json`; their doc comments are the descriptions editors
//! show. The checks themselves live in `validate`, which gives every problem a position; the schema says the
//! same things for editors and other tools, and a test keeps the two in step.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::arn::SolutionVersionArn;

mod recommender;
pub use recommender::{
    COLUMN_NAME_PATTERN, DATASET_TYPES, MAX_COLUMN_NAME_CHARS, MAX_COLUMNS_PER_DATASET,
    RECOMMENDER_CONFIG_FIELDS, RECOMMENDER_FIELDS, RecommenderConfigSpec, RecommenderSpec, RecommenderState,
    TRAINING_DATA_FIELDS, TrainingDataSpec,
};

/// The kinds of resource a file can declare, as `kind:` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Campaign,
    Recommender,
}

pub const KIND_NAMES: &[&str] = &["Campaign", "Recommender"];

impl Kind {
    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "Campaign" => Some(Kind::Campaign),
            "Recommender" => Some(Kind::Recommender),
            _ => None,
        }
    }

    /// As files and JSON output name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Campaign => "Campaign",
            Kind::Recommender => "Recommender",
        }
    }

    /// As sentences name it.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Campaign => "campaign",
            Kind::Recommender => "recommender",
        }
    }
}

/// One resource as its file declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceSpec {
    Campaign(CampaignSpec),
    Recommender(RecommenderSpec),
}

impl ResourceSpec {
    pub fn kind(&self) -> Kind {
        match self {
            ResourceSpec::Campaign(_) => Kind::Campaign,
            ResourceSpec::Recommender(_) => Kind::Recommender,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            ResourceSpec::Campaign(spec) => &spec.name,
            ResourceSpec::Recommender(spec) => &spec.name,
        }
    }

    /// The tags the file manages, `None` when it does not mention them.
    pub fn tags(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            ResourceSpec::Campaign(spec) => spec.tags.as_ref(),
            ResourceSpec::Recommender(spec) => spec.tags.as_ref(),
        }
    }

    /// The resource as a file would write it.
    pub fn to_document(&self) -> serde_json::Value {
        match self {
            ResourceSpec::Campaign(spec) => spec.to_document(),
            ResourceSpec::Recommender(spec) => spec.to_document(),
        }
    }

    pub fn as_campaign(&self) -> Option<&CampaignSpec> {
        match self {
            ResourceSpec::Campaign(spec) => Some(spec),
            ResourceSpec::Recommender(_) => None,
        }
    }
}

/// Field names as files spell them, per mapping. `validate` rejects any other key; a test checks the schema
/// lists the same ones.
pub const CAMPAIGN_FIELDS: &[&str] = &[
    "name",
    "solutionVersionArn",
    "campaignArn",
    "minProvisionedTPS",
    "campaignConfig",
    "tags",
    "guard",
    "kind",
];
pub const CAMPAIGN_CONFIG_FIELDS: &[&str] = &[
    "syncWithLatestSolutionVersion",
    "enableMetadataWithRecommendations",
    "itemExplorationConfig",
    "rankingInfluence",
];
pub const ITEM_EXPLORATION_FIELDS: &[&str] = &["explorationWeight", "explorationItemAgeCutOff"];
pub const RANKING_INFLUENCE_FIELDS: &[&str] = &["POPULARITY", "FRESHNESS"];
/// The offline metrics GetSolutionMetrics reports, by AWS's names; which ones a version has depends on its
/// recipe.
pub const METRIC_NAMES: &[&str] = &[
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
];
pub const GUARD_RULE_FIELDS: &[&str] = &["min", "maxDrop", "maxDropPercent"];

pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// An Amazon Personalize campaign managed by pz-apply. Fields mirror the CreateCampaign and UpdateCampaign
/// API; a field that is left out is not managed, and keeps its live value.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(title = "Amazon Personalize campaign (pz-apply)", rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignSpec {
    /// The campaign's name, unique in its account and region. It cannot change: a new name is a new campaign.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$"))]
    pub name: String,

    /// The solution version the campaign serves:
    /// `arn:aws:personalize:<region>:<account>:solution/<solution>/<version>`. Use the version `$LATEST`
    /// (with `campaignConfig.syncWithLatestSolutionVersion: true`) to follow the newest version
    /// automatically. The campaign lives in this ARN's account and region.
    #[schemars(
        length(max = 256),
        regex(
            pattern = r"^arn:[a-z0-9-]+:personalize:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:solution/[a-zA-Z0-9][a-zA-Z0-9\-_]*/(\$LATEST|[a-zA-Z0-9]+)$"
        )
    )]
    pub solution_version_arn: String,

    /// Optional. The campaign's ARN; when given it must equal the one derived from `solutionVersionArn`
    /// and `name` (`arn:aws:personalize:<region>:<account>:campaign/<name>`).
    #[schemars(with = "String", default, skip_serializing_if = "Option::is_none", length(max = 256))]
    pub campaign_arn: Option<String>,

    /// Optional. The requested minimum provisioned transactions (recommendations) per second, at least 1.
    /// A higher value raises the billing floor.
    #[schemars(
        rename = "minProvisionedTPS",
        with = "i32",
        default,
        skip_serializing_if = "Option::is_none",
        range(min = 1)
    )]
    pub min_provisioned_tps: Option<i32>,

    /// Optional. How the campaign serves; each key that is left out keeps its live value.
    #[schemars(with = "CampaignConfigSpec", default, skip_serializing_if = "Option::is_none")]
    pub campaign_config: Option<CampaignConfigSpec>,

    /// Optional. The campaign's tags, managed whole: tags not listed here are removed. At most 50; keys
    /// starting with `aws:` are reserved. Values are strings: quote numbers (`cost-center: "1234"`).
    #[schemars(schema_with = "tags_schema", default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,

    /// Optional. What a new solution version must meet before apply deploys it, per offline metric (AWS's
    /// names, as GetSolutionMetrics reports them). Checked by plan for every change of the serving version;
    /// a version that fails is `blocked` and never sent. Not sent to AWS.
    #[schemars(schema_with = "guard_schema", default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<BTreeMap<String, MetricGuard>>,
}

/// The bounds one metric of a new version must meet; at least one is given, and all given must hold.
#[derive(Debug, Clone, Copy, PartialEq, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricGuard {
    /// The lowest value the new version may have, from 0.0 to 1.0.
    #[schemars(with = "f64", default, skip_serializing_if = "Option::is_none", range(min = 0.0, max = 1.0))]
    pub min: Option<f64>,

    /// The largest drop allowed against the version serving now, in the metric's own units (0.0 to 1.0).
    #[schemars(with = "f64", default, skip_serializing_if = "Option::is_none", range(min = 0.0, max = 1.0))]
    pub max_drop: Option<f64>,

    /// The largest drop allowed against the version serving now, in percent of its value (0 to 100).
    #[schemars(
        with = "f64",
        default,
        skip_serializing_if = "Option::is_none",
        range(min = 0.0, max = 100.0)
    )]
    pub max_drop_percent: Option<f64>,
}

/// The serving configuration of a campaign (CampaignConfig in the API).
#[derive(Debug, Clone, PartialEq, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignConfigSpec {
    /// Whether the campaign follows the newest solution version automatically. `true` requires a
    /// `solutionVersionArn` ending in `/$LATEST`, and `$LATEST` requires `true`.
    #[schemars(with = "bool", default, skip_serializing_if = "Option::is_none")]
    pub sync_with_latest_solution_version: Option<bool>,

    /// Whether recommendations include item metadata from the Items dataset. Adds cost.
    #[schemars(with = "bool", default, skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,

    /// Exploration of new and less relevant items (User-Personalization recipes only), managed whole:
    /// a key left out here is removed and falls back to its default.
    #[schemars(with = "ItemExplorationSpec", default, skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<ItemExplorationSpec>,

    /// How much popularity and freshness influence the ranking, managed whole.
    #[schemars(with = "RankingInfluenceSpec", default, skip_serializing_if = "Option::is_none")]
    pub ranking_influence: Option<RankingInfluenceSpec>,
}

/// Item exploration settings. The API stores them as strings; numbers and numeric strings are both accepted.
#[derive(Debug, Clone, PartialEq, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemExplorationSpec {
    /// How much to explore, from 0.0 (none) to 1.0 (most). AWS's default is 0.3.
    #[schemars(schema_with = "exploration_weight_schema", default, skip_serializing_if = "Option::is_none")]
    pub exploration_weight: Option<ExplorationValue>,

    /// The maximum age in days, since the latest interaction, of items to explore; greater than 0.
    /// AWS's default is 30.
    #[schemars(schema_with = "exploration_age_schema", default, skip_serializing_if = "Option::is_none")]
    pub exploration_item_age_cut_off: Option<ExplorationValue>,
}

/// Ranking influence weights, each from 0.0 (none) to 1.0 (most).
#[derive(Debug, Clone, PartialEq, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RankingInfluenceSpec {
    /// How much item popularity raises an item's rank, from 0.0 to 1.0.
    #[schemars(
        rename = "POPULARITY",
        with = "f64",
        default,
        skip_serializing_if = "Option::is_none",
        range(min = 0.0, max = 1.0)
    )]
    pub popularity: Option<f64>,

    /// How much item freshness raises an item's rank, from 0.0 to 1.0.
    #[schemars(
        rename = "FRESHNESS",
        with = "f64",
        default,
        skip_serializing_if = "Option::is_none",
        range(min = 0.0, max = 1.0)
    )]
    pub freshness: Option<f64>,
}

/// An exploration setting: the number it stands for, and the text the file gave (`0.30`, `"30"`), which is
/// what the API will be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplorationValue {
    pub number: f64,
    pub text: String,
}

impl CampaignSpec {
    /// The campaign as a file would write it, as JSON (which is also YAML, so `validate` reads it back).
    pub fn to_document(&self) -> serde_json::Value {
        let mut document = serde_json::Map::new();
        document.insert("name".into(), self.name.clone().into());
        document.insert("solutionVersionArn".into(), self.solution_version_arn.clone().into());
        if let Some(arn) = &self.campaign_arn {
            document.insert("campaignArn".into(), arn.clone().into());
        }
        if let Some(tps) = self.min_provisioned_tps {
            document.insert("minProvisionedTPS".into(), tps.into());
        }
        if let Some(config) = &self.campaign_config {
            let mut section = serde_json::Map::new();
            if let Some(sync) = config.sync_with_latest_solution_version {
                section.insert("syncWithLatestSolutionVersion".into(), sync.into());
            }
            if let Some(metadata) = config.enable_metadata_with_recommendations {
                section.insert("enableMetadataWithRecommendations".into(), metadata.into());
            }
            if let Some(exploration) = &config.item_exploration_config {
                section.insert("itemExplorationConfig".into(), exploration_document(exploration));
            }
            if let Some(ranking) = &config.ranking_influence {
                let mut map = serde_json::Map::new();
                for (key, value) in [("POPULARITY", ranking.popularity), ("FRESHNESS", ranking.freshness)] {
                    if let Some(value) = value {
                        map.insert(key.into(), value.into());
                    }
                }
                section.insert("rankingInfluence".into(), map.into());
            }
            document.insert("campaignConfig".into(), section.into());
        }
        if let Some(tags) = &self.tags {
            document.insert("tags".into(), serde_json::json!(tags));
        }
        if let Some(guard) = &self.guard {
            let rules = guard.iter().map(|(metric, rule)| {
                let mut map = serde_json::Map::new();
                for (key, value) in
                    [("min", rule.min), ("maxDrop", rule.max_drop), ("maxDropPercent", rule.max_drop_percent)]
                {
                    if let Some(value) = value {
                        map.insert(key.into(), value.into());
                    }
                }
                (metric.clone(), serde_json::Value::Object(map))
            });
            document.insert("guard".into(), serde_json::Value::Object(rules.collect()));
        }
        document.into()
    }

    /// The parsed `solutionVersionArn`. Only validated specs exist, so this does not fail for them.
    pub fn solution_version(&self) -> Option<SolutionVersionArn> {
        SolutionVersionArn::parse(&self.solution_version_arn).ok()
    }
}

/// Exploration settings as a file writes them: the text each value was given as.
pub(crate) fn exploration_document(exploration: &ItemExplorationSpec) -> serde_json::Value {
    exploration
        .entries()
        .into_iter()
        .map(|(key, value)| (key.to_string(), serde_json::Value::from(value.text.clone())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

impl ItemExplorationSpec {
    /// The settings given, as the API stores them: the text of each value by key.
    pub fn texts(&self) -> BTreeMap<String, String> {
        self.entries().into_iter().map(|(key, value)| (key.to_string(), value.text.clone())).collect()
    }

    /// The settings given, by the API's key names.
    pub fn entries(&self) -> Vec<(&'static str, &ExplorationValue)> {
        [
            ("explorationWeight", &self.exploration_weight),
            ("explorationItemAgeCutOff", &self.exploration_item_age_cut_off),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_ref().map(|value| (key, value)))
        .collect()
    }
}

/// A finite decimal number written as a string: what `f64::from_str` accepts, without `inf` and `NaN`.
pub const NUMERIC_STRING_PATTERN: &str = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$";

fn exploration_schema(description_of_range: &str, number: Schema) -> Schema {
    json_schema!({
        "anyOf": [
            number,
            {
                "type": "string",
                "pattern": NUMERIC_STRING_PATTERN,
                "description": format!("A number written as a string, {description_of_range}.")
            }
        ]
    })
}

fn exploration_weight_schema(_: &mut SchemaGenerator) -> Schema {
    exploration_schema("from 0.0 to 1.0", json_schema!({"type": "number", "minimum": 0.0, "maximum": 1.0}))
}

fn exploration_age_schema(_: &mut SchemaGenerator) -> Schema {
    exploration_schema("greater than 0", json_schema!({"type": "number", "exclusiveMinimum": 0.0}))
}

/// Tag keys and values: letters, digits, spaces and `_ . : / = + - @`.
pub const TAG_CHARACTERS_PATTERN: &str = r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$";

pub(crate) fn tags_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_TAGS,
        "propertyNames": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_TAG_KEY_CHARS,
            "allOf": [
                { "pattern": TAG_CHARACTERS_PATTERN },
                { "not": { "pattern": "^[aA][wW][sS]:" } }
            ]
        },
        "additionalProperties": {
            "type": "string",
            "maxLength": MAX_TAG_VALUE_CHARS,
            "pattern": TAG_CHARACTERS_PATTERN
        }
    })
}

fn guard_schema(generator: &mut SchemaGenerator) -> Schema {
    let rule = generator.subschema_for::<MetricGuard>();
    json_schema!({
        "type": "object",
        "propertyNames": { "enum": METRIC_NAMES },
        "additionalProperties": { "allOf": [rule, { "minProperties": 1 }] }
    })
}

/// The JSON Schema (draft 2020-12) for campaign and recommender files, as committed in
/// `schemas/campaign.schema.json`: one schema for both kinds, chosen by `kind`, so editors help in either.
pub fn resource_schema() -> Schema {
    let settings = schemars::generate::SchemaSettings::draft2020_12();
    let mut campaign = settings.clone().into_generator().into_root_schema_for::<CampaignSpec>();
    let mut recommender = settings.into_generator().into_root_schema_for::<RecommenderSpec>();
    // `$LATEST` if and only if `syncWithLatestSolutionVersion: true`: a rule across fields that the types
    // cannot say.
    let latest = json_schema!({
        "properties": { "solutionVersionArn": { "pattern": "/\\$LATEST$" } },
        "required": ["solutionVersionArn"]
    });
    let sync_on = json_schema!({
        "properties": {
            "campaignConfig": {
                "properties": { "syncWithLatestSolutionVersion": { "const": true } },
                "required": ["syncWithLatestSolutionVersion"]
            }
        },
        "required": ["campaignConfig"]
    });
    campaign.insert(
        "allOf".to_string(),
        serde_json::json!([
            {
                "description": "A solutionVersionArn ending in /$LATEST requires campaignConfig.syncWithLatestSolutionVersion: true.",
                "if": latest,
                "then": sync_on
            },
            {
                "description": "campaignConfig.syncWithLatestSolutionVersion: true requires a solutionVersionArn ending in /$LATEST.",
                "if": sync_on,
                "then": latest
            }
        ]),
    );
    let kind =
        |value: &str, description: &str| serde_json::json!({ "const": value, "description": description });
    if let Some(properties) = campaign.get_mut("properties").and_then(serde_json::Value::as_object_mut) {
        properties.insert(
            "kind".into(),
            kind(
                "Campaign",
                "Optional. What the document declares: `Campaign` (the default) or `Recommender`.",
            ),
        );
    }
    if let Some(properties) = recommender.get_mut("properties").and_then(serde_json::Value::as_object_mut) {
        properties.insert("kind".into(), kind("Recommender", "What the document declares: a recommender."));
    }
    if let Some(required) = recommender.get_mut("required").and_then(serde_json::Value::as_array_mut) {
        required.insert(0, "kind".into());
    }
    // Both kinds' definitions at the root, where their `$ref`s point.
    let mut definitions = serde_json::Map::new();
    for schema in [&mut campaign, &mut recommender] {
        if let Some(serde_json::Value::Object(defs)) = schema.remove("$defs") {
            definitions.extend(defs);
        }
        schema.remove("$schema");
    }
    definitions.insert("Campaign".into(), campaign.to_value());
    definitions.insert("Recommender".into(), recommender.to_value());
    json_schema!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Amazon Personalize campaign or recommender (pz-apply)",
        "description": "One campaign (the default, or `kind: Campaign`) or one recommender (`kind: Recommender`) managed by pz-apply.",
        "type": "object",
        "properties": {
            "kind": {
                "description": "What the document declares: `Campaign` (the default) or `Recommender`.",
                "enum": KIND_NAMES
            }
        },
        "if": { "properties": { "kind": { "const": "Recommender" } }, "required": ["kind"] },
        "then": { "$ref": "#/$defs/Recommender" },
        "else": { "$ref": "#/$defs/Campaign" },
        "$defs": definitions
    })
}

/// The schema as the committed file holds it: pretty JSON with a final newline.
pub fn schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&resource_schema()).unwrap_or_default();
    text.push('\n');
    text
}
