//! `parse_time(pattern, timestamp[, timezone])` (page `iot-sql-functions`): milliseconds since the epoch
//! written out with a Joda-Time `DateTimeFormat` pattern in a time zone (default `UTC`), in English as AWS's
//! examples print it (`1970.01.01 AD at 21:46:40 CST`).
//!
//! Pattern letters formatted here, with Joda's meaning: `G` era (AD), `C` century of era, `Y` year of era,
//! `x` week-based year, `w` week of week-based year, `e` day of week (1 = Monday), `E` day name (`EEEE`
//! Monday, `E` Mon), `y` year, `D` day of year, `M` month (`MMMM` January, `MMM` Jan, `MM` 01), `d` day of
//! month, `a` AM/PM, `K` hour 0-11, `h` hour 1-12, `H` hour 0-23, `k` hour 1-24, `m` minute, `s` second, `S`
//! fraction of second (as many digits as letters), `z` zone abbreviation, `Z` offset (`-0600`; `ZZ`
//! `-06:00`; `ZZZ` the zone's name). Numbers are zero-padded to the number of letters; `yy`, `YY` and `xx`
//! print two digits. Any other letter, and `zzzz` (Java's long zone names, which the simulator does not
//! have), is refused before the rule runs.
//!
//! Time zones are the tz database's names (`chrono-tz`: the tz database compiled into the binary, the
//! standard companion of `chrono`, so results do not depend on the machine's zone files) and fixed offsets
//! such as `+08:00`. `z` prints the name Joda prints: Java's own where it is not the tz database's
//! abbreviation (BRT for America/Sao_Paulo, where the database says -03: [`JODA_ZONE_NAMES`], generated
//! from Joda-Time), else the database's abbreviation (CST, PST, UTC), else the offset (`-05:00` for
//! Etc/GMT+5), as Joda does for zones Java cannot name. In Morocco, Western Sahara and Namibia, whose
//! standard time Joda and the tz database disagree on, the standard and daylight names can be swapped. An
//! unknown zone, a timestamp that is not a number or a pattern Joda rejects give Undefined (inferred). `ZZZ`
//! prints the zone Joda names for an alias (Etc/GMT for GMT: [`JODA_CANONICAL_IDS`]). 511 cases are checked
//! against Joda-Time itself (`scripts/java-time-check`, `time_joda_cases.tsv`).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::{OffsetComponents, OffsetName};

use super::joda_zone_names::{JODA_CANONICAL_IDS, JODA_ZONE_NAMES};
use super::time_pattern::{DAYS, Dialect, MONTHS, Token, Zone, tokenize, zone};
use crate::sql::eval::convert::{to_int, to_str};
use crate::sql::eval::evaluated::Evaluated;
use crate::sql::eval::value::Value;

/// The pattern letters [`parse_time`] formats.
pub(super) const LETTERS: &str = "G C Y x w e E y D M d a K h H k m s S z Z";

/// Why a `parse_time` pattern cannot be formatted here; `None` when it can.
pub(super) fn check(pattern: &str) -> Option<String> {
    let tokens = match tokenize(pattern, Dialect::Joda) {
        Ok(tokens) => tokens,
        Err(what) => return Some(format!("its pattern has {what}")),
    };
    tokens.iter().find_map(|t| match *t {
        Token::Field { letter: 'z', count } if count >= 4 => Some(
            "its pattern asks for a long zone name (`zzzz`), which comes from Java's locale data; use `z` \
             (abbreviation) or `ZZZ` (zone name)"
                .to_owned(),
        ),
        Token::Field { letter, .. } if !LETTERS.contains(letter) || letter == ' ' => Some(format!(
            "its pattern uses the letter `{letter}`, which the simulator does not format (it formats \
             {LETTERS}; quote literal text: 'T')"
        )),
        _ => None,
    })
}

/// One instant as a pattern sees it: the local date and time, the offset and the zone's names.
struct Local {
    time: NaiveDateTime,
    offset: i32,
    abbreviation: Option<String>,
    zone_name: String,
}

