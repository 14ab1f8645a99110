//! The template as JSON text, each template rendered once per *shape* of its scope instead of once per resource.
//!
//! A scope's shape is its JSON value with every non-empty string left out. The templates read a scope only
//! through `{{json X}}`, `(cat ...)` of strings and numbers, `{{#if X}}` and the `policies` partial (the forms
//! `compile::build` reads, which the tests hold every template to), so what a template renders depends on the
//! strings only in two ways: whether one is empty (`#if`), and the JSON-escaped text of it, whole or joined with
//! others, inside a string of the output. So a template rendered once with each non-empty string replaced by a
//! marker (`\u{E000}` index `\u{E001}`, characters JSON never escapes), parsed back (the safety net that
//! catches a broken template, now once per shape) and printed pretty, is the text of every scope of that shape
//! with each marker replaced by its string escaped: JSON escapes a string character by character, so the
//! escape of a joined string is the escapes of its parts joined.
//!
//! The first scope of a shape renders the plain way, straight to text; the second makes the shape's pieces, which
//! every later scope reuses. So a shape that never repeats costs only the reading of its outline.
//!
//! What could break that is sent the slow way (every resource rendered and parsed, [`super::template`]):
//! a marker in an object key of the scope, or in an object key of the output below a section's entries, and two
//! entries of a section under the same key (the JSON value keeps the last one in the first one's place).

use std::collections::{HashMap, HashSet};

use handlebars::Context;
use serde::Serialize;
use serde_json::Value;

use super::outline::{Outline, outline};
use super::{RenderFailure, Section, Sink, context, render};
use crate::digits::Digits;

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// A scope's shape and its non-empty strings, in the order of its JSON value.
pub(super) struct Shaped {
    /// An index into [`Shapes::shapes`]; `None` when the scope cannot render by shape.
    shape: Option<usize>,
    strings: Vec<String>,
    /// The first scope of its shape renders with its own context, straight to text: a shape that never repeats
    /// costs no markers and no pieces.
    first: Option<Context>,
}

/// The context that renders a shape with markers for its strings.
enum Marked {
    /// Not made yet: only one scope of the shape has been seen.
    NotYet,
    Ready(Context),
    /// The shape renders the slow way.
    Slow,
}

/// A piece of output text: JSON text of the template, or the place of a scope's string.
#[derive(Debug)]
enum Piece {
    Text(String),
    Slot(usize),
}

/// What a template renders for one shape.
enum Entry {
    /// A resource: its value, as JSON text indented for its place in `Resources`.
    One(Vec<Piece>),
    /// Entries of a section: each key (the raw key, not JSON) and value (JSON text).
    Many(Vec<(Vec<Piece>, Vec<Piece>)>),
}

/// The output of one section: `"key": value` entries, and the keys written.
#[derive(Default)]
struct Written {
    text: String,
    keys: HashSet<String>,
}

/// The sink that writes JSON text by shape.
#[derive(Default)]
pub(super) struct Shapes {
    /// Each distinct shape seen ([`outline`]), and its index.
    shapes: HashMap<Vec<u8>, usize>,
    /// What each template renders for each shape.
    entries: HashMap<(&'static str, usize), Entry>,
    /// The context of each shape with markers for its strings, made from its second scope.
    marked: Vec<Marked>,
    sections: [Written; 2],
    /// Something can only render the slow way: the rest is skipped and [`Shapes::finish`] says `None`.
    slow: bool,
    /// Whether the first scope of a shape renders with markers too (tests do, to hold every template's pieces
    /// to the slow way).
    marked_first: bool,
}

impl Sink for Shapes {
    type Scope = Shaped;

