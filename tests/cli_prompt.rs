//! The confirmation prompt on a real pseudo-terminal (util-linux `script` gives the binary one): a change
//! made in AWS while the prompt is open is never reverted, and an unmoved campaign is applied after it.

mod support;

use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pz_emulator::RunningEmulator;
use serde_json::json;

const HOME: &str = "arn:aws:personalize:us-east-1:111122223333:campaign/home";

/// `pz-apply apply` under `script`, so that its stdin, stdout and stderr are a terminal, with the
/// environment of `command`. Everything it writes arrives, in chunks, on the returned channel.
fn apply_on_a_terminal(
    dir: &std::path::Path,
    command: &std::process::Command,
) -> (Child, mpsc::Receiver<String>) {
    let binary = assert_cmd::cargo::cargo_bin!("pz-apply");
    let program = format!("{} apply --poll-interval 100ms --color never", binary.display());
    // `script` runs the command through a shell on a new pseudo-terminal; -e returns its exit code.
    let mut script = support::wrapped(command, "script");
    script.args(["-qefc", &program, "/dev/null"]).current_dir(dir);
    let mut child =
        script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = stdout;
        // The prompt has no newline: hand over what arrives, in chunks.
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = reader.read(&mut chunk) {
            let _ = lines.send(String::from_utf8_lossy(&chunk[..n]).into_owned());
        }
    });
    (child, receiver)
}

/// Collects output until `text` appears, for at most 20 seconds.
fn wait_for(receiver: &mpsc::Receiver<String>, seen: &mut String, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains(text) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match receiver.recv_timeout(left) {
            Ok(chunk) => seen.push_str(&chunk),
            Err(_) => panic!("no {text:?} in: {seen}"),
        }
    }
}

fn finish(mut child: Child, receiver: &mpsc::Receiver<String>, seen: &mut String) -> i32 {
    let status = child.wait().unwrap();
    while let Ok(chunk) = receiver.recv_timeout(Duration::from_millis(500)) {
        seen.push_str(&chunk);
    }
    status.code().unwrap_or(-1)
}

fn updates_on_the_wire(running: &RunningEmulator) -> usize {
    running.emulator.requests().iter().filter(|call| call.operation == "UpdateCampaign").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_while_the_prompt_is_open_stops_the_campaign_with_exit_3() {
    let running = support::start_emulator_timed(support::home_seed(), 0.3).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 3);
    let emulator = running.emulator.clone();
    let command = support::pz_apply_against(dir.path(), &running);
    let (code, seen) = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        move || {
            let (mut child, receiver) = apply_on_a_terminal(&dir, &command);
            let mut seen = String::new();
            wait_for(&receiver, &mut seen, "Only 'yes' is accepted");
            // A colleague changes the exploration weight, which the file does not manage, and it lands.
            emulator
                .call(
                    "UpdateCampaign",
                    &json!({ "campaignArn": HOME, "minProvisionedTPS": 2,
                             "campaignConfig": { "itemExplorationConfig": { "explorationWeight": "0.9" } } }),
                )
                .unwrap();
            emulator.finish_in_flight();
            child.stdin.as_mut().unwrap().write_all(b"yes\n").unwrap();
            let code = finish(child, &receiver, &mut seen);
            (code, seen)
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 3, "{seen}");
    assert!(seen.contains("explorationWeight"), "says what moved: {seen}");
    assert_eq!(updates_on_the_wire(&running), 0, "nothing was sent: {seen}");
    let live = running.emulator.call("DescribeCampaign", &json!({ "campaignArn": HOME })).unwrap();
    assert_eq!(live["campaign"]["campaignConfig"]["itemExplorationConfig"]["explorationWeight"], "0.9");
}
