//! Helpers of the seed tests (`seed_001.rs`, `seed_003.rs`), which compare the YAML a source
//! document shows with the object topoc writes for it in an example's golden tree.
//!
//! The source documents are in `../shared/seeds` (the `shared/` folder beside the checkout;
//! `TOPOC_SHARED=/path/to/shared` overrides it). [`seed`] returns `None`, after printing
//! `skipping: …`, when that folder is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

/// `$TOPOC_SHARED/seeds` if the variable is set, else `../shared/seeds` beside the repo.
pub fn seeds_dir() -> PathBuf {
    match std::env::var_os("TOPOC_SHARED") {
        Some(shared) if !shared.is_empty() => PathBuf::from(shared).join("seeds"),
        _ => super::repo().join("../shared/seeds"),
    }
}

/// The text of the seed document whose file name starts with `prefix` (`"001_"`), or `None`,
/// after saying so, when `../shared/seeds` is absent. A present folder without that document
/// is a failure, not a skip.
pub fn seed(prefix: &str) -> Option<String> {
    let dir = seeds_dir();
    if !dir.is_dir() {
        println!(
            "skipping: this test needs ../shared/seeds (looked in {})",
            dir.display()
        );
        return None;
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read ../shared/seeds") {
        let path = entry.expect("read ../shared/seeds").path();
        let name = path
            .file_name()
            .expect("named")
            .to_string_lossy()
            .into_owned();
        if name.starts_with(prefix) && name.ends_with(".txt") {
            found.push(path);
        }
    }
    assert_eq!(
        found.len(),
        1,
        "exactly one document {prefix}*.txt in {}",
        dir.display()
    );
    Some(std::fs::read_to_string(&found[0]).expect("read the seed document"))
}

/// Whether `document` shows `snippet`, word for word: the pages' text keeps the YAML's words
/// but not always its line breaks and indentation, so both are compared as sequences of
/// whitespace-separated words, whole words (`v2.1.0` is not `v2.1.0-main`) but for the first,
/// which the text may glue to the sentence before it (`configuration.apiVersion:`).
pub fn shows(document: &str, snippet: &str) -> bool {
    let document: Vec<&str> = document.split_whitespace().collect();
    let snippet: Vec<&str> = snippet.split_whitespace().collect();
    let Some((first, rest)) = snippet.split_first() else {
        return false;
    };
    document
        .windows(snippet.len())
        .any(|w| w[0].ends_with(first) && w[1..] == *rest)
}

/// A YAML object as JSON.
pub fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("YAML parses: {e}\n{text}"))
}

/// The folder of an example's golden output.
pub fn golden_dir(example: &str) -> PathBuf {
    super::repo().join("golden").join(example)
}

