//! Web-identity and SAML federation: which claims each provider's tokens carry, and whether a
//! trust statement pins the ones that decide who the caller is. A GitHub Actions trust without a
//! `sub` condition lets every repository on GitHub assume the role; one loose value in the list
//! of allowed subjects opens it just as wide.

use crate::iam::conditions::{Allowed, Constraint, constraint};
use crate::iam::model::Statement;
use crate::iam::principals::Provider;
use crate::span::Span;

/// A weakness of a federated trust, as rule files name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// No condition pins the subject claim.
    SubMissing,
    /// A subject value matches every identity of the provider (`*`, `repo:*`).
    SubAny,
    /// A subject value matches every repository or project of one owner (`repo:org/*`), or every
    /// service account of a namespace.
    SubOwnerWide,
    /// The audience claim is not pinned where the provider needs it.
    AudMissing,
    /// Cognito: `amr` is not restricted to authenticated identities.
    AmrMissing,
}

impl Weakness {
    pub fn id(self) -> &'static str {
        match self {
            Weakness::SubMissing => "sub_missing",
            Weakness::SubAny => "sub_any",
            Weakness::SubOwnerWide => "sub_owner_wide",
            Weakness::AudMissing => "aud_missing",
            Weakness::AmrMissing => "amr_missing",
        }
    }
}

/// One weakness with a sentence saying what it lets in, and where to look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub weakness: Weakness,
    pub detail: String,
    pub span: Option<Span>,
}

/// The subject and audience keys of a provider (`None` when it has none). `issuer` is the
/// provider host path.
pub fn keys(provider: Provider, issuer: &str) -> (Option<String>, Option<String>) {
    match provider {
        Provider::Cognito => (
            Some("cognito-identity.amazonaws.com:sub".into()),
            Some("cognito-identity.amazonaws.com:aud".into()),
        ),
        Provider::Saml => (None, Some("SAML:aud".into())),
        Provider::Google => (
            Some("accounts.google.com:sub".into()),
            Some("accounts.google.com:aud".into()),
        ),
        Provider::Facebook => (None, Some("graph.facebook.com:app_id".into())),
        Provider::Amazon => (
            Some("www.amazon.com:user_id".into()),
            Some("www.amazon.com:app_id".into()),
        ),
        _ => (Some(format!("{issuer}:sub")), Some(format!("{issuer}:aud"))),
    }
}

