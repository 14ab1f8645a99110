//! One pipeline of the config resolved: its events or SQL, rule, table, keys, capacity, time to live and error
//! action, and the rule SQL generated for its event kinds.

use super::*;

/// Resolves one pipeline section by section; `None` when any section has a problem (every problem is reported).
pub(super) fn resolve_pipeline(
    i: usize,
    p: &crate::config::PipelineConfig,
    rules: &mut Rules,
    problems: &mut Vec<Problem>,
) -> Option<Pipeline> {
    let at = |field: &str| format!("pipelines[{i}].{field}");
    let before = problems.len();
    resolve_name(&at, p, problems);
    let events = resolve_source(&at, p, problems);
    let rule = &p.rule;
    check_rule(&at, rule, problems);
    let t = &p.table;
    let (partition_key, sort_key) = resolve_keys(&at, p, &events, problems);
    let capacity = resolve_capacity(&at, t, problems);
    let scaling = resolve_scaling(
        &at("table.autoscaling"),
        t.autoscaling.as_ref(),
        capacity,
        problems,
    );
    let ttl = resolve_ttl(&at, t, &partition_key, sort_key.as_ref(), problems);
    let error = resolve_error_action(&at, &p.error_action, problems);

    if problems.len() > before {
        return None;
    }
    let prefix = pascal_case(&p.name);
    let (sql, compiled) = rules.get(
        p.sql.as_deref(),
        &events,
        ttl.as_ref(),
        &partition_key,
        sort_key.as_ref(),
    );
    let mut pipeline = Pipeline {
        name: p.name.clone(),
        ids: LogicalIds {
            table: format!("{prefix}Table"),
            rule: format!("{prefix}Rule"),
            role: format!("{prefix}RuleRole"),
            error_log: format!("{prefix}ErrorLog"),
            error_queue: format!("{prefix}ErrorQueue"),
            rule_failure_alarm: format!("{prefix}RuleFailureAlarm"),
            error_action_failure_alarm: format!("{prefix}ErrorActionFailureAlarm"),
            error_queue_alarm: format!("{prefix}ErrorQueueAlarm"),
            read_scaling: format!("{prefix}TableReadScaling"),
            read_scaling_policy: format!("{prefix}TableReadScalingPolicy"),
            write_scaling: format!("{prefix}TableWriteScaling"),
            write_scaling_policy: format!("{prefix}TableWriteScalingPolicy"),
        },
        events,
        compiled,
        sql,
        custom_sql: p.sql.is_some(),
        rule: Rule {
            name: rule.name.clone(),
            description: rule.description.clone(),
            enabled: rule.enabled,
            sql_version: rule.sql_version.into(),
        },
        table: Table {
            name: t.name.clone(),
            partition_key,
            sort_key,
            billing_mode: t.billing.into(),
            capacity,
            scaling,
            ttl,
            point_in_time_recovery: t.point_in_time_recovery,
            deletion_protection: t.deletion_protection.unwrap_or(t.retain),
            retain: t.retain,
            encryption: t.encryption.into(),
        },
        error,
        status: None,
    };
    if p.status.enabled {
        pipeline.status = Some(resolve_status(i, &pipeline, &p.status, problems)?);
    } else {
        for (field, set) in [
            (
                "reserved_concurrency",
                p.status.reserved_concurrency.is_some(),
            ),
            ("log_retention_days", p.status.log_retention_days.is_some()),
            ("notifications", !p.status.notifications.is_default()),
            ("dashboard", p.status.dashboard.is_some()),
        ] {
            if set {
                problems.push(Problem::new(
                Id::Status,
                    at(&format!("status.{field}")),
                    "only applies with `status.enabled: true`; remove it or enable the status table",
                ));
                return None;
            }
        }
    }
    Some(pipeline)
}

/// Each distinct rule of the config, its SQL and its compiled form, by what it is made from: alike pipelines
/// share one rule, which is generated, printed, parsed and compiled once rather than once per pipeline (the most
/// of a pipeline's cost in the model). Both are a function of these inputs alone.
#[derive(Default)]
pub(super) struct Rules {
    /// Each rule's inputs, its SQL, and its compiled form once a second pipeline has asked for it: kept only
    /// where it is shared, since copying it costs as much as a fifth of building it.
    built: Vec<(RuleInputs, String, Option<CompiledRule>)>,
}

