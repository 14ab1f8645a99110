//! `stack.ignore` and `pipelines[].ignore`: the warnings a config says not to report, each with its reason. An
//! id no check has, or the id of an error, is a problem of the config; errors are never ignored.

use super::Problem;
use crate::catalog::{CATALOG, Id};
use crate::config::{Config, IgnoreConfig};
use crate::error::Severity;

/// A warning not to report, where the config says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub id: Id,
    pub reason: String,
    /// The pipeline it is written under, or `None` for the whole stack.
    pub pipeline: Option<usize>,
    /// Its path in the config (`pipelines[0].ignore[1]`).
    pub path: String,
}

impl Ignore {
    /// Whether it covers a finding at this config path.
    pub fn covers(&self, id: Id, path: &str) -> bool {
        if self.id != id {
            return false;
        }
        match self.pipeline {
            None => true,
            Some(i) => {
                let own = format!("pipelines[{i}]");
                path.strip_prefix(&own)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }
        }
    }
}

/// Every ignore of the config, the stack's first.
pub(super) fn resolve_ignores(config: &Config, problems: &mut Vec<Problem>) -> Vec<Ignore> {
    let stack = config
        .stack
        .ignore
        .iter()
        .enumerate()
        .map(|(j, c)| (None, format!("stack.ignore[{j}]"), c));
    let pipelines = config.pipelines.iter().enumerate().flat_map(|(i, p)| {
        p.ignore
            .iter()
            .enumerate()
            .map(move |(j, c)| (Some(i), format!("pipelines[{i}].ignore[{j}]"), c))
    });
    stack
        .chain(pipelines)
        .filter_map(|(pipeline, path, c)| resolve(pipeline, path, c, problems))
        .collect()
}

fn resolve(
    pipeline: Option<usize>,
    path: String,
    c: &IgnoreConfig,
    problems: &mut Vec<Problem>,
) -> Option<Ignore> {
    if c.reason.trim().is_empty() {
        problems.push(Problem::new(
            Id::WrongValue,
            format!("{path}.reason"),
            "is empty; say why the warning does not apply here, for whoever reads the config next",
        ));
    }
    let Some(id) = CATALOG.iter().find(|e| e.code == c.id).map(|e| e.id) else {
        let hint = crate::spelling::nearest(&c.id, CATALOG.iter().map(|e| e.code))
            .map_or_else(String::new, |code| format!("; did you mean `{code}`?"));
        problems.push(Problem::new(
            Id::IgnoreUnknownId,
            format!("{path}.id"),
            format!(
                "`{}` is the id of no check; write the id of a warning, as listed in docs/checks.md (e.g. `PS305`){hint}",
                c.id
            ),
        ));
        return None;
    };
    if id.severity() == Severity::Error {
        problems.push(Problem::new(
            Id::IgnoreError,
            format!("{path}.id"),
            format!(
                "`{}` is an error ({}), and only warnings can be ignored: fix the config instead",
                c.id,
                id.entry().title
            ),
        ));
        return None;
    }
    Some(Ignore {
        id,
        reason: c.reason.clone(),
        pipeline,
        path,
    })
}
