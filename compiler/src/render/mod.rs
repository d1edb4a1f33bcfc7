//! Stage 4: the placed program → Kubernetes objects, per cluster ([`render`]).
//!
//! Each definition is rendered once per cluster role (workload or management: the only thing
//! that changes its bytes) and the same text is shared by every cluster that receives it, so
//! rendering cost grows with the topology and not with the fleet.

pub mod argocd;
mod gateway_api;
pub(crate) use gateway_api::group_of;
mod gloo;
pub mod gloo_edge;
mod istio;
mod mesh;
pub mod relay;

use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::model::*;
use crate::resolve::place::Placement;
use crate::yaml;

/// The label every emitted object carries, so `kubectl get -l` finds what topoc manages.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "topoc");
/// The relay's distribution annotation (seed 000).
pub const DISTRIBUTE_TO: &str = "gloo.solo.io/distribute-to";

/// The kinds the relay distributes, as keys of `Cx::distribute_to`.
fn kind_key(kind: &str) -> &'static str {
    match kind {
        "Gateway" => "Gateway",
        "HTTPRoute" => "HTTPRoute",
        "Upstream" => "Upstream",
        "GatewayClass" => "GatewayClass",
        _ => "",
    }
}

/// The relay's provenance annotation (seed 000).
pub const DISTRIBUTED_SOURCE: &str = "gloo.solo.io/distributed-source";

/// One rendered object.
#[derive(Debug, PartialEq, Eq)]
pub struct Object {
    pub kind: &'static str,
    pub name: String,
    /// `None` for cluster-scoped kinds.
    namespace: Option<String>,
    /// Where it goes inside a cluster folder, computed once.
    path: String,
    /// Canonical YAML of the whole object, shared by every cluster file that holds it.
    pub yaml: Arc<str>,
    /// The output hash of `yaml` ([`crate::emit::hash_bytes`]), computed once: an object lands
    /// in about 20 clusters of a large fleet, and each of its files would hash it again.
    hash: u64,
}

impl Object {
    pub fn new(kind: &'static str, name: &str, namespace: Option<&str>, yaml: Arc<str>) -> Object {
        let mut o = Object {
            kind,
            name: name.to_string(),
            namespace: None,
            path: String::new(),
            hash: crate::emit::hash_bytes(yaml.as_bytes()),
            yaml,
        };
        o.set_namespace(namespace.map(str::to_string));
        o
    }

    /// [`crate::emit::hash_bytes`] of the YAML.
    pub fn content_hash(&self) -> u64 {
        self.hash
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Move the object's file to another namespace folder (the relay's source namespace).
    pub fn set_namespace(&mut self, namespace: Option<String>) {
        self.namespace = namespace;
        let folder = self.namespace.as_deref().unwrap_or("_cluster");
        self.path = format!(
            "{folder}/{}-{}.yaml",
            self.kind.to_ascii_lowercase(),
            self.name
        );
    }

    /// Path inside the cluster folder: `<namespace>/<kind>-<name>.yaml`, or
    /// `_cluster/<kind>-<name>.yaml` for cluster-scoped kinds (`_` cannot start a namespace).
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// What one cluster receives, sorted by path.
pub struct ClusterBundle {
    pub cluster: ClusterId,
    pub name: String,
    pub objects: Vec<Arc<Object>>,
}

/// A template that failed to render or produced text that is not YAML: a bug in `stdlib/`,
/// reported with the rendered text so the location can be shown.
#[derive(Debug)]
pub struct TemplateError {
    pub template: String,
    pub what: String,
    pub message: String,
    /// The rendered text and the 1-based line and column of the YAML error, when it rendered.
    pub rendered: Option<(String, usize, usize)>,
}

/// Which copy of an object a cluster gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Variant {
    /// A copy in a workload cluster. When the same definition also lands in the management
    /// cluster, that copy is the relay's source, so the provenance annotation names its
    /// namespace; otherwise the management cluster's source namespace.
    Workload {
        source_in_management: bool,
    },
    Management,
    /// The relay's source copy in the management cluster's namespace, annotated with
    /// `gloo.solo.io/distribute-to`.
    Relay,
}

pub(crate) struct Cx<'a> {
    pub program: &'a Program,
    pub templates: &'a tera::Tera,
    /// For the relay target: each definition's `distribute-to` value, by kind and name.
    pub distribute_to: std::collections::HashMap<(&'static str, String), String>,
}

