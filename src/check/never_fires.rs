//! A rule that can never fire: a WHERE that is never true for any event the FROM filter reads (an error), and the
//! parts of a WHERE that can never match while the rest can (an OR arm, an element of an IN list: warnings).
//! Each condition is evaluated per event kind over the abstract domain of `abstract_value`; the finding names
//! the part at fault: a field the events never carry, an `eventType` no event has, a literal of a type the field
//! never has, or two conditions no one event meets together.

use super::PipelineCheck;
use super::abstract_value::{Event, Truth, equality};
use super::fields::suggest;
use super::narrow::kinds_matching;
use crate::catalog::Id;
use crate::events::{EVENT_TYPE_FIELD, EventKind, FieldType};
use crate::spelling::edit_distance;
use crate::sql::{
    BinaryOp, Expr, ExprKind, Logic, PathSegment, SelectClause, Span, Statement, UnaryOp,
};

/// A part of the WHERE that is never true, and why.
struct Fault {
    span: Span,
    reason: String,
    hint: Option<String>,
}

/// The lifecycle events a rule reads, for evaluating its conditions.
struct Reader<'a> {
    kinds: Vec<EventKind>,
    opaque: &'a [String],
    filter: &'a str,
}

impl Reader<'_> {
    /// The outcomes of `expr` over every kind read.
    fn truth(&self, expr: &Expr) -> Truth {
        self.kinds.iter().fold(Truth::default(), |acc, &kind| {
            acc.or(Event::new(kind, self.opaque).eval(expr).truth())
        })
    }

    fn can_be_true(&self, expr: &Expr) -> bool {
        self.truth(expr).can_be_true
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.kinds.iter().map(|k| k.as_str()).collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }

    /// Why `expr`, never true, is never true: the innermost parts at fault.
    fn faults(&self, expr: &Expr) -> Vec<Fault> {
        match expr.logic() {
            Logic::Or(..) => expr
                .disjuncts()
                .into_iter()
                .flat_map(|d| self.faults(d))
                .collect(),
            // Binary, not flattened: the fault of an AND whose sides can each be true spans that AND.
            Logic::And(lhs, rhs) => {
                if !self.can_be_true(lhs) {
                    self.faults(lhs)
                } else if !self.can_be_true(rhs) {
                    self.faults(rhs)
                } else {
                    vec![Fault {
                        span: expr.span,
                        reason: format!("no {} event meets every part of `{expr}`", self.names()),
                        hint: None,
                    }]
                }
            }
            Logic::Atom => vec![self.atom_fault(expr)],
        }
    }

    /// Why a condition that is not an AND or OR is never true.
    fn atom_fault(&self, expr: &Expr) -> Fault {
        if let Some(fault) = self.undefined_field(expr) {
            return fault;
        }
        if let Some(fault) = self.event_type_literal(expr) {
            return fault;
        }
        if let Some(fault) = self.type_mismatch(expr) {
            return fault;
        }
        Fault {
            span: expr.span,
            reason: format!(
                "`{expr}` is never true for the {} events '{}' reads",
                self.names(),
                self.filter
            ),
            hint: None,
        }
    }

    /// A field none of the kinds carries, in a condition that is then always Undefined.
    fn undefined_field(&self, expr: &Expr) -> Option<Fault> {
        let t = self.truth(expr);
        if t.can_be_false {
            return None;
        }
        let path = expr.field_paths().into_iter().find(|p| {
            self.kinds
                .iter()
                .all(|&kind| Event::new(kind, self.opaque).lacks(p.root()))
                && !p.root().is_empty()
        })?;
        let root = path.root();
        Some(Fault {
            span: path.span,
            reason: format!(
                "`{root}` is not a field of {} events and `{expr}` is always Undefined",
                self.names()
            ),
            hint: suggest(root, &self.kinds).map(|s| format!("did you mean `{s}`?")),
        })
    }

    /// `eventType = 'x'` (or `topic(4)`, or `eventType IN [...]`) with a value no kind read has.
    fn event_type_literal(&self, expr: &Expr) -> Option<Fault> {
        let ExprKind::Binary { op, lhs, rhs } = &expr.kind else {
            return None;
        };
        let read = |value: &str| self.kinds.iter().any(|k| k.as_str() == value);
        let (subject, (value, span)) = match op {
            BinaryOp::Eq if names_event_type(lhs) => (lhs, string_literal(rhs)?),
            BinaryOp::Eq if names_event_type(rhs) => (rhs, string_literal(lhs)?),
            BinaryOp::In if names_event_type(lhs) => match &rhs.kind {
                ExprKind::Array(items) => (
                    lhs,
                    items
                        .iter()
                        .filter_map(string_literal)
                        .find(|(v, _)| !read(v))?,
                ),
                _ => return None,
            },
            _ => return None,
        };
        if read(value) {
            return None;
        }
        Some(self.event_type_fault(subject, value, span))
    }

    /// `subject` (`eventType` or `topic(4)`) is never `value`: the nearest kind read, or where that kind arrives.
    fn event_type_fault(&self, subject: &Expr, value: &str, span: Span) -> Fault {
        let nearest = self
            .kinds
            .iter()
            .map(|k| {
                (
                    edit_distance(&value.to_ascii_lowercase(), k.as_str()),
                    k.as_str(),
                )
            })
            .min()
            .filter(|(d, _)| *d <= 3)
            .map(|(_, name)| name);
        let elsewhere = EventKind::from_name(value).filter(|k| !self.kinds.contains(k));
        let reason = format!(
            "`{subject}` is never `{value}` in the events '{}' reads ({})",
            self.filter,
            self.names()
        );
        let hint = match (nearest, elsewhere) {
            (_, Some(k)) => Some(format!(
                "{} events arrive on '{}/{}/#': widen the FROM filter to read them",
                k.as_str(),
                k.family().topic_prefix(),
                k.as_str()
            )),
            (Some(n), None) => Some(format!("did you mean `{n}`?")),
            (None, None) => None,
        };
        Fault { span, reason, hint }
    }

    /// `field = literal` where the field, in every kind that carries it, has another type.
    fn type_mismatch(&self, expr: &Expr) -> Option<Fault> {
        let ExprKind::Binary {
            op: BinaryOp::Eq,
            lhs,
            rhs,
        } = &expr.kind
        else {
            return None;
        };
        let (field, literal) = match (&lhs.kind, &rhs.kind) {
            (ExprKind::Path(p), _) if is_literal(rhs) => (p, rhs),
            (_, ExprKind::Path(p)) if is_literal(lhs) => (p, lhs),
            _ => return None,
        };
        let [PathSegment::Field(name)] = field.as_slice() else {
            return None;
        };
        let event = Event::new(*self.kinds.first()?, self.opaque);
        let literal_value = event.eval(literal);
        let never = self.kinds.iter().all(|&kind| {
            let e = Event::new(kind, self.opaque);
            !equality(&e.field(&name.name), &literal_value).can_be_true
        });
        let field_type = self.kinds.iter().find_map(|k| k.field(&name.name))?.ty;
        let ty = super::types::InferredType::of_field(field_type).describe();
        let field = &name.name;
        let example = match field_type {
            FieldType::Number => Some(format!("compare with a number, e.g. `{field} = 1`")),
            FieldType::Bool => Some(format!(
                "compare with `true` or `false`, e.g. `{field} = true`"
            )),
            // Only `null` never meets a string field: a number or boolean might be converted.
            FieldType::String | FieldType::StringList => None,
        };
        never.then(|| Fault {
            span: literal.span,
            reason: format!("`{field}` is {ty} in these events, never `{literal}`"),
            hint: example,
        })
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::String(_) | ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Null
    )
}

