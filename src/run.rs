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
    /// Check each file with the nearest `.iamlint.yaml` at or above it within the repository
    /// (the CLI without `--config`); when false, the given config applies to every file.
    pub per_file_config: bool,
    /// `--root`: the repository root, instead of the git work tree of the first path. Reads
    /// stay under it, and report paths are relative to it.
    pub root: Option<PathBuf>,
}

impl Options {
    /// The repository root of this run (see [`scan_root`]).
    pub fn root(&self) -> PathBuf {
        match &self.root {
            Some(r) => r.canonicalize().unwrap_or_else(|_| r.clone()),
            None => scan_root(&self.paths),
        }
    }
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
    /// The run read no Terraform or CloudFormation file at all.
    pub empty: bool,
    /// The repository root that paths in identities are relative to.
    pub root: PathBuf,
    /// With `--diff REF`: the ref, how many findings it already had (not reported), and the
    /// trust relationships that changed.
    pub diff: Option<crate::diff::DiffInfo>,
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

/// Loads and resolves every role under `opts.paths`. When the paths name files, the repository
/// around them is read and only the roles whose evaluation read one of them are kept.
pub fn extract(
    opts: &Options,
    config: &Config,
) -> Result<(SourceMap, Extraction, usize, Vec<PathBuf>), String> {
    let mut excludes = opts.excludes.clone();
    excludes.extend(config.exclude.iter().cloned());
    let set = discover::exclude_set(&excludes)?;
    let mut found = discover::discover(&opts.paths, &set, &opts.root())?;
    if !found.explicit_files.is_empty() {
        found = with_repository_context(&opts.root(), found, &set)?;
    }
    if opts.per_file_config {
        nested_excludes(&opts.root(), config, &mut found);
    }
    let sources = SourceMap::default();
    let ctx = Context {
        sources: &sources,
        root: opts.root(),
        options: &opts.resolve,
    };
    let (mut tf, cfn) = rayon::join(
        || source::terraform::extract(&ctx, &found.terraform_dirs, &found.terraform_plans),
        || source::cloudformation::extract(&ctx, &found.cloudformation),
    );
    tf.sources_read += found.terraform_dirs.len() + found.terraform_plans.len();
    tf.merge(cfn);
    tf.load_failures.append(&mut found.failures);
    for r in &mut tf.roles {
        if r.files.is_empty() {
            r.files.push(r.span.file);
        }
    }
    if !found.explicit_files.is_empty() {
        select_affected(&sources, &found.explicit_files, &mut tf);
    }
    let files = sources.all().len();
    Ok((sources, tf, files, found.explicit_files))
}

impl Outcome {
    /// A file's path relative to the repository root, normalised, whatever the current
    /// directory: the path SARIF, GitHub annotations, JUnit and Markdown show.
    pub fn repo_path(&self, file: crate::span::FileId) -> String {
        self.sources.get(file).map_or_else(
            || self.sources.display(file),
            |f| crate::discover::repo_relative(&self.root, &f.path),
        )
    }

