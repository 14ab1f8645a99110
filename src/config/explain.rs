//! serde_yaml's errors in the words of the config file. serde speaks of the Rust types a file is read into
//! (`invalid type: unit value, expected a boolean`, `expected struct KeyConfig`, `as u128`); the reader needs
//! what they wrote, in YAML's terms, and what to write instead, which [`super::expected`] keeps for every field.
//! YAML's own syntax errors pass through, except those a tab in the indentation causes, which get their own
//! message, and merge keys (`<<`), which serde_yaml does not apply and which are refused before parsing.

use super::expected::expected;
use super::{ParseProblem, Positions};
use crate::catalog::Id;

/// serde_yaml writes `path: message at line L column C`; split that into its parts, and say the message in the
/// config's words.
pub(super) fn from_yaml_error(e: &serde_yaml::Error, text: &str) -> ParseProblem {
    let mut full = e.to_string();
    let (line, column) = match e.location() {
        Some(loc) => {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            if let Some(stripped) = full.strip_suffix(&suffix) {
                full = stripped.to_owned();
            }
            (Some(loc.line()), Some(loc.column()))
        }
        None => (None, None),
    };
    // libyaml's words for a tab where it wanted indentation; a tab on a line with another error is left alone.
    let about_a_tab = ["tab character", "cannot start any token"]
        .iter()
        .any(|words| full.contains(words));
    if about_a_tab && let Some(problem) = line.and_then(|line| tab_indent(text, line)) {
        return problem;
    }
    let (path, message) = split_path(&full);
    let id = id_of(message);
    let message = match (line, column) {
        (Some(line), Some(column)) if path.is_empty() => syntax(message, text, line, column),
        _ => explain(path, message),
    };
    ParseProblem {
        id,
        path: path.to_owned(),
        message,
        line,
        column,
    }
}

/// A YAML syntax error as libyaml words it (`did not find expected key at line 3 column 5, while parsing a
/// block mapping at line 1 column 1`), without the position the message ends with anyway, and with where the
/// enclosing node starts said the way this tool says positions. An alias to no anchor names the alias.
fn syntax(message: &str, text: &str, line: usize, column: usize) -> String {
    if message == "unknown anchor" {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let alias: String = body
            .split('\n')
            .nth(line - 1)
            .map(|l| l.chars().skip(column - 1).collect::<String>())
            .filter(|rest| rest.starts_with('*'))
            .map(|rest| {
                rest.chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}'))
                    .collect()
            })
            .unwrap_or_else(|| "this alias".to_owned());
        return format!(
            "`{alias}` names no anchor written before it; write the anchor first (`&name` on a value), then the alias (`*name`)"
        );
    }
    if !SERDE_MESSAGES.iter().any(|m| message.starts_with(m)) {
        let here = format!(" at line {line} column {column}");
        if let Some((problem, context)) = message.split_once(", while ") {
            let problem = problem.strip_suffix(&here).unwrap_or(problem);
            let context = match context.rsplit_once(" at line ") {
                Some((what, at)) => match at.split_once(" column ") {
                    Some((l, c)) => format!("{what} that starts at line {l}, column {c}"),
                    None => context.to_owned(),
                },
                None => context.to_owned(),
            };
            // The two errors a line indented by one space too few or too many gives.
            let hint = if [
                "did not find expected '-' indicator",
                "did not find expected key",
            ]
            .contains(&problem)
            {
                "; indent this line as far as the other keys (or `-` items) of the mapping (or list) it belongs to"
            } else {
                ""
            };
            return format!("{problem}, while {context}{hint}");
        }
        if let Some(problem) = message.strip_suffix(&here) {
            return problem.to_owned();
        }
    }
    explain("", message)
}

/// The catalog's id of one of serde's or YAML's messages, by how it starts.
pub(super) fn id_of(message: &str) -> Id {
    if message.starts_with("unknown field ") {
        Id::UnknownField
    } else if message.starts_with("missing field ") {
        Id::MissingField
    } else if message.starts_with("duplicate field ") || message.starts_with("duplicate key ") {
        Id::DuplicateKey
    } else if SERDE_MESSAGES.iter().any(|m| message.starts_with(m)) {
        Id::WrongValue
    } else {
        Id::YamlSyntax
    }
}

