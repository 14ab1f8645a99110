//! `presence-stack status` end to end: the aws CLI's scan and query output, `simulate`'s lines, standard input,
//! bad input, and what goes where.

use std::fs;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::common::cmd;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn status(args: &[&str], stdin: &str) -> Run {
    run("status", args, stdin)
}

/// One command of the binary on `stdin`: `status`, or `report` (whose page is the standard output).
fn run(command: &str, args: &[&str], stdin: &str) -> Run {
    let out = cmd()
        .arg(command)
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn av(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({ "S": s }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::Bool(b) => json!({ "BOOL": b }),
        _ => json!({ "NULL": true }),
    }
}

/// An item as the default rule writes it.
fn item(
    client: &str,
    t: i64,
    kind: &str,
    session: &str,
    version: u64,
    reason: Option<&str>,
) -> Value {
    let mut payload = json!({
        "clientId": client, "timestamp": t, "eventType": kind, "sessionIdentifier": session,
        "principalIdentifier": "12345678901234567890123456789012", "versionNumber": version,
    });
    if let Some(r) = reason {
        payload["disconnectReason"] = json!(r);
        payload["clientInitiatedDisconnect"] = json!(r == "CLIENT_INITIATED_DISCONNECT");
    }
    let mut item: serde_json::Map<String, Value> = payload
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), av(v)))
        .collect();
    item.insert(
        "eventKey".into(),
        json!({"S": format!("{t}#{kind}#{session}")}),
    );
    Value::Object(item)
}

const T: i64 = 1_672_742_949_382;
const MIN: i64 = 60_000;

/// Two scan pages as `aws dynamodb scan --max-items 2 --output json` prints them, one after the other.
fn two_pages() -> String {
    let page1 = json!({
        "Items": [
            item("sensor-1", T, "connected", "a", 4, None),
            // The previous connection's disconnect, stamped after the reconnect.
            item("sensor-1", T - 10 * MIN + 40_000 + 10 * MIN, "disconnected", "z", 3, Some("CONNECTION_LOST")),
        ],
        "Count": 2, "ScannedCount": 2, "ConsumedCapacity": null,
        "NextToken": "eyJFeGNsdXNpdmVTdGFydEtleSI6IG51bGx9"
    });
    let page2 = json!({
        "Items": [
            item("sensor-2", T, "connected", "b", 0, None),
            item("sensor-2", T + MIN, "disconnected", "b", 0, Some("CLIENT_INITIATED_DISCONNECT")),
            item("sensor-3", T, "connected", "c", 7, None),
            item("sensor-3", T + 1, "disconnected", "c", 7, Some("DUPLICATE_CLIENTID")),
        ],
        "Count": 4, "ScannedCount": 4, "ConsumedCapacity": null
    });
    format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(&page1).unwrap(),
        serde_json::to_string_pretty(&page2).unwrap()
    )
}

#[test]
fn scan_pages_give_one_line_per_client_sorted() {
    let at = (T + 30 * MIN).to_string();
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--at",
            &at,
            "--json",
        ],
        &two_pages(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let got = lines(&run.stdout);
    let states: Vec<(&str, &str)> = got
        .iter()
        .map(|l| {
            (
                l["clientId"].as_str().unwrap(),
                l["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("sensor-1", "connected"),
            ("sensor-2", "disconnected"),
            ("sensor-3", "unknown")
        ]
    );
    assert_eq!(got[0]["sessionIdentifier"], "a");
    assert_eq!(got[0]["forMs"], 30 * MIN);
    assert_eq!(got[1]["disconnectReason"], "CLIENT_INITIATED_DISCONNECT");
    assert_eq!(got[2]["why"], "takeover-pending");
    assert!(
        run.stderr.ends_with(
            "6 items of pipeline `presence`, as of 2023-01-03T11:19:09.382Z: 3 clients: 1 connected, 1 disconnected, 1 unknown (1 takeover-pending)\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn piped_without_json_is_a_tab_separated_table() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("scan.json");
    fs::write(&file, two_pages()).unwrap();
    let at = (T + 30 * MIN).to_string();
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            file.to_str().unwrap(),
            "--at",
            &at,
            "--client",
            "sensor-2",
        ],
        "",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "CLIENT\tSTATE\tSINCE\tFOR\tSESSION\tREASON\n\
         sensor-2\tdisconnected\t2023-01-03T10:50:09.382Z\t29m 0s\tb\tCLIENT_INITIATED_DISCONNECT\n"
    );
}

#[test]
fn a_client_without_items_is_unknown() {
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--client",
            "nobody",
            "--json",
        ],
        &two_pages(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let got = lines(&run.stdout);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0]["state"].as_str(), got[0]["why"].as_str()),
        (Some("unknown"), Some("no-data"))
    );
}

