//! Reporters: turn an [`Outcome`](crate::run::Outcome) into text for people (with source
//! snippets) or for machines (JSON, SARIF, GitHub annotations). Output order is deterministic.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
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
}

/// 1-based start and end line and column of a finding.
pub fn position(sources: &SourceMap, f: &Finding) -> (usize, usize, usize, usize) {
    sources
        .range(f.span)
        .map(|(s, e)| (s.line, s.column, e.line, e.column))
        .unwrap_or((1, 1, 1, 1))
}
