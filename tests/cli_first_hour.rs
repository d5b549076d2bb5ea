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

#[test]
fn machine_formats_carry_the_problems_of_invalid_files_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    std::fs::write(dir.path().join("campaigns/bad.yaml"), "name: bad name\nsolutionVersionArn: x\n").unwrap();
    let validate = support::pz_apply(dir.path()).args(["validate", "--format", "json"]).output().unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&validate.stdout).unwrap();
    assert_eq!(expected.as_array().map(Vec::len), Some(2));
    for command in ["plan", "status"] {
        let output =
            support::pz_apply(dir.path()).args([command, "--format", "json", "--local"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}");
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(document, expected, "{command}");
        // People still read the problems on stderr.
        assert!(stderr_of(&output).contains("campaigns/bad.yaml:1:7: error:"), "{command}");
    }
    let apply = support::pz_apply(dir.path())
        .args(["apply", "--format", "json", "--local", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(1));
    let event: serde_json::Value = serde_json::from_slice(&apply.stdout).unwrap();
    assert_eq!(event, serde_json::json!({ "event": "invalid", "problems": expected }));
    // Nothing was sent: --local never started.
    assert!(!dir.path().join(".pz-apply").exists());
}

#[test]
fn a_tab_in_the_indentation_is_pointed_at_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    std::fs::write(
        dir.path().join("campaigns/home.yaml"),
        format!("{HOME}campaignConfig:\n\tsyncWithLatestSolutionVersion: false\n"),
    )
    .unwrap();
    let output = support::pz_apply(dir.path()).arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with(
            "campaigns/home.yaml:4:1: error: a tab in the indentation: YAML indents with spaces only\n  |\n\
             4 | →syncWithLatestSolutionVersion: false\n  | ^\n  = help: indent with spaces"
        ),
        "{stdout}"
    );
}

#[test]
fn an_empty_file_holds_no_campaign_and_a_missing_directory_says_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = support::pz_apply(dir.path()).arg("plan").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.starts_with("error: no `campaigns/` directory here, where pz-apply reads"), "{stderr}");
    assert!(stderr.contains("`pz-apply init`") && stderr.contains("`pz-apply import --all`"), "{stderr}");

    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    std::fs::write(dir.path().join("campaigns/empty.yaml"), "").unwrap();
    std::fs::write(dir.path().join("campaigns/notes.yaml"), "# to do\n").unwrap();
    let output = support::pz_apply(dir.path()).arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("campaigns/empty.yaml:1:1: error: the file holds no campaign (it is empty)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("campaigns/notes.yaml:1:1: error: the file holds no campaign (only comments)"),
        "{stdout}"
    );
}

#[test]
fn options_appear_only_on_the_commands_that_use_them() {
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path());
    for (command, option) in [
        ("validate", "--profile=dev"),
        ("validate", "--local"),
        ("validate", "--endpoint-url=http://127.0.0.1:1"),
        ("schema", "--local"),
        ("schema", "--region=us-east-1"),
    ] {
        let output = support::pz_apply(dir.path()).args([command, option]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{command} {option}");
        assert!(
            stderr_of(&output).contains("unexpected argument"),
            "{command} {option}: {}",
            stderr_of(&output)
        );
        let help = support::pz_apply(dir.path()).args([command, "--help"]).output().unwrap();
        let option_name = option.split('=').next().unwrap();
        assert!(
            !String::from_utf8_lossy(&help.stdout).contains(option_name),
            "{command} --help shows {option_name}"
        );
    }
    for command in ["validate", "plan", "apply", "import", "status", "schema"] {
        let help = support::pz_apply(dir.path()).args([command, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&help.stdout).into_owned();
        assert!(help.contains("Global options:\n") && help.contains("--color <COLOR>"), "{command}: {help}");
        let calls_aws = !matches!(command, "validate" | "schema");
        assert_eq!(help.contains("AWS connection:\n      --local"), calls_aws, "{command}: {help}");
    }
    // --color works on every command, before or after it.
    for args in [
        &["--color", "never", "validate"][..],
        &["validate", "--color", "always"],
        &["schema", "--color=never"],
    ] {
        let output = support::pz_apply(dir.path()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr_of(&output));
    }
}

#[test]
fn durations_take_units_everywhere_and_terraform_habits_get_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path());
    for value in ["5s", "1500ms", "2m", "7"] {
        let output = support::pz_apply(dir.path())
            .args(["plan", "--local", "--call-timeout", value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "--call-timeout {value}: {}", stderr_of(&output));
    }
    let bad = support::pz_apply(dir.path()).args(["plan", "--call-timeout", "5 parsecs"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr_of(&bad).contains("unknown unit `parsecs`"), "{}", stderr_of(&bad));

    let output = support::pz_apply(dir.path()).args(["apply", "--local", "-auto-approve"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).ends_with("hint: pz-apply's options take two dashes: `--auto-approve`\n"));
    assert!(output.stdout.is_empty(), "no plan was shown, nothing ran");
}
