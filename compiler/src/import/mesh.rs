//! Meshes (seed 001: Istio with Gloo Platform VirtualDestinations; seed 003: Kong Mesh / Kuma).
//!
//! Per object, the VirtualDestination (`networking.gloo.solo.io/v2`) becomes a
//! `virtual-destination`. Three kinds say something about other definitions instead, and are
//! read once every object is ([`reconstruct`]), the inverse of `render/mesh.rs`:
//!
//! - the ServiceEntry of a virtual destination, written into every workload cluster of its
//!   mesh, is derived output like the other build artefacts: it is not imported, but the
//!   clusters holding it are the mesh's clusters, its endpoints through an east-west gateway
//!   are the mesh's `east-west`, and its local endpoints are the services the virtual
//!   destination selects (so they have its `select` labels, its ports, and run there);
//! - a GatewayParameters (`gateway.kgateway.dev`) is the `parameters` of the Gateways that name
//!   it; its istiod address gives the Istio mesh's `revision` and `istiod-namespace`, and what
//!   the mesh implies (each cluster's name as cluster and mesh ID) is left out of `parameters`;
//! - a MeshGatewayConfig (`kuma.io`) is the `parameters` of the GatewayClass that names it.
//!
//! A Kuma mesh is named by the `kuma.io/mesh` annotations of Gateways and HTTPRoutes (read by
//! [`super::object`]); it spans every Kuma zone of the manifests. What the manifests cannot say
//! (an Istio mesh's name, an istiod revision no gateway shows, Kuma zone names and the global
//! zone) is left to topoc's defaults and reported with N0501; a virtual destination without any
//! ServiceEntry has no known mesh (E0511).

use std::collections::{BTreeMap, BTreeSet};

use super::build;
use super::fields::{key_ident, Cx, Fields, Ref};
use super::gateway_api::word;
use super::httproute::ISTIO_GROUP;
use super::object::{key_span, Converted, Def, KindImporter, Object};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{Attr, Block, Entry, Ident, Value, ValueKind};
use crate::yaml::{Node, NodeValue};

pub(crate) const KINDS: &[KindImporter] = &[
    KindImporter {
        group: "networking.gloo.solo.io",
        kind: "VirtualDestination",
        import: virtual_destination,
    },
    KindImporter {
        group: ISTIO_GROUP,
        kind: "ServiceEntry",
        import: service_entry,
    },
    KindImporter {
        group: "gateway.kgateway.dev",
        kind: "GatewayParameters",
        import: gateway_parameters,
    },
    KindImporter {
        group: "kuma.io",
        kind: "MeshGatewayConfig",
        import: mesh_gateway_config,
    },
];

/// Istio's port for cross-network mTLS through an east-west gateway (`render/mesh.rs`).
const EAST_WEST_PORT: i64 = 15443;
/// The label of a ServiceEntry endpoint that names its cluster.
const CLUSTER_LABEL: &str = "topology.istio.io/cluster";
/// The port of istiod's discovery service (`IstioMesh::discovery_address`).
const DISCOVERY_SUFFIX: &str = ".svc:15012";
/// Istio's default control-plane namespace (`resolve/mesh.rs`).
const ISTIOD_NAMESPACE: &str = "istio-system";
/// The name of an Istio mesh the manifests do not name.
const ISTIO_MESH_NAME: &str = "istio-mesh";

/// The kinds read by [`reconstruct`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PartKind {
    ServiceEntry,
    GatewayParameters,
    MeshGatewayConfig,
}

impl PartKind {
    fn kind(self) -> &'static str {
        match self {
            PartKind::ServiceEntry => "ServiceEntry",
            PartKind::GatewayParameters => "GatewayParameters",
            PartKind::MeshGatewayConfig => "MeshGatewayConfig",
        }
    }
}

/// An object read by [`reconstruct`]: where it is, and its `spec` as written.
pub(crate) struct Part {
    pub kind: PartKind,
    pub cluster: String,
    pub file: FileId,
    pub name: String,
    pub name_span: Span,
    pub namespace: String,
    /// The key of its first label or annotation other than topoc's own, if it has any.
    pub metadata: Option<Span>,
    pub spec: Option<Node>,
}

fn part(kind: PartKind) -> impl Fn(&mut Fields<'_>) -> Converted {
    move |top| {
        top.take("spec");
        Converted::Part(kind)
    }
}

fn service_entry(_cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    part(PartKind::ServiceEntry)(top)
}

fn gateway_parameters(_cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    part(PartKind::GatewayParameters)(top)
}

fn mesh_gateway_config(_cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    part(PartKind::MeshGatewayConfig)(top)
}

// ---------------------------------------------------------------------------------------------
// VirtualDestination → `virtual-destination` (its `mesh` is added by `reconstruct`)
// ---------------------------------------------------------------------------------------------

fn virtual_destination(cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    let mut entries = Vec::new();
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            if let Some(h) = f.take("hosts") {
                let k = key_span(cx, &f, "hosts", h);
                let at = f.at("hosts");
                let items = cx
                    .seq(h, &at)
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| cx.string(n, &format!("{at}[{i}]")))
                    .collect();
                entries.push(build::attr("hosts", k, build::list(items, cx.span(h))));
            }
            if let Some(p) = f.take("ports") {
                let k = key_span(cx, &f, "ports", p);
                let at = f.at("ports");
                let mut items = Vec::new();
                for (i, item) in cx.seq(p, &at).iter().enumerate() {
                    if let Some(v) = vd_port(cx, item, &format!("{at}[{i}]")) {
                        items.push(v);
                    }
                }
                entries.push(build::attr("ports", k, build::list(items, cx.span(p))));
            }
            if let Some(s) = f.take("services") {
                let k = key_span(cx, &f, "services", s);
                let at = f.at("services");
                let list = cx.seq(s, &at);
                for (i, extra) in list.iter().enumerate().skip(1) {
                    cx.unsupported(
                        extra,
                        &format!("{at}[{i}]"),
                        "a virtual destination selects services by one set of labels in topoc",
                    );
                }
                if let Some(first) = list.first() {
                    let path = format!("{at}[0]");
                    if let Some(mut sf) = cx.fields(first, &path) {
                        if let Some(labels) = sf.take("labels") {
                            if let Some(v) = cx.string_map(labels, &sf.at("labels")) {
                                entries.push(build::attr("select", k, v));
                            }
                        }
                        sf.finish(cx);
                    }
                }
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "virtual-destination",
        namespaced: true,
        entries,
    }
}

