//! Property 2b, an error in a config of any YAML layout is reported at the line and column of its key, and
//! property 3, no input makes the library panic (with the crash inputs of `tests/regressions/`).

use super::valid::config;
use super::*;

// ---------------------------------------------------------------------------------------------------------------
// Property 2b: an error in a config of any YAML layout is reported at the line and column of its key
// ---------------------------------------------------------------------------------------------------------------

/// A tiny deterministic generator of layout choices (xorshift), seeded by proptest.
struct Choices(u64);

impl Choices {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.next(n) == 0
    }
}

/// Block-style YAML of `config` in one of many layouts people write: indents of 2 to 4, `- key: v` or a `-` alone
/// on its line, indentless sequences, flow collections inside block ones, quoted keys, comment lines and trailing
/// comments.
fn write_layout(config: &Value, seed: u64) -> String {
    struct W<'a> {
        c: &'a mut Choices,
        indent: usize,
        out: String,
    }
    impl W<'_> {
        fn scalar(&mut self, v: &Value) {
            match v {
                Value::String(s)
                    if !s.is_empty()
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && !["yes", "no", "on", "off", "y", "n", "true", "false", "null"]
                            .contains(&s.to_ascii_lowercase().as_str())
                        && !self.c.one_in(3) =>
                {
                    self.out.push_str(s)
                }
                Value::String(s) => self.out.push_str(&yaml_quoted(s)),
                Value::Array(_) | Value::Object(_) => write_flow(v, &mut self.out),
                other => self.out.push_str(&other.to_string()),
            }
        }
        fn key(&mut self, k: &str) {
            let plain = k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if !plain || self.c.one_in(5) {
                self.out.push_str(&yaml_quoted(k));
            } else {
                self.out.push_str(k);
            }
            self.out.push(':');
        }
        fn comment_line(&mut self, col: usize) {
            if self.c.one_in(8) {
                self.out.push_str(&" ".repeat(col));
                self.out.push_str("# name: not this one\n");
            }
        }
        fn end_line(&mut self) {
            if self.c.one_in(8) {
                self.out.push_str("  # comment: x");
            }
            self.out.push('\n');
        }
        /// The value after `key:`, whose key starts at `col`.
        fn value(&mut self, v: &Value, col: usize) {
            let empty = match v {
                Value::Array(a) => a.is_empty(),
                Value::Object(m) => m.is_empty(),
                _ => true,
            };
            if empty || self.c.one_in(5) {
                self.out.push(' ');
                self.scalar(v);
                self.end_line();
                return;
            }
            self.out.push('\n');
            match v {
                Value::Object(m) => self.map(m, col + self.indent, false),
                Value::Array(a) => {
                    let col = if self.c.one_in(3) {
                        col
                    } else {
                        col + self.indent
                    };
                    self.seq(a, col);
                }
                _ => unreachable!(),
            }
        }
        /// A block mapping whose keys start at `col`; with `inline`, the first key follows a `- ` already written.
        fn map(&mut self, m: &Map<String, Value>, col: usize, inline: bool) {
            for (i, (k, v)) in m.iter().enumerate() {
                if !(inline && i == 0) {
                    self.comment_line(col);
                    self.out.push_str(&" ".repeat(col));
                }
                self.key(k);
                self.value(v, col);
            }
        }
        fn seq(&mut self, a: &[Value], col: usize) {
            for item in a {
                self.comment_line(col);
                self.out.push_str(&" ".repeat(col));
                self.out.push('-');
                match item {
                    Value::Object(m) if !m.is_empty() && !self.c.one_in(6) => {
                        if self.c.one_in(3) {
                            self.out.push('\n');
                            let inner = col + 2 + self.c.next(3) as usize;
                            self.map(m, inner, false);
                        } else {
                            self.out.push(' ');
                            self.map(m, col + 2, true);
                        }
                    }
                    other => {
                        self.out.push(' ');
                        self.scalar(other);
                        self.end_line();
                    }
                }
            }
        }
    }
    let mut c = Choices(seed | 1);
    let indent = 2 + c.next(3) as usize;
    let mut w = W {
        c: &mut c,
        indent,
        out: String::new(),
    };
    if let Value::Object(m) = config {
        w.map(m, 0, false);
    }
    let text = w.out;
    let back: Value = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("the test wrote YAML that does not parse ({e}):\n{text}"));
    assert_eq!(
        &back, config,
        "the test's layout does not read back:\n{text}"
    );
    text
}

