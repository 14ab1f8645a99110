//! What the dashboard's template (`templates/dashboard.json.hbs`) needs beyond the model: the online counting
//! function's code and environment, the metric filters' pattern, and the dashboard's body, built here as a JSON
//! value and handed to the template as the text of an `Fn::Sub` (whose `${...}` are the region and the names of
//! the stack's resources).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::{inline, per_stack};
use crate::model::{
    CONNECTED_METRIC, Dashboard, ErrorTarget, METRIC_NAMESPACE, Pipeline, SENT_METRIC,
    STATE_METRIC, StatusFunction,
};

/// The counting function's timeout: a million connected devices are about 150 pages of the index.
const TIMEOUT_SECONDS: u64 = 60;
/// The dashboard's grid is 24 units wide.
const WIDTH: u64 = 24;

#[derive(Serialize)]
pub(super) struct DashboardScope {
    code: &'static str,
    environment: BTreeMap<&'static str, Value>,
    log_group_name: Value,
    checkov_skips: Vec<Value>,
    timeout: u64,
    schedule: &'static str,
    /// `${<status table>.Arn}/index/Online`: the one thing the function reads.
    index_arn: Value,
    /// The metric filters on the notification functions' log groups: every line the functions log per event sent.
    sent_pattern: &'static str,
    sent_transformations: Value,
    /// The dashboard's body, an `Fn::Sub`.
    body: Value,
    url: Value,
}

/// `/aws/lambda/<stack name>/<stack uuid>/<pipeline>-online-count`, like the other functions' log groups.
pub(super) fn log_group_name(p: &Pipeline) -> String {
    super::notify::log_group_name(p, "online-count")
}

/// The log group of a pipeline's counting function, when it has a dashboard (for the stack key's policy).
pub(super) fn log_group_names(p: &Pipeline) -> Vec<String> {
    match p.status.as_ref().and_then(|s| s.dashboard.as_ref()) {
        Some(_) => vec![log_group_name(p)],
        None => Vec::new(),
    }
}

pub(super) fn dashboard_scope(
    p: &Pipeline,
    status: &StatusFunction,
    d: &Dashboard,
    mut checkov_skips: Vec<Value>,
) -> DashboardScope {
    checkov_skips.push(json!({
        "id": "CKV_AWS_116",
        "comment": "started every minute by a schedule: a failed count is replaced by the next one, nothing to keep",
    }));
    let environment = BTreeMap::from([
        ("STATUS_TABLE", json!({"Ref": status.ids.table})),
        ("INDEX_NAME", json!(status.index)),
        ("NAMESPACE", json!(METRIC_NAMESPACE)),
        ("METRIC_NAME", json!(CONNECTED_METRIC)),
        ("PIPELINE", json!(p.name)),
    ]);
    DashboardScope {
        code: inline::online_count_code(),
        environment,
        log_group_name: per_stack(log_group_name(p)),
        checkov_skips,
        timeout: TIMEOUT_SECONDS,
        schedule: crate::model::COUNT_SCHEDULE,
        index_arn: json!({"Fn::Sub": format!("${{{}.Arn}}/index/{}", status.ids.table, status.index)}),
        sent_pattern: "{ $.sent = \"*\" }",
        sent_transformations: json!([{
            "MetricNamespace": METRIC_NAMESPACE,
            "MetricName": SENT_METRIC,
            "MetricValue": "1",
            "Unit": "Count",
            "Dimensions": [
                {"Key": "Pipeline", "Value": "$.pipeline"},
                {"Key": "DetailType", "Value": "$.sent"},
            ],
        }]),
        body: json!({"Fn::Sub": body(p, status, d).to_string()}),
        url: json!({"Fn::Sub": format!(
            "https://${{AWS::Region}}.console.aws.amazon.com/cloudwatch/home?region=${{AWS::Region}}#dashboards:name=${{{}}}",
            d.ids.dashboard
        )}),
    }
}

/// A widget at (x, y) of the grid.
fn widget(kind: &str, (x, y, width, height): (u64, u64, u64, u64), properties: Value) -> Value {
    json!({"type": kind, "x": x, "y": y, "width": width, "height": height, "properties": properties})
}

/// A metric widget's properties: a title, the region, and the rest as given.
fn metric_properties(title: &str, rest: Value) -> Value {
    let mut properties = json!({"title": title, "region": "${AWS::Region}"});
    if let (Some(target), Value::Object(rest)) = (properties.as_object_mut(), rest) {
        target.extend(rest);
    }
    properties
}

/// A metric line with its label: `[namespace, name, dimension, value, ..., {"label": label}]`.
fn line(parts: &[&str], label: &str) -> Value {
    let mut line: Vec<Value> = parts.iter().map(|p| json!(p)).collect();
    line.push(json!({"label": label}));
    Value::Array(line)
}

