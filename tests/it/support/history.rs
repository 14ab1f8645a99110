//! True connection histories of IoT clients, and a delivery model that turns them into what a table holds.
//!
//! Shared by the property tests of `status` (`tests/it/status.rs`), by the benchmark generator
//! (`cargo run --release --example status-history`), and, through that generator's JSON lines, by tests in other
//! languages (the status function of a later issue): every history is a pure function of a seed.
//!
//! A history follows the facts of AWS-FACTS.md: one connection per client ID at a time; `versionNumber` grows
//! from one connection to the next (skipping values at times) and resets to 0 after [`RESET_AFTER_MS`] or more
//! offline; a takeover starts a new connection while the old one gets a `DUPLICATE_CLIENTID` disconnect a few
//! milliseconds before or after; a dead device is disconnected with `MQTT_KEEP_ALIVE_TIMEOUT` 1.5 keep-alive
//! periods after it went quiet; reconnect storms are connections of a few seconds or less; `connect_failed` comes
//! between connections. The delivery model stamps every event within ±`error_ms` of its true time, delivers it
//! after up to `delay_ms`, and delivers some events twice.
#![allow(dead_code)]

use serde_json::{Value, json};

/// Offline time after which the broker resets a client ID's `versionNumber` to 0 ("about an hour").
pub const RESET_AFTER_MS: i64 = 60 * 60 * 1000;

/// splitmix64: small, fast, and the same sequence everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo) as u64 + 1;
        lo + (self.next() % span) as i64
    }

    /// True with probability `p` percent.
    pub fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    pub fn session(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// One connection as the broker saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub session: String,
    pub version: u64,
    pub connect_ms: i64,
    /// When the broker ended it, and why; `None` while it is still open.
    pub disconnect: Option<(i64, &'static str)>,
}

/// A client's whole true history.
#[derive(Debug, Clone)]
pub struct History {
    pub client_id: String,
    pub connections: Vec<Connection>,
    /// The times of `connect_failed` events.
    pub failures: Vec<i64>,
}

/// The state the broker holds for a client at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    Never,
    Connected {
        session: String,
        version: u64,
    },
    Disconnected {
        session: String,
        version: u64,
        reason: &'static str,
    },
}

impl History {
    /// The truth at `t`: connected from the connect (inclusive) to the disconnect (exclusive). During a takeover
    /// the new connection counts from its connect.
    pub fn truth(&self, t: i64) -> Truth {
        let Some(c) = self.connections.iter().rev().find(|c| c.connect_ms <= t) else {
            return Truth::Never;
        };
        match c.disconnect {
            Some((d, reason)) if d <= t => Truth::Disconnected {
                session: c.session.clone(),
                version: c.version,
                reason,
            },
            _ => Truth::Connected {
                session: c.session.clone(),
                version: c.version,
            },
        }
    }
}

/// Generate one client's history between `start` and `end` (epoch ms).
pub fn history(rng: &mut Rng, client_id: &str, start: i64, end: i64) -> History {
    let mut connections: Vec<Connection> = Vec::new();
    let mut failures = Vec::new();
    let mut t = start + rng.range(0, 3_600_000);
    let mut version = rng.range(0, 3) as u64;
    let mut first = true;
    let mut taken_over = false;
    while t < end {
        if !taken_over {
            // Offline: a reconnect storm, minutes, around the reset time, or long.
            let gap = match rng.range(0, 99) {
                0..=34 => rng.range(0, 10_000),
                35..=64 => rng.range(10_000, 30 * 60_000),
                65..=79 => rng.range(40 * 60_000, 80 * 60_000),
                _ => rng.range(61 * 60_000, 2 * 86_400_000),
            };
            if rng.percent(10) {
                failures.push(t + rng.range(0, gap));
            }
            if !first {
                version = if gap >= RESET_AFTER_MS {
                    0
                } else {
                    version + 1 + rng.range(0, 2) as u64
                };
            }
            t += gap;
        }
        first = false;
        taken_over = false;
        let connect = t;
        let duration = match rng.range(0, 99) {
            0..=9 => rng.range(0, 1),
            10..=29 => rng.range(0, 5_000),
            30..=69 => rng.range(60_000, 2 * 3_600_000),
            _ => rng.range(3_600_000, 5 * 86_400_000),
        };
        let mut end_at = connect + duration;
        if end_at >= end && rng.percent(50) {
            connections.push(Connection {
                session: rng.session(),
                version,
                connect_ms: connect,
                disconnect: None,
            });
            break;
        }
        let reason = match rng.range(0, 99) {
            0..=34 => "CLIENT_INITIATED_DISCONNECT",
            35..=54 => {
                // The device went quiet at end_at; the broker notices 1.5 keep-alive periods later.
                end_at += rng.range(30, 1200) * 1500;
                "MQTT_KEEP_ALIVE_TIMEOUT"
            }
            55..=74 => "CONNECTION_LOST",
            _ => "DUPLICATE_CLIENTID",
        };
        let session = rng.session();
        if reason == "DUPLICATE_CLIENTID" {
            // The new connection at end_at; the old one is kicked a moment before or after.
            let kicked = (end_at + rng.range(-20, 50)).max(connect);
            connections.push(Connection {
                session,
                version,
                connect_ms: connect,
                disconnect: Some((kicked, reason)),
            });
            version += 1 + rng.range(0, 1) as u64;
            t = end_at;
            taken_over = true;
        } else {
            connections.push(Connection {
                session,
                version,
                connect_ms: connect,
                disconnect: Some((end_at, reason)),
            });
            t = end_at;
        }
    }
    History {
        client_id: client_id.to_owned(),
        connections,
        failures,
    }
}

