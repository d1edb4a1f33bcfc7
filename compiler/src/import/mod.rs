//! Adoption: existing Kubernetes manifests → a topoc program (`topoc import`), or straight into
//! the checks (`topoc check --manifests`).
//!
//! 1. [`read`] finds the manifests (a folder per cluster, or one folder) and parses every
//!    document with positions ([`crate::yaml::parse_documents`]);
//! 2. [`object`] reads what every object shares (metadata, the relay's annotations, see
//!    [`relay`]) and hands
//!    the rest to the importer of its kind, one module per kind family ([`KINDS`]); each
//!    produces syntax-tree definitions whose spans point into the YAML;
//! 3. [`mesh`] reads what the mesh objects say about other definitions (a ServiceEntry about
//!    its virtual destination's mesh, a GatewayParameters about its gateway);
//!    [`merge`] merges the copies of an object found in several clusters, [`clusters`] declares
//!    the clusters, and [`place`] declares the services and secrets the manifests only
//!    reference and writes `to` where topoc's default would place a definition elsewhere;
//! 4. the tree goes to [`write`] (a `.topo` file) or to the resolver and the checks, whose
//!    diagnostics then point into the manifests.
//!
//! A new kind family is one module with a `KINDS` table, added to [`KINDS`].

mod artefacts;
mod build;
mod clusters;
mod core;
mod fields;
mod gateway_api;
mod gloo;
mod httproute;
mod istio;
mod merge;
mod mesh;
mod object;
mod place;
mod read;
mod relay;
mod write;

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::{self, LoadError, LoadOptions, Loaded};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast;
use crate::yaml::{Node, NodeValue};

pub use place::Item;

/// Every kind importer, by family. Kinds not listed are reported (W0501) and left out.
pub(crate) const KINDS: &[&[object::KindImporter]] = &[
    gateway_api::KINDS,
    gloo::KINDS,
    core::KINDS,
    istio::KINDS,
    mesh::KINDS,
    artefacts::KINDS,
];

/// How manifests are read.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// `.topo` files or folders whose `cluster` definitions (and constants) describe the fleet;
    /// everything else in them is ignored. Without them clusters are inferred.
    pub clusters: Vec<PathBuf>,
    /// Put every manifest in this one cluster instead of reading `DIR/<cluster>/...`.
    pub cluster: Option<String>,
    pub load: LoadOptions,
    /// Write every relay placement as `to`, even where it is topoc's default, so that
    /// diagnostics about placement point at the `distribute-to` annotation (`check
    /// --manifests`); `topoc import` leaves defaults out, as a person would.
    pub explicit_placement: bool,
}

/// The manifests as a program: loaded like `.topo` files (prelude first), with the imported
/// definitions as one more syntax tree whose spans point into the manifests.
pub struct Imported {
    pub loaded: Loaded,
    /// What reading and converting the manifests reported (the checks come later).
    pub diagnostics: Diagnostics,
    pub items: Vec<Item>,
    /// Where each diagnostic lies in the manifests, for `--base` comparisons.
    pub locator: Locator,
    /// The manifests are a Gloo relay folder (objects annotated with `distribute-to`): they
    /// are checked as `--target relay` builds them, with the relay's own limits (E0360).
    pub relay: bool,
}

impl Imported {
    /// The build options that check these manifests as they are deployed.
    pub fn check_options(&self, options: crate::Options) -> crate::Options {
        crate::Options {
            target: if self.relay {
                crate::Target::Relay
            } else {
                options.target
            },
            ..options
        }
    }
}

/// Read the manifests below `paths` and convert them.
pub fn import(paths: &[PathBuf], options: &ImportOptions) -> Result<Imported, LoadError> {
    let mut diagnostics = Diagnostics::default();
    let mut loaded = load::load(&options.clusters, options.load, &mut diagnostics)?;
    let given = keep_clusters_only(&mut loaded);
    let mut diags = Vec::new();
    let docs = read::read(
        paths,
        options
            .cluster
            .as_deref()
            .map(read::cluster_name)
            .as_deref(),
        &mut loaded.sources,
        &mut loaded.inputs,
        &mut diags,
    )?;
    Ok(convert(loaded, diagnostics, diags, &docs, given, options))
}

/// Convert one manifest text held in memory (fuzzing, editors), in one cluster `east`
/// unless `options.cluster` names another.
pub fn import_source(name: &str, text: &str, options: &ImportOptions) -> Imported {
    let mut diagnostics = Diagnostics::default();
    let mut loaded = load::load_source("manifests.topo", "", &mut diagnostics);
    let mut diags = Vec::new();
    let cluster = read::cluster_name(options.cluster.as_deref().unwrap_or("east"));
    let docs = read::read_source(
        name.to_string(),
        text.to_string(),
        &cluster,
        &mut loaded.sources,
        &mut diags,
    );
    convert(loaded, diagnostics, diags, &docs, Vec::new(), options)
}

