//! String functions: `concat` (the hot one: composite keys), `chr`, `lower`/`upper`, the trims,
//! `length`/`numbytes`, `lpad`/`rpad`, `startswith`/`endswith`, `indexof`, `replace` and `substring`. Lengths and
//! indices count Unicode scalar values; arguments convert to strings (`length(false)` is 5).

use crate::sql::eval::compile::Node;
use crate::sql::eval::convert::{map_string, to_int, to_int_floor, to_str};
use crate::sql::eval::evaluated::{Evaluated, UNDEFINED, ValueKind};
use crate::sql::eval::run::{Context, eval};
use crate::sql::eval::value::Value;
use crate::sql::functions::Builtin;

/// `concat(...)`: with an array among the arguments, one array of all the
/// arguments (arrays spliced in); otherwise the concatenated string
/// conversions (also when no argument is a string, which the page leaves
/// open; `concat(1)` is "1" per its example). Any Undefined argument, or
/// one that has no string form (Null), makes the result Undefined.
pub(super) fn concat<'a>(args: &'a [Node], cx: &Context<'a>) -> Evaluated<'a> {
    let vals: Vec<Evaluated<'a>> = args.iter().map(|n| eval(n, cx)).collect();
    if vals.is_empty() || vals.iter().any(Evaluated::is_undefined) {
        return UNDEFINED;
    }
    if vals.iter().any(|v| matches!(v.kind(), ValueKind::Array)) {
        let mut out = Vec::new();
        for v in vals {
            match v.into_value() {
                Value::Array(items) => out.extend(items),
                other => out.push(other),
            }
        }
        return Evaluated::Owned(Value::Array(out));
    }
    let mut out = String::with_capacity(64);
    for v in &vals {
        // Integers (timestamps, version numbers) are the common non-string part of a composite key: write
        // their digits straight into the result instead of through a temporary string.
        if let ValueKind::Int(i) = v.kind() {
            use std::fmt::Write as _;
            let _ = write!(out, "{i}");
            continue;
        }
        match to_str(v) {
            Some(s) => out.push_str(&s),
            None => return UNDEFINED,
        }
    }
    Evaluated::Owned(Value::String(out))
}

pub(super) fn chr(x: &Evaluated<'_>) -> Value {
    match to_int_floor(x.kind()) {
        Some(c @ 0..=127) => Value::String(char::from(c as u8).to_string()),
        _ => Value::Undefined,
    }
}

pub(super) fn lower(x: &Evaluated<'_>) -> Value {
    map_string(x, str::to_lowercase)
}

pub(super) fn upper(x: &Evaluated<'_>) -> Value {
    map_string(x, str::to_uppercase)
}

/// `trim`, `ltrim` and `rtrim`, as Java's String.trim: leading and trailing characters <= U+0020.
pub(super) fn trim(f: Builtin, x: &Evaluated<'_>) -> Value {
    match f {
        Builtin::Ltrim => map_string(x, |s| s.trim_start_matches(|c| c <= ' ').to_owned()),
        Builtin::Rtrim => map_string(x, |s| s.trim_end_matches(|c| c <= ' ').to_owned()),
        _ => map_string(x, |s| s.trim_matches(|c| c <= ' ').to_owned()),
    }
}

pub(super) fn length(x: &Evaluated<'_>) -> Value {
    to_str(x).map_or(Value::Undefined, |s| Value::Int(s.chars().count() as i64))
}

pub(super) fn num_bytes(x: &Evaluated<'_>) -> Value {
    to_str(x).map_or(Value::Undefined, |s| Value::Int(s.len() as i64))
}

/// `lpad` and `rpad`: that many spaces (at most 1,000) before or after the string.
pub(super) fn pad(f: Builtin, s: &Evaluated<'_>, n: &Evaluated<'_>) -> Value {
    let count = match n.kind() {
        k @ (ValueKind::Int(_) | ValueKind::Decimal(_) | ValueKind::String(_)) => to_int_floor(k),
        _ => None,
    };
    match (to_str(s), count) {
        (Some(s), Some(n)) => {
            let pad = " ".repeat(n.clamp(0, 1000) as usize);
            Value::String(if f == Builtin::Lpad {
                pad + &s
            } else {
                s.into_owned() + &pad
            })
        }
        _ => Value::Undefined,
    }
}

/// `startswith` and `endswith`.
pub(super) fn affix(f: Builtin, a: &Evaluated<'_>, b: &Evaluated<'_>) -> Value {
    match (to_str(a), to_str(b)) {
        (Some(a), Some(b)) => Value::Bool(if f == Builtin::StartsWith {
            a.starts_with(&*b)
        } else {
            a.ends_with(&*b)
        }),
        _ => Value::Undefined,
    }
}

pub(super) fn index_of(a: &Evaluated<'_>, b: &Evaluated<'_>) -> Value {
    match (to_str(a), to_str(b)) {
        // Not found: -1, as Java's indexOf (undocumented).
        (Some(a), Some(b)) => {
            Value::Int(a.find(&*b).map_or(-1, |at| a[..at].chars().count() as i64))
        }
        _ => Value::Undefined,
    }
}

