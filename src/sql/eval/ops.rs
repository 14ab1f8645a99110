//! The operators of `iot-sql-operators` (`AND OR NOT`, `= <> < <= > >=`, `IN`, `+ - * / %`, unary minus) and
//! `CAST`, on evaluated values.

use serde_json::Value as Json;

use super::compile::CastType;
use super::convert::{Numeric, map_string, number, parse_decimal, to_bool, to_number, to_str};
use super::evaluated::{Evaluated, ValueKind};
use super::value::{Value, decimal, whole};
use crate::sql::ast::BinaryOp;

pub(super) fn binary(op: BinaryOp, l: &Evaluated<'_>, r: &Evaluated<'_>) -> Value {
    match op {
        BinaryOp::And | BinaryOp::Or => match (to_bool(l.kind()), to_bool(r.kind())) {
            (Some(a), Some(b)) => Value::Bool(if op == BinaryOp::And { a && b } else { a || b }),
            _ => Value::Undefined,
        },
        BinaryOp::Eq => equals(l, r).map_or(Value::Undefined, Value::Bool),
        BinaryOp::NotEq => equals(l, r).map_or(Value::Undefined, |b| Value::Bool(!b)),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            compare(op, l.kind(), r.kind())
        }
        BinaryOp::In => member(l, r),
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            arith(op, l, r)
        }
    }
}

/// `=`: `None` (Undefined) if either side is Undefined; numbers compare by
/// value across Int and Decimal; mismatched types are unequal (no string to
/// number conversion, per the `=` table).
pub(super) fn equals(l: &Evaluated<'_>, r: &Evaluated<'_>) -> Option<bool> {
    Some(match (l.kind(), r.kind()) {
        (ValueKind::Undefined, _) | (_, ValueKind::Undefined) => return None,
        (ValueKind::Int(a), ValueKind::Int(b)) => a == b,
        (
            a @ (ValueKind::Int(_) | ValueKind::Decimal(_)),
            b @ (ValueKind::Int(_) | ValueKind::Decimal(_)),
        ) => number(a).map(Numeric::as_f64) == number(b).map(Numeric::as_f64),
        (ValueKind::String(a), ValueKind::String(b)) => a == b,
        (ValueKind::Bool(a), ValueKind::Bool(b)) => a == b,
        (ValueKind::Null, ValueKind::Null) => true,
        (ValueKind::Array, ValueKind::Array) | (ValueKind::Object, ValueKind::Object) => {
            value_eq(&l.to_value(), &r.to_value())
        }
        _ => false,
    })
}

/// Structural equality: arrays in order, objects regardless of key order.
pub(super) fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| value_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| value_eq(v, w)))
        }
        (Value::Undefined, Value::Undefined) => true,
        _ => equals(&Evaluated::Literal(a), &Evaluated::Literal(b)) == Some(true),
    }
}

