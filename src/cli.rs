//! Command-line arguments. Parsing only: each command runs from the library.

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::live::aws::{ClientOptions, RetryMode};
use crate::load::DEFAULT_PATH;

/// Declarative Amazon Personalize campaigns: keep one YAML file per campaign in git, then validate, plan
/// and apply them.
#[derive(Debug, Parser)]
#[command(name = "pz-apply", version, about, long_about = None)]
pub struct Cli {
    /// More detail: plan lists unchanged campaigns; logs (stderr) go from warnings to info (-v) or debug
    /// (-vv). PZ_LOG (e.g. `PZ_LOG=debug`) sets the log filter directly.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,

    /// Log lines on stderr as `text` or `json`.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, help_heading = GLOBAL)]
    pub log_format: LogFormat,

    /// Colour in text output and logs: `auto` only on a terminal and without NO_COLOR.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, help_heading = GLOBAL)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check campaign files offline (no AWS call) and report every problem as file:line:col.
    Validate(ValidateArgs),
    /// Compare each campaign in the files with AWS and show what apply would change (read-only).
    Plan(PlanArgs),
    /// Make AWS match the files: the plan's minimal calls, then wait until each change is ACTIVE.
    Apply(ApplyArgs),
    /// Write campaign files for campaigns that already exist in AWS, pinning what they serve now.
    Import(ImportArgs),
    /// Show what each campaign in the files looks like in AWS now (read-only).
    Status(StatusArgs),
    /// Print the JSON Schema for campaign files.
    Schema,
    /// Start a repository: campaigns/ with an example, the schema, .gitignore, optionally a CI workflow.
    Init(InitArgs),
    /// Print a shell completion script, e.g. `pz-apply completions bash > ~/.local/share/bash-completion/completions/pz-apply`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `pz-apply man | man -l -`. With --dir, write one page per command there.
    Man {
        /// Write pz-apply.1 and one pz-apply-COMMAND.1 per command into DIR instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The repository to start (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Also write a workflow that validates and plans on every pull request and applies on main.
    #[arg(long, value_enum, value_name = "SYSTEM")]
    pub ci: Option<CiSystem>,

    /// Overwrite files init would write that already exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiSystem {
    Github,
    Gitlab,
}

/// The `--help` heading of the options every command takes.
const GLOBAL: &str = "Global options";

/// Where and how to reach Personalize: only on the commands that call AWS.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "AWS connection")]
pub struct ConnectionArgs {
    /// Run against a local pz-emulator inside pz-apply, its state kept in .pz-apply/ here, instead of AWS.
    #[arg(long, conflicts_with_all = ["profile", "endpoint_url"])]
    pub local: bool,

    /// AWS profile from ~/.aws/config (default: AWS_PROFILE, then the default credential chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region for calls that name no ARN (default: AWS_REGION or the profile's). Calls about a campaign go
    /// to the region in its ARN.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Send Personalize calls to this endpoint, such as a pz-emulator (also: AWS_ENDPOINT_URL_PERSONALIZE).
    #[arg(long, value_name = "URL", value_parser = parse_endpoint_url)]
    pub endpoint_url: Option<String>,

    /// How throttled and failed calls are retried: `standard` backs off; `adaptive` also slows down all
    /// calls once AWS throttles.
    #[arg(long, value_enum, default_value_t = RetryModeArg::Standard)]
    pub retry_mode: RetryModeArg,

    /// Attempts per AWS call, the first included.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Time to wait for one attempt of one AWS call.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub call_timeout: Duration,
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
            call_timeout: self.call_timeout,
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

    /// Also save the plan, with a fingerprint of the live state of each campaign, as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Exit 2 when any campaign's action is not `no-op` (0 when nothing would change, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Also list live campaigns, in the accounts and regions of the files, that no file defines, with the
    /// import command that would adopt each. The exit code does not change.
    #[arg(long)]
    pub show_unmanaged: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["arns", "solution", "dataset_group", "all"]))]
pub struct ImportArgs {
    /// Campaign or recommender ARNs to import.
    #[arg(value_name = "ARN")]
    pub arns: Vec<String>,

    /// Import every campaign of this solution.
    #[arg(long, value_name = "SOLUTION_ARN")]
    pub solution: Option<String>,

    /// Import every recommender of this domain dataset group.
    #[arg(long, value_name = "DATASET_GROUP_ARN")]
    pub dataset_group: Option<String>,

    /// Import every campaign and recommender in the region (--region, AWS_REGION or the profile's).
    #[arg(long)]
    pub all: bool,

    /// Where to write the files, one per campaign or recommender, named after it.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_PATH)]
    pub dir: PathBuf,

    /// Overwrite existing files, and write campaigns and recommenders that a file already defines.
    #[arg(long)]
    pub force: bool,

