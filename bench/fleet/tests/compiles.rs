//! The generated fleets compile with topoc with no diagnostic at all: no error, no warning,
//! no note. The benchmark measures a topology that compiles, meshes included, and a change of
//! topoc's rules that a fleet breaks shows up here rather than as a failing `bench/run`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes a fleet with the `topoc-fleet` binary into a fresh folder.
fn generate(name: &str, args: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("topoc-fleet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_topoc-fleet"))
        .args(args)
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("topoc-fleet runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn assert_compiles_clean(dir: &Path) {
    let c = topoc::compile(&[dir.to_path_buf()], topoc::Options::default()).expect("loads");
    let rendered: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| topoc::report::render(d, &c.sources, false))
        .collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_s_preset_compiles_clean() {
    let dir = generate("s", &["--size", "S", "--seed", "1"]);
    for file in ["meshes.topo", "kuma.topo"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    assert_compiles_clean(&dir);
}

/// Shapes at the edges: one cluster, no Kuma zones (4 clusters), the first with two (5), one
/// gateway (no mesh gateway, so no route to a virtual destination), no routes, and an odd
/// shape with another seed.
#[test]
fn odd_shapes_compile_clean() {
    let shapes: &[(&str, &[&str])] = &[
        ("one-cluster", &["--clusters", "1", "--routes", "50"]),
        (
            "four",
            &["--clusters", "4", "--gateways", "3", "--routes", "200"],
        ),
        ("five", &["--clusters", "5", "--routes", "120"]),
        ("one-gateway", &["--gateways", "1", "--routes", "100"]),
        ("no-routes", &["--routes", "0"]),
        (
            "odd",
            &[
                "--clusters",
                "37",
                "--gateways",
                "7",
                "--upstreams",
                "61",
                "--routes",
                "400",
                "--seed",
                "7",
            ],
        ),
    ];
    for (name, args) in shapes {
        let dir = generate(name, args);
        assert_compiles_clean(&dir);
    }
}
