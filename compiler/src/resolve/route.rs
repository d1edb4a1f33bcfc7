//! Lowering of `route` definitions: parents, hostnames, rules with matches, filters and
//! weighted backends.

use super::defs::meta;
use super::values::{Cx, Lift};
use super::Kind;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::syntax::ast::{Block, Value, ValueKind};

pub(super) fn route<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Route> {
    let attrs = cx.attrs(
        block,
        &[
            "namespace",
            "labels",
            "annotations",
            "to",
            "parents",
            "hostnames",
            "mesh",
            "allow",
        ],
        &["rule"],
    );
    let meta = meta(cx, block, &attrs);
    let to = attrs.get("to").map(|v| cx.distribution(v)).lift();
    let parents = attrs
        .require(cx, "parents", "[gateway.NAME]")
        .and_then(|v| parents(cx, v));
    let mesh = attrs
        .get("mesh")
        .map(|v| super::defs::mesh_ref(cx, v))
        .lift();
    let hostnames = match attrs.get("hostnames") {
        Some(v) => cx.list(v).and_then(|items| {
            items
                .iter()
                .map(|h| cx.string(h))
                .collect::<Option<Vec<_>>>()
        }),
        None => Some(Vec::new()),
    };
    let mut rules = Vec::new();
    let mut ok = true;
    for rb in attrs.blocks("rule") {
        match rule(cx, rb) {
            Some(r) => rules.push(r),
            None => ok = false,
        }
    }
    if rules.is_empty() && ok {
        cx.error(
            Diagnostic::new(
                Code::MissingAttribute,
                format!("{} has no rule", attrs.what),
                attrs.span,
                "a route needs at least one rule",
            )
            .with_help("add `rule { backends = [upstream.NAME] }`"),
        );
        return None;
    }
    let (meta, to, (parents, service_parents), hostnames, mesh) =
        (meta?, to?, parents?, hostnames?, mesh?);
    ok.then_some(Route {
        meta,
        to,
        parents,
        service_parents,
        mesh,
        hostnames,
        rules,
    })
}

/// Whether a parent is a Service (GAMMA): `service.NAME` or `{ ref = service.NAME, ... }`.
fn is_service_parent(cx: &Cx<'_, '_>, v: &Value) -> bool {
    let v = cx.deref(v);
    let target = match &v.kind {
        ValueKind::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.name == "ref")
            .map(|(_, v)| cx.deref(v)),
        _ => Some(v),
    };
    matches!(target.map(|t| &t.kind), Some(ValueKind::Path(p)) if p.len() >= 2 && p[0].name == "service")
}

/// `service.NAME` or `{ ref = service.NAME, port = 5000 }`.
fn service_parent<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<ServiceParent> {
    let v = cx.deref(v);
    let (target, port) = match &v.kind {
        ValueKind::Map(_) => {
            let rec = cx.record(v, &["ref", "port"], "parent")?;
            let Some(target) = rec.get("ref").copied() else {
                cx.error(
                    Diagnostic::new(
                        Code::MissingAttribute,
                        "parent has no `ref`",
                        v.span,
                        "`ref` is required",
                    )
                    .with_help("write `{ ref = service.NAME, port = 5000 }`"),
                );
                return None;
            };
            let port = rec.get("port").map(|p| cx.port(p)).lift()?;
            (target, port)
        }
        _ => (v, None),
    };
    let id = cx.plain_reference(target, Kind::Service)?;
    Some(ServiceParent {
        service: ServiceId(id.value),
        port,
        span: v.span,
    })
}

type Parents = (Vec<ParentRef>, Vec<ServiceParent>);

