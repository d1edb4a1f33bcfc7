//! The `kong-mesh` example reproduces the Kong Mesh page on the Kubernetes Gateway API
//! (`../shared/seeds/003_…`) field by field: every YAML object the page shows is below, and
//! each is compared with the object of the same kind, namespace and name in the right cluster
//! folder of `golden/kong-mesh/`. The comparison lists every difference
//! (`support::seeds::differences`), and each test asserts that list exactly: what topoc adds
//! beyond the page, and where the example deliberately differs from it, so a wrong value, a
//! missing field and an unexpected extra field all fail.
//!
//! The page's text lost its YAML's indentation (and, for the first Gateway and HTTPRoute, its
//! line breaks); the snippets below restore it and change nothing else, which
//! `the_embedded_yaml_is_the_documents` checks token for token. The page has no placeholders;
//! the Secret's redacted data is kept as the page shows it. Its clusters and zones keep the
//! page's names: zone-1 runs in `k8s-cluster-1`, zone-2 in `k8s-cluster-2`, and the global
//! control plane in `kuma-global`, which gets nothing ("Gateway API resources like `Gateway`,
//! `ReferenceGrant`, and `HTTPRoute` must be created in non-global zones").
//!
//! What topoc adds to the page's objects:
//! - the label `app.kubernetes.io/managed-by: topoc`, on every object;
//! - `tls.mode: Terminate` on the HTTPS listener, the Gateway API's default;
//! - `group: ""` on the GAMMA route's Service parentRef: the page leaves the group out, but a
//!   parentRef's group defaults to `gateway.networking.k8s.io`, and a Service is in the core
//!   group `""`.
//!
//! What topoc leaves out: on the `echo` route, the parentRef's `group:
//! gateway.networking.k8s.io` and `kind: Gateway` and the backendRef's `kind: Service`, which
//! are the Gateway API's defaults. The CRD's defaults are checked by
//! `the_fields_topoc_adds_or_leaves_out_are_the_gateway_apis_defaults` (needs
//! `../shared/corpus`).
//!
//! Where the example deliberately differs from the page:
//! - its Gateway `kuma` is the page's TLS termination version of it (listener `proxy` on 8080,
//!   HTTPS, `test.kuma.io`, Secret `secret-tls`), so the page's first, HTTP, version differs
//!   in exactly those listener fields;
//! - topoc writes no Secret (docs/language.md#secrets: another tool creates it; topoc checks
//!   that it is in the gateway's zone): the example declares `secret-tls` in zone-1, and no
//!   cluster folder has a Secret;
//! - its class `kuma` is the one of `stdlib/kuma`, Kong Mesh's class without a
//!   MeshGatewayConfig: the page's Customization `parametersRef` is shown through the
//!   cross-mesh class instead, and no MeshGatewayConfig `kuma` is written;
//! - the cross-mesh Gateway is named `kuma-cross`, not `kuma` (the name of the other gateway);
//! - objects the page describes without YAML: the route `backend` of the multi-zone scenario
//!   (to the Service `backend`, which runs in both zones; none to `db`, which runs only in
//!   zone-2), and the `payments` mesh's Gateway and HTTPRoute with the `kuma.io/mesh`
//!   annotation the page asks for ("HTTPRoutes must also have the annotation to reference a
//!   Gateway from a non-default Mesh").
//!
//! **Needs `../shared/seeds`** (override with `TOPOC_SHARED=/path/to/shared`) for
//! `the_embedded_yaml_is_the_documents`, which checks that every snippet below is on the page,
//! token for token. Without it that test prints `skipping: this test needs ../shared/seeds`
//! and passes; the comparisons with the golden tree need nothing outside the repository.

mod support;

use serde_json::{json, Value};
use support::seeds::{
    differences, gateway_api_schema, golden_clusters, golden_inventory, golden_object,
    golden_objects, seed, shows, yaml, yaml_all, MANAGED_BY,
};

const EXAMPLE: &str = "kong-mesh";

/// Gateways, step 2: the built-in edge gateway.
const GATEWAY: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: kuma
  namespace: kuma-demo
spec:
  gatewayClassName: kuma
  listeners:
  - name: proxy
    port: 8080
    protocol: HTTP
"#;

/// Gateways, step 3: the HTTPRoute to the demo app.
const ECHO: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: echo
  namespace: kuma-demo
spec:
  parentRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: kuma
    namespace: kuma-demo
  rules:
  - backendRefs:
    - kind: Service
      name: demo-app
      port: 5000
      weight: 1
    matches:
    - path:
        type: PathPrefix
        value: /
"#;

