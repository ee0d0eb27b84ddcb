//! The command line: `iamlint [PATHS]` checks, `iamlint roles` prints the inventory, `iamlint
//! rules` lists the rules, `iamlint explain RULE` prints a rule's documentation, `iamlint trusts`
//! prints, writes or checks the trust relationships, `iamlint init` writes a starting config.
//! Exit codes: 0
//! no finding at or above the threshold, 1 findings, 2 usage, configuration or rule errors, or a
//! file that could not be read or parsed.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::report::{self, Format};
use crate::rules::{self, Rule, Severity};
use crate::run::{self, Options};
use crate::source::{ResolveOptions, TfVarArg};

#[derive(Parser, Debug)]
#[command(
    name = "iamlint",
    version,
    about = "Offline linter for AWS IAM roles in Terraform and CloudFormation",
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 no finding at or above the threshold, 1 findings, 2 usage, config or rule error, or a file that could not be read or parsed."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check roles (the default command).
    Check(CheckArgs),
    /// Print every role with who can assume it and what stayed unresolved.
    Roles(CheckArgs),
    /// List the rules; `rules test` runs rules' examples, `rules schema` prints the rule
    /// format's JSON Schema.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Explain(ExplainArgs),
    /// Print every trust relationship (role, principal, guards), write or check the approval
    /// file (iam-trusts.yaml).
    Trusts(TrustsArgs),
    /// Write a commented .iamlint.yaml listing the accounts and organizations the code trusts.
    Init(InitArgs),
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Configuration file for every file (default: for each file, the nearest .iamlint.yaml at
    /// or above it within the repository, else the one at the repository root or above).
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Directory of extra rule files; a rule with a built-in id replaces it. Repeatable.
    #[arg(long = "rules", value_name = "DIR", global = true)]
    rules_dirs: Vec<PathBuf>,
    /// Colours: auto (a terminal and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
}

