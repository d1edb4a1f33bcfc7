# topoc for Nix without flakes.
#
#   nix-build nix -A topoc                               # the compiler, from source (needs <nixpkgs>)
#   nix-build nix/example.nix -A quickstart              # a bundle with a prebuilt topoc, offline
#
# In your own expression:
#
#   let topo = import /path/to/topoc/nix { };
#   in topo.topocBundle { name = "fleet"; src = ./topology; }
#
# `topocBundle` uses `topoc` when given (a path to a binary, or a package), the compiler built
# from source otherwise. Only that second case evaluates nixpkgs.
{
  pkgs ? import <nixpkgs> { },
  topoc ? null,
}:

let
  fromSource = pkgs.callPackage ./package.nix { };
  lib = import ./lib.nix { topoc = if topoc != null then topoc else fromSource; };
in
{
  topoc = fromSource;
  inherit (lib) topocBundle topocBundleShards;
}
