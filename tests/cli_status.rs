//! `pz-apply status` and the connection flags through the real binary: against an emulator given by
//! `--endpoint-url` or `AWS_ENDPOINT_URL_PERSONALIZE`, and with `--local`.

mod support;

use std::path::Path;

use pz_emulator::RunningEmulator;

const CAMPAIGN: &str =
    "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1\n";
const OTHER: &str = "name: away\nsolutionVersionArn: arn:aws:personalize:eu-west-1:111122223333:solution/away/$LATEST\n\
                     campaignConfig:\n  syncWithLatestSolutionVersion: true\n";

async fn emulator() -> RunningEmulator {
    support::start_emulator(serde_json::json!({
        "solutions": [{ "solutionArn": "arn:aws:personalize:us-east-1:111122223333:solution/home-recs", "versions": ["v1"] }],
        "campaigns": [{
            "name": "home",
            "solutionVersionArn": "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1",
            "minProvisionedTPS": 3
        }]
    }))
    .await
}

fn files(dir: &Path) {
    std::fs::create_dir_all(dir.join("campaigns")).unwrap();
    std::fs::write(dir.join("campaigns/home.yaml"), CAMPAIGN).unwrap();
    std::fs::write(dir.join("campaigns/away.yaml"), OTHER).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_describes_each_campaign_through_the_endpoint() {
    let running = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["status", "--endpoint-url", &running.endpoint_url()]);
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("CAMPAIGN  STATUS"), "{stdout}");
    assert!(lines[1].starts_with("away      not found"), "{stdout}");
    assert!(
        lines[2].starts_with(
            "home      ACTIVE     arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1  3"
        ),
        "{stdout}"
    );
    let operations: Vec<String> =
        running.emulator.requests().into_iter().map(|call| call.operation).collect();
    assert_eq!(operations, ["DescribeCampaign", "DescribeCampaign"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_can_come_from_the_environment_and_json_is_for_tools() {
    let running = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["status", "--format", "json"]).env("AWS_ENDPOINT_URL_PERSONALIZE", running.endpoint_url());
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!(code, 0, "{stderr}");
    let rows: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows[0]["name"], "away");
    assert_eq!(rows[0]["exists"], false);
    assert_eq!(rows[1]["arn"], "arn:aws:personalize:us-east-1:111122223333:campaign/home");
    assert_eq!(rows[1]["status"], "ACTIVE");
    assert_eq!(rows[1]["minProvisionedTPS"], 3);
    assert_eq!(rows[1]["latestUpdate"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_files_are_reported_and_nothing_is_called() {
    let running = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    std::fs::write(dir.path().join("campaigns/bad.yaml"), "name: -bad\n").unwrap();
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["status", "--endpoint-url", &running.endpoint_url()]);
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("campaigns/bad.yaml:1:7: error:"), "{stderr}");
    assert!(running.emulator.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_calls_are_reported_per_campaign_and_exit_1() {
    let running = emulator().await;
    running.emulator.inject(
        "*",
        None,
        pz_emulator::FaultKind::Error {
            code: "AccessDeniedException".into(),
            message: "no".into(),
            status: 400,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let mut command = support::pz_apply_against(dir.path(), &running);
    command.args(["status", "--endpoint-url", &running.endpoint_url(), "--max-attempts", "1"]);
    let (code, stdout, stderr) = support::output(command).await;
    assert_eq!(code, 1);
    assert!(stdout.contains("error: AccessDeniedException: no (request id "), "{stdout}");
    assert_eq!(stderr, "error: 2 of 2 campaigns could not be read from AWS\n");
}

#[test]
fn missing_credentials_explain_how_to_fix_them() {
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let output = support::pz_apply(dir.path()).arg("status").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error: no AWS credentials found."), "{stderr}");
    assert!(stderr.contains("--profile") && stderr.contains("--local"), "{stderr}");
}

#[test]
fn local_runs_against_an_embedded_emulator_whose_state_is_kept_here() {
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let output = support::pz_apply(dir.path()).args(["status", "--local"]).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("away      not found"), "{stdout}");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".pz-apply/emulator-state.json")).unwrap(),
    )
    .unwrap();
    let versions: Vec<&String> = state["solutionVersions"].as_object().unwrap().keys().collect();
    assert_eq!(
        versions,
        [
            "arn:aws:personalize:eu-west-1:111122223333:solution/away/local0001",
            "arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1"
        ]
    );
    // --local and a real endpoint do not mix.
    let output = support::pz_apply(dir.path())
        .args(["status", "--local", "--endpoint-url", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be used with '--endpoint-url <URL>'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_without_a_scheme_is_refused_when_parsed() {
    let dir = tempfile::tempdir().unwrap();
    support::write_home_file(dir.path(), 2);
    let mut flag = support::pz_apply(dir.path());
    flag.args(["status", "--endpoint-url", "127.0.0.1:4591"]);
    let (code, stdout, stderr) = support::output(flag).await;
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("`127.0.0.1:4591` has no scheme: add http:// or https://"), "{stderr}");

    let mut variable = support::pz_apply(dir.path());
    variable
        .args(["status"])
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_PERSONALIZE", "127.0.0.1:4591");
    let (code, _, stderr) = support::output(variable).await;
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error: AWS_ENDPOINT_URL_PERSONALIZE: `127.0.0.1:4591` has no scheme: add http:// or https:// \
         (http://127.0.0.1:4591)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_away_is_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    // Enough campaigns that the JSON plan is far bigger than a pipe's buffer.
    let documents: Vec<String> = (0..400)
        .map(|n| format!("name: c{n}\nsolutionVersionArn: {}\nminProvisionedTPS: 2\n", support::HOME_V1))
        .collect();
    std::fs::write(dir.path().join("campaigns/many.yaml"), documents.join("---\n")).unwrap();
    let binary = assert_cmd::cargo::cargo_bin!("pz-apply");
    // The pipeline's status is pz-apply's (pipefail); head reads 100 bytes and leaves.
    let script = format!(
        "set -o pipefail; '{}' plan --local --format json | head -c 100 >/dev/null",
        binary.display()
    );
    let mut pipeline = support::wrapped(&support::pz_apply(dir.path()), "bash");
    pipeline.args(["-c", &script]);
    let (code, _, stderr) = support::output(pipeline).await;
    assert_eq!((code, stderr.as_str()), (0, ""));
}
