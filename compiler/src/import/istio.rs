//! Gloo Mesh's GatewayLifecycleManager (`admin.gloo.solo.io/v2`) → `gateway-install`, the
//! inverse of the manager written by `render/istio.rs`. Its IstioOperators are build artefacts
//! (see [`super::artefacts`]).

use super::build;
use super::fields::{key_ident, Cx, Fields};
use super::object::{key_span, Converted, KindImporter, Object};
use crate::syntax::ast::{Entry, Ident, Value};
use crate::yaml::{Node, NodeValue};

pub(crate) const KINDS: &[KindImporter] = &[KindImporter {
    group: "admin.gloo.solo.io",
    kind: "GatewayLifecycleManager",
    import: manager,
}];

fn manager(cx: &mut Cx, _o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    let mut entries = Vec::new();
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            if let Some(list) = f.take("installations") {
                for (i, inst) in cx.seq(list, "spec.installations").iter().enumerate() {
                    if let Some(b) = installation(cx, inst, &format!("spec.installations[{i}]")) {
                        entries.push(Entry::Block(b));
                    }
                }
            }
            if let Some(h) = f.take("helmGlobal") {
                let k = key_span(cx, &f, "helmGlobal", h);
                if let Some(v) = helm_global(cx, h, "spec.helmGlobal") {
                    entries.push(build::attr("helm-global", k, v));
                }
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "gateway-install",
        namespaced: true,
        entries,
    }
}

fn installation(cx: &mut Cx, node: &Node, path: &str) -> Option<crate::syntax::ast::Block> {
    let mut f = cx.fields(node, path)?;
    let mut entries = Vec::new();
    let mut revision = None;
    if let Some(r) = f.take("gatewayRevision") {
        let k = key_span(cx, &f, "gatewayRevision", r);
        let text = cx.text(r, &f.at("gatewayRevision"))?;
        revision = (text != "auto").then(|| text.to_string());
        let v = if text == "auto" {
            build::path(&["auto"], cx.span(r))
        } else {
            build::string(text, cx.span(r))
        };
        entries.push(build::attr("gateway-revision", k, v));
    }
    if let Some(r) = f.take("controlPlaneRevision") {
        let k = key_span(cx, &f, "controlPlaneRevision", r);
        let v = cx.string(r, &f.at("controlPlaneRevision"))?;
        revision = r.as_str().map(str::to_string);
        entries.push(build::attr("control-plane-revision", k, v));
    }
    if let Some(list) = f.take("clusters") {
        let k = key_span(cx, &f, "clusters", list);
        let at = f.at("clusters");
        let mut items = Vec::new();
        for (i, c) in cx.seq(list, &at).iter().enumerate() {
            if let Some(v) = cluster_entry(cx, c, &format!("{at}[{i}]"), revision.as_deref()) {
                items.push(v);
            }
        }
        entries.push(build::attr(
            "clusters",
            k,
            build::list(items, cx.span(list)),
        ));
    }
    if let Some(s) = f.take("skipUpgradeValidation") {
        let k = key_span(cx, &f, "skipUpgradeValidation", s);
        entries.push(build::attr(
            "skip-upgrade-validation",
            k,
            cx.boolean(s, &f.at("skipUpgradeValidation"))?,
        ));
    }
    if let Some(spec) = f.take("istioOperatorSpec") {
        let at = f.at("istioOperatorSpec");
        operator_spec(cx, spec, &at, &mut entries);
    }
    f.finish(cx);
    Some(build::block("installation", None, entries, cx.span(node)))
}

/// `{ name, activeGateway, trustDomain }` → `{ name = CLUSTER, active = true, trust-domain = "..." }`.
fn cluster_entry(cx: &mut Cx, node: &Node, path: &str, revision: Option<&str>) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    if let Some(n) = f.take("name") {
        let text = cx.text(n, &f.at("name"))?;
        let name = super::read::cluster_name(text);
        if let Some(r) = revision {
            cx.revisions.push((name.clone(), r.to_string(), cx.span(n)));
        }
        record.push((
            build::ident("name", cx.span(n)),
            build::path(&[&name], cx.span(n)),
        ));
    }
    f.copy(cx, "activeGateway", "active", &mut record, Cx::boolean)?;
    f.copy(cx, "trustDomain", "trust-domain", &mut record, Cx::string)?;
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

