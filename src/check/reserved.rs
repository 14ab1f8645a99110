//! A FROM filter below `$aws/` that matches none of the reserved topics AWS IoT publishes on: nobody may publish
//! there, so the rule never fires. Close to a real one (a typo) it is an error naming it; far from all of them it
//! may be a family AWS added after `events.rs` was written, and is a warning.

use super::PipelineCheck;
use crate::catalog::Id;
use crate::events::{RESERVED_ROOT, RESERVED_TOPICS, RESERVED_TOPICS_SOURCE};
use crate::spelling::edit_distance;
use crate::sql::{self, TopicFrom};

/// The largest distance (in edited characters, see [`distance`]) at which a filter is taken for a misspelling of
/// a reserved topic rather than for one the catalog does not know.
const TYPO_DISTANCE: usize = 3;

impl PipelineCheck<'_> {
    pub(super) fn reserved_topic(&mut self, from: &TopicFrom) {
        let filter = &from.filter;
        let levels: Vec<&str> = filter.split('/').collect();
        if !levels[0].eq_ignore_ascii_case(RESERVED_ROOT)
            || sql::topic_filter_problems(filter)
                .iter()
                .any(|p| !p.is_warning())
            || RESERVED_TOPICS
                .iter()
                .any(|t| intersects(&levels, &t.split('/').collect::<Vec<_>>()))
        {
            return;
        }
        let nearest = nearest(&levels);
        let message = format!(
            "the FROM filter '{filter}' matches none of the reserved topics AWS IoT publishes on, and no client may publish below `{RESERVED_ROOT}/`: the rule never fires"
        );
        match nearest {
            Some((d, suggestion)) if d <= TYPO_DISTANCE => self.at_span(
                Id::ReservedTopicTypo,
                from.span,
                message,
                Some(format!("did you mean '{suggestion}'?")),
            ),
            _ => self.at_span(
                Id::UnknownReservedTopic,
                from.span,
                format!(
                    "the FROM filter '{filter}' matches none of the reserved topics presence-stack knows (the AWS IoT developer guide's \"Reserved topics\"): unless AWS added it lately, the rule never fires"
                ),
                Some(format!("the reserved topics are listed at {RESERVED_TOPICS_SOURCE}")),
            ),
        }
    }
}

/// Whether some topic matches both filters, level by level: `+` matches any one level, `#` the rest (none
/// included, as MQTT has it).
fn intersects(a: &[&str], b: &[&str]) -> bool {
    match (a.split_first(), b.split_first()) {
        (None, None) => true,
        (Some((&"#", _)), _) | (_, Some((&"#", _))) => true,
        (Some((x, a)), Some((y, b))) => (*x == "+" || *y == "+" || x == y) && intersects(a, b),
        _ => false,
    }
}

/// The reserved filter a user most likely meant: each reserved topic, and each of its prefixes of three levels or
/// more followed by `#` (`$aws/events/presence/#`), by [`distance`]; the first in catalog order wins a tie.
fn nearest(levels: &[&str]) -> Option<(usize, String)> {
    let mut best: Option<(usize, String)> = None;
    for topic in RESERVED_TOPICS {
        let parts: Vec<&str> = topic.split('/').collect();
        let mut candidates = vec![parts.clone()];
        for n in 3..parts.len() {
            let mut prefix = parts[..n].to_vec();
            prefix.push("#");
            candidates.push(prefix);
        }
        for c in candidates {
            let d = distance(levels, &c);
            if best.as_ref().is_none_or(|(b, _)| d < *b) {
                best = Some((d, c.join("/")));
            }
        }
    }
    best
}

/// An edit distance on levels: a level replaced costs the characters edited in it, a level added or dropped its
/// length and its `/`. So `$aws/event/presence/#` is 1 from `$aws/events/presence/#`.
fn distance(a: &[&str], b: &[&str]) -> usize {
    let mut prev: Vec<usize> = std::iter::once(0)
        .chain(b.iter().scan(0, |acc, l| {
            *acc += l.len() + 1;
            Some(*acc)
        }))
        .collect();
    for la in a {
        let mut cur = vec![prev[0] + la.len() + 1];
        for (j, lb) in b.iter().enumerate() {
            let replace = prev[j] + edit_distance(la, lb);
            let drop = prev[j + 1] + la.len() + 1;
            let add = cur[j] + lb.len() + 1;
            cur.push(replace.min(drop).min(add));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(f: &str) -> Vec<&str> {
        f.split('/').collect()
    }

    #[test]
    fn filters_intersect_level_by_level() {
        let yes = [
            ("$aws/events/#", "$aws/events/presence/connected/#"),
            (
                "$aws/events/+/connected/+",
                "$aws/events/presence/connected/#",
            ),
            (
                "$aws/things/lamp/shadow/update",
                "$aws/things/+/shadow/update",
            ),
            ("$aws/#", "$aws/rules/#"),
        ];
        for (a, b) in yes {
            assert!(intersects(&levels(a), &levels(b)), "{a} {b}");
            assert!(intersects(&levels(b), &levels(a)), "{b} {a}");
        }
        let no = [
            ("$aws/event/presence/#", "$aws/events/presence/connected/#"),
            (
                "$aws/things/+/shadow/updates",
                "$aws/things/+/shadow/update",
            ),
            ("$aws/things/+/shadow", "$aws/things/+/shadow/update"),
        ];
        for (a, b) in no {
            assert!(!intersects(&levels(a), &levels(b)), "{a} {b}");
        }
    }

    #[test]
    fn the_nearest_reserved_filter() {
        let near = |f: &str| nearest(&levels(f));
        assert_eq!(
            near("$aws/event/presence/#"),
            Some((1, "$aws/events/presence/#".to_owned()))
        );
        assert_eq!(
            near("$aws/events/presense/#"),
            Some((1, "$aws/events/presence/#".to_owned()))
        );
        assert_eq!(
            near("$aws/events/presence/conected/+"),
            Some((2, "$aws/events/presence/connected/#".to_owned()))
        );
        assert_eq!(
            near("$aws/things/+/shadow/updates"),
            Some((1, "$aws/things/+/shadow/update".to_owned()))
        );
        assert!(near("$aws/fleet-hub/x/y").is_some_and(|(d, _)| d > TYPO_DISTANCE));
    }
}
