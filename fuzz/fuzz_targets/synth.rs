//! Config text in: loading, checking and synthesizing (JSON and YAML) never panic, and a template that comes
//! out is valid JSON or YAML. `tests/it/properties/layout.rs` (`no_panic_on`) replays crash inputs the same way.
//! The body is `tests/it/support/fuzz_synth.rs`, which `tests/it/properties/layout.rs` also runs (and replays crash
//! inputs with).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/support/fuzz_synth.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::check(data));
