//! CDK output (`cdk.out`): the stacks that `manifest.json` lists (artifacts of type
//! `aws:cloudformation:stack`, `properties.templateFile`), so that a synthesized app is read
//! whole even when its templates are not named on the command line. Nested stacks
//! (`*.nested.template.json`, referenced through `aws:asset:path` metadata) and `aws:cdk:path`
//! metadata are read by `extract`.

use std::path::{Path, PathBuf};

use crate::source::{Context, SourceError};
use crate::span::FileId;
use crate::value::{Val, ValKind};

/// True for a CDK cloud assembly manifest.
pub fn is_manifest(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "manifest.json")
}

/// What a manifest lists: the stack templates that are there (with the manifest's file, for
/// the provenance of their roles), and an error at each entry naming a template that is
/// missing or outside the root.
#[derive(Debug, Default)]
pub struct Listed {
    pub templates: Vec<(PathBuf, FileId)>,
    pub errors: Vec<SourceError>,
}

/// The stack templates a manifest lists, as paths next to it. A manifest that cannot be read is
/// not a template and gives nothing.
pub fn manifest_templates(ctx: &Context<'_>, path: &Path) -> Listed {
    let mut out = Listed::default();
    let Ok((file, source)) = ctx.load(path, ctx.display_path(path)) else {
        return out;
    };
    if !source.text.contains("aws:cloudformation:stack") {
        return out;
    }
    let Ok(root) = crate::source::json::parse(&source.text, file, 0) else {
        return out;
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(ValKind::Map(artifacts)) = root.get("artifacts").map(|a| &a.kind) {
        for (name, a) in artifacts {
            if a.get("type").and_then(Val::as_str) != Some("aws:cloudformation:stack") {
                continue;
            }
            let Some(entry) = a.get("properties").and_then(|p| p.get("templateFile")) else {
                continue;
            };
            let Some(t) = entry.as_str() else {
                continue;
            };
            let p = crate::discover::normalize(&dir.join(t));
            if !p.exists() {
                out.errors.push(SourceError::at(
                    entry.span,
                    format!(
                        "the CDK manifest {} lists stack {} with the template {}, which does not exist; its roles were not checked",
                        ctx.display_path(path),
                        name.name,
                        ctx.display_path(&p)
                    ),
                ));
            } else if !ctx.inside_root(&p) {
                out.errors.push(SourceError::at(
                    entry.span,
                    format!(
                        "the CDK manifest {} lists stack {} with the template {}, which is outside the root {}; it was not read",
                        ctx.display_path(path),
                        name.name,
                        ctx.display_path(&p),
                        ctx.display_path(&ctx.root)
                    ),
                ));
            } else {
                out.templates.push((p, file));
            }
        }
    }
    out
}
