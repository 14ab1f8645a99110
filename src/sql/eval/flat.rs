//! The common shape of a rule, run on a flat message: a payload that is one JSON object of scalar fields
//! (strings, integers, booleans, null), which `simulate` reads straight from the text of a line without building
//! a `serde_json::Value`. The shape is what the generated rules are: no SET; a SELECT list of `*`, top-level
//! fields, string literals and `concat` of those, each under a key of its own level; a WHERE (if any) of
//! `field = 'text'` joined by AND, OR and NOT. A rule of any other shape has no [`FlatProgram`], and a message
//! that is not flat never reaches one: both go through the general evaluator, to which the property test below
//! holds this one equal.

use super::compile::{Item, Node, Program, Segment, Select};
use super::value::Value;
use crate::digits::Digits;
use crate::sql::ast::BinaryOp;
use crate::sql::functions::Builtin;

/// A scalar field of a flat message, as the JSON text has it. `Int` is a JSON integer that fits an `i64`, which
/// serde_json keeps as an integer too (so both paths hash and print it alike).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(&'a str),
}

/// A value of the result: a field or a literal, borrowed, or the text a `concat` built, as its range in the
/// caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot<'a> {
    Scalar(Scalar<'a>),
    Built(usize, usize),
}

/// A rule of the flat shape, ready to run on flat messages.
#[derive(Debug, Clone)]
pub struct FlatProgram {
    items: Vec<FlatItem>,
    where_: Option<Cond>,
}

#[derive(Debug, Clone)]
enum FlatItem {
    /// `*`
    Merge,
    /// A field or a string literal under `key`.
    Value {
        key: String,
        part: Part,
    },
    Concat {
        key: String,
        parts: Vec<Part>,
    },
}

#[derive(Debug, Clone)]
enum Part {
    Field(String),
    Text(String),
}

#[derive(Debug, Clone)]
enum Cond {
    /// `field = 'text'` (either way round).
    Eq {
        field: String,
        text: String,
    },
    Not(Box<Cond>),
    /// AND or OR.
    Join(BinaryOp, Box<Cond>, Box<Cond>),
}

impl Program {
    /// This rule in the flat shape, if it has it.
    pub fn flat(&self) -> Option<FlatProgram> {
        let Select::Items(items) = &self.select else {
            return None;
        };
        if !self.set.is_empty() {
            return None;
        }
        let items = items
            .iter()
            .map(|item| match item {
                Item::Merge => Some(FlatItem::Merge),
                Item::Nest(_) => None,
                Item::Expr { path, node } => {
                    let [key] = path.as_slice() else { return None };
                    let key = key.clone();
                    match node {
                        Node::Call(Builtin::Concat, args) => Some(FlatItem::Concat {
                            key,
                            parts: args.iter().map(part).collect::<Option<_>>()?,
                        }),
                        other => Some(FlatItem::Value {
                            key,
                            part: part(other)?,
                        }),
                    }
                }
            })
            .collect::<Option<_>>()?;
        let where_ = match &self.where_ {
            Some(w) => Some(cond(w)?),
            None => None,
        };
        Some(FlatProgram { items, where_ })
    }
}

impl FlatProgram {
    /// The keys and string literals of the SELECT list: every text of the program that reaches its output.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().flat_map(|item| {
            let (key, parts) = match item {
                FlatItem::Merge => (None, &[][..]),
                FlatItem::Value { key, part } => (Some(key), std::slice::from_ref(part)),
                FlatItem::Concat { key, parts } => (Some(key), parts.as_slice()),
            };
            key.map(String::as_str)
                .into_iter()
                .chain(parts.iter().filter_map(|p| match p {
                    Part::Text(t) => Some(t.as_str()),
                    Part::Field(_) => None,
                }))
        })
    }
}

fn part(node: &Node) -> Option<Part> {
    match node {
        Node::Path(segments) => match segments.as_slice() {
            [Segment::Field(name)] => Some(Part::Field(name.clone())),
            _ => None,
        },
        Node::Literal(Value::String(s)) => Some(Part::Text(s.clone())),
        _ => None,
    }
}

fn cond(node: &Node) -> Option<Cond> {
    match node {
        Node::Not(x) => Some(Cond::Not(Box::new(cond(x)?))),
        Node::Binary(op @ (BinaryOp::And | BinaryOp::Or), l, r) => {
            Some(Cond::Join(*op, Box::new(cond(l)?), Box::new(cond(r)?)))
        }
        Node::Binary(BinaryOp::Eq, l, r) => match (part(l)?, part(r)?) {
            (Part::Field(field), Part::Text(text)) | (Part::Text(text), Part::Field(field)) => {
                Some(Cond::Eq { field, text })
            }
            _ => None,
        },
        _ => None,
    }
}

