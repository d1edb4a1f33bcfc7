//! Lowering of `gateway-install` definitions and of the cluster attribute `istio-revisions`
//! (seed 002, the GatewayLifecycleManager).
//!
//! What topoc checks is read into typed fields (revisions, clusters, gateway names, service
//! ports); the open-ended Istio settings (`mesh-config`, `affinity`) are carried as written, as
//! a JSON value with Istio's own keys, because their schemas are Istio's and Kubernetes' and
//! topoc has nothing to say about them.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::values::{Cx, Lift};
use super::{name_of, Kind};
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::syntax::ast::{Block, Value, ValueKind};

/// Where Gloo installs gateways when the component does not say (seed 002: "Deployed to
/// gloo-mesh-gateways by default").
const DEFAULT_GATEWAY_NAMESPACE: &str = "gloo-mesh-gateways";
/// Where IstioOperator resources conventionally live.
const DEFAULT_OPERATOR_NAMESPACE: &str = "istio-system";

/// `istio-revisions = ["1-24", "1-25"]` on a cluster: the control planes installed there.
pub(crate) fn istio_revisions<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a Value,
) -> Option<Spanned<Vec<Spanned<String>>>> {
    let span = cx.deref(v).span;
    let mut out = Vec::new();
    let mut ok = true;
    for item in cx.one_or_many(v) {
        match cx.string(item) {
            Some(s) => out.push(s),
            None => ok = false,
        }
    }
    ok.then_some(Spanned { value: out, span })
}

pub(crate) fn gateway_install<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<GatewayInstall> {
    let attrs = cx.attrs(
        block,
        &[
            "namespace",
            "operator-namespace",
            "labels",
            "annotations",
            "helm-global",
            "allow",
        ],
        &["installation"],
    );
    // Top-level blocks always have a name: the parser requires one.
    let name = block
        .name
        .as_ref()
        .map_or_else(|| name_of(&block.kind), name_of);
    let namespace = attrs.get("namespace").map(|v| cx.string(v)).lift();
    let operator_namespace = match attrs.get("operator-namespace") {
        Some(v) => cx.string(v),
        None => Some(Spanned {
            value: DEFAULT_OPERATOR_NAMESPACE.to_string(),
            span: name.span,
        }),
    };
    let labels = attrs
        .get("labels")
        .map_or(Some(BTreeMap::new()), |v| cx.string_map(v));
    let annotations = attrs
        .get("annotations")
        .map_or(Some(BTreeMap::new()), |v| cx.string_map(v));
    let helm_global = attrs.get("helm-global").map(|v| helm_global(cx, v)).lift();
    let mut installations = Vec::new();
    let mut ok = true;
    for b in attrs.blocks("installation") {
        match installation(cx, b) {
            Some(i) => installations.push(i),
            None => ok = false,
        }
    }
    if installations.is_empty() && ok {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                format!("{} has no installation", attrs.what),
                attrs.span,
                "a gateway installation needs at least one `installation`",
            )
            .with_help(
                "add `installation { gateway-revision = \"1-24\"  clusters = [{ name = CLUSTER, active = true }]  ingress-gateways = [istio-ingressgateway] }`",
            ),
        );
        return None;
    }
    let (namespace, operator_namespace, labels, annotations, helm_global) = (
        namespace?,
        operator_namespace?,
        labels?,
        annotations?,
        helm_global?,
    );
    ok.then_some(GatewayInstall {
        name,
        namespace,
        operator_namespace,
        labels,
        annotations,
        helm_global,
        installations,
        span: block.span,
    })
}

