//! The answers as text: one JSON object per client, or a table for people; the counts for the summary line.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::{State, Status, Unknown};

/// One client's answer as a JSON object: `clientId`, `state` and what goes with the state.
pub fn json(status: &Status, at: i64) -> Value {
    serde_json::to_value(Answer::of(status, at)).unwrap_or(Value::Null)
}

/// [`json`], written straight to `out` as one line without the newline: the fields are borrowed from the
/// status, so a fleet of a few hundred thousand clients costs no map and no copy per client.
pub fn write_json(
    out: &mut impl std::io::Write,
    status: &Status,
    at: i64,
) -> serde_json::Result<()> {
    serde_json::to_writer(out, &Answer::of(status, at))
}

/// The fields of one answer, in the order they are written; a state leaves out what it does not have.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    client_id: &'a str,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    for_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_identifier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_number: Option<u64>,
    /// Present on every disconnect, `null` when the event named no reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    disconnect_reason: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    /// An `unknown` answer's best guess: the latest event, as if every stamp were exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    best_guess: Option<Guess<'a>>,
    events: u64,
}

/// The best guess of an `unknown` answer, marked as one by its own object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Guess<'a> {
    state: &'static str,
    since: i64,
    since_time: String,
    for_ms: i64,
    session_identifier: &'a str,
    version_number: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    disconnect_reason: Option<Option<&'a str>>,
}

impl<'a> Answer<'a> {
    fn of(status: &'a Status, at: i64) -> Answer<'a> {
        let mut a = Answer {
            client_id: &status.client_id,
            state: status.state.name(),
            why: None,
            detail: None,
            since: None,
            since_time: None,
            for_ms: None,
            session_identifier: None,
            version_number: None,
            disconnect_reason: None,
            timestamp: None,
            best_guess: None,
            events: status.events,
        };
        let since = |a: &mut Answer<'a>, since: i64| {
            a.since = Some(since);
            a.since_time = Some(iso(since));
            a.for_ms = Some(at.saturating_sub(since).max(0));
        };
        match &status.state {
            State::Connected {
                since: t,
                session,
                version,
            } => {
                since(&mut a, *t);
                a.session_identifier = Some(session);
                a.version_number = Some(*version);
            }
            State::Disconnected {
                since: t,
                session,
                version,
                reason,
            } => {
                since(&mut a, *t);
                a.session_identifier = Some(session);
                a.version_number = Some(*version);
                a.disconnect_reason = Some(reason.as_deref());
            }
            State::Unknown(why) => {
                a.why = Some(why.name());
                a.detail = Some(detail(why));
                match why {
                    Unknown::TakeoverPending { since, session } => {
                        a.since = Some(*since);
                        a.session_identifier = Some(session);
                    }
                    Unknown::NearTime { timestamp, .. } => a.timestamp = Some(*timestamp),
                    Unknown::NoData { .. } | Unknown::Ambiguous { .. } => {}
                }
                a.best_guess = status.guess.as_ref().map(|g| Guess {
                    state: g.state_name(),
                    since: g.since,
                    since_time: iso(g.since),
                    for_ms: at.saturating_sub(g.since).max(0),
                    session_identifier: &g.session,
                    version_number: g.version,
                    disconnect_reason: g.disconnect.then_some(g.reason.as_deref()),
                });
            }
        }
        a
    }
}

/// Why the answer is unknown, in a sentence.
pub fn detail(why: &Unknown) -> String {
    match why {
        Unknown::NoData {
            connect_failed,
            later_events,
        } => {
            let mut s = "no connect or disconnect stamped before this time".to_owned();
            if *connect_failed > 0 {
                let _ = write!(s, "; {connect_failed} connect_failed (never a connection)");
            }
            if *later_events {
                s.push_str("; only later events");
            }
            s
        }
        Unknown::Ambiguous { detail } => detail.clone(),
        Unknown::TakeoverPending { since, .. } => format!(
            "DUPLICATE_CLIENTID at {}: another connection took the client ID over, and its connect is not in the items (yet)",
            iso(*since)
        ),
        Unknown::NearTime {
            timestamp,
            disconnect,
            ..
        } => format!(
            "a {} stamped {}, within the timestamp error of this time, would change the answer",
            if *disconnect { "disconnect" } else { "connect" },
            iso(*timestamp)
        ),
    }
}

/// Epoch milliseconds as UTC ISO 8601 with milliseconds, `2023-01-03T10:49:09.382Z`.
pub fn iso(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Written digit by digit: `format!` cost more than the rest of a client's answer.
    let mut out = String::with_capacity(24);
    push_digits(&mut out, year, 4);
    out.push('-');
    push_digits(&mut out, month, 2);
    out.push('-');
    push_digits(&mut out, day, 2);
    out.push('T');
    push_digits(&mut out, rest / 3_600_000, 2);
    out.push(':');
    push_digits(&mut out, rest / 60_000 % 60, 2);
    out.push(':');
    push_digits(&mut out, rest / 1000 % 60, 2);
    out.push('.');
    push_digits(&mut out, rest % 1000, 3);
    out.push('Z');
    out
}