/// The value of a top-level field; the last of its key wins, as when serde_json reads the object.
fn get<'a>(fields: &[(&'a str, Scalar<'a>)], name: &str) -> Option<Scalar<'a>> {
    fields
        .iter()
        .rev()
        .find(|(k, _)| *k == name)
        .map(|&(_, v)| v)
}

/// Puts `value` under `key`: in the place of an earlier value of that key, else last (serde_json's `Map::insert`
/// with `preserve_order`).
fn insert<'a>(out: &mut Vec<(&'a str, Slot<'a>)>, key: &'a str, value: Slot<'a>) {
    match out.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => out.push((key, value)),
    }
}

impl FlatProgram {
    /// Runs the rule on a message whose payload is `fields` (in order; a key may repeat, the last one counting).
    /// Returns whether it fired; if it did, `out` holds the result object (each key once, in order), whose
    /// `Built` slots are ranges of `text`. Both are cleared first.
    pub fn run<'a>(
        &'a self,
        fields: &[(&'a str, Scalar<'a>)],
        out: &mut Vec<(&'a str, Slot<'a>)>,
        text: &mut String,
    ) -> bool {
        out.clear();
        text.clear();
        if let Some(w) = &self.where_
            && eval_cond(w, fields) != Some(true)
        {
            return false;
        }
        for item in &self.items {
            match item {
                FlatItem::Merge => {
                    for &(k, v) in fields {
                        insert(out, k, Slot::Scalar(v));
                    }
                }
                // A missing field is Undefined: it writes nothing and leaves an earlier value in place.
                FlatItem::Value { key, part } => match part {
                    Part::Field(name) => {
                        if let Some(v) = get(fields, name) {
                            insert(out, key, Slot::Scalar(v));
                        }
                    }
                    Part::Text(s) => insert(out, key, Slot::Scalar(Scalar::Str(s))),
                },
                FlatItem::Concat { key, parts } => {
                    let start = text.len();
                    if concat(parts, fields, text) {
                        insert(out, key, Slot::Built(start, text.len()));
                    } else {
                        text.truncate(start);
                    }
                }
            }
        }
        true
    }
}

