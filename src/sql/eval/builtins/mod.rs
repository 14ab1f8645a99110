//! The functions of `iot-sql-functions` that a local run computes, one file per family: [`math`] (numbers and
//! bits), [`string`] (strings, `concat`), [`hash`] (`md2` to `sha512`), [`encoding`] (`encode`, `decode`),
//! [`regexp`] (`regexp_matches`, `regexp_replace`, `regexp_substr`, on Java patterns rewritten by
//! [`java_regex`]), [`time_format`] (`parse_time`) and [`time_parse`] (`time_to_epoch`) on the patterns of
//! [`time_pattern`], [`transform`], [`values`] (`get`, defaults and type tests) and [`context`] (what the
//! message's context gives: topic, client id, clock, UUIDs, `rand`). Which names exist and which of them run
//! here is the catalog's business ([`crate::sql::functions`]); this module maps each [`Builtin`] to its
//! implementation, and [`check_arguments`] refuses, before any message is read, the calls whose literal
//! arguments ask for something a local run cannot do.

mod context;
mod encoding;
mod hash;
mod java_regex;
mod joda_zone_names;
mod math;
mod regexp;
mod string;
mod time_format;
mod time_parse;
mod time_pattern;
mod transform;
mod values;

use super::compile::Node;
use super::evaluated::{Evaluated, UNDEFINED};
use super::ops::arith;
use super::run::{Context, eval};
use super::value::Value;
use crate::sql::ast::{BinaryOp, Expr, ExprKind, Span};
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
        B::Rand => owned(super::value::decimal(cx.rand())),

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
        B::Md2 | B::Md5 | B::Sha1 | B::Sha224 | B::Sha256 | B::Sha384 | B::Sha512 => {
            owned(hash::digest(f, &args.get(0)))
        }
        // The scheme is the literal 'base64': `check_arguments` refused every other.
        B::Encode => owned(encoding::encode(&args.get(0))),
        B::Decode => owned(encoding::decode(&args.get(0))),
        B::RegexpMatches => owned(regexp::matches(&args.get(0), &args.get(1))),
        B::RegexpSubstr => owned(regexp::substr(&args.get(0), &args.get(1))),
        B::RegexpReplace => owned(regexp::replace(&args.get(0), &args.get(1), &args.get(2))),
        B::ParseTime => owned(time_format::parse_time(
            &args.get(0),
            &args.get(1),
            args.optional(2),
        )),
        B::TimeToEpoch => owned(time_parse::time_to_epoch(&args.get(0), &args.get(1))),
        B::Transform => owned(transform::transform(&args.get(0), args.get(1), args.get(2))),
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

/// Why a call cannot be simulated, found in its literal arguments before any message is read: the completion of
/// "`name` cannot be simulated: ...", and the argument it is about.
pub(super) struct Refusal {
    pub(super) reason: String,
    pub(super) span: Span,
}

