//! `--local`: pz-emulator in-process, its state in `.pz-apply/` in the working directory, seeded so that
//! the solutions the campaign files name exist. For trying pz-apply and for demos, with no AWS account.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use pz_emulator::seed::{SeedDatasetGroup, SeedSolution};
use pz_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed, StartError, Timing};
use pz_emulator::{SeedVersion, SeedVersionDetail};

use crate::arn::SolutionVersionArn;
use crate::spec::ResourceSpec;
use crate::validate::LoadedResource;

/// The folder, under the working directory, that holds the local emulator's state.
pub const LOCAL_DIR: &str = ".pz-apply";
const STATE_FILE: &str = "emulator-state.json";

/// The version id given to a solution that the files only reach through `$LATEST`.
pub const LOCAL_VERSION_ID: &str = "local0001";

/// How long a create or update takes on the local emulator: long enough to watch, short enough to wait for.
pub const LOCAL_TRANSITION_SECONDS: f64 = 3.0;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot create {}: {source}", path.display())]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("the local emulator's seed is invalid: {0}")]
    Seed(String),
    #[error("cannot start the local emulator: {0}")]
    Start(#[from] StartError),
}

/// The solutions and versions the campaigns refer to (every pinned version, and one version for a
/// solution only followed through `$LATEST`, so that it has something to serve), and the dataset groups
/// the recommenders belong to, in the domain of their recipe.
pub fn seed_for(resources: &[LoadedResource]) -> Seed {
    let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut dataset_groups: BTreeMap<String, SeedDatasetGroup> = BTreeMap::new();
    for resource in resources {
        let campaign = match &resource.spec {
            ResourceSpec::Campaign(campaign) => campaign,
            ResourceSpec::Recommender(recommender) => {
                let domain = if recommender.recipe_arn.contains("/aws-vod-") {
                    "VIDEO_ON_DEMAND"
                } else {
                    "ECOMMERCE"
                };
                dataset_groups.entry(recommender.dataset_group_arn.clone()).or_insert_with(|| {
                    SeedDatasetGroup {
                        dataset_group_arn: recommender.dataset_group_arn.clone(),
                        domain: Some(domain.to_string()),
                    }
                });
                continue;
            }
        };
        let Ok(arn) = SolutionVersionArn::parse(&campaign.solution_version_arn) else { continue };
        let entry = versions.entry(arn.solution_arn()).or_default();
        if !arn.is_latest() {
            entry.insert(arn.version.clone());
        }
    }
    let solutions = versions
        .into_iter()
        .map(|(solution_arn, ids)| {
            let ids =
                if ids.is_empty() { vec![LOCAL_VERSION_ID.to_string()] } else { ids.into_iter().collect() };
            SeedSolution { solution_arn, versions: ids.into_iter().map(example_version).collect() }
        })
        .collect();
    Seed { solutions, dataset_groups: dataset_groups.into_values().collect(), ..Seed::default() }
}

/// An ACTIVE version with offline metrics, so that the quick-start's plan shows them. The values are made
/// up, a little different per version id, and the same on every run.
fn example_version(id: String) -> SeedVersion {
    let spread = id.bytes().map(u32::from).sum::<u32>() % 20;
    let scale = 0.9 + f64::from(spread) / 100.0;
    let metrics = [
        ("coverage", 0.21),
        ("mean_reciprocal_rank_at_25", 0.094),
        ("normalized_discounted_cumulative_gain_at_10", 0.128),
        ("precision_at_25", 0.041),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), (value * scale * 10_000.0).round() / 10_000.0))
    .collect();
    SeedVersion::Detailed(SeedVersionDetail {
        id,
        status: None,
        training_mode: None,
        training_hours: Some(1.5),
        failure_reason: None,
        metrics,
    })
}

/// Starts the emulator on a free loopback port, with the state kept in `<workdir>/.pz-apply/`.
pub async fn start(workdir: &Path, campaigns: &[LoadedResource]) -> Result<RunningEmulator, LocalError> {
    let folder = workdir.join(LOCAL_DIR);
    std::fs::create_dir_all(&folder).map_err(|source| LocalError::Folder { path: folder.clone(), source })?;
    let seed = seed_for(campaigns)
        .to_state(pz_emulator::state::now())
        .map_err(|e| LocalError::Seed(e.to_string()))?;
    let emulator = Emulator::new(EmulatorConfig {
        timing: Timing { transition_seconds: LOCAL_TRANSITION_SECONDS },
        seed: seed.clone(),
        state_file: Some(folder.join(STATE_FILE)),
        stale_reads: 0,
    })?;
    // Files added since the state file was written may name new solutions or dataset groups.
    emulator.add_missing_sources(&seed);
    Ok(emulator.start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::check_source;

    #[test]
    fn seeds_every_pinned_version_and_one_for_latest_only_solutions() {
        let (campaigns, diagnostics) = check_source(
            Path::new("c.yaml"),
            "name: a\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n---\n\
             name: b\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/$LATEST\n\
             campaignConfig:\n  syncWithLatestSolutionVersion: true\n---\n\
             name: c\nsolutionVersionArn: arn:aws:personalize:eu-west-1:111122223333:solution/t/$LATEST\n\
             campaignConfig:\n  syncWithLatestSolutionVersion: true\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let seed = seed_for(&campaigns);
        let solutions: Vec<(&str, Vec<&str>)> = seed
            .solutions
            .iter()
            .map(|solution| {
                (solution.solution_arn.as_str(), solution.versions.iter().map(SeedVersion::id).collect())
            })
            .collect();
        assert_eq!(
            solutions,
            [
                ("arn:aws:personalize:eu-west-1:111122223333:solution/t", vec![LOCAL_VERSION_ID]),
                ("arn:aws:personalize:us-east-1:111122223333:solution/s", vec!["v1"]),
            ]
        );
        // Every local version has example metrics, different per version, the same on every run.
        let metrics = |version: &SeedVersion| match version {
            SeedVersion::Detailed(detail) => detail.metrics.clone(),
            SeedVersion::Id(_) => Default::default(),
        };
        let (t, s) = (metrics(&seed.solutions[0].versions[0]), metrics(&seed.solutions[1].versions[0]));
        assert_eq!(t.len(), 4);
        assert_ne!(t, s);
        assert_eq!(t, metrics(&seed_for(&campaigns).solutions[0].versions[0]));
    }
}