fn operator_spec(cx: &mut Cx, node: &Node, path: &str, entries: &mut Vec<Entry>) {
    let Some(mut f) = cx.fields(node, path) else {
        return;
    };
    for key in ["profile", "hub", "tag"] {
        if let Some(v) = f.take(key) {
            let k = key_span(cx, &f, key, v);
            if let Some(s) = cx.string(v, &f.at(key)) {
                entries.push(build::attr(key, k, s));
            }
        }
    }
    if let Some(m) = f.take("meshConfig") {
        let k = key_span(cx, &f, "meshConfig", m);
        if let Some(v) = passthrough(cx, m, &f.at("meshConfig")) {
            entries.push(build::attr("mesh-config", k, v));
        }
    }
    if let Some(c) = f.take("components") {
        let at = f.at("components");
        if let Some(mut cf) = cx.fields(c, &at) {
            for (field, attr) in [
                ("ingressGateways", "ingress-gateways"),
                ("egressGateways", "egress-gateways"),
            ] {
                let Some(list) = cf.take(field) else { continue };
                let k = key_span(cx, &cf, field, list);
                let lat = cf.at(field);
                let mut items = Vec::new();
                for (i, g) in cx.seq(list, &lat).iter().enumerate() {
                    if let Some(v) = component(cx, g, &format!("{lat}[{i}]")) {
                        items.push(v);
                    }
                }
                entries.push(build::attr(attr, k, build::list(items, cx.span(list))));
            }
            cf.finish(cx);
        }
    }
    f.finish(cx);
}

