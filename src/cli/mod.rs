//! The command line: clap types, reading the config, writing outputs, choosing exit codes. The only place that
//! touches files; everything else is the library's. One file per command, plus the file handling they share.

/// `eprintln!` that cannot panic. Standard error may be a pipe its reader closed (`2>&1 | head`); a diagnostic
/// that cannot be shown is dropped, where `eprintln!` would crash the tool.
macro_rules! message {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod at;
mod check;
mod files;
mod init;
mod notify;
mod replay;
mod report;
mod simulate;
mod status;
mod synth;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use presence_stack::Diagnostic;

use check::CheckArgs;
use init::InitArgs;
use replay::ReplayArgs;
use report::ReportArgs;
use simulate::SimulateArgs;
use status::StatusArgs;
use synth::SynthArgs;

const DEFAULT_CONFIG: &str = "presence-stack.yaml";

/// Synthesize and check AWS CloudFormation templates for the AWS IoT presence pipeline: a topic rule that writes
/// every lifecycle event of your devices into a DynamoDB table.
#[derive(Parser)]
#[command(
    name = "presence-stack",
    version,
    about,
    propagate_version = true,
    after_help = "Examples:\n  presence-stack init\n  \
    presence-stack synth presence-stack.yaml -o template.yaml\n  \
    presence-stack check presence-stack.yaml --template template.yaml\n  \
    presence-stack simulate presence-stack.yaml --events examples/events/stream.jsonl"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the CloudFormation template for a config
    #[command(
        after_help = "Examples:\n  presence-stack synth examples/presence.yaml -o template.yaml\n  \
        cat presence-stack.yaml | presence-stack synth - --format yaml"
    )]
    Synth(SynthArgs),
    /// Run every check of a config without writing anything
    ///
    /// With --template, also fail when that file is not exactly what synth would write (a drift gate for CI).
    #[command(after_help = "Examples:\n  presence-stack check\n  \
        presence-stack check presence-stack.yaml --template template.yaml --deny-warnings")]
    Check(CheckArgs),
    /// Run each pipeline's rule on recorded events and print the DynamoDB item each would write
    ///
    /// Events are JSON lines (one event per line) or one JSON array. An event is a bare presence or subscription
    /// payload (its topic follows from eventType and clientId), or {"topic": "...", "payload": {...}} for any
    /// topic. Standard output gets one JSON line per event and matching pipeline; standard error ends with a
    /// summary that counts the writes landing on the key of an earlier item.
    #[command(
        after_help = "Examples:\n  presence-stack simulate examples/presence.yaml --events examples/events/article.jsonl\n  \
        cat events.jsonl | presence-stack simulate presence-stack.yaml --events - --now 1672742949382\n  \
        presence-stack simulate examples/status-table.yaml --events examples/events/stream.jsonl --notifications"
    )]
    Simulate(SimulateArgs),
    /// Re-run a pipeline's rule on the events its error action caught, as aws dynamodb batch-write-item input
    ///
    /// Reads the error action's records as `aws logs filter-log-events --output json` or `aws sqs receive-message
    /// --output json` print them (or JSON lines of records), runs the rule on each record's payload and topic, and
    /// prints one --request-items document per line, at most 25 items each. The same records always give the same
    /// documents, and writing them twice leaves the table as writing them once. Records of another rule, or whose
    /// payload does not decode, are reported with their line; the exit code is then 1.
    #[command(
        after_help = "Examples:\n  aws logs filter-log-events --log-group-name \"$LOG_GROUP\" --output json > errors.json\n  \
        presence-stack replay presence-stack.yaml --errors errors.json --table \"$TABLE\" > batches.jsonl\n  \
        while read -r doc; do aws dynamodb batch-write-item --request-items \"$doc\"; done < batches.jsonl\n  \
        aws sqs receive-message --queue-url \"$QUEUE_URL\" --max-number-of-messages 10 --output json \\\n    \
        | presence-stack replay presence-stack.yaml --errors - --table \"$TABLE\" --pipeline presence"
    )]
    Replay(ReplayArgs),
    /// Tell which devices are connected, from the table's items (aws dynamodb scan or query output)
    ///
    /// Each client is connected (since when, which session), disconnected (since when, why) or unknown (and why,
    /// with the latest event as a best guess), however out of order and duplicated the events were delivered.
    /// Asked now, every stored event has happened; asked about the past (--at), an event stamped near that time
    /// may make the answer unknown. Items are read as the pipeline's rule wrote them, or as its status table holds
    /// them. Standard output gets a table (tab-separated when not a terminal) or, with --json, one JSON object per
    /// client; standard error ends with the counts.
    #[command(
        after_help = "Examples:\n  aws dynamodb scan --table-name \"$TABLE\" --output json | presence-stack status presence-stack.yaml --items -\n  \
        aws dynamodb query --table-name \"$TABLE\" --key-condition-expression 'clientId = :c' \\\n    \
        --expression-attribute-values '{\":c\":{\"S\":\"sensor-17\"}}' --output json \\\n    \
        | presence-stack status presence-stack.yaml --items - --client sensor-17\n  \
        presence-stack status presence-stack.yaml --items scan.json --at -15m --json\n  \
        aws dynamodb query --table-name \"$STATUS\" --index-name Online --key-condition-expression '#o = :o' \\\n    \
        --expression-attribute-names '{\"#o\":\"online\"}' --expression-attribute-values '{\":o\":{\"S\":\"1\"}}' --output json \\\n    \
        | presence-stack status presence-stack.yaml --items -"
    )]
    Status(StatusArgs),
    /// Write one self-contained HTML page of the fleet, from the table's items (aws dynamodb scan or query output)
    ///
    /// The same input and the same answers as status: a summary with its counts, a sortable and filterable table
    /// of every client, each client's timeline (connected intervals, disconnects by reason, takeovers and flapping
    /// marked), the connected devices over time, the devices that flap most and the client IDs in conflict. The
    /// page fetches nothing: its style, script and SVG are inline, to open from disk or keep as a CI artifact.
    /// The same items and --at give the same bytes. Standard error ends with the counts.
    #[command(
        after_help = "Examples:\n  aws dynamodb scan --table-name \"$TABLE\" --output json > scan.json\n  \
        presence-stack report presence-stack.yaml --items scan.json -o report.html\n  \
        presence-stack report presence-stack.yaml --items scan.json --at 2026-12-07T09:00:00Z -o yesterday.html\n  \
        presence-stack simulate presence-stack.yaml --events recorded.jsonl \\\n    \
        | presence-stack report presence-stack.yaml --items - > report.html"
    )]
    Report(ReportArgs),
    /// Print the JSON Schema of the config, for editors and validators
    #[command(
        after_help = "Examples:\n  presence-stack schema > presence-stack.schema.json\n\n\
        Then start a config with this line for completion and validation in editors that use yaml-language-server:\n  \
        # yaml-language-server: $schema=./presence-stack.schema.json"
    )]
    Schema,
    /// Write a commented starter config that synthesizes and passes every check as it is
    #[command(
        after_help = "Examples:\n  presence-stack init\n  presence-stack init -o configs/presence.yaml --force"
    )]
    Init(InitArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  presence-stack completions bash > ~/.local/share/bash-completion/completions/presence-stack\n  \
        presence-stack completions zsh > ~/.zfunc/_presence-stack\n  \
        presence-stack completions fish > ~/.config/fish/completions/presence-stack.fish"
    )]
    Completions {
        /// The shell to complete in
        shell: clap_complete::Shell,
    },
}

