//! Distribution coverage (CHECKS.md rule 1, the reason topoc exists): for every cluster a
//! definition lands in, everything it references lands there too. Gloo's relay copies what it
//! is told to and "does not check for resource consistency across clusters" (seed 000): a
//! route copied to a cluster without its gateway or upstream silently does nothing.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::graph::{Edge, Node};
use crate::model::Program;
use crate::resolve::place::{names, Placed, Source};
use crate::source::Span;

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (user, dep, edge) in input.graph.edges() {
        // Classes and inferred placements follow their users by construction.
        if matches!(edge, Edge::Class { .. }) {
            continue;
        }
        let (placed_user, placed_dep) = (input.placement.of(user), input.placement.of(dep));
        let mut missing = placed_user.clusters.clone();
        missing.difference_with(&placed_dep.clusters);
        if missing.is_clear() {
            continue;
        }
        let missing = names(p, &missing);
        let (user_what, dep_what) = (describe(p, user), describe(p, dep));
        // How to keep the user out of the missing clusters depends on where its placement came from.
        let narrow_user = match (&placed_user.source, user) {
            (Source::Inferred, Node::Route(_)) => {
                format!(
                    "give the route a `to` without {missing} (it now follows its parent gateways)"
                )
            }
            _ => format!("take {missing} out of the {}'s `to`", kind_word(user)),
        };
        let (code, message, label, help) = match (edge, dep) {
            (Edge::Parent { .. }, Node::Service(_)) => (
                Code::ParentNotDistributed,
                format!("{user_what} lands in {missing}, where its parent {dep_what} does not run"),
                format!("{dep_what} does not run in {missing}"),
                format!("add {missing} to the service's `runs-in`, or {narrow_user}"),
            ),
            (Edge::Parent { .. }, _) => (
                Code::ParentNotDistributed,
                format!("{user_what} lands in {missing}, where its parent {dep_what} does not"),
                format!("{dep_what} is not in {missing}"),
                format!("add {missing} to the gateway's `to`, or {narrow_user}"),
            ),
            (Edge::Backend { .. }, Node::Service(s)) => (
                Code::BackendNotDistributed,
                format!("{user_what} lands in {missing}, where its backend {dep_what} does not run"),
                format!("{dep_what} does not run in {missing}"),
                match kuma_zone(p, input.placement, &placed_user.clusters, s) {
                    // Seed 003: Kong Mesh resolves backendRefs to Services of the route's own
                    // zone only; elsewhere the mesh does not help.
                    Some(zone) => format!(
                        "in the Kuma zone {zone} a backendRef resolves only to Services of that zone (BackendNotFound at runtime): run the service there (`runs-in`), or {narrow_user}"
                    ),
                    None => format!("add {missing} to the service's `runs-in`, or {narrow_user}"),
                },
            ),
            (Edge::Backend { .. }, Node::VirtualDestination(_)) => (
                Code::VdOutsideMesh,
                format!("{user_what} lands in {missing}, outside the mesh of its backend {dep_what}"),
                format!("{dep_what} resolves only in its mesh's clusters, not in {missing}"),
                format!("add {missing} to the mesh's `clusters`, or {narrow_user}"),
            ),
            (Edge::Mesh { .. }, _) => (
                Code::OutsideMesh,
                format!("{user_what} lands in {missing}, which is not in its {dep_what}"),
                format!("{dep_what} does not include {missing}"),
                format!("add {missing} to the mesh's `clusters`, or {narrow_user}"),
            ),
            (Edge::Backend { .. }, _) => (
                Code::BackendNotDistributed,
                format!("{user_what} lands in {missing}, where its backend {dep_what} does not"),
                format!("{dep_what} is not in {missing}"),
                format!(
                    "add {missing} to the upstream's `to` (or omit its `to`: it then goes wherever its routes go), or {narrow_user}"
                ),
            ),
            (Edge::Certificate { .. }, _) => (
                Code::SecretNotDistributed,
                format!("{user_what} lands in {missing}, where its TLS {dep_what} does not"),
                format!("{dep_what} is not in {missing}"),
                format!("add {missing} to the secret's `to` (or omit it: it then goes wherever its gateways go), or {narrow_user}"),
            ),
            (Edge::UpstreamService { .. }, _) => (
                Code::ServiceNotRunning,
                format!("{user_what} lands in {missing}, where its {dep_what} does not run"),
                format!("{dep_what} does not run in {missing}"),
                match placed_user.source {
                    Source::Inferred => format!(
                        "add {missing} to the service's `runs-in`, or keep the routes that use this upstream out of {missing}: the upstream follows them"
                    ),
                    _ => format!(
                        "add {missing} to the service's `runs-in`, or take {missing} out of the upstream's `to` and out of the `to` of the routes that use it"
                    ),
                },
            ),
            (Edge::Class { .. }, _) => continue,
        };
        let mut d = Diagnostic::new(code, message, edge.span(), label).with_help(help);
        if let Some((span, text)) = explain(p, user, placed_user, "goes to") {
            d = d.with_label(span, text);
        }
        let verb = if matches!(dep, Node::Service(_)) {
            "runs in"
        } else {
            "goes to"
        };
        if let Some((span, text)) = explain(p, dep, placed_dep, verb) {
            d = d.with_label(span, text);
        }
        diags.push(d);
    }
}

