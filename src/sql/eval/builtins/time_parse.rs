//! `time_to_epoch(timestamp, pattern)` (page `iot-sql-functions`): a date-time string read with a Java
//! `DateTimeFormatter` pattern (JDK 11's, the page says), as milliseconds since the epoch. A string without a
//! zone is in UTC (documented); fields the pattern lacks are midnight (the page's `"18 December 2015"` with
//! `"dd MMMM yyyy"` is 1450396800000).
//!
//! Read as `DateTimeFormatter.ofPattern` does: strictly (numbers of two letters have exactly two digits, a
//! number of one letter has one or more, leaving room for the fixed-width numbers right after it as Java's
//! adjacent-value parsing does), case-sensitively (English names: `MMMM` January, `MMM` Jan, `EEEE` Monday,
//! `EEE` Mon, `a` AM, `G` AD), with the smart resolver (a day past the month's end is the month's last day:
//! 2015-02-30 is February 28; a day name must be the date's). The letters read here: `G u y M L d D E a H k K
//! h m s S` (`S` up to 9 digits) and the zones `VV` (a tz database name, `Z`, an offset `+01:00`, or `UTC` /
//! `GMT` / `UT` with or without an offset: `UTC+01:00`), `z` (what `VV` reads, and the North American
//! abbreviations PST, PDT, MST, MDT, CST, CDT, EST, EDT, AKST, AKDT, HST and JST, which Java maps to their
//! zones), `Z` (`+0100`; `ZZZZZ` `+01:00` or `Z`), `X` and `x` (`+01`, `+0100`, `+01:00`; `X` also reads `Z`).
//! Any other letter, a pattern without a year, a month and a day (or a day of the year), or `h`/`K` without
//! `a`, is refused before the rule runs: what AWS assumes then is not documented. A string the pattern does
//! not read gives Undefined (inferred: Java throws). 56 cases are checked against java.time itself
//! (`scripts/java-time-check`, `time_java_cases.tsv`). Java's other zone names (its locale data) are not known
//! here: a string naming one gives Undefined, where AWS would read it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};

use super::time_pattern::{DAYS, Dialect, MONTHS, Token, Zone, offset, tokenize, zone};
use crate::sql::eval::convert::to_str;
use crate::sql::eval::evaluated::Evaluated;
use crate::sql::eval::value::Value;

/// The abbreviations `z` reads besides zone names, each with the zone Java resolves it to.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("PST", "America/Los_Angeles"),
    ("PDT", "America/Los_Angeles"),
    ("MST", "America/Denver"),
    ("MDT", "America/Denver"),
    ("CST", "America/Chicago"),
    ("CDT", "America/Chicago"),
    ("EST", "America/New_York"),
    ("EDT", "America/New_York"),
    ("AKST", "America/Anchorage"),
    ("AKDT", "America/Anchorage"),
    ("HST", "Pacific/Honolulu"),
    ("JST", "Asia/Tokyo"),
];

/// The most letters each field may have here.
fn max_count(letter: char) -> Option<usize> {
    Some(match letter {
        'u' | 'y' => 19,
        'M' | 'L' | 'E' => 4,
        'G' | 'D' | 'z' | 'X' | 'x' => 3,
        'd' | 'a' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' => 2,
        'S' => 9,
        'V' => 2,
        'Z' => 5,
        _ => return None,
    })
}

