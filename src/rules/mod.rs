//! Rules are data: one YAML file a rule, embedded from `rules/` at build time, with more from
//! `--rules DIR`. This module owns the rule schema ([`Rule`], [`Pred`]), loading with errors that
//! name the file, line and field, and the evaluation of rules over the IAM model ([`engine`]).

pub mod can;
pub mod engine;
pub(crate) mod select;
pub mod testing;

use std::path::Path;

use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Severity of a finding, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// What a rule iterates over; decides which predicates apply and where findings point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Each principal that an Allow statement of a trust policy lets assume the role, after
    /// Deny statements are subtracted. Findings point at the principal.
    TrustPrincipal,
    /// Each statement of a trust policy. Findings point at the statement.
    TrustStatement,
    /// Each statement of the role's permission policies (inline and customer managed in the
    /// code). Findings point at the statement.
    PolicyStatement,
    /// Each role. Findings point at the trust policy, or the role when it has none.
    Role,
    /// Each value in a trust policy that could not be resolved. Findings point at the expression.
    Unresolved,
    /// Each managed policy the role attaches by ARN. Findings point at the ARN.
    ManagedPolicy,
    /// Each part of the role's permission policies that could not be resolved (a policy
    /// document from an unknown value, a SAM policy template iamlint does not know). Findings
    /// point at the expression.
    UnresolvedPolicy,
    /// Each notice from a loader (a module not on disk, a cross-stack import).
    Notice,
    /// Each shape problem of a trust or permission policy document.
    DocumentProblem,
    /// Each risky grant of the role's effective permissions (inline, customer managed in the
    /// code, AWS managed by ARN): full admin, full IAM, an escalation path, PassRole or
    /// AssumeRole on `*`, a broad data read. Findings point at the action or managed policy ARN.
    RolePermission,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::TrustPrincipal => "trust_principal",
            Scope::TrustStatement => "trust_statement",
            Scope::PolicyStatement => "policy_statement",
            Scope::Role => "role",
            Scope::Unresolved => "unresolved",
            Scope::UnresolvedPolicy => "unresolved_policy",
            Scope::ManagedPolicy => "managed_policy",
            Scope::Notice => "notice",
            Scope::DocumentProblem => "document_problem",
            Scope::RolePermission => "role_permission",
        }
    }
}

