//! What Gloo Mesh's relay can distribute (seed 000), checked when building `--target relay`:
//! the relay copies objects out of a management cluster, so one must be declared; it copies
//! only its distributable kinds ("HTTPRoutes must be backed by an Upstream resource. Other
//! backend kinds, such as Kubernetes Services, are not supported for distribution"), and
//! ReferenceGrants are not among them, so cross-namespace references cannot be carried.

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{BackendTarget, ClassParameters, Program};

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    if p.management().is_none() {
        let at = p
            .clusters
            .first()
            .map(|c| c.name.span)
            .or_else(|| p.gateways.first().map(|g| g.meta.name.span));
        if let Some(span) = at {
            diags.push(
                Diagnostic::new(Code::RelayWithoutManagement, "`--target relay` needs a management cluster", span, "no cluster has `role = management`")
                    .with_help("declare the cluster the relay copies from: `cluster mgmt { role = management }`"),
            );
        }
    }
    for r in &p.routes {
        for rule in &r.rules {
            let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
            for b in rule.backends.iter().chain(mirrors) {
                if let BackendTarget::Service { service, .. } = &b.target {
                    let s = p.service(*service);
                    diags.push(
                        Diagnostic::new(
                            Code::NotDistributable,
                            format!("route `{}` sends traffic to service `{}` directly, which the relay does not distribute", r.meta.name.text, s.meta.name.text),
                            b.span,
                            "a Service backend",
                        )
                        .with_help(format!(
                            "declare `upstream {0} {{ service = service.{0}  port = PORT }}` and use `upstream.{0}`: distributed HTTPRoutes must be backed by Upstreams",
                            s.meta.name.text
                        )),
                    );
                }
            }
        }
    }
    for u in input.uses {
        let n = &u.needed;
        diags.push(
            Diagnostic::new(
                Code::NotDistributable,
                format!("{} in `{}` references {} `{}` in `{}`, which needs a ReferenceGrant the relay cannot distribute", n.from_kind, n.from_namespace, n.to_kind, n.to_name, n.to_namespace),
                u.span,
                "cross-namespace reference",
            )
            .with_help("keep the referent in the referring object's namespace, or build per cluster (`--target clusters`) so topoc writes the grant"),
        );
    }
    mesh_objects(p, diags);
}

/// The mesh kinds (ServiceEntry, GatewayParameters, MeshGatewayConfig) are not among the kinds
/// the relay distributes (seed 000), and a Kuma mesh annotation or a GAMMA parent has no
/// meaning to it: all of them need the per-cluster output.
fn mesh_objects(p: &Program, diags: &mut Diagnostics) {
    let help = "build per cluster (`--target clusters`): the relay distributes Gateways, HTTPRoutes, Upstreams and GatewayClasses only";
    let mut report = |span, message: String, label: &str| {
        diags.push(
            Diagnostic::new(Code::NotDistributable, message, span, label.to_string())
                .with_help(help),
        );
    };
    for g in &p.gateways {
        if let Some(mesh) = &g.mesh {
            report(
                mesh.span,
                format!(
                    "gateway `{}` joins a mesh, whose objects the relay does not distribute",
                    g.meta.name.text
                ),
                "a mesh",
            );
        } else if let Some(params) = &g.parameters {
            report(
                params.span,
                format!(
                    "gateway `{}` needs a GatewayParameters, which the relay does not distribute",
                    g.meta.name.text
                ),
                "GatewayParameters",
            );
        }
    }
    for c in &p.classes {
        if let Some(ClassParameters::MeshGatewayConfig(config)) = &c.parameters {
            report(
                config.span,
                format!(
                    "class `{}` needs a MeshGatewayConfig, which the relay does not distribute",
                    c.name.text
                ),
                "a MeshGatewayConfig",
            );
        }
    }
    for vd in &p.virtual_destinations {
        report(vd.meta.name.span, format!("virtual destination `{}` needs ServiceEntries, which the relay does not distribute", vd.meta.name.text), "a virtual destination");
    }
    for r in &p.routes {
        for sp in &r.service_parents {
            report(
                sp.span,
                format!(
                    "route `{}` has a Service parent, which the relay does not distribute to",
                    r.meta.name.text
                ),
                "a Service parent",
            );
        }
    }
}
