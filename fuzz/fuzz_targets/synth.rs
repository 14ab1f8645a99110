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
                let value: serde_json::Value = match format {
                    Format::Json => {
                        serde_json::from_str(&s.template).expect("the JSON template parses")
                    }
                    Format::Yaml => {
                        serde_yaml::from_str(&s.template).expect("the YAML template parses")
                    }
                };
                assert!(value["Resources"].is_object());
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
