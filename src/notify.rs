//! The notifications a status pipeline's stack would send for a history of events, by the rules of its functions
//! (`templates/status_function.py`, `templates/notify_function.py`, `templates/count_function.py`), for
//! `simulate --notifications`: users tune the thresholds on their own history before they deploy.
//!
//! Events arrive one after another, each at a time (its `arrivedAt`, else its `timestamp`; never before the one
//! before it). At each arrival, first every offline check that is due by then is made, then the event is applied:
//!
//! - **The status table** keeps, per client, the event that [`supersedes`] all others
//!   so far (the status function's condition; two connections with one `versionNumber` within the window keep the
//!   first), and counts the connects it applied. A change of state is `Device Connected` or `Device Disconnected`.
//! - **A change to disconnected** schedules a check `offline_after_seconds` later. When due, it sends `Device
//!   Offline` if the client is still disconnected, no connect was applied since, and no Offline was sent for that
//!   count of connects yet. The first connect after it is `Device Online`.
//! - **Every distinct disconnect** (stale or not; a redelivery is no new one) counts. A burst is
//!   `flapping.disconnects` distinct disconnects of a client within `flapping.within_seconds` by their timestamps
//!   (`client_id_conflict.takeovers` `DUPLICATE_CLIENTID` disconnects for a conflict): it ends at a disconnect `d`
//!   when that many lie in `(d - S, d]`. Each window aligned at a multiple of S in which a burst ends is told once,
//!   `Device Flapping` or `Client ID Conflict`, with its earliest burst among what has arrived. Which windows are
//!   told does not depend on the arrival order; which burst of a window is described does.
//!
//! What the functions cannot match exactly: their clock starts an outage when the status table's stream recorded
//! the change (to the second), and a Lambda retry after a lost `PutEvents` answer may send a Connected, Disconnected
//! or Online twice. The moto tests check that both give the same notifications on generated histories.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use serde_json::{Map, Value, json};

use crate::model::{EVENT_SOURCE, Notifications, Window};
use crate::status::{Event, Order, Verdict, What, supersedes};

/// One notification: when it is sent (epoch milliseconds), its `DetailType` and its `detail`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub at: i64,
    pub detail_type: &'static str,
    pub detail: Map<String, Value>,
}

impl Notification {
    /// As `simulate --notifications` prints it: an EventBridge entry with the time it is sent.
    pub fn json(&self) -> Value {
        json!({
            "at": self.at,
            "source": EVENT_SOURCE,
            "detail-type": self.detail_type,
            "detail": self.detail,
        })
    }
}

/// A client's item of the status table.
#[derive(Debug, Clone)]
struct Item {
    disconnect: bool,
    since: i64,
    session: String,
    version: u64,
    reason: Option<String>,
}

#[derive(Debug, Default)]
struct Client {
    item: Option<Item>,
    /// The connects applied (`connects`).
    connects: u64,
    /// `offlineNotified` and `offlineSince`: the count of connects an Offline was sent for, and the outage's start.
    offline: Option<(u64, i64)>,
}

/// An offline check waiting in the queue.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Check {
    due: i64,
    order: u64,
    client: String,
    connects: u64,
    since: i64,
}

/// An aligned window of one kind and client (the count table's item): the distinct disconnects in it, each with
/// the key the counting function stores (`timestamp#version#reason#session`), and whether it was told.
#[derive(Debug, Default)]
struct Count {
    seen: BTreeSet<(i64, String)>,
    told: bool,
}

