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

use crate::cfn_yaml;
use crate::fuzz_eval;
use crate::fuzz_sql;
use crate::fuzz_synth;

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

// ---------------------------------------------------------------------------------------------------------------
// Property 2: random valid configs synthesize, and the template keeps its invariants
// ---------------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Logs,
    Sqs,
    None,
}

/// One pipeline of a generated config, with the facts the invariants need next to its JSON.
#[derive(Debug, Clone)]
struct PipelineSpec {
    value: Map<String, Value>,
    error: ErrorKind,
    customer_managed: bool,
    /// Billed by provisioned capacity, and so scaled.
    provisioned: bool,
}

/// A key as the config writes it: `None` leaves the field out (its default).
type KeyChoice = Option<Value>;

fn partition_key() -> impl Strategy<Value = (KeyChoice, &'static str)> {
    prop_oneof![
        Just((None, "clientId")),
        Just((Some(json!({"name": "clientId", "type": "S"})), "clientId")),
        Just((Some(json!({"name": "eventType", "type": "S"})), "eventType")),
        Just((Some(json!({"name": "timestamp", "type": "N"})), "timestamp")),
        Just((
            Some(
                json!({"name": "deviceKind", "type": "S", "expression": "concat(clientId, '#', eventType)"})
            ),
            "deviceKind"
        )),
    ]
}

fn sort_key() -> impl Strategy<Value = (Option<KeyChoice>, Option<&'static str>)> {
    // Outer None: the field is left out (default `eventKey`, computed by the generated rule); Some(None):
    // `sort_key: null`.
    prop_oneof![
        Just((None, Some("eventKey"))),
        Just((Some(None), None)),
        Just((
            Some(Some(json!({"name": "timestamp", "type": "N"}))),
            Some("timestamp")
        )),
        Just((
            Some(Some(json!({"name": "eventType", "type": "S"}))),
            Some("eventType")
        )),
        Just((
            Some(Some(json!({"name": "clientId", "type": "S"}))),
            Some("clientId")
        )),
        select(vec![
            "concat(timestamp, '#', eventType)",
            "concat(timestamp, '#', eventType, '#', clientId)",
            "cast(timestamp AS String)",
            "lower(eventType)",
            "concat(clientId, '-', timestamp)",
        ])
        .prop_map(|e| (
            Some(Some(
                json!({"name": "eventKey", "type": "S", "expression": e})
            )),
            Some("eventKey")
        )),
        select(vec![
            "floor(timestamp / 1000)",
            "timestamp * 10",
            "timestamp + 1"
        ])
        .prop_map(|e| (
            Some(Some(
                json!({"name": "eventSeq", "type": "N", "expression": e})
            )),
            Some("eventSeq")
        )),
    ]
}

/// Custom SQL that produces `clientId`, `timestamp` and `eventType` at the root for every event it reads.
const CUSTOM_SQL: &[&str] = &[
    "SELECT * FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'",
    "SELECT * FROM '$aws/events/presence/connected/#'",
    "SELECT *, topic(5) AS device FROM '$aws/events/presence/+/#' WHERE eventType <> 'connect_failed'",
    "SELECT * FROM '$aws/events/subscriptions/#'",
    "select clientId, timestamp, eventType from '$aws/events/presence/#' where eventType = 'connected'",
];

fn events() -> impl Strategy<Value = Option<Value>> {
    let presence = vec!["connected", "disconnected", "connect_failed"];
    let subscriptions = vec!["subscribed", "unsubscribed"];
    prop_oneof![
        Just(None),
        prop::sample::subsequence(presence, 1..=3)
            .prop_shuffle()
            .prop_map(|v| Some(json!(v))),
        prop::sample::subsequence(subscriptions, 1..=2)
            .prop_shuffle()
            .prop_map(|v| Some(json!(v))),
    ]
}

/// Text for descriptions in valid configs: odd, but all of it accepted and all of it valid as raw YAML.
fn plain_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 .,:;!?()'\"\\\\{}<>&#@%*|=é日本🚀-]{0,60}"
}

fn tag_key() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.:/=+@ -]{1,20}".prop_filter("aws: is reserved", |k| {
        !k.to_ascii_lowercase().starts_with("aws:")
    })
}

fn tag_value() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.:/=+@ é日-]{0,30}"
}

fn tricky_pipeline_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z0-9_]{0,15}",
        1 => select(vec![
            "presence", "stack", "stack_key", "a", "a_rule", "a_rule_role", "a_error", "a_error_log", "key", "table",
            "rule", "rule_role", "x_1", "x1", "p_table", "error_queue",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z][a-z0-9_]{60,63}",
    ]
}

