//! Property 2: random valid configs synthesize, and the template keeps its structural and least-privilege
//! invariants.

use super::*;

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
    /// With a status table (`status.enabled`), and so its function, queue, log group and role.
    status: bool,
    /// Its notifications (on with the status table unless turned off), and where they are fanned out.
    notify: Notify,
    /// Its dashboard (on with the status table unless `dashboard: false`).
    dashboard: bool,
}

/// A status pipeline's notifications as generated: off, on, or on with a topic of the stack or an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notify {
    Off,
    On,
    Email,
    Topic,
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

/// Custom SQL that produces `clientId`, `timestamp` and `eventType` at the root for every event it reads. The
/// first [`PRESENCE_SQL`] of them also keep connected and disconnected events with every field a status table reads.
const CUSTOM_SQL: &[&str] = &[
    "SELECT * FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'",
    "SELECT *, topic(5) AS device FROM '$aws/events/presence/+/#' WHERE eventType <> 'connect_failed'",
    "SELECT * FROM '$aws/events/presence/connected/#'",
    "SELECT * FROM '$aws/events/subscriptions/#'",
    "select clientId, timestamp, eventType from '$aws/events/presence/#' where eventType = 'connected'",
];

const PRESENCE_SQL: usize = 2;

/// `status`, when asked for: enabled, and perhaps its concurrency and log retention; or disabled outright.
fn status() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"enabled": false}))),
        2 => (
            prop::option::of(prop_oneof![1u64..=1000, Just(1), Just(1000)]),
            prop::option::of(select(LOG_RETENTION_DAYS.to_vec())),
            prop_oneof![
                Just(None),
                Just(Some(json!({"enabled": false}))),
                Just(Some(json!({"email": "ops@example.com", "offline_after_seconds": 1200}))),
                Just(Some(json!({"topic_arn": "arn:aws:sns:eu-west-1:123456789012:ops",
                    "flapping": {"disconnects": 2, "within_seconds": 60}, "event_bus_name": "presence"}))),
            ],
            prop::option::of(any::<bool>()),
        )
            .prop_map(|(concurrency, days, notifications, dashboard)| {
                let mut s = Map::new();
                s.insert("enabled".into(), json!(true));
                insert_opt(&mut s, "reserved_concurrency", concurrency.map(Value::from));
                insert_opt(&mut s, "log_retention_days", days.map(Value::from));
                insert_opt(&mut s, "notifications", notifications);
                insert_opt(&mut s, "dashboard", dashboard.map(Value::from));
                Some(Value::Object(s))
            }),
    ]
}

