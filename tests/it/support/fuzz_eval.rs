//! The body of the `eval` fuzz target, shared with `tests/it/properties/layout.rs`: the evaluator runs any statement
//! that parses and compiles on any JSON payload without panicking, `run` and `run_owned` agree, and what a rule sends
//! serializes as JSON. The input is `<sql>\0<payload JSON>\0<topic>`; missing parts get a connected event.

use presence_stack::sql::{Input, Outcome, Program, parse};

/// The payload when the input gives none.
pub const EVENT: &str = r#"{"clientId":"a/b","timestamp":1573002230757,"eventType":"connected","sessionIdentifier":"00000000-0000-0000-0000-000000000000","principalIdentifier":"12345678901234567890123456789012","ipAddress":"192.0.2.0","versionNumber":0}"#;

/// Check one input.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let sql = parts.next().unwrap_or("");
    let payload: serde_json::Value = parts
        .next()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_else(|| serde_json::from_str(EVENT).expect("the default event is JSON"));
    let topic = parts.next().unwrap_or("$aws/events/presence/connected/a/b");
    let Ok(stmt) = parse(sql) else { return };
    let Ok(program) = Program::compile(&stmt) else {
        return;
    };
    let input = Input {
        topic,
        payload: &payload,
        client_id: Some("a/b"),
        now_ms: 1_700_000_000_000,
    };
    let outcome = program.run(&input);
    let owned = program.run_owned(topic, payload.clone(), Some("a/b"), 1_700_000_000_000);
    assert_eq!(outcome, owned, "run and run_owned disagree on {sql:?}");
    match &outcome {
        Outcome::Fired(map) => {
            serde_json::to_string(map).expect("a fired object serializes");
        }
        Outcome::FiredValue(Some(v)) => {
            serde_json::to_string(v).expect("a fired value serializes");
        }
        Outcome::FiredValue(None) | Outcome::Filtered => {}
    }
}
