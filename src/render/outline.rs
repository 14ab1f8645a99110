//! A scope's shape and its strings, read straight from its `Serialize` implementation: what rendering by shape
//! ([`super::shape`]) needs of every scope, without building the scope's JSON value (a map per struct, a string
//! per field), which only the first scope of each shape needs.
//!
//! The shape is bytes that tell apart any two scopes whose JSON values (as serde_json builds them) differ in
//! anything but their non-empty strings: structure, keys, numbers, booleans, nulls and which strings are empty.
//! The strings are the non-empty strings of the value, in the order serde_json's value keeps them. Telling apart
//! more than that (a unit and a `None`, say) only costs sharing, never correctness.

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::shape::has_marker;

/// A scope's shape and its non-empty strings.
#[derive(Default)]
pub(super) struct Outline {
    pub shape: Vec<u8>,
    pub strings: Vec<String>,
}

/// The outline of `scope`; `None` when it holds what the outline does not read (a map key that is not a string
/// or a number, or one that holds a marker character), which then renders the slow way.
pub(super) fn outline(scope: &impl Serialize) -> Option<Outline> {
    let mut outline = Outline {
        shape: Vec::with_capacity(512),
        strings: Vec::with_capacity(64),
    };
    scope.serialize(&mut outline).ok()?;
    Some(outline)
}

/// Something the outline does not read.
#[derive(Debug)]
pub(super) struct Unread;

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not read by the outline")
    }
}

impl std::error::Error for Unread {}

impl ser::Error for Unread {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unread
    }
}

impl Outline {
    fn string(&mut self, s: &str) {
        if s.is_empty() {
            self.shape.push(b'e');
        } else {
            self.shape.push(b's');
            self.strings.push(s.to_owned());
        }
    }

    /// A key of an object: its length first, so that no two sequences of keys and values read alike.
    fn key(&mut self, key: &str) -> Result<(), Unread> {
        if has_marker(key) {
            return Err(Unread);
        }
        let len = u32::try_from(key.len()).map_err(|_| Unread)?;
        self.shape.extend_from_slice(&len.to_le_bytes());
        self.shape.extend_from_slice(key.as_bytes());
        Ok(())
    }

    fn number(&mut self, text: std::fmt::Arguments) {
        use std::io::Write as _;
        self.shape.push(b'n');
        // Writing to a vector cannot fail.
        let _ = self.shape.write_fmt(text);
        self.shape.push(b';');
    }
}

macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), Unread> {
            self.number(format_args!("{v}"));
            Ok(())
        })*
    };
}

