//! JUnit XML, which GitLab, Jenkins, Azure DevOps and most CI dashboards read: one test case a
//! finding (failed), grouped by file, one error case a file that could not be read, and a
//! passing case for every rule without a finding (a report with no test case at all is
//! rejected by some dashboards).

use crate::rules::Rule;
use crate::run::Outcome;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Line breaks from the code are kept as references, so that no name from the code
            // starts a line of the report (a `::command::` in a CI log) and attributes keep
            // them instead of normalising them to spaces.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // XML 1.0 cannot carry most control characters (nor U+FFFE, U+FFFF), even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            '\u{fffe}' | '\u{ffff}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

pub fn check(o: &Outcome, rules: &[Rule]) -> String {
    let mut files: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in &o.findings {
        let file = o.repo_path(f.span.file);
        let (line, column, _, _) = super::position(&o.sources, f);
        files.entry(file.clone()).or_default().push(format!(
            "    <testcase name=\"{} {}\" classname=\"{}\" file=\"{}\" line=\"{line}\">\n      <failure type=\"{}\" message=\"{}\">{}:{line}:{column}: {}</failure>\n    </testcase>\n",
            esc(&f.rule),
            esc(&f.resource),
            esc(&file),
            esc(&file),
            esc(f.severity.as_str()),
            esc(&f.message),
            esc(&file),
            esc(&f.title),
        ));
    }
    for e in &o.errors {
        let file = o.repo_path_of(&e.file);
        files.entry(file.clone()).or_default().push(format!(
            "    <testcase name=\"parse\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <error message=\"{}\">{}:{}:{}</error>\n    </testcase>\n",
            esc(&file),
            esc(&file),
            e.line,
            esc(&e.message),
            esc(&file),
            e.line,
            e.column,
        ));
    }
    let passed: Vec<String> = rules
        .iter()
        .filter(|r| !o.findings.iter().any(|f| f.rule == r.id))
        .map(|r| {
            format!(
                "    <testcase name=\"{} {}\" classname=\"iamlint.rules\"/>\n",
                esc(&r.id),
                esc(&r.title)
            )
        })
        .collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"iamlint\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
        o.findings.len() + o.errors.len() + passed.len(),
        o.findings.len(),
        o.errors.len()
    ));
    if !passed.is_empty() {
        out.push_str(&format!(
            "  <testsuite name=\"rules without findings\" tests=\"{}\" failures=\"0\" errors=\"0\">\n",
            passed.len()
        ));
        for c in &passed {
            out.push_str(c);
        }
        out.push_str("  </testsuite>\n");
    }
    for (file, cases) in &files {
        let errors = cases.iter().filter(|c| c.contains("<error ")).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\">\n",
            esc(file),
            cases.len(),
            cases.len() - errors
        ));
        for c in cases {
            out.push_str(c);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
