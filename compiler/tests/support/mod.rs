//! Shared helpers of the integration tests: paths, blessing, and tree comparison with
//! unified diffs.

#![allow(dead_code)]

pub mod seeds;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The repository root (the workspace), whatever the test's working directory.
pub fn repo() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// `TOPOC_BLESS=1 cargo test` rewrites expected files instead of comparing.
pub fn bless() -> bool {
    std::env::var_os("TOPOC_BLESS").is_some_and(|v| v != "0")
}

/// Every file below `dir`, by path relative to it (with `/` separators).
pub fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk expected tree");
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).expect("below dir");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text = fs::read_to_string(entry.path())
                .unwrap_or_else(|e| panic!("read {}: {e}", entry.path().display()));
            out.insert(rel, text);
        }
    }
    out
}

/// Replace `dir` with exactly `tree`.
pub fn write_tree(dir: &Path, tree: &BTreeMap<String, String>) {
    let _ = fs::remove_dir_all(dir);
    for (rel, text) in tree {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().expect("file has a parent")).expect("create folder");
        fs::write(&path, text).expect("write expected file");
    }
}

/// A unified diff of two texts.
pub fn diff(name: &str, expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(&format!("expected/{name}"), &format!("actual/{name}"))
        .to_string()
}

/// Compare trees; a description of every difference, or `None` when equal.
pub fn compare_trees(
    expected: &BTreeMap<String, String>,
    actual: &BTreeMap<String, String>,
) -> Option<String> {
    let mut report = String::new();
    for (path, want) in expected {
        match actual.get(path) {
            None => report.push_str(&format!("missing from the output: {path}\n")),
            Some(got) if got != want => report.push_str(&diff(path, want, got)),
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|p| !expected.contains_key(*p)) {
        report.push_str(&format!(
            "not in the expected files: {path}\n{}",
            diff(path, "", &actual[path])
        ));
    }
    (!report.is_empty()).then_some(report)
}

/// A fresh temporary folder for one test.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("topoc-test-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// An example folder may hold the build's arguments instead of (or beside) `.topo` files:
/// the paths and flags of `topoc build`, relative to the folder, without `--out`.
pub const ARGS_FILE: &str = "topoc.args";

/// The examples: every folder of `examples/` that holds `.topo` files or a `topoc.args`.
pub fn examples() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(repo().join("examples")).expect("examples/ exists") {
        let path = entry.expect("read examples/").path();
        if path.is_dir() {
            let has_topo = walkdir::WalkDir::new(&path)
                .into_iter()
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "topo"));
            if has_topo || path.join(ARGS_FILE).exists() {
                out.push((
                    path.file_name()
                        .expect("named")
                        .to_string_lossy()
                        .into_owned(),
                    path,
                ));
            }
        }
    }
    out.sort();
    out
}

/// Stage a manifest text in `dir`: one `manifest.yaml` in cluster `east`, or, when the text has
/// `# file: PATH` lines, one file per section in a folder-per-cluster layout. Returns the
/// import options that go with the layout.
pub fn stage_manifests(dir: &Path, text: &str) -> topoc::import::ImportOptions {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("create manifest folder");
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("# file: ") {
            files.push((path.trim().to_string(), String::new()));
        } else if let Some((_, body)) = files.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let single = files.is_empty();
    if single {
        files.push(("manifest.yaml".into(), text.to_string()));
    }
    for (path, body) in &files {
        let target = dir.join(path);
        fs::create_dir_all(target.parent().expect("in dir")).expect("create folder");
        fs::write(target, body).expect("write manifest");
    }
    topoc::import::ImportOptions {
        cluster: single.then(|| "east".to_string()),
        explicit_placement: true,
        ..Default::default()
    }
}

/// What `topoc check --manifests` reports for manifests staged by [`stage_manifests`], plus
/// what only `topoc import` reports (names a `.topo` file cannot spell), sorted by position.
pub fn check_manifests(
    dir: &Path,
    options: &topoc::import::ImportOptions,
) -> (Vec<topoc::diag::Diagnostic>, topoc::source::SourceMap) {
    let imported = topoc::import::import(&[dir.to_path_buf()], options).expect("readable");
    let mut extra = topoc::import::unwritable(&imported.items);
    let options = imported.check_options(topoc::Options::default());
    let c = topoc::compile_loaded(imported.loaded, imported.diagnostics, options);
    let mut diags = c.diagnostics;
    diags.append(&mut extra);
    diags.sort_by_key(|d| {
        (
            c.sources.get(d.primary.span.file).name.clone(),
            d.primary.span.start,
            d.code,
        )
    });
    (diags, c.sources)
}

/// Compare a rendered report with its snapshot (or write it, when blessing); a diff goes to
/// `failures`.
pub fn check_snapshot(snapshot: &Path, display: &str, rendered: &str, failures: &mut String) {
    if bless() {
        fs::write(snapshot, rendered).expect("write snapshot");
        return;
    }
    let expected = fs::read_to_string(snapshot).unwrap_or_default();
    if expected != rendered {
        failures.push_str(&diff(display, &expected, rendered));
    }
}
