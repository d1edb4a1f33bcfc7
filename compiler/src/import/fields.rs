//! Reading one manifest: the fields a kind importer takes, and a diagnostic for every field it
//! leaves, so nothing topoc cannot represent disappears silently.

use super::build;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{Ident, Value};
use crate::yaml::{Node, NodeValue};

/// What the kind importers share while reading one document.
pub(crate) struct Cx {
    pub file: FileId,
    pub diags: Vec<Diagnostic>,
    /// References to services and secrets (which manifests rarely hold) and to gateways and
    /// upstreams (whose namespaces must agree), checked once every object is read.
    pub refs: Vec<Ref>,
    /// The newest Gateway API release a feature read so far needs, and where.
    pub needs: Option<((u32, u32), Span)>,
    /// Istio control-plane revisions a gateway installation needs per cluster:
    /// (cluster, revision, where).
    pub revisions: Vec<(String, String, Span)>,
}

/// A reference read from a manifest, with the namespace it names.
#[derive(Clone, Debug)]
pub(crate) struct Ref {
    /// `service`, `secret`, `gateway`, `upstream`.
    pub kind: &'static str,
    pub name: String,
    pub namespace: String,
    /// A service port the reference uses.
    pub port: Option<i64>,
    /// The protocol the reference implies for that port: `http` for the port of a GAMMA
    /// parent, which carries HTTP routes.
    pub app_protocol: Option<&'static str>,
    pub span: Span,
}

impl Cx {
    pub fn span(&self, node: &Node) -> Span {
        Span::new(self.file, node.start, node.end)
    }

    /// A field whose value has the wrong shape: the object is not valid for its kind.
    pub fn invalid(&mut self, node: &Node, path: &str, expected: &str) {
        let span = self.span(node);
        self.diags.push(
            Diagnostic::new(
                Code::ImportInvalidObject,
                format!("`{path}` should be {expected}, not {}", node.describe()),
                span,
                format!("expected {expected}"),
            )
            .with_help("fix the manifest: the API server would reject it"),
        );
    }

    /// A field or value that topoc's language has no way to write.
    pub fn unsupported(&mut self, node: &Node, path: &str, why: &str) {
        let span = self.span(node);
        self.diags.push(
            Diagnostic::new(
                Code::ImportUnrepresentable,
                format!("`{path}` cannot be represented in topoc"),
                span,
                why.to_string(),
            )
            .with_help("remove the field, or manage this object outside topoc (docs/adopting.md lists what topoc represents)"),
        );
    }

    /// A field that is read but deliberately not kept (runtime state, key material).
    pub fn ignored(&mut self, node: &Node, path: &str, why: &str) {
        let span = self.span(node);
        self.diags.push(
            Diagnostic::new(
                Code::ImportIgnored,
                format!("`{path}` is not imported"),
                span,
                why.to_string(),
            )
            .with_help("nothing to do if this is expected; topoc neither writes nor checks it"),
        );
    }

    pub fn need(&mut self, version: (u32, u32), span: Span) {
        if self.needs.is_none_or(|(v, _)| v < version) {
            self.needs = Some((version, span));
        }
    }

