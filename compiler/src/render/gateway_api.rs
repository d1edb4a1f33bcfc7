//! Gateway API objects, built with the typed structs of the `gateway-api` crate so a field
//! name or a type cannot be wrong.

use gateway_api::apis::standard::gatewayclasses::{
    GatewayClass, GatewayClassParametersRef, GatewayClassSpec,
};
use gateway_api::apis::standard::gateways::{
    GatewayInfrastructure, GatewayInfrastructureParametersRef, GatewayListeners,
    GatewayListenersAllowedRoutes, GatewayListenersAllowedRoutesNamespaces,
    GatewayListenersAllowedRoutesNamespacesFrom, GatewayListenersAllowedRoutesNamespacesSelector,
    GatewayListenersTls, GatewayListenersTlsCertificateRefs, GatewayListenersTlsMode, GatewaySpec,
};
use gateway_api::apis::standard::httproutes::*;
use gateway_api::apis::standard::referencegrants::{
    ReferenceGrantFrom, ReferenceGrantSpec, ReferenceGrantTo,
};
use serde_json::Value;

use super::{object, Cx, Object, Variant};
use crate::model::*;
use crate::resolve::place::class_for_role;

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    // The crate's types serialize to JSON without fail: no maps with non-string keys.
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// Assemble `apiVersion, kind, metadata, spec`; the typed object's empty status is dropped.
///
/// The map is built by hand: `json!` passes each value through `to_value`, which for a
/// `Value` is a deep copy (serialize, rebuild, drop the original), and that copy was a third
/// of all rendering work on a large fleet.
fn assemble(api_version: &str, kind: &str, metadata: Value, spec: Value) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("apiVersion".into(), Value::String(api_version.into()));
    object.insert("kind".into(), Value::String(kind.into()));
    object.insert("metadata".into(), metadata);
    object.insert("spec".into(), spec);
    Value::Object(object)
}

const API: &str = "gateway.networking.k8s.io/v1";

pub(super) fn class(cx: &Cx<'_>, id: ClassId, variant: Variant) -> Object {
    let c = cx.program.class(id);
    let spec = GatewayClassSpec {
        controller_name: c.controller.value.clone(),
        parameters_ref: c.parameters.as_ref().map(|params| match params {
            ClassParameters::MeshGatewayConfig(config) => GatewayClassParametersRef {
                group: "kuma.io".into(),
                kind: "MeshGatewayConfig".into(),
                name: config.name.value.clone(),
                // MeshGatewayConfig is cluster-scoped.
                namespace: None,
            },
        }),
        ..Default::default()
    };
    let typed = GatewayClass::new(&c.name.text, spec);
    let mut metadata = serde_json::json!({
        "name": c.name.text,
        "labels": { super::MANAGED_BY.0: super::MANAGED_BY.1 },
    });
    if variant == Variant::Relay {
        let target = cx
            .distribute_to
            .get(&("GatewayClass", c.name.text.clone()))
            .cloned()
            .unwrap_or_default();
        metadata["annotations"] = serde_json::json!({ super::DISTRIBUTE_TO: target });
    }
    object(
        "GatewayClass",
        &c.name.text,
        None,
        &assemble(API, "GatewayClass", metadata, to_value(&typed.spec)),
    )
}

/// The class whose workload class is `id` (gloo-gateway-distribute for gloo-gateway), or `id`.
fn relay_class(p: &Program, id: ClassId) -> &Class {
    p.classes
        .iter()
        .find(|c| c.workload_class == Some(id))
        .unwrap_or_else(|| p.class(id))
}

fn class_name(cx: &Cx<'_>, g: &Gateway, variant: Variant) -> String {
    match &g.class.value {
        ClassRef::External(name) => name.clone(),
        ClassRef::Declared(id) => {
            let role = match variant {
                Variant::Workload { .. } => Role::Workload,
                Variant::Management => Role::Management,
                // The relay's source uses the class that tells Gloo to distribute, not serve.
                Variant::Relay => return relay_class(cx.program, *id).name.text.clone(),
            };
            let effective = class_for_role(cx.program, *id, role);
            cx.program.class(effective).name.text.clone()
        }
    }
}

