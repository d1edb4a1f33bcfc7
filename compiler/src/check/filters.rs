//! Filters, timeouts and weights of a rule (CHECKS.md rules 22, 23, 28; the HTTPRoute CRD's
//! CEL): a redirect answers the request itself, so it cannot be combined with a rewrite or
//! with backends; a prefix rewrite needs exactly one PathPrefix match to know what to replace;
//! the backend timeout fits inside the request timeout; a rule whose weights are all zero
//! sends nothing anywhere.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{PathMatch, PathRewrite, Rule};

/// A Gateway API duration in milliseconds (`1h30m`, `500ms`); `None` if malformed (the
/// resolver already rejected those).
pub fn millis(d: &str) -> Option<u64> {
    let mut rest = d;
    let mut total = 0u64;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else {
            return None;
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[len..];
    }
    Some(total)
}

/// The CRD's rule: exactly one match, and its path a PathPrefix. No match at all, or a match
/// without a path, is defaulted by the API server to `PathPrefix /`, which qualifies.
fn one_prefix_match(rule: &Rule) -> bool {
    match rule.matches.as_slice() {
        [] => true,
        [m] => matches!(
            m.path.as_ref().map(|p| &p.value),
            None | Some(PathMatch::Prefix(_))
        ),
        _ => false,
    }
}

fn rule(r: &crate::model::Route, rule: &Rule, diags: &mut Diagnostics) {
    let f = &rule.filters;
    if let (Some(rd), Some(rw)) = (&f.redirect, &f.rewrite) {
        diags.push(
            Diagnostic::new(Code::IncompatibleFilters, "a rule cannot both redirect and rewrite", rw.span, "rewrite")
                .with_label(rd.span, "redirect")
                .with_help("a redirect answers the client itself; keep one of the two, or split them into two rules"),
        );
    }
    if let (Some(rd), Some(first)) = (&f.redirect, rule.backends.first()) {
        diags.push(
            Diagnostic::new(
                Code::IncompatibleFilters,
                "a rule that redirects cannot have backends",
                first.span,
                "backend",
            )
            .with_label(rd.span, "redirect")
            .with_help(
                "remove the backends (the redirect answers the request), or remove the redirect",
            ),
        );
    }
    let paths = f.redirect.iter().filter_map(|rd| rd.value.path.as_ref());
    let prefix_rewrites = paths
        .chain(f.rewrite.iter().filter_map(|rw| rw.value.path.as_ref()))
        .filter(|p| matches!(p.value, PathRewrite::Prefix(_)))
        .map(|p| p.span);
    for span in prefix_rewrites {
        if !one_prefix_match(rule) {
            diags.push(
                Diagnostic::new(Code::IncompatibleFilters, "a prefix rewrite needs exactly one PathPrefix match", span, "replaces the matched prefix")
                    .with_help("give the rule exactly one match `{ path = prefix(\"/old\") }`, or rewrite with `full(\"/new\")`"),
            );
        }
    }
    if let (Some(req), Some(be)) = (&rule.timeouts.request, &rule.timeouts.backend_request) {
        if let (Some(a), Some(b)) = (millis(req), millis(be)) {
            if a != 0 && b > a {
                diags.push(
                    Diagnostic::new(
                        Code::TimeoutOrder,
                        format!(
                            "backend request timeout {be} is longer than the request timeout {req}"
                        ),
                        rule.timeouts.span.unwrap_or(rule.span),
                        "timeouts out of order",
                    )
                    .with_help(format!(
                        "make `backend-request` at most {req}; the request gives up first anyway"
                    )),
                );
            }
        }
    }
    if !rule.backends.is_empty() && rule.backends.iter().all(|b| b.weight == Some(0)) {
        diags.push(
            Diagnostic::new(
                Code::AllWeightsZero,
                format!(
                    "every backend of a rule of route `{}` has weight 0",
                    r.meta.name.text
                ),
                rule.span,
                "this rule sends no traffic",
            )
            .with_help("give at least one backend a positive weight, or remove the rule"),
        );
    }
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    for r in &input.program.routes {
        for ru in &r.rules {
            rule(r, ru, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::millis;

    #[test]
    fn durations() {
        assert_eq!(millis("1h30m"), Some(5_400_000));
        assert_eq!(millis("500ms"), Some(500));
        assert_eq!(millis("10s"), Some(10_000));
        assert_eq!(millis("0s"), Some(0));
    }
}
