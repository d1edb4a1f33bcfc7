//! Copies of one object found in several cluster folders become one definition: the same
//! kind, name and namespace, and the same contents, or a diagnostic saying how they differ.

use std::collections::BTreeMap;

use super::object::Def;
use super::place::rank;
use super::relay::Relay;
use super::write;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{Block, Entry};

/// Copies of one definition: the cluster folder of each and its relay annotation.
pub(crate) type Copies = Vec<(String, Option<Relay>)>;

/// Group the copies of each object (same kind and name) found in the cluster folders.
pub(crate) fn merge(defs: Vec<Def>, diags: &mut Vec<Diagnostic>) -> Vec<(Def, Copies)> {
    let mut groups: BTreeMap<(usize, String), (Def, Copies, String)> = BTreeMap::new();
    for def in defs {
        let key = (rank(def.keyword), def.name.clone());
        let copy = (def.cluster.clone(), def.relay.clone());
        match groups.get_mut(&key) {
            None => {
                let text = write::definition_text(&def.block);
                groups.insert(key, (def, vec![copy], text));
            }
            Some((first, copies, text)) => {
                let first_span = first
                    .block
                    .name
                    .as_ref()
                    .map_or(first.block.span, |n| n.span);
                let span = def.block.name.as_ref().map_or(def.block.span, |n| n.span);
                if first.namespace != def.namespace {
                    diags.push(
                        Diagnostic::new(
                            Code::ImportDuplicateName,
                            format!(
                                "two {}s named `{}`, in namespaces `{}` and `{}`",
                                def.kind,
                                def.name,
                                first.namespace.as_deref().unwrap_or(""),
                                def.namespace.as_deref().unwrap_or("")
                            ),
                            span,
                            "this one is left out",
                        )
                        .with_label(first_span, "the first")
                        .with_help("topoc's names are unique per kind in the whole program: rename one of them"),
                    );
                    continue;
                }
                if copies.iter().any(|(c, _)| *c == def.cluster) {
                    diags.push(
                        Diagnostic::new(
                            Code::ImportDuplicateName,
                            format!(
                                "two {}s named `{}` in cluster {}",
                                def.kind, def.name, def.cluster
                            ),
                            span,
                            "this one is left out",
                        )
                        .with_label(first_span, "the first")
                        .with_help("an object exists once per cluster: remove one, or rename it"),
                    );
                    continue;
                }
                if write::definition_text(&def.block) != *text {
                    let mut d = Diagnostic::new(
                        Code::ImportCopiesDiffer,
                        format!(
                            "{} `{}` differs between clusters {} and {}",
                            def.kind, def.name, copies[0].0, def.cluster
                        ),
                        span,
                        format!("the copy in {}", def.cluster),
                    )
                    .with_label(first_span, format!("the copy in {}", copies[0].0))
                    .with_help("a topoc definition is the same in every cluster: make the copies equal, or give the variants different names");
                    if let Some((a, b)) = first_difference(&first.block, &def.block) {
                        d = Diagnostic::new(
                            Code::ImportCopiesDiffer,
                            d.message.clone(),
                            b,
                            format!("the copy in {}", def.cluster),
                        )
                        .with_label(a, format!("the copy in {}", copies[0].0))
                        .with_help(d.help.clone().unwrap_or_default());
                    }
                    diags.push(d);
                }
                copies.push(copy);
            }
        }
    }
    groups.into_values().map(|(d, c, _)| (d, c)).collect()
}

/// The spans of the first entry that differs between two versions of a definition.
fn first_difference(a: &Block, b: &Block) -> Option<(Span, Span)> {
    let span = |e: &Entry| match e {
        Entry::Attr(x) => x.key.span.to(x.value.span),
        Entry::Block(x) => x.span,
    };
    for (x, y) in a.entries.iter().zip(&b.entries) {
        if write::entry_text(x) != write::entry_text(y) {
            return Some((span(x), span(y)));
        }
    }
    let (x, y) = (
        a.entries.get(b.entries.len()),
        b.entries.get(a.entries.len()),
    );
    match (x, y) {
        (Some(x), None) => Some((span(x), b.span)),
        (None, Some(y)) => Some((a.span, span(y))),
        _ => None,
    }
}