pub(super) fn gateway(cx: &Cx<'_>, id: GatewayId, variant: Variant) -> Object {
    let p = cx.program;
    let g = p.gateway(id);
    let listeners = g.listeners.iter().map(|l| listener(p, g, l)).collect();
    // Seed 001: the proxy gets its istio-proxy settings from a GatewayParameters.
    let infrastructure = crate::mesh::parameters_name(p, g).map(|name| GatewayInfrastructure {
        parameters_ref: Some(GatewayInfrastructureParametersRef {
            group: "gateway.kgateway.dev".into(),
            kind: "GatewayParameters".into(),
            name,
        }),
        ..Default::default()
    });
    let spec = GatewaySpec {
        gateway_class_name: class_name(cx, g, variant),
        listeners,
        infrastructure,
        ..Default::default()
    };
    let mut metadata = cx.metadata(&g.meta, "Gateway", variant);
    annotate_kuma_mesh(
        &mut metadata,
        crate::mesh::kuma_annotation(p, crate::mesh::gateway_kuma_mesh(p, g)),
    );
    object(
        "Gateway",
        &g.meta.name.text,
        Some(&g.meta.namespace.value),
        &assemble(API, "Gateway", metadata, to_value(&spec)),
    )
}

fn listener(p: &Program, g: &Gateway, l: &Listener) -> GatewayListeners {
    let namespaces = match &l.routes_from {
        RoutesFrom::Same => None,
        RoutesFrom::All => Some(GatewayListenersAllowedRoutesNamespaces {
            from: Some(GatewayListenersAllowedRoutesNamespacesFrom::All),
            selector: None,
        }),
        RoutesFrom::Selector(labels) => Some(GatewayListenersAllowedRoutesNamespaces {
            from: Some(GatewayListenersAllowedRoutesNamespacesFrom::Selector),
            selector: Some(GatewayListenersAllowedRoutesNamespacesSelector {
                match_labels: Some(labels.clone()),
                match_expressions: None,
            }),
        }),
    };
    let tls = l.tls.as_ref().map(|t| GatewayListenersTls {
        mode: Some(match t.mode {
            TlsMode::Terminate => GatewayListenersTlsMode::Terminate,
            TlsMode::Passthrough => GatewayListenersTlsMode::Passthrough,
        }),
        certificate_refs: (!t.certificates.is_empty()).then(|| {
            t.certificates
                .iter()
                .map(|c| {
                    let s = p.secret(c.value);
                    GatewayListenersTlsCertificateRefs {
                        name: s.meta.name.text.clone(),
                        namespace: (s.meta.namespace.value != g.meta.namespace.value)
                            .then(|| s.meta.namespace.value.clone()),
                        group: None,
                        kind: None,
                    }
                })
                .collect()
        }),
        options: None,
    });
    GatewayListeners {
        name: l.name.text.clone(),
        port: i32::from(l.port.value),
        protocol: l.protocol.value.as_str().to_string(),
        hostname: l.hostname.as_ref().map(|h| h.value.clone()),
        allowed_routes: namespaces.map(|n| GatewayListenersAllowedRoutes {
            namespaces: Some(n),
            kinds: None,
        }),
        tls,
    }
}

pub(super) fn route(cx: &Cx<'_>, id: RouteId, variant: Variant) -> Object {
    let p = cx.program;
    let r = p.route(id);
    let parent_refs = r
        .parents
        .iter()
        .map(|pr| {
            let g = p.gateway(pr.gateway);
            HttpRouteParentRefs {
                name: g.meta.name.text.clone(),
                // Always written, as in the seed: the gateway usually lives elsewhere.
                namespace: Some(g.meta.namespace.value.clone()),
                section_name: pr.listener.map(|l| g.listeners[l].name.text.clone()),
                ..Default::default()
            }
        })
        .chain(r.service_parents.iter().map(|sp| {
            // GAMMA: the core group is the empty string (conformance `mesh/`), and the
            // namespace is written only for a consumer route.
            let s = p.service(sp.service);
            HttpRouteParentRefs {
                group: Some(String::new()),
                kind: Some("Service".into()),
                name: s.meta.name.text.clone(),
                namespace: (s.meta.namespace.value != r.meta.namespace.value)
                    .then(|| s.meta.namespace.value.clone()),
                port: sp.port.as_ref().map(|port| i32::from(port.value)),
                ..Default::default()
            }
        }))
        .collect();
    let spec = HttpRouteSpec {
        parent_refs: Some(parent_refs),
        hostnames: (!r.hostnames.is_empty())
            .then(|| r.hostnames.iter().map(|h| h.value.clone()).collect()),
        rules: Some(r.rules.iter().map(|rule| route_rule(p, r, rule)).collect()),
    };
    let mut metadata = cx.metadata(&r.meta, "HTTPRoute", variant);
    annotate_kuma_mesh(
        &mut metadata,
        crate::mesh::kuma_annotation(p, crate::mesh::route_kuma_mesh(p, r)),
    );
    object(
        "HTTPRoute",
        &r.meta.name.text,
        Some(&r.meta.namespace.value),
        &assemble(API, "HTTPRoute", metadata, to_value(&spec)),
    )
}

