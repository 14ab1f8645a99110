//! Flapping and client-ID conflicts: N events of a client within a window, counted as the notifications count
//! them (at most once per window and client: after an episode, the next needs N events after it).

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
    /// When each episode was reached: the stamp of its Nth event.
    pub at: Vec<i64>,
    /// The most events within one window, anywhere in the period.
    pub peak: usize,
}

/// The episodes of `n` stamps within `within` ms (the first and the last at most `within` apart) in `stamps`,
/// which are sorted.
pub fn episodes(stamps: &[i64], n: usize, within: i64) -> Episodes {
    let mut out = Episodes::default();
    let n = n.max(1);
    let (mut first, mut peak_first) = (0usize, 0usize);
    for (i, &t) in stamps.iter().enumerate() {
        while t - stamps[peak_first] > within {
            peak_first += 1;
        }
        out.peak = out.peak.max(i + 1 - peak_first);
        first = first.max(peak_first);
        while first < i && t - stamps[first] > within {
            first += 1;
        }
        if i + 1 - first >= n {
            out.at.push(t);
            first = i + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_within_ten_minutes_is_one_episode_and_the_next_needs_five_more() {
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
        // Nine in eight minutes: still one (the four after the first episode are not five).
        let s: Vec<i64> = (0..9).map(|i| i * m).collect();
        assert_eq!(episodes(&s, 5, 10 * m).at, vec![4 * m]);
        // Ten: two.
        let s: Vec<i64> = (0..10).map(|i| i * m).collect();
        assert_eq!(episodes(&s, 5, 10 * m).at, vec![4 * m, 9 * m]);
        // Spread out: none, and the peak says how close it came.
        let s: Vec<i64> = (0..10).map(|i| i * 3 * m).collect();
        let e = episodes(&s, 5, 10 * m);
        assert!(e.at.is_empty());
        assert_eq!(e.peak, 4);
        // Exactly the window apart counts; a millisecond more does not.
        assert_eq!(episodes(&[0, 5, 10 * m], 3, 10 * m).at, vec![10 * m]);
        assert!(episodes(&[0, 5, 10 * m + 1], 3, 10 * m).at.is_empty());
        assert_eq!(episodes(&[], 5, m), Episodes::default());
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
