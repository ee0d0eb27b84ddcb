//! One CloudFormation template, parsed once: how a candidate file is recognised by its content
//! (`AWSTemplateFormatVersion`, a `Resources` map with an `AWS::` type, or a SAM `Transform`),
//! YAML or JSON parsing into the shared [`Val`] tree, and the sections the resolver and the
//! extractors read (Parameters, Mappings, Conditions, Resources, SAM Globals).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::{Context, LoadFailure, SourceError};
use crate::span::{FileId, SourceFile, Span};
use crate::value::{Val, ValKind};

use super::parameters::ParamDecl;

/// SAM's transform name.
pub const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Nesting a JSON template may have (YAML has the same limit in its DOM).
const MAX_JSON_DEPTH: usize = crate::source::yaml::MAX_DEPTH;

/// A resource entry.
#[derive(Debug)]
pub struct Resource {
    pub id: String,
    pub key_span: Span,
    /// From the logical id to the end of its value.
    pub span: Span,
    /// The `Type`, or "" when missing or not a string.
    pub ty: String,
    pub body: Val,
    /// The `Condition` attribute.
    pub condition: Option<String>,
}

impl Resource {
    pub fn properties(&self) -> Option<&Val> {
        self.body.get("Properties")
    }

    pub fn property(&self, key: &str) -> Option<&Val> {
        self.properties().and_then(|p| p.get(key))
    }

    pub fn property_entry(&self, key: &str) -> Option<(&crate::value::Key, &Val)> {
        self.properties().and_then(|p| p.entry(key))
    }

    /// A string in the resource's Metadata, such as `aws:cdk:path`.
    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.body
            .get("Metadata")
            .and_then(|m| m.get(key))
            .and_then(Val::as_str)
    }
}

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    pub file: FileId,
    pub source: Arc<SourceFile>,
    pub path: PathBuf,
    pub parameters: HashMap<String, ParamDecl>,
    pub mappings: Option<Val>,
    pub conditions: HashMap<String, Val>,
    pub resources: Vec<Resource>,
    index: HashMap<String, usize>,
    /// The template declares the SAM transform.
    pub sam: bool,
    /// SAM `Globals` section.
    pub globals: Option<Val>,
    /// Inline suppressions: YAML comments and each resource's `Metadata.iamlint.ignore`.
    pub suppressions: Vec<crate::suppress::Suppression>,
}

impl Template {
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.index.get(id).and_then(|i| self.resources.get(*i))
    }

    /// The source text of a span, for expressions "as written".
    pub fn text(&self, span: Span) -> &str {
        if span.file != self.file {
            return "";
        }
        self.source.slice(span)
    }
}

/// What reading one candidate file gave.
pub enum Outcome {
    /// Not a template: ignored quietly.
    Ignored,
    LoadFailure(LoadFailure),
    /// It looks like a template but does not parse.
    Errors(Vec<SourceError>),
    /// A template, with non-fatal errors (duplicate keys).
    Template(Box<Template>, Vec<SourceError>),
}

/// True when the text may hold a template: the quick test before parsing.
pub fn looks_like_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion")
        || text.contains("\"Resources\"")
        || text.lines().any(|l| {
            let l = l.trim_start_matches(['\'', '"']);
            l.starts_with("Resources")
                && l.trim_start_matches("Resources")
                    .trim_start_matches(['\'', '"'])
                    .trim_start()
                    .starts_with(':')
        })
}

/// Loads, recognises and parses one file.
pub fn read(ctx: &Context<'_>, path: &Path) -> Outcome {
    let (file, source) = match ctx.load(path, ctx.display_path(path)) {
        Ok(x) => x,
        Err(error) => {
            return Outcome::LoadFailure(LoadFailure {
                display: ctx.display_path(path),
                error,
            });
        }
    };
    parse_source(file, source, path)
}

/// Parses an already loaded file.
pub fn parse_source(file: FileId, source: Arc<SourceFile>, path: &Path) -> Outcome {
    let text: &str = &source.text;
    if !looks_like_template(text) {
        return Outcome::Ignored;
    }
    let json = is_json(path, text);
    let mut errors = Vec::new();
    let mut comments = Vec::new();
    let root = if json {
        match crate::source::json::parse(text, file, 0) {
            Ok(v) => v,
            Err(e) => {
                let lc = source.line_col(e.offset);
                return Outcome::Errors(vec![SourceError::at_line(
                    file,
                    lc.line,
                    lc.column,
                    format!("invalid JSON template: {}", e.message),
                )]);
            }
        }
    } else {
        match crate::source::yaml::parse(text, file) {
            Ok(doc) => {
                for d in &doc.duplicates {
                    let first = source.line_col(d.first.start as usize);
                    errors.push(SourceError::at(
                        d.span,
                        format!(
                            "duplicate key `{}` (first at line {}); CloudFormation rejects the template",
                            d.key, first.line
                        ),
                    ));
                }
                comments = doc
                    .comments
                    .iter()
                    .map(|c| crate::suppress::Comment {
                        start: c.span.start as usize,
                        end: c.span.end as usize,
                        text: c.text.clone(),
                    })
                    .collect();
                match doc.root {
                    Some(n) => crate::source::yaml::to_val(&n),
                    None => return Outcome::Ignored,
                }
            }
            Err(e) => {
                return Outcome::Errors(vec![SourceError::at_line(
                    file,
                    e.line,
                    e.column,
                    format!("invalid YAML template: {}", e.message),
                )]);
            }
        }
    };
    if json && let Some(span) = too_deep(&root) {
        return Outcome::Errors(vec![SourceError::at(
            span,
            format!("the template nests deeper than {MAX_JSON_DEPTH} levels; it was not read"),
        )]);
    }
    match from_val(root, file, source.clone(), path) {
        Some(mut t) => {
            let blocks: Vec<(Span, String)> =
                t.resources.iter().map(|r| (r.span, r.id.clone())).collect();
            t.suppressions = crate::suppress::from_comments(&source, file, &comments, &blocks);
            t.suppressions.extend(metadata_suppressions(&t.resources));
            Outcome::Template(Box::new(t), errors)
        }
        None => Outcome::Ignored,
    }
}

