//! Every field of the config, found by walking its JSON Schema, given every kind of wrong value: each message
//! must name the field, say in the config's words what to write (the text of [`super::expected`], whose bounds
//! must be the schema's), be placed at a line, and hold no word of Rust's or serde's vocabulary.

use serde_json::Value;

use super::expected;
use super::{parse, parse_all, rust_phrasing, schema};

/// Values of every kind YAML has: null, a boolean, negative, fractional and too large numbers, text, a list, a
/// mapping and a tagged value.
const WRONG: &[&str] = &[
    "~",
    "",
    "true",
    "-1",
    "1.5",
    "99999999999999999999999",
    "wrong",
    "[1]",
    "{zz: 1}",
    "!tag x",
];

/// Enum values the schema accepts but a config should not be told to write (the check refuses a binary key).
const NOT_ADVISED: &[&str] = &["B"];

/// One field: its dotted path (with `[0]` for an item and `owner` for a tag) and its schema, `$ref`s resolved.
struct Field {
    path: String,
    schema: Value,
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/$defs/")
            .and_then(|name| root["$defs"].get(name))
            .unwrap_or(node),
        None => node,
    }
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

/// Every node a path can name, from the root down.
fn walk(root: &Value, node: &Value, path: &str, out: &mut Vec<Field>) {
    let node = resolve(root, node);
    out.push(Field {
        path: path.to_owned(),
        schema: node.clone(),
    });
    let alternatives: Vec<&Value> = match node.get("anyOf").and_then(Value::as_array) {
        Some(alts) => alts.iter().map(|a| resolve(root, a)).collect(),
        None => vec![node],
    };
    for alt in alternatives {
        if let Some(props) = alt.get("properties").and_then(Value::as_object) {
            for (key, child) in props {
                walk(root, child, &join(path, key), out);
            }
        }
        if let Some(items) = alt.get("items") {
            walk(root, items, &format!("{path}[0]"), out);
        }
        if let Some(values) = alt.get("additionalProperties").filter(|v| v.is_object()) {
            walk(root, values, &join(path, "owner"), out);
        }
    }
}

fn fields() -> Vec<Field> {
    let root = schema();
    let mut out = Vec::new();
    walk(&root, &root, "", &mut out);
    out
}

/// A config that sets `path` to `value` and nothing else: `{pipelines: [{table: {ttl_days: -1}}]}`.
fn config_setting(path: &str, value: &str) -> String {
    let mut text = value.to_owned();
    let mut parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    while let Some(part) = parts.pop() {
        let (key, item) = match part.strip_suffix("[0]") {
            Some(key) => (key, true),
            None => (part, false),
        };
        if item {
            text = format!("[{text}]");
        }
        text = format!("{{{key}: {text}}}");
    }
    // A tagged value needs a space before the closing bracket to end.
    text.replace("x}", "x }").replace("x]", "x ]")
}

/// `40000` as `40,000`, as the messages write bounds.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[test]
fn every_field_says_what_to_write_with_the_schemas_bounds() {
    let fields = fields();
    assert!(fields.len() > 40, "the walk found {} fields", fields.len());
    for field in &fields {
        let Some(text) = expected::expected(&field.path) else {
            panic!("`{}` has no text in config/expected.rs", field.path);
        };
        assert_eq!(rust_phrasing(text), None, "{}: {text}", field.path);
        let (min, max) = (
            field.schema.get("minimum").and_then(Value::as_u64),
            field.schema.get("maximum").and_then(Value::as_u64),
        );
        if let (Some(min), Some(max)) = (min, max) {
            let bounds = format!("from {} to {}", thousands(min), thousands(max));
            assert!(
                text.contains(&bounds),
                "{}: `{text}` lacks {bounds}",
                field.path
            );
        }
        if let Some(max) = field.schema.get("maxLength").and_then(Value::as_u64) {
            let most = thousands(max);
            assert!(
                text.contains(&most),
                "{}: `{text}` lacks its length {most}",
                field.path
            );
        }
        if let Some(values) = field.schema.get("enum").and_then(Value::as_array) {
            for v in values.iter().filter_map(Value::as_str) {
                if !NOT_ADVISED.contains(&v) {
                    assert!(
                        text.contains(&format!("`{v}`")),
                        "{}: `{text}` lacks `{v}`",
                        field.path
                    );
                }
            }
        }
    }
    // And the table holds no field the config does not have.
    for (pattern, _) in expected::all() {
        assert!(
            fields.iter().any(|f| expected::pattern(&f.path) == pattern),
            "`{pattern}` names no field"
        );
    }
}