#[derive(Args, Debug, Clone)]
struct CheckArgs {
    #[command(flatten)]
    scan: ScanArgs,
    #[command(flatten)]
    common: Common,
    /// Output format: human, json, sarif, github, junit, markdown or concise. FORMAT=FILE
    /// writes that report to FILE; repeat for several reports in one run
    /// (`--format human --format sarif=iamlint.sarif`).
    #[arg(long, value_name = "FORMAT[=FILE]", value_parser = parse_format_spec)]
    format: Vec<(Format, Option<PathBuf>)>,
    /// The repository root: reads stay under it and report paths are relative to it
    /// (default: the git work tree of the first path, else that path).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Report only what the change adds since the git ref REF (`origin/main`): the tree at REF
    /// is read from the repository's objects, checked the same way, and compared by finding
    /// identity (no line numbers), offline.
    #[arg(long, value_name = "REF")]
    diff: Option<String>,
    /// Report findings but exit with 0 (errors still exit with 2).
    #[arg(long)]
    exit_zero: bool,
    /// Exit with 1 only for findings at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    severity_threshold: Option<SeverityArg>,
    /// Drop the findings recorded in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings' fingerprints in FILE, then report as usual.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also list the findings that inline suppressions silenced, with their reasons.
    #[arg(long)]
    show_suppressed: bool,
    /// Exit with 2 when no Terraform or CloudFormation file was read (also `fail_on_empty:
    /// true` in the config): an empty run is not a clean one.
    #[arg(long)]
    fail_on_empty: bool,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct RulesArgs {
    #[command(subcommand)]
    action: Option<RulesAction>,
    #[command(flatten)]
    common: Common,
    #[arg(long, value_enum)]
    format: Option<ListFormat>,
}

#[derive(Subcommand, Debug)]
enum RulesAction {
    /// Run the examples of the rules in DIR... as tests: a bad example must produce the rule's
    /// finding, a good one must not. Exit codes: 0 all passed, 1 a failure, 2 a rule that does
    /// not load.
    Test(RulesTestArgs),
    /// Print the JSON Schema of the rule file format (docs/rule.schema.json).
    Schema,
}

#[derive(Args, Debug)]
struct RulesTestArgs {
    /// Directories of rule files to test (default: the `--rules` directories and the config's
    /// `rules_dirs`).
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Also test the built-in rules (alone: only them).
    #[arg(long)]
    builtin: bool,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// The rule id, e.g. IAM001.
    rule: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// `FORMAT` or `FORMAT=FILE`.
fn parse_format_spec(s: &str) -> Result<(Format, Option<PathBuf>), String> {
    let (name, file) = match s.split_once('=') {
        Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
        Some((n, _)) => return Err(format!("`{n}=` needs a file name after `=`")),
        None => (s, None),
    };
    let format = Format::from_str(name, true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        format!("unknown format `{name}` (one of {})", names.join(", "))
    })?;
    Ok((format, file))
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn fail(msg: &str) -> i32 {
    eprintln!("iamlint: {msg}");
    2
}

/// The config given with `--config`, else `.iamlint.yaml` at the repository root of the scanned
/// paths or a parent, else in the current directory or a parent. Files below with a nearer
/// `.iamlint.yaml` are checked with that one (see [`run::check`]).
fn load_config(common: &Common, paths: &[PathBuf]) -> Result<Config, String> {
    let root = run::scan_root(if paths.is_empty() { &[] } else { paths });
    let from_path = if paths.is_empty() {
        None
    } else {
        config::find(&root)
    };
    let found = match &common.config {
        Some(p) => return load_named(p),
        None => from_path.or_else(|| std::env::current_dir().ok().and_then(|d| config::find(&d))),
    };
    match found {
        Some(p) => {
            // Found, not named: inside the repository it goes through the guarded reader.
            let mut c = config::load_found(&p, &root).map_err(|e| e.to_string())?;
            c.path = Some(p);
            Ok(c)
        }
        None => Ok(Config::default()),
    }
}

/// The config named with `--config`, read wherever it is.
fn load_named(p: &std::path::Path) -> Result<Config, String> {
    let mut c = config::load(p).map_err(|e| e.to_string())?;
    c.path = Some(p.to_path_buf());
    Ok(c)
}

/// The built-in rules and the `--rules` directories; each configuration adds its own
/// `rules_dirs` (see [`run::check`]). The given config's rule ids are checked here.
fn load_rules(common: &Common, config: &Config) -> Result<Vec<Rule>, String> {
    let mut all = rules::builtin().map_err(|e| e.to_string())?;
    for dir in common.rules_dirs.iter() {
        let extra = rules::load_dir(dir).map_err(|e| e.to_string())?;
        all = rules::merge(all, extra);
    }
    let mut with_config = all.clone();
    for dir in &config.rules_dirs {
        let extra = rules::load_dir_within(dir, config.inside_repo.as_deref())
            .map_err(|e| e.to_string())?;
        with_config = rules::merge(with_config, extra);
    }
    let ids: Vec<&str> = with_config.iter().map(|r| r.id.as_str()).collect();
    config.check_rule_ids(&ids).map_err(|e| e.to_string())?;
    Ok(all)
}

/// The configuration and the rules in effect (built-in, then rule directories in order).
fn setup(common: &Common, paths: &[PathBuf]) -> Result<(Config, Vec<Rule>), String> {
    let config = load_config(common, paths)?;
    let rules = load_rules(common, &config)?;
    Ok((config, rules))
}

fn split_kv(items: &[String], what: &str) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("{what} `{s}` must be NAME=VALUE"))
        })
        .collect()
}

