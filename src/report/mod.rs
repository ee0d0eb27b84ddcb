//! Reporters: turn an [`Outcome`](crate::run::Outcome) into text for people (with source
//! snippets) or for machines (JSON, SARIF, GitHub annotations). Output order is deterministic.

pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use crate::rules::engine::Finding;
use crate::span::SourceMap;

/// Output formats of `iamlint check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    /// A summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// One line a finding: `file:line:col: RULE severity message`.
    Concise,
}

/// 1-based start and end line and column of a finding.
pub fn position(sources: &SourceMap, f: &Finding) -> (usize, usize, usize, usize) {
    sources
        .range(f.span)
        .map(|(s, e)| (s.line, s.column, e.line, e.column))
        .unwrap_or((1, 1, 1, 1))
}
