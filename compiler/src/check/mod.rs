//! Stage 3: consistency checks on the placed program ([`check`]). One rule, one module; each
//! rule reads the program, the graph and the placement, and reports into the sink.

mod coverage;
mod listeners;
mod names;
mod nowhere;
mod ports;

use crate::diag::Diagnostics;
use crate::graph::DepGraph;
use crate::model::Program;
use crate::resolve::place::Placement;

/// Everything a rule may read.
pub struct Input<'a> {
    pub program: &'a Program,
    pub graph: &'a DepGraph,
    pub placement: &'a Placement,
}

/// Run every rule. Rules are independent: each reports all it finds.
pub fn check(input: &Input<'_>, diags: &mut Diagnostics) {
    names::check(input, diags);
    listeners::check(input, diags);
    ports::check(input, diags);
    coverage::check(input, diags);
    nowhere::check(input, diags);
}
