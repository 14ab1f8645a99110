//! The catalog of diagnostics: every error and warning the library reports has one entry here, with a stable
//! id (`PS201`), its severity, a short title and how to fix it, as cfn-lint keeps its rules. Code names a
//! diagnostic by its [`Id`]; users name it by the id's code, in `ignore` lists and in CI output.
//!
//! An id is never reused: a diagnostic that goes away keeps its code in [`RETIRED`], and a new one gets a new
//! code. The table in docs/checks.md is this catalog (a test compares them).

use std::fmt;

use crate::error::Severity;

/// One diagnostic of the catalog. The code of each is in [`CATALOG`], at the index of the variant.
#[repr(usize)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    // The file: what the YAML reader refuses.
    Encoding,
    FileTooLarge,
    EmptyFile,
    TooDeep,
    YamlSyntax,
    MergeKey,
    UnknownField,
    WrongValue,
    MissingField,
    DuplicateKey,
    // The config's meaning.
    NoPipelines,
    PipelineName,
    DuplicatePipeline,
    DuplicatePhysicalName,
    RuleName,
    TableName,
    EventsAndSql,
    EmptySql,
    EventKinds,
    KeyName,
    KeyExpression,
    Capacity,
    Autoscaling,
    Ttl,
    Retention,
    Status,
    Alarms,
    ControlCharacter,
    DescriptionTooLong,
    Tags,
    StackQuota,
    TemplateTooLarge,
    IgnoreUnknownId,
    IgnoreError,
    StackName,
    Notifications,
    // The rule SQL: errors.
    SqlSyntax,
    UnknownFunction,
    NoFrom,
    TopicFilter,
    TopicLevel,
    ReservedTopicTypo,
    NeverFires,
    KeyNotProduced,
    KeyType,
    TtlNotSelected,
    // Warnings.
    FixedName,
    KeyLosesEvents,
    DeletionProtection,
    RuleDisabled,
    SqlVersion,
    TemplateOverInline,
    UnknownPayloadField,
    ConnectFailedMatched,
    PlusLastLevel,
    TopicFilterLimit,
    UnknownReservedTopic,
    DeadBranch,
    KeySometimesMissing,
    IgnoreUnused,
}

/// What the catalog says of one diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub id: Id,
    /// The stable id users write: `PS` and three digits.
    pub code: &'static str,
    pub severity: Severity,
    /// What is wrong, in a few words.
    pub title: &'static str,
    /// How to fix it, in general; each message says it for its own case.
    pub fix: &'static str,
}

const fn entry(
    id: Id,
    code: &'static str,
    severity: Severity,
    title: &'static str,
    fix: &'static str,
) -> Entry {
    Entry {
        id,
        code,
        severity,
        title,
        fix,
    }
}

use Severity::{Error as E, Warning as W};

