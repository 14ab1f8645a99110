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
//! (`tests/support/fuzz_items.rs`) checks that both paths hand on the same events and problems.

use std::borrow::Cow;
use std::ops::Range;

use super::{MAX_RECORD_BYTES, SLOTS, Scalar, Slots, Table, type_name};

/// One item read from the front of a buffer.
pub(super) struct Item<'a> {
    /// Bytes of the item, from its `{` to its `}`.
    pub(super) len: usize,
    /// Line breaks inside it.
    pub(super) lines: usize,
    pub(super) slots: Slots<'a>,
}

/// Containers nested deeper than this are left to the reference path (serde_json's own limit is 128).
const MAX_DEPTH: usize = 64;

/// A slot while the item is read: where its string is. The strings become `&str` once the whole item is known
/// to be UTF-8, one check for the item rather than one per string.
#[derive(Clone)]
enum Raw {
    S(Range<usize>),
    N(Range<usize>),
    Other(&'static str),
}

type RawSlots = [Option<Raw>; SLOTS];

/// The item at the start of `bytes` (which must start with its `{`), if this parser can vouch for it.
pub(super) fn item<'a>(bytes: &'a [u8], table: &Table) -> Option<Item<'a>> {
    let mut p = Parser { b: bytes, i: 0 };
    let mut raw: RawSlots = Default::default();
    p.object(1, |p, name| {
        match table.roots.iter().find(|(n, _)| same(n, name)) {
            Some((_, used)) => p.attribute(&used.direct, &used.nested, &mut raw, 2),
            None => p.skip(2),
        }
    })?;
    let bytes = &bytes[..p.i];
    if bytes.len() > MAX_RECORD_BYTES {
        return None;
    }
    let (lines, control) = breaks_and_controls(bytes);
    if control {
        return None;
    }
    // serde_json checks every name and every string it keeps; checking the whole item is stricter, which is
    // safe: an item with bytes that are not UTF-8 goes to the reference path.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut slots: Slots<'a> = Default::default();
    for (slot, raw) in slots.iter_mut().zip(raw) {
        *slot = match raw {
            None => None,
            Some(Raw::S(r)) => Some(Scalar::S(Cow::Borrowed(text.get(r)?))),
            Some(Raw::N(r)) => Some(Scalar::N(Cow::Borrowed(text.get(r)?))),
            Some(Raw::Other(t)) => Some(Scalar::Other(t)),
        };
    }
    Some(Item {
        len: p.i,
        lines,
        slots,
    })
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

/// The high bit of exactly the bytes of `w` above the space, JSON's tokens (no carry crosses a byte).
const fn above_space(w: u64) -> u64 {
    (((w & splat(0x7f)) + splat(0x80 - 0x21)) | w) & splat(0x80)
}

/// Whether an attribute name is `name`; the length and first byte rule out most names without a call to
/// `memcmp`.
#[inline(always)]
fn same(name: &str, bytes: &[u8]) -> bool {
    let name = name.as_bytes();
    name.len() == bytes.len() && name.first() == bytes.first() && name == bytes
}

/// The line breaks of an item, and whether it holds a control character other than whitespace. Strings with
/// control characters were refused already, so such a byte stood where whitespace goes, and serde_json would
/// refuse it. Written without branches, in blocks whose count fits a byte, so that it compiles to vector code.
fn breaks_and_controls(bytes: &[u8]) -> (usize, bool) {
    let (mut lines, mut control) = (0, false);
    for block in bytes.chunks(255) {
        let (mut n, mut c) = (0u8, false);
        for &b in block {
            n += u8::from(b == b'\n');
            c |= (b < b' ') & (b != b'\n') & (b != b'\t') & (b != b'\r');
        }
        lines += usize::from(n);
        control |= c;
    }
    (lines, control)
}

/// A cursor over the buffer. Every method returns `None` to give up on the item.
struct Parser<'a> {
    b: &'a [u8],
    i: usize,
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

    /// Whitespace. Pretty-printed pages are mostly indentation: it is measured a word at a time, without a
    /// branch per byte. Every byte up to the space counts here; [`item`] then checks the whole item for control
    /// characters that are not whitespace, and counts its line breaks, in one pass.
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(w) = self.word() {
            let tokens = above_space(w);
            // The lowest token byte ends the run (all eight bytes are blank when there is none).
            self.i += (tokens.trailing_zeros() / 8) as usize;
            if tokens != 0 {
                return;
            }
        }
        while self.peek().is_some_and(|c| c <= b' ') {
            self.i += 1;
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

    /// A string without escapes or control characters: the range of its bytes, without the quotes. Scanned a
    /// word at a time for the closing quote, a backslash or a control character.
    #[inline(always)]
    fn string(&mut self) -> Option<Range<usize>> {
        self.eat(b'"')?;
        let start = self.i;
        while let Some(w) = self.word() {
            let stops = below(w ^ splat(b'"'), 1) | below(w ^ splat(b'\\'), 1) | below(w, 0x20);
            if stops != 0 {
                self.i += (stops.trailing_zeros() / 8) as usize;
                break;
            }
            self.i += 8;
        }
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' | 0..0x20 => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        Some(start..self.i - 1)
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
                b"S" => Raw::S(p.string()?),
                b"N" => Raw::N(p.string()?),
                b"M" if !nested.is_empty() => return p.payload(nested, slots, depth + 1),
                other => {
                    p.skip(depth + 1)?;
                    // The name is checked as UTF-8 with the whole item; a name that is not is then no type.
                    Raw::Other(type_name(std::str::from_utf8(other).unwrap_or("")))
                }
            };
            for &slot in direct {
                slots[slot] = Some(scalar.clone());
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
