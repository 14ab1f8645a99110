//! The library's errors: typed, with the file, the dotted path in the config, the line and the column kept as
//! fields so that callers and tests can use them, not only the text.

use std::fmt;

use crate::emit::EmitError;
use crate::render::RenderFailure;

/// One problem of a config file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// How the file was named to the tool (`examples/presence.yaml`, `<stdin>`).
    pub file: String,
    /// Dotted path of the offending node, e.g. `pipelines[0].table.sort_key.type`; empty for the whole file.
    pub path: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, " (line {l}, column {c})"),
            (Some(l), None) => write!(f, " (line {l})"),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config is not valid; every problem found is listed.
    #[error("{}", join_lines(.0))]
    Config(Vec<ConfigProblem>),
    #[error(transparent)]
    Render(#[from] RenderFailure),
    #[error(transparent)]
    Emit(#[from] EmitError),
}

fn join_lines(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A finding that does not stop synthesis unless the caller asks for that (`--deny-warnings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub path: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}
