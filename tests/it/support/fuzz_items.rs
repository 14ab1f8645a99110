//! The body of the `items` fuzz target (`fuzz/fuzz_targets/items.rs`), also run by a property test: any bytes
//! through the item reader and the resolver, with the default rule (`SELECT *`) and with a nested one
//! (`SELECT * AS event, ...`). Nothing may panic, the reader's totals must match what it handed on, and the
//! reader's one-pass fast path must hand on exactly what the reference path (framing, then serde_json) does:
//! the same events, the same problems at the same lines, the same totals.
#![allow(dead_code)]

use std::sync::OnceLock;

use presence_stack::model::Model;
use presence_stack::status::{self, Fields, Params, Read, Resolver, report};

fn fields() -> &'static [Fields; 2] {
    static FIELDS: OnceLock<[Fields; 2]> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let of = |yaml: &str| {
            let config = presence_stack::config::parse(yaml).expect("the fuzz config parses");
            let model = Model::build(&config).expect("the fuzz config is valid");
            Fields::of(0, &model.pipelines[0]).expect("the fuzz config is a presence pipeline")
        };
        [
            of("pipelines: [{name: presence}]"),
            of("pipelines: [{name: p, sql: \"SELECT * AS event, clientId, timestamp FROM '$aws/events/presence/#'\"}]"),
        ]
    })
}

pub fn check(bytes: &[u8]) {
    let fields = &fields()[bytes.len() % 2];
    let mut resolver = Resolver::new(1_700_000_000_000, Params::default());
    let (mut events, mut problems) = (0u64, 0u64);
    let totals = status::read(bytes, fields, |r| match r {
        Read::Event(e) => {
            events += 1;
            resolver.add(&e);
        }
        Read::Problem(p) => {
            problems += 1;
            assert!(p.line >= 1, "a problem without a line: {p:?}");
        }
    });
    assert_eq!(totals.events, events);
    assert_eq!(totals.problems, problems);
    let (seen, reference) = (
        everything(bytes, fields, |b, f, each| status::read(b, f, each)),
        everything(bytes, fields, |b, f, each| {
            status::items::read_reference(b, f, each)
        }),
    );
    assert_eq!(
        seen, reference,
        "the fast path and the reference path disagree"
    );
    let at = resolver.at();
    let statuses = resolver.finish();
    for s in &statuses {
        let _ = report::json(s, at).to_string();
    }
    let _ = report::table(&statuses, at, true);
}

/// Every event and problem a reader hands on, as text, and its totals.
fn everything(
    bytes: &[u8],
    fields: &Fields,
    reader: impl Fn(&[u8], &Fields, &mut dyn FnMut(Read<'_>)) -> status::Totals,
) -> (Vec<String>, String) {
    let mut seen = Vec::new();
    let totals = reader(bytes, fields, &mut |r| match r {
        Read::Event(e) => seen.push(format!("{e:?}")),
        Read::Problem(p) => seen.push(format!("problem {p}")),
    });
    (seen, format!("{totals:?}"))
}