    /// A displayed path (relative to the current directory, as in [`ReportedError`]) made
    /// relative to the repository root.
    pub fn repo_path_of(&self, display: &str) -> String {
        crate::discover::repo_relative(&self.root, Path::new(display))
    }
}

/// A run on files (pre-commit passes the staged files) reads the whole repository around them,
/// so that a changed tfvars file, a child module called from elsewhere or a parameter file
/// reaches the roles it affects; [`check`] then keeps the roles whose evaluation read one of the
/// files. Files named that the walk does not reach (ignored, hidden) are still read.
fn with_repository_context(
    root: &Path,
    named: discover::Discovered,
    set: &globset::GlobSet,
) -> Result<discover::Discovered, String> {
    let walk_from = relative_to_cwd(root);
    let mut all = discover::discover(std::slice::from_ref(&walk_from), set, root)?;
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let dirs: std::collections::HashSet<PathBuf> =
        all.terraform_dirs.iter().map(|d| canon(d)).collect();
    let files: std::collections::HashSet<PathBuf> = all
        .cloudformation
        .iter()
        .chain(all.terraform_plans.iter())
        .map(|p| canon(p))
        .collect();
    for d in named.terraform_dirs {
        if !dirs.contains(&canon(&d)) {
            all.terraform_dirs.insert(d);
        }
    }
    for p in named.cloudformation {
        if !files.contains(&canon(&p)) {
            all.cloudformation.push(p);
        }
    }
    for p in named.terraform_plans {
        if !files.contains(&canon(&p)) {
            all.terraform_plans.push(p);
        }
    }
    all.explicit_files = named.explicit_files;
    all.failures.extend(named.failures);
    Ok(all)
}

/// The `exclude` of a nested `.iamlint.yaml` applies to the files under it, relative to its
/// directory, as the given config's applies to the scanned paths. A Terraform module is one
/// directory, so a nested exclude drops whole module directories. A nested config that does
/// not load is reported when its files are checked (see [`Configs`]).
fn nested_excludes(repo: &Path, base: &Config, found: &mut discover::Discovered) {
    use std::collections::HashMap;
    let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    let base_path = base.path.as_ref().and_then(|p| p.canonicalize().ok());
    // Directory → (config directory, its exclude set), for the nearest nested config.
    let mut by_dir: HashMap<PathBuf, Option<(PathBuf, globset::GlobSet)>> = HashMap::new();
    let mut excluded = |path: &Path| -> bool {
        let Ok(abs) = path.canonicalize() else {
            return false;
        };
        let dir = if abs.is_dir() {
            abs.clone()
        } else {
            match abs.parent() {
                Some(d) => d.to_path_buf(),
                None => return false,
            }
        };
        let entry = by_dir.entry(dir.clone()).or_insert_with(|| {
            let cfg = crate::config::nearest_within(&dir, &repo)
                .filter(|p| Some(p) != base_path.as_ref())?;
            let c = crate::config::load_found(&cfg, &repo).ok()?;
            if c.exclude.is_empty() {
                return None;
            }
            let set = discover::exclude_set(&c.exclude).ok()?;
            Some((cfg.parent()?.to_path_buf(), set))
        });
        entry.as_ref().is_some_and(|(cfg_dir, set)| {
            // A directory is excluded when a glob covers what is in it (`legacy/**`).
            abs.strip_prefix(cfg_dir).is_ok_and(|rel| {
                !rel.as_os_str().is_empty()
                    && (set.is_match(rel) || (abs.is_dir() && set.is_match(rel.join("x.tf"))))
            })
        })
    };
    found.terraform_dirs.retain(|d| !excluded(d));
    found.cloudformation.retain(|p| !excluded(p));
    found.terraform_plans.retain(|p| !excluded(p));
}

/// `abs` as a path from the current directory (`.`, `..`, `sub/dir`), so that walked paths
/// look like the paths the user typed.
fn relative_to_cwd(abs: &Path) -> PathBuf {
    let Ok(cwd) = std::env::current_dir().and_then(|c| c.canonicalize()) else {
        return abs.to_path_buf();
    };
    if let Ok(rest) = abs.strip_prefix(&cwd) {
        return if rest.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            rest.to_path_buf()
        };
    }
    if let Ok(up) = cwd.strip_prefix(abs) {
        let mut p = PathBuf::new();
        for _ in up.components() {
            p.push("..");
        }
        return p;
    }
    abs.to_path_buf()
}

