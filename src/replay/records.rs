//! Reading error-action records as the aws CLI prints them: `aws logs filter-log-events --output json` (one
//! object with an `events` list, each event's `message` a record as text; pages may be appended one after the
//! other), `aws sqs receive-message --output json` (one object with a `Messages` list, each `Body` a record as
//! text, or as base64 of it when the action sets `UseBase64`), a JSON array of any of these, and JSON lines of bare
//! records. Every record comes with the line its JSON starts on, so a problem can be pointed at.
//!
//! The input is held in memory: the aws CLI builds the same document in memory before it prints it, and holding
//! it lets a broken document be skipped exactly, up to the next line that starts a new one.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::base64;

/// One message of an AWS IoT rule's error action (AWS IoT developer guide, "Error handling"), its payload decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// `ruleName`: the rule whose action failed.
    pub rule_name: String,
    /// `topic`: the topic the original message arrived on.
    pub topic: String,
    /// `base64OriginalPayload`, decoded: the only copy of the failed event.
    pub payload: Value,
    /// The `errorMessage` of each of `failures`, for the report.
    pub errors: Vec<String>,
    /// The SQS `MessageId` or CloudWatch Logs `eventId` the record came in, when it came in one.
    pub envelope: Option<String>,
}

/// Where something was found in the input: the line its JSON starts on (1-based).
pub type Line = usize;

/// Read every record of `input`, in order, handing each (or why it is not one) to `each` with its line.
/// `each` returns false to stop reading. Only a failure to read the input at all is an `Err`.
pub fn read(
    mut input: impl BufRead,
    mut each: impl FnMut(Line, Result<Record, String>) -> bool,
) -> io::Result<()> {
    let mut text = Vec::new();
    input.read_to_end(&mut text)?;
    read_bytes(&text, &mut each);
    Ok(())
}

fn read_bytes(text: &[u8], each: &mut dyn FnMut(Line, Result<Record, String>) -> bool) {
    let mut at = 0;
    let mut line = 1;
    loop {
        // Skip the space before the next document, counting its lines.
        while let Some(&b) = text.get(at) {
            if !b.is_ascii_whitespace() {
                break;
            }
            line += usize::from(b == b'\n');
            at += 1;
        }
        if at >= text.len() {
            return;
        }
        let newlines = Rc::new(Cell::new(0));
        let stopped = Rc::new(Cell::new(false));
        let mut source = Counting {
            rest: &text[at..],
            read: 0,
            newlines: newlines.clone(),
        };
        let outcome = {
            let mut de = serde_json::Deserializer::from_reader(&mut source);
            Document {
                each: &mut *each,
                line,
                newlines: newlines.clone(),
                stopped: stopped.clone(),
            }
            .deserialize(&mut de)
        };
        if stopped.get() {
            return;
        }
        match outcome {
            Ok(()) => {
                // Lists and objects end exactly at their closing bracket; anything else was an error.
                let used = source.read;
                line += text[at..at + used].iter().filter(|&&b| b == b'\n').count();
                at += used;
            }
            Err(e) => {
                if !each(line, Err(syntax(&e, line))) {
                    return;
                }
                // Go on at the next line that starts a document (`{` or `[` in its first column): that is where
                // the next JSON line, or the next page the aws CLI printed, begins.
                let start = at;
                loop {
                    match text[at..].iter().position(|&b| b == b'\n') {
                        Some(n) => {
                            at += n + 1;
                            if matches!(text.get(at), Some(b'{' | b'[')) {
                                break;
                            }
                        }
                        None => {
                            at = text.len();
                            break;
                        }
                    }
                }
                line += text[start..at].iter().filter(|&&b| b == b'\n').count();
            }
        }
    }
}

/// What is wrong with a document that starts on `start`, from serde_json's error (whose lines count from there).
fn syntax(e: &serde_json::Error, start: Line) -> String {
    let text = e.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    let line = start + e.line().saturating_sub(1);
    let place = if line == start {
        format!("column {}", e.column())
    } else {
        format!("line {line}, column {}", e.column())
    };
    match e.classify() {
        serde_json::error::Category::Eof => {
            "the JSON that starts here ends in the middle of a value: was the file cut short?"
                .to_owned()
        }
        serde_json::error::Category::Syntax => format!("not JSON: {message} ({place})"),
        _ => format!("{message} ({place})"),
    }
}

