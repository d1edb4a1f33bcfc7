//! Stage 2: syntax trees → [`Program`] ([`resolve`]), then where each definition lands
//! ([`place::place`]).
//!
//! Resolution runs in two passes: the first collects every definition and `let` of every file
//! into one table (definitions are visible in the whole program, in any order), the second
//! lowers each block into its typed form, resolving references through the table. Every problem
//! is reported and lowering goes on, so one run shows all errors.

mod defs;
mod install;
mod mesh;
pub mod place;
mod route;
mod values;

pub(crate) use mesh::parse_image;

use std::collections::{BTreeMap, HashMap};

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::load::Loaded;
use crate::model::Program;
use crate::source::Span;
use crate::syntax::ast::{Block, Ident, Item, Value};

/// The kinds of top-level definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Cluster,
    Class,
    Service,
    Upstream,
    Gateway,
    Route,
    Secret,
    Grant,
    GatewayInstall,
    Mesh,
    VirtualDestination,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Cluster,
        Kind::Class,
        Kind::Service,
        Kind::Upstream,
        Kind::Gateway,
        Kind::Route,
        Kind::Secret,
        Kind::Grant,
        Kind::GatewayInstall,
        Kind::Mesh,
        Kind::VirtualDestination,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Cluster => "cluster",
            Kind::Class => "class",
            Kind::Service => "service",
            Kind::Upstream => "upstream",
            Kind::Gateway => "gateway",
            Kind::Route => "route",
            Kind::Secret => "secret",
            Kind::Grant => "grant",
            Kind::GatewayInstall => "gateway-install",
            Kind::Mesh => "mesh",
            Kind::VirtualDestination => "virtual-destination",
        }
    }

    /// "a" or "an", for messages.
    pub fn article(self) -> &'static str {
        if self == Kind::Upstream {
            "an"
        } else {
            "a"
        }
    }

    fn from_keyword(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.keyword() == word)
    }
}

/// Words with a meaning of their own wherever a bare name is read; a `let` cannot take them.
const RESERVED: &[&str] = &[
    "all",
    "none",
    "true",
    "false",
    "import",
    "let",
    "HTTP",
    "HTTPS",
    "TCP",
    "TLS",
    "management",
    "workload",
    "same",
    "terminate",
    "passthrough",
    "http",
    "https",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
];

/// Every definition and constant of the program, by name.
pub(crate) struct Table<'a> {
    /// Per kind, the blocks in load order; a definition's id is its index here.
    defs: BTreeMap<Kind, Vec<&'a Block>>,
    index: HashMap<(Kind, &'a str), u32>,
    lets: HashMap<&'a str, &'a Value>,
}

impl<'a> Table<'a> {
    fn build(loaded: &'a Loaded, diags: &mut Diagnostics) -> Table<'a> {
        let mut table = Table {
            defs: BTreeMap::new(),
            index: HashMap::new(),
            lets: HashMap::new(),
        };
        let mut let_spans: HashMap<&str, Span> = HashMap::new();
        for (_, file) in &loaded.files {
            for item in &file.items {
                match item {
                    Item::Import { .. } => {}
                    Item::Let { name, value } => {
                        if RESERVED.contains(&name.name.as_str()) {
                            diags.push(
                                Diagnostic::new(
                                    Code::DuplicateDefinition,
                                    format!(
                                        "`{}` is a word of the language and cannot name a constant",
                                        name.name
                                    ),
                                    name.span,
                                    "reserved word",
                                )
                                .with_help(format!(
                                    "choose another name, such as `my-{}`",
                                    name.name.to_lowercase()
                                )),
                            );
                        } else if let Some(first) = let_spans.get(name.name.as_str()) {
                            diags.push(duplicate("constant", &name.name, name.span, *first));
                        } else {
                            let_spans.insert(&name.name, name.span);
                            table.lets.insert(&name.name, value);
                        }
                    }
                    Item::Definition(block) => table.add(block, diags),
                }
            }
        }
        // A constant named like a cluster or a class would silently replace it wherever it is
        // named bare (`to = [east]`, `class = gloo-gateway`).
        for (name, span) in &let_spans {
            let named = [Kind::Cluster, Kind::Class]
                .into_iter()
                .find_map(|k| table.lookup(k, name).map(|id| (k, id)));
            if let Some((kind, id)) = named {
                let cluster = table.blocks(kind)[id as usize];
                let cluster_span = cluster.name.as_ref().map_or(cluster.span, |n| n.span);
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateDefinition,
                        format!("constant `{name}` has the name of a {}", kind.keyword()),
                        *span,
                        "this constant",
                    )
                    .with_label(cluster_span, format!("the {}", kind.keyword()))
                    .with_help(format!(
                        "rename the constant: a bare `{name}` would mean the constant, not the {}",
                        kind.keyword()
                    )),
                );
                table.lets.remove(name);
            }
        }
        table
    }

    fn add(&mut self, block: &'a Block, diags: &mut Diagnostics) {
        let Some(kind) = Kind::from_keyword(&block.kind.name) else {
            let words: Vec<&str> = Kind::ALL.iter().map(|k| k.keyword()).collect();
            let help = match did_you_mean(&block.kind.name, words.iter().copied()) {
                Some(k) => format!("did you mean `{k}`?"),
                None => format!("a definition is one of: {}", words.join(", ")),
            };
            diags.push(
                Diagnostic::new(
                    Code::UnknownDefinitionKind,
                    format!("unknown kind of definition `{}`", block.kind.name),
                    block.kind.span,
                    "not a kind of definition",
                )
                .with_help(help),
            );
            return;
        };
        let Some(name) = &block.name else { return };
        let list = self.defs.entry(kind).or_default();
        if let Some(&first) = self.index.get(&(kind, name.name.as_str())) {
            let first_span = list[first as usize]
                .name
                .as_ref()
                .map_or(block.span, |n| n.span);
            diags.push(duplicate(kind.keyword(), &name.name, name.span, first_span));
            return;
        }
        self.index.insert((kind, &name.name), list.len() as u32);
        list.push(block);
    }

    pub(crate) fn blocks(&self, kind: Kind) -> &[&'a Block] {
        self.defs.get(&kind).map_or(&[], |v| v.as_slice())
    }

    pub(crate) fn lookup(&self, kind: Kind, name: &str) -> Option<u32> {
        self.index.get(&(kind, name)).copied()
    }

    /// The names of one kind, for "did you mean".
    pub(crate) fn names(&self, kind: Kind) -> impl Iterator<Item = &'a str> + '_ {
        self.blocks(kind)
            .iter()
            .filter_map(|b| b.name.as_ref().map(|n| n.name.as_str()))
    }

    /// The kinds that have a definition with this name.
    pub(crate) fn kinds_named(&self, name: &str) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|&k| self.lookup(k, name).is_some())
            .collect()
    }

    pub(crate) fn constant(&self, name: &str) -> Option<&'a Value> {
        self.lets.get(name).copied()
    }
}

