//! Every object topoc emits must validate against the CRD schema its vendor publishes.
//!
//! The golden output tree (`golden/` at the repo root) is what topoc writes; this test loads the
//! `CustomResourceDefinition`s of the vendor corpus and checks each golden object against the
//! `openAPIV3Schema` of its group/version/kind, the way a Kubernetes API server with strict field
//! validation would (unknown fields are errors). Objects of built-in Kubernetes kinds (Service,
//! Secret, ...) are checked against the typed `k8s-openapi` structs instead.
//!
//! **Needs `../shared/corpus`** (the `shared/` folder beside the repo checkout; override with the
//! environment variable `TOPOC_SHARED=/path/to/shared`). Without it every test here prints
//! `skipping: ../shared/corpus not present` and passes.
//!
//! What the API server would check but this test cannot: CEL rules (`x-kubernetes-validations`)
//! are counted and reported, not evaluated; built-in kinds get type/field/required checks, not the
//! server's per-field value rules (port ranges, selector syntax, ...).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, Keyword, PatternOptions, ValidationError, Validator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------------
// Where things are
// ---------------------------------------------------------------------------------------------

/// The CRD folders of the corpus, in precedence order: when two define the same
/// group/version/kind the first one wins (so standard Gateway API beats experimental).
const CRD_DIRS: &[&str] = &[
    "gateway-api/config/crd/standard",
    "gateway-api/config/crd/experimental",
    "gloo",
    "kgateway",
    "istio",
    "kuma",
    "argocd",
    "solo-apis",
];

/// The tree of emitted manifests this test checks.
fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden")
}

/// `$TOPOC_SHARED/corpus` if the variable is set, else `../shared/corpus` beside the repo.
fn corpus_dir() -> PathBuf {
    match std::env::var_os("TOPOC_SHARED") {
        Some(shared) if !shared.is_empty() => PathBuf::from(shared).join("corpus"),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

/// The loaded corpus, or `None` (after printing the skip line) when it is not there.
fn catalog_or_skip() -> Option<&'static Catalog> {
    static CATALOG: OnceLock<Option<Catalog>> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| {
        let dir = corpus_dir();
        dir.is_dir().then(|| Catalog::load(&dir))
    });
    if catalog.is_none() {
        println!(
            "skipping: ../shared/corpus not present (looked in {})",
            corpus_dir().display()
        );
    }
    catalog.as_ref()
}

// ---------------------------------------------------------------------------------------------
// YAML documents
// ---------------------------------------------------------------------------------------------

/// The non-empty documents of a multi-document YAML text, with their 0-based document index.
fn parse_yaml_docs(text: &str) -> Result<Vec<(usize, Value)>, String> {
    let mut docs = Vec::new();
    for (index, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(doc).map_err(|e| format!("document {index}: {e}"))?;
        if !value.is_null() {
            docs.push((index, value));
        }
    }
    Ok(docs)
}

