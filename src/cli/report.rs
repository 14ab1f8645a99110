//! `presence-stack report`: one self-contained HTML page of the fleet, from the same items and with the same
//! answers as `status`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use presence_stack::fleet::{Collector, Fleet, Source};
use presence_stack::status::{DEFAULT_TIMESTAMP_ERROR_MS, DEFAULT_WINDOW_MS, Params};

use super::at::{self, At};
use super::files::{open_input, refuse_input_as_output, write_file};
use super::shell::Shell;
use super::status::{Summary, clock_ms, presence_fields, read_items, resolver, summary};
use super::{Failure, print_stdout};

#[derive(clap::Args)]
pub(super) struct ReportArgs {
    /// The config file; `-` reads standard input
    config: PathBuf,
    /// The items of the pipeline's event table, as `aws dynamodb scan` or `aws dynamodb query` print them with
    /// `--output json` (one page or several one after another), or the JSON lines `simulate` prints; or the items
    /// of its status table (a scan, or a query of the `Online` index); `-` reads standard input
    #[arg(long, value_name = "FILE")]
    items: PathBuf,
    /// Write the page to this file (atomically: on any error an existing file is left as it was) [default:
    /// standard output]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The pipeline whose table the items come from [default: the only pipeline that keeps connected and
    /// disconnected events]
    #[arg(long, value_name = "NAME")]
    pipeline: Option<String>,
    /// Answer as of this time in the past: epoch milliseconds, an RFC 3339 time (2026-12-07T10:00:00Z) or an
    /// offset back from now (-15m, -2h, -1d) [default: now]. A time at or after now is now
    #[arg(long, value_name = "TIME", allow_hyphen_values = true, value_parser = at::parse)]
    at: Option<At>,
    /// Connections stamped less than this apart are ordered by versionNumber, others by timestamp (more than twice
    /// the timestamp error; with it, under an hour)
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_WINDOW_MS)]
    window: i64,
    /// How far an event's timestamp may be from when it happened. Asked about a time in the past (--at), an
    /// event this close to it that would change the answer makes the answer unknown; asked now, every stored
    /// event has happened, whatever its stamp
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_TIMESTAMP_ERROR_MS)]
    timestamp_error: i64,
}

pub(super) fn run(args: &ReportArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    let params = Params::new(args.window, args.timestamp_error)
        .map_err(|e| Failure::Usage(format!("--window / --timestamp-error: {e}")))?;
    if let Some(out) = &args.output {
        refuse_input_as_output(&args.config, out, "the config", "the report")?;
        if args.items != Path::new("-") {
            refuse_input_as_output(&args.items, out, "the items", "the report")?;
        }
    }
    let fields = presence_fields(&args.config, &args.items, args.pipeline.as_deref(), shell)?;
    let (items_name, reader) =
        open_input(&args.items, "items", "the file of scan or query output")?;

    let mut resolver = resolver(args.at, clock_ms(), params);
    let mut collector = Collector::new();
    let at = resolver.at();
    let totals = read_items(reader, &fields, &items_name, shell, &mut resolver, |e| {
        collector.add(e);
        true
    })?;
    let now = resolver.is_now();
    let statuses = resolver.finish();
    let fleet = Fleet::build(
        collector,
        statuses,
        at,
        now,
        params,
        Source {
            pipeline: fields.pipeline.clone(),
            items: totals.items,
            problems: totals.problems,
            status_table: totals.status_items > 0,
        },
    );
    let page = fleet.html();
    match &args.output {
        Some(path) => {
            write_file(path, page.as_bytes(), "the report")?;
            shell.note(format_args!(
                "wrote {} ({} bytes, {} devices)",
                path.display(),
                page.len(),
                fleet.devices.len()
            ));
        }
        None => {
            print_stdout(&page, "the report")?;
        }
    }
    Ok(summary(
        shell,
        &Summary {
            totals,
            pipeline: &fields.pipeline,
            at,
            now,
            counts: fleet.counts,
            items_name: &items_name,
            leaves_out: "the report leaves them out",
        },
    ))
}