/// The part of the input after one position, counting the newlines serde_json has read, so that an element can
/// be given the line it starts on. serde_json reads a reader byte by byte, and has read an element's first byte
/// when it hands the element over, so the count is exact at that moment.
struct Counting<'a> {
    rest: &'a [u8],
    read: usize,
    newlines: Rc<Cell<usize>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rest.read(buf)?;
        self.read += n;
        let lines = buf[..n].iter().filter(|&&b| b == b'\n').count();
        self.newlines.set(self.newlines.get() + lines);
        Ok(n)
    }
}

/// One top-level JSON value: an aws CLI document, a list, or a bare record.
struct Document<'a> {
    each: &'a mut dyn FnMut(Line, Result<Record, String>) -> bool,
    /// The line the document starts on.
    line: Line,
    newlines: Rc<Cell<usize>>,
    stopped: Rc<Cell<bool>>,
}

const EXPECTED: &str = "error-action records: the JSON of `aws logs filter-log-events` or `aws sqs receive-message`, \
                        or JSON lines of records";

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rest = Map::new();
        let mut listed = false;
        while let Some(key) = map.next_key::<String>()? {
            if (key == "events" || key == "Messages") && !rest.contains_key(&key) {
                listed = true;
                map.next_value_seed(Elements {
                    each: &mut *self.each,
                    base: self.line,
                    newlines: self.newlines.clone(),
                    stopped: self.stopped.clone(),
                })?;
            } else {
                let value = map.next_value::<Value>()?;
                rest.insert(key, value);
            }
        }
        // `{}` is what an empty answer looks like; a document with a list has said what it holds.
        if !listed && !rest.is_empty() {
            for record in element(Value::Object(rest)) {
                if !(self.each)(self.line, record) {
                    self.stopped.set(true);
                    return Err(de::Error::custom("stopped"));
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Elements {
            each: self.each,
            base: self.line,
            newlines: self.newlines,
            stopped: self.stopped,
        }
        .visit_seq(seq)
    }
}

/// A list of log events, SQS messages or records.
struct Elements<'a> {
    each: &'a mut dyn FnMut(Line, Result<Record, String>) -> bool,
    base: Line,
    newlines: Rc<Cell<usize>>,
    stopped: Rc<Cell<bool>>,
}

impl<'de> DeserializeSeed<'de> for Elements<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of log events, SQS messages or error-action records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let at = Rc::new(Cell::new(0));
            let seed = Element {
                base: self.base,
                newlines: self.newlines.clone(),
                at: at.clone(),
            };
            let Some(value) = seq.next_element_seed(seed)? else {
                return Ok(());
            };
            for record in element(value) {
                if !(self.each)(at.get(), record) {
                    self.stopped.set(true);
                    return Err(de::Error::custom("stopped"));
                }
            }
        }
    }
}

/// One element of a list, as a JSON value, noting the line it starts on.
struct Element {
    base: Line,
    newlines: Rc<Cell<usize>>,
    at: Rc<Cell<Line>>,
}

impl<'de> DeserializeSeed<'de> for Element {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.at.set(self.base + self.newlines.get());
        serde::Deserialize::deserialize(d)
    }
}

