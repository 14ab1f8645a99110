//! Reading a CloudFormation YAML template back, for tests: short-form tags become the long JSON forms, and an
//! independent transcription of YAML 1.1's implicit types (PyYAML's resolver, plus the specification's `y`/`n`)
//! tells whether a bare scalar would be read as anything but a string.
//!
//! The reader is serde_yaml, a YAML 1.2 reader; the YAML 1.1 side is covered by [`yaml11_type`] here and, outside
//! Rust, by `.ci/run` reading every template with awscli, cfn-lint and PyYAML.

#![allow(dead_code)] // each test crate uses part of it

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// The template as the JSON value it stands for: the library's reader, which `diff` reads deployed YAML
/// templates with.
pub fn read(text: &str) -> Result<Value, String> {
    presence_stack::diff::read_yaml(text)
}

/// Every string in a JSON value, keys included.
pub fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

static YAML11: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        // PyYAML's resolver (yaml/resolver.py), verbatim but for the verbose-mode spaces.
        (
            "bool",
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
        ),
        // The YAML 1.1 boolean type's own regexp adds the single letters.
        ("bool", r"^(?:y|Y|n|N)$"),
        (
            "float",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        ),
        // The YAML 1.1 float type's own regexp.
        ("float", r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?$"),
        (
            "int",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
        ),
        ("merge", r"^(?:<<)$"),
        ("null", r"^(?:~|null|Null|NULL|)$"),
        (
            "timestamp",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
        ),
        ("value", r"^(?:=)$"),
    ]
    .into_iter()
    .map(|(kind, re)| (kind, Regex::new(re).expect("a valid regex")))
    .collect()
});

/// The type a YAML 1.1 reader gives `s` written bare, when it is not a string.
pub fn yaml11_type(s: &str) -> Option<&'static str> {
    YAML11
        .iter()
        .find(|(_, re)| re.is_match(s))
        .map(|(kind, _)| *kind)
}
