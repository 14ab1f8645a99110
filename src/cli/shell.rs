//! The one reporter: every line the binary writes to standard error goes through [`Shell`], as cargo's own
//! `Shell` does. It alone knows the prefix (`presence-stack: error: `, `presence-stack: warning: `,
//! `presence-stack: `), and it alone prints a library [`Diagnostic`], with its catalog id, in the format
//! `check --message-format` chose. A reader that closed a stream early costs nothing: a line that cannot be written is dropped, where
//! `eprintln!` would crash the tool.

use std::io::{self, Write};

use presence_stack::{Diagnostic, Severity};

/// How located diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum MessageFormat {
    /// One line each on standard error, ending in the diagnostic's id
    #[default]
    Text,
    /// One JSON array of every diagnostic on standard output
    Json,
    /// One SARIF 2.1.0 log on standard output (GitHub code scanning and other SARIF readers)
    Sarif,
    /// GitHub Actions workflow commands on standard output: an annotation at each diagnostic's line
    Github,
}

/// Where the reporter writes: standard error, or a buffer in tests.
pub(crate) struct Shell {
    err: Box<dyn Write>,
    format: MessageFormat,
    /// The diagnostics of a format written as one document at the end.
    collected: Vec<Diagnostic>,
}

const PREFIX: &str = "presence-stack: ";

impl Shell {
    /// The reporter of the process: standard error, text.
    pub(crate) fn new() -> Shell {
        Shell::to(Box::new(io::stderr()))
    }

    pub(crate) fn to(err: Box<dyn Write>) -> Shell {
        Shell {
            err,
            format: MessageFormat::Text,
            collected: Vec::new(),
        }
    }

    pub(crate) fn set_format(&mut self, format: MessageFormat) {
        self.format = format;
    }

    /// `presence-stack: error: <message>`.
    pub(crate) fn error(&mut self, message: impl std::fmt::Display) {
        self.line(format_args!("{PREFIX}error: {message}"));
    }

    /// `presence-stack: warning: <message>`.
    pub(crate) fn warn(&mut self, message: impl std::fmt::Display) {
        self.line(format_args!("{PREFIX}warning: {message}"));
    }

    /// `presence-stack: <message>`: what was done, a summary, the next step.
    pub(crate) fn note(&mut self, message: impl std::fmt::Display) {
        self.line(format_args!("{PREFIX}{message}"));
    }

    /// A line as it is, without the prefix: a line of a diff, a reference into a data file, an indented command.
    pub(crate) fn plain(&mut self, message: impl std::fmt::Display) {
        self.line(format_args!("{message}"));
    }

    /// Text as it is, lines and all (a diff).
    pub(crate) fn text(&mut self, text: &str) {
        let _ = self.err.write_all(text.as_bytes());
    }

    fn line(&mut self, line: std::fmt::Arguments) {
        let _ = writeln!(self.err, "{line}");
    }

    /// Library diagnostics, in the chosen format: warnings first, then errors, as the user reads them before the
    /// exit code.
    pub(crate) fn diagnostics(&mut self, diagnostics: &[Diagnostic]) {
        let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics.iter().partition(|d| d.is_error());
        for d in warnings.into_iter().chain(errors) {
            self.diagnostic(d);
        }
    }

    fn diagnostic(&mut self, d: &Diagnostic) {
        let id = d.id.code();
        match (self.format, d.severity) {
            (MessageFormat::Text, Severity::Error) => self.error(format_args!("{d} [{id}]")),
            (MessageFormat::Text, Severity::Warning) => self.warn(format_args!("{d} [{id}]")),
            (MessageFormat::Json | MessageFormat::Sarif, _) => self.collected.push(d.clone()),
            (MessageFormat::Github, _) => {
                let mut out = io::stdout().lock();
                let _ = writeln!(out, "{}", super::formats::github(d));
            }
        }
    }

    /// The end of a run that reports diagnostics: the document of a format that writes one, on standard output,
    /// even when it is empty (an empty array, a SARIF log without results), so that a reader always gets one.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        let document = match self.format {
            MessageFormat::Json => super::formats::json(&self.collected),
            MessageFormat::Sarif => super::formats::sarif(&self.collected),
            MessageFormat::Text | MessageFormat::Github => return Ok(()),
        };
        self.collected.clear();
        let mut out = io::stdout().lock();
        out.write_all(document.as_bytes())?;
        out.flush()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    pub(crate) struct Captured(pub(crate) Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn one_prefix_for_every_kind_of_line() {
        let captured = Captured::default();
        let mut shell = Shell::to(Box::new(captured.clone()));
        shell.error("x.yaml: bad");
        shell.warn("x.yaml: odd");
        shell.note("x.yaml: 1 pipeline(s) checked");
        shell.plain("  aws cloudformation deploy");
        let error = Diagnostic::new(
            presence_stack::Id::PipelineName,
            "c.yaml",
            "pipelines[0].name",
            "no",
        );
        let warning = Diagnostic::new(
            presence_stack::Id::RuleDisabled,
            "c.yaml",
            "pipelines[0].rule.enabled",
            "off",
        );
        shell.diagnostics(&[error, warning]);
        assert_eq!(
            captured.text(),
            "presence-stack: error: x.yaml: bad\n\
             presence-stack: warning: x.yaml: odd\n\
             presence-stack: x.yaml: 1 pipeline(s) checked\n  \
             aws cloudformation deploy\n\
             presence-stack: warning: c.yaml: pipelines[0].rule.enabled: off [PS303]\n\
             presence-stack: error: c.yaml: pipelines[0].name: no [PS101]\n"
        );
    }
}
