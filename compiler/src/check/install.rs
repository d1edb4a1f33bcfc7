//! Gateway installations (CHECKS.md rule 38, seed 002): what the GatewayLifecycleManager would
//! refuse or get wrong at runtime, judged per cluster at build time.
//!
//! - one installation per revision per cluster in a manager, and one gateway of each type per
//!   revision per cluster overall (E0350);
//! - exactly one active revision per gateway per cluster (E0351, E0352);
//! - the control-plane revision is installed in the cluster (E0353: the runtime's
//!   `NO_CONTROL_PLANE_AVAILABLE`, where "no gateway is created");
//! - service ports unique by name and number in a gateway (E0354); an egress gateway has the
//!   port 15443 named `tls` that Gloo's egress routing needs (W0351);
//! - an overridden `meshConfig.trustDomain` is repeated on every cluster entry (E0355);
//! - the IstioOperator follows the gateway revision, not a different control-plane revision
//!   (W0350);
//! - names that become object names, paths and labels are Kubernetes names (E0310).
//!
//! Undeclared cluster names are E0207, reported when the definition is resolved.

use std::collections::BTreeMap;

use super::names::{name, Rule};
use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::install::{installed, GatewayKey, Installed};
use crate::model::*;

/// Gloo finds the gateway's multicluster mTLS passthrough port by this name (seed 002).
const EGRESS_TLS_PORT: (&str, u16) = ("tls", 15443);

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for c in &p.clusters {
        for rev in c.istio_revisions.iter().flat_map(|r| &r.value) {
            name(diags, "revision", &rev.value, rev.span, Rule::Label);
        }
    }
    for install in &p.installs {
        names(install, diags);
        // The manager lands in the management cluster's namespace unless it names its own.
        if let (None, Some(mgmt)) = (&install.namespace, p.management()) {
            let mgmt = p.cluster(mgmt);
            name(
                diags,
                "management namespace",
                &mgmt.namespace,
                mgmt.name.span,
                Rule::Label,
            );
        }
        for inst in &install.installations {
            control_plane(p, inst, diags);
            trust_domain(input, inst, diags);
            for c in &inst.operator.components {
                ports(inst, c, diags);
            }
        }
        revisions_in_one_manager(p, install, diags);
    }
    let all = installed(p);
    one_gateway_per_type_and_revision(p, &all, diags);
    one_active_revision(p, &all, diags);
}

fn cluster_name(p: &Program, id: ClusterId) -> &str {
    &p.cluster(id).name.text
}

fn names(install: &GatewayInstall, diags: &mut Diagnostics) {
    name(
        diags,
        "gateway-install",
        &install.name.text,
        install.name.span,
        Rule::Subdomain,
    );
    if let Some(ns) = &install.namespace {
        name(diags, "namespace", &ns.value, ns.span, Rule::Label);
    }
    let ns = &install.operator_namespace;
    name(diags, "namespace", &ns.value, ns.span, Rule::Label);
    for inst in &install.installations {
        // Revisions become part of the IstioOperator's name and the `istio.io/rev` label.
        if let Revision::Named(r) = &inst.gateway_revision.value {
            name(
                diags,
                "revision",
                r,
                inst.gateway_revision.span,
                Rule::Label,
            );
            name(
                diags,
                "IstioOperator name",
                &format!("{}-{r}", install.name.text),
                inst.gateway_revision.span,
                Rule::Subdomain,
            );
        }
        if let Some(cp) = &inst.control_plane_revision {
            name(diags, "revision", &cp.value, cp.span, Rule::Label);
        }
        for c in &inst.operator.components {
            // The component's name is its Deployment's and its Service's.
            name(
                diags,
                "gateway",
                &c.name.value,
                c.name.span,
                Rule::Label1035,
            );
            name(
                diags,
                "namespace",
                &c.namespace.value,
                c.namespace.span,
                Rule::Label,
            );
        }
    }
}

