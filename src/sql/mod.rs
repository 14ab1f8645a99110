//! AWS IoT SQL: parser, pretty-printer and topic-filter helpers for the rule
//! statements the presence pipeline deploys.
//!
//! Everything here is pure. [`parse`] turns a statement into a
//! [`Statement`] whose nodes carry byte [`Span`]s for diagnostics;
//! `Display` prints any tree back as canonical SQL that parses to the same
//! tree. Topic filters are kept verbatim by the parser and checked
//! separately with [`topic_filter_problems`].
//!
//! The grammar is the AWS IoT SQL reference's for SQL version 2016-03-23
//! (which 2015-10-08 and `beta` differ from only in what they evaluate):
//! `[SET @v = expr, ...] SELECT items | VALUE expr [FROM 'filter'] [WHERE
//! expr]`, FROM being optional because LoRaWAN and Sidewalk destinations run
//! rules without one; `*`, `* AS name` and aliases, dotted ones included
//! (`AS a.b` nests the value); field paths with `.field` and `[index]`, on
//! a field, on a computed value, on a variable (`@v.x`) or on the whole
//! message (`*.messages`); `*` as a function's argument (`encode(*,
//! 'base64')`); nested `(SELECT ... FROM path [WHERE ...])` queries; string
//! (single or double quoted), number, boolean, `NULL`, array and object
//! literals; `OR AND NOT = <> != < <= > >= IN + - * / %` and unary minus;
//! function calls; `CAST(x AS Type)`; both `CASE` forms.
//!
//! What the reference rules out is refused with the rule in the message: a
//! second SET, a variable set twice, used before it is set or named past 64
//! characters, `*` in a WHERE, an unquoted FROM topic. Not part of IoT SQL
//! (the reference has none of them): comments, quoted or backquoted
//! identifiers (the reference sends names with a hyphen or a leading digit
//! through `get(x, 'my-key')`), SQL-style `IN (a, b)` lists.

pub mod ast;
pub mod build;
pub mod eval;
pub mod functions;
#[cfg(test)]
pub(crate) mod generate;
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
