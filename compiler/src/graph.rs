//! The dependency graph: one node per definition, one edge from each user to what it
//! references. Placement inference walks it from users to dependencies, the coverage check
//! walks every edge, and tools that ask "what does this change affect" walk it backwards.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::model::*;
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Class(ClassId),
    Service(ServiceId),
    Upstream(UpstreamId),
    Gateway(GatewayId),
    Route(RouteId),
    Secret(SecretId),
    Mesh(MeshId),
    VirtualDestination(VirtualDestinationId),
}

/// Why a user depends on something; `span` is the reference in the user's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Route → parent gateway.
    Parent { span: Span },
    /// Route → upstream or service, as a backend or a mirror target.
    Backend { span: Span },
    /// Gateway → TLS certificate secret.
    Certificate { span: Span },
    /// Upstream → the service it fronts.
    UpstreamService { span: Span },
    /// Gateway → its class.
    Class { span: Span },
    /// Gateway or route → the mesh it joins.
    Mesh { span: Span },
}

impl Edge {
    pub fn span(self) -> Span {
        match self {
            Edge::Parent { span }
            | Edge::Backend { span }
            | Edge::Certificate { span }
            | Edge::UpstreamService { span }
            | Edge::Class { span }
            | Edge::Mesh { span } => span,
        }
    }
}

pub struct DepGraph {
    graph: DiGraph<Node, Edge>,
    index: HashMap<Node, NodeIndex>,
}

impl DepGraph {
    pub fn build(p: &Program) -> DepGraph {
        let mut g = DepGraph {
            graph: DiGraph::new(),
            index: HashMap::new(),
        };
        let ids = |n: usize| 0..n as u32;
        ids(p.classes.len()).for_each(|i| g.node(Node::Class(ClassId(i))));
        ids(p.services.len()).for_each(|i| g.node(Node::Service(ServiceId(i))));
        ids(p.secrets.len()).for_each(|i| g.node(Node::Secret(SecretId(i))));
        ids(p.meshes.len()).for_each(|i| g.node(Node::Mesh(MeshId(i))));
        ids(p.virtual_destinations.len())
            .for_each(|i| g.node(Node::VirtualDestination(VirtualDestinationId(i))));
        for (i, u) in p.upstreams.iter().enumerate() {
            let me = Node::Upstream(UpstreamId(i as u32));
            g.node(me);
            g.edge(
                me,
                Node::Service(u.service.value),
                Edge::UpstreamService {
                    span: u.service.span,
                },
            );
        }
        for (i, gw) in p.gateways.iter().enumerate() {
            let me = Node::Gateway(GatewayId(i as u32));
            g.node(me);
            if let ClassRef::Declared(c) = gw.class.value {
                g.edge(
                    me,
                    Node::Class(c),
                    Edge::Class {
                        span: gw.class.span,
                    },
                );
            }
            if let Some(mesh) = &gw.mesh {
                g.edge(me, Node::Mesh(mesh.value), Edge::Mesh { span: mesh.span });
            }
            for l in &gw.listeners {
                for cert in l.tls.iter().flat_map(|t| &t.certificates) {
                    g.edge(
                        me,
                        Node::Secret(cert.value),
                        Edge::Certificate { span: cert.span },
                    );
                }
            }
        }
        for (i, r) in p.routes.iter().enumerate() {
            let me = Node::Route(RouteId(i as u32));
            g.node(me);
            for parent in &r.parents {
                g.edge(
                    me,
                    Node::Gateway(parent.gateway),
                    Edge::Parent { span: parent.span },
                );
            }
            for parent in &r.service_parents {
                g.edge(
                    me,
                    Node::Service(parent.service),
                    Edge::Parent { span: parent.span },
                );
            }
            if let Some(mesh) = &r.mesh {
                g.edge(me, Node::Mesh(mesh.value), Edge::Mesh { span: mesh.span });
            }
            for rule in &r.rules {
                let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
                for b in rule.backends.iter().chain(mirrors) {
                    let target = match &b.target {
                        BackendTarget::Upstream(u) => Node::Upstream(*u),
                        BackendTarget::Service { service, .. } => Node::Service(*service),
                        BackendTarget::VirtualDestination { vd, .. } => {
                            Node::VirtualDestination(*vd)
                        }
                    };
                    g.edge(me, target, Edge::Backend { span: b.span });
                }
            }
        }
        g
    }

    fn node(&mut self, n: Node) {
        let idx = self.graph.add_node(n);
        self.index.insert(n, idx);
    }

    fn edge(&mut self, from: Node, to: Node, e: Edge) {
        if let (Some(&a), Some(&b)) = (self.index.get(&from), self.index.get(&to)) {
            self.graph.add_edge(a, b, e);
        }
    }

    /// Every edge as (user, dependency, why), in insertion order (deterministic).
    pub fn edges(&self) -> impl Iterator<Item = (Node, Node, Edge)> + '_ {
        self.graph
            .edge_references()
            .map(|e| (self.graph[e.source()], self.graph[e.target()], *e.weight()))
    }

    /// The definitions that reference `n`.
    pub fn users(&self, n: Node) -> impl Iterator<Item = (Node, Edge)> + '_ {
        let idx = self.index.get(&n).copied();
        idx.into_iter().flat_map(move |i| {
            self.graph
                .edges_directed(i, Direction::Incoming)
                .map(|e| (self.graph[e.source()], *e.weight()))
        })
    }
}
