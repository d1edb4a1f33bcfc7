//! Stage 3: consistency checks on the placed program ([`check`]). One rule, one module; each
//! rule reads the program, the graph and the placement, and reports into the sink.

mod attachment;
mod coverage;
mod filters;
mod gamma;
mod gloo_edge;
mod grants;
mod hostnames;
mod implementation;
mod install;
mod kuma;
mod limits;
mod listeners;
mod matches;
mod names;
mod nowhere;
mod ports;
mod precedence;
mod relay;
mod shared_objects;
mod versions;
mod virtual_destinations;

pub use filters::millis as duration_millis;

use crate::diag::Diagnostics;
use crate::graph::DepGraph;
use crate::model::Program;
use crate::resolve::place::Placement;

/// Everything a rule may read.
pub struct Input<'a> {
    pub program: &'a Program,
    pub graph: &'a DepGraph,
    pub placement: &'a Placement,
    pub attachments: &'a crate::attach::Attachments,
    pub uses: &'a [crate::refs::Use],
    /// The services each virtual destination selects.
    pub selections: &'a crate::mesh::Selections,
    pub target: crate::Target,
}

/// A rule: reads the input, reports into the sink.
type Rule = fn(&Input<'_>, &mut Diagnostics);

/// Run every rule. Rules are independent: each reports all it finds.
pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    let mut rules: Vec<Rule> = vec![
        names::check,
        listeners::check,
        ports::check,
        coverage::check,
        nowhere::check,
        attachment::check,
        hostnames::check,
        matches::check,
        filters::check,
        limits::check,
        implementation::check,
        precedence::check,
    ];
    // Gloo Edge has neither ReferenceGrants nor Gateway API CRDs: grants and API versions
    // do not apply to what it receives.
    if input.target != crate::Target::GlooEdge {
        rules.extend([grants::check as Rule, versions::check]);
    }
    if input.target == crate::Target::Relay {
        rules.push(relay::check);
    }
    rules.extend([
        install::check as Rule,
        virtual_destinations::check,
        shared_objects::check,
        kuma::check,
        gamma::check,
    ]);
    if input.target == crate::Target::GlooEdge {
        rules.push(gloo_edge::check);
    }
    // The rules only read the input, so they run in parallel, each into a sink of its own;
    // the sinks are merged in the order above, so the result is that of a sequential run.
    // (On a large fleet the rules took a fifth of a build on one core.)
    use rayon::prelude::*;
    let found: Vec<Diagnostics> = rules
        .par_iter()
        .map(|rule| {
            let mut d = Diagnostics::default();
            rule(input, &mut d);
            d
        })
        .collect();
    for d in found {
        diags.append(d);
    }
}
