//! Flapping and client-ID conflicts, counted as the notifications count them (`src/notify.rs`,
//! `templates/count_function.py`): a burst is N events of a client within S by their stamps, and each window aligned
//! at a multiple of S in which a burst ends is one episode, so the report marks where the stack sends `Device
//! Flapping` and `Client ID Conflict`.

use super::{CONFLICT_TAKEOVERS, CONFLICT_WITHIN_MS, FLAPPING_DISCONNECTS, FLAPPING_WITHIN_MS};

/// The thresholds of both patterns. The defaults are the notifications' ([`FLAPPING_DISCONNECTS`] within
/// [`FLAPPING_WITHIN_MS`], [`CONFLICT_TAKEOVERS`] within [`CONFLICT_WITHIN_MS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub flapping_disconnects: usize,
    pub flapping_within_ms: i64,
    pub conflict_takeovers: usize,
    pub conflict_within_ms: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            flapping_disconnects: FLAPPING_DISCONNECTS,
            flapping_within_ms: FLAPPING_WITHIN_MS,
            conflict_takeovers: CONFLICT_TAKEOVERS,
            conflict_within_ms: CONFLICT_WITHIN_MS,
        }
    }
}

/// A client's episodes of one pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Episodes {
    /// Where each episode is: the stamp of the first burst that ends in its window (the burst the notification
    /// describes when the events arrive in order).
    pub at: Vec<i64>,
    /// The most events within one span of the window's length, anywhere in the period.
    pub peak: usize,
}

/// The episodes of `n` stamps within `within` ms in `stamps`, which are sorted: a burst ends at a stamp `d` when at
/// least `n` stamps lie in `(d - within, d]`, and each window `[k * within, (k + 1) * within)` in which one ends is
/// one episode.
pub fn episodes(stamps: &[i64], n: usize, within: i64) -> Episodes {
    let mut out = Episodes::default();
    let (n, within) = (n.max(1), within.max(1));
    let mut first = 0usize;
    let mut told = None;
    for (i, &t) in stamps.iter().enumerate() {
        while t - stamps[first] >= within {
            first += 1;
        }
        let inside = i + 1 - first;
        out.peak = out.peak.max(inside);
        // Sorted stamps meet the windows in order: the last one told is the only one to compare with.
        let window = t.div_euclid(within);
        if inside >= n && told != Some(window) {
            out.at.push(t);
            told = Some(window);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_told_once_per_window_in_which_one_ends() {
        let m = 60_000;
        // Five in four minutes: one episode at the fifth.
        let s = [0, m, 2 * m, 3 * m, 4 * m];
        assert_eq!(
            episodes(&s, 5, 10 * m),
            Episodes {
                at: vec![4 * m],
                peak: 5
            }
        );
        // One a minute for twenty minutes: bursts end from minute 4 on, in two windows (0-10 and 10-20).
        let s: Vec<i64> = (0..20).map(|i| i * m).collect();
        assert_eq!(episodes(&s, 5, 10 * m).at, vec![4 * m, 10 * m]);
        // Eight within 185 s across the boundary at minute 10: one episode, where the notifications send one.
        let s: Vec<i64> = (0..8).map(|i| 10 * m - 100_000 + i * 26_000).collect();
        assert_eq!(episodes(&s, 5, 10 * m).at, vec![s[4]]);
        // Spread out: none, and the peak says how close it came.
        let s: Vec<i64> = (0..10).map(|i| i * 3 * m).collect();
        let e = episodes(&s, 5, 10 * m);
        assert!(e.at.is_empty());
        assert_eq!(e.peak, 4);
        // Within means less than the window apart: (d - S, d].
        assert_eq!(
            episodes(&[0, 5, 10 * m - 1], 3, 10 * m).at,
            vec![10 * m - 1]
        );
        assert!(episodes(&[0, 5, 10 * m], 3, 10 * m).at.is_empty());
        assert_eq!(episodes(&[], 5, m), Episodes::default());
    }

    /// The rule as written, on every stamp: the windows told are those holding a stamp with `n` in `(d - S, d]`.
    #[test]
    fn episodes_are_the_windows_in_which_a_burst_ends() {
        let mut seed = 7u64;
        let mut next = move |bound: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % bound
        };
        for _ in 0..500 {
            let (n, within) = (1 + next(5) as usize, 1 + next(1_000) as i64);
            let mut stamps: Vec<i64> = (0..next(30)).map(|_| next(5_000) as i64).collect();
            stamps.sort_unstable();
            let mut windows: Vec<i64> = stamps
                .iter()
                .filter(|&&d| stamps.iter().filter(|&&e| d - within < e && e <= d).count() >= n)
                .map(|d| d.div_euclid(within))
                .collect();
            windows.dedup();
            let got: Vec<i64> = episodes(&stamps, n, within)
                .at
                .iter()
                .map(|d| d.div_euclid(within))
                .collect();
            assert_eq!(got, windows, "{stamps:?}, {n} within {within}");
        }
    }

    #[test]
    fn three_takeovers_within_five_minutes_is_a_conflict() {
        let m = 60_000;
        let t = Thresholds::default();
        let e = episodes(
            &[0, 2 * m, 4 * m, 20 * m, 21 * m],
            t.conflict_takeovers,
            t.conflict_within_ms,
        );
        assert_eq!(e.at, vec![4 * m]);
        assert_eq!(e.peak, 3);
    }
}
