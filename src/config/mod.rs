//! The config file, mirrored as it is written: serde types with every default of the documented contract and
//! `deny_unknown_fields` everywhere. This is the only module that knows YAML. Meaning (names that AWS accepts,
//! combinations that make sense) is checked by `model`, which reports problems by the dotted paths this module
//! can turn back into line and column with [`Positions`], from the marks of the parser serde_yaml reads with.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog::Id;
use crate::events::EventKind;

// The only unsafe code of the crate: calls into the YAML parser, each with a SAFETY note.
mod expected;
mod explain;
#[allow(unsafe_code)]
mod libyaml;
mod locate;
mod status;
mod text;
mod validate;

pub use explain::{expected_text, out_of_range, rust_phrasing};
pub use locate::{Positions, locate};
pub use status::{ConflictConfig, FlappingConfig, NotificationsConfig, StatusConfig};
pub use text::decode;

/// A presence-stack config: the pipelines of one CloudFormation stack.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "presence-stack config")]
pub struct Config {
    /// Settings of the whole stack.
    #[serde(default)]
    pub stack: StackConfig,
    /// The pipelines: each is one topic rule with its role, its table and its error action. At least one.
    #[schemars(length(min = 1))]
    pub pipelines: Vec<PipelineConfig>,
}

/// Settings of the whole stack.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackConfig {
    /// The CloudFormation stack's name, in the `aws cloudformation deploy` command `synth` prints (default: one
    /// made from the config's file name). Letters, digits and `-`, starting with a letter, at most 128.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"))]
    pub name: Option<String>,
    /// The template's Description (at most 1024 bytes).
    #[serde(default)]
    pub description: Option<String>,
    /// Tags put on every taggable resource (table, role, rule, log group, queue, key). IAM's rules apply: keys of
    /// 1-128 and values of up to 256 letters, digits, spaces and `_ . : / = + - @`; no `aws:` prefix.
    #[serde(default, deserialize_with = "unique_map")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: BTreeMap<String, String>,
    /// Export each pipeline's table, rule, role and error target as stack outputs (five per pipeline;
    /// CloudFormation allows 200 outputs, so turn this off for stacks of more than 40 pipelines).
    #[serde(default = "yes")]
    pub outputs: bool,
    /// CloudWatch alarms on every rule (a failed write, a failed error action) and on every SQS error queue
    /// (messages waiting), and who hears of them.
    #[serde(default)]
    pub alarms: AlarmsConfig,
    /// Warnings not to report anywhere in the stack, each with the reason (ids as listed in docs/checks.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<IgnoreConfig>,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            name: None,
            description: None,
            tags: BTreeMap::new(),
            outputs: true,
            alarms: AlarmsConfig::default(),
            ignore: Vec::new(),
        }
    }
}

/// A warning not to report, and why. Only warnings can be ignored; an error always stops the stack.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreConfig {
    /// The warning's id, as listed in docs/checks.md (e.g. `PS305`).
    #[schemars(regex(pattern = r"^PS[0-9]{3}$"))]
    pub id: String,
    /// Why the warning does not apply here, for whoever reads the config next.
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// The stack's alarms. By default they notify a new SNS topic (encrypted with a key of its own, which CloudWatch
/// may use) that nobody is subscribed to until `email` is given or someone subscribes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmsConfig {
    /// False leaves every alarm out.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// An address to subscribe to the new topic (AWS mails a confirmation link first). Not with `topic_arn`.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub email: Option<String>,
    /// An existing SNS topic to notify instead of a new one (`arn:aws:sns:<region>:<account>:<name>`). A topic
    /// encrypted with the AWS-managed key `alias/aws/sns` cannot receive CloudWatch alarms.
    #[serde(default)]
    #[schemars(regex(
        pattern = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"
    ))]
    pub topic_arn: Option<String>,
}

impl Default for AlarmsConfig {
    fn default() -> Self {
        AlarmsConfig {
            enabled: true,
            email: None,
            topic_arn: None,
        }
    }
}

/// One topic rule with its role, its table and its error action.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Lowercase letters, digits and `_`, starting with a letter; unique. Its PascalCase prefixes the logical IDs
    /// (`device_presence` gives `DevicePresenceTable`).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"), length(max = 64))]
    pub name: String,
    /// The lifecycle events the rule keeps (default: connected and disconnected). Presence kinds and
    /// subscription kinds arrive on different topics: one pipeline takes kinds of one family. Not with `sql`.
    #[serde(default)]
    pub events: Option<Vec<EventKind>>,
    /// The whole rule SQL, instead of the one generated from `events`. It is checked against the table and the
    /// lifecycle payloads before anything is written.
    #[serde(default)]
    pub sql: Option<String>,
    /// The topic rule.
    #[serde(default)]
    pub rule: RuleConfig,
    /// The DynamoDB table the rule writes every event into.
    #[serde(default)]
    pub table: TableConfig,
    /// Where events go that the rule failed to write.
    #[serde(default)]
    pub error_action: ErrorActionConfig,
    /// A table of every client's current state, kept from the event table's stream (off by default).
    #[serde(default, skip_serializing_if = "StatusConfig::is_default")]
    pub status: StatusConfig,
    /// Warnings not to report about this pipeline, each with the reason (ids as listed in docs/checks.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<IgnoreConfig>,
}

