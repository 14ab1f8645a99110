//! The command line: clap types, reading the config, writing outputs, choosing exit codes. The only place that
//! touches files; everything else is the library's.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use presence_stack::{Diagnostic, Format, MAX_INLINE_TEMPLATE_BYTES, Source, config};

const DEFAULT_CONFIG: &str = "presence-stack.yaml";

/// Synthesize and check AWS CloudFormation templates for the AWS IoT presence pipeline: a topic rule that writes
/// every lifecycle event of your devices into a DynamoDB table.
#[derive(Parser)]
#[command(name = "presence-stack", version, about, propagate_version = true)]
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
    #[command(
        after_help = "Examples:\n  presence-stack check presence-stack.yaml\n  \
        presence-stack check presence-stack.yaml --template template.yaml --deny-warnings"
    )]
    Check(CheckArgs),
    /// Run each pipeline's rule on recorded events and print the DynamoDB item each would write
    ///
    /// Events are JSON lines (one event per line) or one JSON array. An event is a bare presence or subscription
    /// payload (its topic follows from eventType and clientId), or {"topic": "...", "payload": {...}} for any
    /// topic. Standard output gets one JSON line per event and matching pipeline; standard error ends with a
    /// summary that counts the writes landing on the key of an earlier item.
    #[command(
        after_help = "Examples:\n  presence-stack simulate examples/presence.yaml --events examples/events/article.jsonl\n  \
        cat events.jsonl | presence-stack simulate presence-stack.yaml --events - --now 1672742949382"
    )]
    Simulate(SimulateArgs),
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

#[derive(clap::Args)]
struct SimulateArgs {
    /// The config file; `-` reads standard input
    config: PathBuf,
    /// The events: JSON lines or a JSON array; `-` reads standard input
    #[arg(long, value_name = "FILE")]
    events: PathBuf,
    /// The value of timestamp() in every rule, in epoch milliseconds [default: each event's own `timestamp`,
    /// else the clock]
    #[arg(long, value_name = "MS")]
    now: Option<i64>,
}

#[derive(clap::Args)]
struct InitArgs {
    /// Where to write the config
    #[arg(short, long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    output: PathBuf,
    /// Replace the file if it exists
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The config file; `-` reads standard input
    config: PathBuf,
    /// A template to compare, byte for byte, with what synth writes in its format (from its extension)
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Exit with status 1 when there are warnings
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(clap::Args)]
struct SynthArgs {
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

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Json,
    Yaml,
}

