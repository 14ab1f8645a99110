//! What each field of the config takes, in the words of the config file rather than of the Rust types it is
//! read into: "`true` or `false`", not "a boolean"; "a whole number of days from 1 to 36,500", not "u64". The
//! reader of a parse error gets this text after what they wrote. A test walks every field of the config's JSON
//! Schema and fails when one is missing here, or when the bounds written here differ from the schema's.

/// What to write for `true` or `false` fields.
const BOOLEAN: &str = "`true` or `false`";

/// The retention periods CloudWatch Logs accepts (a test compares them with `model::LOG_RETENTION_DAYS`).
const RETENTION: &str = "a whole number of days CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, \
     365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653";

/// A key of the table, as a mapping.
const KEY: &str = "a mapping with `name` and `type`, and `expression` for a computed key (e.g. `{name: clientId, \
     type: S}`)";

/// The warnings a config does not want reported, in `stack` and in each pipeline.
const IGNORES: &str = "a list of ignores, each a mapping with `id` and `reason` (e.g. `[{id: PS305, reason: we \
     deploy with --s3-bucket}]`)";
const IGNORE: &str =
    "a mapping with `id` (a warning's id, e.g. `PS305`) and `reason` (why it does not apply)";
const IGNORE_ID: &str =
    "the id of a warning, `PS` and three digits, as listed in docs/checks.md (e.g. `PS305`)";
const IGNORE_REASON: &str = "text that says why the warning does not apply here";

