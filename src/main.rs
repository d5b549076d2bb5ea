use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use pz_apply::cli::{self, Cli};
use pz_apply::commands::{self, Environment};
use pz_apply::logging;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os().map(|arg| arg.to_string_lossy().into_owned()).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            if error.use_stderr()
                && let Some(hint) = cli::usage_hint(&args)
            {
                eprintln!("\nhint: {hint}");
            }
            // Usage errors exit 1 like every other error; 2 is kept for "changes pending".
            return ExitCode::from(if error.use_stderr() { 1 } else { 0 });
        }
    };
    let environment = Environment {
        github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        stdin_is_terminal: io::stdin().is_terminal(),
        stdout_is_terminal: io::stdout().is_terminal(),
        stderr_is_terminal: io::stderr().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        step_summary: std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()).map(Into::into),
    };
    logging::init(cli.verbose, cli.log_format, environment.colors(cli.color, environment.stderr_is_terminal));
    // Handles, not locks: progress bars and logs write to stderr from other threads.
    let mut stdout = io::stdout();
    let mut stderr = io::stderr();
    let result = commands::run(cli, &environment, &mut stdout, &mut stderr);
    let _ = stdout.flush();
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
