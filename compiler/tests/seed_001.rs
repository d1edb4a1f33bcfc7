//! The `virtual-destinations` example reproduces the Gloo Platform VirtualDestinations guide
//! for Gloo Gateway with Istio (`../shared/seeds/001_…`) field by field: every YAML object the
//! guide shows is below as the guide shows it, and each is compared with the object of the same
//! kind, namespace and name in the right cluster folder of `golden/virtual-destinations/`. The
//! comparison lists every difference (`support::seeds::differences`), and each test asserts
//! that list exactly: what topoc adds beyond the document, and where the example deliberately
//! differs from it, so a wrong value, a missing field and an unexpected extra field all fail.
//!
//! The guide's placeholders, replaced by the example's values (mesh `bookinfo-mesh`:
//! `revision = "main"`, cluster IDs and mesh IDs defaulting to the cluster's name, as the
//! guide's comments suggest — "such as the cluster name"; the GatewayParameters is written in
//! cluster-1, where the gateway runs):
//!
//! | placeholder | value |
//! |---|---|
//! | `<istiod-service-address>` | `istiod-main.istio-system.svc:15012` (the guide's own example) |
//! | `<cluster-ID>` | `cluster-1` |
//! | `<meta-mesh-ID>` | `cluster-1` |
//!
//! The clusters: the guide's management cluster is `mgmt`, its workload clusters 1 and 2
//! (`$REMOTE_CONTEXT1`, …) are `cluster-1` and `cluster-2`. The guide applies the Gateway,
//! the GatewayParameters and both HTTPRoutes to workload cluster 1 and reads the
//! VirtualDestination from the management cluster; the golden tree has them exactly there.
//!
//! What topoc adds to the guide's objects:
//! - the label `app.kubernetes.io/managed-by: topoc`, on every object;
//! - on the Gateway and the HTTPRoutes, the annotation `gloo.solo.io/distributed-source`
//!   (seed 000's format), since topoc's workload-cluster objects are copies of a management
//!   cluster's source objects (`gloo://mgmt/ns/gloo-mesh/kind/KIND/name/NAME`);
//! - the Istio ServiceEntry `reviews-vd` in both workload clusters: the object that, the guide
//!   says, "is automatically created by Gloo Mesh during the translation of your
//!   VirtualDestination" and whose host the HTTPRoute must match. The guide does not show it;
//!   its host, port and endpoints are asserted below.
//!
//! What topoc leaves out: the productpage backendRef's `namespace: bookinfo`, which is the
//! route's own namespace, the Gateway API's default for a backendRef (topoc writes a
//! backendRef's namespace only when it differs from the route's; the CRD's words are checked
//! by `the_backend_namespace_topoc_leaves_out_is_the_routes`, which needs `../shared/corpus`).
//!
//! Where the example differs from the guide: the guide's cleanup restores the `http` Gateway
//! of the getting-started tutorial (class `gloo-gateway`, no `infrastructure`); the example
//! keeps the gateway of step 3, and the test asserts exactly those two differences.
//!
//! **Needs `../shared/seeds`** (override with `TOPOC_SHARED=/path/to/shared`) for
//! `the_embedded_yaml_is_the_documents`, which checks that every snippet below is in the guide,
//! token for token. Without it that test prints `skipping: this test needs ../shared/seeds`
//! and passes; the comparisons with the golden tree need nothing outside the repository.

mod support;

use serde_json::{json, Value};
use support::seeds::{
    differences, gateway_api_schema, golden_clusters, golden_inventory, golden_object, seed, shows,
    yaml, MANAGED_BY,
};

const EXAMPLE: &str = "virtual-destinations";

/// Step 1: `kubectl get virtualdestination reviews-vd --context $MGMT_CONTEXT -n bookinfo`.
const VIRTUAL_DESTINATION: &str = r#"
apiVersion: networking.gloo.solo.io/v2
kind: VirtualDestination
metadata:
  name: reviews-vd
  namespace: bookinfo
spec:
  hosts:
  # Arbitrary, internal-only hostname assigned to the endpoint
  - reviews.mesh.internal.com
  ports:
  - number: 9080
    protocol: HTTP
  services:
    - labels:
        app: reviews
"#;

/// Step 2: the GatewayParameters of a revisioned istiod with custom meta cluster and mesh IDs.
const GATEWAY_PARAMETERS: &str = r#"
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata:
  name: custom-gw-params
  namespace: gloo-system
