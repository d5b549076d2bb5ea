//! `pz-apply plan`: the exact diff of live against desired, for terminals, pull requests and machines.
//! Read-only: it describes, it never writes.

use std::io::Write;
use std::sync::Arc;

use crate::cli::{ColorChoice, ConnectionArgs, PlanArgs, PlanFormat};
use crate::commands::{Environment, Outcome};
use crate::error::Error;
use crate::load;
use crate::plan::{observe, plan_all};
use crate::render::{self, text::TextOptions};
use crate::report;

pub fn run(
    args: &PlanArgs,
    connection: &ConnectionArgs,
    verbose: bool,
    environment: &Environment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Outcome, Error> {
    let catalog = load::load(&args.paths)?;
    if !catalog.is_valid() {
        report::write_text(stderr, &catalog.diagnostics, &catalog.sources)?;
        return Err(super::validate::invalid(&catalog));
    }
    let observed = super::runtime()?.block_on(async {
        let (api, _emulator) = super::connect(connection, &catalog.campaigns).await?;
        Ok::<_, Error>(observe(Arc::new(api), &catalog.campaigns, args.concurrency as usize).await)
    })?;
    let (plan, failures) = plan_all(&catalog.campaigns, &observed);
    if !failures.is_empty() {
        // A plan with holes would not be what apply does: report each failure and print no plan.
        for (name, error) in &failures {
            writeln!(stderr, "error: campaign {name}: {error}")?;
        }
        return Err(Error::CallsFailed { failed: failures.len(), total: catalog.campaigns.len() });
    }
    match args.format {
        PlanFormat::Text => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => environment.stdout_is_terminal && !environment.no_color,
            };
            render::text::write_plan(stdout, &plan, TextOptions { color, verbose })?;
        }
        PlanFormat::Markdown => stdout.write_all(render::markdown::render(&plan).as_bytes())?,
        PlanFormat::Json => {
            let document = render::json::plan_document(&plan, false);
            writeln!(stdout, "{}", serde_json::to_string_pretty(&document).map_err(std::io::Error::other)?)?;
        }
    }
    if let Some(path) = &args.out {
        let document = render::json::plan_document(&plan, true);
        let text = serde_json::to_string_pretty(&document).map_err(std::io::Error::other)?;
        std::fs::write(path, text + "\n")
            .map_err(|source| Error::WriteFile { path: path.clone(), source })?;
    }
    Ok(if args.detailed_exitcode && plan.has_changes() { Outcome::ChangesPending } else { Outcome::Success })
}
