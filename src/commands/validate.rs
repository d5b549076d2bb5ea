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
        return Err(invalid(&catalog));
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

/// What a command that calls AWS writes on stdout when the files are invalid, so that a tool reading its
/// machine format still learns why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemsOnStdout {
    /// Text output: the problems go to stderr only.
    Nothing,
    /// One JSON document: the array `validate --format json` prints.
    Document,
    /// NDJSON: one `{"event": "invalid", "problems": [...]}` line.
    Event,
}

/// Loads `paths` for a command that goes on to call AWS: invalid files are reported on stderr (stdout is
/// the command's product; a machine format also gets them there) and stop it before any call.
pub fn load_valid(
    paths: &[std::path::PathBuf],
    on_stdout: ProblemsOnStdout,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Catalog, Error> {
    let catalog = load::load(paths)?;
    if !catalog.is_valid() {
        report::write_text(stderr, &catalog.diagnostics, &catalog.sources)?;
        match on_stdout {
            ProblemsOnStdout::Nothing => {}
            ProblemsOnStdout::Document => report::write_json(stdout, &catalog.diagnostics)?,
            ProblemsOnStdout::Event => {
                let problems = report::diagnostics_json(&catalog.diagnostics);
                writeln!(stdout, "{}", serde_json::json!({ "event": "invalid", "problems": problems }))?;
            }
        }
        return Err(invalid(&catalog));
    }
    Ok(catalog)
}

/// The error for a catalog with problems, counting them and the files they are in.
fn invalid(catalog: &Catalog) -> Error {
    let files_with_problems: BTreeSet<_> =
        catalog.diagnostics.iter().map(|diagnostic| &diagnostic.file).collect();
    Error::InvalidFiles {
        problems: catalog.diagnostics.len(),
        files: files_with_problems.len(),
        checked: catalog.files.len(),
    }
}
