//! Property tests of the whole pipeline, config text in, template out: text a user writes survives into the
//! template byte for byte (or is refused at its own path), random valid configs always synthesize to a template
//! that keeps its structural and least-privilege invariants, an error is reported at the line and column of its
//! key whatever the YAML layout, and no input at all makes the library panic. Crash inputs found by the fuzz
//! targets of `fuzz/` are kept in `tests/regressions/` and replayed here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::Path;

use presence_stack::{Error, Format, Source, Synthesis, synthesize};
use proptest::prelude::*;
use proptest::sample::select;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value, json};

use crate::support::cfn_yaml;
use crate::support::fuzz_eval;
use crate::support::fuzz_sql;
use crate::support::fuzz_synth;

const FILE: &str = "props.yaml";

fn synth(text: &str, format: Format) -> Result<Synthesis, Error> {
    synthesize(Source { name: FILE, text }, format)
}

/// Every error's text, for a property failure message.
fn describe(e: &Error) -> String {
    match e {
        Error::Config(diags) => diags
            .iter()
            .map(|d| format!("{:?} {d}", d.severity))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{other}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing strings into YAML safely
// ---------------------------------------------------------------------------------------------------------------

/// `s` as a YAML double-quoted scalar in which everything but printable ASCII is escaped, so the YAML reader
/// cannot fold, normalize or refuse any character of it.
fn yaml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// How a config built as a JSON value is written out as text.
#[derive(Debug, Clone, Copy)]
enum Writer {
    /// serde_yaml's serializer: block style, quoting what needs quoting.
    SerdeYaml,
    /// JSON text, which is a YAML flow mapping (only for values whose strings are plain enough for JSON's raw
    /// non-ASCII to be valid YAML).
    Json,
    /// Hand-written flow YAML with every string fully escaped by [`yaml_quoted`].
    Quoted,
}

fn write_flow(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(&yaml_quoted(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                // YAML limits implicit keys to 1024 characters; longer ones need the explicit `? ` form.
                if k.len() > 1000 {
                    out.push_str("? ");
                }
                out.push_str(&yaml_quoted(k));
                out.push_str(": ");
                write_flow(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn write_config(config: &Value, writer: Writer) -> String {
    let text = match writer {
        Writer::SerdeYaml => {
            serde_yaml::to_string(config).expect("serde_yaml writes any JSON value")
        }
        Writer::Json => serde_json::to_string_pretty(config).expect("JSON value"),
        Writer::Quoted => {
            let mut out = String::new();
            write_flow(config, &mut out);
            out.push('\n');
            out
        }
    };
    // The test's own writing must be faithful, or a failure would blame the library for it.
    let back: Value = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("the test wrote YAML that does not parse ({e}):\n{text}"));
    assert_eq!(
        &back, config,
        "the test's {writer:?} YAML does not read back:\n{text}"
    );
    text
}

// ---------------------------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------------------------

/// Characters that break quoting, templating, YAML or JSON when mishandled.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => select(vec![
            '"', '\\', '\'', '`', '{', '}', '[', ']', '<', '>', '&', '#', ':', '-', '|', '*', '!', '%', '@', '?',
            ',', '$', ' ', '\n', '\r', '\t', '\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{a0}', '\u{ad}',
            '\u{200b}', '\u{2028}', '\u{2029}', '\u{202e}', '\u{3000}', '\u{feff}', '\u{fffd}', '\u{fffe}',
            '\u{ffff}', 'é', 'ß', '日', 'ي', '\u{1f600}', '\u{1f680}', '\u{10000}', '\u{10ffff}', '\u{e000}',
        ]),
        3 => prop::char::range('a', 'z'),
        2 => any::<char>(),
    ]
}

/// Whole strings that YAML, JSON, handlebars or a shell would read as something other than text.
const SPECIAL: &[&str] = &[
    "",
    " ",
    "yes",
    "no",
    "Yes",
    "NO",
    "on",
    "off",
    "y",
    "n",
    "true",
    "false",
    "null",
    "Null",
    "~",
    "- x",
    ": ",
    "a: b",
    "#",
    "# comment",
    "key: value # c",
    "---",
    "...",
    "%YAML 1.2",
    "!!str x",
    "!binary",
    "&anchor",
    "*alias",
    "<<",
    "? x",
    "{{",
    "}}",
    "{{json x}}",
    "{{> tags}}",
    "{{{x}}}",
    "${AWS::Region}",
    "@",
    "`x`",
    "0",
    "0x1F",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "0o17",
    "012",
    "2016-03-23",
    "12:30:00",
    "1:30",
    "1_000",
    "0b101",
    "+1",
    ".5",
    "-.5",
    "ON",
    "Off",
    "=",
    "2001-12-14t21:59:43.10-05:00",
    "\"",
    "'",
    "\\",
    "\\n",
    "\\u0000",
    "<script>&amp;</script>",
    " leading",
    "trailing ",
    "tab\tinside",
    "line\nbreak",
    "cr\rlf\r\n",
    "\n",
    "\r",
    "\u{feff}bom",
    "emoji 🚀 and 𝕏",
    "z\u{301}algo",
    "مرحبا",
    "日本語",
];

fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(nasty_char(), 0..40).prop_map(|cs| cs.into_iter().collect::<String>()),
        2 => select(SPECIAL).prop_map(str::to_owned),
        2 => (select(SPECIAL), prop::collection::vec(nasty_char(), 0..8), select(SPECIAL))
            .prop_map(|(a, mid, b)| format!("{a}{}{b}", mid.into_iter().collect::<String>())),
        1 => any::<String>(),
        // Around the 1,024-byte limit of a stack description, with multi-byte characters at the edge.
        1 => (1015usize..1030, select(vec!["x", "é", "日", "🚀"]))
            .prop_map(|(n, tail)| format!("{}{tail}", "d".repeat(n - tail.len().min(n)))),
    ]
}

