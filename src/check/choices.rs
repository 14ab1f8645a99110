//! Warnings about what a config chose that works but costs something: names that tie a template to one stack
//! per region, keys that lose events, a table whose deletion would fail, a disabled rule, an old or unstable SQL
//! version, a template too large to pass inline.

use crate::MAX_INLINE_TEMPLATE_BYTES;
use crate::catalog::Id;
use crate::error::Diagnostic;
use crate::model::{Model, SqlVersion};

/// Warnings about what the config chose, pipeline by pipeline.
pub(super) fn warnings(file: &str, model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, p) in model.pipelines.iter().enumerate() {
        let warn = |id: Id, path: &str, message: String| {
            Diagnostic::new(id, file, format!("pipelines[{i}].{path}"), message)
        };
        // Physical names are regional for rules and tables (IAM names would be global; none is ever set), so a
        // fixed name ties the template to one stack per account and region.
        for (field, kind, name) in [
            ("rule.name", "rule", &p.rule.name),
            ("table.name", "table", &p.table.name),
        ] {
            if let Some(name) = name {
                out.push(Diagnostic {
                    hint: Some(format!("leave `{field}` out to let CloudFormation name the {kind}")),
                    ..warn(
                        Id::FixedName,
                        field,
                        format!(
                            "`{name}` is a fixed {kind} name: {kind} names are unique per account and region, so a second stack \
                             of this template in the same region fails (other regions and accounts, e.g. a StackSet, are fine)"
                        ),
                    )
                });
            }
        }
        // A sort key taken as it is from the payload's time (or none at all) makes different events share an item,
        // and PutItem keeps only the last of them.
        let loses = match &p.table.sort_key {
            None => Some(
                "a table keyed by its partition key alone keeps only the last event of each client",
            ),
            Some(k) if k.expression.is_none() && k.name == "timestamp" => Some(
                "`timestamp` alone makes two different events of a client in one millisecond (a takeover's disconnect and connect, a quick reconnect) share an item, and the later write replaces the other",
            ),
            _ => None,
        };
        if let Some(why) = loses
            && p.table.partition_key.expression.is_none()
        {
            out.push(Diagnostic {
                hint: Some(format!(
                    "leave `table.sort_key` out for the default `{}`, which keeps every distinct event",
                    crate::events::EVENT_KEY
                )),
                ..warn(Id::KeyLosesEvents, "table.sort_key", format!("{why}: those events are lost"))
            });
        }
        // Left unset, deletion protection follows `retain`; set against it, the stack cannot be deleted whole.
        if !p.table.retain && p.table.deletion_protection {
            out.push(Diagnostic {
                hint: Some(
                    "leave `table.deletion_protection` out (it follows `retain`), or set `retain: true` to keep the table"
                        .to_owned(),
                ),
                ..warn(
                    Id::DeletionProtection,
                    "table.deletion_protection",
                    "`retain: false` deletes the table with the stack, but deletion protection stops that: the stack's deletion fails on the table until protection is turned off".to_owned(),
                )
            });
        }
        if !p.rule.enabled {
            out.push(warn(
                Id::RuleDisabled,
                "rule.enabled",
                "the rule is disabled: no event reaches the table until it is enabled".to_owned(),
            ));
        }
        match p.rule.sql_version {
            SqlVersion::V2015_10_08 => out.push(warn(
                Id::SqlVersion,
                "rule.sql_version",
                "2015-10-08 lacks nested object queries and SELECT VALUE; use \"2016-03-23\"".to_owned(),
            )),
            SqlVersion::Beta => out.push(warn(
                Id::SqlVersion,
                "rule.sql_version",
                "`beta` may change without notice; use \"2016-03-23\" for a rule that keeps working".to_owned(),
            )),
            SqlVersion::V2016_03_23 => {}
        }
    }
    out
}

/// A template over what CloudFormation takes inline (the hard limit is an error of its own, before this).
pub fn template_size(file: &str, bytes: usize) -> Option<Diagnostic> {
    (bytes > MAX_INLINE_TEMPLATE_BYTES).then(|| {
        Diagnostic::new(
            Id::TemplateOverInline,
            file,
            "",
            format!(
                "the template is {bytes} bytes, over the {MAX_INLINE_TEMPLATE_BYTES} CloudFormation takes inline; \
                 `aws cloudformation deploy` needs `--s3-bucket <bucket>` to upload it"
            ),
        )
    })
}
