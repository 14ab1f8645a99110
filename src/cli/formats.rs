//! The machine formats of `--message-format`: a JSON array, a SARIF 2.1.0 log and GitHub Actions workflow
//! commands. Each is a function of the diagnostics alone, so that tests can hold them to their specifications.
//!
//! SARIF is written with serde structs of our own rather than the `serde-sarif` crate: that crate generates
//! the whole schema's types in a build script (syn, prettyplease, schemafy) and adds typed-builder and strum,
//! a heavy build for the dozen fields a log of located config diagnostics needs. The test suite validates what
//! these structs write against the OASIS schema.

use serde::Serialize;

use presence_stack::catalog::{CATALOG, Entry};
use presence_stack::{Diagnostic, Severity};

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One diagnostic of `--message-format json`.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    id: &'static str,
    severity: &'static str,
    file: &'a str,
    path: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
    hint: Option<&'a str>,
}

/// A JSON array of every diagnostic, and a newline.
pub(super) fn json(diagnostics: &[Diagnostic]) -> String {
    let items: Vec<_> = diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            id: d.id.code(),
            severity: severity_name(d.severity),
            file: &d.file,
            path: &d.path,
            line: d.line,
            column: d.column,
            message: d.text(),
            hint: d.hint.as_deref(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

/// A GitHub Actions workflow command: `::warning file=F,line=L,col=C,title=ID::message`, which the runner shows
/// as an annotation on that line of the pull request.
pub(super) fn github(d: &Diagnostic) -> String {
    let mut properties = vec![format!("file={}", property(&d.file))];
    if let Some(line) = d.line {
        properties.push(format!("line={line}"));
    }
    if let Some(column) = d.column {
        properties.push(format!("col={column}"));
    }
    properties.push(format!("title={}", d.id.code()));
    format!(
        "::{} {}::{}",
        severity_name(d.severity),
        properties.join(","),
        data(&sarif_text(d))
    )
}

/// A workflow command's message: `%`, CR and LF escaped, as the runner's own toolkit does.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`, which end it.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// What a result or an annotation says: the config path, the message and the hint, as one text.
fn sarif_text(d: &Diagnostic) -> String {
    let mut text = String::new();
    if !d.path.is_empty() {
        text.push_str(&d.path);
        text.push_str(": ");
    }
    text.push_str(&d.text());
    if let Some(hint) = &d.hint {
        text.push_str("; ");
        text.push_str(hint);
    }
    text
}

const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Message,
    help: Message,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

fn rule(e: &Entry) -> Rule {
    Rule {
        id: e.code,
        short_description: Message {
            text: e.title.to_owned(),
        },
        help: Message {
            text: e.fix.to_owned(),
        },
        default_configuration: Configuration {
            level: severity_name(e.severity),
        },
    }
}

/// A SARIF 2.1.0 log of one run: every rule of the catalog, and one result per diagnostic, located at its line
/// and column in the config and by its config path.
pub(super) fn sarif(diagnostics: &[Diagnostic]) -> String {
    let results = diagnostics
        .iter()
        .map(|d| {
            // Standard input has no file to point at; the config path still says where.
            let physical_location = (d.file != "<stdin>").then(|| PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(&d.file) },
                region: d.line.map(|start_line| Region {
                    start_line,
                    start_column: d.column,
                }),
            });
            let logical_locations = if d.path.is_empty() {
                Vec::new()
            } else {
                vec![LogicalLocation {
                    fully_qualified_name: d.path.clone(),
                    kind: "member",
                }]
            };
            SarifResult {
                rule_id: d.id.code(),
                rule_index: d.id as usize,
                level: severity_name(d.severity),
                message: Message {
                    text: sarif_text(d),
                },
                locations: vec![Location {
                    physical_location,
                    logical_locations,
                }],
            }
        })
        .collect();
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "presence-stack",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: CATALOG.iter().map(rule).collect(),
                },
            },
            results,
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// A file name as a relative URI reference: `/` kept, anything but unreserved characters percent-encoded.
fn uri(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use presence_stack::Id;

    fn diagnostic() -> Diagnostic {
        Diagnostic {
            line: Some(4),
            column: Some(7),
            hint: Some("leave `rule.name` out".to_owned()),
            ..Diagnostic::new(
                Id::FixedName,
                "ci/a b,c:d%.yaml",
                "pipelines[0].rule.name",
                "a fixed name\nof two lines",
            )
        }
    }

    #[test]
    fn github_commands_escape_what_would_end_them() {
        assert_eq!(
            github(&diagnostic()),
            "::warning file=ci/a b%2Cc%3Ad%25.yaml,line=4,col=7,title=PS300::pipelines[0].rule.name: a fixed \
             name%0Aof two lines; leave `rule.name` out"
        );
        let whole_file = Diagnostic::new(Id::EmptyFile, "c.yaml", "", "the file is empty");
        assert_eq!(
            github(&whole_file),
            "::error file=c.yaml,title=PS003::the file is empty"
        );
    }

    #[test]
    fn json_has_the_fields_of_the_contract() {
        let value: serde_json::Value = serde_json::from_str(&json(&[diagnostic()])).unwrap();
        assert_eq!(
            value,
            serde_json::json!([{
                "id": "PS300", "severity": "warning", "file": "ci/a b,c:d%.yaml",
                "path": "pipelines[0].rule.name", "line": 4, "column": 7,
                "message": "a fixed name\nof two lines", "hint": "leave `rule.name` out"
            }])
        );
        assert_eq!(json(&[]), "[]\n");
    }

    #[test]
    fn sarif_locates_results_in_the_file_and_the_config() {
        let log: serde_json::Value = serde_json::from_str(&sarif(&[diagnostic()])).unwrap();
        let run = &log["runs"][0];
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "PS300");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "PS300");
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "ci/a%20b%2Cc%3Ad%25.yaml"
        );
        assert_eq!(physical["region"]["startLine"], 4);
        assert_eq!(physical["region"]["startColumn"], 7);
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "pipelines[0].rule.name"
        );
    }
}
