//! One client's history: its connections in the order of [`supersedes`](crate::status::supersedes), the
//! intervals it was connected, its disconnects and connect failures, ending where its status says.
//!
//! - Events are grouped into connections by (`sessionIdentifier`, `versionNumber`); redeliveries collapse.
//! - Connections are ordered by their time (the connect's stamp, else the disconnect's), and connections stamped
//!   less than the window apart by `versionNumber`, as the resolver orders them.
//! - A connection is connected from its connect to the earlier of its own disconnect and the next connection's
//!   start: a takeover's new connect ends the old connection even when the old one's disconnect is stamped later.
//! - Asked about the past, events stamped after that time are left out; asked now, every event has happened,
//!   and a stamp after now is taken as now.
//! - Then the status decides the end: a `connected` client's connection is open up to the report's time, and no
//!   other client has an open interval. An `unknown` client's intervals are cut where its answer stops being
//!   certain ([`Device::unknown_from`]): from there the page shows "unknown", not a guess.

use crate::status::{Params, State, Status, Unknown};

use super::patterns::{self, Thresholds};
use super::{Kept, Kind};

/// What [`device`] needs besides the client's own events.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    pub(crate) at: i64,
    pub(crate) now: bool,
    pub(crate) params: Params,
    pub(crate) thresholds: Thresholds,
    /// The reason index of `DUPLICATE_CLIENTID`, if any event has it.
    pub(crate) takeover: Option<u16>,
}

/// A time the client was connected: `[start, end)`, or `[start, at]` when `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: i64,
    pub end: i64,
    /// Connected at the report's time (only the connection of a `connected` status).
    pub open: bool,
    /// The reason index (into [`super::Fleet::reasons`], plus one) of the disconnect that ended it; 0 when the
    /// next connection ended it, or it is open, or it was cut where the answer became unknown.
    pub reason: u16,
}

/// A disconnect, where the timeline marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnect {
    /// Its stamp, or the start of the next connection when that came first (a takeover's late disconnect).
    pub at: i64,
    /// Its own stamp.
    pub stamp: i64,
    /// Reason index plus one; 0 for none.
    pub reason: u16,
}

/// One client in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The answer `status` gives.
    pub status: Status,
    /// Connected intervals, in order, none overlapping.
    pub intervals: Vec<Interval>,
    /// One per connection that has a disconnect in the period, in the order of the connections.
    pub disconnects: Vec<Disconnect>,
    /// The stamps of its `connect_failed` events in the period, sorted.
    pub failures: Vec<i64>,
    /// For an `unknown` client with events, when its answer stopped being certain; the page shows "unknown"
    /// from there to the report's time.
    pub unknown_from: Option<i64>,
    /// The reason index of its latest disconnect (the status's own for a `disconnected` client).
    pub last_reason: Option<u16>,
    pub flapping: patterns::Episodes,
    pub conflict: patterns::Episodes,
    /// Its `DUPLICATE_CLIENTID` disconnects in the period.
    pub takeovers: usize,
}

/// One connection: its events paired by (session, version).
#[derive(Debug, Clone, Copy)]
struct Connection {
    session: u32,
    version: u64,
    connect: Option<i64>,
    disconnect: Option<(i64, u16)>,
}

impl Connection {
    /// The time it is ordered by: its connect's stamp, else its disconnect's.
    fn time(&self) -> i64 {
        self.connect
            .or(self.disconnect.map(|d| d.0))
            .unwrap_or_default()
    }
}

/// What the collector's tables say of a status: its session's interned index, its reason's index.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known {
    /// The session of a `connected` status.
    pub(crate) session: Option<u32>,
    /// The reason of a `disconnected` status.
    pub(crate) reason: Option<u16>,
}