/// Runs the whole check.
pub fn check(opts: &Options, config: &Config, rules: &[Rule]) -> Result<Outcome, String> {
    let (sources, mut extraction, files_scanned, explicit) = extract(opts, config)?;
    let repo = opts.root();
    let mut config_errors = Vec::new();
    // Each role and notice is checked with the configuration of its file.
    let mut configs = Configs::new(&repo, config, opts.per_file_config);
    // The approval files (iam-trusts.yaml), when they exist, turn into notices for their rules
    // (a partial run checks the roles it selected, and does not judge entries stale or expired).
    let by_file = configs.approval_files(&sources, &extraction.roles, &mut config_errors);
    let single = by_file.len() == 1;
    for (path, idx) in by_file {
        let group: Vec<Role> = if single {
            Vec::new()
        } else {
            idx.iter().map(|&i| extraction.roles[i].clone()).collect()
        };
        let roles: &[Role] = if single { &extraction.roles } else { &group };
        match crate::trusts::approval_notices_at(
            &sources,
            roles,
            config,
            &path,
            &repo,
            !explicit.is_empty(),
        ) {
            Ok(n) => extraction.notices.extend(n),
            Err(e) => extraction.errors.push(e),
        }
    }

    let mut groups: std::collections::BTreeMap<
        Option<PathBuf>,
        (Vec<Role>, Vec<crate::source::Notice>),
    > = std::collections::BTreeMap::new();
    // The roots each role address is evaluated in: a trust-approval notice (IAM401, IAM402)
    // belongs to its role, so it takes the role's config, not that of the file its principal
    // is written in (a shared module's own config must not silence its callers' approvals).
    let mut roots_of: std::collections::HashMap<String, Vec<String>> = Default::default();
    for r in &extraction.roles {
        roots_of
            .entry(r.address.clone())
            .or_default()
            .push(r.root.clone());
    }
    for r in std::mem::take(&mut extraction.roles) {
        let key = configs.key_for_role(&sources, &r, &mut config_errors);
        groups.entry(key).or_default().0.push(r);
    }
    for n in std::mem::take(&mut extraction.notices) {
        let role_notice = n.kind == crate::trusts::approvals::NOT_APPROVED
            || n.kind == crate::trusts::approvals::WEAKER;
        let key = match roots_of.get(&n.address).filter(|_| role_notice) {
            Some(roots) => configs.key_spanning(&sources, n.span.file, roots, &mut config_errors),
            None => configs.key_for(&sources, n.span.file, &mut config_errors),
        };
        groups.entry(key).or_default().1.push(n);
    }
    let paths: Vec<String> = sources
        .all()
        .iter()
        .map(|(_, f)| crate::discover::repo_relative(&repo, &f.path))
        .collect();
    let mut findings = Vec::new();
    for (key, (roles, notices)) in groups {
        let cfg = configs.get(&key);
        let active = match active_rules(rules, cfg) {
            Ok(a) => a,
            Err(e) => {
                config_errors.push(e);
                active_rules(rules, config).unwrap_or_default()
            }
        };
        let env = Env {
            trust: cfg,
            paths: &paths,
        };
        findings.extend(engine::evaluate(&active, &roles, &notices, &env));
        extraction.roles.extend(roles);
        extraction.notices.extend(notices);
    }
    for f in &mut findings {
        if f.root.is_empty()
            && let Some(file) = sources.get(f.span.file)
        {
            f.root = crate::discover::repo_relative(&repo, &file.path);
        }
        f.set_fingerprint();
    }
    sort_findings(&sources, &mut findings);
    findings.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    let (mut findings, suppressed, meta_notices) =
        crate::suppress::apply(&sources, &extraction.suppressions, findings);
    // Suppressions without a reason or that matched nothing are findings of their own (IAM901,
    // IAM902), checked with the configuration of their file; they are not suppressible. A run
    // on named files reports those of the named files only.
    let named: Option<Vec<PathBuf>> = (!explicit.is_empty()).then(|| {
        explicit
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect()
    });
    let mut by_config: std::collections::BTreeMap<Option<PathBuf>, Vec<crate::source::Notice>> =
        std::collections::BTreeMap::new();
    for n in meta_notices {
        if let Some(named) = &named
            && !in_files(&sources, n.span.file, named)
        {
            continue;
        }
        let key = configs.key_for(&sources, n.span.file, &mut config_errors);
        by_config.entry(key).or_default().push(n);
    }
    for (key, notices) in by_config {
        let cfg = configs.get(&key);
        let active = active_rules(rules, cfg).unwrap_or_default();
        let env = Env {
            trust: cfg,
            paths: &paths,
        };
        for mut f in engine::evaluate(&active, &[], &notices, &env) {
            if let Some(file) = sources.get(f.span.file) {
                f.root = crate::discover::repo_relative(&repo, &file.path);
            }
            f.set_fingerprint();
            findings.push(f);
        }
    }
    let mut errors = collect_errors(&sources, &extraction);
    errors.extend(config_errors);
    errors.sort();
    errors.dedup();
    sort_findings(&sources, &mut findings);
    distinguish(&mut findings);
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
        empty: extraction.sources_read == 0,
        root: repo,
        diff: None,
    })
}

