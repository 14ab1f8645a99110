//! The parser's tests: valid statements and their trees, precedence, spans, and every syntax error's position and
//! message.

use super::*;
use proptest::prelude::*;

const PRESENCE: &str = "$aws/events/presence/+/+";

fn ok(sql: &str) -> Statement {
    match parse(sql) {
        Ok(stmt) => stmt,
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn err(sql: &str) -> SqlError {
    match parse(sql) {
        Ok(stmt) => panic!("{sql}: unexpectedly parsed as {stmt:?}"),
        Err(e) => e,
    }
}

/// Parses an expression and prints it back with every operator
/// parenthesized, to make the tree shape visible in assertions.
fn shape(src: &str) -> String {
    fn go(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs } => {
                format!("({} {} {})", go(lhs), op.as_str(), go(rhs))
            }
            ExprKind::Unary { op, expr } => match op {
                UnaryOp::Neg => format!("(-{})", go(expr)),
                UnaryOp::Not => format!("(NOT {})", go(expr)),
            },
            _ => e.to_string(),
        }
    }
    match parse_expr(src) {
        Ok(e) => go(&e),
        Err(e) => panic!("{src}: {e}"),
    }
}

fn items(stmt: &Statement) -> &[SelectItem] {
    match &stmt.select {
        SelectClause::Items(items) => items,
        SelectClause::Value(_) => panic!("expected items"),
    }
}

#[test]
fn presence_filter_with_or() {
    let sql = format!(
        "SELECT * FROM '{PRESENCE}' WHERE eventType = 'connected' OR eventType = 'disconnected'"
    );
    let stmt = ok(&sql);
    assert_eq!(stmt.topic_filter(), Some(PRESENCE));
    assert_eq!(
        stmt.from.as_ref().and_then(|f| f.span.text(&sql)),
        Some("'$aws/events/presence/+/+'")
    );
    assert!(matches!(
        items(&stmt),
        [SelectItem::Wildcard { alias: None, .. }]
    ));
    let Some(ExprKind::Binary { op, .. }) = stmt.where_.as_ref().map(|w| &w.kind) else {
        panic!("expected a binary WHERE");
    };
    assert_eq!(*op, BinaryOp::Or);
    assert_eq!(stmt.span, Span::new(0, sql.len()));
}

#[test]
fn aws_article_rule() {
    let sql = "SELECT * as event, timestamp, version, topic(4) as eventType, \
               topic(5) as clientId FROM '$aws/events/presence/+/+' \
               WHERE topic(4) = 'connected' or topic(4) = 'disconnected'";
    let stmt = ok(sql);
    let items = items(&stmt);
    assert_eq!(items.len(), 5);
    let aliases: Vec<_> = items
        .iter()
        .map(|i| i.alias().map(|a| a.name.as_str()))
        .collect();
    assert_eq!(
        aliases,
        vec![
            Some("event"),
            None,
            None,
            Some("eventType"),
            Some("clientId")
        ]
    );
    assert_eq!(items[3].span().text(sql), Some("topic(4) as eventType"));
    assert_eq!(stmt.calls().len(), 4);
}

#[test]
fn computed_expiry() {
    let sql = format!("SELECT *, (timestamp / 1000) + 2592000 AS expiresAt FROM '{PRESENCE}'");
    let stmt = ok(&sql);
    let item = &items(&stmt)[1];
    assert_eq!(item.alias().map(|a| a.name.as_str()), Some("expiresAt"));
    assert_eq!(
        item.expr().map(|e| e.span.text(&sql)),
        Some(Some("(timestamp / 1000) + 2592000"))
    );
    assert_eq!(
        shape("(timestamp / 1000) + 2592000"),
        "((timestamp / 1000) + 2592000)"
    );
}

#[test]
fn in_operator() {
    let stmt = ok(&format!(
        "SELECT * FROM '{PRESENCE}' WHERE eventType IN ['connected', 'disconnected']"
    ));
    assert!(matches!(
        stmt.where_.map(|w| w.kind),
        Some(ExprKind::Binary {
            op: BinaryOp::In,
            ..
        })
    ));
    assert_eq!(shape("a IN b AND c"), "((a IN b) AND c)");
    // SQL's parenthesized value list is not IoT SQL.
    let e = err("SELECT * FROM 'a' WHERE x IN ('a', 'b')");
    assert_eq!((e.column, e.expected.as_str()), (34, "')'"));
}

