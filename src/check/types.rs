//! What an expression yields, as far as can be told without running it: from its shape, the payload schema of
//! the kinds the rule reads (`events.rs`) and the result types of the function catalog (`sql::functions`).

use std::collections::BTreeSet;

use crate::events::{EventKind, FieldType};
use crate::sql::functions::Returns;
use crate::sql::{self, BinaryOp, Expr, ExprKind, UnaryOp};

/// What an expression yields, as far as can be told without running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InferredType {
    String,
    Number,
    Bool,
    /// Null, arrays, objects: never a valid key.
    Other,
    Unknown,
}

impl InferredType {
    pub(super) fn of_field(t: FieldType) -> InferredType {
        match t {
            FieldType::String => InferredType::String,
            FieldType::Number => InferredType::Number,
            FieldType::Bool => InferredType::Bool,
            FieldType::StringList => InferredType::Other,
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            InferredType::String => "a string (S)",
            InferredType::Number => "a number (N)",
            InferredType::Bool => "a boolean",
            InferredType::Other => "a list, object or null",
            InferredType::Unknown => "a value of unknown type",
        }
    }
}

/// The type an expression yields, when it can be told from its shape and the payload schema.
pub(super) fn infer(expr: &Expr, kinds: Option<&[EventKind]>) -> InferredType {
    match &expr.kind {
        ExprKind::String(_) => InferredType::String,
        ExprKind::Number(_) => InferredType::Number,
        ExprKind::Bool(_) => InferredType::Bool,
        ExprKind::Null | ExprKind::Array(_) | ExprKind::Object(_) => InferredType::Other,
        ExprKind::Path(segments) => {
            let (Some(kinds), [sql::PathSegment::Field(f)]) = (kinds, segments.as_slice()) else {
                return InferredType::Unknown;
            };
            let types: BTreeSet<_> = kinds
                .iter()
                .filter_map(|k| k.field(&f.name))
                .map(|f| f.ty as u8)
                .collect();
            match (types.len(), kinds.iter().find_map(|k| k.field(&f.name))) {
                (1, Some(field)) => InferredType::of_field(field.ty),
                _ => InferredType::Unknown,
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => InferredType::Number,
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => InferredType::Bool,
        ExprKind::Binary { op, lhs, rhs } => match op {
            BinaryOp::Add => match (infer(lhs, kinds), infer(rhs, kinds)) {
                (InferredType::Number, InferredType::Number) => InferredType::Number,
                (InferredType::String, InferredType::String) => InferredType::String,
                _ => InferredType::Unknown,
            },
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => InferredType::Number,
            _ => InferredType::Bool,
        },
        ExprKind::Cast { ty, .. } => match ty.lower().as_str() {
            "string" => InferredType::String,
            "int" | "decimal" => InferredType::Number,
            "bool" | "boolean" => InferredType::Bool,
            _ => InferredType::Unknown,
        },
        ExprKind::Call(call) => match sql::functions::lookup(&call.name.name).map(|f| f.returns) {
            Some(Returns::String) => InferredType::String,
            Some(Returns::Number) => InferredType::Number,
            Some(Returns::Bool) => InferredType::Bool,
            Some(Returns::SameAsArguments) => {
                let types: BTreeSet<_> = call.args.iter().map(|a| infer(a, kinds) as u8).collect();
                match (types.len(), call.args.first()) {
                    (1, Some(first)) => infer(first, kinds),
                    _ => InferredType::Unknown,
                }
            }
            Some(Returns::Unknown) | None => InferredType::Unknown,
        },
        _ => InferredType::Unknown,
    }
}
