//! Definitions that land in no cluster (W0301): a route whose parent gateways share no
//! cluster, an upstream or secret that nothing uses. Almost always a mistake, never harmful,
//! so a warning. `to = none` says it on purpose and is not reported.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::resolve::place::{Placed, Source};
use crate::source::Span;

fn report(
    diags: &mut Diagnostics,
    placed: &Placed,
    what: String,
    span: Span,
    why: &str,
    help: &str,
) {
    // `to = none` is on purpose; a selector matching nothing is already an error (E0208).
    let on_purpose = matches!(&placed.source, Source::Written(d)
        if matches!(d.value, crate::model::Distribution::None | crate::model::Distribution::Selector(_)));
    if placed.clusters.is_clear() && !on_purpose {
        diags.push(
            Diagnostic::new(
                Code::LandsNowhere,
                format!("{what} lands in no cluster"),
                span,
                why.to_string(),
            )
            .with_help(help.to_string()),
        );
    }
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let (p, placement) = (input.program, input.placement);
    for (r, placed) in p.routes.iter().zip(&placement.routes) {
        let why = if matches!(placed.source, Source::Inferred) {
            "its parent gateways share no cluster"
        } else {
            "its `to` selects no cluster"
        };
        report(
            diags,
            placed,
            format!("route `{}`", r.meta.name.text),
            r.meta.name.span,
            why,
            "give it a `to`, or `to = none` if that is intended",
        );
    }
    for (g, placed) in p.gateways.iter().zip(&placement.gateways) {
        let why = match placed.source {
            Source::Default => "it has no `to` and there is no workload cluster",
            _ => "its `to` selects no cluster",
        };
        report(
            diags,
            placed,
            format!("gateway `{}`", g.meta.name.text),
            g.meta.name.span,
            why,
            "fix its `to`, or write `to = none` if that is intended",
        );
    }
    for (u, placed) in p.upstreams.iter().zip(&placement.upstreams) {
        let why = if matches!(placed.source, Source::Inferred) {
            "no route uses it"
        } else {
            "its `to` selects no cluster"
        };
        report(
            diags,
            placed,
            format!("upstream `{}`", u.meta.name.text),
            u.meta.name.span,
            why,
            "use it from a route, remove it, or write `to = none`",
        );
    }
    for (g, placed) in p.grants.iter().zip(&placement.grants) {
        report(
            diags,
            placed,
            format!("grant `{}`", g.meta.name.text),
            g.meta.name.span,
            "its `to` selects no cluster",
            "fix its `to`, or write `to = none` if that is intended",
        );
    }
    for (s, placed) in p.secrets.iter().zip(&placement.secrets) {
        let why = if matches!(placed.source, Source::Inferred) {
            "no gateway uses it"
        } else {
            "its `to` selects no cluster"
        };
        report(
            diags,
            placed,
            format!("secret `{}`", s.meta.name.text),
            s.meta.name.span,
            why,
            "use it from a listener's `tls`, remove it, or write `to = none`",
        );
    }
}
