//! `presence-stack simulate` end to end: the items it prints for the bundled events, its summary, and how it
//! treats input it cannot read.

use std::fs;

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;

fn simulate(config: &str, events: &str) -> (Option<i32>, Vec<Value>, String) {
    let out = Command::cargo_bin("presence-stack")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["simulate", config, "--events", events])
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is JSON"))
        .collect();
    (
        out.status.code(),
        lines,
        String::from_utf8(out.stderr).unwrap(),
    )
}

use crate::support::common::settings;

#[test]
fn the_article_events_become_items_with_the_payload_types() {
    let (code, lines, stderr) = simulate("examples/presence.yaml", "examples/events/article.jsonl");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["key"],
        json!({
            "clientId": {"S": "thing_73d6f002860b417b"},
            "eventKey": {"S": "1672742949382#connected#a4666d2a-7844-4e4f-8e5e-2d0ee2ea3a0e#1"}
        })
    );
    let connected = &lines[0]["item"];
    assert_eq!(connected["eventType"], json!({"S": "connected"}));
    assert_eq!(connected["versionNumber"], json!({"N": "1"}));
    let disconnected = &lines[1]["item"];
    assert_eq!(
        disconnected["clientInitiatedDisconnect"],
        json!({"BOOL": true})
    );
    assert_eq!(
        disconnected["disconnectReason"],
        json!({"S": "CLIENT_INITIATED_DISCONNECT"})
    );
    // Every payload field, and nothing else, with its own type.
    let payload: Value = serde_json::from_str(
        fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/events/article.jsonl"
        ))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap(),
    )
    .unwrap();
    // ... plus the computed sort key.
    assert_eq!(
        disconnected.as_object().unwrap().len(),
        payload.as_object().unwrap().len() + 1
    );
    assert!(stderr.ends_with(
        "2 events (2 matched a pipeline, 0 matched none); 2 outcomes, one per event and matching pipeline: 2 written, 0 filtered, 0 failed; same key as an earlier item: 0 identical duplicates, 0 different events overwritten\n"
    ));
}

