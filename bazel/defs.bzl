"""Bazel rules for topoc: compile `.topo` topologies into per-cluster Kubernetes manifests.

Plain Starlark, no dependency beyond Bazel itself (tested with Bazel 4.2.3, Debian's
`bazel-bootstrap`, offline). The actions run Bazel's shell (bash), coreutils, `find` and a
prebuilt `topoc` binary (see repositories.bzl).

    load("@topoc_rules//:defs.bzl", "topoc_bundle", "topoc_golden_test")

    topoc_bundle(
        name = "storefront",
        srcs = glob(["topology/**/*.topo"]),
        clusters = ["eu-1", "eu-2", "us-1"],   # optional: one action per cluster
    )

    topoc_golden_test(
        name = "storefront_golden",
        bundle = ":storefront",
        golden = glob(["golden/storefront/**"]),
        golden_dir = "golden/storefront",
    )

`bazel build //:storefront` writes `bazel-bin/storefront/<cluster>/...`: byte for byte what
`topoc build topology --out DIR` writes, without topoc's bookkeeping file `.topoc-manifest`.
"""

TopocBundleInfo = provider(
    doc = "What a topoc_bundle produced.",
    fields = {
        "bundle": "The output directory holding the whole build (every cluster).",
        "parts": "The directories of the per-cluster or per-shard actions (the bundle itself when the rule built it in one action); together they hold exactly the files of `bundle`.",
    },
)

# Flags the rule sets itself: passing them in `args` would break the declared outputs.
_RESERVED = ["--out", "-o", "--cluster", "--shard", "--depfile", "--check", "--layout", "--force"]

# Run topoc into a work folder inside the declared directory, then move its files up. Every
# write stays inside the action's declared output (sandboxes and remote execution keep only
# those), and topoc's `.topoc-manifest` is dropped: Bazel owns this directory, not topoc.
# topoc's closing "N files in DIR" summary is dropped too; diagnostics (warnings included)
# are printed.
_BUILD_SH = """\
set -eu
topoc="$1"; out="$2"; shift 2
work="$out/.topoc-work"
log="$out/.topoc-log"
status=0
"$topoc" build --color never --out "$work" "$@" 2>"$log" || status=$?
grep -v '^topoc: [0-9]* files in ' "$log" >&2 || true
rm -f "$log"
if [ "$status" != 0 ]; then exit "$status"; fi
rm -f "$work/.topoc-manifest"
for f in "$work"/*; do
  if [ -e "$f" ]; then mv "$f" "$out/"; fi
done
rmdir "$work"
"""

# Copy the parts into one directory; two parts holding the same file is an error (the shards
# and clusters of one topology never overlap, so this would be a topoc bug).
_MERGE_SH = """\
set -eu
out="$1"; shift
for part in "$@"; do
  (cd "$part" && find . ! -type d) | while IFS= read -r f; do
    if [ -e "$out/$f" ]; then
      echo "topoc_bundle: $f is in two parts of the bundle" >&2
      exit 1
    fi
    mkdir -p "$(dirname "$out/$f")"
    cp "$part/$f" "$out/$f"
  done
done
"""

def _path(f):
    return f.path

def _build_action(ctx, out, srcs, selection, what):
    args = ctx.actions.args()
    args.add(ctx.executable.topoc.path)
    args.add(out.path)
    args.add_all(srcs)
    args.add("--layout", ctx.attr.layout)
    args.add_all(selection)
    args.add_all(ctx.attr.args)
    ctx.actions.run_shell(
        command = _BUILD_SH,
        arguments = [args],
        inputs = srcs,
        tools = [ctx.executable.topoc],
        outputs = [out],
        mnemonic = "Topoc",
        progress_message = "Compiling topology %s%s" % (ctx.label, what),
    )

def _topoc_bundle_impl(ctx):
    if ctx.attr.clusters and ctx.attr.shards:
        fail("topoc_bundle: set `clusters` or `shards`, not both")
    if ctx.attr.shards < 0:
        fail("topoc_bundle: `shards` must be 0 (one action) or more")
    for a in ctx.attr.args:
        flag = a.split("=")[0]
        if flag in _RESERVED:
            fail("topoc_bundle: %s is set by the rule (use the `clusters`, `shards` or `layout` attributes)" % flag)

    # The order topoc reads a folder in: sorted paths. The output does not depend on it; the
    # action's command line then does not depend on the order of `srcs` either.
    srcs = sorted(ctx.files.srcs, key = _path)
    bundle = ctx.actions.declare_directory(ctx.label.name)

    parts = []
    if ctx.attr.clusters:
        for cluster in ctx.attr.clusters:
            part = ctx.actions.declare_directory("%s.parts/%s" % (ctx.label.name, cluster))
            _build_action(ctx, part, srcs, ["--cluster", cluster], " (cluster %s)" % cluster)
            parts.append(part)
    elif ctx.attr.shards > 0:
        n = ctx.attr.shards
        for i in range(1, n + 1):
            part = ctx.actions.declare_directory("%s.parts/shard-%d-of-%d" % (ctx.label.name, i, n))
            _build_action(ctx, part, srcs, ["--shard", "%d/%d" % (i, n)], " (shard %d/%d)" % (i, n))
            parts.append(part)

    if parts:
        merge = ctx.actions.args()
        merge.add(bundle.path)
        merge.add_all(parts, expand_directories = False)
        ctx.actions.run_shell(
            command = _MERGE_SH,
            arguments = [merge],
            inputs = parts,
            outputs = [bundle],
            mnemonic = "TopocMerge",
            progress_message = "Merging %d parts of %s" % (len(parts), ctx.label),
        )
    else:
        _build_action(ctx, bundle, srcs, [], "")
        parts = [bundle]

    return [
        DefaultInfo(files = depset([bundle]), runfiles = ctx.runfiles(files = [bundle])),
        OutputGroupInfo(parts = depset(parts)),
        TopocBundleInfo(bundle = bundle, parts = parts),
    ]

