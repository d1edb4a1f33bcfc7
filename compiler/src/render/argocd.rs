//! ArgoCD (`--argocd REPO_URL[,PATH_PREFIX]`): an ApplicationSet whose list generator has one
//! element per cluster folder, so ArgoCD syncs `PATH_PREFIX/<cluster>` of the repository into
//! the cluster registered in ArgoCD under the same name. Sync options: automated with prune
//! (files topoc stops producing disappear from the cluster too) and self-heal,
//! `CreateNamespace=true` (topoc does not emit Namespaces) and `ServerSideApply=true`.

use serde_json::json;

use super::{object, tera_message, ClusterBundle, Object, TemplateError};
use crate::yaml;

/// Where the output is committed for ArgoCD to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgoCd {
    pub repo_url: String,
    /// The folder of the repository that holds the cluster folders (`--out` as committed).
    pub path_prefix: String,
}

impl ArgoCd {
    /// `REPO_URL[,PATH_PREFIX]`.
    pub fn parse(s: &str) -> Result<ArgoCd, String> {
        let (repo, prefix) = s.split_once(',').unwrap_or((s, ""));
        if repo.is_empty() {
            return Err("write --argocd REPO_URL[,PATH_PREFIX]".into());
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "..") {
            return Err("the path prefix must stay inside the repository".into());
        }
        Ok(ArgoCd {
            repo_url: repo.to_string(),
            path_prefix: prefix.to_string(),
        })
    }
}

/// The ApplicationSet for the clusters that receive something, in the `argocd` namespace.
pub fn application_set(a: &ArgoCd, bundles: &[ClusterBundle]) -> Result<Object, TemplateError> {
    let templates = super::templates()?;
    let clusters: Vec<serde_json::Value> = bundles
        .iter()
        .map(|b| {
            let path = if a.path_prefix.is_empty() {
                b.name.clone()
            } else {
                format!("{}/{}", a.path_prefix, b.name)
            };
            json!({ "name": b.name, "path": path })
        })
        .collect();
    let mut cx = tera::Context::new();
    cx.insert("clusters", &clusters);
    cx.insert("repo", &a.repo_url);
    cx.insert("revision", "HEAD");
    cx.insert("project", "default");
    let error = |message: String, rendered| TemplateError {
        template: "stdlib/templates/applicationset.yaml.tera".into(),
        what: "the ArgoCD ApplicationSet".into(),
        message,
        rendered,
    };
    let text = templates
        .render("applicationset.yaml.tera", &cx)
        .map_err(|e| error(tera_message(&e), None))?;
    let mut value =
        yaml::parse(&text).map_err(|e| error(e.message, Some((text.clone(), e.line, e.column))))?;
    value["metadata"] = json!({
        "name": "topoc-clusters",
        "namespace": "argocd",
        "labels": { super::MANAGED_BY.0: super::MANAGED_BY.1 },
    });
    Ok(object(
        "ApplicationSet",
        "topoc-clusters",
        Some("argocd"),
        &value,
    ))
}
