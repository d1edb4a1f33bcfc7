//! From objects per cluster to definitions with `to`: copies of one object in several cluster
//! folders become one definition, the clusters are declared, services and secrets that the
//! manifests only reference are declared from the references, and `to` is written only where
//! topoc's default (see docs/language.md, Distribution) would place the definition elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use super::build;
use super::fields::Ref;
use super::object::Def;
use super::write;
use super::{clusters, merge, mesh};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{Block, Entry, Value, ValueKind};

/// One top-level definition of the imported program, with a comment to print above it.
pub struct Item {
    pub comment: Option<String>,
    pub block: Block,
}

/// Definition keywords in the order the program lists them.
pub(crate) const ORDER: &[&str] = &[
    "cluster",
    "mesh",
    "class",
    "service",
    "secret",
    "upstream",
    "virtual-destination",
    "gateway",
    "route",
    "grant",
    "gateway-install",
];

/// Classes the prelude declares (`stdlib/gloo.topo`).
const STDLIB_CLASSES: &[&str] = &["gloo-gateway", "gloo-gateway-distribute"];

pub(crate) struct Input {
    pub defs: Vec<Def>,
    pub refs: Vec<Ref>,
    /// The meshes the mesh objects show, and the services their ServiceEntries show.
    pub meshes: mesh::Reconstructed,
    /// Clusters in which topoc's own ReferenceGrants were found: they emit grants.
    pub emitting: BTreeSet<String>,
    /// The newest Gateway API release the objects need.
    pub needs: Option<((u32, u32), Span)>,
    /// Istio control-plane revisions that gateway installations need: (cluster, revision).
    pub revisions: Vec<(String, String, Span)>,
    /// Cluster definitions given with `--clusters`.
    pub given: Vec<Block>,
    /// Write relay placements as `to` even where they are the default.
    pub explicit: bool,
}

