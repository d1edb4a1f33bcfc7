//! What the meshes mean for the objects topoc writes, computed once and shared by the checks
//! and the renderers: which services a virtual destination selects, which Kuma mesh a gateway
//! or route belongs to, and the istio-proxy settings a gateway gets in each cluster.

use crate::model::*;
use crate::resolve::place::{ClusterSet, Placement};

/// Kuma's mesh when none is named; objects of this mesh carry no `kuma.io/mesh` annotation.
pub const KUMA_DEFAULT_MESH: &str = "default";
/// The annotation that puts a Gateway or HTTPRoute in a Kuma mesh (seed 003, "Multi-mesh").
pub const KUMA_MESH_ANNOTATION: &str = "kuma.io/mesh";

/// A service a virtual destination selects, and the clusters of the mesh it runs in.
#[derive(Clone, Debug)]
pub struct Selected {
    pub service: ServiceId,
    pub clusters: ClusterSet,
}

/// The services whose labels contain the virtual destination's `select` and that run in at
/// least one cluster of its mesh, in declaration order.
pub fn selected(p: &Program, placement: &Placement, vd: &VirtualDestination) -> Vec<Selected> {
    let mesh = &placement.meshes[vd.mesh.value.index()].clusters;
    p.services
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            vd.select
                .value
                .iter()
                .all(|(k, v)| s.meta.labels.get(k) == Some(v))
        })
        .filter_map(|(i, _)| {
            let mut clusters = placement.services[i].clusters.clone();
            clusters.intersect_with(mesh);
            (!clusters.is_clear()).then_some(Selected {
                service: ServiceId(i as u32),
                clusters,
            })
        })
        .collect()
}

/// The Istio mesh a gateway joins, if it joins one.
pub fn istio_mesh<'p>(p: &'p Program, g: &Gateway) -> Option<&'p IstioMesh> {
    match &p.mesh(g.mesh.as_ref()?.value).provider {
        MeshProvider::Istio(istio) => Some(istio),
        MeshProvider::Kuma(_) => None,
    }
}

/// Whether Istio itself serves the gateway's class: its proxy is an Istio proxy already.
fn istio_native(p: &Program, g: &Gateway) -> bool {
    match &g.class.value {
        ClassRef::Declared(id) => Vendor::Istio
            .controllers()
            .contains(&p.class(*id).controller.value.as_str()),
        ClassRef::External(_) => false,
    }
}

/// Whether the gateway's proxy runs an istio-proxy (seed 001): it joins an Istio mesh, says
/// how to reach istiod itself, or is Istio's own gateway.
pub fn has_istio_integration(p: &Program, g: &Gateway) -> bool {
    istio_mesh(p, g).is_some() || g.parameters.is_some() || istio_native(p, g)
}

/// The name of the gateway's `GatewayParameters`, when it needs one: a Gloo Gateway proxy
/// with Istio integration (Istio's own gateways need none).
pub fn parameters_name(p: &Program, g: &Gateway) -> Option<String> {
    let needs = (istio_mesh(p, g).is_some() || g.parameters.is_some()) && !istio_native(p, g);
    needs.then(|| {
        g.parameters
            .as_ref()
            .and_then(|params| params.name.as_ref())
            .map_or_else(|| g.meta.name.text.clone(), |n| n.value.clone())
    })
}

/// Where a gateway asks for its GatewayParameters: its `parameters`, else its mesh, else (an
/// Istio-class gateway never gets here) its name.
pub fn parameters_span(g: &Gateway) -> crate::source::Span {
    g.parameters
        .as_ref()
        .map(|x| x.span)
        .or(g.mesh.as_ref().map(|m| m.span))
        .unwrap_or(g.meta.name.span)
}

/// The istio-proxy settings of a gateway in one cluster: what `parameters` says, else what its
/// mesh says, else (inside a mesh) the cluster's name, as seed 001 suggests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySettings {
    pub discovery_address: Option<String>,
    pub cluster_id: Option<String>,
    pub mesh_id: Option<String>,
    pub sds_image: Option<Image>,
}

pub fn proxy_settings(p: &Program, g: &Gateway, cluster: ClusterId) -> ProxySettings {
    let params = g.parameters.as_ref();
    let mesh = istio_mesh(p, g);
    let cluster_name = &p.cluster(cluster).name.text;
    let written = |f: fn(&IstioParameters) -> &Option<Spanned<String>>| {
        params.and_then(|x| f(x).as_ref()).map(|s| s.value.clone())
    };
    ProxySettings {
        discovery_address: written(|x| &x.discovery_address)
            .or_else(|| mesh.map(IstioMesh::discovery_address)),
        cluster_id: written(|x| &x.cluster_id).or_else(|| {
            mesh.map(|m| {
                m.cluster_ids
                    .get(&cluster)
                    .cloned()
                    .unwrap_or_else(|| cluster_name.clone())
            })
        }),
        mesh_id: written(|x| &x.mesh_id).or_else(|| {
            mesh.map(|m| {
                m.mesh_id
                    .as_ref()
                    .map_or_else(|| cluster_name.clone(), |id| id.value.clone())
            })
        }),
        sds_image: params.and_then(|x| x.sds_image.clone()),
    }
}

/// The Kuma mesh a gateway belongs to, if it names one.
pub fn gateway_kuma_mesh(p: &Program, g: &Gateway) -> Option<MeshId> {
    let id = g.mesh.as_ref()?.value;
    matches!(p.mesh(id).provider, MeshProvider::Kuma(_)).then_some(id)
}

/// The Kuma mesh a route belongs to: the one it names, else its first parent gateway's.
pub fn route_kuma_mesh(p: &Program, r: &Route) -> Option<MeshId> {
    match &r.mesh {
        Some(m) => matches!(p.mesh(m.value).provider, MeshProvider::Kuma(_)).then_some(m.value),
        None => r
            .parents
            .iter()
            .find_map(|pr| gateway_kuma_mesh(p, p.gateway(pr.gateway))),
    }
}

/// The `kuma.io/mesh` annotation value for a mesh, when it is not Kuma's default mesh.
pub fn kuma_annotation(p: &Program, mesh: Option<MeshId>) -> Option<&str> {
    let name = p.mesh(mesh?).name.text.as_str();
    (name != KUMA_DEFAULT_MESH).then_some(name)
}

/// The cluster running a Kuma mesh's global control plane, for every Kuma mesh that has one.
pub fn global_zones(p: &Program) -> impl Iterator<Item = (&Mesh, Spanned<ClusterId>)> {
    p.meshes.iter().filter_map(|m| match &m.provider {
        MeshProvider::Kuma(KumaMesh {
            global: Some(g), ..
        }) => Some((m, g.clone())),
        _ => None,
    })
}

/// The trust domain the Istio mesh of `cluster` declares, if the cluster is in one that does.
pub fn trust_domain<'p>(
    p: &'p Program,
    placement: &Placement,
    cluster: ClusterId,
) -> Option<&'p str> {
    p.meshes
        .iter()
        .enumerate()
        .find_map(|(i, m)| match &m.provider {
            MeshProvider::Istio(istio)
                if placement.meshes[i].clusters.contains(cluster.index()) =>
            {
                istio.trust_domain.as_ref().map(|t| t.value.as_str())
            }
            _ => None,
        })
}
