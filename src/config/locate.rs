//! Where each node of a config is written, for problems found after parsing: the model reports them by dotted
//! path (`pipelines[1].table.sort_key.expression`), and the reader needs a line and a column.
//!
//! The positions are the marks of the parser serde_yaml deserialized the same text with ([`super::libyaml`]),
//! collected in one walk of its events that keeps the path of the node being read. Nothing here knows how YAML
//! is laid out: block or flow style, quotes, comments, block scalars and line breaks inside flow collections are
//! the parser's business.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::libyaml::{Event, Parser};
use super::{MAX_CONFIG_BYTES, too_deep};

/// The line and column (1-based; the column counts bytes, as the line is stored) of every node a dotted path can
/// name in one config text. Built once per file, then asked once per problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    at: HashMap<String, (usize, usize)>,
    /// Where the value of each mapping entry starts, by the entry's path.
    values: HashMap<String, (usize, usize)>,
    /// The path and position of every merge key (a plain `<<` key), in the order they are written.
    merge_keys: Vec<(String, (usize, usize))>,
}

impl Positions {
    /// Read `text` with the YAML parser and note where each mapping key and sequence item starts.
    ///
    /// For a mapping entry that is the key's first character (its quote, for a quoted key); for a sequence item
    /// the item's own (its `{`, `[`, anchor, tag or first character). Only the first document counts, as for
    /// [`super::parse`]; a syntax error ends the walk, keeping what came before it. A key written twice keeps its
    /// first position. A text [`super::parse`] refuses before parsing (too large, nested too deep) has no
    /// positions.
    pub fn new(text: &str) -> Positions {
        let mut positions = Positions::default();
        if text.len() > MAX_CONFIG_BYTES || too_deep(text).is_some() {
            return positions;
        }
        // libyaml skips a byte order mark before it counts offsets, and so do editors before they count columns.
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(parser) = Parser::new(body) else {
            return positions;
        };
        let lines = LineStarts::new(body);
        let mut stack: Vec<Frame> = Vec::new();
        for (event, offset) in parser {
            let node = match &event {
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Other => continue,
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    continue;
                }
                Event::Scalar { .. }
                | Event::Alias
                | Event::MappingStart
                | Event::SequenceStart => {
                    let scalar = match &event {
                        Event::Scalar { value, .. } => Some(value.as_str()),
                        _ => None,
                    };
                    Self::node_path(&mut stack, scalar)
                }
            };
            if let Some(path) = &node.value_of
                && let Some(at) = lines.position(body, offset)
            {
                positions.values.entry(path.clone()).or_insert(at);
            }
            if let Some(path) = &node.recorded
                && let Some(at) = lines.position(body, offset)
            {
                positions.at.entry(path.clone()).or_insert(at);
                // A key (a recorded node with no children path) written as a plain `<<`.
                if node.children.is_none()
                    && matches!(&event, Event::Scalar { value, plain: true } if value == "<<")
                {
                    positions.merge_keys.push((path.clone(), at));
                }
            }
            match event {
                Event::MappingStart => stack.push(Frame::Mapping {
                    path: node.children,
                    value: None,
                }),
                Event::SequenceStart => stack.push(Frame::Sequence {
                    path: node.children,
                    next: 0,
                }),
                _ => {}
            }
        }
        positions
    }

    /// The path a node starting now is reached by (if it is a key or an item, to note its position), and the
    /// path its children hang from (if it is a collection that paths can enter).
    fn node_path(stack: &mut [Frame], scalar: Option<&str>) -> Node {
        match stack.last_mut() {
            // The document's root: its keys are the paths' first names.
            None => Node {
                recorded: None,
                children: Some(String::new()),
                // The root is the value of the empty path: where a field missing from it is reported.
                value_of: Some(String::new()),
            },
            Some(Frame::Mapping { path, value }) => match value.take() {
                // A value: it starts where its key said; its children hang from the key's path.
                Some(key_path) => Node {
                    recorded: None,
                    value_of: key_path.clone(),
                    children: key_path,
                },
                // A key. Only a scalar key can be named by a dotted path; a mapping or sequence used as a key
                // (`? [a, b]`) hides everything under it.
                None => {
                    let key_path = path
                        .as_deref()
                        .zip(scalar)
                        .map(|(base, key)| join_key(base, key));
                    *value = Some(key_path.clone());
                    Node {
                        recorded: key_path,
                        children: None,
                        value_of: None,
                    }
                }
            },
            Some(Frame::Sequence { path, next }) => {
                let item_path = path.as_deref().map(|base| format!("{base}[{next}]"));
                *next += 1;
                Node {
                    recorded: item_path.clone(),
                    children: item_path,
                    value_of: None,
                }
            }
        }
    }

    /// The first merge key (a plain `<<` key) of the file: its path and where it is.
    pub(super) fn first_merge_key(&self) -> Option<(String, (usize, usize))> {
        self.merge_keys.first().cloned()
    }

    /// Where the value at a dotted path starts (`30` of `ttl_days: 30`), as the parser reports a value it
    /// cannot read; where the path is written, when it names no mapping value.
    pub fn locate_value(&self, path: &str) -> Option<(usize, usize)> {
        self.values.get(path).copied().or_else(|| self.locate(path))
    }

    /// Where a dotted path (`pipelines[0].table.name`, `stack.tags.owner`) is written.
    ///
    /// A path whose end is not in the file (a field left out, or one inside an alias) gives the nearest
    /// enclosing node that is, or `None` when not even its first name is: a location helps the reader, it is
    /// never needed to report the problem.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        // Keys may hold dots (`stack.tags.a.b` names the tag `a.b`), so the whole path is tried as it stands.
        if let Some(&at) = self.at.get(path) {
            return Some(at);
        }
        let mut prefix = String::new();
        let mut found = None;
        for segment in segments(path)? {
            match segment {
                Segment::Key(key) => prefix = join_key(&prefix, key),
                Segment::Index(i) => {
                    let _ = write!(prefix, "[{i}]");
                }
            }
            match self.at.get(&prefix) {
                Some(&at) => found = Some(at),
                None => break,
            }
        }
        found
    }
}

