//! The Personalize operations: input checks with AWS-style messages, then the effect on [`State`].

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};

use crate::recommender;
use crate::state::{
    ACTIVE, CREATE_FAILED, CREATE_PENDING, Campaign, CampaignConfig, CampaignUpdate, DELETE_PENDING, Job,
    Outcome, SolutionVersion, State, Transition,
};

/// An error as the API returns it: a code (`__type`), a message and an HTTP status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl ApiError {
    pub fn new(code: &str, status: u16, message: impl Into<String>) -> Self {
        ApiError { code: code.to_string(), message: message.into(), status }
    }
    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        ApiError::new("InvalidInputException", 400, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ApiError::new("ResourceNotFoundException", 400, message)
    }
    pub(crate) fn in_use(message: impl Into<String>) -> Self {
        ApiError::new("ResourceInUseException", 400, message)
    }
    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        ApiError::new("SerializationException", 400, message)
    }
    /// A member of the wrong JSON type: `what` is "a string", "a map", ...
    pub(crate) fn expected(what: &str, member: &str) -> Self {
        ApiError::serialization(format!("Expected {what} for member '{member}'"))
    }
}

/// Operations this emulator implements, as `X-Amz-Target` names them after `AmazonPersonalize.`.
pub const OPERATIONS: &[&str] = &[
    "CreateCampaign",
    "DescribeCampaign",
    "UpdateCampaign",
    "DeleteCampaign",
    "ListCampaigns",
    "DescribeSolution",
    "DescribeSolutionVersion",
    "ListSolutionVersions",
    "GetSolutionMetrics",
    "CreateRecommender",
    "DescribeRecommender",
    "UpdateRecommender",
    "StartRecommender",
    "StopRecommender",
    "DeleteRecommender",
    "ListRecommenders",
    "DescribeDatasetGroup",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

/// Settings that shape behaviour rather than data.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long a create, update or delete takes from request to its final status.
    pub transition_seconds: f64,
}

const NAME_PATTERN: &str = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*";
const ARN_PATTERN: &str = r"arn:([a-z\d-]+):personalize:.*:.*:.+";
const TAG_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";
pub(crate) const MAX_TAGS: usize = 50;

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(NAME_PATTERN).expect("pattern"));
static NAME_FULL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$").expect("pattern"));
static ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^arn:([a-z\d-]+):personalize:.*:.*:.+$").expect("pattern"));
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(TAG_PATTERN).expect("pattern"));

/// Runs one operation. `now` is the request's time, so that tests can drive the clock.
pub fn call(
    state: &mut State,
    timing: Timing,
    operation: &str,
    input: &Value,
    now: f64,
) -> Result<Value, ApiError> {
    call_in_region(state, timing, operation, input, now, None)
}

/// [`call`] as a request signed for `region` makes it: operations that name no ARN (ListCampaigns) see
/// only that region's resources, as each AWS region is its own endpoint.
pub fn call_in_region(
    state: &mut State,
    timing: Timing,
    operation: &str,
    input: &Value,
    now: f64,
    region: Option<&str>,
) -> Result<Value, ApiError> {
    let Value::Object(input) = input else {
        return Err(ApiError::serialization("the request body must be a JSON object"));
    };
    state.advance(now);
    match operation {
        "CreateCampaign" => create_campaign(state, timing, input, now),
        "DescribeCampaign" => describe_campaign(state, input),
        "UpdateCampaign" => update_campaign(state, timing, input, now),
        "DeleteCampaign" => delete_campaign(state, timing, input, now),
        "ListCampaigns" => list_campaigns(state, input, region),
        "DescribeSolution" => describe_solution(state, input),
        "DescribeSolutionVersion" => describe_solution_version(state, input),
        "ListSolutionVersions" => list_solution_versions(state, input),
        "GetSolutionMetrics" => get_solution_metrics(state, input),
        "CreateRecommender" => recommender::create(state, timing, input, now),
        "DescribeRecommender" => recommender::describe(state, input),
        "UpdateRecommender" => recommender::update(state, timing, input, now),
        "StartRecommender" => recommender::start_or_stop(state, timing, input, now, Transition::Start),
        "StopRecommender" => recommender::start_or_stop(state, timing, input, now, Transition::Stop),
        "DeleteRecommender" => recommender::delete(state, timing, input, now),
        "ListRecommenders" => recommender::list(state, input, region),
        "DescribeDatasetGroup" => recommender::describe_dataset_group(state, input),
        "TagResource" => tag_resource(state, input),
        "UntagResource" => untag_resource(state, input),
        "ListTagsForResource" => list_tags_for_resource(state, input),
        other => Err(ApiError::new("UnknownOperationException", 400, format!("Unknown operation {other}"))),
    }
}

