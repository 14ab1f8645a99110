//! Helpers shared by the evaluator's unit tests: a connected event, and shorthands that parse and evaluate a
//! statement or an expression.

use serde_json::{Value as Json, json};

use super::value::{Value, decimal};
use super::{Input, Outcome, evaluate, evaluate_expr};
use crate::sql::{parse, parse_expr};

pub(crate) const SESSION: &str = "e0c4fbf5-6a6c-4b4b-a2a5-0f1f3e6c9b7d";
pub(crate) const PRESENCE_RULE: &str = "SELECT * FROM '$aws/events/presence/#' \
                             WHERE eventType = 'connected' OR eventType = 'disconnected'";

pub(crate) fn connected() -> Json {
    json!({
        "clientId": "thing_1",
        "timestamp": 1672742949382_i64,
        "eventType": "connected",
        "sessionIdentifier": SESSION,
        "principalIdentifier": "12345678901234567890123456789012",
        "ipAddress": "192.0.2.0",
        "versionNumber": 0
    })
}

pub(crate) fn input<'a>(topic: &'a str, payload: &'a Json) -> Input<'a> {
    Input {
        topic,
        payload,
        client_id: Some("thing_1"),
        now_ms: 1_481_825_251_155,
    }
}

pub(crate) fn run(sql: &str, topic: &str, payload: &Json) -> Outcome {
    evaluate(&parse(sql).unwrap(), &input(topic, payload)).unwrap()
}

pub(crate) fn fired(sql: &str, topic: &str, payload: &Json) -> Json {
    match run(sql, topic, payload) {
        Outcome::Fired(m) => Json::Object(m),
        other => panic!("expected Fired for {sql}, got {other:?}"),
    }
}

/// Evaluates an expression on `payload`, topic `things/myThings/thingOne`.
pub(crate) fn val_on(expr: &str, payload: &Json) -> Value {
    let e = parse_expr(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    evaluate_expr(&e, &input("things/myThings/thingOne", payload))
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

pub(crate) fn val(expr: &str) -> Value {
    val_on(expr, &json!({}))
}

/// The JSON an expression serializes to (`None` for Undefined).
pub(crate) fn js(expr: &str) -> Option<Json> {
    val(expr).into_json()
}

pub(crate) fn s(x: &str) -> Value {
    Value::from(x)
}

pub(crate) fn d(x: f64) -> Value {
    decimal(x)
}

pub(crate) const U: Value = Value::Undefined;
pub(crate) const T: Value = Value::Bool(true);
pub(crate) const F: Value = Value::Bool(false);
