//! One manifest document → one definition: the fields every object shares (`apiVersion`,
//! `kind`, `metadata`, the relay's annotations) are read here, the rest by the importer of
//! the object's kind (see [`super::KINDS`]).

use super::build;
use super::fields::{Cx, Fields};
use super::read::Doc;
use super::relay::{self, Relay, Source};
use crate::diag::{Code, Diagnostic};
use crate::mesh::{KUMA_DEFAULT_MESH, KUMA_MESH_ANNOTATION};
use crate::render::{DISTRIBUTED_SOURCE, DISTRIBUTE_TO, MANAGED_BY};
use crate::source::Span;
use crate::syntax::ast::{Block, Entry};
use crate::yaml::{Node, NodeValue};

/// What a kind importer knows of the object it converts.
pub(crate) struct Object<'n> {
    pub kind: &'n str,
    pub name: String,
    pub name_span: Span,
    /// Where the definition lives: `metadata.namespace`, or the namespace the relay copies it
    /// to; `"default"` when neither says.
    pub namespace: String,
    /// Written by topoc (`app.kubernetes.io/managed-by: topoc`).
    pub managed_by_topoc: bool,
    /// The Kuma mesh a Gateway or HTTPRoute names (`kuma.io/mesh`, other than `default`).
    pub kuma_mesh: Option<(String, Span)>,
    /// The whole document.
    pub span: Span,
}

/// The importer of one kind: API group (empty for the core group), kind, and the function
/// reading what is left of the object once its metadata is read.
pub(crate) struct KindImporter {
    pub group: &'static str,
    pub kind: &'static str,
    pub import: fn(&mut Cx, &Object<'_>, &mut Fields<'_>) -> Converted,
}

/// What a kind importer made of an object.
pub(crate) enum Converted {
    /// A definition: its keyword (`gateway`, `route`, ...) and its entries after the metadata.
    Definition {
        keyword: &'static str,
        namespaced: bool,
        entries: Vec<Entry>,
    },
    /// A ReferenceGrant topoc wrote itself for a reference (the cluster emits grants).
    GeneratedGrant,
    /// Nothing to define (a build artefact); the importer has said so.
    Nothing,
    /// An object that says something about other definitions (a ServiceEntry written from a
    /// virtual destination, a GatewayParameters of a gateway): read once every object is, by
    /// [`super::mesh`].
    Part(super::mesh::PartKind),
}

/// One imported definition, before placement.
pub(crate) struct Def {
    pub keyword: &'static str,
    pub kind: String,
    pub name: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// Metadata and spec attributes; `to` is added by placement.
    pub block: Block,
    /// The cluster folder it was found in.
    pub cluster: String,
    pub relay: Option<Relay>,
    pub source: Option<Source>,
    /// The namespace of the relay's source object, when the relay copies it elsewhere.
    pub source_namespace: Option<String>,
}

/// The outcome of reading one document.
pub(crate) enum Read {
    Def(Box<Def>),
    /// A grant topoc generated in this cluster.
    GeneratedGrant(String),
    Part(Box<super::mesh::Part>),
    Nothing,
}

