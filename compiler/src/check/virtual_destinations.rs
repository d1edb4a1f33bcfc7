//! Virtual destinations (seed 001): a VirtualDestination gives services spread over a mesh one
//! internal hostname. Gloo Platform accepts one that selects nothing, or whose port the services
//! do not have, and the hostname then resolves to no endpoint at runtime; a gateway without an
//! istio-proxy cannot reach the mesh's hostnames at all. All of it is known at build time:
//!
//! - E0389: virtual destinations but no management cluster, where Gloo Mesh translates them;
//! - E0380: `select` matches no service that runs in the mesh;
//! - E0381: a selected service lacks the port the virtual destination sends to;
//! - E0384: two virtual destinations of one mesh claim the same host;
//! - E0383: a route sends to a virtual destination from a gateway without Istio integration
//!   (E0382, a route outside the mesh, is a coverage rule: see `coverage.rs`);
//! - E0391: a cluster in two Istio meshes (one istio-proxy has one mesh ID);
//! - E0211: a virtual destination of a Kuma mesh (VirtualDestinations are Gloo Platform's, on
//!   Istio);
//! - W0380: selected instances in a cluster the mesh gives no east-west address, which the
//!   other clusters' ServiceEntries therefore cannot list;
//! - W0382: `select` matches several services in one cluster (CHECKS.md rule 3): the host then
//!   balances over all of them, usually a selector one label short.

use std::collections::BTreeMap;

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::mesh::{has_istio_integration, Selected};
use crate::model::*;
use crate::resolve::place::names;

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    management(p, diags);
    for (i, vd) in p.virtual_destinations.iter().enumerate() {
        let found = input.selections.of(VirtualDestinationId(i as u32));
        let MeshProvider::Istio(istio) = &p.mesh(vd.mesh.value).provider else {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!(
                        "virtual destination `{}` is in Kuma mesh `{}`",
                        vd.meta.name.text,
                        p.mesh(vd.mesh.value).name.text
                    ),
                    vd.mesh.span,
                    "not an Istio mesh",
                )
                .with_help("VirtualDestinations are Gloo Platform's, translated for Istio: name an Istio mesh, or route to the services directly in Kuma"),
            );
            continue;
        };
        selection(input, vd, found, diags);
        east_west(input, vd, found, istio, diags);
    }
    hosts(p, diags);
    integration(p, diags);
    overlap(input, diags);
}

fn management(p: &Program, diags: &mut Diagnostics) {
    if p.management().is_some() {
        return;
    }
    for vd in &p.virtual_destinations {
        diags.push(
            Diagnostic::new(
                Code::VdWithoutManagement,
                format!(
                    "virtual destination `{}` needs a management cluster to live in",
                    vd.meta.name.text
                ),
                vd.meta.name.span,
                "no cluster has `role = management`",
            )
            .with_help("Gloo Mesh translates VirtualDestinations in its management cluster: declare it, `cluster mgmt { role = management }`"),
        );
    }
}

