//! Tokenizer for AWS IoT SQL: turns source text into tokens carrying byte
//! spans.
//!
//! The tokenizer never fails outright. A character it cannot use becomes an
//! [`TokenKind::Invalid`] token and a malformed literal becomes a
//! [`TokenKind::Error`] token, so that the parser can report whichever problem
//! comes first in the text, phrased in terms of what it expected there.
//!
//! Every word is tagged here, once, with the keyword it spells, if any ([`Word::keyword`]); the parser reads
//! the tag and never compares text.

use super::ast::Span;
use super::keywords::Keyword;

/// One lexical unit of the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// A word as written, and the keyword it spells. Whether it is used as that keyword is the parser's call:
/// several keywords (`VALUE`, `CAST`, `SET`) are keywords only in certain positions, identifiers elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    pub text: String,
    pub keyword: Option<Keyword>,
}

impl Word {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let keyword = Keyword::lookup(&text);
        Word { text, keyword }
    }

    /// Whether the word cannot be an identifier.
    pub fn is_reserved(&self) -> bool {
        self.keyword.is_some_and(Keyword::is_reserved)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// An identifier or a keyword.
    Word(Word),
    /// A string literal, already unescaped.
    Str(String),
    /// A number literal exactly as written, so printing can reproduce it.
    Number(String),
    /// `@name`, a variable of the SET clause; the name without its `@`.
    Variable(String),
    Comma,
    Dot,
    Colon,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Star,
    Plus,
    Minus,
    Slash,
    Percent,
    Eq,
    /// Both `<>` and `!=`: they mean the same and print as `<>`.
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    /// A character that starts no token (`;`, `#`, a lone `@`, non-ASCII letters ...).
    Invalid(char),
    /// A malformed literal; the span points at the offending spot.
    Error {
        expected: String,
        found: String,
    },
    Eof,
}

impl TokenKind {
    /// How the token is named in "found ..." parts of error messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Word(w) => format!("'{}'", truncate(&w.text)),
            TokenKind::Str(s) => format!("string {}", truncate(&super::print::quote(s))),
            TokenKind::Number(n) => format!("'{}'", truncate(n)),
            TokenKind::Variable(v) => format!("'@{}'", truncate(v)),
            TokenKind::Invalid(c) => describe_char(*c),
            TokenKind::Error { found, .. } => found.clone(),
            TokenKind::Eof => "end of input".to_string(),
            other => format!("'{}'", other.punct_text()),
        }
    }

    fn punct_text(&self) -> &'static str {
        match self {
            TokenKind::Comma => ",",
            TokenKind::Dot => ".",
            TokenKind::Colon => ":",
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Star => "*",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::Eq => "=",
            TokenKind::NotEq => "<>",
            TokenKind::Lt => "<",
            TokenKind::Le => "<=",
            TokenKind::Gt => ">",
            TokenKind::Ge => ">=",
            _ => "?",
        }
    }
}

/// Quotes a character for an error message, spelling out invisible ones.
pub(crate) fn describe_char(c: char) -> String {
    match c {
        '\n' => "a line break".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_control() => format!("character U+{:04X}", u32::from(c)),
        c => format!("'{c}'"),
    }
}

