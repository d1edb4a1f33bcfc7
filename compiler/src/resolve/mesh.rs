//! Lowering of the mesh kinds: `mesh`, `virtual-destination`, and the mesh-related attributes
//! of gateways (`parameters`) and classes (`parameters`).

use std::collections::BTreeMap;

use super::defs::meta;
use super::values::{Cx, Lift};
use super::Kind;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::syntax::ast::{Block, Value};

const META: &[&str] = &["namespace", "labels", "annotations", "allow"];

pub(super) fn mesh<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Mesh> {
    let attrs = cx.attrs(
        block,
        &[
            "provider",
            "clusters",
            "revision",
            "istiod-namespace",
            "mesh-id",
            "cluster-ids",
            "trust-domain",
            "east-west",
            "zones",
            "global",
            "allow",
        ],
        &[],
    );
    let name = super::defs::block_name(block);
    let provider = attrs.require(cx, "provider", "istio")?;
    let provider = cx.symbol(provider, &["istio", "kuma"])?;
    let clusters = attrs
        .require(cx, "clusters", "[east, west]")
        .and_then(|v| cx.distribution(v));
    // Attributes of the other provider are a mistake worth naming, not silently ignored.
    let (own, other): (&[&str], &[&str]) = match provider.value {
        "istio" => (
            &[
                "revision",
                "istiod-namespace",
                "mesh-id",
                "cluster-ids",
                "trust-domain",
                "east-west",
            ],
            &["zones", "global"],
        ),
        _ => (
            &["zones", "global"],
            &[
                "revision",
                "istiod-namespace",
                "mesh-id",
                "cluster-ids",
                "trust-domain",
                "east-west",
            ],
        ),
    };
    let mut ok = true;
    for key in other {
        if let Some(v) = attrs.get(key) {
            cx.invalid(
                v,
                format!("`{key}` is not a setting of a {} mesh", provider.value),
                format!(
                    "a {} mesh takes: provider, clusters, {}",
                    provider.value,
                    own.join(", ")
                ),
            );
            ok = false;
        }
    }
    let provider = match provider.value {
        "istio" => {
            let revision = attrs.get("revision").map(|v| cx.string(v)).lift();
            let istiod_namespace = attrs
                .get("istiod-namespace")
                .map(|v| cx.string(v).map(|s| s.value))
                .lift();
            let mesh_id = attrs.get("mesh-id").map(|v| cx.string(v)).lift();
            let trust_domain = attrs.get("trust-domain").map(|v| cx.string(v)).lift();
            let cluster_ids = attrs.get("cluster-ids").map(|v| by_cluster(cx, v)).lift();
            let east_west = attrs.get("east-west").map(|v| by_cluster(cx, v)).lift();
            MeshProvider::Istio(IstioMesh {
                revision: revision?,
                // Istio's default control-plane namespace.
                istiod_namespace: istiod_namespace?.unwrap_or_else(|| "istio-system".into()),
                mesh_id: mesh_id?,
                cluster_ids: cluster_ids?
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(c, s)| (c, s.value))
                    .collect(),
                trust_domain: trust_domain?,
                east_west: east_west?.unwrap_or_default(),
            })
        }
        _ => {
            let zones = attrs.get("zones").map(|v| by_cluster(cx, v)).lift();
            let global = match attrs.get("global") {
                Some(v) => cx.cluster_name(v).map(|id| {
                    Some(Spanned {
                        value: ClusterId(id),
                        span: cx.deref(v).span,
                    })
                }),
                None => Some(None),
            };
            MeshProvider::Kuma(KumaMesh {
                zones: zones?
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(c, s)| (c, s.value))
                    .collect(),
                global: global?,
            })
        }
    };
    let clusters = clusters?;
    ok.then_some(Mesh {
        name,
        clusters,
        provider,
        span: block.span,
    })
}

