//! Starting with pz-apply through the real binary: `init`, shell completions and the man page, all
//! generated from the same definitions the program uses, so they cannot drift from it.

mod support;

use std::path::Path;
use std::process::Output;

use clap::CommandFactory;
use pz_apply::cli::Cli;

fn run(dir: &Path, args: &[&str]) -> Output {
    support::pz_apply(dir).args(args).output().unwrap()
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn init_starts_a_repository_that_validates_and_plans() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["init", "repo", "--ci", "github"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout_of(&output).starts_with(
        "wrote repo/campaigns/my-campaign.yaml\nwrote repo/schemas/campaign.schema.json\n\
         wrote repo/.github/workflows/pz-apply.yml\nwrote repo/.github/workflows/pz-apply-drift.yml\n\
         added .pz-apply/ to repo/.gitignore\n\nNext:\n  cd repo\n"
    ));
    let repo = dir.path().join("repo");
    assert_eq!(read(repo.join("schemas/campaign.schema.json")), pz_apply::spec::schema_json());
    assert_eq!(read(repo.join(".github/workflows/pz-apply.yml")), read("examples/ci/github/pz-apply.yml"));
    assert_eq!(
        read(repo.join(".gitignore")),
        "# pz-apply --local: the embedded emulator's state\n.pz-apply/\n"
    );
    let campaign = read(repo.join("campaigns/my-campaign.yaml"));
    assert!(campaign.starts_with("# yaml-language-server: $schema=../schemas/campaign.schema.json\n"));

    assert_eq!(stdout_of(&run(&repo, &["validate"])), "1 campaign in 1 file: valid\n");
    let plan = run(&repo, &["plan", "--local", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2));
    assert!(stdout_of(&plan).starts_with("+ my-campaign (create)  campaigns/my-campaign.yaml:8\n"));

    // Run again: nothing is overwritten without --force, and .gitignore is not appended to twice.
    std::fs::write(repo.join("campaigns/my-campaign.yaml"), "edited").unwrap();
    let again = run(&repo, &["init"]);
    assert!(stdout_of(&again).starts_with(
        "kept ./campaigns/my-campaign.yaml (it exists; --force overwrites it)\n\
         kept ./schemas/campaign.schema.json (it exists; --force overwrites it)\n\nNext:\n  pz-apply validate\n"
    ));
    assert_eq!(read(repo.join("campaigns/my-campaign.yaml")), "edited");
    assert_eq!(read(repo.join(".gitignore")).matches(".pz-apply/").count(), 1);
    run(&repo, &["init", "--force"]);
    assert_eq!(read(repo.join("campaigns/my-campaign.yaml")), campaign);
}

