//! E0393: objects that several definitions write under one name. A gateway's `parameters` can
//! name its GatewayParameters, and a class's `parameters` its MeshGatewayConfig; two
//! definitions naming the same object share it, which is fine when they would write the same
//! thing, but otherwise the output could hold only one of them and the other's settings would
//! be lost without a word.

use std::collections::BTreeMap;

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::mesh::{parameters_name, proxy_settings, ProxySettings};
use crate::model::*;
use crate::source::Span;

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    gateway_parameters(input, diags);
    mesh_gateway_configs(input, diags);
}

/// The first definition seen writing an object, and what it writes.
struct Writer<'p, T> {
    name: &'p str,
    span: Span,
    content: T,
}

fn report(
    diags: &mut Diagnostics,
    what: &str,
    (kind, kinds): (&str, &str),
    first: (&str, Span),
    second: (&str, Span),
    cluster: &str,
) {
    diags.push(
        Diagnostic::new(
            Code::SharedObjectDiffers,
            format!(
                "{kinds} `{}` and `{}` both write {what} in {cluster}, with different settings",
                first.0, second.0
            ),
            second.1,
            format!("{kind} `{}` writes it like this", second.0),
        )
        .with_label(first.1, format!("and {kind} `{}` like this", first.0))
        .with_help(
            "give one of them another `name` in its `parameters`, or make their settings equal",
        ),
    );
}

fn gateway_parameters(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    let mut seen: BTreeMap<(usize, &str, String), Writer<'_, ProxySettings>> = BTreeMap::new();
    let mut reported = std::collections::BTreeSet::new();
    for (gi, g) in p.gateways.iter().enumerate() {
        let Some(name) = parameters_name(p, g) else {
            continue;
        };
        let span = crate::mesh::parameters_span(g);
        for c in input.placement.gateways[gi].clusters.ones() {
            let settings = proxy_settings(p, g, ClusterId(c as u32));
            let key = (c, g.meta.namespace.value.as_str(), name.clone());
            match seen.get(&key) {
                Some(first) if first.content != settings => {
                    if reported.insert((first.name, gi)) {
                        let what = format!("GatewayParameters `{}/{name}`", g.meta.namespace.value);
                        report(
                            diags,
                            &what,
                            ("gateway", "gateways"),
                            (first.name, first.span),
                            (&g.meta.name.text, span),
                            &p.clusters[c].name.text,
                        );
                    }
                }
                Some(_) => {}
                None => {
                    seen.insert(
                        key,
                        Writer {
                            name: &g.meta.name.text,
                            span,
                            content: settings,
                        },
                    );
                }
            }
        }
    }
}

/// What a MeshGatewayConfig writes, apart from its name.
type ConfigContent<'p> = (
    Option<bool>,
    Option<u32>,
    Option<&'p str>,
    &'p BTreeMap<String, String>,
);

fn mesh_gateway_configs(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    let mut seen: BTreeMap<(usize, &str), Writer<'_, ConfigContent<'_>>> = BTreeMap::new();
    let mut reported = std::collections::BTreeSet::new();
    for (ci, class) in p.classes.iter().enumerate() {
        let Some(ClassParameters::MeshGatewayConfig(config)) = &class.parameters else {
            continue;
        };
        let content = (
            config.cross_mesh,
            config.replicas,
            config.service_type.as_deref(),
            &config.tags,
        );
        for c in input.placement.classes[ci].clusters.ones() {
            let key = (c, config.name.value.as_str());
            match seen.get(&key) {
                Some(first) if first.content != content => {
                    if reported.insert((first.name, ci)) {
                        let what = format!("MeshGatewayConfig `{}`", config.name.value);
                        report(
                            diags,
                            &what,
                            ("class", "classes"),
                            (first.name, first.span),
                            (&class.name.text, config.span),
                            &p.clusters[c].name.text,
                        );
                    }
                }
                Some(_) => {}
                None => {
                    seen.insert(
                        key,
                        Writer {
                            name: &class.name.text,
                            span: config.span,
                            content,
                        },
                    );
                }
            }
        }
    }
}