/// Collects constraint violations the way AWS words them, to report them all at once.
pub(crate) struct Checks<'a> {
    pub(crate) input: &'a Map<String, Value>,
    pub(crate) violations: Vec<String>,
}

/// A list of strings; any other JSON is a serialization error, as on the wire.
pub(crate) fn string_list(value: &Value, member: &str) -> Result<Vec<String>, ApiError> {
    let Value::Array(items) = value else {
        return Err(ApiError::expected("a list", member));
    };
    items
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::expected("a list of strings", member))
}

impl<'a> Checks<'a> {
    pub(crate) fn new(input: &'a Map<String, Value>) -> Self {
        Checks { input, violations: Vec::new() }
    }

    pub(crate) fn violation(&mut self, value: &str, member: &str, constraint: &str) {
        self.violations
            .push(format!("Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"));
    }

    pub(crate) fn missing(&mut self, member: &str) {
        self.violations
            .push(format!("Value null at '{member}' failed to satisfy constraint: Member must not be null"));
    }

    /// A structure member: `None` when absent (a violation if `required`).
    pub(crate) fn structure(
        &mut self,
        member: &str,
        required: bool,
    ) -> Result<Option<&'a Map<String, Value>>, ApiError> {
        match self.input.get(member) {
            None | Some(Value::Null) => {
                if required {
                    self.missing(member);
                }
                Ok(None)
            }
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(ApiError::expected("a structure", member)),
        }
    }

    /// A string member; wrong JSON types are a serialization error, as on the wire.
    pub(crate) fn string(
        &mut self,
        member: &str,
        required: bool,
        max: usize,
    ) -> Result<Option<String>, ApiError> {
        match self.input.get(member) {
            None | Some(Value::Null) => {
                if required {
                    self.missing(member);
                }
                Ok(None)
            }
            Some(Value::String(text)) => {
                if text.chars().count() > max {
                    self.violation(
                        text,
                        member,
                        &format!("Member must have length less than or equal to {max}"),
                    );
                }
                Ok(Some(text.clone()))
            }
            Some(_) => Err(ApiError::expected("a string", member)),
        }
    }

    pub(crate) fn name(&mut self, member: &str) -> Result<Option<String>, ApiError> {
        let name = self.string(member, true, 63)?;
        if let Some(name) = &name {
            if name.is_empty() {
                self.violation(name, member, "Member must have length greater than or equal to 1");
            } else if !NAME_FULL.is_match(name) {
                self.violation(
                    name,
                    member,
                    &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
                );
            }
        }
        Ok(name)
    }

    pub(crate) fn arn(&mut self, member: &str, required: bool) -> Result<Option<String>, ApiError> {
        let arn = self.string(member, required, 256)?;
        if let Some(arn) = &arn
            && !ARN.is_match(arn)
        {
            self.violation(
                arn,
                member,
                &format!("Member must satisfy regular expression pattern: {ARN_PATTERN}"),
            );
        }
        Ok(arn)
    }

    pub(crate) fn integer(&mut self, member: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.input.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => match number.as_i64() {
                Some(n) => {
                    if n < min {
                        self.violation(
                            &n.to_string(),
                            member,
                            &format!("Member must have value greater than or equal to {min}"),
                        );
                    }
                    if n > max {
                        self.violation(
                            &n.to_string(),
                            member,
                            &format!("Member must have value less than or equal to {max}"),
                        );
                    }
                    Ok(Some(n))
                }
                None => Err(ApiError::serialization(format!("Expected an integer for member '{member}'"))),
            },
            Some(_) => Err(ApiError::serialization(format!("Expected an integer for member '{member}'"))),
        }
    }

    pub(crate) fn next_token(&mut self) -> Result<usize, ApiError> {
        let Some(token) = self.string("nextToken", false, 1500)? else { return Ok(0) };
        token.strip_prefix("pz-emulator:").and_then(|offset| offset.parse().ok()).ok_or_else(|| {
            ApiError::new("InvalidNextTokenException", 400, format!("Invalid next token: {token}"))
        })
    }

    fn campaign_config(&mut self) -> Result<Option<CampaignConfig>, ApiError> {
        let Some(config) = self.structure("campaignConfig", false)? else {
            return Ok(None);
        };
        let mut result = CampaignConfig::default();
        for (key, value) in config {
            let member = format!("campaignConfig.{key}");
            match (key.as_str(), value) {
                (_, Value::Null) => {}
                ("enableMetadataWithRecommendations", Value::Bool(b)) => {
                    result.enable_metadata_with_recommendations = Some(*b)
                }
                ("syncWithLatestSolutionVersion", Value::Bool(b)) => {
                    result.sync_with_latest_solution_version = Some(*b)
                }
                ("itemExplorationConfig", Value::Object(map)) => {
                    result.item_exploration_config = Some(self.exploration(&member, map)?)
                }
                ("rankingInfluence", Value::Object(map)) => {
                    result.ranking_influence = Some(self.ranking(&member, map)?)
                }
                ("enableMetadataWithRecommendations" | "syncWithLatestSolutionVersion", _) => {
                    return Err(ApiError::expected("a boolean", &member));
                }
                ("itemExplorationConfig" | "rankingInfluence", _) => {
                    return Err(ApiError::expected("a map", &member));
                }
                // Unknown members are ignored on the wire, as AWS's JSON protocols do.
                _ => {}
            }
        }
        Ok(Some(result))
    }

    pub(crate) fn exploration(
        &mut self,
        member: &str,
        map: &Map<String, Value>,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        if map.len() > 100 {
            self.violation("{...}", member, "Member must have length less than or equal to 100");
        }
        let mut result = BTreeMap::new();
        for (key, value) in map {
            let Value::String(text) = value else {
                return Err(ApiError::expected("a string", &format!("{member}.{key}")));
            };
            let number = text.trim().parse::<f64>().ok().filter(|n| n.is_finite());
            let in_range = match key.as_str() {
                "explorationWeight" => number.is_some_and(|n| (0.0..=1.0).contains(&n)),
                "explorationItemAgeCutOff" => number.is_some_and(|n| n > 0.0),
                _ => {
                    self.violations.push(format!("Unsupported key '{key}' at '{member}'"));
                    true
                }
            };
            if !in_range {
                self.violations.push(format!("Invalid value '{text}' for '{key}' at '{member}'"));
            }
            result.insert(key.clone(), text.clone());
        }
        Ok(result)
    }

    fn ranking(&mut self, member: &str, map: &Map<String, Value>) -> Result<BTreeMap<String, f64>, ApiError> {
        let mut result = BTreeMap::new();
        for (key, value) in map {
            let Some(number) = value.as_f64() else {
                return Err(ApiError::expected("a number", &format!("{member}.{key}")));
            };
            if key != "POPULARITY" && key != "FRESHNESS" {
                self.violation(
                    key,
                    &format!("{member}.key"),
                    "Member must satisfy enum value set: [POPULARITY, FRESHNESS]",
                );
            }
            if !(0.0..=1.0).contains(&number) {
                self.violation(
                    &number.to_string(),
                    &format!("{member}.{key}"),
                    "Member must have value between 0.0 and 1.0",
                );
            }
            result.insert(key.clone(), number);
        }
        Ok(result)
    }

    pub(crate) fn tags(&mut self, member: &str) -> Result<Vec<(String, String)>, ApiError> {
        let list = match self.input.get(member) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(_) => return Err(ApiError::expected("a list", member)),
        };
        let mut tags = Vec::new();
        for (index, item) in list.iter().enumerate() {
            let (Some(Value::String(key)), value) = (item.get("tagKey"), item.get("tagValue")) else {
                return Err(ApiError::serialization(format!(
                    "Expected a Tag with a tagKey at '{member}.{index}'"
                )));
            };
            let value = match value {
                Some(Value::String(value)) => value.clone(),
                None | Some(Value::Null) => {
                    self.missing(&format!("{member}.{}.member.tagValue", index + 1));
                    String::new()
                }
                Some(_) => {
                    return Err(ApiError::serialization(format!(
                        "Expected a string at '{member}.{index}.tagValue'"
                    )));
                }
            };
            self.tag_key(&format!("{member}.{}.member.tagKey", index + 1), key);
            let value_member = format!("{member}.{}.member.tagValue", index + 1);
            if value.chars().count() > 256 {
                self.violation(&value, &value_member, "Member must have length less than or equal to 256");
            }
            if !TAG.is_match(&value) {
                self.violation(
                    &value,
                    &value_member,
                    &format!("Member must satisfy regular expression pattern: {TAG_PATTERN}"),
                );
            }
            tags.push((key.clone(), value));
        }
        Ok(tags)
    }

    fn tag_key(&mut self, member: &str, key: &str) {
        let length = key.chars().count();
        if length == 0 {
            self.violation(key, member, "Member must have length greater than or equal to 1");
        }
        if length > 128 {
            self.violation(key, member, "Member must have length less than or equal to 128");
        }
        if !TAG.is_match(key) {
            self.violation(
                key,
                member,
                &format!("Member must satisfy regular expression pattern: {TAG_PATTERN}"),
            );
        }
        if key.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:")) {
            self.violations.push(format!("Tag key '{key}' at '{member}' uses the reserved prefix 'aws:'"));
        }
    }

    /// InvalidInputException listing every violation, as AWS does.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        match self.violations.len() {
            0 => Ok(()),
            count => Err(ApiError::invalid_input(format!(
                "{count} validation error{} detected: {}",
                if count == 1 { "" } else { "s" },
                self.violations.join("; ")
            ))),
        }
    }
}

