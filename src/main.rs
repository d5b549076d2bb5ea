use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use pz_apply::cli::Cli;
use pz_apply::commands::{self, Environment};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // Usage errors exit 1 like every other error; 2 is kept for "changes pending".
            return ExitCode::from(if error.use_stderr() { 1 } else { 0 });
        }
    };
    let environment = Environment {
        github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        stdout_is_terminal: io::stdout().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    let mut stdout = io::stdout().lock();
    let mut stderr = io::stderr().lock();
    let result = commands::run(cli, &environment, &mut stdout, &mut stderr);
    let _ = stdout.flush();
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