#[allow(clippy::type_complexity)]
fn pipeline() -> impl Strategy<Value = PipelineSpec> {
    let rule = (
        prop::option::of("[a-zA-Z0-9_]{1,128}"),
        prop::option::of(plain_text()),
        prop::option::of(any::<bool>()),
        prop::option::of(select(vec!["2015-10-08", "2016-03-23", "beta"])),
    );
    let table = (
        prop::option::of("[a-zA-Z0-9_.-]{3,255}"),
        partition_key(),
        sort_key(),
        prop_oneof![
            Just(None),
            Just(Some(json!({"billing": "on_demand"}))),
            (1u64..=40_000, 1u64..=40_000).prop_map(|(r, w)| {
                Some(json!({"billing": "provisioned", "read_capacity": r, "write_capacity": w}))
            }),
        ],
        prop::option::of(prop_oneof![1u64..=36_500, Just(1), Just(36_500)]),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
        ),
        prop::option::of(select(vec!["aws_owned", "aws_managed", "customer_managed"])),
    );
    let error = prop_oneof![
        Just((None, ErrorKind::Logs)),
        Just((Some(json!({"kind": "cloudwatch_logs"})), ErrorKind::Logs)),
        select(LOG_RETENTION_DAYS.to_vec()).prop_flat_map(|d| {
            prop_oneof![
                Just((
                    Some(json!({"kind": "cloudwatch_logs", "retention_days": d})),
                    ErrorKind::Logs
                )),
                Just((Some(json!({"retention_days": d})), ErrorKind::Logs)),
            ]
        }),
        Just((Some(json!({"kind": "sqs"})), ErrorKind::Sqs)),
        Just((Some(json!({"kind": "none"})), ErrorKind::None)),
    ];
    let source = prop_oneof![
        4 => events().prop_map(|e| (e, None)),
        1 => select(CUSTOM_SQL).prop_map(|s| (None, Some(s))),
    ];
    (tricky_pipeline_name(), source, rule, table, error)
        .prop_filter("a key may not be the sort key too", |(_, _, _, t, _)| {
            Some(t.1.1) != t.2.1
        })
        .prop_filter(
            "custom SQL and computed keys do not mix",
            |(_, (_, sql), _, t, _)| {
                let computed = |k: Option<&Value>| k.is_some_and(|k| k.get("expression").is_some());
                // The default sort key is computed by the generated rule only: with SQL of one's own, a sort key
                // is named explicitly.
                // Nor does a time to live: the rule must compute `expiresAt` (tested on its own in check.rs).
                sql.is_none()
                    || (!computed(t.1.0.as_ref())
                        && t.2.0.is_some()
                        && t.4.is_none()
                        && !computed(t.2.0.as_ref().and_then(Option::as_ref)))
            },
        )
        .prop_map(
            |(name, (events, sql), rule, table, (error_action, error))| {
                let mut p = Map::new();
                p.insert("name".into(), json!(name));
                if let Some(e) = events {
                    p.insert("events".into(), e);
                }
                if let Some(s) = sql {
                    p.insert("sql".into(), json!(s));
                }
                let (rule_name, description, enabled, sql_version) = rule;
                let mut r = Map::new();
                insert_opt(&mut r, "name", rule_name.map(Value::from));
                insert_opt(&mut r, "description", description.map(Value::from));
                insert_opt(&mut r, "enabled", enabled.map(Value::from));
                insert_opt(&mut r, "sql_version", sql_version.map(Value::from));
                if !r.is_empty() {
                    p.insert("rule".into(), Value::Object(r));
                }
                let (
                    table_name,
                    (pk, _),
                    (sk, _),
                    billing,
                    ttl,
                    (pitr, protection, retain),
                    encryption,
                ) = table;
                let mut t = Map::new();
                insert_opt(&mut t, "name", table_name.map(Value::from));
                insert_opt(&mut t, "partition_key", pk);
                if let Some(sk) = sk {
                    t.insert("sort_key".into(), sk.unwrap_or(Value::Null));
                }
                if let Some(Value::Object(b)) = billing {
                    t.extend(b);
                }
                insert_opt(&mut t, "ttl_days", ttl.map(Value::from));
                insert_opt(&mut t, "point_in_time_recovery", pitr.map(Value::from));
                insert_opt(&mut t, "deletion_protection", protection.map(Value::from));
                insert_opt(&mut t, "retain", retain.map(Value::from));
                insert_opt(&mut t, "encryption", encryption.map(Value::from));
                if !t.is_empty() {
                    p.insert("table".into(), Value::Object(t));
                }
                insert_opt(&mut p, "error_action", error_action);
                let provisioned = p
                    .get("table")
                    .is_some_and(|t| t["billing"] == "provisioned");
                PipelineSpec {
                    value: p,
                    error,
                    customer_managed: encryption == Some("customer_managed"),
                    provisioned,
                }
            },
        )
}

