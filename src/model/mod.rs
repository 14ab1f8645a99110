//! The resolved stack: every default applied, every name checked against what AWS accepts, logical IDs derived
//! and the rule SQL built. Rendering and checking read only this; nothing downstream re-derives anything.

use serde::Serialize;

use crate::sql::{
    self, BinaryOp, EvalError, Expr, Program, SelectClause, SqlError, Statement, build,
};

use crate::catalog::Id;
use crate::config::{self, AlarmsConfig, AutoscalingConfig, Config, ErrorActionKind, KeyConfig};
use crate::events::{EVENT_KEY, EventKind, Family, event_key_expression};

mod alarms;
mod choose;
// The dashboard (issue 19): its resources and the stack's own metrics.
mod dashboard;
mod fields;
mod ignore;
mod names;
// Notifications (issue 22): the model of `status.notifications`.
mod notifications;
mod pipeline;
mod resources;
mod scaling;
mod status;

pub use choose::{Among, ChoiceError};
pub use dashboard::{
    CONNECTED_METRIC, COUNT_SCHEDULE, Dashboard, DashboardIds, METRIC_NAMESPACE, SENT_METRIC,
    STATE_METRIC,
};
pub use fields::{FieldError, Fields, Place};
pub use names::pascal_case;
pub use notifications::{
    DETAIL_TYPES, EVENT_SOURCE, FanOut, NOTIFY_TOPIC_KEY, Notifications, NotifyIds, Window,
};
pub use pipeline::{WrittenKey, generated_rule, generated_sql};

use alarms::resolve_alarms;
pub use ignore::Ignore;
use ignore::resolve_ignores;
use names::{
    check_computed_key_name, check_text, check_unique, is_pipeline_name, is_rule_name,
    is_table_name, resolve_tags,
};
use pipeline::resolve_pipeline;
use scaling::resolve_scaling;
use status::resolve_status;

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
    /// The stack's name, when the config gives one.
    #[serde(skip)]
    pub stack_name: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
    pub pipelines: Vec<Pipeline>,
    /// Whether each pipeline exports its resources as stack outputs.
    pub outputs: bool,
    /// The stack's customer-managed KMS key, when a pipeline asks for one.
    pub key: Option<StackKey>,
    /// Where the alarms of every rule and error queue notify; `None` when alarms are off.
    pub alarms: Option<Alarms>,
    /// The warnings the config says not to report.
    #[serde(skip)]
    pub ignores: Vec<Ignore>,
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
    /// `sql` parsed and compiled once; everything downstream reads these trees and never parses `sql` again.
    #[serde(skip)]
    pub compiled: CompiledRule,
    pub rule: Rule,
    pub table: Table,
    pub error: ErrorTarget,
    /// The status table and the function that keeps it, when `status.enabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFunction>,
}

/// A pipeline's rule SQL, parsed and compiled when the model is built. A rule that does not parse or compile is
/// kept with its error: reporting it, with its position, is `check`'s job.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub statement: Result<Statement, SqlError>,
    /// `None` while the statement does not parse.
    pub program: Option<Result<Program, EvalError>>,
    /// In a generated rule, each computed key's expression: a finding inside it points into what the user wrote.
    pub expressions: Vec<KeyExpression>,
}

/// A computed key's expression in a generated rule.
#[derive(Debug, Clone)]
pub struct KeyExpression {
    /// `partition_key` or `sort_key`.
    pub field: &'static str,
    /// The expression parsed on its own: its spans point into the key's `expression`.
    pub written: Result<Expr, SqlError>,
    /// The same expression in the parsed rule (its spans point into the rule's SQL); `None` while the rule
    /// does not parse.
    pub in_rule: Option<Expr>,
}

impl KeyExpression {
    /// Where, in the key's `expression`, the byte `offset` of the rule's SQL is, when it falls inside this
    /// expression. The printer may space the expression differently from how it was written, so the place is
    /// found by walking both trees, which have the same shape, down to the smallest node holding `offset`.
    pub fn written_offset(&self, offset: usize) -> Option<usize> {
        let (Ok(mut written), Some(mut printed)) = (self.written.as_ref(), self.in_rule.as_ref())
        else {
            return None;
        };
        if !(printed.span.start..printed.span.end).contains(&offset) {
            return None;
        }
        loop {
            let next = printed
                .children()
                .into_iter()
                .zip(written.children())
                .find(|(p, _)| (p.span.start..p.span.end).contains(&offset));
            match next {
                Some((p, w)) => (printed, written) = (p, w),
                None => break,
            }
        }
        let inside = offset - printed.span.start;
        Some(
            written.span.start
                + inside.min(written.span.end.saturating_sub(written.span.start + 1)),
        )
    }
}

