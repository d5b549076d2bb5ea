//! Version checks and the metrics guard, through the binary, over HTTP against pz-emulator: plan shows
//! both versions and their metrics, blocks what cannot or must not be deployed, and apply sends nothing for
//! a blocked campaign.

mod support;

use pz_emulator::RunningEmulator;
use serde_json::{Value, json};

const SOLUTION: &str = "arn:aws:personalize:us-east-1:111122223333:solution/recs";

fn version(id: &str) -> String {
    format!("{SOLUTION}/{id}")
}

/// v1 serves `home`; v2 is better, v3 worse, v4 still training, v5 failed, v6 lacks precision.
async fn emulator() -> RunningEmulator {
    support::start_emulator(json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": [
            { "id": "v1", "trainingHours": 2.0, "metrics": { "coverage": 0.20, "precision_at_25": 0.0400 } },
            { "id": "v2", "trainingMode": "UPDATE", "trainingHours": 0.5,
              "metrics": { "coverage": 0.22, "precision_at_25": 0.0420 } },
            { "id": "v3", "metrics": { "coverage": 0.19, "precision_at_25": 0.0350 } },
            { "id": "v4", "status": "CREATE IN_PROGRESS" },
            { "id": "v5", "status": "CREATE FAILED", "failureReason": "Not enough interactions" },
            { "id": "v6", "metrics": { "coverage": 0.30 } }
        ]}],
        "campaigns": [{ "name": "home", "solutionVersionArn": version("v1"), "minProvisionedTPS": 1 }]
    }))
    .await
}

fn home_file(dir: &std::path::Path, version_id: &str, guard: &str) {
    std::fs::create_dir_all(dir.join("campaigns")).unwrap();
    let text =
        format!("name: home\nsolutionVersionArn: {}\nminProvisionedTPS: 1\n{guard}", version(version_id));
    std::fs::write(dir.join("campaigns/home.yaml"), text).unwrap();
}

async fn plan_json(dir: &std::path::Path, running: &RunningEmulator) -> (i32, Value) {
    let mut command = support::pz_apply_against(dir, running);
    command.args(["plan", "--format", "json", "--detailed-exitcode"]);
    let (code, stdout, stderr) = support::output(command).await;
    let document = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}{stderr}"));
    (code, document)
}

