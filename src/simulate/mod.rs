//! Run each pipeline's rule on recorded events, locally: which rule fires, the exact item the DynamoDBv2 action
//! would put (in DynamoDB's attribute-value JSON), or why the write would fail and go to the error action. And,
//! across the stream, which writes land on the key of an earlier item: an identical duplicate is harmless (AWS
//! delivers lifecycle events at least once), a different event under the same key is data loss.
//!
//! Events are processed one at a time and nothing of them is kept but a 16-byte fingerprint per distinct key, so
//! memory grows with the number of distinct items, not with the input.

mod flat;
mod input;
mod requests;

pub use input::{RawEvent, read_events};
pub use requests::{MAX_BATCH, WriteRequests};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::digits::Digits;
use crate::events::EventKind;
use crate::model::KeyType;
use crate::model::{Key, Model};
use crate::sql::{self, Statement};

/// One event of the input: a bare lifecycle payload, or a payload with the topic it arrived on.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub topic: String,
    pub payload: Value,
}

impl Event {
    /// Read one JSON value as an event: `{"topic": ..., "payload": ...}`, or a bare presence or subscription
    /// payload whose topic follows from its `eventType` and `clientId`.
    pub fn from_json(value: Value) -> Result<Event, String> {
        let Value::Object(mut object) = value else {
            return Err("an event is a JSON object (a lifecycle payload, or {\"topic\": ..., \"payload\": ...})".to_owned());
        };
        if object.len() == 2 && object.contains_key("topic") && object.contains_key("payload") {
            let payload = object.remove("payload").unwrap_or(Value::Null);
            return match object.remove("topic") {
                Some(Value::String(topic)) if !topic.is_empty() => Ok(Event { topic, payload }),
                _ => Err("`topic` must be a non-empty string".to_owned()),
            };
        }
        let kind = match object.get("eventType") {
            Some(Value::String(t)) => EventKind::from_name(t).ok_or_else(|| {
                format!(
                    "`eventType` \"{t}\" is not a lifecycle event (connected, disconnected, connect_failed, subscribed, \
                     unsubscribed); wrap other messages as {{\"topic\": ..., \"payload\": ...}}"
                )
            })?,
            Some(_) => return Err("`eventType` must be a string".to_owned()),
            None => {
                return Err(
                    "no `eventType`: give a lifecycle payload, or {\"topic\": ..., \"payload\": ...} for any topic".to_owned(),
                );
            }
        };
        let client =
            match object.get("clientId") {
                Some(Value::String(c)) if !c.is_empty() => c.clone(),
                _ => return Err(
                    "a lifecycle payload needs a non-empty string `clientId` to derive its topic"
                        .to_owned(),
                ),
            };
        Ok(Event {
            topic: kind.topic(&client),
            payload: Value::Object(object),
        })
    }
}

/// What happened to one event in one pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The WHERE was not true: the rule did not fire.
    Filtered,
    /// The item was written (DynamoDB attribute-value JSON) under `key`.
    Written {
        key: Map<String, Value>,
        item: Map<String, Value>,
    },
    /// The write would fail; the message is what the error action would carry.
    Failed { error: String },
}

/// Totals of a run, for the closing summary. Events are counted once each; `written`, `filtered` and `failed`
/// count outcomes, one per event and pipeline whose FROM filter it matched (one output line each), so with
/// several pipelines an event can be written by one and filtered by another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub events: u64,
    pub written: u64,
    pub filtered: u64,
    pub failed: u64,
    /// Events no pipeline's FROM filter matched.
    pub unmatched: u64,
    /// Writes whose key and whole item equal an earlier write.
    pub identical_duplicates: u64,
    /// Writes that replace a different earlier item under the same key: lost data.
    pub overwritten: u64,
}

