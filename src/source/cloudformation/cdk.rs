//! CDK output (`cdk.out`): the stacks that `manifest.json` lists (artifacts of type
//! `aws:cloudformation:stack`, `properties.templateFile`), so that a synthesized app is read
//! whole even when its templates are not named on the command line. Nested stacks
//! (`*.nested.template.json`, referenced through `aws:asset:path` metadata) and `aws:cdk:path`
//! metadata are read by `extract`.

use std::path::{Path, PathBuf};

use crate::source::Context;
use crate::value::{Val, ValKind};

/// True for a CDK cloud assembly manifest.
pub fn is_manifest(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "manifest.json")
}

/// The stack templates a manifest lists, as paths next to it. A manifest that cannot be read is
/// not a template and gives nothing.
pub fn manifest_templates(ctx: &Context<'_>, path: &Path) -> Vec<PathBuf> {
    let Ok((file, source)) = ctx.load(path, ctx.display_path(path)) else {
        return Vec::new();
    };
    if !source.text.contains("aws:cloudformation:stack") {
        return Vec::new();
    }
    let Ok(root) = crate::source::json::parse(&source.text, file, 0) else {
        return Vec::new();
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    if let Some(ValKind::Map(artifacts)) = root.get("artifacts").map(|a| &a.kind) {
        for (_, a) in artifacts {
            if a.get("type").and_then(Val::as_str) != Some("aws:cloudformation:stack") {
                continue;
            }
            if let Some(t) = a
                .get("properties")
                .and_then(|p| p.get("templateFile"))
                .and_then(Val::as_str)
            {
                let p = dir.join(t);
                // A listed template that is missing is read anyway, so that it is reported as
                // a file that cannot be read; one outside the root is not read.
                if !p.exists() || ctx.inside_root(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}