pub(crate) fn device(status: Status, mut events: Vec<Kept>, known: Known, ctx: &Context) -> Device {
    let at = ctx.at;
    // What the question lets in: asked about the past, nothing stamped after it; asked now, everything, with
    // stamps after now taken as now.
    if ctx.now {
        for e in &mut events {
            e.timestamp = e.timestamp.min(at);
        }
    } else {
        events.retain(|e| e.timestamp <= at);
    }
    let mut failures: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == Kind::ConnectFailed)
        .map(|e| e.timestamp)
        .collect();
    failures.sort_unstable();
    let connections = connections(events, ctx.params.window_ms);

    let mut intervals = Vec::new();
    let mut disconnects = Vec::new();
    for (i, c) in connections.iter().enumerate() {
        let next = connections.get(i + 1).map(Connection::time);
        if let Some((stamp, reason)) = c.disconnect {
            let floor = c.connect.unwrap_or(stamp);
            let shown = next.map_or(stamp, |n| stamp.min(n.max(floor)));
            disconnects.push(Disconnect {
                at: shown,
                stamp,
                reason,
            });
        }
        let Some(stamp) = c.connect else { continue };
        // Stamps are approximate: a connection ordered later by its version may be stamped a little before the
        // one it follows. Its bar starts where the previous one ended.
        let start = intervals
            .last()
            .map_or(stamp, |p: &Interval| stamp.max(p.end));
        let (end, open, reason) = match (c.disconnect, next) {
            (Some((d, r)), Some(n)) if d <= n => (d, false, r),
            (Some((d, r)), None) => (d, false, r),
            (_, Some(n)) => (n, false, 0),
            (None, None) => (at, true, 0),
        };
        intervals.push(Interval {
            start,
            end: end.max(start),
            open,
            reason,
        });
    }

    // The status decides how the history ends.
    let mut unknown_from = None;
    let mut last_reason = disconnects.last().map(|d| d.reason).filter(|&r| r > 0);
    match &status.state {
        State::Connected { version, .. } => {
            // The connection the resolver found is open; a later one in this order (only on data that breaks
            // the documented facts) is dropped, so that the chart ends on the status.
            let found = connections
                .iter()
                .filter(|c| c.connect.is_some())
                .position(|c| c.version == *version && Some(c.session) == known.session);
            match found {
                Some(k) => {
                    intervals.truncate(k + 1);
                    if let Some(last) = intervals.last_mut() {
                        last.end = at;
                        last.open = true;
                        last.reason = 0;
                    }
                }
                None => close_open(&mut intervals),
            }
        }
        State::Disconnected { .. } => {
            close_open(&mut intervals);
            last_reason = known.reason;
        }
        State::Unknown(why) => {
            close_open(&mut intervals);
            let guessed = status.guess.as_ref().map(|g| g.since);
            let from = match why {
                Unknown::NoData { .. } => None,
                Unknown::TakeoverPending { since, .. } => Some(*since),
                Unknown::NearTime { timestamp, .. } => Some(
                    guessed
                        .unwrap_or(at)
                        .min(*timestamp)
                        .min(at - ctx.params.timestamp_error_ms),
                ),
                Unknown::Ambiguous { .. } => guessed,
            };
            if let Some(from) = from {
                let from = from.min(at);
                intervals.retain(|iv| iv.start < from);
                if let Some(last) = intervals.last_mut()
                    && last.end > from
                {
                    last.end = from;
                    last.reason = 0;
                }
            }
            unknown_from = from.map(|f| f.min(at));
        }
    }

    let mut stamps: Vec<i64> = disconnects.iter().map(|d| d.stamp).collect();
    stamps.sort_unstable();
    let flapping = patterns::episodes(
        &stamps,
        ctx.thresholds.flapping_disconnects,
        ctx.thresholds.flapping_within_ms,
    );
    let mut takeover_stamps: Vec<i64> = disconnects
        .iter()
        .filter(|d| ctx.takeover.is_some_and(|t| t == d.reason))
        .map(|d| d.stamp)
        .collect();
    takeover_stamps.sort_unstable();
    let conflict = patterns::episodes(
        &takeover_stamps,
        ctx.thresholds.conflict_takeovers,
        ctx.thresholds.conflict_within_ms,
    );
    Device {
        status,
        intervals,
        takeovers: takeover_stamps.len(),
        disconnects,
        failures,
        unknown_from,
        last_reason,
        flapping,
        conflict,
    }
}

/// Close an interval left open: only a `connected` client is connected at the report's time.
fn close_open(intervals: &mut [Interval]) {
    if let Some(last) = intervals.last_mut()
        && last.open
    {
        last.open = false;
        last.end = last.start;
    }
}

