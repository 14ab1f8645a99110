//! What evaluating a node gives: an [`Evaluated`] value that borrows from the payload, the program or the topic
//! where it can and owns only what was computed, and its [`ValueKind`], the type with the scalar contents
//! whatever the storage. Borrowing is what lets `WHERE eventType = 'connected'` run without allocating.

use serde_json::Value as Json;

use super::value::Value;

/// An evaluated value, borrowed where possible.
pub(super) enum Evaluated<'a> {
    /// Part of the payload.
    Payload(&'a Json),
    /// A literal of the program.
    Literal(&'a Value),
    /// Part of the topic, or a constant.
    Text(&'a str),
    Owned(Value),
}

pub(super) const UNDEFINED: Evaluated<'static> = Evaluated::Owned(Value::Undefined);

/// The type of an [`Evaluated`] with its scalar contents, whatever its storage.
#[derive(Clone, Copy)]
pub(super) enum ValueKind<'x> {
    Undefined,
    Null,
    Bool(bool),
    Int(i64),
    Decimal(f64),
    String(&'x str),
    Array,
    Object,
}

pub(super) fn kind_of_json(j: &Json) -> ValueKind<'_> {
    match j {
        Json::Null => ValueKind::Null,
        Json::Bool(b) => ValueKind::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => ValueKind::Int(i),
            None => n.as_f64().map_or(ValueKind::Undefined, ValueKind::Decimal),
        },
        Json::String(s) => ValueKind::String(s),
        Json::Array(_) => ValueKind::Array,
        Json::Object(_) => ValueKind::Object,
    }
}

pub(super) fn kind_of_value(v: &Value) -> ValueKind<'_> {
    match v {
        Value::Undefined => ValueKind::Undefined,
        Value::Null => ValueKind::Null,
        Value::Bool(b) => ValueKind::Bool(*b),
        Value::Int(i) => ValueKind::Int(*i),
        Value::Decimal(d) => ValueKind::Decimal(d.value()),
        Value::String(s) => ValueKind::String(s),
        Value::Array(_) => ValueKind::Array,
        Value::Object(_) => ValueKind::Object,
    }
}

impl<'a> Evaluated<'a> {
    pub(super) fn kind(&self) -> ValueKind<'_> {
        match self {
            Evaluated::Payload(j) => kind_of_json(j),
            Evaluated::Literal(v) => kind_of_value(v),
            Evaluated::Text(s) => ValueKind::String(s),
            Evaluated::Owned(v) => kind_of_value(v),
        }
    }

    pub(super) fn is_undefined(&self) -> bool {
        matches!(self.kind(), ValueKind::Undefined)
    }

    pub(super) fn into_value(self) -> Value {
        match self {
            Evaluated::Payload(j) => Value::from_json(j),
            Evaluated::Literal(v) => v.clone(),
            Evaluated::Text(s) => Value::String(s.to_owned()),
            Evaluated::Owned(v) => v,
        }
    }

    pub(super) fn to_value(&self) -> Value {
        match self {
            Evaluated::Payload(j) => Value::from_json(j),
            Evaluated::Literal(v) => (*v).clone(),
            Evaluated::Text(s) => Value::String((*s).to_owned()),
            Evaluated::Owned(v) => v.clone(),
        }
    }

    pub(super) fn into_json(self) -> Option<Json> {
        match self {
            Evaluated::Payload(j) => Some(j.clone()),
            Evaluated::Literal(v) => v.to_json(),
            Evaluated::Text(s) => Some(Json::String(s.to_owned())),
            Evaluated::Owned(v) => v.into_json(),
        }
    }

    pub(super) fn field(self, name: &str) -> Evaluated<'a> {
        match self {
            Evaluated::Payload(Json::Object(m)) => {
                m.get(name).map_or(UNDEFINED, Evaluated::Payload)
            }
            Evaluated::Literal(Value::Object(o)) => {
                o.get(name).map_or(UNDEFINED, Evaluated::Literal)
            }
            Evaluated::Owned(Value::Object(mut o)) => {
                Evaluated::Owned(o.take(name).unwrap_or_default())
            }
            _ => UNDEFINED,
        }
    }

    pub(super) fn index(self, i: i64) -> Evaluated<'a> {
        let Ok(i) = usize::try_from(i) else {
            return UNDEFINED;
        };
        match self {
            Evaluated::Payload(Json::Array(a)) => a.get(i).map_or(UNDEFINED, Evaluated::Payload),
            Evaluated::Literal(Value::Array(a)) => a.get(i).map_or(UNDEFINED, Evaluated::Literal),
            Evaluated::Owned(Value::Array(mut a)) if i < a.len() => {
                Evaluated::Owned(a.swap_remove(i))
            }
            _ => UNDEFINED,
        }
    }
}
