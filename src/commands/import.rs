//! `pz-apply import`: files for campaigns and recommenders that exist already.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::arn::ResourceArn;
use crate::cli::ImportArgs;
use crate::error::Error;
use crate::import::{Imported, campaign_file, recommender_file};
use crate::live::{LiveError, LiveResource, PersonalizeApi, describe_resource, map_concurrently};
use crate::load::{self, LoadError};
use crate::plan::observe::patiently;
use crate::spec::Kind;

/// Resources read at once.
const CONCURRENCY: usize = 8;

pub fn run(args: &ImportArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<(), Error> {
    let mut named = Vec::with_capacity(args.arns.len());
    for arn in &args.arns {
        let Some(kind) = kind_of(arn) else {
            return Err(Error::Usage(format!(
                "{arn} is not a campaign or recommender ARN (arn:aws:personalize:<region>:<account>:campaign/<name> \
                 or ...:recommender/<name>)"
            )));
        };
        named.push((kind, arn.clone()));
    }
    // Which resources some file defines already, and where.
    let defined = if args.stdout { BTreeMap::new() } else { defined_in(&args.dir)? };
    let existing: Vec<_> = defined.values().map(|(campaign, _)| campaign.clone()).collect();
    let runtime = super::runtime()?;
    let (api, _emulator) = runtime.block_on(super::connect(&args.connection, &existing))?;
    let api = Arc::new(api);
    let region = args.connection.region.as_deref();
    let targets: Vec<(Kind, String)> = if !named.is_empty() {
        named
    } else {
        let mut targets = Vec::new();
        if args.all || args.solution.is_some() {
            let listed = runtime.block_on(api.list_campaigns(region, args.solution.as_deref()))?;
            targets.extend(listed.into_iter().map(|summary| (Kind::Campaign, summary.arn)));
        }
        if args.all || args.dataset_group.is_some() {
            let listed = runtime.block_on(api.list_recommenders(region, args.dataset_group.as_deref()))?;
            targets.extend(listed.into_iter().map(|summary| (Kind::Recommender, summary.arn)));
        }
        targets
    };
    let read = runtime.block_on(read_all(api, &targets));
    super::unreachable(read.iter().filter_map(|result| result.as_ref().err()))?;

    let schema = schema_path(&args.dir);
    let (mut written, mut skipped, mut failed) = (0, 0, 0);
    let mut first = true;
    for ((kind, arn), result) in targets.iter().zip(read) {
        let (live, tags) = match result {
            Ok(Some(found)) => found,
            Ok(None) => {
                writeln!(stderr, "error: {arn}: no such {}", kind.noun())?;
                failed += 1;
                continue;
            }
            Err(error) => {
                writeln!(stderr, "error: {arn}: {error}")?;
                failed += 1;
                continue;
            }
        };
        let imported = match &live {
            LiveResource::Campaign(campaign) => campaign_file(campaign, &tags, &schema),
            LiveResource::Recommender(recommender) => recommender_file(recommender, &tags, &schema),
        };
        let name = live.name();
        let (text, warnings) = match imported {
            Imported::File { text, warnings } => (text, warnings),
            Imported::Skipped { reason } => {
                writeln!(stderr, "skipped {name}: {reason}")?;
                skipped += 1;
                continue;
            }
        };
        for warning in &warnings {
            writeln!(stderr, "warning: {name}: {warning}")?;
        }
        if args.stdout {
            if !first {
                writeln!(stdout, "---")?;
            }
            first = false;
            stdout.write_all(text.as_bytes())?;
            written += 1;
            continue;
        }
        let path = args.dir.join(format!("{name}.yaml"));
        if !args.force {
            if let Some((_, file)) = defined.get(live.arn()) {
                writeln!(
                    stderr,
                    "skipped {name}: already defined in {} (--force writes it anyway)",
                    file.display()
                )?;
                skipped += 1;
                continue;
            }
            if path.exists() {
                writeln!(stderr, "skipped {name}: {} exists (--force overwrites it)", path.display())?;
                skipped += 1;
                continue;
            }
        }
        std::fs::create_dir_all(&args.dir)
            .map_err(|source| Error::WriteFile { path: args.dir.clone(), source })?;
        std::fs::write(&path, &text).map_err(|source| Error::WriteFile { path: path.clone(), source })?;
        writeln!(stdout, "wrote {}", path.display())?;
        written += 1;
    }
    // The files' modeline points at the schema; without it, editors would have nothing to check with.
    let schema_file = Path::new(super::init::SCHEMA_FILE);
    if written > 0 && !args.stdout && !schema_file.exists() {
        let failed = |source| Error::WriteFile { path: schema_file.to_path_buf(), source };
        std::fs::create_dir_all("schemas").map_err(failed)?;
        std::fs::write(schema_file, crate::spec::schema_json()).map_err(failed)?;
        writeln!(stdout, "wrote {} (the schema the files' modeline points to)", schema_file.display())?;
    }
    writeln!(stderr, "{written} imported, {skipped} skipped, {failed} failed")?;
    if failed > 0 {
        return Err(Error::CallsFailed { failed, total: targets.len() });
    }
    Ok(())
}

/// What an ARN given to import names: a campaign, a recommender, or (`None`) neither.
fn kind_of(arn: &str) -> Option<Kind> {
    match ResourceArn::parse(arn)?.resource_type.as_str() {
        "campaign" => Some(Kind::Campaign),
        "recommender" => Some(Kind::Recommender),
        _ => None,
    }
}

/// Campaigns and recommenders defined by the files under `dir`, by ARN. A folder that does not exist defines none; files
/// with problems must be fixed first, or import could not tell what they define.
fn defined_in(dir: &Path) -> Result<BTreeMap<String, (crate::validate::LoadedResource, PathBuf)>, Error> {
    let catalog = match load::load(&[dir.to_path_buf()]) {
        Ok(catalog) => catalog,
        Err(LoadError::NotFound { .. } | LoadError::NoDefaultDirectory | LoadError::NoFiles { .. }) => {
            return Ok(BTreeMap::new());
        }
        Err(error) => return Err(error.into()),
    };
    if !catalog.is_valid() {
        return Err(Error::Usage(format!(
            "the files in {} have problems, so import cannot tell what they define: run `pz-apply \
             validate {}` and fix them first",
            dir.display(),
            dir.display()
        )));
    }
    Ok(catalog
        .campaigns
        .into_iter()
        .map(|campaign| {
            let file = campaign.file.clone();
            (campaign.arn.clone(), (campaign, file))
        })
        .collect())
}

/// The modeline's path from `dir` to `schemas/campaign.schema.json` in the working directory.
fn schema_path(dir: &Path) -> String {
    let depth = dir.components().filter(|component| matches!(component, Component::Normal(_))).count();
    let relative =
        dir.components().all(|component| matches!(component, Component::Normal(_) | Component::CurDir));
    if relative {
        format!("{}schemas/campaign.schema.json", "../".repeat(depth))
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join("schemas/campaign.schema.json").display().to_string())
            .unwrap_or_else(|_| "schemas/campaign.schema.json".to_string())
    }
}