/// Every field by its path, with `[]` for any item of a list and `*` for any key of a free mapping; the root
/// is the empty path.
const FIELDS: &[(&str, &str)] = &[
    (
        "",
        "a mapping with `pipelines` and, if needed, `stack`; the smallest config is `pipelines: [{name: presence}]`",
    ),
    (
        "stack",
        "a mapping with any of `name`, `description`, `tags`, `outputs`, `alarms` and `ignore`",
    ),
    (
        "stack.name",
        "a stack name of letters, digits and `-`, starting with a letter, at most 128 characters (e.g. \
         `device-presence`)",
    ),
    ("stack.ignore", IGNORES),
    ("stack.ignore[]", IGNORE),
    ("stack.ignore[].id", IGNORE_ID),
    ("stack.ignore[].reason", IGNORE_REASON),
    ("stack.description", "text of at most 1,024 bytes"),
    (
        "stack.tags",
        "a mapping of tag keys to text values (e.g. `{owner: platform-team}`)",
    ),
    (
        "stack.tags.*",
        "text of up to 256 letters, digits, spaces and `_ . : / = + - @`",
    ),
    ("stack.outputs", BOOLEAN),
    (
        "stack.alarms",
        "a mapping with any of `enabled`, `email` and `topic_arn`",
    ),
    ("stack.alarms.enabled", BOOLEAN),
    (
        "stack.alarms.email",
        "an email address, like `ops@example.com`",
    ),
    (
        "stack.alarms.topic_arn",
        "the ARN of an SNS topic, `arn:aws:sns:<region>:<account>:<name>`",
    ),
    (
        "pipelines",
        "a list of pipelines, each a mapping with at least `name` (e.g. `pipelines: [{name: presence}]`)",
    ),
    (
        "pipelines[]",
        "a mapping with at least `name` and any of `events`, `sql`, `rule`, `table`, `error_action`, `status` and \
         `ignore`",
    ),
    ("pipelines[].ignore", IGNORES),
    ("pipelines[].ignore[]", IGNORE),
    ("pipelines[].ignore[].id", IGNORE_ID),
    ("pipelines[].ignore[].reason", IGNORE_REASON),
    (
        "pipelines[].name",
        "a name of lowercase letters, digits and `_`, starting with a letter, at most 64 characters (e.g. `device_presence`)",
    ),
    (
        "pipelines[].events",
        "a list of event kinds out of `connected`, `disconnected`, `connect_failed`, `subscribed` and `unsubscribed` \
         (e.g. `[connected, disconnected]`)",
    ),
    (
        "pipelines[].events[]",
        "one of `connected`, `disconnected`, `connect_failed`, `subscribed` and `unsubscribed`",
    ),
    (
        "pipelines[].sql",
        "the whole rule SQL as text (e.g. `SELECT * FROM '$aws/events/presence/#'`)",
    ),
    (
        "pipelines[].rule",
        "a mapping with any of `name`, `description`, `enabled` and `sql_version`",
    ),
    (
        "pipelines[].rule.name",
        "a rule name of 1 to 128 letters, digits and `_`",
    ),
    ("pipelines[].rule.description", "text"),
    ("pipelines[].rule.enabled", BOOLEAN),
    (
        "pipelines[].rule.sql_version",
        "one of `2015-10-08`, `2016-03-23` and `beta`",
    ),
    (
        "pipelines[].table",
        "a mapping with any of `name`, `partition_key`, `sort_key`, `billing`, `read_capacity`, `write_capacity`, \
         `autoscaling`, `ttl_days`, `point_in_time_recovery`, `deletion_protection`, `retain` and `encryption`",
    ),
    (
        "pipelines[].table.name",
        "a table name of 3 to 255 letters, digits and `_ . -`",
    ),
    ("pipelines[].table.partition_key", KEY),
    (
        "pipelines[].table.sort_key",
        "a mapping with `name` and `type`, and `expression` for a computed key (e.g. `{name: timestamp, type: N}`), \
         or `null` for a table keyed by the partition key alone",
    ),
    (
        "pipelines[].table.*.name",
        "an attribute name of 1 to 255 bytes (e.g. `clientId`)",
    ),
    (
        "pipelines[].table.*.type",
        "`S` (a string) or `N` (a number)",
    ),
    (
        "pipelines[].table.*.expression",
        "an IoT SQL expression as text (e.g. `concat(timestamp, '#', eventType)`)",
    ),
    ("pipelines[].table.billing", "`on_demand` or `provisioned`"),
    (
        "pipelines[].table.read_capacity",
        "a whole number of capacity units from 1 to 40,000",
    ),
    (
        "pipelines[].table.write_capacity",
        "a whole number of capacity units from 1 to 40,000",
    ),
    (
        "pipelines[].table.autoscaling",
        "a mapping with any of `enabled`, `max_read_capacity`, `max_write_capacity` and `target_utilization`",
    ),
    ("pipelines[].table.autoscaling.enabled", BOOLEAN),
    (
        "pipelines[].table.autoscaling.max_read_capacity",
        "a whole number of capacity units from 1 to 40,000",
    ),
    (
        "pipelines[].table.autoscaling.max_write_capacity",
        "a whole number of capacity units from 1 to 40,000",
    ),
    (
        "pipelines[].table.autoscaling.target_utilization",
        "a whole number of percent from 20 to 90",
    ),
    (
        "pipelines[].table.ttl_days",
        "a whole number of days from 1 to 36,500",
    ),
    ("pipelines[].table.point_in_time_recovery", BOOLEAN),
    ("pipelines[].table.deletion_protection", BOOLEAN),
    ("pipelines[].table.retain", BOOLEAN),
    (
        "pipelines[].table.encryption",
        "`aws_owned`, `aws_managed` or `customer_managed`",
    ),
    (
        "pipelines[].error_action",
        "a mapping with `kind`, and `retention_days` for `cloudwatch_logs` (e.g. `{kind: sqs}`)",
    ),
    (
        "pipelines[].error_action.kind",
        "`cloudwatch_logs`, `sqs` or `none`",
    ),
    ("pipelines[].error_action.retention_days", RETENTION),
    (
        "pipelines[].status",
        "a mapping with any of `enabled`, `reserved_concurrency`, `log_retention_days`, `notifications` and `dashboard`",
    ),
    ("pipelines[].status.enabled", BOOLEAN),
    (
        "pipelines[].status.reserved_concurrency",
        "a whole number of function instances from 1 to 1,000",
    ),
    ("pipelines[].status.log_retention_days", RETENTION),
    ("pipelines[].status.dashboard", BOOLEAN),
    (
        "pipelines[].status.notifications",
        "a mapping with any of `enabled`, `offline_after_seconds`, `flapping`, `client_id_conflict`, \
         `event_bus_name`, `email` and `topic_arn`",
    ),
    ("pipelines[].status.notifications.enabled", BOOLEAN),
    (
        "pipelines[].status.notifications.offline_after_seconds",
        "a whole number of seconds from 60 to 86,400",
    ),
    (
        "pipelines[].status.notifications.flapping",
        "a mapping with any of `disconnects` and `within_seconds` (e.g. `{disconnects: 5, within_seconds: 600}`)",
    ),
    (
        "pipelines[].status.notifications.flapping.disconnects",
        "a whole number of disconnects from 2 to 1,000",
    ),
    (
        "pipelines[].status.notifications.flapping.within_seconds",
        "a whole number of seconds from 60 to 86,400",
    ),
    (
        "pipelines[].status.notifications.client_id_conflict",
        "a mapping with any of `takeovers` and `within_seconds` (e.g. `{takeovers: 3, within_seconds: 300}`)",
    ),
    (
        "pipelines[].status.notifications.client_id_conflict.takeovers",
        "a whole number of takeovers from 2 to 1,000",
    ),
    (
        "pipelines[].status.notifications.client_id_conflict.within_seconds",
        "a whole number of seconds from 60 to 86,400",
    ),
    (
        "pipelines[].status.notifications.event_bus_name",
        "the name of an EventBridge event bus: 1 to 256 letters, digits and `. - _ /` (e.g. `presence`)",
    ),
    (
        "pipelines[].status.notifications.email",
        "an email address, like `ops@example.com`",
    ),
    (
        "pipelines[].status.notifications.topic_arn",
        "the ARN of an SNS topic, `arn:aws:sns:<region>:<account>:<name>`",
    ),
];

