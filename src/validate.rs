//! Turns parsed YAML documents into [`ResourceSpec`]s (campaigns here, recommenders in [`recommender`]),
//! reporting every problem on the way.
//!
//! Checks never stop at the first problem: each field is checked on its own, and a document yields a spec
//! only when none of its fields had a problem.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::arn::{SolutionVersionArn, is_valid_name};
use crate::diagnostic::Diagnostic;
use crate::spec::{
    CAMPAIGN_CONFIG_FIELDS, CAMPAIGN_FIELDS, CampaignConfigSpec, CampaignSpec, ExplorationValue,
    GUARD_RULE_FIELDS, ITEM_EXPLORATION_FIELDS, ItemExplorationSpec, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS,
    MAX_TAGS, METRIC_NAMES, MetricGuard, NUMERIC_STRING_PATTERN, RANKING_INFLUENCE_FIELDS,
    RankingInfluenceSpec, TAG_CHARACTERS_PATTERN,
};
use crate::spec::{KIND_NAMES, Kind, ResourceSpec};
use crate::yaml::{Node, Position, Value};

mod recommender;

/// A campaign or recommender read from a file, with where it was defined and the ARN it will have.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedResource {
    pub spec: ResourceSpec,
    pub arn: String,
    pub file: std::path::PathBuf,
    pub position: Position,
    /// Where a campaign's `solutionVersionArn` is written: what a blocked version change points at (the
    /// document's position for a recommender).
    pub version_position: Position,
}

impl LoadedResource {
    pub fn kind(&self) -> Kind {
        self.spec.kind()
    }

    pub fn name(&self) -> &str {
        self.spec.name()
    }
}

static TAG_CHARACTERS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(TAG_CHARACTERS_PATTERN).expect("tag pattern compiles"));
static NUMERIC_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(NUMERIC_STRING_PATTERN).expect("numeric pattern compiles"));

/// Checks one document. Problems go to `diagnostics`; the campaign comes back only if there were none.
pub fn check_document(
    file: &Path,
    document: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LoadedResource> {
    let before = diagnostics.len();
    let mut checker = Checker { file, diagnostics, levels: CAMPAIGN_LEVELS };
    let campaign = match checker.kind(document)? {
        Kind::Campaign => checker.campaign(document),
        Kind::Recommender => checker.recommender(document),
    };
    if diagnostics.len() > before {
        return None;
    }
    campaign
}

/// Reports every resource defined more than once (same derived ARN), naming the first definition.
pub fn check_unique(resources: &[LoadedResource], diagnostics: &mut Vec<Diagnostic>) {
    let mut first_seen: HashMap<&str, &LoadedResource> = HashMap::new();
    for resource in resources {
        let noun = resource.kind().noun();
        match first_seen.get(resource.arn.as_str()) {
            Some(first) => diagnostics.push(
                Diagnostic::new(
                    &resource.file,
                    resource.position,
                    format!("{noun} `{}` is defined twice ({})", resource.name(), resource.arn),
                )
                .field("name")
                .related(&first.file, first.position, "first defined here")
                .help(format!(
                    "each {noun} must be defined in exactly one document: remove or rename one of them"
                )),
            ),
            None => {
                first_seen.insert(&resource.arn, resource);
            }
        }
    }
}

/// A key of a mapping and its value, keys checked to be strings.
struct Entry<'n> {
    key: &'n str,
    key_node: &'n Node,
    value: &'n Node,
}

/// The known fields of a mapping, each at most once.
struct Record<'n> {
    entries: Vec<Entry<'n>>,
}

impl<'n> Record<'n> {
    fn get(&self, key: &str) -> Option<&Entry<'n>> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

struct Checker<'a> {
    file: &'a Path,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// The mappings of the kind being checked and their fields, for "belongs under" help.
    levels: &'static [(&'static str, &'static [&'static str])],
}

const CAMPAIGN_LEVELS: &[(&str, &[&str])] = &[
    ("", CAMPAIGN_FIELDS),
    ("campaignConfig", CAMPAIGN_CONFIG_FIELDS),
    ("campaignConfig.itemExplorationConfig", ITEM_EXPLORATION_FIELDS),
    ("campaignConfig.rankingInfluence", RANKING_INFLUENCE_FIELDS),
];

