//! Any bytes as `status --items` input: the item reader (scan and query pages, `simulate` lines, bare items) and
//! the resolver never panic, and the reader's totals match what it handed on. The body is
//! `tests/it/support/fuzz_items.rs`, which a property test of `tests/it/status.rs` also runs in every `cargo test`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/it/support/fuzz_items.rs"]
mod body;

fuzz_target!(|data: &[u8]| body::check(data));
