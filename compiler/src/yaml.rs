//! The one place that knows the YAML library. serde_yaml is archived upstream; swapping in a
//! maintained fork (serde_yaml_ng) changes only the `use` below.
//!
//! Objects are held as `serde_json::Value` (maps sorted by key) and written canonically: the
//! conventional `apiVersion, kind, metadata, spec` first at the top level, every other key
//! sorted, so output bytes never depend on insertion order.

use serde_json::Value;
use serde_yaml as backend;

/// The top-level keys that come first, in this order.
const LEADING_KEYS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

/// A YAML text that could not be parsed, with a 1-based position.
#[derive(Debug)]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Parse one YAML document into a value.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    backend::from_str::<Value>(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        ParseError {
            message: e.to_string(),
            line,
            column,
        }
    })
}

/// Write an object (or any value) canonically.
///
/// The emitter is ours rather than the library's because Kubernetes tools read YAML 1.1, where
/// an unquoted `on`, `yes`, `n` or `1:30` is a boolean or a number: a header value `on` written
/// plain would reach the API server as `true`. Every string that is not plainly a string in
/// both YAML 1.1 and 1.2 is double-quoted; the layout is the conventional block style.
pub fn to_string(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let leading = LEADING_KEYS.iter().filter_map(|k| map.get_key_value(*k));
            let rest = map
                .iter()
                .filter(|(k, _)| !LEADING_KEYS.contains(&k.as_str()));
            write_entries(&mut out, leading.chain(rest), 0, false);
        }
        other => {
            write_inline(&mut out, other);
            out.push('\n');
        }
    }
    out
}

/// `n` spaces, without allocating: this runs for every line of every object.
fn indent_to(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let take = n.min(SPACES.len());
        out.push_str(&SPACES[..take]);
        n -= take;
    }
}

/// Map entries at `indent`. `on_dash_line`: the first entry continues a `- ` already written
/// at this column (a map inside a sequence), so its indentation is not written again.
fn write_entries<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    indent: usize,
    mut on_dash_line: bool,
) {
    for (k, v) in entries {
        if !std::mem::take(&mut on_dash_line) {
            indent_to(out, indent);
        }
        write_scalar_str(out, k);
        out.push(':');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                write_entries(out, m.iter(), indent + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_items(out, items, indent, false);
            }
            scalar => {
                out.push(' ');
                write_inline(out, scalar);
                out.push('\n');
            }
        }
    }
}

/// Sequence items at `indent`; a collection item starts on the dash line (`- key: value`).
/// `on_dash_line` as for [`write_entries`].
fn write_items(out: &mut String, items: &[Value], indent: usize, mut on_dash_line: bool) {
    for item in items {
        if !std::mem::take(&mut on_dash_line) {
            indent_to(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => write_entries(out, m.iter(), indent + 2, true),
            Value::Array(inner) if !inner.is_empty() => write_items(out, inner, indent + 2, true),
            scalar => {
                write_inline(out, scalar);
                out.push('\n');
            }
        }
    }
}

/// A scalar, or an empty collection, on one line.
fn write_inline(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            use std::fmt::Write;
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_scalar_str(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_scalar_str(out: &mut String, s: &str) {
    if is_plain(s) {
        out.push_str(s);
    } else {
        // A JSON string is a valid YAML double-quoted scalar with the same meaning.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// Words that YAML 1.1 or 1.2 read as booleans or null.
const RESERVED_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

/// Whether `s` reads back as this same string, unquoted, under YAML 1.1 and 1.2. Byte-wise and
/// without allocating: every key and string value of the output goes through here.
fn is_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let safe_chars = bytes
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || b"._/:@+-".contains(&c));
    let looks_numeric = first.is_ascii_digit()
        || (matches!(first, b'+' | b'-' | b'.')
            && bytes
                .get(1)
                .is_some_and(|c| c.is_ascii_digit() || *c == b'.'));
    safe_chars
        && !looks_numeric
        && !matches!(first, b'-' | b':' | b'@' | b'.' | b'+')
        && !s.ends_with(':')
        && !RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// A YAML node with the byte range it was read from, for diagnostics that point into manifests
/// (`topoc import`, `topoc check --manifests`). serde_yaml reports positions only on errors,
/// so positioned documents come from saphyr's event parser.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    /// Byte offsets `start..end` in the text.
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    /// Kept as written: Kubernetes objects have no float fields topoc reads.
    Float(String),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order; keys are nodes too, so they have positions.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar text of a string key or value.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node as a JSON value (maps sorted by key), to compare documents.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => f
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::String(f.clone()), Value::Number),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A key as text, whatever its scalar type (`80: x` has the key `80`).
    pub fn key_text(&self) -> String {
        match &self.value {
            NodeValue::Str(s) | NodeValue::Float(s) => s.clone(),
            NodeValue::Int(i) => i.to_string(),
            NodeValue::Bool(b) => b.to_string(),
            NodeValue::Null => "null".into(),
            NodeValue::Seq(_) | NodeValue::Map(_) => String::new(),
        }
    }

    /// What the node is, for "expected a string, found a list" messages.
    pub fn describe(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) => "an integer",
            NodeValue::Float(_) => "a number",
            NodeValue::Str(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a map",
        }
    }
}

/// Deepest nesting of YAML collections read with positions: deeper input is an error instead of
/// a stack overflow in the stages that walk the tree.
pub const MAX_YAML_NESTING: usize = 128;

/// Parse every document of a (multi-document) YAML text, with positions. Empty documents
/// (a lone `---`) are left out.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, ParseError> {
    let offsets = CharOffsets::new(text);
    let mut builder = Builder {
        offsets: &offsets,
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: std::collections::HashMap::new(),
    };
    for event in saphyr_parser::Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| ParseError {
            message: e.info().to_string(),
            line: e.marker().line(),
            column: e.marker().col() + 1,
        })?;
        builder.event(event, span);
        if builder.stack.len() > MAX_YAML_NESTING {
            return Err(ParseError {
                message: format!("collections nest deeper than {MAX_YAML_NESTING} levels"),
                line: span.start.line(),
                column: span.start.col() + 1,
            });
        }
    }
    Ok(builder.docs)
}

