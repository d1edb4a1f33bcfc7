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
pub fn to_string(value: &Value) -> String {
    let ordered = match value {
        Value::Object(map) => {
            let mut out = backend::Mapping::new();
            let leading = LEADING_KEYS.iter().filter_map(|k| map.get_key_value(*k));
            let rest = map
                .iter()
                .filter(|(k, _)| !LEADING_KEYS.contains(&k.as_str()));
            for (k, v) in leading.chain(rest) {
                out.insert(backend::Value::String(k.clone()), to_backend(v));
            }
            backend::Value::Mapping(out)
        }
        other => to_backend(other),
    };
    // Serializing an in-memory YAML value cannot fail: every key is a string.
    backend::to_string(&ordered).unwrap_or_default()
}

fn to_backend(v: &Value) -> backend::Value {
    match v {
        Value::Null => backend::Value::Null,
        Value::Bool(b) => backend::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => backend::Value::Number(i.into()),
            (_, Some(u), _) => backend::Value::Number(u.into()),
            (_, _, Some(f)) => backend::Value::Number(f.into()),
            _ => backend::Value::Null,
        },
        Value::String(s) => backend::Value::String(s.clone()),
        Value::Array(items) => backend::Value::Sequence(items.iter().map(to_backend).collect()),
        Value::Object(map) => backend::Value::Mapping(
            map.iter()
                .map(|(k, v)| (backend::Value::String(k.clone()), to_backend(v)))
                .collect(),
        ),
    }
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
        let v = json!({"a": "true", "b": "8080", "c": "null", "d": "x: y"});
        let back = parse(&to_string(&v)).map_err(|e| e.message);
        assert_eq!(back, Ok(v));
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = parse("a: b\n  c: [").err().map(|e| e.line);
        assert_eq!(e, Some(2));
    }
}
