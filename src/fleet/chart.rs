//! Connected devices over the period, from the devices' intervals, downsampled to a fixed number of buckets and
//! drawn as inline SVG. Each bucket keeps the most and the fewest devices connected at any moment in it and the
//! count at its end, so a short dip or storm between two samples still shows. The count at the report's time is
//! the number of open intervals: the `connected` count of the statuses.

use std::fmt::Write as _;

use super::history::Device;
use crate::status::report::iso;

/// How many buckets the period is cut into (the chart is drawn 2 units a bucket).
pub const BUCKETS: usize = 500;

/// The downsampled count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Curve {
    pub start: i64,
    pub end: i64,
    /// Per bucket `[lo, hi, last]`: the fewest and most devices connected at any moment in the bucket, and how
    /// many at its end (for the last bucket: at the report's time).
    pub buckets: Vec<[u64; 3]>,
    /// The most devices connected at any moment of the period.
    pub max: u64,
}

impl Curve {
    /// How many devices are connected at the end of the period.
    pub fn last(&self) -> u64 {
        self.buckets.last().map_or(0, |b| b[2])
    }
}

/// The curve of `devices` over `[start, end]`.
pub fn curve(devices: &[Device], start: i64, end: i64) -> Curve {
    let end = end.max(start + 1);
    // +1 where an interval starts, -1 where it ends; an open interval never ends in the period.
    let mut steps: Vec<(i64, i64)> = Vec::new();
    for d in devices {
        for iv in &d.intervals {
            if !iv.open && iv.end <= iv.start {
                continue;
            }
            steps.push((iv.start.max(start), 1));
            if !iv.open {
                steps.push((iv.end.max(start), -1));
            }
        }
    }
    // At one instant, ends before starts: [start, end) intervals that touch are never both counted.
    steps.sort_unstable();
    let span = i128::from(end) - i128::from(start);
    let bucket_of = |t: i64| -> usize {
        let k = (i128::from(t) - i128::from(start)) * BUCKETS as i128 / span;
        usize::try_from(k.clamp(0, BUCKETS as i128 - 1)).unwrap_or(0)
    };
    let mut buckets = vec![[0u64; 3]; BUCKETS];
    let mut count: i64 = 0;
    let mut i = 0;
    let mut max = 0u64;
    for (b, slot) in buckets.iter_mut().enumerate() {
        let here = u64::try_from(count).unwrap_or(0);
        let (mut lo, mut hi) = (here, here);
        // Every step inside this bucket (the last bucket takes everything up to `end`, inclusive).
        while i < steps.len() && (bucket_of(steps[i].0) == b || (b == BUCKETS - 1)) {
            count += steps[i].1;
            i += 1;
            let c = u64::try_from(count).unwrap_or(0);
            lo = lo.min(c);
            hi = hi.max(c);
        }
        let c = u64::try_from(count).unwrap_or(0);
        *slot = [lo, hi, c];
        max = max.max(hi);
    }
    Curve {
        start,
        end,
        buckets,
        max,
    }
}

