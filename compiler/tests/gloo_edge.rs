//! `--target gloo-edge --store consul` (seed 004): the Consul import files hold exactly the
//! objects of the YAML build, and the command line refuses combinations that mean nothing.
//!
//! The round trip: decode every value, parse it as YAML, put `apiVersion` and `kind` back from
//! the key and `spec` around the fields, and get the very object the YAML build writes.

mod support;

use std::collections::BTreeMap;
use std::process::Command;

use base64::Engine;
use serde_json::Value;
use topoc::{consul, emit::Layout, Options, Target};

fn example() -> std::path::PathBuf {
    support::repo().join("examples/gloo-edge/topology.topo")
}

fn build(consul: Option<consul::ConsulKv>) -> BTreeMap<String, String> {
    let c = topoc::compile(
        &[example()],
        Options {
            render: true,
            layout: Layout::Files,
            target: Target::GlooEdge,
            consul,
            ..Options::default()
        },
    )
    .expect("example readable");
    let text = topoc::report::render_all(&c.diagnostics, &c.sources, false);
    assert!(!c.has_errors(), "{text}");
    c.tree
        .expect("a tree")
        .into_iter()
        .map(|(p, content)| (p, content.to_string()))
        .collect()
}

/// Every object of the YAML build, by (cluster, apiVersion, kind, namespace, name).
type Objects = BTreeMap<(String, String, String, String, String), Value>;

fn yaml_objects(tree: &BTreeMap<String, String>) -> Objects {
    let mut out = Objects::new();
    for (path, text) in tree {
        if path.ends_with("/kustomization.yaml") {
            continue;
        }
        let object: Value = serde_yaml::from_str(text).expect("YAML output parses");
        let field = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let key = (
            topoc::emit::cluster_of(path).to_string(),
            field("/apiVersion"),
            field("/kind"),
            field("/metadata/namespace"),
            field("/metadata/name"),
        );
        assert!(out.insert(key, object).is_none(), "{path}: object twice");
    }
    out
}

fn consul_objects(tree: &BTreeMap<String, String>, root: &str) -> Objects {
    let mut out = Objects::new();
    for (path, text) in tree {
        let cluster = path
            .strip_suffix(consul::SUFFIX)
            .unwrap_or_else(|| panic!("{path}: only Consul import files are written"));
        let entries: Vec<Value> = serde_json::from_str(text).expect("import file is JSON");
        let keys: Vec<&str> = entries.iter().filter_map(|e| e["key"].as_str()).collect();
        assert_eq!(keys.len(), entries.len(), "{path}: every entry has a key");
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "{path}: sorted by key, each once"
        );
        for e in &entries {
            assert_eq!(e["flags"], 0, "{path}: flags");
            let key = e["key"].as_str().unwrap_or_default();
            // <root>/<group>/<version>/<Kind>/<namespace>/<name>
            let rest = key
                .strip_prefix(&format!("{root}/"))
                .unwrap_or_else(|| panic!("{key}: not under {root}/"));
            let parts: Vec<&str> = rest.split('/').collect();
            let [group, version, kind, namespace, name] = parts[..] else {
                panic!("{key}: not group/version/Kind/namespace/name");
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(e["value"].as_str().unwrap_or_default())
                .unwrap_or_else(|err| panic!("{key}: value is not base64: {err}"));
            let text = String::from_utf8(bytes).expect("value is UTF-8");
            let resource: Value = serde_yaml::from_str(&text).expect("value is YAML");
            assert!(
                resource.get("apiVersion").is_none() && resource.get("spec").is_none(),
                "{key}: Gloo's Consul client reads the resource, not the Kubernetes object"
            );
            assert_eq!(resource["metadata"]["name"], name, "{key}: name");
            assert_eq!(
                resource["metadata"]["namespace"], namespace,
                "{key}: namespace"
            );
            let api_version = format!("{group}/{version}");
            let object = consul::from_resource(&api_version, kind, &resource);
            out.insert(
                (
                    cluster.to_string(),
                    api_version,
                    kind.to_string(),
                    namespace.to_string(),
                    name.to_string(),
                ),
                object,
            );
        }
    }
    out
}

#[test]
fn consul_values_decode_to_the_objects_of_the_yaml_build() {
    let yaml = yaml_objects(&build(None));
    for root in ["gloo", "teams/edge/gloo"] {
        let kv = consul::ConsulKv::with_root(root).expect("valid root");
        let stored = consul_objects(&build(Some(kv)), root);
        assert!(!stored.is_empty(), "nothing stored");
        let kinds: std::collections::BTreeSet<&str> = stored.keys().map(|k| k.2.as_str()).collect();
        for kind in ["Gateway", "VirtualService", "Upstream", "UpstreamGroup"] {
            assert!(kinds.contains(kind), "the example stores no {kind}");
        }
        assert_eq!(
            stored.keys().collect::<Vec<_>>(),
            yaml.keys().collect::<Vec<_>>(),
            "the same objects in both stores"
        );
        for (key, object) in &stored {
            assert_eq!(object, &yaml[key], "{key:?} differs after the round trip");
        }
    }
}

fn topoc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_topoc"))
        .args(args)
        .output()
        .expect("run topoc")
}

#[test]
fn store_consul_goes_with_gloo_edge_only() {
    let tmp = support::tempdir("consul-flags");
    let input = example();
    let input = input.to_string_lossy();
    let out = tmp.join("out");
    let out = out.to_string_lossy();
    let refused: &[&[&str]] = &[
        &["--store", "consul"],
        &["--store", "consul", "--target", "relay"],
        &["--target", "gloo-edge", "--consul-root", "gloo"],
        &[
            "--target",
            "gloo-edge",
            "--store",
            "consul",
            "--consul-root",
            "a//b",
        ],
        &[
            "--target",
            "gloo-edge",
            "--store",
            "consul",
            "--argocd",
            "https://git.example.com/fleet.git",
        ],
    ];
    for flags in refused {
        let mut args = vec!["build", &input, "--out", &out];
        args.extend_from_slice(flags);
        let o = topoc(&args);
        assert_eq!(o.status.code(), Some(2), "{flags:?} should be refused");
        assert!(!tmp.join("out").exists(), "{flags:?} wrote something");
    }
    // One cluster of a Consul build: its file alone, the same bytes as in a full build.
    let o = topoc(&[
        "build",
        &input,
        "--out",
        &out,
        "--target",
        "gloo-edge",
        "--store",
        "consul",
        "--cluster",
        "west",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files = support::read_tree(&tmp.join("out"));
    files.remove(topoc::emit::MANIFEST);
    let full = support::read_tree(&support::repo().join("golden/gloo-edge-consul"));
    assert_eq!(files.keys().collect::<Vec<_>>(), ["west.consul.json"]);
    assert_eq!(files.get("west.consul.json"), full.get("west.consul.json"));
    let _ = std::fs::remove_dir_all(&tmp);
}
