#![allow(dead_code)] // each test crate uses part of it
//! Shared by the integration tests that need a live side: pz-emulator on a free loopback port.

use std::net::SocketAddr;

use pz_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed, Timing};

/// Starts an emulator seeded from `seed` (the seed file's format, as JSON) whose work takes an hour, so
/// that tests move it on with `finish_in_flight`.
pub async fn start_emulator(seed: serde_json::Value) -> RunningEmulator {
    start_emulator_with(seed, |_| {}).await
}

/// Like [`start_emulator`], after `adjust` has changed the seeded state (to hold what no API call can
/// create, such as an `aws:` tag).
pub async fn start_emulator_with(
    seed: serde_json::Value,
    adjust: impl FnOnce(&mut pz_emulator::State),
) -> RunningEmulator {
    start(seed, adjust, 3600.0).await
}

/// Like [`start_emulator`], with creates and updates taking `seconds` of real time.
pub async fn start_emulator_timed(seed: serde_json::Value, seconds: f64) -> RunningEmulator {
    start(seed, |_| {}, seconds).await
}

async fn start(
    seed: serde_json::Value,
    adjust: impl FnOnce(&mut pz_emulator::State),
    seconds: f64,
) -> RunningEmulator {
    let seed: Seed = serde_json::from_value(seed).expect("a valid seed");
    let mut state = seed.to_state(pz_emulator::state::now()).expect("a consistent seed");
    adjust(&mut state);
    let config = EmulatorConfig {
        timing: Timing { transition_seconds: seconds },
        seed: state,
        state_file: None,
        stale_reads: 0,
    };
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    Emulator::new(config).expect("no state file to read").start(loopback).await.expect("a free port")
}

/// The binary, run in `dir` with none of this machine's AWS settings: no credentials, profile, region,
/// endpoint or instance metadata beyond what a test adds.
pub fn pz_apply(dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("pz-apply"));
    command
        .current_dir(dir)
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") && key != "AWS_EC2_METADATA_DISABLED" {
            command.env_remove(key);
        }
    }
    command
}

/// [`pz_apply`] with test credentials and a region, talking to `running`.
pub fn pz_apply_against(dir: &std::path::Path, running: &RunningEmulator) -> std::process::Command {
    let mut command = pz_apply(dir);
    command
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_PERSONALIZE", running.endpoint_url());
    command
}

/// `program` with the working directory and environment that `like` sets up for the binary: for running
/// the binary inside a shell pipeline or under `script`.
pub fn wrapped(like: &std::process::Command, program: &str) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    if let Some(dir) = like.get_current_dir() {
        command.current_dir(dir);
    }
    for (key, value) in like.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command.stdin(std::process::Stdio::null());
    command
}

/// Runs the binary off the async runtime, so that an in-process emulator keeps answering: exit code,
/// stdout, stderr.
pub async fn output(mut command: std::process::Command) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let output = command.output().expect("pz-apply runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        )
    })
    .await
    .expect("the command's thread")
}

/// The write calls in the emulator's request log (everything but Describe* and List*), in order.
pub fn write_operations(running: &RunningEmulator) -> Vec<String> {
    running
        .emulator
        .requests()
        .into_iter()
        .map(|call| call.operation)
        .filter(|operation| !["Describe", "List", "Get"].iter().any(|read| operation.starts_with(read)))
        .collect()
}

pub const HOME_V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1";

/// One live campaign, `home`, on `HOME_V1` with TPS 2.
pub fn home_seed() -> serde_json::Value {
    serde_json::json!({
        "solutions": [{ "solutionArn": "arn:aws:personalize:us-east-1:111122223333:solution/home-recs", "versions": ["v1"] }],
        "campaigns": [{ "name": "home", "solutionVersionArn": HOME_V1, "minProvisionedTPS": 2 }]
    })
}

/// `campaigns/home.yaml` in `dir`, asking for `tps`.
pub fn write_home_file(dir: &std::path::Path, tps: u32) {
    std::fs::create_dir_all(dir.join("campaigns")).expect("a campaigns folder");
    std::fs::write(
        dir.join("campaigns/home.yaml"),
        format!("name: home\nsolutionVersionArn: {HOME_V1}\nminProvisionedTPS: {tps}\n"),
    )
    .expect("the campaign file");
}