/// The weaknesses of a federated principal's statement.
pub fn gaps(provider: Provider, issuer: &str, st: &Statement) -> Vec<Gap> {
    let (sub_key, aud_key) = keys(provider, issuer);
    let sub = sub_key.as_deref().map(|k| constraint(&st.conditions, k));
    let aud = aud_key.as_deref().map(|k| constraint(&st.conditions, k));
    let mut out = Vec::new();
    let sub_label = sub_key.clone().unwrap_or_default();
    let aud_label = aud_key.clone().unwrap_or_default();
    match provider {
        Provider::GithubActions => {
            // GitHub can also be pinned by immutable ids through a customised sub claim
            // (repository_id, repository_owner_id), or by job_workflow_ref.
            let extra = ["job_workflow_ref", "repository_id", "repository"]
                .iter()
                .any(|c| constraint(&st.conditions, &format!("{issuer}:{c}")).restricts());
            if let Some(s) = &sub {
                subject_gaps(s, &sub_label, extra, github_scope, &mut out, st.span);
            }
            for gap in out
                .iter_mut()
                .filter(|g| g.weakness == Weakness::SubMissing)
            {
                gap.detail.push_str(
                    " (IAM now rejects such a trust policy at CreateRole and UpdateAssumeRolePolicy, so it will fail to deploy; an older role that has it is open to every repository on GitHub)",
                );
            }
        }
        Provider::EksIrsa => {
            if let Some(s) = &sub {
                subject_gaps(s, &sub_label, false, eks_scope, &mut out, st.span);
            }
            if aud.as_ref().is_some_and(|a| !a.restricts()) {
                out.push(Gap {
                    weakness: Weakness::AudMissing,
                    detail: format!("no condition pins {aud_label} to sts.amazonaws.com"),
                    span: None,
                });
            }
        }
        Provider::Cognito => {
            if aud.as_ref().is_some_and(|a| !a.restricts()) {
                out.push(Gap {
                    weakness: Weakness::AudMissing,
                    detail: format!(
                        "no condition pins {aud_label} to your identity pool: identities from any Cognito identity pool in any account can assume the role"
                    ),
                    span: None,
                });
            }
            let amr = constraint(&st.conditions, "cognito-identity.amazonaws.com:amr");
            if !amr.restricts() {
                out.push(Gap {
                    weakness: Weakness::AmrMissing,
                    detail: "no condition on cognito-identity.amazonaws.com:amr: unauthenticated (guest) identities can assume the role".into(),
                    span: None,
                });
            }
        }
        Provider::Saml => {
            if aud.as_ref().is_some_and(|a| !a.restricts()) {
                out.push(Gap {
                    weakness: Weakness::AudMissing,
                    detail: "no condition pins SAML:aud to https://signin.aws.amazon.com/saml: assertions meant for other service providers are accepted".into(),
                    span: None,
                });
            }
        }
        Provider::Google | Provider::Facebook | Provider::Amazon => {
            if aud.as_ref().is_some_and(|a| !a.restricts()) {
                out.push(Gap {
                    weakness: Weakness::AudMissing,
                    detail: format!(
                        "no condition pins {aud_label} to your application: any user of any {} application can assume the role",
                        provider.label()
                    ),
                    span: None,
                });
            }
        }
        Provider::Gitlab
        | Provider::TerraformCloud
        | Provider::Circleci
        | Provider::Bitbucket
        | Provider::Buildkite
        | Provider::Oidc => {
            let aud_pins = aud.as_ref().is_some_and(Constraint::restricts);
            if let Some(s) = &sub {
                // For a private issuer (CircleCI org, Bitbucket workspace) the audience is the
                // organisation itself; for shared issuers the subject is what matters.
                let shared_issuer = matches!(
                    provider,
                    Provider::Gitlab | Provider::TerraformCloud | Provider::Buildkite
                );
                let pinned_by_aud = !shared_issuer && aud_pins;
                let scope: fn(&Allowed) -> Width = match provider {
                    Provider::Gitlab => gitlab_scope,
                    Provider::TerraformCloud => terraform_cloud_scope,
                    Provider::Buildkite => buildkite_scope,
                    _ => generic_scope,
                };
                subject_gaps(s, &sub_label, pinned_by_aud, scope, &mut out, st.span);
            }
        }
    }
    out
}

/// How wide one subject value is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Width {
    Pinned,
    OwnerWide,
    Any,
}

fn github_scope(v: &Allowed) -> Width {
    if !v.pattern {
        return Width::Pinned;
    }
    let t = v.text.as_str();
    // repo:OWNER/REPO:..., with wildcards anywhere before the repository name opening it.
    let Some(rest) = t.strip_prefix("repo:") else {
        // Custom sub formats: `repository_owner_id:123:repository_id:456:...`. An immutable
        // repository id (or repository name) fixed without a wildcard pins the repository; an
        // owner alone admits all of its repositories.
        if t.starts_with('*') || t.starts_with('?') {
            return Width::Any;
        }
        let fixed = |key: &str| claim_value(t, key).is_some_and(|v| !has_wild(v));
        if fixed("repository_id") || fixed("repository") || fixed("repo") {
            return Width::Pinned;
        }
        if fixed("repository_owner_id") || fixed("repository_owner") {
            return Width::OwnerWide;
        }
        return Width::Any;
    };
    let (owner, after) = match rest.split_once('/') {
        Some(x) => x,
        None => return Width::Any,
    };
    if owner.contains('*') || owner.contains('?') || owner.is_empty() {
        return Width::Any;
    }
    let repo = after.split(':').next().unwrap_or("");
    if repo.contains('*') || repo.contains('?') {
        Width::OwnerWide
    } else {
        Width::Pinned
    }
}

