//! Typed readers for attribute values. Each reports a diagnostic and returns `None` when the
//! value does not fit, so callers read like a schema.

use std::collections::{BTreeMap, BTreeSet};

use super::{Kind, Table};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::model::{ClusterId, Distribution, Spanned};
use crate::source::Span;
use crate::syntax::ast::{Attr, Block, Entry, Ident, Value, ValueKind};

/// How many `let` hops a value may take before it is taken as a plain name; breaks
/// `let a = b  let b = a` cycles.
const MAX_LET_DEPTH: usize = 32;

/// The resolver's working state: the table and the diagnostics sink.
pub(crate) struct Cx<'t, 'a> {
    pub table: &'t Table<'a>,
    pub diags: &'t mut Diagnostics,
    /// Set when any value failed to read, so `lower` can refuse to build the program.
    pub failed: bool,
}

/// The attributes and nested blocks of one block, checked against what its kind accepts.
pub(crate) struct Attrs<'a> {
    attrs: BTreeMap<&'a str, &'a Attr>,
    blocks: Vec<&'a Block>,
    /// The block's kind keyword and name span, for "missing attribute" labels.
    pub what: String,
    pub span: Span,
}

impl<'t, 'a> Cx<'t, 'a> {
    pub fn error(&mut self, d: Diagnostic) {
        self.failed = true;
        self.diags.push(d);
    }

    /// Split a block into attributes and nested blocks, reporting unknown and repeated keys.
    pub fn attrs(&mut self, block: &'a Block, known: &[&str], known_blocks: &[&str]) -> Attrs<'a> {
        let what = match &block.name {
            Some(n) => format!("{} `{}`", block.kind.name, n.name),
            None => format!("`{}` block", block.kind.name),
        };
        let span = block.name.as_ref().map_or(block.kind.span, |n| n.span);
        let mut out = Attrs {
            attrs: BTreeMap::new(),
            blocks: Vec::new(),
            what,
            span,
        };
        for entry in &block.entries {
            match entry {
                Entry::Attr(attr) => {
                    let key = attr.key.name.as_str();
                    if !known.contains(&key) {
                        self.unknown_key(&attr.key, &block.kind.name, known, "attribute");
                    } else if let Some(first) = out.attrs.get(key) {
                        self.error(
                            Diagnostic::new(
                                Code::DuplicateAttribute,
                                format!("`{key}` is set twice"),
                                attr.key.span,
                                "set again here",
                            )
                            .with_label(first.key.span, "first set here")
                            .with_help(format!(
                                "keep one `{key}`; to give several values write a list `[a, b]`"
                            )),
                        );
                    } else {
                        out.attrs.insert(key, attr);
                    }
                }
                Entry::Block(inner) => {
                    if known_blocks.contains(&inner.kind.name.as_str()) {
                        out.blocks.push(inner);
                    } else {
                        self.unknown_key(&inner.kind, &block.kind.name, known_blocks, "block");
                    }
                }
            }
        }
        out
    }

    fn unknown_key(&mut self, key: &Ident, owner: &str, known: &[&str], what: &str) {
        let help = match did_you_mean(&key.name, known.iter().copied()) {
            Some(k) => format!("did you mean `{k}`?"),
            None if known.is_empty() => format!("`{owner}` takes no {what}s"),
            None => format!("`{owner}` accepts: {}", known.join(", ")),
        };
        self.error(
            Diagnostic::new(
                Code::UnknownAttribute,
                format!("unknown {what} `{}` in `{owner}`", key.name),
                key.span,
                format!("not an {what} of `{owner}`").replace("an block", "a block"),
            )
            .with_help(help),
        );
    }

    /// Follow `let` constants: a one-segment name bound by `let` stands for its value.
    pub fn deref(&self, mut v: &'a Value) -> &'a Value {
        for _ in 0..MAX_LET_DEPTH {
            match &v.kind {
                ValueKind::Path(p) if p.len() == 1 => match self.table.constant(&p[0].name) {
                    Some(bound) => v = bound,
                    None => return v,
                },
                _ => return v,
            }
        }
        v
    }

    /// A map key given twice.
    pub fn key_set_twice(&mut self, key: &Ident) {
        self.error(
            Diagnostic::new(
                Code::DuplicateAttribute,
                format!("key `{}` is set twice", key.name),
                key.span,
                "set again here",
            )
            .with_help("keep one of them"),
        );
    }

    pub fn wrong_type(&mut self, v: &Value, expected: &str) {
        self.error(
            Diagnostic::new(
                Code::WrongType,
                format!("expected {expected}, found {}", v.kind.describe()),
                v.span,
                format!("expected {expected}"),
            )
            .with_help(type_help(expected)),
        );
    }

    pub fn invalid(&mut self, v: &Value, message: String, help: String) {
        self.error(
            Diagnostic::new(Code::InvalidValue, message, v.span, "not allowed here")
                .with_help(help),
        );
    }

    pub fn string(&mut self, v: &'a Value) -> Option<Spanned<String>> {
        let v = self.deref(v);
        match &v.kind {
            ValueKind::Str(s) => Some(Spanned {
                value: s.clone(),
                span: v.span,
            }),
            _ => {
                self.wrong_type(v, "a string");
                None
            }
        }
    }

    pub fn int(&mut self, v: &'a Value, min: i64, max: i64, what: &str) -> Option<Spanned<i64>> {
        let v = self.deref(v);
        match &v.kind {
            ValueKind::Int(n) if (min..=max).contains(n) => Some(Spanned {
                value: *n,
                span: v.span,
            }),
            ValueKind::Int(n) => {
                self.invalid(
                    v,
                    format!("{what} {n} is out of range"),
                    format!("{what} ranges from {min} to {max}"),
                );
                None
            }
            _ => {
                self.wrong_type(v, "an integer");
                None
            }
        }
    }

    pub fn port(&mut self, v: &'a Value) -> Option<Spanned<u16>> {
        self.int(v, 1, 65535, "port").map(|n| Spanned {
            value: n.value as u16,
            span: n.span,
        })
    }

    pub fn bool(&mut self, v: &'a Value) -> Option<bool> {
        match &self.deref(v).kind {
            ValueKind::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(self.deref(v), "`true` or `false`");
                None
            }
        }
    }

    /// A bare name from a fixed set (`HTTP`, `management`), with "did you mean".
    pub fn symbol(
        &mut self,
        v: &'a Value,
        allowed: &[&'static str],
    ) -> Option<Spanned<&'static str>> {
        let v = self.deref(v);
        let word = match &v.kind {
            ValueKind::Path(p) if p.len() == 1 => p[0].name.as_str(),
            // Accept the quoted form too: `protocol = "HTTP"` is what YAML users type.
            ValueKind::Str(s) => s.as_str(),
            _ => {
                self.wrong_type(v, &format!("one of {}", allowed.join(", ")));
                return None;
            }
        };
        if let Some(&found) = allowed.iter().find(|a| **a == word) {
            return Some(Spanned {
                value: found,
                span: v.span,
            });
        }
        let help = match did_you_mean(word, allowed.iter().copied()).or_else(|| {
            allowed
                .iter()
                .copied()
                .find(|a| a.eq_ignore_ascii_case(word))
        }) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("write one of: {}", allowed.join(", ")),
        };
        self.invalid(
            v,
            format!("`{word}` is not one of {}", allowed.join(", ")),
            help,
        );
        None
    }