    /// Print the documents on stdout instead of writing files.
    #[arg(long)]
    pub stdout: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Campaign files, or directories searched recursively for *.yaml and *.yml.
    #[arg(value_name = "PATH", default_value = DEFAULT_PATH, conflicts_with = "plan")]
    pub paths: Vec<PathBuf>,

    /// Apply without asking for confirmation (required when stdin is not a terminal, as in CI).
    #[arg(long)]
    pub auto_approve: bool,

    /// Apply a plan saved by `plan --out FILE`, verbatim, if AWS still looks as it did then (exit 3 if
    /// not). No confirmation is asked: the saved plan was the review.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,

    /// Campaigns talking to AWS at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,

    /// Time before the first status poll after a change; later polls come further apart, up to 60s.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub poll_interval: Duration,

    /// The whole run stops waiting after this long (AWS carries on; run apply again to resume waiting).
    #[arg(long, value_name = "DURATION", default_value = "60m", value_parser = parse_duration)]
    pub timeout: Duration,

    /// `text`: the plan, then progress (live lines on a terminal, a line per status change otherwise) and a
    /// summary; `json`: one JSON object per line (NDJSON) for every event.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

/// A hint for a Terraform habit clap cannot guess from: one-dash long options (`-auto-approve`).
pub fn usage_hint(args: &[String]) -> Option<String> {
    let cli = Cli::command();
    let known = |long: &str| {
        cli.get_arguments()
            .chain(cli.get_subcommands().flat_map(|command| command.get_arguments()))
            .any(|arg| arg.get_long() == Some(long))
    };
    args.get(1..).unwrap_or_default().iter().find_map(|word| {
        let long = word.strip_prefix('-').filter(|rest| !rest.starts_with('-'))?;
        let name = long.split('=').next().unwrap_or_default();
        (name.len() > 1 && known(name)).then(|| format!("pz-apply's options take two dashes: `--{long}`"))
    })
}

/// An endpoint URL as the AWS SDK needs it: `http://` or `https://`, then a host.
pub fn parse_endpoint_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!("`{text}` has no scheme: add http:// or https:// (http://{text})"));
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!("`{text}` uses `{scheme}://`; an endpoint URL starts with http:// or https://"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let name = if host.starts_with('[') { host } else { host.split(':').next().unwrap_or_default() };
    if name.is_empty() {
        return Err(format!("`{text}` has no host: use a URL such as http://127.0.0.1:4590"));
    }
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']'))
        && port.parse::<u16>().is_err()
    {
        return Err(format!("`{text}` has a port `{port}` that is not a number from 0 to 65535"));
    }
    Ok(text.to_string())
}

/// `90s`, `5m`, `2h`, `250ms`, or a number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration such as 90s, 5m, 2h or 250ms"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit `{other}` in `{text}`: use ms, s, m or h")),
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 7.0 * 24.0 * 3600.0 {
        return Err(format!("`{text}` must be more than 0 and at most a week"));
    }
    Ok(Duration::from_secs_f64(seconds))
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

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("9999h").is_err());
    }

    #[test]
    fn hints_for_terraform_habits_and_misplaced_options() {
        let hint = |line: &str| usage_hint(&line.split(' ').map(str::to_string).collect::<Vec<_>>());
        assert_eq!(
            hint("pz-apply apply -auto-approve").as_deref(),
            Some("pz-apply's options take two dashes: `--auto-approve`")
        );
        assert_eq!(
            hint("pz-apply plan -detailed-exitcode").as_deref(),
            Some("pz-apply's options take two dashes: `--detailed-exitcode`")
        );
        assert_eq!(
            hint("pz-apply plan -out=plan.json").as_deref(),
            Some("pz-apply's options take two dashes: `--out=plan.json`")
        );
        // A real mistake gets clap's own message and no invented hint.
        assert_eq!(hint("pz-apply plan -q"), None);
        assert_eq!(hint("pz-apply plan --nosuch"), None);
        assert_eq!(hint("pz-apply plan -v"), None);
    }

    #[test]
    fn endpoint_urls() {
        for good in
            ["http://127.0.0.1:4590", "https://personalize.us-east-1.amazonaws.com", "http://[::1]:4590/"]
        {
            assert_eq!(parse_endpoint_url(good).as_deref(), Ok(good), "{good}");
        }
        let cases = [
            ("127.0.0.1:4591", "add http:// or https:// (http://127.0.0.1:4591)"),
            ("ftp://host", "starts with http:// or https://"),
            ("http://", "has no host"),
            ("http://:4590", "has no host"),
            ("http://localhost:99999", "port `99999`"),
        ];
        for (bad, expected) in cases {
            let message = parse_endpoint_url(bad).unwrap_err();
            assert!(message.contains(expected), "{bad}: {message}");
        }
    }
}
