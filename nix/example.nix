# The repository's examples as Nix derivations, offline: no nixpkgs, only a prebuilt topoc.
#
#   cargo build --release -p topoc
#   nix-build nix/example.nix -A quickstart            # ./result/dev/kustomization.yaml ...
#   nix-build nix/example.nix -A quickstart --check    # rebuild, fail unless bit for bit equal
#
# `--arg topoc /abs/path/to/topoc` picks another binary. A dynamically linked topoc (the
# default cargo build) needs the host's C library: build with Nix's sandbox off (Debian's
# /etc/nix/nix.conf sets `sandbox = false`), or see docs/build-systems.md for a static binary.
{ topoc ? ../target/release/topoc }:

assert builtins.isPath topoc -> builtins.pathExists topoc
  || throw "nix/example.nix: ${toString topoc} does not exist; run `cargo build --release -p topoc` or pass --arg topoc /path/to/topoc";

let
  inherit (import ./lib.nix { inherit topoc; }) topocBundle topocBundleShards;
in
{
  quickstart = topocBundle {
    name = "quickstart";
    src = ../examples/quickstart;
  };

  storefront = topocBundle {
    name = "storefront";
    src = ../examples/storefront;
  };

  # `--layout bundle`: one multi-document YAML file per cluster.
  storefront-yaml = topocBundle {
    name = "storefront-yaml";
    src = ../examples/storefront;
    layout = "bundle";
  };

  # One derivation per cluster, and one per shard: each holds part of `storefront`.
  storefront-eu-1 = topocBundle {
    name = "storefront-eu-1";
    src = ../examples/storefront;
    cluster = "eu-1";
  };
  storefront-shards = topocBundleShards {
    name = "storefront";
    src = ../examples/storefront;
    count = 2;
  };
}