/// `concat` of string forms (see `builtins::string::concat`): Undefined (false) when there is no argument, or
/// when one is missing or null.
fn concat(parts: &[Part], fields: &[(&str, Scalar<'_>)], text: &mut String) -> bool {
    if parts.is_empty() {
        return false;
    }
    for p in parts {
        match p {
            Part::Text(s) => text.push_str(s),
            Part::Field(name) => match get(fields, name) {
                None | Some(Scalar::Null) => return false,
                Some(Scalar::Bool(b)) => text.push_str(if b { "true" } else { "false" }),
                Some(Scalar::Int(i)) => push_int(text, i),
                Some(Scalar::Str(s)) => text.push_str(s),
            },
        }
    }
    true
}

/// The digits `Display` writes for `i`, without the formatting machinery.
fn push_int(text: &mut String, i: i64) {
    if i < 0 {
        text.push('-');
    }
    text.push_str(Digits::of_u64(i.unsigned_abs()).as_str());
}

/// A condition as the general evaluator has it: `None` is Undefined (a missing field), which makes AND, OR and
/// NOT Undefined too.
fn eval_cond(c: &Cond, fields: &[(&str, Scalar<'_>)]) -> Option<bool> {
    match c {
        Cond::Eq { field, text } => get(fields, field).map(|v| v == Scalar::Str(text)),
        Cond::Not(x) => eval_cond(x, fields).map(|b| !b),
        Cond::Join(op, l, r) => {
            // Undefined on either side is Undefined, even when the other side alone would decide.
            match (eval_cond(l, fields), eval_cond(r, fields)) {
                (Some(l), Some(r)) => Some(if *op == BinaryOp::And { l && r } else { l || r }),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::eval::Outcome;
    use crate::sql::eval::test_support::input;
    use crate::sql::parse;
    use proptest::prelude::*;
    use serde_json::{Map, Value as Json};

    fn program(sql: &str) -> Program {
        Program::compile(&parse(sql).unwrap()).unwrap()
    }

    #[test]
    fn the_generated_rules_have_the_flat_shape_and_others_do_not() {
        for sql in [
            "SELECT *, concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', versionNumber) AS eventKey \
             FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'",
            "SELECT * FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'",
            "SELECT clientId, 'x' AS y FROM 'a' WHERE NOT ('a' = eventType AND b = 'c')",
        ] {
            assert!(program(sql).flat().is_some(), "{sql}");
        }
        for sql in [
            "SELECT * AS event FROM 'a'",
            "SELECT a.b FROM 'a'",
            "SELECT x AS a.b FROM 'a'",
            "SELECT VALUE x FROM 'a'",
            "SELECT topic(1) AS t FROM 'a'",
            "SELECT * FROM 'a' WHERE a = 1",
            "SELECT * FROM 'a' WHERE a <> 'b'",
            "SELECT concat(a, 1) AS k FROM 'a'",
            "SET @x = 1 SELECT * FROM 'a'",
        ] {
            assert!(program(sql).flat().is_none(), "{sql}");
        }
    }

    /// The flat result as the JSON object the general evaluator gives.
    fn to_json(out: &[(&str, Slot<'_>)], text: &str) -> Map<String, Json> {
        out.iter()
            .map(|&(k, v)| {
                let v = match v {
                    Slot::Built(a, b) => Json::from(&text[a..b]),
                    Slot::Scalar(Scalar::Null) => Json::Null,
                    Slot::Scalar(Scalar::Bool(b)) => Json::from(b),
                    Slot::Scalar(Scalar::Int(i)) => Json::from(i),
                    Slot::Scalar(Scalar::Str(s)) => Json::from(s),
                };
                (k.to_owned(), v)
            })
            .collect()
    }

    const NAMES: &[&str] = &["a", "b", "eventType", "k"];

    fn scalar() -> impl Strategy<Value = Scalar<'static>> {
        prop_oneof![
            Just(Scalar::Null),
            any::<bool>().prop_map(Scalar::Bool),
            any::<i64>().prop_map(Scalar::Int),
            prop::sample::select(&["", "x", "connected", "true", "1", "a#b"][..])
                .prop_map(Scalar::Str),
        ]
    }

    const TEXTS: &[&str] = &["''", "'x'", "'connected'", "'#'", "'true'", "'1'"];

    fn operand() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(NAMES).prop_map(str::to_owned),
            prop::sample::select(TEXTS).prop_map(str::to_owned),
        ]
    }

    fn condition() -> impl Strategy<Value = String> {
        let leaf = (
            prop::sample::select(NAMES),
            prop::sample::select(TEXTS),
            any::<bool>(),
        )
            .prop_map(|(field, text, swap)| match swap {
                false => format!("{field} = {text}"),
                true => format!("{text} = {field}"),
            });
        leaf.prop_recursive(3, 8, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(|c| format!("NOT ({c})")),
                (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l}) AND ({r})")),
                (inner.clone(), inner).prop_map(|(l, r)| format!("({l}) OR ({r})")),
            ]
        })
    }

    fn select_item() -> impl Strategy<Value = String> {
        let key = prop::sample::select(NAMES);
        prop_oneof![
            Just("*".to_owned()),
            prop::sample::select(NAMES).prop_map(str::to_owned),
            (operand(), key.clone()).prop_map(|(o, k)| format!("{o} AS {k}")),
            (prop::collection::vec(operand(), 0..4), key)
                .prop_map(|(parts, k)| format!("concat({}) AS {k}", parts.join(", "))),
        ]
    }

    fn rule() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(select_item(), 1..4),
            prop::option::of(condition()),
        )
            .prop_map(|(items, w)| {
                let w = w.map(|w| format!(" WHERE {w}")).unwrap_or_default();
                format!("SELECT {} FROM 't'{w}", items.join(", "))
            })
    }

    proptest! {
        /// On flat messages, the flat program fires exactly when the general one does, with the same object.
        #[test]
        fn the_flat_program_gives_what_the_general_one_gives(
            sql in rule(),
            fields in prop::collection::vec((prop::sample::select(NAMES), scalar()), 0..6),
        ) {
            let Ok(stmt) = parse(&sql) else { return Ok(()) };
            let Ok(general) = Program::compile(&stmt) else { return Ok(()) };
            let flat = general.flat();
            prop_assert!(flat.is_some(), "{}", sql);
            let flat = flat.unwrap();
            // The payload as serde_json reads the same text: the last value of a key, in the first one's place.
            let payload = Json::Object(to_json(
                &{
                    let mut out = Vec::new();
                    fields.iter().for_each(|&(k, v)| insert(&mut out, k, Slot::Scalar(v)));
                    out
                },
                "",
            ));
            let expected = general.run(&input("t", &payload));
            let (mut out, mut text) = (Vec::new(), String::new());
            let got = if flat.run(&fields, &mut out, &mut text) {
                Outcome::Fired(to_json(&out, &text))
            } else {
                Outcome::Filtered
            };
            prop_assert_eq!(got, expected, "{}", sql);
        }
    }
}
