//! Every mistake of the file's shape at once. serde stops at the first field it cannot read; when it does,
//! this walks the whole YAML tree against the config's JSON Schema and finds every unknown field, missing
//! field, value of the wrong kind, enum value that does not exist and number out of range, each at its own
//! path. Each is said in serde's words first and then explained as serde's own error is
//! ([`super::explain`]), so a mistake reads the same whichever of the two found it.

use std::sync::OnceLock;

use serde_json::Value as Schema;
use serde_yaml::Value;

/// A mistake found in the tree: the dotted path of the node, serde's words for it, and whether the path is the
/// mapping that holds an unknown field (whose key is at `path.key`).
pub(super) struct Mistake {
    pub path: String,
    pub serde_message: String,
    /// The key of an unknown field, where the mistake is written.
    pub key: Option<String>,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(super::schema)
}

/// Every mistake of the file's shape, in the order they are written; none when the text is not YAML serde can
/// read as a tree (its syntax error is then the one to report).
pub(super) fn mistakes(text: &str) -> Vec<Mistake> {
    let Ok(tree) = serde_yaml::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&tree, schema(), "", &mut out);
    out
}

/// The schema a `$ref` points at, and the one branch of an `anyOf` that is not `null` (the config's optional
/// fields), for a value that is not null.
fn resolve<'a>(node: &'a Schema, value: &Value) -> Option<&'a Schema> {
    if let Some(reference) = node.get("$ref").and_then(Schema::as_str) {
        let name = reference.strip_prefix("#/$defs/")?;
        return schema().get("$defs")?.get(name);
    }
    if let Some(branches) = node.get("anyOf").and_then(Schema::as_array) {
        let not_null = |b: &&Schema| b.get("type").and_then(Schema::as_str) != Some("null");
        if value.is_null() && branches.iter().any(|b| !not_null(&b)) {
            return None;
        }
        return branches
            .iter()
            .find(not_null)
            .and_then(|b| resolve(b, value).or(Some(b)));
    }
    Some(node)
}

