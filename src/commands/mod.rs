//! One module per subcommand; each writes its product to the writer it is given.

pub mod apply;
pub mod import;
pub mod init;
pub mod plan;
pub mod status;
pub mod validate;

use std::io::Write;

use clap::CommandFactory;

use pz_emulator::RunningEmulator;

use crate::cli::{Cli, ColorChoice, Command, ConnectionArgs};
use crate::error::Error;
use crate::live::LiveError;
use crate::live::aws::AwsPersonalize;
use crate::local;
use crate::render::text::TextOptions;
use crate::validate::LoadedResource;

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
    /// `GITHUB_STEP_SUMMARY` on GitHub Actions: the job summary file, where plan adds its Markdown.
    pub step_summary: Option<std::path::PathBuf>,
}

impl Environment {
    /// Whether to colour a stream: `auto` only on a terminal and without NO_COLOR.
    pub fn colors(&self, choice: ColorChoice, stream_is_terminal: bool) -> bool {
        match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stream_is_terminal && !self.no_color,
        }
    }
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
    let text = TextOptions {
        color: environment.colors(cli.color, environment.stdout_is_terminal),
        verbose: cli.verbose > 0,
    };
    match cli.command {
        Command::Validate(args) => {
            validate::run(&args, environment, stdout, stderr).map(|()| Outcome::Success)
        }
        Command::Plan(args) => plan::run(&args, text, environment, stdout, stderr),
        Command::Apply(args) => apply::run(&args, text, environment, stdout, stderr),
        Command::Import(args) => import::run(&args, stdout, stderr).map(|()| Outcome::Success),
        Command::Status(args) => status::run(&args, stdout, stderr).map(|()| Outcome::Success),
        Command::Schema => {
            stdout.write_all(crate::spec::schema_json().as_bytes())?;
            Ok(Outcome::Success)
        }
        Command::Init(args) => init::run(&args, stdout).map(|()| Outcome::Success),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when its writer fails (`completions bash | head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "pz-apply", &mut script);
            stdout.write_all(&script)?;
            Ok(Outcome::Success)
        }
        Command::Man { dir: None } => {
            clap_mangen::Man::new(Cli::command()).render(stdout)?;
            Ok(Outcome::Success)
        }
        Command::Man { dir: Some(dir) } => {
            let write = || -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                clap_mangen::generate_to(Cli::command(), &dir)
            };
            write().map_err(|source| Error::WriteFile { path: dir.clone(), source })?;
            Ok(Outcome::Success)
        }
    }
}

/// When no connection could be made, that one cause is the run's error: the same line for every campaign
/// would only bury it.
fn unreachable<'a>(errors: impl IntoIterator<Item = &'a LiveError>) -> Result<(), Error> {
    match errors.into_iter().find(|error| matches!(error, LiveError::Unreachable { .. })) {
        Some(error) => Err(Error::Live(error.clone())),
        None => Ok(()),
    }
}

/// Reads that failed, one line each under their campaign, as the run's error.
fn calls_failed(
    failures: &[(String, LiveError)],
    total: usize,
    stderr: &mut dyn Write,
) -> Result<Error, Error> {
    unreachable(failures.iter().map(|(_, error)| error))?;
    for (name, error) in failures {
        writeln!(stderr, "error: campaign {name}: {error}")?;
    }
    Ok(Error::CallsFailed { failed: failures.len(), total })
}

/// A runtime for the commands that call AWS; validate and schema never start one.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)
}

/// The Personalize client the flags ask for, and with `--local` the emulator behind it, which must live
/// as long as the client is used.
async fn connect(
    connection: &ConnectionArgs,
    campaigns: &[LoadedResource],
) -> Result<(AwsPersonalize, Option<RunningEmulator>), Error> {
    let options = connection.client_options();
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
