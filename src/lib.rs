//! presence-stack: synthesize and check CloudFormation stacks for the AWS IoT presence pipeline.
//!
//! The library takes text and returns text or typed errors; it never touches the disk. The flow is
//! config text --[`config`]--> `Config` --[`model`]--> `Model` --[`render`]--> JSON value --[`emit`]--> template.

pub mod catalog;
pub mod check;
pub mod config;
pub mod diff;
mod digits;
pub mod emit;
pub mod error;
pub mod events;
pub mod fleet;
pub mod model;
pub mod notify;
pub mod rebuild;
pub mod render;
pub mod replay;
pub mod simulate;
pub mod spelling;
pub mod sql;
pub mod status;

pub use catalog::Id;
pub use emit::Format;
pub use error::{Diagnostic, Error, Severity, TooLarge};
pub use model::Model;

/// Templates larger than this cannot be passed inline: `aws cloudformation deploy` then needs `--s3-bucket`.
pub const MAX_INLINE_TEMPLATE_BYTES: usize = 51_200;

/// CloudFormation refuses templates larger than this even from S3 (cfn-lint E1002).
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;

/// The config `presence-stack init` writes: every option, commented, at values that pass every check.
pub const STARTER_CONFIG: &str = include_str!("../templates/starter-config.yaml");

/// The JSON Schema of the config as text, exactly as committed in `presence-stack.schema.json`.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&config::schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// A config file's text and the name to report it by.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// The text of a config file's bytes: UTF-8 (a byte order mark is kept, and accepted), or an error that names
/// the encoding it is in instead, or the first byte that cannot be in a config, at its line and column.
pub fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, Error> {
    config::decode(bytes).map_err(|p| {
        Error::Config(vec![Diagnostic {
            line: p.line,
            column: p.column,
            ..Diagnostic::new(p.id, name, p.path, p.message)
        }])
    })
}

/// The result of a successful synthesis.
#[derive(Debug, Clone)]
pub struct Synthesis {
    pub model: Model,
    pub template: String,
    pub warnings: Vec<Diagnostic>,
}

/// Parse and resolve a config, reporting every problem with its location.
pub fn load(source: Source) -> Result<Model, Error> {
    let problem = |id: Id, path: String, message: String, line, column| Diagnostic {
        line,
        column,
        ..Diagnostic::new(id, source.name, path, message)
    };
    let config = config::parse_all(source.text).map_err(|problems| {
        Error::Config(
            problems
                .into_iter()
                .map(|p| problem(p.id, p.path, p.message, p.line, p.column))
                .collect(),
        )
    })?;
    Model::build(&config).map_err(|problems| {
        let positions = config::Positions::new(source.text);
        Error::Config(
            problems
                .into_iter()
                .map(|p| {
                    // A value out of range is placed at the value, where the parser places the ones it finds.
                    let at = if p.id == catalog::Id::WrongValue {
                        positions.locate_value(&p.path)
                    } else {
                        positions.locate(&p.path)
                    };
                    problem(p.id, p.path, p.message, at.map(|a| a.0), at.map(|a| a.1))
                })
                .collect(),
        )
    })
}

/// Every check of a config, without rendering: the model and the warnings, or every error found. The config's
/// ignores apply; one that matches nothing is a warning, except for the warnings only a template can earn
/// ([`synthesize`] reports those).
pub fn check(source: Source) -> Result<(Model, Vec<Diagnostic>), Error> {
    let (model, mut findings) = findings(source)?;
    apply_ignores(source, &model, &mut findings, Stage::Model);
    verdict(model, findings)
}

/// The model and its warnings, or every error with the warnings beside them.
fn verdict(model: Model, findings: Vec<Diagnostic>) -> Result<(Model, Vec<Diagnostic>), Error> {
    if findings.iter().any(Diagnostic::is_error) {
        return Err(errors_first(findings));
    }
    Ok((model, findings))
}

fn errors_first(mut findings: Vec<Diagnostic>) -> Error {
    findings.sort_by_key(|d| std::cmp::Reverse(d.severity));
    Error::Config(findings)
}

/// How far a run went: the model alone, or the template too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Model,
    Template,
}

