//! The one-pass reading of a page's item, straight out of the input's buffer: no framing copy, no second parse.
//!
//! A scan page is mostly indentation and attributes nobody needs, so the reader's cost is the bytes it walks,
//! and the reference path ([`super::Input::copy_value`] then serde_json) walks each of them twice. This parser
//! walks them once, jumps over runs of indentation eight bytes at a time, and fills the same slots the
//! deserializer seeds of the parent module fill, borrowing the strings from the buffer.
//!
//! It only ever answers for input it fully understands: strict JSON with no escapes, no raw numbers, no control
//! characters, valid UTF-8, not too deep, and entirely in the buffer. For anything else (a broken item, an item
//! cut by the end of the buffer) it says nothing and consumes nothing, and the reference path reads the item, so
//! problems, their lines and their messages are the reference path's, byte for byte. The fuzz body
//! (`tests/it/support/fuzz_items.rs`) checks that both paths hand on the same events and problems.
//!
//! The items of a page differ only in their values: the reader learns each shape of item from the general code
//! ([`Skeleton`]: the item's bytes with its value strings cut out) and reads the next item of that shape by
//! comparing the runs between the strings and scanning each string. An item whose bytes outside its value strings
//! equal a skeleton's is the same JSON but for those strings, which are scanned as the general code scans them, so
//! it reads exactly what the general code would. Within the general code, a pretty-printed page also repeats the
//! bytes around each value (`{`, a line break, sixteen spaces, `"S": "`): those are learned too ([`Layout`]) and
//! taken as one masked compare of words.
//!
//! What a skeleton buys and what was measured on the way (SSE2 block masks given up, among others) is history,
//! kept in the README's status speed section and the CHANGELOG, not here.

use std::borrow::Cow;
use std::ops::Range;

use super::{MAX_RECORD_BYTES, SLOTS, Scalar, Slots, Table, Use, type_name};

/// One item read from the front of a buffer; its attributes are in the slots given to [`item`].
pub(super) struct Item {
    /// Bytes of the item, from its `{` to its `}`.
    pub(super) len: usize,
    /// Line breaks inside it.
    pub(super) lines: usize,
}

/// The exact bytes around the values of a page, learned from the items read before: a pretty-printed page
/// repeats them for every attribute (`{`, a line break, sixteen spaces, `"S": "`; then `"`, a line break,
/// twelve spaces, `}`), so matching each as one run of bytes replaces a dozen steps of the general reader. A
/// run is learned from what the general reader accepted, so matching it accepts exactly what that reader
/// would have; when the bytes differ, the general reader goes on as if nothing had been tried.
#[derive(Default)]
pub(super) struct Layout {
    /// From a value's `{` to the opening quote of its string, the type letter (`S` or `N`) included.
    open: Pattern,
    /// Where the type letter is in `open`.
    letter: usize,
    /// From the closing quote of a value's string to the `}` of the value, both included.
    close: Pattern,
    /// From after an attribute's value to the opening quote of the next attribute's name.
    next: Pattern,
    /// Whole items learned from the general code: the items of a page differ only in their values.
    skeletons: Vec<Skeleton>,
    /// The skeleton the last item matched, tried first.
    last: usize,
    /// `shared[a][b]`: how many leading steps skeletons `a` and `b` have in common.
    shared: Vec<Vec<usize>>,
    /// The value strings of the item being read, in order, while it may become a skeleton.
    values: Vec<(u32, u32, Value)>,
}

/// How many item shapes a page is expected to have (connects, disconnects with each `clientInitiatedDisconnect`,
/// failed connects, ...); past that, items of other shapes are read by the general code.
const MAX_SKELETONS: usize = 8;

