# topoc built from source with nixpkgs' Rust (`callPackage ./nix/package.nix { }`). Every crate
# comes from Cargo.lock's checksums, so no cargoHash is needed. Not built offline here: it needs
# nixpkgs and crates.io through Nix's fetchers.
{ lib, rustPlatform }:

let
  fs = lib.fileset;
  root = ../.;
in
rustPlatform.buildRustPackage {
  pname = "topoc";
  version = (builtins.fromTOML (builtins.readFile ../compiler/Cargo.toml)).package.version;

  # What the build reads: the workspace, the compiler, the stdlib it embeds and the
  # explanation pages `topoc explain` prints. Not target/, examples/ or the tests' data.
  src = fs.toSource {
    inherit root;
    fileset = fs.unions ([
      ../Cargo.toml
      ../Cargo.lock
      ../compiler
      ../stdlib
      ../docs/codes
    ] ++ lib.optional (builtins.pathExists ../bench) ../bench);
  };

  cargoLock.lockFile = ../Cargo.lock;
  cargoBuildFlags = [ "-p" "topoc" ];

  # The integration tests need ../shared (the vendor CRD corpus), kubectl, Bazel and Nix;
  # `cargo test` in a checkout runs them.
  doCheck = false;

  meta = {
    description = "A build-time compiler for multi-cluster gateway topologies";
    license = lib.licenses.asl20;
    mainProgram = "topoc";
  };
}
