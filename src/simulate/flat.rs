//! The fast path of `simulate`: an event line that is a bare lifecycle payload of scalar fields, run through
//! rules of the flat shape ([`sql::eval::FlatProgram`]), straight from the text of the line to the output lines,
//! with no `serde_json::Value` and no allocation per event. Anything else (an envelope, a nested or escaped
//! value, a number serde_json would not keep as an `i64`, a rule of another shape, a write that would fail) is
//! left to [`Simulator::run`], untouched: the tests below hold the two paths to the same bytes and summary.

use std::io::Write as _;

use super::{Digits, Rule, Simulator, fingerprint_text, first_special, write_str};
use crate::events::EventKind;
use crate::model::KeyType;
use crate::sql::{self, eval::Scalar, eval::Slot};

/// A payload's top-level fields, borrowed from its line.
type Fields<'a> = Vec<(&'a str, Scalar<'a>)>;
/// A rule's result object, borrowed from the line and the rule.
type Slots<'a> = Vec<(&'a str, Slot<'a>)>;

/// The buffers of the fast path, kept from one event to the next so that it allocates once.
#[derive(Default)]
pub(super) struct Scratch {
    fields: Fields<'static>,
    slots: Slots<'static>,
    built: String,
    topic: String,
    /// Per matching rule, in order: its index and, when it wrote, the fingerprints of its key and item.
    outcomes: Vec<(usize, Option<(u64, u64)>)>,
}

/// `v` emptied, as a vector of another lifetime on the same allocation: the standard library collects a mapped
/// `into_iter` in place when the element layouts are the same, which they are (only lifetimes differ).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

impl Simulator<'_> {
    /// Runs one event given as the text of its JSON line (trimmed), appending to `out` the lines
    /// [`super::write_line`] writes for it, numbered `index`. Returns false, having changed nothing, when the
    /// event or a rule it reaches is not of the flat shape; the caller then parses the line and calls
    /// [`Simulator::run`].
    pub fn run_text(&mut self, text: &str, index: u64, out: &mut Vec<u8>) -> bool {
        if !self.any_flat {
            return false;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut fields = recycle(std::mem::take(&mut scratch.fields));
        let mut slots = recycle(std::mem::take(&mut scratch.slots));
        let start = out.len();
        let done = parse(text, &mut fields)
            && run_fields(&self.rules, &fields, &mut slots, &mut scratch, index, out);
        if done {
            self.summary.events += 1;
            if scratch.outcomes.is_empty() {
                self.summary.unmatched += 1;
            }
            for &(i, written) in &scratch.outcomes {
                let Some((key, item)) = written else {
                    self.summary.filtered += 1;
                    continue;
                };
                self.summary.written += 1;
                match self.seen[i].insert(key, item) {
                    None => {}
                    Some(earlier) if earlier == item => self.summary.identical_duplicates += 1,
                    Some(_) => self.summary.overwritten += 1,
                }
            }
        } else {
            out.truncate(start);
        }
        scratch.fields = recycle(fields);
        scratch.slots = recycle(slots);
        self.scratch = scratch;
        done
    }
}