/// `arn:<partition>:personalize:<region>:<account>:<resource>`, split.
pub(crate) struct ArnParts<'a> {
    pub(crate) partition: &'a str,
    pub(crate) region: &'a str,
    pub(crate) account: &'a str,
    pub(crate) resource: &'a str,
}

pub(crate) fn split_arn(arn: &str) -> Option<ArnParts<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (_, partition, _, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some(ArnParts { partition, region, account, resource })
}

/// The solution a solution version ARN belongs to, and whether it is the `$LATEST` alias.
fn solution_of(version_arn: &str) -> Option<(String, bool)> {
    let (solution, version) = version_arn.rsplit_once('/')?;
    let parts = split_arn(solution)?;
    parts.resource.starts_with("solution/").then(|| (solution.to_string(), version == "$LATEST"))
}

/// Checks the requested version against the config and resolves `$LATEST` to the version that will serve.
fn resolve_version(
    state: &State,
    requested: &str,
    config: Option<&CampaignConfig>,
) -> Result<String, ApiError> {
    let sync = config.and_then(|config| config.sync_with_latest_solution_version).unwrap_or(false);
    let Some((solution_arn, is_latest)) = solution_of(requested) else {
        return Err(ApiError::invalid_input(format!("{requested} is not a solution version ARN")));
    };
    if is_latest != sync {
        return Err(ApiError::invalid_input(if is_latest {
            "syncWithLatestSolutionVersion must be true when solutionVersionArn uses $LATEST".to_string()
        } else {
            "solutionVersionArn must use $LATEST when syncWithLatestSolutionVersion is true".to_string()
        }));
    }
    if is_latest {
        if !state.solutions.contains_key(&solution_arn) {
            return Err(ApiError::not_found(format!("Could not find solution with ARN {solution_arn}")));
        }
        return state
            .latest_active_version(&solution_arn)
            .map(|version| version.solution_version_arn.clone())
            .ok_or_else(|| {
                ApiError::invalid_input(format!("Solution {solution_arn} has no ACTIVE solution version"))
            });
    }
    let version = state.solution_versions.get(requested).ok_or_else(|| {
        ApiError::not_found(format!("Could not find solution version with ARN {requested}"))
    })?;
    if version.status != ACTIVE {
        return Err(ApiError::invalid_input(format!(
            "Solution version {requested} is {}; it must be ACTIVE",
            version.status
        )));
    }
    Ok(requested.to_string())
}

