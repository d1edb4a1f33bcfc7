//! Stage 5: rendered bundles → files under `--out` ([`plan`], then [`write`]).
//!
//! Everything is computed in memory first, so an input error never touches the output.
//! Unchanged files are left alone (their bytes, inode and times stay), and files that an
//! earlier run wrote but this one does not are removed. Which files topoc owns, with a hash and
//! size per file and the fingerprint of the build, is recorded in `.topoc-manifest`, so a file
//! topoc did not write is never deleted and an unchanged file is known without reading it.
//!
//! A build that changes files takes one of two paths (see [`write_with`]):
//!
//! - **Staged** (a first build, or a change to more than an eighth of the tree): the new tree
//!   is assembled beside `--out`, unchanged files hard-linked, and swapped in with one
//!   `renameat2(RENAME_EXCHANGE)`. A reader or a crash sees the whole old tree or the whole new
//!   one. Its cost grows with the tree: one link per file, even for a one-line change.
//! - **In place** (a small change to an existing output): only the changed files are touched,
//!   with a journal so that a killed run is finished by the next one:
//!   1. `.topoc-journal` lists every path the run will write or remove (written to a temporary
//!      name and renamed, so it is whole or absent);
//!   2. *prepare*: each new file is written to `PATH.topoc-tmp` beside its target; nothing a
//!      reader sees has changed yet, and a failure here removes the temporaries and the journal
//!      and leaves the old output exactly as it was;
//!   3. *commit*: each temporary is renamed over its target (a reader sees the old bytes or
//!      the new ones, never half a file), and stale files are removed;
//!   4. the new manifest is written to a temporary name and renamed (manifest last), then the
//!      journal is removed.
//!
//!   A run killed at any point leaves every file whole, either old or new. The next build sees
//!   the journal: it deletes leftover temporaries, treats the journaled paths as owned by topoc
//!   (so a file the killed run added is removed if no longer produced) and as unverified
//!   (their recorded hash is not trusted; their bytes are compared), so it rewrites exactly
//!   the files that do not hold the new bytes, and a no-op rebuild is never assumed while a
//!   journal exists. This protects against a killed process; against power loss it relies on
//!   the filesystem ordering data before renames, as the staged path does.
//!
//! Deciding what changed needs the old manifest and the size and time of every file it lists
//! (a hand-edited file is noticed by a time newer than the manifest's). [`Survey`] gathers both
//! and only reads, so `build` runs it beside the compilation.

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
/// The paths an in-place update is changing, present only while one runs (or was killed).
pub const JOURNAL: &str = ".topoc-journal";
/// The suffix of a file being prepared beside its target (in-place updates).
const TMP_SUFFIX: &str = ".topoc-tmp";
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
#[derive(Clone, Debug, Default)]
pub struct Content {
    chunks: Vec<Arc<str>>,
    /// [`Content::hash`], when known in advance (an object's YAML is hashed once, not once per
    /// cluster file).
    known_hash: Option<u64>,
}

/// Equal bytes, however they are chunked.
impl PartialEq for Content {
    fn eq(&self, other: &Content) -> bool {
        match (self.chunks.as_slice(), other.chunks.as_slice()) {
            ([a], [b]) => a == b,
            _ => self.len() == other.len() && self.to_string() == other.to_string(),
        }
    }
}

impl Eq for Content {}

impl Content {
    pub fn new(text: impl Into<Arc<str>>) -> Content {
        Content {
            chunks: vec![text.into()],
            known_hash: None,
        }
    }

    /// One object's YAML with its hash (`hash` must be [`hash_bytes`] of `text`).
    fn object(text: Arc<str>, hash: u64) -> Content {
        Content {
            chunks: vec![text],
            known_hash: Some(hash),
        }
    }

