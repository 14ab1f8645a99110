//! Numeric functions: `abs`, `floor`/`ceil`/`round`, `sign`, the double-precision functions (`sqrt`, `ln`,
//! trigonometry...), `atan2`/`power`, `trunc` and the bit operations. Numeric strings convert; anything else
//! gives Undefined, as do results that are not finite.

use crate::sql::eval::convert::{Numeric, to_int_floor, to_number};
use crate::sql::eval::evaluated::{Evaluated, ValueKind};
use crate::sql::eval::value::{Value, decimal, whole};
use crate::sql::functions::Builtin;

pub(super) fn abs(x: &Evaluated<'_>) -> Value {
    match to_number(x.kind()) {
        Some(Numeric::Int(i)) => i
            .checked_abs()
            .map_or_else(|| decimal((i as f64).abs()), Value::Int),
        Some(Numeric::Decimal(d)) => decimal(d.abs()),
        None => Value::Undefined,
    }
}

/// `floor`, `ceil` and `round`: an `Int` (a `Decimal` past the `Int` range).
pub(super) fn to_whole(f: Builtin, x: &Evaluated<'_>) -> Value {
    match to_number(x.kind()) {
        Some(Numeric::Int(i)) => Value::Int(i),
        Some(Numeric::Decimal(d)) => whole(match f {
            Builtin::Floor => d.floor(),
            Builtin::Ceil => d.ceil(),
            // Half away from zero: the page's examples round 1.5 to 2
            // and -1.5 to -2.
            _ => d.round(),
        }),
        None => Value::Undefined,
    }
}

pub(super) fn sign(x: &Evaluated<'_>) -> Value {
    match to_number(x.kind()) {
        Some(n) => Value::Int(match n {
            Numeric::Int(i) => i.signum(),
            Numeric::Decimal(d) if d > 0.0 => 1,
            Numeric::Decimal(d) if d < 0.0 => -1,
            Numeric::Decimal(_) => 0,
        }),
        None => Value::Undefined,
    }
}

/// The functions of one number computed in double precision; imaginary or infinite results are Undefined.
pub(super) fn double(f: Builtin, x: &Evaluated<'_>) -> Value {
    match to_number(x.kind()) {
        Some(n) => {
            let x = n.as_f64();
            decimal(match f {
                Builtin::Acos => x.acos(),
                Builtin::Asin => x.asin(),
                Builtin::Atan => x.atan(),
                Builtin::Cos => x.cos(),
                Builtin::Cosh => x.cosh(),
                Builtin::Exp => x.exp(),
                Builtin::Ln => x.ln(),
                Builtin::Log => x.log10(),
                Builtin::Sin => x.sin(),
                Builtin::Sinh => x.sinh(),
                Builtin::Sqrt => x.sqrt(),
                Builtin::Tan => x.tan(),
                _ => x.tanh(),
            })
        }
        None => Value::Undefined,
    }
}

/// `atan2` and `power`.
pub(super) fn double2(f: Builtin, a: &Evaluated<'_>, b: &Evaluated<'_>) -> Value {
    match (to_number(a.kind()), to_number(b.kind())) {
        (Some(a), Some(b)) if f == Builtin::Atan2 => decimal(a.as_f64().atan2(b.as_f64())),
        (Some(a), Some(b)) => decimal(a.as_f64().powf(b.as_f64())),
        _ => Value::Undefined,
    }
}

/// `trunc(x, places)`: places must be a number (not a numeric string), floored and clamped to 0..=34.
pub(super) fn trunc(x: &Evaluated<'_>, places: &Evaluated<'_>) -> Value {
    let places = match places.kind() {
        k @ (ValueKind::Int(_) | ValueKind::Decimal(_)) => to_int_floor(k),
        _ => None,
    };
    match (to_number(x.kind()), places) {
        (Some(Numeric::Int(i)), Some(_)) => Value::Int(i),
        (Some(Numeric::Decimal(d)), Some(p)) => {
            decimal(truncate_places(d, p.clamp(0, 34) as usize))
        }
        _ => Value::Undefined,
    }
}

/// `bitand`, `bitor` and `bitxor` on 64-bit integers.
pub(super) fn bits(f: Builtin, a: &Evaluated<'_>, b: &Evaluated<'_>) -> Value {
    match (to_int_floor(a.kind()), to_int_floor(b.kind())) {
        (Some(a), Some(b)) => Value::Int(match f {
            Builtin::BitAnd => a & b,
            Builtin::BitOr => a | b,
            _ => a ^ b,
        }),
        _ => Value::Undefined,
    }
}

