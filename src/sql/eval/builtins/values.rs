//! Functions about values rather than strings or numbers: `get`, `get_or_default` and `nanvl`, and the type test
//! `isNull` (`isUndefined` needs nothing but [`Evaluated::is_undefined`]).

use crate::sql::eval::convert::to_int;
use crate::sql::eval::evaluated::{Evaluated, UNDEFINED, ValueKind};
use crate::sql::eval::value::Value;

/// `get_or_default(x, default)` and `nanvl(x, default)`: Null and Undefined (and, for nanvl, NaN, which this
/// evaluator never produces) give the second argument, which is only evaluated then.
pub(super) fn or_default<'a>(
    x: Evaluated<'a>,
    default: impl FnOnce() -> Evaluated<'a>,
) -> Evaluated<'a> {
    if matches!(x.kind(), ValueKind::Undefined | ValueKind::Null) {
        default()
    } else {
        x
    }
}

pub(super) fn is_null(x: &Evaluated<'_>) -> Value {
    Value::Bool(matches!(x.kind(), ValueKind::Null))
}

/// `get(collection, key)`: an array item or string character by 0-based
/// index (converted to Int), or an object member by string key.
pub(super) fn get<'a>(x: Evaluated<'a>, key: &Evaluated<'_>) -> Evaluated<'a> {
    match x.kind() {
        ValueKind::Array => {}
        ValueKind::Object => {
            return match key.kind() {
                ValueKind::String(k) => x.field(k),
                _ => UNDEFINED,
            };
        }
        // The page's example `get("abc", 1) = "a"` contradicts its own
        // table (0-based index); the table is followed: "b".
        ValueKind::String(s) => {
            let c = to_int(key.kind())
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| s.chars().nth(i));
            return c.map_or(UNDEFINED, |c| {
                Evaluated::Owned(Value::String(c.to_string()))
            });
        }
        _ => return UNDEFINED,
    }
    match to_int(key.kind()) {
        Some(i) => x.index(i),
        None => UNDEFINED,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use crate::sql::eval::value::Value;
    use serde_json::json;

    #[test]
    fn get_and_defaults() {
        assert_eq!(val("get(['a', 'b', 'c'], 1)"), s("b")); // get
        assert_eq!(val("get({'a': 'b'}, 'a')"), s("b"));
        assert_eq!(val("get('abc', 1)"), s("b"), "0-based, per the table");
        assert_eq!(val("get(['a'], 5)"), U);
        assert_eq!(val("get({'a': 'b'}, 1)"), U);
        let p = json!({"n": null, "x": 1});
        assert_eq!(val_on("get_or_default(x, 0)", &p), Value::Int(1)); // get_or_default
        assert_eq!(val_on("get_or_default(missing, 0)", &p), Value::Int(0));
        assert_eq!(val_on("get_or_default(n, 'd')", &p), s("d"));
        assert_eq!(val_on("get_or_default(missing)", &p), U);
        assert_eq!(val("isNull(5)"), F); // isNull
        assert_eq!(val("isNull(Null)"), T);
        assert_eq!(val("isNull(missing)"), F);
        assert_eq!(val("isUndefined(5)"), F); // isUndefined
        assert_eq!(val("isUndefined(floor([1,2,3]))"), T);
        assert_eq!(val("isUndefined(null)"), F);
    }
}
