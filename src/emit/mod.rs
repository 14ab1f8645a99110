//! The template as text: JSON with two-space indentation, or CloudFormation YAML ([`yaml`]), both ending in a
//! newline. Keys keep the order the templates gave them, so the same config always gives the same bytes.

pub mod yaml;

use serde_json::Value;

/// The two formats CloudFormation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// The format a file name asks for by its extension, if it asks for one.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Text of the template in `format`.
pub fn emit(template: &Value, format: Format) -> Result<String, EmitError> {
    let mut text = match format {
        Format::Json => serde_json::to_string_pretty(template).map_err(EmitError::Json)?,
        Format::Yaml => yaml::to_string(template),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("cannot write the template as JSON: {0}")]
    Json(serde_json::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_keeps_key_order_and_ends_in_newline() {
        let v: Value = serde_json::from_str(r#"{"b": 1, "a": {"Fn::Sub": "x"}}"#).unwrap();
        assert_eq!(
            emit(&v, Format::Json).unwrap(),
            "{\n  \"b\": 1,\n  \"a\": {\n    \"Fn::Sub\": \"x\"\n  }\n}\n"
        );
    }

    #[test]
    fn yaml_quotes_versions_as_aws_samples_do() {
        let v = json!({"AWSTemplateFormatVersion": "2010-09-09", "AwsIotSqlVersion": "2016-03-23", "Version": "2012-10-17"});
        assert_eq!(
            emit(&v, Format::Yaml).unwrap(),
            "AWSTemplateFormatVersion: \"2010-09-09\"\nAwsIotSqlVersion: \"2016-03-23\"\nVersion: \"2012-10-17\"\n"
        );
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::from_path("t.YML".as_ref()), Some(Format::Yaml));
        assert_eq!(Format::from_path("t.json".as_ref()), Some(Format::Json));
        assert_eq!(Format::from_path("t.txt".as_ref()), None);
    }
}
