//! The corpus of real rule SQL (`tests/sql-corpus/`, see its README): every statement AWS IoT accepts parses,
//! prints as SQL that parses back to the same tree, prints the same the second time, and has a topic filter
//! without errors; every statement AWS refuses is refused, by the parser or the topic-filter checks, with a
//! message that says why.

use std::fs;
use std::path::Path;

use presence_stack::sql;

/// One statement of the corpus, with the file and the source it came from.
struct Entry {
    file: String,
    line: usize,
    source: String,
    sql: String,
    /// For a statement AWS refuses: a part of the message that must explain why.
    refused_because: Option<String>,
}

/// Reads every `*.txt` of the corpus; a malformed file fails the test with its name and line.
fn corpus() -> Vec<Entry> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql-corpus");
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .expect("tests/sql-corpus exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        let mut source: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if let Some(s) = line.strip_prefix("# source:") {
                source = Some(s.trim().to_owned());
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let source = source.clone().unwrap_or_else(|| {
                panic!("{file}:{line_no}: a statement before any `# source:` line")
            });
            let (sql, refused_because) = match line.strip_prefix("! ") {
                Some(rest) => {
                    let (sql, why) = rest.split_once(" ==> ").unwrap_or_else(|| {
                        panic!("{file}:{line_no}: a refused statement needs ` ==> why`")
                    });
                    (sql.to_owned(), Some(why.to_owned()))
                }
                None => (line.to_owned(), None),
            };
            out.push(Entry {
                file: file.clone(),
                line: line_no,
                source,
                sql,
                refused_because,
            });
        }
    }
    out
}

/// What is wrong with a statement for AWS: its syntax error, or the errors of its topic filter.
fn refusal(sql_text: &str) -> Option<String> {
    let stmt = match sql::parse(sql_text) {
        Ok(stmt) => stmt,
        Err(e) => return Some(e.to_string()),
    };
    let problems: Vec<String> = stmt
        .topic_filter()
        .map(sql::topic_filter_problems)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.is_warning() && !matches!(p, sql::TopicFilterProblem::TooLong { .. }))
        .map(|p| p.to_string())
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[test]
fn the_corpus_reads_as_aws_reads_it() {
    let entries = corpus();
    let mut failures = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for e in &entries {
        let at = format!("{}:{} ({})", e.file, e.line, e.source);
        match (&e.refused_because, refusal(&e.sql)) {
            (None, None) => {
                accepted += 1;
                let stmt = sql::parse(&e.sql).unwrap();
                let printed = stmt.to_string();
                match sql::parse(&printed) {
                    Ok(again) if again.without_spans() == stmt.without_spans() => {
                        if again.to_string() != printed {
                            failures.push(format!("{at}: printing again changes {printed:?}"));
                        }
                    }
                    Ok(_) => failures.push(format!("{at}: {printed:?} parses to another tree")),
                    Err(err) => failures.push(format!(
                        "{at}: the printed {printed:?} does not parse: {err}"
                    )),
                }
            }
            (None, Some(why)) => failures.push(format!(
                "{at}: AWS accepts {:?}, we refuse it: {why}",
                e.sql
            )),
            (Some(expected), Some(why)) => {
                refused += 1;
                if !why.contains(expected.as_str()) {
                    failures.push(format!(
                        "{at}: {:?} is refused with {why:?}, which does not say {expected:?}",
                        e.sql
                    ));
                }
            }
            (Some(_), None) => {
                failures.push(format!("{at}: AWS refuses {:?}, we accept it", e.sql))
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for e in &entries {
        if !seen.insert(e.sql.as_str()) {
            failures.push(format!(
                "{}:{}: {:?} is in the corpus twice",
                e.file, e.line, e.sql
            ));
        }
    }
    let sources: std::collections::BTreeSet<_> =
        entries.iter().map(|e| e.source.as_str()).collect();
    println!(
        "sql corpus: {} statements from {} sources: {accepted} accepted by AWS and parsed, {refused} refused by AWS and by us",
        entries.len(),
        sources.len()
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The corpus only grows: these are its counts when it was last extended.
    assert!(
        accepted >= MIN_ACCEPTED,
        "{accepted} accepted statements, fewer than {MIN_ACCEPTED}"
    );
    assert!(
        refused >= MIN_REFUSED,
        "{refused} refused statements, fewer than {MIN_REFUSED}"
    );
}

const MIN_ACCEPTED: usize = 66;
const MIN_REFUSED: usize = 14;
