//! Which listeners each route attaches to, and with which hostnames (Gateway API route
//! attachment: parentRefs, sectionName, allowedRoutes, hostname intersection). Computed once
//! after placement; the checks report what fails to attach, and later stages can read the
//! effective hostnames of every route on every listener.

use crate::model::*;

/// How a route stands on one listener it targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Attached, serving these hostnames (`None`: every hostname the listener accepts).
    Attached(Option<Vec<String>>),
    /// The listener's protocol does not carry HTTPRoutes (TCP, TLS).
    WrongKind,
    /// `routes-from = same` and the route is in another namespace.
    WrongNamespace,
    /// No route hostname falls under the listener's hostname.
    NoHostname,
}

/// One targeted listener of one parent reference.
#[derive(Clone, Debug)]
pub struct ListenerAttach {
    pub listener: usize,
    pub standing: Standing,
}

/// Per route, per parent reference (in order), per targeted listener.
#[derive(Clone, Debug, Default)]
pub struct Attachments {
    pub routes: Vec<Vec<Vec<ListenerAttach>>>,
}

pub fn attach(p: &Program) -> Attachments {
    let routes = p
        .routes
        .iter()
        .map(|r| {
            r.parents
                .iter()
                .map(|pr| {
                    let g = p.gateway(pr.gateway);
                    let targeted: Vec<usize> = match pr.listener {
                        Some(i) => vec![i],
                        None => (0..g.listeners.len()).collect(),
                    };
                    targeted
                        .into_iter()
                        .map(|i| ListenerAttach {
                            listener: i,
                            standing: standing(r, g, &g.listeners[i]),
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    Attachments { routes }
}

fn standing(r: &Route, g: &Gateway, l: &Listener) -> Standing {
    if !matches!(l.protocol.value, Protocol::Http | Protocol::Https) {
        return Standing::WrongKind;
    }
    // Namespace selectors cannot be judged: topoc does not model namespace labels.
    if l.routes_from == RoutesFrom::Same && r.meta.namespace.value != g.meta.namespace.value {
        return Standing::WrongNamespace;
    }
    let route_hosts: Vec<&str> = r.hostnames.iter().map(|h| h.value.as_str()).collect();
    match (&l.hostname, route_hosts.is_empty()) {
        (None, true) => Standing::Attached(None),
        (None, false) => {
            Standing::Attached(Some(route_hosts.iter().map(|h| h.to_string()).collect()))
        }
        (Some(lh), true) => Standing::Attached(Some(vec![lh.value.clone()])),
        (Some(lh), false) => {
            let mut hosts: Vec<String> = route_hosts
                .iter()
                .filter_map(|rh| intersect(&lh.value, rh))
                .collect();
            hosts.sort();
            hosts.dedup();
            if hosts.is_empty() {
                Standing::NoHostname
            } else {
                Standing::Attached(Some(hosts))
            }
        }
    }
}

/// Whether a wildcard `*.suffix` covers `host`: one or more labels in front of `.suffix`,
/// never `suffix` itself.
fn covers(wildcard_suffix: &str, host: &str) -> bool {
    host.len() > wildcard_suffix.len() + 1
        && host.ends_with(wildcard_suffix)
        && host.as_bytes()[host.len() - wildcard_suffix.len() - 1] == b'.'
}

/// The hostnames two patterns both match, as the more specific pattern; `None` when disjoint.
pub fn intersect(a: &str, b: &str) -> Option<String> {
    match (a.strip_prefix("*."), b.strip_prefix("*.")) {
        (None, None) => (a == b).then(|| a.to_string()),
        (Some(sa), None) => covers(sa, b).then(|| b.to_string()),
        (None, Some(sb)) => covers(sb, a).then(|| a.to_string()),
        (Some(sa), Some(sb)) => {
            if sa == sb || covers(sb, sa) {
                Some(a.to_string())
            } else if covers(sa, sb) {
                Some(b.to_string())
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::intersect;

    #[test]
    fn hostname_intersection() {
        assert_eq!(
            intersect("example.com", "example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            intersect("*.example.com", "foo.example.com").as_deref(),
            Some("foo.example.com")
        );
        assert_eq!(
            intersect("*.example.com", "a.b.example.com").as_deref(),
            Some("a.b.example.com")
        );
        assert_eq!(
            intersect("*.example.com", "example.com"),
            None,
            "a wildcard never matches its own suffix"
        );
        assert_eq!(
            intersect("foo.example.com", "*.example.com").as_deref(),
            Some("foo.example.com")
        );
        assert_eq!(
            intersect("*.example.com", "*.foo.example.com").as_deref(),
            Some("*.foo.example.com")
        );
        assert_eq!(
            intersect("*.foo.example.com", "*.example.com").as_deref(),
            Some("*.foo.example.com")
        );
        assert_eq!(intersect("*.a.com", "*.b.com"), None);
        assert_eq!(intersect("badexample.com", "*.example.com"), None);
    }
}
