//! Evaluator of AWS IoT SQL: runs a parsed rule [`Statement`] on one message
//! (topic, JSON payload, client id, clock) and says whether the rule fires and
//! what it would send to its actions. Pure: no I/O, no randomness, no panics.
//!
//! Semantics follow the AWS IoT SQL reference (pages `iot-sql-data-types`,
//! `iot-sql-operators`, `iot-sql-functions`, `iot-sql-select`,
//! `iot-sql-where`, `iot-sql-case`) for SQL version 2016-03-23. Where those
//! pages are silent or contradict themselves, the choice made here is noted
//! next to the code; the main ones:
//!
//! * Numbers: `Int` is an `i64` (AWS: 34 digits) and `Decimal` an `f64`
//!   (AWS: 34-digit decimal). Integer overflow falls back to `Decimal`;
//!   results that are not finite (division by zero, `sqrt(-1)`, overflow)
//!   are `Undefined`. JSON numbers keep their `serde_json::Number`, so they
//!   serialize exactly as they came in (e.g. `u64` values above `i64::MAX`).
//! * SQL V2 processes whole-number decimals as `Int`: a computed `Decimal`
//!   that is a whole number (|x| < 2^53) is serialized as an integer
//!   (`power(2, 5)` → `32`). Inside expressions it stays a `Decimal`, so
//!   `10.0 / 4` is `2.5`.
//! * `AND`, `OR` and `NOT` take booleans or the strings "true"/"false"; any
//!   other operand, `Undefined` included, makes the result `Undefined` (the
//!   operator tables' "Other value" row), so `true OR Undefined` is
//!   `Undefined`, not `true`. Both sides are always evaluated.
//! * `WHERE` fires only on the boolean `true` (not on the string "true").
//! * An unaliased select item that is not a plain field path is named
//!   `_N`, N being its 1-based position in the select list (undocumented).
//! * `Undefined` is dropped from objects (documented) and from arrays when
//!   serializing (undocumented; dropping is the only choice that keeps the
//!   output valid JSON).
//! * Implicit conversion of a `Decimal` to `Int` (indices, `substring`,
//!   `cast(x AS Int)`) truncates toward zero, as Java's `RoundingMode.DOWN`
//!   ("rounded down" in the docs); `floor`, `bitand`, `lpad`, `chr`... floor
//!   as their pages say.
//! * String lengths and indices count Unicode scalar values.
//! * `newuuid()` is a deterministic UUID-v4-shaped value hashed from the
//!   input (topic, client id, clock, payload) and a per-evaluation counter,
//!   so simulations are reproducible; AWS returns a random one.
//! * `clientid()` is `Input::client_id`, or `"n/a"` when absent (the
//!   documented value for messages not sent over MQTT).
//!
//! Which functions exist, and which of them a local run computes, is the
//! catalog in [`crate::sql::functions`]. Functions AWS documents but that need
//! AWS services, secrets, regexes or hashes (`aws_lambda`, `get_dynamodb`,
//! `sha256`, `regexp_matches`, ...) are reported as
//! [`EvalError::Unsupported`]; names AWS does not document are
//! [`EvalError::UnknownFunction`]. Both are found when compiling, before any
//! message is looked at, so an error never depends on the data.
//!
//! Speed: compile a statement once with [`Program::compile`] and call
//! [`Program::run`] per message ([`evaluate`] compiles every time). Function
//! names, cast types, number literals and output keys are resolved at
//! compile time. Evaluation works on the caller's `serde_json::Value` by
//! reference: field paths borrow from the payload and literals borrow from
//! the program, so `WHERE eventType = 'connected'` allocates nothing; only
//! computed values are owned. `SELECT *` clones the payload map once, which
//! is the output anyway.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde_json::{Map, Number, Value as Json};

use super::ast::{
    BinaryOp, Call, Expr, ExprKind, Ident, PathSegment, SelectClause, SelectItem, Span, Statement,
    UnaryOp,
};
use super::functions::{self, Builtin, Local};
use super::parse::MAX_TREE_DEPTH;

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

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
            None => f.write_str(&fmt_f64(self.value)),
        }
    }
}

fn fmt_f64(x: f64) -> String {
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
    fn take(&mut self, key: &str) -> Option<Value> {
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
fn dec(x: f64) -> Value {
    Decimal::new(x).map_or(Value::Undefined, Value::Decimal)
}

/// An `Int` when the whole number `x` fits, else a `Decimal`.
fn whole(x: f64) -> Value {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        Value::Int(x as i64)
    } else {
        dec(x)
    }
}

// ---------------------------------------------------------------------------
// Inputs, outcomes, errors
// ---------------------------------------------------------------------------

/// One message to run a rule on.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The topic the message was published on (`topic()`).
    pub topic: &'a str,
    pub payload: &'a Json,
    /// What `clientid()` returns; for lifecycle events, the client the event
    /// is about approximates the publishing client. `None` gives `"n/a"`.
    pub client_id: Option<&'a str>,
    /// What `timestamp()` returns, in milliseconds since the epoch.
    pub now_ms: i64,
}

impl<'a> Input<'a> {
    /// An input without client id, at time 0.
    pub fn new(topic: &'a str, payload: &'a Json) -> Input<'a> {
        Input {
            topic,
            payload,
            client_id: None,
            now_ms: 0,
        }
    }
}

/// What a rule does with one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The `WHERE` condition was not `true` (false, `Undefined`, null or not
    /// a boolean): no action runs.
    Filtered,
    /// The object built by the `SELECT` items.
    Fired(Map<String, Json>),
    /// `SELECT VALUE expr`, or `SELECT *` on a payload that is not an
    /// object: the value itself; `None` when it is `Undefined` (AWS then
    /// sends an empty payload).
    FiredValue(Option<Json>),
}

/// Why a statement cannot be evaluated. Found at compile time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("unknown function `{name}`")]
    UnknownFunction { name: String, span: Span },
    #[error("`{name}` cannot be simulated: it {reason}")]
    Unsupported {
        name: String,
        reason: &'static str,
        span: Span,
    },
    #[error("`{name}` takes {expected} argument{}, found {found}", if *.expected == "1" { "" } else { "s" })]
    Arity {
        name: String,
        expected: String,
        found: usize,
        span: Span,
    },
    #[error("unknown type `{name}` in CAST; expected String, Int, Decimal, Double or Boolean")]
    UnknownType { name: String, span: Span },
    #[error("expression nested more than {MAX_TREE_DEPTH} levels deep")]
    TooDeep { span: Span },
}

impl EvalError {
    pub fn span(&self) -> Span {
        match self {
            EvalError::UnknownFunction { span, .. }
            | EvalError::Unsupported { span, .. }
            | EvalError::Arity { span, .. }
            | EvalError::UnknownType { span, .. }
            | EvalError::TooDeep { span } => *span,
        }
    }
}

// ---------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------

/// A statement ready to run on many messages.
#[derive(Debug, Clone)]
pub struct Program {
    select: Select,
    where_: Option<Node>,
}

/// A standalone expression ready to run on many messages.
#[derive(Debug, Clone)]
pub struct CompiledExpr {
    node: Node,
}

#[derive(Debug, Clone)]
enum Select {
    Items(Vec<Item>),
    Value(Node),
}

#[derive(Debug, Clone)]
enum Item {
    /// `*`: the payload's keys.
    Merge,
    /// `* AS key`.
    Nest(String),
    Expr {
        key: String,
        node: Node,
    },
}

#[derive(Debug, Clone)]
enum Node {
    Path(Vec<Seg>),
    Access(Box<Node>, Vec<Seg>),
    Lit(Value),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    Neg(Box<Node>),
    Not(Box<Node>),
    Bin(BinaryOp, Box<Node>, Box<Node>),
    Call(Builtin, Vec<Node>),
    Cast(CastTy, Box<Node>),
    Case {
        operand: Option<Box<Node>>,
        branches: Vec<(Node, Node)>,
        otherwise: Option<Box<Node>>,
    },
}

