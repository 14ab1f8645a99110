//! In-process timing of `presence_stack::synthesize` (config text in, JSON template out), with no process start,
//! no file I/O and no benchmark framework: a plain `Instant` loop that prints the median and minimum.
//!
//! Cases: `examples/minimal.yaml` and a generated config of 100 pipelines (`stack.outputs: false`, alarms off so
//! that it stays the 400-resource stack the peers build),
//! the same as `scripts/bench-synth` writes to `target/bench/100-pipelines.yaml`.
//!
//! Run with `cargo bench --bench synth` (needs `[[bench]] name = "synth" harness = false` in Cargo.toml), or let
//! `scripts/bench-synth` run it. `BENCH_SYNTH_ITERS=N` sets the timed iterations per case (default 300).
//!
//! Output, one line per case, for scripts to read:
//! `bench-synth case=minimal iters=300 median_us=123.4 min_us=110.2 resources=4 bytes=5678`

// Compiled as a libtest harness (no `harness = false` yet), `main` is never called: keep that build warning-free.
#![cfg_attr(test, allow(dead_code))]

use std::hint::black_box;
use std::time::{Duration, Instant};

use presence_stack::{Format, Source, synthesize};

const MINIMAL: &str = include_str!("../examples/minimal.yaml");

/// The 100-pipeline config, byte for byte what `scripts/bench-synth` writes.
fn pipelines_config(count: usize) -> String {
    let mut text =
        String::from("stack:\n  outputs: false\n  alarms: {enabled: false}\npipelines:\n");
    for i in 0..count {
        text.push_str(&format!("  - name: p{i}\n"));
    }
    text
}

fn run(case: &str, name: &str, text: &str, iters: usize) {
    let source = Source { name, text };
    let first = match synthesize(source, Format::Json) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench-synth: {case}: synthesize failed: {e}");
            std::process::exit(1);
        }
    };
    // Every resource has a `Type`, and nothing else in these templates does (no serde_json here: the bench also
    // builds with plain rustc against the release rlib).
    let resources = first.template.matches("\"Type\": \"AWS::").count();
    let warmup = (iters / 10).max(3);
    for _ in 0..warmup {
        black_box(synthesize(black_box(source), Format::Json).ok());
    }
    let mut times: Vec<Duration> = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        let out = synthesize(black_box(source), Format::Json);
        times.push(start.elapsed());
        black_box(out.ok());
    }
    times.sort();
    let median = if iters % 2 == 1 {
        times[iters / 2]
    } else {
        (times[iters / 2 - 1] + times[iters / 2]) / 2
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "bench-synth case={case} iters={iters} median_us={:.1} min_us={:.1} resources={resources} bytes={}",
        us(median),
        us(times[0]),
        first.template.len()
    );
}

fn main() {
    let iters = std::env::var("BENCH_SYNTH_ITERS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(300);
    run("minimal", "examples/minimal.yaml", MINIMAL, iters);
    let config = pipelines_config(100);
    run("100-pipelines", "100-pipelines.yaml", &config, iters);
}
