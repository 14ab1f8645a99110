//! Every example config, synthesized to JSON and YAML, is a snapshot in the top-level `snapshots/` folder; every
//! config of `tests/invalid/` has its error messages as a snapshot. A change of output shows up as a diff to
//! review with `cargo insta review`.

use std::collections::BTreeSet;
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

/// A snapshot left behind by a removed example would never be checked again: refuse it.
#[test]
fn every_snapshot_belongs_to_an_input() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut expected = BTreeSet::new();
    for (dir, kinds) in [
        ("examples", &["json", "yaml", "warnings"][..]),
        ("tests/invalid", &["error"][..]),
        ("tests/warn", &["warned"][..]),
    ] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            if file.ends_with(".yaml") {
                for kind in kinds {
                    expected.insert(format!("{kind}@{file}.snap"));
                }
            }
        }
    }
    // `--help` of the binary and of each subcommand (tests/cli.rs).
    expected.insert("help.snap".to_owned());
    for command in [
        "synth",
        "check",
        "simulate",
        "schema",
        "init",
        "completions",
        "replay",
        "status",
    ] {
        expected.insert(format!("help@{command}.snap"));
    }
    // `simulate` on the bundled events (tests/simulate.rs).
    for pair in [
        "presence+stream",
        "multi-pipeline+stream",
        "timestamp-key+same-millisecond",
    ] {
        expected.insert(format!("simulate@{pair}.snap"));
    }
    let found: BTreeSet<String> = fs::read_dir(root.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".snap"))
        .collect();
    let stale: Vec<_> = found.difference(&expected).collect();
    assert!(
        stale.is_empty(),
        "snapshots without an input (delete them): {stale:?}"
    );
}
