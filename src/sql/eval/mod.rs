//! Evaluator of AWS IoT SQL: runs a parsed rule [`Statement`] on one message
//! (topic, JSON payload, client id, clock) and says whether the rule fires and
//! what it would send to its actions. Pure: no I/O, no randomness, no panics.
//!
//! Semantics follow the AWS IoT SQL reference (pages `iot-sql-data-types`,
//! `iot-sql-operators`, `iot-sql-functions`, `iot-sql-select`,
//! `iot-sql-where`, `iot-sql-case`) for SQL version 2016-03-23. Where those
//! pages are silent or contradict themselves, the choice made here is noted
//! next to the code; the main ones:
//!
//! * Numbers: `Int` is an `i64` (AWS: 34 digits) and `Decimal` an `f64`
//!   (AWS: 34-digit decimal). Integer overflow falls back to `Decimal`;
//!   results that are not finite (division by zero, `sqrt(-1)`, overflow)
//!   are `Undefined`. JSON numbers keep their `serde_json::Number`, so they
//!   serialize exactly as they came in (e.g. `u64` values above `i64::MAX`).
//! * SQL V2 processes whole-number decimals as `Int`: a computed `Decimal`
//!   that is a whole number (|x| < 2^53) is serialized as an integer
//!   (`power(2, 5)` → `32`). Inside expressions it stays a `Decimal`, so
//!   `10.0 / 4` is `2.5`.
//! * `AND`, `OR` and `NOT` take booleans or the strings "true"/"false"; any
//!   other operand, `Undefined` included, makes the result `Undefined` (the
//!   operator tables' "Other value" row), so `true OR Undefined` is
//!   `Undefined`, not `true`. Both sides are always evaluated.
//! * `WHERE` fires only on the boolean `true` (not on the string "true").
//! * An unaliased select item that is not a plain field path is named
//!   `_N`, N being its 1-based position in the select list (undocumented).
//! * `Undefined` is dropped from objects (documented) and from arrays when
//!   serializing (undocumented; dropping is the only choice that keeps the
//!   output valid JSON).
//! * Implicit conversion of a `Decimal` to `Int` (indices, `substring`,
//!   `cast(x AS Int)`) truncates toward zero, as Java's `RoundingMode.DOWN`
//!   ("rounded down" in the docs); `floor`, `bitand`, `lpad`, `chr`... floor
//!   as their pages say.
//! * String lengths and indices count Unicode scalar values.
//! * `newuuid()` is a deterministic UUID-v4-shaped value hashed from the
//!   input (topic, client id, clock, payload) and a per-evaluation counter,
//!   so simulations are reproducible; AWS returns a random one.
//! * `clientid()` is `Input::client_id`, or `"n/a"` when absent (the
//!   documented value for messages not sent over MQTT).
//!
//! Which functions exist, and which of them a local run computes, is the
//! catalog in [`crate::sql::functions`]. Functions AWS documents but that call
//! AWS services or read what a recorded event lacks (`aws_lambda`,
//! `get_dynamodb`, `get_secret`, `principal`, ...) are reported as
//! [`EvalError::Unsupported`]; calls of computed functions whose literal
//! arguments ask for what a local run cannot do (`decode(*, 'proto', ...)`, a
//! regular expression with a backreference, a date pattern letter the
//! simulator does not format) as [`EvalError::UnsupportedArguments`]; names
//! AWS does not document are [`EvalError::UnknownFunction`]. All are found
//! when compiling, before any message is looked at, so an error never depends
//! on the data.
//!
//! Layout: `value` (the values), `compile` (statements to node trees, reading
//! the function catalog), `run` (walking the tree over one message),
//! `evaluated` (borrowed views of values while evaluating), `convert` (the
//! implicit conversions), `ops` (operators and `CAST`), `builtins` (the
//! functions, one file per family) and `flat` (the common shape of a rule on
//! a payload of scalar fields, without `serde_json::Value`).
//!
//! Speed: compile a statement once with [`Program::compile`] and call
//! [`Program::run`] per message ([`evaluate`] compiles every time). Function
//! names, cast types, number literals and output keys are resolved at
//! compile time. Evaluation works on the caller's `serde_json::Value` by
//! reference: field paths borrow from the payload and literals borrow from
//! the program, so `WHERE eventType = 'connected'` allocates nothing; only
//! computed values are owned. `SELECT *` clones the payload map once, which
//! is the output anyway.

