//! Stage 5: rendered bundles → files under `--out` ([`plan`], then [`write`]).
//!
//! Everything is computed in memory first, so an input error never touches the output. Then
//! each changed file is written to a temporary name and renamed over the old one (a reader
//! never sees half a file), unchanged files are left alone (their bytes and times stay), and
//! files that an earlier run wrote but this one does not are removed. Which files topoc owns
//! is recorded in `.topoc-manifest`, so a file topoc did not write is never deleted.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::json;

use crate::render::ClusterBundle;
use crate::yaml;

/// The folder of the ArgoCD objects: `_` cannot start a cluster name, so it never clashes.
pub const ARGOCD_DIR: &str = "_argocd";

/// The record of the files topoc wrote into an output folder.
pub const MANIFEST: &str = ".topoc-manifest";
const MANIFEST_HEADER: &str = "# Files written by topoc. Do not edit: topoc removes the files listed here when it no longer produces them.\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Layout {
    /// `DIR/<cluster>/<namespace>/<kind>-<name>.yaml` plus a `kustomization.yaml` per cluster.
    #[default]
    Files,
    /// One multi-document `DIR/<cluster>.yaml` per cluster.
    Bundle,
}

/// A file's bytes as shared pieces: an object's YAML is held once, however many cluster
/// files (or bundles) hold it. At fleet scale this is the difference between the size of the
/// topology and the size of the output in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    chunks: Vec<Arc<str>>,
}

impl Content {
    pub fn new(text: impl Into<Arc<str>>) -> Content {
        Content {
            chunks: vec![text.into()],
        }
    }

    fn push(&mut self, chunk: Arc<str>) {
        self.chunks.push(chunk);
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `bytes` are exactly this content, without joining it.
    pub fn eq_bytes(&self, mut bytes: &[u8]) -> bool {
        for c in &self.chunks {
            match bytes.strip_prefix(c.as_bytes()) {
                Some(rest) => bytes = rest,
                None => return false,
            }
        }
        bytes.is_empty()
    }

    pub fn write_to(&self, w: &mut impl std::io::Write) -> io::Result<()> {
        self.chunks
            .iter()
            .try_for_each(|c| w.write_all(c.as_bytes()))
    }

    /// A stable 64-bit hash of the bytes, recorded in the manifest so that an unchanged file
    /// is recognised without reading it back. Eight bytes at a time: hashing is on the path of
    /// every rebuild, over the whole output.
    pub fn hash(&self) -> u64 {
        let mut h = WordHasher::default();
        self.chunks.iter().for_each(|c| h.write(c.as_bytes()));
        h.finish()
    }
}

/// A streaming hash over 64-bit little-endian words (multiply-rotate, like FxHash), with the
/// length mixed in at the end. Stable across runs and platforms, which the standard library's
/// hasher does not promise.
#[derive(Default)]
struct WordHasher {
    state: u64,
    pending: [u8; 8],
    filled: usize,
    len: u64,
}

impl WordHasher {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }

    fn write(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.filled > 0 {
            let take = (8 - self.filled).min(bytes.len());
            self.pending[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled < 8 {
                return;
            }
            self.mix(u64::from_le_bytes(self.pending));
            self.filled = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.mix(u64::from_le_bytes(a));
        }
        let rest = words.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.filled = rest.len();
    }

    fn finish(mut self) -> u64 {
        if self.filled > 0 {
            self.pending[self.filled..].fill(0);
            self.mix(u64::from_le_bytes(self.pending));
        }
        let len = self.len;
        self.mix(len);
        self.state
    }
}

impl std::fmt::Display for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.chunks.iter().try_for_each(|c| f.write_str(c))
    }
}

/// The output tree: relative path → content, sorted.
pub type Tree = BTreeMap<String, Content>;

