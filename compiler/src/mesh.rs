//! What the meshes mean for the objects topoc writes, computed once and shared by the checks
//! and the renderers: which services a virtual destination selects, which Kuma mesh a gateway
//! or route belongs to, and the istio-proxy settings a gateway gets in each cluster.

use std::collections::HashMap;

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

/// Which services each virtual destination selects: the services whose labels contain its
/// `select` (all of them when `select` is empty) and that run in at least one cluster of its
/// mesh, in declaration order. Computed once per run ([`selections`]) and shared by the checks
/// and the renderer, which ask for it once per virtual destination and cluster.
#[derive(Debug, Default)]
pub struct Selections {
    by_vd: Vec<Vec<Selected>>,
}

impl Selections {
    /// The services `vd` selects, in declaration order.
    pub fn of(&self, vd: VirtualDestinationId) -> &[Selected] {
        self.by_vd.get(vd.index()).map_or(&[], Vec::as_slice)
    }
}

/// [`Selections`] for every virtual destination. Scanning every service for every virtual
/// destination costs virtual destinations × services; instead the services are indexed once
/// by the `(key, value)` labels some `select` asks for, and each virtual destination starts
/// from the shortest list of its labels and keeps the candidates that have the others. The
/// lists are in declaration order, so the selection is too.
pub fn selections(p: &Program, placement: &Placement) -> Selections {
    if p.virtual_destinations.is_empty() {
        return Selections::default();
    }
    // Lookups only: the map's order never reaches the result.
    let mut index: HashMap<(&str, &str), Vec<ServiceId>> = HashMap::new();
    for vd in &p.virtual_destinations {
        for (k, v) in &vd.select.value {
            index.entry((k.as_str(), v.as_str())).or_default();
        }
    }
    for (i, s) in p.services.iter().enumerate() {
        for (k, v) in &s.meta.labels {
            if let Some(services) = index.get_mut(&(k.as_str(), v.as_str())) {
                services.push(ServiceId(i as u32));
            }
        }
    }
    let all: Vec<ServiceId> = (0..p.services.len()).map(|i| ServiceId(i as u32)).collect();
    let by_vd = p
        .virtual_destinations
        .iter()
        .map(|vd| {
            let select = &vd.select.value;
            // Every pair of `select` is in the index; the rarest one bounds the candidates.
            let rarest = select
                .iter()
                .map(|(k, v)| {
                    index
                        .get(&(k.as_str(), v.as_str()))
                        .map_or(&[][..], Vec::as_slice)
                })
                .min_by_key(|services| services.len());
            let candidates = rarest.unwrap_or(&all);
            let mesh = &placement.meshes[vd.mesh.value.index()].clusters;
            candidates
                .iter()
                .filter(|id| {
                    let labels = &p.service(**id).meta.labels;
                    select.iter().all(|(k, v)| labels.get(k) == Some(v))
                })
                .filter_map(|&service| {
                    let mut clusters = placement.services[service.index()].clusters.clone();
                    clusters.intersect_with(mesh);
                    (!clusters.is_clear()).then_some(Selected { service, clusters })
                })
                .collect()
        })
        .collect();
    Selections { by_vd }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;

    /// The definition [`selections`] implements: every service, for every virtual destination.
    fn naive(p: &Program, placement: &Placement, vd: &VirtualDestination) -> Vec<Selected> {
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

    fn as_names(p: &Program, selected: &[Selected]) -> Vec<(String, Vec<usize>)> {
        selected
            .iter()
            .map(|s| {
                let name = p.service(s.service).meta.name.text.clone();
                (name, s.clusters.ones().collect())
            })
            .collect()
    }

    /// Services whose labels overlap (a label shared by many, some by few, one by a service
    /// outside the mesh), selected by one label, by several, by labels nobody has, and (a
    /// selector the language refuses, set here directly) by none at all, which selects every
    /// service of the mesh.
    #[test]
    fn the_label_index_selects_what_the_definition_does() {
        let text = r#"
cluster mgmt { role = management }
cluster a { }
cluster b { }
cluster c { }

mesh m { provider = istio  clusters = [a, b]  east-west = { a = "ew.a", b = "ew.b" } }

service s1 { namespace = "x"  labels = { app = "web", team = "t1", tier = "front" }  ports = [{ port = 80 }]  runs-in = [a] }
service s2 { namespace = "x"  labels = { app = "web", team = "t2" }                 ports = [{ port = 80 }]  runs-in = [a, b, c] }
service s3 { namespace = "x"  labels = { app = "api", team = "t1", tier = "front" }  ports = [{ port = 80 }]  runs-in = [b] }
service s4 { namespace = "x"  labels = { app = "web", team = "t1" }                 ports = [{ port = 80 }]  runs-in = [c] }
service s5 { namespace = "x"  labels = { team = "t1", tier = "front" }              ports = [{ port = 80 }]  runs-in = [b, c] }
service s6 { namespace = "x"  ports = [{ port = 80 }] }

virtual-destination by-app     { namespace = "x"  mesh = mesh.m  hosts = ["1.internal"]  ports = [{ number = 80 }]  select = { app = "web" } }
virtual-destination by-two     { namespace = "x"  mesh = mesh.m  hosts = ["2.internal"]  ports = [{ number = 80 }]  select = { app = "web", team = "t1" } }
virtual-destination by-three   { namespace = "x"  mesh = mesh.m  hosts = ["3.internal"]  ports = [{ number = 80 }]  select = { team = "t1", tier = "front", app = "api" } }
virtual-destination by-tier    { namespace = "x"  mesh = mesh.m  hosts = ["4.internal"]  ports = [{ number = 80 }]  select = { tier = "front" } }
virtual-destination nobody     { namespace = "x"  mesh = mesh.m  hosts = ["5.internal"]  ports = [{ number = 80 }]  select = { app = "web", team = "t9" } }
virtual-destination no-value   { namespace = "x"  mesh = mesh.m  hosts = ["6.internal"]  ports = [{ number = 80 }]  select = { app = "db" } }
virtual-destination everything { namespace = "x"  mesh = mesh.m  hosts = ["7.internal"]  ports = [{ number = 80 }]  select = { app = "web" } }
"#;
        let mut diags = Diagnostics::default();
        let loaded = crate::load::load_source("selections.topo", text, &mut diags);
        let (program, _) = crate::resolve::resolve(&loaded, &mut diags);
        let mut program = program.expect("the program resolves");
        let everything = program.virtual_destinations.len() - 1;
        program.virtual_destinations[everything]
            .select
            .value
            .clear();
        let graph = crate::graph::DepGraph::build(&program);
        let placement = crate::resolve::place::place(&program, &graph, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");

        let index = selections(&program, &placement);
        for (i, vd) in program.virtual_destinations.iter().enumerate() {
            let got = as_names(&program, index.of(VirtualDestinationId(i as u32)));
            let want = as_names(&program, &naive(&program, &placement, vd));
            assert_eq!(got, want, "virtual destination `{}`", vd.meta.name.text);
        }
        // The cases mean what they say: s4 runs outside the mesh, `select = {}` takes all.
        let names = |i: usize| -> Vec<String> {
            index
                .of(VirtualDestinationId(i as u32))
                .iter()
                .map(|s| program.service(s.service).meta.name.text.clone())
                .collect()
        };
        assert_eq!(names(0), ["s1", "s2"]);
        assert_eq!(names(1), ["s1"]);
        assert_eq!(names(2), ["s3"]);
        assert_eq!(names(3), ["s1", "s3", "s5"]);
        assert!(names(4).is_empty() && names(5).is_empty());
        assert_eq!(names(6), ["s1", "s2", "s3", "s5", "s6"]);
        assert!(index.of(VirtualDestinationId(99)).is_empty());
    }
}
