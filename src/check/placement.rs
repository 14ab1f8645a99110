//! Placement: the DynamoDBv2 action writes the SELECT result as the item, so each key attribute (and, with
//! `ttl_days`, the TTL attribute) must be at the root of that result with the right type, for every event kind
//! the rule keeps.

use std::collections::BTreeSet;

use super::PipelineCheck;
use super::types::{InferredType, infer};
use crate::catalog::Id;
use crate::error::Diagnostic;
use crate::events::{COMMON_FIELDS, EVENT_KEY, EventKind, event_key_expression};
use crate::model::Key;
use crate::model::KeyType;
use crate::sql::{Expr, SelectClause, SelectItem, Span, Statement};

impl PipelineCheck<'_> {
    /// With `ttl_days`, the table expires items by `expiresAt`; a rule of the user's own that never computes it
    /// deploys fine and keeps every item forever.
    pub(super) fn ttl_produced(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>) {
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
                ty @ (InferredType::String | InferredType::Bool | InferredType::Other) => format!(
                    "`table.ttl_days` expires items by `{attribute}`, which must be a number of epoch seconds, but `sql` selects it as {}: nothing ever expires",
                    ty.describe()
                ),
                InferredType::Number | InferredType::Unknown => return,
            },
        };
        let path = self.path("table.ttl_days");
        self.out.push(Diagnostic {
            hint,
            ..Diagnostic::new(Id::TtlNotSelected, self.file, path, problem)
        });
    }

    /// The DynamoDBv2 action needs each key attribute at the root of the SELECT result, with the key's type.
    pub(super) fn keys_produced(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>) {
        let items = match &stmt.select {
            SelectClause::Items(items) => items,
            SelectClause::Value(expr) => {
                self.at_span(
                    Id::KeyNotProduced,
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
                    Id::KeyNotProduced,
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
                    "key the table on a field every event has ({}), or give `table.{field}.expression`",
                    COMMON_FIELDS.join(", ")
                )
            };
            self.at_key(
                field,
                Id::KeyNotProduced,
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
                Id::KeySometimesMissing,
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
            .map(|f| InferredType::of_field(f.ty).describe())
            .collect();
        let ty = kinds
            .iter()
            .find_map(|k| k.field(&key.name))
            .map_or(InferredType::Unknown, |f| InferredType::of_field(f.ty));
        if types.len() == 1 {
            self.key_type(key, what, field, ty, span);
        }
    }

    fn key_type(&mut self, key: &Key, what: &str, field: &str, ty: InferredType, span: Span) {
        let fits = match (key.ty, ty) {
            (_, InferredType::Unknown) => return,
            (KeyType::S, InferredType::String) | (KeyType::N, InferredType::Number) => true,
            _ => false,
        };
        if fits {
            return;
        }
        let hint = match (key.ty, ty) {
            (KeyType::B, _) => "the DynamoDBv2 action writes JSON values, which never become binary: declare the key `type: S`".to_owned(),
            (_, InferredType::String) => "declare the key `type: S`, or select a number".to_owned(),
            (_, InferredType::Number) => format!("declare the key `type: N`, or select `cast(... AS String) AS {}`", key.name),
            _ => "a key must be a string or a number".to_owned(),
        };
        self.at_key(
            field,
            Id::KeyType,
            span,
            format!(
                "`{}` (the table's {what}, type {}) gets {}: every write fails and goes to the error action",
                key.name,
                key.ty.as_str(),
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
