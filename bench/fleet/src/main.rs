//! `topoc-fleet`: writes a synthetic but realistic fleet topology as `.topo` files, for
//! benchmarking topoc at the scale of a real multi-cluster gateway deployment.
//!
//! The output is deterministic (same arguments, same bytes) so that benchmark runs on
//! different days, or different compilers, measure the same input. It has no dependencies:
//! a benchmark input must not change because a crate changed its random number algorithm.

mod fleet;
mod mesh;
mod render;
mod rng;
mod set;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use fleet::{Fleet, Shape};

const USAGE: &str = "\
usage: topoc-fleet [--size S|M|L] [--seed N] --out DIR
                   [--clusters N] [--gateways G] [--upstreams U] [--routes R]

Writes a synthetic fleet topology into DIR as clusters.topo, gateways.topo, services.topo,
meshes.topo, kuma.topo (fleets of 5 clusters or more) and routes-000.topo, routes-001.topo, ...
(500 routes each). Same arguments, same bytes.

  --size S|M|L     preset (default S):
                     S  10 clusters, 10 gateways,   200 upstreams,  1,000 routes
                     M  50 clusters, 20 gateways, 1,000 upstreams,  5,000 routes
                     L 100 clusters, 40 gateways, 2,000 upstreams, 10,000 routes
  --seed N         PRNG seed, an unsigned 64-bit integer (default 1)
  --out DIR        output folder, created if missing; earlier generated files are replaced
  --clusters N, --gateways G, --upstreams U, --routes R
                   override one number of the preset (each at least 1; routes may be 0)

Every size has an Istio mesh over the first region, with virtual destinations and routes to
them, and (from 5 clusters) a Kuma mesh over zones of its own: one cluster in 16, at least 2,
counted in --clusters.";

/// Exit status for bad arguments, the same as topoc's for usage errors.
const EXIT_USAGE: u8 = 2;
/// A sanity bound: cluster sets are bit sets scanned per route, and no fleet is this large.
const MAX_CLUSTERS: usize = 10_000;

