//! What the Gloo Edge API can express (seed 004), checked when building `--target gloo-edge`.
//! A feature it cannot express is an error here, never a silent drop in rendering:
//!
//! - TCP and TLS listeners (E0370): Gloo Edge serves them through a Gateway's
//!   `tcpGateway.tcpHosts`, each with one destination, and topoc has HTTP routes only;
//! - several certificates on a listener (E0371): a VirtualService's `sslConfig` holds one;
//! - several mirrors in a rule (E0372): `options.shadowing` names one upstream;
//! - a redirect to `http` from an HTTPS listener (E0373): `redirectAction` can only switch
//!   to https (`httpsRedirect`);
//! - a request header modifier on `Host` (E0374): Envoy refuses route configurations that
//!   modify Host; `hostRewrite` does it;
//! - a cluster whose implementation is not Gloo (E0375);
//! - two gateways on one port in one cluster (E0376): every Gateway belongs to the one
//!   `gateway-proxy`, whose listeners need distinct ports;
//! - a declared upstream with the name topoc gives a Service backend's upstream, but another
//!   target (E0377);
//! - mesh routing (E0378): a virtual destination backend, a Service parent (GAMMA), or a
//!   gateway that joins a mesh or has istio-proxy `parameters`: Gloo Edge has no Istio
//!   Hostname backends, no mesh routes and no GatewayParameters.

use std::collections::BTreeMap;

use super::Input;
use crate::attach::Standing;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::*;
use crate::render::gloo_edge::service_upstream_name;
use crate::source::Span;

const REBUILD: &str = "or build this topology with `--target clusters`";

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    listeners(input, diags);
    routes(input, diags);
    clusters(input, diags);
    shared_ports(input, diags);
    upstream_names(input, diags);
    mesh_routing(input, diags);
}

fn mesh_routing(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    let edge = |span: Span, message: String, label: &str, help: &str| {
        Diagnostic::new(Code::GlooEdgeMesh, message, span, label.to_string())
            .with_help(format!("{help}, {REBUILD}"))
    };
    for g in &p.gateways {
        if let Some(mesh) = &g.mesh {
            diags.push(edge(
                mesh.span,
                format!(
                    "gateway `{}` joins a mesh, which the Gloo Edge target cannot express",
                    g.meta.name.text
                ),
                "a mesh",
                "the Gloo Edge target writes no istio-proxy settings (GatewayParameters) and no mesh objects: remove `mesh`",
            ));
        } else if let Some(params) = &g.parameters {
            diags.push(edge(
                params.span,
                format!(
                    "gateway `{}` has istio-proxy `parameters`, which the Gloo Edge target cannot express",
                    g.meta.name.text
                ),
                "a GatewayParameters",
                "Gloo Edge has no GatewayParameters: remove `parameters`",
            ));
        }
    }
    for r in &p.routes {
        for sp in &r.service_parents {
            diags.push(edge(
                sp.span,
                format!("route `{}` has a Service parent (GAMMA), which the Gloo Edge target cannot express", r.meta.name.text),
                "a Service parent",
                "Gloo Edge has no mesh (service to service) routes: attach the route to a gateway",
            ));
        }
        for rule in &r.rules {
            let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
            for b in rule.backends.iter().chain(mirrors) {
                if let BackendTarget::VirtualDestination { .. } = b.target {
                    diags.push(edge(
                        b.span,
                        format!("route `{}` sends traffic to a virtual destination, which the Gloo Edge target cannot express", r.meta.name.text),
                        "a virtual destination",
                        "Gloo Edge routes only to Upstreams: send the traffic to the selected services instead (`{ ref = service.NAME, port = PORT }` or an upstream)",
                    ));
                }
            }
        }
    }
}

