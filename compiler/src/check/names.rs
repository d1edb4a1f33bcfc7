//! Kubernetes names (CHECKS.md rule 14 and the API machinery's validation): object names are
//! DNS-1123 subdomains, namespaces and cluster names DNS-1123 labels, Service names DNS-1035
//! labels. Names become file and folder names in the output, so this rule is also what keeps
//! every written path inside `--out`.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Meta;
use crate::source::Span;

#[derive(Clone, Copy)]
pub(super) enum Rule {
    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63.
    Label,
    /// A label that starts with a letter (Service names).
    Label1035,
    /// Labels joined by dots, at most 253.
    Subdomain,
}

impl Rule {
    fn describe(self) -> &'static str {
        match self {
            Rule::Label => "a DNS-1123 label: at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
            Rule::Label1035 => "a DNS-1035 label: at most 63 lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit",
            Rule::Subdomain => "a DNS-1123 subdomain: at most 253 lowercase letters, digits, `-` and `.`, each dot-separated part starting and ending with a letter or digit",
        }
    }
}

fn is_label(s: &str) -> bool {
    s.len() <= 63 && is_label_chars(s)
}

/// Lowercase letters, digits and `-`, starting and ending with a letter or digit.
fn is_label_chars(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn valid(rule: Rule, s: &str) -> bool {
    match rule {
        Rule::Label => is_label(s),
        Rule::Label1035 => is_label(s) && s.as_bytes()[0].is_ascii_lowercase(),
        // IsDNS1123Subdomain caps the whole name, not its dot-separated parts.
        Rule::Subdomain => s.len() <= 253 && s.split('.').all(is_label_chars),
    }
}

fn suggestion(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-')
        .chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

pub(super) fn name(diags: &mut Diagnostics, what: &str, text: &str, span: Span, rule: Rule) {
    if valid(rule, text) {
        return;
    }
    let fixed = suggestion(text);
    let help = if !fixed.is_empty() && valid(rule, &fixed) {
        format!("a valid name would be `{fixed}`")
    } else {
        "choose a name of lowercase letters, digits and `-`".to_string()
    };
    diags.push(
        Diagnostic::new(
            Code::InvalidName,
            format!("{what} `{text}` is not a valid Kubernetes name"),
            span,
            format!("must be {}", rule.describe()),
        )
        .with_help(help),
    );
}

fn meta(diags: &mut Diagnostics, kind: &str, m: &Meta, rule: Rule) {
    name(diags, kind, &m.name.text, m.name.span, rule);
    name(
        diags,
        "namespace",
        &m.namespace.value,
        m.namespace.span,
        Rule::Label,
    );
}

/// `controllerName`: a domain-prefixed path (`example.com/controller`), at most 253 characters.
fn controller(diags: &mut Diagnostics, text: &str, span: Span) {
    let valid = text.len() <= 253
        && text.split_once('/').is_some_and(|(domain, path)| {
            valid(Rule::Subdomain, domain)
                && !path.is_empty()
                && path
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/-._~%!$&'()*+,;=:".contains(&c))
        });
    if !valid {
        diags.push(
            Diagnostic::new(
                Code::InvalidController,
                format!("controller `{text}` is not a domain-prefixed path"),
                span,
                "invalid controller name",
            )
            .with_help("write DOMAIN/PATH, such as \"example.com/gateway-controller\""),
        );
    }
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for c in &p.clusters {
        // Cluster names become output folders and ArgoCD destinations.
        name(diags, "cluster", &c.name.text, c.name.span, Rule::Label);
    }
    for c in &p.classes {
        name(diags, "class", &c.name.text, c.name.span, Rule::Subdomain);
        controller(diags, &c.controller.value, c.controller.span);
    }
    for s in &p.services {
        meta(diags, "service", &s.meta, Rule::Label1035);
    }
    for u in &p.upstreams {
        meta(diags, "upstream", &u.meta, Rule::Subdomain);
    }
    for s in &p.secrets {
        meta(diags, "secret", &s.meta, Rule::Subdomain);
    }
    for g in &p.gateways {
        meta(diags, "gateway", &g.meta, Rule::Subdomain);
        if g.meta.name.text.len() > 63 {
            diags.push(
                Diagnostic::new(
                    Code::GatewayNameTooLong,
                    format!("gateway name is {} characters long", g.meta.name.text.len()),
                    g.meta.name.span,
                    "longer than 63",
                )
                .with_help("implementations label the resources they create with `gateway.networking.k8s.io/gateway-name`, whose values stop at 63 characters; shorten the name"),
            );
        }
        for l in &g.listeners {
            name(
                diags,
                "listener",
                &l.name.text,
                l.name.span,
                Rule::Subdomain,
            );
        }
    }
    for g in &p.grants {
        meta(diags, "grant", &g.meta, Rule::Subdomain);
        for f in &g.from {
            name(
                diags,
                "namespace",
                &f.namespace,
                g.meta.name.span,
                Rule::Label,
            );
        }
        for r in &g.refs {
            if let Some(n) = &r.name {
                name(
                    diags,
                    "referenced object",
                    n,
                    g.meta.name.span,
                    Rule::Subdomain,
                );
            }
        }
    }
    for r in &p.routes {
        meta(diags, "route", &r.meta, Rule::Subdomain);
        // Rule names are SectionNames, unique within the route.
        let mut seen: Vec<&crate::model::Spanned<String>> = Vec::new();
        for n in r.rules.iter().filter_map(|rule| rule.name.as_ref()) {
            name(diags, "rule", &n.value, n.span, Rule::Subdomain);
            if let Some(first) = seen.iter().find(|s| s.value == n.value) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateDefinition,
                        format!(
                            "route `{}` has two rules named `{}`",
                            r.meta.name.text, n.value
                        ),
                        n.span,
                        "named again here",
                    )
                    .with_label(first.span, "first named here")
                    .with_help("rule names are unique within a route; rename one"),
                );
            } else {
                seen.push(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_name_rules() {
        assert!(valid(Rule::Label, "gloo-system"));
        assert!(!valid(Rule::Label, "Gloo"));
        assert!(!valid(Rule::Label, "-a"));
        assert!(!valid(Rule::Label, &"a".repeat(64)));
        assert!(valid(Rule::Subdomain, "a.b-c"));
        assert!(!valid(Rule::Subdomain, "a..b"));
        assert!(!valid(Rule::Subdomain, "../etc"));
        assert!(!valid(Rule::Label1035, "1abc"));
        assert_eq!(suggestion("My_Route"), "my-route");
    }
}
