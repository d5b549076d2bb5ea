//! `pz-apply apply` through the real binary against pz-emulator: confirmation, output formats, exit codes,
//! saved plans, timeouts, Ctrl-C, and a run killed mid-wait and started again.

mod support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use pz_emulator::RunningEmulator;
use serde_json::{Value, json};

const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";

/// Every UpdateCampaign that reached the server, accepted or refused.
fn updates(running: &RunningEmulator) -> usize {
    running.emulator.requests().iter().filter(|call| call.operation == "UpdateCampaign").count()
}

/// Waits (in real time, off the runtime) until `done` holds, for at most ten seconds.
async fn until(running: &RunningEmulator, done: impl Fn(&RunningEmulator) -> bool) {
    let started = Instant::now();
    while !done(running) {
        assert!(started.elapsed() < Duration::from_secs(10), "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_child(child: Child) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let output = child.wait_with_output().unwrap();
        (output.status.code().unwrap_or(-1), String::from_utf8(output.stdout).unwrap())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_apply_needs_auto_approve() {
    let running = support::start_emulator_timed(support::home_seed(), 0.2).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.arg("apply");
    let (code, stdout, stderr) = support::output(apply).await;
    assert_eq!(code, 1);
    assert!(stdout.contains("minProvisionedTPS: 2 -> 3"), "the plan is shown first: {stdout}");
    assert!(stderr.contains("stdin is not a terminal: nothing was applied"), "{stderr}");
    assert!(stderr.contains("--auto-approve"), "{stderr}");
    assert_eq!(support::write_operations(&running).len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_approve_applies_and_a_second_run_has_nothing_to_do() {
    let running = support::start_emulator_timed(support::home_seed(), 0.3).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--auto-approve", "--poll-interval", "100ms"]);
    let (code, stdout, stderr) = support::output(apply).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("home: sending UpdateCampaign\n"), "{stdout}");
    assert!(stdout.contains("home: status update ACTIVE\n"), "{stdout}");
    assert!(stdout.contains("\nCAMPAIGN  RESULT\nhome      updated\n"), "{stdout}");
    assert!(
        stdout.contains("0 created, 1 updated, 0 waited, 0 unchanged, 0 failed, 0 stale, 0 timed out."),
        "{stdout}"
    );

    let mut again = support::pz_apply_against(dir.path(), &running);
    again.args(["apply", "--auto-approve"]);
    let (code, stdout, _) = support::output(again).await;
    assert_eq!((code, stdout.as_str()), (0, "No changes: 1 campaign matches its file.\n"));
    assert_eq!(updates(&running), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_streams_one_event_per_line_and_failures_exit_1() {
    let running = support::start_emulator_timed(support::home_seed(), 0.3).await;
    running.emulator.fail_next_update(HOME, "Insufficient capacity");
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--auto-approve", "--poll-interval", "100ms", "--format", "json"]);
    let (code, stdout, stderr) = support::output(apply).await;
    assert_eq!(code, 1);
    assert_eq!(stderr, "error: 1 of 1 campaign did not reach the state of its file\n");
    let events: Vec<Value> = stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(events[0]["event"], "plan");
    let request = events.iter().find(|event| event["event"] == "request").unwrap();
    assert_eq!(
        (request["campaign"].as_str(), request["operation"].as_str()),
        (Some("home"), Some("UpdateCampaign"))
    );
    assert_eq!(request["request"]["minProvisionedTPS"], 3);
    let finished = events.iter().find(|event| event["event"] == "finished").unwrap();
    assert_eq!(finished["result"], "failed");
    assert_eq!(finished["failure"], "UpdateCampaign ended in CREATE FAILED: Insufficient capacity");
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["campaigns"][0]["result"], "failed");
    for event in &events[1..events.len() - 1] {
        assert!(event["elapsed_seconds"].is_number() && event["campaign"].is_string(), "{event}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_applies_only_while_it_is_fresh() {
    let running = support::start_emulator_timed(support::home_seed(), 0.2).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--out", "plan.json"]);
    assert_eq!(support::output(plan).await.0, 0);

    // Someone changes the campaign after the plan was saved.
    running.emulator.call("UpdateCampaign", &json!({ "campaignArn": HOME, "minProvisionedTPS": 5 })).unwrap();
    running.emulator.finish_in_flight();
    let before = running.emulator.requests().len();
    let mut stale = support::pz_apply_against(dir.path(), &running);
    stale.args(["apply", "--plan", "plan.json"]);
    let (code, _, stderr) = support::output(stale).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("the saved plan is stale; nothing was applied"), "{stderr}");
    assert!(stderr.contains("home: ") && stderr.contains("minProvisionedTPS: 2 -> 5"), "{stderr}");
    let after: Vec<_> = running.emulator.requests().into_iter().skip(before).collect();
    assert!(after.iter().all(|call| call.operation == "DescribeCampaign"), "{after:?}");

    // A fresh plan applies without asking, even with no terminal.
    let mut plan = support::pz_apply_against(dir.path(), &running);
    plan.args(["plan", "--out", "plan.json"]);
    assert_eq!(support::output(plan).await.0, 0);
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--plan", "plan.json", "--poll-interval", "100ms"]);
    let (code, stdout, stderr) = support::output(apply).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        running.emulator.call("DescribeCampaign", &json!({ "campaignArn": HOME })).unwrap()["campaign"]["minProvisionedTPS"],
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_lists_what_is_in_flight_and_exits_1() {
    let running = support::start_emulator_timed(support::home_seed(), 60.0).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--auto-approve", "--poll-interval", "100ms", "--timeout", "1s"]);
    let (code, stdout, stderr) = support::output(apply).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("home      timed out (last status update CREATE"), "{stdout}");
    assert!(stdout.contains("Still in flight: home. AWS carries on"), "{stdout}");
    assert!(stdout.contains("run apply again to resume waiting"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_waiting_and_exits_130() {
    let running = support::start_emulator_timed(support::home_seed(), 60.0).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply
        .args(["apply", "--auto-approve", "--poll-interval", "100ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = apply.spawn().unwrap();
    until(&running, |running| updates(running) == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let interrupt =
        std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(interrupt.success());
    let (code, stdout) = wait_child(child).await;
    assert_eq!(code, 130, "{stdout}");
    assert!(stdout.contains("home      interrupted (last status update CREATE"), "{stdout}");
    assert!(stdout.contains("Still in flight: home"), "{stdout}");
    assert_eq!(updates(&running), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_wait_resumes_without_a_second_update() {
    let running = support::start_emulator_timed(support::home_seed(), 2.0).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let mut first = support::pz_apply_against(dir.path(), &running);
    first
        .args(["apply", "--auto-approve", "--poll-interval", "100ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = first.spawn().unwrap();
    until(&running, |running| updates(running) == 1).await;
    child.kill().unwrap();
    let _ = child.wait();

    let mut second = support::pz_apply_against(dir.path(), &running);
    second.args(["apply", "--auto-approve", "--poll-interval", "100ms"]);
    let (code, stdout, stderr) = support::output(second).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("> home (wait)"), "the second run only waits: {stdout}");
    assert!(stdout.contains("Nothing to send") || stderr.contains("Nothing to send"), "{stdout}{stderr}");
    assert!(stdout.contains("\nhome      waited\n"), "reported as a wait, not as unchanged: {stdout}");
    assert_eq!(updates(&running), 1, "exactly one UpdateCampaign in the request log");
    assert_eq!(
        running.emulator.call("DescribeCampaign", &json!({ "campaignArn": HOME })).unwrap()["campaign"]["minProvisionedTPS"],
        3
    );
}
