//! Where a pipeline's rule puts each event field in the items it writes, read from the rule's SELECT: at the root
//! for `SELECT *`, under `event` for `SELECT * AS event`, under its alias for `SELECT versionNumber AS v`. A
//! computed key (`concat(...) AS eventKey`) is a column like any other: it hides no field unless it takes a
//! field's name.

use crate::events::EventKind;
use crate::sql::{self, ExprKind, PathSegment, SelectClause, SelectItem};

use super::Pipeline;

/// Where one field is in an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A root attribute of the item.
    Root(String),
    /// A key of a map attribute (`SELECT * AS event` puts the payload's fields in the map `event`).
    Nested { map: String, key: String },
}

impl Place {
    /// The root attribute that holds the field (itself, or the map around it).
    pub fn root(&self) -> &str {
        match self {
            Place::Root(name) => name,
            Place::Nested { map, .. } => map,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Root(name) => f.write_str(name),
            Place::Nested { map, key } => write!(f, "{map}.{key}"),
        }
    }
}

/// The places of the fields the resolver reads, and the table's key attributes (to name an item in errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub pipeline: String,
    pub client_id: Place,
    pub timestamp: Place,
    pub event_type: Place,
    pub session: Place,
    pub version: Place,
    /// Without it, a takeover looks like any disconnect.
    pub reason: Option<Place>,
    /// The table's partition key and sort key attribute names.
    pub keys: Vec<String>,
}

/// Why a pipeline's items cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error(
        "pipelines[{index}] (`{pipeline}`) does not keep both connected and disconnected events, so its table cannot tell whether a device is connected"
    )]
    NotPresence { index: usize, pipeline: String },
    #[error(
        "pipelines[{index}].sql: the rule never writes `{field}` to the table: `{select}`; select it, e.g. `SELECT *`"
    )]
    Missing {
        index: usize,
        field: &'static str,
        select: String,
    },
    #[error("pipelines[{index}].sql: {message}")]
    Sql { index: usize, message: String },
}

impl Pipeline {
    /// Whether the pipeline's rule reads both connected and disconnected events: whether its table can tell if a
    /// device is connected.
    pub fn keeps_presence(&self) -> bool {
        if self.custom_sql {
            let Ok(stmt) = &self.compiled.statement else {
                return false;
            };
            [EventKind::Connected, EventKind::Disconnected]
                .iter()
                .all(|k| {
                    stmt.topic_filter()
                        .is_some_and(|f| sql::topic_matches(f, &k.topic("client")))
                })
        } else {
            self.events.contains(&EventKind::Connected)
                && self.events.contains(&EventKind::Disconnected)
        }
    }
}

impl Fields {
    /// Where the fields of one pipeline's items are.
    pub fn of(index: usize, p: &Pipeline) -> Result<Fields, FieldError> {
        if !p.keeps_presence() {
            return Err(FieldError::NotPresence {
                index,
                pipeline: p.name.clone(),
            });
        }
        let stmt = p.compiled.statement.as_ref().map_err(|e| FieldError::Sql {
            index,
            message: format!("column {}: {e}", e.column),
        })?;
        let SelectClause::Items(items) = &stmt.select else {
            return Err(FieldError::Sql {
                index,
                message: "SELECT VALUE writes no item".to_owned(),
            });
        };
        let select = select_text(&p.sql, items);
        let find = |field: &'static str| place(items, field);
        let need = |field: &'static str| {
            find(field).ok_or_else(|| FieldError::Missing {
                index,
                field,
                select: select.clone(),
            })
        };
        Ok(Fields {
            pipeline: p.name.clone(),
            client_id: need("clientId")?,
            timestamp: need("timestamp")?,
            event_type: need("eventType")?,
            session: need("sessionIdentifier")?,
            version: need("versionNumber")?,
            reason: find("disconnectReason"),
            keys: std::iter::once(&p.table.partition_key)
                .chain(&p.table.sort_key)
                .map(|k| k.name.clone())
                .collect(),
        })
    }

    /// Every root attribute the reader must look at: the fields' roots and the keys.
    pub fn roots(&self) -> Vec<&str> {
        let mut roots: Vec<&str> = [
            &self.client_id,
            &self.timestamp,
            &self.event_type,
            &self.session,
            &self.version,
        ]
        .into_iter()
        .chain(&self.reason)
        .map(Place::root)
        .chain(self.keys.iter().map(String::as_str))
        .collect();
        roots.sort_unstable();
        roots.dedup();
        roots
    }
}

/// `SELECT <list>` as written, for error messages.
fn select_text(sql: &str, items: &[SelectItem]) -> String {
    let end = items.last().map_or(0, |i| i.span().end).min(sql.len());
    sql.get(..end).unwrap_or("SELECT").trim().to_owned()
}

/// What a select item writes under its output name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source<'a> {
    /// A top-level payload field, copied.
    Field(&'a str),
    /// `clientid()`: the client ID, like the payload's `clientId`.
    ClientId,
    Other,
}