#[test]
fn init_for_gitlab_writes_the_pipeline_and_keeps_an_existing_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "target").unwrap();
    let output = run(dir.path(), &["init", "--ci", "gitlab"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(read(dir.path().join(".gitlab-ci.yml")), read("examples/ci/gitlab/gitlab-ci.yml"));
    assert_eq!(
        read(dir.path().join(".gitignore")),
        "target\n# pz-apply --local: the embedded emulator's state\n.pz-apply/\n"
    );
    assert!(!dir.path().join(".github").exists());
}

/// Every subcommand and every long option of each, as clap knows them.
fn commands_and_options() -> Vec<(String, Vec<String>)> {
    Cli::command()
        .get_subcommands()
        .map(|command| {
            let longs =
                command.get_arguments().filter_map(|arg| arg.get_long().map(str::to_string)).collect();
            (command.get_name().to_string(), longs)
        })
        .collect()
}

#[test]
fn completions_cover_every_command_and_option() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = run(dir.path(), &["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout_of(&output);
        for (command, options) in commands_and_options() {
            assert!(script.contains(&command), "{shell} lacks {command}");
            for option in options {
                // fish writes `-l format`, the others `--format`.
                let listed =
                    script.contains(&format!("--{option}")) || script.contains(&format!("-l {option}"));
                assert!(listed, "{shell}: {command} --{option}");
            }
        }
        // The scripts must at least parse in the shells that are here.
        let checker = match shell {
            "bash" => Some("bash"),
            "zsh" => Some("zsh"),
            _ => None,
        };
        if let Some(checker) = checker.filter(|checker| which(checker)) {
            let path = dir.path().join(format!("completion.{shell}"));
            std::fs::write(&path, &script).unwrap();
            let status = std::process::Command::new(checker).arg("-n").arg(&path).status().unwrap();
            assert!(status.success(), "{shell} completion does not parse");
        }
    }
    let bad = run(dir.path(), &["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(1));
}

fn which(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_man_pages_document_every_command_and_option() {
    let dir = tempfile::tempdir().unwrap();
    let page = stdout_of(&run(dir.path(), &["man"]));
    assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq") || page.contains(".TH pz-apply 1"), "{page}");
    for (command, _) in commands_and_options() {
        assert!(
            page.contains(&format!("pz\\-apply\\-{}(1)", command.replace('-', "\\-"))),
            "man page lacks {command}"
        );
    }
    let output = run(dir.path(), &["man", "--dir", "man"]);
    assert_eq!(output.status.code(), Some(0));
    for (command, options) in commands_and_options() {
        let page = read(dir.path().join(format!("man/pz-apply-{command}.1")));
        for option in options {
            assert!(
                page.contains(&format!("\\-\\-{}", option.replace('-', "\\-"))),
                "pz-apply-{command}.1 lacks --{option}"
            );
        }
    }
}

/// The hook definition in .pre-commit-hooks.yaml, run by pre-commit itself (scripts/test installs it) in a
/// repository of its own, with this build's pz-apply on PATH: a bad campaign file stops the commit.
#[test]
fn the_pre_commit_hook_validates_changed_campaign_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").current_dir(repo).args(args).status().unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::create_dir_all(repo.join("campaigns")).unwrap();
    std::fs::write(repo.join("campaigns/bad.yaml"), "name: bad name\nsolutionVersionArn: x\n").unwrap();
    std::fs::write(repo.join("notes.yaml"), "not: a campaign\n").unwrap();
    git(&["add", "."]);
    let bin = Path::new(assert_cmd::cargo::cargo_bin!("pz-apply")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let hook = |files: &[&str]| {
        std::process::Command::new("python3")
            .current_dir(repo)
            .args([
                "-m",
                "pre_commit",
                "try-repo",
                env!("CARGO_MANIFEST_DIR"),
                "pz-apply-validate-system",
                "--files",
            ])
            .args(files)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", dir.path().join(".cache"))
            .output()
            .unwrap()
    };
    let failed = hook(&["campaigns/bad.yaml", "notes.yaml"]);
    let stdout = stdout_of(&failed);
    assert_eq!(failed.status.code(), Some(1), "{stdout}{}", String::from_utf8_lossy(&failed.stderr));
    assert!(stdout.contains("campaigns/bad.yaml:1:7: error:"), "{stdout}");
    // Files outside campaigns/ are not campaign files: the hook does not look at them.
    assert!(!stdout.contains("notes.yaml"), "{stdout}");

    std::fs::write(
        repo.join("campaigns/bad.yaml"),
        "name: good\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/v1\n",
    )
    .unwrap();
    let passed = hook(&["campaigns/bad.yaml"]);
    assert_eq!(passed.status.code(), Some(0), "{}", stdout_of(&passed));
}

/// Completions and man pages printed into a pipe whose reader has gone: exit 0, nothing on stderr (no
/// panic from the generators' writers).
#[test]
fn generated_text_into_a_closed_pipe_is_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["completions", "bash"][..], &["completions", "zsh"], &["man"], &["schema"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = support::pz_apply(dir.path()).args(args).stdout(writer).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
}
