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

/// A repository path as a URI reference (RFC 3986): every byte but the unreserved characters
/// and `/` percent-encoded, so a space, a `|`, a newline or an escape sequence in a file or
/// directory name can neither break a Markdown link or table nor make a SARIF location
/// invalid.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// 1-based start and end line and column of a finding.
pub fn position(sources: &SourceMap, f: &Finding) -> (usize, usize, usize, usize) {
    sources
        .range(f.span)
        .map(|(s, e)| (s.line, s.column, e.line, e.column))
        .unwrap_or((1, 1, 1, 1))
}

/// Escapes the control characters of a value that came from the input (a role name, a
/// principal, an expression, a file name, a message built from them) so that it cannot start
/// a line of its own, forge a GitHub workflow command (`::stop-commands::`) or drive a terminal
/// (ESC, CSI). Newline, carriage return and tab become `\n`, `\r`, `\t`; every other C0 and
/// C1 control and DEL becomes `\u{..}`.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A file's text made safe to show in a snippet, byte for byte and character for character
/// the same length, so that spans and columns still hold: a lone CR (a line break) becomes LF,
/// the CR of CRLF a space, every other C0 control and DEL `?`, and every C1 control `·`.
pub fn printable_source(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => out.push(' '),
            '\r' => out.push('\n'),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push('?'),
            c if ('\u{80}'..='\u{9f}').contains(&c) => out.push('\u{b7}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_sources_keep_their_length() {
        assert_eq!(
            escape_controls("a\n::x\u{1b}[2K\u{9b}"),
            "a\\n::x\\u{1b}[2K\\u{9b}"
        );
        assert!(matches!(
            escape_controls("plain é"),
            std::borrow::Cow::Borrowed(_)
        ));
        let src = "a\rb\r\nc\u{1b}d\u{85}e";
        let p = printable_source(src);
        assert_eq!(p.len(), src.len());
        assert_eq!(p.chars().count(), src.chars().count());
        assert_eq!(p, "a\nb \nc?d\u{b7}e");
    }
}
