//! The catalog of AWS IoT SQL functions (SQL version 2016-03-23, page `iot-sql-functions`): for each name its
//! arity, argument types, result type and whether a local run computes it. It is the only list of function
//! names in the crate, in the spirit of sqlparser-rs's `keywords.rs`: the evaluator's compiler reads it to
//! resolve calls (and to refuse the ones it cannot run), the checker reads it to infer what a call yields.
//!
//! Names match case-insensitively (`isUndefined` and `ISUNDEFINED` are the same function), as in AWS.

/// One function of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Lowercase; calls match it in any case.
    pub name: &'static str,
    /// How many arguments a call may have. Checked only for the functions a local run computes: the others are
    /// refused before their arguments are counted (see [`Arity::UNCHECKED`]).
    pub arity: Arity,
    /// The argument types the reference documents, in order; for a variadic function the last one repeats.
    /// Empty where the catalog does not record them. Every function also accepts values that convert (a
    /// numeric string for a number, anything with a string form for a string), and yields Undefined otherwise.
    pub params: &'static [Param],
    /// What the checker may assume a call yields.
    pub returns: Returns,
    /// Whether `simulate` (and the evaluator) can compute a call.
    pub local: Local,
}

/// The fewest and most arguments of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arity {
    pub min: usize,
    /// `None`: any number.
    pub max: Option<usize>,
}

impl Arity {
    /// Not checked: the evaluator refuses the call whatever its arguments, and the checker leaves a function that
    /// needs AWS to AWS.
    pub const UNCHECKED: Arity = Arity { min: 0, max: None };

    pub fn accepts(self, found: usize) -> bool {
        found >= self.min && self.max.is_none_or(|max| found <= max)
    }

    /// `1`, `0 or 1`, `2 to 3`, `0 or more`: the `expected` of an arity error.
    pub fn describe(self) -> String {
        match (self.min, self.max) {
            (a, Some(b)) if a == b => a.to_string(),
            (a, None) => format!("{a} or more"),
            (a, Some(b)) if b == a + 1 => format!("{a} or {b}"),
            (a, Some(b)) => format!("{a} to {b}"),
        }
    }
}

/// The type of one argument, as the reference documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// Any value.
    Any,
    String,
    /// `Int` or `Decimal`.
    Number,
    /// A number rounded down (or truncated) to an `Int`.
    Int,
    /// An array, an object or a string (`get`).
    Collection,
}

/// What a call yields, for the checker's type inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    String,
    Number,
    Bool,
    /// The type all the arguments share, when they share one (`get_or_default(x, 0)`); else unknown.
    SameAsArguments,
    /// The checker makes no claim. Also the answer for some functions whose type is documented: claiming it would
    /// add findings the checker does not give today (see the entries' comments).
    Unknown,
}

/// Whether a local run computes a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    /// The evaluator computes it with this builtin.
    Computed(Builtin),
    /// AWS has it, but a local run cannot compute it.
    Refused(NotLocal),
    /// Not an AWS IoT SQL function: AWS refuses a rule that calls it, and so do the checker and the evaluator
    /// (`unknown function`). Listed only because the checker has always typed such calls.
    NotAws,
}

/// Why a local run cannot compute a function AWS has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotLocal {
    /// It reads or calls another AWS service (DynamoDB, Lambda, Secrets Manager, the registry, shadows, ML).
    CallsAws,
    /// It reads what a recorded event does not carry: the account, the principal, the source IP, the trace id,
    /// MQTT 5 properties.
    NeedsContext,
}

impl NotLocal {
    /// Completes "`name` cannot be simulated: it ...".
    pub fn reason(self) -> &'static str {
        match self {
            NotLocal::CallsAws => "calls an AWS service",
            NotLocal::NeedsContext => "reads MQTT or account details the simulator does not have",
        }
    }
}

