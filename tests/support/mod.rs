//! Shared by the integration tests that need a live side: pz-emulator on a free loopback port.

use std::net::SocketAddr;

use pz_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed, Timing};

/// Starts an emulator seeded from `seed` (the seed file's format, as JSON) whose work takes an hour, so
/// that tests move it on with `finish_in_flight`.
pub async fn start_emulator(seed: serde_json::Value) -> RunningEmulator {
    let seed: Seed = serde_json::from_value(seed).expect("a valid seed");
    let config = EmulatorConfig {
        timing: Timing { transition_seconds: 3600.0 },
        seed: seed.to_state(pz_emulator::state::now()).expect("a consistent seed"),
        state_file: None,
    };
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    Emulator::new(config).expect("no state file to read").start(loopback).await.expect("a free port")
}