/// Convert one document (a `kind: List` yields its items).
pub(crate) fn read(cx: &mut Cx, doc: &Doc, node: &Node, out: &mut Vec<Read>) {
    if is_consul_dump(node) {
        cx.diags.push(
            Diagnostic::new(
                Code::ImportGlooEdge,
                "a `consul kv` export holds Gloo Edge API objects, which topoc cannot import",
                Span::new(cx.file, node.start, node.start),
                "written by `topoc build --target gloo-edge --store consul`",
            )
            .with_help("import the Gateway API manifests of the same fleet; `--target gloo-edge --store consul` writes this again"),
        );
        return;
    }
    let Some(mut top) = cx.fields(node, "") else {
        return;
    };
    let api_version = top.take("apiVersion");
    let kind_node = top.take("kind");
    let (Some(api_version), Some(kind_node)) = (api_version, kind_node) else {
        let span = cx.span(node);
        cx.diags.push(
            Diagnostic::new(
                Code::ImportInvalidObject,
                "document is not a Kubernetes object: it needs `apiVersion` and `kind`",
                Span::new(span.file, span.start as usize, span.start as usize),
                "this document",
            )
            .with_help("every document of a manifest is one object with `apiVersion`, `kind` and `metadata`"),
        );
        return;
    };
    let (Some(api), Some(kind)) = (
        cx.text(api_version, "apiVersion"),
        cx.text(kind_node, "kind"),
    ) else {
        return;
    };
    if kind == "List" {
        if let Some(items) = top.take("items") {
            for item in cx.seq(items, "items") {
                read(cx, doc, item, out);
            }
        }
        return;
    }
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    let Some(importer) = super::KINDS
        .iter()
        .flat_map(|family| family.iter())
        .find(|k| k.group == group && k.kind == kind)
    else {
        if group == super::gateway_api::GROUP {
            // A Gateway API object configures the gateways: leaving it out would change
            // routing, so it is an error, unlike objects of other APIs.
            cx.diags.push(
                Diagnostic::new(
                    Code::ImportUnsupportedKind,
                    format!("topoc cannot represent a Gateway API `{kind}`"),
                    cx.span(kind_node),
                    "no topoc definition for this kind",
                )
                .with_help("topoc writes GatewayClasses, Gateways, HTTPRoutes and ReferenceGrants; keep managing this object outside topoc, or express it as an HTTPRoute"),
            );
            return;
        }
        cx.diags.push(
            Diagnostic::new(
                Code::ImportForeignKind,
                format!("`{kind}` ({api}) is not a kind topoc manages; it is left out"),
                cx.span(kind_node),
                "not imported",
            )
            .with_help("keep deploying this object as you do today; topoc describes gateways, routes, upstreams, grants and the services and secrets they use"),
        );
        return;
    };
    let Some(meta_node) = top.take("metadata") else {
        if kind == "Kustomization" {
            // kustomize indexes need no name; whatever their file is called, they are artefacts.
            cx.diags.push(
                Diagnostic::new(
                    Code::ImportBuildArtefact,
                    "a Kustomization is a build artefact",
                    cx.span(kind_node),
                    "a kustomize index",
                )
                .with_help("`topoc build` writes one `kustomization.yaml` per cluster folder"),
            );
            for field in ["resources", "namespace", "patches", "components", "images"] {
                top.take(field);
            }
            top.finish(cx);
            return;
        }
        cx.diags.push(
            Diagnostic::new(
                Code::ImportInvalidObject,
                format!("{kind} has no `metadata`"),
                cx.span(kind_node),
                "this object",
            )
            .with_help("give the object `metadata.name`"),
        );
        return;
    };
    // Kuma puts Gateway API objects in a mesh with an annotation (seed 003, "Multi-mesh").
    let meshed = group == super::gateway_api::GROUP && matches!(kind, "Gateway" | "HTTPRoute");
    let Some(meta) = metadata(cx, kind, meta_node, meshed) else {
        return;
    };
    top.ignore(
        cx,
        "status",
        "status is written by the controllers, not by topoc",
    );
    let object = Object {
        kind,
        name: meta.name.clone(),
        name_span: meta.name_span,
        namespace: meta.namespace.clone(),
        managed_by_topoc: meta.managed_by_topoc,
        kuma_mesh: meta.kuma_mesh.clone(),
        span: cx.span(node),
    };
    let converted = (importer.import)(cx, &object, &mut top);
    top.finish(cx);
    match converted {
        Converted::Nothing => out.push(Read::Nothing),
        Converted::Part(kind) => out.push(Read::Part(Box::new(super::mesh::Part {
            kind,
            cluster: doc.cluster.clone(),
            file: cx.file,
            name: meta.name,
            name_span: meta.name_span,
            namespace: meta.namespace,
            // The relay never copies these kinds (`render/mesh.rs`): its annotations would be
            // lost too.
            metadata: meta
                .entries
                .iter()
                .find_map(|e| match e {
                    Entry::Attr(a) => Some(a.key.span),
                    Entry::Block(_) => None,
                })
                .or(meta.relay.as_ref().map(|r| r.span))
                .or(meta.source.as_ref().map(|s| s.span)),
            spec: node.get("spec").cloned(),
        }))),
        Converted::GeneratedGrant => out.push(Read::GeneratedGrant(doc.cluster.clone())),
        Converted::Definition {
            keyword,
            namespaced,
            entries,
        } => {
            let mut all = Vec::new();
            if namespaced && meta.namespace != "default" {
                all.push(build::attr(
                    "namespace",
                    meta.namespace_span,
                    build::string(&meta.namespace, meta.namespace_span),
                ));
            }
            all.extend(meta.entries);
            all.extend(entries);
            let block = build::block(
                keyword,
                Some(build::ident(&meta.name, meta.name_span)),
                all,
                object.span,
            );
            out.push(Read::Def(Box::new(Def {
                keyword,
                kind: kind.to_string(),
                name: meta.name,
                namespace: namespaced.then_some(meta.namespace),
                block,
                cluster: doc.cluster.clone(),
                relay: meta.relay,
                source: meta.source,
                source_namespace: meta.source_namespace,
            })));
        }
    }
}

/// `consul kv export` writes a list of `{key, flags, value}`.
fn is_consul_dump(node: &Node) -> bool {
    match &node.value {
        NodeValue::Seq(items) => {
            !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.get("key").is_some() && i.get("value").is_some())
        }
        _ => false,
    }
}

struct Meta {
    name: String,
    name_span: Span,
    namespace: String,
    namespace_span: Span,
    managed_by_topoc: bool,
    /// `labels` and `annotations` attributes, without topoc's and the relay's own.
    entries: Vec<Entry>,
    /// `kuma.io/mesh`, read into the definition's `mesh` instead of its annotations.
    kuma_mesh: Option<(String, Span)>,
    relay: Option<Relay>,
    source: Option<Source>,
    source_namespace: Option<String>,
}