#[test]
fn the_stream_counts_a_duplicate_and_filters_connect_failed() {
    let (code, lines, stderr) = simulate("examples/presence.yaml", "examples/events/stream.jsonl");
    assert_eq!(code, Some(0), "{stderr}");
    let outcomes: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| (l["index"].as_u64().unwrap(), l["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (0, "written"),
            (1, "written"),
            (2, "written"),
            (3, "filtered"),
            (6, "written")
        ]
    );
    // The client whose ID holds `/` is still caught: the filter ends in `#`.
    assert_eq!(
        lines[4]["key"]["clientId"],
        json!({"S": "plant/line-2/press"})
    );
    assert!(
        stderr.contains("1 identical duplicate, 0 different events overwritten"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "8 events (5 matched a pipeline, 3 matched none); 5 outcomes, one per event and matching pipeline: \
             4 written, 1 filtered, 0 failed;"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("warning"),
        "a duplicate is not data loss: {stderr}"
    );
}

#[test]
fn the_default_key_keeps_events_of_one_millisecond_and_the_timestamp_key_loses_them() {
    // A takeover's disconnect and the two connects around it, all in one millisecond.
    let (code, lines, stderr) = simulate(
        "examples/minimal.yaml",
        "examples/events/same-millisecond.jsonl",
    );
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("0 identical duplicates, 0 different events overwritten"),
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(
        lines[1]["key"]["eventKey"],
        json!({"S": "1700000000000#disconnected#s-1#7"})
    );
    let (code, _, stderr) = simulate(
        "examples/timestamp-key.yaml",
        "examples/events/same-millisecond.jsonl",
    );
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("0 identical duplicates, 2 different events overwritten"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning") && stderr.contains("leave `table.sort_key` out"),
        "{stderr}"
    );
}

#[test]
fn every_pipeline_whose_filter_matches_gets_a_line() {
    let (code, lines, stderr) = simulate(
        "examples/multi-pipeline.yaml",
        "examples/events/stream.jsonl",
    );
    assert_eq!(code, Some(0), "{stderr}");
    let seen: Vec<(u64, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["index"].as_u64().unwrap(),
                l["pipeline"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(seen.contains(&(3, "presence", "filtered")));
    assert!(seen.contains(&(3, "connect_failures", "written")));
    assert!(seen.contains(&(4, "subscriptions", "written")));
    // The subscriptions table has a TTL: the rule computed it from the event's own time.
    let sub = lines.iter().find(|l| l["index"] == 4).unwrap();
    assert_eq!(
        sub["item"]["expiresAt"],
        json!({"N": (1_672_742_950_i64 + 7 * 86_400).to_string()})
    );
    assert_eq!(
        sub["item"]["topics"],
        json!({"L": [{"S": "devices/thing_73d6f002860b417b/commands"}]})
    );
}

#[test]
fn unreadable_lines_are_reported_and_the_run_goes_on() {
    let dir = TempDir::new().unwrap();
    let events = dir.path().join("events.jsonl");
    fs::write(
        &events,
        "{\"clientId\":\"a\",\"timestamp\":1,\"eventType\":\"connected\"}\nnot json\n\n[1]\n{\"eventType\":\"rebooted\",\"clientId\":\"a\"}\n{\"clientId\":\"b\",\"timestamp\":2,\"eventType\":\"connected\"}\n",
    )
    .unwrap();
    let (code, lines, stderr) = simulate("examples/minimal.yaml", events.to_str().unwrap());
    assert_eq!(code, Some(1));
    assert_eq!(lines.len(), 2);
    let name = events.display();
    assert!(stderr.contains(&format!("{name}:2: not JSON")), "{stderr}");
    assert!(
        stderr.contains(&format!("{name}:4: an event is a JSON object")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{name}:5: `eventType` \"rebooted\" is not a lifecycle event"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("3 event(s) could not be read"), "{stderr}");
}

#[test]
fn a_json_array_and_standard_input_work_too() {
    let text = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/events/article.jsonl"
    ))
    .unwrap();
    let array = format!(
        "[\n{}\n]\n",
        text.trim().lines().collect::<Vec<_>>().join(",\n")
    );
    let out = Command::cargo_bin("presence-stack")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["simulate", "examples/presence.yaml", "--events", "-"])
        .write_stdin(array)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, from_lines, _) = simulate("examples/presence.yaml", "examples/events/article.jsonl");
    let from_array: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(from_array, from_lines);
}

#[test]
fn missing_keys_and_wrong_types_fail_like_the_action_would() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("c.yaml");
    fs::write(
        &config,
        "pipelines:\n  - name: p\n    sql: \"SELECT clientId, timestamp FROM 'devices/+/state'\"\n    table: {sort_key: {name: timestamp, type: N}}\n",
    )
    .unwrap();
    let events = dir.path().join("e.jsonl");
    fs::write(
        &events,
        concat!(
            "{\"topic\":\"devices/d1/state\",\"payload\":{\"clientId\":\"d1\",\"timestamp\":5}}\n",
            "{\"topic\":\"devices/d1/state\",\"payload\":{\"timestamp\":5}}\n",
            "{\"topic\":\"devices/d1/state\",\"payload\":{\"clientId\":\"d1\",\"timestamp\":\"5\"}}\n",
            "{\"topic\":\"devices/d1/state\",\"payload\":{\"clientId\":\"\",\"timestamp\":5}}\n",
        ),
    )
    .unwrap();
    let (code, lines, stderr) = simulate(config.to_str().unwrap(), events.to_str().unwrap());
    assert_eq!(code, Some(0), "{stderr}");
    let errors: Vec<&str> = lines.iter().filter_map(|l| l["error"].as_str()).collect();
    assert_eq!(lines[0]["outcome"], "written");
    assert_eq!(
        errors,
        [
            "missing key attribute `clientId`",
            "key attribute `timestamp` is S, but the table's key is N",
            "key attribute `clientId` is an empty string"
        ]
    );
    assert!(
        stderr.contains("1 written, 0 filtered, 3 failed"),
        "{stderr}"
    );
}

