//! The configuration file `.iamlint.yaml` (found in the current directory or a parent, or given
//! with `--config`) and the embedded list of known vendor accounts. The config says which
//! accounts and organisations the user trusts, what to exclude, and which rules to disable or
//! re-rate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::iam::principals::{Trust, is_account_id};
use crate::rules::Severity;

pub const CONFIG_FILE: &str = ".iamlint.yaml";

/// `trusted_accounts` as a list of ids or a map of id to name.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AccountsField {
    List(Vec<AccountId>),
    Map(BTreeMap<String, String>),
}

/// An account id written as a string or a number. In the config a number is an error (a
/// leading zero would be lost); the vendor list keeps ids as numbers where they have none.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AccountId {
    Text(String),
    Number(u64),
    /// Anything else YAML made of it (an octal-looking or huge number, a float).
    Other(serde_json::Value),
}

impl AccountId {
    fn text(&self) -> String {
        match self {
            AccountId::Text(s) => s.clone(),
            AccountId::Number(n) => format!("{n:012}"),
            AccountId::Other(v) => v.to_string(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSetting {
    #[serde(default)]
    disable: bool,
    severity: Option<Severity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    trusted_accounts: Option<AccountsField>,
    #[serde(default)]
    trusted_organizations: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    disable: Vec<String>,
    /// Rules that are off by default (`enabled_by_default: false`) to turn on.
    #[serde(default)]
    enable: Vec<String>,
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
    /// Extra rule directories, relative to the config file.
    #[serde(default)]
    rules_dirs: Vec<String>,
    severity_threshold: Option<Severity>,
    /// The approval file of trust relationships, relative to the config file.
    trusts_file: Option<String>,
    /// Exit with 2 when the run read no Terraform or CloudFormation file.
    #[serde(default)]
    fail_on_empty: bool,
}

/// The configuration in effect.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub path: Option<PathBuf>,
    /// Account id to name ("" when listed without one).
    pub trusted_accounts: BTreeMap<String, String>,
    pub trusted_organizations: Vec<String>,
    pub exclude: Vec<String>,
    pub disabled: Vec<String>,
    /// Rules that are off by default, turned on.
    pub enabled: Vec<String>,
    pub severity_overrides: BTreeMap<String, Severity>,
    pub rules_dirs: Vec<PathBuf>,
    pub severity_threshold: Option<Severity>,
    /// `trusts_file`: the approval file (`iam-trusts.yaml`), resolved against the config
    /// file's directory.
    pub trusts_file: Option<PathBuf>,
    /// The repository root when the config was found inside it (a pull request controls it):
    /// the rule files of its `rules_dirs` are read only inside the repository.
    pub inside_repo: Option<PathBuf>,
    pub fail_on_empty: bool,
    /// Every rule id the file names (under `disable`, `enable` and `rules`) with its line and
    /// column, for [`Config::check_rule_ids`].
    pub rule_ids: Vec<(String, usize, usize)>,
    /// The file as shown in errors.
    pub display: String,
}

/// The approval file's default name, next to the config file (or at the repository root).
pub const TRUSTS_FILE: &str = "iam-trusts.yaml";

/// A config error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Finds `.iamlint.yaml` in `start` or a parent.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .map(|d| d.join(CONFIG_FILE))
        .find(|p| p.is_file())
}

/// The nearest `.iamlint.yaml` at or above the (canonical) directory `dir` that is still
/// within `repo`: the config that applies to the files of `dir`.
pub fn nearest_within(dir: &Path, repo: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .take_while(|d| d.starts_with(repo))
        .map(|d| d.join(CONFIG_FILE))
        .find(|p| p.is_file())
}

/// Reads and checks a config file named by the user (`--config`): wherever it is.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with(path, None)
}

/// Reads and checks a config file that iamlint found. One inside the repository `repo` (which a
/// pull request controls) is read through the guarded reader, so a link out of the repository
/// is refused and nothing of its target is shown, and its `trusts_file` and `rules_dirs` must
/// stay inside the repository. One above the repository (a user's own) is read as named.
pub fn load_found(path: &Path, repo: &Path) -> Result<Config, ConfigError> {
    let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    let inside = path
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .and_then(|d| d.canonicalize().ok())
        .is_some_and(|d| d.starts_with(&repo));
    load_with(path, inside.then_some(repo.as_path()))
}

/// True when `path`, made absolute and normalised (no `..`), is under the canonical `repo`; the
/// path's existing parent is canonicalised so that links above it count.
pub fn within(path: &Path, repo: &Path) -> bool {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |c| c.join(path))
    };
    let norm = crate::discover::normalize(&abs);
    // Canonicalise the longest existing ancestor, keep the rest as written.
    for anc in norm.ancestors() {
        if let Ok(c) = anc.canonicalize() {
            let rest = norm.strip_prefix(anc).unwrap_or(Path::new(""));
            return c.join(rest).starts_with(repo);
        }
    }
    norm.starts_with(repo)
}

