//! The selectors of custom rules: which role a finding is about (`role_name`, `role_path`,
//! `role_tag`, `address`, `file`, `source`), which principal (`account`, `principal_matches`,
//! `vendor`), and which federated subjects and audiences a trust admits (`subjects_within`,
//! `audiences_within`). Each answers in three values: a value the code does not give (a name from
//! a variable, a generated name, an unresolved principal or condition) is undecided, with a
//! sentence saying what is unknown; the engine turns the answers into verdicts.

use crate::iam::conditions::{OpKind, SetOp, names_key, parse_operator};
use crate::iam::federation;
use crate::iam::model::{Role, SourceKind};
use crate::iam::principals::{Class, Provider, Trust, is_account_id};
use crate::iam::trust::Grant;
use crate::rules::{Pred, Rule, SourceName};
use crate::trusts::pattern;
use crate::value::SELF_ACCOUNT;

/// A selector's answer: holds, fails, or cannot be decided (with why). A selector leaves
/// `{detail}` to the predicates it is combined with; `{role_name}`, `{account}` and `{subject}`
/// show what it looked at.
pub(crate) enum Sel {
    Holds,
    Fails,
    Undecided(String),
}

/// What a selector may look at.
pub(crate) struct Ctx<'a> {
    pub role: Option<&'a Role>,
    pub grant: Option<&'a Grant<'a>>,
    pub trust: &'a (dyn Trust + Sync),
    /// Repository-relative paths of the run's files, by file id.
    pub paths: &'a [String],
}

/// Selectors of the role, in every scope whose items have one.
pub(crate) const ROLE_SELECTORS: &[&str] = &[
    "role_name",
    "role_path",
    "role_tag",
    "address",
    "file",
    "source",
];

/// True for the predicates this module evaluates.
pub(crate) fn is_selector(p: &Pred) -> bool {
    matches!(
        p,
        Pred::RoleName(_)
            | Pred::RolePath(_)
            | Pred::RoleTag(_)
            | Pred::Address(_)
            | Pred::File(_)
            | Pred::Source(_)
            | Pred::Account(_)
            | Pred::PrincipalMatches(_)
            | Pred::Vendor(_)
            | Pred::SubjectsWithin(_)
            | Pred::AudiencesWithin(_)
    )
}

/// Checks a selector's arguments when the rule is loaded.
pub(crate) fn check(p: &Pred) -> Result<(), String> {
    let empty = match p {
        Pred::RoleName(v)
        | Pred::RolePath(v)
        | Pred::Address(v)
        | Pred::File(v)
        | Pred::Account(v)
        | Pred::PrincipalMatches(v)
        | Pred::Vendor(v)
        | Pred::SubjectsWithin(v)
        | Pred::AudiencesWithin(v) => v.is_empty(),
        Pred::RoleTag(m) => m.is_empty(),
        Pred::Source(v) => v.is_empty(),
        _ => false,
    };
    if empty {
        return Err("an empty list never holds: give at least one value".into());
    }
    match p {
        Pred::File(globs) => globs.iter().try_for_each(|g| file_glob(g).map(|_| ())),
        Pred::Account(ids) => match ids
            .iter()
            .find(|a| a.bytes().all(|b| b.is_ascii_digit()) && !is_account_id(a))
        {
            Some(bad) => Err(format!(
                "`{bad}` is not a 12-digit account id (or a name from trusted_accounts or the vendor list)"
            )),
            None => Ok(()),
        },
        Pred::Vendor(names) => match names.iter().find(|n| !is_vendor_name(n)) {
            Some(bad) => Err(match closest_vendor(bad) {
                Some(c) => format!("`{bad}` is not a known vendor: did you mean `{c}`?"),
                None => format!("`{bad}` is not a known vendor (see data/known_aws_accounts.yaml)"),
            }),
            None => Ok(()),
        },
        Pred::RoleTag(pairs) if pairs.keys().any(|k| k.is_empty()) => {
            Err("a tag key must not be empty".into())
        }
        _ => Ok(()),
    }
}

