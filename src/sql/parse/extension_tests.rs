//! The parser's tests of what SQL version 2016-03-23 adds to the basic SELECT ... FROM ... WHERE: the SET clause
//! and its variables, nested SELECTs, `*` as a value, dotted aliases and rules without FROM; with the AWS IoT SQL
//! reference's own examples, and the errors for what its rules forbid.

use super::*;

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

fn items(stmt: &Statement) -> &[SelectItem] {
    match &stmt.select {
        SelectClause::Items(items) => items,
        SelectClause::Value(_) => panic!("expected items"),
    }
}

/// The one expression of the first item.
fn first_expr(stmt: &Statement) -> &Expr {
    match &stmt.select {
        SelectClause::Items(items) => items[0].expr().expect("an expression item"),
        SelectClause::Value(e) => e,
    }
}

#[test]
fn set_clause_of_the_reference() {
    // AWS IoT SQL reference, "SET clause".
    let sql = "SET @temp_celsius = (temp_fahrenheit - 32) * 5 / 9 \
               SELECT @temp_celsius AS celsius, humidity FROM 'device/data'";
    let stmt = ok(sql);
    assert_eq!(stmt.set.len(), 1);
    assert_eq!(stmt.set[0].name.name, "temp_celsius");
    assert_eq!(stmt.set[0].name.span.text(sql), Some("@temp_celsius"));
    assert_eq!(
        stmt.set[0].value.to_string(),
        "(temp_fahrenheit - 32) * 5 / 9"
    );
    let ExprKind::Variable(v) = &first_expr(&stmt).kind else {
        panic!("expected a variable");
    };
    assert_eq!(v.name, "temp_celsius");
    assert_eq!(items(&stmt)[0].output_name(), Some("celsius"));
    assert_eq!(stmt.span, Span::new(0, sql.len()));
    // The SET value's paths are the message's.
    let roots: Vec<_> = stmt
        .field_paths()
        .iter()
        .map(|p| p.root().to_owned())
        .collect();
    assert_eq!(roots, ["temp_fahrenheit", "humidity"]);
}

#[test]
fn variables_hold_objects_and_feed_later_ones() {
    let stmt = ok(
        "SET @device_sensor_data = device1.deviceData.sensors, @t = @device_sensor_data.temp_fahrenheit \
                   SELECT @device_sensor_data.humidity AS humidity, @t FROM 'device/data' WHERE @t > 70",
    );
    assert_eq!(stmt.set.len(), 2);
    let ExprKind::Access { base, segments } = &first_expr(&stmt).kind else {
        panic!("expected an access on a variable");
    };
    assert!(matches!(&base.kind, ExprKind::Variable(v) if v.name == "device_sensor_data"));
    assert_eq!(segments.len(), 1);
    assert!(matches!(&stmt.set[1].value.kind, ExprKind::Access { .. }));
    assert!(stmt.where_.is_some());
    // Variables are case-sensitive names, and SET a keyword only at the start.
    ok("SELECT set, set.x FROM 'a'");
    ok("set @a = 1 select @a from 'a'");
}

#[test]
fn set_clause_errors_say_what_the_rules_are() {
    let cases: &[(&str, usize, &str, &str)] = &[
        // "Each variable can only be assigned once".
        (
            "SET @a = 1, @a = 2 SELECT @a FROM 't'",
            13,
            "a variable not set before (each variable is set once)",
            "'@a' again",
        ),
        // "The SET keyword can only be used once per SQL statement".
        (
            "SET @a = 1 SET @b = 2 SELECT @a FROM 't'",
            12,
            "',' or SELECT (a statement has one SET clause)",
            "'SET'",
        ),
        // "The SET clause must appear before the SELECT clause".
        (
            "SELECT @a FROM 't' SET @a = 1",
            8,
            "an expression (a variable must be set by a SET clause first)",
            "'@a'",
        ),
        (
            "SELECT a FROM 't' SET @a = 1",
            19,
            "end of input (SET comes before SELECT)",
            "'SET'",
        ),
        // A variable nobody set, and one used by its own value.
        (
            "SET @a = 1 SELECT @b FROM 't'",
            19,
            "an expression or a variable set before: @a",
            "'@b'",
        ),
        (
            "SET @a = @a + 1 SELECT @a FROM 't'",
            10,
            "an expression (a variable must be set by a SET clause first)",
            "'@a'",
        ),
        // "Start variable names with @"; "Variable names can be up to 64 characters long".
        (
            "SET a = 1 SELECT a FROM 't'",
            5,
            "a variable such as @name",
            "'a'",
        ),
        ("SET @a 1 SELECT @a FROM 't'", 8, "'='", "'1'"),
        ("SET @a = 1", 11, "',' or SELECT", "end of input"),
        ("SET @ = 1 SELECT 1", 5, "a variable such as @name", "'@'"),
    ];
    for &(sql, column, expected, found) in cases {
        let e = err(sql);
        assert_eq!(
            (e.column, e.expected.as_str(), e.found.as_str()),
            (column, expected, found),
            "{sql:?}: {e}"
        );
    }
    let long = format!("SET @{} = 1 SELECT 1", "v".repeat(65));
    let e = err(&long);
    assert_eq!(
        (e.expected.as_str(), e.found.as_str()),
        ("a variable name of at most 64 characters", "one of 65")
    );
    ok(&format!(
        "SET @{0} = 1 SELECT @{0} FROM 't'",
        "v".repeat(64)
    ));
    // No variable exists outside a statement.
    assert!(parse_expr("@a + 1").is_err());
}

