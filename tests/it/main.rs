//! The integration tests, one crate: one build and one link for all of them, and one copy of the helpers they
//! share (`tests/support/`, which the fuzz targets and `examples/status-history.rs` include too). Each file
//! stays beside the others under `tests/`, so insta's snapshot paths and metadata are what they were.

#[path = "../support/cfn_yaml.rs"]
mod cfn_yaml;
#[path = "../support/common.rs"]
mod common;
#[path = "../support/fuzz_eval.rs"]
mod fuzz_eval;
#[path = "../support/fuzz_items.rs"]
mod fuzz_items;
#[path = "../support/fuzz_sql.rs"]
mod fuzz_sql;
#[path = "../support/fuzz_synth.rs"]
mod fuzz_synth;
#[path = "../support/history.rs"]
mod history;

#[path = "../cli.rs"]
mod cli;
#[path = "../examples.rs"]
mod examples;
#[path = "../properties.rs"]
mod properties;
#[path = "../report.rs"]
mod report;
#[path = "../simulate.rs"]
mod simulate;
#[path = "../sql_corpus.rs"]
mod sql_corpus;
#[path = "../status.rs"]
mod status;
#[path = "../status_cli.rs"]
mod status_cli;