/// The account names (not ids) a rule's `account` selectors use: each must be a vendor or a
/// name in the configuration's `trusted_accounts`, which only the run knows.
pub(crate) fn account_names(rule: &Rule) -> Vec<String> {
    fn walk(p: &Pred, out: &mut Vec<String>) {
        match p {
            Pred::All(ps) | Pred::Any(ps) => ps.iter().for_each(|p| walk(p, out)),
            Pred::Not(p) | Pred::Trust(p) => walk(p, out),
            Pred::Account(names) => out.extend(
                names
                    .iter()
                    .filter(|n| !n.bytes().all(|b| b.is_ascii_digit()) && !is_vendor_name(n))
                    .cloned(),
            ),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for p in rule
        .matcher
        .iter()
        .chain(rule.severity_by.iter().map(|s| &s.when))
    {
        walk(p, &mut out);
    }
    out
}

fn is_vendor_name(name: &str) -> bool {
    crate::config::known_accounts()
        .values()
        .any(|v| v.eq_ignore_ascii_case(name))
}

fn closest_vendor(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    crate::config::known_accounts()
        .values()
        .map(|v| {
            (
                crate::config::edit_distance(&lower, &v.to_ascii_lowercase()),
                v.as_str(),
            )
        })
        .filter(|(d, v)| *d <= (v.len() / 3).max(2))
        .min()
        .map(|(_, v)| v)
}

/// A literal value within an IAM-style glob (`*` any run, `?` one character).
fn glob_match(glob: &str, value: &str) -> bool {
    pattern::contains(glob, &pattern::encode(value, false))
}

/// True when the glob matches some string that starts with `prefix`: reading `prefix` leaves
/// the glob with a way to go on (whatever is left matches some suffix).
fn may_start_with(glob: &str, prefix: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let close = |mut s: Vec<usize>| {
        let mut i = 0;
        while i < s.len() {
            let p = s[i];
            if g.get(p) == Some(&'*') && !s.contains(&(p + 1)) {
                s.push(p + 1);
            }
            i += 1;
        }
        s
    };
    let mut states = close(vec![0]);
    for c in prefix.chars() {
        let mut next = Vec::new();
        for &p in &states {
            let step = match g.get(p) {
                Some('*') => Some(p),
                Some('?') => Some(p + 1),
                Some(x) if *x == c => Some(p + 1),
                _ => None,
            };
            if let Some(n) = step.filter(|n| !next.contains(n)) {
                next.push(n);
            }
        }
        states = close(next);
        if states.is_empty() {
            return false;
        }
    }
    true
}

fn file_glob(g: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(g.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("`{g}` is not a valid file glob: {e}"))
}

thread_local! {
    static FILE_GLOBS: std::cell::RefCell<std::collections::HashMap<String, Option<globset::GlobMatcher>>> =
        Default::default();
}

fn file_matches(glob: &str, path: &str) -> bool {
    FILE_GLOBS.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache
            .entry(glob.to_string())
            .or_insert_with(|| file_glob(glob).ok())
            .as_ref()
            .is_some_and(|m| m.is_match(path))
    })
}

/// Evaluates a selector (see [`is_selector`]).
pub(crate) fn eval(p: &Pred, cx: &Ctx) -> Sel {
    match p {
        Pred::Account(_)
        | Pred::PrincipalMatches(_)
        | Pred::Vendor(_)
        | Pred::SubjectsWithin(_)
        | Pred::AudiencesWithin(_) => match cx.grant {
            Some(g) => principal(p, g, cx),
            None => Sel::Fails,
        },
        _ => match cx.role {
            Some(r) => role(p, r, cx),
            None => Sel::Fails,
        },
    }
}

fn any_glob(globs: &[String], value: &str) -> Sel {
    match globs.iter().any(|g| glob_match(g, value)) {
        true => Sel::Holds,
        false => Sel::Fails,
    }
}

