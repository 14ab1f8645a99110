//! `regexp_matches(s, pattern)`, `regexp_replace(s, pattern, replacement)` and `regexp_substr(s, pattern)`
//! (page `iot-sql-functions`). AWS runs them with Java's `java.util.regex`; here the pattern is rewritten for
//! the `regex` crate by [`super::java_regex`], which keeps Java's meaning or says why it cannot.
//!
//! * The string argument takes the standard string conversions; Null and Undefined give Undefined.
//! * The pattern must be a string (or number) literal, so that it is checked before the rule runs: a pattern
//!   that uses what the simulator's engine lacks (backreferences, lookaround, possessive quantifiers, ...) is
//!   refused with the feature named, never run with another meaning. A pattern Java rejects gives Undefined
//!   (documented: "If the (converted) argument is not valid regex, the result is Undefined").
//! * `regexp_matches` is Java's `Matcher.find()`: a match anywhere (documented: "contains a match").
//! * `regexp_replace` is Java's `replaceAll`: every match, empty ones included, found where Java finds them
//!   (after an empty match the search moves one character on; after a non-empty one an empty match right at
//!   its end still counts: `regexp_replace('abc', 'b*', '-')` is "-a--c-"). The replacement reads `$n` (the
//!   longest group number that exists), `${name}` and `\x` (a literal x) as Java does; a reference to a group
//!   that does not exist, a lone `$` or a trailing `\` give Undefined (documented: not a valid replacement),
//!   but only when there is a match, as in Java.
//! * `regexp_substr` is the first match (`find()` then `group()`); no match gives Undefined (inferred: the page
//!   is silent).
//!
//! Java's `$` also matches before a line terminator that ends the string (`regexp_replace('abc\n', 'c$',
//! 'X')` is "abX\n"), and so does the evaluator's when that terminator (`\n`, `\r`, `\r\n`) is the string's
//! only one. Known differences with Java, on data the checks cannot see: `$` on a string that has line
//! terminators inside it as well as at its end, or ends in U+0085, U+2028 or U+2029; `\b` treats non-ASCII
//! letters as word characters, as Java did before version 19 (Java 19 made it ASCII, like `\w`); an empty match
//! moves the search on by one Unicode character, Java by one UTF-16 unit.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Captures, Regex};

use super::java_regex::{Untranslatable, translate};
use crate::sql::ast::{Expr, ExprKind};
use crate::sql::eval::convert::to_str;
use crate::sql::eval::evaluated::Evaluated;
use crate::sql::eval::value::Value;

/// Patterns compile to automata no larger than this (the `regex` crate's own default is 10 MiB).
const SIZE_LIMIT: usize = 1 << 20;
/// How many compiled patterns a thread keeps; rules use a handful.
const CACHE_SIZE: usize = 64;

/// A Java pattern compiled: its rewrite, and the one for strings ending in their only line terminator.
#[derive(Clone)]
struct Compiled {
    pattern: Regex,
    before_final_terminator: Option<Regex>,
}

impl Compiled {
    /// The rewrite whose matches are Java's on `s`.
    fn for_string(&self, s: &str) -> &Regex {
        let is_terminator = |c: char| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
        match &self.before_final_terminator {
            Some(re) if s.contains(is_terminator) => {
                let body = s
                    .strip_suffix("\r\n")
                    .or_else(|| s.strip_suffix(['\n', '\r']));
                match body {
                    Some(body) if !body.contains(is_terminator) => re,
                    _ => &self.pattern,
                }
            }
            _ => &self.pattern,
        }
    }
}

thread_local! {
    /// Compiled patterns by their Java text (`None`: Java rejects the pattern), so that a rule run on many
    /// messages compiles each of its patterns once.
    static COMPILED: RefCell<HashMap<String, Option<Compiled>>> = RefCell::new(HashMap::new());
}

/// Why a pattern literal cannot be run here, completing "`regexp_...` cannot be simulated: ..."; `None` when it
/// can (or when Java rejects it too, which gives Undefined at run time).
pub(super) fn check_pattern(pattern: &Expr) -> Option<String> {
    let text = match &pattern.kind {
        ExprKind::String(s) => s.clone(),
        ExprKind::Number(n) => n.clone(),
        _ => {
            return Some(
                "its pattern must be a string literal, so that it is checked against Java's regular \
                 expression syntax before the rule runs"
                    .to_owned(),
            );
        }
    };
    match translate(&text) {
        Ok(rust) => std::iter::once(&rust.pattern)
            .chain(&rust.before_final_terminator)
            .find_map(|p| build(p).err())
            .map(|e| {
                format!("the simulator's regular expression engine cannot compile its pattern: {e}")
            }),
        Err(Untranslatable::Invalid) => None,
        Err(Untranslatable::Unsupported(feature)) => Some(format!(
            "its pattern uses {feature}, which the simulator's regular expression engine (the `regex` crate) \
             does not have; rewrite the pattern without it"
        )),
    }
}

fn build(rust: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(rust)
        .size_limit(SIZE_LIMIT)
        .build()
}