/// An item as the general code read it, with its value strings cut out: what is left (names, punctuation,
/// whitespace, values that are not strings) is the same in every item of its shape. An item whose bytes outside
/// its value strings equal these is the same JSON but for those strings, so it is read by comparing the runs
/// between them and scanning each string, about a tenth of the work of reading it token by token.
struct Skeleton {
    /// The bytes outside the value strings, run after run.
    fixed: Vec<u8>,
    /// Where each run starts and ends in `fixed`: run `k` is `bounds[k]..bounds[k + 1]`, one run before each value
    /// string and the last to the item's `}` (so `bounds` starts with 0 and has two more entries than `values`).
    bounds: Vec<usize>,
    /// What each value string is.
    values: Vec<Value>,
    lines: usize,
}

/// A value string of a skeleton: a number's digits or a string, and the slots it feeds (a bit each).
#[derive(Clone, Copy)]
struct Value {
    number: bool,
    slots: u32,
}

/// A learned run of bytes: nothing until learned; from 8 to [`Pattern::MAX`] bytes. It is compared as words
/// (the last one overlapping the one before), each under a mask that leaves out the bytes that may differ.
#[derive(Default, Clone, Copy)]
struct Pattern {
    len: usize,
    lines: usize,
    words: [u64; 4],
    masks: [u64; 4],
}

impl Pattern {
    const MAX: usize = 32;

    /// Learn `run`, but for its byte at `free` (if any), if nothing is learned yet and it fits.
    #[inline(always)]
    fn learn(&mut self, run: &[u8], free: Option<usize>) {
        if self.len != 0 || !(8..=Pattern::MAX).contains(&run.len()) {
            return;
        }
        self.len = run.len();
        self.lines = run.iter().filter(|&&b| b == b'\n').count();
        for (k, at) in Pattern::offsets(run.len()).enumerate() {
            self.words[k] = word_at(run, at);
            let mut mask = u64::MAX;
            if let Some(free) = free
                && (at..at + 8).contains(&free)
            {
                mask &= !(0xff << (8 * (free - at)));
            }
            self.masks[k] = mask;
        }
    }

    /// Where the words of a run of `len` bytes start.
    #[inline(always)]
    fn offsets(len: usize) -> impl Iterator<Item = usize> {
        (0..len.div_ceil(8)).map(move |k| (8 * k).min(len - 8))
    }

    /// Whether `here` (at least `len` bytes) holds the run.
    #[inline(always)]
    fn matches(&self, here: &[u8]) -> bool {
        let mut differ = 0;
        for (k, at) in Pattern::offsets(self.len).enumerate() {
            differ |= (word_at(here, at) ^ self.words[k]) & self.masks[k];
        }
        differ == 0
    }
}