fn local(ms: i64, zone: Zone) -> Option<Local> {
    let utc = DateTime::from_timestamp_millis(ms)?.naive_utc();
    let (offset, abbreviation, zone_name) = match zone {
        Zone::Named(tz) => {
            let offset = tz.offset_from_utc_datetime(&utc);
            let daylight = !offset.dst_offset().is_zero();
            let abbreviation = joda_name(tz.name(), daylight)
                .or_else(|| offset.abbreviation().filter(|a| !a.starts_with(['+', '-'])))
                .map(str::to_owned);
            let name = JODA_CANONICAL_IDS
                .binary_search_by(|(alias, _)| alias.cmp(&tz.name()))
                .map_or(tz.name(), |at| JODA_CANONICAL_IDS[at].1);
            (
                offset.fix().local_minus_utc(),
                abbreviation,
                name.to_owned(),
            )
        }
        Zone::Fixed(offset) => {
            let seconds = offset.local_minus_utc();
            (seconds, None, offset_text(seconds, true))
        }
    };
    // Checked: near the end of chrono's range, the local time may not exist.
    let time = utc.checked_add_signed(Duration::seconds(i64::from(offset)))?;
    Some(Local {
        time,
        offset,
        abbreviation,
        zone_name,
    })
}

/// The name Joda prints for `zone` where it is not the tz database's abbreviation.
fn joda_name(zone: &str, daylight: bool) -> Option<&'static str> {
    let at = JODA_ZONE_NAMES
        .binary_search_by(|(z, _, _)| z.cmp(&zone))
        .ok()?;
    let (_, standard, summer) = JODA_ZONE_NAMES[at];
    Some(if daylight { summer } else { standard }).filter(|n| !n.is_empty())
}

/// `parse_time(pattern, timestamp[, timezone])`.
pub(super) fn parse_time(
    pattern: &Evaluated<'_>,
    timestamp: &Evaluated<'_>,
    timezone: Option<Evaluated<'_>>,
) -> Value {
    let zone = match &timezone {
        None => Some(Zone::Named(chrono_tz::Tz::UTC)),
        Some(z) => to_str(z).and_then(|id| zone(&id)),
    };
    let (Some(pattern), Some(ms), Some(zone)) = (to_str(pattern), to_int(timestamp.kind()), zone)
    else {
        return Value::Undefined;
    };
    match (tokenize(&pattern, Dialect::Joda), local(ms, zone)) {
        (Ok(tokens), Some(local)) => {
            format(&tokens, &local).map_or(Value::Undefined, Value::String)
        }
        _ => Value::Undefined,
    }
}

fn format(tokens: &[Token], t: &Local) -> Option<String> {
    let mut out = String::new();
    let date = t.time.date();
    let year = date.year();
    let year_of_era = if year > 0 { year } else { 1 - year };
    for token in tokens {
        let (letter, count) = match token {
            Token::Literal(text) => {
                out.push_str(text);
                continue;
            }
            Token::Field { letter, count } => (*letter, *count),
        };
        let hour = t.time.hour();
        match letter {
            'G' => out.push_str(if year > 0 { "AD" } else { "BC" }),
            'C' => number(&mut out, i64::from(year_of_era / 100), count),
            'Y' => year_field(&mut out, year_of_era, count),
            'y' => year_field(&mut out, year, count),
            'x' => year_field(&mut out, date.iso_week().year(), count),
            'w' => number(&mut out, i64::from(date.iso_week().week()), count),
            'e' => number(
                &mut out,
                i64::from(date.weekday().number_from_monday()),
                count,
            ),
            'E' => text(
                &mut out,
                DAYS[date.weekday().num_days_from_monday() as usize],
                count,
            ),
            'D' => number(&mut out, i64::from(date.ordinal()), count),
            'M' if count >= 3 => text(&mut out, MONTHS[date.month0() as usize], count),
            'M' => number(&mut out, i64::from(date.month()), count),
            'd' => number(&mut out, i64::from(date.day()), count),
            'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
            'K' => number(&mut out, i64::from(hour % 12), count),
            'h' => number(&mut out, i64::from((hour + 11) % 12 + 1), count),
            'H' => number(&mut out, i64::from(hour), count),
            'k' => number(
                &mut out,
                i64::from(if hour == 0 { 24 } else { hour }),
                count,
            ),
            'm' => number(&mut out, i64::from(t.time.minute()), count),
            's' => number(&mut out, i64::from(t.time.second()), count),
            'S' => fraction(&mut out, t.time.nanosecond() / 1_000_000, count),
            'z' => match &t.abbreviation {
                Some(a) => out.push_str(a),
                None => out.push_str(&offset_text(t.offset, true)),
            },
            'Z' if count >= 3 => out.push_str(&t.zone_name),
            'Z' => out.push_str(&offset_text(t.offset, count == 2)),
            _ => return None,
        }
    }
    Some(out)
}