impl Summary {
    /// One line whose numbers add up: the events are those that matched a pipeline and those that matched none;
    /// the outcomes are the written, filtered and failed ones.
    pub fn line(&self) -> String {
        let outcomes = self.written + self.filtered + self.failed;
        let mut line = format!(
            "{} event{} ({} matched a pipeline, {} matched none); {} outcome{}, one per event and matching pipeline: \
             {} written, {} filtered, {} failed",
            self.events,
            plural(self.events),
            self.events - self.unmatched,
            self.unmatched,
            outcomes,
            plural(outcomes),
            self.written,
            self.filtered,
            self.failed
        );
        line.push_str(&format!(
            "; same key as an earlier item: {} identical duplicate{}, {} different event{} overwritten",
            self.identical_duplicates,
            plural(self.identical_duplicates),
            self.overwritten,
            plural(self.overwritten)
        ));
        line
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

struct Rule<'m> {
    name: &'m str,
    statement: Statement,
    /// The statement compiled once, run on every event.
    program: sql::eval::Program,
    /// The same in the flat shape, when it has it.
    flat: Option<sql::eval::FlatProgram>,
    /// Whether no text of the rule that reaches the output (its pipeline's name, its key names, the keys and
    /// literals of its flat form) needs an escape in JSON.
    plain: bool,
    /// Per event kind (by discriminant), whether the FROM filter takes every topic of that kind or none, when
    /// that does not depend on the client ID (see `flat::client_blind`).
    routes: [Option<bool>; EventKind::ALL.len()],
    keys: Vec<&'m Key>,
}

/// The rules of a model, ready to run on events.
pub struct Simulator<'m> {
    rules: Vec<Rule<'m>>,
    /// `timestamp()` for every event, instead of each event's own time.
    now: Option<i64>,
    /// Per pipeline, key fingerprint to the fingerprint of the item last written there: 16 bytes a key.
    seen: Vec<HashMap<u64, u64, BuildHasherDefault<Passthrough>>>,
    summary: Summary,
    /// A buffer for the text of a key or an item, to fingerprint it.
    text: Vec<u8>,
    /// Whether a rule has a flat form: else the fast path has nothing to run.
    any_flat: bool,
    scratch: flat::Scratch,
}

impl<'m> Simulator<'m> {
    /// Fails when a rule's SQL does not parse (the checks of a loaded model already rule that out) or uses a
    /// function the simulator cannot run (one that calls other AWS services, say).
    pub fn new(model: &'m Model, now: Option<i64>) -> Result<Simulator<'m>, String> {
        let rules = model
            .pipelines
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let at = |column: usize, e: &dyn std::fmt::Display| {
                    format!("pipelines[{i}].sql: column {column}: {e}")
                };
                // The model parsed and compiled the rule once; a loaded model's checks have already refused
                // one that does not parse.
                let statement = p.compiled.statement.clone().map_err(|e| at(e.column, &e))?;
                let program = match &p.compiled.program {
                    Some(Ok(program)) => program.clone(),
                    Some(Err(e)) => return Err(at(sql::line_col(&p.sql, e.span().start).1, e)),
                    None => return Err(format!("pipelines[{i}].sql: the rule does not parse")),
                };
                let mut routes = [None; EventKind::ALL.len()];
                for kind in EventKind::ALL {
                    routes[kind as usize] = flat::client_blind(statement.topic_filter(), kind);
                }
                let flat = program.flat().filter(|_| {
                    // Two key attributes of one name would make a key map of one entry; the general path
                    // handles that rarity.
                    p.table
                        .sort_key
                        .as_ref()
                        .is_none_or(|s| s.name != p.table.partition_key.name)
                });
                let keys: Vec<&Key> = std::iter::once(&p.table.partition_key)
                    .chain(&p.table.sort_key)
                    .collect();
                let plain = std::iter::once(p.name.as_str())
                    .chain(keys.iter().map(|k| k.name.as_str()))
                    .chain(flat.iter().flat_map(|f| f.texts()))
                    .all(|t| first_special(t.as_bytes()).is_none());
                Ok(Rule {
                    name: &p.name,
                    plain,
                    flat,
                    keys,
                    routes,
                    statement,
                    program,
                })
            })
            .collect::<Result<Vec<Rule>, String>>()?;
        let seen = model.pipelines.iter().map(|_| HashMap::default()).collect();
        let any_flat = rules.iter().any(|r| r.flat.is_some());
        Ok(Simulator {
            rules,
            now,
            seen,
            summary: Summary::default(),
            text: Vec::new(),
            any_flat,
            scratch: flat::Scratch::default(),
        })
    }

    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Run every matching rule on one event; `emit` gets each (pipeline name, outcome) in pipeline order.
    pub fn run(&mut self, event: Event, mut emit: impl FnMut(&str, &Outcome)) {
        self.summary.events += 1;
        let matching: Vec<usize> = (0..self.rules.len())
            .filter(|&i| {
                self.rules[i]
                    .statement
                    .topic_filter()
                    .is_some_and(|f| sql::topic_matches(f, &event.topic))
            })
            .collect();
        if matching.is_empty() {
            self.summary.unmatched += 1;
            return;
        }
        let mut payload = Some(event.payload);
        for (n, &i) in matching.iter().enumerate() {
            let rule = &self.rules[i];
            // The last rule takes the payload; earlier ones get a copy.
            let own = if n + 1 == matching.len() {
                payload.take()
            } else {
                payload.clone()
            };
            let outcome = evaluate(rule, &event.topic, own.unwrap_or(Value::Null), self.now);
            match &outcome {
                Outcome::Filtered => self.summary.filtered += 1,
                Outcome::Failed { .. } => self.summary.failed += 1,
                Outcome::Written { key, item } => {
                    self.summary.written += 1;
                    let print = fingerprint(item, &mut self.text);
                    match self.seen[i].insert(fingerprint(key, &mut self.text), print) {
                        None => {}
                        Some(earlier) if earlier == print => self.summary.identical_duplicates += 1,
                        Some(_) => self.summary.overwritten += 1,
                    }
                }
            }
            emit(rule.name, &outcome);
        }
    }
}