spec:
  kube: 
    istio:
      istioProxyContainer:
        istioDiscoveryAddress: <istiod-service-address> # such as istiod-main.istio-system.svc:15012
        istioMetaClusterId: <cluster-ID> ## such as the cluster name
        istioMetaMeshId: <meta-mesh-ID> ## such as the cluster name
    sdsContainer:
      image:
        registry: cr.kgateway.dev/kgateway-dev
        repository: sds
        tag: v2.1.0-main
"#;

/// Step 3: the `http` Gateway with the GatewayParameters as its infrastructure.
const GATEWAY: &str = r#"
kind: Gateway
apiVersion: gateway.networking.k8s.io/v1
metadata:
  name: http
  namespace: gloo-system
spec:
  gatewayClassName: gloo-gateway-v2
  infrastructure:
    parametersRef:
      name: custom-gw-params
      group: gateway.kgateway.dev
      kind: GatewayParameters
  listeners:
  - protocol: HTTP
    port: 8080
    name: http
    allowedRoutes:
      namespaces:
        from: All
"#;

/// Step 4: expose the product page.
const PRODUCTPAGE: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: productpage
  namespace: bookinfo
spec:
  parentRefs:
    - name: http
      namespace: gloo-system
  rules:
    - matches:
      - path:
          type: Exact
          value: /productpage
      - path: 
          type: PathPrefix
          value: /static
      backendRefs: 
        - name: productpage
          port: 9080
          namespace: bookinfo
"#;

/// Step 5: route to the VirtualDestination's host.
const REVIEWS: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: reviews
  namespace: gloo-system
spec:
  parentRefs:
    - name: http
      namespace: gloo-system
  rules:
    - matches:
      - path: 
          type: PathPrefix
          value: /reviews
      backendRefs: 
        - name: reviews.mesh.internal.com 
          port: 9080
          kind: Hostname
          group: networking.istio.io
"#;

/// Cleanup, step 4: the `http` Gateway of the getting-started tutorial, restored.
const RESTORED_GATEWAY: &str = r#"
kind: Gateway
apiVersion: gateway.networking.k8s.io/v1
metadata:
  name: http
  namespace: gloo-system
spec:
  gatewayClassName: gloo-gateway
  listeners:
  - protocol: HTTP
    port: 8080
    name: http
    allowedRoutes:
      namespaces:
        from: All
"#;

const SNIPPETS: [&str; 6] = [
    VIRTUAL_DESTINATION,
    GATEWAY_PARAMETERS,
    GATEWAY,
    PRODUCTPAGE,
    REVIEWS,
    RESTORED_GATEWAY,
];

/// The guide's placeholders and the example's values for cluster-1.
const PLACEHOLDERS: [(&str, &str); 3] = [
    (
        "<istiod-service-address>",
        "istiod-main.istio-system.svc:15012",
    ),
    ("<cluster-ID>", "cluster-1"),
    ("<meta-mesh-ID>", "cluster-1"),
];

/// A snippet with its placeholders replaced, as JSON.
fn document(snippet: &str) -> Value {
    let mut text = snippet.to_string();
    for (placeholder, value) in PLACEHOLDERS {
        text = text.replace(placeholder, value);
    }
    assert!(!text.contains("<"), "a placeholder left in:\n{text}");
    yaml(&text)
}

/// The golden object for a document's object, found by the document's kind, namespace and
/// name in `cluster`.
fn golden_for(cluster: &str, doc: &Value) -> Value {
    let field = |pointer: &str| doc.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    golden_object(
        EXAMPLE,
        cluster,
        field("/kind"),
        field("/metadata/namespace"),
        field("/metadata/name"),
    )
}

/// `+ metadata.annotations: …` for the distribution annotation of a workload-cluster copy.
fn distributed_source(kind: &str, name: &str) -> String {
    format!(
        r#"+ metadata.annotations: {{"gloo.solo.io/distributed-source":"gloo://mgmt/ns/gloo-mesh/kind/{kind}/name/{name}"}}"#
    )
}