pub(crate) fn outcome_for(state: &mut State, campaign_arn: &str) -> Outcome {
    match state.fail_next_update.remove(campaign_arn) {
        Some(reason) => Outcome::Failed { reason },
        None => Outcome::Active,
    }
}

fn create_campaign(
    state: &mut State,
    timing: Timing,
    input: &Map<String, Value>,
    now: f64,
) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let name = checks.name("name")?;
    let version = checks.arn("solutionVersionArn", true)?;
    let tps = checks.integer("minProvisionedTPS", 1, i64::from(i32::MAX))?;
    let config = checks.campaign_config()?;
    let tags = checks.tags("tags")?;
    checks.finish()?;
    let (Some(name), Some(version)) = (name, version) else {
        return Err(ApiError::invalid_input("name and solutionVersionArn are required"));
    };
    if tags.len() > MAX_TAGS {
        return Err(ApiError::new(
            "TooManyTagsException",
            400,
            format!("A resource can have at most {MAX_TAGS} tags"),
        ));
    }
    let serving = resolve_version(state, &version, config.as_ref())?;
    let parts = split_arn(&version).ok_or_else(|| ApiError::invalid_input("malformed solutionVersionArn"))?;
    let campaign_arn =
        format!("arn:{}:personalize:{}:{}:campaign/{name}", parts.partition, parts.region, parts.account);
    if state.campaigns.contains_key(&campaign_arn) {
        return Err(ApiError::new(
            "ResourceAlreadyExistsException",
            400,
            format!("Campaign with ARN {campaign_arn} already exists"),
        ));
    }
    let outcome = outcome_for(state, &campaign_arn);
    state.campaigns.insert(
        campaign_arn.clone(),
        Campaign {
            name,
            campaign_arn: campaign_arn.clone(),
            solution_version_arn: serving,
            min_provisioned_tps: tps.map_or(1, |tps| tps as i32),
            campaign_config: config,
            status: CREATE_PENDING.to_string(),
            failure_reason: None,
            creation_date_time: now,
            last_updated_date_time: now,
            latest_campaign_update: None,
            job: Some(Job::new(now, timing.transition_seconds, outcome)),
            deleting: false,
        },
    );
    if !tags.is_empty() {
        state.tags.insert(campaign_arn.clone(), tags.into_iter().collect());
    }
    state.advance(now);
    Ok(json!({ "campaignArn": campaign_arn }))
}

