//! Clauses: the statement (`SET`, `SELECT`, an optional `FROM`, `WHERE`), the select list with its aliases, and
//! nested `(SELECT ... FROM expr ...)` queries.

use super::*;

impl Parser<'_> {
    pub(super) fn statement(&mut self) -> Result<Statement, SqlError> {
        let start = self.peek().span.start;
        let set = match self.eat_kw(Keyword::Set) {
            Some(_) => self.set_clause()?,
            None => Vec::new(),
        };
        if self.eat_kw(Keyword::Select).is_none() {
            let expected = match (set.is_empty(), self.at_kw(Keyword::Set)) {
                (true, _) => "SELECT",
                (false, true) => "',' or SELECT (a statement has one SET clause)",
                (false, false) => "',' or SELECT",
            };
            return Err(self.unexpected(expected));
        }
        let (select, _) = self.select_clause()?;
        let from = match self.eat_kw(Keyword::From) {
            Some(_) => match &self.peek().kind {
                TokenKind::Str(filter) => {
                    let filter = filter.clone();
                    let span = self.advance().span;
                    Some(TopicFrom { filter, span })
                }
                _ => return Err(self.unexpected("a quoted topic filter")),
            },
            None => None,
        };
        let where_ = match self.eat_kw(Keyword::Where) {
            Some(_) => Some(self.where_condition()?.0),
            None => None,
        };
        if !self.at(&TokenKind::Eof) {
            let expected = match (&where_, &from) {
                _ if self.at_kw(Keyword::Set) => "end of input (SET comes before SELECT)",
                (Some(_), _) => "an operator or end of input",
                (None, Some(_)) => "WHERE or end of input",
                (None, None) => "FROM, WHERE or end of input",
            };
            return Err(self.unexpected(expected));
        }
        Ok(Statement {
            set,
            select,
            from,
            where_,
            span: Span::new(start, self.last_end),
        })
    }

    /// `@name = expr (, @name = expr)*`, `SET` already consumed. A variable is set once, and a value may use
    /// the variables set before it.
    fn set_clause(&mut self) -> Result<Vec<Assignment>, SqlError> {
        let mut out = Vec::new();
        loop {
            let tok = self.peek().clone();
            let TokenKind::Variable(name) = tok.kind else {
                return Err(self.unexpected("a variable such as @name"));
            };
            if self.variables.contains(&name) {
                return Err(self.error_at(
                    tok.span.start,
                    "a variable not set before (each variable is set once)",
                    &format!("'@{name}' again"),
                ));
            }
            self.advance();
            self.expect(&TokenKind::Eq, "'='")?;
            let (value, _) = self.expr(0)?;
            self.variables.push(name.clone());
            out.push(Assignment {
                name: Ident::new(name, tok.span),
                value,
            });
            if self.eat(&TokenKind::Comma).is_none() {
                return Ok(out);
            }
        }
    }

    /// A WHERE condition, where `*` is refused.
    fn where_condition(&mut self) -> Parsed {
        self.in_where += 1;
        let parsed = self.expr(0);
        self.in_where -= 1;
        parsed
    }

    /// What follows `SELECT`: `VALUE expr` or a list of items; with the depth of the deepest expression.
    fn select_clause(&mut self) -> Result<(SelectClause, usize), SqlError> {
        if !opens_with_value_keyword(self.class_at(0), self.class_at(1), self.class_at(2)) {
            let (items, depth) = self.select_items()?;
            return Ok((SelectClause::Items(items), depth));
        }
        self.advance();
        let (expr, depth) = if self.at(&TokenKind::Star) && star_starts_value(self.class_at(1)) {
            match self.peek_at(1).kind {
                // `VALUE *.messages`: a path on the whole message.
                TokenKind::Dot | TokenKind::LBracket => self.expr(0)?,
                _ => (Expr::new(ExprKind::Wildcard, self.advance().span), 1),
            }
        } else {
            self.expr(0)?
        };
        Ok((SelectClause::Value(expr), depth))
    }

    fn select_items(&mut self) -> Result<(Vec<SelectItem>, usize), SqlError> {
        let mut items = Vec::new();
        let mut depth = 0;
        loop {
            let on_payload = matches!(self.peek_at(1).kind, TokenKind::Dot | TokenKind::LBracket);
            let item = if self.at(&TokenKind::Star) && !on_payload {
                let star = self.advance().span;
                let alias = self.alias()?;
                let span = star.to(alias.as_ref().map_or(star, |a| a.span));
                SelectItem::Wildcard { alias, span }
            } else {
                let (expr, d) = self.expr(0)?;
                depth = depth.max(d);
                let alias = self.alias()?;
                let span = expr.span.to(alias.as_ref().map_or(expr.span, |a| a.span));
                SelectItem::Expr { expr, alias, span }
            };
            items.push(item);
            if self.eat(&TokenKind::Comma).is_none() {
                return Ok((items, depth));
            }
        }
    }

    /// `(SELECT ... FROM expr [WHERE cond])`, at its `(`.
    pub(super) fn subquery(&mut self) -> Parsed {
        self.nest()?;
        let open = self.advance().span;
        let (sub, depth) = self.subquery_body()?;
        let expected = if sub.where_.is_some() {
            "an operator or ')'"
        } else {
            "WHERE or ')'"
        };
        let close = self.expect(&TokenKind::RParen, expected)?;
        self.unnest();
        let span = open.to(close);
        let depth = self.check_depth(depth + 1, span)?;
        Ok((Expr::new(ExprKind::Subquery(Box::new(sub)), span), depth))
    }

    /// A nested SELECT that a function's parentheses enclose (`isNull(SELECT VALUE x FROM a)`).
    pub(super) fn bare_subquery(&mut self) -> Parsed {
        self.nest()?;
        let start = self.peek().span;
        let (sub, depth) = self.subquery_body()?;
        self.unnest();
        let span = Span::new(start.start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        Ok((Expr::new(ExprKind::Subquery(Box::new(sub)), span), depth))
    }

    /// `SELECT ... FROM field [WHERE condition]`, from the SELECT keyword on.
    fn subquery_body(&mut self) -> Result<(Subquery, usize), SqlError> {
        self.advance(); // SELECT
        let (select, mut depth) = self.select_clause()?;
        if self.eat_kw(Keyword::From).is_none() {
            return Err(self.unexpected("FROM (a nested SELECT reads an array of the message)"));
        }
        let from_at = self.peek().clone();
        if let TokenKind::Str(_) = from_at.kind {
            return Err(self.error_at(
                from_at.span.start,
                "a field of the message (a nested SELECT reads an array of the message, not a topic)",
                &from_at.kind.describe(),
            ));
        }
        // `FROM *`: the whole message as the array or object the nested SELECT reads.
        let star_from = match &self.peek_at(1).kind {
            TokenKind::RParen | TokenKind::Comma | TokenKind::Dot | TokenKind::LBracket => true,
            TokenKind::Word(w) => w.keyword == Some(Keyword::Where),
            _ => false,
        };
        let primary = if self.at(&TokenKind::Star) && star_from {
            let span = self.advance().span;
            (Expr::new(ExprKind::Wildcard, span), 1)
        } else {
            self.primary()?
        };
        let (from, from_depth) = self.postfix(primary)?;
        depth = depth.max(from_depth);
        let where_ = match self.eat_kw(Keyword::Where) {
            Some(_) => {
                let (cond, d) = self.where_condition()?;
                depth = depth.max(d);
                Some(Box::new(cond))
            }
            None => None,
        };
        let sub = Subquery {
            select,
            from: Box::new(from),
            where_,
        };
        Ok((sub, depth))
    }
}