/// The config's ignores applied to the findings of a run (errors are never ignored), and each ignore that
/// matched nothing reported as a warning.
fn apply_ignores(source: Source, model: &Model, findings: &mut Vec<Diagnostic>, stage: Stage) {
    let mut used = vec![false; model.ignores.len()];
    findings.retain(|d| {
        let ignore = model
            .ignores
            .iter()
            .position(|i| !d.is_error() && i.covers(d.id, &d.path));
        if let Some(i) = ignore {
            used[i] = true;
        }
        ignore.is_none()
    });
    let mut positions = None;
    for (ignore, _) in model.ignores.iter().zip(used).filter(|(_, used)| !used) {
        // Only a template can be too large to pass inline: the model alone cannot say that ignore is unused.
        if stage == Stage::Model && ignore.id == Id::TemplateOverInline {
            continue;
        }
        let scope = match ignore.pipeline {
            Some(i) => format!(" about pipeline `{}`", model.pipelines[i].name),
            None => String::new(),
        };
        let at = positions
            .get_or_insert_with(|| config::Positions::new(source.text))
            .locate(&ignore.path);
        findings.push(Diagnostic {
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
            hint: Some("remove the ignore".to_owned()),
            ..Diagnostic::new(
                Id::IgnoreUnused,
                source.name,
                ignore.path.clone(),
                format!(
                    "ignores `{}`, but no such warning was found{scope}",
                    ignore.id
                ),
            )
        });
    }
}

/// Every finding of a config, located, before its ignores apply; an error of its meaning ends it early.
fn findings(source: Source) -> Result<(Model, Vec<Diagnostic>), Error> {
    let model = load(source)?;
    let mut findings = check::check(source.name, &model);
    // Read the file's positions once, and only when a finding needs one.
    let mut positions = None;
    for d in &mut findings {
        // Every finding gets its place in the file; those in the rule SQL also carry their column in it, and
        // their text shows only that (see `Diagnostic::shows_position`).
        if d.line.is_none()
            && !d.path.is_empty()
            && let Some((line, column)) = positions
                .get_or_insert_with(|| config::Positions::new(source.text))
                .locate(&d.path)
        {
            d.line = Some(line);
            d.column = Some(column);
        }
    }
    Ok((model, findings))
}

/// Config text in, template text out.
pub fn synthesize(source: Source, format: Format) -> Result<Synthesis, Error> {
    let (model, mut warnings) = findings(source)?;
    if warnings.iter().any(Diagnostic::is_error) {
        apply_ignores(source, &model, &mut warnings, Stage::Model);
        return Err(errors_first(warnings));
    }
    // JSON by shape where it can (the same bytes, a fraction of the work: render/shape.rs), else through the
    // template's value. Shapes repeat only across pipelines: with one pipeline, reading each scope's shape would
    // only add to the work.
    let fast = match format {
        Format::Json if model.pipelines.len() > 1 => render::json_text(&model)?,
        _ => None,
    };
    let template = match fast {
        Some(text) => text,
        None => emit::emit(&render::template(&model)?, format)?,
    };
    if template.len() > MAX_TEMPLATE_BYTES {
        let value = render::template(&model)?;
        return Err(too_large(source.name, &model, &value, format, template.len())?.into());
    }
    warnings.extend(check::template_size(source.name, template.len()));
    apply_ignores(source, &model, &mut warnings, Stage::Template);
    Ok(Synthesis {
        model,
        template,
        warnings,
    })
}

