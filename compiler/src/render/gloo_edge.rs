//! The `--target gloo-edge` output (seed 004): what each cluster receives, in the Gloo Edge
//! API instead of the Gateway API.
//!
//! | topoc | Gloo Edge |
//! |---|---|
//! | a gateway's listeners on one port | one `gateway.solo.io/v1` Gateway `<gateway>-<port>`: one Envoy listener of the `gateway-proxy` proxy |
//! | the routes a listener serves for one hostname | one VirtualService `<gateway>-<port>-<hostname>` (`<gateway>-<port>` for `*`) in the gateway's namespace |
//! | a rule's match | a route of that VirtualService, in Gateway API precedence order |
//! | a rule with several weighted backends | an UpstreamGroup `<route>-<rule>` |
//! | a Service backend or mirror | a kube Upstream named as Gloo's discovery names it, `<namespace>-<service>-<port>` |
//! | an `upstream` | its kube Upstream |
//!
//! Why one VirtualService per hostname rather than per route: Gloo Edge refuses two
//! VirtualServices with the same domain on one Gateway, while the Gateway API merges every
//! route of a hostname; and a VirtualService's routes are tried in order, so topoc resolves
//! the Gateway API's precedence (the most specific hostname, exact path, longest prefix,
//! method, headers, query parameters, then namespace/name and rule order) at build time and
//! writes the routes in that order; a wildcard hostname's routes follow the exact
//! hostname's in its VirtualService, as the Gateway API would still try them. RouteTables are not used: delegation orders whole tables, not single matches,
//! which cannot express that precedence across routes.
//!
//! A Gateway API `PathPrefix` matches whole path segments (`/shop` matches `/shop/cart`, not
//! `/shopping`), Envoy's prefix matches characters; so a prefix `/shop` becomes the matchers
//! `exact: /shop` and `prefix: /shop/`, and a prefix rewrite gets the matching replacement for
//! each. What the Gloo Edge API cannot express is rejected by `check::gloo_edge` before
//! rendering (E0370–E0377); nothing is dropped here. Gloo Edge has no ReferenceGrants and no
//! GatewayClasses: a VirtualService may use an Upstream of any namespace Gloo watches.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::gloo::render_template;
use super::{object, templates, ClusterBundle, Cx, Object, TemplateError, MANAGED_BY};
use crate::attach::{intersect, Attachments, Standing};
use crate::model::*;
use crate::resolve::place::Placement;

/// The proxy every Gateway belongs to: the one Gloo Edge's Helm chart installs.
pub const PROXY: &str = "gateway-proxy";

/// The label that ties a VirtualService to its Gateway. Gateways select VirtualServices by it
/// (and by namespace): an empty selection would mean "every VirtualService", so a port
/// without routes must still select by label.
pub const GATEWAY_LABEL: &str = "topoc.dev/gloo-gateway";

/// The name of the Upstream that stands for a Service backend: Gloo's discovery names the
/// Upstreams it creates `<namespace>-<service>-<port>`, so the name reads as users expect. It
/// lives in the service's namespace, where discovery (which writes into Gloo's own namespace)
/// never writes.
pub fn service_upstream_name(namespace: &str, service: &str, port: u16) -> String {
    shorten(&format!("{namespace}-{service}-{port}"), 253)
}

/// Eight hex digits of FNV-1a: stable across runs and platforms, unlike the standard hasher.
fn hash8(s: &str) -> String {
    let hash = s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:08x}", hash as u32)
}

/// A name cut to `max` (at least 10) characters, ending in a hash of the whole when cut.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    // Names here are ASCII (checked names, hostnames, numbers), so any index is a boundary.
    let cut = name.get(..max.saturating_sub(9)).unwrap_or_default();
    format!("{}-{}", cut.trim_end_matches(['-', '.']), hash8(name))
}

/// The Gateway for a gateway's port.
fn gateway_name(g: &Gateway, port: u16) -> String {
    shorten(&format!("{}-{port}", g.meta.name.text), 253)
}