/// TLS termination: the Secret and the HTTPS Gateway.
const TLS_SECRET: &str = r#"
apiVersion: v1
kind: Secret
metadata:
  name: secret-tls
  namespace: kuma-demo
type: kubernetes.io/tls
data:
  tls.crt: "MIIEOzCCAyO..." # redacted
  tls.key: "MIIEowIBAAKC..." # redacted
"#;

const TLS_GATEWAY: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: kuma
  namespace: kuma-demo
spec:
  gatewayClassName: kuma
  listeners:
  - name: proxy
    port: 8080
    hostname: test.kuma.io
    protocol: HTTPS
    tls:
      certificateRefs:
      - name: secret-tls
"#;

/// Customization: a GatewayClass with a MeshGatewayConfig.
const CUSTOMIZED_CLASS: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: kuma
spec:
  controllerName: gateways.kuma.io/controller
  parametersRef:
    kind: MeshGatewayConfig
    group: kuma.io
    name: kuma
"#;

/// Cross-mesh: the class, its MeshGatewayConfig, and the Gateway using it.
const CROSS_MESH: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: kuma-cross-mesh
spec:
  controllerName: gateways.kuma.io/controller
  parametersRef:
    group: kuma.io
    kind: MeshGatewayConfig
    name: default-cross-mesh
---
apiVersion: kuma.io/v1alpha1
kind: MeshGatewayConfig
metadata:
  name: default-cross-mesh
spec:
  crossMesh: true
"#;

const CROSS_MESH_GATEWAY: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: kuma
  namespace: default
spec:
  gatewayClassName: kuma-cross-mesh
  listeners:
  - name: proxy
    port: 8080
    protocol: HTTP
"#;

/// Service to service routing (GAMMA).
const CANARY: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: canary-demo-app
  namespace: kuma-demo
spec:
  parentRefs:
  - name: demo-app
    port: 5000
    kind: Service
  rules:
  - backendRefs:
    - name: demo-app-v1
      port: 5000
    - name: demo-app-v2
      port: 5000
"#;

const SNIPPETS: [&str; 8] = [
    GATEWAY,
    ECHO,
    TLS_SECRET,
    TLS_GATEWAY,
    CUSTOMIZED_CLASS,
    CROSS_MESH,
    CROSS_MESH_GATEWAY,
    CANARY,
];

const ZONE_1: &str = "k8s-cluster-1";
const ZONE_2: &str = "k8s-cluster-2";

fn key(kind: &str, namespace: &str, name: &str) -> (String, String, String) {
    (kind.to_string(), namespace.to_string(), name.to_string())
}

fn field<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The golden object in `cluster` with the kind, namespace and name of the page's object.
fn golden_for(cluster: &str, doc: &Value) -> Value {
    golden_object(
        EXAMPLE,
        cluster,
        field(doc, "/kind"),
        field(doc, "/metadata/namespace"),
        field(doc, "/metadata/name"),
    )
}

