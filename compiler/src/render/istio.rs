//! Gateway installations (seed 002) → objects: for every cluster an installation lists, an
//! `install.istio.io/v1alpha1` IstioOperator with what the GatewayLifecycleManager would apply
//! there; for the management cluster, when one is declared, the `admin.gloo.solo.io/v2`
//! GatewayLifecycleManager itself, for teams that keep the runtime manager.
//!
//! The IstioOperator is the manager's work done at build time: the revision (`auto` resolved to
//! the control-plane revision), `meshConfig.trustDomain` set to the cluster's name unless the
//! entry overrides it, and every gateway Service's selector switched to the gateway's active
//! revision in that cluster (`istio.io/rev`), which is what `activeGateway` does. Every
//! revision's operator carries the same switched selector, so whichever is applied last the
//! Service selects the active revision's pods.

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::gloo::render_template;
use super::{object, Cx, Object, TemplateError, MANAGED_BY};
use crate::install::{active_revision, installed, Installed};
use crate::model::*;
use crate::resolve::place::Placement;

/// The pod label Istio sets to a gateway's revision; `activeGateway` selects on it.
const REVISION_LABEL: &str = "istio.io/rev";

/// Add every installation's objects to the clusters' object lists.
pub(super) fn render(
    cx: &Cx<'_>,
    placement: &Placement,
    per_cluster: &mut [Vec<Arc<Object>>],
) -> Vec<TemplateError> {
    let p = cx.program;
    let trust_domain = |entry: &InstallCluster| -> Option<String> {
        crate::install::declared_trust_domain(p, placement, entry).map(str::to_owned)
    };
    let all = installed(p);
    let mut errors = Vec::new();
    for install in &p.installs {
        for inst in &install.installations {
            for entry in &inst.clusters {
                match operator(cx, &all, install, inst, entry, trust_domain(entry)) {
                    Ok(obj) => {
                        if let Some(objects) = per_cluster.get_mut(entry.cluster.index()) {
                            objects.push(Arc::new(obj));
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        if let Some(mgmt) = p.management() {
            match manager(cx, install, mgmt, &trust_domain) {
                Ok(obj) => {
                    if let Some(objects) = per_cluster.get_mut(mgmt.index()) {
                        objects.push(Arc::new(obj));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
    }
    errors
}

fn metadata(install: &GatewayInstall, name: &str, namespace: &str) -> Json {
    let mut labels = install.labels.clone();
    labels.insert(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string());
    let mut m = json!({ "name": name, "namespace": namespace, "labels": labels });
    if !install.annotations.is_empty() {
        m["annotations"] = json!(install.annotations);
    }
    m
}

/// The IstioOperator of one installation in one cluster.
fn operator(
    cx: &Cx<'_>,
    all: &[Installed<'_>],
    install: &GatewayInstall,
    inst: &Installation,
    entry: &InstallCluster,
    trust_domain: Option<String>,
) -> Result<Object, TemplateError> {
    let p = cx.program;
    let revision = inst.revision().value;
    let cluster = p.cluster(entry.cluster);
    // Istio's default trust domain in a multi-cluster mesh: the cluster's name (seed 002).
    let trust_domain = trust_domain.unwrap_or_else(|| cluster.name.text.clone());
    let mut mesh_config = match &inst.operator.mesh_config {
        Some(Json::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    mesh_config.insert("trustDomain".into(), json!(trust_domain));
    let components = components(&inst.operator.components, |c| {
        active_revision(
            all,
            entry.cluster,
            (c.kind, &c.namespace.value, &c.name.value),
        )
    });
    let mut context = tera::Context::new();
    context.insert("revision", revision);
    context.insert("profile", &inst.operator.profile);
    context.insert("hub", &inst.operator.hub);
    context.insert("tag", &inst.operator.tag);
    context.insert("mesh_config", &mesh_config);
    context.insert("components", &components);
    let name = format!("{}-{revision}", install.name.text);
    let what = format!(
        "gateway-install `{}` revision {revision} in {}",
        install.name.text, cluster.name.text
    );
    let mut value = render_template(cx, "istiooperator.yaml.tera", &what, &context)?;
    value["metadata"] = metadata(install, &name, &install.operator_namespace.value);
    Ok(object(
        "IstioOperator",
        &name,
        Some(&install.operator_namespace.value),
        &value,
    ))
}

/// `components`: `ingressGateways` and `egressGateways`, each omitted when empty. `active`
/// gives a component's active revision in the cluster, `None` for the manager's copy, which
/// keeps the selector as written (the manager switches it itself).
fn components<'a>(
    list: &'a [GatewayComponent],
    active: impl Fn(&'a GatewayComponent) -> Option<&'a str>,
) -> Json {
    let mut out = Map::new();
    for (kind, key) in [
        (GatewayType::Ingress, "ingressGateways"),
        (GatewayType::Egress, "egressGateways"),
    ] {
        let items: Vec<Json> = list
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| component(c, active(c)))
            .collect();
        if !items.is_empty() {
            out.insert(key.into(), Json::Array(items));
        }
    }
    Json::Object(out)
}

fn component(c: &GatewayComponent, active: Option<&str>) -> Json {
    let mut out = Map::new();
    out.insert("name".into(), json!(c.name.value));
    out.insert("namespace".into(), json!(c.namespace.value));
    out.insert("enabled".into(), json!(c.enabled));
    if !c.labels.is_empty() {
        out.insert("label".into(), json!(c.labels));
    }
    let mut k8s = Map::new();
    if let Some(affinity) = &c.affinity {
        k8s.insert("affinity".into(), affinity.clone());
    }
    if !c.env.is_empty() {
        let env: Vec<Json> = c
            .env
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect();
        k8s.insert("env".into(), Json::Array(env));
    }
    if !c.pod_annotations.is_empty() {
        k8s.insert("podAnnotations".into(), json!(c.pod_annotations));
    }
    if let Some(s) = &c.service {
        let mut service = Map::new();
        if let Some(t) = &s.service_type {
            service.insert("type".into(), json!(t));
        }
        let mut selector = s.selector.clone();
        if let Some(rev) = active {
            selector.insert(REVISION_LABEL.to_string(), rev.to_string());
        }
        if !selector.is_empty() {
            service.insert("selector".into(), json!(selector));
        }
        if !s.ports.is_empty() {
            let ports: Vec<Json> = s
                .ports
                .iter()
                .map(|port| {
                    let mut m = Map::new();
                    m.insert("name".into(), json!(port.name.value));
                    m.insert("port".into(), json!(port.port.value));
                    if let Some(t) = port.target_port {
                        m.insert("targetPort".into(), json!(t));
                    }
                    Json::Object(m)
                })
                .collect();
            service.insert("ports".into(), Json::Array(ports));
        }
        k8s.insert("service".into(), Json::Object(service));
    }
    if !k8s.is_empty() {
        out.insert("k8s".into(), Json::Object(k8s));
    }
    Json::Object(out)
}

/// The GatewayLifecycleManager of one `gateway-install`, as written.
fn manager(
    cx: &Cx<'_>,
    install: &GatewayInstall,
    mgmt: ClusterId,
    trust_domain: &dyn Fn(&InstallCluster) -> Option<String>,
) -> Result<Object, TemplateError> {
    let p = cx.program;
    let installations: Vec<Json> = install
        .installations
        .iter()
        .map(|inst| {
            let mut m = Map::new();
            let revision = match &inst.gateway_revision.value {
                Revision::Auto => "auto",
                Revision::Named(r) => r.as_str(),
            };
            m.insert("gatewayRevision".into(), json!(revision));
            if let Some(cp) = &inst.control_plane_revision {
                m.insert("controlPlaneRevision".into(), json!(cp.value));
            }
            let clusters: Vec<Json> = inst
                .clusters
                .iter()
                .map(|e| {
                    let mut c = Map::new();
                    c.insert("name".into(), json!(p.cluster(e.cluster).name.text));
                    c.insert("activeGateway".into(), json!(e.active));
                    if let Some(t) = trust_domain(e) {
                        c.insert("trustDomain".into(), json!(t));
                    }
                    Json::Object(c)
                })
                .collect();
            m.insert("clusters".into(), Json::Array(clusters));
            let o = &inst.operator;
            let mut spec = Map::new();
            for (key, value) in [("profile", &o.profile), ("hub", &o.hub), ("tag", &o.tag)] {
                if let Some(v) = value {
                    spec.insert(key.into(), json!(v));
                }
            }
            if let Some(mc) = &o.mesh_config {
                spec.insert("meshConfig".into(), mc.clone());
            }
            spec.insert("components".into(), components(&o.components, |_| None));
            m.insert("istioOperatorSpec".into(), Json::Object(spec));
            if inst.skip_upgrade_validation {
                m.insert("skipUpgradeValidation".into(), json!(true));
            }
            Json::Object(m)
        })
        .collect();
    let helm_global = install.helm_global.as_ref().map(|h| {
        let mut m = Map::new();
        if let Some(repo) = &h.repo {
            m.insert("repo".into(), json!(repo));
        }
        if !h.repo_secrets.is_empty() {
            let secrets: Vec<Json> = h
                .repo_secrets
                .iter()
                .map(|s| {
                    let mut r = Map::new();
                    r.insert("name".into(), json!(s.name));
                    if let Some(ns) = &s.namespace {
                        r.insert("namespace".into(), json!(ns));
                    }
                    Json::Object(r)
                })
                .collect();
            m.insert("repoSecrets".into(), Json::Array(secrets));
        }
        if let Some(skip) = h.repo_skip_tls_verify {
            m.insert("repoSkipTlsVerify".into(), json!(skip));
        }
        Json::Object(m)
    });
    let mut context = tera::Context::new();
    context.insert("installations", &installations);
    context.insert("helm_global", &helm_global);
    let what = format!("gateway-install `{}`", install.name.text);
    let mut value = render_template(cx, "gatewaylifecyclemanager.yaml.tera", &what, &context)?;
    let namespace = install
        .namespace
        .as_ref()
        .map_or(p.cluster(mgmt).namespace.as_str(), |n| n.value.as_str());
    value["metadata"] = metadata(install, &install.name.text, namespace);
    Ok(object(
        "GatewayLifecycleManager",
        &install.name.text,
        Some(namespace),
        &value,
    ))
}

#[cfg(test)]
mod tests {
    use crate::{compile_source, Compilation, Options};

    fn compile(text: &str) -> Compilation {
        compile_source(
            "edge.topo",
            text,
            Options {
                render: true,
                ..Options::default()
            },
        )
    }

    /// What the example does not show: `auto`, a control-plane revision, a trust-domain
    /// override, `skip-upgrade-validation` and `helm-global`, in the manager and the operator.
    #[test]
    fn manager_keeps_what_is_written_and_operator_resolves_it() {
        let text = r#"
import "stdlib/istio"
cluster mgmt { role = management  namespace = "gloo-platform" }
cluster east { istio-revisions = "1-25" }
gateway-install edge {
  namespace   = "gateways"
  labels      = { team = "platform" }
  helm-global = { repo = "oci://charts.example.com/istio", repo-secrets = ["pull", { name = "other", namespace = "gloo-mesh" }], repo-skip-tls-verify = false }
  installation {
    gateway-revision        = auto
    control-plane-revision  = "1-25"
    skip-upgrade-validation = true
    clusters                = [{ name = east, active = true, trust-domain = "corp.example" }]
    ingress-gateways        = [{ name = "edge", service = { ports = [{ name = "http", port = 80 }] } }]
  }
}
"#;
        let c = compile(text);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let tree = c.tree.expect("a tree");
        let manager = tree["mgmt/gateways/gatewaylifecyclemanager-edge.yaml"].to_string();
        assert_eq!(
            manager,
            "\
apiVersion: admin.gloo.solo.io/v2
kind: GatewayLifecycleManager
metadata:
  labels:
    app.kubernetes.io/managed-by: topoc
    team: platform
  name: edge
  namespace: gateways
spec:
  helmGlobal:
    repo: oci://charts.example.com/istio
    repoSecrets:
    - name: pull
    - name: other
      namespace: gloo-mesh
    repoSkipTlsVerify: false
  installations:
  - clusters:
    - activeGateway: true
      name: east
      trustDomain: corp.example
    controlPlaneRevision: \"1-25\"
    gatewayRevision: auto
    istioOperatorSpec:
      components:
        ingressGateways:
        - enabled: true
          k8s:
            service:
              ports:
              - name: http
                port: 80
          name: edge
          namespace: gloo-mesh-gateways
    skipUpgradeValidation: true
"
        );
        let operator = tree["east/istio-system/istiooperator-edge-1-25.yaml"].to_string();
        assert!(operator.contains("  revision: \"1-25\"\n"), "{operator}");
        assert!(
            operator.contains("    trustDomain: corp.example\n"),
            "{operator}"
        );
        assert!(
            operator.contains("            istio.io/rev: \"1-25\"\n"),
            "{operator}"
        );
        assert!(!operator.contains("helmGlobal") && !operator.contains("skipUpgrade"));
    }

    /// A cluster of an Istio mesh with a `trust-domain` installs its gateways under that trust
    /// domain unless its entry says otherwise; a cluster outside any mesh keeps its own name.
    #[test]
    fn the_mesh_trust_domain_is_the_default_of_its_clusters() {
        let text = r#"
import "stdlib/istio"
cluster mgmt  { role = management }
cluster east  { istio-revisions = "1-25" }
cluster west  { istio-revisions = "1-25" }
cluster south { istio-revisions = "1-25" }
mesh corp { provider = istio  clusters = [east, west]  trust-domain = "corp.example" }
gateway-install edge {
  namespace = "gateways"
  installation {
    gateway-revision = "1-25"
    clusters         = [{ name = east, active = true },
                        { name = west, active = true, trust-domain = "west.example" },
                        { name = south, active = true }]
    ingress-gateways = [{ name = "edge", service = { ports = [{ name = "http", port = 80 }] } }]
  }
}
"#;
        let c = compile(text);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        // `topoc plan` shows what is written.
        let planned: Vec<(&str, &str)> = c
            .plan
            .iter()
            .map(|r| (r.cluster.as_str(), r.trust_domain.as_str()))
            .collect();
        assert_eq!(
            planned,
            [
                ("east", "corp.example"),
                ("south", "south"),
                ("west", "west.example")
            ]
        );
        let tree = c.tree.expect("a tree");
        for (cluster, domain) in [
            ("east", "corp.example"),
            ("west", "west.example"),
            ("south", "south"),
        ] {
            let operator = tree
                [format!("{cluster}/istio-system/istiooperator-edge-1-25.yaml").as_str()]
            .to_string();
            assert!(
                operator.contains(&format!("    trustDomain: {domain}\n")),
                "{cluster}: {operator}"
            );
        }
        let manager = tree["mgmt/gateways/gatewaylifecyclemanager-edge.yaml"].to_string();
        assert!(
            manager.contains("      name: east\n      trustDomain: corp.example\n"),
            "{manager}"
        );
        assert!(
            manager.contains("      name: west\n      trustDomain: west.example\n"),
            "{manager}"
        );
        assert!(!manager.contains("trustDomain: south"), "{manager}");
    }
}
