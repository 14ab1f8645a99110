//! The fleet report against generated truth: the same answers as `status`, a fleet chart that ends on the
//! `connected` count, and timelines that tell the truth wherever no stamp of the client is near.

use presence_stack::fleet::{Collector, Fleet, Source};
use presence_stack::model::Model;
use presence_stack::status::{self, Fields, Params, Read, Resolver, State, report::Counts};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::history::{self, Delivered, Delivery, Rng, Truth};

const START: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn default_fields() -> Fields {
    let model =
        Model::build(&presence_stack::config::parse("pipelines: [{name: presence}]").unwrap())
            .unwrap();
    Fields::of(0, &model.pipelines[0]).unwrap()
}

fn scan_page(deliveries: &[Delivered]) -> String {
    let items: Vec<Value> = deliveries
        .iter()
        .map(|d| history::item(&d.payload))
        .collect();
    let n = items.len();
    json!({"Items": items, "Count": n, "ScannedCount": n}).to_string()
}

/// The report as the CLI builds it: one read feeding the resolver and the collector.
fn fleet(page: &str, resolver: Resolver) -> Fleet {
    let mut resolver = resolver;
    let mut collector = Collector::new();
    let totals = status::read(page.as_bytes(), &default_fields(), |r| match r {
        Read::Event(e) => {
            resolver.add(&e);
            collector.add(&e);
        }
        Read::Problem(p) => panic!("a generated item did not read: {p}"),
    });
    let (at, now, params) = (resolver.at(), resolver.is_now(), resolver.params());
    let statuses = resolver.finish();
    Fleet::build(
        collector,
        statuses,
        at,
        now,
        params,
        Source {
            pipeline: "presence".into(),
            items: totals.items,
            ..Source::default()
        },
    )
}

fn check(
    fleet: &Fleet,
    histories: &[history::History],
    deliveries: &[Delivered],
    rng: &mut Rng,
) -> Result<(), String> {
    let statuses: Vec<_> = fleet.devices.iter().map(|d| d.status.clone()).collect();
    if Counts::of(&statuses) != fleet.counts {
        return Err("the counts are not the statuses'".into());
    }
    if fleet.curve.last() != fleet.counts.connected {
        return Err(format!(
            "the chart ends on {}, the statuses count {} connected",
            fleet.curve.last(),
            fleet.counts.connected
        ));
    }
    let error = fleet.params.timestamp_error_ms;
    for d in &fleet.devices {
        let id = &d.status.client_id;
        let open = d.intervals.iter().filter(|i| i.open).count();
        let connected = matches!(d.status.state, State::Connected { .. });
        if open != usize::from(connected) {
            return Err(format!(
                "{id}: {open} open interval(s), status {:?}",
                d.status.state
            ));
        }
        let mut prev = i64::MIN;
        for iv in &d.intervals {
            if iv.start < prev || iv.end < iv.start || iv.end > fleet.at {
                return Err(format!("{id}: intervals out of order: {:?}", d.intervals));
            }
            prev = iv.end;
        }
        // Away from every stamp of this client, the timeline says what the broker held.
        let h = histories
            .iter()
            .find(|h| &h.client_id == id)
            .ok_or("no history")?;
        let stamps: Vec<i64> = deliveries
            .iter()
            .filter(|x| x.payload["clientId"] == json!(id))
            .filter_map(|x| x.payload["timestamp"].as_i64())
            .collect();
        let end = d.unknown_from.unwrap_or(fleet.at).min(fleet.at - error);
        for _ in 0..40 {
            let t = rng.range(fleet.start, end.max(fleet.start + 1));
            if t >= end || stamps.iter().any(|&s| (s - t).abs() <= error) {
                continue;
            }
            let shown = d
                .intervals
                .iter()
                .any(|iv| iv.start <= t && (t < iv.end || iv.open));
            let truly = matches!(h.truth(t), Truth::Connected { .. });
            if shown != truly {
                return Err(format!(
                    "{id} at {t}: the timeline says {}, the truth is {:?}; intervals {:?}",
                    if shown { "connected" } else { "disconnected" },
                    h.truth(t),
                    d.intervals
                ));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(24) })]

    #[test]
    fn the_report_agrees_with_status_and_the_truth(
        seed in any::<u64>(),
        clients in 1usize..6,
        days in 1i64..4,
    ) {
        let (histories, mut deliveries) =
            history::fleet(seed, clients, START, days, Delivery::default());
        let mut rng = Rng::new(seed ^ 0x5eed);
        history::shuffle(&mut deliveries, &mut rng);
        let page = scan_page(&deliveries);
        let end = START + days * DAY;
        // Asked now, at the end of the history.
        let f = fleet(&page, Resolver::now(end + 60_000, Params::default()));
        let r = check(&f, &histories, &deliveries, &mut rng);
        prop_assert!(r.is_ok(), "now: {:?}", r);
        // Asked about times in the past.
        for _ in 0..4 {
            let at = rng.range(START, end);
            let f = fleet(&page, Resolver::new(at, Params::default()));
            let r = check(&f, &histories, &deliveries, &mut rng);
            prop_assert!(r.is_ok(), "at {}: {:?}", at, r);
        }
    }
}

#[test]
fn the_same_items_give_the_same_bytes_in_any_order() {
    let (_, mut deliveries) = history::fleet(7, 12, START, 2, Delivery::default());
    let at = START + 2 * DAY;
    let a = fleet(
        &scan_page(&deliveries),
        Resolver::new(at, Params::default()),
    )
    .html();
    history::shuffle(&mut deliveries, &mut Rng::new(3));
    let b = fleet(
        &scan_page(&deliveries),
        Resolver::new(at, Params::default()),
    )
    .html();
    assert_eq!(a, b);
}