fn lines(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_embedded_yaml_is_the_documents() {
    let Some(text) = seed("003_") else { return };
    for snippet in SNIPPETS {
        assert!(shows(&text, snippet), "the page does not show:\n{snippet}");
    }
    // The facts the example's placement and extra objects stand on, as the page's text has
    // them: it sets highlighted names off with line breaks, and sometimes glues one to the
    // word before it ("inzone-1").
    for fact in [
        r#"subgraph c1["k8s-cluster-1"] subgraph z1["zone-1"]"#,
        r#"subgraph c2["k8s-cluster-2"] subgraph z2["zone-2"]"#,
        "in separate Kubernetes clusters",
        "Gateway with listener on port 8080 deployed inzone-1",
        "A service named backend deployed in each zone",
        "A service named db deployed only inzone-2",
        "must be created in non-global zones.",
        "by setting the kuma.io/mesh annotation",
        "HTTPRoutes must also have the annotation to reference a Gateway from a non-default Mesh",
        "by using standard kubernetes.io/tls Secrets.",
    ] {
        assert!(shows(&text, fact), "the page does not say: {fact}");
    }
}

#[test]
fn the_zones_hold_the_pages_objects_and_the_global_cluster_none() {
    // Nothing lands in kuma-global: not even a kustomization.
    assert_eq!(golden_clusters(EXAMPLE), [ZONE_1, ZONE_2]);
    assert_eq!(
        golden_inventory(EXAMPLE, ZONE_1),
        [
            key("Gateway", "default", "kuma-cross"),
            key("Gateway", "kuma-demo", "kuma"),
            key("GatewayClass", "", "kuma"),
            key("GatewayClass", "", "kuma-cross-mesh"),
            // Not in the page's YAML: the multi-zone scenario's route to `backend`.
            key("HTTPRoute", "kuma-demo", "backend"),
            key("HTTPRoute", "kuma-demo", "canary-demo-app"),
            key("HTTPRoute", "kuma-demo", "echo"),
            key("MeshGatewayConfig", "", "default-cross-mesh"),
        ]
    );
    assert_eq!(
        golden_inventory(EXAMPLE, ZONE_2),
        [
            // Not in the page's YAML: the `payments` mesh's gateway and route.
            key("Gateway", "payments", "payments"),
            key("GatewayClass", "", "kuma"),
            key("HTTPRoute", "kuma-demo", "canary-demo-app"),
            key("HTTPRoute", "payments", "ledger"),
        ]
    );
}

#[test]
fn the_gateway_is_the_pages_tls_version() {
    let doc = yaml(TLS_GATEWAY);
    assert_eq!(
        differences(&doc, &golden_for(ZONE_1, &doc)),
        lines(&[MANAGED_BY, r#"+ spec.listeners[0].tls.mode: "Terminate""#])
    );
    // The page's first version of `kuma` is plain HTTP: the example's differs in exactly the
    // listener's hostname, protocol and TLS.
    let doc = yaml(GATEWAY);
    assert_eq!(
        differences(&doc, &golden_for(ZONE_1, &doc)),
        lines(&[
            MANAGED_BY,
            r#"+ spec.listeners[0].hostname: "test.kuma.io""#,
            r#"~ spec.listeners[0].protocol: "HTTP" -> "HTTPS""#,
            r#"+ spec.listeners[0].tls: {"certificateRefs":[{"name":"secret-tls"}],"mode":"Terminate"}"#,
        ])
    );
}

#[test]
fn the_secret_is_referenced_and_not_written() {
    let secret = yaml(TLS_SECRET);
    assert_eq!(secret["type"], json!("kubernetes.io/tls"));
    for cluster in golden_clusters(EXAMPLE) {
        for ((kind, namespace, name), _) in golden_objects(EXAMPLE, &cluster) {
            assert_ne!(kind, "Secret", "{cluster} has a Secret {namespace}/{name}");
        }
    }
    // The gateway names it, in its own namespace (so with no `namespace` in the ref).
    let gateway = golden_object(EXAMPLE, ZONE_1, "Gateway", "kuma-demo", "kuma");
    assert_eq!(
        gateway["metadata"]["namespace"],
        secret["metadata"]["namespace"]
    );
    assert_eq!(
        gateway["spec"]["listeners"][0]["tls"]["certificateRefs"],
        json!([{ "name": secret["metadata"]["name"] }])
    );
}

#[test]
fn the_echo_route_is_the_pages() {
    let doc = yaml(ECHO);
    assert_eq!(
        differences(&doc, &golden_for(ZONE_1, &doc)),
        lines(&[
            MANAGED_BY,
            // The Gateway API's defaults, which topoc leaves out.
            r#"- spec.parentRefs[0].group: "gateway.networking.k8s.io""#,
            r#"- spec.parentRefs[0].kind: "Gateway""#,
            r#"- spec.rules[0].backendRefs[0].kind: "Service""#,
        ])
    );
}

#[test]
fn the_kuma_class_is_the_pages_without_its_mesh_gateway_config() {
    let doc = yaml(CUSTOMIZED_CLASS);
    // The class is emitted wherever a gateway uses it: both zones.
    for cluster in [ZONE_1, ZONE_2] {
        assert_eq!(
            differences(&doc, &golden_for(cluster, &doc)),
            lines(&[
                MANAGED_BY,
                r#"- spec.parametersRef: {"group":"kuma.io","kind":"MeshGatewayConfig","name":"kuma"}"#,
            ]),
            "{cluster}"
        );
        assert!(
            !golden_inventory(EXAMPLE, cluster).contains(&key("MeshGatewayConfig", "", "kuma")),
            "{cluster}"
        );
    }
}

#[test]
fn the_cross_mesh_class_and_config_are_the_pages() {
    let objects = yaml_all(CROSS_MESH);
    assert_eq!(objects.len(), 2);
    for doc in &objects {
        assert_eq!(
            differences(doc, &golden_for(ZONE_1, doc)),
            [MANAGED_BY],
            "{}",
            field(doc, "/kind")
        );
    }
    // Only the zone with a gateway of the class gets them.
    let zone_2 = golden_inventory(EXAMPLE, ZONE_2);
    assert!(!zone_2.contains(&key("GatewayClass", "", "kuma-cross-mesh")));
    assert!(!zone_2.contains(&key("MeshGatewayConfig", "", "default-cross-mesh")));
}

#[test]
fn the_cross_mesh_gateway_is_the_pages_but_for_its_name() {
    let doc = yaml(CROSS_MESH_GATEWAY);
    let golden = golden_object(EXAMPLE, ZONE_1, "Gateway", "default", "kuma-cross");
    assert_eq!(
        differences(&doc, &golden),
        lines(&[MANAGED_BY, r#"~ metadata.name: "kuma" -> "kuma-cross""#])
    );
}

#[test]
fn the_canary_route_is_the_pages_in_both_zones() {
    let doc = yaml(CANARY);
    // demo-app runs in both zones, so the mesh route is in both.
    for cluster in [ZONE_1, ZONE_2] {
        assert_eq!(
            differences(&doc, &golden_for(cluster, &doc)),
            lines(&[MANAGED_BY, r#"+ spec.parentRefs[0].group: """#]),
            "{cluster}"
        );
    }
    // A producer route: the route and its parent Service share a namespace.
    assert!(doc["spec"]["parentRefs"][0].get("namespace").is_none());
}

#[test]
fn the_payments_mesh_objects_carry_its_annotation_and_no_other_does() {
    let annotated = [
        (ZONE_2, "Gateway", "payments", "payments"),
        (ZONE_2, "HTTPRoute", "payments", "ledger"),
    ];
    for cluster in golden_clusters(EXAMPLE) {
        for ((kind, namespace, name), object) in golden_objects(EXAMPLE, &cluster) {
            let expected = annotated
                .iter()
                .any(|a| {
                    *a == (
                        cluster.as_str(),
                        kind.as_str(),
                        namespace.as_str(),
                        name.as_str(),
                    )
                })
                .then(|| json!({ "kuma.io/mesh": "payments" }));
            assert_eq!(
                object["metadata"].get("annotations").cloned(),
                expected,
                "{cluster}: {kind} {namespace}/{name}"
            );
        }
    }
    // The route references the payments gateway.
    let ledger = golden_object(EXAMPLE, ZONE_2, "HTTPRoute", "payments", "ledger");
    assert_eq!(
        ledger["spec"]["parentRefs"],
        json!([{ "name": "payments", "namespace": "payments" }])
    );
}

#[test]
fn the_multi_zone_route_reaches_only_its_zones_backend() {
    // The gateway is in zone-1; its route goes to `backend`, which runs in each zone, and
    // nothing goes to `db`, which runs only in zone-2 (BackendNotFound in zone-1).
    let route = golden_object(EXAMPLE, ZONE_1, "HTTPRoute", "kuma-demo", "backend");
    assert_eq!(
        route["spec"]["parentRefs"],
        json!([{ "name": "kuma", "namespace": "kuma-demo" }])
    );
    assert_eq!(
        route["spec"]["rules"][0]["backendRefs"],
        json!([{ "name": "backend", "port": 8080 }])
    );
    for cluster in golden_clusters(EXAMPLE) {
        for ((kind, namespace, name), object) in golden_objects(EXAMPLE, &cluster) {
            if kind == "HTTPRoute" {
                for rule in object["spec"]["rules"].as_array().expect("rules") {
                    for backend in rule["backendRefs"].as_array().expect("backendRefs") {
                        assert_ne!(
                            backend["name"],
                            json!("db"),
                            "{cluster}: {namespace}/{name}"
                        );
                    }
                }
            }
        }
    }
}

/// The fields topoc leaves out, or adds, are the defaults of the Gateway API's CRDs
/// (`../shared/corpus`; skipped without it), so they change nothing — except the Service
/// parentRef's `group: ""`, which the default would get wrong.
#[test]
fn the_fields_topoc_adds_or_leaves_out_are_the_gateway_apis_defaults() {
    const ROUTES: &str = "gateway.networking.k8s.io_httproutes.yaml";
    const GATEWAYS: &str = "gateway.networking.k8s.io_gateways.yaml";
    let cases: [(&str, &[&str], Value); 4] = [
        (
            ROUTES,
            &["parentRefs", "group"],
            json!("gateway.networking.k8s.io"),
        ),
        (ROUTES, &["parentRefs", "kind"], json!("Gateway")),
        (ROUTES, &["rules", "backendRefs", "kind"], json!("Service")),
        (GATEWAYS, &["listeners", "tls", "mode"], json!("Terminate")),
    ];
    for (file, path, default) in cases {
        let Some(schema) = gateway_api_schema(file, path) else {
            return;
        };
        assert_eq!(schema["default"], default, "{file}: {}", path.join("."));
    }
    // Without `group: ""`, the canary route's Service parent would be a Service of the
    // Gateway API's group.
    let canary = golden_object(EXAMPLE, ZONE_1, "HTTPRoute", "kuma-demo", "canary-demo-app");
    assert_eq!(canary["spec"]["parentRefs"][0]["group"], json!(""));
}
