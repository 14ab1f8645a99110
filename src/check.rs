//! Static checks of each pipeline's rule against its table and against what AWS IoT actually publishes: does the
//! SQL parse, does its topic filter make sense, does every event it keeps produce the table's keys with the
//! right types, does it read fields that lifecycle payloads never carry. cfn-lint checks none of this: a rule
//! that never produces its table's key deploys fine and then sends every event to the error action.

use std::collections::BTreeSet;

use crate::config::KeyType;
use crate::error::{Diagnostic, Severity};
use crate::events::{EVENT_KEY, EventKind, FieldType, event_key_expression};
use crate::model::{Key, Model, Pipeline};
use crate::sql::functions::Returns;
use crate::sql::{
    self, BinaryOp, Expr, ExprKind, SelectClause, SelectItem, Span, Statement, TopicFilterProblem,
    UnaryOp,
};

/// Every finding for every pipeline of the model, errors and warnings, in pipeline order.
pub fn check(file: &str, model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
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

/// What an expression yields, as far as can be told without running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    String,
    Number,
    Bool,
    /// Null, arrays, objects: never a valid key.
    Other,
    Unknown,
}

impl Ty {
    fn of_field(t: FieldType) -> Ty {
        match t {
            FieldType::String => Ty::String,
            FieldType::Number => Ty::Number,
            FieldType::Bool => Ty::Bool,
            FieldType::StringList => Ty::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Ty::String => "a string (S)",
            Ty::Number => "a number (N)",
            Ty::Bool => "a boolean",
            Ty::Other => "a list, object or null",
            Ty::Unknown => "a value of unknown type",
        }
    }
}

impl<'a> PipelineCheck<'a> {
    fn path(&self, field: &str) -> String {
        format!("pipelines[{}].{field}", self.index)
    }

    /// A finding at a span of the rule SQL. Spans inside a computed key's expression are reported against that
    /// expression, since that is what the user wrote.
    fn at_span(&mut self, severity: Severity, span: Span, message: String, hint: Option<String>) {
        let sql = &self.p.sql;
        let mut path = self.path("sql");
        let mut column = sql::line_col(sql, span.start).1;
        if !self.p.custom_sql {
            for (field, key) in self.keys() {
                let Some(expr) = key.expression.as_deref().map(str::trim) else {
                    continue;
                };
                if let Some(start) = sql.find(expr)
                    && (start..start + expr.len()).contains(&span.start)
                {
                    path = self.path(&format!("table.{field}.expression"));
                    column = sql::line_col(&sql[start..], span.start - start).1;
                }
            }
        }
        self.out.push(Diagnostic {
            hint,
            sql_column: Some(column),
            ..Diagnostic::new(severity, self.file, path, message)
        });
    }

    /// A finding about a key. Where the user wrote no SQL and no expression for it, the key's own config entry
    /// is what to change, so the finding points there rather than into SQL they never wrote.
    fn at_key(
        &mut self,
        field: &str,
        severity: Severity,
        span: Span,
        message: String,
        hint: Option<String>,
    ) {
        let has_expression = self
            .keys()
            .iter()
            .any(|(f, k)| *f == field && k.expression.is_some());
        if self.p.custom_sql || has_expression {
            self.at_span(severity, span, message, hint);
        } else {
            let path = self.path(&format!("table.{field}"));
            self.out.push(Diagnostic {
                hint,
                ..Diagnostic::new(severity, self.file, path, message)
            });
        }
    }

    fn keys(&self) -> Vec<(&'static str, &'a Key)> {
        let t = &self.p.table;
        std::iter::once(("partition_key", &t.partition_key))
            .chain(t.sort_key.as_ref().map(|k| ("sort_key", k)))
            .collect()
    }

