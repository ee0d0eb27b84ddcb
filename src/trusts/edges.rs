//! The trust edge list: one [`Edge`] per (role, principal) that the role's trust policy lets
//! assume it, after Deny statements are subtracted ([`crate::iam::trust::grants`]), with the
//! guards that decide the risk read with IAM's condition semantics
//! ([`crate::iam::conditions::constraint`]: IfExists, ForAllValues and negated operators do not
//! guard; `StringEquals` with `*` is a literal). A principal granted by several statements gets
//! the union of what they admit: a guard holds only when every statement has it.

use crate::iam::conditions::{self, Constraint, constraint};
use crate::iam::model::{Condition, PrincipalType, Role, Statement};
use crate::iam::principals::{Class, Relation, Trust, relate};
use crate::iam::trust::grants;
use crate::span::{SourceMap, Span};
use crate::trusts::pattern;
use crate::value::SELF_ACCOUNT;

/// The guards of one trust edge. A list guard is `None` when no condition restricts the key, and
/// otherwise holds the allowed values in pattern form ([`pattern::encode`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Guards {
    /// A positive condition on `sts:ExternalId`.
    pub external_id: bool,
    /// `aws:MultiFactorAuthPresent` true or `aws:MultiFactorAuthAge` required.
    pub mfa: bool,
    /// `aws:PrincipalOrgID`.
    pub organizations: Option<Vec<String>>,
    /// `aws:PrincipalOrgPaths`.
    pub org_paths: Option<Vec<String>>,
    /// `aws:PrincipalArn`.
    pub principal_arn: Option<Vec<String>>,
    /// `aws:SourceAccount`.
    pub source_account: Option<Vec<String>>,
    /// `aws:SourceArn`.
    pub source_arn: Option<Vec<String>>,
    /// The federated provider's subject claim (`token.actions.githubusercontent.com:sub`).
    pub sub: Option<Vec<String>>,
    /// The federated provider's audience claim.
    pub aud: Option<Vec<String>>,
}

/// The list guards by name, as the approval file and the outputs spell them.
pub const LIST_GUARDS: &[&str] = &[
    "organizations",
    "org_paths",
    "principal_arn",
    "source_account",
    "source_arn",
    "sub",
    "aud",
];

impl Guards {
    /// A list guard by its name in [`LIST_GUARDS`].
    pub fn list(&self, name: &str) -> Option<&Vec<String>> {
        match name {
            "organizations" => self.organizations.as_ref(),
            "org_paths" => self.org_paths.as_ref(),
            "principal_arn" => self.principal_arn.as_ref(),
            "source_account" => self.source_account.as_ref(),
            "source_arn" => self.source_arn.as_ref(),
            "sub" => self.sub.as_ref(),
            "aud" => self.aud.as_ref(),
            _ => None,
        }
    }

    /// The slot of a list guard by name.
    pub fn list_mut(&mut self, name: &str) -> Option<&mut Option<Vec<String>>> {
        match name {
            "organizations" => Some(&mut self.organizations),
            "org_paths" => Some(&mut self.org_paths),
            "principal_arn" => Some(&mut self.principal_arn),
            "source_account" => Some(&mut self.source_account),
            "source_arn" => Some(&mut self.source_arn),
            "sub" => Some(&mut self.sub),
            "aud" => Some(&mut self.aud),
            _ => None,
        }
    }

    /// What either of two statements admits: a flag holds when both have it, a list guard
    /// restricts when both restrict, to the union of their values.
    fn union(&self, other: &Guards) -> Guards {
        let mut out = Guards {
            external_id: self.external_id && other.external_id,
            mfa: self.mfa && other.mfa,
            ..Guards::default()
        };
        for name in LIST_GUARDS {
            let merged = match (self.list(name), other.list(name)) {
                (Some(a), Some(b)) => {
                    let mut v = a.clone();
                    v.extend(b.iter().cloned());
                    v.sort();
                    v.dedup();
                    Some(v)
                }
                _ => None,
            };
            if let Some(slot) = out.list_mut(name) {
                *slot = merged;
            }
        }
        out
    }

