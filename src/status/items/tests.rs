//! The item reader's tests: every aws CLI format, pages one after another, and each kind of bad input with its
//! position.

use super::*;
use crate::model::Model;

fn fields(yaml: &str) -> Fields {
    let model = Model::build(&crate::config::parse(yaml).unwrap()).unwrap();
    Fields::of(0, &model.pipelines[0]).unwrap()
}

/// (events as `client kind timestamp`, problems as `line: message`).
fn read_all(text: &str, f: &Fields) -> (Vec<String>, Vec<String>, Totals) {
    let (mut events, mut problems) = (Vec::new(), Vec::new());
    let totals = read(text.as_bytes(), f, |r| match r {
        Read::Event(e) => events.push(format!("{} {:?} {}", e.client_id, e.what, e.timestamp)),
        Read::Problem(p) => problems.push(p.to_string()),
    });
    (events, problems, totals)
}

const CONNECTED: &str = r#"{"clientId":{"S":"d1"},"timestamp":{"N":"1000"},"eventType":{"S":"connected"},"sessionIdentifier":{"S":"s1"},"versionNumber":{"N":"3"},"ipAddress":{"S":"192.0.2.1"}}"#;
const DISCONNECTED: &str = r#"{"clientId":{"S":"d1"},"timestamp":{"N":"2000"},"eventType":{"S":"disconnected"},"sessionIdentifier":{"S":"s1"},"versionNumber":{"N":"3"},"clientInitiatedDisconnect":{"BOOL":true},"disconnectReason":{"S":"CLIENT_INITIATED_DISCONNECT"}}"#;

#[test]
fn a_scan_page_as_the_aws_cli_prints_it() {
    let f = fields("pipelines: [{name: presence}]");
    let page = format!(
        "{{\n    \"Items\": [\n        {CONNECTED},\n        {DISCONNECTED}\n    ],\n    \"Count\": 2,\n    \"ScannedCount\": 2,\n    \"ConsumedCapacity\": null\n}}\n"
    );
    let (events, problems, totals) = read_all(&page, &f);
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(
        events,
        [
            "d1 Connected { session: \"s1\", version: 3 } 1000",
            "d1 Disconnected { session: \"s1\", version: 3, reason: Some(\"CLIENT_INITIATED_DISCONNECT\") } 2000"
        ]
    );
    assert_eq!((totals.pages, totals.items, totals.events), (1, 2, 2));
}

#[test]
fn pages_one_after_another_with_tokens_and_keys() {
    let f = fields("pipelines: [{name: presence}]");
    let text = format!(
        "{{\"Items\": [{CONNECTED}], \"Count\": 1, \"ScannedCount\": 1, \"LastEvaluatedKey\": {{\"clientId\": {{\"S\": \"d1\"}}, \"timestamp\": {{\"N\": \"1000\"}}}}, \"NextToken\": \"eyJ4IjogMX0=\"}}\n{{\"Count\": 1, \"Items\": [{DISCONNECTED}]}}{{\"Items\": []}}"
    );
    let (events, problems, totals) = read_all(&text, &f);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((events.len(), totals.pages), (2, 3));
}

#[test]
fn simulate_lines_and_bare_items() {
    let f = fields("pipelines: [{name: presence}, {name: subs, events: [subscribed]}]");
    let text = format!(
        "{{\"index\":0,\"pipeline\":\"presence\",\"outcome\":\"written\",\"key\":{{}},\"item\":{CONNECTED}}}\n\
         {{\"index\":1,\"pipeline\":\"presence\",\"outcome\":\"filtered\"}}\n\
         {{\"index\":2,\"pipeline\":\"subs\",\"outcome\":\"written\",\"item\":{CONNECTED}}}\n\
         {DISCONNECTED}\n"
    );
    let (events, problems, totals) = read_all(&text, &f);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(events.len(), 2);
    assert_eq!(totals.skipped_lines, 2);
}

#[test]
fn nested_payloads_are_found_under_their_map() {
    let f = fields(
        "pipelines: [{name: p, sql: \"SELECT * AS event, clientId, timestamp AS ts FROM '$aws/events/presence/#'\", table: {sort_key: {name: ts, type: N}}}]",
    );
    let item = r#"{"clientId":{"S":"d"},"ts":{"N":"5"},"event":{"M":{"clientId":{"S":"d"},"eventType":{"S":"connected"},"sessionIdentifier":{"S":"s"},"versionNumber":{"N":"0"},"timestamp":{"N":"5"}}}}"#;
    let (events, problems, _) = read_all(item, &f);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(events, ["d Connected { session: \"s\", version: 0 } 5"]);
}

