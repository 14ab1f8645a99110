//! `presence-stack replay`: error records from the log group or the queue back into `batch-write-item`
//! documents.

use super::pipes::{presence_events, run_into_closed_pipe};
use super::*;

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
        "presence-stack: error: examples/multi-pipeline.yaml: several pipelines (`presence`, `subscriptions`, \
         `connect_failures`); choose one with `--pipeline NAME`"
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