    /// Short labels of the guards that hold (`ExternalId`, `MFA`, `org o-abc`, `sub repo:x/*`).
    pub fn labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.external_id {
            out.push("ExternalId".to_string());
        }
        if self.mfa {
            out.push("MFA".to_string());
        }
        for name in LIST_GUARDS {
            if let Some(v) = self.list(name) {
                let label = match *name {
                    "organizations" => "org",
                    other => other,
                };
                out.push(format!("{label} {}", v.join(" | ")));
            }
        }
        out
    }
}

/// Who an edge lets in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalInfo {
    /// The principal type as written: `AWS`, `Service`, `Federated`, `CanonicalUser`, `*` for a
    /// bare `"*"`, or what was written when IAM does not know it.
    pub ty: String,
    /// The principal value (`${expr}` when unresolved).
    pub value: String,
    /// any, account, service, federated, canonical_user, unresolved, invalid.
    pub kind: &'static str,
    /// The 12-digit account (or `*`, or `this account`) for account and federated principals.
    pub account: Option<String>,
    /// How the account relates to this estate; `None` for services and unresolved principals.
    pub relation: Option<Relation>,
    /// The vendor's or trusted account's name, the federated provider's label, or the service.
    pub name: Option<String>,
}

impl PrincipalInfo {
    /// What a message calls the principal: `999988887777 (unknown account)`,
    /// `464622532012 (Datadog)`, `lambda.amazonaws.com (service)`.
    pub fn describe(&self) -> String {
        let who = match (&self.account, self.kind) {
            (Some(a), "account") if a != "*" && !self.value.contains(":role/") => {
                if self.value.ends_with(":root")
                    || crate::iam::principals::is_account_id(&self.value)
                {
                    a.clone()
                } else {
                    self.value.clone()
                }
            }
            _ => self.value.clone(),
        };
        let what = match (&self.relation, self.kind) {
            (_, "any") => "anyone".to_string(),
            (_, "unresolved") => "unresolved".to_string(),
            (_, "service") => "service".to_string(),
            (_, "invalid") => "invalid principal".to_string(),
            // The account of a federated principal is where its identity provider is defined.
            (_, "federated") => self.name.clone().unwrap_or_else(|| "federated".to_string()),
            (Some(r), _) => relation_words(r, self.name.as_deref()),
            (None, _) => self.kind.to_string(),
        };
        if who == SELF_ACCOUNT {
            return "this account".to_string();
        }
        format!("{who} ({what})")
    }
}

fn relation_words(r: &Relation, name: Option<&str>) -> String {
    match (r, name.filter(|n| !n.is_empty())) {
        (Relation::SelfAccount, _) => "this account".into(),
        (Relation::Trusted, Some(n)) => format!("trusted account {n}"),
        (Relation::Trusted, None) => "trusted account".into(),
        (Relation::Vendor, Some(n)) => n.to_string(),
        (Relation::Vendor, None) => "vendor".into(),
        (Relation::Unknown, _) => "unknown account".into(),
        (Relation::Any, _) => "any account".into(),
    }
}

/// One trust relationship: a principal that may assume a role, with its guards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The root module directory or template, repository-relative (see [`Role::root`]).
    pub root: String,
    /// The role's address.
    pub role: String,
    pub role_name: Option<String>,
    /// Where the principal is written: display path and 1-based line.
    pub file: String,
    pub line: usize,
    /// The role's state: checked, template, not_created.
    pub state: &'static str,
    pub principal: PrincipalInfo,
    pub guards: Guards,
    /// What could not be resolved: the principal, a condition's value, the whole trust policy.
    pub unresolved: Vec<String>,
    /// The principal's span (where findings about the edge point).
    pub span: Span,
}

impl Edge {
    /// The identity of the edge: root, role address, principal type and value. `--diff` and
    /// the approval file compare edges by it; line numbers are not part of it.
    pub fn key(&self) -> (String, String, String, String) {
        (
            self.root.clone(),
            self.role.clone(),
            self.principal.ty.clone(),
            self.principal.value.clone(),
        )
    }
}