#[derive(Debug, Clone)]
enum Seg {
    Field(String),
    Index(Node),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CastTy {
    String,
    Int,
    Decimal,
    Bool,
}

impl Program {
    /// Checks and prepares a statement. The `FROM` filter is not used: the
    /// caller decides which topics reach the rule (see `topic_matches`).
    pub fn compile(stmt: &Statement) -> Result<Program, EvalError> {
        let select = match &stmt.select {
            SelectClause::Value(e) => Select::Value(compile_checked(e)?),
            SelectClause::Items(items) => Select::Items(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| compile_item(i, item))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let where_ = stmt.where_.as_ref().map(compile_checked).transpose()?;
        Ok(Program { select, where_ })
    }

    /// Runs the rule on one message: `WHERE` first, then `SELECT`.
    pub fn run(&self, input: &Input<'_>) -> Outcome {
        let cx = Ctx::new(input);
        if let Some(w) = &self.where_
            && !matches!(eval(w, &cx).k(), K::Bool(true))
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
}

impl Program {
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
            let cx = Ctx::new(&input);
            if let Some(w) = &self.where_
                && !matches!(eval(w, &cx).k(), K::Bool(true))
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
    pub fn compile(expr: &Expr) -> Result<CompiledExpr, EvalError> {
        Ok(CompiledExpr {
            node: compile_checked(expr)?,
        })
    }

    pub fn eval(&self, input: &Input<'_>) -> Value {
        eval(&self.node, &Ctx::new(input)).into_value()
    }
}

/// Compiles and runs `stmt` on one message. To run a statement on many
/// messages, compile it once with [`Program::compile`].
pub fn evaluate(stmt: &Statement, input: &Input<'_>) -> Result<Outcome, EvalError> {
    Ok(Program::compile(stmt)?.run(input))
}

/// Compiles and evaluates a standalone expression on one message.
pub fn evaluate_expr(expr: &Expr, input: &Input<'_>) -> Result<Value, EvalError> {
    Ok(CompiledExpr::compile(expr)?.eval(input))
}

fn compile_item(index: usize, item: &SelectItem) -> Result<Item, EvalError> {
    Ok(match item {
        SelectItem::Wildcard { alias: None, .. } => Item::Merge,
        SelectItem::Wildcard { alias: Some(a), .. } => Item::Nest(a.name.clone()),
        SelectItem::Expr { expr, .. } => Item::Expr {
            key: item
                .output_name()
                .map_or_else(|| format!("_{}", index + 1), str::to_owned),
            node: compile_checked(expr)?,
        },
    })
}

/// Rejects trees deeper than the parser produces, so that compiling and
/// evaluating (both recursive) stay within a small stack even for trees
/// built by hand; the walk itself uses an explicit stack.
fn compile_checked(expr: &Expr) -> Result<Node, EvalError> {
    let mut stack = vec![(expr, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_TREE_DEPTH + 1 {
            return Err(EvalError::TooDeep { span: e.span });
        }
        stack.extend(e.children().into_iter().map(|c| (c, depth + 1)));
    }
    compile(expr)
}

fn compile(e: &Expr) -> Result<Node, EvalError> {
    let boxed = |e: &Expr| compile(e).map(Box::new);
    Ok(match &e.kind {
        ExprKind::Path(segments) => Node::Path(compile_segments(segments)?),
        ExprKind::Access { base, segments } => {
            Node::Access(boxed(base)?, compile_segments(segments)?)
        }
        ExprKind::String(s) => Node::Lit(Value::String(s.clone())),
        ExprKind::Number(text) => Node::Lit(number_literal(text)),
        ExprKind::Bool(b) => Node::Lit(Value::Bool(*b)),
        ExprKind::Null => Node::Lit(Value::Null),
        ExprKind::Array(items) => Node::Array(items.iter().map(compile).collect::<Result<_, _>>()?),
        ExprKind::Object(entries) => Node::Object(
            entries
                .iter()
                .map(|en| Ok((en.key.clone(), compile(&en.value)?)))
                .collect::<Result<_, EvalError>>()?,
        ),
        ExprKind::Unary { op, expr } => match op {
            UnaryOp::Neg => Node::Neg(boxed(expr)?),
            UnaryOp::Not => Node::Not(boxed(expr)?),
        },
        ExprKind::Binary { op, lhs, rhs } => Node::Bin(*op, boxed(lhs)?, boxed(rhs)?),
        ExprKind::Call(call) => Node::Call(
            lookup(call, e.span)?,
            call.args.iter().map(compile).collect::<Result<_, _>>()?,
        ),
        ExprKind::Cast { expr, ty } => Node::Cast(cast_type(ty)?, boxed(expr)?),
        ExprKind::Case {
            operand,
            branches,
            otherwise,
        } => Node::Case {
            operand: operand.as_deref().map(boxed).transpose()?,
            branches: branches
                .iter()
                .map(|b| Ok((compile(&b.when)?, compile(&b.then)?)))
                .collect::<Result<_, EvalError>>()?,
            otherwise: otherwise.as_deref().map(boxed).transpose()?,
        },
    })
}

fn compile_segments(segments: &[PathSegment]) -> Result<Vec<Seg>, EvalError> {
    segments
        .iter()
        .map(|s| {
            Ok(match s {
                PathSegment::Field(ident) => Seg::Field(ident.name.clone()),
                PathSegment::Index(e) => Seg::Index(compile(e)?),
            })
        })
        .collect()
}

/// A number literal as written: digits only → `Int` (or an exact `Decimal`
/// when it exceeds `i64` but fits `u64`), anything else → `Decimal`.
fn number_literal(text: &str) -> Value {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(u) = text.parse::<u64>()
            && let Some(d) = Decimal::from_json(&Number::from(u))
        {
            return Value::Decimal(d);
        }
    }
    text.parse::<f64>().map_or(Value::Undefined, dec)
}

/// Resolves a call through the function catalog: a builtin to run, or why not.
fn lookup(call: &Call, span: Span) -> Result<Builtin, EvalError> {
    let name = &call.name.name;
    match functions::lookup(name).map(|f| (f, f.local)) {
        Some((f, Local::Computed(builtin))) => {
            let found = call.args.len();
            if !f.arity.accepts(found) {
                return Err(EvalError::Arity {
                    name: name.clone(),
                    expected: f.arity.describe(),
                    found,
                    span,
                });
            }
            Ok(builtin)
        }
        Some((_, Local::Refused(why))) => Err(EvalError::Unsupported {
            name: name.clone(),
            reason: why.reason(),
            span,
        }),
        Some((_, Local::NotAws)) | None => Err(EvalError::UnknownFunction {
            name: name.clone(),
            span,
        }),
    }
}

/// The type keywords the cast page lists for SQL 2016-03-23.
fn cast_type(ty: &Ident) -> Result<CastTy, EvalError> {
    const NAMES: &[(&str, CastTy)] = &[
        ("string", CastTy::String),
        ("nvarchar", CastTy::String),
        ("text", CastTy::String),
        ("ntext", CastTy::String),
        ("varchar", CastTy::String),
        ("int", CastTy::Int),
        ("integer", CastTy::Int),
        ("double", CastTy::Decimal),
        ("decimal", CastTy::Decimal),
        ("bool", CastTy::Bool),
        ("boolean", CastTy::Bool),
    ];
    NAMES
        .iter()
        .find(|(n, _)| ty.is(n))
        .map(|&(_, t)| t)
        .ok_or_else(|| EvalError::UnknownType {
            name: ty.name.clone(),
            span: ty.span,
        })
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

struct Ctx<'a> {
    payload: &'a Json,
    topic: &'a str,
    client_id: Option<&'a str>,
    now_ms: i64,
    /// Calls of `newuuid()` so far, so that each returns a different value.
    uuids: Cell<u64>,
}

impl<'a> Ctx<'a> {
    fn new(input: &Input<'a>) -> Ctx<'a> {
        Ctx {
            payload: input.payload,
            topic: input.topic,
            client_id: input.client_id,
            now_ms: input.now_ms,
            uuids: Cell::new(0),
        }
    }

    /// A UUID-v4-shaped string hashed from the input and a call counter.
    fn new_uuid(&self) -> String {
        let n = self.uuids.get();
        self.uuids.set(n.wrapping_add(1));
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            h = (h ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
        };
        feed(self.topic.as_bytes());
        feed(self.client_id.unwrap_or("").as_bytes());
        feed(&self.now_ms.to_le_bytes());
        feed(self.payload.to_string().as_bytes());
        feed(&n.to_le_bytes());
        let hi = splitmix64(h);
        let lo = splitmix64(hi ^ 0x9e37_79b9_7f4a_7c15);
        let hi = (hi & !0xf000) | 0x4000;
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An evaluated value, borrowed where possible.
enum Ev<'a> {
    /// Part of the payload.
    Json(&'a Json),
    /// A literal of the program.
    Lit(&'a Value),
    /// Part of the topic, or a constant.
    Str(&'a str),
    Own(Value),
}

const UNDEF: Ev<'static> = Ev::Own(Value::Undefined);

/// The type of an [`Ev`] with its scalar contents, whatever its storage.
#[derive(Clone, Copy)]
enum K<'x> {
    Undef,
    Null,
    Bool(bool),
    Int(i64),
    Dec(f64),
    Str(&'x str),
    Arr,
    Obj,
}

fn kind_json(j: &Json) -> K<'_> {
    match j {
        Json::Null => K::Null,
        Json::Bool(b) => K::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => K::Int(i),
            None => n.as_f64().map_or(K::Undef, K::Dec),
        },
        Json::String(s) => K::Str(s),
        Json::Array(_) => K::Arr,
        Json::Object(_) => K::Obj,
    }
}

fn kind_value(v: &Value) -> K<'_> {
    match v {
        Value::Undefined => K::Undef,
        Value::Null => K::Null,
        Value::Bool(b) => K::Bool(*b),
        Value::Int(i) => K::Int(*i),
        Value::Decimal(d) => K::Dec(d.value),
        Value::String(s) => K::Str(s),
        Value::Array(_) => K::Arr,
        Value::Object(_) => K::Obj,
    }
}

impl<'a> Ev<'a> {
    fn k(&self) -> K<'_> {
        match self {
            Ev::Json(j) => kind_json(j),
            Ev::Lit(v) => kind_value(v),
            Ev::Str(s) => K::Str(s),
            Ev::Own(v) => kind_value(v),
        }
    }

    fn is_undef(&self) -> bool {
        matches!(self.k(), K::Undef)
    }

    fn into_value(self) -> Value {
        match self {
            Ev::Json(j) => Value::from_json(j),
            Ev::Lit(v) => v.clone(),
            Ev::Str(s) => Value::String(s.to_owned()),
            Ev::Own(v) => v,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Ev::Json(j) => Value::from_json(j),
            Ev::Lit(v) => (*v).clone(),
            Ev::Str(s) => Value::String((*s).to_owned()),
            Ev::Own(v) => v.clone(),
        }
    }

    fn into_json(self) -> Option<Json> {
        match self {
            Ev::Json(j) => Some(j.clone()),
            Ev::Lit(v) => v.to_json(),
            Ev::Str(s) => Some(Json::String(s.to_owned())),
            Ev::Own(v) => v.into_json(),
        }
    }

    fn field(self, name: &str) -> Ev<'a> {
        match self {
            Ev::Json(Json::Object(m)) => m.get(name).map_or(UNDEF, Ev::Json),
            Ev::Lit(Value::Object(o)) => o.get(name).map_or(UNDEF, Ev::Lit),
            Ev::Own(Value::Object(mut o)) => Ev::Own(o.take(name).unwrap_or_default()),
            _ => UNDEF,
        }
    }

    fn index(self, i: i64) -> Ev<'a> {
        let Ok(i) = usize::try_from(i) else {
            return UNDEF;
        };
        match self {
            Ev::Json(Json::Array(a)) => a.get(i).map_or(UNDEF, Ev::Json),
            Ev::Lit(Value::Array(a)) => a.get(i).map_or(UNDEF, Ev::Lit),
            Ev::Own(Value::Array(mut a)) if i < a.len() => Ev::Own(a.swap_remove(i)),
            _ => UNDEF,
        }
    }
}

fn eval<'a>(node: &'a Node, cx: &Ctx<'a>) -> Ev<'a> {
    match node {
        Node::Path(segs) => walk(Ev::Json(cx.payload), segs, cx),
        Node::Access(base, segs) => walk(eval(base, cx), segs, cx),
        Node::Lit(v) => Ev::Lit(v),
        Node::Array(items) => Ev::Own(Value::Array(
            items.iter().map(|n| eval(n, cx).into_value()).collect(),
        )),
        Node::Object(entries) => Ev::Own(Value::Object(
            entries
                .iter()
                .map(|(k, n)| (k.clone(), eval(n, cx).into_value()))
                .collect(),
        )),
        Node::Neg(x) => Ev::Own(negate(eval(x, cx).k())),
        Node::Not(x) => Ev::Own(match bool_conv(eval(x, cx).k()) {
            Some(b) => Value::Bool(!b),
            None => Value::Undefined,
        }),
        Node::Bin(op, l, r) => Ev::Own(binary(*op, &eval(l, cx), &eval(r, cx))),
        Node::Call(f, args) => call(*f, args, cx),
        Node::Cast(ty, x) => Ev::Own(cast(*ty, &eval(x, cx))),
        Node::Case {
            operand,
            branches,
            otherwise,
        } => {
            match operand {
                // `CASE v WHEN t THEN r ...`: the first t equal to v.
                Some(v) => {
                    let v = eval(v, cx);
                    if v.is_undef() {
                        return UNDEF;
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
                        if bool_conv(eval(when, cx).k()) == Some(true) {
                            return eval(then, cx);
                        }
                    }
                }
            }
            otherwise.as_deref().map_or(UNDEF, |e| eval(e, cx))
        }
    }
}

fn walk<'a>(mut cur: Ev<'a>, segs: &'a [Seg], cx: &Ctx<'a>) -> Ev<'a> {
    for seg in segs {
        cur = match seg {
            Seg::Field(name) => cur.field(name),
            Seg::Index(ix) => match int_conv(eval(ix, cx).k()) {
                Some(i) => cur.index(i),
                None => UNDEF,
            },
        };
    }
    cur
}

