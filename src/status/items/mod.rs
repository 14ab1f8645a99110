//! Streaming items out of what `aws dynamodb scan --output json` and `aws dynamodb query --output json` print
//! (one document `{"Items": [...], "Count": N, ...}`, or several pages one after another), out of the JSON lines
//! `simulate` prints (`{"outcome": "written", "item": {...}}`), or out of bare DynamoDB-JSON items, one a line.
//!
//! Memory does not grow with the input: a framer walks the bytes once, tracking only strings and nesting, and
//! hands each item's bytes to a typed serde deserializer that borrows the few attributes it needs and skips the
//! rest ([`serde::de::IgnoredAny`]). A page is never held whole, whatever its size.
//!
//! That path walks every byte twice, and a pretty-printed page is mostly indentation, so a page's items are first
//! offered to a one-pass parser (`fast`) that reads each one straight from the input's buffer. It only answers
//! for well-formed items it fully understands, and leaves everything else (a broken item, escapes, an item cut
//! by the end of the buffer) to the path above, so that problems, lines and messages are that path's. The two
//! are checked against each other ([`read_reference`] is the path above alone).
//!
//! Bad input is reported with its line and skipped. An item that does not parse is skipped alone. A page or line
//! whose structure breaks (an unterminated string, a missing bracket) is skipped up to the next line that starts
//! with `{`: the next page of the aws CLI, or the next JSON line.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead};

use serde::de::DeserializeSeed;

use super::resolve::{Event, What};
use crate::model::{Fields, Place};

mod fast;
mod seed;

use seed::{ItemSeed, LineKind, LineSeed, type_name};

/// A record larger than this (a JSON line, or a page's attributes other than `Items`) is refused; DynamoDB's
/// items are at most 400 KB.
pub const MAX_RECORD_BYTES: usize = 8 << 20;

/// A piece of input that could not be used, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line where the item, line or page starts.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

/// What the reader hands on.
#[derive(Debug)]
pub enum Read<'a> {
    Event(Event<'a>),
    Problem(Problem),
}

/// Counts of a whole read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Items found (in pages, `simulate` lines and bare lines).
    pub items: u64,
    /// Of those, connect, disconnect and connect_failed events handed on.
    pub events: u64,
    /// Items of other event types (subscriptions), which say nothing about the connection.
    pub other: u64,
    /// `simulate` lines without an item of this pipeline (filtered, failed, another pipeline's).
    pub skipped_lines: u64,
    pub pages: u64,
    pub problems: u64,
    /// Of the items, those of a status table (one per client: its latest state), read as that state's event.
    pub status_items: u64,
}

impl Totals {
    /// Nothing was read at all: no page, no item, no line (an empty page is not empty input).
    pub fn is_empty(&self) -> bool {
        self.items == 0 && self.pages == 0 && self.skipped_lines == 0 && self.problems == 0
    }
}

