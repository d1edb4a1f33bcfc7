//! topoc under the build systems of docs/build-systems.md, as their users run it: Make and
//! Ninja with `--depfile`, the Bazel rules (`bazel/defs.bzl`) on the example workspace
//! `examples/bazel/`, and `topocBundle` (`nix/lib.nix`) on `nix/example.nix`. Each output must
//! equal what `topoc build` writes for the same input, byte for byte. Each test says
//! `skipping` and passes when its tool is not installed (Debian: `apt-get install make
//! ninja-build bazel-bootstrap nix-bin`).

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOPOC: &str = env!("CARGO_BIN_EXE_topoc");

fn on_path(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file below `dir` with its bytes, by `/`-separated relative path; `.topoc-manifest`
/// (topoc's list of the files it wrote) left out when `manifest` is false.
fn tree(dir: &Path, manifest: bool) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.unwrap_or_else(|e| panic!("walk {}: {e}", dir.display()));
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).expect("below dir");
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if rel == ".topoc-manifest" && !manifest {
            continue;
        }
        out.insert(rel, fs::read(entry.path()).expect("read output file"));
    }
    out
}

/// The files of `topoc build ARGS --out OUT` (run in a fresh folder under `tmp`).
fn topoc_build(
    tmp: &Path,
    label: &str,
    args: &[&str],
    manifest: bool,
) -> BTreeMap<String, Vec<u8>> {
    let out = tmp.join("topoc-build").join(label);
    let _ = fs::remove_dir_all(&out);
    let o = Command::new(TOPOC)
        .arg("build")
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run topoc");
    assert!(o.status.success(), "topoc build {args:?}:\n{}", text(&o));
    let files = tree(&out, manifest);
    assert!(!files.is_empty(), "topoc build {args:?} wrote nothing");
    files
}

fn assert_same(
    what: &str,
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
) {
    let text = |t: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, String> {
        t.iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    };
    if let Some(report) = support::compare_trees(&text(expected), &text(actual)) {
        panic!(
            "{what} differs from `topoc build` (expected: topoc build, actual: {what}):\n{report}"
        );
    }
    assert_eq!(expected, actual, "{what}: same text, other bytes");
}