/// The control plane the gateway uses must run in every cluster it is installed in.
fn control_plane(p: &Program, inst: &Installation, diags: &mut Diagnostics) {
    let cp = inst.control_plane();
    let cp_label = if inst.control_plane_revision.is_some() {
        format!("control-plane revision {}", cp.value)
    } else {
        format!(
            "gateway revision {}, also its control-plane revision",
            cp.value
        )
    };
    for entry in &inst.clusters {
        let cluster = p.cluster(entry.cluster);
        let runs = cluster.istio_revisions.as_ref();
        if runs.is_some_and(|r| r.value.iter().any(|rev| rev.value == cp.value)) {
            continue;
        }
        let name = &cluster.name.text;
        let mut d = Diagnostic::new(
            Code::NoControlPlane,
            format!(
                "no Istio control plane of revision {} runs in {name}, so no gateway would be created there",
                cp.value
            ),
            entry.span,
            format!("installs in {name}"),
        )
        .with_label(cp.span, cp_label.clone());
        d = match runs {
            Some(r) => {
                let list: Vec<&str> = r.value.iter().map(|s| s.value.as_str()).collect();
                let runs_text = if list.is_empty() {
                    "no control plane".to_string()
                } else {
                    list.join(", ")
                };
                d.with_label(r.span, format!("{name} runs {runs_text}"))
                    .with_help(format!(
                        "install control plane {} in {name} and add it to its `istio-revisions`, or use a revision {name} runs",
                        cp.value
                    ))
            }
            None => d.with_label(cluster.name.span, format!("{name} declares no `istio-revisions`")).with_help(format!(
                "declare the control planes {name} runs: `istio-revisions = [\"{}\"]` on cluster {name}",
                cp.value
            )),
        };
        diags.push(d);
    }
    // The IstioOperator's gateway connects to the control plane of its own revision.
    if let (Revision::Named(gw), Some(cp)) =
        (&inst.gateway_revision.value, &inst.control_plane_revision)
    {
        if *gw != cp.value {
            diags.push(
                Diagnostic::new(
                    Code::ControlPlaneRevisionDiffers,
                    format!(
                        "gateway revision {gw} uses control-plane revision {}",
                        cp.value
                    ),
                    cp.span,
                    format!("control plane {}", cp.value),
                )
                .with_label(inst.gateway_revision.span, format!("gateway revision {gw}"))
                .with_help(format!(
                    "the IstioOperator topoc writes connects the gateway to the control plane of its own revision (istiod-{gw}); only the GatewayLifecycleManager honours a different one. Write `gateway-revision = auto` or the same revision, or allow W0350 if only the manager is used"
                )),
            );
        }
    }
}

/// An overridden `meshConfig.trustDomain` must be repeated on each cluster entry, or the
/// manager replaces it with the cluster's name (seed 002).
fn trust_domain(input: &Input<'_>, inst: &Installation, diags: &mut Diagnostics) {
    let p = input.program;
    let Some(td) = &inst.operator.mesh_trust_domain else {
        return;
    };
    for entry in &inst.clusters {
        let effective = crate::install::trust_domain(p, input.placement, entry);
        if effective == td.value {
            continue;
        }
        let name = cluster_name(p, entry.cluster);
        let mut d = Diagnostic::new(
            Code::TrustDomainMismatch,
            format!(
                "{name} gets trust domain `{effective}`, not the mesh-config's `{}`",
                td.value
            ),
            entry.span,
            format!("trust domain `{effective}` in {name}"),
        )
        .with_label(td.span, "overridden here");
        if let Some(t) = &entry.trust_domain {
            d = d.with_label(t.span, "this cluster's trust domain");
        }
        diags.push(d.with_help(format!(
            "the manager sets meshConfig.trustDomain per cluster: write `trust-domain = \"{}\"` on the cluster entry, and drop trustDomain from `mesh-config`",
            td.value
        )));
    }
}

