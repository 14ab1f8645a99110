//! `presence-stack report` end to end: the counts and the clients of `status --json` on the inputs the status
//! tests use, the page of a small fixed history (a snapshot), the same bytes for the same input, and where the
//! page goes.

use std::fs;

use serde_json::{Value, json};
use tempfile::TempDir;

use super::now::fresh_page;
use super::{MIN, Run, T, item, lines, run, status, two_pages};
use crate::support::common::cmd;

fn report(args: &[&str], stdin: &str) -> Run {
    run("report", args, stdin)
}

/// `data-NAME="N"` of the page's `<body>`.
fn body_count(html: &str, name: &str) -> u64 {
    let body = &html[html.find("<body ").expect("a body")..];
    let body = &body[..body.find('>').unwrap()];
    let key = format!("data-{name}=\"");
    let from = body
        .find(&key)
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        + key.len();
    body[from..from + body[from..].find('"').unwrap()]
        .parse()
        .unwrap()
}

/// The JSON the page embeds.
fn data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"fleet-data\">";
    let from = html.find(open).unwrap() + open.len();
    let to = from + html[from..].find("</script>").unwrap();
    serde_json::from_str(&html[from..to]).unwrap()
}

/// The report's counts and clients equal `status --json`'s on the same input and the same time.
fn agrees_with_status(config: &str, input: &str, extra: &[&str]) -> Run {
    let mut args = vec![config, "--items", "-"];
    args.extend_from_slice(extra);
    let page = report(&args, input);
    args.push("--json");
    let answers = status(&args, input);
    assert_eq!(
        page.code, answers.code,
        "{}\n{}",
        page.stderr, answers.stderr
    );
    let got = lines(&answers.stdout);
    for state in ["connected", "disconnected", "unknown"] {
        let want = got.iter().filter(|l| l["state"] == state).count() as u64;
        assert_eq!(
            body_count(&page.stdout, state),
            want,
            "{state} in {config} {extra:?}: {}",
            page.stderr
        );
    }
    assert_eq!(body_count(&page.stdout, "clients"), got.len() as u64);
    let d = data(&page.stdout);
    let ids: Vec<&str> = d["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[0].as_str().unwrap())
        .collect();
    let want: Vec<&str> = got
        .iter()
        .map(|l| l["clientId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, want);
    // The summary line is status's, word for word but for the clock's reading when asked now.
    let summary = |text: &str| {
        let line = text
            .lines()
            .find(|l| l.contains(" of pipeline `"))
            .unwrap_or_default();
        let (head, rest) = line.split_once(" as of ").unwrap_or((line, ""));
        (
            head.to_owned(),
            rest.split_once('Z').map(|(_, t)| t.to_owned()),
        )
    };
    assert_eq!(summary(&page.stderr), summary(&answers.stderr));
    page
}

#[test]
fn the_counts_and_clients_are_status_s_on_the_status_tests_inputs() {
    let at = (T + 30 * MIN).to_string();
    agrees_with_status("examples/presence.yaml", &two_pages(), &["--at", &at]);
    agrees_with_status("examples/presence.yaml", &two_pages(), &[]);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let fresh = fresh_page(now);
    let page = agrees_with_status("examples/presence.yaml", &fresh, &[]);
    assert!(page.stderr.contains("(now)"), "{}", page.stderr);
    agrees_with_status("examples/presence.yaml", &fresh, &["--at", "-10m"]);
    agrees_with_status("examples/status-table.yaml", &fresh, &[]);

    // simulate's lines.
    let sim = cmd()
        .args([
            "simulate",
            "examples/presence.yaml",
            "--events",
            "examples/events/stream.jsonl",
        ])
        .output()
        .unwrap();
    agrees_with_status(
        "examples/presence.yaml",
        &String::from_utf8(sim.stdout).unwrap(),
        &[],
    );

    // A status table: a rebuild's items, scanned.
    let rebuild = status(
        &[
            "examples/status-table.yaml",
            "--items",
            "-",
            "--write-requests",
            "S",
        ],
        &fresh,
    );
    let items: Vec<Value> = lines(&rebuild.stdout)
        .iter()
        .flat_map(|d| d["S"].as_array().unwrap().clone())
        .map(|r| r["PutRequest"]["Item"].clone())
        .collect();
    let scan =
        json!({"Items": items, "Count": items.len(), "ScannedCount": items.len()}).to_string();
    let page = agrees_with_status("examples/status-table.yaml", &scan, &[]);
    assert!(page.stdout.contains("of a status table"));

    // Broken input: the same answers for what could be read, exit 1, and the page says what was left out.
    let good = item("sensor-1", T, "connected", "a", 1, None).to_string();
    let broken = format!("{good}\n{{\"Items\": [{{\"clientId\": {{\"S\": \"x\nnot json\n");
    let page = agrees_with_status("examples/presence.yaml", &broken, &[]);
    assert_eq!(page.code, Some(1));
    assert!(
        page.stdout
            .contains("1 item(s), line(s) or page(s) could not be read"),
        "{}",
        page.stderr
    );

    // An empty page is an empty fleet; no input at all is an error, as for status.
    agrees_with_status(
        "examples/presence.yaml",
        r#"{"Items": [], "Count": 0}"#,
        &[],
    );
    let run = report(&["examples/presence.yaml", "--items", "-"], "");
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
}

/// A small fixed history: the status tests' two pages, a device that flaps, two devices fighting over one
/// client ID, a disconnect stamped after the reconnect, and a client that only failed to connect.
fn small_history() -> String {
    let mut items = Vec::new();
    // Six short connections within ten minutes.
    for k in 0..6u64 {
        let t = T - 60 * MIN + (k as i64) * 90_000;
        let s = format!("flap-{k}");
        items.push(item("flappy", t, "connected", &s, 10 + k, None));
        items.push(item(
            "flappy",
            t + 45_000,
            "disconnected",
            &s,
            10 + k,
            Some("MQTT_KEEP_ALIVE_TIMEOUT"),
        ));
    }
    items.push(item(
        "flappy",
        T - 40 * MIN,
        "connected",
        "flap-6",
        16,
        None,
    ));
    // Two devices with one client ID: each connect takes it over from the other.
    for k in 0..4u64 {
        let t = T - 50 * MIN + (k as i64) * 70_000;
        let s = format!("twin-{k}");
        items.push(item("twin", t, "connected", &s, 20 + k, None));
        if k < 3 {
            items.push(item(
                "twin",
                t + 70_001,
                "disconnected",
                &s,
                20 + k,
                Some("DUPLICATE_CLIENTID"),
            ));
        }
    }
    // A reconnect whose old disconnect is stamped after it.
    items.push(item("late", T - 120 * MIN, "connected", "e", 2, None));
    items.push(item("late", T - 20 * MIN, "connected", "f", 3, None));
    items.push(item(
        "late",
        T - 19 * MIN,
        "disconnected",
        "e",
        2,
        Some("CONNECTION_LOST"),
    ));
    items.push(json!({
        "clientId": {"S": "failing"}, "timestamp": {"N": (T - 5 * MIN).to_string()},
        "eventType": {"S": "connect_failed"}, "eventKey": {"S": "k"}
    }));
    format!(
        "{}\n{}",
        two_pages(),
        json!({"Items": items, "Count": items.len(), "ScannedCount": items.len()})
    )
}

#[test]
fn the_page_of_a_small_history() {
    let at = (T + 30 * MIN).to_string();
    let page = agrees_with_status("examples/presence.yaml", &small_history(), &["--at", &at]);
    assert_eq!(page.code, Some(0), "{}", page.stderr);
    let html = &page.stdout;
    assert_eq!(body_count(html, "flapping"), 1);
    assert_eq!(body_count(html, "conflicts"), 1);
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
    ));
    // Nothing to fetch: no address of another origin anywhere in the markup.
    for needle in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url("] {
        assert!(!html.contains(needle), "{needle}");
    }
    crate::support::common::settings()
        .bind(|| insta::assert_snapshot!("report@small-history", html));
}

#[test]
fn the_same_items_and_time_give_the_same_bytes_and_o_writes_them() {
    let at = (T + 30 * MIN).to_string();
    let args = ["examples/presence.yaml", "--items", "-", "--at", &at];
    let a = report(&args, &small_history());
    let b = report(&args, &small_history());
    assert_eq!(a.stdout, b.stdout);
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("report.html");
    let run = report(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--at",
            &at,
            "-o",
            out.to_str().unwrap(),
        ],
        &small_history(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(fs::read_to_string(&out).unwrap(), a.stdout);
    assert!(
        run.stderr.contains("presence-stack: wrote "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("7 devices"), "{}", run.stderr);
}

#[test]
fn the_page_never_replaces_an_input_and_usage_errors_exit_2() {
    let dir = TempDir::new().unwrap();
    let items = dir.path().join("scan.json");
    fs::write(&items, two_pages()).unwrap();
    let config = dir.path().join("c.yaml");
    fs::copy("examples/presence.yaml", &config).unwrap();
    for target in [&items, &config] {
        let run = report(
            &[
                config.to_str().unwrap(),
                "--items",
                items.to_str().unwrap(),
                "-o",
                target.to_str().unwrap(),
            ],
            "",
        );
        assert_eq!(run.code, Some(1));
        assert!(run.stderr.contains("being read"), "{}", run.stderr);
    }
    assert_eq!(fs::read_to_string(&items).unwrap(), two_pages());
    let run = report(
        &["examples/presence.yaml", "--items", "-", "--window", "1000"],
        "",
    );
    assert_eq!(run.code, Some(2));
    let run = report(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--at",
            "yesterday",
        ],
        "",
    );
    assert_eq!(run.code, Some(2));
    // A status table holds no past.
    let run = report(
        &["examples/status-table.yaml", "--items", "-", "--at", "-1h"],
        r#"{"Items": [{"clientId": {"S": "x"}, "state": {"S": "connected"}, "since": {"N": "1"}, "sessionIdentifier": {"S": "s"}, "versionNumber": {"N": "1"}, "online": {"S": "1"}}]}"#,
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("give the event table's items"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_help_has_examples() {
    let out = cmd().args(["report", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Examples:"));
    crate::support::common::settings().bind(|| insta::assert_snapshot!("help@report", text));
}
