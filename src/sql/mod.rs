//! AWS IoT SQL: everything the tool knows of the rule language, pure (no I/O).
//!
//! - [`lex`](self) and [`parse`]: a statement (or a lone expression) into a [`Statement`] whose nodes carry byte
//!   [`Span`]s for diagnostics; nesting and tree depth are capped so hostile input cannot overflow the stack.
//!   `keywords`: the one table of keywords ([`is_reserved_word`] reads it); the lexer tags each word with its
//!   keyword once, and the parser compares tags.
//! - `print`: `Display` for every tree, canonical SQL that parses back to the same tree (printing is
//!   idempotent). `value_keyword`: the one rule for telling `SELECT VALUE expr` from a field named `value`,
//!   which the parser applies to its tokens and the printer to the tree, to place its parentheses.
//! - `logic`: the AND/OR structure of a condition ([`Logic`], [`Expr::conjuncts`] ...), for the checks.
//! - [`build`]: the tree builder the generated rule is made with (never assembled from strings).
//! - [`topic`]: topic filters, their checks ([`topic_filter_problems`]) and matching ([`topic_matches`]).
//! - [`functions`]: the one catalog of functions (name, arity, argument and result types, whether a local run
//!   computes it), read by the parser's arity check, the type checks and the evaluator.
//! - [`eval`]: the evaluator `simulate` runs (`compile` once, `run` per event), with the built-in functions in
//!   `eval/builtins/`.
//!
//! The grammar is the AWS IoT SQL reference's for SQL version 2016-03-23 (which 2015-10-08 and `beta` differ
//! from only in what they evaluate): `[SET @v = expr, ...] SELECT items | VALUE expr [FROM 'filter'] [WHERE
//! expr]`, FROM being optional because LoRaWAN and Sidewalk destinations run rules without one; `*`, `* AS name`
//! and aliases, dotted ones included (`AS a.b` nests the value); field paths with `.field` and `[index]`, on a
//! field, on a computed value, on a variable (`@v.x`) or on the whole message (`*.messages`); `*` as a
//! function's argument (`encode(*, 'base64')`, in a WHERE too); nested `(SELECT ... FROM path [WHERE ...])`
//! queries, also as a bare function argument (`isNull(SELECT VALUE x FROM a)`) and `FROM *`; substitution
//! templates `${expr}` in the SELECT clause; string (single or double quoted), number, boolean, `NULL`, array and
//! object literals; `OR AND NOT = <> != < <= > >= IN + - * / %` and unary minus; function calls;
//! `CAST(x AS Type)`; both `CASE` forms.
//!
//! What the reference rules out is refused with the rule in the message: a second SET, a variable set twice,
//! used before it is set or named past 64 characters, `*` as a value in a WHERE (`WHERE *.x = 1`), an unquoted
//! FROM topic. Not part of IoT SQL (the reference has none of them): comments, quoted or backquoted identifiers
//! (the reference sends names with a hyphen or a leading digit through `get(x, 'my-key')`), SQL-style
//! `IN (a, b)` lists.

pub mod ast;
pub mod build;
pub mod eval;
pub mod functions;
#[cfg(test)]
pub(crate) mod generate;
mod keywords;
mod lex;
mod logic;
mod parse;
mod print;
pub mod topic;
mod value_keyword;

pub use ast::{
    BinaryOp, Call, Expr, ExprKind, FieldPath, Ident, ObjectEntry, PathSegment, SelectClause,
    SelectItem, Span, Statement, TopicFrom, UnaryOp, WhenThen, line_col,
};
pub use eval::{
    CompiledExpr, EvalError, Input, Outcome, Program, Value as SqlValue, evaluate, evaluate_expr,
};
pub use keywords::is_reserved_word;
pub use logic::Logic;
pub use parse::{MAX_NESTING, MAX_TREE_DEPTH, SqlError, parse, parse_expr};
pub use topic::{
    MAX_FILTER_BYTES, MAX_SLASHES, TopicFilterProblem, topic_filter_levels, topic_filter_problems,
    topic_matches,
};