#[test]
fn simulate_output_feeds_status() {
    let sim = cmd()
        .args([
            "simulate",
            "examples/presence.yaml",
            "--events",
            "examples/events/stream.jsonl",
        ])
        .output()
        .unwrap();
    assert!(sim.status.success());
    let run = status(
        &["examples/presence.yaml", "--items", "-", "--json"],
        &String::from_utf8(sim.stdout).unwrap(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let got = lines(&run.stdout);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["clientId"], "plant/line-2/press");
    assert_eq!(got[0]["state"], "connected");
    assert_eq!(got[1]["state"], "disconnected");
}

#[test]
fn broken_input_is_reported_where_it_is_and_the_rest_is_answered() {
    let good = item("sensor-1", T, "connected", "a", 1, None).to_string();
    let incomplete = r#"{"clientId":{"S":"sensor-9"},"eventKey":{"S":"k9"},"eventType":{"S":"connected"},"timestamp":{"N":"5"}}"#;
    let input =
        format!("{good}\n{{\"Items\": [{{\"clientId\": {{\"S\": \"x\n{incomplete}\nnot json\n");
    let run = status(
        &["examples/presence.yaml", "--items", "-", "--json"],
        &input,
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(lines(&run.stdout).len(), 1);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("presence-stack: error:"))
        .collect();
    assert_eq!(
        errors,
        [
            "presence-stack: error: <stdin>:2: a line break inside a string (a broken or truncated line?)",
            "presence-stack: error: <stdin>:3: item {clientId=\"sensor-9\", eventKey=\"k9\"}: no `sessionIdentifier`",
            "presence-stack: error: <stdin>:4: expected a scan or query page, or a JSON line (an object), found `n`",
            "presence-stack: error: <stdin>: 3 item(s), line(s) or page(s) could not be read and were skipped; the answers leave them out",
        ]
    );
}

#[test]
fn a_rule_that_never_writes_a_field_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("c.yaml");
    fs::write(
        &config,
        "pipelines:\n  - name: p\n    sql: \"SELECT clientId, timestamp, eventType, sessionIdentifier FROM '$aws/events/presence/#'\"\n    table: {sort_key: {name: timestamp, type: N}}\n",
    )
    .unwrap();
    let run = status(&[config.to_str().unwrap(), "--items", "-"], "");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("pipelines[0].sql: the rule never writes `versionNumber` to the table: `SELECT clientId, timestamp, eventType, sessionIdentifier`"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(status(&["examples/presence.yaml"], "").code, Some(2));
    let run = status(
        &["examples/presence.yaml", "--items", "-", "--window", "1000"],
        "",
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("more than twice the timestamp error"),
        "{}",
        run.stderr
    );
    let run = status(&["-", "--items", "-"], "");
    assert_eq!(run.code, Some(1));
    let run = status(&["examples/presence.yaml", "--items", "examples"], "");
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("examples: is a directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_help_has_examples() {
    let out = cmd().args(["status", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    crate::support::common::settings().bind(|| insta::assert_snapshot!("help@status", text));
}

#[test]
fn simulate_status_ends_with_every_client_and_status_skips_those_lines() {
    let sim = cmd()
        .args([
            "simulate",
            "examples/presence.yaml",
            "--events",
            "examples/events/stream.jsonl",
            "--status",
            "--now",
            "1672743600000",
        ])
        .output()
        .unwrap();
    assert!(sim.status.success());
    let stdout = String::from_utf8(sim.stdout).unwrap();
    let all = lines(&stdout);
    let tail: Vec<(&str, &str)> = all
        .iter()
        .filter(|l| l.get("state").is_some())
        .map(|l| {
            (
                l["clientId"].as_str().unwrap(),
                l["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tail,
        [
            ("plant/line-2/press", "connected"),
            ("thing_73d6f002860b417b", "disconnected")
        ]
    );
    assert!(
        all.last().unwrap().get("state").is_some(),
        "the answers come last"
    );
    assert!(
        String::from_utf8(sim.stderr).unwrap().contains(
            "status of pipeline `presence` as of 2023-01-03T11:00:00.000Z: 2 clients: 1 connected, 1 disconnected, 0 unknown"
        )
    );
    let run = status(
        &["examples/presence.yaml", "--items", "-", "--json"],
        &stdout,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(lines(&run.stdout).len(), 2);
}

mod now;

mod report;
