//! Terraform's text decoding functions beyond JSON: `csvdecode` (RFC 4180, first line the
//! header, every value a string) and `yamldecode` (through our YAML reader; tags other than the
//! core `!!` ones and duplicate keys are errors, as in Terraform), and `yamlencode` on the part
//! of its output reproduced byte for byte ([`yamlencode`]). Pure functions: values in, a value
//! (or the error Terraform reports) out. The caller makes the result unknown when any argument
//! is unknown.

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

/// The widest line Terraform's YAML emitter writes before it folds a double-quoted string at
/// a space (go-yaml's best width).
const YAML_WIDTH: usize = 80;

/// `yamlencode` as Terraform 1.x writes it (go-cty-yaml, checked against `terraform console`):
/// block style, map keys sorted and double-quoted, a sequence under a map key not indented, a
/// collection inside a sequence starting on the `- ` line, empty collections as `[]` and
/// `{}`, strings double-quoted (`\"`, `\\`, `\t` escaped), and a top-level number, bool or
/// null followed by the document end marker `...`. `None` outside the part reproduced byte for
/// byte: multi-line strings (literal blocks with indentation indicators), strings the emitter
/// would fold at 80 columns or escape otherwise, and numbers other than integers of at most 15
/// digits (Terraform prints its 512-bit numbers, `1/3` with 160 digits).
pub fn yamlencode(v: &Val) -> Option<String> {
    let mut out = String::new();
    match &v.kind {
        ValKind::List(items) if !items.is_empty() => yaml_list(items, 0, false, &mut out)?,
        ValKind::Map(entries) if !entries.is_empty() => yaml_map(entries, 0, false, &mut out)?,
        ValKind::Str(_) | ValKind::List(_) | ValKind::Map(_) => {
            yaml_inline(v, 0, &mut out)?;
            out.push('\n');
        }
        _ => {
            yaml_inline(v, 0, &mut out)?;
            out.push_str("\n...\n");
        }
    }
    Some(out)
}

/// The column of the end of `out` (characters since the last newline).
fn yaml_column(out: &str) -> usize {
    out.rsplit('\n').next().map_or(0, |l| l.chars().count())
}

/// A scalar or an empty collection, written where `out` ends.
fn yaml_inline(v: &Val, _indent: usize, out: &mut String) -> Option<()> {
    match &v.kind {
        ValKind::Null => out.push_str("null"),
        ValKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ValKind::Number(n) => {
            let digits = n.strip_prefix('-').unwrap_or(n);
            let integer = !digits.is_empty()
                && digits.len() <= 15
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'));
            if !integer {
                return None;
            }
            out.push_str(if digits == "0" { "0" } else { n });
        }
        ValKind::Str(s) => yaml_string(s, out)?,
        ValKind::List(items) if items.is_empty() => out.push_str("[]"),
        ValKind::Map(entries) if entries.is_empty() => out.push_str("{}"),
        _ => return None,
    }
    Some(())
}

/// A double-quoted string, when the emitter would write it so on one line.
fn yaml_string(s: &str, out: &mut String) -> Option<()> {
    let mut quoted = String::with_capacity(s.len() + 2);
    quoted.push('"');
    for c in s.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\t' => quoted.push_str("\\t"),
            ' '..='~' => quoted.push(c),
            // The line and paragraph separators are escaped (`\L`, `\P`): not reproduced.
            '\u{2028}' | '\u{2029}' => return None,
            // Printable beyond ASCII in the Basic Multilingual Plane is written as it is.
            '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FEFE}' | '\u{FF00}'..='\u{FFFD}' => {
                quoted.push(c)
            }
            _ => return None,
        }
    }
    quoted.push('"');
    // A space past the best width folds the line.
    if s.contains(' ') && yaml_column(out) + quoted.chars().count() > YAML_WIDTH - 1 {
        return None;
    }
    out.push_str(&quoted);
    Some(())
}

/// Whether `v` is written on its own lines (a non-empty collection).
fn yaml_is_block(v: &Val) -> bool {
    matches!(&v.kind, ValKind::List(i) if !i.is_empty())
        || matches!(&v.kind, ValKind::Map(e) if !e.is_empty())
}

/// A non-empty map at `indent`; its first entry goes where `out` ends when `inline` (after
/// `- `).
fn yaml_map(entries: &[(Key, Val)], indent: usize, inline: bool, out: &mut String) -> Option<()> {
    for (i, (k, v)) in super::eval::sorted_entries(entries).into_iter().enumerate() {
        if i > 0 || !inline {
            out.push_str(&" ".repeat(indent));
        }
        if k.name.chars().count() > 100 {
            return None;
        }
        yaml_string(&k.name, out)?;
        out.push(':');
        match &v.kind {
            ValKind::Map(e) if !e.is_empty() => {
                out.push('\n');
                yaml_map(e, indent + 2, false, out)?;
            }
            ValKind::List(items) if !items.is_empty() => {
                out.push('\n');
                yaml_list(items, indent, false, out)?;
            }
            _ => {
                out.push(' ');
                yaml_inline(v, indent, out)?;
                out.push('\n');
            }
        }
    }
    Some(())
}

/// A non-empty sequence at `indent`; its first item goes where `out` ends when `inline`.
fn yaml_list(items: &[Val], indent: usize, inline: bool, out: &mut String) -> Option<()> {
    for (i, v) in items.iter().enumerate() {
        if i > 0 || !inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        if yaml_is_block(v) {
            match &v.kind {
                ValKind::Map(e) => yaml_map(e, indent + 2, true, out)?,
                ValKind::List(l) => yaml_list(l, indent + 2, true, out)?,
                _ => return None,
            }
        } else {
            yaml_inline(v, indent, out)?;
            out.push('\n');
        }
    }
    Some(())
}
