//! Strict JSON with spans (jsonc-parser with every leniency off), converted into [`Val`]. Used
//! for CloudFormation JSON, heredoc and string policies in Terraform, `.tf.json`, tfvars JSON and
//! plan JSON.

use jsonc_parser::ast::{ObjectPropName, Value as J};
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::span::{FileId, Span};
use crate::value::{Key, Val, ValKind};

/// A JSON syntax error, with the byte offset in the parsed text.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonError {
    pub offset: usize,
    pub message: String,
}

fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Values (objects, arrays, strings, numbers, literals) a JSON document may hold. Each costs
/// about 150 bytes once parsed, so a file of 8 MiB of `0,0,0,...` would take over 600 MB; a real
/// 8 MiB plan holds well under a million values.
pub const MAX_NODES: usize = 2_000_000;

/// The byte offset at which `text` goes over [`MAX_NODES`] values, if it does. Counts, outside
/// strings, the opening brackets and the separators (each `,` or `:` starts a value), which
/// bounds the number of values the parser will build.
fn over_budget(text: &str) -> Option<usize> {
    let mut n = 1usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' | b',' | b':' => {
                n += 1;
                if n > MAX_NODES {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Parses `text`, which starts at byte `offset` of `file`, into a value whose spans point into
/// the file. An empty document is an error, and so is one over the [`MAX_NODES`] budget.
pub fn parse(text: &str, file: FileId, offset: usize) -> Result<Val, JsonError> {
    if let Some(at) = over_budget(text) {
        return Err(JsonError {
            offset: at,
            message: format!("the document holds more than {MAX_NODES} values; it was not read"),
        });
    }
    let collect = CollectOptions::default();
    let result = jsonc_parser::parse_to_ast(text, &collect, &strict()).map_err(|e| JsonError {
        offset: e.range().start,
        message: e.kind().to_string(),
    })?;
    match result.value {
        Some(v) => Ok(convert(&v, file, offset)),
        None => Err(JsonError {
            offset: 0,
            message: "the JSON document is empty".into(),
        }),
    }
}

fn convert(v: &J, file: FileId, offset: usize) -> Val {
    let span = |r: jsonc_parser::common::Range| Span::new(file, r.start + offset, r.end + offset);
    match v {
        J::StringLit(s) => Val::new(ValKind::Str(s.value.to_string()), span(s.range)),
        J::NumberLit(n) => Val::new(ValKind::Number(n.value.to_string()), span(n.range)),
        J::BooleanLit(b) => Val::new(ValKind::Bool(b.value), span(b.range)),
        J::NullKeyword(n) => Val::new(ValKind::Null, span(n.range)),
        J::Array(a) => Val::new(
            ValKind::List(
                a.elements
                    .iter()
                    .map(|e| convert(e, file, offset))
                    .collect(),
            ),
            span(a.range),
        ),
        J::Object(o) => Val::new(
            ValKind::Map(
                o.properties
                    .iter()
                    .map(|p| {
                        let (name, range) = match &p.name {
                            ObjectPropName::String(s) => (s.value.to_string(), s.range),
                            ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                        };
                        (
                            Key {
                                name,
                                span: span(range),
                            },
                            convert(&p.value, file, offset),
                        )
                    })
                    .collect(),
            ),
            span(o.range),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_into_the_file() -> Result<(), JsonError> {
        let text = r#"{"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}"#;
        let v = parse(text, FileId(0), 10)?;
        let p = v.get("Principal").and_then(|p| p.get("AWS"));
        assert_eq!(
            p.and_then(Val::as_str),
            Some("arn:aws:iam::111122223333:root")
        );
        assert_eq!(
            p.map(|p| p.span.start as usize),
            text.find("\"arn").map(|i| i + 10)
        );
        assert_eq!(v.entry("Principal").map(|(k, _)| k.span.start), Some(11));
        Ok(())
    }

    #[test]
    fn rejects_lenient_json_and_deep_nesting() {
        assert!(parse("{\"a\": 1,}", FileId(0), 0).is_err());
        assert!(parse("// c\n{}", FileId(0), 0).is_err());
        assert!(parse("", FileId(0), 0).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep, FileId(0), 0).is_err());
    }

    #[test]
    fn numbers_keep_their_text() {
        let v = parse(r#"{"a": 012345678901}"#, FileId(0), 0);
        // leading zeros are not JSON; plain digits keep every one
        assert!(v.is_err());
        let v = parse(r#"{"a": 123456789012}"#, FileId(0), 0);
        assert_eq!(
            v.ok()
                .as_ref()
                .and_then(|v| v.get("a"))
                .and_then(Val::as_str),
            Some("123456789012")
        );
    }
}