    fn run(&mut self) {
        // A computed key's expression is checked on its own first, so a syntax error points into it.
        if !self.p.custom_sql {
            let mut broken = false;
            for (field, key) in self.keys() {
                if let Some(expr) = &key.expression
                    && let Err(e) = sql::parse_expr(expr)
                {
                    broken = true;
                    let (message, hint) = syntax_message(&e);
                    self.out.push(Diagnostic {
                        hint,
                        sql_column: Some(e.column),
                        ..Diagnostic::new(
                            Severity::Error,
                            self.file,
                            self.path(&format!("table.{field}.expression")),
                            message,
                        )
                    });
                }
            }
            if broken {
                return;
            }
        }
        let stmt = match sql::parse(&self.p.sql) {
            Ok(stmt) => stmt,
            Err(e) => {
                let (message, hint) = syntax_message(&e);
                self.out.push(Diagnostic {
                    hint,
                    sql_column: Some(e.column),
                    ..Diagnostic::new(Severity::Error, self.file, self.path("sql"), message)
                });
                return;
            }
        };
        self.functions(&stmt);
        self.topic_filter(&stmt);
        let kinds = kinds_read(&stmt);
        self.topic_levels(&stmt);
        self.fields(&stmt, kinds.as_deref());
        self.connect_failed(&stmt, kinds.as_deref());
        self.keys_produced(&stmt, kinds.as_deref());
        self.ttl_produced(&stmt, kinds.as_deref());
    }

    /// With `ttl_days`, the table expires items by `expiresAt`; a rule of the user's own that never computes it
    /// deploys fine and keeps every item forever.
    fn ttl_produced(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>) {
        let Some(ttl) = &self.p.table.ttl else { return };
        if !self.p.custom_sql {
            return;
        }
        let seconds = ttl.seconds;
        let attribute = ttl.attribute;
        let hint = Some(format!(
            "add `floor(timestamp / 1000) + {seconds} AS {attribute}` to the SELECT of `sql`, or remove `table.ttl_days`"
        ));
        let produced = match &stmt.select {
            SelectClause::Items(items) => items.iter().rev().find_map(|item| match item {
                SelectItem::Expr { .. } if item.output_name() == Some(attribute) => item.expr(),
                _ => None,
            }),
            SelectClause::Value(_) => return, // already an error of its own
        };
        let problem = match produced {
            None => format!(
                "`table.ttl_days` expires items by `{attribute}`, but `sql` never selects `{attribute}` at the root: nothing ever expires"
            ),
            Some(expr) => match infer(expr, kinds) {
                ty @ (Ty::String | Ty::Bool | Ty::Other) => format!(
                    "`table.ttl_days` expires items by `{attribute}`, which must be a number of epoch seconds, but `sql` selects it as {}: nothing ever expires",
                    ty.describe()
                ),
                Ty::Number | Ty::Unknown => return,
            },
        };
        let path = self.path("table.ttl_days");
        self.out.push(Diagnostic {
            hint,
            ..Diagnostic::new(Severity::Error, self.file, path, problem)
        });
    }

    /// Functions AWS IoT does not have, or calls with the wrong number of arguments: AWS refuses such a rule.
    /// Functions that exist but call other services (`get_dynamodb`, `aws_lambda`, ...) are fine here; only
    /// `simulate` cannot run them.
    fn functions(&mut self, stmt: &Statement) {
        use crate::sql::eval::{EvalError, Program};
        if let Err(
            e @ (EvalError::UnknownFunction { .. }
            | EvalError::Arity { .. }
            | EvalError::UnknownType { .. }),
        ) = Program::compile(stmt)
        {
            let hint = match &e {
                EvalError::UnknownType { .. } => {
                    Some("cast to Int, Decimal, String or Boolean".to_owned())
                }
                _ => None,
            };
            self.at_span(Severity::Error, e.span(), e.to_string(), hint);
        }
    }

    fn topic_filter(&mut self, stmt: &Statement) {
        let span = stmt.from.span;
        for problem in sql::topic_filter_problems(&stmt.from.filter) {
            let severity =
                if problem.is_warning() || matches!(problem, TopicFilterProblem::TooLong { .. }) {
                    Severity::Warning
                } else {
                    Severity::Error
                };
            let hint = match problem {
                TopicFilterProblem::MultiLevelWildcardNotLast { .. }
                | TopicFilterProblem::MultiLevelWildcardNotAlone { .. } => Some(
                    "`#` stands alone as the last level, e.g. '$aws/events/presence/#'".to_owned(),
                ),
                TopicFilterProblem::SingleLevelWildcardNotAlone { .. } => Some(
                    "`+` stands alone in its level, e.g. '$aws/events/presence/+/#'".to_owned(),
                ),
                _ => None,
            };
            self.at_span(
                severity,
                span,
                format!("in the FROM filter '{}': {problem}", stmt.from.filter),
                hint,
            );
        }
        // A `+` as the last level stops at the first `/` of a client ID.
        let filter = &stmt.from.filter;
        if filter.starts_with("$aws/events/") && filter.ends_with("/+") {
            self.at_span(
                Severity::Warning,
                span,
                format!("the FROM filter '{filter}' ends in `+`, which misses every client whose ID contains `/` (it adds topic levels)"),
                Some(format!("end the filter in `#`: '{}#'", &filter[..filter.len() - 1])),
            );
        }
    }

