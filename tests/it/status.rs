//! The proof of `status`: generated true histories (takeovers, keep-alive timeouts, version resets after long
//! offline periods, reconnect storms), delivered with redeliveries, reordering and timestamps off by up to ±2
//! minutes, written as the default rule writes them, read back through the item reader, and resolved at many
//! times. Whenever the resolver says `connected` or `disconnected` it is the truth; it says `unknown` only in the
//! documented cases; and it says `unknown` rarely (the figures are printed by `unknown_is_rare_and_naive_is_wrong`).

use std::collections::BTreeMap;

use presence_stack::model::Model;
use presence_stack::status::{
    self, Event, Fields, Params, Read, Resolver, State, Status, Unknown, What, report,
};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::fuzz_items;
use crate::support::history;

use history::{Delivered, Delivery, History, Rng, Truth};

const START: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

/// An event read back from the items, owning its strings.
#[derive(Debug, Clone, PartialEq)]
struct Owned {
    client: String,
    timestamp: i64,
    kind: u8,
    session: String,
    version: u64,
    reason: Option<String>,
}

impl Owned {
    fn event(&self) -> Event<'_> {
        let what = match self.kind {
            0 => What::Connected {
                session: &self.session,
                version: self.version,
            },
            1 => What::Disconnected {
                session: &self.session,
                version: self.version,
                reason: self.reason.as_deref(),
            },
            _ => What::ConnectFailed,
        };
        Event {
            client_id: &self.client,
            timestamp: self.timestamp,
            what,
        }
    }
}

fn default_fields() -> Fields {
    let model =
        Model::build(&presence_stack::config::parse("pipelines: [{name: presence}]").unwrap())
            .unwrap();
    Fields::of(0, &model.pipelines[0]).unwrap()
}

/// The deliveries as one page of `aws dynamodb scan` output, in the given order.
fn scan_page(deliveries: &[&Delivered]) -> String {
    let items: Vec<Value> = deliveries
        .iter()
        .map(|d| history::item(&d.payload))
        .collect();
    let n = items.len();
    serde_json::to_string_pretty(
        &json!({"Items": items, "Count": n, "ScannedCount": n, "ConsumedCapacity": null}),
    )
    .unwrap()
}

/// Read a page back through the item reader: every item must come out as an event.
fn read_back(text: &str, fields: &Fields) -> Vec<Owned> {
    let mut out = Vec::new();
    let totals = status::read(text.as_bytes(), fields, |r| match r {
        Read::Event(e) => {
            let (kind, session, version, reason) = match e.what {
                What::Connected { session, version } => (0, session, version, None),
                What::Disconnected {
                    session,
                    version,
                    reason,
                } => (1, session, version, reason.map(str::to_owned)),
                What::ConnectFailed => (2, "", 0, None),
            };
            out.push(Owned {
                client: e.client_id.to_owned(),
                timestamp: e.timestamp,
                kind,
                session: session.to_owned(),
                version,
                reason,
            });
        }
        Read::Problem(p) => panic!("a generated item did not read: {p}"),
    });
    assert_eq!(totals.problems, 0);
    out
}

fn resolve(events: &[Owned], at: i64, params: Params) -> Vec<Status> {
    let mut r = Resolver::new(at, params);
    for e in events {
        r.add(&e.event());
    }
    r.finish()
}

