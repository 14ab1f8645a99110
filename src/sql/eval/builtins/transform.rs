//! `transform(mode, object, array)` (page `iot-sql-functions`, SQL 2016-03-23). The page documents one mode,
//! `enrichArray`: the result is the array with the object's attributes added to each of its objects, each
//! element's own attributes first (the page's examples print them in that order). Every other mode, and any
//! other argument type, gives Undefined (the page's table).
//!
//! Inferred, where the page is silent: the mode is matched exactly (`enrichArray`, as printed); an array with an
//! element that is not an object is not an "array of objects" and gives Undefined; when an element already has
//! one of the object's attributes, the object's value replaces it (the object's attributes are "applied" to each
//! element). The page's 128 KiB limit on the returned array is not enforced.

use crate::sql::eval::evaluated::{Evaluated, ValueKind};
use crate::sql::eval::value::Value;

/// The one mode the page documents.
const ENRICH_ARRAY: &str = "enrichArray";

pub(super) fn transform(
    mode: &Evaluated<'_>,
    object: Evaluated<'_>,
    array: Evaluated<'_>,
) -> Value {
    if !matches!(mode.kind(), ValueKind::String(ENRICH_ARRAY)) {
        return Value::Undefined;
    }
    let (Value::Object(attributes), Value::Array(elements)) =
        (object.into_value(), array.into_value())
    else {
        return Value::Undefined;
    };
    let mut out = Vec::with_capacity(elements.len());
    for element in elements {
        let Value::Object(mut element) = element else {
            return Value::Undefined;
        };
        for (key, value) in attributes.iter() {
            element.insert(key.to_owned(), value.clone());
        }
        out.push(Value::Object(element));
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use serde_json::{Value as Json, json};

    fn values() -> Json {
        json!({
            "attributes": {"data1": 1, "data2": 2},
            "values": [{"a": 3}, {"b": 4}, {"c": 5}]
        })
    }

    /// The page's example 3, whose object and array come from nested SELECTs (`(select a, b from data2)`,
    /// `(select value c from data2)`), written here with the object literal and the path they evaluate to.
    fn nested() -> Json {
        json!({
            "data1": "example",
            "data2": {
                "a": "first attribute",
                "b": "second attribute",
                "c": [
                    {"x": {"someInt": 5, "someString": "hello"}, "y": true},
                    {"x": {"someInt": 10, "someString": "world"}, "y": false}
                ]
            }
        })
    }

    #[test]
    fn transform_examples() {
        let cases: &[(&str, Json, Option<Json>)] = &[
            // Example 1.
            (
                "transform('enrichArray', attributes, values)",
                values(),
                Some(json!([
                    {"a": 3, "data1": 1, "data2": 2},
                    {"b": 4, "data1": 1, "data2": 2},
                    {"c": 5, "data1": 1, "data2": 2}
                ])),
            ),
            // Example 2: a literal object renames an attribute.
            (
                "transform('enrichArray', {'key': attributes.data1}, values)",
                values(),
                Some(json!([{"a": 3, "key": 1}, {"b": 4, "key": 1}, {"c": 5, "key": 1}])),
            ),
            // Example 3.
            (
                "transform('enrichArray', {'a': data2.a, 'b': data2.b}, data2.c)",
                nested(),
                Some(json!([
                    {
                        "x": {"someInt": 5, "someString": "hello"},
                        "y": true,
                        "a": "first attribute",
                        "b": "second attribute"
                    },
                    {
                        "x": {"someInt": 10, "someString": "world"},
                        "y": false,
                        "a": "first attribute",
                        "b": "second attribute"
                    }
                ])),
            ),
            // The table's "Any other value" row: another mode, or arguments of other types.
            ("transform('other', attributes, values)", values(), None),
            (
                "transform('enricharray', attributes, values)",
                values(),
                None,
            ),
            ("transform('enrichArray', 5, values)", values(), None),
            (
                "transform('enrichArray', attributes, attributes)",
                values(),
                None,
            ),
            ("transform('enrichArray', missing, values)", values(), None),
            (
                "transform('enrichArray', attributes, [1, 2])",
                values(),
                None,
            ),
            // The object's attributes win over an element's own.
            (
                "transform('enrichArray', {'a': 0}, values)",
                values(),
                Some(json!([{"a": 0}, {"b": 4, "a": 0}, {"c": 5, "a": 0}])),
            ),
            (
                "transform('enrichArray', attributes, [])",
                values(),
                Some(json!([])),
            ),
        ];
        for (expr, payload, expected) in cases {
            assert_eq!(val_on(expr, payload).into_json(), *expected, "{expr}");
        }
    }

    #[test]
    fn transform_in_a_select_value_rule() {
        let out = run(
            "SELECT VALUE transform('enrichArray', attributes, values) FROM 'A/B'",
            "A/B",
            &values(),
        );
        assert_eq!(
            out,
            crate::sql::eval::Outcome::FiredValue(Some(json!([
                {"a": 3, "data1": 1, "data2": 2},
                {"b": 4, "data1": 1, "data2": 2},
                {"c": 5, "data1": 1, "data2": 2}
            ])))
        );
    }
}