    /// `topic(n)` past the filter's last level is always Undefined: the attribute it feeds silently vanishes.
    fn topic_levels(&mut self, stmt: &Statement) {
        let filter = &stmt.from.filter;
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
                    Severity::Error,
                    span,
                    format!("topic({n}) is always Undefined: topic levels count from 1"),
                    Some(
                        "use topic(1) for the first level, topic() for the whole topic".to_owned(),
                    ),
                );
            } else if !open_ended && n as usize > levels {
                self.at_span(
                    Severity::Error,
                    span,
                    format!("topic({n}) is past the last level of '{filter}' ({levels} levels): it is always Undefined and the attribute it feeds never arrives"),
                    Some(format!("use topic(1) to topic({levels})")),
                );
            }
        }
    }

    /// Fields that the payloads of the kinds this rule reads never carry: most often a typo, silently Undefined.
    fn fields(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>) {
        let Some(kinds) = kinds else { return };
        let mut seen = BTreeSet::new();
        for path in stmt.field_paths() {
            let root = path.root();
            if root.is_empty()
                || kinds.iter().any(|k| k.field(root).is_some())
                || !seen.insert(root.to_owned())
            {
                continue;
            }
            let names = kind_names(kinds);
            let elsewhere: Vec<&str> = EventKind::ALL
                .iter()
                .filter(|k| !kinds.contains(k) && k.field(root).is_some())
                .map(|k| k.as_str())
                .collect();
            let (message, hint) = if elsewhere.is_empty() {
                (
                    format!(
                        "`{root}` is not a field of {names} events: it is always Undefined and drops out of the item"
                    ),
                    suggest(root, kinds).map(|s| format!("did you mean `{s}`?")),
                )
            } else {
                (
                    format!(
                        "`{root}` is only in {} events, which this rule does not read",
                        elsewhere.join(" and ")
                    ),
                    None,
                )
            };
            self.at_span(Severity::Warning, path.span, message, hint);
        }
    }

    /// `+/+` (or any filter) reading connect_failed events without a WHERE that drops them.
    fn connect_failed(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>) {
        let Some(kinds) = kinds else { return };
        let matched = kinds_matching(&stmt.from.filter);
        let presence_pair =
            matched.contains(&EventKind::Connected) && matched.contains(&EventKind::Disconnected);
        if self.p.custom_sql && presence_pair && kinds.contains(&EventKind::ConnectFailed) {
            self.at_span(
                Severity::Warning,
                stmt.from.span,
                format!(
                    "'{}' also matches connect_failed events, and no WHERE excludes them",
                    stmt.from.filter
                ),
                Some(
                    "add `WHERE eventType = 'connected' OR eventType = 'disconnected'`".to_owned(),
                ),
            );
        }
    }

    /// The DynamoDBv2 action needs each key attribute at the root of the SELECT result, with the key's type.
    fn keys_produced(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>) {
        let items = match &stmt.select {
            SelectClause::Items(items) => items,
            SelectClause::Value(expr) => {
                self.at_span(
                    Severity::Error,
                    expr.span,
                    "SELECT VALUE gives a bare value, but the DynamoDBv2 action needs an object with the key attributes at its root".to_owned(),
                    Some("select a list of fields, e.g. `SELECT *`".to_owned()),
                );
                return;
            }
        };
        for (field, key) in self.keys() {
            let what = if field == "partition_key" {
                "partition key"
            } else {
                "sort key"
            };
            // The last item that names the key wins: later keys override earlier ones.
            let producer = items.iter().rev().find_map(|item| match item {
                SelectItem::Wildcard { alias: None, span } => kinds
                    .map(|k| (Producer::Payload(k), *span))
                    .or(Some((Producer::Unknown, *span))),
                SelectItem::Expr { .. } if item.output_name() == Some(key.name.as_str()) => {
                    item.expr().map(|e| (Producer::Expr(e), item.span()))
                }
                _ => None,
            });
            let Some((producer, span)) = producer else {
                let nested = items.iter().find_map(|i| match i {
                    SelectItem::Wildcard { alias: Some(a), .. } => Some(a.name.clone()),
                    _ => None,
                });
                let message = match &nested {
                    Some(alias) => format!(
                        "the SELECT never puts `{}`, the table's {what}, at the root: `* AS {alias}` nests the payload under `{alias}`, so every write fails and goes to the error action",
                        key.name
                    ),
                    None => format!(
                        "the SELECT never produces `{}`, the table's {what}: every write fails and goes to the error action",
                        key.name
                    ),
                };
                let hint = Some(match self.p.custom_sql {
                    // The default key of a table with a rule of one's own: say exactly what computes it.
                    true if key.name == EVENT_KEY && kinds.is_some_and(|k| !k.is_empty()) => {
                        format!(
                            "add `{} AS {EVENT_KEY}` to the SELECT (the default sort key, one item per distinct event), or set `table.sort_key` to a field the rule writes",
                            event_key_expression(kinds.unwrap_or_default())
                        )
                    }
                    true => format!(
                        "add `{}` to the SELECT list (or `*`, which keeps the whole payload)",
                        key.name
                    ),
                    false => {
                        format!("give `table.{field}.expression`, or use a field the events carry")
                    }
                });
                self.at_span(
                    Severity::Error,
                    items.first().map_or(stmt.span, SelectItem::span),
                    message,
                    hint,
                );
                continue;
            };
            match producer {
                Producer::Unknown => {}
                Producer::Payload(kinds) => self.key_from_payload(key, what, field, kinds, span),
                Producer::Expr(expr) => {
                    let ty = infer(expr, kinds);
                    self.key_type(key, what, field, ty, expr.span);
                }
            }
        }
    }

    fn key_from_payload(
        &mut self,
        key: &Key,
        what: &str,
        field: &str,
        kinds: &[EventKind],
        span: Span,
    ) {
        let lacking: Vec<&str> = kinds
            .iter()
            .filter(|k| k.field(&key.name).is_none())
            .map(|k| k.as_str())
            .collect();
        if !lacking.is_empty() {
            let hint = if self.p.custom_sql && key.name == EVENT_KEY {
                format!(
                    "add `{} AS {EVENT_KEY}` to the SELECT (the default sort key, one item per distinct event), or set `table.sort_key` to a field the rule writes",
                    event_key_expression(kinds)
                )
            } else if self.p.custom_sql {
                format!(
                    "select `{}` explicitly, e.g. `..., <expression> AS {}`",
                    key.name, key.name
                )
            } else {
                format!(
                    "key the table on a field every event has (clientId, timestamp, eventType), or give `table.{field}.expression`"
                )
            };
            self.at_key(
                field,
                Severity::Error,
                span,
                format!(
                    "`*` gives no `{}` (the table's {what}) for {} events: their writes fail and go to the error action",
                    key.name,
                    lacking.join(" and ")
                ),
                Some(hint),
            );
            return;
        }
        let sometimes: Vec<&str> = kinds
            .iter()
            .filter(|k| k.field(&key.name).is_some_and(|f| !f.always))
            .map(|k| k.as_str())
            .collect();
        if !sometimes.is_empty() {
            self.at_key(
                field,
                Severity::Warning,
                span,
                format!(
                    "`{}` (the table's {what}) is only in some {} events: the others fail to write",
                    key.name,
                    sometimes.join(" and ")
                ),
                None,
            );
        }
        let types: BTreeSet<&str> = kinds
            .iter()
            .filter_map(|k| k.field(&key.name))
            .map(|f| Ty::of_field(f.ty).describe())
            .collect();
        let ty = kinds
            .iter()
            .find_map(|k| k.field(&key.name))
            .map_or(Ty::Unknown, |f| Ty::of_field(f.ty));
        if types.len() == 1 {
            self.key_type(key, what, field, ty, span);
        }
    }

    fn key_type(&mut self, key: &Key, what: &str, field: &str, ty: Ty, span: Span) {
        let fits = match (key.key_type, ty) {
            (_, Ty::Unknown) => return,
            (KeyType::S, Ty::String) | (KeyType::N, Ty::Number) => true,
            _ => false,
        };
        if fits {
            return;
        }
        let hint = match (key.key_type, ty) {
            (KeyType::B, _) => "the DynamoDBv2 action writes JSON values, which never become binary: declare the key `type: S`".to_owned(),
            (_, Ty::String) => "declare the key `type: S`, or select a number".to_owned(),
            (_, Ty::Number) => format!("declare the key `type: N`, or select `cast(... AS String) AS {}`", key.name),
            _ => "a key must be a string or a number".to_owned(),
        };
        self.at_key(
            field,
            Severity::Error,
            span,
            format!(
                "`{}` (the table's {what}, type {}) gets {}: every write fails and goes to the error action",
                key.name,
                key.key_type.as_str(),
                ty.describe()
            ),
            Some(hint),
        );
    }
}

