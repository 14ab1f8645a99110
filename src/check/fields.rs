//! Fields the payloads of the kinds a rule reads never carry (most often a typo, silently Undefined), with the
//! field the name most likely meant.

use std::collections::BTreeSet;

use super::PipelineCheck;
use crate::catalog::Id;
use crate::events::EventKind;
use crate::spelling::edit_distance;
use crate::sql::{Span, Statement};

impl PipelineCheck<'_> {
    /// Fields that the payloads of the kinds this rule reads never carry: most often a typo, silently Undefined.
    /// Paths at a span in `named` were already reported, more precisely, by the check of a WHERE that never
    /// fires. A WHERE that lets no kind through reads no payload: that check reports it.
    pub(super) fn fields(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>, named: &[Span]) {
        let Some(kinds) = kinds.filter(|k| !k.is_empty()) else {
            return;
        };
        let mut seen = BTreeSet::new();
        for path in stmt.field_paths() {
            let root = path.root();
            if root.is_empty()
                || named.contains(&path.span)
                || kinds.iter().any(|k| k.field(root).is_some())
                || !seen.insert(root.to_owned())
            {
                continue;
            }
            let names = kind_names(kinds);
            let elsewhere: Vec<&str> = EventKind::ALL
                .iter()
                .filter(|k| !kinds.contains(k) && k.field(root).is_some())
                .map(|k| k.as_str())
                .collect();
            let (message, hint) = if elsewhere.is_empty() {
                (
                    format!(
                        "`{root}` is not a field of {names} events: it is always Undefined and drops out of the item"
                    ),
                    suggest(root, kinds).map(|s| format!("did you mean `{s}`?")),
                )
            } else {
                (
                    format!(
                        "`{root}` is only in {} events, which this rule does not read",
                        elsewhere.join(" and ")
                    ),
                    None,
                )
            };
            self.at_span(Id::UnknownPayloadField, path.span, message, hint);
        }
    }
}

fn kind_names(kinds: &[EventKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    match names.as_slice() {
        [] => "any".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The payload field a misspelt name most likely meant.
pub(super) fn suggest(name: &str, kinds: &[EventKind]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let fields = kinds.iter().flat_map(|k| k.fields()).map(|f| f.name);
    let mut best: Option<(usize, &'static str)> = None;
    for f in fields {
        let fl = f.to_ascii_lowercase();
        let score = if fl == lower || fl.replace('_', "") == lower.replace('_', "") {
            0
        } else if fl.starts_with(&lower) && lower.len() >= 4 {
            1
        } else {
            let d = edit_distance(&lower, &fl);
            if d > 2 {
                continue;
            }
            d + 1
        };
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, f));
        }
    }
    best.map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let presence = [EventKind::Connected, EventKind::Disconnected];
        assert_eq!(suggest("version", &presence), Some("versionNumber"));
        assert_eq!(suggest("clientid", &presence), Some("clientId"));
        assert_eq!(suggest("client_id", &presence), Some("clientId"));
        assert_eq!(suggest("ipadress", &presence), Some("ipAddress"));
        assert_eq!(suggest("temperature", &presence), None);
    }
}
