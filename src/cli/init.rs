//! `presence-stack init`: a commented starter config.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::files::{io_reason, shell_word, write_file};
use super::shell::Shell;
use super::{DEFAULT_CONFIG, Failure, print_stdout};

#[derive(clap::Args)]
pub(super) struct InitArgs {
    /// Where to write the config (missing folders are created); `-` prints it to standard output
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    output: PathBuf,
    /// Replace the file if it exists
    #[arg(long)]
    force: bool,
}

pub(super) fn run(args: &InitArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    let starter = presence_stack::STARTER_CONFIG;
    // `-` is standard output, as it is standard input for the commands that read a config.
    if args.output == Path::new("-") {
        return print_stdout(starter, "the starter config");
    }
    let name = args.output.display().to_string();
    if fs::metadata(&args.output).is_ok_and(|m| m.is_dir()) {
        let inside = shell_word(&args.output.join(DEFAULT_CONFIG).display().to_string());
        return Err(Failure::error(format!(
            "{name}: is a directory; give a file name for the config, e.g. `-o {inside}`"
        )));
    }
    if !args.force && fs::symlink_metadata(&args.output).is_ok() {
        return Err(Failure::error(format!(
            "{name}: already exists; pass --force to replace it"
        )));
    }
    // `init -o configs/presence.yaml` starts a layout: make the folders it names, as `mkdir -p` would.
    let mut created = String::new();
    if let Some(parent) = args.output.parent()
        && !parent.as_os_str().is_empty()
        && fs::symlink_metadata(parent).is_err()
    {
        fs::create_dir_all(parent).map_err(|e| {
            format!(
                "{}: cannot create the folder: {}",
                parent.display(),
                io_reason(&e)
            )
        })?;
        created = format!(" (and the folder {})", parent.display());
    }
    write_file(&args.output, starter.as_bytes(), "the config")?;
    shell.note(format_args!(
        "wrote {name}{created}; next: presence-stack synth {} -o template.yaml",
        shell_word(&name)
    ));
    Ok(ExitCode::SUCCESS)
}
