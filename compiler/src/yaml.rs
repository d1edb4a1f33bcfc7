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
}
