//! Java's regular expressions (`java.util.regex.Pattern`, what AWS IoT's `regexp_*` functions run) rewritten
//! for the `regex` crate, or the reason they cannot be.
//!
//! The two syntaxes agree on most of what rules use: literals, `.`, classes, `|`, groups (named ones too),
//! greedy and lazy quantifiers, `^`, `\b`, `\A`, `\z`, the inline flags `i` and `s`. Where the same text means
//! something else, it is rewritten so that the match is Java's:
//! * `\d \w \s` (and `\D \W \S`) are ASCII in Java, Unicode in `regex`: they become explicit ASCII classes;
//! * `.` excludes every Java line terminator (`\n`, `\r`, U+0085, U+2028, U+2029), not only `\n`;
//! * `\Q...\E` quotes, `\e` and `\cX` are written as escaped literals;
//! * `i` folds ASCII letters only (Java without `u`), where `regex`'s `(?i)` folds all of Unicode (the Kelvin
//!   sign into `k`): the rewrite spells both cases out (`k` is `[kK]`, `[a-c]` is `[a-cA-C]`) and passes no
//!   flag on; `s` too is applied by the rewrite, to `.`.
//!
//! What `regex` cannot do, or does differently in a way no rewrite fixes, is [`Untranslatable::Unsupported`]:
//! backreferences, lookahead and lookbehind, atomic groups, possessive quantifiers, `\G \Z \R \X \h \H \v \V`,
//! octal escapes, UTF-16 surrogate escapes, Java's named classes (`\p{Lower}`, `\p{javaLowerCase}`, ...; the
//! Unicode general categories `\p{L}`, `\p{Lu}`... are the same and pass, but not under `i`), POSIX brackets
//! inside classes, class difference, and the flags `d m u x U` (`m`: Java's line terminators differ; `U` means
//! something else in `regex`). Patterns Java
//! itself rejects (an unclosed group or class, a quantifier with nothing to repeat, `{2,1}`, a trailing `\`,
//! an unknown escape letter) are [`Untranslatable::Invalid`]: AWS gives Undefined for those.
//!
//! Java's `$` (without `m`) matches at the end and before a line terminator that ends the string; `regex`'s
//! only at the end. So a pattern with `$` has a second rewrite for strings whose one line terminator ends them
//! ([`Translated::before_final_terminator`]). Differences that remain (documented for users in the
//! functions' module): `$` on a string with line terminators inside it and at its end; `\b` is Unicode-aware,
//! as in Java before 19.

use std::fmt::Write as _;

/// Why a Java pattern has no `regex` equivalent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Untranslatable {
    /// Java rejects it too: the function gives Undefined.
    Invalid,
    /// Java accepts it, `regex` cannot match it the same way: names the feature.
    Unsupported(&'static str),
}

use Untranslatable::{Invalid, Unsupported};

/// The ASCII classes of Java's `\d \w \s`, as class items.
const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = "\\t\\n\\x0B\\x0C\\r ";
/// What Java's `.` does not match unless `s` (DOTALL) is on.
const NOT_LINE_TERMINATOR: &str = "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]";

/// The Unicode general categories, which Java's `\p{..}` and `regex`'s name alike.
const CATEGORIES: &[&str] = &[
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc",
    "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C",
    "Cc", "Cf", "Co", "Cn",
];

/// A Java pattern in `regex` syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Translated {
    /// Java's matches on a string without line terminators, or whose only one is not final.
    pub(super) pattern: String,
    /// For a pattern with `$`: Java's matches on a string whose only line terminator (`\n`, `\r` or `\r\n`)
    /// ends it, where Java's `$` also matches before that terminator (`$` is `regex`'s CRLF-aware `(?mR:$)`).
    pub(super) before_final_terminator: Option<String>,
}

/// Rewrites a Java pattern into `regex` syntax with the same matches.
pub(super) fn translate(java: &str) -> Result<Translated, Untranslatable> {
    let pattern = translate_with(java, "$")?;
    let before_final_terminator = if pattern.dollars {
        Some(translate_with(java, "(?mR:$)")?.out)
    } else {
        None
    };
    Ok(Translated {
        pattern: pattern.out,
        before_final_terminator,
    })
}

