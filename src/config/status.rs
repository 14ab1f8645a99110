//! `pipelines[].status`: the opt-in status table, kept from the event table's stream by a function, and the
//! notifications sent from it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A table with one item per client (its current state, right whatever order the events arrived in) and an index
/// of the connected clients only, kept from the event table's stream by a Lambda function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusConfig {
    /// True adds the status table, its index, the stream, the function and its failure queue (default false).
    #[serde(default)]
    pub enabled: bool,
    /// How many instances of each function of the pipeline (the status function and the notification function)
    /// may run at once, 1-1000. Not set by default: reserving concurrency takes it from the account's unreserved
    /// pool, which must keep 100, and a new account may have no more than that.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub reserved_concurrency: Option<u64>,
    /// How many days the functions' log groups keep their logs: a value CloudWatch Logs accepts (default 30).
    #[serde(default)]
    pub log_retention_days: Option<u64>,
    /// Events on EventBridge when a device connects, disconnects, stays offline, comes back, flaps or fights
    /// over its client ID (on by default with the status table).
    #[serde(default, skip_serializing_if = "NotificationsConfig::is_default")]
    pub notifications: NotificationsConfig,
}

impl StatusConfig {
    /// Nothing set: the field is left out when a config is written back.
    pub fn is_default(&self) -> bool {
        *self == StatusConfig::default()
    }
}

/// `pipelines[].status.notifications`: what the stack tells, and whom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    /// False sends no notifications and leaves out their function, queues and table (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// How long a device must stay disconnected before `Device Offline`, in seconds, 60-86400 (default 300).
    #[serde(default)]
    #[schemars(range(min = 60, max = 86400))]
    pub offline_after_seconds: Option<u64>,
    /// `Device Flapping`: this many disconnects of one device within a window (default 5 in 600 seconds).
    #[serde(default)]
    pub flapping: Option<FlappingConfig>,
    /// `Client ID Conflict`: this many takeovers (`DUPLICATE_CLIENTID` disconnects) within a window (default 3 in
    /// 300 seconds).
    #[serde(default)]
    pub client_id_conflict: Option<ConflictConfig>,
    /// The EventBridge bus the events go to, by name (default: the account's `default` bus).
    #[serde(default)]
    #[schemars(length(min = 1, max = 256))]
    pub event_bus_name: Option<String>,
    /// An address to mail Offline, Online, Flapping and Conflict events to, through an SNS topic of the stack.
    #[serde(default)]
    pub email: Option<String>,
    /// An existing SNS topic to send Offline, Online, Flapping and Conflict events to, instead of `email`.
    #[serde(default)]
    pub topic_arn: Option<String>,
}

impl NotificationsConfig {
    /// Nothing set: the field is left out when a config is written back.
    pub fn is_default(&self) -> bool {
        *self == NotificationsConfig::default()
    }
}

/// `flapping`: how many disconnects within how many seconds make a device flap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlappingConfig {
    /// Disconnects within the window, 2-1000 (default 5).
    #[serde(default)]
    #[schemars(range(min = 2, max = 1000))]
    pub disconnects: Option<u64>,
    /// The window, in seconds, 60-86400 (default 600).
    #[serde(default)]
    #[schemars(range(min = 60, max = 86400))]
    pub within_seconds: Option<u64>,
}

/// `client_id_conflict`: how many takeovers within how many seconds make a conflict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictConfig {
    /// Distinct `DUPLICATE_CLIENTID` disconnects within the window, 2-1000 (default 3).
    #[serde(default)]
    #[schemars(range(min = 2, max = 1000))]
    pub takeovers: Option<u64>,
    /// The window, in seconds, 60-86400 (default 300).
    #[serde(default)]
    #[schemars(range(min = 60, max = 86400))]
    pub within_seconds: Option<u64>,
}
