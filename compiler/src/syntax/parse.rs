//! The parser: nom for the lexemes, recursive descent for the structure, and recovery at the
//! next top-level definition so one typo does not hide the errors after it.

use nom::bytes::complete::take_while;
use nom::character::complete::{char, digit1, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::{IResult, Parser as _};

use super::ast::{Attr, Block, Entry, File, Ident, Item, Value, ValueKind};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Deepest nesting of blocks, lists, maps and calls. Deeper input gets a diagnostic instead
/// of exhausting the stack.
pub const MAX_NESTING: usize = 64;
/// Longest string literal. Names, hosts and paths are short; a longer string is a mistake (an
/// unquoted file pasted in) and would only make every later stage slower.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// Parse one file. Always returns a tree (possibly partial) and every syntax error found.
pub fn parse(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    let mut p = Parser {
        file,
        src: text,
        diags: Vec::new(),
        depth: 0,
    };
    let items = p.items();
    (File { items }, p.diags)
}

/// A syntax error on its way up to the recovery point.
struct Fail {
    diag: Diagnostic,
}

type PResult<'a, T> = Result<(&'a str, T), Fail>;

struct Parser<'s> {
    file: FileId,
    src: &'s str,
    diags: Vec<Diagnostic>,
    depth: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `[A-Za-z_][A-Za-z0-9_-]*`: identifiers may contain `-` so that they can be Kubernetes names.
fn ident_text(i: &str) -> IResult<&str, &str> {
    recognize(pair(satisfy(is_ident_start), take_while(is_ident_char))).parse(i)
}

/// The longest run of string characters that need no escape handling.
fn plain_string_run(i: &str) -> (&str, &str) {
    take_while::<_, _, nom::error::Error<&str>>(|c| c != '"' && c != '\\' && c != '\n')
        .parse(i)
        .unwrap_or((i, ""))
}

fn integer_text(i: &str) -> IResult<&str, &str> {
    recognize(pair(opt(char('-')), digit1)).parse(i)
}

/// Whitespace and `#` comments.
fn skip_trivia(mut i: &str) -> &str {
    loop {
        let trimmed = i.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            i = comment.find('\n').map_or("", |n| &comment[n..]);
        } else {
            return trimmed;
        }
    }
}