fn walk(value: &Value, node: &Schema, path: &str, out: &mut Vec<Mistake>) {
    let Some(node) = resolve(node, value) else {
        return;
    };
    // A `$ref` inside an `anyOf` branch.
    let node = if node.get("$ref").is_some() {
        match resolve(node, value) {
            Some(n) => n,
            None => return,
        }
    } else {
        node
    };
    let mut wrong = |serde_message: String| {
        out.push(Mistake {
            path: path.to_owned(),
            serde_message,
            key: None,
        })
    };
    let types: Vec<&str> = match node.get("type") {
        Some(Schema::String(t)) => vec![t.as_str()],
        Some(Schema::Array(ts)) => ts.iter().filter_map(Schema::as_str).collect(),
        _ => Vec::new(),
    };
    let kind = kind_of(value);
    if !types.is_empty() && !types.contains(&kind) {
        // A whole number where a number of another kind is wanted is the only overlap.
        if !(kind == "integer" && types.contains(&"number")) {
            wrong(format!(
                "invalid type: {}, expected another kind",
                found(value)
            ));
            return;
        }
    }
    if let (Some(allowed), Value::String(s)) = (node.get("enum").and_then(Schema::as_array), value)
    {
        let names: Vec<&str> = allowed.iter().filter_map(Schema::as_str).collect();
        if !names.contains(&s.as_str()) {
            wrong(format!(
                "unknown variant `{s}`, expected {}",
                one_of(&names)
            ));
        }
        return;
    }
    match value {
        Value::Number(n) => {
            let (min, max) = (
                node.get("minimum").and_then(Schema::as_f64),
                node.get("maximum").and_then(Schema::as_f64),
            );
            let unsigned = node.get("format").and_then(Schema::as_str) == Some("uint64");
            let v = n.as_f64().unwrap_or(0.0);
            let below = min.is_some_and(|m| v < m) || (unsigned && v < 0.0);
            if below || max.is_some_and(|m| v > m) {
                wrong(format!(
                    "invalid value: {}, expected another value",
                    found(value)
                ));
            }
        }
        Value::Sequence(items) => {
            if let Some(item) = node.get("items") {
                for (i, v) in items.iter().enumerate() {
                    walk(v, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        Value::Mapping(map) => {
            let properties = node.get("properties").and_then(Schema::as_object);
            let extra = node.get("additionalProperties");
            let allowed: Vec<&str> = properties
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            for (k, v) in map {
                let Some(key) = k.as_str() else { continue };
                let child = join(path, key);
                match properties.and_then(|p| p.get(key)) {
                    Some(field) => walk(v, field, &child, out),
                    None => match extra {
                        Some(Schema::Bool(false)) => out.push(Mistake {
                            path: path.to_owned(),
                            serde_message: format!(
                                "unknown field `{key}`, expected {}",
                                one_of(&allowed)
                            ),
                            key: Some(key.to_owned()),
                        }),
                        Some(schema @ Schema::Object(_)) => walk(v, schema, &child, out),
                        _ => {}
                    },
                }
            }
            for required in node
                .get("required")
                .and_then(Schema::as_array)
                .into_iter()
                .flatten()
                .filter_map(Schema::as_str)
            {
                if !map.contains_key(required) {
                    out.push(Mistake {
                        path: path.to_owned(),
                        serde_message: format!("missing field `{required}`"),
                        key: None,
                    });
                }
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON Schema type a YAML value is.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "array",
        Value::Mapping(_) => "object",
        Value::Tagged(_) => "tagged",
    }
}

/// A value as serde describes what it found (`integer `-1``, `string "x"`, `map`).
fn found(value: &Value) -> String {
    match value {
        Value::Null => "unit value".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("integer `{n}`"),
        Value::Number(n) => format!("floating point `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Sequence(_) => "sequence".to_owned(),
        Value::Mapping(_) => "map".to_owned(),
        Value::Tagged(_) => "enum".to_owned(),
    }
}

/// A list of names as serde writes it: `` `a` ``, `` `a` or `b` ``, `` one of `a`, `b`, `c` ``.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        all => format!("one of {}", all.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk only ever speaks when serde has refused the file; still, it must never find a mistake in a
    /// config serde reads, or its extra lines would be false.
    #[test]
    fn valid_configs_have_no_mistakes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut seen = 0;
        for dir in ["examples", "tests/warn", "tests/yaml11"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "yaml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(super::super::parse(&text).is_ok(), "{}", path.display());
                let found: Vec<String> = mistakes(&text)
                    .into_iter()
                    .map(|m| format!("{}: {}", m.path, m.serde_message))
                    .collect();
                assert_eq!(found, Vec::<String>::new(), "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 20, "{seen}");
    }

    #[test]
    fn serde_words_for_what_was_found_and_what_is_allowed() {
        let found_in = |text: &str| -> Vec<String> {
            mistakes(text)
                .into_iter()
                .map(|m| format!("{}: {}", m.path, m.serde_message))
                .collect()
        };
        assert_eq!(
            found_in(
                "pipelines: [{name: p, table: {ttl_days: -1, billing: x}, nme: q}]\nstack: 3\n"
            ),
            [
                "pipelines[0].table.ttl_days: invalid value: integer `-1`, expected another value",
                "pipelines[0].table.billing: unknown variant `x`, expected `on_demand` or `provisioned`",
                "pipelines[0]: unknown field `nme`, expected one of `name`, `events`, `sql`, `rule`, `table`, \
                 `error_action`, `status`, `ignore`",
                "stack: invalid type: integer `3`, expected another kind",
            ]
        );
        assert_eq!(
            found_in("pipelines: [{table: {}}]"),
            ["pipelines[0]: missing field `name`"]
        );
    }
}