/// The notifications of one pipeline, fed events in arrival order.
#[derive(Debug)]
pub struct Notifier {
    pipeline: String,
    offline_ms: i64,
    flapping: Window,
    conflict: Window,
    window_ms: i64,
    clock: i64,
    clients: HashMap<String, Client>,
    checks: BinaryHeap<Reverse<Check>>,
    queued: u64,
    counts: HashMap<(String, &'static str, i64), Count>,
}

impl Notifier {
    /// The notifier of a pipeline with these notifications; `window_ms` is the status function's ordering window.
    pub fn new(pipeline: &str, n: &Notifications, window_ms: i64) -> Notifier {
        Notifier {
            pipeline: pipeline.to_owned(),
            offline_ms: i64::try_from(n.offline_after_seconds).unwrap_or(i64::MAX / 2) * 1000,
            flapping: n.flapping,
            conflict: n.conflict,
            window_ms,
            clock: i64::MIN,
            clients: HashMap::new(),
            checks: BinaryHeap::new(),
            queued: 0,
            counts: HashMap::new(),
        }
    }

    /// One event, arrived at `arrived` (or at the last arrival, when that is later); what it sends, and what the
    /// checks due by then sent, go to `out`.
    pub fn event(&mut self, arrived: i64, e: &Event<'_>, out: &mut Vec<Notification>) {
        self.until(arrived, out);
        let (disconnect, session, version, reason) = match e.what {
            What::Connected { session, version } => (false, session, version, None),
            What::Disconnected {
                session,
                version,
                reason,
            } => (true, session, version, reason),
            What::ConnectFailed => return,
        };
        if disconnect {
            self.count(e, session, version, reason, out);
        }
        let incoming = Item {
            disconnect,
            since: e.timestamp,
            session: session.to_owned(),
            version,
            reason: reason.map(str::to_owned),
        };
        let client = self.clients.entry(e.client_id.to_owned()).or_default();
        let applies = client.item.as_ref().is_none_or(|current| {
            supersedes(order(current), order(&incoming), self.window_ms) == Verdict::Supersedes
        });
        if !applies {
            return;
        }
        let old = client.item.replace(incoming);
        let old_connects = client.connects;
        if !disconnect {
            client.connects += 1;
        }
        let was = old.as_ref().map(|o| o.disconnect);
        if was == Some(disconnect) {
            return; // no change of state
        }
        let item = client
            .item
            .as_ref()
            .map(|i| about(&self.pipeline, e.client_id, i));
        let Some(detail) = item else { return };
        if disconnect {
            self.queued += 1;
            self.checks.push(Reverse(Check {
                due: self.clock.saturating_add(self.offline_ms),
                order: self.queued,
                client: e.client_id.to_owned(),
                connects: client.connects,
                since: e.timestamp,
            }));
            out.push(self.notification("Device Disconnected", detail));
            return;
        }
        let online = (was == Some(true))
            .then_some(client.offline)
            .flatten()
            .filter(|(connects, _)| *connects == old_connects);
        out.push(self.notification("Device Connected", detail.clone()));
        if let Some((_, since)) = online {
            let mut detail = detail;
            detail.insert("offlineSince".into(), since.into());
            detail.insert("offlineForMs".into(), (e.timestamp - since).into());
            out.push(self.notification("Device Online", detail));
        }
    }

    /// The checks due by `t`, in the order they fall due.
    pub fn until(&mut self, t: i64, out: &mut Vec<Notification>) {
        self.clock = self.clock.max(t);
        while self.checks.peek().is_some_and(|c| c.0.due <= self.clock) {
            let Some(Reverse(check)) = self.checks.pop() else {
                break;
            };
            self.check(check, out);
        }
    }

    /// Every check still queued, as if the history ended long ago.
    pub fn finish(&mut self, out: &mut Vec<Notification>) {
        while let Some(Reverse(check)) = self.checks.pop() {
            self.clock = self.clock.max(check.due);
            self.check(check, out);
        }
    }

    fn check(&mut self, check: Check, out: &mut Vec<Notification>) {
        let Some(client) = self.clients.get_mut(&check.client) else {
            return;
        };
        let Some(item) = client.item.as_ref().filter(|i| i.disconnect) else {
            return;
        };
        if client.connects != check.connects
            || client.offline.is_some_and(|(n, _)| n == check.connects)
        {
            return;
        }
        client.offline = Some((check.connects, check.since));
        let mut detail = about(&self.pipeline, &check.client, item);
        detail.insert("offlineSince".into(), check.since.into());
        detail.insert(
            "offlineForMs".into(),
            (check.due - check.since).max(0).into(),
        );
        let at = check.due;
        out.push(Notification {
            at,
            detail_type: "Device Offline",
            detail,
        });
    }