/// group, kind, name, namespace (when it differs from the route's) and port of a backend.
struct BackendParts {
    group: Option<String>,
    kind: Option<String>,
    name: String,
    namespace: Option<String>,
    port: Option<i32>,
}

fn backend_parts(p: &Program, route: &Route, b: &Backend) -> BackendParts {
    let other_ns = |ns: &str| (ns != route.meta.namespace.value).then(|| ns.to_string());
    match &b.target {
        BackendTarget::Upstream(u) => {
            let u = p.upstream(*u);
            BackendParts {
                group: Some("gloo.solo.io".into()),
                kind: Some("Upstream".into()),
                name: u.meta.name.text.clone(),
                namespace: other_ns(&u.meta.namespace.value),
                port: None,
            }
        }
        BackendTarget::Service { service, port } => {
            let s = p.service(*service);
            BackendParts {
                group: None,
                kind: None,
                name: s.meta.name.text.clone(),
                namespace: other_ns(&s.meta.namespace.value),
                port: Some(i32::from(port.value)),
            }
        }
        // Seed 001, Step 5: the virtual destination's host, as an Istio Hostname.
        BackendTarget::VirtualDestination { vd, port } => BackendParts {
            group: Some("networking.istio.io".into()),
            kind: Some("Hostname".into()),
            name: p
                .virtual_destination(*vd)
                .hosts
                .first()
                .map(|h| h.value.clone())
                .unwrap_or_default(),
            namespace: None,
            port: Some(i32::from(port.value)),
        },
    }
}

/// Add `kuma.io/mesh` to an object's metadata (seed 003, "Multi-mesh").
fn annotate_kuma_mesh(metadata: &mut Value, mesh: Option<&str>) {
    if let Some(mesh) = mesh {
        metadata["annotations"][crate::mesh::KUMA_MESH_ANNOTATION] = Value::from(mesh);
    }
}

fn route_rule(p: &Program, r: &Route, rule: &Rule) -> HttpRouteRules {
    let backend_refs = rule
        .backends
        .iter()
        .map(|b| {
            let parts = backend_parts(p, r, b);
            HttpRouteRulesBackendRefs {
                group: parts.group,
                kind: parts.kind,
                name: parts.name,
                namespace: parts.namespace,
                port: parts.port,
                weight: b.weight.map(|w| w as i32),
                filters: None,
            }
        })
        .collect::<Vec<_>>();
    let matches = rule.matches.iter().map(route_match).collect::<Vec<_>>();
    let filters = filters(p, r, &rule.filters);
    let timeouts = (rule.timeouts.request.is_some() || rule.timeouts.backend_request.is_some())
        .then(|| HttpRouteRulesTimeouts {
            request: rule.timeouts.request.clone(),
            backend_request: rule.timeouts.backend_request.clone(),
        });
    HttpRouteRules {
        name: rule.name.as_ref().map(|n| n.value.clone()),
        backend_refs: (!backend_refs.is_empty()).then_some(backend_refs),
        matches: (!matches.is_empty()).then_some(matches),
        filters: (!filters.is_empty()).then_some(filters),
        timeouts,
    }
}