/// Characters the README allows in tags: letters, digits, spaces and `_ . : / = + - @`.
fn allowed_in_tags_ascii(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

// ---------------------------------------------------------------------------------------------------------------
// Property 1: free text reaches the template unchanged, or is refused at its own path
// ---------------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Field {
    StackDescription,
    RuleDescription,
    TagValue,
    TagKey,
}

impl Field {
    fn path(self, text: &str) -> String {
        match self {
            Field::StackDescription => "stack.description".to_owned(),
            Field::RuleDescription => "pipelines[0].rule.description".to_owned(),
            Field::TagValue => "stack.tags.owner".to_owned(),
            Field::TagKey => format!("stack.tags.{text}"),
        }
    }

    fn config(self, text: &str) -> Value {
        let pipelines = json!([{"name": "presence"}]);
        match self {
            Field::StackDescription => {
                json!({"stack": {"description": text}, "pipelines": pipelines})
            }
            Field::RuleDescription => {
                json!({"pipelines": [{"name": "presence", "rule": {"description": text}}]})
            }
            Field::TagValue => json!({"stack": {"tags": {"owner": text}}, "pipelines": pipelines}),
            Field::TagKey => {
                let mut tags = Map::new();
                tags.insert(text.to_owned(), json!("v"));
                json!({"stack": {"tags": tags}, "pipelines": pipelines})
            }
        }
    }

    /// What the README promises: `Some(true)` when the text must be accepted, `Some(false)` when it must be
    /// refused, `None` when either is fine.
    fn must_accept(self, text: &str) -> Option<bool> {
        let refused_control = text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'));
        match self {
            Field::StackDescription => Some(!refused_control && text.len() <= 1024),
            Field::RuleDescription => Some(!refused_control),
            Field::TagValue | Field::TagKey => {
                let limit = if matches!(self, Field::TagKey) {
                    128
                } else {
                    256
                };
                let n = text.chars().count();
                let empty_key = matches!(self, Field::TagKey) && n == 0;
                let reserved =
                    matches!(self, Field::TagKey) && text.to_ascii_lowercase().starts_with("aws:");
                if n > limit
                    || empty_key
                    || reserved
                    || text
                        .chars()
                        .any(|c| c.is_ascii() && !allowed_in_tags_ascii(c))
                {
                    Some(false)
                } else if text.chars().all(allowed_in_tags_ascii) {
                    Some(true)
                } else {
                    None
                }
            }
        }
    }

    /// Where the text must appear in the template, each as a JSON value.
    fn found(self, template: &Value) -> Vec<Value> {
        let resources = template["Resources"].as_object().expect("Resources");
        match self {
            Field::StackDescription => vec![template["Description"].clone()],
            Field::RuleDescription => vec![template["Resources"]["PresenceRule"]["Properties"]
                ["TopicRulePayload"]["Description"]
                .clone()],
            Field::TagValue | Field::TagKey => resources
                .values()
                .filter_map(|r| r["Properties"].get("Tags"))
                .map(|tags| {
                    let tags = tags.as_array().expect("Tags is a list");
                    assert_eq!(tags.len(), 1, "one tag in, one tag out: {tags:?}");
                    match self {
                        Field::TagKey => tags[0]["Key"].clone(),
                        _ => tags[0]["Value"].clone(),
                    }
                })
                .collect(),
        }
    }
}