// --- conversions (the "Conversions" tables of iot-sql-data-types) ---------

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    D(f64),
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::D(d) => d,
        }
    }
}

/// Strings the engine converts to a `Decimal`: `^-?\d+(\.\d+)?((?i)E-?\d+)?$`.
fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if b.first() == Some(&b'-') {
        i += 1;
    }
    if !digits(&mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Numbers only.
fn num_of(k: K<'_>) -> Option<Num> {
    match k {
        K::Int(i) => Some(Num::I(i)),
        K::Dec(d) => Some(Num::D(d)),
        _ => None,
    }
}

/// Numbers, and strings that convert to a `Decimal`.
fn num_conv(k: K<'_>) -> Option<Num> {
    match k {
        K::Str(s) => parse_decimal(s).map(Num::D),
        other => num_of(other),
    }
}

/// To `Int`: decimals truncate toward zero (saturating).
fn int_conv(k: K<'_>) -> Option<i64> {
    match num_conv(k)? {
        Num::I(i) => Some(i),
        Num::D(d) => Some(d.trunc() as i64),
    }
}

/// To `Int` for the functions whose pages say "rounded down" to an Int
/// (bit operations, `chr`, `lpad`, `rpad`, `trunc`'s places).
fn floor_conv(k: K<'_>) -> Option<i64> {
    match num_conv(k)? {
        Num::I(i) => Some(i),
        Num::D(d) => Some(d.floor() as i64),
    }
}

/// To `Boolean`: booleans, and the strings "true"/"false" in any case.
fn bool_conv(k: K<'_>) -> Option<bool> {
    match k {
        K::Bool(b) => Some(b),
        K::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        K::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// To `String`: `None` for `Null` and `Undefined`; arrays and objects
/// serialize to JSON.
fn str_conv<'x>(v: &'x Ev<'_>) -> Option<Cow<'x, str>> {
    Some(match v.k() {
        K::Undef | K::Null => return None,
        K::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        K::Int(i) => Cow::Owned(i.to_string()),
        K::Dec(d) => Cow::Owned(match v {
            Ev::Json(Json::Number(n)) => n.to_string(),
            Ev::Lit(Value::Decimal(x)) | Ev::Own(Value::Decimal(x)) => x.to_string(),
            _ => fmt_f64(d),
        }),
        K::Str(s) => Cow::Borrowed(s),
        K::Arr | K::Obj => Cow::Owned(match v {
            Ev::Json(j) => j.to_string(),
            other => other.to_value().into_json().unwrap_or_default().to_string(),
        }),
    })
}

fn string_value(v: &Ev<'_>, f: impl FnOnce(&str) -> String) -> Value {
    str_conv(v).map_or(Value::Undefined, |s| Value::String(f(&s)))
}

// --- operators (iot-sql-operators) ----------------------------------------

fn binary(op: BinaryOp, l: &Ev<'_>, r: &Ev<'_>) -> Value {
    match op {
        BinaryOp::And | BinaryOp::Or => match (bool_conv(l.k()), bool_conv(r.k())) {
            (Some(a), Some(b)) => Value::Bool(if op == BinaryOp::And { a && b } else { a || b }),
            _ => Value::Undefined,
        },
        BinaryOp::Eq => equals(l, r).map_or(Value::Undefined, Value::Bool),
        BinaryOp::NotEq => equals(l, r).map_or(Value::Undefined, |b| Value::Bool(!b)),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => compare(op, l.k(), r.k()),
        BinaryOp::In => member(l, r),
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            arith(op, l, r)
        }
    }
}

/// `=`: `None` (Undefined) if either side is Undefined; numbers compare by
/// value across Int and Decimal; mismatched types are unequal (no string to
/// number conversion, per the `=` table).
fn equals(l: &Ev<'_>, r: &Ev<'_>) -> Option<bool> {
    Some(match (l.k(), r.k()) {
        (K::Undef, _) | (_, K::Undef) => return None,
        (K::Int(a), K::Int(b)) => a == b,
        (a @ (K::Int(_) | K::Dec(_)), b @ (K::Int(_) | K::Dec(_))) => {
            num_of(a).map(Num::f) == num_of(b).map(Num::f)
        }
        (K::Str(a), K::Str(b)) => a == b,
        (K::Bool(a), K::Bool(b)) => a == b,
        (K::Null, K::Null) => true,
        (K::Arr, K::Arr) | (K::Obj, K::Obj) => value_eq(&l.to_value(), &r.to_value()),
        _ => false,
    })
}

/// Structural equality: arrays in order, objects regardless of key order.
fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| value_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| value_eq(v, w)))
        }
        (Value::Undefined, Value::Undefined) => true,
        _ => equals(&Ev::Lit(a), &Ev::Lit(b)) == Some(true),
    }
}