/// `parse_yaml_docs` of a file; the error names the file.
fn read_yaml_docs(path: &Path) -> Result<Vec<(usize, Value)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_yaml_docs(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every `*.yaml` / `*.yml` file below `dir`, sorted; none if `dir` does not exist.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------------------------
// Group/version/kind
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Gvk {
    group: String,
    version: String,
    kind: String,
}

impl Gvk {
    /// Splits `apiVersion` (`group/version`, or just `version` for the core group).
    fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        Gvk {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }
}

impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            write!(f, "{} {}", self.version, self.kind)
        } else {
            write!(f, "{}/{} {}", self.group, self.version, self.kind)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The CRD catalog
// ---------------------------------------------------------------------------------------------

/// One served version of one CRD.
struct CrdVersion {
    /// The corpus file it came from (for messages).
    source: PathBuf,
    /// `openAPIV3Schema` as published; `None` for schema-less (`apiextensions/v1beta1`) CRDs.
    schema: Option<Value>,
}

/// What one CRD folder of the corpus contributed.
#[derive(Default)]
struct FolderStats {
    /// `CustomResourceDefinition` documents read.
    crds: usize,
    /// Served group/version/kinds added to the catalog.
    versions: usize,
    /// Served versions already defined by an earlier folder (experimental vs standard).
    shadowed: usize,
}

/// What the corpus holds, and compiled validators for the kinds used so far.
struct Catalog {
    crds: HashMap<Gvk, CrdVersion>,
    loaded: Vec<(&'static str, FolderStats)>,
    /// Files under the CRD folders that are not YAML (Helm templates): path and parse error.
    unparsable: Vec<(PathBuf, String)>,
    validators: Mutex<HashMap<Gvk, Arc<Compiled>>>,
}

impl Catalog {
    /// Reads every CRD under `CRD_DIRS` of `corpus`.
    fn load(corpus: &Path) -> Catalog {
        let mut catalog = Catalog {
            crds: HashMap::new(),
            loaded: Vec::new(),
            unparsable: Vec::new(),
            validators: Mutex::new(HashMap::new()),
        };
        for &dir in CRD_DIRS {
            let mut stats = FolderStats::default();
            for file in yaml_files(&corpus.join(dir)) {
                match read_yaml_docs(&file) {
                    Ok(docs) => catalog.add_crds(&file, &docs, &mut stats),
                    Err(error) => catalog.unparsable.push((file, error)),
                }
            }
            catalog.loaded.push((dir, stats));
        }
        let mut stats = FolderStats::default();
        for (gvk, source, schema) in transcribed_crds() {
            if catalog.crds.contains_key(&gvk) {
                stats.shadowed += 1;
                continue;
            }
            stats.crds += 1;
            stats.versions += 1;
            let crd = CrdVersion {
                source: PathBuf::from(source),
                schema: Some(schema),
            };
            catalog.crds.insert(gvk, crd);
        }
        catalog
            .loaded
            .push(("transcribed below (no CRD in the corpus)", stats));
        catalog
    }

    /// Adds the served versions of the CRDs among `docs`, keeping earlier definitions.
    fn add_crds(&mut self, file: &Path, docs: &[(usize, Value)], stats: &mut FolderStats) {
        for (_, doc) in docs.iter().filter(|(_, doc)| is_crd(doc)) {
            stats.crds += 1;
            for (gvk, schema) in crd_versions(doc) {
                if self.crds.contains_key(&gvk) {
                    stats.shadowed += 1;
                    continue;
                }
                let source = file.to_path_buf();
                self.crds.insert(gvk, CrdVersion { source, schema });
                stats.versions += 1;
            }
        }
    }

    /// The compiled validator of `gvk`, compiling it on first use.
    fn validator(&self, gvk: &Gvk) -> Result<Option<Arc<Compiled>>, String> {
        let Some(crd) = self.crds.get(gvk) else {
            return Ok(None);
        };
        let mut cache = self
            .validators
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(compiled) = cache.get(gvk) {
            return Ok(Some(Arc::clone(compiled)));
        }
        let compiled = Arc::new(Compiled::new(crd).map_err(|e| {
            format!(
                "schema of {gvk} from {} does not compile: {e}",
                crd.source.display()
            )
        })?);
        cache.insert(gvk.clone(), Arc::clone(&compiled));
        Ok(Some(compiled))
    }

    /// A human summary of what was loaded, for the test log.
    fn describe(&self) -> String {
        let mut lines = vec!["CRDs loaded from the corpus:".to_owned()];
        for (dir, stats) in &self.loaded {
            let shadowed = match stats.shadowed {
                0 => String::new(),
                n => format!(" ({n} more already defined above)"),
            };
            lines.push(format!(
                "  {dir}: {} CRDs, {} served versions{shadowed}",
                stats.crds, stats.versions
            ));
        }
        lines.push(format!(
            "  {} files skipped as not YAML (Helm templates?)",
            self.unparsable.len()
        ));
        for (file, error) in &self.unparsable {
            lines.push(format!("    {}: {error}", file.display()));
        }
        lines.join("\n")
    }
}

/// Kinds topoc emits that have no CRD in the corpus, with a schema transcribed from their
/// vendor's API reference, so that a misspelled or invented field still fails (a CRD of the
/// corpus wins if one appears):
///
/// - `admin.gloo.solo.io/v2` `GatewayLifecycleManager`: solo-apis publishes only its proto
///   (`../shared/corpus/solo-apis/README.md`). The fields and types are those of the reference
///   in `../shared/seeds/002_…` (`spec`, `installations`, `clusters`); `helmGlobal` has the
///   fields of `IstioLifecycleHelmGlobals` of the same API (`repoSecrets` are Kubernetes
///   `ObjectReference`s). `istioOperatorSpec` is an IstioOperator spec, whose own CRD has no
///   field schema either, so it stays open.
fn transcribed_crds() -> Vec<(Gvk, &'static str, Value)> {
    let string = || json!({"type": "string"});
    let boolean = || json!({"type": "boolean"});
    let object_reference = json!({
        "type": "object",
        "properties": {
            "apiVersion": string(), "fieldPath": string(), "kind": string(), "name": string(),
            "namespace": string(), "resourceVersion": string(), "uid": string(),
        },
    });
    let glm = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "installations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "clusters": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "name": string(),
                                            "activeGateway": boolean(),
                                            "trustDomain": string(),
                                        },
                                    },
                                },
                                "controlPlaneRevision": string(),
                                "gatewayRevision": string(),
                                "istioOperatorSpec": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": true,
                                },
                                "skipUpgradeValidation": boolean(),
                            },
                        },
                    },
                    "helmGlobal": {
                        "type": "object",
                        "properties": {
                            "repo": string(),
                            "repoSecrets": {"type": "array", "items": object_reference},
                            "repoSkipTlsVerify": boolean(),
                        },
                    },
                },
            },
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        },
    });
    vec![(
        Gvk::from_api_version("admin.gloo.solo.io/v2", "GatewayLifecycleManager"),
        "seeds/002 (transcribed in compiler/tests/crd_schema.rs)",
        glm,
    )]
}

fn is_crd(doc: &Value) -> bool {
    str_at(doc, "/kind") == Some("CustomResourceDefinition")
        && str_at(doc, "/apiVersion").is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
}

