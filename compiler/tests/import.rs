//! `topoc import` and `topoc check --manifests`: every golden output imports and builds back
//! to the same files; the upstream Gateway API corpus (../shared/corpus/gateway-api) imports
//! without losing anything silently and its valid cases round-trip; its invalid examples are
//! rejected with the code the rule catalog (tests/ui/upstream/README.md) gives them.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use topoc::diag::{Code, Diagnostic, Severity};
use topoc::import::{self, ImportOptions};
use topoc::Options;

fn topoc(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_topoc"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run topoc")
}

/// The codes of `--message-format json` output.
fn codes(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["code"].as_str().map(str::to_string))
        .collect()
}

/// An example's `topoc.args`, split into the paths it compiles and the flags it builds with.
fn example_args(dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let Ok(args) = fs::read_to_string(dir.join(support::ARGS_FILE)) else {
        return (vec![dir.to_path_buf()], Vec::new());
    };
    let words: Vec<&str> = args.split_whitespace().collect();
    let first_flag = words
        .iter()
        .position(|w| w.starts_with("--"))
        .unwrap_or(words.len());
    let paths = words[..first_flag].iter().map(|p| dir.join(p)).collect();
    let flags = words[first_flag..].iter().map(|s| s.to_string()).collect();
    (paths, flags)
}