/// The chart as an inline `<svg>`: a band from the fewest to the most devices in each bucket, a line of the
/// count at each bucket's end, the axes labelled with UTC times and counts. Coordinates are integers, so the
/// same curve gives the same bytes.
pub fn svg(curve: &Curve) -> String {
    const W: i64 = 1000;
    const H: i64 = 220;
    const LEFT: i64 = 56;
    const TOP: i64 = 12;
    const BOTTOM: i64 = 30;
    let plot_w = W - LEFT - 12;
    let plot_h = H - TOP - BOTTOM;
    let top = nice_ceiling(curve.max.max(1));
    let n = curve.buckets.len().max(1) as i64;
    let x = |b: i64| LEFT + b * plot_w / n;
    let y = |v: u64| TOP + plot_h - (v as i64) * plot_h / (top as i64);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg id=\"fleet-chart\" class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"fleet-chart-title\">\
         <title id=\"fleet-chart-title\">Connected devices from {} to {}: at most {}, {} at the end</title>",
        iso(curve.start),
        iso(curve.end),
        curve.max,
        curve.last()
    );
    // Horizontal grid and the count axis.
    for k in 0..=4u64 {
        let v = top * k / 4;
        let yy = y(v);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
            LEFT + plot_w,
            LEFT - 6,
            yy + 4
        );
    }
    // Time axis: five labels, the first and last at the period's ends.
    for k in 0..=4i64 {
        let t = curve.start
            + i64::try_from((i128::from(curve.end) - i128::from(curve.start)) * i128::from(k) / 4)
                .unwrap_or(0);
        let xx = LEFT + plot_w * k / 4;
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let label = iso(t);
        let _ = write!(
            s,
            "<line class=\"tick\" x1=\"{xx}\" y1=\"{}\" x2=\"{xx}\" y2=\"{}\"/>\
             <text class=\"axis\" x=\"{xx}\" y=\"{}\" text-anchor=\"{anchor}\">{} {}</text>",
            TOP + plot_h,
            TOP + plot_h + 4,
            H - 8,
            &label[..10],
            &label[11..16]
        );
    }
    if !curve.buckets.is_empty() {
        // The band: along the tops, back along the bottoms.
        s.push_str("<path class=\"band\" d=\"");
        for (b, v) in curve.buckets.iter().enumerate() {
            let b = b as i64;
            let _ = write!(
                s,
                "{}{} {}H{}",
                if b == 0 { "M" } else { "L" },
                x(b),
                y(v[1]),
                x(b + 1)
            );
        }
        for (b, v) in curve.buckets.iter().enumerate().rev() {
            let b = b as i64;
            let _ = write!(s, "L{} {}H{}", x(b + 1), y(v[0]), x(b));
        }
        s.push_str("Z\"/>");
        // The line: the count at each bucket's end, as steps.
        s.push_str("<path class=\"line\" d=\"");
        let mut prev = y(curve.buckets[0][0]);
        let _ = write!(s, "M{} {prev}", x(0));
        for (b, v) in curve.buckets.iter().enumerate() {
            let yy = y(v[2]);
            let xx = x(b as i64 + 1);
            if yy != prev {
                let _ = write!(s, "H{xx}V{yy}");
                prev = yy;
            }
        }
        let _ = write!(s, "H{}\"/>", x(n));
    }
    let _ = write!(
        s,
        "<rect class=\"frame\" x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\"/></svg>"
    );
    s
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `v`, so the axis has round numbers; a
/// multiple of 4 where it can, for the four grid steps.
fn nice_ceiling(v: u64) -> u64 {
    if v <= 4 {
        return 4;
    }
    let mut p = 1u64;
    while p.saturating_mul(10) <= v {
        p *= 10;
    }
    for m in [1u64, 2, 4, 5, 8, 10] {
        let c = p.saturating_mul(m);
        if c >= v {
            return c;
        }
    }
    p.saturating_mul(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::history::Interval;
    use crate::fleet::patterns::Episodes;
    use crate::status::{State, Status, Unknown};

    fn device(intervals: Vec<Interval>) -> Device {
        Device {
            status: Status {
                client_id: "d".into(),
                state: State::Unknown(Unknown::NoData {
                    connect_failed: 0,
                    later_events: false,
                }),
                events: 0,
                guess: None,
            },
            intervals,
            disconnects: vec![],
            failures: vec![],
            unknown_from: None,
            last_reason: None,
            flapping: Episodes::default(),
            conflict: Episodes::default(),
            takeovers: 0,
        }
    }

    fn iv(start: i64, end: i64, open: bool) -> Interval {
        Interval {
            start,
            end,
            open,
            reason: 0,
        }
    }

    #[test]
    fn the_last_point_counts_the_open_intervals_and_dips_show() {
        let devices = vec![
            device(vec![iv(0, 100, false), iv(100, 1000, true)]),
            device(vec![iv(10, 999, false)]),
            device(vec![iv(500, 501, false)]),
        ];
        let c = curve(&devices, 0, 1000);
        assert_eq!(c.last(), 1);
        assert_eq!(c.max, 3);
        // Touching intervals of one device never count twice.
        assert!(c.buckets.iter().all(|b| b[1] <= 3));
        // A one-millisecond interval inside a bucket still raises its top.
        assert_eq!(c.buckets[250][1], 3);
        assert_eq!(c.buckets[BUCKETS - 1][0], 1);
    }

    #[test]
    fn nice_axis_tops() {
        assert_eq!(nice_ceiling(1), 4);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(9_876), 10_000);
        assert_eq!(nice_ceiling(4_100), 5_000);
    }

    #[test]
    fn the_svg_is_deterministic_and_names_its_ends() {
        let c = curve(&[device(vec![iv(0, 10, false)])], 0, 86_400_000);
        let a = svg(&c);
        assert_eq!(a, svg(&c));
        assert!(a.contains("1970-01-01T00:00:00.000Z to 1970-01-02T00:00:00.000Z"));
        assert!(a.starts_with("<svg") && a.ends_with("</svg>"));
    }
}