/// What a rule is made from: the config's SQL, or the event kinds, time to live and keys it is generated from.
#[derive(PartialEq)]
struct RuleInputs {
    sql: Option<String>,
    events: Vec<EventKind>,
    ttl: Option<Ttl>,
    partition_key: Key,
    sort_key: Option<Key>,
}

impl Rules {
    /// The rule SQL and its compiled form: the config's SQL, or the rule generated for the event kinds.
    fn get(
        &mut self,
        sql: Option<&str>,
        events: &[EventKind],
        ttl: Option<&Ttl>,
        partition_key: &Key,
        sort_key: Option<&Key>,
    ) -> (String, CompiledRule) {
        let known = self.built.iter_mut().find(|(inputs, ..)| {
            inputs.sql.as_deref() == sql
                && inputs.events == events
                && inputs.ttl.as_ref() == ttl
                && inputs.partition_key == *partition_key
                && inputs.sort_key.as_ref() == sort_key
        });
        if let Some((_, text, kept)) = known {
            let compiled = match kept {
                Some(compiled) => compiled.clone(),
                None => {
                    let (_, compiled) = build_rule(sql, events, ttl, partition_key, sort_key);
                    kept.insert(compiled).clone()
                }
            };
            return (text.clone(), compiled);
        }
        let (text, compiled) = build_rule(sql, events, ttl, partition_key, sort_key);
        let inputs = RuleInputs {
            sql: sql.map(str::to_owned),
            events: events.to_vec(),
            ttl: ttl.cloned(),
            partition_key: partition_key.clone(),
            sort_key: sort_key.cloned(),
        };
        self.built.push((inputs, text.clone(), None));
        (text, compiled)
    }
}

/// The rule SQL and its compiled form, built from its inputs.
fn build_rule(
    sql: Option<&str>,
    events: &[EventKind],
    ttl: Option<&Ttl>,
    partition_key: &Key,
    sort_key: Option<&Key>,
) -> (String, CompiledRule) {
    let (text, written) = match sql {
        Some(sql) => (sql.to_owned(), Vec::new()),
        None => {
            let (rule, written) = generated_rule(events, ttl, partition_key, sort_key);
            (rule.to_string(), written)
        }
    };
    let compiled = CompiledRule::new(&text, written, partition_key, sort_key);
    (text, compiled)
}

/// A dotted config path of this pipeline, from a field's path inside it.
type At<'a> = dyn Fn(&str) -> String + 'a;

/// The pipeline's name: its logical IDs' prefix.
fn resolve_name(at: &At, p: &crate::config::PipelineConfig, problems: &mut Vec<Problem>) {
    if !is_pipeline_name(&p.name) {
        problems.push(Problem::new(
                Id::PipelineName,
            at("name"),
            format!("`{}` is not a pipeline name; use lowercase letters, digits and `_`, starting with a letter (e.g. `device_presence`)", p.name),
        ));
    } else if p.name.len() > 64 {
        problems.push(Problem::new(
            Id::PipelineName,
            at("name"),
            "a pipeline name may have at most 64 characters",
        ));
    }
}

/// The event kinds the generated rule keeps, or none when the config gives its own SQL.
fn resolve_source(
    at: &At,
    p: &crate::config::PipelineConfig,
    problems: &mut Vec<Problem>,
) -> Vec<EventKind> {
    match (&p.events, &p.sql) {
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                Id::EventsAndSql,
                at("events"),
                "`events` and `sql` cannot both be set: `sql` is the whole rule; remove one of them",
            ));
            Vec::new()
        }
        (None, Some(sql)) => {
            if sql.trim().is_empty() {
                problems.push(Problem::new(
                    Id::EmptySql,
                    at("sql"),
                    "is empty; give the whole rule SQL or remove `sql` to get the generated one",
                ));
            }
            check_text(&at("sql"), sql, problems);
            Vec::new()
        }
        (events, None) => {
            let events = events
                .clone()
                .unwrap_or_else(|| vec![EventKind::Connected, EventKind::Disconnected]);
            resolve_events(&at("events"), &events, problems);
            events
        }
    }
}