/// Every diagnostic, in the order of [`Id`]'s variants, which is the table's in docs/checks.md.
pub const CATALOG: &[Entry] = &[
    entry(
        Id::Encoding,
        "PS001",
        E,
        "the file is not UTF-8 text, or holds a character YAML refuses",
        "save it as UTF-8 and remove NUL bytes and control characters",
    ),
    entry(
        Id::FileTooLarge,
        "PS002",
        E,
        "the file is over 1 MiB",
        "give the config file; a config is a few kilobytes",
    ),
    entry(
        Id::EmptyFile,
        "PS003",
        E,
        "the file is empty",
        "start from `pipelines: [{name: presence}]` or `presence-stack init`",
    ),
    entry(
        Id::TooDeep,
        "PS004",
        E,
        "brackets nest deeper than 64 levels",
        "give the config file; a config nests a few levels",
    ),
    entry(
        Id::YamlSyntax,
        "PS005",
        E,
        "the YAML does not parse",
        "fix the syntax at the line and column given (indent with spaces, one document)",
    ),
    entry(
        Id::MergeKey,
        "PS006",
        E,
        "a merge key (`<<`)",
        "write the keys out, or alias a whole value (`rule: *shared`)",
    ),
    entry(
        Id::UnknownField,
        "PS010",
        E,
        "an unknown field",
        "use one of the field names the message lists",
    ),
    entry(
        Id::WrongValue,
        "PS011",
        E,
        "a value of the wrong kind, or out of range",
        "write what the message says, within the field's bounds",
    ),
    entry(
        Id::MissingField,
        "PS012",
        E,
        "a required field is missing",
        "add the field the message names",
    ),
    entry(
        Id::DuplicateKey,
        "PS013",
        E,
        "a key written twice in one mapping",
        "keep one of them",
    ),
    entry(
        Id::NoPipelines,
        "PS100",
        E,
        "no pipeline",
        "add one: `pipelines: [{name: presence}]`",
    ),
    entry(
        Id::PipelineName,
        "PS101",
        E,
        "an invalid pipeline name",
        "lowercase letters, digits and `_`, starting with a letter, at most 64",
    ),
    entry(
        Id::DuplicatePipeline,
        "PS102",
        E,
        "two pipelines with the same name or logical IDs",
        "rename one of them",
    ),
    entry(
        Id::DuplicatePhysicalName,
        "PS103",
        E,
        "two pipelines with the same rule or table name",
        "rename one, or leave the names out",
    ),
    entry(
        Id::RuleName,
        "PS104",
        E,
        "an invalid rule name",
        "1 to 128 letters, digits or `_`",
    ),
    entry(
        Id::TableName,
        "PS105",
        E,
        "an invalid table name",
        "3 to 255 letters, digits or `_ . -`",
    ),
    entry(
        Id::EventsAndSql,
        "PS106",
        E,
        "both `events` and `sql`",
        "remove one: `sql` is the whole rule",
    ),
    entry(
        Id::EmptySql,
        "PS107",
        E,
        "an empty `sql`",
        "give the whole rule SQL, or remove `sql`",
    ),
    entry(
        Id::EventKinds,
        "PS108",
        E,
        "an empty, repeated or mixed list of event kinds",
        "list each kind once, presence and subscription kinds in separate pipelines",
    ),
    entry(
        Id::KeyName,
        "PS109",
        E,
        "an invalid key name",
        "a name of 1 to 255 bytes, not the other key's, not an SQL keyword for a computed key",
    ),
    entry(
        Id::KeyExpression,
        "PS110",
        E,
        "a key expression that cannot apply",
        "remove it, or select the key in `sql` yourself",
    ),
    entry(
        Id::Capacity,
        "PS111",
        E,
        "capacities that do not fit the billing mode",
        "set both with `billing: provisioned`, neither with `on_demand`",
    ),
    entry(
        Id::Autoscaling,
        "PS112",
        E,
        "autoscaling maxima below the capacity, or autoscaling without provisioned billing",
        "maxima from the capacity to 40000, only with `billing: provisioned`",
    ),
    entry(
        Id::Ttl,
        "PS113",
        E,
        "a time to live on a key attribute",
        "rename the key: the time to live is kept in `expiresAt`",
    ),
    entry(
        Id::Retention,
        "PS114",
        E,
        "a log retention without a log group",
        "remove it, or set `kind: cloudwatch_logs`",
    ),
    entry(
        Id::Status,
        "PS115",
        E,
        "status table settings without the status table, or items it cannot read",
        "set `status.enabled: true`, or remove the setting",
    ),
    entry(
        Id::Alarms,
        "PS116",
        E,
        "alarm settings that contradict each other or are malformed",
        "a real email address or SNS topic ARN, not both, only with alarms on",
    ),
    entry(
        Id::ControlCharacter,
        "PS117",
        E,
        "a control character in a text CloudFormation refuses",
        "remove the character",
    ),
    entry(
        Id::DescriptionTooLong,
        "PS118",
        E,
        "a description over 1,024 bytes",
        "shorten `stack.description`",
    ),
    entry(
        Id::Tags,
        "PS119",
        E,
        "tags IAM refuses",
        "at most 50 tags, keys of 1 to 128 and values of at most 256 allowed characters, no `aws:` keys",
    ),
    entry(
        Id::StackQuota,
        "PS120",
        E,
        "over 500 resources or 200 outputs in one stack",
        "split the pipelines over several stacks, or set `stack.outputs: false`",
    ),
    entry(
        Id::TemplateTooLarge,
        "PS121",
        E,
        "a template over 1,000,000 bytes",
        "split the pipelines over several stacks, or write the other format if it fits",
    ),
    entry(
        Id::IgnoreUnknownId,
        "PS122",
        E,
        "an ignore of an id no diagnostic has",
        "write an id of the table in docs/checks.md",
    ),
    entry(
        Id::IgnoreError,
        "PS123",
        E,
        "an ignore of an error",
        "fix the error: only warnings can be ignored",
    ),
    entry(
        Id::StackName,
        "PS124",
        E,
        "an invalid stack name",
        "1 to 128 letters, digits or `-`, starting with a letter",
    ),
    entry(
        Id::Notifications,
        "PS125",
        E,
        "notification settings that contradict each other or are malformed",
        "a real event bus name, email address or SNS topic ARN, not both an email and a topic, only with notifications on",
    ),
    entry(
        Id::SqlSyntax,
        "PS200",
        E,
        "the SQL does not parse",
        "fix the SQL at the column given",
    ),
    entry(
        Id::UnknownFunction,
        "PS201",
        E,
        "a function AWS IoT does not have, or the wrong number of arguments",
        "use a function of the AWS IoT SQL reference, with its arguments",
    ),
    entry(
        Id::NoFrom,
        "PS202",
        E,
        "a rule without FROM",
        "add the FROM the message gives",
    ),
    entry(
        Id::TopicFilter,
        "PS203",
        E,
        "a malformed topic filter",
        "`#` alone as the last level, `+` alone in its level, no NUL",
    ),
    entry(
        Id::TopicLevel,
        "PS204",
        E,
        "`topic(n)` past the filter's levels",
        "count levels from 1, up to the filter's last",
    ),
    entry(
        Id::ReservedTopicTypo,
        "PS205",
        E,
        "a FROM below `$aws/` near a reserved topic but not one",
        "use the reserved topic the message suggests",
    ),
    entry(
        Id::NeverFires,
        "PS206",
        E,
        "a WHERE never true for the events the FROM reads",
        "compare with a field, value or type the events have",
    ),
    entry(
        Id::KeyNotProduced,
        "PS207",
        E,
        "a table key the rule does not produce at the root",
        "select the key attribute at the root of the result",
    ),
    entry(
        Id::KeyType,
        "PS208",
        E,
        "a table key of a type the rule cannot produce",
        "declare the key's type as the rule produces it (S or N, never B)",
    ),
    entry(
        Id::TtlNotSelected,
        "PS209",
        E,
        "`ttl_days` with an `sql` that never selects `expiresAt` as a number",
        "select `floor(timestamp / 1000) + <seconds> AS expiresAt`, or remove `ttl_days`",
    ),
    entry(
        Id::FixedName,
        "PS300",
        W,
        "a fixed rule or table name",
        "leave the name out to let CloudFormation name it",
    ),
    entry(
        Id::KeyLosesEvents,
        "PS301",
        W,
        "a sort key that loses events",
        "leave `table.sort_key` out for the default `eventKey`",
    ),
    entry(
        Id::DeletionProtection,
        "PS302",
        W,
        "deletion protection set against `retain: false`",
        "leave `deletion_protection` out, or set `retain: true`",
    ),
    entry(
        Id::RuleDisabled,
        "PS303",
        W,
        "a disabled rule",
        "set `rule.enabled: true` when the pipeline should run",
    ),
    entry(
        Id::SqlVersion,
        "PS304",
        W,
        "an SQL version other than 2016-03-23",
        "set `rule.sql_version: \"2016-03-23\"`",
    ),
    entry(
        Id::TemplateOverInline,
        "PS305",
        W,
        "a template over the 51,200 bytes CloudFormation takes inline",
        "deploy with `--s3-bucket`, or ignore this warning when you do",
    ),
    entry(
        Id::UnknownPayloadField,
        "PS306",
        W,
        "a field the lifecycle payloads never carry",
        "use a field of the events the rule reads",
    ),
    entry(
        Id::ConnectFailedMatched,
        "PS307",
        W,
        "a filter that also reads connect_failed events, not excluded",
        "add `WHERE eventType <> 'connect_failed'`, or keep it on purpose",
    ),
    entry(
        Id::PlusLastLevel,
        "PS308",
        W,
        "a filter ending in `+`, which misses client IDs with `/`",
        "end the filter in `#`",
    ),
    entry(
        Id::TopicFilterLimit,
        "PS309",
        W,
        "a topic filter over AWS IoT's length or level limits",
        "shorten the filter",
    ),
    entry(
        Id::UnknownReservedTopic,
        "PS310",
        W,
        "a FROM below `$aws/` that matches no reserved topic presence-stack knows",
        "check the filter against AWS's list of reserved topics",
    ),
    entry(
        Id::DeadBranch,
        "PS311",
        W,
        "a part of a WHERE that never matches",
        "fix or remove the part the message names",
    ),
    entry(
        Id::KeySometimesMissing,
        "PS312",
        W,
        "a table key only some events carry",
        "select a key every event carries, or narrow the WHERE",
    ),
    entry(
        Id::IgnoreUnused,
        "PS313",
        W,
        "an ignore that matches no warning",
        "remove it",
    ),
];