    fn push(&mut self, chunk: Arc<str>) {
        self.chunks.push(chunk);
        self.known_hash = None;
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
        if let Some(h) = self.known_hash {
            return h;
        }
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
    // Each cluster's files are laid out in parallel (paths formatted, kustomization written),
    // then merged into the sorted tree in one pass.
    let per_cluster: Vec<Vec<(String, Content)>> = bundles
        .par_iter()
        .map(|b| match layout {
            Layout::Files => {
                let mut files = Vec::with_capacity(b.objects.len() + 1);
                let mut resources = Vec::with_capacity(b.objects.len());
                for o in &b.objects {
                    let path = o.path();
                    let content = Content::object(o.yaml.clone(), o.content_hash());
                    files.push((format!("{}/{path}", b.name), content));
                    resources.push(path.to_string());
                }
                let k = json!({
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": resources,
                });
                files.push((
                    format!("{}/kustomization.yaml", b.name),
                    Content::new(yaml::to_string(&k)),
                ));
                files
            }
            Layout::Bundle => {
                let mut content = Content {
                    chunks: Vec::with_capacity(2 * b.objects.len()),
                    known_hash: None,
                };
                for (i, o) in b.objects.iter().enumerate() {
                    if i > 0 {
                        content.push(separator.clone());
                    }
                    content.push(o.yaml.clone());
                }
                vec![(format!("{}.yaml", b.name), content)]
            }
        })
        .collect();
    // Sorted in parallel (stable: a later duplicate still wins, as with `insert`); the map is
    // then built in bulk from sorted input: cheaper than 400,000 single inserts.
    let mut all: Vec<(String, Content)> = tree.into_iter().collect();
    all.extend(per_cluster.into_iter().flatten());
    all.par_sort_by(|a, b| a.0.cmp(&b.0));
    all.into_iter().collect()
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
    let path = out.join(MANIFEST);
    // The fingerprint is in the header: a changed input is known without reading the file
    // list (400,000 lines, 35 MiB, for a large fleet).
    let Ok(file) = fs::File::open(&path) else {
        return false;
    };
    let recorded = io::BufRead::lines(io::BufReader::new(file))
        .map_while(Result::ok)
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix("# fingerprint\t")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
        });
    if recorded != Some(fingerprint) {
        return false;
    }
    // An interrupted in-place update: its files may be a mix until a build finishes it.
    if fs::symlink_metadata(out.join(JOURNAL)).is_ok() {
        return false;
    }
    let (Ok(text), Ok(written)) = (
        fs::read_to_string(&path),
        fs::metadata(&path).and_then(|m| m.modified()),
    ) else {
        return false;
    };
    // The output files are still those written: same sizes, not modified after the manifest.
    // Only sizes are compared, straight from the text, in parallel blocks of whole lines:
    // at fleet scale the body is 400,000 lines, and collecting paths and results for them
    // first was tens of MiB of fresh memory for the kernel to clear.
    line_blocks(skip_comments(&text), 64 * 1024)
        .par_iter()
        .all(|block| as_written(out, block, written))
}

/// Whether every file of these manifest lines has its recorded size and was not modified
/// after the manifest was written (`written`). A malformed line is a no.
fn as_written(out: &Path, lines: &str, written: std::time::SystemTime) -> bool {
    let mut lookup = Lookup::new(out);
    lines.lines().all(|line| {
        let mut fields = line.split('\t');
        let (Some(rel), Some(_hash), Some(size)) = (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        let Ok(size) = size.parse::<u64>() else {
            return false;
        };
        is_contained(rel)
            && matches!(lookup.seen(rel), Some((len, Some(t))) if len == size && t <= written)
    })
}

/// `text` after its leading `#` lines.
fn skip_comments(mut text: &str) -> &str {
    while text.starts_with('#') {
        text = text.split_once('\n').map_or("", |(_, rest)| rest);
    }
    text
}

/// `text` cut into blocks of about `size` bytes, each ending at the end of a line.
fn line_blocks(text: &str, size: usize) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        // Found bytewise: `size` need not be a character boundary, a line end is.
        let cut = match rest.as_bytes().iter().skip(size).position(|&b| b == b'\n') {
            Some(i) => size + i + 1,
            None => rest.len(),
        };
        let (block, tail) = rest.split_at(cut);
        blocks.push(block);
        rest = tail;
    }
    blocks
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
    // The common case, checked without building a `Path` (a manifest has 400,000 lines): a
    // path with no empty, `.` or `..` part and no leading `/` is made of normal components.
    let simple = !rel.starts_with('/')
        && rel
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    !rel.is_empty()
        && (simple
            || Path::new(rel)
                .components()
                .all(|c| matches!(c, Component::Normal(_))))
}

/// A manifest line's hash and size (`None`: unreadable, or journaled: compare the bytes).
type Record = Option<(u64, u64)>;