fn evaluate(rule: &Rule, topic: &str, payload: Value, now: Option<i64>) -> Outcome {
    // `clientid()`: the client's ID, which lifecycle payloads carry.
    let client_id = match payload.get("clientId") {
        Some(Value::String(c)) => Some(c.clone()),
        _ => None,
    };
    let now = now
        .or_else(|| payload.get("timestamp").and_then(Value::as_i64))
        .unwrap_or_else(clock_ms);
    let object = match rule
        .program
        .run_owned(topic, payload, client_id.as_deref(), now)
    {
        sql::eval::Outcome::Filtered => return Outcome::Filtered,
        sql::eval::Outcome::Fired(object) => object,
        sql::eval::Outcome::FiredValue(_) => {
            return Outcome::Failed {
                error: "the result is not an object: the DynamoDBv2 action has no item to write"
                    .to_owned(),
            };
        }
    };
    let mut key = Map::new();
    for k in &rule.keys {
        let Some(value) = object.get(&k.name) else {
            return Outcome::Failed {
                error: format!("missing key attribute `{}`", k.name),
            };
        };
        let actual = match value {
            Value::String(s) if s.is_empty() => {
                return Outcome::Failed {
                    error: format!("key attribute `{}` is an empty string", k.name),
                };
            }
            Value::String(_) => "S",
            Value::Number(_) => "N",
            other => attribute_type(other),
        };
        if actual != k.ty.as_str() || k.ty == KeyType::B {
            return Outcome::Failed {
                error: format!(
                    "key attribute `{}` is {actual}, but the table's key is {}",
                    k.name,
                    k.ty.as_str()
                ),
            };
        }
        key.insert(k.name.clone(), value.clone());
    }
    Outcome::Written { key, item: object }
}

fn clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn attribute_type(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "S",
        Value::Number(_) => "N",
        Value::Bool(_) => "BOOL",
        Value::Null => "NULL",
        Value::Object(_) => "M",
        Value::Array(_) => "L",
    }
}

/// A JSON value as the DynamoDBv2 action stores it: strings S, numbers N (as their digits), booleans BOOL, null
/// NULL, objects M, arrays L.
pub fn attribute(value: &Value) -> Value {
    let mut out = Map::with_capacity(1);
    let inner = match value {
        Value::String(s) => Value::String(s.clone()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::Bool(*b),
        Value::Null => Value::Bool(true),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(attribute).collect()),
    };
    out.insert(attribute_type(value).to_owned(), inner);
    Value::Object(out)
}