fn operations(running: &RunningEmulator, operation: &str) -> Vec<Value> {
    running
        .emulator
        .requests()
        .into_iter()
        .filter(|call| call.operation == operation)
        .map(|call| call.input)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_better_version_passes_and_both_are_shown_side_by_side() {
    let running = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    home_file(
        dir.path(),
        "v2",
        "guard:\n  precision_at_25: { min: 0.04, maxDropPercent: 5 }\n  coverage: { maxDrop: 0.01 }\n",
    );
    let (code, plan) = plan_json(dir.path(), &running).await;
    assert_eq!(code, 2);
    let home = &plan["campaigns"][0];
    assert_eq!(home["action"], "update");
    let versions = &home["versions"];
    assert_eq!(versions["serving"]["arn"], version("v1"));
    assert_eq!(versions["serving"]["trainingMode"], "FULL");
    assert_eq!(versions["new"]["trainingMode"], "UPDATE");
    assert_eq!(versions["new"]["trainingHours"], 0.5);
    assert_eq!(versions["new"]["metrics"], json!({ "coverage": 0.22, "precision_at_25": 0.042 }));
    assert_eq!(versions["guard_failures"], json!([]));
    assert_eq!(versions["trained_apart"], true);
    assert!(
        home["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|note| note.as_str().unwrap().contains("not strictly comparable"))
    );

    // Text and Markdown show the same table.
    let mut text = support::pz_apply_against(dir.path(), &running);
    text.arg("plan");
    let (_, text, _) = support::output(text).await;
    assert!(text.contains("versions") && text.contains("serving v1") && text.contains("new v2"), "{text}");
    assert!(text.contains("precision_at_25") && text.contains("0.0400") && text.contains("0.0420"), "{text}");
    let mut markdown = support::pz_apply_against(dir.path(), &running);
    markdown.args(["plan", "--format", "markdown"]);
    let (_, markdown, _) = support::output(markdown).await;
    assert!(markdown.contains("| version | serving `v1` | new `v2` |\n|---|---:|---:|\n"), "{markdown}");
    assert!(markdown.contains("| precision\\_at\\_25 | 0.0400 | 0.0420 |"), "{markdown}");

    // Read-only, and each version read once however many formats asked.
    assert!(support::write_operations(&running).is_empty());
    let described: Vec<Value> = operations(&running, "DescribeSolutionVersion");
    assert_eq!(described.len(), 3 * 2, "serving and new, once per plan run");

    // Apply deploys it: one UpdateCampaign to v2.
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--auto-approve", "--timeout", "2s"]);
    support::output(apply).await;
    let updates = operations(&running, "UpdateCampaign");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["solutionVersionArn"], version("v2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_guard_blocks_a_worse_version_and_apply_sends_nothing() {
    let running = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    for (guard, expected) in [
        ("precision_at_25: { min: 0.038 }", "precision_at_25 is 0.0350, below the guard's min 0.0380"),
        (
            "precision_at_25: { maxDrop: 0.004 }",
            "precision_at_25 drops by 0.0050 (from 0.0400 serving now to 0.0350), more than the guard's maxDrop 0.0040",
        ),
        (
            "coverage: { maxDropPercent: 4 }",
            "coverage drops by 5.0 % (from 0.2000 serving now to 0.1900), more than the guard's maxDropPercent 4",
        ),
    ] {
        home_file(dir.path(), "v3", &format!("guard:\n  {guard}\n"));
        let (code, plan) = plan_json(dir.path(), &running).await;
        assert_eq!(code, 2, "{guard}");
        let home = &plan["campaigns"][0];
        assert_eq!(home["action"], "blocked", "{guard}");
        assert_eq!(home["request"], Value::Null);
        let reason = home["blocked_reason"].as_str().unwrap();
        assert!(
            reason.starts_with("campaigns/home.yaml:2: the new version fails the file's guard: "),
            "{reason}"
        );
        assert!(reason.contains(expected), "{reason}");
    }
    let mut apply = support::pz_apply_against(dir.path(), &running);
    apply.args(["apply", "--auto-approve"]);
    let (code, stdout, _) = support::output(apply).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("fails the file's guard"), "the summary says why: {stdout}");
    assert!(support::write_operations(&running).is_empty(), "{:?}", support::write_operations(&running));

    // Without the guard, the same version is an update, and apply deploys it.
    home_file(dir.path(), "v3", "");
    let (_, plan) = plan_json(dir.path(), &running).await;
    assert_eq!(plan["campaigns"][0]["action"], "update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_that_cannot_serve_are_blocked_with_the_reason() {
    let running = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    for (id, expected) in [
        ("v9", format!("campaigns/home.yaml:2: the solution version {} does not exist", version("v9"))),
        (
            "v4",
            format!(
                "campaigns/home.yaml:2: the solution version {} is not ACTIVE yet (CREATE IN_PROGRESS); apply once it has finished training",
                version("v4")
            ),
        ),
        (
            "v5",
            format!(
                "campaigns/home.yaml:2: the solution version {} failed training: Not enough interactions",
                version("v5")
            ),
        ),
    ] {
        home_file(dir.path(), id, "");
        let (code, plan) = plan_json(dir.path(), &running).await;
        assert_eq!(code, 2);
        assert_eq!(plan["campaigns"][0]["action"], "blocked", "{id}");
        assert_eq!(plan["campaigns"][0]["blocked_reason"], expected);
    }
    // A version not ACTIVE has no metrics to read.
    assert!(
        operations(&running, "GetSolutionMetrics")
            .iter()
            .all(|input| input["solutionVersionArn"] == version("v1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_a_recipe_lacks_are_absent_and_fail_a_guard_on_them() {
    let running = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    home_file(dir.path(), "v6", "");
    let (_, plan) = plan_json(dir.path(), &running).await;
    assert_eq!(plan["campaigns"][0]["action"], "update");
    assert_eq!(plan["campaigns"][0]["versions"]["new"]["metrics"], json!({ "coverage": 0.3 }));
    let mut text = support::pz_apply_against(dir.path(), &running);
    text.arg("plan");
    let (_, text, _) = support::output(text).await;
    let row = text.lines().find(|line| line.trim_start().starts_with("precision_at_25")).unwrap();
    assert!(row.trim_end().ends_with('-'), "absent, not zero: {row}");

    home_file(dir.path(), "v6", "guard:\n  precision_at_25: { min: 0.01 }\n");
    let (_, plan) = plan_json(dir.path(), &running).await;
    assert_eq!(plan["campaigns"][0]["action"], "blocked");
    assert!(
        plan["campaigns"][0]["blocked_reason"]
            .as_str()
            .unwrap()
            .contains("precision_at_25 is not reported for the new version")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_shows_what_aws_deployed_and_warns_when_it_fails_the_guard() {
    // $LATEST serves v6, the newest ACTIVE version (v4 trains, v5 failed... and v6 is newest of all).
    let running = support::start_emulator(json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": [
            { "id": "v1", "metrics": { "coverage": 0.20, "precision_at_25": 0.04 } },
            { "id": "v6", "metrics": { "coverage": 0.05 } }
        ]}],
        "campaigns": [{ "name": "home", "solutionVersionArn": version("$LATEST"),
                        "campaignConfig": { "syncWithLatestSolutionVersion": true } }]
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    let file = format!(
        "name: home\nsolutionVersionArn: {}\ncampaignConfig:\n  syncWithLatestSolutionVersion: true\n",
        version("$LATEST")
    );
    // Without a guard there is nothing to check: no table, no version read.
    std::fs::write(dir.path().join("campaigns/home.yaml"), &file).unwrap();
    let (code, plan) = plan_json(dir.path(), &running).await;
    assert_eq!((code, &plan["campaigns"][0]["versions"]), (0, &Value::Null));
    assert!(operations(&running, "DescribeSolutionVersion").is_empty());
    std::fs::write(
        dir.path().join("campaigns/home.yaml"),
        format!("{file}guard:\n  coverage: {{ min: 0.1 }}\n"),
    )
    .unwrap();
    let (code, plan) = plan_json(dir.path(), &running).await;
    assert_eq!(code, 0, "nothing to send: not blocked");
    let home = &plan["campaigns"][0];
    assert_eq!(home["action"], "no-op");
    assert_eq!(home["versions"]["serving"]["arn"], version("v6"));
    assert_eq!(home["versions"]["new"], Value::Null);
    let warning = home["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|note| note.starts_with("warning:"));
    assert_eq!(
        warning,
        Some(
            "warning: the version $LATEST serves fails the file's guard (coverage is 0.0500, below the guard's min 0.1000); AWS deployed it, pz-apply has nothing to send"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_campaigns_whose_version_changes_read_versions_each_version_once() {
    let running = support::start_emulator(json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": [
            { "id": "v1", "metrics": { "coverage": 0.2 } },
            { "id": "v2", "metrics": { "coverage": 0.3 } }
        ]}],
        "campaigns": [
            { "name": "a", "solutionVersionArn": version("v1") },
            { "name": "b", "solutionVersionArn": version("v1") },
            { "name": "c", "solutionVersionArn": version("v1") }
        ]
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    // a and b move to v2; c only changes its TPS.
    for (name, id, tps) in [("a", "v2", 1), ("b", "v2", 1), ("c", "v1", 3)] {
        std::fs::write(
            dir.path().join(format!("campaigns/{name}.yaml")),
            format!("name: {name}\nsolutionVersionArn: {}\nminProvisionedTPS: {tps}\n", version(id)),
        )
        .unwrap();
    }
    let (code, _) = plan_json(dir.path(), &running).await;
    assert_eq!(code, 2);
    let described: Vec<String> = operations(&running, "DescribeSolutionVersion")
        .iter()
        .map(|input| input["solutionVersionArn"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = described.clone();
    sorted.sort();
    assert_eq!(sorted, [version("v1"), version("v2")], "v1 and v2 once each, nothing for c alone");
    assert_eq!(operations(&running, "GetSolutionMetrics").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_markdown_with_version_tables_stays_within_the_comment_budget() {
    let names: Vec<String> = (0..400).map(|n| format!("c{n}")).collect();
    let running = support::start_emulator(json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": [
            { "id": "v1", "metrics": { "coverage": 0.2, "precision_at_25": 0.04 } },
            { "id": "v2", "metrics": { "coverage": 0.3, "precision_at_25": 0.05 } }
        ]}],
        "campaigns": names.iter().map(|name| json!({ "name": name, "solutionVersionArn": version("v1") })).collect::<Vec<_>>()
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    let documents: Vec<String> =
        names.iter().map(|name| format!("name: {name}\nsolutionVersionArn: {}\n", version("v2"))).collect();
    std::fs::write(dir.path().join("campaigns/all.yaml"), documents.join("---\n")).unwrap();
    let mut markdown = support::pz_apply_against(dir.path(), &running);
    markdown.args(["plan", "--format", "markdown"]);
    let (code, markdown, stderr) = support::output(markdown).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(markdown.starts_with("### pz-apply plan: 400 campaigns to change\n"));
    assert!(markdown.chars().count() <= pz_apply::render::markdown::MAX_COMMENT_CHARS, "{}", markdown.len());
    assert!(markdown.contains("| version | serving `v1` | new `v2` |"));
    assert!(markdown.contains("left out to keep this comment under GitHub's size limit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_needs_an_active_version_to_deploy() {
    let running = support::start_emulator(json!({
        "solutions": [{ "solutionArn": SOLUTION, "versions": [
            { "id": "v4", "status": "CREATE IN_PROGRESS" }
        ]}]
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("campaigns")).unwrap();
    std::fs::write(
        dir.path().join("campaigns/home.yaml"),
        format!(
            "name: home\nsolutionVersionArn: {}\ncampaignConfig:\n  syncWithLatestSolutionVersion: true\n",
            version("$LATEST")
        ),
    )
    .unwrap();
    let (code, plan) = plan_json(dir.path(), &running).await;
    assert_eq!(code, 2);
    assert_eq!(plan["campaigns"][0]["action"], "blocked");
    assert_eq!(
        plan["campaigns"][0]["blocked_reason"],
        format!(
            "campaigns/home.yaml:2: the solution {SOLUTION} has no ACTIVE version, so $LATEST would serve nothing; train one first"
        )
    );
    assert_eq!(operations(&running, "ListSolutionVersions").len(), 1);
    assert!(support::write_operations(&running).is_empty());
}
