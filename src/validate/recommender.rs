//! The checks of a `kind: Recommender` document: the same checker, field rules and messages as campaigns,
//! for the fields of CreateRecommender and UpdateRecommender.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{Checker, Entry, LoadedResource, join, suggest};
use crate::arn::DatasetGroupArn;
use crate::spec::{
    COLUMN_NAME_PATTERN, DATASET_TYPES, ITEM_EXPLORATION_FIELDS, Kind, MAX_COLUMN_NAME_CHARS,
    MAX_COLUMNS_PER_DATASET, RECOMMENDER_CONFIG_FIELDS, RECOMMENDER_FIELDS, RecommenderConfigSpec,
    RecommenderSpec, RecommenderState, ResourceSpec, TRAINING_DATA_FIELDS, TrainingDataSpec,
};
use crate::yaml::{Node, Value};

const RECOMMENDER_LEVELS: &[(&str, &[&str])] = &[
    ("", RECOMMENDER_FIELDS),
    ("recommenderConfig", RECOMMENDER_CONFIG_FIELDS),
    ("recommenderConfig.itemExplorationConfig", ITEM_EXPLORATION_FIELDS),
    ("recommenderConfig.trainingDataConfig", TRAINING_DATA_FIELDS),
];

/// A domain use case, as the API names recipes: `arn:aws:personalize:::recipe/aws-ecomm-...`.
const RECIPE_PATTERN: &str = r"^arn:[a-z0-9-]+:personalize:::recipe/[a-zA-Z0-9][a-zA-Z0-9\-_]*$";
const RECIPE_EXAMPLE: &str = "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you";

static RECIPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(RECIPE_PATTERN).expect("recipe pattern compiles"));
static COLUMN_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(COLUMN_NAME_PATTERN).expect("column pattern compiles"));