/// The fingerprint of a key or an item: of the attribute-value JSON `simulate` prints for it, which tells apart
/// any two different maps (keys in their order, which the rule's output fixes), and which the fast path has just
/// written when it needs it. `text` is a buffer to write it in.
fn fingerprint(map: &Map<String, Value>, text: &mut Vec<u8>) -> u64 {
    text.clear();
    // Writing to a vector does not fail.
    let _ = write_av_map(text, map);
    fingerprint_text(text)
}

fn fingerprint_text(text: &[u8]) -> u64 {
    let mut h = Fingerprint::default();
    h.write(text);
    h.finish()
}

/// A 64-bit fingerprint, read a word at a time (byte by byte, FNV-1a cost a tenth of a simulated event): each 8
/// bytes of input, the last few zero-padded with their count in the top byte, are folded in by a multiplication
/// whose 128-bit product has its halves XORed (wyhash's mixing). Good enough for the ledger: a false "identical"
/// needs a 64-bit collision between two items of one key, a false "overwritten" one between two keys.
struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0x243f_6a88_85a3_08d3)
    }
}

impl Fingerprint {
    fn mix(&mut self, word: u64) {
        let product = u128::from(self.0 ^ word) * u128::from(0x9e37_79b9_7f4a_7c15_u64);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            word[7] = rest.len() as u8;
            self.mix(u64::from_le_bytes(word));
        }
    }
}

/// The keys of `seen` are fingerprints already: hashing them again would only cost time.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Write one outcome as the JSON line the `simulate` command prints. Serialized straight from the rule's
/// result, without building the attribute-value tree: this is the hot path of a large simulation.
pub fn write_line(
    out: &mut impl Write,
    index: u64,
    pipeline: &str,
    outcome: &Outcome,
) -> io::Result<()> {
    out.write_all(b"{\"index\":")?;
    out.write_all(Digits::of_u64(index).as_bytes())?;
    out.write_all(b",\"pipeline\":")?;
    write_str(out, pipeline)?;
    match outcome {
        Outcome::Filtered => out.write_all(b",\"outcome\":\"filtered\"}\n"),
        Outcome::Written { key, item } => {
            out.write_all(b",\"outcome\":\"written\",\"key\":")?;
            write_av_map(out, key)?;
            out.write_all(b",\"item\":")?;
            write_av_map(out, item)?;
            out.write_all(b"}\n")
        }
        Outcome::Failed { error } => {
            out.write_all(b",\"outcome\":\"failed\",\"error\":")?;
            serde_json::to_writer(&mut *out, error)?;
            out.write_all(b"}\n")
        }
    }
}

/// A string as compact JSON, the bytes serde_json writes: as it is between quotes when no byte of it needs an
/// escape (the usual case, checked eight bytes at a time), else through serde_json. serde_json's writer looks
/// each byte up in its escape table and was the largest single cost of a simulation.
fn write_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    if first_special(s.as_bytes()).is_none() {
        out.write_all(b"\"")?;
        out.write_all(s.as_bytes())?;
        out.write_all(b"\"")
    } else {
        serde_json::to_writer(&mut *out, s).map_err(io::Error::from)
    }
}

/// The index of the first byte a JSON string cannot hold as it is (`"`, `\`, a control character), looked for
/// a word at a time: a byte under N is one whose subtraction of N borrows while its top bit is clear, and `"`
/// and `\` are the bytes that XOR to zero (under 1) with them. Borrows only run toward later bytes, so the first
/// flagged byte is a true one.
fn first_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let flags = below(x, 0x20)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1);
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = chunks.remainder();
    rest.iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map(|i| at + i)
}

/// [`AvMap`] written as compact JSON, the same bytes as `serde_json::to_writer(out, &AvMap(map))`.
fn write_av_map(out: &mut impl Write, map: &Map<String, Value>) -> io::Result<()> {
    out.write_all(b"{")?;
    for (n, (k, v)) in map.iter().enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        write_str(out, k)?;
        out.write_all(b":")?;
        write_av(out, v)?;
    }
    out.write_all(b"}")
}

