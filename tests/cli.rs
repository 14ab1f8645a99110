//! The binary as users run it: exit codes, standard input, output files and what is printed where.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::cfn_yaml;

use crate::common::cmd;

/// Run the binary from the repository root with these arguments.
fn run(args: &[&str]) -> std::process::Output {
    cmd().args(args).output().unwrap()
}

/// `synth CONFIG -o TARGET`.
fn synth_to(config: &str, target: &Path) -> std::process::Output {
    cmd()
        .args(["synth", config, "-o"])
        .arg(target)
        .output()
        .unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn synth_prints_json_to_stdout() {
    let out = run(&["synth", "examples/minimal.yaml"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let template: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        template["Resources"]["PresenceTable"]["Type"],
        "AWS::DynamoDB::Table"
    );
    assert!(
        out.stderr.is_empty(),
        "nothing on stderr when all is well: {}",
        stderr_of(&out)
    );
}

#[test]
fn synth_reads_standard_input() {
    let out = cmd()
        .args(["synth", "-", "--format", "yaml"])
        .write_stdin("pipelines: [{name: door_sensors}]\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("AWSTemplateFormatVersion: 2010-09-09\n")
            || text.contains("DoorSensorsTable:"),
        "{text}"
    );
    assert!(text.contains("DoorSensorsRuleRole:"));
}

#[test]
fn synth_reads_the_default_config_of_the_current_folder() {
    let dir = TempDir::new().unwrap();
    let out = cmd().current_dir(dir.path()).arg("synth").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.starts_with(
            "presence-stack: error: presence-stack.yaml: cannot read the config: no such file"
        ),
        "{err}"
    );
    fs::write(
        dir.path().join("presence-stack.yaml"),
        "pipelines: [{name: presence}]\n",
    )
    .unwrap();
    let out = cmd().current_dir(dir.path()).arg("synth").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn output_file_format_follows_its_extension_and_the_deploy_command_is_printed() {
    let dir = TempDir::new().unwrap();
    let target = dir.path().join("template.yaml");
    let out = synth_to("examples/presence.yaml", &target);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty());
    let text = fs::read_to_string(&target).unwrap();
    cfn_yaml::read(&text).unwrap();
    assert!(
        !text.trim_start().starts_with('{'),
        "YAML expected for a .yaml file"
    );
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!(
            "aws cloudformation deploy --template-file {} --stack-name presence --capabilities CAPABILITY_IAM",
            target.display()
        )),
        "{err}"
    );
}

#[test]
fn format_flag_wins_over_the_extension() {
    let dir = TempDir::new().unwrap();
    let target = dir.path().join("template.yaml");
    let out = cmd()
        .args(["synth", "examples/minimal.yaml", "--format", "json", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(out.status.success());
    let _: serde_json::Value = serde_json::from_str(&fs::read_to_string(&target).unwrap()).unwrap();
}

#[test]
fn an_invalid_config_leaves_an_existing_output_untouched() {
    let dir = TempDir::new().unwrap();
    let target = dir.path().join("template.json");
    fs::write(&target, "previous template\n").unwrap();
    let bad = dir.path().join("bad.yaml");
    fs::write(&bad, "pipelines:\n  - name: Bad\n").unwrap();
    let out = cmd()
        .arg("synth")
        .arg(&bad)
        .arg("-o")
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(fs::read_to_string(&target).unwrap(), "previous template\n");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "no temporary file left behind: {leftovers:?}"
    );
}

#[test]
fn writing_into_a_missing_folder_fails_cleanly() {
    let dir = TempDir::new().unwrap();
    let target = dir.path().join("no-such-dir").join("t.json");
    let out = synth_to("examples/minimal.yaml", &target);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot create a file in"), "{err}");
    assert!(!target.exists());
}

#[test]
fn errors_name_the_file_the_path_and_the_position() {
    let out = run(&["synth", "tests/invalid/bad-names.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no partial template on stdout");
    let err = stderr_of(&out);
    assert!(
        err.contains(
            "presence-stack: error: tests/invalid/bad-names.yaml: pipelines[0].rule.name: `presence-rule` is not a rule name"
        ),
        "{err}"
    );
    assert!(err.contains("(line 4, column 7)"), "{err}");
    assert_eq!(err.lines().count(), 3, "one line per problem: {err}");
}

#[test]
fn a_non_utf8_config_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latin1.yaml");
    fs::write(&path, b"pipelines:\n  - name: pr\xe9sence\n").unwrap();
    let out = cmd().arg("synth").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("is not UTF-8 text; save the config as UTF-8 (line 2, column 13)"),
        "{err}"
    );
}