/// The text either comes out unchanged in the JSON template (which must parse, and read the same as the YAML one)
/// or is refused, with every error at the text's own path. Where the README settles it, which of the two.
fn text_survives_or_is_refused(
    field: Field,
    text: &str,
    writer: Writer,
) -> Result<(), TestCaseError> {
    let config = write_config(&field.config(text), writer);
    let path = field.path(text);
    match synth(&config, Format::Json) {
        Ok(json) => {
            prop_assert!(
                field.must_accept(text) != Some(false),
                "{path}: {text:?} should have been refused"
            );
            let template: Value = serde_json::from_str(&json.template).map_err(|e| {
                TestCaseError::fail(format!("the JSON template does not parse: {e}"))
            })?;
            let found = field.found(&template);
            if matches!(field, Field::TagValue | Field::TagKey) {
                // table, role, rule and the error log group
                prop_assert!(found.len() >= 4, "tags on only {} resources", found.len());
            }
            for f in &found {
                // An empty description is left out of the template, which means the same to CloudFormation.
                if text.is_empty()
                    && f.is_null()
                    && matches!(field, Field::StackDescription | Field::RuleDescription)
                {
                    continue;
                }
                prop_assert_eq!(
                    f.as_str(),
                    Some(text),
                    "{} changed on its way into the template",
                    path
                );
            }
            let yaml = synth(&config, Format::Yaml).map_err(|e| {
                TestCaseError::fail(format!(
                    "JSON synthesized but YAML did not: {}",
                    describe(&e)
                ))
            })?;
            let from_yaml: Value = cfn_yaml::read(&yaml.template).map_err(|e| {
                TestCaseError::fail(format!(
                    "the YAML template does not parse: {e}\n{}",
                    yaml.template
                ))
            })?;
            prop_assert_eq!(
                &from_yaml,
                &template,
                "the YAML template reads back differently"
            );
            yaml11_reads_every_string_as_a_string(&template)?;
        }
        Err(Error::Config(diags)) => {
            prop_assert!(
                field.must_accept(text) != Some(true),
                "{path}: {text:?} should have been accepted, got:\n{}",
                describe(&Error::Config(diags.clone()))
            );
            let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
            prop_assert!(!errors.is_empty());
            for d in errors {
                prop_assert_eq!(&d.path, &path, "an error at another path: {}", d);
            }
        }
        Err(other) => prop_assert!(false, "not a config error: {other}"),
    }
    Ok(())
}

/// serde_yaml reads YAML 1.2: every string the YAML form writes bare must also be a string to a YAML 1.1 reader
/// (CloudFormation, awscli, cfn-lint, PyYAML).
fn yaml11_reads_every_string_as_a_string(template: &Value) -> Result<(), TestCaseError> {
    let mut all = Vec::new();
    cfn_yaml::strings(template, &mut all);
    for s in all {
        let text = presence_stack::emit::emit(&json!({ "k": s }), Format::Yaml)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let written = &text["k: ".len()..text.len() - 1];
        if !written.starts_with('"')
            && let Some(kind) = cfn_yaml::yaml11_type(written)
        {
            return Err(TestCaseError::fail(format!(
                "{s:?} is written bare, and YAML 1.1 reads it as {kind}"
            )));
        }
    }
    Ok(())
}

fn writer() -> impl Strategy<Value = Writer> {
    prop_oneof![Just(Writer::SerdeYaml), Just(Writer::Quoted)]
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        3 => Just(Field::StackDescription),
        3 => Just(Field::RuleDescription),
        3 => Just(Field::TagValue),
        1 => Just(Field::TagKey),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(512) })]

    #[test]
    fn free_text_survives_into_the_template_or_is_refused_at_its_path(
        field in field(),
        text in nasty_string(),
        writer in writer(),
    ) {
        text_survives_or_is_refused(field, &text, writer)?;
    }
}

/// Every string of [`SPECIAL`] in every field, alternating the two ways of writing it.
#[test]
fn free_text_examples() {
    let fields = [
        Field::StackDescription,
        Field::RuleDescription,
        Field::TagValue,
        Field::TagKey,
    ];
    for (i, text) in SPECIAL.iter().enumerate() {
        for (j, field) in fields.into_iter().enumerate() {
            let writer = if (i + j) % 2 == 0 {
                Writer::SerdeYaml
            } else {
                Writer::Quoted
            };
            text_survives_or_is_refused(field, text, writer)
                .unwrap_or_else(|e| panic!("{field:?} {text:?} {writer:?}: {e}"));
        }
    }
}

mod valid;

mod layout;
