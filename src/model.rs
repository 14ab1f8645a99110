//! The resolved stack: every default applied, every name checked against what AWS accepts, logical IDs derived
//! and the rule SQL built. Rendering and checking read only this; nothing downstream re-derives anything.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{self, AlarmsConfig, AutoscalingConfig, Config, ErrorActionKind, KeyConfig};
use crate::events::{EVENT_KEY, EventKind, Family, event_key_expression};

/// CloudFormation's quotas that a config can run into.
pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
/// Resource tags: AWS allows 50 per resource.
pub const MAX_TAGS: usize = 50;

/// The attribute the rule computes when the table has a time to live.
pub const TTL_ATTRIBUTE: &str = "expiresAt";

/// The values CloudWatch Logs accepts for `RetentionInDays`.
pub const LOG_RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// How long a failed event waits in the SQS error queue: the longest SQS allows (14 days).
pub const QUEUE_RETENTION_SECONDS: u64 = 1_209_600;

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub description: Option<String>,
    pub tags: Vec<Tag>,
    pub pipelines: Vec<Pipeline>,
    /// Whether each pipeline exports its resources as stack outputs.
    pub outputs: bool,
    /// The stack's customer-managed KMS key, when a pipeline asks for one.
    pub key: Option<StackKey>,
    /// Where the alarms of every rule and error queue notify; `None` when alarms are off.
    pub alarms: Option<Alarms>,
}

/// The stack's alarms notify one SNS topic.
#[derive(Debug, Clone, Serialize)]
pub struct Alarms {
    pub topic: AlarmTopic,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlarmTopic {
    /// A topic of the stack, on a KMS key of its own that CloudWatch may use (it cannot use `alias/aws/sns`).
    New {
        key_id: &'static str,
        topic_id: &'static str,
        policy_id: &'static str,
        subscription_id: &'static str,
        email: Option<String>,
    },
    /// An existing topic, by ARN.
    Existing { arn: String },
}

/// The logical IDs of the alarm topic's resources.
pub const ALARM_TOPIC_KEY: &str = "AlarmTopicKey";
pub const ALARM_TOPIC: &str = "AlarmTopic";
pub const ALARM_TOPIC_POLICY: &str = "AlarmTopicPolicy";
pub const ALARM_EMAIL: &str = "AlarmEmailSubscription";

impl Alarms {
    /// Resources the stack adds for its alarm topic.
    pub fn resource_count(&self) -> usize {
        match &self.topic {
            AlarmTopic::New { email, .. } => 3 + usize::from(email.is_some()),
            AlarmTopic::Existing { .. } => 0,
        }
    }
}

/// A resource tag, serialized as CloudFormation writes it (`{"Key": ..., "Value": ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StackKey {
    pub id: &'static str,
    /// Kept when a retained table or log is encrypted with it: deleting the key would make them unreadable.
    pub retain: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    pub name: String,
    pub ids: LogicalIds,
    /// The kinds the generated rule keeps; empty when the config gives its own SQL.
    pub events: Vec<EventKind>,
    pub sql: String,
    pub custom_sql: bool,
    pub rule: Rule,
    pub table: Table,
    pub error: ErrorTarget,
    /// The status table and the function that keeps it, when `status.enabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFunction>,
}

/// The index of the status table that holds only the connected clients.
pub const STATUS_INDEX: &str = "Online";
/// The status function's reserved concurrency unless the config says otherwise.
pub const DEFAULT_STATUS_CONCURRENCY: u64 = 10;
/// How long the status function's log group keeps its logs unless the config says otherwise.
pub const DEFAULT_STATUS_LOG_DAYS: u64 = 30;

/// A pipeline's status table, its sparse index of connected clients, and the function that keeps it from the event
/// table's stream.
#[derive(Debug, Clone, Serialize)]
pub struct StatusFunction {
    pub ids: StatusIds,
    pub index: &'static str,
    pub reserved_concurrency: u64,
    pub log_retention_days: u64,
    /// The ordering window of [`crate::status::supersedes`], in milliseconds.
    pub window_ms: i64,
    /// Where the pipeline's rule puts each field the function reads (`versionNumber`, `event.versionNumber`).
    pub fields: StatusFields,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusIds {
    pub table: String,
    pub queue: String,
    pub log: String,
    pub role: String,
    pub function: String,
    pub mapping: String,
    pub errors_alarm: String,
    pub queue_alarm: String,
}

/// Dotted paths into an event item: a root attribute, or `map.key` for a field nested in a map attribute.
#[derive(Debug, Clone, Serialize)]
pub struct StatusFields {
    pub client_id: String,
    pub timestamp: String,
    pub event_type: String,
    pub session: String,
    pub version: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogicalIds {
    pub table: String,
    pub rule: String,
    pub role: String,
    pub error_log: String,
    pub error_queue: String,
    pub rule_failure_alarm: String,
    pub error_action_failure_alarm: String,
    pub error_queue_alarm: String,
    pub read_scaling: String,
    pub read_scaling_policy: String,
    pub write_scaling: String,
    pub write_scaling_policy: String,
}

/// DynamoDB's key attribute types; serialized as DynamoDB spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// The IoT SQL dialect of a rule; serialized as `AwsIotSqlVersion` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SqlVersion {
    #[serde(rename = "2015-10-08")]
    V2015_10_08,
    #[serde(rename = "2016-03-23")]
    V2016_03_23,
    #[serde(rename = "beta")]
    Beta,
}

/// How a table is billed; serialized as `BillingMode` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BillingMode {
    #[serde(rename = "PAY_PER_REQUEST")]
    OnDemand,
    #[serde(rename = "PROVISIONED")]
    Provisioned,
}

