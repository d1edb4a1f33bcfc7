//! topoc: a build-time compiler for multi-cluster gateway topologies.
//!
//! A run is a pipeline of stages, one module each:
//!
//! 1. [`load::load`] reads the `.topo` files, their imports and the embedded [`stdlib`], and
//!    [`syntax::parse`] turns each into a syntax tree;
//! 2. [`resolve::resolve`] links the trees into a typed [`model::Program`];
//!    [`graph::DepGraph::build`] records who references what, and [`resolve::place::place`]
//!    computes the clusters each definition lands in;
//! 3. [`check::check`] runs the consistency rules per cluster;
//! 4. [`render::render`] turns the program into Kubernetes objects per cluster;
//! 5. [`emit::plan`] lays them out as files and [`emit::write`] writes them atomically.
//!
//! [`compile`] drives stages 1–5 in memory; the binary adds the command line and the writing.
//! Every stage reports into one [`diag::Diagnostics`] sink and the run reports all of them.

#![forbid(unsafe_code)]

pub mod attach;
pub mod check;
pub mod consul;
pub mod diag;
pub mod emit;
pub mod fuzzing;
pub mod graph;
pub mod import;
pub mod inputs;
pub mod install;
pub mod load;
pub mod mesh;
pub mod model;
pub mod refs;
pub mod render;
pub mod report;
pub mod resolve;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod yaml;

use std::path::PathBuf;

use diag::{Code, Diagnostic, Diagnostics, Severity};
use source::{SourceMap, Span};

/// What a run should produce.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// What the loader may read.
    pub load: load::LoadOptions,
    /// Render and lay out the output (`build`); `false` stops after the checks (`check`).
    pub render: bool,
    pub layout: emit::Layout,
    /// Who distributes the objects to the clusters.
    pub target: Target,
    /// Also write an ArgoCD ApplicationSet that deploys every cluster folder.
    pub argocd: Option<render::argocd::ArgoCd>,
    /// Write each cluster's objects as a `consul kv import` file instead of YAML manifests
    /// (`--store consul`, Gloo Edge only).
    pub consul: Option<consul::ConsulKv>,
}

/// Where the output goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// One folder per cluster, with what that cluster receives.
    #[default]
    Clusters,
    /// One management-cluster bundle for Gloo Mesh's relay: every object annotated with
    /// `gloo.solo.io/distribute-to` (seed 000), gateways in the `gloo-gateway-distribute` class.
    Relay,
    /// One folder per cluster in the Gloo Edge API (seed 004): `gateway.solo.io/v1` Gateways
    /// and VirtualServices, `gloo.solo.io/v1` Upstreams and UpstreamGroups.
    GlooEdge,
}

/// The result of a run: every diagnostic and, when there was no error, the output tree.
pub struct Compilation {
    pub sources: SourceMap,
    /// Sorted by file and position, each once.
    pub diagnostics: Vec<Diagnostic>,
    pub tree: Option<emit::Tree>,
    /// Files read from disk, in load order.
    pub inputs: Vec<PathBuf>,
    /// The declared clusters' names, sorted (empty when the program did not resolve).
    pub clusters: Vec<String>,
    /// Which gateway revisions each cluster runs (`topoc plan`); empty when the program did
    /// not resolve.
    pub plan: Vec<install::Row>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }
}

/// Compile the `.topo` files and folders in `paths`. Only unreadable command-line inputs are
/// an `Err`; everything wrong with the program is a diagnostic.
pub fn compile(paths: &[PathBuf], options: Options) -> Result<Compilation, load::LoadError> {
    let mut diags = Diagnostics::default();
    let loaded = load::load(paths, options.load, &mut diags)?;
    Ok(compile_loaded(loaded, diags, options))
}

/// The files of a program read and parsed, with what loading reported: [`compile_loaded`]
/// takes it from there. `build` loads once and uses the same sources for the fingerprint and
/// for the compilation (at fleet scale, parsing twice cost about a tenth of a build).
pub struct Loaded {
    pub loaded: load::Loaded,
    pub diagnostics: Diagnostics,
}

/// Read and parse the `.topo` files and folders in `paths` (stage 1 only).
pub fn load(paths: &[PathBuf], options: &Options) -> Result<Loaded, load::LoadError> {
    let mut diagnostics = Diagnostics::default();
    let loaded = load::load(paths, options.load, &mut diagnostics)?;
    Ok(Loaded {
        loaded,
        diagnostics,
    })
}

impl Loaded {
    /// The fingerprint of everything loaded ([`inputs::loaded_key`]), or of the listed files
    /// when they are all the program read (`listing`, [`inputs::Listing::loaded_key`]): what
    /// a build records, and a later build compares, to know it has nothing to do. `None` when
    /// the input did not load cleanly (then there is nothing to compare: build normally).
    pub fn fingerprint(&self, salt: u64, listing: Option<&inputs::Listing>) -> Option<u64> {
        if self.diagnostics.has_errors() {
            return None;
        }
        Some(
            listing
                .and_then(|l| l.loaded_key(salt, &self.loaded))
                .unwrap_or_else(|| inputs::loaded_key(salt, &self.loaded)),
        )
    }