pub(crate) fn place(input: Input, diags: &mut Vec<Diagnostic>) -> Vec<Item> {
    let (refs, emitting, needs, revisions, given, explicit) = (
        input.refs,
        input.emitting,
        input.needs,
        input.revisions,
        input.given,
        input.explicit,
    );
    let defs = input.defs;
    let meshes = input.meshes;
    let groups = merge::merge(defs, diags);
    let shown: Vec<(String, Span)> = meshes
        .clusters
        .iter()
        .cloned()
        .chain(meshes.meshes.iter().flat_map(|m| {
            m.clusters
                .iter()
                .map(|c| (c.clone(), m.block.span))
                .collect::<Vec<_>>()
        }))
        .collect();
    let clusters = clusters::clusters(&groups, &given, &revisions, &shown);
    let workload: BTreeSet<String> = clusters
        .iter()
        .filter(|c| !c.management)
        .map(|c| c.name.clone())
        .collect();

    // Where each definition lands, as read from the manifests.
    let mut sets: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut items: Vec<(Def, BTreeSet<String>, Span)> = Vec::new();
    for (def, copies) in groups {
        let mut set = BTreeSet::new();
        let mut span = def.block.name.as_ref().map_or(def.block.span, |n| n.span);
        for (cluster, relay) in &copies {
            match relay {
                Some(r) => {
                    span = r.span;
                    match &r.clusters {
                        Some(list) => set.extend(list.iter().cloned()),
                        None => {
                            if workload.is_empty() {
                                diags.push(
                                    Diagnostic::new(
                                        Code::ImportNoWorkloadCluster,
                                        "`*` distributes to every workload cluster, and no workload cluster is known",
                                        r.span,
                                        "every workload cluster",
                                    )
                                    .with_help("pass `--clusters FILE.topo` with the clusters the relay is connected to"),
                                );
                            }
                            set.extend(workload.iter().cloned());
                        }
                    }
                }
                None => {
                    set.insert(cluster.clone());
                }
            }
        }
        sets.insert((def.keyword.to_string(), def.name.clone()), set.clone());
        items.push((def, set, span));
    }
    check_ref_namespaces(&items, &refs, diags);
    let stubs = stubs(&items, &refs, &meshes.services, diags);
    for (def, _) in &stubs {
        let shown = meshes
            .services
            .iter()
            .filter(|s| def.keyword == "service" && s.name == def.name)
            .flat_map(|s| s.clusters.iter().cloned());
        let users: BTreeSet<String> = items
            .iter()
            .filter(|(d, _, _)| {
                build::block_references(&d.block)
                    .iter()
                    .any(|(k, n, _)| k == def.keyword && *n == def.name)
            })
            .flat_map(|(_, s, _)| s.iter().cloned())
            .chain(shown)
            .collect();
        sets.insert((def.keyword.to_string(), def.name.clone()), users);
    }
    let declared_classes: BTreeSet<String> = items
        .iter()
        .filter(|(d, _, _)| d.keyword == "class")
        .map(|(d, _, _)| d.name.clone())
        .chain(STDLIB_CLASSES.iter().map(|s| s.to_string()))
        .collect();

    // Sorted by kind, then (clusters only) as given or management first, then by name.
    let mut out: Vec<(usize, usize, String, Item)> = Vec::new();
    let refs_of = items
        .iter()
        .map(|(d, _, _)| {
            let targets = build::block_references(&d.block)
                .into_iter()
                .map(|(k, n, _)| (k, n))
                .collect();
            ((d.keyword.to_string(), d.name.clone()), targets)
        })
        .collect();
    let cx = Placing {
        sets: &sets,
        refs_of: &refs_of,
        workload: &workload,
        clusters: &clusters,
    };
    for (mut def, set, span) in items {
        if def.keyword == "class" && STDLIB_CLASSES.contains(&def.name.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::ImportIgnored,
                    format!("GatewayClass `{}` is not imported", def.name),
                    def.block.name.as_ref().map_or(def.block.span, |n| n.span),
                    "declared by topoc's standard library",
                )
                .with_help("Gloo's installation creates this class; topoc declares it in `stdlib/gloo` and does not write it"),
            );
            continue;
        }
        if def.keyword == "gateway" {
            bare_class(&mut def.block, &declared_classes);
        }
        if def.keyword == "gateway-install" {
            // The manager lives in the management cluster's namespace unless it says otherwise.
            let mgmt_ns = clusters::management_namespace(&clusters);
            def.block.entries.retain(|e| {
                !matches!(e, Entry::Attr(a) if a.key.name == "namespace"
                    && matches!(&a.value.kind, ValueKind::Str(ns) if *ns == mgmt_ns))
            });
        }
        // An empty relay target is written `to = none`: on purpose, not a W0301 surprise.
        let to = if def.relay.is_some() && (set.is_empty() || explicit) {
            Some(build::attr("to", span, cx.value(&set, span)))
        } else {
            cx.to(&def, &set, span)
        };
        if let Some(to) = to {
            insert_after_metadata(&mut def.block, to);
        }
        out.push((
            rank(def.keyword),
            0,
            def.name.clone(),
            Item {
                comment: None,
                block: def.block,
            },
        ));
    }
    for (mut def, comment) in stubs {
        let set = sets
            .get(&(def.keyword.to_string(), def.name.clone()))
            .cloned()
            .unwrap_or_default();
        let span = def.block.span;
        if let Some(to) = cx.to(&def, &set, span) {
            insert_after_metadata(&mut def.block, to);
        }
        out.push((
            rank(def.keyword),
            0,
            def.name.clone(),
            Item {
                comment: Some(comment),
                block: def.block,
            },
        ));
    }
    for m in meshes.meshes {
        let mut block = m.block;
        let span = block.span;
        let at = usize::from(!block.entries.is_empty());
        block.entries.insert(
            at,
            build::attr("clusters", span, cx.value(&m.clusters, span)),
        );
        let name = block
            .name
            .as_ref()
            .map_or_else(String::new, |n| n.name.clone());
        out.push((
            rank("mesh"),
            0,
            name,
            Item {
                comment: Some(m.comment),
                block,
            },
        ));
    }
    for c in &clusters {
        let position = given
            .iter()
            .position(|b| b.name.as_ref().is_some_and(|n| n.name == c.name))
            .unwrap_or(usize::from(!c.management));
        if let Some(block) = clusters::cluster_block(c, &given, &emitting, needs, &revisions) {
            out.push((
                0,
                position,
                c.name.clone(),
                Item {
                    comment: None,
                    block,
                },
            ));
        }
    }
    out.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    out.into_iter().map(|(_, _, _, item)| item).collect()
}

pub(crate) fn rank(keyword: &str) -> usize {
    ORDER
        .iter()
        .position(|k| *k == keyword)
        .unwrap_or(ORDER.len())
}

