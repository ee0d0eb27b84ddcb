//! Inline suppressions: what silences a finding, gathered once per file by the loaders, and
//! the filter stage that applies them.
//!
//! Only structure the parsers saw may suppress, never data:
//! - a real comment (an HCL comment outside every string and heredoc, a YAML comment as our YAML
//!   reader reports it) holding `iamlint:ignore RULE[,RULE...] -- reason`;
//! - a CloudFormation resource's `Metadata: {iamlint: {ignore: [{rule: ID, reason: ...}]}}`;
//! - Terraform JSON's `"//"` comment property of a resource block.
//!
//! A comment at the end of a line covers that line. A comment on its own line covers the next
//! line that is not a comment (so stacked comments combine); when that line starts a resource
//! (an HCL `resource` block, a CloudFormation resource) the whole resource is covered. A blank
//! line ends a stack. Suppressions without a reason silence nothing and are reported
//! (`suppression-without-reason`), and so are suppressions that silenced nothing
//! (`suppression-unused`), as notices for the IAM901 and IAM902 rules.

use std::collections::HashMap;

use crate::rules::engine::Finding;
use crate::source::Notice;
use crate::span::{FileId, SourceFile, SourceMap, Span};

const MARK: &str = "iamlint:ignore";

/// What a suppression covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Findings that start on this 1-based line of the file.
    Line(FileId, usize),
    /// Findings that start inside this span (a resource).
    Span(Span),
    /// Nothing (a comment followed by a blank line or the end of the file).
    Nothing,
}

/// One suppression: where it is written, the rules it names (`all` for every rule), its reason
/// and what it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub span: Span,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub target: Target,
    /// The resource it is written on, when known.
    pub address: String,
}

/// A finding that a suppression silenced, with the reasons.
#[derive(Clone, Debug)]
pub struct Suppressed {
    pub finding: Finding,
    pub reasons: Vec<String>,
}

/// Parses the text of a comment (without its `#`, `//` or `/* */`): the rule ids and the
/// reason after `--` (or after the ids), or `None` when it holds no marker.
pub fn parse_marker(comment: &str) -> Option<(Vec<String>, Option<String>)> {
    let i = comment.find(MARK)?;
    let rest = comment[i + MARK.len()..].trim_start();
    let rest = rest.trim_end().trim_end_matches("*/").trim();
    let (ids, reason) = match rest.split_once(char::is_whitespace) {
        Some((ids, reason)) => (ids, reason.trim().trim_start_matches("--").trim()),
        None => (rest, ""),
    };
    let ids = ids
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let reason = (!reason.is_empty()).then(|| reason.to_string());
    Some((ids, reason))
}

