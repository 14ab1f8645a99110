//! What the notification resources' template (`templates/notify.json.hbs`) needs beyond the model: the functions'
//! code and environment, the bus, the filters and the fan-out rule's pattern and message.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::{inline, per_stack};
use crate::model::{DETAIL_TYPES, EVENT_SOURCE, FanOut, Notifications, Pipeline, StatusFunction};

/// The functions' timeout; the check queue hides a message 6 times as long while it is handled, as AWS advises for
/// a queue that invokes a function.
const TIMEOUT_SECONDS: u64 = 30;
/// How often a check message is received before it goes to the failure queue.
const MAX_RECEIVES: u64 = 5;

#[derive(Serialize)]
pub(super) struct NotifyScope {
    code: &'static str,
    count_code: &'static str,
    environment: BTreeMap<&'static str, Value>,
    count_environment: BTreeMap<&'static str, Value>,
    log_group_name: Value,
    count_log_group_name: Value,
    checkov_skips: Vec<Value>,
    timeout: u64,
    visibility_timeout: u64,
    max_receives: u64,
    bus_name: String,
    bus_arn: Value,
    /// Only disconnects invoke the counting function.
    disconnect_filter: String,
    /// The fan-out rule's target: the stack's topic or the configured one; null without fan-out.
    fan_out: Value,
    email: Option<String>,
    topic_key: &'static str,
    pattern: Value,
    input_transformer: Value,
    errors_description: String,
    count_errors_description: String,
    queue_description: String,
}

/// `/aws/lambda/<stack name>/<stack uuid>/<pipeline>-<what>`, like the status function's log group.
pub(super) fn log_group_name(p: &Pipeline, what: &str) -> String {
    format!(
        "/aws/lambda/${{AWS::StackName}}/${{StackUuid}}/{}-{what}",
        p.name
    )
}

/// The log groups of a pipeline's notification functions (for the stack key's policy).
pub(super) fn log_group_names(p: &Pipeline) -> Vec<String> {
    match p.status.as_ref().and_then(|s| s.notifications.as_ref()) {
        Some(_) => vec![log_group_name(p, "notify"), log_group_name(p, "count")],
        None => Vec::new(),
    }
}

/// A filter pattern that matches an item attribute at a dotted path (`event.eventType` is in the map `event`).
fn image_pattern(path: &str, value: &str) -> Value {
    let mut parts = path.split('.').rev();
    let last = parts.next().unwrap_or(path);
    let mut pattern = json!({ last: {"S": [value]} });
    for part in parts {
        pattern = json!({ part: {"M": pattern} });
    }
    pattern
}

pub(super) fn notify_scope(
    p: &Pipeline,
    status: &StatusFunction,
    n: &Notifications,
    checkov_skips: Vec<Value>,
    topic_key: Option<&'static str>,
) -> NotifyScope {
    let bus_name = n
        .event_bus_name
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    let f = &status.fields;
    let shared = [("PIPELINE", json!(p.name)), ("EVENT_BUS", json!(bus_name))];
    let mut environment = BTreeMap::from([
        ("STATUS_TABLE", json!({"Ref": status.ids.table})),
        ("CHECK_QUEUE_URL", json!({"Ref": n.ids.check_queue})),
        (
            "OFFLINE_AFTER_SECONDS",
            json!(n.offline_after_seconds.to_string()),
        ),
    ]);
    environment.extend(shared.clone());
    let mut count_environment = BTreeMap::from([
        ("COUNT_TABLE", json!({"Ref": n.ids.count_table})),
        ("FLAPPING_DISCONNECTS", json!(n.flapping.count.to_string())),
        (
            "FLAPPING_SECONDS",
            json!(n.flapping.within_seconds.to_string()),
        ),
        ("CONFLICT_TAKEOVERS", json!(n.conflict.count.to_string())),
        (
            "CONFLICT_SECONDS",
            json!(n.conflict.within_seconds.to_string()),
        ),
    ]);
    count_environment.extend(super::field_environment(f));
    count_environment.extend(shared);
    let mut filter = json!({"eventName": ["INSERT", "MODIFY"]});
    filter["dynamodb"] =
        json!({"NewImage": image_pattern(&f.event_type.to_string(), "disconnected")});
    let fan_out = match &n.fan_out {
        None => Value::Null,
        Some(FanOut::Email { .. }) => json!({"Ref": n.ids.topic}),
        Some(FanOut::Existing { arn }) => json!(arn),
    };
    let told: Vec<&str> = DETAIL_TYPES
        .iter()
        .filter(|(_, mailed)| *mailed)
        .map(|(kind, _)| *kind)
        .collect();
    NotifyScope {
        code: inline::notify_code(),
        count_code: inline::count_code(),
        environment,
        count_environment,
        log_group_name: per_stack(log_group_name(p, "notify")),
        count_log_group_name: per_stack(log_group_name(p, "count")),
        checkov_skips,
        timeout: TIMEOUT_SECONDS,
        visibility_timeout: 6 * TIMEOUT_SECONDS,
        max_receives: MAX_RECEIVES,
        bus_arn: json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:event-bus/{bus_name}"
        )}),
        bus_name,
        disconnect_filter: filter.to_string(),
        fan_out,
        email: match &n.fan_out {
            Some(FanOut::Email { email }) => Some(email.clone()),
            _ => None,
        },
        topic_key: topic_key.unwrap_or_default(),
        pattern: json!({
            "source": [EVENT_SOURCE],
            "detail-type": told,
            "detail": {"pipeline": [p.name]},
        }),
        input_transformer: json!({
            "InputPathsMap": {
                "kind": "$.detail-type",
                "client": "$.detail.clientId",
                "pipeline": "$.detail.pipeline",
                "time": "$.time",
            },
            "InputTemplate": "\"<kind>: <client> (pipeline <pipeline>, <time>)\"",
        }),
        errors_description: format!(
            "Pipeline {}: the notification function failed on a batch of the status stream or the check queue; \
             it is retried, then sent to the notification failure queue. Its log group says why.",
            p.name
        ),
        count_errors_description: format!(
            "Pipeline {}: the counting function failed on a batch of the event stream; it is retried, then sent \
             to the notification failure queue. Its log group says why.",
            p.name
        ),
        queue_description: format!(
            "Pipeline {}: notifications were given up on and wait in the notification failure queue (stream \
             batches and offline checks); some Offline, Flapping or Conflict events may not have been sent.",
            p.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Model;

    /// `Model::resource_count` (which refuses a stack over 500) counts what the templates render, whatever the
    /// notifications, alarms and fan-out.
    #[test]
    fn the_model_counts_the_resources_rendered() {
        let cases = [
            "{enabled: true}",
            "{enabled: true, notifications: {enabled: false}}",
            "{enabled: true, notifications: {email: ops@example.com}}",
            "{enabled: true, notifications: {topic_arn: 'arn:aws:sns:eu-west-1:123456789012:ops'}}",
        ];
        for status in cases {
            for (alarms, encryption) in [("true", "aws_owned"), ("false", "customer_managed")] {
                let text = format!(
                    "stack: {{alarms: {{enabled: {alarms}}}}}\npipelines:\n  - name: a\n    table: {{encryption: {encryption}}}\n    status: {status}\n  - name: b\n    status: {status}\n"
                );
                let model = Model::build(&crate::config::parse(&text).unwrap()).unwrap();
                let template = super::super::template(&model).unwrap();
                let rendered = template["Resources"].as_object().unwrap().len();
                assert_eq!(model.resource_count(), rendered, "{text}");
            }
        }
    }
}
