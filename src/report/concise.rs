//! One line a finding, `file:line:col: RULE severity message`, as ruff and tflint print it:
//! easy to grep, and editors jump to the place. Errors follow as `file:line:col: error message`.

use crate::run::Outcome;

/// Control characters from the input (a role name with a newline or an escape sequence) are
/// written escaped, so that one finding is always one line.
fn one_line(s: &str) -> String {
    super::escape_controls(s).into_owned()
}

pub fn check(o: &Outcome) -> String {
    let mut out = String::new();
    for f in &o.findings {
        let (line, column, _, _) = super::position(&o.sources, f);
        out.push_str(&one_line(&format!(
            "{}:{line}:{column}: {} {} {}",
            o.sources.display(f.span.file),
            f.rule,
            f.severity.as_str(),
            f.message
        )));
        out.push('\n');
    }
    for e in &o.errors {
        out.push_str(&one_line(&format!(
            "{}:{}:{}: error {}",
            e.file, e.line, e.column, e.message
        )));
        out.push('\n');
    }
    out
}