fn string_literal(e: &Expr) -> Option<(&str, Span)> {
    match &e.kind {
        ExprKind::String(s) => Some((s, e.span)),
        _ => None,
    }
}

/// `eventType`, or `topic(4)`: the kind of the event.
fn names_event_type(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Path(segments) => {
            matches!(segments.as_slice(), [PathSegment::Field(f)] if f.name == EVENT_TYPE_FIELD)
        }
        ExprKind::Call(call) => {
            call.is("topic")
                && matches!(call.args.as_slice(), [arg] if matches!(&arg.kind, ExprKind::Number(n) if *n == crate::events::KIND_TOPIC_LEVEL.to_string()))
        }
        _ => false,
    }
}

impl PipelineCheck<'_> {
    /// A WHERE never true for the events the filter reads is an error (the rule never fires); an OR arm or an
    /// IN element that never matches, next to parts that can, is a warning. Returns the spans of the fields it
    /// named as never carried, so the field check does not say the same thing less precisely.
    pub(super) fn never_fires(&mut self, stmt: &Statement, filter: &str) -> Vec<Span> {
        let Some(where_) = &stmt.where_ else {
            return Vec::new();
        };
        let kinds = kinds_matching(filter);
        if kinds.is_empty() {
            return Vec::new();
        }
        let opaque = select_names(stmt);
        let reader = Reader {
            kinds,
            opaque: &opaque,
            filter,
        };
        let mut named = Vec::new();
        if !reader.can_be_true(where_) {
            for fault in reader.faults(where_) {
                named.push(fault.span);
                self.at_span(
                    Id::NeverFires,
                    fault.span,
                    format!(
                        "{}, so the WHERE is never true and the rule never fires",
                        fault.reason
                    ),
                    fault.hint,
                );
            }
            return named;
        }
        let mut findings = Vec::new();
        dead_branches(&reader, where_, &mut findings);
        for fault in findings {
            named.push(fault.span);
            self.at_span(Id::DeadBranch, fault.span, fault.reason, fault.hint);
        }
        named
    }
}

