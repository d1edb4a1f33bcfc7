//! Where each definition lands: `to` evaluated against the declared clusters, or, when `to` is
//! omitted, inferred from the graph. A route goes where all its parent gateways go (the
//! intersection, so an inferred route is always attached); an upstream or secret goes where
//! the routes and gateways that use it go (the union, so it is always there when needed).

use fixedbitset::FixedBitSet;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::graph::{DepGraph, Node};
use crate::model::*;

/// A set of clusters, indexed by [`ClusterId`].
pub type ClusterSet = FixedBitSet;

/// Whether a placement was written (`to`) or inferred, for diagnostics that explain it.
#[derive(Clone, Debug)]
pub enum Source {
    Written(Spanned<Distribution>),
    Inferred,
    Default,
}

#[derive(Clone, Debug)]
pub struct Placed {
    pub clusters: ClusterSet,
    pub source: Source,
}

/// The clusters of every definition, indexed like the program's vectors.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    pub gateways: Vec<Placed>,
    pub routes: Vec<Placed>,
    pub upstreams: Vec<Placed>,
    pub secrets: Vec<Placed>,
    /// Where each service runs (`runs-in`).
    pub services: Vec<Placed>,
    /// Where each class is used, with the workload-class rewrite applied.
    pub classes: Vec<Placed>,
    /// Where each declared ReferenceGrant goes (`to`, or every workload cluster).
    pub grants: Vec<Placed>,
    /// The clusters of each mesh (Kuma: its zones, never the global zone).
    pub meshes: Vec<Placed>,
    /// Where each virtual destination's host resolves: its mesh's workload clusters.
    pub virtual_destinations: Vec<Placed>,
}

impl Placement {
    pub fn of(&self, n: Node) -> &Placed {
        match n {
            Node::Gateway(id) => &self.gateways[id.index()],
            Node::Route(id) => &self.routes[id.index()],
            Node::Upstream(id) => &self.upstreams[id.index()],
            Node::Secret(id) => &self.secrets[id.index()],
            Node::Service(id) => &self.services[id.index()],
            Node::Class(id) => &self.classes[id.index()],
            Node::Mesh(id) => &self.meshes[id.index()],
            Node::VirtualDestination(id) => &self.virtual_destinations[id.index()],
        }
    }
}

/// Evaluate a written distribution. A selector that matches nothing is an error: it almost
/// always means a misspelled label.
pub fn evaluate(p: &Program, d: &Spanned<Distribution>, diags: &mut Diagnostics) -> ClusterSet {
    let mut set = ClusterSet::with_capacity(p.clusters.len());
    match &d.value {
        Distribution::All => {
            for (i, c) in p.clusters.iter().enumerate() {
                set.set(i, c.role == Role::Workload);
            }
        }
        Distribution::None => {}
        Distribution::Clusters(ids) => ids.iter().for_each(|id| set.insert(id.index())),
        Distribution::Selector(sel) => {
            for (i, c) in p.clusters.iter().enumerate() {
                set.set(i, sel.iter().all(|(k, v)| c.labels.get(k) == Some(v)));
            }
            if set.is_clear() {
                let labels: Vec<String> =
                    sel.iter().map(|(k, v)| format!("{k} = \"{v}\"")).collect();
                diags.push(
                    Diagnostic::new(
                        Code::EmptySelector,
                        format!("no cluster has the labels {{ {} }}", labels.join(", ")),
                        d.span,
                        "matches no cluster",
                    )
                    .with_help("check the spelling against the clusters' `labels`, or write `to = none` to place it nowhere"),
                );
            }
        }
    }
    set
}

/// `to` as written, or every workload cluster when it is omitted.
fn written_or_all(
    p: &Program,
    to: &Option<Spanned<Distribution>>,
    at: crate::source::Span,
    diags: &mut Diagnostics,
) -> Placed {
    written(p, to, diags).unwrap_or_else(|| {
        let all = Spanned {
            value: Distribution::All,
            span: at,
        };
        Placed {
            clusters: evaluate(p, &all, diags),
            source: Source::Default,
        }
    })
}

fn written(
    p: &Program,
    to: &Option<Spanned<Distribution>>,
    diags: &mut Diagnostics,
) -> Option<Placed> {
    to.as_ref().map(|d| Placed {
        clusters: evaluate(p, d, diags),
        source: Source::Written(d.clone()),
    })
}

