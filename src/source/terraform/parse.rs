//! Parsing of one Terraform module directory: every `.tf` file (hcl-edit, spans kept) and every
//! `.tf.json` file (Terraform JSON syntax, see `json_syntax`) is read once through the
//! [`SourceMap`](crate::span::SourceMap) and turned into a small owned configuration tree
//! ([`Body`], [`Block`], [`Attr`], [`Expr`]) that the evaluator walks. Hands on a [`ModuleDef`]:
//! the module's variables, locals, resources, data sources, module calls and outputs, plus the
//! parse errors and load failures of its files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl::edit::Span as _;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{BlockLabel, Structure};

use crate::source::{Context, LoadFailure, SourceError};
use crate::span::{FileId, SourceFile, Span};
use crate::suppress::{self, Comment, Suppression};
use crate::value::Key;

/// An expression as written: HCL native syntax, or a value of Terraform's JSON syntax.
#[derive(Debug)]
pub enum Expr {
    /// An hcl-edit expression; its spans are byte offsets into `file`.
    Hcl {
        expr: Expression,
        file: FileId,
    },
    Json(JNode),
}

/// A value written in Terraform JSON syntax. Strings are templates (`"${var.x}"`).
#[derive(Debug)]
pub enum JNode {
    Null(Span),
    Bool(bool, Span),
    Number(String, Span),
    /// A string; `template` is set when it holds `${` or `%{`, parsed with hcl-edit. The
    /// template's spans are relative to `base` (the byte after the opening quote).
    Str {
        value: String,
        span: Span,
        template: Option<Box<hcl::edit::template::Template>>,
        base: usize,
    },
    List(Vec<JNode>, Span),
    Map(Vec<(Key, JNode)>, Span),
}

impl JNode {
    pub fn span(&self) -> Span {
        match self {
            JNode::Null(s) | JNode::Bool(_, s) | JNode::Number(_, s) => *s,
            JNode::Str { span, .. } | JNode::List(_, span) | JNode::Map(_, span) => *span,
        }
    }
}

/// `name = expr` with the spans of the key and of the whole attribute.
#[derive(Debug)]
pub struct Attr {
    pub name: String,
    pub key_span: Span,
    pub span: Span,
    pub expr: Expr,
}

/// `kind "label" ... { body }`.
#[derive(Debug)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub span: Span,
    pub body: Body,
}

#[derive(Debug, Default)]
pub struct Body {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

impl Body {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn blocks<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

/// A `resource` or `data` block.
#[derive(Debug)]
pub struct Resource {
    pub data: bool,
    pub ty: String,
    pub name: String,
    pub span: Span,
    pub body: Body,
}

impl Resource {
    /// `aws_iam_role.x` or `data.aws_iam_policy_document.x`.
    pub fn address(&self) -> String {
        if self.data {
            format!("data.{}.{}", self.ty, self.name)
        } else {
            format!("{}.{}", self.ty, self.name)
        }
    }
}

/// A `variable` block.
#[derive(Debug)]
pub struct Variable {
    pub name: String,
    pub span: Span,
    pub default: Option<Attr>,
    /// The type constraint (`type = object({...})`).
    pub ty: Option<Attr>,
}

/// A `module` call.
#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    pub span: Span,
    pub body: Body,
}

/// One parsed module directory.
#[derive(Debug, Default)]
pub struct ModuleDef {
    pub dir: PathBuf,
    pub files: Vec<(FileId, Arc<SourceFile>)>,
    pub variables: Vec<Variable>,
    pub locals: Vec<Attr>,
    pub resources: Vec<Resource>,
    pub modules: Vec<ModuleCall>,
    pub outputs: Vec<(String, Span, Option<Attr>)>,
    pub errors: Vec<SourceError>,
    pub load_failures: Vec<LoadFailure>,
    /// Inline suppressions of the module's files (HCL comments, JSON `"//"` properties).
    pub suppressions: Vec<Suppression>,
    /// Object keys written twice in one object constructor, which Terraform accepts (the
    /// later one wins) and the parser does not: each later one was parsed under a stand-in
    /// key of the same length at this byte offset, and is read back under its own name.
    pub renamed_keys: std::collections::HashMap<(FileId, usize), String>,
}

impl ModuleDef {
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    pub fn local(&self, name: &str) -> Option<&Attr> {
        self.locals.iter().find(|a| a.name == name)
    }

    pub fn resource(&self, data: bool, ty: &str, name: &str) -> Option<(usize, &Resource)> {
        self.resources
            .iter()
            .enumerate()
            .find(|(_, r)| r.data == data && r.ty == ty && r.name == name)
    }