/// Lay the bundles out as files.
pub fn plan(
    bundles: &[ClusterBundle],
    argocd: Option<&crate::render::Object>,
    layout: Layout,
) -> Tree {
    let mut tree = Tree::new();
    // Deployment objects go beside the cluster folders, under a name no cluster can have.
    if let Some(app) = argocd {
        let path = match layout {
            Layout::Files => format!("{ARGOCD_DIR}/applicationset.yaml"),
            Layout::Bundle => format!("{ARGOCD_DIR}.yaml"),
        };
        tree.insert(path, Content::new(app.yaml.clone()));
    }
    let separator: Arc<str> = Arc::from("---\n");
    for b in bundles {
        match layout {
            Layout::Files => {
                let mut resources = Vec::with_capacity(b.objects.len());
                for o in &b.objects {
                    let path = o.path();
                    tree.insert(format!("{}/{path}", b.name), Content::new(o.yaml.clone()));
                    resources.push(path.to_string());
                }
                let k = json!({
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": resources,
                });
                tree.insert(
                    format!("{}/kustomization.yaml", b.name),
                    Content::new(yaml::to_string(&k)),
                );
            }
            Layout::Bundle => {
                let mut content = Content::default();
                for (i, o) in b.objects.iter().enumerate() {
                    if i > 0 {
                        content.push(separator.clone());
                    }
                    content.push(o.yaml.clone());
                }
                tree.insert(format!("{}.yaml", b.name), content);
            }
        }
    }
    tree
}

/// The cluster a planned path belongs to: `<cluster>/...`, `<cluster>.yaml` or
/// `<cluster>.consul.json` (`--store consul`).
pub fn cluster_of(path: &str) -> &str {
    match path.split_once('/') {
        Some((cluster, _)) => cluster,
        None => path
            .strip_suffix(".yaml")
            .or_else(|| path.strip_suffix(crate::consul::SUFFIX))
            .unwrap_or(path),
    }
}

/// The part of a tree that belongs to the chosen clusters. Its bytes are those of the full
/// build: objects do not depend on which clusters are built.
pub fn select(tree: &Tree, keep: impl Fn(&str) -> bool) -> Tree {
    tree.iter()
        .filter(|(p, _)| keep(cluster_of(p)))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect()
}

/// A Make rule: `target: input...`, with spaces and `$` escaped as Make and Ninja read them.
pub fn depfile(target: &Path, inputs: &[PathBuf]) -> String {
    let esc = |p: &Path| {
        p.to_string_lossy()
            .replace('$', "$$")
            .replace(' ', "\\ ")
            .replace('#', "\\#")
    };
    let mut out = format!("{}:", esc(target));
    for input in inputs {
        out.push_str(" \\\n  ");
        out.push_str(&esc(input));
    }
    out.push('\n');
    out
}

/// How the planned tree differs from what is in `out`: unified diffs per file, in path order,
/// and the files topoc wrote there before that it would now remove. Empty when equal.
pub fn diff(out: &Path, tree: &Tree) -> Result<String, EmitError> {
    let old = read_manifest(out)?.unwrap_or_default();
    let mut report = String::new();
    for (rel, text) in tree {
        let existing = fs::read_to_string(out.join(rel)).unwrap_or_default();
        if !text.eq_bytes(existing.as_bytes()) {
            let text = text.to_string();
            let d = similar::TextDiff::from_lines(&existing, &text);
            report.push_str(
                &d.unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{rel}"), &format!("b/{rel}"))
                    .to_string(),
            );
        }
    }
    for stale in old.files.keys().filter(|p| !tree.contains_key(*p)) {
        report.push_str(&format!("would remove {stale}\n"));
    }
    Ok(report)
}

/// Hash bytes with the output hash (stable across runs and platforms).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = WordHasher::default();
    h.write(bytes);
    h.finish()
}

/// Whether `out` holds a complete, untouched build recorded with this fingerprint (the
/// compiler, the flags and every input's bytes): a rebuild would write the same bytes.
pub fn up_to_date(out: &Path, fingerprint: u64) -> bool {
    let Ok(Some(m)) = read_manifest(out) else {
        return false;
    };
    if m.fingerprint != Some(fingerprint) {
        return false;
    }
    // The output files are still those written: same sizes, not modified after the manifest.
    m.files.par_iter().all(|(rel, entry)| {
        let Some((_, size)) = entry else { return false };
        fs::metadata(out.join(rel)).is_ok_and(|meta| {
            meta.len() == *size
                && matches!((meta.modified(), m.written), (Ok(t), Some(w)) if t <= w)
        })
    })
}

/// What a write did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