/// The retentions the README lists for `error_action.retention_days`.
const LOG_RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The README's rule for logical ID prefixes: `device_presence` gives `DevicePresence`.
fn pascal_case(name: &str) -> String {
    name.split('_')
        .filter_map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect()
}

fn insert_opt(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v);
    }
}

#[derive(Debug, Clone)]
struct ConfigSpec {
    value: Value,
    pipelines: Vec<PipelineSpec>,
    outputs: bool,
    tags: BTreeMap<String, String>,
    alarms: Alarms,
}

/// What `stack.alarms` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alarms {
    /// The stack's own topic, on its own key, with its policy; and an email subscription or not.
    NewTopic {
        email: bool,
    },
    Existing,
    Off,
}

fn alarms() -> impl Strategy<Value = (Option<Value>, Alarms)> {
    prop_oneof![
        3 => Just((None, Alarms::NewTopic { email: false })),
        1 => Just((Some(json!({"enabled": false})), Alarms::Off)),
        1 => Just((Some(json!({"email": "ops@example.com"})), Alarms::NewTopic { email: true })),
        1 => Just((Some(json!({"topic_arn": "arn:aws:sns:eu-west-1:123456789012:on-call"})), Alarms::Existing)),
    ]
}

fn config() -> impl Strategy<Value = ConfigSpec> {
    let stack = (
        prop::option::of(plain_text()),
        prop::collection::btree_map(tag_key(), tag_value(), 0..5),
        prop::option::of(any::<bool>()),
        alarms(),
    );
    (
        // Mostly small stacks, which are quicker to synthesize and to shrink, and up to 20 pipelines.
        prop_oneof![3 => prop::collection::vec(pipeline(), 1..=4), 1 => prop::collection::vec(pipeline(), 5..=20)],
        stack,
    ).prop_map(|(pipelines, (description, tags, outputs, (alarms_value, alarms)))| {
        // Names whose logical IDs clash (`a_1` and `a1` both give `A1...`) are a legitimate error: drop them.
        // Physical names get the pipeline's index so that they are unique too, within their length limits.
        let mut prefixes = BTreeSet::new();
        let pipelines: Vec<PipelineSpec> = pipelines
            .into_iter()
            .filter(|p| prefixes.insert(pascal_case(p.value["name"].as_str().unwrap())))
            .enumerate()
            .map(|(i, mut p)| {
                for (section, sep, max) in [("rule", "_", 128), ("table", "-", 255)] {
                    if let Some(Value::Object(m)) = p.value.get_mut(section)
                        && let Some(Value::String(name)) = m.get_mut("name")
                    {
                        let suffix = format!("{sep}{i}");
                        name.truncate(max - suffix.len());
                        name.push_str(&suffix);
                    }
                }
                p
            })
            .collect();
        let mut stack = Map::new();
        insert_opt(&mut stack, "description", description.map(Value::from));
        if !tags.is_empty() {
            stack.insert("tags".into(), json!(tags));
        }
        insert_opt(&mut stack, "outputs", outputs.map(Value::from));
        insert_opt(&mut stack, "alarms", alarms_value);
        let mut value = Map::new();
        if !stack.is_empty() {
            value.insert("stack".into(), Value::Object(stack));
        }
        value.insert(
            "pipelines".into(),
            Value::Array(pipelines.iter().map(|p| Value::Object(p.value.clone())).collect()),
        );
        ConfigSpec {
            value: Value::Object(value),
            pipelines,
            outputs: outputs.unwrap_or(true),
            tags,
            alarms,
        }
    })
}

/// The keys of a JSON object exactly as written, duplicates included (serde_json's map would keep the last).
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(serde::Deserialize)]
struct RawTemplate {
    #[serde(rename = "Resources")]
    resources: Keys,
    #[serde(rename = "Outputs", default)]
    outputs: Option<Keys>,
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn get_att_target(v: &Value) -> Option<&str> {
    match v.get("Fn::GetAtt")? {
        Value::Array(parts) => parts.first()?.as_str(),
        Value::String(s) => s.split('.').next(),
        _ => None,
    }
}

/// Every Ref, Fn::GetAtt, `${...}` of Fn::Sub and DependsOn target in the value.
fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                match (k.as_str(), item) {
                    ("Ref", Value::String(s)) => out.push(s.clone()),
                    ("Fn::GetAtt", _) => {
                        if let Some(t) = get_att_target(v) {
                            out.push(t.to_owned());
                        }
                    }
                    ("Fn::Sub", sub) => {
                        let (text, variables) = match sub {
                            Value::String(s) => (Some(s.as_str()), None),
                            Value::Array(parts) => (
                                parts.first().and_then(Value::as_str),
                                parts.get(1).and_then(Value::as_object),
                            ),
                            _ => (None, None),
                        };
                        for piece in text.unwrap_or("").split("${").skip(1) {
                            if piece.starts_with('!') {
                                continue;
                            }
                            let name = piece.split('}').next().unwrap_or("");
                            // A variable of the Sub's own map is not a reference.
                            if variables.is_some_and(|v| v.contains_key(name)) {
                                continue;
                            }
                            out.push(name.split('.').next().unwrap_or("").to_owned());
                        }
                    }
                    ("DependsOn", deps) => {
                        out.extend(
                            as_list(deps)
                                .into_iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned),
                        );
                    }
                    _ => {}
                }
                references(item, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        _ => {}
    }
}