fn example(name: &str) -> String {
    support::repo()
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Make and Ninja: the depfile

/// A project with an import across two files, and a PATH where `topoc` is this build's.
fn depfile_project(tmp: &Path) -> String {
    fs::create_dir_all(tmp.join("topology")).expect("mkdir");
    for f in ["topology.topo", "clusters.topo"] {
        fs::copy(
            support::repo().join("examples/gloo-distribution").join(f),
            tmp.join("topology").join(f),
        )
        .expect("copy example");
    }
    let bin = Path::new(TOPOC).parent().expect("binary folder");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Run `tool` in `dir` three times: the first builds, the second must do nothing, and after
/// `clusters.topo` (imported by topology.topo, so known only from the depfile) changes, the
/// third must build again.
fn rebuilds_only_when_an_input_changes(tool: &str, dir: &Path, path: &str, up_to_date: &str) {
    let run = || {
        let o = Command::new(tool)
            .current_dir(dir)
            .env("PATH", path)
            .output()
            .expect("run the build tool");
        assert!(o.status.success(), "{tool}:\n{}", text(&o));
        text(&o)
    };
    let first = run();
    assert!(
        first.contains("topoc build"),
        "{tool} did not run topoc:\n{first}"
    );
    let second = run();
    assert!(
        second.contains(up_to_date),
        "{tool} ran again with nothing changed:\n{second}"
    );
    // A later modification time than the output's, whatever the file system's resolution.
    let clusters = dir.join("topology/clusters.topo");
    let text_before = fs::read_to_string(&clusters).expect("read");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::write(&clusters, format!("{text_before}\n# edited\n")).expect("edit clusters.topo");
    let third = run();
    assert!(
        third.contains("topoc build"),
        "{tool} missed the edit of an imported file:\n{third}"
    );
}

#[test]
fn make_rebuilds_from_the_depfile() {
    if !on_path("make") {
        eprintln!("skipping: make not installed");
        return;
    }
    let tmp = support::tempdir("make");
    let path = depfile_project(&tmp);
    // The Makefile of docs/build-systems.md.
    fs::write(
        tmp.join("Makefile"),
        "out/fleet: $(wildcard topology/*.topo)\n\
         \tmkdir -p $(@D)\n\
         \ttopoc build topology --out $@ --depfile $@.d\n\
         \ttouch $@\n\
         \n\
         -include out/fleet.d\n",
    )
    .expect("write Makefile");
    rebuilds_only_when_an_input_changes("make", &tmp, &path, "is up to date");
    assert_same(
        "make",
        &topoc_build(
            &tmp,
            "make",
            &[tmp.join("topology").to_str().expect("utf-8")],
            false,
        ),
        &tree(&tmp.join("out/fleet"), false),
    );
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn ninja_rebuilds_from_the_depfile() {
    if !on_path("ninja") {
        eprintln!("skipping: ninja not installed (Debian: apt-get install ninja-build)");
        return;
    }
    let tmp = support::tempdir("ninja");
    let path = depfile_project(&tmp);
    // The build.ninja of docs/build-systems.md, with the command echoed for the check above.
    fs::write(
        tmp.join("build.ninja"),
        "rule topoc\n\
         \x20 command = topoc build $in --out $out --depfile $out.d\n\
         \x20 depfile = $out.d\n\
         \x20 deps = gcc\n\
         \x20 restat = 1\n\
         \x20 description = topoc build $in --out $out\n\
         \n\
         build out/fleet: topoc topology\n",
    )
    .expect("write build.ninja");
    rebuilds_only_when_an_input_changes("ninja", &tmp, &path, "no work to do");
    assert_same(
        "ninja",
        &topoc_build(
            &tmp,
            "ninja",
            &[tmp.join("topology").to_str().expect("utf-8")],
            false,
        ),
        &tree(&tmp.join("out/fleet"), false),
    );
    let _ = fs::remove_dir_all(&tmp);
}

// ---------------------------------------------------------------------------------------------
// Bazel

struct Bazel {
    root: PathBuf,
    extra: Vec<String>,
}

impl Bazel {
    fn new(tmp: &Path) -> Bazel {
        // Debian's bazel-bootstrap says `bazel no_version`; Bazel 8 needs WORKSPACE turned on.
        let version = Command::new("bazel")
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let major: u32 = version
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        let mut extra = vec![format!("--repo_env=TOPOC_BIN={TOPOC}")];
        if major >= 8 {
            extra.push("--enable_workspace".into());
        }
        Bazel {
            root: tmp.join("bazel-root"),
            extra,
        }
    }

    /// `bazel COMMAND ARGS` in `workspace`, with its own output root (a server that stops
    /// when idle, and `shutdown` at the end).
    fn run(&self, workspace: &Path, command: &str, args: &[&str]) -> Output {
        let mut c = Command::new("bazel");
        c.current_dir(workspace)
            .arg(format!("--output_user_root={}", self.root.display()))
            .arg("--max_idle_secs=30")
            .arg(command);
        if command != "info" && command != "shutdown" {
            c.args(&self.extra);
        }
        c.args(args).env("TOPOC_BIN", TOPOC);
        c.output().expect("run bazel")
    }

    fn ok(&self, workspace: &Path, command: &str, args: &[&str]) -> String {
        let o = self.run(workspace, command, args);
        assert!(
            o.status.success(),
            "bazel {command} {args:?} in {}:\n{}",
            workspace.display(),
            text(&o)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn workspaces(&self) -> Vec<PathBuf> {
        // The example, and the scratch workspace once it exists: one server each.
        [
            support::repo().join("examples/bazel"),
            self.root.with_file_name("scratch"),
        ]
        .into_iter()
        .filter(|ws| ws.join("WORKSPACE").is_file())
        .collect()
    }

    /// Stop the servers, then delete the temporary folder with the output bases (Bazel makes
    /// output folders read-only: make them writable first).
    fn finish(self, tmp: &Path) {
        drop(self);
        for e in walkdir::WalkDir::new(tmp)
            .into_iter()
            .filter_map(Result::ok)
        {
            if e.file_type().is_dir() {
                make_writable(e.path());
            }
        }
        let _ = fs::remove_dir_all(tmp);
    }
}

impl Drop for Bazel {
    /// On failure too: no server outlives the test (they would stop when idle anyway).
    fn drop(&mut self) {
        for ws in self.workspaces() {
            let _ = self.run(&ws, "shutdown", &[]);
        }
    }
}

#[test]
fn bazel_example_builds_the_bytes_topoc_builds() {
    if !on_path("bazel") {
        eprintln!("skipping: bazel not installed (Debian: apt-get install bazel-bootstrap)");
        return;
    }
    let started = std::time::Instant::now();
    let tmp = support::tempdir("bazel");
    let bazel = Bazel::new(&tmp);
    let ws = support::repo().join("examples/bazel");

    bazel.ok(&ws, "build", &["//...", "--output_groups=+parts"]);
    let bin = PathBuf::from(bazel.ok(&ws, "info", &["bazel-bin"]).trim());

    // One action; one action per cluster; two shards: all the bytes of one `topoc build`.
    let quickstart = topoc_build(&tmp, "quickstart", &[&example("quickstart")], false);
    let storefront = topoc_build(&tmp, "storefront", &[&example("storefront")], false);
    assert_same(
        "bazel //:quickstart",
        &quickstart,
        &tree(&bin.join("quickstart"), true),
    );
    assert_same(
        "bazel //:storefront",
        &storefront,
        &tree(&bin.join("storefront"), true),
    );
    assert_same(
        "bazel //:storefront_sharded",
        &storefront,
        &tree(&bin.join("storefront_sharded"), true),
    );
    assert_same(
        "bazel //:quickstart_yaml",
        &topoc_build(
            &tmp,
            "yaml",
            &[&example("quickstart"), "--layout", "bundle"],
            false,
        ),
        &tree(&bin.join("quickstart_yaml"), true),
    );
    // Each per-cluster part is that cluster's `--cluster` build.
    for cluster in ["eu-1", "eu-2", "us-1"] {
        assert_same(
            &format!("bazel //:storefront part {cluster}"),
            &topoc_build(
                &tmp,
                cluster,
                &[&example("storefront"), "--cluster", cluster],
                false,
            ),
            &tree(&bin.join("storefront.parts").join(cluster), true),
        );
    }

    // The golden tests pass against golden/.
    let tests = bazel.ok(&ws, "test", &["//..."]);
    eprintln!("{tests}");

    // No bazel-* symlinks in the source tree (.bazelrc: --symlink_prefix=/).
    for e in fs::read_dir(&ws).expect("read examples/bazel") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with("bazel-"),
            "bazel wrote examples/bazel/{name}"
        );
    }

    scratch_workspace_catches_stale_golden_and_errors(&bazel, &tmp);
    eprintln!("bazel: {:.1?}", started.elapsed());
    bazel.finish(&tmp);
}

/// A workspace laid out as a user's: topology and golden tree in the package. A stale golden
/// tree fails its test with a diff; a topology with an error fails the build with its code.
fn scratch_workspace_catches_stale_golden_and_errors(bazel: &Bazel, tmp: &Path) {
    let ws = tmp.join("scratch");
    let repo = support::repo();
    fs::create_dir_all(ws.join("topology")).expect("mkdir");
    fs::copy(
        repo.join("examples/quickstart/topology.topo"),
        ws.join("topology/topology.topo"),
    )
    .expect("copy topology");
    let golden = support::read_tree(&repo.join("golden/quickstart"));
    support::write_tree(&ws.join("golden/ok"), &golden);
    let mut stale = golden.clone();
    let first = stale.keys().next().cloned().expect("a golden file");
    stale.get_mut(&first).expect("file").push_str("# stale\n");
    stale.insert("dev/extra.yaml".into(), "kind: Extra\n".into());
    support::write_tree(&ws.join("golden/stale"), &stale);
    fs::create_dir_all(ws.join("broken")).expect("mkdir");
    fs::write(
        ws.join("broken/broken.topo"),
        "cluster dev { }\nroute r { namespace = \"x\"  parents = [gateway.nowhere] }\n",
    )
    .expect("write broken topology");

    fs::write(
        ws.join("WORKSPACE"),
        format!(
            "workspace(name = \"scratch\")\n\
             local_repository(name = \"topoc_rules\", path = \"{}\")\n\
             load(\"@topoc_rules//:repositories.bzl\", \"topoc_prebuilt\")\n\
             topoc_prebuilt(name = \"topoc\", path = \"{TOPOC}\")\n",
            repo.join("bazel").display()
        ),
    )
    .expect("write WORKSPACE");
    fs::copy(repo.join("examples/bazel/.bazelrc"), ws.join(".bazelrc")).expect("copy .bazelrc");
    fs::write(
        ws.join("BUILD.bazel"),
        r#"load("@topoc_rules//:defs.bzl", "topoc_bundle", "topoc_golden_test")

topoc_bundle(name = "bundle", srcs = glob(["topology/**/*.topo"]))

topoc_golden_test(name = "ok", bundle = ":bundle", golden = glob(["golden/ok/**"]), golden_dir = "golden/ok")

topoc_golden_test(name = "stale", bundle = ":bundle", golden = glob(["golden/stale/**"]), golden_dir = "golden/stale")

topoc_bundle(name = "broken", srcs = ["broken/broken.topo"], tags = ["manual"])
"#,
    )
    .expect("write BUILD.bazel");

    let o = bazel.run(&ws, "test", &["//...", "--keep_going"]);
    let out = text(&o);
    assert!(!o.status.success(), "the stale golden test passed:\n{out}");
    let status = |target: &str, word: &str| {
        out.lines()
            .any(|l| l.starts_with(&format!("{target} ")) && l.contains(word))
    };
    assert!(status("//:ok", "PASSED"), "{out}");
    assert!(status("//:stale", "FAILED"), "{out}");
    let log = fs::read_to_string(
        PathBuf::from(bazel.ok(&ws, "info", &["bazel-testlogs"]).trim()).join("stale/test.log"),
    )
    .expect("read the stale test's log");
    assert!(
        log.contains("+# stale") || log.contains("-# stale"),
        "no diff in:\n{log}"
    );
    assert!(
        log.contains("extra.yaml"),
        "the extra golden file is not reported:\n{log}"
    );

    let o = bazel.run(&ws, "build", &["//:broken"]);
    let out = text(&o);
    assert!(
        !o.status.success(),
        "a topology with an error built:\n{out}"
    );
    // E0201: there is no gateway named `nowhere`.
    assert!(
        out.contains("E0201") && out.contains("broken/broken.topo"),
        "no diagnostic in:\n{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// Nix

const SANDBOX_PATHS: &str = "/lib? /lib64? /usr/lib? /bin/sh?";

/// `nix-build ARGS`, offline (no binary cache). Where Nix's sandbox is on, a dynamically
/// linked topoc needs the C library's folders in it, and the test's wrapper script /bin/sh
/// (absent paths are skipped: `?`).
fn nix_build(args: &[&str]) -> Output {
    Command::new("nix-build")
        .args(["--option", "substituters", ""])
        .args(["--option", "extra-sandbox-paths", SANDBOX_PATHS])
        .args(args)
        .output()
        .expect("run nix-build")
}

/// Whether this machine can build a derivation at all (a store and the right to write it).
fn nix_can_build(tmp: &Path) -> Result<(), String> {
    let probe = tmp.join("probe.nix");
    fs::write(
        &probe,
        "builtins.derivation { name = \"topoc-probe\"; system = builtins.currentSystem; \
         builder = \"/bin/sh\"; args = [ \"-c\" \"echo ok > $out\" ]; }\n",
    )
    .expect("write probe");
    let o = nix_build(&[probe.to_str().expect("utf-8 path"), "--no-out-link"]);
    if o.status.success() {
        Ok(())
    } else {
        Err(text(&o))
    }
}

#[test]
fn nix_bundles_are_the_bytes_topoc_builds_and_reproducible() {
    if !on_path("nix-build") {
        eprintln!("skipping: nix-build not installed (Debian: apt-get install nix-bin)");
        return;
    }
    let started = std::time::Instant::now();
    let tmp = support::tempdir("nix");
    if let Err(e) = nix_can_build(&tmp) {
        eprintln!(
            "skipping: nix-build is installed but cannot build a trivial derivation here:\n{e}"
        );
        return;
    }
    let example_nix = support::repo().join("nix/example.nix");
    let example_nix = example_nix.to_str().expect("utf-8 path");
    // The binary goes into the store once (a debug build is over 100 MB), not once per call.
    let o = Command::new("nix-store")
        .args(["--add", TOPOC])
        .output()
        .expect("run nix-store");
    assert!(o.status.success(), "nix-store --add:\n{}", text(&o));
    let store_topoc = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let topoc = store_topoc.as_str();
    let attrs = [
        "quickstart",
        "storefront",
        "storefront-yaml",
        "storefront-eu-1",
        "storefront-shards",
    ];
    let mut args = vec![example_nix, "--argstr", "topoc", topoc, "--no-out-link"];
    for a in &attrs {
        args.extend(["-A", a]);
    }
    let o = nix_build(&args);
    assert!(o.status.success(), "nix-build {args:?}:\n{}", text(&o));
    let paths: Vec<PathBuf> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(PathBuf::from)
        .collect();
    // One path per attribute, the list of shards giving two.
    assert_eq!(paths.len(), 6, "{}", text(&o));
    let [quickstart, storefront, yaml, eu1, shard1, shard2] = &paths[..] else {
        unreachable!()
    };

    // A derivation's output is what `topoc build --out` writes, manifest included.
    let q = example("quickstart");
    let s = example("storefront");
    assert_same(
        "nix quickstart",
        &topoc_build(&tmp, "q", &[&q], true),
        &tree(quickstart, true),
    );
    let full = topoc_build(&tmp, "s", &[&s], true);
    assert_same("nix storefront", &full, &tree(storefront, true));
    assert_same(
        "nix storefront-yaml",
        &topoc_build(&tmp, "y", &[&s, "--layout", "bundle"], true),
        &tree(yaml, true),
    );
    assert_same(
        "nix storefront-eu-1",
        &topoc_build(&tmp, "eu-1", &[&s, "--cluster", "eu-1"], true),
        &tree(eu1, true),
    );
    // The two shards together hold the full build's files.
    let mut union = tree(shard1, false);
    for (k, v) in tree(shard2, false) {
        assert!(
            union.insert(k.clone(), v).is_none(),
            "{k} is in both shards"
        );
    }
    let mut full_files = full.clone();
    full_files.remove(".topoc-manifest");
    assert_same("nix storefront-shards (together)", &full_files, &union);

    // The reproducibility proof: build again and compare bit for bit with the stored output.
    for a in ["quickstart", "storefront"] {
        let o = nix_build(&[
            example_nix,
            "--argstr",
            "topoc",
            topoc,
            "-A",
            a,
            "--no-out-link",
            "--check",
        ]);
        assert!(
            o.status.success(),
            "nix-build -A {a} --check:\n{}",
            text(&o)
        );
    }

    // And the proof can fail: a topoc that adds a random file is caught by --check.
    let wrapper = tmp.join("topoc-with-build-id");
    fs::write(
        &wrapper,
        // Shell builtins only: a builder's PATH is unset.
        format!(
            "#!/bin/sh\n\"{TOPOC}\" \"$@\" || exit $?\n\
             read -r id < /proc/sys/kernel/random/uuid\necho \"$id\" > \"$out/build-id\"\n"
        ),
    )
    .expect("write wrapper");
    make_executable(&wrapper);
    let w = wrapper.to_str().expect("utf-8 path");
    // Unsandboxed: the wrapper runs the binary from outside the store.
    let wrapped = [
        example_nix,
        "--argstr",
        "topoc",
        w,
        "-A",
        "quickstart",
        "--no-out-link",
        "--option",
        "sandbox",
        "false",
    ];
    let o = nix_build(&wrapped);
    assert!(o.status.success(), "{}", text(&o));
    let wrapped_out = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let o = nix_build(&[&wrapped[..], &["--check"]].concat());
    assert!(
        !o.status.success() && text(&o).contains("deterministic"),
        "nix-build --check accepted a build that differs:\n{}",
        text(&o)
    );

    sandboxed_rebuild(example_nix, topoc);
    eprintln!("nix: {:.1?}", started.elapsed());
    nix_forget(&[&paths[..], &[wrapped_out]].concat(), &store_topoc);
    let _ = fs::remove_dir_all(&tmp);
}

/// Delete what the test put in the store: the outputs, their derivations and sources, and the
/// binary. Best effort: a path something else still uses stays (and GC would collect the rest).
fn nix_forget(outputs: &[PathBuf], binary: &str) {
    let query = |args: &[&str]| -> Vec<String> {
        Command::new("nix-store")
            .arg("--query")
            .args(args)
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut paths: Vec<String> = outputs.iter().map(|p| p.display().to_string()).collect();
    paths.push(binary.to_string());
    for out in outputs {
        for drv in query(&["--deriver", &out.display().to_string()]) {
            if drv.ends_with(".drv") {
                paths.extend(query(&["--references", &drv]));
                paths.push(drv);
            }
        }
    }
    paths.sort();
    paths.dedup();
    let _ = Command::new("nix-store")
        .arg("--delete")
        .args(&paths)
        .output();
}

/// The same derivation rebuilt in Nix's sandbox, which shows it nothing but its declared inputs
/// (the filtered `.topo` sources and the binary) and, for a dynamically linked topoc, the C
/// library's folders. Skipped where the sandbox cannot be set up (no user namespaces).
fn sandboxed_rebuild(example_nix: &str, topoc: &str) {
    let o = nix_build(&[
        example_nix,
        "--argstr",
        "topoc",
        topoc,
        "-A",
        "storefront",
        "--no-out-link",
        "--check",
        "--option",
        "sandbox",
        "true",
    ]);
    let out = text(&o);
    if o.status.success() {
        return;
    }
    let unsupported = [
        "cloning builder process",
        "while setting up the build environment",
        "Operation not permitted",
    ];
    if unsupported.iter().any(|u| out.contains(u)) {
        eprintln!("skipping the sandboxed rebuild: the sandbox cannot run here:\n{out}");
        return;
    }
    panic!("sandboxed nix-build --check failed:\n{out}");
}

fn make_writable(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
    }
}

fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}
