//! Finds the files to read. Directory walks honour .gitignore (and skip hidden directories such
//! as `.terraform` and `.git`); explicit files are always read. Files are classified by name and,
//! for JSON and YAML, by content: Terraform (`.tf`, `.tf.json`), Terraform plan JSON, and
//! CloudFormation candidates (the CloudFormation loader decides by content whether a YAML or
//! JSON file is a template; everything else is ignored quietly).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::source::read::{Access, read_prefix};

/// What the walk found, grouped by loader.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Directories holding `.tf` or `.tf.json` files (each is a Terraform module).
    pub terraform_dirs: BTreeSet<PathBuf>,
    /// Terraform plan JSON files.
    pub terraform_plans: Vec<PathBuf>,
    /// YAML, JSON and `.template` files that may be CloudFormation templates.
    pub cloudformation: Vec<PathBuf>,
    /// The files named on the command line, when any were: findings are limited to them.
    pub explicit_files: Vec<PathBuf>,
    /// Symbolic links to directories outside the repository: not walked, reported.
    pub failures: Vec<crate::source::LoadFailure>,
}

/// A path as shown to the user: relative to the current directory when under it, with `/`
/// separators.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    // `../sub/main.tf` seen from `sub` (a walk from the repository root) is `main.tf`.
    let folded = cwd
        .as_ref()
        .filter(|_| {
            path.is_relative()
                && path
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
        })
        .map(|c| normalize(&c.join(path)))
        .filter(|p| cwd.as_ref().is_some_and(|c| p.starts_with(c)));
    let path = folded.as_deref().unwrap_or(path);
    let rel = cwd
        .as_ref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    // `a/./b` (a path joined from `${path.module}/./x`) is shown as `a/b`.
    let clean: PathBuf = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let shown = clean.to_string_lossy().replace('\\', "/");
    if shown.is_empty() {
        ".".to_string()
    } else {
        shown
    }
}

/// `path` relative to the repository `root`, lexically normalised (no `.` or `..` parts), with
/// `/` separators; `.` for the root itself. Both are made absolute from the current directory
/// first. A path outside the root keeps its normalised absolute form. Used for identities
/// (fingerprints, the approval file), which must not depend on the current directory.
pub fn repo_relative(root: &Path, path: &Path) -> String {
    let root = normalize(&absolute(root));
    let path = normalize(&absolute(path));
    let rel = path.strip_prefix(&root).unwrap_or(&path);
    let s = rel.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_path_buf(), |c| c.join(p))
    }
}

/// Lexical normalisation: drops `.` parts and folds `a/..` (without touching the disk).
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Compiles exclude globs. A glob without a `/` matches at any depth (`**/GLOB`), as in
/// .gitignore; a glob that matches a directory excludes everything under it.
pub fn exclude_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let g = g.trim_end_matches('/');
        let pats = if g.contains('/') {
            vec![g.trim_start_matches("./").to_string()]
        } else {
            vec![format!("**/{g}"), g.to_string()]
        };
        for p in pats {
            for p in [p.clone(), format!("{p}/**")] {
                b.add(Glob::new(&p).map_err(|e| format!("invalid exclude glob `{g}`: {e}"))?);
            }
        }
    }
    b.build().map_err(|e| e.to_string())
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".tf") || name.ends_with(".tf.json") {
        Some(Kind::Terraform)
    } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
        None
    } else if name.ends_with(".json") {
        Some(Kind::Json)
    } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".template") {
        Some(Kind::Cfn)
    } else {
        None
    }
}

enum Kind {
    Terraform,
    Json,
    Cfn,
}

/// True when the JSON text looks like `terraform show -json` output of a plan.
pub fn looks_like_plan(text: &str) -> bool {
    let mut cut = text.len().min(4096);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &text[..cut];
    head.contains("\"format_version\"")
        && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
        && text.contains("\"terraform_version\"")
}

/// Walks `paths`. `excludes` match paths relative to the walked directory (or the file as given).
/// A symbolic link to a directory is walked (as Terraform, run in it, reads it) when it resolves
/// inside the repository `repo` and is not a loop; one that leaves the repository is an error.
pub fn discover(paths: &[PathBuf], excludes: &GlobSet, repo: &Path) -> Result<Discovered, String> {
    let mut out = Discovered::default();
    let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|e| format!("{}: {e}", display_path(root)))?;
        if meta.is_file() {
            if excludes.is_match(root) || excludes.is_match(display_path(root)) {
                continue;
            }
            out.explicit_files.push(root.clone());
            if kind_of(root).is_none() {
                sniff_named(root, &mut out);
            } else {
                classify(root, &Access::Named, &mut out);
            }
            continue;
        }
        let mut visited = std::collections::HashSet::new();
        if let Ok(c) = root.canonicalize() {
            visited.insert(c);
        }
        walk(root, root, &repo, excludes, &mut visited, &mut out);
    }
    Ok(out)
}