/// The topic rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Physical RuleName (1-128 letters, digits or `_`). Leave it out to let CloudFormation name the rule, so
    /// that the template deploys to many regions and accounts.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_]{1,128}$"))]
    pub name: Option<String>,
    /// The rule's description.
    #[serde(default)]
    pub description: Option<String>,
    /// False deploys the rule disabled (a warning: no event reaches the table).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// AwsIotSqlVersion, always written out: CloudFormation would otherwise pick 2015-10-08.
    #[serde(default)]
    pub sql_version: SqlVersion,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            name: None,
            description: None,
            enabled: true,
            sql_version: SqlVersion::default(),
        }
    }
}

/// The AWS IoT SQL version of the rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum SqlVersion {
    #[serde(rename = "2015-10-08")]
    V2015_10_08,
    #[default]
    #[serde(rename = "2016-03-23")]
    V2016_03_23,
    #[serde(rename = "beta")]
    Beta,
}

impl SqlVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            SqlVersion::V2015_10_08 => "2015-10-08",
            SqlVersion::V2016_03_23 => "2016-03-23",
            SqlVersion::Beta => "beta",
        }
    }
}

/// The DynamoDB table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    /// Physical TableName (3-255 of `[a-zA-Z0-9_.-]`). Leave it out to let CloudFormation name the table.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_.-]{3,255}$"))]
    pub name: Option<String>,
    /// The partition key.
    #[serde(default = "default_partition_key")]
    pub partition_key: KeyConfig,
    /// The sort key, or null for a table keyed by the partition key alone (which keeps only the last event of
    /// each client). The default, `eventKey` (S), is computed by the generated rule as
    /// `timestamp#eventType#...` from the fields that tell two events of a client apart, so items sort by time
    /// and no event replaces another.
    #[serde(default = "default_sort_key")]
    pub sort_key: Option<KeyConfig>,
    /// on_demand (PAY_PER_REQUEST) or provisioned (then read_capacity and write_capacity).
    #[serde(default)]
    pub billing: Billing,
    /// Read capacity units, 1-40000; only with `billing: provisioned`.
    #[serde(default)]
    #[schemars(range(min = 1, max = 40000))]
    pub read_capacity: Option<u64>,
    /// Write capacity units, 1-40000; only with `billing: provisioned`.
    #[serde(default)]
    #[schemars(range(min = 1, max = 40000))]
    pub write_capacity: Option<u64>,
    /// Application Auto Scaling of a provisioned table's capacity, from `read_capacity` and `write_capacity` up to
    /// the maxima here; on by default with `billing: provisioned`.
    #[serde(default)]
    pub autoscaling: Option<AutoscalingConfig>,
    /// Days an event is kept: the rule computes an `expiresAt` attribute (epoch seconds) and the table's time to
    /// live uses it.
    #[serde(default)]
    #[schemars(range(min = 1, max = 36500))]
    pub ttl_days: Option<u64>,
    /// Point-in-time recovery.
    #[serde(default = "yes")]
    pub point_in_time_recovery: bool,
    /// DeletionProtectionEnabled. Follows `retain` when not set: a retained table is protected, and a table that
    /// goes with the stack can be deleted with it.
    #[serde(default)]
    pub deletion_protection: Option<bool>,
    /// DeletionPolicy and UpdateReplacePolicy Retain, for the table and its error log group or queue.
    #[serde(default = "yes")]
    pub retain: bool,
    /// The key the table (and its error log or queue) is encrypted with.
    #[serde(default)]
    pub encryption: Encryption,
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            name: None,
            partition_key: default_partition_key(),
            sort_key: default_sort_key(),
            billing: Billing::default(),
            read_capacity: None,
            write_capacity: None,
            autoscaling: None,
            ttl_days: None,
            point_in_time_recovery: true,
            deletion_protection: None,
            retain: true,
            encryption: Encryption::default(),
        }
    }
}

