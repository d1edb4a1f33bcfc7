{
  description = "topoc: compile multi-cluster gateway topologies into checked, per-cluster Kubernetes manifests";

  # Only nixpkgs, for rustPlatform. The first `nix build` writes flake.lock (commit it).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
      bundles = system: topoc: import ./nix/lib.nix { inherit topoc system; };
    in
    {
      # nix build .#topoc   (or .#default): the compiler, from source.
      # nix build .#quickstart: the quickstart example's bundle, built by that compiler.
      packages = forAllSystems (
        system: pkgs:
        let
          topoc = pkgs.callPackage ./nix/package.nix { };
          inherit (bundles system topoc) topocBundle;
        in
        {
          inherit topoc;
          default = topoc;
          quickstart = topocBundle { name = "quickstart"; src = ./examples/quickstart; };
          storefront = topocBundle { name = "storefront"; src = ./examples/storefront; };
        }
      );

      # nix run .# -- build topology --out out
      apps = forAllSystems (
        system: pkgs: {
          default = {
            type = "app";
            program = "${self.packages.${system}.topoc}/bin/topoc";
          };
        }
      );

      # In another flake, with this one as the input `topoc`:
      #   topoc.lib.topocBundle { system = "x86_64-linux"; name = "fleet"; src = ./topology; }
      # builds a bundle with this flake's compiler (`topoc = ...` picks another binary).
      # Arguments: nix/lib.nix. (`nix flake check` warns that `lib` is an unknown output.)
      lib =
        let
          call = f: args: (bundles args.system (args.topoc or self.packages.${args.system}.topoc)).${f} args;
        in
        {
          topocBundle = call "topocBundle";
          topocBundleShards = call "topocBundleShards";
        };

      # nix flake check: each example's bundle equals its golden/ folder (`nix build
      # .#quickstart --rebuild` then checks that a second build gives the same bytes).
      checks = forAllSystems (
        system: pkgs:
        let
          golden =
            name:
            pkgs.runCommand "${name}-golden" { } ''
              diff -ru -x .topoc-manifest ${./golden + "/${name}"} ${self.packages.${system}.${name}}
              touch $out
            '';
        in
        {
          quickstart = golden "quickstart";
          storefront = golden "storefront";
        }
      );
    };
}
