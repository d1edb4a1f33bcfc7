//! Reading the input: the files and folders named on the command line, their imports, and the
//! embedded standard library. Produces the parsed files in a deterministic order.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use crate::stdlib;
use crate::syntax::{self, ast};

/// Largest source file accepted; larger input is almost certainly not a topology.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Most `.topo` files one run reads; more means a wrong folder (a home directory, `/`).
pub const MAX_FILES: usize = 20_000;

/// How the input may be read.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    /// Let imports reach files outside the folders named on the command line.
    pub imports_outside: bool,
}

/// Every file of a program, parsed.
pub struct Loaded {
    pub sources: SourceMap,
    pub files: Vec<(FileId, ast::File)>,
    /// Every file read from disk, for `--depfile` and rebuild tools.
    pub inputs: Vec<PathBuf>,
    /// The source of each `.topo` file read from disk, by its path as in `inputs`.
    pub disk_ids: HashMap<PathBuf, FileId>,
}

/// An input that could not be read at all (exit code 2, not a diagnostic).
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub error: io::Error,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read {}: {}", self.path.display(), self.error)
    }
}

/// Where a file came from, which decides how its relative imports resolve.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Origin {
    Stdlib(String),
    Disk(PathBuf),
    /// A source given as text (fuzzing, editors): it may import standard modules only.
    Memory(String),
}

/// Files parsed again together by [`Loader::realign`].
const REALIGN_WINDOW: usize = 16;

struct Loader {
    sources: SourceMap,
    files: Vec<(FileId, ast::File)>,
    inputs: Vec<PathBuf>,
    seen: HashMap<Origin, FileId>,
    /// Files whose imports are being loaded, for cycle detection.
    stack: Vec<(Origin, FileId)>,
    /// Disk files by id: the path as written, which their relative imports start from.
    display: HashMap<FileId, PathBuf>,
    /// Folders imports must stay inside (`None`: anywhere).
    roots: Option<Vec<PathBuf>>,
    /// Files named on the command line, read and parsed ahead in parallel, by normalised path.
    preparsed: HashMap<PathBuf, Preparsed>,
}

/// A file read and parsed ahead of its turn, under the id it gets when nothing else is loaded
/// before it (no imports in between). Parsing is per file and needs only the id and the text,
/// so the files of a large topology parse in parallel. An import shifts the ids of every file
/// after it: [`Loader::realign`] parses the next files again, in parallel, under their new ids;
/// and whenever a guess is still wrong the file is parsed again in turn, so the result never
/// depends on the guesses.
struct Preparsed {
    id: FileId,
    text: String,
    file: ast::File,
    errors: Vec<Diagnostic>,
}

impl Preparsed {
    /// `None` for anything [`Loader::load_disk`] reports (unreadable, too large, not UTF-8).
    fn read(path: &Path, id: FileId) -> Option<Preparsed> {
        let meta = std::fs::metadata(path).ok()?;
        if meta.len() > MAX_FILE_BYTES {
            return None;
        }
        let text = source_text(std::fs::read(path).ok()?).ok()?;
        let (file, errors) = syntax::parse(id, &text);
        Some(Preparsed {
            id,
            text,
            file,
            errors,
        })
    }
}

/// Load the prelude, then every `.topo` file of `paths` (folders walked in sorted order), then
/// their imports, depth first.
pub fn load(
    paths: &[PathBuf],
    options: LoadOptions,
    diags: &mut Diagnostics,
) -> Result<Loaded, LoadError> {
    // The project: the folders named on the command line, and the folders of named files.
    let roots = paths.iter().map(|p| root_of(p)).collect();
    let mut loader = Loader::new(if options.imports_outside {
        None
    } else {
        Some(roots)
    });
    loader.load_stdlib(stdlib::PRELUDE, None, diags);
    let mut count = 0;
    let mut listed = Vec::new();
    for path in paths {
        let files = topo_files(path)?;
        count += files.len();
        if count > MAX_FILES {
            return Err(LoadError {
                path: path.clone(),
                error: io::Error::other(format!(
                    "more than {MAX_FILES} .topo files; is this the right folder?"
                )),
            });
        }
        listed.extend(files);
    }
    {
        use rayon::prelude::*;
        let base = loader.sources.files().count();
        loader.preparsed = listed
            .par_iter()
            .enumerate()
            .filter_map(|(i, file)| {
                let path = normalize(file);
                let id = FileId(u32::try_from(base + i).ok()?);
                Preparsed::read(&path, id).map(|p| (path, p))
            })
            .collect();
    }
    for (i, file) in listed.iter().enumerate() {
        loader.realign(&listed[i..]);
        loader.load_disk(file, None, diags)?;
    }
    loader.preparsed.clear();
    Ok(loader.finish())
}

