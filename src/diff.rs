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
    /// The commit the ref names.
    pub commit: String,
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
    let snap = Snapshot { dir, top, commit };
    let index = snap.dir.join("index");
    git(&snap.top, &["read-tree", &snap.commit], Some(&index))
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
    /// For an added or widened trust: the approval-file entry (`file:line`) that approves it
    /// and that the same change added or altered.
    pub approved_in_change: Option<String>,
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
                approved_in_change: None,
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
                    approved_in_change: None,
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
                approved_in_change: None,
            });
        }
    }
    out.sort_by_key(|c| (c.kind, c.edge.key()));
    out
}

/// A file that steers the gate (a `.iamlint.yaml`, an approval file, the baseline) that the
/// change added, modified or removed. A pull request that edits them changes what the gate
/// lets through as surely as one that edits a trust policy, so `--diff` shows them; for an
/// approval file, entry by entry.
#[derive(Clone, Debug)]
pub struct GateChange {
    /// Relative to the repository root.
    pub file: String,
    /// `added`, `modified` or `removed`.
    pub change: &'static str,
    /// For an approval file: the entries added, changed (guards or `expires`) or removed.
    pub approvals: Vec<ApprovalChange>,
}

/// One entry of an approval file that the change added, changed or removed.
#[derive(Clone, Debug)]
pub struct ApprovalChange {
    /// `added`, `changed` or `removed`.
    pub change: &'static str,
    pub entry: crate::trusts::approvals::Entry,
    /// The entry's line in the file (as it was at the ref, for a removed one).
    pub line: usize,
}

impl ApprovalChange {
    /// `+ approves aws_iam_role.b for AWS arn:aws:iam::999988887777:root [ExternalId]`.
    pub fn describe(&self) -> String {
        let e = &self.entry;
        let (mark, verb) = match self.change {
            "added" => ('+', "approves"),
            "removed" => ('-', "no longer approves"),
            _ => ('!', "changes the approval of"),
        };
        let guards = e.guards.labels();
        let mut s = format!(
            "{mark} {verb} {} for {} {}",
            e.role, e.principal_type, e.principal
        );
        if e.root != "." && !e.root.is_empty() {
            s = format!("{s} in {}", e.root);
        }
        if !guards.is_empty() {
            s.push_str(&format!(" [{}]", guards.join(", ")));
        }
        if let Some(x) = &e.human.expires {
            s.push_str(&format!(" until {x}"));
        }
        s
    }
}

/// What `--diff` found: the ref, how many findings it already had, the trust changes, and the
/// files steering the gate that changed.
#[derive(Clone, Debug)]
pub struct DiffInfo {
    pub reference: String,
    pub existing: usize,
    pub trusts: Vec<TrustChange>,
    pub gate: Vec<GateChange>,
}

/// The configuration the ref is checked with: the same config file as it was at the ref (a
/// change that edits `.iamlint.yaml` is compared with the tree as it was configured before),
/// or the given one when it lies outside the repository.
fn base_config(
    config: &crate::config::Config,
    snap: &Snapshot,
) -> Result<crate::config::Config, String> {
    let at_ref = match &config.path {
        Some(p) => {
            let mapped = snap.map(p);
            if mapped == *p {
                return Ok(config.clone());
            }
            mapped
        }
        None => snap.tree().join(crate::config::CONFIG_FILE),
    };
    if !at_ref.is_file() {
        return Ok(crate::config::Config::default());
    }
    let mut c = crate::config::load_found(&at_ref, &snap.tree()).map_err(|e| e.to_string())?;
    c.path = Some(at_ref);
    Ok(c)
}

/// `path` relative to the repository's top level `top`, when it is inside it.
fn top_relative(top: &Path, path: &Path) -> Option<String> {
    let abs = path.canonicalize().unwrap_or_else(|_| {
        crate::discover::normalize(&if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|c| c.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        })
    });
    abs.strip_prefix(top)
        .ok()
        .map(|r| r.to_string_lossy().replace('\\', "/"))
        .filter(|r| !r.is_empty())
}

