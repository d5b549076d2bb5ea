//! One module per subcommand; each writes its product to the writer it is given.

pub mod apply;
pub mod import;
pub mod plan;
pub mod status;
pub mod validate;

use std::io::Write;

use pz_emulator::RunningEmulator;

use crate::cli::{Cli, Command, ConnectionArgs};
use crate::error::Error;
use crate::live::aws::AwsPersonalize;
use crate::local;
use crate::validate::LoadedCampaign;

/// What the process knows of its surroundings, read once at the edge.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `GITHUB_ACTIONS=true`: also print workflow annotations.
    pub github_actions: bool,
    /// Standard input, output and error are terminals.
    pub stdin_is_terminal: bool,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` is set to something.
    pub no_color: bool,
}

/// How a command that succeeded ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// `plan --detailed-exitcode` found something to do.
    ChangesPending,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::ChangesPending => 2,
        }
    }
}

pub fn run(
    cli: Cli,
    environment: &Environment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Outcome, Error> {
    match cli.command {
        Command::Validate(args) => {
            validate::run(&args, environment, stdout, stderr).map(|()| Outcome::Success)
        }
        Command::Plan(args) => {
            plan::run(&args, &cli.connection, cli.verbose > 0, environment, stdout, stderr)
        }
        Command::Apply(args) => {
            apply::run(&args, &cli.connection, cli.verbose > 0, environment, stdout, stderr)
        }
        Command::Import(args) => {
            import::run(&args, &cli.connection, stdout, stderr).map(|()| Outcome::Success)
        }
        Command::Status(args) => {
            status::run(&args, &cli.connection, stdout, stderr).map(|()| Outcome::Success)
        }
        Command::Schema => {
            stdout.write_all(crate::spec::campaign_schema_json().as_bytes())?;
            Ok(Outcome::Success)
        }
    }
}

/// A runtime for the commands that call AWS; validate and schema never start one.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)
}

/// The Personalize client the flags ask for, and with `--local` the emulator behind it, which must live
/// as long as the client is used.
async fn connect(
    connection: &ConnectionArgs,
    campaigns: &[LoadedCampaign],
) -> Result<(AwsPersonalize, Option<RunningEmulator>), Error> {
    let options = connection.client_options();
    // Checked here, not by clap: clap does not enforce conflicts between global flags given after the
    // subcommand.
    if connection.local && (connection.endpoint_url.is_some() || connection.profile.is_some()) {
        return Err(Error::Usage(
            "--local runs against the embedded emulator; it cannot be combined with --endpoint-url or --profile"
                .to_string(),
        ));
    }
    if connection.local {
        let workdir = std::env::current_dir().map_err(Error::Output)?;
        let emulator = local::start(&workdir, campaigns).await?;
        let api = AwsPersonalize::for_endpoint(&emulator.endpoint_url(), &options);
        return Ok((api, Some(emulator)));
    }
    // The SDK reads this one itself; checked first, so that a bad value is one clear line, not an SDK error.
    if connection.endpoint_url.is_none()
        && let Ok(value) = std::env::var(ENDPOINT_VARIABLE)
        && !value.is_empty()
    {
        crate::cli::parse_endpoint_url(&value)
            .map_err(|message| Error::Usage(format!("{ENDPOINT_VARIABLE}: {message}")))?;
    }
    Ok((AwsPersonalize::connect(&options).await?, None))
}

/// The environment variable with which AWS's SDKs send Personalize calls elsewhere.
const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL_PERSONALIZE";
