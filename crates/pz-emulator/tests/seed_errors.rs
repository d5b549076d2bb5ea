//! A seed file with a problem stops pz-emulator with the problem's place in the file, in the style
//! pz-apply's validate uses: `file:line:col: error: ...`, the line, and a caret under the place.

use std::process::Command;

fn emulator_with_seed(name: &str, text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_pz-emulator"))
        .current_dir(dir.path())
        .args(["--port", "0", "--seed", name])
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

const SOLUTION: &str = "solutions:\n  - solutionArn: arn:aws:personalize:us-east-1:111122223333:solution/home\n    versions: [v1]\n";

#[test]
fn an_unknown_field_points_at_it() {
    let (code, stderr) = emulator_with_seed("seed.yaml", &format!("{SOLUTION}    bogus: 1\n"));
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "seed.yaml:4:5: error: unknown field `bogus`, expected one of solutionArn, versions\n  |\n4 |     bogus: 1\n  |     ^\n"
    );
}

#[test]
fn a_bad_solution_arn_points_at_its_value() {
    let (code, stderr) = emulator_with_seed("seed.yaml", "solutions:\n  - solutionArn: \"nope\"\n");
    assert_eq!(code, 1);
    assert!(stderr.starts_with("seed.yaml:2:19: error: solution nope is not a solution ARN"), "{stderr}");
    assert!(stderr.ends_with("2 |   - solutionArn: \"nope\"\n  |                   ^\n"), "{stderr}");
}

#[test]
fn a_campaign_the_api_refuses_points_at_its_name() {
    let text = format!(
        "{SOLUTION}campaigns:\n  - name: a\n    solutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/home/v9\n"
    );
    let (code, stderr) = emulator_with_seed("seed.yaml", &text);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("seed.yaml:5:11: error: campaign `a`: ResourceNotFoundException"), "{stderr}");
    assert!(stderr.contains("5 |   - name: a\n  |           ^\n"), "{stderr}");
}

#[test]
fn json_seeds_are_located_too() {
    let (code, stderr) = emulator_with_seed("seed.json", "{\"solutions\": [{\"solutionArn\": 3}]}");
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("seed.json:1:32: error: invalid type: integer `3`, expected a string\n"),
        "{stderr}"
    );
}

#[test]
fn a_recommender_the_api_refuses_points_at_its_name() {
    let text = "datasetGroups:\n  - datasetGroupArn: arn:aws:personalize:us-east-1:111122223333:dataset-group/shop\n    \
                domain: ECOMMERCE\nrecommenders:\n  - name: picks\n    datasetGroupArn: \
                arn:aws:personalize:us-east-1:111122223333:dataset-group/shop\n    recipeArn: \
                arn:aws:personalize:::recipe/aws-vod-top-picks\n";
    let (code, stderr) = emulator_with_seed("seed.yaml", text);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("seed.yaml:5:11: error: recommender `picks`: InvalidInputException"),
        "{stderr}"
    );
    assert!(stderr.contains("is not a use case of the ECOMMERCE domain"), "{stderr}");
}

#[test]
fn a_bad_dataset_group_arn_points_at_its_value() {
    let (code, stderr) = emulator_with_seed("seed.yaml", "datasetGroups:\n  - datasetGroupArn: shop\n");
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("seed.yaml:2:22: error: dataset group shop is not a dataset group ARN"),
        "{stderr}"
    );
}