impl Checker<'_> {
    pub(super) fn recommender(&mut self, document: &Node) -> Option<LoadedResource> {
        self.levels = RECOMMENDER_LEVELS;
        let record = self.record(document, "", RECOMMENDER_FIELDS, "a recommender document")?;
        let name = self
            .required(
                &record,
                document,
                "name",
                "add `name: <recommender-name>` (letters, digits, `-` and `_`, 1 to 63 characters)",
            )
            .and_then(|entry| self.name(entry, Kind::Recommender));
        let group_entry = self.required(
            &record,
            document,
            "datasetGroupArn",
            "add `datasetGroupArn: arn:aws:personalize:<region>:<account>:dataset-group/<name>` (a domain dataset group)",
        );
        let group = group_entry.and_then(|entry| self.dataset_group_arn(entry));
        let recipe = self
            .required(
                &record,
                document,
                "recipeArn",
                &format!("add `recipeArn: {RECIPE_EXAMPLE}` (a use case of the dataset group's domain)"),
            )
            .and_then(|entry| self.recipe_arn(entry));
        let recommender_arn =
            record.get("recommenderArn").and_then(|entry| self.string(entry.value, "recommenderArn"));
        let recommender_config =
            record.get("recommenderConfig").and_then(|entry| self.recommender_config(entry.value));
        let tags = record.get("tags").and_then(|entry| self.tags(entry));
        let state = record.get("state").and_then(|entry| self.state(entry.value));
        let allow_replacement =
            record.get("allowReplacement").and_then(|entry| self.boolean(entry.value, "allowReplacement"));

        let (name, group, recipe) = (name?, group?, recipe?);
        let derived_arn = group.recommender_arn(&name);
        if let (Some(given), Some(entry)) = (&recommender_arn, record.get("recommenderArn"))
            && *given != derived_arn
        {
            self.report_with_help(
                entry.value.position,
                "recommenderArn",
                format!(
                    "`recommenderArn` does not match the ARN derived from `datasetGroupArn` and `name`: `{derived_arn}`"
                ),
                "a recommender lives in the account and region of its dataset group and is named by `name`: \
                 correct `recommenderArn`, or remove it",
            );
        }
        Some(LoadedResource {
            spec: ResourceSpec::Recommender(RecommenderSpec {
                name,
                dataset_group_arn: group.to_string(),
                recipe_arn: recipe,
                recommender_arn,
                recommender_config,
                tags,
                state,
                allow_replacement,
            }),
            arn: derived_arn,
            file: self.file.to_path_buf(),
            position: document.position,
            version_position: document.position,
        })
    }

    fn dataset_group_arn(&mut self, entry: &Entry) -> Option<DatasetGroupArn> {
        let text = self.string(entry.value, "datasetGroupArn")?;
        match DatasetGroupArn::parse(&text) {
            Ok(arn) => Some(arn),
            Err(error) => {
                self.report_with_help(
                    entry.value.position,
                    "datasetGroupArn",
                    format!("`datasetGroupArn` {error}"),
                    "write `arn:aws:personalize:<region>:<account>:dataset-group/<name>`",
                );
                None
            }
        }
    }

    fn recipe_arn(&mut self, entry: &Entry) -> Option<String> {
        let text = self.string(entry.value, "recipeArn")?;
        if text.chars().count() > crate::arn::MAX_ARN_LEN || !RECIPE.is_match(&text) {
            self.report_with_help(
                entry.value.position,
                "recipeArn",
                format!("`recipeArn` `{text}` is not a recipe ARN"),
                format!("a recommender takes a domain use case, such as `{RECIPE_EXAMPLE}`"),
            );
            return None;
        }
        Some(text)
    }

    fn state(&mut self, node: &Node) -> Option<RecommenderState> {
        let text = self.string(node, "state")?;
        match text.as_str() {
            "ACTIVE" => return Some(RecommenderState::Active),
            "INACTIVE" => return Some(RecommenderState::Inactive),
            _ => {}
        }
        let help = match suggest(&text, &["ACTIVE", "INACTIVE"]) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => "write `state: ACTIVE` (running) or `state: INACTIVE` (stopped)".to_string(),
        };
        self.report_with_help(
            node.position,
            "state",
            format!("`state` is `{text}`; expected `ACTIVE` or `INACTIVE`"),
            help,
        );
        None
    }

    fn recommender_config(&mut self, node: &Node) -> Option<RecommenderConfigSpec> {
        const PATH: &str = "recommenderConfig";
        let record = self.record(node, PATH, RECOMMENDER_CONFIG_FIELDS, "a mapping")?;
        let before = self.diagnostics.len();
        let mut config = RecommenderConfigSpec::default();
        for entry in &record.entries {
            let path = join(PATH, entry.key);
            match entry.key {
                "itemExplorationConfig" => {
                    config.item_exploration_config = self.item_exploration(entry.value, &path)
                }
                "minRecommendationRequestsPerSecond" => {
                    config.min_recommendation_requests_per_second = self.at_least_one(entry.value, &path)
                }
                "trainingDataConfig" => config.training_data_config = self.training_data(entry.value, &path),
                "enableMetadataWithRecommendations" => {
                    config.enable_metadata_with_recommendations = self.boolean(entry.value, &path)
                }
                _ => unreachable!("record() keeps known keys only"),
            }
        }
        (self.diagnostics.len() == before).then_some(config)
    }

    fn training_data(&mut self, node: &Node, path: &str) -> Option<TrainingDataSpec> {
        let record = self.record(node, path, TRAINING_DATA_FIELDS, "a mapping")?;
        let mut training = TrainingDataSpec::default();
        for entry in &record.entries {
            let field = join(path, entry.key);
            let columns = self.dataset_columns(entry.value, &field);
            if entry.key == "excludedDatasetColumns" {
                training.excluded_dataset_columns = columns;
            } else {
                training.included_dataset_columns = columns;
            }
        }
        Some(training)
    }

    /// Dataset type -> column names.
    fn dataset_columns(&mut self, node: &Node, path: &str) -> Option<BTreeMap<String, Vec<String>>> {
        let record = self.record(node, path, DATASET_TYPES, "a mapping of dataset types to column lists")?;
        let before = self.diagnostics.len();
        let mut columns = BTreeMap::new();
        for entry in &record.entries {
            let field = join(path, entry.key);
            let Value::Seq(items) = &entry.value.value else {
                self.report_with_help(
                    entry.value.position,
                    &field,
                    format!("`{field}` must be a list of column names, found {}", entry.value.value.kind()),
                    format!("write `{}: [COLUMN_A, COLUMN_B]`", entry.key),
                );
                continue;
            };
            if items.len() > MAX_COLUMNS_PER_DATASET {
                self.report_with_help(
                    entry.value.position,
                    &field,
                    format!(
                        "`{field}` names {} columns; at most {MAX_COLUMNS_PER_DATASET} are allowed",
                        items.len()
                    ),
                    "name fewer columns",
                );
            }
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                let Some(name) = self.string(item, &field) else { continue };
                if name.chars().count() > MAX_COLUMN_NAME_CHARS || !COLUMN_NAME.is_match(&name) {
                    self.report_with_help(
                        item.position,
                        &field,
                        format!("column name `{name}` is not a dataset column name"),
                        format!(
                            "column names start with a letter or `_`, then letters, digits and `_`, at most \
                             {MAX_COLUMN_NAME_CHARS} characters"
                        ),
                    );
                }
                names.push(name);
            }
            columns.insert(entry.key.to_string(), names);
        }
        (self.diagnostics.len() == before).then_some(columns)
    }
}