#[test]
fn the_embedded_yaml_is_the_documents() {
    let Some(text) = seed("001_") else { return };
    for snippet in SNIPPETS {
        assert!(shows(&text, snippet), "the guide does not show:\n{snippet}");
    }
    for (placeholder, _) in PLACEHOLDERS {
        assert!(text.contains(placeholder), "the guide has no {placeholder}");
    }
    // The value used for the discovery address is the guide's own example of it.
    assert!(text.contains("such as istiod-main.istio-system.svc:15012"));
    // And the guide puts the objects where the golden tree has them: the VirtualDestination in
    // the management cluster, Gloo Gateway, its GatewayParameters and both routes in workload
    // cluster 1.
    assert!(text.contains("--context $MGMT_CONTEXT -n bookinfo"));
    assert!(text.contains("Install Gloo Gateway in workload cluster 1"));
    assert_eq!(
        text.matches("kubectl apply --context $REMOTE_CONTEXT1")
            .count(),
        2
    );
    assert!(text.contains("kubectl delete gatewayparameters custom-gw-params -n gloo-system --context $REMOTE_CONTEXT1"));
}

#[test]
fn the_clusters_hold_the_documents_objects_and_the_service_entries() {
    assert_eq!(golden_clusters(EXAMPLE), ["cluster-1", "cluster-2", "mgmt"]);
    let key =
        |kind: &str, ns: &str, name: &str| (kind.to_string(), ns.to_string(), name.to_string());
    assert_eq!(
        golden_inventory(EXAMPLE, "mgmt"),
        [key("VirtualDestination", "bookinfo", "reviews-vd")]
    );
    assert_eq!(
        golden_inventory(EXAMPLE, "cluster-1"),
        [
            key("Gateway", "gloo-system", "http"),
            key("GatewayParameters", "gloo-system", "custom-gw-params"),
            key("HTTPRoute", "bookinfo", "productpage"),
            key("HTTPRoute", "gloo-system", "reviews"),
            // Not in the guide: Gloo Mesh's translation of the VirtualDestination.
            key("ServiceEntry", "bookinfo", "reviews-vd"),
        ]
    );
    // Gloo Gateway runs in cluster-1 only; cluster-2 only gets the host resolvable.
    assert_eq!(
        golden_inventory(EXAMPLE, "cluster-2"),
        [key("ServiceEntry", "bookinfo", "reviews-vd")]
    );
}

#[test]
fn the_virtual_destination_is_the_documents() {
    let doc = document(VIRTUAL_DESTINATION);
    let golden = golden_for("mgmt", &doc);
    assert_eq!(differences(&doc, &golden), [MANAGED_BY]);
}

#[test]
fn the_gateway_parameters_are_the_documents() {
    let doc = document(GATEWAY_PARAMETERS);
    let golden = golden_for("cluster-1", &doc);
    assert_eq!(differences(&doc, &golden), [MANAGED_BY]);
    // The values that replaced the placeholders are those of cluster-1, from the mesh.
    assert_eq!(
        golden["spec"]["kube"]["istio"]["istioProxyContainer"],
        json!({
            "istioDiscoveryAddress": "istiod-main.istio-system.svc:15012",
            "istioMetaClusterId": "cluster-1",
            "istioMetaMeshId": "cluster-1",
        })
    );
}

#[test]
fn the_gateway_is_the_documents() {
    let doc = document(GATEWAY);
    let golden = golden_for("cluster-1", &doc);
    assert_eq!(
        differences(&doc, &golden),
        [
            distributed_source("Gateway", "http"),
            MANAGED_BY.to_string()
        ]
    );
    // Its parametersRef names the GatewayParameters written beside it.
    let params = &golden["spec"]["infrastructure"]["parametersRef"];
    let written = golden_object(
        EXAMPLE,
        "cluster-1",
        params["kind"].as_str().expect("kind"),
        "gloo-system",
        params["name"].as_str().expect("name"),
    );
    assert_eq!(
        written["apiVersion"],
        json!("gateway.kgateway.dev/v1alpha1")
    );
}

#[test]
fn the_example_keeps_the_gateway_the_cleanup_would_restore() {
    // The cleanup's Gateway is the tutorial's, without Istio: the example's differs in exactly
    // the class and the infrastructure of step 3.
    let doc = document(RESTORED_GATEWAY);
    let golden = golden_for("cluster-1", &doc);
    assert_eq!(
        differences(&doc, &golden),
        [
            distributed_source("Gateway", "http"),
            MANAGED_BY.to_string(),
            r#"~ spec.gatewayClassName: "gloo-gateway" -> "gloo-gateway-v2""#.to_string(),
            r#"+ spec.infrastructure: {"parametersRef":{"group":"gateway.kgateway.dev","kind":"GatewayParameters","name":"custom-gw-params"}}"#.to_string(),
        ]
    );
}

