//! Hostnames (CHECKS.md rule 18 and the CRDs' patterns): lowercase RFC 1123 names of at most
//! 253 characters, a wildcard only as a leading `*.` label, never an IP address. Redirect and
//! rewrite hostnames, and a virtual destination's hosts (rule 39), are precise: no wildcard at
//! all.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Spanned;
use crate::source::Span;

fn label_ok(l: &str) -> bool {
    let b = l.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Why a hostname is invalid, or `None`.
pub fn problem(host: &str, wildcard_allowed: bool) -> Option<&'static str> {
    let bare = match host.strip_prefix("*.") {
        Some(rest) if wildcard_allowed => rest,
        Some(_) => return Some("a wildcard is not allowed here"),
        None => host,
    };
    if host.len() > 253 {
        return Some("longer than 253 characters");
    }
    if bare.is_empty() {
        return Some("a wildcard needs a domain after it, as in `*.example.com`");
    }
    if bare.contains('*') {
        return Some("a wildcard may only be the whole first label, as in `*.example.com`");
    }
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Some("an IP address is not a hostname");
    }
    if !bare.split('.').all(label_ok) {
        return Some("each dot-separated label must be 1-63 lowercase letters, digits or `-`, not starting or ending with `-`");
    }
    None
}

fn report(diags: &mut Diagnostics, what: &str, host: &str, span: Span, wildcard_allowed: bool) {
    if let Some(why) = problem(host, wildcard_allowed) {
        diags.push(
            Diagnostic::new(
                Code::InvalidHostname,
                format!("{what} `{host}` is not a valid hostname"),
                span,
                why,
            )
            .with_help(
                "write a DNS name such as `api.example.com`; no scheme, port, path or upper case",
            ),
        );
    }
}

fn spanned(diags: &mut Diagnostics, what: &str, h: &Spanned<String>, wildcard_allowed: bool) {
    report(diags, what, &h.value, h.span, wildcard_allowed);
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for g in &p.gateways {
        for l in &g.listeners {
            if let Some(h) = &l.hostname {
                spanned(diags, "listener hostname", h, true);
            }
        }
    }
    for r in &p.routes {
        for h in &r.hostnames {
            spanned(diags, "route hostname", h, true);
        }
        for rule in &r.rules {
            if let Some(h) = rule
                .filters
                .redirect
                .as_ref()
                .and_then(|rd| rd.value.hostname.as_ref())
            {
                spanned(diags, "redirect hostname", h, false);
            }
            if let Some(h) = rule
                .filters
                .rewrite
                .as_ref()
                .and_then(|rw| rw.value.hostname.as_ref())
            {
                spanned(diags, "rewrite hostname", h, false);
            }
        }
    }
    // CHECKS.md rule 39: a VirtualDestination's hosts are precise DNS names, never wildcards.
    for vd in &p.virtual_destinations {
        for h in &vd.hosts {
            spanned(diags, "virtual destination host", h, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn hostname_rules() {
        assert_eq!(problem("api.example.com", true), None);
        assert_eq!(problem("*.example.com", true), None);
        assert!(problem("*.example.com", false).is_some());
        assert!(problem("http://a<", true).is_some());
        assert!(problem("a.*.com", true).is_some());
        assert!(problem("10.0.0.1", true).is_some());
        assert!(problem("Example.com", true).is_some());
    }
}