/// The values a statement allows for `key`, in pattern form; `Some` also when unresolved
/// (the expressions then stand for the values, and `unresolved` names the key).
fn guard_values(
    conds: &[Condition],
    key: &str,
    unresolved: &mut Vec<String>,
) -> Option<Vec<String>> {
    match constraint(conds, key) {
        Constraint::None => None,
        c @ Constraint::OneOf { .. } if !c.restricts() => None,
        Constraint::OneOf { values, .. } => {
            let mut v: Vec<String> = values
                .iter()
                .map(|a| pattern::encode(&a.text, a.pattern))
                .collect();
            v.sort();
            v.dedup();
            Some(v)
        }
        Constraint::Unresolved { .. } => {
            let mut v: Vec<String> = conds
                .iter()
                .filter(|c| conditions::names_key(c, key))
                .flat_map(|c| c.values.iter().map(|s| s.render()))
                .collect();
            v.sort();
            v.dedup();
            unresolved.push(format!("a condition on {key}"));
            Some(v)
        }
    }
}

fn statement_guards(st: &Statement, class: &Class, unresolved: &mut Vec<String>) -> Guards {
    // A condition whose key is unresolved may be on any key: it is reported as unresolved, and
    // no guard is claimed from it (the guards come from the conditions whose keys are known).
    let known: Vec<Condition> = st
        .conditions
        .iter()
        .filter(|c| c.key.get().is_some())
        .cloned()
        .collect();
    for c in st.conditions.iter().filter(|c| c.key.get().is_none()) {
        unresolved.push(format!("a condition key: {}", c.key.render()));
    }
    let mut g = Guards {
        external_id: constraint(&known, "sts:ExternalId").restricts(),
        mfa: conditions::requires_mfa(st),
        organizations: guard_values(&known, "aws:PrincipalOrgID", unresolved),
        org_paths: guard_values(&known, "aws:PrincipalOrgPaths", unresolved),
        principal_arn: guard_values(&known, "aws:PrincipalArn", unresolved),
        source_account: guard_values(&known, "aws:SourceAccount", unresolved),
        source_arn: guard_values(&known, "aws:SourceArn", unresolved),
        sub: None,
        aud: None,
    };
    if let Class::Federated {
        provider, issuer, ..
    } = class
    {
        let (sub_key, aud_key) = crate::iam::federation::keys(*provider, issuer);
        g.sub = sub_key.and_then(|k| guard_values(&known, &k, unresolved));
        g.aud = aud_key.and_then(|k| guard_values(&known, &k, unresolved));
    }
    if let Some(u) = &st.condition_unknown {
        unresolved.push(format!("the Condition block ${{{}}}", u.expr));
    }
    g
}

fn principal_info(
    ty: PrincipalType,
    type_name: &str,
    value: String,
    class: &Class,
    trust: &(dyn Trust + Sync),
) -> PrincipalInfo {
    let ty = match ty {
        PrincipalType::Wildcard => "*".to_string(),
        PrincipalType::Aws => "AWS".to_string(),
        PrincipalType::Service => "Service".to_string(),
        PrincipalType::Federated => "Federated".to_string(),
        PrincipalType::CanonicalUser => "CanonicalUser".to_string(),
        PrincipalType::Other => type_name.to_string(),
    };
    let mut info = PrincipalInfo {
        ty,
        value,
        kind: "invalid",
        account: None,
        relation: None,
        name: None,
    };
    let named = |account: &str| -> (Relation, Option<String>) {
        let (rel, _) = relate(account, trust);
        let name = match rel {
            Relation::Trusted => trust.trusted_account(account).map(str::to_string),
            Relation::Vendor => trust.vendor(account).map(str::to_string),
            _ => None,
        };
        (rel, name.filter(|n| !n.is_empty()))
    };
    match class {
        Class::Any => {
            info.kind = "any";
            info.relation = Some(Relation::Any);
            info.account = Some("*".into());
        }
        Class::Account { account, .. } => {
            info.kind = "account";
            let (rel, name) = named(account);
            info.relation = Some(rel);
            info.name = name;
            info.account = Some(if account == SELF_ACCOUNT {
                "this account".into()
            } else {
                account.clone()
            });
        }
        Class::Service { name, .. } => {
            info.kind = "service";
            info.name = Some(name.clone());
        }
        Class::Federated {
            provider, account, ..
        } => {
            info.kind = "federated";
            info.name = Some(provider.label().to_string());
            if let Some(a) = account {
                let (rel, _) = named(a);
                info.relation = Some(rel);
                info.account = Some(if a == SELF_ACCOUNT {
                    "this account".into()
                } else {
                    a.clone()
                });
            }
        }
        Class::CanonicalUser => info.kind = "canonical_user",
        Class::Unresolved => info.kind = "unresolved",
        Class::Invalid(_) => info.kind = "invalid",
    }
    info
}

