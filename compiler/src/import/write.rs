//! Printing the imported program as docs/language.md writes programs: two-space indentation,
//! `=` aligned within a block, short blocks on one line, long lists broken one item a line
//! under the first.

use super::place::Item;
use crate::syntax::ast::{Block, Entry, Value, ValueKind};

/// Lines longer than this are broken where a list or map allows it.
const WIDTH: usize = 100;

/// `[A-Za-z_][A-Za-z0-9_-]*`, the identifiers of docs/language.md.
pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The whole program, definitions separated by blank lines.
pub(crate) fn program(header: &[String], items: &[Item]) -> String {
    let mut out = String::new();
    for line in header {
        out.push_str(&format!("# {line}\n"));
    }
    let mut previous: Option<&str> = None;
    for item in items {
        let kind = item.block.kind.name.as_str();
        // One-line clusters stay together, as in docs/language.md.
        let one_line = definition(&item.block, 0).lines().count() == 1;
        let tight =
            one_line && previous == Some(kind) && item.comment.is_none() && kind == "cluster";
        if !out.is_empty() && !tight {
            out.push('\n');
        }
        if let Some(c) = &item.comment {
            out.push_str(&format!("# {c}\n"));
        }
        out.push_str(&definition(&item.block, 0));
        out.push('\n');
        previous = Some(kind);
    }
    out
}

/// One definition's text without positions: copies of an object compare equal by it.
pub(crate) fn definition_text(block: &Block) -> String {
    definition(block, 0)
}

pub(crate) fn entry_text(entry: &Entry) -> String {
    match entry {
        Entry::Attr(a) => format!("{} = {}", a.key.name, inline(&a.value)),
        Entry::Block(b) => definition(b, 0),
    }
}

fn head(block: &Block) -> String {
    match &block.name {
        Some(n) => format!("{} {}", block.kind.name, n.name),
        None => block.kind.name.clone(),
    }
}

/// A block at `indent`: on one line when it has only a few attributes and fits.
fn definition(block: &Block, indent: usize) -> String {
    let attrs_only = block.entries.iter().all(|e| matches!(e, Entry::Attr(_)));
    if block.entries.is_empty() {
        return format!("{} {{ }}", head(block));
    }
    let few = indent > 0 || block.entries.len() <= 2;
    if attrs_only && few {
        let parts: Vec<String> = block.entries.iter().map(entry_text).collect();
        let line = format!("{} {{ {} }}", head(block), parts.join("  "));
        if indent + line.len() <= WIDTH && !line.contains('\n') {
            return line;
        }
    }
    let pad = " ".repeat(indent + 2);
    let width = block
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Attr(a) => Some(a.key.name.len()),
            Entry::Block(_) => None,
        })
        .max()
        .unwrap_or(0);
    let mut out = format!("{} {{\n", head(block));
    let mut after_block = false;
    for e in &block.entries {
        match e {
            Entry::Attr(a) => {
                let lead = format!("{pad}{:<width$} = ", a.key.name);
                let col = lead.len();
                out.push_str(&lead);
                out.push_str(&value(&a.value, col, indent + 2));
                out.push('\n');
            }
            Entry::Block(b) => {
                let text = definition(b, indent + 2);
                // Multi-line nested blocks are set apart, as language.md sets rules apart.
                if text.contains('\n') && (after_block || out.lines().count() > 1) {
                    out.push('\n');
                }
                out.push_str(&pad);
                out.push_str(&text);
                out.push('\n');
                after_block = text.contains('\n');
            }
        }
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
    out
}

/// A value starting at column `col` on a line indented by `indent`: inline when it fits; else
/// a list or map one item a line, aligned under the first item as language.md writes them
/// when the items fit so, indented a level below the line otherwise.
fn value(v: &Value, col: usize, indent: usize) -> String {
    let flat = inline(v);
    if col + flat.len() <= WIDTH {
        return flat;
    }
    let pad = |n: usize| " ".repeat(n);
    match &v.kind {
        ValueKind::List(items) if !items.is_empty() => {
            let aligned = items.iter().all(|i| col + 2 + inline(i).len() <= WIDTH);
            if aligned {
                let parts: Vec<String> = items.iter().map(inline).collect();
                return format!("[{}]", parts.join(&format!(",\n{}", pad(col + 1))));
            }
            let inner = indent + 2;
            let parts: Vec<String> = items
                .iter()
                .map(|i| format!("{}{},\n", pad(inner), value(i, inner, inner)))
                .collect();
            format!("[\n{}{}]", parts.concat(), pad(indent))
        }
        ValueKind::Map(entries) if !entries.is_empty() => {
            let entry = |(k, x): &(crate::syntax::ast::Ident, Value)| {
                format!("{} = {}", key(&k.name), inline(x))
            };
            let aligned = entries.iter().all(|e| col + 4 + entry(e).len() <= WIDTH);
            if aligned {
                let parts: Vec<String> = entries.iter().map(entry).collect();
                return format!("{{ {} }}", parts.join(&format!(",\n{}", pad(col + 2))));
            }
            let inner = indent + 2;
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, x)| {
                    let lead = format!("{} = ", key(&k.name));
                    let at = inner + lead.len();
                    format!("{}{lead}{}\n", pad(inner), value(x, at, inner))
                })
                .collect();
            format!("{{\n{}{}}}", parts.concat(), pad(indent))
        }
        _ => flat,
    }
}

/// A value on one line.
fn inline(v: &Value) -> String {
    match &v.kind {
        ValueKind::Str(s) => quote(s),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Path(parts) => parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ValueKind::Call { name, args } => {
            let args: Vec<String> = args.iter().map(inline).collect();
            format!("{}({})", name.name, args.join(", "))
        }
        ValueKind::List(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        ValueKind::Map(entries) if entries.is_empty() => "{}".into(),
        ValueKind::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, x)| format!("{} = {}", key(&k.name), inline(x)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

fn key(k: &str) -> String {
    if is_ident(k) {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A string literal: `\"`, `\\`, `\n`, `\t` and `\u{..}` for other control characters.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn definitions(file: crate::syntax::ast::File) -> Vec<Item> {
        file.items
            .into_iter()
            .filter_map(|i| match i {
                crate::syntax::ast::Item::Definition(block) => Some(Item {
                    comment: None,
                    block,
                }),
                _ => None,
            })
            .collect()
    }

    /// Printing a parsed program and parsing it again gives the same text: the printer writes
    /// only what the parser reads.
    #[test]
    fn printed_programs_parse_back_to_the_same_text() {
        let src = "gateway public {\n  namespace = \"gloo-system\"\n  class = gloo-gateway\n  listener http { port = 8080  protocol = HTTP  hostname = \"a\\\"b\"  routes-from = all }\n}\nroute web { parents = [gateway.public.http]  rule { match = [{ path = prefix(\"/\"), headers = { \"x y\" = regex(\"^a\") } }] } }\ncluster east { }\n";
        let (file, errors) = crate::syntax::parse(FileId(0), src);
        assert!(errors.is_empty(), "{errors:?}");
        let text = program(&["header".into()], &definitions(file));
        let (again, errors) = crate::syntax::parse(FileId(0), &text);
        assert!(errors.is_empty(), "{text}\n{errors:?}");
        assert_eq!(program(&["header".into()], &definitions(again)), text);
        assert!(text.contains("  class     = gloo-gateway\n"), "{text}");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u{1}\"");
        assert!(is_ident("gloo-gateway") && !is_ident("1a") && !is_ident("a.b"));
    }
}