/// Every golden output imports (with the clusters of its example: folders and annotations do
/// not say which clusters exist or how they are labelled) and builds back byte for byte, with
/// the example's own flags. The Gloo Edge API is refused with E0508, as documented.
#[test]
fn golden_outputs_import_and_build_back() {
    let tmp = support::tempdir("import-golden");
    let mut failures = String::new();
    let mut round_tripped = 0;
    for (name, dir) in support::examples() {
        let golden = support::repo().join("golden").join(&name);
        let (sources, flags) = example_args(&dir);
        let topo = tmp.join(format!("{name}.topo"));
        let mut args = vec![
            "import".to_string(),
            golden.display().to_string(),
            "--out".into(),
            topo.display().to_string(),
            "--message-format".into(),
            "json".into(),
        ];
        for s in &sources {
            args.extend(["--clusters".to_string(), s.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = topoc(&tmp, &args);
        let found = codes(&o.stderr);
        if flags.iter().any(|f| f == "gloo-edge") {
            let errors: BTreeSet<&str> = found
                .iter()
                .map(String::as_str)
                .filter(|c| c.starts_with('E'))
                .collect();
            if o.status.code() != Some(1) || errors != BTreeSet::from(["E0508"]) {
                failures.push_str(&format!(
                    "{name}: the Gloo Edge API should be refused with E0508 only, got {found:?}\n"
                ));
            }
            continue;
        }
        if !o.status.success() {
            failures.push_str(&format!(
                "{name}: import failed: {}\n",
                String::from_utf8_lossy(&o.stderr)
            ));
            continue;
        }
        let out = tmp.join(format!("{name}-out"));
        let mut build = vec![
            "build".to_string(),
            topo.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        build.extend(flags.iter().cloned());
        let build: Vec<&str> = build.iter().map(String::as_str).collect();
        let b = topoc(&tmp, &build);
        if !b.status.success() {
            failures.push_str(&format!(
                "{name}: the imported program does not build: {}\n{}\n",
                String::from_utf8_lossy(&b.stderr),
                fs::read_to_string(&topo).unwrap_or_default()
            ));
            continue;
        }
        let mut tree = support::read_tree(&out);
        tree.remove(topoc::emit::MANIFEST);
        // Importing the rebuilt output writes the same program again: a fixed point.
        let again = tmp.join(format!("{name}-again.topo"));
        let mut args2: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args2[1] = out.display().to_string();
        args2[3] = again.display().to_string();
        let args2: Vec<&str> = args2.iter().map(String::as_str).collect();
        let o2 = topoc(&tmp, &args2);
        let body = |p: &Path| -> String {
            fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .skip(2)
                .map(|l| format!("{l}\n"))
                .collect()
        };
        if !o2.status.success() || body(&topo) != body(&again) {
            failures.push_str(&format!(
                "{name}: importing the rebuilt output gives another program\n"
            ));
        }
        match support::compare_trees(&support::read_tree(&golden), &tree) {
            Some(report) => failures.push_str(&format!(
                "{name}: import then build differs from golden/{name}:\n{report}\n"
            )),
            None => round_tripped += 1,
        }
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(
        round_tripped >= 2,
        "at least quickstart and gloo-distribution round-trip"
    );
    let _ = fs::remove_dir_all(&tmp);
}

/// The upstream corpus, or `None` (the test then says so and passes) when ../shared is absent.
fn corpus() -> Option<PathBuf> {
    let dir = support::repo().join("../shared/corpus/gateway-api");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: this test needs ../shared/corpus/gateway-api");
        None
    }
}

/// The conformance manifests name their class `{GATEWAY_CLASS_NAME}`; topoc's is Gloo's.
fn substitute(text: &str) -> String {
    text.replace("{GATEWAY_CLASS_NAME}", "gloo-gateway")
}

/// Copy files into `dir` (class name substituted), keeping their names.
fn stage(dir: &Path, files: &[PathBuf]) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("create unit folder");
    for f in files {
        let name = f.file_name().expect("named");
        let text = fs::read_to_string(f).expect("read corpus file");
        fs::write(dir.join(name), substitute(&text)).expect("stage corpus file");
    }
}

fn yaml_files(path: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// Kinds topoc writes from definitions: these must come back out of a build.
const EMITTED: &[&str] = &[
    "GatewayClass",
    "Gateway",
    "HTTPRoute",
    "ReferenceGrant",
    "Upstream",
];

/// (key, field, value): a field under that key whose value is the Gateway API default.
const FIELD_DEFAULTS: &[(&str, &str, &str)] = &[
    ("path", "type", "PathPrefix"),
    ("headers", "type", "Exact"),
    ("queryParams", "type", "Exact"),
    ("tls", "mode", "Terminate"),
];

/// Fields whose absence means the Gateway API default, and lists whose order topoc fixes.
fn normalize(kind: &str, namespace: &str, v: &mut Value) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
            labels.remove("app.kubernetes.io/managed-by");
        }
        meta.retain(|_, x| x.as_object().is_none_or(|m| !m.is_empty()));
        if kind != "GatewayClass" {
            meta.entry("namespace").or_insert(Value::from("default"));
        }
    }
    if let Some(api) = v.get_mut("apiVersion") {
        // v1beta1 and v1 serve the same objects.
        let group = api
            .as_str()
            .and_then(|a| a.rsplit_once('/'))
            .map(|(g, _)| g.to_string());
        *api = Value::from(group.unwrap_or_default());
    }
    v.as_object_mut().map(|o| o.remove("status"));
    walk(v, &mut |key, x| {
        let Some(o) = x.as_object_mut() else { return };
        for (under, field, default) in FIELD_DEFAULTS {
            if key == *under && o.get(*field).and_then(Value::as_str) == Some(default) {
                o.remove(*field);
            }
        }
        match key {
            "parentRefs" | "backendRef" | "backendRefs" | "certificateRefs" => {
                let defaults: &[(&str, &str)] = match key {
                    "parentRefs" => &[
                        ("group", "gateway.networking.k8s.io"),
                        ("kind", "Gateway"),
                        ("namespace", namespace),
                    ],
                    "certificateRefs" => {
                        &[("group", ""), ("kind", "Secret"), ("namespace", namespace)]
                    }
                    _ => &[("group", ""), ("kind", "Service"), ("namespace", namespace)],
                };
                for (k, d) in defaults {
                    if o.get(*k).and_then(Value::as_str) == Some(d) {
                        o.remove(*k);
                    }
                }
            }
            "allowedRoutes" => {
                if o.get("namespaces")
                    .and_then(|n| n.get("from"))
                    .and_then(Value::as_str)
                    == Some("Same")
                {
                    o.remove("namespaces");
                }
                if o.get("kinds")
                    .and_then(Value::as_array)
                    .is_some_and(|k| k.iter().all(|x| x["kind"] == "HTTPRoute"))
                {
                    o.remove("kinds");
                }
            }
            _ => {}
        }
    });
    walk(v, &mut |key, x| {
        if key == "filters" {
            if let Some(list) = x.as_array_mut() {
                // topoc writes filters in one fixed order (docs/language.md, Rules).
                let order = [
                    "RequestHeaderModifier",
                    "ResponseHeaderModifier",
                    "RequestRedirect",
                    "URLRewrite",
                    "RequestMirror",
                ];
                list.sort_by_key(|f| order.iter().position(|o| f["type"] == *o));
            }
        }
    });
    // An empty list or map is the same as none (topoc writes neither).
    walk(v, &mut |_, x| {
        if let Some(o) = x.as_object_mut() {
            o.retain(|_, y| {
                !y.as_object().is_some_and(|m| m.is_empty())
                    && !y.as_array().is_some_and(|a| a.is_empty())
            });
        }
    });
}

/// Call `f` on every value below `v` with the key it is under (items of a list get the list's
/// key), children first.
fn walk(v: &mut Value, f: &mut impl FnMut(&str, &mut Value)) {
    fn go(key: &str, v: &mut Value, f: &mut impl FnMut(&str, &mut Value)) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    go(k, x, f);
                }
            }
            Value::Array(items) => {
                for x in items.iter_mut() {
                    go(key, x, f);
                }
            }
            _ => {}
        }
        f(key, v);
    }
    go("", v, f);
}

struct Unit {
    name: String,
    files: Vec<PathBuf>,
    /// How many of `files`, from the start, are context (conformance/base/manifests.yaml).
    context: usize,
}

fn corpus_units(corpus: &Path) -> Vec<Unit> {
    let mut units = Vec::new();
    let examples = corpus.join("examples/standard");
    let mut entries: Vec<PathBuf> = fs::read_dir(&examples)
        .expect("read examples/standard")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for e in entries {
        let rel = e.strip_prefix(corpus).unwrap_or(&e).display().to_string();
        units.push(Unit {
            name: rel,
            files: yaml_files(&e),
            context: 0,
        });
    }
    let base = corpus.join("conformance/base/manifests.yaml");
    for f in yaml_files(&corpus.join("conformance/tests")) {
        let rel = f.strip_prefix(corpus).unwrap_or(&f).display().to_string();
        units.push(Unit {
            name: rel,
            files: vec![base.clone(), f],
            context: 1,
        });
    }
    units
}

