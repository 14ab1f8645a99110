//! Application Auto Scaling of a provisioned table.

use super::*;

/// Application Auto Scaling: on by default for a provisioned table, between its capacities and ten times them.
pub(super) fn resolve_scaling(
    path: &str,
    config: Option<&AutoscalingConfig>,
    capacity: Option<Capacity>,
    problems: &mut Vec<Problem>,
) -> Option<Scaling> {
    let Some(capacity) = capacity else {
        if config.is_some() {
            problems.push(Problem::new(
                Id::Autoscaling,
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
                Id::Autoscaling,
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
        let path = format!("{path}.target_utilization");
        problems.push(Problem::new(
            Id::WrongValue,
            &path,
            crate::config::out_of_range(&path, target_utilization),
        ));
    }
    Some(Scaling {
        read,
        write,
        target_utilization,
    })
}
