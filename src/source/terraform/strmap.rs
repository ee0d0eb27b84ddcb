//! Positions inside computed strings. A policy written as a JSON string, a heredoc or a
//! template file is parsed as JSON after evaluation; [`StrMap`] maps each byte of the evaluated
//! text back to the source bytes it came from, so that a principal inside a heredoc gets the
//! line it was written on. Literal text is aligned with the source (escapes, `$${`, and heredoc
//! indentation are skipped); interpolated text maps to the interpolation.

use crate::span::{FileId, Span};
use crate::value::{Key, Val, ValKind};

/// Strings larger than this keep no byte map (their parts map to the whole expression).
pub const MAX_MAPPED: usize = 1 << 20;

/// A string with, for each of its bytes, the source range it came from in `file`.
#[derive(Debug, Clone)]
pub struct StrMap {
    pub file: FileId,
    pub text: String,
    pub map: Vec<(u32, u32)>,
}

impl StrMap {
    pub fn new(file: FileId) -> StrMap {
        StrMap {
            file,
            text: String::new(),
            map: Vec::new(),
        }
    }

    /// Appends text that came from the source range `span` as a whole.
    pub fn push_whole(&mut self, s: &str, span: Span) {
        self.text.push_str(s);
        if self.text.len() <= MAX_MAPPED {
            for _ in 0..s.len() {
                self.map.push((span.start, span.end));
            }
        }
    }

    /// Appends literal text `value` written in `src` (which starts at byte `src_start`).
    pub fn push_literal(&mut self, value: &str, src: &str, src_start: usize) {
        self.text.push_str(value);
        if self.text.len() <= MAX_MAPPED {
            align(value, src, src_start, &mut self.map);
        }
    }

    /// Drops trailing whitespace (template strip markers).
    pub fn trim_end(&mut self) {
        let n = self.text.trim_end().len();
        self.text.truncate(n);
        self.map.truncate(n);
    }

    /// Maps a byte range of the text to a span in the file.
    pub fn span(&self, start: usize, end: usize) -> Span {
        if self.map.len() != self.text.len() || self.map.is_empty() {
            return Span::new(self.file, 0, 0);
        }
        let last = self.map.len() - 1;
        let a = self.map.get(start.min(last)).map_or(0, |m| m.0);
        let b = if end > start {
            self.map.get((end - 1).min(last)).map_or(a, |m| m.1)
        } else {
            a
        };
        Span::new(self.file, a as usize, (b as usize).max(a as usize))
    }

    pub fn complete(&self) -> bool {
        self.map.len() == self.text.len()
    }
}

/// Decodes an escape sequence at the start of `s` (HCL and JSON escapes): the character and
/// the number of source bytes.
fn escape(s: &str) -> Option<(char, usize)> {
    let mut it = s.chars();
    if it.next() != Some('\\') {
        return None;
    }
    let c = it.next()?;
    Some(match c {
        'n' => ('\n', 2),
        't' => ('\t', 2),
        'r' => ('\r', 2),
        'b' => ('\u{8}', 2),
        'f' => ('\u{c}', 2),
        '"' | '\\' | '/' => (c, 2),
        'u' => {
            let hex = s.get(2..6)?;
            (char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, 6)
        }
        'U' => {
            let hex = s.get(2..10)?;
            (char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, 10)
        }
        _ => return None,
    })
}

/// Greedy alignment of decoded text against its source; pushes one entry per byte of `value`.
pub fn align(value: &str, src: &str, src_start: usize, out: &mut Vec<(u32, u32)>) {
    let mut j = 0usize;
    let end = (src_start + src.len()) as u32;
    for ch in value.chars() {
        let mut m = (end, end);
        while j < src.len() {
            let rest = src.get(j..).unwrap_or("");
            if ch == '$' && rest.starts_with("$${") || ch == '%' && rest.starts_with("%%{") {
                m = ((src_start + j) as u32, (src_start + j + 2) as u32);
                j += 2;
                break;
            }
            if rest.starts_with(ch) {
                m = (
                    (src_start + j) as u32,
                    (src_start + j + ch.len_utf8()) as u32,
                );
                j += ch.len_utf8();
                break;
            }
            if let Some((c, len)) = escape(rest) {
                if c == ch {
                    m = ((src_start + j) as u32, (src_start + j + len) as u32);
                    j += len;
                    break;
                }
                j += len;
                continue;
            }
            j += rest.chars().next().map_or(1, char::len_utf8);
        }
        for _ in 0..ch.len_utf8() {
            out.push(m);
        }
    }
}

/// Rewrites every span of a value parsed from `map.text` (offsets into the text) to spans into
/// the file.
pub fn remap(v: &mut Val, map: &StrMap) {
    v.span = map.span(v.span.start as usize, v.span.end as usize);
    match &mut v.kind {
        ValKind::List(items) => items.iter_mut().for_each(|i| remap(i, map)),
        ValKind::Map(entries) => {
            for (k, val) in entries.iter_mut() {
                remap_key(k, map);
                remap(val, map);
            }
        }
        _ => {}
    }
}

fn remap_key(k: &mut Key, map: &StrMap) {
    k.span = map.span(k.span.start as usize, k.span.end as usize);
}

/// Moves every span of a value by `offset` bytes into `file`.
pub fn shift(v: &mut Val, file: FileId, offset: usize) {
    v.span = Span::new(
        file,
        v.span.start as usize + offset,
        v.span.end as usize + offset,
    );
    match &mut v.kind {
        ValKind::List(items) => items.iter_mut().for_each(|i| shift(i, file, offset)),
        ValKind::Map(entries) => {
            for (k, val) in entries.iter_mut() {
                k.span = Span::new(
                    file,
                    k.span.start as usize + offset,
                    k.span.end as usize + offset,
                );
                shift(val, file, offset);
            }
        }
        _ => {}
    }
}

/// Parses JSON `text` that was written (escaped, quoted, or indented) inside the source range
/// `span` whose text is `slice`: spans are aligned to the source where every character is
/// found, else every span is `span`.
pub fn decode_in_source(text: &str, span: Span, slice: &str) -> Result<Val, String> {
    let mut parsed = crate::source::json::parse(text, span.file, 0)
        .map_err(|e| format!("{} at byte {}", e.message, e.offset))?;
    if slice == text {
        shift(&mut parsed, span.file, span.start as usize);
        return Ok(parsed);
    }
    if !slice.is_empty() && text.len() <= MAX_MAPPED {
        let mut m = StrMap::new(span.file);
        m.push_literal(text, slice, span.start as usize);
        if m.map.iter().all(|(a, _)| *a < span.end) {
            remap(&mut parsed, &m);
            return Ok(parsed);
        }
    }
    parsed.respan(span);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_escapes_and_indentation() {
        let src = r#"{\"a\": \"b\"}"#;
        let mut m = StrMap::new(FileId(0));
        m.push_literal(r#"{"a": "b"}"#, src, 100);
        assert!(m.complete());
        // the `b` string token `"b"` is at text bytes 6..9; in the source `\"b\"` at 8..13
        assert_eq!(m.span(6, 9), Span::new(FileId(0), 108, 113));
        let mut m = StrMap::new(FileId(0));
        m.push_literal("x\ny\n", "    x\n    y\n", 0);
        assert_eq!(m.span(2, 3), Span::new(FileId(0), 10, 11));
    }
}
