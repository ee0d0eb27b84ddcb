//! A Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: counts by
//! severity, then a table of findings with links to the file and line, then the files that
//! could not be read. Paths are relative to the repository root. Links point at the commit on
//! GitHub when the Actions variables say where (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`,
//! `GITHUB_SHA`), else at the path in the repository.

use crate::rules::Severity;
use crate::run::Outcome;

/// Text from the input in a table cell: no line breaks, no `|` that would end the cell, no
/// HTML, and no `@` that would mention someone in a pull-request comment.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("&#64;"),
            '`' => out.push_str("&#96;"),
            '[' | ']' | '*' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Where a link to `path` at `line` points.
pub fn link(path: &str, line: usize) -> String {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let path_enc = super::uri_path(path);
    match (
        env("GITHUB_SERVER_URL"),
        env("GITHUB_REPOSITORY"),
        env("GITHUB_SHA"),
    ) {
        (Some(server), Some(repo), Some(sha)) => {
            format!("{server}/{repo}/blob/{sha}/{path_enc}#L{line}")
        }
        _ => format!("{path_enc}#L{line}"),
    }
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "🔴",
        Severity::High => "🟠",
        Severity::Medium => "🟡",
        Severity::Low => "🔵",
        Severity::Info => "⚪",
    }
}

pub fn check(o: &Outcome) -> String {
    let mut out = String::from("## iamlint\n\n");
    let sevs = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    if o.findings.is_empty() {
        out.push_str(&format!("No findings in {} roles.", o.roles.len()));
    } else {
        let counts: Vec<String> = sevs
            .iter()
            .filter_map(|s| {
                let n = o.findings.iter().filter(|f| f.severity == *s).count();
                (n > 0).then(|| format!("{} {n} {}", icon(*s), s.as_str()))
            })
            .collect();
        out.push_str(&format!(
            "**{} finding{}** in {} roles: {}.",
            o.findings.len(),
            if o.findings.len() == 1 { "" } else { "s" },
            o.roles.len(),
            counts.join(", ")
        ));
    }
    if o.baselined > 0 {
        out.push_str(&format!(" {} in the baseline.", o.baselined));
    }
    if let Some(d) = &o.diff {
        out.push_str(&format!(
            " Compared with `{}`: {} finding{} already there, not shown.",
            cell(&d.reference),
            d.existing,
            if d.existing == 1 { " was" } else { "s were" }
        ));
    }
    if !o.suppressed.is_empty() {
        out.push_str(&format!(" {} suppressed inline.", o.suppressed.len()));
    }
    out.push_str("\n\n");
    if !o.findings.is_empty() {
        out.push_str("| severity | rule | where | resource | finding |\n|---|---|---|---|---|\n");
        let mut sorted: Vec<&crate::rules::engine::Finding> = o.findings.iter().collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in sorted {
            let (line, _, _, _) = super::position(&o.sources, f);
            let path = o.repo_path(f.span.file);
            out.push_str(&format!(
                "| {} {} | {} | [{}:{line}]({}) | {} | {} |\n",
                icon(f.severity),
                f.severity.as_str(),
                cell(&f.rule),
                cell(&path),
                link(&path, line),
                cell(&f.resource),
                cell(&f.message)
            ));
        }
        out.push('\n');
    }
    if let Some(d) = &o.diff {
        out.push_str(&trust_changes(d));
    }
    if !o.errors.is_empty() {
        out.push_str("### Files that could not be read\n\n");
        for e in &o.errors {
            let path = o.repo_path_of(&e.file);
            out.push_str(&format!(
                "- [{}:{}]({}): {}\n",
                cell(&path),
                e.line,
                link(&path, e.line),
                cell(&e.message)
            ));
        }
        out.push('\n');
    }
    out
}

/// The trust changes of `--diff`: a table, then a Mermaid graph of the edges that are new or
/// let more callers in.
pub fn trust_changes(d: &crate::diff::DiffInfo) -> String {
    let mut out = format!("### Trust changes since `{}`\n\n", cell(&d.reference));
    if d.trusts.is_empty() {
        out.push_str("No trust relationship was added, widened, narrowed or removed.\n\n");
        out.push_str(&gate_changes(d));
        return out;
    }
    out.push_str("| change | role | principal | what changed |\n|---|---|---|---|\n");
    for c in &d.trusts {
        let mut what = if c.guards.is_empty() {
            c.edge.guards.labels().join(", ")
        } else {
            c.guards
                .iter()
                .map(|g| g.describe())
                .collect::<Vec<_>>()
                .join("; ")
        };
        if let Some(at) = &c.approved_in_change {
            if !what.is_empty() {
                what.push_str("; ");
            }
            what.push_str(&format!("approved in this change ({at})"));
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.kind.as_str(),
            cell(&c.edge.role),
            cell(&c.edge.principal.describe()),
            cell(&what)
        ));
    }
    let grown: Vec<crate::trusts::edges::Edge> = d
        .trusts
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                crate::diff::TrustChangeKind::Added | crate::diff::TrustChangeKind::Widened
            )
        })
        .map(|c| c.edge.clone())
        .collect();
    if !grown.is_empty() {
        out.push_str("\nNew or widened trust relationships:\n\n```mermaid\n");
        out.push_str(&crate::trusts::graph::mermaid(&grown));
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("```\n");
    }
    out.push('\n');
    out.push_str(&gate_changes(d));
    out
}

/// The approval files, configs and baseline that the change edited, with the approval entries
/// it added, changed or removed. Empty when none changed.
fn gate_changes(d: &crate::diff::DiffInfo) -> String {
    if d.gate.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "### Approval and configuration files changed since `{}`\n\n",
        cell(&d.reference)
    );
    for g in &d.gate {
        out.push_str(&format!("- {} ({})\n", cell(&g.file), g.change));
        for a in &g.approvals {
            out.push_str(&format!("  - line {}: {}\n", a.line, cell(&a.describe())));
        }
    }
    out.push('\n');
    out
}