    fn scope(
        &mut self,
        name: &'static str,
        scope: &impl Serialize,
    ) -> Result<Shaped, RenderFailure> {
        let Some(Outline { shape, strings }) = outline(scope).filter(|_| !self.slow) else {
            self.slow = true;
            return Ok(Shaped {
                shape: None,
                strings: Vec::new(),
                first: None,
            });
        };
        let next = self.shapes.len();
        let shape = *self.shapes.entry(shape).or_insert(next);
        if shape == next {
            self.marked.push(Marked::NotYet);
            if !self.marked_first {
                let Ok(ctx) = context(name, scope) else {
                    // The slow way reports it.
                    self.slow = true;
                    return Ok(Shaped {
                        shape: None,
                        strings,
                        first: None,
                    });
                };
                return Ok(Shaped {
                    shape: Some(shape),
                    strings,
                    first: Some(ctx),
                });
            }
        }
        if let Some(marked @ Marked::NotYet) = self.marked.get_mut(shape) {
            // The scope's JSON value, with markers for its strings. An error, or strings that are not those of
            // the outline, leaves the shape to the slow way, which reports the error.
            *marked = context(name, scope)
                .ok()
                .and_then(|mut ctx| {
                    let mut next = 0;
                    (mark(ctx.data_mut(), &strings, &mut next) && next == strings.len())
                        .then_some(ctx)
                })
                .map_or(Marked::Slow, Marked::Ready);
        }
        Ok(Shaped {
            shape: Some(shape),
            strings,
            first: None,
        })
    }

    fn resource(
        &mut self,
        id: &str,
        name: &'static str,
        scope: &Shaped,
    ) -> Result<(), RenderFailure> {
        if let (false, Some(ctx)) = (self.slow, &scope.first) {
            let written = &mut self.sections[Section::Resources as usize];
            let text = render(name, ctx).ok().and_then(|value| {
                let mut text = String::new();
                indented(&mut text, &value, 2).ok().map(|()| text)
            });
            match text {
                Some(text) if written.keys.insert(id.to_owned()) => {
                    write_key(&mut written.text, id);
                    written.text.push_str(&text);
                }
                _ => self.slow = true,
            }
            return Ok(());
        }
        let Some(Entry::One(value)) = (!self.slow)
            .then(|| entry(&mut self.entries, &self.marked, name, scope, false))
            .flatten()
        else {
            self.slow = true;
            return Ok(());
        };
        let written = &mut self.sections[Section::Resources as usize];
        if !written.keys.insert(id.to_owned()) {
            self.slow = true;
            return Ok(());
        }
        write_key(&mut written.text, id);
        write_pieces(&mut written.text, value, &scope.strings);
        Ok(())
    }

    fn entries(
        &mut self,
        section: Section,
        name: &'static str,
        scope: &Shaped,
    ) -> Result<(), RenderFailure> {
        if let (false, Some(ctx)) = (self.slow, &scope.first) {
            let Ok(Value::Object(map)) = render(name, ctx) else {
                self.slow = true;
                return Ok(());
            };
            let written = &mut self.sections[section as usize];
            for (key, value) in map {
                let mut text = String::new();
                if indented(&mut text, &value, 2).is_err() || !written.keys.insert(key.clone()) {
                    self.slow = true;
                    return Ok(());
                }
                write_key(&mut written.text, &key);
                written.text.push_str(&text);
            }
            return Ok(());
        }
        let Some(Entry::Many(entries)) = (!self.slow)
            .then(|| entry(&mut self.entries, &self.marked, name, scope, true))
            .flatten()
        else {
            self.slow = true;
            return Ok(());
        };
        let written = &mut self.sections[section as usize];
        for (key, value) in entries {
            let mut raw = String::new();
            for piece in key {
                match piece {
                    Piece::Text(text) => raw.push_str(text),
                    Piece::Slot(i) => raw.push_str(&scope.strings[*i]),
                }
            }
            write_key(&mut written.text, &raw);
            if !written.keys.insert(raw) {
                self.slow = true;
                return Ok(());
            }
            write_pieces(&mut written.text, value, &scope.strings);
        }
        Ok(())
    }
}

impl Shapes {
    /// A sink whose every scope renders with markers, the first of its shape too.
    #[cfg(test)]
    pub(super) fn marked_first() -> Shapes {
        Shapes {
            marked_first: true,
            ..Shapes::default()
        }
    }

