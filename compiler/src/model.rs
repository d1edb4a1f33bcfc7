//! The resolved topology: typed definitions linked by typed ids.
//!
//! `resolve` builds it from the syntax tree; every later stage reads only this. References are
//! ids into the program's vectors, so a dangling reference cannot exist past `resolve`, and
//! choices are enums, so a listener cannot have two protocols or a backend two targets.

use std::collections::BTreeMap;

use crate::source::Span;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}

ids! {
    /// Index into [`Program::clusters`].
    ClusterId;
    /// Index into [`Program::classes`].
    ClassId;
    /// Index into [`Program::services`].
    ServiceId;
    /// Index into [`Program::upstreams`].
    UpstreamId;
    /// Index into [`Program::gateways`].
    GatewayId;
    /// Index into [`Program::routes`].
    RouteId;
    /// Index into [`Program::secrets`].
    SecretId;
    /// Index into [`Program::grants`].
    GrantId;
    /// Index into [`Program::meshes`].
    MeshId;
    /// Index into [`Program::virtual_destinations`].
    VirtualDestinationId;
}

/// A value with the span it was written at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A name of a definition or listener, with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The cluster where the relay's source objects live (seed 000). Receives nothing unless an
    /// object names it in `to`.
    Management,
    Workload,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: Name,
    pub role: Role,
    pub labels: BTreeMap<String, String>,
    /// For the management cluster: the namespace its source objects live in, used in the
    /// `gloo.solo.io/distributed-source` annotation.
    pub namespace: String,
    /// The gateway implementation running in the cluster, and its version.
    pub implementation: Spanned<Implementation>,
    /// The Gateway API version whose CRDs are installed.
    pub gateway_api: Spanned<Version>,
    /// Whether topoc writes the ReferenceGrants that cross-namespace references need
    /// (`emit`, the default) or requires them to be declared (`require`).
    pub reference_grants: GrantPolicy,
    /// The Istio control-plane revisions installed in the cluster (`istio-revisions`), which
    /// gateway installations may use; `None` when the cluster does not say.
    pub istio_revisions: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `MAJOR.MINOR`, ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Vendor {
    Gloo,
    Istio,
    Kuma,
}

impl Vendor {
    pub const ALL: [Vendor; 3] = [Vendor::Gloo, Vendor::Istio, Vendor::Kuma];