/// Keeps error messages readable when the offending token is huge.
fn truncate(s: &str) -> String {
    const MAX: usize = 24;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(crate) fn is_ident_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The longest variable name the SET clause allows (AWS IoT SQL reference, "SET clause": "Variable names can be
/// up to 64 characters long").
pub(crate) const MAX_VARIABLE_NAME: usize = 64;

/// Splits `src` into tokens. The result always ends with [`TokenKind::Eof`];
/// an [`TokenKind::Error`] token, if any, is the last one before it because
/// nothing after a malformed literal can be trusted.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        out: Vec::new(),
    };
    lexer.run();
    lexer.out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.out.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.bump();
                continue;
            }
            let kind = if is_ident_start(c) {
                self.word()
            } else if c.is_ascii_digit() {
                match self.number() {
                    Ok(kind) => kind,
                    Err(err) => {
                        self.out.push(err);
                        break;
                    }
                }
            } else if c == '@'
                && self
                    .src
                    .get(start + 1..)
                    .is_some_and(|rest| rest.starts_with(is_ident_continue))
            {
                match self.variable() {
                    Ok(kind) => kind,
                    Err(err) => {
                        self.out.push(err);
                        break;
                    }
                }
            } else if c == '\'' || c == '"' {
                match self.string(c) {
                    Ok(kind) => kind,
                    Err(err) => {
                        self.out.push(err);
                        break;
                    }
                }
            } else {
                self.punct(c)
            };
            self.push(kind, start);
        }
        let end = self.src.len();
        self.out.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
        });
    }

    fn word(&mut self) -> TokenKind {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_continue) {
            self.bump();
        }
        TokenKind::Word(Word::new(self.src.get(start..self.pos).unwrap_or("")))
    }

    /// `@` then letters, digits and underscores (the SET clause's rules for variable names).
    fn variable(&mut self) -> Result<TokenKind, Token> {
        let start = self.pos;
        self.bump(); // `@`
        while self.peek().is_some_and(is_ident_continue) {
            self.bump();
        }
        let name = self.src.get(start + 1..self.pos).unwrap_or("");
        if name.len() > MAX_VARIABLE_NAME {
            return Err(Token {
                kind: TokenKind::Error {
                    expected: format!("a variable name of at most {MAX_VARIABLE_NAME} characters"),
                    found: format!("one of {}", name.len()),
                },
                span: Span::new(start, self.pos),
            });
        }
        Ok(TokenKind::Variable(name.to_string()))
    }

    fn digits(&mut self) -> usize {
        let mut n = 0;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            n += 1;
        }
        n
    }

    /// `digits ['.' digits] [('e'|'E') ['+'|'-'] digits]`. A letter glued to
    /// the number (`12ab`, `1.`, `1e`) is an error rather than two tokens,
    /// since no valid statement puts those side by side.
    fn number(&mut self) -> Result<TokenKind, Token> {
        let start = self.pos;
        self.digits();
        if self.peek() == Some('.') {
            self.bump();
            if self.digits() == 0 {
                return Err(self.error_here("a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if self.digits() == 0 {
                return Err(self.error_here("a digit in the exponent"));
            }
        }
        if self.peek().is_some_and(is_ident_continue) {
            return Err(self.error_here("a digit"));
        }
        Ok(TokenKind::Number(
            self.src.get(start..self.pos).unwrap_or("").to_string(),
        ))
    }

    fn error_here(&self, expected: &str) -> Token {
        let found = match self.peek() {
            Some(c) => describe_char(c),
            None => "end of input".to_string(),
        };
        let end = self.pos + self.peek().map_or(0, char::len_utf8);
        Token {
            kind: TokenKind::Error {
                expected: expected.to_string(),
                found,
            },
            span: Span::new(self.pos, end),
        }
    }

    /// Both quote styles delimit strings. AWS documentation examples use
    /// single quotes for strings and topic filters, but double-quoted strings
    /// also appear in rules seen in the wild; treating them the same is the
    /// lenient choice, and the printer normalises to single quotes. Escapes
    /// are backslash-based; SQL's `''` doubling is not part of IoT SQL.
    fn string(&mut self, quote: char) -> Result<TokenKind, Token> {
        let start = self.pos;
        self.bump();
        let mut value = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(Token {
                        kind: TokenKind::Error {
                            expected: format!("a closing {quote}"),
                            found: "an unterminated string".to_string(),
                        },
                        span: Span::new(start, self.pos),
                    });
                }
                Some(c) if c == quote => return Ok(TokenKind::Str(value)),
                Some('\\') => {
                    let escaped = match self.peek() {
                        Some('\'') => '\'',
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        _ => {
                            return Err(self
                                .error_here("an escape sequence (\\' \\\" \\\\ \\/ \\n \\t \\r)"));
                        }
                    };
                    self.bump();
                    value.push(escaped);
                }
                Some(c) => value.push(c),
            }
        }
    }

    fn punct(&mut self, c: char) -> TokenKind {
        self.bump();
        let next = self.peek();
        let mut two = |kind: TokenKind| {
            self.bump();
            kind
        };
        match (c, next) {
            ('<', Some('>')) => two(TokenKind::NotEq),
            ('!', Some('=')) => two(TokenKind::NotEq),
            ('<', Some('=')) => two(TokenKind::Le),
            ('>', Some('=')) => two(TokenKind::Ge),
            (',', _) => TokenKind::Comma,
            ('.', _) => TokenKind::Dot,
            (':', _) => TokenKind::Colon,
            ('(', _) => TokenKind::LParen,
            (')', _) => TokenKind::RParen,
            ('[', _) => TokenKind::LBracket,
            (']', _) => TokenKind::RBracket,
            ('{', _) => TokenKind::LBrace,
            ('}', _) => TokenKind::RBrace,
            ('*', _) => TokenKind::Star,
            ('+', _) => TokenKind::Plus,
            ('-', _) => TokenKind::Minus,
            ('/', _) => TokenKind::Slash,
            ('%', _) => TokenKind::Percent,
            ('=', _) => TokenKind::Eq,
            ('<', _) => TokenKind::Lt,
            ('>', _) => TokenKind::Gt,
            (other, _) => TokenKind::Invalid(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src).into_iter().map(|t| t.kind).collect()
    }

    fn word(w: &str) -> TokenKind {
        TokenKind::Word(Word::new(w))
    }

    #[test]
    fn words_are_tagged_with_their_keyword() {
        let toks = tokenize("select Value cast valued From");
        let tags: Vec<_> = toks
            .iter()
            .map(|t| match &t.kind {
                TokenKind::Word(w) => w.keyword,
                _ => None,
            })
            .collect();
        assert_eq!(
            tags,
            vec![
                Some(Keyword::Select),
                Some(Keyword::Value),
                Some(Keyword::Cast),
                None,
                Some(Keyword::From),
                None
            ]
        );
        assert!(
            matches!(&toks[0].kind, TokenKind::Word(w) if w.text == "select" && w.is_reserved())
        );
        assert!(matches!(&toks[1].kind, TokenKind::Word(w) if !w.is_reserved()));
    }

    #[test]
    fn words_punctuation_and_spans() {
        let toks = tokenize("SELECT a.b, *");
        let spans: Vec<_> = toks.iter().map(|t| (t.span.start, t.span.end)).collect();
        assert_eq!(
            toks.into_iter().map(|t| t.kind).collect::<Vec<_>>(),
            vec![
                word("SELECT"),
                word("a"),
                TokenKind::Dot,
                word("b"),
                TokenKind::Comma,
                TokenKind::Star,
                TokenKind::Eof
            ]
        );
        assert_eq!(
            spans,
            vec![
                (0, 6),
                (7, 8),
                (8, 9),
                (9, 10),
                (10, 11),
                (12, 13),
                (13, 13)
            ]
        );
    }

    #[test]
    fn comparison_operators() {
        assert_eq!(
            kinds("= <> != < <= > >="),
            vec![
                TokenKind::Eq,
                TokenKind::NotEq,
                TokenKind::NotEq,
                TokenKind::Lt,
                TokenKind::Le,
                TokenKind::Gt,
                TokenKind::Ge,
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn numbers_keep_their_text() {
        assert_eq!(
            kinds("1 1.50 1e3 2E-7 007"),
            vec![
                TokenKind::Number("1".into()),
                TokenKind::Number("1.50".into()),
                TokenKind::Number("1e3".into()),
                TokenKind::Number("2E-7".into()),
                TokenKind::Number("007".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn malformed_numbers_are_errors() {
        for (src, at) in [("1.", 2), ("1.x", 2), ("1e", 2), ("1e+", 3), ("12ab", 2)] {
            let toks = tokenize(src);
            let err = &toks[toks.len() - 2];
            assert!(
                matches!(err.kind, TokenKind::Error { .. }),
                "{src}: {toks:?}"
            );
            assert_eq!(err.span.start, at, "{src}");
        }
    }

    #[test]
    fn strings_unescape_both_quote_styles() {
        assert_eq!(
            kinds(r#"'it\'s' "say \"hi\"" 'a\\b\n\t\r\/' 'é😀'"#),
            vec![
                TokenKind::Str("it's".into()),
                TokenKind::Str("say \"hi\"".into()),
                TokenKind::Str("a\\b\n\t\r/".into()),
                TokenKind::Str("é😀".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn unterminated_string_and_bad_escape() {
        let toks = tokenize("SELECT 'abc");
        assert_eq!(toks[1].span.start, 7);
        assert!(
            matches!(&toks[1].kind, TokenKind::Error { found, .. } if found == "an unterminated string")
        );
        let toks = tokenize(r"'a\qb'");
        assert_eq!(toks[0].span.start, 3);
        assert!(matches!(&toks[0].kind, TokenKind::Error { found, .. } if found == "'q'"));
        // A trailing backslash must not read past the end.
        assert!(matches!(tokenize("'\\")[0].kind, TokenKind::Error { .. }));
    }

    #[test]
    fn variables() {
        assert_eq!(
            kinds("@a @temp_1 @9 @"),
            vec![
                TokenKind::Variable("a".into()),
                TokenKind::Variable("temp_1".into()),
                TokenKind::Variable("9".into()),
                TokenKind::Invalid('@'),
                TokenKind::Eof
            ]
        );
        let name = "v".repeat(MAX_VARIABLE_NAME);
        assert_eq!(
            kinds(&format!("@{name}")),
            vec![TokenKind::Variable(name), TokenKind::Eof]
        );
        let toks = tokenize(&format!("SET @{} = 1", "v".repeat(65)));
        assert!(
            matches!(&toks[1].kind, TokenKind::Error { found, .. } if found == "one of 65"),
            "{toks:?}"
        );
        assert_eq!(TokenKind::Variable("x".into()).describe(), "'@x'");
    }

    #[test]
    fn invalid_characters_become_tokens() {
        assert_eq!(
            kinds("a;#é!"),
            vec![
                word("a"),
                TokenKind::Invalid(';'),
                TokenKind::Invalid('#'),
                TokenKind::Invalid('é'),
                TokenKind::Invalid('!'),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn describe_is_readable() {
        assert_eq!(word("FORM").describe(), "'FORM'");
        assert_eq!(TokenKind::Eof.describe(), "end of input");
        assert_eq!(TokenKind::Comma.describe(), "','");
        assert_eq!(TokenKind::Invalid('\u{7}').describe(), "character U+0007");
        assert_eq!(TokenKind::Str("it's".into()).describe(), r"string 'it\'s'");
        assert_eq!(word(&"x".repeat(40)).describe().chars().count(), 27);
    }
}
