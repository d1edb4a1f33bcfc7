//! The standard library, embedded in the binary: `.topo` modules and render templates from
//! the repository's `stdlib/` folder.

/// The module loaded before every program.
pub const PRELUDE: &str = "prelude";

/// `import "stdlib/NAME"` modules, by NAME.
const MODULES: &[(&str, &str)] = &[
    ("prelude", include_str!("../../stdlib/prelude.topo")),
    ("gloo", include_str!("../../stdlib/gloo.topo")),
    ("istio", include_str!("../../stdlib/istio.topo")),
    ("kuma", include_str!("../../stdlib/kuma.topo")),
];

/// Templates for vendor kinds without a typed crate, by file name.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "upstream.yaml.tera",
        include_str!("../../stdlib/templates/upstream.yaml.tera"),
    ),
    (
        "applicationset.yaml.tera",
        include_str!("../../stdlib/templates/applicationset.yaml.tera"),
    ),
    (
        "istiooperator.yaml.tera",
        include_str!("../../stdlib/templates/istiooperator.yaml.tera"),
    ),
    (
        "gatewaylifecyclemanager.yaml.tera",
        include_str!("../../stdlib/templates/gatewaylifecyclemanager.yaml.tera"),
    ),
    (
        "gloo-edge-gateway.yaml.tera",
        include_str!("../../stdlib/templates/gloo-edge-gateway.yaml.tera"),
    ),
    (
        "virtualservice.yaml.tera",
        include_str!("../../stdlib/templates/virtualservice.yaml.tera"),
    ),
    (
        "upstreamgroup.yaml.tera",
        include_str!("../../stdlib/templates/upstreamgroup.yaml.tera"),
    ),
    (
        "virtualdestination.yaml.tera",
        include_str!("../../stdlib/templates/virtualdestination.yaml.tera"),
    ),
    (
        "serviceentry.yaml.tera",
        include_str!("../../stdlib/templates/serviceentry.yaml.tera"),
    ),
    (
        "gatewayparameters.yaml.tera",
        include_str!("../../stdlib/templates/gatewayparameters.yaml.tera"),
    ),
    (
        "meshgatewayconfig.yaml.tera",
        include_str!("../../stdlib/templates/meshgatewayconfig.yaml.tera"),
    ),
];

pub fn module(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

pub fn module_names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}

pub fn templates() -> &'static [(&'static str, &'static str)] {
    TEMPLATES
}