    /// Adds a disconnect to its client's window of each kind it counts in, then tells the windows in which a burst
    /// now ends, as `templates/count_function.py` does.
    fn count(
        &mut self,
        e: &Event<'_>,
        session: &str,
        version: u64,
        reason: Option<&str>,
        out: &mut Vec<Notification>,
    ) {
        let kinds = [
            (
                "flapping",
                "Device Flapping",
                self.flapping,
                "disconnects",
                true,
            ),
            (
                "conflict",
                "Client ID Conflict",
                self.conflict,
                "takeovers",
                reason == Some("DUPLICATE_CLIENTID"),
            ),
        ];
        let key = format!(
            "{}#{version}#{}#{session}",
            e.timestamp,
            reason.unwrap_or_default()
        );
        for (kind, detail_type, window, noun, counts) in kinds {
            if counts {
                for detail in self.tally(e.client_id, kind, window, noun, e.timestamp, &key) {
                    out.push(self.notification(detail_type, detail));
                }
            }
        }
    }

    /// One disconnect (`ts`, its stored `key`) into the client's windows of one kind: the details of the bursts
    /// told. A burst is `window.count` distinct disconnects within `window.within_seconds`: it ends at a disconnect
    /// `d` when that many lie in `(d - S, d]`. One this disconnect completes ends in its window or the next; each of
    /// those two windows in which a burst ends is told once, with its earliest burst, from what has arrived.
    fn tally(
        &mut self,
        client: &str,
        kind: &'static str,
        window: Window,
        noun: &str,
        ts: i64,
        key: &str,
    ) -> Vec<Map<String, Value>> {
        let span = i64::try_from(window.within_seconds)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000);
        let w = ts.div_euclid(span);
        let id = |k: i64| (client.to_owned(), kind, k);
        self.counts
            .entry(id(w))
            .or_default()
            .seen
            .insert((ts, key.to_owned()));
        let seen: Vec<(i64, String)> = (w - 1..=w + 1)
            .filter_map(|k| self.counts.get(&id(k)))
            .flat_map(|c| c.seen.iter().cloned())
            .collect();
        let times: Vec<i64> = seen.iter().map(|(t, _)| *t).collect();
        let within =
            |d: i64| times.partition_point(|t| *t <= d) - times.partition_point(|t| *t <= d - span);
        let mut told = Vec::new();
        for k in [w, w + 1] {
            if self.counts.get(&id(k)).is_none_or(|c| c.told) {
                continue;
            }
            let burst = seen
                .iter()
                .filter(|(d, _)| d.div_euclid(span) == k)
                .map(|(d, key)| (*d, key, within(*d)))
                .find(|(_, _, n)| *n as u64 >= window.count);
            let Some((d, key, n)) = burst else { continue };
            if let Some(c) = self.counts.get_mut(&id(k)) {
                c.told = true;
            }
            let mut parts = key.splitn(4, '#').skip(1);
            let (version, reason, session) = (parts.next(), parts.next(), parts.next());
            let mut detail = Map::new();
            detail.insert("pipeline".into(), self.pipeline.clone().into());
            detail.insert("clientId".into(), client.into());
            detail.insert("state".into(), "disconnected".into());
            detail.insert("since".into(), d.into());
            detail.insert(
                "sessionIdentifier".into(),
                session.unwrap_or_default().into(),
            );
            let version: u64 = version.and_then(|v| v.parse().ok()).unwrap_or_default();
            detail.insert("versionNumber".into(), version.into());
            if let Some(reason) = reason.filter(|r| !r.is_empty()) {
                detail.insert("disconnectReason".into(), reason.into());
            }
            detail.insert(noun.into(), n.into());
            detail.insert("windowStart".into(), (d - span + 1).into());
            detail.insert("windowSeconds".into(), window.within_seconds.into());
            told.push(detail);
        }
        // A told window keeps its latest `window.count` disconnects only, as the function's item does.
        if let Some(c) = self.counts.get_mut(&id(w)).filter(|c| c.told) {
            let keep = usize::try_from(window.count).unwrap_or(usize::MAX);
            while c.seen.len() > keep {
                c.seen.pop_first();
            }
        }
        told
    }

