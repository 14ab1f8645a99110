//! The page: static HTML for what is small (the counts, the fleet chart, the lists of flapping and conflicting
//! clients), and every device as compact JSON (`<script type="application/json" id="fleet-data">`) that the
//! page's script turns into a sortable, filterable table, a page at a time, and each device's timeline, drawn
//! when its row is shown. Nothing is fetched: the style, the script and the SVG are inline, and a
//! Content-Security-Policy forbids any load.
//!
//! The data's times are relative to the period's start: `since` in milliseconds, timelines in whole seconds,
//! delta-coded (each interval as the gap since the previous one's end and its length), which keeps a fleet of
//! 10,000 devices and a million events to a few megabytes. The layout of a device's array is `DEVICE_FIELDS`,
//! written into the data so that the script names each position.

use std::fmt::Write as _;

use super::history::Device;
use super::{Fleet, chart};
use crate::status::report::{Counts, detail, duration, iso};
use crate::status::{State, Unknown};

/// Forbids every fetch: only the page's own inline style and script, and `data:` images.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The names of the positions of a device's array in the data, in order.
pub const DEVICE_FIELDS: [&str; 22] = [
    "id",
    "state",
    "why",
    "since",
    "session",
    "version",
    "guess",
    "reason",
    "disconnects",
    "flapEpisodes",
    "flapPeak",
    "takeovers",
    "conflictEpisodes",
    "intervals",
    "open",
    "marks",
    "failures",
    "unknownFrom",
    "flapAt",
    "conflictAt",
    "detail",
    "events",
];

/// How many clients each of the two lists shows.
const LIST_LENGTH: usize = 20;

pub(crate) fn page(fleet: &Fleet) -> String {
    let c = &fleet.counts;
    let mut s = String::with_capacity(64 * 1024 + fleet.devices.len() * 256);
    let title = format!(
        "Fleet of pipeline {}, as of {}",
        fleet.source.pipeline,
        iso(fleet.at)
    );
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        s,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">"
    );
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(s, "<title>{}</title>", escape(&title));
    let _ = writeln!(s, "<style>\n{STYLE}</style>\n</head>");
    let flapping = fleet
        .devices
        .iter()
        .filter(|d| !d.flapping.at.is_empty())
        .count();
    let conflicts = fleet
        .devices
        .iter()
        .filter(|d| !d.conflict.at.is_empty())
        .count();
    let _ = writeln!(
        s,
        "<body data-connected=\"{}\" data-disconnected=\"{}\" data-unknown=\"{}\" data-clients=\"{}\" \
         data-flapping=\"{flapping}\" data-conflicts=\"{conflicts}\" data-at=\"{}\">",
        c.connected,
        c.disconnected,
        c.unknown,
        fleet.devices.len(),
        fleet.at
    );
    header(&mut s, fleet);
    summary(&mut s, c, flapping, conflicts, fleet);
    s.push_str("<section class=\"panel\">\n<h2>Connected devices over time</h2>\n");
    s.push_str(&chart::svg(&fleet.curve));
    let _ = writeln!(
        s,
        "\n<p class=\"note\"><span class=\"key line\"></span> connected at the end of each of {} steps of {} \
         <span class=\"key band\"></span> fewest to most within the step. Counted from the same intervals as \
         the timelines: {} at the end, the <em>connected</em> count.</p>\n</section>",
        chart::BUCKETS,
        duration((fleet.curve.end - fleet.curve.start) / chart::BUCKETS as i64),
        fleet.curve.last()
    );
    lists(&mut s, fleet);
    devices_section(&mut s, fleet);
    footer(&mut s, fleet);
    s.push_str("<script type=\"application/json\" id=\"fleet-data\">");
    data(&mut s, fleet);
    s.push_str("</script>\n<script>\n");
    s.push_str(SCRIPT);
    s.push_str("</script>\n</body>\n</html>\n");
    s
}