/// A number zero-padded to `width` digits (the sign before the padding).
fn number(out: &mut String, n: i64, width: usize) {
    let sign = if n < 0 { "-" } else { "" };
    let _ = write!(out, "{sign}{:0width$}", n.unsigned_abs());
}

/// `yy`: the last two digits; otherwise the year, zero-padded.
fn year_field(out: &mut String, year: i32, count: usize) {
    if count == 2 {
        let _ = write!(out, "{:02}", year.rem_euclid(100));
    } else {
        number(out, i64::from(year), count);
    }
}

/// Four letters or more: the whole name; fewer: its first three letters (English short names are those).
fn text(out: &mut String, name: &str, count: usize) {
    out.push_str(if count >= 4 { name } else { &name[..3] });
}

/// `count` digits of the fraction of the second, from its milliseconds.
fn fraction(out: &mut String, millis: u32, count: usize) {
    let digits = format!("{millis:03}");
    if count <= 3 {
        out.push_str(&digits[..count]);
    } else {
        out.push_str(&digits);
        out.push_str(&"0".repeat(count - 3));
    }
}

/// `+0800` or, with `colon`, `+08:00`.
fn offset_text(seconds: i32, colon: bool) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::eval::test_support::*;
    use crate::sql::eval::{Input, evaluate_expr};
    use crate::sql::parse_expr;
    use serde_json::json;

    /// 2017-06-09T17:19:46.123Z: the page's "current time" example, to the second.
    const JUNE_2017: i64 = 1_497_028_786_123;

    fn at(expr: &str, now_ms: i64) -> Value {
        let p = json!({});
        let input = Input {
            now_ms,
            ..Input::new("A/B", &p)
        };
        evaluate_expr(&parse_expr(expr).unwrap(), &input).unwrap()
    }

    #[test]
    fn parse_time_examples() {
        let cases: &[(&str, &str)] = &[
            // The page's three examples.
            (
                r#"parse_time("yyyy.MM.dd G 'at' HH:mm:ss z", 100000000, "America/Belize" )"#,
                "1970.01.01 AD at 21:46:40 CST",
            ),
            (
                r#"parse_time("yyyy.MM.dd G 'at' HH:mm:ss z", timestamp() )"#,
                "2017.06.09 AD at 17:19:46 UTC",
            ),
            ("parse_time('yyyy', timestamp(), 'UTC')", "2017"),
            // Every letter, in UTC and in a zone with daylight saving time.
            (
                "parse_time('EEEE d MMMM yyyy, h:mm a, SSS', timestamp(), 'America/Los_Angeles')",
                "Friday 9 June 2017, 10:19 AM, 123",
            ),
            (
                "parse_time('EEE, dd MMM yy HH:mm:ss Z', timestamp(), 'Europe/Paris')",
                "Fri, 09 Jun 17 19:19:46 +0200",
            ),
            (
                r#"parse_time("yyyy-MM-dd'T'HH:mm:ss.SSSZZ", timestamp(), '+05:30')"#,
                "2017-06-09T22:49:46.123+05:30",
            ),
            (
                "parse_time('ZZZ z', timestamp(), 'America/Belize')",
                "America/Belize CST",
            ),
            (
                "parse_time('ZZZ z', timestamp(), '-03:00')",
                "-03:00 -03:00",
            ),
            // America/Sao_Paulo has only a numeric abbreviation in the tz database; Joda prints Java's name.
            ("parse_time('z', timestamp(), 'America/Sao_Paulo')", "BRT"),
            // Etc/GMT+5 has none in Java either: Joda prints the offset.
            ("parse_time('z', timestamp(), 'Etc/GMT+5')", "-05:00"),
            (
                "parse_time('D e w x C Y G', timestamp())",
                "160 5 23 2017 20 2017 AD",
            ),
            ("parse_time('K k H h', timestamp(), 'UTC')", "5 17 17 5"),
            ("parse_time('S SS SSSS', timestamp())", "1 12 1230"),
            ("parse_time('yyyyy M d', timestamp())", "02017 6 9"),
            ("parse_time('k h a', 0)", "24 12 AM"),
        ];
        for (expr, expected) in cases {
            assert_eq!(at(expr, JUNE_2017), s(expected), "{expr}");
        }
    }

    #[test]
    fn parse_time_of_wrong_arguments_is_undefined() {
        for expr in [
            "parse_time('yyyy', 'soon')",
            "parse_time('yyyy', missing)",
            "parse_time('yyyy', null)",
            "parse_time('yyyy', 0, 'Mars/Olympus')",
            "parse_time('yyyy', 0, null)",
            "parse_time('yyyy', 9223372036854775807)",
            "parse_time('yyyy', -9223372036854775807)",
        ] {
            assert_eq!(at(expr, JUNE_2017), U, "{expr}");
        }
        // The last millisecond chrono holds: in UTC, and in the zone furthest east, past its range.
        let last = "parse_time('yyyy-MM-dd HH:mm', 8210266876799999";
        assert_eq!(at(&format!("{last})"), 0), s("262142-12-31 23:59"));
        assert_eq!(at(&format!("{last}, 'Pacific/Kiritimati')"), 0), U);
        // Numeric strings convert, as for every function taking a number.
        assert_eq!(at("parse_time('yyyy', '0')", 0), s("1970"));
    }

    #[test]
    fn parse_time_checks_its_pattern() {
        assert_eq!(check("yyyy.MM.dd G 'at' HH:mm:ss z"), None);
        let q = check("yyyy-MM-ddTHH").unwrap_or_default();
        assert!(q.contains("the letter `T`"), "{q}");
        assert!(check("zzzz").unwrap_or_default().contains("`zzzz`"));
        assert!(check("'open").unwrap_or_default().contains("not closed"));
    }

    /// Joda-Time's answers, recorded by `scripts/java-time-check` (Joda-Time 2.10.14, US English), for the
    /// cases of `time_joda_cases.tsv` (`z` in every zone of [`JODA_ZONE_NAMES`] in January and July): the
    /// evaluator gives the same answer, or refuses the pattern before the rule runs, except in the zones whose
    /// standard time Joda and the tz database disagree on (Morocco, Western Sahara and Namibia, in some seasons).
    #[test]
    fn joda_cases() {
        use crate::sql::eval::EvalError;
        let literal = |text: &str| format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"));
        let (mut agreed, mut refused, mut differ) = (0, Vec::new(), Vec::new());
        for line in include_str!("time_joda_cases.tsv").lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let [pattern, ms, zone, joda] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("four fields: {line}");
            };
            let zone = if zone.is_empty() {
                String::new()
            } else {
                format!(", {}", literal(zone))
            };
            let expr = format!("parse_time({}, {ms}{zone})", literal(pattern));
            let p = json!({});
            let got = match evaluate_expr(&parse_expr(&expr).unwrap(), &Input::new("t", &p)) {
                Ok(v) => v,
                Err(EvalError::UnsupportedArguments { .. }) => {
                    refused.push(pattern);
                    continue;
                }
                Err(e) => panic!("{expr}: {e}"),
            };
            let expected = if joda == "<undefined>" { U } else { s(joda) };
            if got == expected {
                agreed += 1;
            } else {
                differ.push((line, got));
            }
        }
        assert_eq!(refused, ["zzzz", "yyyy-MM-ddTHH"]);
        assert_eq!(
            differ,
            [
                ("z\t1484438400000\tAfrica/Casablanca\tWEST", s("WET")),
                ("z\t1484438400000\tAfrica/El_Aaiun\tWEST", s("WET")),
                ("z\t1484438400000\tAfrica/Windhoek\tWAT", s("CAT")),
                ("z\t1500076800000\tAfrica/Windhoek\tCAT", s("WAT")),
            ]
        );
        assert!(agreed >= 30, "{agreed} cases");
    }
}
