//! CloudFormation loader: recognises templates by content among YAML, JSON and `.template`
//! candidates (plus the stacks a CDK `manifest.json` lists), parses each once in parallel,
//! resolves intrinsics, conditions, parameters and mappings offline, and hands on the IAM model
//! of every role (`AWS::IAM::Role`, SAM's implicit roles, roles of local nested stacks) with
//! errors and notices.
//!
//! Modules: `template` (recognise and parse), `parameters`, `intrinsics`, `conditions` (and role
//! variants), `extract` (roles and linked policies, nested stacks), `sam`, `sam_policies`,
//! `cdk`. The YAML DOM is `crate::source::yaml`.

mod cdk;
mod conditions;
mod extract;
mod intrinsics;
mod parameters;
mod sam;
mod sam_policies;
mod template;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::iam::model::RoleState;
use crate::source::{Context, Extraction, SourceError};
use crate::span::FileId;

use template::{Outcome, Template};

pub use conditions::MAX_VARIANTS;

/// Reads the candidate files and returns the roles of every template among them.
pub fn extract(
    ctx: &crate::source::Context,
    files: &[std::path::PathBuf],
) -> crate::source::Extraction {
    let mut out = Extraction::default();
    let user = parameters::user_parameters(ctx);
    out.errors.extend(user.errors);
    out.load_failures.extend(user.load_failures);

    // Each file once, whatever path reached it.
    let mut seen = HashSet::new();
    let mut candidates: Vec<(PathBuf, PathBuf)> = Vec::new();
    for f in files {
        let c = f.canonicalize().unwrap_or_else(|_| f.clone());
        if seen.insert(c.clone()) {
            candidates.push((f.clone(), c));
        }
    }
    let listed: Vec<cdk::Listed> = candidates
        .par_iter()
        .filter(|(p, _)| cdk::is_manifest(p))
        .map(|(p, _)| cdk::manifest_templates(ctx, p))
        .collect();
    // The manifest that lists a template is part of its roles' provenance.
    let mut manifest_of: HashMap<PathBuf, FileId> = HashMap::new();
    for l in listed {
        out.errors.extend(l.errors);
        for (p, manifest) in l.templates {
            let c = p.canonicalize().unwrap_or_else(|_| p.clone());
            manifest_of.entry(c.clone()).or_insert(manifest);
            if seen.insert(c.clone()) {
                candidates.push((p, c));
            }
        }
    }
    candidates.sort();

    let outcomes: Vec<(PathBuf, Outcome)> = candidates
        .par_iter()
        .map(|(p, c)| (c.clone(), template::read(ctx, p)))
        .collect();

    let mut parsed: HashMap<PathBuf, Arc<Template>> = HashMap::new();
    let mut order: Vec<PathBuf> = Vec::new();
    for (c, outcome) in outcomes {
        match outcome {
            Outcome::Ignored => {}
            Outcome::LoadFailure(f) => out.load_failures.push(f),
            Outcome::Errors(e) => out.errors.extend(e),
            Outcome::Template(t, e) => {
                out.errors.extend(e);
                out.suppressions.extend(t.suppressions.iter().cloned());
                order.push(c.clone());
                parsed.insert(c, Arc::from(t));
            }
        }
    }

    out.sources_read += order.len();
    let roots = top_level(&order, &parsed);
    let registry = Registry {
        parsed,
        extra: Mutex::new(HashMap::new()),
    };
    let results: Vec<Extraction> = roots
        .par_iter()
        .filter_map(|c| registry.parsed.get(c).map(|t| (c, t)))
        .map(|(c, t)| {
            let mut one = Extraction::default();
            let mut chain = vec![c.clone()];
            let mut files = user.files.clone();
            files.extend(manifest_of.get(c).copied());
            let frame = extract::Frame {
                given: &user.given,
                nested: false,
                prefix: String::new(),
                state: RoleState::Checked,
                files,
            };
            extract::extract_template(ctx, &registry, t, &frame, &mut chain, &mut one);
            let root = crate::discover::repo_relative(&ctx.root, &t.path);
            for r in &mut one.roles {
                r.root.clone_from(&root);
            }
            one
        })
        .collect();
    for r in results {
        out.merge(r);
    }
    // Nested templates read on demand carry their suppressions too.
    for t in registry
        .extra
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .flatten()
    {
        out.suppressions.extend(t.suppressions.iter().cloned());
    }
    out
}