fn ports(inst: &Installation, c: &GatewayComponent, diags: &mut Diagnostics) {
    let ports = c.service.as_ref().map_or(&[][..], |s| s.ports.as_slice());
    for (i, port) in ports.iter().enumerate() {
        let earlier = &ports[..i];
        if let Some(first) = earlier.iter().find(|e| e.name.value == port.name.value) {
            diags.push(
                Diagnostic::new(
                    Code::GatewayPortConflict,
                    format!(
                        "{} gateway `{}` has two service ports named `{}`",
                        c.kind.as_str(),
                        c.name.value,
                        port.name.value
                    ),
                    port.name.span,
                    "second port with this name",
                )
                .with_label(first.name.span, "first port with this name")
                .with_help("rename one: Kubernetes requires unique port names in a Service, and Gloo finds gateway ports by name"),
            );
        }
        if let Some(first) = earlier.iter().find(|e| e.port.value == port.port.value) {
            diags.push(
                Diagnostic::new(
                    Code::GatewayPortConflict,
                    format!(
                        "{} gateway `{}` exposes port {} twice",
                        c.kind.as_str(),
                        c.name.value,
                        port.port.value
                    ),
                    port.port.span,
                    "second port with this number",
                )
                .with_label(first.port.span, "first port with this number")
                .with_help("give each service port its own number"),
            );
        }
    }
    if c.kind == GatewayType::Egress && c.enabled {
        let (tls_name, tls_port) = EGRESS_TLS_PORT;
        if ports
            .iter()
            .any(|p| p.name.value == tls_name && p.port.value == tls_port)
        {
            return;
        }
        let at = c.service.as_ref().map_or(c.span, |s| s.span);
        let mut d = Diagnostic::new(
            Code::EgressWithoutTlsPort,
            format!(
                "egress gateway `{}` has no port {tls_port} named `{tls_name}`",
                c.name.value
            ),
            at,
            "no `tls` port 15443",
        )
        .with_label(inst.keyword, "installed by this installation");
        for p in ports {
            if p.port.value == tls_port {
                d = d.with_label(
                    p.name.span,
                    format!("port {tls_port} is named `{}`", p.name.value),
                );
            } else if p.name.value == tls_name {
                d = d.with_label(
                    p.port.span,
                    format!("`{tls_name}` is port {}", p.port.value),
                );
            }
        }
        diags.push(d.with_help(
            "add `{ name = \"tls\", port = 15443, target-port = 15443 }` to the service's ports: Gloo's egress routing sends multicluster mTLS passthrough to the port named `tls` (or use `istio-egressgateway` from stdlib/istio)",
        ));
    }
}

/// Within one manager, a cluster gets one installation per revision (the IstioOperator is named
/// after the manager and the revision).
fn revisions_in_one_manager(p: &Program, install: &GatewayInstall, diags: &mut Diagnostics) {
    let mut first: BTreeMap<(ClusterId, &str), (&Installation, &InstallCluster)> = BTreeMap::new();
    for inst in &install.installations {
        let rev = inst.revision().value;
        for entry in &inst.clusters {
            match first.get(&(entry.cluster, rev)) {
                None => {
                    first.insert((entry.cluster, rev), (inst, entry));
                }
                Some((other, other_entry)) => {
                    let name = cluster_name(p, entry.cluster);
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateGatewayRevision,
                            format!(
                                "gateway-install `{}` installs revision {rev} twice in {name}",
                                install.name.text
                            ),
                            entry.span,
                            format!("revision {rev} again in {name}"),
                        )
                        .with_label(other_entry.span, format!("revision {rev} in {name}"))
                        .with_label(
                            other.gateway_revision.span,
                            format!("first installation of {rev}"),
                        )
                        .with_help(format!(
                            "a manager installs one revision once per cluster: merge the two installations of {rev}, or take {name} out of one of them"
                        )),
                    );
                }
            }
        }
    }
}