fn header(s: &mut String, fleet: &Fleet) {
    let _ = writeln!(
        s,
        "<header>\n<h1>Fleet of pipeline <code>{}</code></h1>",
        escape(&fleet.source.pipeline)
    );
    let _ = write!(
        s,
        "<p class=\"meta\">As of <time datetime=\"{at}\">{at}</time>{now} &middot; events from \
         <time datetime=\"{start}\">{start}</time> &middot; {items} item{plural}{table}",
        at = iso(fleet.at),
        now = if fleet.now { " (now)" } else { "" },
        start = iso(fleet.start),
        items = fleet.source.items,
        plural = if fleet.source.items == 1 { "" } else { "s" },
        table = if fleet.source.status_table {
            " of a status table (latest states only: no history)"
        } else {
            ""
        },
    );
    if fleet.source.problems > 0 {
        let _ = write!(
            s,
            " &middot; <strong class=\"problem\">{} item(s), line(s) or page(s) could not be read and are left \
             out</strong>",
            fleet.source.problems
        );
    }
    s.push_str("</p>\n</header>\n");
}

fn summary(s: &mut String, c: &Counts, flapping: usize, conflicts: usize, fleet: &Fleet) {
    let total = c.connected + c.disconnected + c.unknown;
    let reasons: Vec<String> = [
        (c.near_time, "near-time"),
        (c.takeover_pending, "takeover-pending"),
        (c.no_data, "no-data"),
        (c.ambiguous, "ambiguous"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}"))
    .collect();
    s.push_str("<section class=\"summary\">\n");
    let card = |s: &mut String, class: &str, n: String, label: &str, note: &str| {
        let _ = writeln!(
            s,
            "<div class=\"card {class}\"><div class=\"n\" id=\"count-{class}\">{n}</div><div>{label}</div>\
             <div class=\"sub\">{note}</div></div>"
        );
    };
    card(s, "clients", total.to_string(), "clients", "");
    card(
        s,
        "connected",
        c.connected.to_string(),
        "connected",
        &percent(c.connected, total),
    );
    card(
        s,
        "disconnected",
        c.disconnected.to_string(),
        "disconnected",
        &percent(c.disconnected, total),
    );
    card(
        s,
        "unknown",
        c.unknown.to_string(),
        "unknown",
        &escape(&reasons.join(", ")),
    );
    let t = &fleet.thresholds;
    card(
        s,
        "flapping",
        flapping.to_string(),
        "flapping",
        &format!(
            "{} disconnects within {}",
            t.flapping_disconnects,
            minutes(t.flapping_within_ms)
        ),
    );
    card(
        s,
        "conflict",
        conflicts.to_string(),
        "client IDs in conflict",
        &format!(
            "{} takeovers within {}",
            t.conflict_takeovers,
            minutes(t.conflict_within_ms)
        ),
    );
    s.push_str("</section>\n");
}

/// A window for people: `10 minutes`, `1 minute`, `90 seconds`.
fn minutes(ms: i64) -> String {
    match ms {
        60_000 => "1 minute".to_owned(),
        m if m % 60_000 == 0 => format!("{} minutes", m / 60_000),
        m if m % 1000 == 0 => format!("{} seconds", m / 1000),
        m => format!("{m} ms"),
    }
}

fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        return String::new();
    }
    let tenths = n * 1000 / total;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn lists(s: &mut String, fleet: &Fleet) {
    let t = &fleet.thresholds;
    s.push_str(
        "<section class=\"lists\">\n<div class=\"panel\">\n<h2>Devices that flap most</h2>\n",
    );
    let mut flap: Vec<&Device> = fleet
        .devices
        .iter()
        .filter(|d| !d.flapping.at.is_empty())
        .collect();
    flap.sort_by(|a, b| {
        (b.flapping.at.len(), b.flapping.peak, b.disconnects.len())
            .cmp(&(a.flapping.at.len(), a.flapping.peak, a.disconnects.len()))
            .then_with(|| a.status.client_id.cmp(&b.status.client_id))
    });
    if flap.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"none\" id=\"no-flapping\">No device had {} disconnects within {}.</p>",
            t.flapping_disconnects,
            minutes(t.flapping_within_ms)
        );
    } else {
        let _ = writeln!(
            s,
            "<table class=\"list\" id=\"flapping\"><thead><tr><th>client</th><th title=\"{} disconnects within {}, \
             counted once per window\">episodes</th><th title=\"most disconnects within {}\">peak</th>\
             <th>disconnects</th><th>state</th></tr></thead><tbody>",
            t.flapping_disconnects,
            minutes(t.flapping_within_ms),
            minutes(t.flapping_within_ms)
        );
        for d in flap.iter().take(LIST_LENGTH) {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td><span class=\"state {st}\">{st}</span></td></tr>",
                client_link(&d.status.client_id),
                d.flapping.at.len(),
                d.flapping.peak,
                d.disconnects.len(),
                st = d.status.state.name()
            );
        }
        s.push_str("</tbody></table>\n");
        more(s, flap.len(), "flap=1");
    }
    s.push_str("</div>\n<div class=\"panel\">\n<h2>Client IDs in conflict</h2>\n");
    let mut conflict: Vec<&Device> = fleet
        .devices
        .iter()
        .filter(|d| !d.conflict.at.is_empty())
        .collect();
    conflict.sort_by(|a, b| {
        (b.conflict.at.len(), b.takeovers)
            .cmp(&(a.conflict.at.len(), a.takeovers))
            .then_with(|| a.status.client_id.cmp(&b.status.client_id))
    });
    if conflict.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"none\" id=\"no-conflict\">No client ID was taken over (DUPLICATE_CLIENTID) {} times within \
             {}.</p>",
            t.conflict_takeovers,
            minutes(t.conflict_within_ms)
        );
    } else {
        let _ = writeln!(
            s,
            "<table class=\"list\" id=\"conflicts\"><thead><tr><th>client</th><th title=\"{} takeovers \
             (DUPLICATE_CLIENTID) within {}, counted once per window\">episodes</th><th>takeovers</th>\
             <th>state</th></tr></thead><tbody>",
            t.conflict_takeovers,
            minutes(t.conflict_within_ms)
        );
        for d in conflict.iter().take(LIST_LENGTH) {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td><span class=\"state {st}\">{st}</span></td></tr>",
                client_link(&d.status.client_id),
                d.conflict.at.len(),
                d.takeovers,
                st = d.status.state.name()
            );
        }
        s.push_str("</tbody></table>\n");
        more(s, conflict.len(), "conflict=1");
    }
    s.push_str(
        "<p class=\"note\">Two devices that share a client ID take it from each other in turn: each connect \
         ends the other's connection with <code>DUPLICATE_CLIENTID</code>.</p>\n</div>\n</section>\n",
    );
}

