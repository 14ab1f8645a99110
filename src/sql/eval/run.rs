//! Running a compiled [`Program`] on one message: `WHERE` first, then the `SELECT` items, walking the node tree
//! over the caller's payload by reference. [`Program::run_owned`] takes the payload by value so that the common
//! `SELECT *, ...` moves it into the result instead of copying every field.

use std::cell::Cell;

use serde_json::{Map, Value as Json};

use super::builtins::call;
use super::compile::{CompiledExpr, Item, Node, Program, Segment, Select};
use super::convert::{to_bool, to_int};
use super::evaluated::{Evaluated, UNDEFINED, ValueKind};
use super::ops::{binary, cast, equals, negate};
use super::value::Value;
use super::{Input, Outcome};

impl Program {
    /// Runs the rule on one message: `WHERE` first, then `SELECT`.
    pub fn run(&self, input: &Input<'_>) -> Outcome {
        let cx = Context::new(input);
        if let Some(w) = &self.where_
            && !matches!(eval(w, &cx).kind(), ValueKind::Bool(true))
        {
            return Outcome::Filtered;
        }
        match &self.select {
            Select::Value(node) => Outcome::FiredValue(eval(node, &cx).into_json()),
            Select::Items(items) => {
                // AWS passes a non-object payload through `SELECT *` whole.
                if let [Item::Merge] = items.as_slice()
                    && !input.payload.is_object()
                {
                    return Outcome::FiredValue(Some(input.payload.clone()));
                }
                let mut out = Map::new();
                for item in items {
                    match item {
                        Item::Merge => {
                            if let Json::Object(m) = input.payload {
                                if out.is_empty() {
                                    out = m.clone();
                                } else {
                                    out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
                                }
                            }
                        }
                        Item::Nest(key) => {
                            out.insert(key.clone(), input.payload.clone());
                        }
                        Item::Expr { key, node } => {
                            // An Undefined item writes nothing and leaves an
                            // earlier value under the same key in place.
                            if let Some(j) = eval(node, &cx).into_json() {
                                out.insert(key.clone(), j);
                            }
                        }
                    }
                }
                Outcome::Fired(out)
            }
        }
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
        let extras: Vec<(String, Json)> = {
            let input = Input {
                topic,
                payload: &payload,
                client_id,
                now_ms,
            };
            let cx = Context::new(&input);
            if let Some(w) = &self.where_
                && !matches!(eval(w, &cx).kind(), ValueKind::Bool(true))
            {
                return Outcome::Filtered;
            }
            rest.iter()
                .filter_map(|item| match item {
                    Item::Expr { key, node } => {
                        eval(node, &cx).into_json().map(|j| (key.clone(), j))
                    }
                    _ => None,
                })
                .collect()
        };
        let Json::Object(mut out) = payload else {
            return Outcome::Fired(Map::new());
        };
        for (key, value) in extras {
            out.insert(key, value);
        }
        Outcome::Fired(out)
    }
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
}

impl<'a> Context<'a> {
    pub(super) fn new(input: &Input<'a>) -> Context<'a> {
        Context {
            payload: input.payload,
            topic: input.topic,
            client_id: input.client_id,
            now_ms: input.now_ms,
            uuids: Cell::new(0),
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
