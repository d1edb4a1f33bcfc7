//! What a build's output depends on, as one hash: the *fingerprint* recorded in the output's
//! manifest, so that a rebuild with nothing changed stops early, as build systems do.
//!
//! The fingerprint covers the compiler and the flags (the caller's `salt`) and the text of
//! every file the program reads. There are two ways to know which files those are:
//!
//! - **Listed**: the files named on the command line, folders walked ([`Listing`]). When a
//!   build finds that the program read nothing else (its imports are all among them, or in
//!   the embedded standard library, which the salt covers), the fingerprint is the hash of the
//!   listed files ([`Listing::loaded_key`]), and the next build can recompute it from the
//!   files' bytes alone ([`Listing::disk_key`]), without parsing anything. At fleet scale that
//!   is the difference between a no-op rebuild that parses 6 MiB of topology into a quarter of
//!   a GiB of syntax trees and one that reads and hashes the bytes.
//! - **Loaded**: otherwise (an import reaches a file that is not listed), the import closure
//!   is known only by parsing, and the fingerprint is that of every loaded file, in load order
//!   ([`loaded_key`]).
//!
//! The two are hashed in separate domains, so one can never be taken for the other. Paths
//! enter the listed hash relative to their command-line argument, and the arguments' folders
//! relative to the first one: renaming or moving a file inside the project changes it (an
//! import may no longer find it), moving the whole project or running from another folder
//! does not (the manifest's bytes do not depend on where the build ran).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use crate::emit::hash_bytes;
use crate::load::{self, Loaded};

/// The `.topo` files named on the command line, in load order.
pub struct Listing {
    /// Per argument: whether it is a folder, and its folder relative to the first argument's.
    args: Vec<(bool, String)>,
    files: Vec<Listed>,
}

struct Listed {
    /// Which argument the file came from.
    arg: usize,
    /// Its path relative to that argument (the file name for a file argument), `/`-separated.
    rel: String,
    /// Its path as the loader sees it (normalised), to find it among the loaded files.
    path: PathBuf,
}

impl Listing {
    /// Walk the command-line paths as the loader does. `None` when one cannot be walked: the
    /// loader reports that, and there is no fingerprint to compare.
    pub fn of(paths: &[PathBuf]) -> Option<Listing> {
        let roots: Vec<PathBuf> = paths.iter().map(|p| load::root_of(p)).collect();
        let first = roots.first()?;
        let args = paths
            .iter()
            .zip(&roots)
            .map(|(p, root)| (p.is_dir(), slashed(&relative(first, root))))
            .collect();
        let mut files = Vec::new();
        for (arg, p) in paths.iter().enumerate() {
            for file in load::topo_files(p).ok()? {
                let rel = if p.is_dir() {
                    file.strip_prefix(p).ok()?.to_path_buf()
                } else {
                    PathBuf::from(file.file_name()?)
                };
                files.push(Listed {
                    arg,
                    rel: slashed(&rel),
                    path: load::normalize(&file),
                });
            }
        }
        if files.len() > load::MAX_FILES {
            return None;
        }
        Some(Listing { args, files })
    }

