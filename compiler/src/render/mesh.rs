//! The mesh kinds, which have no typed crate and are rendered from `stdlib/templates/`:
//!
//! - Gloo Platform `VirtualDestination` (seed 001), in the management cluster;
//! - Istio `ServiceEntry` for each virtual destination, in every workload cluster of its mesh,
//!   with the endpoints that cluster reaches;
//! - kgateway `GatewayParameters` (seed 001), per gateway and cluster: the istio-proxy's
//!   cluster ID is the cluster's;
//! - Kuma `MeshGatewayConfig` (seed 003), next to the GatewayClass that references it.
//!
//! Objects whose bytes differ per cluster are rendered per cluster and shared when equal.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::gloo::render_template;
use super::{object, Cx, Object, TemplateError, MANAGED_BY};
use crate::mesh::{proxy_settings, Selections};
use crate::model::*;
use crate::resolve::place::{ClusterSet, Placement};

/// Metadata with topoc's label added to `labels`, and no relay provenance: the relay never
/// copies these kinds.
fn metadata(
    name: &str,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Value {
    let mut labels = labels.clone();
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    let mut m = json!({ "name": name, "labels": labels });
    if let Some(ns) = namespace {
        m["namespace"] = json!(ns);
    }
    if !annotations.is_empty() {
        m["annotations"] = json!(annotations);
    }
    m
}

/// What one object is: its kind, name and namespace.
struct Identity<'a> {
    kind: &'static str,
    name: &'a str,
    namespace: Option<&'a str>,
}

/// Render and finish one object; an empty `spec` stays an (empty) object.
fn finish(
    cx: &Cx<'_>,
    template: &str,
    what: &str,
    context: &tera::Context,
    id: Identity<'_>,
    metadata: Value,
) -> Result<Object, TemplateError> {
    let mut value = render_template(cx, template, what, context)?;
    if value["spec"].is_null() {
        value["spec"] = json!({});
    }
    value["metadata"] = metadata;
    Ok(object(id.kind, id.name, id.namespace, &value))
}

fn plain(id: &Identity<'_>) -> Value {
    metadata(id.name, id.namespace, &BTreeMap::new(), &BTreeMap::new())
}

