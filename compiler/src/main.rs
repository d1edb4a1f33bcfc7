//! The `topoc` command line.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use topoc::diag::{Code, Severity};
use topoc::{emit, report, Compilation, Options};

/// mimalloc instead of glibc's malloc: the pipeline allocates many small objects on every rayon
/// thread, and glibc grew each thread's arena with `mprotect` under the process-wide mmap
/// lock; at fleet scale that was a third of a no-op rebuild (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 0 success (warnings allowed), 1 the input has errors (or `--check` found a
/// difference), 2 usage or I/O failure.
const EXIT_INPUT: u8 = 1;
const EXIT_IO: u8 = 2;

#[derive(Parser)]
#[command(
    name = "topoc",
    version,
    about = "Compile multi-cluster gateway topologies into checked, per-cluster Kubernetes manifests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    /// Rendered reports with source excerpts.
    Human,
    /// One JSON object per diagnostic and line (code, severity, message, file, line, column,
    /// byte span, labels, help).
    Json,
}

/// Where the objects are written for the gateway to read them.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Store {
    /// YAML manifests for the Kubernetes API (`--layout`).
    Kubernetes,
    /// Per cluster, a `consul kv import` file `DIR/<cluster>.consul.json` (Gloo Edge on Consul).
    Consul,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Lint {
    /// Treat every warning as an error.
    Warnings,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// `.topo` files or folders (every `.topo` file below a folder, in sorted order).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Colors in diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Fail on warnings too.
    #[arg(long = "deny", value_enum)]
    deny: Vec<Lint>,
    /// Let imports reach files outside the folders named on the command line.
    #[arg(long)]
    allow_imports_outside: bool,
    /// How diagnostics are printed (on standard error).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

/// `I/N`: the I-th of N shards (1-based).
#[derive(Clone, Copy, Debug)]
struct Shard {
    index: usize,
    count: usize,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s.split_once('/').ok_or("write I/N, such as 1/4")?;
    let (index, count): (usize, usize) = (
        i.parse().map_err(|_| "I is not a number")?,
        n.parse().map_err(|_| "N is not a number")?,
    );
    if count == 0 || index == 0 || index > count {
        return Err(format!("{s}: I must be between 1 and N"));
    }
    Ok(Shard { index, count })
}

#[derive(clap::Args)]
struct BuildArgs {
    #[command(flatten)]
    common: Common,
    /// Output folder. Files topoc wrote before and no longer produces are removed.
    #[arg(long, short)]
    out: PathBuf,
    /// `files`: DIR/<cluster>/<namespace>/<kind>-<name>.yaml with a kustomization.yaml;
    /// `bundle`: one multi-document DIR/<cluster>.yaml.
    #[arg(long, value_enum, default_value_t = emit::Layout::Files)]
    layout: emit::Layout,
    /// Write into a non-empty folder that topoc did not create.
    #[arg(long)]
    force: bool,
    /// Build only this cluster (repeatable). The whole topology is still checked; the bytes
    /// equal those of the same cluster in a full build.
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
    /// Build only shard I of N (clusters sorted by name, dealt round-robin): N builds with
    /// 1/N ... N/N together write exactly the full build, for Bazel or Nix to fan out.
    #[arg(long, value_parser = parse_shard, value_name = "I/N")]
    shard: Option<Shard>,
    /// Also write a Make-format dependency file listing every input file read.
    #[arg(long, value_name = "FILE")]
    depfile: Option<PathBuf>,
    /// Compare with what is in --out instead of writing: print a unified diff per file and
    /// exit 1 when anything differs. Nothing is written.
    #[arg(long)]
    check: bool,
    /// `clusters`: one folder per cluster; `relay`: one management-cluster bundle annotated for
    /// Gloo Mesh's relay (`gloo.solo.io/distribute-to`); `gloo-edge`: one folder per cluster in
    /// the Gloo Edge API (Gateway, VirtualService, Upstream, UpstreamGroup).
    #[arg(long, value_enum, default_value_t = topoc::Target::Clusters)]
    target: topoc::Target,
    /// `kubernetes`: YAML manifests; `consul`: instead, per cluster, DIR/<cluster>.consul.json
    /// for `consul kv import` (needs `--target gloo-edge`).
    #[arg(long, value_enum, default_value_t = Store::Kubernetes)]
    store: Store,
    /// The key prefix of `--store consul`: Gloo's `consulKvSource.rootKey`.
    #[arg(long, value_name = "PREFIX")]
    consul_root: Option<String>,
    /// Also write `_argocd/applicationset.yaml`: an ArgoCD ApplicationSet deploying
    /// PATH_PREFIX/<cluster> of REPO_URL into each cluster.
    #[arg(long, value_name = "REPO_URL[,PATH_PREFIX]", value_parser = topoc::render::argocd::ArgoCd::parse)]
    argocd: Option<topoc::render::argocd::ArgoCd>,
    /// Test hook: abort after staging N files (proves a killed build leaves old output).
    #[arg(long, hide = true)]
    failpoint_after: Option<usize>,
}

/// How manifests are read (`import`, `check --manifests`).
#[derive(clap::Args, Clone, Default)]
struct ReadArgs {
    /// `.topo` files or folders whose `cluster` definitions describe the fleet (repeatable);
    /// without them, clusters are inferred from the folders and annotations.
    #[arg(long = "clusters", value_name = "PATH")]
    clusters: Vec<PathBuf>,
    /// Every manifest belongs to this one cluster (instead of `DIR/<cluster>/...`).
    #[arg(long = "cluster", value_name = "NAME")]
    cluster: Option<String>,
}

#[derive(clap::Args, Clone)]
struct ManifestArgs {
    /// The paths are Kubernetes manifests (YAML), not `.topo` files.
    #[arg(long)]
    manifests: bool,
    /// With --manifests: the manifests before a change (repeatable); report the diagnostics the
    /// change introduces, fixes and leaves unchanged.
    #[arg(long, value_name = "DIR", requires = "manifests")]
    base: Vec<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Check the topology and write one folder of manifests per cluster.
    Build(BuildArgs),
    /// Parse, resolve and check only; write nothing. With `--manifests`, check existing
    /// Kubernetes YAML instead of `.topo` files.
    Check {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        manifests: ManifestArgs,
    },
    /// Read Kubernetes manifests (a folder per cluster, or a Gloo relay folder annotated with
    /// `gloo.solo.io/distribute-to`) and write them as a `.topo` program.
    #[command(mut_arg("paths", |a| a.help("Kubernetes manifests: YAML files, or folders of them")))]
    Import {
        #[command(flatten)]
        common: Common,
        /// The `.topo` file to write.
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// List the clusters and files whose output differs between two versions of a topology.
    Affected {
        /// The old version: `.topo` files or folders (repeatable).
        #[arg(long, required = true, value_name = "PATH")]
        base: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Check the topology and print which gateway revisions each cluster runs, and which is
    /// active (the gateway installations' plan).
    Plan {
        #[command(flatten)]
        common: Common,
    },
    /// Explain a diagnostic code, with a failing and a fixed example.
    Explain {
        /// A code such as E0301.
        code: Option<String>,
        /// List every code with its summary.
        #[arg(long)]
        list: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Build(args) => build(&args),
        Command::Check { common, manifests } if manifests.manifests => {
            check_manifests(&common, &manifests)
        }
        Command::Check { common, manifests } => {
            if !manifests.read.clusters.is_empty() || manifests.read.cluster.is_some() {
                eprintln!("error: --clusters and --cluster go with --manifests");
                return ExitCode::from(EXIT_IO);
            }
            let options = Options {
                render: false,
                load: common.load_options(),
                ..Options::default()
            };
            match run(&common, options) {
                None => ExitCode::from(EXIT_IO),
                Some(c) if failed(&c, &common) => ExitCode::from(EXIT_INPUT),
                Some(_) => ExitCode::SUCCESS,
            }
        }
        Command::Import { common, out, read } => import(&common, &out, &read),
        Command::Affected { base, common } => affected(&base, &common),
        Command::Plan { common } => plan(&common),
        Command::Explain { code, list } => explain(code.as_deref(), list),
    }
}

/// What the output depends on besides the input files: the compiler itself and the flags that
/// shape the output. Hashing the binary makes a rebuilt compiler invalidate old output.
fn salt(args: &BuildArgs) -> u64 {
    let exe = std::env::current_exe()
        .and_then(hash_file)
        .unwrap_or_default();
    let flags = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}",
        args.layout as u8,
        args.target as u8,
        args.argocd,
        (args.store as u8, &args.consul_root),
        args.clusters,
        args.shard.map(|s| (s.index, s.count)),
        args.common.allow_imports_outside,
        args.common.deny.len()
    );
    exe ^ emit::hash_bytes(flags.as_bytes()).rotate_left(1)
}

/// A hash of a file's bytes, read in blocks through one buffer: the compiler's binary is
/// 10 MiB, and reading it whole into fresh memory was a measurable part of a no-op rebuild.
fn hash_file(path: PathBuf) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut block = vec![0; 1 << 20];
    let mut hashes = Vec::new();
    loop {
        let mut filled = 0;
        while filled < block.len() {
            match file.read(&mut block[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        if filled == 0 {
            break;
        }
        hashes.extend_from_slice(&emit::hash_bytes(&block[..filled]).to_le_bytes());
        if filled < block.len() {
            break;
        }
    }
    Ok(emit::hash_bytes(&hashes))
}

fn build(args: &BuildArgs) -> ExitCode {
    let consul = match consul_store(args) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let options = Options {
        render: true,
        layout: args.layout,
        load: args.common.load_options(),
        target: args.target,
        argocd: args.argocd.clone(),
        consul,
    };
    // A rebuild with unchanged inputs, compiler and flags into an untouched output would write
    // the same bytes: stop early, as build systems do for a no-op. When the last build read
    // only the files named here, their bytes decide it before anything is parsed.
    let may_skip = !args.check && args.depfile.as_ref().is_none_or(|d| d.exists());
    let (salt, listing) = rayon::join(
        || salt(args),
        || topoc::inputs::Listing::of(&args.common.paths),
    );
    let listed = listing
        .as_ref()
        .filter(|_| may_skip)
        .and_then(|l| l.disk_key(salt));
    if let Some(key) = listed.filter(|_| may_skip) {
        if emit::up_to_date(&args.out, key) {
            return up_to_date(&args.out);
        }
    }
    let loaded = match topoc::load(&args.common.paths, &options) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_IO);
        }
    };
    // The fingerprint to record, and, when the program read files beyond those listed, to
    // compare now: only loading finds those.
    let fingerprint = loaded.fingerprint(salt, listing.as_ref());
    if let Some(f) = fingerprint.filter(|f| may_skip && listed != Some(*f)) {
        if emit::up_to_date(&args.out, f) {
            // Exiting frees the syntax trees at once; dropping them node by node was a
            // sixth of a no-op rebuild of a large fleet.
            std::mem::forget(loaded);
            return up_to_date(&args.out);
        }
    }
    // What `--out` holds (its manifest, and the size and time of every file listed) is read
    // beside the compilation: it does not depend on the new output.
    let survey = (!args.check).then(|| {
        let out = args.out.clone();
        std::thread::spawn(move || emit::Survey::gather(&out))
    });
    let mut c = loaded.compile(options);
    print_diagnostics(&args.common, &c.diagnostics, &c.sources);
    if failed(&c, &args.common) {
        return ExitCode::from(EXIT_INPUT);
    }
    let Some(full) = c.tree.take() else {
        return ExitCode::from(EXIT_INPUT);
    };
    let tree = match selection(args, &c.clusters) {
        Ok(None) => full,
        Ok(Some(chosen)) => emit::select(&full, |cluster| chosen.contains(cluster)),
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_IO);
        }
    };
    if args.check {
        return match emit::diff(&args.out, &tree) {
            Ok(d) if d.is_empty() => ExitCode::SUCCESS,
            Ok(d) => {
                print!("{d}");
                eprintln!(
                    "topoc: {} differs from the topology; run `topoc build` to update it",
                    args.out.display()
                );
                ExitCode::from(EXIT_INPUT)
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_IO)
            }
        };
    }
    if let Some(path) = &args.depfile {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let written = dir
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, emit::depfile(&args.out, &c.inputs)));
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(EXIT_IO);
        }
    }
    // A survey that failed is looked at again by the writer, which reports the error.
    let survey = survey.and_then(|s| s.join().ok()).and_then(Result::ok);
    let written = emit::write_with(
        &args.out,
        &tree,
        args.force,
        emit::Failpoint(args.failpoint_after),
        fingerprint,
        survey,
    );
    let files = tree.len();
    // The process ends here: the operating system takes the memory back at once, while
    // dropping the tree and the program one allocation at a time took 50–70 ms of a large
    // build.
    std::mem::forget(tree);
    std::mem::forget(c);
    match written {
        Ok(stats) => {
            eprintln!(
                "topoc: {} files in {} ({} written, {} unchanged, {} removed)",
                files,
                args.out.display(),
                stats.written,
                stats.unchanged,
                stats.removed
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_IO)
        }
    }
}