fn more(s: &mut String, n: usize, filter: &str) {
    if n > LIST_LENGTH {
        let _ = writeln!(
            s,
            "<p class=\"note\"><a href=\"#{filter}\">All {n} in the device table</a></p>"
        );
    }
}

fn client_link(id: &str) -> String {
    format!(
        "<a class=\"client\" href=\"#device={}\">{}</a>",
        escape(&fragment(id)),
        escape(id)
    )
}

fn devices_section(s: &mut String, fleet: &Fleet) {
    let _ = writeln!(
        s,
        "<section class=\"panel\" id=\"devices\">\n<h2>Devices</h2>\n\
         <div class=\"controls\">\
         <label>Client <input id=\"q\" type=\"search\" placeholder=\"part of a client ID\" autocomplete=\"off\"></label>\
         <label>State <select id=\"state\"><option value=\"\">all</option><option value=\"connected\">connected</option>\
         <option value=\"disconnected\">disconnected</option><option value=\"unknown\">unknown</option></select></label>\
         <label><input id=\"flap\" type=\"checkbox\"> flapping</label>\
         <label><input id=\"conflict\" type=\"checkbox\"> in conflict</label>\
         <span id=\"shown\" class=\"shown\"></span></div>\n\
         <div id=\"detail\" class=\"detail\" hidden></div>\n\
         <table id=\"device-table\" class=\"devices\"><colgroup><col class=\"c-id\"><col class=\"c-state\">\
         <col class=\"c-since\"><col class=\"c-for\"><col class=\"c-session\"><col class=\"c-reason\">\
         <col class=\"c-disc\"><col class=\"c-tl\"></colgroup><thead><tr>\
         <th data-key=\"id\">client</th><th data-key=\"state\">state</th><th data-key=\"since\">since (UTC)</th>\
         <th data-key=\"for\">for</th><th data-key=\"session\">session</th>\
         <th data-key=\"reason\">last disconnect</th><th data-key=\"disconnects\" class=\"num\">disconnects</th>\
         <th class=\"tl\" title=\"{} to {}\">timeline</th></tr></thead>\n<tbody id=\"rows\"></tbody></table>\n\
         <div class=\"pager\"><button id=\"prev\" type=\"button\">&larr; previous</button> \
         <span id=\"page\"></span> <button id=\"next\" type=\"button\">next &rarr;</button></div>\n\
         <div id=\"legend\" class=\"legend\"></div>\n\
         <noscript><p class=\"problem\">The device table and the timelines are drawn by the page's script: allow \
         scripts for this file to see them. The counts, the chart and the lists above need none.</p></noscript>\n\
         </section>",
        &iso(fleet.start)[..16].replace('T', " "),
        &iso(fleet.at)[..16].replace('T', " ")
    );
}

