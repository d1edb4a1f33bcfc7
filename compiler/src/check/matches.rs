//! Matches and header filters (CHECKS.md rules 19-21, the HTTPRoute CRD's patterns and CEL):
//! Exact and PathPrefix paths are absolute, clean and made of URL path characters; header and
//! query names are HTTP tokens and appear once per match; header values are 1-4096
//! characters; a header is named once per modifier.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{HeaderModifier, Name, PathMatch, PathRewrite, StringMatch};
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
            .with_help("write an absolute, normalised path such as \"/api/v1\"; percent-encode other characters, and match query parameters with `query = { ... }`"),
    );
}

/// Names that must be HTTP tokens and appear once; `fold` compares them without case (header
/// names), or exactly (query parameter names).
fn names(diags: &mut Diagnostics, what: &str, names: &[&Name], fold: bool) {
    let mut seen: Vec<&Name> = Vec::new();
    for name in names {
        if !is_token(&name.text) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidHeader,
                    format!("{what} name `{}` is not valid", name.text),
                    name.span,
                    "not an HTTP token",
                )
                .with_help("names are 1-256 letters, digits and !#$%&'*+-.^_`|~"),
            );
        }
        let same = |a: &Name| {
            if fold {
                a.text.eq_ignore_ascii_case(&name.text)
            } else {
                a.text == name.text
            }
        };
        if let Some(first) = seen.iter().find(|a| same(a)) {
            let how = if fold {
                " (names are compared without regard to case)"
            } else {
                ""
            };
            diags.push(
                Diagnostic::new(
                    Code::DuplicateMatchName,
                    format!("{what} `{}` is named twice", name.text),
                    name.span,
                    "named again here",
                )
                .with_label(first.span, "first named here")
                .with_help(format!("name each one once{how}")),
            );
        } else {
            seen.push(name);
        }
    }
}

fn value(diags: &mut Diagnostics, what: &str, name: &Name, value: &str, max: usize) {
    if value.is_empty() || value.len() > max {
        diags.push(
            Diagnostic::new(
                Code::InvalidHeader,
                format!(
                    "the value of {what} `{}` must be 1 to {max} characters",
                    name.text
                ),
                name.span,
                if value.is_empty() {
                    "empty value"
                } else {
                    "value too long"
                },
            )
            .with_help("give a non-empty value; to match presence only, use regex(\".*\")"),
        );
    }
}

fn modifier(diags: &mut Diagnostics, m: &HeaderModifier) {
    // The CRD keys each list by name: a name may appear once per list.
    for list in [
        m.set.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        m.add.iter().map(|(n, _)| n).collect(),
        m.remove.iter().collect(),
    ] {
        names(diags, "header", &list, true);
    }
    for (n, v) in m.set.iter().chain(&m.add) {
        value(diags, "header", n, v, 4096);
    }
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

fn string_value(s: &StringMatch) -> &str {
    match s {
        StringMatch::Exact(v) | StringMatch::Regex(v) => v,
    }
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    for r in &input.program.routes {
        for rule in &r.rules {
            for m in &rule.matches {
                let span = m.span.unwrap_or(rule.span);
                if let Some(path) = &m.path {
                    if let PathMatch::Prefix(v) | PathMatch::Exact(v) = &path.value {
                        if let Some(why) = path_problem(v) {
                            invalid_path(diags, v, path.span, why);
                        }
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
                    .any(|(_, s)| matches!(s, StringMatch::Regex(_)));
                if let Some(at) = path_regex.or(other_regex.then_some(span)) {
                    regex_dialect(diags, at);
                }
                names(
                    diags,
                    "header",
                    &m.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                    true,
                );
                names(
                    diags,
                    "query parameter",
                    &m.query.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                    false,
                );
                for (n, s) in &m.headers {
                    value(diags, "header", n, string_value(s), 4096);
                }
                for (n, s) in &m.query {
                    value(diags, "query parameter", n, string_value(s), 1024);
                }
            }
            for h in rule
                .filters
                .request_headers
                .iter()
                .chain(&rule.filters.response_headers)
            {
                modifier(diags, h);
            }
            // Rewritten paths are only limited in length by the CRD.
            let rewrites = rule
                .filters
                .redirect
                .iter()
                .filter_map(|r| r.value.path.as_ref());
            for p in rewrites.chain(
                rule.filters
                    .rewrite
                    .iter()
                    .filter_map(|r| r.value.path.as_ref()),
            ) {
                let (PathRewrite::Full(v) | PathRewrite::Prefix(v)) = &p.value;
                if v.len() > 1024 {
                    invalid_path(diags, v, p.span, "longer than 1024 characters".into());
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
