//! Names and text AWS accepts: pipeline, rule and table names, tags, template strings, and the names two
//! pipelines may not share.

use std::collections::BTreeMap;

use super::{MAX_TAGS, Pipeline, Problem, Tag};
use crate::catalog::Id;

/// A name CloudFormation takes for a stack: `[A-Za-z][A-Za-z0-9-]*`, at most 128 characters.
pub fn is_stack_name(name: &str) -> bool {
    name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `device_presence` -> `DevicePresence`: the prefix of every logical ID of a pipeline.
pub fn pascal_case(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

pub(super) fn is_pipeline_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(super) fn is_rule_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn is_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The words IoT SQL reserves, which the rule's parser refuses after `AS` (a test checks each against it).
pub(super) const SQL_RESERVED_WORDS: &str =
    "SELECT, FROM, WHERE, AS, AND, OR, NOT, IN, TRUE, FALSE, NULL, CASE, WHEN, THEN, ELSE, END";

/// The name of a computed key (one with an `expression`), which the generated rule selects as
/// `<expression> AS <name>`: an identifier of IoT SQL (letters, digits and `_`, not starting with a digit) that
/// is not a reserved word. Anything else would make the generated rule fail to parse, and the error would point
/// into SQL the user never wrote.
pub(super) fn check_computed_key_name(path: &str, name: &str, problems: &mut Vec<Problem>) {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return; // An empty name is refused for every key, computed or not.
    };
    let allowed = "a computed key's name follows `AS` in the generated rule, so it must be letters, digits \
                   and `_`, not starting with a digit, and not a reserved word of IoT SQL";
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        let mut suggestion: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if first.is_ascii_digit() {
            suggestion.insert(0, '_');
        }
        problems.push(Problem::new(
            Id::KeyName,
            path,
            format!("`{name}` cannot name a computed key: {allowed}; write e.g. `{suggestion}`"),
        ));
    } else if crate::sql::is_reserved_word(name) {
        problems.push(Problem::new(
                Id::KeyName,
            path,
            format!(
                "`{name}` cannot name a computed key: {allowed} ({SQL_RESERVED_WORDS}); write e.g. `{}Key`",
                name.to_ascii_lowercase()
            ),
        ));
    }
}

/// IAM is the strictest of the services that get the tags: `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`.
pub(super) fn is_tag_text(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_alphabetic()
            || c.is_numeric()
            || c == ' '
            || is_unicode_space(c)
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

pub(super) fn is_unicode_space(c: char) -> bool {
    // \p{Z}: the space separators plus the line and paragraph separators.
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Text that goes into the template as a string: CloudFormation rejects control characters other than tab and newline.
pub(super) fn check_text(path: &str, text: &str, problems: &mut Vec<Problem>) {
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        problems.push(Problem::new(
            Id::ControlCharacter,
            path,
            format!(
                "holds the control character U+{:04X}, which CloudFormation refuses; remove it",
                u32::from(c)
            ),
        ));
    }
}

pub(super) fn resolve_tags(
    tags: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Vec<Tag> {
    if tags.len() > MAX_TAGS {
        problems.push(Problem::new(
            Id::Tags,
            "stack.tags",
            format!(
                "has {} tags; AWS allows {MAX_TAGS} per resource",
                tags.len()
            ),
        ));
    }
    for (key, value) in tags {
        let path = format!("stack.tags.{key}");
        let allowed = "letters, digits, spaces and `_ . : / = + - @`";
        if key.is_empty() || key.chars().count() > 128 {
            problems.push(Problem::new(
                Id::Tags,
                &path,
                "a tag key must have 1 to 128 characters",
            ));
        } else if !is_tag_text(key) {
            problems.push(Problem::new(
                Id::Tags,
                &path,
                format!("tag key `{key}` has a character IAM refuses; allowed: {allowed}"),
            ));
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            problems.push(Problem::new(
                Id::Tags,
                &path,
                "tag keys starting with `aws:` are reserved for AWS",
            ));
        }
        if value.chars().count() > 256 {
            problems.push(Problem::new(
                Id::Tags,
                &path,
                "a tag value may have at most 256 characters",
            ));
        } else if !is_tag_text(value) {
            problems.push(Problem::new(
                Id::Tags,
                &path,
                format!("tag value `{value}` has a character IAM refuses; allowed: {allowed}"),
            ));
        }
    }
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Names that two pipelines may not share: their logical IDs, and physical names that live in one region.
pub(super) fn check_unique(
    configs: &[crate::config::PipelineConfig],
    _resolved: &[Pipeline],
    problems: &mut Vec<Problem>,
) {
    let mut seen_names: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_prefix: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_rules: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen_tables: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in configs.iter().enumerate() {
        if let Some(j) = seen_names.insert(p.name.clone(), i) {
            problems.push(Problem::new(
                Id::DuplicatePipeline,
                format!("pipelines[{i}].name"),
                format!(
                    "`{}` is also the name of pipelines[{j}]; pipeline names must be unique",
                    p.name
                ),
            ));
        } else if let Some(j) = seen_prefix.insert(pascal_case(&p.name), i) {
            problems.push(Problem::new(
                Id::DuplicatePipeline,
                format!("pipelines[{i}].name"),
                format!(
                    "`{}` and `{}` (pipelines[{j}]) give the same logical IDs ({}...); rename one",
                    p.name,
                    configs[j].name,
                    pascal_case(&p.name)
                ),
            ));
        }
        if let Some(name) = &p.rule.name
            && let Some(j) = seen_rules.insert(name, i)
        {
            problems.push(Problem::new(
                Id::DuplicatePhysicalName,
                format!("pipelines[{i}].rule.name"),
                format!("`{name}` is also the rule name of pipelines[{j}]"),
            ));
        }
        if let Some(name) = &p.table.name
            && let Some(j) = seen_tables.insert(name, i)
        {
            problems.push(Problem::new(
                Id::DuplicatePhysicalName,
                format!("pipelines[{i}].table.name"),
                format!("`{name}` is also the table name of pipelines[{j}]"),
            ));
        }
    }
}
