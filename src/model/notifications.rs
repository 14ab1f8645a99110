//! The notifications of a status pipeline (`status.notifications`): what the notification function is told to
//! watch for, where it sends its events, and the logical IDs of its resources.

use serde::Serialize;

use super::alarms::{is_email, is_sns_topic_arn};
use super::{Model, Problem, pascal_case};
use crate::catalog::Id;
use crate::config::NotificationsConfig;

/// `offline_after_seconds` unless the config says otherwise.
pub const DEFAULT_OFFLINE_AFTER_SECONDS: u64 = 300;
/// `flapping` unless the config says otherwise: 5 disconnects within 600 seconds.
pub const DEFAULT_FLAPPING: Window = Window {
    count: 5,
    within_seconds: 600,
};
/// `client_id_conflict` unless the config says otherwise: 3 takeovers within 300 seconds.
pub const DEFAULT_CONFLICT: Window = Window {
    count: 3,
    within_seconds: 300,
};
/// What `offline_after_seconds` and the windows may be: a minute to a day.
pub const SECONDS_RANGE: std::ops::RangeInclusive<u64> = 60..=86_400;
/// What `disconnects` and `takeovers` may be.
pub const COUNT_RANGE: std::ops::RangeInclusive<u64> = 2..=1000;
/// The EventBridge `Source` of every event the stack sends.
pub const EVENT_SOURCE: &str = "presence-stack";
/// The stack's one key for the notification topics, when a pipeline mails its notifications.
pub const NOTIFY_TOPIC_KEY: &str = "NotifyTopicKey";

/// The events the notification function sends, by `DetailType`, and whether the fan-out rule forwards them to SNS
/// (connects and disconnects are too many to mail).
pub const DETAIL_TYPES: [(&str, bool); 6] = [
    ("Device Connected", false),
    ("Device Disconnected", false),
    ("Device Offline", true),
    ("Device Online", true),
    ("Device Flapping", true),
    ("Client ID Conflict", true),
];

/// A pipeline's notifications.
#[derive(Debug, Clone, Serialize)]
pub struct Notifications {
    pub ids: NotifyIds,
    pub offline_after_seconds: u64,
    pub flapping: Window,
    pub conflict: Window,
    /// `None`: the account's default bus.
    pub event_bus_name: Option<String>,
    /// Where Offline, Online, Flapping and Conflict go beyond the bus.
    pub fan_out: Option<FanOut>,
}

/// So many events of one client within a window of so many seconds (windows start at multiples of the window
/// since the epoch, so that every copy of the function counts an event into the same one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub count: u64,
    pub within_seconds: u64,
}

/// The SNS side of a pipeline's notifications.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FanOut {
    /// A topic of the stack with this address subscribed.
    Email { email: String },
    /// An existing topic, by ARN: its policy must let EventBridge publish.
    Existing { arn: String },
}

/// The logical IDs of a pipeline's notification resources: the notification function (status stream and check
/// queue) and the counting function (event stream and count table), their queues, alarms and fan-out.
#[derive(Debug, Clone, Serialize)]
pub struct NotifyIds {
    pub check_queue: String,
    pub failure_queue: String,
    pub log: String,
    pub role: String,
    pub function: String,
    pub status_mapping: String,
    pub check_mapping: String,
    pub count_table: String,
    pub count_log: String,
    pub count_role: String,
    pub count_function: String,
    pub count_mapping: String,
    pub errors_alarm: String,
    pub count_errors_alarm: String,
    pub failure_queue_alarm: String,
    pub rule: String,
    pub topic: String,
    pub topic_policy: String,
    pub subscription: String,
}

impl Notifications {
    /// The notification resources of a pipeline, in the template's order (the stack's topic key is the model's).
    pub fn resource_ids(&self, alarms: bool) -> Vec<&str> {
        let ids = &self.ids;
        let mut out = vec![
            ids.count_table.as_str(),
            &ids.failure_queue,
            &ids.check_queue,
            &ids.log,
            &ids.count_log,
            &ids.role,
            &ids.count_role,
            &ids.function,
            &ids.count_function,
            &ids.status_mapping,
            &ids.check_mapping,
            &ids.count_mapping,
        ];
        match self.fan_out {
            None => {}
            Some(FanOut::Existing { .. }) => out.push(&ids.rule),
            Some(FanOut::Email { .. }) => {
                out.extend([
                    ids.rule.as_str(),
                    &ids.topic,
                    &ids.topic_policy,
                    &ids.subscription,
                ]);
            }
        }
        if alarms {
            out.extend([
                ids.errors_alarm.as_str(),
                &ids.count_errors_alarm,
                &ids.failure_queue_alarm,
            ]);
        }
        out
    }
}