fn helm_global<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<HelmGlobal> {
    let rec = cx.record(
        v,
        &["repo", "repo-secrets", "repo-skip-tls-verify"],
        "helm-global",
    )?;
    let repo = rec
        .get("repo")
        .map(|v| cx.string(v).map(|s| s.value))
        .lift();
    let skip = rec.get("repo-skip-tls-verify").map(|v| cx.bool(v)).lift();
    let secrets = match rec.get("repo-secrets") {
        None => Some(Vec::new()),
        Some(list) => {
            let mut out = Vec::new();
            let mut ok = true;
            for item in cx.one_or_many(list) {
                match repo_secret(cx, item) {
                    Some(s) => out.push(s),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    Some(HelmGlobal {
        repo: repo?,
        repo_secrets: secrets?,
        repo_skip_tls_verify: skip?,
    })
}

/// `"pull-secret"` or `{ name = "pull-secret", namespace = "gloo-mesh" }`.
fn repo_secret<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<RepoSecret> {
    if let ValueKind::Str(_) = &cx.deref(v).kind {
        return cx.string(v).map(|s| RepoSecret {
            name: s.value,
            namespace: None,
        });
    }
    let rec = cx.record(v, &["name", "namespace"], "repo-secrets")?;
    let name = match rec.get("name") {
        Some(n) => cx.string(n)?.value,
        None => {
            cx.error(
                Diagnostic::new(
                    Code::MissingAttribute,
                    "repo secret has no `name`",
                    cx.deref(v).span,
                    "`name` is required",
                )
                .with_help("write `{ name = \"istio-charts-pull\" }`, or just the name"),
            );
            return None;
        }
    };
    let namespace = rec
        .get("namespace")
        .map(|n| cx.string(n).map(|s| s.value))
        .lift()?;
    Some(RepoSecret { name, namespace })
}

fn installation<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Installation> {
    let attrs = cx.attrs(
        block,
        &[
            "gateway-revision",
            "control-plane-revision",
            "clusters",
            "skip-upgrade-validation",
            "profile",
            "hub",
            "tag",
            "mesh-config",
            "ingress-gateways",
            "egress-gateways",
        ],
        &[],
    );
    if let Some(extra) = &block.name {
        cx.error(
            Diagnostic::new(
                Code::InvalidValue,
                format!("an installation takes no name, found `{}`", extra.name),
                extra.span,
                "not allowed here",
            )
            .with_help(
                "write `installation { gateway-revision = \"1-24\" ... }`: the revision names it",
            ),
        );
    }
    let gateway_revision = attrs
        .require(cx, "gateway-revision", "\"1-24\"")
        .and_then(|v| gateway_revision(cx, v));
    let control_plane_revision = attrs
        .get("control-plane-revision")
        .map(|v| cx.string(v))
        .lift();
    let clusters = attrs
        .require(cx, "clusters", "[{ name = CLUSTER, active = true }]")
        .and_then(|v| install_clusters(cx, v));
    let skip_upgrade_validation = match attrs.get("skip-upgrade-validation") {
        Some(v) => cx.bool(v),
        None => Some(false),
    };
    let operator = operator(cx, &attrs, block);
    let (gateway_revision, control_plane_revision) = (gateway_revision?, control_plane_revision?);
    if gateway_revision.value == Revision::Auto && control_plane_revision.is_none() {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                "`gateway-revision = auto` needs a `control-plane-revision`",
                gateway_revision.span,
                "resolves to the control-plane revision",
            )
            .with_help(
                "`auto` runs the gateway at the revision of its control plane: add `control-plane-revision = \"1-24\"`, or name the revision",
            ),
        );
        return None;
    }
    Some(Installation {
        gateway_revision,
        control_plane_revision,
        clusters: clusters?,
        skip_upgrade_validation: skip_upgrade_validation?,
        operator: operator?,
        keyword: block.kind.span,
        span: block.span,
    })
}

/// `"1-24"`, or `auto` (bare or quoted).
fn gateway_revision<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Spanned<Revision>> {
    let v = cx.deref(v);
    let revision = match &v.kind {
        ValueKind::Path(p) if p.len() == 1 && p[0].name == "auto" => Revision::Auto,
        ValueKind::Str(s) if s == "auto" => Revision::Auto,
        ValueKind::Str(s) => Revision::Named(s.clone()),
        _ => {
            cx.wrong_type(v, "a revision such as \"1-24\", or `auto`");
            return None;
        }
    };
    Some(Spanned {
        value: revision,
        span: v.span,
    })
}

/// `[{ name = east, active = true, trust-domain = "..." }, west]`: a bare name is an inactive
/// entry, as `activeGateway` defaults to false.
fn install_clusters<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Vec<InstallCluster>> {
    let list = cx.list(v)?;
    if list.is_empty() {
        cx.invalid(
            cx.deref(v),
            "an installation needs at least one cluster".into(),
            "write `clusters = [{ name = CLUSTER, active = true }]`".into(),
        );
        return None;
    }
    let mut out: Vec<InstallCluster> = Vec::new();
    let mut ok = true;
    for item in list {
        let Some(entry) = install_cluster(cx, item) else {
            ok = false;
            continue;
        };
        if let Some(first) = out.iter().find(|c| c.cluster == entry.cluster) {
            let name = &cx.table.blocks(Kind::Cluster)[entry.cluster.index()].name;
            let name = name.as_ref().map_or("?", |n| n.name.as_str());
            cx.error(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("cluster `{name}` is listed twice in one installation"),
                    entry.span,
                    "listed again here",
                )
                .with_label(first.span, "first listed here")
                .with_help(
                    "list each cluster once; `active` and `trust-domain` go on that one entry",
                ),
            );
            ok = false;
            continue;
        }
        out.push(entry);
    }
    ok.then_some(out)
}

fn install_cluster<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<InstallCluster> {
    let item = cx.deref(v);
    if let ValueKind::Path(_) = &item.kind {
        return Some(InstallCluster {
            cluster: ClusterId(cx.cluster_name(item)?),
            active: false,
            trust_domain: None,
            span: item.span,
        });
    }
    let rec = cx.record(item, &["name", "active", "trust-domain"], "clusters")?;
    let Some(name) = rec.get("name") else {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                "cluster entry has no `name`",
                item.span,
                "`name` is required",
            )
            .with_help("write `{ name = CLUSTER, active = true }`"),
        );
        return None;
    };
    let cluster = cx.cluster_name(name);
    let active = rec.get("active").map(|v| cx.bool(v)).lift();
    let trust_domain = rec.get("trust-domain").map(|v| cx.string(v)).lift();
    Some(InstallCluster {
        cluster: ClusterId(cluster?),
        active: active?.unwrap_or(false),
        trust_domain: trust_domain?,
        span: item.span,
    })
}