/// The rule's name and description.
fn check_rule(at: &At, rule: &crate::config::RuleConfig, problems: &mut Vec<Problem>) {
    if let Some(name) = &rule.name
        && !is_rule_name(name)
    {
        problems.push(Problem::new(
            Id::RuleName,
            at("rule.name"),
            format!("`{name}` is not a rule name; use 1 to 128 letters, digits or `_` (no `-`)"),
        ));
    }
    if let Some(d) = &rule.description {
        check_text(&at("rule.description"), d, problems);
    }
}

/// The table's name and keys, the default sort key computed from the kinds the rule keeps.
fn resolve_keys(
    at: &At,
    p: &crate::config::PipelineConfig,
    events: &[EventKind],
    problems: &mut Vec<Problem>,
) -> (Key, Option<Key>) {
    let t = &p.table;
    if let Some(name) = &t.name
        && !is_table_name(name)
    {
        problems.push(Problem::new(
            Id::TableName,
            at("table.name"),
            format!("`{name}` is not a table name; use 3 to 255 letters, digits or `_ . -`"),
        ));
    }
    let partition_key = resolve_key(&at("table.partition_key"), &t.partition_key, problems);
    let mut sort_key = t
        .sort_key
        .as_ref()
        .map(|k| resolve_key(&at("table.sort_key"), k, problems));
    // The default sort key is computed by the generated rule; with `sql`, the rule must select it itself.
    if let Some(k) = &mut sort_key
        && p.sql.is_none()
        && k.name == EVENT_KEY
        && k.ty == KeyType::S
        && k.expression.is_none()
    {
        k.expression = Some(event_key_expression(events));
    }
    if let Some(sk) = &sort_key
        && sk.name == partition_key.name
    {
        problems.push(Problem::new(
            Id::KeyName,
            at("table.sort_key.name"),
            format!(
                "`{}` is already the partition key; pick another attribute or `sort_key: null`",
                sk.name
            ),
        ));
    }

    if p.sql.is_none() {
        for (field, key) in [
            ("partition_key", Some(&t.partition_key)),
            ("sort_key", t.sort_key.as_ref()),
        ] {
            if let Some(key) = key.filter(|k| k.expression.is_some()) {
                check_computed_key_name(&at(&format!("table.{field}.name")), &key.name, problems);
            }
        }
    }
    if p.sql.is_some() {
        for (field, key) in [
            ("partition_key", Some(&t.partition_key)),
            ("sort_key", t.sort_key.as_ref()),
        ] {
            if let Some(expr) = key.and_then(|k| k.expression.as_ref()) {
                problems.push(Problem::new(
                Id::KeyExpression,
                    at(&format!("table.{field}.expression")),
                    format!(
                        "only applies to the generated rule; with `sql`, select it yourself: `SELECT *, {expr} AS {} FROM ...`",
                        key.map_or("", |k| k.name.as_str())
                    ),
                ));
            }
        }
    }
    (partition_key, sort_key)
}

/// Provisioned capacity, or none for on-demand billing.
fn resolve_capacity(
    at: &At,
    t: &crate::config::TableConfig,
    problems: &mut Vec<Problem>,
) -> Option<Capacity> {
    match t.billing {
        config::Billing::OnDemand => {
            for (field, value) in [
                ("read_capacity", t.read_capacity),
                ("write_capacity", t.write_capacity),
            ] {
                if value.is_some() {
                    problems.push(Problem::new(
                Id::Capacity,
                        at(&format!("table.{field}")),
                        "capacities only apply to `billing: provisioned`; remove it or set `billing: provisioned`",
                    ));
                }
            }
            None
        }
        config::Billing::Provisioned => {
            let mut get = |field: &str, value: Option<u64>| match value {
                Some(v @ 1..=40_000) => v,
                Some(v) => {
                    let path = at(&format!("table.{field}"));
                    problems.push(Problem::new(
                        Id::WrongValue,
                        &path,
                        config::out_of_range(&path, v),
                    ));
                    1
                }
                None => {
                    problems.push(Problem::new(
                        Id::Capacity,
                        at(&format!("table.{field}")),
                        "is required with `billing: provisioned` (capacity units, at least 1)",
                    ));
                    1
                }
            };
            Some(Capacity {
                read: get("read_capacity", t.read_capacity),
                write: get("write_capacity", t.write_capacity),
            })
        }
    }
}

