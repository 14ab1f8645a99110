//! Helpers every integration test shares: the binary run from the repository root, and insta's settings for the
//! top-level `snapshots/` folder.

use assert_cmd::Command;

/// The `presence-stack` binary, run from the repository root so that paths in messages are the same everywhere.
pub fn cmd() -> Command {
    let mut c = Command::cargo_bin("presence-stack").expect("the binary is built for the tests");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Snapshots live in the top-level `snapshots/` folder, named without the module path.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}
