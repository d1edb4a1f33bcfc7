//! `--store consul` (seed 004, "Gloo Edge on Consul"): each cluster's objects as one
//! `consul kv import` file, `DIR/<cluster>.consul.json`, instead of YAML manifests.
//!
//! Gloo Edge can keep its configuration in Consul's key/value store instead of Kubernetes
//! custom resources. Its Consul client (solo-kit's `consul.ResourceClient`) stores a resource
//! under `<root>/<group>/<version>/<Kind>/<namespace>/<name>` (root `gloo` unless Gloo's
//! Settings say otherwise) and reads the value with `protoutils.UnmarshalYAML`: YAML of the
//! resource's protobuf message, that is the Kubernetes object's `spec` fields at the top
//! level beside `metadata`, with no `apiVersion`, `kind` or `spec` (jsonpb rejects unknown
//! fields, so writing the Kubernetes object itself would not load). The group, version and
//! kind live in the key instead. [`to_resource`] and [`from_resource`] convert between the two
//! forms; the round trip is tested on every example.
//!
//! The file is what `consul kv export` writes and `consul kv import @FILE` reads: a JSON array
//! of `{"key", "flags", "value"}` with base64 values, here sorted by key.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::emit::{Content, Tree};
use crate::render::{ClusterBundle, TemplateError};
use crate::yaml;

/// The key prefix Gloo uses when its Settings do not name one (`consulKvSource.rootKey`).
pub const DEFAULT_ROOT: &str = "gloo";

/// What ends the name of a cluster's import file.
pub const SUFFIX: &str = ".consul.json";

/// Where in Consul the objects go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsulKv {
    /// The key prefix, without leading or trailing `/`.
    pub root: String,
}

impl Default for ConsulKv {
    fn default() -> Self {
        ConsulKv {
            root: DEFAULT_ROOT.to_string(),
        }
    }
}

impl ConsulKv {
    /// A `--consul-root` value: one or more `/`-separated segments, none empty, `.` or `..`
    /// (Consul keys are paths; an empty segment would make a key Gloo never lists).
    pub fn with_root(root: &str) -> Result<ConsulKv, String> {
        let root = root.trim_matches('/');
        let bad = root.is_empty()
            || root.split('/').any(|s| {
                s.is_empty() || s == "." || s == ".." || s.chars().any(char::is_whitespace)
            });
        if bad {
            return Err(format!(
                "`{root}` is not a Consul key prefix: write segments separated by `/`, such as `gloo` or `teams/edge/gloo`"
            ));
        }
        Ok(ConsulKv {
            root: root.to_string(),
        })
    }
}

/// The key of an object: `<root>/<group>/<version>/<Kind>/<namespace>/<name>`.
pub fn key(root: &str, api_version: &str, kind: &str, namespace: &str, name: &str) -> String {
    format!("{root}/{api_version}/{kind}/{namespace}/{name}")
}

/// The Kubernetes form of an object → the resource Gloo's Consul client reads: `metadata`
/// (name, namespace, labels, annotations) and the spec's fields side by side.
pub fn to_resource(object: &Value) -> Result<Value, String> {
    let mut resource = match object.get("spec") {
        Some(Value::Object(spec)) => spec.clone(),
        Some(_) => return Err("`spec` is not a map".into()),
        None => Map::new(),
    };
    if resource.contains_key("metadata") {
        return Err("the spec has a `metadata` field, which would shadow the object's".into());
    }
    let metadata = object
        .get("metadata")
        .cloned()
        .ok_or("the object has no metadata")?;
    resource.insert("metadata".into(), metadata);
    Ok(Value::Object(resource))
}

/// The inverse of [`to_resource`], given the group/version and kind named by the key.
pub fn from_resource(api_version: &str, kind: &str, resource: &Value) -> Value {
    let mut spec = resource.as_object().cloned().unwrap_or_default();
    let metadata = spec.remove("metadata").unwrap_or(Value::Null);
    json!({ "apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec })
}

/// One key/value pair, its fields in the order `consul kv export` writes them.
#[derive(serde::Serialize)]
struct Entry {
    key: String,
    /// Consul's opaque per-key flags; Gloo neither sets nor reads them.
    flags: u64,
    /// base64 of the resource's YAML.
    value: String,
}

/// One `DIR/<cluster>.consul.json` per cluster that receives something.
pub fn tree(bundles: &[ClusterBundle], kv: &ConsulKv) -> Result<Tree, TemplateError> {
    let mut tree = Tree::new();
    for b in bundles {
        let mut entries = Vec::with_capacity(b.objects.len());
        for o in &b.objects {
            // Our own canonical YAML: a failure here is a bug in topoc, reported as such.
            let internal = |message: String| TemplateError {
                template: "the Consul store".into(),
                what: format!("{} `{}` in {}", o.kind, o.name, b.name),
                message,
                rendered: Some((o.yaml.to_string(), 1, 1)),
            };
            let object = yaml::parse(&o.yaml).map_err(|e| internal(e.message))?;
            let api_version = object
                .get("apiVersion")
                .and_then(Value::as_str)
                .ok_or_else(|| internal("no apiVersion".into()))?;
            let namespace = o
                .namespace()
                .ok_or_else(|| internal("Gloo keeps only namespaced resources in Consul".into()))?;
            let resource = to_resource(&object).map_err(internal)?;
            let value =
                base64::engine::general_purpose::STANDARD.encode(yaml::to_string(&resource));
            entries.push(Entry {
                key: key(&kv.root, api_version, o.kind, namespace, &o.name),
                flags: 0,
                value,
            });
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        let mut text = serde_json::to_string_pretty(&entries).map_err(|e| TemplateError {
            template: "the Consul store".into(),
            what: b.name.clone(),
            message: e.to_string(),
            rendered: None,
        })?;
        text.push('\n');
        tree.insert(format!("{}{SUFFIX}", b.name), Content::new(text));
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_gloos_consul_client() {
        assert_eq!(
            key(
                "gloo",
                "gateway.solo.io/v1",
                "VirtualService",
                "gloo-system",
                "default"
            ),
            "gloo/gateway.solo.io/v1/VirtualService/gloo-system/default"
        );
    }

    #[test]
    fn roots_are_key_prefixes() {
        assert_eq!(
            ConsulKv::with_root("/teams/edge/").map(|k| k.root),
            Ok("teams/edge".into())
        );
        for bad in ["", "/", "a//b", "a/../b", "a b"] {
            assert!(ConsulKv::with_root(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resource_form_round_trips() {
        let object = json!({
            "apiVersion": "gloo.solo.io/v1",
            "kind": "Upstream",
            "metadata": {"name": "u", "namespace": "n", "labels": {"a": "b"}},
            "spec": {"kube": {"serviceName": "s", "serviceNamespace": "n", "servicePort": 80}},
        });
        let resource = to_resource(&object).expect("converts");
        assert_eq!(resource["kube"]["servicePort"], 80);
        assert_eq!(resource["metadata"]["name"], "u");
        assert!(resource.get("spec").is_none() && resource.get("kind").is_none());
        assert_eq!(
            from_resource("gloo.solo.io/v1", "Upstream", &resource),
            object
        );
    }
}
