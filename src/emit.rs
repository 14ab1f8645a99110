//! The template as text: JSON with two-space indentation, or YAML, both ending in a newline. Keys keep the order
//! the templates gave them, so the same config always gives the same bytes.

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
        Format::Yaml => serde_yaml::to_string(template).map_err(EmitError::Yaml)?,
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
    #[error("cannot write the template as YAML: {0}")]
    Yaml(serde_yaml::Error),
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
    fn yaml_quotes_strings_that_would_read_as_something_else() {
        let v = json!({"AwsIotSqlVersion": "2016-03-23", "RuleDisabled": false, "N": "123", "Y": "yes"});
        let text = emit(&v, Format::Yaml).unwrap();
        let back: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::from_path("t.YML".as_ref()), Some(Format::Yaml));
        assert_eq!(Format::from_path("t.json".as_ref()), Some(Format::Json));
        assert_eq!(Format::from_path("t.txt".as_ref()), None);
    }
}
