//! Golden tests: every example compiles to exactly the files under `golden/<example>/`.
//! `TOPOC_BLESS=1 cargo test --test golden` rewrites them; stale golden folders fail.

mod support;

use std::collections::BTreeMap;

use topoc::{emit::Layout, Options};

fn build(path: &std::path::Path, layout: Layout) -> BTreeMap<String, String> {
    let c = topoc::compile(
        &[path.to_path_buf()],
        Options {
            render: true,
            layout,
            ..Options::default()
        },
    )
    .expect("example readable");
    let text = topoc::report::render_all(&c.diagnostics, &c.sources, false);
    assert!(
        c.diagnostics.is_empty(),
        "{} has diagnostics:\n{text}",
        path.display()
    );
    c.tree
        .expect("a tree when there is no error")
        .into_iter()
        .map(|(path, content)| (path, content.to_string()))
        .collect()
}

#[test]
fn examples_match_golden_output() {
    let mut failures = String::new();
    let examples = support::examples();
    assert!(
        examples.len() >= 2,
        "examples/ should hold at least quickstart and gloo-distribution"
    );
    for (name, path) in &examples {
        let actual = if path.join(support::ARGS_FILE).exists() {
            build_with_args(path)
        } else {
            build(path, Layout::Files)
        };
        let golden = support::repo().join("golden").join(name);
        if support::bless() {
            support::write_tree(&golden, &actual);
            continue;
        }
        let expected = support::read_tree(&golden);
        if let Some(report) = support::compare_trees(&expected, &actual) {
            failures.push_str(&format!("== example {name} differs from golden/{name} (TOPOC_BLESS=1 to accept):\n{report}\n"));
        }
    }
    // A golden folder whose example is gone is stale.
    for entry in std::fs::read_dir(support::repo().join("golden")).expect("golden/ exists") {
        let name = entry
            .expect("read golden/")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !examples.iter().any(|(n, _)| *n == name) {
            failures.push_str(&format!("golden/{name} has no example: remove it\n"));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// Build an example as its `topoc.args` says, with the binary, as a user would.
fn build_with_args(dir: &std::path::Path) -> BTreeMap<String, String> {
    let args = std::fs::read_to_string(dir.join(support::ARGS_FILE)).expect("read topoc.args");
    let out = support::tempdir(&format!(
        "golden-{}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("x")
    ));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_topoc"))
        .current_dir(dir)
        .arg("build")
        .args(args.split_whitespace())
        .arg("--out")
        .arg(out.join("out"))
        .output()
        .expect("run topoc");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && !stderr.contains("warning"),
        "{}: {stderr}",
        dir.display()
    );
    let mut tree = support::read_tree(&out.join("out"));
    tree.remove(topoc::emit::MANIFEST);
    let _ = std::fs::remove_dir_all(&out);
    tree
}

/// The bundle layout holds the same objects as the files layout, in path order.
#[test]
fn bundle_layout_concatenates_the_cluster_files() {
    for (name, path) in support::examples()
        .into_iter()
        .filter(|(_, p)| !p.join(support::ARGS_FILE).exists())
    {
        let files = build(&path, Layout::Files);
        let bundles = build(&path, Layout::Bundle);
        for (bundle_path, text) in &bundles {
            let cluster = bundle_path.trim_end_matches(".yaml");
            let docs: Vec<&str> = files
                .iter()
                .filter(|(p, _)| {
                    p.starts_with(&format!("{cluster}/")) && !p.ends_with("/kustomization.yaml")
                })
                .map(|(_, t)| t.as_str())
                .collect();
            assert!(
                !docs.is_empty(),
                "{name}: bundle {bundle_path} has no cluster folder"
            );
            assert_eq!(*text, docs.join("---\n"), "{name}: bundle {bundle_path}");
        }
        let clusters: std::collections::BTreeSet<&str> =
            files.keys().filter_map(|p| p.split('/').next()).collect();
        assert_eq!(
            clusters.len(),
            bundles.len(),
            "{name}: one bundle per cluster folder"
        );
    }
}

/// Output bytes do not depend on the number of threads.
#[test]
fn output_is_identical_for_one_and_two_threads() {
    for (name, path) in support::examples()
        .into_iter()
        .filter(|(_, p)| !p.join(support::ARGS_FILE).exists())
    {
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool")
                .install(|| build(&path, Layout::Files))
        };
        assert_eq!(
            run(1),
            run(2),
            "{name}: output differs between 1 and 2 threads"
        );
    }
}
