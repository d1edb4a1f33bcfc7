//! The `gateway-lifecycle` example reproduces the GatewayLifecycleManager reference
//! (`../shared/seeds/002_…`) field by field: its golden managers are the document's two
//! examples (plus the example's canary installation), and each workload cluster's
//! IstioOperator is the document's `istioOperatorSpec` with exactly what the manager adds —
//! the revision, the cluster's trust domain and the Service selector switched to the active
//! revision.
//!
//! The document's YAML is below as the reference shows it, with its placeholders replaced by
//! the example's values: `$REPO`, `$ISTIO_IMAGE`, `$REVISION` = 1-24, `$REMOTE_CLUSTER1`,
//! `$REMOTE_CLUSTER2` = cluster1, cluster2.

mod support;

use serde_json::{json, Value};

const REPO: &str = "us-docker.pkg.dev/gloo-mesh/istio-REPO_KEY";
const ISTIO_IMAGE: &str = "1.24.3-solo";

const INGRESS: &str = r#"
apiVersion: admin.gloo.solo.io/v2
kind: GatewayLifecycleManager
metadata:
  name: istio-ingressgateway
  namespace: gloo-mesh
spec:
  installations:
    - gatewayRevision: "$REVISION"
      clusters:
        - name: $REMOTE_CLUSTER1
          activeGateway: true
        - name: $REMOTE_CLUSTER2
          activeGateway: true
      istioOperatorSpec:
        profile: empty
        hub: $REPO
        tag: $ISTIO_IMAGE
        components:
          ingressGateways:
            - name: istio-ingressgateway
              namespace: gloo-mesh-gateways
              enabled: true
              label:
                istio: ingressgateway
                app: istio-ingressgateway
              k8s:
                service:
                  type: LoadBalancer
                  selector:
                    istio: ingressgateway
                  ports:
                    - name: status-port
                      port: 15021
                      targetPort: 15021
                    - name: http2
                      port: 80
                      targetPort: 8080
                    - name: https
                      port: 443
                      targetPort: 8443
                    - name: tls
                      port: 15443
                      targetPort: 15443
"#;

const EGRESS: &str = r#"
apiVersion: admin.gloo.solo.io/v2
kind: GatewayLifecycleManager
metadata:
  name: istio-egressgateway
  namespace: gloo-mesh
spec:
  installations:
    - gatewayRevision: "$REVISION"
      clusters:
        - name: $REMOTE_CLUSTER1
          activeGateway: true
        - name: $REMOTE_CLUSTER2
          activeGateway: true
      istioOperatorSpec:
        profile: minimal
        hub: $REPO
        tag: $ISTIO_IMAGE
        meshConfig:
          outboundTrafficPolicy:
            mode: REGISTRY_ONLY
          accessLogFile: /dev/stdout
          defaultConfig:
            proxyMetadata:
              ISTIO_META_DNS_CAPTURE: "true"
        components:
          egressGateways:
            - name: istio-egressgateway
              namespace: gloo-mesh-gateways
              enabled: true
              label:
                istio: egressgateway
                app: istio-egressgateway
                traffic: egress
              k8s:
                affinity:
                  nodeAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      nodeSelectorTerms:
                        - matchExpressions:
                            - key: kubernetes.io/arch
                              operator: In
                              values:
                                - arm64
                                - amd64
                env:
                  - name: AUTO_RELOAD_PLUGIN_CERTS
                    value: "true"
                podAnnotations:
                  proxy.istio.io/config: |
                    proxyStatsMatcher:
                      inclusionRegexps:
                      - .*ext_authz.*
                service:
                  type: LoadBalancer
                  selector:
                    istio: egressgateway
                  ports:
                    - port: 15021
                      targetPort: 15021
                      name: status-port
                    - port: 15443
                      targetPort: 15443
                      name: tls
                    - port: 443
                      targetPort: 8443
                      name: https
"#;

fn document(text: &str) -> Value {
    let text = text
        .replace("$REVISION", "1-24")
        .replace("$REMOTE_CLUSTER1", "cluster1")
        .replace("$REMOTE_CLUSTER2", "cluster2")
        .replace("$REPO", REPO)
        .replace("$ISTIO_IMAGE", ISTIO_IMAGE);
    serde_yaml::from_str(&text).expect("the document's YAML parses")
}

fn golden(path: &str) -> Value {
    let file = support::repo().join("golden/gateway-lifecycle").join(path);
    let text =
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    serde_yaml::from_str(&text).expect("golden YAML parses")
}