impl Cx<'_> {
    /// Standard metadata: the definition's namespace, labels and annotations, topoc's label,
    /// and in workload clusters of a relay topology the distributed-source annotation.
    pub fn metadata(&self, meta: &Meta, kind: &str, variant: Variant) -> Value {
        let mut labels = meta.labels.clone();
        labels.insert(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string());
        let mut annotations = meta.annotations.clone();
        if let (
            Variant::Workload {
                source_in_management,
            },
            Some(mgmt),
        ) = (variant, self.program.management())
        {
            let mgmt = self.program.cluster(mgmt);
            let source_ns = if source_in_management {
                &meta.namespace.value
            } else {
                &mgmt.namespace
            };
            annotations.insert(
                DISTRIBUTED_SOURCE.to_string(),
                format!(
                    "gloo://{}/ns/{source_ns}/kind/{kind}/name/{}",
                    mgmt.name.text, meta.name.text
                ),
            );
        }
        let mut namespace = meta.namespace.value.clone();
        if variant == Variant::Relay {
            // The relay reads sources from the management cluster's namespace and writes the
            // copies into the namespace named in `distribute-to`.
            if let Some(mgmt) = self.program.management() {
                namespace = self.program.cluster(mgmt).namespace.clone();
            }
            let target = self
                .distribute_to
                .get(&(kind_key(kind), meta.name.text.clone()))
                .cloned()
                .unwrap_or_default();
            annotations.insert(DISTRIBUTE_TO.to_string(), target);
        }
        let mut m = json!({ "name": meta.name.text, "namespace": namespace, "labels": labels });
        if !annotations.is_empty() {
            m["annotations"] = json!(annotations);
        }
        m
    }
}

