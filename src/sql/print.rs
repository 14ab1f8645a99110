//! Canonical pretty-printer for AWS IoT SQL trees, via `Display`.
//!
//! Output uses uppercase keywords (but `cast`, which the AWS IoT SQL reference lists among the functions and writes
//! in lower case), single-quoted strings, numbers exactly as written and only the parentheses that precedence
//! requires, so that parsing the output gives back the same tree (spans aside) and printing is idempotent.
//!
//! Where a child needs parentheses is decided by one function per position (`wraps_*`), read both by `Display`
//! and by [`Leading`], which classifies the first tokens the text will have, from the tree, for the one rule
//! that tells `SELECT VALUE expr` from a field named `value` ([`super::value_keyword`]).

use std::fmt::{self, Display, Formatter};

use super::ast::{
    BinaryOp, Expr, ExprKind, Ident, PREC_ATOM, PathSegment, SelectClause, SelectItem, Statement,
    UnaryOp,
};
use super::keywords::Keyword;
use super::value_keyword::{TokenClass, opens_with_value_keyword};

/// Renders `s` as a single-quoted IoT SQL string literal.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Renders path segments as `a.b[0].c`.
pub(crate) fn path_to_string(segments: &[PathSegment]) -> String {
    struct Path<'a>(&'a [PathSegment]);
    impl Display for Path<'_> {
        fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
            write_segments(f, self.0, true)
        }
    }
    Path(segments).to_string()
}

fn write_segments(f: &mut Formatter<'_>, segments: &[PathSegment], first: bool) -> fmt::Result {
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            PathSegment::Field(ident) if first && i == 0 => f.write_str(&ident.name)?,
            PathSegment::Field(ident) => write!(f, ".{}", ident.name)?,
            PathSegment::Index(e) => write!(f, "[{e}]")?,
        }
    }
    Ok(())
}

/// Whether the base of an access prints in parentheses. A number before a field needs them too: `1.x` would lex
/// as a bad number (`1[0]` reads back as it is, and wrapping it would make the printed text nest deeper than
/// what was read).
fn wraps_access_base(base: &Expr, segments: &[PathSegment]) -> bool {
    let field_first = matches!(segments.first(), Some(PathSegment::Field(_)));
    base.precedence() < PREC_ATOM || (field_first && matches!(base.kind, ExprKind::Number(_)))
}

/// Whether the operand of a prefix operator prints in parentheses.
fn wraps_operand(op: UnaryOp, operand: &Expr) -> bool {
    operand.precedence() < op.precedence()
}

/// Whether the left side of a binary operator prints in parentheses.
fn wraps_lhs(op: BinaryOp, lhs: &Expr) -> bool {
    lhs.precedence() < op.precedence()
}

/// Whether the right side of a binary operator prints in parentheses: at equal precedence too, because every
/// operator is left-associative.
fn wraps_rhs(op: BinaryOp, rhs: &Expr) -> bool {
    rhs.precedence() <= op.precedence()
}

/// Whether what a nested SELECT reads prints in parentheses.
fn wraps_from(from: &Expr) -> bool {
    from.precedence() < PREC_ATOM
}

/// Whether the first item of a select list prints in parentheses: a first item like `value - 1` would read
/// back as `SELECT VALUE -1`.
fn wraps_first_item(item: &SelectItem) -> bool {
    match item {
        SelectItem::Wildcard { .. } => false,
        SelectItem::Expr { expr, alias, .. } => {
            let [first, second, third] = Leading::of(|l| {
                l.expr(expr);
                if let Some(alias) = alias {
                    l.keyword(Keyword::As);
                    l.alias(alias);
                }
            });
            opens_with_value_keyword(first, second, third)
        }
    }
}

/// Whether the expression of `SELECT VALUE` prints in parentheses: `SELECT VALUE [a]` would read back as
/// indexing a field named `value`.
fn wraps_value(expr: &Expr) -> bool {
    let [second, third, _] = Leading::of(|l| l.expr(expr));
    !opens_with_value_keyword(TokenClass::Word(Some(Keyword::Value)), second, third)
}

/// The classes of the first three tokens of a printed text, computed from the tree, with the printer's own
/// choices of parentheses: what the lexer would make of the text, without printing and lexing it. A class
/// past the end of the text is [`TokenClass::End`].
struct Leading {
    classes: Vec<TokenClass>,
}