/// Why a command stopped early. The reporter in [`main`] prints it and picks the exit code.
pub(crate) enum Failure {
    /// One or more lines, each printed after `presence-stack: error: `; exit 1.
    Lines(Vec<String>),
    /// Writing `what` to standard output failed. The reporter decides what that means: a reader that closed the
    /// pipe early (`| head`) is no error at all.
    Stdout { what: String, error: io::Error },
}

/// A failure of these lines. Commands write `Failure(vec![...])`, as when `Failure` was a tuple struct of lines.
#[allow(non_snake_case)]
pub(crate) fn Failure(lines: Vec<String>) -> Failure {
    Failure::Lines(lines)
}

impl Failure {
    /// Writing `what` to standard output failed with `error`.
    pub(crate) fn stdout(what: impl Into<String>, error: io::Error) -> Failure {
        Failure::Stdout {
            what: what.into(),
            error,
        }
    }
}

impl From<String> for Failure {
    fn from(line: String) -> Self {
        Failure(vec![line])
    }
}

impl From<presence_stack::Error> for Failure {
    fn from(e: presence_stack::Error) -> Self {
        match e {
            // Warnings found next to the errors still help: show them, as warnings.
            presence_stack::Error::Config(diagnostics) => {
                let (errors, warnings): (Vec<_>, Vec<_>) =
                    diagnostics.into_iter().partition(Diagnostic::is_error);
                report_warnings(&warnings);
                Failure(errors.iter().map(ToString::to_string).collect())
            }
            other => Failure(other.to_string().lines().map(str::to_owned).collect()),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Synth(args) => synth::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Status(args) => status::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Schema => print_stdout(&presence_stack::schema_text(), "the schema"),
        Command::Init(args) => init::run(&args),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "presence-stack", &mut text);
            print_stdout(&String::from_utf8_lossy(&text), "the completion script")
        }
    };
    report(result)
}