fn up_to_date(out: &Path) -> ExitCode {
    eprintln!(
        "topoc: {} is up to date (no input, flag or compiler change)",
        out.display()
    );
    ExitCode::SUCCESS
}

/// `--store consul` and `--consul-root`, checked against the flags they go with.
fn consul_store(args: &BuildArgs) -> Result<Option<topoc::consul::ConsulKv>, String> {
    match args.store {
        Store::Kubernetes => match &args.consul_root {
            Some(_) => Err("--consul-root needs --store consul".into()),
            None => Ok(None),
        },
        Store::Consul if args.target != topoc::Target::GlooEdge => Err(
            "--store consul needs --target gloo-edge: Gloo Edge is what reads its configuration from Consul".into(),
        ),
        Store::Consul if args.argocd.is_some() => {
            Err("--argocd deploys Kubernetes manifests; it cannot go with --store consul".into())
        }
        Store::Consul => topoc::consul::ConsulKv::with_root(
            args.consul_root
                .as_deref()
                .unwrap_or(topoc::consul::DEFAULT_ROOT),
        )
        .map(Some),
    }
}

/// The clusters `--cluster` and `--shard` choose; `None` for all.
fn selection(args: &BuildArgs, declared: &[String]) -> Result<Option<BTreeSet<String>>, String> {
    let mut chosen: Option<BTreeSet<String>> = None;
    if !args.clusters.is_empty() {
        if let Some(unknown) = args.clusters.iter().find(|c| !declared.contains(c)) {
            return Err(format!(
                "--cluster {unknown}: no such cluster; the clusters are {}",
                declared.join(", ")
            ));
        }
        chosen = Some(args.clusters.iter().cloned().collect());
    }
    if let Some(shard) = args.shard {
        // `declared` is sorted by name, so shards do not depend on declaration order.
        let dealt: BTreeSet<String> = declared
            .iter()
            .enumerate()
            .filter(|(i, _)| i % shard.count == shard.index - 1)
            .map(|(_, c)| c.clone())
            .collect();
        chosen = Some(match chosen {
            Some(c) => c.intersection(&dealt).cloned().collect(),
            None => dealt,
        });
    }
    Ok(chosen)
}

