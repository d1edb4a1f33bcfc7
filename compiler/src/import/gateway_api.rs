//! Gateway API kinds: GatewayClass → `class`, Gateway → `gateway`, ReferenceGrant → `grant`
//! (HTTPRoute → `route` is in [`super::httproute`]). The inverse of `render/gateway_api.rs`.

use super::build;
use super::fields::{key_ident, Cx, Fields, Ref};
use super::object::{key_span, Converted, KindImporter, Object};
use crate::render::group_of;
use crate::syntax::ast::{Entry, Value};
use crate::yaml::Node;

pub(crate) const GROUP: &str = "gateway.networking.k8s.io";

pub(crate) const KINDS: &[KindImporter] = &[
    KindImporter {
        group: GROUP,
        kind: "GatewayClass",
        import: class,
    },
    KindImporter {
        group: GROUP,
        kind: "Gateway",
        import: gateway,
    },
    KindImporter {
        group: GROUP,
        kind: "HTTPRoute",
        import: super::httproute::route,
    },
    KindImporter {
        group: GROUP,
        kind: "ReferenceGrant",
        import: grant,
    },
];

/// A name or word written bare when it can be, quoted otherwise (`protocol = "UDP "`).
pub(crate) fn word(text: &str, span: crate::source::Span) -> Value {
    if super::write::is_ident(text) {
        build::path(&[text], span)
    } else {
        build::string(text, span)
    }
}

fn class(cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    let mut entries = Vec::new();
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            if let Some(c) = f.take("controllerName") {
                let k = key_span(cx, &f, "controllerName", c);
                if let Some(v) = cx.string(c, "spec.controllerName") {
                    entries.push(build::attr("controller", k, v));
                }
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "class",
        namespaced: false,
        entries,
    }
}

fn gateway(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    let mut entries = Vec::new();
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            if let Some(c) = f.take("gatewayClassName") {
                let k = key_span(cx, &f, "gatewayClassName", c);
                // Quoted for now: placement writes it bare when the class is declared.
                if let Some(v) = cx.string(c, "spec.gatewayClassName") {
                    entries.push(build::attr("class", k, v));
                }
            }
            if let Some(ls) = f.take("listeners") {
                for (i, l) in cx.seq(ls, "spec.listeners").iter().enumerate() {
                    if let Some(b) = listener(cx, o, l, &format!("spec.listeners[{i}]")) {
                        entries.push(Entry::Block(b));
                    }
                }
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "gateway",
        namespaced: true,
        entries,
    }
}

fn listener(
    cx: &mut Cx,
    o: &Object<'_>,
    node: &Node,
    path: &str,
) -> Option<crate::syntax::ast::Block> {
    let mut f = cx.fields(node, path)?;
    let name = match f.take("name") {
        Some(n) => {
            let text = cx.text(n, &f.at("name"))?;
            Some(build::ident(text, cx.span(n)))
        }
        None => None,
    };
    let mut entries = Vec::new();
    if let Some(p) = f.take("port") {
        let k = key_span(cx, &f, "port", p);
        if let Some(v) = cx.int(p, &f.at("port")) {
            entries.push(build::attr("port", k, v));
        }
    }
    if let Some(p) = f.take("protocol") {
        let k = key_span(cx, &f, "protocol", p);
        if let Some(text) = cx.text(p, &f.at("protocol")) {
            entries.push(build::attr("protocol", k, word(text, cx.span(p))));
        }
    }
    if let Some(h) = f.take("hostname") {
        let k = key_span(cx, &f, "hostname", h);
        if let Some(v) = cx.string(h, &f.at("hostname")) {
            entries.push(build::attr("hostname", k, v));
        }
    }
    if let Some(a) = f.take("allowedRoutes") {
        let k = key_span(cx, &f, "allowedRoutes", a);
        if let Some(v) = allowed_routes(cx, a, &f.at("allowedRoutes")) {
            entries.push(build::attr("routes-from", k, v));
        }
    }
    if let Some(t) = f.take("tls") {
        let k = key_span(cx, &f, "tls", t);
        if let Some(v) = tls(cx, o, t, &f.at("tls")) {
            entries.push(build::attr("tls", k, v));
        }
    }
    f.finish(cx);
    Some(build::block("listener", name, entries, cx.span(node)))
}