enum Producer<'a> {
    /// An unaliased `*` over payloads of these kinds.
    Payload(&'a [EventKind]),
    Expr(&'a Expr),
    /// An unaliased `*` over payloads this tool does not know.
    Unknown,
}

fn syntax_message(e: &sql::SqlError) -> (String, Option<String>) {
    let message = format!(
        "the SQL does not parse: expected {}, found {}",
        e.expected, e.found
    );
    let found = e.found.trim_matches('\'').to_ascii_uppercase();
    let keyword = ["SELECT", "FROM", "WHERE"]
        .into_iter()
        .find(|k| e.expected.contains(k) && found != *k && edit_distance(&found, k) <= 2);
    (message, keyword.map(|k| format!("did you mean `{k}`?")))
}

/// The event kinds whose topics the FROM filter matches.
fn kinds_matching(filter: &str) -> Vec<EventKind> {
    EventKind::ALL
        .into_iter()
        .filter(|k| sql::topic_matches(filter, &k.topic("client")))
        .collect()
}

/// The lifecycle kinds a statement reads: those its filter matches, narrowed by a WHERE of the usual shapes
/// (`eventType = 'x' OR ...`, `topic(4) = 'x'`, `<>` to drop one). `None` when the filter matches no lifecycle
/// topic: the payload is then unknown and the field checks stand down.
fn kinds_read(stmt: &Statement) -> Option<Vec<EventKind>> {
    let matched = kinds_matching(&stmt.from.filter);
    if matched.is_empty() {
        return None;
    }
    let kept = match &stmt.where_ {
        Some(w) => narrow(w, &matched),
        None => matched.clone(),
    };
    Some(matched.into_iter().filter(|k| kept.contains(k)).collect())
}

/// The kinds for which `expr` can be true, among `all`.
fn narrow(expr: &Expr, all: &[EventKind]) -> Vec<EventKind> {
    match &expr.kind {
        ExprKind::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => {
            let mut l = narrow(lhs, all);
            for k in narrow(rhs, all) {
                if !l.contains(&k) {
                    l.push(k);
                }
            }
            l
        }
        ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => {
            let r = narrow(rhs, all);
            narrow(lhs, all)
                .into_iter()
                .filter(|k| r.contains(k))
                .collect()
        }
        ExprKind::Binary {
            op: op @ (BinaryOp::Eq | BinaryOp::NotEq),
            lhs,
            rhs,
        } => {
            let literal = kind_literal(lhs, rhs).or_else(|| kind_literal(rhs, lhs));
            match literal {
                Some(value) => all
                    .iter()
                    .copied()
                    .filter(|k| (k.as_str() == value) == (*op == BinaryOp::Eq))
                    .collect(),
                None => all.to_vec(),
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            expr,
        } => {
            // NOT of a narrowing: the kinds it excludes.
            let inner = narrow(expr, all);
            if inner.len() == all.len() {
                all.to_vec()
            } else {
                all.iter().copied().filter(|k| !inner.contains(k)).collect()
            }
        }
        _ => all.to_vec(),
    }
}

/// `eventType = 'x'` or `topic(4) = 'x'` (the kind's level of a lifecycle topic): the string `x`.
fn kind_literal<'a>(side: &Expr, other: &'a Expr) -> Option<&'a str> {
    let names_kind = match &side.kind {
        ExprKind::Path(segments) => {
            segments.len() == 1
                && matches!(&segments[0], sql::PathSegment::Field(f) if f.name == "eventType")
        }
        ExprKind::Call(call) => {
            call.is("topic")
                && matches!(call.args.as_slice(), [arg] if matches!(&arg.kind, ExprKind::Number(n) if n == "4"))
        }
        _ => false,
    };
    match &other.kind {
        ExprKind::String(s) if names_kind => Some(s),
        _ => None,
    }
}