/// The time to live, kept in [`TTL_ATTRIBUTE`].
fn resolve_ttl(
    at: &At,
    t: &crate::config::TableConfig,
    partition_key: &Key,
    sort_key: Option<&Key>,
    problems: &mut Vec<Problem>,
) -> Option<Ttl> {
    t.ttl_days.and_then(|days| {
        if !(1..=36_500).contains(&days) {
            problems.push(Problem::new(
                Id::WrongValue,
                at("table.ttl_days"),
                config::out_of_range(&at("table.ttl_days"), days),
            ));
            return None;
        }
        for key in std::iter::once(partition_key).chain(sort_key) {
            if key.name == TTL_ATTRIBUTE {
                problems.push(Problem::new(
                Id::Ttl,
                    at("table.ttl_days"),
                    format!("the time to live is kept in `{TTL_ATTRIBUTE}`, which is also a key of the table; rename the key"),
                ));
            }
        }
        Some(Ttl { attribute: TTL_ATTRIBUTE, days, seconds: days * 86_400 })
    })
}

/// Where failed writes go.
fn resolve_error_action(
    at: &At,
    e: &crate::config::ErrorActionConfig,
    problems: &mut Vec<Problem>,
) -> ErrorTarget {
    match (e.kind, e.retention_days) {
        (ErrorActionKind::CloudwatchLogs, days) => {
            let days = days.unwrap_or(30);
            if !LOG_RETENTION_DAYS.contains(&days) {
                let path = at("error_action.retention_days");
                problems.push(Problem::new(
                    Id::WrongValue,
                    &path,
                    config::out_of_range(&path, days),
                ));
            }
            ErrorTarget::CloudwatchLogs {
                retention_days: days,
            }
        }
        (kind, Some(_)) => {
            let kind = if kind == ErrorActionKind::Sqs {
                "sqs"
            } else {
                "none"
            };
            problems.push(Problem::new(
                Id::Retention,
                at("error_action.retention_days"),
                format!("only applies to `kind: cloudwatch_logs`, not `{kind}`; remove it"),
            ));
            ErrorTarget::None
        }
        (ErrorActionKind::Sqs, None) => ErrorTarget::Sqs,
        (ErrorActionKind::None, None) => ErrorTarget::None,
    }
}

pub(super) fn resolve_events(path: &str, events: &[EventKind], problems: &mut Vec<Problem>) {
    if events.is_empty() {
        problems.push(Problem::new(
                Id::EventKinds,path, "lists no event kind; give at least one of connected, disconnected, connect_failed, subscribed, unsubscribed"));
        return;
    }
    for (i, e) in events.iter().enumerate() {
        if events[..i].contains(e) {
            problems.push(Problem::new(
                Id::EventKinds,
                format!("{path}[{i}]"),
                format!("`{}` is listed twice", e.as_str()),
            ));
        }
    }
    let families: Vec<Family> = events.iter().map(|e| e.family()).collect();
    if families.iter().any(|f| *f != families[0]) {
        problems.push(Problem::new(
                Id::EventKinds,
            path,
            "mixes presence kinds (connected, disconnected, connect_failed) with subscription kinds (subscribed, unsubscribed); \
             they arrive on different topics and a rule reads one topic filter: put them in two pipelines",
        ));
    }
}

pub(super) fn resolve_key(path: &str, key: &KeyConfig, problems: &mut Vec<Problem>) -> Key {
    if key.name.is_empty() || key.name.len() > 255 {
        problems.push(Problem::new(
            Id::KeyName,
            format!("{path}.name"),
            "a key attribute name must have 1 to 255 bytes",
        ));
    }
    if let Some(expr) = &key.expression {
        if expr.trim().is_empty() {
            problems.push(Problem::new(
                Id::KeyExpression,
                format!("{path}.expression"),
                "is empty; remove it to take the attribute from the event",
            ));
        }
        check_text(&format!("{path}.expression"), expr, problems);
    }
    Key {
        name: key.name.clone(),
        ty: key.ty.into(),
        expression: key.expression.clone(),
    }
}