fn footer(s: &mut String, fleet: &Fleet) {
    let _ = writeln!(
        s,
        "<footer><p>Written by <code>presence-stack report</code> from the items of pipeline <code>{}</code>, with \
         the rules of <code>presence-stack status</code> (window {}, timestamp error {}): the same answers and the \
         same counts. A timeline's bars are the connected intervals, in the order those rules give; a connection \
         ends at its disconnect or at the next connection's connect, whichever comes first. <em>unknown</em> \
         shows from where an answer stops being certain; <code>~</code> marks a best guess. Times are UTC.</p>\
         </footer>",
        escape(&fleet.source.pipeline),
        minutes(fleet.params.window_ms),
        minutes(fleet.params.timestamp_error_ms)
    );
}

/// Whole seconds since the period's start.
fn secs(t: i64, start: i64) -> i64 {
    (t - start).div_euclid(1000)
}

fn data(s: &mut String, fleet: &Fleet) {
    let start = fleet.start;
    let _ = write!(
        s,
        "{{\"start\":{},\"at\":{},\"now\":{},\"flapping\":[{},{}],\"conflict\":[{},{}],\"fields\":[",
        start,
        fleet.at,
        fleet.now,
        fleet.thresholds.flapping_disconnects,
        fleet.thresholds.flapping_within_ms,
        fleet.thresholds.conflict_takeovers,
        fleet.thresholds.conflict_within_ms
    );
    for (i, f) in DEVICE_FIELDS.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        json_string(s, f);
    }
    s.push_str("],\"reasons\":[");
    for (i, r) in fleet.reasons.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        json_string(s, r);
    }
    let takeover = fleet
        .reasons
        .iter()
        .position(|r| r == crate::status::TAKEOVER_REASON)
        .map_or(0, |i| i + 1);
    let _ = write!(s, "],\"takeover\":{takeover},\"devices\":[");
    for (i, d) in fleet.devices.iter().enumerate() {
        if i > 0 {
            s.push_str(",\n");
        } else {
            s.push('\n');
        }
        device(s, d, start);
    }
    s.push_str("\n]}");
}