fn route_match(m: &Match) -> HttpRouteRulesMatches {
    let path = m.path.as_ref().map(|p| {
        let (t, v) = match &p.value {
            PathMatch::Prefix(v) => (HttpRouteRulesMatchesPathType::PathPrefix, v),
            PathMatch::Exact(v) => (HttpRouteRulesMatchesPathType::Exact, v),
            PathMatch::Regex(v) => (HttpRouteRulesMatchesPathType::RegularExpression, v),
        };
        HttpRouteRulesMatchesPath {
            r#type: Some(t),
            value: Some(v.clone()),
        }
    });
    let headers = m
        .headers
        .iter()
        .map(|(name, sm)| {
            let (t, value) = match sm {
                StringMatch::Exact(v) => (HttpRouteRulesMatchesHeadersType::Exact, v),
                StringMatch::Regex(v) => (HttpRouteRulesMatchesHeadersType::RegularExpression, v),
            };
            HttpRouteRulesMatchesHeaders {
                name: name.text.clone(),
                r#type: Some(t),
                value: value.clone(),
            }
        })
        .collect::<Vec<_>>();
    let query = m
        .query
        .iter()
        .map(|(name, sm)| {
            let (t, value) = match sm {
                StringMatch::Exact(v) => (HttpRouteRulesMatchesQueryParamsType::Exact, v),
                StringMatch::Regex(v) => {
                    (HttpRouteRulesMatchesQueryParamsType::RegularExpression, v)
                }
            };
            HttpRouteRulesMatchesQueryParams {
                name: name.text.clone(),
                r#type: Some(t),
                value: value.clone(),
            }
        })
        .collect::<Vec<_>>();
    let method = m
        .method
        .as_deref()
        .and_then(|s| serde_json::from_value(Value::String(s.to_string())).ok());
    HttpRouteRulesMatches {
        path,
        headers: (!headers.is_empty()).then_some(headers),
        query_params: (!query.is_empty()).then_some(query),
        method,
    }
}

fn header_pairs<T>(pairs: &[(Name, String)], make: impl Fn(String, String) -> T) -> Option<Vec<T>> {
    (!pairs.is_empty()).then(|| {
        pairs
            .iter()
            .map(|(k, v)| make(k.text.clone(), v.clone()))
            .collect()
    })
}

fn filters(p: &Program, r: &Route, f: &Filters) -> Vec<HttpRouteRulesFilters> {
    let mut out = Vec::new();
    if let Some(h) = &f.request_headers {
        out.push(HttpRouteRulesFilters {
            r#type: HttpRouteRulesFiltersType::RequestHeaderModifier,
            request_header_modifier: Some(HttpRouteRulesFiltersRequestHeaderModifier {
                set: header_pairs(&h.set, |name, value| {
                    HttpRouteRulesFiltersRequestHeaderModifierSet { name, value }
                }),
                add: header_pairs(&h.add, |name, value| {
                    HttpRouteRulesFiltersRequestHeaderModifierAdd { name, value }
                }),
                remove: (!h.remove.is_empty())
                    .then(|| h.remove.iter().map(|n| n.text.clone()).collect()),
            }),
            ..Default::default()
        });
    }
    if let Some(h) = &f.response_headers {
        out.push(HttpRouteRulesFilters {
            r#type: HttpRouteRulesFiltersType::ResponseHeaderModifier,
            response_header_modifier: Some(HttpRouteRulesFiltersResponseHeaderModifier {
                set: header_pairs(&h.set, |name, value| {
                    HttpRouteRulesFiltersResponseHeaderModifierSet { name, value }
                }),
                add: header_pairs(&h.add, |name, value| {
                    HttpRouteRulesFiltersResponseHeaderModifierAdd { name, value }
                }),
                remove: (!h.remove.is_empty())
                    .then(|| h.remove.iter().map(|n| n.text.clone()).collect()),
            }),
            ..Default::default()
        });
    }
    if let Some(rd) = &f.redirect {
        let rd = &rd.value;
        out.push(HttpRouteRulesFilters {
            r#type: HttpRouteRulesFiltersType::RequestRedirect,
            request_redirect: Some(HttpRouteRulesFiltersRequestRedirect {
                scheme: rd.scheme.as_deref().map(|s| {
                    if s == "https" {
                        HttpRouteRulesFiltersRequestRedirectScheme::Https
                    } else {
                        HttpRouteRulesFiltersRequestRedirectScheme::Http
                    }
                }),
                hostname: rd.hostname.as_ref().map(|h| h.value.clone()),
                port: rd.port.map(i32::from),
                status_code: rd.status.map(i64::from),
                path: rd.path.as_ref().map(|path| match &path.value {
                    PathRewrite::Full(v) => HttpRouteRulesFiltersRequestRedirectPath {
                        r#type: HttpRouteRulesFiltersRequestRedirectPathType::ReplaceFullPath,
                        replace_full_path: Some(v.clone()),
                        replace_prefix_match: None,
                    },
                    PathRewrite::Prefix(v) => HttpRouteRulesFiltersRequestRedirectPath {
                        r#type: HttpRouteRulesFiltersRequestRedirectPathType::ReplacePrefixMatch,
                        replace_full_path: None,
                        replace_prefix_match: Some(v.clone()),
                    },
                }),
            }),
            ..Default::default()
        });
    }
    if let Some(rw) = &f.rewrite {
        let rw = &rw.value;
        out.push(HttpRouteRulesFilters {
            r#type: HttpRouteRulesFiltersType::UrlRewrite,
            url_rewrite: Some(HttpRouteRulesFiltersUrlRewrite {
                hostname: rw.hostname.as_ref().map(|h| h.value.clone()),
                path: rw.path.as_ref().map(|path| match &path.value {
                    PathRewrite::Full(v) => HttpRouteRulesFiltersUrlRewritePath {
                        r#type: HttpRouteRulesFiltersUrlRewritePathType::ReplaceFullPath,
                        replace_full_path: Some(v.clone()),
                        replace_prefix_match: None,
                    },
                    PathRewrite::Prefix(v) => HttpRouteRulesFiltersUrlRewritePath {
                        r#type: HttpRouteRulesFiltersUrlRewritePathType::ReplacePrefixMatch,
                        replace_full_path: None,
                        replace_prefix_match: Some(v.clone()),
                    },
                }),
            }),
            ..Default::default()
        });
    }
    for m in &f.mirrors {
        let parts = backend_parts(p, r, &m.backend);
        out.push(HttpRouteRulesFilters {
            r#type: HttpRouteRulesFiltersType::RequestMirror,
            request_mirror: Some(HttpRouteRulesFiltersRequestMirror {
                backend_ref: HttpRouteRulesFiltersRequestMirrorBackendRef {
                    group: parts.group,
                    kind: parts.kind,
                    name: parts.name,
                    namespace: parts.namespace,
                    port: parts.port,
                },
                percent: m.percent.map(i32::from),
                fraction: None,
            }),
            ..Default::default()
        });
    }
    out
}