/// The client's connections, ordered: by time, and by `versionNumber` among those stamped less than the
/// window apart.
fn connections(mut events: Vec<Kept>, window: i64) -> Vec<Connection> {
    events.retain(|e| e.kind != Kind::ConnectFailed);
    events.sort_unstable_by_key(|e| (e.session, e.version, e.kind, e.timestamp));
    let mut out: Vec<Connection> = Vec::new();
    for e in &events {
        let same = out
            .last()
            .is_some_and(|c| c.session == e.session && c.version == e.version);
        if !same {
            out.push(Connection {
                session: e.session,
                version: e.version,
                connect: None,
                disconnect: None,
            });
        }
        let Some(c) = out.last_mut() else { continue };
        // Sorted by time within a kind: the first is the earliest stamp of a redelivered event.
        match e.kind {
            Kind::Connect if c.connect.is_none() => c.connect = Some(e.timestamp),
            Kind::Disconnect if c.disconnect.is_none() => {
                c.disconnect = Some((e.timestamp, e.reason))
            }
            _ => {}
        }
    }
    out.sort_unstable_by_key(|c| (c.time(), c.version, c.session));
    // Within the window, versions order connections (rule 2); outside it, the stamps already do (rule 3).
    for i in 1..out.len() {
        let mut j = i;
        while j > 0
            && (i128::from(out[j - 1].time()) - i128::from(out[j].time())).abs()
                < i128::from(window)
            && out[j - 1].version > out[j].version
        {
            out.swap(j - 1, j);
            j -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{Collector, Fleet, Source};
    use crate::status::{Event, Resolver, What};

    const T: i64 = 1_700_000_000_000;
    const MIN: i64 = 60_000;

    /// `(client, timestamp, session, version, disconnect reason or None for a connect)`
    type Ev<'a> = (&'a str, i64, &'a str, u64, Option<&'a str>);

    fn fleet(events: &[Ev<'_>], at: i64, now: bool) -> Fleet {
        let params = Params::default();
        let mut resolver = if now {
            Resolver::now(at, params)
        } else {
            Resolver::new(at, params)
        };
        let mut collector = Collector::new();
        for &(client_id, timestamp, session, version, reason) in events {
            let what = match reason {
                None => What::Connected { session, version },
                Some(r) => What::Disconnected {
                    session,
                    version,
                    reason: Some(r),
                },
            };
            let e = Event {
                client_id,
                timestamp,
                what,
            };
            resolver.add(&e);
            collector.add(&e);
        }
        Fleet::build(
            collector,
            resolver.finish(),
            at,
            now,
            params,
            Source::default(),
        )
    }

    fn spans(d: &Device) -> Vec<(i64, i64, bool)> {
        d.intervals
            .iter()
            .map(|i| ((i.start - T) / 1000, (i.end - T) / 1000, i.open))
            .collect()
    }

    #[test]
    fn a_takeover_ends_the_old_connection_at_the_new_connect_whatever_the_stamps() {
        // The old connection's DUPLICATE_CLIENTID disconnect is stamped after the new connect, and arrives first.
        let f = fleet(
            &[
                ("d", T + 10 * MIN + 5, "old", 4, Some("DUPLICATE_CLIENTID")),
                ("d", T, "old", 4, None),
                ("d", T + 10 * MIN, "new", 5, None),
            ],
            T + 20 * MIN,
            true,
        );
        let d = &f.devices[0];
        assert_eq!(spans(d), [(0, 600, false), (600, 1200, true)]);
        assert_eq!(d.takeovers, 1);
        assert_eq!(d.disconnects[0].at, T + 10 * MIN, "marked where it ended");
        assert_eq!(f.curve.last(), 1);
    }

    #[test]
    fn versions_order_connections_stamped_close_and_a_late_disconnect_changes_nothing() {
        // The reconnect (version 3) is stamped before the previous connection's connect (version 2): stamps are
        // approximate, versions are not. Then the old connection's disconnect, stamped after the reconnect.
        let f = fleet(
            &[
                ("d", T + 60_000, "b", 2, None),
                ("d", T + 30_000, "c", 3, None),
                ("d", T + 90_000, "b", 2, Some("CONNECTION_LOST")),
            ],
            T + 10 * MIN,
            true,
        );
        let d = &f.devices[0];
        assert!(matches!(
            &d.status.state,
            State::Connected { version: 3, .. }
        ));
        assert_eq!(spans(d), [(60, 60, false), (60, 600, true)]);
        assert_eq!(d.intervals.iter().filter(|i| i.open).count(), 1);
    }

    #[test]
    fn only_a_connected_client_is_connected_at_the_end() {
        let f = fleet(
            &[
                ("gone", T, "a", 1, None),
                ("gone", T + MIN, "a", 1, Some("CLIENT_INITIATED_DISCONNECT")),
                ("pending", T, "p", 6, None),
                ("pending", T + 5 * MIN, "p", 6, Some("DUPLICATE_CLIENTID")),
                ("near", T, "n", 1, None),
                ("near", T + 9 * MIN, "n", 1, Some("CONNECTION_LOST")),
            ],
            T + 10 * MIN,
            false,
        );
        let by = |id: &str| f.devices.iter().find(|d| d.status.client_id == id).unwrap();
        assert_eq!(spans(by("gone")), [(0, 60, false)]);
        assert_eq!(by("gone").last_reason, Some(1));
        // A takeover waiting for its connect: unknown from the takeover on.
        assert_eq!(spans(by("pending")), [(0, 300, false)]);
        assert_eq!(by("pending").unknown_from, Some(T + 5 * MIN));
        // Asked in the past, a disconnect within the timestamp error of that time: unknown from where that
        // error begins.
        assert!(matches!(
            by("near").status.state,
            State::Unknown(Unknown::NearTime { .. })
        ));
        assert_eq!(by("near").unknown_from, Some(T + 8 * MIN));
        assert_eq!(spans(by("near")), [(0, 480, false)]);
        assert_eq!(f.curve.last(), 0);
        assert_eq!(f.counts.connected, 0);
    }
}