/// The VirtualService for one hostname of a gateway's port. `*.x` reads `wildcard.x`; a real
/// host that starts with `wildcard.` gets a hash so the two can never share a name.
fn virtual_service_name(g: &Gateway, port: u16, domain: &str) -> String {
    let base = gateway_name(g, port);
    let name = match domain {
        "*" => base,
        d if d.starts_with("*.") => format!("{base}-wildcard.{}", &d[2..]),
        d if d.starts_with("wildcard.") => format!("{base}-{d}-{}", hash8(d)),
        d => format!("{base}-{d}"),
    };
    shorten(&name, 253)
}

/// A route's identity in the output: `route/rule`, the rule by name or by position.
fn rule_label(rule: &Rule, index: usize) -> String {
    rule.name
        .as_ref()
        .map_or_else(|| index.to_string(), |n| n.value.clone())
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
struct Ref {
    name: String,
    namespace: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct KeyValue {
    name: String,
    value: String,
    regex: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Matcher {
    /// `prefix`, `exact` or `regex`: the Gloo field name.
    path_kind: &'static str,
    path: String,
    headers: Vec<KeyValue>,
    query: Vec<KeyValue>,
    methods: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct RedirectAction {
    https: bool,
    host: Option<String>,
    port: Option<u16>,
    path: Option<String>,
    prefix: Option<String>,
    code: &'static str,
}

/// Exactly one field is set.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct Action {
    upstream: Option<Ref>,
    upstream_group: Option<Ref>,
    redirect: Option<RedirectAction>,
    /// A direct response: the Gateway API answers 500 when a rule has nowhere to send a
    /// request (no backends, or every weight 0).
    status: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct HeaderValue {
    key: String,
    value: String,
    append: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Shadow {
    upstream: Ref,
    percentage: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct RouteOptions {
    /// Whether any option is set (the template writes `options` only then).
    any: bool,
    timeout: Option<String>,
    host_rewrite: Option<String>,
    prefix_rewrite: Option<String>,
    full_path: Option<String>,
    headers: bool,
    request_add: Vec<HeaderValue>,
    request_remove: Vec<String>,
    response_add: Vec<HeaderValue>,
    response_remove: Vec<String>,
    shadow: Option<Shadow>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct GlooRoute {
    name: String,
    matchers: Vec<Matcher>,
    action: Action,
    options: RouteOptions,
}

/// Gateway API route precedence, most specific first; the derived order is the order of the
/// VirtualService's routes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// 0 exact, 1 regular expression, 2 prefix (regex precedence is the implementation's
    /// choice, W0314; Gloo's own routes put exact before regex before prefix).
    path_kind: u8,
    path_len: Reverse<usize>,
    method: Reverse<bool>,
    headers: Reverse<usize>,
    query: Reverse<usize>,
    /// Creation time is unknown at build time: the Gateway API's next tie-breaker is the
    /// route's `namespace/name`.
    route: (String, String),
    rule: usize,
    matched: usize,
    /// The `exact` half of a split prefix before its `prefix` half.
    part: u8,
}

/// One candidate route of a VirtualService: one match of one rule.
#[derive(Clone, Debug)]
struct Entry {
    rank: Rank,
    /// (route, rule): adjacent entries of one rule with equal actions merge their matchers.
    rule: (RouteId, usize),
    route: GlooRoute,
}

/// What one route contributes, computed once and shared by every VirtualService and cluster.
struct Lowered {
    entries: Vec<Entry>,
    groups: Vec<(Ref, Vec<(u32, Ref)>)>,
    /// Service backends and mirrors: (service, port).
    services: BTreeSet<(ServiceId, u16)>,
}

/// The Upstream a backend or mirror sends to; a Service's is recorded in `services`, so only
/// the Upstreams something refers to are written.
fn target_ref(p: &Program, t: &BackendTarget, services: &mut BTreeSet<(ServiceId, u16)>) -> Ref {
    if let BackendTarget::Service { service, port } = t {
        services.insert((*service, port.value));
    }
    match t {
        BackendTarget::Upstream(u) => {
            let u = p.upstream(*u);
            Ref {
                name: u.meta.name.text.clone(),
                namespace: u.meta.namespace.value.clone(),
            }
        }
        BackendTarget::Service { service, port } => {
            let s = p.service(*service);
            Ref {
                name: service_upstream_name(&s.meta.namespace.value, &s.meta.name.text, port.value),
                namespace: s.meta.namespace.value.clone(),
            }
        }
        // Rejected before rendering (E0378); named after the virtual destination regardless.
        BackendTarget::VirtualDestination { vd, .. } => {
            let vd = p.virtual_destination(*vd);
            Ref {
                name: vd.meta.name.text.clone(),
                namespace: vd.meta.namespace.value.clone(),
            }
        }
    }
}

/// A Gateway API duration as a protobuf JSON duration (`1m30s` → `90s`, `500ms` → `0.500s`),
/// which is what Gloo parses.
fn proto_duration(millis: u64) -> String {
    match millis % 1000 {
        0 => format!("{}s", millis / 1000),
        ms => format!("{}.{ms:03}s", millis / 1000),
    }
}

/// Without retries (topoc has none) the request and backend timeouts both bound the one try:
/// the shorter one that is set and not `0s` (which disables a timeout) is the timeout.
fn timeout(t: &Timeouts) -> Option<String> {
    let parse = |d: &Option<String>| d.as_deref().and_then(crate::check::duration_millis);
    let (request, backend) = (parse(&t.request), parse(&t.backend_request));
    if request.is_none() && backend.is_none() {
        return None;
    }
    let set: Vec<u64> = [request, backend]
        .into_iter()
        .flatten()
        .filter(|&m| m > 0)
        .collect();
    Some(proto_duration(set.into_iter().min().unwrap_or(0)))
}

fn redirect_code(status: Option<u16>) -> &'static str {
    match status {
        Some(301) => "MOVED_PERMANENTLY",
        Some(303) => "SEE_OTHER",
        Some(307) => "TEMPORARY_REDIRECT",
        Some(308) => "PERMANENT_REDIRECT",
        // The Gateway API's default is 302; Gloo's would be 301, so it is always written.
        _ => "FOUND",
    }
}

fn header_values(m: &HeaderModifier) -> (Vec<HeaderValue>, Vec<String>) {
    let value = |append: bool| {
        move |(k, v): &(Name, String)| HeaderValue {
            key: k.text.clone(),
            value: v.clone(),
            append,
        }
    };
    let add = m
        .set
        .iter()
        .map(value(false))
        .chain(m.add.iter().map(value(true)))
        .collect();
    (add, m.remove.iter().map(|n| n.text.clone()).collect())
}

fn string_matches(pairs: &[(Name, StringMatch)]) -> Vec<KeyValue> {
    pairs
        .iter()
        .map(|(n, m)| match m {
            StringMatch::Exact(v) => KeyValue {
                name: n.text.clone(),
                value: v.clone(),
                regex: false,
            },
            StringMatch::Regex(v) => KeyValue {
                name: n.text.clone(),
                value: v.clone(),
                regex: true,
            },
        })
        .collect()
}

/// The replacement for the `prefix: P/` half of a split prefix: the matched `P/` is replaced,
/// so the replacement keeps the separator (`/v2` → `/v2/`, `/` stays `/`).
fn with_slash(r: &str) -> String {
    if r.ends_with('/') {
        r.to_string()
    } else {
        format!("{r}/")
    }
}

fn lower_route(p: &Program, id: RouteId) -> Lowered {
    let r = p.route(id);
    let mut out = Lowered {
        entries: Vec::new(),
        groups: Vec::new(),
        services: BTreeSet::new(),
    };
    for (ri, rule) in r.rules.iter().enumerate() {
        let label = rule_label(rule, ri);
        let f = &rule.filters;
        // The action and options of the rule; a prefix replacement is filled per matcher.
        let mut action = Action::default();
        let mut redirect_prefix = None;
        if let Some(rd) = &f.redirect {
            let rd = &rd.value;
            let (mut path, mut prefix) = (None, None);
            match rd.path.as_ref().map(|p| &p.value) {
                Some(PathRewrite::Full(v)) => path = Some(v.clone()),
                Some(PathRewrite::Prefix(v)) => prefix = Some(v.clone()),
                None => {}
            }
            redirect_prefix = prefix.clone();
            action.redirect = Some(RedirectAction {
                // `http` is the request's own scheme where the check lets it through (E0373).
                https: rd.scheme.as_deref() == Some("https"),
                host: rd.hostname.as_ref().map(|h| h.value.clone()),
                port: rd.port,
                path,
                prefix,
                code: redirect_code(rd.status),
            });
        } else {
            // A backend of weight 0 receives nothing: it is left out of the destinations.
            let live: Vec<(u32, Ref)> = rule
                .backends
                .iter()
                .filter(|b| b.weight != Some(0))
                .map(|b| {
                    let to = target_ref(p, &b.target, &mut out.services);
                    (b.weight.unwrap_or(1), to)
                })
                .collect();
            match live.as_slice() {
                [] => action.status = Some(500),
                [(_, only)] => action.upstream = Some(only.clone()),
                _ => {
                    let group = Ref {
                        name: shorten(&format!("{}-{label}", r.meta.name.text), 253),
                        namespace: r.meta.namespace.value.clone(),
                    };
                    action.upstream_group = Some(group.clone());
                    out.groups.push((group, live));
                }
            }
        }
        let mut options = RouteOptions {
            timeout: timeout(&rule.timeouts),
            ..RouteOptions::default()
        };
        let mut rewrite_prefix = None;
        if let Some(rw) = &f.rewrite {
            options.host_rewrite = rw.value.hostname.as_ref().map(|h| h.value.clone());
            match rw.value.path.as_ref().map(|p| &p.value) {
                Some(PathRewrite::Full(v)) => options.full_path = Some(v.clone()),
                Some(PathRewrite::Prefix(v)) => rewrite_prefix = Some(v.clone()),
                None => {}
            }
        }
        if let Some(h) = &f.request_headers {
            (options.request_add, options.request_remove) = header_values(h);
        }
        if let Some(h) = &f.response_headers {
            (options.response_add, options.response_remove) = header_values(h);
        }
        options.headers = !(options.request_add.is_empty()
            && options.request_remove.is_empty()
            && options.response_add.is_empty()
            && options.response_remove.is_empty());
        // One mirror at most (E0372).
        options.shadow = f.mirrors.first().map(|m| Shadow {
            upstream: target_ref(p, &m.backend.target, &mut out.services),
            percentage: m.percent.unwrap_or(100),
        });

        let default_match = Match::default();
        let matches: Vec<&Match> = if rule.matches.is_empty() {
            vec![&default_match]
        } else {
            rule.matches.iter().collect()
        };
        for (mi, m) in matches.into_iter().enumerate() {
            let path = m
                .path
                .as_ref()
                .map_or(PathMatch::Prefix("/".into()), |p| p.value.clone());
            let (kind, len, halves): (u8, usize, Vec<(&'static str, String, bool)>) = match &path {
                PathMatch::Exact(v) => (0, v.len(), vec![("exact", v.clone(), false)]),
                PathMatch::Regex(v) => (1, v.len(), vec![("regex", v.clone(), false)]),
                PathMatch::Prefix(v) => {
                    let bare = v.trim_end_matches('/');
                    if bare.is_empty() {
                        (2, v.len(), vec![("prefix", "/".into(), true)])
                    } else {
                        (
                            2,
                            v.len(),
                            vec![
                                ("exact", bare.to_string(), false),
                                ("prefix", format!("{bare}/"), true),
                            ],
                        )
                    }
                }
            };
            for (part, (path_kind, path, slash_half)) in halves.into_iter().enumerate() {
                let replace = |r: &String| {
                    if slash_half {
                        with_slash(r)
                    } else {
                        r.clone()
                    }
                };
                let mut options = options.clone();
                options.prefix_rewrite = rewrite_prefix.as_ref().map(replace);
                options.any = options.timeout.is_some()
                    || options.host_rewrite.is_some()
                    || options.prefix_rewrite.is_some()
                    || options.full_path.is_some()
                    || options.headers
                    || options.shadow.is_some();
                let mut action = action.clone();
                if let Some(rd) = &mut action.redirect {
                    rd.prefix = redirect_prefix.as_ref().map(replace);
                }
                let matcher = Matcher {
                    path_kind,
                    path,
                    headers: string_matches(&m.headers),
                    query: string_matches(&m.query),
                    methods: m.method.iter().cloned().collect(),
                };
                out.entries.push(Entry {
                    rank: Rank {
                        path_kind: kind,
                        path_len: Reverse(len),
                        method: Reverse(m.method.is_some()),
                        headers: Reverse(m.headers.len()),
                        query: Reverse(m.query.len()),
                        route: (r.meta.namespace.value.clone(), r.meta.name.text.clone()),
                        rule: ri,
                        matched: mi,
                        part: part as u8,
                    },
                    rule: (id, ri),
                    route: GlooRoute {
                        name: format!("{}/{label}", r.meta.name.text),
                        matchers: vec![matcher],
                        action,
                        options,
                    },
                });
            }
        }
    }
    out
}

/// Sort by precedence (hostname first), then merge neighbours of one rule that do the same
/// thing.
fn ordered(mut entries: Vec<(HostRank, &Entry)>) -> Vec<GlooRoute> {
    entries.sort_by(|(ha, a), (hb, b)| (ha, &a.rank).cmp(&(hb, &b.rank)));
    let mut out: Vec<(&(RouteId, usize), GlooRoute)> = Vec::new();
    for (_, e) in entries {
        if let Some((rule, last)) = out.last_mut() {
            if **rule == e.rule && last.action == e.route.action && last.options == e.route.options
            {
                last.matchers.extend(e.route.matchers.iter().cloned());
                continue;
            }
        }
        out.push((&e.rule, e.route.clone()));
    }
    out.into_iter().map(|(_, r)| r).collect()
}

/// The Gateway API's hostname precedence: characters of a matching non-wildcard hostname,
/// then characters of a matching hostname. Smaller ranks first.
type HostRank = (Reverse<usize>, Reverse<usize>);

fn host_rank(domain: &str) -> HostRank {
    let exact = if domain.starts_with('*') {
        0
    } else {
        domain.len()
    };
    let matching = if domain == "*" { 0 } else { domain.len() };
    (Reverse(exact), Reverse(matching))
}

/// Whether a route attached for hostname `domain` answers requests for `host`.
fn serves(domain: &str, host: &str) -> bool {
    domain == host
        || domain == "*"
        || (domain.starts_with("*.") && intersect(domain, host).as_deref() == Some(host))
}

/// The listener of `port` that gets the requests for `domain`: the most specific that
/// claims it, the first declared on a tie.
fn best_listener(g: &Gateway, port: u16, domain: &str) -> Option<usize> {
    g.listeners
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.port.value == port && matches!(l.protocol.value, Protocol::Http | Protocol::Https)
        })
        .filter_map(|(i, l)| claim(l, domain).map(|s| (s, Reverse(i))))
        .max()
        .map(|(_, Reverse(i))| i)
}

/// How specifically a listener's hostname claims `domain`: `None` if it does not. The
/// Gateway API gives a request to the most specific listener of a port.
fn claim(l: &Listener, domain: &str) -> Option<usize> {
    match &l.hostname {
        None => Some(0),
        Some(h) if h.value == domain => Some(usize::MAX),
        Some(h) => {
            (intersect(&h.value, domain).as_deref() == Some(domain)).then_some(h.value.len())
        }
    }
}

fn metadata(meta: Option<&Meta>, name: &str, namespace: &str, extra: &[(&str, &str)]) -> Value {
    let mut labels = meta.map(|m| m.labels.clone()).unwrap_or_default();
    labels.insert(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string());
    for (k, v) in extra {
        labels.insert(k.to_string(), v.to_string());
    }
    let mut m = json!({ "name": name, "namespace": namespace, "labels": labels });
    if let Some(annotations) = meta.map(|m| &m.annotations).filter(|a| !a.is_empty()) {
        m["annotations"] = json!(annotations);
    }
    m
}

/// A label value: at most 63 characters.
fn label_value(s: &str) -> String {
    shorten(s, 63)
}

fn render_object(
    cx: &Cx<'_>,
    template: &str,
    what: &str,
    kind: &'static str,
    context: &tera::Context,
    metadata: Value,
) -> Result<Object, TemplateError> {
    let mut value = render_template(cx, template, what, context)?;
    let name = metadata["name"].as_str().unwrap_or_default().to_string();
    let namespace = metadata["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    value["metadata"] = metadata;
    Ok(object(kind, &name, Some(&namespace), &value))
}

/// A VirtualService key: gateway, port, domain.
type VsKey = (GatewayId, u16, String);

pub fn render(
    p: &Program,
    placement: &Placement,
    attachments: &Attachments,
) -> Result<Vec<ClusterBundle>, Vec<TemplateError>> {
    let templates = templates().map_err(|e| vec![e])?;
    let cx = Cx {
        program: p,
        templates: &templates,
        distribute_to: HashMap::new(),
    };
    let mut errors = Vec::new();
    let mut per_cluster: Vec<BTreeMap<String, Arc<Object>>> =
        vec![BTreeMap::new(); p.clusters.len()];
    let mut put = |set: &crate::resolve::place::ClusterSet, obj: &Arc<Object>| {
        for c in set.ones() {
            per_cluster[c]
                .entry(obj.path().to_string())
                .or_insert_with(|| obj.clone());
        }
    };

    // Declared upstreams first: a Service backend's upstream of the same name and target is
    // the same object (E0377 rejects one with another target).
    for (i, placed) in placement.upstreams.iter().enumerate() {
        match super::gloo::upstream(&cx, UpstreamId(i as u32), super::Variant::Management) {
            Ok(o) => put(&placed.clusters, &Arc::new(o)),
            Err(e) => errors.push(e),
        }
    }

    // Gateways: one per port, HTTP and HTTPS only (E0370 rejects the others).
    for (gi, g) in p.gateways.iter().enumerate() {
        let mut ports: BTreeMap<u16, bool> = BTreeMap::new();
        for l in &g.listeners {
            match l.protocol.value {
                Protocol::Http => ports.entry(l.port.value).or_insert(false),
                Protocol::Https => ports.entry(l.port.value).or_insert(true),
                Protocol::Tcp | Protocol::Tls => continue,
            };
        }
        for (port, ssl) in ports {
            let name = gateway_name(g, port);
            let mut context = tera::Context::new();
            context.insert("port", &port);
            context.insert("ssl", &ssl);
            context.insert("proxy", PROXY);
            context.insert("namespace", &g.meta.namespace.value);
            context.insert("label_key", GATEWAY_LABEL);
            context.insert("label_value", &label_value(&name));
            let what = format!("gateway `{}` port {port}", g.meta.name.text);
            let meta = metadata(Some(&g.meta), &name, &g.meta.namespace.value, &[]);
            match render_object(
                &cx,
                "gloo-edge-gateway.yaml.tera",
                &what,
                "Gateway",
                &context,
                meta,
            ) {
                Ok(o) => put(&placement.gateways[gi].clusters, &Arc::new(o)),
                Err(e) => errors.push(e),
            }
        }
    }

    // Routes: lowered once each; their UpstreamGroups and Service upstreams go where they go.
    let lowered: Vec<Lowered> = (0..p.routes.len())
        .map(|i| lower_route(p, RouteId(i as u32)))
        .collect();
    let mut service_upstreams: BTreeMap<(ServiceId, u16), crate::resolve::place::ClusterSet> =
        BTreeMap::new();
    for (ri, l) in lowered.iter().enumerate() {
        let clusters = &placement.routes[ri].clusters;
        for key in &l.services {
            service_upstreams
                .entry(*key)
                .or_insert_with(|| {
                    crate::resolve::place::ClusterSet::with_capacity(p.clusters.len())
                })
                .union_with(clusters);
        }
        let r = &p.routes[ri];
        for (group, destinations) in &l.groups {
            let dests: Vec<Value> = destinations
                .iter()
                .map(|(w, u)| json!({ "weight": w, "name": u.name, "namespace": u.namespace }))
                .collect();
            let mut context = tera::Context::new();
            context.insert("destinations", &dests);
            let what = format!("route `{}`", r.meta.name.text);
            let meta = metadata(Some(&r.meta), &group.name, &group.namespace, &[]);
            match render_object(
                &cx,
                "upstreamgroup.yaml.tera",
                &what,
                "UpstreamGroup",
                &context,
                meta,
            ) {
                Ok(o) => put(clusters, &Arc::new(o)),
                Err(e) => errors.push(e),
            }
        }
    }
    for ((service, port), clusters) in &service_upstreams {
        let s = p.service(*service);
        let name = service_upstream_name(&s.meta.namespace.value, &s.meta.name.text, *port);
        let mut context = tera::Context::new();
        context.insert("service_name", &s.meta.name.text);
        context.insert("service_namespace", &s.meta.namespace.value);
        context.insert("service_port", port);
        let what = format!("service `{}` port {port}", s.meta.name.text);
        let meta = metadata(None, &name, &s.meta.namespace.value, &[]);
        match render_object(&cx, "upstream.yaml.tera", &what, "Upstream", &context, meta) {
            Ok(o) => put(clusters, &Arc::new(o)),
            Err(e) => errors.push(e),
        }
    }

    // Every (route, listener, hostname) attachment; a VirtualService for each hostname whose
    // most specific listener of the port is the one it was attached through (the Gateway API
    // gives a request to that listener alone).
    let mut attached: Vec<(VsKey, usize, RouteId)> = Vec::new();
    for (ri, r) in p.routes.iter().enumerate() {
        for (pr, listeners) in r.parents.iter().zip(&attachments.routes[ri]) {
            let g = p.gateway(pr.gateway);
            for la in listeners {
                let Standing::Attached(hosts) = &la.standing else {
                    continue;
                };
                let port = g.listeners[la.listener].port.value;
                for domain in hosts.clone().unwrap_or_else(|| vec!["*".to_string()]) {
                    attached.push(((pr.gateway, port, domain), la.listener, RouteId(ri as u32)));
                }
            }
        }
    }
    let mut virtual_services: BTreeMap<VsKey, (usize, Vec<(HostRank, RouteId)>)> = BTreeMap::new();
    for ((gid, port, domain), listener, _) in &attached {
        if best_listener(p.gateway(*gid), *port, domain) == Some(*listener) {
            virtual_services
                .entry((*gid, *port, domain.clone()))
                .or_insert((*listener, Vec::new()));
        }
    }
    // Its routes: those of that listener whose hostname serves the domain, the most specific
    // hostname first (a route for `*.example.com` still answers what the routes for
    // `api.example.com` do not match, after them).
    for ((gid, port, domain), (listener, members)) in &mut virtual_services {
        for ((g2, p2, d2), l2, route) in &attached {
            if g2 == gid && p2 == port && l2 == listener && serves(d2, domain) {
                members.push((host_rank(d2), *route));
            }
        }
        members.sort_by_key(|&(rank, route)| (route, rank));
        members.dedup_by_key(|m| m.1);
        members.sort();
    }
    // Rendered once per distinct set of routes; clusters with the same set share the text.
    type CacheKey = (VsKey, Vec<(HostRank, RouteId)>);
    let mut cache: HashMap<CacheKey, Arc<Object>> = HashMap::new();
    for (c, objects) in per_cluster.iter_mut().enumerate() {
        for ((gid, port, domain), (li, members)) in &virtual_services {
            if !placement.gateways[gid.index()].clusters.contains(c) {
                continue;
            }
            let present: Vec<(HostRank, RouteId)> = members
                .iter()
                .copied()
                .filter(|(_, r)| placement.routes[r.index()].clusters.contains(c))
                .collect();
            if present.is_empty() {
                continue;
            }
            let key = ((*gid, *port, domain.clone()), present);
            if let Some(obj) = cache.get(&key) {
                objects.insert(obj.path().to_string(), obj.clone());
                continue;
            }
            let g = p.gateway(*gid);
            let l = &g.listeners[*li];
            let entries: Vec<(HostRank, &Entry)> = key
                .1
                .iter()
                .flat_map(|(rank, r)| lowered[r.index()].entries.iter().map(|e| (*rank, e)))
                .collect();
            let tls = l
                .tls
                .as_ref()
                .and_then(|t| t.certificates.first())
                .map(|cert| {
                    let s = p.secret(cert.value);
                    json!({
                        "secret_name": s.meta.name.text,
                        "secret_namespace": s.meta.namespace.value,
                        "sni": l.hostname.as_ref().map(|h| h.value.clone()),
                    })
                });
            let name = virtual_service_name(g, *port, domain);
            let mut context = tera::Context::new();
            context.insert("domain", domain);
            context.insert("tls", &tls);
            context.insert("routes", &ordered(entries));
            let what = format!("gateway `{}` port {port}, host {domain}", g.meta.name.text);
            let gateway = label_value(&gateway_name(g, *port));
            let meta = metadata(
                None,
                &name,
                &g.meta.namespace.value,
                &[(GATEWAY_LABEL, gateway.as_str())],
            );
            match render_object(
                &cx,
                "virtualservice.yaml.tera",
                &what,
                "VirtualService",
                &context,
                meta,
            ) {
                Ok(o) => {
                    let obj = Arc::new(o);
                    objects.insert(obj.path().to_string(), obj.clone());
                    cache.insert(key, obj);
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let per_cluster = per_cluster
        .into_iter()
        .map(|objects| objects.into_values().collect())
        .collect();
    Ok(super::bundles(p, per_cluster))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_protobuf_seconds() {
        assert_eq!(proto_duration(90_000), "90s");
        assert_eq!(proto_duration(500), "0.500s");
        assert_eq!(proto_duration(1_250), "1.250s");
        assert_eq!(proto_duration(0), "0s");
    }

    #[test]
    fn the_shorter_timeout_bounds_the_only_try() {
        let t = |request: Option<&str>, backend: Option<&str>| {
            timeout(&Timeouts {
                request: request.map(str::to_string),
                backend_request: backend.map(str::to_string),
                span: None,
            })
        };
        assert_eq!(t(None, None), None);
        assert_eq!(t(Some("10s"), Some("4s")).as_deref(), Some("4s"));
        assert_eq!(t(Some("1m"), None).as_deref(), Some("60s"));
        assert_eq!(t(Some("0s"), Some("500ms")).as_deref(), Some("0.500s"));
        assert_eq!(t(Some("0s"), None).as_deref(), Some("0s"));
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = "a".repeat(300);
        let cut = shorten(&long, 253);
        assert_eq!(cut.len(), 253);
        assert_ne!(shorten(&format!("{long}b"), 253), cut);
        assert_eq!(shorten("short", 63), "short");
        assert!(label_value(&"x-".repeat(40)).len() <= 63);
    }

    #[test]
    fn specific_hostnames_first_and_wildcards_serve_what_they_cover() {
        let mut hosts = vec!["*", "*.example.com", "api.example.com", "*.api.example.com"];
        hosts.sort_by_key(|h| host_rank(h));
        assert_eq!(
            hosts,
            ["api.example.com", "*.api.example.com", "*.example.com", "*"]
        );
        assert!(serves("*.example.com", "api.example.com"));
        assert!(serves("*.example.com", "*.api.example.com"));
        assert!(serves("*", "api.example.com"));
        assert!(!serves("api.example.com", "*.example.com"));
        assert!(!serves("*.example.com", "example.com"));
    }

    #[test]
    fn prefix_replacements_keep_the_separator() {
        assert_eq!(with_slash("/catalog"), "/catalog/");
        assert_eq!(with_slash("/"), "/");
    }
}