/// Server-populated metadata: runtime state, not configuration.
const SERVER_FIELDS: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// Annotations tools write on their own.
const TOOL_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

fn metadata(cx: &mut Cx, kind: &str, node: &Node, meshed: bool) -> Option<Meta> {
    let mut f = cx.fields(node, "metadata")?;
    let Some(name_node) = f.take("name") else {
        cx.diags.push(
            Diagnostic::new(
                Code::ImportInvalidObject,
                format!("{kind} has no `metadata.name`"),
                cx.span(node),
                "no name",
            )
            .with_help("give the object a name (`generateName` cannot be imported: topoc's names are fixed)"),
        );
        return None;
    };
    let name = cx.text(name_node, "metadata.name")?.to_string();
    let name_span = cx.span(name_node);
    let (mut namespace, mut namespace_span) = match f.take("namespace") {
        Some(n) => (cx.text(n, "metadata.namespace")?.to_string(), cx.span(n)),
        None => ("default".to_string(), name_span),
    };
    for field in SERVER_FIELDS {
        f.ignore(cx, field, "written by the API server");
    }
    let mut entries = Vec::new();
    let mut managed_by_topoc = false;
    if let Some(labels) = f.take("labels") {
        managed_by_topoc = labels.get(MANAGED_BY.0).and_then(Node::as_str) == Some(MANAGED_BY.1);
        if let Some(mut value) = cx.string_map(labels, "metadata.labels") {
            drop_key(&mut value, MANAGED_BY.0, |v| v == MANAGED_BY.1);
            if !is_empty_map(&value) {
                let key = f.key("labels").map_or(value.span, |k| cx.span(k));
                entries.push(build::attr("labels", key, value));
            }
        }
    }
    let mut relay = None;
    let mut source = None;
    let mut source_namespace = None;
    let mut kuma_mesh = None;
    if let Some(annotations) = f.take("annotations") {
        // Kuma's default mesh is never written (`render/gateway_api.rs`): an annotation naming
        // it stays an annotation, so that it is built back as it is.
        let mesh = annotations
            .get(KUMA_MESH_ANNOTATION)
            .filter(|_| meshed)
            .and_then(|v| Some((v.as_str()?, cx.span(v))))
            .filter(|(name, _)| *name != KUMA_DEFAULT_MESH);
        kuma_mesh = mesh.map(|(name, span)| (name.to_string(), span));
        if let Some(v) = annotations.get(DISTRIBUTE_TO) {
            if let Some((r, ns)) = relay::distribute_to(cx, v, &namespace) {
                if let Some(ns) = ns {
                    source_namespace = Some(namespace.clone());
                    namespace = ns;
                    namespace_span = cx.span(v);
                }
                relay = Some(r);
            }
        }
        if let Some(v) = annotations.get(DISTRIBUTED_SOURCE) {
            source = relay::distributed_source(cx, v);
        }
        for key in TOOL_ANNOTATIONS {
            if let Some(v) = annotations.get(key) {
                cx.ignored(
                    v,
                    &format!("metadata.annotations.{key}"),
                    "written by kubectl",
                );
            }
        }
        if let Some(mut value) = cx.string_map(annotations, "metadata.annotations") {
            for key in [DISTRIBUTE_TO, DISTRIBUTED_SOURCE]
                .iter()
                .chain(TOOL_ANNOTATIONS)
            {
                drop_key(&mut value, key, |_| true);
            }
            if let Some((mesh, _)) = &kuma_mesh {
                drop_key(&mut value, KUMA_MESH_ANNOTATION, |v| v == mesh);
            }
            if !is_empty_map(&value) {
                let key = f.key("annotations").map_or(value.span, |k| cx.span(k));
                entries.push(build::attr("annotations", key, value));
            }
        }
    }
    f.finish(cx);
    Some(Meta {
        name,
        name_span,
        namespace,
        namespace_span,
        managed_by_topoc,
        entries,
        kuma_mesh,
        relay,
        source,
        source_namespace,
    })
}

fn drop_key(map: &mut crate::syntax::ast::Value, key: &str, when: impl Fn(&str) -> bool) {
    use crate::syntax::ast::ValueKind;
    if let ValueKind::Map(entries) = &mut map.kind {
        entries
            .retain(|(k, v)| !(k.name == key && matches!(&v.kind, ValueKind::Str(s) if when(s))));
    }
}

fn is_empty_map(v: &crate::syntax::ast::Value) -> bool {
    matches!(&v.kind, crate::syntax::ast::ValueKind::Map(e) if e.is_empty())
}

/// For kind importers: the item key span of a field, or the value's.
pub(crate) fn key_span(cx: &Cx, f: &Fields<'_>, key: &str, value: &Node) -> Span {
    f.key(key).map_or_else(|| cx.span(value), |k| cx.span(k))
}
