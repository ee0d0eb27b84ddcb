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
    out.push_str(&super::human::summary(o));
    out
}