/// The value of `key` in a mapping node, if there is one.
fn map_value<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::String(text) if text == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// A number written as a string, as the schema's pattern defines it (so not `inf` or `NaN`).
fn parse_numeric_string(text: &str) -> Option<f64> {
    NUMERIC_STRING.is_match(text).then(|| text.parse().ok()).flatten()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

impl Checker<'_> {
    fn report(&mut self, position: Position, field: &str, message: impl Into<String>) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic::new(self.file, position, message).field(field));
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn report_with_help(
        &mut self,
        position: Position,
        field: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.report(position, field, message).help = Some(help.into());
    }

    /// What the document declares: `kind`, `Campaign` when it is left out. `None` (reported) for a kind
    /// that does not exist.
    fn kind(&mut self, document: &Node) -> Option<Kind> {
        const HOW: &str = "write `kind: Campaign` (the default) or `kind: Recommender`";
        let Some(node) = map_value(document, "kind") else { return Some(Kind::Campaign) };
        let Value::String(name) = &node.value else {
            let message = format!("`kind` must be a string, found {}", node.value.kind());
            self.report_with_help(node.position, "kind", message, HOW);
            return None;
        };
        if let Some(kind) = Kind::parse(name) {
            return Some(kind);
        }
        let help = match suggest(name, KIND_NAMES) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => HOW.to_string(),
        };
        self.report_with_help(node.position, "kind", format!("unknown kind `{name}`"), help);
        None
    }

    /// A required field, reported with how to add it when missing.
    fn required<'r, 'n>(
        &mut self,
        record: &'r Record<'n>,
        document: &Node,
        field: &str,
        help: &str,
    ) -> Option<&'r Entry<'n>> {
        let entry = record.get(field);
        if entry.is_none() {
            self.report_with_help(
                document.position,
                field,
                format!("missing required field `{field}`"),
                help,
            );
        }
        entry
    }

    fn campaign(&mut self, document: &Node) -> Option<LoadedResource> {
        let record = self.record(document, "", CAMPAIGN_FIELDS, "a campaign document")?;

        let name = match record.get("name") {
            Some(entry) => self.name(entry, Kind::Campaign),
            None => {
                self.report_with_help(
                    document.position,
                    "name",
                    "missing required field `name`",
                    "add `name: <campaign-name>` (letters, digits, `-` and `_`, 1 to 63 characters)",
                );
                None
            }
        };
        let version_entry = record.get("solutionVersionArn");
        let solution_version = match version_entry {
            Some(entry) => self.solution_version_arn(entry),
            None => {
                self.report_with_help(
                    document.position,
                    "solutionVersionArn",
                    "missing required field `solutionVersionArn`",
                    "add `solutionVersionArn: arn:aws:personalize:<region>:<account>:solution/<solution>/<version>`",
                );
                None
            }
        };
        let campaign_arn =
            record.get("campaignArn").and_then(|entry| self.string(entry.value, "campaignArn"));
        let min_provisioned_tps = record
            .get("minProvisionedTPS")
            .and_then(|entry| self.at_least_one(entry.value, "minProvisionedTPS"));
        let campaign_config =
            record.get("campaignConfig").and_then(|entry| self.campaign_config(entry.value));
        let tags = record.get("tags").and_then(|entry| self.tags(entry));
        let guard = record.get("guard").and_then(|entry| self.guard(entry.value));

        let (name, solution_version, version_entry) = (name?, solution_version?, version_entry?);
        let derived_arn = solution_version.campaign_arn(&name);
        if let (Some(given), Some(entry)) = (&campaign_arn, record.get("campaignArn"))
            && *given != derived_arn
        {
            self.report_with_help(
                entry.value.position,
                "campaignArn",
                format!("`campaignArn` does not match the ARN derived from `solutionVersionArn` and `name`: `{derived_arn}`"),
                "a campaign lives in the account and region of its solution and is named by `name`: \
                 correct `campaignArn`, or remove it",
            );
        }
        // A config with problems was reported already; the `$LATEST` rule needs its sync value to be sound.
        let config_entry = record.get("campaignConfig");
        if config_entry.is_none() || campaign_config.is_some() {
            let sync = campaign_config.as_ref().and_then(|config| config.sync_with_latest_solution_version);
            let sync_node =
                config_entry.and_then(|entry| map_value(entry.value, "syncWithLatestSolutionVersion"));
            self.latest_rule(&solution_version, version_entry, sync, sync_node, config_entry);
        }

        Some(LoadedResource {
            spec: ResourceSpec::Campaign(CampaignSpec {
                name,
                solution_version_arn: solution_version.to_string(),
                campaign_arn,
                min_provisioned_tps,
                campaign_config,
                tags,
                guard,
            }),
            arn: derived_arn,
            file: self.file.to_path_buf(),
            position: document.position,
            version_position: version_entry.value.position,
        })
    }

    /// `$LATEST` if and only if `syncWithLatestSolutionVersion: true`.
    fn latest_rule(
        &mut self,
        version: &SolutionVersionArn,
        version_entry: &Entry,
        sync: Option<bool>,
        sync_value: Option<&Node>,
        config_entry: Option<&Entry>,
    ) {
        let arn_line = version_entry.key_node.position.line;
        match (version.is_latest(), sync, sync_value) {
            (true, Some(false), Some(sync_value)) => self.report_with_help(
                sync_value.position,
                "campaignConfig.syncWithLatestSolutionVersion",
                format!(
                    "`syncWithLatestSolutionVersion: false` contradicts `solutionVersionArn` on line {arn_line}, \
                     which follows `$LATEST`"
                ),
                format!(
                    "to follow the newest version, change this line to `syncWithLatestSolutionVersion: true`; \
                     to pin a version, replace `$LATEST` on line {arn_line} with a version id"
                ),
            ),
            (true, None, _) => {
                let where_to_add = match config_entry {
                    Some(entry) => format!("under `campaignConfig:` on line {}", entry.key_node.position.line),
                    None => "in a `campaignConfig:` section".to_string(),
                };
                self.report_with_help(
                    version_entry.value.position,
                    "solutionVersionArn",
                    "`solutionVersionArn` follows `$LATEST`, which requires \
                     `campaignConfig.syncWithLatestSolutionVersion: true`",
                    format!(
                        "add `syncWithLatestSolutionVersion: true` {where_to_add}, or replace `$LATEST` on line \
                         {arn_line} with a version id"
                    ),
                );
            }
            (false, Some(true), Some(sync_value)) => self.report_with_help(
                sync_value.position,
                "campaignConfig.syncWithLatestSolutionVersion",
                format!(
                    "`syncWithLatestSolutionVersion: true` requires `solutionVersionArn` to end in `/$LATEST`, \
                     but line {arn_line} pins version `{}`",
                    version.version
                ),
                format!(
                    "to follow the newest version, change line {arn_line} to `solutionVersionArn: {}`; to keep \
                     the pinned version, change this line to `syncWithLatestSolutionVersion: false`",
                    version.latest_alias()
                ),
            ),
            _ => {}
        }
    }

    /// Checks that `node` is a mapping with string keys, each once, reporting duplicates.
    fn mapping<'n>(&mut self, node: &'n Node, path: &str, what: &str) -> Option<Vec<Entry<'n>>> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null if !path.is_empty() => {
                self.report_with_help(
                    node.position,
                    path,
                    format!("`{path}` has no value; expected {what}"),
                    format!("give `{path}` its fields, indented below it, or remove the line"),
                );
                return None;
            }
            other => {
                let field = if path.is_empty() { what.to_string() } else { format!("`{path}`") };
                self.report(
                    node.position,
                    path,
                    format!("{field} must be a mapping (`key: value` lines), found {}", other.kind()),
                );
                return None;
            }
        };
        let mut unique: Vec<Entry<'n>> = Vec::with_capacity(entries.len());
        for (key_node, value) in entries {
            let Value::String(key) = &key_node.value else {
                self.report(
                    key_node.position,
                    path,
                    format!("keys must be strings, found {}", key_node.value.kind()),
                );
                continue;
            };
            if let Some(first) = unique.iter().find(|entry| entry.key == key) {
                self.diagnostics.push(
                    Diagnostic::new(self.file, key_node.position, format!("duplicate key `{key}`"))
                        .field(join(path, key))
                        .related(self.file, first.key_node.position, "first defined here")
                        .help("a key may appear once in a mapping: remove one of them"),
                );
                continue;
            }
            unique.push(Entry { key, key_node, value });
        }
        Some(unique)
    }

    /// A mapping whose keys must be among `known`; an unknown key gets a suggestion when one is close.
    fn record<'n>(&mut self, node: &'n Node, path: &str, known: &[&str], what: &str) -> Option<Record<'n>> {
        let entries = self.mapping(node, path, what)?;
        let mut record = Record { entries: Vec::with_capacity(entries.len()) };
        for entry in entries {
            if known.contains(&entry.key) {
                record.entries.push(entry);
                continue;
            }
            let field = join(path, entry.key);
            let message = if path.is_empty() {
                format!("unknown field `{}`", entry.key)
            } else {
                format!("unknown field `{}` in `{path}`", entry.key)
            };
            let help = match suggest(entry.key, known) {
                Some(suggestion) => Some(format!("did you mean `{suggestion}`?")),
                None => misplaced(self.levels, entry.key, path).or_else(|| {
                    Some(format!(
                        "expected one of: {}",
                        known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ))
                }),
            };
            let diagnostic = self.report(entry.key_node.position, &field, message);
            diagnostic.help = help;
        }
        Some(record)
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::String(text) => Some(text.clone()),
            Value::Null => {
                self.report(node.position, path, format!("`{path}` has no value; expected a string"));
                None
            }
            other => {
                self.report(
                    node.position,
                    path,
                    format!("`{path}` must be a string, found {}", other.kind()),
                );
                None
            }
        }
    }

    fn name(&mut self, entry: &Entry, kind: Kind) -> Option<String> {
        let noun = kind.noun();
        let name = self.string(entry.value, "name")?;
        let length = name.chars().count();
        if length == 0 || length > 63 {
            self.report_with_help(
                entry.value.position,
                "name",
                format!("`name` is {length} characters long; a {noun} name has 1 to 63"),
                "shorten the name",
            );
            return None;
        }
        if !is_valid_name(&name) {
            self.report_with_help(
                entry.value.position,
                "name",
                format!("`name` `{name}` has characters a {noun} name cannot have"),
                "use letters, digits, `-` and `_`, starting with a letter or digit",
            );
            return None;
        }
        Some(name)
    }

    fn solution_version_arn(&mut self, entry: &Entry) -> Option<SolutionVersionArn> {
        let text = self.string(entry.value, "solutionVersionArn")?;
        match SolutionVersionArn::parse(&text) {
            Ok(arn) => Some(arn),
            Err(error) => {
                self.report(
                    entry.value.position,
                    "solutionVersionArn",
                    format!("`solutionVersionArn` {error}"),
                );
                None
            }
        }
    }

    /// A whole number of at least 1 (`minProvisionedTPS`, `minRecommendationRequestsPerSecond`).
    fn at_least_one(&mut self, node: &Node, field: &str) -> Option<i32> {
        let name = field.rsplit('.').next().unwrap_or(field);
        let help = format!("write a whole number of at least 1, such as `{name}: 1`");
        let help = help.as_str();
        match &node.value {
            Value::Int(n) if *n >= 1 => match i32::try_from(*n) {
                Ok(n) => Some(n),
                Err(_) => {
                    self.report_with_help(
                        node.position,
                        field,
                        format!("`{field}` is {n}, more than the API accepts ({})", i32::MAX),
                        help,
                    );
                    None
                }
            },
            Value::Int(n) => {
                self.report_with_help(
                    node.position,
                    field,
                    format!("`{field}` is {n}; it must be at least 1"),
                    help,
                );
                None
            }
            Value::String(text) if text.trim().parse::<i64>().is_ok() => {
                self.report_with_help(
                    node.position,
                    field,
                    format!("`{field}` must be an integer, found the string \"{text}\""),
                    format!("remove the quotes: `{name}: {}`", text.trim()),
                );
                None
            }
            other => {
                self.report_with_help(
                    node.position,
                    field,
                    format!("`{field}` must be an integer, found {}", other.kind()),
                    help,
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(value) => Some(*value),
            Value::String(text) => {
                let meant = match text.to_ascii_lowercase().as_str() {
                    "yes" | "y" | "on" => Some(true),
                    "no" | "n" | "off" => Some(false),
                    _ => None,
                };
                match meant {
                    Some(meant) => self.report_with_help(
                        node.position,
                        path,
                        format!("`{path}` must be `true` or `false`; `{text}` is a string, not a boolean, in YAML 1.2"),
                        format!("write `{meant}`"),
                    ),
                    None => self.report_with_help(
                        node.position,
                        path,
                        format!("`{path}` must be `true` or `false`, found the string \"{text}\""),
                        "write `true` or `false`, without quotes",
                    ),
                }
                None
            }
            other => {
                self.report_with_help(
                    node.position,
                    path,
                    format!("`{path}` must be `true` or `false`, found {}", other.kind()),
                    "write `true` or `false`",
                );
                None
            }
        }
    }

    fn campaign_config(&mut self, node: &Node) -> Option<CampaignConfigSpec> {
        const PATH: &str = "campaignConfig";
        let record = self.record(node, PATH, CAMPAIGN_CONFIG_FIELDS, "a mapping")?;
        let before = self.diagnostics.len();
        let mut config = CampaignConfigSpec::default();
        for entry in &record.entries {
            let path = join(PATH, entry.key);
            match entry.key {
                "syncWithLatestSolutionVersion" => {
                    config.sync_with_latest_solution_version = self.boolean(entry.value, &path)
                }
                "enableMetadataWithRecommendations" => {
                    config.enable_metadata_with_recommendations = self.boolean(entry.value, &path)
                }
                "itemExplorationConfig" => {
                    config.item_exploration_config = self.item_exploration(entry.value, &path)
                }
                "rankingInfluence" => config.ranking_influence = self.ranking_influence(entry.value, &path),
                _ => unreachable!("record() keeps known keys only"),
            }
        }
        (self.diagnostics.len() == before).then_some(config)
    }

    fn item_exploration(&mut self, node: &Node, path: &str) -> Option<ItemExplorationSpec> {
        let record = self.record(node, path, ITEM_EXPLORATION_FIELDS, "a mapping")?;
        let mut exploration = ItemExplorationSpec::default();
        for entry in &record.entries {
            let field = join(path, entry.key);
            if entry.key == "explorationWeight" {
                exploration.exploration_weight =
                    self.exploration_value(entry.value, &field, NumberRange::UnitInterval);
            } else {
                exploration.exploration_item_age_cut_off =
                    self.exploration_value(entry.value, &field, NumberRange::PositiveDays);
            }
        }
        Some(exploration)
    }

    fn exploration_value(&mut self, node: &Node, path: &str, range: NumberRange) -> Option<ExplorationValue> {
        let (number, text) = self.number(node, path, range, true)?;
        Some(ExplorationValue { number, text })
    }

    /// A finite number within `range`, with its text for messages. Numeric strings are taken when
    /// `strings_allowed` (the API stores exploration settings as strings), and refused with a hint otherwise.
    fn number(
        &mut self,
        node: &Node,
        path: &str,
        range: NumberRange,
        strings_allowed: bool,
    ) -> Option<(f64, String)> {
        let help = format!("write a number {}", range.describe());
        let (number, text) = match &node.value {
            Value::Int(_) | Value::Float(_) => {
                (node.value.as_number().unwrap_or(f64::NAN), node.value.scalar_text().unwrap_or_default())
            }
            Value::String(text) => match parse_numeric_string(text) {
                Some(number) if strings_allowed => (number, text.clone()),
                parsed => {
                    let help = if parsed.is_some() { format!("remove the quotes: `{text}`") } else { help };
                    self.report_with_help(
                        node.position,
                        path,
                        format!("`{path}` must be a number, found the string \"{text}\""),
                        help,
                    );
                    return None;
                }
            },
            other => {
                self.report_with_help(
                    node.position,
                    path,
                    format!("`{path}` must be a number, found {}", other.kind()),
                    help,
                );
                return None;
            }
        };
        if !number.is_finite() || !range.contains(number) {
            self.report_with_help(
                node.position,
                path,
                format!("`{path}` is {text}; it must be {}", range.describe()),
                help,
            );
            return None;
        }
        Some((number, text))
    }

    fn ranking_influence(&mut self, node: &Node, path: &str) -> Option<RankingInfluenceSpec> {
        let record = self.record(node, path, RANKING_INFLUENCE_FIELDS, "a mapping")?;
        let mut ranking = RankingInfluenceSpec::default();
        for entry in &record.entries {
            let field = join(path, entry.key);
            let weight = self.weight(entry.value, &field);
            if entry.key == "POPULARITY" {
                ranking.popularity = weight;
            } else {
                ranking.freshness = weight;
            }
        }
        Some(ranking)
    }

    fn guard(&mut self, node: &Node) -> Option<BTreeMap<String, MetricGuard>> {
        const PATH: &str = "guard";
        let before = self.diagnostics.len();
        let record = self.record(node, PATH, METRIC_NAMES, "a mapping of metric names to bounds")?;
        let mut guard = BTreeMap::new();
        for entry in &record.entries {
            let path = join(PATH, entry.key);
            let reported = self.diagnostics.len();
            let Some(rules) = self.record(entry.value, &path, GUARD_RULE_FIELDS, "a mapping of bounds")
            else {
                continue;
            };
            // An unknown bound was reported already; only a mapping with nothing in it sets no bound.
            if rules.entries.is_empty() && self.diagnostics.len() == reported {
                self.report_with_help(
                    entry.value.position,
                    &path,
                    format!("`{path}` sets no bound"),
                    "give `min`, `maxDrop` or `maxDropPercent`, e.g. `min: 0.05`",
                );
                continue;
            }
            let mut rule = MetricGuard::default();
            for bound in &rules.entries {
                let field = join(&path, bound.key);
                match bound.key {
                    "min" => rule.min = self.weight(bound.value, &field),
                    "maxDrop" => rule.max_drop = self.weight(bound.value, &field),
                    _ => {
                        rule.max_drop_percent = self
                            .number(bound.value, &field, NumberRange::Percent, false)
                            .map(|(number, _)| number)
                    }
                }
            }
            guard.insert(entry.key.to_string(), rule);
        }
        (self.diagnostics.len() == before).then_some(guard)
    }

    fn weight(&mut self, node: &Node, path: &str) -> Option<f64> {
        self.number(node, path, NumberRange::UnitInterval, false).map(|(number, _)| number)
    }

    fn tags(&mut self, entry: &Entry) -> Option<BTreeMap<String, String>> {
        const PATH: &str = "tags";
        let entries = self.mapping(entry.value, PATH, "a mapping of tag keys to values")?;
        let before = self.diagnostics.len();
        if entries.len() > MAX_TAGS {
            self.report_with_help(
                entry.key_node.position,
                PATH,
                format!("`tags` has {} tags; a resource can have at most {MAX_TAGS}", entries.len()),
                "remove tags until at most 50 are left",
            );
        }
        let mut tags = BTreeMap::new();
        for tag in &entries {
            let field = join(PATH, tag.key);
            self.tag_text(tag.key_node.position, &field, "key", tag.key, 1, MAX_TAG_KEY_CHARS);
            if tag.key.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:")) {
                self.report_with_help(
                    tag.key_node.position,
                    &field,
                    format!("tag key `{}` uses the reserved `aws:` prefix", tag.key),
                    "AWS sets `aws:` tags itself; choose a key without that prefix",
                );
            }
            let value = match &tag.value.value {
                Value::String(text) => text.clone(),
                Value::Null => {
                    self.report_with_help(
                        tag.value.position,
                        &field,
                        format!("tag `{}` has no value", tag.key),
                        format!("write `{}: \"\"` for an empty value", tag.key),
                    );
                    continue;
                }
                Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                    let source_text = tag.value.value.scalar_text().unwrap_or_default();
                    self.report_with_help(
                        tag.value.position,
                        &field,
                        format!(
                            "tag `{}` must have a string value, found {}",
                            tag.key,
                            tag.value.value.kind()
                        ),
                        format!(
                            "quote the value so YAML keeps it as written: `{}: \"{source_text}\"`",
                            tag.key
                        ),
                    );
                    continue;
                }
                other => {
                    self.report(
                        tag.value.position,
                        &field,
                        format!("tag `{}` must have a string value, found {}", tag.key, other.kind()),
                    );
                    continue;
                }
            };
            self.tag_text(tag.value.position, &field, "value", &value, 0, MAX_TAG_VALUE_CHARS);
            tags.insert(tag.key.to_string(), value);
        }
        (self.diagnostics.len() == before).then_some(tags)
    }

    fn tag_text(&mut self, position: Position, field: &str, what: &str, text: &str, min: usize, max: usize) {
        let length = text.chars().count();
        if length < min || length > max {
            self.report_with_help(
                position,
                field,
                format!("tag {what} is {length} characters long; it must have {min} to {max}"),
                format!("shorten the tag {what}"),
            );
        }
        if !TAG_CHARACTERS.is_match(text) {
            let bad = text
                .chars()
                .find(|c| !TAG_CHARACTERS.is_match(c.encode_utf8(&mut [0; 4])))
                .map(|c| format!("{c:?}"))
                .unwrap_or_default();
            self.report_with_help(
                position,
                field,
                format!("tag {what} `{text}` has a character tags cannot have: {bad}"),
                "tags may use letters, digits, spaces and `_ . : / = + - @`",
            );
        }
    }
}