/// One event as it happened.
#[derive(Debug, Clone)]
pub struct TrueEvent {
    pub true_ms: i64,
    pub payload: Value,
}

/// Every event of a history, stamped with its true time (the delivery model adds the error).
pub fn events(h: &History, rng: &mut Rng) -> Vec<TrueEvent> {
    let principal = format!("{:032x}", rng.next() as u128 * 7_919);
    let ip = format!("192.0.2.{}", rng.range(1, 254));
    let mut out = Vec::new();
    for c in &h.connections {
        out.push(TrueEvent {
            true_ms: c.connect_ms,
            payload: json!({
                "clientId": h.client_id, "timestamp": c.connect_ms, "eventType": "connected",
                "sessionIdentifier": c.session, "principalIdentifier": principal, "ipAddress": ip,
                "versionNumber": c.version,
            }),
        });
        if let Some((d, reason)) = c.disconnect {
            out.push(TrueEvent {
                true_ms: d,
                payload: json!({
                    "clientId": h.client_id, "timestamp": d, "eventType": "disconnected",
                    "sessionIdentifier": c.session, "principalIdentifier": principal,
                    "clientInitiatedDisconnect": reason == "CLIENT_INITIATED_DISCONNECT",
                    "disconnectReason": reason, "versionNumber": c.version,
                }),
            });
        }
    }
    for &f in &h.failures {
        out.push(TrueEvent {
            true_ms: f,
            payload: json!({
                "clientId": h.client_id, "timestamp": f, "eventType": "connect_failed",
                "connectFailureReason": "AUTHORIZATION_FAILED",
            }),
        });
    }
    out
}

/// How events reach the table.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// Every `timestamp` is within this of the true time.
    pub error_ms: i64,
    /// Every event arrives within this after it happened.
    pub delay_ms: i64,
    /// Percent of events delivered a second time (later, within another `delay_ms`).
    pub redeliver_percent: u64,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            error_ms: 120_000,
            delay_ms: 10_000,
            redeliver_percent: 5,
        }
    }
}

/// One delivery of an event: its payload (with the approximate `timestamp`), when it happened, when it arrived.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub true_ms: i64,
    pub arrival_ms: i64,
    pub payload: Value,
}

/// Stamp, delay and duplicate every event; the result is in arrival order.
pub fn deliver(events: Vec<TrueEvent>, d: Delivery, rng: &mut Rng) -> Vec<Delivered> {
    let mut out = Vec::with_capacity(events.len() + events.len() / 10);
    for mut e in events {
        let stamp = e.true_ms + rng.range(-d.error_ms, d.error_ms);
        e.payload["timestamp"] = json!(stamp);
        let arrival = e.true_ms + rng.range(0, d.delay_ms);
        if rng.percent(d.redeliver_percent) {
            out.push(Delivered {
                true_ms: e.true_ms,
                arrival_ms: arrival + rng.range(0, d.delay_ms),
                payload: e.payload.clone(),
            });
        }
        out.push(Delivered {
            true_ms: e.true_ms,
            arrival_ms: arrival,
            payload: e.payload,
        });
    }
    out.sort_by_key(|e| e.arrival_ms);
    out
}

/// Shuffle in place (Fisher-Yates), as a Scan's order is unrelated to time.
pub fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// A fleet: `clients` histories from `start` over `days`, with their deliveries in arrival order.
pub fn fleet(
    seed: u64,
    clients: usize,
    start: i64,
    days: i64,
    delivery: Delivery,
) -> (Vec<History>, Vec<Delivered>) {
    let mut rng = Rng::new(seed);
    let end = start + days * 86_400_000;
    let mut histories = Vec::with_capacity(clients);
    let mut all = Vec::new();
    for i in 0..clients {
        let h = history(&mut rng, &format!("device-{i:06}"), start, end);
        let evs = events(&h, &mut rng);
        all.extend(deliver(evs, delivery, &mut rng));
        histories.push(h);
    }
    all.sort_by_key(|e| e.arrival_ms);
    (histories, all)
}

/// The naive answer: the item with the latest `timestamp` at or before `t` decides.
pub fn naive<'a>(items: impl IntoIterator<Item = &'a Value>, t: i64) -> Option<(bool, i64)> {
    let mut best: Option<(i64, bool)> = None;
    for p in items {
        let (Some(ts), Some(kind)) = (p["timestamp"].as_i64(), p["eventType"].as_str()) else {
            continue;
        };
        if ts > t || kind == "connect_failed" {
            continue;
        }
        if best.is_none_or(|(b, _)| ts >= b) {
            best = Some((ts, kind == "connected"));
        }
    }
    best.map(|(ts, connected)| (connected, ts))
}

/// A JSON value as the DynamoDBv2 action stores it (attribute-value JSON).
pub fn attribute_value(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({ "S": s }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Null => json!({ "NULL": true }),
        Value::Object(m) => {
            json!({ "M": m.iter().map(|(k, v)| (k.clone(), attribute_value(v))).collect::<serde_json::Map<_, _>>() })
        }
        Value::Array(a) => json!({ "L": a.iter().map(attribute_value).collect::<Vec<_>>() }),
    }
}

/// A payload as the item `SELECT *` writes: every field an attribute.
pub fn item(payload: &Value) -> Value {
    match payload {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), attribute_value(v)))
                .collect(),
        ),
        other => attribute_value(other),
    }
}
