//! Date-time patterns as `parse_time` (Joda-Time's `DateTimeFormat`) and `time_to_epoch` (Java's
//! `DateTimeFormatter`) read them: runs of one letter are fields (`yyyy`, `MM`), text between single quotes is
//! literal (`''` is a quote, inside or outside), and every other character stands for itself, except that
//! Java reserves `[ ] { } #` ([`Dialect`]). What each letter means is the formatter's and the parser's
//! business. Also the time zones both take: the tz database's names (through `chrono-tz`), `UTC`, and fixed
//! offsets.

use chrono::FixedOffset;
use chrono_tz::Tz;

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A letter repeated `count` times.
    Field {
        letter: char,
        count: usize,
    },
    Literal(String),
}

/// Which library reads a pattern: they agree on its syntax but for a few characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// Joda-Time's `DateTimeFormat` (`parse_time`): every character but letters and quotes is literal.
    Joda,
    /// Java's `DateTimeFormatter` (`time_to_epoch`): `[ ] { } #` are reserved (optional sections and future
    /// use), and refused here.
    JavaTime,
}

/// The tokens of `pattern`; `Err` names what cannot be read (an unclosed quote, a character Java's
/// `DateTimeFormatter` reserves).
pub(super) fn tokenize(pattern: &str, dialect: Dialect) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    let mut literal = String::new();
    while let Some(&c) = chars.get(at) {
        if c == '\'' {
            if chars.get(at + 1) == Some(&'\'') {
                literal.push('\'');
                at += 2;
                continue;
            }
            at += 1;
            loop {
                match chars.get(at) {
                    None => return Err("a quote (') that is not closed".to_owned()),
                    Some('\'') if chars.get(at + 1) == Some(&'\'') => {
                        literal.push('\'');
                        at += 2;
                    }
                    Some('\'') => {
                        at += 1;
                        break;
                    }
                    Some(&q) => {
                        literal.push(q);
                        at += 1;
                    }
                }
            }
        } else if c.is_ascii_alphabetic() {
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(&mut literal)));
            }
            let start = at;
            while chars.get(at) == Some(&c) {
                at += 1;
            }
            tokens.push(Token::Field {
                letter: c,
                count: at - start,
            });
        } else if dialect == Dialect::JavaTime && matches!(c, '[' | ']' | '{' | '}' | '#') {
            return Err(format!(
                "the character `{c}`, which Java reserves in patterns (quote it: '{c}')"
            ));
        } else {
            literal.push(c);
            at += 1;
        }
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal));
    }
    Ok(tokens)
}

/// A time zone: one of the tz database, or a fixed offset written as one (`+08:00`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

/// The zone named `id`: a tz database name (`America/Belize`, `UTC`, `Etc/GMT+5`) or an offset `+hh`,
/// `+hh:mm`, `-hh:mm`; `None` for anything else (AWS then fails the call, so the function is Undefined).
pub(super) fn zone(id: &str) -> Option<Zone> {
    if let Ok(tz) = id.parse::<Tz>() {
        return Some(Zone::Named(tz));
    }
    offset(id).map(Zone::Fixed)
}

/// `+hh`, `+hh:mm` or `+hhmm` (or with `-`), hours at most 18 as in Java.
pub(super) fn offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits = |s: &str| {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let (hours, minutes) = match rest.len() {
        2 => (digits(rest)?, 0),
        4 => (digits(&rest[..2])?, digits(&rest[2..])?),
        5 if rest.as_bytes()[2] == b':' => (digits(&rest[..2])?, digits(&rest[3..])?),
        _ => return None,
    };
    if hours > 18 || minutes > 59 || (hours == 18 && minutes > 0) {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// English month names, as Joda-Time and Java print and read them in the default locale.
pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// English day names, Monday first (ISO day 1).
pub(super) const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_tokenize_like_java() {
        use Token::{Field, Literal};
        let f = |letter, count| Field { letter, count };
        assert_eq!(
            tokenize("yyyy.MM.dd G 'at' HH:mm:ss z", Dialect::Joda),
            Ok(vec![
                f('y', 4),
                Literal(".".into()),
                f('M', 2),
                Literal(".".into()),
                f('d', 2),
                Literal(" ".into()),
                f('G', 1),
                Literal(" at ".into()),
                f('H', 2),
                Literal(":".into()),
                f('m', 2),
                Literal(":".into()),
                f('s', 2),
                Literal(" ".into()),
                f('z', 1),
            ])
        );
        assert_eq!(
            tokenize("h 'o''clock' ''", Dialect::JavaTime),
            Ok(vec![f('h', 1), Literal(" o'clock '".into())])
        );
        assert!(tokenize("yyyy 'x", Dialect::Joda).is_err());
        assert!(tokenize("yyyy[MM]", Dialect::JavaTime).is_err());
        assert_eq!(
            tokenize("[yyyy]", Dialect::Joda),
            Ok(vec![Literal("[".into()), f('y', 4), Literal("]".into())])
        );
    }

    #[test]
    fn zones_are_tz_names_or_offsets() {
        assert_eq!(zone("UTC"), Some(Zone::Named(Tz::UTC)));
        assert_eq!(
            zone("America/Belize"),
            Some(Zone::Named(Tz::America__Belize))
        );
        assert_eq!(
            zone("+08:00"),
            FixedOffset::east_opt(8 * 3600).map(Zone::Fixed)
        );
        assert_eq!(
            zone("-0530"),
            FixedOffset::west_opt(5 * 3600 + 1800).map(Zone::Fixed)
        );
        assert_eq!(
            zone("+05"),
            FixedOffset::east_opt(5 * 3600).map(Zone::Fixed)
        );
        for bad in ["", "Mars/Olympus", "+19:00", "+1:00", "08:00", "PST"] {
            assert_eq!(zone(bad), None, "{bad}");
        }
    }
}
