//! `presence-stack status`: who is connected, from the table's items.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use presence_stack::status::{
    self, DEFAULT_TIMESTAMP_ERROR_MS, DEFAULT_WINDOW_MS, Event, Fields, Params, Read, Resolver,
    State, Status, Totals, Unknown, report,
};

use presence_stack::model::Among;

use super::Failure;
use super::at::{self, At};
use super::files::open_input;
use super::load_config;
use super::shell::Shell;

/// How many unreadable items or pages are printed one by one; the rest are only counted.
pub(super) const MAX_PROBLEMS_SHOWN: u64 = 100;

#[derive(clap::Args)]
pub(super) struct StatusArgs {
    /// The config file; `-` reads standard input
    config: PathBuf,
    /// The items of the pipeline's event table, as `aws dynamodb scan` or `aws dynamodb query` print them with
    /// `--output json` (one page or several one after another), or the JSON lines `simulate` prints; or the items
    /// of its status table (a scan, or a query of the `Online` index); `-` reads standard input
    #[arg(long, value_name = "FILE")]
    items: PathBuf,
    /// The pipeline whose table the items come from [default: the only pipeline that keeps connected and
    /// disconnected events]
    #[arg(long, value_name = "NAME")]
    pipeline: Option<String>,
    /// Answer as of this time in the past: epoch milliseconds, an RFC 3339 time (2026-12-07T10:00:00Z) or an
    /// offset back from now (-15m, -2h, -1d) [default: now]. A time at or after now is now
    #[arg(long, value_name = "TIME", allow_hyphen_values = true, value_parser = at::parse)]
    at: Option<At>,
    /// Answer for this client only (it is listed even when the items hold nothing of it)
    #[arg(long, value_name = "ID")]
    client: Option<String>,
    /// Print only the clients in this state (repeat it for several); the counts on stderr stay the whole fleet's
    #[arg(long, value_name = "STATE", value_enum)]
    state: Vec<StateFilter>,
    /// One JSON object per line and client, sorted by clientId, instead of a table
    #[arg(long, conflicts_with = "write_requests")]
    json: bool,
    /// Instead of answers, print `aws dynamodb batch-write-item --request-items` documents (JSON lines, at most 25
    /// items each) that put every client into this status table, as the status function would hold it (an
    /// unknown answer as its best guess): the rebuild of a pipeline's `status.enabled` table from its event table
    #[arg(long, value_name = "TABLE")]
    write_requests: Option<String>,
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

/// The states `--state` picks.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StateFilter {
    Connected,
    Disconnected,
    Unknown,
}

impl StateFilter {
    fn admits(self, state: &State) -> bool {
        matches!(
            (self, state),
            (StateFilter::Connected, State::Connected { .. })
                | (StateFilter::Disconnected, State::Disconnected { .. })
                | (StateFilter::Unknown, State::Unknown(_))
        )
    }
}

pub(super) fn run(args: &StatusArgs, shell: &mut Shell) -> Result<ExitCode, Failure> {
    let params = Params::new(args.window, args.timestamp_error)
        .map_err(|e| Failure::Usage(format!("--window / --timestamp-error: {e}")))?;
    let fields = presence_fields(&args.config, &args.items, args.pipeline.as_deref(), shell)?;

    let (items_name, reader) =
        open_input(&args.items, "items", "the file of scan or query output")?;

    let mut resolver = resolver(args.at, clock_ms(), params);
    let at = resolver.at();
    let totals = read_items(reader, &fields, &items_name, shell, &mut resolver, |e| {
        args.client.as_deref().is_none_or(|c| c == e.client_id)
    })?;
    let now = resolver.is_now();
    let mut statuses = resolver.finish();
    if let Some(client) = &args.client
        && statuses.is_empty()
    {
        shell.note(format_args!("{items_name}: no items of client `{client}`"));
        statuses.push(Status {
            client_id: client.clone(),
            state: State::Unknown(Unknown::NoData {
                connect_failed: 0,
                later_events: false,
            }),
            events: 0,
            guess: None,
        });
    }
    let counts = report::Counts::of(&statuses);
    if !args.state.is_empty() {
        statuses.retain(|s| args.state.iter().any(|f| f.admits(&s.state)));
    }

    // A closed pipe (`| head`) is the reporter's to end quietly, as for every command.
    if let Some(table) = &args.write_requests {
        let (documents, left_out) = presence_stack::rebuild::documents(&statuses, table);
        write_documents(&documents).map_err(|e| Failure::stdout("the write requests", e))?;
        shell.note(format_args!(
            "{} write document(s) for table `{table}`; {left_out} client(s) without a connect or disconnect left out",
            documents.len()
        ));
    } else {
        write(&statuses, at, args.json).map_err(|e| Failure::stdout("the statuses", e))?;
    }
    Ok(summary(
        shell,
        &Summary {
            totals,
            pipeline: &fields.pipeline,
            at,
            now,
            counts,
            items_name: &items_name,
            leaves_out: "the answers leave them out",
        },
    ))
}

