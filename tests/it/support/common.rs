//! Helpers every integration test shares: the binary run from the repository root, and insta's settings for the
//! top-level `snapshots/` folder.

use assert_cmd::Command;

/// The `presence-stack` binary, run from the repository root so that paths in messages are the same everywhere.
pub fn cmd() -> Command {
    let mut c = Command::cargo_bin("presence-stack").expect("the binary is built for the tests");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Snapshots live in the top-level `snapshots/` folder, named without the module path. The path is absolute:
/// insta reads a relative one from the folder of the file that asserts, which differs between test modules.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// The model's resources and outputs are the rendered template's: the same logical IDs and output names, in the
/// same order, so `resource_count()` and `output_count()` (which the quota checks read before rendering) are the
/// template's counts.
pub fn model_lists_the_template(
    model: &presence_stack::Model,
    template: &serde_json::Value,
) -> Result<(), String> {
    let keys = |section: &str| -> Vec<String> {
        template
            .get(section)
            .and_then(serde_json::Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (resources, outputs) = (keys("Resources"), keys("Outputs"));
    if model.resource_ids() != resources {
        return Err(format!(
            "the model lists the resources {:?}; the template holds {resources:?}",
            model.resource_ids()
        ));
    }
    if model.output_names() != outputs {
        return Err(format!(
            "the model lists the outputs {:?}; the template holds {outputs:?}",
            model.output_names()
        ));
    }
    if (model.resource_count(), model.output_count()) != (resources.len(), outputs.len()) {
        return Err(format!(
            "the model counts {} resources and {} outputs; the template holds {} and {}",
            model.resource_count(),
            model.output_count(),
            resources.len(),
            outputs.len()
        ));
    }
    Ok(())
}
