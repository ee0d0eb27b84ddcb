//! `--diff REF`: what a change adds. The tree at the git ref is read from the repository's own
//! objects (offline, with the `git` command) into a temporary directory, checked the same way
//! as the working tree, and compared by finding identity (which holds no line numbers), so a
//! pull-request check reports only the findings the change brings in.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A checked-out copy of a ref, removed when dropped.
pub struct Snapshot {
    /// The temporary directory; the tree is its `tree/` subdirectory.
    dir: PathBuf,
    /// The repository's top level, which the tree stands in for.
    pub top: PathBuf,
}

impl Snapshot {
    pub fn tree(&self) -> PathBuf {
        self.dir.join("tree")
    }

    /// `path` (as given, relative to the current directory or absolute) in the snapshot.
    pub fn map(&self, path: &Path) -> PathBuf {
        let abs = crate::discover::normalize(&if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|c| c.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        });
        match abs.strip_prefix(&self.top) {
            Ok(rel) => self.tree().join(rel),
            Err(_) => path.to_path_buf(),
        }
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn git(dir: &Path, args: &[&str], index: Option<&Path>) -> Result<String, String> {
    let mut c = Command::new("git");
    c.current_dir(dir).args(args);
    if let Some(i) = index {
        c.env("GIT_INDEX_FILE", i);
    }
    let out = c
        .output()
        .map_err(|e| format!("--diff needs the git command: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Checks out `reference` of the repository that holds `near` into a temporary directory.
pub fn snapshot(near: &Path, reference: &str) -> Result<Snapshot, String> {
    let start = if near.is_dir() {
        near.to_path_buf()
    } else {
        near.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let top = git(&start, &["rev-parse", "--show-toplevel"], None).map_err(|_| {
        format!(
            "--diff {reference}: {} is not in a git repository",
            start.display()
        )
    })?;
    let top = PathBuf::from(top);
    let top = top.canonicalize().unwrap_or(top);
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
        None,
    )
    .ok()
    .filter(|c| !c.is_empty())
    .ok_or_else(|| {
        format!(
            "--diff {reference}: no such commit, branch or tag in {}",
            top.display()
        )
    })?;
    let dir = std::env::temp_dir().join(format!(
        "iamlint-diff-{}-{}",
        std::process::id(),
        &commit[..commit.len().min(12)]
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tree"))
        .map_err(|e| format!("--diff: cannot create {}: {e}", dir.display()))?;
    let snap = Snapshot { dir, top };
    let index = snap.dir.join("index");
    git(&snap.top, &["read-tree", &commit], Some(&index))
        .map_err(|e| format!("--diff {reference}: {e}"))?;
    let prefix = format!("{}/", snap.tree().display());
    git(
        &snap.top,
        &[
            "checkout-index",
            "--all",
            "--force",
            &format!("--prefix={prefix}"),
        ],
        Some(&index),
    )
    .map_err(|e| format!("--diff {reference}: {e}"))?;
    // The snapshot is a repository root of its own for the run.
    std::fs::create_dir_all(snap.tree().join(".git"))
        .map_err(|e| format!("--diff: cannot prepare the snapshot: {e}"))?;
    Ok(snap)
}

/// The identities of findings, without the `#n` that tells equal ones apart (a change that adds
/// a second equal finding is compared by count, see [`new_findings`]).
fn base_key(fp: &str) -> &str {
    match fp.rsplit_once('#') {
        Some((k, n)) if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => k,
        _ => fp,
    }
}

/// Keeps the findings of `head` that `base` does not have; returns how many were dropped.
pub fn new_findings(
    head: &mut Vec<crate::rules::engine::Finding>,
    base: &[crate::rules::engine::Finding],
) -> usize {
    let known: HashSet<&str> = base.iter().map(|f| f.fingerprint.as_str()).collect();
    let known_base: HashSet<&str> = base.iter().map(|f| base_key(&f.fingerprint)).collect();
    let before = head.len();
    head.retain(|f| {
        !(known.contains(f.fingerprint.as_str())
            || (f.fingerprint == base_key(&f.fingerprint)
                && known_base.contains(f.fingerprint.as_str())))
    });
    before - head.len()
}