/// Whose key encrypts a table (and its error log or queue). Not serialized: `render` turns it into the
/// `SSESpecification` the templates write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// DynamoDB's own key.
    AwsOwned,
    /// The account's `alias/aws/dynamodb`.
    AwsManaged,
    /// The stack's key, with rotation.
    CustomerManaged,
}

impl From<config::KeyType> for KeyType {
    fn from(t: config::KeyType) -> Self {
        match t {
            config::KeyType::S => KeyType::S,
            config::KeyType::N => KeyType::N,
            config::KeyType::B => KeyType::B,
        }
    }
}

impl From<config::SqlVersion> for SqlVersion {
    fn from(v: config::SqlVersion) -> Self {
        match v {
            config::SqlVersion::V2015_10_08 => SqlVersion::V2015_10_08,
            config::SqlVersion::V2016_03_23 => SqlVersion::V2016_03_23,
            config::SqlVersion::Beta => SqlVersion::Beta,
        }
    }
}

impl From<config::Billing> for BillingMode {
    fn from(b: config::Billing) -> Self {
        match b {
            config::Billing::OnDemand => BillingMode::OnDemand,
            config::Billing::Provisioned => BillingMode::Provisioned,
        }
    }
}

impl From<config::Encryption> for Encryption {
    fn from(e: config::Encryption) -> Self {
        match e {
            config::Encryption::AwsOwned => Encryption::AwsOwned,
            config::Encryption::AwsManaged => Encryption::AwsManaged,
            config::Encryption::CustomerManaged => Encryption::CustomerManaged,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub sql_version: SqlVersion,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub name: Option<String>,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    pub billing_mode: BillingMode,
    pub capacity: Option<Capacity>,
    /// Application Auto Scaling of a provisioned table.
    pub scaling: Option<Scaling>,
    pub ttl: Option<Ttl>,
    pub point_in_time_recovery: bool,
    pub deletion_protection: bool,
    pub retain: bool,
    #[serde(skip)]
    pub encryption: Encryption,
}

#[derive(Debug, Clone, Serialize)]
pub struct Key {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: KeyType,
    pub expression: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Capacity {
    pub read: u64,
    pub write: u64,
}

/// Capacity bounds and the utilization Application Auto Scaling keeps: `min` is the table's provisioned
/// capacity, which the template never changes once scaling has moved it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scaling {
    pub read: Bounds,
    pub write: Bounds,
    pub target_utilization: u64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Bounds {
    pub min: u64,
    pub max: u64,
}

/// The utilization a scaled table aims at unless the config says otherwise (AWS's own console default).
pub const DEFAULT_TARGET_UTILIZATION: u64 = 70;
/// The default upper bound, as a multiple of the configured capacity.
pub const DEFAULT_SCALING_FACTOR: u64 = 10;
/// DynamoDB's per-table capacity quota that the config accepts.
pub const MAX_CAPACITY: u64 = 40_000;

#[derive(Debug, Clone, Serialize)]
pub struct Ttl {
    pub attribute: &'static str,
    pub days: u64,
    pub seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorTarget {
    CloudwatchLogs { retention_days: u64 },
    Sqs,
    None,
}

/// A problem with the meaning of the config, at a dotted path of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl Model {
    /// Resolve a parsed config, collecting every problem rather than stopping at the first.
    pub fn build(config: &Config) -> Result<Model, Vec<Problem>> {
        let mut problems = Vec::new();
        let description = config.stack.description.clone();
        if let Some(d) = &description {
            if d.len() > MAX_DESCRIPTION_BYTES {
                problems.push(Problem::new(
                    "stack.description",
                    format!(
                        "is {} bytes; CloudFormation allows at most {MAX_DESCRIPTION_BYTES}",
                        d.len()
                    ),
                ));
            }
            check_text("stack.description", d, &mut problems);
        }
        let tags = resolve_tags(&config.stack.tags, &mut problems);
        if config.pipelines.is_empty() {
            problems.push(Problem::new(
                "pipelines",
                "at least one pipeline is needed, e.g. `pipelines: [{name: presence}]`",
            ));
        }
        let pipelines: Vec<Pipeline> = config
            .pipelines
            .iter()
            .enumerate()
            .filter_map(|(i, p)| resolve_pipeline(i, p, &mut problems))
            .collect();
        check_unique(&config.pipelines, &pipelines, &mut problems);

        let key = config
            .pipelines
            .iter()
            .any(|p| p.table.encryption == config::Encryption::CustomerManaged)
            .then(|| StackKey {
                id: "StackKey",
                retain: config.pipelines.iter().any(|p| {
                    p.table.encryption == config::Encryption::CustomerManaged && p.table.retain
                }),
            });

        let alarms = resolve_alarms(&config.stack.alarms, &mut problems);
        let model = Model {
            description,
            tags,
            pipelines,
            outputs: config.stack.outputs,
            key,
            alarms,
        };
        if problems.is_empty() {
            let resources = model.resource_count();
            if resources > MAX_RESOURCES {
                problems.push(Problem::new(
                    "pipelines",
                    format!(
                        "the stack would have {resources} resources; CloudFormation allows {MAX_RESOURCES}: split the pipelines over several stacks"
                    ),
                ));
            }
            let outputs = model.output_count();
            if outputs > MAX_OUTPUTS {
                problems.push(Problem::new(
                    "pipelines",
                    format!(
                        "the stack would have {outputs} outputs ({} pipelines × 5); CloudFormation allows {MAX_OUTPUTS}: set `stack.outputs: false` or split the pipelines over several stacks",
                        model.pipelines.len()
                    ),
                ));
            }
        }
        if problems.is_empty() {
            Ok(model)
        } else {
            Err(problems)
        }
    }

    pub fn resource_count(&self) -> usize {
        let alarms = self.alarms.is_some();
        let per_pipeline: usize = self
            .pipelines
            .iter()
            .map(|p| {
                3 + usize::from(p.error != ErrorTarget::None)
                    + if alarms {
                        2 + usize::from(p.error == ErrorTarget::Sqs)
                    } else {
                        0
                    }
                    + if p.table.scaling.is_some() { 4 } else { 0 }
                    + p.status
                        .as_ref()
                        .map_or(0, |_| 6 + if alarms { 2 } else { 0 })
            })
            .sum();
        per_pipeline
            + usize::from(self.key.is_some())
            + self.alarms.as_ref().map_or(0, Alarms::resource_count)
    }

    pub fn output_count(&self) -> usize {
        if !self.outputs {
            return 0;
        }
        self.pipelines
            .iter()
            .map(|p| {
                4 + usize::from(p.error != ErrorTarget::None)
                    + if p.status.is_some() { 3 } else { 0 }
            })
            .sum()
    }
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

fn is_pipeline_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_rule_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// IAM is the strictest of the services that get the tags: `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`.
fn is_tag_text(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_alphabetic()
            || c.is_numeric()
            || c == ' '
            || is_unicode_space(c)
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

fn is_unicode_space(c: char) -> bool {
    // \p{Z}: the space separators plus the line and paragraph separators.
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Text that goes into the template as a string: CloudFormation rejects control characters other than tab and newline.
fn check_text(path: &str, text: &str, problems: &mut Vec<Problem>) {
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        problems.push(Problem::new(
            path,
            format!(
                "holds the control character U+{:04X}, which CloudFormation refuses; remove it",
                u32::from(c)
            ),
        ));
    }
}

fn resolve_tags(tags: &BTreeMap<String, String>, problems: &mut Vec<Problem>) -> Vec<Tag> {
    if tags.len() > MAX_TAGS {
        problems.push(Problem::new(
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
                &path,
                "a tag key must have 1 to 128 characters",
            ));
        } else if !is_tag_text(key) {
            problems.push(Problem::new(
                &path,
                format!("tag key `{key}` has a character IAM refuses; allowed: {allowed}"),
            ));
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            problems.push(Problem::new(
                &path,
                "tag keys starting with `aws:` are reserved for AWS",
            ));
        }
        if value.chars().count() > 256 {
            problems.push(Problem::new(
                &path,
                "a tag value may have at most 256 characters",
            ));
        } else if !is_tag_text(value) {
            problems.push(Problem::new(
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

fn resolve_pipeline(
    i: usize,
    p: &crate::config::PipelineConfig,
    problems: &mut Vec<Problem>,
) -> Option<Pipeline> {
    let at = |field: &str| format!("pipelines[{i}].{field}");
    let before = problems.len();
    if !is_pipeline_name(&p.name) {
        problems.push(Problem::new(
            at("name"),
            format!("`{}` is not a pipeline name; use lowercase letters, digits and `_`, starting with a letter (e.g. `device_presence`)", p.name),
        ));
    } else if p.name.len() > 64 {
        problems.push(Problem::new(
            at("name"),
            "a pipeline name may have at most 64 characters",
        ));
    }

    let events = match (&p.events, &p.sql) {
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                at("events"),
                "`events` and `sql` cannot both be set: `sql` is the whole rule; remove one of them",
            ));
            Vec::new()
        }
        (None, Some(sql)) => {
            if sql.trim().is_empty() {
                problems.push(Problem::new(
                    at("sql"),
                    "is empty; give the whole rule SQL or remove `sql` to get the generated one",
                ));
            }
            check_text(&at("sql"), sql, problems);
            Vec::new()
        }
        (events, None) => {
            let events = events
                .clone()
                .unwrap_or_else(|| vec![EventKind::Connected, EventKind::Disconnected]);
            resolve_events(&at("events"), &events, problems);
            events
        }
    };

    let rule = &p.rule;
    if let Some(name) = &rule.name
        && !is_rule_name(name)
    {
        problems.push(Problem::new(
            at("rule.name"),
            format!("`{name}` is not a rule name; use 1 to 128 letters, digits or `_` (no `-`)"),
        ));
    }
    if let Some(d) = &rule.description {
        check_text(&at("rule.description"), d, problems);
    }

    let t = &p.table;
    if let Some(name) = &t.name
        && !is_table_name(name)
    {
        problems.push(Problem::new(
            at("table.name"),
            format!("`{name}` is not a table name; use 3 to 255 letters, digits or `_ . -`"),
        ));
    }
    let partition_key = resolve_key(&at("table.partition_key"), &t.partition_key, problems);
    let mut sort_key = t
        .sort_key
        .as_ref()
        .map(|k| resolve_key(&at("table.sort_key"), k, problems));
    // The default sort key is computed by the generated rule; with `sql`, the rule must select it itself.
    if let Some(k) = &mut sort_key
        && p.sql.is_none()
        && k.name == EVENT_KEY
        && k.ty == KeyType::S
        && k.expression.is_none()
    {
        k.expression = Some(event_key_expression(&events));
    }
    if let Some(sk) = &sort_key
        && sk.name == partition_key.name
    {
        problems.push(Problem::new(
            at("table.sort_key.name"),
            format!(
                "`{}` is already the partition key; pick another attribute or `sort_key: null`",
                sk.name
            ),
        ));
    }

    if p.sql.is_some() {
        for (field, key) in [
            ("partition_key", Some(&t.partition_key)),
            ("sort_key", t.sort_key.as_ref()),
        ] {
            if let Some(expr) = key.and_then(|k| k.expression.as_ref()) {
                problems.push(Problem::new(
                    at(&format!("table.{field}.expression")),
                    format!(
                        "only applies to the generated rule; with `sql`, select it yourself: `SELECT *, {expr} AS {} FROM ...`",
                        key.map_or("", |k| k.name.as_str())
                    ),
                ));
            }
        }
    }

    let capacity = match t.billing {
        config::Billing::OnDemand => {
            for (field, value) in [
                ("read_capacity", t.read_capacity),
                ("write_capacity", t.write_capacity),
            ] {
                if value.is_some() {
                    problems.push(Problem::new(
                        at(&format!("table.{field}")),
                        "capacities only apply to `billing: provisioned`; remove it or set `billing: provisioned`",
                    ));
                }
            }
            None
        }
        config::Billing::Provisioned => {
            let mut get = |field: &str, value: Option<u64>| match value {
                Some(v @ 1..=40_000) => v,
                Some(_) => {
                    problems.push(Problem::new(
                        at(&format!("table.{field}")),
                        "must be from 1 to 40000 capacity units",
                    ));
                    1
                }
                None => {
                    problems.push(Problem::new(
                        at(&format!("table.{field}")),
                        "is required with `billing: provisioned` (capacity units, at least 1)",
                    ));
                    1
                }
            };
            Some(Capacity {
                read: get("read_capacity", t.read_capacity),
                write: get("write_capacity", t.write_capacity),
            })
        }
    };

    let scaling = resolve_scaling(
        &at("table.autoscaling"),
        t.autoscaling.as_ref(),
        capacity,
        problems,
    );

    let ttl = t.ttl_days.and_then(|days| {
        if !(1..=36_500).contains(&days) {
            problems.push(Problem::new(at("table.ttl_days"), "must be from 1 to 36500 days"));
            return None;
        }
        for key in std::iter::once(&partition_key).chain(&sort_key) {
            if key.name == TTL_ATTRIBUTE {
                problems.push(Problem::new(
                    at("table.ttl_days"),
                    format!("the time to live is kept in `{TTL_ATTRIBUTE}`, which is also a key of the table; rename the key"),
                ));
            }
        }
        Some(Ttl { attribute: TTL_ATTRIBUTE, days, seconds: days * 86_400 })
    });

    let error = match (p.error_action.kind, p.error_action.retention_days) {
        (ErrorActionKind::CloudwatchLogs, days) => {
            let days = days.unwrap_or(30);
            if !LOG_RETENTION_DAYS.contains(&days) {
                problems.push(Problem::new(
                    at("error_action.retention_days"),
                    format!(
                        "{days} is not a retention CloudWatch Logs accepts; use one of {}",
                        LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ")
                    ),
                ));
            }
            ErrorTarget::CloudwatchLogs {
                retention_days: days,
            }
        }
        (kind, Some(_)) => {
            let kind = if kind == ErrorActionKind::Sqs {
                "sqs"
            } else {
                "none"
            };
            problems.push(Problem::new(
                at("error_action.retention_days"),
                format!("only applies to `kind: cloudwatch_logs`, not `{kind}`; remove it"),
            ));
            ErrorTarget::None
        }
        (ErrorActionKind::Sqs, None) => ErrorTarget::Sqs,
        (ErrorActionKind::None, None) => ErrorTarget::None,
    };

    if problems.len() > before {
        return None;
    }
    let prefix = pascal_case(&p.name);
    let sql = match &p.sql {
        Some(sql) => sql.clone(),
        None => generated_sql(&events, ttl.as_ref(), &partition_key, sort_key.as_ref()),
    };
    let mut pipeline = Pipeline {
        name: p.name.clone(),
        ids: LogicalIds {
            table: format!("{prefix}Table"),
            rule: format!("{prefix}Rule"),
            role: format!("{prefix}RuleRole"),
            error_log: format!("{prefix}ErrorLog"),
            error_queue: format!("{prefix}ErrorQueue"),
            rule_failure_alarm: format!("{prefix}RuleFailureAlarm"),
            error_action_failure_alarm: format!("{prefix}ErrorActionFailureAlarm"),
            error_queue_alarm: format!("{prefix}ErrorQueueAlarm"),
            read_scaling: format!("{prefix}TableReadScaling"),
            read_scaling_policy: format!("{prefix}TableReadScalingPolicy"),
            write_scaling: format!("{prefix}TableWriteScaling"),
            write_scaling_policy: format!("{prefix}TableWriteScalingPolicy"),
        },
        events,
        sql,
        custom_sql: p.sql.is_some(),
        rule: Rule {
            name: rule.name.clone(),
            description: rule.description.clone(),
            enabled: rule.enabled,
            sql_version: rule.sql_version.into(),
        },
        table: Table {
            name: t.name.clone(),
            partition_key,
            sort_key,
            billing_mode: t.billing.into(),
            capacity,
            scaling,
            ttl,
            point_in_time_recovery: t.point_in_time_recovery,
            deletion_protection: t.deletion_protection.unwrap_or(t.retain),
            retain: t.retain,
            encryption: t.encryption.into(),
        },
        error,
        status: None,
    };
    if p.status.enabled {
        pipeline.status = Some(resolve_status(i, &pipeline, &p.status, problems)?);
    } else {
        for (field, set) in [
            (
                "reserved_concurrency",
                p.status.reserved_concurrency.is_some(),
            ),
            ("log_retention_days", p.status.log_retention_days.is_some()),
        ] {
            if set {
                problems.push(Problem::new(
                    at(&format!("status.{field}")),
                    "only applies with `status.enabled: true`; remove it or enable the status table",
                ));
                return None;
            }
        }
    }
    Some(pipeline)
}

/// The status function of a pipeline: it reads the fields where the pipeline's rule puts them, so the rule must
/// keep connected and disconnected events and write every field the ordering rule compares.
fn resolve_status(
    i: usize,
    pipeline: &Pipeline,
    config: &crate::config::StatusConfig,
    problems: &mut Vec<Problem>,
) -> Option<StatusFunction> {
    let at = |field: &str| format!("pipelines[{i}].status.{field}");
    let before = problems.len();
    let fields = match crate::status::Fields::of(i, pipeline) {
        Ok(f) => Some(f),
        Err(e) => {
            problems.push(Problem::new(
                format!("pipelines[{i}].status"),
                format!("the status table cannot be kept from this pipeline's items: {e}"),
            ));
            None
        }
    };
    let reserved_concurrency = config
        .reserved_concurrency
        .unwrap_or(DEFAULT_STATUS_CONCURRENCY);
    if !(1..=1000).contains(&reserved_concurrency) {
        problems.push(Problem::new(
            at("reserved_concurrency"),
            "must be from 1 to 1000 concurrent executions",
        ));
    }
    let log_retention_days = config.log_retention_days.unwrap_or(DEFAULT_STATUS_LOG_DAYS);
    if !LOG_RETENTION_DAYS.contains(&log_retention_days) {
        problems.push(Problem::new(
            at("log_retention_days"),
            format!(
                "{log_retention_days} is not a retention CloudWatch Logs accepts; use one of {}",
                LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ")
            ),
        ));
    }
    let fields = fields?;
    if problems.len() > before {
        return None;
    }
    let prefix = pascal_case(&pipeline.name);
    Some(StatusFunction {
        ids: StatusIds {
            table: format!("{prefix}StatusTable"),
            queue: format!("{prefix}StatusFailureQueue"),
            log: format!("{prefix}StatusLog"),
            role: format!("{prefix}StatusRole"),
            function: format!("{prefix}StatusFunction"),
            mapping: format!("{prefix}StatusMapping"),
            errors_alarm: format!("{prefix}StatusErrorsAlarm"),
            queue_alarm: format!("{prefix}StatusFailureQueueAlarm"),
        },
        index: STATUS_INDEX,
        reserved_concurrency,
        log_retention_days,
        window_ms: crate::status::DEFAULT_WINDOW_MS,
        fields: StatusFields {
            client_id: fields.client_id.to_string(),
            timestamp: fields.timestamp.to_string(),
            event_type: fields.event_type.to_string(),
            session: fields.session.to_string(),
            version: fields.version.to_string(),
            reason: fields.reason.as_ref().map(ToString::to_string),
        },
    })
}

/// Application Auto Scaling: on by default for a provisioned table, between its capacities and ten times them.
fn resolve_scaling(
    path: &str,
    config: Option<&AutoscalingConfig>,
    capacity: Option<Capacity>,
    problems: &mut Vec<Problem>,
) -> Option<Scaling> {
    let Some(capacity) = capacity else {
        if config.is_some() {
            problems.push(Problem::new(
                path,
                "only applies to `billing: provisioned` (on-demand tables scale by themselves); remove it",
            ));
        }
        return None;
    };
    let config = config.cloned().unwrap_or(AutoscalingConfig {
        enabled: true,
        max_read_capacity: None,
        max_write_capacity: None,
        target_utilization: None,
    });
    if !config.enabled {
        return None;
    }
    let mut bound = |field: &str, what: &str, min: u64, max: Option<u64>| {
        let max = max.unwrap_or((min * DEFAULT_SCALING_FACTOR).min(MAX_CAPACITY));
        if !(min..=MAX_CAPACITY).contains(&max) {
            problems.push(Problem::new(
                format!("{path}.{field}"),
                format!("must be from `table.{what}` ({min}) to {MAX_CAPACITY} capacity units"),
            ));
        }
        Bounds { min, max }
    };
    let read = bound(
        "max_read_capacity",
        "read_capacity",
        capacity.read,
        config.max_read_capacity,
    );
    let write = bound(
        "max_write_capacity",
        "write_capacity",
        capacity.write,
        config.max_write_capacity,
    );
    let target_utilization = config
        .target_utilization
        .unwrap_or(DEFAULT_TARGET_UTILIZATION);
    if !(20..=90).contains(&target_utilization) {
        problems.push(Problem::new(
            format!("{path}.target_utilization"),
            "must be a percentage from 20 to 90 (Application Auto Scaling's range for DynamoDB)",
        ));
    }
    Some(Scaling {
        read,
        write,
        target_utilization,
    })
}

/// The alarm topic: a new one (optionally with an email subscription), an existing one, or none at all.
fn resolve_alarms(config: &AlarmsConfig, problems: &mut Vec<Problem>) -> Option<Alarms> {
    let path = "stack.alarms";
    if !config.enabled {
        for (field, set) in [
            ("email", config.email.is_some()),
            ("topic_arn", config.topic_arn.is_some()),
        ] {
            if set {
                problems.push(Problem::new(
                    format!("{path}.{field}"),
                    "alarms are off (`enabled: false`), so nothing would be notified; remove it or set `enabled: true`",
                ));
            }
        }
        return None;
    }
    if let Some(email) = &config.email {
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
                && !domain.contains('@')
        });
        if !valid {
            problems.push(Problem::new(
                format!("{path}.email"),
                format!("`{email}` is not an email address; write one like `ops@example.com`"),
            ));
        }
    }
    let topic = match (&config.topic_arn, &config.email) {
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                format!("{path}.email"),
                "subscribes an address to the stack's own topic, but `topic_arn` names an existing one: subscribe the address to that topic instead, or remove `topic_arn`",
            ));
            return None;
        }
        (Some(arn), None) => {
            if !is_sns_topic_arn(arn) {
                problems.push(Problem::new(
                    format!("{path}.topic_arn"),
                    format!("`{arn}` is not an SNS topic ARN; write `arn:aws:sns:<region>:<account id>:<topic name>`"),
                ));
            }
            AlarmTopic::Existing { arn: arn.clone() }
        }
        (None, email) => AlarmTopic::New {
            key_id: ALARM_TOPIC_KEY,
            topic_id: ALARM_TOPIC,
            policy_id: ALARM_TOPIC_POLICY,
            subscription_id: ALARM_EMAIL,
            email: email.clone(),
        },
    };
    Some(Alarms { topic })
}

/// `arn:<partition>:sns:<region>:<12-digit account>:<name>`, the name 1-256 letters, digits, `-` or `_` (a
/// `.fifo` topic cannot receive alarms).
fn is_sns_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(parts.as_slice(), ["arn", partition, "sns", region, account, name]
        if partition.starts_with("aws")
            && !region.is_empty()
            && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && (1..=256).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

fn resolve_events(path: &str, events: &[EventKind], problems: &mut Vec<Problem>) {
    if events.is_empty() {
        problems.push(Problem::new(path, "lists no event kind; give at least one of connected, disconnected, connect_failed, subscribed, unsubscribed"));
        return;
    }
    for (i, e) in events.iter().enumerate() {
        if events[..i].contains(e) {
            problems.push(Problem::new(
                format!("{path}[{i}]"),
                format!("`{}` is listed twice", e.as_str()),
            ));
        }
    }
    let families: Vec<Family> = events.iter().map(|e| e.family()).collect();
    if families.iter().any(|f| *f != families[0]) {
        problems.push(Problem::new(
            path,
            "mixes presence kinds (connected, disconnected, connect_failed) with subscription kinds (subscribed, unsubscribed); \
             they arrive on different topics and a rule reads one topic filter: put them in two pipelines",
        ));
    }
}

fn resolve_key(path: &str, key: &KeyConfig, problems: &mut Vec<Problem>) -> Key {
    if key.name.is_empty() || key.name.len() > 255 {
        problems.push(Problem::new(
            format!("{path}.name"),
            "a key attribute name must have 1 to 255 bytes",
        ));
    }
    if let Some(expr) = &key.expression {
        if expr.trim().is_empty() {
            problems.push(Problem::new(
                format!("{path}.expression"),
                "is empty; remove it to take the attribute from the event",
            ));
        }
        check_text(&format!("{path}.expression"), expr, problems);
    }
    Key {
        name: key.name.clone(),
        ty: key.ty.into(),
        expression: key.expression.clone(),
    }
}

/// Names that two pipelines may not share: their logical IDs, and physical names that live in one region.
fn check_unique(
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
                format!("pipelines[{i}].name"),
                format!(
                    "`{}` is also the name of pipelines[{j}]; pipeline names must be unique",
                    p.name
                ),
            ));
        } else if let Some(j) = seen_prefix.insert(pascal_case(&p.name), i) {
            problems.push(Problem::new(
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
                format!("pipelines[{i}].rule.name"),
                format!("`{name}` is also the rule name of pipelines[{j}]"),
            ));
        }
        if let Some(name) = &p.table.name
            && let Some(j) = seen_tables.insert(name, i)
        {
            problems.push(Problem::new(
                format!("pipelines[{i}].table.name"),
                format!("`{name}` is also the table name of pipelines[{j}]"),
            ));
        }
    }
}

