//! The way back into the status table: `status`'s answers, computed from the event table, as
//! `aws dynamodb batch-write-item` documents of the items the status function would have left. The stream keeps
//! only 24 hours, so a status table that fell behind (or a new one) is rebuilt from the history instead.

use serde_json::{Map, Value, json};

use crate::simulate::MAX_BATCH;
use crate::status::{State, Status};

/// The status item of one client, as DynamoDB JSON: the item the status function holds after seeing the same
/// events. An `unknown` answer is written from its best guess (the latest event, which is what the function
/// keeps: a takeover's `DUPLICATE_CLIENTID` disconnect until the new connect arrives); `None` only for a client
/// with no connect or disconnect at all, of which the function keeps no item.
pub fn item(status: &Status) -> Option<Value> {
    let (connected, since, session, version, reason) = match &status.state {
        State::Connected {
            since,
            session,
            version,
        } => (true, *since, session, *version, None),
        State::Disconnected {
            since,
            session,
            version,
            reason,
        } => (false, *since, session, *version, reason.as_ref()),
        State::Unknown(_) => {
            let g = status.guess.as_ref()?;
            (
                !g.disconnect,
                g.since,
                &g.session,
                g.version,
                g.reason.as_ref().filter(|_| g.disconnect),
            )
        }
    };
    let mut m = Map::new();
    m.insert("clientId".into(), json!({"S": status.client_id}));
    if connected {
        m.insert("state".into(), json!({"S": "connected"}));
        m.insert("online".into(), json!({"S": "1"}));
    } else {
        m.insert("state".into(), json!({"S": "disconnected"}));
        if let Some(reason) = reason {
            m.insert("disconnectReason".into(), json!({"S": reason}));
        }
    }
    m.insert("since".into(), json!({"N": since.to_string()}));
    m.insert("sessionIdentifier".into(), json!({"S": session}));
    m.insert("versionNumber".into(), json!({"N": version.to_string()}));
    Some(Value::Object(m))
}

/// One `--request-items` document per [`MAX_BATCH`] items (a client appears once, so no document repeats a key),
/// and how many clients were left out (those with no connect or disconnect: the function keeps no item of them).
pub fn documents(statuses: &[Status], table: &str) -> (Vec<String>, usize) {
    let items: Vec<Value> = statuses.iter().filter_map(item).collect();
    let left_out = statuses.len() - items.len();
    let docs = items
        .chunks(MAX_BATCH)
        .map(|chunk| {
            let requests: Vec<Value> = chunk
                .iter()
                .map(|i| json!({"PutRequest": {"Item": i}}))
                .collect();
            let mut doc = Map::new();
            doc.insert(table.to_owned(), Value::Array(requests));
            Value::Object(doc).to_string()
        })
        .collect();
    (docs, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Unknown;

    fn connected(id: &str) -> Status {
        Status {
            client_id: id.into(),
            state: State::Connected {
                since: 5,
                session: "s".into(),
                version: 3,
            },
            events: 1,
            guess: None,
        }
    }

    #[test]
    fn items_are_what_the_function_writes_and_only_clients_without_events_are_left_out() {
        assert_eq!(
            item(&connected("d")).unwrap(),
            json!({"clientId": {"S": "d"}, "state": {"S": "connected"}, "online": {"S": "1"},
                   "since": {"N": "5"}, "sessionIdentifier": {"S": "s"}, "versionNumber": {"N": "3"}})
        );
        let gone = Status {
            client_id: "e".into(),
            state: State::Disconnected {
                since: 9,
                session: "s".into(),
                version: 3,
                reason: None,
            },
            events: 2,
            guess: None,
        };
        let i = item(&gone).unwrap();
        assert!(i.get("online").is_none() && i.get("disconnectReason").is_none());
        let unknown = Status {
            client_id: "u".into(),
            state: State::Unknown(Unknown::NoData {
                connect_failed: 1,
                later_events: false,
            }),
            events: 1,
            guess: None,
        };
        // A takeover waiting for its new connect: the function holds the DUPLICATE_CLIENTID disconnect.
        let pending = Status {
            client_id: "p".into(),
            state: State::Unknown(Unknown::TakeoverPending {
                since: 7,
                session: "s".into(),
            }),
            events: 2,
            guess: Some(crate::status::Latest {
                disconnect: true,
                since: 7,
                session: "s".into(),
                version: 4,
                reason: Some("DUPLICATE_CLIENTID".into()),
            }),
        };
        assert_eq!(
            item(&pending).unwrap(),
            json!({"clientId": {"S": "p"}, "state": {"S": "disconnected"},
                   "disconnectReason": {"S": "DUPLICATE_CLIENTID"}, "since": {"N": "7"},
                   "sessionIdentifier": {"S": "s"}, "versionNumber": {"N": "4"}})
        );
        let mut all: Vec<Status> = (0..60).map(|i| connected(&format!("d{i}"))).collect();
        all.push(unknown);
        let (docs, left_out) = documents(&all, "t");
        assert_eq!(left_out, 1);
        let sizes: Vec<usize> = docs
            .iter()
            .map(|d| {
                serde_json::from_str::<Value>(d).unwrap()["t"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, [25, 25, 10]);
    }
}
