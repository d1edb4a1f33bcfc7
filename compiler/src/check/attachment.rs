//! Route attachment (CHECKS.md rules 12, 15, 17, 18): each parent reference must attach to at
//! least one listener — one whose protocol carries HTTPRoutes (InvalidRouteKinds), whose
//! `routes-from` admits the route's namespace (NotAllowedByListeners), and whose hostname
//! intersects the route's hostnames (NoMatchingListenerHostname) — and a gateway named twice
//! needs distinct listeners (the HTTPRoute CRD's sectionName rules).

use super::Input;
use crate::attach::Standing;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Gateway, Route};

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (r, parents) in p.routes.iter().zip(&input.attachments.routes) {
        repeated_parents(r, p, diags);
        for (pr, listeners) in r.parents.iter().zip(parents) {
            if listeners
                .iter()
                .any(|l| matches!(l.standing, Standing::Attached(_)))
            {
                continue;
            }
            let g = p.gateway(pr.gateway);
            let hostname_only = listeners
                .iter()
                .all(|l| matches!(l.standing, Standing::NoHostname));
            if hostname_only {
                diags.push(no_hostname(
                    r,
                    g,
                    listeners.iter().map(|l| l.listener),
                    pr.span,
                ));
                continue;
            }
            let mut d = Diagnostic::new(
                Code::NotAllowedByListeners,
                format!(
                    "no listener of gateway `{}` admits route `{}`",
                    g.meta.name.text, r.meta.name.text
                ),
                pr.span,
                "the route cannot attach here",
            );
            let mut help = Vec::new();
            for la in listeners {
                let l = &g.listeners[la.listener];
                match la.standing {
                    Standing::WrongKind => {
                        d = d.with_label(
                            l.protocol.span,
                            format!(
                                "listener `{}` is {}: it carries no HTTPRoutes",
                                l.name.text,
                                l.protocol.value.as_str()
                            ),
                        );
                        let http: Vec<&str> = g
                            .listeners
                            .iter()
                            .filter(|o| {
                                matches!(
                                    o.protocol.value,
                                    crate::model::Protocol::Http | crate::model::Protocol::Https
                                )
                            })
                            .map(|o| o.name.text.as_str())
                            .collect();
                        help.push(if http.is_empty() {
                            format!(
                                "gateway `{}` has no HTTP or HTTPS listener: add one",
                                g.meta.name.text
                            )
                        } else {
                            format!(
                                "attach to an HTTP or HTTPS listener (`gateway.{}.{}`)",
                                g.meta.name.text, http[0]
                            )
                        });
                    }
                    Standing::WrongNamespace => {
                        d = d.with_label(
                            l.name.span,
                            format!(
                                "listener `{}` admits routes from `{}` only (routes-from = same)",
                                l.name.text, g.meta.namespace.value
                            ),
                        );
                        help.push(format!(
                            "set `routes-from = all` on listener `{}` (or a namespace selector), or move the route to namespace `{}`",
                            l.name.text, g.meta.namespace.value
                        ));
                    }
                    Standing::NoHostname => {
                        let host = l.hostname.as_ref().map_or("any host", |h| h.value.as_str());
                        d = d.with_label(
                            l.name.span,
                            format!("listener `{}` serves {host} only", l.name.text),
                        );
                        help.push(format!(
                            "give the route a hostname that listener `{}` serves",
                            l.name.text
                        ));
                    }
                    Standing::Attached(_) => {}
                }
            }
            help.dedup();
            d = d.with_help(help.join("; or "));
            diags.push(d);
        }
    }
}

fn no_hostname(
    r: &Route,
    g: &Gateway,
    listeners: impl Iterator<Item = usize>,
    at: crate::source::Span,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::NoMatchingListenerHostname,
        format!(
            "route `{}` has no hostname that gateway `{}` serves",
            r.meta.name.text, g.meta.name.text
        ),
        at,
        "the route cannot attach here",
    );
    for h in &r.hostnames {
        d = d.with_label(h.span, format!("`{}` is served by no listener", h.value));
    }
    let mut served = Vec::new();
    for i in listeners {
        let l = &g.listeners[i];
        if let Some(h) = &l.hostname {
            d = d.with_label(
                h.span,
                format!("listener `{}` serves {}", l.name.text, h.value),
            );
            served.push(h.value.clone());
        }
    }
    d.with_help(format!(
        "give the route a hostname the listeners serve ({}; a `*.` wildcard covers subdomains, not the domain itself), or drop `hostnames` to inherit the listener's",
        served.join(", ")
    ))
}

fn repeated_parents(r: &Route, p: &crate::model::Program, diags: &mut Diagnostics) {
    for (i, pr) in r.parents.iter().enumerate() {
        if let Some(first) = r.parents[..i].iter().find(|q| {
            q.gateway == pr.gateway
                && (q.listener == pr.listener || q.listener.is_none() || pr.listener.is_none())
        }) {
            let g = p.gateway(pr.gateway);
            diags.push(
                Diagnostic::new(
                    Code::RepeatedParent,
                    format!(
                        "route `{}` names gateway `{}` twice",
                        r.meta.name.text, g.meta.name.text
                    ),
                    pr.span,
                    "named again here",
                )
                .with_label(first.span, "first named here")
                .with_help(format!(
                    "name the gateway once, or name distinct listeners: `gateway.{}.LISTENER`",
                    g.meta.name.text
                )),
            );
        }
    }
}
