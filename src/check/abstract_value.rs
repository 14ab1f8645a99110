//! A three-valued evaluation of IoT SQL over an abstract domain: what an expression can yield for one lifecycle
//! event kind, given the fields its payload carries (`events.rs`) and nothing else. Each value is a set of possible
//! types (with the exact values when they are known) and whether it may be Undefined; a condition's outcome is the
//! set of {true, false, Undefined} it can take.
//!
//! The evaluation over-approximates: whatever the rules engine can produce is in the set. Where the AWS IoT SQL
//! reference leaves a case open (`true OR Undefined` is Undefined by the operator table, true by the usual
//! three-valued logic; a string next to a number under `=`), the set holds both readings, so a condition found
//! never true is never true under either. Semantics from the AWS IoT developer guide, "Operators"
//! (<https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html>): `=`/`<>` with an Undefined
//! operand are Undefined, mismatched types are unequal; `< <= > >=` compare numbers (and strings that convert to
//! numbers) and are Undefined otherwise; `AND`/`OR`/`NOT` take booleans or the strings "true"/"false".

use std::cell::Cell;
use std::rc::Rc;

use crate::events::{EVENT_TYPE_FIELD, EventKind, FieldType, KIND_TOPIC_LEVEL};
use crate::sql::{BinaryOp, Expr, ExprKind, PathSegment, UnaryOp};

/// One defined value known exactly.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Exact {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Exact {
    fn ty(&self) -> u8 {
        match self {
            Exact::Str(_) => STR,
            Exact::Num(_) => NUM,
            Exact::Bool(_) => BOOL,
        }
    }
}

const STR: u8 = 1;
const NUM: u8 = 2;
const BOOL: u8 = 4;
const NULL: u8 = 8;
const ARRAY: u8 = 16;
const OBJECT: u8 = 32;
const ALL: u8 = STR | NUM | BOOL | NULL | ARRAY | OBJECT;

/// What an expression can yield: Undefined (when `undefined`), or a value of one of `types`; when `values` is
/// known, the defined value is one of them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Abstract {
    pub(super) undefined: bool,
    types: u8,
    values: Option<Vec<Exact>>,
}

impl Abstract {
    /// Anything at all, Undefined included: what the checker cannot tell.
    pub(super) fn any() -> Abstract {
        Abstract {
            undefined: true,
            types: ALL,
            values: None,
        }
    }

    /// Always Undefined.
    pub(super) fn undefined() -> Abstract {
        Abstract {
            undefined: true,
            types: 0,
            values: None,
        }
    }

    fn exact(value: Exact) -> Abstract {
        Abstract {
            undefined: false,
            types: value.ty(),
            values: Some(vec![value]),
        }
    }

    fn of_types(types: u8, undefined: bool) -> Abstract {
        Abstract {
            undefined,
            types,
            values: None,
        }
    }

    /// A condition's outcomes as a value: booleans, or Undefined.
    fn from_truth(t: Truth) -> Abstract {
        let mut values = Vec::new();
        if t.can_be_true {
            values.push(Exact::Bool(true));
        }
        if t.can_be_false {
            values.push(Exact::Bool(false));
        }
        Abstract {
            undefined: t.can_be_undefined,
            types: if values.is_empty() { 0 } else { BOOL },
            values: Some(values),
        }
    }

    /// Always Undefined: no defined value is possible.
    pub(super) fn is_always_undefined(&self) -> bool {
        self.types == 0
    }

    fn union(mut self, other: Abstract) -> Abstract {
        self.undefined |= other.undefined;
        self.types |= other.types;
        self.values = match (self.values, other.values) {
            (Some(mut a), Some(b)) => {
                for v in b {
                    if !a.contains(&v) {
                        a.push(v);
                    }
                }
                Some(a)
            }
            _ => None,
        };
        self
    }

    /// Whether the value can be a string for which `pred` holds (an unknown string can be anything).
    fn string_can(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.types & STR != 0
            && self
                .values
                .as_ref()
                .is_none_or(|vs| vs.iter().any(|v| matches!(v, Exact::Str(s) if pred(s))))
    }

