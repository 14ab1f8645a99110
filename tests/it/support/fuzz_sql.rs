//! The body of the `sql` fuzz target, shared with `tests/it/properties/layout.rs` so that a crash input replays there:
//! the parser never panics, whatever parses prints as SQL that parses back to the same tree (spans aside), and printing
//! that tree again gives the same text (the printed form is a fixed point).

/// Check one input.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(stmt) = presence_stack::sql::parse(text) {
        let printed = stmt.to_string();
        let again = presence_stack::sql::parse(&printed).unwrap_or_else(|e| {
            panic!("printed SQL does not parse: {e:?}\ninput: {text:?}\nprinted: {printed:?}")
        });
        assert_eq!(
            again.without_spans(),
            stmt.without_spans(),
            "input: {text:?}\nprinted: {printed:?}"
        );
        assert_eq!(again.to_string(), printed, "input: {text:?}");
    }
}