fn load_with(path: &Path, repo: Option<&Path>) -> Result<Config, ConfigError> {
    use crate::source::read::Access;
    let display = crate::discover::display_path(path);
    let err = |line: usize, column: usize, message: String| ConfigError {
        file: display.clone(),
        line,
        column,
        message,
    };
    let access = repo.map_or(Access::Named, Access::Inside);
    let bytes = crate::source::read::read(path, access).map_err(|e| {
        let e = match e {
            crate::span::LoadError::OutsideRoot => {
                "the config resolves (through a symbolic link) outside the repository; it was not read".to_string()
            }
            e => e.to_string(),
        };
        err(1, 1, format!("cannot read: {e}"))
    })?;
    let text = crate::span::decode(&bytes).map_err(|e| err(1, 1, e.to_string()))?;
    let mut cfg = parse(&text, &display, path.parent())?;
    cfg.inside_repo = repo.map(Path::to_path_buf);
    if let Some(repo) = repo {
        let escapes = |key: &str, p: &Path| -> Result<(), ConfigError> {
            if within(p, repo) {
                return Ok(());
            }
            let (line, column) = text
                .lines()
                .position(|l| l.trim_start().starts_with(&format!("{key}:")))
                .map_or((1, 1), |i| (i + 1, 1));
            Err(err(
                line,
                column,
                format!(
                    "{key} points outside the repository; a config in the repository may only name files in it"
                ),
            ))
        };
        if let Some(t) = &cfg.trusts_file {
            escapes("trusts_file", t)?;
        }
        for d in &cfg.rules_dirs {
            escapes("rules_dirs", d)?;
        }
    }
    Ok(cfg)
}

