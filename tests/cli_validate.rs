//! `pz-apply validate` through the real binary: exit codes and the exact `file:line:col` it prints.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;

fn pz_apply() -> Command {
    let mut command = cargo_bin_cmd!("pz-apply");
    command.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("GITHUB_ACTIONS");
    command
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(command: &mut Command) -> Run {
    let output = command.output().expect("pz-apply runs");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn the_example_campaigns_are_valid_by_default() {
    let result = run(pz_apply().arg("validate"));
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    let count = fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("campaigns")).unwrap().count();
    assert_eq!(result.stdout, format!("{count} campaigns in {count} files: valid\n"));
}

#[test]
fn several_documents_in_one_file() {
    let result = run(pz_apply().args(["validate", "tests/fixtures/valid"]));
    assert_eq!(result.code, 0, "{}", result.stdout);
    assert_eq!(result.stdout, "2 campaigns in 1 file: valid\n");
}

#[test]
fn every_problem_in_every_file_with_its_location() {
    let result = run(pz_apply().args(["validate", "tests/fixtures/invalid"]));
    assert_eq!(result.code, 1);
    let locations: Vec<&str> = result
        .stdout
        .lines()
        .filter_map(|line| line.split_once(": error: ").map(|(location, _)| location))
        .collect();
    assert_eq!(
        locations,
        [
            "tests/fixtures/invalid/duplicate-keys.yaml:4:1",
            "tests/fixtures/invalid/latest.yaml:5:34",
            "tests/fixtures/invalid/latest.yaml:9:21",
            "tests/fixtures/invalid/ranges.yaml:2:21",
            "tests/fixtures/invalid/ranges.yaml:3:20",
            "tests/fixtures/invalid/ranges.yaml:6:24",
            "tests/fixtures/invalid/ranges.yaml:7:31",
            "tests/fixtures/invalid/ranges.yaml:9:17",
            "tests/fixtures/invalid/ranges.yaml:11:3",
            "tests/fixtures/invalid/ranges.yaml:12:16",
            "tests/fixtures/invalid/syntax.yaml:2:21",
            "tests/fixtures/invalid/typos.yaml:3:1",
            "tests/fixtures/invalid/typos.yaml:5:34",
        ]
    );
    assert_eq!(result.stderr, "error: 13 problems in 5 files (5 checked)\n");
}

#[test]
fn text_shows_the_line_the_caret_and_the_fix() {
    let result = run(pz_apply().args(["validate", "tests/fixtures/invalid/typos.yaml"]));
    assert_eq!(result.code, 1);
    assert!(
        result.stdout.starts_with(
            "tests/fixtures/invalid/typos.yaml:3:1: error: unknown field `minProvisionedTps`\n  |\n3 | minProvisionedTps: 2\n  \
             | ^^^^^^^^^^^^^^^^^\n  = help: did you mean `minProvisionedTPS`?\n"
        ),
        "{}",
        result.stdout
    );
    assert!(result.stdout.contains("5 |   syncWithLatestSolutionVersion: yes\n  |                                  ^^^\n  = help: write `true`"));
}

#[test]
fn json_lists_each_diagnostic_for_tools() {
    let result = run(pz_apply().args(["validate", "--format", "json", "tests/fixtures/invalid/typos.yaml"]));
    assert_eq!(result.code, 1);
    let diagnostics: serde_json::Value =
        serde_json::from_str(&result.stdout).expect("stdout is one JSON document");
    let diagnostics = diagnostics.as_array().unwrap();
    assert_eq!(diagnostics.len(), 2);
    assert_eq!(diagnostics[0]["file"], "tests/fixtures/invalid/typos.yaml");
    assert_eq!(diagnostics[0]["line"], 3);
    assert_eq!(diagnostics[0]["column"], 1);
    assert_eq!(diagnostics[0]["field"], "minProvisionedTps");
    assert_eq!(diagnostics[1]["field"], "campaignConfig.syncWithLatestSolutionVersion");
    assert_eq!(diagnostics[1]["help"], "write `true`");

    let result = run(pz_apply().args(["validate", "--format", "json"]));
    assert_eq!((result.code, result.stdout.trim()), (0, "[]"));
}

#[test]
fn github_actions_get_annotations() {
    let result =
        run(pz_apply().args(["validate", "tests/fixtures/invalid/typos.yaml"]).env("GITHUB_ACTIONS", "true"));
    assert_eq!(result.code, 1);
    assert!(
        result.stdout.contains(
            "::error file=tests/fixtures/invalid/typos.yaml,line=3,col=1,title=pz-apply%3A minProvisionedTps::unknown field \
             `minProvisionedTps`%0Ahelp: did you mean `minProvisionedTPS`?\n"
        ),
        "{}",
        result.stdout
    );
    // With JSON on stdout the annotations go to stderr, so stdout stays one document.
    let result = run(pz_apply()
        .args(["validate", "--format", "json", "tests/fixtures/invalid/typos.yaml"])
        .env("GITHUB_ACTIONS", "true"));
    serde_json::from_str::<serde_json::Value>(&result.stdout).unwrap();
    assert_eq!(result.stderr.matches("::error file=").count(), 2);
    // Only `true` turns them on.
    let result = run(pz_apply()
        .args(["validate", "tests/fixtures/invalid/typos.yaml"])
        .env("GITHUB_ACTIONS", "false"));
    assert!(!result.stdout.contains("::error"));
}

#[test]
fn the_same_campaign_in_two_files_names_both() {
    let dir = tempfile::tempdir().unwrap();
    let campaign =
        "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n";
    fs::write(dir.path().join("a.yaml"), campaign).unwrap();
    fs::write(dir.path().join("b.yaml"), format!("# copy\n{campaign}")).unwrap();
    let result = run(pz_apply().arg("validate").arg(dir.path()));
    assert_eq!(result.code, 1);
    let b = dir.path().join("b.yaml");
    let a = dir.path().join("a.yaml");
    assert!(result.stdout.contains(&format!(
        "{}:2:1: error: campaign `home` is defined twice (arn:aws:personalize:us-east-1:111122223333:campaign/home)",
        b.display()
    )));
    assert!(
        result.stdout.contains(&format!("= note: first defined here at {}:1:1", a.display())),
        "{}",
        result.stdout
    );
}

#[test]
fn directories_are_searched_recursively_in_a_stable_order() {
    let dir = tempfile::tempdir().unwrap();
    let campaign = |name: &str| {
        format!(
            "name: {name}\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n"
        )
    };
    fs::create_dir_all(dir.path().join("team-b/nested")).unwrap();
    fs::create_dir_all(dir.path().join(".hidden")).unwrap();
    fs::write(dir.path().join("team-b/nested/x.yml"), "name: -bad\n").unwrap();
    fs::write(dir.path().join("a.yaml"), "name: -bad\n").unwrap();
    fs::write(dir.path().join("team-b/c.YAML"), campaign("c")).unwrap();
    fs::write(dir.path().join("notes.txt"), "name: -bad\n").unwrap();
    fs::write(dir.path().join(".hidden/h.yaml"), "name: -bad\n").unwrap();
    let result = run(pz_apply().arg("validate").arg(dir.path()));
    let files: Vec<String> = result
        .stdout
        .lines()
        .filter(|line| line.contains(":1:7: error:"))
        .map(|line| line.split(':').next().unwrap().to_string())
        .collect();
    let expected = [dir.path().join("a.yaml"), dir.path().join("team-b/nested/x.yml")];
    assert_eq!(files, expected.map(|p| p.display().to_string()));
    assert_eq!(result.stderr, "error: 4 problems in 2 files (3 checked)\n");
}

#[test]
fn a_file_named_explicitly_is_read_whatever_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("campaign.txt");
    fs::write(
        &file,
        "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n",
    )
    .unwrap();
    let result = run(pz_apply().arg("validate").arg(&file).arg(&file));
    assert_eq!((result.code, result.stdout.as_str()), (0, "1 campaign in 1 file: valid\n"));
}

