//! A marked YAML DOM over granit-parser events, for CloudFormation and SAM templates. Every node
//! keeps its byte span (tag included) and its tag (`!Ref`, `!GetAtt`, `!If` ...); scalars keep
//! their text and whether they were quoted, so `2012-10-17` and `123456789012` stay text. The DOM
//! also keeps comments with their lines (for inline suppressions) and the duplicate keys it saw.
//! Resource limits: a node budget that also bounds alias expansion (an alias bomb is an error,
//! fast) and a nesting limit, so nothing downstream recurses without bound.
//!
//! [`to_val`] turns the DOM into the shared [`Val`] tree, short-form tags becoming the long form
//! (`!Sub x` → `{"Fn::Sub": x}`), so one resolver serves YAML and JSON templates.

use std::collections::HashMap;

use granit_parser::{Event, Marker, Parser, ScalarStyle, ScanError};

use crate::span::{FileId, Span};
use crate::value::{Key, Val, ValKind};

/// Nodes a document may hold, aliases expanded. Real templates have a few thousand.
pub const MAX_NODES: usize = 100_000;
/// Bytes of scalar text a document may hold, aliases expanded: an anchor on a large scalar
/// aliased many times is an alias bomb even with few nodes. Real templates hold well under the
/// 8 MiB a file may have.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// Nesting a document may have. Real templates stay under 30 levels.
pub const MAX_DEPTH: usize = 128;

/// A YAML node with its span (from its tag, when it has one, to its end).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    /// The span of the value without its tag.
    pub value_span: Span,
    pub tag: Option<Tag>,
}

/// A tag as written, without the leading `!` for local tags (`Ref`, `GetAtt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub span: Span,
    /// True for YAML core tags such as `!!str`.
    pub core: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar { text: String, quoted: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A comment: its 1-based line, its span (from `#`) and its text after `#`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub line: usize,
    pub span: Span,
    pub text: String,
}

/// A key written twice in one mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub key: String,
    /// The second occurrence.
    pub span: Span,
    /// The first occurrence.
    pub first: Span,
}

/// A parsed YAML document (the first of the stream).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Document {
    /// `None` for an empty file or a file with only comments.
    pub root: Option<Node>,
    pub comments: Vec<Comment>,
    pub duplicates: Vec<Duplicate>,
}

impl Document {
    /// Comments as `(line, text)` pairs, for inline suppressions.
    pub fn comment_lines(&self) -> Vec<(usize, String)> {
        self.comments
            .iter()
            .map(|c| (c.line, c.text.clone()))
            .collect()
    }
}

/// Why a YAML text could not be read, with a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        tag: Option<Tag>,
        anchor: usize,
        flow: bool,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        seen: HashMap<String, Span>,
        start: usize,
        tag: Option<Tag>,
        anchor: usize,
        flow: bool,
    },
}

struct Builder<'a> {
    text: &'a str,
    file: FileId,
    stack: Vec<Frame>,
    /// Each anchor's node with its size in nodes and in bytes of scalar text.
    anchors: HashMap<usize, (Node, usize, usize)>,
    nodes: usize,
    bytes: usize,
    doc: Document,
    done: bool,
}

