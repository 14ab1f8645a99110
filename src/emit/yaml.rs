//! CloudFormation YAML, written by hand over the JSON value.
//!
//! CloudFormation reads templates as YAML 1.1, and so do the tools around it (awscli's `deploy` and `package`,
//! cfn-lint, moto: all PyYAML). A YAML 1.2 writer such as serde_yaml leaves `on`, `yes`, `12:30:00`, `1_000`,
//! `=` and `<<` bare, and YAML 1.1 reads those as booleans, integers, the value key and the merge key. So every
//! string is written plain only when it is plainly a string to *both* versions; everything else is double-quoted,
//! with escapes for what cannot stand in a quoted line. The rule is deliberately wider than either resolver: a
//! string that starts with a digit, `+` or `.`, or that spells a boolean or null word in any case, is quoted
//! whether or not it would actually resolve, so no reader's number or date grammar has to be reproduced here.
//!
//! Intrinsic functions take the short forms CloudFormation users write: `{"Ref": "X"}` is `!Ref X`,
//! `{"Fn::GetAtt": ["X", "Arn"]}` is `!GetAtt X.Arn`, and every other `{"Fn::Name": v}` is `!Name v`.
//!
//! Layout: two-space indentation for mappings, sequences at their key's indentation (PyYAML's and cfn-flip's
//! style), no line folding, no document marker, keys in the order the JSON value holds them.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// The template as CloudFormation YAML, ending in a newline.
pub fn to_string(template: &Value) -> String {
    let mut out = String::with_capacity(4096);
    match template {
        Value::Object(map) if !map.is_empty() => write_entries(&mut out, map, 0),
        other => {
            write_inline(&mut out, other);
            out.push('\n');
        }
    }
    out
}

/// An intrinsic function call in its short form: the tag and the value it is applied to.
#[derive(Clone, Copy)]
enum Short<'a> {
    /// `!GetAtt Logical.Attribute`
    GetAtt(&'a str, &'a str),
    /// `!Name value`
    Tagged(&'a str, &'a Value),
}

fn short_form(map: &Map<String, Value>) -> Option<Short<'_>> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    let name = if key == "Ref" {
        "Ref"
    } else {
        key.strip_prefix("Fn::")
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric()))?
    };
    if name == "GetAtt"
        && let Value::Array(parts) = value
        && let [Value::String(resource), Value::String(attribute)] = parts.as_slice()
        // The short form splits at the first dot: a logical ID never has one, so only a malformed call is kept
        // long.
        && !resource.contains('.')
        && plain(resource)
        && plain(attribute)
    {
        return Some(Short::GetAtt(resource, attribute));
    }
    Some(Short::Tagged(name, value))
}

/// `key: value` lines of a non-empty mapping, at `indent`.
fn write_entries(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        write_scalar_str(out, key);
        out.push(':');
        write_after_key(out, value, indent, true);
    }
}

/// The short form of `value` when it is a call and a short form may stand here. A node takes one tag, so the
/// value of a short form that is itself a call is written long (`!Base64` over `Fn::Sub: ...`), as the
/// CloudFormation user guide asks.
fn call(value: &Value, short_allowed: bool) -> Option<Short<'_>> {
    match value {
        Value::Object(map) if short_allowed => short_form(map),
        _ => None,
    }
}

/// What follows `key:` (or a tag after it): a scalar on the same line, or a collection on the next lines.
fn write_after_key(out: &mut String, value: &Value, indent: usize, short_allowed: bool) {
    if let Some(short) = call(value, short_allowed) {
        write_short(out, short);
        match short {
            Short::GetAtt(..) => out.push('\n'),
            Short::Tagged(_, inner) => write_after_key(out, inner, indent, false),
        }
        return;
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_entries(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            pad(out, indent);
            write_items(out, items, indent);
        }
        scalar => {
            out.push(' ');
            write_inline(out, scalar);
            out.push('\n');
        }
    }
}

/// ` !GetAtt X.Y` or ` !Name`, on the current line.
fn write_short(out: &mut String, short: Short) {
    match short {
        Short::GetAtt(resource, attribute) => {
            let _ = write!(out, " !GetAtt {resource}.{attribute}");
        }
        Short::Tagged(name, _) => {
            let _ = write!(out, " !{name}");
        }
    }
}

/// `- item` lines of a non-empty sequence, at `indent`.
fn write_items(out: &mut String, items: &[Value], indent: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push('-');
        write_after_dash(out, item, indent + 2, true);
    }
}

