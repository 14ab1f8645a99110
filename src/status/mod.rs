//! Is this device connected now? The answer, per client, from the lifecycle events a pipeline's table holds:
//! `connected` (since when, which session), `disconnected` (since when, why), or `unknown` with the reason.
//!
//! The pieces: [`Fields`] (the model's) says where a pipeline's rule puts each event field in the item; [`items`] streams
//! items out of `aws dynamodb scan`/`query` output or `simulate` JSON lines; [`resolve`] holds the ordering rule
//! ([`supersedes`]) and the fold ([`Resolver`]). The library never touches the disk: the reader takes any
//! [`std::io::BufRead`].
//!
//! # The rules
//!
//! The events of one client are reduced to the *latest* one that happened before T; its kind is the answer (a
//! connect: connected; a disconnect: disconnected). "Latest" is this order, [`supersedes`]:
//!
//! 1. **Pair a connection's events by (`sessionIdentifier`, `versionNumber`).** A disconnect beats the connect of
//!    its own connection, whatever order they arrive in and whatever their timestamps say.
//! 2. **Different connections stamped less than the window apart are ordered by `versionNumber`.**
//! 3. **Different connections stamped the window or more apart are ordered by `timestamp`.**
//! 4. **`connect_failed` is never a connection**: it is counted and otherwise ignored.
//!
//! Which events count depends on the question.
//!
//! - **Now** ([`Resolver::now`]): every event in the input is stored, and an event is stored only after it
//!   happened. So every one of them happened before T, whatever its stamp says: one stamped a minute after T is
//!   that stamp's own error. All of them are folded, and no answer is near-time. This is the read-time fact the
//!   status function relies on too, which is why the two agree.
//! - **A time in the past** ([`Resolver::new`], `--at` before now), with the timestamp error E: the table may hold
//!   events of later times, so an event stamped at most T − E happened before T; one stamped after T + E happened
//!   after T; one stamped in between may be on either side of T. If one of those *near* events, placed before T,
//!   would change the answer (and is newer than the latest certain event, and older than the earliest event
//!   certainly after T), the answer is [`Unknown::NearTime`].
//!
//! Then:
//! - a disconnect with `disconnectReason: DUPLICATE_CLIENTID` as the latest event means another connection took
//!   the client ID over, and its connect is not stored (yet): [`Unknown::TakeoverPending`]. When it is stored,
//!   its higher `versionNumber` makes it the latest and the answer is `connected`, with the new session.
//! - no connect or disconnect stamped before T: [`Unknown::NoData`].
//! - two connections with the same `versionNumber` stamped less than the window apart: [`Unknown::Ambiguous`].
//!   The documented facts rule it out; data that breaks them gets this answer rather than a guess.
//!
//! # Why it is right
//!
//! Take the facts of `AWS-FACTS.md`: one connection per client ID at a time; `versionNumber` is shared by a
//! connection's connect and disconnect, grows from one connection to the next, and only goes back (to 0) after
//! about an hour with no connection (or when a persistent session expires, which is an hour or more); every
//! `timestamp` is within E of the true time. Call the true order of a client's connections "earlier".
//!
//! - Rule 1 is the definition of a connection: its disconnect happens after its connect.
//! - Rule 3: two events stamped W or more apart, with W > 2E, happened in the order of their stamps, because each
//!   stamp is off by at most E.
//! - Rule 2: let connection A be earlier than B, and a, b any of their events. A version reset between them needs
//!   an hour or more from A's end to B's start, and that lies inside [true time of a, true time of b], which is at
//!   most |stamp(a) − stamp(b)| + 2E < W + 2E. With W + 2E under an hour, no reset happened, so B's version is the
//!   higher: versions give the true order.
//! - So under the facts, [`supersedes`] *is* the true order: a total order, and the fold keeps its maximum
//!   whatever order the events arrive in and however often each one is repeated.
//! - A takeover: the new connection's connect and the old one's `DUPLICATE_CLIENTID` disconnect are nearly
//!   simultaneous, in either order. The new version is higher, so the new connection is the latest either way.
//! - As of T: the events certainly before T are the right ones to fold, and the near ones are tried both ways.
//!   Every answer that is not `unknown` is one all of the possible placements agree on.
//!
//! The property tests (`tests/it/status.rs`) check this against generated true histories with takeovers,
//! keep-alive timeouts, version resets and reconnect storms, delivered with redeliveries, reordering and
//! timestamps off by up to ±E: every `connected` and `disconnected` equals the truth, and every `unknown` is one of
//! the cases above. Asked now, with every event of a client that has happened stored, the answer is the truth
//! exactly, in every delivery order, however recent the last change (`unknown` is then only a takeover whose new
//! connect has not happened, or a client that never connected); and the status function, run against moto on
//! the same histories, holds the same state for every client (`tests/status_function/test_handler.py`).
//!
//! # The defaults
//!
//! - **E, [`DEFAULT_TIMESTAMP_ERROR_MS`] = 2 minutes**: the bound the 2022 lifecycle-events page gave (the current
//!   page only says "an approximation").
//! - **W, [`DEFAULT_WINDOW_MS`] = 20 minutes**: it must exceed 2E (4 minutes) and stay under the shortest offline
//!   period that resets the version, less 2E (an hour less 4 minutes). 20 minutes keeps the rules right if the real
//!   error is up to 10 minutes, five times the documented bound, or if the version resets after as little as
//!   24 minutes offline. [`Params::new`] refuses a window of 2E or less.
//!
//! # What remains uncertain
//!
//! - **Events not stored yet.** The answer is as of the events in the input. An event that happened just before T
//!   but reached the table after the scan (or was still in flight in IoT) is not seen: the answer is then the
//!   state before it. AWS's own advice is to wait a few seconds before acting on a disconnect and to check again.
//! - **Dead devices.** `connected` is the broker's view. A device that lost power stays connected until the broker
//!   misses 1.5 keep-alive periods (up to 30 minutes); the `MQTT_KEEP_ALIVE_TIMEOUT` disconnect is stamped when
//!   the broker noticed, not when the device went quiet.
//! - **Times are approximate.** `since` is an event's own `timestamp`, so it is off by up to E too.
//! - **Lost events.** A disconnect that never reached the table (the rule's error action caught it, a TTL removed
//!   it, or the table's key design overwrote it: the default `timestamp` sort key keeps one of two events stamped
//!   in the same millisecond) leaves the previous connect as the latest event: `connected`, wrongly.
//! - **The facts themselves.** If AWS ever reset `versionNumber` sooner than W + 2E after a disconnect, or
//!   reused a version for a new session within W, rule 2 could order two connections wrongly. Equal versions are
//!   caught ([`Unknown::Ambiguous`]); a reset to a *lower* version within W is not detectable.