#[test]
fn nested_selects_of_the_reference() {
    // AWS IoT SQL reference, "Nested object queries".
    let stmt = ok("SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'");
    let ExprKind::Subquery(sub) = &first_expr(&stmt).kind else {
        panic!("expected a nested SELECT");
    };
    assert!(matches!(&sub.select, SelectClause::Value(v) if v.to_string() == "n"));
    assert_eq!(sub.from.to_string(), "e");
    assert!(sub.where_.is_none());
    assert_eq!(items(&stmt)[0].output_name(), Some("sensors"));

    let sql = "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'";
    let stmt = ok(sql);
    let e = first_expr(&stmt);
    assert_eq!(
        e.span.text(sql),
        Some("(SELECT v FROM e WHERE n = 'temperature')")
    );
    let ExprKind::Subquery(sub) = &e.kind else {
        panic!("expected a nested SELECT");
    };
    assert_eq!(
        sub.where_.as_ref().map(|w| w.to_string()),
        Some("n = 'temperature'".to_owned())
    );
    // Only the FROM of a nested SELECT reads the message; `v` and `n` are fields of each element of `e`.
    let roots: Vec<_> = stmt
        .field_paths()
        .iter()
        .map(|p| p.root().to_owned())
        .collect();
    assert_eq!(roots, ["e"]);

    let stmt = ok(
        "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'topic'",
    );
    assert!(matches!(&first_expr(&stmt).kind, ExprKind::Access { .. }));
    assert_eq!(stmt.calls().len(), 1);
}