pub(super) fn bit_not(a: &Evaluated<'_>) -> Value {
    to_int_floor(a.kind()).map_or(Value::Undefined, |a| Value::Int(!a))
}

/// Cuts `x` after `places` decimal digits, working on its shortest decimal
/// form so that `trunc(0.29, 2)` is 0.29, not 0.28.
fn truncate_places(x: f64, places: usize) -> f64 {
    let text = format!("{x}");
    let Some(dot) = text.find('.') else {
        return x;
    };
    let end = if places == 0 {
        dot
    } else {
        (dot + 1 + places).min(text.len())
    };
    text.get(..end)
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use crate::sql::eval::value::Value;
    use serde_json::json;

    #[test]
    fn numeric_functions() {
        assert_eq!(val("abs(-5)"), Value::Int(5)); // abs
        assert_eq!(val("abs(-1.5)"), d(1.5));
        assert_eq!(val("abs(true)"), U);
        assert_eq!(val("ceil(1.2)"), Value::Int(2)); // ceil
        assert_eq!(val("ceil(-1.2)"), Value::Int(-1));
        assert_eq!(val("floor(1.2)"), Value::Int(1)); // floor
        assert_eq!(val("floor(-1.2)"), Value::Int(-2));
        assert_eq!(val("floor('3.7')"), Value::Int(3));
        assert_eq!(val("round(1.2)"), Value::Int(1)); // round
        assert_eq!(val("Round(1.5)"), Value::Int(2));
        assert_eq!(val("Round(1.7)"), Value::Int(2));
        assert_eq!(val("Round(-1.1)"), Value::Int(-1));
        assert_eq!(val("Round(-1.5)"), Value::Int(-2));
        assert_eq!(val("sign(-7)"), Value::Int(-1)); // sign
        assert_eq!(val("sign(0)"), Value::Int(0));
        assert_eq!(val("sign(13)"), Value::Int(1));
        assert_eq!(val("mod(8, 3)"), Value::Int(2)); // mod
        assert_eq!(val("remainder(8, 3)"), Value::Int(2)); // remainder
        assert_eq!(val("power(2, 5)"), d(32.0)); // power
        assert_eq!(js("power(2, 5)"), Some(json!(32)));
        assert_eq!(val("sqrt(9)"), d(3.0)); // sqrt
        assert_eq!(val("sqrt(-1)"), U);
        assert_eq!(val("trunc(2.3, 0)"), d(2.0)); // trunc
        assert_eq!(val("trunc(2.3123, 2)"), d(2.31));
        assert_eq!(val("trunc(2.888, 2)"), d(2.88));
        assert_eq!(val("trunc(2.00, 5)"), d(2.0));
        assert_eq!(val("trunc(0.29, 2)"), d(0.29));
        assert_eq!(val("nanvl(8, 3)"), Value::Int(8)); // nanvl
        assert_eq!(val("nanvl(missing, 3)"), Value::Int(3));
        assert_eq!(val("bitand(13, 5)"), Value::Int(5)); // bitand
        assert_eq!(val("bitor(8, 5)"), Value::Int(13)); // bitor
        assert_eq!(val("bitxor(13, 5)"), Value::Int(8)); // bitxor
        assert_eq!(val("bitnot(13)"), Value::Int(-14)); // bitnot (64-bit)
    }

    #[test]
    fn math_functions_double_precision() {
        // The page prints 1.5707963267948966, which is pi/2.
        assert_eq!(val("acos(0)"), d(std::f64::consts::FRAC_PI_2)); // acos
        assert_eq!(val("asin(0)"), d(0.0)); // asin
        assert_eq!(val("atan(0)"), d(0.0)); // atan
        assert_eq!(val("atan2(1, 0)"), d(std::f64::consts::FRAC_PI_2)); // atan2
        assert_eq!(val("cos(0)"), d(1.0)); // cos
        assert_eq!(val("cosh(2.3)"), d(5.037220649268761)); // cosh
        assert_eq!(val("sinh(2.3)"), d(4.936961805545957)); // sinh
        assert_eq!(val("tan(3)"), d(-0.1425465430742778)); // tan
        assert_eq!(val("tanh(2.3)"), d(0.9800963962661914)); // tanh
        assert_eq!(val("exp(1)"), d(std::f64::consts::E)); // exp
        assert_eq!(val(&format!("ln({})", std::f64::consts::E)), d(1.0)); // ln
        assert_eq!(val("log(100)"), d(2.0)); // log
        assert_eq!(val("acos(2)"), U, "imaginary results are Undefined");
    }
}