fn parents<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Parents> {
    let mut out = Vec::new();
    let mut services = Vec::new();
    let mut ok = true;
    if cx.one_or_many(v).is_empty() {
        cx.invalid(
            cx.deref(v),
            "a route needs at least one parent".into(),
            "write `parents = [gateway.NAME]`".into(),
        );
        return None;
    }
    for item in cx.one_or_many(v) {
        if is_service_parent(cx, item) {
            match service_parent(cx, item) {
                Some(sp) => services.push(sp),
                None => ok = false,
            }
            continue;
        }
        let Some((id, rest)) =
            cx.reference_among(item, Kind::Gateway, &[Kind::Gateway, Kind::Service])
        else {
            ok = false;
            continue;
        };
        let span = cx.deref(item).span;
        let gateway_block = cx.table.blocks(Kind::Gateway)[id as usize];
        let listener = match rest {
            [] => None,
            [listener] => {
                let names: Vec<&str> = gateway_block
                    .entries
                    .iter()
                    .filter_map(|e| match e {
                        crate::syntax::ast::Entry::Block(b) if b.kind.name == "listener" => {
                            b.name.as_ref().map(|n| n.name.as_str())
                        }
                        _ => None,
                    })
                    .collect();
                match names.iter().position(|n| *n == listener.name) {
                    Some(i) => Some(i),
                    None => {
                        let help = match crate::diag::did_you_mean(
                            &listener.name,
                            names.iter().copied(),
                        ) {
                            Some(m) => format!("did you mean `{m}`?"),
                            None => format!("its listeners are: {}", names.join(", ")),
                        };
                        cx.error(
                            Diagnostic::new(
                                Code::UnknownReference,
                                format!("gateway has no listener named `{}`", listener.name),
                                listener.span,
                                "no such listener",
                            )
                            .with_label(gateway_block.span, "gateway defined here")
                            .with_help(help),
                        );
                        ok = false;
                        continue;
                    }
                }
            }
            [_, extra, ..] => {
                cx.error(
                    Diagnostic::new(
                        Code::UnknownReference,
                        format!("a listener has no part `{}`", extra.name),
                        extra.span,
                        "unexpected",
                    )
                    .with_help("write `gateway.NAME` or `gateway.NAME.LISTENER`"),
                );
                ok = false;
                continue;
            }
        };
        out.push(ParentRef {
            gateway: GatewayId(id),
            listener,
            span,
        });
    }
    ok.then_some((out, services))
}

fn rule<'a>(cx: &mut Cx<'_, 'a>, block: &'a Block) -> Option<Rule> {
    let attrs = cx.attrs(
        block,
        &[
            "name",
            "match",
            "backends",
            "request-headers",
            "response-headers",
            "redirect",
            "rewrite",
            "mirror",
            "timeout",
        ],
        &[],
    );
    let name = match (&block.name, attrs.get("name")) {
        (Some(n), None) => Some(Some(Spanned {
            value: n.name.clone(),
            span: n.span,
        })),
        (Some(n), Some(v)) => {
            cx.error(
                Diagnostic::new(
                    Code::DuplicateAttribute,
                    "the rule is named twice",
                    cx.deref(v).span,
                    "second name",
                )
                .with_label(n.span, "first name")
                .with_help("keep one: `rule NAME { ... }` or `name = \"NAME\"`"),
            );
            None
        }
        (None, v) => v.map(|v| cx.string(v)).lift(),
    };
    let matches = match attrs.get("match") {
        Some(v) => cx
            .one_or_many(v)
            .iter()
            .map(|m| route_match(cx, m))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>(),
        None => Some(Vec::new()),
    };
    let backends = match attrs.get("backends") {
        Some(v) => cx
            .one_or_many(v)
            .iter()
            .map(|b| weighted_backend(cx, b))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>(),
        None => Some(Vec::new()),
    };
    let request_headers = attrs
        .get("request-headers")
        .map(|v| header_modifier(cx, v))
        .lift();
    let response_headers = attrs
        .get("response-headers")
        .map(|v| header_modifier(cx, v))
        .lift();
    let redirect = attrs.get("redirect").map(|v| redirect(cx, v)).lift();
    let rewrite = attrs.get("rewrite").map(|v| rewrite(cx, v)).lift();
    let mirrors = match attrs.get("mirror") {
        Some(v) => cx
            .one_or_many(v)
            .iter()
            .map(|m| mirror(cx, m))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>(),
        None => Some(Vec::new()),
    };
    let timeouts = match attrs.get("timeout") {
        Some(v) => timeouts(cx, v),
        None => Some(Timeouts::default()),
    };
    Some(Rule {
        name: name?,
        matches: matches?,
        filters: Filters {
            request_headers: request_headers?,
            response_headers: response_headers?,
            redirect: redirect?,
            rewrite: rewrite?,
            mirrors: mirrors?,
        },
        backends: backends?,
        timeouts: timeouts?,
        span: block.span,
    })
}

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