/// The IstioOperator attributes of an installation.
fn operator<'a>(
    cx: &mut Cx<'_, 'a>,
    attrs: &super::values::Attrs<'a>,
    block: &'a Block,
) -> Option<Operator> {
    let string = |cx: &mut Cx<'_, 'a>, key: &str| {
        attrs.get(key).map(|v| cx.string(v).map(|s| s.value)).lift()
    };
    let profile = string(cx, "profile");
    let hub = string(cx, "hub");
    let tag = string(cx, "tag");
    let (mesh_config, mesh_trust_domain) = match attrs.get("mesh-config") {
        None => (Some(None), Some(None)),
        Some(v) => match cx.map(v) {
            None => (None, None),
            Some(entries) => {
                let trust = entries
                    .iter()
                    .find(|(k, _)| k.name == "trustDomain")
                    .map(|(_, value)| cx.string(value))
                    .lift();
                (raw(cx, v).map(Some), trust)
            }
        },
    };
    let mut components = Vec::new();
    let mut ok = true;
    for (key, kind) in [
        ("ingress-gateways", GatewayType::Ingress),
        ("egress-gateways", GatewayType::Egress),
    ] {
        let Some(v) = attrs.get(key) else { continue };
        for item in cx.one_or_many(v) {
            match component(cx, item, kind) {
                Some(c) => components.push(c),
                None => ok = false,
            }
        }
    }
    if components.is_empty() && ok {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                "installation installs no gateway",
                block.kind.span,
                "no `ingress-gateways` or `egress-gateways`",
            )
            .with_help(
                "add `ingress-gateways = [istio-ingressgateway]` or `egress-gateways = [istio-egressgateway]` (from `import \"stdlib/istio\"`); other IstioOperator components are ignored by the manager",
            ),
        );
        return None;
    }
    let (profile, hub, tag, mesh_config, mesh_trust_domain) =
        (profile?, hub?, tag?, mesh_config?, mesh_trust_domain?);
    ok.then_some(Operator {
        profile,
        hub,
        tag,
        mesh_config,
        mesh_trust_domain,
        components,
    })
}

