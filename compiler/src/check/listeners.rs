//! Gateway listeners (CHECKS.md rules 8, 9 and 10): unique names, compatible protocols on a
//! shared port (ProtocolConflict), distinct hostnames on a shared port and protocol
//! (HostnameConflict), and TLS settings that fit the protocol (the CRD's CEL rules).

use std::collections::BTreeMap;

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Gateway, Protocol, TlsMode, Vendor};

/// The implementations of the clusters a gateway lands in; Gloo when it lands nowhere, so a
/// gateway is still checked.
fn vendors(input: &Input<'_>, gi: usize) -> Vec<Vendor> {
    let mut v: Vec<Vendor> = input.placement.gateways[gi]
        .clusters
        .ones()
        .map(|c| input.program.clusters[c].implementation.value.vendor)
        .collect();
    v.sort();
    v.dedup();
    if v.is_empty() {
        v.push(Vendor::Gloo);
    }
    v
}

fn gateway(g: &Gateway, vendors: &[Vendor], diags: &mut Diagnostics) {
    let mut by_name = BTreeMap::new();
    for l in &g.listeners {
        if let Some(first) = by_name.insert(l.name.text.as_str(), l) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateListener,
                    format!(
                        "gateway `{}` has two listeners named `{}`",
                        g.meta.name.text, l.name.text
                    ),
                    l.name.span,
                    "second listener with this name",
                )
                .with_label(first.name.span, "first listener with this name")
                .with_help("rename one: routes attach to a listener by its name"),
            );
        }
    }
    for (i, l) in g.listeners.iter().enumerate() {
        for earlier in &g.listeners[..i] {
            if earlier.port.value != l.port.value {
                continue;
            }
            let (a, b) = (earlier.protocol.value, l.protocol.value);
            if let Some(strict) = vendors.iter().find(|v| !v.shares_port(a, b)) {
                diags.push(
                    Diagnostic::new(
                        Code::ListenerProtocolConflict,
                        format!(
                            "listeners `{}` and `{}` share port {} with protocols {} and {}",
                            earlier.name.text,
                            l.name.text,
                            l.port.value,
                            earlier.protocol.value.as_str(),
                            l.protocol.value.as_str()
                        ),
                        l.protocol.span,
                        format!("{} on port {}", l.protocol.value.as_str(), l.port.value),
                    )
                    .with_label(
                        earlier.protocol.span,
                        format!("{} on the same port", earlier.protocol.value.as_str()),
                    )
                    .with_help(if *strict == Vendor::Kuma {
                        "put the listeners on different ports: Kuma serves one protocol per port"
                            .to_string()
                    } else {
                        "put the listeners on different ports; only HTTPS and TLS can share a port"
                            .to_string()
                    }),
                );
            } else if earlier.protocol.value == l.protocol.value
                && earlier.hostname.as_ref().map(|h| &h.value)
                    == l.hostname.as_ref().map(|h| &h.value)
            {
                let host = l.hostname.as_ref().map_or("no hostname".to_string(), |h| {
                    format!("hostname `{}`", h.value)
                });
                diags.push(
                    Diagnostic::new(
                        Code::ListenerHostnameConflict,
                        format!(
                            "listeners `{}` and `{}` both serve {} on port {} with {host}",
                            earlier.name.text,
                            l.name.text,
                            l.protocol.value.as_str(),
                            l.port.value
                        ),
                        l.name.span,
                        "same port, protocol and hostname",
                    )
                    .with_label(earlier.name.span, "the other listener")
                    .with_help(
                        "give the listeners distinct hostnames or ports, or merge them into one",
                    ),
                );
            }
        }
        tls_shape(g, l, diags);
    }
}

fn tls_shape(g: &Gateway, l: &crate::model::Listener, diags: &mut Diagnostics) {
    let proto = l.protocol.value;
    let mut report = |span, message: String, help: &str| {
        // Pointing at the protocol itself: one label says it all.
        let d = if span == l.protocol.span {
            Diagnostic::new(
                Code::ListenerTlsShape,
                message,
                span,
                format!("{} needs `tls`", proto.as_str()),
            )
        } else {
            Diagnostic::new(
                Code::ListenerTlsShape,
                message,
                span,
                "does not fit the protocol",
            )
            .with_label(l.protocol.span, format!("protocol {}", proto.as_str()))
        };
        diags.push(d.with_help(help.to_string()));
    };
    let name = format!(
        "listener `{}` of gateway `{}`",
        l.name.text, g.meta.name.text
    );
    match (proto, &l.tls) {
        (Protocol::Http | Protocol::Tcp, Some(tls)) => {
            report(
                tls.span,
                format!("{name} is {} but sets `tls`", proto.as_str()),
                "remove `tls`, or use protocol HTTPS or TLS",
            );
        }
        (Protocol::Https, None) => report(
            l.protocol.span,
            format!("{name} is HTTPS but has no `tls`"),
            "add `tls = { certificates = [secret.NAME] }`",
        ),
        (Protocol::Https, Some(tls)) if tls.mode == TlsMode::Passthrough => report(
            tls.span,
            format!("{name} is HTTPS, which terminates TLS, but sets mode passthrough"),
            "use protocol TLS for passthrough, or remove `mode` and give the listener `certificates`",
        ),
        (Protocol::Tls, None) => report(
            l.protocol.span,
            format!("{name} is TLS but has no `tls`"),
            "add `tls = { mode = passthrough }` or `tls = { certificates = [secret.NAME] }`",
        ),
        _ => {}
    }
    if let Some(tls) = &l.tls {
        if tls.mode == TlsMode::Terminate
            && tls.certificates.is_empty()
            && proto != Protocol::Http
            && proto != Protocol::Tcp
        {
            report(
                tls.span,
                format!("{name} terminates TLS without a certificate"),
                "add `certificates = [secret.NAME]`",
            );
        }
        if tls.mode == TlsMode::Passthrough && !tls.certificates.is_empty() {
            report(
                tls.span,
                format!("{name} passes TLS through but lists certificates"),
                "remove `certificates`: passthrough never uses them",
            );
        }
    }
    if proto == Protocol::Tcp {
        if let Some(h) = &l.hostname {
            report(
                h.span,
                format!("{name} is TCP but sets a hostname"),
                "remove `hostname`: TCP carries no host name",
            );
        }
    }
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    for (gi, g) in input.program.gateways.iter().enumerate() {
        gateway(g, &vendors(input, gi), diags);
    }
}