/// Definitions by (kind, name).
type Keyed<T> = BTreeMap<(String, String), T>;

struct Placing<'a> {
    sets: &'a Keyed<BTreeSet<String>>,
    /// What each definition references.
    refs_of: &'a Keyed<BTreeSet<(String, String)>>,
    workload: &'a BTreeSet<String>,
    clusters: &'a [clusters::Cluster],
}

impl Placing<'_> {
    /// The `to` (or `runs-in`) attribute a definition needs, if its default is not its set.
    fn to(&self, def: &Def, set: &BTreeSet<String>, span: Span) -> Option<Entry> {
        let refs = build::block_references(&def.block);
        let placed = |kind: &str| -> Vec<Option<&BTreeSet<String>>> {
            refs.iter()
                .filter(|(k, _, _)| k == kind)
                .map(|(k, n, _)| self.sets.get(&(k.clone(), n.clone())))
                .collect()
        };
        let me = (def.keyword.to_string(), def.name.clone());
        let users = |kind: &str| -> BTreeSet<String> {
            self.refs_of
                .iter()
                .filter(|((k, _), targets)| k == kind && targets.contains(&me))
                .filter_map(|(key, _)| self.sets.get(key))
                .flatten()
                .cloned()
                .collect()
        };
        let (attr, default) = match def.keyword {
            "gateway" | "grant" => ("to", Some(self.workload.clone())),
            "service" => ("runs-in", Some(self.workload.clone())),
            "route" => {
                let parents = placed("gateway");
                let known: Option<Vec<&BTreeSet<String>>> = parents.into_iter().collect();
                let default = known.and_then(|sets| {
                    let mut it = sets.into_iter();
                    let first = it.next()?.clone();
                    Some(it.fold(first, |acc, s| acc.intersection(s).cloned().collect()))
                });
                ("to", default)
            }
            "upstream" => ("to", Some(users("route"))),
            "secret" => ("to", Some(users("gateway"))),
            _ => return None,
        };
        if default.as_ref() == Some(set) {
            return None;
        }
        Some(build::attr(attr, span, self.value(set, span)))
    }

    /// `all`, `none`, a label selector or a list, whichever says the set.
    fn value(&self, set: &BTreeSet<String>, span: Span) -> Value {
        if set.is_empty() {
            return build::path(&["none"], span);
        }
        if set == self.workload {
            return build::path(&["all"], span);
        }
        let pairs: BTreeSet<(&String, &String)> =
            self.clusters.iter().flat_map(|c| c.labels.iter()).collect();
        for (k, v) in pairs {
            let selected: BTreeSet<String> = self
                .clusters
                .iter()
                .filter(|c| c.labels.get(k) == Some(v))
                .map(|c| c.name.clone())
                .collect();
            if selected == *set {
                return build::map(vec![(build::ident(k, span), build::string(v, span))], span);
            }
        }
        build::list(set.iter().map(|c| build::path(&[c], span)).collect(), span)
    }
}

/// Put `to` after `namespace`, `labels` and `annotations`, where language.md writes it.
fn insert_after_metadata(block: &mut Block, entry: Entry) {
    let at = block
        .entries
        .iter()
        .take_while(|e| matches!(e, Entry::Attr(a) if matches!(a.key.name.as_str(), "namespace" | "labels" | "annotations")))
        .count();
    block.entries.insert(at, entry);
}

/// `class = "gloo-gateway"` → `class = gloo-gateway` when the class is declared, so that a
/// typo is an error; an undeclared class stays quoted (W0313).
fn bare_class(block: &mut Block, declared: &BTreeSet<String>) {
    for e in &mut block.entries {
        if let Entry::Attr(a) = e {
            if a.key.name == "class" {
                if let ValueKind::Str(s) = &a.value.kind {
                    if declared.contains(s) && write::is_ident(s) {
                        a.value = build::path(&[s.as_str()], a.value.span);
                    }
                }
            }
        }
    }
}

