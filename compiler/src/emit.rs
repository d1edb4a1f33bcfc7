//! Stage 5: rendered bundles → files under `--out` ([`plan`], then [`write`]).
//!
//! Everything is computed in memory first, so an input error never touches the output. Then
//! each changed file is written to a temporary name and renamed over the old one (a reader
//! never sees half a file), unchanged files are left alone (their bytes and times stay), and
//! files that an earlier run wrote but this one does not are removed. Which files topoc owns
//! is recorded in `.topoc-manifest`, so a file topoc did not write is never deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde_json::json;

use crate::render::ClusterBundle;
use crate::yaml;

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

/// The output tree: relative path → bytes, sorted.
pub type Tree = BTreeMap<String, String>;

/// Lay the bundles out as files.
pub fn plan(bundles: &[ClusterBundle], layout: Layout) -> Tree {
    let mut tree = Tree::new();
    for b in bundles {
        match layout {
            Layout::Files => {
                let mut resources = Vec::with_capacity(b.objects.len());
                for o in &b.objects {
                    let path = o.path();
                    tree.insert(format!("{}/{path}", b.name), o.yaml.clone());
                    resources.push(path);
                }
                let k = json!({
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": resources,
                });
                tree.insert(
                    format!("{}/kustomization.yaml", b.name),
                    yaml::to_string(&k),
                );
            }
            Layout::Bundle => {
                let mut text = String::new();
                for (i, o) in b.objects.iter().enumerate() {
                    if i > 0 {
                        text.push_str("---\n");
                    }
                    text.push_str(&o.yaml);
                }
                tree.insert(format!("{}.yaml", b.name), text);
            }
        }
    }
    tree
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

fn read_manifest(out: &Path) -> Result<Option<BTreeSet<String>>, EmitError> {
    let path = out.join(MANIFEST);
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

/// Write `bytes` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EmitError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".topoc-tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(|error| {
        let _ = fs::remove_file(&tmp);
        EmitError::Io {
            path: path.to_path_buf(),
            error,
        }
    })
}

/// Write the tree under `out`. `force` allows an output folder topoc did not create.
pub fn write(out: &Path, tree: &Tree, force: bool) -> Result<Stats, EmitError> {
    if let Some(bad) = tree.keys().find(|p| !is_contained(p)) {
        return Err(EmitError::Escape { path: bad.clone() });
    }
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
    fs::create_dir_all(out).map_err(io_err(out))?;

    let results: Vec<Result<bool, EmitError>> = tree
        .par_iter()
        .map(|(rel, text)| {
            let path = out.join(rel);
            match fs::read(&path) {
                Ok(existing) if existing == text.as_bytes() => Ok(false),
                _ => write_atomic(&path, text.as_bytes()).map(|()| true),
            }
        })
        .collect();
    let mut stats = Stats::default();
    for r in results {
        if r? {
            stats.written += 1;
        } else {
            stats.unchanged += 1;
        }
    }

    for stale in old.iter().flatten().filter(|p| !tree.contains_key(*p)) {
        let path = out.join(stale);
        match fs::remove_file(&path) {
            Ok(()) => stats.removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(EmitError::Io { path, error }),
        }
        remove_empty_parents(out, &path);
    }

    let mut manifest = String::from(MANIFEST_HEADER);
    for rel in tree.keys() {
        manifest.push_str(rel);
        manifest.push('\n');
    }
    let manifest_path = out.join(MANIFEST);
    if fs::read_to_string(&manifest_path).ok().as_deref() != Some(manifest.as_str()) {
        write_atomic(&manifest_path, manifest.as_bytes())?;
    }
    Ok(stats)
}

/// Remove folders emptied by stale-file removal, up to (not including) `out`.
fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("topoc-emit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
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