/// What a generated `status` asks of notifications.
fn notify_of(status: Option<&Value>) -> Notify {
    let Some(s) = status.filter(|s| s["enabled"] == true) else {
        return Notify::Off;
    };
    let n = &s["notifications"];
    if n["enabled"] == false {
        Notify::Off
    } else if n.get("email").is_some() {
        Notify::Email
    } else if n.get("topic_arn").is_some() {
        Notify::Topic
    } else {
        Notify::On
    }
}

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
    (tricky_pipeline_name(), source, rule, table, error, status())
        .prop_filter("a key may not be the sort key too", |(_, _, _, t, _, _)| {
            Some(t.1.1) != t.2.1
        })
        .prop_filter(
            "custom SQL and computed keys do not mix",
            |(_, (_, sql), _, t, _, _)| {
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
            |(name, (events, sql), rule, table, (error_action, error), status)| {
                // A status table reads connected and disconnected events, with every field at hand.
                let keeps_presence = match (&events, sql) {
                    (_, Some(sql)) => CUSTOM_SQL[..PRESENCE_SQL].contains(&sql),
                    (None, None) => true,
                    (Some(kinds), None) => ["connected", "disconnected"]
                        .iter()
                        .all(|k| kinds.as_array().is_some_and(|a| a.contains(&json!(k)))),
                };
                let status = status.filter(|_| keeps_presence);
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
                let enabled = status.as_ref().is_some_and(|s| s["enabled"] == true);
                let notify = notify_of(status.as_ref());
                let dashboard = enabled && status.as_ref().is_some_and(|s| s["dashboard"] != false);
                insert_opt(&mut p, "status", status);
                let provisioned = p
                    .get("table")
                    .is_some_and(|t| t["billing"] == "provisioned");
                PipelineSpec {
                    value: p,
                    error,
                    customer_managed: encryption == Some("customer_managed"),
                    provisioned,
                    status: enabled,
                    notify,
                    dashboard,
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
pub(super) struct ConfigSpec {
    pub(super) value: Value,
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

pub(super) fn config() -> impl Strategy<Value = ConfigSpec> {
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
    model: &presence_stack::Model,
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
    // What the config asks for, type by type; nothing else.
    let n = spec.pipelines.len();
    let count = |f: fn(&PipelineSpec) -> bool| spec.pipelines.iter().filter(|p| f(p)).count();
    let logs = count(|p| p.error == ErrorKind::Logs);
    let queues = count(|p| p.error == ErrorKind::Sqs);
    let scaled = count(|p| p.provisioned);
    let statuses = count(|p| p.status);
    // Notifications: a count table, two queues, log groups, roles and functions, three mappings and alarms; a rule
    // with a topic; a topic, its policy and subscription with an address, and the stack's topic key once.
    let notifying = count(|p| p.notify != Notify::Off);
    let mailed = count(|p| p.notify == Notify::Email);
    let fanned = mailed + count(|p| p.notify == Notify::Topic);
    let new_topic = matches!(spec.alarms, Alarms::NewTopic { .. });
    let alarmed = spec.alarms != Alarms::Off;
    // The dashboard: the online counting function's log group, role, function, schedule and permission, the
    // dashboard, and a metric filter on each notification function's log group.
    let dashboards = count(|p| p.dashboard);
    let filtered = count(|p| p.dashboard && p.notify != Notify::Off);
    let expected: BTreeMap<&str, usize> = [
        ("AWS::IoT::TopicRule", n),
        ("AWS::DynamoDB::Table", n + statuses + notifying),
        ("AWS::IAM::Role", n + statuses + 2 * notifying + dashboards),
        (
            "AWS::Logs::LogGroup",
            logs + statuses + 2 * notifying + dashboards,
        ),
        ("AWS::SQS::Queue", queues + statuses + 2 * notifying),
        (
            "AWS::KMS::Key",
            usize::from(spec.pipelines.iter().any(|p| p.customer_managed))
                + usize::from(new_topic)
                + usize::from(mailed > 0),
        ),
        // Two a rule, one an error queue, two a status function, three a pipeline's notifications.
        (
            "AWS::CloudWatch::Alarm",
            if alarmed {
                2 * n + queues + 2 * statuses + 3 * notifying
            } else {
                0
            },
        ),
        ("AWS::SNS::Topic", usize::from(new_topic) + mailed),
        ("AWS::SNS::TopicPolicy", usize::from(new_topic) + mailed),
        (
            "AWS::SNS::Subscription",
            usize::from(spec.alarms == Alarms::NewTopic { email: true }) + mailed,
        ),
        ("AWS::ApplicationAutoScaling::ScalableTarget", 2 * scaled),
        ("AWS::ApplicationAutoScaling::ScalingPolicy", 2 * scaled),
        (
            "AWS::Lambda::Function",
            statuses + 2 * notifying + dashboards,
        ),
        ("AWS::Lambda::EventSourceMapping", statuses + 3 * notifying),
        ("AWS::Events::Rule", fanned + dashboards),
        ("AWS::Lambda::Permission", dashboards),
        ("AWS::CloudWatch::Dashboard", dashboards),
        ("AWS::Logs::MetricFilter", 2 * filtered),
    ]
    .into_iter()
    .collect();
    let mut found: BTreeMap<&str, usize> = expected.keys().map(|t| (*t, 0)).collect();
    for r in resources.values() {
        *found
            .entry(r["Type"].as_str().unwrap_or("(no Type)"))
            .or_default() += 1;
    }
    prop_assert_eq!(
        &found,
        &expected,
        "resources by type: {:?}",
        resources.keys()
    );
    // The model's lists, whose lengths the quota checks read, are the template's.
    crate::support::common::model_lists_the_template(model, &template)
        .map_err(TestCaseError::fail)?;

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
    prop_assert_eq!(
        template
            .get("Outputs")
            .and_then(Value::as_object)
            .is_some_and(|o| !o.is_empty()),
        spec.outputs,
        "outputs, unless `stack.outputs: false`"
    );

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
        const UNTAGGABLE: [&str; 6] = [
            "AWS::SNS::TopicPolicy",
            "AWS::SNS::Subscription",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            "AWS::Lambda::Permission",
            "AWS::Logs::MetricFilter",
            "AWS::CloudWatch::Dashboard",
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
        check_invariants(&spec, &json.model, &json.template, &yaml.template)?;
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
            status: false,
            notify: Notify::Off,
            dashboard: false,
        }],
        outputs: true,
        tags: BTreeMap::new(),
        alarms: Alarms::NewTopic { email: false },
    };
    let text = write_config(&config, Writer::SerdeYaml);
    let synthesis = synth(&text, Format::Json).unwrap();
    let (model, json) = (synthesis.model, synthesis.template);
    let yaml = synth(&text, Format::Yaml).unwrap().template;
    check_invariants(&spec, &model, &json, &yaml).unwrap();

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
            check_invariants(&spec, &model, &doctored, &doctored_yaml).is_err(),
            "{what} went unnoticed"
        );
    }
    // JSON text with a logical ID written twice (which serde_json's map would quietly merge).
    let twice = json.replacen("\"PresenceRule\":", "\"PresenceTable\":", 1);
    assert!(
        check_invariants(&spec, &model, &twice, &yaml).is_err(),
        "a duplicate logical ID went unnoticed"
    );
}
