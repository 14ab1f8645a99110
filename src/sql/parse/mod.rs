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
    Assignment, BinaryOp, Call, Expr, ExprKind, Ident, ObjectEntry, PREC_NEG, PREC_NOT,
    PathSegment, SelectClause, SelectItem, Span, Statement, Subquery, TopicFrom, UnaryOp, WhenThen,
    line_col,
};
use super::keywords::Keyword;
use super::lex::{Token, TokenKind, Word, tokenize};
use super::value_keyword::{TokenClass, opens_with_value_keyword, star_starts_value};

mod clauses;
mod expr;
#[cfg(test)]
mod extension_tests;
#[cfg(test)]
mod tests;

/// How deeply brackets, calls and prefix operators may nest.
pub const MAX_NESTING: usize = 64;
/// How deep a parsed expression tree may be.
pub const MAX_TREE_DEPTH: usize = 256;

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

/// An expression and the depth of its tree.
type Parsed = Result<(Expr, usize), SqlError>;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    nesting: usize,
    /// End of the last consumed token, for spans that end there.
    last_end: usize,
    /// The variables the SET clause has defined so far, without their `@`.
    variables: Vec<String>,
    /// How many WHERE clauses enclose the current position: `*` belongs to
    /// the SELECT clause only.
    in_where: usize,
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
            variables: Vec::new(),
            in_where: 0,
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

    fn at_kw(&self, kw: Keyword) -> bool {
        self.peek_at_kw(0, kw)
    }

    /// Whether the token `n` ahead is the keyword `kw`.
    fn peek_at_kw(&self, n: usize, kw: Keyword) -> bool {
        matches!(&self.peek_at(n).kind, TokenKind::Word(w) if w.keyword == Some(kw))
    }

    fn eat_kw(&mut self, kw: Keyword) -> Option<Span> {
        self.at_kw(kw).then(|| self.advance().span)
    }

    fn expect_kw(&mut self, kw: Keyword) -> Result<Span, SqlError> {
        self.eat_kw(kw).ok_or_else(|| self.unexpected(kw.as_str()))
    }

    /// The class of the token `n` ahead, for the reading of `VALUE`.
    fn class_at(&self, n: usize) -> TokenClass {
        TokenClass::of(&self.peek_at(n).kind)
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
            TokenKind::Word(w) if !w.is_reserved() => {
                let tok = self.advance();
                let TokenKind::Word(word) = tok.kind else {
                    return Err(self.unexpected(expected));
                };
                Ok(Ident::new(word.text, tok.span))
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    fn alias(&mut self) -> Result<Option<Ident>, SqlError> {
        if self.eat_kw(Keyword::As).is_none() {
            return Ok(None);
        }
        let mut alias = self.ident("a name after AS")?;
        // `AS bar.baz` nests the value: `{"bar": {"baz": ...}}`. Keywords are
        // refused after the dot too, so that `AS b. FROM` reads as a mistake.
        while self.at(&TokenKind::Dot) {
            self.advance();
            let next = self.ident("a name after '.' in the alias")?;
            alias.name.push('.');
            alias.name.push_str(&next.name);
            alias.span = alias.span.to(next.span);
        }
        Ok(Some(alias))
    }
}
