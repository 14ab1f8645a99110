//! `encode(value, 'base64')` and `decode(value, 'base64')` (page `iot-sql-functions`, SQL 2016-03-23).
//!
//! Base64 is RFC 4648's standard alphabet, the one of Java's `Base64.getEncoder()`: `encode` writes the padding,
//! `decode` accepts it or its absence and any trailing bits, as Java's basic decoder does, and refuses anything
//! outside the alphabet (line breaks included). The `base64` crate is the maintained implementation of exactly
//! this, with these choices as settings.
//!
//! What AWS documents, and what is inferred:
//! * `encode` converts its value to a string first (documented), so an object or an array is encoded as its
//!   JSON. `encode(*, 'base64')` encodes the payload: AWS encodes the bytes that were published; the simulator
//!   only has the recorded JSON value, so it encodes that value's compact JSON, which differs from the published
//!   bytes when they had other spacing or key order.
//! * `decode` returns Null when its value is not base64 (documented); decoded bytes that are a JSON document
//!   become that value, so `decode(x, 'base64').temperature` reads a field (documented); anything else is
//!   returned as a string (documented), malformed UTF-8 replaced by U+FFFD as Java's `new String(bytes, UTF_8)`
//!   does (inferred). Decoded bytes that are any JSON document become its value, a scalar too:
//!   `decode(encode(*, 'base64'), 'base64')` on the payload `80` is the number 80, as AWS evaluates it (an earlier
//!   inference kept a decoded scalar a string; statements checked against AWS showed otherwise).
//! * The scheme must be the literal `'base64'`; `'proto'` (protobuf, with a descriptor read from S3) is refused
//!   before the rule runs (see [`super::check_arguments`]).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value as Json;

use crate::sql::eval::convert::to_str;
use crate::sql::eval::evaluated::Evaluated;
use crate::sql::eval::value::Value;

/// The only scheme both functions compute.
pub(super) const BASE64: &str = "base64";

/// Java's basic decoder: padding optional, trailing bits ignored.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// `encode(value, 'base64')`: the base64 of the value's string form; Undefined for Null and Undefined.
pub(super) fn encode(x: &Evaluated<'_>) -> Value {
    to_str(x).map_or(Value::Undefined, |s| {
        Value::String(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
    })
}

/// `decode(value, 'base64')`: the decoded JSON object or array, else the decoded string; Null when the value's
/// string form is not base64; Undefined for Null and Undefined.
pub(super) fn decode(x: &Evaluated<'_>) -> Value {
    let Some(text) = to_str(x) else {
        return Value::Undefined;
    };
    let Ok(bytes) = LENIENT.decode(text.as_bytes()) else {
        return Value::Null;
    };
    let decoded = String::from_utf8_lossy(&bytes);
    match serde_json::from_str::<Json>(&decoded) {
        Ok(j) => Value::from_json(&j),
        _ => Value::String(decoded.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use serde_json::{Value as Json, json};

    /// (expression, payload, result): the page's example (`decode(encoded_temp, "base64").temperature` on
    /// `{"encoded_temp": "eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg=="}` is 33), the binary-payloads page's round trip, and
    /// the documented edges: not base64 gives Null, a decoded non-JSON string stays a string.
    #[test]
    fn decode_examples() {
        let temp = json!({"encoded_temp": "eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg=="});
        let cases: &[(&str, &Json, Option<Json>)] = &[
            (
                "decode(encoded_temp, 'base64').temperature",
                &temp,
                Some(json!(33)),
            ),
            (
                "decode(encoded_temp, 'base64')",
                &temp,
                Some(json!({"temperature": 33})),
            ),
            ("decode('aGVsbG8=', 'base64')", &temp, Some(json!("hello"))),
            // Padding is optional, as in Java's basic decoder.
            ("decode('aGVsbG8', 'base64')", &temp, Some(json!("hello"))),
            ("decode('WzEsMl0=', 'base64')", &temp, Some(json!([1, 2]))),
            ("decode('MzM=', 'base64')", &temp, Some(json!(33))),
            ("decode('ImEi', 'base64')", &temp, Some(json!("a"))),
            (
                "decode(encode(*, 'base64'), 'base64')",
                &json!(80),
                Some(json!(80)),
            ),
            (
                "decode(encode(*, 'base64'), 'base64')",
                &temp,
                Some(temp.clone()),
            ),
            ("decode('', 'base64')", &temp, Some(json!(""))),
            ("decode('not base64!', 'base64')", &temp, Some(Json::Null)),
            ("decode('aGVs\nbG8=', 'base64')", &temp, Some(Json::Null)),
            ("decode(missing, 'base64')", &temp, None),
            ("decode(null, 'base64')", &temp, None),
            // Bytes that are not UTF-8 decode with replacement characters.
            ("decode('/w==', 'base64')", &temp, Some(json!("\u{fffd}"))),
        ];
        for (expr, payload, expected) in cases {
            assert_eq!(val_on(expr, payload).into_json(), *expected, "{expr}");
        }
    }

    #[test]
    fn encode_examples() {
        let p = json!({"a": {"b": [1, "x"]}, "n": 5});
        let cases: &[(&str, Option<Json>)] = &[
            ("encode('hello', 'base64')", Some(json!("aGVsbG8="))),
            ("encode('', 'base64')", Some(json!(""))),
            ("encode('€', 'base64')", Some(json!("4oKs"))),
            ("encode(n, 'base64')", Some(json!("NQ=="))),
            // An object is encoded as its JSON: {"b":[1,"x"]}.
            ("encode(a, 'base64')", Some(json!("eyJiIjpbMSwieCJdfQ=="))),
            ("encode(missing, 'base64')", None),
            ("encode(null, 'base64')", None),
        ];
        for (expr, expected) in cases {
            assert_eq!(val_on(expr, &p).into_json(), *expected, "{expr}");
        }
        // The binary-payloads page's round trip: decode(encode(x)) is x.
        assert_eq!(
            val_on("decode(encode(a, 'base64'), 'base64')", &p).into_json(),
            Some(json!({"b": [1, "x"]}))
        );
    }
}