/// The files steering the gate that differ between the ref and the working tree (untracked
/// ones included): every `.iamlint.yaml` and `iam-trusts.yaml`, the configured approval files
/// (`approval_files`, compared entry by entry) and `others` (the baseline).
fn gate_changes(
    snap: &Snapshot,
    approval_files: &[PathBuf],
    others: &[PathBuf],
) -> Result<Vec<GateChange>, String> {
    let mut specs: Vec<String> = vec![
        format!(":(glob)**/{}", crate::config::CONFIG_FILE),
        format!(":(glob)**/{}", crate::config::TRUSTS_FILE),
    ];
    let approvals_rel: Vec<String> = approval_files
        .iter()
        .filter_map(|p| top_relative(&snap.top, p))
        .collect();
    for rel in approvals_rel
        .iter()
        .cloned()
        .chain(others.iter().filter_map(|p| top_relative(&snap.top, p)))
    {
        specs.push(format!(":(literal){rel}"));
    }
    let mut args: Vec<String> = vec![
        "diff".into(),
        "--name-status".into(),
        "--no-renames".into(),
        snap.commit.clone(),
        "--".into(),
    ];
    args.extend(specs.iter().cloned());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let listed = git(&snap.top, &argv, None).map_err(|e| format!("--diff: {e}"))?;
    let mut files: std::collections::BTreeMap<String, &'static str> = Default::default();
    for line in listed.lines() {
        let Some((status, path)) = line.split_once('\t') else {
            continue;
        };
        let change = match status.chars().next() {
            Some('A') => "added",
            Some('D') => "removed",
            _ => "modified",
        };
        files.insert(path.to_string(), change);
    }
    let mut args: Vec<String> = vec![
        "ls-files".into(),
        "--others".into(),
        "--exclude-standard".into(),
        "--".into(),
    ];
    args.extend(specs);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let untracked = git(&snap.top, &argv, None).map_err(|e| format!("--diff: {e}"))?;
    for path in untracked.lines().filter(|l| !l.is_empty()) {
        files.insert(path.to_string(), "added");
    }
    let mut out = Vec::new();
    for (file, change) in files {
        let is_approvals = file.rsplit('/').next() == Some(crate::config::TRUSTS_FILE)
            || approvals_rel.contains(&file);
        let approvals = if is_approvals {
            approval_changes(snap, &file)
        } else {
            Vec::new()
        };
        out.push(GateChange {
            file,
            change,
            approvals,
        });
    }
    Ok(out)
}

/// The entries of an approval file added, changed (guards or `expires`) or removed between the
/// ref's copy `base` and the working tree's `head`. A file that does not parse lists nothing
/// here (the check reports it).
fn approval_changes(snap: &Snapshot, file: &str) -> Vec<ApprovalChange> {
    use crate::trusts::approvals::{Entry, load};
    let base = snap.tree().join(file);
    let head = snap.top.join(file);
    let entries = |p: &Path, repo: &Path| -> Vec<(Entry, usize)> {
        let sources = crate::span::SourceMap::default();
        let Ok(Some(list)) = load(p, &sources, repo) else {
            return Vec::new();
        };
        list.into_iter()
            .map(|e| {
                let line = sources.range(e.span).map_or(1, |(s, _)| s.line);
                (e, line)
            })
            .collect()
    };
    let key = |e: &Entry| {
        (
            e.root.clone(),
            e.role.clone(),
            e.principal_type.clone(),
            e.principal.clone(),
        )
    };
    let before = entries(&base, &snap.tree());
    let after = entries(&head, &snap.top);
    let mut out = Vec::new();
    for (e, line) in &after {
        match before.iter().find(|(b, _)| key(b) == key(e)) {
            None => out.push(ApprovalChange {
                change: "added",
                entry: e.clone(),
                line: *line,
            }),
            Some((b, _)) if b.guards != e.guards || b.human.expires != e.human.expires => {
                out.push(ApprovalChange {
                    change: "changed",
                    entry: e.clone(),
                    line: *line,
                })
            }
            Some(_) => {}
        }
    }
    for (b, line) in &before {
        if !after.iter().any(|(e, _)| key(e) == key(b)) {
            out.push(ApprovalChange {
                change: "removed",
                entry: b.clone(),
                line: *line,
            });
        }
    }
    out
}

