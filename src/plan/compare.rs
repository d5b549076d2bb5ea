//! Compare: the values the file manages against what live serves, field by field. Every comparison rule
//! (managed or not, AWS's defaults, numbers as numbers, `aws:` tags) lives here and nowhere else.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{FieldChange, TagChanges};
use crate::arn::SolutionVersionArn;
use crate::live::{
    CreateCampaignRequest, LiveCampaign, LiveCampaignUpdate, ServingConfig, SharedSettings,
    UpdateCampaignRequest,
};
use crate::spec::{CampaignSpec, ItemExplorationSpec};
/// Ranking weights closer than this are equal: AWS stores doubles and may round-trip them inexactly.
const RANKING_EPSILON: f64 = 1e-6;

/// AWS's defaults for exploration keys that are absent (`explorationWeight` 0.3, `explorationItemAgeCutOff`
/// 30 days): a key missing on one side equals its default on the other, so an echoed default is not drift.
const EXPLORATION_DEFAULTS: [(&str, f64); 2] =
    [("explorationWeight", 0.3), ("explorationItemAgeCutOff", 30.0)];

/// The values compared for one campaign, on either side, restricted to what the file manages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparable {
    pub(crate) solution_version_arn: String,
    pub(crate) sync: bool,
    pub(crate) min_provisioned_tps: Option<i32>,
    pub(crate) metadata: Option<bool>,
    pub(crate) exploration: Option<BTreeMap<String, String>>,
    pub(crate) ranking: Option<BTreeMap<String, f64>>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
}

pub(crate) fn desired_comparable(spec: &CampaignSpec) -> Comparable {
    let config = spec.campaign_config.as_ref();
    Comparable {
        solution_version_arn: spec.solution_version_arn.clone(),
        sync: spec.solution_version().is_some_and(|arn| arn.is_latest()),
        min_provisioned_tps: spec.min_provisioned_tps,
        metadata: config.and_then(|config| config.enable_metadata_with_recommendations),
        exploration: config
            .and_then(|config| config.item_exploration_config.as_ref())
            .map(ItemExplorationSpec::texts),
        ranking: config.and_then(|config| config.ranking_influence.as_ref()).map(|ranking| {
            [("POPULARITY", ranking.popularity), ("FRESHNESS", ranking.freshness)]
                .into_iter()
                .filter_map(|(key, value)| value.map(|value| (key.to_string(), value)))
                .collect()
        }),
        tags: spec.tags.clone(),
    }
}

/// The values live serves (or will serve once the in-flight update lands), for the fields `desired`
/// manages. `aws:` tags are AWS's own and never compared.
pub(crate) fn live_comparable(
    desired: &Comparable,
    version: &str,
    tps: Option<i32>,
    config: Option<&ServingConfig>,
    tags: Option<&BTreeMap<String, String>>,
) -> Comparable {
    Comparable {
        solution_version_arn: version.to_string(),
        sync: config.and_then(|config| config.sync_with_latest_solution_version).unwrap_or(false),
        min_provisioned_tps: desired.min_provisioned_tps.and(tps),
        metadata: managed_metadata(desired.metadata, config),
        exploration: managed_exploration(desired.exploration.as_ref(), config),
        ranking: desired
            .ranking
            .as_ref()
            .map(|_| config.and_then(|config| config.ranking_influence.clone()).unwrap_or_default()),
        tags: desired.tags.as_ref().map(|_| managed_live_tags(tags)),
    }
}

/// Live's metadata flag when the file manages it: absent is off.
pub(crate) fn managed_metadata(desired: Option<bool>, live: Option<&impl SharedSettings>) -> Option<bool> {
    desired.map(|_| live.and_then(SharedSettings::enable_metadata).unwrap_or(false))
}

/// Live's exploration settings when the file manages them: absent is none (each key at AWS's default).
pub(crate) fn managed_exploration(
    desired: Option<&BTreeMap<String, String>>,
    live: Option<&impl SharedSettings>,
) -> Option<BTreeMap<String, String>> {
    desired.map(|_| live.and_then(SharedSettings::item_exploration).cloned().unwrap_or_default())
}