/// The cluster folders of an example's golden output.
pub fn golden_clusters(example: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(golden_dir(example))
        .expect("golden folder exists")
        .map(|e| e.expect("read golden folder").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().expect("named").to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Every object of one cluster folder, with its `(kind, namespace, name)`; the namespace is
/// empty for a cluster-scoped object. The folder's `kustomization.yaml`, topoc's index of the
/// folder rather than an object of the cluster, is left out.
pub fn golden_objects(example: &str, cluster: &str) -> Vec<((String, String, String), Value)> {
    let dir = golden_dir(example).join(cluster);
    assert!(dir.is_dir(), "no cluster folder {}", dir.display());
    let mut out = Vec::new();
    for (path, text) in super::read_tree(&dir) {
        if path == "kustomization.yaml" {
            continue;
        }
        let object = yaml(&text);
        let field = |pointer: &str| {
            object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        out.push((
            (
                field("/kind"),
                field("/metadata/namespace"),
                field("/metadata/name"),
            ),
            object,
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The `(kind, namespace, name)` of every object of one cluster folder, sorted.
pub fn golden_inventory(example: &str, cluster: &str) -> Vec<(String, String, String)> {
    golden_objects(example, cluster)
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

/// The one object of `kind`, `namespace` (`""`: cluster-scoped) and `name` in a cluster folder.
pub fn golden_object(
    example: &str,
    cluster: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Value {
    let mut found: Vec<Value> = golden_objects(example, cluster)
        .into_iter()
        .filter(|((k, ns, n), _)| k == kind && ns == namespace && n == name)
        .map(|(_, object)| object)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {kind} {namespace}/{name} in golden/{example}/{cluster}"
    );
    found.pop().expect("one")
}

/// Every difference between the document's object and topoc's, one line each, in a stable
/// order: `+ PATH: VALUE` for a field only topoc writes, `- PATH: VALUE` for a field of the
/// document that topoc does not write, `~ PATH: DOCUMENT -> TOPOC` for a different value.
/// Lists are compared item by item; a path reads `spec.rules[0].backendRefs[0].port`, with
/// `["…"]` for a key that is not a plain word (`metadata.labels["app.kubernetes.io/managed-by"]`).
/// An empty list means the two objects are equal.
pub fn differences(document: &Value, topoc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(String::new(), document, topoc, &mut out);
    out
}

fn walk(path: String, document: &Value, topoc: &Value, out: &mut Vec<String>) {
    match (document, topoc) {
        (Value::Object(d), Value::Object(t)) => {
            let keys: BTreeSet<&String> = d.keys().chain(t.keys()).collect();
            for key in keys {
                let path = child(&path, key);
                match (d.get(key), t.get(key)) {
                    (Some(d), Some(t)) => walk(path, d, t, out),
                    (Some(d), None) => out.push(format!("- {path}: {d}")),
                    (None, Some(t)) => out.push(format!("+ {path}: {t}")),
                    (None, None) => unreachable!("a key of one of the two"),
                }
            }
        }
        (Value::Array(d), Value::Array(t)) => {
            for i in 0..d.len().max(t.len()) {
                let path = format!("{path}[{i}]");
                match (d.get(i), t.get(i)) {
                    (Some(d), Some(t)) => walk(path, d, t, out),
                    (Some(d), None) => out.push(format!("- {path}: {d}")),
                    (None, Some(t)) => out.push(format!("+ {path}: {t}")),
                    (None, None) => unreachable!("an index of one of the two"),
                }
            }
        }
        (d, t) if d == t => {}
        (d, t) => out.push(format!("~ {path}: {d} -> {t}")),
    }
}

fn child(path: &str, key: &str) -> String {
    let word = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), word) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_string())),
    }
}

/// What topoc adds to every object it writes: its `managed-by` label.
pub const MANAGED_BY: &str = r#"+ metadata.labels: {"app.kubernetes.io/managed-by":"topoc"}"#;

/// Every object of a multi-document YAML text (`---` between them), as JSON.
pub fn yaml_all(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("YAML parses: {e}\n{text}"))
        })
        .collect()
}

/// `$TOPOC_SHARED/corpus` if the variable is set, else `../shared/corpus` beside the repo.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("TOPOC_SHARED") {
        Some(shared) if !shared.is_empty() => PathBuf::from(shared).join("corpus"),
        _ => super::repo().join("../shared/corpus"),
    }
}

/// The schema of `spec.PATH` in the standard Gateway API CRD `file`
/// (`gateway.networking.k8s.io_httproutes.yaml`), version v1, from `../shared/corpus`; lists
/// are stepped through to their items. `None`, after saying so, when the corpus is absent.
pub fn gateway_api_schema(file: &str, path: &[&str]) -> Option<Value> {
    let crd = corpus_dir()
        .join("gateway-api/config/crd/standard")
        .join(file);
    if !crd.is_file() {
        println!(
            "skipping: this test needs ../shared/corpus (looked for {})",
            crd.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(&crd).expect("read the CRD");
    let crd = yaml_all(&text).into_iter().next().expect("one CRD");
    let versions = crd["spec"]["versions"].as_array().expect("versions");
    let v1 = versions
        .iter()
        .find(|v| v["name"] == "v1")
        .expect("a v1 version");
    let mut node = &v1["schema"]["openAPIV3Schema"]["properties"]["spec"];
    for segment in path {
        node = &node["properties"][*segment];
        assert!(!node.is_null(), "no {segment} in {}", path.join("."));
        if node["type"] == "array" {
            node = &node["items"];
        }
    }
    Some(node.clone())
}