/// Every invalid config, read by the binary from its file (bytes, so the encodings are the binary's to find):
/// exit code 1, and exactly the errors of its snapshot, each as `presence-stack: error: <file>: ...`.
#[test]
fn the_binary_prints_the_snapshotted_errors_of_every_invalid_config() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in fs::read_dir(root.join("tests/invalid")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !file.ends_with(".yaml") {
            continue;
        }
        let name = format!("tests/invalid/{file}");
        let out = run(&["check", &name]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr_of(&out));
        let printed: Vec<String> = stderr_of(&out)
            .lines()
            .filter(|l| l.starts_with("presence-stack: error: "))
            .map(str::to_owned)
            .collect();
        let snapshot =
            fs::read_to_string(root.join(format!("snapshots/error@{file}.snap"))).unwrap();
        let expected: Vec<String> = snapshot
            .split_once("\nerrors:\n")
            .map_or("", |(_, errors)| errors)
            .lines()
            .filter_map(|l| l.strip_prefix("error: "))
            .map(|l| format!("presence-stack: error: {l}"))
            .collect();
        assert!(!expected.is_empty(), "{name}: its snapshot lists no error");
        assert_eq!(printed, expected, "{name}");
        checked += 1;
    }
    assert!(checked >= 50, "{checked} invalid configs");
}

