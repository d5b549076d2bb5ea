//! `pz-apply init [DIR]`: a repository to start from: one commented campaign, the schema for editors, the
//! emulator's state kept out of git, and with `--ci` the workflow that plans and applies.

use std::io::Write;
use std::path::Path;

use crate::cli::{CiSystem, InitArgs};
use crate::error::Error;

/// The files `init` writes, shipped inside the binary. The workflows are the ones `docs/ci.md` shows and
/// `.ci/run` lints.
const EXAMPLE_CAMPAIGN: &str = include_str!("../../examples/campaign.yaml");
const GITHUB_WORKFLOW: &str = include_str!("../../examples/ci/github/pz-apply.yml");
const GITHUB_DRIFT_WORKFLOW: &str = include_str!("../../examples/ci/github/pz-apply-drift.yml");
const GITLAB_PIPELINE: &str = include_str!("../../examples/ci/gitlab/gitlab-ci.yml");

/// Where the schema lives in a repository; campaign files point at it with their modeline.
pub const SCHEMA_FILE: &str = "schemas/campaign.schema.json";

/// What init did with one file.
enum Written {
    Wrote,
    Kept,
}

pub fn run(args: &InitArgs, stdout: &mut dyn Write) -> Result<(), Error> {
    let schema = crate::spec::schema_json();
    let mut files: Vec<(&str, &str)> =
        vec![("campaigns/my-campaign.yaml", EXAMPLE_CAMPAIGN), (SCHEMA_FILE, schema.as_str())];
    match args.ci {
        Some(CiSystem::Github) => {
            files.push((".github/workflows/pz-apply.yml", GITHUB_WORKFLOW));
            files.push((".github/workflows/pz-apply-drift.yml", GITHUB_DRIFT_WORKFLOW));
        }
        Some(CiSystem::Gitlab) => files.push((".gitlab-ci.yml", GITLAB_PIPELINE)),
        None => {}
    }
    for (relative, text) in files {
        let path = args.dir.join(relative);
        match write_new(&path, text, args.force)? {
            Written::Wrote => writeln!(stdout, "wrote {}", path.display())?,
            Written::Kept => writeln!(stdout, "kept {} (it exists; --force overwrites it)", path.display())?,
        }
    }
    let gitignore = args.dir.join(".gitignore");
    if ignore_local_state(&gitignore)? {
        writeln!(stdout, "added .pz-apply/ to {}", gitignore.display())?;
    }
    writeln!(stdout, "\nNext:")?;
    if args.dir != Path::new(".") {
        writeln!(stdout, "  cd {}", args.dir.display())?;
    }
    writeln!(
        stdout,
        "  pz-apply validate\n  pz-apply plan --local   # on the embedded emulator: no AWS account needed\n  \
         pz-apply plan           # against AWS, read-only\nEdit campaigns/my-campaign.yaml, or write a file for \
         each campaign you already have with `pz-apply import --all`."
    )?;
    Ok(())
}

fn write_new(path: &Path, text: &str, force: bool) -> Result<Written, Error> {
    if path.exists() && !force {
        return Ok(Written::Kept);
    }
    let failed = |source| Error::WriteFile { path: path.to_path_buf(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)?;
    Ok(Written::Wrote)
}

/// Adds `.pz-apply/` (the `--local` emulator's state) to `.gitignore` unless it is there; true when added.
fn ignore_local_state(gitignore: &Path) -> Result<bool, Error> {
    let failed = |source| Error::WriteFile { path: gitignore.to_path_buf(), source };
    let existing = match std::fs::read_to_string(gitignore) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(failed(error)),
    };
    let listed =
        existing.lines().any(|line| matches!(line.trim(), ".pz-apply" | ".pz-apply/" | "/.pz-apply/"));
    if listed {
        return Ok(false);
    }
    let separator = if existing.is_empty() || existing.ends_with('\n') { "" } else { "\n" };
    let text =
        format!("{existing}{separator}# pz-apply --local: the embedded emulator's state\n.pz-apply/\n");
    if let Some(parent) = gitignore.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(gitignore, text).map_err(failed)?;
    Ok(true)
}