/// References whose namespace is not the namespace of the definition they name.
fn check_ref_namespaces(
    items: &[(Def, BTreeSet<String>, Span)],
    refs: &[Ref],
    diags: &mut Vec<Diagnostic>,
) {
    for r in refs {
        let Some((def, _, _)) = items
            .iter()
            .find(|(d, _, _)| d.keyword == r.kind && d.name == r.name)
        else {
            continue;
        };
        let ns = def.namespace.as_deref().unwrap_or("");
        if ns == r.namespace || def.source_namespace.as_deref() == Some(r.namespace.as_str()) {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::ImportNamespaceMismatch,
                format!(
                    "reference to {} `{}` in namespace `{}`, which is in `{ns}`",
                    def.kind, r.name, r.namespace
                ),
                r.span,
                format!("names namespace `{}`", r.namespace),
            )
            .with_label(
                def.block.name.as_ref().map_or(def.block.span, |n| n.span),
                format!("{} `{}` is in `{ns}`", def.kind, r.name),
            )
            .with_help("topoc's names are global per kind: fix the reference's namespace, or rename the object it means"),
        );
    }
}

/// Services and secrets the manifests reference but do not hold: declared from the
/// references (their namespace, and the ports used) and, for services, from what the
/// ServiceEntries of virtual destinations show (the labels they are selected by), with a
/// comment saying so.
fn stubs(
    items: &[(Def, BTreeSet<String>, Span)],
    refs: &[Ref],
    shown: &[mesh::ServiceEvidence],
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Def, String)> {
    type Ports = BTreeMap<i64, Option<&'static str>>;
    let mut wanted: BTreeMap<(&str, &str), (String, Ports, Span)> = BTreeMap::new();
    for r in refs
        .iter()
        .filter(|r| matches!(r.kind, "service" | "secret"))
    {
        if items
            .iter()
            .any(|(d, _, _)| d.keyword == r.kind && d.name == r.name)
        {
            continue;
        }
        let entry = wanted
            .entry((r.kind, r.name.as_str()))
            .or_insert_with(|| (r.namespace.clone(), BTreeMap::new(), r.span));
        if entry.0 != r.namespace {
            diags.push(
                Diagnostic::new(
                    Code::ImportDuplicateName,
                    format!(
                        "two {}s named `{}` are referenced, in namespaces `{}` and `{}`",
                        r.kind, r.name, entry.0, r.namespace
                    ),
                    r.span,
                    format!("in `{}`", r.namespace),
                )
                .with_label(entry.2, format!("in `{}`", entry.0))
                .with_help(
                    "topoc's names are unique per kind in the whole program: rename one of them",
                ),
            );
            continue;
        }
        if let Some(port) = r.port {
            let protocol = entry.1.entry(port).or_default();
            *protocol = protocol.or(r.app_protocol);
        }
    }
    wanted
        .into_iter()
        .map(|((kind, name), (namespace, ports, span))| {
            let mut entries = Vec::new();
            if namespace != "default" {
                entries.push(build::attr(
                    "namespace",
                    span,
                    build::string(&namespace, span),
                ));
            }
            let labels: BTreeMap<&str, &str> = shown
                .iter()
                .filter(|s| kind == "service" && s.name == name)
                .flat_map(|s| s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .collect();
            if !labels.is_empty() {
                let pairs = labels
                    .iter()
                    .map(|(k, v)| (build::ident(k, span), build::string(v, span)))
                    .collect();
                entries.push(build::attr("labels", span, build::map(pairs, span)));
            }
            if kind == "service" && !ports.is_empty() {
                let list = ports
                    .iter()
                    .map(|(p, protocol)| {
                        let mut record = vec![(build::ident("port", span), build::int(*p, span))];
                        if let Some(protocol) = protocol {
                            record.push((
                                build::ident("app-protocol", span),
                                build::string(protocol, span),
                            ));
                        }
                        build::map(record, span)
                    })
                    .collect();
                entries.push(build::attr("ports", span, build::list(list, span)));
            }
            let keyword = if kind == "service" {
                "service"
            } else {
                "secret"
            };
            let comment = if kind != "service" {
                "Not in the manifests: declared from the certificate references to it."
            } else if labels.is_empty() {
                "Not in the manifests: declared from the references to it, with the ports they use."
            } else {
                "Not in the manifests: declared from the references to it, with the ports they use, and from the ServiceEntries of the virtual destinations that select it."
            };
            let def = Def {
                keyword,
                kind: if kind == "service" {
                    "Service"
                } else {
                    "Secret"
                }
                .to_string(),
                name: name.to_string(),
                namespace: Some(namespace),
                block: build::block(keyword, Some(build::ident(name, span)), entries, span),
                cluster: String::new(),
                relay: None,
                source: None,
                source_namespace: None,
            };
            (def, comment.to_string())
        })
        .collect()
}