pub mod items;
pub mod plain;
pub mod report;
pub mod resolve;

pub use crate::events::TAKEOVER_REASON;
pub use crate::model::{DEFAULT_WINDOW_MS, FieldError, Fields, Place};
pub use items::{Problem, Read, Totals, read};
pub use resolve::{Event, Order, Resolver, Verdict, What, supersedes};

/// The default timestamp error E: 2 minutes (see the module docs).
pub const DEFAULT_TIMESTAMP_ERROR_MS: i64 = 2 * 60 * 1000;

/// The two parameters of the resolver, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Connections stamped less than this apart are ordered by `versionNumber`, others by `timestamp`.
    pub window_ms: i64,
    /// How far an event's `timestamp` may be from the time it happened.
    pub timestamp_error_ms: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window_ms: DEFAULT_WINDOW_MS,
            timestamp_error_ms: DEFAULT_TIMESTAMP_ERROR_MS,
        }
    }
}

/// Parameters for which the argument of the module docs does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("the timestamp error must be 0 or more milliseconds, not {0}")]
    NegativeError(i64),
    #[error(
        "the window ({window_ms} ms) must be more than twice the timestamp error ({timestamp_error_ms} ms): \
         outside the window, timestamps alone must order events"
    )]
    WindowTooShort {
        window_ms: i64,
        timestamp_error_ms: i64,
    },
    #[error(
        "the window ({window_ms} ms) plus twice the timestamp error must stay under an hour, the offline time after \
         which versionNumber resets"
    )]
    WindowTooLong { window_ms: i64 },
}