mod builtins;
mod compile;
mod convert;
mod evaluated;
mod flat;
mod ops;
mod run;
#[cfg(test)]
mod structure_tests;
#[cfg(test)]
mod test_support;
mod value;

use serde_json::{Map, Value as Json};

use super::ast::{Expr, Span, Statement};
use super::parse::MAX_TREE_DEPTH;

pub use compile::{CompiledExpr, Program};
pub use flat::{FlatProgram, Scalar, Slot};
pub use value::{Decimal, Object, Value};

/// One message to run a rule on.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The topic the message was published on (`topic()`).
    pub topic: &'a str,
    pub payload: &'a Json,
    /// What `clientid()` returns; for lifecycle events, the client the event
    /// is about approximates the publishing client. `None` gives `"n/a"`.
    pub client_id: Option<&'a str>,
    /// What `timestamp()` returns, in milliseconds since the epoch.
    pub now_ms: i64,
}

impl<'a> Input<'a> {
    /// An input without client id, at time 0.
    pub fn new(topic: &'a str, payload: &'a Json) -> Input<'a> {
        Input {
            topic,
            payload,
            client_id: None,
            now_ms: 0,
        }
    }
}

/// What a rule does with one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The `WHERE` condition was not `true` (false, `Undefined`, null or not
    /// a boolean): no action runs.
    Filtered,
    /// The object built by the `SELECT` items.
    Fired(Map<String, Json>),
    /// `SELECT VALUE expr`, or `SELECT *` on a payload that is not an
    /// object: the value itself; `None` when it is `Undefined` (AWS then
    /// sends an empty payload).
    FiredValue(Option<Json>),
}

/// Why a statement cannot be evaluated. Found at compile time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("unknown function `{name}`")]
    UnknownFunction { name: String, span: Span },
    #[error("`{name}` cannot be simulated: it {reason}")]
    Unsupported {
        name: String,
        reason: &'static str,
        span: Span,
    },
    /// A function a local run computes, called with literal arguments it cannot compute here (a `'proto'`
    /// scheme, a regular expression feature of Java's the simulator lacks, a date pattern letter it does not
    /// format); the span is the argument's.
    #[error("`{name}` cannot be simulated: {reason}")]
    UnsupportedArguments {
        name: String,
        reason: String,
        span: Span,
    },
    #[error("`{name}` takes {expected} argument{}, found {found}", if *.expected == "1" { "" } else { "s" })]
    Arity {
        name: String,
        expected: String,
        found: usize,
        span: Span,
    },
    #[error("unknown type `{name}` in CAST; expected String, Int, Decimal, Double or Boolean")]
    UnknownType { name: String, span: Span },
    #[error("expression nested more than {MAX_TREE_DEPTH} levels deep")]
    TooDeep { span: Span },
    #[error("variable `@{name}` is not set by the SET clause")]
    UnknownVariable { name: String, span: Span },
}

impl EvalError {
    pub fn span(&self) -> Span {
        match self {
            EvalError::UnknownFunction { span, .. }
            | EvalError::Unsupported { span, .. }
            | EvalError::UnsupportedArguments { span, .. }
            | EvalError::Arity { span, .. }
            | EvalError::UnknownType { span, .. }
            | EvalError::TooDeep { span }
            | EvalError::UnknownVariable { span, .. } => *span,
        }
    }
}

/// Compiles and runs `stmt` on one message. To run a statement on many
/// messages, compile it once with [`Program::compile`].
pub fn evaluate(stmt: &Statement, input: &Input<'_>) -> Result<Outcome, EvalError> {
    Ok(Program::compile(stmt)?.run(input))
}