/// saphyr counts positions in characters; spans are bytes.
struct CharOffsets {
    /// Byte offset of each character, and of the end; empty for ASCII text (the identity).
    bytes: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> CharOffsets {
        let bytes = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect()
        };
        CharOffsets {
            bytes,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.bytes.is_empty() {
            char_index.min(self.len)
        } else {
            self.bytes.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

/// A collection being built: its start, anchor, and the children read so far.
enum Open {
    Seq(usize, usize, Vec<Node>),
    Map(usize, usize, Vec<Node>),
}

struct Builder<'a> {
    offsets: &'a CharOffsets,
    stack: Vec<Open>,
    docs: Vec<Node>,
    anchors: std::collections::HashMap<usize, Node>,
}

impl Builder<'_> {
    fn event(&mut self, event: saphyr_parser::Event<'_>, span: saphyr_parser::Span) {
        use saphyr_parser::Event;
        let start = self.offsets.byte(span.start.index());
        let end = self.offsets.byte(span.end.index());
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_deref());
                self.finish(Node { value, start, end }, anchor);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node {
                    value: NodeValue::Null,
                    start,
                    end,
                });
                self.finish(Node { start, end, ..node }, 0);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Open::Seq(start, anchor, Vec::new()))
            }
            Event::MappingStart(anchor, _) => self.stack.push(Open::Map(start, anchor, Vec::new())),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = self.stack.pop() else { return };
                let (start, anchor, items, is_map) = match open {
                    Open::Seq(s, a, items) => (s, a, items, false),
                    Open::Map(s, a, items) => (s, a, items, true),
                };
                // Block collections end where their last child ends, not at the next token.
                let end = items.last().map_or(end.max(start), |n| n.end);
                let start = items.first().map_or(start, |n| n.start.min(start));
                let value = if is_map {
                    let mut entries = Vec::new();
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        entries.push((k, v));
                    }
                    NodeValue::Map(entries)
                } else {
                    NodeValue::Seq(items)
                };
                self.finish(Node { value, start, end }, anchor);
            }
            _ => {}
        }
    }

    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Open::Seq(_, _, items) | Open::Map(_, _, items)) => items.push(node),
            None if node.value != NodeValue::Null => self.docs.push(node),
            None => {}
        }
    }
}