/// An error the binary reports: one or more lines, each printed after `presence-stack: error: `.
struct Failure(Vec<String>);

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
        Command::Synth(args) => synth(&args),
        Command::Check(args) => check(&args),
        Command::Simulate(args) => simulate(&args),
        Command::Schema => print_stdout(&presence_stack::schema_text(), "the schema"),
        Command::Init(args) => init(&args),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "presence-stack", &mut text);
            print_stdout(&String::from_utf8_lossy(&text), "the completion script")
        }
    };
    match result {
        Ok(code) => code,
        Err(Failure(lines)) => {
            let mut stderr = io::stderr().lock();
            for line in lines {
                let _ = writeln!(stderr, "presence-stack: error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

fn synth(args: &SynthArgs) -> Result<ExitCode, Failure> {
    let (name, text) = read_config(&args.config)?;
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
    report_warnings(&synthesis.warnings);
    if args.deny_warnings && !synthesis.warnings.is_empty() {
        return Err(Failure(vec![format!(
            "{name}: {} warning(s) and --deny-warnings: nothing written",
            synthesis.warnings.len()
        )]));
    }
    match &args.output {
        Some(path) => {
            write_output(path, synthesis.template.as_bytes())?;
            let resources = synthesis.model.resource_count();
            eprintln!(
                "presence-stack: wrote {} ({resources} resources, {} bytes); deploy it with:",
                path.display(),
                synthesis.template.len()
            );
            let s3 = if synthesis.template.len() > MAX_INLINE_TEMPLATE_BYTES {
                " --s3-bucket <bucket>"
            } else {
                ""
            };
            eprintln!(
                "  aws cloudformation deploy --template-file {} --stack-name {} --capabilities CAPABILITY_IAM{s3}",
                shell_word(&path.display().to_string()),
                stack_name(&args.config)
            );
        }
        None => {
            let mut stdout = io::stdout().lock();
            stdout
                .write_all(synthesis.template.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write the template to standard output: {e}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: &CheckArgs) -> Result<ExitCode, Failure> {
    let (name, text) = read_config(&args.config)?;
    let source = Source {
        name: &name,
        text: &text,
    };
    // Synthesis runs every check, and also knows the template's size (a warning past 51,200 bytes): compare in
    // the template's format when there is one, else measure the default JSON.
    let format = args
        .template
        .as_deref()
        .and_then(Format::from_path)
        .unwrap_or(Format::Json);
    let synthesis = presence_stack::synthesize(source, format)?;
    let warnings = synthesis.warnings;
    report_warnings(&warnings);
    let mut summary = format!(
        "{name}: {} pipeline(s) checked",
        synthesis.model.pipelines.len()
    );
    if let Some(path) = &args.template {
        let shown = path.display().to_string();
        let expected = synthesis.template;
        let actual = fs::read(path)
            .map_err(|e| format!("{shown}: cannot read the template: {}", io_reason(&e)))?;
        if actual != expected.as_bytes() {
            let actual = String::from_utf8_lossy(&actual);
            let diff = short_diff(&actual, &expected, &shown);
            let mut stderr = io::stderr().lock();
            let _ = write!(stderr, "{diff}");
            return Err(Failure(vec![format!(
                "{shown}: is not what `presence-stack synth {}` writes; regenerate it with `presence-stack synth {} -o {}`",
                args.config.display(),
                args.config.display(),
                shell_word(&shown)
            )]));
        }
        summary.push_str(&format!(", {shown} is up to date"));
    }
    if args.deny_warnings && !warnings.is_empty() {
        return Err(Failure(vec![format!(
            "{name}: {} warning(s) and --deny-warnings",
            warnings.len()
        )]));
    }
    eprintln!("presence-stack: {summary}");
    Ok(ExitCode::SUCCESS)
}

/// A unified diff of the first differences only: enough to see what drifted without flooding a CI log.
fn short_diff(actual: &str, expected: &str, name: &str) -> String {
    const MAX_LINES: usize = 40;
    let diff = similar::TextDiff::from_lines(actual, expected);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (on disk)"), &format!("{name} (synth)"))
        .to_string();
    let total = text.lines().count();
    let mut out: String = text
        .lines()
        .take(MAX_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    if total > MAX_LINES {
        out.push_str(&format!("... {} more diff lines\n", total - MAX_LINES));
    }
    out
}

fn simulate(args: &SimulateArgs) -> Result<ExitCode, Failure> {
    use presence_stack::simulate::{Event, Simulator, write_line};

    if args.config == Path::new("-") && args.events == Path::new("-") {
        return Err(Failure(vec![
            "the config and the events cannot both come from standard input".to_owned(),
        ]));
    }
    let (name, text) = read_config(&args.config)?;
    let (model, warnings) = presence_stack::check(Source {
        name: &name,
        text: &text,
    })?;
    report_warnings(&warnings);
    let mut simulator = Simulator::new(&model, args.now).map_err(|e| format!("{name}: {e}"))?;

    let events_name = if args.events == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        args.events.display().to_string()
    };
    let reader: Box<dyn io::BufRead> = if args.events == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        let file = fs::File::open(&args.events)
            .map_err(|e| format!("{events_name}: cannot read the events: {}", io_reason(&e)))?;
        Box::new(io::BufReader::with_capacity(1 << 16, file))
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut write_error: Option<io::Error> = None;
    let mut unreadable = 0u64;
    let mut index = 0u64;
    let mut on_event = |line: usize, value: Result<serde_json::Value, String>| -> bool {
        let event = value.and_then(Event::from_json);
        match event {
            Ok(event) => simulator.run(event, |pipeline, outcome| {
                if write_error.is_none()
                    && let Err(e) = write_line(&mut out, index, pipeline, outcome)
                {
                    write_error = Some(e);
                }
            }),
            Err(what) => {
                unreadable += 1;
                eprintln!("{events_name}:{line}: {what}");
            }
        }
        index += 1;
        write_error.is_none()
    };
    let read = read_events(reader, &mut on_event);
    if let Some(e) = write_error {
        return Err(Failure(vec![format!(
            "cannot write to standard output: {e}"
        )]));
    }
    out.flush()
        .map_err(|e| format!("cannot write to standard output: {e}"))?;
    if let Err((line, what)) = read {
        unreadable += 1;
        eprintln!("{events_name}:{line}: {what}");
    }
    let summary = simulator.summary();
    eprintln!("presence-stack: {}", summary.line());
    if summary.overwritten > 0 {
        eprintln!(
            "presence-stack: warning: {name}: {} write(s) replaced a different event under the same key: those events are lost; \
             a composite sort key keeps them apart, e.g. `sort_key: {{name: eventKey, type: S, expression: \"concat(timestamp, '#', eventType, '#', sessionIdentifier)\"}}` (see examples/collision-free.yaml)",
            summary.overwritten
        );
    }
    if unreadable > 0 {
        eprintln!("presence-stack: error: {events_name}: {unreadable} event(s) could not be read");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Feed each event of a JSON-lines stream, or of one JSON array, to `on_event` with its line number, without
/// holding more than one in memory. A line that is not JSON is passed on as an error and reading goes on; a
/// broken array cannot be resynchronised, so it ends the reading with its position. `on_event` returns false to
/// stop.
fn read_events(
    mut reader: Box<dyn io::BufRead>,
    on_event: &mut dyn FnMut(usize, Result<serde_json::Value, String>) -> bool,
) -> Result<(), (usize, String)> {
    let first = loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| (1, format!("cannot read: {e}")))?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break Some(buf[i]),
            None if buf.is_empty() => break None,
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    if first == Some(b'[') {
        return read_array(reader, on_event);
    }
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        number += 1;
        let n = reader
            .read_line(&mut line)
            .map_err(|e| (number, format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"));
        if !on_event(number, value) {
            return Ok(());
        }
    }
}

fn read_array(
    reader: Box<dyn io::BufRead>,
    on_event: &mut dyn FnMut(usize, Result<serde_json::Value, String>) -> bool,
) -> Result<(), (usize, String)> {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};

    /// Counts the lines read so far, so that an element can be reported by the line it ends on.
    struct Lines<R> {
        inner: R,
        line: std::rc::Rc<std::cell::Cell<usize>>,
    }
    impl<R: io::Read> io::Read for Lines<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            let newlines = buf[..n].iter().filter(|&&b| b == b'\n').count();
            self.line.set(self.line.get() + newlines);
            Ok(n)
        }
    }

    struct Each<'a> {
        on_event: &'a mut dyn FnMut(usize, Result<serde_json::Value, String>) -> bool,
        line: std::rc::Rc<std::cell::Cell<usize>>,
    }
    impl<'de> Visitor<'de> for Each<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of events")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(value) = seq.next_element::<serde_json::Value>()? {
                if !(self.on_event)(self.line.get() + 1, Ok(value)) {
                    break;
                }
            }
            Ok(())
        }
    }
    let line = std::rc::Rc::new(std::cell::Cell::new(0));
    // serde_json reads byte by byte from a reader, so the count is exact when an element ends.
    let mut de = serde_json::Deserializer::from_reader(Lines {
        inner: reader,
        line: line.clone(),
    });
    de.deserialize_seq(Each { on_event, line })
        .map_err(|e| (e.line(), format!("not a JSON array of events: {e}")))
}

fn print_stdout(text: &str, what: &str) -> Result<ExitCode, Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write {what} to standard output: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn init(args: &InitArgs) -> Result<ExitCode, Failure> {
    let name = args.output.display().to_string();
    if !args.force && fs::symlink_metadata(&args.output).is_ok() {
        return Err(Failure(vec![format!(
            "{name}: already exists; pass --force to replace it"
        )]));
    }
    write_output(&args.output, presence_stack::STARTER_CONFIG.as_bytes())?;
    eprintln!(
        "presence-stack: wrote {name}; next: presence-stack synth {} -o template.yaml",
        shell_word(&name)
    );
    Ok(ExitCode::SUCCESS)
}

fn report_warnings(warnings: &[Diagnostic]) {
    let mut stderr = io::stderr().lock();
    for w in warnings {
        let _ = writeln!(stderr, "presence-stack: warning: {w}");
    }
}

/// Read the config as UTF-8 text, naming it as the user did; `-` is standard input.
fn read_config(path: &Path) -> Result<(String, String), Failure> {
    let limit = config::MAX_CONFIG_BYTES as u64 + 1;
    let (name, bytes) = if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("<stdin>: cannot read standard input: {e}"))?;
        ("<stdin>".to_owned(), bytes)
    } else {
        let name = path.display().to_string();
        let hint = if path == Path::new(DEFAULT_CONFIG) {
            " (no config given, so the default was tried; pass the config file, e.g. `presence-stack synth examples/presence.yaml`)"
        } else {
            ""
        };
        let meta = fs::metadata(path)
            .map_err(|e| format!("{name}: cannot read the config: {}{hint}", io_reason(&e)))?;
        if meta.is_dir() {
            return Err(Failure(vec![format!(
                "{name}: is a directory; give the config file inside it"
            )]));
        }
        let mut bytes = Vec::new();
        fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| format!("{name}: cannot read the config: {}", io_reason(&e)))?;
        (name, bytes)
    };
    if bytes.len() as u64 >= limit {
        return Err(Failure(vec![format!(
            "{name}: the file is larger than {} bytes; a config is a few kilobytes: is this the right file?",
            config::MAX_CONFIG_BYTES
        )]));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        format!(
            "{name}: is not UTF-8 text (line {line}, column {column}); save the config as UTF-8"
        )
    })?;
    Ok((name, text))
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Write `bytes` to `path` so that readers see the old file or the new one, never half of one: a temporary file
/// in the same folder, renamed over the target. Things that are not regular files (a device, a FIFO,
/// `/dev/stdout`) cannot be replaced by a rename; they are written in place.
fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let name = path.display().to_string();
    let fail = |what: &str, e: io::Error| {
        Failure(vec![format!("{name}: cannot {what}: {}", io_reason(&e))])
    };
    if let Ok(meta) = fs::metadata(path) {
        if meta.is_dir() {
            return Err(Failure(vec![format!(
                "{name}: is a directory; give a file name for the template"
            )]));
        }
        if !meta.is_file() {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| fail("open it", e))?;
            return f
                .write_all(bytes)
                .and_then(|()| f.flush())
                .map_err(|e| fail("write the template", e));
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".presence-stack-")
        .tempfile_in(dir)
        .map_err(|e| fail(&format!("create a file in {}", dir.display()), e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| fail("write the template", e))?;
    // Keep the permissions of the file being replaced, as an editor would.
    if let Ok(meta) = fs::metadata(path) {
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    } else {
        set_default_permissions(tmp.path());
    }
    tmp.persist(path).map_err(|e| fail("replace it", e.error))?;
    Ok(())
}

/// tempfile creates files readable by the owner only; a template is no secret, so give it the usual mode.
#[cfg(unix)]
fn set_default_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o644));
}

#[cfg(not(unix))]
fn set_default_permissions(_: &Path) {}

/// A stack name suggested from the config's file name: CloudFormation allows letters, digits and `-`.
fn stack_name(config: &Path) -> String {
    let stem = config
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| *s != "-")
        .unwrap_or("presence");
    let mut name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "presence-");
    }
    name
}

/// Quote a path for a shell when it needs it.
fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
