//! Generated fleet histories for `status`: the benchmark's input, and JSON lines for tests in other languages.
//!
//! ```text
//! cargo run --release --example status-history -- scan  ITEMS SEED OUT.json TRUTH.jsonl [DAYS]  # scan pages
//! cargo run --release --example status-history -- lines CLIENTS SEED                     # deliveries + truth, JSON lines
//! cargo run --release --example status-history -- compare TRUTH.jsonl STATUS.jsonl
//! cargo run --release --example status-history -- read SCAN.json [REPEATS]              # the item reader alone
//! ```
//!
//! `scan` writes about ITEMS distinct items as a Scan returns them (partitions in hash order, items in sort-key
//! order within one, redeliveries collapsed by the key), in pages of 100,000 printed like the aws CLI does
//! (4-space indent), and TRUTH.jsonl with the true state of every client at the end of the history and the naive
//! "latest item by timestamp" answer; it prints the time to ask (`at`) and the naive answer's error rate. The
//! histories last DAYS (4 by default, about 12 items a client); longer ones give fewer clients more items each.
//! `lines` prints every delivery (`{"delivery": {"arrivalMs", "trueMs", "payload"}}`, in arrival order) and every
//! client's true connections (`{"history": {...}}`). `compare` counts how the resolver's answers (from
//! `status --json`) match the truth. `read` times the item reader on a file held in memory (no I/O, no output),
//! alone and with the resolver, the best of REPEATS runs: the profile of `status` without the noise of the rest.

#[path = "../tests/it/support/history.rs"]
mod history;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use history::{Delivery, Rng, Truth};
use serde_json::{Value, json};

const START: i64 = 1_700_000_000_000;
const DAYS: i64 = 4;
const PAGE: usize = 100_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["scan", items, seed, out, truth] => scan(
            items.parse().unwrap_or(2_000_000),
            seed.parse().unwrap_or(1),
            out,
            truth,
            DAYS,
        ),
        ["scan", items, seed, out, truth, days] => scan(
            items.parse().unwrap_or(2_000_000),
            seed.parse().unwrap_or(1),
            out,
            truth,
            days.parse().unwrap_or(DAYS).max(1),
        ),
        ["lines", clients, seed] => lines(clients.parse().unwrap_or(10), seed.parse().unwrap_or(1)),
        ["compare", truth, status] => compare(truth, status),
        ["read", scan] => read(scan, 3),
        ["read", scan, repeats] => read(scan, repeats.parse().unwrap_or(3)),
        _ => {
            eprintln!(
                "usage: status-history scan ITEMS SEED OUT TRUTH [DAYS] | lines CLIENTS SEED | compare TRUTH STATUS | read SCAN [REPEATS]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("status-history: {e}");
            ExitCode::FAILURE
        }
    }
}

fn truth_json(t: &Truth) -> Value {
    match t {
        Truth::Never => json!({"state": "never"}),
        Truth::Connected { session, version } => {
            json!({"state": "connected", "sessionIdentifier": session, "versionNumber": version})
        }
        Truth::Disconnected {
            session,
            version,
            reason,
        } => {
            json!({"state": "disconnected", "sessionIdentifier": session, "versionNumber": version, "disconnectReason": reason})
        }
    }
}

fn scan(target: u64, seed: u64, out: &str, truth: &str, days: i64) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let end = START + days * 86_400_000;
    let at = end;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let mut truth_out = BufWriter::new(File::create(truth)?);
    let (mut items, mut in_page, mut clients, mut naive_wrong, mut bytes) =
        (0u64, 0usize, 0u64, 0u64, 0u64);
    let mut page_open = false;
    while items < target {
        // Partitions come in the order of their key's hash, unrelated to the client's number.
        let id = format!("device-{:016x}", rng.next());
        let h = history::history(&mut rng, &id, START, end);
        let events = history::events(&h, &mut rng);
        let mut deliveries = history::deliver(events, Delivery::default(), &mut rng);
        // The table keeps one item per key (eventKey = timestamp#eventType#sessionIdentifier), in key order.
        let key = |p: &Value| {
            format!(
                "{}#{}#{}",
                p["timestamp"],
                p["eventType"].as_str().unwrap_or(""),
                p["sessionIdentifier"].as_str().unwrap_or("")
            )
        };
        deliveries.sort_by_cached_key(|d| key(&d.payload));
        deliveries.dedup_by(|a, b| key(&a.payload) == key(&b.payload));
        let naive = history::naive(deliveries.iter().map(|d| &d.payload), at);
        let t = h.truth(at);
        let truly = matches!(t, Truth::Connected { .. });
        if naive.map_or(truly, |(c, _)| c != truly) {
            naive_wrong += 1;
        }
        let mut line = truth_json(&t);
        line["clientId"] = json!(id);
        line["naive"] = json!(naive.map(|(c, _)| if c { "connected" } else { "disconnected" }));
        serde_json::to_writer(&mut truth_out, &line)?;
        truth_out.write_all(b"\n")?;
        clients += 1;
        for d in &deliveries {
            let mut item = history::item(&d.payload);
            item["eventKey"] = json!({"S": key(&d.payload)});
            if !page_open {
                out.write_all(b"{\n    \"Items\": [\n")?;
                page_open = true;
            } else {
                out.write_all(b",\n")?;
            }
            let text = indent(&serde_json::to_string_pretty(&item)?, 8);
            bytes += text.len() as u64;
            out.write_all(text.as_bytes())?;
            items += 1;
            in_page += 1;
            if in_page == PAGE {
                close_page(&mut out, in_page, Some(items))?;
                page_open = false;
                in_page = 0;
            }
        }
    }
    if page_open {
        close_page(&mut out, in_page, None)?;
    }
    out.flush()?;
    truth_out.flush()?;
    println!(
        "{}",
        json!({"at": at, "items": items, "clients": clients, "itemBytes": bytes,
               "naiveWrong": naive_wrong, "naiveWrongPercent": 100.0 * naive_wrong as f64 / clients as f64})
    );
    Ok(())
}