/// Why a `time_to_epoch` pattern cannot be read here; `None` when it can.
pub(super) fn check(pattern: &str) -> Option<String> {
    let tokens = match tokenize(pattern, Dialect::JavaTime) {
        Ok(tokens) => tokens,
        Err(what) => return Some(format!("its pattern has {what}")),
    };
    let has = |letters: &str| {
        tokens
            .iter()
            .any(|t| matches!(t, Token::Field { letter, .. } if letters.contains(*letter)))
    };
    for token in &tokens {
        let Token::Field { letter, count } = *token else {
            continue;
        };
        let fits = max_count(letter).is_some_and(|max| count <= max)
            && !(letter == 'V' && count != 2)
            && !(letter == 'Z' && count == 4)
            && !(letter == 'a' && count != 1);
        if !fits {
            let written: String = std::iter::repeat_n(letter, count).collect();
            return Some(format!(
                "its pattern uses `{written}`, which the simulator does not read (it reads G u y M L d D E a \
                 H k K h m s S, VV, z, Z, X and x; quote literal text: 'T')"
            ));
        }
    }
    if !(has("uy") && (has("ML") && has("d") || has("D"))) {
        return Some(
            "its pattern has no full date (a year, a month and a day, or a year and a day of the year), and \
             AWS does not document what it assumes for the missing fields"
                .to_owned(),
        );
    }
    if has("hK") && !has("a") {
        return Some(
            "its pattern has an hour of AM/PM (`h` or `K`) without `a`, and AWS does not document what it \
             assumes then; use `H` or add `a`"
                .to_owned(),
        );
    }
    None
}

/// `time_to_epoch(timestamp, pattern)`.
pub(super) fn time_to_epoch(timestamp: &Evaluated<'_>, pattern: &Evaluated<'_>) -> Value {
    let (Some(text), Some(pattern)) = (to_str(timestamp), to_str(pattern)) else {
        return Value::Undefined;
    };
    let Ok(tokens) = tokenize(&pattern, Dialect::JavaTime) else {
        return Value::Undefined;
    };
    parse(&text, &tokens)
        .and_then(|fields| fields.epoch_ms())
        .map_or(Value::Undefined, Value::Int)
}

/// What a string gave for each field.
#[derive(Default)]
struct Fields {
    year: Option<i64>,
    year_of_era: Option<i64>,
    bc: bool,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    day_of_week: Option<u32>,
    pm: Option<bool>,
    hour: Option<i64>,
    hour_of_ampm: Option<i64>,
    minute: Option<i64>,
    second: Option<i64>,
    nanos: i64,
    zone: Option<Zone>,
}

/// A cursor over the string being read.
struct Input {
    chars: Vec<char>,
    at: usize,
}

impl Input {
    fn rest(&self) -> String {
        self.chars[self.at..].iter().collect()
    }

    fn eat(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        let matches = self.chars.len() >= self.at + n
            && self.chars[self.at..self.at + n]
                .iter()
                .copied()
                .eq(s.chars());
        if matches {
            self.at += n;
        }
        matches
    }