/// The rule SQL for a list of event kinds of one family: [`generated_rule`], printed.
pub fn generated_sql(
    events: &[EventKind],
    ttl: Option<&Ttl>,
    partition_key: &Key,
    sort_key: Option<&Key>,
) -> String {
    generated_rule(events, ttl, partition_key, sort_key)
        .0
        .to_string()
}

/// A computed key's expression parsed on its own, by the key's field (`partition_key` or `sort_key`): the spans
/// of the tree point into the key's `expression`.
pub type WrittenKey = (&'static str, Result<Expr, SqlError>);

/// The rule for a list of event kinds of one family, built as a tree for the printer.
///
/// The filter ends in `#`, not `+/+`: a client ID may contain `/`, which adds topic levels, and `+/+` would miss
/// those clients' events. The WHERE keeps exactly the chosen kinds, so `connect_failed` (published below the same
/// prefix) is only kept when asked for. `*` keeps every payload field; the payload itself carries `clientId`,
/// `timestamp` and `eventType`, which the default keys use. Each computed key's expression is parsed on its own
/// and selected as the key; one that does not parse is left out, and the check reports it at the key.
pub fn generated_rule(
    events: &[EventKind],
    ttl: Option<&Ttl>,
    partition_key: &Key,
    sort_key: Option<&Key>,
) -> (Statement, Vec<WrittenKey>) {
    let family = events.first().map_or(Family::Presence, |e| e.family());
    let filter = match events {
        [only] => format!("{}/{}/#", family.topic_prefix(), only.as_str()),
        _ => format!("{}/#", family.topic_prefix()),
    };
    let mut items = vec![build::wildcard()];
    let mut written = Vec::new();
    for (field, key) in [
        ("partition_key", Some(partition_key)),
        ("sort_key", sort_key),
    ] {
        let Some(text) = key.and_then(|k| k.expression.as_deref()) else {
            continue;
        };
        let parsed = sql::parse_expr(text);
        if let (Ok(expr), Some(key)) = (&parsed, key) {
            items.push(build::aliased(expr.without_spans(), &key.name));
        }
        written.push((field, parsed));
    }
    if let Some(ttl) = ttl {
        let seconds = build::call(
            "floor",
            vec![build::binary(
                BinaryOp::Div,
                build::field("timestamp"),
                build::number(1000),
            )],
        );
        let expires = build::binary(BinaryOp::Add, seconds, build::number(ttl.seconds));
        items.push(build::aliased(expires, ttl.attribute));
    }
    let kinds = events.iter().map(|e| {
        build::binary(
            BinaryOp::Eq,
            build::field("eventType"),
            build::string(e.as_str()),
        )
    });
    (build::select(items, &filter, build::any_of(kinds)), written)
}

#[cfg(test)]
mod rules_tests {
    use super::*;

    /// A rule taken from the cache is the rule built afresh from the same inputs, and different inputs get
    /// their own rule.
    #[test]
    fn a_shared_rule_is_the_rule_built_afresh() {
        let key = |name: &str, expression: Option<&str>| Key {
            name: name.to_owned(),
            ty: KeyType::S,
            expression: expression.map(str::to_owned),
        };
        let pk = key("clientId", None);
        let sk = key("eventKey", Some("concat(timestamp, '#', eventType)"));
        let other = key("eventKey", Some("concat(timestamp, '/', eventType"));
        let events = [EventKind::Connected, EventKind::Disconnected];
        let mut rules = Rules::default();
        // The first time builds, the second builds and keeps, the third copies.
        for _ in 0..3 {
            for (sql, sort_key) in [
                (None, Some(&sk)),
                (None, Some(&other)),
                (None, None),
                (Some("SELECT * FROM 'a/#'"), Some(&sk)),
            ] {
                let shared = rules.get(sql, &events, None, &pk, sort_key);
                let fresh = build_rule(sql, &events, None, &pk, sort_key);
                assert_eq!(shared.0, fresh.0);
                assert_eq!(format!("{:?}", shared.1), format!("{:?}", fresh.1));
            }
        }
        assert_eq!(rules.built.len(), 4);
    }
}