/// Where an error's line and column point: at its key (a name the model refuses), or at its value (a value out of
/// range, `PS011`, placed where the parser places the ones it finds).
enum Mark {
    Key(&'static str),
    Value(&'static str),
}

/// One error put into a valid config: the path it must be reported at and what its line and column point to.
fn inject_error(config: &mut Value, pipeline: usize, kind: usize) -> (String, Mark) {
    let n = config["pipelines"].as_array().map_or(0, Vec::len);
    let i = pipeline % n;
    let p = config["pipelines"][i].as_object_mut().unwrap();
    let mut section = |name: &str| {
        let s = p.entry(name.to_owned()).or_insert_with(|| json!({}));
        // The key with the error goes in next; a section that is not a map starts empty (`table` has no
        // `enabled` to fill it with).
        if !s.is_object() {
            *s = json!({});
        }
        s.as_object_mut().unwrap().clone()
    };
    match kind % 4 {
        0 => {
            p.insert("name".into(), json!("Bad-Name"));
            (format!("pipelines[{i}].name"), Mark::Key("name"))
        }
        1 => {
            let mut rule = section("rule");
            rule.insert("name".into(), json!("bad-rule"));
            p.insert("rule".into(), Value::Object(rule));
            (format!("pipelines[{i}].rule.name"), Mark::Key("name"))
        }
        2 => {
            let mut table = section("table");
            table.insert("name".into(), json!("x"));
            p.insert("table".into(), Value::Object(table));
            (format!("pipelines[{i}].table.name"), Mark::Key("name"))
        }
        _ => {
            p.insert(
                "error_action".into(),
                json!({"kind": "cloudwatch_logs", "retention_days": 2}),
            );
            (
                format!("pipelines[{i}].error_action.retention_days"),
                Mark::Value("2"),
            )
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(256) })]

    #[test]
    fn errors_point_at_their_key_or_value_in_any_layout(
        spec in config(),
        pipeline in 0usize..20,
        kind in 0usize..4,
        seed in any::<u64>(),
    ) {
        let mut value = spec.value.clone();
        let (path, mark) = inject_error(&mut value, pipeline, kind);
        let text = write_layout(&value, seed);
        let diags = match synth(&text, Format::Json) {
            Err(Error::Config(diags)) => diags,
            Ok(_) => return Err(TestCaseError::fail(format!("{path}: the error was not noticed\n{text}"))),
            Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
        };
        let d = diags.iter().find(|d| d.path == path);
        prop_assert!(d.is_some(), "no error at {}: {}\n{}", path, describe(&Error::Config(diags.clone())), text);
        let d = d.unwrap();
        let (Some(line), Some(column)) = (d.line, d.column) else {
            return Err(TestCaseError::fail(format!("{path}: no line and column\n{text}")));
        };
        // The position is the parser's mark of the key or the value, in block and flow style alike, whatever the
        // strings around it hold.
        let at = text.lines().nth(line - 1).and_then(|l| l.get(column - 1..)).unwrap_or("");
        let tokens = match mark {
            Mark::Key(key) => vec![format!("{key}:"), format!("\"{key}\":")],
            Mark::Value(value) => vec![value.to_owned(), format!("\"{value}\"")],
        };
        prop_assert!(
            tokens.iter().any(|t| at.starts_with(t.as_str())),
            "{} reported at line {}, column {}, which reads {:?}:\n{}",
            path, line, column, at, text
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Property 3: no input makes the library panic
// ---------------------------------------------------------------------------------------------------------------

/// Everything the fuzz targets do with one input: their bodies live in `tests/it/support/`, shared with `fuzz/`, so
/// that a crash the fuzzer finds replays here through the same code.
fn no_panic_on(text: &str) {
    fuzz_synth::check(text.as_bytes());
}

fn sql_round_trip(text: &str) {
    fuzz_sql::check(text.as_bytes());
}

fn eval_run(text: &str) {
    fuzz_eval::check(text.as_bytes());
}

const VALID: &str = "stack:\n  description: d\n  tags: {owner: iot}\npipelines:\n  - name: presence\n    events: [connected]\n    rule: {name: r, description: x}\n    table:\n      sort_key:\n        name: eventKey\n        type: S\n        expression: \"concat(timestamp, '#', eventType)\"\n      billing: provisioned\n      read_capacity: 5\n      write_capacity: 5\n      ttl_days: 30\n    error_action: {kind: sqs}\n  - {name: other, sql: \"SELECT * FROM '$aws/events/presence/#'\"}\n";

const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n    - ",
    "-\n   ",
    "-\n",
    ":\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "&a ",
    "*a",
    "!!binary ",
    "!!map ",
    "<<: *a",
    "~",
    "null",
    "#",
    "\t",
    "é",
    "日本",
    "🚀",
    "\u{0}",
    "\u{feff}",
    "\r\n",
    "---\n",
    "...",
    "pipelines",
    "name: x",
    "stack",
    "tags",
    "sql: ",
    "expression: ",
    "sort_key",
    "SELECT ",
    "'$aws/#'",
    "1e400",
    "-1",
    "99999999999999999999",
    "? ",
    "|\n",
    ">-\n",
    "%",
    "\\",
    "{{",
];

/// Configs that are valid or nearly so: this file's [`VALID`], every example and every config of `tests/warn`.
fn base_configs() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bases = vec![VALID.to_owned()];
    for dir in ["examples", "tests/warn"] {
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        bases.extend(paths.iter().filter_map(|p| fs::read_to_string(p).ok()));
    }
    bases
}

/// A few small edits of a nearly valid config: enough to reach the model, the checks and `locate`, which a wholly
/// random text never gets past the YAML reader to.
fn mutated_config() -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), 0usize..6, select(TOKENS));
    (select(base_configs()), prop::collection::vec(edit, 1..4)).prop_map(|(mut text, edits)| {
        for (at, delete, token) in edits {
            let mut pos = at.index(text.len() + 1);
            while !text.is_char_boundary(pos) {
                pos -= 1;
            }
            let mut end = (pos + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(pos..end, token);
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(512) })]

    #[test]
    fn no_config_text_makes_the_library_panic(
        text in prop_oneof![
            2 => any::<String>(),
            1 => prop::collection::vec(any::<u8>(), 0..200)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            4 => mutated_config(),
        ],
    ) {
        no_panic_on(&text);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Regressions: crash inputs of the fuzz targets, replayed through the same code path
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(&path).unwrap();
        // The synth target reads bytes, as the binary does; the others ignore input that is not UTF-8.
        if name.starts_with("synth-") {
            fuzz_synth::check(&bytes);
            continue;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if name.starts_with("sql-") {
            sql_round_trip(text);
        } else if name.starts_with("eval-") {
            eval_run(text);
        } else if name != "README.md" {
            panic!("{name}: regression files are named synth-<n>.*, sql-<n>.* or eval-<n>.*");
        }
    }
}