/// The templates evaluated on their own, in path order: those that no other template names as a
/// nested stack (the others are read through their parent, with the parameters it passes),
/// then, for templates reached from none of those (nested stacks that name themselves or each
/// other), the first of each cycle, so that every template is evaluated at least once.
fn top_level(order: &[PathBuf], parsed: &HashMap<PathBuf, Arc<Template>>) -> Vec<PathBuf> {
    let children: HashMap<&PathBuf, Vec<PathBuf>> = parsed
        .iter()
        .map(|(c, t)| (c, static_children(t)))
        .collect();
    let nested: HashSet<&PathBuf> = children.values().flatten().collect();
    let mut roots: Vec<PathBuf> = order
        .iter()
        .filter(|c| !nested.contains(c))
        .cloned()
        .collect();
    let mut reached: HashSet<PathBuf> = HashSet::new();
    let reach = |from: &PathBuf, reached: &mut HashSet<PathBuf>| {
        let mut todo = vec![from.clone()];
        while let Some(c) = todo.pop() {
            if reached.insert(c.clone()) {
                todo.extend(children.get(&c).into_iter().flatten().cloned());
            }
        }
    };
    for r in &roots {
        reach(r, &mut reached);
    }
    for c in order {
        if !reached.contains(c) {
            reach(c, &mut reached);
            roots.push(c.clone());
        }
    }
    roots
}

/// Local nested templates a template names literally (for deciding what is top-level).
fn static_children(t: &Template) -> Vec<PathBuf> {
    let dir = t.path.parent().unwrap_or(Path::new("."));
    t.resources
        .iter()
        .filter(|r| r.ty == "AWS::CloudFormation::Stack")
        .filter_map(|r| {
            let rel = r.metadata_str("aws:asset:path").or_else(|| {
                r.property("TemplateURL")
                    .and_then(crate::value::Val::as_str)
            })?;
            let rel = rel.strip_prefix("file://").unwrap_or(rel);
            if rel.contains("://") {
                return None;
            }
            dir.join(rel).canonicalize().ok()
        })
        .collect()
}

/// A template read on demand (a nested stack), or the errors reading it gave.
type Loaded = Result<Arc<Template>, Vec<SourceError>>;

struct Registry {
    parsed: HashMap<PathBuf, Arc<Template>>,
    extra: Mutex<HashMap<PathBuf, Loaded>>,
}

impl extract::Templates for Registry {
    fn get(&self, ctx: &Context<'_>, path: &Path) -> Result<Arc<Template>, Vec<SourceError>> {
        if let Some(t) = self.parsed.get(path) {
            return Ok(t.clone());
        }
        if let Some(r) = self
            .extra
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return r.clone();
        }
        let r = match template::read(ctx, path) {
            Outcome::Template(t, errors) if errors.is_empty() => Ok(Arc::from(t)),
            Outcome::Template(_, errors) | Outcome::Errors(errors) => Err(errors),
            Outcome::LoadFailure(f) => Err(vec![SourceError::whole_file(
                ctx.sources.find(path).unwrap_or_default(),
                format!(
                    "the nested template {} cannot be read: {}",
                    f.display, f.error
                ),
            )]),
            Outcome::Ignored => Err(vec![SourceError::whole_file(
                ctx.sources.find(path).unwrap_or_default(),
                format!(
                    "the nested template {} is not a CloudFormation template",
                    ctx.display_path(path)
                ),
            )]),
        };
        self.extra
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_path_buf(), r.clone());
        r
    }
}