    fn bool_can(&self, b: bool) -> bool {
        self.types & BOOL != 0
            && self
                .values
                .as_ref()
                .is_none_or(|vs| vs.contains(&Exact::Bool(b)))
    }

    /// Whether the value can be a number, or a string that converts to one.
    fn numeric_can(&self) -> bool {
        self.types & NUM != 0 || self.string_can(looks_numeric)
    }

    /// Whether the value can be something a comparison refuses (Undefined aside).
    fn non_numeric_can(&self) -> bool {
        self.types & !(NUM | STR) != 0 || self.string_can(|s| !looks_numeric(s))
    }

    /// The outcomes of using this value as a condition. Values that are neither booleans nor the strings
    /// "true"/"false" are Undefined as operands of `AND`/`OR`/`NOT`; what a bare WHERE makes of them is not
    /// documented, so they count as possibly true or false too.
    pub(super) fn truth(&self) -> Truth {
        let other = self.types & !(BOOL | STR) != 0;
        Truth {
            can_be_true: self.bool_can(true)
                || self.string_can(|s| s.eq_ignore_ascii_case("true"))
                || other,
            can_be_false: self.bool_can(false)
                || self.string_can(|s| s.eq_ignore_ascii_case("false"))
                || other,
            can_be_undefined: self.undefined
                || other
                || self.string_can(|s| {
                    !s.eq_ignore_ascii_case("true") && !s.eq_ignore_ascii_case("false")
                }),
        }
    }
}

/// The outcomes a condition can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Truth {
    pub(super) can_be_true: bool,
    pub(super) can_be_false: bool,
    pub(super) can_be_undefined: bool,
}

impl Truth {
    pub(super) fn or(self, other: Truth) -> Truth {
        Truth {
            can_be_true: self.can_be_true || other.can_be_true,
            can_be_false: self.can_be_false || other.can_be_false,
            can_be_undefined: self.can_be_undefined || other.can_be_undefined,
        }
    }
}

/// A string the rules engine converts to a number (`^-?\d+(\.\d+)?((?i)E-?\d+)?$`).
fn looks_numeric(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix('-').unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// What one event kind's payload makes of the expressions of a rule reading it. Names in `opaque` (the SELECT's
/// aliases) evaluate to anything: the checker does not assume whether a WHERE sees them.
pub(super) struct Event<'a> {
    kind: EventKind,
    opaque: &'a [String],
    /// Fields known to equal a literal, inside the right side of an `AND` whose left side says so (and the
    /// other way round): what lets `clientId = 'a' AND clientId = 'b'` be seen never true.
    assumed: Vec<(String, Exact)>,
    /// Evaluation steps left, shared with the events derived by [`Event::assuming`]: a conjunction is
    /// evaluated twice, so hostile nesting could cost exponential time; past the budget, anything is possible.
    steps: Rc<Cell<usize>>,
}

/// The most evaluation steps spent on one event: far above any real rule.
const STEP_BUDGET: usize = 20_000;

