//! The one reporter: every line the binary writes to standard error goes through [`Shell`], as cargo's own
//! `Shell` does. It alone knows the prefix (`presence-stack: error: `, `presence-stack: warning: `,
//! `presence-stack: `), and it alone prints a library [`Diagnostic`]. A reader that closed a stream early costs nothing: a line that cannot be written is dropped, where
//! `eprintln!` would crash the tool.

use std::io::{self, Write};

use presence_stack::{Diagnostic, Severity};

/// Where the reporter writes: standard error, or a buffer in tests.
pub(crate) struct Shell {
    err: Box<dyn Write>,
}

const PREFIX: &str = "presence-stack: ";

impl Shell {
    /// The reporter of the process: standard error, text.
    pub(crate) fn new() -> Shell {
        Shell::to(Box::new(io::stderr()))
    }

    pub(crate) fn to(err: Box<dyn Write>) -> Shell {
        Shell { err }
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
        match d.severity {
            Severity::Error => self.error(d),
            Severity::Warning => self.warn(d),
        }
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
        let error = Diagnostic::new(Severity::Error, "c.yaml", "pipelines[0].name", "no");
        let warning = Diagnostic::new(
            Severity::Warning,
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
             presence-stack: warning: c.yaml: pipelines[0].rule.enabled: off\n\
             presence-stack: error: c.yaml: pipelines[0].name: no\n"
        );
    }
}
