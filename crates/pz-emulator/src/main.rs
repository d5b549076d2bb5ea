use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use pz_emulator::{Emulator, EmulatorConfig, Seed, SeedError, Timing};

/// A local Amazon Personalize control plane (campaigns, solutions, tags) for tests and demos. Point an AWS
/// SDK or the AWS CLI at it with an endpoint URL; any credentials are accepted.
#[derive(Debug, Parser)]
#[command(name = "pz-emulator", version, about)]
struct Args {
    /// Address to listen on. Loopback by default: the emulator checks no signatures.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,

    /// Port to listen on; 0 picks a free port. The chosen address is printed on stdout.
    #[arg(long, default_value_t = 4590)]
    port: u16,

    /// YAML or JSON file of solutions, solution versions and campaigns to start with.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,

    /// Keep state in this JSON file across restarts (in-flight work resumes). Created if missing; when it
    /// exists, it wins over --seed.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,

    /// Seconds a create, update or delete takes to reach its final status.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    transition_seconds: f64,

    /// Eventual consistency, as AWS may show it: after an accepted create or update, the next N
    /// DescribeCampaign calls of that campaign answer as before the write (not found after a create).
    #[arg(long, value_name = "N", default_value_t = 0)]
    stale_reads: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("PZ_EMULATOR_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// The message for a failed run, `error:` first; a problem in the seed file starts with its location, as
/// pz-apply prints one in a campaign file.
fn failure(error: impl std::fmt::Display) -> String {
    format!("error: {error}")
}

fn seed_failure(error: SeedError) -> String {
    match error {
        SeedError::At { .. } => error.to_string(),
        _ => failure(error),
    }
}

async fn run(args: Args) -> Result<(), String> {
    if !args.transition_seconds.is_finite() || args.transition_seconds < 0.0 {
        return Err(failure("--transition-seconds must be a number of seconds, 0 or more"));
    }
    let seed = match &args.seed {
        Some(path) => Seed::from_file(path).map_err(seed_failure)?,
        None => Seed::default(),
    };
    let state = seed.to_state(pz_emulator::state::now()).map_err(seed_failure)?;
    let config = EmulatorConfig {
        timing: Timing { transition_seconds: args.transition_seconds },
        seed: state,
        state_file: args.state,
        stale_reads: args.stale_reads,
    };
    let emulator = Emulator::new(config).map_err(failure)?;
    let running = emulator.start(SocketAddr::new(args.host, args.port)).await.map_err(failure)?;
    // Scripts read this line to learn the port when --port 0 was given.
    println!("pz-emulator listening on {}", running.endpoint_url());
    shutdown_signal().await;
    running.stop().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a process manager or a test harness.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
