//! `presence-stack simulate`: run the rules on recorded events.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::Failure;
use super::files::open_input;
use super::load_config;
use super::shell::Shell;

#[derive(clap::Args)]
pub(super) struct SimulateArgs {
    /// The config file; `-` reads standard input
    config: PathBuf,
    /// The events: JSON lines or a JSON array; `-` reads standard input
    #[arg(long, value_name = "FILE")]
    events: PathBuf,
    /// The value of timestamp() in every rule, in epoch milliseconds [default: each event's own `timestamp`,
    /// else the clock]
    #[arg(long, value_name = "MS")]
    now: Option<i64>,
    /// End with the answer of `status` for every client of every presence pipeline, from the items written: one
    /// JSON line per client, as `status --json` prints it, with its `pipeline` (as of --now, else the clock)
    #[arg(long, conflicts_with = "write_requests")]
    status: bool,
    /// Instead of one line per event, print `aws dynamodb batch-write-item --request-items` documents (JSON lines,
    /// at most 25 items each) that put the items the pipeline's rule would write into this table: one request per
    /// key, the last write winning, as in the table itself
    #[arg(long, value_name = "TABLE", conflicts_with = "notifications")]
    write_requests: Option<String>,
    /// The pipeline whose items --write-requests prints [default: the only pipeline]
    #[arg(long, value_name = "NAME", requires = "write_requests")]
    pipeline: Option<String>,
    /// Print the notifications the stack would send instead of the items: one JSON line each (`at`, `source`,
    /// `detail-type`, `detail`), by the rules of its functions. Events arrive in the order of the file, each at
    /// its `arrivedAt` field (epoch milliseconds; taken off before the rule runs), else at its `timestamp`
    #[arg(long)]
    notifications: bool,
}

pub(super) fn run(args: &SimulateArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    use presence_stack::simulate::{
        Event, Outcome, RawEvent, Simulator, WriteRequests, write_line,
    };

    let (name, model) = load_config(&args.config, &args.events, "events", shell)?;
    let mut simulator = Simulator::new(&model, args.now).map_err(|e| format!("{name}: {e}"))?;
    let mut status = super::status::SimulateStatus::new(&model, args.status, args.now);
    let mut notify = super::notify::SimulateNotify::new(&model, args.notifications);
    if args.notifications && notify.is_empty() {
        return Err(Failure::error(format!(
            "{name}: no pipeline sends notifications; `--notifications` needs `status: {{enabled: true}}` on a \
             pipeline (and notifications not turned off)"
        )));
    }

    let seed = match &args.write_requests {
        Some(table) => Some((
            table.as_str(),
            seed_pipeline(&model, args.pipeline.as_deref()).map_err(|e| format!("{name}: {e}"))?,
            WriteRequests::new(),
        )),
        None => None,
    };
    let mut seed = seed;

    let (events_name, reader) = open_input(&args.events, "events", "the events file inside it")?;
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut write_error: Option<io::Error> = None;
    let mut unreadable = 0u64;
    let mut index = 0u64;
    // Plain output is written straight from an event's line when it has the common shape (see
    // `Simulator::run_text`); the other outputs read the outcomes themselves.
    let plain = !args.status && !args.notifications && seed.is_none();
    let mut lines = Vec::with_capacity(1 << 10);
    let mut on_event = |line: usize, raw: RawEvent<'_>| -> bool {
        if plain && let RawEvent::Line(text) = raw {
            lines.clear();
            if simulator.run_text(text, index, &mut lines) {
                if let Err(e) = out.write_all(&lines) {
                    write_error = Some(e);
                }
                index += 1;
                return write_error.is_none();
            }
        }
        let mut arrived = None;
        let value = raw.into_value().map(|mut v| {
            if args.notifications {
                arrived = super::notify::SimulateNotify::take_arrival(&mut v);
            }
            v
        });
        let event = value.and_then(Event::from_json);
        match event {
            Ok(event) => simulator.run(event, |pipeline, outcome| {
                status.observe(pipeline, outcome);
                notify.observe(pipeline, outcome, arrived);
                if let Some((_, chosen, requests)) = &mut seed {
                    if let Outcome::Written { key, item } = outcome
                        && pipeline == chosen.as_str()
                    {
                        requests.add(key, item);
                    }
                } else if write_error.is_none()
                    && let Err(e) = if args.notifications {
                        notify.drain(&mut out)
                    } else {
                        write_line(&mut out, index, pipeline, outcome)
                    }
                {
                    write_error = Some(e);
                }
            }),
            Err(what) => {
                unreadable += 1;
                shell.plain(format_args!("{events_name}:{line}: {what}"));
            }
        }
        index += 1;
        write_error.is_none()
    };
    let read = presence_stack::simulate::read_events(reader, &mut on_event);
    if let Some(e) = write_error {
        return Err(Failure::stdout("the items", e));
    }
    let notify_lines = notify
        .finish(&mut out)
        .map_err(|e| Failure::stdout("the notifications", e))?;
    let status_lines = status
        .finish(&mut out)
        .map_err(|e| Failure::stdout("the items", e))?;
    let mut seed_line = None;
    if let Some((table, chosen, requests)) = &seed {
        let documents = requests.documents(table);
        for d in &documents {
            writeln!(out, "{d}").map_err(|e| Failure::stdout("the write requests", e))?;
        }
        seed_line = Some(format!(
            "{} write document(s) for table `{table}`: {} item(s) of pipeline `{chosen}`, {} write(s) on a key written before collapsed",
            documents.len(),
            requests.items(),
            requests.collapsed()
        ));
    }
    out.flush().map_err(|e| Failure::stdout("the items", e))?;
    if let Err((line, what)) = read {
        unreadable += 1;
        shell.plain(format_args!("{events_name}:{line}: {what}"));
    }
    let summary = simulator.summary();
    // A run over nothing checks nothing. In CI that is an export or a filter that went wrong, and it must not
    // pass as a clean run.
    if summary.events == 0 && unreadable == 0 {
        return Err(Failure::error(format!(
            "{events_name}: no events in it; give recorded events, one JSON object per line or one JSON array \
             (examples/events/ has some)"
        )));
    }
    shell.note(summary.line());
    if args.notifications {
        notify_lines.report(shell);
    }
    status_lines.report(shell);
    seed_line.iter().for_each(|line| shell.note(line));
    if summary.overwritten > 0 {
        shell.warn(format_args!(
            "{name}: {} write(s) replaced a different event under the same key: those events are lost; \
             leave `table.sort_key` out for the default `eventKey`, which keeps every distinct event apart (compare examples/timestamp-key.yaml with examples/minimal.yaml)",
            summary.overwritten
        ));
    }
    if unreadable > 0 {
        shell.error(format_args!(
            "{events_name}: {unreadable} event(s) could not be read"
        ));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The pipeline whose items `--write-requests` prints: the one named, or the only one.
fn seed_pipeline(model: &presence_stack::Model, name: Option<&str>) -> Result<String, String> {
    model
        .pipeline(name, presence_stack::model::Among::All)
        .map(|(_, p)| p.name.clone())
        .map_err(|e| format!("--write-requests: {e}"))
}