fn check_invariants(
    spec: &ConfigSpec,
    json_text: &str,
    yaml_text: &str,
) -> Result<(), TestCaseError> {
    let template: Value = serde_json::from_str(json_text)
        .map_err(|e| TestCaseError::fail(format!("the JSON template does not parse: {e}")))?;
    let from_yaml: Value = cfn_yaml::read(yaml_text)
        .map_err(|e| TestCaseError::fail(format!("the YAML template does not parse: {e}")))?;
    prop_assert_eq!(&from_yaml, &template, "JSON and YAML templates differ");

    // Logical IDs: unique as written, ASCII alphanumeric, at most 255 characters.
    let raw: RawTemplate = serde_json::from_str(json_text).expect("parsed above");
    let mut ids = raw.resources.0.clone();
    ids.extend(raw.outputs.map(|o| o.0).unwrap_or_default());
    let unique: BTreeSet<&String> = ids.iter().collect();
    prop_assert_eq!(
        unique.len(),
        ids.len(),
        "duplicate logical IDs in {:?}",
        ids
    );
    for id in &ids {
        prop_assert!(
            !id.is_empty() && id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "bad logical ID {:?}",
            id
        );
    }

    let resources = template["Resources"]
        .as_object()
        .expect("Resources is an object");
    let of_type = |ty: &str| -> Vec<(&String, &Value)> {
        resources.iter().filter(|(_, r)| r["Type"] == ty).collect()
    };
    let n = spec.pipelines.len();
    prop_assert_eq!(of_type("AWS::IoT::TopicRule").len(), n);
    prop_assert_eq!(of_type("AWS::DynamoDB::Table").len(), n);
    prop_assert_eq!(of_type("AWS::IAM::Role").len(), n);
    let logs = spec
        .pipelines
        .iter()
        .filter(|p| p.error == ErrorKind::Logs)
        .count();
    let queues = spec
        .pipelines
        .iter()
        .filter(|p| p.error == ErrorKind::Sqs)
        .count();
    let new_topic = matches!(spec.alarms, Alarms::NewTopic { .. });
    let keys =
        usize::from(spec.pipelines.iter().any(|p| p.customer_managed)) + usize::from(new_topic);
    let alarms = if spec.alarms == Alarms::Off {
        0
    } else {
        2 * n + queues
    };
    let topic = usize::from(new_topic);
    let email = usize::from(spec.alarms == Alarms::NewTopic { email: true });
    let scaled = spec.pipelines.iter().filter(|p| p.provisioned).count();
    prop_assert_eq!(of_type("AWS::Logs::LogGroup").len(), logs);
    prop_assert_eq!(of_type("AWS::SQS::Queue").len(), queues);
    prop_assert_eq!(of_type("AWS::KMS::Key").len(), keys);
    prop_assert_eq!(of_type("AWS::CloudWatch::Alarm").len(), alarms);
    prop_assert_eq!(of_type("AWS::SNS::Topic").len(), topic);
    prop_assert_eq!(of_type("AWS::SNS::TopicPolicy").len(), topic);
    prop_assert_eq!(of_type("AWS::SNS::Subscription").len(), email);
    prop_assert_eq!(
        of_type("AWS::ApplicationAutoScaling::ScalableTarget").len(),
        2 * scaled
    );
    prop_assert_eq!(
        of_type("AWS::ApplicationAutoScaling::ScalingPolicy").len(),
        2 * scaled
    );
    prop_assert_eq!(
        resources.len(),
        3 * n + logs + queues + keys + alarms + 2 * topic + email + 4 * scaled,
        "unexpected resources: {:?}",
        resources.keys()
    );
    // Every alarm tells someone: the stack's topic or the one named.
    for (id, alarm) in of_type("AWS::CloudWatch::Alarm") {
        let actions = alarm["Properties"]["AlarmActions"]
            .as_array()
            .expect("AlarmActions");
        let expected = if new_topic {
            json!({"Ref": "AlarmTopic"})
        } else {
            json!("arn:aws:sns:eu-west-1:123456789012:on-call")
        };
        prop_assert_eq!(actions, &vec![expected], "{}", id);
    }
    let outputs = template
        .get("Outputs")
        .and_then(Value::as_object)
        .map_or(0, Map::len);
    let expected_outputs = if spec.outputs {
        4 * n + logs + queues
    } else {
        0
    };
    prop_assert_eq!(outputs, expected_outputs);

    // Every reference points at a resource of this template (pseudo parameters aside).
    let mut refs = Vec::new();
    references(&template, &mut refs);
    for r in refs {
        prop_assert!(
            r.starts_with("AWS::") || resources.contains_key(&r),
            "reference to `{}`, which is not a resource",
            r
        );
    }

    // Each rule writes its own table through its own role, and each role may put items into that table only.
    let mut roles_used = BTreeSet::new();
    let mut tables_used = BTreeSet::new();
    for (id, rule) in of_type("AWS::IoT::TopicRule") {
        let payload = &rule["Properties"]["TopicRulePayload"];
        presence_stack::sql::parse(payload["Sql"].as_str().unwrap_or("")).map_err(|e| {
            TestCaseError::fail(format!("{id}: the rule SQL does not parse: {e:?}"))
        })?;
        prop_assert!(
            payload["AwsIotSqlVersion"].is_string(),
            "{} has no AwsIotSqlVersion",
            id
        );
        let actions = payload["Actions"].as_array().expect("Actions");
        prop_assert_eq!(actions.len(), 1);
        let put = &actions[0]["DynamoDBv2"];
        let table = put["PutItem"]["TableName"]["Ref"]
            .as_str()
            .expect("TableName Ref")
            .to_owned();
        let role = get_att_target(&put["RoleArn"])
            .expect("RoleArn GetAtt")
            .to_owned();
        prop_assert_eq!(&resources[&table]["Type"], "AWS::DynamoDB::Table");
        prop_assert_eq!(&resources[&role]["Type"], "AWS::IAM::Role");
        prop_assert!(
            tables_used.insert(table.clone()),
            "two rules write {}",
            table
        );
        prop_assert!(roles_used.insert(role.clone()), "two rules use {}", role);

        let statements: Vec<&Value> = resources[&role]["Properties"]["Policies"]
            .as_array()
            .expect("Policies")
            .iter()
            .flat_map(|p| as_list(&p["PolicyDocument"]["Statement"]))
            .collect();
        let mut dynamodb = Vec::new();
        for s in &statements {
            for resource in as_list(&s["Resource"]) {
                prop_assert!(
                    resource != "*" && resource.as_str().is_none_or(|r| !r.ends_with('*')),
                    "{}: wildcard resource in {}",
                    role,
                    s
                );
            }
            prop_assert!(
                s.get("NotAction").is_none() && s.get("NotResource").is_none(),
                "{}: {}",
                role,
                s
            );
            for action in as_list(&s["Action"]) {
                let action = action.as_str().expect("actions are strings");
                prop_assert!(
                    !action.contains('*'),
                    "{}: wildcard action `{}` in {}",
                    role,
                    action,
                    s
                );
                if action.starts_with("dynamodb:") {
                    dynamodb.push((action.to_owned(), s["Resource"].clone()));
                }
            }
        }
        prop_assert_eq!(
            dynamodb,
            vec![(
                "dynamodb:PutItem".to_owned(),
                json!({"Fn::GetAtt": [table, "Arn"]})
            )],
            "{}: DynamoDB permissions",
            role
        );
    }

    // Tags of the stack are on every taggable resource.
    if !spec.tags.is_empty() {
        let expected: Vec<Value> = spec
            .tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        // CloudFormation cannot tag these.
        const UNTAGGABLE: [&str; 3] = [
            "AWS::SNS::TopicPolicy",
            "AWS::SNS::Subscription",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
        ];
        for (id, r) in resources {
            if UNTAGGABLE.iter().any(|t| r["Type"] == *t) {
                prop_assert!(r["Properties"].get("Tags").is_none(), "{}", id);
                continue;
            }
            let tags = r["Properties"]["Tags"].as_array();
            prop_assert_eq!(tags, Some(&expected), "tags of {}", id);
        }
    }
    Ok(())
}