/// What the field at a dotted path (`pipelines[2].table.sort_key.type`) takes, if the path names a field.
pub(super) fn expected(path: &str) -> Option<&'static str> {
    let pattern = pattern(path);
    FIELDS
        .iter()
        .find(|(p, _)| *p == pattern)
        .map(|(_, text)| *text)
}

/// A path as the table spells it: list indices dropped (`[2]` to `[]`), a tag's key as `*`, and the two keys of
/// a table as `*`, since they take the same fields.
pub(super) fn pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' {
            while chars.next_if(|c| c.is_ascii_digit()).is_some() {}
        }
    }
    if out.starts_with("stack.tags.") {
        return "stack.tags.*".to_owned();
    }
    for key in ["partition_key", "sort_key"] {
        let prefix = format!("pipelines[].table.{key}.");
        if let Some(field) = out.strip_prefix(&prefix) {
            return format!("pipelines[].table.*.{field}");
        }
    }
    out
}

#[cfg(test)]
pub(super) fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    FIELDS.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_matched_whatever_their_indices_and_keys() {
        assert_eq!(expected("pipelines[12].rule.enabled"), Some(BOOLEAN));
        assert_eq!(
            expected("pipelines[0].table.sort_key.type"),
            expected("pipelines[3].table.partition_key.type")
        );
        assert!(expected("stack.tags.cost.center").is_some());
        assert!(expected("").is_some_and(|t| t.contains("`pipelines`")));
        assert_eq!(expected("pipelines[0].nothing"), None);
    }

    #[test]
    fn the_retention_periods_are_those_of_the_model() {
        let listed: Vec<u64> = RETENTION
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        assert_eq!(listed, crate::model::LOG_RETENTION_DAYS);
    }

    #[test]
    fn the_event_kinds_are_those_of_the_catalog() {
        for path in ["pipelines[0].events", "pipelines[0].events[0]"] {
            let text = expected(path).unwrap();
            for kind in crate::events::EventKind::ALL {
                assert!(text.contains(&format!("`{}`", kind.as_str())), "{path}");
            }
        }
    }
}
