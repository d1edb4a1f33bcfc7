//! UI tests: each `tests/ui/NAME.topo` is checked and its rendered diagnostics are compared
//! with `tests/ui/NAME.stderr`, so every message, span, label and help line is reviewed.
//! Cases in `tests/ui/` must fail. `tests/ui/upstream/` holds translations of the Gateway API
//! corpus (see its README): the invalid examples must fail, the valid ones must compile clean
//! (an empty snapshot). Files in other subfolders are imported by the cases.
//! `TOPOC_BLESS=1 cargo test --test ui` rewrites the snapshots; a snapshot without its case
//! fails, and every diagnostic code must have a case.

mod support;

use std::collections::BTreeSet;
use std::fs;

use topoc::diag::Code;
use topoc::Options;

/// Codes that no input can produce: a broken template is a bug in topoc's own stdlib.
const UNREACHABLE_FROM_INPUT: &[Code] = &[Code::TemplateError];

fn cases(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    files_with_extension(dir, "topo")
}

fn files_with_extension(dir: &std::path::Path, extension: &str) -> Vec<std::path::PathBuf> {
    let mut cases: Vec<_> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("read case folder").path())
                .filter(|p| p.extension().is_some_and(|e| e == extension))
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    cases
}

#[test]
fn ui_cases_match_their_snapshots() {
    let dir = support::repo().join("tests/ui");
    let must_fail = cases(&dir);
    assert!(!must_fail.is_empty(), "no cases in tests/ui");
    let upstream_dir = dir.join("upstream");
    let upstream = cases(&upstream_dir);
    let all: Vec<(bool, &std::path::PathBuf)> = must_fail
        .iter()
        .map(|c| (true, c))
        .chain(upstream.iter().map(|c| (false, c)))
        .collect();

    let mut failures = String::new();
    let mut seen_codes = BTreeSet::new();
    for (fail_required, case) in all {
        // A first line `# target: relay` checks the case as `--target relay` does (and
        // `# target: gloo-edge` as `--target gloo-edge`).
        let first = fs::read_to_string(case)
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let target = if first.trim() == "# target: relay" {
            topoc::Target::Relay
        } else if first.trim() == "# target: gloo-edge" {
            topoc::Target::GlooEdge
        } else {
            topoc::Target::Clusters
        };
        let mut c = topoc::compile(
            std::slice::from_ref(case),
            Options {
                target,
                ..Options::default()
            },
        )
        .expect("case readable");
        // Diagnostics name files as given; show them relative to the repository. Messages
        // are made relative before rendering, so that their line wrapping does not depend on
        // where the repository is checked out.
        let prefix = format!("{}/", support::repo().display());
        for d in &mut c.diagnostics {
            d.message = d.message.replace(&prefix, "");
            d.help = d.help.take().map(|h| h.replace(&prefix, ""));
            for l in std::iter::once(&mut d.primary).chain(&mut d.secondary) {
                l.text = l.text.replace(&prefix, "");
            }
        }
        let rendered = topoc::report::render_all(&c.diagnostics, &c.sources, false);
        let rendered = rendered.replace(&prefix, "");
        seen_codes.extend(c.diagnostics.iter().map(|d| d.code));
        let name = case
            .file_name()
            .expect("named")
            .to_string_lossy()
            .into_owned();
        if fail_required && c.diagnostics.is_empty() {
            failures.push_str(&format!("{name}: no diagnostic; a ui case must fail\n"));
        }
        support::check_snapshot(
            &case.with_extension("stderr"),
            &format!("tests/ui/{name}"),
            &rendered,
            &mut failures,
        );
    }
    manifest_cases(&dir.join("manifests"), &mut failures, &mut seen_codes);
    let entries = fs::read_dir(&dir)
        .into_iter()
        .chain(fs::read_dir(&upstream_dir))
        .flatten();
    for entry in entries {
        let path = entry.expect("read tests/ui").path();
        if path.extension().is_some_and(|e| e == "stderr") && !path.with_extension("topo").exists()
        {
            failures.push_str(&format!(
                "stale snapshot without a case: {}\n",
                path.display()
            ));
        }
    }
    let manifest_entries = fs::read_dir(dir.join("manifests")).into_iter().flatten();
    for entry in manifest_entries {
        let path = entry.expect("read tests/ui/manifests").path();
        if path.extension().is_some_and(|e| e == "stderr") && !path.with_extension("yaml").exists()
        {
            failures.push_str(&format!(
                "stale snapshot without a case: {}\n",
                path.display()
            ));
        }
    }
    for code in Code::ALL {
        if !seen_codes.contains(code) && !UNREACHABLE_FROM_INPUT.contains(code) {
            failures.push_str(&format!(
                "no tests/ui case produces {code} ({})\n",
                code.title()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{failures}\n(TOPOC_BLESS=1 to accept new snapshots)"
    );
}

/// `tests/ui/manifests/NAME.yaml`: manifests checked as `topoc check --manifests` checks them
/// (plus what only `topoc import` reports), one cluster `east`, or a folder per cluster when the
/// case has `# file: CLUSTER/NAME.yaml` sections. Every case must fail.
fn manifest_cases(dir: &std::path::Path, failures: &mut String, seen: &mut BTreeSet<Code>) {
    let cases = files_with_extension(dir, "yaml");
    assert!(!cases.is_empty(), "no cases in tests/ui/manifests");
    let tmp = support::tempdir("ui-manifests");
    for case in cases {
        let name = case
            .file_name()
            .expect("named")
            .to_string_lossy()
            .into_owned();
        let text = fs::read_to_string(&case).expect("read case");
        let staged = tmp.join(name.trim_end_matches(".yaml"));
        let options = support::stage_manifests(&staged, &text);
        let (diags, sources) = support::check_manifests(&staged, &options);
        seen.extend(diags.iter().map(|d| d.code));
        let prefix = format!("{}/", staged.display());
        let rendered = topoc::report::render_all(&diags, &sources, false).replace(&prefix, "");
        if diags.is_empty() {
            failures.push_str(&format!(
                "manifests/{name}: no diagnostic; a ui case must fail\n"
            ));
        }
        support::check_snapshot(
            &case.with_extension("stderr"),
            &format!("tests/ui/manifests/{name}"),
            &rendered,
            failures,
        );
    }
    let _ = fs::remove_dir_all(&tmp);
}