fn selection(
    input: &Input<'_>,
    vd: &VirtualDestination,
    found: &[Selected],
    diags: &mut Diagnostics,
) {
    let p = input.program;
    let mesh = p.mesh(vd.mesh.value);
    let wanted: Vec<String> = vd
        .select
        .value
        .iter()
        .map(|(k, v)| format!("{k} = \"{v}\""))
        .collect();
    if found.is_empty() {
        let mesh_clusters = names(p, &input.placement.meshes[vd.mesh.value.index()].clusters);
        let mut d = Diagnostic::new(
            Code::VdSelectsNothing,
            format!(
                "virtual destination `{}` selects no service of mesh `{}`",
                vd.meta.name.text, mesh.name.text
            ),
            vd.select.span,
            format!("no service running in {mesh_clusters} has these labels"),
        )
        .with_label(
            mesh.clusters.span,
            format!("mesh `{}` spans {mesh_clusters}", mesh.name.text),
        );
        // Services with the labels that run only outside the mesh: the selector is right, the
        // placement is not.
        let mut outside = false;
        for (i, s) in p.services.iter().enumerate() {
            if vd
                .select
                .value
                .iter()
                .all(|(k, v)| s.meta.labels.get(k) == Some(v))
            {
                outside = true;
                let runs = names(p, &input.placement.services[i].clusters);
                d = d.with_label(
                    s.meta.name.span,
                    format!(
                        "service `{}` has these labels, but runs in {runs}, outside the mesh",
                        s.meta.name.text
                    ),
                );
            }
        }
        let help = if outside {
            format!(
                "run the service in a cluster of mesh `{}` (`runs-in`), or add its clusters to the mesh's `clusters`",
                mesh.name.text
            )
        } else {
            format!(
                "give the services `labels = {{ {} }}`, or change `select` to labels they have",
                wanted.join(", ")
            )
        };
        diags.push(d.with_help(help));
        return;
    }
    several_in_one_cluster(p, vd, found, diags);
    // The ports every selected service has: the only useful `target-port` values.
    let common: Vec<u16> = p
        .service(found[0].service)
        .ports
        .iter()
        .map(|sp| sp.port)
        .filter(|n| {
            found
                .iter()
                .all(|sel| p.service(sel.service).ports.iter().any(|sp| sp.port == *n))
        })
        .collect();
    for port in &vd.ports {
        let want = port.service_port();
        for sel in found {
            let s = p.service(sel.service);
            if s.ports.iter().any(|sp| sp.port == want) {
                continue;
            }
            let have: Vec<String> = s.ports.iter().map(|sp| sp.port.to_string()).collect();
            let (message, label) = match port.target_port {
                Some(target) => (
                    format!(
                        "virtual destination `{}` sends port {} to port {target} of selected service `{}`, which has no port {target}",
                        vd.meta.name.text, port.number, s.meta.name.text
                    ),
                    format!("needs port {target} (`target-port`) on every selected service"),
                ),
                None => (
                    format!(
                        "virtual destination `{}` sends port {} to selected service `{}`, which has no port {want}",
                        vd.meta.name.text, port.number, s.meta.name.text
                    ),
                    format!("needs port {want} on every selected service (no `target-port`)"),
                ),
            };
            let target_help = match common.as_slice() {
                [] => String::new(),
                [one] => format!("set `target-port = {one}`, "),
                many => format!(
                    "set `target-port` to one of {}, ",
                    many.iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            diags.push(
                Diagnostic::new(Code::VdPortNotOnService, message, port.span, label)
                    .with_label(
                        s.meta.name.span,
                        format!(
                            "service `{}` is selected by {{ {} }} and has port{} {}",
                            s.meta.name.text,
                            wanted.join(", "),
                            if have.len() == 1 { "" } else { "s" },
                            have.join(", ")
                        ),
                    )
                    .with_help(format!(
                        "{target_help}add {want} to the service's `ports`, or narrow `select` to services with port {want}"
                    )),
            );
        }
    }
}

/// Several selected services in one cluster all become endpoints of the host in that cluster.
/// Reported once per set of services, naming every cluster where exactly that set runs.
fn several_in_one_cluster(
    p: &Program,
    vd: &VirtualDestination,
    found: &[Selected],
    diags: &mut Diagnostics,
) {
    let mut per_cluster: BTreeMap<usize, Vec<ServiceId>> = BTreeMap::new();
    for sel in found {
        for c in sel.clusters.ones() {
            per_cluster.entry(c).or_default().push(sel.service);
        }
    }
    let mut by_services: BTreeMap<Vec<ServiceId>, Vec<usize>> = BTreeMap::new();
    for (c, services) in per_cluster {
        if services.len() > 1 {
            by_services.entry(services).or_default().push(c);
        }
    }
    for (services, clusters) in by_services {
        let names = |ids: &[ServiceId]| {
            ids.iter()
                .map(|s| format!("`{}`", p.service(*s).meta.name.text))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cluster_names = clusters
            .iter()
            .map(|c| p.cluster(ClusterId(*c as u32)).name.text.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = Diagnostic::new(
            Code::VdSeveralInCluster,
            format!(
                "virtual destination `{}` selects {} services in {cluster_names}: {}",
                vd.meta.name.text,
                services.len(),
                names(&services)
            ),
            vd.select.span,
            format!("matches {} in {cluster_names}", names(&services)),
        );
        for s in &services {
            d = d.with_label(
                p.service(*s).meta.name.span,
                format!("has these labels and runs in {cluster_names}"),
            );
        }
        diags.push(d.with_help(
            "the host balances over all of them: add a label only the intended service has to `select` (and to that service), or `allow = [W0382]` on the virtual destination if they are one workload",
        ));
    }
}

/// Each workload cluster of the mesh lists every selected instance in its ServiceEntry: its
/// own by their Service name, the other clusters' through their east-west gateway. An
/// instance in a cluster without an east-west address is left out of the other clusters'
/// ServiceEntries, and gets no traffic from them.
fn east_west(
    input: &Input<'_>,
    vd: &VirtualDestination,
    found: &[Selected],
    istio: &IstioMesh,
    diags: &mut Diagnostics,
) {
    let p = input.program;
    let mesh = p.mesh(vd.mesh.value);
    if input.placement.meshes[vd.mesh.value.index()]
        .clusters
        .count_ones(..)
        < 2
    {
        return;
    }
    let mut reported = std::collections::BTreeSet::new();
    for sel in found {
        for c in sel.clusters.ones() {
            let cluster = ClusterId(c as u32);
            if istio.east_west.contains_key(&cluster) || !reported.insert(c) {
                continue;
            }
            let name = &p.cluster(cluster).name.text;
            diags.push(
                Diagnostic::new(
                    Code::VdNoEastWest,
                    format!(
                        "virtual destination `{}` selects `{}` in {name}, which the other clusters of mesh `{}` cannot reach",
                        vd.meta.name.text,
                        p.service(sel.service).meta.name.text,
                        mesh.name.text
                    ),
                    vd.select.span,
                    format!("selects instances in {name}"),
                )
                .with_label(mesh.name.span, format!("no `east-west` address for {name}"))
                .with_help(format!(
                    "add `{name} = \"ADDRESS\"` to the mesh's `east-west` (the address of its east-west gateway), or narrow `select`"
                )),
            );
        }
    }
}

fn hosts(p: &Program, diags: &mut Diagnostics) {
    let mut claimed: BTreeMap<(MeshId, &str), &VirtualDestination> = BTreeMap::new();
    for vd in &p.virtual_destinations {
        for host in &vd.hosts {
            let key = (vd.mesh.value, host.value.as_str());
            match claimed.get(&key) {
                Some(first) if first.meta.name.text != vd.meta.name.text => {
                    let first_host = first
                        .hosts
                        .iter()
                        .find(|h| h.value == host.value)
                        .map_or(first.meta.name.span, |h| h.span);
                    diags.push(
                        Diagnostic::new(
                            Code::VdHostTaken,
                            format!(
                                "virtual destinations `{}` and `{}` both claim `{}` in mesh `{}`",
                                first.meta.name.text,
                                vd.meta.name.text,
                                host.value,
                                p.mesh(vd.mesh.value).name.text
                            ),
                            host.span,
                            "claimed again here",
                        )
                        .with_label(first_host, format!("first claimed by `{}`", first.meta.name.text))
                        .with_help("a host names one set of endpoints: give one of them another host, or merge their `select`"),
                    );
                }
                Some(_) => {}
                None => {
                    claimed.insert(key, vd);
                }
            }
        }
    }
}

fn integration(p: &Program, diags: &mut Diagnostics) {
    for r in &p.routes {
        let vd_backends = r
            .rules
            .iter()
            .flat_map(|rule| {
                let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
                rule.backends.iter().chain(mirrors)
            })
            .filter(|b| matches!(b.target, BackendTarget::VirtualDestination { .. }));
        let Some(first) = vd_backends.into_iter().next() else {
            continue;
        };
        let BackendTarget::VirtualDestination { vd, .. } = first.target else {
            continue;
        };
        let vd = p.virtual_destination(vd);
        let mesh = &p.mesh(vd.mesh.value).name.text;
        let host = vd.hosts.first().map_or("", |h| h.value.as_str());
        for parent in &r.parents {
            let g = p.gateway(parent.gateway);
            if has_istio_integration(p, g) {
                continue;
            }
            let why = match &g.mesh {
                Some(m) => format!(
                    "in mesh `{}`, which is not an Istio mesh, and no `parameters`",
                    p.mesh(m.value).name.text
                ),
                None => "no `mesh` and no `parameters`".to_string(),
            };
            diags.push(
                Diagnostic::new(
                    Code::VdWithoutIstio,
                    format!(
                        "route `{}` sends traffic to virtual destination `{}` through gateway `{}`, which has no Istio integration",
                        r.meta.name.text, vd.meta.name.text, g.meta.name.text
                    ),
                    first.span,
                    format!("`{host}`, a host of Istio mesh `{mesh}`"),
                )
                .with_label(parent.span, format!("gateway `{}` has no istio-proxy", g.meta.name.text))
                .with_label(g.meta.name.span, why)
                .with_help(format!(
                    "put the gateway in the mesh (`mesh = mesh.{mesh}`), or give it `parameters = {{ discovery-address = ... }}`: without an istio-proxy the gateway cannot resolve the mesh's hosts"
                )),
            );
        }
    }
}

fn overlap(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    let mut first: BTreeMap<usize, &Mesh> = BTreeMap::new();
    for (i, m) in p.meshes.iter().enumerate() {
        if !matches!(m.provider, MeshProvider::Istio(_)) {
            continue;
        }
        for c in input.placement.meshes[i].clusters.ones() {
            match first.get(&c) {
                Some(other) => diags.push(
                    Diagnostic::new(
                        Code::MeshOverlap,
                        format!(
                            "cluster {} is in Istio meshes `{}` and `{}`",
                            p.clusters[c].name.text, other.name.text, m.name.text
                        ),
                        m.clusters.span,
                        format!(
                            "mesh `{}` includes {}",
                            m.name.text, p.clusters[c].name.text
                        ),
                    )
                    .with_label(
                        other.clusters.span,
                        format!("so does mesh `{}`", other.name.text),
                    )
                    .with_help(format!(
                        "an istio-proxy has one mesh ID: take {} out of one of the meshes",
                        p.clusters[c].name.text
                    )),
                ),
                None => {
                    first.insert(c, m);
                }
            }
        }
    }
}
