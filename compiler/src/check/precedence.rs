//! Precedence ties (CHECKS.md rule 5): when two routes attached to one listener have an
//! identical match for a common hostname, the Gateway API gives the request to the older route
//! — by creation time, which differs from cluster to cluster. The winner can then differ per
//! cluster. A warning: sometimes intended during a migration (`allow = [W0312]`).

use std::collections::BTreeMap;

use super::Input;
use crate::attach::Standing;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Match, PathMatch, StringMatch};
use crate::resolve::place::names;

/// A match in a canonical, comparable form. A rule without matches matches `PathPrefix /`.
fn key(m: Option<&Match>) -> String {
    let Some(m) = m else { return "prefix:/".into() };
    let path = match m.path.as_ref().map(|p| &p.value) {
        None => "prefix:/".to_string(),
        Some(PathMatch::Prefix(v)) => format!("prefix:{v}"),
        Some(PathMatch::Exact(v)) => format!("exact:{v}"),
        Some(PathMatch::Regex(v)) => format!("regex:{v}"),
    };
    let sm = |pairs: &[(crate::model::Name, StringMatch)]| {
        let mut v: Vec<String> = pairs
            .iter()
            .map(|(n, s)| match s {
                StringMatch::Exact(x) => format!("{}={x}", n.text.to_ascii_lowercase()),
                StringMatch::Regex(x) => format!("{}~{x}", n.text.to_ascii_lowercase()),
            })
            .collect();
        v.sort();
        v.join("&")
    };
    format!(
        "{path}|{}|{}|{}",
        m.method.as_deref().unwrap_or(""),
        sm(&m.headers),
        sm(&m.query)
    )
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    // Requests tie only on a hostname both routes claim alike: the Gateway API ranks a more
    // specific hostname first, so `api.example.com` beats `*.example.com` or no hostname at
    // all. Bucketing by (gateway, listener, match, effective hostname) makes every pair in a
    // bucket a tie, so no pairwise hostname comparison is needed (it was quadratic in the
    // number of routes on a listener).
    type Users = Vec<(usize, crate::source::Span)>;
    let mut buckets: BTreeMap<(u32, usize, String, Option<String>), Users> = BTreeMap::new();
    for (ri, r) in p.routes.iter().enumerate() {
        for (pr, listeners) in r.parents.iter().zip(&input.attachments.routes[ri]) {
            for la in listeners {
                let Standing::Attached(hosts) = &la.standing else {
                    continue;
                };
                let hosts: Vec<Option<String>> = match hosts {
                    None => vec![None],
                    Some(hs) => hs.iter().cloned().map(Some).collect(),
                };
                for rule in &r.rules {
                    let ms: Vec<Option<&Match>> = if rule.matches.is_empty() {
                        vec![None]
                    } else {
                        rule.matches.iter().map(Some).collect()
                    };
                    for m in ms {
                        let span = m.and_then(|m| m.span).unwrap_or(rule.span);
                        let k = key(m);
                        for h in &hosts {
                            buckets
                                .entry((pr.gateway.0, la.listener, k.clone(), h.clone()))
                                .or_default()
                                .push((ri, span));
                        }
                    }
                }
            }
        }
    }
    let mut reported = std::collections::BTreeSet::new();
    for ((gi, li, _, _), users) in &buckets {
        for (i, (rb, span_b)) in users.iter().enumerate() {
            // Report a route once per bucket, against the first earlier route it shares a
            // cluster with: linear in the bucket's size.
            let earlier = users[..i].iter().find(|(ra, _)| {
                ra != rb && {
                    let mut common = input.placement.routes[*ra].clusters.clone();
                    common.intersect_with(&input.placement.routes[*rb].clusters);
                    !common.is_clear()
                }
            });
            let Some((ra, _)) = earlier else { continue };
            if !reported.insert((*ra.min(rb), *ra.max(rb))) {
                continue;
            }
            let mut common = input.placement.routes[*ra].clusters.clone();
            common.intersect_with(&input.placement.routes[*rb].clusters);
            let g = &p.gateways[*gi as usize];
            let (a, b) = (&p.routes[*ra], &p.routes[*rb]);
            diags.push(
                Diagnostic::new(
                    Code::PrecedenceTie,
                    format!(
                        "routes `{}` and `{}` match the same requests on listener `{}` of gateway `{}` in {}",
                        a.meta.name.text,
                        b.meta.name.text,
                        g.listeners[*li].name.text,
                        g.meta.name.text,
                        names(p, &common)
                    ),
                    *span_b,
                    "identical match",
                )
                .with_label(a.meta.name.span, "the other route")
                .with_help("the older route wins, and creation times differ per cluster: make the matches differ (path, header, method), or merge the routes"),
            );
        }
    }
}
