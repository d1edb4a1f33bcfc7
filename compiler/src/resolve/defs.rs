//! Lowering of each kind of definition except routes (see `route.rs`).

use std::collections::BTreeMap;

use super::values::{Attrs, Cx, Lift};
use super::{name_of, Kind, Table};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::*;
use crate::syntax::ast::{Block, ValueKind};

const META: &[&str] = &["namespace", "labels", "annotations", "allow"];

pub(crate) fn lower(table: &Table<'_>, diags: &mut Diagnostics) -> Option<Program> {
    let mut cx = Cx {
        table,
        diags,
        failed: false,
    };
    let clusters = all(&mut cx, Kind::Cluster, cluster);
    if let Some(clusters) = &clusters {
        one_management(&mut cx, clusters);
    }
    let classes = all(&mut cx, Kind::Class, class);
    let services = all(&mut cx, Kind::Service, service);
    let upstreams = all(&mut cx, Kind::Upstream, upstream);
    let gateways = all(&mut cx, Kind::Gateway, gateway);
    let routes = all(&mut cx, Kind::Route, super::route::route);
    let secrets = all(&mut cx, Kind::Secret, secret);
    let grants = all(&mut cx, Kind::Grant, grant);
    let installs = all(
        &mut cx,
        Kind::GatewayInstall,
        super::install::gateway_install,
    );
    let meshes = all(&mut cx, Kind::Mesh, super::mesh::mesh);
    let virtual_destinations = all(
        &mut cx,
        Kind::VirtualDestination,
        super::mesh::virtual_destination,
    );
    if cx.failed {
        return None;
    }
    Some(Program {
        clusters: clusters?,
        classes: classes?,
        services: services?,
        upstreams: upstreams?,
        gateways: gateways?,
        routes: routes?,
        secrets: secrets?,
        grants: grants?,
        installs: installs?,
        meshes: meshes?,
        virtual_destinations: virtual_destinations?,
    })
}

