//! AWS IoT SQL: parser, pretty-printer and topic-filter helpers for the rule
//! statements the presence pipeline deploys.
//!
//! Everything here is pure. [`parse`] turns a statement into a
//! [`Statement`] whose nodes carry byte [`Span`]s for diagnostics;
//! `Display` prints any tree back as canonical SQL that parses to the same
//! tree. Topic filters are kept verbatim by the parser and checked
//! separately with [`topic_filter_problems`].
//!
//! Supported: `SELECT items | VALUE expr FROM 'filter' [WHERE expr]`; `*`,
//! aliases; field paths with `.field` and `[index]`; string (single or
//! double quoted), number, boolean, `NULL`, array and object literals;
//! `OR AND NOT = <> != < <= > >= IN + - * / %` and unary minus; function
//! calls; `CAST(x AS Type)`; both `CASE` forms. Not supported: nested
//! `SELECT` subqueries, SQL-style `IN (a, b)` lists, comments, backquoted
//! identifiers.

pub mod ast;
pub mod build;
pub mod eval;
pub mod functions;
mod lex;
mod parse;
mod print;
pub mod topic;

pub use ast::{
    BinaryOp, Call, Expr, ExprKind, FieldPath, Ident, ObjectEntry, PathSegment, SelectClause,
    SelectItem, Span, Statement, TopicFrom, UnaryOp, WhenThen, line_col,
};
pub use eval::{
    CompiledExpr, EvalError, Input, Outcome, Program, Value as SqlValue, evaluate, evaluate_expr,
};
pub use parse::{MAX_NESTING, MAX_TREE_DEPTH, SqlError, is_reserved_word, parse, parse_expr};
pub use topic::{
    MAX_FILTER_BYTES, MAX_SLASHES, TopicFilterProblem, topic_filter_levels, topic_filter_problems,
    topic_matches,
};
