//! Trust relationships as data (DESIGN.md, "The gate's integrity"): one [`edges::Edge`] per
//! (role, principal) with its guards, derived from the IAM model. The inventory
//! (`iamlint trusts`), the graph, the approval file (`iam-trusts.yaml`), `iamlint init` and
//! `--diff` are views and comparisons of that edge list.
//!
//! - [`edges`]: the edge list and its guards;
//! - [`pattern`]: IAM wildcard containment, to tell a widened guard from a narrowed one;
//! - [`approvals`]: the approval file, written, read and compared;
//! - [`graph`] and [`render`]: DOT, Mermaid, table, Markdown and JSON;
//! - [`init_config`]: the commented `.iamlint.yaml` that `iamlint init` writes.

pub mod approvals;
pub mod edges;
pub mod graph;
pub mod pattern;
pub mod render;

use std::path::Path;

use crate::config::Config;
use crate::iam::model::Role;
use crate::source::{Notice, SourceError};
use crate::span::SourceMap;

/// The roots of every role of a run, sorted and deduplicated.
pub fn evaluated_roots(roles: &[Role]) -> Vec<String> {
    let mut v: Vec<String> = roles.iter().map(|r| r.root.clone()).collect();
    v.sort();
    v.dedup();
    v
}

/// The findings-to-be of the approval file, when it exists: `repo` is the repository root
/// (where roles' roots start). Reads the file into `sources` so that findings on its entries
/// have a place. A `partial` run (files named on the command line) has only some roles: it
/// reports their new and weakened trusts, not stale or expired entries.
pub fn approval_notices(
    sources: &SourceMap,
    roles: &[Role],
    config: &Config,
    repo: &Path,
    partial: bool,
) -> Result<Vec<Notice>, SourceError> {
    approval_notices_at(
        sources,
        roles,
        config,
        &config.trusts_path(repo),
        repo,
        partial,
    )
}

/// [`approval_notices`] against the approval file at `path` (the one these roles answer to:
/// see `run::approval_files`).
pub fn approval_notices_at(
    sources: &SourceMap,
    roles: &[Role],
    config: &Config,
    path: &Path,
    repo: &Path,
    partial: bool,
) -> Result<Vec<Notice>, SourceError> {
    let Some(entries) = approvals::load(path, sources, repo)? else {
        return Ok(Vec::new());
    };
    let edges = edges::edges(roles, sources, config);
    let name = path.file_name().map_or_else(
        || crate::config::TRUSTS_FILE.to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut notices = approvals::compare(
        &edges,
        &entries,
        &evaluated_roots(roles),
        repo,
        &approvals::today(),
        &name,
    );
    if partial {
        notices.retain(|n| n.kind == approvals::NOT_APPROVED || n.kind == approvals::WEAKER);
    }
    Ok(notices)
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The `.iamlint.yaml` that `iamlint init` writes: every account and organization the code
/// trusts today as commented suggestions (named where they are known vendors), and the
/// approval file's place.
pub fn init_config(edges: &[edges::Edge]) -> String {
    let mut s = String::from(
        "# iamlint configuration, written by `iamlint init` from the trusts in the code today.\n\
         # See README.md, \"Approving trusts\".\n\
         #\n\
         # `trusted_accounts` approves an account for every role in the repository. Uncomment the\n\
         # accounts you trust that widely (your own other accounts); leave the others to be\n\
         # approved role by role in iam-trusts.yaml (`iamlint trusts --write`).\n",
    );
    let accounts = edges::accounts(edges);
    if accounts.is_empty() {
        s.push_str("#\n# No role in the code trusts another account today.\n");
    } else {
        s.push_str("#\n# trusted_accounts:\n");
        for (id, name, roles) in &accounts {
            let what = match name {
                Some(n) => format!("known vendor {n}"),
                None => "unknown account".to_string(),
            };
            s.push_str(&format!(
                "#   {}: {}  # {what}; trusted by {}\n",
                yaml_str(id),
                yaml_str(name.as_deref().unwrap_or("")),
                one_line(&roles.join(", "))
            ));
        }
    }
    let orgs = edges::organizations(edges);
    if orgs.is_empty() {
        s.push_str("#\n# No trust condition names an AWS Organization today.\n");
    } else {
        s.push_str("#\n# trusted_organizations:\n");
        for (id, roles) in &orgs {
            s.push_str(&format!(
                "#   - {}  # required by {}\n",
                yaml_str(id),
                one_line(&roles.join(", "))
            ));
        }
    }
    s.push_str(
        "\n# The approved trust relationships (iamlint trusts --write), relative to this file.\n\
         trusts_file: iam-trusts.yaml\n",
    );
    s
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
