//! The status table of a pipeline (`status.enabled`): what its function needs from the pipeline's rule.

use super::*;

/// The status function of a pipeline: it reads the fields where the pipeline's rule puts them, so the rule must
/// keep connected and disconnected events and write every field the ordering rule compares.
pub(super) fn resolve_status(
    i: usize,
    pipeline: &Pipeline,
    config: &crate::config::StatusConfig,
    problems: &mut Vec<Problem>,
) -> Option<StatusFunction> {
    let at = |field: &str| format!("pipelines[{i}].status.{field}");
    let before = problems.len();
    let fields = match Fields::of(i, pipeline) {
        Ok(f) => Some(f),
        Err(e) => {
            problems.push(Problem::new(
                Id::Status,
                format!("pipelines[{i}].status"),
                format!("the status table cannot be kept from this pipeline's items: {e}"),
            ));
            None
        }
    };
    let reserved_concurrency = config.reserved_concurrency;
    if let Some(r) = reserved_concurrency.filter(|r| !(1..=1000).contains(r)) {
        let path = at("reserved_concurrency");
        problems.push(Problem::new(
            Id::WrongValue,
            &path,
            crate::config::out_of_range(&path, r),
        ));
    }
    let log_retention_days = config.log_retention_days.unwrap_or(DEFAULT_STATUS_LOG_DAYS);
    if !LOG_RETENTION_DAYS.contains(&log_retention_days) {
        let path = at("log_retention_days");
        problems.push(Problem::new(
            Id::WrongValue,
            &path,
            crate::config::out_of_range(&path, log_retention_days),
        ));
    }
    // Notifications (issue 22): any problem with them is counted below.
    let notifications = super::notifications::resolve_notifications(
        i,
        &pipeline.name,
        &config.notifications,
        problems,
    );
    let fields = fields?;
    if problems.len() > before {
        return None;
    }
    let prefix = pascal_case(&pipeline.name);
    Some(StatusFunction {
        ids: StatusIds {
            table: format!("{prefix}StatusTable"),
            queue: format!("{prefix}StatusFailureQueue"),
            log: format!("{prefix}StatusLog"),
            role: format!("{prefix}StatusRole"),
            function: format!("{prefix}StatusFunction"),
            mapping: format!("{prefix}StatusMapping"),
            errors_alarm: format!("{prefix}StatusErrorsAlarm"),
            queue_alarm: format!("{prefix}StatusFailureQueueAlarm"),
        },
        index: STATUS_INDEX,
        reserved_concurrency,
        log_retention_days,
        window_ms: DEFAULT_WINDOW_MS,
        fields,
        notifications,
        dashboard: (config.dashboard != Some(false))
            .then(|| super::dashboard::Dashboard::new(&pipeline.name)),
    })
}
