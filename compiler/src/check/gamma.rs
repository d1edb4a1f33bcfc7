//! GAMMA routes, an HTTPRoute whose parent is a Service (seed 003, "Service to service
//! routing"):
//!
//! - E0387: in a Kuma cluster the parent Service's port must have `appProtocol: http`
//!   ("Remember to tag your Service ports with appProtocol: http to use them in an HTTPRoute");
//!   a parent without a port needs at least one such port;
//! - E0388: in a Kuma cluster, "the combination of the HTTPRoutes name and namespace and the
//!   parent Service name and namespace must be no more than 249 characters";
//! - N0380: a route in another namespace than its parent Service is a consumer route: it
//!   "applies only to requests from workloads in the route's namespace". Legal and useful, so a
//!   note, not an error;
//! - W0381: a route whose parents are all Services sets `hostnames`: GEP-1294 says mesh routes
//!   should not, since the Service, not a Host header, selects the traffic (CHECKS.md rule 31).

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::*;
use crate::resolve::place::ClusterSet;

/// Kuma's limit on route name + namespace + parent name + namespace.
const KUMA_NAME_LIMIT: usize = 249;

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (ri, r) in p.routes.iter().enumerate() {
        let clusters = &input.placement.routes[ri].clusters;
        let kuma = kuma_clusters(input, clusters);
        if let (Some(first), Some(sp)) = (r.hostnames.first(), r.service_parents.first()) {
            if r.parents.is_empty() {
                diags.push(
                    Diagnostic::new(
                        Code::GammaHostnames,
                        format!(
                            "route `{}` has only Service parents, and sets `hostnames`",
                            r.meta.name.text
                        ),
                        first.span,
                        "hostnames on a mesh route",
                    )
                    .with_label(sp.span, "a Service parent")
                    .with_help("remove `hostnames`: a mesh route applies to the requests sent to its Service, whatever their Host header, and implementations may ignore or reject hostnames there"),
                );
            }
        }
        for sp in &r.service_parents {
            let s = p.service(sp.service);
            if let Some(kuma) = &kuma {
                app_protocol(r, s, sp, kuma, diags);
                name_length(r, s, sp, kuma, diags);
            }
            if s.meta.namespace.value != r.meta.namespace.value {
                diags.push(
                    Diagnostic::new(
                        Code::GammaConsumerRoute,
                        format!(
                            "route `{}` (namespace `{}`) is a consumer route of service `{}` (namespace `{}`): it applies only to requests from workloads in `{}`",
                            r.meta.name.text,
                            r.meta.namespace.value,
                            s.meta.name.text,
                            s.meta.namespace.value,
                            r.meta.namespace.value
                        ),
                        sp.span,
                        "a Service in another namespace",
                    )
                    .with_label(r.meta.namespace.span, "the route's namespace")
                    .with_help(format!(
                        "to route every client's requests, put the route in `{}` (a producer route); to keep it for this namespace's clients, `allow = [N0380]`",
                        s.meta.namespace.value
                    )),
                );
            }
        }
    }
}

/// The route's clusters that run Kuma (by implementation or as a zone of a Kuma mesh), named
/// for messages; `None` if there are none.
fn kuma_clusters(input: &Input<'_>, clusters: &ClusterSet) -> Option<String> {
    let p = input.program;
    let mut zones = ClusterSet::with_capacity(p.clusters.len());
    for (i, m) in p.meshes.iter().enumerate() {
        if matches!(m.provider, MeshProvider::Kuma(_)) {
            zones.union_with(&input.placement.meshes[i].clusters);
        }
    }
    let names: Vec<&str> = clusters
        .ones()
        .filter(|&c| zones.contains(c) || p.clusters[c].implementation.value.vendor == Vendor::Kuma)
        .map(|c| p.clusters[c].name.text.as_str())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

fn app_protocol(r: &Route, s: &Service, sp: &ServiceParent, kuma: &str, diags: &mut Diagnostics) {
    let is_http = |port: &ServicePort| port.app_protocol.as_deref() == Some("http");
    let has = |port: &ServicePort| match &port.app_protocol {
        Some(other) => format!("has `app-protocol = \"{other}\"`"),
        None => "has no `app-protocol`".to_string(),
    };
    let help = "tag the Service's port with `appProtocol: http` and write `app-protocol = \"http\"` on the port here: Kuma applies HTTPRoutes only to ports tagged so";
    match &sp.port {
        Some(want) => {
            let Some(port) = s.ports.iter().find(|port| port.port == want.value) else {
                return; // not a port of the service: E0305
            };
            if is_http(port) {
                return;
            }
            diags.push(
                Diagnostic::new(
                    Code::GammaAppProtocol,
                    format!(
                        "route `{}` has port {} of service `{}` as parent, but the port {}",
                        r.meta.name.text,
                        port.port,
                        s.meta.name.text,
                        has(port)
                    ),
                    sp.span,
                    format!("lands in {kuma}, which runs Kuma"),
                )
                .with_label(port.span, format!("port {} {}", port.port, has(port)))
                .with_help(help),
            );
        }
        // Without a port the route applies to every port of the Service; Kuma routes the HTTP
        // ones and leaves the others alone. Only a Service without any is a route that does
        // nothing.
        None => {
            if s.ports.iter().any(is_http) {
                return;
            }
            let mut d = Diagnostic::new(
                Code::GammaAppProtocol,
                format!(
                    "route `{}` has service `{}` as parent, but none of its ports has `app-protocol = \"http\"`",
                    r.meta.name.text, s.meta.name.text
                ),
                sp.span,
                format!("lands in {kuma}, which runs Kuma"),
            );
            for port in &s.ports {
                d = d.with_label(port.span, format!("port {} {}", port.port, has(port)));
            }
            diags.push(d.with_help(help));
        }
    }
}

fn name_length(r: &Route, s: &Service, sp: &ServiceParent, kuma: &str, diags: &mut Diagnostics) {
    let total = r.meta.name.text.len()
        + r.meta.namespace.value.len()
        + s.meta.name.text.len()
        + s.meta.namespace.value.len();
    if total <= KUMA_NAME_LIMIT {
        return;
    }
    let lengths = format!(
        "{} (route) + {} (its namespace) + {} (service) + {} (its namespace) = {total}",
        r.meta.name.text.len(),
        r.meta.namespace.value.len(),
        s.meta.name.text.len(),
        s.meta.namespace.value.len(),
    );
    diags.push(
        Diagnostic::new(
            Code::GammaNameTooLong,
            format!(
                "a route and its parent service `{}`, with their namespaces, have names of {total} characters; Kuma allows {KUMA_NAME_LIMIT}",
                s.meta.name.text
            ),
            r.meta.name.span,
            format!(
                "{} characters; lands in {kuma}, which runs Kuma",
                r.meta.name.text.len()
            ),
        )
        .with_label(sp.span, "the parent service")
        .with_help(format!(
            "{lengths}: shorten the route's name (or a namespace) by at least {} characters",
            total - KUMA_NAME_LIMIT
        )),
    );
}