/// The one place that turns a command's outcome into what the user sees and the exit code.
fn report(result: Result<ExitCode, Failure>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(failure) => match error_lines(failure) {
            None => ExitCode::SUCCESS,
            Some(lines) => {
                let mut stderr = io::stderr().lock();
                for line in lines {
                    let _ = writeln!(stderr, "presence-stack: error: {line}");
                }
                ExitCode::FAILURE
            }
        },
    }
}

/// The error lines a failure prints, or `None` when it is no error at all.
fn error_lines(failure: Failure) -> Option<Vec<String>> {
    match failure {
        Failure::Lines(lines) => Some(lines),
        // Rust ignores SIGPIPE, so a reader that stopped early (`| head`) shows up as this error. A C tool would
        // have been ended by the signal, silently; like ripgrep, end quietly with success.
        Failure::Stdout { error, .. } if error.kind() == io::ErrorKind::BrokenPipe => None,
        Failure::Stdout { what, error } => Some(vec![format!(
            "cannot write {what} to standard output: {error}"
        )]),
    }
}

pub(crate) fn print_stdout(text: &str, what: &str) -> Result<ExitCode, Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::stdout(what, e))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn report_warnings(warnings: &[Diagnostic]) {
    let mut stderr = io::stderr().lock();
    for w in warnings {
        let _ = writeln!(stderr, "presence-stack: warning: {w}");
    }
}

/// The config of a command that also reads data (`what`, from `input`): read, checked, its warnings reported.
/// Both cannot come from standard input.
pub(crate) fn load_config(
    config: &std::path::Path,
    input: &std::path::Path,
    what: &str,
) -> Result<(String, presence_stack::Model), Failure> {
    let stdin = std::path::Path::new("-");
    if config == stdin && input == stdin {
        return Err(Failure(vec![format!(
            "the config and the {what} cannot both come from standard input"
        )]));
    }
    let (name, text) = files::read_config(config)?;
    let (model, warnings) = presence_stack::check(presence_stack::Source {
        name: &name,
        text: &text,
    })?;
    report_warnings(&warnings);
    Ok((name, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_on_standard_output_is_no_error_and_other_write_errors_are() {
        let closed = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(error_lines(Failure::stdout("the items", closed)).is_none());
        assert_eq!(report(Ok(ExitCode::SUCCESS)), ExitCode::SUCCESS);
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert_eq!(
            error_lines(Failure::stdout("the items", full)),
            Some(vec![
                "cannot write the items to standard output: no storage space".to_owned()
            ])
        );
        assert_eq!(
            error_lines(Failure(vec!["x: bad".to_owned()])),
            Some(vec!["x: bad".to_owned()])
        );
    }
}
