//! Size limits of the Gateway API CRDs (CHECKS.md rules 8, 15, 18, 19): what the API server
//! would reject on apply, reported at build time on the first item over the limit.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::Span;

/// Report when `spans` (one per item, in order) has more than `max` items.
fn limit(diags: &mut Diagnostics, what: &str, spans: &[Span], max: usize, help: &str) {
    if let Some(&first_over) = spans.get(max) {
        diags.push(
            Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "{} {what}, more than the {max} the Gateway API allows",
                    spans.len()
                ),
                first_over,
                format!("item {} of at most {max}", max + 1),
            )
            .with_help(help.to_string()),
        );
    }
}

const SPLIT_ROUTE: &str = "split the route in two: each route has its own limits";
const SPLIT_RULE: &str = "split the rule in two, or the route";

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for g in &p.gateways {
        let spans: Vec<Span> = g.listeners.iter().map(|l| l.name.span).collect();
        limit(
            diags,
            "listeners in a gateway",
            &spans,
            64,
            "split the listeners over two gateways",
        );
    }
    for r in &p.routes {
        let parents: Vec<Span> = r.parents.iter().map(|pr| pr.span).collect();
        limit(diags, "parents of a route", &parents, 32, SPLIT_ROUTE);
        let hosts: Vec<Span> = r.hostnames.iter().map(|h| h.span).collect();
        limit(
            diags,
            "hostnames of a route",
            &hosts,
            16,
            "split the route by hostname, or use a wildcard `*.example.com`",
        );
        let rules: Vec<Span> = r.rules.iter().map(|ru| ru.span).collect();
        limit(diags, "rules in a route", &rules, 16, SPLIT_ROUTE);
        let all_matches: Vec<Span> = r
            .rules
            .iter()
            .flat_map(|ru| ru.matches.iter().map(move |m| m.span.unwrap_or(ru.span)))
            .collect();
        limit(diags, "matches in a route", &all_matches, 128, SPLIT_ROUTE);
        for rule in &r.rules {
            let matches: Vec<Span> = rule
                .matches
                .iter()
                .map(|m| m.span.unwrap_or(rule.span))
                .collect();
            limit(diags, "matches in a rule", &matches, 64, SPLIT_RULE);
            let backends: Vec<Span> = rule.backends.iter().map(|b| b.span).collect();
            limit(diags, "backends in a rule", &backends, 16, SPLIT_RULE);
            // Header modifiers, redirect and rewrite occur once each; mirrors make up the rest.
            let f = &rule.filters;
            let once = [
                f.request_headers.is_some(),
                f.response_headers.is_some(),
                f.redirect.is_some(),
                f.rewrite.is_some(),
            ];
            let filters: Vec<Span> =
                std::iter::repeat_n(rule.span, once.iter().filter(|b| **b).count())
                    .chain(f.mirrors.iter().map(|m| m.backend.span))
                    .collect();
            limit(diags, "filters in a rule", &filters, 16, SPLIT_RULE);
            for m in &rule.matches {
                let headers: Vec<Span> = m.headers.iter().map(|(n, _)| n.span).collect();
                limit(
                    diags,
                    "headers in a match",
                    &headers,
                    16,
                    "match on fewer headers, or split the match",
                );
                let query: Vec<Span> = m.query.iter().map(|(n, _)| n.span).collect();
                limit(
                    diags,
                    "query parameters in a match",
                    &query,
                    16,
                    "match on fewer parameters, or split the match",
                );
            }
            for h in rule
                .filters
                .request_headers
                .iter()
                .chain(&rule.filters.response_headers)
            {
                for (list, spans) in [
                    (
                        "`set`",
                        h.set.iter().map(|(n, _)| n.span).collect::<Vec<_>>(),
                    ),
                    ("`add`", h.add.iter().map(|(n, _)| n.span).collect()),
                    ("`remove`", h.remove.iter().map(|n| n.span).collect()),
                ] {
                    limit(
                        diags,
                        &format!("headers in {list}"),
                        &spans,
                        16,
                        "modify fewer headers in one rule, or split the rule",
                    );
                }
            }
        }
    }
}