#[test]
fn broken_lines_and_pages_are_reported_where_they_start_and_skipped() {
    let f = fields("pipelines: [{name: presence}]");
    let text = format!(
        "{CONNECTED}\n{{\"clientId\": {{\"S\": \"d2\n{DISCONNECTED}\n[1]\n{{\"Items\": [{CONNECTED}, 7, {{\"a\": }}]}}\n{{\"Items\": [{CONNECTED},\n"
    );
    let (events, problems, _) = read_all(&text, &f);
    assert_eq!(events.len(), 4, "{events:?} {problems:?}");
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(
        problems[0].starts_with("2: a line break inside a string"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("4: expected a scan or query page"),
        "{problems:?}"
    );
    assert!(
        problems[2].starts_with("5: not a DynamoDB item"),
        "{problems:?}"
    );
    assert!(
        problems[3].starts_with("5: not a DynamoDB item"),
        "{problems:?}"
    );
    assert!(problems[4].contains("truncated"), "{problems:?}");
}

#[test]
fn an_item_without_the_fields_is_named_by_its_key() {
    let f = fields("pipelines: [{name: presence}]");
    let item = r#"{"clientId":{"S":"d1"},"eventKey":{"S":"7#connected#s"},"timestamp":{"N":"7"},"eventType":{"S":"connected"},"sessionIdentifier":{"S":"s"}}"#;
    let (_, problems, _) = read_all(item, &f);
    assert_eq!(
        problems,
        ["1: item {clientId=\"d1\", eventKey=\"7#connected#s\"}: no `versionNumber`"]
    );
    let item = r#"{"clientId":{"S":"d1"},"timestamp":{"S":"7"},"eventType":{"S":"subscribed"}}"#;
    let (events, problems, totals) = read_all(item, &f);
    assert!(events.is_empty() && problems.is_empty());
    assert_eq!(totals.other, 1);
}

#[test]
fn no_bytes_panic() {
    let f = fields("pipelines: [{name: presence}]");
    for text in [
        "",
        "{",
        "}",
        "\"",
        "{\"Items\"",
        "{\"Items\":",
        "{\"Items\":[",
        "{\"Items\":[{",
        "{\"a\":1",
        "nul",
        "{\"Items\":[1]]",
        "\u{0}",
    ] {
        let _ = read_all(text, &f);
    }
}

#[test]
fn a_status_tables_items_are_read_as_their_state_and_an_event_table_stays_one() {
    let status_item = r#"{"clientId":{"S":"d2"},"state":{"S":"disconnected"},"since":{"N":"7"},"sessionIdentifier":{"S":"s2"},"versionNumber":{"N":"4"},"disconnectReason":{"S":"DUPLICATE_CLIENTID"}}"#;
    let online_item = r#"{"clientId":{"S":"d3"},"online":{"S":"1"},"since":{"N":"9"},"sessionIdentifier":{"S":"s3"},"versionNumber":{"N":"5"}}"#;
    for f in [
        fields("pipelines: [{name: presence}]"),
        fields(
            "pipelines: [{name: presence, sql: \"SELECT * AS event, clientid() AS clientId, timestamp() AS ts FROM '$aws/events/presence/+/+'\", table: {sort_key: {name: ts, type: N}}}]",
        ),
    ] {
        let (events, problems, totals) = read_all(
            &format!("{{\"Items\": [{status_item}, {online_item}]}}"),
            &f,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            events,
            [
                "d2 Disconnected { session: \"s2\", version: 4, reason: Some(\"DUPLICATE_CLIENTID\") } 7",
                "d3 Connected { session: \"s3\", version: 5 } 9"
            ]
        );
        assert_eq!(totals.status_items, 2);
    }
    // An event table whose rule writes an attribute named `state` is still an event table: its items name the
    // event type.
    let f = fields(
        "pipelines: [{name: presence, sql: \"SELECT *, 'x' AS state FROM '$aws/events/presence/+/+'\"}]",
    );
    let with_state = CONNECTED.replace("\"clientId\"", "\"state\":{\"S\":\"x\"},\"clientId\"");
    let (events, problems, totals) = read_all(&format!("{{\"Items\": [{with_state}]}}"), &f);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((events.len(), totals.status_items), (1, 0));
}
