//! The evaluator's tests of the constructs that are structure rather than functions: SET variables, `*` as a
//! value, dotted aliases and nested SELECTs, on the AWS IoT SQL reference's examples.

use serde_json::json;

use super::test_support::*;
use super::{Outcome, Program};
use crate::sql::parse;

#[test]
fn set_variables_of_the_reference() {
    // "SET clause", accessing members in embedded JSON objects: the variable holds an object.
    let payload = json!({"device1": {"deviceId": "weather_sensor", "deviceData": {
        "sensors": {"temp_fahrenheit": 75, "humidity": 60}, "location": [47.606, -122.332]}}});
    let out = fired(
        "SET @device_sensor_data = device1.deviceData.sensors \
         SELECT @device_sensor_data.temp_fahrenheit AS temp_fahrenheit, \
         @device_sensor_data.humidity as humidity FROM 'device/data'",
        "device/data",
        &payload,
    );
    assert_eq!(out, json!({"temp_fahrenheit": 75, "humidity": 60}));
    // "Basic variable usage". The page shows 23.89; its operators page makes `Int / Int` an Int, which is what
    // runs here: (75 - 32) * 5 / 9 = 215 / 9 = 23.
    let out = fired(
        "SET @temp_celsius = (temp_fahrenheit - 32) * 5 / 9 \
         SELECT @temp_celsius AS celsius, humidity FROM 'device/data'",
        "device/data",
        &json!({"temp_fahrenheit": 75, "humidity": 60}),
    );
    assert_eq!(out, json!({"celsius": 23, "humidity": 60}));
    let out = fired(
        "SET @temp_celsius = (temp_fahrenheit - 32) * 5.0 / 9 \
         SELECT @temp_celsius AS celsius FROM 'device/data'",
        "device/data",
        &json!({"temp_fahrenheit": 75}),
    );
    assert!(
        (out["celsius"].as_f64().unwrap() - 23.888_9).abs() < 1e-3,
        "{out}"
    );
}

#[test]
fn variables_feed_later_ones_the_where_and_nested_selects() {
    let sql = "SET @t = temp, @hot = @t > 30, @names = (SELECT VALUE n FROM e) \
               SELECT @hot AS hot, @names AS names, (SELECT VALUE v FROM e WHERE v > @t) AS above \
               FROM 'a' WHERE @hot";
    let payload = json!({"temp": 31, "e": [{"n": "a", "v": 10}, {"n": "b", "v": 40}]});
    assert_eq!(
        fired(sql, "a", &payload),
        json!({"hot": true, "names": ["a", "b"], "above": [40]})
    );
    assert_eq!(run(sql, "a", &json!({"temp": 20})), Outcome::Filtered);
    // A variable whose value is Undefined leaves its items out, like any Undefined.
    assert_eq!(
        fired(
            "SET @x = missing SELECT @x AS x, 1 AS one FROM 'a'",
            "a",
            &json!({})
        ),
        json!({"one": 1})
    );
}

#[test]
fn nested_selects_of_the_reference() {
    // "Nested object queries", all three examples with the page's message and outputs.
    let message = json!({"e": [
        {"n": "temperature", "u": "Cel", "t": 1234, "v": 22.5},
        {"n": "light", "u": "lm", "t": 1235, "v": 135},
        {"n": "acidity", "u": "pH", "t": 1235, "v": 7}
    ]});
    assert_eq!(
        fired(
            "SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'",
            "my/topic",
            &message
        ),
        json!({"sensors": ["temperature", "light", "acidity"]})
    );
    assert_eq!(
        fired(
            "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'",
            "my/topic",
            &message
        ),
        json!({"temperature": [{"v": 22.5}]})
    );
    assert_eq!(
        fired(
            "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'topic'",
            "topic",
            &message
        ),
        json!({"temperature": 22.5})
    );
}

#[test]
fn nested_selects_over_other_sources() {
    let payload = json!({"arr": [{"a": 1, "b": 2}, {"a": 5}, 3], "obj": {"a": 9}, "s": "x"});
    // `*` in a nested SELECT is the element; an element that is not an object passes through `SELECT *` whole.
    assert_eq!(
        fired("SELECT (SELECT * FROM arr) AS all FROM 't'", "t", &payload)["all"],
        json!([{"a": 1, "b": 2}, {"a": 5}, 3])
    );
    assert_eq!(
        fired(
            "SELECT (SELECT a, b AS c.d FROM arr WHERE a > 2) AS x FROM 't'",
            "t",
            &payload
        )["x"],
        json!([{"a": 5}])
    );
    // Over an object, the one result itself; over anything else Undefined, which drops the item.
    assert_eq!(
        fired(
            "SELECT (SELECT VALUE a FROM obj) AS x, (SELECT VALUE a FROM s) AS y, \
             (SELECT VALUE a FROM obj WHERE a < 0) AS z FROM 't'",
            "t",
            &payload
        ),
        json!({"x": 9})
    );
    // The reference's `transform` example 3: the two nested SELECTs over an object give an object and an array.
    let message = json!({"data1": "example", "data2": {"a": "first attribute", "b": "second attribute",
        "c": [{"x": {"someInt": 5, "someString": "hello"}, "y": true},
              {"x": {"someInt": 10, "someString": "world"}, "y": false}]}});
    assert_eq!(
        fired(
            "select (select a, b from data2) as o, (select value c from data2) as arr from 'A/B'",
            "A/B",
            &message
        ),
        json!({"o": {"a": "first attribute", "b": "second attribute"}, "arr": message["data2"]["c"]})
    );
    // Nested twice, and over a computed array.
    assert_eq!(
        fired(
            "SELECT (SELECT VALUE (SELECT VALUE y FROM x) FROM [{'x': [{'y': 1}, {'y': 2}]}, {'x': []}]) AS n FROM 't'",
            "t",
            &payload
        )["n"],
        json!([[1, 2], []])
    );
}

