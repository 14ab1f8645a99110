//! Constructors for the trees presence-stack writes itself: the generated rule and the default event key.
//!
//! A generated statement is built here as a tree and printed by the printer (`print.rs`), never assembled from
//! strings, so that what the template carries is what the parser reads back: the printer adds exactly the
//! parentheses precedence needs and quotes every string literal. Built nodes carry empty spans; the model parses
//! the printed text once, and the spans of that parse are the ones diagnostics use.

use super::ast::{
    BinaryOp, Call, Expr, ExprKind, Ident, PathSegment, SelectClause, SelectItem, Span, Statement,
    TopicFrom, WhenThen,
};

fn node(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::default())
}

/// A field of the input document, `name`.
pub fn field(name: &str) -> Expr {
    node(ExprKind::Path(vec![PathSegment::Field(ident(name))]))
}

/// A string literal.
pub fn string(text: &str) -> Expr {
    node(ExprKind::String(text.to_owned()))
}

/// A whole-number literal.
pub fn number(n: u64) -> Expr {
    node(ExprKind::Number(n.to_string()))
}

/// A call of the function `name`.
pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    node(ExprKind::Call(Call {
        name: ident(name),
        args,
    }))
}

/// `cast(expr AS ty)`.
pub fn cast(expr: Expr, ty: &str) -> Expr {
    node(ExprKind::Cast {
        expr: Box::new(expr),
        ty: ident(ty),
    })
}

/// `lhs op rhs`.
pub fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    node(ExprKind::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    })
}

/// The disjunction of `terms`, left to right; `None` when there are none.
pub fn any_of(terms: impl IntoIterator<Item = Expr>) -> Option<Expr> {
    terms
        .into_iter()
        .reduce(|all, term| binary(BinaryOp::Or, all, term))
}

/// `CASE operand WHEN .. THEN .. ELSE otherwise END`.
pub fn case(operand: Expr, branches: Vec<(Expr, Expr)>, otherwise: Expr) -> Expr {
    node(ExprKind::Case {
        operand: Some(Box::new(operand)),
        branches: branches
            .into_iter()
            .map(|(when, then)| WhenThen { when, then })
            .collect(),
        otherwise: Some(Box::new(otherwise)),
    })
}

/// The select item `*`.
pub fn wildcard() -> SelectItem {
    SelectItem::Wildcard {
        alias: None,
        span: Span::default(),
    }
}

/// The select item `expr AS alias`.
pub fn aliased(expr: Expr, alias: &str) -> SelectItem {
    SelectItem::Expr {
        expr,
        alias: Some(ident(alias)),
        span: Span::default(),
    }
}

/// `SELECT items FROM 'filter' [WHERE condition]`.
pub fn select(items: Vec<SelectItem>, filter: &str, condition: Option<Expr>) -> Statement {
    Statement {
        set: Vec::new(),
        select: SelectClause::Items(items),
        from: Some(TopicFrom {
            filter: filter.to_owned(),
            span: Span::default(),
        }),
        where_: condition,
        span: Span::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;

    #[test]
    fn a_built_statement_prints_as_sql_that_parses_back_to_it() {
        let key = call(
            "concat",
            vec![
                field("timestamp"),
                string("#"),
                call("md5", vec![cast(field("topics"), "String")]),
            ],
        );
        let ttl = binary(
            BinaryOp::Add,
            call(
                "floor",
                vec![binary(BinaryOp::Div, field("timestamp"), number(1000))],
            ),
            number(60),
        );
        let kinds =
            ["connected", "it's"].map(|k| binary(BinaryOp::Eq, field("eventType"), string(k)));
        let statement = select(
            vec![wildcard(), aliased(key, "k"), aliased(ttl, "t")],
            "$aws/events/presence/#",
            any_of(kinds),
        );
        let sql = statement.to_string();
        assert_eq!(
            sql,
            "SELECT *, concat(timestamp, '#', md5(cast(topics AS String))) AS k, \
             floor(timestamp / 1000) + 60 AS t FROM '$aws/events/presence/#' \
             WHERE eventType = 'connected' OR eventType = 'it\\'s'"
        );
        assert_eq!(parse(&sql).unwrap().without_spans(), statement);
    }

    #[test]
    fn the_printer_adds_the_parentheses_precedence_needs() {
        let sum = binary(BinaryOp::Add, field("a"), field("b"));
        let product = binary(BinaryOp::Mul, sum, number(2));
        assert_eq!(product.to_string(), "(a + b) * 2");
        assert_eq!(any_of([]), None);
    }
}