/// What follows `- ` (or a tag after it): the item's content starts at column `inner`, its first line on the
/// dash's line when it is a scalar or an untagged collection.
fn write_after_dash(out: &mut String, value: &Value, inner: usize, short_allowed: bool) {
    if let Some(short) = call(value, short_allowed) {
        write_short(out, short);
        match short {
            Short::GetAtt(..) => out.push('\n'),
            Short::Tagged(_, inner_value) => match inner_value {
                // A collection under a tag starts on the next line, at the item's column.
                Value::Object(m) if !m.is_empty() => {
                    out.push('\n');
                    pad(out, inner);
                    write_entries(out, m, inner);
                }
                Value::Array(a) if !a.is_empty() => {
                    out.push('\n');
                    pad(out, inner);
                    write_items(out, a, inner);
                }
                scalar => {
                    out.push(' ');
                    write_inline(out, scalar);
                    out.push('\n');
                }
            },
        }
        return;
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push(' ');
            write_entries(out, map, inner);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push(' ');
            write_items(out, items, inner);
        }
        scalar => {
            out.push(' ');
            write_inline(out, scalar);
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar or an empty collection, on the current line.
fn write_inline(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_scalar_str(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Integers as JSON writes them; other numbers in the one float form both YAML versions read as a float: a
/// mantissa with a dot and, if any, a signed exponent (`1.0e+20`). YAML 1.1 reads `1e20` as a string.
fn write_number(out: &mut String, n: &Number) {
    if n.is_i64() || n.is_u64() {
        let _ = write!(out, "{n}");
        return;
    }
    let text = n.to_string();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (text.as_str(), None),
    };
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    if let Some(e) = exponent {
        out.push('e');
        if !e.starts_with(['+', '-']) {
            out.push('+');
        }
        out.push_str(e);
    }
}

fn write_scalar_str(out: &mut String, s: &str) {
    if plain(s) {
        out.push_str(s);
    } else {
        write_double_quoted(out, s);
    }
}

/// Words that YAML 1.1 or YAML 1.2 read as a boolean or as null, in any case (`y`/`n` are YAML 1.1 booleans in
/// the specification's regexp, though PyYAML does not implement them).
const WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
];

/// Characters that may not start a plain scalar (YAML's indicators), plus the reserved `@` and `` ` ``.
const INDICATORS: &str = "-?:,[]{}#&*!|>'\"%@`";

/// Whether `s` can be written without quotes and read back as this same string by YAML 1.1 and 1.2 readers.
pub(crate) fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false; // the empty scalar is null
    };
    if INDICATORS.contains(first)
        || first.is_ascii_digit()
        || first == '+'
        || first == '.'
        || first == ' '
        || s.ends_with(' ')
        || s.ends_with(':')
    {
        return false;
    }
    // Printable ASCII only: anything else is written in double quotes, where no reader can mistake it.
    if !s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") {
        return false;
    }
    if s == "=" || s == "<<" {
        return false; // YAML 1.1's value and merge keys
    }
    !WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// `"..."` with YAML's escapes for what a double-quoted line cannot hold as it is: the quote and backslash, C0
