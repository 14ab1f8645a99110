//! Compilation: a parsed [`Statement`] (or a standalone [`Expr`]) becomes a [`Program`] (or a
//! [`CompiledExpr`]): a tree of nodes in which function names are resolved through the catalog
//! ([`crate::sql::functions`]), cast types, number literals and output keys are decided, and every error that
//! does not depend on the data (unknown functions, wrong arity, unknown types, trees too deep) is found before
//! any message is looked at.

use serde_json::Number;

use super::EvalError;
use super::value::{Decimal, Value, decimal};
use crate::sql::ast::{
    BinaryOp, Call, Expr, ExprKind, Ident, PathSegment, SelectClause, SelectItem, Span, Statement,
    UnaryOp,
};
use crate::sql::functions::{self, Builtin, Local};
use crate::sql::parse::MAX_TREE_DEPTH;

/// A statement ready to run on many messages.
#[derive(Debug, Clone)]
pub struct Program {
    pub(super) select: Select,
    pub(super) where_: Option<Node>,
}

/// A standalone expression ready to run on many messages.
#[derive(Debug, Clone)]
pub struct CompiledExpr {
    pub(super) node: Node,
}

#[derive(Debug, Clone)]
pub(super) enum Select {
    Items(Vec<Item>),
    Value(Node),
}

#[derive(Debug, Clone)]
pub(super) enum Item {
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
pub(super) enum Node {
    Path(Vec<Segment>),
    Access(Box<Node>, Vec<Segment>),
    Literal(Value),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    Negate(Box<Node>),
    Not(Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    Call(Builtin, Vec<Node>),
    Cast(CastType, Box<Node>),
    Case {
        operand: Option<Box<Node>>,
        branches: Vec<(Node, Node)>,
        otherwise: Option<Box<Node>>,
    },
}

#[derive(Debug, Clone)]
pub(super) enum Segment {
    Field(String),
    Index(Node),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CastType {
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
}

impl CompiledExpr {
    pub fn compile(expr: &Expr) -> Result<CompiledExpr, EvalError> {
        Ok(CompiledExpr {
            node: compile_checked(expr)?,
        })
    }
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
        ExprKind::String(s) => Node::Literal(Value::String(s.clone())),
        ExprKind::Number(text) => Node::Literal(number_literal(text)),
        ExprKind::Bool(b) => Node::Literal(Value::Bool(*b)),
        ExprKind::Null => Node::Literal(Value::Null),
        ExprKind::Array(items) => Node::Array(items.iter().map(compile).collect::<Result<_, _>>()?),
        ExprKind::Object(entries) => Node::Object(
            entries
                .iter()
                .map(|en| Ok((en.key.clone(), compile(&en.value)?)))
                .collect::<Result<_, EvalError>>()?,
        ),
        ExprKind::Unary { op, expr } => match op {
            UnaryOp::Neg => Node::Negate(boxed(expr)?),
            UnaryOp::Not => Node::Not(boxed(expr)?),
        },
        ExprKind::Binary { op, lhs, rhs } => Node::Binary(*op, boxed(lhs)?, boxed(rhs)?),
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

fn compile_segments(segments: &[PathSegment]) -> Result<Vec<Segment>, EvalError> {
    segments
        .iter()
        .map(|s| {
            Ok(match s {
                PathSegment::Field(ident) => Segment::Field(ident.name.clone()),
                PathSegment::Index(e) => Segment::Index(compile(e)?),
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
    text.parse::<f64>().map_or(Value::Undefined, decimal)
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
            super::builtins::check_arguments(builtin, &call.args, span).map_err(|refusal| {
                EvalError::UnsupportedArguments {
                    name: name.clone(),
                    reason: refusal.reason,
                    span: refusal.span,
                }
            })?;
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
fn cast_type(ty: &Ident) -> Result<CastType, EvalError> {
    const NAMES: &[(&str, CastType)] = &[
        ("string", CastType::String),
        ("nvarchar", CastType::String),
        ("text", CastType::String),
        ("ntext", CastType::String),
        ("varchar", CastType::String),
        ("int", CastType::Int),
        ("integer", CastType::Int),
        ("double", CastType::Decimal),
        ("decimal", CastType::Decimal),
        ("bool", CastType::Bool),
        ("boolean", CastType::Bool),
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