/// A comment as a parser saw it: its byte range (from `#`, `//` or `/*`) and its text.
#[derive(Clone, Debug)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The suppressions of one file's comments. `blocks` are the spans (and addresses) of the
/// resources of the file, so that a comment above one covers it. Runs once per file, in time
/// linear in the number of comments plus the lines they stand on.
pub fn from_comments(
    file: &SourceFile,
    id: FileId,
    comments: &[Comment],
    blocks: &[(Span, String)],
) -> Vec<Suppression> {
    let mut comments: Vec<&Comment> = comments.iter().collect();
    comments.sort_by_key(|c| c.start);
    let by_start: HashMap<usize, usize> = comments
        .iter()
        .enumerate()
        .map(|(i, c)| (c.start, i))
        .collect();
    let block_at_line: HashMap<usize, &(Span, String)> = blocks
        .iter()
        .map(|b| (file.line_col(b.0.start as usize).line, b))
        .collect();
    let text = &*file.text;
    // The first non-blank byte of a line, or None for a blank line or past the end.
    let first_non_blank = |line: usize| -> Option<usize> {
        let range = file.line_range(line.checked_sub(1)?)?;
        let s = text.get(range.clone())?;
        s.find(|c: char| !c.is_whitespace())
            .map(|i| range.start + i)
    };
    // What a comment on its own line stands above, computed from the last comment back so that
    // a stack is walked once.
    let mut above: Vec<Option<Target>> = vec![None; comments.len()];
    for i in (0..comments.len()).rev() {
        let c = comments[i];
        let end_line = file.line_col(c.end.saturating_sub(1).max(c.start)).line;
        let next = end_line + 1;
        let target = if next > file.line_count() {
            Target::Nothing
        } else {
            match first_non_blank(next) {
                None => Target::Nothing,
                Some(off) => match by_start.get(&off) {
                    Some(j) if *j > i => above[*j].clone().unwrap_or(Target::Nothing),
                    _ => match block_at_line.get(&next) {
                        Some((span, _)) => Target::Span(*span),
                        None => Target::Line(id, next),
                    },
                },
            }
        };
        above[i] = Some(target);
    }
    let mut out = Vec::new();
    for (i, c) in comments.iter().enumerate() {
        let Some((rules, reason)) = parse_marker(&c.text) else {
            continue;
        };
        let line = file.line_col(c.start).line;
        let own_line = first_non_blank(line) == Some(c.start);
        let target = if own_line {
            above[i].clone().unwrap_or(Target::Nothing)
        } else {
            Target::Line(id, line)
        };
        let address = match &target {
            Target::Span(s) => blocks
                .iter()
                .find(|b| b.0 == *s)
                .map(|b| b.1.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        out.push(Suppression {
            span: Span::new(id, c.start, c.end),
            rules,
            reason,
            target,
            address,
        });
    }
    out
}

/// Applies `suppressions` to `findings`: returns the kept findings, the suppressed ones with
/// their reasons, and the notices for suppressions without a reason or that matched nothing.
/// Each finding costs a hash lookup and a binary search, whatever the length of its line.
pub fn apply(
    sources: &SourceMap,
    suppressions: &[Suppression],
    findings: Vec<Finding>,
) -> (Vec<Finding>, Vec<Suppressed>, Vec<Notice>) {
    let mut by_line: HashMap<(FileId, usize), Vec<usize>> = HashMap::new();
    let mut by_span: HashMap<FileId, Vec<(Span, usize)>> = HashMap::new();
    for (i, s) in suppressions.iter().enumerate() {
        if s.reason.is_none() {
            continue;
        }
        match s.target {
            Target::Line(f, l) => by_line.entry((f, l)).or_default().push(i),
            Target::Span(span) => by_span.entry(span.file).or_default().push((span, i)),
            Target::Nothing => {}
        }
    }
    for v in by_span.values_mut() {
        v.sort();
    }
    let mut used = vec![false; suppressions.len()];
    let mut kept = Vec::with_capacity(findings.len());
    let mut silenced = Vec::new();
    let mut files: HashMap<FileId, Option<std::sync::Arc<SourceFile>>> = HashMap::new();
    for f in findings {
        let file = files
            .entry(f.span.file)
            .or_insert_with(|| sources.get(f.span.file))
            .clone();
        let mut hits: Vec<usize> = Vec::new();
        if let Some(file) = file {
            let line = file.line_col(f.span.start as usize).line;
            if let Some(v) = by_line.get(&(f.span.file, line)) {
                hits.extend(v);
            }
        }
        if let Some(v) = by_span.get(&f.span.file) {
            // Resources do not overlap: the covering ones start at the last start at or before
            // the finding.
            let at = v.partition_point(|(s, _)| s.start <= f.span.start);
            if let Some((last, _)) = at.checked_sub(1).and_then(|i| v.get(i)) {
                let start = last.start;
                hits.extend(
                    v[..at]
                        .iter()
                        .rev()
                        .take_while(|(s, _)| s.start == start)
                        .filter(|(s, _)| f.span.start < s.end.max(s.start + 1))
                        .map(|(_, i)| *i),
                );
            }
        }
        let matching: Vec<usize> = hits
            .into_iter()
            .filter(|i| {
                suppressions[*i]
                    .rules
                    .iter()
                    .any(|r| r == &f.rule || r == "all")
            })
            .collect();
        if matching.is_empty() {
            kept.push(f);
            continue;
        }
        let mut reasons = Vec::new();
        for i in matching {
            used[i] = true;
            if let Some(r) = &suppressions[i].reason
                && !reasons.contains(r)
            {
                reasons.push(r.clone());
            }
        }
        silenced.push(Suppressed {
            finding: f,
            reasons,
        });
    }
    let mut notices = Vec::new();
    for (i, s) in suppressions.iter().enumerate() {
        let rules = if s.rules.is_empty() {
            "no rule".to_string()
        } else {
            s.rules.join(", ")
        };
        if s.reason.is_none() {
            notices.push(Notice {
                kind: "suppression-without-reason".into(),
                span: s.span,
                address: s.address.clone(),
                message: format!(
                    "the suppression of {rules} gives no reason, so it silences nothing; add one after `--`"
                ),
            });
        } else if !used[i] {
            let why = match s.target {
                Target::Nothing => " (it stands above a blank line or nothing)",
                _ => "",
            };
            notices.push(Notice {
                kind: "suppression-unused".into(),
                span: s.span,
                address: s.address.clone(),
                message: format!("the suppression of {rules} matches no finding{why}"),
            });
        }
    }
    (kept, silenced, notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_with_and_without_reason() {
        assert_eq!(
            parse_marker(" iamlint:ignore IAM002 -- vendor approved in SEC-12"),
            Some((
                vec!["IAM002".into()],
                Some("vendor approved in SEC-12".into())
            ))
        );
        assert_eq!(
            parse_marker(" iamlint:ignore IAM002,IAM003 approved */"),
            Some((
                vec!["IAM002".into(), "IAM003".into()],
                Some("approved".into())
            ))
        );
        assert_eq!(
            parse_marker(" iamlint:ignore IAM002"),
            Some((vec!["IAM002".into()], None))
        );
        assert_eq!(parse_marker(" a plain comment"), None);
    }

    fn comment(text: &str, needle: &str) -> Comment {
        let start = text.find(needle).expect("needle");
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        Comment {
            start,
            end,
            text: text[start + 1..end].to_string(),
        }
    }

    #[test]
    fn stacks_combine_and_cover_the_resource_below() {
        let text = "# iamlint:ignore A -- a\n# iamlint:ignore B -- b\nresource \"x\" \"y\" {\n  k = 1 # iamlint:ignore C -- c\n}\n# iamlint:ignore D -- d\n\nz = 1\n";
        let file = SourceFile::new("a".into(), "a".into(), text.into());
        let id = FileId(0);
        let start = text.find("resource").expect("resource");
        let end = text.find("}\n").expect("end") + 1;
        let block = (Span::new(id, start, end), "x.y".to_string());
        let comments = vec![
            comment(text, "# iamlint:ignore A"),
            comment(text, "# iamlint:ignore B"),
            comment(text, "# iamlint:ignore C"),
            comment(text, "# iamlint:ignore D"),
        ];
        let s = from_comments(&file, id, &comments, std::slice::from_ref(&block));
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].target, Target::Span(block.0));
        assert_eq!(s[0].address, "x.y");
        assert_eq!(s[1].target, Target::Span(block.0));
        assert_eq!(s[2].target, Target::Line(id, 4));
        assert_eq!(s[3].target, Target::Nothing);
    }
}