fn campaign<'s>(state: &'s mut State, arn: &str) -> Result<&'s mut Campaign, ApiError> {
    state
        .campaigns
        .get_mut(arn)
        .ok_or_else(|| ApiError::not_found(format!("Could not find campaign with ARN {arn}")))
}

fn update_campaign(
    state: &mut State,
    timing: Timing,
    input: &Map<String, Value>,
    now: f64,
) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("campaignArn", true)?;
    let version = checks.arn("solutionVersionArn", false)?;
    let tps = checks.integer("minProvisionedTPS", 1, i64::from(i32::MAX))?;
    let config = checks.campaign_config()?;
    checks.finish()?;
    let arn = arn.unwrap_or_default();
    let current = campaign(state, &arn)?.clone();
    if current.is_busy() || (current.status != ACTIVE && current.status != CREATE_FAILED) {
        let status = current
            .latest_campaign_update
            .as_ref()
            .filter(|update| update.job.is_some())
            .map_or(current.status.as_str(), |update| update.status.as_str());
        return Err(ApiError::in_use(format!(
            "Campaign {arn} is {status}; it cannot be updated until that finishes"
        )));
    }
    // Omitted members keep their values; a sent campaignConfig replaces the stored one whole.
    let config = config.or(current.campaign_config.clone());
    let requested = version.unwrap_or_else(|| current.solution_version_arn.clone());
    let serving = resolve_version(state, &requested, config.as_ref())?;
    let outcome = outcome_for(state, &arn);
    let campaign = campaign(state, &arn)?;
    campaign.latest_campaign_update = Some(CampaignUpdate {
        solution_version_arn: serving,
        min_provisioned_tps: tps.map_or(current.min_provisioned_tps, |tps| tps as i32),
        campaign_config: config,
        status: CREATE_PENDING.to_string(),
        failure_reason: None,
        creation_date_time: now,
        last_updated_date_time: now,
        job: Some(Job::new(now, timing.transition_seconds, outcome)),
    });
    campaign.last_updated_date_time = now;
    state.advance(now);
    Ok(json!({ "campaignArn": arn }))
}

fn delete_campaign(
    state: &mut State,
    timing: Timing,
    input: &Map<String, Value>,
    now: f64,
) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("campaignArn", true)?;
    checks.finish()?;
    let campaign = campaign(state, &arn.unwrap_or_default())?;
    if campaign.is_busy() {
        return Err(ApiError::in_use(format!("Campaign {} is {}", campaign.campaign_arn, campaign.status)));
    }
    campaign.deleting = true;
    campaign.status = DELETE_PENDING.to_string();
    campaign.job = Some(Job::new(now, timing.transition_seconds, Outcome::Active));
    state.advance(now);
    Ok(json!({}))
}

fn describe_campaign(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("campaignArn", true)?;
    checks.finish()?;
    let campaign = campaign(state, &arn.unwrap_or_default())?;
    let mut body = json!({
        "name": campaign.name,
        "campaignArn": campaign.campaign_arn,
        "solutionVersionArn": campaign.solution_version_arn,
        "minProvisionedTPS": campaign.min_provisioned_tps,
        "status": campaign.status,
        "creationDateTime": campaign.creation_date_time,
        "lastUpdatedDateTime": campaign.last_updated_date_time,
    });
    add_present(&mut body, campaign.campaign_config.as_ref(), campaign.failure_reason.as_ref());
    if let Some(update) = &campaign.latest_campaign_update {
        let mut summary = json!({
            "solutionVersionArn": update.solution_version_arn,
            "minProvisionedTPS": update.min_provisioned_tps,
            "status": update.status,
            "creationDateTime": update.creation_date_time,
            "lastUpdatedDateTime": update.last_updated_date_time,
        });
        add_present(&mut summary, update.campaign_config.as_ref(), update.failure_reason.as_ref());
        body["latestCampaignUpdate"] = summary;
    }
    Ok(json!({ "campaign": body }))
}

