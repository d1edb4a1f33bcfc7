"""Workspace setup for the topoc rules: the `topoc` binary as an external repository.

Bazel cannot build topoc from source offline (that needs rules_rust and its toolchains from the
network), so the rules run a prebuilt binary. In WORKSPACE:

    load("@topoc_rules//:repositories.bzl", "topoc_prebuilt")

    topoc_prebuilt(
        name = "topoc",                         # the label topoc_bundle uses: @topoc//:topoc
        path = "tools/topoc",                   # absolute, or relative to the WORKSPACE folder
    )

The environment variable TOPOC_BIN, when set (`bazel build --repo_env=TOPOC_BIN=/abs/topoc`,
or exported in the shell), takes precedence over `path`: CI can point every workspace at the
binary it has just built.
"""

def _topoc_prebuilt_impl(rctx):
    path = rctx.os.environ.get("TOPOC_BIN", "") or rctx.attr.path
    if not path:
        fail("topoc_prebuilt: set `path` or the environment variable TOPOC_BIN")
    if not path.startswith("/"):
        workspace = rctx.path(Label("@//:WORKSPACE")).dirname
        path = "%s/%s" % (workspace, path)
    binary = rctx.path(path)
    if not binary.exists:
        fail("topoc_prebuilt: %s does not exist. Build it (`cargo build --release -p topoc`) or set TOPOC_BIN to a topoc binary." % path)
    rctx.symlink(binary, "topoc")
    rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name)
    rctx.file("BUILD.bazel", "exports_files([\"topoc\"], visibility = [\"//visibility:public\"])\n")

topoc_prebuilt = repository_rule(
    implementation = _topoc_prebuilt_impl,
    doc = "An external repository holding a prebuilt topoc binary as `@<name>//:topoc`.",
    attrs = {
        "path": attr.string(doc = "The binary: absolute, or relative to the main WORKSPACE's folder."),
    },
    environ = ["TOPOC_BIN"],
    local = True,
)
