//! `presence-stack replay`: error-action records in, `aws dynamodb batch-write-item` documents out.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use presence_stack::replay::{self, Options, Replay, Step};

use super::Failure;
use super::files::open_input;
use super::load_config;
use super::shell::Shell;

#[derive(clap::Args)]
pub(super) struct ReplayArgs {
    /// The config the stack was synthesized from; `-` reads standard input
    config: PathBuf,
    /// The error-action records: what `aws logs filter-log-events --output json` or `aws sqs receive-message
    /// --output json` printed (pages may follow one another), or JSON lines of records; `-` reads standard input
    #[arg(long, value_name = "FILE")]
    errors: PathBuf,
    /// The table to write to: the stack's `<Pipeline>TableName` output
    #[arg(long, value_name = "NAME")]
    table: String,
    /// The pipeline whose rule failed [default: the config's only pipeline]
    #[arg(long, value_name = "NAME")]
    pipeline: Option<String>,
    /// The deployed rule's name (the stack's `<Pipeline>RuleName` output), when it is neither `rule.name` nor a
    /// name CloudFormation generates for the rule
    #[arg(long = "rule", value_name = "NAME")]
    rule_name: Option<String>,
}

pub(super) fn run(args: &ReplayArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    let (name, model) = load_config(&args.config, &args.errors, "error records", shell)?;
    let options = Options {
        pipeline: args.pipeline.as_deref(),
        table: &args.table,
        rule_name: args.rule_name.as_deref(),
    };
    let mut replay = Replay::new(&model, &options).map_err(|e| format!("{name}: {e}"))?;

    let (errors_name, reader) = open_input(
        &args.errors,
        "error records",
        "the file of error records (filter-log-events or receive-message output)",
    )?;

    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut write_error: Option<io::Error> = None;
    let mut write = |doc: Option<String>, write_error: &mut Option<io::Error>| {
        if let Some(doc) = doc
            && write_error.is_none()
            && let Err(e) = writeln!(out, "{doc}")
        {
            *write_error = Some(e);
        }
        write_error.is_none()
    };
    let mut replaced = 0u64;
    let read = replay::read(reader, |line, record| {
        let record = match record {
            Ok(record) => record,
            Err(what) => {
                replay.unreadable();
                shell.error(format_args!("{errors_name}:{line}: {what}"));
                return true;
            }
        };
        let envelope = record
            .envelope
            .as_ref()
            .map_or_else(String::new, |e| format!("{e}: "));
        let (step, full) = replay.record(record);
        match step {
            Ok(Step::Queued | Step::Redelivery) => {}
            Ok(Step::Replaced { key }) => {
                replaced += 1;
                shell.warn(format_args!(
                    "{errors_name}:{line}: {envelope}a different event with the key {key} was \
                     replayed before; this one replaces it, as in the table: the key loses events"
                ));
            }
            Err(refusal) => {
                shell.error(format_args!(
                    "{errors_name}:{line}: {envelope}{}",
                    refusal.0
                ));
            }
        }
        write(full, &mut write_error)
    });
    let last = replay.finish();
    write(last, &mut write_error);
    if let Some(e) = write_error {
        return Err(Failure::stdout("the batch-write-item documents", e));
    }
    out.flush()
        .map_err(|e| Failure::stdout("the batch-write-item documents", e))?;
    read.map_err(|e| format!("{errors_name}: cannot read the error records: {e}"))?;

    let summary = replay.summary();
    shell.note(summary.line());
    if replaced > 0 {
        shell.warn(format_args!(
            "{name}: pipeline `{}`'s key gives {replaced} different event(s) the key of another: \
             the table keeps one of each; leave `table.sort_key` out for the default `eventKey`, which keeps every distinct \
             event apart (`presence-stack simulate` shows the overwrites before deploy)",
            replay.pipeline().name
        ));
    }
    if summary.refused > 0 {
        shell.error(format_args!(
            "{errors_name}: {} record(s) not replayed; the documents hold the others",
            summary.refused
        ));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
