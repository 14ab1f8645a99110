//! Syntax tree for AWS IoT SQL statements and expressions.
//!
//! Nodes that a diagnostic may point at carry a byte [`Span`] into the
//! source. Spans take part in `==`, so trees parsed from differently spaced
//! text compare unequal; use [`Statement::without_spans`] /
//! [`Expr::without_spans`] to compare shapes only.

/// A half-open byte range `start..end` into the parsed source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The covered source text, if the span fits `src`.
    pub fn text(self, src: &str) -> Option<&str> {
        src.get(self.start..self.end)
    }

    /// 1-based `(line, column)` of the start; see [`line_col`].
    pub fn line_col(self, src: &str) -> (usize, usize) {
        line_col(src, self.start)
    }
}

/// Turns a byte offset into a 1-based `(line, column)`, counting columns in
/// characters rather than bytes so that non-ASCII text lines up with what an
/// editor shows. Offsets past the end, or inside a multi-byte character, are
/// clamped to the character that contains them.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for (i, c) in src.char_indices() {
        if i >= offset {
            break;
        }
        if i + c.len_utf8() > offset {
            // `offset` lands inside this character: report the character.
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// An identifier (field name, alias, function name or type name) as written.
/// A dotted alias (`AS bar.baz`) is one `Ident` whose name holds the dots:
/// no other identifier can contain one.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl Ident {
    pub fn new(name: impl Into<String>, span: Span) -> Self {
        Ident {
            name: name.into(),
            span,
        }
    }

    /// Identifiers that name functions, types and keywords are matched
    /// case-insensitively, so this is what comparisons should use.
    pub fn lower(&self) -> String {
        self.name.to_ascii_lowercase()
    }

    /// Case-insensitive comparison with `name`.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// `[SET @v = expr, ...] SELECT ... [FROM '...'] [WHERE ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The variables of the SET clause, in order; empty without one.
    pub set: Vec<Assignment>,
    pub select: SelectClause,
    /// `None` for a rule without FROM: AWS IoT Core for LoRaWAN and Amazon Sidewalk destinations run rules that
    /// receive their messages from the destination, not from a topic.
    pub from: Option<TopicFrom>,
    pub where_: Option<Expr>,
    pub span: Span,
}

/// `@name = expr` in the SET clause (SQL version 2016-03-23).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The variable's name without its `@`; its span covers the `@`.
    pub name: Ident,
    pub value: Expr,
}

/// A nested `SELECT ... FROM <expr> [WHERE ...]` in parentheses: it runs over the elements of an array of the
/// message (nested object queries, SQL version 2016-03-23), and its own field paths start at each element.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    pub select: SelectClause,
    /// What it reads: a path of the message (`e`, `a.b`), a variable, `*`...
    pub from: Box<Expr>,
    pub where_: Option<Box<Expr>>,
}

