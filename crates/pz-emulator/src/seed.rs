//! The seed file: the solutions, versions and campaigns the emulator starts with (YAML or JSON).
//!
//! ```yaml
//! solutions:
//!   - solutionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs
//!     versions: [a1b2c3d4, 5e6f7a8b]      # ACTIVE versions, oldest first
//! campaigns:                             # ACTIVE from the start
//!   - name: home-recs
//!     solutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs/a1b2c3d4
//!     minProvisionedTPS: 1
//!     campaignConfig: { syncWithLatestSolutionVersion: false }
//!     tags: { team: discovery }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{self, ApiError, Timing};
use crate::state::{ACTIVE, Solution, SolutionVersion, State};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub solutions: Vec<SeedSolution>,
    #[serde(default)]
    pub campaigns: Vec<SeedCampaign>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSolution {
    pub solution_arn: String,
    /// Version ids, oldest first; all ACTIVE.
    #[serde(default)]
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedCampaign {
    pub name: String,
    pub solution_version_arn: String,
    #[serde(default, rename = "minProvisionedTPS")]
    pub min_provisioned_tps: Option<i32>,
    #[serde(default)]
    pub campaign_config: Option<Value>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("seed file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error(
        "seed: solution {arn} is not a solution ARN (arn:<partition>:personalize:<region>:<account>:solution/<name>)"
    )]
    BadSolution { arn: String },
    #[error("seed: campaign {name}: {source}")]
    Campaign { name: String, source: ApiError },
}

impl Seed {
    pub fn from_file(path: &Path) -> Result<Seed, SeedError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| SeedError::Read { path: display.clone(), source })?;
        let parsed = if path.extension().is_some_and(|extension| extension == "json") {
            serde_json::from_str(&text).map_err(|error| error.to_string())
        } else {
            let mut options = serde_saphyr::Options::default();
            options.strict_booleans = true;
            serde_saphyr::from_str_with_options(&text, options).map_err(|error| error.to_string())
        };
        parsed.map_err(|message| SeedError::Parse { path: display, message })
    }

    /// The state this seed describes at time `now`: versions a second apart so "newest" is well defined,
    /// campaigns created through the same code path as CreateCampaign and then finished.
    pub fn to_state(&self, now: f64) -> Result<State, SeedError> {
        let mut state = State::default();
        let versions_total =
            self.solutions.iter().map(|solution| solution.versions.len()).sum::<usize>() as f64;
        let mut clock = now - versions_total - 1.0;
        for solution in &self.solutions {
            let name = solution
                .solution_arn
                .split_once(":solution/")
                .map(|(_, name)| name)
                .filter(|name| api::is_valid_name(name) && solution.solution_arn.starts_with("arn:"))
                .ok_or_else(|| SeedError::BadSolution { arn: solution.solution_arn.clone() })?;
            state.solutions.insert(
                solution.solution_arn.clone(),
                Solution {
                    name: name.to_string(),
                    solution_arn: solution.solution_arn.clone(),
                    status: ACTIVE.to_string(),
                    creation_date_time: clock,
                    last_updated_date_time: clock,
                },
            );
            for version in &solution.versions {
                clock += 1.0;
                let arn = format!("{}/{version}", solution.solution_arn);
                state.solution_versions.insert(
                    arn.clone(),
                    SolutionVersion {
                        solution_version_arn: arn,
                        solution_arn: solution.solution_arn.clone(),
                        status: ACTIVE.to_string(),
                        creation_date_time: clock,
                        last_updated_date_time: clock,
                    },
                );
            }
        }
        let instant = Timing { transition_seconds: 0.0 };
        for campaign in &self.campaigns {
            let tags: Vec<Value> = campaign
                .tags
                .iter()
                .map(|(key, value)| json!({ "tagKey": key, "tagValue": value }))
                .collect();
            let mut input = json!({
                "name": campaign.name,
                "solutionVersionArn": campaign.solution_version_arn,
                "minProvisionedTPS": campaign.min_provisioned_tps.unwrap_or(1),
                "tags": tags,
            });
            if let Some(config) = &campaign.campaign_config {
                input["campaignConfig"] = config.clone();
            }
            api::call(&mut state, instant, "CreateCampaign", &input, now)
                .map_err(|source| SeedError::Campaign { name: campaign.name.clone(), source })?;
        }
        state.advance(now);
        Ok(state)
    }
}