#[test]
fn concat_key_and_cast() {
    let stmt = ok("SELECT concat(timestamp, '#', eventType) AS k FROM 'a/b'");
    let (call, _) = stmt.calls()[0];
    assert!(call.is("CONCAT"));
    assert_eq!(call.args.len(), 3);
    let stmt = ok("SELECT cast(versionNumber AS String) AS v FROM 'a'");
    let expr = items(&stmt)[0].expr().cloned().map(|e| e.kind);
    let Some(ExprKind::Cast { ty, expr }) = expr else {
        panic!("expected a cast");
    };
    assert_eq!(ty.name, "String");
    assert_eq!(expr.to_string(), "versionNumber");
    // `cast` not followed by `(` is an ordinary field.
    ok("SELECT cast, cast.x FROM 'a'");
}

#[test]
fn select_value() {
    let stmt = ok("select value state.reported from 'x/#'");
    let SelectClause::Value(e) = &stmt.select else {
        panic!("expected SELECT VALUE");
    };
    assert_eq!(e.to_string(), "state.reported");
    assert_eq!(stmt.topic_filter(), Some("x/#"));
    // `value` stays a field name where the keyword makes no sense.
    for sql in [
        "SELECT value FROM 'x'",
        "SELECT value, a FROM 'x'",
        "SELECT value AS v FROM 'x'",
        "SELECT value.a FROM 'x'",
        "SELECT value[0] FROM 'x'",
        "SELECT value = 1 FROM 'x'",
    ] {
        assert!(matches!(ok(sql).select, SelectClause::Items(_)), "{sql}");
    }
    for sql in [
        "SELECT VALUE 'x' FROM 'x'",
        "SELECT VALUE (a) FROM 'x'",
        "SELECT VALUE -a FROM 'x'",
        "SELECT VALUE NOT a FROM 'x'",
        "SELECT VALUE {'a': 1} FROM 'x'",
        "SELECT VALUE value FROM 'x'",
    ] {
        assert!(matches!(ok(sql).select, SelectClause::Value(_)), "{sql}");
    }
}

#[test]
fn assorted_valid_expressions() {
    for src in [
        "((a))",
        "-a",
        "- -1",
        "NOT a",
        "NOT NOT a",
        "a <> b",
        "a != b",
        "isUndefined(x)",
        "get_or_default(a, 'x')",
        "topic()",
        "clientid()",
        "timestamp()",
        "a.b.c",
        "a[0].b[1 + 1]",
        "get(x, 0).a[2]",
        "'s'.x",
        "[1, 'a', [true, null]]",
        "[]",
        "{}",
        "{'a': 1, \"b\": {'c': x}}",
        "CASE x WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END",
        "CASE WHEN a > 1 THEN b END",
        "a.end.select",
        "1.5e3 % 7",
        "\"double\" = 'single'",
        "a\n=\tb",
    ] {
        if let Err(e) = parse_expr(src) {
            panic!("{src:?}: {e}");
        }
    }
}

#[test]
fn keywords_are_case_insensitive() {
    let a = ok("select * from 't' where not a and b or c");
    let b = ok("SELECT * FROM 't' WHERE NOT a AND b OR c");
    assert_eq!(a.without_spans(), b.without_spans());
    assert_eq!(shape("True = nULL"), "(TRUE = NULL)");
}

#[test]
fn precedence() {
    assert_eq!(shape("a OR b AND c"), "(a OR (b AND c))");
    assert_eq!(shape("a AND b OR c"), "((a AND b) OR c)");
    assert_eq!(shape("1 + 2 * 3"), "(1 + (2 * 3))");
    assert_eq!(shape("1 * 2 + 3"), "((1 * 2) + 3)");
    assert_eq!(shape("NOT a = b"), "(NOT (a = b))");
    assert_eq!(shape("NOT a AND b"), "((NOT a) AND b)");
    assert_eq!(shape("a - b - c"), "((a - b) - c)");
    assert_eq!(shape("a / b % c"), "((a / b) % c)");
    assert_eq!(shape("-a * b"), "((-a) * b)");
    assert_eq!(shape("-a.b"), "(-a.b)");
    assert_eq!(shape("a + b < c * d"), "((a + b) < (c * d))");
    assert_eq!(shape("a = b = c"), "((a = b) = c)");
    assert_eq!(shape("(a OR b) AND c"), "((a OR b) AND c)");
    assert_eq!(shape("a = NOT b"), "(a = (NOT b))");
    assert_eq!(shape("1 - -2"), "(1 - (-2))");
}