fn writer_for_valid() -> impl Strategy<Value = Writer> {
    prop_oneof![
        Just(Writer::SerdeYaml),
        Just(Writer::Json),
        Just(Writer::Quoted)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(128) })]

    #[test]
    fn valid_configs_synthesize_to_templates_that_keep_their_invariants(
        spec in config(),
        writer in writer_for_valid(),
    ) {
        let text = write_config(&spec.value, writer);
        let json = synth(&text, Format::Json)
            .map_err(|e| TestCaseError::fail(format!("a valid config was refused:\n{}\n{text}", describe(&e))))?;
        let again = synth(&text, Format::Json).map_err(|e| TestCaseError::fail(describe(&e)))?;
        prop_assert!(json.template == again.template, "two syntheses differ");
        let yaml = synth(&text, Format::Yaml)
            .map_err(|e| TestCaseError::fail(format!("JSON synthesized but YAML did not: {}", describe(&e))))?;
        let yaml_again = synth(&text, Format::Yaml).map_err(|e| TestCaseError::fail(describe(&e)))?;
        prop_assert!(yaml.template == yaml_again.template, "two YAML syntheses differ");
        check_invariants(&spec, &json.template, &yaml.template)?;
    }
}

/// The invariant checks themselves catch what they are there for: each doctored template below must fail them.
#[test]
fn invariant_checks_catch_broken_templates() {
    let config = json!({"pipelines": [{"name": "presence"}]});
    let spec = ConfigSpec {
        value: config.clone(),
        pipelines: vec![PipelineSpec {
            value: config["pipelines"][0].as_object().unwrap().clone(),
            error: ErrorKind::Logs,
            customer_managed: false,
            provisioned: false,
        }],
        outputs: true,
        tags: BTreeMap::new(),
        alarms: Alarms::NewTopic { email: false },
    };
    let text = write_config(&config, Writer::SerdeYaml);
    let json = synth(&text, Format::Json).unwrap().template;
    let yaml = synth(&text, Format::Yaml).unwrap().template;
    check_invariants(&spec, &json, &yaml).unwrap();

    const PUT: &str =
        "/Resources/PresenceRuleRole/Properties/Policies/0/PolicyDocument/Statement/0";
    type Doctor = fn(&mut Value);
    let doctor: [(&str, Doctor); 6] = [
        ("a wildcard action", |t| {
            t.pointer_mut(PUT).unwrap()["Action"] = json!(["dynamodb:PutItem", "logs:*"]);
        }),
        ("a wildcard resource", |t| {
            t.pointer_mut(PUT).unwrap()["Resource"] = json!("*");
        }),
        ("another DynamoDB action", |t| {
            t.pointer_mut(PUT).unwrap()["Action"] = json!(["dynamodb:PutItem", "dynamodb:GetItem"]);
        }),
        ("a dangling reference", |t| {
            t["Outputs"]["PresenceTableName"]["Value"] = json!({"Ref": "Gone"});
        }),
        ("a bad logical ID", |t| {
            let table = t["Resources"]["PresenceTable"].clone();
            t["Resources"]
                .as_object_mut()
                .unwrap()
                .insert("Presence-Table".into(), table);
        }),
        ("a missing resource", |t| {
            t["Resources"]
                .as_object_mut()
                .unwrap()
                .remove("PresenceErrorLog");
        }),
    ];
    for (what, f) in doctor {
        let mut t: Value = serde_json::from_str(&json).unwrap();
        f(&mut t);
        let doctored = serde_json::to_string_pretty(&t).unwrap();
        let doctored_yaml = presence_stack::emit::emit(&t, Format::Yaml).unwrap();
        assert!(
            check_invariants(&spec, &doctored, &doctored_yaml).is_err(),
            "{what} went unnoticed"
        );
    }
    // JSON text with a logical ID written twice (which serde_json's map would quietly merge).
    let twice = json.replacen("\"PresenceRule\":", "\"PresenceTable\":", 1);
    assert!(
        check_invariants(&spec, &twice, &yaml).is_err(),
        "a duplicate logical ID went unnoticed"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Property 2b: an error in a config of any YAML layout is reported at the line and column of its key
// ---------------------------------------------------------------------------------------------------------------

/// A tiny deterministic generator of layout choices (xorshift), seeded by proptest.
struct Choices(u64);

impl Choices {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.next(n) == 0
    }
}

/// Block-style YAML of `config` in one of many layouts people write: indents of 2 to 4, `- key: v` or a `-` alone
/// on its line, indentless sequences, flow collections inside block ones, quoted keys, comment lines and trailing
/// comments.
fn write_layout(config: &Value, seed: u64) -> String {
    struct W<'a> {
        c: &'a mut Choices,
        indent: usize,
        out: String,
    }
    impl W<'_> {
        fn scalar(&mut self, v: &Value) {
            match v {
                Value::String(s)
                    if !s.is_empty()
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && !["yes", "no", "on", "off", "y", "n", "true", "false", "null"]
                            .contains(&s.to_ascii_lowercase().as_str())
                        && !self.c.one_in(3) =>
                {
                    self.out.push_str(s)
                }
                Value::String(s) => self.out.push_str(&yaml_quoted(s)),
                Value::Array(_) | Value::Object(_) => write_flow(v, &mut self.out),
                other => self.out.push_str(&other.to_string()),
            }
        }
        fn key(&mut self, k: &str) {
            let plain = k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if !plain || self.c.one_in(5) {
                self.out.push_str(&yaml_quoted(k));
            } else {
                self.out.push_str(k);
            }
            self.out.push(':');
        }
        fn comment_line(&mut self, col: usize) {
            if self.c.one_in(8) {
                self.out.push_str(&" ".repeat(col));
                self.out.push_str("# name: not this one\n");
            }
        }
        fn end_line(&mut self) {
            if self.c.one_in(8) {
                self.out.push_str("  # comment: x");
            }
            self.out.push('\n');
        }
        /// The value after `key:`, whose key starts at `col`.
        fn value(&mut self, v: &Value, col: usize) {
            let empty = match v {
                Value::Array(a) => a.is_empty(),
                Value::Object(m) => m.is_empty(),
                _ => true,
            };
            if empty || self.c.one_in(5) {
                self.out.push(' ');
                self.scalar(v);
                self.end_line();
                return;
            }
            self.out.push('\n');
            match v {
                Value::Object(m) => self.map(m, col + self.indent, false),
                Value::Array(a) => {
                    let col = if self.c.one_in(3) {
                        col
                    } else {
                        col + self.indent
                    };
                    self.seq(a, col);
                }
                _ => unreachable!(),
            }
        }
        /// A block mapping whose keys start at `col`; with `inline`, the first key follows a `- ` already written.
        fn map(&mut self, m: &Map<String, Value>, col: usize, inline: bool) {
            for (i, (k, v)) in m.iter().enumerate() {
                if !(inline && i == 0) {
                    self.comment_line(col);
                    self.out.push_str(&" ".repeat(col));
                }
                self.key(k);
                self.value(v, col);
            }
        }
        fn seq(&mut self, a: &[Value], col: usize) {
            for item in a {
                self.comment_line(col);
                self.out.push_str(&" ".repeat(col));
                self.out.push('-');
                match item {
                    Value::Object(m) if !m.is_empty() && !self.c.one_in(6) => {
                        if self.c.one_in(3) {
                            self.out.push('\n');
                            let inner = col + 2 + self.c.next(3) as usize;
                            self.map(m, inner, false);
                        } else {
                            self.out.push(' ');
                            self.map(m, col + 2, true);
                        }
                    }
                    other => {
                        self.out.push(' ');
                        self.scalar(other);
                        self.end_line();
                    }
                }
            }
        }
    }
    let mut c = Choices(seed | 1);
    let indent = 2 + c.next(3) as usize;
    let mut w = W {
        c: &mut c,
        indent,
        out: String::new(),
    };
    if let Value::Object(m) = config {
        w.map(m, 0, false);
    }
    let text = w.out;
    let back: Value = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("the test wrote YAML that does not parse ({e}):\n{text}"));
    assert_eq!(
        &back, config,
        "the test's layout does not read back:\n{text}"
    );
    text
}