/// Parses the first document of `text`.
pub fn parse(text: &str, file: FileId) -> Result<Document, YamlError> {
    let options = granit_parser::options! {
        block_scalar_eof_without_line_feed: true,
    };
    let mut b = Builder {
        text,
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        bytes: 0,
        doc: Document::default(),
        done: false,
    };
    for ev in Parser::new_from_str_with_options(text, options) {
        let (event, span) = ev.map_err(|e| b.scan_error(&e))?;
        let start = b.offset(&span.start);
        let end = b.offset(&span.end);
        match event {
            Event::Comment(t, _) => {
                b.doc.comments.push(Comment {
                    line: span.start.line(),
                    span: Span::new(file, start, end),
                    text: t.into_owned(),
                });
            }
            _ if b.done => {
                // Only the first document is a template; later ones are not read, but their
                // syntax is still checked by the parser and their comments are kept.
            }
            Event::DocumentEnd => b.done = true,
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::Anchor(..) => {}
            Event::Scalar(value, style, anchor, tag) => {
                let tag = b.tag(tag.as_deref(), span.tag_span());
                let quoted = !matches!(style, ScalarStyle::Plain);
                let value_span = Span::new(file, start, end);
                let node = Node {
                    span: with_tag(value_span, tag.as_ref()),
                    value_span,
                    kind: NodeKind::Scalar {
                        text: value.into_owned(),
                        quoted,
                    },
                    tag,
                };
                let text_len = match &node.kind {
                    NodeKind::Scalar { text, .. } => text.len(),
                    _ => 0,
                };
                b.count(1, text_len, start)?;
                if anchor != 0 {
                    b.anchors.insert(anchor, (node.clone(), 1, text_len));
                }
                b.push(node)?;
            }
            Event::Alias(id) => {
                let Some((size, bytes)) = b.anchors.get(&id).map(|(_, n, t)| (*n, *t)) else {
                    return Err(b.error_at(start, "an alias refers to an unknown anchor"));
                };
                // Counted before the copy is made.
                b.count(size, bytes, start)?;
                let Some(mut node) = b.anchors.get(&id).map(|(n, _, _)| n.clone()) else {
                    return Err(b.error_at(start, "an alias refers to an unknown anchor"));
                };
                // The copy is reported where the alias is written.
                let here = Span::new(file, start, end);
                node.span = here;
                node.value_span = here;
                b.push(node)?;
            }
            Event::UnresolvedAlias(_) => {
                return Err(b.error_at(start, "an alias refers to an unknown anchor"));
            }
            Event::SequenceStart(style, anchor, tag) => {
                let tag = b.tag(tag.as_deref(), span.tag_span());
                b.open(start)?;
                b.stack.push(Frame::Seq {
                    items: Vec::new(),
                    start,
                    tag,
                    anchor,
                    flow: style == granit_parser::StructureStyle::Flow,
                });
            }
            Event::MappingStart(style, anchor, tag) => {
                let tag = b.tag(tag.as_deref(), span.tag_span());
                b.open(start)?;
                b.stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    seen: HashMap::new(),
                    start,
                    tag,
                    anchor,
                    flow: style == granit_parser::StructureStyle::Flow,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = b.stack.pop() else {
                    return Err(b.error_at(start, "unbalanced collection end"));
                };
                let (kind, fstart, tag, anchor, flow, last_end) = match frame {
                    Frame::Seq {
                        items,
                        start,
                        tag,
                        anchor,
                        flow,
                    } => {
                        let last = items.last().map(|n| n.span.end as usize);
                        (NodeKind::Seq(items), start, tag, anchor, flow, last)
                    }
                    Frame::Map {
                        entries,
                        start,
                        tag,
                        anchor,
                        flow,
                        ..
                    } => {
                        let last = entries.last().map(|(_, v)| v.span.end as usize);
                        (NodeKind::Map(entries), start, tag, anchor, flow, last)
                    }
                };
                // A block collection ends with its last child; a flow one at its bracket.
                let fend = if flow {
                    end
                } else {
                    last_end.unwrap_or(fstart)
                };
                let value_span = Span::new(file, fstart, fend.max(fstart));
                let node = Node {
                    span: with_tag(value_span, tag.as_ref()),
                    value_span,
                    kind,
                    tag,
                };
                b.count(1, 0, start)?;
                if anchor != 0 {
                    let (size, bytes) = node_size(&node);
                    b.anchors.insert(anchor, (node.clone(), size, bytes));
                }
                b.push(node)?;
            }
            _ => {}
        }
    }
    Ok(b.doc)
}

fn with_tag(value: Span, tag: Option<&Tag>) -> Span {
    match tag {
        Some(t) if t.span.start < value.start => {
            Span::new(value.file, t.span.start as usize, value.end as usize)
        }
        _ => value,
    }
}

/// Nodes and bytes of scalar text in a subtree (bounded by the budget that built it).
fn node_size(node: &Node) -> (usize, usize) {
    let mut n = 0;
    let mut bytes = 0usize;
    let mut todo = vec![node];
    while let Some(x) = todo.pop() {
        n += 1;
        match &x.kind {
            NodeKind::Scalar { text, .. } => bytes = bytes.saturating_add(text.len()),
            NodeKind::Seq(items) => todo.extend(items.iter()),
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    todo.push(k);
                    todo.push(v);
                }
            }
        }
    }
    (n, bytes)
}

