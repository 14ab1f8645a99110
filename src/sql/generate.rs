//! Proptest strategies for syntax trees in the normal form the parser produces, for the round-trip properties of
//! the printer (print, then parse, gives the same tree) and for the evaluator's never-panic properties.
//!
//! Every construct of the grammar is produced: SET variables, `*` as an argument and as a path's base, nested
//! SELECTs, dotted aliases, statements without FROM. What the parser refuses is repaired after generation rather
//! than filtered out (a variable nobody set becomes one that is set, or `NULL`; a `*` under a WHERE becomes
//! `NULL`), so that no case is thrown away.

use proptest::prelude::*;

use super::BinaryOp;
use super::ast::{
    Assignment, Call, Expr, ExprKind, Ident, ObjectEntry, PathSegment, SelectClause, SelectItem,
    Span, Statement, Subquery, TopicFrom, UnaryOp, WhenThen,
};
use super::keywords::is_reserved_word;

fn ident(name: String) -> Ident {
    Ident::new(name, Span::default())
}

fn expr(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

/// Names usable where an identifier is required.
pub(crate) fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}".prop_filter("reserved", |s| !is_reserved_word(s)),
        1 => prop_oneof![
            Just("value".to_string()),
            Just("VALUE".to_string()),
            Just("cast".to_string()),
            Just("set".to_string()),
            Just("timestamp".to_string()),
            Just("e1".to_string()),
        ],
    ]
}

/// Names after a dot, where reserved words are allowed too.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => name(),
        1 => prop_oneof![
            Just("end".to_string()),
            Just("SELECT".to_string()),
            Just("null".to_string()),
            Just("from".to_string()),
        ],
    ]
}

/// An alias: a name, or a dotted one (`AS a.b`).
fn alias() -> impl Strategy<Value = Option<Ident>> {
    prop::option::of(
        (name(), prop::collection::vec(name(), 0..3)).prop_map(|(first, rest)| {
            ident(
                std::iter::once(first)
                    .chain(rest)
                    .collect::<Vec<_>>()
                    .join("."),
            )
        }),
    )
}

fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a'\"\\\\\n\t\r /#+$é😀]{0,8}",]
}

fn number() -> impl Strategy<Value = String> {
    "[0-9]{1,4}(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?"
}

/// Variables are named `v0`, `v1`...; [`repair`] points each at one that is set.
fn variable() -> impl Strategy<Value = Expr> {
    (0usize..4).prop_map(|n| expr(ExprKind::Variable(ident(format!("v{n}")))))
}

fn path(first: String, rest: Vec<PathSegment>) -> Expr {
    let mut segments = vec![PathSegment::Field(ident(first))];
    segments.extend(rest);
    expr(ExprKind::Path(segments))
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        string_value().prop_map(|s| expr(ExprKind::String(s))),
        number().prop_map(|n| expr(ExprKind::Number(n))),
        any::<bool>().prop_map(|b| expr(ExprKind::Bool(b))),
        Just(expr(ExprKind::Null)),
        (name(), prop::collection::vec(field_name(), 0..3)).prop_map(|(first, rest)| path(
            first,
            rest.into_iter()
                .map(|n| PathSegment::Field(ident(n)))
                .collect()
        )),
        variable(),
    ]
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(vec![
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::NotEq,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::In,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Mod,
    ])
}

fn segment(inner: impl Strategy<Value = Expr>) -> impl Strategy<Value = PathSegment> {
    prop_oneof![
        field_name().prop_map(|n| PathSegment::Field(ident(n))),
        inner.prop_map(PathSegment::Index),
    ]
}

fn select_item(inner: impl Strategy<Value = Expr> + 'static) -> BoxedStrategy<SelectItem> {
    prop_oneof![
        1 => alias().prop_map(|alias| SelectItem::Wildcard {
            alias,
            span: Span::default()
        }),
        4 => (inner, alias()).prop_map(|(expr, alias)| SelectItem::Expr {
            expr,
            alias,
            span: Span::default()
        }),
    ]
    .boxed()
}

fn select_clause(
    inner: impl Strategy<Value = Expr> + Clone + 'static,
) -> BoxedStrategy<SelectClause> {
    prop_oneof![
        3 => prop::collection::vec(select_item(inner.clone()), 1..4).prop_map(SelectClause::Items),
        1 => prop_oneof![
            3 => inner,
            1 => Just(expr(ExprKind::Wildcard)),
        ]
        .prop_map(SelectClause::Value),
    ]
    .boxed()
}

