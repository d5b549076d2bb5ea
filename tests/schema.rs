//! The committed JSON Schema: generated from the Rust types, in step with the validator, and accepting
//! exactly what `validate` accepts, checked with an independent validator (the `jsonschema` crate).
//!
//! `PZ_APPLY_UPDATE_SCHEMA=1 cargo test --test schema` rewrites `schemas/campaign.schema.json`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use pz_apply::load::check_source;
use pz_apply::spec::{
    CAMPAIGN_CONFIG_FIELDS, CAMPAIGN_FIELDS, GUARD_RULE_FIELDS, ITEM_EXPLORATION_FIELDS, KIND_NAMES,
    METRIC_NAMES, RANKING_INFLUENCE_FIELDS, RECOMMENDER_CONFIG_FIELDS, RECOMMENDER_FIELDS,
    TRAINING_DATA_FIELDS, schema_json,
};
use pz_apply::yaml::parse_documents;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed_path() -> PathBuf {
    root().join("schemas/campaign.schema.json")
}

fn schema() -> Value {
    serde_json::from_str(&schema_json()).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema is valid draft 2020-12")
}

/// Every document of a YAML text, as JSON.
fn documents(source: &str) -> Vec<Value> {
    parse_documents(source).expect("valid YAML").iter().map(|node| node.to_json()).collect()
}

#[test]
fn committed_schema_is_up_to_date() {
    let generated = schema_json();
    if std::env::var_os("PZ_APPLY_UPDATE_SCHEMA").is_some() {
        fs::write(committed_path(), &generated).unwrap();
        return;
    }
    let committed = fs::read_to_string(committed_path()).unwrap_or_default();
    if committed != generated {
        let diff: Vec<String> = committed
            .lines()
            .zip(generated.lines())
            .enumerate()
            .filter(|(_, (old, new))| old != new)
            .take(10)
            .map(|(index, (old, new))| format!("line {}:\n  committed: {old}\n  generated: {new}", index + 1))
            .collect();
        panic!(
            "schemas/campaign.schema.json is out of date ({} vs {} lines); run \
             `PZ_APPLY_UPDATE_SCHEMA=1 cargo test --test schema` and commit it.\n{}",
            committed.lines().count(),
            generated.lines().count(),
            diff.join("\n")
        );
    }
}

#[test]
fn the_example_campaigns_match_the_schema() {
    let validator = validator();
    let mut checked = 0;
    for entry in fs::read_dir(root().join("campaigns")).unwrap() {
        let path = entry.unwrap().path();
        let source = fs::read_to_string(&path).unwrap();
        for document in documents(&source) {
            let errors: Vec<String> =
                validator.iter_errors(&document).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 3, "expected at least three example campaigns, found {checked}");
}

/// Every property has a description, so editors show help on hover.
#[test]
fn every_field_has_a_description() {
    fn walk(schema: &Value, path: &str, missing: &mut Vec<String>, seen: &mut usize) {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                *seen += 1;
                let described =
                    property.get("description").and_then(Value::as_str).is_some_and(|d| d.len() > 10);
                if !described {
                    missing.push(format!("{path}.{name}"));
                }
                walk(property, &format!("{path}.{name}"), missing, seen);
            }
        }
        if let Some(definitions) = schema.get("$defs").and_then(Value::as_object) {
            for (name, definition) in definitions {
                walk(definition, &format!("$defs.{name}"), missing, seen);
            }
        }
    }
    let schema = schema();
    let (mut missing, mut seen) = (Vec::new(), 0);
    walk(&schema, "", &mut missing, &mut seen);
    assert!(missing.is_empty(), "fields without a description: {missing:?}");
    // The root's `kind`, the campaign's mappings (9 + 4 + 2 + 2 + 3) and the recommender's (9 + 4 + 2; its
    // exploration settings are the campaign's definition).
    assert_eq!(seen, 35, "every field of every mapping");
}