/// The cases tests/ui/upstream/README.md translates as valid: they must round-trip in full.
fn valid_cases() -> BTreeSet<String> {
    let readme = fs::read_to_string(support::repo().join("tests/ui/upstream/README.md"))
        .expect("read README");
    readme
        .lines()
        .filter(|l| l.contains("(valid-"))
        .filter_map(|l| l.split('|').nth(1))
        .map(|c| c.trim().trim_end_matches('/').to_string())
        .collect()
}

fn inside(
    d: &Diagnostic,
    sources: &topoc::source::SourceMap,
    file: &Path,
    start: usize,
    end: usize,
) -> bool {
    let span = d.primary.span;
    sources.get(span.file).name == file.display().to_string()
        && start <= span.start as usize
        && span.start as usize <= end
}

/// Import every corpus unit into one cluster, build it, and compare every object of a kind
/// topoc writes: it must come back equal (Gateway API defaults aside), or a diagnostic of the
/// import must lie inside it. The README's valid cases must come back with no error at all.
#[test]
fn corpus_imports_without_silent_loss_and_valid_cases_round_trip() {
    let Some(corpus) = corpus() else { return };
    let tmp = support::tempdir("import-corpus");
    let valid = valid_cases();
    assert!(
        valid.len() >= 20,
        "the README lists the valid cases: {valid:?}"
    );
    let mut failures = String::new();
    let mut round_tripped = BTreeSet::new();
    for unit in corpus_units(&corpus) {
        let dir = tmp.join("unit");
        stage(&dir, &unit.files);
        let options = ImportOptions {
            cluster: Some("east".into()),
            ..ImportOptions::default()
        };
        let imported =
            import::import(std::slice::from_ref(&dir), &options).expect("corpus readable");
        let text = import::to_topo(&imported, std::slice::from_ref(&dir));
        let mut diags = imported.diagnostics.into_sorted(&imported.loaded.sources);
        diags.extend(import::unwritable(&imported.items));
        let sources = &imported.loaded.sources;
        let c = topoc::compile_source(
            "imported.topo",
            &text,
            Options {
                render: true,
                ..Options::default()
            },
        );
        let own: Vec<PathBuf> = unit.files[unit.context..]
            .iter()
            .filter_map(|f| f.file_name().map(|n| dir.join(n)))
            .collect();
        let own_errors = diags.iter().any(|d| {
            d.severity() == Severity::Error
                && own
                    .iter()
                    .any(|f| sources.get(d.primary.span.file).name == f.display().to_string())
        });
        let is_valid = valid
            .iter()
            .any(|v| unit.name.trim_end_matches(".yaml") == v.trim_end_matches(".yaml"));
        let has_errors = c.has_errors();
        let Some(tree) = c.tree.as_ref().filter(|_| !has_errors) else {
            if is_valid {
                failures.push_str(&format!(
                    "{}: a case the README says is valid does not build back:\n{}\n{text}\n",
                    unit.name,
                    topoc::report::render_all(&c.diagnostics, &c.sources, false)
                ));
            }
            continue;
        };
        let mut built: BTreeMap<(String, String), Value> = BTreeMap::new();
        for (path, content) in tree {
            if path.ends_with("kustomization.yaml") || path.ends_with(topoc::emit::MANIFEST) {
                continue;
            }
            let v = topoc::yaml::parse(&content.to_string()).expect("topoc writes YAML");
            let key = (
                v["kind"].as_str().unwrap_or("").to_string(),
                v["metadata"]["name"].as_str().unwrap_or("").to_string(),
            );
            built.insert(key, v);
        }
        let mut complete = !own_errors;
        for file in yaml_files(&dir) {
            let text = fs::read_to_string(&file).expect("read staged");
            for doc in topoc::yaml::parse_documents(&text).expect("corpus is YAML") {
                let mut want = doc.to_json();
                let kind = want["kind"].as_str().unwrap_or("").to_string();
                if !EMITTED.contains(&kind.as_str())
                    || want["apiVersion"]
                        .as_str()
                        .is_some_and(|a| a.starts_with("gateway.solo.io"))
                {
                    continue;
                }
                let name = want["metadata"]["name"].as_str().unwrap_or("").to_string();
                let covered = diags
                    .iter()
                    .any(|d| inside(d, sources, &file, doc.start, doc.end));
                let namespace = want["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default")
                    .to_string();
                normalize(&kind, &namespace, &mut want);
                let got = built
                    .get(&(kind.clone(), name.clone()))
                    .cloned()
                    .map(|mut g| {
                        normalize(&kind, &namespace, &mut g);
                        g
                    });
                if got.as_ref() != Some(&want) {
                    complete &= !own.contains(&file);
                    if !covered {
                        failures.push_str(&format!(
                            "{}: {kind} `{name}` did not come back and no diagnostic says why\nwant {}\ngot  {}\n",
                            unit.name,
                            serde_json::to_string(&want).unwrap_or_default(),
                            serde_json::to_string(&got).unwrap_or_default()
                        ));
                    }
                }
            }
        }
        if complete {
            round_tripped.insert(unit.name.clone());
        }
    }
    assert!(failures.is_empty(), "{failures}");
    // A floor, not a count: the README's valid cases (some have a field topoc cannot write,
    // reported) and more round-trip in full; fewer means the importer lost ground.
    eprintln!("{} corpus units round-trip in full", round_tripped.len());
    assert!(
        round_tripped.len() >= valid.len(),
        "round-tripped: {round_tripped:?}"
    );
    let _ = fs::remove_dir_all(&tmp);
}

