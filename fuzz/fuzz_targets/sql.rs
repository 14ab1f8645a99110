//! SQL text in: the parser never panics, and whatever parses prints as SQL that parses back to the same tree
//! (spans aside). `tests/it/properties/layout.rs` (`sql_round_trip`) replays crash inputs the same way.
//! The body is `tests/it/support/fuzz_sql.rs`, which `tests/it/properties/layout.rs` also runs (and replays crash
//! inputs with).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/support/fuzz_sql.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::check(data));