/// The eight bytes of `bytes` from `at`, as a little-endian word (`bytes` must hold them).
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Containers nested deeper than this are left to the reference path (serde_json's own limit is 128).
const MAX_DEPTH: usize = 64;

/// A slot while the item is read: where its string is. The strings become `&str` once the item is known to be
/// valid, so that an item given up on costs no conversion.
#[derive(Clone, Copy)]
enum Raw {
    S(u32, u32),
    N(u32, u32),
    Other(&'static str),
}

type RawSlots = [Option<Raw>; SLOTS];

/// The item at the start of `bytes` (which must start with its `{`), if this parser can vouch for it; its
/// attributes go to `slots` (written over whole, so that one array serves a run of items without a copy).
pub(super) fn item<'a>(
    bytes: &'a [u8],
    table: &Table,
    layout: &mut Layout,
    slots: &mut Slots<'a>,
) -> Option<Item> {
    let mut p = Parser {
        b: bytes,
        i: 0,
        lines: 0,
        non_ascii: false,
    };
    let mut raw: RawSlots = [None; SLOTS];
    match by_skeleton(&mut p, layout, &mut raw) {
        Some(()) => {}
        None => {
            (p.i, p.lines, p.non_ascii) = (0, 0, false);
            raw = [None; SLOTS];
            general(&mut p, table, layout, &mut raw)?;
        }
    }
    finish(bytes, p, &raw, slots)
}

/// The item read by the skeleton it has, if one was learned.
#[inline(always)]
fn by_skeleton(p: &mut Parser<'_>, layout: &mut Layout, raw: &mut RawSlots) -> Option<()> {
    let count = layout.skeletons.len();
    // Where the last try failed: that skeleton, the step and the cursor there. A skeleton that begins with the
    // same steps goes on from there instead of reading them again (connects and disconnects share their first
    // attributes).
    let mut failed: Option<(usize, usize, usize)> = None;
    for k in 0..count {
        let index = (layout.last + k) % count;
        let from = match failed {
            Some((prev, step, at)) if layout.shared[prev][index] >= step => {
                p.i = at;
                step
            }
            _ => {
                (p.i, p.lines, p.non_ascii) = (0, 0, false);
                *raw = [None; SLOTS];
                0
            }
        };
        match p.skeleton(&layout.skeletons[index], raw, from) {
            Ok(()) => {
                layout.last = index;
                return Some(());
            }
            Err(step) => failed = Some((index, step, p.i)),
        }
    }
    None
}

/// The item read token by token; an item of plain values becomes a skeleton.
fn general(
    p: &mut Parser<'_>,
    table: &Table,
    layout: &mut Layout,
    raw: &mut RawSlots,
) -> Option<()> {
    let bytes = p.b;
    let learning = layout.skeletons.len() < MAX_SKELETONS;
    layout.values.clear();
    // Whether every value needed came from a plain value at the root, where a skeleton finds it.
    let mut plain = true;
    // The item's own object, written out rather than through [`Parser::object`]: this loop runs for every
    // attribute of every item.
    p.eat(b'{')?;
    p.ws();
    if p.eat(b'}').is_none() {
        // Whether the name's opening quote is already behind the cursor (the layout's `next` took it).
        let mut opened = false;
        loop {
            let name = if opened { p.string_rest() } else { p.string() }?;
            let key = Name::at(bytes, name.clone());
            let name = &bytes[name];
            p.ws();
            p.eat(b':')?;
            p.ws();
            match root(table, key, name) {
                Some(used) => match p.plain(layout) {
                    Some(scalar) => {
                        for &slot in &used.direct {
                            raw[slot] = Some(scalar);
                        }
                        if learning {
                            let slots = used.direct.iter().fold(0u32, |m, &s| m | 1 << s);
                            layout.values.push(value_of(scalar, slots));
                        }
                    }
                    None => {
                        plain = false;
                        p.attribute(&used.direct, &used.nested, raw, 2)?;
                    }
                },
                None => match p.plain(layout) {
                    Some(scalar) => {
                        if learning {
                            layout.values.push(value_of(scalar, 0));
                        }
                    }
                    None => p.skip(2)?,
                },
            }
            if p.take(&layout.next) {
                opened = true;
                continue;
            }
            let end = p.i;
            p.ws();
            match p.peek()? {
                b',' => {
                    p.i += 1;
                    p.ws();
                    if p.peek() == Some(b'"') {
                        layout.next.learn(&bytes[end..=p.i], None);
                    }
                    opened = false;
                }
                b'}' => {
                    p.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    // Only an item of ASCII: a skeleton's runs are compared, not checked again, so they must need no check.
    if learning && plain && !p.non_ascii && p.i <= MAX_RECORD_BYTES {
        let new = Skeleton::of(&bytes[..p.i], &layout.values, p.lines);
        let shared: Vec<usize> = layout.skeletons.iter().map(|s| s.shared(&new)).collect();
        for (row, &n) in layout.shared.iter_mut().zip(&shared) {
            row.push(n);
        }
        layout
            .shared
            .push(shared.into_iter().chain([new.values.len()]).collect());
        layout.skeletons.push(new);
    }
    Some(())
}

/// A recorded value string: its place, and what it is.
fn value_of(scalar: Raw, slots: u32) -> (u32, u32, Value) {
    match scalar {
        Raw::S(a, b) => (
            a,
            b,
            Value {
                number: false,
                slots,
            },
        ),
        Raw::N(a, b) => (
            a,
            b,
            Value {
                number: true,
                slots,
            },
        ),
        // `plain` only gives strings and numbers.
        Raw::Other(_) => (
            0,
            0,
            Value {
                number: false,
                slots: 0,
            },
        ),
    }
}

impl Skeleton {
    /// The run before value `step` (the last run is `step == values.len()`).
    #[inline(always)]
    fn run(&self, step: usize) -> &[u8] {
        &self.fixed[self.bounds[step]..self.bounds[step + 1]]
    }

    /// How many leading steps (run and value) `self` and `other` have in common.
    fn shared(&self, other: &Skeleton) -> usize {
        let steps = self.values.len().min(other.values.len());
        (0..steps)
            .take_while(|&k| {
                let (a, b) = (self.values[k], other.values[k]);
                a.number == b.number && a.slots == b.slots && self.run(k) == other.run(k)
            })
            .count()
    }

    fn of(item: &[u8], values: &[(u32, u32, Value)], lines: usize) -> Skeleton {
        let mut fixed = Vec::with_capacity(item.len());
        let mut bounds = Vec::with_capacity(values.len() + 2);
        bounds.push(0);
        let mut at = 0;
        for &(a, b, _) in values {
            fixed.extend_from_slice(&item[at..a as usize]);
            bounds.push(fixed.len());
            at = b as usize;
        }
        fixed.extend_from_slice(&item[at..]);
        bounds.push(fixed.len());
        Skeleton {
            fixed,
            bounds,
            values: values.iter().map(|&(_, _, v)| v).collect(),
            lines,
        }
    }
}

/// The slots of a fully read item, as `&str` borrowed from its bytes, and its length and line breaks.
#[inline(always)]
fn finish<'a>(
    bytes: &'a [u8],
    p: Parser<'a>,
    raw: &RawSlots,
    slots: &mut Slots<'a>,
) -> Option<Item> {
    if p.i > MAX_RECORD_BYTES {
        return None;
    }
    // Every byte outside the strings was a token or whitespace, and the strings were scanned: only a string can
    // hold a byte above ASCII. serde_json checks every name and every string it keeps; checking the whole item
    // when it is not ASCII is stricter, which is safe: an item with bytes that are not UTF-8 goes to the
    // reference path.
    if p.non_ascii {
        std::str::from_utf8(&bytes[..p.i]).ok()?;
    }
    // One conversion to `&str` for all the strings kept, over the span from the first to the last: a single
    // pass of the standard library's ASCII fast path costs less than a call per string.
    let (mut from, mut to) = (u32::MAX, 0);
    for r in raw.iter().flatten() {
        if let Raw::S(a, b) | Raw::N(a, b) = *r {
            (from, to) = (from.min(a), to.max(b));
        }
    }
    let text = if from < to {
        std::str::from_utf8(&bytes[from as usize..to as usize]).ok()?
    } else {
        ""
    };
    let get = |a: u32, b: u32| text.get((a - from) as usize..(b - from) as usize);
    for (slot, raw) in slots.iter_mut().zip(raw.iter()) {
        *slot = match *raw {
            None => None,
            Some(Raw::S(a, b)) => Some(Scalar::S(Cow::Borrowed(get(a, b)?))),
            Some(Raw::N(a, b)) => Some(Scalar::N(Cow::Borrowed(get(a, b)?))),
            Some(Raw::Other(t)) => Some(Scalar::Other(t)),
        };
    }
    Some(Item {
        len: p.i,
        lines: p.lines,
    })
}

/// What separates the item at the start of `bytes` from the next one: whitespace, `,`, whitespace, when a `{`
/// follows. Its length and line breaks.
pub(super) fn separator(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut p = Parser {
        b: bytes,
        i: 0,
        lines: 0,
        non_ascii: false,
    };
    p.ws();
    p.eat(b',')?;
    p.ws();
    (p.peek()? == b'{').then_some((p.i, p.lines))
}

/// A string's place in the item, small enough for the slots to be copied cheaply; items are far shorter than
/// 4 GiB ([`MAX_RECORD_BYTES`]), and one that is not is given up on.
fn span(r: Range<usize>) -> Option<(u32, u32)> {
    Some((u32::try_from(r.start).ok()?, u32::try_from(r.end).ok()?))
}

/// Eight copies of a byte in a word, for the word-at-a-time scans.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The high bit of every byte of `w` that is below `n` (n <= 128). Exact for the lowest such byte, which is all
/// the string scan uses (a borrow can only mark bytes above it).
const fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(splat(n)) & !w & splat(0x80)
}

/// An attribute name reduced to its length and its first and last eight bytes (overlapping when it is shorter
/// than 16, zero-padded when shorter than 8): two compares of words tell nearly every pair of names apart, where
/// a call to `memcmp` per attribute cost more than the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Name {
    len: usize,
    head: u64,
    tail: u64,
}

impl Name {
    #[inline(always)]
    pub(super) fn of(name: &[u8]) -> Name {
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            for (w, b) in w.iter_mut().zip(b) {
                *w = *b;
            }
            u64::from_le_bytes(w)
        };
        let (head, tail) = match name.len() {
            0..8 => (word(name), 0),
            n => (word(&name[..8]), word(&name[n - 8..])),
        };
        Name {
            len: name.len(),
            head,
            tail,
        }
    }

    /// [`Name::of`] the bytes `range` of `bytes`, read as whole words from the buffer where it holds them: a
    /// short name's word takes the bytes after it too (its closing quote, the `:`), masked off.
    #[inline(always)]
    pub(super) fn at(bytes: &[u8], range: Range<usize>) -> Name {
        let len = range.end - range.start;
        match len {
            0..8 if bytes.len() >= range.start + 8 => Name {
                len,
                head: word_at(bytes, range.start) & ((1u64 << (8 * len)) - 1),
                tail: 0,
            },
            0..8 => Name::of(&bytes[range]),
            _ => Name {
                len,
                head: word_at(bytes, range.start),
                tail: word_at(bytes, range.end - 8),
            },
        }
    }
}

/// What the root attribute `name` feeds, if anything.
#[inline(always)]
fn root<'t>(table: &'t Table, key: Name, name: &[u8]) -> Option<&'t Use> {
    table
        .names
        .iter()
        .zip(&table.roots)
        // Names of more than 16 bytes have a middle the words do not cover.
        .find(|(n, (full, _))| **n == key && (name.len() <= 16 || full.as_bytes() == name))
        .map(|(_, (_, used))| used)
}