/// The invalid examples' table in tests/ui/upstream/README.md: upstream file → code, or
/// `None` where topoc cannot express the mistake.
fn invalid_table() -> Vec<(String, Option<Code>)> {
    let readme = fs::read_to_string(support::repo().join("tests/ui/upstream/README.md"))
        .expect("read README");
    readme
        .lines()
        .filter(|l| l.starts_with("| hack/invalid-examples/"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cells.get(1)?.to_string();
            let code = cells
                .get(3)
                .and_then(|c| c.split_whitespace().next())
                .and_then(Code::parse);
            Some((file, code))
        })
        .collect()
}

/// Check manifests as `topoc check --manifests` does; the codes found.
fn check_manifests(dir: &Path) -> Vec<Code> {
    let imported = import::import(
        &[dir.to_path_buf()],
        &ImportOptions {
            cluster: Some("east".into()),
            ..ImportOptions::default()
        },
    )
    .expect("readable");
    let c = topoc::compile_loaded(imported.loaded, imported.diagnostics, Options::default());
    c.diagnostics.iter().map(|d| d.code).collect()
}

/// Every invalid upstream example, checked as it is, is rejected. Like the README's
/// translations, which give a route the parent `prod-web` and declare it (upstream's files test
/// one CRD rule each and leave parents out), the example is then checked with that gateway and
/// parent added, and must get the code the catalog assigns.
#[test]
fn invalid_upstream_examples_are_rejected_with_the_catalog_code() {
    let Some(corpus) = corpus() else { return };
    let tmp = support::tempdir("import-invalid");
    let table = invalid_table();
    assert!(table.len() >= 30, "the README lists the invalid examples");
    let mut failures = String::new();
    for (file, code) in table {
        let path = corpus.join(&file);
        let dir = tmp.join("case");
        stage(&dir, std::slice::from_ref(&path));
        let as_is = check_manifests(&dir);
        if !as_is.iter().any(|c| c.severity() == Severity::Error) {
            failures.push_str(&format!("{file}: accepted as it is: {as_is:?}\n"));
        }
        let Some(code) = code else { continue };
        let text = fs::read_to_string(&path).expect("read invalid example");
        let completed: Vec<String> = topoc::yaml::parse_documents(&text)
            .expect("invalid examples are YAML")
            .iter()
            .map(|doc| {
                let mut v = doc.to_json();
                complete_route(&mut v, code);
                topoc::yaml::to_string(&v)
            })
            .collect();
        let completed = completed.join("---\n");
        let name = path.file_name().expect("named");
        fs::write(dir.join(name), completed).expect("write completed");
        fs::write(dir.join("prod-web.yaml"), PROD_WEB).expect("write fixture");
        let found = check_manifests(&dir);
        if !found.contains(&code) {
            failures.push_str(&format!("{file}: expected {code}, got {found:?}\n"));
        }
    }
    assert!(failures.is_empty(), "{failures}");
    let _ = fs::remove_dir_all(&tmp);
}

/// What the README's translations add to an invalid route so that only the mistake under test
/// remains: the parent `prod-web`, and a port on Service backends (unless the missing port is
/// the mistake).
fn complete_route(v: &mut Value, code: Code) {
    if v["kind"] != "HTTPRoute" {
        return;
    }
    let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    spec.entry("parentRefs")
        .or_insert(serde_json::json!([{ "name": "prod-web" }]));
    if code == Code::MissingAttribute {
        return;
    }
    for rule in spec
        .get_mut("rules")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        for b in rule
            .get_mut("backendRefs")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if b.get("kind").is_none_or(|k| k == "Service") {
                if let Some(o) = b.as_object_mut() {
                    o.entry("port").or_insert(Value::from(8080));
                }
            }
        }
    }
}

/// The gateway the README's translations declare for the invalid routes.
const PROD_WEB: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: prod-web
spec:
  gatewayClassName: gloo-gateway
  listeners:
  - name: http
    port: 80
    protocol: HTTP
";