#[test]
fn a_directory_is_not_a_config() {
    let out = run(&["synth", "examples"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("examples: is a directory"));
}

#[test]
fn an_oversized_config_is_refused_before_parsing() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("big.yaml");
    let mut text = String::from("pipelines: [{name: presence}]\n");
    text.push_str(&"# padding\n".repeat(110_000));
    fs::write(&path, text).unwrap();
    let out = cmd().arg("synth").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("larger than 1048576 bytes"));
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&["synth", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn warnings_go_to_stderr_and_deny_warnings_turns_them_into_failure() {
    let config = "pipelines:\n  - name: presence\n    rule: {enabled: false}\n";
    let out = cmd()
        .args(["synth", "-"])
        .write_stdin(config)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stderr_of(&out).contains(
        "presence-stack: warning: <stdin>: pipelines[0].rule.enabled: the rule is disabled"
    ));
    let out = cmd()
        .args(["synth", "-", "--deny-warnings"])
        .write_stdin(config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn standard_output_on_a_full_device_is_an_error() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_presence-stack"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["synth", "examples/minimal.yaml"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("cannot write the template to standard output"));
}

#[test]
fn output_onto_a_device_is_written_in_place() {
    if !Path::new("/dev/null").exists() {
        return;
    }
    let out = run(&["synth", "examples/minimal.yaml", "-o", "/dev/null"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(Path::new("/dev/null").exists());
}

#[test]
fn output_keeps_the_permissions_of_the_file_it_replaces() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new().unwrap();
        let target = dir.path().join("t.json");
        let out = synth_to("examples/minimal.yaml", &target);
        assert!(out.status.success());
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o644
        );
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        let out = synth_to("examples/minimal.yaml", &target);
        assert!(out.status.success());
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn version_and_help_work() {
    let out = cmd().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("presence-stack "));
    let out = run(&["synth", "--help"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("presence-stack synth examples/presence.yaml -o template.yaml")
    );
}

#[test]
fn check_passes_a_clean_config_and_an_up_to_date_template() {
    let dir = TempDir::new().unwrap();
    let template = dir.path().join("template.yaml");
    let out = synth_to("examples/presence.yaml", &template);
    assert!(out.status.success());
    let out = cmd()
        .args(["check", "examples/presence.yaml", "--template"])
        .arg(&template)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty(), "check writes nothing to stdout");
    assert!(
        stderr_of(&out).contains("1 pipeline(s) checked"),
        "{}",
        stderr_of(&out)
    );
    assert!(stderr_of(&out).contains("is up to date"));
}

#[test]
fn check_fails_on_drift_with_a_short_diff() {
    let dir = TempDir::new().unwrap();
    let template = dir.path().join("template.json");
    let out = synth_to("examples/presence.yaml", &template);
    assert!(out.status.success());
    // Someone edits the template by hand.
    let edited = fs::read_to_string(&template)
        .unwrap()
        .replace("\"RetentionInDays\": 30", "\"RetentionInDays\": 7");
    fs::write(&template, edited).unwrap();
    let out = cmd()
        .args(["check", "examples/presence.yaml", "--template"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("-        \"RetentionInDays\": 7"), "{err}");
    assert!(err.contains("+        \"RetentionInDays\": 30"), "{err}");
    assert!(
        err.contains("is not what `presence-stack synth examples/presence.yaml` writes"),
        "{err}"
    );
    // Or forgets to regenerate after a config change: the other format is compared in its own format.
    let out = cmd()
        .args(["check", "examples/minimal.yaml", "--template"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_reports_sql_errors_and_warnings() {
    let out = run(&["check", "tests/invalid/sql-syntax.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("presence-stack: error: tests/invalid/sql-syntax.yaml: pipelines[0].sql: column 1: the SQL does not parse"),
        "{err}"
    );
    let out = run(&["check", "examples/seed-article.yaml"]);
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert!(err.contains("presence-stack: warning: examples/seed-article.yaml: pipelines[0].sql: column 31: `version`"), "{err}");
    assert!(err.contains("did you mean `versionNumber`?"), "{err}");
    let out = run(&["check", "examples/seed-article.yaml", "--deny-warnings"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn synth_refuses_a_rule_that_cannot_write_its_table() {
    let out = run(&["synth", "tests/invalid/sql-nested-payload.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn the_committed_schema_is_current() {
    let out = cmd().arg("schema").output().unwrap();
    assert!(out.status.success());
    let committed = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("presence-stack.schema.json"),
    )
    .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "presence-stack.schema.json is stale: run `cargo run -- schema > presence-stack.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["required"], serde_json::json!(["pipelines"]));
    let table = &schema["$defs"]["TableConfig"]["properties"];
    assert_eq!(
        table["sort_key"]["default"],
        serde_json::json!({"name": "eventKey", "type": "S", "expression": null})
    );
    assert!(
        table["ttl_days"]["description"]
            .as_str()
            .unwrap()
            .contains("expiresAt")
    );
}

#[test]
fn every_example_names_the_schema() {
    for entry in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("# yaml-language-server: $schema=../presence-stack.schema.json\n"),
                "{} lacks the schema line",
                path.display()
            );
        }
    }
}

#[test]
fn init_writes_a_starter_that_passes_every_check_and_never_overwrites() {
    let dir = TempDir::new().unwrap();
    let out = cmd().current_dir(dir.path()).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let config = dir.path().join("presence-stack.yaml");
    let text = fs::read_to_string(&config).unwrap();
    assert!(text.contains("# yaml-language-server: $schema="));
    // It synthesizes with no warning at all.
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "presence-stack.yaml", "--deny-warnings"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // A second init refuses to replace the file, and leaves it as it was.
    fs::write(&config, "pipelines: [{name: mine}]\n").unwrap();
    let out = cmd().current_dir(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("already exists; pass --force"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        "pipelines: [{name: mine}]\n"
    );
    let out = cmd()
        .current_dir(dir.path())
        .args(["init", "--force", "-o", "presence-stack.yaml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(fs::read_to_string(&config).unwrap(), text);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("presence-stack") && text.contains("synth"),
            "{shell}: {text}"
        );
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--help` of every command, so a change of the help text is reviewed like any other output.
#[test]
fn help_texts() {
    crate::common::settings().bind(|| {
        for command in [
            "",
            "synth",
            "check",
            "simulate",
            "replay",
            "schema",
            "init",
            "completions",
        ] {
            let mut c = cmd();
            if !command.is_empty() {
                c.arg(command);
            }
            let out = c.arg("--help").output().unwrap();
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(
                text.contains("Examples:"),
                "{command} --help has no example"
            );
            let name = if command.is_empty() {
                "help".to_owned()
            } else {
                format!("help@{command}")
            };
            insta::assert_snapshot!(name, text);
        }
    });
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_one_clear_line() {
    let dir = TempDir::new().unwrap();
    std::os::unix::fs::symlink(dir.path().join("b.yaml"), dir.path().join("a.yaml")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("a.yaml"), dir.path().join("b.yaml")).unwrap();
    let out = cmd()
        .arg("synth")
        .arg(dir.path().join("a.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read the config: Too many levels of symbolic links"),
        "{err}"
    );
}

#[test]
fn an_unwritable_folder_fails_cleanly() {
    // Root may write anywhere on a normal file system, but never create files in sysfs.
    if !Path::new("/sys/kernel").is_dir() {
        return;
    }
    let out = run(&[
        "synth",
        "examples/minimal.yaml",
        "-o",
        "/sys/presence-template.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot create a file in /sys"), "{err}");
}

#[cfg(unix)]
#[test]
fn output_onto_a_fifo_is_written_in_place() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !status.is_ok_and(|s| s.success()) {
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    let out = synth_to("examples/minimal.yaml", &fifo);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = reader.join().unwrap();
    let _: serde_json::Value = serde_json::from_str(&text).unwrap();
    use std::os::unix::fs::FileTypeExt;
    assert!(
        fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
        "the FIFO was not replaced by a file"
    );
}

#[test]
fn hostile_nesting_is_refused_at_once() {
    let text = format!(
        "pipelines: {}{}\n",
        "[".repeat(300_000),
        "]".repeat(300_000)
    );
    let out = cmd()
        .args(["synth", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("brackets nest deeper than 64 levels"));
}

#[test]
fn a_template_over_the_inline_limit_gets_the_s3_bucket_hint() {
    let dir = TempDir::new().unwrap();
    let target = dir.path().join("big.json");
    let out = synth_to("tests/warn/over-inline-limit.yaml", &target);
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains("over the 51200 CloudFormation takes inline"),
        "{err}"
    );
    assert!(
        err.contains("--capabilities CAPABILITY_IAM --s3-bucket <bucket>"),
        "{err}"
    );
    assert!(fs::metadata(&target).unwrap().len() > 51_200);
}

/// A config of `n` (at most 124) pipelines, each with its own table, rule and role, and no outputs or alarms.
fn fleet_config(n: usize) -> String {
    let mut text = String::from("stack: {outputs: false, alarms: {enabled: false}}\npipelines:\n");
    for i in 0..n {
        text.push_str(&format!("  - name: fleet_{i}\n"));
    }
    text
}

/// `n` presence events, alternately connects and disconnects of 100 clients, as JSON lines.
fn presence_events(n: usize) -> String {
    (0..n)
        .map(|i| {
            let kind = if i % 2 == 0 { "connected" } else { "disconnected" };
            format!(
                "{{\"clientId\":\"thing_{}\",\"timestamp\":{},\"eventType\":\"{kind}\",\"sessionIdentifier\":\"s{i}\",\
                 \"principalIdentifier\":\"p\",\"versionNumber\":1}}\n",
                i % 100,
                1_672_742_949_382u64 + i as u64
            )
        })
        .collect()
}

/// Run the binary with standard output a pipe that is read up to its first line and then closed, as `| head -1`
/// does; the exit code, that line and standard error.
fn run_into_head(args: &[&str]) -> (Option<i32>, String, String) {
    use std::io::{BufRead, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_presence-stack"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the pipe is closed with most of the output still unwritten.
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), first, err)
}

/// Run the binary with standard output a pipe whose reader is already closed, so that its first write fails.
fn run_into_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(env!("CARGO_BIN_EXE_presence-stack"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdout(writer)
        .output()
        .unwrap()
}

#[test]
fn a_reader_that_stops_early_ends_every_command_quietly() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("fleet.yaml");
    fs::write(&config, fleet_config(100)).unwrap();
    let events = dir.path().join("events.jsonl");
    fs::write(&events, presence_events(5_000)).unwrap();
    let config = config.to_str().unwrap();
    let events = events.to_str().unwrap();

    // Outputs far larger than a pipe's buffer: the writes after `head` has gone fail with a broken pipe.
    let (code, first, err) =
        run_into_head(&["simulate", "examples/presence.yaml", "--events", events]);
    assert!(first.starts_with("{\"index\":0,"), "{first}");
    assert_eq!((code, err.as_str()), (Some(0), ""), "simulate | head -1");
    let (code, first, err) = run_into_head(&["synth", config]);
    assert_eq!(first, "{\n");
    assert_eq!(code, Some(0), "synth | head -1: {err}");
    assert!(
        !err.contains("error") && err.contains("warning: "),
        "the size warning, printed before the template, and nothing after: {err}"
    );

    // Every command that writes to standard output, when not one byte gets through.
    for args in [
        &["synth", "examples/minimal.yaml"][..],
        &["synth", "examples/minimal.yaml", "--format", "yaml"],
        &[
            "simulate",
            "examples/presence.yaml",
            "--events",
            "examples/events/stream.jsonl",
        ],
        &["schema"],
        &["completions", "bash"],
        &["completions", "elvish"],
    ] {
        let out = run_into_closed_pipe(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        assert_eq!(stderr_of(&out), "", "{args:?}: quietly");
    }
    // `status`, on one stored connect.
    let items = dir.path().join("scan.json");
    fs::write(
        &items,
        r#"{"Items": [{"clientId": {"S": "d1"}, "eventKey": {"S": "1700000000000#connected#s#1"}, "timestamp": {"N": "1700000000000"}, "eventType": {"S": "connected"}, "sessionIdentifier": {"S": "s"}, "versionNumber": {"N": "1"}}], "Count": 1, "ScannedCount": 1}"#,
    )
    .unwrap();
    for json in [true, false] {
        let mut args = vec![
            "status",
            "examples/minimal.yaml",
            "--items",
            items.to_str().unwrap(),
            "--at",
            "1700000600000",
        ];
        if json {
            args.push("--json");
        }
        let out = run_into_closed_pipe(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        assert_eq!(stderr_of(&out), "", "{args:?}: quietly");
    }
}

#[test]
fn a_closed_standard_error_is_no_crash() {
    let dir = TempDir::new().unwrap();
    let events = dir.path().join("bad.jsonl");
    fs::write(&events, "not an event\n".repeat(3_000)).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    // `2>&1 | head`, with nothing for standard output: each line about an unreadable event fails to print.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_presence-stack"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["simulate", "examples/presence.yaml", "--events"])
        .arg(&events)
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the events were unreadable: exit 1, not a panic's 101"
    );
}

#[test]
fn other_write_errors_of_standard_output_still_fail() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    for (args, what) in [
        (
            &["schema"][..],
            "cannot write the schema to standard output",
        ),
        (
            &["completions", "zsh"],
            "cannot write the completion script to standard output",
        ),
        (
            &[
                "simulate",
                "examples/presence.yaml",
                "--events",
                "examples/events/stream.jsonl",
            ],
            "cannot write the items to standard output",
        ),
    ] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_presence-stack"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr_of(&out).contains(what),
            "{args:?}: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn synth_never_writes_over_its_own_config() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("prod.yaml");
    let text = "pipelines: [{name: presence}]\n";
    fs::write(&config, text).unwrap();
    let mut names = vec![config.clone(), dir.path().join(".").join("prod.yaml")];
    fs::hard_link(&config, dir.path().join("hard.yaml")).unwrap();
    names.push(dir.path().join("hard.yaml"));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&config, dir.path().join("soft.yaml")).unwrap();
        names.push(dir.path().join("soft.yaml"));
    }
    for target in &names {
        let out = cmd()
            .arg("synth")
            .arg(&config)
            .arg("-o")
            .arg(target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", target.display());
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!(
                "presence-stack: error: {}: is the config being read ({})",
                target.display(),
                config.display()
            )) && err.contains("write the template to another file"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&config).unwrap(), text);
        assert_eq!(fs::read_to_string(target).unwrap(), text);
    }
    // The config on standard input, from the very file named by -o.
    #[cfg(unix)]
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_presence-stack"))
            .args(["synth", "-", "-o"])
            .arg(&config)
            .stdin(fs::File::open(&config).unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
        assert!(stderr_of(&out).contains("is the config being read (standard input)"));
        assert_eq!(fs::read_to_string(&config).unwrap(), text);
    }
    let mut left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert!(
        left.iter()
            .all(|n| ["hard.yaml", "prod.yaml", "soft.yaml"].contains(&n.as_str())),
        "nothing else written: {left:?}"
    );
    // Another file next to it is fine.
    let out = synth_to(config.to_str().unwrap(), &dir.path().join("template.yaml"));
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn a_template_over_a_million_bytes_is_an_error_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("fleet.yaml");
    let mut text = fleet_config(124).replace(
        "stack: {outputs: false, alarms: {enabled: false}}\n",
        "stack:\n  outputs: false\n  alarms: {enabled: false}\n  tags:\n",
    );
    let tags: String = (0..20)
        .map(|i| format!("    key-{i:02}: \"{}\"\n", "v".repeat(200)))
        .collect();
    text.insert_str(text.find("pipelines:").unwrap(), &tags);
    fs::write(&config, text).unwrap();
    for (name, format) in [("t.json", "JSON"), ("t.yaml", "YAML")] {
        let target = dir.path().join(name);
        fs::write(&target, "previous template\n").unwrap();
        let out = synth_to(config.to_str().unwrap(), &target);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("fleet.yaml: the {format} template is "))
                && err
                    .contains(" bytes, over the 1000000 CloudFormation accepts even from S3; at ")
                && err.contains(" pipelines fit in one stack: split them over several stacks"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "previous template\n");
    }
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        3,
        "no temporary file left"
    );
    let out = cmd().arg("check").arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("the JSON template is "));
}

#[test]
fn the_suggested_stack_name_is_one_cloudformation_accepts() {
    let dir = TempDir::new().unwrap();
    let long = format!("{}_presence.yaml", "x".repeat(140));
    for (file, stack) in [
        ("_.yaml", "presence".to_owned()),
        ("eu_west-1..prod.yaml", "eu-west-1-prod".to_owned()),
        (long.as_str(), "x".repeat(128)),
    ] {
        let config = dir.path().join(file);
        fs::write(&config, "pipelines: [{name: presence}]\n").unwrap();
        let out = synth_to(config.to_str().unwrap(), &dir.path().join("t.json"));
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains(&format!(" --stack-name {stack} --capabilities")),
            "{file}: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn check_names_line_endings_a_byte_order_mark_and_a_missing_final_newline() {
    let dir = TempDir::new().unwrap();
    let template = dir.path().join("template.yaml");
    let out = synth_to("examples/presence.yaml", &template);
    assert!(out.status.success());
    let lf = fs::read_to_string(&template).unwrap();
    let check = || {
        cmd()
            .args(["check", "examples/presence.yaml", "--template"])
            .arg(&template)
            .output()
            .unwrap()
    };
    fs::write(&template, lf.replace('\n', "\r\n")).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert_eq!(
        err.lines().count(),
        1,
        "no diff of lines that look the same: {err}"
    );
    assert!(
        err.contains(&format!(
            "{}: is what synth writes except for its CRLF line endings (synth writes LF); regenerate it with \
             `presence-stack synth examples/presence.yaml -o {}`, and keep git from converting it on checkout \
             (core.autocrlf): add `template.yaml -text` (or `template.yaml eol=lf`) to .gitattributes",
            template.display(),
            template.display()
        )),
        "{err}"
    );
    fs::write(&template, format!("\u{feff}{}", lf.trim_end())).unwrap();
    let err = stderr_of(&check());
    assert!(
        err.contains("except for a byte order mark at its start and a missing newline at its end;"),
        "{err}"
    );
    // A real change in a CRLF file gets the diff, and a word about the line endings.
    fs::write(
        &template,
        lf.replace("RetentionInDays: 30", "RetentionInDays: 7")
            .replace('\n', "\r\n"),
    )
    .unwrap();
    let err = stderr_of(&check());
    assert!(err.contains("\n-      RetentionInDays: 7\n"), "{err}");
    assert!(err.contains("\n+      RetentionInDays: 30\n"), "{err}");
    assert!(
        err.contains(
            "(its CRLF line endings differ too: synth writes LF; the diff leaves them out)"
        ),
        "{err}"
    );
}

#[test]
fn simulate_refuses_a_folder_and_an_input_without_events() {
    let dir = TempDir::new().unwrap();
    let out = cmd()
        .args(["simulate", "examples/presence.yaml", "--events"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.ends_with(&format!(
            "presence-stack: error: {}: is a directory; give the events file inside it\n",
            dir.path().display()
        )),
        "{err}"
    );
    assert!(!err.contains(":1: cannot read"), "{err}");
    let empty = dir.path().join("empty.jsonl");
    for text in ["", "\n  \n", "[]", " [ ]\n"] {
        fs::write(&empty, text).unwrap();
        let out = cmd()
            .args(["simulate", "examples/presence.yaml", "--events"])
            .arg(&empty)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{text:?}");
        assert!(out.stdout.is_empty());
        let err = stderr_of(&out);
        assert!(
            err.ends_with(&format!(
                "presence-stack: error: {}: no events in it; give recorded events, one JSON object per line or one \
                 JSON array (examples/events/ has some)\n",
                empty.display()
            )),
            "{text:?}: {err}"
        );
        assert!(!err.contains("0 events"), "no summary of nothing: {err}");
    }
    let out = cmd()
        .args(["simulate", "examples/presence.yaml", "--events", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("error: <stdin>: no events in it;"));
}

#[test]
fn init_makes_missing_folders_prints_to_standard_output_and_refuses_a_folder() {
    let dir = TempDir::new().unwrap();
    let init = |args: &[&str]| {
        cmd()
            .current_dir(dir.path())
            .arg("init")
            .args(args)
            .output()
            .unwrap()
    };
    // The example of `init --help`, in an empty folder.
    let out = init(&["-o", "configs/presence.yaml", "--force"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("wrote configs/presence.yaml (and the folder configs)"),
        "{}",
        stderr_of(&out)
    );
    let starter = fs::read_to_string(dir.path().join("configs/presence.yaml")).unwrap();
    assert!(starter.starts_with("# yaml-language-server: $schema="));

    let out = init(&["-o", "-"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), starter);
    assert!(!dir.path().join("-").exists(), "no file named `-`");

    for args in [&["-o", "configs"][..], &["-o", "configs", "--force"]] {
        let out = init(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr_of(&out),
            "presence-stack: error: configs: is a directory; give a file name for the config, e.g. \
             `-o configs/presence-stack.yaml`\n",
            "{args:?}: nothing about a template, nor about --force"
        );
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn check_reads_the_default_config_of_the_current_folder_as_synth_does() {
    let dir = TempDir::new().unwrap();
    let out = cmd().current_dir(dir.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "not a usage error");
    assert_eq!(
        stderr_of(&out),
        "presence-stack: error: presence-stack.yaml: cannot read the config: no such file (no config given, so the \
         default was tried; name the config file, or write a starter with `presence-stack init`)\n"
    );
    let out = cmd().current_dir(dir.path()).arg("init").output().unwrap();
    assert!(out.status.success());
    let out = cmd().current_dir(dir.path()).arg("check").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("presence-stack.yaml: 1 pipeline(s) checked"));
}

// --- replay ---------------------------------------------------------------------------------------------------

/// The rule name CloudFormation gives `examples/presence.yaml`'s rule: logical ID, `_`, 12 letters and digits.
const PRESENCE_RULE: &str = "PresenceRule_Ab3dE5fG7hJ9";

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// The error action's message for one lifecycle event, as the AWS IoT developer guide shows it.
fn error_record(rule: &str, event: &serde_json::Value) -> serde_json::Value {
    let kind = event["eventType"].as_str().unwrap();
    let client = event["clientId"].as_str().unwrap();
    serde_json::json!({
        "ruleName": rule,
        "topic": format!("$aws/events/presence/{kind}/{client}"),
        "cloudwatchTraceId": "7e146a2c-95b5-6caf-98b9-50e3969734c7",
        "clientId": client,
        "base64OriginalPayload": base64(event.to_string().as_bytes()),
        "failures": [{"failedAction": "DynamoDBv2Action", "failedResource": "presence-table",
                      "errorMessage": "Failed to write to DynamoDB: throughput exceeded"}]
    })
}

/// `aws logs filter-log-events --output json` holding these records, one log event each.
fn log_page(records: &[serde_json::Value]) -> String {
    let events: Vec<_> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            serde_json::json!({"logStreamName": "2024/01/01/stream", "timestamp": 1_672_742_950_000_i64 + i as i64,
                "message": r.to_string(), "ingestionTime": 1_672_742_950_100_i64, "eventId": format!("3789{i:04}")})
        })
        .collect();
    let page = serde_json::json!({"events": events, "searchedLogStreams": []});
    // The aws CLI prints 4-space indented JSON.
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    serde::Serialize::serialize(&page, &mut ser).unwrap();
    String::from_utf8(out).unwrap() + "\n"
}

fn lifecycle_events(n: usize) -> Vec<serde_json::Value> {
    presence_events(n)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Run `replay` on this input (written to a file), with these extra arguments.
fn replay(input: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let dir = TempDir::new().unwrap();
    let errors = dir.path().join("errors.json");
    fs::write(&errors, input).unwrap();
    let out = cmd()
        .args([
            "replay",
            "examples/presence.yaml",
            "--table",
            "presence-table",
            "--errors",
        ])
        .arg(&errors)
        .args(extra)
        .output()
        .unwrap();
    let err = stderr_of(&out).replace(errors.to_str().unwrap(), "errors.json");
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        err,
    )
}

/// The items of a replay's documents, in order, checking each document on the way.
fn replayed_items(stdout: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    for line in stdout.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        let requests = doc["presence-table"].as_array().unwrap();
        assert_eq!(doc.as_object().unwrap().len(), 1, "one table per document");
        assert!(
            !requests.is_empty() && requests.len() <= 25,
            "{} requests",
            requests.len()
        );
        items.extend(requests.iter().map(|r| r["PutRequest"]["Item"].clone()));
    }
    items
}

#[test]
fn replay_prints_batch_write_documents_that_simulate_agrees_with_and_is_idempotent() {
    let events = lifecycle_events(60);
    let records: Vec<_> = events
        .iter()
        .map(|e| error_record(PRESENCE_RULE, e))
        .collect();
    // Two pages, as when the output of two filter-log-events calls is appended.
    let input = log_page(&records[..35]) + &log_page(&records[35..]);
    let (code, stdout, err) = replay(&input, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(stdout.lines().count(), 3, "25 + 25 + 10: {stdout}");
    let items = replayed_items(&stdout);
    assert_eq!(items.len(), 60);
    assert!(err.contains("60 records: 60 items in 3 documents"), "{err}");

    // The same items simulate shows for the same events.
    let dir = TempDir::new().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    fs::write(&jsonl, presence_events(60)).unwrap();
    let sim = run(&[
        "simulate",
        "examples/presence.yaml",
        "--events",
        jsonl.to_str().unwrap(),
    ]);
    assert!(sim.status.success(), "{}", stderr_of(&sim));
    let simulated: Vec<serde_json::Value> = String::from_utf8(sim.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["item"].clone())
        .collect();
    assert_eq!(items, simulated);

    // Replaying twice: the same bytes. With every record delivered twice: the same documents too.
    assert_eq!(replay(&input, &[]).1, stdout);
    let twice = log_page(&records) + &log_page(&records);
    let (code, again, err) = replay(&twice, &[]);
    assert_eq!((code, again.as_str()), (Some(0), stdout.as_str()), "{err}");
    assert!(
        err.contains(
            "120 records: 60 items in 3 documents for batch-write-item; 60 redeliveries dropped"
        ),
        "{err}"
    );
}

#[test]
fn replay_reads_sqs_messages_and_json_lines_from_standard_input() {
    let events = lifecycle_events(12);
    let records: Vec<_> = events
        .iter()
        .map(|e| error_record(PRESENCE_RULE, e))
        .collect();
    let messages: Vec<_> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            serde_json::json!({"MessageId": format!("m{i}"), "ReceiptHandle": format!("h{i}"),
            "MD5OfBody": "0", "Body": r.to_string()})
        })
        .collect();
    let sqs = serde_json::to_string_pretty(&serde_json::json!({"Messages": messages})).unwrap();
    let lines: String = records.iter().map(|r| r.to_string() + "\n").collect();
    let mut outputs = Vec::new();
    for input in [sqs, lines] {
        let out = cmd()
            .args([
                "replay",
                "examples/sqs-errors.yaml",
                "--errors",
                "-",
                "--table",
                "presence-table",
            ])
            .write_stdin(input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        outputs.push(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(replayed_items(&outputs[0]).len(), 12);
}

#[test]
fn replay_reports_each_record_it_cannot_replay_by_line_and_exits_1_after_the_rest() {
    let events = lifecycle_events(4);
    let mut bad_payload = error_record(PRESENCE_RULE, &events[1]);
    bad_payload["base64OriginalPayload"] = "eyJjbGllbnRJZCI6!!".into();
    let records = [
        error_record(PRESENCE_RULE, &events[0]),
        bad_payload,
        error_record("PresenceRule", &events[2]),
        error_record(PRESENCE_RULE, &events[3]),
    ];
    let mut input = log_page(&records);
    input.push_str("this line is not JSON\n");
    let (code, stdout, err) = replay(&input, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        replayed_items(&stdout).len(),
        2,
        "the good records are still replayed"
    );
    // Each log event is named by the line its `{` is on.
    let starts: Vec<usize> = (1..=input.lines().count())
        .filter(|&n| input.lines().nth(n - 1) == Some("        {"))
        .collect();
    assert_eq!(starts.len(), 4, "{input}");
    let at = |event: usize| starts[event];
    for expected in [
        format!(
            "presence-stack: error: errors.json:{}: log event 37890001: `base64OriginalPayload` has '!' at character 17, \
             which is not base64; the record was altered or cut, and cannot be replayed",
            at(1)
        ),
        format!(
            "presence-stack: error: errors.json:{}: log event 37890002: the record is of rule `PresenceRule`, not of \
             pipeline `presence`'s rule (`PresenceRule_` + 12 letters and digits, as CloudFormation names it); if that \
             is the deployed rule, give its name with --rule (the stack's `PresenceRuleName` output)",
            at(2)
        ),
        format!(
            "presence-stack: error: errors.json:{}: not JSON: expected ident (column 2)",
            input.lines().count()
        ),
        "presence-stack: 5 records: 2 items in 1 document for batch-write-item; 0 redeliveries dropped, 0 replaced by \
         a different event with the same key, 3 not replayed"
            .to_owned(),
        "presence-stack: error: errors.json: 3 record(s) not replayed; the documents hold the others".to_owned(),
    ] {
        assert!(err.lines().any(|l| l == expected), "expected:\n{expected}\nin:\n{err}");
    }
    // --rule names the deployed rule when CloudFormation's naming cannot be told from the config.
    let (code, _, err) = replay(&log_page(&records[2..3]), &["--rule", "PresenceRule"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn replay_needs_a_table_a_pipeline_it_can_choose_and_its_errors() {
    let out = run(&["replay", "examples/presence.yaml", "--errors", "-"]);
    assert_eq!(out.status.code(), Some(2), "--table is required");
    let out = run(&[
        "replay",
        "examples/multi-pipeline.yaml",
        "--errors",
        "/dev/null",
        "--table",
        "tbl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_of(&out).lines().last().unwrap(),
        "presence-stack: error: examples/multi-pipeline.yaml: the config has 3 pipelines (`presence`, `subscriptions`, \
         `connect_failures`); name the one whose errors these are with --pipeline"
    );
    let out = run(&[
        "replay",
        "examples/presence.yaml",
        "--errors",
        "/dev/null",
        "--table",
        "a b",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("`a b` is not a DynamoDB table name"),
        "{}",
        stderr_of(&out)
    );
    let out = run(&[
        "replay",
        "examples/presence.yaml",
        "--errors",
        "no/such.json",
        "--table",
        "tbl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_of(&out),
        "presence-stack: error: no/such.json: cannot read the error records: no such file\n"
    );
    // Nothing to replay is no error.
    let out = run(&[
        "replay",
        "examples/presence.yaml",
        "--errors",
        "/dev/null",
        "--table",
        "tbl",
    ]);
    assert_eq!(
        (out.status.code(), out.stdout.len()),
        (Some(0), 0),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn replay_into_a_closed_pipe_ends_quietly() {
    let dir = TempDir::new().unwrap();
    let errors = dir.path().join("errors.json");
    let records: Vec<_> = lifecycle_events(100)
        .iter()
        .map(|e| error_record(PRESENCE_RULE, e))
        .collect();
    fs::write(&errors, log_page(&records)).unwrap();
    let out = run_into_closed_pipe(&[
        "replay",
        "examples/presence.yaml",
        "--table",
        "tbl",
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert_eq!((out.status.code(), stderr_of(&out).as_str()), (Some(0), ""));
}

#[test]
fn replay_warns_when_two_different_events_share_a_key_and_keeps_the_later() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("lossy.yaml");
    fs::write(
        &config,
        "pipelines:\n  - name: presence\n    table:\n      partition_key: {name: clientId, type: S}\n      \
         sort_key: {name: timestamp, type: N}\n",
    )
    .unwrap();
    // A takeover: the old connection's disconnect and the new connect in one millisecond.
    let mut events = lifecycle_events(2);
    events[1]["clientId"] = events[0]["clientId"].clone();
    events[1]["timestamp"] = events[0]["timestamp"].clone();
    let records: Vec<_> = events
        .iter()
        .map(|e| error_record(PRESENCE_RULE, e))
        .collect();
    let errors = dir.path().join("errors.json");
    fs::write(&errors, log_page(&records)).unwrap();
    let out = cmd()
        .args([
            "replay",
            config.to_str().unwrap(),
            "--table",
            "presence-table",
            "--errors",
        ])
        .arg(&errors)
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let items = replayed_items(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(
        items.len(),
        1,
        "one key, one request: BatchWriteItem refuses duplicate keys"
    );
    assert_eq!(
        items[0]["eventType"]["S"], "disconnected",
        "the later event, as in the table"
    );
    assert!(
        err.contains("a different event with the key {\"clientId\":{\"S\":\"thing_0\"},\"timestamp\":{\"N\":\"1672742949382\"}} was replayed before"),
        "{err}"
    );
    assert!(
        err.contains("1 replaced by a different event with the same key"),
        "{err}"
    );
}

#[test]
fn every_data_input_that_is_a_directory_is_refused_with_what_to_give() {
    let dir = TempDir::new().unwrap();
    let folder = dir.path().to_str().unwrap();
    for (args, instead) in [
        (
            vec!["simulate", "examples/presence.yaml", "--events", folder],
            "give the events file inside it",
        ),
        (
            vec!["status", "examples/presence.yaml", "--items", folder],
            "give the file of scan or query output",
        ),
        (
            vec![
                "replay",
                "examples/presence.yaml",
                "--table",
                "presence-table",
                "--errors",
                folder,
            ],
            "give the file of error records",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr_of(&out);
        assert!(
            err.contains(&format!("{folder}: is a directory; {instead}")),
            "{args:?}: {err}"
        );
    }
}