/// Where a number must lie.
#[derive(Clone, Copy)]
enum NumberRange {
    /// Weights: 0.0 to 1.0, both included.
    UnitInterval,
    /// The exploration age cut-off, in days.
    PositiveDays,
    /// A share in percent: 0 to 100, both included.
    Percent,
}

impl NumberRange {
    fn contains(self, number: f64) -> bool {
        match self {
            NumberRange::UnitInterval => (0.0..=1.0).contains(&number),
            NumberRange::PositiveDays => number > 0.0,
            NumberRange::Percent => (0.0..=100.0).contains(&number),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            NumberRange::UnitInterval => "from 0.0 to 1.0",
            NumberRange::PositiveDays => "greater than 0 (days)",
            NumberRange::Percent => "from 0 to 100 (percent)",
        }
    }
}

/// The closest known key, for "did you mean": the same letters ignoring case, `_` and `-`, or a few edits
/// away.
fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let normalized = normalize(key);
    if let Some(exact) = known.iter().find(|candidate| normalize(candidate) == normalized) {
        return Some(exact);
    }
    known
        .iter()
        .map(|candidate| (edit_distance(&normalized, &normalize(candidate)), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 4).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// A known field written at the wrong level, such as `syncWithLatestSolutionVersion` at the top.
fn misplaced(levels: &[(&str, &[&str])], key: &str, path: &str) -> Option<String> {
    let normalized = normalize(key);
    levels.iter().filter(|(level, _)| *level != path).find_map(|(level, fields)| {
        let field = fields.iter().find(|field| normalize(field) == normalized)?;
        Some(if level.is_empty() {
            format!("`{field}` belongs at the top level of the document, not under `{path}`")
        } else {
            format!("`{field}` belongs under `{level}`")
        })
    })
}

fn normalize(key: &str) -> String {
    key.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::check_source;

    const HEAD: &str =
        "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n";

    fn load(source: &str) -> (Vec<LoadedResource>, Vec<Diagnostic>) {
        check_source(Path::new("c.yaml"), source)
    }

    fn problems(source: &str) -> Vec<Diagnostic> {
        load(source).1
    }

    /// The only problem in `source`, which must yield no campaign.
    fn problem(source: &str) -> Diagnostic {
        let (campaigns, mut diagnostics) = load(source);
        assert!(campaigns.is_empty(), "an invalid document yielded a campaign");
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        diagnostics.remove(0)
    }

    fn valid(source: &str) -> LoadedResource {
        let (mut campaigns, diagnostics) = load(source);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(campaigns.len(), 1);
        campaigns.remove(0)
    }

    fn at(diagnostic: &Diagnostic) -> (u32, u32, Option<&str>) {
        (diagnostic.position.line, diagnostic.position.column, diagnostic.field.as_deref())
    }

    #[test]
    fn minimal_campaign_leaves_everything_else_unmanaged() {
        let campaign = valid(HEAD);
        assert_eq!(campaign.spec.as_campaign().unwrap().name, "home");
        assert_eq!(campaign.arn, "arn:aws:personalize:us-east-1:111122223333:campaign/home");
        assert_eq!(campaign.spec.as_campaign().unwrap().min_provisioned_tps, None);
        assert_eq!(campaign.spec.as_campaign().unwrap().campaign_config, None);
        assert_eq!(campaign.spec.as_campaign().unwrap().tags, None);
        assert_eq!((campaign.position.line, campaign.position.column), (1, 1));
    }

    #[test]
    fn full_campaign_keeps_every_value() {
        let campaign = valid(&format!(
            "{HEAD}campaignArn: arn:aws:personalize:us-east-1:111122223333:campaign/home\nminProvisionedTPS: 3\n\
             campaignConfig:\n  syncWithLatestSolutionVersion: false\n  enableMetadataWithRecommendations: true\n  \
             itemExplorationConfig:\n    explorationWeight: \"0.30\"\n    explorationItemAgeCutOff: 30\n  \
             rankingInfluence:\n    FRESHNESS: 0.6\ntags:\n  team: discovery\n  empty: \"\"\n"
        ));
        let spec = campaign.spec.as_campaign().unwrap().clone();
        assert_eq!(spec.min_provisioned_tps, Some(3));
        let config = spec.campaign_config.unwrap();
        assert_eq!(config.sync_with_latest_solution_version, Some(false));
        assert_eq!(config.enable_metadata_with_recommendations, Some(true));
        let exploration = config.item_exploration_config.unwrap();
        assert_eq!(
            exploration.exploration_weight,
            Some(ExplorationValue { number: 0.3, text: "0.30".into() })
        );
        assert_eq!(
            exploration.exploration_item_age_cut_off,
            Some(ExplorationValue { number: 30.0, text: "30".into() })
        );
        let ranking = config.ranking_influence.unwrap();
        assert_eq!((ranking.popularity, ranking.freshness), (None, Some(0.6)));
        let tags = spec.tags.unwrap();
        assert_eq!(tags.get("team").map(String::as_str), Some("discovery"));
        assert_eq!(tags.get("empty").map(String::as_str), Some(""));
    }

    #[test]
    fn empty_maps_are_managed_and_empty() {
        let spec =
            valid(&format!("{HEAD}campaignConfig: {{}}\ntags: {{}}\n")).spec.as_campaign().unwrap().clone();
        assert_eq!(spec.campaign_config, Some(CampaignConfigSpec::default()));
        assert_eq!(spec.tags, Some(BTreeMap::new()));
    }

    #[test]
    fn missing_required_fields_point_at_the_document() {
        let diagnostics = problems("---\nminProvisionedTPS: 1\n");
        let fields: Vec<_> = diagnostics.iter().map(at).collect();
        assert_eq!(fields, vec![(2, 1, Some("name")), (2, 1, Some("solutionVersionArn"))]);
        assert!(diagnostics[0].message.contains("missing required field `name`"));
    }

    #[test]
    fn unknown_fields_get_a_suggestion() {
        let diagnostic = problem(&format!("{HEAD}minProvisionedTps: 2\n"));
        assert_eq!(at(&diagnostic), (3, 1, Some("minProvisionedTps")));
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `minProvisionedTPS`?"));

        let diagnostic = problem(&format!("{HEAD}campaignConfg: {{}}\n"));
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `campaignConfig`?"));

        let diagnostic = problem(&format!("{HEAD}campaignConfig:\n  item_exploration_config: {{}}\n"));
        assert_eq!(at(&diagnostic), (4, 3, Some("campaignConfig.item_exploration_config")));
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `itemExplorationConfig`?"));

        let diagnostic = problem(&format!("{HEAD}owner: me\n"));
        assert!(diagnostic.help.unwrap().starts_with("expected one of: `name`"));
    }

    #[test]
    fn misplaced_fields_say_where_they_belong() {
        let diagnostic = problem(&format!("{HEAD}enableMetadataWithRecommendations: true\n"));
        assert_eq!(
            diagnostic.help.as_deref(),
            Some("`enableMetadataWithRecommendations` belongs under `campaignConfig`")
        );
        let diagnostic = problem(&format!("{HEAD}campaignConfig:\n  minProvisionedTPS: 1\n"));
        assert!(diagnostic.help.unwrap().contains("belongs at the top level"));
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let diagnostic = problem(&format!("{HEAD}tags:\n  team: a\n  team: b\n"));
        assert_eq!(at(&diagnostic), (5, 3, Some("tags.team")));
        assert_eq!(diagnostic.message, "duplicate key `team`");
        assert_eq!((diagnostic.related[0].position.line, diagnostic.related[0].position.column), (4, 3));
        let diagnostic = problem(&format!("{HEAD}name: other\n"));
        assert_eq!(at(&diagnostic), (3, 1, Some("name")));
    }

    #[test]
    fn yaml_1_1_booleans_are_rejected_with_the_intended_value() {
        for (written, meant) in [("yes", "true"), ("on", "true"), ("NO", "false"), ("off", "false")] {
            let diagnostic =
                problem(&format!("{HEAD}campaignConfig:\n  enableMetadataWithRecommendations: {written}\n"));
            assert_eq!(at(&diagnostic), (4, 38, Some("campaignConfig.enableMetadataWithRecommendations")));
            assert!(diagnostic.message.contains("not a boolean, in YAML 1.2"), "{}", diagnostic.message);
            assert_eq!(diagnostic.help.as_deref(), Some(format!("write `{meant}`").as_str()));
        }
        let diagnostic = problem(&format!("{HEAD}campaignConfig:\n  enableMetadataWithRecommendations: 1\n"));
        assert!(diagnostic.message.contains("found an integer"));
    }

    #[test]
    fn names_are_checked() {
        let arn = "solutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n";
        let too_long = "a".repeat(64);
        for (name, expected) in [
            (too_long.as_str(), "64 characters long"),
            ("''", "0 characters long"),
            ("home.recs", "has characters"),
            ("-home", "has characters"),
            ("123", "must be a string, found an integer"),
        ] {
            let diagnostic = problem(&format!("name: {name}\n{arn}"));
            assert_eq!(at(&diagnostic), (1, 7, Some("name")));
            assert!(diagnostic.message.contains(expected), "{name}: {}", diagnostic.message);
        }
        valid(&format!("name: {}\n{arn}", "a".repeat(63)));
    }

    #[test]
    fn solution_version_arns_are_checked() {
        for (arn, expected) in [
            ("arn:aws:personalize:us-east-1:111122223333:campaign/home", "is a campaign ARN"),
            ("arn:aws:personalize:us-east-1:111122223333:solution/s", "without a version"),
            ("home-recs", "is not an ARN"),
            ("arn:aws:sagemaker:us-east-1:111122223333:solution/s/v1", "`sagemaker` service"),
        ] {
            let diagnostic = problem(&format!("name: home\nsolutionVersionArn: {arn}\n"));
            assert_eq!(at(&diagnostic), (2, 21, Some("solutionVersionArn")));
            assert!(diagnostic.message.contains(expected), "{arn}: {}", diagnostic.message);
        }
    }

    #[test]
    fn campaign_arn_must_match_the_derived_one() {
        valid(&format!("{HEAD}campaignArn: arn:aws:personalize:us-east-1:111122223333:campaign/home\n"));
        let diagnostic = problem(&format!(
            "{HEAD}campaignArn: arn:aws:personalize:us-east-1:444455556666:campaign/home\n"
        ));
        assert_eq!(at(&diagnostic), (3, 14, Some("campaignArn")));
        assert!(diagnostic.message.contains("`arn:aws:personalize:us-east-1:111122223333:campaign/home`"));
    }

    #[test]
    fn a_guard_names_aws_metrics_and_sets_bounds() {
        let campaign = valid(&format!(
            "{HEAD}guard:\n  precision_at_25:\n    min: 0.04\n    maxDropPercent: 5\n  coverage: {{ maxDrop: 0.02 }}\n"
        ));
        let guard = campaign.spec.as_campaign().unwrap().guard.clone().unwrap();
        assert_eq!(
            guard["precision_at_25"],
            MetricGuard { min: Some(0.04), max_drop: None, max_drop_percent: Some(5.0) }
        );
        assert_eq!(guard["coverage"].max_drop, Some(0.02));

        let diagnostic = problem(&format!("{HEAD}guard:\n  precison_at_25: {{ min: 0.04 }}\n"));
        assert_eq!(at(&diagnostic), (4, 3, Some("guard.precison_at_25")));
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `precision_at_25`?"));
        let diagnostic = problem(&format!("{HEAD}guard:\n  ndcg_at_10: {{ min: 0.04 }}\n"));
        assert!(
            diagnostic
                .help
                .as_deref()
                .is_some_and(|help| help.contains("`normalized_discounted_cumulative_gain_at_10`"))
        );
        let diagnostic = problem(&format!("{HEAD}guard:\n  coverage: {{ maxdrop: 0.1 }}\n"));
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `maxDrop`?"));
        let diagnostic = problem(&format!("{HEAD}guard:\n  coverage: {{}}\n"));
        assert_eq!(
            (at(&diagnostic), diagnostic.message.as_str()),
            ((4, 13, Some("guard.coverage")), "`guard.coverage` sets no bound")
        );
        for (bound, expected) in [
            ("min: 1.5", "from 0.0 to 1.0"),
            ("maxDrop: -0.1", "from 0.0 to 1.0"),
            ("maxDropPercent: 120", "from 0 to 100 (percent)"),
            ("min: \"0.1\"", "found the string"),
        ] {
            let diagnostic = problem(&format!("{HEAD}guard:\n  coverage:\n    {bound}\n"));
            assert_eq!(diagnostic.position.line, 5, "{bound}");
            assert!(
                diagnostic.message.contains(expected)
                    || diagnostic.help.as_deref().is_some_and(|h| h.contains(expected)),
                "{bound}: {diagnostic:?}"
            );
        }
    }

    #[test]
    fn tps_must_be_a_positive_integer() {
        valid(&format!("{HEAD}minProvisionedTPS: 1\n"));
        for (written, expected) in [
            ("0", "must be at least 1"),
            ("-3", "must be at least 1"),
            ("2.5", "must be an integer, found a number"),
            ("\"2\"", "found the string \"2\""),
            ("3000000000", "more than the API accepts"),
            ("", "must be an integer, found null"),
        ] {
            let diagnostic = problem(&format!("{HEAD}minProvisionedTPS: {written}\n"));
            assert_eq!(diagnostic.field.as_deref(), Some("minProvisionedTPS"));
            assert!(diagnostic.message.contains(expected), "{written}: {}", diagnostic.message);
        }
        let diagnostic = problem(&format!("{HEAD}minProvisionedTPS: \"2\"\n"));
        assert_eq!(diagnostic.help.as_deref(), Some("remove the quotes: `minProvisionedTPS: 2`"));
    }

    #[test]
    fn exploration_values_are_numbers_in_range() {
        let config = |weight: &str, age: &str| {
            format!(
                "{HEAD}campaignConfig:\n  itemExplorationConfig:\n    explorationWeight: {weight}\n    explorationItemAgeCutOff: {age}\n"
            )
        };
        valid(&config("0", "0.5"));
        valid(&config("\"1.0\"", "\"7\""));
        for (weight, age, line, expected) in [
            ("1.5", "30", 5, "explorationWeight` is 1.5; it must be from 0.0 to 1.0"),
            ("\"-0.1\"", "30", 5, "is -0.1; it must be from 0.0 to 1.0"),
            ("0.3", "0", 6, "explorationItemAgeCutOff` is 0; it must be greater than 0 (days)"),
            ("0.3", ".inf", 6, "is .inf;"),
            ("0.3", "\"NaN\"", 6, "must be a number, found the string \"NaN\""),
            ("lots", "30", 5, "must be a number, found the string \"lots\""),
            ("[0.3]", "30", 5, "must be a number, found a list"),
        ] {
            let diagnostic = problem(&config(weight, age));
            assert_eq!(diagnostic.position.line, line, "{weight} {age}");
            assert!(diagnostic.message.contains(expected), "{weight} {age}: {}", diagnostic.message);
        }
        let diagnostic =
            problem(&format!("{HEAD}campaignConfig:\n  itemExplorationConfig:\n    explorationBias: 1\n"));
        assert_eq!(diagnostic.field.as_deref(), Some("campaignConfig.itemExplorationConfig.explorationBias"));
    }

    #[test]
    fn ranking_weights_are_numbers_from_0_to_1() {
        let ranking = |body: &str| format!("{HEAD}campaignConfig:\n  rankingInfluence:\n{body}");
        valid(&ranking("    POPULARITY: 0\n    FRESHNESS: 1\n"));
        let diagnostic = problem(&ranking("    POPULARITY: 1.01\n"));
        assert_eq!(at(&diagnostic), (5, 17, Some("campaignConfig.rankingInfluence.POPULARITY")));
        let diagnostic = problem(&ranking("    FRESHNESS: \"0.5\"\n"));
        assert_eq!(diagnostic.help.as_deref(), Some("remove the quotes: `0.5`"));
        let diagnostic = problem(&ranking("    FRESHNESS: -.inf\n"));
        assert!(diagnostic.message.contains("-.inf"));
        let diagnostic = problem(&ranking("    RELEVANCE: 0.5\n"));
        assert!(diagnostic.help.unwrap().contains("`POPULARITY`, `FRESHNESS`"));
    }

    #[test]
    fn tags_are_checked_like_the_api_does() {
        let tags = |body: &str| format!("{HEAD}tags:\n{body}");
        let many: String = (0..51).map(|i| format!("  k{i}: v\n")).collect();
        let diagnostic = problem(&tags(&many));
        assert_eq!(at(&diagnostic), (3, 1, Some("tags")));
        assert!(diagnostic.message.contains("51 tags"));
        valid(&tags(&(0..50).map(|i| format!("  k{i}: v\n")).collect::<String>()));

        for (body, expected) in [
            ("  aws:team: x\n", "reserved `aws:` prefix"),
            ("  AWS:team: x\n", "reserved `aws:` prefix"),
            (&format!("  {}: x\n", "k".repeat(129)), "tag key is 129 characters long"),
            (&format!("  k: {}\n", "v".repeat(257)), "tag value is 257 characters long"),
            ("  team#1: x\n", "has a character tags cannot have: '#'"),
            ("  team: a&b\n", "has a character tags cannot have: '&'"),
            ("  cost-center: 1234\n", "must have a string value, found an integer"),
            ("  enabled: true\n", "must have a string value, found a boolean"),
            ("  owner:\n", "has no value"),
            ("  owner: [a]\n", "found a list"),
        ] {
            let diagnostic = problem(&tags(body));
            assert_eq!(diagnostic.position.line, 4, "{body}");
            assert!(diagnostic.field.as_deref().unwrap().starts_with("tags."), "{body}");
            assert!(diagnostic.message.contains(expected), "{body}: {}", diagnostic.message);
        }
        let diagnostic = problem(&tags("  cost-center: 1234\n"));
        assert_eq!(
            diagnostic.help.as_deref(),
            Some("quote the value so YAML keeps it as written: `cost-center: \"1234\"`")
        );
        valid(&tags("  \"équipe\": découverte / été=2026 @home\n"));
    }

    #[test]
    fn latest_requires_sync_and_sync_requires_latest() {
        let latest =
            "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/$LATEST\n";
        valid(&format!("{latest}campaignConfig:\n  syncWithLatestSolutionVersion: true\n"));
        valid(&format!("{HEAD}campaignConfig:\n  syncWithLatestSolutionVersion: false\n"));

        let diagnostic = problem(latest);
        assert_eq!(at(&diagnostic), (2, 21, Some("solutionVersionArn")));
        assert!(diagnostic.help.unwrap().contains("in a `campaignConfig:` section"));

        let diagnostic =
            problem(&format!("{latest}campaignConfig:\n  enableMetadataWithRecommendations: true\n"));
        assert!(diagnostic.help.unwrap().contains("under `campaignConfig:` on line 3"));

        let diagnostic =
            problem(&format!("{latest}campaignConfig:\n  syncWithLatestSolutionVersion: false\n"));
        assert_eq!(at(&diagnostic), (4, 34, Some("campaignConfig.syncWithLatestSolutionVersion")));
        assert!(diagnostic.help.unwrap().contains("replace `$LATEST` on line 2"));

        let diagnostic = problem(&format!("{HEAD}campaignConfig:\n  syncWithLatestSolutionVersion: true\n"));
        assert_eq!(at(&diagnostic), (4, 34, Some("campaignConfig.syncWithLatestSolutionVersion")));
        assert!(diagnostic.message.contains("line 2 pins version `v1`"));
        assert!(
            diagnostic
                .help
                .unwrap()
                .contains("change line 2 to `solutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/$LATEST`")
        );
    }

    #[test]
    fn every_problem_in_a_document_is_reported() {
        let diagnostics = problems(
            "name: -x\nsolutionVersionArn: nope\nminProvisionedTPS: 0\ncampaignConfig:\n  syncWithLatestSolutionVersion: yes\ntags:\n  aws:x: y\n",
        );
        let lines: Vec<u32> = diagnostics.iter().map(|d| d.position.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5, 7]);
    }

    #[test]
    fn documents_must_be_mappings_of_string_keys() {
        let diagnostic = problem("- a\n- b\n");
        assert_eq!(
            diagnostic.message,
            "a campaign document must be a mapping (`key: value` lines), found a list"
        );
        let diagnostic = problem(&format!("{HEAD}1: x\n"));
        assert_eq!(at(&diagnostic), (3, 1, None));
        assert!(diagnostic.message.contains("keys must be strings, found an integer"));
        let diagnostic = problem(&format!("{HEAD}campaignConfig:\n"));
        assert!(diagnostic.message.contains("`campaignConfig` has no value"));
        let diagnostic = problem(&format!("{HEAD}campaignConfig: [a]\n"));
        assert!(diagnostic.message.contains("`campaignConfig` must be a mapping"));
    }

    #[test]
    fn documents_in_one_file_are_checked_independently() {
        let second = HEAD.replace("home", "away");
        let (campaigns, diagnostics) = load(&format!("{HEAD}---\nname: -bad\n---\n{second}"));
        assert_eq!(campaigns.iter().map(|c| c.name()).collect::<Vec<_>>(), vec!["home", "away"]);
        assert_eq!(diagnostics.len(), 2);
    }

    #[test]
    fn the_same_campaign_twice_is_reported_with_both_places() {
        let (campaigns, _) = load(&format!("{HEAD}---\n{HEAD}"));
        let mut diagnostics = Vec::new();
        check_unique(&campaigns, &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(at(&diagnostics[0]), (4, 1, Some("name")));
        assert_eq!(diagnostics[0].related[0].position.line, 1);
        assert!(diagnostics[0].message.contains("arn:aws:personalize:us-east-1:111122223333:campaign/home"));
    }

    #[test]
    fn suggestions_stay_close() {
        assert_eq!(suggest("minprovisionedtps", CAMPAIGN_FIELDS), Some("minProvisionedTPS"));
        assert_eq!(suggest("tag", CAMPAIGN_FIELDS), Some("tags"));
        assert_eq!(suggest("description", CAMPAIGN_FIELDS), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
