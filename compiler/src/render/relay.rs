//! The `--target relay` output (seed 000): instead of what each workload cluster receives, the
//! management-cluster bundle that Gloo Mesh's relay distributes at runtime. Every object lives
//! in the management cluster's namespace and carries `gloo.solo.io/distribute-to`, computed
//! from where topoc placed it; gateways use the class that tells Gloo to distribute rather than
//! serve (`gloo-gateway-distribute`). The checks still ran per cluster, so the relay copies a
//! consistent set — the check the relay itself "does not" do.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{gateway_api, gloo, templates, ClusterBundle, Cx, Object, TemplateError, Variant};
use crate::model::*;
use crate::resolve::place::{ClusterSet, Placement};

/// The annotation value for a placement: `*/ns` for every workload cluster, `a/ns, b/ns` for
/// some (sorted by name), empty for none. Cluster-scoped kinds have no `/ns`.
pub fn distribute_to(p: &Program, set: &ClusterSet, namespace: Option<&str>) -> String {
    let suffix = namespace.map(|n| format!("/{n}")).unwrap_or_default();
    let workloads: Vec<usize> = (0..p.clusters.len())
        .filter(|&c| p.clusters[c].role == Role::Workload)
        .collect();
    let mut chosen: Vec<&str> = workloads
        .iter()
        .filter(|&&c| set.contains(c))
        .map(|&c| p.clusters[c].name.text.as_str())
        .collect();
    if chosen.is_empty() {
        return String::new();
    }
    if chosen.len() == workloads.len() {
        return format!("*{suffix}");
    }
    chosen.sort_unstable();
    chosen
        .iter()
        .map(|c| format!("{c}{suffix}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn render(
    p: &Program,
    placement: &Placement,
) -> Result<Vec<ClusterBundle>, Vec<TemplateError>> {
    // The checks report a missing management cluster (E0361); without one there is nothing.
    let Some(mgmt) = p.management() else {
        return Ok(Vec::new());
    };
    let templates = templates().map_err(|e| vec![e])?;
    let mut targets = std::collections::HashMap::new();
    for (g, placed) in p.gateways.iter().zip(&placement.gateways) {
        targets.insert(
            ("Gateway", g.meta.name.text.clone()),
            distribute_to(p, &placed.clusters, Some(&g.meta.namespace.value)),
        );
    }
    for (r, placed) in p.routes.iter().zip(&placement.routes) {
        targets.insert(
            ("HTTPRoute", r.meta.name.text.clone()),
            distribute_to(p, &placed.clusters, Some(&r.meta.namespace.value)),
        );
    }
    for (u, placed) in p.upstreams.iter().zip(&placement.upstreams) {
        targets.insert(
            ("Upstream", u.meta.name.text.clone()),
            distribute_to(p, &placed.clusters, Some(&u.meta.namespace.value)),
        );
    }
    for (c, placed) in p.classes.iter().zip(&placement.classes) {
        targets.insert(
            ("GatewayClass", c.name.text.clone()),
            distribute_to(p, &placed.clusters, None),
        );
    }
    let cx = Cx {
        program: p,
        templates: &templates,
        distribute_to: targets,
    };

    let mut objects: Vec<Object> = Vec::new();
    for (i, c) in p.classes.iter().enumerate() {
        if c.emit && !placement.classes[i].clusters.is_clear() {
            objects.push(gateway_api::class(&cx, ClassId(i as u32), Variant::Relay));
        }
    }
    for i in 0..p.gateways.len() {
        objects.push(gateway_api::gateway(
            &cx,
            GatewayId(i as u32),
            Variant::Relay,
        ));
    }
    for i in 0..p.routes.len() {
        objects.push(gateway_api::route(&cx, RouteId(i as u32), Variant::Relay));
    }
    let mut errors = Vec::new();
    for i in 0..p.upstreams.len() {
        match gloo::upstream(&cx, UpstreamId(i as u32), Variant::Relay) {
            Ok(o) => objects.push(o),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Every source object lives in the management cluster's namespace (cluster-scoped ones
    // in none), whatever namespace its copies land in.
    let source_ns = &p.cluster(mgmt).namespace;
    let by_path: BTreeMap<String, Arc<Object>> = objects
        .into_iter()
        .map(|mut o| {
            if o.namespace().is_some() {
                o.set_namespace(Some(source_ns.clone()));
            }
            (o.path().to_string(), Arc::new(o))
        })
        .collect();
    Ok(vec![ClusterBundle {
        cluster: mgmt,
        name: p.cluster(mgmt).name.text.clone(),
        objects: by_path.into_values().collect(),
    }])
}