/// One error put into a valid config: the path it must be reported at and the key that line and column point to.
fn inject_error(config: &mut Value, pipeline: usize, kind: usize) -> (String, &'static str) {
    let n = config["pipelines"].as_array().map_or(0, Vec::len);
    let i = pipeline % n;
    let p = config["pipelines"][i].as_object_mut().unwrap();
    let mut section = |name: &str| {
        let s = p.entry(name.to_owned()).or_insert_with(|| json!({}));
        if !s.is_object() || s.as_object().is_some_and(Map::is_empty) {
            *s = json!({"enabled": true});
        }
        s.as_object_mut().unwrap().clone()
    };
    match kind % 4 {
        0 => {
            p.insert("name".into(), json!("Bad-Name"));
            (format!("pipelines[{i}].name"), "name")
        }
        1 => {
            let mut rule = section("rule");
            rule.insert("name".into(), json!("bad-rule"));
            p.insert("rule".into(), Value::Object(rule));
            (format!("pipelines[{i}].rule.name"), "name")
        }
        2 => {
            let mut table = section("table");
            table.insert("name".into(), json!("x"));
            p.insert("table".into(), Value::Object(table));
            (format!("pipelines[{i}].table.name"), "name")
        }
        _ => {
            p.insert(
                "error_action".into(),
                json!({"kind": "cloudwatch_logs", "retention_days": 2}),
            );
            (
                format!("pipelines[{i}].error_action.retention_days"),
                "retention_days",
            )
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(256) })]

    #[test]
    fn errors_point_at_their_key_in_any_layout(
        spec in config(),
        pipeline in 0usize..20,
        kind in 0usize..4,
        seed in any::<u64>(),
    ) {
        let mut value = spec.value.clone();
        let (path, key) = inject_error(&mut value, pipeline, kind);
        let text = write_layout(&value, seed);
        let diags = match synth(&text, Format::Json) {
            Err(Error::Config(diags)) => diags,
            Ok(_) => return Err(TestCaseError::fail(format!("{path}: the error was not noticed\n{text}"))),
            Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
        };
        let d = diags.iter().find(|d| d.path == path);
        prop_assert!(d.is_some(), "no error at {}: {}\n{}", path, describe(&Error::Config(diags.clone())), text);
        let d = d.unwrap();
        let (Some(line), Some(column)) = (d.line, d.column) else {
            return Err(TestCaseError::fail(format!("{path}: no line and column\n{text}")));
        };
        // The position is the parser's mark of the key, in block and flow style alike, whatever the strings
        // around it hold.
        let at = text.lines().nth(line - 1).and_then(|l| l.get(column - 1..)).unwrap_or("");
        let tokens = [format!("{key}:"), format!("\"{key}\":")];
        prop_assert!(
            tokens.iter().any(|t| at.starts_with(t.as_str())),
            "{} reported at line {}, column {}, which reads {:?}:\n{}",
            path, line, column, at, text
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Property 3: no input makes the library panic
// ---------------------------------------------------------------------------------------------------------------

/// Everything the fuzz targets do with one input: their bodies live in `tests/support/`, shared with `fuzz/`, so
/// that a crash the fuzzer finds replays here through the same code.
fn no_panic_on(text: &str) {
    fuzz_synth::check(text.as_bytes());
}

fn sql_round_trip(text: &str) {
    fuzz_sql::check(text.as_bytes());
}

fn eval_run(text: &str) {
    fuzz_eval::check(text.as_bytes());
}

const VALID: &str = "stack:\n  description: d\n  tags: {owner: iot}\npipelines:\n  - name: presence\n    events: [connected]\n    rule: {name: r, description: x}\n    table:\n      sort_key:\n        name: eventKey\n        type: S\n        expression: \"concat(timestamp, '#', eventType)\"\n      billing: provisioned\n      read_capacity: 5\n      write_capacity: 5\n      ttl_days: 30\n    error_action: {kind: sqs}\n  - {name: other, sql: \"SELECT * FROM '$aws/events/presence/#'\"}\n";

const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n    - ",
    "-\n   ",
    "-\n",
    ":\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "&a ",
    "*a",
    "!!binary ",
    "!!map ",
    "<<: *a",
    "~",
    "null",
    "#",
    "\t",
    "é",
    "日本",
    "🚀",
    "\u{0}",
    "\u{feff}",
    "\r\n",
    "---\n",
    "...",
    "pipelines",
    "name: x",
    "stack",
    "tags",
    "sql: ",
    "expression: ",
    "sort_key",
    "SELECT ",
    "'$aws/#'",
    "1e400",
    "-1",
    "99999999999999999999",
    "? ",
    "|\n",
    ">-\n",
    "%",
    "\\",
    "{{",
];

/// Configs that are valid or nearly so: this file's [`VALID`], every example and every config of `tests/warn`.
fn base_configs() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bases = vec![VALID.to_owned()];
    for dir in ["examples", "tests/warn"] {
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        bases.extend(paths.iter().filter_map(|p| fs::read_to_string(p).ok()));
    }
    bases
}