/// Where the items of the pipeline `status` and `report` read keep each event field: the one named, or the only
/// one that keeps connected and disconnected events. A rule that never writes `disconnectReason` earns a warning.
pub(super) fn presence_fields(
    config: &Path,
    items: &Path,
    pipeline: Option<&str>,
    shell: &mut Shell,
) -> Result<Fields, Failure> {
    let (name, model) = load_config(config, items, "items", shell)?;
    let (index, pipeline) = model
        .pipeline(pipeline, Among::Presence)
        .map_err(|e| format!("{name}: {e}"))?;
    let fields = Fields::of(index, pipeline).map_err(|e| format!("{name}: {e}"))?;
    if fields.reason.is_none() {
        shell.warn(format_args!(
            "{name}: pipeline `{}` never writes `disconnectReason`: a takeover (DUPLICATE_CLIENTID) looks like any disconnect",
            fields.pipeline
        ));
    }
    Ok(fields)
}

/// What `status` and `report` read: every item through `resolver` (each event `keep` admits; `keep` may also
/// collect it), each unreadable one reported (the first [`MAX_PROBLEMS_SHOWN`]). Nothing at all is no empty
/// fleet but an `aws` command that failed before printing its page; a status table asked about the past is
/// refused, for it holds only each client's latest state.
pub(super) fn read_items(
    reader: impl BufRead,
    fields: &Fields,
    items_name: &str,
    shell: &mut Shell,
    resolver: &mut Resolver,
    mut keep: impl FnMut(&Event<'_>) -> bool,
) -> Result<Totals, Failure> {
    let mut shown = 0u64;
    let totals = status::read(reader, fields, |r| match r {
        Read::Event(e) => {
            if keep(&e) {
                resolver.add(&e);
            }
        }
        Read::Problem(p) => {
            shown += 1;
            if shown <= MAX_PROBLEMS_SHOWN {
                shell.error(format_args!("{items_name}:{}: {}", p.line, p.message));
            }
        }
    });
    if totals.is_empty() {
        return Err(Failure::error(format!(
            "{items_name}: no items and no page in it; give what `aws dynamodb scan --output json` prints \
             (an empty table prints a page with \"Items\": [])"
        )));
    }
    if totals.status_items > 0 && !resolver.is_now() {
        return Err(Failure::error(format!(
            "{items_name}: --at: the items are a status table's, which holds only each client's latest state; \
             to ask about a time in the past, give the event table's items"
        )));
    }
    Ok(totals)
}

/// The closing lines of `status` and `report`: what was read and the counts, then the unreadable items.
pub(super) struct Summary<'a> {
    pub(super) totals: Totals,
    pub(super) pipeline: &'a str,
    pub(super) at: i64,
    pub(super) now: bool,
    pub(super) counts: report::Counts,
    pub(super) items_name: &'a str,
    /// How the output treats what could not be read.
    pub(super) leaves_out: &'a str,
}

/// Print the summary; exit 1 when items could not be read.
pub(super) fn summary(shell: &mut Shell, s: &Summary<'_>) -> ExitCode {
    let t = &s.totals;
    shell.note(format_args!(
        "{} item{} of pipeline `{}`{}, as of {}{}: {}",
        t.items,
        if t.items == 1 { "" } else { "s" },
        s.pipeline,
        if t.status_items > 0 {
            " (status table)"
        } else {
            ""
        },
        report::iso(s.at),
        if s.now { " (now)" } else { "" },
        s.counts.line()
    ));
    if t.problems == 0 {
        return ExitCode::SUCCESS;
    }
    if t.problems > MAX_PROBLEMS_SHOWN {
        shell.error(format_args!(
            "{}: ... and {} more",
            s.items_name,
            t.problems - MAX_PROBLEMS_SHOWN
        ));
    }
    shell.error(format_args!(
        "{}: {} item(s), line(s) or page(s) could not be read and were skipped; {}",
        s.items_name, t.problems, s.leaves_out
    ));
    ExitCode::FAILURE
}

