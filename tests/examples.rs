//! Every example config, synthesized to JSON and YAML, is a snapshot in the top-level `snapshots/` folder; every
//! config of `tests/invalid/` has its error messages as a snapshot. A change of output shows up as a diff to
//! review with `cargo insta review`.

use std::fs;
use std::path::Path;

use presence_stack::{Diagnostic, Error, Format, Source, synthesize};

use crate::cfn_yaml;

use crate::common::settings;

/// The name a user would type for the file, so messages are the same on every machine.
fn repo_relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn examples_synthesize_to_json_and_yaml() {
    settings().bind(|| {
        insta::glob!("../examples", "*.yaml", |path| {
            let text = fs::read_to_string(path).unwrap();
            let name = repo_relative(path);
            let source = Source {
                name: &name,
                text: &text,
            };
            let json = synthesize(source, Format::Json).unwrap();
            let yaml = synthesize(source, Format::Yaml).unwrap();
            // Both texts carry the same template.
            let from_json: serde_json::Value = serde_json::from_str(&json.template).unwrap();
            let from_yaml = cfn_yaml::read(&yaml.template).unwrap();
            assert_eq!(from_json, from_yaml, "{name}");
            insta::assert_snapshot!("json", json.template);
            insta::assert_snapshot!("yaml", yaml.template);
            insta::assert_snapshot!("warnings", lines(&json.warnings));
        });
    });
}

#[test]
fn invalid_configs_explain_themselves() {
    settings().bind(|| {
        insta::glob!("invalid", "*.yaml", |path| {
            let text = fs::read_to_string(path).unwrap();
            let name = repo_relative(path);
            let err = synthesize(
                Source {
                    name: &name,
                    text: &text,
                },
                Format::Json,
            )
            .unwrap_err();
            let text = match err {
                Error::Config(diagnostics) => lines(&diagnostics),
                other => panic!("{name}: not a config error: {other}"),
            };
            insta::assert_snapshot!("error", text);
        });
    });
}

#[test]
fn questionable_configs_warn() {
    settings().bind(|| {
        insta::glob!("warn", "*.yaml", |path| {
            let text = fs::read_to_string(path).unwrap();
            let name = repo_relative(path);
            let synthesis = synthesize(
                Source {
                    name: &name,
                    text: &text,
                },
                Format::Json,
            )
            .unwrap();
            assert!(!synthesis.warnings.is_empty(), "{name} should warn");
            insta::assert_snapshot!("warned", lines(&synthesis.warnings));
        });
    });
}

/// Diagnostics as the binary prints them, minus the program name.
fn lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{}: {d}", if d.is_error() { "error" } else { "warning" }))
        .collect::<Vec<_>>()
        .join("\n")
}
