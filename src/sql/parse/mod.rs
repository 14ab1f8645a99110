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
use super::lex::{Token, TokenKind, tokenize};

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

/// Whether `*` at this point is the whole message used as a value rather than
/// a multiplication: at the start of `SELECT VALUE *...`, where nothing or a
/// path follows it.
fn star_starts_value(after_star: Option<&Token>) -> bool {
    after_star.is_none_or(|t| match &t.kind {
        TokenKind::Dot | TokenKind::LBracket | TokenKind::Eof => true,
        TokenKind::Word(w) => w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("WHERE"),
        _ => false,
    })
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
        | TokenKind::Variable(_)
        | TokenKind::LParen
        | TokenKind::LBrace
        | TokenKind::Minus => true,
        _ => false,
    }
}

/// Whether `tokens` open with `VALUE` used as the keyword. `value * x` stays
/// a product of a field named `value`; `VALUE *.messages` and `VALUE *`
/// select from the whole message.
pub(crate) fn opens_with_value_keyword(tokens: &[Token]) -> bool {
    match tokens {
        [first, second, rest @ ..] => {
            matches!(&first.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case("value"))
                && (starts_value_expr(&second.kind)
                    || (second.kind == TokenKind::Star && star_starts_value(rest.first())))
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

    fn alias(&mut self) -> Result<Option<Ident>, SqlError> {
        if self.eat_kw("AS").is_none() {
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