/// A predicate of a rule's `match`, written as a one-key map (`principal: [any]`). `all`, `any`
/// and `not` combine them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Pred {
    All(Vec<Pred>),
    Any(Vec<Pred>),
    Not(Box<Pred>),
    /// trust_principal: what the principal denotes: any, account, service, federated,
    /// canonical_user, unresolved, invalid.
    Principal(Vec<PrincipalKind>),
    /// trust_principal: the account's relation: self, trusted, vendor, unknown, any.
    Relation(Vec<RelationName>),
    /// trust_principal: the kind of identity in the account: root, role, user, assumed_role,
    /// federated_user.
    Identity(Vec<IdentityName>),
    /// trust_principal: the principal ARN has `*` as its account.
    AccountWildcard(bool),
    /// trust_principal: a service principal with a wildcard (`*`, `*.amazonaws.com`).
    ServiceWildcard(bool),
    /// trust_principal: the federated provider: github, eks, cognito, gitlab, terraform_cloud,
    /// circleci, bitbucket, buildkite, google, facebook, amazon, saml, oidc.
    Provider(Vec<String>),
    /// trust_principal: the federated trust has one of these weaknesses: sub_missing, sub_any,
    /// sub_owner_wide, aud_missing, amr_missing.
    Federation(Vec<String>),
    /// trust_principal: the statement (or a Deny in the same policy) restricts which identities
    /// can use it (aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount,
    /// aws:SourceArn, ...), honouring IfExists, ForAllValues and wildcard semantics.
    Restricted(bool),
    /// Any scope with a statement: a positive, restricting condition on one of these keys.
    HasCondition(Vec<String>),
    /// trust_principal / trust_statement: the statement requires MFA.
    RequiresMfa(bool),
    /// managed_policy: an AWS managed policy ARN (`arn:aws:iam::aws:policy/...`) that names a
    /// policy AWS publishes (`exists`) or none (`missing`; `{detail}` suggests the closest).
    AwsManaged(Vec<String>),
    /// trust_principal / trust_statement: the statement limits callers to AWS Organizations
    /// (aws:PrincipalOrgID, or the first segment of aws:PrincipalOrgPaths) that are all
    /// `trusted`, or of which some are `untrusted` (not in `trusted_organizations`).
    Organization(Vec<String>),
    /// trust_statement / policy_statement: the statement's Effect.
    Effect(EffectName),
    /// trust_statement / policy_statement: the statement uses one of these elements:
    /// not_principal, not_action, not_resource, principal, resource.
    Uses(Vec<String>),
    /// Any scope with a statement: the statement's Action (or NotAction complement) covers one
    /// of these actions.
    AllowsAction(Vec<String>),
    /// notice: the notice kind.
    NoticeKind(Vec<String>),
    /// document_problem: the document is a trust or identity policy.
    DocumentKind(DocKindName),
    /// document_problem: the problem's code (missing_version, principal_in_identity,
    /// unknown_action, ...; see `iam::model::ProblemCode::id`).
    Problem(Vec<String>),
    /// trust_principal: a service principal of a service that sends aws:SourceArn /
    /// aws:SourceAccount (see `iam::services`) whose trust does not pin them.
    ConfusedDeputy(bool),
    /// policy_statement: an Allow whose Action names every action of one of these services
    /// (`iam:*`); `"*"` stands for any service.
    WildcardService(Vec<String>),
    /// policy_statement: an Allow on all resources without a limiting condition whose Action
    /// has a wildcard pattern (other than `*` alone) covering Write or Permissions-management
    /// actions.
    WildcardWrite(bool),
    /// policy_statement: an Allow on all resources without a limiting condition that names one
    /// of the single dangerous actions of `iam::dangerous` (`s3:PutBucketPolicy`,
    /// `kms:ScheduleKeyDeletion`, ...) without a wildcard.
    DangerousAction(bool),
    /// policy_statement: the statement applies to all resources (`*`, an ARN of wildcards, or
    /// NotResource).
    ResourceWildcard(bool),
    /// role / role_permission: some principal of the trust policy (after Deny subtraction)
    /// satisfies the trust_principal predicate. In `role` scope the finding points at it.
    Trust(Box<Pred>),
    /// role / role_permission: the role's effective permissions include one of these grants:
    /// admin, iam_write, privilege_escalation, pass_role_any, assume_role_any, data_read. In
    /// `role` scope the grant's place is added as a label.
    Permission(Vec<String>),
    /// Every scope with a role: the role's name matches one of these globs (`*`, `?`;
    /// case-insensitive, as IAM compares role names). Unknown or generated names are undecided.
    RoleName(Vec<String>),
    /// Every scope with a role: the role's path (`/` when not given) matches one of the globs.
    RolePath(Vec<String>),
    /// Every scope with a role: the role has each tag with a value matching its glob.
    RoleTag(std::collections::BTreeMap<String, String>),
    /// Every scope with a role: the Terraform address or CloudFormation logical id matches one
    /// of the globs; `[*]` matches any instance key.
    Address(Vec<String>),
    /// Every scope with a role: the file that declares the role, or a file of the module calls
    /// that instantiate it, matches one of these repository-relative globs (`**` crosses `/`).
    File(Vec<String>),
    /// Every scope with a role: where the role comes from.
    Source(Vec<SourceName>),
    /// trust_principal: the principal's account is one of these (12-digit ids, names from
    /// `trusted_accounts`, vendor names).
    Account(Vec<String>),
    /// trust_principal: the principal (ARN, account id, service or federated provider) is
    /// within one of these globs.
    PrincipalMatches(Vec<String>),
    /// trust_principal: the principal's account belongs to one of these vendors.
    Vendor(Vec<String>),
    /// trust_principal: every subject a federated trust admits is within one of the globs.
    SubjectsWithin(Vec<String>),
    /// trust_principal: every audience a federated trust admits is within one of the globs.
    AudiencesWithin(Vec<String>),
    /// role / role_permission: the role's effective permissions (inline, customer managed in
    /// the code, AWS managed by ARN, minus certain Denies, within the permissions boundary)
    /// allow one of the actions on a resource matching one of the patterns (see `rules::can`).
    Can(CanQuery),
    /// role / role_permission: the role has a permissions boundary.
    HasBoundary(bool),
    /// role / role_permission: the role's MaxSessionDuration (3600 seconds when absent) is
    /// over this many seconds.
    MaxSessionDurationOver(u64),
}

/// The argument of `can`: action patterns, and resource patterns (absent: any resource).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CanQuery {
    pub actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<String>>,
}