fn source(item: &SelectItem) -> Source<'_> {
    match item.expr().map(|e| &e.kind) {
        Some(ExprKind::Path(segments)) => match segments.as_slice() {
            [PathSegment::Field(f)] => Source::Field(&f.name),
            _ => Source::Other,
        },
        Some(ExprKind::Call(call)) if call.is("clientid") && call.args.is_empty() => {
            Source::ClientId
        }
        _ => Source::Other,
    }
}

/// Where the SELECT puts the payload field `field`, if it puts it anywhere unchanged.
fn place(items: &[SelectItem], field: &str) -> Option<Place> {
    let is_field =
        |s: Source| s == Source::Field(field) || (field == "clientId" && s == Source::ClientId);
    let named: Vec<(&str, Source)> = items
        .iter()
        .filter_map(|i| match i {
            SelectItem::Expr { .. } => i.output_name().map(|n| (n, source(i))),
            SelectItem::Wildcard { .. } => None,
        })
        .collect();
    let nested: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            SelectItem::Wildcard { alias: Some(a), .. } => Some(a.name.as_str()),
            _ => None,
        })
        .collect();
    let spread = items
        .iter()
        .any(|i| matches!(i, SelectItem::Wildcard { alias: None, .. }));
    // A root name holds the field when everything written under that name is the field.
    let holds = |name: &str| {
        named
            .iter()
            .filter(|(n, _)| *n == name)
            .all(|(_, s)| is_field(*s))
            && !nested.contains(&name)
            && (!spread || name == field || !is_payload_field(name))
    };
    if let Some((name, _)) = named.iter().find(|(n, s)| is_field(*s) && holds(n)) {
        return Some(Place::Root((*name).to_owned()));
    }
    if spread && holds(field) {
        return Some(Place::Root(field.to_owned()));
    }
    nested
        .iter()
        .find(|map| {
            // The map must be the payload, not a name something else is written under too.
            let shadowed =
                named.iter().any(|(n, _)| n == *map) || (spread && is_payload_field(map));
            !shadowed && nested.iter().filter(|m| m == map).count() == 1
        })
        .map(|map| Place::Nested {
            map: (*map).to_owned(),
            key: field.to_owned(),
        })
}

fn is_payload_field(name: &str) -> bool {
    EventKind::ALL.iter().any(|k| k.field(name).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    /// The fields of the config's first pipeline.
    fn fields(yaml: &str) -> Result<Fields, FieldError> {
        let model = Model::build(&crate::config::parse(yaml).unwrap()).unwrap();
        Fields::of(0, &model.pipelines[0])
    }

    fn custom(sql: &str) -> Result<Fields, FieldError> {
        fields(&format!(
            "pipelines: [{{name: p, sql: \"{sql}\", table: {{sort_key: {{name: k, type: S}}}}}}]"
        ))
    }

    #[test]
    fn select_star_puts_everything_at_the_root() {
        let f = fields("pipelines: [{name: presence}]").unwrap();
        assert_eq!(f.version, Place::Root("versionNumber".into()));
        assert_eq!(f.reason, Some(Place::Root("disconnectReason".into())));
        assert_eq!(f.keys, ["clientId", "eventKey"]);
    }

    #[test]
    fn a_computed_key_hides_nothing() {
        let f = fields("pipelines: [{name: p, table: {sort_key: {name: eventKey, type: S, expression: \"concat(timestamp, '#', eventType)\"}}}]").unwrap();
        assert_eq!(f.timestamp, Place::Root("timestamp".into()));
        assert_eq!(f.keys, ["clientId", "eventKey"]);
        assert_eq!(
            f.roots(),
            [
                "clientId",
                "disconnectReason",
                "eventKey",
                "eventType",
                "sessionIdentifier",
                "timestamp",
                "versionNumber"
            ]
        );
    }

    #[test]
    fn star_as_event_nests_and_aliases_rename() {
        let f = custom("SELECT * AS event, clientid() AS clientId, timestamp AS k FROM '$aws/events/presence/#'").unwrap();
        assert_eq!(f.client_id, Place::Root("clientId".into()));
        assert_eq!(f.timestamp, Place::Root("k".into()));
        assert_eq!(
            f.version,
            Place::Nested {
                map: "event".into(),
                key: "versionNumber".into()
            }
        );
    }

    #[test]
    fn a_field_the_rule_never_writes_is_named_with_the_select() {
        let err = custom("SELECT clientId, timestamp AS k, eventType, sessionIdentifier FROM '$aws/events/presence/#'").unwrap_err();
        assert_eq!(
            err.to_string(),
            "pipelines[0].sql: the rule never writes `versionNumber` to the table: `SELECT clientId, timestamp AS k, eventType, sessionIdentifier`; select it, e.g. `SELECT *`"
        );
        // A computed value under a field's name is not the field.
        let err =
            custom("SELECT *, 0 AS versionNumber, timestamp AS k FROM '$aws/events/presence/#'")
                .unwrap_err();
        assert!(
            matches!(
                err,
                FieldError::Missing {
                    field: "versionNumber",
                    ..
                }
            ),
            "{err}"
        );
    }
}