/// Asked about now (no `--at`, or one at or after the clock), every stored event has happened: no near-time.
/// Asked about the past, events stamped near that time may lie on either side of it.
pub(super) fn resolver(at: Option<At>, clock: i64, params: Params) -> Resolver {
    match at.map(|a| a.resolve(clock)) {
        Some(t) if t < clock => Resolver::new(t, params),
        _ => Resolver::now(clock, params),
    }
}

/// JSON lines with `--json`; otherwise a table, aligned on a terminal and tab-separated (with the same header)
/// when piped, so that `cut -f` and `awk -F'\t'` can read it.
fn write(statuses: &[Status], at: i64, json: bool) -> io::Result<()> {
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if json {
        for s in statuses {
            report::write_json(&mut out, s, at)?;
            out.write_all(b"\n")?;
        }
    } else {
        out.write_all(report::table(statuses, at, terminal).as_bytes())?;
    }
    out.flush()
}

fn write_documents(documents: &[String]) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for d in documents {
        out.write_all(d.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

pub(super) fn clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `simulate --status`: the resolver fed with the items each presence pipeline writes, answering at the end of
/// the input as about the present: every event simulated is stored, so it has happened.
pub(super) struct SimulateStatus {
    at: i64,
    pipelines: Vec<(Fields, Resolver)>,
    unreadable: u64,
}

impl SimulateStatus {
    /// Nothing to do unless `enabled`; every pipeline that keeps connected and disconnected events otherwise.
    pub(super) fn new(
        model: &presence_stack::Model,
        enabled: bool,
        now: Option<i64>,
    ) -> SimulateStatus {
        let at = now.unwrap_or_else(clock_ms);
        let pipelines = if enabled {
            model
                .pipelines
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Fields::of(i, p).ok())
                .map(|f| (f, Resolver::now(at, Params::default())))
                .collect()
        } else {
            Vec::new()
        };
        SimulateStatus {
            at,
            pipelines,
            unreadable: 0,
        }
    }

    pub(super) fn observe(&mut self, pipeline: &str, outcome: &presence_stack::simulate::Outcome) {
        let presence_stack::simulate::Outcome::Written { item, .. } = outcome else {
            return;
        };
        for (fields, resolver) in &mut self.pipelines {
            if fields.pipeline == pipeline {
                match status::plain::event(item, fields) {
                    Ok(Some(e)) => resolver.add(&e),
                    Ok(None) => {}
                    Err(_) => self.unreadable += 1,
                }
            }
        }
    }

    /// One JSON line per pipeline and client (`pipeline`, then what `status --json` prints), and the counts.
    pub(super) fn finish(self, out: &mut impl Write) -> io::Result<StatusLines> {
        let mut summaries = Vec::new();
        for (fields, resolver) in self.pipelines {
            let statuses = resolver.finish();
            for s in &statuses {
                let mut line = serde_json::Map::new();
                line.insert("pipeline".into(), fields.pipeline.clone().into());
                if let serde_json::Value::Object(m) = report::json(s, self.at) {
                    line.extend(m);
                }
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
            summaries.push(format!(
                "status of pipeline `{}` as of {}: {}",
                fields.pipeline,
                report::iso(self.at),
                report::Counts::of(&statuses).line()
            ));
        }
        let warning = (self.unreadable > 0).then(|| {
            format!(
                "{} written item(s) lack a field status needs",
                self.unreadable
            )
        });
        out.flush()?;
        Ok(StatusLines { summaries, warning })
    }
}

/// What `simulate --status` says on standard error at the end: the counts of each pipeline, and a warning.
pub(super) struct StatusLines {
    summaries: Vec<String>,
    warning: Option<String>,
}

impl StatusLines {
    pub(super) fn new(summaries: Vec<String>, warning: Option<String>) -> StatusLines {
        StatusLines { summaries, warning }
    }

    pub(super) fn report(&self, shell: &mut Shell) {
        self.summaries.iter().for_each(|line| shell.note(line));
        self.warning.iter().for_each(|line| shell.warn(line));
    }
}