    /// The whole template as text, the skeleton's Resources and Outputs (when it has them) filled with the
    /// sections, as serde_json prints a value pretty; `None` when it must be rendered the slow way.
    pub(super) fn finish(self, skeleton: &Value) -> Result<Option<String>, RenderFailure> {
        let Value::Object(top) = skeleton else {
            return Ok(None);
        };
        if self.slow || top.is_empty() {
            return Ok(None);
        }
        let [resources, outputs] = self.sections;
        let mut out = String::with_capacity(resources.text.len() + outputs.text.len() + 1024);
        out.push('{');
        for (i, (key, value)) in top.iter().enumerate() {
            out.push_str(if i == 0 { "\n  \"" } else { ",\n  \"" });
            escape(&mut out, key);
            out.push_str("\": ");
            let section = match key.as_str() {
                "Resources" => Some(&resources.text),
                "Outputs" => Some(&outputs.text),
                _ => None,
            };
            match section {
                Some(text) if text.is_empty() => out.push_str("{}"),
                Some(text) => {
                    out.push('{');
                    out.push_str(text);
                    out.push_str("\n  }");
                }
                None => indented(&mut out, value, 1).map_err(|source| RenderFailure::Json {
                    name: "stack",
                    source,
                })?,
            }
        }
        out.push_str("\n}\n");
        Ok(Some(out))
    }
}

/// What template `name` renders for the scope's shape, rendered now with markers the first time the shape needs
/// it; `None` when it can only render the slow way.
fn entry<'a>(
    entries: &'a mut HashMap<(&'static str, usize), Entry>,
    marked: &[Marked],
    name: &'static str,
    scope: &Shaped,
    many: bool,
) -> Option<&'a Entry> {
    let shape = scope.shape?;
    match entries.entry((name, shape)) {
        std::collections::hash_map::Entry::Occupied(known) => Some(known.into_mut()),
        std::collections::hash_map::Entry::Vacant(new) => {
            let Marked::Ready(ctx) = marked.get(shape)? else {
                return None;
            };
            Some(new.insert(render_marked(name, ctx, many)?))
        }
    }
}

/// A shape through template `name` (its context `marked`: markers for its strings), parsed back,
/// and cut into pieces at the markers. `None` when the output cannot be reused (see the module's comment) or
/// the template fails, which the slow way then reports.
fn render_marked(name: &'static str, marked: &Context, many: bool) -> Option<Entry> {
    let value = render(name, marked).ok()?;
    let value_pieces = |value: &Value| -> Option<Vec<Piece>> {
        if marker_in_keys(value) {
            return None;
        }
        let mut text = String::new();
        indented(&mut text, value, 2).ok()?;
        pieces(&text)
    };
    if !many {
        return Some(Entry::One(value_pieces(&value)?));
    }
    let Value::Object(map) = value else {
        return None;
    };
    let mut entries = Vec::with_capacity(map.len());
    for (key, value) in &map {
        entries.push((pieces(key)?, value_pieces(value)?));
    }
    Some(Entry::Many(entries))
}

/// Replaces the non-empty strings of `value` with markers numbered from `next`, in the order of the value, each
/// checked to be the string the outline read there; false when one is not, or when an object key holds a marker
/// character.
fn mark(value: &mut Value, strings: &[String], next: &mut usize) -> bool {
    match value {
        Value::String(s) if !s.is_empty() => {
            if strings.get(*next) != Some(s) {
                return false;
            }
            *s = marker(*next);
            *next += 1;
            true
        }
        Value::Array(items) => items.iter_mut().all(|v| mark(v, strings, next)),
        Value::Object(map) => map
            .iter_mut()
            .all(|(k, v)| !has_marker(k) && mark(v, strings, next)),
        _ => true,
    }
}

/// The marker of the string at `index`.
fn marker(index: usize) -> String {
    let digits = Digits::of_u64(index as u64);
    let mut marker = String::with_capacity(6 + digits.as_bytes().len());
    marker.push(OPEN);
    marker.push_str(digits.as_str());
    marker.push(CLOSE);
    marker
}

/// Whether `text` holds a marker character: both begin with the byte 0xEE in UTF-8, which a quick scan finds.
pub(super) fn has_marker(text: &str) -> bool {
    text.as_bytes().contains(&0xEE) && text.contains([OPEN, CLOSE])
}

/// Whether an object key anywhere in `value` holds a marker.
fn marker_in_keys(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(marker_in_keys),
        Value::Object(map) => map.iter().any(|(k, v)| has_marker(k) || marker_in_keys(v)),
        _ => false,
    }
}

/// `value` printed pretty by serde_json as it prints nested `depth` objects deep: printed inside that many
/// objects of one key, and cut out of them, so serde_json itself indents every line.
fn indented(out: &mut String, value: &Value, depth: usize) -> Result<(), serde_json::Error> {
    let text = serde_json::to_string_pretty(&Nested { depth, value })?;
    let mut start = 0;
    let mut end = text.len();
    for level in 0..depth {
        // `{`, a line break, the key's indentation and `"": `; at the end, a line break, the indentation of
        // the object's own line and `}`.
        start += 1 + 1 + 2 * (level + 1) + 4;
        end -= 1 + 2 * level + 1;
    }
    out.push_str(&text[start..end]);
    Ok(())
}

