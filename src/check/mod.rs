//! Static checks of each pipeline's rule against its table and against what AWS IoT actually publishes: does the
//! SQL parse, does its topic filter make sense, does every event it keeps produce the table's keys with the
//! right types, does it read fields that lifecycle payloads never carry. cfn-lint checks none of this: a rule
//! that never produces its table's key deploys fine and then sends every event to the error action.
//!
//! One file per concern: `choices` (warnings about what the config chose), `placement` (the keys and the TTL attribute at the root of the result), `topics` (the
//! FROM filter and `topic(n)`), `narrow` (which event kinds a WHERE lets through), `types` (what an
//! expression yields, reading the function catalog), `fields` (fields the payloads never carry),
//! `abstract_value` (what an expression can yield for one event kind, three-valued) and `never_fires` (a WHERE
//! never true for the events the filter reads, and the parts of one that never match), `reserved` (a filter
//! below `$aws/` that no reserved topic matches).

mod abstract_value;
mod choices;
mod fields;
mod narrow;
mod never_fires;
mod placement;
mod reserved;
mod topics;
mod types;

use crate::catalog::Id;
use crate::error::Diagnostic;
use crate::events::{EventKind, Family};
use crate::model::{Key, Model, Pipeline};
use crate::sql::{self, Span, Statement};

pub use choices::template_size;

/// Every finding of the model, errors and warnings: the config's choices first, then each pipeline's rule, in
/// pipeline order. The one place warnings come from (and [`template_size`], once the template exists).
pub fn check(file: &str, model: &Model) -> Vec<Diagnostic> {
    let mut out = choices::warnings(file, model);
    for (i, p) in model.pipelines.iter().enumerate() {
        PipelineCheck {
            file,
            index: i,
            p,
            out: &mut out,
        }
        .run();
    }
    out
}

