//! Size limits of the Gateway API CRDs (CHECKS.md rules 8, 15, 18, 19): what the API server
//! would reject on apply, reported at build time with the offending list.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::Span;

fn limit(diags: &mut Diagnostics, what: &str, count: usize, max: usize, span: Span) {
    if count > max {
        diags.push(
            Diagnostic::new(
                Code::LimitExceeded,
                format!("{what}: {count}, more than the {max} the Gateway API allows"),
                span,
                format!("at most {max}"),
            )
            .with_help("split the definition in two, for example one route per group of rules"),
        );
    }
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for g in &p.gateways {
        limit(
            diags,
            "listeners in a gateway",
            g.listeners.len(),
            64,
            g.meta.name.span,
        );
    }
    for r in &p.routes {
        let name = r.meta.name.span;
        limit(diags, "parents of a route", r.parents.len(), 32, name);
        limit(diags, "hostnames of a route", r.hostnames.len(), 16, name);
        limit(diags, "rules in a route", r.rules.len(), 16, name);
        limit(
            diags,
            "matches in a route",
            r.rules.iter().map(|ru| ru.matches.len()).sum(),
            128,
            name,
        );
        for rule in &r.rules {
            limit(
                diags,
                "matches in a rule",
                rule.matches.len(),
                64,
                rule.span,
            );
            limit(
                diags,
                "backends in a rule",
                rule.backends.len(),
                16,
                rule.span,
            );
            let f = &rule.filters;
            let filters = usize::from(f.request_headers.is_some())
                + usize::from(f.response_headers.is_some())
                + usize::from(f.redirect.is_some())
                + usize::from(f.rewrite.is_some())
                + f.mirrors.len();
            limit(diags, "filters in a rule", filters, 16, rule.span);
            for m in &rule.matches {
                let at = m.span.unwrap_or(rule.span);
                limit(diags, "headers in a match", m.headers.len(), 16, at);
                limit(diags, "query parameters in a match", m.query.len(), 16, at);
            }
        }
    }
}