fn convert(
    mut loaded: Loaded,
    mut diagnostics: Diagnostics,
    mut diags: Vec<Diagnostic>,
    docs: &[read::Doc],
    given: Vec<ast::Block>,
    options: &ImportOptions,
) -> Imported {
    let mut defs: Vec<object::Def> = Vec::new();
    let mut parts = Vec::new();
    let mut emitting = BTreeSet::new();
    let mut refs = Vec::new();
    let mut needs = None;
    let mut revisions = Vec::new();
    let mut locator = Locator::default();
    for doc in docs {
        let mut cx = fields::Cx {
            file: doc.file,
            diags: Vec::new(),
            refs: Vec::new(),
            needs,
            revisions: Vec::new(),
        };
        let mut out = Vec::new();
        object::read(&mut cx, doc, &doc.node, &mut out);
        locator.add(doc.file, &doc.node);
        for r in out {
            match r {
                object::Read::Def(d) => defs.push(*d),
                object::Read::GeneratedGrant(cluster) => {
                    emitting.insert(cluster);
                }
                object::Read::Part(p) => parts.push(*p),
                object::Read::Nothing => {}
            }
        }
        needs = cx.needs;
        diags.append(&mut cx.diags);
        refs.append(&mut cx.refs);
        revisions.append(&mut cx.revisions);
    }
    let relay = defs.iter().any(|d| d.relay.is_some());
    let meshes = mesh::reconstruct(&mut defs, parts, &mut diags);
    refs.extend(meshes.refs.iter().cloned());
    let items = place::place(
        place::Input {
            defs,
            refs,
            meshes,
            emitting,
            needs,
            revisions,
            given,
            explicit: options.explicit_placement,
        },
        &mut diags,
    );
    diagnostics.extend(diags);
    let file = ast::File {
        items: items
            .iter()
            .map(|i| ast::Item::Definition(i.block.clone()))
            .collect(),
    };
    let id = docs.first().map_or(FileId(0), |d| d.file);
    loaded.files.push((id, file));
    Imported {
        loaded,
        diagnostics,
        items,
        locator,
        relay,
    }
}

/// Names a `.topo` file cannot spell: definition, listener and cluster names and references
/// are identifiers there (docs/language.md, Limitations), while Kubernetes also allows dots and
/// leading digits. Only `topoc import` needs them spelled; the checks take any name.
pub fn unwritable(items: &[Item]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in items {
        unwritable_block(&item.block, &mut out);
    }
    out
}

fn unwritable_block(block: &ast::Block, out: &mut Vec<Diagnostic>) {
    if let Some(name) = &block.name {
        if !write::is_ident(&name.name) {
            out.push(not_identifier(&name.name, name.span));
        }
    }
    for e in &block.entries {
        match e {
            ast::Entry::Block(b) => unwritable_block(b, out),
            ast::Entry::Attr(a) => unwritable_value(&a.value, out),
        }
    }
}

fn unwritable_value(v: &ast::Value, out: &mut Vec<Diagnostic>) {
    match &v.kind {
        ast::ValueKind::Path(parts) => {
            // The definition's own name is reported where it is declared.
            for p in parts.iter().skip(1).filter(|p| !write::is_ident(&p.name)) {
                out.push(not_identifier(&p.name, p.span));
            }
        }
        ast::ValueKind::List(items) => items.iter().for_each(|i| unwritable_value(i, out)),
        ast::ValueKind::Map(entries) => entries.iter().for_each(|(_, x)| unwritable_value(x, out)),
        ast::ValueKind::Call { args, .. } => args.iter().for_each(|a| unwritable_value(a, out)),
        _ => {}
    }
}

fn not_identifier(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        crate::diag::Code::ImportNotIdentifier,
        format!("`{name}` cannot be written as a name in a .topo file"),
        span,
        "not an identifier",
    )
    .with_help("topoc names are letters, digits, `-` and `_`, starting with a letter: rename the object (and what refers to it)")
}

/// The imported program as `.topo` text.
pub fn to_topo(imported: &Imported, paths: &[PathBuf]) -> String {
    let from: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let header = vec![
        format!("Imported by `topoc import` from {}.", from.join(", ")),
        "Review it: services and secrets the manifests only reference are declared from the references.".into(),
    ];
    write::program(&header, &imported.items)
}

