//! `status` asked now: fresh changes are answered, unknown rows show what is known, the rebuild leaves nobody
//! out, input that is not there is an error, the times people write, `--state`, and a status table as input.

use serde_json::{Value, json};

use super::{item, lines, status};

fn clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The issue's cases, stamped seconds ago: each is answered now, though each is within the timestamp error.
pub(super) fn fresh_page(now: i64) -> String {
    let items = vec![
        // A connect 30 seconds ago.
        item("connect", now - 30_000, "connected", "a", 1, None),
        // A disconnect a minute ago.
        item("disconnect", now - 600_000, "connected", "b", 1, None),
        item(
            "disconnect",
            now - 60_000,
            "disconnected",
            "b",
            1,
            Some("CLIENT_INITIATED_DISCONNECT"),
        ),
        // A takeover 40 seconds ago: the old connection's disconnect, the new one's connect.
        item("takeover", now - 900_000, "connected", "c", 4, None),
        item(
            "takeover",
            now - 40_000,
            "disconnected",
            "c",
            4,
            Some("DUPLICATE_CLIENTID"),
        ),
        item("takeover", now - 40_002, "connected", "d", 5, None),
        // A reconnect whose old disconnect was stamped late (after the reconnect, and after now).
        item("late", now - 900_000, "connected", "e", 2, None),
        item("late", now - 20_000, "connected", "f", 3, None),
        item(
            "late",
            now + 30_000,
            "disconnected",
            "e",
            2,
            Some("CONNECTION_LOST"),
        ),
        // A takeover whose new connect is not stored yet.
        item("pending", now - 900_000, "connected", "g", 6, None),
        item(
            "pending",
            now - 10_000,
            "disconnected",
            "g",
            6,
            Some("DUPLICATE_CLIENTID"),
        ),
    ];
    json!({"Items": items, "Count": 11, "ScannedCount": 11}).to_string()
}

fn by_client(stdout: &str) -> std::collections::BTreeMap<String, Value> {
    lines(stdout)
        .into_iter()
        .map(|v| (v["clientId"].as_str().unwrap().to_owned(), v))
        .collect()
}

#[test]
fn asked_now_the_freshest_changes_are_answered() {
    let now = clock();
    let run = status(
        &["examples/presence.yaml", "--items", "-", "--json"],
        &fresh_page(now),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let got = by_client(&run.stdout);
    let state = |c: &str| {
        (
            got[c]["state"].as_str().unwrap(),
            got[c]["sessionIdentifier"].as_str(),
        )
    };
    assert_eq!(state("connect"), ("connected", Some("a")));
    assert_eq!(state("disconnect"), ("disconnected", Some("b")));
    assert_eq!(state("takeover"), ("connected", Some("d")));
    assert_eq!(state("late"), ("connected", Some("f")));
    assert_eq!(got["pending"]["why"], "takeover-pending");
    assert!(run.stderr.contains("(now)"), "{}", run.stderr);
    assert!(!run.stdout.contains("near-time"), "{}", run.stdout);
}

#[test]
fn unknown_rows_show_the_latest_event_as_a_marked_guess() {
    let now = clock();
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--json",
            "--client",
            "pending",
        ],
        &fresh_page(now),
    );
    let got = lines(&run.stdout);
    let guess = &got[0]["bestGuess"];
    assert_eq!(guess["state"], "disconnected");
    assert_eq!(guess["since"], now - 10_000);
    assert_eq!(guess["sessionIdentifier"], "g");
    assert_eq!(guess["versionNumber"], 6);
    assert_eq!(guess["disconnectReason"], "DUPLICATE_CLIENTID");
    // The table: no blank cells, each guessed one marked.
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--state",
            "unknown",
        ],
        &fresh_page(now),
    );
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{}", run.stdout);
    let row = &rows[1];
    assert_eq!((row[0], row[1]), ("pending", "unknown"));
    assert!(
        row[2].starts_with('~') && row[3].starts_with('~') && row[4] == "~g",
        "{row:?}"
    );
    assert!(
        row[5].contains("best guess: disconnected (DUPLICATE_CLIENTID)"),
        "{row:?}"
    );
}

