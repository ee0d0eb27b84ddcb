//! Runs rules' `examples` as tests (`iamlint rules test`, and the built-in suite in
//! tests/rule_examples.rs): each example variant (Terraform, CloudFormation) is written to a
//! directory of its own with the example's `files`, checked through the whole pipeline with the
//! example's `config` and the rule under test enabled, and judged: a bad example must produce a
//! finding of the rule, a good one must not, and neither may leave an error. Hands on one
//! [`Outcome`] per example variant, and one per rule that lacks a bad or a good example.

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::config::{self, Config};
use crate::rules::{Example, ExampleKind, Rule};
use crate::run::{self, Options};

/// Which source of an example a run used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Terraform,
    CloudFormation,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Terraform => "terraform",
            Variant::CloudFormation => "cloudformation",
        }
    }

    /// The name the example's text is written to, in the example's directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Variant::Terraform => "main.tf",
            Variant::CloudFormation => "template.yaml",
        }
    }
}

/// The verdict on one example variant, or on a rule that lacks a kind of example.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub rule: String,
    /// The rule's file (`rules/IAM003-....yaml` for a built-in one).
    pub origin: String,
    /// The example's name and variant; `None` for a missing example.
    pub example: Option<(String, Variant)>,
    /// `None` when the example behaved; else what happened instead.
    pub failure: Option<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Runs every example of every rule in `tested`, each against `all` (the rule set a real run
/// would use: the built-in rules with the custom ones merged over them) with the rule under
/// test put in place of any rule of the same id. A rule without a bad or without a good example
/// is a failure of its own. Results are in the order of `tested` and its examples.
pub fn test_rules(tested: &[Rule], all: &[Rule]) -> Vec<Outcome> {
    let mut jobs: Vec<(&Rule, &Example, Variant)> = Vec::new();
    let mut missing: Vec<(usize, Outcome)> = Vec::new();
    for rule in tested {
        for kind in [ExampleKind::Bad, ExampleKind::Good] {
            if !rule.examples.iter().any(|e| e.expect == kind) {
                let which = match kind {
                    ExampleKind::Bad => "bad",
                    ExampleKind::Good => "good",
                };
                missing.push((
                    jobs.len(),
                    Outcome {
                        rule: rule.id.clone(),
                        origin: rule.origin.clone(),
                        example: None,
                        failure: Some(format!(
                            "no {which} example (a rule needs at least one bad and one good one)"
                        )),
                    },
                ));
            }
        }
        for ex in &rule.examples {
            if ex.terraform.is_some() {
                jobs.push((rule, ex, Variant::Terraform));
            }
            if ex.cloudformation.is_some() {
                jobs.push((rule, ex, Variant::CloudFormation));
            }
        }
    }
    let ran: Vec<Outcome> = jobs
        .par_iter()
        .map(|(rule, ex, variant)| Outcome {
            rule: rule.id.clone(),
            origin: rule.origin.clone(),
            example: Some((ex.name.clone(), *variant)),
            failure: judge(rule, ex, *variant, all).err(),
        })
        .collect();
    // Each missing-example verdict goes before the examples of the rules after its own.
    let mut out = Vec::with_capacity(ran.len() + missing.len());
    let mut missing = missing.into_iter().peekable();
    for (i, o) in ran.into_iter().enumerate() {
        while let Some((_, m)) = missing.next_if(|(at, _)| *at <= i) {
            out.push(m);
        }
        out.push(o);
    }
    out.extend(missing.map(|(_, m)| m));
    out
}

/// Runs one example variant and says what went wrong, if anything.
fn judge(rule: &Rule, ex: &Example, variant: Variant, all: &[Rule]) -> Result<(), String> {
    let text = match variant {
        Variant::Terraform => ex.terraform.as_deref(),
        Variant::CloudFormation => ex.cloudformation.as_deref(),
    }
    .unwrap_or_default();
    let dir = TempDir::new().map_err(|e| format!("cannot make a directory for it: {e}"))?;
    write_example(dir.path(), variant.file_name(), text, ex)?;

    let mut cfg = match &ex.config {
        Some(c) => config::parse(c, "the example's config", None)
            .map_err(|e| format!("its config: {e}"))?,
        None => Config::default(),
    };
    cfg.disabled.retain(|d| d != &rule.id);
    if !cfg.enabled.contains(&rule.id) {
        cfg.enabled.push(rule.id.clone());
    }
    let rules = crate::rules::merge(all.to_vec(), vec![rule.clone()]);
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        root: Some(dir.path().to_path_buf()),
        ..Options::default()
    };
    let outcome = run::check(&opts, &cfg, &rules)?;
    let repo = outcome.root.clone();
    let place = |span: crate::span::Span| match outcome.sources.get(span.file) {
        Some(f) => {
            let lc = f.line_col(span.start as usize);
            format!(
                "{}:{}:{}",
                crate::discover::repo_relative(&repo, &f.path),
                lc.line,
                lc.column
            )
        }
        None => "?".to_string(),
    };
    let relative = |file: &str| {
        let p = Path::new(file);
        match p.strip_prefix(&repo) {
            Ok(r) => r.to_string_lossy().replace('\\', "/"),
            Err(_) => file.to_string(),
        }
    };
    if !outcome.errors.is_empty() {
        let errors: Vec<String> = outcome
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{}:{}:{}: {}",
                    relative(&e.file),
                    e.line,
                    e.column,
                    e.message
                )
            })
            .collect();
        return Err(format!(
            "the example did not run cleanly: {}",
            errors.join("; ")
        ));
    }
    let own: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == rule.id)
        .map(|f| format!("{}: {}", place(f.span), f.message))
        .collect();
    match ex.expect {
        ExampleKind::Bad if own.is_empty() => {
            let mut others: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
            others.sort_unstable();
            others.dedup();
            let seen = if others.is_empty() {
                " (no finding at all)".to_string()
            } else {
                format!(" (found instead: {})", others.join(", "))
            };
            Err(format!("expected a finding of {}, got none{seen}", rule.id))
        }
        ExampleKind::Good if !own.is_empty() => Err(format!(
            "expected no finding of {}, got: {}",
            rule.id,
            own.join("; ")
        )),
        _ => Ok(()),
    }
}

