//! `pz-apply apply`: the plan, a confirmation, then the reconcile loop with progress and a summary.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::apply::{
    ApplyEvent, ApplyOptions, ApplySink, EventKind, ResourceReport, ResourceResult, apply, changed_paths,
};
use crate::cli::{ApplyArgs, ApplyFormat};
use crate::commands::validate::ProblemsOnStdout;
use crate::commands::{Environment, Outcome};
use crate::error::Error;
use crate::error::plural;
use crate::load::check_source;
use crate::plan::{Action, Plan, ResourcePlan, SolutionCache, fingerprint, plan_live};
use crate::render::{self, text::TextOptions};
use crate::validate::LoadedResource;

/// The longest gap between two polls.
const POLL_CAP: Duration = Duration::from_secs(60);
/// How often someone else's update that got in first is waited out.
const IN_USE_RETRIES: u32 = 3;
/// Without a prompt, an observation this young is what a write is built from; any older one is read again.
/// An update of someone else's takes minutes in AWS and makes ours fail with ResourceInUseException
/// while it runs, so no other change can land unseen inside this window.
const FRESH_FOR: Duration = Duration::from_secs(10);
/// How long our accepted write may stay invisible to DescribeCampaign (eventual consistency).
const VISIBILITY_GRACE: Duration = Duration::from_secs(120);

