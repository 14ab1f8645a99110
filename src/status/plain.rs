//! Items as plain JSON objects, the way `simulate` holds them before printing (`{"clientId": "d", ...}` rather than
//! DynamoDB's `{"clientId": {"S": "d"}}`): the same fields, found at the same places.

use serde_json::{Map, Value};

use super::resolve::{Event, What};
use crate::model::{Fields, Place};

fn get<'a>(item: &'a Map<String, Value>, place: &Place) -> Option<&'a Value> {
    match place {
        Place::Root(name) => item.get(name),
        Place::Nested { map, key } => item.get(map)?.as_object()?.get(key),
    }
}

/// The event an item holds: `None` for other event types, an error naming the missing or mistyped field.
pub fn event<'a>(
    item: &'a Map<String, Value>,
    fields: &Fields,
) -> Result<Option<Event<'a>>, String> {
    let text = |place: &Place, name: &str| -> Result<&'a str, String> {
        get(item, place)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no string `{name}`"))
    };
    let kind = text(&fields.event_type, "eventType")?;
    if !matches!(kind, "connected" | "disconnected" | "connect_failed") {
        return Ok(None);
    }
    let client_id = text(&fields.client_id, "clientId")?;
    let timestamp = get(item, &fields.timestamp)
        .and_then(Value::as_i64)
        .ok_or("no whole-millisecond `timestamp`")?;
    let what = if kind == "connect_failed" {
        What::ConnectFailed
    } else {
        let session = text(&fields.session, "sessionIdentifier")?;
        let version = get(item, &fields.version)
            .and_then(Value::as_u64)
            .ok_or("no whole-number `versionNumber`")?;
        if kind == "connected" {
            What::Connected { session, version }
        } else {
            What::Disconnected {
                session,
                version,
                reason: fields
                    .reason
                    .as_ref()
                    .and_then(|p| get(item, p))
                    .and_then(Value::as_str),
            }
        }
    };
    Ok(Some(Event {
        client_id,
        timestamp,
        what,
    }))
}