    fn notification(&self, detail_type: &'static str, detail: Map<String, Value>) -> Notification {
        Notification {
            at: self.clock,
            detail_type,
            detail,
        }
    }
}

fn order(item: &Item) -> Order<'_> {
    Order {
        timestamp: item.since,
        version: item.version,
        session: &item.session,
        disconnect: item.disconnect,
    }
}

/// The detail every event of one status item carries, in the functions' order.
fn about(pipeline: &str, client: &str, item: &Item) -> Map<String, Value> {
    let mut detail = Map::new();
    detail.insert("pipeline".into(), pipeline.into());
    detail.insert("clientId".into(), client.into());
    let state = if item.disconnect {
        "disconnected"
    } else {
        "connected"
    };
    detail.insert("state".into(), state.into());
    detail.insert("since".into(), item.since.into());
    detail.insert("sessionIdentifier".into(), item.session.clone().into());
    detail.insert("versionNumber".into(), item.version.into());
    if let (true, Some(reason)) = (item.disconnect, &item.reason) {
        detail.insert("disconnectReason".into(), reason.clone().into());
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NotifyIds;

    fn notifier(offline_s: u64) -> Notifier {
        let flapping = Window {
            count: 3,
            within_seconds: 600,
        };
        notifier_with(offline_s, flapping)
    }

    fn notifier_with(offline_s: u64, flapping: Window) -> Notifier {
        let n = Notifications {
            ids: NotifyIds {
                check_queue: String::new(),
                failure_queue: String::new(),
                log: String::new(),
                role: String::new(),
                function: String::new(),
                status_mapping: String::new(),
                check_mapping: String::new(),
                count_table: String::new(),
                count_log: String::new(),
                count_role: String::new(),
                count_function: String::new(),
                count_mapping: String::new(),
                errors_alarm: String::new(),
                count_errors_alarm: String::new(),
                failure_queue_alarm: String::new(),
                rule: String::new(),
                topic: String::new(),
                topic_policy: String::new(),
                subscription: String::new(),
            },
            offline_after_seconds: offline_s,
            flapping,
            conflict: Window {
                count: 2,
                within_seconds: 300,
            },
            event_bus_name: None,
            fan_out: None,
        };
        Notifier::new("presence", &n, crate::status::DEFAULT_WINDOW_MS)
    }

    fn connect(ts: i64, session: &str, version: u64) -> Event<'_> {
        Event {
            client_id: "d",
            timestamp: ts,
            what: What::Connected { session, version },
        }
    }

    fn disconnect<'a>(ts: i64, session: &'a str, version: u64, reason: &'a str) -> Event<'a> {
        Event {
            client_id: "d",
            timestamp: ts,
            what: What::Disconnected {
                session,
                version,
                reason: Some(reason),
            },
        }
    }

    fn kinds(out: &[Notification]) -> Vec<&'static str> {
        out.iter().map(|n| n.detail_type).collect()
    }

    #[test]
    fn an_outage_longer_than_the_threshold_is_told_once_and_its_end_too() {
        let mut n = notifier(300);
        let mut out = Vec::new();
        n.event(0, &connect(0, "a", 1), &mut out);
        n.event(
            1_000,
            &disconnect(1_000, "a", 1, "CONNECTION_LOST"),
            &mut out,
        );
        n.event(
            1_500,
            &disconnect(1_000, "a", 1, "CONNECTION_LOST"),
            &mut out,
        ); // a redelivery
        n.event(400_000, &connect(400_000, "b", 2), &mut out);
        n.finish(&mut out);
        assert_eq!(
            kinds(&out),
            [
                "Device Connected",
                "Device Disconnected",
                "Device Offline",
                "Device Connected",
                "Device Online"
            ]
        );
        assert_eq!(out[2].at, 301_000);
        assert_eq!(out[2].detail["offlineSince"], 1_000);
    }

    #[test]
    fn a_takeover_in_either_order_and_a_reconnect_in_time_are_no_outage() {
        let mut n = notifier(300);
        let mut out = Vec::new();
        n.event(0, &connect(0, "a", 1), &mut out);
        // The new connect first: the old session's disconnect is stale.
        n.event(10_000, &connect(10_000, "b", 2), &mut out);
        n.event(
            10_100,
            &disconnect(9_990, "a", 1, "DUPLICATE_CLIENTID"),
            &mut out,
        );
        // The disconnect first: seconds of outage.
        n.event(
            20_000,
            &disconnect(20_000, "b", 2, "DUPLICATE_CLIENTID"),
            &mut out,
        );
        n.event(20_050, &connect(20_010, "c", 3), &mut out);
        n.finish(&mut out);
        assert_eq!(
            kinds(&out),
            [
                "Device Connected",
                "Client ID Conflict",
                "Device Disconnected",
                "Device Connected"
            ]
        );
        assert_eq!(out[1].detail["takeovers"], 2);
    }

    #[test]
    fn flapping_is_told_once_per_window() {
        let mut n = notifier(300);
        let mut out = Vec::new();
        for (k, ts) in [0, 60_000, 120_000, 180_000, 240_000]
            .into_iter()
            .enumerate()
        {
            let session = format!("s{k}");
            let v = k as u64;
            n.event(ts, &connect(ts, &session, v), &mut out);
            n.event(
                ts + 10,
                &disconnect(ts + 10, &session, v, "CONNECTION_LOST"),
                &mut out,
            );
        }
        assert_eq!(
            kinds(&out)
                .iter()
                .filter(|k| **k == "Device Flapping")
                .count(),
            1
        );
    }

    /// 10:00 UTC on 7 December 2025, a multiple of 600 s.
    const BOUNDARY: i64 = 1_765_101_600_000;

    /// The 8 disconnects of issue 22's review, within 185 s: 4 before a 600-s boundary, 4 after.
    fn straddling() -> Vec<(i64, String, u64)> {
        (0..8)
            .map(|k| (BOUNDARY - 100_000 + k * 26_428, format!("s{k}"), k as u64))
            .collect()
    }

    fn flaps(
        n: &mut Notifier,
        at: i64,
        (ts, session, v): &(i64, String, u64),
    ) -> Vec<Notification> {
        let mut out = Vec::new();
        let e = disconnect(*ts, session, *v, "CONNECTION_LOST");
        n.event(at, &e, &mut out);
        out.retain(|n| n.detail_type == "Device Flapping");
        out
    }

    #[test]
    fn a_burst_that_straddles_a_window_boundary_is_told_once() {
        let five_in_600 = Window {
            count: 5,
            within_seconds: 600,
        };
        let burst = straddling();
        assert_eq!(burst[7].0 - burst[0].0, 184_996);
        // Fixed windows saw 4 and 4: nothing. The burst of 5 ends at the fifth, just after the boundary.
        let mut n = notifier_with(300, five_in_600);
        let mut told = Vec::new();
        for (at, d) in burst.iter().enumerate() {
            told.extend(flaps(&mut n, at as i64, d));
            told.extend(flaps(&mut n, at as i64, d)); // a redelivery adds nothing
        }
        assert_eq!(told.len(), 1, "{told:?}");
        let detail = &told[0].detail;
        assert_eq!(detail["since"], burst[4].0);
        assert_eq!(detail["sessionIdentifier"], "s4");
        assert_eq!(detail["versionNumber"], 4);
        assert_eq!(detail["disconnectReason"], "CONNECTION_LOST");
        assert_eq!(detail["disconnects"], 5);
        assert_eq!(detail["windowStart"], burst[4].0 - 600_000 + 1);
        assert_eq!(detail["windowSeconds"], 600);
        // Backwards, the first burst seen ends at the last disconnect: the same window is told, once, about it.
        let mut n = notifier_with(300, five_in_600);
        let mut told = Vec::new();
        for (at, d) in burst.iter().rev().enumerate() {
            told.extend(flaps(&mut n, at as i64, d));
        }
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].detail["since"], burst[7].0);
        assert_eq!(told[0].detail["disconnects"], 5);
        assert_eq!(
            told[0].detail["since"]
                .as_i64()
                .unwrap()
                .div_euclid(600_000)
                * 600_000,
            BOUNDARY
        );
    }

    #[test]
    fn a_told_window_keeps_its_latest_disconnects_for_a_burst_in_the_next() {
        let mut n = notifier(300);
        let mut told = Vec::new();
        // 10 in the window before the boundary: told once; it keeps the 3 latest.
        for k in 0..10 {
            let d = (BOUNDARY - 500_000 + k * 50_000, format!("a{k}"), k as u64);
            told.extend(flaps(&mut n, k, &d));
        }
        let before = &n.counts[&("d".to_owned(), "flapping", BOUNDARY / 600_000 - 1)];
        assert!(before.told);
        assert_eq!(before.seen.len(), 3);
        // One after the boundary: with the 2 latest of before (within 600 s), a burst of 3 in the next window.
        let d = (BOUNDARY + 10_000, "b".to_owned(), 10);
        told.extend(flaps(&mut n, 10, &d));
        let since: Vec<_> = told.iter().map(|t| t.detail["since"].clone()).collect();
        assert_eq!(since, [json!(BOUNDARY - 400_000), json!(BOUNDARY + 10_000)]);
        // The next window's count takes at most the 3 kept of the one before.
        assert_eq!(told[1].detail["disconnects"], 4);
    }

    /// Sorted timestamps in, the window starts that hold the end of a burst out: the definition, by a scan.
    fn windows_with_a_burst(ts: &[i64], count: usize, span: i64) -> BTreeSet<i64> {
        (count - 1..ts.len())
            .filter(|&j| ts[j] - ts[j + 1 - count] < span)
            .map(|j| ts[j].div_euclid(span) * span)
            .collect()
    }

    #[test]
    fn the_windows_told_do_not_depend_on_the_arrival_order() {
        let mut seed: u64 = 22;
        let mut next = move |below: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % below
        };
        for case in 0..300 {
            let count = 2 + next(4);
            let three = Window {
                count,
                within_seconds: 600,
            };
            let mut burst: Vec<(i64, String, u64)> = (0..1 + next(40))
                .map(|k| {
                    let ts = BOUNDARY + i64::try_from(next(3_600_000)).unwrap();
                    (ts, format!("s{k}"), k)
                })
                .collect();
            let mut ts: Vec<i64> = burst.iter().map(|d| d.0).collect();
            ts.sort_unstable();
            let want = windows_with_a_burst(&ts, usize::try_from(count).unwrap(), 600_000);
            for _ in 0..3 {
                for k in (1..burst.len()).rev() {
                    burst.swap(k, usize::try_from(next(k as u64 + 1)).unwrap());
                }
                let mut n = notifier_with(300, three);
                let mut got = Vec::new();
                for (at, d) in burst.iter().enumerate() {
                    for t in flaps(&mut n, at as i64, d) {
                        let since = t.detail["since"].as_i64().unwrap();
                        let start = t.detail["windowStart"].as_i64().unwrap();
                        assert_eq!(start, since - 600_000 + 1);
                        assert!(t.detail["disconnects"].as_u64().unwrap() >= count);
                        got.push(since.div_euclid(600_000) * 600_000);
                    }
                }
                let told: BTreeSet<i64> = got.iter().copied().collect();
                assert_eq!(told.len(), got.len(), "case {case}: a window told twice");
                assert_eq!(told, want, "case {case}: {burst:?}");
            }
        }
    }
}