fn listeners(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (gi, g) in p.gateways.iter().enumerate() {
        if input.placement.gateways[gi].clusters.is_clear() {
            continue;
        }
        for l in &g.listeners {
            match l.protocol.value {
                Protocol::Tcp | Protocol::Tls => {
                    let passthrough = l
                        .tls
                        .as_ref()
                        .is_some_and(|t| t.mode == TlsMode::Passthrough);
                    diags.push(
                        Diagnostic::new(
                            Code::GlooEdgeListener,
                            format!(
                                "listener `{}` of gateway `{}` is {}{}, which the Gloo Edge target cannot serve",
                                l.name.text,
                                g.meta.name.text,
                                l.protocol.value.as_str(),
                                if passthrough { " passthrough" } else { "" },
                            ),
                            l.protocol.span,
                            "not HTTP or HTTPS",
                        )
                        .with_help(format!(
                            "Gloo Edge serves TCP and TLS through `tcpGateway.tcpHosts`, one destination each, and topoc has HTTP routes only: remove the listener, {REBUILD}"
                        )),
                    );
                }
                Protocol::Https => {
                    let certs = l.tls.as_ref().map_or(&[][..], |t| &t.certificates[..]);
                    if let [first, second, ..] = certs {
                        diags.push(
                            Diagnostic::new(
                                Code::GlooEdgeCertificates,
                                format!(
                                    "listener `{}` of gateway `{}` has {} certificates; a Gloo Edge VirtualService holds one",
                                    l.name.text,
                                    g.meta.name.text,
                                    certs.len()
                                ),
                                second.span,
                                "second certificate",
                            )
                            .with_label(first.span, "the one Gloo Edge can use")
                            .with_help(format!(
                                "keep one certificate (one certificate can cover several hostnames), split the hostnames over listeners, {REBUILD}"
                            )),
                        );
                    }
                }
                Protocol::Http => {}
            }
        }
    }
}

/// The first HTTPS listener a route is attached to, for E0373's label.
fn https_listener(input: &Input<'_>, ri: usize) -> Option<Span> {
    let p = input.program;
    let r = &p.routes[ri];
    r.parents
        .iter()
        .zip(&input.attachments.routes[ri])
        .flat_map(|(pr, ls)| ls.iter().map(move |la| (pr.gateway, la)))
        .filter(|(_, la)| matches!(la.standing, Standing::Attached(_)))
        .map(|(g, la)| &p.gateway(g).listeners[la.listener])
        .find(|l| l.protocol.value == Protocol::Https)
        .map(|l| l.protocol.span)
}

fn routes(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (ri, r) in p.routes.iter().enumerate() {
        if input.placement.routes[ri].clusters.is_clear() {
            continue;
        }
        for rule in &r.rules {
            let f = &rule.filters;
            if let [first, second, ..] = f.mirrors.as_slice() {
                diags.push(
                    Diagnostic::new(
                        Code::GlooEdgeMirrors,
                        format!(
                            "a rule of route `{}` mirrors to {} backends; Gloo Edge shadows to one",
                            r.meta.name.text,
                            f.mirrors.len()
                        ),
                        second.backend.span,
                        "second mirror",
                    )
                    .with_label(first.backend.span, "the one Gloo Edge can shadow to")
                    .with_help(format!(
                        "keep one mirror (Gloo Edge's `options.shadowing` names one upstream), {REBUILD}"
                    )),
                );
            }
            if let Some(rd) = &f.redirect {
                if rd.value.scheme.as_deref() == Some("http") {
                    if let Some(listener) = https_listener(input, ri) {
                        diags.push(
                            Diagnostic::new(
                                Code::GlooEdgeHttpRedirect,
                                format!(
                                    "route `{}` redirects to http from an HTTPS listener; Gloo Edge redirects to https only",
                                    r.meta.name.text
                                ),
                                rd.span,
                                "redirect to `http`",
                            )
                            .with_label(listener, "attached to this HTTPS listener")
                            .with_help(format!(
                                "Gloo Edge's `redirectAction` can switch the scheme to https (`httpsRedirect`), not back: attach the route to HTTP listeners only, where `http` is the request's own scheme, {REBUILD}"
                            )),
                        );
                    }
                }
            }
            if let Some(h) = &f.request_headers {
                let names = h.set.iter().chain(&h.add).map(|(n, _)| n).chain(&h.remove);
                for name in names.filter(|n| n.text.eq_ignore_ascii_case("host")) {
                    diags.push(
                        Diagnostic::new(
                            Code::GlooEdgeHostHeader,
                            format!(
                                "a rule of route `{}` modifies the Host header, which Gloo Edge's Envoy refuses",
                                r.meta.name.text
                            ),
                            name.span,
                            "Host",
                        )
                        .with_help("to send another host upstream write `rewrite = { hostname = \"...\" }` (Gloo Edge's `hostRewrite`); Host cannot be added or removed"),
                    );
                }
            }
        }
    }
}

