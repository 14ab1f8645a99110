//! MQTT topic filters as used in the `FROM` clause: structural checks
//! against MQTT's rules and AWS IoT's limits, level counting and wildcard
//! matching.
//!
//! The rules: `#` is the last level and alone in it, `+` is alone in its
//! level, levels may be empty (`/company/+` has an empty first level, and
//! MQTT 3.1.1 section 4.7.1.1 says so: "Topic level separators ... adjacent
//! Topic level separators indicate a zero length topic level"), and no
//! filter holds the null character (section 4.7.3). AWS IoT adds its message
//! broker quotas: at most 256 bytes of UTF-8 and at most 7 slashes, which
//! its reserved `$aws/` topics are not held to.
//!
//! The parser keeps the filter verbatim; these functions are separate so a
//! checker can report filter problems with its own severity and wording.

use std::fmt;

/// AWS IoT rejects topics and filters longer than this many UTF-8 bytes.
pub const MAX_FILTER_BYTES: usize = 256;
/// AWS IoT allows at most this many forward slashes in a topic.
pub const MAX_SLASHES: usize = 7;

/// One thing wrong with a topic filter. Levels are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicFilterProblem {
    Empty,
    /// `#` is followed by more levels, as in `a/#/b`.
    MultiLevelWildcardNotLast {
        level: usize,
    },
    /// `#` shares its level with other characters, as in `a/b#`.
    MultiLevelWildcardNotAlone {
        level: usize,
    },
    /// `+` shares its level with other characters, as in `a/b+`.
    SingleLevelWildcardNotAlone {
        level: usize,
    },
    /// The filter holds U+0000, which MQTT forbids in topic filters.
    NullCharacter,
    TooLong {
        bytes: usize,
    },
    /// More slashes than AWS IoT allows in a topic. Only a warning:
    /// reserved `$aws/...` topics are exempt and exceed it routinely.
    TooManySlashes {
        slashes: usize,
    },
}

impl TopicFilterProblem {
    /// Whether the problem is advisory rather than making the filter
    /// unusable.
    pub fn is_warning(&self) -> bool {
        matches!(self, TopicFilterProblem::TooManySlashes { .. })
    }
}

impl fmt::Display for TopicFilterProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicFilterProblem::Empty => f.write_str("topic filter is empty"),
            TopicFilterProblem::MultiLevelWildcardNotLast { level } => {
                write!(
                    f,
                    "'#' must be the last level, but level {level} is followed by more"
                )
            }
            TopicFilterProblem::MultiLevelWildcardNotAlone { level } => {
                write!(
                    f,
                    "'#' must be alone in its level, but level {level} has other characters"
                )
            }
            TopicFilterProblem::SingleLevelWildcardNotAlone { level } => {
                write!(
                    f,
                    "'+' must be alone in its level, but level {level} has other characters"
                )
            }
            TopicFilterProblem::NullCharacter => {
                f.write_str("topic filter holds the null character U+0000, which MQTT forbids")
            }
            TopicFilterProblem::TooLong { bytes } => write!(
                f,
                "topic filter is {bytes} bytes long, over the limit of {MAX_FILTER_BYTES}"
            ),
            TopicFilterProblem::TooManySlashes { slashes } => write!(
                f,
                "topic filter has {slashes} slashes, over the limit of {MAX_SLASHES}"
            ),
        }
    }
}

/// Every problem with `filter`, in level order, then length and slash
/// limits. An empty result means the filter is well formed.
pub fn topic_filter_problems(filter: &str) -> Vec<TopicFilterProblem> {
    if filter.is_empty() {
        return vec![TopicFilterProblem::Empty];
    }
    let mut problems = Vec::new();
    if filter.contains('\0') {
        problems.push(TopicFilterProblem::NullCharacter);
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        let n = i + 1;
        if level.contains('#') {
            if *level != "#" {
                problems.push(TopicFilterProblem::MultiLevelWildcardNotAlone { level: n });
            }
            if n != levels.len() {
                problems.push(TopicFilterProblem::MultiLevelWildcardNotLast { level: n });
            }
        }
        if level.contains('+') && *level != "+" {
            problems.push(TopicFilterProblem::SingleLevelWildcardNotAlone { level: n });
        }
    }
    if filter.len() > MAX_FILTER_BYTES {
        problems.push(TopicFilterProblem::TooLong {
            bytes: filter.len(),
        });
    }
    let slashes = levels.len() - 1;
    if slashes > MAX_SLASHES {
        problems.push(TopicFilterProblem::TooManySlashes { slashes });
    }
    problems
}

/// Number of `/`-separated levels; 0 for the empty filter.
pub fn topic_filter_levels(filter: &str) -> usize {
    if filter.is_empty() {
        0
    } else {
        filter.split('/').count()
    }
}

