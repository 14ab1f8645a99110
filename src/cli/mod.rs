//! The command line: clap types, reading the config, writing outputs, choosing exit codes. The only place that
//! touches files; everything else is the library's. One file per command, plus the file handling they share.

mod at;
mod check;
mod diff;
mod files;
mod formats;
mod init;
mod notify;
mod replay;
mod report;
mod shell;
mod simulate;
mod status;
mod synth;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use presence_stack::Diagnostic;

use check::CheckArgs;
use diff::DiffArgs;
use init::InitArgs;
use replay::ReplayArgs;
use report::ReportArgs;
use shell::Shell;
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
    /// Show what deploying the config's template would change in a deployed stack, and what it would replace
    ///
    /// Lists the resources added, removed and changed, each changed property before and after, and marks the
    /// changes that make CloudFormation replace the resource (from the resource reference's update behaviours).
    /// Exits with status 1 when a table, log group, queue or key would be replaced or removed, unless
    /// --allow-replacement.
    #[command(
        after_help = "Examples:\n  aws cloudformation get-template --stack-name device-presence --output json > deployed.json\n  \
        presence-stack diff presence-stack.yaml --deployed deployed.json\n  \
        aws cloudformation get-template --stack-name device-presence --output json \\\n    \
        | presence-stack diff presence-stack.yaml --deployed - --message-format json"
    )]
    Diff(DiffArgs),
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
    /// Errors, each printed as `presence-stack: error: <line>`; exit 1.
    Errors(Vec<String>),
    /// The config's diagnostics: its errors, and the warnings found beside them, which still help; exit 1.
    Config(Vec<Diagnostic>),
    /// A usage error clap could not see (two options that contradict each other by value); exit 2.
    Usage(String),
    /// Writing `what` to standard output failed. The reporter decides what that means: a reader that closed the
    /// pipe early (`| head`) is no error at all.
    Stdout { what: String, error: io::Error },
}

impl Failure {
    /// One error line.
    pub(crate) fn error(line: impl Into<String>) -> Failure {
        Failure::Errors(vec![line.into()])
    }

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
        Failure::error(line)
    }
}

impl From<presence_stack::Error> for Failure {
    fn from(e: presence_stack::Error) -> Self {
        match e {
            presence_stack::Error::Config(diagnostics) => Failure::Config(diagnostics),
            presence_stack::Error::TooLarge(e) => Failure::Config(vec![e.diagnostic()]),
            other => Failure::Errors(other.to_string().lines().map(str::to_owned).collect()),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut shell = Shell::new();
    let result = match cli.command {
        Command::Synth(args) => synth::run(&args, &mut shell),
        Command::Check(args) => check::run(&args, &mut shell),
        Command::Diff(args) => diff::run(&args, &mut shell),
        Command::Simulate(args) => simulate::run(&args, &mut shell),
        Command::Replay(args) => replay::run(&args, &mut shell),
        Command::Status(args) => status::run(&args, &mut shell),
        Command::Report(args) => report::run(&args, &mut shell),
        Command::Schema => print_stdout(&presence_stack::schema_text(), "the schema"),
        Command::Init(args) => init::run(&args, &mut shell),
        Command::Completions { shell: kind } => {
            let mut text = Vec::new();
            clap_complete::generate(kind, &mut Cli::command(), "presence-stack", &mut text);
            print_stdout(&String::from_utf8_lossy(&text), "the completion script")
        }
    };
    report(result, &mut shell)
}

/// The one place that turns a command's outcome into what the user sees and the exit code: the failure, then
/// the document of a machine format, if one was chosen.
fn report(result: Result<ExitCode, Failure>, shell: &mut Shell) -> ExitCode {
    let code = report_failure(result, shell);
    match shell.finish() {
        Ok(()) => code,
        // A reader that stopped early changes nothing: the check's own outcome stands.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => code,
        Err(error) => report_failure(Err(Failure::stdout("the diagnostics", error)), shell),
    }
}

/// What a command's outcome prints, and its exit code.
pub(crate) fn report_failure(result: Result<ExitCode, Failure>, shell: &mut Shell) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(Failure::Errors(lines)) => {
            lines.iter().for_each(|line| shell.error(line));
            ExitCode::FAILURE
        }
        Err(Failure::Config(diagnostics)) => {
            shell.diagnostics(&diagnostics);
            ExitCode::FAILURE
        }
        Err(Failure::Usage(line)) => {
            shell.error(line);
            ExitCode::from(2)
        }
        // Rust ignores SIGPIPE, so a reader that stopped early (`| head`) shows up as this error. A C tool would
        // have been ended by the signal, silently; like ripgrep, end quietly with success.
        Err(Failure::Stdout { error, .. }) if error.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(Failure::Stdout { what, error }) => {
            shell.error(format_args!(
                "cannot write {what} to standard output: {error}"
            ));
            ExitCode::FAILURE
        }
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

/// The config of a command that also reads data (`what`, from `input`): read, checked, its warnings reported.
/// Both cannot come from standard input.
pub(crate) fn load_config(
    config: &std::path::Path,
    input: &std::path::Path,
    what: &str,
    shell: &mut Shell,
) -> Result<(String, presence_stack::Model), Failure> {
    let stdin = std::path::Path::new("-");
    if config == stdin && input == stdin {
        return Err(Failure::error(format!(
            "the config and the {what} cannot both come from standard input"
        )));
    }
    let (name, text) = files::read_config(config)?;
    let (model, warnings) = presence_stack::check(presence_stack::Source {
        name: &name,
        text: &text,
    })?;
    shell.diagnostics(&warnings);
    Ok((name, model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shell::tests::Captured;

    fn reported(result: Result<ExitCode, Failure>) -> (ExitCode, String) {
        let captured = Captured::default();
        let mut shell = Shell::to(Box::new(captured.clone()));
        let code = report(result, &mut shell);
        (code, captured.text())
    }

    #[test]
    fn a_broken_pipe_on_standard_output_is_no_error_and_other_write_errors_are() {
        let closed = io::Error::from(io::ErrorKind::BrokenPipe);
        assert_eq!(
            reported(Err(Failure::stdout("the items", closed))),
            (ExitCode::SUCCESS, String::new())
        );
        assert_eq!(
            reported(Ok(ExitCode::SUCCESS)),
            (ExitCode::SUCCESS, String::new())
        );
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert_eq!(
            reported(Err(Failure::stdout("the items", full))),
            (
                ExitCode::FAILURE,
                "presence-stack: error: cannot write the items to standard output: no storage space\n"
                    .to_owned()
            )
        );
        assert_eq!(
            reported(Err(Failure::error("x: bad"))),
            (
                ExitCode::FAILURE,
                "presence-stack: error: x: bad\n".to_owned()
            )
        );
        assert_eq!(
            reported(Err(Failure::Usage("--window: bad".to_owned()))),
            (
                ExitCode::from(2),
                "presence-stack: error: --window: bad\n".to_owned()
            )
        );
    }
}