/// Everything but the summary and the ledger, which the caller updates once the whole event went this way.
fn run_fields<'a>(
    rules: &'a [Rule<'_>],
    fields: &[(&'a str, Scalar<'a>)],
    slots: &mut Slots<'a>,
    scratch: &mut Scratch,
    index: u64,
    out: &mut Vec<u8>,
) -> bool {
    scratch.outcomes.clear();
    // What `Event::from_json` takes for a bare lifecycle payload; a possible envelope goes the general way.
    if fields.iter().any(|(k, _)| *k == "topic" || *k == "payload") {
        return false;
    }
    let get = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|&(_, v)| v)
    };
    let Some(Scalar::Str(kind)) = get("eventType") else {
        return false;
    };
    let Some(kind) = EventKind::from_name(kind) else {
        return false;
    };
    let Some(Scalar::Str(client)) = get("clientId").filter(|c| *c != Scalar::Str("")) else {
        return false;
    };
    scratch.topic.clear();
    for (i, rule) in rules.iter().enumerate() {
        let matches = match rule.routes[kind as usize] {
            Some(known) if !client.contains(['+', '#']) => known,
            _ => {
                if scratch.topic.is_empty() {
                    kind.write_topic(client, &mut scratch.topic);
                }
                rule.statement
                    .topic_filter()
                    .is_some_and(|f| sql::topic_matches(f, &scratch.topic))
            }
        };
        if !matches {
            continue;
        }
        let Some(flat) = &rule.flat else {
            return false;
        };
        if !flat.run(fields, slots, &mut scratch.built) {
            scratch.outcomes.push((i, None));
            write_head(out, index, rule.name, rule.plain);
            out.extend_from_slice(b",\"outcome\":\"filtered\"}\n");
            continue;
        }
        let built = scratch.built.as_str();
        for k in &rule.keys {
            // A write that fails (a key missing, empty or of the wrong type) goes the general way, which
            // words the error.
            let Some(&(_, value)) = slots.iter().find(|(name, _)| *name == k.name) else {
                return false;
            };
            let ty = match value {
                Slot::Built(a, b) if a < b => "S",
                Slot::Scalar(Scalar::Str(s)) if !s.is_empty() => "S",
                Slot::Scalar(Scalar::Int(_)) => "N",
                _ => return false,
            };
            if ty != k.ty.as_str() || k.ty == KeyType::B {
                return false;
            }
        }
        let plain = rule.plain;
        write_head(out, index, rule.name, plain);
        out.extend_from_slice(b",\"outcome\":\"written\",\"key\":");
        let start = out.len();
        out.push(b'{');
        for (n, k) in rule.keys.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            if let Some(&(_, value)) = slots.iter().find(|(name, _)| *name == k.name) {
                write_entry(out, &k.name, value, built, plain);
            }
        }
        out.push(b'}');
        let key = fingerprint_text(&out[start..]);
        out.extend_from_slice(b",\"item\":");
        let start = out.len();
        out.push(b'{');
        for (n, &(name, value)) in slots.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_entry(out, name, value, built, plain);
        }
        out.push(b'}');
        let item = fingerprint_text(&out[start..]);
        out.extend_from_slice(b"}\n");
        scratch.outcomes.push((i, Some((key, item))));
    }
    true
}

/// Whether `filter` takes every topic of `kind` (`Some(true)`), none (`Some(false)`), or it depends on the client
/// ID (`None`). A filter whose levels end before the client's, or reach it with `#`, never looks at it; that holds
/// for a client ID that is not empty and has no `+` or `#` (with which a topic matches no filter).
pub(super) fn client_blind(filter: Option<&str>, kind: EventKind) -> Option<bool> {
    let Some(filter) = filter else {
        return Some(false);
    };
    let client_level = kind.topic("").matches('/').count();
    match filter.split('/').nth(client_level) {
        None | Some("#") => Some(sql::topic_matches(filter, &kind.topic("c"))),
        Some(_) => None,
    }
}

fn write_head(out: &mut Vec<u8>, index: u64, pipeline: &str, plain: bool) {
    out.extend_from_slice(b"{\"index\":");
    out.extend_from_slice(Digits::of_u64(index).as_bytes());
    out.extend_from_slice(b",\"pipeline\":");
    write_text(out, pipeline, plain);
}

/// A string as `write_str` writes it; `plain` says that no byte of it needs an escape, known beforehand.
fn write_text(out: &mut Vec<u8>, s: &str, plain: bool) {
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = write_str(out, s);
    }
}