fn eks_scope(v: &Allowed) -> Width {
    if !v.pattern {
        return Width::Pinned;
    }
    let parts: Vec<&str> = v.text.split(':').collect();
    match parts.as_slice() {
        ["system", "serviceaccount", ns, sa] => {
            if ns.contains('*') || ns.contains('?') {
                Width::Any
            } else if sa.contains('*') || sa.contains('?') {
                Width::OwnerWide
            } else {
                Width::Pinned
            }
        }
        _ => Width::Any,
    }
}

fn has_wild(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

/// The value after `key:` in a `key:value:key:value` subject (`organization:acme:workspace:x`).
fn claim_value<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let parts: Vec<&str> = text.split(':').collect();
    parts
        .iter()
        .position(|p| *p == key)
        .and_then(|i| parts.get(i + 1).copied())
}

/// `owner` and `project` keys of a `key:value` subject: a wildcard in the owner (or no owner)
/// admits everyone; a wildcard in the project (or none) admits the owner's projects.
fn kv_scope(v: &Allowed, owner: &str, project: &str) -> Width {
    if !v.pattern {
        return Width::Pinned;
    }
    match claim_value(&v.text, owner) {
        Some(o) if !o.is_empty() && !has_wild(o) => match claim_value(&v.text, project) {
            Some(p) if !p.is_empty() && !has_wild(p) => Width::Pinned,
            _ => Width::OwnerWide,
        },
        _ => Width::Any,
    }
}

/// GitLab: `project_path:GROUP/PROJECT:ref_type:branch:ref:main`.
fn gitlab_scope(v: &Allowed) -> Width {
    if !v.pattern {
        return Width::Pinned;
    }
    match claim_value(&v.text, "project_path") {
        Some(path) => {
            let (group, project) = path.split_once('/').unwrap_or((path, ""));
            if group.is_empty() || has_wild(group) {
                Width::Any
            } else if project.is_empty() || has_wild(project) {
                Width::OwnerWide
            } else {
                Width::Pinned
            }
        }
        None => Width::Any,
    }
}

/// Terraform Cloud: `organization:ORG:project:PROJECT:workspace:WS:run_phase:apply`.
fn terraform_cloud_scope(v: &Allowed) -> Width {
    kv_scope(v, "organization", "workspace")
}

/// Buildkite: `organization:ORG:pipeline:PIPELINE:ref:...`.
fn buildkite_scope(v: &Allowed) -> Width {
    kv_scope(v, "organization", "pipeline")
}

fn generic_scope(v: &Allowed) -> Width {
    if !v.pattern {
        return Width::Pinned;
    }
    if v.text.starts_with('*') || v.text.starts_with('?') {
        return Width::Any;
    }
    // A wildcard after a fixed prefix with at least one separator keeps the owner fixed.
    let prefix = v.text.split(['*', '?']).next().unwrap_or("");
    if prefix.contains(':') || prefix.contains('/') {
        Width::OwnerWide
    } else {
        Width::Any
    }
}

fn subject_gaps(
    s: &Constraint,
    key: &str,
    pinned_elsewhere: bool,
    scope: fn(&Allowed) -> Width,
    out: &mut Vec<Gap>,
    st_span: Span,
) {
    match s {
        Constraint::Unresolved { .. } => {}
        Constraint::None => {
            if !pinned_elsewhere {
                out.push(Gap {
                    weakness: Weakness::SubMissing,
                    detail: format!("no condition pins {key}"),
                    span: Some(st_span),
                });
            }
        }
        Constraint::OneOf { values, .. } => {
            let worst = values.iter().map(|v| (scope(v), v)).max_by_key(|(w, _)| *w);
            match worst {
                Some((Width::Any, v)) if !pinned_elsewhere => out.push(Gap {
                    weakness: Weakness::SubAny,
                    detail: format!("{key} allows `{}`, which matches every identity of the provider", v.text),
                    span: Some(v.span),
                }),
                Some((Width::OwnerWide, v)) if !pinned_elsewhere => out.push(Gap {
                    weakness: Weakness::SubOwnerWide,
                    detail: format!(
                        "{key} allows `{}`, which matches every repository or workload of that owner",
                        v.text
                    ),
                    span: Some(v.span),
                }),
                _ => {}
            }
        }
    }
}