fn in_files(sources: &SourceMap, file: crate::span::FileId, wanted: &[PathBuf]) -> bool {
    sources
        .get(file)
        .and_then(|s| s.path.canonicalize().ok())
        .is_some_and(|p| wanted.contains(&p))
}

/// The rules a configuration turns on, with its severities, its own rule directories merged
/// in, and its rule ids checked against them.
fn active_rules(rules: &[Rule], config: &Config) -> Result<Vec<Rule>, ReportedError> {
    let mut all = rules.to_vec();
    for dir in &config.rules_dirs {
        let extra =
            crate::rules::load_dir_within(dir, config.inside_repo.as_deref()).map_err(|e| {
                ReportedError {
                    file: config.display.clone(),
                    line: 1,
                    column: 1,
                    message: e.to_string(),
                }
            })?;
        all = crate::rules::merge(all, extra);
    }
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    // The run may check a subset of the rules (the inventory none, `trusts --check` the
    // approval rules): an id is known when the built-in rules or the run's have it.
    let builtin: Vec<String> = if config.check_rule_ids(&ids).is_err() {
        crate::rules::builtin()
            .map(|b| b.into_iter().map(|r| r.id).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let ids: Vec<&str> = ids
        .into_iter()
        .chain(builtin.iter().map(String::as_str))
        .collect();
    config.check_rule_ids(&ids).map_err(|e| ReportedError {
        file: e.file,
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    // An account name in a rule must name a vendor or one of this config's trusted accounts.
    for r in all
        .iter()
        .filter(|r| !config.disabled.iter().any(|d| d == &r.id))
    {
        if let Some(name) = crate::rules::select::account_names(r)
            .into_iter()
            .find(|n| {
                !config
                    .trusted_accounts
                    .values()
                    .any(|t| t.eq_ignore_ascii_case(n))
            })
        {
            return Err(ReportedError {
                file: r.origin.clone(),
                line: 1,
                column: 1,
                message: format!(
                    "rule {}: account `{name}` is neither a 12-digit id, a known vendor, nor a name in trusted_accounts of {}",
                    r.id,
                    if config.display.is_empty() {
                        "the configuration"
                    } else {
                        &config.display
                    }
                ),
            });
        }
    }
    Ok(all
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
        .collect())
}

/// The configurations of a run: the one given (with `--config`, or found for the scanned path)
/// and, per file, the nearest `.iamlint.yaml` at or above it within the repository, loaded
/// once each.
struct Configs<'a> {
    repo: PathBuf,
    base: &'a Config,
    per_file: bool,
    /// Directory → the config file that applies there (None: the base config).
    by_dir: std::collections::HashMap<PathBuf, Option<PathBuf>>,
    loaded: std::collections::HashMap<PathBuf, Config>,
}

impl<'a> Configs<'a> {
    fn new(repo: &Path, base: &'a Config, per_file: bool) -> Configs<'a> {
        Configs {
            repo: repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf()),
            base,
            per_file,
            by_dir: std::collections::HashMap::new(),
            loaded: std::collections::HashMap::new(),
        }
    }

    /// The config file for a source file (None: the base config).
    fn key_for(
        &mut self,
        sources: &SourceMap,
        file: crate::span::FileId,
        errors: &mut Vec<ReportedError>,
    ) -> Option<PathBuf> {
        if !self.per_file {
            return None;
        }
        let dir = sources
            .get(file)?
            .path
            .canonicalize()
            .ok()?
            .parent()?
            .to_path_buf();
        self.key_for_dir(dir, errors)
    }

    /// The config file for a role: the nearest one at or above the directory that holds both
    /// the role's root (the root module or template it is evaluated in, whose values decide
    /// it) and the file that declares it. A nested config thus governs only roles evaluated
    /// wholly under its directory: a shared module's `.iamlint.yaml` does not turn off rules for
    /// the root modules elsewhere that call it, and their findings (at the caller's inputs).
    fn key_for_role(
        &mut self,
        sources: &SourceMap,
        role: &Role,
        errors: &mut Vec<ReportedError>,
    ) -> Option<PathBuf> {
        self.key_spanning(
            sources,
            role.span.file,
            std::slice::from_ref(&role.root),
            errors,
        )
    }

    /// The config file for something in `file` that belongs to roles evaluated in `roots`
    /// (repository-relative root module directories or templates): the nearest config at or
    /// above the directory holding the file and every root.
    fn key_spanning(
        &mut self,
        sources: &SourceMap,
        file: crate::span::FileId,
        roots: &[String],
        errors: &mut Vec<ReportedError>,
    ) -> Option<PathBuf> {
        if !self.per_file {
            return None;
        }
        let mut dir = sources
            .get(file)?
            .path
            .canonicalize()
            .ok()?
            .parent()?
            .to_path_buf();
        for root in roots.iter().filter(|r| !r.is_empty()) {
            let root_dir = match self.repo.join(root).canonicalize() {
                Ok(r) if r.is_file() => r.parent().map(Path::to_path_buf),
                Ok(r) => Some(r),
                Err(_) => None,
            };
            if let Some(r) = root_dir {
                dir = dir
                    .ancestors()
                    .find(|a| r.starts_with(a))
                    .map_or(dir.clone(), Path::to_path_buf);
            }
        }
        self.key_for_dir(dir, errors)
    }

    /// The approval file each role answers to, with the indexes of its roles: the `trusts_file`
    /// of the nearest config at or above the role's (see [`Configs::key_for_role`]) that sets
    /// one, else the given config's. A nested config without `trusts_file` keeps the approval
    /// file above it, so adding one cannot take roles out of review. A run without roles has
    /// the given config's file alone (its entries are then judged, e.g. stale ones).
    fn approval_files(
        &mut self,
        sources: &SourceMap,
        roles: &[Role],
        errors: &mut Vec<ReportedError>,
    ) -> std::collections::BTreeMap<PathBuf, Vec<usize>> {
        let base = self.base.trusts_path(&self.repo);
        let mut out: std::collections::BTreeMap<PathBuf, Vec<usize>> = Default::default();
        out.insert(base.clone(), Vec::new());
        for (i, r) in roles.iter().enumerate() {
            let mut key = self.key_for_role(sources, r, errors);
            let path = loop {
                let Some(k) = key.clone() else {
                    break base.clone();
                };
                let cfg = self.get(&key);
                if cfg.trusts_file.is_some() {
                    break cfg.trusts_path(&self.repo);
                }
                match k.parent().and_then(Path::parent) {
                    Some(up) if up.starts_with(&self.repo) => {
                        key = self.key_for_dir(up.to_path_buf(), errors);
                    }
                    _ => break base.clone(),
                }
            };
            out.entry(path).or_default().push(i);
        }
        out
    }

    fn key_for_dir(&mut self, dir: PathBuf, errors: &mut Vec<ReportedError>) -> Option<PathBuf> {
        if let Some(k) = self.by_dir.get(&dir) {
            return k.clone();
        }
        let found = crate::config::nearest_within(&dir, &self.repo);
        // The base config applies when it is the nearest one too.
        let base = self.base.path.as_ref().and_then(|p| p.canonicalize().ok());
        let key = found.filter(|p| Some(p) != base.as_ref());
        if let Some(p) = &key
            && !self.loaded.contains_key(p)
        {
            match crate::config::load_found(p, &self.repo) {
                Ok(mut c) => {
                    c.path = Some(p.clone());
                    self.loaded.insert(p.clone(), c);
                }
                Err(e) => {
                    errors.push(ReportedError {
                        file: e.file,
                        line: e.line,
                        column: e.column,
                        message: e.message,
                    });
                    self.by_dir.insert(dir, None);
                    return None;
                }
            }
        }
        self.by_dir.insert(dir, key.clone());
        key
    }

    fn get(&self, key: &Option<PathBuf>) -> &Config {
        key.as_ref()
            .and_then(|k| self.loaded.get(k))
            .unwrap_or(self.base)
    }
}

/// The approval file each role of a run answers to (see `iam-trusts.yaml` and `trusts_file`),
/// with the indexes of its roles; the given config's file is always listed.
pub fn approval_files(
    outcome: &Outcome,
    config: &Config,
    per_file_config: bool,
) -> std::collections::BTreeMap<PathBuf, Vec<usize>> {
    let mut configs = Configs::new(&outcome.root, config, per_file_config);
    configs.approval_files(&outcome.sources, &outcome.roles, &mut Vec::new())
}

/// Keeps the roles whose evaluation read one of the named files (and the notices in them), and
/// notes on each role which named file brought it in when it is not the role's own file.
fn select_affected(sources: &SourceMap, named: &[PathBuf], ex: &mut Extraction) {
    let wanted: std::collections::HashSet<PathBuf> =
        named.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut canon: std::collections::HashMap<crate::span::FileId, Option<PathBuf>> =
        std::collections::HashMap::new();
    let mut is_named = |id: crate::span::FileId| -> bool {
        canon
            .entry(id)
            .or_insert_with(|| sources.get(id).and_then(|f| f.path.canonicalize().ok()))
            .as_ref()
            .is_some_and(|p| wanted.contains(p))
    };
    let mut kept_files = std::collections::HashSet::new();
    ex.roles.retain_mut(|r| {
        let hits: Vec<crate::span::FileId> =
            r.files.iter().copied().filter(|f| is_named(*f)).collect();
        if hits.is_empty() {
            return false;
        }
        kept_files.extend(r.files.iter().copied());
        if !hits.contains(&r.span.file) {
            let shown: Vec<String> = hits.iter().map(|f| sources.display(*f)).collect();
            r.notes.push(format!(
                "checked because {} changed, which this role's evaluation reads",
                shown.join(", ")
            ));
        }
        true
    });
    ex.notices.retain(|n| is_named(n.span.file));
    // Errors that concern what was checked: in the named files or in files the kept roles read
    // (a parse error elsewhere in the repository is not this change's business).
    let dirs: std::collections::HashSet<PathBuf> = wanted
        .iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    ex.errors.retain(|e| {
        kept_files.contains(&e.file)
            || is_named(e.file)
            || sources
                .get(e.file)
                .and_then(|f| f.path.canonicalize().ok())
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .is_some_and(|d| dirs.contains(&d))
    });
    ex.load_failures.retain(|f| {
        let p = std::path::Path::new(&f.display);
        p.canonicalize()
            .ok()
            .is_some_and(|c| wanted.contains(&c) || c.parent().is_some_and(|d| dirs.contains(d)))
    });
}

/// Two findings with the same identity (the same principal in two statements with the same
/// conditions, say) get `#2`, `#3` in file order, so that distinct results never share a
/// fingerprint; the first keeps the plain one.
fn distinguish(findings: &mut [Finding]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in findings.iter_mut() {
        let n = seen.entry(f.fingerprint.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            f.fingerprint = format!("{}#{n}", f.fingerprint);
        }
    }
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
            line: f.error.position().0,
            column: f.error.position().1,
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