/// What a nested SELECT reads: a path, a variable, or a path on `*`.
fn subquery_source() -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => (name(), prop::collection::vec(field_name(), 0..2)).prop_map(|(first, rest)| path(
            first,
            rest.into_iter()
                .map(|n| PathSegment::Field(ident(n)))
                .collect()
        )),
        1 => variable(),
        1 => field_name().prop_map(|n| expr(ExprKind::Access {
            base: Box::new(expr(ExprKind::Wildcard)),
            segments: vec![PathSegment::Field(ident(n))],
        })),
    ]
}

/// Trees in the normal form the parser produces: accesses on a plain path are folded into the path, calls are
/// never named `cast`. Variables may name ones nobody set and `*` may sit under a WHERE: see [`repair`].
pub(crate) fn any_expr() -> impl Strategy<Value = Expr> + Clone {
    leaf().prop_recursive(4, 48, 3, |inner| {
        let boxed = |e: Expr| Box::new(e);
        let argument = prop_oneof![5 => inner.clone(), 1 => Just(expr(ExprKind::Wildcard))];
        let access_base = prop_oneof![
            4 => inner.clone().prop_filter("paths fold", |e| !matches!(
                e.kind,
                ExprKind::Path(_) | ExprKind::Access { .. }
            )),
            1 => Just(expr(ExprKind::Wildcard)),
        ];
        prop_oneof![
            (name(), prop::collection::vec(segment(inner.clone()), 1..3))
                .prop_map(|(first, rest)| path(first, rest))
                .boxed(),
            (
                access_base,
                prop::collection::vec(segment(inner.clone()), 1..3)
            )
                .prop_map(move |(base, segments)| expr(ExprKind::Access {
                    base: boxed(base),
                    segments
                }))
                .boxed(),
            (any::<bool>(), inner.clone())
                .prop_map(move |(neg, e)| expr(ExprKind::Unary {
                    op: if neg { UnaryOp::Neg } else { UnaryOp::Not },
                    expr: boxed(e),
                }))
                .boxed(),
            (binary_op(), inner.clone(), inner.clone())
                .prop_map(move |(op, l, r)| expr(ExprKind::Binary {
                    op,
                    lhs: boxed(l),
                    rhs: boxed(r)
                }))
                .boxed(),
            (
                name().prop_filter("cast is special", |n| !n.eq_ignore_ascii_case("cast")),
                prop::collection::vec(argument, 0..3)
            )
                .prop_map(|(n, args)| expr(ExprKind::Call(Call {
                    name: ident(n),
                    args
                })))
                .boxed(),
            (inner.clone(), name())
                .prop_map(move |(e, ty)| expr(ExprKind::Cast {
                    expr: boxed(e),
                    ty: ident(ty)
                }))
                .boxed(),
            (
                prop::option::of(inner.clone()),
                prop::collection::vec((inner.clone(), inner.clone()), 1..3),
                prop::option::of(inner.clone())
            )
                .prop_map(move |(operand, branches, otherwise)| expr(ExprKind::Case {
                    operand: operand.map(boxed),
                    branches: branches
                        .into_iter()
                        .map(|(when, then)| WhenThen { when, then })
                        .collect(),
                    otherwise: otherwise.map(boxed),
                }))
                .boxed(),
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| expr(ExprKind::Array(items)))
                .boxed(),
            prop::collection::vec((string_value(), inner.clone()), 0..3)
                .prop_map(|entries| {
                    expr(ExprKind::Object(
                        entries
                            .into_iter()
                            .map(|(key, value)| ObjectEntry {
                                key,
                                key_span: Span::default(),
                                value,
                            })
                            .collect(),
                    ))
                })
                .boxed(),
            (
                select_clause(inner.clone()),
                subquery_source(),
                prop::option::of(inner)
            )
                .prop_map(
                    |(select, from, where_)| expr(ExprKind::Subquery(Box::new(Subquery {
                        select,
                        from: Box::new(from),
                        where_: where_.map(Box::new),
                    })))
                )
                .boxed(),
        ]
    })
}

