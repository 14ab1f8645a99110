//! The deserializer seeds of the reference path: one item, or one top-level record that is not a page, read by
//! serde_json into the slots of a [`Table`], borrowing what it can and skipping every attribute no slot needs.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Scalar, Slots, Table};

/// A string that borrows from the input when it has no escapes.
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A whole item: a map of attribute name to attribute value.
pub(super) struct ItemSeed<'s, 'a> {
    pub(super) table: &'s Table,
    pub(super) slots: &'s mut Slots<'a>,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an item: an object of attribute values, like {\"clientId\": {\"S\": \"...\"}}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            match self.table.get(&name) {
                Some(used) => map.next_value_seed(ValueSeed {
                    direct: &used.direct,
                    nested: &used.nested,
                    slots: &mut *self.slots,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// One attribute value, `{"S": "..."}`, `{"N": "..."}`, `{"M": {...}}` or another type.
struct ValueSeed<'s, 'a> {
    direct: &'s [usize],
    nested: &'s [(String, usize)],
    slots: &'s mut Slots<'a>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value, like {\"S\": \"...\"} or {\"N\": \"...\"}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Text(ty)) = map.next_key::<Text<'de>>()? {
            let scalar = match &*ty {
                "S" => Scalar::S(map.next_value::<Text<'de>>()?.0),
                "N" => Scalar::N(map.next_value::<Text<'de>>()?.0),
                "M" if !self.nested.is_empty() => {
                    map.next_value_seed(NestedSeed {
                        nested: self.nested,
                        slots: &mut *self.slots,
                    })?;
                    continue;
                }
                other => {
                    map.next_value::<IgnoredAny>()?;
                    Scalar::Other(type_name(other))
                }
            };
            for &slot in self.direct {
                self.slots[slot] = Some(scalar.clone());
            }
        }
        Ok(())
    }
}

pub(super) fn type_name(ty: &str) -> &'static str {
    match ty {
        "BOOL" => "a boolean",
        "NULL" => "null",
        "M" => "a map",
        "L" => "a list",
        "SS" | "NS" | "BS" => "a set",
        "B" => "binary",
        _ => "of an unknown type",
    }
}

/// The `M` of a map attribute that holds the payload (`SELECT * AS event`).
struct NestedSeed<'s, 'a> {
    nested: &'s [(String, usize)],
    slots: &'s mut Slots<'a>,
}

impl<'de> DeserializeSeed<'de> for NestedSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for NestedSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of attribute values")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            match self.nested.iter().find(|(k, _)| *k == *name) {
                Some((_, slot)) => map.next_value_seed(ValueSeed {
                    direct: std::slice::from_ref(slot),
                    nested: &[],
                    slots: &mut *self.slots,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What a top-level record that is not a page turned out to be.
pub(super) enum LineKind {
    /// A `simulate` line (it has `outcome` or `state`).
    Simulate {
        pipeline: Option<String>,
        written: bool,
        item: bool,
    },
    /// Anything else: read again as a bare item.
    Bare,
}

pub(super) struct LineSeed<'s, 'a> {
    pub(super) table: &'s Table,
    pub(super) slots: &'s mut Slots<'a>,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_, 'de> {
    type Value = LineKind;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<LineKind, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_, 'de> {
    type Value = LineKind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LineKind, A::Error> {
        let (mut pipeline, mut outcome, mut item, mut state) = (None, None, false, false);
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            match &*name {
                "pipeline" => pipeline = map.next_value::<Option<String>>()?,
                "outcome" => outcome = map.next_value::<Option<String>>()?,
                "state" => {
                    state = true;
                    map.next_value::<IgnoredAny>()?;
                }
                "item" => {
                    item = true;
                    map.next_value_seed(ItemSeed {
                        table: self.table,
                        slots: &mut *self.slots,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if outcome.is_none() && !state {
            return Ok(LineKind::Bare);
        }
        Ok(LineKind::Simulate {
            pipeline,
            written: outcome.as_deref() == Some("written"),
            item,
        })
    }
}
