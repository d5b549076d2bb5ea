//! `pz-apply validate`: every problem in every file, offline.

use std::collections::BTreeSet;
use std::io::Write;

use crate::cli::{OutputFormat, ValidateArgs};
use crate::commands::Environment;
use crate::error::{Error, plural};
use crate::load::{self, Catalog};
use crate::report;

pub fn run(
    args: &ValidateArgs,
    environment: &Environment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Error> {
    let catalog = load::load(&args.paths)?;
    match args.format {
        OutputFormat::Text => {
            report::write_text(stdout, &catalog.diagnostics, &catalog.sources)?;
            if environment.github_actions {
                report::write_github_annotations(stdout, &catalog.diagnostics)?;
            }
        }
        OutputFormat::Json => {
            report::write_json(stdout, &catalog.diagnostics)?;
            // stdout holds one JSON document; the runner reads annotations from stderr as well.
            if environment.github_actions {
                report::write_github_annotations(stderr, &catalog.diagnostics)?;
            }
        }
    }
    if !catalog.is_valid() {
        let files_with_problems: BTreeSet<_> =
            catalog.diagnostics.iter().map(|diagnostic| &diagnostic.file).collect();
        return Err(Error::InvalidFiles {
            problems: catalog.diagnostics.len(),
            files: files_with_problems.len(),
            checked: catalog.files.len(),
        });
    }
    if args.format == OutputFormat::Text {
        writeln!(
            stdout,
            "{} {} in {} {}: valid",
            catalog.campaigns.len(),
            plural(catalog.campaigns.len(), "campaign"),
            catalog.files.len(),
            plural(catalog.files.len(), "file")
        )?;
    }
    Ok(())
}

/// The error for a catalog with problems, counting them and the files they are in.
pub fn invalid(catalog: &Catalog) -> Error {
    let files_with_problems: BTreeSet<_> =
        catalog.diagnostics.iter().map(|diagnostic| &diagnostic.file).collect();
    Error::InvalidFiles {
        problems: catalog.diagnostics.len(),
        files: files_with_problems.len(),
        checked: catalog.files.len(),
    }
}
