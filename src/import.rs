//! Adopting existing campaigns and recommenders: a live one written as a file that pins what serves now, in
//! the exact format `validate` accepts (and checked by it before it is handed out).

use std::collections::BTreeMap;
use std::path::Path;

use crate::arn::SolutionVersionArn;
use crate::live::{LiveCampaign, LiveRecommender, Progress, ResourceStatus};
use crate::load::check_source;
use crate::spec::{DATASET_TYPES, ITEM_EXPLORATION_FIELDS, Kind, RANKING_INFLUENCE_FIELDS};

/// What import makes of one live campaign.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// The file's text, and what the reader should know about it.
    File { text: String, warnings: Vec<String> },
    /// Nothing serves that a file could pin.
    Skipped { reason: String },
}

/// A live key the file format cannot hold. The file manages the whole section, so applying it sends the
/// section without the key: the reader must know before adopting the file.
fn unknown_key_warning(kind: Kind, section: &str, key: &str) -> String {
    let (config, noun) = match kind {
        Kind::Campaign => ("campaignConfig", "campaign"),
        Kind::Recommender => ("recommenderConfig", "recommender"),
    };
    format!(
        "left out {config}.{section}.{key}, which pz-apply does not know: the next apply of this file will \
         remove it from the {noun} (delete the {section} section from the file to keep it)"
    )
}

/// Why a resource cannot be imported at all: nothing serves that a file could pin.
fn lifecycle_skip(progress: Progress<'_>, failure_reason: Option<&str>) -> Option<Imported> {
    let skip = |reason: String| Some(Imported::Skipped { reason });
    match progress.status {
        status if status.is_deleting() => skip(format!("it is being deleted ({status})")),
        ResourceStatus::CreateFailed => skip(format!(
            "its creation failed ({}); nothing serves",
            failure_reason.unwrap_or("no reason given")
        )),
        status @ (ResourceStatus::CreatePending | ResourceStatus::CreateInProgress) => {
            skip(format!("it is being created ({status}); nothing serves yet: import it once it is ACTIVE"))
        }
        _ => None,
    }
}

/// What a reader should know about the resource's status and latest update.
fn progress_warnings(progress: Progress<'_>, update_failure: Option<&str>) -> Vec<String> {
    let mut warnings = Vec::new();
    if let ResourceStatus::Other(status) = progress.status {
        warnings.push(format!("its status is {status}; the file holds what it reports serving now"));
    }
    match progress.update {
        Some(status) if !status.is_finished() => warnings.push(format!(
            "an update is in flight ({status}): the file holds what serves now, not what that update asks for"
        )),
        Some(ResourceStatus::CreateFailed) => warnings.push(format!(
            "its latest update failed ({}): the file holds what serves now",
            update_failure.unwrap_or("no reason given")
        )),
        _ => {}
    }
    warnings
}

/// The file's first lines: the schema modeline and where it came from.
fn header(schema: &str, arn: &str) -> String {
    format!("# yaml-language-server: $schema={schema}\n# Imported from {arn} by pz-apply import.\n")
}