impl Model {
    /// The key of the stack's notification topics, when a pipeline mails its notifications.
    pub fn notify_topic_key(&self) -> Option<&'static str> {
        self.pipelines
            .iter()
            .filter_map(|p| p.status.as_ref()?.notifications.as_ref())
            .any(|n| matches!(n.fan_out, Some(FanOut::Email { .. })))
            .then_some(NOTIFY_TOPIC_KEY)
    }
}

/// `pipelines[i].status.notifications`, resolved: `None` when they are off or wrong (the problems say why).
pub(super) fn resolve_notifications(
    i: usize,
    pipeline_name: &str,
    config: &NotificationsConfig,
    problems: &mut Vec<Problem>,
) -> Option<Notifications> {
    let at = |field: &str| format!("pipelines[{i}].status.notifications.{field}");
    if config.enabled == Some(false) {
        let set = [
            (
                "offline_after_seconds",
                config.offline_after_seconds.is_some(),
            ),
            ("flapping", config.flapping.is_some()),
            ("client_id_conflict", config.client_id_conflict.is_some()),
            ("event_bus_name", config.event_bus_name.is_some()),
            ("email", config.email.is_some()),
            ("topic_arn", config.topic_arn.is_some()),
        ];
        for (field, _) in set.iter().filter(|(_, set)| *set) {
            problems.push(Problem::new(
                Id::Notifications,
                at(field),
                "notifications are off (`enabled: false`); remove it or set `enabled: true`",
            ));
        }
        return None;
    }
    let before = problems.len();
    let mut bounded = |field: &str, value: Option<u64>, default: u64, seconds: bool| {
        let value = value.unwrap_or(default);
        let (range, what) = if seconds {
            (SECONDS_RANGE, "seconds from 60 to 86,400")
        } else if field.starts_with("flapping") {
            (COUNT_RANGE, "disconnects from 2 to 1,000")
        } else {
            (COUNT_RANGE, "takeovers from 2 to 1,000")
        };
        if !range.contains(&value) {
            // Said as the parser says a number it cannot take, with the bounds of `expected.rs`.
            let path = at(field);
            let message = match crate::config::expected_text(&path) {
                Some(_) => crate::config::out_of_range(&path, value),
                None => format!("is `{value}`; write a whole number of {what}"),
            };
            problems.push(Problem::new(Id::WrongValue, &path, message));
        }
        value
    };
    let offline_after_seconds = bounded(
        "offline_after_seconds",
        config.offline_after_seconds,
        DEFAULT_OFFLINE_AFTER_SECONDS,
        true,
    );
    let flapping = config.flapping.clone().unwrap_or_default();
    let flapping = Window {
        count: bounded(
            "flapping.disconnects",
            flapping.disconnects,
            DEFAULT_FLAPPING.count,
            false,
        ),
        within_seconds: bounded(
            "flapping.within_seconds",
            flapping.within_seconds,
            DEFAULT_FLAPPING.within_seconds,
            true,
        ),
    };
    let conflict = config.client_id_conflict.clone().unwrap_or_default();
    let conflict = Window {
        count: bounded(
            "client_id_conflict.takeovers",
            conflict.takeovers,
            DEFAULT_CONFLICT.count,
            false,
        ),
        within_seconds: bounded(
            "client_id_conflict.within_seconds",
            conflict.within_seconds,
            DEFAULT_CONFLICT.within_seconds,
            true,
        ),
    };
    if let Some(bus) = &config.event_bus_name {
        let valid = (1..=256).contains(&bus.len())
            && bus
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
        if !valid {
            problems.push(Problem::new(
                Id::Notifications,
                at("event_bus_name"),
                format!(
                    "`{bus}` is not an event bus name; write 1 to 256 letters, digits and `. - _ /` (the name, not the ARN)"
                ),
            ));
        }
    }
    let fan_out = match (&config.email, &config.topic_arn) {
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                Id::Notifications,
                at("email"),
                "subscribes an address to a topic of the stack, but `topic_arn` names an existing one: subscribe the address to that topic instead, or remove `topic_arn`",
            ));
            None
        }
        (Some(email), None) => {
            if !is_email(email) {
                problems.push(Problem::new(
                    Id::Notifications,
                    at("email"),
                    format!("`{email}` is not an email address; write one like `ops@example.com`"),
                ));
            }
            Some(FanOut::Email {
                email: email.clone(),
            })
        }
        (None, Some(arn)) => {
            if !is_sns_topic_arn(arn) {
                problems.push(Problem::new(
                Id::Notifications,
                    at("topic_arn"),
                    format!("`{arn}` is not an SNS topic ARN; write `arn:aws:sns:<region>:<account id>:<topic name>`"),
                ));
            }
            Some(FanOut::Existing { arn: arn.clone() })
        }
        (None, None) => None,
    };
    if problems.len() > before {
        return None;
    }
    let prefix = format!("{}Notify", pascal_case(pipeline_name));
    let id = |suffix: &str| format!("{prefix}{suffix}");
    Some(Notifications {
        ids: NotifyIds {
            check_queue: id("CheckQueue"),
            failure_queue: id("FailureQueue"),
            log: id("Log"),
            role: id("Role"),
            function: id("Function"),
            status_mapping: id("StatusMapping"),
            check_mapping: id("CheckMapping"),
            count_table: id("CountTable"),
            count_log: id("CountLog"),
            count_role: id("CountRole"),
            count_function: id("CountFunction"),
            count_mapping: id("CountMapping"),
            errors_alarm: id("ErrorsAlarm"),
            count_errors_alarm: id("CountErrorsAlarm"),
            failure_queue_alarm: id("FailureQueueAlarm"),
            rule: id("Rule"),
            topic: id("Topic"),
            topic_policy: id("TopicPolicy"),
            subscription: id("EmailSubscription"),
        },
        offline_after_seconds,
        flapping,
        conflict,
        event_bus_name: config.event_bus_name.clone(),
        fan_out,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::Model;

    fn build(status: &str) -> Result<Model, Vec<crate::model::Problem>> {
        let text = format!("pipelines:\n  - name: presence\n    status: {status}\n");
        Model::build(&crate::config::parse(&text).expect("config parses"))
    }

    #[test]
    fn on_by_default_with_the_status_table() {
        let m = build("{enabled: true}").unwrap();
        let n = m.pipelines[0]
            .status
            .as_ref()
            .unwrap()
            .notifications
            .as_ref()
            .unwrap();
        assert_eq!(n.offline_after_seconds, 300);
        assert_eq!((n.flapping.count, n.flapping.within_seconds), (5, 600));
        assert_eq!((n.conflict.count, n.conflict.within_seconds), (3, 300));
        assert!(n.fan_out.is_none() && m.notify_topic_key().is_none());
        let off = build("{enabled: true, notifications: {enabled: false}}").unwrap();
        assert!(
            off.pipelines[0]
                .status
                .as_ref()
                .unwrap()
                .notifications
                .is_none()
        );
    }

    #[test]
    fn bounds_and_conflicts_name_the_field() {
        let problems = build(
            "{enabled: true, notifications: {offline_after_seconds: 59, flapping: {disconnects: 1}, \
             event_bus_name: 'a b', email: x@example.com, topic_arn: 'arn:aws:sns:eu-west-1:123456789012:t'}}",
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "pipelines[0].status.notifications.offline_after_seconds",
                "pipelines[0].status.notifications.flapping.disconnects",
                "pipelines[0].status.notifications.event_bus_name",
                "pipelines[0].status.notifications.email",
            ]
        );
        let off = build("{enabled: true, notifications: {enabled: false, email: x@example.com}}")
            .unwrap_err();
        assert_eq!(off[0].path, "pipelines[0].status.notifications.email");
    }

    #[test]
    fn a_mailed_pipeline_adds_the_stacks_topic_key_once() {
        let m = build("{enabled: true, notifications: {email: ops@example.com}}").unwrap();
        assert_eq!(m.notify_topic_key(), Some(super::NOTIFY_TOPIC_KEY));
        // Event table, role, rule, error log, 2 alarms; status: 6 + 2 alarms; notifications 12 + 3 alarms + rule,
        // topic, policy, subscription; the dashboard, its counting function's 5 and 2 metric filters; the alarm
        // topic's 3 and the notification topic's key.
        assert_eq!(m.resource_count(), 6 + 8 + 19 + 8 + 3 + 1);
    }
}