#[test]
fn every_wrong_value_of_every_field_is_explained_in_the_configs_words() {
    let mut explained = 0;
    for field in fields() {
        let wanted = expected::expected(&field.path).unwrap_or_default();
        let mut at_the_field = false;
        for value in WRONG {
            let text = config_setting(&field.path, value);
            // Every mistake of the file is reported: the one at the field among them.
            let Err(problems) = parse_all(&text) else {
                continue;
            };
            for e in problems {
                let shown = format!("{}: {}", e.path, e.message);
                assert_eq!(rust_phrasing(&shown), None, "{text}\n  gives {shown}");
                if e.message.starts_with("the file is empty") {
                    continue;
                }
                assert!(
                    e.line.is_some() && e.column.is_some(),
                    "{text}\n  gives {e:?}"
                );
                if e.path == field.path
                    && !e.message.contains("field")
                    && !e.message.contains("has no")
                {
                    at_the_field = true;
                    explained += 1;
                    assert!(
                        e.message.contains(wanted),
                        "{text}\n  gives {shown}\n  not {wanted}"
                    );
                    assert!(e.message.contains("; write "), "{text}\n  gives {shown}");
                }
            }
        }
        assert!(
            at_the_field,
            "no wrong value of `{}` was refused there",
            field.path
        );
    }
    assert!(explained > 200, "{explained} messages");
}

#[test]
fn the_mistakes_people_made_are_explained() {
    for (text, path, message) in [
        (
            "pipelines:\n  - name: p\n    table:\n      sort_key: timestamp\n",
            "pipelines[0].table.sort_key",
            "is the text \"timestamp\"; write a mapping with `name` and `type`",
        ),
        (
            "pipelines:\n  - name: p\n    error_action: sqs\n",
            "pipelines[0].error_action",
            "is the text \"sqs\"; write a mapping with `kind`",
        ),
        (
            "hello\n",
            "",
            "the file is the text \"hello\"; write a mapping with `pipelines`",
        ),
        (
            "stack: {}\n",
            "",
            "the file has no `pipelines`; add `pipelines:` with a list of pipelines",
        ),
        (
            "pipelines:\n  - name: p\n    rule:\n      enabled:\n",
            "pipelines[0].rule.enabled",
            "is empty (null); write `true` or `false`",
        ),
        (
            "pipelines:\n  - name: p\n    table:\n      ttl_days: -1\n",
            "pipelines[0].table.ttl_days",
            "is `-1`; write a whole number of days from 1 to 36,500",
        ),
        (
            "pipelines:\n  - name: p\n    table:\n      ttl_days: 99999999999999999999999\n",
            "pipelines[0].table.ttl_days",
            "is `99999999999999999999999`; write a whole number of days from 1 to 36,500",
        ),
        (
            "pipelines:\n  - name: p\n    table:\n      sort_key: {name: x}\n",
            "pipelines[0].table.sort_key",
            "has no `type`; add `type:` with `S` (a string) or `N` (a number)",
        ),
        (
            "pipelines:\n  - name: p\n    rule: {name: a, name: b}\n",
            "pipelines[0].rule",
            "`name` is written twice in this mapping; keep one of them",
        ),
        (
            "stack:\n  tags: {cost-center: [eu]}\npipelines: [{name: p}]\n",
            "stack.tags.cost-center",
            "is a list; write text",
        ),
        (
            "pipelines:\n  - name: p\n    events: [connectd]\n",
            "pipelines[0].events[0]",
            "`connectd` is not allowed here; write one of `connected`",
        ),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.path, path, "{text}");
        assert!(
            e.message.starts_with(message),
            "{text}\n  gives {}\n  not {message}",
            e.message
        );
        assert!(e.line.is_some(), "{text}");
    }
}
