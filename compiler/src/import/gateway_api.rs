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
            let mut controller = None;
            if let Some(c) = f.take("controllerName") {
                let k = key_span(cx, &f, "controllerName", c);
                if let Some(v) = cx.string(c, "spec.controllerName") {
                    controller = c.as_str();
                    entries.push(build::attr("controller", k, v));
                }
            }
            if let Some(p) = f.take("parametersRef") {
                let k = key_span(cx, &f, "parametersRef", p);
                if let Some(v) = class_parameters(cx, p, "spec.parametersRef", controller) {
                    entries.push(build::attr("parameters", k, v));
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
            if let Some((mesh, span)) = &o.kuma_mesh {
                entries.push(build::attr(
                    "mesh",
                    *span,
                    build::path(&["mesh", mesh], *span),
                ));
            }
            if let Some(inf) = f.take("infrastructure") {
                if let Some(mut inf_f) = cx.fields(inf, "spec.infrastructure") {
                    if let Some(p) = inf_f.take("parametersRef") {
                        let k = key_span(cx, &inf_f, "parametersRef", p);
                        let at = inf_f.at("parametersRef");
                        if let Some(v) = gateway_parameters(cx, p, &at) {
                            entries.push(build::attr("parameters", k, v));
                        }
                    }
                    inf_f.finish(cx);
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

/// A reference to a parameters object: its `name` once group and kind are the expected ones.
/// The object's settings are read into the value later, by [`super::mesh`].
fn parameters_ref<'n>(
    cx: &mut Cx,
    node: &'n Node,
    path: &str,
    (group, kind): (&str, &str),
    why: &str,
    namespaced: bool,
) -> Option<&'n Node> {
    let mut f = cx.fields(node, path)?;
    let g = f.take("group").and_then(Node::as_str).unwrap_or("");
    let k = f.take("kind").and_then(Node::as_str).unwrap_or("");
    let name = f.take("name");
    if !namespaced {
        // What the API server defaults or a tool writes; a cluster-scoped kind has none.
        if let Some(ns) = f.take("namespace") {
            let at = f.at("namespace");
            cx.unsupported(ns, &at, &format!("a {kind} is cluster-scoped"));
        }
    }
    f.finish(cx);
    if g != group || k != kind {
        cx.unsupported(node, path, why);
        return None;
    }
    let Some(name) = name else {
        cx.invalid(node, path, "a reference with a `name`");
        return None;
    };
    cx.text(name, &format!("{path}.name"))?;
    Some(name)
}

/// `parametersRef` of a GatewayClass: Kuma's `MeshGatewayConfig`, the only class parameters
/// topoc models. `{ name = "..." }` for now: [`super::mesh`] adds the settings.
fn class_parameters(
    cx: &mut Cx,
    node: &Node,
    path: &str,
    controller: Option<&str>,
) -> Option<Value> {
    let name = parameters_ref(
        cx,
        node,
        path,
        ("kuma.io", "MeshGatewayConfig"),
        "topoc's class parameters are Kuma MeshGatewayConfigs",
        false,
    )?;
    let kuma = crate::model::Vendor::Kuma.controllers();
    if !controller.is_some_and(|c| kuma.contains(&c)) {
        cx.unsupported(
            node,
            path,
            &format!(
                "topoc models class parameters only for Kuma's controller `{}`",
                kuma.join("`, `")
            ),
        );
        return None;
    }
    let span = cx.span(name);
    let text = name.as_str()?;
    Some(build::map(
        vec![(build::ident("name", span), build::string(text, span))],
        cx.span(node),
    ))
}

/// `infrastructure.parametersRef` of a Gateway: kgateway's `GatewayParameters`, the gateway's
/// `parameters`. `{ name = "..." }` for now: [`super::mesh`] adds the settings.
fn gateway_parameters(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let name = parameters_ref(
        cx,
        node,
        path,
        ("gateway.kgateway.dev", "GatewayParameters"),
        "topoc's gateway parameters are kgateway GatewayParameters",
        true,
    )?;
    let span = cx.span(name);
    let text = name.as_str()?;
    Some(build::map(
        vec![(build::ident("name", span), build::string(text, span))],
        cx.span(node),
    ))
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
        app_protocol: None,
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
