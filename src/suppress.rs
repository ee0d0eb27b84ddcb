//! Inline suppressions. A comment `iamlint:ignore RULE[,RULE...] -- reason` (or
//! `iamlint:ignore RULE reason`) on the finding's line or on the line above silences that rule
//! there. `#`, `//` and `/* */` comments work, so the same form serves Terraform and YAML. A
//! suppression without a reason does not count: the point is to record why.

use crate::rules::engine::Finding;
use crate::span::SourceMap;

const MARK: &str = "iamlint:ignore";

/// The rule ids and the reason of a suppression comment on `line`, when there is one with a
/// reason.
pub fn parse_line(line: &str) -> Option<(Vec<String>, String)> {
    let i = line.find(MARK)?;
    let before = &line[..i];
    if !(before.contains('#') || before.contains("//") || before.contains("/*")) {
        return None;
    }
    let rest = line[i + MARK.len()..].trim_start();
    let rest = rest.trim_end_matches("*/").trim();
    let (ids, reason) = match rest.split_once(char::is_whitespace) {
        Some((ids, reason)) => (ids, reason.trim().trim_start_matches("--").trim()),
        None => (rest, ""),
    };
    if reason.is_empty() || ids.is_empty() {
        return None;
    }
    let ids = ids
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some((ids, reason.to_string()))
}

/// True when a suppression comment covers the finding.
pub fn is_suppressed(sources: &SourceMap, f: &Finding) -> bool {
    let Some(file) = sources.get(f.span.file) else {
        return false;
    };
    let line = file.line_col(f.span.start as usize).line;
    let text = &file.text;
    [line, line.saturating_sub(1)]
        .into_iter()
        .filter(|l| *l >= 1)
        .any(|l| {
            let start = file.line_start(l);
            let end = file.line_start(l + 1).min(text.len());
            let Some(src) = text.get(start..end) else {
                return false;
            };
            parse_line(src).is_some_and(|(ids, _)| ids.iter().any(|i| i == &f.rule || i == "all"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_comment_and_a_reason() {
        assert_eq!(
            parse_line("  # iamlint:ignore IAM002 -- vendor approved in SEC-12"),
            Some((vec!["IAM002".into()], "vendor approved in SEC-12".into()))
        );
        assert_eq!(
            parse_line("// iamlint:ignore IAM002,IAM003 approved"),
            Some((vec!["IAM002".into(), "IAM003".into()], "approved".into()))
        );
        assert_eq!(parse_line("# iamlint:ignore IAM002"), None);
        assert_eq!(parse_line("name = \"iamlint:ignore IAM002 x\""), None);
    }
}
