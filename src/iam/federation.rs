//! Web-identity and SAML federation: which claims each provider's tokens carry, and whether a
//! trust statement pins the ones that decide who the caller is. A GitHub Actions trust without a
//! `sub` condition lets every repository on GitHub assume the role; one loose value in the list
//! of allowed subjects opens it just as wide.

use crate::iam::conditions::{Allowed, Constraint, constraint, key_match};
use crate::iam::model::{Principal, PrincipalType, Statement};
use crate::iam::principals::{Class, Provider, classify};
use crate::iam::trust::covers_action;
use crate::span::Span;
use crate::value::SELF_ACCOUNT;

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

/// The issuer of a web-identity provider whose ARN is not known offline (an input variable, an
/// output of a module that is not modelled). Its condition keys are `(unknown issuer):sub` and
/// so on, which [`crate::iam::conditions::key_match`] matches with any issuer.
pub const UNKNOWN_ISSUER: &str = "(unknown issuer)";

/// Classifies a principal of a trust statement. A `Federated` principal whose value is not
/// known, in a statement that allows only `sts:AssumeRoleWithWebIdentity`, is a web-identity
/// provider whose issuer is unknown: the EKS one when every subject the statement allows is a
/// Kubernetes service account (`system:serviceaccount:...`), a generic OIDC provider otherwise.
/// Under `sts:AssumeRoleWithSAML` it stays unresolved.
pub fn classify_in(p: &Principal, st: &Statement) -> Class {
    let class = classify(p);
    let account = match &class {
        Class::Federated {
            provider: Provider::Oidc,
            issuer,
            account,
        } if issuer == UNKNOWN_ISSUER => account.clone(),
        Class::Unresolved
            if p.ty == PrincipalType::Federated
                && covers_action(st, "sts:AssumeRoleWithWebIdentity")
                && !covers_action(st, "sts:AssumeRoleWithSAML") =>
        {
            None
        }
        _ => return class,
    };
    // A positive condition on a known provider key (`token.actions.githubusercontent.com:sub`)
    // names the issuer: the statement applies only to that issuer's tokens.
    if let Some(Class::Federated {
        provider, issuer, ..
    }) = issuer_from_keys(st)
    {
        return Class::Federated {
            provider,
            issuer,
            account,
        };
    }
    let sub = constraint(&st.conditions, &format!("{UNKNOWN_ISSUER}:sub"));
    let provider = match &sub {
        Constraint::OneOf { values, .. }
            if !values.is_empty()
                && values
                    .iter()
                    .all(|v| v.text.starts_with("system:serviceaccount:")) =>
        {
            Provider::EksIrsa
        }
        _ => Provider::Oidc,
    };
    Class::Federated {
        provider,
        issuer: UNKNOWN_ISSUER.to_string(),
        account,
    }
}

/// The provider that every positive `sub`/`aud` condition with a fully known key names, when
/// they name one issuer.
fn issuer_from_keys(st: &Statement) -> Option<Class> {
    use crate::iam::conditions::parse_operator;
    let mut found: Option<String> = None;
    for c in &st.conditions {
        let Some(op) = c.operator.get().and_then(parse_operator) else {
            continue;
        };
        let Some(key) = c.key.get() else { continue };
        if op.negated || op.if_exists || !crate::value::placeholders(key).is_empty() {
            continue;
        }
        let Some((issuer, claim)) = key.rsplit_once(':') else {
            continue;
        };
        if !(claim.eq_ignore_ascii_case("sub") || claim.eq_ignore_ascii_case("aud"))
            || issuer.is_empty()
            || issuer.contains("${")
        {
            continue;
        }
        match &found {
            Some(f) if !f.eq_ignore_ascii_case(issuer) => return None,
            _ => found = Some(issuer.to_string()),
        }
    }
    let issuer = found?;
    let p = Principal {
        ty: PrincipalType::Federated,
        type_name: "Federated".into(),
        value: crate::iam::model::Str::known(issuer, st.span),
    };
    match classify(&p) {
        c @ Class::Federated { .. } => Some(c),
        _ => None,
    }
}

