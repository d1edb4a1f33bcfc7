//! The syntax tree: generic blocks, attributes and values, with spans.
//!
//! The tree knows nothing about clusters or routes: `resolve` gives blocks their meaning, so
//! the parser stays small and every kind of definition shares one grammar.

use crate::source::Span;

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed `.topo` file.
#[derive(Clone, Debug, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    /// `import "stdlib/NAME"` or `import "./other.topo"`; `span` covers the string.
    Import { path: String, span: Span },
    /// `let NAME = VALUE`
    Let { name: Ident, value: Value },
    /// `KIND NAME { ... }`
    Definition(Block),
}

/// `KIND NAME? { entries }`. Top-level definitions always have a name; nested blocks
/// (`listener http { }`, `rule { }`) may not.
#[derive(Clone, Debug)]
pub struct Block {
    pub kind: Ident,
    pub name: Option<Ident>,
    pub entries: Vec<Entry>,
    /// From the kind to the closing brace.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Entry {
    Attr(Attr),
    Block(Block),
}

/// `KEY = VALUE`
#[derive(Clone, Debug)]
pub struct Attr {
    pub key: Ident,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Value>),
    /// `{ key = value, ... }`; keys are identifiers or strings, in source order.
    Map(Vec<(Ident, Value)>),
    /// `prefix("/")`
    Call {
        name: Ident,
        args: Vec<Value>,
    },
    /// `all`, `east`, `gateway.public`, `gateway.public.http`
    Path(Vec<Ident>),
}

impl ValueKind {
    /// What the value is, for "expected a string, found a list" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Str(_) => "a string",
            ValueKind::Int(_) => "an integer",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::List(_) => "a list",
            ValueKind::Map(_) => "a map",
            ValueKind::Call { .. } => "a function call",
            ValueKind::Path(p) if p.len() == 1 => "a name",
            ValueKind::Path(_) => "a reference",
        }
    }
}