struct PipelineCheck<'a> {
    file: &'a str,
    index: usize,
    p: &'a Pipeline,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> PipelineCheck<'a> {
    pub(super) fn path(&self, field: &str) -> String {
        format!("pipelines[{}].{field}", self.index)
    }

    /// A finding at a span of the rule SQL. Spans inside a computed key's expression are reported against that
    /// expression, since that is what the user wrote.
    pub(super) fn at_span(&mut self, id: Id, span: Span, message: String, hint: Option<String>) {
        let sql = &self.p.sql;
        let mut path = self.path("sql");
        let mut column = sql::line_col(sql, span.start).1;
        // The parsed trees say where each computed key's expression sits in the generated rule, and where
        // that place is in what the user wrote.
        for key in &self.p.compiled.expressions {
            if let Some(offset) = key.written_offset(span.start) {
                path = self.path(&format!("table.{}.expression", key.field));
                column = sql::line_col(self.expression_text(key.field), offset).1;
            }
        }
        self.out.push(Diagnostic {
            hint,
            sql_column: Some(column),
            ..Diagnostic::new(id, self.file, path, message)
        });
    }

    /// A finding about a key. Where the user wrote no SQL and no expression for it, the key's own config entry
    /// is what to change, so the finding points there rather than into SQL they never wrote.
    pub(super) fn at_key(
        &mut self,
        field: &str,
        id: Id,
        span: Span,
        message: String,
        hint: Option<String>,
    ) {
        let has_expression = self
            .keys()
            .iter()
            .any(|(f, k)| *f == field && k.expression.is_some());
        if self.p.custom_sql || has_expression {
            self.at_span(id, span, message, hint);
        } else {
            let path = self.path(&format!("table.{field}"));
            self.out.push(Diagnostic {
                hint,
                ..Diagnostic::new(id, self.file, path, message)
            });
        }
    }

    /// The `expression` of the key at `field`, as written.
    fn expression_text(&self, field: &str) -> &'a str {
        self.keys()
            .into_iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, k)| k.expression.as_deref())
            .unwrap_or_default()
    }

    pub(super) fn keys(&self) -> Vec<(&'static str, &'a Key)> {
        let t = &self.p.table;
        std::iter::once(("partition_key", &t.partition_key))
            .chain(t.sort_key.as_ref().map(|k| ("sort_key", k)))
            .collect()
    }

    fn run(&mut self) {
        // A computed key's expression is checked on its own first, so a syntax error points into it.
        let mut broken = false;
        for key in &self.p.compiled.expressions {
            if let Err(e) = &key.written {
                broken = true;
                let (message, hint) = syntax_message(e);
                self.out.push(Diagnostic {
                    hint,
                    sql_column: Some(e.column),
                    ..Diagnostic::new(
                        Id::SqlSyntax,
                        self.file,
                        self.path(&format!("table.{}.expression", key.field)),
                        message,
                    )
                });
            }
        }
        if broken {
            return;
        }
        let stmt = match &self.p.compiled.statement {
            Ok(stmt) => stmt,
            Err(e) => {
                let (message, hint) = syntax_message(e);
                self.out.push(Diagnostic {
                    hint,
                    sql_column: Some(e.column),
                    ..Diagnostic::new(Id::SqlSyntax, self.file, self.path("sql"), message)
                });
                return;
            }
        };
        self.functions();
        let Some(from) = &stmt.from else {
            self.no_from(stmt);
            return;
        };
        self.topic_filter(stmt);
        self.reserved_topic(from);
        let kinds = narrow::kinds_read(stmt).map(|ks| never_fires::kinds_let_through(stmt, ks));
        self.topic_levels(stmt);
        let named = self.never_fires(stmt, &from.filter);
        self.fields(stmt, kinds.as_deref(), &named);
        self.connect_failed(stmt, kinds.as_deref());
        self.keys_produced(stmt, kinds.as_deref());
        self.ttl_produced(stmt, kinds.as_deref());
    }

    /// A rule without FROM is what LoRaWAN and Sidewalk destinations run; a pipeline's rule subscribes to the
    /// lifecycle topics, so without a filter it never sees an event.
    fn no_from(&mut self, stmt: &Statement) {
        // What the generated rule of these events reads: `#`, since client IDs may hold `/`, and a WHERE that
        // keeps the chosen kinds when the filter reads more.
        // A rule of one's own has no `events`: the default kinds then.
        let defaults = [EventKind::Connected, EventKind::Disconnected];
        let kinds = match self.p.events.as_slice() {
            [] => &defaults[..],
            kinds => kinds,
        };
        let family = kinds.first().map_or(Family::Presence, |e| e.family());
        let clause = match kinds {
            [kind] => format!("FROM '{}'", kind.topic("#")),
            kinds => {
                let kept: Vec<String> = kinds
                    .iter()
                    .map(|k| format!("eventType = '{}'", k.as_str()))
                    .collect();
                format!(
                    "FROM '{}/#' WHERE {}",
                    family.topic_prefix(),
                    kept.join(" OR ")
                )
            }
        };
        self.at_span(
            Id::NoFrom,
            stmt.span,
            "the rule has no FROM clause, so it subscribes to no topic and never sees a lifecycle event (only LoRaWAN and Sidewalk destinations run rules without FROM)".to_owned(),
            Some(format!("add `{clause}` after the SELECT list")),
        );
    }

    /// Functions AWS IoT does not have, or calls with the wrong number of arguments: AWS refuses such a rule.
    /// Functions that exist but call other services (`get_dynamodb`, `aws_lambda`, ...) are fine here; only
    /// `simulate` cannot run them.
    fn functions(&mut self) {
        use crate::sql::eval::EvalError;
        if let Some(Err(
            e @ (EvalError::UnknownFunction { .. }
            | EvalError::Arity { .. }
            | EvalError::UnknownType { .. }),
        )) = &self.p.compiled.program
        {
            let hint = match &e {
                EvalError::UnknownType { .. } => {
                    Some("cast to Int, Decimal, String or Boolean".to_owned())
                }
                _ => None,
            };
            self.at_span(Id::UnknownFunction, e.span(), e.to_string(), hint);
        }
    }
}