fn translate_with(java: &str, dollar: &'static str) -> Result<Translator, Untranslatable> {
    Translator {
        chars: java.chars().collect(),
        at: 0,
        dollar,
        dollars: false,
        out: String::with_capacity(java.len() + 16),
        flags: vec![Flags::default()],
        can_repeat: false,
    }
    .run()
}

/// Java's inline flags that change what the rewrite emits.
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    /// `s`: `.` matches line terminators too.
    dotall: bool,
    /// `i`: ASCII letters match either case (Java's CASE_INSENSITIVE without UNICODE_CASE), written out as
    /// classes (`[kK]`) because `regex`'s `(?i)` also folds other letters (the Kelvin sign into `k`).
    icase: bool,
}

struct Translator {
    chars: Vec<char>,
    at: usize,
    /// What Java's `$` becomes.
    dollar: &'static str,
    /// Whether the pattern has a `$` outside classes.
    dollars: bool,
    out: String,
    /// The flags in force, per open group (the last is the innermost).
    flags: Vec<Flags>,
    /// Whether the last item can take a quantifier (false at the start, after `(`, `|` and quantifiers).
    can_repeat: bool,
}

impl Translator {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn current(&self) -> Flags {
        self.flags.last().copied().unwrap_or_default()
    }

    fn run(mut self) -> Result<Translator, Untranslatable> {
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '\\' => {
                    self.escape()?;
                    self.can_repeat = true;
                }
                '.' => {
                    if self.current().dotall {
                        self.out.push_str("(?s:.)");
                    } else {
                        self.out.push_str(NOT_LINE_TERMINATOR);
                    }
                    self.can_repeat = true;
                }
                '[' => {
                    self.class()?;
                    self.can_repeat = true;
                }
                '(' => self.group()?,
                ')' => {
                    if self.flags.len() < 2 {
                        return Err(Invalid);
                    }
                    self.flags.pop();
                    self.out.push(')');
                    self.can_repeat = true;
                }
                '*' | '+' | '?' => {
                    self.out.push(c);
                    self.quantified()?;
                }
                '{' => {
                    self.counted()?;
                    self.quantified()?;
                }
                '|' => {
                    self.out.push('|');
                    self.can_repeat = false;
                }
                '^' => {
                    self.out.push(c);
                    self.can_repeat = true;
                }
                '$' => {
                    self.out.push_str(self.dollar);
                    self.dollars = true;
                    // Java repeats an anchor without complaint; so does `regex`.
                    self.can_repeat = true;
                }
                c => {
                    self.literal(c);
                    self.can_repeat = true;
                }
            }
        }
        if self.flags.len() > 1 {
            return Err(Invalid);
        }
        Ok(self)
    }

    /// After a quantifier: Java's `?` (lazy) passes, `+` (possessive) has no equivalent; nothing may follow
    /// that repeats the quantifier itself.
    fn quantified(&mut self) -> Result<(), Untranslatable> {
        if !self.can_repeat {
            return Err(Invalid);
        }
        match self.peek(0) {
            Some('?') => {
                self.at += 1;
                self.out.push('?');
            }
            Some('+') => {
                return Err(Unsupported(
                    "a possessive quantifier (`*+`, `++`, `?+`, `{n}+`)",
                ));
            }
            _ => {}
        }
        if matches!(self.peek(0), Some('*' | '+' | '?')) {
            return Err(Invalid);
        }
        self.can_repeat = false;
        Ok(())
    }

    /// `{n}`, `{n,}`, `{n,m}` after the `{`.
    fn counted(&mut self) -> Result<(), Untranslatable> {
        let digits = |t: &mut Translator| {
            let start = t.at;
            while t.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                t.at += 1;
            }
            let text: String = t.chars[start..t.at].iter().collect();
            (!text.is_empty()).then(|| text.parse::<u32>().ok())
        };
        let Some(Some(min)) = digits(self) else {
            return Err(Invalid);
        };
        let max = if self.peek(0) == Some(',') {
            self.at += 1;
            match digits(self) {
                None => None,
                Some(Some(max)) => Some(max),
                Some(None) => return Err(Invalid),
            }
        } else {
            Some(min)
        };
        if self.peek(0) != Some('}') || max.is_some_and(|max| max < min) {
            return Err(Invalid);
        }
        self.at += 1;
        let _ = match max {
            Some(max) if max == min => write!(self.out, "{{{min}}}"),
            Some(max) => write!(self.out, "{{{min},{max}}}"),
            None => write!(self.out, "{{{min},}}"),
        };
        Ok(())
    }

    /// After a `(`: a group, or one of Java's `(?...)` constructs.
    fn group(&mut self) -> Result<(), Untranslatable> {
        let outer = self.current();
        self.can_repeat = false;
        if self.peek(0) != Some('?') {
            self.flags.push(outer);
            self.out.push('(');
            return Ok(());
        }
        self.at += 1;
        match (self.peek(0), self.peek(1)) {
            (Some(':'), _) => {
                self.at += 1;
                self.flags.push(outer);
                self.out.push_str("(?:");
                Ok(())
            }
            (Some('=' | '!'), _) | (Some('<'), Some('=' | '!')) => Err(Unsupported(
                "lookahead or lookbehind (`(?=`, `(?!`, `(?<=`, `(?<!`)",
            )),
            (Some('>'), _) => Err(Unsupported("an atomic group (`(?>`)")),
            (Some('<'), _) => {
                self.at += 1;
                let start = self.at;
                while self.peek(0).is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.at += 1;
                }
                let name: String = self.chars[start..self.at].iter().collect();
                // Java: a letter, then letters and digits.
                if self.peek(0) != Some('>') || !name.starts_with(|c: char| c.is_ascii_alphabetic())
                {
                    return Err(Invalid);
                }
                self.at += 1;
                self.flags.push(outer);
                let _ = write!(self.out, "(?<{name}>");
                Ok(())
            }
            _ => self.flags(outer),
        }
    }

    /// `(?flags)` or `(?flags:...)` after the `(?`. The flags are applied by the rewrite itself, so none
    /// reaches `regex`.
    fn flags(&mut self, outer: Flags) -> Result<(), Untranslatable> {
        let mut flags = outer;
        let mut on = true;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(Invalid);
            };
            self.at += 1;
            match c {
                'i' => flags.icase = on,
                's' => flags.dotall = on,
                '-' if on => on = false,
                'm' => return Err(Unsupported("the flag `m` (Java's line terminators differ)")),
                'x' => return Err(Unsupported("the flag `x` (comments mode)")),
                'd' | 'u' | 'U' => return Err(Unsupported("the flags `d`, `u` and `U`")),
                ')' => {
                    if let Some(current) = self.flags.last_mut() {
                        *current = flags;
                    }
                    return Ok(());
                }
                ':' => {
                    self.flags.push(flags);
                    self.out.push_str("(?:");
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// A literal character, escaped where `regex` gives it a meaning (`]` and `}` included, which Java reads
    /// as literals outside a class); under `i`, an ASCII letter is a class of both cases.
    fn literal(&mut self, c: char) {
        if self.current().icase && c.is_ascii_alphabetic() {
            let _ = write!(
                self.out,
                "[{}{}]",
                c.to_ascii_lowercase(),
                c.to_ascii_uppercase()
            );
        } else {
            self.out.push_str(&escaped(c));
        }
    }

    /// After a `\` outside a class.
    fn escape(&mut self) -> Result<(), Untranslatable> {
        let Some(c) = self.peek(0) else {
            return Err(Invalid);
        };
        self.at += 1;
        match c {
            'd' => self.push_class(DIGIT, false),
            'D' => self.push_class(DIGIT, true),
            'w' => self.push_class(WORD, false),
            'W' => self.push_class(WORD, true),
            's' => self.push_class(SPACE, false),
            'S' => self.push_class(SPACE, true),
            'b' | 'B' | 'A' | 'z' => {
                self.out.push('\\');
                self.out.push(c);
            }
            'Q' => {
                let mut quoted = String::new();
                while let Some(q) = self.peek(0) {
                    if q == '\\' && self.peek(1) == Some('E') {
                        self.at += 2;
                        break;
                    }
                    quoted.push(q);
                    self.at += 1;
                }
                for q in quoted.chars() {
                    self.literal(q);
                }
            }
            'p' | 'P' => {
                let property = self.property()?;
                let _ = write!(self.out, "\\{c}{{{property}}}");
            }
            other => {
                let c = self.escaped_char(other)?;
                self.literal(c);
            }
        }
        Ok(())
    }

    /// The character an escape that means one character stands for, the same inside and outside classes.
    fn escaped_char(&mut self, c: char) -> Result<char, Untranslatable> {
        Ok(match c {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\x0C',
            'a' => '\x07',
            'e' => '\x1B',
            'x' => {
                let code = if self.peek(0) == Some('{') {
                    self.at += 1;
                    let hex = self.take_while(|c| c.is_ascii_hexdigit());
                    if self.peek(0) != Some('}') {
                        return Err(Invalid);
                    }
                    self.at += 1;
                    hex
                } else {
                    self.take_exactly(2)?
                };
                code_point(&code)?
            }
            'u' => code_point(&self.take_exactly(4)?)?,
            'c' => {
                let Some(x) = self.peek(0) else {
                    return Err(Invalid);
                };
                self.at += 1;
                char::from_u32(u32::from(x) ^ 64).ok_or(Invalid)?
            }
            '0' => return Err(Unsupported("an octal escape (`\\0n`)")),
            '1'..='9' | 'k' => return Err(Unsupported("a backreference (`\\1`, `\\k<name>`)")),
            'G' | 'Z' | 'R' | 'X' | 'N' | 'h' | 'H' | 'v' | 'V' | 'E' => {
                return Err(Unsupported(
                    "one of Java's escapes `\\G \\Z \\R \\X \\N \\h \\H \\v \\V \\E`",
                ));
            }
            c if c.is_ascii_alphanumeric() => return Err(Invalid),
            // Java lets `\` quote any other character.
            c => c,
        })
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.at;
        while self.peek(0).is_some_and(&keep) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    fn take_exactly(&mut self, n: usize) -> Result<String, Untranslatable> {
        let end = self.at + n;
        let hex: String = self
            .chars
            .get(self.at..end)
            .ok_or(Invalid)?
            .iter()
            .collect();
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Invalid);
        }
        self.at = end;
        Ok(hex)
    }

    /// The name after `\p` or `\P`: `L` or `{Lu}`, general categories only (also spelled `IsLu`).
    fn property(&mut self) -> Result<String, Untranslatable> {
        if self.current().icase {
            return Err(Unsupported("a named class (`\\p{..}`) under the flag `i`"));
        }
        let name = if self.peek(0) == Some('{') {
            self.at += 1;
            let name = self.take_while(|c| c != '}');
            if self.peek(0) != Some('}') {
                return Err(Invalid);
            }
            self.at += 1;
            name
        } else {
            let Some(c) = self.peek(0) else {
                return Err(Invalid);
            };
            self.at += 1;
            c.to_string()
        };
        let category = name.strip_prefix("Is").unwrap_or(&name);
        if CATEGORIES.contains(&category) {
            Ok(category.to_owned())
        } else {
            Err(Unsupported(
                "a named class other than a Unicode general category (`\\p{Lower}`, `\\p{Alpha}`, ...)",
            ))
        }
    }

    /// An ASCII class, outside brackets.
    fn push_class(&mut self, items: &str, negated: bool) {
        let _ = write!(self.out, "[{}{items}]", if negated { "^" } else { "" });
    }

    /// A bracketed class, after its `[`; nested classes and `&&` pass as `regex` reads them alike.
    fn class(&mut self) -> Result<(), Untranslatable> {
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.at += 1;
            self.out.push('^');
        }
        // A `]` first is a literal, in both.
        if self.peek(0) == Some(']') {
            self.at += 1;
            self.class_item(']')?;
        }
        loop {
            let Some(c) = self.peek(0) else {
                return Err(Invalid);
            };
            self.at += 1;
            match c {
                ']' => {
                    self.out.push(']');
                    return Ok(());
                }
                '[' => {
                    if self.peek(0) == Some(':') {
                        return Err(Unsupported("a POSIX bracket (`[:alpha:]`) inside a class"));
                    }
                    self.class()?;
                }
                '&' if self.peek(0) == Some('&') => {
                    self.at += 1;
                    self.out.push_str("&&");
                }
                '-' | '~' if self.peek(0) == Some(c) => {
                    return Err(Unsupported("`--` or `~~` inside a class"));
                }
                '\\' => {
                    if let Some(c) = self.class_escape()? {
                        self.class_item(c)?;
                    }
                }
                c => self.class_item(c)?,
            }
        }
    }

    /// One character of a class, or the start of a range `lo-hi`; under `i`, with the other case of its ASCII
    /// letters.
    fn class_item(&mut self, lo: char) -> Result<(), Untranslatable> {
        let hi = match (self.peek(0), self.peek(1)) {
            (Some('-'), Some(end)) if end != ']' => {
                self.at += 2;
                match end {
                    '\\' => self.class_escape()?.ok_or(Invalid)?,
                    '[' => return Err(Unsupported("a range that ends in a class (`[a-[b]]`)")),
                    c => c,
                }
            }
            _ => lo,
        };
        if hi < lo {
            return Err(Invalid);
        }
        self.push_range(lo, hi);
        if self.current().icase {
            for (from, to) in [('a', 'z'), ('A', 'Z')] {
                let (start, end) = (lo.max(from), hi.min(to));
                if start <= end {
                    let swap = |c: char| {
                        if c.is_ascii_lowercase() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    };
                    self.push_range(swap(start), swap(end));
                }
            }
        }
        Ok(())
    }

    fn push_range(&mut self, lo: char, hi: char) {
        self.out.push_str(&escaped(lo));
        if hi != lo {
            self.out.push('-');
            self.out.push_str(&escaped(hi));
        }
    }

    /// After a `\` inside a class: the character it stands for, or `None` when it wrote a class (`\d`, `\p{L}`).
    fn class_escape(&mut self) -> Result<Option<char>, Untranslatable> {
        let Some(c) = self.peek(0) else {
            return Err(Invalid);
        };
        self.at += 1;
        match c {
            'd' => self.out.push_str(DIGIT),
            'w' => self.out.push_str(WORD),
            's' => self.out.push_str(SPACE),
            'D' => self.push_class(DIGIT, true),
            'W' => self.push_class(WORD, true),
            'S' => self.push_class(SPACE, true),
            'p' | 'P' => {
                let property = self.property()?;
                let _ = write!(self.out, "\\{c}{{{property}}}");
            }
            'Q' | 'b' | 'B' | 'A' | 'z' => {
                return Err(Unsupported(
                    "`\\Q`, `\\b`, `\\B`, `\\A` or `\\z` inside a class",
                ));
            }
            other => return self.escaped_char(other).map(Some),
        }
        Ok(None)
    }
}

/// `c` as `regex` reads it literally, inside or outside a class.
fn escaped(c: char) -> String {
    let mut buf = [0; 4];
    regex::escape(c.encode_utf8(&mut buf))
}

/// A character by its hexadecimal code point.
fn code_point(hex: &str) -> Result<char, Untranslatable> {
    let code = u32::from_str_radix(hex, 16).map_err(|_| Invalid)?;
    if (0xD800..=0xDFFF).contains(&code) {
        // Java pairs two of these into one character; a Rust string has no such halves.
        return Err(Unsupported("a UTF-16 surrogate escape (`\\uD83D`)"));
    }
    char::from_u32(code).ok_or(Invalid)
}
