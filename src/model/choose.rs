//! Which pipeline a command reads (`status --pipeline`, `replay --pipeline`): the one named, or else the only one
//! that can be meant. One chooser, so that every command words its choice the same way.

use super::{Model, Pipeline};

/// The pipelines a command may take when none is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Among {
    /// Any pipeline: the config's only one.
    All,
    /// The only pipeline that keeps connected and disconnected events ([`Pipeline::keeps_presence`]).
    Presence,
}

impl Among {
    fn admits(self, p: &Pipeline) -> bool {
        match self {
            Among::All => true,
            Among::Presence => p.keeps_presence(),
        }
    }
}

/// Why no pipeline is chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("no pipeline is named `{name}`; the pipelines are {}", quoted(.available))]
    NoSuchPipeline {
        name: String,
        available: Vec<String>,
    },
    #[error("{}", match .among {
        Among::All => "the config has no pipeline",
        Among::Presence => "no pipeline keeps connected and disconnected events; status reads a presence pipeline's table",
    })]
    NoCandidate { among: Among },
    #[error(
        "several pipelines{} ({}); choose one with `--pipeline NAME`",
        match .among { Among::All => "", Among::Presence => " keep presence events" },
        quoted(.candidates)
    )]
    SeveralCandidates {
        among: Among,
        candidates: Vec<String>,
    },
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Model {
    /// The pipeline named `name`, or else the only one `among` admits; with its index in the config.
    pub fn pipeline(
        &self,
        name: Option<&str>,
        among: Among,
    ) -> Result<(usize, &Pipeline), ChoiceError> {
        let index = match name {
            Some(name) => self
                .pipelines
                .iter()
                .position(|p| p.name == name)
                .ok_or_else(|| ChoiceError::NoSuchPipeline {
                    name: name.to_owned(),
                    available: self.pipelines.iter().map(|p| p.name.clone()).collect(),
                })?,
            None => {
                let candidates: Vec<usize> = (0..self.pipelines.len())
                    .filter(|&i| among.admits(&self.pipelines[i]))
                    .collect();
                match candidates[..] {
                    [] => return Err(ChoiceError::NoCandidate { among }),
                    [only] => only,
                    _ => {
                        return Err(ChoiceError::SeveralCandidates {
                            among,
                            candidates: candidates
                                .iter()
                                .map(|&i| self.pipelines[i].name.clone())
                                .collect(),
                        });
                    }
                }
            }
        };
        Ok((index, &self.pipelines[index]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldError, Fields};

    fn build(yaml: &str) -> Model {
        Model::build(&crate::config::parse(yaml).unwrap()).unwrap()
    }

    #[test]
    fn pipelines_are_chosen_by_name_or_by_what_they_keep() {
        let model = build(
            "pipelines: [{name: a}, {name: s, events: [subscribed]}, {name: c, events: [connected]}]",
        );
        assert_eq!(model.pipeline(None, Among::Presence).unwrap().0, 0);
        // A pipeline named is chosen whatever it keeps; whether its items can answer is the reader's question.
        let (i, s) = model.pipeline(Some("s"), Among::Presence).unwrap();
        assert!(matches!(
            Fields::of(i, s),
            Err(FieldError::NotPresence { index: 1, .. })
        ));
        assert_eq!(
            model
                .pipeline(Some("zz"), Among::All)
                .unwrap_err()
                .to_string(),
            "no pipeline is named `zz`; the pipelines are `a`, `s`, `c`"
        );
        assert_eq!(
            model.pipeline(None, Among::All).unwrap_err().to_string(),
            "several pipelines (`a`, `s`, `c`); choose one with `--pipeline NAME`"
        );
        let model = build("pipelines: [{name: a}, {name: b}]");
        assert_eq!(
            model
                .pipeline(None, Among::Presence)
                .unwrap_err()
                .to_string(),
            "several pipelines keep presence events (`a`, `b`); choose one with `--pipeline NAME`"
        );
        let model = build("pipelines: [{name: s, events: [subscribed]}]");
        assert_eq!(model.pipeline(None, Among::All).unwrap().1.name, "s");
        assert_eq!(
            model
                .pipeline(None, Among::Presence)
                .unwrap_err()
                .to_string(),
            "no pipeline keeps connected and disconnected events; status reads a presence pipeline's table"
        );
    }
}
