//! `presence-stack check`: every check of a config, and the drift gate against a committed template.

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use presence_stack::{Format, Source};

use super::files::{io_reason, read_config, shell_word};
use super::{Failure, report_warnings};

#[derive(clap::Args)]
pub(super) struct CheckArgs {
    /// The config file; `-` reads standard input
    config: PathBuf,
    /// A template to compare, byte for byte, with what synth writes in its format (from its extension)
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Exit with status 1 when there are warnings
    #[arg(long)]
    deny_warnings: bool,
}

pub(super) fn run(args: &CheckArgs) -> Result<ExitCode, Failure> {
    let (name, text) = read_config(&args.config)?;
    let source = Source {
        name: &name,
        text: &text,
    };
    // Synthesis runs every check, and also knows the template's size (a warning past 51,200 bytes): compare in
    // the template's format when there is one, else measure the default JSON.
    let format = args
        .template
        .as_deref()
        .and_then(Format::from_path)
        .unwrap_or(Format::Json);
    let synthesis = presence_stack::synthesize(source, format)?;
    let warnings = synthesis.warnings;
    report_warnings(&warnings);
    let mut summary = format!(
        "{name}: {} pipeline(s) checked",
        synthesis.model.pipelines.len()
    );
    if let Some(path) = &args.template {
        let shown = path.display().to_string();
        let expected = synthesis.template;
        let actual = fs::read(path)
            .map_err(|e| format!("{shown}: cannot read the template: {}", io_reason(&e)))?;
        if actual != expected.as_bytes() {
            let actual = String::from_utf8_lossy(&actual);
            let diff = short_diff(&actual, &expected, &shown);
            let mut stderr = io::stderr().lock();
            let _ = write!(stderr, "{diff}");
            return Err(Failure(vec![format!(
                "{shown}: is not what `presence-stack synth {}` writes; regenerate it with `presence-stack synth {} -o {}`",
                args.config.display(),
                args.config.display(),
                shell_word(&shown)
            )]));
        }
        summary.push_str(&format!(", {shown} is up to date"));
    }
    if args.deny_warnings && !warnings.is_empty() {
        return Err(Failure(vec![format!(
            "{name}: {} warning(s) and --deny-warnings",
            warnings.len()
        )]));
    }
    message!("presence-stack: {summary}");
    Ok(ExitCode::SUCCESS)
}

/// A unified diff of the first differences only: enough to see what drifted without flooding a CI log.
fn short_diff(actual: &str, expected: &str, name: &str) -> String {
    const MAX_LINES: usize = 40;
    let diff = similar::TextDiff::from_lines(actual, expected);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (on disk)"), &format!("{name} (synth)"))
        .to_string();
    let total = text.lines().count();
    let mut out: String = text
        .lines()
        .take(MAX_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    if total > MAX_LINES {
        out.push_str(&format!("... {} more diff lines\n", total - MAX_LINES));
    }
    out
}