#[test]
fn nested_selects_nest_and_read_paths() {
    for sql in [
        "SELECT (SELECT * FROM a.b) AS x FROM 't'",
        "SELECT (SELECT a, b AS c FROM arr WHERE a > 1) AS x FROM 't'",
        "SELECT (SELECT VALUE (SELECT VALUE y FROM x) FROM arr) AS x FROM 't'",
        "SELECT * FROM 't' WHERE get((SELECT VALUE n FROM e), 0) = 'temperature'",
        "SET @e = e SELECT (SELECT VALUE n FROM @e) AS x FROM 't'",
        "SELECT VALUE (SELECT VALUE n FROM e) FROM 't'",
        "SELECT (select value n from e where v > 1 and u = 'Cel') AS x FROM 't'",
    ] {
        ok(sql);
    }
    let cases: &[(&str, usize, &str, &str)] = &[
        (
            "SELECT (SELECT v FROM 'a/b') AS x FROM 't'",
            23,
            "a field of the message (a nested SELECT reads an array of the message, not a topic)",
            "string 'a/b'",
        ),
        (
            "SELECT (SELECT v) AS x FROM 't'",
            17,
            "FROM (a nested SELECT reads an array of the message)",
            "')'",
        ),
        (
            "SELECT (SELECT v FROM e x) FROM 't'",
            25,
            "WHERE or ')'",
            "'x'",
        ),
        (
            "SELECT (SELECT v FROM e WHERE a b) FROM 't'",
            33,
            "an operator or ')'",
            "'b'",
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
    // Nested SELECTs count towards the nesting limit.
    let deep = format!(
        "SELECT {}a{} FROM 't'",
        "(SELECT VALUE ".repeat(100),
        " FROM e)".repeat(100)
    );
    assert!(err(&deep).expected.starts_with("nesting at most"));
}

#[test]
fn star_as_a_value() {
    // AWS IoT SQL reference, "Binary payloads" and "Functions".
    let stmt = ok("SELECT encode(*, 'base64') AS data FROM 'my_topic'");
    let ExprKind::Call(call) = &first_expr(&stmt).kind else {
        panic!("expected a call");
    };
    assert!(matches!(call.args[0].kind, ExprKind::Wildcard));
    ok("SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'a/b'");
    ok("SELECT aws_lambda('arn:aws:lambda:us-east-1:123456789012:function:f', *) AS r FROM 'a/b'");
    ok("SELECT decode(*, 'proto', 's3bucket', 'key', 'name', 'msg') FROM 'a/b'");
    // `*.messages`: a path on the whole message.
    let stmt = ok("SELECT VALUE *.messages FROM 'test/test2'");
    let SelectClause::Value(e) = &stmt.select else {
        panic!("expected SELECT VALUE");
    };
    let ExprKind::Access { base, segments } = &e.kind else {
        panic!("expected an access on *");
    };
    assert!(matches!(base.kind, ExprKind::Wildcard));
    assert_eq!(segments.len(), 1);
    assert!(matches!(
        ok("SELECT VALUE * FROM 'a'").select,
        SelectClause::Value(Expr {
            kind: ExprKind::Wildcard,
            ..
        })
    ));
    let stmt = ok("SELECT *.a AS a, *[0] AS b, * FROM 'a'");
    assert!(matches!(items(&stmt)[2], SelectItem::Wildcard { .. }));
    // A field called `value` times something stays a product.
    for sql in [
        "SELECT value * 2 FROM 'a'",
        "SELECT value * price AS p FROM 'a'",
    ] {
        assert!(matches!(ok(sql).select, SelectClause::Items(_)), "{sql}");
    }
}

#[test]
fn star_where_it_has_no_place() {
    let cases: &[(&str, usize, &str)] = &[
        // "It's used in the SELECT clause only" (JSON extensions, `*` operator), but for a function's argument:
        // AWS's own `machinelearning_predict(model, role, *)` example is a WHERE (see `star_as_an_argument_in_where`).
        (
            "SELECT * FROM 'a' WHERE *.x = 1",
            25,
            "an expression (`*`, the whole message, belongs in the SELECT clause)",
        ),
        (
            "SELECT 1 + * FROM 'a'",
            12,
            "an expression (`*` alone is a SELECT item or a function's argument)",
        ),
        (
            "SELECT f(* + 1) FROM 'a'",
            10,
            "an expression (`*` alone is a SELECT item or a function's argument)",
        ),
    ];
    for &(sql, column, expected) in cases {
        let e = err(sql);
        assert_eq!(
            (e.column, e.expected.as_str(), e.found.as_str()),
            (column, expected, "'*'"),
            "{sql:?}: {e}"
        );
    }
}

#[test]
fn dotted_aliases() {
    // AWS IoT SQL reference, "JSON extensions".
    let sql = "SELECT foo.bar AS bar.baz FROM 'topic/subtopic'";
    let stmt = ok(sql);
    let item = &items(&stmt)[0];
    let alias = item.alias().expect("an alias");
    assert_eq!(alias.name, "bar.baz");
    assert_eq!(alias.span.text(sql), Some("bar.baz"));
    assert_eq!(item.span().text(sql), Some("foo.bar AS bar.baz"));
    assert_eq!(item.output_name(), None, "the root key is an object");
    assert_eq!(item.output_path(), Some(vec!["bar", "baz"]));
    assert_eq!(ok("SELECT a AS b FROM 't'").select.exprs().len(), 1);
    let stmt = ok("SELECT a AS x.y.value, * AS e.all FROM 't'");
    assert_eq!(items(&stmt)[0].output_path(), Some(vec!["x", "y", "value"]));
    assert_eq!(items(&stmt)[1].output_path(), Some(vec!["e", "all"]));
    assert_eq!(items(&stmt)[1].output_name(), None);
    let e = err("SELECT a AS b. FROM 't'");
    assert_eq!(
        (e.column, e.expected.as_str()),
        (16, "a name after '.' in the alias")
    );
    assert_eq!(err("SELECT a AS b.end FROM 't'").column, 15);
    let e = err("SELECT a AS b.'c' FROM 't'");
    assert_eq!(e.column, 15);
}

#[test]
fn keys_dot_notation_cannot_reach_say_what_to_write() {
    // JSON extensions: "If a JSON property name includes a hyphen character or numeric characters, the 'dot'
    // notation will not work. Instead, you must use the get function".
    let e = err("SELECT * from 'iot/rules' WHERE mydata.item2.0.my-key = 'myValue'");
    assert_eq!(
        (e.column, e.expected.as_str(), e.found.as_str()),
        (
            46,
            "a field name (for a key that starts with a digit or holds a hyphen, use get(x, 'key'))",
            "'0'"
        )
    );
    assert_eq!(err("SELECT a.12b FROM 't'").found, "'12'");
    ok("SELECT get(get(mydata, 'item2'), '0') FROM 't'");
}

#[test]
fn rules_without_from() {
    // AWS IoT Core for LoRaWAN and Amazon Sidewalk destinations run rules that name no topic.
    for sql in [
        "SELECT *",
        "SELECT *, WirelessDeviceId AS id",
        "SELECT VALUE PayloadData",
        "SELECT * WHERE WirelessMetadata.LoRaWAN.FPort = 2",
        "SET @b = PayloadData SELECT aws_lambda('arn:aws:lambda:us-east-1:123456789012:function:f', {'PayloadData': @b}) AS decoded",
    ] {
        let stmt = ok(sql);
        assert!(stmt.from.is_none(), "{sql}");
        assert_eq!(stmt.topic_filter(), None);
        assert_eq!(stmt.span, Span::new(0, sql.len()));
    }
    let e = err("SELECT * FROM");
    assert_eq!(e.expected, "a quoted topic filter");
    // "You must enclose the topic or topic filter in single quotes".
    let e = err("SELECT temp, md5(deviceid) AS hashed_id FROM topic/#");
    assert_eq!(
        (e.column, e.expected.as_str()),
        (46, "a quoted topic filter")
    );
}

#[test]
fn print_is_canonical_for_the_extensions() {
    for (sql, want) in [
        (
            "set @a = x + 1 , @b=@a select @b as c , @a.d from 'a'",
            "SET @a = x + 1, @b = @a SELECT @b AS c, @a.d FROM 'a'",
        ),
        (
            "select (select value n from e) as sensors from 'my/topic'",
            "SELECT (SELECT VALUE n FROM e) AS sensors FROM 'my/topic'",
        ),
        (
            "select get((select v from e where n = 'temperature'), 0).v as t from 'topic'",
            "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v AS t FROM 'topic'",
        ),
        (
            "select encode( * , 'base64') as data from 'my_topic'",
            "SELECT encode(*, 'base64') AS data FROM 'my_topic'",
        ),
        (
            "select value *.messages from 'test/test2'",
            "SELECT VALUE *.messages FROM 'test/test2'",
        ),
        ("select value * from 'a'", "SELECT VALUE * FROM 'a'"),
        (
            "select foo.bar as bar.baz from 'a'",
            "SELECT foo.bar AS bar.baz FROM 'a'",
        ),
        ("select * where x = 1", "SELECT * WHERE x = 1"),
        (
            "select (select value value from e) as v",
            "SELECT (SELECT VALUE value FROM e) AS v",
        ),
        (
            "select (select (value - 1) from e) as v",
            "SELECT (SELECT (value - 1) FROM e) AS v",
        ),
    ] {
        let printed = ok(sql).to_string();
        assert_eq!(printed, want, "{sql}");
        assert_eq!(ok(&printed).to_string(), want, "{sql}");
        assert_eq!(
            ok(&printed).without_spans(),
            ok(sql).without_spans(),
            "{sql}"
        );
    }
}

#[test]
fn star_as_an_argument_in_where_a_bare_nested_select_and_substitution_templates() {
    for sql in [
        "SELECT * FROM 'iot/test' WHERE machinelearning_predict('my-model', 'arn:aws:iam::123456789012:role/my-iot-aml-role', *).predictedLabel = 1",
        "SELECT * FROM 'a' WHERE decode(encode(*, 'base64'), 'base64').temperature > 50",
        "SELECT * FROM 'a' WHERE isNull(SELECT VALUE v FROM items)",
        "SELECT get((SELECT v FROM *), 0) AS first FROM 'a'",
        "SELECT {'topic': ${topic()}, 'id': ${clientid()}} AS meta FROM 'a/+'",
    ] {
        let stmt = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        let printed = stmt.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e:?}"));
        assert_eq!(again.to_string(), printed, "{sql}");
    }
    // The bare nested SELECT is the same tree as the parenthesized one; the template is its expression.
    assert_eq!(
        parse("SELECT isNull(SELECT VALUE v FROM items) AS n FROM 'a'")
            .unwrap()
            .to_string(),
        parse("SELECT isNull((SELECT VALUE v FROM items)) AS n FROM 'a'")
            .unwrap()
            .to_string()
    );
    assert_eq!(
        parse("SELECT {'t': ${topic(2)}} AS x FROM 'a/b'")
            .unwrap()
            .to_string(),
        "SELECT {'t': topic(2)} AS x FROM 'a/b'"
    );
    let e = parse("SELECT * FROM 'a' WHERE ${topic()} = 'a'").unwrap_err();
    assert!(e.expected.contains("substitution template"), "{e:?}");
}
