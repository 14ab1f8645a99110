//! Config text in: loading, checking and synthesizing (JSON and YAML) never panic, and a template that comes
//! out is valid JSON or YAML. `tests/properties.rs` (`no_panic_on`) replays crash inputs the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use presence_stack::{Error, Format, Source, synthesize};

fuzz_target!(|data: &[u8]| {
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
                // The YAML form carries short-form tags (`!Ref`), which only a tag-aware value reads.
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
            Err(other) => panic!("not a config error: {other}"),
        }
    }
});
