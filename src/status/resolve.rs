//! The ordering rule ([`supersedes`]) and the per-client fold that answers "connected at T?" from events in any
//! order. The argument for why these rules give the truth is in the [module docs](super).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{Latest, Params, State, Status, Unknown};

/// What one stored lifecycle event is, as the resolver reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub client_id: &'a str,
    /// The event's `timestamp` (epoch milliseconds, approximate).
    pub timestamp: i64,
    pub what: What<'a>,
}

/// The kinds of event the resolver uses. Subscription events say nothing about the connection and are not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What<'a> {
    Connected {
        session: &'a str,
        version: u64,
    },
    Disconnected {
        session: &'a str,
        version: u64,
        reason: Option<&'a str>,
    },
    /// Never a connection: it only tells that the client tried.
    ConnectFailed,
}

/// The part of a connect or disconnect event that ordering looks at. It is all a DynamoDB condition expression
/// has to compare, too: the stored state's four attributes against the incoming event's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order<'a> {
    pub timestamp: i64,
    pub version: u64,
    pub session: &'a str,
    pub disconnect: bool,
}

/// Whether an incoming event replaces the state set by the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The incoming event happened later: it sets the state.
    Supersedes,
    /// The incoming event happened earlier, or is the same event again: the state stays.
    Stale,
    /// Two different connections with the same `versionNumber` within the window: nothing orders them.
    Ambiguous,
}

/// Does `incoming` supersede the state set by `current`? The one ordering rule of presence-stack.
///
/// 1. Same connection (same `sessionIdentifier` and `versionNumber`): a disconnect beats its own connect, in
///    whichever order they arrive and whatever their timestamps say; anything else is a redelivery.
/// 2. Different connections stamped less than `window_ms` apart: the higher `versionNumber` is the later one.
///    No version reset fits in so short a gap.
/// 3. Different connections stamped `window_ms` or more apart: the later timestamp is the later one. The
///    timestamp error is far smaller than the gap.
///
/// A condition expression mirrors it without arithmetic on attributes, with `:lo = ts - window + 1` and
/// `:hi = ts + window - 1` computed by the caller: `(session = :s AND version = :v AND disconnect = false AND
/// :disconnect = true) OR (NOT (session = :s AND version = :v) AND ((ts BETWEEN :lo AND :hi AND version < :v)
/// OR ts < :lo))`.
pub fn supersedes(current: Order<'_>, incoming: Order<'_>, window_ms: i64) -> Verdict {
    if current.session == incoming.session && current.version == incoming.version {
        return if incoming.disconnect && !current.disconnect {
            Verdict::Supersedes
        } else {
            Verdict::Stale
        };
    }
    let gap = i128::from(incoming.timestamp) - i128::from(current.timestamp);
    if gap.abs() < i128::from(window_ms) {
        match incoming.version.cmp(&current.version) {
            Ordering::Greater => Verdict::Supersedes,
            Ordering::Less => Verdict::Stale,
            Ordering::Equal => Verdict::Ambiguous,
        }
    } else if gap > 0 {
        Verdict::Supersedes
    } else {
        Verdict::Stale
    }
}

/// A connect or disconnect kept by the fold, owning its strings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    timestamp: i64,
    version: u64,
    session: String,
    disconnect: bool,
    reason: Option<String>,
}

impl Kept {
    fn order(&self) -> Order<'_> {
        Order {
            timestamp: self.timestamp,
            version: self.version,
            session: &self.session,
            disconnect: self.disconnect,
        }
    }

    fn set(&mut self, o: Order<'_>, reason: Option<&str>) {
        self.timestamp = o.timestamp;
        self.version = o.version;
        self.session.clear();
        self.session.push_str(o.session);
        self.disconnect = o.disconnect;
        match (reason, &mut self.reason) {
            (Some(r), Some(kept)) => {
                kept.clear();
                kept.push_str(r);
            }
            (r, kept) => *kept = r.map(str::to_owned),
        }
    }

    fn new(o: Order<'_>, reason: Option<&str>) -> Kept {
        Kept {
            timestamp: o.timestamp,
            version: o.version,
            session: o.session.to_owned(),
            disconnect: o.disconnect,
            reason: reason.map(str::to_owned),
        }
    }
}