fn kind_names(kinds: &[EventKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    match names.as_slice() {
        [] => "any".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The payload field a misspelt name most likely meant.
fn suggest(name: &str, kinds: &[EventKind]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let fields = kinds.iter().flat_map(|k| k.fields()).map(|f| f.name);
    let mut best: Option<(usize, &'static str)> = None;
    for f in fields {
        let fl = f.to_ascii_lowercase();
        let score = if fl == lower || fl.replace('_', "") == lower.replace('_', "") {
            0
        } else if fl.starts_with(&lower) && lower.len() >= 4 {
            1
        } else {
            let d = edit_distance(&lower, &fl);
            if d > 2 {
                continue;
            }
            d + 1
        };
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, f));
        }
    }
    best.map(|(_, f)| f)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The type an expression yields, when it can be told from its shape and the payload schema.
fn infer(expr: &Expr, kinds: Option<&[EventKind]>) -> Ty {
    match &expr.kind {
        ExprKind::String(_) => Ty::String,
        ExprKind::Number(_) => Ty::Number,
        ExprKind::Bool(_) => Ty::Bool,
        ExprKind::Null | ExprKind::Array(_) | ExprKind::Object(_) => Ty::Other,
        ExprKind::Path(segments) => {
            let (Some(kinds), [sql::PathSegment::Field(f)]) = (kinds, segments.as_slice()) else {
                return Ty::Unknown;
            };
            let types: BTreeSet<_> = kinds
                .iter()
                .filter_map(|k| k.field(&f.name))
                .map(|f| f.ty as u8)
                .collect();
            match (types.len(), kinds.iter().find_map(|k| k.field(&f.name))) {
                (1, Some(field)) => Ty::of_field(field.ty),
                _ => Ty::Unknown,
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => Ty::Number,
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => Ty::Bool,
        ExprKind::Binary { op, lhs, rhs } => match op {
            BinaryOp::Add => match (infer(lhs, kinds), infer(rhs, kinds)) {
                (Ty::Number, Ty::Number) => Ty::Number,
                (Ty::String, Ty::String) => Ty::String,
                _ => Ty::Unknown,
            },
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => Ty::Number,
            _ => Ty::Bool,
        },
        ExprKind::Cast { ty, .. } => match ty.lower().as_str() {
            "string" => Ty::String,
            "int" | "decimal" => Ty::Number,
            "bool" | "boolean" => Ty::Bool,
            _ => Ty::Unknown,
        },
        ExprKind::Call(call) => match sql::functions::lookup(&call.name.name).map(|f| f.returns) {
            Some(Returns::String) => Ty::String,
            Some(Returns::Number) => Ty::Number,
            Some(Returns::Bool) => Ty::Bool,
            Some(Returns::SameAsArguments) => {
                let types: BTreeSet<_> = call.args.iter().map(|a| infer(a, kinds) as u8).collect();
                match (types.len(), call.args.first()) {
                    (1, Some(first)) => infer(first, kinds),
                    _ => Ty::Unknown,
                }
            }
            Some(Returns::Unknown) | None => Ty::Unknown,
        },
        _ => Ty::Unknown,
    }
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

    #[test]
    fn suggestions() {
        let presence = [EventKind::Connected, EventKind::Disconnected];
        assert_eq!(suggest("version", &presence), Some("versionNumber"));
        assert_eq!(suggest("clientid", &presence), Some("clientId"));
        assert_eq!(suggest("client_id", &presence), Some("clientId"));
        assert_eq!(suggest("ipadress", &presence), Some("ipAddress"));
        assert_eq!(suggest("temperature", &presence), None);
    }
}