/// One object to render, and the cluster it goes to.
enum Job<'p> {
    VirtualDestination(&'p VirtualDestination),
    /// A ServiceEntry from its virtual destination's frame.
    ServiceEntry(VirtualDestinationId, &'p Value, ClusterId),
    GatewayParameters(&'p Gateway, String, ClusterId),
    MeshGatewayConfig(&'p Class, &'p MeshGatewayConfig),
}

pub(super) fn render(
    cx: &Cx<'_>,
    placement: &Placement,
    selections: &Selections,
    per_cluster: &mut [Vec<Arc<Object>>],
) -> Vec<TemplateError> {
    let p = cx.program;
    let mut errors = Vec::new();
    // What the ServiceEntries of a virtual destination share, from the template once; only
    // their endpoints differ from cluster to cluster.
    let frames: Vec<Result<Value, TemplateError>> = p
        .virtual_destinations
        .par_iter()
        .map(|vd| service_entry_frame(cx, vd))
        .collect();
    let frames: Vec<Option<Value>> = frames
        .into_iter()
        .map(|frame| frame.map_err(|e| errors.push(e)).ok())
        .collect();
    // The objects in a fixed order, rendered in parallel (a ServiceEntry per virtual
    // destination and cluster of its mesh is most of the work), then shared and handed to
    // their clusters in that order, as a sequential run would.
    let mut jobs: Vec<(usize, Job<'_>)> = Vec::new();
    for (i, vd) in p.virtual_destinations.iter().enumerate() {
        if let Some(mgmt) = p.management() {
            jobs.push((mgmt.index(), Job::VirtualDestination(vd)));
        }
        let id = VirtualDestinationId(i as u32);
        let Some(frame) = &frames[i] else {
            continue;
        };
        for c in placement.virtual_destinations[i].clusters.ones() {
            jobs.push((c, Job::ServiceEntry(id, frame, ClusterId(c as u32))));
        }
    }
    for (gi, g) in p.gateways.iter().enumerate() {
        let Some(name) = crate::mesh::parameters_name(p, g) else {
            continue;
        };
        for c in placement.gateways[gi].clusters.ones() {
            jobs.push((
                c,
                Job::GatewayParameters(g, name.clone(), ClusterId(c as u32)),
            ));
        }
    }
    for (ci, class) in p.classes.iter().enumerate() {
        let (true, Some(ClassParameters::MeshGatewayConfig(config))) =
            (class.emit, &class.parameters)
        else {
            continue;
        };
        for c in placement.classes[ci].clusters.ones() {
            jobs.push((c, Job::MeshGatewayConfig(class, config)));
        }
    }
    let rendered: Vec<Result<Object, TemplateError>> = jobs
        .par_iter()
        .map(|(_, job)| match job {
            Job::VirtualDestination(vd) => virtual_destination(cx, vd),
            Job::ServiceEntry(vd, frame, here) => {
                Ok(service_entry(cx, selections, *vd, frame, *here))
            }
            Job::GatewayParameters(g, name, c) => gateway_parameters(cx, g, name, *c),
            Job::MeshGatewayConfig(class, config) => mesh_gateway_config(cx, class, config),
        })
        .collect();
    let mut shared: BTreeMap<Arc<str>, Arc<Object>> = BTreeMap::new();
    for ((c, _), result) in jobs.iter().zip(rendered) {
        match result {
            Ok(obj) => {
                let obj = shared
                    .entry(obj.yaml.clone())
                    .or_insert_with(|| Arc::new(obj))
                    .clone();
                if let Some(objects) = per_cluster.get_mut(*c) {
                    objects.push(obj);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    errors
}

#[derive(Serialize)]
struct PortContext<'a> {
    name: String,
    number: u16,
    protocol: &'a str,
    target_port: Option<u16>,
}

fn port_name(port: &VdPort) -> String {
    format!("{}-{}", port.protocol.to_ascii_lowercase(), port.number)
}

fn ports(vd: &VirtualDestination) -> Vec<PortContext<'_>> {
    vd.ports
        .iter()
        .map(|port| PortContext {
            name: port_name(port),
            number: port.number,
            protocol: &port.protocol,
            target_port: port.target_port,
        })
        .collect()
}

fn hosts(vd: &VirtualDestination) -> Vec<&str> {
    vd.hosts.iter().map(|h| h.value.as_str()).collect()
}

fn virtual_destination(cx: &Cx<'_>, vd: &VirtualDestination) -> Result<Object, TemplateError> {
    let mut context = tera::Context::new();
    context.insert("hosts", &hosts(vd));
    context.insert("ports", &ports(vd));
    context.insert("select", &vd.select.value);
    let what = format!("virtual destination `{}`", vd.meta.name.text);
    let (name, namespace) = (&vd.meta.name.text, &vd.meta.namespace.value);
    // The definition's own labels and annotations belong on the VirtualDestination.
    let meta = metadata(name, Some(namespace), &vd.meta.labels, &vd.meta.annotations);
    let id = Identity {
        kind: "VirtualDestination",
        name,
        namespace: Some(namespace),
    };
    finish(
        cx,
        "virtualdestination.yaml.tera",
        &what,
        &context,
        id,
        meta,
    )
}

/// One endpoint of a ServiceEntry: `address`, the cluster's label, `network` for an endpoint
/// through an east-west gateway, and the port of each of the virtual destination's ports.
fn endpoint(
    address: String,
    cluster: &str,
    network: Option<&str>,
    ports: impl Iterator<Item = (String, u16)>,
) -> Value {
    let mut e = serde_json::Map::new();
    e.insert("address".into(), Value::String(address));
    let mut labels = serde_json::Map::new();
    labels.insert(
        "topology.istio.io/cluster".into(),
        Value::String(cluster.to_string()),
    );
    e.insert("labels".into(), Value::Object(labels));
    if let Some(network) = network {
        e.insert("network".into(), Value::String(network.to_string()));
    }
    let ports = ports
        .map(|(name, port)| (name, Value::from(port)))
        .collect();
    e.insert("ports".into(), Value::Object(ports));
    Value::Object(e)
}

/// Istio's port for cross-network mTLS through an east-west gateway (`AUTO_PASSTHROUGH`).
const EAST_WEST_PORT: u16 = 15443;

/// The ServiceEntry of a virtual destination without its endpoints: hosts and ports, from
/// the template.
fn service_entry_frame(cx: &Cx<'_>, vd: &VirtualDestination) -> Result<Value, TemplateError> {
    let mut context = tera::Context::new();
    context.insert("hosts", &hosts(vd));
    context.insert("ports", &ports(vd));
    let what = format!(
        "the ServiceEntries of virtual destination `{}`",
        vd.meta.name.text
    );
    let mut value = render_template(cx, "serviceentry.yaml.tera", &what, &context)?;
    if value["spec"].is_null() {
        value["spec"] = json!({});
    }
    Ok(value)
}

/// The ServiceEntry of a virtual destination in one cluster: its frame, with the endpoints of
/// the selected services: in this cluster one per service, by its Service name; in another
/// cluster one in all, its east-west gateway. The endpoints are built here rather
/// than in the template: rendering and parsing back thousands of endpoint lists was most of
/// a large build.
fn service_entry(
    cx: &Cx<'_>,
    selections: &Selections,
    id: VirtualDestinationId,
    frame: &Value,
    here: ClusterId,
) -> Object {
    let p = cx.program;
    let vd = p.virtual_destination(id);
    let east_west = match &p.mesh(vd.mesh.value).provider {
        MeshProvider::Istio(istio) => Some(&istio.east_west),
        MeshProvider::Kuma(_) => None,
    };
    let mut endpoints = Vec::new();
    // Another cluster is one endpoint, its east-west gateway, however many of the selected
    // services run there (W0382 warns about several).
    let mut remote = ClusterSet::with_capacity(p.clusters.len());
    for sel in selections.of(id) {
        let s = p.service(sel.service);
        for c in sel.clusters.ones() {
            let cluster = ClusterId(c as u32);
            let cluster_name = &p.cluster(cluster).name.text;
            if cluster == here {
                let address = format!(
                    "{}.{}.svc.cluster.local",
                    s.meta.name.text, s.meta.namespace.value
                );
                let ports = vd
                    .ports
                    .iter()
                    .map(|port| (port_name(port), port.service_port()));
                endpoints.push(endpoint(address, cluster_name, None, ports));
            } else if let Some(address) = east_west
                .and_then(|ew| ew.get(&cluster))
                .filter(|_| !remote.put(c))
            {
                let ports = vd
                    .ports
                    .iter()
                    .map(|port| (port_name(port), EAST_WEST_PORT));
                let address = address.value.clone();
                endpoints.push(endpoint(address, cluster_name, Some(cluster_name), ports));
            }
        }
    }
    let mut value = frame.clone();
    // No endpoint at all (every selected instance elsewhere, without an east-west address:
    // W0380): no `endpoints` field, which Istio reads as none.
    if !endpoints.is_empty() {
        value["spec"]["endpoints"] = Value::Array(endpoints);
    }
    let id = Identity {
        kind: "ServiceEntry",
        name: &vd.meta.name.text,
        namespace: Some(&vd.meta.namespace.value),
    };
    value["metadata"] = plain(&id);
    object(id.kind, id.name, id.namespace, &value)
}

fn gateway_parameters(
    cx: &Cx<'_>,
    g: &Gateway,
    name: &str,
    cluster: ClusterId,
) -> Result<Object, TemplateError> {
    let settings = proxy_settings(cx.program, g, cluster);
    let mut context = tera::Context::new();
    context.insert("discovery_address", &settings.discovery_address);
    context.insert("cluster_id", &settings.cluster_id);
    context.insert("mesh_id", &settings.mesh_id);
    context.insert(
        "sds_image",
        &settings
            .sds_image
            .as_ref()
            .map(|i| json!({ "registry": i.registry, "repository": i.repository, "tag": i.tag })),
    );
    let what = format!(
        "the GatewayParameters of gateway `{}` in {}",
        g.meta.name.text,
        cx.program.cluster(cluster).name.text
    );
    let id = Identity {
        kind: "GatewayParameters",
        name,
        namespace: Some(&g.meta.namespace.value),
    };
    let meta = plain(&id);
    finish(cx, "gatewayparameters.yaml.tera", &what, &context, id, meta)
}

fn mesh_gateway_config(
    cx: &Cx<'_>,
    class: &Class,
    config: &MeshGatewayConfig,
) -> Result<Object, TemplateError> {
    let mut context = tera::Context::new();
    context.insert("cross_mesh_set", &config.cross_mesh.is_some());
    context.insert("cross_mesh", &config.cross_mesh.unwrap_or(false));
    context.insert("replicas", &config.replicas);
    context.insert("service_type", &config.service_type);
    context.insert("tags", &config.tags);
    let what = format!("the MeshGatewayConfig of class `{}`", class.name.text);
    let id = Identity {
        kind: "MeshGatewayConfig",
        name: &config.name.value,
        namespace: None,
    };
    let meta = plain(&id);
    finish(cx, "meshgatewayconfig.yaml.tera", &what, &context, id, meta)
}

#[cfg(test)]
mod tests {
    use crate::{compile_source, Options};

    /// The ServiceEntry text of virtual destination `reviews` in `cluster`, from a program
    /// made of the shared preamble (a two-cluster Istio mesh, `east-west` as given) and `rest`.
    fn service_entry(east_west: &str, rest: &str, cluster: &str) -> String {
        let text = format!(
            r#"
cluster mgmt      {{ role = management }}
cluster cluster-1 {{ }}
cluster cluster-2 {{ }}
mesh bookinfo {{
  provider  = istio
  clusters  = [cluster-1, cluster-2]
  east-west = {{ {east_west} }}
}}
virtual-destination reviews {{
  namespace = "bookinfo"
  mesh      = mesh.bookinfo
  hosts     = ["reviews.mesh.internal.com"]
  ports     = [{{ number = 9080, protocol = HTTP }}]
  select    = {{ app = "reviews" }}
  allow     = [W0380, W0382]
}}
{rest}
"#
        );
        let c = compile_source(
            "mesh.topo",
            &text,
            Options {
                render: true,
                ..Options::default()
            },
        );
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let tree = c.tree.expect("a tree");
        let (_, content) = tree
            .iter()
            .find(|(path, _)| {
                path.starts_with(&format!("{cluster}/")) && path.contains("serviceentry")
            })
            .unwrap_or_else(|| panic!("a ServiceEntry in {cluster}: {:?}", tree.keys()));
        let mut bytes = Vec::new();
        content.write_to(&mut bytes).expect("in memory");
        String::from_utf8(bytes).expect("UTF-8")
    }

    /// Two selected services in cluster-1 are two local endpoints there, but one endpoint,
    /// the east-west gateway, in cluster-2.
    #[test]
    fn another_cluster_is_one_endpoint_however_many_services_run_there() {
        let services = r#"
service reviews         { namespace = "bookinfo"  labels = { app = "reviews" }  ports = [{ name = "http", port = 9080 }]  runs-in = [cluster-1] }
service reviews-metrics { namespace = "bookinfo"  labels = { app = "reviews" }  ports = [{ name = "http", port = 9080 }]  runs-in = [cluster-1] }
"#;
        let east_west = r#"cluster-1 = "ew-1.example.com"  cluster-2 = "ew-2.example.com""#;
        let there = service_entry(east_west, services, "cluster-2");
        assert_eq!(there.matches("ew-1.example.com").count(), 1, "{there}");
        let here = service_entry(east_west, services, "cluster-1");
        assert!(
            here.contains("reviews.bookinfo.svc.cluster.local"),
            "{here}"
        );
        assert!(
            here.contains("reviews-metrics.bookinfo.svc.cluster.local"),
            "{here}"
        );
    }

    /// Without a reachable instance (W0380) the ServiceEntry has no `endpoints` field, not a
    /// null one.
    #[test]
    fn no_endpoint_means_no_endpoints_field() {
        let services = r#"
service reviews { namespace = "bookinfo"  labels = { app = "reviews" }  ports = [{ name = "http", port = 9080 }]  runs-in = [cluster-1] }
"#;
        let there = service_entry(r#"cluster-2 = "ew-2.example.com""#, services, "cluster-2");
        assert!(!there.contains("endpoints"), "{there}");
        assert!(there.contains("reviews.mesh.internal.com"), "{there}");
    }
}
