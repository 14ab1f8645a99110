//! Reading the config and writing outputs: atomic writes, file names as the user typed them, shell quoting.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use presence_stack::config;

use super::{DEFAULT_CONFIG, Failure};

/// Read the config as UTF-8 text, naming it as the user did; `-` is standard input.
pub(super) fn read_config(path: &Path) -> Result<(String, String), Failure> {
    let limit = config::MAX_CONFIG_BYTES as u64 + 1;
    let (name, bytes) = if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("<stdin>: cannot read standard input: {e}"))?;
        ("<stdin>".to_owned(), bytes)
    } else {
        let name = path.display().to_string();
        let hint = if path == Path::new(DEFAULT_CONFIG) {
            " (no config given, so the default was tried; pass the config file, e.g. `presence-stack synth examples/presence.yaml`)"
        } else {
            ""
        };
        let meta = fs::metadata(path)
            .map_err(|e| format!("{name}: cannot read the config: {}{hint}", io_reason(&e)))?;
        if meta.is_dir() {
            return Err(Failure(vec![format!(
                "{name}: is a directory; give the config file inside it"
            )]));
        }
        let mut bytes = Vec::new();
        fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| format!("{name}: cannot read the config: {}", io_reason(&e)))?;
        (name, bytes)
    };
    if bytes.len() as u64 >= limit {
        return Err(Failure(vec![format!(
            "{name}: the file is larger than {} bytes; a config is a few kilobytes: is this the right file?",
            config::MAX_CONFIG_BYTES
        )]));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        format!(
            "{name}: is not UTF-8 text (line {line}, column {column}); save the config as UTF-8"
        )
    })?;
    Ok((name, text))
}

pub(super) fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Write `bytes` to `path` so that readers see the old file or the new one, never half of one: a temporary file
/// in the same folder, renamed over the target. Things that are not regular files (a device, a FIFO,
/// `/dev/stdout`) cannot be replaced by a rename; they are written in place.
pub(super) fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let name = path.display().to_string();
    let fail = |what: &str, e: io::Error| {
        Failure(vec![format!("{name}: cannot {what}: {}", io_reason(&e))])
    };
    if let Ok(meta) = fs::metadata(path) {
        if meta.is_dir() {
            return Err(Failure(vec![format!(
                "{name}: is a directory; give a file name for the template"
            )]));
        }
        if !meta.is_file() {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| fail("open it", e))?;
            return f
                .write_all(bytes)
                .and_then(|()| f.flush())
                .map_err(|e| fail("write the template", e));
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".presence-stack-")
        .tempfile_in(dir)
        .map_err(|e| fail(&format!("create a file in {}", dir.display()), e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| fail("write the template", e))?;
    // Keep the permissions of the file being replaced, as an editor would.
    if let Ok(meta) = fs::metadata(path) {
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    } else {
        set_default_permissions(tmp.path());
    }
    tmp.persist(path).map_err(|e| fail("replace it", e.error))?;
    Ok(())
}

/// tempfile creates files readable by the owner only; a template is no secret, so give it the usual mode.
#[cfg(unix)]
fn set_default_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o644));
}

#[cfg(not(unix))]
fn set_default_permissions(_: &Path) {}

/// Quote a path for a shell when it needs it.
pub(super) fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