impl CompiledRule {
    /// Parse and compile `sql`; for a generated rule, find each computed key's expression, `written` as
    /// [`generated_rule`] parsed it, by the name the rule selects it as.
    pub fn new(
        sql: &str,
        written: Vec<WrittenKey>,
        partition_key: &Key,
        sort_key: Option<&Key>,
    ) -> CompiledRule {
        let statement = crate::sql::parse(sql);
        let program = statement.as_ref().ok().map(Program::compile);
        let items = match &statement {
            Ok(Statement {
                select: SelectClause::Items(items),
                ..
            }) => items.as_slice(),
            _ => &[],
        };
        let expressions = written
            .into_iter()
            .map(|(field, written)| {
                let name = match field {
                    "partition_key" => Some(partition_key),
                    _ => sort_key,
                }
                .map(|k| k.name.as_str());
                let in_rule = items
                    .iter()
                    .rev()
                    .find(|i| i.alias().is_some() && i.output_name() == name)
                    .and_then(|i| i.expr())
                    .filter(|_| written.is_ok())
                    .cloned();
                KeyExpression {
                    field,
                    written,
                    in_rule,
                }
            })
            .collect();
        CompiledRule {
            statement,
            program,
            expressions,
        }
    }
}

/// The index of the status table that holds only the connected clients.
pub const STATUS_INDEX: &str = "Online";
/// How long the status function's log group keeps its logs unless the config says otherwise.
pub const DEFAULT_STATUS_LOG_DAYS: u64 = 30;
/// The ordering window W of [`crate::status::supersedes`], which the status function applies too: 20 minutes (the
/// [`crate::status`] module docs say why).
pub const DEFAULT_WINDOW_MS: i64 = 20 * 60 * 1000;

/// A pipeline's status table, its sparse index of connected clients, and the function that keeps it from the event
/// table's stream.
#[derive(Debug, Clone, Serialize)]
pub struct StatusFunction {
    pub ids: StatusIds,
    pub index: &'static str,
    /// `None`: no reserved concurrency (the account's unreserved pool).
    pub reserved_concurrency: Option<u64>,
    pub log_retention_days: u64,
    /// The ordering window of [`crate::status::supersedes`], in milliseconds.
    pub window_ms: i64,
    /// Where the pipeline's rule puts each field the function reads (`versionNumber`, `event.versionNumber`);
    /// `render` gives the function their dotted paths.
    #[serde(skip)]
    pub fields: Fields,
    /// The notifications sent from the status table, unless `status.notifications.enabled: false`.
    pub notifications: Option<Notifications>,
    /// The CloudWatch dashboard, unless `status.dashboard: false`.
    pub dashboard: Option<Dashboard>,
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Which diagnostic of the catalog it is.
    pub id: Id,
    pub path: String,
    pub message: String,
}

