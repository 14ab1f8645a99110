//! `presence-stack diff`: what deploying a config's template would do to a deployed stack, before
//! `aws cloudformation deploy` does it.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use presence_stack::diff::{self, Change, Kind};
use presence_stack::{Format, Source};

use super::Failure;
use super::files::{io_reason, read_config};
use super::shell::Shell;

#[derive(clap::Args)]
pub(super) struct DiffArgs {
    /// The config file; `-` reads standard input
    config: PathBuf,
    /// The deployed template: what `aws cloudformation get-template --stack-name NAME --output json` prints, or
    /// a template file (JSON or YAML); `-` reads standard input
    #[arg(long, value_name = "FILE")]
    deployed: PathBuf,
    /// Exit with status 0 even when a table, log group, queue or key would be replaced or removed
    #[arg(long)]
    allow_replacement: bool,
    /// Text, or one JSON array of the changed resources
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    message_format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
enum DiffFormat {
    /// One line per resource, and one per changed property below it
    #[default]
    Text,
    /// A JSON array: logicalId, type, change (added, removed, changed), replaces, stateful, properties
    Json,
}

pub(super) fn run(args: &DiffArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    let stdin = Path::new("-");
    if args.config == stdin && args.deployed == stdin {
        return Err(Failure::error(
            "the config and the deployed template cannot both come from standard input",
        ));
    }
    let (name, text) = read_config(&args.config)?;
    let synthesis = presence_stack::synthesize(
        Source {
            name: &name,
            text: &text,
        },
        Format::Json,
    )?;
    shell.diagnostics(&synthesis.warnings);
    let new: serde_json::Value = serde_json::from_str(&synthesis.template)
        .map_err(|e| format!("{name}: the synthesized template does not read back: {e}"))?;
    let (deployed_name, deployed_text) = read_deployed(&args.deployed)?;
    let deployed =
        diff::read_deployed(&deployed_text).map_err(|e| format!("{deployed_name}: {e}"))?;
    let changes = diff::diff(&deployed, &new);

    let document = match args.message_format {
        DiffFormat::Text => text_of(&changes),
        DiffFormat::Json => {
            let mut json = serde_json::to_string_pretty(&changes).unwrap_or_default();
            json.push('\n');
            json
        }
    };
    let mut out = io::stdout().lock();
    out.write_all(document.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::stdout("the changes", e))?;

    let count = |kind: Kind| changes.iter().filter(|c| c.change == kind).count();
    let replaced = changes.iter().filter(|c| c.replaces).count();
    shell.note(format_args!(
        "{name} against {deployed_name}: {} added, {} removed, {} changed ({replaced} replaced)",
        count(Kind::Added),
        count(Kind::Removed),
        count(Kind::Changed),
    ));
    let losing: Vec<String> = changes
        .iter()
        .filter(|c| c.loses_data())
        .map(|c| {
            let what = if c.change == Kind::Removed {
                "removed"
            } else {
                "replaced"
            };
            format!("{} ({what})", c.logical_id)
        })
        .collect();
    if !losing.is_empty() {
        let message = format!(
            "{name}: the deploy would replace or remove what holds data: {}; a replaced table starts empty, and \
             the old one is kept only with `retain: true`",
            losing.join(", ")
        );
        if args.allow_replacement {
            shell.warn(format_args!("{message} (allowed by --allow-replacement)"));
        } else {
            shell.error(format_args!(
                "{message}; pass --allow-replacement to accept it"
            ));
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_deployed(path: &Path) -> Result<(String, String), Failure> {
    if path == Path::new("-") {
        let mut text = String::new();
        io::stdin()
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| format!("<stdin>: cannot read the deployed template: {e}"))?;
        return Ok(("<stdin>".to_owned(), text));
    }
    let name = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|e| {
        format!(
            "{name}: cannot read the deployed template: {}",
            io_reason(&e)
        )
    })?;
    Ok((name, text))
}

/// `+ Id (Type)`, `- Id (Type)`, `~ Id (Type)`, and under a change each property, before and after.
fn text_of(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let (sign, note) = match c.change {
            Kind::Added => ('+', String::new()),
            Kind::Removed => ('-', ": removed".to_owned()),
            Kind::Changed if c.replaces => ('~', ": replaced".to_owned()),
            Kind::Changed => ('~', String::new()),
        };
        let stateful = if c.stateful && (c.replaces || c.change == Kind::Removed) {
            " (holds data)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{sign} {} ({}){note}{stateful}\n",
            c.logical_id, c.resource_type
        ));
        for p in &c.properties {
            let shown = |v: &serde_json::Value| {
                if v.is_null() {
                    "(none)".to_owned()
                } else {
                    v.to_string()
                }
            };
            let replaces = if p.replaces {
                " (replaces the resource)"
            } else {
                ""
            };
            out.push_str(&format!(
                "    {}: {} -> {}{replaces}\n",
                p.path,
                shown(&p.before),
                shown(&p.after)
            ));
        }
    }
    out
}
