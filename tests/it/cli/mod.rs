//! The binary as users run it: exit codes, standard input, output files and what is printed where.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::support::cfn_yaml;

use crate::support::common::cmd;

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
            "aws cloudformation deploy --template-file {} --stack-name device-presence --capabilities CAPABILITY_IAM",
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
    crate::support::common::settings().bind(|| {
        for command in [
            "",
            "synth",
            "check",
            "diff",
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

mod pipes;

mod replay;

/// `check --message-format`: the same diagnostics, with their ids, as a JSON array, a SARIF log or GitHub
/// annotations on standard output; the summary stays on standard error, and the exit code is the text form's.
#[test]
fn check_prints_its_diagnostics_in_the_chosen_format() {
    let stdout_of = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).into_owned();
    // Warnings only: exit 0, and exit 1 with --deny-warnings, in every form.
    let out = run(&[
        "check",
        "examples/seed-article.yaml",
        "--message-format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PS301", "PS308", "PS306"], "{json:#}");
    for d in json.as_array().unwrap() {
        assert_eq!(d["severity"], "warning");
        assert_eq!(d["file"], "examples/seed-article.yaml");
        assert!(d["line"].as_u64().unwrap() > 0 && d["column"].as_u64().unwrap() > 0);
        assert!(d["path"].as_str().unwrap().starts_with("pipelines[0]."));
    }
    assert_eq!(
        json[1]["hint"],
        "end the filter in `#`: '$aws/events/presence/+/#'"
    );
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("1 pipeline(s) checked"));
    let out = run(&[
        "check",
        "examples/seed-article.yaml",
        "--message-format",
        "github",
        "--deny-warnings",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = stdout_of(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines[0].starts_with(
            "::warning file=examples/seed-article.yaml,line=15,col=7,title=PS301::pipelines[0].table.sort_key: "
        ),
        "{lines:#?}"
    );
    assert!(stderr_of(&out).contains("3 warning(s) and --deny-warnings"));
    // Errors: exit 1, the whole log all the same.
    let out = run(&[
        "check",
        "tests/invalid/bad-names.yaml",
        "--message-format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr_of(&out), "", "nothing but the log");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rule_ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(rule_ids, ["PS101", "PS104", "PS105"]);
    let region = &results[1]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(4), Some(7))
    );
    // A clean config still gets a document.
    let out = run(&["check", "examples/minimal.yaml", "--message-format", "json"]);
    assert_eq!(
        (out.status.code(), stdout_of(&out).as_str()),
        (Some(0), "[]\n")
    );
}

/// The CI example installs the release this is, deploys the stack name the examples use, and runs the gate,
/// SARIF, cfn-lint and checkov: it stays in step with the tool it shows.
#[test]
fn the_ci_example_pins_this_release_and_runs_every_gate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(root.join("examples/ci/github-actions.yml")).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        workflow["env"]["PRESENCE_STACK_VERSION"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let presence = fs::read_to_string(root.join("examples/presence.yaml")).unwrap();
    let config: serde_yaml::Value = serde_yaml::from_str(&presence).unwrap();
    assert_eq!(workflow["env"]["STACK_NAME"], config["stack"]["name"]);
    for needed in [
        "--tag \"v$PRESENCE_STACK_VERSION\"",
        "actions/cache@",
        "--message-format sarif",
        "github/codeql-action/upload-sarif@",
        "--template template.yaml --deny-warnings",
        "cfn-lint template.yaml",
        "checkov -f template.yaml",
        "--stack-name \"$STACK_NAME\"",
        "presence-stack diff presence-stack.yaml --deployed deployed.json",
    ] {
        assert!(text.contains(needed), "the CI example lacks {needed}");
    }
    let starter = presence_stack::STARTER_CONFIG;
    assert!(
        starter.contains("name: device-presence")
            && starter.contains("--stack-name device-presence")
    );
}

/// `check a.yaml b.yaml`, as a pre-commit hook calls it: each config is checked, a failure does not hide the
/// next, and `--template` takes one config.
#[test]
fn check_takes_several_configs_and_reports_each() {
    let out = run(&[
        "check",
        "tests/invalid/bad-names.yaml",
        "examples/minimal.yaml",
        "tests/invalid/bad-stack-name.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("bad-names.yaml: pipelines[0].name:"), "{err}");
    assert!(
        err.contains("examples/minimal.yaml: 1 pipeline(s) checked"),
        "{err}"
    );
    assert!(err.contains("bad-stack-name.yaml: stack.name:"), "{err}");
    let out = run(&["check", "examples/minimal.yaml", "examples/presence.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = run(&[
        "check",
        "examples/minimal.yaml",
        "examples/presence.yaml",
        "--template",
        "t.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// `diff` against what `aws cloudformation get-template --output json` prints: 0.1's key replaces the table,
/// which fails the run unless allowed; the JSON form says the same.
#[test]
fn diff_marks_the_table_a_new_key_replaces() {
    let dir = TempDir::new().unwrap();
    let old_config = dir.path().join("old.yaml");
    fs::write(
        &old_config,
        "pipelines:\n  - name: presence\n    table: {sort_key: {name: timestamp, type: N}}\n",
    )
    .unwrap();
    let old = cmd().arg("synth").arg(&old_config).output().unwrap();
    assert!(old.status.success());
    let deployed = dir.path().join("deployed.json");
    let printed = format!(
        "{{\"TemplateBody\": {}, \"StagesAvailable\": [\"Original\", \"Processed\"]}}",
        String::from_utf8(old.stdout).unwrap()
    );
    fs::write(&deployed, printed).unwrap();
    let deployed = deployed.to_str().unwrap();
    let out = run(&["diff", "examples/minimal.yaml", "--deployed", deployed]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("~ PresenceTable (AWS::DynamoDB::Table): replaced (holds data)\n"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("    Properties.KeySchema: ")
                && l.ends_with("(replaces the resource)")),
        "{text}"
    );
    assert!(stderr_of(&out).contains("pass --allow-replacement"));
    let out = run(&[
        "diff",
        "examples/minimal.yaml",
        "--deployed",
        deployed,
        "--allow-replacement",
        "--message-format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let changes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let table = changes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["logicalId"] == "PresenceTable")
        .unwrap();
    assert_eq!(
        (table["replaces"].as_bool(), table["stateful"].as_bool()),
        (Some(true), Some(true))
    );
    // The same config against its own template: nothing to do.
    let same = run(&[
        "diff",
        "examples/minimal.yaml",
        "--deployed",
        "examples/minimal.yaml",
    ]);
    assert_eq!(same.status.code(), Some(1), "a config is not a template");
    let own = dir.path().join("own.json");
    let synth = cmd()
        .args(["synth", "examples/minimal.yaml"])
        .output()
        .unwrap();
    fs::write(&own, synth.stdout).unwrap();
    let out = run(&[
        "diff",
        "examples/minimal.yaml",
        "--deployed",
        own.to_str().unwrap(),
    ]);
    assert_eq!((out.status.code(), out.stdout.is_empty()), (Some(0), true));
}
