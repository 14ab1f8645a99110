//! The library's errors and warnings: typed, with the file, the dotted path in the config, the line and the
//! column kept as fields so that callers and tests can use them, not only the text.

use std::fmt;

use crate::catalog::Id;
use crate::emit::{EmitError, Format};
use crate::render::RenderFailure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about a config file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Which diagnostic of the catalog this is.
    pub id: Id,
    /// The catalog's severity of `id`.
    pub severity: Severity,
    /// How the file was named to the tool (`examples/presence.yaml`, `<stdin>`).
    pub file: String,
    /// Dotted path of the offending node, e.g. `pipelines[0].table.sort_key.type`; empty for the whole file.
    pub path: String,
    pub message: String,
    /// What to write instead, when there is a clear answer.
    pub hint: Option<String>,
    /// Position in the config file (1-based).
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Column (1-based, in characters) inside the SQL or SQL expression the path points at.
    pub sql_column: Option<usize>,
}

impl Diagnostic {
    /// A finding of the catalog's diagnostic `id`, with its severity.
    pub fn new(
        id: Id,
        file: &str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            id,
            severity: id.severity(),
            file: file.to_owned(),
            path: path.into(),
            message: message.into(),
            hint: None,
            line: None,
            column: None,
            sql_column: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The message with the column in the SQL in front, when it has one: what the text says after the path.
    pub fn text(&self) -> String {
        match self.sql_column {
            Some(c) => format!("column {c}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// Whether the one-line text shows the line and column in the file. A finding in the rule SQL shows its
    /// column in the SQL instead, since a rule is often a block of several lines; a computed key's expression
    /// is short and written on its key's line, so it shows both. Machine formats always carry the line.
    fn shows_position(&self) -> bool {
        self.sql_column.is_none() || self.path.ends_with(".expression")
    }
}

impl fmt::Display for Diagnostic {
    /// `file: path: [column C: ]message[; hint][ (line L, column C)]`: one line, so that tools can grep it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.text())?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        match (self.line, self.column) {
            _ if !self.shows_position() => Ok(()),
            (Some(l), Some(c)) => write!(f, " (line {l}, column {c})"),
            (Some(l), None) => write!(f, " (line {l})"),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config is not valid; every error found is listed (warnings found on the way too).
    #[error("{}", join_lines(.0))]
    Config(Vec<Diagnostic>),
    #[error(transparent)]
    Render(#[from] RenderFailure),
    #[error(transparent)]
    Emit(#[from] EmitError),
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
}

/// A template over the 1,000,000 bytes CloudFormation accepts even from S3, with what would fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TooLarge {
    pub file: String,
    /// The format that was written, and measured.
    pub format: Format,
    pub bytes: usize,
    pub pipelines: usize,
    /// The bytes a pipeline of this config adds to the template, on average (rounded up).
    pub per_pipeline: usize,
    /// How many pipelines of that size fit in one stack.
    pub fit: usize,
    /// The other format, with its size, when that one fits.
    pub other: Option<(Format, usize)>,
}

impl TooLarge {
    /// The same, as the catalog's diagnostic of the whole file.
    pub fn diagnostic(&self) -> Diagnostic {
        let text = self.to_string();
        let message = text
            .strip_prefix(&format!("{}: ", self.file))
            .unwrap_or(&text);
        Diagnostic::new(Id::TemplateTooLarge, &self.file, "", message)
    }
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the {} template is {} bytes, over the {} CloudFormation accepts even from S3; at {} bytes a \
             pipeline, {} of these {} pipelines fit in one stack: split them over several stacks",
            self.file,
            format_name(self.format),
            self.bytes,
            crate::MAX_TEMPLATE_BYTES,
            self.per_pipeline,
            self.fit,
            self.pipelines
        )?;
        if let Some((format, bytes)) = self.other {
            write!(f, ", or write {} ({bytes} bytes)", format_name(format))?;
        }
        Ok(())
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Json => "JSON",
        Format::Yaml => "YAML",
    }
}

fn join_lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
