//! Modules: the cache of parsed module directories (each parsed once, shared across threads),
//! `.terraform/modules/modules.json` (modules downloaded by `terraform init`), and the creation
//! of a child module instance from a `module` call: its source directory, its inputs evaluated
//! in the caller, its address prefix, with a depth limit and a cycle guard.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::source::Context;
use crate::value::Val;

use super::eval::{Expansion, InstKey, Instance, InstanceBudget, Scope};
use super::parse::{ModuleCall, ModuleDef, literal_string, parse_module};

/// The reason of the unknown standing for a module call that closes a cycle (reported as an
/// error where it is called, not as a module that is not on disk).
pub const CYCLE: &str = "is part of a module cycle";

/// Deepest module nesting followed.
pub const MAX_MODULE_DEPTH: usize = 12;

/// Parsed module directories by canonical path.
#[derive(Default)]
pub struct ModuleCache {
    map: Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<ModuleDef>>>>>,
    /// The run's count/for_each instance budget, shared by all root modules.
    pub budget: InstanceBudget,
}

fn key(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

impl ModuleCache {
    /// The parsed module in `dir`, parsing it on first use.
    pub fn get(&self, ctx: &Context, dir: &Path) -> Arc<ModuleDef> {
        let cell = {
            let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
            m.entry(key(dir)).or_default().clone()
        };
        cell.get_or_init(|| Arc::new(parse_module(ctx, dir)))
            .clone()
    }

    pub fn insert(&self, dir: &Path, def: ModuleDef) {
        let cell = OnceLock::new();
        let _ = cell.set(Arc::new(def));
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(key(dir), Arc::new(cell));
    }

    /// Every module parsed so far (to report each file's errors once).
    pub fn all(&self) -> Vec<Arc<ModuleDef>> {
        let m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Arc<ModuleDef>> = m.values().filter_map(|c| c.get().cloned()).collect();
        out.sort_by(|a, b| a.dir.cmp(&b.dir));
        out
    }
}

/// Joins and normalises `base/rel` without touching the file system.
pub fn join_normal(base: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(rel).components() {
        match c {
            Component::ParentDir => {
                // `..` past the start of a relative path stays; `a/..` cancels.
                let last_is_parent = out.components().next_back() == Some(Component::ParentDir);
                if last_is_parent || !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    // `examples/basic` + `../..` is the current directory, not an empty path.
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

pub fn is_local_source(s: &str) -> bool {
    s.starts_with("./") || s.starts_with("../") || s == "." || s == ".."
}

/// Reads `<dir>/.terraform/modules/modules.json` (or the run root's): module key → directory.
/// It is read through the guarded door; a refused one (a link outside the root, a FIFO, a
/// device, too large) is pushed to `failures`.
pub fn read_modules_json(
    ctx: &Context,
    top_dir: &Path,
    failures: &mut Vec<crate::source::LoadFailure>,
) -> Option<HashMap<String, PathBuf>> {
    for base in [top_dir, ctx.root.as_path()] {
        let path = base.join(".terraform").join("modules").join("modules.json");
        if std::fs::symlink_metadata(&path).is_err() {
            continue;
        }
        let text =
            match crate::source::read::read(&path, crate::source::read::Access::Inside(&ctx.root))
                .and_then(|b| crate::span::decode(&b))
            {
                Ok(t) => t,
                Err(error) => {
                    failures.push(crate::source::LoadFailure {
                        display: ctx.display_path(&path),
                        error,
                    });
                    continue;
                }
            };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut out = HashMap::new();
        for m in json
            .get("Modules")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
        {
            if let (Some(k), Some(d)) = (
                m.get("Key").and_then(|k| k.as_str()),
                m.get("Dir").and_then(|d| d.as_str()),
            ) && !k.is_empty()
            {
                out.insert(k.to_string(), join_normal(base, d));
            }
        }
        return Some(out);
    }
    None
}

/// Where a module call's source is on disk, or why it is not.
pub fn resolve_source(
    parent: &Instance,
    call: &ModuleCall,
    key_path: &str,
) -> Result<PathBuf, String> {
    let source = match call.body.attr("source").map(|a| literal_string(&a.expr)) {
        Some(Some(s)) => s,
        Some(None) => return Err("its source is not a literal string".into()),
        None => return Err("it has no source".into()),
    };
    if is_local_source(&source) {
        let dir = join_normal(&parent.def.dir, &source);
        if !dir.is_dir() {
            return Err(format!("source {source}, not found at {}", dir.display()));
        }
        if !parent.sh.ctx.inside_root(&dir) {
            return Err(format!(
                "source {source} is outside the scanned root; it was not read"
            ));
        }
        return Ok(dir);
    }
    if let Some(dir) = parent
        .sh
        .modules_json
        .as_ref()
        .and_then(|m| m.get(key_path))
        && dir.is_dir()
        && parent.sh.ctx.inside_root(dir)
    {
        return Ok(dir.clone());
    }
    Err(format!("source {source}, not downloaded"))
}

/// The modules.json key of a call: `ci`, or `parent.ci` for nested calls.
pub fn key_path(parent: &Instance, call: &ModuleCall) -> String {
    if parent.key_path.is_empty() {
        call.name.clone()
    } else {
        format!("{}.{}", parent.key_path, call.name)
    }
}

/// Creates the child instance for `call` at `key`.
pub fn instantiate<'c>(
    parent: &Instance<'c>,
    call: &ModuleCall,
    key: &InstKey,
) -> Result<Instance<'c>, Val> {
    let addr = format!("{}module.{}{}", parent.prefix, call.name, key.suffix());
    let unknown = |why: String| Val::unknown(addr.clone(), why, call.span);
    if parent.depth + 1 > MAX_MODULE_DEPTH {
        return Err(unknown(format!(
            "{addr} is nested deeper than {MAX_MODULE_DEPTH} modules"
        )));
    }
    let kp = key_path(parent, call);
    let dir = resolve_source(parent, call, &kp)
        .map_err(|why| unknown(format!("{addr} ({why}) was not read")))?;
    let canon = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    if let Some(start) = parent.chain.iter().position(|d| *d == canon) {
        let root = &parent.sh.ctx.root;
        let mut path: Vec<String> = parent.chain[start..]
            .iter()
            .map(|d| crate::discover::repo_relative(root, d))
            .collect();
        path.push(crate::discover::repo_relative(root, &canon));
        let span = call.body.attr("source").map_or(call.span, |a| a.span);
        parent.sh.error(crate::source::SourceError::at(
            span,
            format!(
                "{addr} calls a module that is already being evaluated: the modules form a cycle ({}), which Terraform rejects",
                path.join(" -> ")
            ),
        ));
        return Err(unknown(format!("{addr} {CYCLE}")));
    }
    let def = parent.sh.cache.get(parent.sh.ctx, &dir);
    // The each/count value of this instance.
    let is_count = call.body.attr("count").is_some();
    let exp = parent.expansion(&call.body, &format!("module.{}", call.name));
    let state = super::eval::combine_state(&parent.state, exp.state(is_count));
    let bound = match exp {
        Expansion::Many(items) => items.into_iter().find(|(k, _)| k == key).map(|(_, v)| v),
        Expansion::Unknown(v) | Expansion::Off(v, _) => Some(v),
        Expansion::Single => None,
    };
    let empty = Scope::empty();
    let scope = match bound {
        Some(v) => empty.with(if is_count { "count" } else { "each" }, v),
        None => Scope::empty(),
    };
    let mut inputs = HashMap::new();
    for a in &call.body.attrs {
        if matches!(
            a.name.as_str(),
            "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
        ) {
            continue;
        }
        inputs.insert(a.name.clone(), parent.eval(&a.expr, &scope));
    }
    let mut chain = parent.chain.clone();
    chain.push(canon);
    let mut lineage = parent.lineage_files.clone();
    lineage.extend(def.files.iter().map(|(id, _)| *id));
    let mut child = Instance::new(
        parent.sh,
        def,
        format!("{addr}."),
        kp,
        parent.depth + 1,
        chain,
        inputs,
        format!("var.{{}} is not set by {addr} and has no default"),
    );
    child.lineage_files = lineage;
    child.state = state;
    if parent.defaults_unknown {
        child.defaults_unknown = true;
    } else {
        // The same call in the parent's probe: its inputs evaluated with defaults unknown.
        child.probe = parent.probe.as_ref().and_then(|p| p.child(call, key).ok());
    }
    Ok(child)
}
