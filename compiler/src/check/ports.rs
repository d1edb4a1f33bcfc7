//! Service ports (CHECKS.md rules 24 and 29): an upstream's port and a Service backend's port
//! must be ports of the service, or the backend resolves to nothing (BackendNotFound).

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{BackendTarget, Program, ServiceId, Spanned};

fn port_on_service(p: &Program, service: ServiceId, port: &Spanned<u16>, diags: &mut Diagnostics) {
    let s = p.service(service);
    if s.ports.iter().any(|sp| sp.port == port.value) {
        return;
    }
    let ports: Vec<String> = s.ports.iter().map(|sp| sp.port.to_string()).collect();
    diags.push(
        Diagnostic::new(
            Code::PortNotOnService,
            format!(
                "port {} is not a port of service `{}`",
                port.value, s.meta.name.text
            ),
            port.span,
            "no such port on the service",
        )
        .with_label(
            s.meta.span,
            format!(
                "service `{}` has ports {}",
                s.meta.name.text,
                ports.join(", ")
            ),
        )
        .with_help(format!(
            "use one of the service's ports ({}), or add {} to its `ports`",
            ports.join(", "),
            port.value
        )),
    );
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for u in &p.upstreams {
        port_on_service(p, u.service.value, &u.port, diags);
    }
    for r in &p.routes {
        for rule in &r.rules {
            let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
            for b in rule.backends.iter().chain(mirrors) {
                match &b.target {
                    BackendTarget::Service { service, port } => {
                        port_on_service(p, *service, port, diags)
                    }
                    BackendTarget::VirtualDestination { vd, port } => {
                        port_on_vd(p, *vd, port, diags)
                    }
                    BackendTarget::Upstream(_) => {}
                }
            }
        }
        // A GAMMA parent's port is a port of the parent Service.
        for sp in &r.service_parents {
            if let Some(port) = &sp.port {
                port_on_service(p, sp.service, port, diags);
            }
        }
    }
}

fn port_on_vd(
    p: &Program,
    vd: crate::model::VirtualDestinationId,
    port: &Spanned<u16>,
    diags: &mut Diagnostics,
) {
    let vd = p.virtual_destination(vd);
    if vd.ports.iter().any(|vp| vp.number == port.value) {
        return;
    }
    let ports: Vec<String> = vd.ports.iter().map(|vp| vp.number.to_string()).collect();
    diags.push(
        Diagnostic::new(
            Code::PortNotOnService,
            format!(
                "port {} is not a port of virtual destination `{}`",
                port.value, vd.meta.name.text
            ),
            port.span,
            "no such port on the virtual destination",
        )
        .with_label(
            vd.meta.span,
            format!(
                "virtual destination `{}` has ports {}",
                vd.meta.name.text,
                ports.join(", ")
            ),
        )
        .with_help(format!(
            "use one of its ports ({}), or add {} to its `ports`",
            ports.join(", "),
            port.value
        )),
    );
}
