//! Renderers for a [`Plan`](crate::plan::Plan): text for terminals, Markdown for pull-request comments,
//! JSON for tools. They read plain data and decide nothing.

pub mod json;
pub mod markdown;
pub mod text;

use serde_json::Value;

/// The command that adopts an unmanaged campaign.
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
}
