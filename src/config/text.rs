//! The characters of a config file, checked before the YAML parser sees them: the encoding (UTF-8, with or
//! without a byte order mark; UTF-16 and UTF-32 are named and refused), and the characters YAML does not allow
//! in a file at all (NUL and the other control characters). The parser would report these too, but at the
//! wrong place (libyaml counts a NUL's offset from the start of the file, and reads UTF-16 as control
//! characters) and in words that do not say what to do.

use super::ParseProblem;
use crate::catalog::Id;

/// The text of a config file's bytes, or the problem that keeps them from being a config: an encoding other
/// than UTF-8, bytes that are not UTF-8, or a character YAML does not allow. A UTF-8 byte order mark stays in
/// the text ([`super::parse`] and the positions accept it).
pub fn decode(bytes: &[u8]) -> Result<&str, ParseProblem> {
    if let Some(problem) = other_encoding(bytes) {
        return Err(problem);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        // `valid` is UTF-8 up to here, so counting its characters is safe.
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        let (line, column) = line_column(valid, valid.len());
        problem_at(
            "the file is not UTF-8 text; save the config as UTF-8".to_owned(),
            line,
            column,
        )
    })?;
    check_characters(text)?;
    Ok(text)
}

/// UTF-16 or UTF-32, told by a byte order mark or, without one, by the NUL bytes an ASCII first character gets
/// in those encodings. A config's first character is never NUL in UTF-8, so NULs in its first bytes are
/// evidence enough.
fn other_encoding(bytes: &[u8]) -> Option<ParseProblem> {
    let (name, bom) = match bytes {
        [0xFF, 0xFE, 0, 0, ..] => ("UTF-32 (little-endian)", true),
        [0, 0, 0xFE, 0xFF, ..] => ("UTF-32 (big-endian)", true),
        [0xFF, 0xFE, ..] => ("UTF-16 (little-endian)", true),
        [0xFE, 0xFF, ..] => ("UTF-16 (big-endian)", true),
        [a, 0, 0, 0, ..] if *a != 0 => ("UTF-32 (little-endian)", false),
        [0, 0, 0, a, ..] if *a != 0 => ("UTF-32 (big-endian)", false),
        [a, 0, ..] if *a != 0 => ("UTF-16 (little-endian)", false),
        [0, a, ..] if *a != 0 => ("UTF-16 (big-endian)", false),
        _ => return None,
    };
    let how = if bom {
        "it starts with that encoding's byte order mark"
    } else {
        "every other byte is NUL"
    };
    Some(problem_at(
        format!(
            "the file is {name} text ({how}); save the config as UTF-8 (in most editors: \"Save with encoding\" or \"Reopen with encoding\", then UTF-8)"
        ),
        1,
        1,
    ))
}

/// Whether YAML allows `c` in a file: tab, line feed, carriage return, the printable ASCII characters, NEL and
/// every Unicode character from U+00A0 except the two non-characters U+FFFE and U+FFFF (YAML 1.2, production
/// `c-printable`; libyaml applies the same test).
fn is_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}')
        || (c >= '\u{a0}' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// What [`decode`] checks of text already decoded: UTF-16 or UTF-32 read as if it were UTF-8 (ASCII text in
/// them is valid UTF-8, with NULs between), and characters YAML does not allow.
pub(super) fn check_text(text: &str) -> Result<(), ParseProblem> {
    match other_encoding(text.as_bytes()) {
        Some(problem) => Err(problem),
        None => check_characters(text),
    }
}

/// The first character YAML does not allow, as a problem at its line and column.
fn check_characters(text: &str) -> Result<(), ParseProblem> {
    let Some((offset, c)) = text.char_indices().find(|&(_, c)| !is_allowed(c)) else {
        return Ok(());
    };
    let (line, column) = line_column(text, offset);
    let code = u32::from(c);
    let message = match c {
        '\0' => "a NUL byte (U+0000) cannot be in a config (is the file binary, or cut short?); remove it"
            .to_owned(),
        '\u{fffe}' | '\u{ffff}' => {
            format!("U+{code:04X} is not a character and cannot be in a config; remove it")
        }
        _ => format!(
            "the control character U+{code:04X} cannot be in a config; remove it (inside a double-quoted string, write it as \"\\x{code:02X}\" if it is meant)"
        ),
    };
    Err(problem_at(message, line, column))
}

/// The 1-based line and column of a byte offset; the column counts characters, as the YAML parser's own
/// messages do. A byte order mark at the start is not counted, as editors do not show it.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_text = &before[start..];
    let line_text = line_text.strip_prefix('\u{feff}').unwrap_or(line_text);
    (line, line_text.chars().count() + 1)
}