/// Walks `dir` (the walk root `root`, or a linked directory under it).
fn walk(
    dir: &Path,
    root: &Path,
    repo: &Path,
    excludes: &GlobSet,
    visited: &mut std::collections::HashSet<PathBuf>,
    out: &mut Discovered,
) {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .build();
    // Links to directories are followed after the walk, so that one whose target the walk
    // reaches anyway (`envs/prod/shared -> ../../shared`) is not read twice as two roots.
    let mut links = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(_) => continue,
        };
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_dir() {
            if let Ok(c) = entry.path().canonicalize() {
                visited.insert(c);
            }
            continue;
        }
        let p = entry.path();
        let rel = p.strip_prefix(root).unwrap_or(p);
        if excludes.is_match(rel) {
            continue;
        }
        if ft.is_symlink() && std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
            links.push(p.to_path_buf());
        } else if ft.is_file() {
            classify(p, &Access::Inside(root), out);
        } else if matches!(kind_of(p), Some(Kind::Terraform)) {
            // A linked or special `.tf` file makes its directory a module, as in Terraform;
            // the module loader's guarded read reports it when it is outside the root or
            // not a regular file.
            classify(p, &Access::Inside(root), out);
        } else if ft.is_symlink() && read_prefix(p, Access::Inside(root), 1).is_ok() {
            // A linked YAML or JSON file is read when it resolves to a regular file inside
            // the walked directory; other links and special files are not candidates.
            classify(p, &Access::Inside(root), out);
        }
    }
    for link in links {
        linked_dir(&link, root, repo, excludes, visited, out);
    }
}

/// A symbolic link to a directory found by the walk. Inside the repository it is walked under
/// its own name (a role in `prod -> .templates/prod` is where Terraform creates it), once per
/// target, never when the walk reached the target anyway (it is checked where it is), and
/// never when it points at one of its own ancestors (a loop). Outside the
/// repository it is an error naming the link: its files may hold roles that are not checked.
fn linked_dir(
    link: &Path,
    root: &Path,
    repo: &Path,
    excludes: &GlobSet,
    visited: &mut std::collections::HashSet<PathBuf>,
    out: &mut Discovered,
) {
    let Ok(target) = link.canonicalize() else {
        return;
    };
    if !target.starts_with(repo) {
        out.failures.push(crate::source::LoadFailure {
            display: display_path(link),
            error: crate::span::LoadError::OutsideRoot,
        });
        return;
    }
    let is_loop = link
        .parent()
        .and_then(|d| d.canonicalize().ok())
        .is_some_and(|d| d.starts_with(&target));
    if is_loop || !visited.insert(target) {
        return;
    }
    walk(link, root, repo, excludes, visited, out);
}

/// A file named on the command line whose name says nothing of its format (`terraform show
/// -json plan.out > tfplan`, `stack.cfn`: no extension, or `.cfn`, `.cf`, `.plan`, `.tfplan`,
/// `.out`) is read by content: a plan, or a CloudFormation template when a line starts with
/// its top-level keys. Other names (a README, source code that pre-commit passes) are not
/// sniffed, so they never turn into parse errors.
fn sniff_named(p: &Path, out: &mut Discovered) {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let sniffable = match name.rsplit_once('.') {
        None => true,
        Some((stem, ext)) => {
            stem.is_empty() || matches!(ext, "cfn" | "cf" | "plan" | "tfplan" | "out")
        }
    };
    if !sniffable {
        return;
    }
    let Ok(buf) = read_prefix(p, Access::Named, 1 << 20) else {
        return;
    };
    let text = String::from_utf8_lossy(&buf);
    let template_key = |l: &str| {
        let l = l.trim_start_matches('{').trim_start_matches('"');
        l.starts_with("AWSTemplateFormatVersion") || l.starts_with("Resources")
    };
    if looks_like_plan(&text) {
        out.terraform_plans.push(p.to_path_buf());
    } else if text.contains("AWS::") && text.lines().any(template_key) {
        out.cloudformation.push(p.to_path_buf());
    }
}

fn classify(p: &Path, access: &Access<'_>, out: &mut Discovered) {
    match kind_of(p) {
        Some(Kind::Terraform) => {
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            out.terraform_dirs.insert(dir);
        }
        Some(Kind::Json) => {
            // Sniff the start only; the loaders read the whole file once.
            let is_plan = read_prefix(p, *access, 1 << 20)
                .is_ok_and(|buf| looks_like_plan(&String::from_utf8_lossy(&buf)));
            if is_plan {
                out.terraform_plans.push(p.to_path_buf());
            } else {
                out.cloudformation.push(p.to_path_buf());
            }
        }
        Some(Kind::Cfn) => out.cloudformation.push(p.to_path_buf()),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_sniffing_cuts_on_a_character_boundary() {
        // A multibyte character straddles byte 4096.
        let mut text = String::from("{\"format_version\": \"1.2\", \"x\": \"");
        while text.len() < 4095 {
            text.push('a');
        }
        text.push('é');
        text.push_str("\", \"planned_values\": {}, \"terraform_version\": \"1.9\"}");
        assert!(looks_like_plan(&text));
        assert!(!looks_like_plan("é"));
    }
}