pub(super) fn replace(a: &Evaluated<'_>, b: &Evaluated<'_>, c: &Evaluated<'_>) -> Value {
    match (to_str(a), to_str(b), to_str(c)) {
        (Some(a), Some(b), Some(c)) => Value::String(a.replace(&*b, &c)),
        _ => Value::Undefined,
    }
}

/// `substring(s, start[, end])`: 0-based character indices clamped to the
/// string; an empty string when start >= end.
pub(super) fn substring(
    s: &Evaluated<'_>,
    start: &Evaluated<'_>,
    end: Option<Evaluated<'_>>,
) -> Value {
    let Some(s) = to_str(s) else {
        return Value::Undefined;
    };
    let len = s.chars().count() as i64;
    let Some(from) = to_int(start.kind()) else {
        return Value::Undefined;
    };
    let to = match end {
        Some(e) => match to_int(e.kind()) {
            Some(i) => i,
            None => return Value::Undefined,
        },
        None => len,
    };
    let (from, to) = (from.clamp(0, len) as usize, to.clamp(0, len) as usize);
    if from >= to {
        return Value::String(String::new());
    }
    Value::String(s.chars().skip(from).take(to - from).collect())
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use crate::sql::eval::value::Value;
    use serde_json::json;

    #[test]
    fn concat_function() {
        assert_eq!(val("concat()"), U);
        assert_eq!(js("concat(1)"), Some(json!("1")));
        assert_eq!(js("concat([1, 2, 3], 4)"), Some(json!([1, 2, 3, 4])));
        assert_eq!(
            js("concat([1, 2, 3], 'hello')"),
            Some(json!([1, 2, 3, "hello"]))
        );
        assert_eq!(js("concat('con', 'cat')"), Some(json!("concat")));
        assert_eq!(js("concat(1, 'hello')"), Some(json!("1hello")));
        assert_eq!(js("concat('he', 'is', 'man')"), Some(json!("heisman")));
        assert_eq!(
            js("concat([1, 2, 3], 'hello', [4, 5, 6])"),
            Some(json!([1, 2, 3, "hello", 4, 5, 6]))
        );
        assert_eq!(val("concat('a', missing)"), U);
        assert_eq!(val("concat('a', null)"), U);
    }

    #[test]
    fn string_functions() {
        assert_eq!(val("chr(65)"), s("A")); // chr
        assert_eq!(val("chr(49)"), s("1"));
        assert_eq!(val("chr(300)"), U);
        assert_eq!(val("endswith('cat', 'at')"), T); // endswith
        assert_eq!(val("endswith(null, 'at')"), U);
        assert_eq!(val("startswith('ranger', 'ran')"), T); // startswith
        assert_eq!(val("startswith(123, 1)"), T);
        assert_eq!(val("indexof('abcd', 'bc')"), Value::Int(1)); // indexof
        assert_eq!(val("indexof('abcd', 'x')"), Value::Int(-1));
        assert_eq!(val("length('hi')"), Value::Int(2)); // length
        assert_eq!(val("length(false)"), Value::Int(5));
        assert_eq!(val("lower('HELLO')"), s("hello")); // lower
        assert_eq!(val("lower(['HELLO'])"), s(r#"["hello"]"#));
        assert_eq!(val("upper('hello')"), s("HELLO")); // upper
        assert_eq!(val("upper(['hello'])"), s(r#"["HELLO"]"#));
        assert_eq!(val("lpad('hello', 2)"), s("  hello")); // lpad
        assert_eq!(val("lpad(1, 3)"), s("   1"));
        assert_eq!(val("rpad('hello', 2)"), s("hello  ")); // rpad
        assert_eq!(val("rpad(1, 3)"), s("1   "));
        assert_eq!(
            val("lpad('x', 5000)"),
            Value::String(" ".repeat(1000) + "x")
        );
        assert_eq!(val("Ltrim(' h i ')"), s("h i ")); // ltrim
        assert_eq!(val("rtrim(' h i ')"), s(" h i")); // rtrim
        assert_eq!(val("Trim(' hi ')"), s("hi")); // trim
        assert_eq!(val("trim(null)"), U);
        assert_eq!(val("numbytes('hi')"), Value::Int(2)); // numbytes
        assert_eq!(val("numbytes('€')"), Value::Int(3));
        assert_eq!(val("replace('abcd', 'bc', 'x')"), s("axd")); // replace
        assert_eq!(val("replace('abcdabcd', 'b', 'x')"), s("axcdaxcd"));
    }

    #[test]
    fn substring_function() {
        assert_eq!(val("substring('012345', 0)"), s("012345"));
        assert_eq!(val("substring('012345', 2)"), s("2345"));
        assert_eq!(val("substring('012345', 2.745)"), s("2345"));
        assert_eq!(val("substring(123, 2)"), s("3"));
        assert_eq!(val("substring('012345', -1)"), s("012345"));
        assert_eq!(val("substring(true, 1.2)"), s("rue"));
        assert_eq!(val("substring(false, -2.411E247)"), s("false"));
        assert_eq!(val("substring('012345', 1, 3)"), s("12"));
        assert_eq!(val("substring('012345', -50, 50)"), s("012345"));
        assert_eq!(val("substring('012345', 3, 1)"), s(""));
        assert_eq!(val("substring('héllo', 1, 2)"), s("é"));
        assert_eq!(val("substring('abc', 'x')"), U);
    }
}