/// Read every item of `input` as the pipeline of `fields` wrote it; `each` gets every event and every problem.
/// Never panics, whatever the bytes. An I/O error ends the reading with a problem.
pub fn read<R: BufRead>(input: R, fields: &Fields, each: impl FnMut(Read<'_>)) -> Totals {
    read_with(input, fields, true, each)
}

/// [`read`] without its one-pass fast path: every item is framed, then deserialized. The same events and
/// problems, several times slower; kept so that tests and the fuzzer can check that both paths agree.
pub fn read_reference<R: BufRead>(input: R, fields: &Fields, each: impl FnMut(Read<'_>)) -> Totals {
    read_with(input, fields, false, each)
}

fn read_with<R: BufRead>(
    mut input: R,
    fields: &Fields,
    fast: bool,
    mut each: impl FnMut(Read<'_>),
) -> Totals {
    // The start of the input tells which table it is from; it is read again from the copy.
    let mut head = Vec::new();
    let peeked = peek(&mut input, &mut head);
    let table = if is_status_table(&head, fields) {
        Table::status_table()
    } else {
        Table::new(fields)
    };
    let mut reader = Reader {
        input: Input {
            inner: io::Read::chain(io::Cursor::new(head), input),
            line: 1,
        },
        table: &table,
        pipeline: &fields.pipeline,
        fast,
        record: Vec::new(),
        item: Vec::new(),
        totals: Totals::default(),
    };
    if let Err(e) = peeked {
        reader.problem(&mut each, 1, format!("cannot read: {e}"));
        return reader.totals;
    }
    reader.run(&mut each);
    reader.totals
}

/// How much of the input's start is looked at to tell an event table from a status table: many items of either.
const HEAD_BYTES: usize = 64 << 10;

/// Read up to [`HEAD_BYTES`] of the input into `head`.
fn peek<R: BufRead>(input: &mut R, head: &mut Vec<u8>) -> io::Result<()> {
    while head.len() < HEAD_BYTES {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min(HEAD_BYTES - head.len());
        head.extend_from_slice(&buf[..n]);
        input.consume(n);
    }
    Ok(())
}

/// Whether the input is a status table's: its start names an attribute only a status item has (`state`, or
/// `online` in a query of the `Online` index) and never the name under which the pipeline's items keep the event
/// type, which every event item has. Decided once, so that reading an event table costs nothing more.
fn is_status_table(head: &[u8], fields: &Fields) -> bool {
    let event_type = match &fields.event_type {
        Place::Root(name) => name,
        Place::Nested { key, .. } => key,
    };
    let quoted = |name: &str| {
        let mut q = Vec::with_capacity(name.len() + 2);
        q.push(b'"');
        q.extend_from_slice(name.as_bytes());
        q.push(b'"');
        q
    };
    let has = |name: &str| {
        let q = quoted(name);
        head.windows(q.len()).any(|w| w == q.as_slice())
    };
    !has(event_type) && (has("state") || has("online"))
}

/// Where each attribute the resolver needs goes: slots 0-5 are the fields, 6 and 7 the keys. A status table's
/// item fills the same slots ([`Table::status_table`]): `since` is the timestamp, `state` the event type, and
/// `online` takes the second key's slot (the table has one key).
const CLIENT: usize = 0;
const TIMESTAMP: usize = 1;
const EVENT_TYPE: usize = 2;
const SESSION: usize = 3;
const VERSION: usize = 4;
const REASON: usize = 5;
const KEY0: usize = 6;
const ONLINE: usize = 7;
const SLOTS: usize = 8;

const FIELD_NAMES: [&str; 6] = [
    "clientId",
    "timestamp",
    "eventType",
    "sessionIdentifier",
    "versionNumber",
    "disconnectReason",
];

/// The names of the slots in a status table's item: what the status function (`templates/status_function.py`)
/// writes. Its `Online` index projects `online` and no `state`.
const STATUS_NAMES: [&str; SLOTS] = [
    "clientId",
    "since",
    "state",
    "sessionIdentifier",
    "versionNumber",
    "disconnectReason",
    "clientId",
    "online",
];

/// What one root attribute feeds.
#[derive(Debug, Default)]
struct Use {
    direct: Vec<usize>,
    nested: Vec<(String, usize)>,
}

#[derive(Debug)]
struct Table {
    /// The items are a status table's, one per client, each read as the event that set its state.
    status: bool,
    roots: Vec<(String, Use)>,
    /// The roots' names as [`fast::Name`]s, in the same order: what the one-pass reader compares first.
    names: Vec<fast::Name>,
    keys: Vec<String>,
}

impl Table {
    fn new(fields: &Fields) -> Table {
        let mut roots: Vec<(String, Use)> = Vec::new();
        fn slot_of<'r>(roots: &'r mut Vec<(String, Use)>, name: &str) -> &'r mut Use {
            let at = match roots.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    roots.push((name.to_owned(), Use::default()));
                    roots.len() - 1
                }
            };
            &mut roots[at].1
        }
        let places = [
            Some(&fields.client_id),
            Some(&fields.timestamp),
            Some(&fields.event_type),
            Some(&fields.session),
            Some(&fields.version),
            fields.reason.as_ref(),
        ];
        for (slot, place) in places.into_iter().enumerate() {
            match place {
                Some(Place::Root(name)) => slot_of(&mut roots, name).direct.push(slot),
                Some(Place::Nested { map, key }) => {
                    slot_of(&mut roots, map).nested.push((key.clone(), slot));
                }
                None => {}
            }
        }
        for (i, key) in fields.keys.iter().take(2).enumerate() {
            slot_of(&mut roots, key).direct.push(KEY0 + i);
        }
        Table::of(roots, fields.keys.iter().take(2).cloned().collect(), false)
    }

    /// The attributes of a status table's item.
    fn status_table() -> Table {
        let mut roots: Vec<(String, Use)> = Vec::new();
        for (slot, name) in STATUS_NAMES.iter().enumerate() {
            match roots.iter_mut().find(|(n, _)| n == name) {
                Some((_, used)) => used.direct.push(slot),
                None => roots.push((
                    (*name).to_owned(),
                    Use {
                        direct: vec![slot],
                        nested: Vec::new(),
                    },
                )),
            }
        }
        Table::of(roots, vec![STATUS_NAMES[KEY0].to_owned()], true)
    }

    fn of(roots: Vec<(String, Use)>, keys: Vec<String>, status: bool) -> Table {
        Table {
            status,
            names: roots
                .iter()
                .map(|(n, _)| fast::Name::of(n.as_bytes()))
                .collect(),
            roots,
            keys,
        }
    }

    fn get(&self, name: &str) -> Option<&Use> {
        self.roots.iter().find(|(n, _)| n == name).map(|(_, u)| u)
    }
}