/// The optional members of a campaign or an update summary, present on the wire only when set.
fn add_present(body: &mut Value, config: Option<&CampaignConfig>, failure_reason: Option<&String>) {
    if let Some(config) = config {
        body["campaignConfig"] = json!(config);
    }
    add_failure_reason(body, failure_reason);
}

/// `failureReason` is on the wire only when there is one.
pub(crate) fn add_failure_reason(body: &mut Value, failure_reason: Option<&String>) {
    if let Some(reason) = failure_reason {
        body["failureReason"] = json!(reason);
    }
}

/// Whether `arn` is in the region a list request was signed for (every region when unknown).
pub(crate) fn in_region(arn: &str, region: Option<&str>) -> bool {
    region.is_none_or(|region| split_arn(arn).is_some_and(|arn| arn.region == region))
}

/// One page of `items` from the offset in the request's `nextToken`, and the token of the next page.
pub(crate) fn page(checks: &mut Checks, items: Vec<Value>) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let max = checks.integer("maxResults", 1, 100)?.unwrap_or(100) as usize;
    let offset = checks.next_token()?;
    if offset > items.len() {
        return Err(ApiError::new("InvalidNextTokenException", 400, "Invalid next token"));
    }
    let end = (offset + max).min(items.len());
    let next = (end < items.len()).then(|| format!("pz-emulator:{end}"));
    Ok((items[offset..end].to_vec(), next))
}

pub(crate) fn with_token(mut body: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        body["nextToken"] = json!(next);
    }
    body
}

fn list_campaigns(
    state: &mut State,
    input: &Map<String, Value>,
    region: Option<&str>,
) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let solution = checks.arn("solutionArn", false)?;
    let summaries: Vec<Value> = state
        .campaigns
        .values()
        .filter(|campaign| in_region(&campaign.campaign_arn, region))
        .filter(|campaign| {
            solution.as_ref().is_none_or(|solution| {
                solution_of(&campaign.solution_version_arn).is_some_and(|(arn, _)| &arn == solution)
            })
        })
        .map(|campaign| {
            let mut summary = json!({
                "name": campaign.name,
                "campaignArn": campaign.campaign_arn,
                "status": campaign.status,
                "creationDateTime": campaign.creation_date_time,
                "lastUpdatedDateTime": campaign.last_updated_date_time,
            });
            add_failure_reason(&mut summary, campaign.failure_reason.as_ref());
            summary
        })
        .collect();
    let (items, next) = page(&mut checks, summaries)?;
    checks.finish()?;
    Ok(with_token(json!({ "campaigns": items }), next))
}

fn describe_solution(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("solutionArn", true)?.unwrap_or_default();
    checks.finish()?;
    let solution = state
        .solutions
        .get(&arn)
        .ok_or_else(|| ApiError::not_found(format!("Could not find solution with ARN {arn}")))?;
    let mut body = json!(solution);
    if let Some(latest) = state
        .solution_versions
        .values()
        .filter(|version| version.solution_arn == arn)
        .max_by(|a, b| a.creation_date_time.total_cmp(&b.creation_date_time))
    {
        body["latestSolutionVersion"] = json!({
            "solutionVersionArn": latest.solution_version_arn,
            "status": latest.status,
            "creationDateTime": latest.creation_date_time,
            "lastUpdatedDateTime": latest.last_updated_date_time,
        });
    }
    Ok(json!({ "solution": body }))
}

/// The solution version the input's `solutionVersionArn` names.
fn requested_version<'s>(
    state: &'s State,
    input: &Map<String, Value>,
) -> Result<&'s SolutionVersion, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("solutionVersionArn", true)?.unwrap_or_default();
    checks.finish()?;
    state
        .solution_versions
        .get(&arn)
        .ok_or_else(|| ApiError::not_found(format!("Could not find solution version with ARN {arn}")))
}

fn describe_solution_version(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut body = json!(requested_version(state, input)?);
    if let Some(body) = body.as_object_mut() {
        body.remove("metrics");
    }
    Ok(json!({ "solutionVersion": body }))
}

/// The version's offline metrics; only an ACTIVE version has them.
fn get_solution_metrics(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let version = requested_version(state, input)?;
    let arn = &version.solution_version_arn;
    if version.status != ACTIVE {
        return Err(ApiError::in_use(format!(
            "Solution version {arn} is {}; metrics are available once it is ACTIVE",
            version.status
        )));
    }
    Ok(json!({ "solutionVersionArn": arn, "metrics": version.metrics }))
}

