//! When `value` right after `SELECT` is the keyword of `SELECT VALUE expr` and when it is a field named `value`:
//! one rule, on classes of tokens. The parser classifies the tokens the lexer made; the printer classifies the
//! tokens its text will start with, from the tree (`print.rs`), to put parentheses where the text would
//! otherwise read back as the other form. Both ask [`opens_with_value_keyword`], so they cannot disagree.
//!
//! `value` is a plausible field name, so `SELECT value FROM ...`, `SELECT value, x ...`, `SELECT value.x ...`
//! and `SELECT value[0] ...` keep reading it as a field; only a following token that starts an expression
//! makes it the keyword. `[` is excluded because indexing a field called `value` is likelier than selecting an
//! array literal, and `-` is included, so `SELECT value - 1` means `SELECT VALUE (-1)`. `value * x` stays a
//! product of a field named `value`; `VALUE *.messages` and `VALUE *` select from the whole message.

use super::keywords::Keyword;
use super::lex::TokenKind;

/// A token, as far as the reading of `VALUE` tells tokens apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenClass {
    /// A word: the keyword it spells, `None` for any other word.
    Word(Option<Keyword>),
    /// A string, a number or a variable.
    Literal,
    LParen,
    LBracket,
    LBrace,
    Minus,
    Star,
    Dot,
    /// The end of the input.
    End,
    /// Any other token: an operator, a separator, a closing bracket, an invalid character.
    Other,
}

impl TokenClass {
    pub(crate) fn of(kind: &TokenKind) -> TokenClass {
        match kind {
            TokenKind::Word(w) => TokenClass::Word(w.keyword),
            TokenKind::Str(_) | TokenKind::Number(_) | TokenKind::Variable(_) => {
                TokenClass::Literal
            }
            TokenKind::LParen => TokenClass::LParen,
            TokenKind::LBracket => TokenClass::LBracket,
            TokenKind::LBrace => TokenClass::LBrace,
            TokenKind::Minus => TokenClass::Minus,
            TokenKind::Star => TokenClass::Star,
            TokenKind::Dot => TokenClass::Dot,
            TokenKind::Eof => TokenClass::End,
            _ => TokenClass::Other,
        }
    }

    /// The class of a word the printer writes (a name, or a keyword's spelling): what the lexer would tag it.
    pub(crate) fn word(text: &str) -> TokenClass {
        TokenClass::Word(Keyword::lookup(text))
    }
}

/// Whether a token can begin the expression of `SELECT VALUE <expr>`.
pub(crate) fn starts_value_expr(next: TokenClass) -> bool {
    match next {
        TokenClass::Word(None) => true,
        TokenClass::Word(Some(keyword)) => {
            !keyword.is_reserved()
                || matches!(
                    keyword,
                    Keyword::Not | Keyword::Case | Keyword::True | Keyword::False | Keyword::Null
                )
        }
        TokenClass::Literal | TokenClass::LParen | TokenClass::LBrace | TokenClass::Minus => true,
        _ => false,
    }
}

/// Whether `*` after `SELECT VALUE` is the whole message used as a value rather than a multiplication: nothing
/// or a path follows it.
pub(crate) fn star_starts_value(after_star: TokenClass) -> bool {
    matches!(
        after_star,
        TokenClass::Dot
            | TokenClass::LBracket
            | TokenClass::End
            | TokenClass::Word(Some(Keyword::From | Keyword::Where))
    )
}

/// Whether a select clause whose first three tokens are these opens with `VALUE` used as the keyword.
pub(crate) fn opens_with_value_keyword(
    first: TokenClass,
    second: TokenClass,
    third: TokenClass,
) -> bool {
    first == TokenClass::Word(Some(Keyword::Value))
        && (starts_value_expr(second) || (second == TokenClass::Star && star_starts_value(third)))
}
