//! Command-line arguments. Parsing only: each command runs from the library.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::live::aws::{ClientOptions, RetryMode};
use crate::load::DEFAULT_PATH;

/// Declarative Amazon Personalize campaigns: keep one YAML file per campaign in git, then validate, plan
/// and apply them.
#[derive(Debug, Parser)]
#[command(name = "pz-apply", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check campaign files offline (no AWS call) and report every problem as file:line:col.
    Validate(ValidateArgs),
    /// Compare each campaign in the files with AWS and show what apply would change (read-only).
    Plan(PlanArgs),
    /// Show what each campaign in the files looks like in AWS now (read-only).
    Status(StatusArgs),
    /// Print the JSON Schema for campaign files.
    Schema,
}

/// Where and how to reach Personalize. Only commands that call AWS use these.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Run against a local pz-emulator inside pz-apply, its state kept in .pz-apply/ here, instead of AWS.
    #[arg(long, global = true)]
    pub local: bool,

    /// AWS profile from ~/.aws/config (default: AWS_PROFILE, then the default credential chain).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region for calls that name no ARN (default: AWS_REGION or the profile's). Calls about a campaign go
    /// to the region in its ARN.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send Personalize calls to this endpoint, such as a pz-emulator (also: AWS_ENDPOINT_URL_PERSONALIZE).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// How throttled and failed calls are retried: `standard` backs off; `adaptive` also slows down all
    /// calls once AWS throttles.
    #[arg(long, global = true, value_enum, default_value_t = RetryModeArg::Standard)]
    pub retry_mode: RetryModeArg,

    /// Attempts per AWS call, the first included.
    #[arg(long, global = true, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Seconds to wait for one attempt of one AWS call.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub call_timeout: u64,
}

impl ConnectionArgs {
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            retry_mode: match self.retry_mode {
                RetryModeArg::Standard => RetryMode::Standard,
                RetryModeArg::Adaptive => RetryMode::Adaptive,
            },
            max_attempts: self.max_attempts,
            call_timeout: Duration::from_secs(self.call_timeout),
            ..ClientOptions::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RetryModeArg {
    Standard,
    Adaptive,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Campaign files, or directories searched recursively for *.yaml and *.yml.
    #[arg(value_name = "PATH", default_value = DEFAULT_PATH)]
    pub paths: Vec<PathBuf>,

    /// How to print problems: `text` for people, `json` for tools (an array on stdout).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Campaign files, or directories searched recursively for *.yaml and *.yml.
    #[arg(value_name = "PATH", default_value = DEFAULT_PATH)]
    pub paths: Vec<PathBuf>,

    /// `text` for terminals, `markdown` for a pull-request comment, `json` for tools.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,

    /// Campaigns read from AWS at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,

    /// Colour in text output: `auto` only on a terminal and without NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// List unchanged campaigns too (text), not only count them.
    #[arg(short, long)]
    pub verbose: bool,

    /// Also save the plan, with a fingerprint of the live state of each campaign, as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit 2 when any campaign's action is not `no-op` (0 when nothing would change, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Campaign files, or directories searched recursively for *.yaml and *.yml.
    #[arg(value_name = "PATH", default_value = DEFAULT_PATH)]
    pub paths: Vec<PathBuf>,

    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}
