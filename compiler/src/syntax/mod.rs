//! Stage 1: text → syntax tree ([`parse`]).

pub mod ast;
mod parse;

pub use parse::{parse, MAX_NESTING};