/// The text of `path` (in the working tree of a git repository) as it is at `reference`;
/// `Ok(None)` when the file is outside the repository or did not exist there.
pub fn file_at(reference: &str, path: &Path) -> Result<Option<String>, String> {
    let snap_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let Ok(top) = git(&snap_dir, &["rev-parse", "--show-toplevel"], None) else {
        return Ok(None);
    };
    let top = PathBuf::from(top);
    let top = top.canonicalize().unwrap_or(top);
    let Some(rel) = top_relative(&top, path) else {
        return Ok(None);
    };
    let object = format!("{reference}:{rel}");
    if git(&top, &["cat-file", "-e", &object], None).is_err() {
        return Ok(None);
    }
    git(&top, &["show", &object], None)
        .map(Some)
        .map_err(|e| format!("--diff {reference}: {e}"))
}

/// Runs the check on the tree at `reference` with the same options (and the configuration as
/// it was at the ref) and keeps, in `outcome`, only the findings the working tree adds; records
/// the trust relationships that changed and the files steering the gate that changed
/// (`gate_files`: the baseline, when one is given).
pub fn against(
    reference: &str,
    opts: &crate::run::Options,
    config: &crate::config::Config,
    rules: &[crate::rules::Rule],
    outcome: &mut crate::run::Outcome,
    gate_files: &[PathBuf],
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
    let base_config = base_config(config, &snap)?;
    let head_edges = crate::trusts::edges::edges(&outcome.roles, &outcome.sources, config);
    let (existing, base_edges) = if base_opts.paths.is_empty() {
        (0, Vec::new())
    } else {
        let base = crate::run::check(&base_opts, &base_config, rules)
            .map_err(|e| format!("--diff {reference}: {e}"))?;
        let existing = new_findings(&mut outcome.findings, &base.findings);
        let mut edges = crate::trusts::edges::edges(&base.roles, &base.sources, &base_config);
        // Removed edges point into the snapshot: show them by their repository path.
        for e in &mut edges {
            e.file = format!("{} (at {reference})", base.repo_path(e.span.file));
        }
        (existing, edges)
    };
    // Every approval file the working tree's roles answer to (nested `trusts_file`s too), and
    // the ref's top one, mapped back to the working tree.
    let mut approval_files: Vec<PathBuf> =
        crate::run::approval_files(outcome, config, opts.per_file_config)
            .into_keys()
            .collect();
    let at_ref = base_config.trusts_path(&snap.tree());
    approval_files.push(match at_ref.strip_prefix(snap.tree()) {
        Ok(r) => snap.top.join(r),
        Err(_) => at_ref.clone(),
    });
    // The baseline, and the rule directories of the config (a weakened custom rule is a
    // change to the gate as well).
    let mut others: Vec<PathBuf> = gate_files.to_vec();
    others.extend(config.rules_dirs.iter().cloned());
    others.extend(base_config.rules_dirs.iter().map(|d| {
        d.strip_prefix(snap.tree())
            .map_or_else(|_| d.clone(), |r| snap.top.join(r))
    }));
    let gate = gate_changes(&snap, &approval_files, &others)?;
    let mut trusts = compare_trusts(&base_edges, &head_edges);
    // An added or widened trust whose approval the same change wrote says so.
    for c in &mut trusts {
        if !matches!(c.kind, TrustChangeKind::Added | TrustChangeKind::Widened) {
            continue;
        }
        c.approved_in_change = gate.iter().find_map(|g| {
            g.approvals
                .iter()
                .filter(|a| a.change != "removed")
                .find(|a| a.entry.matches(&c.edge))
                .map(|a| format!("{}:{}", g.file, a.line))
        });
    }
    outcome.diff = Some(DiffInfo {
        reference: reference.to_string(),
        existing,
        trusts,
        gate,
    });
    Ok(())
}