fn list_solution_versions(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let solution = checks.arn("solutionArn", false)?;
    if let Some(solution) = &solution
        && !state.solutions.contains_key(solution)
    {
        return Err(ApiError::not_found(format!("Could not find solution with ARN {solution}")));
    }
    let mut versions: Vec<_> = state
        .solution_versions
        .values()
        .filter(|version| solution.as_ref().is_none_or(|solution| &version.solution_arn == solution))
        .collect();
    // Newest first, as the console lists them.
    versions.sort_by(|a, b| b.creation_date_time.total_cmp(&a.creation_date_time));
    let summaries = versions
        .into_iter()
        .map(|version| {
            json!({
                "solutionVersionArn": version.solution_version_arn,
                "status": version.status,
                "creationDateTime": version.creation_date_time,
                "lastUpdatedDateTime": version.last_updated_date_time,
            })
        })
        .collect();
    let (items, next) = page(&mut checks, summaries)?;
    checks.finish()?;
    Ok(with_token(json!({ "solutionVersions": items }), next))
}

fn resource_exists(state: &State, arn: &str) -> bool {
    state.campaigns.contains_key(arn)
        || state.recommenders.contains_key(arn)
        || state.dataset_groups.contains_key(arn)
        || state.solutions.contains_key(arn)
        || state.solution_versions.contains_key(arn)
}

fn tag_resource(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("resourceArn", true)?.unwrap_or_default();
    if !input.contains_key("tags") {
        checks.missing("tags");
    }
    let tags = checks.tags("tags")?;
    checks.finish()?;
    if !resource_exists(state, &arn) {
        return Err(ApiError::not_found(format!("Could not find resource with ARN {arn}")));
    }
    let mut merged = state.tags.get(&arn).cloned().unwrap_or_default();
    merged.extend(tags);
    if merged.len() > MAX_TAGS {
        return Err(ApiError::new(
            "TooManyTagsException",
            400,
            format!("Resource {arn} would have {} tags; at most {MAX_TAGS} are allowed", merged.len()),
        ));
    }
    state.tags.insert(arn, merged);
    Ok(json!({}))
}

fn untag_resource(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("resourceArn", true)?.unwrap_or_default();
    let keys = match input.get("tagKeys") {
        None | Some(Value::Null) => {
            checks.missing("tagKeys");
            Vec::new()
        }
        Some(keys) => string_list(keys, "tagKeys")?,
    };
    for (index, key) in keys.iter().enumerate() {
        checks.tag_key(&format!("tagKeys.{}.member", index + 1), key);
    }
    checks.finish()?;
    if keys.len() > MAX_TAGS {
        return Err(ApiError::new(
            "TooManyTagKeysException",
            400,
            format!("At most {MAX_TAGS} tag keys per request"),
        ));
    }
    if !resource_exists(state, &arn) {
        return Err(ApiError::not_found(format!("Could not find resource with ARN {arn}")));
    }
    if let Some(tags) = state.tags.get_mut(&arn) {
        for key in &keys {
            tags.remove(key);
        }
    }
    Ok(json!({}))
}

fn list_tags_for_resource(state: &mut State, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut checks = Checks::new(input);
    let arn = checks.arn("resourceArn", true)?.unwrap_or_default();
    checks.finish()?;
    if !resource_exists(state, &arn) {
        return Err(ApiError::not_found(format!("Could not find resource with ARN {arn}")));
    }
    let tags: Vec<Value> = state
        .tags
        .get(&arn)
        .into_iter()
        .flatten()
        .map(|(key, value)| json!({ "tagKey": key, "tagValue": value }))
        .collect();
    Ok(json!({ "tags": tags }))
}

/// Whether an operation changes state (and so the state file must be written after it).
pub fn is_mutating(operation: &str) -> bool {
    matches!(
        operation,
        "CreateCampaign"
            | "UpdateCampaign"
            | "DeleteCampaign"
            | "CreateRecommender"
            | "UpdateRecommender"
            | "StartRecommender"
            | "StopRecommender"
            | "DeleteRecommender"
            | "TagResource"
            | "UntagResource"
    )
}