#[test]
fn now_fixes_timestamp() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("c.yaml");
    fs::write(&config, "pipelines:\n  - name: p\n    sql: \"SELECT *, timestamp() AS seen FROM '$aws/events/presence/#' WHERE eventType = 'connected'\"\n    table: {sort_key: {name: timestamp, type: N}}\n").unwrap();
    let out = Command::cargo_bin("presence-stack")
        .unwrap()
        .args(["simulate"])
        .arg(&config)
        .args([
            "--events",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/events/article.jsonl"),
            "--now",
            "42",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let first: Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["item"]["seen"], json!({"N": "42"}));
}

#[test]
fn outputs_of_the_bundled_events() {
    settings().bind(|| {
        for (config, events) in [
            ("examples/presence.yaml", "examples/events/stream.jsonl"),
            (
                "examples/multi-pipeline.yaml",
                "examples/events/stream.jsonl",
            ),
            (
                "examples/timestamp-key.yaml",
                "examples/events/same-millisecond.jsonl",
            ),
        ] {
            let out = Command::cargo_bin("presence-stack")
                .unwrap()
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["simulate", config, "--events", events])
                .output()
                .unwrap();
            let text = format!(
                "{}\n--- stderr\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let name = format!(
                "simulate@{}+{}",
                config
                    .trim_start_matches("examples/")
                    .trim_end_matches(".yaml"),
                events
                    .trim_start_matches("examples/events/")
                    .trim_end_matches(".jsonl")
            );
            insta::assert_snapshot!(name, text);
        }
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Property: under every default config, the table keeps every distinct event and collapses only redeliveries
// ---------------------------------------------------------------------------------------------------------------

mod default_keys {
    use presence_stack::simulate::{Event, Outcome, Simulator};
    use presence_stack::{Source, load};
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use std::collections::{BTreeMap, BTreeSet};

    /// One step of a client's life, with what AWS IoT publishes for it, all events of a step in one millisecond
    /// (the case that defeats a time-only key).
    #[derive(Debug, Clone)]
    enum Step {
        /// A new connection takes the client ID over: the old one's DUPLICATE_CLIENTID disconnect, the new connect.
        Takeover,
        /// Disconnect and reconnect of one persistent session: same sessionIdentifier, the next versionNumber.
        QuickReconnect,
        /// Several SUBSCRIBE packets of one session, each with its own topics.
        SubscriptionBurst(Vec<Vec<String>>),
        /// A failed connect.
        ConnectFailed,
        /// Time passes.
        Wait(i64),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => Just(Step::Takeover),
            3 => Just(Step::QuickReconnect),
            2 => prop::collection::vec(prop::collection::btree_set("[a-z]{1,3}(/[a-z+#]{1,3}){0,2}", 1..4), 2..5)
                .prop_map(|v| Step::SubscriptionBurst(v.into_iter().map(|s| s.into_iter().collect()).collect())),
            1 => Just(Step::ConnectFailed),
            2 => (0i64..5_000).prop_map(Step::Wait),
        ]
    }

    /// Every distinct event of a few clients' histories, then the delivered stream: each event once, some of them
    /// again (redeliveries), in a shuffled order.
    fn stream() -> impl Strategy<Value = (Vec<Value>, Vec<Value>)> {
        (
            prop::collection::vec(prop::collection::vec(step(), 1..12), 1..4),
            any::<u64>(),
        )
            .prop_map(|(clients, seed)| {
                let mut events = Vec::new();
                for (c, steps) in clients.into_iter().enumerate() {
                    let client = format!("device-{c}");
                    let (mut now, mut session, mut version) = (1_700_000_000_000i64, 0u32, 1i64);
                    for s in steps {
                        let base = |kind: &str, session: u32, version: i64| {
                            json!({"clientId": client, "timestamp": now, "eventType": kind,
                                   "sessionIdentifier": format!("s-{c}-{session}"), "principalIdentifier": "p",
                                   "versionNumber": version})
                        };
                        match s {
                            Step::Takeover => {
                                let mut gone = base("disconnected", session, version);
                                gone["disconnectReason"] = json!("DUPLICATE_CLIENTID");
                                gone["clientInitiatedDisconnect"] = json!(false);
                                session += 1;
                                version += 1;
                                events.push(gone);
                                events.push(base("connected", session, version));
                            }
                            Step::QuickReconnect => {
                                let mut gone = base("disconnected", session, version);
                                gone["disconnectReason"] = json!("CONNECTION_LOST");
                                gone["clientInitiatedDisconnect"] = json!(false);
                                version += 1;
                                events.push(gone);
                                events.push(base("connected", session, version));
                            }
                            Step::SubscriptionBurst(packets) => {
                                for topics in packets {
                                    events.push(json!({"clientId": client, "timestamp": now,
                                        "eventType": "subscribed", "sessionIdentifier": format!("s-{c}-{session}"),
                                        "principalIdentifier": "p", "topics": topics}));
                                }
                            }
                            Step::ConnectFailed => events.push(json!({"clientId": client, "timestamp": now,
                                "eventType": "connect_failed", "connectFailureReason": "AUTHORIZATION_FAILED"})),
                            Step::Wait(ms) => now += ms,
                        }
                    }
                }
                // Deliver: every event, a third of them twice, shuffled (a small xorshift keeps it reproducible).
                let mut delivered: Vec<Value> = events.clone();
                delivered.extend(events.iter().step_by(3).cloned());
                let mut x = seed | 1;
                for i in (1..delivered.len()).rev() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    delivered.swap(i, (x % (i as u64 + 1)) as usize);
                }
                (events, delivered)
            })
    }

    /// Configs that leave the keys at their defaults, for every event kind a pipeline can read.
    const DEFAULT_CONFIGS: &[&str] = &[
        "pipelines: [{name: presence}]",
        "pipelines: [{name: p, events: [connected, disconnected, connect_failed]}]",
        "pipelines: [{name: p, events: [connected]}, {name: q, events: [disconnected]}, {name: f, events: [connect_failed]}]",
        "pipelines: [{name: s, events: [subscribed, unsubscribed]}, {name: t, events: [subscribed]}]",
        "pipelines: [{name: presence, table: {ttl_days: 30}}]",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(64) })]

        #[test]
        fn default_keys_overwrite_no_distinct_event_and_collapse_every_redelivery(
            (_events, delivered) in stream()
        ) {
            for config in DEFAULT_CONFIGS {
                let model = load(Source { name: "c.yaml", text: config }).unwrap();
                let mut sim = Simulator::new(&model, None).unwrap();
                // Per pipeline: the distinct events it wrote, and the distinct keys they landed on.
                let mut written: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
                let mut failures = Vec::new();
                for e in &delivered {
                    sim.run(Event::from_json(e.clone()).unwrap(), |pipeline, outcome| match outcome {
                        Outcome::Written { key, .. } => {
                            let entry = written.entry(pipeline.to_owned()).or_default();
                            entry.0.insert(e.to_string());
                            entry.1.insert(serde_json::to_string(key).unwrap());
                        }
                        Outcome::Failed { error } => failures.push(format!("{pipeline}: {error}")),
                        _ => {}
                    });
                }
                prop_assert!(failures.is_empty(), "{}: {:?}", config, failures);
                let s = sim.summary();
                prop_assert_eq!(s.overwritten, 0, "{}: {}", config, s.line());
                for (pipeline, (events, keys)) in &written {
                    prop_assert_eq!(events.len(), keys.len(), "{}: {}: one key per distinct event", config, pipeline);
                }
            }
        }
    }
}

