//! The one door through which file contents are read. Every file the loaders read that the user
//! did not name on the command line (module files, tfvars and `*.auto.tfvars(.json)`,
//! `.terraform/modules/modules.json`, `file()` and `templatefile()` targets, nested templates,
//! CDK manifests and their templates, the files a directory walk sniffs) comes through
//! [`read`] with [`Access::Inside`]: its path, symlinks resolved, must lie under the repository
//! root; it must be a regular file (a FIFO, a device, a socket or a directory is refused before
//! it is opened, and the open itself never blocks); and at most [`MAX_FILE_BYTES`] are read, by a
//! bounded reader, whatever the file claims its size is. A refused file is a [`LoadError`] that
//! names the reason, never its content.
//!
//! Files named on the command line (`--var-file`, `--parameters`, `--config`, `--baseline`) are
//! the user's own choice: [`Access::Named`] reads them from anywhere (a `<(...)` pipe included),
//! still bounded.

use std::io::Read;
use std::path::Path;

use crate::span::{LoadError, MAX_FILE_BYTES};

/// Where a read may go.
#[derive(Clone, Copy, Debug)]
pub enum Access<'a> {
    /// Found by the tool: a regular file under this (canonical) root.
    Inside(&'a Path),
    /// Named by the user: any readable file, bounded.
    Named,
}

/// Reads the bytes of `path` through the guard.
pub fn read(path: &Path, access: Access<'_>) -> Result<Vec<u8>, LoadError> {
    read_at_most(path, access, MAX_FILE_BYTES)
}

/// Reads at most `limit` bytes; a longer file is [`LoadError::TooLarge`].
fn read_at_most(path: &Path, access: Access<'_>, limit: u64) -> Result<Vec<u8>, LoadError> {
    let file = open(path, access)?;
    if let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.len() > limit
    {
        return Err(LoadError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The first `limit` bytes of a file (for sniffing its kind), through the same guard; a longer
/// file is cut, not refused.
pub fn read_prefix(path: &Path, access: Access<'_>, limit: u64) -> Result<Vec<u8>, LoadError> {
    let file = open(path, access)?;
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::Io(e.to_string()))?;
    Ok(bytes)
}

/// The regular files under the directory `dir` (at any depth), as paths relative to it with `/`
/// separators, for Terraform's `fileset()`: `dir` must lie under `root`, symlinks resolved, and
/// so must every file listed (a link leaving the root, a FIFO or a device is left out, as
/// `fileset` lists regular files only). Linked directories are not entered (no loops); at most
/// `limit` files are listed, `10 * limit` entries looked at and `max_depth` levels walked: past
/// any, an error. A `dir` that does not exist lists nothing, as in Terraform. No file is opened.
pub fn list_files(
    dir: &Path,
    root: &Path,
    limit: usize,
    max_depth: usize,
) -> Result<Vec<String>, LoadError> {
    let io = |e: std::io::Error| LoadError::Io(e.to_string());
    let root = root.canonicalize().map_err(io)?;
    let real = match dir.canonicalize() {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    if !real.starts_with(&root) {
        return Err(LoadError::OutsideRoot);
    }
    if !real.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    // Directories without files count too: at most ten entries of any kind per file allowed.
    let mut seen = 0usize;
    let mut stack = vec![(real, String::new(), 0usize)];
    while let Some((path, rel, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&path).map_err(io)?;
        for entry in entries {
            let entry = entry.map_err(io)?;
            seen += 1;
            if seen > limit.saturating_mul(10) {
                return Err(LoadError::Io(format!(
                    "more than {} entries under the directory",
                    limit.saturating_mul(10)
                )));
            }
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let child_rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type().map_err(io)?;
            if kind.is_dir() {
                if depth + 1 > max_depth {
                    return Err(LoadError::Io(format!(
                        "more than {max_depth} levels of directories"
                    )));
                }
                stack.push((entry.path(), child_rel, depth + 1));
                continue;
            }
            // A regular file, or a link to one inside the root.
            let Ok(target) = entry.path().canonicalize() else {
                continue;
            };
            if !target.starts_with(&root) || !std::fs::metadata(&target).is_ok_and(|m| m.is_file())
            {
                continue;
            }
            out.push(child_rel);
            if out.len() > limit {
                return Err(LoadError::Io(format!("more than {limit} files")));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Opens `path` after the checks of `access`.
fn open(path: &Path, access: Access<'_>) -> Result<std::fs::File, LoadError> {
    let Access::Inside(root) = access else {
        return std::fs::File::open(path).map_err(|e| LoadError::Io(e.to_string()));
    };
    let io = |e: std::io::Error| LoadError::Io(e.to_string());
    let real = path.canonicalize().map_err(io)?;
    let root = root.canonicalize().map_err(io)?;
    if !real.starts_with(&root) {
        return Err(LoadError::OutsideRoot);
    }
    // The type is checked before opening, so a FIFO is never opened (opening one blocks until a
    // writer comes).
    let meta = std::fs::metadata(&real).map_err(io)?;
    if !meta.is_file() {
        return Err(LoadError::NotRegular(kind_name(&meta)));
    }
    let file = open_nonblocking(&real).map_err(io)?;
    // The file may have been swapped between the check and the open: check what was opened.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(LoadError::NotRegular(kind_name(&meta)));
    }
    Ok(file)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn kind_name(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reader_stops_at_the_limit() {
        // /dev/zero claims a size of 0 and never ends.
        let r = read_at_most(Path::new("/dev/zero"), Access::Named, 1024);
        assert_eq!(r, Err(LoadError::TooLarge(1025)));
    }

    #[test]
    fn devices_and_outside_paths_are_refused() {
        let r = read(Path::new("/dev/null"), Access::Inside(Path::new("/dev")));
        assert_eq!(r, Err(LoadError::NotRegular("a character device")));
        let r = read(Path::new("/dev/null"), Access::Inside(Path::new("/tmp")));
        assert_eq!(r, Err(LoadError::OutsideRoot));
    }

    #[cfg(unix)]
    #[test]
    fn listing_keeps_to_regular_files_inside_the_root_and_is_bounded() {
        let outer = tempfile::tempdir().expect("tempdir");
        let root = outer.path().join("repo");
        let dir = root.join("policies");
        std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
        std::fs::write(dir.join("a.json"), "{}").expect("write");
        std::fs::write(dir.join("sub/b.json"), "{}").expect("write");
        std::fs::write(outer.path().join("secret.json"), "{}").expect("write");
        std::os::unix::fs::symlink(outer.path().join("secret.json"), dir.join("out.json"))
            .expect("link");
        std::os::unix::fs::symlink(dir.join("a.json"), dir.join("in.json")).expect("link");
        std::os::unix::fs::symlink(&dir, dir.join("sub/loop")).expect("link");
        let fifo =
            std::ffi::CString::new(dir.join("pipe").to_string_lossy().as_bytes()).expect("path");
        // SAFETY: mkfifo reads a NUL-terminated path and touches nothing else.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let files = list_files(&dir, &root, 100, 8).expect("list");
        assert_eq!(files, ["a.json", "in.json", "sub/b.json"]);
        assert_eq!(
            list_files(outer.path(), &root, 100, 8),
            Err(LoadError::OutsideRoot)
        );
        assert_eq!(
            list_files(&root.join("nope"), &root, 100, 8),
            Ok(Vec::new())
        );
        assert!(list_files(&dir, &root, 1, 8).is_err());
        assert!(list_files(&dir, &root, 100, 0).is_err());
    }
}