fn role(p: &Pred, r: &Role, cx: &Ctx) -> Sel {
    match p {
        Pred::RoleName(globs) => match &r.name {
            None => Sel::Undecided(format!(
                "{} has no name in the code ({} generates one when none is given)",
                r.address,
                match r.source {
                    SourceKind::Terraform => "Terraform",
                    SourceKind::Cloudformation => "CloudFormation",
                }
            )),
            Some(n) => match &n.value {
                Err(u) => Sel::Undecided(format!("the name is {}, unknown: {}", u.expr, u.reason)),
                Ok(name) if r.name_is_prefix => {
                    // The name is the prefix and a suffix Terraform generates.
                    let names = format!("{}*", pattern::encode(&name.to_ascii_lowercase(), false));
                    let globs: Vec<String> = globs.iter().map(|g| g.to_ascii_lowercase()).collect();
                    if globs.iter().any(|g| pattern::contains(g, &names)) {
                        Sel::Holds
                    } else if globs
                        .iter()
                        .any(|g| may_start_with(g, &name.to_ascii_lowercase()))
                    {
                        Sel::Undecided(format!(
                            "the name is `{name}` (name_prefix) and a suffix Terraform generates"
                        ))
                    } else {
                        Sel::Fails
                    }
                }
                Ok(name) => {
                    let lower = name.to_ascii_lowercase();
                    match globs
                        .iter()
                        .any(|g| glob_match(&g.to_ascii_lowercase(), &lower))
                    {
                        true => Sel::Holds,
                        false => Sel::Fails,
                    }
                }
            },
        },
        Pred::RolePath(globs) => match r.path.as_ref().map(|p| &p.value) {
            None => any_glob(globs, "/"),
            Some(Ok(path)) => any_glob(globs, path),
            Some(Err(u)) => {
                Sel::Undecided(format!("the path is {}, unknown: {}", u.expr, u.reason))
            }
        },
        Pred::RoleTag(want) => {
            let mut undecided = None;
            for (key, glob) in want {
                match r.tags.pairs.iter().rev().find(|(k, _)| k == key) {
                    Some((_, v)) => match &v.value {
                        Ok(val) if glob_match(glob, val) => {}
                        Ok(_) => return Sel::Fails,
                        Err(u) => {
                            undecided.get_or_insert_with(|| {
                                format!("tag `{key}` is {}, unknown: {}", u.expr, u.reason)
                            });
                        }
                    },
                    None => match &r.tags.unknown {
                        Some(u) => {
                            undecided.get_or_insert_with(|| {
                                format!(
                                    "tag `{key}` may come from {}, unknown: {}",
                                    u.expr, u.reason
                                )
                            });
                        }
                        None => return Sel::Fails,
                    },
                }
            }
            match undecided {
                Some(why) => Sel::Undecided(why),
                None => Sel::Holds,
            }
        }
        Pred::Address(globs) => any_glob(globs, &r.address),
        Pred::File(globs) => {
            for f in role_files(r, cx.paths) {
                if globs.iter().any(|g| file_matches(g, f)) {
                    return Sel::Holds;
                }
            }
            Sel::Fails
        }
        Pred::Source(names) => {
            let have = sources(r, cx.paths);
            match names.iter().find(|n| have.contains(n)) {
                Some(_) => Sel::Holds,
                None => Sel::Fails,
            }
        }
        _ => Sel::Fails,
    }
}

/// The files a `file` selector tests: the role's own, the Terraform files of its provenance
/// (the module calls that instantiate it, the variables it reads) and, for a template or plan,
/// its root.
fn role_files<'p>(r: &Role, paths: &'p [String]) -> Vec<&'p str> {
    let path = |id: crate::span::FileId| paths.get(id.0 as usize).map(String::as_str);
    let mut out: Vec<&str> = path(r.span.file).into_iter().collect();
    for f in r.files.iter().filter_map(|f| path(*f)) {
        if (f.ends_with(".tf") || f.ends_with(".tf.json")) && !out.contains(&f) {
            out.push(f);
        }
    }
    if let Some(root) = paths.iter().find(|p| **p == r.root)
        && !out.contains(&root.as_str())
    {
        out.push(root);
    }
    out
}

/// Where a role comes from: its family (terraform, cloudformation) and what made it (a plan
/// file, SAM, CDK).
fn sources(r: &Role, paths: &[String]) -> Vec<SourceName> {
    let mut out = Vec::new();
    match r.source {
        SourceKind::Terraform => {
            out.push(SourceName::Terraform);
            if r.root.ends_with(".json") && !r.root.ends_with(".tf.json") {
                out.push(SourceName::Plan);
            }
        }
        SourceKind::Cloudformation => {
            out.push(SourceName::Cloudformation);
            if r.resource_type.starts_with("AWS::Serverless::") {
                out.push(SourceName::Sam);
            }
            let manifest = r.files.iter().any(|f| {
                paths
                    .get(f.0 as usize)
                    .is_some_and(|p| p == "manifest.json" || p.ends_with("/manifest.json"))
            });
            if manifest || r.metadata.iter().any(|(k, _)| k == "aws:cdk:path") {
                out.push(SourceName::Cdk);
            }
        }
    }
    out
}