/// Parses config text; `dir` is where relative paths in it start.
pub fn parse(text: &str, display: &str, dir: Option<&Path>) -> Result<Config, ConfigError> {
    let raw: RawConfig = if text.trim().is_empty() {
        RawConfig::default()
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line() as usize, l.column() as usize))
                .unwrap_or((1, 1));
            ConfigError {
                file: display.to_string(),
                line,
                column,
                message: first_line(&e.to_string()),
            }
        })?
    };
    let at_key = |key: &str| -> (usize, usize) {
        text.lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map(|i| (i + 1, 1))
            .unwrap_or((1, 1))
    };
    let mut rule_ids = Vec::new();
    for id in raw
        .disable
        .iter()
        .chain(raw.enable.iter())
        .chain(raw.rules.keys())
    {
        let (line, column) = position_of(text, id);
        rule_ids.push((id.clone(), line, column));
    }
    let mut cfg = Config {
        path: None,
        trusted_organizations: raw.trusted_organizations,
        exclude: raw.exclude,
        disabled: raw.disable,
        enabled: raw.enable,
        severity_threshold: raw.severity_threshold,
        fail_on_empty: raw.fail_on_empty,
        rule_ids,
        display: display.to_string(),
        ..Config::default()
    };
    let number_error = |shown: &str| {
        let (line, column) = position_of(text, shown);
        ConfigError {
            file: display.to_string(),
            line,
            column,
            message: format!(
                "trusted_accounts: {shown} is a YAML number, so a leading zero is lost; quote the account id: \"{shown}\""
            ),
        }
    };
    match raw.trusted_accounts {
        None => {}
        Some(AccountsField::List(ids)) => {
            for id in ids {
                match id {
                    AccountId::Text(t) => {
                        cfg.trusted_accounts.insert(t, String::new());
                    }
                    AccountId::Number(n) => {
                        let shown = number_as_written(text, &n.to_string());
                        return Err(number_error(&shown));
                    }
                    AccountId::Other(v) => {
                        // A float such as 11122223333.0: its integral digits.
                        let digits = v
                            .as_f64()
                            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                            .map_or_else(|| v.to_string(), |f| format!("{f:.0}"));
                        let shown = number_as_written(text, &digits);
                        return Err(number_error(&shown));
                    }
                }
            }
        }
        Some(AccountsField::Map(m)) => {
            // A map key that YAML read as a number is written without quotes.
            for id in m.keys() {
                if unquoted_key(text, id) {
                    return Err(number_error(id));
                }
            }
            cfg.trusted_accounts = m;
        }
    }
    for id in cfg.trusted_accounts.keys() {
        if !is_account_id(id) {
            let (line, column) = at_key("trusted_accounts");
            return Err(ConfigError {
                file: display.to_string(),
                line,
                column,
                message: format!("trusted_accounts: `{id}` is not a 12-digit account id"),
            });
        }
    }
    for org in &cfg.trusted_organizations {
        let ok = org.len() >= 12
            && org.starts_with("o-")
            && org[2..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            let (line, column) = at_key("trusted_organizations");
            return Err(ConfigError {
                file: display.to_string(),
                line,
                column,
                message: format!(
                    "trusted_organizations: `{org}` is not an organization id (o- and 10 to 32 lowercase letters or digits)"
                ),
            });
        }
    }
    for (id, setting) in raw.rules {
        if setting.disable {
            cfg.disabled.push(id.clone());
        }
        if let Some(s) = setting.severity {
            cfg.severity_overrides.insert(id, s);
        }
    }
    cfg.rules_dirs = raw
        .rules_dirs
        .iter()
        .map(|d| dir.map(|p| p.join(d)).unwrap_or_else(|| PathBuf::from(d)))
        .collect();
    cfg.trusts_file = raw
        .trusts_file
        .map(|f| dir.map(|p| p.join(&f)).unwrap_or_else(|| PathBuf::from(f)));
    Ok(cfg)
}

impl Config {
    /// Where the approval file is: `trusts_file` when set, else `iam-trusts.yaml` next to the
    /// config file, else at `root` (the repository root).
    pub fn trusts_path(&self, root: &Path) -> PathBuf {
        if let Some(p) = &self.trusts_file {
            return p.clone();
        }
        match self.path.as_ref().and_then(|p| p.parent()) {
            Some(dir) => dir.join(TRUSTS_FILE),
            None => root.join(TRUSTS_FILE),
        }
    }
}

/// The 1-based line and column of the first whole-word occurrence of `word` in `text` (1, 1
/// when absent).
fn position_of(text: &str, word: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find(word) {
            let start = from + at;
            let end = start + word.len();
            let before = line[..start].chars().next_back();
            let after = line[end..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
            if boundary(before) && boundary(after) && !line.trim_start().starts_with('#') {
                return (i + 1, line[..start].chars().count() + 1);
            }
            from = end;
        }
    }
    (1, 1)
}

/// The number as written in the text (with its leading zeros), found by its digits.
fn number_as_written(text: &str, digits: &str) -> String {
    let digits = digits.trim_matches('"');
    for token in text.split(|c: char| !c.is_ascii_alphanumeric() && c != '.') {
        if !token.is_empty()
            && token.trim_start_matches('0') == digits.trim_start_matches('0')
            && token.bytes().all(|b| b.is_ascii_digit())
        {
            return token.to_string();
        }
    }
    digits.to_string()
}