/// Compiles and evaluates a standalone expression on one message.
pub fn evaluate_expr(expr: &Expr, input: &Input<'_>) -> Result<Value, EvalError> {
    Ok(CompiledExpr::compile(expr)?.eval(input))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::eval::test_support::*;
    use crate::sql::{ExprKind, UnaryOp};
    use crate::sql::{parse, parse_expr, topic_matches};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn presence_rule_fires_on_connected_with_exact_fields() {
        let payload = connected();
        let out = fired(
            PRESENCE_RULE,
            "$aws/events/presence/connected/thing_1",
            &payload,
        );
        assert_eq!(out, payload);
        assert_eq!(out["timestamp"], json!(1672742949382_i64));
        assert_eq!(out.to_string(), payload.to_string(), "key order and digits");
    }

    #[test]
    fn presence_rule_filters_connect_failed_and_missing_event_type() {
        let mut payload = connected();
        payload["eventType"] = json!("connect_failed");
        let topic = "$aws/events/presence/connect_failed/thing_1";
        assert_eq!(run(PRESENCE_RULE, topic, &payload), Outcome::Filtered);
        payload.as_object_mut().unwrap().remove("eventType");
        assert_eq!(run(PRESENCE_RULE, topic, &payload), Outcome::Filtered);
        payload["eventType"] = json!("disconnected");
        assert!(matches!(
            run(PRESENCE_RULE, topic, &payload),
            Outcome::Fired(_)
        ));
    }

    #[test]
    fn expires_at_is_an_integer() {
        let out = fired(
            "SELECT *, floor(timestamp / 1000) + 2592000 AS expiresAt \
             FROM '$aws/events/presence/+/+'",
            "$aws/events/presence/connected/thing_1",
            &connected(),
        );
        assert_eq!(out["expiresAt"], json!(1672742949_i64 + 2592000));
        assert!(out["expiresAt"].is_i64());
        assert_eq!(out["clientId"], json!("thing_1"));
    }

    #[test]
    fn event_key_concatenates_exact_digits() {
        let out = fired(
            "SELECT *, concat(timestamp, '#', eventType, '#', sessionIdentifier) AS eventKey \
             FROM '$aws/events/presence/+/+'",
            "$aws/events/presence/connected/thing_1",
            &connected(),
        );
        assert_eq!(
            out["eventKey"],
            json!(format!("1672742949382#connected#{SESSION}"))
        );
    }

    #[test]
    fn article_rule_nests_the_event_and_drops_undefined() {
        let sql = "SELECT * as event, timestamp, version, topic(4) as eventType, \
                   topic(5) as clientId FROM '$aws/events/presence/+/+' \
                   WHERE topic(4) = 'connected' or topic(4) = 'disconnected'";
        let stmt = parse(sql).unwrap();
        let topic = "$aws/events/presence/connected/thing_1";
        assert!(stmt.topic_filter().is_some_and(|f| topic_matches(f, topic)));
        let payload = connected();
        let out = fired(sql, topic, &payload);
        assert_eq!(
            out,
            json!({
                "event": payload,
                "timestamp": 1672742949382_i64,
                "eventType": "connected",
                "clientId": "thing_1"
            })
        );
        assert!(out.get("version").is_none());
        assert_eq!(
            run(sql, "$aws/events/presence/connect_failed/thing_1", &payload),
            Outcome::Filtered
        );
    }

    #[test]
    fn compiled_program_runs_many_inputs() {
        let program = Program::compile(&parse(PRESENCE_RULE).unwrap()).unwrap();
        let mut payload = connected();
        let topic = "$aws/events/presence/connected/thing_1";
        assert!(matches!(
            program.run(&input(topic, &payload)),
            Outcome::Fired(_)
        ));
        payload["eventType"] = json!("subscribed");
        assert_eq!(program.run(&input(topic, &payload)), Outcome::Filtered);
    }

    #[test]
    fn select_page_examples() {
        let p = json!({"color": "red", "temperature": 50});
        // SELECT *
        assert_eq!(
            fired("SELECT * FROM 'topic/subtopic'", "topic/subtopic", &p),
            p
        );
        // SELECT color
        assert_eq!(
            fired("SELECT color FROM 'a/b'", "a/b", &p),
            json!({"color": "red"})
        );
        // AS renames
        assert_eq!(
            fired(
                "SELECT color as my_color, temperature as fahrenheit FROM 'a/b'",
                "a/b",
                &p
            ),
            json!({"my_color": "red", "fahrenheit": 50})
        );
        // `*` plus items
        assert_eq!(
            fired("SELECT *, 15 as speed FROM 'a/b'", "a/b", &p),
            json!({"color": "red", "temperature": 50, "speed": 15})
        );
        // VALUE
        assert_eq!(
            run("SELECT VALUE color FROM 'a/b'", "a/b", &p),
            Outcome::FiredValue(Some(json!("red")))
        );
        // Nested fields
        let nested = json!({"color": {"red": 255, "green": 0, "blue": 0}, "temperature": 50});
        assert_eq!(
            fired("SELECT color.red as red_value FROM 'a/b'", "a/b", &nested),
            json!({"red_value": 255})
        );
        // Functions and grouping: (50 - 32) * 5 / 9 is the Int 10.
        assert_eq!(
            fired(
                "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'a/b'",
                "a/b",
                &p
            ),
            json!({"celsius": 10, "my_color": "RED"})
        );
    }

    #[test]
    fn reference_and_where_page_examples() {
        // iot-sql-reference: temperature 100 > 50 fires with rgb.
        let hot = json!({"color": "red", "temperature": 100});
        assert_eq!(
            fired(
                "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50",
                "topic/subtopic",
                &hot
            ),
            json!({"rgb": "red"})
        );
        // iot-sql-where: temperature 40 does not fire.
        let cool = json!({"color": "red", "temperature": 40});
        assert_eq!(
            run(
                "SELECT color AS my_color FROM 'a/b' WHERE temperature > 50 AND color <> 'red'",
                "a/b",
                &cool
            ),
            Outcome::Filtered
        );
    }

    #[test]
    fn where_needs_boolean_true() {
        let p = json!({"s": "true", "n": null, "one": 1});
        for cond in ["false", "missing", "n", "one", "s", "'yes'"] {
            let sql = format!("SELECT * FROM 't' WHERE {cond}");
            assert_eq!(run(&sql, "t", &p), Outcome::Filtered, "{cond}");
        }
        assert!(matches!(
            run("SELECT * FROM 't' WHERE true", "t", &p),
            Outcome::Fired(_)
        ));
    }

    #[test]
    fn case_page_example() {
        let p = json!({"color": "yellow"});
        let sql = "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' \
                   WHEN 'red' THEN 'stop' ELSE 'you are not at a stop light' END as instructions \
                   FROM 'a/b'";
        assert_eq!(fired(sql, "a/b", &p), json!({"instructions": "caution"}));
        // No match and no ELSE, or an Undefined operand: Undefined.
        assert_eq!(val("CASE 1 WHEN 2 THEN 'x' END"), U);
        assert_eq!(val("CASE missing WHEN 2 THEN 'x' ELSE 'y' END"), U);
        // Searched form.
        assert_eq!(
            val("CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END"),
            s("b")
        );
    }

    #[test]
    fn literals_page_examples() {
        let p = json!({"lat_long": [47.606, -122.332]});
        assert_eq!(
            fired(
                "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long \
                 FROM 'a/b'",
                "a/b",
                &p
            ),
            json!({"lat_long": {"latitude": 47.606, "longitude": -122.332}})
        );
        let p = json!({"lat": 47.606, "long": -122.332});
        assert_eq!(
            fired("SELECT [lat,long] as lat_long FROM 'a/b'", "a/b", &p),
            json!({"lat_long": [47.606, -122.332]})
        );
    }

    #[test]
    fn select_naming_override_and_undefined() {
        let p = json!({"a": {"b": {"c": 1}}, "x": [10, 20], "k": "old"});
        assert_eq!(
            fired(
                "SELECT a.b.c, x[1], 1 + 1, *, 'new' AS k, missing AS k FROM 't'",
                "t",
                &p
            ),
            json!({"c": 1, "_2": 20, "_3": 2, "a": {"b": {"c": 1}}, "x": [10, 20], "k": "new"})
        );
        // Undefined is dropped from arrays and objects.
        assert_eq!(
            js("[1, missing, {'a': missing, 'b': 2}]"),
            Some(json!([1, {"b": 2}]))
        );
        // A non-object payload passes through `SELECT *` whole.
        assert_eq!(
            run("SELECT * FROM 't'", "t", &json!([1, 2])),
            Outcome::FiredValue(Some(json!([1, 2])))
        );
        assert_eq!(
            run("SELECT VALUE missing FROM 't'", "t", &p),
            Outcome::FiredValue(None)
        );
    }

    #[test]
    fn paths_and_indexes() {
        let p = json!({"a": {"b": [{"c": 1}, {"c": 2}]}, "Foo": 1});
        assert_eq!(val_on("a.b[1].c", &p), Value::Int(2));
        assert_eq!(val_on("a.b[2].c", &p), U);
        assert_eq!(val_on("a.b[-1]", &p), U);
        assert_eq!(val_on("a.b.c", &p), U);
        assert_eq!(val_on("a[0]", &p), U);
        assert_eq!(val_on("foo", &p), U, "case-sensitive");
        assert_eq!(val_on("Foo", &p), Value::Int(1));
        assert_eq!(val_on("get(a.b, 0).c", &p), Value::Int(1));
        assert_eq!(val_on("[10, 20, 30][1]", &p), Value::Int(20));
        assert_eq!(val_on("{'k': {'j': 5}}.k.j", &p), Value::Int(5));
    }

    #[test]
    fn compile_errors() {
        let err = |sql: &str| Program::compile(&parse(sql).unwrap()).unwrap_err();
        assert!(matches!(
            err("SELECT isString(a) FROM 't'"),
            EvalError::UnknownFunction { name, .. } if name == "isString"
        ));
        // Found even where evaluation would never go.
        let e = err("SELECT * FROM 't' WHERE false AND nosuch()");
        assert_eq!(e.to_string(), "unknown function `nosuch`");
        let sql = "SELECT * FROM 't' WHERE TOPIC(1, 2) = 'a'";
        let e = err(sql);
        assert_eq!(e.to_string(), "`TOPIC` takes 0 or 1 arguments, found 2");
        assert_eq!(e.span().text(sql), Some("TOPIC(1, 2)"));
        assert_eq!(
            err("SELECT abs() FROM 't'").to_string(),
            "`abs` takes 1 argument, found 0"
        );
        assert_eq!(
            err("SELECT get_secret('k', 'SecretString', 'v', 'arn') FROM 't'").to_string(),
            "`get_secret` cannot be simulated: it calls an AWS service"
        );
        let sql = "SELECT decode(*, 'proto', 'b', 'k.desc', 'k', 'M') FROM 't'";
        let e = err(&sql.replace('*', "p"));
        assert!(
            matches!(&e, EvalError::UnsupportedArguments { name, .. } if name == "decode"),
            "{e:?}"
        );
        assert_eq!(e.span().text(&sql.replace('*', "p")), Some("'proto'"));
        assert!(matches!(
            err("SELECT cast(a AS Float) FROM 't'"),
            EvalError::UnknownType { .. }
        ));
        // Function names are case-insensitive.
        assert_eq!(val("UPPER('a')"), s("A"));
    }

    #[test]
    fn deep_trees_evaluate_or_are_rejected() {
        // The deepest chain the parser accepts evaluates fine.
        let longest = (1..=MAX_TREE_DEPTH + 2)
            .rev()
            .find(|&n| parse_expr(&vec!["1"; n].join(" + ")).is_ok())
            .unwrap();
        assert!(longest >= MAX_TREE_DEPTH);
        let sum = vec!["1"; longest].join(" + ");
        assert_eq!(val(&sum), Value::Int(longest as i64));
        // A deeper tree built by hand is refused, not overflowed.
        let mut e = parse_expr("1").unwrap();
        for _ in 0..MAX_TREE_DEPTH + 5 {
            e = Expr::new(
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    expr: Box::new(e),
                },
                Span::default(),
            );
        }
        let p = json!({});
        assert!(matches!(
            evaluate_expr(&e, &Input::new("t", &p)),
            Err(EvalError::TooDeep { .. })
        ));
    }

    // --- no panics --------------------------------------------------------

    const FUNCTION_NAMES: &[&str] = &[
        "abs",
        "acos",
        "atan2",
        "bitand",
        "bitnot",
        "ceil",
        "chr",
        "clientid",
        "concat",
        "cos",
        "endswith",
        "exp",
        "floor",
        "get",
        "get_or_default",
        "indexof",
        "isnull",
        "isundefined",
        "length",
        "ln",
        "lower",
        "lpad",
        "ltrim",
        "mod",
        "nanvl",
        "newuuid",
        "numbytes",
        "power",
        "replace",
        "round",
        "rpad",
        "sign",
        "sqrt",
        "startswith",
        "substring",
        "timestamp",
        "topic",
        "trim",
        "trunc",
        "upper",
        "nosuch",
        "md5",
    ];

    fn expr_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            prop::sample::select(vec![
                "a",
                "a.b",
                "c[0]",
                "c[1].d",
                "missing",
                "s",
                "n",
                "9223372036854775807",
                "18446744073709551616",
                "0",
                "1.5",
                "1e308",
                "2.411E247",
                "true",
                "null",
                "'12'",
                "'-1.5e3'",
                "'true'",
                "''",
                "'é€'",
            ])
            .prop_map(str::to_owned),
            any::<i64>().prop_map(|i| i.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| format!("{f:e}").replace("e", "E")),
            "[a-z0-9 .]{0,5}".prop_map(|s| format!("'{s}'")),
        ];
        let ops = prop::sample::select(vec![
            "+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "IN",
        ]);
        let types = prop::sample::select(vec!["Int", "Decimal", "String", "Boolean", "Double"]);
        leaf.prop_recursive(4, 48, 4, move |inner| {
            prop_oneof![
                (inner.clone(), ops.clone(), inner.clone())
                    .prop_map(|(l, o, r)| format!("({l} {o} {r})")),
                inner.clone().prop_map(|e| format!("-({e})")),
                inner.clone().prop_map(|e| format!("NOT ({e})")),
                (
                    prop::sample::select(FUNCTION_NAMES.to_vec()),
                    prop::collection::vec(inner.clone(), 0..4)
                )
                    .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
                (inner.clone(), types.clone()).prop_map(|(e, t)| format!("CAST({e} AS {t})")),
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{'k': {a}, 'j': {b}}}")),
                (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(a, b, c)| format!("CASE {a} WHEN {b} THEN {c} ELSE {a} END")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("CASE WHEN {a} THEN {b} END")),
            ]
        })
    }

    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<u64>().prop_map(Json::from),
            any::<f64>().prop_map(Json::from),
            "[a-z0-9.]{0,4}".prop_map(Json::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::vec(
                    (
                        prop::sample::select(vec!["a", "b", "c", "d", "s", "n"]),
                        inner
                    ),
                    0..5
                )
                .prop_map(|kv| Json::Object(
                    kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn evaluation_never_panics(
            select in expr_text(),
            cond in expr_text(),
            payload in json_value(),
            topic in "[a-z$]{0,3}(/[a-z0-9]{0,3}){0,4}",
            now_ms in any::<i64>(),
        ) {
            let input = Input { topic: &topic, payload: &payload, client_id: None, now_ms };
            if let Ok(e) = parse_expr(&select) {
                let _ = evaluate_expr(&e, &input);
            }
            let sql = format!("SELECT *, {select} AS x, {select} FROM 't' WHERE {cond}");
            if let Ok(stmt) = parse(&sql)
                && let Ok(Outcome::Fired(m)) = evaluate(&stmt, &input)
            {
                prop_assert!(serde_json::to_string(&m).is_ok());
            }
            let sql = format!("SELECT VALUE {select} FROM 't'");
            if let Ok(stmt) = parse(&sql) {
                let _ = evaluate(&stmt, &input);
            }
        }

        #[test]
        fn run_owned_equals_run(payload in json_value()) {
            for sql in [
                "SELECT * FROM 'a/#'",
                "SELECT *, concat(clientId, '#', timestamp) AS k, 5 AS clientId FROM 'a/#' WHERE isUndefined(nope)",
                "SELECT a, * FROM 'a/#'",
                "SELECT * AS whole, b FROM 'a/#' WHERE a <> 1",
            ] {
                let program = Program::compile(&parse(sql).unwrap()).unwrap();
                let input = Input { topic: "a/b", payload: &payload, client_id: Some("c"), now_ms: 9 };
                prop_assert_eq!(program.run_owned("a/b", payload.clone(), Some("c"), 9), program.run(&input));
            }
        }

        #[test]
        fn json_round_trips_through_value(payload in json_value()) {
            // Only non-finite floats could fail; serde_json never makes them.
            let back = Value::from_json(&payload).into_json();
            prop_assert_eq!(back, Some(payload));
        }
    }
}
