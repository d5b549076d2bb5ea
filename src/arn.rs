//! Personalize ARNs: parsing solution version and dataset group ARNs, and deriving the campaign and
//! recommender ARNs from them.

use std::fmt;

/// The longest ARN the API accepts.
pub const MAX_ARN_LEN: usize = 256;

/// The alias a campaign follows when `syncWithLatestSolutionVersion` is true.
pub const LATEST: &str = "$LATEST";

/// `arn:<partition>:personalize:<region>:<account>:solution/<solution>/<version>`, where `<version>` is a
/// version id or the `$LATEST` alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SolutionVersionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub solution: String,
    pub version: String,
}

/// Why a string is not a solution version ARN; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("is {len} characters long; an ARN has at most {MAX_ARN_LEN}")]
    TooLong { len: usize },
    #[error("is not an ARN; expected `arn:aws:personalize:<region>:<account>:solution/<solution>/<version>`")]
    NotAnArn,
    #[error("is an ARN of the `{service}` service, not of `personalize`")]
    OtherService { service: String },
    #[error("has an empty {part}")]
    EmptyPart { part: &'static str },
    #[error("has a region `{region}` that is not a region name such as `us-east-1`")]
    BadRegion { region: String },
    #[error("has an account `{account}` that is not a 12-digit AWS account id")]
    BadAccount { account: String },
    #[error("is a campaign ARN; this field takes the solution version the campaign serves: `{suggestion}`")]
    CampaignArn { suggestion: String },
    #[error(
        "is a solution ARN without a version; append a version id, or `/$LATEST` to follow the newest version \
         (with `syncWithLatestSolutionVersion: true`)"
    )]
    MissingVersion,
    #[error("names a `{resource}` resource; expected `solution/<solution>/<version>`")]
    OtherResource { resource: String },
    #[error("has a solution name `{name}` that is not a valid name (letters, digits, `-` and `_`, 1 to 63)")]
    BadSolutionName { name: String },
    #[error("has a version `{version}` that is neither a version id (letters and digits) nor `$LATEST`")]
    BadVersion { version: String },
    #[error("names a `{resource}` resource; expected `dataset-group/<name>`")]
    NotDatasetGroup { resource: String },
    #[error(
        "has a dataset group name `{name}` that is not a valid name (letters, digits, `-` and `_`, 1 to 63)"
    )]
    BadDatasetGroupName { name: String },
}

/// The partition, region and account of an ARN of Personalize, checked, and the resource after them.
struct Place<'t> {
    partition: &'t str,
    region: &'t str,
    account: &'t str,
    resource: &'t str,
}

fn place(text: &str) -> Result<Place<'_>, ArnError> {
    if text.chars().count() > MAX_ARN_LEN {
        return Err(ArnError::TooLong { len: text.chars().count() });
    }
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(ArnError::NotAnArn);
    };
    if prefix != "arn" {
        return Err(ArnError::NotAnArn);
    }
    if partition.is_empty()
        || !partition.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ArnError::EmptyPart { part: "or malformed partition (such as `aws`)" });
    }
    if service != "personalize" {
        return Err(ArnError::OtherService { service: service.to_string() });
    }
    if region.is_empty() {
        return Err(ArnError::EmptyPart { part: "region" });
    }
    if !is_region(region) {
        return Err(ArnError::BadRegion { region: region.to_string() });
    }
    if account.is_empty() {
        return Err(ArnError::EmptyPart { part: "account" });
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(ArnError::BadAccount { account: account.to_string() });
    }
    Ok(Place { partition, region, account, resource })
}

