//! Kong Mesh / Kuma (seed 003):
//!
//! - E0385: "HTTPRoutes must also have the annotation to reference a Gateway from a non-default
//!   Mesh": a route's mesh and its parent gateways' meshes must agree. topoc writes the
//!   annotation itself, from the route's `mesh` or its first parent's, so what is left to catch
//!   is a disagreement;
//! - E0386: "Gateway API resources like Gateway, ReferenceGrant, and HTTPRoute must be created
//!   in non-global zones". (The other multi-zone limit, a backendRef to a Service of another
//!   zone, is E0302, with a Kuma-specific help line: see `coverage.rs`.)

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::mesh::{gateway_kuma_mesh, global_zones, KUMA_DEFAULT_MESH};
use crate::model::*;
use crate::resolve::place::{Placed, Source};

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    meshes_agree(input.program, diags);
    global_zone(input, diags);
    cross_mesh(input.program, diags);
}

/// E0392: a gateway whose class's MeshGatewayConfig sets `crossMesh` (seed 003, "Cross-mesh")
/// may only have HTTP listeners: Kuma's gateway validation refuses other protocols on a
/// cross-mesh listener (CHECKS.md rule 34).
fn cross_mesh(p: &Program, diags: &mut Diagnostics) {
    for g in &p.gateways {
        let ClassRef::Declared(id) = g.class.value else {
            continue;
        };
        let class = p.class(id);
        let Some(ClassParameters::MeshGatewayConfig(config)) = &class.parameters else {
            continue;
        };
        if config.cross_mesh != Some(true) {
            continue;
        }
        for l in g
            .listeners
            .iter()
            .filter(|l| l.protocol.value != Protocol::Http)
        {
            diags.push(
                Diagnostic::new(
                    Code::KumaCrossMeshListener,
                    format!(
                        "listener `{}` of cross-mesh gateway `{}` is {}, but a cross-mesh gateway serves HTTP only",
                        l.name.text,
                        g.meta.name.text,
                        l.protocol.value.as_str()
                    ),
                    l.protocol.span,
                    "not HTTP",
                )
                .with_label(config.span, format!("class `{}` sets `cross-mesh = true`", class.name.text))
                .with_help("make the listener HTTP, or serve it from a gateway of a class without `cross-mesh`"),
            );
        }
    }
}

/// The Kuma mesh of a gateway served by Kuma: its `mesh`, else `default`. `None` for gateways
/// Kuma does not serve.
fn gateway_mesh_name(p: &Program, g: &Gateway) -> Option<String> {
    if let Some(id) = gateway_kuma_mesh(p, g) {
        return Some(p.mesh(id).name.text.clone());
    }
    let kuma = match &g.class.value {
        ClassRef::Declared(id) => Vendor::Kuma
            .controllers()
            .contains(&p.class(*id).controller.value.as_str()),
        ClassRef::External(_) => false,
    };
    kuma.then(|| KUMA_DEFAULT_MESH.to_string())
}

fn meshes_agree(p: &Program, diags: &mut Diagnostics) {
    for r in &p.routes {
        let written = r
            .mesh
            .as_ref()
            .and_then(|m| match p.mesh(m.value).provider {
                MeshProvider::Kuma(_) => Some((p.mesh(m.value).name.text.clone(), m.span)),
                MeshProvider::Istio(_) => None,
            });
        // The mesh the route is in: as written, else its first Kuma parent's.
        let mut expected: Option<(String, crate::source::Span, bool)> =
            written.map(|(name, span)| (name, span, true));
        for parent in &r.parents {
            let g = p.gateway(parent.gateway);
            let Some(mesh) = gateway_mesh_name(p, g) else {
                continue;
            };
            match &expected {
                None => expected = Some((mesh, parent.span, false)),
                Some((want, at, is_written)) if *want != mesh => {
                    let (label, help) = if *is_written {
                        (
                            format!("route `{}` is in mesh `{want}`", r.meta.name.text),
                            format!("write `mesh = mesh.{mesh}` on the route, or attach it to a gateway of mesh `{want}`"),
                        )
                    } else {
                        (
                            format!("this parent is in mesh `{want}`"),
                            "attach the route to gateways of one mesh; a route that serves two meshes is two routes".to_string(),
                        )
                    };
                    diags.push(
                        Diagnostic::new(
                            Code::KumaMeshMismatch,
                            format!(
                                "route `{}` is in Kuma mesh `{want}`, but its parent gateway `{}` is in mesh `{mesh}`",
                                r.meta.name.text, g.meta.name.text
                            ),
                            parent.span,
                            format!("gateway `{}` is in mesh `{mesh}`", g.meta.name.text),
                        )
                        .with_label(*at, label)
                        .with_help(help),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

fn global_zone(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (mesh, global) in global_zones(p) {
        let c = global.value.index();
        let cluster = &p.clusters[c].name.text;
        let mesh_index = p
            .meshes
            .iter()
            .position(|m| std::ptr::eq(m, mesh))
            .unwrap_or_default();
        if input.placement.meshes[mesh_index].clusters.contains(c) {
            diags.push(
                Diagnostic::new(
                    Code::KumaGlobalZone,
                    format!(
                        "cluster {cluster} is both the global zone and a zone of mesh `{}`",
                        mesh.name.text
                    ),
                    global.span,
                    "the global control plane",
                )
                .with_label(mesh.clusters.span, format!("the zones include {cluster}"))
                .with_help(format!("take {cluster} out of the mesh's `clusters`: the global zone runs no workloads")),
            );
        }
        let mut placed = |kind: &str, name: &Name, at: &Placed| {
            // A route placed by its parents lands there because they do: theirs is the error.
            if !at.clusters.contains(c) || matches!(at.source, Source::Inferred) {
                return;
            }
            let mut d = Diagnostic::new(
                Code::KumaGlobalZone,
                format!(
                    "{kind} `{}` lands in {cluster}, the global zone of Kuma mesh `{}`",
                    name.text, mesh.name.text
                ),
                name.span,
                format!("goes to {cluster}"),
            )
            .with_label(global.span, format!("{cluster} is the global zone"));
            let help = match &at.source {
                Source::Written(to) => {
                    d = d.with_label(to.span, format!("the {kind}'s `to` includes {cluster}"));
                    format!("Gateway API objects must be created in non-global zones: take {cluster} out of the {kind}'s `to`")
                }
                Source::Default => format!(
                    "Gateway API objects must be created in non-global zones: a {kind} without `to` goes to every workload cluster, {cluster} too; give it a `to` without {cluster}"
                ),
                Source::Inferred => return,
            };
            diags.push(d.with_help(help));
        };
        for (g, at) in p.gateways.iter().zip(&input.placement.gateways) {
            placed("gateway", &g.meta.name, at);
        }
        for (r, at) in p.routes.iter().zip(&input.placement.routes) {
            placed("route", &r.meta.name, at);
        }
        for (g, at) in p.grants.iter().zip(&input.placement.grants) {
            placed("grant", &g.meta.name, at);
        }
    }
}
