//! Renderers for diagnostics: rustc-style text for people, a JSON array for tools, and GitHub workflow
//! annotations so problems show inline on a pull request.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::yaml::Position;

/// `path:line:col: error: message`, then the offending line with carets under the problem, then help and
/// related locations.
pub fn write_text(
    out: &mut dyn Write,
    diagnostics: &[Diagnostic],
    sources: &BTreeMap<PathBuf, String>,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        writeln!(out, "{}: error: {}", location(&diagnostic.file, diagnostic.position), diagnostic.message)?;
        let source_line =
            sources.get(&diagnostic.file).and_then(|source| line_of(source, diagnostic.position.line));
        let gutter = diagnostic.position.line.to_string().len();
        if let Some(text) = source_line {
            // One visible character per tab keeps the caret under it.
            let shown: String = text.chars().map(|c| if c == '\t' { '→' } else { c }).collect();
            let column = diagnostic.position.column.max(1) as usize;
            let available = shown.chars().count().saturating_sub(column - 1).max(1);
            let carets = (diagnostic.position.len as usize).clamp(1, available);
            writeln!(out, "{:gutter$} |", "")?;
            writeln!(out, "{} | {}", diagnostic.position.line, shown)?;
            writeln!(out, "{:gutter$} | {}{}", "", " ".repeat(column - 1), "^".repeat(carets))?;
        }
        for related in &diagnostic.related {
            writeln!(
                out,
                "{:gutter$} = note: {} at {}",
                "",
                related.message,
                location(&related.file, related.position)
            )?;
        }
        if let Some(help) = &diagnostic.help {
            writeln!(out, "{:gutter$} = help: {help}", "")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn location(file: &Path, position: Position) -> String {
    format!("{}:{}:{}", file.display(), position.line, position.column)
}

fn line_of(source: &str, line: u32) -> Option<&str> {
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    crate::yaml::source_lines(source).nth(index)
}

/// One diagnostic as `--format json` prints it. Field names are part of the output's contract.
#[derive(Debug, Serialize)]
struct JsonDiagnostic<'a> {
    file: String,
    line: u32,
    column: u32,
    field: Option<&'a str>,
    message: &'a str,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonRelated<'a> {
    file: String,
    line: u32,
    column: u32,
    message: &'a str,
}

/// A JSON array of diagnostics, `[]` when there are none.
pub fn write_json(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &json_diagnostics(diagnostics))?;
    writeln!(out)
}

/// The diagnostics as `validate --format json` prints them, to embed in another document.
pub fn diagnostics_json(diagnostics: &[Diagnostic]) -> serde_json::Value {
    serde_json::to_value(json_diagnostics(diagnostics)).unwrap_or_default()
}

fn json_diagnostics(diagnostics: &[Diagnostic]) -> Vec<JsonDiagnostic<'_>> {
    diagnostics
        .iter()
        .map(|diagnostic| JsonDiagnostic {
            file: diagnostic.file.display().to_string(),
            line: diagnostic.position.line,
            column: diagnostic.position.column,
            field: diagnostic.field.as_deref(),
            message: &diagnostic.message,
            help: diagnostic.help.as_deref(),
            related: diagnostic
                .related
                .iter()
                .map(|related| JsonRelated {
                    file: related.file.display().to_string(),
                    line: related.position.line,
                    column: related.position.column,
                    message: &related.message,
                })
                .collect(),
        })
        .collect()
}

/// `::error file=..,line=..,col=..,title=..::message` lines, read by the GitHub Actions runner.
pub fn write_github_annotations(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    for diagnostic in diagnostics {
        let title = match &diagnostic.field {
            Some(field) => format!("pz-apply: {field}"),
            None => "pz-apply".to_string(),
        };
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            escape_property(&diagnostic.file.display().to_string()),
            diagnostic.position.line,
            diagnostic.position.column,
            escape_property(&title),
            escape_data(&message)
        )?;
    }
    Ok(())
}

/// The runner's escaping for a command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// The runner's escaping for a command's properties, which also split on `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic() -> Diagnostic {
        Diagnostic::new(Path::new("c/a.yaml"), Position { line: 2, column: 3, len: 4 }, "bad, really: 100%")
            .field("campaignConfig.x")
            .help("fix\nit")
    }

    #[test]
    fn text_points_at_the_column() {
        let sources = BTreeMap::from([(PathBuf::from("c/a.yaml"), "name: a\n  wxyz: 1\n".to_string())]);
        let mut out = Vec::new();
        write_text(&mut out, &[diagnostic()], &sources).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("c/a.yaml:2:3: error: bad, really: 100%\n"), "{text}");
        assert!(text.contains("2 |   wxyz: 1\n  |   ^^^^\n"), "{text}");
        assert!(text.contains("= help: fix"), "{text}");
    }

    #[test]
    fn carets_stay_on_the_line() {
        let sources = BTreeMap::from([(PathBuf::from("c/a.yaml"), "a\nb\n".to_string())]);
        let mut out = Vec::new();
        let wide = Diagnostic::new(Path::new("c/a.yaml"), Position { line: 2, column: 1, len: 40 }, "m");
        write_text(&mut out, &[wide], &sources).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("2 | b\n  | ^\n"));
    }

    #[test]
    fn json_has_the_documented_fields() {
        let mut out = Vec::new();
        write_json(&mut out, &[diagnostic()]).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value[0]["file"], "c/a.yaml");
        assert_eq!(value[0]["line"], 2);
        assert_eq!(value[0]["column"], 3);
        assert_eq!(value[0]["field"], "campaignConfig.x");
        assert_eq!(value[0]["message"], "bad, really: 100%");
    }

    #[test]
    fn annotations_escape_what_the_runner_splits_on() {
        let mut out = Vec::new();
        let mut with_odd_name = diagnostic();
        with_odd_name.file = PathBuf::from("c/a,b:c.yaml");
        write_github_annotations(&mut out, &[with_odd_name]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error file=c/a%2Cb%3Ac.yaml,line=2,col=3,title=pz-apply%3A campaignConfig.x::bad, really: 100%25%0Ahelp: fix%0Ait\n"
        );
    }
}
