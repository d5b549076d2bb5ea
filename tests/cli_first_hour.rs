//! The errors a newcomer meets in the first hour, through the real binary: a wrong endpoint, a missing
//! profile, missing credentials, and what the logs may never show.

mod support;

use std::path::Path;
use std::process::Output;

const HOME: &str =
    "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1\n";
const AWAY: &str =
    "name: away\nsolutionVersionArn: arn:aws:personalize:eu-west-1:111122223333:solution/away/v1\n";
const THIRD: &str =
    "name: third\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/home-recs/v1\n";

fn repository(dir: &Path) {
    std::fs::create_dir_all(dir.join("campaigns")).unwrap();
    for (file, text) in [("home.yaml", HOME), ("away.yaml", AWAY), ("third.yaml", THIRD)] {
        std::fs::write(dir.join("campaigns").join(file), text).unwrap();
    }
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_refused_connection_is_one_line_naming_the_url_for_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path());
    let url = format!("http://127.0.0.1:{}", closed_port());
    for command in ["plan", "status", "apply"] {
        let mut args = vec![command, "--endpoint-url", &url];
        if command == "apply" {
            args.push("--auto-approve");
        }
        let output = support::pz_apply(dir.path())
            .args(&args)
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}");
        // Three campaigns, one line: the cause is the same for all of them.
        assert_eq!(
            stderr_of(&output),
            format!("error: cannot connect to {url}: connection refused\n"),
            "{command}"
        );
        assert!(!stderr_of(&output).contains("DispatchFailure"), "{command}");
    }
}

#[test]
fn a_profile_that_is_not_there_names_the_files_and_the_profiles_in_them() {
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path());
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    std::fs::write(dir.path().join(".aws/config"), "[default]\nregion = us-east-1\n[profile dev]\n").unwrap();
    let expected = "error: the AWS profile `nosuch` (from --profile or AWS_PROFILE) is not defined in \
                    ~/.aws/config or ~/.aws/credentials (~/.aws/credentials does not exist); profiles there: \
                    default, dev. Create it with `aws configure --profile nosuch` (or `aws configure sso`), or \
                    name another one\n";
    let flag = support::pz_apply(dir.path()).args(["plan", "--profile", "nosuch"]).output().unwrap();
    assert_eq!(flag.status.code(), Some(1));
    assert_eq!(stderr_of(&flag), expected);
    let variable = support::pz_apply(dir.path()).arg("status").env("AWS_PROFILE", "nosuch").output().unwrap();
    assert_eq!(stderr_of(&variable), expected);

    // AWS_CONFIG_FILE moves the config file, and the message says where it looked.
    let elsewhere = dir.path().join("aws-config");
    std::fs::write(&elsewhere, "[profile ci]\n").unwrap();
    let moved = support::pz_apply(dir.path())
        .args(["plan", "--profile", "dev"])
        .env("AWS_CONFIG_FILE", &elsewhere)
        .output()
        .unwrap();
    let stderr = stderr_of(&moved);
    assert!(
        stderr.contains(&format!("not defined in {} (AWS_CONFIG_FILE)", elsewhere.display())),
        "{stderr}"
    );
    assert!(stderr.contains("profiles there: ci."), "{stderr}");
}

#[test]
fn no_credentials_says_how_to_fix_it_without_instance_metadata_detail() {
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path());
    let output = support::pz_apply(dir.path()).arg("plan").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.starts_with("error: no AWS credentials found."), "{stderr}");
    assert!(!stderr.contains("IMDS") && !stderr.contains("credential chain said"), "{stderr}");
    // The detail is in the log for those who ask.
    let verbose = support::pz_apply(dir.path()).args(["plan", "-v"]).output().unwrap();
    assert!(stderr_of(&verbose).contains("IMDS"), "{}", stderr_of(&verbose));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_part_of_a_credential_reaches_any_log_level() {
    let running = support::start_emulator(serde_json::json!({
        "solutions": [{ "solutionArn": "arn:aws:personalize:us-east-1:111122223333:solution/home-recs", "versions": ["v1"] }]
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    std::fs::write(dir.path().join("campaigns/home.yaml"), HOME).unwrap();
    let (key, secret, token) =
        ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLETOKEN");
    for (verbosity, log_format) in [("-vv", "text"), ("-vv", "json")] {
        let dir = dir.path().to_path_buf();
        let endpoint = running.endpoint_url();
        let output = tokio::task::spawn_blocking(move || {
            support::pz_apply(&dir)
                .args(["plan", verbosity, "--log-format", log_format, "--endpoint-url", &endpoint])
                .env("AWS_ACCESS_KEY_ID", key)
                .env("AWS_SECRET_ACCESS_KEY", secret)
                .env("AWS_SESSION_TOKEN", token)
                .env("AWS_REGION", "us-east-1")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let everything = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr_of(&output));
        // The SDK's debug lines are there (so the test sees the level that used to leak), the key is not.
        assert!(everything.contains("access_key_id"), "no SDK identity line at {verbosity}");
        for part in [key, secret, token, &key[4..], &key[..12]] {
            assert!(!everything.contains(part), "{part} in {log_format} logs");
        }
    }
    // And through PZ_LOG, whatever filter it sets.
    let dir = dir.path().to_path_buf();
    let endpoint = running.endpoint_url();
    let output = tokio::task::spawn_blocking(move || {
        support::pz_apply(&dir)
            .args(["status", "--endpoint-url", &endpoint])
            .env("PZ_LOG", "trace")
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!stderr_of(&output).contains(key) && !stderr_of(&output).contains(secret));
}
