//! Gateway installations seen per cluster: which gateway of which revision each cluster runs,
//! and which revision is active. The checks (`check::install`), the renderer (`render::istio`)
//! and `topoc plan` all read this one view, so the plan shows exactly what is checked and
//! written — the build-time answer to the GatewayLifecycleManager's status (seed 002).

use crate::model::*;
use crate::resolve::place::Placement;

/// The trust domain an installation entry sets, when it sets one: its `trust-domain`, else that
/// of the Istio mesh its cluster is in (at most one: E0391).
pub fn declared_trust_domain<'a>(
    p: &'a Program,
    placement: &Placement,
    entry: &'a InstallCluster,
) -> Option<&'a str> {
    match &entry.trust_domain {
        Some(t) => Some(&t.value),
        None => crate::mesh::trust_domain(p, placement, entry.cluster),
    }
}

/// `meshConfig.trustDomain` in an entry's cluster: as declared, else the cluster's name, which
/// is what the manager defaults to (seed 002).
pub fn trust_domain<'a>(
    p: &'a Program,
    placement: &Placement,
    entry: &'a InstallCluster,
) -> &'a str {
    declared_trust_domain(p, placement, entry).unwrap_or(&p.cluster(entry.cluster).name.text)
}

/// What identifies "the same gateway" across revisions in a cluster: its type, namespace and
/// name.
pub type GatewayKey<'a> = (GatewayType, &'a str, &'a str);

/// One gateway component installed in one cluster by one installation.
#[derive(Clone, Copy, Debug)]
pub struct Installed<'a> {
    pub cluster: ClusterId,
    pub install: &'a GatewayInstall,
    pub installation: &'a Installation,
    pub entry: &'a InstallCluster,
    pub component: &'a GatewayComponent,
}

impl<'a> Installed<'a> {
    /// The revision the gateway runs (`auto` resolved).
    pub fn revision(&self) -> &'a str {
        self.installation.revision().value
    }

    pub fn trust_domain(&self, p: &'a Program, placement: &Placement) -> &'a str {
        trust_domain(p, placement, self.entry)
    }

    pub fn gateway_key(&self) -> GatewayKey<'a> {
        (
            self.component.kind,
            &self.component.namespace.value,
            &self.component.name.value,
        )
    }
}

/// Every enabled gateway component in every cluster, in declaration order (installs,
/// installations, cluster entries, components). A disabled component installs nothing.
pub fn installed(p: &Program) -> Vec<Installed<'_>> {
    let mut out = Vec::new();
    for install in &p.installs {
        for installation in &install.installations {
            for entry in &installation.clusters {
                for component in installation
                    .operator
                    .components
                    .iter()
                    .filter(|c| c.enabled)
                {
                    out.push(Installed {
                        cluster: entry.cluster,
                        install,
                        installation,
                        entry,
                        component,
                    });
                }
            }
        }
    }
    out
}

/// The active revision of a gateway in a cluster, when exactly one revision is active.
pub fn active_revision<'a>(
    all: &[Installed<'a>],
    cluster: ClusterId,
    key: GatewayKey<'_>,
) -> Option<&'a str> {
    let mut active = all
        .iter()
        .filter(|i| i.cluster == cluster && i.gateway_key() == key && i.entry.active);
    match (active.next(), active.next()) {
        (Some(one), None) => Some(one.revision()),
        _ => None,
    }
}

/// One line of `topoc plan`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub cluster: String,
    /// `NAMESPACE/NAME` of the gateway component.
    pub gateway: String,
    pub kind: &'static str,
    pub revision: String,
    pub active: bool,
    pub control_plane: String,
    pub trust_domain: String,
    /// The `gateway-install` (GatewayLifecycleManager) that installs it.
    pub install: String,
}

/// The plan: one row per cluster, gateway and revision, sorted.
pub fn plan(p: &Program, placement: &Placement) -> Vec<Row> {
    let mut rows: Vec<Row> = installed(p)
        .iter()
        .map(|i| Row {
            cluster: p.cluster(i.cluster).name.text.clone(),
            gateway: format!("{}/{}", i.component.namespace.value, i.component.name.value),
            kind: i.component.kind.as_str(),
            revision: i.revision().to_string(),
            active: i.entry.active,
            control_plane: i.installation.control_plane().value.to_string(),
            trust_domain: i.trust_domain(p, placement).to_string(),
            install: i.install.name.text.clone(),
        })
        .collect();
    rows.sort();
    rows.dedup();
    rows
}

/// The plan as an aligned text table; deterministic (the rows are sorted).
pub fn format_plan(rows: &[Row]) -> String {
    let header = [
        "CLUSTER",
        "GATEWAY",
        "TYPE",
        "REVISION",
        "ACTIVE",
        "CONTROL PLANE",
        "TRUST DOMAIN",
        "INSTALL",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.cluster.clone(),
                r.gateway.clone(),
                r.kind.to_string(),
                r.revision.clone(),
                if r.active { "yes" } else { "no" }.to_string(),
                r.control_plane.clone(),
                r.trust_domain.clone(),
                r.install.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&header);
    for row in &cells {
        let refs: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&refs));
    }
    out
}