/// The trust edges of `roles`, sorted by root, role, principal type and value.
pub fn edges(roles: &[Role], sources: &SourceMap, trust: &(dyn Trust + Sync)) -> Vec<Edge> {
    let mut out: Vec<Edge> = Vec::new();
    for role in roles {
        let line_of = |span: Span| sources.range(span).map_or(1, |(s, _)| s.line);
        let base = |principal: PrincipalInfo, span: Span| Edge {
            root: role.root.clone(),
            role: role.address.clone(),
            role_name: role.name.as_ref().map(|n| n.render()),
            file: sources.display(span.file),
            line: line_of(span),
            state: role.state.as_str(),
            principal,
            guards: Guards::default(),
            unresolved: Vec::new(),
            span,
        };
        if let Some((span, u)) = &role.trust_unknown {
            let mut e = base(
                PrincipalInfo {
                    ty: "?".into(),
                    value: format!("${{{}}}", u.expr),
                    kind: "unresolved",
                    account: None,
                    relation: None,
                    name: None,
                },
                *span,
            );
            e.unresolved.push(format!("the trust policy: {}", u.reason));
            out.push(e);
        }
        let Some(doc) = &role.trust else { continue };
        let mut mine: Vec<Edge> = Vec::new();
        for g in grants(doc) {
            let mut unresolved = Vec::new();
            if let Some(u) = g.principal.value.unknown() {
                unresolved.push(format!("the principal: {}", u.reason));
            }
            let guards = statement_guards(g.statement, &g.class, &mut unresolved);
            let info = principal_info(
                g.principal.ty,
                &g.principal.type_name,
                g.principal.value.render(),
                &g.class,
                trust,
            );
            match mine
                .iter_mut()
                .find(|e| e.principal.ty == info.ty && e.principal.value == info.value)
            {
                Some(e) => {
                    e.guards = e.guards.union(&guards);
                    e.unresolved.extend(unresolved);
                }
                None => {
                    let mut e = base(info, g.principal.value.span);
                    e.guards = guards;
                    e.unresolved = unresolved;
                    mine.push(e);
                }
            }
        }
        for (_, u) in &doc.unknowns {
            for e in &mut mine {
                e.unresolved
                    .push(format!("part of the trust policy: ${{{}}}", u.expr));
            }
        }
        out.extend(mine);
    }
    for e in &mut out {
        e.unresolved.sort();
        e.unresolved.dedup();
    }
    out.sort_by(|a, b| a.key().cmp(&b.key()).then(a.line.cmp(&b.line)));
    out
}

/// The accounts (other than this one and `*`) that the edges trust, with the name of a known
/// vendor or trusted account, and where: `(account, name, roles)`.
pub fn accounts(edges: &[Edge]) -> Vec<(String, Option<String>, Vec<String>)> {
    let mut out: std::collections::BTreeMap<String, (Option<String>, Vec<String>)> =
        std::collections::BTreeMap::new();
    for e in edges {
        // A federated principal's account is where its identity provider is defined, not an
        // account whose identities are trusted.
        let Some(a) = &e.principal.account else {
            continue;
        };
        if e.principal.kind != "account" || !crate::iam::principals::is_account_id(a) {
            continue;
        }
        let slot = out.entry(a.clone()).or_default();
        if e.principal.relation != Some(Relation::SelfAccount) {
            slot.0 = slot.0.take().or(e.principal.name.clone());
        }
        if !slot.1.contains(&e.role) {
            slot.1.push(e.role.clone());
        }
    }
    out.into_iter().map(|(a, (n, r))| (a, n, r)).collect()
}

/// The organization ids (`o-...`, without wildcards) that the edges' conditions name.
pub fn organizations(edges: &[Edge]) -> Vec<(String, Vec<String>)> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for e in edges {
        let ids = e.guards.organizations.iter().flatten().cloned().chain(
            e.guards
                .org_paths
                .iter()
                .flatten()
                .filter_map(|p| p.split('/').next().map(str::to_string)),
        );
        for id in ids {
            if id.starts_with("o-") && !id.contains(['*', '?', '$']) {
                let roles = out.entry(id).or_default();
                if !roles.contains(&e.role) {
                    roles.push(e.role.clone());
                }
            }
        }
    }
    out.into_iter().collect()
}