/// The validator's lists of known keys and the schema's properties are the same.
#[test]
fn schema_and_validator_know_the_same_fields() {
    let schema = schema();
    let keys = |object: &Value| -> BTreeSet<String> {
        object["properties"].as_object().unwrap().keys().cloned().collect()
    };
    let set = |fields: &[&str]| -> BTreeSet<String> { fields.iter().map(|f| f.to_string()).collect() };
    let campaign = &schema["$defs"]["Campaign"];
    assert_eq!(keys(campaign), set(CAMPAIGN_FIELDS));
    assert_eq!(keys(&schema["$defs"]["Recommender"]), set(RECOMMENDER_FIELDS));
    assert_eq!(keys(&schema["$defs"]["RecommenderConfigSpec"]), set(RECOMMENDER_CONFIG_FIELDS));
    assert_eq!(keys(&schema["$defs"]["TrainingDataSpec"]), set(TRAINING_DATA_FIELDS));
    assert_eq!(schema["properties"]["kind"]["enum"], serde_json::json!(KIND_NAMES));
    assert_eq!(keys(&schema["$defs"]["CampaignConfigSpec"]), set(CAMPAIGN_CONFIG_FIELDS));
    assert_eq!(keys(&schema["$defs"]["ItemExplorationSpec"]), set(ITEM_EXPLORATION_FIELDS));
    assert_eq!(keys(&schema["$defs"]["RankingInfluenceSpec"]), set(RANKING_INFLUENCE_FIELDS));
    assert_eq!(keys(&schema["$defs"]["MetricGuard"]), set(GUARD_RULE_FIELDS));
    let metrics: BTreeSet<String> =
        serde_json::from_value(campaign["properties"]["guard"]["propertyNames"]["enum"].clone()).unwrap();
    assert_eq!(metrics, set(METRIC_NAMES));
    assert_eq!(campaign["required"], serde_json::json!(["name", "solutionVersionArn"]));
    assert_eq!(
        schema["$defs"]["Recommender"]["required"],
        serde_json::json!(["kind", "name", "datasetGroupArn", "recipeArn"])
    );
}

const ARN: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v1";
const RECOMMENDER: &str = "kind: Recommender\nname: r\ndatasetGroupArn: arn:aws:personalize:us-east-1:111122223333:dataset-group/shop\nrecipeArn: arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you\n";
const LATEST: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/$LATEST";