/// Checks the arguments of a call to `f` that must be known before the rule runs: the scheme of `encode` and
/// `decode` (`'base64'` runs here; `'proto'` reads a descriptor from S3) and the pattern of the `regexp_`
/// functions (Java syntax the simulator's engine lacks is refused), and the date patterns of `parse_time` and
/// `time_to_epoch` (letters the simulator does not format or read are refused).
pub(super) fn check_arguments(f: Builtin, args: &[Expr], call: Span) -> Result<(), Refusal> {
    match f {
        Builtin::ParseTime => check_date_pattern(args.first(), time_format::check),
        Builtin::TimeToEpoch => check_date_pattern(args.get(1), time_parse::check),
        Builtin::Encode | Builtin::Decode => check_scheme(f, args, call),
        Builtin::RegexpMatches | Builtin::RegexpReplace | Builtin::RegexpSubstr => {
            match args.get(1) {
                Some(pattern) => match regexp::check_pattern(pattern) {
                    Some(reason) => Err(Refusal {
                        reason,
                        span: pattern.span,
                    }),
                    None => Ok(()),
                },
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// A date pattern argument: a string literal that `check` accepts.
fn check_date_pattern(
    pattern: Option<&Expr>,
    check: fn(&str) -> Option<String>,
) -> Result<(), Refusal> {
    let Some(pattern) = pattern else {
        return Ok(());
    };
    let reason = match &pattern.kind {
        ExprKind::String(text) => check(text),
        _ => Some(
            "its pattern must be a string literal, so that its letters are checked before the rule runs"
                .to_owned(),
        ),
    };
    reason.map_or(Ok(()), |reason| {
        Err(Refusal {
            reason,
            span: pattern.span,
        })
    })
}

/// The scheme argument of `encode` and `decode`: the literal `'base64'`, in a call of two arguments.
fn check_scheme(f: Builtin, args: &[Expr], call: Span) -> Result<(), Refusal> {
    let Some(scheme) = args.get(1) else {
        return Ok(());
    };
    let refuse = |reason: String| {
        Err(Refusal {
            reason,
            span: scheme.span,
        })
    };
    match &scheme.kind {
        ExprKind::String(s) if s == encoding::BASE64 && args.len() == 2 => Ok(()),
        ExprKind::String(s) if s == encoding::BASE64 => Err(Refusal {
            reason: format!(
                "the 'base64' scheme takes 2 arguments, found {}; write `decode(value, 'base64')`",
                args.len()
            ),
            span: call,
        }),
        ExprKind::String(s) if s == "proto" && f == Builtin::Decode => refuse(
            "the 'proto' scheme decodes protobuf with a descriptor file read from S3, which a local run \
             cannot read"
                .to_owned(),
        ),
        ExprKind::String(s) => refuse(format!(
            "its scheme '{s}' is not one AWS documents; write 'base64'{}",
            if f == Builtin::Decode { " or 'proto'" } else { "" }
        )),
        _ => refuse("its scheme must be a string literal, such as 'base64'".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::{EvalError, Program};
    use crate::sql::parse;

    /// The message of compiling `SELECT <expr> FROM 't'`, and the text of the span it points at.
    fn refusal(expr: &str) -> (String, String) {
        let sql = format!("SELECT {expr} FROM 't'");
        let e = Program::compile(&parse(&sql).unwrap()).unwrap_err();
        assert!(
            matches!(e, EvalError::UnsupportedArguments { .. }),
            "{expr}: {e:?}"
        );
        (e.to_string(), e.span().text(&sql).unwrap_or("").to_owned())
    }

    #[test]
    fn schemes_other_than_base64_are_refused_before_running() {
        let cases = [
            (
                "decode(p, 'proto', 'bucket', 'f.desc', 'f', 'Msg')",
                "`decode` cannot be simulated: the 'proto' scheme decodes protobuf with a descriptor file read \
                 from S3, which a local run cannot read",
                "'proto'",
            ),
            (
                "encode(p, 'hex')",
                "`encode` cannot be simulated: its scheme 'hex' is not one AWS documents; write 'base64'",
                "'hex'",
            ),
            (
                "decode(p, 'hex')",
                "`decode` cannot be simulated: its scheme 'hex' is not one AWS documents; write 'base64' or \
                 'proto'",
                "'hex'",
            ),
            (
                "decode(p, scheme)",
                "`decode` cannot be simulated: its scheme must be a string literal, such as 'base64'",
                "scheme",
            ),
            (
                "decode(p, 'base64', 'x')",
                "`decode` cannot be simulated: the 'base64' scheme takes 2 arguments, found 3; write \
                 `decode(value, 'base64')`",
                "decode(p, 'base64', 'x')",
            ),
        ];
        for (expr, message, span) in cases {
            assert_eq!(
                refusal(expr),
                (message.to_owned(), span.to_owned()),
                "{expr}"
            );
        }
    }

    #[test]
    fn regular_expressions_java_has_and_the_simulator_lacks_are_refused() {
        let lacks = "which the simulator's regular expression engine (the `regex` crate) does not have; \
                     rewrite the pattern without it";
        // (call, the pattern as written, the feature named).
        let cases = [
            (
                r"regexp_matches(s, '(a)\\1')",
                r"'(a)\\1'",
                r"a backreference (`\1`, `\k<name>`)",
            ),
            (
                "regexp_matches(s, 'a(?=b)')",
                "'a(?=b)'",
                "lookahead or lookbehind (`(?=`, `(?!`, `(?<=`, `(?<!`)",
            ),
            (
                "regexp_substr(s, '(?<!x)a')",
                "'(?<!x)a'",
                "lookahead or lookbehind (`(?=`, `(?!`, `(?<=`, `(?<!`)",
            ),
            (
                "regexp_replace(s, '(?>a+)b', '')",
                "'(?>a+)b'",
                "an atomic group (`(?>`)",
            ),
            (
                "regexp_matches(s, 'a*+')",
                "'a*+'",
                "a possessive quantifier (`*+`, `++`, `?+`, `{n}+`)",
            ),
            (
                "regexp_matches(s, '(?m)^a')",
                "'(?m)^a'",
                "the flag `m` (Java's line terminators differ)",
            ),
            (
                r"regexp_matches(s, '\\p{Lower}')",
                r"'\\p{Lower}'",
                r"a named class other than a Unicode general category (`\p{Lower}`, `\p{Alpha}`, ...)",
            ),
        ];
        for (expr, pattern, feature) in cases {
            let name = &expr[..expr.find('(').unwrap_or(0)];
            let expected =
                format!("`{name}` cannot be simulated: its pattern uses {feature}, {lacks}");
            assert_eq!(refusal(expr), (expected, pattern.to_owned()), "{expr}");
        }
        let (message, span) = refusal("regexp_matches(s, p)");
        assert_eq!(
            message,
            "`regexp_matches` cannot be simulated: its pattern must be a string literal, so that it is \
             checked against Java's regular expression syntax before the rule runs"
        );
        assert_eq!(span, "p");
    }

    #[test]
    fn date_patterns_the_simulator_cannot_handle_are_refused() {
        let cases = [
            (
                "parse_time('yyyy-MM-ddTHH', timestamp())",
                "`parse_time` cannot be simulated: its pattern uses the letter `T`, which the simulator does not \
                 format (it formats G C Y x w e E y D M d a K h H k m s S z Z; quote literal text: 'T')",
                "'yyyy-MM-ddTHH'",
            ),
            (
                "parse_time(p, timestamp())",
                "`parse_time` cannot be simulated: its pattern must be a string literal, so that its letters are \
                 checked before the rule runs",
                "p",
            ),
            (
                "time_to_epoch(t, 'yyyy-MM')",
                "`time_to_epoch` cannot be simulated: its pattern has no full date (a year, a month and a day, or \
                 a year and a day of the year), and AWS does not document what it assumes for the missing fields",
                "'yyyy-MM'",
            ),
            (
                "time_to_epoch(t, 'yyyy-MM-dd QQ')",
                "`time_to_epoch` cannot be simulated: its pattern uses `QQ`, which the simulator does not read \
                 (it reads G u y M L d D E a H k K h m s S, VV, z, Z, X and x; quote literal text: 'T')",
                "'yyyy-MM-dd QQ'",
            ),
        ];
        for (expr, message, span) in cases {
            assert_eq!(
                refusal(expr),
                (message.to_owned(), span.to_owned()),
                "{expr}"
            );
        }
    }

    /// A SQL string literal of any text, in the lexer's escapes.
    fn literal(text: &str) -> String {
        crate::sql::print::quote(text)
    }

    /// Evaluates `expr`; a refusal before running is fine, a panic is not.
    fn runs_or_refuses(expr: &str) {
        use crate::sql::eval::{Input, evaluate_expr};
        let payload = serde_json::json!({"s": "thing_1", "t": 1672742949382_i64});
        let parsed = crate::sql::parse_expr(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        match evaluate_expr(&parsed, &Input::new("a/b", &payload)) {
            Ok(_) | Err(EvalError::UnsupportedArguments { .. }) => {}
            Err(e) => panic!("{expr}: {e}"),
        }
    }

    proptest::proptest! {
        #[test]
        fn regular_expressions_never_panic(
            pattern in r"[a-c0-9\\.*+?(){}\[\]^$|&~:<>=!#pPQEkdwsbz,-]{0,12}",
            input in "[a-c\n\r é€0-9]{0,8}",
            replacement in r"[a-c$\\{}0-9]{0,6}",
        ) {
            let (pattern, input) = (literal(&pattern), literal(&input));
            runs_or_refuses(&format!("regexp_matches({input}, {pattern})"));
            runs_or_refuses(&format!("regexp_substr({input}, {pattern})"));
            runs_or_refuses(&format!("regexp_replace({input}, {pattern}, {})", literal(&replacement)));
        }

        #[test]
        fn dates_never_panic(
            pattern in concat!(
                "(yyyy|yy|y|uuuu|MMMM|MMM|MM|M|dd|d|DDD|HH|H|hh|kk|KK|a|mm|ss|S{1,9}|VV|z|Z{1,5}|X{1,3}|x|",
                "EEEE|EEE|G|w|e|C|Y|'T'|''|[ :./+-])*"
            ),
            text in "[0-9A-Za-z :./+_-]{0,24}",
            // Anywhere, anywhere chrono holds, and at the ends of its range, where zones overflow it.
            ms in proptest::prop_oneof![
                proptest::num::i64::ANY,
                -8_334_601_228_800_000_i64..8_210_266_876_800_000,
                8_210_266_700_000_000_i64..8_210_266_876_800_000,
                -8_334_601_228_800_000_i64..-8_334_601_000_000_000,
            ],
            zone in "(UTC|America/Belize|Europe/Paris|[+-][0-9]{2}:[0-9]{2}|[A-Za-z/]{0,8})",
        ) {
            let (pattern, text, zone) = (literal(&pattern), literal(&text), literal(&zone));
            runs_or_refuses(&format!("parse_time({pattern}, {ms}, {zone})"));
            runs_or_refuses(&format!("time_to_epoch({text}, {pattern})"));
        }

        #[test]
        fn encodings_never_panic(text in "\\PC{0,24}") {
            let text = literal(&text);
            runs_or_refuses(&format!("decode({text}, 'base64')"));
            runs_or_refuses(&format!("decode(encode({text}, 'base64'), 'base64')"));
            runs_or_refuses(&format!("md2({text})"));
        }
    }
}