/// One `"name":{"S":...}` of a key or an item, the bytes `super::write_av_map` writes for the same value.
/// `plain`: no string of the rule needs an escape (and those of the line never do).
fn write_entry(out: &mut Vec<u8>, name: &str, value: Slot<'_>, built: &str, plain: bool) {
    write_text(out, name, plain);
    match value {
        Slot::Built(a, b) => {
            out.extend_from_slice(b":{\"S\":");
            write_text(out, &built[a..b], plain);
        }
        // A string of the line or a literal of the rule: `plain` covers both.
        Slot::Scalar(Scalar::Str(s)) => {
            out.extend_from_slice(b":{\"S\":");
            write_text(out, s, plain);
        }
        Slot::Scalar(Scalar::Int(i)) => {
            out.extend_from_slice(b":{\"N\":\"");
            if i < 0 {
                out.push(b'-');
            }
            out.extend_from_slice(Digits::of_u64(i.unsigned_abs()).as_bytes());
            out.push(b'"');
        }
        Slot::Scalar(Scalar::Bool(b)) => {
            let _ = write!(out, ":{{\"BOOL\":{b}");
        }
        Slot::Scalar(Scalar::Null) => out.extend_from_slice(b":{\"NULL\":true"),
    }
    out.push(b'}');
}

/// Reads `text` as one JSON object of scalars into `fields`, as serde_json would read it; false (and `fields`
/// in any state) for anything else, or anything this reader does not take: a string with an escape, a number
/// that is not an integer of at most 18 digits (so it fits an `i64`, as serde_json keeps it), `-0` (a float to
/// serde_json), nesting.
fn parse<'a>(text: &'a str, fields: &mut Fields<'a>) -> bool {
    fields.clear();
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return false;
    }
    at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return skip_space(bytes, at + 1) == bytes.len();
    }
    loop {
        let Some((key, next)) = string(text, at) else {
            return false;
        };
        at = skip_space(bytes, next);
        if bytes.get(at) != Some(&b':') {
            return false;
        }
        at = skip_space(bytes, at + 1);
        let (value, next) = match bytes.get(at) {
            Some(b'"') => match string(text, at) {
                Some((s, next)) => (Scalar::Str(s), next),
                None => return false,
            },
            Some(b't') if bytes[at..].starts_with(b"true") => (Scalar::Bool(true), at + 4),
            Some(b'f') if bytes[at..].starts_with(b"false") => (Scalar::Bool(false), at + 5),
            Some(b'n') if bytes[at..].starts_with(b"null") => (Scalar::Null, at + 4),
            Some(b'-' | b'0'..=b'9') => match integer(bytes, at) {
                Some((i, next)) => (Scalar::Int(i), next),
                None => return false,
            },
            _ => return false,
        };
        fields.push((key, value));
        at = skip_space(bytes, next);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b'}') => return skip_space(bytes, at + 1) == bytes.len(),
            _ => return false,
        }
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// A string without escapes or control characters starting at the quote at `at`: its contents and the index
/// after its closing quote.
fn string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let end = start + first_special(&bytes[start..])?;
    if bytes[end] != b'"' {
        return None;
    }
    // A quote is ASCII, so `end` is a character boundary.
    Some((text.get(start..end)?, end + 1))
}