pub fn run(
    args: &ApplyArgs,
    text: TextOptions,
    environment: &Environment,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Outcome, Error> {
    let saved = match &args.plan {
        Some(path) => Some(SavedPlan::read(path)?),
        None => None,
    };
    let campaigns = match &saved {
        Some(saved) => saved.campaigns.clone(),
        None => {
            let on_stdout = match args.format {
                ApplyFormat::Json => ProblemsOnStdout::Event,
                ApplyFormat::Text => ProblemsOnStdout::Nothing,
            };
            super::validate::load_valid(&args.paths, on_stdout, stdout, stderr)?.campaigns
        }
    };
    let runtime = super::runtime()?;
    // The emulator behind --local runs on this runtime and must outlive every call.
    let (api, _emulator) = runtime.block_on(super::connect(&args.connection, &campaigns))?;
    let api = Arc::new(api);
    let observed_at = tokio::time::Instant::now();
    let solutions = Arc::new(SolutionCache::default());
    let concurrency = args.concurrency as usize;
    let (plan, failures) =
        runtime.block_on(plan_live(api.clone(), &campaigns, concurrency, solutions.clone()));
    if !failures.is_empty() {
        return Err(super::calls_failed(&failures, campaigns.len(), stderr)?);
    }
    if let Some(saved) = &saved {
        let stale = saved.stale_campaigns(&plan);
        if !stale.is_empty() {
            writeln!(
                stderr,
                "error: the saved plan is stale; nothing was applied. Run `pz-apply plan` again."
            )?;
            for line in &stale {
                writeln!(stderr, "  {line}")?;
            }
            return Err(Error::StalePlan { stale: stale.len() });
        }
    }

    match args.format {
        ApplyFormat::Text => render::text::write_plan(stdout, &plan, text)?,
        ApplyFormat::Json => {
            let event = json!({ "event": "plan", "plan": render::json::plan_document(&plan, false) });
            writeln!(stdout, "{event}")?;
        }
    }
    stdout.flush()?;
    if !plan.has_changes() {
        return Ok(Outcome::Success);
    }
    let sends = plan.campaigns.iter().filter(|campaign| campaign.sends_writes()).count();
    let mut fresh_for = FRESH_FOR;
    if sends == 0 {
        // Nothing would be sent: no question to ask, and no pretending otherwise.
        let waits = plan.campaigns.iter().filter(|campaign| campaign.action == Action::Wait).count();
        if waits > 0 && args.format == ApplyFormat::Text {
            writeln!(
                stderr,
                "\nNothing to send: waiting for {waits} {} already in flight.",
                plural(waits, "change")
            )?;
        }
    } else if saved.is_none() && !args.auto_approve {
        confirm(environment, stderr)?;
        // The prompt may have stayed open for minutes: every campaign is read again before its first write.
        fresh_for = Duration::ZERO;
    }
    // Time at the prompt does not count against --timeout.
    let started = tokio::time::Instant::now();

    let (cancel_sender, cancel) = watch::channel(false);
    runtime.spawn(async move {
        shutdown_signal().await;
        let _ = cancel_sender.send(true);
        // A second Ctrl-C means "now": AWS carries on with whatever was sent.
        shutdown_signal().await;
        eprintln!("\ninterrupted again: exiting at once; changes already sent carry on in AWS");
        std::process::exit(130);
    });
    let work: Vec<(LoadedResource, ResourcePlan)> =
        campaigns.into_iter().zip(plan.campaigns.iter().cloned()).collect();
    let options = ApplyOptions {
        concurrency: args.concurrency as usize,
        poll_interval: args.poll_interval,
        poll_cap: POLL_CAP.max(args.poll_interval),
        deadline: started + args.timeout,
        in_use_retries: IN_USE_RETRIES,
        observed_at,
        fresh_for,
        visibility_grace: VISIBILITY_GRACE,
        solutions,
    };
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let sink: Arc<dyn ApplySink> = Arc::new(ChannelSink(sender));
    let mut progress = Progress::new(args.format, environment, &plan);
    let reports = runtime.block_on(async {
        let run = apply(api.clone(), work, options, sink, cancel.clone());
        tokio::pin!(run);
        loop {
            tokio::select! {
                reports = &mut run => {
                    while let Ok(event) = receiver.try_recv() {
                        unless_closed(progress.event(&event, stdout))?;
                    }
                    break Ok::<_, Error>(reports);
                }
                Some(event) = receiver.recv() => unless_closed(progress.event(&event, stdout))?,
            }
        }
    })?;
    progress.finish();
    let interrupted = *cancel.borrow();
    unless_closed(write_summary(args.format, &reports, started.elapsed(), interrupted, stdout))?;
    let failed = reports.iter().filter(|report| !report.result.is_success()).count();
    if interrupted {
        return Err(Error::Interrupted);
    }
    let stale = reports.iter().filter(|report| matches!(report.result, ResourceResult::Stale { .. })).count();
    if stale > 0 && stale == failed {
        return Err(Error::MovedSincePlan { stale });
    }
    if failed > 0 {
        return Err(Error::ApplyFailed { failed, total: reports.len() });
    }
    Ok(Outcome::Success)
}

/// Progress whose reader went away (`apply | head`) is dropped, not a reason to stop applying: the run goes
/// on and its exit code says how it ended.
fn unless_closed(written: std::io::Result<()>) -> std::io::Result<()> {
    match written {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(environment: &Environment, stderr: &mut dyn Write) -> Result<(), Error> {
    if !environment.stdin_is_terminal {
        return Err(Error::Usage(
            "apply needs confirmation, and stdin is not a terminal: nothing was applied. Review the plan above, \
             then run again with --auto-approve (or apply a saved plan with --plan FILE)."
                .to_string(),
        ));
    }
    write!(stderr, "\nApply these changes? Only 'yes' is accepted: ")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        return Err(Error::Usage("apply cancelled: nothing was applied".to_string()));
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM from CI runners and process managers.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Hands events to the thread that prints, which owns stdout.
struct ChannelSink(mpsc::UnboundedSender<ApplyEvent>);

impl ApplySink for ChannelSink {
    fn event(&self, event: &ApplyEvent) {
        let _ = self.0.send(event.clone());
    }
}

/// Progress as events arrive: live spinners on a terminal (stderr), a line per event otherwise, or NDJSON.
enum Progress {
    Json,
    Lines,
    Spinners { bars: BTreeMap<String, ProgressBar>, _multi: MultiProgress },
}

impl Progress {
    fn new(format: ApplyFormat, environment: &Environment, plan: &Plan) -> Self {
        if format == ApplyFormat::Json {
            return Progress::Json;
        }
        if !environment.stderr_is_terminal {
            return Progress::Lines;
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {prefix:.bold} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let mut bars = BTreeMap::new();
        for campaign in plan.campaigns.iter().filter(|campaign| campaign.action != Action::NoOp) {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(campaign.name.clone());
            bar.set_message(campaign.action.as_str().to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bars.insert(campaign.name.clone(), bar);
        }
        Progress::Spinners { bars, _multi: multi }
    }

    fn event(&mut self, event: &ApplyEvent, stdout: &mut dyn Write) -> std::io::Result<()> {
        match self {
            Progress::Json => writeln!(stdout, "{}", event_json(event)),
            Progress::Lines => {
                if let Some(line) = event_line(event) {
                    writeln!(stdout, "[{:>6.1}s] {}: {line}", event.elapsed.as_secs_f64(), event.campaign)?;
                }
                Ok(())
            }
            Progress::Spinners { bars, .. } => {
                if let (Some(bar), Some(line)) = (bars.get(&event.campaign), event_line(event)) {
                    match &event.kind {
                        EventKind::Finished { .. } => bar.finish_with_message(line),
                        _ => bar.set_message(line),
                    }
                }
                Ok(())
            }
        }
    }

    fn finish(&self) {
        if let Progress::Spinners { bars, .. } = self {
            for bar in bars.values().filter(|bar| !bar.is_finished()) {
                bar.abandon();
            }
        }
    }
}

fn event_line(event: &ApplyEvent) -> Option<String> {
    Some(match &event.kind {
        EventKind::Request { operation, .. } => format!("sending {operation}"),
        EventKind::Status => format!("status {}", event.status.as_deref().unwrap_or("?")),
        EventKind::Retrying { reason } => format!("retrying: {reason}"),
        EventKind::Finished { result } => match result {
            ResourceResult::Failed { reason } => format!("failed: {reason}"),
            ResourceResult::Stale { changed } => {
                format!("not sent, live moved since the plan: {}", changed.join("; "))
            }
            ResourceResult::TimedOut { status } => format!("timed out while {status}"),
            ResourceResult::Interrupted { status } => format!("interrupted while {status}"),
            other => other.label().to_string(),
        },
    })
}

/// One NDJSON line: campaign, event, status, elapsed seconds, and the request or failure where there is one.
fn event_json(event: &ApplyEvent) -> Value {
    let mut line = json!({
        "campaign": event.campaign,
        "event": "",
        "status": event.status,
        "elapsed_seconds": (event.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
    });
    match &event.kind {
        EventKind::Request { operation, input } => {
            line["event"] = json!("request");
            line["operation"] = json!(operation);
            line["request"] = input.clone();
        }
        EventKind::Status => line["event"] = json!("status"),
        EventKind::Retrying { reason } => {
            line["event"] = json!("retrying");
            line["failure"] = json!(reason);
        }
        EventKind::Finished { result } => {
            line["event"] = json!("finished");
            line["result"] = json!(result.label());
            match result {
                ResourceResult::Failed { reason } => line["failure"] = json!(reason),
                ResourceResult::TimedOut { status } | ResourceResult::Interrupted { status } => {
                    line["status"] = json!(status)
                }
                _ => {}
            }
        }
    }
    line
}

fn write_summary(
    format: ApplyFormat,
    reports: &[ResourceReport],
    elapsed: Duration,
    interrupted: bool,
    stdout: &mut dyn Write,
) -> std::io::Result<()> {
    let in_flight: Vec<&ResourceReport> = reports
        .iter()
        .filter(|report| {
            matches!(report.result, ResourceResult::TimedOut { .. } | ResourceResult::Interrupted { .. })
        })
        .collect();
    if format == ApplyFormat::Json {
        let summary = json!({
            "event": "summary",
            "elapsed_seconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "interrupted": interrupted,
            "campaigns": reports.iter().map(|report| {
                let mut entry = json!({
                    "kind": report.kind.as_str(),
                    "campaign": report.name,
                    "arn": report.arn,
                    "result": report.result.label(),
                });
                match &report.result {
                    ResourceResult::Failed { reason } => entry["failure"] = json!(reason),
                    ResourceResult::Stale { changed } => entry["changed"] = json!(changed),
                    ResourceResult::TimedOut { status } | ResourceResult::Interrupted { status } => entry["status"] = json!(status),
                    _ => {}
                }
                entry
            }).collect::<Vec<_>>(),
        });
        return writeln!(stdout, "{summary}");
    }
    let label = |report: &ResourceReport| crate::render::display_name(report.kind, &report.name);
    let width = reports.iter().map(|report| label(report).len()).max().unwrap_or(8).max(8);
    let mixed = reports.iter().any(|report| report.kind != crate::spec::Kind::Campaign);
    writeln!(stdout, "\n{:width$}  RESULT", if mixed { "RESOURCE" } else { "CAMPAIGN" })?;
    for report in reports {
        let detail = match &report.result {
            ResourceResult::Failed { reason } => format!(": {reason}"),
            ResourceResult::Stale { changed } => {
                format!(": live moved since the plan was shown, nothing sent ({})", changed.join("; "))
            }
            ResourceResult::TimedOut { status } | ResourceResult::Interrupted { status } => {
                format!(" (last status {status})")
            }
            _ => String::new(),
        };
        writeln!(stdout, "{:width$}  {}{detail}", label(report), report.result.label())?;
    }
    let count = |label: &str| reports.iter().filter(|report| report.result.label() == label).count();
    // Recommenders' own results, named only when there are some.
    let lifecycle: String = ["started", "stopped", "replaced"]
        .into_iter()
        .filter(|label| count(label) > 0)
        .map(|label| format!(", {} {label}", count(label)))
        .collect();
    writeln!(
        stdout,
        "\nApply finished in {:.0}s: {} created, {} updated{lifecycle}, {} waited, {} unchanged, {} failed, {} stale, \
         {} timed out{}.",
        elapsed.as_secs_f64(),
        count("created"),
        count("updated"),
        count("waited"),
        count("unchanged"),
        count("failed"),
        count("stale"),
        count("timed out"),
        if interrupted { format!(", {} interrupted", count("interrupted")) } else { String::new() }
    )?;
    if !in_flight.is_empty() {
        let names: Vec<&str> = in_flight.iter().map(|report| report.name.as_str()).collect();
        writeln!(
            stdout,
            "Still in flight: {}. AWS carries on with these changes; run apply again to resume waiting (it sends no \
             new update for a change already in flight).",
            names.join(", ")
        )?;
    }
    Ok(())
}

/// A plan saved by `plan --out`: each campaign's file contents, fingerprint and observation.
struct SavedPlan {
    campaigns: Vec<LoadedResource>,
    entries: Vec<SavedCampaign>,
}

struct SavedCampaign {
    name: String,
    fingerprint: String,
    observed: Value,
    request: Value,
}

impl SavedPlan {
    fn read(path: &Path) -> Result<Self, Error> {
        let invalid = |message: String| Error::SavedPlan { path: path.to_path_buf(), message };
        let text = std::fs::read_to_string(path).map_err(|error| invalid(error.to_string()))?;
        let document: Value =
            serde_json::from_str(&text).map_err(|error| invalid(format!("not JSON: {error}")))?;
        if document["format_version"] != render::json::FORMAT_VERSION {
            return Err(invalid(format!(
                "format_version {} is not {}; save the plan again with this version of pz-apply",
                document["format_version"],
                render::json::FORMAT_VERSION
            )));
        }
        let Some(entries) = document["campaigns"].as_array() else {
            return Err(invalid("it has no campaigns list".to_string()));
        };
        let mut campaigns = Vec::new();
        let mut saved = Vec::new();
        for entry in entries {
            let name = entry["name"].as_str().unwrap_or("?").to_string();
            let (Some(fingerprint), Some(desired)) = (entry["fingerprint"].as_str(), entry.get("desired"))
            else {
                return Err(invalid(format!(
                    "campaign {name} has no fingerprint or desired state: was it saved with plan --out?"
                )));
            };
            // The campaign is checked again exactly as validate checks a file: JSON is YAML.
            let file = PathBuf::from(entry["file"].as_str().unwrap_or("saved plan"));
            let (mut loaded, diagnostics) = check_source(&file, &desired.to_string());
            if let Some(diagnostic) = diagnostics.first() {
                return Err(invalid(format!("campaign {name}: {}", diagnostic.message)));
            }
            let Some(campaign) = loaded.pop() else {
                return Err(invalid(format!("campaign {name} is empty")));
            };
            campaigns.push(campaign);
            saved.push(SavedCampaign {
                name,
                fingerprint: fingerprint.to_string(),
                observed: entry["observed"].clone(),
                request: entry["request"].clone(),
            });
        }
        Ok(SavedPlan { campaigns, entries: saved })
    }

    /// One line per campaign whose live state is no longer what the plan was computed from, saying what
    /// changed.
    fn stale_campaigns(&self, plan: &Plan) -> Vec<String> {
        let mut stale = Vec::new();
        for (saved, current) in self.entries.iter().zip(&plan.campaigns) {
            let now = &current.observed_document();
            if fingerprint(now) == saved.fingerprint && fingerprint(&saved.observed) == saved.fingerprint {
                let request = current.request.as_ref().map(|request| request.to_wire());
                if request.unwrap_or(Value::Null) == saved.request {
                    continue;
                }
            }
            let changed = changed_paths(&saved.observed, now, "");
            let what = if changed.is_empty() { "its live state".to_string() } else { changed.join("; ") };
            stale.push(format!("{}: {what} changed since the plan was saved", saved.name));
        }
        stale
    }
}