fn route_match<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Match> {
    let rec = cx.record(v, &["path", "headers", "query", "method"], "match")?;
    let path = rec.get("path").map(|p| path_match(cx, p)).lift();
    let headers = rec.get("headers").map(|h| string_matches(cx, h)).lift();
    let query = rec.get("query").map(|q| string_matches(cx, q)).lift();
    let method = rec
        .get("method")
        .map(|m| cx.symbol(m, METHODS).map(|s| s.value.to_string()))
        .lift();
    Some(Match {
        path: path?,
        headers: headers?.unwrap_or_default(),
        query: query?.unwrap_or_default(),
        method: method?,
        span: Some(cx.deref(v).span),
    })
}

/// A call `name("arg")` with one string argument, for path matches and rewrites.
fn call_with_string<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a Value,
    allowed: &[&'static str],
) -> Option<(&'static str, String)> {
    let v = cx.deref(v);
    let expected = allowed
        .iter()
        .map(|a| format!("{a}(\"/path\")"))
        .collect::<Vec<_>>()
        .join(" or ");
    let ValueKind::Call { name, args } = &v.kind else {
        cx.wrong_type(v, &expected);
        return None;
    };
    let Some(&func) = allowed.iter().find(|a| **a == name.name) else {
        let help = match crate::diag::did_you_mean(&name.name, allowed.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("write {expected}"),
        };
        cx.invalid(
            v,
            format!("`{}` is not one of {}", name.name, allowed.join(", ")),
            help,
        );
        return None;
    };
    match args.as_slice() {
        [arg] => Some((func, cx.string(arg)?.value)),
        _ => {
            cx.invalid(
                v,
                format!("`{func}` takes one string"),
                format!("write {func}(\"/path\")"),
            );
            None
        }
    }
}

fn path_match<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Spanned<PathMatch>> {
    let (func, arg) = call_with_string(cx, v, &["prefix", "exact", "regex"])?;
    let m = match func {
        "prefix" => PathMatch::Prefix(arg),
        "exact" => PathMatch::Exact(arg),
        _ => PathMatch::Regex(arg),
    };
    Some(Spanned {
        value: m,
        span: cx.deref(v).span,
    })
}

/// `{ name = "exact value", other = regex("...") }`
fn string_matches<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Vec<(Name, StringMatch)>> {
    let mut out = Vec::new();
    for (key, value) in cx.map(v)? {
        let value = cx.deref(value);
        let m = match &value.kind {
            ValueKind::Str(s) => StringMatch::Exact(s.clone()),
            ValueKind::Call { .. } => match call_with_string(cx, value, &["exact", "regex"])? {
                ("regex", s) => StringMatch::Regex(s),
                (_, s) => StringMatch::Exact(s),
            },
            _ => {
                cx.wrong_type(value, "a string or regex(\"...\")");
                return None;
            }
        };
        out.push((super::name_of(key), m));
    }
    Some(out)
}