/// Where a role comes from, for the `source` selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceName {
    Terraform,
    Cloudformation,
    Sam,
    Cdk,
    Plan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    Any,
    Account,
    Service,
    Federated,
    CanonicalUser,
    Unresolved,
    Invalid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationName {
    #[serde(rename = "self")]
    SelfAccount,
    Trusted,
    Vendor,
    Unknown,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityName {
    Root,
    Role,
    User,
    AssumedRole,
    FederatedUser,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum EffectName {
    Allow,
    Deny,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKindName {
    Trust,
    Identity,
}

/// A severity that applies when a predicate holds (`severity_by`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityWhen {
    pub when: Pred,
    pub severity: Severity,
}

/// The documentation of a rule, in the four parts of STYLE.md (the example is in `examples`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    pub what: String,
    pub why: String,
    pub fix: String,
}

/// One example of a rule: a bad one must produce the finding, a good one must not.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    pub expect: ExampleKind,
    #[serde(default)]
    pub terraform: Option<String>,
    #[serde(default)]
    pub cloudformation: Option<String>,
    /// Config (as `.iamlint.yaml` text) to run the example with.
    #[serde(default)]
    pub config: Option<String>,
    /// Other files the example needs (a local module, a parameter file), by relative path.
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExampleKind {
    Bad,
    Good,
}

/// A rule as written in its file.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub scope: Scope,
    /// When absent, every item of the scope matches.
    #[serde(default, rename = "match")]
    pub matcher: Option<Pred>,
    #[serde(default)]
    pub severity_by: Vec<SeverityWhen>,
    /// The finding's message; `{role}`, `{principal}`, `{account}`, `{detail}`... are filled in.
    pub message: String,
    pub description: Description,
    #[serde(default)]
    pub references: Vec<String>,
    /// Matching checks of other scanners, as `tool:ID` (checkov, kics, trivy, cfn_nag).
    #[serde(default)]
    pub equivalents: Vec<String>,
    #[serde(default)]
    pub examples: Vec<Example>,
    /// `false` for rules that run only when the config enables them (`enable: [ID]`).
    #[serde(default = "default_true")]
    pub enabled_by_default: bool,
    /// Where the rule came from (`builtin:rules/x.yaml` or a path); not part of the file.
    #[serde(skip)]
    pub origin: String,
}

fn default_true() -> bool {
    true
}

/// A rule file error: file, line, column and what was wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

const EQUIVALENT_TOOLS: &[&str] = &["checkov", "kics", "trivy", "cfn_nag", "tfsec", "cfn_lint"];

/// Parses and checks one rule file.
pub fn parse_rule(text: &str, origin: &str) -> Result<Rule, RuleError> {
    let mut rule: Rule = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((1, 1));
        RuleError {
            file: origin.to_string(),
            line,
            column,
            message: crate::config::first_line(&e.to_string()),
        }
    })?;
    rule.origin = origin.to_string();
    let at = |field: &str, message: String| {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{field}:")))
            .map_or(1, |i| i + 1);
        RuleError {
            file: origin.to_string(),
            line,
            column: 1,
            message: format!("{field}: {message}"),
        }
    };
    let id_ok = !rule.id.is_empty()
        && rule.id.len() <= 32
        && rule
            .id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !id_ok {
        return Err(at(
            "id",
            format!(
                "`{}` must be upper-case letters, digits, `_` or `-`",
                rule.id
            ),
        ));
    }
    if rule.title.trim().is_empty() {
        return Err(at("title", "must not be empty".into()));
    }
    if rule.message.trim().is_empty() {
        return Err(at("message", "must not be empty".into()));
    }
    for e in &rule.equivalents {
        let ok = e
            .split_once(':')
            .is_some_and(|(t, id)| EQUIVALENT_TOOLS.contains(&t) && !id.is_empty());
        if !ok {
            return Err(at(
                "equivalents",
                format!(
                    "`{e}` must be written tool:ID with tool one of {}",
                    EQUIVALENT_TOOLS.join(", ")
                ),
            ));
        }
    }
    // A predicate that does not load is reported at its own key.
    let at_pred = |section: &str, when: Option<usize>, e: engine::PredError| {
        let (line, column) = locate_pred(text, section, when, e.key, e.nth);
        RuleError {
            file: origin.to_string(),
            line,
            column,
            message: format!("{section}: {}", e.message),
        }
    };
    if let Some(m) = &rule.matcher
        && let Err(e) = engine::check_pred_at(m, rule.scope)
    {
        return Err(at_pred("match", None, e));
    }
    for (i, s) in rule.severity_by.iter().enumerate() {
        if let Err(e) = engine::check_pred_at(&s.when, rule.scope) {
            return Err(at_pred("severity_by", Some(i), e));
        }
    }
    if let Err(msg) = engine::check_message(&rule.message, rule.scope) {
        return Err(at("message", msg));
    }
    for ex in &rule.examples {
        if ex.terraform.is_none() && ex.cloudformation.is_none() {
            return Err(at(
                "examples",
                format!(
                    "example `{}` has neither terraform nor cloudformation",
                    ex.name
                ),
            ));
        }
    }
    Ok(rule)
}

