//! The functions' Python as `Code.ZipFile` takes it: at most 4,096 characters. The files in `templates/` stay
//! readable (docstrings, comments, four-space indents, linted by ruff); what goes into the template is the same
//! code without its docstrings, comments and blank lines, indented by one space a level. The functions' tests run
//! the embedded text, not the files.

use std::sync::OnceLock;

/// CloudFormation's limit for inline code.
pub const MAX_INLINE_CODE: usize = 4096;

/// The status function's code (`templates/status_function.py`), embedded.
pub fn status_code() -> &'static str {
    static CODE: OnceLock<String> = OnceLock::new();
    CODE.get_or_init(|| embed(include_str!("../../templates/status_function.py")))
}

/// The notification function's code (`templates/notify_function.py`), embedded.
pub fn notify_code() -> &'static str {
    static CODE: OnceLock<String> = OnceLock::new();
    CODE.get_or_init(|| embed(include_str!("../../templates/notify_function.py")))
}

/// The counting function's code (`templates/count_function.py`), embedded.
pub fn count_code() -> &'static str {
    static CODE: OnceLock<String> = OnceLock::new();
    CODE.get_or_init(|| embed(include_str!("../../templates/count_function.py")))
}

/// Python source without its module docstring, one-line docstrings, comment lines, trailing comments (`  # `, as
/// ruff formats them) and blank lines, with each four spaces of indentation made one. It holds for the code
/// ruff formats in `templates/`, which has no multi-line strings past the module docstring and no `  # ` inside a
/// string (the tests run the result).
pub fn embed(source: &str) -> String {
    let mut lines = source.lines().peekable();
    if let Some(first) = lines.peek()
        && first.starts_with("\"\"\"")
    {
        let one_line = first.len() > 6 && first.ends_with("\"\"\"");
        if !one_line {
            lines.next();
            while lines
                .next()
                .is_some_and(|l| !l.trim_end().ends_with("\"\"\""))
            {}
        } else {
            lines.next();
        }
    }
    let mut out = String::new();
    for line in lines {
        let code = line.find("  # ").map_or(line, |at| &line[..at]).trim_end();
        let text = code.trim_start_matches(' ');
        let docstring = text.len() >= 6 && text.starts_with("\"\"\"") && text.ends_with("\"\"\"");
        if text.is_empty() || text.starts_with('#') || docstring {
            continue;
        }
        let indent = code.len() - text.len();
        out.extend(std::iter::repeat_n(' ', indent / 4 + indent % 4));
        out.push_str(text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_fits_inline() {
        for (name, code) in [
            ("status", status_code()),
            ("notify", notify_code()),
            ("count", count_code()),
        ] {
            assert!(
                code.chars().count() <= MAX_INLINE_CODE,
                "{name}: {} characters",
                code.chars().count()
            );
            assert!(!code.contains("\"\"\"") && !code.contains("  # "), "{name}");
        }
    }

    #[test]
    fn strips_docstrings_comments_and_indentation() {
        let source = "\"\"\"Module.\n\nMore.\n\"\"\"\n\nimport os\n\n# why\n\n\ndef f(x):\n    \"\"\"Doc.\"\"\"\n    if x:  # because\n        return \"a#b\"\n    return 1\n";
        assert_eq!(
            embed(source),
            "import os\ndef f(x):\n if x:\n  return \"a#b\"\n return 1\n"
        );
    }
}