impl<'s> Parser<'s> {
    fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.file, self.offset(from), self.offset(to))
    }

    fn point(&self, at: &str) -> Span {
        // A one-character span (or empty at end of input) so the caret points at the token.
        let start = self.offset(at);
        let len = at.chars().next().map_or(0, char::len_utf8);
        Span::new(self.file, start, start + len)
    }

    fn fail(&self, at: &str, expected: &str) -> Fail {
        let found = describe_token(at);
        Fail {
            diag: Diagnostic::new(
                Code::SyntaxError,
                format!("expected {expected}, found {found}"),
                self.point(at),
                format!("expected {expected}"),
            ),
        }
    }

    fn items(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        let mut i = skip_trivia(self.src);
        while !i.is_empty() {
            match self.item(i) {
                Ok((rest, item)) => {
                    items.push(item);
                    i = skip_trivia(rest);
                }
                Err(fail) => {
                    let at = fail.diag.primary.span.end as usize;
                    self.diags.push(fail.diag);
                    i = skip_trivia(self.recover(at));
                }
            }
            self.depth = 0;
        }
        items
    }

    /// Skip to the next line that starts with an identifier in column 0: the next top-level
    /// definition in any conventionally formatted file.
    fn recover(&self, after: usize) -> &'s str {
        let mut pos = after.min(self.src.len());
        while !self.src.is_char_boundary(pos) {
            pos += 1;
        }
        let rest = &self.src[pos..];
        let mut search = 0;
        while let Some(nl) = rest[search..].find('\n') {
            let line_start = search + nl + 1;
            if rest[line_start..].starts_with(is_ident_start) {
                return &rest[line_start..];
            }
            search = line_start;
        }
        ""
    }

    fn item(&mut self, i: &'s str) -> PResult<'s, Item> {
        let (rest, kw) = self.ident(i, "a definition such as `cluster NAME { ... }`")?;
        match kw.name.as_str() {
            "import" => {
                let start = skip_trivia(rest);
                if !start.starts_with('"') {
                    return Err(self.fail(start, "a quoted path after `import`"));
                }
                let (rest, path) = self.string(start)?;
                Ok((
                    rest,
                    Item::Import {
                        path,
                        span: self.span(start, rest),
                    },
                ))
            }
            "let" => {
                let (rest, name) = self.ident(skip_trivia(rest), "a name after `let`")?;
                let rest = self.expect(skip_trivia(rest), '=', "`=` after the name")?;
                let (rest, value) = self.value(skip_trivia(rest))?;
                Ok((rest, Item::Let { name, value }))
            }
            _ => {
                let (rest, name) = self.ident(
                    skip_trivia(rest),
                    &format!(
                        "a name after `{}`, as in `{} NAME {{ ... }}`",
                        kw.name, kw.name
                    ),
                )?;
                let (rest, block) = self.block_body(i, kw, Some(name), skip_trivia(rest))?;
                Ok((rest, Item::Definition(block)))
            }
        }
    }

    fn ident(&self, i: &'s str, expected: &str) -> PResult<'s, Ident> {
        match ident_text(i) {
            Ok((rest, text)) => Ok((
                rest,
                Ident {
                    name: text.to_string(),
                    span: self.span(i, rest),
                },
            )),
            Err(_) => Err(self.fail(i, expected)),
        }
    }

    fn expect(&self, i: &'s str, c: char, expected: &str) -> Result<&'s str, Fail> {
        i.strip_prefix(c).ok_or_else(|| self.fail(i, expected))
    }

    fn enter(&mut self, at: &str) -> Result<(), Fail> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Fail {
                diag: Diagnostic::new(
                    Code::SyntaxError,
                    format!("nesting deeper than {MAX_NESTING} levels"),
                    self.point(at),
                    "too deeply nested",
                )
                .with_help("flatten the structure, for example with `let` constants"),
            });
        }
        Ok(())
    }

    /// `{ entries }` after `KIND NAME?`; `start` is where the kind began.
    fn block_body(
        &mut self,
        start: &'s str,
        kind: Ident,
        name: Option<Ident>,
        i: &'s str,
    ) -> PResult<'s, Block> {
        let open = i;
        let mut i = self.expect(i, '{', "`{` to open the block")?;
        self.enter(open)?;
        let mut entries = Vec::new();
        loop {
            i = skip_separators(i);
            if let Some(rest) = i.strip_prefix('}') {
                self.depth -= 1;
                let span = self.span(start, rest);
                return Ok((
                    rest,
                    Block {
                        kind,
                        name,
                        entries,
                        span,
                    },
                ));
            }
            if i.is_empty() {
                return Err(self.unclosed(open, '{', '}'));
            }
            let entry_start = i;
            let (rest, key) = self.ident(i, "an attribute `NAME = VALUE`, a block, or `}`")?;
            let rest = skip_trivia(rest);
            if let Some(after_eq) = rest.strip_prefix('=') {
                let (rest, value) = self.value(skip_trivia(after_eq))?;
                entries.push(Entry::Attr(Attr { key, value }));
                i = rest;
            } else if rest.starts_with('{') {
                let (rest, block) = self.block_body(entry_start, key, None, rest)?;
                entries.push(Entry::Block(block));
                i = rest;
            } else if rest.starts_with(is_ident_start) {
                let (after_name, name) = self.ident(rest, "a block name")?;
                let (rest, block) =
                    self.block_body(entry_start, key, Some(name), skip_trivia(after_name))?;
                entries.push(Entry::Block(block));
                i = rest;
            } else {
                return Err(self.fail(rest, &format!("`=` after `{}`", key.name)));
            }
        }
    }

    fn unclosed(&self, open: &str, open_c: char, close_c: char) -> Fail {
        // Point at the last character of the file, so the label lands on a visible line.
        let trimmed = self.src.trim_end();
        let last = trimmed.char_indices().last().map_or(0, |(i, _)| i);
        Fail {
            diag: Diagnostic::new(
                Code::UnclosedDelimiter,
                format!("unclosed `{open_c}`"),
                self.point(&self.src[last..]),
                format!("the file ends here, expected `{close_c}`"),
            )
            .with_label(self.point(open), "opened here")
            .with_help(format!("add `{close_c}` to close it")),
        }
    }

    fn value(&mut self, i: &'s str) -> PResult<'s, Value> {
        let first = i.chars().next();
        match first {
            Some('"') => {
                let (rest, s) = self.string(i)?;
                Ok((
                    rest,
                    Value {
                        kind: ValueKind::Str(s),
                        span: self.span(i, rest),
                    },
                ))
            }
            Some('[') => self.list(i),
            Some('{') => self.map(i),
            Some(c) if c.is_ascii_digit() || c == '-' => self.integer(i),
            Some(c) if is_ident_start(c) => self.path_or_call(i),
            _ => Err(self.fail(i, "a value (string, number, list, map or name)")),
        }
    }

    fn integer(&self, i: &'s str) -> PResult<'s, Value> {
        let (rest, text) = integer_text(i).map_err(|_| self.fail(i, "a number"))?;
        if rest.starts_with(is_ident_char) {
            return Err(self.fail(rest, "a separator after the number"));
        }
        let span = self.span(i, rest);
        match text.parse::<i64>() {
            Ok(n) => Ok((
                rest,
                Value {
                    kind: ValueKind::Int(n),
                    span,
                },
            )),
            Err(_) => Err(Fail {
                diag: Diagnostic::new(
                    Code::IntegerOutOfRange,
                    "integer out of range",
                    span,
                    "does not fit in 64 bits",
                )
                .with_help("integers range from -9223372036854775808 to 9223372036854775807"),
            }),
        }
    }

    fn path_or_call(&mut self, i: &'s str) -> PResult<'s, Value> {
        let (mut rest, first) = self.ident(i, "a name")?;
        if first.name == "true" || first.name == "false" {
            let kind = ValueKind::Bool(first.name == "true");
            return Ok((
                rest,
                Value {
                    kind,
                    span: first.span,
                },
            ));
        }
        if let Some(after_paren) = rest.strip_prefix('(') {
            let open = rest;
            self.enter(open)?;
            let mut args = Vec::new();
            let mut j = after_paren;
            loop {
                j = skip_separators(j);
                if let Some(after) = j.strip_prefix(')') {
                    self.depth -= 1;
                    let span = self.span(i, after);
                    return Ok((
                        after,
                        Value {
                            kind: ValueKind::Call { name: first, args },
                            span,
                        },
                    ));
                }
                if j.is_empty() {
                    return Err(self.unclosed(open, '(', ')'));
                }
                let (after, arg) = self.value(j)?;
                args.push(arg);
                j = after;
            }
        }
        let mut segments = vec![first];
        while let Some(after_dot) = rest.strip_prefix('.') {
            let (after, seg) = self.ident(after_dot, "a name after `.`")?;
            segments.push(seg);
            rest = after;
        }
        Ok((
            rest,
            Value {
                kind: ValueKind::Path(segments),
                span: self.span(i, rest),
            },
        ))
    }

    fn list(&mut self, i: &'s str) -> PResult<'s, Value> {
        self.enter(i)?;
        let mut items = Vec::new();
        let mut j = &i[1..];
        loop {
            j = skip_separators(j);
            if let Some(rest) = j.strip_prefix(']') {
                self.depth -= 1;
                return Ok((
                    rest,
                    Value {
                        kind: ValueKind::List(items),
                        span: self.span(i, rest),
                    },
                ));
            }
            if j.is_empty() {
                return Err(self.unclosed(i, '[', ']'));
            }
            let (rest, v) = self.value(j)?;
            items.push(v);
            j = rest;
        }
    }

    fn map(&mut self, i: &'s str) -> PResult<'s, Value> {
        self.enter(i)?;
        let mut entries = Vec::new();
        let mut j = &i[1..];
        loop {
            j = skip_separators(j);
            if let Some(rest) = j.strip_prefix('}') {
                self.depth -= 1;
                return Ok((
                    rest,
                    Value {
                        kind: ValueKind::Map(entries),
                        span: self.span(i, rest),
                    },
                ));
            }
            if j.is_empty() {
                return Err(self.unclosed(i, '{', '}'));
            }
            let (rest, key) = if j.starts_with('"') {
                let (rest, s) = self.string(j)?;
                (
                    rest,
                    Ident {
                        name: s,
                        span: self.span(j, rest),
                    },
                )
            } else {
                self.ident(j, "a key (a name or a quoted string) or `}`")?
            };
            let rest = self.expect(
                skip_trivia(rest),
                '=',
                &format!("`=` after the key `{}`", key.name),
            )?;
            let (rest, v) = self.value(skip_trivia(rest))?;
            entries.push((key, v));
            j = rest;
        }
    }

    /// A double-quoted string on one line, with `\" \\ \n \t \u{HEX}` escapes.
    fn string(&self, i: &'s str) -> PResult<'s, String> {
        let mut out = String::new();
        let mut j = &i[1..];
        loop {
            let (rest, plain) = plain_string_run(j);
            out.push_str(plain);
            j = rest;
            match j.chars().next() {
                Some('"') => {
                    let rest = &j[1..];
                    if out.len() > MAX_STRING_BYTES {
                        return Err(Fail {
                            diag: Diagnostic::new(
                                Code::SyntaxError,
                                format!("string longer than {MAX_STRING_BYTES} bytes"),
                                self.span(i, rest),
                                "too long",
                            )
                            .with_help("strings hold names, hosts and paths; keep large content out of the topology"),
                        });
                    }
                    return Ok((rest, out));
                }
                Some('\\') => {
                    let esc_start = j;
                    let mut chars = j[1..].chars();
                    let c = chars.next();
                    let (ch, len) = match c {
                        Some('"') => ('"', 2),
                        Some('\\') => ('\\', 2),
                        Some('n') => ('\n', 2),
                        Some('t') => ('\t', 2),
                        Some('u') if j[2..].starts_with('{') => match j[3..].find('}') {
                            Some(close) => {
                                let hex = &j[3..3 + close];
                                match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                                    Some(ch) => (ch, 3 + close + 1),
                                    None => return Err(self.bad_escape(esc_start, 3 + close + 1)),
                                }
                            }
                            None => return Err(self.bad_escape(esc_start, 2)),
                        },
                        Some(other) => return Err(self.bad_escape(esc_start, 1 + other.len_utf8())),
                        None => return Err(self.unterminated(i)),
                    };
                    out.push(ch);
                    j = &j[len..];
                }
                _ => return Err(self.unterminated(i)),
            }
        }
    }

    fn bad_escape(&self, at: &'s str, len: usize) -> Fail {
        let len = (0..=len.min(at.len()))
            .rev()
            .find(|&l| at.is_char_boundary(l))
            .unwrap_or(0);
        let span = self.span(at, &at[len..]);
        Fail {
            diag: Diagnostic::new(
                Code::InvalidEscape,
                "invalid escape sequence",
                span,
                "not a known escape",
            )
            .with_help(r#"use \", \\, \n, \t or \u{HEX}; write \\ for a literal backslash"#),
        }
    }

    fn unterminated(&self, start: &'s str) -> Fail {
        let line_end = start.find('\n').unwrap_or(start.len());
        Fail {
            diag: Diagnostic::new(
                Code::UnterminatedString,
                "unterminated string",
                self.span(start, &start[line_end..]),
                "this string has no closing `\"` on its line",
            )
            .with_help(
                "close the string with `\"`; strings cannot span lines, use \\n for a newline",
            ),
        }
    }
}

/// Trivia plus the optional `,` or `;` between entries and elements.
fn skip_separators(i: &str) -> &str {
    let mut i = skip_trivia(i);
    while let Some(rest) = i.strip_prefix([',', ';']) {
        i = skip_trivia(rest);
    }
    i
}

fn describe_token(i: &str) -> String {
    match i.chars().next() {
        None => "the end of the file".to_string(),
        Some(c) if is_ident_start(c) => {
            let word: String = i.chars().take_while(|&c| is_ident_char(c)).collect();
            format!("`{word}`")
        }
        Some('\n') => "the end of the line".to_string(),
        Some(c) => format!("`{}`", c.escape_debug()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> File {
        let (file, diags) = parse(FileId(0), text);
        assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
        file
    }

    fn codes(text: &str) -> Vec<(Code, u32)> {
        parse(FileId(0), text)
            .1
            .iter()
            .map(|d| (d.code, d.primary.span.start))
            .collect()
    }

    #[test]
    fn parses_definitions_values_and_nested_blocks() {
        let f = parse_ok(
            r#"import "stdlib/gloo"
let prod = { env = "prod", "app.kubernetes.io/name" = "x" }
gateway gw { namespace = "a"; to = [east, west]
  listener http { port = 8080 protocol = HTTP }
  rule { match = [{ path = prefix("/") }] ok = true n = -3 }
}"#,
        );
        assert_eq!(f.items.len(), 3);
        let Item::Definition(gw) = &f.items[2] else {
            panic!("not a definition")
        };
        assert_eq!(gw.kind.name, "gateway");
        assert_eq!(gw.entries.len(), 4);
        let Entry::Block(listener) = &gw.entries[2] else {
            panic!("not a block")
        };
        assert_eq!(
            listener.name.as_ref().map(|n| n.name.as_str()),
            Some("http")
        );
    }

    #[test]
    fn spans_are_byte_offsets_across_multibyte_text() {
        let text = "# ünïcödé\ncluster é { }";
        let (_, diags) = parse(FileId(0), text);
        assert_eq!(diags.len(), 1);
        let start = diags[0].primary.span.start as usize;
        assert_eq!(&text[start..start + 'é'.len_utf8()], "é");
    }

    #[test]
    fn reports_every_broken_definition_and_recovers() {
        let found = codes(
            "cluster a { x = }\ncluster b { y = \"open\n}\ncluster c { z = 1 }\nroute r { w = 1",
        );
        let kinds: Vec<Code> = found.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            kinds,
            [
                Code::SyntaxError,
                Code::UnterminatedString,
                Code::UnclosedDelimiter
            ]
        );
    }

    #[test]
    fn string_escapes() {
        let f = parse_ok(r#"let s = "a\"b\\c\n\u{e9}""#);
        let Item::Let { value, .. } = &f.items[0] else {
            panic!()
        };
        assert_eq!(value.kind, ValueKind::Str("a\"b\\c\n\u{e9}".into()));
        assert_eq!(codes(r#"let s = "\q""#), [(Code::InvalidEscape, 9)]);
    }

    #[test]
    fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
        let text = format!("let x = {}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(codes(&text).first().map(|c| c.0), Some(Code::SyntaxError));
    }

    #[test]
    fn crlf_tabs_and_long_strings() {
        let f = parse_ok("cluster east {\r\n\tlabels = { env = \"prod\" }\r\n}\r\n# comment\r\ncluster west { }\r\n");
        assert_eq!(f.items.len(), 2);
        let long = format!("let s = \"{}\"", "x".repeat(MAX_STRING_BYTES + 1));
        assert_eq!(codes(&long).first().map(|c| c.0), Some(Code::SyntaxError));
    }

    #[test]
    fn nul_bytes_are_a_diagnostic() {
        assert_eq!(
            codes("cluster east { }\0").first().map(|c| c.0),
            Some(Code::SyntaxError)
        );
    }

    #[test]
    fn integer_overflow() {
        assert_eq!(
            codes("let x = 99999999999999999999").first().map(|c| c.0),
            Some(Code::IntegerOutOfRange)
        );
    }
}
