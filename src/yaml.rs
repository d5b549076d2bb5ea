//! The one place that calls serde-saphyr.
//!
//! Every document is read into a generic tree of [`Node`]s that keeps the source position of every key and
//! value, so that validation can report *all* problems with their `line:col`, not just the first one that a
//! derived `Deserialize` would stop at. Duplicate keys are passed through to the tree and reported by the
//! validator, so a file with two duplicates gets two diagnostics.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, DuplicateKeyPolicy, MergeKeyPolicy, NonFiniteFloatPolicy, Options, Spanned};

/// Files larger than this are refused before parsing: campaign files are a few hundred bytes, and a
/// multi-megabyte one is a mistake or an attack.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Nesting deeper than this is refused; a campaign document is four levels deep.
const MAX_DEPTH: usize = 32;

/// More documents than this in one file is refused.
const MAX_DOCUMENTS: usize = 10_000;

/// A position in a source file: 1-based line and column (in characters), and the length of the node in
/// characters when known (0 for unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl Position {
    fn from_location(location: serde_saphyr::Location) -> Self {
        Position {
            line: u32::try_from(location.line()).unwrap_or(u32::MAX),
            column: u32::try_from(location.column()).unwrap_or(u32::MAX),
            len: u32::try_from(location.span().len()).unwrap_or(0),
        }
    }
}

/// A YAML value with the position it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub position: Position,
}

/// A YAML value as the YAML 1.2 core schema resolves it (`yes` and `on` are strings, not booleans).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    /// Entries in source order, duplicates included.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// A scalar as YAML would write it (`30`, `0.3`, `.nan`, `true`), for messages that quote a value.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Null => Some("null".to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(n) => Some(n.to_string()),
            Value::Float(f) if f.is_nan() => Some(".nan".to_string()),
            Value::Float(f) if f.is_infinite() => Some(if *f > 0.0 { ".inf" } else { "-.inf" }.to_string()),
            Value::Float(f) => Some(format!("{f:?}")),
            Value::String(text) => Some(text.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// An integer or a float as a float.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// What the value is, for messages such as "expected an integer, found a string".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The same value as JSON, for checking files against the JSON Schema. Non-finite floats become null
    /// and non-string keys their text, as JSON has neither.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(n) => Json::from(*n),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::String(text) => Json::String(text.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(key, value)| {
                        let key = match key.to_json() {
                            Json::String(text) => text,
                            other => other.to_string(),
                        };
                        (key, value.to_json())
                    })
                    .collect(),
            ),
        }
    }
}

/// The lines of a YAML text as YAML counts them: `\r\n`, `\n` and a lone `\r` each end a line, so line
/// numbers in positions index into this.
pub fn source_lines(source: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(source);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(index) => {
                let next = if text[index..].starts_with("\r\n") { index + 2 } else { index + 1 };
                rest = Some(&text[next..]);
                Some(&text[..index])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// A YAML file that could not be read as YAML at all.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub position: Position,
    pub help: Option<String>,
}

/// Parses every document of `source`. Empty documents are skipped.
pub fn parse_documents(source: &str) -> Result<Vec<Node>, SyntaxError> {
    if source.len() > MAX_FILE_BYTES {
        return Err(SyntaxError {
            message: format!(
                "file is {} bytes, larger than the {} byte limit for a campaign file; split it into smaller files",
                source.len(),
                MAX_FILE_BYTES
            ),
            position: Position { line: 1, column: 1, len: 0 },
            help: None,
        });
    }
    serde_saphyr::from_str_multiple_with_options::<Node, Vec<Node>>(source, options()).map_err(|error| {
        let position = error
            .location()
            .map(Position::from_location)
            .filter(|position| position.line > 0)
            .unwrap_or(Position { line: 1, column: 1, len: 0 });
        let message = describe(&error);
        match message.contains("tab").then(|| indenting_tab(source, position.line)).flatten() {
            Some(column) => SyntaxError {
                message: "a tab in the indentation: YAML indents with spaces only".to_string(),
                position: Position { line: position.line, column, len: 1 },
                help: Some("indent with spaces (the tab is shown as →)".to_string()),
            },
            None => SyntaxError { message, position, help: None },
        }
    })
}

/// The column of the first tab among the leading blanks of `line`, where the parser's complaint about
/// tabs comes from (it reports the column after them).
fn indenting_tab(source: &str, line: u32) -> Option<u32> {
    let text = source_lines(source).nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let blanks = text.len() - text.trim_start_matches([' ', '\t']).len();
    let tab = text[..blanks].find('\t')?;
    u32::try_from(tab + 1).ok()
}

fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    // Generous for hundreds of campaigns in one file, far too small for an alias bomb to grow.
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_nodes = 200_000;
    budget.max_total_scalar_bytes = 4 * MAX_FILE_BYTES;
    budget.max_documents = MAX_DOCUMENTS;

    let mut options = Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    options.merge_keys = MergeKeyPolicy::Merge;
    // `.nan` and `.inf` reach the validator, which says which field must be finite.
    options.non_finite_float_policy = NonFiniteFloatPolicy::PassThrough;
    options.alias_limits.max_total_replayed_events = 10_000;
    options.with_snippet = false;
    options
}

