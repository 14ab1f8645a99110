//! The fleet report: one self-contained HTML page of a pipeline's devices, from the same items and the same
//! answers as `status`. Not to be confused with [`crate::status::report`], the text output of `status`.
//!
//! The pieces: a [`Collector`] keeps every connect, disconnect and connect_failed the item reader hands on (the
//! [`crate::status::Resolver`] keeps only each client's latest event; a timeline needs them all), compactly:
//! 24 bytes an event, sessions and reasons interned. [`Fleet::build`] puts each client's connections in the order of
//! [`crate::status::supersedes`] ([`history`]), turns them into connected intervals that end where the
//! [`Status`] of that client says they end, finds flapping and client-ID conflicts ([`patterns`]) and counts the
//! connected devices over time ([`chart`]). [`html`] writes the page. The library never touches the disk: the
//! page is returned as a string.
//!
//! # Agreement with `status`
//!
//! The counts are [`crate::status::report::Counts`] of the statuses `status` computes, and every timeline ends in
//! its client's status: only a `connected` client has an interval open at the report's time, so the fleet
//! chart's last point is the `connected` count. An `unknown` client's intervals stop where its answer becomes
//! uncertain (see [`history`]); the page marks the rest as unknown rather than guessing.
//!
//! # Deterministic
//!
//! The same items and the same time give the same bytes: clients in the order of their IDs, reasons sorted,
//! times relative to the period's start, no clock read here.

pub mod chart;
pub mod history;
pub mod html;
pub mod patterns;

use std::collections::HashMap;

use crate::status::report::Counts;
use crate::status::{Event, Params, State, Status, What};

pub use chart::Curve;
pub use history::Device;
pub use patterns::Thresholds;

/// Flapping: this many disconnects of one client within [`FLAPPING_WITHIN_MS`] (the notifications' default).
pub const FLAPPING_DISCONNECTS: usize = 5;
/// Flapping: the window of [`FLAPPING_DISCONNECTS`], 10 minutes.
pub const FLAPPING_WITHIN_MS: i64 = 600_000;
/// A client-ID conflict: this many `DUPLICATE_CLIENTID` takeovers of one client within [`CONFLICT_WITHIN_MS`].
pub const CONFLICT_TAKEOVERS: usize = 3;
/// A client-ID conflict: the window of [`CONFLICT_TAKEOVERS`], 5 minutes.
pub const CONFLICT_WITHIN_MS: i64 = 300_000;

/// What kind of lifecycle event a kept event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Connect,
    Disconnect,
    ConnectFailed,
}

/// One event, as the report keeps it: 24 bytes, its strings interned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kept {
    pub(crate) timestamp: i64,
    pub(crate) version: u64,
    /// An index into the collector's sessions.
    pub(crate) session: u32,
    /// An index into the collector's reasons, plus one; 0 for none.
    pub(crate) reason: u16,
    pub(crate) kind: Kind,
}

/// Collects every lifecycle event of every client, as the item reader hands them on, in any order.
#[derive(Debug, Default)]
pub struct Collector {
    clients: HashMap<Box<str>, usize>,
    events: Vec<Vec<Kept>>,
    sessions: HashMap<Box<str>, u32>,
    reasons: Vec<String>,
    reason_index: HashMap<String, u16>,
    /// Reasons past the 65,534 an index can name (only on data no broker writes) share one slot.
    overflow: bool,
}

/// The reason every reason past the last index is counted as.
const OTHER_REASON: &str = "(other)";

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Take one event into account.
    pub fn add(&mut self, event: &Event<'_>) {
        let (kind, session, version, reason) = match event.what {
            What::Connected { session, version } => (Kind::Connect, session, version, None),
            What::Disconnected {
                session,
                version,
                reason,
            } => (Kind::Disconnect, session, version, reason),
            What::ConnectFailed => (Kind::ConnectFailed, "", 0, None),
        };
        let session = self.session(session);
        let reason = reason.map_or(0, |r| self.reason(r));
        let index = match self.clients.get(event.client_id) {
            Some(&i) => i,
            None => {
                self.events.push(Vec::new());
                self.clients
                    .insert(event.client_id.into(), self.events.len() - 1);
                self.events.len() - 1
            }
        };
        self.events[index].push(Kept {
            timestamp: event.timestamp,
            version,
            session,
            reason,
            kind,
        });
    }

    fn session(&mut self, session: &str) -> u32 {
        if let Some(&i) = self.sessions.get(session) {
            return i;
        }
        let i = u32::try_from(self.sessions.len()).unwrap_or(u32::MAX);
        self.sessions.insert(session.into(), i);
        i
    }

    fn reason(&mut self, reason: &str) -> u16 {
        if let Some(&i) = self.reason_index.get(reason) {
            return i;
        }
        if self.reasons.len() >= usize::from(u16::MAX - 1) {
            if !self.overflow {
                self.overflow = true;
                self.reasons.push(OTHER_REASON.to_owned());
            }
            return u16::try_from(self.reasons.len()).unwrap_or(u16::MAX);
        }
        self.reasons.push(reason.to_owned());
        let i = u16::try_from(self.reasons.len()).unwrap_or(u16::MAX);
        self.reason_index.insert(reason.to_owned(), i);
        i
    }

    /// How many events were collected.
    pub fn events(&self) -> usize {
        self.events.iter().map(Vec::len).sum()
    }
}

