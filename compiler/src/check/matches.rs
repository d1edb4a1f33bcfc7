//! Matches and header filters (CHECKS.md rules 19-21, the HTTPRoute CRD's patterns and CEL):
//! Exact and PathPrefix paths are absolute, clean and made of URL path characters; header and
//! query names are HTTP tokens and appear once per match; header values are 1-4096
//! characters; a header is named once per modifier.

use std::collections::BTreeSet;

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{HeaderModifier, PathMatch, PathRewrite};
use crate::source::Span;

/// Why an Exact or PathPrefix path is invalid, or `None`.
pub fn path_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some("must start with `/`".into());
    }
    if path.len() > 1024 {
        return Some("longer than 1024 characters".into());
    }
    for bad in ["//", "/./", "/../", "%2f", "%2F", "#"] {
        if path.contains(bad) {
            return Some(format!("must not contain `{bad}`"));
        }
    }
    for bad in ["/..", "/."] {
        if path.ends_with(bad) {
            return Some(format!("must not end with `{bad}`"));
        }
    }
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Some("`%` must be followed by two hex digits".into());
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-/._~!$&'()*+,;=:@".contains(&c)) {
            return Some(format!(
                "`{}` is not allowed in a path; percent-encode it",
                path[i..].chars().next().unwrap_or('?')
            ));
        }
        i += 1;
    }
    None
}

/// An HTTP header or query parameter name: a token of at most 256 characters.
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

fn invalid_path(diags: &mut Diagnostics, path: &str, span: Span, why: String) {
    diags.push(
        Diagnostic::new(Code::InvalidPath, format!("path `{path}` is not valid"), span, why)
            .with_help("write an absolute, normalised path such as \"/api/v1\"; percent-encode special characters"),
    );
}

fn names(diags: &mut Diagnostics, what: &str, names: &[&str], span: Span) {
    let mut seen = BTreeSet::new();
    for name in names {
        if !is_token(name) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidHeader,
                    format!("{what} name `{name}` is not valid"),
                    span,
                    "not an HTTP token",
                )
                .with_help("names are 1-256 letters, digits and !#$%&'*+-.^_`|~"),
            );
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateMatchName,
                    format!("{what} `{name}` is named twice"),
                    span,
                    "named twice here",
                )
                .with_help("name each one once; names are compared without regard to case"),
            );
        }
    }
}

fn values(diags: &mut Diagnostics, what: &str, values: &[&str], span: Span) {
    for v in values {
        if v.is_empty() || v.len() > 4096 {
            diags.push(
                Diagnostic::new(
                    Code::InvalidHeader,
                    format!("{what} value must be 1 to 4096 characters"),
                    span,
                    "empty or too long",
                )
                .with_help("give a non-empty value"),
            );
        }
    }
}

fn modifier(diags: &mut Diagnostics, m: &HeaderModifier, span: Span) {
    let all: Vec<&str> = m
        .set
        .iter()
        .chain(&m.add)
        .map(|(k, _)| k.as_str())
        .chain(m.remove.iter().map(String::as_str))
        .collect();
    names(diags, "header", &all, span);
    let vals: Vec<&str> = m
        .set
        .iter()
        .chain(&m.add)
        .map(|(_, v)| v.as_str())
        .collect();
    values(diags, "header", &vals, span);
}

/// CHECKS.md rule 20: the Gateway API leaves the regular expression dialect to the
/// implementation (RE2 for Envoy-based Gloo and Istio), so one pattern can match differently
/// in clusters running different implementations.
fn regex_dialect(diags: &mut Diagnostics, span: Span) {
    diags.push(
        Diagnostic::new(Code::RegexDialect, "regular expression matches depend on the implementation", span, "implementation-specific")
            .with_help("prefer prefix(...) or exact(...); if the regex is meant, check it against every implementation it lands on and add `allow = [W0314]` to the route"),
    );
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    for r in &input.program.routes {
        for rule in &r.rules {
            for m in &rule.matches {
                let span = m.span.unwrap_or(rule.span);
                if let Some(path) = &m.path {
                    match &path.value {
                        PathMatch::Prefix(v) | PathMatch::Exact(v) => {
                            if let Some(why) = path_problem(v) {
                                invalid_path(diags, v, path.span, why);
                            }
                        }
                        PathMatch::Regex(_) => {}
                    }
                }
                // One warning per match, on the path when it is the regex.
                let path_regex = m
                    .path
                    .as_ref()
                    .filter(|p| matches!(p.value, PathMatch::Regex(_)))
                    .map(|p| p.span);
                let other_regex = m
                    .headers
                    .iter()
                    .chain(&m.query)
                    .any(|(_, s)| matches!(s, crate::model::StringMatch::Regex(_)));
                if let Some(at) = path_regex.or(other_regex.then_some(span)) {
                    regex_dialect(diags, at);
                }
                let hnames: Vec<&str> = m.headers.iter().map(|(n, _)| n.as_str()).collect();
                names(diags, "header", &hnames, span);
                let qnames: Vec<&str> = m.query.iter().map(|(n, _)| n.as_str()).collect();
                names(diags, "query parameter", &qnames, span);
                let hvalues: Vec<&str> = m
                    .headers
                    .iter()
                    .map(|(_, v)| match v {
                        crate::model::StringMatch::Exact(s)
                        | crate::model::StringMatch::Regex(s) => s.as_str(),
                    })
                    .collect();
                values(diags, "header", &hvalues, span);
            }
            if let Some(h) = &rule.filters.request_headers {
                modifier(diags, h, rule.span);
            }
            if let Some(h) = &rule.filters.response_headers {
                modifier(diags, h, rule.span);
            }
            let rewrites = rule
                .filters
                .redirect
                .iter()
                .filter_map(|r| r.value.path.as_ref().map(|p| (p, r.span)));
            let rewrites = rewrites.chain(
                rule.filters
                    .rewrite
                    .iter()
                    .filter_map(|r| r.value.path.as_ref().map(|p| (p, r.span))),
            );
            for (p, span) in rewrites {
                let (PathRewrite::Full(v) | PathRewrite::Prefix(v)) = p;
                if let Some(why) = path_problem(v) {
                    invalid_path(diags, v, span, why);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_crd() {
        assert_eq!(path_problem("/api/v1"), None);
        assert_eq!(path_problem("/a%20b"), None);
        assert!(path_problem("api").is_some());
        assert!(path_problem("/[]").is_some());
        assert!(path_problem("/my[/]path01").is_some());
        assert!(path_problem("/a//b").is_some());
        assert!(path_problem("/a/..").is_some());
        assert!(path_problem("/a%2fb").is_some());
        assert!(path_problem("/a%zz").is_some());
        assert!(path_problem("/a%2").is_some());
    }

    #[test]
    fn header_tokens() {
        assert!(is_token("x-request-id"));
        assert!(!is_token("magic/"));
        assert!(!is_token(""));
    }
}
