//! HTTPRoute → `route`: parents, hostnames, and rules with their matches, backends, filters
//! and timeouts, as `render/gateway_api.rs` writes them.

use super::build;
use super::fields::{key_ident, Cx, Fields, Ref};
use super::gateway_api::{word, GROUP};
use super::object::{key_span, Converted, Object};
use crate::syntax::ast::{Entry, Ident, Value};
use crate::yaml::{Node, NodeValue};

/// The API group of Istio's `Hostname` backends (seed 001, Step 5).
pub(crate) const ISTIO_GROUP: &str = "networking.istio.io";

/// Gateway API releases that first serve a feature, as `(major, minor)`.
const RULE_NAMES: (u32, u32) = (1, 4);
const MIRROR_PERCENT: (u32, u32) = (1, 3);
const NEW_REDIRECT_STATUS: (u32, u32) = (1, 5);

pub(crate) fn route(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    let mut entries = Vec::new();
    if let Some((mesh, span)) = &o.kuma_mesh {
        entries.push(build::attr(
            "mesh",
            *span,
            build::path(&["mesh", mesh], *span),
        ));
    }
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            if let Some(parents) = f.take("parentRefs") {
                let k = key_span(cx, &f, "parentRefs", parents);
                let at = f.at("parentRefs");
                let mut items = Vec::new();
                for (i, p) in cx.seq(parents, &at).iter().enumerate() {
                    if let Some(v) = parent(cx, o, p, &format!("{at}[{i}]")) {
                        items.push(v);
                    }
                }
                entries.push(build::attr(
                    "parents",
                    k,
                    build::list(items, cx.span(parents)),
                ));
            }
            if let Some(h) = f.take("hostnames") {
                let k = key_span(cx, &f, "hostnames", h);
                let at = f.at("hostnames");
                let items = cx
                    .seq(h, &at)
                    .iter()
                    .filter_map(|n| cx.string(n, &at))
                    .collect();
                entries.push(build::attr("hostnames", k, build::list(items, cx.span(h))));
            }
            if let Some(rules) = f.take("rules") {
                for (i, r) in cx.seq(rules, "spec.rules").iter().enumerate() {
                    if let Some(b) = rule(cx, o, r, &format!("spec.rules[{i}]")) {
                        entries.push(Entry::Block(b));
                    }
                }
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "route",
        namespaced: true,
        entries,
    }
}

fn parent(cx: &mut Cx, o: &Object<'_>, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let group = f.take("group").and_then(Node::as_str).unwrap_or(GROUP);
    let kind = f.take("kind").and_then(Node::as_str).unwrap_or("Gateway");
    let name = f.take("name");
    let namespace = match f.take("namespace") {
        Some(n) => cx.text(n, &f.at("namespace"))?.to_string(),
        None => o.namespace.clone(),
    };
    if (group, kind) == ("", "Service") {
        return service_parent(cx, f, node, path, name, namespace);
    }
    let section = match f.take("sectionName") {
        Some(s) => Some(cx.text(s, &f.at("sectionName"))?),
        None => None,
    };
    f.finish(cx);
    if group != GROUP || kind != "Gateway" {
        cx.unsupported(
            node,
            path,
            "a route's parents are Gateways and (GAMMA) core Services in topoc",
        );
        return None;
    }
    let Some(name) = name else {
        cx.invalid(node, path, "a reference with a `name`");
        return None;
    };
    let span = cx.span(name);
    let name = cx.text(name, &format!("{path}.name"))?;
    cx.refs.push(Ref {
        kind: "gateway",
        name: name.to_string(),
        namespace,
        port: None,
        app_protocol: None,
        span,
    });
    let mut parts = vec!["gateway", name];
    parts.extend(section);
    Some(build::path(&parts, span))
}