    fn digits_ahead(&self) -> usize {
        self.chars[self.at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    }

    fn number(&mut self, width: usize) -> Option<i64> {
        let text: String = self.chars.get(self.at..self.at + width)?.iter().collect();
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.at += width;
        text.parse().ok()
    }

    /// The longest of `names` the input starts with; its index.
    fn name(&mut self, names: impl Iterator<Item = String>) -> Option<usize> {
        let rest = self.rest();
        let (index, name) = names
            .enumerate()
            .filter(|(_, n)| rest.starts_with(n.as_str()))
            .max_by_key(|(_, n)| n.len())?;
        self.at += name.chars().count();
        Some(index)
    }
}

/// The widths a numeric field takes: (fewest, most) digits; `None` for text fields.
fn widths(letter: char, count: usize) -> Option<(usize, usize)> {
    let one_or_fixed = if count == 1 { (1, 19) } else { (count, count) };
    match letter {
        'u' | 'y' => Some(match count {
            1 => (1, 19),
            3 => (3, 19),
            n => (n, n),
        }),
        'M' | 'L' if count >= 3 => None,
        'M' | 'L' | 'd' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' => Some(one_or_fixed),
        'D' if count == 2 => Some((2, 3)),
        'D' => Some(one_or_fixed),
        'S' => Some((count, count)),
        _ => None,
    }
}

fn parse(text: &str, tokens: &[Token]) -> Option<Fields> {
    let mut input = Input {
        chars: text.chars().collect(),
        at: 0,
    };
    let mut f = Fields::default();
    for (i, token) in tokens.iter().enumerate() {
        let (letter, count) = match token {
            Token::Literal(l) => {
                if !input.eat(l) {
                    return None;
                }
                continue;
            }
            Token::Field { letter, count } => (*letter, *count),
        };
        if let Some((min, max)) = widths(letter, count) {
            // Adjacent value parsing: leave the digits of the fixed-width numbers that follow.
            let reserved: usize = tokens[i + 1..]
                .iter()
                .map_while(|t| match t {
                    Token::Field { letter, count } => match widths(*letter, *count) {
                        Some((a, b)) if a == b => Some(a),
                        _ => None,
                    },
                    Token::Literal(_) => None,
                })
                .sum();
            let available = input.digits_ahead();
            let width = available.checked_sub(reserved)?.min(max);
            if width < min {
                return None;
            }
            let n = input.number(width)?;
            number_field(&mut f, letter, count, n, width)?;
            continue;
        }
        match letter {
            'M' | 'L' => {
                let names = MONTHS.iter().map(|m| short_or_full(m, count));
                f.month = Some(input.name(names)? as i64 + 1);
            }
            'E' => {
                let names = DAYS.iter().map(|d| short_or_full(d, count));
                f.day_of_week = Some(input.name(names)? as u32 + 1);
            }
            'G' => f.bc = input.name(["AD", "BC"].iter().map(|s| (*s).to_owned()))? == 1,
            'a' => f.pm = Some(input.name(["AM", "PM"].iter().map(|s| (*s).to_owned()))? == 1),
            'V' => f.zone = Some(zone_id(&mut input)?),
            'z' => f.zone = Some(zone_text(&mut input)?),
            _ => f.zone = Some(Zone::Fixed(offset_field(&mut input, letter, count)?)),
        }
    }
    (input.at == input.chars.len()).then_some(f)
}

fn short_or_full(name: &str, count: usize) -> String {
    if count >= 4 {
        name.to_owned()
    } else {
        name[..3].to_owned()
    }
}

/// Stores a number read for `letter`; `None` for an hour out of its field's range.
fn number_field(f: &mut Fields, letter: char, count: usize, n: i64, width: usize) -> Option<()> {
    let two_digit_year = count == 2;
    match letter {
        'u' if two_digit_year => f.year = Some(2000 + n),
        'u' => f.year = Some(n),
        'y' if two_digit_year => f.year_of_era = Some(2000 + n),
        'y' => f.year_of_era = Some(n),
        'M' | 'L' => f.month = Some(n),
        'd' => f.day = Some(n),
        'D' => f.day_of_year = Some(n),
        'H' => f.hour = Some(n),
        'k' if (1..=24).contains(&n) => f.hour = Some(n % 24),
        'K' if (0..=11).contains(&n) => f.hour_of_ampm = Some(n),
        'h' if (1..=12).contains(&n) => f.hour_of_ampm = Some(n % 12),
        'k' | 'K' | 'h' => return None,
        'm' => f.minute = Some(n),
        's' => f.second = Some(n),
        _ => f.nanos = n * 10_i64.checked_pow(9_u32.checked_sub(u32::try_from(width).ok()?)?)?,
    }
    Some(())
}

/// What `VV` reads: `Z`, an offset, `UTC`/`GMT`/`UT` with an optional offset, or a tz database name.
fn zone_id(input: &mut Input) -> Option<Zone> {
    let rest = input.rest();
    if rest.starts_with(['+', '-']) {
        return Some(Zone::Fixed(offset_field(input, 'X', 3)?));
    }
    for prefix in ["UTC", "GMT", "UT"] {
        if let Some(after) = rest.strip_prefix(prefix) {
            input.at += prefix.len();
            if after.starts_with(['+', '-']) {
                return Some(Zone::Fixed(offset_field(input, 'X', 3)?));
            }
            return Some(Zone::Named(chrono_tz::Tz::UTC));
        }
    }
    if input.eat("Z") {
        return Some(Zone::Named(chrono_tz::Tz::UTC));
    }
    // The longest run of name characters that is a zone's name.
    let run: Vec<char> = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+' | '~' | '.'))
        .collect();
    (1..=run.len()).rev().find_map(|n| {
        let name: String = run[..n].iter().collect();
        let z = zone(&name).filter(|z| matches!(z, Zone::Named(_)))?;
        input.at += n;
        Some(z)
    })
}

/// What `z` reads: what `VV` reads, or an abbreviation of [`ABBREVIATIONS`].
fn zone_text(input: &mut Input) -> Option<Zone> {
    let rest = input.rest();
    let abbreviation = ABBREVIATIONS
        .iter()
        .filter(|(a, _)| rest.starts_with(a))
        .max_by_key(|(a, _)| a.len());
    let start = input.at;
    if let Some(z) = zone_id(input) {
        let id_len = input.at - start;
        match abbreviation {
            // Java reads `EST` as America/New_York, not as the tz database's fixed EST.
            Some((a, name)) if a.len() >= id_len => {
                input.at = start + a.len();
                return zone(name);
            }
            _ => return Some(z),
        }
    }
    let (a, name) = abbreviation?;
    input.at += a.len();
    zone(name)
}

/// An offset field: `X` and `x` (1: `+01` or `+0130`, 2: `+0130`, 3: `+01:30`; `X` also `Z`), `Z` (1-3:
/// `+0130`, 5: `+01:30` or `Z`).
fn offset_field(input: &mut Input, letter: char, count: usize) -> Option<chrono::FixedOffset> {
    let z_allowed = letter == 'X' || (letter == 'Z' && count == 5);
    if z_allowed && input.eat("Z") {
        return chrono::FixedOffset::east_opt(0);
    }
    let rest = input.rest();
    let candidates: &[usize] = match (letter, count) {
        ('X' | 'x', 1) => &[5, 3],
        ('X' | 'x', 2) | ('Z', 1..=3) => &[5],
        _ => &[6],
    };
    for &len in candidates {
        let Some(text) = rest.get(..len) else {
            continue;
        };
        let colon = text.contains(':');
        if colon != (len == 6) {
            continue;
        }
        if let Some(o) = offset(text) {
            input.at += len;
            return Some(o);
        }
    }
    None
}

impl Fields {
    fn epoch_ms(&self) -> Option<i64> {
        let year = match (self.year, self.year_of_era) {
            (Some(y), _) => y,
            (None, Some(yoe)) if self.bc => 1 - yoe,
            (None, Some(yoe)) => yoe,
            (None, None) => return None,
        };
        let year = i32::try_from(year).ok()?;
        let date = match (self.month, self.day, self.day_of_year) {
            (Some(m), Some(d), _) => {
                let m = u32::try_from(m).ok().filter(|m| (1..=12).contains(m))?;
                let d = u32::try_from(d).ok().filter(|d| (1..=31).contains(d))?;
                // The smart resolver: a day past the month's end is its last day.
                let last = (28..=31)
                    .rev()
                    .find(|&d| NaiveDate::from_ymd_opt(year, m, d).is_some())?;
                NaiveDate::from_ymd_opt(year, m, d.min(last))?
            }
            (_, _, Some(doy)) => NaiveDate::from_yo_opt(year, u32::try_from(doy).ok()?)?,
            _ => return None,
        };
        if let Some(dow) = self.day_of_week
            && date.weekday().number_from_monday() != dow
        {
            return None;
        }
        let hour = match (self.hour, self.hour_of_ampm, self.pm) {
            (Some(h), None, pm) => {
                let h = Some(h).filter(|h| (0..=23).contains(h))?;
                if pm.is_some_and(|pm| pm != (h >= 12)) {
                    return None;
                }
                h
            }
            (None, Some(h), Some(pm)) => h + if pm { 12 } else { 0 },
            (None, None, _) => 0,
            _ => return None,
        };
        let minute = self.minute.unwrap_or(0);
        let second = self.second.unwrap_or(0);
        let time = NaiveTime::from_hms_nano_opt(
            u32::try_from(hour).ok()?,
            u32::try_from(minute).ok()?,
            u32::try_from(second).ok()?,
            u32::try_from(self.nanos).ok()?,
        )?;
        let local = NaiveDateTime::new(date, time);
        let offset = match self.zone.unwrap_or(Zone::Named(chrono_tz::Tz::UTC)) {
            Zone::Fixed(o) => o.local_minus_utc(),
            Zone::Named(tz) => match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(t) => t.offset().fix().local_minus_utc(),
                // In an overlap, the earlier offset, as Java's ZonedDateTime.
                chrono::LocalResult::Ambiguous(a, b) => a
                    .offset()
                    .fix()
                    .local_minus_utc()
                    .max(b.offset().fix().local_minus_utc()),
                // In a gap, the offset before it: the time moves forward by the gap's length.
                chrono::LocalResult::None => tz
                    .offset_from_utc_datetime(&local.checked_sub_signed(Duration::days(1))?)
                    .fix()
                    .local_minus_utc(),
            },
        };
        let utc = local.checked_sub_signed(Duration::seconds(i64::from(offset)))?;
        Some(utc.and_utc().timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::sql::eval::test_support::*;
    use crate::sql::eval::value::Value;

    /// The page's examples, then cases whose results java.time gives (JDK 17's `DateTimeFormatter.ofPattern`,
    /// midnight and UTC for what the string lacks, as the page's examples imply).
    #[test]
    fn time_to_epoch_examples() {
        let cases: &[(&str, i64)] = &[
            // The page's three examples.
            (
                r#"time_to_epoch("2020-04-03 09:45:18 UTC+01:00", "yyyy-MM-dd HH:mm:ss VV")"#,
                1585903518000,
            ),
            (
                r#"time_to_epoch("18 December 2015", "dd MMMM yyyy")"#,
                1450396800000,
            ),
            (
                r#"time_to_epoch("2007-12-03 10:15:30.592 America/Los_Angeles", "yyyy-MM-dd HH:mm:ss.SSS z")"#,
                1196705730592,
            ),
            // No zone: UTC.
            (
                "time_to_epoch('1970-01-01 00:00:01', 'yyyy-MM-dd HH:mm:ss')",
                1000,
            ),
            // Adjacent numbers without separators.
            (
                "time_to_epoch('20200403094518', 'yyyyMMddHHmmss')",
                1585907118000,
            ),
            ("time_to_epoch('2020-4-3', 'yyyy-M-d')", 1585872000000),
            // Daylight saving time: PDT in June.
            (
                "time_to_epoch('2017-06-09 10:19:46 PDT', 'yyyy-MM-dd HH:mm:ss z')",
                1497028786000,
            ),
            (
                "time_to_epoch('2017-06-09 10:19:46 America/Los_Angeles', 'yyyy-MM-dd HH:mm:ss VV')",
                1497028786000,
            ),
            (
                r#"time_to_epoch("2017-06-09T19:19:46+0200", "yyyy-MM-dd'T'HH:mm:ssZ")"#,
                1497028786000,
            ),
            (
                r#"time_to_epoch("2017-06-09T17:19:46Z", "yyyy-MM-dd'T'HH:mm:ssXXX")"#,
                1497028786000,
            ),
            (
                r#"time_to_epoch("2017-06-09T22:49:46.5+05:30", "yyyy-MM-dd'T'HH:mm:ss.SXXX")"#,
                1497028786500,
            ),
            (
                "time_to_epoch('Fri, 09 Jun 17 05:19 PM', 'EEE, dd MMM yy hh:mm a')",
                1497028740000,
            ),
            ("time_to_epoch('2017 160', 'yyyy DDD')", 1496966400000),
            // Java reads EST as America/New_York (EDT in June).
            (
                "time_to_epoch('2017-06-09 10:19:46 EST', 'yyyy-MM-dd HH:mm:ss z')",
                1497017986000,
            ),
            // A time in the spring gap moves forward; one in the autumn overlap takes the earlier offset.
            (
                "time_to_epoch('2021-03-14 02:30 America/New_York', 'yyyy-MM-dd HH:mm VV')",
                1615707000000,
            ),
            (
                "time_to_epoch('2021-11-07 01:30 America/New_York', 'yyyy-MM-dd HH:mm VV')",
                1636263000000,
            ),
            (
                "time_to_epoch('2015-01-01 13:00 PM', 'yyyy-MM-dd HH:mm a')",
                1420117200000,
            ),
            // The smart resolver: February 30th is the 28th.
            ("time_to_epoch('2015-02-30', 'yyyy-MM-dd')", 1425081600000),
            // The last day chrono holds.
            (
                "time_to_epoch('262142-12-31 23:59 Z', 'yyyyyy-MM-dd HH:mm XXX')",
                8210266876740000,
            ),
            (
                "time_to_epoch('262142-12-31 23:59 Europe/Paris', 'yyyyyy-MM-dd HH:mm VV')",
                8210266873140000,
            ),
        ];
        for (expr, ms) in cases {
            assert_eq!(val(expr), Value::Int(*ms), "{expr}");
        }
    }

    #[test]
    fn time_to_epoch_of_what_the_pattern_does_not_read_is_undefined() {
        for expr in [
            "time_to_epoch('18 december 2015', 'dd MMMM yyyy')",
            "time_to_epoch('2015-13-01', 'yyyy-MM-dd')",
            "time_to_epoch('2015-1-01', 'yyyy-MM-dd')",
            "time_to_epoch('2015-01-01 25:00', 'yyyy-MM-dd HH:mm')",
            "time_to_epoch('2015-01-01 x', 'yyyy-MM-dd')",
            "time_to_epoch('Thu, 09 Jun 17', 'EEE, dd MMM yy')",
            "time_to_epoch('2015-01-01 Mars/Olympus', 'yyyy-MM-dd VV')",
            "time_to_epoch('2015-01-01 01:00 PM', 'yyyy-MM-dd HH:mm a')",
            // A zone that moves the last day chrono holds past its range.
            "time_to_epoch('262142-12-31 23:59 -14:00', 'yyyyyy-MM-dd HH:mm XXX')",
            "time_to_epoch(missing, 'yyyy-MM-dd')",
            "time_to_epoch(null, 'yyyy-MM-dd')",
        ] {
            assert_eq!(val(expr), U, "{expr}");
        }
    }

    #[test]
    fn time_to_epoch_checks_its_pattern() {
        assert_eq!(check("yyyy-MM-dd HH:mm:ss.SSS z"), None);
        assert_eq!(check("dd MMMM yyyy"), None);
        for (pattern, says) in [
            ("yyyy-MM", "no full date"),
            ("yyyy-MM-dd hh:mm", "without `a`"),
            ("yyyy-MM-dd Q", "`Q`"),
            ("yyyy-MM-dd zzzz", "`zzzz`"),
            ("yyyy-MM-dd V", "`V`"),
            ("yyyy-MM-dd[ HH]", "reserves"),
        ] {
            let message = check(pattern).unwrap_or_default();
            assert!(message.contains(says), "{pattern}: {message}");
        }
    }

    /// java.time's answers, recorded by `scripts/java-time-check` (JDK 17), for the cases of
    /// `time_java_cases.tsv`: the evaluator gives each the same answer (`<undefined>` is Java throwing).
    #[test]
    fn java_time_cases() {
        let literal = |text: &str| format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"));
        let mut checked = 0;
        for line in include_str!("time_java_cases.tsv").lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let [input, pattern, java] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("three fields: {line}");
            };
            let expr = format!("time_to_epoch({}, {})", literal(input), literal(pattern));
            let expected = match java {
                "<undefined>" => U,
                ms => Value::Int(ms.parse().unwrap_or_else(|e| panic!("{line}: {e}"))),
            };
            assert_eq!(val(&expr), expected, "{line}");
            checked += 1;
        }
        assert!(checked >= 50, "{checked} cases");
    }
}
