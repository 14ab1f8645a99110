//! The body of the `synth` fuzz target, shared with `tests/it/properties/layout.rs` so that its crash inputs replay in
//! every `cargo test`: loading, checking and synthesizing (JSON and YAML) never panic, a template that comes out
//! parses (the YAML with its short-form tags) and has `Resources`, and every error is a config error. Bytes are
//! decoded as the binary decodes a config file, and the parse errors hold no word of Rust's or serde's.

use presence_stack::{Error, Format, Source, synthesize};

/// Check one input: bytes, decoded as the binary decodes a config file.
pub fn check(data: &[u8]) {
    let text = match presence_stack::decode("fuzz.yaml", data) {
        Ok(text) => text,
        // An encoding or a character refused before parsing: one error, at a line and column.
        Err(Error::Config(diags)) => {
            assert!(diags.len() == 1 && diags[0].line.is_some(), "{diags:?}");
            return;
        }
        Err(other) => panic!("not a config error: {other}"),
    };
    // What the config module says about the file is in the config's words, never in Rust's or serde's.
    if let Err(p) = presence_stack::config::parse(text) {
        let said = format!("{}: {}", p.path, p.message);
        assert_eq!(presence_stack::config::rust_phrasing(&said), None, "{said}");
    }
    let source = Source {
        name: "fuzz.yaml",
        text,
    };
    let _ = presence_stack::load(source);
    let _ = presence_stack::check(source);
    for format in [Format::Json, Format::Yaml] {
        match synthesize(source, format) {
            Ok(s) => {
                let has_resources = match format {
                    Format::Json => serde_json::from_str::<serde_json::Value>(&s.template)
                        .expect("the JSON template parses")["Resources"]
                        .is_object(),
                    Format::Yaml => serde_yaml::from_str::<serde_yaml::Value>(&s.template)
                        .expect("the YAML template parses")["Resources"]
                        .is_mapping(),
                };
                assert!(has_resources);
            }
            Err(Error::Config(diags)) => {
                for d in diags {
                    let _ = d.to_string();
                }
            }
            Err(Error::TooLarge(e)) => {
                let _ = e.to_string();
            }
            Err(other) => panic!("not a config error: {other}"),
        }
    }
}
