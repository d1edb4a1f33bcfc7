//! Gateway API versions (CHECKS.md rule 4): each cluster declares the Gateway API version its
//! CRDs come from (`gateway-api = "1.2"`), and topoc emits only what that version serves. A
//! field the installed CRDs do not know is pruned or rejected by the API server, so the
//! feature silently disappears.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Program, Version};
use crate::resolve::place::ClusterSet;
use crate::source::Span;

/// Features and the first Gateway API version whose standard channel serves them.
const GATEWAY_V1: (&str, Version) = (
    "the v1 Gateway and HTTPRoute APIs",
    Version { major: 1, minor: 0 },
);
/// `spec.infrastructure` (GEP-1867), where topoc writes the GatewayParameters reference.
const INFRASTRUCTURE: (&str, Version) = (
    "the Gateway `infrastructure` field",
    Version { major: 1, minor: 2 },
);
const TIMEOUTS: (&str, Version) = ("HTTPRoute rule timeouts", Version { major: 1, minor: 2 });
const MIRROR_PERCENT: (&str, Version) = ("a mirror `percent`", Version { major: 1, minor: 3 });
const RULE_NAME: (&str, Version) = ("named rules", Version { major: 1, minor: 4 });
/// Until 1.5 the CRD's redirect `statusCode` enum held only 301 and 302.
const REDIRECT_STATUS: (&str, Version) = (
    "redirect status codes 303, 307 and 308",
    Version { major: 1, minor: 5 },
);

fn require(
    p: &Program,
    diags: &mut Diagnostics,
    clusters: &ClusterSet,
    feature: (&str, Version),
    span: Span,
    what: &str,
) {
    let (name, since) = feature;
    let old: Vec<&crate::model::Cluster> = clusters
        .ones()
        .map(|c| &p.clusters[c])
        .filter(|c| c.gateway_api.value < since)
        .collect();
    let Some(first) = old.first() else { return };
    let names: Vec<&str> = old.iter().map(|c| c.name.text.as_str()).collect();
    diags.push(
        Diagnostic::new(
            Code::FeatureTooNew,
            format!("{what} uses {name}, which Gateway API {since} introduced, but {} run{} Gateway API {}", names.join(", "), if names.len() == 1 { "s" } else { "" }, first.gateway_api.value),
            span,
            format!("needs Gateway API {since}"),
        )
        .with_label(first.gateway_api.span, format!("`{}` declares Gateway API {}", first.name.text, first.gateway_api.value))
        .with_help(format!("upgrade the Gateway API CRDs of {} to {since} or later (and say so in `gateway-api`), or do without the feature there", names.join(", "))),
    );
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (gi, g) in p.gateways.iter().enumerate() {
        let what = format!("gateway `{}`", g.meta.name.text);
        require(
            p,
            diags,
            &input.placement.gateways[gi].clusters,
            GATEWAY_V1,
            g.meta.name.span,
            &what,
        );
        if crate::mesh::parameters_name(p, g).is_some() {
            let span = crate::mesh::parameters_span(g);
            let clusters = &input.placement.gateways[gi].clusters;
            require(p, diags, clusters, INFRASTRUCTURE, span, &what);
        }
    }
    for (ri, r) in p.routes.iter().enumerate() {
        let clusters = &input.placement.routes[ri].clusters;
        let what = format!("route `{}`", r.meta.name.text);
        require(p, diags, clusters, GATEWAY_V1, r.meta.name.span, &what);
        for rule in &r.rules {
            if rule.timeouts.request.is_some() || rule.timeouts.backend_request.is_some() {
                require(
                    p,
                    diags,
                    clusters,
                    TIMEOUTS,
                    rule.timeouts.span.unwrap_or(rule.span),
                    &what,
                );
            }
            if let Some(name) = &rule.name {
                require(p, diags, clusters, RULE_NAME, name.span, &what);
            }
            for m in rule.filters.mirrors.iter().filter(|m| m.percent.is_some()) {
                require(p, diags, clusters, MIRROR_PERCENT, m.backend.span, &what);
            }
            if let Some(rd) = rule
                .filters
                .redirect
                .as_ref()
                .filter(|rd| matches!(rd.value.status, Some(303 | 307 | 308)))
            {
                require(p, diags, clusters, REDIRECT_STATUS, rd.span, &what);
            }
        }
    }
}