/// The rule SQL for a list of event kinds of one family.
///
/// The filter ends in `#`, not `+/+`: a client ID may contain `/`, which adds topic levels, and `+/+` would miss
/// those clients' events. The WHERE keeps exactly the chosen kinds, so `connect_failed` (published below the same
/// prefix) is only kept when asked for. `*` keeps every payload field; the payload itself carries `clientId`,
/// `timestamp` and `eventType`, which the default keys use.
pub fn generated_sql(
    events: &[EventKind],
    ttl: Option<&Ttl>,
    partition_key: &Key,
    sort_key: Option<&Key>,
) -> String {
    let family = events.first().map_or(Family::Presence, |e| e.family());
    let filter = match events {
        [only] => format!("{}/{}/#", family.topic_prefix(), only.as_str()),
        _ => format!("{}/#", family.topic_prefix()),
    };
    let mut select = vec!["*".to_owned()];
    for key in std::iter::once(partition_key).chain(sort_key) {
        if let Some(expr) = &key.expression {
            select.push(format!("{} AS {}", expr.trim(), key.name));
        }
    }
    if let Some(ttl) = ttl {
        select.push(format!(
            "floor(timestamp / 1000) + {} AS {}",
            ttl.seconds, ttl.attribute
        ));
    }
    let kinds: Vec<String> = events
        .iter()
        .map(|e| format!("eventType = '{}'", e.as_str()))
        .collect();
    format!(
        "SELECT {} FROM '{filter}' WHERE {}",
        select.join(", "),
        kinds.join(" OR ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn build(text: &str) -> Result<Model, Vec<Problem>> {
        Model::build(&config::parse(text).unwrap())
    }

    fn problems(text: &str) -> Vec<(String, String)> {
        build(text)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.path, p.message))
            .collect()
    }

    #[test]
    fn pascal_case_joins_words() {
        assert_eq!(pascal_case("presence"), "Presence");
        assert_eq!(pascal_case("device_presence_2"), "DevicePresence2");
    }

    #[test]
    fn default_sql_keeps_connected_and_disconnected_only() {
        let m = build("pipelines: [{name: presence}]").unwrap();
        assert_eq!(
            m.pipelines[0].sql,
            "SELECT *, concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', versionNumber) AS eventKey \
             FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'"
        );
        assert_eq!(m.pipelines[0].ids.role, "PresenceRuleRole");
    }

    #[test]
    fn one_kind_reads_its_own_topic_and_ttl_is_computed() {
        let m =
            build("pipelines: [{name: p, events: [subscribed], table: {ttl_days: 30}}]").unwrap();
        assert_eq!(
            m.pipelines[0].sql,
            "SELECT *, concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', md5(cast(topics AS String))) AS eventKey, \
             floor(timestamp / 1000) + 2592000 AS expiresAt FROM '$aws/events/subscriptions/subscribed/#' WHERE eventType = 'subscribed'"
        );
    }

    #[test]
    fn computed_keys_are_selected_under_their_names() {
        let m = build("pipelines: [{name: p, table: {sort_key: {name: k, type: S, expression: \"concat(timestamp, '#', eventType)\"}}}]").unwrap();
        assert!(
            m.pipelines[0]
                .sql
                .starts_with("SELECT *, concat(timestamp, '#', eventType) AS k FROM")
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let got = problems(
            "pipelines:\n  - name: Bad-Name\n    events: [connected, subscribed]\n    rule: {name: a-b}\n    table: {name: x, read_capacity: 5}\n    error_action: {kind: sqs, retention_days: 7}\n",
        );
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "pipelines[0].name",
                "pipelines[0].events",
                "pipelines[0].rule.name",
                "pipelines[0].table.name",
                "pipelines[0].table.read_capacity",
                "pipelines[0].error_action.retention_days"
            ]
        );
    }

    #[test]
    fn duplicates_and_logical_id_clashes_are_refused() {
        let got = problems("pipelines: [{name: a}, {name: a}, {name: a_b}, {name: a__b}]");
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].1.contains("also the name of pipelines[0]"));
        assert!(got[1].1.contains("same logical IDs"));
    }

    #[test]
    fn deletion_protection_follows_retain_unless_set() {
        let protection = |table: &str| {
            build(&format!(
                "pipelines:\n  - name: presence\n    table: {table}\n"
            ))
            .unwrap()
            .pipelines[0]
                .table
                .deletion_protection
        };
        assert!(protection("{}"));
        assert!(!protection("{retain: false}"));
        assert!(protection("{retain: false, deletion_protection: true}"));
        assert!(!protection("{retain: true, deletion_protection: false}"));
    }

    #[test]
    fn provisioned_needs_both_capacities() {
        let got =
            problems("pipelines: [{name: a, table: {billing: provisioned, read_capacity: 0}}]");
        assert_eq!(got[0].0, "pipelines[0].table.read_capacity");
        assert_eq!(got[1].0, "pipelines[0].table.write_capacity");
    }

    #[test]
    fn tags_must_suit_iam() {
        let got = problems(
            "stack: {tags: {\"a*b\": ok, good: \"x!\", \"aws:x\": y}}\npipelines: [{name: a}]",
        );
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[test]
    fn too_many_pipelines_for_the_output_quota() {
        let pipelines: Vec<String> = (0..41).map(|i| format!("{{name: p{i}}}")).collect();
        let got = problems(&format!("pipelines: [{}]", pipelines.join(", ")));
        assert!(got[0].1.contains("205 outputs"), "{got:?}");
        assert!(got[0].1.contains("stack.outputs: false"), "{got:?}");
        let m = build(&format!(
            "stack: {{outputs: false}}\npipelines: [{}]",
            pipelines.join(", ")
        ))
        .unwrap();
        // Six resources a pipeline (table, role, rule, error log, two alarms) and the alarm topic's three.
        assert_eq!((m.output_count(), m.resource_count()), (0, 41 * 6 + 3));
    }

    #[test]
    fn too_many_resources() {
        let pipelines: Vec<String> = (0..126).map(|i| format!("{{name: p{i}}}")).collect();
        let got = problems(&format!(
            "stack: {{outputs: false, alarms: {{enabled: false}}}}\npipelines: [{}]",
            pipelines.join(", ")
        ));
        assert!(got[0].1.contains("504 resources"), "{got:?}");
        // Alarms add two resources a pipeline, and the topic's three.
        let got = problems(&format!(
            "stack: {{outputs: false}}\npipelines: [{}]",
            pipelines[..84].join(", ")
        ));
        assert!(got[0].1.contains("507 resources"), "{got:?}");
    }
}