/// JSON pretty-printed with 4 spaces (as the aws CLI prints), then indented by `by`.
fn indent(two_space: &str, by: usize) -> String {
    let mut out = String::with_capacity(two_space.len() * 2);
    for (i, line) in two_space.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let lead = line.len() - line.trim_start().len();
        out.extend(std::iter::repeat_n(' ', by + lead * 2));
        out.push_str(line.trim_start());
    }
    out
}

fn close_page(out: &mut impl Write, n: usize, token: Option<u64>) -> io::Result<()> {
    write!(
        out,
        "\n    ],\n    \"Count\": {n},\n    \"ScannedCount\": {n},\n    \"ConsumedCapacity\": null"
    )?;
    if let Some(t) = token {
        write!(
            out,
            ",\n    \"NextToken\": \"eyJFeGNsdXNpdmVTdGFydEtleSI6IG51bGx9-{t}\""
        )?;
    }
    out.write_all(b"\n}\n")
}

fn lines(clients: usize, seed: u64) -> io::Result<()> {
    let (histories, deliveries) = history::fleet(seed, clients, START, DAYS, Delivery::default());
    let mut out = BufWriter::new(io::stdout().lock());
    for d in &deliveries {
        let line = json!({"delivery": {"arrivalMs": d.arrival_ms, "trueMs": d.true_ms, "payload": d.payload}});
        writeln!(out, "{line}")?;
    }
    for h in &histories {
        let connections: Vec<Value> = h
            .connections
            .iter()
            .map(|c| {
                json!({"sessionIdentifier": c.session, "versionNumber": c.version, "connectMs": c.connect_ms,
                       "disconnectMs": c.disconnect.map(|d| d.0), "disconnectReason": c.disconnect.map(|d| d.1)})
            })
            .collect();
        let line = json!({"history": {"clientId": h.client_id, "connections": connections, "connectFailedMs": h.failures}});
        writeln!(out, "{line}")?;
    }
    out.flush()
}

fn compare(truth: &str, status: &str) -> io::Result<()> {
    let read = |path: &str| -> io::Result<Vec<Value>> {
        io::BufReader::new(File::open(path)?)
            .lines()
            .map(|l| l.and_then(|l| serde_json::from_str(&l).map_err(io::Error::other)))
            .collect()
    };
    let truth: HashMap<String, Value> = read(truth)?
        .into_iter()
        .map(|v| (v["clientId"].as_str().unwrap_or("").to_owned(), v))
        .collect();
    let (mut right, mut wrong, mut unknown) = (0u64, 0u64, HashMap::<String, u64>::new());
    for s in read(status)? {
        let t = &truth[s["clientId"].as_str().unwrap_or("")];
        match s["state"].as_str() {
            Some("unknown") => {
                *unknown
                    .entry(s["why"].as_str().unwrap_or("").to_owned())
                    .or_default() += 1;
            }
            state
                if state == t["state"].as_str()
                    && s["sessionIdentifier"] == t["sessionIdentifier"] =>
            {
                right += 1
            }
            _ => wrong += 1,
        }
    }
    println!(
        "{}",
        json!({"right": right, "wrong": wrong, "unknown": unknown})
    );
    Ok(())
}

fn read(scan: &str, repeats: u32) -> io::Result<()> {
    use presence_stack::status::{self, Fields, Params, Read, Resolver};
    use std::time::{Duration, Instant};

    let bytes = std::fs::read(scan)?;
    let config = presence_stack::config::parse("pipelines: [{name: presence}]")
        .map_err(|e| io::Error::other(format!("{e:?}")))?;
    let model =
        presence_stack::Model::build(&config).map_err(|e| io::Error::other(format!("{e:?}")))?;
    let fields: Fields =
        Fields::of(0, &model.pipelines[0]).map_err(|e| io::Error::other(e.to_string()))?;
    let time = |run: &mut dyn FnMut() -> u64| {
        let mut best = Duration::MAX;
        let mut items = 0;
        for _ in 0..repeats.max(1) {
            let start = Instant::now();
            items = run();
            best = best.min(start.elapsed());
        }
        (items, best)
    };
    let report = |what: &str, (items, best): (u64, Duration)| {
        let s = best.as_secs_f64();
        println!(
            "{what}: {items} items in {:.3} s: {:.0} items/s, {:.0} MB/s",
            s,
            items as f64 / s,
            bytes.len() as f64 / s / 1e6
        );
    };
    report(
        "reader",
        time(&mut || status::read(&bytes[..], &fields, |_| {}).items),
    );
    report(
        "reference reader",
        time(&mut || status::items::read_reference(&bytes[..], &fields, |_| {}).items),
    );
    report(
        "reader + resolver",
        time(&mut || {
            let mut resolver = Resolver::new(i64::MAX / 2, Params::default());
            let totals = status::read(&bytes[..], &fields, |r| {
                if let Read::Event(e) = r {
                    resolver.add(&e);
                }
            });
            std::hint::black_box(resolver.clients());
            totals.items
        }),
    );
    Ok(())
}