/// `n` in decimal with at least `width` digits, zero-padded.
fn push_digits(out: &mut String, n: i64, width: u32) {
    if !(0..10_i64.pow(width)).contains(&n) {
        // Years outside 0..=9999 (epoch milliseconds far from now): the general path.
        let _ = write!(out, "{n:0width$}", width = width as usize);
        return;
    }
    for place in (0..width).rev() {
        let digit = n / 10_i64.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// A duration for people: `4d 3h`, `2h 5m`, `3m 12s`, `8s`, `350ms`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    let (d, h, m, s) = (
        ms / 86_400_000,
        ms / 3_600_000 % 24,
        ms / 60_000 % 60,
        ms / 1000 % 60,
    );
    match () {
        () if d > 0 => format!("{d}d {h}h"),
        () if h > 0 => format!("{h}h {m}m"),
        () if m > 0 => format!("{m}m {s}s"),
        () if s > 0 => format!("{s}s"),
        () => format!("{ms}ms"),
    }
}

/// The columns of the table: client, state, since, for how long, session, reason. An `unknown` row shows its
/// best guess with `~` before each guessed cell, or `-` when nothing is known.
pub fn row(status: &Status, at: i64) -> [String; 6] {
    let client = status.client_id.clone();
    let state = status.state.name().to_owned();
    match &status.state {
        State::Connected { since, session, .. } => [
            client,
            state,
            iso(*since),
            duration(at.saturating_sub(*since)),
            session.clone(),
            String::new(),
        ],
        State::Disconnected {
            since,
            session,
            reason,
            ..
        } => [
            client,
            state,
            iso(*since),
            duration(at.saturating_sub(*since)),
            session.clone(),
            reason.clone().unwrap_or_default(),
        ],
        State::Unknown(why) => {
            let why = format!("{}: {}", why.name(), detail(why));
            match &status.guess {
                // What is still known, marked: `~` before each guessed cell, and the guess named in the reason.
                Some(g) => [
                    client,
                    state,
                    format!("~{}", iso(g.since)),
                    format!("~{}", duration(at.saturating_sub(g.since))),
                    format!("~{}", g.session),
                    format!(
                        "{why}; best guess: {}{}",
                        g.state_name(),
                        match (&g.reason, g.disconnect) {
                            (Some(r), true) => format!(" ({r})"),
                            _ => String::new(),
                        }
                    ),
                ],
                None => [client, state, "-".into(), "-".into(), "-".into(), why],
            }
        }
    }
}

pub const HEADER: [&str; 6] = ["CLIENT", "STATE", "SINCE", "FOR", "SESSION", "REASON"];

/// The table, columns padded to their widest cell (`aligned`), or separated by tabs.
pub fn table(statuses: &[Status], at: i64, aligned: bool) -> String {
    let rows: Vec<[String; 6]> = statuses.iter().map(|s| row(s, at)).collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    if aligned {
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header = HEADER.map(str::to_owned);
    for r in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i > 0 {
                line.push_str(if aligned { "  " } else { "\t" });
            }
            line.push_str(cell);
            if aligned && i + 1 < r.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// How many clients are in each state, and why the unknown ones are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub connected: u64,
    pub disconnected: u64,
    pub unknown: u64,
    pub no_data: u64,
    pub ambiguous: u64,
    pub takeover_pending: u64,
    pub near_time: u64,
}

impl Counts {
    pub fn of(statuses: &[Status]) -> Counts {
        let mut c = Counts::default();
        for s in statuses {
            match &s.state {
                State::Connected { .. } => c.connected += 1,
                State::Disconnected { .. } => c.disconnected += 1,
                State::Unknown(why) => {
                    c.unknown += 1;
                    match why {
                        Unknown::NoData { .. } => c.no_data += 1,
                        Unknown::Ambiguous { .. } => c.ambiguous += 1,
                        Unknown::TakeoverPending { .. } => c.takeover_pending += 1,
                        Unknown::NearTime { .. } => c.near_time += 1,
                    }
                }
            }
        }
        c
    }

    /// `3 clients: 1 connected, 1 disconnected, 1 unknown (1 takeover-pending)`.
    pub fn line(&self) -> String {
        let total = self.connected + self.disconnected + self.unknown;
        let mut s = format!(
            "{total} client{}: {} connected, {} disconnected, {} unknown",
            if total == 1 { "" } else { "s" },
            self.connected,
            self.disconnected,
            self.unknown
        );
        let reasons: Vec<String> = [
            (self.near_time, "near-time"),
            (self.takeover_pending, "takeover-pending"),
            (self.no_data, "no-data"),
            (self.ambiguous, "ambiguous"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
        if !reasons.is_empty() {
            let _ = write!(s, " ({})", reasons.join(", "));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_672_742_949_382), "2023-01-03T10:49:09.382Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso(253_402_300_800_000), "10000-01-01T00:00:00.000Z");
        assert_eq!(iso(-62_135_596_800_001), "0000-12-31T23:59:59.999Z");
        assert_eq!(iso(-62_167_219_200_001), "-001-12-31T23:59:59.999Z");
        let _ = iso(i64::MIN);
        let _ = iso(i64::MAX);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(350), "350ms");
        assert_eq!(duration(192_000), "3m 12s");
        assert_eq!(duration(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
        assert_eq!(duration(-5), "0ms");
    }

    #[test]
    fn tables_align_and_tabs_separate() {
        let s = [Status {
            client_id: "d1".into(),
            state: State::Connected {
                since: 0,
                session: "s".into(),
                version: 1,
            },
            events: 1,
            guess: None,
        }];
        assert_eq!(
            table(&s, 60_000, true),
            "CLIENT  STATE      SINCE                     FOR    SESSION  REASON\n\
             d1      connected  1970-01-01T00:00:00.000Z  1m 0s  s\n"
        );
        assert_eq!(
            table(&s, 60_000, false).lines().nth(1),
            Some("d1\tconnected\t1970-01-01T00:00:00.000Z\t1m 0s\ts")
        );
    }
}
