//! Cross-namespace references and the ReferenceGrants they need (Gateway API GEP-709,
//! CHECKS.md rules 13 and 27). A route's backend or a gateway's certificate in another
//! namespace is only honoured when a ReferenceGrant in the referent's namespace allows it
//! (RefNotPermitted otherwise). Per cluster, topoc either emits the narrowest grant itself or,
//! with `reference-grants = require`, demands a declared one.

use std::collections::BTreeSet;

use crate::model::*;
use crate::resolve::place::Placement;
use crate::source::Span;

/// A reference that crosses namespaces: from a kind in one namespace to an object in another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Needed {
    pub from_kind: &'static str,
    pub from_namespace: String,
    pub to_group: &'static str,
    pub to_kind: &'static str,
    pub to_namespace: String,
    pub to_name: String,
}

/// Who needs a grant, for diagnostics.
#[derive(Clone, Debug)]
pub struct Use {
    pub needed: Needed,
    pub span: Span,
    /// The clusters where the referring object lands.
    pub clusters: crate::resolve::place::ClusterSet,
}

pub fn uses(p: &Program, placement: &Placement) -> Vec<Use> {
    let mut out = Vec::new();
    for (ri, r) in p.routes.iter().enumerate() {
        for rule in &r.rules {
            let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
            for b in rule.backends.iter().chain(mirrors) {
                let (group, kind, meta) = match &b.target {
                    BackendTarget::Upstream(u) => {
                        ("gloo.solo.io", "Upstream", &p.upstream(*u).meta)
                    }
                    BackendTarget::Service { service, .. } => {
                        ("", "Service", &p.service(*service).meta)
                    }
                    // A Hostname names no object in a namespace: nothing to grant.
                    BackendTarget::VirtualDestination { .. } => continue,
                };
                if meta.namespace.value != r.meta.namespace.value {
                    out.push(Use {
                        needed: Needed {
                            from_kind: "HTTPRoute",
                            from_namespace: r.meta.namespace.value.clone(),
                            to_group: group,
                            to_kind: kind,
                            to_namespace: meta.namespace.value.clone(),
                            to_name: meta.name.text.clone(),
                        },
                        span: b.span,
                        clusters: placement.routes[ri].clusters.clone(),
                    });
                }
            }
        }
    }
    for (gi, g) in p.gateways.iter().enumerate() {
        for l in &g.listeners {
            for cert in l.tls.iter().flat_map(|t| &t.certificates) {
                let s = p.secret(cert.value);
                if s.meta.namespace.value != g.meta.namespace.value {
                    out.push(Use {
                        needed: Needed {
                            from_kind: "Gateway",
                            from_namespace: g.meta.namespace.value.clone(),
                            to_group: "",
                            to_kind: "Secret",
                            to_namespace: s.meta.namespace.value.clone(),
                            to_name: s.meta.name.text.clone(),
                        },
                        span: cert.span,
                        clusters: placement.gateways[gi].clusters.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Whether a declared grant allows a reference.
pub fn covers(g: &Grant, n: &Needed) -> bool {
    g.meta.namespace.value == n.to_namespace
        && g.from
            .iter()
            .any(|f| f.kind == n.from_kind && f.namespace == n.from_namespace)
        && g.refs
            .iter()
            .any(|r| r.kind == n.to_kind && r.name.as_ref().is_none_or(|name| *name == n.to_name))
}

/// The grants topoc emits into one cluster: every needed reference of the objects landing there
/// that no declared grant in that cluster covers, when the cluster's policy is `emit`.
pub fn to_emit(
    p: &Program,
    placement: &Placement,
    uses: &[Use],
    cluster: ClusterId,
) -> BTreeSet<Needed> {
    if p.cluster(cluster).reference_grants != GrantPolicy::Emit {
        return BTreeSet::new();
    }
    uses.iter()
        .filter(|u| emits(p, placement, u, cluster))
        .map(|u| u.needed.clone())
        .collect()
}

/// Whether topoc emits a grant for `u` into `cluster`: the rule of [`to_emit`] for one use,
/// so the renderer can walk each use's clusters instead of every cluster's uses.
pub fn emits(p: &Program, placement: &Placement, u: &Use, cluster: ClusterId) -> bool {
    p.cluster(cluster).reference_grants == GrantPolicy::Emit
        && u.clusters.contains(cluster.index())
        && !declared_covers(p, placement, &u.needed, cluster)
}

pub fn declared_covers(p: &Program, placement: &Placement, n: &Needed, cluster: ClusterId) -> bool {
    p.grants
        .iter()
        .enumerate()
        .any(|(i, g)| placement.grants[i].clusters.contains(cluster.index()) && covers(g, n))
}

/// The name of an emitted grant: readable, unique per reference, a valid object name.
pub fn grant_name(n: &Needed) -> String {
    let name = format!(
        "topoc-{}-{}-to-{}-{}",
        n.from_kind.to_ascii_lowercase(),
        n.from_namespace,
        n.to_kind.to_ascii_lowercase(),
        n.to_name
    );
    if name.len() <= 253 {
        return name;
    }
    // FNV-1a: stable across runs and platforms, unlike the standard hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}-{hash:016x}", &name[..236])
}
