//! The integration tests, one crate: one build and one link for all of them. Every test file is a plain module of
//! this crate under `tests/it/` (a module with children is `name/mod.rs`), and the helpers they share live in
//! `support/`. Snapshots go to the top-level `snapshots/` folder whatever the depth of the file that asserts them
//! (`support::common::settings`).

mod support;

mod cli;
mod examples;
mod properties;
mod report;
mod simulate;
mod sql_corpus;
mod status;
mod status_cli;