/// Application Auto Scaling of a provisioned table: the capacities follow the traffic between `read_capacity` /
/// `write_capacity` (the minima) and the maxima here, keeping the consumed share near `target_utilization`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingConfig {
    /// False keeps the capacities fixed.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The most read capacity units, 1-40000 and at least `read_capacity` (default: 10 × `read_capacity`).
    #[serde(default)]
    #[schemars(range(min = 1, max = 40000))]
    pub max_read_capacity: Option<u64>,
    /// The most write capacity units, 1-40000 and at least `write_capacity` (default: 10 × `write_capacity`).
    #[serde(default)]
    #[schemars(range(min = 1, max = 40000))]
    pub max_write_capacity: Option<u64>,
    /// The consumed share of the capacity to keep, in percent, 20-90 (default 70).
    #[serde(default)]
    #[schemars(range(min = 20, max = 90))]
    pub target_utilization: Option<u64>,
}

/// A key attribute of the table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// The attribute name: a field of the events (clientId, timestamp, eventType, ...) or the name a computed
    /// `expression` is selected as.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// The DynamoDB attribute type: S (string) or N (number). B is accepted by DynamoDB, but a topic rule never
    /// writes binary values.
    #[serde(rename = "type")]
    pub ty: KeyType,
    /// An IoT SQL expression the generated rule selects `AS <name>`, for a computed key, e.g.
    /// `concat(timestamp, '#', eventType, '#', sessionIdentifier)`.
    #[serde(default)]
    pub expression: Option<String>,
}

/// DynamoDB scalar attribute types, as DynamoDB spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum KeyType {
    S,
    N,
    B,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::S => "S",
            KeyType::N => "N",
            KeyType::B => "B",
        }
    }
}

/// How the table is billed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    #[default]
    OnDemand,
    Provisioned,
}

/// aws_owned (DynamoDB's default key), aws_managed (alias/aws/dynamodb) or customer_managed (a KMS key with
/// rotation, created by the stack).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    #[default]
    AwsOwned,
    AwsManaged,
    CustomerManaged,
}

/// The rule's error action.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorActionConfig {
    /// cloudwatch_logs (a log group), sqs (an encrypted queue, 14 days) or none.
    #[serde(default)]
    pub kind: ErrorActionKind,
    /// Log retention in days, a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365,
    /// 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653); cloudwatch_logs only, default 30.
    #[serde(default)]
    pub retention_days: Option<u64>,
}

/// Where failed writes go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorActionKind {
    #[default]
    CloudwatchLogs,
    Sqs,
    None,
}

fn yes() -> bool {
    true
}

fn default_partition_key() -> KeyConfig {
    KeyConfig {
        name: "clientId".to_owned(),
        ty: KeyType::S,
        expression: None,
    }
}

/// `eventKey` (S), which the generated rule computes from the payload so that two different events never share
/// an item (`events::event_key_expression`).
fn default_sort_key() -> Option<KeyConfig> {
    Some(KeyConfig {
        name: crate::events::EVENT_KEY.to_owned(),
        ty: KeyType::S,
        expression: None,
    })
}

/// A string map that refuses a key written twice: serde's own maps keep the last one silently, and a tag that
/// quietly loses its first value is the kind of surprise a config file must not hold.
fn unique_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct UniqueMap;
    impl<'de> Visitor<'de> for UniqueMap {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of strings to strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<String, String>()? {
                if out.contains_key(&k) {
                    return Err(de::Error::custom(format_args!("duplicate key `{k}`")));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(UniqueMap)
}

/// The JSON Schema of the config, for editors (`yaml-language-server`) and other tools.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
}

/// A problem found while reading the file, before any meaning is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseProblem {
    /// Which diagnostic of the catalog it is.
    pub id: Id,
    /// Dotted path of the offending node (`pipelines[0].table`), empty at the root.
    pub path: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Files larger than this are refused before parsing: a real config is a few kilobytes.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// Parse the text of a config file, stopping at the first problem.
pub fn parse(text: &str) -> Result<Config, ParseProblem> {
    parse_all(text).map_err(|mut problems| problems.swap_remove(0))
}

/// Parse the text of a config file; when it cannot be read, every mistake of its shape (unknown fields,
/// missing fields, values of the wrong kind or out of range), each at its line and column, the parser's own
/// first. Never an empty list.
pub fn parse_all(text: &str) -> Result<Config, Vec<ParseProblem>> {
    let first = match parse_first(text) {
        Ok(config) => return Ok(config),
        Err(first) => first,
    };
    let shape = [Id::UnknownField, Id::MissingField, Id::WrongValue];
    if !shape.contains(&first.id) {
        return Err(vec![first]);
    }
    let positions = Positions::new(text);
    let mut problems = vec![first];
    for m in validate::mistakes(text) {
        let message = explain::explain(&m.path, &m.serde_message);
        let id = explain::id_of(&m.serde_message);
        // The parser's own problem says the same of its node: keep its words and place.
        let same_node = problems[0].path == m.path
            && (id != Id::UnknownField || problems[0].message == message);
        if same_node
            || problems
                .iter()
                .any(|p| p.path == m.path && p.message == message)
        {
            continue;
        }
        let at = match &m.key {
            Some(key) => positions.locate(&join_path(&m.path, key)),
            None if id == Id::MissingField => positions.locate_value(&m.path),
            None => positions.locate_value(&m.path),
        };
        problems.push(ParseProblem {
            id,
            path: m.path,
            message,
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
        });
    }
    // In the order they are written, as a reader fixes them.
    problems.sort_by_key(|p| (p.line.is_none(), p.line, p.column));
    Err(problems)
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn parse_first(text: &str) -> Result<Config, ParseProblem> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(root_problem(
            Id::FileTooLarge,
            format!(
                "the file is {} bytes, more than the {} a config may have",
                text.len(),
                MAX_CONFIG_BYTES
            ),
        ));
    }
    text::check_text(text)?;
    if text.trim().is_empty() || is_only_comments(text) {
        return Err(root_problem(
            Id::EmptyFile,
            "the file is empty; the smallest config is `pipelines: [{name: presence}]`".to_owned(),
        ));
    }
    if let Some((line, column)) = too_deep(text) {
        return Err(ParseProblem {
            id: Id::TooDeep,
            path: String::new(),
            message: format!(
                "brackets nest deeper than {MAX_FLOW_DEPTH} levels, far deeper than a config needs; is this the right file?"
            ),
            line: Some(line),
            column: Some(column),
        });
    }
    if let Some(problem) = explain::merge_key(text) {
        return Err(problem);
    }
    serde_yaml::from_str(text).map_err(|e| explain::from_yaml_error(&e, text))
}