/// A standalone expression as `parse_expr` reads it: no variables (there is no SET clause to set them).
pub(crate) fn standalone_expr() -> impl Strategy<Value = Expr> {
    any_expr().prop_map(|mut e| {
        repair(&mut e, 0, false);
        e
    })
}

/// Statements with up to three SET variables, an optional FROM and an optional WHERE, repaired so that the
/// parser accepts them.
pub(crate) fn any_statement() -> impl Strategy<Value = Statement> {
    (
        prop::collection::vec(any_expr(), 0..3),
        select_clause(any_expr()),
        prop::option::of(string_value()),
        prop::option::of(any_expr()),
    )
        .prop_map(|(set, mut select, filter, mut where_)| {
            let set: Vec<Assignment> = set
                .into_iter()
                .enumerate()
                .map(|(i, mut value)| {
                    repair(&mut value, i, false);
                    Assignment {
                        name: ident(format!("v{i}")),
                        value,
                    }
                })
                .collect();
            let defined = set.len();
            repair_select(&mut select, defined);
            if let Some(w) = &mut where_ {
                repair(w, defined, true);
            }
            Statement {
                set,
                select,
                from: filter.map(|filter| TopicFrom {
                    filter,
                    span: Span::default(),
                }),
                where_,
                span: Span::default(),
            }
        })
}

fn repair_select(select: &mut SelectClause, defined: usize) {
    match select {
        SelectClause::Items(items) => {
            for item in items {
                if let SelectItem::Expr { expr, .. } = item {
                    repair(expr, defined, false);
                }
            }
        }
        SelectClause::Value(e) => repair(e, defined, false),
    }
}

/// Makes a generated tree one the parser accepts: variable `vN` becomes one of the `defined` ones (`v0`...),
/// or `NULL` when none is; a `*` under a WHERE, where AWS refuses it, becomes `NULL`.
pub(crate) fn repair(e: &mut Expr, defined: usize, in_where: bool) {
    let segments = |segments: &mut Vec<PathSegment>| {
        for seg in segments {
            if let PathSegment::Index(ix) = seg {
                repair(ix, defined, in_where);
            }
        }
    };
    match &mut e.kind {
        ExprKind::Variable(name) => {
            let n: usize = name.name.trim_start_matches('v').parse().unwrap_or(0);
            match defined {
                0 => e.kind = ExprKind::Null,
                d => name.name = format!("v{}", n % d),
            }
        }
        ExprKind::Wildcard if in_where => e.kind = ExprKind::Null,
        ExprKind::Wildcard
        | ExprKind::String(_)
        | ExprKind::Number(_)
        | ExprKind::Bool(_)
        | ExprKind::Null => {}
        ExprKind::Path(segs) => segments(segs),
        ExprKind::Access {
            base,
            segments: segs,
        } => {
            repair(base, defined, in_where);
            segments(segs);
        }
        ExprKind::Array(items) => items.iter_mut().for_each(|i| repair(i, defined, in_where)),
        ExprKind::Object(entries) => entries
            .iter_mut()
            .for_each(|en| repair(&mut en.value, defined, in_where)),
        ExprKind::Unary { expr, .. } | ExprKind::Cast { expr, .. } => {
            repair(expr, defined, in_where)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            repair(lhs, defined, in_where);
            repair(rhs, defined, in_where);
        }
        ExprKind::Call(call) => call
            .args
            .iter_mut()
            .for_each(|a| repair(a, defined, in_where)),
        ExprKind::Case {
            operand,
            branches,
            otherwise,
        } => {
            for x in operand.iter_mut().chain(otherwise.iter_mut()) {
                repair(x, defined, in_where);
            }
            for b in branches {
                repair(&mut b.when, defined, in_where);
                repair(&mut b.then, defined, in_where);
            }
        }
        ExprKind::Subquery(sub) => {
            if in_where {
                // Even the nested SELECT's own items may not use `*` under a WHERE.
                match &mut sub.select {
                    SelectClause::Items(items) => {
                        for item in items.iter_mut() {
                            if let SelectItem::Expr { expr, .. } = item {
                                repair(expr, defined, true);
                            }
                        }
                    }
                    SelectClause::Value(v) => repair(v, defined, true),
                }
            } else {
                repair_select(&mut sub.select, defined);
            }
            repair(&mut sub.from, defined, in_where);
            if let Some(w) = &mut sub.where_ {
                repair(w, defined, true);
            }
        }
    }
}