/// Writes the example's text and its `files` (relative paths inside the directory only).
fn write_example(dir: &Path, main: &str, text: &str, ex: &Example) -> Result<(), String> {
    let write = |rel: &str, body: &str| -> Result<(), String> {
        let p = Path::new(rel);
        let inside = !rel.is_empty()
            && p.components().all(|c| matches!(c, Component::Normal(_)))
            && !rel.contains('\\');
        if !inside {
            return Err(format!(
                "files: `{rel}` must be a relative path inside the example's directory"
            ));
        }
        let path = dir.join(p);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot write `{rel}`: {e}"))?;
        }
        std::fs::write(&path, body).map_err(|e| format!("cannot write `{rel}`: {e}"))
    };
    write(main, text)?;
    for (name, body) in &ex.files {
        write(name, body)?;
    }
    Ok(())
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let p = base.join(format!("iamlint-example-{}-{n}", std::process::id()));
            match std::fs::create_dir(&p) {
                // Canonical, so that report paths relative to it come out clean.
                Ok(()) => return Ok(TempDir(p.canonicalize().unwrap_or(p))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One line per outcome (`ok   IAM003  Datadog without an external id (terraform)`, `FAIL ...`
/// with what happened instead) and a summary line.
pub fn render(outcomes: &[Outcome]) -> String {
    let width = outcomes.iter().map(|o| o.rule.len()).max().unwrap_or(0);
    let mut s = String::new();
    for o in outcomes {
        let status = if o.passed() { "ok" } else { "FAIL" };
        let what = match &o.example {
            Some((name, v)) => format!("{name} ({})", v.as_str()),
            None => String::new(),
        };
        let line = match (&o.failure, what.is_empty()) {
            (None, _) => format!("{status:<4} {:<width$}  {what}", o.rule),
            (Some(f), true) => format!("{status:<4} {:<width$}  {f} [{}]", o.rule, o.origin),
            (Some(f), false) => {
                format!("{status:<4} {:<width$}  {what}: {f} [{}]", o.rule, o.origin)
            }
        };
        s.push_str(line.trim_end());
        s.push('\n');
    }
    let mut rules: Vec<&str> = outcomes.iter().map(|o| o.rule.as_str()).collect();
    rules.sort();
    rules.dedup();
    let examples = outcomes.iter().filter(|o| o.example.is_some()).count();
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    s.push_str(&format!(
        "rules test: {}, {}: {} ok, {failed} failed\n",
        plural(rules.len(), "rule"),
        plural(examples, "example"),
        outcomes.iter().filter(|o| o.passed()).count(),
    ));
    s
}