/// `route \`web\``
pub fn describe(p: &Program, n: Node) -> String {
    match n {
        Node::Class(id) => format!("class `{}`", p.class(id).name.text),
        Node::Service(id) => format!("service `{}`", p.service(id).meta.name.text),
        Node::Upstream(id) => format!("upstream `{}`", p.upstream(id).meta.name.text),
        Node::Gateway(id) => format!("gateway `{}`", p.gateway(id).meta.name.text),
        Node::Route(id) => format!("route `{}`", p.route(id).meta.name.text),
        Node::Secret(id) => format!("secret `{}`", p.secret(id).meta.name.text),
        Node::Mesh(id) => format!("mesh `{}`", p.mesh(id).name.text),
        Node::VirtualDestination(id) => format!(
            "virtual destination `{}`",
            p.virtual_destination(id).meta.name.text
        ),
    }
}

/// The zone name of the first cluster of `clusters` that is a zone of a Kuma mesh in which
/// `service` runs somewhere, when there is one.
fn kuma_zone(
    p: &Program,
    placement: &crate::resolve::place::Placement,
    clusters: &crate::resolve::place::ClusterSet,
    service: crate::model::ServiceId,
) -> Option<String> {
    let runs = &placement.services[service.index()].clusters;
    p.meshes.iter().enumerate().find_map(|(i, m)| {
        let crate::model::MeshProvider::Kuma(kuma) = &m.provider else {
            return None;
        };
        let zones = &placement.meshes[i].clusters;
        runs.intersection(zones).next()?;
        let c = clusters
            .ones()
            .find(|&c| zones.contains(c) && !runs.contains(c))?;
        let id = crate::model::ClusterId(c as u32);
        Some(
            kuma.zones
                .get(&id)
                .cloned()
                .unwrap_or_else(|| p.clusters[c].name.text.clone()),
        )
    })
}

fn kind_word(n: Node) -> &'static str {
    match n {
        Node::Class(_) => "class",
        Node::Service(_) => "service",
        Node::Upstream(_) => "upstream",
        Node::Gateway(_) => "gateway",
        Node::Route(_) => "route",
        Node::Secret(_) => "secret",
        Node::Mesh(_) => "mesh",
        Node::VirtualDestination(_) => "virtual destination",
    }
}

fn name_span(p: &Program, n: Node) -> Span {
    match n {
        Node::Class(id) => p.class(id).name.span,
        Node::Service(id) => p.service(id).meta.name.span,
        Node::Upstream(id) => p.upstream(id).meta.name.span,
        Node::Gateway(id) => p.gateway(id).meta.name.span,
        Node::Route(id) => p.route(id).meta.name.span,
        Node::Secret(id) => p.secret(id).meta.name.span,
        Node::Mesh(id) => p.mesh(id).name.span,
        Node::VirtualDestination(id) => p.virtual_destination(id).meta.name.span,
    }
}

/// A secondary label saying where a definition goes and why.
fn explain(p: &Program, n: Node, placed: &Placed, verb: &str) -> Option<(Span, String)> {
    let what = describe(p, n);
    let clusters = names(p, &placed.clusters);
    match &placed.source {
        Source::Written(d) => Some((d.span, format!("{what} {verb} {clusters}"))),
        Source::Default => Some((
            name_span(p, n),
            format!("{what} has no `to`: it goes to every workload cluster"),
        )),
        Source::Inferred => {
            let from = if matches!(n, Node::Route(_)) {
                "its parent gateways"
            } else {
                "what uses it"
            };
            Some((
                name_span(p, n),
                format!("{what} {verb} {clusters} (no `to`: inferred from {from})"),
            ))
        }
    }
}