/// `upstream.NAME`, `{ ref = upstream.NAME, weight = 1 }` or `{ ref = service.NAME, port = 80 }`.
/// `extra` names the keys the caller reads itself (`weight`, `percent`); their values are
/// returned beside the backend.
fn backend<'a>(
    cx: &mut Cx<'_, 'a>,
    v: &'a Value,
    extra: &[&'static str],
) -> Option<(Backend, std::collections::BTreeMap<&'a str, &'a Value>)> {
    let v = cx.deref(v);
    let span = v.span;
    let (target, port, rest) = match &v.kind {
        ValueKind::Map(_) => {
            let known: Vec<&str> = ["ref", "port"].iter().chain(extra).copied().collect();
            let mut rec = cx.record(v, &known, "backend")?;
            let Some(target) = rec.remove("ref") else {
                cx.error(
                    Diagnostic::new(
                        Code::MissingAttribute,
                        "backend has no `ref`",
                        span,
                        "`ref` is required",
                    )
                    .with_help("add `ref = upstream.NAME`"),
                );
                return None;
            };
            let port = rec.remove("port").map(|p| cx.port(p)).lift()?;
            (target, port, rec)
        }
        _ => (v, None, Default::default()),
    };
    let target = cx.deref(target);
    let kind = match &target.kind {
        ValueKind::Path(p) if p.len() >= 2 && p[0].name == "service" => Kind::Service,
        ValueKind::Path(p) if p.len() >= 2 && p[0].name == "virtual-destination" => {
            Kind::VirtualDestination
        }
        _ => Kind::Upstream,
    };
    let id = cx.plain_reference_among(
        target,
        kind,
        &[Kind::Upstream, Kind::Service, Kind::VirtualDestination],
    )?;
    let target = match kind {
        Kind::VirtualDestination => {
            let vd = VirtualDestinationId(id.value);
            let port = match port {
                Some(port) => port,
                None => {
                    // One port needs no saying; with several the route must pick.
                    let block = cx.table.blocks(Kind::VirtualDestination)[id.value as usize];
                    match vd_single_port(cx, block) {
                        Some(n) => Spanned { value: n, span },
                        None => {
                            cx.error(
                                Diagnostic::new(Code::MissingAttribute, "this virtual destination backend needs a port", span, "no `port`")
                                    .with_help("the virtual destination does not have exactly one port: write `{ ref = virtual-destination.NAME, port = 9080 }`"),
                            );
                            return None;
                        }
                    }
                }
            };
            BackendTarget::VirtualDestination { vd, port }
        }
        Kind::Service => {
            let Some(port) = port else {
                cx.error(
                    Diagnostic::new(Code::MissingAttribute, "a service backend needs a port", span, "no `port`")
                        .with_help("write `{ ref = service.NAME, port = 8080 }`; an upstream carries its own port"),
                );
                return None;
            };
            BackendTarget::Service {
                service: ServiceId(id.value),
                port,
            }
        }
        _ => {
            if let Some(port) = port {
                cx.error(
                    Diagnostic::new(
                        Code::InvalidValue,
                        "an upstream backend takes no port",
                        port.span,
                        "not allowed here",
                    )
                    .with_help("the upstream's own `port` is used; remove this one"),
                );
                return None;
            }
            BackendTarget::Upstream(UpstreamId(id.value))
        }
    };
    Some((
        Backend {
            target,
            weight: None,
            span,
        },
        rest,
    ))
}

fn weighted_backend<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Backend> {
    let (mut b, rest) = backend(cx, v, &["weight"])?;
    if let Some(w) = rest.get("weight") {
        b.weight = Some(cx.int(w, 0, 1_000_000, "weight")?.value as u32);
    }
    Some(b)
}

fn header_modifier<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<HeaderModifier> {
    let rec = cx.record(v, &["set", "add", "remove"], "headers")?;
    let set = rec.get("set").map(|m| header_values(cx, m)).lift()?;
    let add = rec.get("add").map(|m| header_values(cx, m)).lift()?;
    let remove = match rec.get("remove") {
        Some(l) => cx
            .list(l)?
            .iter()
            .map(|s| {
                cx.string(s).map(|s| Name {
                    text: s.value,
                    span: s.span,
                })
            })
            .collect::<Option<Vec<_>>>()?,
        None => Vec::new(),
    };
    Some(HeaderModifier {
        set: set.unwrap_or_default(),
        add: add.unwrap_or_default(),
        remove,
    })
}

/// `{ name = "value" }` with the names' spans, in source order.
fn header_values<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Vec<(Name, String)>> {
    let mut out = Vec::new();
    for (key, value) in cx.map(v)? {
        out.push((super::name_of(key), cx.string(value)?.value));
    }
    Some(out)
}

fn path_rewrite<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Spanned<PathRewrite>> {
    let span = cx.deref(v).span;
    let value = match call_with_string(cx, v, &["full", "prefix"])? {
        ("full", s) => PathRewrite::Full(s),
        (_, s) => PathRewrite::Prefix(s),
    };
    Some(Spanned { value, span })
}