/// Live tags as a file can manage them: `aws:` tags are AWS's own and never compared.
pub(crate) fn managed_live_tags(tags: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|tags| {
        tags.iter()
            .filter(|(key, _)| !key.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:")))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    })
    .unwrap_or_default()
}

/// `tags.<key>` for every tag that differs, when the file manages tags.
pub(crate) fn tag_field_changes(
    wanted: Option<&BTreeMap<String, String>>,
    current: Option<&BTreeMap<String, String>>,
    changes: &mut Vec<FieldChange>,
) {
    let (Some(wanted), Some(current)) = (wanted, current) else { return };
    let keys: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
    for key in keys {
        if wanted.get(key) != current.get(key) {
            changes.push(FieldChange {
                path: format!("tags.{key}"),
                before: current.get(key).map(|value| json!(value)),
                after: wanted.get(key).map(|value| json!(value)),
            });
        }
    }
}

/// `<prefix>.<key>` for every exploration setting that differs, by [`exploration_equal`].
pub(crate) fn exploration_changes(
    prefix: &str,
    wanted: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
    changes: &mut Vec<FieldChange>,
) {
    let keys: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
    for key in keys {
        if !exploration_equal(key, wanted.get(key), current.get(key)) {
            changes.push(FieldChange {
                path: format!("{prefix}.{key}"),
                before: current.get(key).map(|value| json!(value)),
                after: wanted.get(key).map(|value| json!(value)),
            });
        }
    }
}

/// TagResource and UntagResource's work: set what differs, remove what the file no longer lists.
pub(crate) fn tag_calls(
    wanted: Option<&BTreeMap<String, String>>,
    current: Option<&BTreeMap<String, String>>,
) -> TagChanges {
    let (Some(wanted), Some(current)) = (wanted, current) else { return TagChanges::default() };
    TagChanges {
        set: wanted
            .iter()
            .filter(|(key, value)| current.get(*key) != Some(*value))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        remove: current.keys().filter(|key| !wanted.contains_key(*key)).cloned().collect(),
    }
}

/// Same solution, when `live` is the alias or any version of the solution `desired` follows.
pub(crate) fn follows_same_solution(desired: &str, live: &str) -> bool {
    match (SolutionVersionArn::parse(desired), SolutionVersionArn::parse(live)) {
        (Ok(desired), Ok(live)) => desired.solution_arn() == live.solution_arn(),
        _ => false,
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Exploration values compare as numbers (`"0.30"` == `0.3`); an absent key equals its AWS default.
pub(crate) fn exploration_equal(key: &str, desired: Option<&String>, live: Option<&String>) -> bool {
    let default = EXPLORATION_DEFAULTS.iter().find(|(name, _)| *name == key).map(|(_, value)| *value);
    let value = |side: Option<&String>| side.and_then(|text| number(text)).or(default);
    match (desired, live) {
        (Some(a), Some(b)) if number(a).is_none() || number(b).is_none() => a == b,
        _ => value(desired) == value(live),
    }
}

pub(crate) fn changes_between(desired: &Comparable, live: &Comparable) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let change = |changes: &mut Vec<FieldChange>, path: &str, before: Option<Value>, after: Option<Value>| {
        changes.push(FieldChange { path: path.to_string(), before, after });
    };
    let in_sync = if desired.sync {
        live.sync
            && (live.solution_version_arn == desired.solution_version_arn
                || follows_same_solution(&desired.solution_version_arn, &live.solution_version_arn))
    } else {
        live.solution_version_arn == desired.solution_version_arn
    };
    if !in_sync && live.solution_version_arn != desired.solution_version_arn {
        change(
            &mut changes,
            "solutionVersionArn",
            Some(json!(live.solution_version_arn)),
            Some(json!(desired.solution_version_arn)),
        );
    }
    if live.sync != desired.sync {
        change(
            &mut changes,
            "campaignConfig.syncWithLatestSolutionVersion",
            Some(json!(live.sync)),
            Some(json!(desired.sync)),
        );
    }
    if let Some(tps) = desired.min_provisioned_tps
        && live.min_provisioned_tps != Some(tps)
    {
        change(
            &mut changes,
            "minProvisionedTPS",
            live.min_provisioned_tps.map(|tps| json!(tps)),
            Some(json!(tps)),
        );
    }
    if let (Some(wanted), Some(current)) = (desired.metadata, live.metadata)
        && wanted != current
    {
        change(
            &mut changes,
            "campaignConfig.enableMetadataWithRecommendations",
            Some(json!(current)),
            Some(json!(wanted)),
        );
    }
    if let (Some(wanted), Some(current)) = (&desired.exploration, &live.exploration) {
        exploration_changes("campaignConfig.itemExplorationConfig", wanted, current, &mut changes);
    }
    if let (Some(wanted), Some(current)) = (&desired.ranking, &live.ranking) {
        let keys: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
        for key in keys {
            // An absent weight is no influence.
            let (a, b) = (wanted.get(key).copied().unwrap_or(0.0), current.get(key).copied().unwrap_or(0.0));
            if (a - b).abs() > RANKING_EPSILON {
                change(
                    &mut changes,
                    &format!("campaignConfig.rankingInfluence.{key}"),
                    current.get(key).map(|value| json!(value)),
                    wanted.get(key).map(|value| json!(value)),
                );
            }
        }
    }
    tag_field_changes(desired.tags.as_ref(), live.tags.as_ref(), &mut changes);
    changes
}

pub(crate) fn tag_changes(desired: &Comparable, live: &Comparable) -> TagChanges {
    tag_calls(desired.tags.as_ref(), live.tags.as_ref())
}

/// The document shown in diffs: the managed fields, nested as in the file.
pub(crate) fn document(values: &Comparable, spec: &CampaignSpec) -> Value {
    let mut document = serde_json::Map::new();
    document.insert("solutionVersionArn".into(), json!(values.solution_version_arn));
    if let Some(tps) = values.min_provisioned_tps {
        document.insert("minProvisionedTPS".into(), json!(tps));
    } else if spec.min_provisioned_tps.is_some() {
        document.insert("minProvisionedTPS".into(), Value::Null);
    }
    let mut config = serde_json::Map::new();
    config.insert("syncWithLatestSolutionVersion".into(), json!(values.sync));
    if let Some(metadata) = values.metadata {
        config.insert("enableMetadataWithRecommendations".into(), json!(metadata));
    }
    if let Some(exploration) = &values.exploration {
        config.insert("itemExplorationConfig".into(), json!(exploration));
    }
    if let Some(ranking) = &values.ranking {
        config.insert("rankingInfluence".into(), json!(ranking));
    }
    document.insert("campaignConfig".into(), Value::Object(config));
    if let Some(tags) = &values.tags {
        document.insert("tags".into(), json!(tags));
    }
    Value::Object(document)
}

/// The values an UpdateCampaign asks for, every field managed.
fn request_comparable(request: &UpdateCampaignRequest) -> Comparable {
    let config = &request.config;
    Comparable {
        solution_version_arn: request.solution_version_arn.clone(),
        sync: config.sync_with_latest_solution_version.unwrap_or(false),
        min_provisioned_tps: Some(request.min_provisioned_tps),
        metadata: Some(config.enable_metadata_with_recommendations.unwrap_or(false)),
        exploration: Some(config.item_exploration_config.clone().unwrap_or_default()),
        ranking: Some(config.ranking_influence.clone().unwrap_or_default()),
        tags: None,
    }
}

/// Whether `live` is what `request` asked to create, by the same rules as a plan: how apply recognises its
/// own campaign when CreateCampaign's answer was lost and the retry met ResourceAlreadyExistsException.
pub(crate) fn campaign_created_as(live: &LiveCampaign, request: &CreateCampaignRequest) -> bool {
    let config = request.config.clone().unwrap_or_default();
    let wanted = request_comparable(&UpdateCampaignRequest {
        campaign_arn: String::new(),
        solution_version_arn: request.solution_version_arn.clone(),
        min_provisioned_tps: request.min_provisioned_tps.unwrap_or(1),
        config,
    });
    let created = live_comparable(
        &wanted,
        &live.solution_version_arn,
        live.min_provisioned_tps,
        live.config.as_ref(),
        None,
    );
    live.name == request.name && changes_between(&wanted, &created).is_empty()
}

/// Whether `update` (a latestCampaignUpdate) asks for what `request` asked, by the same rules as a plan:
/// how apply recognises its own update when its answer was lost, and AWS's echo of the values it was sent.
pub(crate) fn update_asks_for(update: &LiveCampaignUpdate, request: &UpdateCampaignRequest) -> bool {
    let wanted = request_comparable(request);
    let version = update.solution_version_arn.as_deref().unwrap_or_default();
    let asked = live_comparable(&wanted, version, update.min_provisioned_tps, update.config.as_ref(), None);
    changes_between(&wanted, &asked).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ResourceStatus;

    const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v1";
    const V2: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v2";
    const LATEST: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/$LATEST";

    fn comparable(version: &str) -> Comparable {
        Comparable {
            solution_version_arn: version.into(),
            sync: version.ends_with("$LATEST"),
            min_provisioned_tps: None,
            metadata: None,
            exploration: None,
            ranking: None,
            tags: None,
        }
    }

    fn paths(desired: &Comparable, live: &Comparable) -> Vec<String> {
        changes_between(desired, live).into_iter().map(|change| change.path).collect()
    }

    #[test]
    fn comparison_rules_table() {
        type Adjust = fn(&mut Comparable, &mut Comparable);
        let cases: &[(&str, Adjust, &[&str])] = &[
            ("same version", |_, _| {}, &[]),
            ("another version", |_, live| live.solution_version_arn = V2.into(), &["solutionVersionArn"]),
            ("unmanaged TPS is never compared", |_, live| live.min_provisioned_tps = Some(9), &[]),
            (
                "managed TPS",
                |desired, live| {
                    desired.min_provisioned_tps = Some(2);
                    live.min_provisioned_tps = Some(1);
                },
                &["minProvisionedTPS"],
            ),
            (
                "exploration compares as numbers",
                |desired, live| {
                    desired.exploration = Some(BTreeMap::from([("explorationWeight".into(), "0.30".into())]));
                    live.exploration = Some(BTreeMap::from([("explorationWeight".into(), "0.3".into())]));
                },
                &[],
            ),
            (
                "an absent exploration key is AWS's default",
                |desired, live| {
                    desired.exploration = Some(BTreeMap::new());
                    live.exploration =
                        Some(BTreeMap::from([("explorationItemAgeCutOff".into(), "30.0".into())]));
                },
                &[],
            ),
            (
                "a non-default exploration key left out of the file is a change",
                |desired, live| {
                    desired.exploration = Some(BTreeMap::new());
                    live.exploration = Some(BTreeMap::from([("explorationWeight".into(), "0.5".into())]));
                },
                &["campaignConfig.itemExplorationConfig.explorationWeight"],
            ),
            (
                "ranking weights within epsilon",
                |desired, live| {
                    desired.ranking = Some(BTreeMap::from([("FRESHNESS".into(), 0.3)]));
                    live.ranking = Some(BTreeMap::from([("FRESHNESS".into(), 0.3 + 1e-9)]));
                },
                &[],
            ),
            (
                "an absent ranking weight is 0",
                |desired, live| {
                    desired.ranking = Some(BTreeMap::from([("POPULARITY".into(), 0.0)]));
                    live.ranking = Some(BTreeMap::new());
                },
                &[],
            ),
            (
                "metadata managed",
                |desired, live| {
                    desired.metadata = Some(true);
                    live.metadata = Some(false);
                },
                &["campaignConfig.enableMetadataWithRecommendations"],
            ),
            (
                "a renamed tag",
                |desired, live| {
                    desired.tags = Some(BTreeMap::from([("owner".into(), "a".into())]));
                    live.tags = Some(BTreeMap::from([("team".into(), "a".into())]));
                },
                &["tags.owner", "tags.team"],
            ),
        ];
        for (name, adjust, expected) in cases {
            let (mut desired, mut live) = (comparable(V1), comparable(V1));
            adjust(&mut desired, &mut live);
            assert_eq!(paths(&desired, &live), *expected, "{name}");
        }
    }

    #[test]
    fn latest_is_in_sync_with_any_version_of_its_solution_only_when_live_syncs() {
        let desired = comparable(LATEST);
        let mut live = comparable(V2);
        live.sync = true;
        assert!(paths(&desired, &live).is_empty());
        live.sync = false;
        assert_eq!(
            paths(&desired, &live),
            ["solutionVersionArn", "campaignConfig.syncWithLatestSolutionVersion"]
        );
        let other = comparable("arn:aws:personalize:us-east-1:111122223333:solution/t/v1");
        assert_eq!(paths(&desired, &other)[0], "solutionVersionArn");
    }

    #[test]
    fn aws_tags_are_never_compared_and_removals_come_from_live() {
        let mut desired = comparable(V1);
        desired.tags = Some(BTreeMap::from([("team".into(), "b".into())]));
        let live_tags = BTreeMap::from([
            ("aws:cloudformation:stack-name".into(), "x".into()),
            ("team".into(), "a".into()),
            ("old".into(), "1".into()),
        ]);
        let live = live_comparable(&desired, V1, None, None, Some(&live_tags));
        let changes = tag_changes(&desired, &live);
        assert_eq!(changes.set, BTreeMap::from([("team".into(), "b".into())]));
        assert_eq!(changes.remove, ["old"]);
    }

    #[test]
    fn an_update_is_recognised_by_what_it_asks_for() {
        let request = UpdateCampaignRequest {
            campaign_arn: "arn:aws:personalize:us-east-1:111122223333:campaign/c".into(),
            solution_version_arn: LATEST.into(),
            min_provisioned_tps: 3,
            config: ServingConfig {
                item_exploration_config: Some(BTreeMap::from([("explorationWeight".into(), "0.3".into())])),
                enable_metadata_with_recommendations: Some(false),
                sync_with_latest_solution_version: Some(true),
                ranking_influence: None,
            },
        };
        let mut update = LiveCampaignUpdate {
            // AWS may show the version `$LATEST` resolved to, and leave out what equals its defaults.
            solution_version_arn: Some(V2.into()),
            min_provisioned_tps: Some(3),
            config: Some(ServingConfig {
                sync_with_latest_solution_version: Some(true),
                ..ServingConfig::default()
            }),
            status: ResourceStatus::CreatePending,
            failure_reason: None,
            created_at: Some(1.0),
            last_updated_at: Some(1.0),
        };
        assert!(update_asks_for(&update, &request));
        update.min_provisioned_tps = Some(4);
        assert!(!update_asks_for(&update, &request));
    }
}