fn duplicate(what: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateDefinition,
        format!("{what} `{name}` is defined twice"),
        span,
        "defined again here",
    )
    .with_label(first, "first defined here")
    .with_help(format!("rename one of them, or remove the second {what}"))
}

/// `allow = [CODE, ...]` on definitions: warnings whose primary span lies inside one of
/// these definitions and whose code it lists are not reported.
#[derive(Debug, Default)]
pub struct Allows {
    spans: Vec<(Span, Vec<Code>)>,
}

impl Allows {
    /// A warning is allowed when its offending value or one of the declarations it names lies
    /// inside a definition that allows its code: a tie between two routes can be allowed on
    /// either.
    pub fn allows(&self, d: &Diagnostic) -> bool {
        let inside = |at: Span| {
            self.spans.iter().any(|(span, codes)| {
                span.file == at.file
                    && span.start <= at.start
                    && at.end <= span.end
                    && codes.contains(&d.code)
            })
        };
        std::iter::once(&d.primary)
            .chain(&d.secondary)
            .any(|l| inside(l.span))
    }

    fn collect(loaded: &Loaded, table: &Table<'_>, diags: &mut Diagnostics) -> Allows {
        let mut out = Allows::default();
        for (_, file) in &loaded.files {
            for item in &file.items {
                let Item::Definition(block) = item else {
                    continue;
                };
                for entry in &block.entries {
                    let crate::syntax::ast::Entry::Attr(attr) = entry else {
                        continue;
                    };
                    if attr.key.name != "allow" {
                        continue;
                    }
                    // `allow = quiet` where `let quiet = [W0301]`.
                    let value = match &attr.value.kind {
                        crate::syntax::ast::ValueKind::Path(p) if p.len() == 1 => {
                            table.constant(&p[0].name).unwrap_or(&attr.value)
                        }
                        _ => &attr.value,
                    };
                    let codes = allow_list(value, diags);
                    out.spans.push((block.span, codes));
                }
            }
        }
        out
    }
}

fn allow_list(v: &Value, diags: &mut Diagnostics) -> Vec<Code> {
    use crate::syntax::ast::ValueKind;
    let items = match &v.kind {
        ValueKind::List(items) => items.as_slice(),
        _ => std::slice::from_ref(v),
    };
    let mut codes = Vec::new();
    for item in items {
        let text = match &item.kind {
            ValueKind::Path(p) if p.len() == 1 => p[0].name.as_str(),
            ValueKind::Str(s) => s.as_str(),
            _ => "",
        };
        match Code::parse(text) {
            Some(code) if code.severity() != crate::diag::Severity::Error => codes.push(code),
            Some(code) => diags.push(
                Diagnostic::new(Code::InvalidValue, format!("{code} is an error and cannot be allowed"), item.span, "an error code")
                    .with_help("only warnings (W codes) can be allowed; fix the error instead"),
            ),
            None => diags.push(
                Diagnostic::new(Code::InvalidValue, format!("`{text}` is not a diagnostic code"), item.span, "not a code")
                    .with_help("write warning codes such as `allow = [W0301]`; `topoc explain --list` lists them"),
            ),
        }
    }
    codes
}

/// Build the typed program, or report why it cannot be built. `None` means at least one
/// definition did not resolve; every such problem has been reported. The later stages only
/// ever see a complete program, so they need no placeholders for broken definitions.
pub fn resolve(loaded: &Loaded, diags: &mut Diagnostics) -> (Option<Program>, Allows) {
    let table = Table::build(loaded, diags);
    let allows = Allows::collect(loaded, &table, diags);
    (defs::lower(&table, diags), allows)
}

/// Keep an identifier's text and span together in the model.
pub(crate) fn name_of(ident: &Ident) -> crate::model::Name {
    crate::model::Name {
        text: ident.name.clone(),
        span: ident.span,
    }
}