/// One gateway of each type per revision per cluster (seed 002: "in a workload cluster
/// cluster2, you can install only one ingress gateway that runs revision 1-24"). Two
/// installations of one manager are already reported by `revisions_in_one_manager`.
fn one_gateway_per_type_and_revision(p: &Program, all: &[Installed<'_>], diags: &mut Diagnostics) {
    let mut first: BTreeMap<(ClusterId, &str, GatewayType), &Installed<'_>> = BTreeMap::new();
    for i in all {
        let key = (i.cluster, i.revision(), i.component.kind);
        let Some(other) = first.get(&key) else {
            first.insert(key, i);
            continue;
        };
        let same_manager = std::ptr::eq(other.install, i.install);
        if same_manager && !std::ptr::eq(other.installation, i.installation) {
            continue;
        }
        let (name, rev, kind) = (cluster_name(p, i.cluster), i.revision(), i.component.kind);
        let kind = kind.as_str();
        let mut d = Diagnostic::new(
            Code::DuplicateGatewayRevision,
            format!(
                "two {kind} gateways of revision {rev} in {name}: `{}` and `{}`",
                other.component.name.value, i.component.name.value
            ),
            i.entry.span,
            format!(
                "{kind} gateway `{}` {rev} in {name}",
                i.component.name.value
            ),
        );
        d = if std::ptr::eq(other.entry, i.entry) {
            d.with_label(i.installation.keyword, "this installation lists both")
        } else {
            d.with_label(
                other.entry.span,
                format!(
                    "{kind} gateway `{}` {rev} in {name}",
                    other.component.name.value
                ),
            )
        };
        diags.push(d.with_help(format!(
            "a cluster runs one {kind} gateway per revision: give one of them another revision, or install it in other clusters"
        )));
    }
}

/// Exactly one active revision per gateway per cluster: `activeGateway` switches the gateway's
/// Service to that revision, so none leaves it selecting nothing topoc can name, and two make
/// the two IstioOperators fight over it.
fn one_active_revision(p: &Program, all: &[Installed<'_>], diags: &mut Diagnostics) {
    let mut by_gateway: BTreeMap<(ClusterId, GatewayKey<'_>), Vec<&Installed<'_>>> =
        BTreeMap::new();
    for i in all {
        by_gateway
            .entry((i.cluster, i.gateway_key()))
            .or_default()
            .push(i);
    }
    for ((cluster, (kind, _, gw)), revisions) in by_gateway {
        let name = cluster_name(p, cluster);
        let kind = kind.as_str();
        // One revision installed twice is E0350; here only distinct revisions count.
        let mut active: Vec<&&Installed<'_>> = Vec::new();
        for i in revisions.iter().filter(|i| i.entry.active) {
            if !active.iter().any(|a| a.revision() == i.revision()) {
                active.push(i);
            }
        }
        match active.as_slice() {
            [] => {
                let Some(last) = revisions.last() else {
                    continue;
                };
                let mut d = Diagnostic::new(
                    Code::NoActiveRevision,
                    format!("{kind} gateway `{gw}` has no active revision in {name}"),
                    last.entry.span,
                    format!("{} is inactive in {name}", last.revision()),
                );
                for other in &revisions[..revisions.len() - 1] {
                    d = d.with_label(
                        other.entry.span,
                        format!("{} is inactive in {name}", other.revision()),
                    );
                }
                diags.push(d.with_help(
                    "write `active = true` on the cluster entry of the revision that should take the traffic",
                ));
            }
            [_] => {}
            [first, rest @ ..] => {
                for again in rest {
                    diags.push(
                        Diagnostic::new(
                            Code::TwoActiveRevisions,
                            format!(
                                "{kind} gateway `{gw}` has two active revisions in {name}: {} and {}",
                                first.revision(),
                                again.revision()
                            ),
                            again.entry.span,
                            format!("{} active in {name}", again.revision()),
                        )
                        .with_label(first.entry.span, format!("{} active in {name}", first.revision()))
                        .with_help(
                            "keep `active = true` on one revision; during a canary the new revision is installed inactive and switched over when it is ready",
                        ),
                    );
                }
            }
        }
    }
}
