//! The values of AWS IoT SQL (page `iot-sql-data-types`): [`Value`] with its `Int`, [`Decimal`] and [`Object`],
//! and their conversions from and to JSON. What the evaluator computes and hands back to the caller; while it
//! evaluates, it works on borrowed views of these (see `evaluated.rs`).

use std::fmt;

use serde_json::{Number, Value as Json};

/// A value of AWS IoT SQL.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Not a value: a missing field, a failed conversion, a function given
    /// arguments it cannot use. Never serialized.
    #[default]
    Undefined,
    Null,
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    String(String),
    Array(Vec<Value>),
    Object(Object),
}

/// A finite non-integer (or too large) number. Remembers the JSON number it
/// came from, if any, so that it serializes with the same digits.
#[derive(Debug, Clone)]
pub struct Decimal {
    value: f64,
    json: Option<Number>,
}

impl Decimal {
    /// `None` for NaN and infinities, which AWS decimals cannot hold.
    pub fn new(value: f64) -> Option<Decimal> {
        value.is_finite().then_some(Decimal { value, json: None })
    }

    /// The decimal for a JSON number, keeping the number for output.
    pub fn from_json(n: &Number) -> Option<Decimal> {
        let value = n.as_f64().filter(|f| f.is_finite())?;
        Some(Decimal {
            value,
            json: Some(n.clone()),
        })
    }

    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The JSON number to output: the original one when there is one, an
    /// integer for a whole value (SQL V2 behaviour), else the `f64`.
    pub fn to_json_number(&self) -> Number {
        if let Some(n) = &self.json {
            return n.clone();
        }
        if self.value.fract() == 0.0 && self.value.abs() < MAX_SAFE_WHOLE {
            return Number::from(self.value as i64);
        }
        Number::from_f64(self.value).unwrap_or_else(|| Number::from(0))
    }
}

/// Whole `f64` values below this are exact and fit an `i64`.
const MAX_SAFE_WHOLE: f64 = 9_007_199_254_740_992.0;

impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        self.value == other.value
    }
}

impl fmt::Display for Decimal {
    /// Shortest digits that read back to the same value, in scientific
    /// notation for large or small magnitudes (`1.5`, `10.0`, `1e300`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.json {
            Some(n) => write!(f, "{n}"),
            None => f.write_str(&format_f64(self.value)),
        }
    }
}

pub(super) fn format_f64(x: f64) -> String {
    match Number::from_f64(x) {
        Some(n) => n.to_string(),
        None => x.to_string(),
    }
}

/// An object: string keys in insertion order, each key once. Meant for the
/// small objects of device payloads: lookups are linear.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    entries: Vec<(String, Value)>,
}

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, keeping its position if present; returns the old value.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(at).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Moves a value out, leaving `Undefined`; for an object about to be dropped.
    pub(super) fn take(&mut self, key: &str) -> Option<Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| std::mem::take(v))
    }
}

impl FromIterator<(String, Value)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Object {
        let mut o = Object::new();
        for (k, v) in iter {
            o.insert(k, v);
        }
        o
    }
}

impl Value {
    /// Converts JSON: integers that fit an `i64` become `Int`, other numbers
    /// `Decimal` (keeping the JSON number).
    pub fn from_json(j: &Json) -> Value {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Decimal::from_json(n).map_or(Value::Undefined, Value::Decimal),
            },
            Json::String(s) => Value::String(s.clone()),
            Json::Array(a) => Value::Array(a.iter().map(Value::from_json).collect()),
            Json::Object(m) => Value::Object(Object {
                entries: m
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            }),
        }
    }

    /// The JSON form; `None` for `Undefined`, which is also left out of
    /// objects and arrays.
    pub fn to_json(&self) -> Option<Json> {
        Some(match self {
            Value::Undefined => return None,
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::Number((*i).into()),
            Value::Decimal(d) => Json::Number(d.to_json_number()),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(a) => Json::Array(a.iter().filter_map(Value::to_json).collect()),
            Value::Object(o) => Json::Object(
                o.iter()
                    .filter_map(|(k, v)| Some((k.to_owned(), v.to_json()?)))
                    .collect(),
            ),
        })
    }

    /// [`Value::to_json`] without copying strings.
    pub fn into_json(self) -> Option<Json> {
        Some(match self {
            Value::String(s) => Json::String(s),
            Value::Array(a) => Json::Array(a.into_iter().filter_map(Value::into_json).collect()),
            Value::Object(o) => Json::Object(
                o.entries
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v.into_json()?)))
                    .collect(),
            ),
            other => return other.to_json(),
        })
    }

    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// The type's name as the AWS reference spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Undefined => "Undefined",
            Value::Null => "Null",
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Int",
            Value::Decimal(_) => "Decimal",
            Value::String(_) => "String",
            Value::Array(_) => "Array",
            Value::Object(_) => "Object",
        }
    }
}

impl From<&Json> for Value {
    fn from(j: &Json) -> Value {
        Value::from_json(j)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// A `Decimal` value, or `Undefined` when `x` is not finite.
pub(super) fn decimal(x: f64) -> Value {
    Decimal::new(x).map_or(Value::Undefined, Value::Decimal)
}

/// An `Int` when the whole number `x` fits, else a `Decimal`.
pub(super) fn whole(x: f64) -> Value {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        Value::Int(x as i64)
    } else {
        decimal(x)
    }
}