/// `{ east = "...", west = "..." }`: a string per cluster, keyed by cluster name.
fn by_cluster<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a Value,
) -> Option<BTreeMap<ClusterId, Spanned<String>>> {
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (key, value) in cx.map(v)? {
        let Some(id) = cx.table.lookup(Kind::Cluster, &key.name) else {
            let names: Vec<&str> = cx.table.names(Kind::Cluster).collect();
            let help = match crate::diag::did_you_mean(&key.name, names.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => "the keys of this map are cluster names".to_string(),
            };
            cx.error(
                Diagnostic::new(
                    Code::UnknownCluster,
                    format!("there is no cluster named `{}`", key.name),
                    key.span,
                    "not a declared cluster",
                )
                .with_help(help),
            );
            ok = false;
            continue;
        };
        match cx.string(value) {
            Some(s) => {
                if out.insert(ClusterId(id), s).is_some() {
                    cx.key_set_twice(key);
                    ok = false;
                }
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// The protocols a VirtualDestination port may declare (Gloo Platform's `protocol`).
const VD_PROTOCOLS: &[&str] = &["HTTP", "HTTP2", "GRPC", "HTTPS", "TCP", "TLS"];

pub(super) fn virtual_destination<'a>(
    cx: &mut Cx<'_, 'a>,
    block: &'a Block,
) -> Option<VirtualDestination> {
    let keys: Vec<&str> = ["mesh", "hosts", "ports", "select"]
        .iter()
        .chain(META)
        .copied()
        .collect();
    let attrs = cx.attrs(block, &keys, &[]);
    let meta = meta(cx, block, &attrs);
    let mesh = attrs
        .require(cx, "mesh", "mesh.NAME")
        .and_then(|v| cx.plain_reference(v, Kind::Mesh));
    let hosts = attrs
        .require(cx, "hosts", "[\"reviews.mesh.internal.com\"]")
        .and_then(|v| {
            non_empty(cx, v, "a host", "hosts = [\"NAME.mesh.internal.com\"]")?
                .iter()
                .map(|h| cx.string(h))
                .collect::<Vec<_>>()
                .into_iter()
                .collect::<Option<Vec<_>>>()
        });
    let ports = attrs
        .require(cx, "ports", "[{ number = 9080, protocol = HTTP }]")
        .and_then(|v| vd_ports(cx, v));
    let select = attrs
        .require(cx, "select", "{ app = \"reviews\" }")
        .and_then(|v| {
            let span = cx.deref(v).span;
            let labels = cx.string_map(v)?;
            if labels.is_empty() {
                cx.invalid(
                    cx.deref(v),
                    "an empty selector would select every service".into(),
                    "select by labels: `select = { app = \"reviews\" }`".into(),
                );
                return None;
            }
            Some(Spanned {
                value: labels,
                span,
            })
        });
    let mesh = mesh?;
    Some(VirtualDestination {
        meta: meta?,
        mesh: Spanned {
            value: MeshId(mesh.value),
            span: mesh.span,
        },
        hosts: hosts?,
        ports: ports?,
        select: select?,
    })
}

/// The items of a list a virtual destination cannot do without: an empty one is E0211.
fn non_empty<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a Value,
    what: &str,
    example: &str,
) -> Option<&'a [Value]> {
    let items = cx.one_or_many(v);
    if items.is_empty() {
        cx.invalid(
            cx.deref(v),
            format!("a virtual destination needs {what}"),
            format!("write `{example}`"),
        );
        return None;
    }
    Some(items)
}

fn vd_ports<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Vec<VdPort>> {
    let items = non_empty(
        cx,
        v,
        "a port",
        "ports = [{ number = 9080, protocol = HTTP }]",
    )?;
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let Some(rec) = cx.record(item, &["number", "protocol", "target-port"], "port") else {
            ok = false;
            continue;
        };
        let Some(number) = rec.get("number") else {
            cx.error(
                Diagnostic::new(
                    Code::MissingAttribute,
                    "virtual destination port has no `number`",
                    cx.deref(item).span,
                    "`number` is required",
                )
                .with_help("add `number = 9080`"),
            );
            ok = false;
            continue;
        };
        let number = cx.port(number);
        let protocol = match rec.get("protocol") {
            Some(p) => cx.symbol(p, VD_PROTOCOLS).map(|s| s.value.to_string()),
            // Gloo Platform's default protocol for a VirtualDestination port.
            None => Some("HTTP".to_string()),
        };
        let target = rec
            .get("target-port")
            .map(|p| cx.port(p).map(|p| p.value))
            .lift();
        match (number, protocol, target) {
            (Some(number), Some(protocol), Some(target_port)) => out.push(VdPort {
                number: number.value,
                protocol,
                target_port,
                span: cx.deref(item).span,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// A gateway's `parameters = { name, discovery-address, cluster-id, mesh-id, sds-image }`.
pub(super) fn istio_parameters<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<IstioParameters> {
    let rec = cx.record(
        v,
        &[
            "name",
            "discovery-address",
            "cluster-id",
            "mesh-id",
            "sds-image",
        ],
        "parameters",
    )?;
    let mut read = |key: &str| rec.get(key).map(|v| cx.string(v)).lift();
    let name = read("name");
    let discovery_address = read("discovery-address");
    let cluster_id = read("cluster-id");
    let mesh_id = read("mesh-id");
    let sds = read("sds-image");
    let sds_image = match sds? {
        Some(s) => match parse_image(&s.value) {
            Some(image) => Some(image),
            None => {
                cx.error(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`{}` is not a container image reference", s.value),
                        s.span,
                        "not an image",
                    )
                    .with_help("write REGISTRY/REPOSITORY:TAG, such as \"cr.kgateway.dev/kgateway-dev/sds:v2.1.0-main\""),
                );
                return None;
            }
        },
        None => None,
    };
    Some(IstioParameters {
        name: name?,
        discovery_address: discovery_address?,
        cluster_id: cluster_id?,
        mesh_id: mesh_id?,
        sds_image,
        span: cx.deref(v).span,
    })
}

/// `registry/path/repository:tag` → its parts; the registry is everything before the last `/`.
pub(crate) fn parse_image(s: &str) -> Option<Image> {
    if s.is_empty() || s.chars().any(char::is_whitespace) || s.contains('@') {
        return None;
    }
    let (path, tag) = match s.rsplit_once(':') {
        // A `:` before the last `/` is a registry port, not a tag.
        Some((path, tag)) if !tag.contains('/') => (path, Some(tag.to_string())),
        _ => (s, None),
    };
    if tag.as_deref() == Some("") {
        return None;
    }
    let (registry, repository) = match path.rsplit_once('/') {
        Some((registry, repository)) => (Some(registry.to_string()), repository),
        None => (None, path),
    };
    if repository.is_empty() || registry.as_deref() == Some("") {
        return None;
    }
    Some(Image {
        registry,
        repository: repository.to_string(),
        tag,
    })
}

/// A class's `parameters = { name, cross-mesh, replicas, service-type, tags }`: Kuma's
/// `MeshGatewayConfig`, the only class parameters topoc models.
pub(super) fn class_parameters<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a Value,
    class_name: &str,
) -> Option<ClassParameters> {
    let rec = cx.record(
        v,
        &["name", "cross-mesh", "replicas", "service-type", "tags"],
        "parameters",
    )?;
    let name = match rec.get("name") {
        Some(n) => cx.string(n),
        // Seed 003 names the config after the class.
        None => Some(Spanned {
            value: class_name.to_string(),
            span: cx.deref(v).span,
        }),
    };
    let cross_mesh = rec.get("cross-mesh").map(|b| cx.bool(b)).lift();
    let replicas = rec
        .get("replicas")
        .map(|r| cx.int(r, 1, 1000, "replicas").map(|n| n.value as u32))
        .lift();
    let service_type = rec
        .get("service-type")
        .map(|t| {
            cx.symbol(t, &["LoadBalancer", "ClusterIP", "NodePort"])
                .map(|s| s.value.to_string())
        })
        .lift();
    let tags = rec.get("tags").map(|t| cx.string_map(t)).lift();
    Some(ClassParameters::MeshGatewayConfig(MeshGatewayConfig {
        name: name?,
        cross_mesh: cross_mesh?,
        replicas: replicas?,
        service_type: service_type?,
        tags: tags?.unwrap_or_default(),
        span: cx.deref(v).span,
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_image;

    #[test]
    fn images_split_like_kgateway_wants_them() {
        let i = parse_image("cr.kgateway.dev/kgateway-dev/sds:v2.1.0-main").unwrap();
        assert_eq!(i.registry.as_deref(), Some("cr.kgateway.dev/kgateway-dev"));
        assert_eq!(i.repository, "sds");
        assert_eq!(i.tag.as_deref(), Some("v2.1.0-main"));
        let i = parse_image("localhost:5000/sds").unwrap();
        assert_eq!(i.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(i.tag, None);
        let i = parse_image("sds:1").unwrap();
        assert_eq!((i.registry, i.repository.as_str()), (None, "sds"));
        for bad in ["", "a b", "x:", "/sds", "reg/:1", "a@sha256:00"] {
            assert!(parse_image(bad).is_none(), "{bad}");
        }
    }
}