#[test]
fn star_as_a_value() {
    let payload = json!({"messages": [{"m": 1}, {"m": 2}], "my-key": "v"});
    // `SELECT VALUE *.messages`, the example of the reference's SELECT VALUE with a path on the message.
    assert_eq!(
        run(
            "SELECT VALUE *.messages FROM 'test/test2'",
            "test/test2",
            &payload
        ),
        Outcome::FiredValue(Some(json!([{"m": 1}, {"m": 2}])))
    );
    assert_eq!(
        run("SELECT VALUE * FROM 'a'", "a", &payload),
        Outcome::FiredValue(Some(payload.clone()))
    );
    // `*` as an argument: the whole message (the JSON extensions page sends hyphenated keys through `get`).
    assert_eq!(
        fired(
            "SELECT get(*, 'my-key') AS k, *.messages[1].m AS second FROM 'a'",
            "a",
            &payload
        ),
        json!({"k": "v", "second": 2})
    );
}

#[test]
fn dotted_aliases_nest_the_output() {
    // "JSON extensions": `SELECT foo.bar AS bar.baz` on the page's message.
    let message = json!({"foo": {"bar": "RED", "bar1": "GREEN", "bar2": "BLUE"}});
    assert_eq!(
        fired(
            "SELECT foo.bar AS bar.baz FROM 'topic/subtopic'",
            "topic/subtopic",
            &message
        ),
        json!({"bar": {"baz": "RED"}})
    );
    // Two aliases under one key share its object; a later plain key replaces it; `* AS a.b` nests the message.
    assert_eq!(
        fired(
            "SELECT foo.bar AS c.red, foo.bar1 AS c.green, * AS m.all FROM 't'",
            "t",
            &message
        ),
        json!({"c": {"red": "RED", "green": "GREEN"}, "m": {"all": message}})
    );
    assert_eq!(
        fired("SELECT 1 AS a, 2 AS a.b FROM 't'", "t", &message),
        json!({"a": {"b": 2}})
    );
    assert_eq!(
        fired("SELECT 2 AS a.b, 1 AS a FROM 't'", "t", &message),
        json!({"a": 1})
    );
}

#[test]
fn run_owned_agrees_with_run_on_the_extensions() {
    let payload = json!({"e": [{"n": "x", "v": 1}], "t": 5, "foo": {"bar": 1}});
    for sql in [
        "SET @v = t * 2 SELECT *, @v AS double FROM 'a' WHERE @v > 5",
        "SET @v = t * 2 SELECT *, @v AS double FROM 'a' WHERE @v > 50",
        "SELECT *, (SELECT VALUE n FROM e) AS names, foo.bar AS x.y FROM 'a'",
        "SELECT *, get(*, 't') AS t2 FROM 'a'",
    ] {
        let program = Program::compile(&parse(sql).unwrap()).unwrap();
        let input = input("a", &payload);
        assert_eq!(
            program.run_owned("a", payload.clone(), input.client_id, input.now_ms),
            program.run(&input),
            "{sql}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Every generated statement that compiles (its functions exist) runs without panicking on messages that
    /// share its names, what it fires serializes, and `run_owned` agrees with `run`.
    #[test]
    fn generated_statements_run(
        stmt in crate::sql::generate::any_statement(),
        keys in proptest::collection::vec("[a-zA-Z_]{1,3}", 0..6),
    ) {
        let Ok(program) = Program::compile(&stmt) else { return Ok(()) };
        let mut map = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            map.insert(k.clone(), match i % 3 {
                0 => json!(i),
                1 => json!([{"a": i}, {"b": "x"}]),
                _ => json!({"a": {"b": i}}),
            });
        }
        let payload = serde_json::Value::Object(map);
        let input = input("t/a", &payload);
        let outcome = program.run(&input);
        if let Outcome::Fired(m) = &outcome {
            proptest::prop_assert!(serde_json::to_string(m).is_ok());
        }
        proptest::prop_assert_eq!(
            program.run_owned("t/a", payload.clone(), input.client_id, input.now_ms),
            outcome
        );
    }
}