/// `Metadata: {iamlint: {ignore: [{rule: IAM002, reason: "..."}]}}` on a resource: structured
/// suppressions that cover the whole resource, in YAML and JSON alike. `rule` may also be a
/// list of ids.
fn metadata_suppressions(resources: &[Resource]) -> Vec<crate::suppress::Suppression> {
    let mut out = Vec::new();
    for r in resources {
        let Some(list) = r
            .body
            .get("Metadata")
            .and_then(|m| m.get("iamlint"))
            .and_then(|m| m.get("ignore"))
        else {
            continue;
        };
        for entry in list.items() {
            let rules: Vec<String> = match entry.get("rule") {
                Some(v) => v
                    .items()
                    .into_iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                None => Vec::new(),
            };
            let reason = entry
                .get("reason")
                .and_then(Val::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            out.push(crate::suppress::Suppression {
                span: entry.span,
                rules,
                reason,
                target: crate::suppress::Target::Span(r.span),
                address: r.id.clone(),
            });
        }
    }
    out
}

fn is_json(path: &Path, text: &str) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".json") || (name.ends_with(".template") && text.trim_start().starts_with('{'))
}

/// The span of a node deeper than the limit, if any (iterative).
fn too_deep(root: &Val) -> Option<Span> {
    let mut todo = vec![(root, 0usize)];
    while let Some((v, d)) = todo.pop() {
        if d > MAX_JSON_DEPTH {
            return Some(v.span);
        }
        match &v.kind {
            ValKind::List(items) => todo.extend(items.iter().map(|i| (i, d + 1))),
            ValKind::Map(entries) => todo.extend(entries.iter().map(|(_, i)| (i, d + 1))),
            _ => {}
        }
    }
    None
}

fn is_sam_transform(v: &Val) -> bool {
    v.items().iter().any(|t| t.as_str() == Some(SAM_TRANSFORM))
}

/// Builds the template from its root value, or `None` when it is not a template.
pub fn from_val(root: Val, file: FileId, source: Arc<SourceFile>, path: &Path) -> Option<Template> {
    let ValKind::Map(entries) = root.kind else {
        return None;
    };
    let has_version = entries
        .iter()
        .any(|(k, _)| k.name == "AWSTemplateFormatVersion");
    let sam = entries
        .iter()
        .any(|(k, v)| k.name == "Transform" && is_sam_transform(v));
    let has_aws_type = entries.iter().any(|(k, v)| {
        k.name == "Resources"
            && matches!(&v.kind, ValKind::Map(rs) if rs.iter().any(|(_, r)| {
                r.get("Type").and_then(Val::as_str).is_some_and(|t| t.starts_with("AWS::"))
            }))
    });
    if !(has_version || sam || has_aws_type) {
        return None;
    }
    let mut t = Template {
        file,
        source,
        path: path.to_path_buf(),
        parameters: HashMap::new(),
        mappings: None,
        conditions: HashMap::new(),
        resources: Vec::new(),
        index: HashMap::new(),
        sam,
        globals: None,
        suppressions: Vec::new(),
    };
    for (k, v) in entries {
        match k.name.as_str() {
            "Parameters" => {
                if let ValKind::Map(ps) = v.kind {
                    for (pk, pv) in ps {
                        let decl = ParamDecl::read(&pk, &pv);
                        t.parameters.insert(pk.name, decl);
                    }
                }
            }
            "Mappings" => t.mappings = Some(v),
            "Conditions" => {
                if let ValKind::Map(cs) = v.kind {
                    for (ck, cv) in cs {
                        t.conditions.insert(ck.name, cv);
                    }
                }
            }
            "Globals" => t.globals = Some(v),
            "Resources" => {
                if let ValKind::Map(rs) = v.kind {
                    for (rk, rv) in rs {
                        let ty = rv
                            .get("Type")
                            .and_then(Val::as_str)
                            .unwrap_or("")
                            .to_string();
                        let condition = rv
                            .get("Condition")
                            .and_then(Val::as_str)
                            .map(str::to_string);
                        let span = Span::new(file, rk.span.start as usize, rv.span.end as usize);
                        t.index.insert(rk.name.clone(), t.resources.len());
                        t.resources.push(Resource {
                            id: rk.name,
                            key_span: rk.span,
                            span,
                            ty,
                            body: rv,
                            condition,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Some(t)
}
