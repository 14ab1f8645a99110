//! The implicit conversions of the "Conversions" tables of `iot-sql-data-types`: to a number, an `Int`
//! (truncated or floored, as each function's page says), a `Boolean` and a `String`. Operators and functions
//! convert their operands through these and give Undefined when a conversion fails.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::evaluated::{Evaluated, ValueKind};
use super::value::{Value, format_f64};

#[derive(Clone, Copy)]
pub(super) enum Numeric {
    Int(i64),
    Decimal(f64),
}

impl Numeric {
    pub(super) fn as_f64(self) -> f64 {
        match self {
            Numeric::Int(i) => i as f64,
            Numeric::Decimal(d) => d,
        }
    }
}

/// Strings the engine converts to a `Decimal`: `^-?\d+(\.\d+)?((?i)E-?\d+)?$`.
pub(super) fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if b.first() == Some(&b'-') {
        i += 1;
    }
    if !digits(&mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Numbers only.
pub(super) fn number(k: ValueKind<'_>) -> Option<Numeric> {
    match k {
        ValueKind::Int(i) => Some(Numeric::Int(i)),
        ValueKind::Decimal(d) => Some(Numeric::Decimal(d)),
        _ => None,
    }
}

/// Numbers, and strings that convert to a `Decimal`.
pub(super) fn to_number(k: ValueKind<'_>) -> Option<Numeric> {
    match k {
        ValueKind::String(s) => parse_decimal(s).map(Numeric::Decimal),
        other => number(other),
    }
}

/// To `Int`: decimals truncate toward zero (saturating).
pub(super) fn to_int(k: ValueKind<'_>) -> Option<i64> {
    match to_number(k)? {
        Numeric::Int(i) => Some(i),
        Numeric::Decimal(d) => Some(d.trunc() as i64),
    }
}

/// To `Int` for the functions whose pages say "rounded down" to an Int
/// (bit operations, `chr`, `lpad`, `rpad`, `trunc`'s places).
pub(super) fn to_int_floor(k: ValueKind<'_>) -> Option<i64> {
    match to_number(k)? {
        Numeric::Int(i) => Some(i),
        Numeric::Decimal(d) => Some(d.floor() as i64),
    }
}

/// To `Boolean`: booleans, and the strings "true"/"false" in any case.
pub(super) fn to_bool(k: ValueKind<'_>) -> Option<bool> {
    match k {
        ValueKind::Bool(b) => Some(b),
        ValueKind::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        ValueKind::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// To `String`: `None` for `Null` and `Undefined`; arrays and objects
/// serialize to JSON.
pub(super) fn to_str<'x>(v: &'x Evaluated<'_>) -> Option<Cow<'x, str>> {
    Some(match v.kind() {
        ValueKind::Undefined | ValueKind::Null => return None,
        ValueKind::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        ValueKind::Int(i) => Cow::Owned(i.to_string()),
        ValueKind::Decimal(d) => Cow::Owned(match v {
            Evaluated::Payload(Json::Number(n)) => n.to_string(),
            Evaluated::Literal(Value::Decimal(x)) | Evaluated::Owned(Value::Decimal(x)) => {
                x.to_string()
            }
            _ => format_f64(d),
        }),
        ValueKind::String(s) => Cow::Borrowed(s),
        ValueKind::Array | ValueKind::Object => Cow::Owned(match v {
            Evaluated::Payload(j) => j.to_string(),
            other => other.to_value().into_json().unwrap_or_default().to_string(),
        }),
    })
}

pub(super) fn map_string(v: &Evaluated<'_>, f: impl FnOnce(&str) -> String) -> Value {
    to_str(v).map_or(Value::Undefined, |s| Value::String(f(&s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::eval::test_support::*;
    use serde_json::json;

    #[test]
    fn data_type_conversions() {
        // `abs("-5.123")` is treated as `abs(-5.123)`.
        assert_eq!(val("abs('-5.123')"), d(5.123));
        // Strings matching ^-?\d+(\.\d+)?((?i)E-?\d+)?$ convert to Decimal.
        assert_eq!(parse_decimal("0"), Some(0.0));
        assert_eq!(parse_decimal("-1.2"), Some(-1.2));
        assert_eq!(parse_decimal("5E-12"), Some(5e-12));
        assert_eq!(parse_decimal("5e3"), Some(5000.0));
        for bad in [
            "", "-", "+1", "1.", ".5", "1e", "1e+3", " 1", "0x10", "1,5", "NaN", "1e999",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
        // JSON numbers round-trip exactly.
        let big = json!({"n": 18446744073709551615_u64, "t": 1672742949382_i64, "f": 0.1});
        assert_eq!(
            val_on("n", &big).into_json(),
            Some(json!(18446744073709551615_u64))
        );
        assert_eq!(Value::from_json(&big).into_json(), Some(big.clone()));
        assert_eq!(val_on("concat(n, '')", &big), s("18446744073709551615"));
        // SQL V2: whole-number decimals come out as Int.
        assert_eq!(js("10.0"), Some(json!(10)));
        assert_eq!(js("1.25"), Some(json!(1.25)));
    }
}