fn component(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record: Vec<(Ident, Value)> = Vec::new();
    for (field, key) in [("name", "name"), ("namespace", "namespace")] {
        if let Some(v) = f.take(field) {
            let k = key_ident(cx, key, f.key(field).unwrap_or(v));
            record.push((k, cx.string(v, &f.at(field))?));
        }
    }
    f.copy(cx, "enabled", "enabled", &mut record, Cx::boolean)?;
    f.copy(cx, "label", "labels", &mut record, Cx::string_map)?;
    if let Some(k8s) = f.take("k8s") {
        let at = f.at("k8s");
        let mut kf = cx.fields(k8s, &at)?;
        kf.copy(cx, "service", "service", &mut record, service)?;
        kf.copy(cx, "affinity", "affinity", &mut record, passthrough)?;
        if let Some(e) = kf.take("env") {
            let k = key_ident(cx, "env", kf.key("env").unwrap_or(e));
            let eat = kf.at("env");
            let mut pairs = Vec::new();
            for (i, item) in cx.seq(e, &eat).iter().enumerate() {
                let ip = format!("{eat}[{i}]");
                let mut ef = cx.fields(item, &ip)?;
                let (n, v) = (ef.take("name"), ef.take("value"));
                ef.finish(cx);
                let (Some(n), Some(v)) = (n, v) else {
                    cx.invalid(item, &ip, "an environment variable with `name` and `value`");
                    continue;
                };
                let name = cx.text(n, &format!("{ip}.name"))?;
                pairs.push((
                    build::ident(name, cx.span(n)),
                    cx.string(v, &format!("{ip}.value"))?,
                ));
            }
            record.push((k, build::map(pairs, cx.span(e))));
        }
        kf.copy(
            cx,
            "podAnnotations",
            "pod-annotations",
            &mut record,
            Cx::string_map,
        )?;
        kf.finish(cx);
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

fn service(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    if let Some(t) = f.take("type") {
        let k = key_ident(cx, "type", f.key("type").unwrap_or(t));
        let text = cx.text(t, &f.at("type"))?;
        record.push((k, super::gateway_api::word(text, cx.span(t))));
    }
    f.copy(cx, "selector", "selector", &mut record, Cx::string_map)?;
    if let Some(ports) = f.take("ports") {
        let k = key_ident(cx, "ports", f.key("ports").unwrap_or(ports));
        let at = f.at("ports");
        let mut items = Vec::new();
        for (i, p) in cx.seq(ports, &at).iter().enumerate() {
            let pat = format!("{at}[{i}]");
            let mut pf = cx.fields(p, &pat)?;
            let mut port = Vec::new();
            for (field, key) in [
                ("name", "name"),
                ("port", "port"),
                ("targetPort", "target-port"),
            ] {
                let Some(v) = pf.take(field) else { continue };
                let kk = key_ident(cx, key, pf.key(field).unwrap_or(v));
                let value = if field == "name" {
                    cx.string(v, &pf.at(field))?
                } else {
                    cx.int(v, &pf.at(field))?
                };
                port.push((kk, value));
            }
            pf.finish(cx);
            items.push(build::map(port, cx.span(p)));
        }
        record.push((k, build::list(items, cx.span(ports))));
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

fn helm_global(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let mut f = cx.fields(node, path)?;
    let mut record = Vec::new();
    f.copy(cx, "repo", "repo", &mut record, Cx::string)?;
    if let Some(list) = f.take("repoSecrets") {
        let k = key_ident(cx, "repo-secrets", f.key("repoSecrets").unwrap_or(list));
        let at = f.at("repoSecrets");
        let mut items = Vec::new();
        for (i, s) in cx.seq(list, &at).iter().enumerate() {
            let sat = format!("{at}[{i}]");
            let mut sf = cx.fields(s, &sat)?;
            let name = sf.take("name");
            let namespace = sf.take("namespace");
            sf.finish(cx);
            let Some(name) = name else {
                cx.invalid(s, &sat, "a secret with a `name`");
                continue;
            };
            let n = cx.string(name, &format!("{sat}.name"))?;
            items.push(match namespace {
                None => n,
                Some(ns) => build::map(
                    vec![
                        (build::ident("name", cx.span(name)), n),
                        (
                            build::ident("namespace", cx.span(ns)),
                            cx.string(ns, &format!("{sat}.namespace"))?,
                        ),
                    ],
                    cx.span(s),
                ),
            });
        }
        record.push((k, build::list(items, cx.span(list))));
    }
    if let Some(s) = f.take("repoSkipTlsVerify") {
        let k = key_ident(
            cx,
            "repo-skip-tls-verify",
            f.key("repoSkipTlsVerify").unwrap_or(s),
        );
        record.push((k, cx.boolean(s, &f.at("repoSkipTlsVerify"))?));
    }
    f.finish(cx);
    Some(build::map(record, cx.span(node)))
}

/// A value topoc passes through as written (`mesh-config`, `affinity`): maps, lists, strings,
/// integers and booleans.
fn passthrough(cx: &mut Cx, node: &Node, path: &str) -> Option<Value> {
    let span = cx.span(node);
    match &node.value {
        NodeValue::Str(s) => Some(build::string(s, span)),
        NodeValue::Int(i) => Some(build::int(*i, span)),
        NodeValue::Bool(b) => Some(build::boolean(*b, span)),
        NodeValue::Seq(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(passthrough(cx, item, &format!("{path}[{i}]"))?);
            }
            Some(build::list(out, span))
        }
        NodeValue::Map(entries) => {
            let mut out = Vec::new();
            for (k, v) in entries {
                let key = k.key_text();
                let value = passthrough(cx, v, &format!("{path}.{key}"))?;
                out.push((build::ident(&key, cx.span(k)), value));
            }
            Some(build::map(out, span))
        }
        NodeValue::Null | NodeValue::Float(_) => {
            cx.unsupported(node, path, "topoc's values have no null and no fractions");
            None
        }
    }
}
