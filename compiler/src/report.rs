//! Rendering diagnostics for people (miette's graphical report) and, kept apart from where
//! they arise, everything about how they look.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::diag::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap, Span};

/// Width of rendered reports; fixed so snapshots do not depend on the terminal.
pub const WIDTH: usize = 100;

struct Report {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn std::fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic))
                as Box<dyn Iterator<Item = _>>
        })
    }
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

fn named(sources: &SourceMap, file: FileId) -> NamedSource<String> {
    let f = sources.get(file);
    NamedSource::new(f.name.clone(), f.text.clone())
}

fn build(d: &Diagnostic, sources: &SourceMap) -> Report {
    let file = d.primary.span.file;
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(d.primary.text.clone()),
        source_span(d.primary.span),
    )];
    let mut related = Vec::new();
    for l in &d.secondary {
        if l.span.file == file {
            labels.push(LabeledSpan::new_with_span(
                Some(l.text.clone()),
                source_span(l.span),
            ));
        } else {
            // A label in another file is shown as a note with that file's source.
            related.push(Report {
                code: String::new(),
                message: l.text.clone(),
                severity: miette::Severity::Advice,
                help: None,
                source: named(sources, l.span.file),
                labels: vec![LabeledSpan::new_primary_with_span(
                    None,
                    source_span(l.span),
                )],
                related: Vec::new(),
            });
        }
    }
    Report {
        code: d.code.as_str().to_string(),
        message: d.message.clone(),
        severity: match d.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        },
        help: d.help.clone(),
        source: named(sources, file),
        labels,
        related,
    }
}

/// Render one diagnostic as text. `color` uses ANSI colors (for terminals only).
pub fn render(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    let mut out = String::new();
    // Rendering into a String cannot fail.
    let _ = handler.render_report(&mut out, &build(d, sources));
    out
}

/// Render every diagnostic and a summary line, as `topoc check` prints them.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&render(d, sources, color));
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity() == Severity::Warning)
        .count();
    let notes = diags.len() - errors - warnings;
    if !diags.is_empty() {
        out.push_str(&format!(
            "{errors} error{}, {warnings} warning{}",
            plural(errors),
            plural(warnings)
        ));
        // Notes are rare; the usual summary line stays as it was without them.
        if notes > 0 {
            out.push_str(&format!(", {notes} note{}", plural(notes)));
        }
        out.push('\n');
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `file:line:col` of a diagnostic's primary span.
pub fn location(d: &Diagnostic, sources: &SourceMap) -> (String, usize, usize) {
    let f = sources.get(d.primary.span.file);
    let (line, col) = f.line_col(d.primary.span.start as usize);
    (f.name.clone(), line, col)
}

/// One diagnostic as a JSON object, for CI annotations and editors: code, severity, message,
/// file, 1-based line and column, byte span, labels and help.
pub fn json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let at = |span: Span| {
        let f = sources.get(span.file);
        let (line, column) = f.line_col(span.start as usize);
        let (end_line, end_column) = f.line_col(span.end as usize);
        serde_json::json!({
            "file": f.name,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "byte_start": span.start,
            "byte_end": span.end,
        })
    };
    let mut labels = vec![];
    for (primary, l) in
        std::iter::once((true, &d.primary)).chain(d.secondary.iter().map(|l| (false, l)))
    {
        let mut v = at(l.span);
        v["text"] = l.text.clone().into();
        v["primary"] = primary.into();
        labels.push(v);
    }
    let mut v = at(d.primary.span);
    v["code"] = d.code.as_str().into();
    v["severity"] = match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
    .into();
    v["message"] = d.message.clone().into();
    v["labels"] = labels.into();
    v["help"] = d.help.clone().into();
    v
}

/// Every diagnostic as JSON Lines, one object per line.
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&json(d, sources).to_string());
        out.push('\n');
    }
    out
}
