//! The YAML parser serde_yaml reads the config with (libyaml, as the `unsafe-libyaml` translation), wrapped as a
//! safe iterator of the few facts [`super::locate`] needs: the kind of each event, the text of a scalar, and the
//! byte offset where the event starts.
//!
//! Reading the same text with the same parser means the positions describe exactly the tree serde_yaml
//! deserialized, with no second grammar to drift from it. This file is the crate's only `unsafe` code; every
//! block keeps to the contract libyaml's C API documents (initialize once, parse into a fresh event, delete every
//! event, delete the parser once).

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use unsafe_libyaml::{
    YAML_ALIAS_EVENT, YAML_DOCUMENT_END_EVENT, YAML_MAPPING_END_EVENT, YAML_MAPPING_START_EVENT,
    YAML_PLAIN_SCALAR_STYLE, YAML_SCALAR_EVENT, YAML_SEQUENCE_END_EVENT, YAML_SEQUENCE_START_EVENT,
    YAML_STREAM_END_EVENT, YAML_UTF8_ENCODING, yaml_event_delete, yaml_event_t, yaml_parser_delete,
    yaml_parser_initialize, yaml_parser_parse, yaml_parser_set_encoding,
    yaml_parser_set_input_string, yaml_parser_t,
};

/// What one parser event is, reduced to what positions need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    DocumentEnd,
    StreamEnd,
    /// A scalar's value as the parser decoded it (quotes and escapes resolved), and whether it was written
    /// plain (no quotes, not a block scalar): only a plain `<<` is a merge key.
    Scalar {
        value: String,
        plain: bool,
    },
    Alias,
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
    /// Stream and document starts: they carry nothing a path needs.
    Other,
}

/// A libyaml parser reading one string. It stops at the end of the stream or at the first syntax error, after
/// which it yields nothing more.
pub(super) struct Parser<'input> {
    /// Heap-allocated and never moved: libyaml keeps pointers into its own state.
    sys: NonNull<yaml_parser_t>,
    done: bool,
    /// libyaml reads the caller's bytes in place, so they must outlive the parser.
    input: PhantomData<&'input str>,
}

impl<'input> Parser<'input> {
    /// A parser over `input`, or `None` when libyaml cannot allocate its buffers.
    pub(super) fn new(input: &'input str) -> Option<Parser<'input>> {
        let parser = NonNull::from(Box::leak(Box::new(MaybeUninit::<yaml_parser_t>::uninit())))
            .cast::<yaml_parser_t>();
        let raw = parser.as_ptr();
        // SAFETY: `raw` points to writable memory of the right size and alignment, which
        // `yaml_parser_initialize` fills in whole before anything reads it; on failure it releases what it
        // allocated itself, and only the box is left to free. The input pointer and length describe `input`,
        // which `PhantomData<&'input str>` keeps alive for as long as the parser.
        unsafe {
            if !yaml_parser_initialize(raw).ok {
                drop(Box::from_raw(raw.cast::<MaybeUninit<yaml_parser_t>>()));
                return None;
            }
            yaml_parser_set_encoding(raw, YAML_UTF8_ENCODING);
            yaml_parser_set_input_string(raw, input.as_ptr(), input.len() as u64);
        }
        Some(Parser {
            sys: parser,
            done: false,
            input: PhantomData,
        })
    }
}

impl Iterator for Parser<'_> {
    /// The event and the byte offset of its start in the input, not counting a leading byte order mark (libyaml
    /// skips it before counting).
    type Item = (Event, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut event = MaybeUninit::<yaml_event_t>::uninit();
        let event = event.as_mut_ptr();
        // SAFETY: the parser was initialized in `new` and is used by this one thread; after an error or the end
        // of the stream `done` keeps it from being asked again. A successful `yaml_parser_parse` fills the whole
        // event, whose scalar data is read only for a scalar event, copied out, and released by
        // `yaml_event_delete` before the event goes out of scope.
        unsafe {
            if !yaml_parser_parse(self.sys.as_ptr(), event).ok {
                self.done = true;
                return None;
            }
            let kind = match (*event).type_ {
                YAML_STREAM_END_EVENT => Event::StreamEnd,
                YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
                YAML_ALIAS_EVENT => Event::Alias,
                YAML_SEQUENCE_START_EVENT => Event::SequenceStart,
                YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
                YAML_MAPPING_START_EVENT => Event::MappingStart,
                YAML_MAPPING_END_EVENT => Event::MappingEnd,
                YAML_SCALAR_EVENT => {
                    let scalar = (*event).data.scalar;
                    let bytes = if scalar.value.is_null() {
                        &[][..]
                    } else {
                        std::slice::from_raw_parts(scalar.value, scalar.length as usize)
                    };
                    Event::Scalar {
                        value: String::from_utf8_lossy(bytes).into_owned(),
                        plain: scalar.style == YAML_PLAIN_SCALAR_STYLE,
                    }
                }
                _ => Event::Other,
            };
            let at = usize::try_from((*event).start_mark.index).unwrap_or(usize::MAX);
            yaml_event_delete(event);
            self.done = kind == Event::StreamEnd;
            Some((kind, at))
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: the parser was initialized in `new` and is deleted once, here; the box it lives in was leaked
        // with `Box::leak` in `new` (its only owner is `self.sys`), so rebuilding the box from that pointer frees
        // it exactly once, after libyaml released its own buffers.
        unsafe {
            yaml_parser_delete(self.sys.as_ptr());
            drop(Box::from_raw(
                self.sys.as_ptr().cast::<MaybeUninit<yaml_parser_t>>(),
            ));
        }
    }
}