fn redirect<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Spanned<Redirect>> {
    let rec = cx.record(
        v,
        &["scheme", "hostname", "port", "path", "status"],
        "redirect",
    )?;
    let scheme = rec
        .get("scheme")
        .map(|s| {
            cx.symbol(s, &["http", "https"])
                .map(|s| s.value.to_string())
        })
        .lift()?;
    let hostname = rec.get("hostname").map(|h| cx.string(h)).lift()?;
    let port = rec
        .get("port")
        .map(|p| cx.port(p).map(|p| p.value))
        .lift()?;
    let path = rec.get("path").map(|p| path_rewrite(cx, p)).lift()?;
    let status = match rec.get("status") {
        Some(s) => {
            let n = cx.int(s, 0, 999, "status")?;
            if ![301, 302, 303, 307, 308].contains(&n.value) {
                cx.invalid(
                    s,
                    format!("redirect status {} is not allowed", n.value),
                    "use 301, 302, 303, 307 or 308".into(),
                );
                return None;
            }
            Some(n.value as u16)
        }
        None => None,
    };
    Some(Spanned {
        value: Redirect {
            scheme,
            hostname,
            port,
            path,
            status,
        },
        span: cx.deref(v).span,
    })
}

fn rewrite<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Spanned<Rewrite>> {
    let rec = cx.record(v, &["hostname", "path"], "rewrite")?;
    let hostname = rec.get("hostname").map(|h| cx.string(h)).lift()?;
    let path = rec.get("path").map(|p| path_rewrite(cx, p)).lift()?;
    Some(Spanned {
        value: Rewrite { hostname, path },
        span: cx.deref(v).span,
    })
}

/// `{ ref = service.NAME, port = 80, percent = 10 }`
fn mirror<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Mirror> {
    let (backend, rest) = backend(cx, v, &["percent"])?;
    let percent = rest
        .get("percent")
        .map(|p| cx.int(p, 0, 100, "percent").map(|n| n.value as u8))
        .lift()?;
    Some(Mirror { backend, percent })
}

fn timeouts<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<Timeouts> {
    let rec = cx.record(v, &["request", "backend-request"], "timeout")?;
    let request = rec.get("request").map(|d| duration(cx, d)).lift()?;
    let backend_request = rec.get("backend-request").map(|d| duration(cx, d)).lift()?;
    Some(Timeouts {
        request,
        backend_request,
        span: Some(cx.deref(v).span),
    })
}

/// Gateway API durations: up to four digit groups with units h, m, s, ms (`1h30m`, `500ms`).
fn duration<'a>(cx: &mut Cx<'_, 'a>, v: &'a Value) -> Option<String> {
    let s = cx.string(v)?;
    let text = s.value.as_str();
    let mut rest = text;
    let mut groups = 0;
    let valid = loop {
        if rest.is_empty() {
            break groups > 0;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 5 {
            break false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "h", "m", "s"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => break false,
        }
        groups += 1;
        if groups > 4 {
            break false;
        }
    };
    if !valid {
        cx.invalid(
            cx.deref(v),
            format!("`{text}` is not a Gateway API duration"),
            "write digits with units h, m, s or ms, such as \"10s\" or \"1m30s\"".into(),
        );
        return None;
    }
    Some(s.value)
}

/// The port of a virtual destination that declares exactly one, read from its block (the
/// definitions are lowered independently, so the lowered value is not available here).
fn vd_single_port(cx: &Cx<'_, '_>, block: &Block) -> Option<u16> {
    let ports = block.entries.iter().find_map(|e| match e {
        crate::syntax::ast::Entry::Attr(a) if a.key.name == "ports" => Some(cx.deref(&a.value)),
        _ => None,
    })?;
    let port = match &ports.kind {
        ValueKind::List(items) if items.len() == 1 => cx.deref(&items[0]),
        ValueKind::List(_) => return None,
        _ => ports,
    };
    let ValueKind::Map(entries) = &port.kind else {
        return None;
    };
    let (_, number) = entries.iter().find(|(k, _)| k.name == "number")?;
    match &cx.deref(number).kind {
        ValueKind::Int(n) => u16::try_from(*n).ok(),
        _ => None,
    }
}
