//! Command-line arguments. Parsing only: each command runs from the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::load::DEFAULT_PATH;

/// Declarative Amazon Personalize campaigns: keep one YAML file per campaign in git, then validate, plan
/// and apply them.
#[derive(Debug, Parser)]
#[command(name = "pz-apply", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check campaign files offline (no AWS call) and report every problem as file:line:col.
    Validate(ValidateArgs),
    /// Print the JSON Schema for campaign files.
    Schema,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Campaign files, or directories searched recursively for *.yaml and *.yml.
    #[arg(value_name = "PATH", default_value = DEFAULT_PATH)]
    pub paths: Vec<PathBuf>,

    /// How to print problems: `text` for people, `json` for tools (an array on stdout).
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    Text,
    Json,
}