    pub fn module_call(&self, name: &str) -> Option<&ModuleCall> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// The literal `source` strings of the module calls (for finding local child modules).
    pub fn module_sources(&self) -> Vec<String> {
        self.modules
            .iter()
            .filter_map(|m| m.body.attr("source"))
            .filter_map(|a| literal_string(&a.expr))
            .collect()
    }
}

/// The string of a literal string expression (no interpolation).
pub fn literal_string(e: &Expr) -> Option<String> {
    match e {
        Expr::Hcl { expr, .. } => match expr {
            Expression::String(s) => Some(s.value().clone()),
            Expression::StringTemplate(t) => {
                let mut out = String::new();
                for el in t.iter() {
                    match el {
                        hcl::edit::template::Element::Literal(l) => out.push_str(l.value()),
                        _ => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        },
        Expr::Json(JNode::Str {
            value, template, ..
        }) if template.is_none() => Some(value.clone()),
        _ => None,
    }
}

/// Converts an optional hcl-edit range into a span of `file`.
pub fn span_of(file: FileId, r: Option<std::ops::Range<usize>>) -> Span {
    match r {
        Some(r) => Span::new(file, r.start, r.end),
        None => Span::new(file, 0, 0),
    }
}

/// Lists the Terraform files of `dir` in name order: `.tf` and `.tf.json` (override files
/// included, as plain files).
pub fn module_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            // Links and special files too: the guarded read refuses what it must, with an error.
            .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
            .map(|e| e.path())
            .filter(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                n.ends_with(".tf") || n.ends_with(".tf.json")
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Reads and parses every Terraform file of `dir`.
pub fn parse_module(ctx: &Context, dir: &Path) -> ModuleDef {
    let mut def = ModuleDef {
        dir: dir.to_path_buf(),
        ..ModuleDef::default()
    };
    for path in module_files(dir) {
        let display = ctx.display_path(&path);
        let (id, file) = match ctx.load(&path, display.clone()) {
            Ok(x) => x,
            Err(error) => {
                def.load_failures.push(LoadFailure { display, error });
                continue;
            }
        };
        def.files.push((id, file.clone()));
        let is_json = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".tf.json"));
        let body = if is_json {
            match super::json_syntax::parse_file(&file.text, id) {
                Ok((b, comments)) => {
                    def.suppressions
                        .extend(json_comment_suppressions(&b, &comments));
                    b
                }
                Err(e) => {
                    def.errors.push(e);
                    continue;
                }
            }
        } else {
            match parse_hcl_lenient(&file.text, id) {
                Ok((b, comments, renamed)) => {
                    def.renamed_keys
                        .extend(renamed.into_iter().map(|(at, k)| ((id, at), k)));
                    let blocks = top_blocks(&b);
                    def.suppressions
                        .extend(suppress::from_comments(&file, id, &comments, &blocks));
                    b
                }
                Err(e) => {
                    def.errors.push(e);
                    continue;
                }
            }
        };
        collect(body, &mut def);
    }
    def
}

/// The `resource`, `data` and `module` blocks of a file with their addresses: a suppression
/// comment directly above one covers all of it.
fn top_blocks(body: &Body) -> Vec<(Span, String)> {
    body.blocks
        .iter()
        .filter(|b| matches!(b.kind.as_str(), "resource" | "data" | "module"))
        .map(|b| {
            let address = match b.kind.as_str() {
                "resource" => b.labels.join("."),
                other => std::iter::once(other.to_string())
                    .chain(b.labels.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("."),
            };
            (b.span, address)
        })
        .collect()
}

/// Terraform JSON has no comments; its documented comment is a `"//"` property of a block
/// object. One in a `resource`, `data` or `module` block covers the block.
fn json_comment_suppressions(
    body: &Body,
    comments: &[super::json_syntax::JsonComment],
) -> Vec<Suppression> {
    let blocks = top_blocks(body);
    let mut out = Vec::new();
    for c in comments {
        if let Some((rules, reason)) = suppress::parse_marker(&c.text) {
            out.push(Suppression {
                span: c.span,
                rules,
                reason,
                target: suppress::Target::Span(c.block),
                address: blocks
                    .iter()
                    .find(|b| b.0 == c.block)
                    .map(|b| b.1.clone())
                    .unwrap_or_default(),
            });
        }
    }
    out
}

/// Parses HCL text into a [`Body`]; a syntax error carries hcl-edit's line and column.
pub fn parse_hcl(text: &str, file: FileId) -> Result<Body, SourceError> {
    parse_hcl_inner(text, file, false).map(|(b, _, _)| b)
}

/// Parses a module file into a [`Body`] and its comments (the `#`, `//` and `/* */` text
/// outside every string, template and heredoc that hcl-edit parsed). It accepts an object
/// constructor that writes a key twice (`{ a = 1, a = 2 }`), as Terraform does (the later one
/// wins; HCL refuses duplicates only in `for` expressions): each later key is parsed under a
/// stand-in of the same length, returned with its byte offset and its own name so that the
/// evaluator reads it back under that name.
pub fn parse_hcl_lenient(text: &str, file: FileId) -> Result<ParsedHcl, SourceError> {
    parse_hcl_inner(text, file, true)
}

/// A parsed file: its body, comments, and the object keys read under stand-ins.
pub type ParsedHcl = (Body, Vec<Comment>, Vec<(usize, String)>);

/// How many repeated object keys one file may have before its parse error stands.
const MAX_RENAMED_KEYS: usize = 64;

/// How many bytes the parses of one file with repeated keys may read in all.
const MAX_REPARSED_BYTES: usize = 32 << 20;

fn parse_hcl_inner(text: &str, file: FileId, lenient: bool) -> Result<ParsedHcl, SourceError> {
    let mut renamed: Vec<(usize, String)> = Vec::new();
    let mut owned: Option<String> = None;
    loop {
        let current = owned.as_deref().unwrap_or(text);
        let e = match hcl::edit::parser::parse_body(current) {
            Ok(body) => {
                let mut strings = StringSpans(Vec::new());
                hcl::edit::visit::Visit::visit_body(&mut strings, &body);
                let comments = comments_outside(text, strings.0);
                return Ok((convert_body(body, file), comments, renamed));
            }
            Err(e) => e,
        };
        let loc = e.location();
        // Each stand-in costs a parse of the whole file: a bound on both the count and the
        // bytes parsed keeps a hostile file from making it slow.
        let stand_in = (lenient
            && renamed.len() < MAX_RENAMED_KEYS
            && (renamed.len() + 1).saturating_mul(text.len()) <= MAX_REPARSED_BYTES
            && e.message().contains("redefined object key"))
        .then(|| byte_offset(current, loc.line(), loc.column()))
        .flatten()
        .and_then(|at| {
            stand_in_key(current, at, renamed.len()).map(|(len, own, s)| (at, len, own, s))
        });
        if let Some((at, len, own, key)) = stand_in {
            let mut next = current.to_string();
            next.replace_range(at..at + len, &key);
            owned = Some(next);
            renamed.push((at, own));
            continue;
        }
        return Err(SourceError::at_line(
            file,
            loc.line(),
            loc.column(),
            format!("invalid HCL: {}", e.message()),
        ));
    }
}

/// The byte offset of a 1-based line and column (in characters).
fn byte_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    let col = rest
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map_or(rest.len(), |(i, _)| i);
    Some(start + col)
}

/// A stand-in for the object key at `at`: (its length, its own name, the stand-in of the
/// same length). A plain quoted key gets `"~N~~"`, a bare name `_N__`; any other key (one
/// with escapes or interpolation, an expression) gets none.
fn stand_in_key(text: &str, at: usize, n: usize) -> Option<(usize, String, String)> {
    let rest = text.get(at..)?;
    // Only an object item's key: after `{`, `,` or a line break, and before `=` or `:`.
    let before = text.get(..at)?.trim_end_matches([' ', '\t', '\r']);
    if !(before.is_empty() || before.ends_with(['{', ',', '\n'])) {
        return None;
    }
    let key_then = |len: usize| {
        rest.get(len..)
            .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with(['=', ':']))
    };
    let mark = |len: usize, fill: char| -> Option<String> {
        let head = format!("{fill}{n}");
        (head.len() <= len).then(|| format!("{head}{}", fill.to_string().repeat(len - head.len())))
    };
    if let Some(body) = rest.strip_prefix('"') {
        let end = body.find(['"', '\n'])?;
        let own = &body[..end];
        if !body[end..].starts_with('"') || own.contains(['\\', '$', '%']) || own.is_empty() {
            return None;
        }
        let key = mark(own.len(), '~')?;
        if !key_then(own.len() + 2) {
            return None;
        }
        return Some((own.len() + 2, own.to_string(), format!("\"{key}\"")));
    }
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let own = &rest[..len];
    if own.is_empty()
        || !own.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        || !key_then(len)
    {
        return None;
    }
    Some((len, own.to_string(), mark(len, '_')?))
}

/// The byte ranges of every string literal, string template, heredoc and quoted block label.
struct StringSpans(Vec<std::ops::Range<usize>>);

impl hcl::edit::visit::Visit for StringSpans {
    fn visit_expr(&mut self, node: &Expression) {
        match node {
            Expression::String(_)
            | Expression::StringTemplate(_)
            | Expression::HeredocTemplate(_) => {
                if let Some(r) = node.span() {
                    self.0.push(r);
                }
            }
            _ => hcl::edit::visit::visit_expr(self, node),
        }
    }

    fn visit_block_label(&mut self, node: &BlockLabel) {
        if let BlockLabel::String(s) = node
            && let Some(r) = s.span()
        {
            self.0.push(r);
        }
    }
}

/// Finds the comments of HCL `text` outside `strings` (which must cover every string of the
/// file): outside strings, `#`, `//` and `/*` only ever start a comment.
fn comments_outside(text: &str, mut strings: Vec<std::ops::Range<usize>>) -> Vec<Comment> {
    strings.sort_by_key(|r| r.start);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut next_string = strings.into_iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        while next_string.peek().is_some_and(|r| r.end <= i) {
            next_string.next();
        }
        if let Some(r) = next_string.peek()
            && r.start <= i
        {
            i = r.end.max(i + 1);
            continue;
        }
        let (open, close): (usize, Option<&str>) = match (bytes[i], bytes.get(i + 1)) {
            (b'#', _) => (1, None),
            (b'/', Some(b'/')) => (2, None),
            (b'/', Some(b'*')) => (2, Some("*/")),
            _ => {
                i += 1;
                continue;
            }
        };
        let body_start = i + open;
        let end = match close {
            Some(c) => text
                .get(body_start..)
                .and_then(|rest| rest.find(c))
                .map_or(text.len(), |j| body_start + j + c.len()),
            None => bytes[body_start..]
                .iter()
                .position(|b| *b == b'\n' || *b == b'\r')
                .map_or(text.len(), |j| body_start + j),
        };
        let body_end = if close.is_some() && end >= body_start + 2 {
            end - 2
        } else {
            end
        };
        out.push(Comment {
            start: i,
            end,
            text: text.get(body_start..body_end).unwrap_or("").to_string(),
        });
        i = end.max(i + 1);
    }
    out
}

fn convert_body(body: hcl::edit::structure::Body, file: FileId) -> Body {
    let mut out = Body::default();
    for s in body {
        match s {
            Structure::Attribute(a) => {
                let span = span_of(file, a.span());
                let key_span = span_of(file, a.key.span());
                out.attrs.push(Attr {
                    name: a.key.as_str().to_string(),
                    key_span,
                    span,
                    expr: Expr::Hcl {
                        expr: a.value,
                        file,
                    },
                });
            }
            Structure::Block(b) => {
                let span = span_of(file, b.span());
                let labels = b
                    .labels
                    .iter()
                    .map(|l| match l {
                        BlockLabel::Ident(i) => i.as_str().to_string(),
                        BlockLabel::String(s) => s.value().clone(),
                    })
                    .collect();
                out.blocks.push(Block {
                    kind: b.ident.as_str().to_string(),
                    labels,
                    span,
                    body: convert_body(b.body, file),
                });
            }
        }
    }
    out
}

/// Sorts the top-level blocks of a file into the module definition.
pub fn collect(body: Body, def: &mut ModuleDef) {
    for b in body.blocks {
        let mut labels = b.labels.into_iter();
        match b.kind.as_str() {
            "resource" | "data" => {
                if let (Some(ty), Some(name)) = (labels.next(), labels.next()) {
                    def.resources.push(Resource {
                        data: b.kind == "data",
                        ty,
                        name,
                        span: b.span,
                        body: b.body,
                    });
                }
            }
            "variable" => {
                if let Some(name) = labels.next() {
                    let mut body = b.body;
                    let default = body
                        .attrs
                        .iter()
                        .position(|a| a.name == "default")
                        .map(|i| body.attrs.swap_remove(i));
                    let ty = body
                        .attrs
                        .iter()
                        .position(|a| a.name == "type")
                        .map(|i| body.attrs.swap_remove(i));
                    def.variables.push(Variable {
                        name,
                        span: b.span,
                        default,
                        ty,
                    });
                }
            }
            "locals" => def.locals.extend(b.body.attrs),
            "module" => {
                if let Some(name) = labels.next() {
                    def.modules.push(ModuleCall {
                        name,
                        span: b.span,
                        body: b.body,
                    });
                }
            }
            "output" => {
                if let Some(name) = labels.next() {
                    let mut body = b.body;
                    let value = body
                        .attrs
                        .iter()
                        .position(|a| a.name == "value")
                        .map(|i| body.attrs.swap_remove(i));
                    def.outputs.push((name, b.span, value));
                }
            }
            _ => {}
        }
    }
}