fn device(s: &mut String, d: &Device, start: i64) {
    let st = &d.status;
    s.push('[');
    json_string(s, &st.client_id);
    let (state, why) = match &st.state {
        State::Connected { .. } => (0, ""),
        State::Disconnected { .. } => (1, ""),
        State::Unknown(u) => (2, u.name()),
    };
    let _ = write!(s, ",{state},");
    json_string(s, why);
    // since, session, version, guess: the state's own, or an unknown answer's best guess (guess 1 connected,
    // 2 disconnected) or, for a takeover waiting for its connect, its disconnect.
    let (since, session, version, guess) = match &st.state {
        State::Connected {
            since,
            session,
            version,
        }
        | State::Disconnected {
            since,
            session,
            version,
            ..
        } => (Some(*since), session.as_str(), Some(*version), 0),
        State::Unknown(u) => match &st.guess {
            Some(g) => (
                Some(g.since),
                g.session.as_str(),
                Some(g.version),
                if g.disconnect { 2 } else { 1 },
            ),
            None => match u {
                Unknown::TakeoverPending { since, session } => {
                    (Some(*since), session.as_str(), None, 0)
                }
                _ => (None, "", None, 0),
            },
        },
    };
    s.push(',');
    match since {
        Some(t) => {
            let _ = write!(s, "{}", t - start);
        }
        None => s.push_str("null"),
    }
    s.push(',');
    json_string(s, session);
    match version {
        Some(v) => {
            let _ = write!(s, ",{v}");
        }
        None => s.push_str(",null"),
    }
    let _ = write!(
        s,
        ",{guess},{},{},{},{},{},{},",
        d.last_reason.unwrap_or(0),
        d.disconnects.len(),
        d.flapping.at.len(),
        d.flapping.peak,
        d.takeovers,
        d.conflict.at.len()
    );
    // Intervals: [gap since the previous end, length] in seconds.
    s.push('[');
    let mut cursor = 0i64;
    let mut open = false;
    for (i, iv) in d.intervals.iter().enumerate() {
        let a = secs(iv.start, start).max(cursor);
        let b = secs(iv.end, start).max(a);
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{},{}", a - cursor, b - a);
        cursor = b;
        open = iv.open;
    }
    let _ = write!(s, "],{},[", u8::from(open));
    // Disconnects: [gap since the previous mark, reason] in seconds.
    let mut cursor = 0i64;
    for (i, m) in d.disconnects.iter().enumerate() {
        let t = secs(m.at, start);
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{},{}", t - cursor, m.reason);
        cursor = t;
    }
    s.push_str("],[");
    let mut cursor = 0i64;
    for (i, &f) in d.failures.iter().enumerate() {
        let t = secs(f, start);
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{}", t - cursor);
        cursor = t;
    }
    let _ = write!(
        s,
        "],{},",
        d.unknown_from.map_or(-1, |t| secs(t, start).max(0))
    );
    for list in [&d.flapping.at, &d.conflict.at] {
        s.push('[');
        for (i, &t) in list.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{}", secs(t, start));
        }
        s.push_str("],");
    }
    match &st.state {
        State::Unknown(u) => json_string(s, &detail(u)),
        _ => s.push_str("\"\""),
    }
    let _ = write!(s, ",{}]", st.events);
}

/// A JSON string that is safe inside `<script>`: `<`, `>` and `&` as `\u` escapes, so no `</script>` can end
/// the data early.
fn json_string(s: &mut String, text: &str) {
    let quoted = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned());
    for ch in quoted.chars() {
        match ch {
            '<' => s.push_str("\\u003c"),
            '>' => s.push_str("\\u003e"),
            '&' => s.push_str("\\u0026"),
            '\u{2028}' => s.push_str("\\u2028"),
            '\u{2029}' => s.push_str("\\u2029"),
            c => s.push(c),
        }
    }
}

/// Text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A client ID as a URL fragment's value: unreserved characters as they are, every other byte percent-encoded
/// (what the script's `decodeURIComponent` reads back).
fn fragment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_in_a_client_id_can_end_the_data_or_the_markup() {
        let mut s = String::new();
        json_string(&mut s, "</script><b>&\"\u{2028}");
        assert_eq!(
            s,
            "\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\\"\\u2028\""
        );
        assert_eq!(
            escape("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
        assert_eq!(fragment("plant/line 2é"), "plant%2Fline%202%C3%A9");
    }
}
