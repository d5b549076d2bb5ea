//! Renderers for a [`Plan`](crate::plan::Plan): text for terminals, Markdown for pull-request comments,
//! JSON for tools. They read plain data and decide nothing.

pub mod json;
pub mod markdown;
pub mod text;

use serde_json::Value;

use crate::plan::versions::{VersionFacts, VersionReview};
use crate::spec::Kind;

/// "1 campaign", "2 campaigns and 1 recommender", "3 recommenders": a count of resources by kind, each
/// kind named only when there are some (campaigns when there are none at all).
pub fn count_by_kind(kinds: impl IntoIterator<Item = Kind>) -> String {
    let kinds: Vec<Kind> = kinds.into_iter().collect();
    let count = |kind: Kind| kinds.iter().filter(|each| **each == kind).count();
    let phrase =
        |count: usize, kind: Kind| format!("{count} {}{}", kind.noun(), if count == 1 { "" } else { "s" });
    let (campaigns, recommenders) = (count(Kind::Campaign), count(Kind::Recommender));
    match (campaigns, recommenders) {
        (_, 0) => phrase(campaigns, Kind::Campaign),
        (0, _) => phrase(recommenders, Kind::Recommender),
        _ => format!("{} and {}", phrase(campaigns, Kind::Campaign), phrase(recommenders, Kind::Recommender)),
    }
}

/// How a change line names a resource: campaigns, the default kind, by name; others with their kind.
pub fn display_name(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Campaign => name.to_string(),
        other => format!("{} {name}", other.noun()),
    }
}

/// The command that adopts an unmanaged campaign or recommender.
pub fn import_command(arn: &str) -> String {
    format!("pz-apply import {arn}")
}

/// A value as a person reads it in a change line: strings quoted, absent shown as `(absent)`.
pub fn show(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".to_string(),
        Some(value) => value.to_string(),
    }
}

/// A JSON document as indented YAML-like lines, for diffs. Strings stay JSON-quoted so that nothing is
/// ambiguous (`"30"` is not `30`).
pub fn document_lines(value: &Value) -> String {
    let mut out = String::new();
    write_lines(value, 0, &mut out);
    out
}

fn write_lines(value: &Value, indent: usize, out: &mut String) {
    let Value::Object(map) = value else {
        out.push_str(&format!("{}{}\n", "  ".repeat(indent), value));
        return;
    };
    for (key, value) in map {
        match value {
            Value::Object(inner) if inner.is_empty() => {
                out.push_str(&format!("{}{key}: {{}}\n", "  ".repeat(indent)))
            }
            Value::Object(_) => {
                out.push_str(&format!("{}{key}:\n", "  ".repeat(indent)));
                write_lines(value, indent + 1, out);
            }
            scalar => out.push_str(&format!("{}{key}: {scalar}\n", "  ".repeat(indent))),
        }
    }
}

/// A review as columns (serving, then new) and rows, the same for text and Markdown: who each version is,
/// how it was trained, then every metric either reports, absent where a version lacks it.
pub struct VersionTable {
    pub columns: Vec<(&'static str, String)>,
    /// (label, one cell per column).
    pub rows: Vec<(String, Vec<String>)>,
}

pub fn version_table(review: &VersionReview) -> VersionTable {
    let versions: Vec<(&'static str, &VersionFacts)> =
        [("serving", review.serving.as_ref()), ("new", review.target.as_ref())]
            .into_iter()
            .filter_map(|(label, facts)| Some((label, facts?)))
            .collect();
    let columns = versions
        .iter()
        .map(|(label, facts)| (*label, facts.arn.rsplit('/').next().unwrap_or_default().to_string()))
        .collect();
    let cell = |facts: &VersionFacts,
                pick: &dyn Fn(&crate::live::SolutionVersionDetail) -> Option<String>| {
        facts.detail.as_ref().and_then(pick).unwrap_or_else(|| "-".to_string())
    };
    let mut rows = vec![
        (
            "created".to_string(),
            versions.iter().map(|(_, facts)| cell(facts, &|d| d.created_at.map(utc_minute))).collect(),
        ),
        (
            "training".to_string(),
            versions
                .iter()
                .map(|(_, facts)| {
                    cell(facts, &|d| {
                        let mode = d.training_mode.clone().unwrap_or_else(|| "-".to_string());
                        Some(match d.training_hours {
                            Some(hours) => format!("{mode}, {hours:.1} h"),
                            None => mode,
                        })
                    })
                })
                .collect(),
        ),
        (
            "status".to_string(),
            versions.iter().map(|(_, facts)| cell(facts, &|d| Some(d.status.clone()))).collect(),
        ),
    ];
    let mut names: Vec<&String> =
        versions.iter().filter_map(|(_, facts)| facts.metrics.as_ref()).flat_map(|m| m.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let cells = versions
            .iter()
            .map(|(_, facts)| {
                facts
                    .metrics
                    .as_ref()
                    .and_then(|m| m.get(name))
                    .map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
            })
            .collect();
        rows.push((name.clone(), cells));
    }
    VersionTable { columns, rows }
}

/// `2026-11-28 09:12 UTC` from seconds since the epoch.
pub fn utc_minute(seconds: f64) -> String {
    let total = seconds.floor() as i64;
    let (days, rest) = (total.div_euclid(86_400), total.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// A version as JSON: what DescribeSolutionVersion said and the metrics, `null` where unknown.
pub fn version_json(facts: &VersionFacts) -> Value {
    let detail = facts.detail.as_ref();
    serde_json::json!({
        "arn": facts.arn,
        "exists": detail.is_some(),
        "status": detail.map(|d| &d.status),
        "failureReason": detail.and_then(|d| d.failure_reason.as_ref()),
        "trainingMode": detail.and_then(|d| d.training_mode.as_ref()),
        "trainingHours": detail.and_then(|d| d.training_hours),
        "creationDateTime": detail.and_then(|d| d.created_at),
        "metrics": facts.metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_nest_and_keep_types() {
        let value = serde_json::json!({"a": "30", "b": {"c": 30, "d": {}}, "e": null});
        assert_eq!(document_lines(&value), "a: \"30\"\nb:\n  c: 30\n  d: {}\ne: null\n");
        assert_eq!(show(None), "(absent)");
        assert_eq!(show(Some(&serde_json::json!("x"))), "\"x\"");
    }

    #[test]
    fn utc_minutes() {
        assert_eq!(utc_minute(0.0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(951_782_400.0), "2000-02-29 00:00 UTC");
        assert_eq!(utc_minute(1_795_776_720.5), "2026-11-27 10:52 UTC"); // date -u -d @1795776720
    }
}
