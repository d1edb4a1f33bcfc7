//! Entry points of the fuzz targets (`fuzz/`), kept in the crate so that a plain test can replay
//! the corpus and every crash found (`compiler/tests/fuzz_corpus.rs`) without libFuzzer.

use crate::source::FileId;
use crate::{compile_source, emit, report, syntax, Options};

/// Parse arbitrary bytes (as UTF-8, lossily); check that every span lies on the text.
pub fn parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (_, diags) = syntax::parse(FileId(0), &text);
    for d in &diags {
        for l in std::iter::once(&d.primary).chain(&d.secondary) {
            let (start, end) = (l.span.start as usize, l.span.end as usize);
            assert!(
                start <= end && end <= text.len(),
                "span {start}..{end} outside a text of {} bytes",
                text.len()
            );
            assert!(
                text.is_char_boundary(start) && text.is_char_boundary(end),
                "span {start}..{end} splits a character"
            );
        }
    }
}

/// Run the whole pipeline on arbitrary text, and render every diagnostic.
pub fn pipeline(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let c = compile_source(
        "fuzz.topo",
        &text,
        Options {
            render: true,
            layout: emit::Layout::Files,
            ..Options::default()
        },
    );
    let _ = report::render_all(&c.diagnostics, &c.sources, false);
    let _ = report::render_json(&c.diagnostics, &c.sources);
    if let Some(tree) = &c.tree {
        assert!(!c.has_errors(), "a tree is produced only without errors");
        for path in tree.keys() {
            assert!(
                !path.starts_with('/') && !path.split('/').any(|p| p == ".." || p.is_empty()),
                "path {path} leaves the output"
            );
        }
    }
    // The Gloo Edge target, written to Consul, lowers the same program another way.
    let edge = compile_source(
        "fuzz.topo",
        &text,
        Options {
            render: true,
            target: crate::Target::GlooEdge,
            consul: Some(crate::consul::ConsulKv::default()),
            ..Options::default()
        },
    );
    if let Some(tree) = &edge.tree {
        assert!(!edge.has_errors(), "a tree is produced only without errors");
        for path in tree.keys() {
            assert!(
                !path.contains('/') && path.ends_with(crate::consul::SUFFIX),
                "path {path} is not a cluster's Consul file"
            );
        }
    }
}

/// Import arbitrary text as manifests and check the result: never panics, every span lies on
/// the text, and a program imported without error prints as text that parses (unless it hits
/// the language's own limits on nesting and string length, which are diagnostics too).
pub fn manifests(data: &[u8]) {
    use crate::import;
    let text = String::from_utf8_lossy(data);
    let imported = import::import_source("fuzz.yaml", &text, &import::ImportOptions::default());
    for d in imported.diagnostics.iter() {
        let span = d.primary.span;
        let file = &imported.loaded.sources.get(span.file).text;
        let (start, end) = (span.start as usize, span.end as usize);
        assert!(
            start <= end && end <= file.len(),
            "span {start}..{end} outside its file"
        );
        assert!(
            file.is_char_boundary(start) && file.is_char_boundary(end),
            "span {start}..{end} splits a character"
        );
    }
    let unwritable = import::unwritable(&imported.items);
    let written = import::to_topo(&imported, &[]);
    if !imported.diagnostics.has_errors() && unwritable.is_empty() {
        let (_, errors) = syntax::parse(FileId(0), &written);
        for e in &errors {
            assert!(
                e.message.contains("nesting deeper") || e.message.contains("string longer"),
                "the imported program does not parse: {}\n{written}",
                e.message
            );
        }
    }
    let c = crate::compile_loaded(imported.loaded, imported.diagnostics, Options::default());
    let _ = report::render_all(&c.diagnostics, &c.sources, false);
    let _ = report::render_json(&c.diagnostics, &c.sources);
}