impl Leading {
    const WANT: usize = 3;

    fn of(write: impl FnOnce(&mut Leading)) -> [TokenClass; Leading::WANT] {
        let mut l = Leading {
            classes: Vec::with_capacity(Leading::WANT),
        };
        write(&mut l);
        let mut out = [TokenClass::End; Leading::WANT];
        for (slot, class) in out.iter_mut().zip(l.classes) {
            *slot = class;
        }
        out
    }

    fn full(&self) -> bool {
        self.classes.len() >= Leading::WANT
    }

    fn push(&mut self, class: TokenClass) {
        if !self.full() {
            self.classes.push(class);
        }
    }

    fn keyword(&mut self, keyword: Keyword) {
        self.push(TokenClass::Word(Some(keyword)));
    }

    /// A name: one word, or dotted words for a dotted alias.
    fn alias(&mut self, alias: &Ident) {
        for (i, part) in alias.name.split('.').enumerate() {
            if i > 0 {
                self.push(TokenClass::Dot);
            }
            self.push(TokenClass::word(part));
        }
    }

    fn wrapped(&mut self, e: &Expr, wrap: bool) {
        if wrap {
            self.push(TokenClass::LParen);
            self.expr(e);
            self.push(TokenClass::Other);
        } else {
            self.expr(e);
        }
    }

    fn list<'e>(&mut self, items: impl IntoIterator<Item = &'e Expr>) {
        for (i, item) in items.into_iter().enumerate() {
            if self.full() {
                return;
            }
            if i > 0 {
                self.push(TokenClass::Other);
            }
            self.expr(item);
        }
    }

    fn segments(&mut self, segments: &[PathSegment], first: bool) {
        for (i, seg) in segments.iter().enumerate() {
            if self.full() {
                return;
            }
            match seg {
                PathSegment::Field(ident) if first && i == 0 => {
                    self.push(TokenClass::word(&ident.name))
                }
                PathSegment::Field(ident) => {
                    self.push(TokenClass::Dot);
                    self.push(TokenClass::word(&ident.name));
                }
                PathSegment::Index(e) => {
                    self.push(TokenClass::LBracket);
                    self.expr(e);
                    self.push(TokenClass::Other);
                }
            }
        }
    }

    /// Mirrors `Display for Expr`, token by token.
    fn expr(&mut self, e: &Expr) {
        if self.full() {
            return;
        }
        match &e.kind {
            ExprKind::Path(segments) => self.segments(segments, true),
            ExprKind::Access { base, segments } => {
                self.wrapped(base, wraps_access_base(base, segments));
                self.segments(segments, false);
            }
            ExprKind::String(_) | ExprKind::Number(_) | ExprKind::Variable(_) => {
                self.push(TokenClass::Literal);
            }
            ExprKind::Bool(true) => self.keyword(Keyword::True),
            ExprKind::Bool(false) => self.keyword(Keyword::False),
            ExprKind::Null => self.keyword(Keyword::Null),
            ExprKind::Array(items) => {
                self.push(TokenClass::LBracket);
                self.list(items);
                self.push(TokenClass::Other);
            }
            ExprKind::Object(entries) => {
                self.push(TokenClass::LBrace);
                for (i, entry) in entries.iter().enumerate() {
                    if self.full() {
                        return;
                    }
                    if i > 0 {
                        self.push(TokenClass::Other);
                    }
                    self.push(TokenClass::Literal);
                    self.push(TokenClass::Other);
                    self.expr(&entry.value);
                }
                self.push(TokenClass::Other);
            }
            ExprKind::Unary { op, expr } => {
                self.push(match op {
                    UnaryOp::Neg => TokenClass::Minus,
                    UnaryOp::Not => TokenClass::Word(Some(Keyword::Not)),
                });
                self.wrapped(expr, wraps_operand(*op, expr));
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.wrapped(lhs, wraps_lhs(*op, lhs));
                self.push(match op {
                    BinaryOp::And => TokenClass::Word(Some(Keyword::And)),
                    BinaryOp::Or => TokenClass::Word(Some(Keyword::Or)),
                    BinaryOp::In => TokenClass::Word(Some(Keyword::In)),
                    BinaryOp::Sub => TokenClass::Minus,
                    BinaryOp::Mul => TokenClass::Star,
                    BinaryOp::Eq
                    | BinaryOp::NotEq
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge
                    | BinaryOp::Add
                    | BinaryOp::Div
                    | BinaryOp::Mod => TokenClass::Other,
                });
                self.wrapped(rhs, wraps_rhs(*op, rhs));
            }
            ExprKind::Call(call) => {
                self.push(TokenClass::word(&call.name.name));
                self.push(TokenClass::LParen);
                self.list(&call.args);
                self.push(TokenClass::Other);
            }
            ExprKind::Cast { expr, ty } => {
                self.keyword(Keyword::Cast);
                self.push(TokenClass::LParen);
                self.expr(expr);
                self.keyword(Keyword::As);
                self.push(TokenClass::word(&ty.name));
                self.push(TokenClass::Other);
            }
            ExprKind::Case {
                operand,
                branches,
                otherwise,
            } => {
                self.keyword(Keyword::Case);
                if let Some(operand) = operand {
                    self.expr(operand);
                }
                for b in branches {
                    if self.full() {
                        return;
                    }
                    self.keyword(Keyword::When);
                    self.expr(&b.when);
                    self.keyword(Keyword::Then);
                    self.expr(&b.then);
                }
                if let Some(otherwise) = otherwise {
                    self.keyword(Keyword::Else);
                    self.expr(otherwise);
                }
                self.keyword(Keyword::End);
            }
            ExprKind::Wildcard => self.push(TokenClass::Star),
            ExprKind::Subquery(sub) => {
                self.push(TokenClass::LParen);
                self.keyword(Keyword::Select);
                self.select(&sub.select);
                self.keyword(Keyword::From);
                self.wrapped(&sub.from, wraps_from(&sub.from));
                if let Some(w) = &sub.where_ {
                    self.keyword(Keyword::Where);
                    self.expr(w);
                }
                self.push(TokenClass::Other);
            }
        }
    }

    /// Mirrors `write_select`.
    fn select(&mut self, select: &SelectClause) {
        match select {
            SelectClause::Items(items) => {
                for (i, item) in items.iter().enumerate() {
                    if self.full() {
                        return;
                    }
                    if i > 0 {
                        self.push(TokenClass::Other);
                    }
                    match item {
                        SelectItem::Wildcard { .. } => self.push(TokenClass::Star),
                        SelectItem::Expr { expr, .. } => {
                            self.wrapped(expr, i == 0 && wraps_first_item(item));
                        }
                    }
                    if let Some(alias) = item.alias() {
                        self.keyword(Keyword::As);
                        self.alias(alias);
                    }
                }
            }
            SelectClause::Value(expr) => {
                self.keyword(Keyword::Value);
                self.wrapped(expr, wraps_value(expr));
            }
        }
    }
}