/// ReferenceGrant is served as v1beta1 by every Gateway API release, v1 only by recent ones;
/// the spec is the same.
const GRANT_API: &str = "gateway.networking.k8s.io/v1beta1";

/// The API group of a kind topoc references (empty for core kinds).
pub(crate) fn group_of(kind: &str) -> &'static str {
    match kind {
        "HTTPRoute" | "Gateway" | "GRPCRoute" | "TLSRoute" | "TCPRoute" => {
            "gateway.networking.k8s.io"
        }
        "Upstream" => "gloo.solo.io",
        _ => "",
    }
}

pub(super) fn declared_grant(cx: &Cx<'_>, id: GrantId) -> Object {
    let g = &cx.program.grants[id.index()];
    let spec = ReferenceGrantSpec {
        from: g
            .from
            .iter()
            .map(|f| ReferenceGrantFrom {
                group: group_of(&f.kind).into(),
                kind: f.kind.clone(),
                namespace: f.namespace.clone(),
            })
            .collect(),
        to: g
            .refs
            .iter()
            .map(|r| ReferenceGrantTo {
                group: group_of(&r.kind).into(),
                kind: r.kind.clone(),
                name: r.name.clone(),
            })
            .collect(),
    };
    let metadata = cx.metadata(&g.meta, "ReferenceGrant", Variant::Management);
    object(
        "ReferenceGrant",
        &g.meta.name.text,
        Some(&g.meta.namespace.value),
        &assemble(GRANT_API, "ReferenceGrant", metadata, to_value(&spec)),
    )
}

/// The narrowest grant for one reference: from one kind in one namespace, to one named object.
pub(super) fn emitted_grant(n: &crate::refs::Needed) -> Object {
    let name = crate::refs::grant_name(n);
    let spec = ReferenceGrantSpec {
        from: vec![ReferenceGrantFrom {
            group: group_of(n.from_kind).into(),
            kind: n.from_kind.into(),
            namespace: n.from_namespace.clone(),
        }],
        to: vec![ReferenceGrantTo {
            group: n.to_group.into(),
            kind: n.to_kind.into(),
            name: Some(n.to_name.clone()),
        }],
    };
    let metadata = serde_json::json!({
        "name": name,
        "namespace": n.to_namespace,
        "labels": { super::MANAGED_BY.0: super::MANAGED_BY.1 },
    });
    object(
        "ReferenceGrant",
        &name,
        Some(&n.to_namespace),
        &assemble(GRANT_API, "ReferenceGrant", metadata, to_value(&spec)),
    )
}
