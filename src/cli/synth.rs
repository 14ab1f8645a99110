//! `presence-stack synth`: write the template of a config.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use presence_stack::{Format, MAX_INLINE_TEMPLATE_BYTES, Source};

use super::files::{read_config, refuse_config_as_output, shell_word, write_output};
use super::shell::Shell;
use super::{DEFAULT_CONFIG, Failure, print_stdout};

#[derive(clap::Args)]
pub(super) struct SynthArgs {
    /// The config file; `-` reads standard input
    #[arg(default_value = DEFAULT_CONFIG)]
    config: PathBuf,
    /// Output format [default: the extension of --output, else json]
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Write the template to this file (atomically: on any error an existing file is left as it was)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with status 1 when there are warnings
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Json,
    Yaml,
}

pub(super) fn run(args: &SynthArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    let (name, text) = read_config(&args.config)?;
    if let Some(output) = &args.output {
        refuse_config_as_output(&args.config, output)?;
    }
    let format = match (args.format, &args.output) {
        (Some(FormatArg::Json), _) => Format::Json,
        (Some(FormatArg::Yaml), _) => Format::Yaml,
        (None, Some(out)) => Format::from_path(out).unwrap_or(Format::Json),
        (None, None) => Format::Json,
    };
    let synthesis = presence_stack::synthesize(
        Source {
            name: &name,
            text: &text,
        },
        format,
    )?;
    shell.diagnostics(&synthesis.warnings);
    if args.deny_warnings && !synthesis.warnings.is_empty() {
        return Err(Failure::error(format!(
            "{name}: {} warning(s) and --deny-warnings: nothing written",
            synthesis.warnings.len()
        )));
    }
    match &args.output {
        Some(path) => {
            write_output(path, synthesis.template.as_bytes())?;
            let resources = synthesis.model.resource_count();
            shell.note(format_args!(
                "wrote {} ({resources} resources, {} bytes); deploy it with:",
                path.display(),
                synthesis.template.len()
            ));
            let s3 = if synthesis.template.len() > MAX_INLINE_TEMPLATE_BYTES {
                " --s3-bucket <bucket>"
            } else {
                ""
            };
            shell.plain(format_args!(
                "  aws cloudformation deploy --template-file {} --stack-name {} --capabilities CAPABILITY_IAM{s3}",
                shell_word(&path.display().to_string()),
                synthesis
                    .model
                    .stack_name
                    .clone()
                    .unwrap_or_else(|| stack_name(&args.config))
            ));
        }
        None => return print_stdout(&synthesis.template, "the template"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A stack name suggested from the config's file name. CloudFormation wants `[a-zA-Z][-a-zA-Z0-9]*` of at most
/// 128 characters: other characters become `-`, runs of `-` one, and a name that cannot start with a letter gets
/// `presence-` in front (`2024.yaml` gives `presence-2024`); nothing usable at all gives `presence`.
fn stack_name(config: &Path) -> String {
    const MAX: usize = 128;
    let stem = config
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| *s != "-")
        .unwrap_or("");
    let mut name = String::with_capacity(stem.len());
    for c in stem.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if c != '-' || !(name.is_empty() || name.ends_with('-')) {
            name.push(c);
        }
    }
    if name.ends_with('-') {
        name.pop();
    }
    if name.is_empty() {
        return "presence".to_owned();
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "presence-");
    }
    name.truncate(MAX);
    name.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_are_what_cloudformation_accepts() {
        let name = |file: &str| stack_name(Path::new(file));
        assert_eq!(name("configs/presence.yaml"), "presence");
        assert_eq!(name("prod.eu_west-1.yaml"), "prod-eu-west-1");
        assert_eq!(name("_.yaml"), "presence");
        assert_eq!(name("-"), "presence");
        assert_eq!(name("..yaml"), "presence");
        assert_eq!(name("__a__b__.yaml"), "a-b");
        assert_eq!(name("2024.yaml"), "presence-2024");
        assert_eq!(name("_2024_.yaml"), "presence-2024");
        assert_eq!(name("präsenz.yaml"), "pr-senz");
        let long = name(&format!("{}.yaml", "a".repeat(300)));
        assert_eq!(long, "a".repeat(128));
        // A cut that lands on a `-` leaves no trailing `-`.
        let cut = name(&format!("{}_b.yaml", "a".repeat(127)));
        assert_eq!(cut, "a".repeat(127));
        for file in [
            "x.yaml",
            "_.yaml",
            "9.yaml",
            "a-.yaml",
            &format!("{}.yaml", "9-".repeat(99)),
        ] {
            let n = name(file);
            assert!(
                n.len() <= 128 && !n.ends_with('-') && !n.contains("--"),
                "{file}: {n}"
            );
            assert!(
                n.starts_with(|c: char| c.is_ascii_alphabetic()),
                "{file}: {n}"
            );
            assert!(
                n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{file}: {n}"
            );
        }
    }
}
