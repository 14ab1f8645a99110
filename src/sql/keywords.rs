//! The keywords of IoT SQL, in one table: each word, its canonical spelling and whether it is reserved (cannot
//! name a field, alias, function or type). The lexer tags every word with its keyword once
//! ([`super::lex::Word`]); the parser compares tags, never text. As in sqlparser-rs's `keywords.rs`.

/// Declares [`Keyword`] and its table from one list, so a word cannot be added to one and not the other.
macro_rules! keywords {
    ($($(#[$doc:meta])* $keyword:ident = $text:literal, reserved: $reserved:literal;)*) => {
        /// A keyword of IoT SQL, whatever its case in the source.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Keyword {
            $($(#[$doc])* $keyword,)*
        }

        /// Every keyword, its canonical spelling and whether it is reserved.
        const TABLE: &[(Keyword, &str, bool)] = &[$((Keyword::$keyword, $text, $reserved),)*];
    };
}

keywords! {
    And = "AND", reserved: true;
    As = "AS", reserved: true;
    Case = "CASE", reserved: true;
    /// A keyword only before `(`: `cast` is also a common field name.
    Cast = "CAST", reserved: false;
    Else = "ELSE", reserved: true;
    End = "END", reserved: true;
    False = "FALSE", reserved: true;
    From = "FROM", reserved: true;
    In = "IN", reserved: true;
    Not = "NOT", reserved: true;
    Null = "NULL", reserved: true;
    Or = "OR", reserved: true;
    Select = "SELECT", reserved: true;
    /// A keyword only where a statement starts: `set` is also a plausible field name.
    Set = "SET", reserved: false;
    Then = "THEN", reserved: true;
    True = "TRUE", reserved: true;
    /// A keyword only right after `SELECT`, and then only when an expression follows
    /// ([`super::value_keyword`]): `value` is also a common field name.
    Value = "VALUE", reserved: false;
    When = "WHEN", reserved: true;
    Where = "WHERE", reserved: true;
}

impl Keyword {
    /// The keyword `word` spells, in any case.
    pub(crate) fn lookup(word: &str) -> Option<Keyword> {
        TABLE
            .iter()
            .find(|(_, text, _)| text.eq_ignore_ascii_case(word))
            .map(|(keyword, _, _)| *keyword)
    }

    /// The canonical (upper-case) spelling.
    pub(crate) fn as_str(self) -> &'static str {
        self.entry().1
    }

    /// Whether the word cannot be used as an identifier.
    pub(crate) fn is_reserved(self) -> bool {
        self.entry().2
    }

    fn entry(self) -> &'static (Keyword, &'static str, bool) {
        // The table lists the keywords in the order the enum declares them.
        &TABLE[self as usize]
    }
}

/// Whether `word` is reserved and so cannot be used as an identifier.
pub fn is_reserved_word(word: &str) -> bool {
    Keyword::lookup(word).is_some_and(Keyword::is_reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_enum_order() {
        for (i, (keyword, text, _)) in TABLE.iter().enumerate() {
            assert_eq!(*keyword as usize, i, "{text}");
            assert_eq!(Keyword::lookup(text), Some(*keyword));
            assert_eq!(Keyword::lookup(&text.to_ascii_lowercase()), Some(*keyword));
        }
    }

    #[test]
    fn reserved_words() {
        for word in [
            "SELECT", "from", "Where", "AS", "and", "OR", "NOT", "in", "TRUE", "false", "NULL",
            "case", "WHEN", "then", "ELSE", "end",
        ] {
            assert!(is_reserved_word(word), "{word}");
        }
        for word in ["value", "VALUE", "cast", "set", "SET", "selected", "x", ""] {
            assert!(!is_reserved_word(word), "{word}");
        }
        assert_eq!(Keyword::lookup("Cast"), Some(Keyword::Cast));
        assert_eq!(Keyword::lookup("values"), None);
        assert_eq!(Keyword::Then.as_str(), "THEN");
    }
}