/// `allowedRoutes.namespaces`: `Same` is topoc's default (no attribute), `All` is `all`, a
/// selector is its `matchLabels`. `kinds` can only say what the protocol implies: HTTPRoute.
fn allowed_routes(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    if let Some(kinds) = f.take("kinds") {
        let only_http_routes = cx.seq(kinds, &f.at("kinds")).iter().all(|k| {
            k.get("kind").and_then(Node::as_str) == Some("HTTPRoute")
                && k.get("group")
                    .and_then(Node::as_str)
                    .is_none_or(|g| g == GROUP)
        });
        if !only_http_routes {
            let at = f.at("kinds");
            cx.unsupported(
                kinds,
                &at,
                "topoc's listeners take the route kinds their protocol implies",
            );
        }
    }
    let mut value = None;
    if let Some(ns) = f.take("namespaces") {
        let path = f.at("namespaces");
        let mut nf = cx.fields(ns, &path)?;
        let from = match nf.take("from") {
            Some(n) => cx.text(n, &nf.at("from")).map(|t| (t.to_string(), n)),
            None => None,
        };
        match from {
            Some((t, n)) if t == "All" => value = Some(build::path(&["all"], cx.span(n))),
            Some((t, n)) if t == "Selector" => {
                if let Some(sel) = nf.take("selector") {
                    let at = nf.at("selector");
                    let mut sf = cx.fields(sel, &at)?;
                    if let Some(ml) = sf.take("matchLabels") {
                        value = cx.string_map(ml, &sf.at("matchLabels"));
                    }
                    sf.finish(cx);
                } else {
                    // No selector: the API rejects it; an empty map makes topoc say so (E0211).
                    value = Some(build::map(Vec::new(), cx.span(n)));
                }
            }
            Some((t, _)) if t == "Same" => {}
            Some((t, n)) => value = Some(build::string(&t, cx.span(n))),
            None => {}
        }
        nf.finish(cx);
    }
    f.finish(cx);
    value
}

fn tls(cx: &mut Cx, o: &Object<'_>, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    if let Some(m) = f.take("mode") {
        let text = cx.text(m, &f.at("mode"))?;
        let k = key_ident(cx, "mode", f.key("mode").unwrap_or(m));
        let word = match text {
            "Terminate" => "terminate",
            "Passthrough" => "passthrough",
            other => other,
        };
        if word != "terminate" {
            record.push((k, self::word(word, cx.span(m))));
        }
    }
    if let Some(certs) = f.take("certificateRefs") {
        let k = key_ident(
            cx,
            "certificates",
            f.key("certificateRefs").unwrap_or(certs),
        );
        let mut items = Vec::new();
        for (i, c) in cx.seq(certs, &f.at("certificateRefs")).iter().enumerate() {
            let at = format!("{}.certificateRefs[{i}]", f.path);
            if let Some(v) = secret_ref(cx, o, c, &at) {
                items.push(v);
            }
        }
        record.push((k, build::list(items, cx.span(certs))));
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

fn secret_ref(cx: &mut Cx, o: &Object<'_>, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let group = f.take("group").and_then(Node::as_str).unwrap_or("");
    let kind = f.take("kind").and_then(Node::as_str).unwrap_or("Secret");
    let name_node = f.take("name");
    let namespace = match f.take("namespace") {
        Some(n) => cx.text(n, &f.at("namespace"))?.to_string(),
        None => o.namespace.clone(),
    };
    f.finish(cx);
    if !group.is_empty() || kind != "Secret" {
        cx.unsupported(node, path, "a certificate is a core Secret in topoc");
        return None;
    }
    let Some(name_node) = name_node else {
        cx.invalid(node, path, "a reference with a `name`");
        return None;
    };
    let name = cx.text(name_node, &format!("{path}.name"))?;
    let span = cx.span(name_node);
    cx.refs.push(Ref {
        kind: "secret",
        name: name.to_string(),
        namespace,
        port: None,
        span,
    });
    Some(build::path(&["secret", name], span))
}

fn grant(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    if o.managed_by_topoc && o.name.starts_with("topoc-") {
        // topoc writes this grant again in every cluster that emits grants.
        top.take("spec");
        return Converted::GeneratedGrant;
    }
    let mut entries = Vec::new();
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            for (field, attr, keys) in [
                ("from", "from", ["kind", "namespace"]),
                ("to", "refs", ["kind", "name"]),
            ] {
                let Some(list) = f.take(field) else { continue };
                let k = key_span(cx, &f, field, list);
                let at = f.at(field);
                let mut items = Vec::new();
                for (i, item) in cx.seq(list, &at).iter().enumerate() {
                    if let Some(v) = grant_entry(cx, item, &format!("{at}[{i}]"), keys) {
                        items.push(v);
                    }
                }
                entries.push(build::attr(attr, k, build::list(items, cx.span(list))));
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "grant",
        namespaced: true,
        entries,
    }
}

/// `{ group, kind, namespace }` or `{ group, kind, name }`: topoc derives the group from the
/// kind, so a group other than the kind's own cannot be written.
fn grant_entry(cx: &mut Cx, node: &Node, path: &str, keys: [&str; 2]) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let group = f.take("group");
    let mut record = Vec::new();
    let mut kind = None;
    for key in keys {
        if let Some(v) = f.take(key) {
            let k = key_ident(cx, key, f.key(key).unwrap_or(v));
            if key == "kind" {
                kind = v.as_str().map(str::to_string);
            }
            record.push((k, cx.string(v, &f.at(key))?));
        }
    }
    if let (Some(g), Some(kind)) = (group, &kind) {
        let g_text = g.as_str().unwrap_or("");
        if g_text != group_of(kind) {
            let at = f.at("group");
            cx.unsupported(
                g,
                &at,
                &format!("topoc writes the group of `{kind}` as `{}`", group_of(kind)),
            );
        }
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}