/// An OIDC provider ARN whose issuer is unknown (`arn:aws:iam::(this-account):oidc-provider/`
/// followed by an unknown part): a web-identity provider of that account, issuer unknown.
pub fn partial_provider(u: &crate::value::Unknown) -> Option<Class> {
    use crate::value::Piece;
    let (Piece::Text(head), Piece::Hole(_)) = (u.parts.first()?, u.parts.get(1)?) else {
        return None;
    };
    let rest = head.strip_prefix("arn:")?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [_, "iam", "", account, "oidc-provider/"] = parts.as_slice() else {
        return None;
    };
    let known = crate::iam::principals::is_account_id(account) || *account == SELF_ACCOUNT;
    Some(Class::Federated {
        provider: Provider::Oidc,
        issuer: UNKNOWN_ISSUER.to_string(),
        account: known.then(|| account.to_string()),
    })
}

/// The spans of the unknowns of a trust document that cannot change a verdict: the unknown
/// issuer of a web-identity provider (its ARN, the unknown prefix of its `sub` and `aud` keys)
/// in a statement whose subject is pinned. Whatever the issuer is, the role admits only that
/// subject of it (or, for a key of another issuer, nobody).
pub fn settled_unknowns(doc: &crate::iam::model::PolicyDocument) -> Vec<Span> {
    let mut out = Vec::new();
    for g in crate::iam::trust::grants(doc) {
        let Class::Federated {
            provider, issuer, ..
        } = &g.class
        else {
            continue;
        };
        let st = g.statement;
        if st.condition_unknown.is_some() {
            continue;
        }
        let (Some(sub_key), aud_key) = keys(*provider, issuer) else {
            continue;
        };
        if !matches!(
            constraint(&st.conditions, &sub_key),
            Constraint::OneOf { .. }
        ) {
            continue;
        }
        let open = gaps(*provider, issuer, st).iter().any(|gap| {
            matches!(
                gap.weakness,
                Weakness::SubMissing | Weakness::SubAny | Weakness::SubOwnerWide
            )
        });
        if open {
            continue;
        }
        if g.principal.value.unknown().is_some() {
            out.push(g.principal.value.span);
        }
        for c in &st.conditions {
            let named = std::iter::once(&sub_key)
                .chain(aud_key.as_ref())
                .any(|k| key_match(&c.key, k) == Some(true));
            if c.key.unknown().is_some() && named {
                out.push(c.key.span);
            }
        }
    }
    out
}