/// What follows `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectClause {
    /// A list of items merged into one JSON object.
    Items(Vec<SelectItem>),
    /// `SELECT VALUE expr` (SQL version 2016-03-23): the value itself is
    /// the output, not an object wrapping it.
    Value(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*` or `* AS name`.
    Wildcard { alias: Option<Ident>, span: Span },
    /// `expr` or `expr AS name`.
    Expr {
        expr: Expr,
        alias: Option<Ident>,
        span: Span,
    },
}

impl SelectItem {
    pub fn span(&self) -> Span {
        match self {
            SelectItem::Wildcard { span, .. } | SelectItem::Expr { span, .. } => *span,
        }
    }

    pub fn alias(&self) -> Option<&Ident> {
        match self {
            SelectItem::Wildcard { alias, .. } | SelectItem::Expr { alias, .. } => alias.as_ref(),
        }
    }

    pub fn expr(&self) -> Option<&Expr> {
        match self {
            SelectItem::Wildcard { .. } => None,
            SelectItem::Expr { expr, .. } => Some(expr),
        }
    }

    /// The key this item produces at the root of the output object when it
    /// is known statically: the alias, or else the last field name of a
    /// plain path (`SELECT state.reported.temp` yields `temp`). `None` for
    /// an unaliased `*`, which spreads the whole input, for a dotted alias
    /// (`AS a.b` puts an object under `a`; see [`SelectItem::output_path`])
    /// and for computed expressions whose key AWS derives itself.
    pub fn output_name(&self) -> Option<&str> {
        if let Some(alias) = self.alias() {
            return (!alias.name.contains('.')).then_some(alias.name.as_str());
        }
        match self.expr()?.kind {
            ExprKind::Path(ref segments) => match segments.last()? {
                PathSegment::Field(ident) => Some(&ident.name),
                PathSegment::Index(_) => None,
            },
            _ => None,
        }
    }
}

impl SelectItem {
    /// Where the item's value lands in the output object: the alias's
    /// segments (`AS bar.baz` gives `["bar", "baz"]`: an object under
    /// `bar` holding `baz`), or else the one key of
    /// [`SelectItem::output_name`].
    pub fn output_path(&self) -> Option<Vec<&str>> {
        match self.alias() {
            Some(alias) => Some(alias.name.split('.').collect()),
            None => self.output_name().map(|name| vec![name]),
        }
    }
}

/// The topic filter of the `FROM` clause, with escapes already resolved.
/// `span` covers the quoted literal, quotes included; when the literal has
/// no escapes, byte `i` of `filter` is at `span.start + 1 + i` in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicFrom {
    pub filter: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A field reference rooted at the input document: `a`, `a.b[0].c`.
    /// The first segment is always a [`PathSegment::Field`].
    Path(Vec<PathSegment>),
    /// Field access or indexing applied to a computed value:
    /// `get(x, 0).a`, `(a + b)[1]`. The parser folds accesses on a plain
    /// path into [`ExprKind::Path`] instead, so `base` is never a path or
    /// another access in parsed trees, and `segments` is never empty.
    Access {
        base: Box<Expr>,
        segments: Vec<PathSegment>,
    },
    String(String),
    /// A number literal exactly as written (`1`, `1.50`, `2e3`); a leading
    /// minus is a [`UnaryOp::Neg`], not part of the literal.
    Number(String),
    Bool(bool),
    Null,
    /// `[a, b, ...]` (SQL version 2016-03-23 literal).
    Array(Vec<Expr>),
    /// `{'key': value, ...}` (SQL version 2016-03-23 literal).
    Object(Vec<ObjectEntry>),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call(Call),
    /// `CAST(expr AS Type)`.
    Cast {
        expr: Box<Expr>,
        ty: Ident,
    },
    /// `CASE [operand] WHEN .. THEN .. [...] [ELSE ..] END`.
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<WhenThen>,
        otherwise: Option<Box<Expr>>,
    },
    /// `@name`, a variable of the SET clause (the name without its `@`).
    Variable(Ident),
    /// `*`, the whole message, where an expression stands: a function's
    /// argument (`encode(*, 'base64')`), the base of a path (`*.messages`)
    /// or `SELECT VALUE *`. A bare `*` item of a SELECT list is a
    /// [`SelectItem::Wildcard`] instead.
    Wildcard,
    /// `(SELECT ... FROM expr [WHERE ...])`.
    Subquery(Box<Subquery>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathSegment {
    /// `.name`, or the leading name of a path.
    Field(Ident),
    /// `[expr]`.
    Index(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectEntry {
    pub key: String,
    pub key_span: Span,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WhenThen {
    pub when: Expr,
    pub then: Expr,
}

/// A function call such as `topic(4)`. The name keeps the spelling of the
/// source; AWS function names are case-insensitive, so compare with
/// [`Call::is`] or [`Call::name_lower`].
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Expr>,
}

impl Call {
    pub fn name_lower(&self) -> String {
        self.name.lower()
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.is(name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `NOT x`
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    /// `<>` or `!=`.
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `x IN array`.
    In,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// Binding strength of prefix `NOT`: between `AND` and the comparisons, so
/// `NOT a = b` is `NOT (a = b)`.
pub(crate) const PREC_NOT: u8 = 3;
/// Binding strength of prefix `-`: above every binary operator.
pub(crate) const PREC_NEG: u8 = 7;
/// Literals, paths, calls and anything bracketed.
pub(crate) const PREC_ATOM: u8 = 8;

impl BinaryOp {
    /// Higher binds tighter. All binary operators are left-associative.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
        }
    }

    /// Canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "IN",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }
}

impl UnaryOp {
    pub fn precedence(self) -> u8 {
        match self {
            UnaryOp::Not => PREC_NOT,
            UnaryOp::Neg => PREC_NEG,
        }
    }
}

/// A field path found in an expression, for checks that need to know which
/// input fields a rule reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldPath<'a> {
    pub segments: &'a [PathSegment],
    pub span: Span,
}

impl FieldPath<'_> {
    /// The top-level input field the path starts from.
    pub fn root(&self) -> &str {
        match self.segments.first() {
            Some(PathSegment::Field(ident)) => &ident.name,
            _ => "",
        }
    }

    /// The path in canonical SQL form, e.g. `state.reported[0]`.
    pub fn text(&self) -> String {
        super::print::path_to_string(self.segments)
    }
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }

    /// Binding strength of the node's outermost operator, used to decide
    /// where parentheses are needed.
    pub fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Binary { op, .. } => op.precedence(),
            ExprKind::Unary { op, .. } => op.precedence(),
            _ => PREC_ATOM,
        }
    }

    /// The direct sub-expressions, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        fn segs<'a>(out: &mut Vec<&'a Expr>, segments: &'a [PathSegment]) {
            for seg in segments {
                if let PathSegment::Index(e) = seg {
                    out.push(e);
                }
            }
        }
        let mut out = Vec::new();
        match &self.kind {
            ExprKind::Path(segments) => segs(&mut out, segments),
            ExprKind::Access { base, segments } => {
                out.push(base);
                segs(&mut out, segments);
            }
            ExprKind::String(_)
            | ExprKind::Number(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Variable(_)
            | ExprKind::Wildcard => {}
            ExprKind::Subquery(sub) => {
                out.extend(sub.select.exprs());
                out.push(&sub.from);
                out.extend(sub.where_.as_deref());
            }
            ExprKind::Array(items) => out.extend(items),
            ExprKind::Object(entries) => out.extend(entries.iter().map(|e| &e.value)),
            ExprKind::Unary { expr, .. } | ExprKind::Cast { expr, .. } => out.push(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                out.push(lhs);
                out.push(rhs);
            }
            ExprKind::Call(call) => out.extend(&call.args),
            ExprKind::Case {
                operand,
                branches,
                otherwise,
            } => {
                out.extend(operand.as_deref());
                for b in branches {
                    out.push(&b.when);
                    out.push(&b.then);
                }
                out.extend(otherwise.as_deref());
            }
        }
        out
    }

    /// Visits this expression and every sub-expression, parents before
    /// children, in source order.
    pub fn for_each<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        for child in self.children() {
            child.for_each(f);
        }
    }

    /// Every function call (not `CAST`) with the span of the whole call.
    pub fn calls(&self) -> Vec<(&Call, Span)> {
        let mut out = Vec::new();
        self.for_each(&mut |e| {
            if let ExprKind::Call(call) = &e.kind {
                out.push((call, e.span));
            }
        });
        out
    }

    /// Every input field path referenced, outermost first. The paths inside
    /// a nested SELECT start at the elements it reads, not at the message,
    /// so only its FROM counts.
    pub fn field_paths(&self) -> Vec<FieldPath<'_>> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<FieldPath<'a>>) {
            match &e.kind {
                ExprKind::Path(segments) => out.push(FieldPath {
                    segments,
                    span: e.span,
                }),
                ExprKind::Subquery(sub) => return walk(&sub.from, out),
                _ => {}
            }
            for child in e.children() {
                walk(child, out);
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// A copy with every span zeroed, for comparing shapes.
    pub fn without_spans(&self) -> Expr {
        let mut e = self.clone();
        e.clear_spans();
        e
    }

    /// Zeroes every span in place.
    pub fn clear_spans(&mut self) {
        fn segs(segments: &mut [PathSegment]) {
            for seg in segments {
                match seg {
                    PathSegment::Field(ident) => ident.span = Span::default(),
                    PathSegment::Index(e) => e.clear_spans(),
                }
            }
        }
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Path(segments) => segs(segments),
            ExprKind::Access { base, segments } => {
                base.clear_spans();
                segs(segments);
            }
            ExprKind::String(_)
            | ExprKind::Number(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Wildcard => {}
            ExprKind::Variable(name) => name.span = Span::default(),
            ExprKind::Subquery(sub) => {
                clear_select_spans(&mut sub.select);
                sub.from.clear_spans();
                if let Some(w) = &mut sub.where_ {
                    w.clear_spans();
                }
            }
            ExprKind::Array(items) => items.iter_mut().for_each(Expr::clear_spans),
            ExprKind::Object(entries) => {
                for entry in entries {
                    entry.key_span = Span::default();
                    entry.value.clear_spans();
                }
            }
            ExprKind::Unary { expr, .. } => expr.clear_spans(),
            ExprKind::Cast { expr, ty } => {
                expr.clear_spans();
                ty.span = Span::default();
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.clear_spans();
                rhs.clear_spans();
            }
            ExprKind::Call(call) => {
                call.name.span = Span::default();
                call.args.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::Case {
                operand,
                branches,
                otherwise,
            } => {
                if let Some(e) = operand {
                    e.clear_spans();
                }
                for b in branches {
                    b.when.clear_spans();
                    b.then.clear_spans();
                }
                if let Some(e) = otherwise {
                    e.clear_spans();
                }
            }
        }
    }
}

impl SelectClause {
    /// The select items' expressions, or the `VALUE` expression.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            SelectClause::Items(items) => items.iter().filter_map(SelectItem::expr).collect(),
            SelectClause::Value(e) => vec![e],
        }
    }
}

/// Zeroes every span of a select clause in place.
fn clear_select_spans(select: &mut SelectClause) {
    fn alias(a: &mut Option<Ident>) {
        if let Some(a) = a {
            a.span = Span::default();
        }
    }
    match select {
        SelectClause::Items(items) => {
            for item in items {
                match item {
                    SelectItem::Wildcard { alias: a, span } => {
                        *span = Span::default();
                        alias(a);
                    }
                    SelectItem::Expr {
                        expr,
                        alias: a,
                        span,
                    } => {
                        *span = Span::default();
                        alias(a);
                        expr.clear_spans();
                    }
                }
            }
        }
        SelectClause::Value(e) => e.clear_spans(),
    }
}

impl Statement {
    /// The top-level expressions: the SET values, the select items or the
    /// `VALUE` expression, then the `WHERE` condition.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = self.set.iter().map(|a| &a.value).collect();
        out.extend(self.select.exprs());
        out.extend(self.where_.as_ref());
        out
    }

    /// The FROM clause's topic filter; `None` for a rule without FROM.
    pub fn topic_filter(&self) -> Option<&str> {
        self.from.as_ref().map(|f| f.filter.as_str())
    }

    /// Visits every expression node in the statement, parents first.
    pub fn for_each_expr<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        for e in self.exprs() {
            e.for_each(f);
        }
    }

    /// Every function call in the statement with its span.
    pub fn calls(&self) -> Vec<(&Call, Span)> {
        self.exprs().into_iter().flat_map(Expr::calls).collect()
    }

    /// Every input field path the statement references.
    pub fn field_paths(&self) -> Vec<FieldPath<'_>> {
        self.exprs()
            .into_iter()
            .flat_map(Expr::field_paths)
            .collect()
    }

    /// A copy with every span zeroed, for comparing shapes.
    pub fn without_spans(&self) -> Statement {
        let mut s = self.clone();
        s.clear_spans();
        s
    }

    /// Zeroes every span in place.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        for a in &mut self.set {
            a.name.span = Span::default();
            a.value.clear_spans();
        }
        if let Some(from) = &mut self.from {
            from.span = Span::default();
        }
        clear_select_spans(&mut self.select);
        if let Some(w) = &mut self.where_ {
            w.clear_spans();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{parse, parse_expr};

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("abc", 2), (1, 3));
        assert_eq!(line_col("abc", 3), (1, 4));
        assert_eq!(line_col("abc", 99), (1, 4));
        // 'é' is two bytes but one column.
        assert_eq!(line_col("é x", 3), (1, 3));
        // An offset inside 'é' points at 'é'.
        assert_eq!(line_col("aé", 2), (1, 2));
        assert_eq!(line_col("ab\ncd", 3), (2, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("", 0), (1, 1));
    }

    #[test]
    fn span_helpers() {
        let a = Span::new(3, 5);
        assert_eq!(a.to(Span::new(1, 4)), Span::new(1, 5));
        assert_eq!(Span::new(7, 8).text("SELECT *"), Some("*"));
        assert_eq!(Span::new(7, 99).text("SELECT *"), None);
    }

    #[test]
    fn calls_and_paths_with_spans() {
        let src = "SELECT topic(4) AS t, state.reported.temp FROM 'a/+' \
                   WHERE isUndefined(get(x, 0).y) AND b[1] = 2";
        let stmt = parse(src).unwrap();
        let calls: Vec<_> = stmt
            .calls()
            .into_iter()
            .map(|(c, s)| (c.name_lower(), s.text(src).unwrap()))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("topic".to_string(), "topic(4)"),
                ("isundefined".to_string(), "isUndefined(get(x, 0).y)"),
                ("get".to_string(), "get(x, 0)"),
            ]
        );
        let paths: Vec<_> = stmt
            .field_paths()
            .into_iter()
            .map(|p| (p.root().to_string(), p.text(), p.span.text(src).unwrap()))
            .collect();
        assert_eq!(
            paths,
            vec![
                (
                    "state".to_string(),
                    "state.reported.temp".to_string(),
                    "state.reported.temp"
                ),
                ("x".to_string(), "x".to_string(), "x"),
                ("b".to_string(), "b[1]".to_string(), "b[1]"),
            ]
        );
    }

    #[test]
    fn output_names() {
        let stmt = parse("SELECT *, * AS e, a.b, c AS d, topic(1), x[0] FROM 't'").unwrap();
        let SelectClause::Items(items) = &stmt.select else {
            panic!("expected items");
        };
        let names: Vec<_> = items.iter().map(SelectItem::output_name).collect();
        assert_eq!(
            names,
            vec![None, Some("e"), Some("b"), Some("d"), None, None]
        );
    }

    #[test]
    fn without_spans_ignores_layout() {
        let a = parse("SELECT a+1 AS x FROM 't' WHERE CAST(b AS Int)=2").unwrap();
        let b = parse("select  a + 1  as x  from 't'  where cast( b as Int ) = 2").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.without_spans(), b.without_spans());
        let e = parse_expr("CASE a WHEN 1 THEN {'k': [x]} ELSE -y END").unwrap();
        let mut count = 0;
        e.without_spans().for_each(&mut |n| {
            assert_eq!(n.span, Span::default());
            count += 1;
        });
        assert_eq!(count, 8);
    }

    #[test]
    fn idents_compare_case_insensitively() {
        let e = parse_expr("TimeStamp()").unwrap();
        let ExprKind::Call(call) = &e.kind else {
            panic!("expected a call");
        };
        assert!(call.is("timestamp"));
        assert_eq!(call.name_lower(), "timestamp");
        assert_eq!(call.name.name, "TimeStamp");
    }
}