/// The records of one element: a log event (`message`), an SQS message (`Body`) or a bare record. A log event of
/// a CloudWatch Logs action in batch mode holds a JSON array of records.
fn element(value: Value) -> Vec<Result<Record, String>> {
    let Value::Object(mut object) = value else {
        return vec![Err(format!(
            "{} is not an error-action record; expected {EXPECTED}",
            kind(&value)
        ))];
    };
    let (text, envelope, what) = if let Some(message) = object.get("message") {
        let Value::String(text) = message else {
            return vec![Err("the log event's `message` is not a string".to_owned())];
        };
        let id = object.get("eventId").and_then(Value::as_str);
        (
            text.clone(),
            id.map(|id| format!("log event {id}")),
            "the log event's message",
        )
    } else if let Some(body) = object.get("Body") {
        let Value::String(text) = body else {
            return vec![Err("the SQS message's `Body` is not a string".to_owned())];
        };
        let id = object.get("MessageId").and_then(Value::as_str);
        (
            text.clone(),
            id.map(|id| format!("SQS message {id}")),
            "the SQS message's body",
        )
    } else {
        return vec![record(&mut object, None)];
    };
    let parsed = serde_json::from_str::<Value>(&text).or_else(|e| {
        // An SQS action with `UseBase64` sends the record base64-encoded.
        base64::decode(text.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(e)
    });
    let on = |m: String| match &envelope {
        Some(id) => format!("{id}: {m}"),
        None => m,
    };
    match parsed {
        Ok(Value::Object(mut inner)) => vec![record(&mut inner, envelope.clone()).map_err(on)],
        Ok(Value::Array(batch)) => batch
            .into_iter()
            .map(|v| match v {
                Value::Object(mut inner) => record(&mut inner, envelope.clone()).map_err(on),
                other => Err(on(format!(
                    "{} in the batch is not an error-action record",
                    kind(&other)
                ))),
            })
            .collect(),
        Ok(other) => vec![Err(on(format!(
            "{what} is {}, not an error-action record",
            kind(&other)
        )))],
        Err(e) => vec![Err(on(format!(
            "{what} is not JSON ({e}): is this the error action's log group or queue?"
        )))],
    }
}

fn record(object: &mut Map<String, Value>, envelope: Option<String>) -> Result<Record, String> {
    let mut text = |field: &str| match object.remove(field) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("`{field}` is {}, not a string", kind(&other))),
        None => Err(format!(
            "no `{field}`: not an error-action record (those have ruleName, topic, base64OriginalPayload, failures)"
        )),
    };
    let rule_name = text("ruleName")?;
    let topic = text("topic")?;
    let encoded = text("base64OriginalPayload")?;
    let bytes = base64::decode(&encoded).map_err(|e| {
        format!(
            "`base64OriginalPayload` {e}; the record was altered or cut, and cannot be replayed"
        )
    })?;
    let payload = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "`base64OriginalPayload` decodes to {} bytes that are not JSON ({e}); a lifecycle event is JSON",
            bytes.len()
        )
    })?;
    let errors = match object.get("failures") {
        Some(Value::Array(failures)) => failures
            .iter()
            .filter_map(|f| f.get("errorMessage").and_then(Value::as_str))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(Record {
        rule_name,
        topic,
        payload,
        errors,
        envelope,
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PAYLOAD: &str = r#"{"clientId":"thing_1","timestamp":1672742949382,"eventType":"connected","sessionIdentifier":"s1","principalIdentifier":"p","ipAddress":"192.0.2.1","versionNumber":3}"#;

    fn encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
        out
    }

    fn record_json(rule: &str, payload: &str) -> Value {
        json!({
            "ruleName": rule,
            "topic": "$aws/events/presence/connected/thing_1",
            "cloudwatchTraceId": "7e146a2c-95b5-6caf-98b9-50e3969734c7",
            "clientId": "thing_1",
            "base64OriginalPayload": encode(payload.as_bytes()),
            "failures": [{"failedAction": "DynamoDBv2Action", "failedResource": "t", "errorMessage": "throttled"}]
        })
    }

    fn all(text: &str) -> Vec<(Line, Result<Record, String>)> {
        let mut out = Vec::new();
        read(text.as_bytes(), |line, r| {
            out.push((line, r));
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn filter_log_events_pages_appended() {
        let page = |id: &str, rule: &str| {
            serde_json::to_string_pretty(&json!({
                "events": [{
                    "logStreamName": "stream",
                    "timestamp": 1672742950000_i64,
                    "message": record_json(rule, PAYLOAD).to_string(),
                    "ingestionTime": 1672742950100_i64,
                    "eventId": id
                }],
                "searchedLogStreams": [],
                "nextToken": "token"
            }))
            .unwrap()
        };
        let text = format!(
            "{}\n{}\n",
            page("e1", "PresenceRule_AbCdEf123456"),
            page("e2", "Other")
        );
        let got = all(&text);
        assert_eq!(got.len(), 2);
        // Each event is reported by the line its `{` is on.
        assert_eq!(text.lines().nth(got[0].0 - 1), Some("    {"));
        let second_page = text.lines().enumerate().filter(|(_, l)| *l == "{").nth(1);
        assert_eq!(got[1].0, second_page.unwrap().0 + 1 + 2);
        let r = got[0].1.as_ref().unwrap();
        assert_eq!(r.rule_name, "PresenceRule_AbCdEf123456");
        assert_eq!(r.topic, "$aws/events/presence/connected/thing_1");
        assert_eq!(r.payload["versionNumber"], 3);
        assert_eq!(r.errors, ["throttled"]);
        assert_eq!(r.envelope.as_deref(), Some("log event e1"));
        assert_eq!(got[1].1.as_ref().unwrap().rule_name, "Other");
    }

    #[test]
    fn sqs_receive_message_plain_and_base64_bodies() {
        let body = record_json("PresenceRule_AbCdEf123456", PAYLOAD).to_string();
        let doc = json!({"Messages": [
            {"MessageId": "m1", "ReceiptHandle": "h1", "MD5OfBody": "x", "Body": body},
            {"MessageId": "m2", "ReceiptHandle": "h2", "MD5OfBody": "x", "Body": encode(body.as_bytes())},
            {"MessageId": "m3", "ReceiptHandle": "h3", "MD5OfBody": "x", "Body": "hello"}
        ]});
        let got = all(&serde_json::to_string_pretty(&doc).unwrap());
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0].1.as_ref().unwrap().envelope.as_deref(),
            Some("SQS message m1")
        );
        assert_eq!(
            got[0].1.as_ref().unwrap().payload,
            got[1].1.as_ref().unwrap().payload
        );
        let e = got[2].1.as_ref().unwrap_err();
        assert!(
            e.starts_with("SQS message m3: the SQS message's body is not JSON"),
            "{e}"
        );
        assert!(got[0].0 < got[1].0 && got[1].0 < got[2].0);
        // An empty answer is nothing at all.
        assert!(all("{}\n").is_empty());
        assert!(all("").is_empty());
    }

    #[test]
    fn json_lines_of_bare_records_go_on_after_a_bad_line() {
        let good = record_json("R", PAYLOAD).to_string();
        let bad_base64 =
            json!({"ruleName": "R", "topic": "t", "base64OriginalPayload": "not base64!"});
        let not_json_payload =
            json!({"ruleName": "R", "topic": "t", "base64OriginalPayload": encode(b"\x00\x01")});
        let text = format!(
            "{good}\nnot json at all\n\n{bad_base64}\n{{\"ruleName\": \n{not_json_payload}\n[1]\n{good}\n"
        );
        let got = all(&text);
        let lines: Vec<_> = got.iter().map(|(l, r)| (*l, r.is_ok())).collect();
        assert_eq!(
            lines,
            [
                (1, true),
                (2, false),
                (4, false),
                (5, false),
                (6, false),
                (7, false),
                (8, true)
            ],
            "{got:?}"
        );
        assert!(got[1].1.as_ref().unwrap_err().starts_with("not JSON"));
        assert!(
            got[2]
                .1
                .as_ref()
                .unwrap_err()
                .contains("' ' at character 4"),
            "{got:?}"
        );
        // The broken object of line 5 reads on into line 7 (JSON may span lines): reported where it starts, with
        // where it broke; reading goes on at line 6, the next line that starts a document.
        assert!(
            got[3]
                .1
                .as_ref()
                .unwrap_err()
                .contains("not JSON: expected `,` or `}` (line 7, column 1)"),
            "{got:?}"
        );
        assert!(
            got[4].1.as_ref().unwrap_err().contains("are not JSON"),
            "{got:?}"
        );
        assert!(
            got[5].1.as_ref().unwrap_err().contains("a number is not"),
            "{got:?}"
        );
        let cut = format!("{good}\n{}", &good[..40]);
        let got = all(&cut);
        assert_eq!(got.len(), 2);
        assert!(
            got[1].1.as_ref().unwrap_err().contains("cut short"),
            "{got:?}"
        );
    }

    #[test]
    fn not_a_record() {
        for (text, expect) in [
            (r#"{"hello": 1}"#, "no `ruleName`"),
            (r#"{"ruleName": 1, "topic": "t"}"#, "`ruleName` is a number"),
            (r#""text""#, "expected error-action records"),
            (
                r#"{"events": [{"message": 7}]}"#,
                "`message` is not a string",
            ),
            (
                r#"{"events": [{"message": "[1]"}]}"#,
                "a number in the batch",
            ),
            (r#"{"events": 3}"#, "a list of log events"),
        ] {
            let got = all(text);
            assert_eq!(got.len(), 1, "{text}: {got:?}");
            let e = got[0].1.as_ref().unwrap_err();
            assert!(e.contains(expect), "{text}: {e}");
        }
    }

    #[test]
    fn a_batch_mode_log_event_holds_several_records() {
        let batch = json!([record_json("R", PAYLOAD), record_json("S", PAYLOAD)]).to_string();
        let doc = json!({"events": [{"message": batch, "eventId": "e"}]}).to_string();
        let got = all(&doc);
        let rules: Vec<_> = got
            .iter()
            .map(|(_, r)| r.as_ref().unwrap().rule_name.clone())
            .collect();
        assert_eq!(rules, ["R", "S"]);
    }

    #[test]
    fn stopping_stops() {
        let line = record_json("R", PAYLOAD).to_string();
        let text = format!("{line}\n{line}\n{line}\n");
        let mut n = 0;
        read(text.as_bytes(), |_, _| {
            n += 1;
            false
        })
        .unwrap();
        assert_eq!(n, 1);
        let doc = json!({"Messages": [{"Body": line}, {"Body": line}]}).to_string();
        let mut n = 0;
        read(doc.as_bytes(), |_, _| {
            n += 1;
            false
        })
        .unwrap();
        assert_eq!(n, 1);
    }
}