impl Builder<'_> {
    fn offset(&self, m: &Marker) -> usize {
        match m.byte_offset() {
            Some(b) => b.min(self.text.len()),
            None => self
                .text
                .char_indices()
                .nth(m.index())
                .map_or(self.text.len(), |(i, _)| i),
        }
    }

    fn scan_error(&self, e: &ScanError) -> YamlError {
        let m = e.marker();
        YamlError {
            offset: self.offset(m),
            line: m.line().max(1),
            column: m.col() + 1,
            message: e.info().to_string(),
        }
    }

    fn error_at(&self, offset: usize, message: &str) -> YamlError {
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        YamlError {
            offset,
            line,
            column,
            message: message.to_string(),
        }
    }

    fn count(&mut self, n: usize, bytes: usize, at: usize) -> Result<(), YamlError> {
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > MAX_TEXT_BYTES {
            return Err(self.error_at(
                at,
                &format!(
                    "the document expands to more than {MAX_TEXT_BYTES} bytes of text (an alias bomb?); it was not read"
                ),
            ));
        }
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.error_at(
                at,
                &format!(
                    "the document expands to more than {MAX_NODES} nodes (an alias bomb?); it was not read"
                ),
            ));
        }
        Ok(())
    }

    fn open(&self, at: usize) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error_at(
                at,
                &format!("the document nests deeper than {MAX_DEPTH} levels; it was not read"),
            ));
        }
        Ok(())
    }

    fn tag(
        &self,
        tag: Option<&granit_parser::Tag>,
        tag_span: Option<granit_parser::Span>,
    ) -> Option<Tag> {
        let t = tag?;
        let span = match tag_span {
            Some(s) => Span::new(self.file, self.offset(&s.start), self.offset(&s.end)),
            None => Span::default(),
        };
        if let Some(core) = t.core_suffix() {
            return Some(Tag {
                name: core.to_string(),
                span,
                core: true,
            });
        }
        let name = if t.handle() == "!" {
            t.suffix().to_string()
        } else {
            t.original()
        };
        Some(Tag {
            name,
            span,
            core: false,
        })
    }

    fn push(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                if self.doc.root.is_none() {
                    self.doc.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, key, seen, ..
            }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    let name = key_name(&k);
                    if let Some(first) = seen.get(&name) {
                        self.doc.duplicates.push(Duplicate {
                            key: name,
                            span: k.span,
                            first: *first,
                        });
                    } else {
                        seen.insert(name, k.span);
                    }
                    entries.push((k, node));
                }
            },
        }
        Ok(())
    }
}

/// The text of a key: a scalar's text, or a compact rendering of a complex key.
pub fn key_name(k: &Node) -> String {
    match &k.kind {
        NodeKind::Scalar { text, .. } => text.clone(),
        _ => to_val(k).render(),
    }
}

/// Intrinsic functions that have a YAML short form, by tag name.
fn long_form(tag: &str) -> String {
    match tag {
        "Ref" => "Ref".into(),
        "Condition" => "Condition".into(),
        other => format!("Fn::{other}"),
    }
}

/// Converts a node into a [`Val`]. Short-form tags become single-key maps in the long form,
/// keyed at the tag's span; plain scalars are typed as YAML 1.1 CloudFormation reads them
/// (`true`/`false`, numbers, `null`/`~`), keeping their text.
pub fn to_val(node: &Node) -> Val {
    let inner = untagged_val(node);
    match &node.tag {
        Some(t) if !t.core => Val::new(
            ValKind::Map(vec![(
                Key {
                    name: long_form(&t.name),
                    span: if t.span == Span::default() {
                        node.span
                    } else {
                        t.span
                    },
                },
                inner,
            )]),
            node.span,
        ),
        _ => inner,
    }
}

fn untagged_val(node: &Node) -> Val {
    let span = node.value_span;
    match &node.kind {
        NodeKind::Scalar { text, quoted } => {
            let forced_str = node.tag.as_ref().is_some_and(|t| t.core && t.name == "str");
            if *quoted || forced_str || node.tag.as_ref().is_some_and(|t| !t.core) {
                Val::str(text.clone(), span)
            } else {
                Val::new(plain_scalar(text), span)
            }
        }
        NodeKind::Seq(items) => Val::new(ValKind::List(items.iter().map(to_val).collect()), span),
        NodeKind::Map(entries) => Val::new(
            ValKind::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            Key {
                                name: key_name(k),
                                span: k.span,
                            },
                            to_val(v),
                        )
                    })
                    .collect(),
            ),
            span,
        ),
    }
}

fn plain_scalar(text: &str) -> ValKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => ValKind::Null,
        "true" | "True" | "TRUE" => ValKind::Bool(true),
        "false" | "False" | "FALSE" => ValKind::Bool(false),
        _ if looks_numeric(text) => ValKind::Number(text.to_string()),
        _ => ValKind::Str(text.to_string()),
    }
}