#[test]
fn write_requests_seed_a_table_with_one_request_per_key() {
    let twice = format!(
        "{0}{0}",
        fs::read_to_string("examples/events/stream.jsonl").unwrap()
    );
    let run = crate::support::common::cmd()
        .args([
            "simulate",
            "examples/presence.yaml",
            "--events",
            "-",
            "--write-requests",
            "T",
        ])
        .write_stdin(twice.as_str())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let docs: Vec<Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let items: Vec<&Value> = docs
        .iter()
        .flat_map(|d| d["T"].as_array().unwrap())
        .map(|r| &r["PutRequest"]["Item"])
        .collect();
    // The lines simulate prints without the option: the same items, each key once, the last write winning.
    let (_, lines, _) = simulate("examples/presence.yaml", "examples/events/stream.jsonl");
    let mut want: Vec<&Value> = Vec::new();
    for line in lines.iter().filter(|l| l["outcome"] == "written") {
        match want.iter().position(|w| {
            w["clientId"] == line["item"]["clientId"] && w["eventKey"] == line["item"]["eventKey"]
        }) {
            Some(i) => want[i] = &line["item"],
            None => want.push(&line["item"]),
        }
    }
    assert_eq!(items, want);
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "1 write document(s) for table `T`: {} item(s) of pipeline `presence`",
            want.len()
        )),
        "{stderr}"
    );

    // Several pipelines: the choice is the user's.
    let run = crate::support::common::cmd()
        .args([
            "simulate",
            "examples/multi-pipeline.yaml",
            "--events",
            "examples/events/stream.jsonl",
            "--write-requests",
            "T",
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("choose one with `--pipeline NAME`"));
    let run = crate::support::common::cmd()
        .args([
            "simulate",
            "examples/multi-pipeline.yaml",
            "--events",
            "examples/events/stream.jsonl",
            "--write-requests",
            "T",
            "--pipeline",
            "subscriptions",
        ])
        .output()
        .unwrap();
    assert!(run.status.success());
    let out = String::from_utf8(run.stdout).unwrap();
    assert!(
        out.contains("\"eventType\":{\"S\":\"subscribed\"}") && !out.contains("\"connected\""),
        "{out}"
    );
}