fn problem_at(message: String, line: usize, column: usize) -> ParseProblem {
    ParseProblem {
        id: Id::Encoding,
        path: String::new(),
        message,
        line: Some(line),
        column: Some(column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
        units
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    fn utf32(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let chars = bom.then_some('\u{feff}').into_iter().chain(text.chars());
        chars
            .flat_map(|c| {
                let c = u32::from(c);
                if big_endian {
                    c.to_be_bytes()
                } else {
                    c.to_le_bytes()
                }
            })
            .collect()
    }

    /// A config with text that is not ASCII, so that columns count characters, not bytes.
    const CONFIG: &str = "stack:\n  description: \"über é\"\n  tags: {owner: team-ß}\npipelines:\n  - name: presence\n    rule: {description: \"née\"}\n";

    proptest::proptest! {
        /// A character YAML refuses, anywhere in a config, is reported at its own line and column, whether or
        /// not the file starts with a byte order mark.
        #[test]
        fn a_refused_character_is_placed_wherever_it_is(
            line in 0usize..6,
            at in 0usize..40,
            c in proptest::sample::select(vec!['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{80}', '\u{9f}', '\u{fffe}']),
            bom in proptest::bool::ANY,
        ) {
            // A NUL as the file's first or second byte is the mark of UTF-16, big- or little-endian (tested below).
            proptest::prop_assume!(!(c == '\0' && line == 0 && at <= 1 && !bom));
            let mut lines: Vec<String> = CONFIG.lines().map(str::to_owned).collect();
            let chars: Vec<char> = lines[line].chars().collect();
            let at = at.min(chars.len());
            lines[line] = chars[..at].iter().chain([c].iter()).chain(chars[at..].iter()).collect();
            let text = format!("{}{}\n", if bom { "\u{feff}" } else { "" }, lines.join("\n"));
            let e = decode(text.as_bytes()).unwrap_err();
            proptest::prop_assert_eq!((e.line, e.column), (Some(line + 1), Some(at + 1)), "{:?}", text);
            proptest::prop_assert!(e.message.contains("remove it"), "{}", e.message);
        }
    }

    #[test]
    fn utf16_and_utf32_are_named_with_or_without_a_byte_order_mark() {
        let text = "pipelines: [{name: p}]\n";
        for bom in [true, false] {
            for big in [true, false] {
                let endian = if big { "big-endian" } else { "little-endian" };
                for (bytes, name) in [
                    (utf16(text, big, bom), "UTF-16"),
                    (utf32(text, big, bom), "UTF-32"),
                ] {
                    let e = decode(&bytes).unwrap_err();
                    assert!(
                        e.message
                            .starts_with(&format!("the file is {name} ({endian}) text")),
                        "{bom} {big}: {e:?}"
                    );
                    assert!(e.message.contains("save the config as UTF-8"), "{e:?}");
                    assert_eq!((e.line, e.column), (Some(1), Some(1)));
                }
            }
        }
    }

    #[test]
    fn a_nul_then_ascii_is_read_as_utf16() {
        let e = decode(b"\0pipelines: []\n").unwrap_err();
        assert!(
            e.message
                .starts_with("the file is UTF-16 (big-endian) text"),
            "{e:?}"
        );
    }

    #[test]
    fn utf8_with_or_without_a_byte_order_mark_is_text() {
        assert_eq!(decode(b"a: b\n").unwrap(), "a: b\n");
        assert_eq!(
            decode("\u{feff}a: b\n".as_bytes()).unwrap(),
            "\u{feff}a: b\n"
        );
        assert_eq!(decode("é: ü\n".as_bytes()).unwrap(), "é: ü\n");
    }

    #[test]
    fn a_utf8_byte_order_mark_is_accepted_by_the_parser_too() {
        let text = decode("\u{feff}pipelines: [{name: p}]\n".as_bytes()).unwrap();
        assert_eq!(super::super::parse(text).unwrap().pipelines[0].name, "p");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_placed() {
        let e = decode(b"a: b\nc: d\xe9f\n").unwrap_err();
        assert!(e.message.contains("not UTF-8"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(2), Some(5)));
    }

    #[test]
    fn control_characters_are_placed_at_their_line_and_column() {
        let e = decode(b"pipelines:\n  - name: p\n    rule:\n      name: a\0b\n").unwrap_err();
        assert!(e.message.starts_with("a NUL byte (U+0000)"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(4), Some(14)));
        let e = decode("\u{feff}x: é\u{1b}\n".as_bytes()).unwrap_err();
        assert!(
            e.message.starts_with("the control character U+001B"),
            "{e:?}"
        );
        assert_eq!((e.line, e.column), (Some(1), Some(5)));
        for c in ['\u{7f}', '\u{80}', '\u{9f}', '\u{fffe}', '\u{1}', '\u{c}'] {
            let text = format!("a: {c}\n");
            assert!(decode(text.as_bytes()).is_err(), "{c:?}");
        }
        for c in ['\t', '\r', '\u{85}', '\u{a0}', '\u{fffd}', '\u{1f600}'] {
            let text = format!("a: {c}\n");
            assert!(decode(text.as_bytes()).is_ok(), "{c:?}");
        }
    }
}
