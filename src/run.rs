//! One run of the pipeline: discover the files, load and resolve them with the source loaders,
//! check the rules, filter (inline suppressions, disabled rules, explicit files), and hand the
//! result to a reporter. The CLI is a thin layer over [`check`].

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::discover;
use crate::iam::model::Role;
use crate::rules::engine::{self, Env, Finding};
use crate::rules::{Rule, Severity};
use crate::source::{self, Context, Extraction, ResolveOptions};
use crate::span::SourceMap;

/// What to run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// `--exclude` globs (the config's `exclude` is added).
    pub excludes: Vec<String>,
    pub resolve: ResolveOptions,
}

/// An error to report: a file that could not be read or parsed, with its position.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportedError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The result of a check.
pub struct Outcome {
    pub sources: SourceMap,
    pub roles: Vec<Role>,
    /// Kept findings, sorted by file, line, column and rule.
    pub findings: Vec<Finding>,
    pub errors: Vec<ReportedError>,
    /// Findings silenced by an inline suppression, with the reasons, in finding order.
    pub suppressed: Vec<crate::suppress::Suppressed>,
    /// Whether reports list the suppressed findings (`--show-suppressed`).
    pub show_suppressed: bool,
    /// Findings dropped because a baseline lists them.
    pub baselined: usize,
    pub files_scanned: usize,
}

/// The directory that `file()`, modules and nested templates may read under: the enclosing git
/// repository of the first path, else the path itself (or its directory for a file).
pub fn scan_root(paths: &[PathBuf]) -> PathBuf {
    let first = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let abs = first.canonicalize().unwrap_or(first);
    let dir = if abs.is_file() {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs)
    } else {
        abs
    };
    let repo = dir.ancestors().find(|d| d.join(".git").exists());
    let mut root = repo.map(Path::to_path_buf).unwrap_or(dir);
    // Every other path must be under the root; widen it to their common ancestor.
    for p in paths.iter().skip(1) {
        let p = p.canonicalize().unwrap_or_else(|_| p.clone());
        while !p.starts_with(&root) {
            match root.parent() {
                Some(parent) => root = parent.to_path_buf(),
                None => break,
            }
        }
    }
    root
}

/// Loads and resolves every role under `opts.paths`.
pub fn extract(
    opts: &Options,
    config: &Config,
) -> Result<(SourceMap, Extraction, usize, Vec<PathBuf>), String> {
    let mut excludes = opts.excludes.clone();
    excludes.extend(config.exclude.iter().cloned());
    let set = discover::exclude_set(&excludes)?;
    let found = discover::discover(&opts.paths, &set)?;
    let sources = SourceMap::default();
    let ctx = Context {
        sources: &sources,
        root: scan_root(&opts.paths),
        options: &opts.resolve,
    };
    let (mut tf, cfn) = rayon::join(
        || source::terraform::extract(&ctx, &found.terraform_dirs, &found.terraform_plans),
        || source::cloudformation::extract(&ctx, &found.cloudformation),
    );
    tf.merge(cfn);
    let files = sources.all().len();
    Ok((sources, tf, files, found.explicit_files))
}

/// Runs the whole check.
pub fn check(opts: &Options, config: &Config, rules: &[Rule]) -> Result<Outcome, String> {
    let (sources, extraction, files_scanned, explicit) = extract(opts, config)?;
    let active: Vec<Rule> = rules
        .iter()
        .filter(|r| !config.disabled.iter().any(|d| d == &r.id))
        .filter(|r| r.enabled_by_default || config.enabled.iter().any(|e| e == &r.id))
        .cloned()
        .map(|mut r| {
            if let Some(s) = config.severity_overrides.get(&r.id) {
                r.severity = *s;
                for sb in &mut r.severity_by {
                    sb.severity = *s;
                }
            }
            r
        })
        .collect();
    let env = Env { trust: config };
    let mut findings = engine::evaluate(&active, &extraction.roles, &extraction.notices, &env);

    // Explicit files limit the findings to those files (pre-commit passes the staged files; the
    // rest of the module is read only to understand them).
    let wanted: Option<Vec<PathBuf>> = (!explicit.is_empty()).then(|| {
        explicit
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect()
    });
    if let Some(wanted) = &wanted {
        findings.retain(|f| in_files(&sources, f, wanted));
    }
    let mut errors = collect_errors(&sources, &extraction);
    errors.sort();
    errors.dedup();
    sort_findings(&sources, &mut findings);
    findings.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    let (mut findings, suppressed, notices) =
        crate::suppress::apply(&sources, &extraction.suppressions, findings);
    // Suppressions without a reason or that matched nothing are findings of their own (IAM901,
    // IAM902); they are not themselves suppressible.
    let mut meta = engine::evaluate(&active, &[], &notices, &env);
    if let Some(wanted) = &wanted {
        meta.retain(|f| in_files(&sources, f, wanted));
    }
    findings.extend(meta);
    sort_findings(&sources, &mut findings);
    let mut roles = extraction.roles;
    roles.sort_by(|a, b| {
        (sources.display(a.span.file), a.span.start, &a.address).cmp(&(
            sources.display(b.span.file),
            b.span.start,
            &b.address,
        ))
    });
    Ok(Outcome {
        sources,
        roles,
        findings,
        errors,
        suppressed,
        show_suppressed: false,
        baselined: 0,
        files_scanned,
    })
}

fn in_files(sources: &SourceMap, f: &Finding, wanted: &[PathBuf]) -> bool {
    sources
        .get(f.span.file)
        .and_then(|s| s.path.canonicalize().ok())
        .is_some_and(|p| wanted.contains(&p))
}

/// Findings in a stable order: file, line, column, rule, message.
pub fn sort_findings(sources: &SourceMap, findings: &mut [Finding]) {
    findings.sort_by_cached_key(|f| {
        (
            sources.display(f.span.file),
            f.span.start,
            f.rule.clone(),
            f.resource.clone(),
            f.message.clone(),
        )
    });
}

fn collect_errors(sources: &SourceMap, ex: &Extraction) -> Vec<ReportedError> {
    let mut out = Vec::new();
    for e in &ex.errors {
        let (line, column) = match (e.span, e.line_col) {
            (Some(span), _) => sources
                .range(span)
                .map_or((1, 1), |(s, _)| (s.line, s.column)),
            (None, Some(lc)) => lc,
            (None, None) => (1, 1),
        };
        out.push(ReportedError {
            file: sources.display(e.file),
            line,
            column,
            message: e.message.clone(),
        });
    }
    for f in &ex.load_failures {
        out.push(ReportedError {
            file: f.display.clone(),
            line: match f.error {
                crate::span::LoadError::NotUtf8 { line, .. } => line,
                _ => 1,
            },
            column: match f.error {
                crate::span::LoadError::NotUtf8 { column, .. } => column,
                _ => 1,
            },
            message: f.error.to_string(),
        });
    }
    out
}

/// The exit code of a check: 2 when a file could not be read or parsed, 1 when a finding is at
/// or above the threshold, 0 otherwise.
pub fn exit_code(outcome: &Outcome, threshold: Severity) -> i32 {
    if !outcome.errors.is_empty() {
        2
    } else if outcome.findings.iter().any(|f| f.severity >= threshold) {
        1
    } else {
        0
    }
}