/// The most any client keeps of events that no rule can order (only on data that breaks the documented facts).
const MAX_INCOMPARABLE: usize = 8;

/// What the fold keeps of one client: a few events, whatever the length of its history.
#[derive(Debug, Default)]
struct Client {
    /// The latest events stamped certainly before T. One, unless some cannot be ordered.
    latest: Vec<Kept>,
    /// Events whose stamp is within the timestamp error of T: they may have happened before T or after.
    near: Vec<Kept>,
    /// The earliest event stamped certainly after T: whatever comes later than it happened after T too.
    first_after: Option<Kept>,
    connect_failed: u64,
    events: u64,
}

/// Folds events, in any order and with duplicates, into each client's state at one time.
#[derive(Debug)]
pub struct Resolver {
    at: i64,
    params: Params,
    /// Asked about the present: every event read is stored, so it happened before T, whatever its stamp.
    now: bool,
    clients: HashMap<Box<str>, Client, BuildHasherDefault<WordHasher>>,
}

/// The hash of the client map: FxHash's step (rustc's hasher: a rotate, an xor and a multiply per word), a word
/// of the client ID at a time. SipHash, the default, was a tenth of the reader's time, and its defence against
/// chosen collisions buys nothing here: the IDs come from the user's own table, and colliding ones could only
/// make the fold slower, not wrong (the answers are sorted by ID, whatever the map's order).
#[derive(Default, Clone, Copy)]
struct WordHasher(u64);

impl WordHasher {
    #[inline(always)]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.add(u64::from_le_bytes(w));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ rest.len() as u64);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves its best bits at the top; the table indexes with the bottom ones.
        self.0.rotate_left(26)
    }
}

impl Resolver {
    /// A resolver answering as of `at` (epoch milliseconds) in the past: an event stamped within the timestamp
    /// error of `at` may have happened after it (the table may hold events of later times).
    pub fn new(at: i64, params: Params) -> Resolver {
        Resolver {
            at,
            params,
            now: false,
            clients: HashMap::default(),
        }
    }

    /// A resolver answering as of `now`, the present: every event it is given is stored, so it has happened,
    /// even one stamped after `now` (its stamp's own error). No answer is [`Unknown::NearTime`].
    pub fn now(now: i64, params: Params) -> Resolver {
        Resolver {
            now: true,
            ..Resolver::new(now, params)
        }
    }

    pub fn at(&self) -> i64 {
        self.at
    }

    /// Whether this resolver answers about the present ([`Resolver::now`]).
    pub fn is_now(&self) -> bool {
        self.now
    }

    pub fn params(&self) -> Params {
        self.params
    }

    /// How many clients have been seen so far.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Take one event into account.
    pub fn add(&mut self, event: &Event<'_>) {
        let client = match self.clients.get_mut(event.client_id) {
            Some(c) => c,
            None => self.clients.entry(event.client_id.into()).or_default(),
        };
        client.events += 1;
        let (order, reason) = match event.what {
            What::ConnectFailed => {
                client.connect_failed += 1;
                return;
            }
            What::Connected { session, version } => (
                Order {
                    timestamp: event.timestamp,
                    version,
                    session,
                    disconnect: false,
                },
                None,
            ),
            What::Disconnected {
                session,
                version,
                reason,
            } => (
                Order {
                    timestamp: event.timestamp,
                    version,
                    session,
                    disconnect: true,
                },
                reason,
            ),
        };
        let error = self.params.timestamp_error_ms;
        let window = self.params.window_ms;
        let stamp = i128::from(event.timestamp);
        if self.now || stamp + i128::from(error) <= i128::from(self.at) {
            keep_latest(&mut client.latest, order, reason, window);
        } else if stamp - i128::from(error) > i128::from(self.at) {
            match &mut client.first_after {
                None => client.first_after = Some(Kept::new(order, reason)),
                Some(first) => {
                    if supersedes(order, first.order(), window) == Verdict::Supersedes {
                        first.set(order, reason);
                    }
                }
            }
        } else if !client.near.iter().any(|k| same_event(k.order(), order)) {
            client.near.push(Kept::new(order, reason));
        }
    }

