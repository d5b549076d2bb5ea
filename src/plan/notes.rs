//! Notes: what a reviewer needs to know about a decision beyond the diff (cost, risk, what serves).

use serde_json::Value;

use super::FieldChange;
use super::observe::Observed;
use crate::live::{LiveCampaign, ResourceStatus};

/// Cost and risk notes for the changes of a campaign or a recommender, in the words a reviewer needs.
pub(crate) fn notes_for(changes: &[FieldChange]) -> Vec<String> {
    let mut notes = Vec::new();
    let mut retrains = false;
    for change in changes {
        match (change.path.as_str(), &change.before, &change.after) {
            ("minProvisionedTPS", before, Some(after)) => notes.extend(floor_note("minProvisionedTPS", "TPS", before, after)),
            ("recommenderConfig.minRecommendationRequestsPerSecond", before, Some(after)) => notes.extend(
                floor_note("minRecommendationRequestsPerSecond", "requests per second", before, after),
            ),
            (path, _, Some(Value::Bool(true))) if path.ends_with(".enableMetadataWithRecommendations") => {
                notes.push("enabling metadata in recommendations adds cost".to_string());
            }
            ("solutionVersionArn", Some(before), Some(after)) => notes.push(format!(
                "the campaign will serve {} instead of {}",
                after.as_str().unwrap_or_default(),
                before.as_str().unwrap_or_default()
            )),
            (path, Some(_), _) if path.starts_with("recommenderConfig.trainingDataConfig.") => retrains = true,
            (path, None, Some(_)) if path.starts_with("recommenderConfig.trainingDataConfig.") => retrains = true,
            ("state", Some(_), Some(Value::String(state))) if state == "INACTIVE" => notes.push(
                "stopping the recommender ends its billing for minimum requests per second; it serves no \
                 recommendations until it is started again"
                    .to_string(),
            ),
            ("state", Some(_), Some(Value::String(state))) if state == "ACTIVE" => notes.push(
                "starting the recommender resumes billing for its minimum requests per second".to_string(),
            ),
            (field @ ("datasetGroupArn" | "recipeArn"), Some(_), Some(_)) => notes.push(format!(
                "{field} cannot change in place: replacing deletes the recommender and its trained model; the new \
                 one trains from scratch (hours of training, billed) and serves nothing until it is ACTIVE"
            )),
            _ => {}
        }
    }
    if retrains {
        notes.push(
            "changing the training columns (trainingDataConfig) retrains the recommender's model in full: hours \
             of training, billed per training hour; the current model serves until the update is ACTIVE"
                .to_string(),
        );
    }
    notes
}

/// What a change of a minimum-throughput setting does to the bill.
fn floor_note(field: &str, unit: &str, before: &Option<Value>, after: &Value) -> Option<String> {
    let before = before.as_ref().and_then(Value::as_i64)?;
    let after = after.as_i64().unwrap_or(0);
    if after > before {
        Some(format!("{field} {before} -> {after} raises the billing floor from {before} to {after} {unit}"))
    } else if after < before {
        Some(format!(
            "{field} {before} -> {after}: traffic above {after} {unit} is still served, but scaling up to it takes \
             a short delay"
        ))
    } else {
        None
    }
}

/// What a `$LATEST` campaign serves: the version DescribeCampaign reports, which is what is served. Only
/// when AWS reports the alias itself does the solution's newest version say more, and only if it is ACTIVE
/// (a version still training serves nothing yet).
pub(crate) fn latest_note(live: &LiveCampaign, observed: &Observed) -> String {
    if !live.solution_version_arn.ends_with("/$LATEST") {
        return format!("$LATEST serves {} now", live.solution_version_arn);
    }
    match &observed.latest_version {
        Some(latest) if latest.status == ResourceStatus::Active => {
            format!("$LATEST serves {} now", latest.arn)
        }
        Some(latest) => format!(
            "$LATEST serves the solution's newest ACTIVE version; its newest version {} is {}",
            latest.arn, latest.status
        ),
        None => "$LATEST serves the solution's newest ACTIVE version".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn notes_table() {
        let change = |path: &str, before: Option<Value>, after: Value| FieldChange {
            path: path.into(),
            before,
            after: Some(after),
        };
        let cases = [
            (
                change("minProvisionedTPS", Some(json!(2)), json!(5)),
                Some("raises the billing floor from 2 to 5"),
            ),
            (
                change("minProvisionedTPS", Some(json!(5)), json!(2)),
                Some("scaling up to it takes a short delay"),
            ),
            (change("minProvisionedTPS", None, json!(2)), None),
            (
                change("campaignConfig.enableMetadataWithRecommendations", Some(json!(false)), json!(true)),
                Some("adds cost"),
            ),
            (
                change("campaignConfig.enableMetadataWithRecommendations", Some(json!(true)), json!(false)),
                None,
            ),
            (
                change("solutionVersionArn", Some(json!("a/v1")), json!("a/v2")),
                Some("will serve a/v2 instead of a/v1"),
            ),
        ];
        for (change, expected) in cases {
            let notes = notes_for(std::slice::from_ref(&change));
            match expected {
                Some(text) => {
                    assert!(notes.len() == 1 && notes[0].contains(text), "{}: {notes:?}", change.path)
                }
                None => assert!(notes.is_empty(), "{}: {notes:?}", change.path),
            }
        }
    }
}