/// Whether a nested attribute name is `name`.
#[inline(always)]
fn same(name: &str, bytes: &[u8]) -> bool {
    let name = name.as_bytes();
    name.len() == bytes.len() && name.first() == bytes.first() && name == bytes
}

/// A cursor over the buffer. Every method returns `None` to give up on the item.
struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    /// Line breaks passed, all of them in whitespace (strings with one are refused).
    lines: usize,
    /// Whether a string held a byte above ASCII.
    non_ascii: bool,
}

impl<'a> Parser<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// The eight bytes from the cursor, as a word.
    #[inline(always)]
    fn word(&self) -> Option<u64> {
        let bytes = self.b.get(self.i..self.i + 8)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    /// Whitespace, as JSON has it: spaces, line breaks, tabs and carriage returns, the line breaks counted. Any
    /// other control character ends it, and the token expected next then fails, so that the reference path
    /// reports it. Pretty-printed pages are mostly runs of indentation: they are measured a word at a time.
    #[inline(always)]
    fn ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ') => {
                    while let Some(w) = self.word() {
                        let other = w ^ splat(b' ');
                        // The lowest byte that is not a space ends the run.
                        self.i += (other.trailing_zeros() / 8) as usize;
                        if other != 0 {
                            break;
                        }
                    }
                    while self.peek() == Some(b' ') {
                        self.i += 1;
                    }
                }
                Some(b'\n') => {
                    self.lines += 1;
                    self.i += 1;
                }
                Some(b'\t' | b'\r') => self.i += 1,
                _ => return,
            }
        }
    }

    #[inline(always)]
    fn eat(&mut self, want: u8) -> Option<()> {
        if self.peek() == Some(want) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// The item at the cursor read by `skeleton`: each run compared, each value string scanned. The slots
    /// written are only valid when it answers.
    #[inline(always)]
    fn skeleton(
        &mut self,
        skeleton: &Skeleton,
        raw: &mut RawSlots,
        from: usize,
    ) -> Result<(), usize> {
        for step in from..skeleton.values.len() {
            let at = self.i;
            if self.step(skeleton, step, raw).is_none() {
                // The cursor goes back to where the step began, for a skeleton that shares the steps before.
                self.i = at;
                return Err(step);
            }
        }
        let last = skeleton.run(skeleton.values.len());
        if self.b.get(self.i..self.i + last.len()) != Some(last) {
            return Err(skeleton.values.len());
        }
        self.i += last.len();
        self.lines = skeleton.lines;
        Ok(())
    }

    /// One step of a skeleton: the run before value `step`, then its string, whose slots are written.
    #[inline(always)]
    fn step(&mut self, skeleton: &Skeleton, step: usize, raw: &mut RawSlots) -> Option<()> {
        let run = skeleton.run(step);
        if self.b.get(self.i..self.i + run.len())? != run {
            return None;
        }
        self.i += run.len();
        let (a, b) = span(self.string_rest()?)?;
        // `string_rest` took the closing quote, which the next run starts with.
        self.i -= 1;
        let value = skeleton.values[step];
        let scalar = if value.number {
            Raw::N(a, b)
        } else {
            Raw::S(a, b)
        };
        let mut slots = value.slots;
        while slots != 0 {
            raw[slots.trailing_zeros() as usize] = Some(scalar);
            slots &= slots - 1;
        }
        Some(())
    }

    /// Whether the learned `run` is at the cursor; if so the cursor moves past it.
    #[inline(always)]
    fn take(&mut self, run: &Pattern) -> bool {
        let here = run.len != 0
            && self
                .b
                .get(self.i..self.i + run.len)
                .is_some_and(|here| run.matches(here));
        if here {
            self.i += run.len;
            self.lines += run.lines;
        }
        here
    }

    /// A string without escapes or control characters: the range of its bytes, without the quotes. Scanned a
    /// word at a time for the closing quote, a backslash, a control character or a byte above ASCII (noted).
    #[inline(always)]
    fn string(&mut self) -> Option<Range<usize>> {
        self.eat(b'"')?;
        self.string_rest()
    }

    /// [`Parser::string`] after its opening quote.
    #[inline(always)]
    fn string_rest(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        loop {
            if let Some(w) = self.word() {
                let stops = below(w ^ splat(b'"'), 1)
                    | below(w ^ splat(b'\\'), 1)
                    | below(w, 0x20)
                    | (w & splat(0x80));
                if stops == 0 {
                    self.i += 8;
                    continue;
                }
                self.i += (stops.trailing_zeros() / 8) as usize;
            }
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(start..self.i - 1);
                }
                b'\\' | 0..0x20 => return None,
                0x80.. => {
                    self.non_ascii = true;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
    }

    /// The shape nearly every attribute value has, `{"S": "..."}` or `{"N": "..."}`: first as the layout
    /// learned it, then in straight-line code (learning the layout from it). For anything else it moves nothing
    /// and says nothing, and the general readers below take the value.
    #[inline(always)]
    fn plain(&mut self, layout: &mut Layout) -> Option<Raw> {
        let (i, lines) = (self.i, self.lines);
        if let Some(read) = self.plain_as_learned(layout) {
            return Some(read);
        }
        (self.i, self.lines) = (i, lines);
        let read = self.plain_at(layout);
        if read.is_none() {
            (self.i, self.lines) = (i, lines);
        }
        read
    }

    #[inline(always)]
    fn plain_as_learned(&mut self, layout: &Layout) -> Option<Raw> {
        let open = &layout.open;
        if open.len == 0 {
            return None;
        }
        let here = self.b.get(self.i..self.i + open.len)?;
        if !open.matches(here) {
            return None;
        }
        let number = match here[layout.letter] {
            b'S' => false,
            b'N' => true,
            _ => return None,
        };
        self.i += open.len;
        self.lines += open.lines;
        let value = self.string_rest()?;
        // `string_rest` took the closing quote, which `close` starts with.
        self.i -= 1;
        if !self.take(&layout.close) {
            return None;
        }
        let (a, b) = span(value)?;
        Some(if number { Raw::N(a, b) } else { Raw::S(a, b) })
    }

    #[inline(always)]
    fn plain_at(&mut self, layout: &mut Layout) -> Option<Raw> {
        let start = self.i;
        self.eat(b'{')?;
        self.ws();
        let letter = self.i + 1;
        let ty = self.b.get(self.i..self.i + 3)?;
        let number = match ty {
            b"\"S\"" => false,
            b"\"N\"" => true,
            _ => return None,
        };
        self.i += 3;
        self.ws();
        self.eat(b':')?;
        self.ws();
        let value = self.string()?;
        self.ws();
        self.eat(b'}')?;
        if layout.open.len == 0 {
            layout.letter = letter - start;
            layout
                .open
                .learn(&self.b[start..value.start], Some(letter - start));
            layout.close.learn(&self.b[value.end..self.i], None);
        }
        let (a, b) = span(value)?;
        Some(if number { Raw::N(a, b) } else { Raw::S(a, b) })
    }

    /// An object: `each` reads the value of every attribute, in order, after its name.
    fn object(
        &mut self,
        depth: usize,
        mut each: impl FnMut(&mut Self, &'a [u8]) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let name = self.string()?;
            let name = &self.b[name];
            self.ws();
            self.eat(b':')?;
            self.ws();
            each(self, name)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// One attribute value, as `ValueSeed` reads it: every `S`, `N` or other type it holds goes to `direct`, in
    /// order; an `M` feeds `nested` when there is any.
    fn attribute(
        &mut self,
        direct: &[usize],
        nested: &[(String, usize)],
        slots: &mut RawSlots,
        depth: usize,
    ) -> Option<()> {
        self.object(depth, |p, ty| {
            let scalar = match ty {
                b"S" => {
                    let (a, b) = span(p.string()?)?;
                    Raw::S(a, b)
                }
                b"N" => {
                    let (a, b) = span(p.string()?)?;
                    Raw::N(a, b)
                }
                b"M" if !nested.is_empty() => return p.payload(nested, slots, depth + 1),
                other => {
                    p.skip(depth + 1)?;
                    // A name that is not UTF-8 makes the item go to the reference path; here it is no type.
                    Raw::Other(type_name(std::str::from_utf8(other).unwrap_or("")))
                }
            };
            for &slot in direct {
                slots[slot] = Some(scalar);
            }
            Some(())
        })
    }

    /// The `M` of a map attribute that holds the payload, as `NestedSeed` reads it.
    fn payload(
        &mut self,
        nested: &[(String, usize)],
        slots: &mut RawSlots,
        depth: usize,
    ) -> Option<()> {
        self.object(depth, |p, name| {
            match nested.iter().find(|(k, _)| same(k, name)) {
                Some((_, slot)) => p.attribute(std::slice::from_ref(slot), &[], slots, depth + 1),
                None => p.skip(depth + 1),
            }
        })
    }

    /// Any value nobody needs: checked, not kept. Raw numbers never occur in DynamoDB JSON; they are left to the
    /// reference path rather than checked here.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(depth, |p, _| p.skip(depth + 1)),
            b'[' => {
                if depth > MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }
}