#[derive(Debug, PartialEq, Eq)]
struct Args {
    size: String,
    shape: Shape,
    seed: u64,
    out: PathBuf,
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(&raw) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("topoc-fleet: {msg}\n\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let fleet = Fleet::generate(args.shape, args.seed);
    let provenance = provenance(&args);
    match write_all(&args.out, &render::files(&fleet, &provenance)) {
        Ok(n) => {
            let (zones, apps) = fleet
                .kuma
                .as_ref()
                .map_or((0, 0), |k| (k.zones.len(), k.apps.len()));
            let vd_routes = fleet
                .routes
                .iter()
                .filter(|r| {
                    r.rules
                        .iter()
                        .any(|rule| matches!(rule.action, fleet::Action::VirtualDestination(_)))
                })
                .count();
            eprintln!(
                "topoc-fleet: {n} files in {}: {} clusters + {zones} Kuma zones, {} gateways, {} services, {} upstreams, {} routes ({} route placements), {} virtual destinations ({vd_routes} routes to them), {apps} Kuma apps ({} routes, {} services)",
                args.out.display(),
                fleet.clusters.len(),
                fleet.gateways.len(),
                fleet.services.len(),
                fleet.upstreams.len(),
                fleet.routes.len(),
                fleet.route_placements(),
                fleet.virtual_destinations.len(),
                2 * apps,
                3 * apps,
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("topoc-fleet: cannot write {}: {e}", args.out.display());
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The command that regenerates these files, for their header. It leaves out `--out`, so
/// that the bytes do not depend on where they are written.
fn provenance(a: &Args) -> String {
    let mut text = format!("topoc-fleet --size {} --seed {}", a.size, a.seed);
    if preset(&a.size).ok() != Some(a.shape) {
        let s = a.shape;
        text += &format!(
            " --clusters {} --gateways {} --upstreams {} --routes {}",
            s.clusters, s.gateways, s.upstreams, s.routes
        );
    }
    text
}

fn preset(size: &str) -> Result<Shape, String> {
    let (clusters, gateways, upstreams, routes) = match size {
        "S" | "s" => (10, 10, 200, 1_000),
        "M" | "m" => (50, 20, 1_000, 5_000),
        "L" | "l" => (100, 40, 2_000, 10_000),
        _ => return Err(format!("unknown --size `{size}`: expected S, M or L")),
    };
    Ok(Shape {
        clusters,
        gateways,
        upstreams,
        routes,
    })
}

/// Hand-rolled parsing (no dependencies): the preset first, then the overrides on top of
/// it, whatever order they were given in.
fn parse_args(raw: &[String]) -> Result<Args, String> {
    let mut size = "S".to_string();
    let mut seed = 1;
    let mut out = None;
    let mut overrides: Vec<(&str, usize)> = Vec::new();
    let mut it = raw.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value"))
                .cloned()
        };
        match flag.as_str() {
            "--size" => size = value()?,
            "--seed" => seed = number::<u64>(flag, &value()?)?,
            "--out" => out = Some(PathBuf::from(value()?)),
            "--clusters" | "--gateways" | "--upstreams" | "--routes" => {
                overrides.push((flag.as_str(), number::<usize>(flag, &value()?)?));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let mut shape = preset(&size)?;
    for (flag, n) in overrides {
        apply_override(&mut shape, flag, n)?;
    }
    let out = out.ok_or("--out DIR is required")?;
    Ok(Args {
        size: size.to_uppercase(),
        shape,
        seed,
        out,
    })
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag} expects a non-negative integer, got `{text}`"))
}

fn apply_override(shape: &mut Shape, flag: &str, n: usize) -> Result<(), String> {
    let (slot, min, max) = match flag {
        "--clusters" => (&mut shape.clusters, 1, MAX_CLUSTERS),
        "--gateways" => (&mut shape.gateways, 1, usize::MAX),
        "--upstreams" => (&mut shape.upstreams, 1, usize::MAX),
        _ => (&mut shape.routes, 0, usize::MAX),
    };
    if n < min || n > max {
        return Err(format!("{flag} must be between {min} and {max}, got {n}"));
    }
    *slot = n;
    Ok(())
}

/// Writes the files, after removing what an earlier run generated there, so that a smaller
/// fleet written over a larger one does not keep its extra `routes-NNN.topo` files. Files the
/// generator would not have written are left alone.
fn write_all(dir: &Path, files: &[(String, String)]) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_generated(&name) {
            std::fs::remove_file(entry.path())?;
        }
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(files.len())
}

fn is_generated(name: &str) -> bool {
    matches!(
        name,
        "clusters.topo" | "gateways.topo" | "services.topo" | "meshes.topo" | "kuma.topo"
    ) || name
        .strip_prefix("routes-")
        .and_then(|rest| rest.strip_suffix(".topo"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        let raw: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse_args(&raw)
    }

    #[test]
    fn preset_and_overrides() {
        let a = args("--routes 7 --size M --seed 9 --out x").expect("valid");
        assert_eq!(a.shape.clusters, 50);
        assert_eq!(a.shape.routes, 7);
        assert_eq!(a.seed, 9);
        assert_eq!(a.out, PathBuf::from("x"));
    }

    #[test]
    fn errors() {
        assert!(args("--size XL --out x").is_err());
        assert!(args("--size S").is_err());
        assert!(args("--seed -1 --out x").is_err());
        assert!(args("--clusters 0 --out x").is_err());
        assert!(args("--out").is_err());
        assert!(args("--bogus --out x").is_err());
    }

    #[test]
    fn generated_names() {
        assert!(is_generated("routes-012.topo"));
        assert!(is_generated("clusters.topo"));
        assert!(!is_generated("routes-.topo"));
        assert!(!is_generated("mine.topo"));
    }

    #[test]
    fn same_args_same_bytes() {
        let shape = preset("S").expect("S is a preset");
        let a = render::files(&Fleet::generate(shape, 5), "p");
        let b = render::files(&Fleet::generate(shape, 5), "p");
        assert_eq!(a, b);
        let c = render::files(&Fleet::generate(shape, 6), "p");
        assert_ne!(a, c);
    }
}
