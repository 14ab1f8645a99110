//! The AND/OR structure of a condition, for the checks that reason about a WHERE: where it splits at its
//! outermost connective ([`Expr::logic`]), and the parts of nested ANDs, of nested ORs, or of both, flattened
//! by one walk ([`Expr::conjuncts`], [`Expr::disjuncts`], [`Expr::logic_atoms`]).

use super::ast::{BinaryOp, Expr, ExprKind};

/// An expression at its outermost connective.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Logic<'e> {
    /// `lhs AND rhs`.
    And(&'e Expr, &'e Expr),
    /// `lhs OR rhs`.
    Or(&'e Expr, &'e Expr),
    /// Anything else: a comparison, a `NOT`, a call, a literal...
    Atom,
}

impl Expr {
    /// The expression split at its outermost AND or OR.
    pub fn logic(&self) -> Logic<'_> {
        match &self.kind {
            ExprKind::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
            } => Logic::And(lhs, rhs),
            ExprKind::Binary {
                op: BinaryOp::Or,
                lhs,
                rhs,
            } => Logic::Or(lhs, rhs),
            _ => Logic::Atom,
        }
    }

    /// The parts nested ANDs join, left to right, whatever the grouping: `a AND (b AND c)` gives `a`, `b`, `c`;
    /// an expression that is no AND gives itself.
    pub fn conjuncts(&self) -> Vec<&Expr> {
        self.parts(true, false)
    }

    /// The parts nested ORs join, left to right; an expression that is no OR gives itself.
    pub fn disjuncts(&self) -> Vec<&Expr> {
        self.parts(false, true)
    }

    /// The conditions below any mix of ANDs and ORs, left to right: `a AND (b OR NOT c)` gives `a`, `b`,
    /// `NOT c`.
    pub fn logic_atoms(&self) -> Vec<&Expr> {
        self.parts(true, true)
    }

    /// The one walk: down through the ANDs and ORs chosen, collecting what stands below them.
    fn parts(&self, through_and: bool, through_or: bool) -> Vec<&Expr> {
        fn walk<'e>(e: &'e Expr, through_and: bool, through_or: bool, out: &mut Vec<&'e Expr>) {
            match e.logic() {
                Logic::And(lhs, rhs) if through_and => {
                    walk(lhs, through_and, through_or, out);
                    walk(rhs, through_and, through_or, out);
                }
                Logic::Or(lhs, rhs) if through_or => {
                    walk(lhs, through_and, through_or, out);
                    walk(rhs, through_and, through_or, out);
                }
                _ => out.push(e),
            }
        }
        let mut out = Vec::new();
        walk(self, through_and, through_or, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::parse_expr;

    fn texts(parts: Vec<&crate::sql::Expr>) -> Vec<String> {
        parts.into_iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parts_of_conditions() {
        let e = parse_expr("a = 1 AND (b OR NOT c) AND (d AND e OR f)").unwrap();
        assert_eq!(
            texts(e.conjuncts()),
            ["a = 1", "b OR NOT c", "d AND e OR f"]
        );
        assert_eq!(texts(e.disjuncts()), [e.to_string()]);
        assert_eq!(
            texts(e.logic_atoms()),
            ["a = 1", "b", "NOT c", "d", "e", "f"]
        );
        let e = parse_expr("a OR (b OR c AND d)").unwrap();
        assert_eq!(texts(e.disjuncts()), ["a", "b", "c AND d"]);
        assert_eq!(texts(e.conjuncts()), [e.to_string()]);
        let e = parse_expr("NOT (a AND b)").unwrap();
        assert_eq!(texts(e.logic_atoms()), ["NOT (a AND b)"]);
    }
}