/// A config nests five or six levels deep. The YAML parser takes quadratic time on deep flow nesting (50,000
/// `[` take seconds), so a hostile or corrupt file is refused before it reaches the parser.
pub const MAX_FLOW_DEPTH: usize = 64;

/// Where `[`/`{` nesting first goes past [`MAX_FLOW_DEPTH`], ignoring brackets in quotes and comments.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (l, line) in text.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for (c_index, c) in line.chars().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '#') if prev.is_whitespace() => break,
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '{') => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Some((l + 1, c_index + 1));
                    }
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev = c;
        }
    }
    None
}

fn root_problem(id: Id, message: String) -> ParseProblem {
    ParseProblem {
        id,
        path: String::new(),
        message,
        line: None,
        column: None,
    }
}

fn is_only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

#[cfg(test)]
mod wrong_values;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_config_gets_every_default() {
        let c = parse("pipelines: [{name: presence}]").unwrap();
        let p = &c.pipelines[0];
        assert_eq!(p.name, "presence");
        assert_eq!(p.events, None);
        assert_eq!(p.table.partition_key.name, "clientId");
        assert_eq!(
            p.table.sort_key.as_ref().map(|k| k.name.as_str()),
            Some("eventKey")
        );
        assert!(p.rule.enabled && p.table.retain && p.table.deletion_protection.is_none());
        assert_eq!(p.error_action.kind, ErrorActionKind::CloudwatchLogs);
        assert_eq!(p.rule.sql_version, SqlVersion::V2016_03_23);
    }

    #[test]
    fn an_explicit_null_sort_key_means_none() {
        let c = parse("pipelines:\n  - name: p\n    table:\n      sort_key: null\n").unwrap();
        assert_eq!(c.pipelines[0].table.sort_key, None);
    }

    #[test]
    fn unknown_fields_name_the_allowed_ones() {
        let e = parse("pipelines:\n  - name: p\n    tabel: {}\n").unwrap_err();
        assert_eq!(e.path, "pipelines[0]");
        assert!(
            e.message
                .starts_with("unknown field `tabel`; allowed: `name`"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.column), (Some(3), Some(5)));
    }

    #[test]
    fn duplicate_tag_keys_are_refused() {
        let e = parse("stack:\n  tags: {a: x, a: y}\npipelines: [{name: p}]\n").unwrap_err();
        assert!(e.message.contains("duplicate key `a`"), "{e:?}");
    }

    #[test]
    fn empty_and_comment_only_files_are_refused() {
        for text in ["", "  \n", "# nothing\n---\n"] {
            assert!(
                parse(text)
                    .unwrap_err()
                    .message
                    .starts_with("the file is empty")
            );
        }
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let text = format!("pipelines: {}{}", "[".repeat(200_000), "]".repeat(200_000));
        let e = parse(&text).unwrap_err();
        assert!(
            e.message.starts_with("brackets nest deeper than 64 levels"),
            "{e:?}"
        );
        assert_eq!((e.line, e.column), (Some(1), Some(12 + 64)));
        // Brackets inside quotes and comments do not count.
        let quoted = format!(
            "stack: {{description: \"{}\"}} # {}\npipelines: [{{name: p}}]",
            "[".repeat(100),
            "{".repeat(100)
        );
        assert!(parse(&quoted).is_ok());
    }
}