/// The compiled form of a Java pattern; `None` when Java rejects it (or, which the compile-time check rules
/// out for literals, when `regex` cannot run it).
fn compiled(pattern: &str) -> Option<Compiled> {
    COMPILED.with(|cache| {
        if let Some(re) = cache.borrow().get(pattern) {
            return re.clone();
        }
        let re = translate(pattern).ok().and_then(|rust| {
            Some(Compiled {
                pattern: build(&rust.pattern).ok()?,
                before_final_terminator: match &rust.before_final_terminator {
                    Some(p) => Some(build(p).ok()?),
                    None => None,
                },
            })
        });
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_SIZE {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), re.clone());
        re
    })
}

/// The string and the compiled pattern of a call, or `None` for Undefined.
fn operands(s: &Evaluated<'_>, pattern: &Evaluated<'_>) -> Option<(String, Regex)> {
    let s = to_str(s)?.into_owned();
    let re = compiled(&to_str(pattern)?)?.for_string(&s).clone();
    Some((s, re))
}

pub(super) fn matches(s: &Evaluated<'_>, pattern: &Evaluated<'_>) -> Value {
    operands(s, pattern).map_or(Value::Undefined, |(s, re)| Value::Bool(re.is_match(&s)))
}

pub(super) fn substr(s: &Evaluated<'_>, pattern: &Evaluated<'_>) -> Value {
    operands(s, pattern)
        .and_then(|(s, re)| re.find(&s).map(|m| Value::String(m.as_str().to_owned())))
        .unwrap_or(Value::Undefined)
}

pub(super) fn replace(
    s: &Evaluated<'_>,
    pattern: &Evaluated<'_>,
    replacement: &Evaluated<'_>,
) -> Value {
    let (Some((s, re)), Some(replacement)) = (operands(s, pattern), to_str(replacement)) else {
        return Value::Undefined;
    };
    replace_all(&s, &re, &replacement).map_or(Value::Undefined, Value::String)
}

/// Java's `Matcher.replaceAll`; `None` when the replacement is not valid for a match.
fn replace_all(s: &str, re: &Regex, replacement: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut from = 0;
    while from <= s.len() {
        let Some(caps) = re.captures_at(s, from) else {
            break;
        };
        let Some(whole) = caps.get(0) else {
            break;
        };
        out.push_str(&s[copied..whole.start()]);
        expand(&mut out, &caps, re, replacement)?;
        copied = whole.end();
        from = if whole.is_empty() {
            // One character on (Java: one UTF-16 unit).
            s[whole.end()..]
                .chars()
                .next()
                .map_or(s.len() + 1, |c| whole.end() + c.len_utf8())
        } else {
            whole.end()
        };
    }
    out.push_str(&s[copied..]);
    Some(out)
}

