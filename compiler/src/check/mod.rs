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
    pub target: crate::Target,
}

/// Run every rule. Rules are independent: each reports all it finds.
pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    names::check(input, diags);
    listeners::check(input, diags);
    ports::check(input, diags);
    coverage::check(input, diags);
    nowhere::check(input, diags);
    attachment::check(input, diags);
    hostnames::check(input, diags);
    matches::check(input, diags);
    filters::check(input, diags);
    limits::check(input, diags);
    implementation::check(input, diags);
    precedence::check(input, diags);
    // Gloo Edge has neither ReferenceGrants nor Gateway API CRDs: grants and API versions
    // do not apply to what it receives.
    if input.target != crate::Target::GlooEdge {
        grants::check(input, diags);
        versions::check(input, diags);
    }
    if input.target == crate::Target::Relay {
        relay::check(input, diags);
    }
    install::check(input, diags);
    virtual_destinations::check(input, diags);
    kuma::check(input, diags);
    gamma::check(input, diags);
    if input.target == crate::Target::GlooEdge {
        gloo_edge::check(input, diags);
    }
}
