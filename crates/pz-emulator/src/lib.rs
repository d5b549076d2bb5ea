//! pz-emulator: a local Amazon Personalize control plane for campaigns and recommenders.
//!
//! It speaks the awsJson1_1 protocol the AWS SDKs use, so the real clients (the Rust SDK, boto3, the AWS
//! CLI) talk to it unchanged through an endpoint URL. Creates, updates and deletes go through the same
//! statuses as in AWS over a configurable time; a control API injects faults, forces failures and shows the
//! request log.

pub mod api;
pub mod recommender;
pub mod seed;
pub mod server;
pub mod state;

pub use api::{ApiError, Timing};
pub use seed::{Seed, SeedDatasetGroup, SeedError, SeedRecommender, SeedVersion, SeedVersionDetail};
pub use server::{
    CONTROL_PREFIX, Emulator, EmulatorConfig, FaultKind, FaultRule, LoggedCall, RunningEmulator, StartError,
};
pub use state::State;
