//! Which lifecycle event kinds a rule reads: those its FROM filter matches, narrowed by a WHERE of the usual
//! shapes; and the warning for a filter that also reads `connect_failed` with nothing to drop it.

use super::PipelineCheck;
use crate::catalog::Id;
use crate::events::{EVENT_TYPE_FIELD, EventKind, KIND_TOPIC_LEVEL};
use crate::sql::{self, BinaryOp, Expr, ExprKind, Logic, Statement, UnaryOp};

impl PipelineCheck<'_> {
    /// `+/+` (or any filter) reading connect_failed events without a WHERE that drops them.
    pub(super) fn connect_failed(&mut self, stmt: &Statement, kinds: Option<&[EventKind]>) {
        let (Some(kinds), Some(from)) = (kinds, &stmt.from) else {
            return;
        };
        let matched = kinds_matching(&from.filter);
        let presence_pair =
            matched.contains(&EventKind::Connected) && matched.contains(&EventKind::Disconnected);
        let chosen = stmt
            .where_
            .as_ref()
            .is_some_and(|w| names_kind(w, EventKind::ConnectFailed));
        if self.p.custom_sql
            && presence_pair
            && kinds.contains(&EventKind::ConnectFailed)
            && !chosen
        {
            self.at_span(
                Id::ConnectFailedMatched,
                from.span,
                format!(
                    "'{}' also matches {} events, and no WHERE excludes them",
                    from.filter,
                    EventKind::ConnectFailed.as_str()
                ),
                Some(format!(
                    "add `WHERE {EVENT_TYPE_FIELD} = '{}' OR {EVENT_TYPE_FIELD} = '{}'`",
                    EventKind::Connected.as_str(),
                    EventKind::Disconnected.as_str()
                )),
            );
        }
    }
}

/// Whether `expr` asks for `kind` by name (`eventType = 'connect_failed'` or `topic(4) = 'connect_failed'`
/// anywhere in it): a rule that names a kind reads it on purpose.
fn names_kind(expr: &Expr, kind: EventKind) -> bool {
    expr.logic_atoms().into_iter().any(|atom| match &atom.kind {
        ExprKind::Binary {
            op: BinaryOp::Eq,
            lhs,
            rhs,
        } => kind_literal(lhs, rhs)
            .or_else(|| kind_literal(rhs, lhs))
            .is_some_and(|v| v == kind.as_str()),
        _ => false,
    })
}

/// The event kinds whose topics the FROM filter matches.
pub(super) fn kinds_matching(filter: &str) -> Vec<EventKind> {
    EventKind::ALL
        .into_iter()
        .filter(|k| sql::topic_matches(filter, &k.topic("client")))
        .collect()
}

/// The lifecycle kinds a statement reads: those its filter matches, narrowed by a WHERE of the usual shapes
/// (`eventType = 'x' OR ...`, `topic(4) = 'x'`, `<>` to drop one). `None` when the filter matches no lifecycle
/// topic: the payload is then unknown and the field checks stand down.
pub(super) fn kinds_read(stmt: &Statement) -> Option<Vec<EventKind>> {
    let matched = kinds_matching(stmt.topic_filter()?);
    if matched.is_empty() {
        return None;
    }
    let kept = match &stmt.where_ {
        Some(w) => narrow(w, &matched),
        None => matched.clone(),
    };
    Some(matched.into_iter().filter(|k| kept.contains(k)).collect())
}

/// The kinds for which `expr` can be true, among `all`: those of any part of an OR, those of every part of an
/// AND.
fn narrow(expr: &Expr, all: &[EventKind]) -> Vec<EventKind> {
    match expr.logic() {
        Logic::Or(..) => {
            let mut kinds = Vec::new();
            for k in expr.disjuncts().into_iter().flat_map(|d| narrow(d, all)) {
                if !kinds.contains(&k) {
                    kinds.push(k);
                }
            }
            kinds
        }
        Logic::And(..) => expr
            .conjuncts()
            .into_iter()
            .map(|c| narrow(c, all))
            .reduce(|kept, next| kept.into_iter().filter(|k| next.contains(k)).collect())
            .unwrap_or_default(),
        Logic::Atom => narrow_atom(expr, all),
    }
}

/// The kinds for which a condition that is no AND or OR can be true, among `all`.
fn narrow_atom(expr: &Expr, all: &[EventKind]) -> Vec<EventKind> {
    match &expr.kind {
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
                && matches!(&segments[0], sql::PathSegment::Field(f) if f.name == EVENT_TYPE_FIELD)
        }
        ExprKind::Call(call) => {
            call.is("topic")
                && matches!(call.args.as_slice(), [arg] if matches!(&arg.kind, ExprKind::Number(n) if *n == KIND_TOPIC_LEVEL.to_string()))
        }
        _ => false,
    };
    match &other.kind {
        ExprKind::String(s) if names_kind => Some(s),
        _ => None,
    }
}
