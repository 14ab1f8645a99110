//! Templates compiled into handlebars' own form without its grammar: `build` reads the few forms the templates
//! use (most of a small `synth` used to be spent in handlebars' compiler).

use handlebars::template::{
    DecoratorTemplate, HelperTemplate, Parameter, Subexpression, Template, TemplateElement,
    TemplateMapping,
};
use handlebars::{Path, PathSeg};
use serde_json::Value;
use std::sync::OnceLock;

/// One template compiled, the way the registry would (`register_template_string`), at a fraction of the cost.
pub(super) fn compile(name: &str, text: &str) -> Result<Template, handlebars::TemplateError> {
    // Indentation is for people reading the templates; JSON does not need it, and the template compiler's
    // cost grows with every byte (it tracks a line and column per token).
    let compact: String = text
        .lines()
        .map(|l| l.trim_start())
        .collect::<Vec<_>>()
        .join("\n");
    match build(&compact, name) {
        Some(built) => Ok(built),
        // A form `build` does not read: handlebars' own compiler, the slow way.
        None => Template::compile_with_name(compact, name.to_owned()),
    }
}

/// Pieces of compiled template that only handlebars can make (their types cannot be built outside it), copied
/// by [`build`]: an expression, and an `#if` block and a partial, each inline and alone on its line.
struct Prototypes {
    expression: TemplateElement,
    block: [HelperTemplate; 2],
    partial: [DecoratorTemplate; 2],
    mapping: TemplateMapping,
}

static PROTOTYPES: OnceLock<Option<Prototypes>> = OnceLock::new();

fn prototypes() -> Option<&'static Prototypes> {
    PROTOTYPES
        .get_or_init(|| {
            let t = Template::compile(
                "{{j}}{{#if a}}{{/if}}{{> policies a}}x\n{{#if a}}\n{{/if}}\n{{> policies a}}\n",
            )
            .ok()?;
            let mut blocks = t.elements.iter().filter_map(|e| match e {
                TemplateElement::HelperBlock(b) => Some((**b).clone()),
                _ => None,
            });
            let mut partials = t.elements.iter().filter_map(|e| match e {
                TemplateElement::PartialExpression(d) => Some((**d).clone()),
                _ => None,
            });
            Some(Prototypes {
                expression: t.elements.first()?.clone(),
                block: [blocks.next()?, blocks.next()?],
                partial: [partials.next()?, partials.next()?],
                mapping: t.mapping.first()?.clone(),
            })
        })
        .as_ref()
}

/// An `#if` being read: the template around it, the block, and its `#if` part once an `else` was read.
struct Open {
    outer: Template,
    block: HelperTemplate,
    then: Option<Template>,
}

/// The template handlebars compiles from `source`, built without its grammar, for templates made only of the
/// forms `{{json X}}`, `{{#if X}}`, `{{else}}`, `{{/if}}` and `{{> policies X}}` (X a path, or `(cat ...)` of
/// paths and plain string literals); `None` for anything else. Handlebars' grammar costs tens of thousands of
/// instructions an expression, and computes each token's line and column by counting from the start of the
/// template (quadratic in its length); this reads the same template in a few instructions a byte. It keeps
/// handlebars' rules for static text exactly: a block tag or partial alone on its line (a "standalone"
/// statement) takes the spaces before it and the line break after it. A test holds the result equal to
/// handlebars' own for every template, but for the positions handlebars keeps for its error messages: every
/// element here says line 1, column 1 (a render error still names its template).
pub(super) fn build(source: &str, name: &str) -> Option<Template> {
    const BLANK: [char; 2] = [' ', '\t'];
    const NEWLINE: [char; 2] = ['\n', '\r'];
    let protos = prototypes()?;
    let mut current = Template::default();
    let mut open: Vec<Open> = Vec::new();
    let mut trim_line = false;
    let mut pos = 0;
    let push = |t: &mut Template, e: TemplateElement| {
        t.elements.push(e);
        t.mapping.push(protos.mapping.clone());
    };
    loop {
        let next = source[pos..].find("{{").map(|i| pos + i);
        let run = &source[pos..next.unwrap_or(source.len())];
        if !run.is_empty() {
            let text = if trim_line {
                let s = run.trim_start_matches(BLANK);
                s.strip_prefix("\r\n")
                    .or_else(|| s.strip_prefix('\n'))
                    .unwrap_or(s)
            } else {
                run
            };
            push(&mut current, TemplateElement::RawString(text.to_owned()));
            trim_line = false;
        }
        let Some(start) = next else { break };
        let end = start + source[start..].find("}}")? + 2;
        let inner = &source[start + 2..end - 2];
        let statement = inner == "else"
            || inner == "/if"
            || inner.starts_with("#if ")
            || inner.starts_with("> policies ");
        let mut standalone = false;
        if statement {
            let after = &source[end..];
            if after.trim_start_matches(BLANK).starts_with(NEWLINE) || after.is_empty() {
                let before = source[..start].trim_end_matches(BLANK);
                let leading = before.ends_with(NEWLINE) || before.is_empty();
                if leading
                    && let Some(TemplateElement::RawString(text)) = current.elements.last_mut()
                {
                    text.truncate(text.trim_end_matches(BLANK).len());
                }
                standalone = start == 0 || leading;
            }
            trim_line = standalone;
        }
        if let Some(arg) = inner.strip_prefix("json ") {
            let mut e = protos.expression.clone();
            let TemplateElement::Expression(h) = &mut e else {
                return None;
            };
            h.name = Parameter::Name("json".to_owned());
            h.params = vec![parameter(arg)?];
            push(&mut current, e);
        } else if let Some(arg) = inner.strip_prefix("#if ") {
            let mut block = protos.block[usize::from(standalone)].clone();
            block.params = vec![path(arg)?];
            current.mapping.push(protos.mapping.clone());
            open.push(Open {
                outer: std::mem::take(&mut current),
                block,
                then: None,
            });
        } else if inner == "else" {
            let o = open.last_mut()?;
            if o.then.is_some() {
                return None;
            }
            o.then = Some(std::mem::take(&mut current));
        } else if inner == "/if" {
            let o = open.pop()?;
            let last = std::mem::replace(&mut current, o.outer);
            let mut block = o.block;
            match o.then {
                Some(then) => {
                    block.template = Some(then);
                    block.inverse = Some(last);
                }
                None => {
                    block.template = Some(last);
                    block.inverse = None;
                }
            }
            current
                .elements
                .push(TemplateElement::HelperBlock(Box::new(block)));
        } else if let Some(arg) = inner.strip_prefix("> policies ") {
            let mut partial = protos.partial[usize::from(standalone)].clone();
            partial.params = vec![path(arg)?];
            push(
                &mut current,
                TemplateElement::PartialExpression(Box::new(partial)),
            );
        } else {
            return None;
        }
        pos = end;
    }
    if !open.is_empty() {
        return None;
    }
    current.name = Some(name.to_owned());
    Some(current)
}

