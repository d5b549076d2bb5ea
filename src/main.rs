use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use pz_apply::cli::{Cli, LogFormat};
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
        stdin_is_terminal: io::stdin().is_terminal(),
        stdout_is_terminal: io::stdout().is_terminal(),
        stderr_is_terminal: io::stderr().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    init_logging(cli.verbose, cli.log_format);
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

/// Logs go to stderr, so stdout stays the command's product. `PZ_LOG` wins over `-v`.
fn init_logging(verbose: u8, format: LogFormat) {
    // aws-config warns about every credential and region source it tries and does not find (instance
    // metadata, profiles); pz-apply reports what matters itself, so those stay quiet unless asked for.
    let default = match verbose {
        0 => "warn,aws_config=error",
        1 => "info,aws_config=warn",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PZ_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()));
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