/// The messages serde's data formats write, by how they start: what follows a path.
const SERDE_MESSAGES: [&str; 8] = [
    "invalid type: ",
    "invalid value: ",
    "invalid length ",
    "unknown variant ",
    "unknown field ",
    "missing field ",
    "duplicate field ",
    "duplicate key ",
];

/// The path and the message of `path: message`. A path may hold any character a mapping key may (a tag's key
/// can be `cost-center: eu`), so the message is found by how it starts; a message of another kind (YAML's
/// syntax errors) has a path only if one of identifiers, dots and `[n]` comes first.
fn split_path(text: &str) -> (&str, &str) {
    for (i, _) in text.match_indices(": ") {
        let rest = &text[i + 2..];
        if SERDE_MESSAGES.iter().any(|m| rest.starts_with(m)) {
            return (&text[..i], rest);
        }
    }
    if SERDE_MESSAGES.iter().any(|m| text.starts_with(m)) {
        return ("", text);
    }
    if let Some((head, rest)) = text.split_once(": ") {
        let is_path = !head.is_empty()
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
        if is_path {
            return (head, rest);
        }
    }
    ("", text)
}

/// One of serde's messages about the node at `path`, said as what was written and what to write.
pub(super) fn explain(path: &str, message: &str) -> String {
    let subject = if path.is_empty() { "the file " } else { "" };
    let wanted = |path: &str| expected(path).unwrap_or("a value of another kind");
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        let found = rest
            .rsplit_once(", expected ")
            .map_or(rest, |(found, _)| found);
        return format!(
            "{subject}{}; write {}",
            what_was_written(found),
            wanted(path)
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let variant = quoted(rest).unwrap_or("this");
        return format!(
            "`{variant}` is not allowed here; write {}{}",
            wanted(path),
            did_you_mean(variant, rest)
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // serde lists the allowed names itself: "unknown field `x`, expected one of `a`, `b`".
        let field = quoted(rest).unwrap_or("this");
        let said = message
            .replacen(", expected", "; allowed:", 1)
            .replacen("one of ", "", 1);
        return format!("{said}{}", did_you_mean(field, rest));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or("a field");
        let child = if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
        return format!(
            "{subject}has no `{field}`; add `{field}:` with {}",
            wanted(&child)
        );
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let field = quoted(rest).unwrap_or("a field");
        return format!("`{field}` is written twice in this mapping; keep one of them");
    }
    if message.starts_with("invalid length ") {
        return format!(
            "{subject}has the wrong number of items; write {}",
            wanted(path)
        );
    }
    if message.contains("more than one document") {
        return "the file holds several YAML documents (`---`); a config is one document"
            .to_owned();
    }
    message.to_owned()
}

/// A whole number the field does not take, said as a number of the wrong kind is (`is `-1`; write a whole
/// number of days from 1 to 36,500`): one rule, one wording, whether the parser or the model finds it.
pub fn out_of_range(path: &str, value: u64) -> String {
    format!(
        "is `{value}`; write {}",
        expected(path).unwrap_or("a value of another kind")
    )
}

/// `; did you mean `x`?` when one of the names serde lists after "expected" is near what was written.
fn did_you_mean(written: &str, message: &str) -> String {
    let Some((_, listed)) = message.split_once("expected ") else {
        return String::new();
    };
    let names = listed.split('`').skip(1).step_by(2);
    crate::spelling::nearest(written, names)
        .map_or_else(String::new, |name| format!("; did you mean `{name}`?"))
}

/// What the field at a dotted path takes, in the config's words, when the path names a field.
pub fn expected_text(path: &str) -> Option<&'static str> {
    expected(path)
}

/// The first `` `...` `` of a text.
fn quoted(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('`')?;
    rest.split_once('`').map(|(inner, _)| inner)
}

/// serde's description of a value that was found (`unit value`, `integer `-1``, `integer `1e30` as u128`,
/// `string "x"`, `map`), as what was written in the file.
fn what_was_written(found: &str) -> String {
    match found {
        "unit value" => return "is empty (null)".to_owned(),
        "map" => return "is a mapping".to_owned(),
        "sequence" => return "is a list".to_owned(),
        "enum" => return "is a tagged value (`!tag`)".to_owned(),
        _ => {}
    }
    if let Some(text) = found.strip_prefix("string ") {
        // A long text is the user's own, and its start is enough to recognise it.
        const SHOWN: usize = 40;
        if text.chars().count() > SHOWN + 2 {
            let start: String = text.chars().take(SHOWN).collect();
            return format!("is the text {start}…\"");
        }
        return format!("is the text {text}");
    }
    for kind in ["boolean ", "integer ", "floating point ", "char "] {
        if let Some(value) = found.strip_prefix(kind).and_then(quoted) {
            return format!("is `{value}`");
        }
    }
    "is a value of another kind".to_owned()
}