fn write_wrapped(f: &mut Formatter<'_>, e: &Expr, wrap: bool) -> fmt::Result {
    if wrap {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn write_list<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    mut each: impl FnMut(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Path(segments) => write_segments(f, segments, true),
            ExprKind::Access { base, segments } => {
                write_wrapped(f, base, wraps_access_base(base, segments))?;
                write_segments(f, segments, false)
            }
            ExprKind::String(s) => f.write_str(&quote(s)),
            ExprKind::Number(n) => f.write_str(n),
            ExprKind::Bool(true) => f.write_str("TRUE"),
            ExprKind::Bool(false) => f.write_str("FALSE"),
            ExprKind::Null => f.write_str("NULL"),
            ExprKind::Array(items) => {
                f.write_str("[")?;
                write_list(f, items, |f, e| write!(f, "{e}"))?;
                f.write_str("]")
            }
            ExprKind::Object(entries) => {
                f.write_str("{")?;
                write_list(f, entries, |f, entry| {
                    write!(f, "{}: {}", quote(&entry.key), entry.value)
                })?;
                f.write_str("}")
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                expr,
            } => {
                // `- -x`, never `--x`, which reads like a comment elsewhere.
                let space = matches!(
                    expr.kind,
                    ExprKind::Unary {
                        op: UnaryOp::Neg,
                        ..
                    }
                );
                f.write_str(if space { "- " } else { "-" })?;
                write_wrapped(f, expr, wraps_operand(UnaryOp::Neg, expr))
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                expr,
            } => {
                f.write_str("NOT ")?;
                write_wrapped(f, expr, wraps_operand(UnaryOp::Not, expr))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                write_wrapped(f, lhs, wraps_lhs(*op, lhs))?;
                write!(f, " {op} ")?;
                write_wrapped(f, rhs, wraps_rhs(*op, rhs))
            }
            ExprKind::Call(call) => {
                write!(f, "{}(", call.name.name)?;
                write_list(f, &call.args, |f, e| write!(f, "{e}"))?;
                f.write_str(")")
            }
            ExprKind::Cast { expr, ty } => write!(f, "cast({expr} AS {})", ty.name),
            ExprKind::Case {
                operand,
                branches,
                otherwise,
            } => {
                f.write_str("CASE")?;
                if let Some(operand) = operand {
                    write!(f, " {operand}")?;
                }
                for b in branches {
                    write!(f, " WHEN {} THEN {}", b.when, b.then)?;
                }
                if let Some(otherwise) = otherwise {
                    write!(f, " ELSE {otherwise}")?;
                }
                f.write_str(" END")
            }
            ExprKind::Variable(name) => write!(f, "@{}", name.name),
            ExprKind::Wildcard => f.write_str("*"),
            ExprKind::Subquery(sub) => {
                f.write_str("(SELECT ")?;
                write_select(f, &sub.select)?;
                f.write_str(" FROM ")?;
                write_wrapped(f, &sub.from, wraps_from(&sub.from))?;
                if let Some(w) = &sub.where_ {
                    write!(f, " WHERE {w}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Wildcard { .. } => f.write_str("*")?,
            SelectItem::Expr { expr, .. } => write!(f, "{expr}")?,
        }
        match self.alias() {
            Some(alias) => write!(f, " AS {alias}"),
            None => Ok(()),
        }
    }
}

/// `VALUE expr` or the select list, as it follows `SELECT `.
fn write_select(f: &mut Formatter<'_>, select: &SelectClause) -> fmt::Result {
    match select {
        SelectClause::Items(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                match item {
                    SelectItem::Expr { expr, alias, .. } if i == 0 && wraps_first_item(item) => {
                        write!(f, "({expr})")?;
                        if let Some(alias) = alias {
                            write!(f, " AS {alias}")?;
                        }
                    }
                    _ => write!(f, "{item}")?,
                }
            }
            Ok(())
        }
        SelectClause::Value(expr) => {
            f.write_str("VALUE ")?;
            write_wrapped(f, expr, wraps_value(expr))
        }
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, a) in self.set.iter().enumerate() {
            f.write_str(if i == 0 { "SET " } else { ", " })?;
            write!(f, "@{} = {}", a.name.name, a.value)?;
        }
        if !self.set.is_empty() {
            f.write_str(" ")?;
        }
        f.write_str("SELECT ")?;
        write_select(f, &self.select)?;
        if let Some(from) = &self.from {
            write!(f, " FROM {}", quote(&from.filter))?;
        }
        if let Some(w) = &self.where_ {
            write!(f, " WHERE {w}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::generate::{any_expr, any_statement, standalone_expr};
    use crate::sql::lex::tokenize;
    use crate::sql::{parse, parse_expr};
    use proptest::prelude::*;

    /// The classes of the first three tokens the lexer makes of `text`.
    fn lexed(text: &str) -> [TokenClass; Leading::WANT] {
        let mut out = [TokenClass::End; Leading::WANT];
        for (slot, token) in out.iter_mut().zip(tokenize(text)) {
            *slot = TokenClass::of(&token.kind);
        }
        out
    }

    /// A select clause as it prints after `SELECT `.
    struct Select<'a>(&'a SelectClause);

    impl Display for Select<'_> {
        fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
            write_select(f, self.0)
        }
    }

    fn canon(sql: &str) -> String {
        match parse(sql) {
            Ok(stmt) => stmt.to_string(),
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    fn canon_expr(src: &str) -> String {
        match parse_expr(src) {
            Ok(e) => e.to_string(),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    #[test]
    fn canonical_statements() {
        assert_eq!(
            canon(
                "select * as event, timestamp, topic(4) as eventType from '$aws/events/presence/+/+' \
                 where topic(4) = 'connected' or topic(4) = 'disconnected'"
            ),
            "SELECT * AS event, timestamp, topic(4) AS eventType FROM '$aws/events/presence/+/+' \
             WHERE topic(4) = 'connected' OR topic(4) = 'disconnected'"
        );
        assert_eq!(
            canon("select value state.reported from \"x/#\""),
            "SELECT VALUE state.reported FROM 'x/#'"
        );
        assert_eq!(
            canon("SELECT *, (timestamp / 1000) + 2592000 AS expiresAt FROM 'a'"),
            "SELECT *, timestamp / 1000 + 2592000 AS expiresAt FROM 'a'"
        );
        assert_eq!(
            canon("SELECT CAST(v AS String) AS v FROM 'a'"),
            "SELECT cast(v AS String) AS v FROM 'a'"
        );
    }

    #[test]
    fn minimal_parentheses() {
        for (src, want) in [
            ("(a OR b) AND c", "(a OR b) AND c"),
            ("a OR (b AND c)", "a OR b AND c"),
            ("(a - b) - c", "a - b - c"),
            ("a - (b - c)", "a - (b - c)"),
            ("a / (b * c)", "a / (b * c)"),
            ("(1 + 2) * 3", "(1 + 2) * 3"),
            ("NOT (a = b)", "NOT a = b"),
            ("(NOT a) = b", "(NOT a) = b"),
            ("NOT (a AND b)", "NOT (a AND b)"),
            ("not not a", "NOT NOT a"),
            ("-(a + b)", "-(a + b)"),
            ("- - a", "- -a"),
            ("-(-1)", "- -1"),
            ("a - -1", "a - -1"),
            ("(-a).b", "(-a).b"),
            ("(a).b", "a.b"),
            ("(1).x", "(1).x"),
            ("('s').x", "'s'.x"),
            ("get(x, 0).a[1]", "get(x, 0).a[1]"),
            ("a <> b", "a <> b"),
            ("a != b", "a <> b"),
            ("a = (NOT b)", "a = (NOT b)"),
        ] {
            assert_eq!(canon_expr(src), want, "{src}");
        }
    }

    #[test]
    fn literals_and_special_forms() {
        for (src, want) in [
            (r#""it's" = 'a\\b\n'"#, r"'it\'s' = 'a\\b\n'"),
            ("1.50e+3", "1.50e+3"),
            ("true AND False OR null", "TRUE AND FALSE OR NULL"),
            ("[ 1,2 ]", "[1, 2]"),
            ("{ 'a' : 1 , \"b\":[] }", "{'a': 1, 'b': []}"),
            ("{}", "{}"),
            (
                "case x when 1 then 'a' else 'b' end",
                "CASE x WHEN 1 THEN 'a' ELSE 'b' END",
            ),
            ("case when a then b end", "CASE WHEN a THEN b END"),
            ("x in [1]", "x IN [1]"),
            ("topic()", "topic()"),
        ] {
            assert_eq!(canon_expr(src), want, "{src}");
        }
    }

    #[test]
    fn value_field_stays_unambiguous() {
        for (sql, want) in [
            ("SELECT value FROM 'a'", "SELECT value FROM 'a'"),
            ("SELECT (value - 1) FROM 'a'", "SELECT (value - 1) FROM 'a'"),
            (
                "SELECT (value(1)) AS v FROM 'a'",
                "SELECT (value(1)) AS v FROM 'a'",
            ),
            ("SELECT value + 1 FROM 'a'", "SELECT value + 1 FROM 'a'"),
            ("SELECT VALUE ([1]) FROM 'a'", "SELECT VALUE ([1]) FROM 'a'"),
            ("SELECT value[1] FROM 'a'", "SELECT value[1] FROM 'a'"),
            ("SELECT VALUE -1 FROM 'a'", "SELECT VALUE -1 FROM 'a'"),
        ] {
            assert_eq!(canon(sql), want, "{sql}");
            assert_eq!(canon(want), want, "{sql}");
        }
    }

    #[test]
    fn path_text() {
        let e = parse_expr("a.b[0].c").unwrap();
        let ExprKind::Path(segments) = &e.kind else {
            panic!("expected a path");
        };
        assert_eq!(path_to_string(segments), "a.b[0].c");
    }

    /// The parentheses the printer adds (`a - NOT b` becomes `a - (NOT b)`)
    /// must not take what it prints past the parser's nesting limit when
    /// the text it read was within it (found by the `sql` fuzz target).
    #[test]
    fn printing_does_not_nest_deeper_than_the_source() {
        use crate::sql::MAX_NESTING;
        let n = MAX_NESTING - 1;
        for src in [
            format!("SELECT a{} FROM 't'", " - NOT a".repeat(n)),
            format!("SELECT a{} FROM 't'", " = -NOT a".repeat(n / 2)),
            format!("SELECT {}0{} FROM 't'", "1[".repeat(n), "]".repeat(n)),
        ] {
            let printed = canon(&src);
            assert_eq!(canon(&printed), printed, "{src}");
        }
        let crash = include_str!("../../tests/regressions/sql-1.sql");
        let printed = canon(crash);
        assert_eq!(canon(&printed), printed);
    }

    #[test]
    fn leading_classes() {
        use TokenClass::*;
        for (src, want) in [
            ("value - 1", [Word(Some(Keyword::Value)), Minus, Literal]),
            ("value * [1]", [Word(Some(Keyword::Value)), Star, LBracket]),
            ("(a + b) * c", [LParen, Word(None), Other]),
            (
                "NOT cast(x AS String)",
                [Word(Some(Keyword::Not)), Word(Some(Keyword::Cast)), LParen],
            ),
            ("x", [Word(None), End, End]),
        ] {
            let e = parse_expr(src).unwrap();
            assert_eq!(Leading::of(|l| l.expr(&e)), want, "{src}");
            assert_eq!(lexed(&e.to_string()), want, "{src}");
        }
    }

    proptest! {
        /// What the printer decides from the tree is what the lexer would read in its text: the parentheses
        /// that keep `value` a field, or `VALUE` the keyword, are those that re-reading the output would put.
        #[test]
        fn leading_classes_are_what_the_lexer_reads(e in any_expr(), s in any_statement()) {
            prop_assert_eq!(Leading::of(|l| l.expr(&e)), lexed(&e.to_string()), "{}", e);
            let select = Select(&s.select).to_string();
            prop_assert_eq!(Leading::of(|l| l.select(&s.select)), lexed(&select), "{}", select);
            if let SelectClause::Items(items) = &s.select {
                let item = items[0].to_string();
                let [first, second, third] = lexed(&item);
                prop_assert_eq!(wraps_first_item(&items[0]), opens_with_value_keyword(first, second, third), "{}", item);
            }
        }

        #[test]
        fn expr_print_then_parse_is_identity(e in standalone_expr()) {
            let printed = e.to_string();
            let reparsed = parse_expr(&printed)
                .map_err(|err| TestCaseError::fail(format!("{printed}: {err}")))?;
            prop_assert_eq!(reparsed.without_spans(), e, "{}", printed);
            prop_assert_eq!(reparsed.to_string(), printed);
        }

        #[test]
        fn statement_print_then_parse_is_identity(s in any_statement()) {
            let printed = s.to_string();
            let reparsed = parse(&printed)
                .map_err(|err| TestCaseError::fail(format!("{printed}: {err}")))?;
            prop_assert_eq!(reparsed.without_spans(), s, "{}", printed);
            prop_assert_eq!(reparsed.to_string(), printed);
        }

        /// parse(print(parse(s))) == parse(s) for whatever parses, including
        /// trees the generator does not produce (redundant parentheses,
        /// `!=`, double quotes, odd spacing).
        #[test]
        fn reprinting_parsed_text_is_stable(
            parts in prop::collection::vec(prop::sample::select(vec!["a", "value", "f(", ")", "(", ",", "-", "NOT ", " AND ", " OR ", " = ", " != ", "+", "*", ".b", "[0]", "1.5", "\"q\\\"\"", "'s'", "[", "]", " IN ", "(SELECT ", " FROM ", " WHERE ", "@v", " AS ", "VALUE "]), 1..14),
        ) {
            let body = parts.concat();
            for src in [
                format!("SELECT {body} FROM 't'"),
                format!("SELECT * FROM 't' WHERE {body}"),
                format!("SET @v = 1 SELECT {body}"),
            ] {
                if let Ok(first) = parse(&src) {
                    let printed = first.to_string();
                    let second = parse(&printed)
                        .map_err(|err| TestCaseError::fail(format!("{printed}: {err}")))?;
                    prop_assert_eq!(second.without_spans(), first.without_spans());
                    prop_assert_eq!(second.to_string(), printed);
                }
            }
        }
    }
}