/// The facts of a template over [`MAX_TEMPLATE_BYTES`]: how many of these pipelines would fit, and whether the
/// other format would.
fn too_large(
    file: &str,
    model: &Model,
    value: &serde_json::Value,
    format: Format,
    bytes: usize,
) -> Result<TooLarge, Error> {
    let pipelines = model.pipelines.len();
    // Every template has a skeleton (version, description, the section names); the rest grows with the
    // pipelines. An average rounded up never promises a pipeline too many.
    let mut skeleton = value.clone();
    for section in ["Resources", "Outputs"] {
        if let Some(serde_json::Value::Object(entries)) = skeleton.get_mut(section) {
            entries.clear();
        }
    }
    let fixed = emit::emit(&skeleton, format)?.len();
    let per_pipeline = bytes.saturating_sub(fixed).div_ceil(pipelines).max(1);
    let fit = MAX_TEMPLATE_BYTES.saturating_sub(fixed) / per_pipeline;
    let other_format = match format {
        Format::Json => Format::Yaml,
        Format::Yaml => Format::Json,
    };
    let other_bytes = emit::emit(value, other_format)?.len();
    Ok(TooLarge {
        file: file.to_owned(),
        format,
        bytes,
        pipelines,
        per_pipeline,
        fit,
        other: (other_bytes <= MAX_TEMPLATE_BYTES).then_some((other_format, other_bytes)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` alike pipelines under 20 long tags, which go on four resources of each: about 27 KB of JSON a pipeline.
    fn tagged_fleet(n: usize) -> String {
        // Without alarms, four resources a pipeline: 124 pipelines stay under the 500-resource quota.
        let mut text =
            String::from("stack:\n  outputs: false\n  alarms: {enabled: false}\n  tags:\n");
        for i in 0..20 {
            text.push_str(&format!("    key-{i:02}: \"{}\"\n", "v".repeat(200)));
        }
        text.push_str("pipelines:\n");
        for i in 0..n {
            text.push_str(&format!("  - name: fleet_{i:03}\n"));
        }
        text
    }

    fn synth(n: usize, format: Format) -> Result<Synthesis, Error> {
        let text = tagged_fleet(n);
        synthesize(
            Source {
                name: "fleet.yaml",
                text: &text,
            },
            format,
        )
    }

    /// The starter's header says every value is the default except those marked: without the marked lines it
    /// is the smallest config.
    #[test]
    fn the_starter_config_marks_every_value_that_is_not_a_default() {
        let defaults: String = STARTER_CONFIG
            .lines()
            .filter(|l| !l.contains("# not a default"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            defaults.len() < STARTER_CONFIG.len(),
            "some values are marked"
        );
        let template = |text: &str| {
            synthesize(
                Source {
                    name: "c.yaml",
                    text,
                },
                Format::Json,
            )
            .unwrap()
            .template
        };
        assert_eq!(
            template(&defaults),
            template("pipelines:\n  - name: presence\n")
        );
        assert_ne!(template(STARTER_CONFIG), template(&defaults));
    }

    #[test]
    fn a_template_over_the_hard_limit_is_an_error_that_counts_what_fits() {
        for format in [Format::Json, Format::Yaml] {
            let Err(Error::TooLarge(e)) = synth(124, format) else {
                panic!("{format:?}: 124 pipelines of 20 long tags are over 1,000,000 bytes");
            };
            assert_eq!((e.format, e.pipelines), (format, 124));
            assert!(e.bytes > MAX_TEMPLATE_BYTES, "{e}");
            // The count is exact for alike pipelines: that many fit, one more does not.
            let fits = synth(e.fit, format).unwrap();
            assert!(fits.template.len() <= MAX_TEMPLATE_BYTES, "{format:?} {e}");
            assert!(
                matches!(synth(e.fit + 1, format), Err(Error::TooLarge(_))),
                "{format:?}: {} pipelines would have fitted: {e}",
                e.fit + 1
            );
            assert!(e.to_string().starts_with("fleet.yaml: the "), "{e}");
        }
    }

    /// Eight default pipelines are over what CloudFormation takes inline: whoever deploys with `--s3-bucket`
    /// says so once, with the reason, and the warning is gone; an ignore only a template could use is not
    /// called unused by a check of the model alone.
    #[test]
    fn an_ignore_with_a_reason_silences_its_warning_and_only_its_warning() {
        let fleet = |ignore: &str| {
            let mut text = format!("stack:\n  ignore: {ignore}\npipelines:\n");
            for i in 0..8 {
                text.push_str(&format!("  - name: p{i}\n"));
            }
            text
        };
        let ids = |text: &str| -> Vec<Id> {
            let source = Source {
                name: "c.yaml",
                text,
            };
            synthesize(source, Format::Json)
                .unwrap()
                .warnings
                .iter()
                .map(|d| d.id)
                .collect()
        };
        assert_eq!(ids(&fleet("[]")), [Id::TemplateOverInline]);
        let ignored = fleet("[{id: PS305, reason: we deploy with --s3-bucket}]");
        assert_eq!(ids(&ignored), []);
        let (_, warnings) = check(Source {
            name: "c.yaml",
            text: &ignored,
        })
        .unwrap();
        assert_eq!(warnings, []);
        // Under one pipeline, an ignore covers that pipeline's findings only.
        let named = "pipelines:\n  - name: a\n    rule: {name: ra}\n    ignore: [{id: PS300, reason: r}]\n  \
                     - name: b\n    rule: {name: rb}\n";
        let (_, warnings) = check(Source {
            name: "c.yaml",
            text: named,
        })
        .unwrap();
        let paths: Vec<&str> = warnings.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["pipelines[1].rule.name"]);
        // Errors found beside a warning: the warning is still ignored, the errors stay.
        let broken = "pipelines:\n  - name: a\n    rule: {name: ra}\n    ignore: [{id: PS300, reason: r}]\n    \
                      sql: \"SELECT * FROM '$aws/event/presence/#'\"\n";
        let Err(Error::Config(found)) = check(Source {
            name: "c.yaml",
            text: broken,
        }) else {
            panic!("a typo in a reserved topic is an error");
        };
        assert!(found.iter().all(Diagnostic::is_error), "{found:#?}");
    }

    #[test]
    fn a_json_template_over_the_limit_points_at_a_yaml_one_that_fits() {
        let Err(Error::TooLarge(json)) = synth(40, Format::Json) else {
            panic!("40 pipelines are over the limit in JSON");
        };
        let yaml = synth(40, Format::Yaml).unwrap().template.len();
        assert_eq!(json.other, Some((Format::Yaml, yaml)));
        assert!(
            json.to_string()
                .ends_with(&format!(", or write YAML ({yaml} bytes)")),
            "{json}"
        );
        // Between the two limits it is the warning of old.
        let yaml = synth(40, Format::Yaml).unwrap();
        assert!(yaml.warnings[0].message.contains("--s3-bucket"));
    }
}