type Found = Option<(LiveResource, BTreeMap<String, String>)>;

/// Describes each resource and lists its tags, a few at a time, in the order given.
async fn read_all<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    targets: &[(Kind, String)],
) -> Vec<Result<Found, LiveError>> {
    map_concurrently(targets.to_vec(), CONCURRENCY, move |(kind, arn), slots| {
        let api = api.clone();
        async move {
            let Some(live) = patiently(|| slots.call(describe_resource(api.as_ref(), kind, &arn))).await?
            else {
                return Ok(None);
            };
            let tags = patiently(|| slots.call(api.list_tags(&arn))).await?;
            Ok(Some((live, tags)))
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_modeline_points_back_from_the_folder() {
        assert_eq!(schema_path(Path::new("campaigns")), "../schemas/campaign.schema.json");
        assert_eq!(schema_path(Path::new("teams/search")), "../../schemas/campaign.schema.json");
        assert_eq!(kind_of("arn:aws:personalize:us-east-1:111122223333:campaign/home"), Some(Kind::Campaign));
        assert_eq!(
            kind_of("arn:aws:personalize:us-east-1:111122223333:recommender/shop"),
            Some(Kind::Recommender)
        );
        assert_eq!(kind_of("arn:aws:personalize:us-east-1:111122223333:solution/home"), None);
        assert_eq!(kind_of("home"), None);
    }
}