    pub fn name(self) -> &'static str {
        match self {
            Vendor::Gloo => "gloo",
            Vendor::Istio => "istio",
            Vendor::Kuma => "kuma",
        }
    }

    /// The GatewayClass `controllerName`s the implementation serves.
    pub fn controllers(self) -> &'static [&'static str] {
        match self {
            Vendor::Gloo => &[
                "solo.io/gloo-gateway",
                "solo.io/gloo-gateway-v2",
                "kgateway.dev/kgateway",
            ],
            Vendor::Istio => &["istio.io/gateway-controller"],
            Vendor::Kuma => &["gateways.kuma.io/controller"],
        }
    }

    /// Listener protocols the implementation supports (CHECKS.md rule 11).
    pub fn protocols(self) -> &'static [Protocol] {
        match self {
            Vendor::Gloo | Vendor::Istio => &[
                Protocol::Http,
                Protocol::Https,
                Protocol::Tcp,
                Protocol::Tls,
            ],
            Vendor::Kuma => &[Protocol::Http, Protocol::Https],
        }
    }

    /// Whether two different protocols may share a port (CHECKS.md rule 10): Gloo and Istio
    /// serve HTTPS and TLS on one port by SNI; Kuma conflicts on any two.
    pub fn shares_port(self, a: Protocol, b: Protocol) -> bool {
        a == b
            || (self != Vendor::Kuma
                && matches!(
                    (a, b),
                    (Protocol::Https, Protocol::Tls) | (Protocol::Tls, Protocol::Https)
                ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Implementation {
    pub vendor: Vendor,
    pub version: Version,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GrantPolicy {
    #[default]
    Emit,
    Require,
}

/// Metadata shared by every namespaced definition.
#[derive(Clone, Debug)]
pub struct Meta {
    pub name: Name,
    pub namespace: Spanned<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The whole definition, for secondary labels.
    pub span: Span,
}

/// A declared ReferenceGrant: lets `from` kinds in `from` namespaces reference the `refs` in
/// this grant's namespace.
#[derive(Clone, Debug)]
pub struct Grant {
    pub meta: Meta,
    pub from: Vec<GrantFrom>,
    pub refs: Vec<GrantRef>,
    pub to: Option<Spanned<Distribution>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantFrom {
    pub kind: String,
    pub namespace: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRef {
    pub kind: String,
    /// `None` grants every object of the kind.
    pub name: Option<String>,
}

/// Where a definition goes, as written in `to` (or `runs-in`).
#[derive(Clone, Debug)]
pub enum Distribution {
    /// Every workload cluster.
    All,
    None,
    Clusters(Vec<ClusterId>),
    /// Clusters whose labels contain all these pairs.
    Selector(BTreeMap<String, String>),
}

/// A GatewayClass: declared in `stdlib/` for vendor classes, or by the user.
#[derive(Clone, Debug)]
pub struct Class {
    pub name: Name,
    pub controller: Spanned<String>,
    /// The class that workload clusters use instead of this one: Gloo's relay rewrites
    /// `gloo-gateway-distribute` to `gloo-gateway` when it copies a Gateway (seed 000).
    pub workload_class: Option<ClassId>,
    /// Whether topoc emits the GatewayClass object; vendor classes are installed by the vendor.
    pub emit: bool,
    /// `parametersRef`: the implementation-specific configuration of the class's gateways.
    pub parameters: Option<ClassParameters>,
    pub span: Span,
}

/// A class's `parameters`, by implementation. Only Kuma's is modelled: the `MeshGatewayConfig`
/// of seed 003, emitted next to the GatewayClass that references it.
#[derive(Clone, Debug)]
pub enum ClassParameters {
    MeshGatewayConfig(MeshGatewayConfig),
}

/// `kuma.io/v1alpha1` `MeshGatewayConfig` (cluster-scoped).
#[derive(Clone, Debug)]
pub struct MeshGatewayConfig {
    pub name: Spanned<String>,
    /// `crossMesh`: the gateway's listeners serve every mesh (seed 003, "Cross-mesh").
    pub cross_mesh: Option<bool>,
    pub replicas: Option<u32>,
    /// `serviceType`: `LoadBalancer`, `ClusterIP` or `NodePort`.
    pub service_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: u16,
    pub target_port: Option<u16>,
    pub app_protocol: Option<String>,
    pub span: Span,
}

/// A workload's Service: where it runs and its ports. Referenced by upstreams and routes.
#[derive(Clone, Debug)]
pub struct Service {
    pub meta: Meta,
    pub ports: Vec<ServicePort>,
    pub runs_in: Spanned<Distribution>,
}

/// A Gloo `Upstream` backed by a Kubernetes Service.
#[derive(Clone, Debug)]
pub struct Upstream {
    pub meta: Meta,
    pub service: Spanned<ServiceId>,
    pub port: Spanned<u16>,
    pub to: Option<Spanned<Distribution>>,
}

/// A TLS Secret that exists in the clusters (created by another tool); never key material.
#[derive(Clone, Debug)]
pub struct Secret {
    pub meta: Meta,
    pub to: Option<Spanned<Distribution>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Http,
    Https,
    Tcp,
    Tls,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
            Protocol::Tcp => "TCP",
            Protocol::Tls => "TLS",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoutesFrom {
    Same,
    All,
    /// Namespaces whose labels match.
    Selector(BTreeMap<String, String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    Terminate,
    Passthrough,
}

#[derive(Clone, Debug)]
pub struct ListenerTls {
    pub mode: TlsMode,
    pub certificates: Vec<Spanned<SecretId>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Listener {
    pub name: Name,
    pub port: Spanned<u16>,
    pub protocol: Spanned<Protocol>,
    pub hostname: Option<Spanned<String>>,
    pub routes_from: RoutesFrom,
    pub tls: Option<ListenerTls>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ClassRef {
    Declared(ClassId),
    /// A class topoc knows nothing about, emitted as written.
    External(String),
}

#[derive(Clone, Debug)]
pub struct Gateway {
    pub meta: Meta,
    pub class: Spanned<ClassRef>,
    pub to: Option<Spanned<Distribution>>,
    pub listeners: Vec<Listener>,
    /// The mesh the gateway's proxy joins: an Istio mesh gives it the istio-proxy settings of
    /// seed 001, a Kuma mesh the `kuma.io/mesh` annotation of seed 003.
    pub mesh: Option<Spanned<MeshId>>,
    /// Istio proxy settings written on the gateway (`GatewayParameters`); what it leaves out
    /// comes from the gateway's Istio mesh.
    pub parameters: Option<IstioParameters>,
}

/// `parameters = { ... }` of a gateway: the `GatewayParameters` (`gateway.kgateway.dev`) that
/// adds an istio-proxy container to the Gloo Gateway proxy (seed 001).
#[derive(Clone, Debug)]
pub struct IstioParameters {
    /// The GatewayParameters' name; the gateway's name when `None`.
    pub name: Option<Spanned<String>>,
    pub discovery_address: Option<Spanned<String>>,
    pub cluster_id: Option<Spanned<String>>,
    pub mesh_id: Option<Spanned<String>>,
    pub sds_image: Option<Image>,
    pub span: Span,
}

/// A container image split the way kgateway's `image` fields want it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub registry: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
}

/// A GAMMA parent: `service.NAME` or `{ ref = service.NAME, port = N }` (mesh routing: the route
/// applies to requests to this Service).
#[derive(Clone, Debug)]
pub struct ServiceParent {
    pub service: ServiceId,
    pub port: Option<Spanned<u16>>,
    pub span: Span,
}

/// `gateway.NAME` or `gateway.NAME.LISTENER`.
#[derive(Clone, Debug)]
pub struct ParentRef {
    pub gateway: GatewayId,
    pub listener: Option<usize>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathMatch {
    Prefix(String),
    Exact(String),
    Regex(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StringMatch {
    Exact(String),
    Regex(String),
}

#[derive(Clone, Debug, Default)]
pub struct Match {
    pub path: Option<Spanned<PathMatch>>,
    pub headers: Vec<(Name, StringMatch)>,
    pub query: Vec<(Name, StringMatch)>,
    pub method: Option<String>,
    pub span: Option<Span>,
}

#[derive(Clone, Debug)]
pub enum BackendTarget {
    Upstream(UpstreamId),
    Service {
        service: ServiceId,
        port: Spanned<u16>,
    },
    /// An Istio `Hostname` backend: the virtual destination's host (seed 001, Step 5).
    VirtualDestination {
        vd: VirtualDestinationId,
        port: Spanned<u16>,
    },
}

#[derive(Clone, Debug)]
pub struct Backend {
    pub target: BackendTarget,
    pub weight: Option<u32>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct HeaderModifier {
    pub set: Vec<(Name, String)>,
    pub add: Vec<(Name, String)>,
    pub remove: Vec<Name>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathRewrite {
    Full(String),
    Prefix(String),
}

#[derive(Clone, Debug, Default)]
pub struct Redirect {
    pub scheme: Option<String>,
    pub hostname: Option<Spanned<String>>,
    pub port: Option<u16>,
    pub path: Option<Spanned<PathRewrite>>,
    pub status: Option<u16>,
}

#[derive(Clone, Debug, Default)]
pub struct Rewrite {
    pub hostname: Option<Spanned<String>>,
    pub path: Option<Spanned<PathRewrite>>,
}

#[derive(Clone, Debug)]
pub struct Mirror {
    pub backend: Backend,
    pub percent: Option<u8>,
}

/// The standard HTTPRoute filters. One field each, so a filter cannot be given twice.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub request_headers: Option<HeaderModifier>,
    pub response_headers: Option<HeaderModifier>,
    pub redirect: Option<Spanned<Redirect>>,
    pub rewrite: Option<Spanned<Rewrite>>,
    pub mirrors: Vec<Mirror>,
}

#[derive(Clone, Debug, Default)]
pub struct Timeouts {
    pub request: Option<String>,
    pub backend_request: Option<String>,
    /// The `timeout` value, when written.
    pub span: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub name: Option<Spanned<String>>,
    pub matches: Vec<Match>,
    pub filters: Filters,
    pub backends: Vec<Backend>,
    pub timeouts: Timeouts,
    pub span: Span,
}

/// An HTTPRoute.
#[derive(Clone, Debug)]
pub struct Route {
    pub meta: Meta,
    pub to: Option<Spanned<Distribution>>,
    /// Gateway parents. A route has at least one parent, here or in `service_parents`.
    pub parents: Vec<ParentRef>,
    /// GAMMA parents: Services whose traffic the route handles.
    pub service_parents: Vec<ServiceParent>,
    /// The Kuma mesh the route belongs to, when written (`kuma.io/mesh`).
    pub mesh: Option<Spanned<MeshId>>,
    pub hostnames: Vec<Spanned<String>>,
    pub rules: Vec<Rule>,
}

/// Everything the input declares, resolved.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub clusters: Vec<Cluster>,
    pub classes: Vec<Class>,
    pub services: Vec<Service>,
    pub upstreams: Vec<Upstream>,
    pub gateways: Vec<Gateway>,
    pub routes: Vec<Route>,
    pub secrets: Vec<Secret>,
    pub grants: Vec<Grant>,
    /// `gateway-install` definitions: Istio gateways installed per cluster and revision.
    pub installs: Vec<GatewayInstall>,
    pub meshes: Vec<Mesh>,
    pub virtual_destinations: Vec<VirtualDestination>,
}

impl Program {
    pub fn cluster(&self, id: ClusterId) -> &Cluster {
        &self.clusters[id.index()]
    }
    pub fn class(&self, id: ClassId) -> &Class {
        &self.classes[id.index()]
    }
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }
    pub fn upstream(&self, id: UpstreamId) -> &Upstream {
        &self.upstreams[id.index()]
    }
    pub fn gateway(&self, id: GatewayId) -> &Gateway {
        &self.gateways[id.index()]
    }
    pub fn route(&self, id: RouteId) -> &Route {
        &self.routes[id.index()]
    }
    pub fn secret(&self, id: SecretId) -> &Secret {
        &self.secrets[id.index()]
    }
    pub fn mesh(&self, id: MeshId) -> &Mesh {
        &self.meshes[id.index()]
    }
    pub fn virtual_destination(&self, id: VirtualDestinationId) -> &VirtualDestination {
        &self.virtual_destinations[id.index()]
    }

    /// The management cluster, when one is declared.
    pub fn management(&self) -> Option<ClusterId> {
        self.clusters
            .iter()
            .position(|c| c.role == Role::Management)
            .map(|i| ClusterId(i as u32))
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway installations (seed 002, the GatewayLifecycleManager)
// ---------------------------------------------------------------------------------------------

/// `gateway-install NAME { installation { ... } }`: one GatewayLifecycleManager. Each
/// installation installs Istio ingress and egress gateways of one revision into its clusters;
/// topoc writes each cluster's IstioOperators and, for the management cluster, the manager.
#[derive(Clone, Debug)]
pub struct GatewayInstall {
    pub name: Name,
    /// The manager's namespace in the management cluster; that cluster's `namespace` if `None`.
    pub namespace: Option<Spanned<String>>,
    /// The namespace of the IstioOperators written to workload clusters.
    pub operator_namespace: Spanned<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub helm_global: Option<HelmGlobal>,
    pub installations: Vec<Installation>,
    pub span: Span,
}

/// `helmGlobal`: where the runtime manager pulls the Istio charts from. Only the manager reads
/// it; the IstioOperators do not carry it.
#[derive(Clone, Debug, Default)]
pub struct HelmGlobal {
    pub repo: Option<String>,
    pub repo_secrets: Vec<RepoSecret>,
    pub repo_skip_tls_verify: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct RepoSecret {
    pub name: String,
    pub namespace: Option<String>,
}

/// `gatewayRevision` as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revision {
    /// `auto`: the gateway runs the revision of its control plane.
    Auto,
    Named(String),
}

/// One entry of `installations`.
#[derive(Clone, Debug)]
pub struct Installation {
    pub gateway_revision: Spanned<Revision>,
    pub control_plane_revision: Option<Spanned<String>>,
    pub clusters: Vec<InstallCluster>,
    pub skip_upgrade_validation: bool,
    pub operator: Operator,
    /// The `installation` keyword, for labels.
    pub keyword: Span,
    pub span: Span,
}

impl Installation {
    /// The revision the gateway runs: `auto` resolves to the control-plane revision (seed 002),
    /// which resolution guarantees is written when the revision is `auto`.
    pub fn revision(&self) -> Spanned<&str> {
        match (&self.gateway_revision.value, &self.control_plane_revision) {
            (Revision::Named(r), _) => Spanned {
                value: r.as_str(),
                span: self.gateway_revision.span,
            },
            (Revision::Auto, Some(cp)) => Spanned {
                value: cp.value.as_str(),
                span: self.gateway_revision.span,
            },
            (Revision::Auto, None) => Spanned {
                value: "auto",
                span: self.gateway_revision.span,
            },
        }
    }

    /// The control plane the gateway uses: as written, else the gateway revision.
    pub fn control_plane(&self) -> Spanned<&str> {
        match &self.control_plane_revision {
            Some(cp) => Spanned {
                value: cp.value.as_str(),
                span: cp.span,
            },
            None => self.revision(),
        }
    }
}

/// One entry of an installation's `clusters`.
#[derive(Clone, Debug)]
pub struct InstallCluster {
    pub cluster: ClusterId,
    /// `activeGateway`: this revision takes the gateway's traffic in this cluster.
    pub active: bool,
    pub trust_domain: Option<Spanned<String>>,
    pub span: Span,
}

/// The IstioOperator settings of an installation. What topoc checks is typed; the open-ended
/// Istio settings (`mesh-config`, `affinity`) are carried as written.
#[derive(Clone, Debug, Default)]
pub struct Operator {
    pub profile: Option<String>,
    pub hub: Option<String>,
    pub tag: Option<String>,
    /// `meshConfig`, keys as Istio spells them.
    pub mesh_config: Option<serde_json::Value>,
    /// `meshConfig.trustDomain`, when `mesh-config` sets it.
    pub mesh_trust_domain: Option<Spanned<String>>,
    pub components: Vec<GatewayComponent>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GatewayType {
    Ingress,
    Egress,
}

impl GatewayType {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayType::Ingress => "ingress",
            GatewayType::Egress => "egress",
        }
    }
}

/// An entry of `components.ingressGateways` or `components.egressGateways`.
#[derive(Clone, Debug)]
pub struct GatewayComponent {
    pub kind: GatewayType,
    pub name: Spanned<String>,
    pub namespace: Spanned<String>,
    pub enabled: bool,
    /// `label`: the pods' labels.
    pub labels: BTreeMap<String, String>,
    pub service: Option<ComponentService>,
    /// `k8s.affinity`, as written.
    pub affinity: Option<serde_json::Value>,
    /// `k8s.env`, by name.
    pub env: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
    pub span: Span,
}

/// `k8s.service` of a gateway component.
#[derive(Clone, Debug)]
pub struct ComponentService {
    pub service_type: Option<String>,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<GatewayPort>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct GatewayPort {
    pub name: Spanned<String>,
    pub port: Spanned<u16>,
    pub target_port: Option<u16>,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Meshes (seed 001: Istio with Gloo Platform VirtualDestinations; seed 003: Kong Mesh / Kuma)
// ---------------------------------------------------------------------------------------------

/// `mesh NAME { provider = istio | kuma; clusters = ...; ... }`: which clusters form one service
/// mesh, and the settings that differ by provider.
#[derive(Clone, Debug)]
pub struct Mesh {
    pub name: Name,
    /// The clusters whose workloads are in the mesh (Kuma: its zones).
    pub clusters: Spanned<Distribution>,
    pub provider: MeshProvider,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum MeshProvider {
    Istio(IstioMesh),
    Kuma(KumaMesh),
}

impl MeshProvider {
    pub fn name(&self) -> &'static str {
        match self {
            MeshProvider::Istio(_) => "istio",
            MeshProvider::Kuma(_) => "kuma",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct IstioMesh {
    /// The istiod revision (`istiod-REVISION`); `None` for a revisionless istiod.
    pub revision: Option<Spanned<String>>,
    /// The namespace istiod runs in.
    pub istiod_namespace: String,
    /// `ISTIO_META_MESH_ID` for every cluster; each cluster's name when `None` (seed 001).
    pub mesh_id: Option<Spanned<String>>,
    /// `ISTIO_META_CLUSTER_ID` per cluster, when it is not the cluster's name.
    pub cluster_ids: BTreeMap<ClusterId, String>,
    /// The trust domain of every cluster; each cluster's name when `None`.
    pub trust_domain: Option<Spanned<String>>,
    /// Per cluster, the address of its east-west gateway: how other clusters reach its
    /// workloads. A cluster without one is reached only from inside.
    pub east_west: BTreeMap<ClusterId, Spanned<String>>,
}

impl IstioMesh {
    /// `<istiod service>.<namespace>.svc:15012` (seed 001, Step 2).
    pub fn discovery_address(&self) -> String {
        let service = match &self.revision {
            Some(r) => format!("istiod-{}", r.value),
            None => "istiod".to_string(),
        };
        format!("{service}.{}.svc:15012", self.istiod_namespace)
    }
}

#[derive(Clone, Debug, Default)]
pub struct KumaMesh {
    /// Per cluster, its zone name when it is not the cluster's name.
    pub zones: BTreeMap<ClusterId, String>,
    /// The cluster that runs the global control plane: it takes no Gateway API objects.
    pub global: Option<Spanned<ClusterId>>,
}

/// `virtual-destination NAME { mesh; hosts; ports; select }`: a Gloo Platform
/// VirtualDestination, an internal hostname for the services that `select` matches anywhere in
/// the mesh.
#[derive(Clone, Debug)]
pub struct VirtualDestination {
    pub meta: Meta,
    pub mesh: Spanned<MeshId>,
    pub hosts: Vec<Spanned<String>>,
    pub ports: Vec<VdPort>,
    /// Matched against the labels of `service` definitions.
    pub select: Spanned<BTreeMap<String, String>>,
}

#[derive(Clone, Debug)]
pub struct VdPort {
    pub number: u16,
    /// `HTTP`, `HTTP2`, `GRPC`, `HTTPS`, `TCP` or `TLS`.
    pub protocol: String,
    /// The port of the selected services that traffic goes to; `number` when `None`.
    pub target_port: Option<u16>,
    pub span: Span,
}

impl VdPort {
    pub fn service_port(&self) -> u16 {
        self.target_port.unwrap_or(self.number)
    }
}