/// What an earlier run recorded: each file it wrote with the hash and size of its bytes, and
/// when the record was written (after every file), so a file edited since is noticed.
#[derive(Default)]
struct Manifest {
    files: BTreeMap<String, Record>,
    written: Option<std::time::SystemTime>,
    fingerprint: Option<u64>,
    /// An in-place update was interrupted: the paths it journaled are in `files` with no
    /// recorded hash (owned, and compared by their bytes).
    journal: bool,
    /// Size and modification time of each listed file, in the order of `files`, when they
    /// were gathered ahead ([`Survey`]); `None` inside: the file could not be read.
    seen: Option<Vec<Option<Seen>>>,
}

/// A file's size and modification time.
type Seen = (u64, Option<std::time::SystemTime>);

fn seen(path: &Path) -> Option<Seen> {
    fs::metadata(path)
        .ok()
        .map(|meta| (meta.len(), meta.modified().ok()))
}

/// [`seen`] for every path of `rels` (relative to `out`), in order, in parallel blocks.
fn seen_all(out: &Path, rels: &[&str]) -> Vec<Option<Seen>> {
    let found: Vec<Vec<Option<Seen>>> = rels
        .par_chunks(4096)
        .map(|block| {
            let mut lookup = Lookup::new(out);
            block.iter().map(|rel| lookup.seen(rel)).collect()
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// Size and time of files below `out`, each with one `stat` relative to an open handle of
/// its folder, kept while consecutive paths share it. At fleet scale, walking every path from
/// the root again for 400,000 files was most of the kernel's work in a rebuild.
struct Lookup<'a> {
    out: &'a Path,
    #[cfg(target_os = "linux")]
    folder: Option<(&'a str, Option<rustix::fd::OwnedFd>)>,
}

impl<'a> Lookup<'a> {
    fn new(out: &'a Path) -> Lookup<'a> {
        Lookup {
            out,
            #[cfg(target_os = "linux")]
            folder: None,
        }
    }

    #[cfg(target_os = "linux")]
    fn seen(&mut self, rel: &'a str) -> Option<Seen> {
        use rustix::fs::{open, statat, AtFlags, Mode, OFlags};
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if self.folder.as_ref().is_none_or(|(d, _)| *d != dir) {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            self.folder = Some((dir, open(self.out.join(dir), flags, Mode::empty()).ok()));
        }
        let Some((_, Some(handle))) = &self.folder else {
            return seen(&self.out.join(rel));
        };
        let st = statat(handle, name, AtFlags::empty()).ok()?;
        let size = u64::try_from(st.st_size).ok()?;
        // The same instant `Metadata::modified` gives; before 1970, unknown.
        let time = match (u64::try_from(st.st_mtime), u32::try_from(st.st_mtime_nsec)) {
            (Ok(secs), Ok(nanos)) if nanos < 1_000_000_000 => {
                Some(std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos))
            }
            _ => None,
        };
        Some((size, time))
    }

    #[cfg(not(target_os = "linux"))]
    fn seen(&mut self, rel: &str) -> Option<Seen> {
        seen(&self.out.join(rel))
    }
}

/// What an output folder holds before a build writes into it: its manifest and the size and
/// time of every file the manifest lists. At fleet scale that is 400,000 `stat` calls and a
/// 35 MiB manifest to parse; none of it depends on the new tree, so `build` gathers it on a
/// thread of its own while the topology compiles ([`Survey::gather`]) and hands it to
/// [`write_with`]. It only reads. If the folder needed recovery by then (a killed staged
/// build), `write_with` discards it and looks again.
pub struct Survey {
    manifest: Option<Manifest>,
}

impl Survey {
    pub fn gather(out: &Path) -> Result<Survey, EmitError> {
        let mut manifest = read_manifest(out)?;
        if let Some(m) = &mut manifest {
            let paths: Vec<&str> = m.files.keys().map(String::as_str).collect();
            m.seen = Some(seen_all(out, &paths));
        }
        Ok(Survey { manifest })
    }
}

impl Manifest {
    fn contains(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    /// Whether the file on disk still holds `content`: by the recorded hash and size when the
    /// file is no newer than the record, by its bytes otherwise. `recorded`: the file's
    /// manifest line (`None`: not listed, so not ours to compare; a first build stats nothing).
    fn unchanged(
        &self,
        out: &Path,
        rel: &str,
        recorded: Option<(Record, usize)>,
        content: &Content,
        hash: u64,
    ) -> bool {
        let Some((recorded, index)) = recorded else {
            return false;
        };
        let path = out.join(rel);
        let found = match &self.seen {
            Some(all) => all.get(index).copied().flatten(),
            None => seen(&path),
        };
        let Some((len, modified)) = found else {
            return false;
        };
        if len != content.len() as u64 {
            return false;
        }
        let untouched = match (modified, self.written) {
            (Some(m), Some(w)) => m <= w,
            _ => false,
        };
        match recorded {
            Some((recorded, size)) if untouched && size == len => recorded == hash,
            _ => fs::read(&path).is_ok_and(|bytes| content.eq_bytes(&bytes)),
        }
    }

    /// Each entry's manifest record and its position in `files` (`None`: not listed), and the
    /// listed paths no entry has, in one merge of the two sorted lists.
    #[allow(clippy::type_complexity)]
    fn join<'a>(
        &'a self,
        entries: &[(&String, &Content)],
    ) -> (Vec<Option<(Record, usize)>>, Vec<&'a String>) {
        let mut recorded = Vec::with_capacity(entries.len());
        let mut stale = Vec::new();
        let mut listed = self.files.iter().enumerate().peekable();
        for (rel, _) in entries {
            while let Some((_, (k, _))) = listed.next_if(|(_, (k, _))| k.as_str() < rel.as_str()) {
                stale.push(k);
            }
            recorded.push(
                listed
                    .next_if(|(_, (k, _))| k == rel)
                    .map(|(i, (_, v))| (*v, i)),
            );
        }
        stale.extend(listed.map(|(_, (k, _))| k));
        (recorded, stale)
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
    let mut files: Vec<(String, Record)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let rel = fields.next().filter(|rel| is_contained(rel))?;
            let hash = fields.next().and_then(|h| u64::from_str_radix(h, 16).ok());
            let size = fields.next().and_then(|s| s.parse().ok());
            Some((rel.to_string(), hash.zip(size)))
        })
        .collect();
    let journaled = read_journal(out)?;
    m.journal = journaled.is_some();
    files.extend(journaled.into_iter().flatten().map(|rel| (rel, None)));
    // Built in bulk from (mostly) sorted lines; a journaled path comes last and wins.
    m.files = files.into_iter().collect();
    Ok(Some(m))
}

/// The paths an interrupted in-place update journaled; `None` when there is no journal.
fn read_journal(out: &Path) -> Result<Option<Vec<String>>, EmitError> {
    let path = out.join(JOURNAL);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(
            text.lines()
                .filter(|l| !l.starts_with('#') && is_contained(l))
                .map(str::to_string)
                .collect(),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(EmitError::Io { path, error }),
    }
}

/// Write `bytes` to `path` whole or not at all: a temporary beside it, then a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EmitError> {
    let tmp = with_suffix(path, TMP_SUFFIX);
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Write one file straight from the shared chunks: one `write` for a single chunk, `writev`
/// for several (a bundle is thousands of chunks; copying them through a buffer first cost as
/// much as the hashing).
fn write_content(target: &Path, content: &Content) -> Result<(), EmitError> {
    match content.chunks.as_slice() {
        [one] => fs::write(target, one.as_bytes()).map_err(io_err(target)),
        chunks => {
            let mut file = fs::File::create(target).map_err(io_err(target))?;
            write_chunks(&mut file, chunks).map_err(io_err(target))
        }
    }
}

/// All of `chunks`, in order, a batch of slices per `writev`.
fn write_chunks(w: &mut impl io::Write, chunks: &[Arc<str>]) -> io::Result<()> {
    // Linux accepts at most 1024 slices per call (IOV_MAX).
    const BATCH: usize = 1024;
    for batch in chunks.chunks(BATCH) {
        let mut slices: Vec<io::IoSlice<'_>> = batch
            .iter()
            .map(|c| io::IoSlice::new(c.as_bytes()))
            .collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match w.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
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
    // An interrupted in-place update: its temporaries go; the journal stays until a build
    // has brought every journaled path to its new state (see the module comment).
    let journaled = read_journal(out)?.unwrap_or_default();
    let leftovers = journaled
        .iter()
        .map(|rel| with_suffix(&out.join(rel), TMP_SUFFIX))
        .chain([MANIFEST, JOURNAL].map(|f| with_suffix(&out.join(f), TMP_SUFFIX)));
    for tmp in leftovers {
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(&tmp)(e)),
            _ => {}
        }
    }
    Ok(())
}

/// Test hook (`topoc build --failpoint-after N`): abort the process after N file operations
/// (files staged; or, in place, files prepared and then files committed), to prove a killed
/// build leaves the old output whole, or a state the next build repairs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Failpoint(pub Option<usize>);

impl Failpoint {
    fn tick(&self, done: &std::sync::atomic::AtomicUsize) {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if self.0.is_some_and(|limit| n >= limit) {
            std::process::abort();
        }
    }
}

/// An in-place update is used when the files written and removed are at most this fraction
/// of the tree (and a manifest shows `--out` is topoc's). Beyond it a change is a rebuild in
/// all but name: staging costs little more and gives readers one consistent switch.
const IN_PLACE_DIVISOR: usize = 8;

/// Write the tree under `out`. `force` allows an output folder topoc did not create.
///
/// The new tree is assembled in a staging folder beside `out` — unchanged files hard-linked
/// from the old tree (their bytes are not rewritten), changed files written — and then swapped
/// with `out` in one rename. A run that changes nothing touches nothing.
pub fn write(out: &Path, tree: &Tree, force: bool) -> Result<Stats, EmitError> {
    write_with(out, tree, force, Failpoint::default(), None, None)
}

/// [`write`], with the fingerprint to record, the test hook, and what [`Survey::gather`]
/// found in `out` (`None`: look now).
pub fn write_with(
    out: &Path,
    tree: &Tree,
    force: bool,
    failpoint: Failpoint,
    fingerprint: Option<u64>,
    survey: Option<Survey>,
) -> Result<Stats, EmitError> {
    if let Some(bad) = tree.keys().find(|p| !is_contained(p)) {
        return Err(EmitError::Escape { path: bad.clone() });
    }
    let settled = !sibling(out, "topoc-staging").exists() && !sibling(out, "topoc-old").exists();
    recover(out)?;
    let old = match survey {
        Some(s) if settled => s.manifest,
        _ => read_manifest(out)?,
    };
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
    let had_manifest = old.is_some();
    let old = old.unwrap_or_default();

    // What changed, compared with the bytes on disk.
    let entries: Vec<(&String, &Content)> = tree.iter().collect();
    let hashes: Vec<u64> = entries
        .par_iter()
        .map(|(_, content)| content.hash())
        .collect();
    let (recorded, stale) = old.join(&entries);
    let unchanged: Vec<bool> = entries
        .par_iter()
        .zip(hashes.par_iter())
        .zip(recorded.into_par_iter())
        .map(|(((rel, content), &h), r)| old.unchanged(out, rel, r, content, h))
        .collect();
    let manifest = manifest_text(&entries, &hashes, fingerprint);
    // Read back only when nothing else changed (35 MiB for a large fleet).
    let manifest_same =
        || fs::read_to_string(out.join(MANIFEST)).ok().as_deref() == Some(manifest.as_str());
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
    if stats.written == 0 && stale.is_empty() && !old.journal && manifest_same() {
        return Ok(stats);
    }
    let changes = stats.written + stale.len();
    if had_manifest && changes * IN_PLACE_DIVISOR <= entries.len() {
        stats.removed = update_in_place(
            out, &entries, &unchanged, &stale, &manifest, failpoint, &old,
        )?;
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
            failpoint.tick(&staged);
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

/// The in-place path of [`write_with`] (the protocol is in the module comment). Returns how
/// many stale files were removed.
fn update_in_place(
    out: &Path,
    entries: &[(&String, &Content)],
    unchanged: &[bool],
    stale: &[&String],
    manifest: &str,
    failpoint: Failpoint,
    old: &Manifest,
) -> Result<usize, EmitError> {
    let changed: Vec<(&String, &Content)> = entries
        .iter()
        .zip(unchanged)
        .filter(|(_, &same)| !same)
        .map(|(e, _)| *e)
        .collect();
    // 1. The journal: this run's paths, and those of an earlier interrupted run that are not
    //    verified until this run's manifest is in place.
    let mut journal = String::from("# topoc in-place update; the next build finishes it\n");
    let mut paths: Vec<&str> = changed.iter().map(|(rel, _)| rel.as_str()).collect();
    paths.extend(stale.iter().map(|s| s.as_str()));
    let earlier = read_journal(out)?.unwrap_or_default();
    paths.extend(earlier.iter().map(String::as_str));
    paths.sort_unstable();
    paths.dedup();
    for p in &paths {
        journal.push_str(p);
        journal.push('\n');
    }
    write_atomic(&out.join(JOURNAL), journal.as_bytes())?;

    // 2. Prepare: new bytes beside their targets; on failure nothing visible has changed.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut dirs: Vec<&str> = changed
        .iter()
        .filter_map(|(rel, _)| rel.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    // Folders this run creates, shallowest first, so a failure can take them away again.
    let mut created: Vec<PathBuf> = Vec::new();
    let prepared: Result<(), EmitError> = dirs
        .iter()
        .try_for_each(|d| {
            let mut ancestors: Vec<&Path> = Path::new(d).ancestors().collect();
            ancestors.reverse();
            for a in ancestors.into_iter().filter(|a| !a.as_os_str().is_empty()) {
                let dir = out.join(a);
                if !dir.is_dir() {
                    fs::create_dir(&dir).map_err(io_err(&dir))?;
                    created.push(dir);
                }
            }
            Ok(())
        })
        .and_then(|()| {
            changed.par_iter().try_for_each(|(rel, content)| {
                write_content(&with_suffix(&out.join(rel), TMP_SUFFIX), content)?;
                failpoint.tick(&done);
                Ok(())
            })
        });
    if let Err(e) = prepared {
        for (rel, _) in &changed {
            let _ = fs::remove_file(with_suffix(&out.join(rel), TMP_SUFFIX));
        }
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
        if !old.journal {
            let _ = fs::remove_file(out.join(JOURNAL));
        }
        return Err(e);
    }

    // 3. Commit: each rename replaces one whole file.
    for (rel, _) in &changed {
        let target = out.join(rel);
        fs::rename(with_suffix(&target, TMP_SUFFIX), &target).map_err(io_err(&target))?;
        failpoint.tick(&done);
    }
    let mut removed = 0;
    let mut emptied: Vec<&Path> = Vec::new();
    for rel in stale {
        let path = out.join(rel);
        match fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path)(e)),
        }
        emptied.extend(Path::new(rel.as_str()).ancestors().skip(1));
    }
    // Folders left empty go, deepest first, as they would from a staged tree; a folder that
    // still holds anything (ours or not) stays.
    emptied.retain(|d| !d.as_os_str().is_empty());
    emptied.sort_unstable_by(|a, b| {
        b.components()
            .count()
            .cmp(&a.components().count())
            .then(a.cmp(b))
    });
    emptied.dedup();
    for d in emptied {
        let _ = fs::remove_dir(out.join(d));
    }

    // 4. Manifest last, then the journal goes: the update is complete.
    write_atomic(&out.join(MANIFEST), manifest.as_bytes())?;
    let journal_path = out.join(JOURNAL);
    fs::remove_file(&journal_path).map_err(io_err(&journal_path))?;
    Ok(removed)
}

/// One line per file: path, hash (hex) and size, tab-separated. Formatted in parallel
/// blocks: at fleet scale this is 400,000 lines.
fn manifest_text(
    entries: &[(&String, &Content)],
    hashes: &[u64],
    fingerprint: Option<u64>,
) -> String {
    use std::fmt::Write;
    const BLOCK: usize = 4096;
    let blocks: Vec<String> = entries
        .par_chunks(BLOCK)
        .zip(hashes.par_chunks(BLOCK))
        .map(|(entries, hashes)| {
            let mut block = String::with_capacity(entries.len() * 96);
            for ((rel, c), h) in entries.iter().zip(hashes) {
                let _ = writeln!(block, "{rel}\t{h:016x}\t{}", c.len());
            }
            block
        })
        .collect();
    let mut manifest = String::with_capacity(blocks.iter().map(String::len).sum::<usize>() + 256);
    manifest.push_str(MANIFEST_HEADER);
    if let Some(f) = fingerprint {
        let _ = writeln!(manifest, "# fingerprint\t{f:016x}");
    }
    blocks.iter().for_each(|b| manifest.push_str(b));
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
        if rel_text == MANIFEST
            || rel_text == JOURNAL
            || tree.contains_key(&rel_text)
            || old.contains(&rel_text)
        {
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
        assert_eq!(text(out.join("a/y.yaml")).as_deref(), Some("changed"));
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

    /// Inode and modification time of a file or folder.
    fn identity(path: &Path) -> (u64, std::time::SystemTime) {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(path).expect("metadata");
        (meta.ino(), meta.modified().expect("mtime"))
    }

    /// Every path below `dir` (folders too) with the text of the files.
    fn everything(dir: &Path) -> Vec<(String, String)> {
        walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .map(|e| {
                let text = fs::read_to_string(e.path()).unwrap_or_default();
                (e.path().display().to_string(), text)
            })
            .collect()
    }

    /// A file's text, `None` when it cannot be read.
    fn text(path: PathBuf) -> Option<String> {
        fs::read_to_string(path).ok()
    }

    fn many(n: usize, changed: Option<usize>) -> Tree {
        (0..n)
            .map(|i| {
                let text = if Some(i) == changed { "new" } else { "same" };
                (format!("c{}/f{i}.yaml", i % 3), Content::new(text))
            })
            .collect()
    }

    /// A no-op rebuild trusts the manifest only while every listed file is as written: a
    /// changed fingerprint, a file grown, removed or touched since, or a malformed manifest
    /// line each mean "build again".
    #[test]
    fn up_to_date_needs_the_fingerprint_and_every_file_as_written() {
        let out = tempdir("uptodate");
        let tree = many(30, None);
        let build =
            |out: &Path| write_with(out, &tree, false, Failpoint::default(), Some(7), None).is_ok();
        assert!(build(&out));
        assert!(up_to_date(&out, 7));
        assert!(!up_to_date(&out, 8), "another fingerprint");

        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(out.join("c1/f4.yaml"), "same, edited").expect("edit");
        assert!(!up_to_date(&out, 7), "a file grown since");
        assert!(build(&out));
        assert!(up_to_date(&out, 7), "repaired by the rebuild");

        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(out.join("c1/f4.yaml"), "SAME").expect("edit");
        assert!(
            !up_to_date(&out, 7),
            "same size, modified after the manifest"
        );
        assert!(build(&out));

        fs::remove_file(out.join("c2/f5.yaml")).expect("remove");
        assert!(!up_to_date(&out, 7), "a file removed");
        assert!(build(&out));

        let manifest = out.join(MANIFEST);
        let text = fs::read_to_string(&manifest).expect("manifest");
        fs::write(&manifest, format!("{text}c0/f0.yaml\tnot a line\n")).expect("append");
        assert!(!up_to_date(&out, 7), "a malformed manifest line");
        let _ = fs::remove_dir_all(&out);
    }

    /// The no-op check reads the manifest in blocks of whole lines: together they are the
    /// text, each ends a line, and a cut inside a multi-byte character moves to the line end.
    #[test]
    fn line_blocks_cut_at_line_ends() {
        let text: String = (0..200)
            .map(|i| format!("c{}/ns-é{i}/f{i}.yaml\t{i:016x}\t{i}\n", i % 7))
            .collect();
        for size in [1, 7, 30, 31, 32, 100, 4096, text.len(), text.len() + 1] {
            let blocks = line_blocks(&text, size);
            assert_eq!(blocks.concat(), text, "size {size}");
            assert!(blocks.iter().all(|b| b.ends_with('\n')), "size {size}");
            let (_, full) = blocks.split_last().expect("a block");
            assert!(
                full.iter().all(|b| b.len() > size),
                "size {size}: every block but the last is longer than the size"
            );
        }
        assert_eq!(line_blocks("a\nb", 0), ["a\n", "b"]);
        assert!(line_blocks("", 8).is_empty());
    }

    #[test]
    fn a_small_change_is_written_in_place() {
        let out = tempdir("inplace");
        let first = many(40, None);
        assert!(write(&out, &first, false).is_ok());
        let dir = identity(&out);
        let kept = identity(&out.join("c1/f1.yaml"));
        // Whole-second timestamps on some filesystems: make a rewrite visible.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut second = many(40, Some(4));
        second.remove("c2/f2.yaml");
        let stats = write(&out, &second, false).ok();
        assert_eq!(
            stats,
            Some(Stats {
                written: 1,
                unchanged: 38,
                removed: 1
            })
        );
        assert_eq!(identity(&out).0, dir.0, "the output folder itself is kept");
        assert_eq!(identity(&out.join("c1/f1.yaml")), kept, "untouched file");
        assert_eq!(text(out.join("c1/f4.yaml")).as_deref(), Some("new"));
        assert!(!out.join("c2/f2.yaml").exists());
        assert!(!out.join(JOURNAL).exists(), "the journal goes when done");
        let leftovers: Vec<_> = walkdir::WalkDir::new(&out)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(TMP_SUFFIX))
            .map(|e| e.path().display().to_string())
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // The manifest is that of the new tree: the next identical write changes nothing.
        assert_eq!(
            write(&out, &second, false).ok(),
            Some(Stats {
                written: 0,
                unchanged: 39,
                removed: 0
            })
        );
        let _ = fs::remove_dir_all(&out);
    }

    /// A small change that cannot be written (a folder made immutable, which binds root too)
    /// fails before anything visible changes: no file, folder, temporary or journal is left.
    #[test]
    fn a_failed_in_place_update_leaves_the_output_as_it_was() {
        let out = tempdir("inplacefail");
        assert!(write(&out, &many(40, None), false).is_ok());
        let before = everything(&out);
        let locked = out.join("c1");
        let chattr = |flag: &str| {
            std::process::Command::new("chattr")
                .arg(flag)
                .arg(&locked)
                .status()
                .is_ok_and(|s| s.success())
        };
        if !chattr("+i") {
            eprintln!("skipping: chattr is unavailable here");
            let _ = fs::remove_dir_all(&out);
            return;
        }
        let mut second = many(40, Some(4));
        second.insert("c9/new.yaml".into(), Content::new("new cluster"));
        let result = write(&out, &second, false);
        chattr("-i");
        assert!(matches!(result, Err(EmitError::Io { .. })), "{result:?}");
        let after = everything(&out);
        assert_eq!(after, before);
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn a_large_change_is_staged_and_swapped() {
        let out = tempdir("staged");
        assert!(write(&out, &many(8, None), false).is_ok());
        let dir = identity(&out);
        // Two changes in eight files is more than an eighth of the tree.
        let mut second = many(8, Some(0));
        second.insert("c1/f1.yaml".into(), Content::new("new too"));
        assert!(write(&out, &second, false).is_ok());
        assert_ne!(identity(&out).0, dir.0, "a new folder was swapped in");
        assert_eq!(text(out.join("c1/f1.yaml")).as_deref(), Some("new too"));
        let _ = fs::remove_dir_all(&out);
    }

    /// The state a killed in-place update leaves (journal written, some files renamed, a
    /// temporary left, a file added, the manifest still old) is finished by the next write,
    /// here one back to the old tree: what the killed run added is removed as topoc's own.
    #[test]
    fn an_interrupted_in_place_update_is_repaired_by_the_next_write() {
        let out = tempdir("journal");
        let old = many(40, None);
        assert!(write(&out, &old, false).is_ok());
        let kept = identity(&out.join("c0/f3.yaml"));
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(
            out.join(JOURNAL),
            "# topoc in-place update\nc1/f4.yaml\nc2/f5.yaml\nc0/added.yaml\n",
        )
        .expect("journal");
        // Renamed into place before the kill: same size as the old bytes, newer time.
        fs::write(out.join("c1/f4.yaml"), "SAME").expect("committed");
        fs::write(out.join("c0/added.yaml"), "added").expect("committed");
        // Prepared but not committed.
        fs::write(with_suffix(&out.join("c2/f5.yaml"), TMP_SUFFIX), "x").expect("prepared");
        assert!(
            !up_to_date(&out, 0),
            "a journal means the output is not known to be complete"
        );

        let stats = write(&out, &old, false).ok();
        assert_eq!(
            stats,
            Some(Stats {
                written: 1,
                unchanged: 39,
                removed: 1
            })
        );
        assert_eq!(text(out.join("c1/f4.yaml")).as_deref(), Some("same"));
        assert!(
            !out.join("c0/added.yaml").exists(),
            "added by the killed run"
        );
        assert!(!with_suffix(&out.join("c2/f5.yaml"), TMP_SUFFIX).exists());
        assert!(!out.join(JOURNAL).exists());
        assert_eq!(identity(&out.join("c0/f3.yaml")), kept);
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
