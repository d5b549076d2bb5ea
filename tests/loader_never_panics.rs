//! Property tests: whatever bytes a campaign or recommender file holds, loading it ends in resources or
//! diagnostics, never a panic. Raise the number of cases for a long run: `PROPTEST_CASES=100000 cargo test
//! --release --test loader_never_panics`.

use std::path::Path;

use proptest::prelude::*;
use pz_apply::load::check_source;
use pz_apply::spec;
use pz_apply::yaml::source_lines;

/// Scalars that have tripped YAML loaders: YAML 1.1 booleans, special floats, huge numbers, anchors,
/// unclosed flow collections, odd quoting.
const SCALARS: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "~",
    "null",
    "true",
    "false",
    ".nan",
    ".inf",
    "-.inf",
    "0",
    "-0",
    "1e309",
    "-1",
    "0x1F",
    "0o17",
    "1_000",
    "99999999999999999999",
    "\"0.3\"",
    "'30'",
    "\"\"",
    "0.3",
    "1.5",
    "&a 1",
    "*a",
    "&b [1, 2]",
    "*b",
    "[",
    "{",
    "]",
    "}",
    "[1, [2, [3]]]",
    "{a: {b: {c: d}}}",
    "!!binary aGk=",
    "!!str 1",
    "!custom x",
    "|\n  text",
    ">-\n  folded",
    "\"\\u0000\"",
    "\"\\xff\"",
    "<<: *a",
    "-",
    "? complex",
    "\t",
    "arn:aws:personalize:us-east-1:111122223333:solution/s/$LATEST",
    "arn:aws:personalize:us-east-1:111122223333:dataset-group/shop",
    "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
    "Recommender",
    "Campaign",
    "INACTIVE",
    "[a, b]",
    "arn:aws:personalize:us-east-1:111122223333:solution/s/v1",
    "arn:aws:personalize:us-east-1:111122223333:campaign/c",
    "aws:x",
    "é",
    "💥",
];

/// Keys: every field either kind's files know, and a few that are not fields at all.
fn keys() -> Vec<&'static str> {
    [
        spec::CAMPAIGN_FIELDS,
        spec::CAMPAIGN_CONFIG_FIELDS,
        spec::ITEM_EXPLORATION_FIELDS,
        spec::RANKING_INFLUENCE_FIELDS,
        spec::GUARD_RULE_FIELDS,
        spec::RECOMMENDER_FIELDS,
        spec::RECOMMENDER_CONFIG_FIELDS,
        spec::TRAINING_DATA_FIELDS,
        spec::DATASET_TYPES,
        &["aws:team", "team", "<<", "? k", "1", "\"quoted\"", ""],
    ]
    .concat()
}

fn line() -> impl Strategy<Value = String> {
    (0usize..4, prop::sample::select(keys()), prop::sample::select(SCALARS), any::<bool>()).prop_map(
        |(indent, key, value, nested)| {
            let pad = "  ".repeat(indent);
            if nested { format!("{pad}{key}:") } else { format!("{pad}{key}: {value}") }
        },
    )
}

fn yamlish_document() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![8 => line(), 1 => Just("---".to_string()), 1 => Just("- item".to_string())],
        0..40,
    )
    .prop_map(|lines| lines.join("\n"))
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let (campaigns, diagnostics) = check_source(Path::new("fuzz.yaml"), &text);
        // Every diagnostic points into the file.
        for diagnostic in &diagnostics {
            prop_assert!(diagnostic.position.line as usize <= source_lines(&text).count() + 1);
        }
        prop_assert!(diagnostics.iter().all(|d| d.position.line > 0 && d.position.column > 0));
        prop_assert!(campaigns.is_empty() || !text.trim().is_empty());
    }

    #[test]
    fn yaml_shaped_input_never_panics(source in yamlish_document()) {
        let (campaigns, diagnostics) = check_source(Path::new("fuzz.yaml"), &source);
        for diagnostic in &diagnostics {
            prop_assert!(diagnostic.position.line >= 1, "{diagnostic:?}");
            prop_assert!(!diagnostic.message.is_empty());
        }
        // Whatever is accepted is a well-formed campaign.
        for campaign in &campaigns {
            prop_assert!(pz_apply::arn::is_valid_name(campaign.spec.name()));
            prop_assert!(campaign.spec.as_campaign().is_none_or(|spec| spec.solution_version().is_some()));
        }
    }
}