/// The functions the evaluator computes; each names one implementation in `sql::eval`'s builtins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Abs,
    Acos,
    Asin,
    Atan,
    Atan2,
    BitAnd,
    BitNot,
    BitOr,
    BitXor,
    Ceil,
    Chr,
    ClientId,
    Concat,
    Cos,
    Cosh,
    Decode,
    Encode,
    EndsWith,
    Exp,
    Floor,
    Get,
    GetOrDefault,
    IndexOf,
    IsNull,
    IsUndefined,
    Length,
    Ln,
    Log,
    Lower,
    Lpad,
    Ltrim,
    Md2,
    Md5,
    Mod,
    Nanvl,
    NewUuid,
    NumBytes,
    ParseTime,
    Power,
    Rand,
    RegexpMatches,
    RegexpReplace,
    RegexpSubstr,
    Replace,
    Round,
    Rpad,
    Rtrim,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sign,
    Sin,
    Sinh,
    SqlVersion,
    Sqrt,
    StartsWith,
    Substring,
    Tan,
    Tanh,
    TimeToEpoch,
    Timestamp,
    Topic,
    Transform,
    Trim,
    Trunc,
    Upper,
}

/// The function named `name`, in any case.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

const fn arity(min: usize, max: usize) -> Arity {
    Arity {
        min,
        max: Some(max),
    }
}

const fn computed(
    name: &'static str,
    arity: Arity,
    params: &'static [Param],
    returns: Returns,
    builtin: Builtin,
) -> Function {
    Function {
        name,
        arity,
        params,
        returns,
        local: Local::Computed(builtin),
    }
}

const fn refused(
    name: &'static str,
    params: &'static [Param],
    returns: Returns,
    why: NotLocal,
) -> Function {
    Function {
        name,
        arity: Arity::UNCHECKED,
        params,
        returns,
        local: Local::Refused(why),
    }
}

const fn not_aws(name: &'static str, returns: Returns) -> Function {
    Function {
        name,
        arity: Arity::UNCHECKED,
        params: &[],
        returns,
        local: Local::NotAws,
    }
}

use Builtin as B;
use NotLocal::{CallsAws, NeedsContext};
use Param::{Any, Collection, Int, Number as Num, String as Str};
use Returns as R;

const ONE_NUMBER: &[Param] = &[Num];
const TWO_NUMBERS: &[Param] = &[Num, Num];
const TWO_INTS: &[Param] = &[Int, Int];
const ONE_STRING: &[Param] = &[Str];
const TWO_STRINGS: &[Param] = &[Str, Str];
const ONE_ANY: &[Param] = &[Any];
const TWO_ANY: &[Param] = &[Any, Any];
const NONE: &[Param] = &[];