/// A few small edits of a nearly valid config: enough to reach the model, the checks and `locate`, which a wholly
/// random text never gets past the YAML reader to.
fn mutated_config() -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), 0usize..6, select(TOKENS));
    (select(base_configs()), prop::collection::vec(edit, 1..4)).prop_map(|(mut text, edits)| {
        for (at, delete, token) in edits {
            let mut pos = at.index(text.len() + 1);
            while !text.is_char_boundary(pos) {
                pos -= 1;
            }
            let mut end = (pos + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(pos..end, token);
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(512) })]

    #[test]
    fn no_config_text_makes_the_library_panic(
        text in prop_oneof![
            2 => any::<String>(),
            1 => prop::collection::vec(any::<u8>(), 0..200)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            4 => mutated_config(),
        ],
    ) {
        no_panic_on(&text);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Regressions: crash inputs of the fuzz targets, replayed through the same code path
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(&path).unwrap();
        // The synth target reads bytes, as the binary does; the others ignore input that is not UTF-8.
        if name.starts_with("synth-") {
            fuzz_synth::check(&bytes);
            continue;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if name.starts_with("sql-") {
            sql_round_trip(text);
        } else if name.starts_with("eval-") {
            eval_run(text);
        } else if name != "README.md" {
            panic!("{name}: regression files are named synth-<n>.*, sql-<n>.* or eval-<n>.*");
        }
    }
}
