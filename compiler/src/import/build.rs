//! Syntax-tree constructors for the importer: every value carries the span of the YAML node it
//! was read from, so the resolver's and the checks' diagnostics point into the manifests.

use crate::source::Span;
use crate::syntax::ast::{Attr, Block, Entry, Ident, Value, ValueKind};

pub(crate) fn ident(name: &str, span: Span) -> Ident {
    Ident {
        name: name.to_string(),
        span,
    }
}

pub(crate) fn string(s: &str, span: Span) -> Value {
    Value {
        kind: ValueKind::Str(s.to_string()),
        span,
    }
}

pub(crate) fn int(i: i64, span: Span) -> Value {
    Value {
        kind: ValueKind::Int(i),
        span,
    }
}

pub(crate) fn boolean(b: bool, span: Span) -> Value {
    Value {
        kind: ValueKind::Bool(b),
        span,
    }
}

/// `all`, `HTTP`, `gateway.public.http`: a reference or a bare word.
pub(crate) fn path(parts: &[&str], span: Span) -> Value {
    Value {
        kind: ValueKind::Path(parts.iter().map(|p| ident(p, span)).collect()),
        span,
    }
}

pub(crate) fn call(name: &str, args: Vec<Value>, span: Span) -> Value {
    Value {
        kind: ValueKind::Call {
            name: ident(name, span),
            args,
        },
        span,
    }
}

pub(crate) fn list(items: Vec<Value>, span: Span) -> Value {
    Value {
        kind: ValueKind::List(items),
        span,
    }
}

pub(crate) fn map(entries: Vec<(Ident, Value)>, span: Span) -> Value {
    Value {
        kind: ValueKind::Map(entries),
        span,
    }
}

pub(crate) fn attr(key: &str, key_span: Span, value: Value) -> Entry {
    Entry::Attr(Attr {
        key: ident(key, key_span),
        value,
    })
}

pub(crate) fn block(kind: &str, name: Option<Ident>, entries: Vec<Entry>, span: Span) -> Block {
    Block {
        kind: ident(kind, span),
        name,
        entries,
        span,
    }
}

/// The value of attribute `key` in a block.
/// The string entries of a map attribute (`labels`, `select`); anything else reads as empty.
pub(crate) fn string_map(block: &Block, key: &str) -> std::collections::BTreeMap<String, String> {
    match get(block, key).map(|v| &v.kind) {
        Some(ValueKind::Map(entries)) => entries
            .iter()
            .filter_map(|(k, v)| match &v.kind {
                ValueKind::Str(s) => Some((k.name.clone(), s.clone())),
                _ => None,
            })
            .collect(),
        _ => std::collections::BTreeMap::new(),
    }
}

pub(crate) fn get<'a>(block: &'a Block, key: &str) -> Option<&'a Value> {
    block.entries.iter().find_map(|e| match e {
        Entry::Attr(a) if a.key.name == key => Some(&a.value),
        _ => None,
    })
}

/// Every `KIND.NAME` reference below a value, as (kind, name, span).
pub(crate) fn references(value: &Value, out: &mut Vec<(String, String, Span)>) {
    match &value.kind {
        ValueKind::Path(parts) if parts.len() >= 2 => {
            out.push((parts[0].name.clone(), parts[1].name.clone(), value.span));
        }
        ValueKind::List(items) => items.iter().for_each(|v| references(v, out)),
        ValueKind::Map(entries) => entries.iter().for_each(|(_, v)| references(v, out)),
        ValueKind::Call { args, .. } => args.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// Every reference in a block and its nested blocks.
pub(crate) fn block_references(block: &Block) -> Vec<(String, String, Span)> {
    let mut out = Vec::new();
    for e in &block.entries {
        match e {
            Entry::Attr(a) => references(&a.value, &mut out),
            Entry::Block(b) => out.extend(block_references(b)),
        }
    }
    out
}
