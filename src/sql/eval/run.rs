//! Running a compiled [`Program`] on one message: the SET variables, then `WHERE`, then the `SELECT` items, walking the node tree
//! over the caller's payload by reference. [`Program::run_owned`] takes the payload by value so that the common
//! `SELECT *, ...` moves it into the result instead of copying every field.

use std::cell::Cell;

use serde_json::{Map, Value as Json};

use super::builtins::call;
use super::compile::{CompiledExpr, Item, Node, Program, Segment, Select, SubProgram};
use super::convert::{to_bool, to_int};
use super::evaluated::{Evaluated, UNDEFINED, ValueKind};
use super::ops::{binary, cast, equals, negate};
use super::value::Value;
use super::{Input, Outcome};

impl Program {
    /// Runs the rule on one message: SET, then `WHERE`, then `SELECT`.
    pub fn run(&self, input: &Input<'_>) -> Outcome {
        let mut cx = Context::new(input);
        cx.set_variables(&self.set);
        if let Some(w) = &self.where_
            && !is_true(w, &cx)
        {
            return Outcome::Filtered;
        }
        output(&self.select, &cx)
    }

    /// Like [`Program::run`], but takes the payload by value, so that the common `SELECT *, ...` moves it into
    /// the result instead of copying every field. Same result as `run` for every statement.
    pub fn run_owned(
        &self,
        topic: &str,
        payload: Json,
        client_id: Option<&str>,
        now_ms: i64,
    ) -> Outcome {
        let movable = match &self.select {
            Select::Items(items) => match items.as_slice() {
                [Item::Merge, rest @ ..] => (payload.is_object()
                    && rest.iter().all(|i| matches!(i, Item::Expr { .. })))
                .then_some(rest),
                _ => None,
            },
            Select::Value(_) => None,
        };
        let Some(rest) = movable else {
            return self.run(&Input {
                topic,
                payload: &payload,
                client_id,
                now_ms,
            });
        };
        let extras: Vec<(&[String], Json)> = {
            let input = Input {
                topic,
                payload: &payload,
                client_id,
                now_ms,
            };
            let mut cx = Context::new(&input);
            cx.set_variables(&self.set);
            if let Some(w) = &self.where_
                && !is_true(w, &cx)
            {
                return Outcome::Filtered;
            }
            rest.iter()
                .filter_map(|item| match item {
                    Item::Expr { path, node } => {
                        eval(node, &cx).into_json().map(|j| (path.as_slice(), j))
                    }
                    _ => None,
                })
                .collect()
        };
        let Json::Object(mut out) = payload else {
            return Outcome::Fired(Map::new());
        };
        for (path, value) in extras {
            insert_at(&mut out, path, value);
        }
        Outcome::Fired(out)
    }
}

/// Whether a condition is the boolean `true`, the only value that lets a message through.
fn is_true(node: &Node, cx: &Context<'_>) -> bool {
    matches!(eval(node, cx).kind(), ValueKind::Bool(true))
}

/// What the SELECT clause makes of the current message (or element, in a nested SELECT).
fn output(select: &Select, cx: &Context<'_>) -> Outcome {
    match select {
        Select::Value(node) => Outcome::FiredValue(eval(node, cx).into_json()),
        Select::Items(items) => {
            // AWS passes a non-object payload through `SELECT *` whole.
            if let [Item::Merge] = items.as_slice()
                && !cx.payload.is_object()
            {
                return Outcome::FiredValue(Some(cx.payload.clone()));
            }
            let mut out = Map::new();
            for item in items {
                match item {
                    Item::Merge => {
                        if let Json::Object(m) = cx.payload {
                            if out.is_empty() {
                                out = m.clone();
                            } else {
                                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
                            }
                        }
                    }
                    Item::Nest(path) => insert_at(&mut out, path, cx.payload.clone()),
                    Item::Expr { path, node } => {
                        // An Undefined item writes nothing and leaves an
                        // earlier value under the same key in place.
                        if let Some(j) = eval(node, cx).into_json() {
                            insert_at(&mut out, path, j);
                        }
                    }
                }
            }
            Outcome::Fired(out)
        }
    }
}

/// Puts `value` under `path` (`["bar", "baz"]` for `AS bar.baz`), making or reusing the objects on the way: two
/// items `AS a.b` and `AS a.c` share the object `a`. A non-object in the way is replaced.
fn insert_at(out: &mut Map<String, Json>, path: &[String], value: Json) {
    let [first, rest @ ..] = path else { return };
    if rest.is_empty() {
        out.insert(first.clone(), value);
        return;
    }
    let slot = out
        .entry(first.clone())
        .or_insert_with(|| Json::Object(Map::new()));
    if !slot.is_object() {
        *slot = Json::Object(Map::new());
    }
    if let Json::Object(inner) = slot {
        insert_at(inner, rest, value);
    }
}