/// `arn:<partition>:personalize:<region>:<account>:dataset-group/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DatasetGroupArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl DatasetGroupArn {
    pub fn parse(text: &str) -> Result<Self, ArnError> {
        let place = place(text)?;
        let Some(name) = place.resource.strip_prefix("dataset-group/") else {
            let resource = place.resource.split('/').next().unwrap_or_default();
            return Err(ArnError::NotDatasetGroup { resource: resource.to_string() });
        };
        if !is_valid_name(name) {
            return Err(ArnError::BadDatasetGroupName { name: name.to_string() });
        }
        Ok(DatasetGroupArn {
            partition: place.partition.to_string(),
            region: place.region.to_string(),
            account: place.account.to_string(),
            name: name.to_string(),
        })
    }

    /// The ARN of the recommender called `name` in this dataset group: recommenders live in the account
    /// and region of their dataset group.
    pub fn recommender_arn(&self, name: &str) -> String {
        ResourceArn {
            partition: self.partition.clone(),
            region: self.region.clone(),
            account: self.account.clone(),
            resource_type: "recommender".to_string(),
            name: name.to_string(),
        }
        .to_string()
    }
}

impl SolutionVersionArn {
    pub fn parse(text: &str) -> Result<Self, ArnError> {
        let Place { partition, region, account, resource } = place(text)?;
        let mut segments = resource.split('/');
        let kind = segments.next().unwrap_or_default();
        let segments: Vec<&str> = segments.collect();
        match (kind, segments.as_slice()) {
            ("solution", [solution, version]) => {
                if !is_valid_name(solution) {
                    return Err(ArnError::BadSolutionName { name: solution.to_string() });
                }
                if *version != LATEST
                    && (version.is_empty() || !version.chars().all(|c| c.is_ascii_alphanumeric()))
                {
                    return Err(ArnError::BadVersion { version: version.to_string() });
                }
                Ok(SolutionVersionArn {
                    partition: partition.to_string(),
                    region: region.to_string(),
                    account: account.to_string(),
                    solution: solution.to_string(),
                    version: version.to_string(),
                })
            }
            ("solution", [_]) => Err(ArnError::MissingVersion),
            ("campaign", _) => Err(ArnError::CampaignArn {
                suggestion: format!(
                    "arn:{partition}:personalize:{region}:{account}:solution/<solution>/<version or $LATEST>"
                ),
            }),
            _ => Err(ArnError::OtherResource { resource: kind.to_string() }),
        }
    }

    pub fn is_latest(&self) -> bool {
        self.version == LATEST
    }

    /// The ARN of the campaign called `name` that serves this solution: campaigns live in the account and
    /// region of their solution.
    pub fn campaign_arn(&self, name: &str) -> String {
        ResourceArn {
            partition: self.partition.clone(),
            region: self.region.clone(),
            account: self.account.clone(),
            resource_type: "campaign".to_string(),
            name: name.to_string(),
        }
        .to_string()
    }

    pub fn solution_arn(&self) -> String {
        format!(
            "arn:{}:personalize:{}:{}:solution/{}",
            self.partition, self.region, self.account, self.solution
        )
    }

    /// The same solution with the version replaced by `$LATEST`.
    pub fn latest_alias(&self) -> String {
        format!("{}/{LATEST}", self.solution_arn())
    }
}

impl fmt::Display for SolutionVersionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.solution_arn(), self.version)
    }
}

impl fmt::Display for DatasetGroupArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:personalize:{}:{}:dataset-group/{}",
            self.partition, self.region, self.account, self.name
        )
    }
}

/// `arn:<partition>:personalize:<region>:<account>:<type>/<name>` for a campaign or a recommender, as AWS
/// reports them and as [`SolutionVersionArn::campaign_arn`] and [`DatasetGroupArn::recommender_arn`]
/// derive them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    /// `campaign` or `recommender`.
    pub resource_type: String,
    pub name: String,
}

impl ResourceArn {
    /// `None` for anything that is not a campaign or recommender ARN.
    pub fn parse(text: &str) -> Option<Self> {
        let mut fields = text.splitn(6, ':');
        let (arn, partition, service, region, account, resource) =
            (fields.next()?, fields.next()?, fields.next()?, fields.next()?, fields.next()?, fields.next()?);
        let (resource_type, name) = resource.split_once('/')?;
        (arn == "arn"
            && service == "personalize"
            && matches!(resource_type, "campaign" | "recommender")
            && !region.is_empty()
            && !account.is_empty()
            && is_valid_name(name))
        .then(|| ResourceArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            resource_type: resource_type.to_string(),
            name: name.to_string(),
        })
    }

    /// Whether `other` lives in the same partition, region and account.
    pub fn same_place(&self, other: &ResourceArn) -> bool {
        (&self.partition, &self.region, &self.account) == (&other.partition, &other.region, &other.account)
    }
}

