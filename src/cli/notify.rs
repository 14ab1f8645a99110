//! `simulate --notifications`: the notifications each status pipeline's stack would send for the events, in the
//! order of the file, each arriving at its `arrivedAt` (else its `timestamp`).

use std::io::{self, Write};

use std::collections::BTreeMap;

use presence_stack::notify::{Notification, Notifier};
use presence_stack::status::{self, Fields};

/// The notifier of every pipeline with notifications, fed the items it writes.
pub(super) struct SimulateNotify {
    pipelines: Vec<(Fields, Notifier)>,
    sent: Vec<Notification>,
    counts: BTreeMap<&'static str, usize>,
    unreadable: u64,
}

impl SimulateNotify {
    /// Nothing to do unless `enabled`.
    pub(super) fn new(model: &presence_stack::Model, enabled: bool) -> SimulateNotify {
        let pipelines = model
            .pipelines
            .iter()
            .enumerate()
            .filter(|_| enabled)
            .filter_map(|(i, p)| {
                let s = p.status.as_ref()?;
                let n = s.notifications.as_ref()?;
                let fields = Fields::of(i, p).ok()?;
                Some((fields, Notifier::new(&p.name, n, s.window_ms)))
            })
            .collect();
        SimulateNotify {
            pipelines,
            sent: Vec::new(),
            counts: BTreeMap::new(),
            unreadable: 0,
        }
    }

    /// Whether any pipeline sends notifications (`--notifications` on a config with none is an error).
    pub(super) fn is_empty(&self) -> bool {
        self.pipelines.is_empty()
    }

    /// `arrivedAt` is not part of the event: taken off before the rule sees it.
    pub(super) fn take_arrival(value: &mut serde_json::Value) -> Option<i64> {
        value.as_object_mut()?.remove("arrivedAt")?.as_i64()
    }

    /// What the item a pipeline wrote sends, at `arrived` (else at the event's timestamp).
    pub(super) fn observe(
        &mut self,
        pipeline: &str,
        outcome: &presence_stack::simulate::Outcome,
        arrived: Option<i64>,
    ) {
        let presence_stack::simulate::Outcome::Written { item, .. } = outcome else {
            return;
        };
        for (fields, notifier) in &mut self.pipelines {
            if fields.pipeline == pipeline {
                match status::plain::event(item, fields) {
                    Ok(Some(e)) => {
                        notifier.event(arrived.unwrap_or(e.timestamp), &e, &mut self.sent);
                    }
                    Ok(None) => {}
                    Err(_) => self.unreadable += 1,
                }
            }
        }
    }

    /// The notifications sent so far, written out: one JSON object a line.
    pub(super) fn drain(&mut self, out: &mut impl Write) -> io::Result<()> {
        for n in self.sent.drain(..) {
            serde_json::to_writer(&mut *out, &n.json())?;
            out.write_all(b"\n")?;
            *self.counts.entry(n.detail_type).or_default() += 1;
        }
        Ok(())
    }

    /// The checks still queued when the history ends, made as if it ended long ago; the closing counts.
    pub(super) fn finish(mut self, out: &mut impl Write) -> io::Result<super::status::StatusLines> {
        for (_, notifier) in &mut self.pipelines {
            notifier.finish(&mut self.sent);
        }
        self.drain(out)?;
        let total: usize = self.counts.values().sum();
        let kinds: Vec<String> = self
            .counts
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        let lines = vec![format!(
            "{total} notification(s){}{}",
            if kinds.is_empty() { "" } else { ": " },
            kinds.join(", ")
        )];
        let warning = (self.unreadable > 0).then(|| {
            format!(
                "{} written item(s) lack a field the notifications need",
                self.unreadable
            )
        });
        Ok(super::status::StatusLines::new(lines, warning))
    }
}
