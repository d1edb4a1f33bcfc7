//! GAMMA routes, an HTTPRoute whose parent is a Service (seed 003, "Service to service
//! routing"):
//!
//! - E0387: in a Kuma cluster the parent Service's port must have `appProtocol: http`
//!   ("Remember to tag your Service ports with appProtocol: http to use them in an HTTPRoute");
//! - E0388: in a Kuma cluster, "the combination of the HTTPRoutes name and namespace and the
//!   parent Service name and namespace must be no more than 249 characters";
//! - N0380: a route in another namespace than its parent Service is a consumer route: it
//!   "applies only to requests from workloads in the route's namespace". Legal and useful, so a
//!   note, not an error.

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
    // Without a port the route applies to every port of the Service.
    let ports = s
        .ports
        .iter()
        .filter(|port| sp.port.as_ref().is_none_or(|want| want.value == port.port));
    for port in ports {
        if port.app_protocol.as_deref() == Some("http") {
            continue;
        }
        let has = match &port.app_protocol {
            Some(other) => format!("has `app-protocol = \"{other}\"`"),
            None => "has no `app-protocol`".to_string(),
        };
        diags.push(
            Diagnostic::new(
                Code::GammaAppProtocol,
                format!(
                    "route `{}` has service `{}` as parent, but its port {} {has}",
                    r.meta.name.text, s.meta.name.text, port.port
                ),
                sp.span,
                format!("lands in {kuma}, which runs Kuma"),
            )
            .with_label(port.span, format!("port {} {has}", port.port))
            .with_help("add `app-protocol = \"http\"` to the port: Kuma applies HTTPRoutes only to ports tagged `appProtocol: http`"),
        );
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
    diags.push(
        Diagnostic::new(
            Code::GammaNameTooLong,
            format!(
                "route `{}` and its parent service `{}`, with their namespaces, are {total} characters; Kuma allows {KUMA_NAME_LIMIT}",
                r.meta.name.text, s.meta.name.text
            ),
            r.meta.name.span,
            format!("lands in {kuma}, which runs Kuma"),
        )
        .with_label(sp.span, "the parent service")
        .with_help(format!(
            "shorten the route's name by at least {} characters",
            total - KUMA_NAME_LIMIT
        )),
    );
}
