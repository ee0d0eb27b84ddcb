//! Terraform's text decoding functions beyond JSON: `csvdecode` (RFC 4180, first line the
//! header, every value a string) and `yamldecode` (through our YAML reader; tags other than the
//! core `!!` ones and duplicate keys are errors, as in Terraform). `yamlencode` is not here:
//! its exact output layout is not documented. Pure functions: values in, a value (or the error
//! Terraform reports) out. The caller makes the result unknown when any argument is unknown.

use crate::source::yaml::{self, Node, NodeKind};
use crate::span::Span;
use crate::value::{Key, Val, ValKind};

use super::eval::{MAX_ITEMS, as_string};

/// The functions this family evaluates.
pub const NAMES: &[&str] = &["csvdecode", "yamldecode"];

/// Evaluates one of [`NAMES`] on known arguments.
pub fn call(name: &str, args: &[Val], span: Span) -> Result<Val, String> {
    let [arg] = args else {
        return Err("needs one argument".into());
    };
    let text = as_string(arg).ok_or("the argument must be a string")?;
    match name {
        "csvdecode" => csvdecode(&text, span),
        "yamldecode" => yamldecode(&text, arg.span, span),
        _ => Err(format!("{name} is not a decoding function")),
    }
}

/// Records of CSV text as Go's `encoding/csv` reads them: quoted fields may hold commas,
/// newlines and doubled quotes; a quote inside an unquoted field is an error; empty lines are
/// skipped; every record must have as many fields as the header.
fn csv_records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        // An empty line is skipped.
        match chars.peek() {
            Some('\n') => {
                chars.next();
                line += 1;
                continue;
            }
            Some('\r') => {
                chars.next();
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                line += 1;
                continue;
            }
            _ => {}
        }
        let mut record = Vec::new();
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!(
                                "line {line}: extraneous or missing \" in quoted-field"
                            ));
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                if !matches!(chars.peek(), None | Some(',') | Some('\n') | Some('\r')) {
                    return Err(format!(
                        "line {line}: extraneous or missing \" in quoted-field"
                    ));
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' || c == '\n' || c == '\r' {
                        break;
                    }
                    if c == '"' {
                        return Err(format!("line {line}: bare \" in non-quoted-field"));
                    }
                    field.push(c);
                    chars.next();
                }
            }
            record.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                }
                _ => {}
            }
            break;
        }
        line += 1;
        records.push(record);
        if records.len() > MAX_ITEMS {
            return Err("the result has too many elements".into());
        }
    }
    Ok(records)
}

fn csvdecode(text: &str, span: Span) -> Result<Val, String> {
    let mut records = csv_records(text)?.into_iter();
    let header = records.next().ok_or("missing header line")?;
    for (i, name) in header.iter().enumerate() {
        if header[..i].contains(name) {
            return Err(format!("duplicate column name {name:?}"));
        }
    }
    let mut rows = Vec::new();
    for (n, record) in records.enumerate() {
        if record.len() != header.len() {
            return Err(format!(
                "record {}: wrong number of fields (the header has {}, the record {})",
                n + 1,
                header.len(),
                record.len()
            ));
        }
        let entries = header
            .iter()
            .zip(record)
            .map(|(k, v)| {
                (
                    Key {
                        name: k.clone(),
                        span,
                    },
                    Val::str(v, span),
                )
            })
            .collect();
        rows.push(Val::new(ValKind::Map(entries), span));
    }
    Ok(Val::new(ValKind::List(rows), span))
}

/// The first tag that is not one of YAML's core (`!!str`, `!!int`, ...) tags.
fn custom_tag(node: &Node) -> Option<String> {
    if let Some(t) = node.tag.as_ref().filter(|t| !t.core) {
        return Some(t.name.clone());
    }
    match &node.kind {
        NodeKind::Scalar { .. } => None,
        NodeKind::Seq(items) => items.iter().find_map(custom_tag),
        NodeKind::Map(entries) => entries
            .iter()
            .find_map(|(k, v)| custom_tag(k).or_else(|| custom_tag(v))),
    }
}

fn yamldecode(text: &str, arg: Span, span: Span) -> Result<Val, String> {
    let doc = yaml::parse(text, arg.file).map_err(|e| {
        format!(
            "the string is not valid YAML (line {}, column {}: {})",
            e.line, e.column, e.message
        )
    })?;
    if let Some(d) = doc.duplicates.first() {
        return Err(format!("the YAML maps the key {:?} twice", d.key));
    }
    let Some(root) = doc.root else {
        return Ok(Val::new(ValKind::Null, span));
    };
    if let Some(tag) = custom_tag(&root) {
        return Err(format!("unsupported YAML tag !{tag}"));
    }
    let mut v = yaml::to_val(&root);
    v.respan(span);
    Ok(v)
}