/// An integer of at most 18 digits, no leading zero, not `-0`: its value and the index after it. A fraction or
/// an exponent after it makes the caller fail on the next byte.
fn integer(bytes: &[u8], at: usize) -> Option<(i64, usize)> {
    let negative = bytes[at] == b'-';
    let start = at + usize::from(negative);
    let len = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let digits = &bytes[start..start + len];
    if len == 0 || len > 18 || (len > 1 && digits[0] == b'0') || (negative && digits == b"0") {
        return None;
    }
    let n = digits
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    Some((if negative { -n } else { n }, start + len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{Event, RawEvent, write_line};
    use crate::{Source, load};
    use proptest::prelude::*;

    /// Rules of the flat shape and others, keys of every type, one pipeline or several.
    const CONFIGS: &[&str] = &[
        "pipelines: [{name: presence}]",
        "pipelines: [{name: p, events: [connected]}, {name: q, events: [disconnected, connect_failed]}]",
        "pipelines: [{name: p, table: {sort_key: {name: timestamp, type: N}}}, {name: q, events: [connected]}]",
        "pipelines: [{name: p, sql: \"SELECT clientId, eventType AS e, 'x' AS c, concat(timestamp, flag) AS k \
         FROM '$aws/events/presence/+/+' WHERE NOT (eventType = 'connect_failed')\", \
         table: {partition_key: {name: clientId, type: S}, sort_key: {name: k, type: S}}}]",
        "pipelines: [{name: p, sql: \"SELECT * FROM '$aws/events/#'\", table: {sort_key: {name: e, type: S}}}]",
        "pipelines: [{name: p, events: [connected]}, {name: q, sql: \"SELECT *, topic(5) AS t FROM \
         '$aws/events/presence/#'\", table: {sort_key: {name: t, type: S}}}]",
        "pipelines: [{name: p, table: {ttl_days: 30}}, {name: q}]",
        // A literal that needs escapes in JSON.
        r#"pipelines: [{name: p, sql: 'SELECT *, concat(''"q'', clientId) AS k FROM ''$aws/events/presence/#''', table: {sort_key: {name: k, type: S}}}]"#,
        // The same, alone in the select list: a literal written as it is, not through `concat`.
        r#"pipelines: [{name: p, sql: 'SELECT *, ''a"b\\c'' AS k FROM ''$aws/events/presence/#''', table: {sort_key: {name: k, type: S}}}]"#,
    ];

    /// One `"key": value` of an event line, as text: lifecycle fields and others, values of every JSON type
    /// and of the forms this reader refuses.
    fn entry() -> impl Strategy<Value = String> {
        let key = prop::sample::select(
            &[
                "clientId",
                "eventType",
                "timestamp",
                "sessionIdentifier",
                "versionNumber",
                "flag",
                "e",
                "topic",
                "payload",
                "k\\u0041",
            ][..],
        );
        let value = prop::sample::select(
            &[
                "\"c1\"",
                "\"c2\"",
                "\"\"",
                "\"a/b\"",
                "\"a+b\"",
                "\"q\\\"uote\"",
                "\"\u{e9}\u{2028}\"",
                "\"connected\"",
                "\"disconnected\"",
                "\"connect_failed\"",
                "\"subscribed\"",
                "\"other\"",
                "0",
                "-0",
                "7",
                "-12",
                "1700000000002",
                "123456789012345678",
                "1234567890123456789",
                "18446744073709551615",
                "01",
                "1.5",
                "2e3",
                "true",
                "false",
                "null",
                "[1]",
                "{\"a\": 1}",
            ][..],
        );
        (key, value, prop::sample::select(&["", " ", "\t"][..]))
            .prop_map(|(k, v, s)| format!("\"{k}\"{s}:{s}{v}"))
    }

    /// An event line: mostly a lifecycle payload, with any fields added, repeated or missing.
    fn line() -> impl Strategy<Value = String> {
        let base = (
            prop::sample::select(&["\"c1\"", "\"c2\"", "\"a/b\""][..]),
            prop::sample::select(&["\"connected\"", "\"disconnected\"", "\"connect_failed\""][..]),
            0..4i64,
        );
        (
            any::<bool>(),
            base,
            prop::collection::vec(entry(), 0..4),
            prop::sample::select(&["", " ", "x"][..]),
        )
            .prop_map(|(lifecycle, (c, t, ts), extra, end)| {
                let mut fields = Vec::new();
                if lifecycle {
                    fields.extend([
                        format!("\"clientId\":{c}"),
                        format!("\"timestamp\":{ts}"),
                        format!("\"eventType\":{t}"),
                        "\"sessionIdentifier\":\"s\"".to_owned(),
                        "\"versionNumber\":1".to_owned(),
                    ]);
                }
                fields.extend(extra);
                format!("{{{}}}{end}", fields.join(","))
            })
    }

    /// What `simulate` prints for the lines, the general way or trying the fast path first, with the summary and
    /// how many lines went the fast way.
    fn simulate(
        config: &str,
        lines: &[String],
        fast: bool,
    ) -> (String, super::super::Summary, usize) {
        let model = load(Source {
            name: "c.yaml",
            text: config,
        })
        .unwrap();
        let mut sim = Simulator::new(&model, Some(5)).unwrap();
        let (mut out, mut fast_lines) = (Vec::new(), 0);
        for (index, text) in (0u64..).zip(lines) {
            if fast && sim.run_text(text, index, &mut out) {
                fast_lines += 1;
                continue;
            }
            match RawEvent::Line(text).into_value().and_then(Event::from_json) {
                Ok(event) => sim.run(event, |p, o| write_line(&mut out, index, p, o).unwrap()),
                Err(e) => out.extend_from_slice(format!("{index}: {e}\n").as_bytes()),
            }
        }
        (String::from_utf8(out).unwrap(), sim.summary(), fast_lines)
    }

    #[test]
    fn a_lifecycle_line_goes_the_fast_way_with_the_same_output() {
        let lines = [
            r#"{"clientId":"c1","timestamp":1700000000002,"eventType":"connected","sessionIdentifier":"c1-s1","principalIdentifier":"p","versionNumber":1,"ipAddress":"192.0.2.1"}"#,
            r#"{"clientId": "c1", "timestamp": 1700000000009, "eventType": "disconnected", "clientInitiatedDisconnect": true, "sessionIdentifier": "c1-s1", "disconnectReason": "CLIENT_INITIATED_DISCONNECT", "versionNumber": 1}"#,
            r#"{"clientId":"c1","timestamp":1700000000002,"eventType":"connected","sessionIdentifier":"c1-s1","principalIdentifier":"p","versionNumber":1,"ipAddress":"192.0.2.1"}"#,
        ]
        .map(str::to_owned);
        for config in CONFIGS {
            let (general, fast) = (
                simulate(config, &lines, false),
                simulate(config, &lines, true),
            );
            assert_eq!((&fast.0, fast.1), (&general.0, general.1), "{config}");
        }
        let (_, summary, fast_lines) = simulate(CONFIGS[0], &lines, true);
        assert_eq!((fast_lines, summary.identical_duplicates), (3, 1));
    }

    #[test]
    fn integers_are_read_as_serde_json_keeps_them() {
        for text in ["0", "-12", "123456789012345678", "-123456789012345678"] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                integer(text.as_bytes(), 0).map(|(i, _)| i),
                value.as_i64(),
                "{text}"
            );
        }
        for text in ["-0", "01", "-", "1234567890123456789"] {
            assert_eq!(integer(text.as_bytes(), 0), None, "{text}");
        }
    }

    proptest! {
        /// Where the client ID cannot change a filter's answer, the answer is the one `topic_matches` gives.
        #[test]
        fn a_client_blind_route_is_the_topic_match(
            levels in prop::collection::vec(
                prop::sample::select(&["$aws", "events", "presence", "subscriptions", "connected", "+", "#", "", "c"][..]),
                1..7,
            ),
            client in prop::sample::select(&["c", "d", "a/b", "a/", "/", "x/y/z", "c+", "#"][..]),
            kind in prop::sample::select(&EventKind::ALL[..]),
            reserved in any::<bool>(),
        ) {
            let filter = match reserved {
                true => format!("$aws/events/presence/{}", levels.join("/")),
                false => levels.join("/"),
            };
            if let Some(known) = client_blind(Some(&filter), kind)
                && !client.contains(['+', '#'])
            {
                prop_assert_eq!(known, sql::topic_matches(&filter, &kind.topic(client)), "{}", filter);
            }
        }

        /// The fast path prints the bytes and counts the summary of the general one, on any mix of lines.
        #[test]
        fn the_fast_path_prints_what_the_general_path_prints(
            lines in prop::collection::vec(line(), 1..12),
            config in prop::sample::select(CONFIGS),
        ) {
            let (general, fast) = (simulate(config, &lines, false), simulate(config, &lines, true));
            prop_assert_eq!((&fast.0, fast.1), (&general.0, general.1), "{}", config);
        }
    }
}