#[test]
fn the_productpage_route_is_the_documents() {
    let doc = document(PRODUCTPAGE);
    let golden = golden_for("cluster-1", &doc);
    assert_eq!(
        differences(&doc, &golden),
        [
            distributed_source("HTTPRoute", "productpage"),
            MANAGED_BY.to_string(),
            // The route's own namespace, the Gateway API's default: topoc leaves it out.
            r#"- spec.rules[0].backendRefs[0].namespace: "bookinfo""#.to_string(),
        ]
    );
    assert_eq!(doc["metadata"]["namespace"], json!("bookinfo"));
}

/// Leaving the productpage backendRef's namespace out keeps its meaning: the Gateway API's
/// HTTPRoute CRD (`../shared/corpus`; skipped without it) infers the route's namespace.
#[test]
fn the_backend_namespace_topoc_leaves_out_is_the_routes() {
    let Some(namespace) = gateway_api_schema(
        "gateway.networking.k8s.io_httproutes.yaml",
        &["rules", "backendRefs", "namespace"],
    ) else {
        return;
    };
    let description = namespace["description"].as_str().expect("a description");
    assert!(
        shows(
            description,
            "When unspecified, the local namespace is inferred."
        ),
        "{description}"
    );
}

#[test]
fn the_reviews_route_is_the_documents() {
    let doc = document(REVIEWS);
    let golden = golden_for("cluster-1", &doc);
    assert_eq!(
        differences(&doc, &golden),
        [
            distributed_source("HTTPRoute", "reviews"),
            MANAGED_BY.to_string()
        ]
    );
}

#[test]
fn the_service_entries_resolve_the_virtual_destinations_host() {
    // "this hostname must match the hostname that is defined in the ServiceEntry resource that
    // is automatically created by Gloo Mesh (Gloo Platform APIs) during the translation of
    // your VirtualDestination": the route's backendRef, the VirtualDestination's host and
    // port, and each workload cluster's ServiceEntry agree.
    let vd = golden_object(
        EXAMPLE,
        "mgmt",
        "VirtualDestination",
        "bookinfo",
        "reviews-vd",
    );
    let route = golden_object(EXAMPLE, "cluster-1", "HTTPRoute", "gloo-system", "reviews");
    let backend = &route["spec"]["rules"][0]["backendRefs"][0];
    assert_eq!(vd["spec"]["hosts"], json!([backend["name"]]));
    assert_eq!(vd["spec"]["ports"][0]["number"], backend["port"]);

    let ports = json!([{ "name": "http-9080", "number": 9080, "protocol": "HTTP" }]);
    // Each cluster reaches its own instances of reviews by their Service name, and the other
    // cluster's through that cluster's east-west gateway on 15443, on that cluster's network.
    let local = |cluster: &str| {
        json!({
            "address": "reviews.bookinfo.svc.cluster.local",
            "labels": { "topology.istio.io/cluster": cluster },
            "ports": { "http-9080": 9080 },
        })
    };
    let remote = |cluster: &str| {
        json!({
            "address": format!("istio-eastwestgateway.istio-gateways.{cluster}.example.com"),
            "labels": { "topology.istio.io/cluster": cluster },
            "network": cluster,
            "ports": { "http-9080": 15443 },
        })
    };
    for (cluster, endpoints) in [
        (
            "cluster-1",
            json!([local("cluster-1"), remote("cluster-2")]),
        ),
        (
            "cluster-2",
            json!([remote("cluster-1"), local("cluster-2")]),
        ),
    ] {
        let entry = golden_object(EXAMPLE, cluster, "ServiceEntry", "bookinfo", "reviews-vd");
        assert_eq!(
            entry["apiVersion"],
            json!("networking.istio.io/v1"),
            "{cluster}"
        );
        assert_eq!(
            entry["metadata"],
            json!({
                "labels": { "app.kubernetes.io/managed-by": "topoc" },
                "name": "reviews-vd",
                "namespace": "bookinfo",
            }),
            "{cluster}"
        );
        assert_eq!(
            entry["spec"],
            json!({
                "endpoints": endpoints,
                "hosts": vd["spec"]["hosts"],
                "location": "MESH_INTERNAL",
                "ports": ports,
                "resolution": "DNS",
            }),
            "{cluster}"
        );
    }
}
