//! `pz-apply plan` through the real binary: formats, exit codes, `--out`, colour, and that it never writes.

mod support;

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converged_files_plan_nothing_and_exit_0_even_with_detailed_exitcode() {
    let running = support::start_emulator(support::home_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 2);
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan", "--detailed-exitcode"]);
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!((code, stdout.as_str()), (0, "No changes: 1 campaign matches its file.\n"), "{stderr}");
    assert_eq!(support::write_operations(&running).len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_exit_2_only_with_detailed_exitcode() {
    let running = support::start_emulator(support::home_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 4);
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.arg("plan");
    let (code, stdout, _) = support::output(command).await;
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("~ home (update)  campaigns/home.yaml:1\n    minProvisionedTPS: 2 -> 4\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("Plan: 0 to create, 1 to update, 0 unchanged.\n"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colour when stdout is not a terminal");

    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan", "--detailed-exitcode", "--color", "always"]);
    let (code, stdout, _) = support::output(command).await;
    assert_eq!(code, 2);
    assert!(stdout.contains("\x1b[33m~\x1b[0m"), "{stdout}");
    assert_eq!(support::write_operations(&running).len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_markdown_and_a_saved_plan() {
    let running = support::start_emulator(support::home_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 4);
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan", "--format", "json", "--out", "saved.json"]);
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!(code, 0, "{stderr}");
    let document: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["format_version"], "1");
    assert_eq!(document["has_changes"], true);
    assert_eq!(
        document["summary"],
        json!({ "create": 0, "update": 1, "start": 0, "stop": 0, "replace": 0, "no-op": 0, "wait": 0, "blocked": 0 })
    );
    let campaign = &document["campaigns"][0];
    assert_eq!(campaign["action"], "update");
    assert_eq!(campaign["changes"], json!([{ "path": "minProvisionedTPS", "before": 2, "after": 4 }]));
    assert_eq!(campaign["request"]["minProvisionedTPS"], 4);
    assert_eq!(campaign["request"]["campaignConfig"]["enableMetadataWithRecommendations"], false);

    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("saved.json")).unwrap()).unwrap();
    assert_eq!(saved["campaigns"][0]["fingerprint"].as_str().map(str::len), Some(16));
    assert_eq!(saved["campaigns"][0]["request"], campaign["request"]);

    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan", "--format", "markdown"]);
    let (code, stdout, _) = support::output(command).await;
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with(
            "### pz-apply plan: 1 campaign to change\n\nPlan: 0 to create, 1 to update, 0 unchanged.\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("-minProvisionedTPS: 2\n+minProvisionedTPS: 4\n"), "{stdout}");

    // On GitHub Actions, the Markdown plan also goes to the job summary, whatever the format.
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan"]).env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", &summary);
    let (code, text, _) = support::output(command).await;
    assert_eq!(code, 0);
    assert!(text.starts_with("~ home (update)"), "stdout keeps the asked format: {text}");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), format!("earlier step\n{stdout}"));
    // Elsewhere the variable means nothing.
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan"]).env("GITHUB_STEP_SUMMARY", &summary);
    support::output(command).await;
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), format!("earlier step\n{stdout}"));
    assert_eq!(support::write_operations(&running).len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_files_and_failed_calls_exit_1_without_a_plan() {
    let running = support::start_emulator(support::home_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 0);
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan", "--detailed-exitcode"]);
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("campaigns/home.yaml:3:20: error: `minProvisionedTPS` is 0"), "{stderr}");
    assert!(running.emulator.requests().is_empty(), "nothing is sent for invalid files");

    support::write_home_file(dir.path(), 2);
    running.emulator.inject("*", None, pz_emulator::FaultKind::Throttling);
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["plan", "--max-attempts", "2"]);
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(
        stderr.contains("error: campaign home: throttled by AWS (ThrottlingException) after all retries"),
        "{stderr}"
    );
}

#[test]
fn local_plan_shows_the_example_campaigns_to_create() {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("campaigns");
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join("campaigns").join(path.file_name().unwrap())).unwrap();
    }
    let output = cargo_bin_cmd!("pz-apply")
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .args(["plan", "--local", "--detailed-exitcode"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.ends_with("Plan: 3 to create, 0 to update, 0 unchanged.\n"), "{stdout}");
}