/// A line of the notifications sent of one kind (`PresenceStack` `EventsSent`, from the metric filters).
fn sent(pipeline: &str, kind: &str, label: &str) -> Value {
    line(
        &[
            METRIC_NAMESPACE,
            SENT_METRIC,
            "Pipeline",
            pipeline,
            "DetailType",
            kind,
        ],
        label,
    )
}

/// `${LogicalId}`: CloudFormation puts the resource's name (its `Ref`) there.
fn name_of(id: &str) -> String {
    format!("${{{id}}}")
}

/// The body of the dashboard, before `Fn::Sub`: rows of widgets, top to bottom.
pub(super) fn body(p: &Pipeline, status: &StatusFunction, d: &Dashboard) -> Value {
    let pipeline = p.name.as_str();
    let connected = [METRIC_NAMESPACE, CONNECTED_METRIC, "Pipeline", pipeline];
    let mut widgets = vec![
        widget(
            "metric",
            (0, 0, 6, 6),
            metric_properties(
                "Connected devices now",
                json!({"view": "singleValue", "sparkline": true, "stat": "Maximum", "period": 60,
                       "metrics": [line(&connected, "connected")]}),
            ),
        ),
        widget(
            "metric",
            (6, 0, WIDTH - 6, 6),
            metric_properties(
                "Connected devices",
                json!({"view": "timeSeries", "stat": "Maximum", "period": 60, "yAxis": {"left": {"min": 0}},
                       "metrics": [line(&connected, "connected")]}),
            ),
        ),
    ];
    let mut y = 6;
    let n = status.notifications.as_ref();
    // The status function's own metric: one per change of state the table made, with or without notifications.
    let changes = |state: &str, label: &str| {
        line(
            &[
                METRIC_NAMESPACE,
                STATE_METRIC,
                "Pipeline",
                pipeline,
                "State",
                state,
            ],
            label,
        )
    };
    let half = if n.is_some() { WIDTH / 2 } else { WIDTH };
    widgets.push(widget(
        "metric",
        (0, y, half, 6),
        metric_properties(
            "Connects and disconnects per minute",
            json!({"view": "timeSeries", "stat": "Sum", "period": 60,
                   "metrics": [changes("connected", "connects"), changes("disconnected", "disconnects")]}),
        ),
    ));
    if n.is_some() {
        widgets.push(widget(
            "metric",
            (WIDTH / 2, y, WIDTH / 2, 6),
            metric_properties(
                "Notifications per hour",
                json!({"view": "bar", "stat": "Sum", "period": 3600,
                "metrics": [
                    sent(pipeline, "Device Offline", "offline"),
                    sent(pipeline, "Device Online", "online again"),
                    sent(pipeline, "Device Flapping", "flapping"),
                    sent(pipeline, "Client ID Conflict", "client ID conflict"),
                ]}),
            ),
        ));
    }
    y += 6;
    // The rule's metrics are published per rule and action type, whose spelling AWS does not document: each line
    // sums every action type of the rule (as the alarms do).
    let rule_metric = |metric: &str, id: &str, label: &str| {
        json!([{
            "expression": format!(
                "SUM(SEARCH('{{AWS/IoT,ActionType,RuleName}} MetricName=\"{metric}\" RuleName=\"{}\"', 'Sum', 60))",
                name_of(&p.ids.rule)
            ),
            "id": id,
            "label": label,
        }])
    };
    widgets.push(widget(
        "metric",
        (0, y, WIDTH / 3, 6),
        metric_properties(
            "Rule failures",
            json!({"view": "timeSeries", "stat": "Sum", "period": 60,
                   "metrics": [
                       rule_metric("Failure", "failure", "write failed (event went to the error action)"),
                       rule_metric("ErrorActionFailure", "erroraction", "error action failed (event lost)"),
                   ]}),
        ),
    ));
    let mut functions = vec![(status.ids.function.as_str(), "status")];
    if let Some(n) = n {
        functions.extend([
            (n.ids.function.as_str(), "notify"),
            (n.ids.count_function.as_str(), "count"),
        ]);
    }
    functions.push((d.ids.function.as_str(), "online count"));
    let errors: Vec<Value> = functions
        .iter()
        .map(|(id, label)| {
            line(
                &["AWS/Lambda", "Errors", "FunctionName", &name_of(id)],
                label,
            )
        })
        .collect();
    widgets.push(widget(
        "metric",
        (WIDTH / 3, y, WIDTH / 3, 6),
        metric_properties(
            "Function errors",
            json!({"view": "timeSeries", "stat": "Sum", "period": 60, "metrics": errors}),
        ),
    ));
    let mut queues = vec![(status.ids.queue.as_str(), "status failures")];
    if let Some(n) = n {
        queues.push((n.ids.failure_queue.as_str(), "notify failures"));
    }
    if p.error == ErrorTarget::Sqs {
        queues.push((p.ids.error_queue.as_str(), "rule's error queue"));
    }
    let letters: Vec<Value> = queues
        .iter()
        .map(|(id, label)| {
            let name = format!("${{{id}.QueueName}}");
            line(
                &[
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "QueueName",
                    &name,
                ],
                label,
            )
        })
        .collect();
    widgets.push(widget(
        "metric",
        (2 * WIDTH / 3, y, WIDTH / 3, 6),
        metric_properties(
            "Dead letters waiting",
            json!({"view": "timeSeries", "stat": "Maximum", "period": 60, "metrics": letters}),
        ),
    ));
    y += 6;
    let log = |(x, y, width, height), title: &str, query: String| {
        widget(
            "log",
            (x, y, width, height),
            json!({"title": title, "region": "${AWS::Region}", "view": "table", "query": query}),
        )
    };
    // The status function's EMF lines: every change of state the table made, with or without notifications.
    widgets.push(log(
        (0, y, half, 8),
        "Latest state changes",
        format!(
            "SOURCE '{}' | filter ispresent({STATE_METRIC}) \
             | fields @timestamp, State, clientId, disconnectReason, sessionIdentifier, since \
             | sort @timestamp desc | limit 100",
            name_of(&status.ids.log)
        ),
    ));
    if let Some(n) = n {
        let notify_log = format!("SOURCE '{}'", name_of(&n.ids.log));
        let count_log = format!("SOURCE '{}'", name_of(&n.ids.count_log));
        widgets.push(log(
            (WIDTH / 2, y, WIDTH / 2, 8),
            "Devices offline now (told Offline, not Online since, in this time range)",
            format!(
                "{notify_log} | filter sent = \"Device Offline\" or sent = \"Device Online\" \
                 | stats latest(sent) as last, latest(offlineSince) as offlineSinceMs, \
                 latest(disconnectReason) as reason, max(@timestamp) as told by clientId \
                 | filter last = \"Device Offline\" | sort told desc | limit 1000"
            ),
        ));
        y += 8;
        // The notifications themselves (connects and disconnects are the state changes above).
        widgets.push(log(
            (0, y, WIDTH, 6),
            "Latest notifications",
            format!(
                "{notify_log} | {count_log} | fields @timestamp, sent, clientId, disconnectReason, sessionIdentifier \
                 | filter ispresent(sent) and sent != \"Device Connected\" and sent != \"Device Disconnected\" \
                 | sort @timestamp desc | limit 100"
            ),
        ));
    }
    json!({"start": "-PT3H", "periodOverride": "inherit", "widgets": widgets})
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::model::Model;

    /// The template of one pipeline, and its dashboard's body with `${...}` replaced by plain names, as
    /// CloudFormation does: what is left must be JSON, and every variable the region or a resource of the template
    /// (`Name` or `Name.Attribute`). Each `${Name}` becomes `<Name>`, so that tests can tell which resource it is.
    fn substituted(text: &str) -> (Value, Value) {
        let model = Model::build(&crate::config::parse(text).unwrap()).unwrap();
        let template = super::super::template(&model).unwrap();
        let resources = template["Resources"].as_object().unwrap();
        let body = resources["PresenceDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
            .as_str()
            .unwrap();
        let mut out = String::new();
        let mut rest = body;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find('}').unwrap() + at;
            let var = &rest[at + 2..end];
            let id = var.split('.').next().unwrap();
            assert!(
                var == "AWS::Region" || resources.contains_key(id),
                "{var} in {text}"
            );
            out.push_str(&format!("<{var}>"));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        let parsed: Value = serde_json::from_str(&out).unwrap();
        (template, parsed)
    }

    fn config(status: &str, error: &str) -> String {
        format!(
            "pipelines:\n  - name: presence\n    error_action: {{kind: {error}}}\n    status: {status}\n"
        )
    }

    /// The widgets by title.
    fn by_title(body: &Value) -> std::collections::BTreeMap<String, Value> {
        body["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["properties"]["title"].as_str().unwrap().to_string(),
                    w.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn the_body_is_json_once_substituted_on_a_valid_grid() {
        for status in [
            "{enabled: true}",
            "{enabled: true, notifications: {enabled: false}}",
        ] {
            for error in ["cloudwatch_logs", "sqs"] {
                let text = config(status, error);
                let (_, parsed) = substituted(&text);
                let widgets = parsed["widgets"].as_array().unwrap();
                let logs = widgets.iter().filter(|w| w["type"] == "log").count();
                let notifications = !status.contains("false");
                assert_eq!(widgets.len(), if notifications { 10 } else { 7 }, "{text}");
                assert_eq!(logs, if notifications { 3 } else { 1 });
                // 24 units wide, each row filled, no two widgets on the same cell.
                let rect = |w: &Value| {
                    let n = |k: &str| w[k].as_u64().unwrap();
                    (n("x"), n("y"), n("width"), n("height"))
                };
                for (i, a) in widgets.iter().enumerate() {
                    let (x, y, width, height) = rect(a);
                    assert!(width > 0 && height > 0 && x + width <= super::WIDTH, "{a}");
                    for b in &widgets[i + 1..] {
                        let (bx, by, bw, bh) = rect(b);
                        let apart =
                            x + width <= bx || bx + bw <= x || y + height <= by || by + bh <= y;
                        assert!(apart, "{a} overlaps {b}");
                    }
                }
                let mut rows = std::collections::BTreeMap::new();
                for w in widgets {
                    let (x, y, width, _) = rect(w);
                    *rows.entry(y).or_insert(0) += width;
                    assert!(x < super::WIDTH);
                }
                assert!(rows.values().all(|&w| w == super::WIDTH), "{rows:?}");
            }
        }
    }

    /// The connects and disconnects per minute and the latest state changes come from the status function's own
    /// metric and log lines, with or without notifications; what is about notifications needs them.
    #[test]
    fn state_changes_with_and_without_notifications() {
        for notifications in [true, false] {
            let status = if notifications {
                "{enabled: true}"
            } else {
                "{enabled: true, notifications: {enabled: false}}"
            };
            let text = config(status, "cloudwatch_logs");
            let (template, body) = substituted(&text);
            let widgets = by_title(&body);
            let connects = &widgets["Connects and disconnects per minute"]["properties"]["metrics"];
            assert_eq!(
                connects,
                &serde_json::json!([
                    ["PresenceStack", "StateChanges", "Pipeline", "presence", "State", "connected", {"label": "connects"}],
                    ["PresenceStack", "StateChanges", "Pipeline", "presence", "State", "disconnected", {"label": "disconnects"}],
                ])
            );
            let latest = widgets["Latest state changes"]["properties"]["query"]
                .as_str()
                .unwrap();
            assert!(
                latest
                    .starts_with("SOURCE '<PresenceStatusLog>' | filter ispresent(StateChanges) |"),
                "{latest}"
            );
            assert_eq!(latest.matches("SOURCE").count(), 1, "{latest}");
            let offline =
                "Devices offline now (told Offline, not Online since, in this time range)";
            for title in ["Notifications per hour", offline, "Latest notifications"] {
                assert_eq!(widgets.contains_key(title), notifications, "{title}");
            }
            if notifications {
                let hourly = widgets["Notifications per hour"]["properties"]["metrics"].to_string();
                assert!(hourly.contains("EventsSent") && !hourly.contains("Device Connected"));
                let told = widgets["Latest notifications"]["properties"]["query"].to_string();
                assert!(
                    told.contains("<PresenceNotifyLog>")
                        && told.contains("<PresenceNotifyCountLog>")
                );
            }
            // The status function logs the metric the dashboard reads, named by the model.
            let variables = &template["Resources"]["PresenceStatusFunction"]["Properties"]["Environment"]
                ["Variables"];
            assert_eq!(variables["NAMESPACE"], crate::model::METRIC_NAMESPACE);
            assert_eq!(variables["METRIC_NAME"], crate::model::STATE_METRIC);
            assert_eq!(variables["PIPELINE"], "presence");
        }
        // Without a dashboard the function logs nothing: no metric to pay for.
        let text =
            "pipelines:\n  - name: presence\n    status: {enabled: true, dashboard: false}\n";
        let model = Model::build(&crate::config::parse(text).unwrap()).unwrap();
        let template = super::super::template(&model).unwrap();
        let variables = template["Resources"]["PresenceStatusFunction"]["Properties"]["Environment"]
            ["Variables"]
            .as_object()
            .unwrap();
        for name in ["NAMESPACE", "METRIC_NAME", "PIPELINE"] {
            assert!(!variables.contains_key(name), "{name}");
        }
    }

    #[test]
    fn off_with_dashboard_false() {
        let text =
            "pipelines:\n  - name: presence\n    status: {enabled: true, dashboard: false}\n";
        let model = Model::build(&crate::config::parse(text).unwrap()).unwrap();
        let template = super::super::template(&model).unwrap();
        let resources = template["Resources"].as_object().unwrap();
        assert!(!resources.contains_key("PresenceDashboard"));
        assert!(!resources.contains_key("PresenceOnlineCountFunction"));
        assert_eq!(model.resource_count(), resources.len());
        let bad = "pipelines:\n  - name: presence\n    status: {dashboard: true}\n";
        let problems = Model::build(&crate::config::parse(bad).unwrap()).unwrap_err();
        assert_eq!(problems[0].path, "pipelines[0].status.dashboard");
    }
}