/// Find the line and column (1-based) where a dotted path is written in `text`; see [`Positions::locate`].
///
/// This reads the whole text for one path: to place several problems of one file, build [`Positions`] once.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    Positions::new(text).locate(path)
}

/// A collection being read, and the path its children hang from (`None` inside a node no path can reach).
enum Frame {
    /// `value` is `None` while a key is expected; once the key is read, the path its value hangs from.
    Mapping {
        path: Option<String>,
        value: Option<Option<String>>,
    },
    Sequence {
        path: Option<String>,
        next: usize,
    },
}

/// What a node starting now is, as far as paths go.
struct Node {
    /// The path whose position is this node's start.
    recorded: Option<String>,
    /// The path this node's children hang from, when it is a collection.
    children: Option<String>,
    /// The path of the mapping entry this node is the value of.
    value_of: Option<String>,
}

fn join_key(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `pipelines[0].table.name` as `pipelines`, `[0]`, `table`, `name`; `None` when an index is not a number.
fn segments(path: &str) -> Option<Vec<Segment<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped.find(']')?;
            out.push(Segment::Index(stripped[..close].parse().ok()?));
            rest = &stripped[close + 1..];
        }
    }
    Some(out)
}

/// The byte offset where each line starts, to turn the parser's offsets into lines and columns. Lines end at
/// `\n` (a `\r` before it belongs to the line), as `str::lines` and editors count them.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> LineStarts {
        let breaks = text.match_indices('\n').map(|(i, _)| i + 1);
        LineStarts(std::iter::once(0).chain(breaks).collect())
    }

    /// The 1-based line and byte column of `offset`, if it falls on a character of `text` (or its very end).
    fn position(&self, text: &str, offset: usize) -> Option<(usize, usize)> {
        if !text.is_char_boundary(offset) {
            return None;
        }
        let line = self.0.partition_point(|&start| start <= offset);
        let start = self.0.get(line.checked_sub(1)?)?;
        Some((line, offset - start + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the text, finding a path in it never panics (the fuzzer found two ways the old heuristics
        /// did).
        #[test]
        fn locate_never_panics(text in "[a-z:\\-\\[\\]{}, \n'\"#é]{0,80}", path in "[a-z]{1,3}(\\[[0-3]\\])?(\\.[a-z]{1,3}){0,2}") {
            let _ = locate(&text, &path);
        }

        /// Every position is on a line of the text and starts a character of it.
        #[test]
        fn positions_fall_on_the_text(text in "[a-z:\\-\\[\\]{}, \n\t'\"#&*!?|>é\u{feff}]{0,120}") {
            for &(line, column) in Positions::new(&text).at.values() {
                let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
                let l = body.split('\n').nth(line - 1);
                proptest::prop_assert!(l.is_some_and(|l| l.get(column - 1..).is_some()), "{line}:{column} in {text:?}");
            }
        }
    }

    /// Found by the fuzzer: a bare `-` item, and brackets that close before they open.
    #[test]
    fn locate_never_panics_on_odd_layouts() {
        for (text, path) in [
            ("pipelines:\n  -\n    name: Bad\n", "pipelines[0].name"),
            ("pipelines:\n  -\n", "pipelines[0].name"),
            ("pipelines: ]{[\n", "pipelines[3].x"),
            ("a: [x, {b: }]]\n", "a[1].b"),
            ("é: [ü, {ß: ]\n", "é[1].ß"),
            ("pipelines:\n- \n-", "pipelines[1].name.x"),
        ] {
            let _ = locate(text, path);
        }
        assert_eq!(
            locate("pipelines:\n  -\n    name: Bad\n", "pipelines[0].name"),
            Some((3, 5))
        );
        // An item is where its node starts, which for a `-` alone on its line is the next line.
        assert_eq!(
            locate("pipelines:\n  -\n    name: Bad\n", "pipelines[0]"),
            Some((3, 5))
        );
    }

    #[test]
    fn locate_follows_block_style() {
        let text = "stack:\n  tags:\n    owner: x\npipelines:\n  - name: a\n  - name: b\n    rule:\n      name: bad-name\n";
        assert_eq!(locate(text, "stack.tags.owner"), Some((3, 5)));
        assert_eq!(locate(text, "pipelines[1].name"), Some((6, 5)));
        assert_eq!(locate(text, "pipelines[1].rule.name"), Some((8, 7)));
        assert_eq!(locate(text, "pipelines[0].name"), Some((5, 5)));
    }

    #[test]
    fn locate_picks_direct_children_only() {
        let text = "pipelines:\n- name: a\n  table:\n    partition_key:\n      name: clientId\n    # name: no\n    name: bad\n";
        assert_eq!(locate(text, "pipelines[0].table.name"), Some((7, 5)));
        assert_eq!(
            locate(text, "pipelines[0].table.partition_key.name"),
            Some((5, 7))
        );
        let text =
            "pipelines:\n  - table: {partition_key: {name: x, type: S}, name: t}\n    name: a\n";
        assert_eq!(locate(text, "pipelines[0].table.name"), Some((2, 48)));
        assert_eq!(locate(text, "pipelines[0].name"), Some((3, 5)));
    }

    #[test]
    fn locate_follows_flow_style_on_one_line() {
        let text = "pipelines: [{name: a}, {name: b, rule: {name: x-y}}]\n";
        assert_eq!(locate(text, "pipelines[1].rule.name"), Some((1, 41)));
        assert_eq!(locate(text, "pipelines[0].name"), Some((1, 14)));
    }

    /// Brackets and escaped quotes inside the strings of a flow mapping are text, not structure.
    #[test]
    fn strings_in_flow_mappings_do_not_confuse_locate() {
        let text = "pipelines:\n  - rule: {description: \"{ \\\" [\", name: bad-rule}\n";
        let name_col = text.lines().nth(1).unwrap().find("name:").unwrap() + 1;
        assert_eq!(locate(text, "pipelines[0].rule.name"), Some((2, name_col)));
        let text = "pipelines: [{rule: {description: '{', name: x}}]\n";
        let name_col = text.find("name:").unwrap() + 1;
        assert_eq!(locate(text, "pipelines[0].rule.name"), Some((1, name_col)));
    }

    /// The column of the first `needle` on line `line` (1-based), as `locate` reports it.
    fn col(text: &str, line: usize, needle: &str) -> (usize, usize) {
        let l = text.lines().nth(line - 1).unwrap();
        (line, l.find(needle).unwrap() + 1)
    }

    /// The old heuristics counted these commas as item separators and these `#` as comments.
    #[test]
    fn commas_and_hashes_in_quoted_strings_of_flow_sequences_are_text() {
        let text =
            "pipelines:\n  - name: a\n    events: [\"a, b\", 'c # d, e', \"#\", connected]\n";
        assert_eq!(
            locate(text, "pipelines[0].events[3]"),
            Some(col(text, 3, "connected"))
        );
        assert_eq!(
            locate(text, "pipelines[0].events[1]"),
            Some(col(text, 3, "'c"))
        );
        let text = "pipelines: [{name: a, events: ['x,y', \"#,\"]}, {name: b}]\n";
        assert_eq!(
            locate(text, "pipelines[0].events[1]"),
            Some(col(text, 1, "\"#"))
        );
        assert_eq!(
            locate(text, "pipelines[1].name"),
            Some(col(text, 1, "name: b"))
        );
    }

    #[test]
    fn commas_and_hashes_in_quoted_strings_of_flow_mappings_are_text() {
        let text = "pipelines:\n  - rule: {description: 'one, # two', name: x}\n    table: {name: \"a,#b\", billing: provisioned}\n";
        assert_eq!(
            locate(text, "pipelines[0].rule.name"),
            Some(col(text, 2, "name: x"))
        );
        assert_eq!(
            locate(text, "pipelines[0].table.billing"),
            Some(col(text, 3, "billing"))
        );
        let text = "stack: {description: \"x # {y}, z\", tags: {\"a,b\": c, 'd#': e}}\npipelines: [{name: p}]\n";
        assert_eq!(locate(text, "stack.tags.a,b"), Some(col(text, 1, "\"a,b")));
        assert_eq!(locate(text, "stack.tags.d#"), Some(col(text, 1, "'d#")));
    }

    #[test]
    fn flow_collections_may_span_lines() {
        let text = "pipelines: [\n  {name: a,\n   rule: {\n     description: \"}, {\",\n     name: x}},\n  # {name: no},\n  {name: b}\n]\n";
        assert_eq!(locate(text, "pipelines[0].rule.name"), Some((5, 6)));
        assert_eq!(locate(text, "pipelines[0].rule"), Some((3, 4)));
        assert_eq!(locate(text, "pipelines[1]"), Some((7, 3)));
        assert_eq!(locate(text, "pipelines[1].name"), Some((7, 4)));
    }

    #[test]
    fn block_scalars_are_text() {
        let text = "stack:\n  description: |\n    name: not a key\n    - not an item\n  tags: >-\n    a: b\npipelines:\n  - name: a\n    sql: >\n      SELECT *\n\n      FROM 'x'\n    rule: {name: r}\n";
        assert_eq!(locate(text, "stack.tags"), Some((5, 3)));
        assert_eq!(locate(text, "stack.description.name"), Some((2, 3)));
        assert_eq!(locate(text, "pipelines[0].rule.name"), Some((13, 12)));
    }

    #[test]
    fn keys_may_be_quoted() {
        let text = "\"pipelines\":\n  - 'name': a\n    \"rule\": {'name': x, \"enabled\": true}\n    \"na\\u006De\": dup\n";
        assert_eq!(locate(text, "pipelines[0].name"), Some((2, 5)));
        assert_eq!(locate(text, "pipelines[0].rule.name"), Some((3, 14)));
        assert_eq!(locate(text, "pipelines[0].rule.enabled"), Some((3, 25)));
    }

    #[test]
    fn comments_between_items_are_skipped() {
        let text = "pipelines:\n  # - name: zero\n  - name: a # - name: b\n  #\n  -   # the next item\n    name: b\n\n  - {name: c} # , {name: d}\n";
        assert_eq!(locate(text, "pipelines[0].name"), Some((3, 5)));
        assert_eq!(locate(text, "pipelines[1].name"), Some((6, 5)));
        assert_eq!(locate(text, "pipelines[2].name"), Some((8, 6)));
        assert_eq!(locate(text, "pipelines[3]"), Some((1, 1)));
    }

    #[test]
    fn missing_paths_give_the_nearest_enclosing_node_or_none() {
        let text = "pipelines:\n  - name: a\n    table: {}\n";
        assert_eq!(
            locate(text, "pipelines[0].table.sort_key.expression"),
            Some((3, 5))
        );
        assert_eq!(locate(text, "stack.alarms.email"), None);
        assert_eq!(locate(text, ""), None);
        assert_eq!(locate(text, "pipelines[x].name"), None);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "pipelines:\n  - &first {name: a, rule: &r {name: x}}\n  - name: b\n    rule: *r\n  - <<: *first\n    name: c\n";
        assert_eq!(locate(text, "pipelines[0]"), Some((2, 5)));
        assert_eq!(
            locate(text, "pipelines[0].rule.name"),
            Some(col(text, 2, "name: x"))
        );
        // The alias's contents are written elsewhere: the key that holds it is the nearest place.
        assert_eq!(locate(text, "pipelines[1].rule.name"), Some((4, 5)));
        assert_eq!(locate(text, "pipelines[2].<<"), Some((5, 5)));
        assert_eq!(locate(text, "pipelines[2].name"), Some((6, 5)));
    }

    #[test]
    fn a_key_written_twice_keeps_its_first_place() {
        let text = "pipelines:\n  - name: a\n    name: b\n";
        assert_eq!(locate(text, "pipelines[0].name"), Some((2, 5)));
    }

    #[test]
    fn only_the_first_document_counts() {
        let text = "stack: {}\n---\npipelines: [{name: a}]\n";
        assert_eq!(locate(text, "stack"), Some((1, 1)));
        assert_eq!(locate(text, "pipelines"), None);
    }

    #[test]
    fn a_byte_order_mark_tabs_and_crlf() {
        let text = "\u{feff}pipelines:\r\n  - name:\ta\r\n    rule: {name:\tx}\r\n";
        assert_eq!(locate(text, "pipelines"), Some((1, 1)));
        assert_eq!(locate(text, "pipelines[0].name"), Some((2, 5)));
        assert_eq!(locate(text, "pipelines[0].rule.name"), Some((3, 12)));
        // Tabs cannot indent: the parser stops there, keeping what it read before.
        let text = "pipelines:\n  - name: a\n\trule: {}\n";
        assert_eq!(locate(text, "pipelines[0].name"), Some((2, 5)));
        assert_eq!(locate(text, "pipelines[0].rule"), Some((2, 5)));
    }

    #[test]
    fn invalid_yaml_keeps_what_came_before_the_error() {
        let text = "pipelines:\n  - name: a\n  - {name: b, rule: [\n";
        assert_eq!(locate(text, "pipelines[0].name"), Some((2, 5)));
        assert_eq!(locate(text, "pipelines[1].rule"), Some((3, 15)));
        for text in [
            "]",
            "{",
            "a: b: c",
            "- a\nb: c",
            "&a *a",
            "!<x> a",
            "? [a]: b",
            "\u{0}",
        ] {
            let _ = Positions::new(text);
        }
    }

    #[test]
    fn complex_keys_hide_what_they_hold() {
        let text = "? {name: a}\n: x\nname: b\n";
        assert_eq!(locate(text, "name"), Some((3, 1)));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // Block nesting the bracket limit does not see: the walk keeps its own stack.
        let text = "- ".repeat(20_000) + "x\n";
        let _ = Positions::new(&text);
        let text = (0..500)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect::<String>();
        assert_eq!(locate(&text, "k0.k1.k2").map(|(line, _)| line), Some(3));
        // Flow nesting past the limit is refused before the parser sees it, as `parse` does.
        let text = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(Positions::new(&text), Positions::default());
    }

    #[test]
    fn columns_count_bytes() {
        let text = "stack: {description: é, tags: {ü: x}}\n";
        assert_eq!(locate(text, "stack.tags.ü"), Some(col(text, 1, "ü")));
    }
}
