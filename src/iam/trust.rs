//! Who can assume a role: the Allow statements of its trust policy, principal by principal,
//! minus what Deny statements take away. A Deny grants nothing; an unconditional Deny that
//! covers a principal and the assume actions removes the grant; a conditional Deny with a
//! negated identity condition ("deny unless aws:PrincipalOrgID is o-x") restricts it.

use crate::iam::actions::wildcard_match;
use crate::iam::model::{PolicyDocument, Principal, PrincipalType, Statement, Strings};
use crate::iam::principals::Class;

/// The actions by which a principal assumes a role.
pub const ASSUME_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
];

/// One principal that an Allow statement lets assume the role.
pub struct Grant<'a> {
    pub statement: &'a Statement,
    pub principal: &'a Principal,
    pub class: Class,
    /// The identity key that restricts it (from its own statement or a Deny), with the
    /// condition's span.
    pub restricted_by: Option<(String, crate::span::Span)>,
}

/// True when the statement's Action (or the complement of NotAction) covers `action`. An
/// unknown action value is assumed to cover it: an unresolved value must not hide a grant.
pub fn covers_action(st: &Statement, action: &str) -> bool {
    match (&st.action, &st.not_action) {
        (Some(a), _) => strings_cover(a, action),
        (None, Some(na)) => !na
            .items
            .iter()
            .any(|s| s.get().is_some_and(|p| wildcard_match(p, action))),
        (None, None) => false,
    }
}

fn strings_cover(a: &Strings, action: &str) -> bool {
    a.items
        .iter()
        .any(|s| s.get().is_none_or(|p| wildcard_match(p, action)))
}

/// True when the statement allows any of the assume actions.
pub fn allows_assume(st: &Statement) -> bool {
    ASSUME_ACTIONS.iter().any(|a| covers_action(st, a))
}

fn deny_covers(deny: &Statement, p: &Principal, allow: &Statement) -> bool {
    if !deny.conditions.is_empty() || deny.condition_unknown.is_some() {
        return false;
    }
    let Some(set) = &deny.principal else {
        return false;
    };
    let covers_principal = set.entries.iter().any(|d| {
        let any = d.ty == PrincipalType::Wildcard
            || (d.ty == PrincipalType::Aws && d.value.get() == Some("*"));
        any || (d.ty == p.ty && d.value.get().is_some() && d.value.get() == p.value.get())
    });
    covers_principal
        && ASSUME_ACTIONS
            .iter()
            .filter(|a| covers_action(allow, a))
            .all(|a| covers_action(deny, a))
}

/// The principals that can assume the role through `doc`.
pub fn grants(doc: &PolicyDocument) -> Vec<Grant<'_>> {
    let denies: Vec<&Statement> = doc
        .statements
        .iter()
        .filter(|s| s.effect == Some(crate::iam::model::Effect::Deny))
        .collect();
    let mut out = Vec::new();
    for st in doc.statements.iter().filter(|s| s.is_allow()) {
        if !allows_assume(st) {
            continue;
        }
        let Some(set) = &st.principal else { continue };
        for p in &set.entries {
            if denies.iter().any(|d| deny_covers(d, p, st)) {
                continue;
            }
            let restricted_by =
                crate::iam::conditions::identity_restriction(st, denies.iter().copied());
            out.push(Grant {
                statement: st,
                principal: p,
                class: crate::iam::federation::classify_in(p, st),
                restricted_by,
            });
        }
    }
    out
}
