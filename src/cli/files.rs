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
            " (no config given, so the default was tried; name the config file, or write a starter with `presence-stack init`)"
        } else {
            ""
        };
        let meta = fs::metadata(path)
            .map_err(|e| format!("{name}: cannot read the config: {}{hint}", io_reason(&e)))?;
        if meta.is_dir() {
            return Err(Failure::error(format!(
                "{name}: is a directory; give the config file inside it"
            )));
        }
        let mut bytes = Vec::new();
        fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| format!("{name}: cannot read the config: {}", io_reason(&e)))?;
        (name, bytes)
    };
    if bytes.len() as u64 >= limit {
        return Err(Failure::error(format!(
            "{name}: the file is larger than {} bytes; a config is a few kilobytes: is this the right file?",
            config::MAX_CONFIG_BYTES
        )));
    }
    let text = presence_stack::decode(&name, &bytes)?.to_owned();
    Ok((name, text))
}

pub(super) fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Write the template to `path`, as [`write_file`] does.
pub(super) fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    write_file(path, bytes, "the template")
}

/// Write `bytes` (`what`, for messages: "the template") to `path` so that readers see the old file or the new
/// one, never half of one: a temporary file in the same folder, renamed over the target. Things that are not
/// regular files (a device, a FIFO, `/dev/stdout`) cannot be replaced by a rename; they are written in place.
pub(super) fn write_file(path: &Path, bytes: &[u8], what: &str) -> Result<(), Failure> {
    let name = path.display().to_string();
    let fail = |what: &str, e: io::Error| {
        Failure::error(format!("{name}: cannot {what}: {}", io_reason(&e)))
    };
    if let Ok(meta) = fs::metadata(path) {
        if meta.is_dir() {
            return Err(Failure::error(format!(
                "{name}: is a directory; give a file name for {what}"
            )));
        }
        if !meta.is_file() {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| fail("open it", e))?;
            return f
                .write_all(bytes)
                .and_then(|()| f.flush())
                .map_err(|e| fail(&format!("write {what}"), e));
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
        .map_err(|e| fail(&format!("write {what}"), e))?;
    // Keep the permissions of the file being replaced, as an editor would.
    if let Ok(meta) = fs::metadata(path) {
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    } else {
        set_default_permissions(tmp.path());
    }
    tmp.persist(path).map_err(|e| fail("replace it", e.error))?;
    Ok(())
}

/// Refuse an output that is the config being read: the same path, or the same file through a symlink or a hard
/// link. Writing the template there would replace the user's config.
pub(super) fn refuse_config_as_output(config: &Path, output: &Path) -> Result<(), Failure> {
    if is_the_config(config, output) {
        let shown = if config == Path::new("-") {
            "standard input".to_owned()
        } else {
            config.display().to_string()
        };
        return Err(Failure::error(format!(
            "{}: is the config being read ({shown}), and writing there would replace it; \
             write the template to another file, e.g. `-o template.yaml`",
            output.display()
        )));
    }
    Ok(())
}

/// Refuse an output that is one of the files being read (`what`: "the config", "the items"): writing `what_out`
/// there would replace it.
pub(super) fn refuse_input_as_output(
    input: &Path,
    output: &Path,
    what: &str,
    what_out: &str,
) -> Result<(), Failure> {
    if is_the_config(input, output) {
        return Err(Failure::error(format!(
            "{}: is {what} being read, and writing {what_out} there would replace it; write it to another file",
            output.display()
        )));
    }
    Ok(())
}

/// Whether the regular file `output` is `config` (`-`: whatever standard input reads). Devices and FIFOs are
/// left out: `/dev/stdin` and `/dev/stdout` are often the same terminal, and neither is a file to lose.
fn is_the_config(config: &Path, output: &Path) -> bool {
    let Ok(out) = fs::metadata(output) else {
        return false;
    };
    if !out.is_file() {
        return false;
    }
    if config == Path::new("-") {
        return stdin_metadata().is_some_and(|input| same_file(&input, &out, config, output));
    }
    fs::metadata(config).is_ok_and(|input| same_file(&input, &out, config, output))
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata, _: &Path, _: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata, a: &Path, b: &Path) -> bool {
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
}

/// What standard input is, when it can be known (`< prod.yaml` makes it a regular file).
#[cfg(unix)]
fn stdin_metadata() -> Option<fs::Metadata> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    fs::File::from(fd).metadata().ok()
}

#[cfg(not(unix))]
fn stdin_metadata() -> Option<fs::Metadata> {
    None
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

/// A data input the user named: standard input for `-`, else the file; a directory is refused with what to give
/// instead. `what` names what it holds in messages ("events", "items"); `instead` completes "give ...".
pub(super) fn open_input(
    path: &Path,
    what: &str,
    instead: &str,
) -> Result<(String, Box<dyn io::BufRead>), Failure> {
    const BUFFER: usize = 1 << 18;
    if path == Path::new("-") {
        let stdin = io::BufReader::with_capacity(BUFFER, io::stdin().lock());
        return Ok(("<stdin>".to_owned(), Box::new(stdin)));
    }
    let name = path.display().to_string();
    // Opening a directory works on unix; only its first read would fail, with an error about line 1.
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(Failure::error(format!(
            "{name}: is a directory; give {instead}"
        )));
    }
    let file = fs::File::open(path)
        .map_err(|e| format!("{name}: cannot read the {what}: {}", io_reason(&e)))?;
    Ok((name, Box::new(io::BufReader::with_capacity(BUFFER, file))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_recognised_by_path_symlink_and_hard_link() {
        let dir = tempfile::TempDir::new().unwrap();
        let config = dir.path().join("prod.yaml");
        fs::write(&config, "pipelines: [{name: presence}]\n").unwrap();
        let other = dir.path().join("template.yaml");
        fs::write(&other, "").unwrap();
        assert!(is_the_config(&config, &config));
        assert!(is_the_config(
            &config,
            &dir.path().join(".").join("prod.yaml")
        ));
        assert!(!is_the_config(&config, &other), "another file");
        assert!(
            !is_the_config(&config, &dir.path().join("new.yaml")),
            "a file yet to be"
        );
        assert!(!is_the_config(&config, dir.path()), "a folder");
        let hard = dir.path().join("hard.yaml");
        fs::hard_link(&config, &hard).unwrap();
        assert!(is_the_config(&config, &hard));
        #[cfg(unix)]
        {
            let soft = dir.path().join("soft.yaml");
            std::os::unix::fs::symlink(&config, &soft).unwrap();
            assert!(is_the_config(&config, &soft));
            assert!(is_the_config(&soft, &config));
        }
        assert!(refuse_config_as_output(&config, &other).is_ok());
        assert!(refuse_config_as_output(&config, &hard).is_err());
    }
}