/// The folder a command-line path stands for, canonical: the folder itself, or the folder of
/// a file. Imports stay inside these folders unless allowed out.
pub fn root_of(path: &Path) -> PathBuf {
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// A source file's bytes as the program text: UTF-8, with a byte order mark turned into
/// spaces (it is not part of the program, and offsets stay those of the file).
pub fn source_text(mut bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    blank_bom(&mut bytes);
    String::from_utf8(bytes)
}

/// [`source_text`] in place, for bytes that are only hashed.
pub fn blank_bom(bytes: &mut [u8]) {
    if let Some(bom) = bytes.get_mut(..3).filter(|b| **b == [0xef, 0xbb, 0xbf]) {
        bom.copy_from_slice(b"   ");
    }
}

/// Load one source given as text, after the prelude. Nothing is read from disk.
pub fn load_source(name: &str, text: &str, diags: &mut Diagnostics) -> Loaded {
    let mut loader = Loader::new(Some(Vec::new()));
    loader.load_stdlib(stdlib::PRELUDE, None, diags);
    loader.add_parsed(
        Origin::Memory(name.to_string()),
        name.to_string(),
        text.to_string(),
        None,
        diags,
    );
    loader.finish()
}

/// A file, or every `.topo` file below a folder, sorted by path.
pub fn topo_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|error| LoadError {
        path: path.to_path_buf(),
        error,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    // Links are followed, so a linked file or folder counts; a link loop is an error.
    for entry in WalkDir::new(path).follow_links(true).sort_by_file_name() {
        let entry = entry.map_err(|e| LoadError {
            path: e.path().unwrap_or(path).to_path_buf(),
            error: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("filesystem loop")),
        })?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "topo") {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// Lexically normalise `a/./b/../c` to `a/c`, so one file imported two ways is loaded once and
/// diagnostics print clean relative names.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

impl Loader {
    fn new(roots: Option<Vec<PathBuf>>) -> Loader {
        Loader {
            sources: SourceMap::default(),
            files: Vec::new(),
            inputs: Vec::new(),
            seen: HashMap::new(),
            stack: Vec::new(),
            display: HashMap::new(),
            roots,
            preparsed: HashMap::new(),
        }
    }

    fn finish(self) -> Loaded {
        let disk_ids = self
            .display
            .into_iter()
            .map(|(id, path)| (path, id))
            .collect();
        Loaded {
            sources: self.sources,
            files: self.files,
            inputs: self.inputs,
            disk_ids,
        }
    }

    /// Before loading `rest[0]`, a file named on the command line: if an import loaded files
    /// since the guesses were made, the files parsed ahead have the wrong ids (and each would
    /// be parsed again in turn, one after the other). Parse the next [`REALIGN_WINDOW`] of
    /// them again, in parallel, under the ids they now get if no other import comes first.
    /// A window, not all the rest: a program whose every file imports something pays one
    /// window per import, not the whole rest each time.
    fn realign(&mut self, rest: &[PathBuf]) {
        let next = self.sources.len();
        let Some(first) = rest.first() else {
            return;
        };
        match self.preparsed.get(&normalize(first)) {
            Some(p) if p.id.0 as usize != next => {}
            _ => return,
        }
        let mut stale = Vec::new();
        let mut id = next;
        for path in rest.iter().map(|p| normalize(p)) {
            if stale.len() == REALIGN_WINDOW {
                break;
            }
            // Files loaded already (by an import) take no id in turn.
            let Some(p) = self.preparsed.get(&path) else {
                continue;
            };
            let Ok(now) = u32::try_from(id) else {
                break;
            };
            id += 1;
            if p.id != FileId(now) {
                if let Some(p) = self.preparsed.remove(&path) {
                    stale.push((path, FileId(now), p));
                }
            }
        }
        use rayon::prelude::*;
        let redone: Vec<(PathBuf, Preparsed)> = stale
            .into_par_iter()
            .map(|(path, id, old)| {
                let Preparsed { text, file, .. } = old;
                drop(file);
                let (file, errors) = syntax::parse(id, &text);
                let p = Preparsed {
                    id,
                    text,
                    file,
                    errors,
                };
                (path, p)
            })
            .collect();
        self.preparsed.extend(redone);
    }

    fn add_parsed(
        &mut self,
        origin: Origin,
        name: String,
        text: String,
        display: Option<PathBuf>,
        diags: &mut Diagnostics,
    ) -> FileId {
        self.add_preparsed(origin, name, text, display, None, diags)
    }

    /// [`Loader::add_parsed`], with the syntax tree parsed ahead when its id guess holds.
    fn add_preparsed(
        &mut self,
        origin: Origin,
        name: String,
        text: String,
        display: Option<PathBuf>,
        ahead: Option<(FileId, ast::File, Vec<Diagnostic>)>,
        diags: &mut Diagnostics,
    ) -> FileId {
        let id = self.sources.add(name, text);
        self.seen.insert(origin.clone(), id);
        if let Some(display) = display {
            self.display.insert(id, display);
        }
        let (file, errors) = match ahead {
            Some((guess, file, errors)) if guess == id => (file, errors),
            _ => syntax::parse(id, &self.sources.get(id).text),
        };
        diags.extend(errors);
        let imports: Vec<(String, Span)> = file
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Import { path, span } => Some((path.clone(), *span)),
                _ => None,
            })
            .collect();
        self.files.push((id, file));
        self.stack.push((origin.clone(), id));
        for (path, span) in imports {
            self.import(&origin, &path, span, diags);
        }
        self.stack.pop();
        id
    }

    fn load_stdlib(&mut self, name: &str, from: Option<Span>, diags: &mut Diagnostics) {
        let origin = Origin::Stdlib(name.to_string());
        if self.check_seen(&origin, from, diags) {
            return;
        }
        match stdlib::module(name) {
            Some(text) => {
                self.add_parsed(
                    origin,
                    format!("stdlib/{name}.topo"),
                    text.to_string(),
                    None,
                    diags,
                );
            }
            None => {
                if let Some(span) = from {
                    let known: Vec<&str> = stdlib::module_names().collect();
                    let mut d = Diagnostic::new(
                        Code::ImportNotFound,
                        format!("there is no standard module `{name}`"),
                        span,
                        "not a standard module",
                    );
                    d = d.with_help(
                        match crate::diag::did_you_mean(name, known.iter().copied()) {
                            Some(m) => format!("did you mean `stdlib/{m}`?"),
                            None => format!("the standard modules are: {}", known.join(", ")),
                        },
                    );
                    diags.push(d);
                }
            }
        }
    }

    /// True when the file is already loaded (or being loaded: then it is a cycle).
    fn check_seen(&mut self, origin: &Origin, from: Option<Span>, diags: &mut Diagnostics) -> bool {
        if !self.seen.contains_key(origin) {
            return false;
        }
        if let (Some(span), Some(pos)) = (from, self.stack.iter().position(|(o, _)| o == origin)) {
            let chain: Vec<&str> = self.stack[pos..]
                .iter()
                .map(|(_, id)| self.sources.get(*id).name.as_str())
                .chain(std::iter::once(
                    self.sources.get(self.stack[pos].1).name.as_str(),
                ))
                .collect();
            let d = if chain.len() == 2 {
                Diagnostic::new(
                    Code::ImportCycle,
                    format!("{} imports itself", chain[0]),
                    span,
                    "this import names its own file",
                )
                .with_help("remove this import")
            } else {
                Diagnostic::new(Code::ImportCycle, format!("import cycle: {}", chain.join(" → ")), span, "this import closes the cycle")
                    .with_help("imports are not needed both ways: every definition is visible in the whole program; remove one of the imports")
            };
            diags.push(d);
        }
        true
    }

    fn load_disk(
        &mut self,
        path: &Path,
        from: Option<Span>,
        diags: &mut Diagnostics,
    ) -> Result<(), LoadError> {
        let path = normalize(path);
        // Key by the canonical path, so `a.topo` and `/abs/a.topo` are one file; the name shown
        // in diagnostics stays the path as written.
        let origin = Origin::Disk(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()));
        if self.check_seen(&origin, from, diags) {
            return Ok(());
        }
        if let Some(p) = self.preparsed.remove(&path) {
            self.inputs.push(path.clone());
            let name = path.to_string_lossy().into_owned();
            let ahead = Some((p.id, p.file, p.errors));
            self.add_preparsed(origin, name, p.text, Some(path), ahead, diags);
            return Ok(());
        }
        let read = std::fs::metadata(&path).and_then(|m| {
            if m.len() > MAX_FILE_BYTES {
                Err(io::Error::other(format!(
                    "larger than the limit of {MAX_FILE_BYTES} bytes"
                )))
            } else {
                std::fs::read(&path)
            }
        });
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(error) => {
                return match from {
                    // A missing import is the program's error, with a span.
                    Some(span) => {
                        diags.push(
                            Diagnostic::new(
                                Code::ImportNotFound,
                                format!("cannot read `{}`: {error}", path.display()),
                                span,
                                "imported here",
                            )
                            .with_help("import paths are relative to the importing file; write `./NAME.topo` for a file beside it"),
                        );
                        Ok(())
                    }
                    None => Err(LoadError { path, error }),
                };
            }
        };
        self.inputs.push(path.clone());
        let name = path.to_string_lossy().into_owned();
        let display = path.clone();
        match source_text(bytes) {
            Ok(text) => {
                self.add_parsed(origin, name, text, Some(display), diags);
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let id = self.sources.add(name, lossy);
                self.seen.insert(origin, id);
                // The valid prefix is copied unchanged, so the replacement character starts at `at`.
                let start = at;
                diags.push(
                    Diagnostic::new(
                        Code::InvalidSourceText,
                        "source file is not valid UTF-8",
                        Span::new(id, start, start + '\u{fffd}'.len_utf8()),
                        "invalid byte sequence",
                    )
                    .with_help("save the file as UTF-8"),
                );
            }
        }
        Ok(())
    }

    fn import(&mut self, from: &Origin, path: &str, span: Span, diags: &mut Diagnostics) {
        if let Some(name) = path.strip_prefix("stdlib/") {
            self.load_stdlib(name.trim_end_matches(".topo"), Some(span), diags);
            return;
        }
        match from {
            Origin::Disk(_) => {
                let importer = self
                    .stack
                    .last()
                    .and_then(|(_, id)| self.display.get(id))
                    .cloned()
                    .unwrap_or_default();
                let base = importer.parent().unwrap_or(Path::new(""));
                let target = base.join(path);
                if let Some(roots) = &self.roots {
                    let canonical =
                        std::fs::canonicalize(&target).unwrap_or_else(|_| normalize(&target));
                    if canonical.is_absolute() && !roots.iter().any(|r| canonical.starts_with(r)) {
                        diags.push(
                            Diagnostic::new(
                                Code::ImportOutsideProject,
                                format!("`{path}` is outside the folders being compiled"),
                                span,
                                "leaves the project",
                            )
                            .with_help("move the file into the project, name its folder on the command line too, or pass --allow-imports-outside"),
                        );
                        return;
                    }
                }
                // A read error of an import is reported as a diagnostic inside load_disk.
                let _ = self.load_disk(&target, Some(span), diags);
            }
            Origin::Memory(_) => diags.push(
                Diagnostic::new(
                    Code::ImportOutsideProject,
                    "a source given as text can import standard modules only",
                    span,
                    "not a standard module",
                )
                .with_help("compile the files from disk to use imports between them"),
            ),
            Origin::Stdlib(_) => diags.push(Diagnostic::new(
                Code::ImportNotFound,
                "standard modules can only import other standard modules",
                span,
                "not a standard module",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.topo")),
            PathBuf::from("a/c.topo")
        );
        assert_eq!(
            normalize(Path::new("../x.topo")),
            PathBuf::from("../x.topo")
        );
    }

    /// An import in the first file shifts the ids of every file after it: they are parsed
    /// again under their new ids, and each tree's spans name its own file.
    #[test]
    fn files_after_an_import_get_trees_of_their_own_ids() {
        let dir = std::env::temp_dir().join(format!("topoc-realign-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp folder");
        std::fs::write(
            dir.join("a.topo"),
            "import \"stdlib/kuma\"\ncluster a { }\n",
        )
        .expect("write");
        // More files than one window, and a syntax error in the last one.
        for i in 0..(REALIGN_WINDOW + 3) {
            let text = if i == REALIGN_WINDOW + 2 {
                format!("cluster c{i} {{ labels = }}\n")
            } else {
                format!("cluster c{i} {{ }}\n")
            };
            std::fs::write(dir.join(format!("b{i:02}.topo")), text).expect("write");
        }
        let mut diags = Diagnostics::default();
        let loaded = load(
            std::slice::from_ref(&dir),
            LoadOptions::default(),
            &mut diags,
        )
        .expect("loads");
        for (id, file) in &loaded.files {
            for item in &file.items {
                if let ast::Item::Definition(block) = item {
                    assert_eq!(block.span.file, *id, "{}", loaded.sources.get(*id).name);
                }
            }
        }
        let errors: Vec<_> = diags.into_sorted(&loaded.sources);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let file = loaded.sources.get(errors[0].primary.span.file);
        assert!(file.name.ends_with("b18.topo"), "{}", file.name);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
