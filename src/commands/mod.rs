//! One module per subcommand; each writes its product to the writer it is given.

pub mod validate;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::error::Error;

/// What the process knows of its surroundings, read once at the edge.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `GITHUB_ACTIONS=true`: also print workflow annotations.
    pub github_actions: bool,
}

pub fn run(
    cli: Cli,
    environment: &Environment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Error> {
    match cli.command {
        Command::Validate(args) => validate::run(&args, environment, stdout, stderr),
        Command::Schema => {
            stdout.write_all(crate::spec::campaign_schema_json().as_bytes())?;
            Ok(())
        }
    }
}