fn principal(p: &Pred, g: &Grant, cx: &Ctx) -> Sel {
    if let Class::Unresolved = g.class {
        let why = g
            .principal
            .value
            .unknown()
            .map(|u| format!("the principal is {}, unknown: {}", u.expr, u.reason))
            .unwrap_or_else(|| "the principal is unresolved".into());
        return Sel::Undecided(why);
    }
    match p {
        Pred::Account(wanted) => {
            let Some(acct) = account_of(g) else {
                return Sel::Fails;
            };
            if acct == SELF_ACCOUNT {
                return Sel::Undecided(
                    "the principal is this account, whose id the code does not give".into(),
                );
            }
            let names = [cx.trust.trusted_account(&acct), cx.trust.vendor(&acct)];
            let hit = wanted.iter().any(|w| {
                *w == acct
                    || names
                        .iter()
                        .flatten()
                        .any(|n| !n.is_empty() && n.eq_ignore_ascii_case(w))
            });
            match hit {
                true => Sel::Holds,
                false => Sel::Fails,
            }
        }
        Pred::Vendor(wanted) => {
            let Some(acct) = account_of(g) else {
                return Sel::Fails;
            };
            match cx.trust.vendor(&acct) {
                Some(v) if wanted.iter().any(|w| w.eq_ignore_ascii_case(v)) => Sel::Holds,
                _ => Sel::Fails,
            }
        }
        Pred::PrincipalMatches(globs) => principal_matches(g, globs),
        Pred::SubjectsWithin(globs) => within(g, Claim::Subject, globs),
        Pred::AudiencesWithin(globs) => within(g, Claim::Audience, globs),
        _ => Sel::Fails,
    }
}

/// The account of a principal: an AWS principal's, or a federated provider's. `*` and
/// principals without an account have none.
fn account_of(g: &Grant) -> Option<String> {
    match &g.class {
        Class::Account { account, .. } if account != "*" => Some(account.clone()),
        Class::Federated {
            account: Some(a), ..
        } => Some(a.clone()),
        _ => None,
    }
}

/// The principal's names a glob may match: its value, the root ARN of a bare account id, a
/// service's name, a federated provider's host. A principal that is a wildcard is matched by a
/// glob only when the glob contains every name it admits.
fn principal_matches(g: &Grant, globs: &[String]) -> Sel {
    let Some(raw) = g.principal.value.get() else {
        return Sel::Fails;
    };
    let raw = raw.trim().to_string();
    let mut names = vec![raw.clone()];
    match &g.class {
        Class::Account {
            account, partition, ..
        } if raw == *account => names.push(format!("arn:{partition}:iam::{account}:root")),
        Class::Service { name, .. } => names.push(name.clone()),
        Class::Federated { issuer, .. } => names.push(issuer.clone()),
        _ => {}
    }
    let twelve = "?".repeat(12);
    let mut undecided = false;
    for n in &names {
        let is_self = n.contains(SELF_ACCOUNT);
        let as_pattern = n.replace(SELF_ACCOUNT, &twelve);
        if globs
            .iter()
            .any(|glob| pattern::contains(glob, &as_pattern))
        {
            return Sel::Holds;
        }
        // This account's id is not in the code: a glob that names an account may match it.
        if is_self
            && globs
                .iter()
                .any(|glob| pattern::contains(&any_account(glob), &as_pattern))
        {
            undecided = true;
        }
    }
    if undecided {
        Sel::Undecided("the principal is in this account, whose id the code does not give".into())
    } else {
        Sel::Fails
    }
}

