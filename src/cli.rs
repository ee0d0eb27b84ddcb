//! The command line: `iamlint [PATHS]` checks, `iamlint roles` prints the inventory, `iamlint
//! rules` lists the rules, `iamlint explain RULE` prints a rule's documentation. Exit codes: 0
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
    /// List the rules.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Explain(ExplainArgs),
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Configuration file (default: .iamlint.yaml in the current directory or a parent).
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
    /// Files and directories to check (default: the current directory).
    paths: Vec<PathBuf>,
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
    /// Report findings but exit with 0 (errors still exit with 2).
    #[arg(long)]
    exit_zero: bool,
    /// Exit with 1 only for findings at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    severity_threshold: Option<SeverityArg>,
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
    /// Drop the findings recorded in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings' fingerprints in FILE, then report as usual.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 2 when no Terraform or CloudFormation file was read (also `fail_on_empty:
    /// true` in the config): an empty run is not a clean one.
    #[arg(long)]
    fail_on_empty: bool,
}

#[derive(Args, Debug)]
struct RulesArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, value_enum)]
    format: Option<ListFormat>,
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
    let from_path = if paths.is_empty() {
        None
    } else {
        config::find(&run::scan_root(paths))
    };
    let path = match &common.config {
        Some(p) => Some(p.clone()),
        None => from_path.or_else(|| std::env::current_dir().ok().and_then(|d| config::find(&d))),
    };
    match path {
        Some(p) => {
            let mut c = config::load(&p).map_err(|e| e.to_string())?;
            c.path = Some(p);
            Ok(c)
        }
        None => Ok(Config::default()),
    }
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
        let extra = rules::load_dir(dir).map_err(|e| e.to_string())?;
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
    let parsed = Cli::command()
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
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
    let scanned = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let (config, rules) = match setup(&a.common, &scanned) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    // Checked here for the message; the values come in order from `tf_var_args`.
    if let Err(e) = split_kv(&a.vars, "--var") {
        return fail(&e);
    }
    let cfn_parameters = match split_kv(&a.parameters, "--parameter") {
        Ok(v) => v,
        Err(e) => return fail(&e),
    };
    let tf_env_vars = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_string(), v)))
        .collect();
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            return fail(&format!("{}: no such file or directory", p.display()));
        }
    }
    let opts = Options {
        paths,
        per_file_config: a.common.config.is_none(),
        root: a.root.clone(),
        excludes: a.exclude.clone(),
        resolve: ResolveOptions {
            tf_var_args,
            tf_env_vars,
            cfn_parameters,
            cfn_parameter_files: a.parameter_files.clone(),
        },
    };
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
        match crate::baseline::load(path) {
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

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn rules_cmd(a: RulesArgs) -> i32 {
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