/// Whether `topic` matches `filter` under MQTT rules: `+` matches exactly
/// one level, a final `#` matches the parent level and any number of levels
/// below it, and a leading wildcard does not match topics starting with `$`.
/// Topics containing wildcards are not topics and match nothing. Malformed
/// filters are matched as literally as possible; check them with
/// [`topic_filter_problems`] first.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    if topic.is_empty() || filter.is_empty() || topic.contains(['+', '#']) {
        return false;
    }
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    // Level by level over the bytes: `simulate` asks this for every event and pipeline, and splitting both
    // strings into levels cost more than the rest of the routing.
    let (filter, topic) = (filter.as_bytes(), topic.as_bytes());
    let level_end = |bytes: &[u8], from: usize| {
        bytes[from..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |p| from + p)
    };
    let (mut f, mut t) = (0, 0);
    loop {
        let f_end = level_end(filter, f);
        let level = &filter[f..f_end];
        if level == b"#" {
            return f_end == filter.len();
        }
        let t_end = level_end(topic, t);
        if level != b"+" && level != &topic[t..t_end] {
            return false;
        }
        match (f_end == filter.len(), t_end == topic.len()) {
            (true, true) => return true,
            (true, false) => return false,
            // The topic has no more levels: only a last `#` of the filter matches that (`a/#` matches `a`).
            (false, true) => return &filter[f_end + 1..] == b"#",
            (false, false) => (f, t) = (f_end + 1, t_end + 1),
        }
    }
}