pub fn place(p: &Program, graph: &DepGraph, diags: &mut Diagnostics) -> Placement {
    let n = p.clusters.len();
    let empty = || ClusterSet::with_capacity(n);
    let mut out = Placement::default();

    out.meshes = p
        .meshes
        .iter()
        .map(|m| Placed {
            clusters: evaluate(p, &m.clusters, diags),
            source: Source::Written(m.clusters.clone()),
        })
        .collect();
    out.virtual_destinations = p
        .virtual_destinations
        .iter()
        .map(|vd| {
            let mesh = &out.meshes[vd.mesh.value.index()];
            let mut clusters = mesh.clusters.clone();
            for c in mesh.clusters.ones() {
                clusters.set(c, p.clusters[c].role == Role::Workload);
            }
            Placed {
                clusters,
                source: mesh.source.clone(),
            }
        })
        .collect();

    out.services = p
        .services
        .iter()
        .map(|s| Placed {
            clusters: evaluate(p, &s.runs_in, diags),
            source: Source::Written(s.runs_in.clone()),
        })
        .collect();

    // Gateways default to every workload cluster.
    out.gateways = p
        .gateways
        .iter()
        .map(|g| written_or_all(p, &g.to, g.meta.name.span, diags))
        .collect();

    out.routes = p
        .routes
        .iter()
        .map(|r| {
            written(p, &r.to, diags).unwrap_or_else(|| {
                let mut set: Option<ClusterSet> = None;
                let gateways = r
                    .parents
                    .iter()
                    .map(|parent| &out.gateways[parent.gateway.index()].clusters);
                // A GAMMA route goes where its parent Services run.
                let services = r
                    .service_parents
                    .iter()
                    .map(|parent| &out.services[parent.service.index()].clusters);
                for g in gateways.chain(services) {
                    match &mut set {
                        Some(s) => s.intersect_with(g),
                        None => set = Some(g.clone()),
                    }
                }
                Placed {
                    clusters: set.unwrap_or_else(empty),
                    source: Source::Inferred,
                }
            })
        })
        .collect();

    let union_of_users = |node: Node, out: &Placement| {
        let mut set = empty();
        for (user, _) in graph.users(node) {
            if matches!(user, Node::Route(_) | Node::Gateway(_)) {
                set.union_with(&out.of(user).clusters);
            }
        }
        set
    };
    out.upstreams = (0..p.upstreams.len())
        .map(|i| {
            let u = &p.upstreams[i];
            written(p, &u.to, diags).unwrap_or_else(|| Placed {
                clusters: union_of_users(Node::Upstream(UpstreamId(i as u32)), &out),
                source: Source::Inferred,
            })
        })
        .collect();
    out.secrets = (0..p.secrets.len())
        .map(|i| {
            written(p, &p.secrets[i].to, diags).unwrap_or_else(|| Placed {
                clusters: union_of_users(Node::Secret(SecretId(i as u32)), &out),
                source: Source::Inferred,
            })
        })
        .collect();

    out.grants = p
        .grants
        .iter()
        .map(|g| written_or_all(p, &g.to, g.meta.name.span, diags))
        .collect();

    // A gateway's class in each of its clusters, after the relay's workload-class rewrite.
    out.classes = vec![
        Placed {
            clusters: empty(),
            source: Source::Inferred
        };
        p.classes.len()
    ];
    for (gi, g) in p.gateways.iter().enumerate() {
        if let ClassRef::Declared(class) = g.class.value {
            for c in out.gateways[gi].clusters.ones() {
                let effective = effective_class(p, class, ClusterId(c as u32));
                out.classes[effective.index()].clusters.insert(c);
            }
        }
    }
    out
}

/// The class a gateway uses in a cluster: workload clusters use the class's `workload-class`.
pub fn effective_class(p: &Program, class: ClassId, cluster: ClusterId) -> ClassId {
    class_for_role(p, class, p.cluster(cluster).role)
}

pub fn class_for_role(p: &Program, class: ClassId, role: Role) -> ClassId {
    match (role, p.class(class).workload_class) {
        (Role::Workload, Some(w)) => w,
        _ => class,
    }
}

/// `east, west` for messages, in declaration order.
pub fn names(p: &Program, set: &ClusterSet) -> String {
    let names: Vec<&str> = set
        .ones()
        .map(|i| p.clusters[i].name.text.as_str())
        .collect();
    if names.is_empty() {
        "no cluster".to_string()
    } else {
        names.join(", ")
    }
}