#[test]
fn the_rebuild_writes_every_client_that_has_a_connection() {
    let now = clock();
    let mut page: Value = serde_json::from_str(&fresh_page(now)).unwrap();
    // A client with only a connect_failed: the status function keeps no item of it.
    page["Items"].as_array_mut().unwrap().push(json!({
        "clientId": {"S": "failed"}, "timestamp": {"N": (now - 5).to_string()},
        "eventType": {"S": "connect_failed"}, "eventKey": {"S": "k"}
    }));
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--write-requests",
            "T",
        ],
        &page.to_string(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let written: Vec<Value> = lines(&run.stdout)
        .iter()
        .flat_map(|d| d["T"].as_array().unwrap().clone())
        .map(|r| r["PutRequest"]["Item"].clone())
        .collect();
    let clients: Vec<&str> = written
        .iter()
        .map(|i| i["clientId"]["S"].as_str().unwrap())
        .collect();
    assert_eq!(
        clients,
        ["connect", "disconnect", "late", "pending", "takeover"]
    );
    let pending = &written[3];
    assert_eq!(pending["state"]["S"], "disconnected");
    assert_eq!(pending["disconnectReason"]["S"], "DUPLICATE_CLIENTID");
    assert!(
        run.stderr
            .contains("1 client(s) without a connect or disconnect left out"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_input_is_an_error_and_an_empty_page_is_an_empty_fleet() {
    for nothing in ["", "\n  \n"] {
        let run = status(&["examples/presence.yaml", "--items", "-"], nothing);
        assert_eq!(run.code, Some(1), "{nothing:?}");
        assert!(run.stdout.is_empty());
        assert!(
            run.stderr
                .contains("presence-stack: error: <stdin>: no items and no page in it"),
            "{}",
            run.stderr
        );
    }
    let run = status(
        &["examples/presence.yaml", "--items", "-", "--json"],
        r#"{"Items": [], "Count": 0}"#,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("0 clients"), "{}", run.stderr);
}

#[test]
fn a_client_with_no_items_is_said_on_stderr() {
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--client",
            "ghost",
        ],
        &fresh_page(clock()),
    );
    assert_eq!(run.code, Some(0));
    assert!(
        run.stderr.contains("<stdin>: no items of client `ghost`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("ghost\tunknown\t-\t-\t-\tno-data"),
        "{}",
        run.stdout
    );
}

#[test]
fn times_people_write() {
    let now = clock();
    let page = fresh_page(now);
    // Ten minutes ago `connect` had not connected yet; `takeover` was on its first session.
    for at in [String::from("-10m"), String::from("-600s")] {
        let run = status(
            &[
                "examples/presence.yaml",
                "--items",
                "-",
                "--json",
                "--at",
                &at,
            ],
            &page,
        );
        assert_eq!(run.code, Some(0), "{at}: {}", run.stderr);
        let got = by_client(&run.stdout);
        assert_eq!(got["takeover"]["sessionIdentifier"], "c", "{at}");
        assert!(!run.stderr.contains("(now)"));
    }
    // An RFC 3339 time and epoch milliseconds say the same.
    let a = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--json",
            "--at",
            "2023-01-03T10:49:09.382Z",
        ],
        &page,
    );
    let b = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--json",
            "--at=1672742949382",
        ],
        &page,
    );
    assert_eq!((a.code, a.stdout.as_str()), (b.code, b.stdout.as_str()));
    assert!(
        a.stderr.contains("as of 2023-01-03T10:49:09.382Z"),
        "{}",
        a.stderr
    );
    // A time in the future is now.
    let run = status(
        &["examples/presence.yaml", "--items", "-", "--at", "-0s"],
        &page,
    );
    assert!(run.stderr.contains("(now)"), "{}", run.stderr);
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--at",
            "2999-01-01T00:00:00Z",
        ],
        &page,
    );
    assert!(run.stderr.contains("(now)"), "{}", run.stderr);
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--at",
            "yesterday",
        ],
        &page,
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("an offset back from now (-30s, -15m, -2h, -1d)"),
        "{}",
        run.stderr
    );
}

