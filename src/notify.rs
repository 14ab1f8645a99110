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
//! - **Every distinct disconnect** (by `sessionIdentifier` and `versionNumber`, stale or not) counts into its
//!   client's window (windows start at multiples of their length, by the event's `timestamp`): `Device Flapping`
//!   when a window holds `flapping.disconnects`, `Client ID Conflict` when it holds `client_id_conflict.takeovers`
//!   `DUPLICATE_CLIENTID` disconnects; once per client and window.
//!
//! What the functions cannot match exactly: their clock starts an outage when the status table's stream recorded
//! the change (to the second), and a Lambda retry after a lost `PutEvents` answer may send a Connected, Disconnected
//! or Online twice. The moto tests check that both give the same notifications on generated histories.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

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

/// A window of one kind and client: the distinct disconnects in it, and whether it was told.
#[derive(Debug, Default)]
struct Count {
    seen: HashSet<(String, u64)>,
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
        for (kind, detail_type, window, noun, counts) in kinds {
            if !counts {
                continue;
            }
            let length = i64::try_from(window.within_seconds).unwrap_or(i64::MAX / 1000) * 1000;
            let start = e.timestamp.div_euclid(length) * length;
            let count = self
                .counts
                .entry((e.client_id.to_owned(), kind, start))
                .or_default();
            if count.told {
                continue;
            }
            count.seen.insert((session.to_owned(), version));
            let seen = count.seen.len();
            if (seen as u64) < window.count {
                continue;
            }
            count.told = true;
            let mut detail = Map::new();
            detail.insert("pipeline".into(), self.pipeline.clone().into());
            detail.insert("clientId".into(), e.client_id.into());
            detail.insert("state".into(), "disconnected".into());
            detail.insert("since".into(), e.timestamp.into());
            detail.insert("sessionIdentifier".into(), session.into());
            detail.insert("versionNumber".into(), version.into());
            if let Some(reason) = reason {
                detail.insert("disconnectReason".into(), reason.into());
            }
            detail.insert(noun.into(), seen.into());
            detail.insert("windowStart".into(), start.into());
            detail.insert("windowSeconds".into(), window.within_seconds.into());
            out.push(self.notification(detail_type, detail));
        }
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
            flapping: Window {
                count: 3,
                within_seconds: 600,
            },
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
}