/// Check one answer against the truth; the name of the case it falls in.
fn judge(
    s: &Status,
    h: &History,
    stamps: &[i64],
    at: i64,
    params: Params,
) -> Result<&'static str, String> {
    let truth = h.truth(at);
    let e = params.timestamp_error_ms;
    let fail = |why: &str| {
        Err(format!(
            "{}: at {at}: {why}: said {:?}, truth {truth:?}",
            s.client_id, s.state
        ))
    };
    match &s.state {
        State::Connected {
            session, version, ..
        } => match &truth {
            Truth::Connected {
                session: ts,
                version: tv,
            } if ts == session && tv == version => Ok("connected"),
            _ => fail("connected is not the truth"),
        },
        State::Disconnected {
            session,
            version,
            reason,
            ..
        } => match &truth {
            Truth::Disconnected {
                session: ts,
                version: tv,
                reason: tr,
            } if ts == session && tv == version && reason.as_deref() == Some(*tr) => {
                Ok("disconnected")
            }
            _ => fail("disconnected is not the truth"),
        },
        State::Unknown(Unknown::NoData { .. }) => {
            if stamps.iter().all(|&t| t + e > at) {
                Ok("no-data")
            } else {
                fail("no-data, but an event is stamped certainly before T")
            }
        }
        State::Unknown(Unknown::TakeoverPending { .. }) => match truth {
            Truth::Disconnected {
                reason: "DUPLICATE_CLIENTID",
                ..
            } => Ok("takeover-pending"),
            _ => fail("takeover-pending outside a takeover"),
        },
        State::Unknown(Unknown::NearTime { timestamp, .. }) => {
            if timestamp + e > at && timestamp - e <= at {
                Ok("near-time")
            } else {
                fail("near-time names an event that is not near T")
            }
        }
        State::Unknown(Unknown::Ambiguous { .. }) => {
            fail("ambiguous on data that follows the documented facts")
        }
    }
}

/// Times worth asking about: random ones, and ones at and around events' stamps and true times.
fn query_times(rng: &mut Rng, deliveries: &[Delivered], days: i64, e: i64) -> Vec<i64> {
    let mut times: Vec<i64> = (0..30)
        .map(|_| rng.range(START, START + (days + 1) * DAY))
        .collect();
    for _ in 0..12 {
        if deliveries.is_empty() {
            break;
        }
        let d = &deliveries[(rng.next() % deliveries.len() as u64) as usize];
        let stamp = d.payload["timestamp"].as_i64().unwrap();
        for t in [
            stamp - e - 1,
            stamp - e,
            stamp,
            stamp + e - 1,
            stamp + e,
            d.true_ms,
            d.true_ms - 1,
        ] {
            times.push(t);
        }
    }
    times
}

struct Tally {
    cases: BTreeMap<&'static str, u64>,
    naive_wrong: u64,
    answers: u64,
}

/// Generate, deliver, write, read back and resolve one fleet; check every answer.
fn run_fleet(seed: u64, clients: usize, days: i64, tally: &mut Tally) -> Result<(), String> {
    let params = Params::default();
    let (histories, deliveries) = history::fleet(seed, clients, START, days, Delivery::default());
    let fields = default_fields();
    let mut rng = Rng::new(seed ^ 0x5eed);
    // The table: a scan returns items in no particular order.
    let mut scan_order: Vec<&Delivered> = deliveries.iter().collect();
    history::shuffle(&mut scan_order, &mut rng);
    let events = read_back(&scan_page(&scan_order), &fields);
    let by_client: BTreeMap<&str, &History> = histories
        .iter()
        .map(|h| (h.client_id.as_str(), h))
        .collect();
    let mut stamps: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for e in &events {
        if e.kind < 2 {
            stamps
                .entry(by_client[e.client.as_str()].client_id.as_str())
                .or_default()
                .push(e.timestamp);
        }
    }
    let mut reversed = events.clone();
    reversed.reverse();
    for (n, at) in query_times(&mut rng, &deliveries, days, params.timestamp_error_ms)
        .into_iter()
        .enumerate()
    {
        let answers = resolve(&events, at, params);
        if n % 8 == 0 {
            // Arrival order does not matter, not even for the reasons of unknown answers.
            prop_assert_eq_str(&answers, &resolve(&reversed, at, params))?;
        }
        for s in &answers {
            let h = by_client[s.client_id.as_str()];
            let case = judge(
                s,
                h,
                stamps.get(s.client_id.as_str()).map_or(&[], Vec::as_slice),
                at,
                params,
            )?;
            *tally.cases.entry(case).or_default() += 1;
            tally.answers += 1;
            let naive = history::naive(
                deliveries
                    .iter()
                    .filter(|d| d.payload["clientId"] == s.client_id.as_str())
                    .map(|d| &d.payload),
                at,
            );
            let truly = matches!(h.truth(at), Truth::Connected { .. });
            if naive.is_some_and(|(c, _)| c != truly) || (naive.is_none() && truly) {
                tally.naive_wrong += 1;
            }
        }
    }
    Ok(())
}