impl ser::Serializer for &mut Outline {
    type Ok = ();
    type Error = Unread;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    integers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128);

    fn serialize_bool(self, v: bool) -> Result<(), Unread> {
        self.shape.push(if v { b't' } else { b'f' });
        Ok(())
    }

    // A float by its bits: equal bits, equal value.
    fn serialize_f32(self, v: f32) -> Result<(), Unread> {
        self.shape.push(b'g');
        self.shape.extend_from_slice(&v.to_bits().to_le_bytes());
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Unread> {
        self.shape.push(b'd');
        self.shape.extend_from_slice(&v.to_bits().to_le_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Unread> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Unread> {
        self.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unread> {
        self.shape.push(b'[');
        for b in v {
            self.number(format_args!("{b}"));
        }
        self.shape.push(b']');
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Unread> {
        self.shape.push(b'z');
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Unread> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unread> {
        self.shape.push(b'z');
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unread> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unread> {
        self.string(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unread> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unread> {
        self.shape.push(b'{');
        self.key(variant)?;
        value.serialize(&mut *self)?;
        self.shape.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Unread> {
        self.shape.push(b'[');
        Ok(self)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self, Unread> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Self, Unread> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Unread> {
        self.shape.push(b'{');
        self.key(variant)?;
        self.shape.push(b'[');
        Ok(self)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, Unread> {
        self.shape.push(b'{');
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Unread> {
        self.shape.push(b'{');
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Unread> {
        self.shape.push(b'{');
        self.key(variant)?;
        self.shape.push(b'{');
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Outline {
    type Ok = ();
    type Error = Unread;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unread> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Unread> {
        self.shape.push(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for &mut Outline {
    type Ok = ();
    type Error = Unread;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unread> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Unread> {
        self.shape.push(b']');
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut Outline {
    type Ok = ();
    type Error = Unread;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unread> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Unread> {
        self.shape.push(b']');
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut Outline {
    type Ok = ();
    type Error = Unread;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unread> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Unread> {
        self.shape.extend_from_slice(b"]}");
        Ok(())
    }
}

impl ser::SerializeMap for &mut Outline {
    type Ok = ();
    type Error = Unread;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Unread> {
        let key = key.serialize(KeyText)?;
        self.key(&key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unread> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Unread> {
        self.shape.push(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Outline {
    type Ok = ();
    type Error = Unread;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unread> {
        self.key(key)?;
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Unread> {
        self.shape.push(b'}');
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Outline {
    type Ok = ();
    type Error = Unread;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unread> {
        self.key(key)?;
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Unread> {
        self.shape.extend_from_slice(b"}}");
        Ok(())
    }
}

/// A map key as the text serde_json's value keys it by: strings and integers; anything else is not read.
struct KeyText;

macro_rules! integer_keys {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<String, Unread> {
            Ok(v.to_string())
        })*
    };
}

macro_rules! unread {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, _: $ty) -> Result<String, Unread> {
            Err(Unread)
        })*
    };
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Unread;
    type SerializeSeq = Impossible<String, Unread>;
    type SerializeTuple = Impossible<String, Unread>;
    type SerializeTupleStruct = Impossible<String, Unread>;
    type SerializeTupleVariant = Impossible<String, Unread>;
    type SerializeMap = Impossible<String, Unread>;
    type SerializeStruct = Impossible<String, Unread>;
    type SerializeStructVariant = Impossible<String, Unread>;

    integer_keys!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64);
    unread!(serialize_bool: bool, serialize_f32: f32, serialize_f64: f64, serialize_bytes: &[u8],
        serialize_i128: i128, serialize_u128: u128);

    fn serialize_str(self, v: &str) -> Result<String, Unread> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, Unread> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Unread> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Unread> {
        value.serialize(self)
    }
    fn serialize_none(self) -> Result<String, Unread> {
        Err(Unread)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<String, Unread> {
        Err(Unread)
    }
    fn serialize_unit(self) -> Result<String, Unread> {
        Err(Unread)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Unread> {
        Err(Unread)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Unread> {
        Err(Unread)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unread> {
        Err(Unread)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unread> {
        Err(Unread)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unread> {
        Err(Unread)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unread> {
        Err(Unread)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unread> {
        Err(Unread)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Unread> {
        Err(Unread)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unread> {
        Err(Unread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[a-z\"\\\\é]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[a-z]{0,3}", inner), 0..4)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    /// The non-empty strings of a JSON value, in its order.
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) if !s.is_empty() => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }

    /// Every non-empty string replaced by `x`.
    fn abstracted(value: &Value) -> Value {
        match value {
            Value::String(s) if !s.is_empty() => Value::String("x".to_owned()),
            Value::Array(items) => Value::Array(items.iter().map(abstracted).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), abstracted(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    proptest! {
        /// The outline reads a value's strings in its order, and its shape is the same whatever the non-empty
        /// strings say (so values alike but for them have one shape), and values of one shape are alike.
        #[test]
        fn the_outline_is_the_value_less_its_strings(a in value(), b in value()) {
            for v in [&a, &b] {
                let o = outline(v).expect("reads");
                let mut expected = Vec::new();
                strings(v, &mut expected);
                prop_assert_eq!(&o.strings, &expected);
                prop_assert_eq!(&outline(&abstracted(v)).expect("reads").shape, &o.shape);
            }
            let same_shape = outline(&a).expect("reads").shape == outline(&b).expect("reads").shape;
            prop_assert!(!same_shape || abstracted(&a) == abstracted(&b));
        }
    }

    #[test]
    fn a_scope_of_structs_and_enums_reads_as_its_value() {
        #[derive(Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Tagged {
            One { n: u8 },
        }
        #[derive(Serialize)]
        enum Plain {
            Unit,
            New(&'static str),
            Tuple(u8, &'static str),
            Struct { s: &'static str },
        }
        #[derive(Serialize)]
        struct Scope {
            tagged: Tagged,
            plain: Vec<Plain>,
            map: std::collections::BTreeMap<u32, char>,
            empty: &'static str,
            none: Option<u8>,
        }
        let scope = Scope {
            tagged: Tagged::One { n: 3 },
            plain: vec![
                Plain::Unit,
                Plain::New("a"),
                Plain::Tuple(1, "b"),
                Plain::Struct { s: "c" },
            ],
            map: [(7, 'd')].into(),
            empty: "",
            none: None,
        };
        let value = serde_json::to_value(&scope).expect("serializes");
        let o = outline(&scope).expect("reads");
        let mut expected = Vec::new();
        strings(&value, &mut expected);
        assert_eq!(o.strings, expected);
        assert_eq!(o.shape, outline(&abstracted(&value)).expect("reads").shape);
    }
}
