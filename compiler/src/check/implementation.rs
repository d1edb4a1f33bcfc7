//! What each cluster's gateway implementation accepts (CHECKS.md rules 4, 7, 11, 26): the
//! listener protocols it serves (UnsupportedProtocol), the backend kinds it resolves
//! (InvalidKind: only Gloo knows `gloo.solo.io/Upstream`), and whether it serves the gateway's
//! class at all (a class of another controller is never reconciled). Judged per cluster, since
//! one gateway may land in clusters running different implementations.

use std::collections::BTreeMap;

use super::Input;
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::model::{BackendTarget, ClassRef, ClusterId, Program, Vendor};
use crate::resolve::place::{effective_class, ClusterSet};

/// The clusters of `set` grouped by vendor, with their names for messages.
fn by_vendor(p: &Program, set: &ClusterSet) -> BTreeMap<Vendor, Vec<String>> {
    let mut out: BTreeMap<Vendor, Vec<String>> = BTreeMap::new();
    for c in set.ones() {
        let cl = &p.clusters[c];
        out.entry(cl.implementation.value.vendor)
            .or_default()
            .push(cl.name.text.clone());
    }
    out
}

fn vendor_label(p: &Program, set: &ClusterSet, vendor: Vendor) -> Option<crate::source::Span> {
    set.ones()
        .map(|c| &p.clusters[c])
        .find(|c| c.implementation.value.vendor == vendor)
        .map(|c| c.implementation.span)
}

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for (gi, g) in p.gateways.iter().enumerate() {
        let placed = &input.placement.gateways[gi].clusters;
        for (vendor, clusters) in by_vendor(p, placed) {
            let label = vendor_label(p, placed, vendor);
            for l in &g.listeners {
                if !vendor.protocols().contains(&l.protocol.value) {
                    let mut d = Diagnostic::new(
                        Code::UnsupportedProtocol,
                        format!(
                            "{} does not serve {} listeners, and gateway `{}` lands in {}",
                            vendor.name(),
                            l.protocol.value.as_str(),
                            g.meta.name.text,
                            clusters.join(", ")
                        ),
                        l.protocol.span,
                        format!("not supported by {}", vendor.name()),
                    )
                    .with_help(format!(
                        "{} serves {}; change the protocol, or keep the gateway out of {}",
                        vendor.name(),
                        vendor
                            .protocols()
                            .iter()
                            .map(|p| p.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        clusters.join(", ")
                    ));
                    if let Some(span) = label {
                        d = d.with_label(span, "the cluster's implementation");
                    }
                    diags.push(d);
                }
            }
            if let ClassRef::Declared(class) = g.class.value {
                // The class each of these clusters actually gets, after the relay's rewrite.
                let first = placed
                    .ones()
                    .find(|&c| p.clusters[c].implementation.value.vendor == vendor);
                if let Some(c) = first {
                    let effective = p.class(effective_class(p, class, ClusterId(c as u32)));
                    if !vendor
                        .controllers()
                        .contains(&effective.controller.value.as_str())
                    {
                        let rewritten = if effective.name.text != p.class(class).name.text {
                            format!(
                                " (what workload clusters use for `{}`)",
                                p.class(class).name.text
                            )
                        } else {
                            String::new()
                        };
                        let mut d = Diagnostic::new(
                            Code::ClassNotServed,
                            format!(
                                "class `{}`{rewritten} has controller {}, which {} in {} does not serve",
                                effective.name.text,
                                effective.controller.value,
                                vendor.name(),
                                clusters.join(", ")
                            ),
                            g.class.span,
                            format!("no {} controller reconciles this class", vendor.name()),
                        )
                        .with_label(effective.controller.span, "the class's controller")
                        .with_help(format!(
                            "use a class whose controller is {}, keep the gateway out of {}, or declare the cluster's `implementation`",
                            vendor.controllers().join(" or "),
                            clusters.join(", ")
                        ));
                        if let Some(span) = label {
                            d = d.with_label(span, format!("the cluster runs {}", vendor.name()));
                        }
                        diags.push(d);
                    }
                }
            }
        }
        if let ClassRef::External(name) = &g.class.value {
            let declared: Vec<&str> = p.classes.iter().map(|c| c.name.text.as_str()).collect();
            let help = match did_you_mean(name, declared.iter().copied()) {
                Some(m) => format!("did you mean \"{m}\"? Otherwise declare it: `class {name} {{ controller = \"...\" }}`"),
                None => format!("declare it so topoc can check it: `class {name} {{ controller = \"...\" }}`"),
            };
            diags.push(
                Diagnostic::new(
                    Code::UndeclaredClass,
                    format!("class `{name}` is not declared: topoc cannot check it"),
                    g.class.span,
                    "not declared",
                )
                .with_help(help),
            );
        }
    }
    for (ri, r) in p.routes.iter().enumerate() {
        let placed = &input.placement.routes[ri].clusters;
        for rule in &r.rules {
            let mirrors = rule.filters.mirrors.iter().map(|m| &m.backend);
            for b in rule.backends.iter().chain(mirrors) {
                let BackendTarget::Upstream(u) = &b.target else {
                    continue;
                };
                for (vendor, clusters) in by_vendor(p, placed) {
                    if vendor == Vendor::Gloo {
                        continue;
                    }
                    diags.push(
                        Diagnostic::new(
                            Code::UnsupportedBackend,
                                                        format!(
                                "route `{}` lands in {}, which run{} {}, and {} cannot send traffic to upstream `{}`",
                                r.meta.name.text,
                                clusters.join(", "),
                                if clusters.len() == 1 { "s" } else { "" },
                                vendor.name(),
                                vendor.name(),
                                p.upstream(*u).meta.name.text,
                            ),
                            b.span,
                            "gloo.solo.io/Upstream is a Gloo kind",
                        )
                                                .with_help(format!(
                            "name the service directly, `{{ ref = service.{}, port = {} }}`, or keep the route out of {}",
                            p.service(p.upstream(*u).service.value).meta.name.text,
                            p.upstream(*u).port.value,
                            clusters.join(", ")
                        )),
                    );
                }
            }
        }
    }
}
