//! Helpers the tests share. The fuzz targets of `fuzz/` include the `fuzz_*` files, and
//! `examples/status-history.rs` includes `history.rs`, with `#[path]`: keep these files free of `crate::` and
//! `super::` paths so they compile as a module of any crate.

pub mod cfn_yaml;
pub mod common;
pub mod fuzz_eval;
pub mod fuzz_items;
pub mod fuzz_sql;
pub mod fuzz_synth;
pub mod history;