fn syntax_message(e: &sql::SqlError) -> (String, Option<String>) {
    let message = format!(
        "the SQL does not parse: expected {}, found {}",
        e.expected, e.found
    );
    let found = e.found.trim_matches('\'').to_ascii_uppercase();
    let keyword = ["SELECT", "FROM", "WHERE"].into_iter().find(|k| {
        e.expected.contains(k) && found != *k && crate::spelling::edit_distance(&found, k) <= 2
    });
    (message, keyword.map(|k| format!("did you mean `{k}`?")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Source, load};

    fn findings(config: &str) -> Vec<String> {
        let model = load(Source {
            name: "c.yaml",
            text: config,
        })
        .unwrap();
        check("c.yaml", &model)
            .iter()
            .map(|d| format!("{:?}: {d}", d.severity))
            .collect()
    }

    /// The sort key of version 0.1: rules of one's own that select `*` produce it.
    const TIMESTAMP_KEY: &str = "{sort_key: {name: timestamp, type: N}}";

    fn custom(sql: &str, table: &str) -> Vec<String> {
        findings(&format!(
            "pipelines:\n  - name: p\n    sql: \"{sql}\"\n    table: {table}\n"
        ))
    }

    #[test]
    fn generated_rules_are_clean() {
        for config in [
            "pipelines: [{name: p}]",
            "pipelines: [{name: p, events: [connect_failed], table: {ttl_days: 3}}]",
            "pipelines: [{name: p, events: [subscribed, unsubscribed]}]",
            "pipelines: [{name: p, table: {sort_key: {name: k, type: S, expression: \"concat(timestamp, '#', eventType)\"}}}]",
        ] {
            assert_eq!(findings(config), Vec::<String>::new(), "{config}");
        }
    }

    /// Every rule `synth` generates, pasted back as `sql:` with the same table, passes every check: our own rule
    /// earns no warning (every event set of each family, with a TTL and with the timestamp sort key).
    #[test]
    fn every_generated_rule_pasted_as_sql_is_clean() {
        use crate::events::EventKind;
        let families: [&[EventKind]; 2] = [
            &[
                EventKind::Connected,
                EventKind::Disconnected,
                EventKind::ConnectFailed,
            ],
            &[EventKind::Subscribed, EventKind::Unsubscribed],
        ];
        let mut rules = 0;
        for kinds in families {
            for mask in 1..(1u32 << kinds.len()) {
                let events: Vec<&str> = (0..kinds.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| kinds[i].as_str())
                    .collect();
                for table in ["{}", "{ttl_days: 7}", TIMESTAMP_KEY] {
                    let config = format!(
                        "pipelines: [{{name: p, events: [{}], table: {table}}}]",
                        events.join(", ")
                    );
                    let model = load(Source {
                        name: "g.yaml",
                        text: &config,
                    })
                    .unwrap();
                    let sql = model.pipelines[0].sql.replace('"', "\\\"");
                    let got = custom(&sql, table);
                    // The timestamp key's own warning (it loses events) is about the key, not the rule.
                    let got: Vec<&String> =
                        got.iter().filter(|f| !f.contains("sort_key")).collect();
                    assert_eq!(got, Vec::<&String>::new(), "{config}: {sql}");
                    rules += 1;
                }
            }
        }
        assert_eq!(rules, (7 + 3) * 3);
    }

    #[test]
    fn a_rule_without_from_is_one_error_that_says_what_to_write() {
        let mut got = custom("SELECT *, WirelessDeviceId AS id", TIMESTAMP_KEY);
        got.retain(|f| f.contains("pipelines[0].sql"));
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(got[0].starts_with("Error: "), "{got:#?}");
        assert!(got[0].contains("pipelines[0].sql"), "{got:#?}");
        assert!(got[0].contains("the rule has no FROM clause"), "{got:#?}");
        assert!(
            got[0].contains("add `FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'` after the SELECT list"),
            "{got:#?}"
        );
    }

    #[test]
    fn the_extensions_of_2016_03_23_raise_no_false_findings() {
        // SET, nested SELECTs, `*` as an argument and on a path, dotted aliases: none of them is a finding by
        // itself, and a nested SELECT's fields are its elements', not the event's.
        for sql in [
            "SET @c = clientId SELECT *, @c AS device FROM '$aws/events/presence/+/#' WHERE eventType <> 'connect_failed'",
            "SELECT *, (SELECT VALUE n FROM topics) AS names FROM '$aws/events/subscriptions/+/#'",
            "SELECT *, encode(*, 'base64') AS raw, *.clientId AS who, clientId AS a.b FROM '$aws/events/presence/+/#' WHERE eventType <> 'connect_failed'",
        ] {
            let mut got = custom(sql, TIMESTAMP_KEY);
            got.retain(|f| f.contains("pipelines[0].sql"));
            assert_eq!(got, Vec::<String>::new(), "{sql}");
        }
    }

    #[test]
    fn the_seed_rule_reads_a_field_that_does_not_exist() {
        let got = custom(
            "SELECT * as event, timestamp, version, topic(4) as eventType, topic(5) as clientId FROM '$aws/events/presence/+/+' WHERE topic(4) = 'connected' or topic(4) = 'disconnected'",
            TIMESTAMP_KEY,
        );
        assert!(
            got.iter().any(|f| f.contains(
                "column 31: `version` is not a field of connected or disconnected events"
            ) && f.contains("did you mean `versionNumber`?")),
            "{got:#?}"
        );
        assert!(got.iter().all(|f| f.starts_with("Warning")), "{got:#?}");
    }

    #[test]
    fn syntax_errors_point_at_the_column() {
        let got = custom(
            "SELEKT clientId,, FORM '$aws/events/presence/+/+' WHERE (",
            "{}",
        );
        assert_eq!(got.len(), 1);
        assert!(
            got[0].contains("column 1: the SQL does not parse: expected SELECT"),
            "{got:?}"
        );
        assert!(got[0].contains("did you mean `SELECT`?"), "{got:?}");
    }

    #[test]
    fn topic_past_the_last_level_is_an_error() {
        let got = custom(
            "SELECT *, topic(6) AS x FROM '$aws/events/presence/+/+' WHERE eventType = 'connected'",
            "{}",
        );
        assert!(
            got.iter()
                .any(|f| f.starts_with("Error") && f.contains("topic(6) is past the last level")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_key_never_produced_is_an_error() {
        let got = custom(
            "SELECT * AS event FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            "{}",
        );
        assert!(
            got.iter()
                .any(|f| f.contains("`* AS event` nests the payload")),
            "{got:#?}"
        );
        // The default key's hint gives the expression to select.
        assert!(
            got.iter().any(|f| f.contains(
                "add `concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', versionNumber) AS eventKey` to the SELECT"
            )),
            "{got:#?}"
        );
        let got = custom(
            "SELECT clientId FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            TIMESTAMP_KEY,
        );
        assert!(
            got.iter()
                .any(|f| f.contains("never produces `timestamp`, the table's sort key")),
            "{got:#?}"
        );
        let got = custom(
            "SELECT clientId FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            "{}",
        );
        assert!(
            got.iter()
                .any(|f| f.contains("never produces `eventKey`, the table's sort key")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_key_of_the_wrong_type_is_an_error() {
        let got = custom(
            "SELECT * FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            "{sort_key: {name: eventType, type: N}}",
        );
        assert!(got.iter().any(|f| f.contains("`eventType` (the table's sort key, type N) gets a string (S)")), "{got:#?}");
        let got = custom(
            "SELECT *, topic(5) AS timestamp FROM '$aws/events/presence/+/+' WHERE eventType = 'connected'",
            TIMESTAMP_KEY,
        );
        assert!(
            got.iter().any(|f| f.contains("gets a string (S)")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_computed_key_of_the_wrong_type_points_into_its_expression() {
        let got = findings(
            "pipelines: [{name: p, table: {sort_key: {name: k, type: N, expression: \"concat(timestamp, '#')\"}}}]",
        );
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(
            got[0].contains("pipelines[0].table.sort_key.expression: column 1:"),
            "{got:#?}"
        );
        let got = findings(
            "pipelines: [{name: p, table: {sort_key: {name: k, type: S, expression: \"concat(timestamp,, '#')\"}}}]",
        );
        assert!(
            got[0].contains(
                "pipelines[0].table.sort_key.expression: column 18: the SQL does not parse"
            ),
            "{got:#?}"
        );
    }

    /// The generated rule prints a computed key canonically, spaced differently from what was written: a finding
    /// inside it still points at the column of the expression as written.
    #[test]
    fn a_finding_inside_a_computed_key_points_where_it_was_written() {
        let got = findings(
            "pipelines: [{name: p, table: {sort_key: {name: k, type: S, expression: \"concat(  timestamp,  '#',   versoin)\"}}}]",
        );
        let finding = got
            .iter()
            .find(|f| f.contains("versoin"))
            .unwrap_or_else(|| panic!("{got:#?}"));
        assert!(
            finding.contains("pipelines[0].table.sort_key.expression: column 29:"),
            "{finding}"
        );
        let model = load(Source {
            name: "c.yaml",
            text: "pipelines: [{name: p, table: {sort_key: {name: k, type: S, expression: \"concat(  timestamp,  '#',   versoin)\"}}}]",
        })
        .unwrap();
        assert!(
            model.pipelines[0]
                .sql
                .starts_with("SELECT *, concat(timestamp, '#', versoin) AS k FROM"),
            "{}",
            model.pipelines[0].sql
        );
    }

    #[test]
    fn plus_plus_without_where_warns_about_connect_failed() {
        let got = custom("SELECT * FROM '$aws/events/presence/+/+'", "{}");
        assert!(
            got.iter()
                .any(|f| f.contains("also matches connect_failed events")),
            "{got:#?}"
        );
        // The default keys are missing from nothing, but `versionNumber` as a key is missing for connect_failed.
        let got = custom(
            "SELECT * FROM '$aws/events/presence/#'",
            "{sort_key: {name: versionNumber, type: N}}",
        );
        assert!(
            got.iter().any(|f| f.contains(
                "gives no `versionNumber` (the table's sort key) for connect_failed events"
            )),
            "{got:#?}"
        );
    }

    #[test]
    fn unknown_topics_skip_the_payload_checks() {
        assert_eq!(
            custom("SELECT * FROM 'devices/+/status'", "{}"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn binary_keys_cannot_be_written() {
        let got =
            findings("pipelines: [{name: p, table: {partition_key: {name: clientId, type: B}}}]");
        assert!(
            got.iter().any(|f| f.contains("never become binary")),
            "{got:#?}"
        );
    }

    #[test]
    fn unknown_functions_and_wrong_arity_are_errors() {
        let got = custom(
            "SELECT *, isString(clientId) AS s FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            TIMESTAMP_KEY,
        );
        assert!(
            got.iter()
                .any(|f| f.starts_with("Error")
                    && f.contains("column 11: unknown function `isString`")),
            "{got:#?}"
        );
        let got = custom(
            "SELECT *, topic(1, 2) AS s FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            TIMESTAMP_KEY,
        );
        assert!(
            got.iter()
                .any(|f| f.starts_with("Error") && f.contains("topic")),
            "{got:#?}"
        );
        // A real function that needs another service is fine to deploy.
        let got = custom(
            "SELECT *, get_thing_shadow(clientId, 'arn') AS s FROM '$aws/events/presence/#' WHERE eventType = 'connected'",
            TIMESTAMP_KEY,
        );
        assert!(got.iter().all(|f| !f.starts_with("Error")), "{got:#?}");
    }

    #[test]
    fn a_where_never_true_is_an_error() {
        let presence = "FROM '$aws/events/presence/+/+' WHERE";
        let got = custom(&format!("SELECT * {presence} eventType = 'conected'"), "{}");
        assert!(
            got.iter().any(|f| f.starts_with("Error")
                && f.contains("column 60: `eventType` is never `conected`")
                && f.contains("the rule never fires")
                && f.contains("did you mean `connected`?")),
            "{got:#?}"
        );
        // The field check no longer says `eventType` is only in events this rule does not read.
        assert!(
            !got.iter()
                .any(|f| f.starts_with("Warning") && f.contains("`eventType`")),
            "{got:#?}"
        );
        let got = custom(&format!("SELECT * {presence} eventTyp = 'connected'"), "{}");
        assert!(
            got.iter().any(|f| f.starts_with("Error")
                && f.contains("column 48: `eventTyp` is not a field of connected, disconnected or connect_failed events")
                && f.contains("did you mean `eventType`?")),
            "{got:#?}"
        );
        assert!(
            !got.iter().any(|f| f.contains("drops out of the item")),
            "{got:#?}"
        );
        let got = custom(
            &format!("SELECT * {presence} eventType = 'connected' AND eventType = 'disconnected'"),
            "{}",
        );
        assert!(
            got.iter().any(|f| f.starts_with("Error")
                && f.contains(
                    "no connected, disconnected or connect_failed event meets every part"
                )),
            "{got:#?}"
        );
        let got = custom(&format!("SELECT * {presence} versionNumber = 'x'"), "{}");
        assert!(
            got.iter().any(|f| f.starts_with("Error")
                && f.contains("`versionNumber` is a number (N) in these events, never `'x'`")
                && f.contains("compare with a number, e.g. `versionNumber = 1`")),
            "{got:#?}"
        );
        let got = custom(
            &format!("SELECT * {presence} clientId = 'a' AND clientId = 'b'"),
            "{}",
        );
        assert!(
            got.iter().any(|f| f.starts_with("Error")
                && f.contains("meets every part of `clientId = 'a' AND clientId = 'b'`")),
            "{got:#?}"
        );
        // The kind's topic level names it too, and the message says what was written.
        let got = custom(
            &format!("SELECT * {presence} topic(4) IN ['connected', 'conected']"),
            "{}",
        );
        assert!(
            got.iter().any(|f| f.starts_with("Warning")
                && f.contains("column 74: `topic(4)` is never `conected`")),
            "{got:#?}"
        );
        let got = custom(
            &format!("SELECT * {presence} topic(4) IN ['conected', 'disconected']"),
            "{}",
        );
        assert!(
            got.iter().any(|f| f.starts_with("Error")
                && f.contains("`topic(4)` is never `conected`")
                && f.contains("did you mean `connected`?")),
            "{got:#?}"
        );
        let got = custom(&format!("SELECT * {presence} clientId = null"), "{}");
        assert!(
            got.iter().any(|f| f.starts_with("Error")
                && f.contains("`clientId` is a string (S) in these events, never `NULL`")),
            "{got:#?}"
        );
        // A kind the filter does not read.
        let got = custom(
            "SELECT * FROM '$aws/events/presence/connected/#' WHERE eventType = 'disconnected'",
            "{}",
        );
        assert!(
            got.iter().any(|f| f.starts_with("Error") && f.contains("`eventType` is never `disconnected` in the events '$aws/events/presence/connected/#' reads (connected)")
                && f.contains("disconnected events arrive on '$aws/events/presence/disconnected/#'")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_where_that_can_be_true_stays_quiet() {
        for clause in [
            "eventType = 'connected'",
            "eventType <> 'connect_failed'",
            "NOT eventType = 'connect_failed'",
            "eventType IN ['connected', 'disconnected']",
            "isUndefined(thingName) OR thingName <> 'x'",
            "versionNumber = '1'",
            "versionNumber > 0 AND eventType = 'connected'",
            "coalesce(eventTyp, 'connected') = 'connected'",
            "lower(eventType) = 'connected'",
        ] {
            let got = custom(
                &format!("SELECT * FROM '$aws/events/presence/+/+' WHERE {clause}"),
                "{}",
            );
            assert!(
                !got.iter().any(|f| f.contains("never")),
                "{clause}: {got:#?}"
            );
        }
        // Other topics: nothing is known about the payload.
        assert_eq!(
            custom(
                "SELECT * FROM 'devices/+/status' WHERE eventTyp = 'x'",
                "{}"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_reserved_filter_nothing_publishes_on_is_an_error() {
        for (filter, meant) in [
            ("$aws/event/presence/#", "$aws/events/presence/#"),
            ("$aws/events/presense/#", "$aws/events/presence/#"),
            ("$AWS/events/presence/#", "$aws/events/presence/#"),
            (
                "$aws/things/+/shadow/updates",
                "$aws/things/+/shadow/update",
            ),
        ] {
            let got = custom(&format!("SELECT * FROM '{filter}'"), "{}");
            assert!(
                got.iter().any(|f| f.starts_with("Error")
                    && f.contains(&format!(
                        "column 15: the FROM filter '{filter}' matches none of the reserved topics"
                    ))
                    && f.contains(&format!("did you mean '{meant}'?"))),
                "{filter}: {got:#?}"
            );
        }
        // Far from every known family: maybe one AWS added since, so a warning.
        let got = custom("SELECT * FROM '$aws/weather/forecast/#'", "{}");
        assert!(
            got.iter().any(|f| f.starts_with("Warning")
                && f.contains("none of the reserved topics presence-stack knows")),
            "{got:#?}"
        );
        // Real reserved topics, lifecycle or not, and topics outside `$aws/`.
        for filter in [
            "$aws/events/#",
            "$aws/#",
            "$aws/events/+/connected/#",
            "$aws/things/+/shadow/update/accepted",
            "$aws/things/lamp/shadow/name/main/get",
            "$aws/events/thing/+/created",
            "$aws/rules/my_rule",
            "$aws/device_location/+/get_position_estimate/accepted",
            "devices/+/status",
            "$share/group/topic",
        ] {
            let got = custom(&format!("SELECT * FROM '{filter}'"), "{}");
            assert!(
                !got.iter().any(|f| f.contains("reserved topics")),
                "{filter}: {got:#?}"
            );
        }
    }

    #[test]
    fn a_dead_branch_is_a_warning() {
        let got = custom(
            "SELECT * FROM '$aws/events/presence/+/+' WHERE eventType = 'conected' OR eventType = 'disconnected'",
            TIMESTAMP_KEY,
        );
        let dead: Vec<_> = got.iter().filter(|f| f.contains("never matches")).collect();
        assert_eq!(dead.len(), 1, "{got:#?}");
        assert!(
            dead[0].starts_with("Warning")
                && dead[0].contains("column 60: `eventType` is never `conected`")
                && dead[0].contains("did you mean `connected`?"),
            "{got:#?}"
        );
        assert!(got.iter().all(|f| !f.starts_with("Error")), "{got:#?}");
        assert!(
            !got.iter().any(|f| f.contains("`eventType` is not a field")),
            "{got:#?}"
        );
        let got = custom(
            "SELECT * FROM '$aws/events/presence/+/+' WHERE eventType IN ['connected', 'disconected']",
            TIMESTAMP_KEY,
        );
        assert!(
            got.iter().any(|f| f.starts_with("Warning")
                && f.contains("`eventType` is never `disconected`")
                && f.contains("did you mean `disconnected`?")),
            "{got:#?}"
        );
        let got = custom(
            "SELECT * FROM '$aws/events/presence/+/+' WHERE eventTyp = 'connected' OR eventType = 'disconnected'",
            TIMESTAMP_KEY,
        );
        assert!(
            got.iter().any(|f| f.starts_with("Warning")
                && f.contains("`eventTyp` is not a field")
                && f.contains("did you mean `eventType`?")),
            "{got:#?}"
        );
    }

    #[test]
    fn ttl_with_a_rule_that_never_selects_expires_at_is_an_error() {
        let base = "pipelines:\n  - name: presence\n    table: {ttl_days: 30}\n    sql: \"";
        let run = |select: &str| {
            findings(&format!(
                "{base}SELECT {select} FROM '$aws/events/presence/#' WHERE eventType = 'connected'\"\n"
            ))
        };
        let missing = run("*");
        assert!(
            missing.iter().any(
                |f| f.starts_with("Error: c.yaml: pipelines[0].table.ttl_days:")
                    && f.contains("never selects `expiresAt`")
            ),
            "{missing:?}"
        );
        let text = run("*, 'soon' AS expiresAt");
        assert!(
            text.iter().any(|f| f.contains("selects it as a string")),
            "{text:?}"
        );
        for fine in [
            "*, floor(timestamp / 1000) + 2592000 AS expiresAt",
            "*, x AS expiresAt",
        ] {
            let found = run(fine);
            assert!(
                !found.iter().any(|f| f.contains("ttl_days")),
                "{fine}: {found:?}"
            );
        }
        // The generated rule computes it itself.
        let generated = findings("pipelines:\n  - name: presence\n    table: {ttl_days: 30}\n");
        assert!(
            !generated.iter().any(|f| f.contains("ttl_days")),
            "{generated:?}"
        );
    }
}