/// Appends `replacement` for one match, as Java's `appendReplacement` reads it; `None` where Java throws.
fn expand(out: &mut String, caps: &Captures<'_>, re: &Regex, replacement: &str) -> Option<()> {
    let groups = caps.len() - 1;
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '$' => {
                let index = if chars.peek() == Some(&'{') {
                    chars.next();
                    let mut name = String::new();
                    while let Some(&c) = chars.peek().filter(|c| c.is_ascii_alphanumeric()) {
                        name.push(c);
                        chars.next();
                    }
                    if name.is_empty() || chars.next() != Some('}') {
                        return None;
                    }
                    re.capture_names().position(|n| n == Some(name.as_str()))?
                } else {
                    let mut index = chars.next()?.to_digit(10)? as usize;
                    // The longest group number that exists.
                    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let longer = index * 10 + d as usize;
                        if longer > groups {
                            break;
                        }
                        index = longer;
                        chars.next();
                    }
                    if index > groups {
                        return None;
                    }
                    index
                };
                if let Some(m) = caps.get(index) {
                    out.push_str(m.as_str());
                }
            }
            c => out.push(c),
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use crate::sql::eval::value::Value;

    /// (expression, result): the page's examples first, then Java's behaviour on the cases the page leaves to
    /// java.util.regex (each checked against Java 17's `Pattern`, see `scripts/java-regex-check`).
    const MATCHES: &[(&str, Value)] = &[
        ("regexp_matches('aaaa', 'a{2,}')", T),
        ("regexp_matches('aaaa', 'b')", F),
        ("regexp_matches('xaaay', 'a+')", T),
        ("regexp_matches('abc', '^b')", F),
        ("regexp_matches('ABC', '(?i)abc')", T),
        // Java's \d and \w are ASCII.
        (r"regexp_matches('٣', '\\d')", F),
        (r"regexp_matches('é', '^\\w$')", F),
        // Java's . stops at \r too.
        (r"regexp_matches('a\rb', 'a.b')", F),
        (r"regexp_matches('a\rb', '(?s)a.b')", T),
        ("regexp_matches(123, '2')", T),
        (r"regexp_matches('a.c', '\\Q.\\E')", T),
        (r"regexp_matches('abc', '\\Q.\\E')", F),
        ("regexp_matches(missing, 'a')", U),
        ("regexp_matches(null, 'a')", U),
        // Patterns Java rejects: Undefined.
        ("regexp_matches('a', '(a')", U),
        ("regexp_matches('a', 'a)')", U),
        ("regexp_matches('a', '[a')", U),
        ("regexp_matches('a', '*a')", U),
        ("regexp_matches('a', 'x{2,1}')", U),
        ("regexp_matches('a', 'a**')", U),
        (r"regexp_matches('a', '\\y')", U),
    ];

    #[test]
    fn regexp_matches_examples() {
        for (expr, expected) in MATCHES {
            assert_eq!(val(expr), *expected, "{expr}");
        }
    }

    #[test]
    fn regexp_replace_examples() {
        let cases: &[(&str, &str)] = &[
            ("regexp_replace('abcd', 'bc', 'x')", "axd"),
            ("regexp_replace('abcd', 'b(.*)d', '$1')", "ac"),
            ("regexp_replace('abc', 'b*', '-')", "-a--c-"),
            ("regexp_replace('abc', 'x*', '-')", "-a-b-c-"),
            ("regexp_replace('aaa', 'a', '$0$0')", "aaaaaa"),
            // $12 with one group is group 1, then "2".
            ("regexp_replace('abc', '(b)', '$12')", "ab2c"),
            (r"regexp_replace('abc', '(b)', '\\$')", "a$c"),
            ("regexp_replace('abc', '(?<mid>b)', '[${mid}]')", "a[b]c"),
            ("regexp_replace('abc', '(x)?b', '[$1]')", "a[]c"),
            (r"regexp_replace('héllo', '\\w+', 'X')", "XéX"),
            ("regexp_replace('a-b-c', '-', '')", "abc"),
            // An invalid replacement only matters when something matches.
            ("regexp_replace('abc', 'x', '$9')", "abc"),
        ];
        for (expr, expected) in cases {
            assert_eq!(val(expr), s(expected), "{expr}");
        }
        for expr in [
            "regexp_replace('abc', 'b', '$9')",
            "regexp_replace('abc', 'b', '$')",
            r"regexp_replace('abc', 'b', 'x\\')",
            "regexp_replace('abc', 'b', '${nope}')",
            "regexp_replace('abc', '(', 'x')",
            "regexp_replace(null, 'b', 'x')",
            "regexp_replace('abc', 'b', missing)",
        ] {
            assert_eq!(val(expr), U, "{expr}");
        }
    }

    #[test]
    fn regexp_substr_examples() {
        let cases: &[(&str, Value)] = &[
            ("regexp_substr('hihihello', 'hi')", s("hi")),
            ("regexp_substr('hihihello', '(hi)*')", s("hihi")),
            ("regexp_substr('sensor-42-x', '[0-9]+')", s("42")),
            ("regexp_substr('abc', 'x')", U),
            ("regexp_substr(missing, 'x')", U),
            ("regexp_substr('abc', '[')", U),
        ];
        for (expr, expected) in cases {
            assert_eq!(val(expr), *expected, "{expr}");
        }
    }

    /// Java's answers, recorded by `scripts/java-regex-check` (java.util.regex of Java 17), for the cases of
    /// `regexp_java_cases.tsv`: the evaluator gives the same answer for each, or refuses the pattern before the
    /// rule runs. `<no match>` (substr without a match) is Undefined here; `<undefined>` is Java throwing.
    #[test]
    fn java_regex_cases() {
        use crate::sql::eval::{EvalError, Input, evaluate_expr};
        use crate::sql::parse_expr;
        let (mut agreed, mut refused) = (0, Vec::new());
        for line in include_str!("regexp_java_cases.tsv").lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let f: Vec<String> = line.split('\t').map(unescape).collect();
            let [function, input, pattern, replacement, java] = f.as_slice() else {
                panic!("five fields: {line}");
            };
            let expr = match function.as_str() {
                "replace" => format!(
                    "regexp_replace({}, {}, {})",
                    sql(input),
                    sql(pattern),
                    sql(replacement)
                ),
                other => format!("regexp_{other}({}, {})", sql(input), sql(pattern)),
            };
            let payload = serde_json::json!({});
            let parsed = parse_expr(&expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            let got = match evaluate_expr(&parsed, &Input::new("t", &payload)) {
                Ok(v) => v,
                Err(EvalError::UnsupportedArguments { .. }) => {
                    refused.push(line.to_owned());
                    continue;
                }
                Err(e) => panic!("{expr}: {e}"),
            };
            let expected = match java.as_str() {
                "<undefined>" | "<no match>" => U,
                "true" if function == "matches" => T,
                "false" if function == "matches" => F,
                other => s(other),
            };
            assert_eq!(got, expected, "{line}");
            agreed += 1;
        }
        assert_eq!(refused, Vec::<String>::new(), "refused");
        assert!(agreed >= 80, "{agreed} cases");
    }

    /// The file's escapes: \t \n \r \\ and \u with four hex digits.
    fn unescape(field: &str) -> String {
        let mut out = String::new();
        let mut chars = field.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                    out.push(code.unwrap_or_else(|| panic!("\\u{hex}")));
                }
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    }

    /// A SQL string literal of `text`, in the lexer's escapes.
    fn sql(text: &str) -> String {
        crate::sql::print::quote(text)
    }
}
