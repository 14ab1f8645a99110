//! The times people write for `--at`: epoch milliseconds, an RFC 3339 time, or an offset back from now.

/// A time as written on the command line, before the clock is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum At {
    /// Epoch milliseconds (written as such, or as an RFC 3339 time).
    Ms(i64),
    /// This many milliseconds before now (`-15m`).
    Ago(i64),
}

impl At {
    /// The time in epoch milliseconds, given the clock.
    pub(super) fn resolve(self, now: i64) -> i64 {
        match self {
            At::Ms(ms) => ms,
            At::Ago(ms) => now.saturating_sub(ms),
        }
    }
}

/// clap's parser for `--at`.
pub(super) fn parse(text: &str) -> Result<At, String> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse()
            .map(At::Ms)
            .map_err(|_| format!("`{t}` is too large for epoch milliseconds"));
    }
    if let Some(offset) = t.strip_prefix('-') {
        return ago(offset).map(At::Ago).ok_or_else(|| help(t));
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| At::Ms(d.timestamp_millis()))
        .map_err(|_| help(t))
}

/// `15m` as milliseconds: a whole number and one of `s`, `m`, `h`, `d`.
fn ago(offset: &str) -> Option<i64> {
    let unit = offset.chars().last()?;
    let scale: i64 = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return None,
    };
    let digits = &offset[..offset.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok()?.checked_mul(scale)
}

fn help(text: &str) -> String {
    format!(
        "`{text}` is not a time; write epoch milliseconds (1796637600000), an RFC 3339 time \
         (2026-12-07T10:00:00Z) or an offset back from now (-30s, -15m, -2h, -1d)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_ways_to_write_a_time() {
        assert_eq!(parse("1765101600000"), Ok(At::Ms(1_765_101_600_000)));
        assert_eq!(parse("2026-12-07T10:00:00Z"), Ok(At::Ms(1_796_637_600_000)));
        assert_eq!(
            parse("2026-12-07T11:00:00.250+01:00"),
            Ok(At::Ms(1_796_637_600_250))
        );
        assert_eq!(parse("-15m"), Ok(At::Ago(900_000)));
        assert_eq!(parse("-2h"), Ok(At::Ago(7_200_000)));
        assert_eq!(parse("-1d"), Ok(At::Ago(86_400_000)));
        assert_eq!(parse("-30s"), Ok(At::Ago(30_000)));
        assert_eq!(At::Ago(900_000).resolve(1_000_000), 100_000);
        assert_eq!(At::Ms(5).resolve(1_000_000), 5);
    }

    #[test]
    fn anything_else_says_what_to_write() {
        for bad in [
            "",
            "-",
            "-m",
            "-15",
            "-15w",
            "-1.5h",
            "--15m",
            "15m",
            "2026-12-07",
            "yesterday",
            "-99999999999999999d",
            "99999999999999999999",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.contains("RFC 3339") || e.contains("too large"),
                "{bad}: {e}"
            );
        }
    }
}
