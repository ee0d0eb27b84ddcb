//! Terraform loader. Owns everything from `.tf` / `.tf.json` / tfvars / plan JSON files to IAM
//! [`Role`](crate::iam::model::Role)s: parsing (`parse`, `json_syntax`), evaluation of
//! expressions, variables, locals, functions and modules (`eval`, `functions`, `vars`,
//! `module`, `resources`), policy documents (`policy_document`), role extraction and linking
//! (`extract`) and plans (`plan`). Hands on an [`Extraction`].
//!
//! Each directory is a module. Directories called by another scanned directory as a local
//! module are evaluated only through their callers (their roles get `module.x.` addresses);
//! the others are root modules, evaluated in parallel with their tfvars.

mod collections;
mod crypto;
mod encoding;
mod eval;
mod extract;
mod fileset;
mod functions;
mod json_syntax;
mod module;
mod network;
mod parse;
mod plan;
mod policy_document;
pub mod registry;
mod resources;
pub(crate) mod strmap;
mod time;
mod types;
mod vars;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::source::{Context, Extraction};

/// The variable whose default an unknown stands for (rules read it from the model).
pub use eval::default_variable;
use eval::{Instance, Shared};
use module::{ModuleCache, is_local_source, join_normal};

/// Reads the Terraform modules in `dirs` and the plan files in `plans`.
pub fn extract(ctx: &Context, dirs: &BTreeSet<PathBuf>, plans: &[PathBuf]) -> Extraction {
    let cache = ModuleCache::default();
    let parsed: Vec<(PathBuf, parse::ModuleDef)> = dirs
        .par_iter()
        .map(|d| (d.clone(), parse::parse_module(ctx, d)))
        .collect();
    // Directories that a scanned directory calls as a local module.
    let canon = |d: &Path| d.canonicalize().unwrap_or_else(|_| d.to_path_buf());
    let mut calls: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    let mut called: HashSet<PathBuf> = HashSet::new();
    for (dir, def) in &parsed {
        let me = canon(dir);
        for src in def.module_sources() {
            if is_local_source(&src) {
                let child = canon(&join_normal(dir, &src));
                if child != me {
                    called.insert(child.clone());
                    calls.entry(me.clone()).or_default().push(child);
                }
            }
        }
    }
    let mut roots = Vec::new();
    let mut order = Vec::new();
    for (dir, def) in parsed {
        let c = canon(&dir);
        if !called.contains(&c) {
            roots.push(dir.clone());
        }
        order.push((dir.clone(), c));
        cache.insert(&dir, def);
    }
    // Directories no root reaches (they call each other in a cycle, or are called only from
    // one): the first of them in path order becomes a root too, until every directory is
    // evaluated at least once. The cycle itself is reported where the module is called.
    let mut reached: HashSet<PathBuf> = HashSet::new();
    let reach = |from: &PathBuf, reached: &mut HashSet<PathBuf>| {
        let mut stack = vec![from.clone()];
        while let Some(d) = stack.pop() {
            if reached.insert(d.clone()) {
                stack.extend(calls.get(&d).into_iter().flatten().cloned());
            }
        }
    };
    for r in &roots {
        reach(&canon(r), &mut reached);
    }
    for (dir, c) in &order {
        if !reached.contains(c) {
            roots.push(dir.clone());
            reach(c, &mut reached);
        }
    }
    let results: Vec<Extraction> = roots
        .par_iter()
        .map(|dir| evaluate_root(ctx, &cache, dir))
        .collect();
    let mut out = Extraction::default();
    for r in results {
        out.merge(r);
    }
    for def in cache.all() {
        out.errors.extend(def.errors.iter().cloned());
        out.load_failures.extend(def.load_failures.iter().cloned());
        out.suppressions.extend(def.suppressions.iter().cloned());
    }
    let plan_results: Vec<Extraction> = plans.par_iter().map(|p| plan::extract(ctx, p)).collect();
    for r in plan_results {
        out.merge(r);
    }
    out.roles
        .sort_by(|a, b| a.address.cmp(&b.address).then(a.span.cmp(&b.span)));
    out.notices.sort_by(|a, b| a.address.cmp(&b.address));
    out.notices.dedup();
    out.errors.dedup();
    out
}

/// Evaluates one root module and everything it calls.
fn evaluate_root(ctx: &Context, cache: &ModuleCache, dir: &Path) -> Extraction {
    let def = cache.get(ctx, dir);
    let sh = Shared::new(ctx, cache, dir.to_path_buf());
    let (inputs, missing_reason) = vars::root_inputs(&sh, &def);
    let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut root = Instance::new(
        &sh,
        Arc::clone(&def),
        String::new(),
        String::new(),
        0,
        vec![canon],
        inputs,
        missing_reason,
    );
    root.lineage_files = def.files.iter().map(|(id, _)| *id).collect();
    // The probe: the same root with every default unknown (see `Expansion::Off`).
    let mut probe = Instance::new(
        &sh,
        Arc::clone(&def),
        String::new(),
        String::new(),
        0,
        root.chain.clone(),
        root.inputs.clone(),
        root.missing_reason.clone(),
    );
    probe.defaults_unknown = true;
    root.probe = Some(std::rc::Rc::new(probe));
    let mut collected = extract::Collected::default();
    extract::walk(&root, &mut collected);
    let mut roles = extract::link(collected);
    drop(root);
    let root_name = crate::discover::repo_relative(&ctx.root, dir);
    let input_files = sh.input_files.borrow().clone();
    for r in &mut roles {
        r.root.clone_from(&root_name);
        r.files.extend_from_slice(&input_files);
        r.files.push(r.span.file);
        r.files.sort_unstable();
        r.files.dedup();
    }
    Extraction {
        roles,
        errors: sh.errors.take(),
        load_failures: sh.load_failures.take(),
        notices: sh.notices.take(),
        ..Extraction::default()
    }
}