/// topoc's label, which the document's objects do not carry.
fn without_managed_by(mut v: Value) -> Value {
    if let Some(labels) = v
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("app.kubernetes.io/managed-by");
        if labels.is_empty() {
            v["metadata"]
                .as_object_mut()
                .expect("metadata")
                .remove("labels");
        }
    }
    v
}

#[test]
fn managers_are_the_documents_examples() {
    let egress = without_managed_by(golden(
        "mgmt/gloo-mesh/gatewaylifecyclemanager-istio-egressgateway.yaml",
    ));
    assert_eq!(egress, document(EGRESS));

    // The ingress manager is the document's, plus the canary installation of 1-25.
    let mut ingress = without_managed_by(golden(
        "mgmt/gloo-mesh/gatewaylifecyclemanager-istio-ingressgateway.yaml",
    ));
    let installations = ingress["spec"]["installations"]
        .as_array_mut()
        .expect("installations");
    let canary = installations.pop().expect("a canary installation");
    assert_eq!(canary["gatewayRevision"], json!("1-25"));
    assert_eq!(
        canary["clusters"],
        json!([{ "name": "cluster1", "activeGateway": false }])
    );
    assert_eq!(ingress, document(INGRESS));
}

/// What the manager does to the operator spec in one cluster, undone: returns the revision,
/// the trust domain and the switched selector, and leaves the spec as the manager was given it.
fn undo_manager(spec: &mut Value, kind: &str) -> (Value, Value, Value) {
    let spec = spec.as_object_mut().expect("spec");
    let revision = spec.remove("revision").expect("revision");
    let mesh = spec
        .get_mut("meshConfig")
        .and_then(Value::as_object_mut)
        .expect("meshConfig");
    let trust_domain = mesh.remove("trustDomain").expect("trustDomain");
    if mesh.is_empty() {
        spec.remove("meshConfig");
    }
    let selector = spec["components"][kind][0]["k8s"]["service"]["selector"]
        .as_object_mut()
        .expect("selector");
    let switched = selector.remove("istio.io/rev").expect("istio.io/rev");
    (revision, trust_domain, switched)
}

#[test]
fn operators_are_the_documents_spec_with_what_the_manager_adds() {
    let cases = [
        // (file, kind, document, revision, trust domain, active revision)
        (
            "cluster1/istio-system/istiooperator-istio-ingressgateway-1-24.yaml",
            "ingressGateways",
            INGRESS,
            "1-24",
            "cluster1",
            "1-24",
        ),
        (
            "cluster2/istio-system/istiooperator-istio-ingressgateway-1-24.yaml",
            "ingressGateways",
            INGRESS,
            "1-24",
            "cluster2",
            "1-24",
        ),
        (
            "cluster1/istio-system/istiooperator-istio-egressgateway-1-24.yaml",
            "egressGateways",
            EGRESS,
            "1-24",
            "cluster1",
            "1-24",
        ),
        (
            "cluster2/istio-system/istiooperator-istio-egressgateway-1-24.yaml",
            "egressGateways",
            EGRESS,
            "1-24",
            "cluster2",
            "1-24",
        ),
    ];
    for (file, kind, doc, revision, trust_domain, active) in cases {
        let mut operator = golden(file);
        assert_eq!(operator["apiVersion"], json!("install.istio.io/v1alpha1"));
        assert_eq!(operator["kind"], json!("IstioOperator"));
        let added = undo_manager(&mut operator["spec"], kind);
        assert_eq!(
            added,
            (json!(revision), json!(trust_domain), json!(active)),
            "{file}"
        );
        let doc = document(doc);
        assert_eq!(
            operator["spec"], doc["spec"]["installations"][0]["istioOperatorSpec"],
            "{file}"
        );
    }

    // The canary runs 1-25 with its own tag, and its Service still selects the active 1-24.
    let mut canary = golden("cluster1/istio-system/istiooperator-istio-ingressgateway-1-25.yaml");
    let added = undo_manager(&mut canary["spec"], "ingressGateways");
    assert_eq!(added, (json!("1-25"), json!("cluster1"), json!("1-24")));
    assert_eq!(canary["spec"]["tag"], json!("1.25.1-solo"));
    // cluster2 runs no control plane 1-25, so no canary there.
    assert!(!support::repo()
        .join("golden/gateway-lifecycle/cluster2/istio-system/istiooperator-istio-ingressgateway-1-25.yaml")
        .exists());
}
