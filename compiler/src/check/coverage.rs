//! Distribution coverage (CHECKS.md rule 1, the reason topoc exists): for every cluster a
//! definition lands in, everything it references lands there too. Gloo's relay copies what it
//! is told to and "does not check for resource consistency across clusters" (seed 000): a
//! route copied to a cluster without its gateway or upstream silently does nothing.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::graph::{Edge, Node};
use crate::model::Program;
use crate::resolve::place::{names, Placed, Source};
use crate::source::Span;

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (user, dep, edge) in input.graph.edges() {
        // Classes and inferred placements follow their users by construction.
        if matches!(edge, Edge::Class { .. }) {
            continue;
        }
        let (placed_user, placed_dep) = (input.placement.of(user), input.placement.of(dep));
        let mut missing = placed_user.clusters.clone();
        missing.difference_with(&placed_dep.clusters);
        if missing.is_clear() {
            continue;
        }
        let missing = names(p, &missing);
        let (user_what, dep_what) = (describe(p, user), describe(p, dep));
        // How to keep the user out of the missing clusters depends on where its placement came from.
        let narrow_user = match (&placed_user.source, user) {
            (Source::Inferred, Node::Route(_)) => {
                format!(
                    "give the route a `to` without {missing} (it now follows its parent gateways)"
                )
            }
            _ => format!("take {missing} out of the {}'s `to`", kind_word(user)),
        };
        let (code, message, label, help) = match (edge, dep) {
            (Edge::Parent { .. }, _) => (
                Code::ParentNotDistributed,
                format!("{user_what} lands in {missing}, where its parent {dep_what} does not"),
                format!("{dep_what} is not in {missing}"),
                format!("add {missing} to the gateway's `to`, or {narrow_user}"),
            ),
            (Edge::Backend { .. }, Node::Service(_)) => (
                Code::BackendNotDistributed,
                format!("{user_what} lands in {missing}, where its backend {dep_what} does not run"),
                format!("{dep_what} does not run in {missing}"),
                format!("add {missing} to the service's `runs-in`, or {narrow_user}"),
            ),
            (Edge::Backend { .. }, _) => (
                Code::BackendNotDistributed,
                format!("{user_what} lands in {missing}, where its backend {dep_what} does not"),
                format!("{dep_what} is not in {missing}"),
                format!(
                    "add {missing} to the upstream's `to` (or omit its `to`: it then goes wherever its routes go), or {narrow_user}"
                ),
            ),
            (Edge::Certificate { .. }, _) => (
                Code::SecretNotDistributed,
                format!("{user_what} lands in {missing}, where its TLS {dep_what} does not"),
                format!("{dep_what} is not in {missing}"),
                format!("add {missing} to the secret's `to` (or omit it: it then goes wherever its gateways go), or {narrow_user}"),
            ),
            (Edge::UpstreamService { .. }, _) => (
                Code::ServiceNotRunning,
                format!("{user_what} lands in {missing}, where its {dep_what} does not run"),
                format!("{dep_what} does not run in {missing}"),
                match placed_user.source {
                    Source::Inferred => format!(
                        "add {missing} to the service's `runs-in`, or keep the routes that use this upstream out of {missing}: the upstream follows them"
                    ),
                    _ => format!(
                        "add {missing} to the service's `runs-in`, or take {missing} out of the upstream's `to` and out of the `to` of the routes that use it"
                    ),
                },
            ),
            (Edge::Class { .. }, _) => continue,
        };
        let mut d = Diagnostic::new(code, message, edge.span(), label).with_help(help);
        if let Some((span, text)) = explain(p, user, placed_user, "goes to") {
            d = d.with_label(span, text);
        }
        let verb = if matches!(dep, Node::Service(_)) {
            "runs in"
        } else {
            "goes to"
        };
        if let Some((span, text)) = explain(p, dep, placed_dep, verb) {
            d = d.with_label(span, text);
        }
        diags.push(d);
    }
}

/// `route \`web\``
pub fn describe(p: &Program, n: Node) -> String {
    match n {
        Node::Class(id) => format!("class `{}`", p.class(id).name.text),
        Node::Service(id) => format!("service `{}`", p.service(id).meta.name.text),
        Node::Upstream(id) => format!("upstream `{}`", p.upstream(id).meta.name.text),
        Node::Gateway(id) => format!("gateway `{}`", p.gateway(id).meta.name.text),
        Node::Route(id) => format!("route `{}`", p.route(id).meta.name.text),
        Node::Secret(id) => format!("secret `{}`", p.secret(id).meta.name.text),
    }
}

fn kind_word(n: Node) -> &'static str {
    match n {
        Node::Class(_) => "class",
        Node::Service(_) => "service",
        Node::Upstream(_) => "upstream",
        Node::Gateway(_) => "gateway",
        Node::Route(_) => "route",
        Node::Secret(_) => "secret",
    }
}

fn name_span(p: &Program, n: Node) -> Span {
    match n {
        Node::Class(id) => p.class(id).name.span,
        Node::Service(id) => p.service(id).meta.name.span,
        Node::Upstream(id) => p.upstream(id).meta.name.span,
        Node::Gateway(id) => p.gateway(id).meta.name.span,
        Node::Route(id) => p.route(id).meta.name.span,
        Node::Secret(id) => p.secret(id).meta.name.span,
    }
}

/// A secondary label saying where a definition goes and why.
fn explain(p: &Program, n: Node, placed: &Placed, verb: &str) -> Option<(Span, String)> {
    let what = describe(p, n);
    let clusters = names(p, &placed.clusters);
    match &placed.source {
        Source::Written(d) => Some((d.span, format!("{what} {verb} {clusters}"))),
        Source::Default => Some((
            name_span(p, n),
            format!("{what} has no `to`: it goes to every workload cluster"),
        )),
        Source::Inferred => {
            let from = if matches!(n, Node::Route(_)) {
                "its parent gateways"
            } else {
                "what uses it"
            };
            Some((
                name_span(p, n),
                format!("{what} {verb} {clusters} (no `to`: inferred from {from})"),
            ))
        }
    }
}