/// [`Av`] written as compact JSON.
fn write_av(out: &mut impl Write, value: &Value) -> io::Result<()> {
    match value {
        Value::String(v) => {
            out.write_all(b"{\"S\":")?;
            write_str(out, v)?;
        }
        Value::Number(n) => {
            out.write_all(b"{\"N\":")?;
            serde_json::to_writer(&mut *out, &DisplayStr(n))?;
        }
        Value::Bool(true) => out.write_all(b"{\"BOOL\":true")?,
        Value::Bool(false) => out.write_all(b"{\"BOOL\":false")?,
        Value::Null => out.write_all(b"{\"NULL\":true")?,
        Value::Object(m) => {
            out.write_all(b"{\"M\":")?;
            write_av_map(out, m)?;
        }
        Value::Array(a) => {
            out.write_all(b"{\"L\":[")?;
            for (n, x) in a.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                write_av(out, x)?;
            }
            out.write_all(b"]")?;
        }
    }
    out.write_all(b"}")
}

/// A JSON value serialized as a DynamoDB attribute value; the same mapping as [`attribute`].
struct Av<'a>(&'a Value);

/// A JSON object serialized as a map of attribute values (an item, or the `M` of a nested object).
struct AvMap<'a>(&'a Map<String, Value>);

impl serde::Serialize for Av<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        match self.0 {
            Value::String(v) => map.serialize_entry("S", v)?,
            Value::Number(n) => map.serialize_entry("N", &DisplayStr(n))?,
            Value::Bool(b) => map.serialize_entry("BOOL", b)?,
            Value::Null => map.serialize_entry("NULL", &true)?,
            Value::Object(m) => map.serialize_entry("M", &AvMap(m))?,
            Value::Array(a) => map.serialize_entry("L", &AvSeq(a))?,
        }
        map.end()
    }
}

impl serde::Serialize for AvMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, Av(v))))
    }
}

struct AvSeq<'a>(&'a [Value]);

impl serde::Serialize for AvSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Av))
    }
}

/// A number written as a JSON string of its digits. Integers, which is what lifecycle payloads hold, skip the
/// formatting machinery and any allocation.
struct DisplayStr<'a>(&'a serde_json::Number);