#[test]
fn spans_point_at_source() {
    let src = "foo(a, 'b') + -x.y[0]";
    let e = parse_expr(src).unwrap();
    let ExprKind::Binary { lhs, rhs, .. } = &e.kind else {
        panic!("expected binary");
    };
    assert_eq!(e.span.text(src), Some(src));
    assert_eq!(lhs.span.text(src), Some("foo(a, 'b')"));
    assert_eq!(rhs.span.text(src), Some("-x.y[0]"));
    let ExprKind::Call(call) = &lhs.kind else {
        panic!("expected call");
    };
    assert_eq!(call.name.span.text(src), Some("foo"));
    assert_eq!(call.args[1].span.text(src), Some("'b'"));
}

#[test]
fn reported_example_fails_at_column_one() {
    let e = err("SELEKT clientId,, FORM '$aws/events/presence/+/+' WHERE (");
    assert_eq!((e.line, e.column, e.offset), (1, 1, 0));
    assert_eq!(e.to_string(), "expected SELECT, found 'SELEKT' at column 1");
}

#[test]
fn misspelled_from() {
    let e = err("SELECT clientId FORM '$aws/events/presence/+/+'");
    assert_eq!(
        e.to_string(),
        "expected FROM, WHERE or end of input, found 'FORM' at column 17"
    );
}

#[test]
fn error_positions_and_messages() {
    let cases: &[(&str, usize, &str, &str)] = &[
        ("SELECT clientId,, FROM 'a'", 17, "an expression", "','"),
        (
            "SELECT * FROM 'a' WHERE (",
            26,
            "an expression",
            "end of input",
        ),
        ("SELECT * FROM 'a' WHERE (a", 27, "')'", "end of input"),
        (
            "SELECT * FROM 'a' WHERE f(a",
            28,
            "',' or ')'",
            "end of input",
        ),
        (
            "SELECT * FROM 'a",
            15,
            "a closing '",
            "an unterminated string",
        ),
        (
            "SELECT 'it\\'s' FROM 'a",
            21,
            "a closing '",
            "an unterminated string",
        ),
        (
            "SELECT * FROM 'a' extra",
            19,
            "WHERE or end of input",
            "'extra'",
        ),
        (
            "SELECT * FROM 'a' WHERE a b",
            27,
            "an operator or end of input",
            "'b'",
        ),
        ("SELECT a b", 10, "FROM, WHERE or end of input", "'b'"),
        ("SELECT * FROM a", 15, "a quoted topic filter", "'a'"),
        ("SELECT * FROM 1", 15, "a quoted topic filter", "'1'"),
        ("SELECT * FROM", 14, "a quoted topic filter", "end of input"),
        (
            "SELECT 1. FROM 'a'",
            10,
            "a digit after the decimal point",
            "' '",
        ),
        (
            "SELECT 1.",
            10,
            "a digit after the decimal point",
            "end of input",
        ),
        ("", 1, "SELECT", "end of input"),
        ("   ", 4, "SELECT", "end of input"),
        ("SELECT * FROM 'a';", 18, "WHERE or end of input", "';'"),
        ("SELECT # FROM 'a'", 8, "an expression", "'#'"),
        ("SELECT a FROM 'a' WHERE b = #", 29, "an expression", "'#'"),
        ("SELECT FROM 'a'", 8, "an expression", "'FROM'"),
        ("SELECT a AS FROM 'a'", 13, "a name after AS", "'FROM'"),
        (
            "SELECT a AS 'x' FROM 'a'",
            13,
            "a name after AS",
            "string 'x'",
        ),
        ("SELECT cast(a) FROM 'a'", 14, "AS", "')'"),
        ("SELECT cast(a AS 1) FROM 'a'", 18, "a type name", "'1'"),
        ("SELECT a. 'x' FROM 'a'", 11, "a field name", "string 'x'"),
        ("SELECT a[1 FROM 'a'", 12, "']'", "'FROM'"),
        ("SELECT CASE END FROM 'a'", 13, "an expression", "'END'"),
        (
            "SELECT CASE WHEN a THEN b FROM 'a'",
            27,
            "WHEN, ELSE or END",
            "'FROM'",
        ),
        ("SELECT CASE a END FROM 'a'", 15, "WHEN", "'END'"),
        ("SELECT {a: 1} FROM 'a'", 9, "a quoted key", "'a'"),
        ("SELECT {'a' 1} FROM 'a'", 13, "':'", "'1'"),
        (
            "SELECT 'a\\x' FROM 'a'",
            11,
            "an escape sequence (\\' \\\" \\\\ \\/ \\n \\t \\r)",
            "'x'",
        ),
        ("SELECT a\nFROM 'a'\nWHERE ;", 7, "an expression", "';'"),
        ("SELECT é FROM 'a'", 8, "an expression", "'é'"),
        (
            "SELECT 'é' FORM 'a'",
            12,
            "FROM, WHERE or end of input",
            "'FORM'",
        ),
    ];
    for &(sql, column, expected, found) in cases {
        let e = err(sql);
        assert_eq!(
            (e.column, e.expected.as_str(), e.found.as_str()),
            (column, expected, found),
            "{sql:?}: {e}"
        );
    }
}