/// `{ number, protocol, targetPort: { number } }` → `{ number, protocol, target-port }`.
fn vd_port(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    f.copy(cx, "number", "number", &mut record, Cx::int)?;
    if let Some(p) = f.take("protocol") {
        let k = key_ident(cx, "protocol", f.key("protocol").unwrap_or(p));
        let text = cx.text(p, &f.at("protocol"))?;
        record.push((k, word(text, cx.span(p))));
    }
    if let Some(t) = f.take("targetPort") {
        let at = f.at("targetPort");
        let mut tf = cx.fields(t, &at)?;
        tf.copy(cx, "number", "target-port", &mut record, Cx::int)?;
        tf.finish(cx);
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

// ---------------------------------------------------------------------------------------------
// Reconstruction
// ---------------------------------------------------------------------------------------------

/// What [`reconstruct`] adds to the imported definitions.
#[derive(Default)]
pub(crate) struct Reconstructed {
    pub meshes: Vec<MeshDef>,
    /// Services the ServiceEntries show, with what they show of them.
    pub services: Vec<ServiceEvidence>,
    /// References to those services (their namespace and ports), for the declarations of
    /// services the manifests only reference.
    pub refs: Vec<Ref>,
    /// Clusters the consumed objects are in or name: they exist.
    pub clusters: Vec<(String, Span)>,
}

/// A `mesh` definition without its `clusters`, which placement writes (as `all`, a selector
/// or a list).
pub(crate) struct MeshDef {
    pub block: Block,
    pub clusters: BTreeSet<String>,
    pub comment: String,
}

/// A service a virtual destination selects, as its ServiceEntries show it.
#[derive(Clone, Debug)]
pub(crate) struct ServiceEvidence {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// The clusters it runs in (a local endpoint of the ServiceEntry there).
    pub clusters: BTreeSet<String>,
}

/// Read the parts into the definitions: meshes, virtual destinations' `mesh`, gateway and
/// class `parameters`, and the Istio hostnames of route backends.
pub(crate) fn reconstruct(
    defs: &mut Vec<Def>,
    parts: Vec<Part>,
    diags: &mut Vec<Diagnostic>,
) -> Reconstructed {
    let mut used = vec![false; parts.len()];
    let mut out = Reconstructed::default();
    class_parameters(defs, &parts, &mut used, diags);
    let kuma = kuma_meshes(defs, &parts);
    let mut taken: BTreeSet<String> = kuma.keys().cloned().collect();
    let istio = istio_meshes(defs, &parts, &mut used, &mut taken, &mut out, diags);
    for (name, mesh) in kuma {
        out.meshes.push(mesh.into_def(&name, diags));
    }
    out.meshes.extend(istio);
    for (i, p) in parts.iter().enumerate() {
        if used[i] {
            if let Some(at) = p.metadata {
                diags.push(
                    Diagnostic::new(
                        Code::ImportUnrepresentable,
                        format!(
                            "the labels and annotations of {} `{}` cannot be represented in topoc",
                            p.kind.kind(),
                            p.name
                        ),
                        at,
                        "topoc writes this object with its own label only",
                    )
                    .with_help("remove them, or manage this object outside topoc (docs/adopting.md lists what topoc represents)"),
                );
            }
            out.clusters.push((p.cluster.clone(), p.name_span));
            continue;
        }
        let what = match p.kind {
            PartKind::ServiceEntry => "the ServiceEntry of a virtual destination",
            PartKind::GatewayParameters => "the parameters of a Gateway",
            PartKind::MeshGatewayConfig => "the parameters of a GatewayClass",
        };
        diags.push(
            Diagnostic::new(
                Code::ImportForeignKind,
                format!(
                    "{} `{}` is not {what} in the manifests; it is left out",
                    p.kind.kind(),
                    p.name
                ),
                p.name_span,
                "not imported",
            )
            .with_help("keep deploying this object as you do today; topoc writes one only for a definition that uses it"),
        );
    }
    out
}

/// A `Cx` for reading a part's fields, its diagnostics appended to `diags` by [`drain`].
fn cx_for(file: FileId) -> Cx {
    Cx {
        file,
        diags: Vec::new(),
        refs: Vec::new(),
        needs: None,
        revisions: Vec::new(),
    }
}

fn drain(cx: Cx, diags: &mut Vec<Diagnostic>) {
    diags.extend(cx.diags);
}

fn attr_index(block: &Block, key: &str) -> Option<usize> {
    block
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Attr(a) if a.key.name == key))
}

fn attr_mut<'a>(block: &'a mut Block, key: &str) -> Option<&'a mut Attr> {
    block.entries.iter_mut().find_map(|e| match e {
        Entry::Attr(a) if a.key.name == key => Some(a),
        _ => None,
    })
}

fn remove_attr(block: &mut Block, key: &str) {
    block
        .entries
        .retain(|e| !matches!(e, Entry::Attr(a) if a.key.name == key));
}

/// Insert after `namespace`, `labels` and `annotations`.
fn insert_after_metadata(block: &mut Block, entry: Entry) {
    let at = block
        .entries
        .iter()
        .take_while(|e| matches!(e, Entry::Attr(a) if matches!(a.key.name.as_str(), "namespace" | "labels" | "annotations")))
        .count();
    block.entries.insert(at, entry);
}

/// The `name` of a `parameters = { name = "..." }` placeholder, with its span.
fn placeholder_name(block: &Block) -> Option<(String, Span)> {
    let v = build::get(block, "parameters")?;
    let ValueKind::Map(entries) = &v.kind else {
        return None;
    };
    entries.iter().find_map(|(k, v)| match &v.kind {
        ValueKind::Str(s) if k.name == "name" => Some((s.clone(), v.span)),
        _ => None,
    })
}

fn def_name_span(def: &Def) -> Span {
    def.block.name.as_ref().map_or(def.block.span, |n| n.span)
}

fn not_in_cluster(kind: &str, name: &str, cluster: &str, at: Span, user: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ImportUnrepresentable,
        format!("{user} names {kind} `{name}`, which is not in the manifests of cluster {cluster}"),
        at,
        format!("no {kind} `{name}` in {cluster}"),
    )
    .with_help(format!(
        "topoc writes the {kind} from the definition that uses it: import the manifests that hold it, or remove the reference"
    ))
}

// --- Kuma ------------------------------------------------------------------------------------

/// GatewayClass `parametersRef` → the MeshGatewayConfig's settings in the class's `parameters`.
fn class_parameters(
    defs: &mut [Def],
    parts: &[Part],
    used: &mut [bool],
    diags: &mut Vec<Diagnostic>,
) {
    for def in defs.iter_mut().filter(|d| d.keyword == "class") {
        let Some((name, at)) = placeholder_name(&def.block) else {
            continue;
        };
        let found = parts.iter().position(|p| {
            p.kind == PartKind::MeshGatewayConfig && p.cluster == def.cluster && p.name == name
        });
        let Some(i) = found else {
            diags.push(not_in_cluster(
                "MeshGatewayConfig",
                &name,
                &def.cluster,
                at,
                &format!("GatewayClass `{}`", def.name),
            ));
            remove_attr(&mut def.block, "parameters");
            continue;
        };
        used[i] = true;
        let p = &parts[i];
        let mut cx = cx_for(p.file);
        let mut record = Vec::new();
        if name != def.name {
            // The config is named after the class unless `name` says otherwise.
            record.push((build::ident("name", at), build::string(&name, at)));
        }
        if let Some(spec) = &p.spec {
            mesh_gateway_config_spec(&mut cx, spec, &mut record);
        }
        drain(cx, diags);
        if let Some(a) = attr_mut(&mut def.block, "parameters") {
            a.value = build::map(record, a.value.span);
        }
    }
}