    /// Every client's state, sorted by client ID.
    pub fn finish(self) -> Vec<Status> {
        let window = self.params.window_ms;
        let mut out: Vec<Status> = self
            .clients
            .into_iter()
            .map(|(id, c)| {
                let state = answer(&c, window);
                let guess = match state {
                    State::Unknown(_) => guess(&c, self.at, window),
                    _ => None,
                };
                Status {
                    client_id: id.into_string(),
                    events: c.events,
                    state,
                    guess,
                }
            })
            .collect();
        out.sort_unstable_by(|a, b| a.client_id.cmp(&b.client_id));
        out
    }
}

fn same_event(a: Order<'_>, b: Order<'_>) -> bool {
    a.session == b.session && a.version == b.version && a.disconnect == b.disconnect
}

/// Keep the maximal events: drop those the new one supersedes, unless one of them supersedes it.
fn keep_latest(latest: &mut Vec<Kept>, order: Order<'_>, reason: Option<&str>, window: i64) {
    if let [only] = latest.as_mut_slice() {
        match supersedes(only.order(), order, window) {
            Verdict::Supersedes => return only.set(order, reason),
            Verdict::Stale => return,
            Verdict::Ambiguous => {}
        }
    }
    if latest
        .iter()
        .any(|k| supersedes(k.order(), order, window) == Verdict::Stale)
    {
        return;
    }
    latest.retain(|k| supersedes(k.order(), order, window) != Verdict::Supersedes);
    if latest.len() < MAX_INCOMPARABLE {
        latest.push(Kept::new(order, reason));
    }
}

/// The best guess behind an `unknown` answer: the latest of the events stamped at or before T, as if each stamp
/// were exact. Asked now, that is every event read, and the guess is the state the status function holds. Among
/// connections nothing orders, the one stamped last.
fn guess(c: &Client, at: i64, window: i64) -> Option<Latest> {
    let mut best: Option<&Kept> = None;
    for k in c
        .latest
        .iter()
        .chain(c.near.iter().filter(|k| k.timestamp <= at))
    {
        best = match best {
            None => Some(k),
            Some(b) => match supersedes(b.order(), k.order(), window) {
                Verdict::Supersedes => Some(k),
                Verdict::Ambiguous if k.timestamp > b.timestamp => Some(k),
                _ => Some(b),
            },
        };
    }
    best.map(|k| Latest {
        disconnect: k.disconnect,
        since: k.timestamp,
        session: k.session.clone(),
        version: k.version,
        reason: k.reason.clone(),
    })
}