impl<'a> Event<'a> {
    pub(super) fn new(kind: EventKind, opaque: &'a [String]) -> Event<'a> {
        Event {
            kind,
            opaque,
            assumed: Vec::new(),
            steps: Rc::new(Cell::new(STEP_BUDGET)),
        }
    }

    /// The equality `field = literal` that `condition` states, where the field can only be of the literal's type
    /// (so no conversion can have made it true).
    fn equality_stated(&self, condition: &Expr) -> Option<(String, Exact)> {
        let ExprKind::Binary {
            op: BinaryOp::Eq,
            lhs,
            rhs,
        } = &condition.kind
        else {
            return None;
        };
        [(lhs, rhs), (rhs, lhs)]
            .into_iter()
            .find_map(|(side, other)| {
                let ExprKind::Path(segments) = &side.kind else {
                    return None;
                };
                let [PathSegment::Field(f)] = segments.as_slice() else {
                    return None;
                };
                let field = self.field(&f.name);
                let literal = self.eval(other);
                match literal.values.as_deref() {
                    Some([value]) if literal.types == field.types && !literal.undefined => {
                        Some((f.name.clone(), value.clone()))
                    }
                    _ => None,
                }
            })
    }

    /// The outcomes of a conjunction (nested `AND`s flattened): true only if every part can be, each knowing
    /// the equalities the others state.
    fn conjunction(&self, expr: &Expr) -> Truth {
        let parts = expr.conjuncts();
        let plain: Vec<Truth> = parts.iter().map(|p| self.eval(p).truth()).collect();
        let mut assumed = self.assumed.clone();
        assumed.extend(parts.iter().filter_map(|p| self.equality_stated(p)));
        let mut can_be_true = plain.iter().all(|t| t.can_be_true);
        if can_be_true && assumed.len() > self.assumed.len() {
            let knowing = Event {
                kind: self.kind,
                opaque: self.opaque,
                assumed,
                steps: Rc::clone(&self.steps),
            };
            can_be_true = parts.iter().all(|p| knowing.eval(p).truth().can_be_true);
        }
        Truth {
            can_be_true,
            can_be_false: plain.iter().any(|t| t.can_be_false),
            can_be_undefined: plain.iter().any(|t| t.can_be_undefined),
        }
    }

    /// The value of a top-level payload field: its type from the catalog, its value for `eventType`, Undefined
    /// when the kind never carries it.
    pub(super) fn field(&self, name: &str) -> Abstract {
        if self.opaque.iter().any(|o| o == name) {
            return Abstract::any();
        }
        if let Some((_, value)) = self.assumed.iter().rev().find(|(n, _)| n == name) {
            return Abstract::exact(value.clone());
        }
        let Some(field) = self.kind.field(name) else {
            return Abstract::undefined();
        };
        if name == EVENT_TYPE_FIELD {
            return Abstract::exact(Exact::Str(self.kind.as_str().to_owned()));
        }
        let types = match field.ty {
            FieldType::String => STR,
            FieldType::Number => NUM,
            FieldType::Bool => BOOL,
            FieldType::StringList => ARRAY,
        };
        Abstract::of_types(types, !field.always)
    }

    /// Whether a path's root is a field this kind never carries (and no alias): the path is always Undefined.
    pub(super) fn lacks(&self, name: &str) -> bool {
        !self.opaque.iter().any(|o| o == name) && self.kind.field(name).is_none()
    }

    /// What `expr` can yield for this kind.
    pub(super) fn eval(&self, expr: &Expr) -> Abstract {
        let left = self.steps.get();
        if left == 0 {
            return Abstract::any();
        }
        self.steps.set(left - 1);
        match &expr.kind {
            ExprKind::String(s) => Abstract::exact(Exact::Str(s.clone())),
            ExprKind::Number(n) => match n.parse::<f64>() {
                Ok(v) => Abstract::exact(Exact::Num(v)),
                Err(_) => Abstract::of_types(NUM, false),
            },
            ExprKind::Bool(b) => Abstract::exact(Exact::Bool(*b)),
            ExprKind::Null => Abstract::of_types(NULL, false),
            ExprKind::Array(_) => Abstract::of_types(ARRAY, false),
            ExprKind::Object(_) => Abstract::of_types(OBJECT, false),
            ExprKind::Path(segments) => match segments.as_slice() {
                [PathSegment::Field(f)] => self.field(&f.name),
                [PathSegment::Field(f), ..] if self.lacks(&f.name) => Abstract::undefined(),
                _ => Abstract::any(),
            },
            ExprKind::Unary {
                op: UnaryOp::Not,
                expr,
            } => {
                let t = self.eval(expr).truth();
                Abstract::from_truth(Truth {
                    can_be_true: t.can_be_false,
                    can_be_false: t.can_be_true,
                    can_be_undefined: t.can_be_undefined,
                })
            }
            ExprKind::Binary {
                op: BinaryOp::And, ..
            } => Abstract::from_truth(self.conjunction(expr)),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::Call(call) => match call.args.as_slice() {
                [arg] if call.is("isundefined") => {
                    let v = self.eval(arg);
                    Abstract::from_truth(Truth {
                        can_be_true: v.undefined,
                        can_be_false: !v.is_always_undefined(),
                        can_be_undefined: false,
                    })
                }
                [arg] if call.is("topic") => self.topic_level(arg),
                _ => Abstract::any(),
            },
            ExprKind::Case {
                branches,
                otherwise,
                ..
            } => {
                let mut out = match otherwise {
                    Some(e) => self.eval(e),
                    None => Abstract::undefined(),
                };
                for b in branches {
                    out = out.union(self.eval(&b.then));
                }
                out
            }
            _ => Abstract::any(),
        }
    }

    /// `topic(n)` for the levels fixed by the kind (`$aws/events/<family>/<kind>`); later levels hold the client
    /// ID, which may itself contain `/`.
    fn topic_level(&self, arg: &Expr) -> Abstract {
        let ExprKind::Number(n) = &arg.kind else {
            return Abstract::any();
        };
        let Ok(n) = n.parse::<usize>() else {
            return Abstract::any();
        };
        let topic = self.kind.topic("client");
        match topic.split('/').nth(n.wrapping_sub(1)) {
            Some(level) if (1..=KIND_TOPIC_LEVEL).contains(&n) => {
                Abstract::exact(Exact::Str(level.to_owned()))
            }
            _ => Abstract::any(),
        }
    }

    fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Abstract {
        let (l, r) = (self.eval(lhs), self.eval(rhs));
        let truth = match op {
            BinaryOp::And | BinaryOp::Or => {
                let (a, b) = (l.truth(), r.truth());
                let and = op == BinaryOp::And;
                Truth {
                    can_be_true: if and {
                        a.can_be_true && b.can_be_true
                    } else {
                        a.can_be_true || b.can_be_true
                    },
                    can_be_false: if and {
                        a.can_be_false || b.can_be_false
                    } else {
                        a.can_be_false && b.can_be_false
                    },
                    can_be_undefined: a.can_be_undefined || b.can_be_undefined,
                }
            }
            BinaryOp::Eq => equality(&l, &r),
            BinaryOp::NotEq => {
                let eq = equality(&l, &r);
                Truth {
                    can_be_true: eq.can_be_false,
                    can_be_false: eq.can_be_true,
                    can_be_undefined: eq.can_be_undefined,
                }
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let defined = l.numeric_can() && r.numeric_can();
                Truth {
                    can_be_true: defined,
                    can_be_false: defined,
                    can_be_undefined: l.undefined
                        || r.undefined
                        || l.non_numeric_can()
                        || r.non_numeric_can(),
                }
            }
            BinaryOp::In => match &rhs.kind {
                ExprKind::Array(items) => {
                    let mut t = Truth {
                        can_be_false: true,
                        can_be_undefined: l.undefined,
                        ..Truth::default()
                    };
                    for item in items {
                        t.can_be_true |= equality(&l, &self.eval(item)).can_be_true;
                    }
                    if l.is_always_undefined() {
                        t = Truth {
                            can_be_undefined: true,
                            ..Truth::default()
                        };
                    }
                    t
                }
                _ => {
                    if l.is_always_undefined() {
                        Truth {
                            can_be_undefined: true,
                            ..Truth::default()
                        }
                    } else {
                        Abstract::any().truth()
                    }
                }
            },
            // Arithmetic and concatenation: the checker follows no value through them.
            _ => return Abstract::any(),
        };
        Abstract::from_truth(truth)
    }
}

/// The outcomes of `l = r`: Undefined with an Undefined side; true only when the values can meet. A string and
/// a number (or a boolean) could meet if the engine converted one to the other: the `=` table says it does not,
/// but the check does not rely on that.
pub(super) fn equality(l: &Abstract, r: &Abstract) -> Truth {
    let can_be_undefined = l.undefined || r.undefined;
    if l.is_always_undefined() || r.is_always_undefined() {
        return Truth {
            can_be_undefined,
            ..Truth::default()
        };
    }
    let same_type = match (&l.values, &r.values) {
        (Some(a), Some(b)) => a.iter().any(|x| {
            b.iter().any(|y| match (x, y) {
                (Exact::Num(p), Exact::Num(q)) => p == q,
                _ => x == y,
            })
        }),
        _ => l.types & r.types != 0,
    };
    let converted = |a: &Abstract, b: &Abstract| {
        (a.types & NUM != 0 && b.string_can(looks_numeric))
            || (a.types & BOOL != 0
                && b.string_can(|s| {
                    s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
                }))
    };
    let certainly_equal = match (&l.values, &r.values) {
        (Some(a), Some(b)) => a.len() == 1 && b.len() == 1 && a[0] == b[0],
        _ => false,
    };
    Truth {
        can_be_true: same_type || converted(l, r) || converted(r, l),
        can_be_false: !certainly_equal,
        can_be_undefined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse_expr;

    fn truth(kind: EventKind, text: &str) -> Truth {
        let expr = parse_expr(text).unwrap();
        Event::new(kind, &[]).eval(&expr).truth()
    }

    fn can_be_true(kind: EventKind, text: &str) -> bool {
        truth(kind, text).can_be_true
    }

    #[test]
    fn event_type_is_the_kind() {
        use EventKind::*;
        assert!(can_be_true(Connected, "eventType = 'connected'"));
        assert!(!can_be_true(Connected, "eventType = 'disconnected'"));
        assert!(!can_be_true(Connected, "eventType = 'Connected'"));
        assert!(can_be_true(Connected, "eventType <> 'disconnected'"));
        assert!(!can_be_true(Connected, "eventType <> 'connected'"));
        assert!(can_be_true(Connected, "topic(4) = 'connected'"));
        assert!(!can_be_true(Disconnected, "topic(4) = 'connected'"));
        assert!(can_be_true(Connected, "topic(5) = 'connected'"));
        assert!(!can_be_true(
            Connected,
            "eventType = 'connected' AND eventType = 'disconnected'"
        ));
        assert!(can_be_true(
            Connected,
            "eventType = 'connected' OR eventType = 'disconnected'"
        ));
        assert!(can_be_true(Connected, "eventType IN ['x', 'connected']"));
        assert!(!can_be_true(Connected, "eventType IN ['x', 'y']"));
        assert!(can_be_true(Connected, "NOT eventType = 'x'"));
        assert!(!can_be_true(Connected, "NOT eventType = 'connected'"));
    }

    #[test]
    fn undefined_propagates() {
        use EventKind::*;
        let t = truth(Connected, "eventTyp = 'connected'");
        assert!(!t.can_be_true && !t.can_be_false && t.can_be_undefined);
        // NOT Undefined is Undefined, and <> with Undefined too.
        assert!(!can_be_true(Connected, "NOT eventTyp = 'connected'"));
        assert!(!can_be_true(Connected, "eventTyp <> 'connected'"));
        assert!(!can_be_true(Connected, "eventTyp IN ['connected']"));
        assert!(!can_be_true(Connected, "eventTyp > 3"));
        assert!(!can_be_true(Connected, "eventTyp.x = 3"));
        // isUndefined sees it.
        assert!(can_be_true(Connected, "isUndefined(eventTyp)"));
        assert!(!can_be_true(Connected, "isUndefined(clientId)"));
        assert!(can_be_true(Connected, "isUndefined(thingName)"));
        assert!(can_be_true(Connected, "NOT isUndefined(clientId)"));
        // A field only some events carry may be there.
        assert!(can_be_true(Connected, "thingName = 'lamp'"));
        // `true OR Undefined`: one reading makes it true, so it can be.
        assert!(can_be_true(Connected, "eventTyp = 'x' OR clientId = 'a'"));
        // CASE yields one of its branches, or Undefined without ELSE.
        assert!(!can_be_true(
            Connected,
            "CASE clientId WHEN 'a' THEN 'x' ELSE 'y' END = 'z'"
        ));
        assert!(can_be_true(
            Connected,
            "CASE clientId WHEN 'a' THEN 'x' ELSE 'y' END = 'y'"
        ));
        // Functions the checker does not follow can be anything.
        assert!(can_be_true(Connected, "coalesce(eventTyp, 'a') = 'a'"));
        assert!(can_be_true(Connected, "lower(eventType) = 'x'"));
    }

    #[test]
    fn types_that_never_meet() {
        use EventKind::*;
        assert!(!can_be_true(Connected, "versionNumber = 'x'"));
        // A numeric string might be converted: not called impossible.
        assert!(can_be_true(Connected, "versionNumber = '1'"));
        assert!(can_be_true(Connected, "versionNumber = 1"));
        assert!(can_be_true(Connected, "versionNumber = 1.0"));
        assert!(!can_be_true(
            Disconnected,
            "clientInitiatedDisconnect = 'yes'"
        ));
        assert!(can_be_true(
            Disconnected,
            "clientInitiatedDisconnect = 'TRUE'"
        ));
        assert!(can_be_true(Disconnected, "clientInitiatedDisconnect"));
        // A client ID could be the string "3": not called impossible in case the engine converts.
        assert!(can_be_true(Connected, "clientId = 3"));
        assert!(!can_be_true(Connected, "clientId = null"));
        // Mismatched types are unequal, so <> is true.
        assert!(can_be_true(Connected, "clientId <> 3"));
        assert!(!can_be_true(Connected, "eventType > 3"));
        assert!(can_be_true(Connected, "timestamp > 3"));
        assert!(can_be_true(Connected, "timestamp > '3'"));
        assert!(!can_be_true(Connected, "timestamp > 'soon'"));
        assert!(can_be_true(Connected, "timestamp + 1 > 3"));
    }

    #[test]
    fn conjunctions_see_contradictions() {
        use EventKind::*;
        assert!(!can_be_true(Connected, "clientId = 'a' AND clientId = 'b'"));
        assert!(!can_be_true(
            Connected,
            "clientId = 'a' AND NOT clientId = 'a'"
        ));
        assert!(!can_be_true(
            Connected,
            "versionNumber = 1 AND (versionNumber = 2 OR versionNumber = 3)"
        ));
        assert!(can_be_true(
            Connected,
            "versionNumber = 1 AND (versionNumber = 2 OR versionNumber = 1)"
        ));
        assert!(can_be_true(Connected, "clientId = 'a' AND clientId = 'a'"));
        assert!(can_be_true(Connected, "clientId = 'a' AND clientId <> 'b'"));
        // A literal of another type says nothing about the field's value (a conversion could have matched).
        assert!(can_be_true(Connected, "clientId = 3 AND clientId = '3'"));
        // Only a conjunction assumes: under OR nothing is known.
        assert!(can_be_true(
            Connected,
            "(clientId = 'a' OR clientId = 'b') AND clientId = 'b'"
        ));
    }

    #[test]
    fn hostile_nesting_stays_cheap() {
        // 60 levels of alternating AND/OR: without the budget, each level doubles the work.
        let mut text = "clientId = 'a'".to_owned();
        for i in 0..60 {
            let op = if i % 2 == 0 { "AND" } else { "OR" };
            text = format!("(clientId = 'a' {op} {text})");
        }
        let expr = parse_expr(&text).unwrap();
        let started = std::time::Instant::now();
        let t = Event::new(EventKind::Connected, &[]).eval(&expr).truth();
        assert!(t.can_be_true);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn aliases_are_not_assumed() {
        let expr = parse_expr("kind = 'x'").unwrap();
        let opaque = ["kind".to_owned()];
        let event = Event::new(EventKind::Connected, &opaque);
        assert!(event.eval(&expr).truth().can_be_true);
    }

    #[test]
    fn numeric_strings() {
        for s in ["1", "-1", "1.5", "2e3", "2E-3", "-0.5e10"] {
            assert!(looks_numeric(s), "{s}");
        }
        for s in ["", "x", "1.", ".5", "1e", "--1", "1x"] {
            assert!(!looks_numeric(s), "{s}");
        }
    }

    /// Soundness against the local evaluator: whenever `simulate`'s evaluator makes a condition true on an event
    /// shaped like the catalog's, the abstract evaluation for that kind says it can be true.
    mod against_the_evaluator {
        use super::*;
        use crate::sql::{CompiledExpr, Input, SqlValue};
        use proptest::prelude::*;
        use serde_json::{Value as Json, json};

        const FIELDS: &[&str] = &[
            "eventType",
            "eventTyp",
            "clientId",
            "versionNumber",
            "thingName",
            "clientInitiatedDisconnect",
            "timestamp",
            "topics",
            "topic(4)",
            "topic(5)",
        ];
        const LITERALS: &[&str] = &[
            "'connected'",
            "'disconnected'",
            "'subscribed'",
            "'conected'",
            "'a'",
            "'b'",
            "'3'",
            "'true'",
            "1",
            "2",
            "3",
            "1.0",
            "true",
            "false",
            "null",
        ];

        fn atom() -> impl Strategy<Value = String> {
            let field = prop::sample::select(FIELDS);
            let literal = prop::sample::select(LITERALS);
            prop_oneof![
                (
                    field.clone(),
                    prop::sample::select(&["=", "<>", "<", ">="][..]),
                    literal.clone()
                )
                    .prop_map(|(f, op, l)| format!("{f} {op} {l}")),
                (field.clone(), literal.clone(), literal.clone())
                    .prop_map(|(f, a, b)| format!("{f} IN [{a}, {b}]")),
                field.clone().prop_map(|f| format!("isUndefined({f})")),
                field.clone().prop_map(str::to_owned),
                (field, literal.clone(), literal.clone(), literal).prop_map(|(f, a, b, c)| {
                    format!("CASE {f} WHEN {a} THEN {b} ELSE {c} END = {a}")
                }),
            ]
        }

        fn condition() -> impl Strategy<Value = String> {
            atom().prop_recursive(4, 24, 2, |inner| {
                prop_oneof![
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
                    inner.prop_map(|a| format!("NOT ({a})")),
                ]
            })
        }

        /// A payload of `kind` with the catalog's fields and types; optional fields present or not.
        fn payload(kind: EventKind, pick: u8) -> Json {
            let mut out = serde_json::Map::new();
            for f in kind.fields() {
                if !f.always && pick & 1 == 0 {
                    continue;
                }
                let value = match (f.name, f.ty) {
                    ("eventType", _) => json!(kind.as_str()),
                    (_, FieldType::String) => {
                        json!(["a", "b", "3", "true"][usize::from(pick >> 1) % 4])
                    }
                    (_, FieldType::Number) => json!(1 + i64::from(pick >> 3) % 3),
                    (_, FieldType::Bool) => json!(pick & 2 == 0),
                    (_, FieldType::StringList) => json!(["a/b"]),
                };
                out.insert(f.name.to_owned(), value);
            }
            Json::Object(out)
        }

        proptest! {
            #[test]
            fn true_for_a_real_event_means_can_be_true(text in condition(), pick in any::<u8>()) {
                let expr = parse_expr(&text).unwrap();
                let compiled = CompiledExpr::compile(&expr).unwrap();
                for kind in EventKind::ALL {
                    let payload = payload(kind, pick);
                    let client = payload.get("clientId").and_then(Json::as_str).unwrap_or("a").to_owned();
                    let topic = kind.topic(&client);
                    let real = compiled.eval(&Input::new(&topic, &payload));
                    if matches!(real, SqlValue::Bool(true)) {
                        prop_assert!(
                            Event::new(kind, &[]).eval(&expr).truth().can_be_true,
                            "{text} is true on {payload} ({kind:?}) but judged never true"
                        );
                    }
                }
            }
        }
    }
}