impl ReadArgs {
    fn options(&self, common: &Common) -> topoc::import::ImportOptions {
        topoc::import::ImportOptions {
            clusters: self.clusters.clone(),
            cluster: self.cluster.clone(),
            load: common.load_options(),
            explicit_placement: false,
        }
    }
}

fn color(common: &Common) -> bool {
    match common.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal(),
    }
}

fn print_diagnostics(
    common: &Common,
    diags: &[topoc::diag::Diagnostic],
    sources: &topoc::source::SourceMap,
) {
    let text = match common.message_format {
        MessageFormat::Human => report::render_all(diags, sources, color(common)),
        MessageFormat::Json => report::render_json(diags, sources),
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// `topoc import`: the manifests as a `.topo` program, written only when they convert
/// without error.
fn import(common: &Common, out: &std::path::Path, read: &ReadArgs) -> ExitCode {
    let imported = match topoc::import::import(&common.paths, &read.options(common)) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let text = topoc::import::to_topo(&imported, &common.paths);
    let count = imported.items.len();
    let unwritable = topoc::import::unwritable(&imported.items);
    let mut diags = imported.diagnostics;
    diags.extend(unwritable);
    let diags = diags.into_sorted(&imported.loaded.sources);
    print_diagnostics(common, &diags, &imported.loaded.sources);
    let errors = diags.iter().any(|d| d.severity() == Severity::Error);
    let warnings = diags.iter().any(|d| d.severity() == Severity::Warning);
    if errors || (warnings && common.deny.contains(&Lint::Warnings)) {
        eprintln!("topoc: nothing written: the manifests cannot be imported as they are");
        return ExitCode::from(EXIT_INPUT);
    }
    let staging = out.with_extension("topo.tmp");
    let written = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&staging, &text))
        .and_then(|()| std::fs::rename(&staging, out));
    if let Err(e) = written {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitCode::from(EXIT_IO);
    }
    eprintln!("topoc: {count} definitions written to {}", out.display());
    ExitCode::SUCCESS
}

