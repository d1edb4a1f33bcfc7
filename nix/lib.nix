# topocBundle: a topoc build as a Nix derivation. Plain Nix, no nixpkgs: the builder is the
# topoc binary itself, so nothing but topoc (and, for a dynamically linked binary, the C
# library) runs in the build.
#
#   let topo = import ./nix/lib.nix { topoc = ./target/release/topoc; };
#   in topo.topocBundle { name = "quickstart"; src = ./examples/quickstart; }
#
# The output ($out) is exactly what `topoc build SRC --out DIR` writes: DIR/<cluster>/...,
# plus topoc's `.topoc-manifest` (the list of files it wrote).
{
  # The topoc binary: a path (copied into the store), a store path string such as
  # "${topocPackage}/bin/topoc", or null (then every topocBundle call must pass `topoc`).
  topoc ? null,
  # The default `system` of the derivations (a flake must pass it: pure evaluation has no
  # builtins.currentSystem).
  system ? builtins.currentSystem,
}:

let
  defaultTopoc = topoc;
  defaultSystem = system;

  isTopo = path: builtins.match ".*\\.topo" (toString path) != null;

  # Only the `.topo` files of the source (and the folders leading to them): editing a README
  # beside the topology does not rebuild the bundle.
  topoSource = name: src:
    if builtins.isPath src then
      builtins.path {
        path = src;
        name = "${name}-src";
        filter = path: type: type == "directory" || isTopo path;
      }
    else
      src; # already a store path (a derivation, a fetcher's output): used as it is

  # The binary as a store path, so that the derivation depends on its bytes: a path, or an
  # absolute path given as a string, is copied into the store; a package gives its
  # bin/topoc; a store path string is used as it is.
  storeBinary = bin:
    if builtins.isPath bin then
      builtins.path { path = bin; name = "topoc"; }
    else if builtins.isAttrs bin then
      "${bin}/bin/topoc" # a package
    else if builtins.isString bin && builtins.substring 0 (builtins.stringLength builtins.storeDir + 1) bin == builtins.storeDir + "/" then
      # `--argstr topoc "$(nix-store --add topoc)"` has no context: storePath makes the
      # derivation depend on it (outside pure evaluation).
      if builtins.hasContext bin then bin else builtins.storePath bin
    else if builtins.isString bin && builtins.substring 0 1 bin == "/" then
      # `--argstr topoc /abs/topoc`
      builtins.path { path = /. + bin; name = "topoc"; }
    else
      throw "topocBundle: `topoc` must be a path, a store path or a package, not ${builtins.typeOf bin}";
in
rec {
  # One `topoc build` as a derivation.
  #   name     the derivation's name (default "topoc-bundle")
  #   src      a `.topo` file or a folder (every `.topo` file below it); only `.topo` files
  #            are copied into the store
  #   paths    what to compile, relative to src (default: all of src)
  #   cluster  build only this cluster (`--cluster`); a list builds several
  #   shard    "I/N": build only shard I of N (`--shard`); N derivations with 1/N ... N/N
  #            together hold exactly the files of the full build
  #   layout   "files" (default) or "bundle"
  #   args     more `topoc build` flags, such as [ "--deny" "warnings" ]
  #   topoc    the binary: a path, a store path string or a package with bin/topoc
  #            (default: the one this file was imported with)
  #   system   default: the one this file was imported with
  topocBundle =
    {
      src,
      name ? "topoc-bundle",
      paths ? [ ],
      cluster ? [ ],
      shard ? null,
      layout ? "files",
      args ? [ ],
      topoc ? null,
      system ? defaultSystem,
    }:
    let
      bin =
        if topoc != null then topoc
        else if defaultTopoc != null then defaultTopoc
        else throw "topocBundle: no topoc binary: pass `topoc` (a path such as ./target/release/topoc, or a package's bin/topoc)";
      source = topoSource name src;
      inputs = if paths == [ ] then [ "${source}" ] else map (p: "${source}/${p}") paths;
      clusters = if builtins.isList cluster then cluster else [ cluster ];
    in
    assert builtins.elem layout [ "files" "bundle" ];
    builtins.derivation {
      inherit name system;
      builder = storeBinary bin;
      args =
        [ "build" "--color" "never" ]
        ++ inputs
        ++ [ "--out" (builtins.placeholder "out") "--layout" layout ]
        ++ builtins.concatMap (c: [ "--cluster" c ]) clusters
        ++ (if shard == null then [ ] else [ "--shard" shard ])
        ++ args;
      # A few milliseconds of work: never worth a download from a binary cache.
      preferLocalBuild = true;
      allowSubstitutes = false;
    };

  # The N shard derivations of one topology, as a list: `--shard 1/N` ... `--shard N/N`.
  topocBundleShards =
    { count, name ? "topoc-bundle", ... }@attrs:
    builtins.genList
      (i: topocBundle (builtins.removeAttrs attrs [ "count" ] // {
        name = "${name}-shard-${toString (i + 1)}-of-${toString count}";
        shard = "${toString (i + 1)}/${toString count}";
      }))
      count;
}