/// Decimal integers and floats (`123456789012`, `-1`, `3.5`, `1e3`); everything else is text.
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return false;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (body.get(..i).unwrap_or(""), body.get(i + 1..)),
        None => (body, None),
    };
    let mut dots = 0;
    let mut digits = 0;
    for c in mantissa.chars() {
        match c {
            '.' => dots += 1,
            c if c.is_ascii_digit() => digits += 1,
            _ => return false,
        }
    }
    if dots > 1 || digits == 0 {
        return false;
    }
    match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        let d = parse(text, FileId(0));
        assert!(d.is_ok(), "parse failed: {d:?}");
        d.unwrap_or_default()
    }

    fn root(text: &str) -> Val {
        let n = doc(text).root;
        assert!(n.is_some(), "no root");
        n.map(|n| to_val(&n))
            .unwrap_or_else(|| Val::new(ValKind::Null, Span::default()))
    }

    fn slice(text: &str, s: Span) -> &str {
        text.get(s.start as usize..s.end as usize).unwrap_or("")
    }

    #[test]
    fn tags_become_long_forms_with_spans() {
        let text = "A: !Sub \"arn:${AWS::Partition}:iam::${X}:root\"\nB: !GetAtt Role.Arn\nC: !If [Cond, !Ref A, !Ref \"AWS::NoValue\"]\n";
        let v = root(text);
        let a = v.get("A").and_then(|a| a.get("Fn::Sub"));
        assert_eq!(
            a.and_then(Val::as_str),
            Some("arn:${AWS::Partition}:iam::${X}:root")
        );
        let whole = v.get("A").map(|a| a.span).unwrap_or_default();
        assert_eq!(
            slice(text, whole),
            "!Sub \"arn:${AWS::Partition}:iam::${X}:root\""
        );
        let c = v.get("C").and_then(|c| c.get("Fn::If"));
        let items = c.map(|c| c.items().len());
        assert_eq!(items, Some(3));
        let b = v.get("B").and_then(|b| b.get("Fn::GetAtt"));
        assert_eq!(b.and_then(Val::as_str), Some("Role.Arn"));
    }

    #[test]
    fn scalars_keep_their_text() {
        let v = root(
            "Version: 2012-10-17\nAccount: 123456789012\nQuoted: 'true'\nFlag: true\nRef: !Ref Y\nEmpty:\n",
        );
        assert_eq!(
            v.get("Version").map(|x| &x.kind),
            Some(&ValKind::Str("2012-10-17".into()))
        );
        assert_eq!(v.get("Account").and_then(Val::as_str), Some("123456789012"));
        assert_eq!(
            v.get("Quoted").map(|x| &x.kind),
            Some(&ValKind::Str("true".into()))
        );
        assert_eq!(v.get("Flag").map(|x| &x.kind), Some(&ValKind::Bool(true)));
        assert_eq!(
            v.get("Ref")
                .and_then(|r| r.get("Ref"))
                .and_then(Val::as_str),
            Some("Y")
        );
        assert_eq!(v.get("Empty").map(|x| &x.kind), Some(&ValKind::Null));
    }

    #[test]
    fn comments_and_duplicates_are_kept() {
        let d = doc("# head\nA: 1 # iamlint:ignore IAM001 reason\nB: 2\nA: 3\n");
        assert_eq!(
            d.comment_lines(),
            vec![
                (1, " head".to_string()),
                (2, " iamlint:ignore IAM001 reason".to_string())
            ]
        );
        assert_eq!(d.duplicates.len(), 1);
        assert_eq!(d.duplicates.first().map(|x| x.key.as_str()), Some("A"));
    }

    #[test]
    fn alias_bomb_and_depth_are_errors() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let mut prev = "a";
        for n in names {
            bomb.push_str(&format!("{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = n;
        }
        let start = std::time::Instant::now();
        let e = parse(&bomb, FileId(0));
        assert!(
            matches!(&e, Err(err) if err.message.contains("alias bomb")),
            "{e:?}"
        );
        assert!(start.elapsed().as_secs() < 2);
        let deep = "[".repeat(100_000);
        assert!(parse(&deep, FileId(0)).is_err());
        let deep_block: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(parse(&deep_block, FileId(0)).is_err());
    }

    #[test]
    fn errors_have_line_and_column() {
        let e = parse("A: 1\nB: [1, 2\nC: 3\n", FileId(0));
        assert!(matches!(&e, Err(err) if err.line >= 2), "{e:?}");
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let text = "R:\n  Type: X\n  Properties:\n    A: b\nS: 1\n";
        let v = root(text);
        let r = v.get("R").map(|r| r.span).unwrap_or_default();
        assert_eq!(slice(text, r), "Type: X\n  Properties:\n    A: b");
    }
}