/// `value` inside `depth` objects whose one key is empty.
struct Nested<'a> {
    depth: usize,
    value: &'a Value,
}

impl Serialize for Nested<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        if self.depth == 0 {
            return self.value.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(
            "",
            &Nested {
                depth: self.depth - 1,
                value: self.value,
            },
        )?;
        map.end()
    }
}

/// Text cut at its markers; `None` when a marker is malformed (a template's own text never holds one).
fn pieces(text: &str) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + OPEN.len_utf8()..];
        let end = after.find(CLOSE)?;
        pieces.push(Piece::Slot(after[..end].parse().ok()?));
        rest = &after[end + CLOSE.len_utf8()..];
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Some(pieces)
}

/// `,` (but before the first entry), a line break and the indentation of a section's entry, and its key.
fn write_key(out: &mut String, key: &str) {
    out.push_str(if out.is_empty() {
        "\n    \""
    } else {
        ",\n    \""
    });
    escape(out, key);
    out.push_str("\": ");
}

fn write_pieces(out: &mut String, pieces: &[Piece], strings: &[String]) {
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Slot(i) => escape(out, &strings[*i]),
        }
    }
}

/// The inside of a JSON string literal holding `text`, escaped as serde_json escapes it: `"`, `\` and the control
/// characters, with the short escapes JSON has and `\u00xx` (lowercase) for the others.
fn escape(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::{Format, emit};
    use proptest::prelude::*;
    use serde_json::json;

    /// The text by shape, the first scope of each shape rendered straight to text as `synth` does, and again
    /// with every scope rendered with markers; and the text of the template's value, for a config.
    fn both(text: &str) -> Option<([Option<String>; 2], String)> {
        let model = crate::load(crate::Source {
            name: "t.yaml",
            text,
        })
        .ok()?;
        let slow = emit(
            &super::super::template(&model).expect("renders"),
            Format::Json,
        )
        .expect("emits");
        let fast = [Shapes::default(), Shapes::marked_first()]
            .map(|shapes| super::super::json_text_by(&model, shapes).expect("renders"));
        Some((fast, slow))
    }

    /// Every example renders by shape, to the bytes of the slow way.
    #[test]
    fn every_example_renders_by_shape_to_the_same_bytes() {
        let mut seen = 0;
        for entry in
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).expect("examples")
        {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("reads");
            let (fast, slow) = both(&text).expect("a valid example");
            for fast in fast {
                assert_eq!(fast.as_deref(), Some(slow.as_str()), "{}", path.display());
            }
            seen += 1;
        }
        assert!(seen >= 5);
    }

    /// The first scope of a shape renders straight to text; the second renders the shape's pieces, which every
    /// later scope of the shape reuses.
    #[test]
    fn alike_pipelines_render_once_per_shape() {
        let model = crate::load(crate::Source {
            name: "t.yaml",
            text: "stack: {alarms: {enabled: false}, outputs: false}\npipelines:\n  - name: a\n  - name: b\n  - name: c\n    \
                   error_action: {kind: sqs}\n",
        })
        .expect("valid");
        let mut shapes = Shapes::default();
        super::super::assemble(&model, &mut shapes).expect("renders");
        assert_eq!(shapes.shapes.len(), 2);
        // table, log group, role and rule, of b's shape: c's shape has one scope.
        assert_eq!(shapes.entries.len(), 4);
    }

    /// Pipelines that each have a shape of their own render straight to text, with no pieces, to the same
    /// bytes.
    #[test]
    fn shapes_that_do_not_repeat_render_no_pieces() {
        let mut config = "stack: {alarms: {enabled: false}}\npipelines:\n".to_owned();
        for i in 1..=6 {
            config.push_str(&format!("  - {{name: p{i}, table: {{ttl_days: {i}}}}}\n"));
        }
        let source = crate::Source {
            name: "t.yaml",
            text: &config,
        };
        let model = crate::load(source).expect("valid");
        let mut shapes = Shapes::default();
        super::super::assemble(&model, &mut shapes).expect("renders");
        assert_eq!((shapes.shapes.len(), shapes.entries.len()), (6, 0));
        let (fast, slow) = both(&config).expect("valid");
        for fast in fast {
            assert_eq!(fast.as_deref(), Some(slow.as_str()));
        }
        let synthesized = crate::synthesize(source, Format::Json).expect("synthesizes");
        assert_eq!(synthesized.template, slow);
    }

    /// A duplicate key, or a marker in a key of the scope, sends the template the slow way.
    #[test]
    fn what_shapes_cannot_reproduce_goes_the_slow_way() {
        let mut shapes = Shapes::default();
        let scope = shapes
            .scope("t", &json!({"p": {"ids": {"table": "T"}}}))
            .expect("scope");
        assert!(scope.shape.is_some());
        let odd = shapes.scope("t", &json!({"a\u{E000}": 1})).expect("scope");
        assert!(odd.shape.is_none());
        assert_eq!(
            pieces("a\u{E000}12\u{E001}b\u{E000}x").map(|p| p.len()),
            None
        );
        for value in [
            json!({}),
            json!([]),
            json!({"a": [1, {"b": "c"}], "d": {}}),
            json!("x"),
        ] {
            for (depth, newline) in [(1, "\n  "), (2, "\n    ")] {
                let mut text = String::new();
                indented(&mut text, &value, depth).expect("prints");
                let expected = serde_json::to_string_pretty(&value).expect("prints");
                assert_eq!(text, expected.replace('\n', newline));
            }
        }
        assert_eq!(marker(0), "\u{E000}0\u{E001}");
        assert_eq!(marker(4021), "\u{E000}4021\u{E001}");
        assert!(has_marker("é\u{E001}") && !has_marker("\u{E002}é"));
        let Some(p) = pieces("a\u{E000}12\u{E001}b") else {
            panic!("pieces")
        };
        assert!(matches!(
            p.as_slice(),
            [Piece::Text(_), Piece::Slot(12), Piece::Text(_)]
        ));
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[a-zA-Z0-9 .,:;!?()'\"\\\\{}<>&#@%*|=é日本🚀-]{0,30}",
            1 => "[a\u{E000}\u{E001}0-9\"\\\\]{0,8}",
            1 => any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// serde_json's escaping, as the text by shape writes it.
        #[test]
        fn escape_is_serde_jsons(s in any::<String>()) {
            let mut out = String::from("\"");
            escape(&mut out, &s);
            out.push('"');
            prop_assert_eq!(out, serde_json::to_string(&s).expect("serializes"));
        }

        /// Any valid config: the text by shape is the text of the template's value, and a config whose strings
        /// hold nothing odd in keys renders by shape.
        #[test]
        fn shapes_give_the_bytes_of_the_slow_way(
            description in prop::option::of(text()),
            tags in prop::collection::btree_map("[a-zA-Z0-9_.:/=+@ -]{1,12}", text(), 0..3),
            outputs in any::<bool>(),
            alarms in any::<bool>(),
            pipelines in prop::collection::vec((
                "[a-z][a-z0-9_]{0,8}",
                prop::option::of(text()),
                prop::sample::select(vec!["cloudwatch_logs", "sqs", "none"]),
                prop::sample::select(vec!["aws_owned", "aws_managed", "customer_managed"]),
                any::<bool>(),
                any::<bool>(),
            ), 1..4),
        ) {
            let pipelines: Vec<_> = pipelines
                .into_iter()
                .enumerate()
                .map(|(i, (name, rule, error, encryption, status, retain))| {
                    let mut p = json!({
                        "name": format!("{name}{i}"),
                        "error_action": {"kind": error},
                        "table": {"encryption": encryption, "retain": retain},
                        "status": {"enabled": status},
                    });
                    if let Some(rule) = rule {
                        p["rule"] = json!({"description": rule});
                    }
                    p
                })
                .collect();
            let mut stack = json!({"outputs": outputs, "tags": tags, "alarms": {"enabled": alarms}});
            if let Some(d) = description {
                stack["description"] = json!(d);
            }
            let config = json!({"stack": stack, "pipelines": pipelines}).to_string();
            if let Some((fast, slow)) = both(&config) {
                for fast in fast {
                    prop_assert_eq!(fast.as_deref(), Some(slow.as_str()));
                }
            }
        }
    }
}
