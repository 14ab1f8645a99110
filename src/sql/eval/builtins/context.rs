//! What a call reads from the message's context rather than its arguments: `topic()` and `topic(n)`,
//! `clientid()`, `sql_version()`, the UUIDs of `newuuid()` and the numbers of `rand()` (`timestamp()` is the
//! input's clock).

use crate::sql::eval::convert::to_int;
use crate::sql::eval::evaluated::{Evaluated, UNDEFINED};
use crate::sql::eval::run::Context;

/// `topic()` and `topic(n)`. For Basic Ingest topics the
/// `$aws/rules/<rule-name>/` prefix is not part of the topic, as AWS documents.
pub(super) fn topic<'a>(level: Option<Evaluated<'_>>, cx: &Context<'a>) -> Evaluated<'a> {
    let t = match cx.topic.strip_prefix("$aws/rules/") {
        Some(rest) => rest.split_once('/').map_or("", |(_, t)| t),
        None => cx.topic,
    };
    let Some(level) = level else {
        return Evaluated::Text(t);
    };
    let level = to_int(level.kind())
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| i.checked_sub(1));
    match level {
        Some(i) if !t.is_empty() => t.split('/').nth(i).map_or(UNDEFINED, Evaluated::Text),
        _ => UNDEFINED,
    }
}

/// `clientid()`: the input's client id, or `"n/a"`, the documented value for messages not sent over MQTT.
pub(super) fn client_id<'a>(cx: &Context<'a>) -> Evaluated<'a> {
    Evaluated::Text(cx.client_id.unwrap_or("n/a"))
}

/// The only SQL version this evaluator implements.
pub(super) fn sql_version() -> Evaluated<'static> {
    Evaluated::Text("2016-03-23")
}

impl Context<'_> {
    /// A UUID-v4-shaped string hashed from the input and a call counter.
    pub(in crate::sql::eval) fn new_uuid(&self) -> String {
        let (hi, lo) = self.next_hash();
        let hi = (hi & !0xf000) | 0x4000;
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }

    /// `rand()`: a double in [0, 1), hashed like [`Context::new_uuid`] from the input and the same call counter,
    /// so a simulation is reproducible; AWS returns a pseudorandom one.
    pub(in crate::sql::eval) fn rand(&self) -> f64 {
        let (hi, _) = self.next_hash();
        // The top 53 bits: every double of that spacing in [0, 1) equally likely, as Java's nextDouble.
        (hi >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Two 64-bit values hashed from the input and the number of earlier calls, which it counts up.
    fn next_hash(&self) -> (u64, u64) {
        let n = self.uuids.get();
        self.uuids.set(n.wrapping_add(1));
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            h = (h ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
        };
        feed(self.topic.as_bytes());
        feed(self.client_id.unwrap_or("").as_bytes());
        feed(&self.now_ms.to_le_bytes());
        feed(self.payload.to_string().as_bytes());
        feed(&n.to_le_bytes());
        let hi = splitmix64(h);
        let lo = splitmix64(hi ^ 0x9e37_79b9_7f4a_7c15);
        (hi, lo)
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use crate::sql::eval::test_support::*;
    use crate::sql::eval::value::Value;
    use crate::sql::eval::{Input, evaluate_expr};
    use crate::sql::parse_expr;
    use serde_json::json;

    #[test]
    fn context_functions() {
        let p = json!({});
        let e = |src: &str, topic: &str, client: Option<&str>| {
            let input = Input {
                topic,
                payload: &p,
                client_id: client,
                now_ms: 1_481_825_251_155,
            };
            evaluate_expr(&parse_expr(src).unwrap(), &input).unwrap()
        };
        let t = "things/myThings/thingOne";
        assert_eq!(e("topic()", t, None), s(t)); // topic
        assert_eq!(e("topic(1)", t, None), s("things"));
        assert_eq!(e("topic(3)", "a/b/c", None), s("c"));
        assert_eq!(e("topic(0)", t, None), U);
        assert_eq!(e("topic(4)", t, None), U);
        assert_eq!(e("topic('x')", t, None), U);
        // Basic Ingest: the $aws/rules/<rule> prefix is not part of topic().
        let ingest = "$aws/rules/BuildingManager/Buildings/Building5/Floor2/Room201/Lights";
        assert_eq!(
            e("topic()", ingest, None),
            s("Buildings/Building5/Floor2/Room201/Lights")
        );
        assert_eq!(e("topic(3)", ingest, None), s("Floor2"));
        assert_eq!(e("timestamp()", t, None), Value::Int(1481825251155)); // timestamp
        assert_eq!(e("clientid()", t, Some("thing_1")), s("thing_1")); // clientid
        assert_eq!(e("clientid()", t, None), s("n/a"));
        assert_eq!(e("sql_version()", t, None), s("2016-03-23"));
    }

    #[test]
    fn rand_is_reproducible_in_range_and_differs_per_call() {
        let p = connected();
        let topic = "$aws/events/presence/connected/thing_1";
        let sql = "SELECT rand() AS a, rand() AS b FROM '#'";
        let first = fired(sql, topic, &p);
        assert_eq!(first, fired(sql, topic, &p));
        let (a, b) = (first["a"].as_f64().unwrap(), first["b"].as_f64().unwrap());
        assert_ne!(a, b);
        for x in [a, b] {
            assert!((0.0..1.0).contains(&x), "{x}");
        }
        // Over many messages the values spread over the interval.
        let mean = (0..1000)
            .map(|i| {
                let p = json!({ "i": i });
                let Value::Decimal(d) = val_on("rand()", &p) else {
                    panic!("rand() is a Decimal");
                };
                d.value()
            })
            .sum::<f64>()
            / 1000.0;
        assert!((0.45..0.55).contains(&mean), "{mean}");
    }

    #[test]
    fn newuuid_is_deterministic_and_well_formed() {
        let p = connected();
        let topic = "$aws/events/presence/connected/thing_1";
        let sql = "SELECT newuuid() AS a, newuuid() AS b FROM '#'";
        let first = fired(sql, topic, &p);
        assert_eq!(first, fired(sql, topic, &p));
        let (a, b) = (first["a"].as_str().unwrap(), first["b"].as_str().unwrap());
        assert_ne!(a, b);
        for id in [a, b] {
            let groups: Vec<_> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
            assert_eq!(id.as_bytes()[14], b'4', "{id}");
            assert!(
                matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'),
                "{id}"
            );
        }
    }
}