/// The relay has one management cluster: the source of every distributed object.
fn one_management(cx: &mut Cx<'_, '_>, clusters: &[Cluster]) {
    let mut managers = clusters.iter().filter(|c| c.role == Role::Management);
    if let Some(first) = managers.next() {
        for other in managers {
            cx.error(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` is a second management cluster", other.name.text),
                    other.name.span,
                    "second management cluster",
                )
                .with_label(first.name.span, "the management cluster")
                .with_help(
                    "a topology has one management cluster; make this one a workload cluster",
                ),
            );
        }
    }
}

/// Lower every definition of a kind; `None` if any failed (each failure is reported).
///
/// Definitions lower independently: each reads the table and reports into the sink. So the
/// blocks are lowered in parallel chunks, each chunk into a sink of its own, and the results
/// and diagnostics are put back in load order (at fleet scale, 10,000 routes were lowered one
/// after the other on one core: `check` of L took 0.24–0.27 s that way, 0.21–0.25 s now).
fn all<'a, T: Send>(
    cx: &mut Cx<'_, 'a>,
    kind: Kind,
    f: fn(&mut Cx<'_, 'a>, &'a Block) -> Option<T>,
) -> Option<Vec<T>> {
    use rayon::prelude::*;
    const CHUNK: usize = 256;
    let table = cx.table;
    let chunks: Vec<(Vec<Option<T>>, Diagnostics, bool)> = table
        .blocks(kind)
        .par_chunks(CHUNK)
        .map(|blocks| {
            let mut diags = Diagnostics::default();
            let mut local = Cx {
                table,
                diags: &mut diags,
                failed: false,
            };
            let out = blocks.iter().map(|block| f(&mut local, block)).collect();
            let failed = local.failed;
            (out, diags, failed)
        })
        .collect();
    let mut out = Vec::with_capacity(table.blocks(kind).len());
    let mut ok = true;
    for (lowered, diags, failed) in chunks {
        cx.diags.append(diags);
        cx.failed |= failed;
        for t in lowered {
            match t {
                Some(t) => out.push(t),
                None => ok = false,
            }
        }
    }
    ok.then_some(out)
}

pub(super) fn block_name(block: &Block) -> Name {
    // Top-level blocks always have a name: the parser requires one.
    block
        .name
        .as_ref()
        .map_or_else(|| name_of(&block.kind), name_of)
}

/// `namespace`, `labels`, `annotations`.
pub(super) fn meta<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block, attrs: &Attrs<'a>) -> Option<Meta> {
    let name = block_name(block);
    let namespace = match attrs.get("namespace") {
        Some(v) => cx.string(v)?,
        None => Spanned {
            value: "default".to_string(),
            span: name.span,
        },
    };
    let labels = attrs
        .get("labels")
        .map_or(Some(BTreeMap::new()), |v| cx.string_map(v))?;
    let annotations = attrs
        .get("annotations")
        .map_or(Some(BTreeMap::new()), |v| cx.string_map(v))?;
    Some(Meta {
        name,
        namespace,
        labels,
        annotations,
        span: block.span,
    })
}

fn keys<'k>(own: &[&'k str], shared: &[&'k str]) -> Vec<&'k str> {
    own.iter().chain(shared).copied().collect()
}

fn cluster<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Cluster> {
    let attrs = cx.attrs(
        block,
        &[
            "role",
            "labels",
            "namespace",
            "implementation",
            "gateway-api",
            "reference-grants",
            "istio-revisions",
            "allow",
        ],
        &[],
    );
    let role = match attrs.get("role") {
        Some(v) => match cx.symbol(v, &["management", "workload"])?.value {
            "management" => Role::Management,
            _ => Role::Workload,
        },
        None => Role::Workload,
    };
    let labels = attrs
        .get("labels")
        .map_or(Some(BTreeMap::new()), |v| cx.string_map(v))?;
    let namespace = match attrs.get("namespace") {
        Some(v) => cx.string(v)?.value,
        // Gloo Mesh installs its management plane in `gloo-mesh` (seed 000).
        None => "gloo-mesh".to_string(),
    };
    let name = block_name(block);
    let implementation = match attrs.get("implementation") {
        Some(v) => implementation(cx, v)?,
        None => Spanned {
            value: DEFAULT_IMPLEMENTATION,
            span: name.span,
        },
    };
    let gateway_api = match attrs.get("gateway-api") {
        Some(v) => {
            let s = cx.string(v)?;
            match parse_version(&s.value) {
                Some(version) => Spanned {
                    value: version,
                    span: s.span,
                },
                None => {
                    cx.invalid(
                        v,
                        format!("`{}` is not a version", s.value),
                        "write MAJOR.MINOR, such as \"1.2\"".into(),
                    );
                    return None;
                }
            }
        }
        None => Spanned {
            value: DEFAULT_GATEWAY_API,
            span: name.span,
        },
    };
    let reference_grants = match attrs.get("reference-grants") {
        Some(v) => match cx.symbol(v, &["emit", "require"])?.value {
            "require" => GrantPolicy::Require,
            _ => GrantPolicy::Emit,
        },
        None => GrantPolicy::Emit,
    };
    let istio_revisions = match attrs.get("istio-revisions") {
        Some(v) => Some(super::install::istio_revisions(cx, v)?),
        None => None,
    };
    Some(Cluster {
        name,
        role,
        labels,
        namespace,
        implementation,
        gateway_api,
        reference_grants,
        istio_revisions,
    })
}

/// Gloo Gateway 1.19 (the seed's Gloo Mesh 2.8 era) when a cluster does not say.
const DEFAULT_IMPLEMENTATION: Implementation = Implementation {
    vendor: Vendor::Gloo,
    version: Version {
        major: 1,
        minor: 19,
    },
};
/// The seed installs the Gateway API v1.2 standard CRDs.
const DEFAULT_GATEWAY_API: Version = Version { major: 1, minor: 2 };

/// `MAJOR.MINOR` or `MAJOR.MINOR.PATCH` (the patch does not matter to any rule).
pub(super) fn parse_version(s: &str) -> Option<Version> {
    let mut parts = s.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => {}
        Some(patch) if patch.parse::<u32>().is_ok() && parts.next().is_none() => {}
        Some(_) => return None,
    }
    Some(Version { major, minor })
}

/// `gloo("1.19")`, `istio("1.24")`, `kuma("2.9")`.
fn implementation<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a crate::syntax::ast::Value,
) -> Option<Spanned<Implementation>> {
    let v = cx.deref(v);
    let names: Vec<&str> = Vendor::ALL.iter().map(|k| k.name()).collect();
    let ValueKind::Call { name, args } = &v.kind else {
        cx.wrong_type(v, "an implementation such as gloo(\"1.19\")");
        return None;
    };
    let Some(vendor) = Vendor::ALL.into_iter().find(|k| k.name() == name.name) else {
        let help = match crate::diag::did_you_mean(&name.name, names.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("topoc knows: {}", names.join(", ")),
        };
        cx.invalid(
            v,
            format!(
                "`{}` is not a gateway implementation topoc knows",
                name.name
            ),
            help,
        );
        return None;
    };
    let [arg] = args.as_slice() else {
        cx.invalid(
            v,
            "an implementation takes its version".into(),
            format!("write {}(\"MAJOR.MINOR\")", vendor.name()),
        );
        return None;
    };
    let s = cx.string(arg)?;
    let Some(version) = parse_version(&s.value) else {
        cx.invalid(
            arg,
            format!("`{}` is not a version", s.value),
            "write MAJOR.MINOR, such as \"1.19\"".into(),
        );
        return None;
    };
    Some(Spanned {
        value: Implementation { vendor, version },
        span: v.span,
    })
}

/// Kinds whose references a ReferenceGrant can allow (GEP-709), as topoc emits them.
const GRANT_FROM_KINDS: &[&str] = &[
    "HTTPRoute",
    "Gateway",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
];
const GRANT_TO_KINDS: &[&str] = &["Service", "Secret", "Upstream", "BackendTLSPolicy"];

fn grant_kind<'a>(
    cx: &mut Cx<'_, 'a>,
    at: &'a crate::syntax::ast::Value,
    kind: &str,
    known: &[&str],
) -> Option<()> {
    if known.contains(&kind) {
        return Some(());
    }
    let help = match crate::diag::did_you_mean(kind, known.iter().copied()) {
        Some(m) => format!("did you mean \"{m}\"?"),
        None => format!("write one of: {}", known.join(", ")),
    };
    cx.invalid(
        at,
        format!("`{kind}` is not a kind a grant can name here"),
        help,
    );
    None
}

fn grant<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Grant> {
    let attrs = cx.attrs(block, &keys(&["from", "refs", "to"], META), &[]);
    let meta = meta(cx, block, &attrs);
    let from = attrs
        .require(
            cx,
            "from",
            "[{ kind = \"HTTPRoute\", namespace = \"web\" }]",
        )
        .and_then(|v| {
            let mut out = Vec::new();
            for item in cx.list(v)? {
                let rec = cx.record(item, &["kind", "namespace"], "from")?;
                let kind = rec.get("kind").map(|k| cx.string(k)).lift()?;
                let namespace = rec.get("namespace").map(|n| cx.string(n)).lift()?;
                match (kind, namespace) {
                    (Some(kind), Some(namespace)) => {
                        grant_kind(cx, item, &kind.value, GRANT_FROM_KINDS)?;
                        out.push(GrantFrom {
                            kind: kind.value,
                            namespace: namespace.value,
                        })
                    }
                    _ => {
                        cx.invalid(
                            item,
                            "`from` needs a kind and a namespace".into(),
                            "write { kind = \"HTTPRoute\", namespace = \"web\" }".into(),
                        );
                        return None;
                    }
                }
            }
            Some(out)
        });
    let refs = attrs
        .require(cx, "refs", "[{ kind = \"Service\", name = \"web\" }]")
        .and_then(|v| {
            let mut out = Vec::new();
            for item in cx.list(v)? {
                let rec = cx.record(item, &["kind", "name"], "refs")?;
                let Some(kind) = rec.get("kind").map(|k| cx.string(k)).lift()? else {
                    cx.invalid(
                        item,
                        "`refs` entries need a kind".into(),
                        "write { kind = \"Service\", name = \"web\" }".into(),
                    );
                    return None;
                };
                let name = rec
                    .get("name")
                    .map(|n| cx.string(n).map(|s| s.value))
                    .lift()?;
                grant_kind(cx, item, &kind.value, GRANT_TO_KINDS)?;
                out.push(GrantRef {
                    kind: kind.value,
                    name,
                });
            }
            Some(out)
        });
    let to = attrs.get("to").map(|v| cx.distribution(v)).lift();
    Some(Grant {
        meta: meta?,
        from: from?,
        refs: refs?,
        to: to?,
    })
}

fn class<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Class> {
    let attrs = cx.attrs(
        block,
        &[
            "controller",
            "workload-class",
            "emit",
            "parameters",
            "allow",
        ],
        &[],
    );
    let controller = attrs.require(cx, "controller", "\"example.com/gateway-controller\"")?;
    let controller = cx.string(controller)?;
    let workload_class = match attrs.get("workload-class") {
        Some(v) => Some(ClassId(cx.plain_reference(v, Kind::Class)?.value)),
        None => None,
    };
    let emit = match attrs.get("emit") {
        Some(v) => cx.bool(v)?,
        None => true,
    };
    let name = block_name(block);
    let parameters = match attrs.get("parameters") {
        // Only Kuma's class parameters are modelled; others would be emitted unchecked.
        Some(v)
            if Vendor::Kuma
                .controllers()
                .contains(&controller.value.as_str()) =>
        {
            Some(super::mesh::class_parameters(cx, v, &name.text)?)
        }
        Some(v) => {
            cx.invalid(
                v,
                format!(
                    "topoc models class parameters only for Kuma (`{}`), not for `{}`",
                    Vendor::Kuma.controllers().join("`, `"),
                    controller.value
                ),
                "remove `parameters`; configure this implementation's gateways on the gateway (`parameters` of a gateway)".into(),
            );
            return None;
        }
        None => None,
    };
    Some(Class {
        name,
        controller,
        workload_class,
        emit,
        parameters,
        span: block.span,
    })
}

fn service<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Service> {
    let attrs = cx.attrs(block, &keys(&["ports", "runs-in"], META), &[]);
    let meta = meta(cx, block, &attrs);
    let ports_value = attrs.require(cx, "ports", "[{ name = \"http\", port = 8080 }]");
    let ports = ports_value.and_then(|v| service_ports(cx, v));
    let runs_in = match attrs.get("runs-in") {
        Some(v) => cx.distribution(v),
        None => Some(Spanned {
            value: Distribution::All,
            span: block_name(block).span,
        }),
    };
    Some(Service {
        meta: meta?,
        ports: ports?,
        runs_in: runs_in?,
    })
}

fn service_ports<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a crate::syntax::ast::Value,
) -> Option<Vec<ServicePort>> {
    let mut ports = Vec::new();
    let mut ok = true;
    let items = cx.list(v)?;
    if items.is_empty() {
        cx.invalid(
            cx.deref(v),
            "a service needs at least one port".into(),
            "write `ports = [{ name = \"http\", port = 8080 }]`".into(),
        );
        return None;
    }
    for item in items {
        let Some(rec) = cx.record(
            item,
            &["name", "port", "target-port", "app-protocol"],
            "port",
        ) else {
            ok = false;
            continue;
        };
        let port = match rec.get("port") {
            Some(p) => cx.port(p),
            None => {
                cx.error(
                    Diagnostic::new(
                        Code::MissingAttribute,
                        "service port has no `port`",
                        item.span,
                        "`port` is required",
                    )
                    .with_help("add `port = 8080`"),
                );
                None
            }
        };
        let name = rec.get("name").map(|v| cx.string(v).map(|s| s.value));
        let target = rec.get("target-port").map(|v| cx.port(v).map(|p| p.value));
        let app = rec
            .get("app-protocol")
            .map(|v| cx.string(v).map(|s| s.value));
        match (port, name.lift(), target.lift(), app.lift()) {
            (Some(port), Some(name), Some(target_port), Some(app_protocol)) => {
                ports.push(ServicePort {
                    name,
                    port: port.value,
                    target_port,
                    app_protocol,
                    span: item.span,
                })
            }
            _ => ok = false,
        }
    }
    ok.then_some(ports)
}

fn upstream<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Upstream> {
    let attrs = cx.attrs(block, &keys(&["service", "port", "to"], META), &[]);
    let meta = meta(cx, block, &attrs);
    let service = attrs
        .require(cx, "service", "service.NAME")
        .and_then(|v| cx.plain_reference(v, Kind::Service));
    let port = attrs.require(cx, "port", "8080").and_then(|v| cx.port(v));
    let to = attrs.get("to").map(|v| cx.distribution(v));
    let service = service?;
    Some(Upstream {
        meta: meta?,
        service: Spanned {
            value: ServiceId(service.value),
            span: service.span,
        },
        port: port?,
        to: to.lift()?,
    })
}

fn secret<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Secret> {
    let attrs = cx.attrs(block, &keys(&["to"], META), &[]);
    let meta = meta(cx, block, &attrs);
    let to = attrs.get("to").map(|v| cx.distribution(v));
    Some(Secret {
        meta: meta?,
        to: to.lift()?,
    })
}

fn gateway<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Gateway> {
    let attrs = cx.attrs(
        block,
        &keys(&["class", "to", "mesh", "parameters"], META),
        &["listener"],
    );
    let meta = meta(cx, block, &attrs);
    let class = attrs
        .require(cx, "class", "\"gloo-gateway\"")
        .and_then(|v| class_ref(cx, v));
    let to = attrs.get("to").map(|v| cx.distribution(v));
    let mesh = attrs.get("mesh").map(|v| mesh_ref(cx, v)).lift();
    let parameters = attrs
        .get("parameters")
        .map(|v| super::mesh::istio_parameters(cx, v))
        .lift();
    let mut listeners = Vec::new();
    let mut ok = true;
    for lb in attrs.blocks("listener") {
        match listener(cx, lb) {
            Some(l) => listeners.push(l),
            None => ok = false,
        }
    }
    if listeners.is_empty() && ok {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                format!("{} has no listener", attrs.what),
                attrs.span,
                "a gateway needs at least one listener",
            )
            .with_help("add `listener http { port = 80  protocol = HTTP }`"),
        );
        return None;
    }
    let (meta, class, to, mesh, parameters) = (meta?, class?, to.lift()?, mesh?, parameters?);
    ok.then_some(Gateway {
        meta,
        class,
        to,
        listeners,
        mesh,
        parameters,
    })
}

/// `mesh = mesh.NAME`.
pub(super) fn mesh_ref<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a crate::syntax::ast::Value,
) -> Option<Spanned<MeshId>> {
    let r = cx.plain_reference(v, Kind::Mesh)?;
    Some(Spanned {
        value: MeshId(r.value),
        span: r.span,
    })
}