/// The `tags:` section: every tag but AWS's own `aws:` ones.
fn tags_section(tags: &BTreeMap<String, String>) -> String {
    let tags: Vec<(String, String)> = tags
        .iter()
        .filter(|(key, _)| !key.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:")))
        .map(|(key, value)| (scalar(key), scalar(value)))
        .collect();
    if tags.is_empty() {
        return "tags: {}\n".to_string();
    }
    let mut text = "tags:\n".to_string();
    for (key, value) in tags {
        text.push_str(&format!("  {key}: {value}\n"));
    }
    text
}

/// What import hands out must be what validate accepts, and must name this very resource.
fn checked(text: String, warnings: Vec<String>, arn: &str, kind: Kind) -> Imported {
    let skip = |reason: String| Imported::Skipped { reason };
    let (resources, diagnostics) = check_source(Path::new("imported.yaml"), &text);
    match (resources.first(), diagnostics.first()) {
        (Some(resource), None) if resource.arn == arn => Imported::File { text, warnings },
        (_, Some(diagnostic)) => {
            skip(format!("it cannot be written as a valid {} file: {}", kind.noun(), diagnostic.message))
        }
        _ => skip(format!("the file would define another {} than {arn}", kind.noun())),
    }
}

/// The campaign file for `live`, pinning its serving state: the version (the `$LATEST` alias when it
/// follows the newest version), TPS, the whole config as AWS reports it, and the tags without `aws:` keys.
/// `schema` is the modeline's path to the schema, relative to where the file will be.
pub fn campaign_file(live: &LiveCampaign, tags: &BTreeMap<String, String>, schema: &str) -> Imported {
    let skip = |reason: String| Imported::Skipped { reason };
    if let Some(skipped) = lifecycle_skip(live.progress(), live.failure_reason.as_deref()) {
        return skipped;
    }
    let update_failure = live.latest_update.as_ref().and_then(|update| update.failure_reason.as_deref());
    let mut warnings = progress_warnings(live.progress(), update_failure);
    let Ok(serving) = SolutionVersionArn::parse(&live.solution_version_arn) else {
        return skip(format!(
            "its solution version ARN {} is not one pz-apply can pin",
            live.solution_version_arn
        ));
    };
    let sync = live.config.as_ref().and_then(|config| config.sync_with_latest_solution_version) == Some(true);
    let version = if sync { serving.latest_alias() } else { serving.to_string() };

    let mut text = header(schema, &live.arn);
    text.push_str(&format!("name: {}\n", scalar(&live.name)));
    text.push_str(&format!("solutionVersionArn: {}\n", scalar(&version)));
    if let Some(tps) = live.min_provisioned_tps {
        text.push_str(&format!("minProvisionedTPS: {tps}\n"));
    }
    if let Some(config) = &live.config {
        text.push_str("campaignConfig:");
        let mut section = String::new();
        if let Some(sync) = config.sync_with_latest_solution_version {
            section.push_str(&format!("  syncWithLatestSolutionVersion: {sync}\n"));
        }
        if let Some(metadata) = config.enable_metadata_with_recommendations {
            section.push_str(&format!("  enableMetadataWithRecommendations: {metadata}\n"));
        }
        if let Some(exploration) = &config.item_exploration_config {
            section.push_str(&exploration_section(Kind::Campaign, exploration, &mut warnings));
        }
        if let Some(ranking) = &config.ranking_influence {
            section.push_str(&map_section(
                "rankingInfluence",
                ranking.iter().filter_map(|(key, value)| {
                    if RANKING_INFLUENCE_FIELDS.contains(&key.as_str()) {
                        Some((key.clone(), serde_json::json!(value).to_string()))
                    } else {
                        warnings.push(unknown_key_warning(Kind::Campaign, "rankingInfluence", key));
                        None
                    }
                }),
            ));
        }
        text.push_str(&section_lines(&section));
    }
    text.push_str(&tags_section(tags));
    checked(text, warnings, &live.arn, Kind::Campaign)
}

/// The recommender file for `live`, pinning what it has now: its dataset group and recipe, the whole
/// config as AWS reports it, whether it runs (`state`), and the tags without `aws:` keys.
pub fn recommender_file(live: &LiveRecommender, tags: &BTreeMap<String, String>, schema: &str) -> Imported {
    if let Some(skipped) = lifecycle_skip(live.progress(), live.failure_reason.as_deref()) {
        return skipped;
    }
    let update_failure = live.latest_update.as_ref().and_then(|update| update.failure_reason.as_deref());
    let mut warnings = progress_warnings(live.progress(), update_failure);
    let mut text = header(schema, &live.arn);
    text.push_str("kind: Recommender\n");
    text.push_str(&format!("name: {}\n", scalar(&live.name)));
    text.push_str(&format!("datasetGroupArn: {}\n", scalar(&live.dataset_group_arn)));
    text.push_str(&format!("recipeArn: {}\n", scalar(&live.recipe_arn)));
    let running = !matches!(
        live.status,
        ResourceStatus::Inactive | ResourceStatus::StopPending | ResourceStatus::StopInProgress
    );
    text.push_str(&format!("state: {}\n", if running { "ACTIVE" } else { "INACTIVE" }));
    if let Some(config) = &live.config {
        text.push_str("recommenderConfig:");
        let mut section = String::new();
        if let Some(exploration) = &config.item_exploration_config {
            section.push_str(&exploration_section(Kind::Recommender, exploration, &mut warnings));
        }
        if let Some(rps) = config.min_recommendation_requests_per_second {
            section.push_str(&format!("  minRecommendationRequestsPerSecond: {rps}\n"));
        }
        if let Some(training) = &config.training_data_config {
            let mut columns = String::new();
            for (name, lists) in [
                ("excludedDatasetColumns", &training.excluded_dataset_columns),
                ("includedDatasetColumns", &training.included_dataset_columns),
            ] {
                let Some(lists) = lists else { continue };
                let lines: Vec<String> = lists
                    .iter()
                    .filter_map(|(dataset_type, names)| {
                        if !DATASET_TYPES.contains(&dataset_type.as_str()) {
                            warnings.push(unknown_key_warning(
                                Kind::Recommender,
                                &format!("trainingDataConfig.{name}"),
                                dataset_type,
                            ));
                            return None;
                        }
                        let names: Vec<String> = names.iter().map(|name| scalar(name)).collect();
                        Some(format!("      {dataset_type}: [{}]\n", names.join(", ")))
                    })
                    .collect();
                columns.push_str(&if lines.is_empty() {
                    format!("    {name}: {{}}\n")
                } else {
                    format!("    {name}:\n{}", lines.concat())
                });
            }
            section.push_str(&if columns.is_empty() {
                "  trainingDataConfig: {}\n".to_string()
            } else {
                format!("  trainingDataConfig:\n{columns}")
            });
        }
        if let Some(metadata) = config.enable_metadata_with_recommendations {
            section.push_str(&format!("  enableMetadataWithRecommendations: {metadata}\n"));
        }
        text.push_str(&section_lines(&section));
    }
    text.push_str(&tags_section(tags));
    checked(text, warnings, &live.arn, Kind::Recommender)
}

/// `itemExplorationConfig:` as the file format holds it, warning about keys it cannot hold.
fn exploration_section(
    kind: Kind,
    exploration: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> String {
    map_section(
        "itemExplorationConfig",
        exploration.iter().filter_map(|(key, value)| {
            if ITEM_EXPLORATION_FIELDS.contains(&key.as_str()) {
                Some((key.clone(), scalar(value)))
            } else {
                warnings.push(unknown_key_warning(kind, "itemExplorationConfig", key));
                None
            }
        }),
    )
}

/// The lines after a section's `name:`: ` {}` for an empty one.
fn section_lines(section: &str) -> String {
    if section.is_empty() { " {}\n".to_string() } else { format!("\n{section}") }
}

fn map_section(name: &str, entries: impl Iterator<Item = (String, String)>) -> String {
    let lines: Vec<String> = entries.map(|(key, value)| format!("    {key}: {value}\n")).collect();
    if lines.is_empty() { format!("  {name}: {{}}\n") } else { format!("  {name}:\n{}", lines.concat()) }
}

/// A string as a YAML scalar that reads back as the same string: plain when nothing in it could be read
/// otherwise, double-quoted (JSON escaping, which YAML shares) when it could.
pub fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '/')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "_./:$@+=-".contains(c))
        && !text.ends_with(':')
        && text.parse::<f64>().is_err()
        && !["null", "true", "false", "yes", "no", "on", "off", "y", "n"]
            .contains(&text.to_ascii_lowercase().as_str());
    if plain { text.to_string() } else { serde_json::Value::String(text.to_string()).to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{LiveCampaignUpdate, ServingConfig};

    fn live() -> LiveCampaign {
        LiveCampaign {
            name: "home".into(),
            arn: "arn:aws:personalize:us-east-1:111122223333:campaign/home".into(),
            solution_version_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s/v2".into(),
            min_provisioned_tps: Some(3),
            config: Some(ServingConfig {
                item_exploration_config: Some([("explorationWeight".into(), "0.30".into())].into()),
                enable_metadata_with_recommendations: Some(true),
                sync_with_latest_solution_version: Some(true),
                ranking_influence: Some([("FRESHNESS".into(), 0.6)].into()),
            }),
            status: ResourceStatus::Active,
            failure_reason: None,
            latest_update: None,
        }
    }

    #[test]
    fn keys_the_format_cannot_hold_are_warned_about_with_what_apply_will_do() {
        let mut newer = live();
        let config = newer.config.as_mut().unwrap();
        config.item_exploration_config.as_mut().unwrap().insert("explorationDiversity".into(), "0.5".into());
        config.ranking_influence.as_mut().unwrap().insert("NOVELTY".into(), 0.2);
        let Imported::File { text, warnings } = campaign_file(&newer, &BTreeMap::new(), "s") else {
            panic!()
        };
        assert!(!text.contains("explorationDiversity") && !text.contains("NOVELTY"), "{text}");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        for (warning, key) in
            warnings.iter().zip(["itemExplorationConfig.explorationDiversity", "rankingInfluence.NOVELTY"])
        {
            assert!(warning.contains(key), "{warning}");
            assert!(warning.contains("the next apply of this file will remove it"), "{warning}");
        }
    }

    #[test]
    fn pins_the_serving_state_in_the_file_format() {
        let tags = BTreeMap::from([
            ("team".to_string(), "discovery".to_string()),
            ("cost-center".to_string(), "4410".to_string()),
            ("aws:cloudformation:stack-name".to_string(), "x".to_string()),
        ]);
        let Imported::File { text, warnings } =
            campaign_file(&live(), &tags, "../schemas/campaign.schema.json")
        else {
            panic!("not imported");
        };
        assert!(warnings.is_empty());
        assert_eq!(
            text,
            "# yaml-language-server: $schema=../schemas/campaign.schema.json\n\
             # Imported from arn:aws:personalize:us-east-1:111122223333:campaign/home by pz-apply import.\n\
             name: home\n\
             solutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/$LATEST\n\
             minProvisionedTPS: 3\n\
             campaignConfig:\n  \
               syncWithLatestSolutionVersion: true\n  \
               enableMetadataWithRecommendations: true\n  \
               itemExplorationConfig:\n    \
                 explorationWeight: \"0.30\"\n  \
               rankingInfluence:\n    \
                 FRESHNESS: 0.6\n\
             tags:\n  \
               cost-center: \"4410\"\n  \
               team: discovery\n"
        );
    }

    #[test]
    fn skips_what_does_not_serve_and_warns_about_what_is_in_flight() {
        let mut creating = live();
        creating.status = ResourceStatus::CreateInProgress;
        assert!(
            matches!(campaign_file(&creating, &BTreeMap::new(), "s"), Imported::Skipped { reason } if reason.contains("being created"))
        );
        let mut failed = live();
        failed.status = ResourceStatus::CreateFailed;
        failed.failure_reason = Some("quota".into());
        assert!(
            matches!(campaign_file(&failed, &BTreeMap::new(), "s"), Imported::Skipped { reason } if reason.contains("quota"))
        );
        let mut deleting = live();
        deleting.status = ResourceStatus::DeletePending;
        assert!(matches!(campaign_file(&deleting, &BTreeMap::new(), "s"), Imported::Skipped { .. }));
        let mut updating = live();
        updating.latest_update = Some(LiveCampaignUpdate {
            solution_version_arn: None,
            min_provisioned_tps: Some(9),
            config: None,
            status: ResourceStatus::CreateInProgress,
            failure_reason: None,
            created_at: None,
            last_updated_at: None,
        });
        let Imported::File { text, warnings } = campaign_file(&updating, &BTreeMap::new(), "s") else {
            panic!()
        };
        assert!(text.contains("minProvisionedTPS: 3\n"), "the serving value, not the update's");
        assert!(warnings[0].contains("an update is in flight (CREATE IN_PROGRESS)"));
    }

    #[test]
    fn scalars_read_back_as_the_same_string() {
        for (text, expected) in [
            ("home-recs", "home-recs"),
            (
                "arn:aws:personalize:us-east-1:1:solution/s/$LATEST",
                "arn:aws:personalize:us-east-1:1:solution/s/$LATEST",
            ),
            ("4410", "\"4410\""),
            ("0.3", "\"0.3\""),
            ("yes", "\"yes\""),
            ("a b", "\"a b\""),
            ("", "\"\""),
            ("équipe", "\"équipe\""),
            ("key:", "\"key:\""),
        ] {
            assert_eq!(scalar(text), expected, "{text}");
        }
    }
}
