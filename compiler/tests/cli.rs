//! The `topoc` binary as users run it: exit codes, atomic output, determinism across working
//! directories and environments, and the output folders accepted by `kubectl kustomize`.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn topoc(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_topoc"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run topoc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn example(name: &str) -> String {
    support::repo()
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

/// Every file's bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.file_type().is_file() {
            let meta = e.metadata().expect("metadata");
            out.push((
                e.path().display().to_string(),
                fs::read(e.path()).expect("read"),
                meta.modified().expect("mtime"),
            ));
        }
    }
    out
}

#[test]
fn breaking_coverage_fails_and_leaves_the_previous_output_untouched() {
    let tmp = support::tempdir("coverage");
    let src = tmp.join("src");
    fs::create_dir_all(&src).expect("mkdir");
    for f in ["topology.topo", "clusters.topo"] {
        fs::copy(
            support::repo().join("examples/gloo-distribution").join(f),
            src.join(f),
        )
        .expect("copy example");
    }
    let out = tmp.join("out");
    let ok = topoc(&tmp, &["build", "src", "--out", "out"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = snapshot(&out);
    assert!(before.len() > 5);

    // Move the upstream's `to` to one cluster: the route still goes to east and west.
    let topology = fs::read_to_string(src.join("topology.topo")).expect("read");
    let marker = "  # No `to`: the upstream goes wherever the routes that use it go.";
    assert!(
        topology.contains(marker),
        "the example changed; update this test"
    );
    fs::write(
        src.join("topology.topo"),
        topology.replace(marker, "  to        = [east]"),
    )
    .expect("write");

    let broken = topoc(&tmp, &["build", "src", "--out", "out", "--color", "never"]);
    assert_eq!(broken.status.code(), Some(1), "{}", stderr(&broken));
    let text = stderr(&broken);
    assert!(text.contains("E0302"), "{text}");
    assert!(
        text.contains(
            "route `httpbin-mydomain` lands in west, where its backend upstream `httpbin` does not"
        ),
        "{text}"
    );
    assert!(
        text.contains("upstream `httpbin` goes to east"),
        "the upstream's `to` is labelled: {text}"
    );
    assert!(
        text.contains("route `httpbin-mydomain` goes to east, west"),
        "the route's `to` is labelled: {text}"
    );
    assert!(
        text.contains("help: add west to the upstream's `to`"),
        "{text}"
    );
    assert_eq!(
        snapshot(&out),
        before,
        "a failed build must not touch the output"
    );
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn rebuild_rewrites_nothing_and_removes_stale_files() {
    let tmp = support::tempdir("rebuild");
    let first = topoc(
        &tmp,
        &["build", &example("gloo-distribution"), "--out", "out"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let before = snapshot(&tmp.join("out"));
    let again = topoc(
        &tmp,
        &["build", &example("gloo-distribution"), "--out", "out"],
    );
    assert!(
        stderr(&again).contains("is up to date"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        snapshot(&tmp.join("out")),
        before,
        "an unchanged rebuild rewrites no file"
    );

    // Building another topology into the same folder removes what the first one wrote.
    let other = topoc(&tmp, &["build", &example("quickstart"), "--out", "out"]);
    assert!(other.status.success(), "{}", stderr(&other));
    assert!(
        !tmp.join("out/east").exists(),
        "stale cluster folder removed"
    );
    assert!(tmp.join("out/dev/kustomization.yaml").exists());
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn output_does_not_depend_on_working_directory_or_environment() {
    let tmp = support::tempdir("cwd");
    let repo = support::repo();
    for (name, dir) in support::examples() {
        if dir.join(support::ARGS_FILE).exists() {
            continue; // built by the golden test; its inputs are another example's
        }
        // Relative path from the repository root, one thread, plain environment.
        let a = Command::new(env!("CARGO_BIN_EXE_topoc"))
            .current_dir(&repo)
            .args(["build", &format!("examples/{name}"), "--out"])
            .arg(tmp.join(format!("{name}-a")))
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .expect("run");
        // Absolute path from elsewhere, two threads, another HOME, TZ and LANG.
        let b = Command::new(env!("CARGO_BIN_EXE_topoc"))
            .current_dir(&tmp)
            .args(["build", &example(&name), "--out", &format!("{name}-b")])
            .env("RAYON_NUM_THREADS", "2")
            .env("HOME", &tmp)
            .env("TZ", "Asia/Kathmandu")
            .env("LANG", "de_DE.UTF-8")
            .output()
            .expect("run");
        assert!(
            a.status.success() && b.status.success(),
            "{}{}",
            stderr(&a),
            stderr(&b)
        );
        let (ta, tb) = (
            support::read_tree(&tmp.join(format!("{name}-a"))),
            support::read_tree(&tmp.join(format!("{name}-b"))),
        );
        assert_eq!(ta, tb, "{name}: output differs between runs");
        let host = fs::read_to_string("/etc/hostname")
            .unwrap_or_default()
            .trim()
            .to_string();
        let user = std::env::var("USER").unwrap_or_default();
        let year = format!(
            "{}-",
            1970 + std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                / 31_556_952
        );
        for (path, text) in &ta {
            for leak in [repo.display().to_string(), tmp.display().to_string()] {
                assert!(
                    !text.contains(&leak),
                    "{name}/{path} contains the absolute path {leak}"
                );
            }
            for (what, leak) in [
                ("host name", &host),
                ("user name", &user),
                ("timestamp", &year),
            ] {
                // Short names (`root`) are common words; only distinctive ones are meaningful here.
                if leak.len() >= 5 {
                    assert!(
                        !text.contains(leak.as_str()),
                        "{name}/{path} contains the {what} `{leak}`"
                    );
                }
            }
        }
    }
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn exit_codes() {
    let tmp = support::tempdir("exit");
    assert_eq!(
        topoc(&tmp, &["check", &example("quickstart")])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        topoc(&tmp, &["check", "does-not-exist.topo"]).status.code(),
        Some(2),
        "unreadable input"
    );
    assert_eq!(
        topoc(&tmp, &["frobnicate"]).status.code(),
        Some(2),
        "usage error"
    );
    fs::write(tmp.join("bad.topo"), "cluster a { role = boss }\n").expect("write");
    assert_eq!(
        topoc(&tmp, &["check", "bad.topo"]).status.code(),
        Some(1),
        "input error"
    );
    // A folder topoc did not create is refused, and left as it was.
    fs::create_dir_all(tmp.join("mine")).expect("mkdir");
    fs::write(tmp.join("mine/notes.txt"), "keep").expect("write");
    let refused = topoc(&tmp, &["build", &example("quickstart"), "--out", "mine"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(fs::read_dir(tmp.join("mine")).expect("read").count(), 1);
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn warnings_pass_unless_denied() {
    let tmp = support::tempdir("deny");
    fs::write(
        tmp.join("w.topo"),
        "cluster a { }\nservice s { ports = [{ port = 80 }] }\nupstream u { service = service.s  port = 80 }\n",
    )
    .expect("write");
    let plain = topoc(&tmp, &["check", "w.topo", "--color", "never"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    assert!(stderr(&plain).contains("W0301"));
    assert_eq!(
        topoc(&tmp, &["check", "w.topo", "--deny", "warnings"])
            .status
            .code(),
        Some(1)
    );
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn explain_prints_every_code_and_rejects_unknown_ones() {
    let tmp = support::tempdir("explain");
    let list = topoc(&tmp, &["explain", "--list"]);
    let text = String::from_utf8_lossy(&list.stdout).into_owned();
    for code in topoc::diag::Code::ALL {
        assert!(text.contains(code.as_str()), "--list misses {code}");
        let page = topoc(&tmp, &["explain", &code.as_str().to_lowercase()]);
        assert!(page.status.success());
        assert!(
            String::from_utf8_lossy(&page.stdout).starts_with(&format!("# {code}")),
            "explain {code}"
        );
    }
    assert_eq!(topoc(&tmp, &["explain", "E9999"]).status.code(), Some(2));
    let _ = fs::remove_dir_all(&tmp);
}

/// `kubectl kustomize` accepts every cluster folder of every golden output. Needs kubectl;
/// skipped (with a message) where it is not installed.
#[test]
fn kubectl_kustomize_accepts_every_cluster_folder() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("skipping: kubectl not installed");
        return;
    }
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(support::repo().join("golden"))
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_name() == "kustomization.yaml" {
            let dir = entry.path().parent().expect("folder");
            let o = Command::new("kubectl")
                .arg("kustomize")
                .arg(dir)
                .output()
                .expect("run kubectl");
            assert!(
                o.status.success(),
                "kubectl kustomize {}: {}",
                dir.display(),
                stderr(&o)
            );
            let built = String::from_utf8_lossy(&o.stdout);
            let files = fs::read_dir(dir).expect("read").count();
            assert!(
                built.matches("apiVersion:").count() >= 1,
                "{}: empty build ({files} entries)",
                dir.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "no cluster folder found under golden/");
}

/// `--message-format json`: one parseable object per diagnostic, with exact positions.
#[test]
fn json_diagnostics_carry_code_position_labels_and_help() {
    let tmp = support::tempdir("json");
    fs::write(
        tmp.join("two.topo"),
        "cluster east { }\ncluster east { }\ncluster x { role = boss }\n",
    )
    .expect("write");
    let o = topoc(&tmp, &["check", "two.topo", "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["code"], "E0203");
    assert_eq!(lines[0]["severity"], "error");
    assert_eq!(
        (lines[0]["line"].as_u64(), lines[0]["column"].as_u64()),
        (Some(2), Some(9))
    );
    assert_eq!(
        (
            lines[0]["byte_start"].as_u64(),
            lines[0]["byte_end"].as_u64()
        ),
        (Some(25), Some(29))
    );
    assert_eq!(lines[0]["labels"][1]["text"], "first defined here");
    assert!(lines[0]["help"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(lines[1]["code"], "E0211");
    let _ = fs::remove_dir_all(&tmp);
}

/// A build killed while writing leaves the output folder entirely old; the next build
/// recovers and writes it entirely new.
#[test]
fn a_killed_build_leaves_the_old_output_whole() {
    let tmp = support::tempdir("killed");
    let first = topoc(&tmp, &["build", &example("quickstart"), "--out", "out"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let old = support::read_tree(&tmp.join("out"));
    let killed = topoc(
        &tmp,
        &[
            "build",
            &example("gloo-distribution"),
            "--out",
            "out",
            "--failpoint-after",
            "3",
        ],
    );
    assert!(!killed.status.success(), "the failpoint aborts the process");
    assert_eq!(
        support::read_tree(&tmp.join("out")),
        old,
        "the old output is whole after the kill"
    );
    let next = topoc(
        &tmp,
        &["build", &example("gloo-distribution"), "--out", "out"],
    );
    assert!(next.status.success(), "{}", stderr(&next));
    let golden = support::read_tree(&support::repo().join("golden/gloo-distribution"));
    let mut got = support::read_tree(&tmp.join("out"));
    got.remove(topoc::emit::MANIFEST);
    assert_eq!(
        got, golden,
        "the next build is complete and has nothing of the old one"
    );
    assert!(!tmp.join("out.topoc-staging").exists());
    let _ = fs::remove_dir_all(&tmp);
}

/// Two clusters and `n` routes on one gateway; `edit` changes route r3's hostnames, removes r5
/// and adds r99. A small topology whose changes touch a few files of many.
fn routes_topology(n: usize, edit: bool) -> String {
    let mut t = String::from(
        "cluster east { }\ncluster west { }\n\
         service web { namespace = \"web\"  ports = [{ port = 8080 }] }\n\
         upstream web { namespace = \"web\"  service = service.web  port = 8080 }\n\
         gateway public { namespace = \"web\"  class = gloo-gateway\n\
         \x20 listener http { port = 80  protocol = HTTP  hostname = \"*.example.com\" } }\n",
    );
    let route = |i: usize, hosts: &str| {
        format!(
            "route r{i} {{ namespace = \"web\"  parents = gateway.public  hostnames = [{hosts}]  rule {{ backends = upstream.web }} }}\n"
        )
    };
    for i in 0..n {
        match (edit, i) {
            (true, 3) => t.push_str(&route(3, "\"r3.example.com\", \"r3b.example.com\"")),
            (true, 5) => {}
            _ => t.push_str(&route(i, &format!("\"r{i}.example.com\""))),
        }
    }
    if edit {
        t.push_str(&route(99, "\"r99.example.com\""));
    }
    t
}

/// Inode and modification time of every file below `dir`, by relative path.
fn identities(dir: &Path) -> std::collections::BTreeMap<String, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let meta = e.metadata().expect("metadata");
            let rel = e.path().strip_prefix(dir).expect("below dir");
            (
                rel.display().to_string(),
                (meta.ino(), meta.modified().expect("mtime")),
            )
        })
        .collect()
}

/// A one-route change rewrites that route's files and nothing else: every other file keeps
/// its inode and modification time, and the output folder is updated in place.
#[test]
fn a_one_route_change_rewrites_only_that_routes_files() {
    use std::os::unix::fs::MetadataExt;
    let tmp = support::tempdir("oneroute");
    fs::write(tmp.join("t.topo"), routes_topology(40, false)).expect("write");
    let first = topoc(&tmp, &["build", "t.topo", "--out", "out"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = identities(&tmp.join("out"));
    let dir = fs::metadata(tmp.join("out")).expect("out").ino();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let changed = routes_topology(40, false).replace(
        "[\"r7.example.com\"]",
        "[\"r7.example.com\", \"r7b.example.com\"]",
    );
    fs::write(tmp.join("t.topo"), changed).expect("write");
    let again = topoc(&tmp, &["build", "t.topo", "--out", "out"]);
    assert!(
        stderr(&again).contains("(2 written, 84 unchanged, 0 removed)"),
        "{}",
        stderr(&again)
    );
    let after = identities(&tmp.join("out"));
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|(rel, id)| before.get(*rel) != Some(id))
        .map(|(rel, _)| rel)
        .collect();
    assert_eq!(
        rewritten,
        [
            ".topoc-manifest",
            "east/web/httproute-r7.yaml",
            "west/web/httproute-r7.yaml"
        ]
    );
    assert_eq!(fs::metadata(tmp.join("out")).expect("out").ino(), dir);
    let _ = fs::remove_dir_all(&tmp);
}

/// An in-place update killed between renames leaves every file whole, old or new, and a
/// journal; the next build finishes it (to the new input), or undoes it (back to the old
/// input, removing what the killed run added), rewriting only what differs.
#[test]
fn a_killed_in_place_update_is_finished_by_the_next_build() {
    let tmp = support::tempdir("killedinplace");
    fs::create_dir_all(tmp.join("new")).expect("mkdir");
    fs::write(tmp.join("new/t.topo"), routes_topology(40, true)).expect("write");
    let expected_build = topoc(&tmp, &["build", "new", "--out", "expected"]);
    assert!(
        expected_build.status.success(),
        "{}",
        stderr(&expected_build)
    );
    let expected = support::read_tree(&tmp.join("expected"));

    for back_to_old in [false, true] {
        let _ = fs::remove_dir_all(tmp.join("out"));
        fs::create_dir_all(tmp.join("src")).expect("mkdir");
        fs::write(tmp.join("src/t.topo"), routes_topology(40, false)).expect("write");
        let first = topoc(&tmp, &["build", "src", "--out", "out"]);
        assert!(first.status.success(), "{}", stderr(&first));
        let old = support::read_tree(&tmp.join("out"));
        let old_ids = identities(&tmp.join("out"));
        std::thread::sleep(std::time::Duration::from_millis(20));

        // 6 files to write (r3, r99 and the kustomization, in both clusters), 2 to remove:
        // 6 prepared, then the kill after the second rename.
        fs::write(tmp.join("src/t.topo"), routes_topology(40, true)).expect("write");
        let args = ["build", "src", "--out", "out", "--failpoint-after", "8"];
        let killed = topoc(&tmp, &args);
        assert!(!killed.status.success(), "the failpoint aborts the process");
        assert!(tmp.join("out").join(topoc::emit::JOURNAL).exists());
        let mut mixed = support::read_tree(&tmp.join("out"));
        mixed.remove(topoc::emit::JOURNAL);
        mixed.retain(|rel, _| !rel.ends_with(".topoc-tmp"));
        assert_eq!(
            mixed.get(topoc::emit::MANIFEST),
            old.get(topoc::emit::MANIFEST)
        );
        let mut new_files = 0;
        for (rel, text) in &mixed {
            assert!(
                old.get(rel) == Some(text) || expected.get(rel) == Some(text),
                "{rel} is neither the old nor the new file"
            );
            new_files += usize::from(old.get(rel) != Some(text));
        }
        assert_eq!(new_files, 2, "killed after two renames");

        if back_to_old {
            fs::write(tmp.join("src/t.topo"), routes_topology(40, false)).expect("write");
        }
        let next = topoc(&tmp, &["build", "src", "--out", "out"]);
        assert!(next.status.success(), "{}", stderr(&next));
        let want = if back_to_old { &old } else { &expected };
        assert_eq!(&support::read_tree(&tmp.join("out")), want);
        assert!(
            stderr(&next).contains(if back_to_old {
                "(2 written, 84 unchanged, 0 removed)"
            } else {
                "(4 written, 82 unchanged, 2 removed)"
            }),
            "{}",
            stderr(&next)
        );
        // Files the change does not touch were never rewritten.
        let ids = identities(&tmp.join("out"));
        for rel in ["east/web/httproute-r0.yaml", "west/web/gateway-public.yaml"] {
            assert!(ids.contains_key(rel), "{rel}");
            assert_eq!(ids.get(rel), old_ids.get(rel), "{rel}");
        }
    }
    let _ = fs::remove_dir_all(&tmp);
}

/// An output location that cannot be written gives a clear error and leaves the old output.
/// Root ignores permission bits, so the folder is made immutable (`chattr +i`, which binds root
/// too) where the filesystem supports it, and read-only otherwise.
#[test]
fn unwritable_output_location_is_an_error_and_keeps_the_old_output() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = support::tempdir("readonly");
    fs::create_dir_all(tmp.join("parent")).expect("mkdir");
    let ok = topoc(
        &tmp,
        &["build", &example("quickstart"), "--out", "parent/out"],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let old = support::read_tree(&tmp.join("parent/out"));
    let parent = tmp.join("parent");
    let immutable = Command::new("chattr")
        .arg("+i")
        .arg(&parent)
        .status()
        .is_ok_and(|s| s.success());
    if !immutable {
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).expect("chmod");
    }
    let probe_ok = fs::write(parent.join("probe"), "x").is_ok();
    let _ = fs::remove_file(parent.join("probe"));
    let o = topoc(
        &tmp,
        &[
            "build",
            &example("gloo-distribution"),
            "--out",
            "parent/out",
        ],
    );
    if immutable {
        let _ = Command::new("chattr").arg("-i").arg(&parent).status();
    } else {
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).expect("chmod back");
    }
    if probe_ok {
        eprintln!(
            "skipping: this user can write into a read-only folder and chattr is unavailable"
        );
    } else {
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
        assert_eq!(
            support::read_tree(&tmp.join("parent/out")),
            old,
            "the old output is untouched"
        );
    }
    let _ = fs::remove_dir_all(&tmp);
}

/// A byte order mark and CRLF line endings are accepted, and positions stay exact after them.
#[test]
fn bom_and_crlf_are_accepted_with_exact_positions() {
    let tmp = support::tempdir("bom");
    fs::write(
        tmp.join("bom.topo"),
        "\u{feff}cluster east { }\r\ncluster east { }\r\n",
    )
    .expect("write");
    let o = topoc(&tmp, &["check", "bom.topo", "--message-format", "json"]);
    let line: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .next()
            .unwrap_or(""),
    )
    .expect("json");
    assert_eq!(
        line["code"], "E0203",
        "only the duplicate is reported, the BOM is not an error"
    );
    assert_eq!(
        (line["line"].as_u64(), line["column"].as_u64()),
        (Some(2), Some(9))
    );
    let _ = fs::remove_dir_all(&tmp);
}

/// `--shard I/N` builds concatenate to the full build byte for byte, and `--cluster` gives the
/// same bytes as the full build for that cluster.
#[test]
fn shards_and_cluster_selection_reproduce_the_full_build() {
    let tmp = support::tempdir("shard");
    let src = example("storefront");
    let full = topoc(&tmp, &["build", &src, "--out", "full"]);
    assert!(full.status.success(), "{}", stderr(&full));
    let mut full_tree = support::read_tree(&tmp.join("full"));
    full_tree.remove(topoc::emit::MANIFEST);
    let mut union = std::collections::BTreeMap::new();
    for i in 1..=2 {
        let out = format!("shard{i}");
        let o = topoc(
            &tmp,
            &["build", &src, "--out", &out, "--shard", &format!("{i}/2")],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let mut t = support::read_tree(&tmp.join(&out));
        t.remove(topoc::emit::MANIFEST);
        assert!(
            !t.is_empty() && t.len() < full_tree.len(),
            "shard {i} holds part of the build"
        );
        for (k, v) in t {
            assert!(union.insert(k.clone(), v).is_none(), "{k} is in two shards");
        }
    }
    assert_eq!(union, full_tree, "the shards together are the full build");
    let one = topoc(&tmp, &["build", &src, "--out", "one", "--cluster", "us-1"]);
    assert!(one.status.success(), "{}", stderr(&one));
    let mut t = support::read_tree(&tmp.join("one"));
    t.remove(topoc::emit::MANIFEST);
    let expected: std::collections::BTreeMap<_, _> = full_tree
        .into_iter()
        .filter(|(k, _)| k.starts_with("us-1/"))
        .collect();
    assert_eq!(t, expected);
    let bad = topoc(&tmp, &["build", &src, "--out", "bad", "--cluster", "mars"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("no such cluster"), "{}", stderr(&bad));
    let _ = fs::remove_dir_all(&tmp);
}

/// `--check` catches a one-byte change and writes nothing; `--depfile` lists exactly the
/// files read.
#[test]
fn check_mode_and_depfile() {
    let tmp = support::tempdir("checkmode");
    let src = example("gloo-distribution");
    assert!(
        topoc(&tmp, &["build", &src, "--out", "out", "--depfile", "out.d"])
            .status
            .success()
    );
    let clean = topoc(&tmp, &["build", &src, "--out", "out", "--check"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    let file = tmp.join("out/east/httpbin/upstream-httpbin.yaml");
    let text = fs::read_to_string(&file).expect("read");
    fs::write(&file, text.replacen("8000", "8001", 1)).expect("edit");
    let before = snapshot(&tmp.join("out"));
    let dirty = topoc(&tmp, &["build", &src, "--out", "out", "--check"]);
    assert_eq!(dirty.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&dirty.stdout);
    assert!(
        diff.contains("-    servicePort: 8001") && diff.contains("+    servicePort: 8000"),
        "{diff}"
    );
    assert_eq!(snapshot(&tmp.join("out")), before, "--check writes nothing");

    let dep = fs::read_to_string(tmp.join("out.d")).expect("depfile");
    let listed: Vec<&str> = dep
        .split_whitespace()
        .filter(|w| *w != "\\" && !w.ends_with(':'))
        .collect();
    let mut expected: Vec<String> = ["topology.topo", "clusters.topo"]
        .iter()
        .map(|f| format!("{src}/{f}"))
        .collect();
    expected.sort();
    let mut listed: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(listed, expected, "{dep}");
    assert!(dep.starts_with("out:"), "{dep}");
    let _ = fs::remove_dir_all(&tmp);
}

/// `topoc affected` names exactly the files and clusters a change touches.
#[test]
fn affected_lists_what_a_change_touches() {
    let tmp = support::tempdir("affected");
    let old = tmp.join("old");
    let new = tmp.join("new");
    for dir in [&old, &new] {
        fs::create_dir_all(dir).expect("mkdir");
        for f in ["topology.topo", "clusters.topo"] {
            fs::copy(
                support::repo().join("examples/gloo-distribution").join(f),
                dir.join(f),
            )
            .expect("copy");
        }
    }
    let topology = fs::read_to_string(new.join("topology.topo")).expect("read");
    fs::write(
        new.join("topology.topo"),
        topology.replace(
            "hostname    = \"mydomain.com\"",
            "hostname    = \"example.org\"",
        ),
    )
    .expect("edit");
    let o = topoc(&tmp, &["affected", "--base", "old", "new"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let changed: Vec<&str> = out.lines().collect();
    assert_eq!(
        changed,
        [
            "changed  east/gloo-system/gateway-distributed-gateway.yaml",
            "changed  staging/gloo-system/gateway-distributed-gateway.yaml",
            "changed  west/gloo-system/gateway-distributed-gateway.yaml",
        ],
        "{out}"
    );
    assert!(
        stderr(&o).contains("3 cluster(s): east, staging, west"),
        "{}",
        stderr(&o)
    );
    let _ = fs::remove_dir_all(&tmp);
}

/// Unchanged files are recognised by the hash the manifest records, but a file edited by hand
/// after the build (even to the same size) is noticed and rewritten.
#[test]
fn a_hand_edited_output_file_is_rewritten() {
    let tmp = support::tempdir("handedit");
    let src = example("gloo-distribution");
    assert!(topoc(&tmp, &["build", &src, "--out", "out"])
        .status
        .success());
    let file = tmp.join("out/west/httpbin/upstream-httpbin.yaml");
    let original = fs::read_to_string(&file).expect("read");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&file, original.replacen("8000", "8001", 1)).expect("edit, same size");
    let again = topoc(&tmp, &["build", &src, "--out", "out"]);
    assert!(stderr(&again).contains("(1 written,"), "{}", stderr(&again));
    assert_eq!(fs::read_to_string(&file).expect("read"), original);
    let _ = fs::remove_dir_all(&tmp);
}

/// A no-op rebuild is decided from the bytes of the listed files when the last build read
/// nothing else; otherwise (an import of a file not named on the command line) only after
/// loading. Either way any change that could change the output is noticed: an edited
/// imported file, a renamed file an import names, a changed compiler flag.
#[test]
fn a_rebuild_notices_every_input_that_changed() {
    let tmp = support::tempdir("noopinputs");
    fs::create_dir_all(tmp.join("src")).expect("mkdir");
    fs::write(
        tmp.join("src/main.topo"),
        "import \"./lib.topo\"\n\
         route web { namespace = \"web\"  parents = gateway.public  rule { backends = upstream.web } }\n",
    )
    .expect("write");
    let lib = |port: u16| {
        format!(
            "cluster east {{ }}\n\
             service web {{ namespace = \"web\"  ports = [{{ port = 8080 }}, {{ port = 8081 }}] }}\n\
             upstream web {{ namespace = \"web\"  service = service.web  port = {port} }}\n\
             gateway public {{ namespace = \"web\"  class = gloo-gateway\n\
               listener http {{ port = 80  protocol = HTTP }} }}\n"
        )
    };
    fs::write(tmp.join("src/lib.topo"), lib(8080)).expect("write");
    let build = |args: &[&str]| {
        let o = topoc(&tmp, args);
        (o.status.success(), stderr(&o))
    };
    let upstream = tmp.join("out/east/web/upstream-web.yaml");

    // The folder: both files are listed.
    let (ok, err) = build(&["build", "src", "--out", "out"]);
    assert!(ok, "{err}");
    let (ok, err) = build(&["build", "src", "--out", "out"]);
    assert!(ok && err.contains("is up to date"), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(tmp.join("src/lib.topo"), lib(8081)).expect("write");
    let (ok, err) = build(&["build", "src", "--out", "out"]);
    assert!(ok && err.contains("(1 written,"), "{err}");
    assert!(fs::read_to_string(&upstream)
        .expect("read")
        .contains("8081"));
    // Another flag is another output.
    let (ok, err) = build(&["build", "src", "--out", "out", "--layout", "bundle"]);
    assert!(ok && !err.contains("is up to date"), "{err}");
    let (ok, err) = build(&["build", "src", "--out", "out"]);
    assert!(ok && !err.contains("is up to date"), "{err}");
    // A renamed file: the import no longer finds it, although every byte is the same.
    fs::rename(tmp.join("src/lib.topo"), tmp.join("src/lib2.topo")).expect("rename");
    let (ok, err) = build(&["build", "src", "--out", "out"]);
    assert!(!ok && err.contains("E0209"), "{err}");
    fs::rename(tmp.join("src/lib2.topo"), tmp.join("src/lib.topo")).expect("rename");

    // One file named: its import is read too, and a change to it is a change of the input.
    let (ok, err) = build(&["build", "src/main.topo", "--out", "one"]);
    assert!(ok, "{err}");
    let (ok, err) = build(&["build", "src/main.topo", "--out", "one"]);
    assert!(ok && err.contains("is up to date"), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(tmp.join("src/lib.topo"), lib(8080)).expect("write");
    let (ok, err) = build(&["build", "src/main.topo", "--out", "one"]);
    assert!(ok && err.contains("(1 written,"), "{err}");
    let _ = fs::remove_dir_all(&tmp);
}

/// A symlink loop in a source folder is reported, not followed forever; a linked file counts.
#[test]
fn symlink_loops_are_reported() {
    let tmp = support::tempdir("symlink");
    fs::create_dir_all(tmp.join("src/sub")).expect("mkdir");
    fs::write(tmp.join("src/a.topo"), "cluster east { }\n").expect("write");
    std::os::unix::fs::symlink(tmp.join("src"), tmp.join("src/sub/loop")).expect("symlink");
    let o = topoc(&tmp, &["check", "src"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("loop"), "{}", stderr(&o));
    fs::remove_file(tmp.join("src/sub/loop")).expect("unlink");
    std::os::unix::fs::symlink(tmp.join("src/a.topo"), tmp.join("src/sub/linked.topo"))
        .expect("symlink");
    fs::write(tmp.join("src/a.topo"), "cluster east { }\n").expect("write");
    let o = topoc(&tmp, &["check", "src", "--message-format", "json"]);
    // The same file through a link is loaded once (canonical path), so no duplicate cluster.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let _ = fs::remove_dir_all(&tmp);
}

/// `topoc plan`: which gateway revisions each cluster runs and which is active, sorted and
/// aligned; nothing on standard output when the topology has errors.
#[test]
fn plan_shows_installed_and_active_gateway_revisions() {
    let tmp = support::tempdir("plan");
    let out = topoc(&tmp, &["plan", &example("gateway-lifecycle")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = "\
CLUSTER   GATEWAY                                  TYPE     REVISION  ACTIVE  CONTROL PLANE  TRUST DOMAIN  INSTALL
cluster1  gloo-mesh-gateways/istio-egressgateway   egress   1-24      yes     1-24           cluster1      istio-egressgateway
cluster1  gloo-mesh-gateways/istio-ingressgateway  ingress  1-24      yes     1-24           cluster1      istio-ingressgateway
cluster1  gloo-mesh-gateways/istio-ingressgateway  ingress  1-25      no      1-25           cluster1      istio-ingressgateway
cluster2  gloo-mesh-gateways/istio-egressgateway   egress   1-24      yes     1-24           cluster2      istio-egressgateway
cluster2  gloo-mesh-gateways/istio-ingressgateway  ingress  1-24      yes     1-24           cluster2      istio-ingressgateway
";
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);

    // `auto` shows the control plane's revision; a trust-domain override shows as written.
    fs::write(
        tmp.join("auto.topo"),
        r#"import "stdlib/istio"
cluster east { istio-revisions = ["1-25"] }
gateway-install edge {
  installation {
    gateway-revision       = auto
    control-plane-revision = "1-25"
    clusters               = [{ name = east, active = true, trust-domain = "corp.example" }]
    ingress-gateways       = [istio-ingressgateway]
  }
}
"#,
    )
    .expect("write");
    let out = topoc(&tmp, &["plan", "auto.topo"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.split_whitespace().collect::<Vec<_>>()
                == [
                    "east",
                    "gloo-mesh-gateways/istio-ingressgateway",
                    "ingress",
                    "1-25",
                    "yes",
                    "1-25",
                    "corp.example",
                    "edge"
                ]),
        "{text}"
    );

    // With an error: the diagnostics, exit 1, and no plan.
    fs::write(
        tmp.join("bad.topo"),
        fs::read_to_string(tmp.join("auto.topo"))
            .expect("read")
            .replace("[\"1-25\"]", "[\"1-24\"]"),
    )
    .expect("write");
    let out = topoc(&tmp, &["plan", "bad.topo", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("E0353"), "{}", stderr(&out));

    // No installation at all.
    let out = topoc(&tmp, &["plan", &example("quickstart")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("no gateway installation"));
    let _ = fs::remove_dir_all(&tmp);
}