/// A syntax error on a line indented with a tab: YAML indents with spaces only, and libyaml says so in its own
/// terms ("found character that cannot start any token"), or not at all.
fn tab_indent(text: &str, line: usize) -> Option<ParseProblem> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let l = body.split('\n').nth(line.checked_sub(1)?)?;
    let indent = l.len() - l.trim_start_matches([' ', '\t']).len();
    let tab = l[..indent].find('\t')?;
    Some(ParseProblem {
        id: Id::YamlSyntax,
        path: String::new(),
        message: "a tab indents this line, and YAML indents with spaces only; replace the tab with spaces"
            .to_owned(),
        line: Some(line),
        column: Some(l[..tab].chars().count() + 1),
    })
}

/// A merge key (`<<: *defaults`), which serde_yaml does not apply: it would be read as a field named `<<`.
/// Refused with what to write instead, at the first one in the file, by the path of the `<<` key itself.
pub(super) fn merge_key(text: &str) -> Option<ParseProblem> {
    if !text.contains("<<") {
        return None;
    }
    let (path, (line, byte_column)) = Positions::new(text).first_merge_key()?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let column = body
        .split('\n')
        .nth(line - 1)
        .and_then(|l| l.get(..byte_column - 1))
        .map_or(byte_column, |before| before.chars().count() + 1);
    Some(ParseProblem {
        id: Id::MergeKey,
        path,
        message: "merge keys (`<<`) are not supported; write the keys out in this mapping (an alias of a whole \
                  value is supported: `&shared` on a mapping, then `rule: *shared`)"
            .to_owned(),
        line: Some(line),
        column: Some(column),
    })
}

/// Words of Rust's and serde's vocabulary that a message about a config must not use: type names, serde's
/// phrases, and the names of the types the config is read into. Whole words, case-sensitive (`u8` is not in
/// `UTF-8`, `map` is not in `mapping`). Not `sequence`: it is YAML's word too, and its syntax errors use it.
const RUST_WORDS: &[&str] = &[
    "struct", "enum", "variant", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32",
    "i64", "i128", "isize", "f32", "f64", "bool", "boolean", "integer", "map", "unit", "Option",
    "Some", "None", "String", "Vec", "BTreeMap", "newtype", "tuple", "seq",
];

/// Phrases of serde's messages, and the suffix every config type's name ends in. Not `expected a` alone: the
/// SQL parser's messages say "expected an expression", in the words of SQL, which is what the user wrote.
const SERDE_PHRASES: &[&str] = &[
    "unit value",
    "invalid type",
    "invalid value",
    "invalid length",
    "expected a boolean",
    "expected a string",
    "expected a sequence",
    "expected a map",
    "expected a whole number",
    "expected one of",
    "floating point",
    "Config",
];

/// The first word or phrase of Rust's or serde's vocabulary in a message, if any: the tests hold every message
/// about a config to saying what to write in the config's own words.
pub fn rust_phrasing(message: &str) -> Option<&'static str> {
    let message = &outside_quotes(message);
    if let Some(phrase) = SERDE_PHRASES.iter().find(|p| message.contains(**p)) {
        return Some(phrase);
    }
    let words: Vec<&str> = message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    RUST_WORDS.iter().copied().find(|w| words.contains(w))
}