/// What the page says about where its data came from: facts the collector and the answers do not hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The pipeline whose items these are.
    pub pipeline: String,
    /// Items read, as `status` counts them.
    pub items: u64,
    /// Items, lines or pages that could not be read and were left out.
    pub problems: u64,
    /// The items are a status table's (each client's latest state only).
    pub status_table: bool,
}

/// The whole report, before it is written: every device, the counts, the curve, the period.
#[derive(Debug)]
pub struct Fleet {
    /// As of this time (epoch milliseconds).
    pub at: i64,
    /// Asked about the present (every stored event has happened).
    pub now: bool,
    pub params: Params,
    pub thresholds: Thresholds,
    /// The first event's time, floored to the second (or an hour before `at` when there is none): the period
    /// is `[start, at]`.
    pub start: i64,
    /// The devices, sorted by client ID, as the statuses were.
    pub devices: Vec<Device>,
    /// The statuses' counts, exactly as `status` prints them.
    pub counts: Counts,
    /// Connected devices over the period.
    pub curve: Curve,
    /// Disconnect reasons, sorted; a device's reason indexes are into this list.
    pub reasons: Vec<String>,
    pub source: Source,
}

impl Fleet {
    /// The report of `statuses` (what the resolver answered, sorted by client ID) and the events the collector
    /// kept, as of `at`. `now` says the resolver answered about the present.
    pub fn build(
        collector: Collector,
        statuses: Vec<Status>,
        at: i64,
        now: bool,
        params: Params,
        source: Source,
    ) -> Fleet {
        let thresholds = Thresholds::default();
        let Collector {
            clients,
            mut events,
            sessions,
            reasons,
            ..
        } = collector;
        // Reasons in a stable order whatever the order of the input: index 0 is "none".
        let mut order: Vec<usize> = (0..reasons.len()).collect();
        order.sort_by(|&a, &b| reasons[a].cmp(&reasons[b]));
        let mut remap = vec![0u16; reasons.len() + 1];
        for (new, &old) in order.iter().enumerate() {
            remap[old + 1] = u16::try_from(new + 1).unwrap_or(u16::MAX);
        }
        let sorted_reasons: Vec<String> = order.iter().map(|&i| reasons[i].clone()).collect();
        let takeover = sorted_reasons
            .iter()
            .position(|r| r == crate::status::TAKEOVER_REASON)
            .map(|i| u16::try_from(i + 1).unwrap_or(u16::MAX));

        let first = events
            .iter()
            .flatten()
            .map(|e| e.timestamp)
            .filter(|&t| now || t <= at)
            .min();
        let start = match first {
            Some(t) => t.min(at).div_euclid(1000) * 1000,
            None => at.saturating_sub(3_600_000),
        };
        let ctx = history::Context {
            at,
            now,
            params,
            thresholds,
            takeover,
        };
        let mut devices = Vec::with_capacity(statuses.len());
        let counts = Counts::of(&statuses);
        for status in statuses {
            let mut kept = clients
                .get(status.client_id.as_str())
                .map(|&i| std::mem::take(&mut events[i]))
                .unwrap_or_default();
            for e in &mut kept {
                e.reason = remap[usize::from(e.reason)];
            }
            let known = match &status.state {
                State::Connected { session, .. } => history::Known {
                    session: sessions.get(session.as_str()).copied(),
                    reason: None,
                },
                State::Disconnected {
                    reason: Some(r), ..
                } => history::Known {
                    session: None,
                    reason: sorted_reasons
                        .binary_search(r)
                        .ok()
                        .and_then(|i| u16::try_from(i + 1).ok()),
                },
                _ => history::Known::default(),
            };
            devices.push(history::device(status, kept, known, &ctx));
        }
        let curve = chart::curve(&devices, start, at);
        Fleet {
            at,
            now,
            params,
            thresholds,
            start,
            devices,
            counts,
            curve,
            reasons: sorted_reasons,
            source,
        }
    }

    /// The page.
    pub fn html(&self) -> String {
        html::page(self)
    }
}