/// `topoc check --manifests`: import in memory and run the checks; diagnostics point into
/// the manifests. With `--base`, compare with the diagnostics of the manifests before.
fn check_manifests(common: &Common, args: &ManifestArgs) -> ExitCode {
    let options = Options {
        render: false,
        load: common.load_options(),
        ..Options::default()
    };
    let read = topoc::import::ImportOptions {
        explicit_placement: true,
        ..args.read.options(common)
    };
    let check = |paths: &[PathBuf]| {
        topoc::import::import(paths, &read).map(|i| {
            let options = i.check_options(options.clone());
            let locator = i.locator;
            let c = topoc::compile_loaded(i.loaded, i.diagnostics, options);
            (c, locator)
        })
    };
    let (new, locator) = match check(&common.paths) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_IO);
        }
    };
    if args.base.is_empty() {
        print_diagnostics(common, &new.diagnostics, &new.sources);
        return if failed(&new, common) {
            ExitCode::from(EXIT_INPUT)
        } else {
            ExitCode::SUCCESS
        };
    }
    let (old, old_locator) = match check(&args.base) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_IO);
        }
    };
    let change = topoc::import::compare(
        (&old.diagnostics, &old_locator, &old.sources),
        (&new.diagnostics, &locator, &new.sources),
    );
    let introduced: Vec<topoc::diag::Diagnostic> = change
        .introduced
        .iter()
        .map(|&i| new.diagnostics[i].clone())
        .collect();
    print_diagnostics(common, &introduced, &new.sources);
    for (word, list) in [
        ("introduced", &change.introduced_ids),
        ("fixed", &change.fixed),
        ("unchanged", &change.unchanged),
    ] {
        for id in list {
            println!("{word:<10} {id}");
        }
    }
    eprintln!(
        "topoc: {} introduced, {} fixed, {} unchanged",
        change.introduced.len(),
        change.fixed.len(),
        change.unchanged.len()
    );
    let bad = introduced.iter().any(|d| {
        d.severity() == Severity::Error
            || (d.severity() == Severity::Warning && common.deny.contains(&Lint::Warnings))
    });
    if bad {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}