/// A GAMMA parent (`group: ""`, `kind: Service`): `service.NAME`, or `{ ref = service.NAME,
/// port = N }` with a port. Its port carries HTTP routes, so a Service declared from the
/// reference gets `app-protocol = "http"` on it.
fn service_parent(
    cx: &mut Cx,
    mut f: Fields<'_>,
    node: &Node,
    path: &str,
    name: Option<&Node>,
    namespace: String,
) -> Option<Value> {
    let port = f.take("port");
    let port_key = f.key("port");
    f.finish(cx);
    let Some(name) = name else {
        cx.invalid(node, path, "a reference with a `name`");
        return None;
    };
    let span = cx.span(name);
    let name = cx.text(name, &format!("{path}.name"))?;
    let reference = build::path(&["service", name], span);
    let port_value = match port {
        Some(p) => Some((cx.int(p, &format!("{path}.port"))?, p)),
        None => None,
    };
    cx.refs.push(Ref {
        kind: "service",
        name: name.to_string(),
        namespace,
        port: port.and_then(|p| match p.value {
            NodeValue::Int(n) => Some(n),
            _ => None,
        }),
        app_protocol: Some("http"),
        span,
    });
    let Some((value, p)) = port_value else {
        return Some(reference);
    };
    let key = key_ident(cx, "port", port_key.unwrap_or(p));
    Some(build::map(
        vec![(build::ident("ref", span), reference), (key, value)],
        cx.span(node),
    ))
}

fn rule(cx: &mut Cx, o: &Object<'_>, node: &Node, path: &str) -> Option<crate::syntax::ast::Block> {
    let mut f = cx.fields(node, path)?;
    let mut entries = Vec::new();
    let mut name = None;
    if let Some(n) = f.take("name") {
        let text = cx.text(n, &f.at("name"))?;
        cx.need(RULE_NAMES, cx.span(n));
        if super::write::is_ident(text) {
            name = Some(build::ident(text, cx.span(n)));
        } else {
            let k = key_span(cx, &f, "name", n);
            entries.push(build::attr("name", k, build::string(text, cx.span(n))));
        }
    }
    if let Some(m) = f.take("matches") {
        let k = key_span(cx, &f, "matches", m);
        let at = f.at("matches");
        let mut items = Vec::new();
        for (i, item) in cx.seq(m, &at).iter().enumerate() {
            if let Some(v) = route_match(cx, item, &format!("{at}[{i}]")) {
                items.push(v);
            }
        }
        entries.push(build::attr("match", k, build::list(items, cx.span(m))));
    }
    if let Some(b) = f.take("backendRefs") {
        let k = key_span(cx, &f, "backendRefs", b);
        let at = f.at("backendRefs");
        let mut items = Vec::new();
        for (i, item) in cx.seq(b, &at).iter().enumerate() {
            if let Some(v) = backend(cx, o, item, &format!("{at}[{i}]"), Use::Backend) {
                items.push(v);
            }
        }
        entries.push(build::attr("backends", k, build::list(items, cx.span(b))));
    }
    if let Some(filters) = f.take("filters") {
        let at = f.at("filters");
        let mut mirrors = Vec::new();
        for (i, item) in cx.seq(filters, &at).iter().enumerate() {
            filter(
                cx,
                o,
                item,
                &format!("{at}[{i}]"),
                &mut entries,
                &mut mirrors,
            );
        }
        if let Some(first) = mirrors.first() {
            let span = first.span;
            entries.push(build::attr("mirror", span, build::list(mirrors, span)));
        }
    }
    if let Some(t) = f.take("timeouts") {
        let k = key_ident(cx, "timeout", f.key("timeouts").unwrap_or(t));
        let at = f.at("timeouts");
        let mut tf = cx.fields(t, &at)?;
        let mut record = Vec::new();
        for (field, key) in [
            ("request", "request"),
            ("backendRequest", "backend-request"),
        ] {
            if let Some(v) = tf.take(field) {
                let kk = key_ident(cx, key, tf.key(field).unwrap_or(v));
                record.push((kk, cx.string(v, &tf.at(field))?));
            }
        }
        tf.finish(cx);
        entries.push(Entry::Attr(crate::syntax::ast::Attr {
            key: k,
            value: build::map(record, cx.span(t)),
        }));
    }
    f.finish(cx);
    Some(build::block("rule", name, entries, cx.span(node)))
}