/// serde-saphyr's message without its own location suffix (the renderer prints the location once), and a
/// plain statement for the limits that protect against hostile input.
fn describe(error: &serde_saphyr::Error) -> String {
    let mut inner = error;
    while let serde_saphyr::Error::AliasError { error, .. } | serde_saphyr::Error::WithSnippet { error, .. } =
        inner
    {
        inner = error;
    }
    match inner {
        serde_saphyr::Error::Budget { breach: serde_saphyr::budget::BudgetBreach::Depth { .. }, .. } => {
            return too_deep();
        }
        serde_saphyr::Error::Budget {
            breach: serde_saphyr::budget::BudgetBreach::Documents { .. }, ..
        } => {
            return format!(
                "the file holds more than {MAX_DOCUMENTS} documents; split it into several files"
            );
        }
        serde_saphyr::Error::Budget { .. }
        | serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => {
            return "the document is too large or expands too much through anchors and aliases (`&a` / `*a`); \
                    campaign files need neither: write the values out"
                .to_string();
        }
        _ => {}
    }
    let rendered = inner.to_string();
    // The parser reports its nesting guard only as text.
    if rendered.contains("recursion limit exceeded") {
        return too_deep();
    }
    let trimmed = match rendered.find(" at line ") {
        Some(index) => &rendered[..index],
        None => rendered.as_str(),
    };
    let first_line = trimmed.lines().next().unwrap_or("").trim();
    if first_line.is_empty() { "invalid YAML".to_string() } else { format!("invalid YAML: {first_line}") }
}

fn too_deep() -> String {
    format!("values are nested more than {MAX_DEPTH} levels deep; a campaign needs at most 4")
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node { value: spanned.value, position: Position::from_location(spanned.referenced) })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        match std::str::from_utf8(v) {
            Ok(text) => Ok(Value::String(text.to_owned())),
            Err(_) => Err(E::custom("binary values are not supported")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(source: &str) -> Node {
        let mut documents = parse_documents(source).expect("valid YAML");
        assert_eq!(documents.len(), 1);
        documents.remove(0)
    }

    fn entries(node: &Node) -> &[(Node, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("expected a map, got {other:?}"),
        }
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let node = parse_one("name: a\nnested:\n  weight: 0.5\n");
        let entries = entries(&node);
        assert_eq!(entries[0].0.position.line, 1);
        assert_eq!(entries[0].1.position.column, 7);
        let inner = self::entries(&entries[1].1);
        assert_eq!((inner[0].0.position.line, inner[0].0.position.column), (3, 3));
        assert_eq!(inner[0].1.value, Value::Float(0.5));
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let node = parse_one("a: yes\nb: on\nc: NO\nd: true\n");
        let values: Vec<_> = entries(&node).iter().map(|(_, v)| v.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::String("yes".into()),
                Value::String("on".into()),
                Value::String("NO".into()),
                Value::Bool(true)
            ]
        );
    }

    #[test]
    fn quoted_numbers_stay_strings() {
        let node = parse_one("a: \"0.30\"\nb: 30\n");
        let values: Vec<_> = entries(&node).iter().map(|(_, v)| v.value.clone()).collect();
        assert_eq!(values, vec![Value::String("0.30".into()), Value::Int(30)]);
    }

    #[test]
    fn duplicate_keys_reach_the_tree() {
        let node = parse_one("a: 1\na: 2\n");
        assert_eq!(entries(&node).len(), 2);
        assert_eq!(entries(&node)[1].0.position.line, 2);
    }

    #[test]
    fn several_documents_and_empty_ones() {
        let documents = parse_documents("a: 1\n---\n# nothing\n---\nb: 2\n").unwrap();
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[1].position.line, 5);
    }

    #[test]
    fn syntax_error_has_a_position() {
        let error = parse_documents("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(error.position.line >= 2, "{error:?}");
        assert!(error.message.starts_with("invalid YAML"), "{error:?}");
    }

    #[test]
    fn a_tab_in_the_indentation_points_at_the_tab() {
        let error = parse_documents("a:\n\tb: 1\n").unwrap_err();
        assert!(error.message.starts_with("a tab in the indentation"), "{error:?}");
        assert_eq!(error.help.as_deref(), Some("indent with spaces (the tab is shown as →)"));
        let error = parse_documents("name: a\ncampaignConfig:\n\tenable: true\n").unwrap_err();
        assert_eq!((error.position.line, error.position.column), (3, 1));
    }

    #[test]
    fn non_finite_floats_reach_the_tree() {
        let node = parse_one("a: .nan\nb: -.inf\n");
        match &entries(&node)[0].1.value {
            Value::Float(f) => assert!(f.is_nan()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oversized_file_is_refused_before_parsing() {
        let source = format!("name: a\n#{}\n", "x".repeat(MAX_FILE_BYTES));
        let error = parse_documents(&source).unwrap_err();
        assert!(error.message.contains("byte limit"), "{error:?}");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut source =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let mut previous = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{previous}"); 9].join(",");
            source.push_str(&format!("{name}: &{name} [{refs}]\n"));
            previous = name;
        }
        let error = parse_documents(&source).unwrap_err();
        assert!(error.message.contains("anchors and aliases"), "{error:?}");
    }

    #[test]
    fn lines_end_as_yaml_ends_them() {
        let lines: Vec<&str> = source_lines("a\r\nb\rc\n\nd").collect();
        assert_eq!(lines, ["a", "b", "c", "", "d"]);
        let node = parse_one("a: 1\rb: 2\r\nc: 3\n");
        assert_eq!(entries(&node)[2].0.position.line, 3);
    }

    #[test]
    fn too_many_documents_are_refused() {
        let source = "a: 1\n---\n".repeat(MAX_DOCUMENTS + 1);
        let error = parse_documents(&source).unwrap_err();
        assert!(error.message.contains("more than 10000 documents"), "{error:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let source = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let error = parse_documents(&source).unwrap_err();
        assert!(error.message.contains("nested more than"), "{error:?}");
        let source = (0..200).map(|depth| format!("{}k{depth}:\n", "  ".repeat(depth))).collect::<String>();
        let error = parse_documents(&source).unwrap_err();
        assert!(error.message.contains("nested more than"), "{error:?}");
    }
}