/// Of `kinds`, those for which the WHERE can be true: what the narrowing by shape keeps, less the kinds the
/// evaluation proves never pass (an `IN` list, a condition never true at all).
pub(super) fn kinds_let_through(stmt: &Statement, kinds: Vec<EventKind>) -> Vec<EventKind> {
    let Some(where_) = &stmt.where_ else {
        return kinds;
    };
    let opaque = select_names(stmt);
    kinds
        .into_iter()
        .filter(|&kind| Event::new(kind, &opaque).eval(where_).truth().can_be_true)
        .collect()
}

/// The OR arms and IN elements that never match, below a condition that can be true.
fn dead_branches(reader: &Reader<'_>, expr: &Expr, out: &mut Vec<Fault>) {
    match expr.logic() {
        // Arm by arm as the tree groups them: a group of arms never true is reported by its faults.
        Logic::Or(lhs, rhs) => {
            for arm in [lhs, rhs] {
                if reader.can_be_true(arm) {
                    dead_branches(reader, arm, out);
                } else {
                    out.extend(reader.faults(arm).into_iter().map(arm_fault));
                }
            }
            return;
        }
        Logic::And(..) => {
            for part in expr.conjuncts() {
                dead_branches(reader, part, out);
            }
            return;
        }
        Logic::Atom => {}
    }
    match &expr.kind {
        ExprKind::Binary {
            op: BinaryOp::In,
            lhs,
            rhs,
        } => {
            let ExprKind::Array(items) = &rhs.kind else {
                return;
            };
            let kinds = &reader.kinds;
            for item in items {
                let never = kinds.iter().all(|&kind| {
                    let e = Event::new(kind, reader.opaque);
                    !equality(&e.eval(lhs), &e.eval(item)).can_be_true
                });
                if !never {
                    continue;
                }
                let fault = match string_literal(item) {
                    Some((value, span)) if names_event_type(lhs) => {
                        reader.event_type_fault(lhs, value, span)
                    }
                    _ => Fault {
                        span: item.span,
                        reason: format!(
                            "`{lhs}` is never `{item}` for the {} events '{}' reads",
                            reader.names(),
                            reader.filter
                        ),
                        hint: None,
                    },
                };
                out.push(arm_fault(fault));
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => {}
        _ => {}
    }
}

fn arm_fault(f: Fault) -> Fault {
    Fault {
        reason: format!("{}, so this part of the WHERE never matches", f.reason),
        ..f
    }
}

/// The names the SELECT gives its results: the checker does not assume a WHERE cannot see them.
fn select_names(stmt: &Statement) -> Vec<String> {
    match &stmt.select {
        SelectClause::Items(items) => items
            .iter()
            .filter_map(|i| i.alias().map(|a| a.name.clone()))
            .collect(),
        _ => Vec::new(),
    }
}