/// The served versions of a CRD document with their schemas. Handles `apiextensions/v1`
/// (`spec.versions[].schema`) and `v1beta1` (`spec.validation` for all versions, `spec.version`).
fn crd_versions(crd: &Value) -> Vec<(Gvk, Option<Value>)> {
    let (Some(group), Some(kind)) = (str_at(crd, "/spec/group"), str_at(crd, "/spec/names/kind"))
    else {
        return Vec::new();
    };
    let shared_schema = crd.pointer("/spec/validation/openAPIV3Schema");
    let gvk = |version: &str| Gvk {
        group: group.to_owned(),
        version: version.to_owned(),
        kind: kind.to_owned(),
    };
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    match versions {
        Some(versions) => versions
            .iter()
            .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
            .filter_map(|v| {
                let schema = v.pointer("/schema/openAPIV3Schema").or(shared_schema);
                Some((gvk(v.get("name")?.as_str()?), schema.cloned()))
            })
            .collect(),
        None => str_at(crd, "/spec/version")
            .map(|v| vec![(gvk(v), shared_schema.cloned())])
            .unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------------
// From Kubernetes structural schema to strict JSON Schema
// ---------------------------------------------------------------------------------------------

/// A CRD version ready to validate objects.
struct Compiled {
    /// `None` when the CRD has no schema: only metadata can be checked.
    validator: Option<Validator>,
    /// The converted schema, for `apply_defaults`.
    schema: Value,
    /// CEL rules in the schema, which this test cannot evaluate.
    cel_rules: usize,
    /// True when the schema preserves unknown fields at its root (nothing below is checked).
    open_root: bool,
}

impl Compiled {
    fn new(crd: &CrdVersion) -> Result<Compiled, String> {
        let Some(schema) = &crd.schema else {
            return Ok(Compiled {
                validator: None,
                schema: Value::Null,
                cel_rules: 0,
                open_root: true,
            });
        };
        let mut schema = schema.clone();
        prepare_root(&mut schema);
        let mut cel_rules = 0;
        to_strict_json_schema(&mut schema, true, &mut cel_rules);
        let open_root = schema
            .get("properties")
            .and_then(Value::as_object)
            .is_none_or(|p| p.keys().all(|k| ROOT_FIELDS.contains(&k.as_str())))
            && schema.get("additionalProperties").is_none();
        let validator = jsonschema::options()
            .with_draft(Draft::Draft4)
            .with_pattern_options(PatternOptions::regex())
            .should_validate_formats(true)
            .with_format("byte", is_base64)
            .with_keyword("x-kubernetes-list-type", |schema, value, _| {
                Ok(Box::new(ListType::from_schema(schema, value)))
            })
            .build(&schema)
            .map_err(|e| e.to_string())?;
        Ok(Compiled {
            validator: Some(validator),
            schema,
            cel_rules,
            open_root,
        })
    }
}

/// Fills the schema's `default`s into absent fields, as the API server does before it
/// validates (some `oneOf`s of Gateway API only hold once `type` has its default).
fn apply_defaults(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(object) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, property) in properties.into_iter().flatten() {
                if let (None, Some(default)) = (object.get(name), property.get("default")) {
                    object.insert(name.clone(), default.clone());
                }
                if let Some(child) = object.get_mut(name) {
                    apply_defaults(property, child);
                }
            }
            if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                for (name, child) in object.iter_mut() {
                    if properties.is_none_or(|p| !p.contains_key(name)) {
                        apply_defaults(additional, child);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for child in items {
                    apply_defaults(item, child);
                }
            }
        }
        _ => {}
    }
}

/// Fields the API server accepts on every object whether or not the schema lists them.
const ROOT_FIELDS: &[&str] = &["apiVersion", "kind", "metadata"];

/// Makes the root accept `apiVersion`/`kind`/`metadata` (solo-kit schemas omit them) and leaves
/// `metadata` open: the API server checks it as `ObjectMeta` whatever the CRD says (a CRD may
/// only narrow `name`, which is kept), and so does `check_metadata`.
fn prepare_root(schema: &mut Value) {
    let Some(root) = schema.as_object_mut() else {
        return;
    };
    root.entry("type").or_insert_with(|| json!("object"));
    let properties = root
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(properties) = properties {
        for field in ["apiVersion", "kind"] {
            properties
                .entry(field)
                .or_insert_with(|| json!({"type": "string"}));
        }
        let metadata = properties
            .entry("metadata")
            .or_insert_with(|| json!({"type": "object"}));
        if let Some(metadata) = metadata.as_object_mut() {
            metadata.insert(
                "x-kubernetes-preserve-unknown-fields".into(),
                Value::Bool(true),
            );
        }
    }
}

/// Rewrites a Kubernetes `openAPIV3Schema` node (and its children) into draft-4 JSON Schema
/// with the API server's semantics, made strict:
/// - `additionalProperties: false` on every object node of the structural tree that neither
///   declares `additionalProperties` nor `x-kubernetes-preserve-unknown-fields: true` (the server
///   prunes or, with strict field validation, rejects unknown fields); not inside
///   `allOf`/`anyOf`/`oneOf`/`not`, whose branches only restate fields declared outside them;
/// - `x-kubernetes-int-or-string` becomes `anyOf: [integer, string]`;
/// - `nullable: true` adds `null` to `type` (and `enum`); without it, `null` is rejected;
/// - `format: int32`/`int64` become range limits, the `CHECKED_FORMATS` stay formats, others
///   (`double`, ...) are dropped;
/// - `x-kubernetes-embedded-resource` objects accept `apiVersion`/`kind`/`metadata`;
/// - `x-kubernetes-validations` (CEL) are counted into `cel_rules` and removed.
fn to_strict_json_schema(node: &mut Value, structural: bool, cel_rules: &mut usize) {
    let Some(schema) = node.as_object_mut() else {
        return;
    };
    if let Some(rules) = schema.remove("x-kubernetes-validations") {
        *cel_rules += rules.as_array().map_or(0, Vec::len);
    }
    rewrite_int_or_string(schema);
    rewrite_format(schema);
    if is_true(schema, "x-kubernetes-embedded-resource") {
        add_embedded_resource_fields(schema);
    }
    if structural {
        close_object(schema);
    }
    // After `close_object`, which looks for `type: object`.
    rewrite_nullable(schema);
    for (key, child) in schema.iter_mut() {
        match key.as_str() {
            "properties" => {
                for property in child
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|m| m.values_mut())
                {
                    to_strict_json_schema(property, structural, cel_rules);
                }
            }
            "items" | "additionalProperties" => to_strict_json_schema(child, structural, cel_rules),
            "allOf" | "anyOf" | "oneOf" => {
                for branch in child.as_array_mut().into_iter().flatten() {
                    to_strict_json_schema(branch, false, cel_rules);
                }
            }
            "not" => to_strict_json_schema(child, false, cel_rules),
            _ => {}
        }
    }
}

fn is_true(schema: &Map<String, Value>, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool) == Some(true)
}

fn rewrite_int_or_string(schema: &mut Map<String, Value>) {
    if !is_true(schema, "x-kubernetes-int-or-string") {
        return;
    }
    schema.remove("type");
    schema
        .entry("anyOf")
        .or_insert_with(|| json!([{"type": "integer"}, {"type": "string"}]));
}

/// String formats the API server checks whose JSON Schema namesake means the same thing.
const CHECKED_FORMATS: &[&str] = &[
    "byte",
    "date-time",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

fn rewrite_format(schema: &mut Map<String, Value>) {
    let range = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
        Some("int64") => Some((json!(i64::MIN), json!(i64::MAX))),
        Some(format) if CHECKED_FORMATS.contains(&format) => return,
        None => return,
        // Numeric ("double") or not checked the same way (a Go "duration" is no ISO 8601 one).
        Some(_) => None,
    };
    schema.remove("format");
    if let Some((min, max)) = range {
        schema.entry("minimum").or_insert(min);
        schema.entry("maximum").or_insert(max);
    }
}

