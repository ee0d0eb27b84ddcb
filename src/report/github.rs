//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line a finding, which
//! GitHub shows as an annotation on the pull request's diff. Works without code scanning.

use crate::rules::Severity;
use crate::run::Outcome;

/// Escapes data for a workflow command (`%`, CR, LF) and, in properties, `:` and `,`; any
/// other control character from the input is written as `\u{..}` so that nothing from the
/// input reaches the log raw.
fn escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

pub fn check(o: &Outcome) -> String {
    let mut out = String::new();
    for f in &o.findings {
        let (line, column, end_line, end_column) = super::position(&o.sources, f);
        let cmd = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "notice",
        };
        out.push_str(&format!(
            "::{cmd} file={},line={line},col={column},endLine={end_line},endColumn={end_column},title={}::{}\n",
            escape(&o.repo_path(f.span.file), true),
            escape(&format!("{} {} ({})", f.rule, f.title, f.severity.as_str()), true),
            escape(&f.message, false)
        ));
    }
    for e in &o.errors {
        out.push_str(&format!(
            "::error file={},line={},col={},title=iamlint: cannot read file::{}\n",
            escape(&o.repo_path_of(&e.file), true),
            e.line,
            e.column,
            escape(&e.message, false)
        ));
    }
    out.push_str(&diff_annotations(o));
    out.push_str(&super::human::summary(o));
    out
}

/// With `--diff`: each trust relationship the change adds or widens as a warning on the line
/// of its principal, each narrowed or removed one as a notice, and each approval file, config
/// or baseline the change edited as a notice on that file, so a reviewer sees them on the pull
/// request's diff without opening the job summary.
fn diff_annotations(o: &Outcome) -> String {
    use crate::diff::TrustChangeKind as K;
    let Some(d) = &o.diff else {
        return String::new();
    };
    let mut out = String::new();
    for c in &d.trusts {
        let (cmd, title) = match c.kind {
            K::Added => ("warning", "iamlint: new trust relationship"),
            K::Widened => ("warning", "iamlint: trust relationship widened"),
            K::Narrowed => ("notice", "iamlint: trust relationship narrowed"),
            K::Removed => ("notice", "iamlint: trust relationship removed"),
        };
        let mut text = c.describe();
        if let Some(at) = &c.approved_in_change {
            text.push_str(&format!("; approved in this change ({at})"));
        }
        // A removed trust's line is in the tree as it was at the ref: no place in the change.
        let place = if c.kind == K::Removed {
            String::new()
        } else {
            format!(
                "file={},line={},",
                escape(&o.repo_path_of(&c.edge.file), true),
                c.edge.line
            )
        };
        out.push_str(&format!(
            "::{cmd} {place}title={}::{}\n",
            escape(title, true),
            escape(&text, false)
        ));
    }
    for g in &d.gate {
        let mut text = format!("{} ({}) since {}", g.file, g.change, d.reference);
        for a in &g.approvals {
            text.push_str(&format!("\n{} (line {})", a.describe(), a.line));
        }
        let place = if g.change == "removed" {
            String::new()
        } else {
            format!("file={},", escape(&g.file, true))
        };
        out.push_str(&format!(
            "::notice {place}title={}::{}\n",
            escape("iamlint: approval or configuration file changed", true),
            escape(&text, false)
        ));
    }
    out
}