fn route_match(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    if let Some(p) = f.take("path") {
        let k = key_ident(cx, "path", f.key("path").unwrap_or(p));
        let at = f.at("path");
        let mut pf = cx.fields(p, &at)?;
        let ty = pf
            .take("type")
            .and_then(Node::as_str)
            .unwrap_or("PathPrefix");
        let value = match pf.take("value") {
            Some(v) => cx.string(v, &pf.at("value"))?,
            None => build::string("/", cx.span(p)),
        };
        pf.finish(cx);
        let func = match ty {
            "PathPrefix" => "prefix",
            "Exact" => "exact",
            "RegularExpression" => "regex",
            _ => {
                cx.invalid(
                    p,
                    &format!("{at}.type"),
                    "PathPrefix, Exact or RegularExpression",
                );
                return None;
            }
        };
        record.push((k, build::call(func, vec![value], cx.span(p))));
    }
    for (field, key) in [("headers", "headers"), ("queryParams", "query")] {
        if let Some(list) = f.take(field) {
            let k = key_ident(cx, key, f.key(field).unwrap_or(list));
            let at = f.at(field);
            let mut pairs = Vec::new();
            for (i, item) in cx.seq(list, &at).iter().enumerate() {
                if let Some(pair) = string_match(cx, item, &format!("{at}[{i}]")) {
                    pairs.push(pair);
                }
            }
            record.push((k, build::map(pairs, cx.span(list))));
        }
    }
    if let Some(m) = f.take("method") {
        let k = key_ident(cx, "method", f.key("method").unwrap_or(m));
        let text = cx.text(m, &f.at("method"))?;
        record.push((k, word(text, cx.span(m))));
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

/// `{ name, type, value }` → `name = "value"` or `name = regex("...")`.
fn string_match(cx: &mut Cx, node: &Node, path: &str) -> Option<(Ident, Value)> {
    let mut f = cx.fields(node, path)?;
    let name = f.take("name");
    let ty = f.take("type").and_then(Node::as_str).unwrap_or("Exact");
    let value = f.take("value");
    f.finish(cx);
    let (Some(name), Some(value)) = (name, value) else {
        cx.invalid(node, path, "a match with `name` and `value`");
        return None;
    };
    let key = build::ident(cx.text(name, &format!("{path}.name"))?, cx.span(name));
    let v = cx.string(value, &format!("{path}.value"))?;
    let v = match ty {
        "Exact" => v,
        "RegularExpression" => build::call("regex", vec![v], cx.span(value)),
        _ => {
            cx.invalid(node, &format!("{path}.type"), "Exact or RegularExpression");
            return None;
        }
    };
    Some((key, v))
}

#[derive(Clone, Copy, PartialEq)]
enum Use {
    Backend,
    Mirror,
}

/// A backend or mirror reference: `upstream.NAME`, or a record with `ref`, `port`, `weight`
/// (backends) or `percent` (mirrors).
fn backend(cx: &mut Cx, o: &Object<'_>, node: &Node, path: &str, usage: Use) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let group = f.take("group").and_then(Node::as_str).unwrap_or("");
    let kind = f.take("kind").and_then(Node::as_str).unwrap_or("Service");
    let name = f.take("name");
    let namespace_node = f.take("namespace");
    let namespace = match namespace_node {
        Some(n) => cx.text(n, &f.at("namespace"))?.to_string(),
        None => o.namespace.clone(),
    };
    let mut record: Vec<(Ident, Value)> = Vec::new();
    let port = f.take("port");
    let mut port_number = None;
    if let Some(p) = port {
        let k = key_ident(cx, "port", f.key("port").unwrap_or(p));
        if let NodeValue::Int(n) = p.value {
            port_number = Some(n);
        }
        record.push((k, cx.int(p, &f.at("port"))?));
    }
    let extra = match usage {
        Use::Backend => "weight",
        Use::Mirror => "percent",
    };
    if let Some(w) = f.take(extra) {
        let k = key_ident(cx, extra, f.key(extra).unwrap_or(w));
        if usage == Use::Mirror {
            cx.need(MIRROR_PERCENT, cx.span(w));
        }
        record.push((k, cx.int(w, &f.at(extra))?));
    }
    f.finish(cx);
    let Some(name) = name else {
        cx.invalid(node, path, "a reference with a `name`");
        return None;
    };
    let span = cx.span(name);
    let name = cx.text(name, &format!("{path}.name"))?;
    let target = match (group, kind) {
        ("", "Service") => "service",
        ("gloo.solo.io", "Upstream") => "upstream",
        (ISTIO_GROUP, "Hostname") => {
            if let Some(ns) = namespace_node {
                let at = format!("{path}.namespace");
                cx.unsupported(ns, &at, "an Istio hostname has no namespace");
                return None;
            }
            // `virtual-destination.HOST` until [`super::mesh`] finds the virtual destination
            // that claims the host.
            let reference = build::path(&["virtual-destination", name], span);
            record.insert(0, (build::ident("ref", span), reference));
            return Some(build::map(record, cx.span(node)));
        }
        _ => {
            cx.unsupported(
                node,
                path,
                "topoc's backends are core Services, Gloo Upstreams and the hosts of virtual destinations",
            );
            return None;
        }
    };
    cx.refs.push(Ref {
        kind: target,
        name: name.to_string(),
        namespace,
        port: port_number,
        app_protocol: None,
        span,
    });
    let reference = build::path(&[target, name], span);
    if record.is_empty() && target == "upstream" {
        return Some(reference);
    }
    record.insert(0, (build::ident("ref", span), reference));
    Some(build::map(record, cx.span(node)))
}

/// One filter: an attribute of the rule, or a mirror (collected into one `mirror` list).
fn filter(
    cx: &mut Cx,
    o: &Object<'_>,
    node: &Node,
    path: &str,
    entries: &mut Vec<Entry>,
    mirrors: &mut Vec<Value>,
) {
    let Some(mut f) = cx.fields(node, path) else {
        return;
    };
    let Some(ty_node) = f.take("type") else {
        cx.invalid(node, path, "a filter with a `type`");
        return;
    };
    let ty = ty_node.as_str().unwrap_or("");
    let (field, attr) = match ty {
        "RequestHeaderModifier" => ("requestHeaderModifier", "request-headers"),
        "ResponseHeaderModifier" => ("responseHeaderModifier", "response-headers"),
        "RequestRedirect" => ("requestRedirect", "redirect"),
        "URLRewrite" => ("urlRewrite", "rewrite"),
        "RequestMirror" => ("requestMirror", "mirror"),
        _ => {
            // The whole filter goes: its configuration is meaningless without its type.
            let _ = f.take("extensionRef");
            let _ = f.take("cors");
            cx.unsupported(ty_node, &format!("{path}.type"), "topoc has no such filter");
            return;
        }
    };
    let Some(config) = f.take(field) else {
        f.finish(cx);
        cx.invalid(node, path, &format!("a filter with `{field}`"));
        return;
    };
    let at = f.at(field);
    let k = key_span(cx, &f, field, config);
    let value = match attr {
        "request-headers" | "response-headers" => header_modifier(cx, config, &at),
        "redirect" => redirect(cx, config, &at),
        "rewrite" => rewrite(cx, config, &at),
        _ => {
            let Some(mut mf) = cx.fields(config, &at) else {
                return;
            };
            let backend_ref = mf.take("backendRef");
            let percent = mf.take("percent");
            mf.finish(cx);
            let Some(b) = backend_ref else {
                cx.invalid(config, &at, "a mirror with a `backendRef`");
                return;
            };
            let Some(mut v) = backend(cx, o, b, &format!("{at}.backendRef"), Use::Mirror) else {
                return;
            };
            if let Some(p) = percent {
                cx.need(MIRROR_PERCENT, cx.span(p));
                let Some(pv) = cx.int(p, &format!("{at}.percent")) else {
                    return;
                };
                let pk = build::ident("percent", cx.span(p));
                v = match v.kind {
                    crate::syntax::ast::ValueKind::Map(mut e) => {
                        e.push((pk, pv));
                        build::map(e, v.span)
                    }
                    _ => build::map(
                        vec![(build::ident("ref", v.span), v.clone()), (pk, pv)],
                        v.span,
                    ),
                };
            }
            mirrors.push(v);
            f.finish(cx);
            return;
        }
    };
    f.finish(cx);
    if let Some(v) = value {
        entries.push(build::attr(attr, k, v));
    }
}

fn header_modifier(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    for key in ["set", "add"] {
        if let Some(list) = f.take(key) {
            let k = key_ident(cx, key, f.key(key).unwrap_or(list));
            let at = f.at(key);
            let mut pairs = Vec::new();
            for (i, item) in cx.seq(list, &at).iter().enumerate() {
                let ip = format!("{at}[{i}]");
                let Some(mut hf) = cx.fields(item, &ip) else {
                    continue;
                };
                let (name, value) = (hf.take("name"), hf.take("value"));
                hf.finish(cx);
                let (Some(name), Some(value)) = (name, value) else {
                    cx.invalid(item, &ip, "a header with `name` and `value`");
                    continue;
                };
                let Some(n) = cx.text(name, &format!("{ip}.name")) else {
                    continue;
                };
                let key = build::ident(n, cx.span(name));
                if let Some(v) = cx.string(value, &format!("{ip}.value")) {
                    pairs.push((key, v));
                }
            }
            record.push((k, build::map(pairs, cx.span(list))));
        }
    }
    if let Some(list) = f.take("remove") {
        let k = key_ident(cx, "remove", f.key("remove").unwrap_or(list));
        let at = f.at("remove");
        let items = cx
            .seq(list, &at)
            .iter()
            .filter_map(|n| cx.string(n, &at))
            .collect();
        record.push((k, build::list(items, cx.span(list))));
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

/// `path: { type: ReplaceFullPath, replaceFullPath }` → `full("...")`, prefix likewise.
fn path_modifier(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let ty = f.take("type").and_then(Node::as_str).unwrap_or("");
    let full = f.take("replaceFullPath");
    let prefix = f.take("replacePrefixMatch");
    f.finish(cx);
    let (func, value) = match (ty, full, prefix) {
        ("ReplaceFullPath", Some(v), _) => ("full", v),
        ("ReplacePrefixMatch", _, Some(v)) => ("prefix", v),
        _ => {
            cx.invalid(node, path, "a path modifier whose `type` matches its field");
            return None;
        }
    };
    let v = cx.string(value, path)?;
    Some(build::call(func, vec![v], cx.span(node)))
}

fn redirect(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    if let Some(s) = f.take("scheme") {
        let k = key_ident(cx, "scheme", f.key("scheme").unwrap_or(s));
        let text = cx.text(s, &f.at("scheme"))?;
        record.push((k, word(text, cx.span(s))));
    }
    f.copy(cx, "hostname", "hostname", &mut record, Cx::string)?;
    f.copy(cx, "port", "port", &mut record, Cx::int)?;
    f.copy(cx, "path", "path", &mut record, path_modifier)?;
    if let Some(s) = f.take("statusCode") {
        let k = key_ident(cx, "status", f.key("statusCode").unwrap_or(s));
        if matches!(s.value, NodeValue::Int(303 | 307 | 308)) {
            cx.need(NEW_REDIRECT_STATUS, cx.span(s));
        }
        record.push((k, cx.int(s, &f.at("statusCode"))?));
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

fn rewrite(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    f.copy(cx, "hostname", "hostname", &mut record, Cx::string)?;
    f.copy(cx, "path", "path", &mut record, path_modifier)?;
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}
