//! `pz-apply plan`: the exact diff of live against desired, for terminals, pull requests and machines.
//! Read-only: it describes, it never writes.

use std::io::Write;
use std::sync::Arc;

use crate::cli::{PlanArgs, PlanFormat};
use crate::commands::validate::ProblemsOnStdout;
use crate::commands::{Environment, Outcome};
use crate::error::Error;
use crate::plan::{plan_live, unmanaged};
use crate::render::{self, text::TextOptions};

pub fn run(
    args: &PlanArgs,
    text: TextOptions,
    environment: &Environment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Outcome, Error> {
    let on_stdout = match args.format {
        PlanFormat::Json => ProblemsOnStdout::Document,
        PlanFormat::Text | PlanFormat::Markdown => ProblemsOnStdout::Nothing,
    };
    let catalog = super::validate::load_valid(&args.paths, on_stdout, stdout, stderr)?;
    let (plan, failures, unmanaged) = super::runtime()?.block_on(async {
        let (api, _emulator) = super::connect(&args.connection, &catalog.campaigns).await?;
        let api = Arc::new(api);
        let concurrency = args.concurrency as usize;
        let (plan, failures) = plan_live(api.clone(), &catalog.campaigns, concurrency, Arc::default()).await;
        let unmanaged = match args.show_unmanaged {
            true => Some(unmanaged(api.as_ref(), &catalog.campaigns).await?),
            false => None,
        };
        Ok::<_, Error>((plan, failures, unmanaged))
    })?;
    if !failures.is_empty() {
        // A plan with holes would not be what apply does: report each failure and print no plan.
        return Err(super::calls_failed(&failures, catalog.campaigns.len(), stderr)?);
    }
    match args.format {
        PlanFormat::Text => {
            render::text::write_plan(stdout, &plan, text)?;
            if let Some(unmanaged) = &unmanaged {
                render::text::write_unmanaged(stdout, unmanaged)?;
            }
        }
        PlanFormat::Markdown => {
            stdout.write_all(render::markdown::render(&plan).as_bytes())?;
            if let Some(unmanaged) = &unmanaged {
                stdout.write_all(render::markdown::unmanaged_section(unmanaged).as_bytes())?;
            }
        }
        PlanFormat::Json => {
            let unmanaged = unmanaged.as_deref().map(render::json::unmanaged_document);
            render::json::write_plan_document(stdout, &plan, false, unmanaged.as_ref())?;
        }
    }
    if environment.github_actions
        && let Some(path) = &environment.step_summary
    {
        // The job summary is a courtesy: a runner that cannot take it does not fail the plan.
        let append = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            file.write_all(render::markdown::render(&plan).as_bytes())
        };
        if let Err(error) = append() {
            writeln!(stderr, "warning: cannot add the plan to the job summary {}: {error}", path.display())?;
        }
    }
    if let Some(path) = &args.out {
        let write = |path: &std::path::Path| -> std::io::Result<()> {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            render::json::write_plan_document(&mut file, &plan, true, None)?;
            file.flush()
        };
        write(path).map_err(|source| Error::WriteFile { path: path.clone(), source })?;
    }
    Ok(if args.detailed_exitcode && plan.has_changes() { Outcome::ChangesPending } else { Outcome::Success })
}
