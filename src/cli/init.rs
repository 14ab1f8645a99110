//! `presence-stack init`: a commented starter config.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use super::files::{shell_word, write_output};
use super::{DEFAULT_CONFIG, Failure};

#[derive(clap::Args)]
pub(super) struct InitArgs {
    /// Where to write the config
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    output: PathBuf,
    /// Replace the file if it exists
    #[arg(long)]
    force: bool,
}

pub(super) fn run(args: &InitArgs) -> Result<ExitCode, Failure> {
    let name = args.output.display().to_string();
    if !args.force && fs::symlink_metadata(&args.output).is_ok() {
        return Err(Failure(vec![format!(
            "{name}: already exists; pass --force to replace it"
        )]));
    }
    write_output(&args.output, presence_stack::STARTER_CONFIG.as_bytes())?;
    message!(
        "presence-stack: wrote {name}; next: presence-stack synth {} -o template.yaml",
        shell_word(&name)
    );
    Ok(ExitCode::SUCCESS)
}