/// An attribute value reduced to what the resolver can use.
#[derive(Debug, Clone, PartialEq)]
enum Scalar<'a> {
    S(Cow<'a, str>),
    N(Cow<'a, str>),
    /// Another type (BOOL, NULL, M, L, sets): named for the error message.
    Other(&'static str),
}

type Slots<'a> = [Option<Scalar<'a>>; SLOTS];

/// Bytes with a line count: the input, read through its buffer.
struct Input<R> {
    inner: R,
    line: usize,
}

/// Why the structure of a page or line broke.
struct Broken(String);

impl From<io::Error> for Broken {
    fn from(e: io::Error) -> Self {
        Broken(format!("cannot read: {e}"))
    }
}

impl<R: BufRead> Input<R> {
    fn bump(&mut self) {
        self.inner.consume(1);
    }

    /// Skip whitespace; the next byte, if any.
    fn skip_ws(&mut self) -> Result<Option<u8>, Broken> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut n = 0;
            for &b in buf {
                match b {
                    b'\n' => self.line += 1,
                    b' ' | b'\t' | b'\r' => {}
                    _ => break,
                }
                n += 1;
            }
            let next = buf.get(n).copied();
            self.inner.consume(n);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    fn expect(&mut self, want: u8, what: &str) -> Result<(), Broken> {
        match self.skip_ws()? {
            Some(b) if b == want => {
                self.bump();
                Ok(())
            }
            Some(b) => Err(Broken(format!(
                "expected {what}, found `{}`",
                char::from(b).escape_default()
            ))),
            None => Err(Broken(format!(
                "expected {what}, found the end of the input"
            ))),
        }
    }

    /// Copy one JSON value (after whitespace) into `out`, checking only strings and nesting; the deserializer
    /// checks the rest. Stops copying, but keeps reading, once `out` holds `limit` bytes. False when it did not fit.
    fn copy_value(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<bool, Broken> {
        let Some(first) = self.skip_ws()? else {
            return Err(Broken(
                "the input ends where a value should be (a truncated page?)".to_owned(),
            ));
        };
        if matches!(first, b'}' | b']' | b',' | b':') {
            return Err(Broken(format!(
                "expected a value, found `{}`",
                char::from(first)
            )));
        }
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escape = false;
        let mut scalar = false;
        let mut fits = true;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if scalar && depth == 0 && !in_string {
                    return Ok(fits);
                }
                return Err(Broken(
                    "the input ends inside a value (a truncated page?)".to_owned(),
                ));
            }
            let mut i = 0;
            let mut done = false;
            while i < buf.len() {
                let b = buf[i];
                if in_string {
                    if escape {
                        escape = false;
                        i += 1;
                        continue;
                    }
                    // The common case: plain bytes of a string.
                    match buf[i..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                    {
                        Some(n) => i += n,
                        None => {
                            i = buf.len();
                            continue;
                        }
                    }
                    match buf[i] {
                        b'\\' => escape = true,
                        b'"' => {
                            in_string = false;
                            if depth == 0 {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        b'\n' => {
                            return Err(Broken(
                                "a line break inside a string (a broken or truncated line?)"
                                    .to_owned(),
                            ));
                        }
                        // Another control character: the deserializer reports it with its position.
                        _ => {}
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' if !scalar => in_string = true,
                    b'{' | b'[' if !scalar => depth += 1,
                    b'}' | b']' => {
                        if depth == 0 {
                            // The end of the container around a scalar.
                            done = true;
                            break;
                        }
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    b',' | b' ' | b'\t' | b'\r' | b'\n' | b':' if depth == 0 => {
                        done = true;
                        break;
                    }
                    b'\n' => self.line += 1,
                    _ if depth == 0 => scalar = true,
                    _ => {}
                }
                i += 1;
            }
            if fits {
                if out.len() + i <= limit {
                    out.extend_from_slice(&buf[..i]);
                } else {
                    fits = false;
                }
            }
            self.inner.consume(i);
            if done {
                return Ok(fits);
            }
        }
    }

    /// Skip to the next line that starts with `{`, or to the end.
    fn resync(&mut self) -> Result<(), Broken> {
        let mut after_newline = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            let mut n = 0;
            for &b in buf {
                if after_newline && b == b'{' {
                    self.inner.consume(n);
                    return Ok(());
                }
                after_newline = b == b'\n';
                if after_newline {
                    self.line += 1;
                }
                n += 1;
            }
            self.inner.consume(n);
        }
    }
}

struct Reader<'t, R> {
    input: Input<R>,
    table: &'t Table,
    pipeline: &'t str,
    /// Whether items of pages go through [`fast::item`] first.
    fast: bool,
    record: Vec<u8>,
    item: Vec<u8>,
    totals: Totals,
}

impl<R: BufRead> Reader<'_, R> {
    fn run(&mut self, each: &mut impl FnMut(Read<'_>)) {
        loop {
            let start = self.input.line;
            let step = match self.input.skip_ws() {
                Ok(None) => return,
                Ok(Some(b'{')) => self.top_object(each),
                Ok(Some(b)) => Err(Broken(format!(
                    "expected a scan or query page, or a JSON line (an object), found `{}`",
                    char::from(b).escape_default()
                ))),
                Err(e) => Err(e),
            };
            if let Err(Broken(message)) = step {
                let line = self.input.line.max(start);
                self.problem(each, line, message);
                if let Err(Broken(message)) = self.input.resync() {
                    self.problem(each, self.input.line, message);
                    return;
                }
            }
        }
    }

    fn problem(&mut self, each: &mut impl FnMut(Read<'_>), line: usize, message: String) {
        problem(&mut self.totals, each, line, message);
    }

    /// One top-level object: a page (it has `Items`), a `simulate` line, or a bare item.
    fn top_object(&mut self, each: &mut impl FnMut(Read<'_>)) -> Result<(), Broken> {
        let start = self.input.line;
        self.input.bump();
        self.record.clear();
        self.record.push(b'{');
        let mut key = Vec::new();
        let mut page = false;
        let mut first = true;
        loop {
            match self.input.skip_ws()? {
                Some(b'}') => {
                    self.input.bump();
                    break;
                }
                Some(b',') if !first => {
                    self.input.bump();
                    self.record.push(b',');
                }
                Some(_) if first => {}
                Some(b) => {
                    return Err(Broken(format!(
                        "expected `,` or `}}`, found `{}`",
                        char::from(b).escape_default()
                    )));
                }
                None => {
                    return Err(Broken(format!(
                        "the object that starts on line {start} is not closed (a truncated page?)"
                    )));
                }
            }
            first = false;
            key.clear();
            if self.input.skip_ws()? != Some(b'"') {
                return Err(Broken("expected an attribute name in quotes".to_owned()));
            }
            self.input.copy_value(&mut key, 1 << 16)?;
            self.input.expect(b':', "`:`")?;
            if key == b"\"Items\"" {
                page = true;
                self.items(each)?;
            } else {
                self.record.extend_from_slice(&key);
                self.record.push(b':');
                if !self.input.copy_value(&mut self.record, MAX_RECORD_BYTES)? {
                    return Err(Broken(format!(
                        "a record over {MAX_RECORD_BYTES} bytes; is this scan or query output?"
                    )));
                }
            }
        }
        self.record.push(b'}');
        if page {
            self.totals.pages += 1;
            return Ok(());
        }
        let record = std::mem::take(&mut self.record);
        self.line_record(&record, start, each);
        self.record = record;
        Ok(())
    }

    /// The elements of a page's `Items` array.
    fn items(&mut self, each: &mut impl FnMut(Read<'_>)) -> Result<(), Broken> {
        self.input.expect(b'[', "`[` after \"Items\"")?;
        let mut first = true;
        loop {
            match self.input.skip_ws()? {
                Some(b']') => {
                    self.input.bump();
                    return Ok(());
                }
                Some(b',') if !first => self.input.bump(),
                Some(_) if first => {}
                Some(b) => {
                    return Err(Broken(format!(
                        "expected `,` or `]` between items, found `{}`",
                        char::from(b).escape_default()
                    )));
                }
                None => {
                    return Err(Broken(
                        "the input ends inside `Items` (a truncated page?)".to_owned(),
                    ));
                }
            }
            first = false;
            self.input.skip_ws()?;
            let line = self.input.line;
            if self.fast && self.fast_items(each)? {
                continue;
            }
            let mut item = std::mem::take(&mut self.item);
            item.clear();
            let fits = self.input.copy_value(&mut item, MAX_RECORD_BYTES);
            match fits {
                Ok(true) => self.item_bytes(&item, line, each),
                Ok(false) => self.problem(
                    each,
                    line,
                    format!("an item over {MAX_RECORD_BYTES} bytes; skipped"),
                ),
                Err(e) => {
                    self.item = item;
                    return Err(e);
                }
            }
            self.item = item;
        }
    }

    /// As many items as [`fast::item`] reads one after another from the input's buffer, from the item at the
    /// cursor; false when it cannot read that one. The cursor is left right after the last item read, so that
    /// the loop of [`Reader::items`] goes on with what follows it.
    fn fast_items(&mut self, each: &mut impl FnMut(Read<'_>)) -> Result<bool, Broken> {
        let buf = self.input.inner.fill_buf()?;
        let (mut at, mut lines) = (0, 0);
        let (mut done, mut done_lines) = (0, 0);
        let mut slots: Slots = Default::default();
        let mut layout = fast::Layout::default();
        while let Some(item) = fast::item(&buf[at..], self.table, &mut layout, &mut slots) {
            self.totals.items += 1;
            let line = self.input.line + lines;
            deliver(&mut self.totals, self.table, &slots, line, each);
            at += item.len;
            lines += item.lines;
            (done, done_lines) = (at, lines);
            let Some((len, breaks)) = fast::separator(&buf[at..]) else {
                break;
            };
            at += len;
            lines += breaks;
        }
        self.input.inner.consume(done);
        self.input.line += done_lines;
        Ok(done > 0)
    }

    fn item_bytes(&mut self, bytes: &[u8], line: usize, each: &mut impl FnMut(Read<'_>)) {
        self.totals.items += 1;
        let mut slots: Slots = Default::default();
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed = ItemSeed {
            table: self.table,
            slots: &mut slots,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        match parsed {
            Ok(()) => deliver(&mut self.totals, self.table, &slots, line, each),
            Err(e) => self.problem(
                each,
                line + e.line().saturating_sub(1),
                format!("not a DynamoDB item: {e}"),
            ),
        }
    }

    /// A record that is not a page: a `simulate` line, or a bare item.
    fn line_record(&mut self, bytes: &[u8], line: usize, each: &mut impl FnMut(Read<'_>)) {
        let mut slots: Slots = Default::default();
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let seen = LineSeed {
            table: self.table,
            slots: &mut slots,
        }
        .deserialize(&mut de)
        .and_then(|seen| de.end().map(|()| seen));
        match seen {
            Err(e) => self.problem(each, line, format!("not JSON: {e}")),
            Ok(LineKind::Bare) => self.item_bytes(bytes, line, each),
            Ok(LineKind::Simulate {
                pipeline,
                written,
                item,
            }) => {
                let ours = pipeline.as_deref().is_none_or(|p| p == self.pipeline);
                if written && item && ours {
                    self.totals.items += 1;
                    deliver(&mut self.totals, self.table, &slots, line, each);
                } else {
                    self.totals.skipped_lines += 1;
                }
            }
        }
    }
}

fn problem(totals: &mut Totals, each: &mut impl FnMut(Read<'_>), line: usize, message: String) {
    totals.problems += 1;
    each(Read::Problem(Problem { line, message }));
}

/// Turn the attributes of one item into an event, or a problem that names the item by its key.
fn deliver(
    totals: &mut Totals,
    table: &Table,
    slots: &Slots<'_>,
    line: usize,
    each: &mut impl FnMut(Read<'_>),
) {
    match event(slots, table.status) {
        Ok(Some(event)) => {
            totals.events += 1;
            totals.status_items += u64::from(table.status);
            each(Read::Event(event));
        }
        Ok(None) => totals.other += 1,
        Err(what) => {
            let key = describe_key(&table.keys, slots);
            problem(totals, each, line, format!("item {key}: {what}"));
        }
    }
}

fn describe_key(keys: &[String], slots: &Slots<'_>) -> String {
    let parts: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let value = match &slots[KEY0 + i] {
                Some(Scalar::S(s)) => format!("{s:?}"),
                Some(Scalar::N(n)) => n.to_string(),
                Some(Scalar::Other(t)) => format!("<{t}>"),
                None => "<missing>".to_owned(),
            };
            format!("{name}={value}")
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn event<'a>(slots: &'a Slots<'a>, status: bool) -> Result<Option<Event<'a>>, String> {
    let names: &[&str] = if status { &STATUS_NAMES } else { &FIELD_NAMES };
    let text = |slot: usize| -> Result<&'a str, String> {
        match &slots[slot] {
            Some(Scalar::S(s)) => Ok(&**s),
            Some(Scalar::N(_)) => Err(format!("`{}` is a number, not a string", names[slot])),
            Some(Scalar::Other(t)) => Err(format!("`{}` is {t}, not a string", names[slot])),
            None => Err(format!("no `{}`", names[slot])),
        }
    };
    let number = |slot: usize| -> Result<&'a str, String> {
        match &slots[slot] {
            Some(Scalar::N(n)) => Ok(&**n),
            Some(Scalar::S(_)) => Err(format!("`{}` is a string, not a number", names[slot])),
            Some(Scalar::Other(t)) => Err(format!("`{}` is {t}, not a number", names[slot])),
            None => Err(format!("no `{}`", names[slot])),
        }
    };
    if status {
        return status_item(slots, text, number).map(Some);
    }
    let kind = text(EVENT_TYPE)?;
    if !matches!(kind, "connected" | "disconnected" | "connect_failed") {
        return Ok(None);
    }
    let client_id = text(CLIENT)?;
    if client_id.is_empty() {
        return Err("`clientId` is empty".to_owned());
    }
    let stamp = number(TIMESTAMP)?;
    let timestamp: i64 = stamp
        .parse()
        .map_err(|_| format!("`timestamp` {stamp} is not whole milliseconds"))?;
    let what = if kind == "connect_failed" {
        What::ConnectFailed
    } else {
        let session = text(SESSION)?;
        let digits = number(VERSION)?;
        let version: u64 = digits
            .parse()
            .map_err(|_| format!("`versionNumber` {digits} is not a whole number of 0 or more"))?;
        if kind == "connected" {
            What::Connected { session, version }
        } else {
            let reason = match &slots[REASON] {
                Some(Scalar::S(s)) => Some(&**s),
                _ => None,
            };
            What::Disconnected {
                session,
                version,
                reason,
            }
        }
    };
    Ok(Some(Event {
        client_id,
        timestamp,
        what,
    }))
}

/// A status table's item read as the event that set its state: that event is the client's latest, so the
/// resolver's answer, asked now, is the state the item holds. An item of the `Online` index has no `state`: being
/// in the index is being connected.
fn status_item<'a>(
    slots: &'a Slots<'a>,
    text: impl Fn(usize) -> Result<&'a str, String>,
    number: impl Fn(usize) -> Result<&'a str, String>,
) -> Result<Event<'a>, String> {
    let connected = match (&slots[EVENT_TYPE], &slots[ONLINE]) {
        (None, Some(_)) => true,
        _ => match text(EVENT_TYPE)? {
            "connected" => true,
            "disconnected" => false,
            other => {
                return Err(format!(
                    "`state` is {other:?}, not \"connected\" or \"disconnected\" (is this a status table?)"
                ));
            }
        },
    };
    let client_id = text(CLIENT)?;
    if client_id.is_empty() {
        return Err("`clientId` is empty".to_owned());
    }
    let since = number(TIMESTAMP)?;
    let timestamp: i64 = since
        .parse()
        .map_err(|_| format!("`since` {since} is not whole milliseconds"))?;
    let session = text(SESSION)?;
    let digits = number(VERSION)?;
    let version: u64 = digits
        .parse()
        .map_err(|_| format!("`versionNumber` {digits} is not a whole number of 0 or more"))?;
    let what = if connected {
        What::Connected { session, version }
    } else {
        let reason = match &slots[REASON] {
            Some(Scalar::S(s)) => Some(&**s),
            _ => None,
        };
        What::Disconnected {
            session,
            version,
            reason,
        }
    };
    Ok(Event {
        client_id,
        timestamp,
        what,
    })
}

#[cfg(test)]
mod tests;