/// True when `key` appears as a mapping key without quotes.
fn unquoted_key(text: &str, key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_digit())
        && text
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{key}:")))
}

/// Levenshtein distance over characters (for "did you mean").
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The id of `known` closest to `id` (edit distance), for "did you mean".
pub fn nearest<'a>(id: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .min_by_key(|k| (edit_distance(&id.to_ascii_uppercase(), k), *k))
}

impl Config {
    /// Every rule id the file names must be a rule that exists: a typo would otherwise leave a
    /// rule on (or off) without a word.
    pub fn check_rule_ids(&self, known: &[&str]) -> Result<(), ConfigError> {
        for (id, line, column) in &self.rule_ids {
            if known.contains(&id.as_str()) {
                continue;
            }
            let hint = nearest(id, known.iter().copied())
                .map(|n| format!("; did you mean {n}?"))
                .unwrap_or_default();
            return Err(ConfigError {
                file: self.display.clone(),
                line: *line,
                column: *column,
                message: format!("no rule has the id `{id}`{hint}"),
            });
        }
        Ok(())
    }
}

/// The first line of a YAML parser's message, without the `error: line N column M: ` it starts with
/// (the error already carries the position as `file:line:column`).
pub fn first_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or(s);
    let rest = first
        .strip_prefix("error: ")
        .unwrap_or(first)
        .strip_prefix("line ")
        .and_then(|r| r.split_once(" column "))
        .and_then(|(l, r)| {
            let (c, m) = r.split_once(": ")?;
            (l.bytes().all(|b| b.is_ascii_digit()) && c.bytes().all(|b| b.is_ascii_digit()))
                .then_some(m)
        });
    rest.unwrap_or(first).to_string()
}

static KNOWN_ACCOUNTS_YAML: &str = include_str!("../data/known_aws_accounts.yaml");

#[derive(Deserialize)]
struct KnownVendor {
    name: String,
    #[serde(default)]
    accounts: Vec<AccountId>,
}

/// Account id to vendor name, from the embedded list (fwdcloudsec/known_aws_accounts, Apache-2.0).
pub fn known_accounts() -> &'static BTreeMap<String, String> {
    static MAP: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        let vendors: Vec<KnownVendor> =
            serde_saphyr::from_str(KNOWN_ACCOUNTS_YAML).unwrap_or_default();
        let mut m = BTreeMap::new();
        for v in vendors {
            for a in v.accounts {
                m.entry(a.text()).or_insert_with(|| v.name.clone());
            }
        }
        m
    })
}

impl Trust for Config {
    fn trusted_account(&self, id: &str) -> Option<&str> {
        self.trusted_accounts.get(id).map(String::as_str)
    }

    fn vendor(&self, id: &str) -> Option<&str> {
        known_accounts().get(id).map(String::as_str)
    }

    fn trusted_organization(&self, id: &str) -> bool {
        self.trusted_organizations.iter().any(|o| o == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_accounts_are_embedded() {
        let m = known_accounts();
        assert_eq!(m.get("464622532012").map(String::as_str), Some("Datadog"));
        assert!(m.len() > 100, "{}", m.len());
    }

    #[test]
    fn trusted_accounts_list_or_map() -> Result<(), ConfigError> {
        let c = parse("trusted_accounts: ['111122223333']\n", "c", None)?;
        assert_eq!(c.trusted_account("111122223333"), Some(""));
        let c = parse("trusted_accounts:\n  '111122223333': prod\n", "c", None)?;
        assert_eq!(c.trusted_account("111122223333"), Some("prod"));
        Ok(())
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = parse("trusted_accounts: ['1234']\n", "c", None).unwrap_err();
        assert!(e.message.contains("1234"), "{e}");
        let e = parse("exclude: []\nunknown_key: 1\n", "c", None).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("unknown_key"), "{e}");
    }
}
