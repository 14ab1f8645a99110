//! SQL text in: the parser never panics, and whatever parses prints as SQL that parses back to the same tree
//! (spans aside). `tests/properties.rs` (`sql_round_trip`) replays crash inputs the same way.
//! The body is `tests/support/fuzz_sql.rs`, which `tests/properties.rs` also runs (and replays crash inputs with).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/fuzz_sql.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::check(data));
