//! The FROM filter and the topic levels: filters AWS refuses or that miss clients, and `topic(n)` past the
//! filter's last level.

use super::PipelineCheck;
use crate::catalog::Id;
use crate::events::{Family, RESERVED_EVENTS_PREFIX};
use crate::sql::{self, ExprKind, Statement, TopicFilterProblem};

impl PipelineCheck<'_> {
    pub(super) fn topic_filter(&mut self, stmt: &Statement) {
        let Some(from) = &stmt.from else { return };
        let span = from.span;
        for problem in sql::topic_filter_problems(&from.filter) {
            let id =
                if problem.is_warning() || matches!(problem, TopicFilterProblem::TooLong { .. }) {
                    Id::TopicFilterLimit
                } else {
                    Id::TopicFilter
                };
            let hint = match problem {
                TopicFilterProblem::MultiLevelWildcardNotLast { .. }
                | TopicFilterProblem::MultiLevelWildcardNotAlone { .. } => Some(format!(
                    "`#` stands alone as the last level, e.g. '{}/#'",
                    Family::Presence.topic_prefix()
                )),
                TopicFilterProblem::SingleLevelWildcardNotAlone { .. } => Some(format!(
                    "`+` stands alone in its level, e.g. '{}/+/#'",
                    Family::Presence.topic_prefix()
                )),
                _ => None,
            };
            self.at_span(
                id,
                span,
                format!("in the FROM filter '{}': {problem}", from.filter),
                hint,
            );
        }
        // A `+` as the last level stops at the first `/` of a client ID.
        let filter = &from.filter;
        if filter.starts_with(RESERVED_EVENTS_PREFIX) && filter.ends_with("/+") {
            self.at_span(
                Id::PlusLastLevel,
                span,
                format!("the FROM filter '{filter}' ends in `+`, which misses every client whose ID contains `/` (it adds topic levels)"),
                Some(format!("end the filter in `#`: '{}#'", &filter[..filter.len() - 1])),
            );
        }
    }

    /// `topic(n)` past the filter's last level is always Undefined: the attribute it feeds silently vanishes.
    pub(super) fn topic_levels(&mut self, stmt: &Statement) {
        let Some(filter) = stmt.topic_filter() else {
            return;
        };
        let levels = sql::topic_filter_levels(filter);
        let open_ended = filter.ends_with('#');
        for (call, span) in stmt.calls() {
            if !call.is("topic") || call.args.len() != 1 {
                continue;
            }
            let n = match &call.args[0].kind {
                ExprKind::Number(text) => text.parse::<i64>().ok(),
                _ => None,
            };
            let Some(n) = n else { continue };
            if n < 1 {
                self.at_span(
                    Id::TopicLevel,
                    span,
                    format!("topic({n}) is always Undefined: topic levels count from 1"),
                    Some(
                        "use topic(1) for the first level, topic() for the whole topic".to_owned(),
                    ),
                );
            } else if !open_ended && n as usize > levels {
                self.at_span(
                    Id::TopicLevel,
                    span,
                    format!("topic({n}) is past the last level of '{filter}' ({levels} levels): it is always Undefined and the attribute it feeds never arrives"),
                    Some(format!("use topic(1) to topic({levels})")),
                );
            }
        }
    }
}