    /// Stages 2–5 on what was loaded.
    pub fn compile(self, options: Options) -> Compilation {
        compile_loaded(self.loaded, self.diagnostics, options)
    }
}

/// Compile one source given as text (it can import standard modules only). Used by the fuzz
/// targets and by tools that hold the text in memory.
pub fn compile_source(name: &str, text: &str, options: Options) -> Compilation {
    let mut diags = Diagnostics::default();
    let loaded = load::load_source(name, text, &mut diags);
    compile_loaded(loaded, diags, options)
}

/// Stages 2–5 on a loaded program: what [`compile`] does after loading, for programs that are
/// not read from `.topo` files (`topoc check --manifests` imports them from YAML).
pub fn compile_loaded(
    loaded: load::Loaded,
    mut diags: Diagnostics,
    options: Options,
) -> Compilation {
    let (program, allows) = resolve::resolve(&loaded, &mut diags);
    let load::Loaded {
        sources,
        files,
        inputs,
        ..
    } = loaded;
    // The syntax trees are not needed past resolution; freeing hundreds of thousands of nodes
    // runs on a pool thread, beside the checks, instead of on the way to the output.
    rayon::spawn(move || drop(files));
    let mut sources = sources;
    let mut tree = None;
    let mut clusters = Vec::new();
    let mut plan = Vec::new();
    if let Some(program) = program {
        clusters = program
            .clusters
            .iter()
            .map(|c| c.name.text.clone())
            .collect();
        clusters.sort();
        let graph = graph::DepGraph::build(&program);
        let placement = resolve::place::place(&program, &graph, &mut diags);
        plan = install::plan(&program, &placement);
        let attachments = attach::attach(&program);
        let uses = refs::uses(&program, &placement);
        let selections = mesh::selections(&program, &placement);
        let input = check::Input {
            program: &program,
            graph: &graph,
            placement: &placement,
            attachments: &attachments,
            uses: &uses,
            selections: &selections,
            target: options.target,
        };
        check::check(&input, &mut diags);
        if options.render && !diags.has_errors() {
            let rendered = match options.target {
                Target::Clusters => render::render(&program, &placement, &uses, &selections),
                Target::Relay => render::relay::render(&program, &placement),
                Target::GlooEdge => render::gloo_edge::render(&program, &placement, &attachments),
            };
            let rendered = rendered.and_then(|bundles| {
                let argocd = options
                    .argocd
                    .as_ref()
                    .map(|a| render::argocd::application_set(a, &bundles));
                Ok((bundles, argocd.transpose().map_err(|e| vec![e])?))
            });
            match rendered {
                Ok((bundles, argocd)) => {
                    match &options.consul {
                        // The key/value layout replaces the manifests; main.rs refuses --argocd.
                        Some(kv) => match consul::tree(&bundles, kv) {
                            Ok(t) => tree = Some(t),
                            Err(e) => diags.push(template_diagnostic(&mut sources, e)),
                        },
                        None => tree = Some(emit::plan(&bundles, argocd.as_ref(), options.layout)),
                    }
                    // The tree shares the objects; the per-cluster lists are freed on a pool
                    // thread, beside the writing.
                    rayon::spawn(move || drop((bundles, argocd)));
                }
                Err(errors) => {
                    for e in errors {
                        diags.push(template_diagnostic(&mut sources, e));
                    }
                }
            }
        }
        // As with the syntax trees: hundreds of thousands of allocations, freed off the path.
        rayon::spawn(move || drop((program, graph, placement, attachments, uses, selections)));
    }
    let mut diagnostics = diags.into_sorted(&sources);
    diagnostics.retain(|d| !allows.allows(d));
    Compilation {
        sources,
        diagnostics,
        tree,
        inputs,
        clusters,
        plan,
    }
}

/// A template failure points into the rendered text (added as a source of its own), so the
/// report shows the exact line the template produced.
fn template_diagnostic(sources: &mut SourceMap, e: render::TemplateError) -> Diagnostic {
    let (text, line, column) = e.rendered.unwrap_or_default();
    let name = format!("{} (rendered for {})", e.template, e.what);
    let offset = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + column.saturating_sub(1);
    let offset = offset.min(text.len());
    let file = sources.add(name, text);
    Diagnostic::new(
        Code::TemplateError,
        format!("template {} failed: {}", e.template, e.message),
        Span::new(file, offset, offset),
        "here",
    )
    .with_help("this is a bug in topoc's standard library; please report it with this message")
}
