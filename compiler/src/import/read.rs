//! Reading manifests: the YAML files below the folders named on the command line, every
//! document of each with positions, and the cluster each belongs to in a folder-per-cluster
//! layout (`DIR/<cluster>/...`).

use std::io;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Code, Diagnostic};
use crate::load::{LoadError, MAX_FILES, MAX_FILE_BYTES};
use crate::source::{FileId, SourceMap, Span};
use crate::yaml::{self, Node};

/// Files that are part of a manifest tree but describe no object: kustomize's index and the
/// list of files topoc wrote.
const SKIPPED_FILES: &[&str] = &[
    "kustomization.yaml",
    "kustomization.yml",
    "Kustomization",
    crate::emit::MANIFEST,
];

/// One YAML document.
pub(crate) struct Doc {
    pub file: FileId,
    /// The cluster folder it was found in.
    pub cluster: String,
    pub node: Node,
}

/// Every document below `paths`, in sorted path order. `single` puts every document in that
/// one cluster instead of reading the folder layout.
pub(crate) fn read(
    paths: &[PathBuf],
    single: Option<&str>,
    sources: &mut SourceMap,
    inputs: &mut Vec<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Doc>, LoadError> {
    let mut docs = Vec::new();
    let mut count = 0;
    for root in paths {
        let files = yaml_files(root)?;
        count += files.len();
        if count > MAX_FILES {
            return Err(LoadError {
                path: root.clone(),
                error: io::Error::other(format!(
                    "more than {MAX_FILES} manifest files; is this the right folder?"
                )),
            });
        }
        for file in files {
            let cluster = match single {
                Some(name) => name.to_string(),
                None => cluster_of(root, &file),
            };
            let text = read_text(&file)?;
            inputs.push(file.clone());
            // `./east/a.yaml` reads better as `east/a.yaml`, as load.rs names `.topo` files.
            let shown = file.strip_prefix(".").unwrap_or(&file);
            let name = shown.to_string_lossy().into_owned();
            match text {
                Ok(text) => docs.extend(read_source(name, text, &cluster, sources, diags)),
                Err(lossy) => {
                    let id = sources.add(name, lossy);
                    diags.push(Diagnostic::new(
                        Code::InvalidSourceText,
                        "manifest is not valid UTF-8",
                        Span::new(id, 0, 0),
                        "this file",
                    ));
                }
            }
        }
    }
    Ok(docs)
}

/// The documents of one manifest text, all in `cluster`.
pub(crate) fn read_source(
    name: String,
    text: String,
    cluster: &str,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Doc> {
    let id = sources.add(name, text);
    match yaml::parse_documents(&sources.get(id).text) {
        Ok(nodes) => nodes
            .into_iter()
            .map(|node| Doc {
                file: id,
                cluster: cluster.to_string(),
                node,
            })
            .collect(),
        Err(e) => {
            diags.push(syntax_error(sources, id, &e));
            Vec::new()
        }
    }
}

/// The text of a file; `Err` holds a lossy copy of text that is not UTF-8.
fn read_text(path: &Path) -> Result<Result<String, String>, LoadError> {
    let bytes = std::fs::metadata(path)
        .and_then(|m| {
            if m.len() > MAX_FILE_BYTES {
                Err(io::Error::other(format!(
                    "larger than the limit of {MAX_FILE_BYTES} bytes"
                )))
            } else {
                std::fs::read(path)
            }
        })
        .map_err(|error| LoadError {
            path: path.to_path_buf(),
            error,
        })?;
    Ok(String::from_utf8(bytes).map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn syntax_error(sources: &SourceMap, id: FileId, e: &yaml::ParseError) -> Diagnostic {
    let text = &sources.get(id).text;
    let offset = text
        .split_inclusive('\n')
        .take(e.line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let offset = offset.min(text.len());
    // The column counts characters; the span needs the byte offset of that character.
    let at = text[offset..]
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .nth(e.column.saturating_sub(1))
        .map_or_else(
            || offset + text[offset..].find('\n').unwrap_or(text.len() - offset),
            |(i, _)| offset + i,
        );
    Diagnostic::new(
        Code::ImportYamlSyntax,
        format!("manifest is not valid YAML: {}", e.message),
        Span::new(id, at, at),
        "here",
    )
    .with_help("fix the YAML; no object of this file is imported")
}

/// A manifest file, or every manifest below a folder, sorted by path.
fn yaml_files(root: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
        let entry = entry.map_err(|e| LoadError {
            path: e.path().unwrap_or(root).to_path_buf(),
            error: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("filesystem loop")),
        })?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy();
        let is_manifest = path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
        if entry.file_type().is_file() && is_manifest && !SKIPPED_FILES.contains(&name.as_ref()) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// `DIR/<cluster>/...` belongs to `<cluster>`; a file directly in `DIR` (or named on its own)
/// to the cluster named after its folder.
fn cluster_of(root: &Path, file: &Path) -> String {
    let below = file.strip_prefix(root).unwrap_or(file);
    let mut parts = below.components();
    let first = parts.next();
    let name = match (first, parts.next()) {
        (Some(dir), Some(_)) => dir.as_os_str().to_string_lossy().into_owned(),
        _ => {
            let folder = if root.is_dir() {
                root
            } else {
                root.parent().unwrap_or(Path::new("."))
            };
            let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
            folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }
    };
    cluster_name(&name)
}

/// A folder name as a cluster name (a DNS-1123 label and a topoc identifier).
pub(crate) fn cluster_name(folder: &str) -> String {
    let mut name: String = folder
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_string();
    name.truncate(63);
    if name.is_empty() {
        return "cluster".into();
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name = format!("c-{name}");
        name.truncate(63);
    }
    name.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_become_cluster_names() {
        assert_eq!(cluster_name("east"), "east");
        assert_eq!(cluster_name("_argocd"), "argocd");
        assert_eq!(cluster_name("EU_West.1"), "eu-west-1");
        assert_eq!(cluster_name("1st"), "c-1st");
        assert_eq!(cluster_name("--"), "cluster");
    }

    #[test]
    fn layout_decides_the_cluster() {
        let root = std::env::temp_dir().join(format!("topoc-read-{}/fleet", std::process::id()));
        std::fs::create_dir_all(&root).expect("temp folder");
        assert_eq!(cluster_of(&root, &root.join("west/ns/a.yaml")), "west");
        assert_eq!(cluster_of(&root, &root.join("a.yaml")), "fleet");
        // A file named on its own belongs to the cluster of its folder.
        let file = root.join("b.yaml");
        std::fs::write(&file, "").expect("temp file");
        assert_eq!(cluster_of(&file, &file), "fleet");
        let _ = std::fs::remove_dir_all(root.parent().unwrap_or(&root));
    }
}
