//! Documentation that cannot rot: every `topo` code block in `docs/` and the README compiles, and every
//! `topoc explain` page's failing example yields exactly its code while its fixed example
//! compiles clean.
//!
//! Block info strings: ```` ```topo ```` must compile without errors, ```` ```topo,fail ````
//! must produce at least one error, ```` ```topo,no-run ```` is shown but not compiled (for
//! what one text file cannot show, such as invalid UTF-8 or an import cycle across files).

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use topoc::diag::{Code, Severity};
use topoc::Options;

struct Block {
    info: String,
    text: String,
    /// The `## ` heading the block is under.
    section: String,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut current: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        if let Some(block) = &mut current {
            if line.trim_start().starts_with("```") {
                out.push(current.take().expect("in a block"));
            } else {
                block.text.push_str(line);
                block.text.push('\n');
            }
        } else if let Some(info) = line.trim_start().strip_prefix("```") {
            current = Some(Block {
                info: info.trim().to_string(),
                text: String::new(),
                section: section.clone(),
                line: i + 1,
            });
        } else if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
        }
    }
    out
}

/// Compile one program given as text; its diagnostics' codes and severities. A block marked
/// `topo,relay` is compiled as `topoc build --target relay` compiles it, `topo,edge` as
/// `topoc build --target gloo-edge`.
fn compile_text(dir: &Path, name: &str, text: &str) -> Vec<(Code, Severity)> {
    compile_block(dir, name, text, "topo")
}

fn compile_block(dir: &Path, name: &str, text: &str, info: &str) -> Vec<(Code, Severity)> {
    let path = dir.join(name);
    fs::write(&path, text).expect("write block");
    let target = if info.split(',').any(|w| w == "relay") {
        topoc::Target::Relay
    } else if info.split(',').any(|w| w == "edge") {
        topoc::Target::GlooEdge
    } else {
        topoc::Target::Clusters
    };
    let c = topoc::compile(
        &[path],
        Options {
            render: true,
            target,
            ..Options::default()
        },
    )
    .expect("block readable");
    c.diagnostics
        .iter()
        .map(|d| (d.code, d.severity()))
        .collect()
}

#[test]
fn every_topo_block_in_docs_compiles() {
    let tmp = support::tempdir("docs");
    let mut failures = String::new();
    let mut compiled = 0;
    for entry in walkdir::WalkDir::new(support::repo().join("docs"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        // Explanation pages are checked by the next test, with their own rules.
        if path.extension().is_none_or(|e| e != "md")
            || path.parent().is_some_and(|p| p.ends_with("codes"))
        {
            continue;
        }
        let markdown = fs::read_to_string(path).expect("read doc");
        for (i, b) in blocks(&markdown).into_iter().enumerate() {
            let errors = match b.info.as_str() {
                "topo" | "topo,fail" => compile_text(&tmp, &format!("block{i}.topo"), &b.text),
                "topo,edge" | "topo,edge,fail" => {
                    compile_block(&tmp, &format!("block{i}.topo"), &b.text, &b.info)
                }
                _ => continue,
            };
            compiled += 1;
            let n_errors = errors.iter().filter(|(_, s)| *s == Severity::Error).count();
            let want_fail = b.info.ends_with(",fail");
            if want_fail != (n_errors > 0) {
                failures.push_str(&format!(
                    "{}:{}: expected {}, got {:?}\n",
                    path.display(),
                    b.line,
                    if want_fail { "an error" } else { "no error" },
                    errors
                ));
            }
        }
    }
    assert!(compiled > 0, "no topo block found in docs/");
    assert!(failures.is_empty(), "{failures}");
    let _ = fs::remove_dir_all(&tmp);
}

/// Manifests, for the codes of `topoc import` and `topoc check --manifests`.
const MANIFESTS: &str = "yaml,manifests";

/// A code page's block: a program compiled, or manifests checked.
fn run_block(dir: &Path, name: &str, b: &Block) -> Vec<(Code, Severity)> {
    if b.info == MANIFESTS {
        let staged = dir.join(name);
        let options = support::stage_manifests(&staged, &b.text);
        let (diags, _) = support::check_manifests(&staged, &options);
        return diags.iter().map(|d| (d.code, d.severity())).collect();
    }
    compile_block(dir, &format!("{name}.topo"), &b.text, &b.info)
}

#[test]
fn every_explanation_has_a_failing_and_a_fixed_example() {
    let tmp = support::tempdir("explain");
    let mut failures = String::new();
    for &code in Code::ALL {
        let page = code.explanation();
        let title = format!("# {code}: {}", code.title());
        if page.lines().next() != Some(title.as_str()) {
            failures.push_str(&format!("{code}: first line should be `{title}`\n"));
        }
        for section in ["## What", "## Why", "## Example", "## Fix"] {
            if !page.lines().any(|l| l.trim() == section) {
                failures.push_str(&format!("{code}: no `{section}` section\n"));
            }
        }
        let blocks = blocks(page);
        let runnable = |b: &&Block| b.info.starts_with("topo") || b.info == MANIFESTS;
        let example = blocks
            .iter()
            .filter(runnable)
            .find(|b| b.section == "Example");
        let fix = blocks.iter().filter(runnable).find(|b| b.section == "Fix");
        let (Some(example), Some(fix)) = (example, fix) else {
            failures.push_str(&format!(
                "{code}: needs a topo (or {MANIFESTS}) block under Example and under Fix\n"
            ));
            continue;
        };
        if example.info == "topo,no-run" || fix.info == "topo,no-run" {
            continue;
        }
        let got: BTreeSet<Code> = run_block(&tmp, &format!("{code}-example"), example)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        if got != BTreeSet::from([code]) {
            failures.push_str(&format!(
                "{code}: the example yields {got:?}, expected exactly {code}\n"
            ));
        }
        let fixed = run_block(&tmp, &format!("{code}-fix"), fix);
        if !fixed.is_empty() {
            failures.push_str(&format!(
                "{code}: the fixed example still yields {fixed:?}\n"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
    let _ = fs::remove_dir_all(&tmp);
}

/// Codes whose example cannot run from one text file, and why; anything else must run.
#[test]
fn only_unshowable_codes_skip_their_examples() {
    let allowed = [
        Code::InvalidSourceText,
        Code::ImportCycle,
        Code::ImportOutsideProject,
        Code::TemplateError,
    ];
    for &code in Code::ALL {
        let skips = blocks(code.explanation())
            .iter()
            .any(|b| b.info == "topo,no-run" && b.section == "Example");
        assert!(
            !skips || allowed.contains(&code),
            "{code} marks its example no-run but one file can show it"
        );
    }
}