fn mesh_gateway_config_spec(cx: &mut Cx, spec: &Node, record: &mut Vec<(Ident, Value)>) {
    let Some(mut f) = cx.fields(spec, "spec") else {
        return;
    };
    let _ = f.copy(cx, "crossMesh", "cross-mesh", record, Cx::boolean);
    let _ = f.copy(cx, "replicas", "replicas", record, Cx::int);
    if let Some(t) = f.take("serviceType") {
        let k = key_ident(cx, "service-type", f.key("serviceType").unwrap_or(t));
        if let Some(text) = cx.text(t, &f.at("serviceType")) {
            record.push((k, word(text, cx.span(t))));
        }
    }
    let _ = f.copy(cx, "tags", "tags", record, Cx::string_map);
    f.finish(cx);
}

/// A Kuma mesh named by `kuma.io/mesh`: where it is first named, and the Kuma zones.
struct KumaMesh {
    span: Span,
    zones: BTreeSet<String>,
}

impl KumaMesh {
    fn into_def(self, name: &str, diags: &mut Vec<Diagnostic>) -> MeshDef {
        let span = self.span;
        diags.push(
            Diagnostic::new(
                Code::ImportMeshUnknown,
                format!("the zone names and the global zone of Kuma mesh `{name}` are not in the manifests"),
                span,
                "the mesh is declared from this annotation",
            )
            .with_help("the imported mesh spans the clusters where the manifests show Kuma, each zone named after its cluster: add `zones` and `global` to it"),
        );
        MeshDef {
            block: build::block(
                "mesh",
                Some(build::ident(name, span)),
                vec![build::attr("provider", span, build::path(&["kuma"], span))],
                span,
            ),
            clusters: self.zones,
            comment: "Not in the manifests: declared from the `kuma.io/mesh` annotations, in every cluster that shows Kuma; zone names and the global zone are left out.".into(),
        }
    }
}

/// Whether a class definition is served by Kuma.
fn is_kuma_class(def: &Def) -> bool {
    def.keyword == "class"
        && matches!(build::get(&def.block, "controller").map(|v| &v.kind),
            Some(ValueKind::Str(c)) if crate::model::Vendor::Kuma.controllers().contains(&c.as_str()))
}

/// The `mesh.NAME` a definition names, if any.
fn mesh_ref(def: &Def) -> Option<(String, Span)> {
    match build::get(&def.block, "mesh").map(|v| (&v.kind, v.span)) {
        Some((ValueKind::Path(p), span)) if p.len() == 2 && p[0].name == "mesh" => {
            Some((p[1].name.clone(), span))
        }
        _ => None,
    }
}

/// The Kuma meshes the annotations name. The clusters that show Kuma (a GatewayClass of its
/// controller, a MeshGatewayConfig, an object in a named mesh) are its zones: a Kuma mesh
/// exists in every zone of the deployment.
fn kuma_meshes(defs: &[Def], parts: &[Part]) -> BTreeMap<String, KumaMesh> {
    let mut zones = BTreeSet::new();
    let mut named: BTreeMap<String, Span> = BTreeMap::new();
    for def in defs {
        if is_kuma_class(def) {
            zones.insert(def.cluster.clone());
        }
        if !matches!(def.keyword, "gateway" | "route") {
            continue;
        }
        if let Some((name, span)) = mesh_ref(def) {
            zones.insert(def.cluster.clone());
            named.entry(name).or_insert(span);
        }
    }
    for p in parts {
        if p.kind == PartKind::MeshGatewayConfig {
            zones.insert(p.cluster.clone());
        }
    }
    named
        .into_iter()
        .map(|(name, span)| {
            (
                name,
                KumaMesh {
                    span,
                    zones: zones.clone(),
                },
            )
        })
        .collect()
}

// --- Istio -----------------------------------------------------------------------------------

/// A virtual destination as imported: what its ServiceEntries must repeat.
struct Vd {
    name: String,
    namespace: String,
    span: Span,
    hosts: Vec<String>,
    /// (number, protocol, the port of the selected services).
    ports: Vec<(i64, String, i64)>,
    select: BTreeMap<String, String>,
}