fn prop_assert_eq_str(a: &[Status], b: &[Status]) -> Result<(), String> {
    if a == b {
        Ok(())
    } else {
        Err(format!(
            "the order of the items changed the answer:\n{a:?}\n{b:?}"
        ))
    }
}

fn tally() -> Tally {
    Tally {
        cases: BTreeMap::new(),
        naive_wrong: 0,
        answers: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(48) })]

    /// Every `connected` and `disconnected` is the truth; every `unknown` is a documented case.
    #[test]
    fn the_resolver_tells_the_truth_or_says_why_not(seed in any::<u64>(), clients in 1usize..6, days in 1i64..5) {
        let mut t = tally();
        if let Err(e) = run_fleet(seed, clients, days, &mut t) {
            prop_assert!(false, "seed {seed}: {e}");
        }
    }

    /// Asked at the time the items were scanned, events still in flight are not in the table: the only way the
    /// answer can differ from the truth.
    #[test]
    fn live_answers_are_wrong_only_while_an_event_is_in_flight(seed in any::<u64>(), clients in 1usize..5) {
        let params = Params::default();
        let (histories, deliveries) = history::fleet(seed, clients, START, 3, Delivery::default());
        let mut rng = Rng::new(seed);
        for _ in 0..20 {
            let at = rng.range(START, START + 3 * DAY);
            let stored: Vec<&Delivered> = deliveries.iter().filter(|d| d.arrival_ms <= at).collect();
            let events = read_back(&scan_page(&stored), &default_fields());
            for s in resolve(&events, at, params) {
                let h = histories.iter().find(|h| h.client_id == s.client_id).unwrap();
                let stamps: Vec<i64> = events.iter().filter(|e| e.client == s.client_id && e.kind < 2).map(|e| e.timestamp).collect();
                if let Err(e) = judge(&s, h, &stamps, at, params) {
                    let in_flight = deliveries.iter().any(|d| d.payload["clientId"] == s.client_id.as_str() && d.true_ms <= at && d.arrival_ms > at);
                    prop_assert!(in_flight, "seed {seed}: wrong with every event stored: {e}");
                }
            }
        }
    }
}

/// Asked now, with every event of the client that has happened stored: the answer is the truth, exactly.
/// `unknown` is left for a takeover whose new connect has not happened yet, and for a client with no connection.
fn judge_now(s: &Status, h: &History, at: i64) -> Result<&'static str, String> {
    let truth = h.truth(at);
    let ok = match (&s.state, &truth) {
        (
            State::Connected {
                session, version, ..
            },
            Truth::Connected {
                session: ts,
                version: tv,
            },
        ) => session == ts && version == tv,
        (
            State::Disconnected {
                session,
                version,
                reason,
                ..
            },
            Truth::Disconnected {
                session: ts,
                version: tv,
                reason: tr,
            },
        ) => session == ts && version == tv && reason.as_deref() == Some(*tr),
        (
            State::Unknown(Unknown::TakeoverPending { session, .. }),
            Truth::Disconnected {
                session: ts,
                reason: "DUPLICATE_CLIENTID",
                ..
            },
        ) => session == ts,
        (State::Unknown(Unknown::NoData { .. }), Truth::Never) => true,
        _ => false,
    };
    if ok {
        Ok(s.state.name())
    } else {
        Err(format!(
            "{}: asked now at {at}: said {:?}, truth {truth:?}",
            s.client_id, s.state
        ))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(48) })]

    /// Asked now, no answer waits for the timestamp error: whatever is stored has happened. Every client none of
    /// whose events is still in flight gets the truth, in every delivery order, however recent its last change.
    #[test]
    fn asked_now_every_stored_history_answers_the_truth(seed in any::<u64>(), clients in 1usize..6) {
        let params = Params::default();
        let (histories, deliveries) = history::fleet(seed, clients, START, 2, Delivery::default());
        let mut rng = Rng::new(seed ^ 0x0a11);
        let mut times: Vec<i64> = (0..10).map(|_| rng.range(START, START + 3 * DAY)).collect();
        // Right after arrivals: the freshest answers, the ones a dashboard is for.
        for _ in 0..10 {
            if let Some(d) = deliveries.get((rng.next() % deliveries.len().max(1) as u64) as usize) {
                times.extend([d.arrival_ms, d.arrival_ms + 30_000]);
            }
        }
        times.push(START + 3 * DAY);
        for at in times {
            let mut stored: Vec<&Delivered> = deliveries.iter().filter(|d| d.arrival_ms <= at).collect();
            history::shuffle(&mut stored, &mut rng);
            let events = read_back(&scan_page(&stored), &default_fields());
            let answer = |events: &[Owned]| {
                let mut r = Resolver::now(at, params);
                events.iter().for_each(|e| r.add(&e.event()));
                r.finish()
            };
            let answers = answer(&events);
            let mut reversed = events.clone();
            reversed.reverse();
            prop_assert_eq!(&answers, &answer(&reversed), "the delivery order changed an answer");
            for s in &answers {
                prop_assert!(!matches!(s.state, State::Unknown(Unknown::NearTime { .. })), "near-time asked now");
                let in_flight = deliveries.iter().any(|d| {
                    d.payload["clientId"] == s.client_id.as_str() && d.true_ms <= at && d.arrival_ms > at
                });
                if in_flight {
                    continue;
                }
                let h = histories.iter().find(|h| h.client_id == s.client_id).unwrap();
                if let Err(e) = judge_now(s, h, at) {
                    prop_assert!(false, "seed {seed}: {e}");
                }
                if matches!(s.state, State::Unknown(_)) {
                    // What is known is still shown: the latest event, as the status function holds it.
                    let stamped = events.iter().any(|e| e.client == s.client_id && e.kind < 2);
                    prop_assert_eq!(s.guess.is_some(), stamped);
                }
            }
        }
    }
}