/// `check --manifests --base`: a diagnostic keeps its identity (code, object, field) when its
/// object moves to another file and line; the change's own diagnostics are reported, and only
/// an introduced error fails.
#[test]
fn base_comparison_reports_introduced_fixed_and_unchanged() {
    let tmp = support::tempdir("import-base");
    let gateway = |name: &str, extra: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: infra\nspec:\n  gatewayClassName: gloo-gateway\n{extra}  listeners:\n  - name: http\n    port: 80\n    protocol: HTTP\n"
        )
    };
    let addresses = "  addresses:\n  - value: 10.0.0.1\n";
    // Before: `a` has addresses (E0501), `b` too.
    let old = tmp.join("old/east");
    fs::create_dir_all(&old).expect("old");
    fs::write(old.join("a.yaml"), gateway("a", addresses)).expect("a");
    fs::write(old.join("b.yaml"), gateway("b", addresses)).expect("b");
    // After: `a` is fixed; `b` moved into one file after a new gateway `c` with the mistake.
    let new = tmp.join("new/east");
    fs::create_dir_all(&new).expect("new");
    fs::write(new.join("a.yaml"), gateway("a", "")).expect("a");
    fs::write(
        new.join("all.yaml"),
        format!(
            "{}---\n{}",
            gateway("c", addresses),
            gateway("b", addresses)
        ),
    )
    .expect("all");
    let run = |args: &[&str]| topoc(&tmp, args);
    let o = run(&[
        "check",
        "--manifests",
        "new",
        "--base",
        "old",
        "--color",
        "never",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        stdout,
        "introduced E0501 Gateway infra/c spec.addresses\n\
         fixed      E0501 Gateway infra/a spec.addresses\n\
         unchanged  E0501 Gateway infra/b spec.addresses\n",
        "{stderr}"
    );
    assert!(
        stderr.contains("new/east/all.yaml:8:3"),
        "the introduced one is printed in full:\n{stderr}"
    );
    assert!(
        !stderr.contains("a.yaml"),
        "fixed ones are not printed:\n{stderr}"
    );
    assert_eq!(o.status.code(), Some(1), "an introduced error fails");
    // Only fixes: success.
    let o = run(&[
        "check",
        "--manifests",
        "old",
        "--base",
        "new",
        "--color",
        "never",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("introduced"))
            .count(),
        1
    );
    let o = run(&[
        "check",
        "--manifests",
        "new/east/a.yaml",
        "--base",
        "old/east/a.yaml",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Exit codes like `check`: errors 1, usage 2.
    assert_eq!(run(&["check", "--manifests", "new"]).status.code(), Some(1));
    assert_eq!(
        run(&["check", "--manifests", "new/east/a.yaml"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["check", "--base", "old", "new"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["check", "--manifests", "missing"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["check", "--clusters", "x.topo", "new"]).status.code(),
        Some(2)
    );
    let _ = fs::remove_dir_all(&tmp);
}

/// `topoc import` writes nothing when the manifests cannot be imported, and the same bytes
/// for the same input.
#[test]
fn import_is_deterministic_and_writes_nothing_on_error() {
    let tmp = support::tempdir("import-cli");
    let golden = support::repo().join("golden/storefront");
    let golden = golden.display().to_string();
    let a = topoc(&tmp, &["import", &golden, "--out", "a.topo"]);
    let b = topoc(&tmp, &["import", &golden, "--out", "b.topo"]);
    assert!(a.status.success() && b.status.success());
    let (a, b) = (
        fs::read(tmp.join("a.topo")).expect("a"),
        fs::read(tmp.join("b.topo")).expect("b"),
    );
    assert_eq!(a, b);
    fs::create_dir_all(tmp.join("bad")).expect("bad");
    fs::write(
        tmp.join("bad/route.yaml"),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web.v2\nspec:\n  parentRefs:\n  - name: public\n",
    )
    .expect("write");
    let o = topoc(
        &tmp,
        &[
            "import",
            "bad",
            "--out",
            "bad.topo",
            "--message-format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(codes(&o.stderr), vec!["E0509".to_string()]);
    assert!(!tmp.join("bad.topo").exists());
    let _ = fs::remove_dir_all(&tmp);
}

// ---------------------------------------------------------------------------------------------
// Meshes (issue #4): what the importer reconstructs from the mesh objects, and what it reports
// ---------------------------------------------------------------------------------------------

/// What importing a folder gives: the program, and each diagnostic as (code, message, file).
struct Imported {
    program: String,
    diagnostics: Vec<(Code, String, String)>,
}

impl Imported {
    fn codes(&self) -> Vec<Code> {
        self.diagnostics.iter().map(|(c, _, _)| *c).collect()
    }

    fn has(&self, code: Code, text: &str) -> bool {
        self.diagnostics
            .iter()
            .any(|(c, m, _)| *c == code && m.contains(text))
    }
}

/// Write `files` (path below the folder → text) and import the folder, with `clusters` as
/// the `--clusters` program when given.
fn import_tree(name: &str, files: &BTreeMap<String, String>, clusters: Option<&str>) -> Imported {
    let tmp = support::tempdir(&format!("import-mesh-{name}"));
    let dir = tmp.join("manifests");
    support::write_tree(&dir, files);
    let mut options = ImportOptions::default();
    if let Some(text) = clusters {
        let path = tmp.join("clusters.topo");
        fs::write(&path, text).expect("write clusters");
        options.clusters.push(path);
    }
    let imported = import::import(std::slice::from_ref(&dir), &options).expect("readable");
    let program = import::to_topo(&imported, std::slice::from_ref(&dir));
    let sources = &imported.loaded.sources;
    let diagnostics = imported
        .diagnostics
        .into_sorted(sources)
        .into_iter()
        .map(|d| {
            let file = sources.get(d.primary.span.file).name.clone();
            (d.code, d.message, file)
        })
        .collect();
    let _ = fs::remove_dir_all(&tmp);
    Imported {
        program,
        diagnostics,
    }
}

/// Build a program; its files, without topoc's manifest.
fn build_program(text: &str) -> BTreeMap<String, String> {
    let c = topoc::compile_source(
        "imported.topo",
        text,
        Options {
            render: true,
            ..Options::default()
        },
    );
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    let tree = c.tree.expect("built");
    tree.iter()
        .filter(|(path, _)| !path.ends_with(topoc::emit::MANIFEST))
        .map(|(path, content)| (path.to_string(), content.to_string()))
        .collect()
}

fn golden(name: &str) -> BTreeMap<String, String> {
    support::read_tree(&support::repo().join("golden").join(name))
}

/// The clusters of examples/virtual-destinations.
const VD_CLUSTERS: &str = "cluster mgmt { role = management }\ncluster cluster-1 { labels = { bookinfo = \"true\" } }\ncluster cluster-2 { labels = { bookinfo = \"true\" } }\n";

/// Without a gateway, the mesh comes from the ServiceEntries alone: its clusters, east-west
/// gateways and the selected service (labels, port, where it runs). istiod's revision is
/// unknown and said so; the ServiceEntries build back byte for byte.
#[test]
fn a_mesh_without_gateways_comes_from_the_service_entries() {
    let mut files = golden("virtual-destinations");
    files.retain(|path, _| !path.contains("gloo-system") && !path.contains("productpage"));
    let imported = import_tree("no-gateway", &files, Some(VD_CLUSTERS));
    assert!(
        imported.has(
            Code::ImportMeshUnknown,
            "the name and the istiod revision of the Istio mesh of virtual destination `reviews-vd` are not in the manifests"
        ),
        "{:?}",
        imported.diagnostics
    );
    assert!(
        imported
            .codes()
            .iter()
            .all(|c| c.severity() != Severity::Error),
        "{:?}",
        imported.diagnostics
    );
    let p = &imported.program;
    assert!(
        p.contains("mesh istio-mesh {\n  provider  = istio\n  clusters  = all\n  east-west = {"),
        "{p}"
    );
    assert!(!p.contains("  revision"), "{p}");
    assert!(p.contains("service reviews {\n  namespace = \"bookinfo\"\n  labels    = { app = \"reviews\" }\n  ports     = [{ port = 9080 }]\n}"), "{p}");
    assert!(p.contains("  mesh      = mesh.istio-mesh\n  hosts"), "{p}");
    let built = build_program(p);
    for path in [
        "cluster-1/bookinfo/serviceentry-reviews-vd.yaml",
        "cluster-2/bookinfo/serviceentry-reviews-vd.yaml",
        "mgmt/bookinfo/virtualdestination-reviews-vd.yaml",
    ] {
        assert_eq!(built.get(path), files.get(path), "{path}\n{p}");
    }
}

/// Only one cluster's ServiceEntry: the other cluster is still in the mesh (an east-west
/// endpoint names it), and the service runs where a local endpoint shows it.
#[test]
fn an_east_west_endpoint_puts_its_cluster_in_the_mesh() {
    let mut files = golden("virtual-destinations");
    files.retain(|path, _| path.starts_with("mgmt/") || path.starts_with("cluster-1/bookinfo/se"));
    let imported = import_tree("one-cluster", &files, None);
    let p = &imported.program;
    assert!(p.contains("cluster mgmt { role = management }"), "{p}");
    assert!(p.contains("cluster cluster-2 {"), "{p}");
    assert!(p.contains("  runs-in   = [cluster-1]\n"), "{p}");
    assert!(
        p.contains("cluster-2 = \"istio-eastwestgateway.istio-gateways.cluster-2.example.com\""),
        "{p}"
    );
}

/// A VirtualDestination without any of its ServiceEntries: its mesh is unknown (E0511). It is
/// left out, and so is the route backend that sends to its host, without a second error.
#[test]
fn a_virtual_destination_without_service_entries_is_e0511() {
    let mut files = golden("virtual-destinations");
    files.retain(|path, _| !path.contains("serviceentry"));
    let imported = import_tree("no-service-entries", &files, Some(VD_CLUSTERS));
    let errors: Vec<&(Code, String, String)> = imported
        .diagnostics
        .iter()
        .filter(|(c, _, _)| c.severity() == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{:?}", imported.diagnostics);
    assert_eq!(errors[0].0, Code::ImportVdWithoutMesh);
    assert!(errors[0]
        .2
        .ends_with("mgmt/bookinfo/virtualdestination-reviews-vd.yaml"));
    assert!(
        !imported.program.contains("virtual-destination"),
        "{}",
        imported.program
    );
    assert!(
        !imported.program.contains("\nmesh "),
        "{}",
        imported.program
    );
}

/// A ServiceEntry that is not what topoc writes for its virtual destination: every
/// difference is E0501, on the field, in its file.
#[test]
fn a_service_entry_that_differs_from_its_virtual_destination_is_e0501() {
    let mut files = golden("virtual-destinations");
    let path = "cluster-2/bookinfo/serviceentry-reviews-vd.yaml".to_string();
    let se = files[&path]
        .replace(
            "  location: MESH_INTERNAL\n",
            "  location: MESH_EXTERNAL\n  exportTo:\n  - .\n",
        )
        .replace("      http-9080: 15443\n", "      http-9080: 443\n");
    files.insert(path.clone(), se);
    let imported = import_tree("se-differs", &files, Some(VD_CLUSTERS));
    let in_file: Vec<&String> = imported
        .diagnostics
        .iter()
        .filter(|(c, _, f)| *c == Code::ImportUnrepresentable && f.ends_with(&path))
        .map(|(_, m, _)| m)
        .collect();
    assert_eq!(
        in_file,
        [
            "`spec.endpoints[0]` cannot be represented in topoc",
            "`spec.location` cannot be represented in topoc",
            "`spec.exportTo` cannot be represented in topoc",
        ],
        "{:?}",
        imported.diagnostics
    );
}

/// A ServiceEntry that no imported VirtualDestination explains is somebody else's: left out
/// (W0501), its fields unread.
#[test]
fn a_service_entry_of_no_virtual_destination_is_left_out() {
    let mut files = golden("virtual-destinations");
    let se = files["cluster-1/bookinfo/serviceentry-reviews-vd.yaml"]
        .replace("name: reviews-vd", "name: external")
        .replace(
            "  resolution: DNS\n",
            "  resolution: DNS\n  exportTo:\n  - .\n",
        );
    files.insert("cluster-1/bookinfo/serviceentry-external.yaml".into(), se);
    let imported = import_tree("se-foreign", &files, Some(VD_CLUSTERS));
    assert!(imported.has(Code::ImportForeignKind, "ServiceEntry `external`"));
    assert!(!imported.codes().contains(&Code::ImportUnrepresentable));
}

/// A gateway's GatewayParameters outside any mesh: written out in `parameters`, the name left
/// out when it is the gateway's. Copies that differ in a cluster-independent setting are
/// E0504; one that is missing is E0501.
#[test]
fn gateway_parameters_without_a_mesh_are_written_out() {
    let base = golden("virtual-destinations");
    let gateway = base["cluster-1/gloo-system/gateway-http.yaml"]
        .replace("name: custom-gw-params", "name: http");
    let params = base["cluster-1/gloo-system/gatewayparameters-custom-gw-params.yaml"]
        .replace("name: custom-gw-params", "name: http");
    let files = BTreeMap::from([
        ("east/gateway.yaml".to_string(), gateway.clone()),
        ("east/parameters.yaml".to_string(), params.clone()),
    ]);
    let imported = import_tree("gp-explicit", &files, None);
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    let p = &imported.program;
    assert!(
        p.contains("  parameters = { discovery-address = \"istiod-main.istio-system.svc:15012\",\n                 cluster-id = \"cluster-1\",\n                 mesh-id = \"cluster-1\",\n                 sds-image = \"cr.kgateway.dev/kgateway-dev/sds:v2.1.0-main\" }"),
        "{p}"
    );
    let built = build_program(p);
    assert_eq!(
        built.get("east/gloo-system/gatewayparameters-http.yaml"),
        Some(&params)
    );
    // In two clusters, with another SDS image in one.
    let mut two = files.clone();
    two.insert("west/gateway.yaml".into(), gateway);
    two.insert(
        "west/parameters.yaml".into(),
        params.replace("tag: v2.1.0-main", "tag: v2.1.1"),
    );
    let imported = import_tree("gp-differ", &two, None);
    assert!(
        imported.has(
            Code::ImportCopiesDiffer,
            "GatewayParameters `http` of gateway `http` differs between clusters east and west in `sdsContainer.image`"
        ),
        "{:?}",
        imported.diagnostics
    );
    // Missing in one cluster.
    two.remove("west/parameters.yaml");
    let imported = import_tree("gp-missing", &two, None);
    assert!(
        imported.has(
            Code::ImportUnrepresentable,
            "Gateway `http` names GatewayParameters `http`, which is not in the manifests of cluster west"
        ),
        "{:?}",
        imported.diagnostics
    );
}

/// An Istio `Hostname` backend that no VirtualDestination claims cannot be written (E0501).
#[test]
fn a_hostname_no_virtual_destination_claims_is_e0501() {
    let mut files = golden("virtual-destinations");
    let path = "cluster-1/gloo-system/httproute-reviews.yaml".to_string();
    let route = files[&path].replace(
        "name: reviews.mesh.internal.com",
        "name: ratings.mesh.internal.com",
    );
    files.insert(path.clone(), route);
    let imported = import_tree("hostname", &files, Some(VD_CLUSTERS));
    assert!(
        imported.has(
            Code::ImportUnrepresentable,
            "the Istio `Hostname` backend `ratings.mesh.internal.com` cannot be represented in topoc"
        ),
        "{:?}",
        imported.diagnostics
    );
}

/// The clusters of examples/kong-mesh, without its standard module.
const KUMA_CLUSTERS: &str = "cluster east { implementation = kuma(\"2.9\") }\ncluster west { implementation = kuma(\"2.9\") }\n";

const KUMA_GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: payments
  namespace: payments
  annotations:
    kuma.io/mesh: payments
spec:
  gatewayClassName: kuma
  listeners:
  - name: proxy
    port: 8080
    protocol: HTTP
";

const KUMA_CLASS: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: kuma
spec:
  controllerName: gateways.kuma.io/controller
";

/// A `kuma.io/mesh` annotation and no MeshGatewayConfig: the mesh is declared from the
/// annotation, in every cluster that shows Kuma (here, a Kuma class in `west`), with a note
/// for what the manifests cannot say. The annotation comes back from the build; `default`
/// stays an annotation.
#[test]
fn a_kuma_annotation_declares_its_mesh() {
    let route = "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ledger
  namespace: payments
  annotations:
    kuma.io/mesh: payments
spec:
  parentRefs:
  - name: payments
    namespace: payments
  rules:
  - backendRefs:
    - name: ledger
      port: 8080
";
    let other = KUMA_GATEWAY
        .replace(
            "name: payments\n  namespace: payments",
            "name: other\n  namespace: other",
        )
        .replace("kuma.io/mesh: payments", "kuma.io/mesh: default");
    let files = BTreeMap::from([
        ("east/class.yaml".to_string(), KUMA_CLASS.to_string()),
        ("east/gateway.yaml".to_string(), KUMA_GATEWAY.to_string()),
        ("east/route.yaml".to_string(), route.to_string()),
        ("west/class.yaml".to_string(), KUMA_CLASS.to_string()),
        ("west/other.yaml".to_string(), other.clone()),
    ]);
    let imported = import_tree("kuma", &files, Some(KUMA_CLUSTERS));
    assert_eq!(
        imported.codes(),
        [Code::ImportMeshUnknown],
        "{:?}",
        imported.diagnostics
    );
    let p = &imported.program;
    assert!(
        p.contains("mesh payments { provider = kuma  clusters = all }"),
        "{p}"
    );
    assert!(
        p.contains("  mesh      = mesh.payments\n  listener proxy"),
        "{p}"
    );
    assert!(p.contains("  mesh      = mesh.payments\n  parents"), "{p}");
    assert!(
        p.contains("annotations = { \"kuma.io/mesh\" = \"default\" }"),
        "{p}"
    );
    let built = build_program(p);
    for (path, want) in [
        ("east/payments/gateway-payments.yaml", KUMA_GATEWAY),
        ("east/payments/httproute-ledger.yaml", route),
        ("west/other/gateway-other.yaml", other.as_str()),
    ] {
        let got = built
            .get(path)
            .map(|t| topoc::yaml::parse(t).expect("yaml"));
        let mut want = topoc::yaml::parse(want).expect("yaml");
        want["metadata"]["labels"] = serde_json::json!({ "app.kubernetes.io/managed-by": "topoc" });
        assert_eq!(got, Some(want), "{path}\n{p}");
    }
}

/// A GatewayClass's MeshGatewayConfig becomes its `parameters` (the name left out when it is
/// the class's); one that is not in the manifests is E0501, and one no class names is left
/// out (W0501).
#[test]
fn mesh_gateway_configs_are_class_parameters() {
    let class = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: kuma-cross-mesh
spec:
  controllerName: gateways.kuma.io/controller
  parametersRef:
    group: kuma.io
    kind: MeshGatewayConfig
    name: kuma-cross-mesh
";
    let config = "apiVersion: kuma.io/v1alpha1
kind: MeshGatewayConfig
metadata:
  name: kuma-cross-mesh
spec:
  crossMesh: true
  replicas: 2
  serviceType: ClusterIP
  tags:
    team: payments
";
    let files = BTreeMap::from([
        ("east/class.yaml".to_string(), class.to_string()),
        ("east/config.yaml".to_string(), config.to_string()),
        (
            "east/unused.yaml".to_string(),
            config.replace("name: kuma-cross-mesh", "name: unused"),
        ),
    ]);
    let imported = import_tree("mgc", &files, Some(KUMA_CLUSTERS));
    assert!(imported.has(Code::ImportForeignKind, "MeshGatewayConfig `unused`"));
    assert_eq!(imported.codes(), [Code::ImportForeignKind]);
    assert!(
        imported.program.contains("  parameters = { cross-mesh = true,\n                 replicas = 2,\n                 service-type = ClusterIP,\n                 tags = { team = \"payments\" } }"),
        "{}",
        imported.program
    );
    let files = BTreeMap::from([("east/class.yaml".to_string(), class.to_string())]);
    let imported = import_tree("mgc-missing", &files, Some(KUMA_CLUSTERS));
    assert!(
        imported.has(
            Code::ImportUnrepresentable,
            "GatewayClass `kuma-cross-mesh` names MeshGatewayConfig `kuma-cross-mesh`, which is not in the manifests of cluster east"
        ),
        "{:?}",
        imported.diagnostics
    );
}

/// A GAMMA parent with a port is `{ ref = service.NAME, port = N }`, and the Service declared
/// from it carries HTTP on that port (Kuma requires `appProtocol: http`); a `sectionName` on
/// a Service parent cannot be written.
#[test]
fn gamma_parents_are_services() {
    let route = |extra: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: canary
  namespace: demo
spec:
  parentRefs:
  - group: \"\"
    kind: Service
    name: demo-app
    port: 5000{extra}
  rules:
  - backendRefs:
    - name: demo-app-v1
      port: 5000
"
        )
    };
    let files = BTreeMap::from([("east/route.yaml".to_string(), route(""))]);
    let imported = import_tree("gamma", &files, Some(KUMA_CLUSTERS));
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    let p = &imported.program;
    assert!(
        p.contains("  parents   = [{ ref = service.demo-app, port = 5000 }]"),
        "{p}"
    );
    assert!(
        p.contains("  ports     = [{ port = 5000, app-protocol = \"http\" }]"),
        "{p}"
    );
    let built = build_program(p);
    let got = topoc::yaml::parse(&built["east/demo/httproute-canary.yaml"]).expect("yaml");
    let want = topoc::yaml::parse(&route("")).expect("yaml");
    assert_eq!(got["spec"], want["spec"]);
    let files = BTreeMap::from([(
        "east/route.yaml".to_string(),
        route("\n    sectionName: http"),
    )]);
    let imported = import_tree("gamma-section", &files, Some(KUMA_CLUSTERS));
    assert!(imported.has(
        Code::ImportUnrepresentable,
        "`spec.parentRefs[0].sectionName` cannot be represented in topoc"
    ));
}
