//! Gloo kinds: the `gloo.solo.io/v1` Upstream of type `kube` → `upstream`. The Gloo Edge API
//! (`--target gloo-edge`) is a rendering of Gateway API definitions that cannot be inverted
//! one object at a time, so its kinds are refused with a code of their own.

use super::build;
use super::fields::{Cx, Fields, Ref};
use super::object::{key_span, Converted, KindImporter, Object};
use crate::diag::{Code, Diagnostic};
use crate::yaml::NodeValue;

pub(crate) const KINDS: &[KindImporter] = &[
    KindImporter {
        group: "gloo.solo.io",
        kind: "Upstream",
        import: upstream,
    },
    KindImporter {
        group: "gloo.solo.io",
        kind: "UpstreamGroup",
        import: gloo_edge,
    },
    KindImporter {
        group: "gateway.solo.io",
        kind: "Gateway",
        import: gloo_edge,
    },
    KindImporter {
        group: "gateway.solo.io",
        kind: "VirtualService",
        import: gloo_edge,
    },
    KindImporter {
        group: "gateway.solo.io",
        kind: "RouteTable",
        import: gloo_edge,
    },
];

fn upstream(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    let mut entries = Vec::new();
    if let Some(spec) = top.take("spec") {
        if let Some(mut f) = cx.fields(spec, "spec") {
            match f.take("kube") {
                Some(kube) => {
                    if let Some(mut kf) = cx.fields(kube, "spec.kube") {
                        let name = kf.take("serviceName");
                        let namespace = match kf.take("serviceNamespace") {
                            Some(n) => cx.text(n, "spec.kube.serviceNamespace").map(str::to_string),
                            None => Some(o.namespace.clone()),
                        };
                        let port = kf.take("servicePort");
                        if let (Some(name), Some(namespace)) = (name, namespace) {
                            let k = key_span(cx, &kf, "serviceName", name);
                            if let Some(text) = cx.text(name, "spec.kube.serviceName") {
                                let span = cx.span(name);
                                cx.refs.push(Ref {
                                    kind: "service",
                                    name: text.to_string(),
                                    namespace,
                                    port: match port.map(|p| &p.value) {
                                        Some(NodeValue::Int(i)) => Some(*i),
                                        _ => None,
                                    },
                                    app_protocol: None,
                                    span,
                                });
                                entries.push(build::attr(
                                    "service",
                                    k,
                                    build::path(&["service", text], span),
                                ));
                            }
                        }
                        if let Some(p) = port {
                            let k = key_span(cx, &kf, "servicePort", p);
                            if let Some(v) = cx.int(p, "spec.kube.servicePort") {
                                entries.push(build::attr("port", k, v));
                            }
                        }
                        kf.finish(cx);
                    }
                }
                None => {
                    cx.unsupported(spec, "spec", "topoc's upstreams are of type `kube`");
                }
            }
            f.finish(cx);
        }
    }
    Converted::Definition {
        keyword: "upstream",
        namespaced: true,
        entries,
    }
}

fn gloo_edge(cx: &mut Cx, o: &Object<'_>, top: &mut Fields<'_>) -> Converted {
    top.take("spec");
    cx.diags.push(
        Diagnostic::new(
            Code::ImportGlooEdge,
            format!(
                "{} `{}` is Gloo Edge API output, which topoc cannot import",
                o.kind, o.name
            ),
            o.name_span,
            "Gloo Edge API",
        )
        .with_help("import the Gateway API manifests of the same fleet and build them with `--target gloo-edge`"),
    );
    Converted::Nothing
}
