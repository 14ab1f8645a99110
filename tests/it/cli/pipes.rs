//! The binary under pipes and limits: readers that stop early, closed and full outputs, its own config as the
//! output, templates over the limits, line endings, and inputs that hold no events.

use super::*;

/// A config of `n` (at most 124) pipelines, each with its own table, rule and role, and no outputs or alarms.
fn fleet_config(n: usize) -> String {
    let mut text = String::from("stack: {outputs: false, alarms: {enabled: false}}\npipelines:\n");
    for i in 0..n {
        text.push_str(&format!("  - name: fleet_{i}\n"));
    }
    text
}

/// `n` presence events, alternately connects and disconnects of 100 clients, as JSON lines.
pub(super) fn presence_events(n: usize) -> String {
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
pub(super) fn run_into_closed_pipe(args: &[&str]) -> std::process::Output {
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
    // `report`, whose page goes to standard output without `-o`.
    let args = [
        "report",
        "examples/minimal.yaml",
        "--items",
        items.to_str().unwrap(),
        "--at",
        "1700000600000",
    ];
    let out = run_into_closed_pipe(&args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "", "{args:?}: quietly");
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
    // `stack.name` wins over the file's name.
    let config = dir.path().join("prod.yaml");
    fs::write(
        &config,
        "stack: {name: device-presence}\npipelines: [{name: presence}]\n",
    )
    .unwrap();
    let out = synth_to(config.to_str().unwrap(), &dir.path().join("t.json"));
    assert!(
        stderr_of(&out).contains(" --stack-name device-presence --capabilities"),
        "{}",
        stderr_of(&out)
    );
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