fn write_out(path: &Option<PathBuf>, text: &str) -> Result<(), String> {
    match path {
        Some(p) => {
            // A report path such as `reports/iamlint.sarif` may name a directory CI has not
            // made yet.
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`iamlint | head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}

/// Runs the command line and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    if let Some(msg) = mistyped_command(&args) {
        return fail(&msg);
    }
    let parse = |args: Vec<std::ffi::OsString>| {
        Cli::command()
            .try_get_matches_from(args)
            .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)))
    };
    let mut parsed = parse(args.clone());
    // `iamlint --rules DIR check .`: an option before the command makes clap read the command's
    // name as a path. When that path does not exist, the user meant the command: move it first.
    if let Ok((cli, m)) = &parsed
        && cli.command.is_none()
        && let Some(first) = cli.check.scan.paths.first()
        && let Some(name) = first.to_str()
        && Cli::command().find_subcommand(name).is_some()
        && !first.exists()
        && let Some(at) = m.index_of("paths")
        && at < args.len()
        && args[at] == *name
    {
        let mut moved = args.clone();
        let cmd = moved.remove(at);
        moved.insert(1, cmd);
        parsed = parse(moved);
    }
    let (cli, matches) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // `--var` and `--var-file` apply in the order given, so their positions are needed.
    let sub = matches.subcommand().map(|(_, m)| m).unwrap_or(&matches);
    let var_order = var_args_in_order(sub);
    match cli.command {
        None => check_cmd(cli.check, var_order, false),
        Some(Command::Check(a)) => check_cmd(a, var_order, false),
        Some(Command::Roles(a)) => check_cmd(a, var_order, true),
        Some(Command::Rules(a)) => rules_cmd(a),
        Some(Command::Explain(a)) => explain_cmd(a),
        Some(Command::Trusts(a)) => trusts_cmd(a, var_order),
        Some(Command::Init(a)) => init_cmd(a, var_order),
    }
}

/// The `--var` and `--var-file` arguments in command-line order.
fn var_args_in_order(m: &clap::ArgMatches) -> Vec<TfVarArg> {
    let mut out: Vec<(usize, TfVarArg)> = Vec::new();
    // `rules` and `explain` have no such arguments; asking clap for an unknown id panics.
    if m.try_contains_id("vars").is_err() || m.try_contains_id("var_files").is_err() {
        return Vec::new();
    }
    if let (Some(idx), Some(vals)) = (m.indices_of("vars"), m.get_many::<String>("vars")) {
        for (i, v) in idx.zip(vals) {
            let (k, val) = v.split_once('=').unwrap_or((v.as_str(), ""));
            out.push((i, TfVarArg::Value(k.trim().to_string(), val.to_string())));
        }
    }
    if let (Some(idx), Some(vals)) = (
        m.indices_of("var_files"),
        m.get_many::<PathBuf>("var_files"),
    ) {
        for (i, v) in idx.zip(vals) {
            out.push((i, TfVarArg::File(v.clone())));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, a)| a).collect()
}

fn check_cmd(a: CheckArgs, tf_var_args: Vec<TfVarArg>, inventory: bool) -> i32 {
    let scanned = if a.scan.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.scan.paths.clone()
    };
    let (config, rules) = match setup(&a.common, &scanned) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let mut opts = match scan_options(&a.scan, &a.common, tf_var_args) {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    opts.root = a.root.clone();
    if inventory
        && a.format
            .iter()
            .any(|(f, _)| !matches!(f, Format::Human | Format::Json))
    {
        return fail(
            "roles: the inventory is printed as human or json; use `iamlint --format ...` for findings",
        );
    }
    let mut outcome = match run::check(&opts, &config, &rules) {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    outcome.show_suppressed = a.show_suppressed;
    if let Some(reference) = &a.diff
        && let Err(e) = crate::diff::against(
            reference,
            &opts,
            &config,
            &rules,
            &mut outcome,
            a.baseline.as_slice(),
        )
    {
        return fail(&e);
    }
    let fail_on_empty = a.fail_on_empty || config.fail_on_empty;
    if outcome.empty {
        let shown: Vec<String> = opts.paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "iamlint: no Terraform or CloudFormation file was read in {}{}",
            shown.join(" "),
            if fail_on_empty {
                " (--fail-on-empty)"
            } else {
                "; nothing was checked"
            }
        );
        if fail_on_empty {
            return 2;
        }
    }
    if let Some(path) = &a.write_baseline
        && let Err(e) = write_out(
            &Some(path.clone()),
            &crate::baseline::render(&outcome.findings),
        )
    {
        return fail(&e);
    }
    if let Some(path) = &a.baseline {
        // With --diff, findings the ref already had are dropped anyway: a baseline can only
        // hide new ones. Entries the change itself adds to a baseline in the repository are
        // not honoured, only those it had at the ref.
        let known = match &a.diff {
            Some(reference) => match crate::diff::file_at(reference, path) {
                Ok(Some(text)) => {
                    crate::baseline::parse(&text, &crate::discover::display_path(path))
                }
                Ok(None) if path_in_git(path) => Ok(Default::default()),
                Ok(None) => crate::baseline::load(path),
                Err(e) => Err(e),
            },
            None => crate::baseline::load(path),
        };
        match known {
            Ok(known) => {
                let before = outcome.findings.len();
                outcome.findings.retain(|f| !known.contains(&f.fingerprint));
                outcome.baselined = before - outcome.findings.len();
            }
            Err(e) => return fail(&e),
        }
    }
    let threshold = a
        .severity_threshold
        .map(Severity::from)
        .or(config.severity_threshold)
        .unwrap_or(Severity::Low);
    // Each report goes to its own file, or to --output, or to standard output; at most one
    // report may take standard output.
    let mut reports: Vec<(Format, Option<PathBuf>)> = a.format.clone();
    if reports.is_empty() {
        reports.push((Format::Human, None));
    }
    if reports.iter().filter(|(_, f)| f.is_none()).count() > 1 {
        return fail(
            "several --format without a file would share standard output; give all but one a file (--format sarif=iamlint.sarif)",
        );
    }
    for (format, file) in &reports {
        let dest = file.clone().or_else(|| a.output.clone());
        let color = use_color(a.common.color) && dest.is_none();
        let text = if inventory {
            match format {
                Format::Json => pretty(&report::json::roles(&outcome, &config)),
                _ => report::human::roles(&outcome, &config),
            }
        } else {
            match format {
                Format::Human => report::human::check(&outcome, &rules, color),
                Format::Json => pretty(&report::json::check(&outcome)),
                Format::Sarif => pretty(&report::sarif::check(&outcome, &rules)),
                Format::Github => report::github::check(&outcome),
                Format::Junit => report::junit::check(&outcome, &rules),
                Format::Markdown => report::markdown::check(&outcome),
                Format::Concise => report::concise::check(&outcome),
            }
        };
        if let Err(e) = write_out(&dest, &text) {
            return fail(&e);
        }
    }
    if inventory || a.exit_zero {
        if outcome.errors.is_empty() { 0 } else { 2 }
    } else {
        run::exit_code(&outcome, threshold)
    }
}

/// Whether `path` lies in a git work tree (its baseline at a ref is then the committed one).
fn path_in_git(path: &std::path::Path) -> bool {
    let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    abs.ancestors().any(|d| d.join(".git").exists())
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn rules_cmd(a: RulesArgs) -> i32 {
    match a.action {
        Some(RulesAction::Test(t)) => return rules_test_cmd(&a.common, t),
        Some(RulesAction::Schema) => {
            return match write_out(&None, RULE_SCHEMA) {
                Ok(()) => 0,
                Err(e) => fail(&e),
            };
        }
        None => {}
    }
    let (config, rules) = match setup(&a.common, &[]) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let text = match a.format.unwrap_or(ListFormat::Human) {
        ListFormat::Json => pretty(&report::json::rules(&rules)),
        ListFormat::Human => {
            let mut s = String::new();
            for r in &rules {
                let off = if config.disabled.contains(&r.id) {
                    " (disabled in the config)"
                } else if !r.enabled_by_default && !config.enabled.contains(&r.id) {
                    " (off by default; `enable: [ID]` in the config turns it on)"
                } else {
                    ""
                };
                s.push_str(&format!(
                    "{:<8} {:<9} {}{off}\n",
                    r.id,
                    r.severity.as_str(),
                    r.title
                ));
            }
            s
        }
    };
    match write_out(&None, &text) {
        Ok(()) => 0,
        Err(e) => fail(&e),
    }
}

/// The JSON Schema of rule files, as checked in (`iamlint rules schema`).
pub const RULE_SCHEMA: &str = include_str!("../docs/rule.schema.json");

/// `iamlint rules test`: the rules of the given directories (or the `--rules` and config
/// directories), and the built-in rules with `--builtin`, each example run against the built-in
/// rules with every custom rule merged over them.
fn rules_test_cmd(common: &Common, t: RulesTestArgs) -> i32 {
    let config = match load_config(common, &[]) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let builtin = match rules::builtin() {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let configured: Vec<PathBuf> = common
        .rules_dirs
        .iter()
        .chain(config.rules_dirs.iter())
        .cloned()
        .collect();
    let dirs = if t.dirs.is_empty() && !t.builtin {
        if configured.is_empty() {
            return fail(
                "no rules to test: name rule directories (`iamlint rules test DIR`), use \
                 --builtin, or list `rules_dirs` in .iamlint.yaml",
            );
        }
        configured.clone()
    } else {
        t.dirs.clone()
    };
    let mut all = builtin.clone();
    for dir in &configured {
        match rules::load_dir(dir) {
            Ok(extra) => all = rules::merge(all, extra),
            Err(e) => return fail(&e.to_string()),
        }
    }
    let mut tested = if t.builtin { builtin } else { Vec::new() };
    for dir in &dirs {
        match rules::load_dir(dir) {
            Ok(extra) if extra.is_empty() => {
                return fail(&format!(
                    "{}: no rule files (*.yaml, *.yml) to test",
                    dir.display()
                ));
            }
            Ok(extra) => {
                all = rules::merge(all, extra.clone());
                tested.extend(extra);
            }
            Err(e) => return fail(&e.to_string()),
        }
    }
    let outcomes = rules::testing::test_rules(&tested, &all);
    if let Err(e) = write_out(&None, &rules::testing::render(&outcomes)) {
        return fail(&e);
    }
    if outcomes.iter().all(|o| o.passed()) {
        0
    } else {
        1
    }
}

/// A rule's documentation as text (also the source of docs/rules/*.md).
pub fn explain_text(r: &Rule) -> String {
    let mut s = format!("# {}: {}\n\n", r.id, r.title);
    s.push_str(&format!(
        "Severity: {}. Scope: {}.\n\n",
        r.severity.as_str(),
        r.scope.as_str()
    ));
    s.push_str(&format!(
        "## What it does\n\n{}\n\n",
        r.description.what.trim()
    ));
    s.push_str(&format!(
        "## Why is this bad?\n\n{}\n\n",
        r.description.why.trim()
    ));
    s.push_str(&format!(
        "## How to fix it\n\n{}\n\n",
        r.description.fix.trim()
    ));
    for kind in [rules::ExampleKind::Bad, rules::ExampleKind::Good] {
        let exs: Vec<_> = r.examples.iter().filter(|e| e.expect == kind).collect();
        if exs.is_empty() {
            continue;
        }
        s.push_str(match kind {
            rules::ExampleKind::Bad => "## Example\n\n",
            rules::ExampleKind::Good => "## Use instead\n\n",
        });
        for e in exs {
            s.push_str(&format!("{}:\n\n", e.name));
            if let Some(t) = &e.terraform {
                s.push_str(&format!("```hcl\n{}\n```\n\n", t.trim_end()));
            }
            if let Some(c) = &e.cloudformation {
                s.push_str(&format!("```yaml\n{}\n```\n\n", c.trim_end()));
            }
        }
    }
    if !r.references.is_empty() {
        s.push_str("## References\n\n");
        for x in &r.references {
            s.push_str(&format!("- {x}\n"));
        }
        s.push('\n');
    }
    if !r.equivalents.is_empty() {
        s.push_str(&format!(
            "Equivalent checks: {}\n",
            r.equivalents.join(", ")
        ));
    }
    s
}

fn explain_cmd(a: ExplainArgs) -> i32 {
    let (_, rules) = match setup(&a.common, &[]) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    match rules.iter().find(|r| r.id.eq_ignore_ascii_case(&a.rule)) {
        Some(r) => match write_out(&None, &explain_text(r)) {
            Ok(()) => 0,
            Err(e) => fail(&e),
        },
        None => fail(&format!("no rule `{}`; `iamlint rules` lists them", a.rule)),
    }
}

/// A first argument that is neither an option, an existing path nor a command, but close to a
/// command (`iamlint trust`): "no such command; did you mean trusts".
fn mistyped_command(args: &[std::ffi::OsString]) -> Option<String> {
    let first = args.get(1)?.to_str()?;
    if first.starts_with('-') || std::path::Path::new(first).exists() {
        return None;
    }
    let cmd = Cli::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .chain(std::iter::once("help".to_string()))
        .collect();
    if names.iter().any(|n| n == first) {
        return None;
    }
    let lower = first.to_ascii_lowercase();
    let best = names
        .iter()
        .map(|n| (edit_distance(&lower, n), n))
        .filter(|(d, n)| *d <= 2 && *d < n.len())
        .min()?;
    Some(format!(
        "no such command `{first}`; did you mean {}? (`iamlint help` lists the commands; a path that does not exist is not checked)",
        best.1
    ))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// What a command scans: the paths and the values that resolve them.
#[derive(Args, Debug, Clone)]
struct ScanArgs {
    /// Files and directories to read (default: the current directory).
    paths: Vec<PathBuf>,
    /// Skip files and directories matching GLOB (repeatable; added to the config's exclude).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Terraform variable value, as `terraform -var` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Terraform variable file, as `terraform -var-file` (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// CloudFormation parameter value (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// CloudFormation parameter file: the CLI's JSON list or {"Parameters": {...}} (repeatable).
    #[arg(long = "parameters", value_name = "FILE")]
    parameter_files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct TrustsArgs {
    #[command(flatten)]
    scan: ScanArgs,
    #[command(flatten)]
    common: Common,
    /// Output format of the inventory.
    #[arg(long, value_enum)]
    format: Option<TrustFormat>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write the approval file (iam-trusts.yaml, or `trusts_file` of the config) from the
    /// trusts in the code, keeping reason, ticket, approved_by and expires.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Only compare the code with the approval file; exit 1 on a finding.
    #[arg(long)]
    check: bool,
    /// Print the trust relationships added, widened, narrowed and removed since the git ref
    /// REF (as `iamlint --diff` reads it), instead of the inventory.
    #[arg(long, value_name = "REF", conflicts_with_all = ["check", "write"])]
    diff: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TrustFormat {
    /// A table.
    #[value(alias = "table")]
    Human,
    Json,
    Markdown,
    /// Graphviz DOT.
    Dot,
    Mermaid,
}

#[derive(Args, Debug)]
struct InitArgs {
    #[command(flatten)]
    scan: ScanArgs,
    #[command(flatten)]
    common: Common,
    /// Overwrite an existing .iamlint.yaml (and iam-trusts.yaml with --write-trusts).
    #[arg(long)]
    force: bool,
    /// Also write the approval file, iam-trusts.yaml, next to the config.
    #[arg(long)]
    write_trusts: bool,
}

/// Reads the roles under the scan paths with `rules` (none for an inventory).
fn scan(
    s: &ScanArgs,
    common: &Common,
    tf_var_args: Vec<TfVarArg>,
    config: &Config,
    rules: &[Rule],
) -> Result<(run::Outcome, PathBuf, Options), String> {
    let opts = scan_options(s, common, tf_var_args)?;
    let outcome = run::check(&opts, config, rules)?;
    let root = opts.root();
    Ok((outcome, root, opts))
}

/// The run options of the scan arguments (`--var` values come in command-line order with the
/// `--var-file`s, in `tf_var_args`; they are checked here for the message).
fn scan_options(
    s: &ScanArgs,
    common: &Common,
    tf_var_args: Vec<TfVarArg>,
) -> Result<Options, String> {
    split_kv(&s.vars, "--var")?;
    let cfn_parameters = split_kv(&s.parameters, "--parameter")?;
    let paths = if s.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        s.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let opts = Options {
        paths,
        per_file_config: common.config.is_none(),
        root: None,
        excludes: s.exclude.clone(),
        resolve: ResolveOptions {
            tf_var_args,
            tf_env_vars: std::env::vars()
                .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_string(), v)))
                .collect(),
            cfn_parameters,
            cfn_parameter_files: s.parameter_files.clone(),
        },
    };
    Ok(opts)
}

fn print_errors(outcome: &run::Outcome) {
    for e in &outcome.errors {
        eprintln!("{}:{}:{}: error: {}", e.file, e.line, e.column, e.message);
    }
}

/// The rules that report the approval file's notices (IAM401-IAM404, or replacements).
fn approval_rules(rules: &[Rule]) -> Vec<Rule> {
    fn mentions(p: &rules::Pred) -> bool {
        match p {
            rules::Pred::All(ps) | rules::Pred::Any(ps) => ps.iter().any(mentions),
            rules::Pred::Not(p) => mentions(p),
            rules::Pred::NoticeKind(k) => k
                .iter()
                .any(|k| crate::trusts::approvals::KINDS.contains(&k.as_str())),
            _ => false,
        }
    }
    rules
        .iter()
        .filter(|r| r.scope == rules::Scope::Notice && r.matcher.as_ref().is_some_and(mentions))
        .cloned()
        .collect()
}

/// The approval file's entries before a rewrite (none when it does not exist).
fn previous_entries(
    path: &std::path::Path,
    repo: &std::path::Path,
) -> Result<Vec<crate::trusts::approvals::Entry>, String> {
    let sources = crate::span::SourceMap::default();
    match crate::trusts::approvals::load(path, &sources, repo) {
        Ok(e) => Ok(e.unwrap_or_default()),
        Err(e) => {
            let (line, column) = match (e.span, e.line_col) {
                (Some(span), _) => sources
                    .range(span)
                    .map_or((1, 1), |(s, _)| (s.line, s.column)),
                (None, Some(lc)) => lc,
                (None, None) => (1, 1),
            };
            Err(format!(
                "{}:{line}:{column}: {}",
                crate::discover::display_path(path),
                e.message
            ))
        }
    }
}

fn write_trusts_file(
    outcome: &run::Outcome,
    config: &Config,
    path: &std::path::Path,
    repo: &std::path::Path,
) -> Result<usize, String> {
    write_trusts_for(outcome, &outcome.roles, config, path, repo)
}

/// Writes the approval file at `path` for `roles` (the roles that answer to it).
fn write_trusts_for(
    outcome: &run::Outcome,
    roles: &[crate::iam::model::Role],
    config: &Config,
    path: &std::path::Path,
    repo: &std::path::Path,
) -> Result<usize, String> {
    let previous = previous_entries(path, repo)?;
    let edges = crate::trusts::edges::edges(roles, &outcome.sources, config);
    let text = crate::trusts::approvals::render(
        &edges,
        &previous,
        &crate::trusts::evaluated_roots(roles),
        repo,
    );
    write_out(&Some(path.to_path_buf()), &text)?;
    Ok(edges.len())
}

fn trusts_cmd(a: TrustsArgs, tf_var_args: Vec<TfVarArg>) -> i32 {
    let (config, all_rules) = match setup(&a.common, &a.scan.paths) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let rules = if a.check {
        approval_rules(&all_rules)
    } else {
        Vec::new()
    };
    let (mut outcome, repo, opts) = match scan(&a.scan, &a.common, tf_var_args, &config, &rules) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    if let Some(reference) = &a.diff {
        if let Err(e) = crate::diff::against(reference, &opts, &config, &rules, &mut outcome, &[]) {
            return fail(&e);
        }
        let Some(d) = &outcome.diff else {
            return 2;
        };
        let text = match a.format.unwrap_or(TrustFormat::Human) {
            TrustFormat::Human => report::human::trust_changes(&outcome),
            TrustFormat::Json => pretty(&report::json::check(&outcome)["summary"]["diff"]),
            TrustFormat::Markdown => report::markdown::trust_changes(d),
            TrustFormat::Dot | TrustFormat::Mermaid => {
                let grown: Vec<crate::trusts::edges::Edge> = d
                    .trusts
                    .iter()
                    .filter(|c| c.kind < crate::diff::TrustChangeKind::Narrowed)
                    .map(|c| c.edge.clone())
                    .collect();
                if matches!(a.format, Some(TrustFormat::Dot)) {
                    crate::trusts::graph::dot(&grown)
                } else {
                    crate::trusts::graph::mermaid(&grown)
                }
            }
        };
        print_errors(&outcome);
        if let Err(e) = write_out(&a.output, &text) {
            return fail(&e);
        }
        return if outcome.errors.is_empty() { 0 } else { 2 };
    }
    let trusts_path = config.trusts_path(&repo);
    if a.check {
        let any_file = run::approval_files(&outcome, &config, opts.per_file_config)
            .keys()
            .any(|p| p.exists());
        if !any_file {
            return fail(&format!(
                "{}: no approval file; write one with `iamlint trusts --write`",
                crate::discover::display_path(&trusts_path)
            ));
        }
        let color = use_color(a.common.color) && a.output.is_none();
        let text = match a.format {
            Some(TrustFormat::Json) => pretty(&report::json::check(&outcome)),
            _ => report::human::check(&outcome, &rules, color),
        };
        if let Err(e) = write_out(&a.output, &text) {
            return fail(&e);
        }
        return run::exit_code(&outcome, Severity::Info);
    }
    if !outcome.errors.is_empty() {
        print_errors(&outcome);
        if a.write {
            return fail("not writing the approval file: some files could not be read");
        }
    }
    if a.write {
        // Each root's trusts go to its approval file: the `trusts_file` of the nearest config
        // that sets one, else this one's.
        let groups = run::approval_files(&outcome, &config, opts.per_file_config);
        let several = groups.len() > 1;
        for (path, idx) in groups {
            // The top-level file is written without roles only when it is the only one, or
            // already exists (its entries of roots not looked at are kept).
            if idx.is_empty() && (path != trusts_path || (several && !path.exists())) {
                continue;
            }
            let roles: Vec<crate::iam::model::Role> =
                idx.iter().map(|&i| outcome.roles[i].clone()).collect();
            match write_trusts_for(&outcome, &roles, &config, &path, &repo) {
                Ok(n) => eprintln!(
                    "iamlint: wrote {n} trust relationship{} to {}",
                    if n == 1 { "" } else { "s" },
                    crate::discover::display_path(&path)
                ),
                Err(e) => return fail(&e),
            }
        }
        return 0;
    }
    let edges = crate::trusts::edges::edges(&outcome.roles, &outcome.sources, &config);
    let text = match a.format.unwrap_or(TrustFormat::Human) {
        TrustFormat::Human => crate::trusts::render::table(&edges),
        TrustFormat::Json => pretty(&crate::trusts::render::json(&edges, &outcome.errors)),
        TrustFormat::Markdown => crate::trusts::render::markdown(&edges),
        TrustFormat::Dot => crate::trusts::graph::dot(&edges),
        TrustFormat::Mermaid => crate::trusts::graph::mermaid(&edges),
    };
    if let Err(e) = write_out(&a.output, &text) {
        return fail(&e);
    }
    if outcome.errors.is_empty() { 0 } else { 2 }
}

fn init_cmd(a: InitArgs, tf_var_args: Vec<TfVarArg>) -> i32 {
    let dir = a
        .scan
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return fail(&format!(
            "{}: not a directory (init writes .iamlint.yaml into the directory it scans)",
            dir.display()
        ));
    }
    let config_path = dir.join(config::CONFIG_FILE);
    let trusts_path = dir.join(config::TRUSTS_FILE);
    for (p, wanted) in [(&config_path, true), (&trusts_path, a.write_trusts)] {
        if wanted && p.exists() && !a.force {
            return fail(&format!(
                "{} already exists; pass --force to overwrite it",
                crate::discover::display_path(p)
            ));
        }
    }
    let mut common = a.common.clone();
    // An existing config (with --force) still says what to exclude; the new one is written
    // from scratch.
    if common.config.is_none() && config_path.exists() {
        common.config = Some(config_path.clone());
    }
    let (mut config, _) = match setup(&common, std::slice::from_ref(&dir)) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let (outcome, repo, _) = match scan(&a.scan, &common, tf_var_args, &config, &[]) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    if !outcome.errors.is_empty() {
        print_errors(&outcome);
        return fail("not writing the configuration: some files could not be read");
    }
    // Suggestions name vendors, not what an old config trusted.
    config.trusted_accounts.clear();
    config.trusted_organizations.clear();
    let edges = crate::trusts::edges::edges(&outcome.roles, &outcome.sources, &config);
    if let Err(e) = write_out(
        &Some(config_path.clone()),
        &crate::trusts::init_config(&edges),
    ) {
        return fail(&e);
    }
    eprintln!(
        "iamlint: wrote {} ({} trust relationships in {} files)",
        crate::discover::display_path(&config_path),
        edges.len(),
        outcome.files_scanned
    );
    if a.write_trusts {
        match write_trusts_file(&outcome, &config, &trusts_path, &repo) {
            Ok(n) => eprintln!(
                "iamlint: wrote {n} trust relationship{} to {}",
                if n == 1 { "" } else { "s" },
                crate::discover::display_path(&trusts_path)
            ),
            Err(e) => return fail(&e),
        }
    }
    0
}
