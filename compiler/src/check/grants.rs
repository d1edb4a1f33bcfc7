//! ReferenceGrants required by clusters with `reference-grants = require` (CHECKS.md rules 13
//! and 27): a cross-namespace backend or certificate without a declared grant in that cluster
//! is refused at runtime (RefNotPermitted, `conf/gateway-secret-missing-reference-grant`).

use super::Input;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{ClusterId, GrantPolicy};
use crate::refs::declared_covers;

pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let p = input.program;
    for u in input.uses {
        let missing: Vec<&str> = u
            .clusters
            .ones()
            .filter(|&c| p.clusters[c].reference_grants == GrantPolicy::Require)
            .filter(|&c| !declared_covers(p, input.placement, &u.needed, ClusterId(c as u32)))
            .map(|c| p.clusters[c].name.text.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let n = &u.needed;
        diags.push(
            Diagnostic::new(
                Code::RefNotPermitted,
                format!(
                    "{} in `{}` references {} `{}` in `{}` without a ReferenceGrant in {}",
                    n.from_kind,
                    n.from_namespace,
                    n.to_kind,
                    n.to_name,
                    n.to_namespace,
                    missing.join(", ")
                ),
                u.span,
                "cross-namespace reference",
            )
            .with_help(format!(
                "declare `grant NAME {{ namespace = \"{}\"  from = [{{ kind = \"{}\", namespace = \"{}\" }}]  refs = [{{ kind = \"{}\", name = \"{}\" }}] }}`, or set `reference-grants = emit` on the cluster",
                n.to_namespace, n.from_kind, n.from_namespace, n.to_kind, n.to_name
            )),
        );
    }
}