#[test]
fn missing_paths_and_empty_directories_are_errors() {
    let result = run(pz_apply().args(["validate", "no/such/dir"]));
    assert_eq!(result.code, 1);
    assert_eq!(result.stderr, "error: no/such/dir: no such file or directory\n");

    let dir = tempfile::tempdir().unwrap();
    let result = run(pz_apply().arg("validate").arg(dir.path()));
    assert_eq!(result.code, 1);
    assert!(result.stderr.contains("no campaign files (*.yaml, *.yml) found in"), "{}", result.stderr);
}

#[test]
fn hostile_files_end_quickly_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb =
        String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (previous, name) in
        ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{previous}"); 9].join(",")));
    }
    let cases = [
        (
            "big.yaml",
            format!("name: a\n# {}\n", "x".repeat(2 * 1024 * 1024)).into_bytes(),
            "larger than the 1048576 byte limit",
        ),
        ("bomb.yaml", bomb.into_bytes(), "expands too much through anchors and aliases"),
        (
            "deep.yaml",
            format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            "nested more than 32 levels deep",
        ),
        ("latin1.yaml", b"name: caf\xe9\n".to_vec(), "1:10: error: file is not valid UTF-8 text"),
    ];
    for (name, content, expected) in cases {
        let file = dir.path().join(name);
        fs::write(&file, content).unwrap();
        let started = Instant::now();
        let result = run(pz_apply().arg("validate").arg(&file));
        assert!(started.elapsed() < Duration::from_secs(10), "{name} took {:?}", started.elapsed());
        assert_eq!(result.code, 1, "{name}");
        assert!(result.stdout.contains(expected), "{name}: {}", result.stdout);
    }
    // The undecodable byte is shown, replaced, under the caret.
    let result = run(pz_apply().arg("validate").arg(dir.path().join("latin1.yaml")));
    assert!(result.stdout.contains("1 | name: caf\u{fffd}\n  |          ^\n"), "{}", result.stdout);
}

#[test]
fn schema_prints_the_committed_schema() {
    let result = run(pz_apply().arg("schema"));
    assert_eq!(result.code, 0);
    let committed =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/campaign.schema.json"))
            .unwrap();
    assert_eq!(result.stdout, committed);
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let result = run(pz_apply().args(["validate", "--format", "yaml"]));
    assert_eq!(result.code, 1);
    assert!(result.stderr.contains("invalid value 'yaml'"));
    assert_eq!(run(pz_apply().arg("--help")).code, 0);
    assert_eq!(run(pz_apply().arg("frobnicate")).code, 1);
}