    pub fn list(&mut self, v: &'a Value) -> Option<&'a [Value]> {
        let v = self.deref(v);
        match &v.kind {
            ValueKind::List(items) => Some(items),
            _ => {
                self.wrong_type(v, "a list `[...]`");
                None
            }
        }
    }

    /// A list, or a single value standing for a one-element list.
    pub fn one_or_many(&mut self, v: &'a Value) -> &'a [Value] {
        let v = self.deref(v);
        match &v.kind {
            ValueKind::List(items) => items,
            _ => std::slice::from_ref(v),
        }
    }

    pub fn map(&mut self, v: &'a Value) -> Option<&'a [(Ident, Value)]> {
        let v = self.deref(v);
        match &v.kind {
            ValueKind::Map(entries) => Some(entries),
            _ => {
                self.wrong_type(v, "a map `{ key = value }`");
                None
            }
        }
    }

    /// A map whose values are strings (labels, annotations, selectors, headers).
    pub fn string_map(&mut self, v: &'a Value) -> Option<BTreeMap<String, String>> {
        let entries = self.map(v)?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in entries {
            if out.contains_key(&key.name) {
                self.key_set_twice(key);
                ok = false;
                continue;
            }
            match self.string(value) {
                Some(s) => {
                    out.insert(key.name.clone(), s.value);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A map with a fixed set of keys; reports unknown and repeated keys.
    pub fn record(
        &mut self,
        v: &'a Value,
        known: &[&str],
        owner: &str,
    ) -> Option<BTreeMap<&'a str, &'a Value>> {
        let entries = self.map(v)?;
        let mut out = BTreeMap::new();
        for (key, value) in entries {
            if !known.contains(&key.name.as_str()) {
                self.unknown_key(key, owner, known, "key");
            } else if out.insert(key.name.as_str(), value).is_some() {
                self.key_set_twice(key);
            }
        }
        Some(out)
    }

    /// `KIND.NAME[.MORE]` → the definition's id and the remaining segments. A place may take
    /// several kinds: `kind` is the one it settled on (from the reference's first word), and a
    /// reference of a kind not in `accepted` is E0202 naming all of them.
    pub fn reference_among(
        &mut self,
        v: &'a Value,
        kind: Kind,
        accepted: &[Kind],
    ) -> Option<(u32, &'a [Ident])> {
        let v = self.deref(v);
        let expected = format!("a reference `{}.NAME`", kind.keyword());
        let ValueKind::Path(segments) = &v.kind else {
            self.wrong_type(v, &expected);
            return None;
        };
        let (head, name, rest) = match segments.as_slice() {
            [head, name, rest @ ..] => (head, name, rest),
            [single] => {
                // A bare name: say what it probably is.
                let kinds = self.table.kinds_named(&single.name);
                let help = if kinds.contains(&kind) {
                    format!("write `{}.{}`", kind.keyword(), single.name)
                } else {
                    format!("references are written `{}.NAME`", kind.keyword())
                };
                self.error(
                    Diagnostic::new(
                        Code::UnknownReference,
                        format!(
                            "`{}` is not a reference to {} {}",
                            single.name,
                            kind.article(),
                            kind.keyword()
                        ),
                        v.span,
                        format!("expected {expected}"),
                    )
                    .with_help(help),
                );
                return None;
            }
            [] => return None,
        };
        let Some(found_kind) = Kind::from_keyword(&head.name) else {
            let words: Vec<&str> = Kind::ALL.iter().map(|k| k.keyword()).collect();
            let help = match did_you_mean(&head.name, words.iter().copied()) {
                Some(k) => format!("did you mean `{k}.{}`?", name.name),
                None => format!("references start with the kind: {}.NAME", kind.keyword()),
            };
            self.error(
                Diagnostic::new(
                    Code::UnknownReference,
                    format!("unknown kind `{}` in a reference", head.name),
                    head.span,
                    "not a kind",
                )
                .with_help(help),
            );
            return None;
        };
        let Some(id) = self.table.lookup(found_kind, &name.name) else {
            let names: Vec<&str> = self.table.names(found_kind).collect();
            let help = match did_you_mean(&name.name, names.iter().copied()) {
                Some(m) => format!("did you mean `{}.{m}`?", found_kind.keyword()),
                None if names.is_empty() => format!(
                    "declare it: `{} {} {{ ... }}`",
                    found_kind.keyword(),
                    name.name
                ),
                None => format!("the {}s are: {}", found_kind.keyword(), names.join(", ")),
            };
            self.error(
                Diagnostic::new(
                    Code::UnknownReference,
                    format!("there is no {} named `{}`", found_kind.keyword(), name.name),
                    v.span,
                    "not defined",
                )
                .with_help(help),
            );
            return None;
        };
        if found_kind != kind {
            let block = self.table.blocks(found_kind)[id as usize];
            let def_span = block.name.as_ref().map_or(block.span, |n| n.span);
            self.error(
                Diagnostic::new(
                    Code::WrongKind,
                    format!(
                        "expected {}, found {} `{}`",
                        one_of(
                            accepted
                                .iter()
                                .map(|k| format!("{} {}", k.article(), k.keyword()))
                        ),
                        found_kind.keyword(),
                        name.name
                    ),
                    v.span,
                    format!("this is {} {}", found_kind.article(), found_kind.keyword()),
                )
                .with_label(def_span, "defined here")
                .with_help(format!(
                    "this place takes a reference {}",
                    one_of(accepted.iter().map(|k| format!("`{}.NAME`", k.keyword())))
                )),
            );
            return None;
        }
        Some((id, rest))
    }

    /// A reference with nothing after the name.
    pub fn plain_reference(&mut self, v: &'a Value, kind: Kind) -> Option<Spanned<u32>> {
        self.plain_reference_among(v, kind, &[kind])
    }

    /// [`Self::plain_reference`] in a place that takes several kinds.
    pub fn plain_reference_among(
        &mut self,
        v: &'a Value,
        kind: Kind,
        accepted: &[Kind],
    ) -> Option<Spanned<u32>> {
        let (id, rest) = self.reference_among(v, kind, accepted)?;
        if let Some(extra) = rest.first() {
            self.error(
                Diagnostic::new(
                    Code::UnknownReference,
                    format!("a {} has no part `{}`", kind.keyword(), extra.name),
                    extra.span,
                    "unexpected",
                )
                .with_help(format!("write `{}.NAME`", kind.keyword())),
            );
            return None;
        }
        Some(Spanned {
            value: id,
            span: self.deref(v).span,
        })
    }

    /// `to` and `runs-in`: `all`, `none`, a list of clusters, or a label selector map.
    pub fn distribution(&mut self, v: &'a Value) -> Option<Spanned<Distribution>> {
        let v = self.deref(v);
        let dist = match &v.kind {
            ValueKind::Path(p) if p.len() == 1 && p[0].name == "all" => Distribution::All,
            ValueKind::Path(p) if p.len() == 1 && p[0].name == "none" => Distribution::None,
            ValueKind::Map(entries) if entries.is_empty() => {
                self.invalid(
                    v,
                    "an empty label selector".into(),
                    "write `all` for every workload cluster, or give labels `{ env = \"prod\" }`"
                        .into(),
                );
                return None;
            }
            ValueKind::Map(_) => Distribution::Selector(self.string_map(v)?),
            ValueKind::List(items) => {
                let mut ids = Vec::new();
                let mut seen = BTreeSet::new();
                let mut ok = true;
                for item in items {
                    match self.cluster_name(item) {
                        Some(id) if seen.insert(id) => ids.push(ClusterId(id)),
                        Some(_) => {}
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Distribution::Clusters(ids)
            }
            ValueKind::Path(_) => {
                // A single cluster without brackets.
                Distribution::Clusters(vec![ClusterId(self.cluster_name(v)?)])
            }
            _ => {
                self.wrong_type(
                    v,
                    "`all`, `none`, a list of clusters or a label selector `{ key = \"value\" }`",
                );
                return None;
            }
        };
        Some(Spanned {
            value: dist,
            span: v.span,
        })
    }

    /// A cluster named bare (`east`) or as `cluster.east`.
    pub(crate) fn cluster_name(&mut self, v: &'a Value) -> Option<u32> {
        let v = self.deref(v);
        let ident = match &v.kind {
            ValueKind::Path(p) if p.len() == 1 => &p[0],
            ValueKind::Path(p) if p.len() == 2 && p[0].name == "cluster" => &p[1],
            _ => {
                self.wrong_type(v, "a cluster name");
                return None;
            }
        };
        if let Some(id) = self.table.lookup(Kind::Cluster, &ident.name) {
            return Some(id);
        }
        let names: Vec<&str> = self.table.names(Kind::Cluster).collect();
        let help = match did_you_mean(&ident.name, names.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None if names.is_empty() => format!("declare it: `cluster {} {{ }}`", ident.name),
            None => format!("the clusters are: {}", names.join(", ")),
        };
        self.error(
            Diagnostic::new(
                Code::UnknownCluster,
                format!("there is no cluster named `{}`", ident.name),
                v.span,
                "not a declared cluster",
            )
            .with_help(help),
        );
        None
    }
}

impl<'a> Attrs<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.attrs.get(key).map(|a| &a.value)
    }

    pub fn blocks<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'a Block> + 's {
        self.blocks
            .iter()
            .copied()
            .filter(move |b| b.kind.name == kind)
    }

    /// A required attribute; reports it missing with an example of what to write.
    pub fn require(&self, cx: &mut Cx<'_, 'a>, key: &str, example: &str) -> Option<&'a Value> {
        let found = self.get(key);
        if found.is_none() {
            cx.error(
                Diagnostic::new(
                    Code::MissingAttribute,
                    format!("{} has no `{key}`", self.what),
                    self.span,
                    format!("`{key}` is required"),
                )
                .with_help(format!("add `{key} = {example}`")),
            );
        }
        found
    }
}

fn type_help(expected: &str) -> String {
    match expected {
        "a string" => "quote it: \"...\"".to_string(),
        "an integer" => "write a number without quotes".to_string(),
        "a list `[...]`" => "wrap it in brackets: [a, b]".to_string(),
        _ => format!("write {expected}"),
    }
}

/// An optional attribute read by a reader that may fail: `None` (absent) becomes
/// `Some(None)`, a failed read (`Some(None)`) becomes `None`.
pub(crate) trait Lift<T> {
    fn lift(self) -> Option<Option<T>>;
}

impl<T> Lift<T> for Option<Option<T>> {
    fn lift(self) -> Option<Option<T>> {
        match self {
            None => Some(None),
            Some(inner) => inner.map(Some),
        }
    }
}

/// "a", "a or b", "a, b or c".
fn one_of(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
