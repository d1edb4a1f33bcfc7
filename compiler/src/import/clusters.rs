//! The clusters of an imported program: given with `--clusters`, or implied by the cluster
//! folders, the clusters the relay's annotations name, the management cluster that holds relay
//! sources (or a GatewayLifecycleManager, or VirtualDestinations), the clusters a
//! GatewayLifecycleManager installs into, and those the mesh objects show.

use std::collections::{BTreeMap, BTreeSet};

use super::build;
use super::merge::Copies;
use super::object::Def;
use crate::source::Span;
use crate::syntax::ast::{Block, ValueKind};

/// The default namespace of a management cluster (docs/language.md, Clusters).
const DEFAULT_MANAGEMENT_NAMESPACE: &str = "gloo-mesh";

pub(crate) struct Cluster {
    pub name: String,
    pub management: bool,
    pub labels: BTreeMap<String, String>,
    /// Where the cluster was first seen, for synthesized definitions.
    pub span: Span,
    /// The namespace of the relay's source objects (management cluster only).
    pub namespace: Option<String>,
}

/// The clusters: those given with `--clusters`, or else the cluster folders, the clusters the
/// relay annotations name, and the management cluster they imply.
pub(crate) fn clusters(
    groups: &[(Def, Copies)],
    given: &[Block],
    revisions: &[(String, String, Span)],
    shown: &[(String, Span)],
) -> Vec<Cluster> {
    if !given.is_empty() {
        return given.iter().filter_map(given_cluster).collect();
    }
    let mut out: BTreeMap<String, Cluster> = BTreeMap::new();
    let mut add = |name: &str, span: Span, management: bool, namespace: Option<String>| {
        let c = out.entry(name.to_string()).or_insert(Cluster {
            name: name.to_string(),
            management: false,
            labels: BTreeMap::new(),
            span,
            namespace: None,
        });
        if management {
            c.management = true;
            c.namespace = c.namespace.take().or(namespace);
        }
    };
    for (name, _, at) in revisions {
        add(name, *at, false, None);
    }
    // Clusters that hold or name mesh objects (a ServiceEntry, an east-west endpoint).
    for (name, at) in shown {
        add(name, *at, false, None);
    }
    for (def, copies) in groups {
        let span = def.block.name.as_ref().map_or(def.block.span, |n| n.span);
        if let Some(source) = &def.source {
            add(
                &source.cluster,
                source.span,
                true,
                Some(source.namespace.clone()),
            );
        }
        for (cluster, relay) in copies {
            match relay {
                Some(r) => {
                    // The folder holding relay sources is the management cluster.
                    let ns = def.source_namespace.clone().or(def.namespace.clone());
                    add(cluster, span, true, ns);
                    for c in r.clusters.iter().flatten() {
                        add(c, r.span, false, None);
                    }
                }
                // A GatewayLifecycleManager lives in the management cluster, in its namespace;
                // Gloo Mesh translates VirtualDestinations there.
                None => match def.keyword {
                    "gateway-install" => add(cluster, span, true, def.namespace.clone()),
                    "virtual-destination" => add(cluster, span, true, None),
                    _ => add(cluster, span, false, None),
                },
            }
        }
    }
    out.into_values().collect()
}

fn given_cluster(b: &Block) -> Option<Cluster> {
    let name = b.name.as_ref()?;
    let management = matches!(build::get(b, "role").map(|v| &v.kind), Some(ValueKind::Path(p)) if p.len() == 1 && p[0].name == "management");
    let labels = build::string_map(b, "labels");
    Some(Cluster {
        name: name.name.clone(),
        management,
        labels,
        span: name.span,
        namespace: match build::get(b, "namespace").map(|v| &v.kind) {
            Some(ValueKind::Str(ns)) => Some(ns.clone()),
            _ => None,
        },
    })
}

/// The namespace of the management cluster's own objects (`gloo-mesh` unless it says).
pub(crate) fn management_namespace(clusters: &[Cluster]) -> String {
    clusters
        .iter()
        .find(|c| c.management)
        .and_then(|c| c.namespace.clone())
        .unwrap_or_else(|| DEFAULT_MANAGEMENT_NAMESPACE.to_string())
}

/// The definition of a cluster the manifests imply (given clusters are written as given).
pub(crate) fn cluster_block(
    c: &Cluster,
    given: &[Block],
    emitting: &BTreeSet<String>,
    needs: Option<((u32, u32), Span)>,
    revisions: &[(String, String, Span)],
) -> Option<Block> {
    if let Some(b) = given
        .iter()
        .find(|b| b.name.as_ref().is_some_and(|n| n.name == c.name))
    {
        return Some(b.clone());
    }
    let span = c.span;
    let mut entries = Vec::new();
    if c.management {
        entries.push(build::attr(
            "role",
            span,
            build::path(&["management"], span),
        ));
        if let Some(ns) = c
            .namespace
            .as_deref()
            .filter(|n| *n != DEFAULT_MANAGEMENT_NAMESPACE)
        {
            entries.push(build::attr("namespace", span, build::string(ns, span)));
        }
    } else {
        if !emitting.contains(&c.name) {
            // Existing manifests hold every grant the cluster has: check against those.
            entries.push(build::attr(
                "reference-grants",
                span,
                build::path(&["require"], span),
            ));
        }
        let mine: BTreeMap<&str, Span> = revisions
            .iter()
            .filter(|(cluster, _, _)| *cluster == c.name)
            .map(|(_, r, at)| (r.as_str(), *at))
            .collect();
        if let Some(first) = mine.values().next() {
            // The manager installed gateways here, so these control planes run here.
            let list = mine.iter().map(|(r, at)| build::string(r, *at)).collect();
            entries.push(build::attr(
                "istio-revisions",
                *first,
                build::list(list, *first),
            ));
        }
        if let Some(((major, minor), at)) = needs.filter(|((ma, mi), _)| (*ma, *mi) > (1, 2)) {
            entries.push(build::attr(
                "gateway-api",
                at,
                build::string(&format!("{major}.{minor}"), at),
            ));
        }
    }
    Some(build::block(
        "cluster",
        Some(build::ident(&c.name, span)),
        entries,
        span,
    ))
}