/// Every function, alphabetically. A `returns` of `Unknown` with a documented type in its comment is a type the
/// checker has never claimed; claiming it would turn, say, `chr(65) AS timestamp` on a number key into a new error.
pub const FUNCTIONS: &[Function] = &[
    computed("abs", arity(1, 1), ONE_NUMBER, R::Number, B::Abs),
    refused("accountid", NONE, R::Unknown, NeedsContext), // String
    computed("acos", arity(1, 1), ONE_NUMBER, R::Unknown, B::Acos), // Number
    computed("asin", arity(1, 1), ONE_NUMBER, R::Unknown, B::Asin), // Number
    computed("atan", arity(1, 1), ONE_NUMBER, R::Unknown, B::Atan), // Number
    computed("atan2", arity(2, 2), TWO_NUMBERS, R::Unknown, B::Atan2), // Number
    refused("aws_lambda", NONE, R::Unknown, CallsAws),
    computed("bitand", arity(2, 2), TWO_INTS, R::Unknown, B::BitAnd), // Number
    computed("bitnot", arity(1, 1), &[Int], R::Unknown, B::BitNot),   // Number
    computed("bitor", arity(2, 2), TWO_INTS, R::Unknown, B::BitOr),   // Number
    computed("bitxor", arity(2, 2), TWO_INTS, R::Unknown, B::BitXor), // Number
    computed("ceil", arity(1, 1), ONE_NUMBER, R::Number, B::Ceil),
    computed("chr", arity(1, 1), &[Int], R::Unknown, B::Chr), // String
    computed("clientid", arity(0, 0), NONE, R::String, B::ClientId),
    not_aws("coalesce", R::SameAsArguments),
    // An array when an argument is one; the checker has always said String.
    computed(
        "concat",
        Arity { min: 0, max: None },
        ONE_ANY,
        R::String,
        B::Concat,
    ),
    computed("cos", arity(1, 1), ONE_NUMBER, R::Unknown, B::Cos), // Number
    computed("cosh", arity(1, 1), ONE_NUMBER, R::Unknown, B::Cosh), // Number
    // `decode(value, 'base64')`; `decode(*, 'proto', bucket, key, file, message)` reads its descriptor from S3 and
    // is refused by the evaluator's argument checks (`builtins::check_arguments`). Object or String.
    computed("decode", arity(2, 6), &[Any, Str], R::Unknown, B::Decode),
    computed("encode", arity(2, 2), &[Any, Str], R::String, B::Encode),
    computed("endswith", arity(2, 2), TWO_STRINGS, R::Bool, B::EndsWith),
    computed("exp", arity(1, 1), ONE_NUMBER, R::Unknown, B::Exp), // Number
    computed("floor", arity(1, 1), ONE_NUMBER, R::Number, B::Floor),
    computed("get", arity(2, 2), &[Collection, Any], R::Unknown, B::Get),
    refused("get_dynamodb", NONE, R::Unknown, CallsAws),
    refused("get_mqtt_property", NONE, R::Unknown, NeedsContext),
    // The second argument is optional per the docs ("returns the default value in the second parameter if
    // specified, or else Undefined").
    computed(
        "get_or_default",
        arity(1, 2),
        TWO_ANY,
        R::SameAsArguments,
        B::GetOrDefault,
    ),
    refused("get_registry_data", NONE, R::Unknown, CallsAws),
    refused("get_secret", NONE, R::Unknown, CallsAws),
    refused("get_thing_shadow", NONE, R::Unknown, CallsAws),
    refused("get_user_properties", NONE, R::Unknown, NeedsContext),
    computed("indexof", arity(2, 2), TWO_STRINGS, R::Unknown, B::IndexOf), // Number
    not_aws("isarray", R::Bool),
    not_aws("isboolean", R::Bool),
    computed("isnull", arity(1, 1), ONE_ANY, R::Bool, B::IsNull),
    not_aws("isnumber", R::Bool),
    not_aws("isobject", R::Bool),
    not_aws("isstring", R::Bool),
    computed("isundefined", arity(1, 1), ONE_ANY, R::Bool, B::IsUndefined),
    computed("length", arity(1, 1), ONE_STRING, R::Number, B::Length),
    computed("ln", arity(1, 1), ONE_NUMBER, R::Unknown, B::Ln), // Number
    computed("log", arity(1, 1), ONE_NUMBER, R::Unknown, B::Log), // Number
    computed("lower", arity(1, 1), ONE_STRING, R::String, B::Lower),
    computed("lpad", arity(2, 2), &[Str, Int], R::String, B::Lpad),
    computed("ltrim", arity(1, 1), ONE_STRING, R::String, B::Ltrim),
    refused("machinelearning_predict", NONE, R::Unknown, CallsAws),
    computed("md2", arity(1, 1), ONE_STRING, R::Unknown, B::Md2), // String
    computed("md5", arity(1, 1), ONE_STRING, R::String, B::Md5),
    computed("mod", arity(2, 2), TWO_NUMBERS, R::Number, B::Mod),
    computed("nanvl", arity(2, 2), TWO_ANY, R::Unknown, B::Nanvl), // SameAsArguments
    computed("newuuid", arity(0, 0), NONE, R::String, B::NewUuid),
    computed("numbytes", arity(1, 1), ONE_STRING, R::Unknown, B::NumBytes), // Number
    computed(
        "parse_time",
        arity(2, 3),
        &[Str, Int, Str],
        R::String,
        B::ParseTime,
    ),
    computed("power", arity(2, 2), TWO_NUMBERS, R::Number, B::Power),
    refused("principal", NONE, R::String, NeedsContext),
    computed("rand", arity(0, 0), NONE, R::Unknown, B::Rand), // Number
    computed(
        "regexp_matches",
        arity(2, 2),
        TWO_STRINGS,
        R::Bool,
        B::RegexpMatches,
    ),
    computed(
        "regexp_replace",
        arity(3, 3),
        &[Str, Str, Str],
        R::String,
        B::RegexpReplace,
    ),
    computed(
        "regexp_substr",
        arity(2, 2),
        TWO_STRINGS,
        R::String,
        B::RegexpSubstr,
    ),
    computed("remainder", arity(2, 2), TWO_NUMBERS, R::Unknown, B::Mod), // R::Number, as `mod`
    computed(
        "replace",
        arity(3, 3),
        &[Str, Str, Str],
        R::String,
        B::Replace,
    ),
    computed("round", arity(1, 1), ONE_NUMBER, R::Number, B::Round),
    computed("rpad", arity(2, 2), &[Str, Int], R::String, B::Rpad),
    computed("rtrim", arity(1, 1), ONE_STRING, R::String, B::Rtrim),
    computed("sha1", arity(1, 1), ONE_STRING, R::String, B::Sha1),
    computed("sha224", arity(1, 1), ONE_STRING, R::Unknown, B::Sha224), // String
    computed("sha256", arity(1, 1), ONE_STRING, R::String, B::Sha256),
    computed("sha384", arity(1, 1), ONE_STRING, R::Unknown, B::Sha384), // String
    computed("sha512", arity(1, 1), ONE_STRING, R::String, B::Sha512),
    computed("sign", arity(1, 1), ONE_NUMBER, R::Number, B::Sign),
    computed("sin", arity(1, 1), ONE_NUMBER, R::Unknown, B::Sin), // Number
    computed("sinh", arity(1, 1), ONE_NUMBER, R::Unknown, B::Sinh), // Number
    refused("sourceip", NONE, R::String, NeedsContext),
    computed("sql_version", arity(0, 0), NONE, R::Unknown, B::SqlVersion), // String
    computed("sqrt", arity(1, 1), ONE_NUMBER, R::Unknown, B::Sqrt),        // Number
    computed(
        "startswith",
        arity(2, 2),
        TWO_STRINGS,
        R::Bool,
        B::StartsWith,
    ),
    computed(
        "substring",
        arity(2, 3),
        &[Str, Int, Int],
        R::String,
        B::Substring,
    ),
    computed("tan", arity(1, 1), ONE_NUMBER, R::Unknown, B::Tan), // Number
    computed("tanh", arity(1, 1), ONE_NUMBER, R::Unknown, B::Tanh), // Number
    computed(
        "time_to_epoch",
        arity(2, 2),
        TWO_STRINGS,
        R::Number,
        B::TimeToEpoch,
    ),
    computed("timestamp", arity(0, 0), NONE, R::Number, B::Timestamp),
    computed("topic", arity(0, 1), &[Int], R::String, B::Topic),
    refused("traceid", NONE, R::String, NeedsContext),
    computed(
        "transform",
        arity(3, 3),
        &[Str, Any, Any],
        R::Unknown,
        B::Transform,
    ),
    computed("trim", arity(1, 1), ONE_STRING, R::String, B::Trim),
    computed("trunc", arity(2, 2), &[Num, Int], R::Unknown, B::Trunc), // Number
    computed("upper", arity(1, 1), ONE_STRING, R::String, B::Upper),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_sorted_and_unique() {
        for pair in FUNCTIONS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} {}",
                pair[0].name,
                pair[1].name
            );
        }
        for f in FUNCTIONS {
            assert_eq!(f.name, f.name.to_ascii_lowercase());
        }
    }

    #[test]
    fn every_builtin_has_a_name() {
        use std::collections::BTreeSet;
        let named: BTreeSet<String> = FUNCTIONS
            .iter()
            .filter_map(|f| match f.local {
                Local::Computed(b) => Some(format!("{b:?}")),
                _ => None,
            })
            .collect();
        // 68 builtins; `remainder` shares `mod`'s.
        assert_eq!(named.len(), 68);
    }

    #[test]
    fn lookup_ignores_case_and_arity_reads_like_the_errors() {
        assert_eq!(lookup("isUndefined").map(|f| f.name), Some("isundefined"));
        assert_eq!(lookup("nosuch"), None);
        assert_eq!(lookup("topic").unwrap().arity.describe(), "0 or 1");
        assert_eq!(lookup("concat").unwrap().arity.describe(), "0 or more");
        assert_eq!(lookup("substring").unwrap().arity.describe(), "2 or 3");
        assert_eq!(arity(1, 4).describe(), "1 to 4");
        assert!(Arity::UNCHECKED.accepts(7));
        assert!(!lookup("abs").unwrap().arity.accepts(0));
    }

    /// Every function of the reference page (`iot-sql-functions`), in its order; `cast()` is left out, being
    /// syntax (`CAST(x AS type)`) rather than a call.
    const REFERENCE: &[&str] = &[
        "abs",
        "accountid",
        "acos",
        "asin",
        "atan",
        "atan2",
        "aws_lambda",
        "bitand",
        "bitor",
        "bitxor",
        "bitnot",
        "ceil",
        "chr",
        "clientid",
        "concat",
        "cos",
        "cosh",
        "decode",
        "encode",
        "endswith",
        "exp",
        "floor",
        "get",
        "get_dynamodb",
        "get_mqtt_property",
        "get_or_default",
        "get_registry_data",
        "get_secret",
        "get_thing_shadow",
        "get_user_properties",
        "md2",
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "indexof",
        "isnull",
        "isundefined",
        "length",
        "ln",
        "log",
        "lower",
        "lpad",
        "ltrim",
        "machinelearning_predict",
        "mod",
        "nanvl",
        "newuuid",
        "numbytes",
        "parse_time",
        "power",
        "principal",
        "rand",
        "regexp_matches",
        "regexp_replace",
        "regexp_substr",
        "remainder",
        "replace",
        "rpad",
        "round",
        "rtrim",
        "sign",
        "sin",
        "sinh",
        "sourceip",
        "substring",
        "sql_version",
        "sqrt",
        "startswith",
        "tan",
        "tanh",
        "time_to_epoch",
        "timestamp",
        "topic",
        "traceid",
        "transform",
        "trim",
        "trunc",
        "upper",
    ];

    #[test]
    fn every_function_of_the_reference_is_listed_and_computed_unless_it_needs_aws_or_context() {
        let refused: Vec<&str> = REFERENCE
            .iter()
            .copied()
            .filter(|name| match lookup(name).map(|f| f.local) {
                Some(Local::Computed(_)) => false,
                Some(Local::Refused(_)) => true,
                other => panic!("{name}: {other:?}"),
            })
            .collect();
        assert_eq!(
            refused,
            [
                "accountid",
                "aws_lambda",
                "get_dynamodb",
                "get_mqtt_property",
                "get_registry_data",
                "get_secret",
                "get_thing_shadow",
                "get_user_properties",
                "machinelearning_predict",
                "principal",
                "sourceip",
                "traceid",
            ]
        );
        // And the catalog has nothing AWS does not document but the names it lists as `NotAws`.
        for f in FUNCTIONS {
            assert_eq!(
                REFERENCE.contains(&f.name),
                f.local != Local::NotAws,
                "{}",
                f.name
            );
        }
    }
}