/// [`topic_matches`] as the levels of the two strings, the definition the byte walk is held to.
#[cfg(test)]
fn topic_matches_by_levels(filter: &str, topic: &str) -> bool {
    if topic.is_empty() || filter.is_empty() || topic.contains(['+', '#']) {
        return false;
    }
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), _) => return filter_levels.next().is_none(),
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TopicFilterProblem as P;

    const PRESENCE: &str = "$aws/events/presence/+/+";

    #[test]
    fn well_formed_filters_have_no_problems() {
        for f in [
            PRESENCE,
            "#",
            "+",
            "a/+/b/#",
            "a",
            "$aws/things/+/shadow/update/#",
            // Empty levels are levels (the AWS IoT SiteWise guide's filter).
            "/company/windfarm/+/turbine/+/+",
            "a//b",
            "a/",
            "/",
            "//#",
            "+/+/",
        ] {
            assert_eq!(topic_filter_problems(f), vec![], "{f}");
        }
    }

    #[test]
    fn each_problem_kind() {
        assert_eq!(topic_filter_problems(""), vec![P::Empty]);
        assert_eq!(
            topic_filter_problems("a/#/b"),
            vec![P::MultiLevelWildcardNotLast { level: 2 }]
        );
        assert_eq!(
            topic_filter_problems("a/b#"),
            vec![P::MultiLevelWildcardNotAlone { level: 2 }]
        );
        assert_eq!(
            topic_filter_problems("a/#x/c"),
            vec![
                P::MultiLevelWildcardNotAlone { level: 2 },
                P::MultiLevelWildcardNotLast { level: 2 }
            ]
        );
        assert_eq!(
            topic_filter_problems("a+/b"),
            vec![P::SingleLevelWildcardNotAlone { level: 1 }]
        );
        assert_eq!(topic_filter_problems("a/\0/#"), vec![P::NullCharacter]);
        assert_eq!(
            topic_filter_problems("#/"),
            vec![P::MultiLevelWildcardNotLast { level: 1 }]
        );
        assert_eq!(
            topic_filter_problems("a/++"),
            vec![P::SingleLevelWildcardNotAlone { level: 2 }]
        );
        assert_eq!(
            topic_filter_problems("a/+#"),
            vec![
                P::MultiLevelWildcardNotAlone { level: 2 },
                P::SingleLevelWildcardNotAlone { level: 2 }
            ]
        );
        let long = "a".repeat(257);
        assert_eq!(
            topic_filter_problems(&long),
            vec![P::TooLong { bytes: 257 }]
        );
        assert_eq!(topic_filter_problems(&"a".repeat(256)), vec![]);
        // Bytes, not characters.
        assert_eq!(
            topic_filter_problems(&"é".repeat(129)),
            vec![P::TooLong { bytes: 258 }]
        );
        assert_eq!(topic_filter_problems("a/b/c/d/e/f/g/h"), vec![]);
        let deep = "a/b/c/d/e/f/g/h/i";
        assert_eq!(
            topic_filter_problems(deep),
            vec![P::TooManySlashes { slashes: 8 }]
        );
        assert!(topic_filter_problems(deep)[0].is_warning());
        assert!(!P::Empty.is_warning());
    }

    #[test]
    fn problem_messages_are_lowercase_without_period() {
        let all = [
            P::Empty,
            P::MultiLevelWildcardNotLast { level: 1 },
            P::MultiLevelWildcardNotAlone { level: 1 },
            P::SingleLevelWildcardNotAlone { level: 1 },
            P::NullCharacter,
            P::TooLong { bytes: 300 },
            P::TooManySlashes { slashes: 9 },
        ];
        for p in all {
            let msg = p.to_string();
            assert!(!msg.ends_with('.'), "{msg}");
            assert!(msg.starts_with(|c: char| !c.is_uppercase()), "{msg}");
        }
        assert_eq!(
            P::TooManySlashes { slashes: 9 }.to_string(),
            "topic filter has 9 slashes, over the limit of 7"
        );
    }

    #[test]
    fn level_counts() {
        assert_eq!(topic_filter_levels(""), 0);
        assert_eq!(topic_filter_levels("a"), 1);
        assert_eq!(topic_filter_levels(PRESENCE), 5);
        assert_eq!(topic_filter_levels("a/"), 2);
    }

    #[test]
    fn presence_matching() {
        assert!(topic_matches(
            PRESENCE,
            "$aws/events/presence/connected/thing_1"
        ));
        assert!(topic_matches(
            PRESENCE,
            "$aws/events/presence/disconnected/thing_1"
        ));
        assert!(!topic_matches(
            PRESENCE,
            "$aws/events/presence/connected/a/b"
        ));
        assert!(!topic_matches(PRESENCE, "$aws/events/presence/connected"));
        assert!(!topic_matches(PRESENCE, "$aws/events/subscriptions/x/y"));
    }

    #[test]
    fn multi_level_wildcard() {
        assert!(topic_matches("a/#", "a"));
        assert!(topic_matches("a/#", "a/b"));
        assert!(topic_matches("a/#", "a/b/c"));
        assert!(!topic_matches("a/#", "b/c"));
        assert!(topic_matches("#", "a/b"));
        assert!(topic_matches("+/#", "a"));
        assert!(topic_matches("a/+/#", "a/b"));
        assert!(!topic_matches("a/+/#", "a"));
        // `#` not last is malformed and matches nothing.
        assert!(!topic_matches("a/#/c", "a/b/c"));
    }

    #[test]
    fn single_level_wildcard() {
        assert!(topic_matches("a/+", "a/b"));
        assert!(topic_matches("a/+", "a/"));
        assert!(!topic_matches("a/+", "a"));
        assert!(!topic_matches("a/+", "a/b/c"));
        assert!(topic_matches("+/+", "/b"));
        assert!(topic_matches("+", "a"));
        // Empty levels match themselves and `+`.
        assert!(topic_matches(
            "/company/windfarm/+/turbine/+/+",
            "/company/windfarm/3/turbine/7/rpm"
        ));
        assert!(!topic_matches(
            "/company/windfarm/+/turbine/+/+",
            "company/windfarm/3/turbine/7/rpm"
        ));
        assert!(topic_matches("a//b", "a//b"));
        assert!(topic_matches("a/+/b", "a//b"));
    }

    #[test]
    fn dollar_topics_and_literals() {
        assert!(!topic_matches("#", "$aws/x"));
        assert!(!topic_matches("+/x", "$SYS/x"));
        assert!(topic_matches("$aws/#", "$aws/x"));
        assert!(topic_matches("a/b", "a/b"));
        assert!(!topic_matches("a/b", "a/B"));
        assert!(!topic_matches("a", "a/b"));
        assert!(!topic_matches("a/b", "a"));
        assert!(!topic_matches("a/+", "a/+"));
        assert!(!topic_matches("#", ""));
        assert!(!topic_matches("", "a"));
    }

    proptest::proptest! {
        /// The byte walk answers as the level-by-level definition does, on filters and topics made of a few
        /// levels drawn from a small alphabet (empty levels, `+`, `#` and `$` included).
        #[test]
        fn the_byte_walk_is_the_level_match(
            filter in proptest::collection::vec(proptest::sample::select(vec!["", "a", "b", "+", "#", "$aws", "ab"]), 1..5),
            topic in proptest::collection::vec(proptest::sample::select(vec!["", "a", "b", "$aws", "ab", "a+"]), 1..5),
        ) {
            let (filter, topic) = (filter.join("/"), topic.join("/"));
            proptest::prop_assert_eq!(
                topic_matches(&filter, &topic),
                topic_matches_by_levels(&filter, &topic),
                "{} {}", filter, topic
            );
        }
    }
}