/// Compile and print the diagnostics; `None` when an input could not be read.
fn run(common: &Common, options: Options) -> Option<Compilation> {
    match topoc::compile(&common.paths, options) {
        Ok(c) => {
            print_diagnostics(common, &c.diagnostics, &c.sources);
            Some(c)
        }
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

impl Common {
    fn load_options(&self) -> topoc::load::LoadOptions {
        topoc::load::LoadOptions {
            imports_outside: self.allow_imports_outside,
        }
    }
}

fn failed(c: &Compilation, common: &Common) -> bool {
    c.has_errors()
        || (common.deny.contains(&Lint::Warnings)
            && c.diagnostics
                .iter()
                .any(|d| d.severity() == Severity::Warning))
}

/// Compare the outputs of two versions: what a reviewer and an ArgoCD preview need.
fn affected(base: &[PathBuf], common: &Common) -> ExitCode {
    let options = Options {
        render: true,
        load: common.load_options(),
        ..Options::default()
    };
    let old_common = Common {
        paths: base.to_vec(),
        ..common.clone()
    };
    let (Some(old), Some(new)) = (run(&old_common, options.clone()), run(common, options)) else {
        return ExitCode::from(EXIT_IO);
    };
    let (Some(old_tree), Some(new_tree)) = (&old.tree, &new.tree) else {
        eprintln!("error: both versions must compile without errors");
        return ExitCode::from(EXIT_INPUT);
    };
    let mut clusters = BTreeSet::new();
    let mut lines = Vec::new();
    for (path, text) in new_tree {
        match old_tree.get(path) {
            None => lines.push(format!("added    {path}")),
            Some(t) if t != text => lines.push(format!("changed  {path}")),
            Some(_) => continue,
        }
        clusters.insert(emit::cluster_of(path).to_string());
    }
    for path in old_tree.keys().filter(|p| !new_tree.contains_key(*p)) {
        lines.push(format!("removed  {path}"));
        clusters.insert(emit::cluster_of(path).to_string());
    }
    lines.sort_by(|a, b| a[9..].cmp(&b[9..]));
    for l in &lines {
        println!("{l}");
    }
    let clusters: Vec<String> = clusters.into_iter().collect();
    eprintln!(
        "topoc: {} files differ in {} cluster(s): {}",
        lines.len(),
        clusters.len(),
        clusters.join(", ")
    );
    ExitCode::SUCCESS
}

/// The plan is printed only for a program that checks: with errors it would show an
/// installation the build refuses.
fn plan(common: &Common) -> ExitCode {
    let options = Options {
        render: false,
        load: common.load_options(),
        ..Options::default()
    };
    match run(common, options) {
        None => ExitCode::from(EXIT_IO),
        Some(c) if failed(&c, common) => ExitCode::from(EXIT_INPUT),
        Some(c) => {
            if c.plan.is_empty() {
                eprintln!("topoc: no gateway installation");
            } else {
                print!("{}", topoc::install::format_plan(&c.plan));
            }
            ExitCode::SUCCESS
        }
    }
}

fn explain(code: Option<&str>, list: bool) -> ExitCode {
    if list || code.is_none() {
        for c in Code::ALL {
            println!("{c}  {}", c.title());
        }
        return ExitCode::SUCCESS;
    }
    let text = code.unwrap_or_default();
    match Code::parse(text) {
        Some(c) => {
            print!("{}", c.explanation());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "error: `{text}` is not a topoc diagnostic code; `topoc explain --list` lists them"
            );
            ExitCode::from(EXIT_IO)
        }
    }
}