#[derive(Debug)]
pub enum EmitError {
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// `--out` holds files topoc did not write; removing stale files could delete them.
    Foreign {
        out: PathBuf,
        example: PathBuf,
    },
    /// A planned path that would leave `--out`; the name checks make this unreachable, this
    /// is the second line of defence.
    Escape {
        path: String,
    },
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmitError::Io { path, error } => write!(f, "cannot write {}: {error}", path.display()),
            EmitError::Foreign { out, example } => write!(
                f,
                "{} is not empty and was not written by topoc (it has {} and no {MANIFEST}); choose an empty folder or pass --force",
                out.display(),
                example.display()
            ),
            EmitError::Escape { path } => write!(f, "refusing to write `{path}`: the path leaves the output folder"),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> EmitError + '_ {
    move |error| EmitError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// A relative path made only of normal components.
fn is_contained(rel: &str) -> bool {
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// What an earlier run recorded: each file it wrote with the hash and size of its bytes, and
/// when the record was written (after every file), so a file edited since is noticed.
#[derive(Default)]
struct Manifest {
    files: BTreeMap<String, Option<(u64, u64)>>,
    written: Option<std::time::SystemTime>,
    fingerprint: Option<u64>,
}

impl Manifest {
    fn contains(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    /// Whether the file on disk still holds `content`: by the recorded hash and size when the
    /// file is no newer than the record, by its bytes otherwise.
    fn unchanged(&self, out: &Path, rel: &str, content: &Content, hash: u64) -> bool {
        // Only files an earlier run wrote can be unchanged; a first build stats nothing.
        if !self.files.contains_key(rel) {
            return false;
        }
        let path = out.join(rel);
        let Ok(meta) = fs::metadata(&path) else {
            return false;
        };
        if meta.len() != content.len() as u64 {
            return false;
        }
        let recorded = self.files.get(rel).copied().flatten();
        let untouched = match (meta.modified(), self.written) {
            (Ok(m), Some(w)) => m <= w,
            _ => false,
        };
        match recorded {
            Some((recorded, size)) if untouched && size == meta.len() => recorded == hash,
            _ => fs::read(&path).is_ok_and(|bytes| content.eq_bytes(&bytes)),
        }
    }
}

fn read_manifest(out: &Path) -> Result<Option<Manifest>, EmitError> {
    let path = out.join(MANIFEST);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(EmitError::Io { path, error }),
    };
    let mut m = Manifest {
        written: fs::metadata(&path).and_then(|m| m.modified()).ok(),
        ..Manifest::default()
    };
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("# fingerprint\t") {
            m.fingerprint = u64::from_str_radix(h, 16).ok();
        }
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut fields = line.split('\t');
        let rel = fields.next().unwrap_or_default();
        if !is_contained(rel) {
            continue;
        }
        let hash = fields.next().and_then(|h| u64::from_str_radix(h, 16).ok());
        let size = fields.next().and_then(|s| s.parse().ok());
        m.files.insert(rel.to_string(), hash.zip(size));
    }
    Ok(Some(m))
}

/// Write one file: a single chunk straight from memory, several through one buffer.
fn write_content(target: &Path, content: &Content) -> Result<(), EmitError> {
    match content.chunks.as_slice() {
        [one] => fs::write(target, one.as_bytes()).map_err(io_err(target)),
        _ => {
            let file = fs::File::create(target).map_err(io_err(target))?;
            let mut w = io::BufWriter::with_capacity(1 << 16, file);
            content
                .write_to(&mut w)
                .and_then(|()| std::io::Write::flush(&mut w))
                .map_err(io_err(target))
        }
    }
}

/// `DIR.SUFFIX` beside `DIR`: on the same filesystem, so renames between them are atomic.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

/// Exchange two folders in one step where the platform can (Linux `renameat2`), so a reader
/// or a crash sees the old tree or the new one, never a mix.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    // Two renames: a crash between them leaves `b` moved aside; `recover` puts it back.
    let aside = sibling(b, "topoc-old");
    fs::rename(b, &aside)?;
    fs::rename(a, b)?;
    fs::rename(&aside, a)
}