fn receives_anything(input: &Input<'_>, c: usize) -> bool {
    let pl = input.placement;
    pl.gateways
        .iter()
        .chain(&pl.routes)
        .chain(&pl.upstreams)
        .any(|placed| placed.clusters.contains(c))
}

fn clusters(input: &Input<'_>, diags: &mut Diagnostics) {
    for (c, cluster) in input.program.clusters.iter().enumerate() {
        let vendor = cluster.implementation.value.vendor;
        if vendor != Vendor::Gloo && receives_anything(input, c) {
            diags.push(
                Diagnostic::new(
                    Code::GlooEdgeNotGloo,
                    format!(
                        "cluster `{}` runs {}, but `--target gloo-edge` writes Gloo Edge objects for it",
                        cluster.name.text,
                        vendor.name()
                    ),
                    cluster.implementation.span,
                    format!("{} does not read gateway.solo.io objects", vendor.name()),
                )
                .with_help(format!(
                    "keep gateways, routes and upstreams out of `{}` (`to`), declare `implementation = gloo(\"1.19\")` if it runs Gloo Edge, {REBUILD}",
                    cluster.name.text
                )),
            );
        }
    }
}

fn shared_ports(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    // (first gateway, second gateway, port) → (first's port span, second's port span, clusters)
    type Clash = (Span, Span, Vec<String>);
    let mut clashes: BTreeMap<(usize, usize, u16), Clash> = BTreeMap::new();
    for (c, cluster) in p.clusters.iter().enumerate() {
        let mut taken: BTreeMap<u16, (usize, Span)> = BTreeMap::new();
        for (gi, g) in p.gateways.iter().enumerate() {
            if !input.placement.gateways[gi].clusters.contains(c) {
                continue;
            }
            for l in &g.listeners {
                let port = l.port.value;
                match taken.get(&port) {
                    Some(&(first, first_span)) if first != gi => {
                        let e = clashes.entry((first, gi, port)).or_insert((
                            first_span,
                            l.port.span,
                            Vec::new(),
                        ));
                        if !e.2.contains(&cluster.name.text) {
                            e.2.push(cluster.name.text.clone());
                        }
                    }
                    Some(_) => {}
                    None => {
                        taken.insert(port, (gi, l.port.span));
                    }
                }
            }
        }
    }
    for ((first, second, port), (first_span, span, clusters)) in clashes {
        let (a, b) = (&p.gateways[first], &p.gateways[second]);
        diags.push(
            Diagnostic::new(
                Code::GlooEdgeSharedPort,
                format!(
                    "gateways `{}` and `{}` both listen on port {port} in {}; Gloo Edge's one proxy cannot bind it twice",
                    a.meta.name.text,
                    b.meta.name.text,
                    clusters.join(", ")
                ),
                span,
                format!("port {port} again"),
            )
            .with_label(first_span, format!("`{}` has port {port}", a.meta.name.text))
            .with_help(format!(
                "every Gloo Edge Gateway belongs to the `gateway-proxy` proxy: merge the listeners into one gateway, give them different ports, keep the gateways in different clusters, {REBUILD}"
            )),
        );
    }
}

fn upstream_names(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    let mut reported = std::collections::BTreeSet::new();
    for r in &p.routes {
        for rule in &r.rules {
            let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
            for b in rule.backends.iter().chain(mirrors) {
                let BackendTarget::Service { service, port } = &b.target else {
                    continue;
                };
                let s = p.service(*service);
                let ns = &s.meta.namespace.value;
                let name = service_upstream_name(ns, &s.meta.name.text, port.value);
                for (ui, u) in p.upstreams.iter().enumerate() {
                    let same_place = u.meta.name.text == name && &u.meta.namespace.value == ns;
                    let same_target = u.service.value == *service && u.port.value == port.value;
                    if same_place && !same_target && reported.insert(ui) {
                        diags.push(
                            Diagnostic::new(
                                Code::GlooEdgeUpstreamName,
                                format!(
                                    "upstream `{name}` in `{ns}` has the name topoc gives service `{}` port {}, but another target",
                                    s.meta.name.text, port.value
                                ),
                                u.meta.name.span,
                                "this name is taken",
                            )
                            .with_label(b.span, format!("needs an upstream `{name}` for service `{}`", s.meta.name.text))
                            .with_help(format!(
                                "rename the upstream: `{ns}-{}-{}` is the Upstream topoc writes for this Service backend",
                                s.meta.name.text, port.value
                            )),
                        );
                    }
                }
            }
        }
    }
}
