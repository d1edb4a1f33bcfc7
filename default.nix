# Nix without flakes: see nix/default.nix (`nix-build -A topoc`, `topocBundle`) and
# nix/example.nix (bundles built offline with a prebuilt topoc). docs/build-systems.md has more.
import ./nix