fn rewrite_nullable(schema: &mut Map<String, Value>) {
    if !is_true(schema, "nullable") {
        return;
    }
    schema.remove("nullable");
    if let Some(Value::String(ty)) = schema.get("type") {
        let ty = ty.clone();
        schema.insert("type".into(), json!([ty, "null"]));
    } else if let Some(Value::Array(any_of)) = schema.get_mut("anyOf") {
        any_of.push(json!({"type": "null"}));
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
}

fn add_embedded_resource_fields(schema: &mut Map<String, Value>) {
    let properties = schema.entry("properties").or_insert_with(|| json!({}));
    if let Some(properties) = properties.as_object_mut() {
        for field in ["apiVersion", "kind"] {
            properties
                .entry(field)
                .or_insert_with(|| json!({"type": "string"}));
        }
        properties.entry("metadata").or_insert_with(
            || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
        );
    }
}

/// Adds `additionalProperties: false` to an object node that does not say what to do with
/// fields it does not list.
fn close_object(schema: &mut Map<String, Value>) {
    let is_object =
        schema.contains_key("properties") || schema.get("type") == Some(&json!("object"));
    let open = schema.contains_key("additionalProperties")
        || is_true(schema, "x-kubernetes-preserve-unknown-fields");
    if is_object && !open {
        schema.insert("additionalProperties".into(), Value::Bool(false));
    }
}

/// `format: byte`: standard base64, as the API server decodes it.
fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    text.len().is_multiple_of(4)
        && text.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// `x-kubernetes-list-type`: the API server rejects duplicate items of a `set` list and
/// duplicate keys (`x-kubernetes-list-map-keys`) in a `map` list; `atomic` lists allow both.
enum ListType {
    Atomic,
    Set,
    Map(Vec<String>),
}

impl ListType {
    /// The list type that a schema node with keyword value `value` declares.
    fn from_schema(schema: &Map<String, Value>, value: &Value) -> ListType {
        match value.as_str() {
            Some("set") => ListType::Set,
            Some("map") => ListType::Map(
                schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => ListType::Atomic,
        }
    }

    /// The identity of `item` in the list (`None`: items have none, duplicates are fine).
    fn key(&self, item: &Value) -> Option<String> {
        match self {
            ListType::Atomic => None,
            ListType::Set => Some(item.to_string()),
            ListType::Map(keys) => Some(
                keys.iter()
                    .map(|k| format!("{k}={}", item.get(k).unwrap_or(&Value::Null)))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }

    fn first_duplicate(&self, items: &[Value]) -> Option<String> {
        let mut seen = BTreeSet::new();
        items
            .iter()
            .filter_map(|item| self.key(item))
            .find(|key| !seen.insert(key.clone()))
    }
}

impl<'i> Keyword<'i> for ListType {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        let duplicate = instance
            .as_array()
            .and_then(|items| self.first_duplicate(items));
        match duplicate {
            Some(key) => Err(ValidationError::custom(format!(
                "duplicate list entry {key} (x-kubernetes-list-type)"
            ))),
            None => Ok(()),
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.validate(instance).is_ok()
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds: typed round trip through k8s-openapi
// ---------------------------------------------------------------------------------------------

/// One problem found in one object.
#[derive(Debug, Clone)]
struct Issue {
    /// JSON pointer into the object (`/spec/rules/0`), empty for the object itself.
    path: String,
    message: String,
}

impl Issue {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// Checks `value` against the k8s-openapi type `T`: it must deserialize (types), and serializing
/// it back must give the same JSON, so fields the type does not know (dropped on the way) and
/// required fields that are missing (filled with a default) both show up.
fn roundtrip<T: DeserializeOwned + Serialize>(value: &Value) -> Vec<Issue> {
    let typed: T = match serde_json::from_value(value.clone()) {
        Ok(typed) => typed,
        Err(e) => return vec![Issue::new("", e.to_string())],
    };
    match serde_json::to_value(&typed) {
        Ok(back) => {
            let mut issues = Vec::new();
            diff(value, &back, &mut String::new(), &mut issues);
            issues
        }
        Err(e) => vec![Issue::new("", format!("does not serialize back: {e}"))],
    }
}

/// Records where `original` and its typed round trip `back` differ.
fn diff(original: &Value, back: &Value, path: &mut String, issues: &mut Vec<Issue>) {
    match (original, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let len = path.len();
                path.push('/');
                path.push_str(key);
                match b.get(key) {
                    Some(other) => diff(value, other, path, issues),
                    None if value.is_null() => {
                        issues.push(Issue::new(path.clone(), "null value: omit the field"));
                    }
                    None => issues.push(Issue::new(path.clone(), "unknown field")),
                }
                path.truncate(len);
            }
            for key in b.keys().filter(|k| !a.contains_key(*k)) {
                issues.push(Issue::new(
                    format!("{path}/{key}"),
                    "missing required field",
                ));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                diff(x, y, path, issues);
                path.truncate(len);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        _ if original == back => {}
        _ => issues.push(Issue::new(
            path.clone(),
            format!("value {original} reads back as {back}"),
        )),
    }
}

/// A check of one built-in kind.
type BuiltinCheck = fn(&Value) -> Vec<Issue>;

/// Declares the built-in kinds topoc may emit; anything else of a built-in group is an error.
macro_rules! builtin_kinds {
    ($($ty:ty),* $(,)?) => {
        fn builtin_check(api_version: &str, kind: &str) -> Option<BuiltinCheck> {
            use k8s_openapi::Resource;
            $(
                if api_version == <$ty>::API_VERSION && kind == <$ty>::KIND {
                    return Some(roundtrip::<$ty>);
                }
            )*
            None
        }
    };
}

builtin_kinds!(
    k8s_openapi::api::core::v1::ConfigMap,
    k8s_openapi::api::core::v1::Endpoints,
    k8s_openapi::api::core::v1::Namespace,
    k8s_openapi::api::core::v1::Pod,
    k8s_openapi::api::core::v1::Secret,
    k8s_openapi::api::core::v1::Service,
    k8s_openapi::api::core::v1::ServiceAccount,
    k8s_openapi::api::apps::v1::DaemonSet,
    k8s_openapi::api::apps::v1::Deployment,
    k8s_openapi::api::apps::v1::StatefulSet,
    k8s_openapi::api::batch::v1::Job,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    k8s_openapi::api::discovery::v1::EndpointSlice,
    k8s_openapi::api::networking::v1::Ingress,
    k8s_openapi::api::networking::v1::NetworkPolicy,
    k8s_openapi::api::policy::v1::PodDisruptionBudget,
    k8s_openapi::api::rbac::v1::ClusterRole,
    k8s_openapi::api::rbac::v1::ClusterRoleBinding,
    k8s_openapi::api::rbac::v1::Role,
    k8s_openapi::api::rbac::v1::RoleBinding,
);

// ---------------------------------------------------------------------------------------------
// metadata, as the API server checks it for every kind
// ---------------------------------------------------------------------------------------------

/// DNS-1123 label: at most 63 of `a-z0-9-`, starting and ending alphanumeric.
fn is_dns1123_label(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !s.is_empty()
        && s.len() <= 63
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// DNS-1123 subdomain: at most 253, dot-separated DNS-1123 labels.
fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// DNS-1035 label (Service names): a DNS-1123 label that starts with a letter.
fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// The name part of a qualified name / label value: `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`,
/// at most 63.
fn is_qualified_name_part(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !s.is_empty()
        && s.len() <= 63
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Label and annotation keys: optional `prefix/` (a DNS-1123 subdomain) and a name part.
fn is_qualified_name(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(key),
    }
}

/// Label values: empty or a name part.
fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_qualified_name_part(value)
}

/// The API server's limit on the total size of all annotations.
const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// `metadata` checks: name (required), namespace, label and annotation syntax. `typed` also
/// round-trips it through `ObjectMeta` (for CRD kinds, whose schemas leave metadata open).
fn check_metadata(object: &Value, gvk: &Gvk, typed: bool, issues: &mut Vec<Issue>) {
    let Some(metadata) = object.get("metadata") else {
        issues.push(Issue::new("/metadata", "missing"));
        return;
    };
    if typed {
        for issue in
            roundtrip::<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>(metadata)
        {
            issues.push(Issue::new(
                format!("/metadata{}", issue.path),
                issue.message,
            ));
        }
    }
    check_name(metadata, gvk, issues);
    if let Some(namespace) = metadata.get("namespace").and_then(Value::as_str) {
        if !is_dns1123_label(namespace) {
            issues.push(Issue::new(
                "/metadata/namespace",
                format!("{namespace:?} is not a DNS-1123 label"),
            ));
        }
    }
    check_labels(metadata, issues);
    check_annotations(metadata, issues);
}

fn check_name(metadata: &Value, gvk: &Gvk, issues: &mut Vec<Issue>) {
    let Some(name) = metadata.get("name").and_then(Value::as_str) else {
        issues.push(Issue::new("/metadata/name", "missing"));
        return;
    };
    let (ok, rule) = match (gvk.group.as_str(), gvk.kind.as_str()) {
        ("", "Namespace") => (is_dns1123_label(name), "a DNS-1123 label"),
        ("", "Service") => (is_dns1035_label(name), "a DNS-1035 label"),
        _ => (is_dns1123_subdomain(name), "a DNS-1123 subdomain"),
    };
    if !ok {
        issues.push(Issue::new(
            "/metadata/name",
            format!("{name:?} is not {rule}"),
        ));
    }
}

fn check_labels(metadata: &Value, issues: &mut Vec<Issue>) {
    let Some(labels) = metadata.get("labels").and_then(Value::as_object) else {
        return;
    };
    for (key, value) in labels {
        let path = format!("/metadata/labels/{key}");
        if !is_qualified_name(key) {
            issues.push(Issue::new(&path, "key is not a qualified name"));
        }
        match value.as_str() {
            Some(v) if is_label_value(v) => {}
            Some(v) => issues.push(Issue::new(&path, format!("{v:?} is not a label value"))),
            None => issues.push(Issue::new(&path, format!("{value} is not a string"))),
        }
    }
}

fn check_annotations(metadata: &Value, issues: &mut Vec<Issue>) {
    let Some(annotations) = metadata.get("annotations").and_then(Value::as_object) else {
        return;
    };
    let mut total = 0;
    for (key, value) in annotations {
        let path = format!("/metadata/annotations/{key}");
        if !is_qualified_name(key) {
            issues.push(Issue::new(&path, "key is not a qualified name"));
        }
        match value.as_str() {
            Some(v) => total += key.len() + v.len(),
            None => issues.push(Issue::new(&path, format!("{value} is not a string"))),
        }
    }
    if total > MAX_ANNOTATIONS_BYTES {
        issues.push(Issue::new(
            "/metadata/annotations",
            format!("{total} bytes, more than {MAX_ANNOTATIONS_BYTES}"),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Validating one object
// ---------------------------------------------------------------------------------------------

/// How an object was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    /// Against its CRD's schema; `cel_rules` of it were not evaluated.
    Crd { cel_rules: usize, open_root: bool },
    /// Against a k8s-openapi type.
    Builtin,
    /// Not a Kubernetes object to check (kustomize's `Kustomization`).
    Skipped,
}

/// The object's group/version/kind, or the issue that it has none.
fn object_gvk(object: &Value) -> Result<Gvk, Issue> {
    let api_version = str_at(object, "/apiVersion").ok_or_else(|| {
        Issue::new(
            "/apiVersion",
            "missing: not a Kubernetes object (every golden YAML document must be one)",
        )
    })?;
    let kind = str_at(object, "/kind").ok_or_else(|| Issue::new("/kind", "missing"))?;
    Ok(Gvk::from_api_version(api_version, kind))
}

/// Checks one object; on failure returns every issue found.
fn validate_object(catalog: &Catalog, object: &Value) -> Result<(Gvk, Checked), Vec<Issue>> {
    let gvk = object_gvk(object).map_err(|issue| vec![issue])?;
    if gvk.group == "kustomize.config.k8s.io" {
        return Ok((gvk, Checked::Skipped));
    }
    let mut issues = Vec::new();
    let checked = match catalog.validator(&gvk) {
        Err(message) => return Err(vec![Issue::new("", message)]),
        Ok(Some(compiled)) => {
            check_metadata(object, &gvk, true, &mut issues);
            if let Some(validator) = &compiled.validator {
                let mut defaulted = object.clone();
                apply_defaults(&compiled.schema, &mut defaulted);
                issues.extend(
                    validator
                        .iter_errors(&defaulted)
                        .map(|e| Issue::new(e.instance_path().to_string(), e.to_string())),
                );
            }
            Checked::Crd {
                cel_rules: compiled.cel_rules,
                open_root: compiled.open_root,
            }
        }
        Ok(None) => {
            let api_version = str_at(object, "/apiVersion").unwrap_or_default();
            let Some(check) = builtin_check(api_version, &gvk.kind) else {
                return Err(vec![Issue::new(
                    "",
                    format!("no CRD in the corpus and no built-in type for {gvk}: cannot validate"),
                )]);
            };
            check_metadata(object, &gvk, false, &mut issues);
            issues.extend(check(object));
            Checked::Builtin
        }
    };
    if issues.is_empty() {
        Ok((gvk, checked))
    } else {
        Err(issues)
    }
}

// ---------------------------------------------------------------------------------------------
// The golden tree
// ---------------------------------------------------------------------------------------------

/// One failed check, located for the report.
struct Failure {
    file: String,
    document: usize,
    object: String,
    issue: Issue,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} doc #{} {}: {}",
            self.file, self.document, self.object, self.issue
        )
    }
}

/// `Kind/name` of an object, for messages.
fn object_label(object: &Value) -> String {
    format!(
        "{}/{}",
        str_at(object, "/kind").unwrap_or("?"),
        str_at(object, "/metadata/name").unwrap_or("?")
    )
}

/// What the golden tree held.
#[derive(Default)]
struct Tally {
    files: usize,
    crd_objects: usize,
    builtin_objects: usize,
    skipped: usize,
    /// Validated kinds and the CEL rules of their schemas.
    crd_kinds: BTreeMap<Gvk, usize>,
    /// Kinds whose CRD checks no field (no schema, or unknown fields kept at the root).
    open_kinds: BTreeSet<Gvk>,
    builtin_kinds: BTreeSet<Gvk>,
    failures: Vec<Failure>,
}

impl Tally {
    fn record(&mut self, gvk: Gvk, checked: Checked) {
        match checked {
            Checked::Crd {
                cel_rules,
                open_root,
            } => {
                self.crd_objects += 1;
                if open_root {
                    self.open_kinds.insert(gvk.clone());
                }
                self.crd_kinds.insert(gvk, cel_rules);
            }
            Checked::Builtin => {
                self.builtin_objects += 1;
                self.builtin_kinds.insert(gvk);
            }
            Checked::Skipped => self.skipped += 1,
        }
    }

    fn summary(&self) -> String {
        let cel: usize = self.crd_kinds.values().sum();
        let mut text = format!(
            "validated {} objects ({} kinds) against CRD schemas; {cel} CEL rules not evaluated; \
             {} built-in objects ({} kinds) checked against k8s-openapi types; \
             {} kustomize documents skipped; {} files",
            self.crd_objects,
            self.crd_kinds.len(),
            self.builtin_objects,
            self.builtin_kinds.len(),
            self.skipped,
            self.files,
        );
        if !self.open_kinds.is_empty() {
            let kinds: Vec<String> = self.open_kinds.iter().map(Gvk::to_string).collect();
            text += "\nnote: only metadata checked (the CRD has no field schema): ";
            text += &kinds.join(", ");
        }
        text
    }
}

/// Validates every document of one golden file into `tally`.
fn validate_file(catalog: &Catalog, golden: &Path, file: &Path, tally: &mut Tally) {
    let relative = file
        .strip_prefix(golden)
        .unwrap_or(file)
        .display()
        .to_string();
    tally.files += 1;
    let docs = match read_yaml_docs(file) {
        Ok(docs) => docs,
        Err(message) => {
            tally.failures.push(Failure {
                file: relative,
                document: 0,
                object: "-".into(),
                issue: Issue::new("", format!("not YAML: {message}")),
            });
            return;
        }
    };
    for (document, object) in docs {
        match validate_object(catalog, &object) {
            Ok((gvk, checked)) => tally.record(gvk, checked),
            Err(issues) => {
                let label = object_label(&object);
                tally
                    .failures
                    .extend(issues.into_iter().map(|issue| Failure {
                        file: relative.clone(),
                        document,
                        object: label.clone(),
                        issue,
                    }));
            }
        }
    }
}

#[test]
fn golden_objects_validate_against_crd_schemas() {
    let Some(catalog) = catalog_or_skip() else {
        return;
    };
    println!("{}", catalog.describe());
    let golden = golden_dir();
    let files = yaml_files(&golden);
    if files.is_empty() {
        println!(
            "no golden YAML under {}: nothing to validate",
            golden.display()
        );
        return;
    }
    let mut tally = Tally::default();
    for file in &files {
        validate_file(catalog, &golden, file, &mut tally);
    }
    println!("{}", tally.summary());
    let report: Vec<String> = tally.failures.iter().map(Failure::to_string).collect();
    assert!(
        report.is_empty(),
        "{} schema violations in {}:\n{}",
        report.len(),
        golden.display(),
        report.join("\n")
    );
    assert!(
        tally.crd_objects + tally.builtin_objects > 0,
        "{} golden YAML files but no object was validated",
        files.len()
    );
}

// ---------------------------------------------------------------------------------------------
// The validator itself can fail
// ---------------------------------------------------------------------------------------------

mod validator_rejects {
    use super::*;

    /// Validates the single object in `yaml`.
    fn check(catalog: &Catalog, yaml: &str) -> Result<(Gvk, Checked), Vec<Issue>> {
        let docs = parse_yaml_docs(yaml).expect("test YAML parses");
        assert_eq!(docs.len(), 1, "test YAML holds one object");
        validate_object(catalog, &docs[0].1)
    }

    /// Asserts that `yaml` is rejected with an issue whose path and message contain the needles.
    fn assert_rejected(catalog: &Catalog, yaml: &str, path: &str, message: &str) {
        let issues = check(catalog, yaml).expect_err("object must be rejected");
        assert!(
            issues
                .iter()
                .any(|i| i.path.contains(path) && i.message.contains(message)),
            "expected an issue at {path:?} mentioning {message:?}, got {issues:#?}"
        );
    }

    fn assert_accepted(catalog: &Catalog, yaml: &str) {
        if let Err(issues) = check(catalog, yaml) {
            panic!("object must be accepted, got {issues:#?}");
        }
    }

    const HTTPROUTE: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: edge}]
  rules:
  - backendRefs: [{name: web, port: 8080, weight: 1}]
";

    #[test]
    fn accepts_a_plain_httproute() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        assert_accepted(catalog, HTTPROUTE);
    }

    #[test]
    fn httproute_with_misspelled_field() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let yaml = HTTPROUTE.replace("parentRefs:", "parentRef:");
        assert_rejected(catalog, &yaml, "/spec", "parentRef");
    }

    #[test]
    fn httproute_with_string_weight() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let yaml = HTTPROUTE.replace("weight: 1", "weight: \"x\"");
        assert_rejected(catalog, &yaml, "/spec/rules/0/backendRefs/0/weight", "");
    }

    #[test]
    fn gateway_without_gateway_class_name() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let yaml = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  listeners: [{name: http, protocol: HTTP, port: 80}]
";
        assert_rejected(catalog, yaml, "/spec", "gatewayClassName");
    }

    #[test]
    fn gateway_with_duplicate_listener_names() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let yaml = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: gloo
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: http, protocol: HTTP, port: 8080}
";
        assert_rejected(catalog, yaml, "/spec/listeners", "duplicate");
    }

    /// The `Gateway` and `HTTPRoute` (and `GatewayClass`) of upstream's
    /// `examples/standard/basic-http.yaml`.
    #[test]
    fn accepts_upstream_gateway_and_httproute_examples() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let file = corpus_dir().join("gateway-api/examples/standard/basic-http.yaml");
        let docs = read_yaml_docs(&file).expect("basic-http.yaml of the corpus parses");
        let kinds: BTreeSet<String> = docs
            .iter()
            .map(|(_, doc)| match validate_object(catalog, doc) {
                Ok((gvk, _)) => gvk.kind,
                Err(issues) => panic!("{} rejected: {issues:#?}", object_label(doc)),
            })
            .collect();
        assert!(kinds.contains("Gateway") && kinds.contains("HTTPRoute"));
    }

    const UPSTREAM: &str = "
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: httpbin, namespace: gloo-system}
spec: {kube: {serviceName: httpbin, serviceNamespace: httpbin, servicePort: 8000}}
";

    #[test]
    fn accepts_a_gloo_upstream() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        assert_accepted(catalog, UPSTREAM);
    }

    #[test]
    fn gloo_upstream_with_string_port() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let yaml = UPSTREAM.replace("servicePort: 8000", "servicePort: \"abc\"");
        assert_rejected(catalog, &yaml, "/spec/kube/servicePort", "");
    }

    /// The egress example of seed 002, abridged: accepted as written, rejected when a field
    /// is misspelled at either level of the transcribed schema.
    const GATEWAY_LIFECYCLE_MANAGER: &str = "