/// `--notifications`: what the stack's functions would send, arriving at `arrivedAt` (else at `timestamp`); the
/// check of an outage is made before an event that arrives when it is due.
#[test]
fn notifications_follow_the_arrivals() {
    let dir = TempDir::new().unwrap();
    let events = dir.path().join("events.jsonl");
    let event = |kind: &str,
                 ts: i64,
                 session: &str,
                 version: u64,
                 arrived: i64,
                 reason: Option<&str>| {
        let mut e = json!({"clientId": "sensor-17", "timestamp": ts, "eventType": kind,
            "sessionIdentifier": session, "principalIdentifier": "p", "versionNumber": version, "arrivedAt": arrived});
        if let Some(reason) = reason {
            e["disconnectReason"] = json!(reason);
            e["clientInitiatedDisconnect"] = json!(false);
        } else {
            e["ipAddress"] = json!("192.0.2.1");
        }
        e.to_string()
    };
    let lines = [
        event("connected", 1_000_000, "a", 1, 1_000_500, None),
        event(
            "disconnected",
            1_100_000,
            "a",
            1,
            1_100_400,
            Some("MQTT_KEEP_ALIVE_TIMEOUT"),
        ),
        // A redelivery, and a reconnect 300 s after the disconnect arrived: the check is due first.
        event(
            "disconnected",
            1_100_000,
            "a",
            1,
            1_200_000,
            Some("MQTT_KEEP_ALIVE_TIMEOUT"),
        ),
        event("connected", 1_400_200, "b", 2, 1_400_400, None),
        // A takeover, its disconnect after the new connect: no outage.
        event("connected", 1_500_000, "c", 3, 1_500_100, None),
        event(
            "disconnected",
            1_499_990,
            "b",
            2,
            1_500_200,
            Some("DUPLICATE_CLIENTID"),
        ),
    ];
    fs::write(&events, lines.join("\n")).unwrap();
    let out = Command::cargo_bin("presence-stack")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "simulate",
            "examples/status-table.yaml",
            "--notifications",
            "--events",
        ])
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sent: Vec<(String, i64)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|n| {
            (
                n["detail-type"].as_str().unwrap().to_owned(),
                n["at"].as_i64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("Device Connected", 1_000_500),
        ("Device Disconnected", 1_100_400),
        ("Device Offline", 1_400_400),
        ("Device Connected", 1_400_400),
        ("Device Online", 1_400_400),
    ];
    assert_eq!(sent, want.map(|(k, t)| (k.to_owned(), t)));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("5 notification(s): 2 Device Connected, 1 Device Disconnected, 1 Device Offline, 1 Device Online"), "{stderr}");

    let (code, _, stderr) = simulate("examples/minimal.yaml", "examples/events/stream.jsonl");
    assert_eq!(code, Some(0), "{stderr}");
    let none = Command::cargo_bin("presence-stack")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "simulate",
            "examples/minimal.yaml",
            "--events",
            "examples/events/stream.jsonl",
            "--notifications",
        ])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    assert!(
        String::from_utf8(none.stderr)
            .unwrap()
            .contains("no pipeline sends notifications")
    );
}