/// A glob with every 12-digit run replaced by 12 `?`: it matches whatever account ids.
fn any_account(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::with_capacity(glob.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 12 {
            out.push_str("????????????");
            i += run;
        } else if run > 0 {
            out.extend(&chars[i..i + run]);
            i += run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    Subject,
    Audience,
}

/// The values a federated trust admits for a claim.
enum Admitted {
    /// Not a federated principal, or a provider without the claim.
    NotFederated,
    /// No condition pins the claim.
    Every,
    /// Each positive condition on the claim (their intersection is admitted): per condition,
    /// each value as a pattern and as written.
    Sets(Vec<Vec<(String, String)>>),
    /// Something that may pin it could not be resolved.
    Unknown(String),
}

fn claim_key(g: &Grant, claim: Claim) -> Option<String> {
    let Class::Federated {
        provider, issuer, ..
    } = &g.class
    else {
        return None;
    };
    let (sub, aud) = federation::keys(*provider, issuer);
    match claim {
        Claim::Subject => sub.or_else(|| (*provider == Provider::Saml).then(|| "SAML:sub".into())),
        Claim::Audience => aud,
    }
}

fn admitted(g: &Grant, claim: Claim) -> Admitted {
    let Some(key) = claim_key(g, claim) else {
        return Admitted::NotFederated;
    };
    let st = g.statement;
    if let Some(u) = &st.condition_unknown {
        return Admitted::Unknown(format!(
            "the Condition is {}, unknown: {}",
            u.expr, u.reason
        ));
    }
    let mut sets = Vec::new();
    let mut unknown = None;
    for c in &st.conditions {
        let Some(k) = c.key.get() else {
            unknown.get_or_insert_with(|| {
                let u = c.key.unknown().map(|u| (u.expr.clone(), u.reason.clone()));
                let (e, r) = u.unwrap_or_default();
                format!("a condition key is {e}, unknown: {r}")
            });
            continue;
        };
        if !names_key(c, &key) {
            let _ = k;
            continue;
        }
        let Some(op_name) = c.operator.get() else {
            unknown
                .get_or_insert_with(|| format!("the operator of the {key} condition is unknown"));
            continue;
        };
        // Only operators that fail when the value differs pin it; a case-insensitive match admits
        // more spellings than its values say, so it is not counted (the safe side).
        let Some(op) = parse_operator(op_name) else {
            continue;
        };
        if op.negated
            || op.if_exists
            || op.set == SetOp::ForAllValues
            || op.ignore_case
            || !matches!(op.kind, OpKind::String | OpKind::Arn)
        {
            continue;
        }
        if let Some(u) = c.values.iter().find_map(|v| v.unknown()) {
            unknown.get_or_insert_with(|| {
                format!("a value of {key} is {}, unknown: {}", u.expr, u.reason)
            });
            continue;
        }
        let set: Vec<(String, String)> = c
            .values
            .iter()
            .filter_map(|v| v.get())
            .map(|t| (pattern::encode(t, op.like), t.to_string()))
            .collect();
        sets.push(set);
    }
    match (sets.is_empty(), unknown) {
        (true, Some(why)) => Admitted::Unknown(why),
        (true, None) => Admitted::Every,
        (false, _) => Admitted::Sets(sets),
    }
}

fn outside<'s>(set: &'s [(String, String)], globs: &[String]) -> Vec<&'s str> {
    set.iter()
        .filter(|(p, _)| !globs.iter().any(|g| pattern::contains(g, p)))
        .map(|(_, t)| t.as_str())
        .collect()
}

fn within(g: &Grant, claim: Claim, globs: &[String]) -> Sel {
    let every = |g: &String| pattern::contains(g, "*");
    match admitted(g, claim) {
        Admitted::NotFederated => Sel::Fails,
        Admitted::Every if globs.iter().any(every) => Sel::Holds,
        Admitted::Every => Sel::Fails,
        Admitted::Unknown(why) => Sel::Undecided(why),
        Admitted::Sets(sets) => {
            // Every condition must hold, so one whose values are all within is enough.
            match sets.iter().any(|s| outside(s, globs).is_empty()) {
                true => Sel::Holds,
                false => match unknown_in(g, claim) {
                    Some(why) => Sel::Undecided(why),
                    None => Sel::Fails,
                },
            }
        }
    }
}

/// Why a claim's conditions are partly unknown, if they are.
fn unknown_in(g: &Grant, claim: Claim) -> Option<String> {
    let key = claim_key(g, claim)?;
    g.statement.conditions.iter().find_map(|c| {
        if c.key.get().is_none() {
            return Some("a condition key could not be resolved".to_string());
        }
        if !names_key(c, &key) {
            return None;
        }
        c.values
            .iter()
            .find_map(|v| v.unknown())
            .map(|u| format!("a value of {key} is {}, unknown: {}", u.expr, u.reason))
    })
}