    pub fn text<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n str> {
        match &node.value {
            NodeValue::Str(s) => Some(s),
            _ => {
                self.invalid(node, path, "a string");
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<Value> {
        let span = self.span(node);
        self.text(node, path).map(|s| build::string(s, span))
    }

    pub fn int(&mut self, node: &Node, path: &str) -> Option<Value> {
        match &node.value {
            NodeValue::Int(i) => Some(build::int(*i, self.span(node))),
            _ => {
                self.invalid(node, path, "an integer");
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<Value> {
        match &node.value {
            NodeValue::Bool(b) => Some(build::boolean(*b, self.span(node))),
            _ => {
                self.invalid(node, path, "a boolean");
                None
            }
        }
    }

    /// The items of a list; null (an empty field) is no items.
    pub fn seq<'n>(&mut self, node: &'n Node, path: &str) -> &'n [Node] {
        match &node.value {
            NodeValue::Seq(items) => items,
            NodeValue::Null => &[],
            _ => {
                self.invalid(node, path, "a list");
                &[]
            }
        }
    }

    /// A map of strings (labels, annotations, matchLabels) as a topoc string map.
    pub fn string_map(&mut self, node: &Node, path: &str) -> Option<Value> {
        let entries = match &node.value {
            NodeValue::Map(entries) => entries,
            NodeValue::Null => return Some(build::map(Vec::new(), self.span(node))),
            _ => {
                self.invalid(node, path, "a map of strings");
                return None;
            }
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let key = k.key_text();
            let value = self.string(v, &format!("{path}.{key}"))?;
            out.push((build::ident(&key, self.span(k)), value));
        }
        Some(build::map(out, self.span(node)))
    }

    /// The fields of a map node, to be taken one by one.
    pub fn fields<'n>(&mut self, node: &'n Node, path: &str) -> Option<Fields<'n>> {
        match &node.value {
            NodeValue::Map(entries) => Some(Fields {
                entries,
                taken: vec![false; entries.len()],
                path: path.to_string(),
            }),
            NodeValue::Null => Some(Fields {
                entries: &[],
                taken: Vec::new(),
                path: path.to_string(),
            }),
            _ => {
                self.invalid(node, path, "a map");
                None
            }
        }
    }
}

/// The entries of one YAML map; what is not taken is reported by [`Fields::finish`].
pub(crate) struct Fields<'n> {
    entries: &'n [(Node, Node)],
    taken: Vec<bool>,
    pub path: String,
}

impl<'n> Fields<'n> {
    /// The value of `key`, marked as read. A null value counts as absent.
    pub fn take(&mut self, key: &str) -> Option<&'n Node> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_str() == Some(key))?;
        self.taken[i] = true;
        let v = &self.entries[i].1;
        (v.value != NodeValue::Null).then_some(v)
    }

    /// The key node of `key`, for a label on the field name.
    pub fn key(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k)
    }

    /// `PATH.key`, for messages.
    pub fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Read `field` with `read` into a record under `key`: nothing when the field is absent,
    /// `None` when it is present but invalid (the reader has reported it).
    pub fn copy(
        &mut self,
        cx: &mut Cx,
        field: &str,
        key: &str,
        record: &mut Vec<(Ident, Value)>,
        read: Reader,
    ) -> Option<()> {
        let Some(v) = self.take(field) else {
            return Some(());
        };
        let k = key_ident(cx, key, self.key(field).unwrap_or(v));
        let value = read(cx, v, &self.at(field))?;
        record.push((k, value));
        Some(())
    }

    /// Take a field that is kept out on purpose, with a warning saying why.
    pub fn ignore(&mut self, cx: &mut Cx, key: &str, why: &str) {
        if let Some(v) = self.take(key) {
            let path = self.at(key);
            cx.ignored(v, &path, why);
        }
    }

    /// Report every field that was not taken: topoc has no place for it.
    pub fn finish(self, cx: &mut Cx) {
        for ((k, v), taken) in self.entries.iter().zip(self.taken) {
            if taken || v.value == NodeValue::Null {
                continue;
            }
            let path = if self.path.is_empty() {
                k.key_text()
            } else {
                format!("{}.{}", self.path, k.key_text())
            };
            // The key names the field; its value may span many lines.
            let span = Span::new(cx.file, k.start, k.end);
            cx.diags.push(
                Diagnostic::new(
                    Code::ImportUnrepresentable,
                    format!("`{path}` cannot be represented in topoc"),
                    span,
                    "topoc has no attribute for this field",
                )
                .with_help("remove the field, or manage this object outside topoc (docs/adopting.md lists what topoc represents)"),
            );
        }
    }
}

/// Reads one YAML value as a topoc value (`Cx::string`, `Cx::int`, ...).
pub(crate) type Reader = fn(&mut Cx, &Node, &str) -> Option<Value>;

/// A map key as an identifier with its span.
pub(crate) fn key_ident(cx: &Cx, key: &str, node: &Node) -> Ident {
    build::ident(key, cx.span(node))
}