/// Finish or undo what a killed run left behind: a staging folder is discarded; an output
/// folder moved aside and not yet replaced is moved back.
fn recover(out: &Path) -> Result<(), EmitError> {
    let staging = sibling(out, "topoc-staging");
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
    }
    let aside = sibling(out, "topoc-old");
    if aside.exists() {
        if out.exists() {
            fs::remove_dir_all(&aside).map_err(io_err(&aside))?;
        } else {
            fs::rename(&aside, out).map_err(io_err(out))?;
        }
    }
    Ok(())
}

/// Test hook (`topoc build --failpoint-after N`): abort the process after N files have been
/// staged, to prove a killed build leaves the old output whole.
#[derive(Clone, Copy, Debug, Default)]
pub struct Failpoint(pub Option<usize>);

/// Write the tree under `out`. `force` allows an output folder topoc did not create.
///
/// The new tree is assembled in a staging folder beside `out` — unchanged files hard-linked
/// from the old tree (their bytes are not rewritten), changed files written — and then swapped
/// with `out` in one rename. A run that changes nothing touches nothing.
pub fn write(out: &Path, tree: &Tree, force: bool) -> Result<Stats, EmitError> {
    write_with(out, tree, force, Failpoint::default(), None)
}

pub fn write_with(
    out: &Path,
    tree: &Tree,
    force: bool,
    failpoint: Failpoint,
    fingerprint: Option<u64>,
) -> Result<Stats, EmitError> {
    if let Some(bad) = tree.keys().find(|p| !is_contained(p)) {
        return Err(EmitError::Escape { path: bad.clone() });
    }
    recover(out)?;
    let old = read_manifest(out)?;
    if old.is_none() && !force {
        if let Ok(mut entries) = fs::read_dir(out) {
            if let Some(Ok(entry)) = entries.next() {
                return Err(EmitError::Foreign {
                    out: out.to_path_buf(),
                    example: entry.path(),
                });
            }
        }
    }
    let old = old.unwrap_or_default();

    // What changed, compared with the bytes on disk.
    let entries: Vec<(&String, &Content)> = tree.iter().collect();
    let hashes: Vec<u64> = entries
        .par_iter()
        .map(|(_, content)| content.hash())
        .collect();
    let unchanged: Vec<bool> = entries
        .par_iter()
        .zip(hashes.par_iter())
        .map(|((rel, content), &h)| old.unchanged(out, rel, content, h))
        .collect();
    let stale: Vec<&String> = old
        .files
        .keys()
        .filter(|p| !tree.contains_key(*p))
        .collect();
    let manifest = manifest_text(&entries, &hashes, fingerprint);
    let manifest_same =
        fs::read_to_string(out.join(MANIFEST)).ok().as_deref() == Some(manifest.as_str());
    let mut stats = Stats {
        written: 0,
        unchanged: 0,
        removed: 0,
    };
    for &u in &unchanged {
        if u {
            stats.unchanged += 1;
        } else {
            stats.written += 1;
        }
    }
    if stats.written == 0 && stale.is_empty() && manifest_same {
        return Ok(stats);
    }

    let staging = sibling(out, "topoc-staging");
    fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    // Folders first, each once: at fleet scale there are a few hundred folders for hundreds
    // of thousands of files.
    let mut dirs: Vec<&str> = entries
        .iter()
        .filter_map(|(rel, _)| rel.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.dedup();
    dirs.sort_unstable();
    dirs.dedup();
    for d in dirs {
        let dir = staging.join(d);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    }
    let staged = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<(), EmitError>> = entries
        .par_iter()
        .zip(unchanged.par_iter())
        .map(|((rel, text), &same)| {
            let target = staging.join(rel);
            let linked = same && fs::hard_link(out.join(rel), &target).is_ok();
            if !linked {
                write_content(&target, text)?;
            }
            let n = staged.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if failpoint.0.is_some_and(|limit| n >= limit) {
                std::process::abort();
            }
            Ok(())
        })
        .collect();
    for r in results {
        if let Err(e) = r {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    }
    // Files topoc did not write (allowed by --force) move along to the new tree.
    if out.exists() {
        keep_foreign(out, &staging, tree, &old)?;
    }
    fs::write(staging.join(MANIFEST), manifest.as_bytes()).map_err(io_err(&staging))?;
    stats.removed = stale.iter().filter(|p| out.join(p).exists()).count();

    if out.exists() {
        exchange(&staging, out).map_err(io_err(out))?;
        fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
    } else {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        fs::rename(&staging, out).map_err(io_err(out))?;
    }
    Ok(stats)
}

/// One line per file: path, hash (hex) and size, tab-separated.
fn manifest_text(
    entries: &[(&String, &Content)],
    hashes: &[u64],
    fingerprint: Option<u64>,
) -> String {
    let lines: Vec<String> = entries
        .iter()
        .zip(hashes)
        .map(|((rel, c), h)| format!("{rel}\t{h:016x}\t{}\n", c.len()))
        .collect();
    let mut manifest = String::from(MANIFEST_HEADER);
    if let Some(f) = fingerprint {
        manifest.push_str(&format!("# fingerprint\t{f:016x}\n"));
    }
    manifest.extend(lines);
    manifest
}

/// Link every file of `out` that topoc never wrote into the staging tree.
fn keep_foreign(out: &Path, staging: &Path, tree: &Tree, old: &Manifest) -> Result<(), EmitError> {
    for entry in walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(out) else {
            continue;
        };
        let rel_text = rel.to_string_lossy().replace('\\', "/");
        if rel_text == MANIFEST || tree.contains_key(&rel_text) || old.contains(&rel_text) {
            continue;
        }
        let target = staging.join(rel);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        if fs::hard_link(entry.path(), &target).is_err() {
            fs::copy(entry.path(), &target).map_err(io_err(&target))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), Content::new(*t)))
            .collect()
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("topoc-emit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn content_hash_does_not_depend_on_chunking() {
        let text = "apiVersion: v1\nkind: Thing\nmetadata:\n  name: x\n";
        let one = Content::new(text);
        for cut in 0..text.len() {
            let mut two = Content::new(&text[..cut]);
            two.push(Arc::from(&text[cut..]));
            assert_eq!(two.hash(), one.hash(), "cut at {cut}");
            assert!(two.eq_bytes(text.as_bytes()));
        }
        assert_ne!(
            Content::new("a").hash(),
            Content::new("a\0").hash(),
            "length is mixed in"
        );
    }

    #[test]
    fn writes_skips_unchanged_and_removes_stale() {
        let out = tempdir("stale");
        let first = tree(&[("a/x.yaml", "1"), ("a/y.yaml", "2"), ("b/z.yaml", "3")]);
        assert_eq!(
            write(&out, &first, false).ok(),
            Some(Stats {
                written: 3,
                unchanged: 0,
                removed: 0
            })
        );
        let second = tree(&[("a/x.yaml", "1"), ("a/y.yaml", "changed")]);
        assert_eq!(
            write(&out, &second, false).ok(),
            Some(Stats {
                written: 1,
                unchanged: 1,
                removed: 1
            })
        );
        assert!(!out.join("b").exists(), "emptied folder is removed");
        assert_eq!(
            fs::read_to_string(out.join("a/y.yaml")).ok().as_deref(),
            Some("changed")
        );
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn never_deletes_files_it_did_not_write() {
        let out = tempdir("foreign");
        fs::create_dir_all(&out).ok();
        fs::write(out.join("precious.txt"), "keep").ok();
        assert!(matches!(
            write(&out, &tree(&[("a.yaml", "1")]), false),
            Err(EmitError::Foreign { .. })
        ));
        // Forced, it writes beside the foreign file and still does not remove it.
        assert!(write(&out, &tree(&[("a.yaml", "1")]), true).is_ok());
        assert!(write(&out, &tree(&[("b.yaml", "1")]), false).is_ok());
        assert!(out.join("precious.txt").exists());
        assert!(!out.join("a.yaml").exists());
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn refuses_paths_that_leave_the_output() {
        let out = tempdir("escape");
        for bad in ["../x.yaml", "/etc/x.yaml", "a/../../x.yaml", ""] {
            assert!(
                matches!(
                    write(&out, &tree(&[(bad, "1")]), true),
                    Err(EmitError::Escape { .. })
                ),
                "{bad}"
            );
        }
        let _ = fs::remove_dir_all(&out);
    }
}