topoc_bundle = rule(
    implementation = _topoc_bundle_impl,
    doc = """Compile `.topo` files with `topoc build` into a declared output directory.

The default output is the directory `<name>/`, holding what `topoc build SRCS --out DIR`
writes. With `clusters`, each listed cluster is built by its own action (`--cluster NAME`, into
`<name>.parts/<cluster>/`); with `shards = N`, N actions build `--shard 1/N` ... `--shard N/N`
(into `<name>.parts/shard-I-of-N/`). Each action still checks the whole topology; the parts are
merged into `<name>/` and are also available as the output group `parts`
(`bazel build //:x --output_groups=parts`).""",
    attrs = {
        "srcs": attr.label_list(
            allow_files = [".topo"],
            mandatory = True,
            doc = "Every `.topo` file of the topology, imported files included (the sandbox shows the action nothing else).",
        ),
        "clusters": attr.string_list(
            doc = "Build each of these clusters in its own action. List every cluster you deploy: clusters not listed are not built.",
        ),
        "shards": attr.int(
            default = 0,
            doc = "Split the build into this many actions (`--shard I/N`); 0 builds everything in one action.",
        ),
        "layout": attr.string(
            default = "files",
            values = ["files", "bundle"],
            doc = "`topoc build --layout`: `files` (a folder per cluster) or `bundle` (one YAML file per cluster).",
        ),
        "args": attr.string_list(
            doc = "More `topoc build` flags, such as `--deny=warnings`, `--target=relay` or `--argocd=URL,PREFIX`.",
        ),
        "topoc": attr.label(
            default = "@topoc//:topoc",
            executable = True,
            cfg = "exec",
            allow_single_file = True,
            doc = "The topoc binary (by default `@topoc//:topoc`, from `topoc_prebuilt` in repositories.bzl).",
        ),
    },
)

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _runfiles_root(f):
    """The runfiles-relative folder of the package that owns `f` (with a trailing slash)."""
    root = ""
    if f.owner.workspace_name:
        root = "../%s/" % f.owner.workspace_name
    if f.owner.package:
        root += f.owner.package + "/"
    return root

_GOLDEN_SH = """\
#!/bin/sh
# Generated by topoc_golden_test: compare a topoc_bundle with a checked-in golden tree.
set -eu
root="${{TEST_TMPDIR:-$(mktemp -d)}}/topoc_golden"
rm -rf "$root"
mkdir -p "$root/expected" "$root/actual"
golden() {{ mkdir -p "$(dirname "$root/expected/$2")"; cp "$1" "$root/expected/$2"; }}
{copies}
cp -RL {bundle}/. "$root/actual/"
rm -f "$root/actual/.topoc-manifest"
if diff -ru "$root/expected" "$root/actual"; then
  echo "PASS: {label} equals {golden_dir}"
else
  echo "FAIL: {label} differs from {golden_dir} (above: expected, then actual)."
  echo "Rebuild the golden tree with: topoc build SRCS --out {golden_dir}"
  exit 1
fi
"""

def _topoc_golden_test_impl(ctx):
    bundle = ctx.attr.bundle[TopocBundleInfo].bundle
    golden_dir = ctx.attr.golden_dir.strip("/")
    copies = []
    for f in ctx.files.golden:
        prefix = _runfiles_root(f) + (golden_dir + "/" if golden_dir else "")
        if not f.short_path.startswith(prefix):
            fail("topoc_golden_test: %s is not below golden_dir %r of its package" % (f.short_path, golden_dir))
        rel = f.short_path[len(prefix):]
        if rel == ".topoc-manifest":
            continue
        copies.append("golden %s %s" % (_shell_quote(f.short_path), _shell_quote(rel)))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = script,
        is_executable = True,
        content = _GOLDEN_SH.format(
            copies = "\n".join(copies),
            bundle = _shell_quote(bundle.short_path),
            label = str(ctx.attr.bundle.label),
            golden_dir = golden_dir or "the golden files",
        ),
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [bundle] + ctx.files.golden),
    )]

topoc_golden_test = rule(
    implementation = _topoc_golden_test_impl,
    test = True,
    doc = """Fail, with a unified diff, unless a topoc_bundle equals a checked-in tree byte for byte.

Extra, missing and changed files all fail. `.topoc-manifest` is ignored on both sides, so a
golden tree written by `topoc build --out` can be checked in as it is.""",
    attrs = {
        "bundle": attr.label(
            mandatory = True,
            providers = [TopocBundleInfo],
            doc = "The topoc_bundle to check.",
        ),
        "golden": attr.label_list(
            allow_files = True,
            mandatory = True,
            doc = "Every file of the expected tree (typically a glob, or a filegroup).",
        ),
        "golden_dir": attr.string(
            doc = "The expected tree's folder, relative to the package of the `golden` files.",
        ),
    },
)
