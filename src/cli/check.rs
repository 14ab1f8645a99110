//! `presence-stack check`: every check of a config, and the drift gate against a committed template.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use presence_stack::{Format, Source};

use super::files::{io_reason, read_config, shell_word};
use super::shell::{MessageFormat, Shell};
use super::{DEFAULT_CONFIG, Failure};

#[derive(clap::Args)]
pub(super) struct CheckArgs {
    /// The config files (each checked on its own, as a pre-commit hook passes them); `-` reads standard input
    #[arg(default_value = DEFAULT_CONFIG)]
    config: Vec<PathBuf>,
    /// A template to compare, byte for byte, with what synth writes in its format (from its extension); with one
    /// config only
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Exit with status 1 when there are warnings
    #[arg(long)]
    deny_warnings: bool,
    /// How to print the diagnostics: text on standard error, or on standard output a JSON array, a SARIF 2.1.0
    /// log or GitHub Actions annotations
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    message_format: MessageFormat,
}

pub(super) fn run(args: &CheckArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    shell.set_format(args.message_format);
    if let [config] = args.config.as_slice() {
        return check(args, config, shell);
    }
    if args.template.is_some() {
        return Err(Failure::Usage(
            "--template compares one config's template: give one config with it".to_owned(),
        ));
    }
    // Every config is checked, whatever the ones before it gave; the exit code is the worst.
    let mut code = ExitCode::SUCCESS;
    for config in &args.config {
        if let Err(failure) = check(args, config, shell) {
            code = super::report_failure(Err(failure), shell);
            if code != ExitCode::FAILURE {
                return Ok(code);
            }
        }
    }
    Ok(code)
}

/// Every check of one config, and its drift against `--template`.
fn check(args: &CheckArgs, config: &Path, shell: &mut Shell) -> Result<ExitCode, Failure> {
    let (name, text) = read_config(config)?;
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
    shell.diagnostics(&warnings);
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
            let regenerate = format!(
                "regenerate it with `presence-stack synth {} -o {}`",
                config.display(),
                shell_word(&shown)
            );
            // A diff of lines that look the same helps nobody: name what cannot be seen, and what causes it.
            if let Some(invisible) = invisible_differences(&actual, &expected) {
                let what: Vec<_> = invisible.iter().map(|d| d.what()).collect();
                let causes: Vec<_> = invisible.iter().map(|d| d.cause(&shown)).collect();
                return Err(Failure::error(format!(
                    "{shown}: is what synth writes except for {}; {regenerate}, and {}",
                    what.join(" and "),
                    causes.join("; ")
                )));
            }
            // CRLF line endings make every line differ: diff without them, so that the real change shows.
            let mut actual = String::from_utf8_lossy(&actual).into_owned();
            let crlf = if actual.contains("\r\n") {
                actual = actual.replace("\r\n", "\n");
                " (its CRLF line endings differ too: synth writes LF; the diff leaves them out)"
            } else {
                ""
            };
            let diff = short_diff(&actual, &expected, &shown);
            shell.text(&diff);
            return Err(Failure::error(format!(
                "{shown}: is not what `presence-stack synth {}` writes{crlf}; {regenerate}",
                config.display(),
            )));
        }
        summary.push_str(&format!(", {shown} is up to date"));
    }
    if args.deny_warnings && !warnings.is_empty() {
        return Err(Failure::error(format!(
            "{name}: {} warning(s) and --deny-warnings",
            warnings.len()
        )));
    }
    shell.note(summary);
    Ok(ExitCode::SUCCESS)
}

/// A difference between a template on disk and synth's that a diff shows as lines that look identical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Invisible {
    ByteOrderMark,
    Crlf,
    NoFinalNewline,
}

impl Invisible {
    fn what(self) -> &'static str {
        match self {
            Invisible::ByteOrderMark => "a byte order mark at its start",
            Invisible::Crlf => "its CRLF line endings (synth writes LF)",
            Invisible::NoFinalNewline => "a missing newline at its end",
        }
    }

    /// What usually does this, and how to keep it from happening again.
    fn cause(self, file: &str) -> String {
        let base = std::path::Path::new(file)
            .file_name()
            .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned());
        match self {
            Invisible::ByteOrderMark => {
                "save it as UTF-8 without a BOM if an editor added one".to_owned()
            }
            Invisible::Crlf => format!(
                "keep git from converting it on checkout (core.autocrlf): add `{base} -text` (or `{base} eol=lf`) to \
                 .gitattributes"
            ),
            Invisible::NoFinalNewline => {
                "keep the editor from removing the final newline".to_owned()
            }
        }
    }
}

/// The invisible differences that make up everything `actual` differs from `expected` by, or `None` when the
/// text itself differs (or the two are the same).
fn invisible_differences(actual: &[u8], expected: &str) -> Option<Vec<Invisible>> {
    let mut found = Vec::new();
    let mut text = actual;
    if let Some(rest) = text.strip_prefix(b"\xEF\xBB\xBF") {
        found.push(Invisible::ByteOrderMark);
        text = rest;
    }
    let mut text = text.to_vec();
    if text.windows(2).any(|w| w == b"\r\n") {
        found.push(Invisible::Crlf);
        text = String::from_utf8_lossy(&text)
            .replace("\r\n", "\n")
            .into_bytes();
    }
    if !text.ends_with(b"\n") && expected.ends_with('\n') {
        found.push(Invisible::NoFinalNewline);
        text.push(b'\n');
    }
    (!found.is_empty() && text == expected.as_bytes()).then_some(found)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_differences_are_named_and_visible_ones_are_not() {
        let expected = "a: 1\nb: 2\n";
        let invisible = |actual: &str| invisible_differences(actual.as_bytes(), expected);
        assert_eq!(invisible("a: 1\r\nb: 2\r\n"), Some(vec![Invisible::Crlf]));
        assert_eq!(
            invisible("a: 1\nb: 2"),
            Some(vec![Invisible::NoFinalNewline])
        );
        assert_eq!(
            invisible("\u{feff}a: 1\nb: 2\n"),
            Some(vec![Invisible::ByteOrderMark])
        );
        assert_eq!(
            invisible("\u{feff}a: 1\r\nb: 2"),
            Some(vec![
                Invisible::ByteOrderMark,
                Invisible::Crlf,
                Invisible::NoFinalNewline
            ])
        );
        assert_eq!(invisible("a: 1\r\nb: 3\r\n"), None, "a real change too");
        assert_eq!(invisible("a: 1\nb: 3\n"), None);
        assert_eq!(invisible(expected), None);
        assert!(
            Invisible::Crlf
                .cause("ci/template.yaml")
                .contains("`template.yaml -text`")
        );
    }
}
