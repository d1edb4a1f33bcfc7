//! The `topoc` command line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use topoc::diag::{Code, Severity};
use topoc::{emit, report, Compilation, Options};

/// Exit codes: 0 success (warnings allowed), 1 the input has errors, 2 usage or I/O failure.
const EXIT_INPUT: u8 = 1;
const EXIT_IO: u8 = 2;

#[derive(Parser)]
#[command(
    name = "topoc",
    version,
    about = "Compile multi-cluster gateway topologies into checked, per-cluster Kubernetes manifests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    /// Rendered reports with source excerpts.
    Human,
    /// One JSON object per diagnostic and line (code, severity, message, file, line, column,
    /// byte span, labels, help).
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Lint {
    /// Treat every warning as an error.
    Warnings,
}

#[derive(clap::Args)]
struct Common {
    /// `.topo` files or folders (every `.topo` file below a folder, in sorted order).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Colors in diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Fail on warnings too.
    #[arg(long = "deny", value_enum)]
    deny: Vec<Lint>,
    /// Let imports reach files outside the folders named on the command line.
    #[arg(long)]
    allow_imports_outside: bool,
    /// How diagnostics are printed (on standard error).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Check the topology and write one folder of manifests per cluster.
    Build {
        #[command(flatten)]
        common: Common,
        /// Output folder. Files topoc wrote before and no longer produces are removed.
        #[arg(long, short)]
        out: PathBuf,
        /// `files`: DIR/<cluster>/<namespace>/<kind>-<name>.yaml with a kustomization.yaml;
        /// `bundle`: one multi-document DIR/<cluster>.yaml.
        #[arg(long, value_enum, default_value_t = emit::Layout::Files)]
        layout: emit::Layout,
        /// Write into a non-empty folder that topoc did not create.
        #[arg(long)]
        force: bool,
        /// Test hook: abort after staging N files (proves a killed build leaves old output).
        #[arg(long, hide = true)]
        failpoint_after: Option<usize>,
    },
    /// Parse, resolve and check only; write nothing.
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// Explain a diagnostic code, with a failing and a fixed example.
    Explain {
        /// A code such as E0301.
        code: Option<String>,
        /// List every code with its summary.
        #[arg(long)]
        list: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            common,
            out,
            layout,
            force,
            failpoint_after,
        } => {
            let Some(c) = run(
                &common,
                Options {
                    render: true,
                    layout,
                    load: common.load_options(),
                },
            ) else {
                return ExitCode::from(EXIT_IO);
            };
            if failed(&c, &common) {
                return ExitCode::from(EXIT_INPUT);
            }
            let Some(tree) = &c.tree else {
                return ExitCode::from(EXIT_INPUT);
            };
            match emit::write_with(&out, tree, force, emit::Failpoint(failpoint_after)) {
                Ok(stats) => {
                    eprintln!(
                        "topoc: {} files in {} ({} written, {} unchanged, {} removed)",
                        tree.len(),
                        out.display(),
                        stats.written,
                        stats.unchanged,
                        stats.removed
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(EXIT_IO)
                }
            }
        }
        Command::Check { common } => {
            let Some(c) = run(
                &common,
                Options {
                    render: false,
                    layout: emit::Layout::default(),
                    load: common.load_options(),
                },
            ) else {
                return ExitCode::from(EXIT_IO);
            };
            if failed(&c, &common) {
                ExitCode::from(EXIT_INPUT)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Explain { code, list } => explain(code.as_deref(), list),
    }
}

/// Compile and print the diagnostics; `None` when an input could not be read.
fn run(common: &Common, options: Options) -> Option<Compilation> {
    match topoc::compile(&common.paths, options) {
        Ok(c) => {
            let color = match common.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => std::io::stderr().is_terminal(),
            };
            let text = match common.message_format {
                MessageFormat::Human => report::render_all(&c.diagnostics, &c.sources, color),
                MessageFormat::Json => report::render_json(&c.diagnostics, &c.sources),
            };
            let _ = std::io::stderr().write_all(text.as_bytes());
            Some(c)
        }
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

impl Common {
    fn load_options(&self) -> topoc::load::LoadOptions {
        topoc::load::LoadOptions {
            imports_outside: self.allow_imports_outside,
        }
    }
}

fn failed(c: &Compilation, common: &Common) -> bool {
    c.has_errors()
        || (common.deny.contains(&Lint::Warnings)
            && c.diagnostics
                .iter()
                .any(|d| d.severity() == Severity::Warning))
}

fn explain(code: Option<&str>, list: bool) -> ExitCode {
    if list || code.is_none() {
        for c in Code::ALL {
            println!("{c}  {}", c.title());
        }
        return ExitCode::SUCCESS;
    }
    let text = code.unwrap_or_default();
    match Code::parse(text) {
        Some(c) => {
            print!("{}", c.explanation());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "error: `{text}` is not a topoc diagnostic code; `topoc explain --list` lists them"
            );
            ExitCode::from(EXIT_IO)
        }
    }
}