impl fmt::Display for ResourceArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:personalize:{}:{}:{}/{}",
            self.partition, self.region, self.account, self.resource_type, self.name
        )
    }
}

/// The region field of any ARN (`arn:<partition>:<service>:<region>:...`), when it has one: the one place
/// that takes an ARN apart by its colons.
pub fn region_of(arn: &str) -> Option<&str> {
    let mut fields = arn.splitn(5, ':');
    (fields.next() == Some("arn")).then_some(())?;
    let region = fields.nth(2)?;
    fields.next()?;
    (!region.is_empty()).then_some(region)
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`: two letters, words, a number, joined by `-`.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase()))
        && parts.last().is_some_and(|last| !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
}

/// Campaign and solution names: 1..63 characters, `[a-zA-Z0-9][a-zA-Z0-9_-]*`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    name.len() <= 63
        && first.is_ascii_alphanumeric()
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/a1b2c3d4";

    #[test]
    fn parses_a_version_and_derives_the_campaign() {
        let arn = SolutionVersionArn::parse(VERSION).unwrap();
        assert_eq!(arn.solution, "home-recs");
        assert_eq!(arn.version, "a1b2c3d4");
        assert!(!arn.is_latest());
        assert_eq!(arn.campaign_arn("web"), "arn:aws:personalize:us-east-1:111122223333:campaign/web");
        assert_eq!(arn.to_string(), VERSION);
        assert_eq!(
            arn.latest_alias(),
            "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/$LATEST"
        );
    }

    #[test]
    fn campaign_arns_round_trip_and_know_their_place() {
        let text = "arn:aws:personalize:eu-west-1:111122223333:campaign/home-recs";
        let arn = ResourceArn::parse(text).unwrap();
        assert_eq!(
            (arn.region.as_str(), arn.account.as_str(), arn.name.as_str()),
            ("eu-west-1", "111122223333", "home-recs")
        );
        assert_eq!(arn.to_string(), text);
        let other = ResourceArn::parse("arn:aws:personalize:eu-west-1:111122223333:campaign/web").unwrap();
        assert!(arn.same_place(&other));
        let elsewhere =
            ResourceArn::parse("arn:aws:personalize:us-east-1:111122223333:campaign/web").unwrap();
        assert!(!arn.same_place(&elsewhere));
        for wrong in [
            "arn:aws:personalize:eu-west-1:111122223333:solution/s",
            "arn:aws:s3:eu-west-1:111122223333:campaign/c",
            "arn:aws:personalize::111122223333:campaign/c",
            "arn:aws:personalize:eu-west-1:111122223333:campaign/",
            "campaign/c",
        ] {
            assert_eq!(ResourceArn::parse(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn dataset_group_arns_derive_recommender_arns() {
        let group =
            DatasetGroupArn::parse("arn:aws:personalize:eu-west-1:111122223333:dataset-group/shop").unwrap();
        assert_eq!(
            group.recommender_arn("for-you"),
            "arn:aws:personalize:eu-west-1:111122223333:recommender/for-you"
        );
        let recommender = ResourceArn::parse(&group.recommender_arn("for-you")).unwrap();
        assert_eq!(recommender.resource_type, "recommender");
        assert!(matches!(
            DatasetGroupArn::parse("arn:aws:personalize:eu-west-1:111122223333:solution/shop"),
            Err(ArnError::NotDatasetGroup { .. })
        ));
        assert!(matches!(
            DatasetGroupArn::parse("arn:aws:personalize:eu-west-1:1111:dataset-group/shop"),
            Err(ArnError::BadAccount { .. })
        ));
        assert!(matches!(
            DatasetGroupArn::parse("arn:aws:personalize:eu-west-1:111122223333:dataset-group/a.b"),
            Err(ArnError::BadDatasetGroupName { .. })
        ));
    }

    #[test]
    fn the_region_of_any_arn() {
        assert_eq!(region_of("arn:aws:personalize:eu-west-1:111122223333:campaign/c"), Some("eu-west-1"));
        assert_eq!(region_of("arn:aws:personalize:::recipe/aws-ecomm"), None);
        assert_eq!(region_of("not:an:arn:at:all"), None);
        assert_eq!(region_of("arn:aws:personalize:us-east-1"), None);
    }

    #[test]
    fn keeps_the_partition() {
        let arn =
            SolutionVersionArn::parse("arn:aws-cn:personalize:cn-north-1:111122223333:solution/s/$LATEST")
                .unwrap();
        assert!(arn.is_latest());
        assert_eq!(arn.campaign_arn("c"), "arn:aws-cn:personalize:cn-north-1:111122223333:campaign/c");
        assert!(
            SolutionVersionArn::parse("arn:aws-us-gov:personalize:us-gov-west-1:111122223333:solution/s/v1")
                .is_ok()
        );
    }

    #[test]
    fn rejects_what_is_not_a_solution_version() {
        let cases = [
            ("home-recs", ArnError::NotAnArn),
            ("arn:aws:s3:::bucket/key", ArnError::OtherService { service: "s3".into() }),
            ("arn:aws:personalize::111122223333:solution/s/v1", ArnError::EmptyPart { part: "region" }),
            ("arn:aws:personalize:us-east-1::solution/s/v1", ArnError::EmptyPart { part: "account" }),
            (
                "arn:aws:personalize:us-east-1:11112222333:solution/s/v1",
                ArnError::BadAccount { account: "11112222333".into() },
            ),
            (
                "arn:aws:personalize:us-east-1:1111222233a3:solution/s/v1",
                ArnError::BadAccount { account: "1111222233a3".into() },
            ),
            (
                "arn:aws:personalize:useast1:111122223333:solution/s/v1",
                ArnError::BadRegion { region: "useast1".into() },
            ),
            (
                "arn:aws:personalize:US-EAST-1:111122223333:solution/s/v1",
                ArnError::BadRegion { region: "US-EAST-1".into() },
            ),
            ("arn:aws:personalize:us-east-1:111122223333:solution/s", ArnError::MissingVersion),
            (
                "arn:aws:personalize:us-east-1:111122223333:dataset-group/g",
                ArnError::OtherResource { resource: "dataset-group".into() },
            ),
            (
                "arn:aws:personalize:us-east-1:111122223333:solution/-bad/v1",
                ArnError::BadSolutionName { name: "-bad".into() },
            ),
            (
                "arn:aws:personalize:us-east-1:111122223333:solution/s/v-1",
                ArnError::BadVersion { version: "v-1".into() },
            ),
            (
                "arn:aws:personalize:us-east-1:111122223333:solution/s/",
                ArnError::BadVersion { version: "".into() },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(SolutionVersionArn::parse(text), Err(expected), "{text}");
        }
        assert!(matches!(
            SolutionVersionArn::parse("arn:aws:personalize:us-east-1:111122223333:campaign/home"),
            Err(ArnError::CampaignArn { .. })
        ));
        let long = format!("arn:aws:personalize:us-east-1:111122223333:solution/s/{}", "a".repeat(300));
        assert!(matches!(SolutionVersionArn::parse(&long), Err(ArnError::TooLong { .. })));
    }

    #[test]
    fn names() {
        assert!(is_valid_name("a"));
        assert!(is_valid_name("Home_recs-2"));
        assert!(is_valid_name(&"a".repeat(63)));
        assert!(!is_valid_name(&"a".repeat(64)));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("_a"));
        assert!(!is_valid_name("a.b"));
        assert!(!is_valid_name("é"));
    }
}
