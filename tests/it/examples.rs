//! Every example config, synthesized to JSON and YAML, is a snapshot in the top-level `snapshots/` folder; every
//! config of `tests/invalid/` has its error messages as a snapshot. A change of output shows up as a diff to
//! review with `cargo insta review`.

use std::fs;
use std::path::{Path, PathBuf};

use presence_stack::{Diagnostic, Error, Format, Source, synthesize};

use crate::support::cfn_yaml;

use crate::support::common::{model_lists_the_template, settings};

/// The name a user would type for the file, so messages are the same on every machine.
fn repo_relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A folder of the repository, for `insta::glob!`, which would read a relative one from this file's folder.
fn folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

#[test]
fn examples_synthesize_to_json_and_yaml() {
    settings().bind(|| {
        insta::glob!(folder("examples"), "*.yaml", |path| {
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
            // The counts the quota checks read are the template's.
            model_lists_the_template(&json.model, &from_json)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            insta::assert_snapshot!("json", json.template);
            insta::assert_snapshot!("yaml", yaml.template);
            insta::assert_snapshot!("warnings", lines(&json.warnings));
        });
    });
}

#[test]
fn invalid_configs_explain_themselves() {
    settings().bind(|| {
        insta::glob!(folder("tests/invalid"), "*.yaml", |path| {
            // Bytes, not text: some of these files are not UTF-8 on purpose.
            let bytes = fs::read(path).unwrap();
            let name = repo_relative(path);
            let err = presence_stack::decode(&name, &bytes)
                .and_then(|text| synthesize(Source { name: &name, text }, Format::Json))
                .unwrap_err();
            let errors = match err {
                Error::Config(diagnostics) => {
                    // Every message says what to write in the config's words, never in Rust's or serde's.
                    for d in &diagnostics {
                        let said = format!("{}: {}", d.path, d.message);
                        let word = presence_stack::config::rust_phrasing(&said);
                        assert_eq!(word, None, "{name}: {said}");
                    }
                    lines(&diagnostics)
                }
                other => panic!("{name}: not a config error: {other}"),
            };
            insta::assert_snapshot!("error", with_input(&bytes, &errors));
        });
    });
}

/// An error snapshot shows the input it came from, numbered as the messages count lines, above the errors, so
/// that a reviewer can check each message against what it describes.
fn with_input(bytes: &[u8], errors: &str) -> String {
    let input = visible(bytes);
    let mut out = String::from("input:\n");
    for (i, line) in input.split('\n').enumerate() {
        out.push_str(&format!("{:>4} | {line}\n", i + 1));
    }
    out.push_str("errors:\n");
    out.push_str(errors);
    out
}

/// The input with every character a reader could not see made visible: control characters as their control
/// pictures (tab `␉`, NUL `␀`, carriage return `␍`), a byte order mark as `<U+FEFF>`, and bytes that are not
/// UTF-8 as `<xFF>`. A final line break ends the text rather than starting an empty line.
fn visible(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push('\n'),
                '\u{0}'..='\u{1f}' => {
                    out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('?'))
                }
                '\u{7f}' => out.push('␡'),
                '\u{80}'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                    out.push_str(&format!("<U+{:04X}>", u32::from(c)));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("<x{b:02X}>"));
        }
    }
    out.strip_suffix('\n').map(str::to_owned).unwrap_or(out)
}

#[test]
fn questionable_configs_warn() {
    settings().bind(|| {
        insta::glob!(folder("tests/warn"), "*.yaml", |path| {
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
        .map(|d| {
            let severity = if d.is_error() { "error" } else { "warning" };
            format!("{severity}: {d} [{}]", d.id)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// checkov's customer-managed-key checks are skipped in the template itself, with the reason, on every table and
/// log group that no key of the stack encrypts, and only there: a plain `checkov -f` then passes (CI runs it), and
/// a resource added later without its skip fails here first.
#[test]
fn every_table_and_log_group_without_a_stack_key_carries_its_checkov_skip() {
    let mut checked = 0;
    for entry in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let name = repo_relative(&path);
        let Ok(synthesis) = synthesize(
            Source {
                name: &name,
                text: &text,
            },
            Format::Json,
        ) else {
            continue;
        };
        let template: serde_json::Value = serde_json::from_str(&synthesis.template).unwrap();
        for (id, resource) in template["Resources"].as_object().unwrap() {
            let (check, keyed) = match resource["Type"].as_str().unwrap() {
                "AWS::Logs::LogGroup" => {
                    ("CKV_AWS_158", !resource["Properties"]["KmsKeyId"].is_null())
                }
                "AWS::DynamoDB::Table" => (
                    "CKV_AWS_119",
                    !resource["Properties"]["SSESpecification"]["KMSMasterKeyId"].is_null(),
                ),
                _ => continue,
            };
            let skipped = resource["Metadata"]["checkov"]["skip"]
                .as_array()
                .is_some_and(|s| {
                    s.iter().any(|k| {
                        k["id"] == check && k["comment"].as_str().is_some_and(|c| !c.is_empty())
                    })
                });
            assert_eq!(
                skipped, !keyed,
                "{name}: {id} ({check}): skipped {skipped}, under a stack key {keyed}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} tables and log groups");
}