fn component<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value, kind: GatewayType) -> Option<GatewayComponent> {
    let span = cx.deref(v).span;
    let rec = cx.record(
        v,
        &[
            "name",
            "namespace",
            "enabled",
            "labels",
            "service",
            "affinity",
            "env",
            "pod-annotations",
        ],
        "gateway",
    )?;
    let Some(name) = rec.get("name") else {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                format!("{} gateway has no `name`", kind.as_str()),
                span,
                "`name` is required",
            )
            .with_help(format!(
                "write `{{ name = \"istio-{}gateway\", ... }}`",
                kind.as_str()
            )),
        );
        return None;
    };
    let name = cx.string(name);
    let namespace = match rec.get("namespace") {
        Some(n) => cx.string(n),
        None => name.as_ref().map(|n| Spanned {
            value: DEFAULT_GATEWAY_NAMESPACE.to_string(),
            span: n.span,
        }),
    };
    let enabled = rec.get("enabled").map(|v| cx.bool(v)).lift();
    let labels = rec.get("labels").map(|v| cx.string_map(v)).lift();
    let service = rec.get("service").map(|v| service(cx, v)).lift();
    let affinity = rec.get("affinity").map(|v| raw(cx, v)).lift();
    let env = rec.get("env").map(|v| cx.string_map(v)).lift();
    let pod_annotations = rec.get("pod-annotations").map(|v| cx.string_map(v)).lift();
    Some(GatewayComponent {
        kind,
        name: name?,
        namespace: namespace?,
        enabled: enabled?.unwrap_or(true),
        labels: labels?.unwrap_or_default(),
        service: service?,
        affinity: affinity?,
        env: env?.unwrap_or_default(),
        pod_annotations: pod_annotations?.unwrap_or_default(),
        span,
    })
}

/// Kubernetes Service types.
const SERVICE_TYPES: &[&str] = &["ClusterIP", "NodePort", "LoadBalancer"];

fn service<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<ComponentService> {
    let span = cx.deref(v).span;
    let rec = cx.record(v, &["type", "selector", "ports"], "service")?;
    let service_type = rec
        .get("type")
        .map(|t| cx.symbol(t, SERVICE_TYPES).map(|s| s.value.to_string()))
        .lift();
    let selector = rec.get("selector").map(|s| cx.string_map(s)).lift();
    let ports = match rec.get("ports") {
        None => Some(Vec::new()),
        Some(list) => {
            let mut out = Vec::new();
            let mut ok = true;
            for item in cx.list(list)? {
                match gateway_port(cx, item) {
                    Some(p) => out.push(p),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
    };
    Some(ComponentService {
        service_type: service_type?,
        selector: selector?.unwrap_or_default(),
        ports: ports?,
        span,
    })
}

fn gateway_port<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<GatewayPort> {
    let span = cx.deref(v).span;
    let rec = cx.record(v, &["name", "port", "target-port"], "port")?;
    let (Some(name), Some(port)) = (rec.get("name"), rec.get("port")) else {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                "gateway service port needs a `name` and a `port`",
                span,
                "`name` and `port` are required",
            )
            .with_help("write `{ name = \"https\", port = 443, target-port = 8443 }`: Gloo finds gateway ports by name"),
        );
        return None;
    };
    let name = cx.string(name);
    let port = cx.port(port);
    let target_port = rec
        .get("target-port")
        .map(|t| cx.port(t).map(|p| p.value))
        .lift();
    Some(GatewayPort {
        name: name?,
        port: port?,
        target_port: target_port?,
        span,
    })
}

/// A value carried into the output as written: strings, integers, booleans, lists and maps
/// (keys as written, so `outboundTrafficPolicy` stays Istio's spelling). Bare names other than
/// constants are refused, so a misspelled constant is not silently taken as text.
fn raw<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Json> {
    let v = cx.deref(v);
    match &v.kind {
        ValueKind::Str(s) => Some(Json::String(s.clone())),
        ValueKind::Int(n) => Some(Json::from(*n)),
        ValueKind::Bool(b) => Some(Json::Bool(*b)),
        ValueKind::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in items {
                match raw(cx, item) {
                    Some(j) => out.push(j),
                    None => ok = false,
                }
            }
            ok.then_some(Json::Array(out))
        }
        ValueKind::Map(entries) => {
            let mut out = Map::new();
            let mut ok = true;
            for (key, value) in entries {
                if out.contains_key(&key.name) {
                    cx.key_set_twice(key);
                    ok = false;
                    continue;
                }
                match raw(cx, value) {
                    Some(j) => {
                        out.insert(key.name.clone(), j);
                    }
                    None => ok = false,
                }
            }
            ok.then_some(Json::Object(out))
        }
        _ => {
            cx.wrong_type(v, "a string, integer, boolean, list or map");
            None
        }
    }
}