/// The line and column (1-based) of the `nth` occurrence of the mapping key `key` in the
/// top-level `section` of a rule file (`match`, or the `when` of entry `when` of `severity_by`),
/// in block or flow style; the section's line when it cannot be found.
fn locate_pred(
    text: &str,
    section: &str,
    when: Option<usize>,
    key: &str,
    nth: usize,
) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(top) = lines
        .iter()
        .position(|l| l.starts_with(&format!("{section}:")))
    else {
        return (1, 1);
    };
    let end = lines
        .iter()
        .enumerate()
        .skip(top + 1)
        .find(|(_, l)| l.chars().next().is_some_and(|c| !" \t-#".contains(c)))
        .map_or(lines.len(), |(i, _)| i);
    let key_re = |k: &str| {
        regex::Regex::new(&format!(
            r#"(?:^|[\s{{\[,?-])["']?({})["']?\s*:"#,
            regex::escape(k)
        ))
    };
    let (Ok(section_re), Ok(re)) = (key_re("when"), key_re(key)) else {
        return (top + 1, 1);
    };
    // Occurrences of a key from (line, byte) on, in the section, comments left out.
    let find = |re: &regex::Regex, from: (usize, usize)| -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate().take(end).skip(from.0) {
            let code = match line.find(" #") {
                Some(c) => &line[..c],
                None if line.trim_start().starts_with('#') => "",
                None => line,
            };
            let start = if i == from.0 {
                from.1.min(code.len())
            } else {
                0
            };
            for c in re.captures_iter(&code[start..]) {
                if let Some(m) = c.get(1) {
                    let col = code[..start + m.start()].chars().count() + 1;
                    out.push((i, col, start + c.get(0).map_or(0, |m| m.end())));
                }
            }
        }
        out
    };
    let mut from = (top, section.len() + 1);
    if let Some(w) = when {
        match find(&section_re, from).get(w) {
            Some((line, _, after)) => from = (*line, *after),
            None => return (top + 1, 1),
        }
    }
    match find(&re, from).get(nth.saturating_sub(1)) {
        Some((line, col, _)) => (line + 1, *col),
        None => (from.0 + 1, 1),
    }
}

/// The built-in rules, sorted by id.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    for (name, text) in BUILTIN_RULES {
        rules.push(parse_rule(text, &format!("rules/{name}"))?);
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

/// Loads every `*.yaml`/`*.yml` file of `dir` (not recursive), sorted by name.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>, RuleError> {
    load_dir_within(dir, None)
}

/// The rule files of a directory that a config found inside the repository `repo` names: a
/// rule file that is a link out of the repository is refused, and nothing of it is shown.
pub fn load_dir_within(dir: &Path, repo: Option<&Path>) -> Result<Vec<Rule>, RuleError> {
    use crate::source::read::Access;
    let access = repo.map_or(Access::Named, Access::Inside);
    let display = crate::discover::display_path(dir);
    let err = |m: String| RuleError {
        file: display.clone(),
        line: 1,
        column: 1,
        message: m,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| err(format!("cannot read the rules directory: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let shown = crate::discover::display_path(&p);
        let bytes = crate::source::read::read(&p, access).map_err(|e| RuleError {
            file: shown.clone(),
            line: 1,
            column: 1,
            message: match e {
                crate::span::LoadError::OutsideRoot => "the rule file resolves (through a symbolic link) outside the repository; it was not read".to_string(),
                e => format!("cannot read: {e}"),
            },
        })?;
        let text = crate::span::decode(&bytes).map_err(|e| RuleError {
            file: shown.clone(),
            line: 1,
            column: 1,
            message: e.to_string(),
        })?;
        out.push(parse_rule(&text, &shown)?);
    }
    Ok(out)
}

/// Built-in rules with `extra` rules added; a rule with the id of an earlier one replaces it.
pub fn merge(mut base: Vec<Rule>, extra: Vec<Rule>) -> Vec<Rule> {
    for r in extra {
        match base.iter_mut().find(|b| b.id == r.id) {
            Some(slot) => *slot = r,
            None => base.push(r),
        }
    }
    base.sort_by(|a, b| a.id.cmp(&b.id));
    base
}