apiVersion: admin.gloo.solo.io/v2
kind: GatewayLifecycleManager
metadata: {name: istio-egressgateway, namespace: gloo-mesh}
spec:
  installations:
  - gatewayRevision: 1-24
    clusters:
    - {name: cluster1, activeGateway: true}
    istioOperatorSpec:
      profile: minimal
      meshConfig: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
      components:
        egressGateways: [{name: istio-egressgateway, enabled: true}]
  helmGlobal: {repo: 'oci://example.com/charts', repoSecrets: [{name: pull}]}
";

    #[test]
    fn gateway_lifecycle_manager_against_its_transcribed_schema() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        assert_accepted(catalog, GATEWAY_LIFECYCLE_MANAGER);
        let yaml = GATEWAY_LIFECYCLE_MANAGER.replace("activeGateway", "active");
        assert_rejected(catalog, &yaml, "/spec/installations/0/clusters/0", "active");
        let yaml = GATEWAY_LIFECYCLE_MANAGER.replace("gatewayRevision", "revision");
        assert_rejected(catalog, &yaml, "/spec/installations/0", "revision");
        let yaml = GATEWAY_LIFECYCLE_MANAGER.replace("{name: pull}", "{nme: pull}");
        assert_rejected(catalog, &yaml, "/spec/helmGlobal/repoSecrets/0", "nme");
        let yaml =
            GATEWAY_LIFECYCLE_MANAGER.replace("activeGateway: true", "activeGateway: yes-please");
        assert_rejected(
            catalog,
            &yaml,
            "/spec/installations/0/clusters/0/activeGateway",
            "",
        );
    }

    /// The mesh kinds topoc renders from templates are checked field by field: the golden
    /// object is accepted, and a misspelled field is rejected at its path.
    fn mesh_kind_is_checked(golden_file: &str, from: &str, to: &str, path: &str) {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let text = std::fs::read_to_string(golden_dir().join(golden_file))
            .unwrap_or_else(|e| panic!("{golden_file}: {e}"));
        assert_accepted(catalog, &text);
        assert!(text.contains(from), "{golden_file} has no {from:?}");
        assert_rejected(
            catalog,
            &text.replacen(from, to, 1),
            path,
            to.trim_end_matches(':'),
        );
    }

    #[test]
    fn gateway_parameters_against_kgateway_schema() {
        mesh_kind_is_checked(
            "virtual-destinations/cluster-1/gloo-system/gatewayparameters-custom-gw-params.yaml",
            "istioMetaMeshId:",
            "istioMeshId:",
            "/spec/kube/istio/istioProxyContainer",
        );
    }

    #[test]
    fn service_entry_against_istio_schema() {
        mesh_kind_is_checked(
            "virtual-destinations/cluster-1/bookinfo/serviceentry-reviews-vd.yaml",
            "resolution:",
            "resolve:",
            "/spec",
        );
    }

    #[test]
    fn mesh_gateway_config_against_kuma_schema() {
        mesh_kind_is_checked(
            "kong-mesh/k8s-cluster-1/_cluster/meshgatewayconfig-default-cross-mesh.yaml",
            "crossMesh:",
            "crosMesh:",
            "/spec",
        );
    }

    #[test]
    fn object_of_a_kind_without_crd() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let yaml = HTTPROUTE.replace("kind: HTTPRoute", "kind: HTTPRouteX");
        assert_rejected(catalog, &yaml, "", "cannot validate");
    }

    #[test]
    fn bad_metadata() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let upper = HTTPROUTE.replace("name: web,", "name: Web,");
        assert_rejected(catalog, &upper, "/metadata/name", "DNS-1123");
        let label = HTTPROUTE.replace("namespace: apps}", "labels: {app: -x}}");
        assert_rejected(catalog, &label, "/metadata/labels/app", "label value");
        let number = HTTPROUTE.replace("namespace: apps}", "labels: {version: 2}}");
        assert_rejected(catalog, &number, "/metadata", "expected a string");
        let field = HTTPROUTE.replace("namespace: apps}", "nmespace: apps}");
        assert_rejected(catalog, &field, "/metadata/nmespace", "unknown field");
    }

    #[test]
    fn core_service() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let service = "
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
";
        assert_accepted(catalog, service);
        let typo = service.replace("targetPort", "tragetPort");
        assert_rejected(catalog, &typo, "/spec/ports/0/tragetPort", "unknown field");
        let required = service.replace("port: 80, ", "");
        assert_rejected(catalog, &required, "/spec/ports/0/port", "missing required");
        let ty = service.replace("port: 80", "port: eighty");
        assert_rejected(catalog, &ty, "", "invalid type");
    }

    #[test]
    fn kustomization_is_skipped() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let yaml = "
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [a.yaml]
";
        let (_, checked) = check(catalog, yaml).expect("kustomization passes");
        assert_eq!(checked, Checked::Skipped);
    }

    /// Strictness must not reject valid objects: every Gateway API object of upstream's
    /// examples of the standard channel passes.
    #[test]
    fn accepts_all_upstream_standard_examples() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let examples = corpus_dir().join("gateway-api/examples/standard");
        let mut failures = Vec::new();
        for file in yaml_files(&examples) {
            let docs = read_yaml_docs(&file).expect("corpus example parses");
            for (index, doc) in docs {
                if let Err(issues) = validate_object(catalog, &doc) {
                    failures.push(format!("{} #{index}: {issues:?}", file.display()));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Upstream's invalid examples that only a CEL rule rejects: this test cannot, so topoc's
    /// own checks must (see gateway-api/README.md of the corpus).
    const CEL_ONLY_INVALID_EXAMPLES: &[&str] = &[
        "gateway/hostname-tcp.yaml",
        "gateway/hostname-udp.yaml",
        "gateway/invalid-tls-mode.yaml",
        "gateway/tlsconfig-tcp.yaml",
        "httproute/httproute-portless-backend.yaml",
        "httproute/httproute-portless-service.yaml",
        "httproute/invalid-filter-duplicate.yaml",
        "httproute/invalid-filter-empty.yaml",
        "httproute/invalid-filter-wrong-field.yaml",
        "httproute/invalid-path-alphanum-specialchars-mix.yaml",
        "httproute/invalid-path-specialchars.yaml",
        "httproute/invalid-request-redirect-with-backendref.yaml",
    ];

    /// Every upstream invalid example is rejected, except those that need CEL.
    #[test]
    fn rejects_upstream_invalid_examples_except_cel_only() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let dir = corpus_dir().join("gateway-api/hack/invalid-examples/standard");
        let mut wrong = Vec::new();
        for file in yaml_files(&dir) {
            let name = file
                .strip_prefix(&dir)
                .unwrap_or(&file)
                .display()
                .to_string();
            let cel_only = CEL_ONLY_INVALID_EXAMPLES.contains(&name.as_str());
            let docs = read_yaml_docs(&file).expect("corpus invalid example parses");
            for (_, doc) in docs {
                match (validate_object(catalog, &doc).is_err(), cel_only) {
                    (false, false) => wrong.push(format!("{name}: accepted")),
                    (true, true) => wrong.push(format!("{name}: rejected, drop it from CEL_ONLY")),
                    _ => {}
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Every schema of the corpus converts and compiles, so a newly emitted kind never fails
    /// for a reason of this test's own.
    #[test]
    fn every_corpus_schema_compiles() {
        let Some(catalog) = catalog_or_skip() else {
            return;
        };
        let errors: Vec<String> = catalog
            .crds
            .keys()
            .filter_map(|gvk| catalog.validator(gvk).err())
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }

    /// Helm-templated CRD files are not YAML; the loader counts and skips them.
    #[test]
    fn helm_template_is_not_yaml() {
        let template = "{{- if .Values.crds.enabled }}\napiVersion: v1\n{{- end }}\n";
        assert!(parse_yaml_docs(template).is_err());
    }
}
