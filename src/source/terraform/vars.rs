//! Values of a root module's variables, in Terraform's precedence order: `TF_VAR_name`
//! environment values, `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` in
//! lexical order, then `--var-file` files and `--var` values. Later sources override earlier
//! ones. Command-line and environment values have no file: they take the span of the variable
//! block they set.

use crate::source::TfVarArg;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::{LoadFailure, SourceError};
use crate::value::{Val, ValKind};

use super::eval::{Instance, Scope, Shared};
use super::parse::{ModuleDef, parse_hcl};

/// The tfvars files of `dir`: those Terraform reads by itself, in precedence order
/// (`terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` in lexical order), and
/// the names of the others (`fixtures.tfvars`, which a CI job passes with `-var-file`), sorted.
fn tfvars_files(dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let mut read = Vec::new();
    for n in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = dir.join(n);
        if is_entry(&p) {
            read.push(p);
        }
    }
    let mut auto = Vec::new();
    let mut others = Vec::new();
    for p in std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(n.ends_with(".tfvars") || n.ends_with(".tfvars.json")) || !is_entry(&p) {
            continue;
        }
        if n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json") {
            auto.push(p);
        } else if !n.starts_with("terraform.tfvars")
            && !n.contains('{')
            && !n.chars().any(char::is_control)
        {
            others.push(n.to_string());
        }
    }
    auto.sort();
    others.sort();
    read.extend(auto);
    (read, others)
}

/// Why a root variable without a default is unknown (`{}` stands for its name), naming the
/// tfvars files of the root that Terraform does not read by itself, so that the user knows
/// which to pass.
fn missing_reason(unread: &[String]) -> String {
    let base = "var.{} has no default and no value in any tfvars file";
    match unread {
        [] => base.into(),
        [one] => {
            format!("{base} Terraform reads by itself ({one} is not: pass it with --var-file)")
        }
        [first, ..] => format!(
            "{base} Terraform reads by itself ({} files such as {first} are not: pass one with --var-file)",
            unread.len()
        ),
    }
}

/// True for a directory entry that is not a directory: a file, a link or a special file, which
/// the guarded read accepts or refuses with an error (never skipped quietly).
fn is_entry(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir())
}

/// Reads one tfvars file (HCL or JSON) into `out`.
fn read_file(sh: &Shared, consts: &Instance, path: &Path, out: &mut HashMap<String, Val>) {
    let display = sh.ctx.display_path(path);
    let (id, f) = match sh.ctx.load(path, display.clone()) {
        Ok(x) => x,
        Err(error) => {
            sh.load_failures
                .borrow_mut()
                .push(LoadFailure { display, error });
            return;
        }
    };
    sh.input_files.borrow_mut().push(id);
    if path.to_string_lossy().ends_with(".json") {
        match crate::source::json::parse(&f.text, id, 0) {
            Ok(Val {
                kind: ValKind::Map(entries),
                ..
            }) => {
                for (k, v) in entries {
                    out.insert(k.name, v);
                }
            }
            Ok(v) => sh.error(SourceError::at(
                v.span,
                "a tfvars JSON file must hold an object",
            )),
            Err(e) => sh.error(SourceError::at(
                crate::span::Span::new(id, e.offset, e.offset + 1),
                format!("invalid tfvars JSON: {}", e.message),
            )),
        }
        return;
    }
    match parse_hcl(&f.text, id) {
        Ok(body) => {
            for a in &body.attrs {
                out.insert(a.name.clone(), consts.eval(&a.expr, &Scope::empty()));
            }
        }
        Err(e) => sh.error(e),
    }
}

/// A `--var` or `TF_VAR_` value: an HCL expression when it looks like one, else a string.
fn cli_value(consts: &Instance, def: &ModuleDef, name: &str, raw: &str) -> Option<Val> {
    let decl = def.variable(name)?;
    let t = raw.trim_start();
    let mut v = if t.starts_with('[') || t.starts_with('{') || t.starts_with('"') {
        match hcl::edit::parser::parse_expr(raw) {
            // A parsed expression has spans into `raw`, not a file: evaluate, then re-span.
            Ok(e) => consts.eval_hcl(&e, decl.span.file, 0, &Scope::empty()),
            Err(_) => Val::str(raw, decl.span),
        }
    } else {
        Val::str(raw, decl.span)
    };
    v.respan(decl.span);
    Some(v)
}

/// The input values of a root module, and why a variable without a value is unknown.
pub fn root_inputs(sh: &Shared, def: &Arc<ModuleDef>) -> (HashMap<String, Val>, String) {
    let consts = Instance::new(
        sh,
        Arc::new(ModuleDef::default()),
        String::new(),
        String::new(),
        0,
        Vec::new(),
        HashMap::new(),
        "{} is not known in a tfvars file".into(),
    );
    let mut out = HashMap::new();
    for (name, raw) in &sh.ctx.options.tf_env_vars {
        if let Some(v) = cli_value(&consts, def, name, raw) {
            out.insert(name.clone(), v);
        }
    }
    let (files, unread) = tfvars_files(&def.dir);
    for p in files {
        read_file(sh, &consts, &p, &mut out);
    }
    for arg in &sh.ctx.options.tf_var_args {
        match arg {
            TfVarArg::File(p) => read_file(sh, &consts, p, &mut out),
            TfVarArg::Value(name, raw) => {
                if let Some(v) = cli_value(&consts, def, name, raw) {
                    out.insert(name.clone(), v);
                }
            }
        }
    }
    (out, missing_reason(&unread))
}