/// How often `unknown`, and why, over a larger fixed fleet; and how often "latest by timestamp" is wrong.
#[test]
fn unknown_is_rare_and_naive_is_wrong() {
    let mut t = tally();
    for seed in 0..2 {
        run_fleet(seed, 25, 4, &mut t).unwrap();
    }
    let unknown: u64 = t
        .cases
        .iter()
        .filter(|(k, _)| !matches!(**k, "connected" | "disconnected"))
        .map(|(_, n)| n)
        .sum();
    eprintln!(
        "{} answers: {:?}; unknown {:.2}%; naive latest-by-timestamp wrong {:.2}%",
        t.answers,
        t.cases,
        100.0 * unknown as f64 / t.answers as f64,
        100.0 * t.naive_wrong as f64 / t.answers as f64
    );
    assert!(t.cases.get("connected").copied().unwrap_or(0) > 0);
    assert!(t.cases.get("disconnected").copied().unwrap_or(0) > 0);
    assert!(
        t.cases.contains_key("near-time"),
        "the query times probe the error window"
    );
    // The query times are biased towards events; still, most answers are certain.
    assert!(
        unknown * 4 < t.answers,
        "{unknown} unknown of {}",
        t.answers
    );
    assert!(
        t.naive_wrong > 0,
        "the histories hold the cases that defeat the naive answer"
    );
}

