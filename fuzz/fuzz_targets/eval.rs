//! Rule SQL and a message in: the evaluator (`sql::eval`, which says it never panics) runs any statement that
//! parses and compiles on any JSON payload without panicking, `run` and `run_owned` agree, and what a rule sends
//! serializes as JSON. The input is `<sql>\0<payload JSON>\0<topic>`; missing parts get a connected event.
//! The body is `tests/it/support/fuzz_eval.rs`, which `tests/it/properties/layout.rs` also runs (and replays crash
//! inputs with).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/support/fuzz_eval.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::check(data));
