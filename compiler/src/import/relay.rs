//! The Gloo relay's annotations (seed 000): `gloo.solo.io/distribute-to` on a source object in
//! the management cluster says where the relay copies it (and into which namespace);
//! `gloo.solo.io/distributed-source` on a copy names the management cluster it came from.

use super::fields::Cx;
use crate::diag::{Code, Diagnostic};
use crate::render::{DISTRIBUTED_SOURCE, DISTRIBUTE_TO};
use crate::source::Span;
use crate::yaml::{Node, NodeValue};

/// Where the relay copies an object (`gloo.solo.io/distribute-to`).
#[derive(Clone, Debug)]
pub(crate) struct Relay {
    /// `None` for `*` (every workload cluster); otherwise the clusters named.
    pub clusters: Option<Vec<String>>,
    pub span: Span,
}

/// The relay's provenance annotation on a workload copy: the management cluster and namespace.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub cluster: String,
    pub namespace: String,
    pub span: Span,
}

/// `gloo.solo.io/distribute-to` (seed 000): `*`, `*/ns`, `a, b`, `a/ns, b/ns`, or empty for no
/// cluster. Returns the targets and the namespace the copies land in, when one is given.
pub(crate) fn distribute_to(
    cx: &mut Cx,
    node: &Node,
    namespace: &str,
) -> Option<(Relay, Option<String>)> {
    let span = cx.span(node);
    let text = match &node.value {
        NodeValue::Null => "",
        _ => cx.text(node, &format!("metadata.annotations.{DISTRIBUTE_TO}"))?,
    };
    let mut all = false;
    let mut clusters = Vec::new();
    let mut namespaces = std::collections::BTreeSet::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (cluster, ns) = match entry.split_once('/') {
            Some((c, ns)) => (c.trim(), Some(ns.trim())),
            None => (entry, None),
        };
        namespaces.insert(ns.unwrap_or(namespace).to_string());
        if cluster == "*" {
            all = true;
        } else if !cluster.is_empty() && ns.is_none_or(|n| !n.is_empty()) {
            clusters.push(super::read::cluster_name(cluster));
        } else {
            cx.diags.push(
                Diagnostic::new(
                    Code::ImportRelayAnnotation,
                    format!("`{entry}` is not a distribution target"),
                    span,
                    "in this annotation",
                )
                .with_help("write `*`, `*/NAMESPACE`, `CLUSTER` or `CLUSTER/NAMESPACE`, separated by commas"),
            );
            return None;
        }
    }
    if namespaces.len() > 1 {
        let list: Vec<&str> = namespaces.iter().map(String::as_str).collect();
        cx.diags.push(
            Diagnostic::new(
                Code::ImportRelayAnnotation,
                format!(
                    "the relay copies this object into different namespaces ({}); a topoc definition has one namespace everywhere",
                    list.join(", ")
                ),
                span,
                "several namespaces",
            )
            .with_help("split the object into one object per namespace, each with its own name"),
        );
        return None;
    }
    let target_ns = namespaces.into_iter().next().filter(|n| n != namespace);
    let relay = Relay {
        clusters: (!all).then_some(clusters),
        span,
    };
    Some((relay, target_ns))
}

/// `gloo://CLUSTER/ns/NAMESPACE/kind/KIND/name/NAME`
pub(crate) fn distributed_source(cx: &mut Cx, node: &Node) -> Option<Source> {
    let text = cx.text(node, &format!("metadata.annotations.{DISTRIBUTED_SOURCE}"))?;
    let parts: Vec<&str> = text.strip_prefix("gloo://")?.split('/').collect();
    match parts.as_slice() {
        [cluster, "ns", namespace, ..] => Some(Source {
            cluster: super::read::cluster_name(cluster),
            namespace: namespace.to_string(),
            span: cx.span(node),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    /// The targets and namespace an annotation value reads as; `None` when it is refused.
    fn read(value: &str) -> Option<(Option<Vec<String>>, Option<String>)> {
        let text = format!("v: \"{value}\"\n");
        let docs = crate::yaml::parse_documents(&text).ok()?;
        let node = docs.first()?.get("v")?;
        let mut cx = Cx {
            file: FileId(0),
            diags: Vec::new(),
            refs: Vec::new(),
            needs: None,
            revisions: Vec::new(),
        };
        distribute_to(&mut cx, node, "gloo-mesh").map(|(r, ns)| (r.clusters, ns))
    }

    fn names(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn every_form_of_seed_000_reads() {
        assert_eq!(read("*"), Some((None, None)));
        assert_eq!(
            read("*/gloo-system"),
            Some((None, Some("gloo-system".into())))
        );
        assert_eq!(read("qa, canary"), Some((names(&["qa", "canary"]), None)));
        assert_eq!(
            read("east/web, west/web"),
            Some((names(&["east", "west"]), Some("web".into())))
        );
        // The source namespace is where copies land when no namespace is given.
        assert_eq!(
            read("east/gloo-mesh, west"),
            Some((names(&["east", "west"]), None))
        );
        assert_eq!(read(""), Some((names(&[]), None)));
    }

    #[test]
    fn forms_topoc_cannot_write_are_refused() {
        assert_eq!(read("east/a, west/b"), None);
        assert_eq!(read("east/"), None);
        assert_eq!(read("/web"), None);
    }
}
