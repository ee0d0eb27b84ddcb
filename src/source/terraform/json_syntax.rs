//! Terraform JSON syntax (`.tf.json`, CDK for Terraform output): reads the JSON with spans and
//! turns it into the same [`Body`] tree as HCL files. Which object keys are nested blocks depends
//! on the resource schema; the block types this linter reads (`inline_policy`, `statement`,
//! `principals`, `condition`, `dynamic`, ...) are known here. Strings are templates: those holding
//! `${` or `%{` are parsed with hcl-edit's template parser and evaluated like HCL.

use crate::source::SourceError;
use crate::source::json;
use crate::span::{FileId, Span};
use crate::value::{Key, Val, ValKind};

use super::parse::{Attr, Block, Body, Expr, JNode};

/// Nested block types inside resources and data sources that we need to see as blocks.
const BLOCK_KINDS: &[&str] = &[
    "inline_policy",
    "statement",
    "principals",
    "not_principals",
    "condition",
    "content",
    "lifecycle",
];

/// A `"//"` comment property of a `resource`, `data` or `module` block: the block's span, the
/// comment's text and span. Terraform ignores the property; it is the only comment JSON has.
pub struct JsonComment {
    pub block: Span,
    pub text: String,
    pub span: Span,
}

/// The `"//"` strings (one or a list) of a block object.
fn comments_of(obj: &Val, out: &mut Vec<JsonComment>) {
    if let Some(c) = obj.get("//") {
        for item in c.items() {
            if let Some(text) = item.as_str() {
                out.push(JsonComment {
                    block: obj.span,
                    text: text.to_string(),
                    span: item.span,
                });
            }
        }
    }
}

/// Parses a `.tf.json` file into a [`Body`] of top-level blocks, with the blocks' `"//"`
/// comments.
pub fn parse_file(text: &str, file: FileId) -> Result<(Body, Vec<JsonComment>), SourceError> {
    let mut comments = Vec::new();
    let v = json::parse(text, file, 0).map_err(|e| {
        SourceError::at(
            Span::new(file, e.offset, e.offset + 1),
            format!("invalid Terraform JSON: {}", e.message),
        )
    })?;
    let ValKind::Map(top) = v.kind else {
        return Err(SourceError::at(
            v.span,
            "a Terraform JSON file must hold an object",
        ));
    };
    let mut body = Body::default();
    for (k, val) in top {
        match k.name.as_str() {
            "resource" | "data" => {
                for (ty, names) in entries(val) {
                    for (name, objs) in entries(names) {
                        for obj in objects(objs) {
                            comments_of(&obj, &mut comments);
                            body.blocks.push(Block {
                                kind: k.name.clone(),
                                labels: vec![ty.name.clone(), name.name.clone()],
                                span: obj.span,
                                body: convert_body(obj, file),
                            });
                        }
                    }
                }
            }
            "variable" | "module" | "output" => {
                for (name, objs) in entries(val) {
                    for obj in objects(objs) {
                        if k.name == "module" {
                            comments_of(&obj, &mut comments);
                        }
                        let span = obj.span;
                        let b = if k.name == "variable" {
                            variable_body(obj, file)
                        } else {
                            convert_body(obj, file)
                        };
                        body.blocks.push(Block {
                            kind: k.name.clone(),
                            labels: vec![name.name.clone()],
                            span,
                            body: b,
                        });
                    }
                }
            }
            "locals" => {
                for obj in objects(val) {
                    body.blocks.push(Block {
                        kind: "locals".into(),
                        labels: Vec::new(),
                        span: obj.span,
                        body: convert_body(obj, file),
                    });
                }
            }
            _ => {}
        }
    }
    Ok((body, comments))
}

fn entries(v: Val) -> Vec<(Key, Val)> {
    match v.kind {
        ValKind::Map(e) => e,
        _ => Vec::new(),
    }
}

/// An object, or each object of an array of objects.
fn objects(v: Val) -> Vec<Val> {
    match v.kind {
        ValKind::Map(_) => vec![v],
        ValKind::List(items) => items
            .into_iter()
            .filter(|i| matches!(i.kind, ValKind::Map(_)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A variable's `default` is a literal value in JSON syntax, not a template.
fn variable_body(obj: Val, file: FileId) -> Body {
    let mut body = Body::default();
    for (k, v) in entries(obj) {
        if k.name == "default" {
            let span = Span::new(file, k.span.start as usize, v.span.end as usize);
            body.attrs.push(Attr {
                name: k.name,
                key_span: k.span,
                span,
                expr: Expr::Json(literal(v)),
            });
        }
    }
    body
}

fn convert_body(obj: Val, file: FileId) -> Body {
    let mut body = Body::default();
    for (k, v) in entries(obj) {
        if k.name == "//" {
            continue;
        }
        if k.name == "dynamic" {
            for (label, objs) in entries(v) {
                for o in objects(objs) {
                    let span = o.span;
                    body.blocks.push(Block {
                        kind: "dynamic".into(),
                        labels: vec![label.name.clone()],
                        span,
                        body: convert_body(o, file),
                    });
                }
            }
            continue;
        }
        if BLOCK_KINDS.contains(&k.name.as_str()) {
            for o in objects(v) {
                let span = o.span;
                body.blocks.push(Block {
                    kind: k.name.clone(),
                    labels: Vec::new(),
                    span,
                    body: convert_body(o, file),
                });
            }
            continue;
        }
        let span = Span::new(file, k.span.start as usize, v.span.end as usize);
        body.attrs.push(Attr {
            name: k.name,
            key_span: k.span,
            span,
            expr: Expr::Json(node(v)),
        });
    }
    body
}

/// A JSON value whose strings are templates.
pub fn node(v: Val) -> JNode {
    match v.kind {
        ValKind::Null => JNode::Null(v.span),
        ValKind::Bool(b) => JNode::Bool(b, v.span),
        ValKind::Number(n) => JNode::Number(n, v.span),
        ValKind::Str(s) => {
            let template = if s.contains("${") || s.contains("%{") {
                hcl::edit::parser::parse_template(&s).ok().map(Box::new)
            } else {
                None
            };
            JNode::Str {
                value: s,
                span: v.span,
                template,
                base: v.span.start as usize + 1,
            }
        }
        ValKind::List(items) => JNode::List(items.into_iter().map(node).collect(), v.span),
        ValKind::Map(e) => JNode::Map(e.into_iter().map(|(k, v)| (k, node(v))).collect(), v.span),
        ValKind::Unknown(_) => JNode::Null(v.span),
    }
}

/// A JSON value whose strings are literal.
fn literal(v: Val) -> JNode {
    match v.kind {
        ValKind::Str(s) => JNode::Str {
            value: s,
            span: v.span,
            template: None,
            base: v.span.start as usize + 1,
        },
        ValKind::List(items) => JNode::List(items.into_iter().map(literal).collect(), v.span),
        ValKind::Map(e) => JNode::Map(
            e.into_iter().map(|(k, v)| (k, literal(v))).collect(),
            v.span,
        ),
        _ => node(v),
    }
}