/// A nested `SELECT`: over an array, its SELECT clause on each element kept by its WHERE, as an array; over an
/// object, its SELECT clause on that object alone, not in an array (the reference's `transform` example 3 passes
/// `(select a, b from data2)` as an object and `(select value c from data2)` as the array `c`); Undefined over
/// anything else, or when an object's WHERE is not true.
fn subquery<'a>(sub: &'a SubProgram, cx: &Context<'a>) -> Evaluated<'a> {
    let (rows, single) = match eval(&sub.from, cx).into_json() {
        Some(Json::Array(rows)) => (rows, false),
        Some(object @ Json::Object(_)) => (vec![object], true),
        _ => return UNDEFINED,
    };
    let mut out = Vec::new();
    for row in &rows {
        let inner = Context {
            payload: row,
            topic: cx.topic,
            client_id: cx.client_id,
            now_ms: cx.now_ms,
            uuids: Cell::new(cx.uuids.get()),
            vars: cx.vars.clone(),
        };
        if sub.where_.as_ref().is_none_or(|w| is_true(w, &inner)) {
            match output(&sub.select, &inner) {
                Outcome::Fired(m) => out.push(Json::Object(m)),
                Outcome::FiredValue(Some(j)) => out.push(j),
                Outcome::FiredValue(None) | Outcome::Filtered => {}
            }
        }
        cx.uuids.set(inner.uuids.get());
    }
    if single {
        return out
            .pop()
            .map_or(UNDEFINED, |j| Evaluated::Owned(Value::from_json(&j)));
    }
    Evaluated::Owned(Value::from_json(&Json::Array(out)))
}

impl CompiledExpr {
    pub fn eval(&self, input: &Input<'_>) -> Value {
        eval(&self.node, &Context::new(input)).into_value()
    }
}

/// One message, as the nodes being evaluated see it.
pub(super) struct Context<'a> {
    pub(super) payload: &'a Json,
    pub(super) topic: &'a str,
    pub(super) client_id: Option<&'a str>,
    pub(super) now_ms: i64,
    /// Calls of `newuuid()` so far, so that each returns a different value.
    pub(super) uuids: Cell<u64>,
    /// The SET clause's variables evaluated so far.
    pub(super) vars: Vec<Value>,
}

impl<'a> Context<'a> {
    pub(super) fn new(input: &Input<'a>) -> Context<'a> {
        Context {
            payload: input.payload,
            topic: input.topic,
            client_id: input.client_id,
            now_ms: input.now_ms,
            uuids: Cell::new(0),
            vars: Vec::new(),
        }
    }

    /// Evaluates the SET clause in order: each value sees the variables before it.
    fn set_variables(&mut self, set: &'a [Node]) {
        for node in set {
            let value = eval(node, self).into_value();
            self.vars.push(value);
        }
    }
}

pub(super) fn eval<'a>(node: &'a Node, cx: &Context<'a>) -> Evaluated<'a> {
    match node {
        Node::Path(segs) => walk(Evaluated::Payload(cx.payload), segs, cx),
        Node::Access(base, segs) => walk(eval(base, cx), segs, cx),
        Node::Literal(v) => Evaluated::Literal(v),
        Node::Array(items) => Evaluated::Owned(Value::Array(
            items.iter().map(|n| eval(n, cx).into_value()).collect(),
        )),
        Node::Object(entries) => Evaluated::Owned(Value::Object(
            entries
                .iter()
                .map(|(k, n)| (k.clone(), eval(n, cx).into_value()))
                .collect(),
        )),
        Node::Negate(x) => Evaluated::Owned(negate(eval(x, cx).kind())),
        Node::Not(x) => Evaluated::Owned(match to_bool(eval(x, cx).kind()) {
            Some(b) => Value::Bool(!b),
            None => Value::Undefined,
        }),
        Node::Binary(op, l, r) => Evaluated::Owned(binary(*op, &eval(l, cx), &eval(r, cx))),
        Node::Call(f, args) => call(*f, args, cx),
        Node::Cast(ty, x) => Evaluated::Owned(cast(*ty, &eval(x, cx))),
        Node::Case {
            operand,
            branches,
            otherwise,
        } => {
            match operand {
                // `CASE v WHEN t THEN r ...`: the first t equal to v.
                Some(v) => {
                    let v = eval(v, cx);
                    if v.is_undefined() {
                        return UNDEFINED;
                    }
                    for (when, then) in branches {
                        if equals(&v, &eval(when, cx)) == Some(true) {
                            return eval(then, cx);
                        }
                    }
                }
                // `CASE WHEN cond THEN r ...`: the first true condition.
                None => {
                    for (when, then) in branches {
                        if to_bool(eval(when, cx).kind()) == Some(true) {
                            return eval(then, cx);
                        }
                    }
                }
            }
            otherwise.as_deref().map_or(UNDEFINED, |e| eval(e, cx))
        }
        Node::Variable(i) => cx
            .vars
            .get(*i)
            .map_or(UNDEFINED, |v| Evaluated::Owned(v.clone())),
        Node::Message => Evaluated::Payload(cx.payload),
        Node::Subquery(sub) => subquery(sub, cx),
    }
}

pub(super) fn walk<'a>(
    mut cur: Evaluated<'a>,
    segs: &'a [Segment],
    cx: &Context<'a>,
) -> Evaluated<'a> {
    for seg in segs {
        cur = match seg {
            Segment::Field(name) => cur.field(name),
            Segment::Index(ix) => match to_int(eval(ix, cx).kind()) {
                Some(i) => cur.index(i),
                None => UNDEFINED,
            },
        };
    }
    cur
}
