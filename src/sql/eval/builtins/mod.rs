//! The functions of `iot-sql-functions` that a local run computes, one file per family: [`math`] (numbers and
//! bits), [`string`] (strings, `concat`, `md5`), [`values`] (`get`, defaults and type tests) and [`context`]
//! (what the message's context gives: topic, client id, clock, UUIDs). Which names exist and which of them run
//! here is the catalog's business ([`crate::sql::functions`]); this module only maps each [`Builtin`] to its
//! implementation.

mod context;
mod math;
mod string;
mod values;

use super::compile::Node;
use super::evaluated::{Evaluated, UNDEFINED};
use super::ops::arith;
use super::run::{Context, eval};
use super::value::Value;
use crate::sql::ast::BinaryOp;
use crate::sql::functions::Builtin;

/// The arguments of one call, evaluated on demand and in order (`newuuid()` counts its calls, so the order in
/// which arguments are evaluated shows in its results).
struct Args<'a, 'c> {
    nodes: &'a [Node],
    cx: &'c Context<'a>,
}

impl<'a> Args<'a, '_> {
    /// Argument `i`; Undefined past the last one.
    fn get(&self, i: usize) -> Evaluated<'a> {
        self.nodes.get(i).map_or(UNDEFINED, |n| eval(n, self.cx))
    }

    /// Argument `i` when the call has one.
    fn optional(&self, i: usize) -> Option<Evaluated<'a>> {
        self.nodes.get(i).map(|n| eval(n, self.cx))
    }
}

/// Runs builtin `f` on its argument nodes.
pub(super) fn call<'a>(f: Builtin, nodes: &'a [Node], cx: &Context<'a>) -> Evaluated<'a> {
    let args = Args { nodes, cx };
    let owned = Evaluated::Owned;
    use Builtin as B;
    match f {
        B::Topic => context::topic(args.optional(0), cx),
        B::ClientId => context::client_id(cx),
        B::SqlVersion => context::sql_version(),
        B::Timestamp => owned(Value::Int(cx.now_ms)),
        B::NewUuid => owned(Value::String(cx.new_uuid())),

        B::GetOrDefault | B::Nanvl => values::or_default(args.get(0), || args.get(1)),
        B::Get => values::get(args.get(0), &args.get(1)),
        B::IsNull => owned(values::is_null(&args.get(0))),
        B::IsUndefined => owned(Value::Bool(args.get(0).is_undefined())),

        B::Abs => owned(math::abs(&args.get(0))),
        B::Floor | B::Ceil | B::Round => owned(math::to_whole(f, &args.get(0))),
        B::Sign => owned(math::sign(&args.get(0))),
        B::Acos
        | B::Asin
        | B::Atan
        | B::Cos
        | B::Cosh
        | B::Exp
        | B::Ln
        | B::Log
        | B::Sin
        | B::Sinh
        | B::Sqrt
        | B::Tan
        | B::Tanh => owned(math::double(f, &args.get(0))),
        B::Atan2 | B::Power => owned(math::double2(f, &args.get(0), &args.get(1))),
        B::Mod => owned(arith(BinaryOp::Mod, &args.get(0), &args.get(1))),
        B::Trunc => {
            // The places first, as it always was.
            let places = args.get(1);
            owned(math::trunc(&args.get(0), &places))
        }
        B::BitAnd | B::BitOr | B::BitXor => owned(math::bits(f, &args.get(0), &args.get(1))),
        B::BitNot => owned(math::bit_not(&args.get(0))),

        B::Concat => string::concat(nodes, cx),
        B::Chr => owned(string::chr(&args.get(0))),
        B::Lower => owned(string::lower(&args.get(0))),
        B::Upper => owned(string::upper(&args.get(0))),
        B::Md5 => owned(string::md5(&args.get(0))),
        B::Trim | B::Ltrim | B::Rtrim => owned(string::trim(f, &args.get(0))),
        B::Length => owned(string::length(&args.get(0))),
        B::NumBytes => owned(string::num_bytes(&args.get(0))),
        B::Lpad | B::Rpad => owned(string::pad(f, &args.get(0), &args.get(1))),
        B::StartsWith | B::EndsWith => owned(string::affix(f, &args.get(0), &args.get(1))),
        B::IndexOf => owned(string::index_of(&args.get(0), &args.get(1))),
        B::Replace => owned(string::replace(&args.get(0), &args.get(1), &args.get(2))),
        B::Substring => owned(string::substring(
            &args.get(0),
            &args.get(1),
            args.optional(2),
        )),
    }
}