impl Params {
    /// Checked parameters: `2 × error < window` and `window + 2 × error < 1 hour`.
    pub fn new(window_ms: i64, timestamp_error_ms: i64) -> Result<Params, ParamsError> {
        if timestamp_error_ms < 0 {
            return Err(ParamsError::NegativeError(timestamp_error_ms));
        }
        let twice = i128::from(timestamp_error_ms) * 2;
        if i128::from(window_ms) <= twice {
            return Err(ParamsError::WindowTooShort {
                window_ms,
                timestamp_error_ms,
            });
        }
        if i128::from(window_ms) + twice >= 3_600_000 {
            return Err(ParamsError::WindowTooLong { window_ms });
        }
        Ok(Params {
            window_ms,
            timestamp_error_ms,
        })
    }
}

/// One client's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub client_id: String,
    pub state: State,
    /// How many events of this client were read (duplicates included).
    pub events: u64,
    /// For an `unknown` answer, what is still known: the latest event stamped at or before T, taking every stamp
    /// as exact. A best guess, shown as one; `None` for a known answer and when no such event exists.
    pub guess: Option<Latest>,
}

/// The latest connect or disconnect of a client, as a best guess behind an `unknown` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    /// A disconnect (else a connect).
    pub disconnect: bool,
    /// The event's `timestamp`.
    pub since: i64,
    pub session: String,
    pub version: u64,
    pub reason: Option<String>,
}

impl Latest {
    /// `connected` or `disconnected`.
    pub fn state_name(&self) -> &'static str {
        if self.disconnect {
            "disconnected"
        } else {
            "connected"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The latest event before T is the connect of this connection.
    Connected {
        since: i64,
        session: String,
        version: u64,
    },
    /// The latest event before T is the disconnect of this connection.
    Disconnected {
        since: i64,
        session: String,
        version: u64,
        reason: Option<String>,
    },
    Unknown(Unknown),
}

/// Why the events cannot tell. Asked now, only [`Unknown::NoData`], [`Unknown::Ambiguous`] and
/// [`Unknown::TakeoverPending`] occur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// No connect or disconnect is stamped before T.
    NoData {
        /// `connect_failed` events seen: the client tried.
        connect_failed: u64,
        /// Whether the client has events stamped after T.
        later_events: bool,
    },
    /// Connections that nothing orders (the same `versionNumber` within the window).
    Ambiguous { detail: String },
    /// The latest event is a `DUPLICATE_CLIENTID` disconnect: another connection took over, and its connect is
    /// not in the input.
    TakeoverPending { since: i64, session: String },
    /// An event stamped within the timestamp error of T would change the answer if it happened before T.
    NearTime {
        timestamp: i64,
        disconnect: bool,
        session: String,
    },
}

impl State {
    /// `connected`, `disconnected` or `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            State::Connected { .. } => "connected",
            State::Disconnected { .. } => "disconnected",
            State::Unknown(_) => "unknown",
        }
    }
}

impl Unknown {
    /// A short name for the reason: `no-data`, `ambiguous`, `takeover-pending`, `near-time`.
    pub fn name(&self) -> &'static str {
        match self {
            Unknown::NoData { .. } => "no-data",
            Unknown::Ambiguous { .. } => "ambiguous",
            Unknown::TakeoverPending { .. } => "takeover-pending",
            Unknown::NearTime { .. } => "near-time",
        }
    }
}