/// YAML 1.2 core schema resolution of a scalar; quoted and block scalars are strings.
fn scalar(
    text: &str,
    style: saphyr_parser::ScalarStyle,
    tag: Option<&saphyr_parser::Tag>,
) -> NodeValue {
    if style != saphyr_parser::ScalarStyle::Plain || tag.is_some_and(|t| t.suffix == "str") {
        return NodeValue::Str(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return NodeValue::Int(i);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return NodeValue::Int(i);
        }
    }
    let floaty =
        digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') && text.parse::<f64>().is_ok();
    if floaty || matches!(digits, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return NodeValue::Float(text.to_string());
    }
    NodeValue::Str(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leading_keys_first_rest_sorted() {
        let v = json!({"status": {}, "spec": {"b": 1, "a": 2}, "kind": "K", "apiVersion": "v1", "metadata": {"name": "x"}});
        assert_eq!(
            to_string(&v),
            "apiVersion: v1\nkind: K\nmetadata:\n  name: x\nspec:\n  a: 2\n  b: 1\nstatus: {}\n"
        );
    }

    #[test]
    fn strings_that_look_like_other_types_stay_strings() {
        let tricky = [
            "true",
            "on",
            "ON",
            "Off",
            "yes",
            "n",
            "Y",
            "~",
            "null",
            "8080",
            "1.19",
            "1:30",
            "0x1F",
            "-1",
            ".5",
            "+1",
            "x: y",
            "a #b",
            "",
            " lead",
            "trail ",
            "- item",
            "[x]",
            "{x}",
            "*ref",
            "&a",
            "!tag",
            "|",
            ">",
            "'q'",
            "\"q\"",
            "%x",
            "`x`",
            "line\nbreak",
            "tab\there",
            "ünïcode",
            "key:",
            "@x",
        ];
        let map: serde_json::Map<String, Value> =
            tricky.iter().map(|s| (s.to_string(), json!(s))).collect();
        let v = Value::Object(map);
        let text = to_string(&v);
        assert_eq!(parse(&text).map_err(|e| e.message), Ok(v), "{text}");
        for word in ["on", "yes", "n", "1:30", "8080"] {
            assert!(
                text.contains(&format!("\"{word}\"")),
                "`{word}` must be quoted for YAML 1.1 readers:\n{text}"
            );
        }
    }

    #[test]
    fn plain_strings_stay_plain() {
        let v = json!({"a": "gloo-system", "b": "gloo.solo.io/v1", "c": "app.kubernetes.io/managed-by", "d": "/catalog"});
        assert_eq!(
            to_string(&v),
            "a: gloo-system\nb: gloo.solo.io/v1\nc: app.kubernetes.io/managed-by\nd: /catalog\n"
        );
    }

    #[test]
    fn nested_collections_use_block_style() {
        let v = json!({"l": [{"a": 1, "b": [1, [2, 3]]}, [], {}], "e": {}, "m": {"x": {"w": "z"}}});
        let text = to_string(&v);
        assert_eq!(parse(&text).map_err(|e| e.message), Ok(v.clone()), "{text}");
        assert_eq!(
            text,
            "e: {}\nl:\n- a: 1\n  b:\n  - 1\n  - - 2\n    - 3\n- []\n- {}\nm:\n  x:\n    w: z\n"
        );
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = parse("a: b\n  c: [").err().map(|e| e.line);
        assert_eq!(e, Some(2));
    }

    #[test]
    fn documents_have_byte_positions() {
        let text =
            "a: 1\n---\nkind: Gateway # é\nspec:\n  listeners:\n  - name: ünï\n    port: 80\n";
        let docs = parse_documents(text)
            .map_err(|e| e.message)
            .unwrap_or_default();
        assert_eq!(docs.len(), 2);
        let listener = &docs[1].get("spec").and_then(|s| s.get("listeners"));
        let Some(Node {
            value: NodeValue::Seq(items),
            ..
        }) = listener
        else {
            panic!("listeners is a list: {listener:?}");
        };
        let name = items[0].get("name").map(|n| &text[n.start..n.end]);
        assert_eq!(name, Some("ünï"));
        assert_eq!(
            items[0].get("port").map(|n| n.value.clone()),
            Some(NodeValue::Int(80))
        );
        assert_eq!(docs[0].to_json(), json!({"a": 1}));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let deep = "[".repeat(MAX_YAML_NESTING + 1);
        assert!(parse_documents(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert!(parse_documents(&ok).is_ok());
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let docs = parse_documents("a: \"80\"\nb: 'true'\nc: ~\nd: 1.5\n").map_err(|e| e.message);
        let v = docs.map(|d| d[0].to_json());
        assert_eq!(v, Ok(json!({"a": "80", "b": "true", "c": null, "d": 1.5})));
    }
}