/// `class = "name"`, `class = name` or `class = class.name`. A string naming a declared class
/// links to it; any other string is a class topoc does not know and is emitted as written.
fn class_ref<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a crate::syntax::ast::Value,
) -> Option<Spanned<ClassRef>> {
    let v = cx.deref(v);
    let class = match &v.kind {
        ValueKind::Str(s) => match cx.table.lookup(Kind::Class, s) {
            Some(id) => ClassRef::Declared(ClassId(id)),
            None => ClassRef::External(s.clone()),
        },
        ValueKind::Path(p) if p.len() == 1 => {
            match cx.table.lookup(Kind::Class, &p[0].name) {
                Some(id) => ClassRef::Declared(ClassId(id)),
                None => {
                    let names: Vec<&str> = cx.table.names(Kind::Class).collect();
                    let help = match crate::diag::did_you_mean(&p[0].name, names.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`? For a class topoc does not declare, quote its name"),
                    None => "for a class topoc does not declare, quote its name: \"my-class\"".to_string(),
                };
                    cx.error(
                        Diagnostic::new(
                            Code::UnknownReference,
                            format!("there is no class named `{}`", p[0].name),
                            v.span,
                            "not a declared class",
                        )
                        .with_help(help),
                    );
                    return None;
                }
            }
        }
        _ => ClassRef::Declared(ClassId(cx.plain_reference(v, Kind::Class)?.value)),
    };
    Some(Spanned {
        value: class,
        span: v.span,
    })
}

fn listener<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Listener> {
    let attrs = cx.attrs(
        block,
        &["port", "protocol", "hostname", "routes-from", "tls"],
        &[],
    );
    let Some(name) = &block.name else {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                "listener has no name",
                block.kind.span,
                "a listener needs a name",
            )
            .with_help("write `listener http { ... }`: routes refer to it as `gateway.NAME.http`"),
        );
        return None;
    };
    let port = attrs.require(cx, "port", "8080").and_then(|v| cx.port(v));
    let protocol = attrs.require(cx, "protocol", "HTTP").and_then(|v| {
        let s = cx.symbol(v, &["HTTP", "HTTPS", "TCP", "TLS"])?;
        let p = match s.value {
            "HTTP" => Protocol::Http,
            "HTTPS" => Protocol::Https,
            "TCP" => Protocol::Tcp,
            _ => Protocol::Tls,
        };
        Some(Spanned {
            value: p,
            span: s.span,
        })
    });
    let hostname = attrs.get("hostname").map(|v| cx.string(v)).lift();
    let routes_from = match attrs.get("routes-from") {
        None => Some(RoutesFrom::Same),
        Some(v) => match &cx.deref(v).kind {
            ValueKind::Map(_) => cx.string_map(v).map(RoutesFrom::Selector),
            _ => cx.symbol(v, &["same", "all"]).map(|s| {
                if s.value == "all" {
                    RoutesFrom::All
                } else {
                    RoutesFrom::Same
                }
            }),
        },
    };
    let tls = attrs.get("tls").map(|v| listener_tls(cx, v)).lift();
    Some(Listener {
        name: name_of(name),
        port: port?,
        protocol: protocol?,
        hostname: hostname?,
        routes_from: routes_from?,
        tls: tls?,
        span: block.span,
    })
}

fn listener_tls<'a>(cx: &mut Cx<'_, 'a>, v: &'a crate::syntax::ast::Value) -> Option<ListenerTls> {
    let rec = cx.record(v, &["mode", "certificates"], "tls")?;
    let mode = match rec.get("mode") {
        Some(m) => match cx.symbol(m, &["terminate", "passthrough"])?.value {
            "passthrough" => TlsMode::Passthrough,
            _ => TlsMode::Terminate,
        },
        None => TlsMode::Terminate,
    };
    let mut certificates = Vec::new();
    if let Some(list) = rec.get("certificates") {
        for item in cx.list(list)? {
            let r = cx.plain_reference(item, Kind::Secret)?;
            certificates.push(Spanned {
                value: SecretId(r.value),
                span: r.span,
            });
        }
    }
    Some(ListenerTls {
        mode,
        certificates,
        span: cx.deref(v).span,
    })
}