/// `< <= > >=`: numbers, or strings that convert to numbers; else Undefined.
pub(super) fn compare(op: BinaryOp, l: ValueKind<'_>, r: ValueKind<'_>) -> Value {
    let (Some(a), Some(b)) = (to_number(l), to_number(r)) else {
        return Value::Undefined;
    };
    let ord = match (a, b) {
        (Numeric::Int(x), Numeric::Int(y)) => x.cmp(&y),
        _ => match a.as_f64().partial_cmp(&b.as_f64()) {
            Some(o) => o,
            None => return Value::Undefined,
        },
    };
    Value::Bool(match op {
        BinaryOp::Lt => ord.is_lt(),
        BinaryOp::Le => ord.is_le(),
        BinaryOp::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

/// `x IN array`: whether an element `=` x. Undefined unless the right side
/// is an array and x is defined.
pub(super) fn member(l: &Evaluated<'_>, r: &Evaluated<'_>) -> Value {
    if l.is_undefined() {
        return Value::Undefined;
    }
    let found = match r {
        Evaluated::Payload(Json::Array(a)) => a
            .iter()
            .any(|e| equals(l, &Evaluated::Payload(e)) == Some(true)),
        Evaluated::Literal(Value::Array(a)) | Evaluated::Owned(Value::Array(a)) => a
            .iter()
            .any(|e| equals(l, &Evaluated::Literal(e)) == Some(true)),
        _ => return Value::Undefined,
    };
    Value::Bool(found)
}

/// `+ - * / %` (and `mod`). `+` with a string on either side concatenates
/// string conversions; otherwise Int op Int is an Int (integer division
/// truncates toward zero) and anything with a Decimal, or with a numeric
/// string for `- * / %`, is a Decimal. Division by zero is Undefined.
pub(super) fn arith(op: BinaryOp, l: &Evaluated<'_>, r: &Evaluated<'_>) -> Value {
    let (lk, rk) = (l.kind(), r.kind());
    let (a, b) = if op == BinaryOp::Add {
        if matches!(lk, ValueKind::String(_)) || matches!(rk, ValueKind::String(_)) {
            return match (to_str(l), to_str(r)) {
                (Some(x), Some(y)) => Value::String(x.into_owned() + &y),
                _ => Value::Undefined,
            };
        }
        (number(lk), number(rk))
    } else {
        (to_number(lk), to_number(rk))
    };
    let (Some(a), Some(b)) = (a, b) else {
        return Value::Undefined;
    };
    if let (Numeric::Int(x), Numeric::Int(y)) = (a, b) {
        let exact = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Sub => x.checked_sub(y),
            BinaryOp::Mul => x.checked_mul(y),
            BinaryOp::Div if y == 0 => return Value::Undefined,
            BinaryOp::Div => x.checked_div(y),
            BinaryOp::Mod if y == 0 => return Value::Undefined,
            // i64::MIN % -1 overflows in Rust; its remainder is 0.
            _ => Some(x.checked_rem(y).unwrap_or(0)),
        };
        if let Some(v) = exact {
            return Value::Int(v);
        }
    }
    let (x, y) = (a.as_f64(), b.as_f64());
    match op {
        BinaryOp::Add => decimal(x + y),
        BinaryOp::Sub => decimal(x - y),
        BinaryOp::Mul => decimal(x * y),
        BinaryOp::Div if y == 0.0 => Value::Undefined,
        BinaryOp::Div => decimal(x / y),
        BinaryOp::Mod if y == 0.0 => Value::Undefined,
        // Sign of the dividend, as Java's BigDecimal.remainder.
        _ => decimal(x % y),
    }
}

/// Unary minus (undocumented): numbers and numeric strings, like `0 - x`.
pub(super) fn negate(k: ValueKind<'_>) -> Value {
    match to_number(k) {
        Some(Numeric::Int(i)) => i
            .checked_neg()
            .map_or_else(|| decimal(-(i as f64)), Value::Int),
        Some(Numeric::Decimal(d)) => decimal(-d),
        None => Value::Undefined,
    }
}

/// `CAST(x AS type)`, per the casting tables of the functions page.
pub(super) fn cast(ty: CastType, v: &Evaluated<'_>) -> Value {
    let k = v.kind();
    match ty {
        CastType::String => map_string(v, str::to_owned),
        CastType::Int => match k {
            ValueKind::Int(i) => Value::Int(i),
            ValueKind::Decimal(d) => whole(d.trunc()),
            ValueKind::Bool(b) => Value::Int(i64::from(b)),
            ValueKind::String(s) => parse_decimal(s).map_or(Value::Undefined, |d| whole(d.trunc())),
            _ => Value::Undefined,
        },
        CastType::Decimal => match k {
            ValueKind::Int(i) => decimal(i as f64),
            ValueKind::Decimal(_) => v.to_value(),
            ValueKind::Bool(b) => decimal(if b { 1.0 } else { 0.0 }),
            ValueKind::String(s) => parse_decimal(s).map_or(Value::Undefined, decimal),
            _ => Value::Undefined,
        },
        CastType::Bool => match k {
            ValueKind::Int(i) => Value::Bool(i != 0),
            ValueKind::Decimal(d) => Value::Bool(d != 0.0),
            other => to_bool(other).map_or(Value::Undefined, Value::Bool),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::eval::test_support::*;
    use serde_json::json;

    #[test]
    fn logical_operators_table() {
        // AND / OR / NOT: booleans or "true"/"false" strings in any case.
        assert_eq!(val("true AND true"), T);
        assert_eq!(val("true AND false"), F);
        assert_eq!(val("'TRUE' AND 'true'"), T);
        assert_eq!(val("false OR 'True'"), T);
        assert_eq!(val("false OR false"), F);
        assert_eq!(val("NOT 'false'"), T);
        assert_eq!(val("NOT true"), F);
        // Other values: Undefined.
        assert_eq!(val("1 AND true"), U);
        assert_eq!(val("'yes' OR true"), U);
        assert_eq!(val("NOT 0"), U);
        assert_eq!(val("true OR missing"), U);
        assert_eq!(val("NOT missing"), U);
    }

    #[test]
    fn equality_tables() {
        // = : same types compare; Int converts to Decimal.
        assert_eq!(val("1 = 1"), T);
        assert_eq!(val("1 = 1.0"), T);
        assert_eq!(val("'a' = 'a'"), T);
        assert_eq!(val("[1, 2] = [1, 2]"), T);
        assert_eq!(val("[1, 2] = [2, 1]"), F, "arrays: order matters");
        assert_eq!(
            val("{'a': 1, 'b': 2} = {'b': 2, 'a': 1}"),
            T,
            "objects: it does not"
        );
        assert_eq!(val("null = null"), T);
        // Mismatched types: = false, <> true (no string/number conversion).
        assert_eq!(val("'1' = 1"), F);
        assert_eq!(val("'1' <> 1"), T);
        assert_eq!(val("true = 'true'"), F);
        // <> : Null <> Null is false.
        assert_eq!(val("null <> null"), F);
        assert_eq!(val("1 <> 2"), T);
        // Undefined on either side: Undefined.
        assert_eq!(val("missing = 1"), U);
        assert_eq!(val("1 <> missing"), U);
        assert_eq!(val("missing = missing"), U);
    }

    #[test]
    fn ordering_tables() {
        assert_eq!(val("2 > 1"), T);
        assert_eq!(val("1.5 >= 2"), F);
        assert_eq!(val("1 < 1.5"), T);
        assert_eq!(val("2 <= 2"), T);
        // Strings that convert to Decimal compare as numbers.
        assert_eq!(val("'10' > 9"), T);
        assert_eq!(val("'5E-12' < 1"), T);
        // Otherwise Undefined, even for two strings.
        assert_eq!(val("'abc' > 1"), U);
        assert_eq!(val("'b' > 'a'"), U);
        assert_eq!(val("true > false"), U);
        assert_eq!(val("missing < 1"), U);
        // Large ints compare exactly.
        assert_eq!(val("9223372036854775807 > 9223372036854775806"), T);
    }

    #[test]
    fn plus_operator_table() {
        // String + anything concatenates string conversions.
        assert_eq!(val("'a' + 'b'"), s("ab"));
        assert_eq!(val("'1' + 2"), s("12"));
        assert_eq!(val("1 + '2'"), s("12"));
        assert_eq!(val("'x' + true"), s("xtrue"));
        assert_eq!(val("'x' + [1, 'a']"), s(r#"x[1,"a"]"#));
        assert_eq!(val("'x' + 1.5"), s("x1.5"));
        // ...except Null and Undefined, which have no string form.
        assert_eq!(val("'x' + null"), U);
        assert_eq!(val("'x' + missing"), U);
        // Int + Int is Int; with a Decimal, Decimal.
        assert_eq!(val("1 + 2"), Value::Int(3));
        assert_eq!(val("1 + 0.5"), d(1.5));
        // Other values: Undefined.
        assert_eq!(val("true + 1"), U);
        assert_eq!(val("null + 1"), U);
        // Overflow falls back to Decimal.
        assert_eq!(
            val("9223372036854775807 + 1"),
            d(9_223_372_036_854_775_808.0)
        );
    }

    #[test]
    fn arithmetic_operator_tables() {
        // - * / : Int op Int is Int.
        assert_eq!(val("5 - 7"), Value::Int(-2));
        assert_eq!(val("6 * 7"), Value::Int(42));
        assert_eq!(val("7 / 2"), Value::Int(3), "integer division");
        assert_eq!(val("-7 / 2"), Value::Int(-3), "truncates toward zero");
        assert_eq!(val("7.0 / 2"), d(3.5));
        assert_eq!(val("1 / 0"), U);
        assert_eq!(val("1.5 / 0"), U);
        // Numeric strings convert to Decimal.
        assert_eq!(val("'5' - 2"), d(3.0));
        assert_eq!(val("'2.5' * 2"), d(5.0));
        assert_eq!(val("'a' - 2"), U);
        assert_eq!(val("true * 2"), U);
        // % : Int remainder; sign of the dividend; zero divisor Undefined.
        assert_eq!(val("8 % 3"), Value::Int(2));
        assert_eq!(val("-8 % 3"), Value::Int(-2));
        assert_eq!(val("8.5 % 3"), d(2.5));
        assert_eq!(val("'8' % 3"), d(2.0));
        assert_eq!(val("8 % 0"), U);
        assert_eq!(val("-9223372036854775807 - 1"), Value::Int(i64::MIN));
        assert_eq!(val("(-9223372036854775807 - 1) % -1"), Value::Int(0));
        // Unary minus.
        assert_eq!(val("-(2 + 3)"), Value::Int(-5));
        assert_eq!(val("-'a'"), U);
    }

    #[test]
    fn in_operator() {
        let p = json!({"kinds": ["connected", "disconnected"], "e": "connected"});
        assert_eq!(val_on("e IN kinds", &p), T);
        assert_eq!(val_on("'x' IN kinds", &p), F);
        assert_eq!(val_on("1 IN [1.0, 2]", &p), T);
        assert_eq!(val_on("missing IN kinds", &p), U);
        assert_eq!(val_on("e IN e", &p), U, "right side must be an array");
    }

    #[test]
    fn cast_function() {
        assert_eq!(val("cast(true as Int)"), Value::Int(1)); // the page's example
        assert_eq!(val("cast(false as Integer)"), Value::Int(0));
        assert_eq!(val("cast(2.7 as Int)"), Value::Int(2));
        assert_eq!(val("cast('-1.2' as Int)"), Value::Int(-1));
        assert_eq!(val("cast('x' as Int)"), U);
        assert_eq!(val("cast(5 as Decimal)"), d(5.0));
        assert_eq!(val("cast(true as Double)"), d(1.0));
        assert_eq!(val("cast('5E-12' as Decimal)"), d(5e-12));
        assert_eq!(val("cast(0 as Bool)"), F);
        assert_eq!(val("cast(-3.5 as Boolean)"), T);
        assert_eq!(val("cast('TRUE' as Boolean)"), T);
        assert_eq!(val("cast('yes' as Boolean)"), U);
        assert_eq!(val("cast(12 as String)"), s("12"));
        assert_eq!(val("cast(true as varchar)"), s("true"));
        assert_eq!(val("cast([1, 'a'] as String)"), s(r#"[1,"a"]"#));
        assert_eq!(val("cast({'k': null} as Text)"), s(r#"{"k":null}"#));
        assert_eq!(val("cast(null as String)"), U);
        assert_eq!(val("cast(null as Int)"), U);
        assert_eq!(val("cast(missing as Int)"), U);
    }
}