/// and C1 controls, DEL, the Unicode line and paragraph separators (YAML 1.1 line breaks), the byte-order mark and
/// the noncharacters U+FFFE and U+FFFF.
fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if c < ' ' || ('\u{7f}'..='\u{9f}').contains(&c) => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(v: Value) -> String {
        to_string(&v)
    }

    /// How one string value is written, as the value of key `k`.
    fn scalar(s: &str) -> String {
        let text = yaml(json!({ "k": s }));
        text.strip_prefix("k: ")
            .and_then(|t| t.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("one line expected: {text:?}"))
            .to_owned()
    }

    /// Every class of string a YAML 1.1 or 1.2 reader would take for something else, each written quoted.
    #[test]
    fn ambiguous_strings_are_quoted() {
        let cases: &[(&str, &[&str])] = &[
            (
                "YAML 1.1 booleans, every spelling",
                &[
                    "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "true", "True",
                    "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
                ],
            ),
            ("null words", &["null", "Null", "NULL", "~", ""]),
            (
                "integers",
                &[
                    "0", "4711", "-1", "+1", "1_000", "0o17", "017", "0x1F", "0X1f", "0b101",
                    "-0b1", "+0x_1",
                ],
            ),
            (
                "sexagesimal",
                &["1:30", "12:30:00", "-1:30", "190:20:30.15"],
            ),
            (
                "floats",
                &[
                    "1.5",
                    "-.5",
                    ".5",
                    "1e3",
                    "1E-3",
                    "1.0e+3",
                    "6.8523015e+5",
                    "1_000.5",
                    ".inf",
                    ".Inf",
                    "-.INF",
                    "+.inf",
                    ".nan",
                    ".NaN",
                    ".NAN",
                ],
            ),
            (
                "dates and timestamps",
                &[
                    "2010-09-09",
                    "2012-10-17",
                    "2016-03-23",
                    "2001-12-14t21:59:43.10-05:00",
                    "2001-12-14 21:59:43.10 -5",
                    "2002-12-14",
                ],
            ),
            ("value and merge keys", &["=", "<<"]),
            (
                "indicators",
                &[
                    "- x", "-x", "? x", ": x", ",x", "[x", "]x", "{x", "}x", "#x", "&a", "*a",
                    "!tag", "|", ">", "'x", "\"x", "%x", "@x", "`x", "-", "?", ":",
                ],
            ),
            (
                "spaces, comments and keys inside",
                &[" x", "x ", " ", "a: b", "a:", "x #y", "a\tb"],
            ),
            (
                "line breaks and controls",
                &[
                    "a\nb",
                    "a\rb",
                    "a\u{85}b",
                    "a\u{2028}b",
                    "a\u{2029}b",
                    "\u{feff}x",
                    "a\u{0}b",
                    "a\u{7f}b",
                ],
            ),
        ];
        for (class, strings) in cases {
            for s in *strings {
                let written = scalar(s);
                assert!(
                    written.starts_with('"'),
                    "{class}: {s:?} written bare as {written}"
                );
            }
        }
    }

    #[test]
    fn ordinary_strings_stay_bare() {
        for s in [
            "AWS::DynamoDB::Table",
            "Retain",
            "iot.amazonaws.com",
            "sts:AssumeRole",
            "/",
            "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:rule/*",
            "SELECT * FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            "Every connect and disconnect of every device",
            "=x",
            "<<x",
            "yes please",
            "x:y",
            "a#b",
        ] {
            assert_eq!(scalar(s), s);
        }
    }

    #[test]
    fn escapes_are_yaml_escapes() {
        assert_eq!(
            scalar("a\"b\\c"),
            "a\"b\\c",
            "inside a plain scalar both are plain characters"
        );
        assert_eq!(scalar("\"a\\b "), r#""\"a\\b ""#);
        assert_eq!(scalar("a\nb\tc"), r#""a\nb\tc""#);
        assert_eq!(scalar("\u{1}\u{85}\u{2028}\u{feff}"), r#""\x01\N\L\uFEFF""#);
        assert_eq!(scalar("héllo wörld"), "\"héllo wörld\"");
        assert_eq!(scalar("🦀"), "\"🦀\"");
    }

    #[test]
    fn intrinsics_take_the_short_forms() {
        let v = json!({
            "A": {"Ref": "AWS::AccountId"},
            "B": {"Fn::GetAtt": ["Table", "Arn"]},
            "C": {"Fn::Sub": "${AWS::StackName}-x"},
            "D": {"Fn::Join": ["", ["a", {"Ref": "X"}]]},
            "E": [{"Fn::GetAtt": ["Q", "Arn"]}, {"Fn::Sub": ["${a}", {"a": {"Ref": "Z"}}]}],
            "F": {"Fn::GetAtt": ["Db", {"Ref": "Attr"}]},
            "G": {"Fn::Base64": {"Fn::Sub": "x"}},
            "Condition": {"StringEquals": {"k": "v"}},
        });
        assert_eq!(
            yaml(v),
            "\
A: !Ref AWS::AccountId
B: !GetAtt Table.Arn
C: !Sub ${AWS::StackName}-x
D: !Join
- \"\"
- - a
  - !Ref X
E:
- !GetAtt Q.Arn
- !Sub
  - ${a}
  - a: !Ref Z
F: !GetAtt
- Db
- !Ref Attr
G: !Base64
  Fn::Sub: x
Condition:
  StringEquals:
    k: v
"
        );
    }

    #[test]
    fn mappings_that_only_look_like_calls_stay_mappings() {
        let v = json!({"a": {"Ref": "X", "Other": 1}, "b": {"Fn::": 1}, "c": {"NotFn::X": 1}});
        assert_eq!(
            yaml(v),
            "a:\n  Ref: X\n  Other: 1\nb:\n  \"Fn::\": 1\nc:\n  NotFn::X: 1\n"
        );
    }

    #[test]
    fn scalars_collections_and_numbers() {
        let v = json!({"t": true, "nil": null, "i": -3, "u": 18446744073709551615u64, "f": 1.5, "e": 1e20,
                       "s": [], "m": {}, "l": [[1, 2], {"a": 1, "b": [3]}]});
        assert_eq!(
            yaml(v),
            "t: true\nnil: null\ni: -3\nu: 18446744073709551615\nf: 1.5\ne: 1.0e+20\ns: []\nm: {}\nl:\n- - 1\n  - 2\n- a: 1\n  b:\n  - 3\n"
        );
    }
}