impl Vd {
    fn read(def: &Def) -> Vd {
        let b = &def.block;
        let strings = |v: Option<&Value>| -> Vec<String> {
            match v.map(|v| &v.kind) {
                Some(ValueKind::List(items)) => items
                    .iter()
                    .filter_map(|i| match &i.kind {
                        ValueKind::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut ports = Vec::new();
        if let Some(ValueKind::List(items)) = build::get(b, "ports").map(|v| &v.kind) {
            for item in items {
                let ValueKind::Map(entries) = &item.kind else {
                    continue;
                };
                let get = |key: &str| entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v);
                let number = match get("number").map(|v| &v.kind) {
                    Some(ValueKind::Int(n)) => *n,
                    _ => continue,
                };
                let protocol = match get("protocol").map(|v| &v.kind) {
                    Some(ValueKind::Path(p)) if p.len() == 1 => p[0].name.clone(),
                    Some(ValueKind::Str(s)) => s.clone(),
                    // Gloo Platform's default (`resolve/mesh.rs`).
                    _ => "HTTP".into(),
                };
                let target = match get("target-port").map(|v| &v.kind) {
                    Some(ValueKind::Int(n)) => *n,
                    _ => number,
                };
                ports.push((number, protocol, target));
            }
        }
        let select = build::string_map(b, "select");
        Vd {
            name: def.name.clone(),
            namespace: def.namespace.clone().unwrap_or_default(),
            span: def_name_span(def),
            hosts: strings(build::get(b, "hosts")),
            ports,
            select,
        }
    }

    /// The ServiceEntry's port names: `render/mesh.rs` names them `PROTOCOL-NUMBER`.
    fn port_name(protocol: &str, number: i64) -> String {
        format!("{}-{number}", protocol.to_ascii_lowercase())
    }
}

/// What one ServiceEntry of a virtual destination shows.
#[derive(Default)]
struct Entries {
    /// Local endpoints: (service, namespace, span).
    local: Vec<(String, String, Span)>,
    /// Endpoints through another cluster's east-west gateway: (cluster, address, span).
    remote: Vec<(String, String, Span)>,
}

/// The ServiceEntries of one virtual destination: the mesh's clusters they show, and what
/// each shows, by cluster.
type Seen = (BTreeSet<String>, Vec<(String, Entries)>);

/// Read a ServiceEntry of `vd` in `here`; what does not match what topoc writes is E0501.
fn read_service_entry(cx: &mut Cx, vd: &Vd, here: &str, spec: &Node) -> Entries {
    let mut out = Entries::default();
    let Some(mut f) = cx.fields(spec, "spec") else {
        return out;
    };
    let differs = |cx: &mut Cx, node: &Node, path: &str, what: &str| {
        cx.unsupported(
            node,
            path,
            &format!(
                "topoc writes it from virtual destination `{}`: {what}",
                vd.name
            ),
        );
    };
    if let Some(h) = f.take("hosts") {
        let hosts: Vec<Option<&str>> = cx.seq(h, "spec.hosts").iter().map(Node::as_str).collect();
        let want: Vec<Option<&str>> = vd.hosts.iter().map(|s| Some(s.as_str())).collect();
        if hosts != want {
            differs(cx, h, "spec.hosts", "its hosts");
        }
    }
    for (field, want) in [("location", "MESH_INTERNAL"), ("resolution", "DNS")] {
        if let Some(v) = f.take(field) {
            if v.as_str() != Some(want) {
                let at = f.at(field);
                differs(cx, v, &at, &format!("`{want}`"));
            }
        }
    }
    if let Some(p) = f.take("ports") {
        let got: Vec<Option<(String, i64, String)>> = cx
            .seq(p, "spec.ports")
            .iter()
            .map(service_entry_port)
            .collect();
        let want: Vec<Option<(String, i64, String)>> = vd
            .ports
            .iter()
            .map(|(n, proto, _)| Some((Vd::port_name(proto, *n), *n, proto.clone())))
            .collect();
        if got != want {
            differs(cx, p, "spec.ports", "the ports of the virtual destination");
        }
    }
    if let Some(list) = f.take("endpoints") {
        for (i, e) in cx.seq(list, "spec.endpoints").iter().enumerate() {
            endpoint(cx, vd, here, e, &format!("spec.endpoints[{i}]"), &mut out);
        }
    }
    f.finish(cx);
    out
}

/// `{ name, number, protocol }` and nothing else.
fn service_entry_port(node: &Node) -> Option<(String, i64, String)> {
    let NodeValue::Map(entries) = &node.value else {
        return None;
    };
    if entries.len() != 3 {
        return None;
    }
    let number = match node.get("number")?.value {
        NodeValue::Int(i) => i,
        _ => return None,
    };
    Some((
        node.get("name")?.as_str()?.to_string(),
        number,
        node.get("protocol")?.as_str()?.to_string(),
    ))
}

fn endpoint(cx: &mut Cx, vd: &Vd, here: &str, node: &Node, path: &str, out: &mut Entries) {
    let Some(mut f) = cx.fields(node, path) else {
        return;
    };
    let address = f.take("address");
    let labels = f.take("labels");
    let network = f.take("network");
    let ports = f.take("ports");
    f.finish(cx);
    let what = format!(
        "a ServiceEntry endpoint of virtual destination `{}` is a selected service of the cluster, or another cluster's east-west gateway",
        vd.name
    );
    let cluster = labels.and_then(|l| match &l.value {
        NodeValue::Map(entries) if entries.len() == 1 => {
            l.get(CLUSTER_LABEL).and_then(Node::as_str)
        }
        _ => None,
    });
    let (Some(address_node), Some(cluster), Some(ports)) = (address, cluster, ports) else {
        cx.unsupported(node, path, &what);
        return;
    };
    let Some(address) = cx.text(address_node, &format!("{path}.address")) else {
        return;
    };
    let span = cx.span(address_node);
    let names: BTreeSet<String> = vd
        .ports
        .iter()
        .map(|(n, proto, _)| Vd::port_name(proto, *n))
        .collect();
    let port_map: Option<BTreeMap<String, i64>> = match &ports.value {
        NodeValue::Map(entries) => entries
            .iter()
            .map(|(k, v)| match v.value {
                NodeValue::Int(i) => Some((k.key_text(), i)),
                _ => None,
            })
            .collect(),
        _ => None,
    };
    let keys_ok = port_map
        .as_ref()
        .is_some_and(|m| m.keys().cloned().collect::<BTreeSet<_>>() == names);
    if cluster == here {
        let service = address
            .strip_suffix(".svc.cluster.local")
            .and_then(|s| s.split_once('.'))
            .filter(|(s, ns)| !s.is_empty() && !ns.is_empty() && !ns.contains('.'));
        let ports_ok = keys_ok
            && port_map.as_ref().is_some_and(|m| {
                vd.ports
                    .iter()
                    .all(|(n, proto, target)| m.get(&Vd::port_name(proto, *n)) == Some(target))
            });
        match service {
            Some((s, ns)) if network.is_none() && ports_ok => {
                out.local.push((s.to_string(), ns.to_string(), span));
            }
            _ => cx.unsupported(node, path, &what),
        }
    } else {
        let network_ok = network.and_then(Node::as_str) == Some(cluster);
        let ports_ok = keys_ok
            && port_map
                .as_ref()
                .is_some_and(|m| m.values().all(|p| *p == EAST_WEST_PORT));
        if network_ok && ports_ok {
            out.remote
                .push((cluster.to_string(), address.to_string(), span));
        } else {
            cx.unsupported(node, path, &what);
        }
    }
}

/// The settings of one GatewayParameters.
#[derive(Clone, Default)]
struct Params {
    discovery: Option<(String, Span)>,
    cluster_id: Option<(String, Span)>,
    mesh_id: Option<(String, Span)>,
    sds_image: Option<(String, Span)>,
}

impl Params {
    fn istio_complete(&self) -> bool {
        self.discovery.is_some() && self.cluster_id.is_some() && self.mesh_id.is_some()
    }
}

fn read_parameters(cx: &mut Cx, spec: &Node) -> Params {
    let mut out = Params::default();
    let Some(mut f) = cx.fields(spec, "spec") else {
        return out;
    };
    if let Some(kube) = f.take("kube") {
        if let Some(mut kf) = cx.fields(kube, "spec.kube") {
            if let Some(istio) = kf.take("istio") {
                if let Some(mut i) = cx.fields(istio, "spec.kube.istio") {
                    if let Some(proxy) = i.take("istioProxyContainer") {
                        let path = i.at("istioProxyContainer");
                        if let Some(mut pf) = cx.fields(proxy, &path) {
                            for (field, slot) in [
                                ("istioDiscoveryAddress", &mut out.discovery),
                                ("istioMetaClusterId", &mut out.cluster_id),
                                ("istioMetaMeshId", &mut out.mesh_id),
                            ] {
                                if let Some(v) = pf.take(field) {
                                    let at = pf.at(field);
                                    *slot = cx.text(v, &at).map(|s| (s.to_string(), cx.span(v)));
                                }
                            }
                            pf.finish(cx);
                        }
                    }
                    i.finish(cx);
                }
            }
            if let Some(sds) = kf.take("sdsContainer") {
                if let Some(mut sf) = cx.fields(sds, "spec.kube.sdsContainer") {
                    if let Some(image) = sf.take("image") {
                        let at = sf.at("image");
                        out.sds_image = read_image(cx, image, &at);
                    }
                    sf.finish(cx);
                }
            }
            kf.finish(cx);
        }
    }
    f.finish(cx);
    out
}

/// `{ registry, repository, tag }` → `REGISTRY/REPOSITORY:TAG`, when topoc splits it back
/// into the same parts.
fn read_image(cx: &mut Cx, node: &Node, path: &str) -> Option<(String, Span)> {
    let mut f = cx.fields(node, path)?;
    let part = |f: &mut Fields<'_>, cx: &mut Cx, key: &str| -> Option<Option<String>> {
        match f.take(key) {
            Some(v) => Some(Some(cx.text(v, &f.at(key))?.to_string())),
            None => Some(None),
        }
    };
    let registry = part(&mut f, cx, "registry")?;
    let repository = part(&mut f, cx, "repository")?;
    let tag = part(&mut f, cx, "tag")?;
    f.finish(cx);
    let Some(repository) = repository else {
        cx.invalid(node, path, "an image with a `repository`");
        return None;
    };
    let mut text = String::new();
    if let Some(r) = &registry {
        text.push_str(r);
        text.push('/');
    }
    text.push_str(&repository);
    if let Some(t) = &tag {
        text.push(':');
        text.push_str(t);
    }
    let same = crate::resolve::parse_image(&text)
        .is_some_and(|i| i.registry == registry && i.repository == repository && i.tag == tag);
    if !same {
        cx.unsupported(
            node,
            path,
            "topoc writes an image as REGISTRY/REPOSITORY:TAG, split at the last `/` and `:`",
        );
        return None;
    }
    Some((text, cx.span(node)))
}

/// `istiod[-REVISION].NAMESPACE.svc:15012` → (revision, namespace).
fn parse_discovery(address: &str) -> Option<(Option<String>, String)> {
    let host = address.strip_suffix(DISCOVERY_SUFFIX)?;
    let (service, namespace) = host.split_once('.')?;
    if namespace.is_empty() {
        return None;
    }
    let revision = match service.strip_prefix("istiod") {
        Some("") => None,
        Some(rest) => Some(
            rest.strip_prefix('-')
                .filter(|r| !r.is_empty())?
                .to_string(),
        ),
        None => return None,
    };
    Some((revision, namespace.to_string()))
}

/// The istiod address of a mesh (`IstioMesh::discovery_address`).
fn discovery_address(revision: Option<&str>, namespace: &str) -> String {
    match revision {
        Some(r) => format!("istiod-{r}.{namespace}{DISCOVERY_SUFFIX}"),
        None => format!("istiod.{namespace}{DISCOVERY_SUFFIX}"),
    }
}

/// An Istio mesh as reconstructed.
struct IstioMesh {
    clusters: BTreeSet<String>,
    vds: Vec<String>,
    /// The first virtual destination's name, for diagnostics.
    span: Span,
    east_west: BTreeMap<String, (String, Span)>,
    revision: Option<Option<String>>,
    istiod_namespace: String,
    mesh_id: Option<String>,
    cluster_ids: BTreeMap<String, String>,
}

impl IstioMesh {
    fn new(clusters: BTreeSet<String>, span: Span) -> IstioMesh {
        IstioMesh {
            clusters,
            vds: Vec::new(),
            span,
            east_west: BTreeMap::new(),
            revision: None,
            istiod_namespace: ISTIOD_NAMESPACE.into(),
            mesh_id: None,
            cluster_ids: BTreeMap::new(),
        }
    }

    /// istiod, the mesh ID and the cluster IDs: what the GatewayParameters of the mesh's
    /// gateways (`copies`, by cluster) agree on.
    fn settle(&mut self, copies: &[&(String, Params)]) {
        let parsed: Vec<Option<(Option<String>, String)>> = copies
            .iter()
            .map(|(_, p)| p.discovery.as_ref().and_then(|(d, _)| parse_discovery(d)))
            .collect();
        let distinct: BTreeSet<&Option<(Option<String>, String)>> = parsed.iter().collect();
        if let (1, Some(Some((revision, namespace)))) = (distinct.len(), parsed.first()) {
            self.revision = Some(revision.clone());
            self.istiod_namespace = namespace.clone();
        }
        let mesh_ids: BTreeSet<&str> = copies
            .iter()
            .filter_map(|(_, p)| p.mesh_id.as_ref().map(|(s, _)| s.as_str()))
            .collect();
        let by_cluster = copies
            .iter()
            .all(|(c, p)| p.mesh_id.as_ref().is_some_and(|(s, _)| s == c));
        if !by_cluster && mesh_ids.len() == 1 {
            self.mesh_id = mesh_ids.into_iter().next().map(str::to_string);
        }
        for cluster in &self.clusters {
            let ids: BTreeSet<&str> = copies
                .iter()
                .filter(|(c, _)| c == cluster)
                .filter_map(|(_, p)| p.cluster_id.as_ref().map(|(s, _)| s.as_str()))
                .collect();
            if let (1, Some(id)) = (ids.len(), ids.first()) {
                if id != cluster {
                    self.cluster_ids.insert(cluster.clone(), id.to_string());
                }
            }
        }
    }

    fn discovery(&self) -> String {
        discovery_address(
            self.revision.clone().flatten().as_deref(),
            &self.istiod_namespace,
        )
    }

    fn cluster_id(&self, cluster: &str) -> String {
        self.cluster_ids
            .get(cluster)
            .cloned()
            .unwrap_or_else(|| cluster.to_string())
    }

    fn mesh_id(&self, cluster: &str) -> String {
        self.mesh_id.clone().unwrap_or_else(|| cluster.to_string())
    }
}

/// A gateway whose `parameters` name a GatewayParameters: its copies and their parameters.
struct ParamGateway {
    name: String,
    /// It is in a Kuma mesh (`kuma.io/mesh`): it joins no Istio mesh.
    kuma: bool,
    params_name: (String, Span),
    /// (cluster, parameters) per copy.
    copies: Vec<(String, Params)>,
    mesh: Option<usize>,
}

fn istio_meshes(
    defs: &mut Vec<Def>,
    parts: &[Part],
    used: &mut [bool],
    taken: &mut BTreeSet<String>,
    out: &mut Reconstructed,
    diags: &mut Vec<Diagnostic>,
) -> Vec<MeshDef> {
    // The virtual destinations, once each (copies are merged later and must agree).
    let mut vds: BTreeMap<String, Vd> = BTreeMap::new();
    for def in defs.iter().filter(|d| d.keyword == "virtual-destination") {
        vds.entry(def.name.clone()).or_insert_with(|| Vd::read(def));
    }
    let seen = service_entries(&vds, parts, used, out, diags);
    let grouped = group(&vds, &seen, out, diags);
    defs.retain(|d| !(d.keyword == "virtual-destination" && grouped.dropped.contains(&d.name)));
    let mut meshes = grouped.meshes;
    let mut gateways = parameter_gateways(defs, parts, used, diags);

    // A gateway whose clusters are all in one mesh, and whose parameters say everything the
    // mesh would, joins it; the mesh then takes what its gateways agree on.
    for g in gateways.values_mut() {
        let complete = g.copies.iter().all(|(_, p)| p.istio_complete());
        let inside = meshes
            .iter()
            .position(|m| g.copies.iter().all(|(c, _)| m.clusters.contains(c)));
        g.mesh = inside.filter(|_| complete && !g.kuma);
    }
    for (mi, mesh) in meshes.iter_mut().enumerate() {
        let copies: Vec<&(String, Params)> = gateways
            .values()
            .filter(|g| g.mesh == Some(mi))
            .flat_map(|g| &g.copies)
            .collect();
        mesh.settle(&copies);
    }
    let names = mesh_names(&meshes, taken);

    // The gateways' `parameters` and `mesh`.
    for g in gateways.values() {
        let record = gateway_record(g, g.mesh.map(|i| &meshes[i]), diags);
        let mesh_attr = g.mesh.map(|i| (names[i].0.as_str(), g.params_name.1));
        for def in defs
            .iter_mut()
            .filter(|d| d.keyword == "gateway" && d.name == g.name)
        {
            let Some(i) = attr_index(&def.block, "parameters") else {
                continue;
            };
            if let Entry::Attr(a) = &mut def.block.entries[i] {
                a.value = build::map(record.clone(), a.value.span);
            }
            if let Some((name, span)) = mesh_attr {
                def.block.entries.insert(
                    i,
                    build::attr("mesh", span, build::path(&["mesh", name], span)),
                );
            }
        }
    }

    // The virtual destinations' `mesh`, and the routes' hostnames.
    for def in defs
        .iter_mut()
        .filter(|d| d.keyword == "virtual-destination")
    {
        let Some(&i) = grouped.mesh_of.get(&def.name) else {
            continue;
        };
        let span = def_name_span(def);
        insert_after_metadata(
            &mut def.block,
            build::attr("mesh", span, build::path(&["mesh", &names[i].0], span)),
        );
    }
    let hosts: Vec<&Vd> = vds.values().collect();
    for def in defs.iter_mut().filter(|d| d.keyword == "route") {
        hostnames(&mut def.block, &hosts, &grouped.dropped, diags);
    }

    meshes
        .iter()
        .zip(names)
        .map(|(m, (name, named))| istio_def(m, &name, named, diags))
        .collect()
}

/// The ServiceEntries of the virtual destinations, read; the others are left for W0501.
fn service_entries(
    vds: &BTreeMap<String, Vd>,
    parts: &[Part],
    used: &mut [bool],
    out: &mut Reconstructed,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Seen> {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for (i, p) in parts.iter().enumerate() {
        if p.kind != PartKind::ServiceEntry {
            continue;
        }
        let Some(vd) = vds
            .values()
            .find(|vd| vd.name == p.name && vd.namespace == p.namespace)
        else {
            continue;
        };
        used[i] = true;
        let mut cx = cx_for(p.file);
        let entries = match &p.spec {
            Some(spec) => read_service_entry(&mut cx, vd, &p.cluster, spec),
            None => Entries::default(),
        };
        drain(cx, diags);
        let slot = seen.entry(vd.name.clone()).or_default();
        slot.0.insert(p.cluster.clone());
        for (c, _, span) in &entries.remote {
            slot.0.insert(c.clone());
            out.clusters.push((c.clone(), *span));
        }
        slot.1.push((p.cluster.clone(), entries));
    }
    seen
}

/// The virtual destinations grouped into meshes.
struct Grouped {
    meshes: Vec<IstioMesh>,
    /// The mesh of each virtual destination, by name.
    mesh_of: BTreeMap<String, usize>,
    /// Virtual destinations without ServiceEntries (E0511), left out.
    dropped: BTreeSet<String>,
}

/// One mesh per set of clusters holding ServiceEntries: a virtual destination's ServiceEntry is
/// in every workload cluster of its mesh. The east-west endpoints give the mesh's `east-west`,
/// the local endpoints the services each virtual destination selects.
fn group(
    vds: &BTreeMap<String, Vd>,
    seen: &BTreeMap<String, Seen>,
    out: &mut Reconstructed,
    diags: &mut Vec<Diagnostic>,
) -> Grouped {
    let mut g = Grouped {
        meshes: Vec::new(),
        mesh_of: BTreeMap::new(),
        dropped: BTreeSet::new(),
    };
    for vd in vds.values() {
        let Some((clusters, entries)) = seen.get(&vd.name) else {
            diags.push(
                Diagnostic::new(
                    Code::ImportVdWithoutMesh,
                    format!(
                        "the manifests do not show the mesh of virtual destination `{}`: none of its ServiceEntries is in them",
                        vd.name
                    ),
                    vd.span,
                    format!("no ServiceEntry `{}` in any cluster", vd.name),
                )
                .with_help("topoc writes a virtual destination's ServiceEntry into every workload cluster of its mesh: import those clusters' manifests with the management cluster's"),
            );
            g.dropped.insert(vd.name.clone());
            continue;
        };
        let index = match g.meshes.iter().position(|m| m.clusters == *clusters) {
            Some(i) => i,
            None => {
                g.meshes.push(IstioMesh::new(clusters.clone(), vd.span));
                g.meshes.len() - 1
            }
        };
        let mesh = &mut g.meshes[index];
        mesh.vds.push(vd.name.clone());
        g.mesh_of.insert(vd.name.clone(), index);
        for (here, e) in entries {
            for (cluster, address, span) in &e.remote {
                match mesh.east_west.get(cluster) {
                    Some((a, first)) if a != address => diags.push(
                        Diagnostic::new(
                            Code::ImportCopiesDiffer,
                            format!("ServiceEntries reach cluster {cluster} through two east-west addresses"),
                            *span,
                            format!("`{address}`"),
                        )
                        .with_label(*first, format!("`{a}`"))
                        .with_help("a mesh has one east-west gateway address per cluster: make the ServiceEntries agree"),
                    ),
                    Some(_) => {}
                    None => {
                        mesh.east_west
                            .insert(cluster.clone(), (address.clone(), *span));
                    }
                }
            }
            for (service, namespace, span) in &e.local {
                out.refs.extend(vd.ports.iter().map(|(_, _, target)| Ref {
                    kind: "service",
                    name: service.clone(),
                    namespace: namespace.clone(),
                    port: Some(*target),
                    app_protocol: None,
                    span: *span,
                }));
                out.services.push(ServiceEvidence {
                    name: service.clone(),
                    labels: vd.select.clone(),
                    clusters: BTreeSet::from([here.clone()]),
                });
            }
        }
    }
    g
}

/// The gateways whose `parameters` name a GatewayParameters, with the one of each copy. A
/// copy without one is E0501, and the gateway keeps no `parameters`.
fn parameter_gateways(
    defs: &mut [Def],
    parts: &[Part],
    used: &mut [bool],
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, ParamGateway> {
    let mut gateways: BTreeMap<String, ParamGateway> = BTreeMap::new();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for def in defs.iter().filter(|d| d.keyword == "gateway") {
        let Some((params_name, at)) = placeholder_name(&def.block) else {
            continue;
        };
        let namespace = def.namespace.clone().unwrap_or_default();
        let found = parts.iter().position(|p| {
            p.kind == PartKind::GatewayParameters
                && p.cluster == def.cluster
                && p.namespace == namespace
                && p.name == params_name
        });
        let Some(i) = found else {
            diags.push(not_in_cluster(
                "GatewayParameters",
                &params_name,
                &def.cluster,
                at,
                &format!("Gateway `{}`", def.name),
            ));
            missing.insert(def.name.clone());
            continue;
        };
        used[i] = true;
        let p = &parts[i];
        let mut cx = cx_for(p.file);
        let params = match &p.spec {
            Some(spec) => read_parameters(&mut cx, spec),
            None => Params::default(),
        };
        drain(cx, diags);
        gateways
            .entry(def.name.clone())
            .or_insert_with(|| ParamGateway {
                name: def.name.clone(),
                kuma: mesh_ref(def).is_some(),
                params_name: (params_name, at),
                copies: Vec::new(),
                mesh: None,
            })
            .copies
            .push((def.cluster.clone(), params));
    }
    for def in defs.iter_mut().filter(|d| d.keyword == "gateway") {
        if missing.contains(&def.name) {
            remove_attr(&mut def.block, "parameters");
        }
    }
    gateways.retain(|name, _| !missing.contains(name));
    gateways
}

/// Each mesh's name, and whether the manifests gave it: the mesh ID when every cluster shares
/// one, else `istio-mesh` (numbered when taken).
fn mesh_names(meshes: &[IstioMesh], taken: &mut BTreeSet<String>) -> Vec<(String, bool)> {
    let mut names = Vec::new();
    for mesh in meshes {
        let from_id = mesh
            .mesh_id
            .clone()
            .filter(|id| super::write::is_ident(id) && !taken.contains(id));
        let named = from_id.is_some();
        let name = from_id.unwrap_or_else(|| {
            (1..)
                .map(|n| match n {
                    1 => ISTIO_MESH_NAME.to_string(),
                    n => format!("{ISTIO_MESH_NAME}-{n}"),
                })
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or_default()
        });
        taken.insert(name.clone());
        names.push((name, named));
    }
    names
}

/// One setting of a GatewayParameters: its attribute in `parameters`, its field, and what a
/// mesh implies for it in a cluster.
struct Setting {
    key: &'static str,
    field: &'static str,
    get: fn(&Params) -> &Option<(String, Span)>,
    implied: Option<fn(&IstioMesh, &str) -> String>,
}

const SETTINGS: [Setting; 4] = [
    Setting {
        key: "discovery-address",
        field: "istioDiscoveryAddress",
        get: |p| &p.discovery,
        implied: Some(|m, _| m.discovery()),
    },
    Setting {
        key: "cluster-id",
        field: "istioMetaClusterId",
        get: |p| &p.cluster_id,
        implied: Some(IstioMesh::cluster_id),
    },
    Setting {
        key: "mesh-id",
        field: "istioMetaMeshId",
        get: |p| &p.mesh_id,
        implied: Some(IstioMesh::mesh_id),
    },
    Setting {
        key: "sds-image",
        field: "sdsContainer.image",
        get: |p| &p.sds_image,
        implied: None,
    },
];

/// A gateway's `parameters` record: what its GatewayParameters say and its mesh (if it joins
/// one) does not imply.
fn gateway_record(
    g: &ParamGateway,
    mesh: Option<&IstioMesh>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Ident, Value)> {
    let (params_name, at) = &g.params_name;
    let mut record = Vec::new();
    if *params_name != g.name {
        record.push((build::ident("name", *at), build::string(params_name, *at)));
    }
    for Setting {
        key,
        field,
        get,
        implied,
    } in SETTINGS
    {
        let implied_everywhere = match (mesh, implied) {
            (Some(m), Some(f)) => g
                .copies
                .iter()
                .all(|(c, p)| get(p).as_ref().map(|(v, _)| v.as_str()) == Some(f(m, c).as_str())),
            _ => false,
        };
        if implied_everywhere {
            continue;
        }
        let values: BTreeSet<Option<&str>> = g
            .copies
            .iter()
            .map(|(_, p)| get(p).as_ref().map(|(v, _)| v.as_str()))
            .collect();
        if values.len() > 1 {
            let spans: Vec<(&str, Span)> = g
                .copies
                .iter()
                .map(|(c, p)| (c.as_str(), get(p).as_ref().map_or(*at, |(_, s)| *s)))
                .collect();
            if let (Some(&(c1, s1)), Some(&(c2, s2))) = (spans.first(), spans.last()) {
                diags.push(
                    Diagnostic::new(
                        Code::ImportCopiesDiffer,
                        format!(
                            "GatewayParameters `{params_name}` of gateway `{}` differs between clusters {c1} and {c2} in `{field}`",
                            g.name
                        ),
                        s2,
                        format!("the copy in {c2}"),
                    )
                    .with_label(s1, format!("the copy in {c1}"))
                    .with_help("a gateway's parameters are the same in every cluster, except the cluster and mesh IDs an Istio mesh gives each cluster: make the copies agree"),
                );
            }
            continue;
        }
        if let Some((v, span)) = g.copies.first().and_then(|(_, p)| get(p).clone()) {
            record.push((build::ident(key, span), build::string(&v, span)));
        }
    }
    record
}

/// `virtual-destination.HOST` placeholders in route backends → `virtual-destination.NAME`; a
/// host no virtual destination claims first is E0501, and the backend is left out.
fn hostnames(
    block: &mut Block,
    vds: &[&Vd],
    dropped: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    for e in &mut block.entries {
        match e {
            Entry::Block(b) => hostnames(b, vds, dropped, diags),
            Entry::Attr(a) => {
                if let ValueKind::List(items) = &mut a.value.kind {
                    items.retain_mut(|item| resolve_host(item, vds, dropped, diags));
                }
            }
        }
    }
}

/// Rewrite one backend; `false` to leave it out.
fn resolve_host(
    item: &mut Value,
    vds: &[&Vd],
    dropped: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let ValueKind::Map(entries) = &mut item.kind else {
        return true;
    };
    let Some((_, reference)) = entries.iter_mut().find(|(k, _)| k.name == "ref") else {
        return true;
    };
    let span = reference.span;
    let ValueKind::Path(parts) = &mut reference.kind else {
        return true;
    };
    if parts.len() != 2 || parts[0].name != "virtual-destination" {
        return true;
    }
    let host = parts[1].name.clone();
    let first = vds.iter().find(|vd| vd.hosts.first() == Some(&host));
    if let Some(vd) = first {
        if dropped.contains(&vd.name) {
            return false;
        }
        parts[1].name = vd.name.clone();
        return true;
    }
    let why = match vds.iter().find(|vd| vd.hosts.contains(&host)) {
        Some(vd) => format!(
            "topoc sends to a virtual destination by its first host, `{}` for `{}`",
            vd.hosts.first().map_or("", String::as_str),
            vd.name
        ),
        None => "no VirtualDestination in the manifests claims this host".to_string(),
    };
    diags.push(
        Diagnostic::new(
            Code::ImportUnrepresentable,
            format!("the Istio `Hostname` backend `{host}` cannot be represented in topoc"),
            span,
            why,
        )
        .with_help("topoc's Istio hostname backends are the hosts of virtual destinations: import the VirtualDestination, or manage this route outside topoc"),
    );
    false
}

/// The `mesh` definition of a reconstructed Istio mesh.
fn istio_def(m: &IstioMesh, name: &str, named: bool, diags: &mut Vec<Diagnostic>) -> MeshDef {
    let span = m.span;
    let mut entries = vec![build::attr("provider", span, build::path(&["istio"], span))];
    if let Some(Some(r)) = &m.revision {
        entries.push(build::attr("revision", span, build::string(r, span)));
    }
    if m.istiod_namespace != ISTIOD_NAMESPACE {
        entries.push(build::attr(
            "istiod-namespace",
            span,
            build::string(&m.istiod_namespace, span),
        ));
    }
    if let Some(id) = &m.mesh_id {
        entries.push(build::attr("mesh-id", span, build::string(id, span)));
    }
    let by_cluster = |map: Vec<(String, Value)>| {
        build::map(
            map.into_iter()
                .map(|(c, v)| (build::ident(&c, v.span), v))
                .collect(),
            span,
        )
    };
    if !m.cluster_ids.is_empty() {
        let list = m
            .cluster_ids
            .iter()
            .map(|(c, id)| (c.clone(), build::string(id, span)))
            .collect();
        entries.push(build::attr("cluster-ids", span, by_cluster(list)));
    }
    if !m.east_west.is_empty() {
        let list = m
            .east_west
            .iter()
            .map(|(c, (a, at))| (c.clone(), build::string(a, *at)))
            .collect();
        entries.push(build::attr("east-west", span, by_cluster(list)));
    }
    let mut unknown = Vec::new();
    if !named {
        unknown.push("name");
    }
    if m.revision.is_none() {
        unknown.push("istiod revision");
    }
    if !unknown.is_empty() {
        let vd = m.vds.first().map_or("", String::as_str);
        diags.push(
            Diagnostic::new(
                Code::ImportMeshUnknown,
                format!(
                    "the {} of the Istio mesh of virtual destination `{vd}` {} not in the manifests",
                    unknown.join(" and the "),
                    if unknown.len() > 1 { "are" } else { "is" }
                ),
                span,
                format!("the mesh is declared as `{name}` from the ServiceEntries of `{vd}`"),
            )
            .with_help(if named {
                "no gateway of the mesh has GatewayParameters, which would show the istiod revision: give the imported mesh `revision` if istiod has one"
            } else {
                "rename the imported mesh (and its references) as you call it; an `istioMetaMeshId` shared by every cluster would name it"
            }),
        );
    }
    let mut shown = vec!["the clusters holding the ServiceEntries of its virtual destinations"];
    if !m.east_west.is_empty() {
        shown.push("their east-west endpoints");
    }
    if m.revision.is_some() || m.mesh_id.is_some() || !m.cluster_ids.is_empty() {
        shown.push("the GatewayParameters of its gateways");
    }
    let mut missing: Vec<String> = unknown.iter().map(|u| format!("its {u}")).collect();
    missing.push("its trust domain".into());
    MeshDef {
        block: build::block("mesh", Some(build::ident(name, span)), entries, span),
        clusters: m.clusters.clone(),
        comment: format!(
            "Not in the manifests: declared from {}; {} {} left out.",
            and_list(&shown),
            and_list(&missing),
            if missing.len() > 1 { "are" } else { "is" }
        ),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istiod_addresses_give_revision_and_namespace() {
        let cases = [
            (
                "istiod-main.istio-system.svc:15012",
                Some((Some("main"), "istio-system")),
            ),
            (
                "istiod.istio-system.svc:15012",
                Some((None, "istio-system")),
            ),
            ("istiod-1-24.mesh.svc:15012", Some((Some("1-24"), "mesh"))),
            ("istiod-.istio-system.svc:15012", None),
            ("pilot.istio-system.svc:15012", None),
            ("istiod.istio-system.svc:15010", None),
            ("istiod.svc:15012", None),
            ("", None),
        ];
        for (address, want) in cases {
            let got = parse_discovery(address);
            let want =
                want.map(|(r, ns): (Option<&str>, &str)| (r.map(str::to_string), ns.to_string()));
            assert_eq!(got, want, "{address}");
            // What parses is written back the same by the mesh.
            if let Some((r, ns)) = got {
                assert_eq!(discovery_address(r.as_deref(), &ns), address);
            }
        }
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }

    /// Mesh objects in one cluster never panic, whatever their shape.
    #[test]
    fn malformed_mesh_objects_are_reported_not_fatal() {
        let texts = [
            "apiVersion: networking.gloo.solo.io/v2\nkind: VirtualDestination\nmetadata:\n  name: a\n---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: a\nspec: 3\n",
            "apiVersion: networking.gloo.solo.io/v2\nkind: VirtualDestination\nmetadata:\n  name: a\nspec:\n  hosts: x\n  ports: [{number: a}]\n  services: [1, {labels: 2}]\n---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: a\nspec:\n  hosts: [1]\n  ports: [{name: 1}]\n  endpoints: [1, {address: 2, labels: {topology.istio.io/cluster: east}, ports: 3}]\n",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g\nspec:\n  infrastructure:\n    parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: g}\n---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: GatewayParameters\nmetadata:\n  name: g\nspec:\n  kube:\n    istio: [1]\n    sdsContainer:\n      image: {registry: 'a:b/c', repository: d}\n",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: k\nspec:\n  controllerName: gateways.kuma.io/controller\n  parametersRef: {group: kuma.io, kind: MeshGatewayConfig, name: 7}\n---\napiVersion: kuma.io/v1alpha1\nkind: MeshGatewayConfig\nmetadata:\n  name: k\nspec:\n  replicas: many\n",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n  annotations:\n    kuma.io/mesh: [1]\nspec:\n  parentRefs: [{group: '', kind: Service}]\n  rules: [{backendRefs: [{group: networking.istio.io, kind: Hostname, name: h, namespace: x}]}]\n",
        ];
        for text in texts {
            let imported = crate::import::import_source(
                "m.yaml",
                text,
                &crate::import::ImportOptions::default(),
            );
            let _ = crate::import::to_topo(&imported, &[]);
            assert!(
                imported
                    .diagnostics
                    .iter()
                    .any(|d| d.severity() == crate::diag::Severity::Error),
                "{text}"
            );
        }
    }
}