/// A message without what it quotes (`` `...` `` and `"..."`, where it echoes what the file holds): a field
/// named `map` is the user's word, not serde's.
fn outside_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                for c in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                }
                out.push_str(" `` ");
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str(" \"\" ");
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::rust_phrasing;

    #[test]
    fn rust_phrasing_is_found_as_whole_words() {
        assert_eq!(rust_phrasing("expected struct KeyConfig"), Some("Config"));
        assert_eq!(rust_phrasing("expected struct Key"), Some("struct"));
        assert_eq!(rust_phrasing("integer `1` as u128"), Some("u128"));
        assert_eq!(
            rust_phrasing("invalid type: unit value"),
            Some("unit value")
        );
        assert_eq!(rust_phrasing("x, expected u64"), Some("u64"));
        assert_eq!(
            rust_phrasing("save the config as UTF-8; write a mapping"),
            None
        );
        assert_eq!(rust_phrasing("None of them"), Some("None"));
        // What a message quotes is the file's text, not the message's words.
        assert_eq!(rust_phrasing("unknown field `pipeline!!map - name`"), None);
        assert_eq!(
            rust_phrasing(r#"is the text "a \" struct"; write text"#),
            None
        );
        assert_eq!(
            rust_phrasing(r#"is the text "a"; expected struct"#),
            Some("struct")
        );
    }

    #[test]
    fn a_tab_that_indents_is_named_at_its_column() {
        for (text, line, column) in [
            ("pipelines:\n  - name: p\n\trule: {}\n", 3, 1),
            ("pipelines:\n\t- name: p\n", 2, 1),
            (
                "pipelines:\n  - name: p\n    rule:\n  \t  enabled: true\n",
                4,
                3,
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(
                e.message.starts_with("a tab indents this line"),
                "{text:?}: {e:?}"
            );
            assert_eq!((e.line, e.column), (Some(line), Some(column)), "{text:?}");
        }
        // A tab after a key's colon separates, it does not indent; in brackets, it may indent.
        assert!(parse("pipelines:\n  - name:\tp\n").is_ok());
        assert!(parse("pipelines: [\n\t{name: p}]\n").is_ok());
        // Another error on a line that a tab indents (in brackets, where tabs may indent) is that error.
        let e = parse("pipelines: [\n\t{name: p}}]\n").unwrap_err();
        assert!(!e.message.contains("tab"), "{e:?}");
    }

    #[test]
    fn syntax_errors_say_where_the_enclosing_node_starts_once() {
        let e = parse("pipelines:\n  - name: a\n   rule: x\n").unwrap_err();
        assert_eq!(
            e.message,
            "did not find expected '-' indicator, while parsing a block collection that starts at line 2, column 3; \
             indent this line as far as the other keys (or `-` items) of the mapping (or list) it belongs to"
        );
        assert_eq!((e.line, e.column), (Some(3), Some(4)));
        let e = parse("pipelines: [{name: a, rule: *shared}]\n").unwrap_err();
        assert!(
            e.message
                .starts_with("`*shared` names no anchor written before it"),
            "{e:?}"
        );
        assert_eq!((e.line, e.column), (Some(1), Some(29)));
    }

    #[test]
    fn a_long_text_is_shown_by_its_start() {
        let text = format!(
            "pipelines:\n  - name: p\n    table:\n      sort_key: {}\n",
            "k".repeat(500)
        );
        let e = parse(&text).unwrap_err();
        assert!(
            e.message.starts_with(&format!(
                "is the text \"{}…\"; write a mapping",
                "k".repeat(39)
            )),
            "{e:?}"
        );
    }

    #[test]
    fn merge_keys_are_refused_where_they_are_written() {
        let text = "pipelines:\n  - &first {name: a}\n  - <<: *first\n    name: b\n";
        let e = parse(text).unwrap_err();
        assert_eq!(e.path, "pipelines[1].<<");
        assert!(
            e.message.starts_with("merge keys (`<<`) are not supported"),
            "{e:?}"
        );
        assert_eq!((e.line, e.column), (Some(3), Some(5)));
        let e = parse("stack:\n  tags: {é: x, <<: {a: b}}\npipelines: [{name: p}]\n").unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.line, e.column),
            ("stack.tags.<<", Some(2), Some(16))
        );
        // A quoted `<<` is a key like any other; a `<<` inside text is text; aliases of whole values are read.
        let e = parse("pipelines:\n  - name: p\n    \"<<\": x\n").unwrap_err();
        assert!(e.message.starts_with("unknown field `<<`"), "{e:?}");
        let text = "stack: {description: \"a << b\"}\npipelines:\n  - name: a\n    rule: &r {enabled: false}\n  - name: b\n    rule: *r\n";
        let config = parse(text).unwrap();
        assert!(!config.pipelines[1].rule.enabled);
    }
}