#[test]
fn state_filters_what_is_printed_not_the_counts() {
    let page = fresh_page(clock());
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--json",
            "--state",
            "connected",
            "--state",
            "unknown",
        ],
        &page,
    );
    let got = by_client(&run.stdout);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        ["connect", "late", "pending", "takeover"]
    );
    assert!(
        run.stderr
            .contains("5 clients: 3 connected, 1 disconnected, 1 unknown"),
        "{}",
        run.stderr
    );
    let run = status(
        &[
            "examples/presence.yaml",
            "--items",
            "-",
            "--state",
            "online",
        ],
        &page,
    );
    assert_eq!(run.code, Some(2));
}

/// The status table as the status function writes it: a scan, and a query of its `Online` index.
#[test]
fn the_status_table_is_input_too() {
    let now = clock();
    let events = status(
        &["examples/status-table.yaml", "--items", "-", "--json"],
        &fresh_page(now),
    );
    let rebuild = status(
        &[
            "examples/status-table.yaml",
            "--items",
            "-",
            "--write-requests",
            "S",
        ],
        &fresh_page(now),
    );
    let items: Vec<Value> = lines(&rebuild.stdout)
        .iter()
        .flat_map(|d| d["S"].as_array().unwrap().clone())
        .map(|r| r["PutRequest"]["Item"].clone())
        .collect();
    let scan =
        json!({"Items": items, "Count": items.len(), "ScannedCount": items.len()}).to_string();
    let from_status = status(
        &["examples/status-table.yaml", "--items", "-", "--json"],
        &scan,
    );
    assert_eq!(from_status.code, Some(0), "{}", from_status.stderr);
    assert!(
        from_status.stderr.contains("(status table)"),
        "{}",
        from_status.stderr
    );
    let strip = |text: &str| -> Vec<Value> {
        lines(text)
            .into_iter()
            .map(|mut v| {
                let o = v.as_object_mut().unwrap();
                for k in ["events", "forMs", "bestGuess"] {
                    o.remove(k);
                }
                v
            })
            .collect()
    };
    assert_eq!(strip(&from_status.stdout), strip(&events.stdout));
    // The `Online` index projects clientId, online, since, sessionIdentifier, versionNumber: no state.
    let online: Vec<Value> = items
        .iter()
        .filter(|i| i.get("online").is_some())
        .map(|i| {
            let keep = [
                "clientId",
                "online",
                "since",
                "sessionIdentifier",
                "versionNumber",
            ];
            Value::Object(
                i.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| keep.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(online.len(), 3);
    let query = json!({"Items": online, "Count": 3, "ScannedCount": 3}).to_string();
    let run = status(&["examples/status-table.yaml", "--items", "-"], &query);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("3 clients: 3 connected, 0 disconnected, 0 unknown"),
        "{}",
        run.stderr
    );
    // A status table holds only the latest state: the past is the event table's to answer.
    let run = status(
        &["examples/status-table.yaml", "--items", "-", "--at", "-1h"],
        &scan,
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("give the event table's items"),
        "{}",
        run.stderr
    );
    // A broken status item is named by its client.
    let broken = r#"{"Items": [{"clientId": {"S": "x"}, "state": {"S": "sleeping"}, "since": {"N": "1"}, "sessionIdentifier": {"S": "s"}, "versionNumber": {"N": "1"}}]}"#;
    let run = status(&["examples/status-table.yaml", "--items", "-"], broken);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains(r#"item {clientId="x"}: `state` is "sleeping""#),
        "{}",
        run.stderr
    );
}
