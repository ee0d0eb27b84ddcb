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

/// How a trust relationship changed between the ref and the working tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrustChangeKind {
    /// A principal that could not assume the role before can now.
    Added,
    /// A guard was removed or admits more (ExternalId dropped, `sub` widened).
    Widened,
    /// A guard was added or admits less.
    Narrowed,
    /// The principal can no longer assume the role.
    Removed,
}

impl TrustChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TrustChangeKind::Added => "added",
            TrustChangeKind::Widened => "widened",
            TrustChangeKind::Narrowed => "narrowed",
            TrustChangeKind::Removed => "removed",
        }
    }
}

/// One changed trust relationship: the edge as it is now (as it was, for a removed one) and
/// what changed in its guards.
#[derive(Clone, Debug)]
pub struct TrustChange {
    pub kind: TrustChangeKind,
    pub edge: crate::trusts::edges::Edge,
    pub guards: Vec<crate::trusts::approvals::GuardChange>,
}

impl TrustChange {
    /// One sentence: `aws_iam_role.payments can now be assumed by 999988887777 (unknown
    /// account)`, `... : sub widened from ... to ...`.
    pub fn describe(&self) -> String {
        let e = &self.edge;
        let who = e.principal.describe();
        let root = if e.root == "." || e.root.is_empty() {
            String::new()
        } else {
            format!("{}: ", e.root)
        };
        match self.kind {
            TrustChangeKind::Added => format!("{root}{} can now be assumed by {who}", e.role),
            TrustChangeKind::Removed => {
                format!("{root}{} can no longer be assumed by {who}", e.role)
            }
            TrustChangeKind::Widened | TrustChangeKind::Narrowed => format!(
                "{root}{} trusts {who} with {}",
                e.role,
                self.guards
                    .iter()
                    .map(|g| g.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// The trust relationships added, widened, narrowed and removed from `base` to `head`, matched
/// by edge identity (root, role, principal: no line numbers), in a stable order.
pub fn compare_trusts(
    base: &[crate::trusts::edges::Edge],
    head: &[crate::trusts::edges::Edge],
) -> Vec<TrustChange> {
    use crate::trusts::approvals::compare_guards;
    use std::collections::BTreeMap;
    let before: BTreeMap<_, _> = base.iter().map(|e| (e.key(), e)).collect();
    let after: BTreeMap<_, _> = head.iter().map(|e| (e.key(), e)).collect();
    let mut out = Vec::new();
    for (k, e) in &after {
        match before.get(k) {
            None => out.push(TrustChange {
                kind: TrustChangeKind::Added,
                edge: (*e).clone(),
                guards: Vec::new(),
            }),
            Some(old) => {
                let changes = compare_guards(&old.guards, &e.guards);
                if changes.is_empty() {
                    continue;
                }
                let kind = if changes.iter().any(|c| c.change.weakens()) {
                    TrustChangeKind::Widened
                } else {
                    TrustChangeKind::Narrowed
                };
                out.push(TrustChange {
                    kind,
                    edge: (*e).clone(),
                    guards: changes,
                });
            }
        }
    }
    for (k, e) in &before {
        if !after.contains_key(k) {
            out.push(TrustChange {
                kind: TrustChangeKind::Removed,
                edge: (*e).clone(),
                guards: Vec::new(),
            });
        }
    }
    out.sort_by_key(|c| (c.kind, c.edge.key()));
    out
}

/// What `--diff` found: the ref, how many findings it already had, and the trust changes.
#[derive(Clone, Debug)]
pub struct DiffInfo {
    pub reference: String,
    pub existing: usize,
    pub trusts: Vec<TrustChange>,
}

/// Runs the check on the tree at `reference` with the same options and keeps, in `outcome`,
/// only the findings the working tree adds; records the trust relationships that changed.
pub fn against(
    reference: &str,
    opts: &crate::run::Options,
    config: &crate::config::Config,
    rules: &[crate::rules::Rule],
    outcome: &mut crate::run::Outcome,
) -> Result<(), String> {
    use crate::source::TfVarArg;
    let near = opts
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let snap = snapshot(&near, reference)?;
    let mut base_opts = opts.clone();
    base_opts.paths = opts.paths.iter().map(|p| snap.map(p)).collect();
    base_opts.root = Some(snap.tree());
    for arg in &mut base_opts.resolve.tf_var_args {
        if let TfVarArg::File(f) = arg {
            *f = snap.map(f);
        }
    }
    for f in &mut base_opts.resolve.cfn_parameter_files {
        *f = snap.map(f);
    }
    // A path that did not exist at the ref has nothing to compare with.
    base_opts.paths.retain(|p| p.exists());
    let head_edges = crate::trusts::edges::edges(&outcome.roles, &outcome.sources, config);
    let (existing, base_edges) = if base_opts.paths.is_empty() {
        (0, Vec::new())
    } else {
        let base = crate::run::check(&base_opts, config, rules)
            .map_err(|e| format!("--diff {reference}: {e}"))?;
        let existing = new_findings(&mut outcome.findings, &base.findings);
        let mut edges = crate::trusts::edges::edges(&base.roles, &base.sources, config);
        // Removed edges point into the snapshot: show them by their repository path.
        for e in &mut edges {
            e.file = format!("{} (at {reference})", base.repo_path(e.span.file));
        }
        (existing, edges)
    };
    outcome.diff = Some(DiffInfo {
        reference: reference.to_string(),
        existing,
        trusts: compare_trusts(&base_edges, &head_edges),
    });
    Ok(())
}
