//! The body of the `synth` fuzz target, shared with `tests/properties.rs` so that its crash inputs replay in
//! every `cargo test`: loading, checking and synthesizing (JSON and YAML) never panic, a template that comes out
//! parses (the YAML with its short-form tags) and has `Resources`, and every error is a config error.

use presence_stack::{Error, Format, Source, synthesize};

/// Check one input.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
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
