//! `pipelines[].status`: the opt-in status table, kept from the event table's stream by a function.

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
    /// How many instances of the function may run at once, 1-1000 (default 10). Taken from the account's
    /// unreserved concurrency.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub reserved_concurrency: Option<u64>,
    /// How many days the function's log group keeps its logs: a value CloudWatch Logs accepts (default 30).
    #[serde(default)]
    pub log_retention_days: Option<u64>,
}

impl StatusConfig {
    /// Nothing set: the field is left out when a config is written back.
    pub fn is_default(&self) -> bool {
        *self == StatusConfig::default()
    }
}
