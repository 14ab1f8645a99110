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
    /// The SET clause's values, in order: variable `i` is `set[i]`.
    pub(super) set: Vec<Node>,
    pub(super) select: Select,
    pub(super) where_: Option<Node>,
}

/// A nested `SELECT ... FROM from [WHERE ...]`, run once per element of what `from` gives.
#[derive(Debug, Clone)]
pub(super) struct SubProgram {
    pub(super) select: Select,
    pub(super) from: Node,
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
    /// `* AS key` (`* AS a.b`: the path of nested keys).
    Nest(Vec<String>),
    Expr {
        /// Where the value goes: one key, or the nested keys of a dotted alias.
        path: Vec<String>,
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
    /// The SET clause's variable of that index.
    Variable(usize),
    /// `*`: the message (in a nested SELECT, the element being read).
    Message,
    Subquery(Box<SubProgram>),
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
        let mut vars: Vec<&str> = Vec::new();
        let mut set = Vec::new();
        for a in &stmt.set {
            // A value sees the variables set before it, not itself.
            set.push(compile_checked(&a.value, &vars)?);
            vars.push(&a.name.name);
        }
        let select = compile_select(&stmt.select, &vars)?;
        let where_ = stmt
            .where_
            .as_ref()
            .map(|w| compile_checked(w, &vars))
            .transpose()?;
        Ok(Program {
            set,
            select,
            where_,
        })
    }
}

impl CompiledExpr {
    pub fn compile(expr: &Expr) -> Result<CompiledExpr, EvalError> {
        Ok(CompiledExpr {
            node: compile_checked(expr, &[])?,
        })
    }
}

/// The variables in scope, by index.
type Vars<'v> = [&'v str];

fn compile_select(select: &SelectClause, vars: &Vars<'_>) -> Result<Select, EvalError> {
    Ok(match select {
        SelectClause::Value(e) => Select::Value(compile_checked(e, vars)?),
        SelectClause::Items(items) => Select::Items(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| compile_item(i, item, vars))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn compile_item(index: usize, item: &SelectItem, vars: &Vars<'_>) -> Result<Item, EvalError> {
    let path = |a: &Ident| a.name.split('.').map(str::to_owned).collect();
    Ok(match item {
        SelectItem::Wildcard { alias: None, .. } => Item::Merge,
        SelectItem::Wildcard { alias: Some(a), .. } => Item::Nest(path(a)),
        SelectItem::Expr { expr, alias, .. } => Item::Expr {
            path: match (alias, item.output_name()) {
                (Some(a), _) => path(a),
                (None, Some(name)) => vec![name.to_owned()],
                (None, None) => vec![format!("_{}", index + 1)],
            },
            node: compile_checked(expr, vars)?,
        },
    })
}

/// Rejects trees deeper than the parser produces, so that compiling and
/// evaluating (both recursive) stay within a small stack even for trees
/// built by hand; the walk itself uses an explicit stack.
fn compile_checked(expr: &Expr, vars: &Vars<'_>) -> Result<Node, EvalError> {
    let mut stack = vec![(expr, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_TREE_DEPTH + 1 {
            return Err(EvalError::TooDeep { span: e.span });
        }
        stack.extend(e.children().into_iter().map(|c| (c, depth + 1)));
    }
    compile(expr, vars)
}

fn compile(e: &Expr, vars: &Vars<'_>) -> Result<Node, EvalError> {
    let compile = |e: &Expr| compile(e, vars);
    let compile_segments = |s: &[PathSegment]| compile_segments(s, vars);
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
        ExprKind::Variable(name) => match vars.iter().position(|v| *v == name.name) {
            Some(i) => Node::Variable(i),
            None => {
                return Err(EvalError::UnknownVariable {
                    name: name.name.clone(),
                    span: name.span,
                });
            }
        },
        ExprKind::Wildcard => Node::Message,
        ExprKind::Subquery(sub) => Node::Subquery(Box::new(SubProgram {
            select: compile_select(&sub.select, vars)?,
            from: compile(&sub.from)?,
            where_: sub.where_.as_deref().map(compile).transpose()?,
        })),
    })
}

fn compile_segments(segments: &[PathSegment], vars: &Vars<'_>) -> Result<Vec<Segment>, EvalError> {
    segments
        .iter()
        .map(|s| {
            Ok(match s {
                PathSegment::Field(ident) => Segment::Field(ident.name.clone()),
                PathSegment::Index(e) => Segment::Index(compile(e, vars)?),
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
