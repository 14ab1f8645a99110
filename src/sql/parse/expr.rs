//! Expressions: precedence climbing over the binary operators, prefix and postfix forms, calls, CAST, CASE,
//! array and object literals, variables and `*` where an expression stands.

use super::*;

impl Parser<'_> {
    pub(super) fn binary_op(&self) -> Option<BinaryOp> {
        Some(match &self.peek().kind {
            TokenKind::Eq => BinaryOp::Eq,
            TokenKind::NotEq => BinaryOp::NotEq,
            TokenKind::Lt => BinaryOp::Lt,
            TokenKind::Le => BinaryOp::Le,
            TokenKind::Gt => BinaryOp::Gt,
            TokenKind::Ge => BinaryOp::Ge,
            TokenKind::Plus => BinaryOp::Add,
            TokenKind::Minus => BinaryOp::Sub,
            TokenKind::Star => BinaryOp::Mul,
            TokenKind::Slash => BinaryOp::Div,
            TokenKind::Percent => BinaryOp::Mod,
            TokenKind::Word(w) => match w.keyword? {
                Keyword::And => BinaryOp::And,
                Keyword::Or => BinaryOp::Or,
                Keyword::In => BinaryOp::In,
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Parses operators binding at least as tightly as `min_prec`.
    pub(super) fn expr(&mut self, min_prec: u8) -> Parsed {
        let (mut lhs, mut depth) = self.prefix()?;
        while let Some(op) = self.binary_op() {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            let op_span = self.advance().span;
            // `prec + 1` makes every operator left-associative.
            let (rhs, rhs_depth) = self.expr(prec + 1)?;
            depth = self.check_depth(depth.max(rhs_depth) + 1, op_span)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            );
        }
        Ok((lhs, depth))
    }

    pub(super) fn prefix(&mut self) -> Parsed {
        let (op, operand_prec) = if self.at_kw(Keyword::Not) {
            // Tighter than AND/OR but looser than comparisons, so that
            // `NOT a = b` negates the comparison.
            (UnaryOp::Not, PREC_NOT + 1)
        } else if self.at(&TokenKind::Minus) {
            (UnaryOp::Neg, PREC_NEG)
        } else {
            let primary = self.primary()?;
            return self.postfix(primary);
        };
        // A `NOT` right inside `(` costs no nesting of its own: the printer
        // writes `a - NOT b` as `a - (NOT b)`, and what it prints must stay
        // within the limit that the text it read was within.
        let charged = !(op == UnaryOp::Not
            && self.pos > 0
            && matches!(
                self.toks.get(self.pos - 1).map(|t| &t.kind),
                Some(TokenKind::LParen)
            ));
        if charged {
            self.nest()?;
        }
        let op_span = self.advance().span;
        let (operand, depth) = self.expr(operand_prec)?;
        if charged {
            self.unnest();
        }
        let span = op_span.to(operand.span);
        let depth = self.check_depth(depth + 1, op_span)?;
        let expr = Expr::new(
            ExprKind::Unary {
                op,
                expr: Box::new(operand),
            },
            span,
        );
        Ok((expr, depth))
    }

    pub(super) fn primary(&mut self) -> Parsed {
        let tok = self.peek().clone();
        let atom = |kind| Ok((Expr::new(kind, tok.span), 1));
        match &tok.kind {
            TokenKind::Word(w) => match w.keyword {
                Some(Keyword::True) => {
                    self.advance();
                    atom(ExprKind::Bool(true))
                }
                Some(Keyword::False) => {
                    self.advance();
                    atom(ExprKind::Bool(false))
                }
                Some(Keyword::Null) => {
                    self.advance();
                    atom(ExprKind::Null)
                }
                Some(Keyword::Case) => self.case(),
                _ if w.is_reserved() => Err(self.unexpected("an expression")),
                keyword if self.peek_at(1).kind == TokenKind::LParen => {
                    if keyword == Some(Keyword::Cast) {
                        self.cast()
                    } else {
                        self.call()
                    }
                }
                _ => {
                    self.advance();
                    let ident = Ident::new(w.text.clone(), tok.span);
                    atom(ExprKind::Path(vec![PathSegment::Field(ident)]))
                }
            },
            TokenKind::Str(s) => {
                self.advance();
                atom(ExprKind::String(s.clone()))
            }
            TokenKind::Number(n) => {
                self.advance();
                atom(ExprKind::Number(n.clone()))
            }
            TokenKind::LParen if self.peek_at_kw(1, Keyword::Select) => self.subquery(),
            TokenKind::LParen => {
                self.nest()?;
                let open = self.advance().span;
                let (mut inner, depth) = self.expr(0)?;
                let close = self.expect(&TokenKind::RParen, "')'")?;
                self.unnest();
                // Cover the parentheses so diagnostics quote what was written.
                inner.span = open.to(close);
                Ok((inner, depth))
            }
            TokenKind::LBracket => self.array(),
            TokenKind::LBrace => self.object(),
            TokenKind::Invalid('$') if self.peek_at(1).kind == TokenKind::LBrace => {
                self.substitution()
            }
            TokenKind::Variable(name) => {
                if !self.variables.contains(name) {
                    let expected = match self.variables.is_empty() {
                        true => "an expression (a variable must be set by a SET clause first)"
                            .to_owned(),
                        false => format!(
                            "an expression or a variable set before: {}",
                            self.variables
                                .iter()
                                .map(|v| format!("@{v}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    return Err(self.unexpected(&expected));
                }
                self.advance();
                atom(ExprKind::Variable(Ident::new(name.clone(), tok.span)))
            }
            TokenKind::Star => {
                if self.in_where > 0 {
                    return Err(self.unexpected(
                        "an expression (`*`, the whole message, belongs in the SELECT clause)",
                    ));
                }
                if !matches!(self.peek_at(1).kind, TokenKind::Dot | TokenKind::LBracket) {
                    return Err(self.unexpected(
                        "an expression (`*` alone is a SELECT item or a function's argument)",
                    ));
                }
                self.advance();
                atom(ExprKind::Wildcard)
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// A function's argument: any expression, or `*` alone, the whole message
    /// (`encode(*, 'base64')`).
    ///
    /// In WHERE too: AWS's own `machinelearning_predict(model, role, *)` example is a condition. A nested SELECT
    /// may stand as an argument without parentheses of its own (`isNull(SELECT VALUE x FROM a)`): the call's
    /// parentheses enclose it.
    fn argument(&mut self) -> Parsed {
        let alone = matches!(self.peek_at(1).kind, TokenKind::Comma | TokenKind::RParen);
        if self.at(&TokenKind::Star) && alone {
            let span = self.advance().span;
            return Ok((Expr::new(ExprKind::Wildcard, span), 1));
        }
        if self.at_kw(Keyword::Select) {
            return self.bare_subquery();
        }
        self.expr(0)
    }

    /// `${expr}`, a substitution template, in the SELECT clause: AWS evaluates the expression in place, so the
    /// tree is the expression's (and prints without the template's marks, which mean the same).
    fn substitution(&mut self) -> Parsed {
        if self.in_where > 0 {
            return Err(self.unexpected(
                "an expression (a substitution template `${...}` belongs in the SELECT clause)",
            ));
        }
        self.nest()?;
        let dollar = self.advance().span;
        self.advance(); // `{`
        let (mut inner, depth) = self.expr(0)?;
        let close = self.expect(&TokenKind::RBrace, "'}' (the end of `${...}`)")?;
        self.unnest();
        inner.span = dollar.to(close);
        Ok((inner, depth))
    }

    /// `.field` and `[index]` after a primary. Accesses on a field path
    /// extend the path, so `(a).b` and `a.b` give the same tree.
    pub(super) fn postfix(&mut self, (mut expr, mut depth): (Expr, usize)) -> Parsed {
        loop {
            let segment = if self.eat(&TokenKind::Dot).is_some() {
                // Any word works after a dot, keywords included: the field
                // position is unambiguous and payload keys are arbitrary.
                match &self.peek().kind {
                    TokenKind::Word(w) => {
                        let name = w.text.clone();
                        let span = self.advance().span;
                        PathSegment::Field(Ident::new(name, span))
                    }
                    // `a.0.b`: dot notation does not reach such keys (JSON
                    // extensions, "the 'dot' notation will not work").
                    _ if self
                        .src
                        .get(self.last_end..)
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())) =>
                    {
                        let at = self.last_end;
                        let digits: String = self
                            .src
                            .get(at..)
                            .unwrap_or("")
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        return Err(self.error_at(
                            at,
                            "a field name (for a key that starts with a digit or holds a hyphen, use get(x, 'key'))",
                            &format!("'{digits}'"),
                        ));
                    }
                    _ => return Err(self.unexpected("a field name")),
                }
            } else if self.at(&TokenKind::LBracket) {
                self.nest()?;
                let open = self.advance().span;
                let (index, index_depth) = self.expr(0)?;
                self.expect(&TokenKind::RBracket, "']'")?;
                self.unnest();
                depth = self.check_depth(depth.max(index_depth + 1), open)?;
                PathSegment::Index(index)
            } else {
                return Ok((expr, depth));
            };
            let span = Span::new(expr.span.start, self.last_end);
            expr = match expr.kind {
                ExprKind::Path(mut segments) => {
                    segments.push(segment);
                    Expr::new(ExprKind::Path(segments), span)
                }
                ExprKind::Access { base, mut segments } => {
                    segments.push(segment);
                    Expr::new(ExprKind::Access { base, segments }, span)
                }
                kind => {
                    depth = self.check_depth(depth + 1, span)?;
                    let base = Box::new(Expr::new(kind, expr.span));
                    Expr::new(
                        ExprKind::Access {
                            base,
                            segments: vec![segment],
                        },
                        span,
                    )
                }
            };
        }
    }

    /// Parses `expr (, expr)*` up to `close`, the opening token already
    /// consumed. Returns the items and their greatest depth.
    pub(super) fn list(
        &mut self,
        close: &TokenKind,
        expected: &str,
        mut item: impl FnMut(&mut Self) -> Parsed,
    ) -> Result<(Vec<Expr>, usize), SqlError> {
        let mut items = Vec::new();
        let mut depth = 0;
        if self.eat(close).is_some() {
            return Ok((items, depth));
        }
        loop {
            let (item, d) = item(self)?;
            depth = depth.max(d);
            items.push(item);
            if self.eat(&TokenKind::Comma).is_some() {
                continue;
            }
            self.expect(close, expected)?;
            return Ok((items, depth));
        }
    }

    pub(super) fn call(&mut self) -> Parsed {
        let name_tok = self.advance();
        let TokenKind::Word(Word { text: name, .. }) = name_tok.kind else {
            return Err(self.unexpected("a function name"));
        };
        self.nest()?;
        self.advance(); // `(`
        let (args, depth) = self.list(&TokenKind::RParen, "',' or ')'", Self::argument)?;
        self.unnest();
        let span = Span::new(name_tok.span.start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        let call = Call {
            name: Ident::new(name, name_tok.span),
            args,
        };
        Ok((Expr::new(ExprKind::Call(call), span), depth))
    }

    pub(super) fn cast(&mut self) -> Parsed {
        let start = self.advance().span.start;
        self.nest()?;
        self.advance(); // `(`
        let (expr, depth) = self.expr(0)?;
        self.expect_kw(Keyword::As)?;
        let ty = self.ident("a type name")?;
        self.expect(&TokenKind::RParen, "')'")?;
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        let kind = ExprKind::Cast {
            expr: Box::new(expr),
            ty,
        };
        Ok((Expr::new(kind, span), depth))
    }

    pub(super) fn case(&mut self) -> Parsed {
        let start = self.advance().span.start;
        self.nest()?;
        let mut depth = 0;
        let mut sub = |p: &mut Self| -> Result<Expr, SqlError> {
            let (e, d) = p.expr(0)?;
            depth = depth.max(d);
            Ok(e)
        };
        let operand = if self.at_kw(Keyword::When) {
            None
        } else {
            Some(Box::new(sub(self)?))
        };
        let mut branches = Vec::new();
        while self.eat_kw(Keyword::When).is_some() {
            let when = sub(self)?;
            self.expect_kw(Keyword::Then)?;
            let then = sub(self)?;
            branches.push(WhenThen { when, then });
        }
        if branches.is_empty() {
            return Err(self.unexpected("WHEN"));
        }
        let otherwise = match self.eat_kw(Keyword::Else) {
            Some(_) => Some(Box::new(sub(self)?)),
            None => None,
        };
        if self.eat_kw(Keyword::End).is_none() {
            let expected = if otherwise.is_some() {
                "END"
            } else {
                "WHEN, ELSE or END"
            };
            return Err(self.unexpected(expected));
        }
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        let kind = ExprKind::Case {
            operand,
            branches,
            otherwise,
        };
        Ok((Expr::new(kind, span), depth))
    }

    pub(super) fn array(&mut self) -> Parsed {
        self.nest()?;
        let start = self.advance().span.start;
        let (items, depth) = self.list(&TokenKind::RBracket, "',' or ']'", |p| p.expr(0))?;
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        Ok((Expr::new(ExprKind::Array(items), span), depth))
    }

    pub(super) fn object(&mut self) -> Parsed {
        self.nest()?;
        let start = self.advance().span.start;
        let mut entries = Vec::new();
        let mut depth = 0;
        if self.eat(&TokenKind::RBrace).is_none() {
            loop {
                let (key, key_span) = match &self.peek().kind {
                    TokenKind::Str(k) => {
                        let key = k.clone();
                        (key, self.advance().span)
                    }
                    _ => return Err(self.unexpected("a quoted key")),
                };
                self.expect(&TokenKind::Colon, "':'")?;
                let (value, d) = self.expr(0)?;
                depth = depth.max(d);
                entries.push(ObjectEntry {
                    key,
                    key_span,
                    value,
                });
                if self.eat(&TokenKind::Comma).is_none() {
                    self.expect(&TokenKind::RBrace, "',' or '}'")?;
                    break;
                }
            }
        }
        self.unnest();
        let span = Span::new(start, self.last_end);
        let depth = self.check_depth(depth + 1, span)?;
        Ok((Expr::new(ExprKind::Object(entries), span), depth))
    }
}