    /// The listed fingerprint from the files on disk, read now. `None` when a file cannot be
    /// read or is not text (the build reports it).
    pub fn disk_key(&self, salt: u64) -> Option<u64> {
        use std::io::Read;
        let mut texts = Vec::with_capacity(self.files.len());
        // One buffer for every file: this runs before a no-op rebuild and nothing else, and
        // fresh memory for each file (freed, returned, faulted in again) was measurable.
        let mut bytes = Vec::new();
        for f in &self.files {
            let file = std::fs::File::open(&f.path).ok()?;
            bytes.clear();
            file.take(load::MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .ok()?;
            if bytes.len() as u64 > load::MAX_FILE_BYTES {
                return None;
            }
            load::blank_bom(&mut bytes);
            let text = std::str::from_utf8(&bytes).ok()?;
            texts.push((hash_bytes(text.as_bytes()), text.len()));
        }
        Some(self.key(salt, &texts))
    }

    /// The listed fingerprint from what a build loaded, when it read no file but the listed
    /// ones (and the standard library); `None` otherwise.
    pub fn loaded_key(&self, salt: u64, loaded: &Loaded) -> Option<u64> {
        let listed: HashSet<&Path> = self.files.iter().map(|f| f.path.as_path()).collect();
        if !loaded.inputs.iter().all(|p| listed.contains(p.as_path())) {
            return None;
        }
        let texts: Option<Vec<(u64, usize)>> = self
            .files
            .iter()
            .map(|f| {
                let id = loaded.disk_ids.get(&f.path)?;
                let text = &loaded.sources.get(*id).text;
                Some((hash_bytes(text.as_bytes()), text.len()))
            })
            .collect();
        Some(self.key(salt, &texts?))
    }

    /// `texts`: the hash and length of each listed file's text, in order.
    fn key(&self, salt: u64, texts: &[(u64, usize)]) -> u64 {
        use std::fmt::Write;
        let mut all = format!("listed\n{salt:016x}\n");
        for (dir, root) in &self.args {
            let _ = writeln!(all, "{}\t{root}", if *dir { "dir" } else { "file" });
        }
        for (f, (hash, len)) in self.files.iter().zip(texts) {
            let _ = writeln!(all, "{}\t{}\t{hash:016x}\t{len}", f.arg, f.rel);
        }
        hash_bytes(all.as_bytes())
    }
}

/// The loaded fingerprint: `salt` and the text of every file loaded, in load order.
pub fn loaded_key(salt: u64, loaded: &Loaded) -> u64 {
    use std::fmt::Write;
    let mut all = format!("{salt:016x}");
    for (_, f) in loaded.sources.files() {
        let _ = write!(
            all,
            ":{:016x}:{}",
            hash_bytes(f.text.as_bytes()),
            f.text.len()
        );
    }
    hash_bytes(all.as_bytes())
}

/// `to` relative to `from`, both absolute and canonical: `.`, `sub/dir` or `../other`.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in &to[common..] {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    rel
}

/// A relative path with `/` between its parts, whatever the platform.
fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;

    fn loaded(paths: &[PathBuf]) -> Loaded {
        let mut diags = Diagnostics::default();
        let loaded = load::load(paths, load::LoadOptions::default(), &mut diags).expect("load");
        assert!(!diags.has_errors());
        loaded
    }

    /// The key a no-op rebuild computes from the bytes is the one the build recorded from
    /// the loaded text (a byte order mark included), and there is none when the program read
    /// a file that is not listed.
    #[test]
    fn disk_and_loaded_keys_agree_and_cover_the_listed_files_only() {
        let dir = std::env::temp_dir().join(format!("topoc-inputs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("mkdir");
        std::fs::write(
            dir.join("src/a.topo"),
            "\u{feff}import \"./b.topo\"\ncluster east { }\n",
        )
        .expect("write");
        std::fs::write(dir.join("src/b.topo"), "import \"../c.topo\"\n").expect("write");
        std::fs::write(dir.join("c.topo"), "cluster west { }\n").expect("write");

        let folder = [dir.join("src")];
        let listing = Listing::of(&folder).expect("listing");
        let mut diags = Diagnostics::default();
        let options = load::LoadOptions {
            imports_outside: true,
        };
        let program = load::load(&folder, options, &mut diags).expect("load");
        assert!(!diags.has_errors());
        assert_eq!(
            listing.loaded_key(1, &program),
            None,
            "c.topo is not listed"
        );

        let both = [dir.join("src"), dir.join("c.topo")];
        let listing = Listing::of(&both).expect("listing");
        let key = listing.loaded_key(1, &loaded(&both)).expect("all listed");
        assert_eq!(listing.disk_key(1), Some(key));
        assert_ne!(listing.disk_key(2), Some(key), "another salt");
        std::fs::write(dir.join("c.topo"), "cluster west { }\n\n").expect("write");
        assert_ne!(listing.disk_key(1), Some(key), "an edited file");
        assert_ne!(loaded_key_of(&both), key, "not the loaded fingerprint");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn loaded_key_of(paths: &[PathBuf]) -> u64 {
        loaded_key(1, &loaded(paths))
    }

    #[test]
    fn relative_paths_between_folders() {
        let r = |a: &str, b: &str| slashed(&relative(Path::new(a), Path::new(b)));
        assert_eq!(r("/p/a", "/p/a"), ".");
        assert_eq!(r("/p/a", "/p/a/b"), "b");
        assert_eq!(r("/p/a", "/p/b/c"), "../b/c");
        assert_eq!(r("/p/a/x", "/q"), "../../../q");
    }
}