impl serde::Serialize for DisplayStr<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.0.as_u64(), self.0.as_i64()) {
            (Some(u), _) => s.serialize_str(Digits::of_u64(u).as_str()),
            (None, Some(i)) => {
                let digits = Digits::of_u64(i.unsigned_abs());
                let mut buf = [0u8; 21];
                buf[0] = b'-';
                buf[1..=digits.as_bytes().len()].copy_from_slice(digits.as_bytes());
                s.serialize_str(
                    std::str::from_utf8(&buf[..=digits.as_bytes().len()]).unwrap_or("0"),
                )
            }
            _ => s.collect_str(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_summary_adds_up_with_several_pipelines() {
        // Two pipelines: event 0 is written by both, event 1 written by one and filtered by the other, event 2
        // read by none.
        let summary = super::Summary {
            events: 3,
            written: 3,
            filtered: 1,
            failed: 0,
            unmatched: 1,
            identical_duplicates: 0,
            overwritten: 0,
        };
        assert_eq!(
            summary.line(),
            "3 events (2 matched a pipeline, 1 matched none); 4 outcomes, one per event and matching pipeline: \
             3 written, 1 filtered, 0 failed; same key as an earlier item: 0 identical duplicates, 0 different \
             events overwritten"
        );
        let one = super::Summary {
            events: 1,
            written: 1,
            ..Default::default()
        };
        assert!(
            one.line().starts_with(
                "1 event (1 matched a pipeline, 0 matched none); 1 outcome, one per event"
            ),
            "{}",
            one.line()
        );
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn attribute_values_follow_the_dynamodbv2_mapping() {
        let v = json!({"s": "x", "n": 1672742949382_i64, "d": 21.5, "b": false, "z": null, "m": {"a": [1, "b"]}});
        let expected = json!({"M": {
            "s": {"S": "x"}, "n": {"N": "1672742949382"}, "d": {"N": "21.5"}, "b": {"BOOL": false},
            "z": {"NULL": true}, "m": {"M": {"a": {"L": [{"N": "1"}, {"S": "b"}]}}}
        }});
        assert_eq!(attribute(&v), expected);
        // The streaming writer gives the same JSON as the tree.
        let Value::Object(item) = v else {
            unreachable!()
        };
        let mut out = Vec::new();
        let outcome = Outcome::Written {
            key: Map::new(),
            item,
        };
        write_line(&mut out, 7, "p", &outcome).unwrap();
        let line: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["item"], expected["M"]);
        assert_eq!(line["index"], 7);
        assert!(out.ends_with(b"}\n"));
    }

    #[test]
    fn bare_payloads_get_their_topic_and_envelopes_keep_theirs() {
        let e = Event::from_json(
            json!({"clientId": "a/b", "eventType": "disconnected", "timestamp": 1}),
        )
        .unwrap();
        assert_eq!(e.topic, "$aws/events/presence/disconnected/a/b");
        let e = Event::from_json(json!({"topic": "x/y", "payload": [1]})).unwrap();
        assert_eq!((e.topic.as_str(), e.payload), ("x/y", json!([1])));
        assert!(Event::from_json(json!({"clientId": "a"})).is_err());
        assert!(Event::from_json(json!({"clientId": "", "eventType": "connected"})).is_err());
        assert!(Event::from_json(json!([])).is_err());
    }

    #[test]
    fn digits_match_display() {
        for n in [0, 7, 10, 1672742949382, u64::MAX] {
            assert_eq!(Digits::of_u64(n).as_str(), n.to_string());
        }
        let mut out = Vec::new();
        let item = json!({"a": -1672742949382_i64, "b": u64::MAX, "c": 0.5});
        let Value::Object(item) = item else {
            unreachable!()
        };
        write_line(
            &mut out,
            12345,
            "p",
            &Outcome::Written {
                key: Map::new(),
                item,
            },
        )
        .unwrap();
        let line: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["index"], 12345);
        assert_eq!(
            line["item"],
            json!({"a": {"N": "-1672742949382"}, "b": {"N": u64::MAX.to_string()}, "c": {"N": "0.5"}})
        );
    }

    #[test]
    fn fingerprints_tell_items_apart() {
        let a = json!({"k": 1, "t": "connected"});
        let b = json!({"k": 1, "t": "disconnected"});
        let (Value::Object(a), Value::Object(b)) = (a, b) else {
            unreachable!()
        };
        let mut text = Vec::new();
        assert_ne!(fingerprint(&a, &mut text), fingerprint(&b, &mut text));
        assert_eq!(
            fingerprint(&a, &mut text),
            fingerprint(&a.clone(), &mut text)
        );
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[a-z\"\\\\\\x00-\\x1f\\x7f\u{e9}\u{2028}]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[a-z\"\\\\\\x00-\\x1f]{0,3}", inner), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// The word-at-a-time search finds the byte a plain search finds.
        #[test]
        fn the_first_special_byte_is_found(bytes in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::num::u8::ANY,
                proptest::sample::select(&b"\"\\\x00\x1f\x20\x21\x7f\x80\xa2\xdc"[..]),
            ],
            0..40,
        )) {
            let plain = bytes.iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\');
            proptest::prop_assert_eq!(first_special(&bytes), plain);
        }

        /// The hand-written writer gives the bytes serde_json gives for the same attribute values.
        #[test]
        fn the_line_writer_writes_what_serde_json_writes(value in json_value(), key in ".{0,8}") {
            let mut map = Map::new();
            map.insert(key, value);
            let mut fast = Vec::new();
            write_av_map(&mut fast, &map).unwrap();
            proptest::prop_assert_eq!(
                String::from_utf8(fast).unwrap(),
                serde_json::to_string(&AvMap(&map)).unwrap()
            );
        }
    }
}
