//! The dashboard of a status pipeline (`status.dashboard`, on by default): the CloudWatch dashboard, the small
//! scheduled function that counts the status table's `Online` index every minute and publishes the count as a
//! metric, and the metric filters that count the notifications the functions send.

use serde::Serialize;

use super::pascal_case;

/// The namespace of the stack's own metrics.
pub const METRIC_NAMESPACE: &str = "PresenceStack";
/// The metric of the connected devices, published every minute with a `Pipeline` dimension.
pub const CONNECTED_METRIC: &str = "ConnectedDevices";
/// The metric of the status table's changes of state (a client's first state, connected to disconnected and back),
/// one Embedded Metric Format line of the status function per change, with `Pipeline` and `State` dimensions.
pub const STATE_METRIC: &str = "StateChanges";
/// The metric of the events the notification functions sent, with `Pipeline` and `DetailType` dimensions.
pub const SENT_METRIC: &str = "EventsSent";
/// How often the counting function runs.
pub const COUNT_SCHEDULE: &str = "rate(1 minute)";

/// A pipeline's dashboard and what feeds it.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub ids: DashboardIds,
}

/// The logical IDs of a pipeline's dashboard resources.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardIds {
    pub dashboard: String,
    pub log: String,
    pub role: String,
    pub function: String,
    pub schedule: String,
    pub permission: String,
    /// The metric filters on the notification functions' log groups (only with notifications).
    pub sent_filter: String,
    pub count_sent_filter: String,
}

impl Dashboard {
    pub(super) fn new(pipeline_name: &str) -> Self {
        let prefix = pascal_case(pipeline_name);
        let id = |suffix: &str| format!("{prefix}{suffix}");
        Dashboard {
            ids: DashboardIds {
                dashboard: id("Dashboard"),
                log: id("OnlineCountLog"),
                role: id("OnlineCountRole"),
                function: id("OnlineCountFunction"),
                schedule: id("OnlineCountSchedule"),
                permission: id("OnlineCountPermission"),
                sent_filter: id("NotifySentMetricFilter"),
                count_sent_filter: id("NotifyCountSentMetricFilter"),
            },
        }
    }

    /// The dashboard's resources, in the template's order: the counting function's log group, role and function,
    /// its schedule and the schedule's permission to invoke it, the metric filters with notifications, and the
    /// dashboard.
    pub fn resource_ids(&self, notifications: bool) -> Vec<&str> {
        let ids = &self.ids;
        let mut out = vec![
            ids.log.as_str(),
            &ids.role,
            &ids.function,
            &ids.schedule,
            &ids.permission,
        ];
        if notifications {
            out.extend([ids.sent_filter.as_str(), &ids.count_sent_filter]);
        }
        out.push(&ids.dashboard);
        out
    }

    /// The dashboard's console URL.
    pub fn output_names(&self) -> Vec<String> {
        vec![format!("{}Url", self.ids.dashboard)]
    }
}