/// The state an event leaves behind, if it is the latest before T.
#[derive(Debug, Clone, Copy)]
enum Candidate<'a> {
    Nothing,
    Connected(&'a Kept),
    Disconnected(&'a Kept),
    TakenOver(&'a Kept),
}

impl<'a> Candidate<'a> {
    fn of(kept: Option<&'a Kept>) -> Candidate<'a> {
        match kept {
            None => Candidate::Nothing,
            Some(k) if !k.disconnect => Candidate::Connected(k),
            Some(k) if k.reason.as_deref() == Some(super::TAKEOVER_REASON) => {
                Candidate::TakenOver(k)
            }
            Some(k) => Candidate::Disconnected(k),
        }
    }

    fn same(self, other: Candidate<'_>) -> bool {
        let connection = |a: &Kept, b: &Kept| a.session == b.session && a.version == b.version;
        match (self, other) {
            (Candidate::Nothing, Candidate::Nothing) => true,
            (Candidate::Connected(a), Candidate::Connected(b))
            | (Candidate::Disconnected(a), Candidate::Disconnected(b))
            | (Candidate::TakenOver(a), Candidate::TakenOver(b)) => connection(a, b),
            _ => false,
        }
    }
}

fn answer(c: &Client, window: i64) -> State {
    if c.latest.len() > 1 {
        let versions: Vec<String> = c.latest.iter().map(|k| k.version.to_string()).collect();
        return State::Unknown(Unknown::Ambiguous {
            detail: format!(
                "{} connections with versionNumber {} stamped less than the window apart cannot be ordered",
                c.latest.len(),
                versions.join(", ")
            ),
        });
    }
    let latest = c.latest.first();
    let certain = Candidate::of(latest);
    // Each event near T may have happened before T, and then be the latest; unless it is older than the latest
    // certain event, or newer than an event certainly after T.
    let mut deciding: Option<&Kept> = None;
    for u in &c.near {
        let newer =
            latest.is_none_or(|l| supersedes(l.order(), u.order(), window) != Verdict::Stale);
        let before_after = c
            .first_after
            .as_ref()
            .is_none_or(|f| supersedes(u.order(), f.order(), window) != Verdict::Stale);
        if newer && before_after && !Candidate::of(Some(u)).same(certain) {
            // Of the events that would change the answer, report the earliest stamped.
            if deciding.is_none_or(|d| u.timestamp < d.timestamp) {
                deciding = Some(u);
            }
        }
    }
    if let Some(u) = deciding {
        return State::Unknown(Unknown::NearTime {
            timestamp: u.timestamp,
            disconnect: u.disconnect,
            session: u.session.clone(),
        });
    }
    match certain {
        Candidate::Nothing => State::Unknown(Unknown::NoData {
            connect_failed: c.connect_failed,
            later_events: c.first_after.is_some(),
        }),
        Candidate::Connected(k) => State::Connected {
            since: k.timestamp,
            session: k.session.clone(),
            version: k.version,
        },
        Candidate::Disconnected(k) => State::Disconnected {
            since: k.timestamp,
            session: k.session.clone(),
            version: k.version,
            reason: k.reason.clone(),
        },
        Candidate::TakenOver(k) => State::Unknown(Unknown::TakeoverPending {
            since: k.timestamp,
            session: k.session.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Params;

    const MIN: i64 = 60_000;

    fn o(timestamp: i64, version: u64, session: &str, disconnect: bool) -> Order<'_> {
        Order {
            timestamp,
            version,
            session,
            disconnect,
        }
    }

    #[test]
    fn a_disconnect_beats_its_own_connect_whatever_the_stamps() {
        let w = 20 * MIN;
        let connect = o(1_000, 3, "s", false);
        let disconnect = o(500, 3, "s", true);
        assert_eq!(supersedes(connect, disconnect, w), Verdict::Supersedes);
        assert_eq!(supersedes(disconnect, connect, w), Verdict::Stale);
        assert_eq!(supersedes(connect, connect, w), Verdict::Stale);
    }

    #[test]
    fn versions_order_inside_the_window_and_timestamps_outside() {
        let w = 20 * MIN;
        // A late-stamped disconnect of the previous connection loses to the reconnect.
        let old_disconnect = o(10 * MIN + 90_000, 3, "a", true);
        let reconnect = o(10 * MIN, 4, "b", false);
        assert_eq!(
            supersedes(reconnect, old_disconnect, w),
            Verdict::Stale,
            "the late disconnect is older"
        );
        assert_eq!(
            supersedes(old_disconnect, reconnect, w),
            Verdict::Supersedes
        );
        // After a long offline period the version resets: the timestamp decides.
        let after_reset = o(3 * 60 * MIN, 0, "c", false);
        assert_eq!(
            supersedes(old_disconnect, after_reset, w),
            Verdict::Supersedes
        );
        assert_eq!(supersedes(after_reset, old_disconnect, w), Verdict::Stale);
        assert_eq!(
            supersedes(o(0, 2, "x", false), o(1, 2, "y", false), w),
            Verdict::Ambiguous
        );
        assert_eq!(
            supersedes(o(i64::MIN, 0, "x", false), o(i64::MAX, 0, "y", false), w),
            Verdict::Supersedes,
            "no overflow"
        );
    }

    fn connected<'a>(client_id: &'a str, t: i64, session: &'a str, version: u64) -> Event<'a> {
        Event {
            client_id,
            timestamp: t,
            what: What::Connected { session, version },
        }
    }

    fn disconnected<'a>(
        client_id: &'a str,
        t: i64,
        session: &'a str,
        version: u64,
        reason: &'a str,
    ) -> Event<'a> {
        Event {
            client_id,
            timestamp: t,
            what: What::Disconnected {
                session,
                version,
                reason: Some(reason),
            },
        }
    }

    fn resolve(at: i64, events: &[Event<'_>]) -> Vec<Status> {
        let mut r = Resolver::new(at, Params::default());
        events.iter().for_each(|e| r.add(e));
        r.finish()
    }

    #[test]
    fn the_late_disconnect_of_the_previous_connection_does_not_win() {
        let events = [
            connected("d", 0, "a", 1),
            // Stamped after the reconnect, as the ±2 minute error allows.
            disconnected("d", 100 * MIN + 60_000, "a", 1, "CONNECTION_LOST"),
            connected("d", 100 * MIN, "b", 2),
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [1, 0, 2]] {
            let shuffled: Vec<Event> = order.iter().map(|&i| events[i]).collect();
            let got = resolve(200 * MIN, &shuffled);
            assert_eq!(
                got[0].state,
                State::Connected {
                    since: 100 * MIN,
                    session: "b".into(),
                    version: 2
                },
                "{order:?}"
            );
        }
    }

    #[test]
    fn a_session_up_for_days_is_connected() {
        let got = resolve(5 * 24 * 60 * MIN, &[connected("d", 0, "a", 7)]);
        assert!(matches!(got[0].state, State::Connected { since: 0, .. }));
    }

    #[test]
    fn a_takeover_waits_for_the_new_connection() {
        let kicked = disconnected("d", 10 * MIN, "a", 1, "DUPLICATE_CLIENTID");
        let got = resolve(20 * MIN, &[connected("d", 0, "a", 1), kicked]);
        assert!(matches!(
            got[0].state,
            State::Unknown(Unknown::TakeoverPending { .. })
        ));
        let got = resolve(
            20 * MIN,
            &[
                kicked,
                connected("d", 10 * MIN - 5, "b", 2),
                connected("d", 0, "a", 1),
            ],
        );
        assert!(
            matches!(&got[0].state, State::Connected { session, .. } if session == "b"),
            "{got:?}"
        );
    }

    #[test]
    fn an_event_within_the_error_of_t_that_changes_the_answer_is_unknown() {
        let events = [
            connected("d", 0, "a", 1),
            disconnected("d", 10 * MIN, "a", 1, "CLIENT_INITIATED_DISCONNECT"),
        ];
        let got = resolve(10 * MIN + 60_000, &events);
        assert!(matches!(
            got[0].state,
            State::Unknown(Unknown::NearTime {
                disconnect: true,
                ..
            })
        ));
        // Past the error it is certain.
        let got = resolve(12 * MIN, &events);
        assert!(matches!(got[0].state, State::Disconnected { .. }));
        // A reconnect near T changes the session: unknown too.
        let got = resolve(
            10 * MIN + 60_000,
            &[connected("d", 0, "a", 1), connected("d", 10 * MIN, "b", 2)],
        );
        assert!(matches!(
            got[0].state,
            State::Unknown(Unknown::NearTime { .. })
        ));
        // A near event that changes nothing (the late disconnect of the previous connection) leaves it alone.
        let got = resolve(
            10 * MIN + 60_000,
            &[
                connected("d", 0, "a", 1),
                connected("d", 5 * MIN, "b", 2),
                disconnected("d", 10 * MIN, "a", 1, "CONNECTION_LOST"),
            ],
        );
        assert!(
            matches!(&got[0].state, State::Connected { session, .. } if session == "b"),
            "{got:?}"
        );
    }

    /// Every order of `events`: a few events, so all permutations.
    fn permutations<'a>(events: &[Event<'a>]) -> Vec<Vec<Event<'a>>> {
        if events.len() <= 1 {
            return vec![events.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..events.len() {
            let mut rest = events.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first);
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn asked_now_the_freshest_changes_are_answered_in_every_order() {
        let now = 100 * MIN;
        let cases: [(&str, Vec<Event>, State); 5] = [
            (
                "a connect 30 seconds ago",
                vec![
                    connected("d", 0, "a", 1),
                    disconnected("d", 50 * MIN, "a", 1, "CONNECTION_LOST"),
                    connected("d", now - 30_000, "b", 2),
                ],
                State::Connected {
                    since: now - 30_000,
                    session: "b".into(),
                    version: 2,
                },
            ),
            (
                "a disconnect a minute ago",
                vec![
                    connected("d", 0, "a", 1),
                    disconnected("d", now - MIN, "a", 1, "CLIENT_INITIATED_DISCONNECT"),
                ],
                State::Disconnected {
                    since: now - MIN,
                    session: "a".into(),
                    version: 1,
                    reason: Some("CLIENT_INITIATED_DISCONNECT".into()),
                },
            ),
            (
                "a takeover 40 seconds ago",
                vec![
                    connected("d", 0, "a", 1),
                    disconnected("d", now - 40_000, "a", 1, "DUPLICATE_CLIENTID"),
                    connected("d", now - 40_003, "b", 2),
                ],
                State::Connected {
                    since: now - 40_003,
                    session: "b".into(),
                    version: 2,
                },
            ),
            (
                "a reconnect whose old disconnect was stamped late",
                vec![
                    connected("d", 0, "a", 1),
                    connected("d", now - 20_000, "b", 2),
                    disconnected("d", now - 5_000, "a", 1, "CONNECTION_LOST"),
                ],
                State::Connected {
                    since: now - 20_000,
                    session: "b".into(),
                    version: 2,
                },
            ),
            (
                "a connect stamped after now (its stamp's error)",
                vec![
                    connected("d", 0, "a", 1),
                    disconnected("d", now - 2 * MIN, "a", 1, "CONNECTION_LOST"),
                    connected("d", now + 50_000, "b", 2),
                ],
                State::Connected {
                    since: now + 50_000,
                    session: "b".into(),
                    version: 2,
                },
            ),
        ];
        for (what, events, want) in cases {
            for order in permutations(&events) {
                let mut r = Resolver::now(now, Params::default());
                order.iter().for_each(|e| r.add(e));
                let got = r.finish();
                assert_eq!(got[0].state, want, "{what}: {order:?}");
                assert_eq!(got[0].guess, None, "a known answer needs no guess");
            }
            // The same question about the past (an --at a few seconds ago) cannot tell yet.
            let mut r = Resolver::new(now, Params::default());
            events.iter().for_each(|e| r.add(e));
            let got = r.finish();
            assert!(
                matches!(got[0].state, State::Unknown(Unknown::NearTime { .. })),
                "{what}: {got:?}"
            );
            assert!(got[0].guess.is_some(), "{what}: the best guess is shown");
        }
    }

    #[test]
    fn events_certainly_after_t_rule_out_near_events_they_precede() {
        // The disconnect near T is of a connection whose connect is certainly after T.
        let got = resolve(
            10 * MIN,
            &[
                connected("d", 0, "a", 1),
                connected("d", 10 * MIN + 3 * MIN, "b", 2),
                disconnected("d", 10 * MIN + 60_000, "b", 2, "CONNECTION_LOST"),
            ],
        );
        assert!(
            matches!(&got[0].state, State::Connected { session, .. } if session == "a"),
            "{got:?}"
        );
    }

    #[test]
    fn connect_failed_is_never_a_connection_and_no_data_is_unknown() {
        let failed = Event {
            client_id: "d",
            timestamp: 0,
            what: What::ConnectFailed,
        };
        let got = resolve(MIN * 10, &[failed, connected("e", 20 * MIN, "a", 0)]);
        assert_eq!(
            got[0].state,
            State::Unknown(Unknown::NoData {
                connect_failed: 1,
                later_events: false
            })
        );
        assert_eq!(
            got[1].state,
            State::Unknown(Unknown::NoData {
                connect_failed: 0,
                later_events: true
            })
        );
    }

    #[test]
    fn connections_nothing_can_order_are_ambiguous() {
        let got = resolve(
            60 * MIN,
            &[connected("d", 0, "a", 1), connected("d", 60_000, "b", 1)],
        );
        assert!(matches!(
            got[0].state,
            State::Unknown(Unknown::Ambiguous { .. })
        ));
    }
}