/// The text of `{subject}`: the subjects the trust admits that are outside `globs` (the
/// `subjects_within` of the rule), or all it admits; `every subject` when nothing pins them.
pub(crate) fn subject_text(g: Option<&Grant>, globs: Option<&[String]>) -> String {
    let Some(g) = g else {
        return String::new();
    };
    match admitted(g, Claim::Subject) {
        Admitted::NotFederated => String::new(),
        Admitted::Every => "every subject".into(),
        Admitted::Unknown(why) => format!("unknown ({why})"),
        Admitted::Sets(sets) => {
            let shown = |s: &[(String, String)]| -> Vec<String> {
                match globs {
                    Some(gl) => outside(s, gl).into_iter().map(String::from).collect(),
                    None => s.iter().map(|(_, t)| t.clone()).collect(),
                }
            };
            // The narrowest condition says best what is admitted: the one with fewest values
            // outside.
            sets.iter()
                .map(|s| shown(s))
                .min_by_key(|v| v.len())
                .unwrap_or_default()
                .join(", ")
        }
    }
}

/// The globs of the first `subjects_within` in a predicate.
pub(crate) fn subject_globs(p: &Pred) -> Option<&[String]> {
    match p {
        Pred::SubjectsWithin(g) => Some(g),
        Pred::All(ps) | Pred::Any(ps) => ps.iter().find_map(subject_globs),
        Pred::Not(p) | Pred::Trust(p) => subject_globs(p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_literal_values() {
        assert!(glob_match("ci-*", "ci-deploy"));
        assert!(!glob_match("ci-*", "app"));
        assert!(glob_match("aws_iam_role.x[*]", "aws_iam_role.x[\"a\"]"));
        assert!(glob_match("aws_iam_role.x[*]", "aws_iam_role.x[0]"));
        assert!(!glob_match("aws_iam_role.x", "aws_iam_role.x[0]"));
        // A `*` in the value is a character, not a wildcard.
        assert!(!glob_match("a", "*"));
    }

    #[test]
    fn subject_containment() {
        let lit = |t: &str| pattern::encode(t, false);
        // A pattern is within itself and within a wider one, not the other way round.
        assert!(pattern::contains(
            "repo:acme/*:environment:prod",
            "repo:acme/*:environment:prod"
        ));
        assert!(pattern::contains(
            "repo:acme/*",
            "repo:acme/*:environment:prod"
        ));
        assert!(!pattern::contains(
            "repo:acme/*:environment:prod",
            "repo:acme/*"
        ));
        assert!(pattern::contains("repo:acme/?pp:*", "repo:acme/app:ref:x"));
        assert!(!pattern::contains("repo:acme/?pp:*", "repo:acme/*:ref:x"));
        // A StringEquals value with `*` is a literal star, within a glob that has one there.
        assert!(pattern::contains("repo:acme/*", &lit("repo:acme/*")));
        assert!(!pattern::contains(&lit("repo:acme/*"), "repo:acme/x"));
    }

    #[test]
    fn prefixes_a_glob_may_start_with() {
        assert!(may_start_with("ci-deploy", "ci-"));
        assert!(may_start_with("ci-*", "ci-"));
        assert!(may_start_with("*-prod", "app"));
        assert!(may_start_with("c?-x", "ci"));
        assert!(!may_start_with("app-*", "ci-"));
        assert!(!may_start_with("ci", "ci-"));
        assert!(may_start_with("ci*", "ci-"));
    }

    #[test]
    fn vendor_suggestions() {
        assert!(is_vendor_name("datadog") && is_vendor_name("DATADOG"));
        assert_eq!(closest_vendor("datdog"), Some("Datadog"));
        assert!(closest_vendor("zzzzzzzzzzzzzzzzzz").is_none());
    }

    #[test]
    fn twelve_digit_runs_become_any_account() {
        assert_eq!(
            any_account("arn:aws:iam::111122223333:role/x1"),
            "arn:aws:iam::????????????:role/x1"
        );
    }
}