/// A path (`p.ids.table`) or a `(cat ...)` of paths and string literals without escapes, as handlebars reads it.
fn parameter(text: &str) -> Option<Parameter> {
    let Some(inner) = text.strip_prefix("(cat ").and_then(|t| t.strip_suffix(')')) else {
        return path(text);
    };
    let mut params = Vec::new();
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        if let Some(literal) = rest.strip_prefix('"') {
            let end = literal.find('"')?;
            let value = &literal[..end];
            if value.contains('\\') {
                return None;
            }
            params.push(Parameter::Literal(Value::String(value.to_owned())));
            rest = &literal[end + 1..];
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return None;
            }
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            params.push(path(&rest[..end])?);
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    Some(Parameter::Subexpression(Subexpression::new(
        Parameter::Name("cat".to_owned()),
        params,
        std::collections::HashMap::new(),
    )))
}

/// A dotted path of plain names: handlebars' relative path.
fn path(text: &str) -> Option<Parameter> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !s.as_bytes()[0].is_ascii_digit()
            && !matches!(s, "this" | "true" | "false" | "null")
    };
    if !text.split('.').all(plain) {
        return None;
    }
    let segments = text
        .split('.')
        .map(|s| PathSeg::Named(s.to_owned()))
        .collect();
    Some(Parameter::Path(Path::Relative((segments, text.to_owned()))))
}

#[cfg(test)]
mod tests {
    use super::super::{POLICIES, TEMPLATES, shared_registry, template_for};
    use super::*;
    use handlebars::Handlebars;

    /// Templates are compiled when first rendered: every one of them must compile, whether or not an example
    /// renders it, without handlebars' grammar, into exactly the template the registry compiles from the text.
    #[test]
    fn every_template_compiles_as_the_registry_would() {
        assert!(shared_registry().is_ok());
        for (name, text) in TEMPLATES.into_iter().chain([POLICIES]) {
            let compact: String = text
                .lines()
                .map(|l| l.trim_start())
                .collect::<Vec<_>>()
                .join("\n");
            let mut built = build(&compact, name).expect("only the forms `build` reads");
            assert_eq!(built.mapping.len(), built.elements.len(), "{name}");
            let mut hb = Handlebars::new();
            hb.set_prevent_indent(true);
            hb.register_template_string(name, &compact)
                .expect("compiles");
            let mut whole = hb.get_template(name).expect("registered").clone();
            // Only the positions differ, which handlebars keeps for its error messages.
            without_positions(&mut whole);
            without_positions(&mut built);
            assert_eq!(built, whole, "{name}");
        }
        assert!(template_for("nonesuch").is_err());
    }

    /// Standalone lines, `else`, literals with spaces, nested blocks, and the ends of a template, against
    /// handlebars; other forms are left to handlebars.
    #[test]
    fn build_agrees_with_handlebars_on_whitespace_and_nesting() {
        for source in [
            "{{#if a}}\nx\n{{else}}\n  y \n{{/if}}\n",
            "  {{#if a}}  \n{{#if b.c}}{{json (cat \"a b\" d.e \" f\")}}{{/if}}\n {{/if}}",
            "{\"a\": {{json x}}}\n{{> policies p}}\n{{> policies q}}x\n\n",
            "{{#if a}}{{/if}}\t\n\r\n{{else}}",
            "",
            "x\n  ",
        ] {
            let Some(mut built) = build(source, "t") else {
                assert!(source.contains("{{else}}"), "{source:?}");
                continue;
            };
            let mut whole = Template::compile_with_name(source, "t".to_owned()).expect("compiles");
            without_positions(&mut whole);
            without_positions(&mut built);
            assert_eq!(built, whole, "{source:?}");
        }
        for other in [
            "{{#each a}}{{/each}}",
            "{{json a b}}",
            "{{{json a}}}",
            "{{json (cat \"\\\"\")}}",
            "{{json @index}}",
        ] {
            assert!(build(other, "t").is_none(), "{other}");
        }
    }

    fn without_positions(template: &mut Template) {
        template.mapping.clear();
        for element in &mut template.elements {
            match element {
                TemplateElement::HelperBlock(block) => {
                    for inner in [&mut block.template, &mut block.inverse]
                        .into_iter()
                        .flatten()
                    {
                        without_positions(inner);
                    }
                }
                TemplateElement::PartialBlock(block) | TemplateElement::DecoratorBlock(block) => {
                    if let Some(inner) = &mut block.template {
                        without_positions(inner);
                    }
                }
                _ => {}
            }
        }
    }
}