/// A late-stamped disconnect of the previous connection: the naive answer says disconnected, the truth and the
/// resolver say connected.
#[test]
fn the_article_case() {
    let f = default_fields();
    let page = json!({"Items": [
        history::item(&json!({"clientId": "d", "timestamp": 1_000_000, "eventType": "connected", "sessionIdentifier": "a", "versionNumber": 4})),
        history::item(&json!({"clientId": "d", "timestamp": 1_000_000 + 60_000, "eventType": "disconnected", "sessionIdentifier": "a", "versionNumber": 4, "disconnectReason": "CONNECTION_LOST"})),
        history::item(&json!({"clientId": "d", "timestamp": 1_000_000 + 30_000, "eventType": "connected", "sessionIdentifier": "b", "versionNumber": 5})),
    ]});
    let events = read_back(&page.to_string(), &f);
    let at = 1_000_000 + 10 * 60_000;
    let got = resolve(&events, at, Params::default());
    assert!(
        matches!(&got[0].state, State::Connected { session, .. } if session == "b"),
        "{got:?}"
    );
    assert_eq!(report::json(&got[0], at)["state"], "connected");
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(256) })]

    /// The fuzz target's body: no bytes make the reader panic, and what it reports adds up.
    #[test]
    fn the_item_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        fuzz_items::check(&bytes);
    }

    /// Near misses of real pages (one byte changed, inserted or removed, or the page cut short), where the fast
    /// path of the reader must give up exactly where serde_json would complain: the fuzz body checks that both
    /// paths hand on the same events and problems.
    #[test]
    fn the_fast_path_agrees_on_broken_pages(
        at in 0usize..8000,
        byte in prop::sample::select(b"{}[]:,\"\\ \n\t\r\x00\x1faSN0-\xc3\xa9\xff".to_vec()),
        edit in 0u8..4,
        nested in any::<bool>(),
    ) {
        let item = |v: &Value| if nested {
            let mut i = history::item(&json!({"clientId": v["clientId"], "timestamp": v["timestamp"]}));
            i["event"] = json!({"M": history::item(v)});
            i
        } else {
            history::item(v)
        };
        let page = json!({"Items": [
            item(&json!({"clientId": "d\u{e9}", "timestamp": 1000, "eventType": "connected", "sessionIdentifier": "a", "versionNumber": 4, "ipAddress": "192.0.2.1", "flags": [true, null, {"x": false}]})),
            item(&json!({"clientId": "d\u{e9}", "timestamp": 2000, "eventType": "disconnected", "sessionIdentifier": "a", "versionNumber": 4, "disconnectReason": "CONNECTION_LOST", "clientInitiatedDisconnect": false})),
            item(&json!({"clientId": "e", "timestamp": 3000, "eventType": "subscribed", "topics": ["a/b"]})),
            // Two items of one shape in ASCII: the second is read by the skeleton the first leaves, so an edit
            // in it must be caught there.
            item(&json!({"clientId": "f", "timestamp": 4000, "eventType": "connected", "sessionIdentifier": "b", "versionNumber": 1, "ipAddress": "192.0.2.2"})),
            item(&json!({"clientId": "g", "timestamp": 5000, "eventType": "connected", "sessionIdentifier": "cc", "versionNumber": 12, "ipAddress": "192.0.2.33"})),
            item(&json!({"clientId": "g", "timestamp": 6000, "eventType": "disconnected", "sessionIdentifier": "cc", "versionNumber": 12, "disconnectReason": "CONNECTION_LOST", "clientInitiatedDisconnect": false})),
            // Tried against the connect's skeleton first, which it leaves where the two part: the disconnect's
            // goes on from there.
            item(&json!({"clientId": "h", "timestamp": 7000, "eventType": "disconnected", "sessionIdentifier": "d", "versionNumber": 3, "disconnectReason": "MQTT_KEEP_ALIVE_TIMEOUT", "clientInitiatedDisconnect": false})),
        ], "Count": 7});
        let mut bytes = serde_json::to_string_pretty(&page).unwrap().into_bytes();
        let at = at % bytes.len();
        match edit {
            0 => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            2 => { bytes.remove(at); }
            _ => bytes.truncate(at),
        }
        // Both configs of the fuzz body: it picks one by the parity of the length.
        fuzz_items::check(&bytes);
        bytes.push(b'\n');
        fuzz_items::check(&bytes);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(24) })]

    /// Valid pages cut into lines anywhere between tokens, with garbage lines in between, lose only the garbage.
    #[test]
    fn garbage_between_pages_costs_only_itself(seed in any::<u64>(), garbage in "[a-z0-9,:\\[\\]\"]{1,20}") {
        let (_, deliveries) = history::fleet(seed, 2, START, 1, Delivery::default());
        let all: Vec<&Delivered> = deliveries.iter().collect();
        let (a, b) = all.split_at(all.len() / 2);
        let text = format!("{}\n{garbage}\n{}\n", scan_page(a), scan_page(b));
        let mut events = 0usize;
        let mut problems = 0usize;
        status::read(text.as_bytes(), &default_fields(), |r| match r {
            Read::Event(_) => events += 1,
            Read::Problem(_) => problems += 1,
        });
        prop_assert_eq!(events, deliveries.len());
        prop_assert_eq!(problems, 1);
    }
}
