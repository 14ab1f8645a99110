//! Reading recorded events: JSON lines (one event per line, blank lines skipped) or one JSON array, streamed so
//! that a file of millions of events never sits in memory whole.

use std::io;

/// One event as read: the text of its line (JSON lines), or an element of an array, already parsed.
pub enum RawEvent<'a> {
    Line(&'a str),
    Parsed(serde_json::Value),
}

impl RawEvent<'_> {
    /// The event as a JSON value; a line that is not JSON is an error saying why.
    pub fn into_value(self) -> Result<serde_json::Value, String> {
        match self {
            RawEvent::Line(text) => {
                serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))
            }
            RawEvent::Parsed(value) => Ok(value),
        }
    }
}

/// Feed each event of a JSON-lines stream (as the trimmed text of its line, which may not be JSON: reading goes
/// on), or of one JSON array (parsed), to `on_event` with its line number, without holding more than one in
/// memory. A broken array cannot be resynchronised, so it ends the reading with its position. `on_event`
/// returns false to stop.
pub fn read_events(
    mut reader: impl io::BufRead,
    on_event: &mut dyn FnMut(usize, RawEvent<'_>) -> bool,
) -> Result<(), (usize, String)> {
    let first = loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| (1, format!("cannot read: {e}")))?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break Some(buf[i]),
            None if buf.is_empty() => break None,
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    if first == Some(b'[') {
        return read_array(reader, on_event);
    }
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        number += 1;
        let n = reader
            .read_line(&mut line)
            .map_err(|e| (number, format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if !on_event(number, RawEvent::Line(text)) {
            return Ok(());
        }
    }
}

fn read_array(
    reader: impl io::BufRead,
    on_event: &mut dyn FnMut(usize, RawEvent<'_>) -> bool,
) -> Result<(), (usize, String)> {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};

    /// Counts the lines read so far, so that an element can be reported by the line it ends on.
    struct Lines<R> {
        inner: R,
        line: std::rc::Rc<std::cell::Cell<usize>>,
    }
    impl<R: io::Read> io::Read for Lines<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            let newlines = buf[..n].iter().filter(|&&b| b == b'\n').count();
            self.line.set(self.line.get() + newlines);
            Ok(n)
        }
    }

    struct Each<'a> {
        on_event: &'a mut dyn FnMut(usize, RawEvent<'_>) -> bool,
        line: std::rc::Rc<std::cell::Cell<usize>>,
    }
    impl<'de> Visitor<'de> for Each<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of events")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(value) = seq.next_element::<serde_json::Value>()? {
                if !(self.on_event)(self.line.get() + 1, RawEvent::Parsed(value)) {
                    break;
                }
            }
            Ok(())
        }
    }
    let line = std::rc::Rc::new(std::cell::Cell::new(0));
    // serde_json reads byte by byte from a reader, so the count is exact when an element ends.
    let mut de = serde_json::Deserializer::from_reader(Lines {
        inner: reader,
        line: line.clone(),
    });
    de.deserialize_seq(Each { on_event, line })
        .map_err(|e| (e.line(), format!("not a JSON array of events: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = Vec<(usize, Result<String, String>)>;

    /// Every value handed on, with its line, and how the reading ended.
    fn read(text: &str) -> (Seen, Result<(), (usize, String)>) {
        let mut seen = Vec::new();
        let end = read_events(text.as_bytes(), &mut |line, value| {
            seen.push((line, value.into_value().map(|v| v.to_string())));
            true
        });
        (seen, end)
    }

    #[test]
    fn json_lines_by_line_number_with_bad_lines_passed_on() {
        let (seen, end) = read("{\"a\":1}\n\n  \nnot json\n{\"b\":2}\n");
        assert_eq!(end, Ok(()));
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0], (1, Ok("{\"a\":1}".to_owned())));
        assert_eq!(seen[1].0, 4);
        assert!(seen[1].1.as_ref().is_err_and(|e| e.starts_with("not JSON")));
        assert_eq!(seen[2], (5, Ok("{\"b\":2}".to_owned())));
    }

    #[test]
    fn an_array_element_by_element_with_the_line_it_ends_on() {
        let (seen, end) = read("\n  [\n {\"a\": 1},\n {\"b\":\n 2}\n]\n");
        assert_eq!(end, Ok(()));
        assert_eq!(
            seen,
            [
                (3, Ok("{\"a\":1}".to_owned())),
                (5, Ok("{\"b\":2}".to_owned()))
            ]
        );
    }

    #[test]
    fn a_broken_array_ends_the_reading_at_its_position() {
        let (seen, end) = read("[{\"a\": 1},\n {\"b\": }]");
        assert_eq!(seen.len(), 1);
        let (line, what) = end.unwrap_err();
        assert_eq!(line, 2);
        assert!(what.starts_with("not a JSON array of events"), "{what}");
    }

    #[test]
    fn empty_input_gives_nothing_and_a_stop_is_honoured() {
        assert_eq!(read(""), (vec![], Ok(())));
        assert_eq!(read(" \n\t\n"), (vec![], Ok(())));
        let mut count = 0;
        let end = read_events("{}\n{}\n{}\n".as_bytes(), &mut |_, _| {
            count += 1;
            count < 2
        });
        assert_eq!((count, end), (2, Ok(())));
    }
}