/// `< <= > >=`: numbers, or strings that convert to numbers; else Undefined.
fn compare(op: BinaryOp, l: K<'_>, r: K<'_>) -> Value {
    let (Some(a), Some(b)) = (num_conv(l), num_conv(r)) else {
        return Value::Undefined;
    };
    let ord = match (a, b) {
        (Num::I(x), Num::I(y)) => x.cmp(&y),
        _ => match a.f().partial_cmp(&b.f()) {
            Some(o) => o,
            None => return Value::Undefined,
        },
    };
    Value::Bool(match op {
        BinaryOp::Lt => ord.is_lt(),
        BinaryOp::Le => ord.is_le(),
        BinaryOp::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

/// `x IN array`: whether an element `=` x. Undefined unless the right side
/// is an array and x is defined.
fn member(l: &Ev<'_>, r: &Ev<'_>) -> Value {
    if l.is_undef() {
        return Value::Undefined;
    }
    let found = match r {
        Ev::Json(Json::Array(a)) => a.iter().any(|e| equals(l, &Ev::Json(e)) == Some(true)),
        Ev::Lit(Value::Array(a)) | Ev::Own(Value::Array(a)) => {
            a.iter().any(|e| equals(l, &Ev::Lit(e)) == Some(true))
        }
        _ => return Value::Undefined,
    };
    Value::Bool(found)
}

/// `+ - * / %` (and `mod`). `+` with a string on either side concatenates
/// string conversions; otherwise Int op Int is an Int (integer division
/// truncates toward zero) and anything with a Decimal, or with a numeric
/// string for `- * / %`, is a Decimal. Division by zero is Undefined.
fn arith(op: BinaryOp, l: &Ev<'_>, r: &Ev<'_>) -> Value {
    let (lk, rk) = (l.k(), r.k());
    let (a, b) = if op == BinaryOp::Add {
        if matches!(lk, K::Str(_)) || matches!(rk, K::Str(_)) {
            return match (str_conv(l), str_conv(r)) {
                (Some(x), Some(y)) => Value::String(x.into_owned() + &y),
                _ => Value::Undefined,
            };
        }
        (num_of(lk), num_of(rk))
    } else {
        (num_conv(lk), num_conv(rk))
    };
    let (Some(a), Some(b)) = (a, b) else {
        return Value::Undefined;
    };
    if let (Num::I(x), Num::I(y)) = (a, b) {
        let exact = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Sub => x.checked_sub(y),
            BinaryOp::Mul => x.checked_mul(y),
            BinaryOp::Div if y == 0 => return Value::Undefined,
            BinaryOp::Div => x.checked_div(y),
            BinaryOp::Mod if y == 0 => return Value::Undefined,
            // i64::MIN % -1 overflows in Rust; its remainder is 0.
            _ => Some(x.checked_rem(y).unwrap_or(0)),
        };
        if let Some(v) = exact {
            return Value::Int(v);
        }
    }
    let (x, y) = (a.f(), b.f());
    match op {
        BinaryOp::Add => dec(x + y),
        BinaryOp::Sub => dec(x - y),
        BinaryOp::Mul => dec(x * y),
        BinaryOp::Div if y == 0.0 => Value::Undefined,
        BinaryOp::Div => dec(x / y),
        BinaryOp::Mod if y == 0.0 => Value::Undefined,
        // Sign of the dividend, as Java's BigDecimal.remainder.
        _ => dec(x % y),
    }
}

/// Unary minus (undocumented): numbers and numeric strings, like `0 - x`.
fn negate(k: K<'_>) -> Value {
    match num_conv(k) {
        Some(Num::I(i)) => i.checked_neg().map_or_else(|| dec(-(i as f64)), Value::Int),
        Some(Num::D(d)) => dec(-d),
        None => Value::Undefined,
    }
}

/// `CAST(x AS type)`, per the casting tables of the functions page.
fn cast(ty: CastTy, v: &Ev<'_>) -> Value {
    let k = v.k();
    match ty {
        CastTy::String => string_value(v, str::to_owned),
        CastTy::Int => match k {
            K::Int(i) => Value::Int(i),
            K::Dec(d) => whole(d.trunc()),
            K::Bool(b) => Value::Int(i64::from(b)),
            K::Str(s) => parse_decimal(s).map_or(Value::Undefined, |d| whole(d.trunc())),
            _ => Value::Undefined,
        },
        CastTy::Decimal => match k {
            K::Int(i) => dec(i as f64),
            K::Dec(_) => v.to_value(),
            K::Bool(b) => dec(if b { 1.0 } else { 0.0 }),
            K::Str(s) => parse_decimal(s).map_or(Value::Undefined, dec),
            _ => Value::Undefined,
        },
        CastTy::Bool => match k {
            K::Int(i) => Value::Bool(i != 0),
            K::Dec(d) => Value::Bool(d != 0.0),
            other => bool_conv(other).map_or(Value::Undefined, Value::Bool),
        },
    }
}

// --- functions (iot-sql-functions) ----------------------------------------

fn call<'a>(f: Builtin, args: &'a [Node], cx: &Ctx<'a>) -> Ev<'a> {
    let arg = |i: usize| args.get(i).map_or(UNDEF, |n| eval(n, cx));
    let v = match f {
        Builtin::Topic => return topic(args, cx),
        Builtin::ClientId => return Ev::Str(cx.client_id.unwrap_or("n/a")),
        Builtin::SqlVersion => return Ev::Str("2016-03-23"),
        Builtin::Timestamp => Value::Int(cx.now_ms),
        Builtin::NewUuid => Value::String(cx.new_uuid()),
        Builtin::GetOrDefault | Builtin::Nanvl => {
            // Null and Undefined (and, for nanvl, NaN, which this
            // evaluator never produces) give the second argument.
            let x = arg(0);
            return if matches!(x.k(), K::Undef | K::Null) {
                arg(1)
            } else {
                x
            };
        }
        Builtin::Get => return get(arg(0), &arg(1)),
        Builtin::IsNull => Value::Bool(matches!(arg(0).k(), K::Null)),
        Builtin::IsUndefined => Value::Bool(arg(0).is_undef()),
        Builtin::Concat => return concat(args, cx),

        Builtin::Abs => match num_conv(arg(0).k()) {
            Some(Num::I(i)) => i
                .checked_abs()
                .map_or_else(|| dec((i as f64).abs()), Value::Int),
            Some(Num::D(d)) => dec(d.abs()),
            None => Value::Undefined,
        },
        Builtin::Floor | Builtin::Ceil | Builtin::Round => match num_conv(arg(0).k()) {
            Some(Num::I(i)) => Value::Int(i),
            Some(Num::D(d)) => whole(match f {
                Builtin::Floor => d.floor(),
                Builtin::Ceil => d.ceil(),
                // Half away from zero: the page's examples round 1.5 to 2
                // and -1.5 to -2.
                _ => d.round(),
            }),
            None => Value::Undefined,
        },
        Builtin::Sign => match num_conv(arg(0).k()) {
            Some(n) => Value::Int(match n {
                Num::I(i) => i.signum(),
                Num::D(d) if d > 0.0 => 1,
                Num::D(d) if d < 0.0 => -1,
                Num::D(_) => 0,
            }),
            None => Value::Undefined,
        },
        Builtin::Acos
        | Builtin::Asin
        | Builtin::Atan
        | Builtin::Cos
        | Builtin::Cosh
        | Builtin::Exp
        | Builtin::Ln
        | Builtin::Log
        | Builtin::Sin
        | Builtin::Sinh
        | Builtin::Sqrt
        | Builtin::Tan
        | Builtin::Tanh => match num_conv(arg(0).k()) {
            // Double precision; imaginary or infinite results are Undefined.
            Some(n) => {
                let x = n.f();
                dec(match f {
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
        },
        Builtin::Atan2 | Builtin::Power => match (num_conv(arg(0).k()), num_conv(arg(1).k())) {
            (Some(a), Some(b)) if f == Builtin::Atan2 => dec(a.f().atan2(b.f())),
            (Some(a), Some(b)) => dec(a.f().powf(b.f())),
            _ => Value::Undefined,
        },
        Builtin::Mod => arith(BinaryOp::Mod, &arg(0), &arg(1)),
        Builtin::Trunc => {
            let places = match arg(1).k() {
                k @ (K::Int(_) | K::Dec(_)) => floor_conv(k),
                _ => None,
            };
            match (num_conv(arg(0).k()), places) {
                (Some(Num::I(i)), Some(_)) => Value::Int(i),
                (Some(Num::D(d)), Some(p)) => dec(truncate_places(d, p.clamp(0, 34) as usize)),
                _ => Value::Undefined,
            }
        }
        Builtin::BitAnd | Builtin::BitOr | Builtin::BitXor => {
            match (floor_conv(arg(0).k()), floor_conv(arg(1).k())) {
                (Some(a), Some(b)) => Value::Int(match f {
                    Builtin::BitAnd => a & b,
                    Builtin::BitOr => a | b,
                    _ => a ^ b,
                }),
                _ => Value::Undefined,
            }
        }
        Builtin::BitNot => floor_conv(arg(0).k()).map_or(Value::Undefined, |a| Value::Int(!a)),
        Builtin::Chr => match floor_conv(arg(0).k()) {
            Some(c @ 0..=127) => Value::String(char::from(c as u8).to_string()),
            _ => Value::Undefined,
        },

        Builtin::Lower => string_value(&arg(0), str::to_lowercase),
        // The hex digest, in lowercase, of the argument's UTF-8 bytes (standard string conversions apply).
        Builtin::Md5 => string_value(&arg(0), |s| {
            use md5::Digest as _;
            md5::Md5::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }),
        Builtin::Upper => string_value(&arg(0), str::to_uppercase),
        // Java's String.trim: leading and trailing characters <= U+0020.
        Builtin::Trim => string_value(&arg(0), |s| s.trim_matches(|c| c <= ' ').to_owned()),
        Builtin::Ltrim => string_value(&arg(0), |s| s.trim_start_matches(|c| c <= ' ').to_owned()),
        Builtin::Rtrim => string_value(&arg(0), |s| s.trim_end_matches(|c| c <= ' ').to_owned()),
        Builtin::Length => {
            str_conv(&arg(0)).map_or(Value::Undefined, |s| Value::Int(s.chars().count() as i64))
        }
        Builtin::NumBytes => {
            str_conv(&arg(0)).map_or(Value::Undefined, |s| Value::Int(s.len() as i64))
        }
        Builtin::Lpad | Builtin::Rpad => {
            let (s, n) = (arg(0), arg(1));
            let count = match n.k() {
                k @ (K::Int(_) | K::Dec(_) | K::Str(_)) => floor_conv(k),
                _ => None,
            };
            match (str_conv(&s), count) {
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
        Builtin::StartsWith | Builtin::EndsWith => {
            let (a, b) = (arg(0), arg(1));
            match (str_conv(&a), str_conv(&b)) {
                (Some(a), Some(b)) => Value::Bool(if f == Builtin::StartsWith {
                    a.starts_with(&*b)
                } else {
                    a.ends_with(&*b)
                }),
                _ => Value::Undefined,
            }
        }
        Builtin::IndexOf => {
            let (a, b) = (arg(0), arg(1));
            match (str_conv(&a), str_conv(&b)) {
                // Not found: -1, as Java's indexOf (undocumented).
                (Some(a), Some(b)) => {
                    Value::Int(a.find(&*b).map_or(-1, |at| a[..at].chars().count() as i64))
                }
                _ => Value::Undefined,
            }
        }
        Builtin::Replace => {
            let (a, b, c) = (arg(0), arg(1), arg(2));
            match (str_conv(&a), str_conv(&b), str_conv(&c)) {
                (Some(a), Some(b), Some(c)) => Value::String(a.replace(&*b, &c)),
                _ => Value::Undefined,
            }
        }
        Builtin::Substring => substring(&arg(0), &arg(1), args.get(2).map(|n| eval(n, cx))),
    };
    Ev::Own(v)
}

/// `topic()` and `topic(n)`. For Basic Ingest topics the
/// `$aws/rules/<rule-name>/` prefix is not part of the topic, as AWS documents.
fn topic<'a>(args: &'a [Node], cx: &Ctx<'a>) -> Ev<'a> {
    let t = match cx.topic.strip_prefix("$aws/rules/") {
        Some(rest) => rest.split_once('/').map_or("", |(_, t)| t),
        None => cx.topic,
    };
    let Some(n) = args.first() else {
        return Ev::Str(t);
    };
    let level = int_conv(eval(n, cx).k())
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| i.checked_sub(1));
    match level {
        Some(i) if !t.is_empty() => t.split('/').nth(i).map_or(UNDEF, Ev::Str),
        _ => UNDEF,
    }
}

/// `get(collection, key)`: an array item or string character by 0-based
/// index (converted to Int), or an object member by string key.
fn get<'a>(x: Ev<'a>, key: &Ev<'_>) -> Ev<'a> {
    match x.k() {
        K::Arr => {}
        K::Obj => {
            return match key.k() {
                K::Str(k) => x.field(k),
                _ => UNDEF,
            };
        }
        // The page's example `get("abc", 1) = "a"` contradicts its own
        // table (0-based index); the table is followed: "b".
        K::Str(s) => {
            let c = int_conv(key.k())
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| s.chars().nth(i));
            return c.map_or(UNDEF, |c| Ev::Own(Value::String(c.to_string())));
        }
        _ => return UNDEF,
    }
    match int_conv(key.k()) {
        Some(i) => x.index(i),
        None => UNDEF,
    }
}

/// `concat(...)`: with an array among the arguments, one array of all the
/// arguments (arrays spliced in); otherwise the concatenated string
/// conversions (also when no argument is a string, which the page leaves
/// open; `concat(1)` is "1" per its example). Any Undefined argument, or
/// one that has no string form (Null), makes the result Undefined.
fn concat<'a>(args: &'a [Node], cx: &Ctx<'a>) -> Ev<'a> {
    let vals: Vec<Ev<'a>> = args.iter().map(|n| eval(n, cx)).collect();
    if vals.is_empty() || vals.iter().any(Ev::is_undef) {
        return UNDEF;
    }
    if vals.iter().any(|v| matches!(v.k(), K::Arr)) {
        let mut out = Vec::new();
        for v in vals {
            match v.into_value() {
                Value::Array(items) => out.extend(items),
                other => out.push(other),
            }
        }
        return Ev::Own(Value::Array(out));
    }
    let mut out = String::with_capacity(64);
    for v in &vals {
        // Integers (timestamps, version numbers) are the common non-string part of a composite key: write
        // their digits straight into the result instead of through a temporary string.
        if let K::Int(i) = v.k() {
            use std::fmt::Write as _;
            let _ = write!(out, "{i}");
            continue;
        }
        match str_conv(v) {
            Some(s) => out.push_str(&s),
            None => return UNDEF,
        }
    }
    Ev::Own(Value::String(out))
}

/// `substring(s, start[, end])`: 0-based character indices clamped to the
/// string; an empty string when start >= end.
fn substring(s: &Ev<'_>, start: &Ev<'_>, end: Option<Ev<'_>>) -> Value {
    let Some(s) = str_conv(s) else {
        return Value::Undefined;
    };
    let len = s.chars().count() as i64;
    let Some(from) = int_conv(start.k()) else {
        return Value::Undefined;
    };
    let to = match end {
        Some(e) => match int_conv(e.k()) {
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
    use super::*;
    use crate::sql::{parse, parse_expr, topic_matches};
    use proptest::prelude::*;
    use serde_json::json;

    const SESSION: &str = "e0c4fbf5-6a6c-4b4b-a2a5-0f1f3e6c9b7d";
    const PRESENCE_RULE: &str = "SELECT * FROM '$aws/events/presence/#' \
                                 WHERE eventType = 'connected' OR eventType = 'disconnected'";

    fn connected() -> Json {
        json!({
            "clientId": "thing_1",
            "timestamp": 1672742949382_i64,
            "eventType": "connected",
            "sessionIdentifier": SESSION,
            "principalIdentifier": "12345678901234567890123456789012",
            "ipAddress": "192.0.2.0",
            "versionNumber": 0
        })
    }

    fn input<'a>(topic: &'a str, payload: &'a Json) -> Input<'a> {
        Input {
            topic,
            payload,
            client_id: Some("thing_1"),
            now_ms: 1_481_825_251_155,
        }
    }

    fn run(sql: &str, topic: &str, payload: &Json) -> Outcome {
        evaluate(&parse(sql).unwrap(), &input(topic, payload)).unwrap()
    }

    fn fired(sql: &str, topic: &str, payload: &Json) -> Json {
        match run(sql, topic, payload) {
            Outcome::Fired(m) => Json::Object(m),
            other => panic!("expected Fired for {sql}, got {other:?}"),
        }
    }

    /// Evaluates an expression on `payload`, topic `things/myThings/thingOne`.
    fn val_on(expr: &str, payload: &Json) -> Value {
        let e = parse_expr(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        evaluate_expr(&e, &input("things/myThings/thingOne", payload))
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    fn val(expr: &str) -> Value {
        val_on(expr, &json!({}))
    }

    /// The JSON an expression serializes to (`None` for Undefined).
    fn js(expr: &str) -> Option<Json> {
        val(expr).into_json()
    }

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    fn d(x: f64) -> Value {
        dec(x)
    }

    const U: Value = Value::Undefined;
    const T: Value = Value::Bool(true);
    const F: Value = Value::Bool(false);

    // --- the presence pipeline -------------------------------------------

    #[test]
    fn presence_rule_fires_on_connected_with_exact_fields() {
        let payload = connected();
        let out = fired(
            PRESENCE_RULE,
            "$aws/events/presence/connected/thing_1",
            &payload,
        );
        assert_eq!(out, payload);
        assert_eq!(out["timestamp"], json!(1672742949382_i64));
        assert_eq!(out.to_string(), payload.to_string(), "key order and digits");
    }

    #[test]
    fn presence_rule_filters_connect_failed_and_missing_event_type() {
        let mut payload = connected();
        payload["eventType"] = json!("connect_failed");
        let topic = "$aws/events/presence/connect_failed/thing_1";
        assert_eq!(run(PRESENCE_RULE, topic, &payload), Outcome::Filtered);
        payload.as_object_mut().unwrap().remove("eventType");
        assert_eq!(run(PRESENCE_RULE, topic, &payload), Outcome::Filtered);
        payload["eventType"] = json!("disconnected");
        assert!(matches!(
            run(PRESENCE_RULE, topic, &payload),
            Outcome::Fired(_)
        ));
    }

    #[test]
    fn expires_at_is_an_integer() {
        let out = fired(
            "SELECT *, floor(timestamp / 1000) + 2592000 AS expiresAt \
             FROM '$aws/events/presence/+/+'",
            "$aws/events/presence/connected/thing_1",
            &connected(),
        );
        assert_eq!(out["expiresAt"], json!(1672742949_i64 + 2592000));
        assert!(out["expiresAt"].is_i64());
        assert_eq!(out["clientId"], json!("thing_1"));
    }

    #[test]
    fn event_key_concatenates_exact_digits() {
        let out = fired(
            "SELECT *, concat(timestamp, '#', eventType, '#', sessionIdentifier) AS eventKey \
             FROM '$aws/events/presence/+/+'",
            "$aws/events/presence/connected/thing_1",
            &connected(),
        );
        assert_eq!(
            out["eventKey"],
            json!(format!("1672742949382#connected#{SESSION}"))
        );
    }

    #[test]
    fn article_rule_nests_the_event_and_drops_undefined() {
        let sql = "SELECT * as event, timestamp, version, topic(4) as eventType, \
                   topic(5) as clientId FROM '$aws/events/presence/+/+' \
                   WHERE topic(4) = 'connected' or topic(4) = 'disconnected'";
        let stmt = parse(sql).unwrap();
        let topic = "$aws/events/presence/connected/thing_1";
        assert!(topic_matches(&stmt.from.filter, topic));
        let payload = connected();
        let out = fired(sql, topic, &payload);
        assert_eq!(
            out,
            json!({
                "event": payload,
                "timestamp": 1672742949382_i64,
                "eventType": "connected",
                "clientId": "thing_1"
            })
        );
        assert!(out.get("version").is_none());
        assert_eq!(
            run(sql, "$aws/events/presence/connect_failed/thing_1", &payload),
            Outcome::Filtered
        );
    }

    #[test]
    fn compiled_program_runs_many_inputs() {
        let program = Program::compile(&parse(PRESENCE_RULE).unwrap()).unwrap();
        let mut payload = connected();
        let topic = "$aws/events/presence/connected/thing_1";
        assert!(matches!(
            program.run(&input(topic, &payload)),
            Outcome::Fired(_)
        ));
        payload["eventType"] = json!("subscribed");
        assert_eq!(program.run(&input(topic, &payload)), Outcome::Filtered);
    }

    // --- SELECT / WHERE / CASE / literals pages ----------------------------

    #[test]
    fn select_page_examples() {
        let p = json!({"color": "red", "temperature": 50});
        // SELECT *
        assert_eq!(
            fired("SELECT * FROM 'topic/subtopic'", "topic/subtopic", &p),
            p
        );
        // SELECT color
        assert_eq!(
            fired("SELECT color FROM 'a/b'", "a/b", &p),
            json!({"color": "red"})
        );
        // AS renames
        assert_eq!(
            fired(
                "SELECT color as my_color, temperature as fahrenheit FROM 'a/b'",
                "a/b",
                &p
            ),
            json!({"my_color": "red", "fahrenheit": 50})
        );
        // `*` plus items
        assert_eq!(
            fired("SELECT *, 15 as speed FROM 'a/b'", "a/b", &p),
            json!({"color": "red", "temperature": 50, "speed": 15})
        );
        // VALUE
        assert_eq!(
            run("SELECT VALUE color FROM 'a/b'", "a/b", &p),
            Outcome::FiredValue(Some(json!("red")))
        );
        // Nested fields
        let nested = json!({"color": {"red": 255, "green": 0, "blue": 0}, "temperature": 50});
        assert_eq!(
            fired("SELECT color.red as red_value FROM 'a/b'", "a/b", &nested),
            json!({"red_value": 255})
        );
        // Functions and grouping: (50 - 32) * 5 / 9 is the Int 10.
        assert_eq!(
            fired(
                "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'a/b'",
                "a/b",
                &p
            ),
            json!({"celsius": 10, "my_color": "RED"})
        );
    }

    #[test]
    fn reference_and_where_page_examples() {
        // iot-sql-reference: temperature 100 > 50 fires with rgb.
        let hot = json!({"color": "red", "temperature": 100});
        assert_eq!(
            fired(
                "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50",
                "topic/subtopic",
                &hot
            ),
            json!({"rgb": "red"})
        );
        // iot-sql-where: temperature 40 does not fire.
        let cool = json!({"color": "red", "temperature": 40});
        assert_eq!(
            run(
                "SELECT color AS my_color FROM 'a/b' WHERE temperature > 50 AND color <> 'red'",
                "a/b",
                &cool
            ),
            Outcome::Filtered
        );
    }

    #[test]
    fn where_needs_boolean_true() {
        let p = json!({"s": "true", "n": null, "one": 1});
        for cond in ["false", "missing", "n", "one", "s", "'yes'"] {
            let sql = format!("SELECT * FROM 't' WHERE {cond}");
            assert_eq!(run(&sql, "t", &p), Outcome::Filtered, "{cond}");
        }
        assert!(matches!(
            run("SELECT * FROM 't' WHERE true", "t", &p),
            Outcome::Fired(_)
        ));
    }

    #[test]
    fn case_page_example() {
        let p = json!({"color": "yellow"});
        let sql = "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' \
                   WHEN 'red' THEN 'stop' ELSE 'you are not at a stop light' END as instructions \
                   FROM 'a/b'";
        assert_eq!(fired(sql, "a/b", &p), json!({"instructions": "caution"}));
        // No match and no ELSE, or an Undefined operand: Undefined.
        assert_eq!(val("CASE 1 WHEN 2 THEN 'x' END"), U);
        assert_eq!(val("CASE missing WHEN 2 THEN 'x' ELSE 'y' END"), U);
        // Searched form.
        assert_eq!(
            val("CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END"),
            s("b")
        );
    }

    #[test]
    fn literals_page_examples() {
        let p = json!({"lat_long": [47.606, -122.332]});
        assert_eq!(
            fired(
                "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long \
                 FROM 'a/b'",
                "a/b",
                &p
            ),
            json!({"lat_long": {"latitude": 47.606, "longitude": -122.332}})
        );
        let p = json!({"lat": 47.606, "long": -122.332});
        assert_eq!(
            fired("SELECT [lat,long] as lat_long FROM 'a/b'", "a/b", &p),
            json!({"lat_long": [47.606, -122.332]})
        );
    }

    #[test]
    fn select_naming_override_and_undefined() {
        let p = json!({"a": {"b": {"c": 1}}, "x": [10, 20], "k": "old"});
        assert_eq!(
            fired(
                "SELECT a.b.c, x[1], 1 + 1, *, 'new' AS k, missing AS k FROM 't'",
                "t",
                &p
            ),
            json!({"c": 1, "_2": 20, "_3": 2, "a": {"b": {"c": 1}}, "x": [10, 20], "k": "new"})
        );
        // Undefined is dropped from arrays and objects.
        assert_eq!(
            js("[1, missing, {'a': missing, 'b': 2}]"),
            Some(json!([1, {"b": 2}]))
        );
        // A non-object payload passes through `SELECT *` whole.
        assert_eq!(
            run("SELECT * FROM 't'", "t", &json!([1, 2])),
            Outcome::FiredValue(Some(json!([1, 2])))
        );
        assert_eq!(
            run("SELECT VALUE missing FROM 't'", "t", &p),
            Outcome::FiredValue(None)
        );
    }

    #[test]
    fn paths_and_indexes() {
        let p = json!({"a": {"b": [{"c": 1}, {"c": 2}]}, "Foo": 1});
        assert_eq!(val_on("a.b[1].c", &p), Value::Int(2));
        assert_eq!(val_on("a.b[2].c", &p), U);
        assert_eq!(val_on("a.b[-1]", &p), U);
        assert_eq!(val_on("a.b.c", &p), U);
        assert_eq!(val_on("a[0]", &p), U);
        assert_eq!(val_on("foo", &p), U, "case-sensitive");
        assert_eq!(val_on("Foo", &p), Value::Int(1));
        assert_eq!(val_on("get(a.b, 0).c", &p), Value::Int(1));
        assert_eq!(val_on("[10, 20, 30][1]", &p), Value::Int(20));
        assert_eq!(val_on("{'k': {'j': 5}}.k.j", &p), Value::Int(5));
    }

    // --- operators page ---------------------------------------------------

    #[test]
    fn logical_operators_table() {
        // AND / OR / NOT: booleans or "true"/"false" strings in any case.
        assert_eq!(val("true AND true"), T);
        assert_eq!(val("true AND false"), F);
        assert_eq!(val("'TRUE' AND 'true'"), T);
        assert_eq!(val("false OR 'True'"), T);
        assert_eq!(val("false OR false"), F);
        assert_eq!(val("NOT 'false'"), T);
        assert_eq!(val("NOT true"), F);
        // Other values: Undefined.
        assert_eq!(val("1 AND true"), U);
        assert_eq!(val("'yes' OR true"), U);
        assert_eq!(val("NOT 0"), U);
        assert_eq!(val("true OR missing"), U);
        assert_eq!(val("NOT missing"), U);
    }

    #[test]
    fn equality_tables() {
        // = : same types compare; Int converts to Decimal.
        assert_eq!(val("1 = 1"), T);
        assert_eq!(val("1 = 1.0"), T);
        assert_eq!(val("'a' = 'a'"), T);
        assert_eq!(val("[1, 2] = [1, 2]"), T);
        assert_eq!(val("[1, 2] = [2, 1]"), F, "arrays: order matters");
        assert_eq!(
            val("{'a': 1, 'b': 2} = {'b': 2, 'a': 1}"),
            T,
            "objects: it does not"
        );
        assert_eq!(val("null = null"), T);
        // Mismatched types: = false, <> true (no string/number conversion).
        assert_eq!(val("'1' = 1"), F);
        assert_eq!(val("'1' <> 1"), T);
        assert_eq!(val("true = 'true'"), F);
        // <> : Null <> Null is false.
        assert_eq!(val("null <> null"), F);
        assert_eq!(val("1 <> 2"), T);
        // Undefined on either side: Undefined.
        assert_eq!(val("missing = 1"), U);
        assert_eq!(val("1 <> missing"), U);
        assert_eq!(val("missing = missing"), U);
    }

    #[test]
    fn ordering_tables() {
        assert_eq!(val("2 > 1"), T);
        assert_eq!(val("1.5 >= 2"), F);
        assert_eq!(val("1 < 1.5"), T);
        assert_eq!(val("2 <= 2"), T);
        // Strings that convert to Decimal compare as numbers.
        assert_eq!(val("'10' > 9"), T);
        assert_eq!(val("'5E-12' < 1"), T);
        // Otherwise Undefined, even for two strings.
        assert_eq!(val("'abc' > 1"), U);
        assert_eq!(val("'b' > 'a'"), U);
        assert_eq!(val("true > false"), U);
        assert_eq!(val("missing < 1"), U);
        // Large ints compare exactly.
        assert_eq!(val("9223372036854775807 > 9223372036854775806"), T);
    }

    #[test]
    fn plus_operator_table() {
        // String + anything concatenates string conversions.
        assert_eq!(val("'a' + 'b'"), s("ab"));
        assert_eq!(val("'1' + 2"), s("12"));
        assert_eq!(val("1 + '2'"), s("12"));
        assert_eq!(val("'x' + true"), s("xtrue"));
        assert_eq!(val("'x' + [1, 'a']"), s(r#"x[1,"a"]"#));
        assert_eq!(val("'x' + 1.5"), s("x1.5"));
        // ...except Null and Undefined, which have no string form.
        assert_eq!(val("'x' + null"), U);
        assert_eq!(val("'x' + missing"), U);
        // Int + Int is Int; with a Decimal, Decimal.
        assert_eq!(val("1 + 2"), Value::Int(3));
        assert_eq!(val("1 + 0.5"), d(1.5));
        // Other values: Undefined.
        assert_eq!(val("true + 1"), U);
        assert_eq!(val("null + 1"), U);
        // Overflow falls back to Decimal.
        assert_eq!(
            val("9223372036854775807 + 1"),
            d(9_223_372_036_854_775_808.0)
        );
    }

    #[test]
    fn arithmetic_operator_tables() {
        // - * / : Int op Int is Int.
        assert_eq!(val("5 - 7"), Value::Int(-2));
        assert_eq!(val("6 * 7"), Value::Int(42));
        assert_eq!(val("7 / 2"), Value::Int(3), "integer division");
        assert_eq!(val("-7 / 2"), Value::Int(-3), "truncates toward zero");
        assert_eq!(val("7.0 / 2"), d(3.5));
        assert_eq!(val("1 / 0"), U);
        assert_eq!(val("1.5 / 0"), U);
        // Numeric strings convert to Decimal.
        assert_eq!(val("'5' - 2"), d(3.0));
        assert_eq!(val("'2.5' * 2"), d(5.0));
        assert_eq!(val("'a' - 2"), U);
        assert_eq!(val("true * 2"), U);
        // % : Int remainder; sign of the dividend; zero divisor Undefined.
        assert_eq!(val("8 % 3"), Value::Int(2));
        assert_eq!(val("-8 % 3"), Value::Int(-2));
        assert_eq!(val("8.5 % 3"), d(2.5));
        assert_eq!(val("'8' % 3"), d(2.0));
        assert_eq!(val("8 % 0"), U);
        assert_eq!(val("-9223372036854775807 - 1"), Value::Int(i64::MIN));
        assert_eq!(val("(-9223372036854775807 - 1) % -1"), Value::Int(0));
        // Unary minus.
        assert_eq!(val("-(2 + 3)"), Value::Int(-5));
        assert_eq!(val("-'a'"), U);
    }

    #[test]
    fn in_operator() {
        let p = json!({"kinds": ["connected", "disconnected"], "e": "connected"});
        assert_eq!(val_on("e IN kinds", &p), T);
        assert_eq!(val_on("'x' IN kinds", &p), F);
        assert_eq!(val_on("1 IN [1.0, 2]", &p), T);
        assert_eq!(val_on("missing IN kinds", &p), U);
        assert_eq!(val_on("e IN e", &p), U, "right side must be an array");
    }

    // --- data types page ---------------------------------------------------

    #[test]
    fn data_type_conversions() {
        // `abs("-5.123")` is treated as `abs(-5.123)`.
        assert_eq!(val("abs('-5.123')"), d(5.123));
        // Strings matching ^-?\d+(\.\d+)?((?i)E-?\d+)?$ convert to Decimal.
        assert_eq!(parse_decimal("0"), Some(0.0));
        assert_eq!(parse_decimal("-1.2"), Some(-1.2));
        assert_eq!(parse_decimal("5E-12"), Some(5e-12));
        assert_eq!(parse_decimal("5e3"), Some(5000.0));
        for bad in [
            "", "-", "+1", "1.", ".5", "1e", "1e+3", " 1", "0x10", "1,5", "NaN", "1e999",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
        // JSON numbers round-trip exactly.
        let big = json!({"n": 18446744073709551615_u64, "t": 1672742949382_i64, "f": 0.1});
        assert_eq!(
            val_on("n", &big).into_json(),
            Some(json!(18446744073709551615_u64))
        );
        assert_eq!(Value::from_json(&big).into_json(), Some(big.clone()));
        assert_eq!(val_on("concat(n, '')", &big), s("18446744073709551615"));
        // SQL V2: whole-number decimals come out as Int.
        assert_eq!(js("10.0"), Some(json!(10)));
        assert_eq!(js("1.25"), Some(json!(1.25)));
    }

    // --- functions page ----------------------------------------------------

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

    #[test]
    fn cast_function() {
        assert_eq!(val("cast(true as Int)"), Value::Int(1)); // the page's example
        assert_eq!(val("cast(false as Integer)"), Value::Int(0));
        assert_eq!(val("cast(2.7 as Int)"), Value::Int(2));
        assert_eq!(val("cast('-1.2' as Int)"), Value::Int(-1));
        assert_eq!(val("cast('x' as Int)"), U);
        assert_eq!(val("cast(5 as Decimal)"), d(5.0));
        assert_eq!(val("cast(true as Double)"), d(1.0));
        assert_eq!(val("cast('5E-12' as Decimal)"), d(5e-12));
        assert_eq!(val("cast(0 as Bool)"), F);
        assert_eq!(val("cast(-3.5 as Boolean)"), T);
        assert_eq!(val("cast('TRUE' as Boolean)"), T);
        assert_eq!(val("cast('yes' as Boolean)"), U);
        assert_eq!(val("cast(12 as String)"), s("12"));
        assert_eq!(val("cast(true as varchar)"), s("true"));
        assert_eq!(val("cast([1, 'a'] as String)"), s(r#"[1,"a"]"#));
        assert_eq!(val("cast({'k': null} as Text)"), s(r#"{"k":null}"#));
        assert_eq!(val("cast(null as String)"), U);
        assert_eq!(val("cast(null as Int)"), U);
        assert_eq!(val("cast(missing as Int)"), U);
    }

    #[test]
    fn md5_function() {
        // The SQL reference's example, and the digest of the empty string.
        assert_eq!(
            js("md5('hello')"),
            Some(json!("5d41402abc4b2a76b9719d911017c592"))
        );
        assert_eq!(
            js("md5('')"),
            Some(json!("d41d8cd98f00b204e9800998ecf8427e"))
        );
        assert_eq!(
            js("md5(1)"),
            Some(json!("c4ca4238a0b923820dcc509a6f75849b"))
        );
        assert_eq!(val("md5(missing)"), U);
    }

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

    #[test]
    fn context_functions() {
        let p = json!({});
        let e = |src: &str, topic: &str, client: Option<&str>| {
            let input = Input {
                topic,
                payload: &p,
                client_id: client,
                now_ms: 1_481_825_251_155,
            };
            evaluate_expr(&parse_expr(src).unwrap(), &input).unwrap()
        };
        let t = "things/myThings/thingOne";
        assert_eq!(e("topic()", t, None), s(t)); // topic
        assert_eq!(e("topic(1)", t, None), s("things"));
        assert_eq!(e("topic(3)", "a/b/c", None), s("c"));
        assert_eq!(e("topic(0)", t, None), U);
        assert_eq!(e("topic(4)", t, None), U);
        assert_eq!(e("topic('x')", t, None), U);
        // Basic Ingest: the $aws/rules/<rule> prefix is not part of topic().
        let ingest = "$aws/rules/BuildingManager/Buildings/Building5/Floor2/Room201/Lights";
        assert_eq!(
            e("topic()", ingest, None),
            s("Buildings/Building5/Floor2/Room201/Lights")
        );
        assert_eq!(e("topic(3)", ingest, None), s("Floor2"));
        assert_eq!(e("timestamp()", t, None), Value::Int(1481825251155)); // timestamp
        assert_eq!(e("clientid()", t, Some("thing_1")), s("thing_1")); // clientid
        assert_eq!(e("clientid()", t, None), s("n/a"));
        assert_eq!(e("sql_version()", t, None), s("2016-03-23"));
    }

    #[test]
    fn newuuid_is_deterministic_and_well_formed() {
        let p = connected();
        let topic = "$aws/events/presence/connected/thing_1";
        let sql = "SELECT newuuid() AS a, newuuid() AS b FROM '#'";
        let first = fired(sql, topic, &p);
        assert_eq!(first, fired(sql, topic, &p));
        let (a, b) = (first["a"].as_str().unwrap(), first["b"].as_str().unwrap());
        assert_ne!(a, b);
        for id in [a, b] {
            let groups: Vec<_> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
            assert_eq!(id.as_bytes()[14], b'4', "{id}");
            assert!(
                matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'),
                "{id}"
            );
        }
    }

    #[test]
    fn compile_errors() {
        let err = |sql: &str| Program::compile(&parse(sql).unwrap()).unwrap_err();
        assert!(matches!(
            err("SELECT isString(a) FROM 't'"),
            EvalError::UnknownFunction { name, .. } if name == "isString"
        ));
        // Found even where evaluation would never go.
        let e = err("SELECT * FROM 't' WHERE false AND nosuch()");
        assert_eq!(e.to_string(), "unknown function `nosuch`");
        let sql = "SELECT * FROM 't' WHERE TOPIC(1, 2) = 'a'";
        let e = err(sql);
        assert_eq!(e.to_string(), "`TOPIC` takes 0 or 1 arguments, found 2");
        assert_eq!(e.span().text(sql), Some("TOPIC(1, 2)"));
        assert_eq!(
            err("SELECT abs() FROM 't'").to_string(),
            "`abs` takes 1 argument, found 0"
        );
        assert!(matches!(
            err("SELECT md2(a) FROM 't'"),
            EvalError::Unsupported { .. }
        ));
        assert!(matches!(
            err("SELECT cast(a AS Float) FROM 't'"),
            EvalError::UnknownType { .. }
        ));
        // Function names are case-insensitive.
        assert_eq!(val("UPPER('a')"), s("A"));
    }

    #[test]
    fn deep_trees_evaluate_or_are_rejected() {
        // The deepest chain the parser accepts evaluates fine.
        let longest = (1..=MAX_TREE_DEPTH + 2)
            .rev()
            .find(|&n| parse_expr(&vec!["1"; n].join(" + ")).is_ok())
            .unwrap();
        assert!(longest >= MAX_TREE_DEPTH);
        let sum = vec!["1"; longest].join(" + ");
        assert_eq!(val(&sum), Value::Int(longest as i64));
        // A deeper tree built by hand is refused, not overflowed.
        let mut e = parse_expr("1").unwrap();
        for _ in 0..MAX_TREE_DEPTH + 5 {
            e = Expr::new(
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    expr: Box::new(e),
                },
                Span::default(),
            );
        }
        let p = json!({});
        assert!(matches!(
            evaluate_expr(&e, &Input::new("t", &p)),
            Err(EvalError::TooDeep { .. })
        ));
    }

    // --- no panics --------------------------------------------------------

    const FUNCTION_NAMES: &[&str] = &[
        "abs",
        "acos",
        "atan2",
        "bitand",
        "bitnot",
        "ceil",
        "chr",
        "clientid",
        "concat",
        "cos",
        "endswith",
        "exp",
        "floor",
        "get",
        "get_or_default",
        "indexof",
        "isnull",
        "isundefined",
        "length",
        "ln",
        "lower",
        "lpad",
        "ltrim",
        "mod",
        "nanvl",
        "newuuid",
        "numbytes",
        "power",
        "replace",
        "round",
        "rpad",
        "sign",
        "sqrt",
        "startswith",
        "substring",
        "timestamp",
        "topic",
        "trim",
        "trunc",
        "upper",
        "nosuch",
        "md5",
    ];

    fn expr_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            prop::sample::select(vec![
                "a",
                "a.b",
                "c[0]",
                "c[1].d",
                "missing",
                "s",
                "n",
                "9223372036854775807",
                "18446744073709551616",
                "0",
                "1.5",
                "1e308",
                "2.411E247",
                "true",
                "null",
                "'12'",
                "'-1.5e3'",
                "'true'",
                "''",
                "'é€'",
            ])
            .prop_map(str::to_owned),
            any::<i64>().prop_map(|i| i.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| format!("{f:e}").replace("e", "E")),
            "[a-z0-9 .]{0,5}".prop_map(|s| format!("'{s}'")),
        ];
        let ops = prop::sample::select(vec![
            "+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "IN",
        ]);
        let types = prop::sample::select(vec!["Int", "Decimal", "String", "Boolean", "Double"]);
        leaf.prop_recursive(4, 48, 4, move |inner| {
            prop_oneof![
                (inner.clone(), ops.clone(), inner.clone())
                    .prop_map(|(l, o, r)| format!("({l} {o} {r})")),
                inner.clone().prop_map(|e| format!("-({e})")),
                inner.clone().prop_map(|e| format!("NOT ({e})")),
                (
                    prop::sample::select(FUNCTION_NAMES.to_vec()),
                    prop::collection::vec(inner.clone(), 0..4)
                )
                    .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
                (inner.clone(), types.clone()).prop_map(|(e, t)| format!("CAST({e} AS {t})")),
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{'k': {a}, 'j': {b}}}")),
                (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(a, b, c)| format!("CASE {a} WHEN {b} THEN {c} ELSE {a} END")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("CASE WHEN {a} THEN {b} END")),
            ]
        })
    }

    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<u64>().prop_map(Json::from),
            any::<f64>().prop_map(Json::from),
            "[a-z0-9.]{0,4}".prop_map(Json::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::vec(
                    (
                        prop::sample::select(vec!["a", "b", "c", "d", "s", "n"]),
                        inner
                    ),
                    0..5
                )
                .prop_map(|kv| Json::Object(
                    kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn evaluation_never_panics(
            select in expr_text(),
            cond in expr_text(),
            payload in json_value(),
            topic in "[a-z$]{0,3}(/[a-z0-9]{0,3}){0,4}",
            now_ms in any::<i64>(),
        ) {
            let input = Input { topic: &topic, payload: &payload, client_id: None, now_ms };
            if let Ok(e) = parse_expr(&select) {
                let _ = evaluate_expr(&e, &input);
            }
            let sql = format!("SELECT *, {select} AS x, {select} FROM 't' WHERE {cond}");
            if let Ok(stmt) = parse(&sql)
                && let Ok(Outcome::Fired(m)) = evaluate(&stmt, &input)
            {
                prop_assert!(serde_json::to_string(&m).is_ok());
            }
            let sql = format!("SELECT VALUE {select} FROM 't'");
            if let Ok(stmt) = parse(&sql) {
                let _ = evaluate(&stmt, &input);
            }
        }

        #[test]
        fn run_owned_equals_run(payload in json_value()) {
            for sql in [
                "SELECT * FROM 'a/#'",
                "SELECT *, concat(clientId, '#', timestamp) AS k, 5 AS clientId FROM 'a/#' WHERE isUndefined(nope)",
                "SELECT a, * FROM 'a/#'",
                "SELECT * AS whole, b FROM 'a/#' WHERE a <> 1",
            ] {
                let program = Program::compile(&parse(sql).unwrap()).unwrap();
                let input = Input { topic: "a/b", payload: &payload, client_id: Some("c"), now_ms: 9 };
                prop_assert_eq!(program.run_owned("a/b", payload.clone(), Some("c"), 9), program.run(&input));
            }
        }

        #[test]
        fn json_round_trips_through_value(payload in json_value()) {
            // Only non-finite floats could fail; serde_json never makes them.
            let back = Value::from_json(&payload).into_json();
            prop_assert_eq!(back, Some(payload));
        }
    }
}