/// Also used by seeding: names follow the same rule as CreateCampaign's.
pub fn is_valid_name(name: &str) -> bool {
    NAME.is_match(name) && NAME_FULL.is_match(name) && name.len() <= 63
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{Seed, SeedSolution};

    const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v1";
    const CAMPAIGN: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/c";
    const SLOW: Timing = Timing { transition_seconds: 30.0 };

    fn state() -> State {
        Seed {
            solutions: vec![SeedSolution {
                solution_arn: "arn:aws:personalize:us-east-1:111122223333:solution/s".into(),
                versions: vec!["v1".into()],
            }],
            ..Seed::default()
        }
        .to_state(1000.0)
        .unwrap()
    }

    fn create(state: &mut State, input: Value) -> Result<Value, ApiError> {
        call(state, SLOW, "CreateCampaign", &input, 1000.0)
    }

    #[test]
    fn create_checks_config_and_tags_like_the_api() {
        let mut state = state();
        let error = create(
            &mut state,
            json!({
                "name": "c", "solutionVersionArn": V1,
                "campaignConfig": {
                    "itemExplorationConfig": { "explorationWeight": "1.5", "bias": "1" },
                    "rankingInfluence": { "RELEVANCE": 0.5, "FRESHNESS": 2.0 }
                },
                "tags": [{ "tagKey": "aws:team", "tagValue": "x" }, { "tagKey": "ok", "tagValue": "a#b" }]
            }),
        )
        .unwrap_err();
        assert_eq!(error.code, "InvalidInputException");
        assert!(error.message.starts_with("6 validation errors detected: "), "{}", error.message);
        for part in [
            "Invalid value '1.5' for 'explorationWeight'",
            "Unsupported key 'bias'",
            "RELEVANCE",
            "reserved prefix 'aws:'",
            "Value 'a#b'",
        ] {
            assert!(error.message.contains(part), "{part}: {}", error.message);
        }
        let error =
            create(&mut state, json!({ "name": "c", "solutionVersionArn": V1, "minProvisionedTPS": "2" }))
                .unwrap_err();
        assert_eq!(error.code, "SerializationException");
    }

    #[test]
    fn unknown_solution_versions_are_not_found_and_latest_needs_sync() {
        let mut state = state();
        let error =
            create(&mut state, json!({ "name": "c", "solutionVersionArn": format!("{V1}x") })).unwrap_err();
        assert_eq!(error.code, "ResourceNotFoundException");
        let latest = V1.replace("v1", "$LATEST");
        let error = create(
            &mut state,
            json!({ "name": "c", "solutionVersionArn": V1, "campaignConfig": { "syncWithLatestSolutionVersion": true } }),
        )
        .unwrap_err();
        assert!(error.message.contains("must use $LATEST"), "{}", error.message);
        create(
            &mut state,
            json!({ "name": "c", "solutionVersionArn": latest, "campaignConfig": { "syncWithLatestSolutionVersion": true } }),
        )
        .unwrap();
        assert_eq!(state.campaigns[CAMPAIGN].solution_version_arn, V1);
    }

    #[test]
    fn nothing_can_be_updated_or_deleted_while_a_create_runs() {
        let mut state = state();
        create(&mut state, json!({ "name": "c", "solutionVersionArn": V1 })).unwrap();
        let update = call(
            &mut state,
            SLOW,
            "UpdateCampaign",
            &json!({ "campaignArn": CAMPAIGN, "minProvisionedTPS": 2 }),
            1001.0,
        );
        assert_eq!(update.unwrap_err().code, "ResourceInUseException");
        let delete = call(&mut state, SLOW, "DeleteCampaign", &json!({ "campaignArn": CAMPAIGN }), 1001.0);
        assert_eq!(delete.unwrap_err().code, "ResourceInUseException");
        let described =
            call(&mut state, SLOW, "DescribeCampaign", &json!({ "campaignArn": CAMPAIGN }), 1015.0).unwrap();
        assert_eq!(described["campaign"]["status"], "CREATE IN_PROGRESS");
        let described =
            call(&mut state, SLOW, "DescribeCampaign", &json!({ "campaignArn": CAMPAIGN }), 1030.0).unwrap();
        assert_eq!(described["campaign"]["status"], "ACTIVE");
        call(
            &mut state,
            SLOW,
            "UpdateCampaign",
            &json!({ "campaignArn": CAMPAIGN, "minProvisionedTPS": 2 }),
            1031.0,
        )
        .unwrap();
    }

    #[test]
    fn missing_required_members_are_named() {
        let mut state = state();
        let error = call(&mut state, SLOW, "DescribeCampaign", &json!({}), 1000.0).unwrap_err();
        assert_eq!(
            error.message,
            "1 validation error detected: Value null at 'campaignArn' failed to satisfy constraint: Member must not be null"
        );
        let error =
            call(&mut state, SLOW, "ListCampaigns", &json!({ "maxResults": 101 }), 1000.0).unwrap_err();
        assert!(error.message.contains("less than or equal to 100"));
    }
}