#[test]
fn multi_line_errors_report_the_line() {
    let e = err("SELECT a\nFROM 'a'\nWHERE ;");
    assert_eq!((e.line, e.column), (3, 7));
    assert_eq!(
        e.to_string(),
        "expected an expression, found ';' at line 3, column 7"
    );
}

#[test]
fn earlier_grammar_error_beats_later_lexical_error() {
    let e = err("SELEKT 'unterminated");
    assert_eq!((e.column, e.expected.as_str()), (1, "SELECT"));
}

#[test]
fn parse_expr_rejects_trailing_tokens() {
    let e = parse_expr("concat(a, b) c").unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected an operator or end of input, found 'c' at column 14"
    );
    assert_eq!(parse_expr("").unwrap_err().column, 1);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in [
        "(",
        "-",
        "NOT ",
        "f(",
        "[",
        "a[",
        "CASE WHEN ",
        "{'k': ",
        "cast(",
        "(a OR b AND c = d + e * - NOT f(x, [y, CASE WHEN z THEN {'k': ",
    ] {
        let src = format!("SELECT {} FROM 'a'", open.repeat(10_000));
        let e = err(&src);
        assert!(e.expected.starts_with("nesting at most 64"), "{open}: {e}");
    }
    // Within the limit is fine.
    let ok_src = format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(parse_expr(&ok_src).is_ok());
    let too_deep = format!(
        "{}a{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    );
    assert!(parse_expr(&too_deep).is_err());
}

#[test]
fn long_operator_chains_are_capped() {
    let src = vec!["a"; 100_000].join(" + ");
    let e = parse_expr(&src).unwrap_err();
    assert!(e.expected.contains("levels deep"), "{e}");
    let fine = vec!["a"; MAX_TREE_DEPTH].join(" + ");
    // The deepest accepted tree still prints and drops without trouble.
    assert_eq!(parse_expr(&fine).map(|e| e.to_string()), Ok(fine));
    // Wide but shallow input is not limited.
    let wide = format!("f({})", vec!["a"; 10_000].join(", "));
    assert!(parse_expr(&wide).is_ok());
}

/// Fragments that combine into plausible and implausible SQL.
fn sqlish() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "SELECT ",
        "VALUE ",
        "FROM ",
        "WHERE ",
        "AS ",
        "AND ",
        "OR ",
        "NOT ",
        "IN ",
        "CASE ",
        "WHEN ",
        "THEN ",
        "ELSE ",
        "END ",
        "cast(",
        "value",
        "a",
        "b.c",
        "topic(4)",
        "*",
        ",",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        ".",
        "-",
        "+",
        "=",
        "<>",
        "<=",
        "'$aws/events/presence/+/+'",
        "'it\\'s'",
        "\"q\"",
        "'",
        "\\",
        "1",
        "1.5",
        "1e",
        "1.",
        ";",
        "#",
        " ",
        "\n",
        "é",
    ]);
    prop::collection::vec(token, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in ".*") {
        let _ = parse(&s);
        let _ = parse_expr(&s);
    }

    #[test]
    fn never_panics_on_sqlish_text(s in sqlish()) {
        let _ = parse(&s);
        let _ = parse_expr(&s);
    }

    #[test]
    fn errors_point_inside_the_input(s in sqlish()) {
        if let Err(e) = parse(&s) {
            prop_assert!(e.offset <= s.len());
            prop_assert!(s.is_char_boundary(e.offset));
            prop_assert!(!e.expected.is_empty() && !e.found.is_empty());
        }
    }

    #[test]
    fn statements_with_sqlish_select_lists(s in sqlish(), w in sqlish()) {
        let _ = parse(&format!("SELECT {s} FROM 'a/+' WHERE {w}"));
    }
}
