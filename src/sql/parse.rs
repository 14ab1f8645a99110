//! Recursive-descent parser for AWS IoT SQL statements and standalone
//! expressions, with precedence climbing for binary operators.
//!
//! The parser never panics: nesting is capped at [`MAX_NESTING`] so hostile
//! input cannot overflow the stack, and the depth of the produced tree is
//! capped at [`MAX_TREE_DEPTH`] so that dropping, printing or walking it
//! stays shallow too (long `a + b + c + ...` chains build deep trees without
//! deep parser recursion).

use std::fmt;

use super::ast::{
    BinaryOp, Call, Expr, ExprKind, Ident, ObjectEntry, PREC_NEG, PREC_NOT, PathSegment,
    SelectClause, SelectItem, Span, Statement, TopicFrom, UnaryOp, WhenThen, line_col,
};
use super::lex::{Token, TokenKind, tokenize};

/// How deeply brackets, calls and prefix operators may nest.
pub const MAX_NESTING: usize = 64;
/// How deep a parsed expression tree may be.
pub const MAX_TREE_DEPTH: usize = 256;

/// Words that cannot name a field, alias, function or type. `VALUE` and
/// `CAST` are absent on purpose: they are keywords only right after
/// `SELECT` and before `(` respectively, and are common field names.
const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "IN", "TRUE", "FALSE", "NULL", "CASE",
    "WHEN", "THEN", "ELSE", "END",
];

/// Whether `word` is reserved and so cannot be used as an identifier.
pub fn is_reserved_word(word: &str) -> bool {
    RESERVED.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// A syntax error: what the parser wanted at a position and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// Byte offset into the source.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found {} at ", self.expected, self.found)?;
        // Rule SQL is nearly always one line; the line number is noise then.
        if self.line == 1 {
            write!(f, "column {}", self.column)
        } else {
            write!(f, "line {}, column {}", self.line, self.column)
        }
    }
}

impl std::error::Error for SqlError {}

/// Parses a complete rule statement.
pub fn parse(sql: &str) -> Result<Statement, SqlError> {
    Parser::new(sql).statement()
}

/// Parses a standalone expression, e.g. a computed table key such as
/// `concat(clientId, '#', timestamp)`.
pub fn parse_expr(src: &str) -> Result<Expr, SqlError> {
    let mut p = Parser::new(src);
    let (expr, _) = p.expr(0)?;
    if !p.at(&TokenKind::Eof) {
        return Err(p.unexpected("an operator or end of input"));
    }
    Ok(expr)
}

/// Whether a token can begin the expression of `SELECT VALUE <expr>`.
///
/// `value` is also a plausible field name, so `SELECT value FROM ...`,
/// `SELECT value, x ...`, `SELECT value.x ...` and `SELECT value[0] ...`
/// keep reading it as a field; only a following token that starts an
/// expression makes it the keyword. `[` is excluded because indexing a
/// field called `value` is likelier than selecting an array literal, and
/// `-` is included, so `SELECT value - 1` means `SELECT VALUE (-1)`.
pub(crate) fn starts_value_expr(next: &TokenKind) -> bool {
    match next {
        TokenKind::Word(w) => {
            !is_reserved_word(w)
                || ["NOT", "CASE", "TRUE", "FALSE", "NULL"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(w))
        }
        TokenKind::Str(_)
        | TokenKind::Number(_)
        | TokenKind::LParen
        | TokenKind::LBrace
        | TokenKind::Minus => true,
        _ => false,
    }
}

/// Whether `tokens` open with `VALUE` used as the keyword.
pub(crate) fn opens_with_value_keyword(tokens: &[Token]) -> bool {
    match tokens {
        [first, second, ..] => {
            matches!(&first.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case("value"))
                && starts_value_expr(&second.kind)
        }
        _ => false,
    }
}

/// An expression and the depth of its tree.
type Parsed = Result<(Expr, usize), SqlError>;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    nesting: usize,
    /// End of the last consumed token, for spans that end there.
    last_end: usize,
}