/// The weaknesses of a federated principal's statement.
pub fn gaps(provider: Provider, issuer: &str, st: &Statement) -> Vec<Gap> {
    // A statement that can never match lets nobody in; IAM304 reports it.
    if unsatisfiable(issuer, st).is_some() {
        return Vec::new();
    }
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
                // The providers iamlint knows put the project or repository in `sub`; the
                // audience of CircleCI (the organization id) and Bitbucket (the workspace)
                // admits every project of the organization. Only for an OIDC provider whose
                // claims are not known does a pinned audience stand for the caller.
                let pinned_by_aud = provider == Provider::Oidc && aud_pins;
                let scope: fn(&Allowed) -> Width = match provider {
                    Provider::Gitlab => gitlab_scope,
                    Provider::TerraformCloud => terraform_cloud_scope,
                    Provider::Buildkite => buildkite_scope,
                    Provider::Circleci => circleci_scope,
                    Provider::Bitbucket => bitbucket_scope,
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

/// GitHub subject claims whose value identifies a repository (or a reusable workflow in one).
const GITHUB_REPO_CLAIMS: &[&str] = &[
    "repo",
    "repository",
    "repository_id",
    "job_workflow_ref",
    "workflow_ref",
];
/// GitHub subject claims whose value identifies an owner (organisation, user, enterprise): the
/// owner's repositories can all mint them.
const GITHUB_OWNER_CLAIMS: &[&str] = &[
    "repository_owner",
    "repository_owner_id",
    "enterprise",
    "enterprise_id",
    "actor",
    "actor_id",
];

fn github_scope(v: &Allowed) -> Width {
    let t = v.text.as_str();
    // An exact value that is not `claim:value` (`*` under StringEquals) is no subject GitHub
    // issues: it lets nobody in.
    if !v.pattern && !t.contains(':') {
        return Width::Pinned;
    }
    // Every organisation chooses its own subject template (`include_claim_keys`), so a subject
    // is only as narrow as its first claim: one that starts with `environment:`, `workflow:`,
    // `ref:` or `context:` is what any repository whose template starts with that claim mints.
    let first = t.split(':').next().unwrap_or("");
    let identifies = GITHUB_REPO_CLAIMS.contains(&first) || GITHUB_OWNER_CLAIMS.contains(&first);
    if !identifies || has_wild(first) {
        return Width::Any;
    }
    // After an identifying first claim, the claims that name a repository decide the width:
    // an immutable repository id, or `OWNER/REPO` (`repo`, `repository`) or `OWNER/REPO/path@ref`
    // (`job_workflow_ref`, `workflow_ref`) with the owner and repository fixed. A fixed owner
    // alone admits all of its repositories.
    let fixed = |v: &str| !v.is_empty() && !has_wild(v);
    if claim_value(t, "repository_id").is_some_and(fixed) {
        return Width::Pinned;
    }
    for key in ["repo", "repository", "job_workflow_ref", "workflow_ref"] {
        if let Some(value) = claim_value(t, key) {
            let mut parts = value.split('/');
            let owner = parts.next().unwrap_or("");
            let repo = parts.next().unwrap_or("");
            if fixed(owner) {
                return if fixed(repo) {
                    Width::Pinned
                } else {
                    Width::OwnerWide
                };
            }
            return Width::Any;
        }
    }
    if GITHUB_OWNER_CLAIMS
        .iter()
        .any(|k| claim_value(t, k).is_some_and(fixed))
    {
        return Width::OwnerWide;
    }
    Width::Any
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

/// CircleCI: `org/ORG_ID/project/PROJECT_ID/user/USER_ID`
/// (<https://circleci.com/docs/openid-connect-tokens/>).
fn circleci_scope(v: &Allowed) -> Width {
    if !v.pattern {
        return Width::Pinned;
    }
    let parts: Vec<&str> = v.text.split('/').collect();
    let fixed = |i: usize| parts.get(i).is_some_and(|p| !p.is_empty() && !has_wild(p));
    match (parts.first(), parts.get(2)) {
        (Some(&"org"), Some(&"project")) if fixed(1) && fixed(3) => Width::Pinned,
        (Some(&"org"), _) if fixed(1) => Width::OwnerWide,
        _ => Width::Any,
    }
}

/// Bitbucket Pipelines: `{REPOSITORY_UUID}:{STEP_UUID}` (or `{REPOSITORY_UUID}` alone)
/// (<https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/>).
fn bitbucket_scope(v: &Allowed) -> Width {
    if !v.pattern {
        return Width::Pinned;
    }
    let repo = v.text.split(':').next().unwrap_or("");
    if repo.starts_with('{') && repo.ends_with('}') && !has_wild(repo) {
        Width::Pinned
    } else {
        Width::Any
    }
}

/// The host of GitHub Actions' shared OIDC issuer. An enterprise that sets a unique issuer
/// gets `token.actions.githubusercontent.com/<enterprise>`, with keys of that name.
const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";

/// A condition that can never be true for tokens of `issuer`: a positive condition on a key of
/// GitHub's enterprise issuer (`token.actions.githubusercontent.com/ORG:sub`) under the shared
/// issuer's provider, whose tokens carry only `token.actions.githubusercontent.com:*` keys. A
/// missing key makes every positive operator false, so the statement never applies.
pub fn unsatisfiable<'s>(
    issuer: &str,
    st: &'s Statement,
) -> Option<&'s crate::iam::model::Condition> {
    use crate::iam::conditions::{OpKind, SetOp, parse_operator};
    if !issuer.eq_ignore_ascii_case(GITHUB_ISSUER) {
        return None;
    }
    st.conditions.iter().find(|c| {
        let (Some(key), Some(op)) = (c.key.get(), c.operator.get().and_then(parse_operator)) else {
            return false;
        };
        let positive = !op.negated
            && !op.if_exists
            && op.set != SetOp::ForAllValues
            && op.kind != OpKind::Null;
        let lower = key.to_ascii_lowercase();
        positive
            && lower
                .strip_prefix(GITHUB_ISSUER)
                .is_some_and(|rest| rest.starts_with('/') && rest.contains(':'))
    })
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
                Some((Width::Any, v)) if !pinned_elsewhere && !v.pattern => out.push(Gap {
                    weakness: Weakness::SubAny,
                    detail: format!(
                        "{key} allows `{}`, whose first claim does not name a repository or owner: every organisation picks its own subject template, so a stranger's repository whose template starts with that claim mints the same subject",
                        v.text
                    ),
                    span: Some(v.span),
                }),
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