/// Which variants of a definition are needed, given the clusters it lands in.
fn variants(p: &Program, clusters: &fixedbitset::FixedBitSet) -> Vec<Variant> {
    let mut v: Vec<Variant> = clusters
        .ones()
        .map(|c| variant_for(p, clusters, c))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The copy cluster `c` gets of a definition that lands in `clusters`.
fn variant_for(p: &Program, clusters: &fixedbitset::FixedBitSet, c: usize) -> Variant {
    if p.clusters[c].role == Role::Management {
        Variant::Management
    } else {
        let source_in_management = p.management().is_some_and(|m| clusters.contains(m.index()));
        Variant::Workload {
            source_in_management,
        }
    }
}

/// The rendered copies of one definition, one per variant it needs.
type Variants = Vec<(Variant, Arc<Object>)>;

/// A unit of rendering work: one definition.
#[derive(Clone, Copy)]
enum Def {
    Class(ClassId),
    Upstream(UpstreamId),
    Gateway(GatewayId),
    Route(RouteId),
    Grant(GrantId),
}

pub fn templates() -> Result<tera::Tera, TemplateError> {
    let mut t = tera::Tera::default();
    t.add_raw_templates(crate::stdlib::templates().iter().copied())
        .map_err(|e| TemplateError {
            template: "stdlib/templates".into(),
            what: "loading the templates".into(),
            message: tera_message(&e),
            rendered: None,
        })?;
    Ok(t)
}

pub(crate) fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// Render every definition for every cluster it lands in.
pub fn render(
    p: &Program,
    placement: &Placement,
    uses: &[crate::refs::Use],
    selections: &crate::mesh::Selections,
) -> Result<Vec<ClusterBundle>, Vec<TemplateError>> {
    let templates = templates().map_err(|e| vec![e])?;
    let cx = Cx {
        program: p,
        templates: &templates,
        distribute_to: Default::default(),
    };

    let mut work: Vec<(Def, &fixedbitset::FixedBitSet)> = Vec::new();
    work.extend(
        p.grants
            .iter()
            .enumerate()
            .map(|(i, _)| (Def::Grant(GrantId(i as u32)), &placement.grants[i].clusters)),
    );
    for (i, c) in p.classes.iter().enumerate() {
        if c.emit {
            work.push((
                Def::Class(ClassId(i as u32)),
                &placement.classes[i].clusters,
            ));
        }
    }
    work.extend(p.upstreams.iter().enumerate().map(|(i, _)| {
        (
            Def::Upstream(UpstreamId(i as u32)),
            &placement.upstreams[i].clusters,
        )
    }));
    work.extend(p.gateways.iter().enumerate().map(|(i, _)| {
        (
            Def::Gateway(GatewayId(i as u32)),
            &placement.gateways[i].clusters,
        )
    }));
    work.extend(
        p.routes
            .iter()
            .enumerate()
            .map(|(i, _)| (Def::Route(RouteId(i as u32)), &placement.routes[i].clusters)),
    );

    // Render in parallel; each result keeps its work index so the merge is deterministic.
    let rendered: Vec<Result<Variants, TemplateError>> = work
        .par_iter()
        .map(|(def, clusters)| {
            variants(p, clusters)
                .into_iter()
                .map(|variant| {
                    let obj = match *def {
                        Def::Class(id) => gateway_api::class(&cx, id, variant),
                        Def::Upstream(id) => gloo::upstream(&cx, id, variant)?,
                        Def::Gateway(id) => gateway_api::gateway(&cx, id, variant),
                        Def::Route(id) => gateway_api::route(&cx, id, variant),
                        Def::Grant(id) => gateway_api::declared_grant(&cx, id),
                    };
                    Ok((variant, Arc::new(obj)))
                })
                .collect()
        })
        .collect();

    let mut errors = Vec::new();
    // Collected unsorted and sorted once per cluster: cheaper than a map keyed by path.
    let mut per_cluster: Vec<Vec<Arc<Object>>> = vec![Vec::new(); p.clusters.len()];
    for ((_, clusters), result) in work.iter().zip(rendered) {
        match result {
            Ok(objects) => {
                for c in clusters.ones() {
                    let want = variant_for(p, clusters, c);
                    if let Some((_, obj)) = objects.iter().find(|(v, _)| *v == want) {
                        per_cluster[c].push(obj.clone());
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    // The ReferenceGrants topoc writes itself. The distinct references are numbered in sorted
    // order; each use adds its number to the clusters it lands in (work that grows with the
    // placements, not uses × clusters), and each grant is rendered once, in parallel, and
    // shared by every cluster that needs it.
    let mut distinct: Vec<&crate::refs::Needed> = uses.iter().map(|u| &u.needed).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut grant_ids: Vec<Vec<usize>> = vec![Vec::new(); p.clusters.len()];
    for u in uses {
        let Ok(id) = distinct.binary_search(&&u.needed) else {
            continue;
        };
        for c in u.clusters.ones() {
            if crate::refs::emits(p, placement, u, ClusterId(c as u32)) {
                grant_ids[c].push(id);
            }
        }
    }
    grant_ids.par_iter_mut().for_each(|ids| {
        ids.sort_unstable();
        ids.dedup();
    });
    let mut wanted = vec![false; distinct.len()];
    for &id in grant_ids.iter().flatten() {
        wanted[id] = true;
    }
    let grants: Vec<Option<Arc<Object>>> = distinct
        .par_iter()
        .zip(wanted)
        .map(|(n, w)| w.then(|| Arc::new(gateway_api::emitted_grant(n))))
        .collect();
    for (objects, ids) in per_cluster.iter_mut().zip(&grant_ids) {
        objects.extend(ids.iter().filter_map(|&id| grants[id].clone()));
    }
    // Gateway installations: IstioOperators per workload cluster, managers for management.
    errors.extend(istio::render(&cx, placement, &mut per_cluster));
    // Virtual destinations, gateway parameters and Kuma gateway configs.
    errors.extend(mesh::render(&cx, placement, selections, &mut per_cluster));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(bundles(p, per_cluster))
}

/// The clusters that receive something, each with its objects sorted by path.
pub(crate) fn bundles(p: &Program, per_cluster: Vec<Vec<Arc<Object>>>) -> Vec<ClusterBundle> {
    per_cluster
        .into_par_iter()
        .enumerate()
        .filter(|(_, objects)| !objects.is_empty())
        .map(|(i, mut objects)| {
            objects.sort_unstable_by(|a, b| a.path().cmp(b.path()));
            ClusterBundle {
                cluster: ClusterId(i as u32),
                name: p.clusters[i].name.text.clone(),
                objects,
            }
        })
        .collect()
}

/// Finish an object: canonical YAML and its identity.
pub(crate) fn object(
    kind: &'static str,
    name: &str,
    namespace: Option<&str>,
    value: &Value,
) -> Object {
    Object::new(kind, name, namespace, Arc::from(yaml::to_string(value)))
}