/// Documents that `validate` and the schema must both accept, or both reject.
#[test]
fn schema_and_validator_agree() {
    let accepted = [
        format!("name: a\nsolutionVersionArn: {ARN}\n"),
        format!("kind: Campaign\nname: a\nsolutionVersionArn: {ARN}\n"),
        RECOMMENDER.to_string(),
        format!(
            "{RECOMMENDER}state: INACTIVE\nallowReplacement: true\ntags: {{ team: shop }}\nrecommenderConfig:\n  \
             minRecommendationRequestsPerSecond: 2\n  enableMetadataWithRecommendations: true\n  \
             itemExplorationConfig: {{ explorationWeight: \"0.3\" }}\n  trainingDataConfig:\n    \
             excludedDatasetColumns: {{ Items: [PRICE, _internal] }}\n    includedDatasetColumns: {{ Users: [AGE] }}\n"
        ),
        format!("{RECOMMENDER}recommenderArn: arn:aws:personalize:us-east-1:111122223333:recommender/r\n"),
        format!(
            "name: a\nsolutionVersionArn: {LATEST}\ncampaignConfig:\n  syncWithLatestSolutionVersion: true\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\nminProvisionedTPS: 1\ncampaignConfig:\n  itemExplorationConfig:\n    \
             explorationWeight: \"0.30\"\n    explorationItemAgeCutOff: 7\n  rankingInfluence:\n    POPULARITY: 1\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ntags:\n  team: discovery\n  \"équipe\": \"a b:c/d=e+f-g@h\"\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignArn: arn:aws:personalize:us-east-1:111122223333:campaign/a\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\nguard:\n  precision_at_25: {{ min: 0.04, maxDropPercent: 5 }}\n  \
             coverage:\n    maxDrop: 0.02\n"
        ),
    ];
    let rejected = [
        format!("kind: Recommendr\nname: a\nsolutionVersionArn: {ARN}\n"),
        format!("kind: Recommender\nname: a\nsolutionVersionArn: {ARN}\n"),
        format!("{RECOMMENDER}solutionVersionArn: {ARN}\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nstate: ACTIVE\n"),
        RECOMMENDER.replace(
            "recipeArn: arn:aws:personalize:::recipe/",
            "recipeArn: arn:aws:personalize:us-east-1::recipe/",
        ),
        RECOMMENDER.replace("dataset-group/shop", "solution/shop"),
        format!("{RECOMMENDER}state: RUNNING\n"),
        format!("{RECOMMENDER}recommenderConfig:\n  minRecommendationRequestsPerSecond: 0\n"),
        format!("{RECOMMENDER}recommenderConfig:\n  minProvisionedTPS: 2\n"),
        format!(
            "{RECOMMENDER}recommenderConfig:\n  trainingDataConfig:\n    excludedDatasetColumns: {{ Clicks: [A] }}\n"
        ),
        format!(
            "{RECOMMENDER}recommenderConfig:\n  trainingDataConfig:\n    excludedDatasetColumns: {{ Items: [9lives] }}\n"
        ),
        format!(
            "{RECOMMENDER}recommenderConfig:\n  trainingDataConfig:\n    excludedDatasetColumns: {{ Items: PRICE }}\n"
        ),
        format!("{RECOMMENDER}allowReplacement: yes\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nguard:\n  precision_at_20: {{ min: 0.04 }}\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nguard:\n  coverage: {{}}\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nguard:\n  coverage: {{ min: 1.5 }}\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nguard:\n  coverage: {{ maxDropPercent: 120 }}\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nguard:\n  coverage: {{ floor: 0.1 }}\n"),
        format!("solutionVersionArn: {ARN}\n"),
        format!("name: a.b\nsolutionVersionArn: {ARN}\n"),
        "name: a\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:campaign/a\n".to_string(),
        "name: a\nsolutionVersionArn: arn:aws:personalize:us-east-1:1111:solution/s/v1\n".to_string(),
        "name: a\nsolutionVersionArn: arn:aws:personalize:useast1:111122223333:solution/s/v1\n".to_string(),
        format!("name: a\nsolutionVersionArn: {ARN}\nminProvisionedTps: 1\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nminProvisionedTPS: 0\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\nminProvisionedTPS: \"2\"\n"),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignConfig:\n  enableMetadataWithRecommendations: yes\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignConfig:\n  itemExplorationConfig:\n    explorationWeight: 1.5\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignConfig:\n  itemExplorationConfig:\n    explorationWeight: lots\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignConfig:\n  itemExplorationConfig:\n    explorationItemAgeCutOff: 0\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignConfig:\n  rankingInfluence:\n    RELEVANCE: 0.5\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignConfig:\n  rankingInfluence:\n    FRESHNESS: 1.2\n"
        ),
        format!("name: a\nsolutionVersionArn: {ARN}\ntags:\n  aws:team: x\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\ntags:\n  team: 1234\n"),
        format!("name: a\nsolutionVersionArn: {ARN}\ntags:\n  \"team#1\": x\n"),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ntags:\n{}",
            (0..51).map(|i| format!("  k{i}: v\n")).collect::<String>()
        ),
        format!("name: a\nsolutionVersionArn: {LATEST}\n"),
        format!(
            "name: a\nsolutionVersionArn: {LATEST}\ncampaignConfig:\n  syncWithLatestSolutionVersion: false\n"
        ),
        format!(
            "name: a\nsolutionVersionArn: {ARN}\ncampaignConfig:\n  syncWithLatestSolutionVersion: true\n"
        ),
    ];
    let validator = validator();
    for source in &accepted {
        let (campaigns, diagnostics) = check_source(Path::new("t.yaml"), source);
        assert!(
            diagnostics.is_empty() && campaigns.len() == 1,
            "validate rejected:\n{source}{diagnostics:#?}"
        );
        let document = &documents(source)[0];
        assert!(validator.is_valid(document), "schema rejected:\n{source}");
    }
    for source in &rejected {
        let (_, diagnostics) = check_source(Path::new("t.yaml"), source);
        assert!(!diagnostics.is_empty(), "validate accepted:\n{source}");
        let document = &documents(source)[0];
        assert!(!validator.is_valid(document), "schema accepted:\n{source}");
    }
}
