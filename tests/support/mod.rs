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
    let config =
        EmulatorConfig { timing: Timing { transition_seconds: seconds }, seed: state, state_file: None };
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    Emulator::new(config).expect("no state file to read").start(loopback).await.expect("a free port")
}