/// In the `--clusters` program, only the clusters (and the constants they may use) count. The
/// standard modules it imports are left out too (the prelude's stay): the imported program
/// declares what the manifests hold, such as Kuma's class `kuma`, itself.
fn keep_clusters_only(loaded: &mut Loaded) -> Vec<ast::Block> {
    let mut given = Vec::new();
    // The prelude and its modules are loaded first, before any file of the program.
    let mut prelude = true;
    for (id, file) in &mut loaded.files {
        if loaded.sources.get(*id).name.starts_with("stdlib/") {
            if !prelude {
                file.items
                    .retain(|item| matches!(item, ast::Item::Let { .. }));
            }
            continue;
        }
        prelude = false;
        file.items.retain(|item| match item {
            ast::Item::Definition(b) => {
                if b.kind.name == "cluster" {
                    given.push(b.clone());
                }
                false
            }
            ast::Item::Let { .. } => true,
            ast::Item::Import { .. } => false,
        });
    }
    // The imported program lists the given clusters itself (place.rs), so they are not
    // declared twice.
    given
}

/// Where diagnostics lie in the manifests: the object and the field path of a position, so a
/// diagnostic keeps its identity when lines move (`check --manifests --base`).
#[derive(Default)]
pub struct Locator {
    docs: Vec<DocIndex>,
}

struct DocIndex {
    file: FileId,
    start: usize,
    end: usize,
    object: String,
    /// Every node: its range and its path (`spec.listeners[0].port`).
    nodes: Vec<(usize, usize, String)>,
}

impl Locator {
    fn add(&mut self, file: FileId, node: &Node) {
        let text = |path: &[&str]| {
            let mut n = Some(node);
            for p in path {
                n = n.and_then(|x| x.get(p));
            }
            n.and_then(Node::as_str).unwrap_or("").to_string()
        };
        let object = format!(
            "{} {}/{}",
            text(&["kind"]),
            text(&["metadata", "namespace"]),
            text(&["metadata", "name"])
        );
        let mut nodes = Vec::new();
        index(node, String::new(), &mut nodes);
        self.docs.push(DocIndex {
            file,
            start: node.start,
            end: node.end,
            object,
            nodes,
        });
    }

    /// `CODE object field`: the same problem in two versions of the manifests has the same
    /// identity, whatever lines it moved to.
    pub fn identity(&self, d: &Diagnostic, sources: &SourceMap) -> String {
        let span: Span = d.primary.span;
        let (start, end) = (span.start as usize, span.end as usize);
        let doc = self
            .docs
            .iter()
            .find(|x| x.file == span.file && x.start <= start && start <= x.end);
        match doc {
            Some(doc) => {
                let field = doc
                    .nodes
                    .iter()
                    .filter(|(s, e, _)| *s <= start && end <= (*e).max(start))
                    .min_by_key(|(s, e, _)| e - s)
                    .map_or("", |(_, _, p)| p.as_str());
                format!("{} {} {field}", d.code, doc.object)
            }
            None => format!("{} {} {}", d.code, sources.get(span.file).name, d.message),
        }
    }
}

fn index(node: &Node, path: String, out: &mut Vec<(usize, usize, String)>) {
    match &node.value {
        NodeValue::Map(entries) => {
            for (k, v) in entries {
                let p = if path.is_empty() {
                    k.key_text()
                } else {
                    format!("{path}.{}", k.key_text())
                };
                out.push((k.start, k.end, p.clone()));
                index(v, p, out);
            }
        }
        NodeValue::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                index(v, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
    out.push((node.start, node.end, path));
}

/// How the diagnostics of two versions of the manifests relate (`check --manifests --base`).
#[derive(Debug, Default)]
pub struct Change {
    /// Indexes into the new diagnostics.
    pub introduced: Vec<usize>,
    /// Identities (`CODE object field`), sorted.
    pub introduced_ids: Vec<String>,
    pub fixed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Match diagnostics by identity (code, object, field), counting repeats: line numbers do not
/// matter, so moving an object in a file changes nothing.
pub fn compare(
    old: (&[Diagnostic], &Locator, &SourceMap),
    new: (&[Diagnostic], &Locator, &SourceMap),
) -> Change {
    let mut remaining: std::collections::BTreeMap<String, usize> = Default::default();
    for d in old.0 {
        *remaining.entry(old.1.identity(d, old.2)).or_default() += 1;
    }
    let mut change = Change::default();
    for (i, d) in new.0.iter().enumerate() {
        let id = new.1.identity(d, new.2);
        match remaining.get_mut(&id) {
            Some(n) if *n > 0 => {
                *n -= 1;
                change.unchanged.push(id);
            }
            _ => {
                change.introduced.push(i);
                change.introduced_ids.push(id);
            }
        }
    }
    for (id, n) in remaining {
        change.fixed.extend(std::iter::repeat_n(id, n));
    }
    change.introduced_ids.sort();
    change.unchanged.sort();
    change
}