/// Codes that once named a diagnostic that is gone. They are never given to another.
pub const RETIRED: &[&str] = &[];

impl Id {
    pub fn entry(self) -> &'static Entry {
        // The catalog lists the ids in the order of the enum; a test holds it to that.
        &CATALOG[self as usize]
    }

    pub fn code(self) -> &'static str {
        self.entry().code
    }

    pub fn severity(self) -> Severity {
        self.entry().severity
    }

    /// The id of a code as users write it (`PS301`, `ps301`).
    pub fn from_code(code: &str) -> Option<Id> {
        CATALOG
            .iter()
            .find(|e| e.code.eq_ignore_ascii_case(code.trim()))
            .map(|e| e.id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The table of the catalog in docs/checks.md, as Markdown rows.
pub fn markdown_table() -> String {
    let mut out = String::from("| id | severity | what | how to fix |\n|---|---|---|---|\n");
    for e in CATALOG {
        let severity = match e.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "| `{}` | {severity} | {} | {} |\n",
            e.code, e.title, e.fix
        ));
    }
    out
}

/// The README's table of the warnings, the ids a config's `ignore` may name, as Markdown rows.
pub fn warnings_table() -> String {
    let mut out = String::from("| id | what |\n|---|---|\n");
    for e in CATALOG.iter().filter(|e| e.severity == Severity::Warning) {
        out.push_str(&format!("| `{}` | {} |\n", e.code, e.title));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_one_entry_and_codes_are_unique_and_never_retired() {
        let mut codes = std::collections::BTreeSet::new();
        for (i, e) in CATALOG.iter().enumerate() {
            assert!(codes.insert(e.code), "{} twice", e.code);
            assert!(!RETIRED.contains(&e.code), "{} is retired", e.code);
            assert!(
                e.code.len() == 5
                    && e.code.starts_with("PS")
                    && e.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                e.code
            );
            assert_eq!(
                CATALOG.iter().filter(|o| o.id == e.id).count(),
                1,
                "{:?}",
                e.id
            );
            assert_eq!(e.id as usize, i, "{:?} is not at its variant's index", e.id);
            assert_eq!(Id::from_code(&e.code.to_ascii_lowercase()), Some(e.id));
            assert!(!e.title.is_empty() && !e.fix.is_empty());
        }
        assert_eq!(
            CATALOG.len(),
            Id::IgnoreUnused as usize + 1,
            "the last variant's index"
        );
    }

    /// docs/checks.md's table is the catalog: a code that changes meaning breaks every `ignore` written with it,
    /// and the docs diff shows it in review.
    #[test]
    fn the_docs_list_the_catalog() {
        let docs = include_str!("../docs/checks.md");
        assert!(
            docs.contains(&markdown_table()),
            "docs/checks.md's table under \"## Every id\" is not the catalog; paste this:\n{}",
            markdown_table()
        );
    }

    /// The README lists the warnings, the ids users write in `ignore`, from the same catalog.
    #[test]
    fn the_readme_lists_the_warnings() {
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&warnings_table()),
            "README.md's table of warnings under \"## Checks\" is not the catalog's; paste this:\n{}",
            warnings_table()
        );
    }
}
