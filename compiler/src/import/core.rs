//! Core kinds: Service → `service` (its ports; topoc checks routes against them and never
//! writes Services) and Secret → `secret` (its name only: topoc never holds key material).

use super::build;
use super::fields::{key_ident, Cx, Fields};
use super::object::{key_span, Converted, KindImporter, Object};
use crate::yaml::{Node, NodeValue};

pub(crate) const KINDS: &[KindImporter] = &[
    KindImporter {
        group: "",
        kind: "Service",
        import: service,
    },
    KindImporter {
        group: "",
        kind: "Secret",
        import: secret,
    },
];

/// Spec fields of a Service that say how it is served, not which ports it has.
const SERVICE_RUNTIME: &[&str] = &[
    "selector",
    "type",
    "clusterIP",
    "clusterIPs",
    "ipFamilies",
    "ipFamilyPolicy",
    "sessionAffinity",
    "sessionAffinityConfig",
    "externalTrafficPolicy",
    "internalTrafficPolicy",
    "publishNotReadyAddresses",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "loadBalancerClass",
    "allocateLoadBalancerNodePorts",
    "externalIPs",
    "externalName",
    "healthCheckNodePort",
    "trafficDistribution",
];

fn service(cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    let mut entries = Vec::new();
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            if let Some(ports) = f.take("ports") {
                let k = key_span(cx, &f, "ports", ports);
                let mut items = Vec::new();
                let listed = cx.seq(ports, "spec.ports");
                for (i, p) in listed.iter().enumerate() {
                    if let Some(v) = service_port(cx, p, &format!("spec.ports[{i}]")) {
                        items.push(v);
                    }
                }
                if items.is_empty() && !listed.is_empty() {
                    // Only UDP or SCTP ports: nothing an HTTPRoute can send to.
                    f.finish(cx);
                    return Converted::Nothing;
                }
                entries.push(build::attr("ports", k, build::list(items, cx.span(ports))));
            }
            for field in SERVICE_RUNTIME {
                f.ignore(
                    cx,
                    field,
                    "topoc checks routes against a Service's ports and never writes Services",
                );
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "service",
        namespaced: true,
        entries,
    }
}

fn service_port(cx: &mut Cx, node: &Node, path: &str) -> Option<crate::syntax::ast::Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    for (field, key) in [
        ("name", "name"),
        ("port", "port"),
        ("targetPort", "target-port"),
        ("appProtocol", "app-protocol"),
    ] {
        let Some(v) = f.take(field) else { continue };
        if field == "targetPort" && matches!(v.value, NodeValue::Str(_)) {
            let at = f.at(field);
            cx.ignored(
                v,
                &at,
                "topoc's service ports have numeric target ports only",
            );
            continue;
        }
        let k = key_ident(cx, key, f.key(field).unwrap_or(v));
        let value = if matches!(field, "port" | "targetPort") {
            cx.int(v, &f.at(field))?
        } else {
            cx.string(v, &f.at(field))?
        };
        record.push((k, value));
    }
    if let Some(p) = f.take("protocol") {
        if p.as_str() != Some("TCP") {
            // No HTTPRoute can send to it: leaving it out makes a route that tries E0305.
            let at = f.at("protocol");
            cx.ignored(
                p,
                &at,
                "topoc's service ports are the TCP ports routes send to",
            );
            return None;
        }
    }
    f.ignore(cx, "nodePort", "allocated by the API server");
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

fn secret(cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    // A `secret` is a TLS secret by definition (docs/language.md, Secrets).
    match top.take("type") {
        Some(t) if t.as_str() != Some("kubernetes.io/tls") => {
            cx.ignored(
                t,
                "type",
                "topoc's secrets are TLS secrets (`kubernetes.io/tls`)",
            );
        }
        _ => {}
    }
    for field in ["data", "stringData", "immutable"] {
        top.ignore(
            cx,
            field,
            "topoc never holds key material: a `secret` only names a Secret another tool creates",
        );
    }
    Converted::Definition {
        keyword: "secret",
        namespaced: true,
        entries: Vec::new(),
    }
}