static EOF: Token = Token {
    kind: TokenKind::Eof,
    span: Span::new(0, 0),
};

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            src,
            toks: tokenize(src),
            pos: 0,
            nesting: 0,
            last_end: 0,
        }
    }

    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Token {
        // The token list always ends with Eof, so clamping to it is right.
        self.toks
            .get(self.pos + n)
            .or_else(|| self.toks.last())
            .unwrap_or(&EOF)
    }

    fn advance(&mut self) -> Token {
        let tok = self.peek().clone();
        if tok.kind != TokenKind::Eof {
            self.pos += 1;
            self.last_end = tok.span.end;
        }
        tok
    }

    fn at(&self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    fn eat(&mut self, kind: &TokenKind) -> Option<Span> {
        self.at(kind).then(|| self.advance().span)
    }

    fn expect(&mut self, kind: &TokenKind, expected: &str) -> Result<Span, SqlError> {
        self.eat(kind).ok_or_else(|| self.unexpected(expected))
    }

    fn at_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> Option<Span> {
        self.at_kw(kw).then(|| self.advance().span)
    }

    fn expect_kw(&mut self, kw: &str) -> Result<Span, SqlError> {
        self.eat_kw(kw).ok_or_else(|| self.unexpected(kw))
    }

    fn error_at(&self, offset: usize, expected: &str, found: &str) -> SqlError {
        let (line, column) = line_col(self.src, offset);
        SqlError {
            offset,
            line,
            column,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// An error at the current token. A malformed-literal token reports its
    /// own problem, which is more precise than what the grammar wanted.
    fn unexpected(&self, expected: &str) -> SqlError {
        let tok = self.peek();
        match &tok.kind {
            TokenKind::Error { expected, found } => self.error_at(tok.span.start, expected, found),
            kind => self.error_at(tok.span.start, expected, &kind.describe()),
        }
    }

    /// Guards recursion into a nested construct.
    fn nest(&mut self) -> Result<(), SqlError> {
        if self.nesting >= MAX_NESTING {
            let expected = format!("nesting at most {MAX_NESTING} deep");
            return Err(self.unexpected(&expected));
        }
        self.nesting += 1;
        Ok(())
    }

    fn unnest(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn check_depth(&self, depth: usize, at: Span) -> Result<usize, SqlError> {
        if depth > MAX_TREE_DEPTH {
            let expected = format!("an expression at most {MAX_TREE_DEPTH} levels deep");
            return Err(self.error_at(at.start, &expected, "a deeper one"));
        }
        Ok(depth)
    }

    fn ident(&mut self, expected: &str) -> Result<Ident, SqlError> {
        match &self.peek().kind {
            TokenKind::Word(w) if !is_reserved_word(w) => {
                let tok = self.advance();
                let TokenKind::Word(name) = tok.kind else {
                    return Err(self.unexpected(expected));
                };
                Ok(Ident::new(name, tok.span))
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    fn statement(&mut self) -> Result<Statement, SqlError> {
        let start = self.peek().span.start;
        self.expect_kw("SELECT")?;
        let select = if opens_with_value_keyword(self.toks.get(self.pos..).unwrap_or(&[])) {
            self.advance();
            SelectClause::Value(self.expr(0)?.0)
        } else {
            SelectClause::Items(self.select_items()?)
        };
        self.expect_kw("FROM")?;
        let from = match &self.peek().kind {
            TokenKind::Str(filter) => {
                let filter = filter.clone();
                let span = self.advance().span;
                TopicFrom { filter, span }
            }
            _ => return Err(self.unexpected("a quoted topic filter")),
        };
        let where_ = match self.eat_kw("WHERE") {
            Some(_) => Some(self.expr(0)?.0),
            None => None,
        };
        if !self.at(&TokenKind::Eof) {
            let expected = if where_.is_some() {
                "an operator or end of input"
            } else {
                "WHERE or end of input"
            };
            return Err(self.unexpected(expected));
        }
        Ok(Statement {
            select,
            from,
            where_,
            span: Span::new(start, self.last_end),
        })
    }

    fn select_items(&mut self) -> Result<Vec<SelectItem>, SqlError> {
        let mut items = Vec::new();
        loop {
            let item = if let Some(star) = self.eat(&TokenKind::Star) {
                let alias = self.alias()?;
                let span = star.to(alias.as_ref().map_or(star, |a| a.span));
                SelectItem::Wildcard { alias, span }
            } else {
                let (expr, _) = self.expr(0)?;
                let alias = self.alias()?;
                let span = expr.span.to(alias.as_ref().map_or(expr.span, |a| a.span));
                SelectItem::Expr { expr, alias, span }
            };
            items.push(item);
            if self.eat(&TokenKind::Comma).is_none() {
                return Ok(items);
            }
        }
    }

    fn alias(&mut self) -> Result<Option<Ident>, SqlError> {
        if self.eat_kw("AS").is_none() {
            return Ok(None);
        }
        self.ident("a name after AS").map(Some)
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        Some(match &self.peek().kind {
            TokenKind::Eq => BinaryOp::Eq,
            TokenKind::NotEq => BinaryOp::NotEq,
            TokenKind::Lt => BinaryOp::Lt,
            TokenKind::Le => BinaryOp::Le,
            TokenKind::Gt => BinaryOp::Gt,
            TokenKind::Ge => BinaryOp::Ge,
            TokenKind::Plus => BinaryOp::Add,
            TokenKind::Minus => BinaryOp::Sub,
            TokenKind::Star => BinaryOp::Mul,
            TokenKind::Slash => BinaryOp::Div,
            TokenKind::Percent => BinaryOp::Mod,
            TokenKind::Word(w) if w.eq_ignore_ascii_case("AND") => BinaryOp::And,
            TokenKind::Word(w) if w.eq_ignore_ascii_case("OR") => BinaryOp::Or,
            TokenKind::Word(w) if w.eq_ignore_ascii_case("IN") => BinaryOp::In,
            _ => return None,
        })
    }

    /// Parses operators binding at least as tightly as `min_prec`.
    fn expr(&mut self, min_prec: u8) -> Parsed {
        let (mut lhs, mut depth) = self.prefix()?;
        while let Some(op) = self.binary_op() {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            let op_span = self.advance().span;
            // `prec + 1` makes every operator left-associative.
            let (rhs, rhs_depth) = self.expr(prec + 1)?;
            depth = self.check_depth(depth.max(rhs_depth) + 1, op_span)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            );
        }
        Ok((lhs, depth))
    }

    fn prefix(&mut self) -> Parsed {
        let (op, operand_prec) = if self.at_kw("NOT") {
            // Tighter than AND/OR but looser than comparisons, so that
            // `NOT a = b` negates the comparison.
            (UnaryOp::Not, PREC_NOT + 1)
        } else if self.at(&TokenKind::Minus) {
            (UnaryOp::Neg, PREC_NEG)
        } else {
            let primary = self.primary()?;
            return self.postfix(primary);
        };
        self.nest()?;
        let op_span = self.advance().span;
        let (operand, depth) = self.expr(operand_prec)?;
        self.unnest();
        let span = op_span.to(operand.span);
        let depth = self.check_depth(depth + 1, op_span)?;
        let expr = Expr::new(
            ExprKind::Unary {
                op,
                expr: Box::new(operand),
            },
            span,
        );
        Ok((expr, depth))
    }

    fn primary(&mut self) -> Parsed {
        let tok = self.peek().clone();
        let atom = |kind| Ok((Expr::new(kind, tok.span), 1));
        match &tok.kind {
            TokenKind::Word(w) => {
                let upper = w.to_ascii_uppercase();
                match upper.as_str() {
                    "TRUE" | "FALSE" | "NULL" => {
                        self.advance();
                        atom(match upper.as_str() {
                            "TRUE" => ExprKind::Bool(true),
                            "FALSE" => ExprKind::Bool(false),
                            _ => ExprKind::Null,
                        })
                    }
                    "CASE" => self.case(),
                    _ if is_reserved_word(w) => Err(self.unexpected("an expression")),
                    _ if self.peek_at(1).kind == TokenKind::LParen => {
                        if upper == "CAST" {
                            self.cast()
                        } else {
                            self.call()
                        }
                    }
                    _ => {
                        self.advance();
                        let ident = Ident::new(w.clone(), tok.span);
                        atom(ExprKind::Path(vec![PathSegment::Field(ident)]))
                    }
                }
            }
            TokenKind::Str(s) => {
                self.advance();
                atom(ExprKind::String(s.clone()))
            }
            TokenKind::Number(n) => {
                self.advance();
                atom(ExprKind::Number(n.clone()))
            }
            TokenKind::LParen => {
                self.nest()?;
                let open = self.advance().span;
                let (mut inner, depth) = self.expr(0)?;
                let close = self.expect(&TokenKind::RParen, "')'")?;
                self.unnest();
                // Cover the parentheses so diagnostics quote what was written.
                inner.span = open.to(close);
                Ok((inner, depth))
            }
            TokenKind::LBracket => self.array(),
            TokenKind::LBrace => self.object(),
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// `.field` and `[index]` after a primary. Accesses on a field path
    /// extend the path, so `(a).b` and `a.b` give the same tree.
    fn postfix(&mut self, (mut expr, mut depth): (Expr, usize)) -> Parsed {
        loop {
            let segment = if self.eat(&TokenKind::Dot).is_some() {
                // Any word works after a dot, keywords included: the field
                // position is unambiguous and payload keys are arbitrary.
                match &self.peek().kind {
                    TokenKind::Word(w) => {
                        let name = w.clone();
                        let span = self.advance().span;
                        PathSegment::Field(Ident::new(name, span))
                    }
                    _ => return Err(self.unexpected("a field name")),
                }
            } else if self.at(&TokenKind::LBracket) {
                self.nest()?;
                let open = self.advance().span;
                let (index, index_depth) = self.expr(0)?;
                self.expect(&TokenKind::RBracket, "']'")?;
                self.unnest();
                depth = self.check_depth(depth.max(index_depth + 1), open)?;
                PathSegment::Index(index)
            } else {
                return Ok((expr, depth));
            };
            let span = Span::new(expr.span.start, self.last_end);
            expr = match expr.kind {
                ExprKind::Path(mut segments) => {
                    segments.push(segment);
                    Expr::new(ExprKind::Path(segments), span)
                }
                ExprKind::Access { base, mut segments } => {
                    segments.push(segment);
                    Expr::new(ExprKind::Access { base, segments }, span)
                }
                kind => {
                    depth = self.check_depth(depth + 1, span)?;
                    let base = Box::new(Expr::new(kind, expr.span));
                    Expr::new(
                        ExprKind::Access {
                            base,
                            segments: vec![segment],
                        },
                        span,
                    )
                }
            };
        }
    }

    /// Parses `expr (, expr)*` up to `close`, the opening token already
    /// consumed. Returns the items and their greatest depth.
    fn list(&mut self, close: &TokenKind, expected: &str) -> Result<(Vec<Expr>, usize), SqlError> {
        let mut items = Vec::new();
        let mut depth = 0;
        if self.eat(close).is_some() {
            return Ok((items, depth));
        }
        loop {
            let (item, d) = self.expr(0)?;
            depth = depth.max(d);
            items.push(item);
            if self.eat(&TokenKind::Comma).is_some() {
                continue;
            }
            self.expect(close, expected)?;
            return Ok((items, depth));
        }
    }

    fn call(&mut self) -> Parsed {
        let name_tok = self.advance();
        let TokenKind::Word(name) = name_tok.kind else {
            return Err(self.unexpected("a function name"));
        };
        self.nest()?;
        self.advance(); // `(`
        let (args, depth) = self.list(&TokenKind::RParen, "',' or ')'")?;
        self.unnest();
        let span = Span::new(name_tok.span.start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        let call = Call {
            name: Ident::new(name, name_tok.span),
            args,
        };
        Ok((Expr::new(ExprKind::Call(call), span), depth))
    }

    fn cast(&mut self) -> Parsed {
        let start = self.advance().span.start;
        self.nest()?;
        self.advance(); // `(`
        let (expr, depth) = self.expr(0)?;
        self.expect_kw("AS")?;
        let ty = self.ident("a type name")?;
        self.expect(&TokenKind::RParen, "')'")?;
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        let kind = ExprKind::Cast {
            expr: Box::new(expr),
            ty,
        };
        Ok((Expr::new(kind, span), depth))
    }

    fn case(&mut self) -> Parsed {
        let start = self.advance().span.start;
        self.nest()?;
        let mut depth = 0;
        let mut sub = |p: &mut Self| -> Result<Expr, SqlError> {
            let (e, d) = p.expr(0)?;
            depth = depth.max(d);
            Ok(e)
        };
        let operand = if self.at_kw("WHEN") {
            None
        } else {
            Some(Box::new(sub(self)?))
        };
        let mut branches = Vec::new();
        while self.eat_kw("WHEN").is_some() {
            let when = sub(self)?;
            self.expect_kw("THEN")?;
            let then = sub(self)?;
            branches.push(WhenThen { when, then });
        }
        if branches.is_empty() {
            return Err(self.unexpected("WHEN"));
        }
        let otherwise = match self.eat_kw("ELSE") {
            Some(_) => Some(Box::new(sub(self)?)),
            None => None,
        };
        if self.eat_kw("END").is_none() {
            let expected = if otherwise.is_some() {
                "END"
            } else {
                "WHEN, ELSE or END"
            };
            return Err(self.unexpected(expected));
        }
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        let kind = ExprKind::Case {
            operand,
            branches,
            otherwise,
        };
        Ok((Expr::new(kind, span), depth))
    }

    fn array(&mut self) -> Parsed {
        self.nest()?;
        let start = self.advance().span.start;
        let (items, depth) = self.list(&TokenKind::RBracket, "',' or ']'")?;
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        Ok((Expr::new(ExprKind::Array(items), span), depth))
    }

    fn object(&mut self) -> Parsed {
        self.nest()?;
        let start = self.advance().span.start;
        let mut entries = Vec::new();
        let mut depth = 0;
        if self.eat(&TokenKind::RBrace).is_none() {
            loop {
                let (key, key_span) = match &self.peek().kind {
                    TokenKind::Str(k) => {
                        let key = k.clone();
                        (key, self.advance().span)
                    }
                    _ => return Err(self.unexpected("a quoted key")),
                };
                self.expect(&TokenKind::Colon, "':'")?;
                let (value, d) = self.expr(0)?;
                depth = depth.max(d);
                entries.push(ObjectEntry {
                    key,
                    key_span,
                    value,
                });
                if self.eat(&TokenKind::Comma).is_none() {
                    self.expect(&TokenKind::RBrace, "',' or '}'")?;
                    break;
                }
            }
        }
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        Ok((Expr::new(ExprKind::Object(entries), span), depth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PRESENCE: &str = "$aws/events/presence/+/+";

    fn ok(sql: &str) -> Statement {
        match parse(sql) {
            Ok(stmt) => stmt,
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    fn err(sql: &str) -> SqlError {
        match parse(sql) {
            Ok(stmt) => panic!("{sql}: unexpectedly parsed as {stmt:?}"),
            Err(e) => e,
        }
    }

    /// Parses an expression and prints it back with every operator
    /// parenthesized, to make the tree shape visible in assertions.
    fn shape(src: &str) -> String {
        fn go(e: &Expr) -> String {
            match &e.kind {
                ExprKind::Binary { op, lhs, rhs } => {
                    format!("({} {} {})", go(lhs), op.as_str(), go(rhs))
                }
                ExprKind::Unary { op, expr } => match op {
                    UnaryOp::Neg => format!("(-{})", go(expr)),
                    UnaryOp::Not => format!("(NOT {})", go(expr)),
                },
                _ => e.to_string(),
            }
        }
        match parse_expr(src) {
            Ok(e) => go(&e),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    fn items(stmt: &Statement) -> &[SelectItem] {
        match &stmt.select {
            SelectClause::Items(items) => items,
            SelectClause::Value(_) => panic!("expected items"),
        }
    }

    #[test]
    fn presence_filter_with_or() {
        let sql = format!(
            "SELECT * FROM '{PRESENCE}' WHERE eventType = 'connected' OR eventType = 'disconnected'"
        );
        let stmt = ok(&sql);
        assert_eq!(stmt.from.filter, PRESENCE);
        assert_eq!(
            stmt.from.span.text(&sql),
            Some("'$aws/events/presence/+/+'")
        );
        assert!(matches!(
            items(&stmt),
            [SelectItem::Wildcard { alias: None, .. }]
        ));
        let Some(ExprKind::Binary { op, .. }) = stmt.where_.as_ref().map(|w| &w.kind) else {
            panic!("expected a binary WHERE");
        };
        assert_eq!(*op, BinaryOp::Or);
        assert_eq!(stmt.span, Span::new(0, sql.len()));
    }

    #[test]
    fn aws_article_rule() {
        let sql = "SELECT * as event, timestamp, version, topic(4) as eventType, \
                   topic(5) as clientId FROM '$aws/events/presence/+/+' \
                   WHERE topic(4) = 'connected' or topic(4) = 'disconnected'";
        let stmt = ok(sql);
        let items = items(&stmt);
        assert_eq!(items.len(), 5);
        let aliases: Vec<_> = items
            .iter()
            .map(|i| i.alias().map(|a| a.name.as_str()))
            .collect();
        assert_eq!(
            aliases,
            vec![
                Some("event"),
                None,
                None,
                Some("eventType"),
                Some("clientId")
            ]
        );
        assert_eq!(items[3].span().text(sql), Some("topic(4) as eventType"));
        assert_eq!(stmt.calls().len(), 4);
    }

    #[test]
    fn computed_expiry() {
        let sql = format!("SELECT *, (timestamp / 1000) + 2592000 AS expiresAt FROM '{PRESENCE}'");
        let stmt = ok(&sql);
        let item = &items(&stmt)[1];
        assert_eq!(item.alias().map(|a| a.name.as_str()), Some("expiresAt"));
        assert_eq!(
            item.expr().map(|e| e.span.text(&sql)),
            Some(Some("(timestamp / 1000) + 2592000"))
        );
        assert_eq!(
            shape("(timestamp / 1000) + 2592000"),
            "((timestamp / 1000) + 2592000)"
        );
    }

    #[test]
    fn in_operator() {
        let stmt = ok(&format!(
            "SELECT * FROM '{PRESENCE}' WHERE eventType IN ['connected', 'disconnected']"
        ));
        assert!(matches!(
            stmt.where_.map(|w| w.kind),
            Some(ExprKind::Binary {
                op: BinaryOp::In,
                ..
            })
        ));
        assert_eq!(shape("a IN b AND c"), "((a IN b) AND c)");
        // SQL's parenthesized value list is not IoT SQL.
        let e = err("SELECT * FROM 'a' WHERE x IN ('a', 'b')");
        assert_eq!((e.column, e.expected.as_str()), (34, "')'"));
    }

    #[test]
    fn concat_key_and_cast() {
        let stmt = ok("SELECT concat(timestamp, '#', eventType) AS k FROM 'a/b'");
        let (call, _) = stmt.calls()[0];
        assert!(call.is("CONCAT"));
        assert_eq!(call.args.len(), 3);
        let stmt = ok("SELECT cast(versionNumber AS String) AS v FROM 'a'");
        let expr = items(&stmt)[0].expr().cloned().map(|e| e.kind);
        let Some(ExprKind::Cast { ty, expr }) = expr else {
            panic!("expected a cast");
        };
        assert_eq!(ty.name, "String");
        assert_eq!(expr.to_string(), "versionNumber");
        // `cast` not followed by `(` is an ordinary field.
        ok("SELECT cast, cast.x FROM 'a'");
    }

    #[test]
    fn select_value() {
        let stmt = ok("select value state.reported from 'x/#'");
        let SelectClause::Value(e) = &stmt.select else {
            panic!("expected SELECT VALUE");
        };
        assert_eq!(e.to_string(), "state.reported");
        assert_eq!(stmt.from.filter, "x/#");
        // `value` stays a field name where the keyword makes no sense.
        for sql in [
            "SELECT value FROM 'x'",
            "SELECT value, a FROM 'x'",
            "SELECT value AS v FROM 'x'",
            "SELECT value.a FROM 'x'",
            "SELECT value[0] FROM 'x'",
            "SELECT value = 1 FROM 'x'",
        ] {
            assert!(matches!(ok(sql).select, SelectClause::Items(_)), "{sql}");
        }
        for sql in [
            "SELECT VALUE 'x' FROM 'x'",
            "SELECT VALUE (a) FROM 'x'",
            "SELECT VALUE -a FROM 'x'",
            "SELECT VALUE NOT a FROM 'x'",
            "SELECT VALUE {'a': 1} FROM 'x'",
            "SELECT VALUE value FROM 'x'",
        ] {
            assert!(matches!(ok(sql).select, SelectClause::Value(_)), "{sql}");
        }
    }

    #[test]
    fn assorted_valid_expressions() {
        for src in [
            "((a))",
            "-a",
            "- -1",
            "NOT a",
            "NOT NOT a",
            "a <> b",
            "a != b",
            "isUndefined(x)",
            "get_or_default(a, 'x')",
            "topic()",
            "clientid()",
            "timestamp()",
            "a.b.c",
            "a[0].b[1 + 1]",
            "get(x, 0).a[2]",
            "'s'.x",
            "[1, 'a', [true, null]]",
            "[]",
            "{}",
            "{'a': 1, \"b\": {'c': x}}",
            "CASE x WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END",
            "CASE WHEN a > 1 THEN b END",
            "a.end.select",
            "1.5e3 % 7",
            "\"double\" = 'single'",
            "a\n=\tb",
        ] {
            if let Err(e) = parse_expr(src) {
                panic!("{src:?}: {e}");
            }
        }
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let a = ok("select * from 't' where not a and b or c");
        let b = ok("SELECT * FROM 't' WHERE NOT a AND b OR c");
        assert_eq!(a.without_spans(), b.without_spans());
        assert_eq!(shape("True = nULL"), "(TRUE = NULL)");
    }

    #[test]
    fn precedence() {
        assert_eq!(shape("a OR b AND c"), "(a OR (b AND c))");
        assert_eq!(shape("a AND b OR c"), "((a AND b) OR c)");
        assert_eq!(shape("1 + 2 * 3"), "(1 + (2 * 3))");
        assert_eq!(shape("1 * 2 + 3"), "((1 * 2) + 3)");
        assert_eq!(shape("NOT a = b"), "(NOT (a = b))");
        assert_eq!(shape("NOT a AND b"), "((NOT a) AND b)");
        assert_eq!(shape("a - b - c"), "((a - b) - c)");
        assert_eq!(shape("a / b % c"), "((a / b) % c)");
        assert_eq!(shape("-a * b"), "((-a) * b)");
        assert_eq!(shape("-a.b"), "(-a.b)");
        assert_eq!(shape("a + b < c * d"), "((a + b) < (c * d))");
        assert_eq!(shape("a = b = c"), "((a = b) = c)");
        assert_eq!(shape("(a OR b) AND c"), "((a OR b) AND c)");
        assert_eq!(shape("a = NOT b"), "(a = (NOT b))");
        assert_eq!(shape("1 - -2"), "(1 - (-2))");
    }

    #[test]
    fn spans_point_at_source() {
        let src = "foo(a, 'b') + -x.y[0]";
        let e = parse_expr(src).unwrap();
        let ExprKind::Binary { lhs, rhs, .. } = &e.kind else {
            panic!("expected binary");
        };
        assert_eq!(e.span.text(src), Some(src));
        assert_eq!(lhs.span.text(src), Some("foo(a, 'b')"));
        assert_eq!(rhs.span.text(src), Some("-x.y[0]"));
        let ExprKind::Call(call) = &lhs.kind else {
            panic!("expected call");
        };
        assert_eq!(call.name.span.text(src), Some("foo"));
        assert_eq!(call.args[1].span.text(src), Some("'b'"));
    }

    #[test]
    fn reported_example_fails_at_column_one() {
        let e = err("SELEKT clientId,, FORM '$aws/events/presence/+/+' WHERE (");
        assert_eq!((e.line, e.column, e.offset), (1, 1, 0));
        assert_eq!(e.to_string(), "expected SELECT, found 'SELEKT' at column 1");
    }

    #[test]
    fn misspelled_from() {
        let e = err("SELECT clientId FORM '$aws/events/presence/+/+'");
        assert_eq!(e.to_string(), "expected FROM, found 'FORM' at column 17");
    }

    #[test]
    fn error_positions_and_messages() {
        let cases: &[(&str, usize, &str, &str)] = &[
            ("SELECT clientId,, FROM 'a'", 17, "an expression", "','"),
            (
                "SELECT * FROM 'a' WHERE (",
                26,
                "an expression",
                "end of input",
            ),
            ("SELECT * FROM 'a' WHERE (a", 27, "')'", "end of input"),
            (
                "SELECT * FROM 'a' WHERE f(a",
                28,
                "',' or ')'",
                "end of input",
            ),
            (
                "SELECT * FROM 'a",
                15,
                "a closing '",
                "an unterminated string",
            ),
            (
                "SELECT 'it\\'s' FROM 'a",
                21,
                "a closing '",
                "an unterminated string",
            ),
            (
                "SELECT * FROM 'a' extra",
                19,
                "WHERE or end of input",
                "'extra'",
            ),
            (
                "SELECT * FROM 'a' WHERE a b",
                27,
                "an operator or end of input",
                "'b'",
            ),
            ("SELECT a WHERE b", 10, "FROM", "'WHERE'"),
            ("SELECT a", 9, "FROM", "end of input"),
            ("SELECT * FROM a", 15, "a quoted topic filter", "'a'"),
            ("SELECT * FROM 1", 15, "a quoted topic filter", "'1'"),
            ("SELECT * FROM", 14, "a quoted topic filter", "end of input"),
            (
                "SELECT 1. FROM 'a'",
                10,
                "a digit after the decimal point",
                "' '",
            ),
            (
                "SELECT 1.",
                10,
                "a digit after the decimal point",
                "end of input",
            ),
            ("", 1, "SELECT", "end of input"),
            ("   ", 4, "SELECT", "end of input"),
            ("SELECT * FROM 'a';", 18, "WHERE or end of input", "';'"),
            ("SELECT # FROM 'a'", 8, "an expression", "'#'"),
            ("SELECT a FROM 'a' WHERE b = #", 29, "an expression", "'#'"),
            ("SELECT FROM 'a'", 8, "an expression", "'FROM'"),
            ("SELECT a AS FROM 'a'", 13, "a name after AS", "'FROM'"),
            (
                "SELECT a AS 'x' FROM 'a'",
                13,
                "a name after AS",
                "string 'x'",
            ),
            ("SELECT cast(a) FROM 'a'", 14, "AS", "')'"),
            ("SELECT cast(a AS 1) FROM 'a'", 18, "a type name", "'1'"),
            ("SELECT a. 'x' FROM 'a'", 11, "a field name", "string 'x'"),
            ("SELECT a[1 FROM 'a'", 12, "']'", "'FROM'"),
            ("SELECT CASE END FROM 'a'", 13, "an expression", "'END'"),
            (
                "SELECT CASE WHEN a THEN b FROM 'a'",
                27,
                "WHEN, ELSE or END",
                "'FROM'",
            ),
            ("SELECT CASE a END FROM 'a'", 15, "WHEN", "'END'"),
            ("SELECT {a: 1} FROM 'a'", 9, "a quoted key", "'a'"),
            ("SELECT {'a' 1} FROM 'a'", 13, "':'", "'1'"),
            (
                "SELECT 'a\\x' FROM 'a'",
                11,
                "an escape sequence (\\' \\\" \\\\ \\/ \\n \\t \\r)",
                "'x'",
            ),
            ("SELECT a\nFROM 'a'\nWHERE ;", 7, "an expression", "';'"),
            ("SELECT é FROM 'a'", 8, "an expression", "'é'"),
            ("SELECT 'é' FORM 'a'", 12, "FROM", "'FORM'"),
        ];
        for &(sql, column, expected, found) in cases {
            let e = err(sql);
            assert_eq!(
                (e.column, e.expected.as_str(), e.found.as_str()),
                (column, expected, found),
                "{sql:?}: {e}"
            );
        }
    }

    #[test]
    fn multi_line_errors_report_the_line() {
        let e = err("SELECT a\nFROM 'a'\nWHERE ;");
        assert_eq!((e.line, e.column), (3, 7));
        assert_eq!(
            e.to_string(),
            "expected an expression, found ';' at line 3, column 7"
        );
    }

    #[test]
    fn earlier_grammar_error_beats_later_lexical_error() {
        let e = err("SELEKT 'unterminated");
        assert_eq!((e.column, e.expected.as_str()), (1, "SELECT"));
    }

    #[test]
    fn parse_expr_rejects_trailing_tokens() {
        let e = parse_expr("concat(a, b) c").unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected an operator or end of input, found 'c' at column 14"
        );
        assert_eq!(parse_expr("").unwrap_err().column, 1);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for open in [
            "(",
            "-",
            "NOT ",
            "f(",
            "[",
            "a[",
            "CASE WHEN ",
            "{'k': ",
            "cast(",
            "(a OR b AND c = d + e * - NOT f(x, [y, CASE WHEN z THEN {'k': ",
        ] {
            let src = format!("SELECT {} FROM 'a'", open.repeat(10_000));
            let e = err(&src);
            assert!(e.expected.starts_with("nesting at most 64"), "{open}: {e}");
        }
        // Within the limit is fine.
        let ok_src = format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(parse_expr(&ok_src).is_ok());
        let too_deep = format!(
            "{}a{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert!(parse_expr(&too_deep).is_err());
    }

    #[test]
    fn long_operator_chains_are_capped() {
        let src = vec!["a"; 100_000].join(" + ");
        let e = parse_expr(&src).unwrap_err();
        assert!(e.expected.contains("levels deep"), "{e}");
        let fine = vec!["a"; MAX_TREE_DEPTH].join(" + ");
        // The deepest accepted tree still prints and drops without trouble.
        assert_eq!(parse_expr(&fine).map(|e| e.to_string()), Ok(fine));
        // Wide but shallow input is not limited.
        let wide = format!("f({})", vec!["a"; 10_000].join(", "));
        assert!(parse_expr(&wide).is_ok());
    }

    /// Fragments that combine into plausible and implausible SQL.
    fn sqlish() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "SELECT ",
            "VALUE ",
            "FROM ",
            "WHERE ",
            "AS ",
            "AND ",
            "OR ",
            "NOT ",
            "IN ",
            "CASE ",
            "WHEN ",
            "THEN ",
            "ELSE ",
            "END ",
            "cast(",
            "value",
            "a",
            "b.c",
            "topic(4)",
            "*",
            ",",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            ":",
            ".",
            "-",
            "+",
            "=",
            "<>",
            "<=",
            "'$aws/events/presence/+/+'",
            "'it\\'s'",
            "\"q\"",
            "'",
            "\\",
            "1",
            "1.5",
            "1e",
            "1.",
            ";",
            "#",
            " ",
            "\n",
            "é",
        ]);
        prop::collection::vec(token, 0..40).prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in ".*") {
            let _ = parse(&s);
            let _ = parse_expr(&s);
        }

        #[test]
        fn never_panics_on_sqlish_text(s in sqlish()) {
            let _ = parse(&s);
            let _ = parse_expr(&s);
        }

        #[test]
        fn errors_point_inside_the_input(s in sqlish()) {
            if let Err(e) = parse(&s) {
                prop_assert!(e.offset <= s.len());
                prop_assert!(s.is_char_boundary(e.offset));
                prop_assert!(!e.expected.is_empty() && !e.found.is_empty());
            }
        }

        #[test]
        fn statements_with_sqlish_select_lists(s in sqlish(), w in sqlish()) {
            let _ = parse(&format!("SELECT {s} FROM 'a/+' WHERE {w}"));
        }
    }
}