impl Problem {
    fn new(id: Id, path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            id,
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
                    Id::DescriptionTooLong,
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
                Id::NoPipelines,
                "pipelines",
                "at least one pipeline is needed, e.g. `pipelines: [{name: presence}]`",
            ));
        }
        let mut rules = pipeline::Rules::default();
        let pipelines: Vec<Pipeline> = config
            .pipelines
            .iter()
            .enumerate()
            .filter_map(|(i, p)| resolve_pipeline(i, p, &mut rules, &mut problems))
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
        let ignores = resolve_ignores(config, &mut problems);
        let stack_name = config.stack.name.clone();
        if let Some(name) = &stack_name
            && !names::is_stack_name(name)
        {
            problems.push(Problem::new(
                Id::StackName,
                "stack.name",
                format!(
                    "`{name}` is not a stack name; use 1 to 128 letters, digits or `-`, starting with a letter (e.g. \
                     `device-presence`)"
                ),
            ));
        }
        let model = Model {
            stack_name,
            description,
            tags,
            pipelines,
            outputs: config.stack.outputs,
            key,
            alarms,
            ignores,
        };
        if problems.is_empty() {
            let resources = model.resource_count();
            if resources > MAX_RESOURCES {
                problems.push(Problem::new(
                Id::StackQuota,
                    "pipelines",
                    format!(
                        "the stack would have {resources} resources; CloudFormation allows {MAX_RESOURCES}: split the pipelines over several stacks"
                    ),
                ));
            }
            let outputs = model.output_count();
            if outputs > MAX_OUTPUTS {
                // Pipelines with and without an error target or a status table have different numbers of outputs.
                let each = model.pipelines.iter().map(|p| p.output_names().len());
                let (fewest, most) = (each.clone().min(), each.max());
                let n = model.pipelines.len();
                let per_pipeline = match (fewest, most) {
                    (Some(a), Some(b)) if a != b => format!("{n} pipelines of {a} to {b}"),
                    _ => format!("{n} pipelines × {}", most.unwrap_or(0)),
                };
                problems.push(Problem::new(
                Id::StackQuota,
                    "pipelines",
                    format!(
                        "the stack would have {outputs} outputs ({per_pipeline}); CloudFormation allows {MAX_OUTPUTS}: set `stack.outputs: false` or split the pipelines over several stacks"
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

    /// The generated rule is built as a tree; the printed SQL the template carries parses back to that tree, for
    /// every choice of kinds, with and without TTL and computed keys.
    #[test]
    fn every_generated_rule_parses_back_to_the_tree_it_was_printed_from() {
        let kinds = [
            "[connected]",
            "[connected, disconnected]",
            "[connected, connect_failed, disconnected]",
            "[subscribed, unsubscribed]",
            "[connect_failed]",
        ];
        let tables = [
            "{}",
            "{ttl_days: 7}",
            "{partition_key: {name: pk, type: S, expression: \"concat(clientId,'-',  eventType)\"}, ttl_days: 1}",
        ];
        for events in kinds {
            for table in tables {
                let m = build(&format!(
                    "pipelines: [{{name: p, events: {events}, table: {table}}}]"
                ))
                .unwrap_or_else(|e| panic!("{events} {table}: {e:?}"));
                let p = &m.pipelines[0];
                let (built, _) = generated_rule(
                    &p.events,
                    p.table.ttl.as_ref(),
                    &p.table.partition_key,
                    p.table.sort_key.as_ref(),
                );
                let parsed = p
                    .compiled
                    .statement
                    .as_ref()
                    .expect("the generated rule parses");
                assert_eq!(parsed.without_spans(), built, "{}", p.sql);
                assert_eq!(built.to_string(), p.sql);
            }
        }
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

    /// A computed key is selected `AS <name>`: a name the parser refuses there is refused at the key's `name`,
    /// with what is allowed, before any SQL is generated.
    #[test]
    fn a_computed_key_is_named_so_that_the_generated_rule_parses() {
        let config = |field: &str, name: &str| {
            format!(
                "pipelines: [{{name: p, table: {{{field}: {{name: \"{name}\", type: S, expression: timestamp}}}}}}]"
            )
        };
        let listed: Vec<&str> = names::SQL_RESERVED_WORDS.split(", ").collect();
        // The list is the parser's: among words SQL dialects reserve, exactly these are refused after AS.
        for word in [
            "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "IN", "TRUE", "FALSE", "NULL",
            "CASE", "WHEN", "THEN", "ELSE", "END", "VALUE", "CAST", "LIKE", "IS", "BETWEEN",
            "ORDER", "BY", "LIMIT", "SET", "TOPIC",
        ] {
            let refused = crate::sql::parse(&format!("SELECT a AS {word} FROM 'x'")).is_err();
            assert_eq!(refused, listed.contains(&word), "{word}");
        }
        for field in ["partition_key", "sort_key"] {
            let at = format!("pipelines[0].table.{field}.name");
            for word in &listed {
                for name in [word.to_string(), word.to_ascii_lowercase()] {
                    let got = problems(&config(field, &name));
                    assert_eq!(got[0].0, at, "{name}");
                    assert!(
                        got[0]
                            .1
                            .contains("not a reserved word of IoT SQL (SELECT, FROM"),
                        "{got:?}"
                    );
                    assert!(
                        got[0]
                            .1
                            .ends_with(&format!("write e.g. `{}Key`", word.to_ascii_lowercase()))
                    );
                }
            }
            for (name, suggestion) in [
                ("ts-key", "ts_key"),
                ("1st", "_1st"),
                ("a b", "a_b"),
                ("é", "_"),
            ] {
                let got = problems(&config(field, name));
                assert_eq!(got[0].0, at, "{name}");
                assert!(
                    got[0]
                        .1
                        .contains("letters, digits and `_`, not starting with a digit"),
                    "{got:?}"
                );
                assert!(
                    got[0].1.ends_with(&format!("write e.g. `{suggestion}`")),
                    "{got:?}"
                );
            }
            for name in ["tsKey", "_k", "value", "cast", "k1"] {
                let m = build(&config(field, name)).unwrap();
                assert!(m.pipelines[0].compiled.statement.is_ok(), "{name}");
            }
        }
        // A key taken from the events is not selected `AS` anything: its name is the payload's.
        assert!(
            build("pipelines: [{name: p, table: {sort_key: {name: ts-key, type: S}}}]").is_ok()
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
        // A status table adds three outputs: the message says the pipelines differ. (Without notifications and the
        // dashboard, whose 15 and 6 to 8 resources a pipeline would take 25 of them past the 500 resources first.)
        let mut pipelines: Vec<String> = (0..25)
            .map(|i| {
                format!(
                    "{{name: s{i}, status: {{enabled: true, dashboard: false, notifications: {{enabled: false}}}}}}"
                )
            })
            .collect();
        pipelines.push("{name: p, error_action: {kind: none}}".to_owned());
        let got = problems(&format!("pipelines: [{}]", pipelines.join(", ")));
        assert!(
            got[0].1.contains("204 outputs (26 pipelines of 4 to 8)"),
            "{got:?}"
        );
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
