//! What a role may do: the union of its inline policies, the customer managed policies whose
//! documents are in the code, and the AWS managed policies it attaches by ARN, minus what
//! unconditional Deny statements on all resources take away and, when the permissions boundary is
//! an AWS managed policy, limited by it. A grant counts when it applies to all resources (`*`,
//! an ARN whose resource part is only wildcards, or NotResource) without a condition that may
//! limit it. [`Permissions::summary`] lists the risky grants (admin, full IAM, escalation paths,
//! PassRole and AssumeRole on `*`, broad data reads), each with the places that grant it.

use crate::iam::actions::{self, AccessLevel, wildcard_match};
use crate::iam::conditions::limits_permission;
use crate::iam::escalation;
use crate::iam::managed::{self, Allowance, ManagedPolicy};
use crate::iam::model::{AttachedPolicy, Effect, ManagedPolicyRef, Role, Statement};
use crate::span::Span;
use std::sync::OnceLock;

/// A kind of risky grant, as rule files name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `*` on `*` (AdministratorAccess).
    Admin,
    /// Every IAM write and permissions-management action on `*` (`iam:*`, IAMFullAccess).
    FullIam,
    /// A known privilege-escalation path.
    PrivilegeEscalation,
    /// iam:PassRole on every role.
    PassRoleAny,
    /// sts:AssumeRole on every role.
    AssumeRoleAny,
    /// Reading data everywhere: S3 objects, secrets, KMS decryption, SSM parameters.
    DataRead,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::Admin => "admin",
            Kind::FullIam => "iam_write",
            Kind::PrivilegeEscalation => "privilege_escalation",
            Kind::PassRoleAny => "pass_role_any",
            Kind::AssumeRoleAny => "assume_role_any",
            Kind::DataRead => "data_read",
        }
    }

    pub const ALL: &'static [Kind] = &[
        Kind::Admin,
        Kind::FullIam,
        Kind::PrivilegeEscalation,
        Kind::PassRoleAny,
        Kind::AssumeRoleAny,
        Kind::DataRead,
    ];

    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.id() == id)
    }
}

/// A place that grants something: the span to show and a label for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub span: Span,
    pub label: String,
    /// The address of the policy resource when it has its own (`aws_iam_role_policy.x`).
    pub address: Option<String>,
}

/// One risky grant of a role.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    /// What is granted: `*`, `AdministratorAccess`, `iam:PassRole + ec2:RunInstances`.
    pub name: String,
    /// A sentence saying what it allows.
    pub detail: String,
    pub primary: Place,
    pub others: Vec<Place>,
}

/// The data that a role can read everywhere with one action each.
pub const DATA_READ_ACTIONS: &[(&str, &str)] = &[
    ("s3:GetObject", "read every S3 object"),
    (
        "secretsmanager:GetSecretValue",
        "read every secret in Secrets Manager",
    ),
    (
        "kms:Decrypt",
        "decrypt with every KMS key that trusts the account",
    ),
    (
        "ssm:GetParameter",
        "read every SSM parameter, SecureString ones included",
    ),
];

/// Where a grant was found, before its label is written.
#[derive(Clone, Copy)]
struct Found<'a> {
    span: Span,
    policy: Option<&'a AttachedPolicy>,
    managed: Option<&'static str>,
}

impl Found<'_> {
    fn place(self, action: &str) -> Place {
        let address = self
            .policy
            .filter(|p| !p.is_inline())
            .map(|p| p.origin.clone());
        let label = match self.managed {
            Some(name) => format!("AWS managed policy {name} allows {action} on all resources"),
            None => format!("allows {action} on all resources"),
        };
        Place {
            span: self.span,
            label,
            address,
        }
    }
}

struct CodeStatement<'a> {
    policy: &'a AttachedPolicy,
    st: &'a Statement,
}

/// A role's permissions boundary, when iamlint knows its document: an AWS managed policy from
/// the catalog, or a customer managed policy defined in the code. Statement rules (IAM108,
/// IAM109, IAM111) ask it which of a statement's actions can take effect.
pub struct Boundary<'a> {
    managed: Option<&'static ManagedPolicy>,
    code: Option<&'a crate::iam::model::PolicyDocument>,
}

impl<'a> Boundary<'a> {
    /// The role's boundary; `None` when it has none or its document is not known.
    pub fn of(role: &'a Role) -> Option<Boundary<'a>> {
        let managed = role
            .permissions_boundary
            .as_ref()
            .and_then(|b| b.get())
            .and_then(managed::lookup);
        let code = role
            .boundary_policy
            .as_ref()
            .and_then(|p| p.document.as_ref())
            .filter(|d| d.unknowns.is_empty() && d.statements.iter().all(|s| s.effect.is_some()));
        (managed.is_some() || code.is_some()).then_some(Boundary { managed, code })
    }

    /// True when the boundary lets `action` through on all resources.
    pub fn allows(&self, action: &str) -> bool {
        if self
            .managed
            .is_some_and(|b| b.allows(action) != Allowance::AnyResource)
        {
            return false;
        }
        let Some(doc) = self.code else {
            return true;
        };
        let denied = doc.statements.iter().any(|st| {
            st.effect == Some(Effect::Deny)
                && st.conditions.is_empty()
                && st.condition_unknown.is_none()
                && statement_broad(st)
                && code_covers(st, action).is_some()
        });
        !denied
            && doc.statements.iter().any(|st| {
                st.is_allow()
                    && statement_broad(st)
                    && !limits_permission(st)
                    && code_covers(st, action).is_some()
                    && statement_reaches(st, action)
            })
    }

    /// The boundary's name for messages: the policy name or address.
    pub fn name(&self, role: &Role) -> String {
        match (self.managed, &role.boundary_policy) {
            (Some(p), _) => p.name.to_string(),
            (None, Some(p)) => p.origin.clone(),
            (None, None) => String::new(),
        }
    }
}

/// The effective permissions of one role, ready for queries.
pub struct Permissions<'a> {
    allows: Vec<CodeStatement<'a>>,
    denies: Vec<&'a Statement>,
    managed: Vec<(&'a ManagedPolicyRef, &'static ManagedPolicy)>,
    boundary: Option<&'static ManagedPolicy>,
    /// The boundary's document when it is a customer managed policy of the code.
    code_boundary: Option<&'a crate::iam::model::PolicyDocument>,
    /// Some attached AWS managed policy has an unconditional Deny on all resources.
    managed_denies: bool,
    /// Lower-case service prefixes that a broad code Allow names; `None` when a pattern
    /// has a wildcard service or NotAction is used (any service may match).
    services: Option<Vec<&'a str>>,
}

fn all_stars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'*')
}

/// True when a resource pattern covers every resource of its kind: `*`, `arn:aws:s3:::*/*`,
/// `arn:aws:iam::123456789012:role/*`, `arn:aws:secretsmanager:*:*:secret:*`.
pub fn resource_is_broad(text: &str) -> bool {
    if all_stars(text) {
        return true;
    }
    let Some(rest) = text.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    if parts.len() < 5 {
        return false;
    }
    let (service, res) = (parts[1], parts[4]);
    let wild = |s: &str| !s.is_empty() && s.bytes().all(|b| matches!(b, b'*' | b'/' | b':'));
    if all_stars(service) || service.eq_ignore_ascii_case("s3") {
        return wild(res);
    }
    // Strip one resource type (`role/`, `secret:`, `key/`).
    let res = match res.find(['/', ':']) {
        Some(i)
            if i > 0
                && res[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            &res[i + 1..]
        }
        _ => res,
    };
    wild(res)
}

/// True when a statement applies to all resources (a broad Resource, or NotResource).
pub fn applies_to_all_resources(st: &Statement) -> bool {
    statement_broad(st)
}

fn statement_broad(st: &Statement) -> bool {
    if st.not_resource.is_some() {
        return st.resource.is_none();
    }
    st.resource.as_ref().is_some_and(|r| {
        r.items
            .iter()
            .any(|i| i.get().is_some_and(resource_is_broad))
    })
}

/// The ARN service and resource-type prefix of the resources an action acts on, from the
/// Service Authorization Reference: iam:PassRole and sts:AssumeRole take role ARNs, the data
/// reads their service's objects, parameters, secrets and keys. Every IAM action takes IAM
/// ARNs. Other actions are not checked: their resources may belong to another service
/// (ssm:SendCommand acts on EC2 instances), and the catalog does not list resource types.
const ARN_SPACES: &[(&str, &str, &str)] = &[
    ("iam:PassRole", "iam", "role/"),
    ("sts:AssumeRole", "iam", "role/"),
    ("s3:GetObject", "s3", ""),
    ("ssm:GetParameter", "ssm", "parameter/"),
    ("secretsmanager:GetSecretValue", "secretsmanager", "secret:"),
    ("kms:Decrypt", "kms", ""),
];

/// True when a Resource pattern may match a resource `action` acts on: `*`, an ARN pattern of
/// the action's service (a role ARN for iam:PassRole and sts:AssumeRole) whose resource part may
/// start with the action's resource type. `iam:PassRole` on `arn:aws:s3:::*` passes no role.
pub fn resource_reaches(pattern: &str, action: &str) -> bool {
    if all_stars(pattern) {
        return true;
    }
    let Some(rest) = pattern.strip_prefix("arn:") else {
        // Not an ARN: IAM rejects it (IAM301); do not hide the grant.
        return true;
    };
    let (service, prefix) = match ARN_SPACES
        .iter()
        .find(|(a, _, _)| a.eq_ignore_ascii_case(action))
    {
        Some((_, svc, prefix)) => (*svc, *prefix),
        None if service_of(action).eq_ignore_ascii_case("iam") => ("iam", ""),
        None => return true,
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    // A wildcard that ends a short ARN (`arn:aws:*`) spans the segments after it.
    let seg = |i: usize| -> Option<&str> { parts.get(i).copied() };
    let spans_rest = |i: usize| parts.len() <= i && pattern.ends_with('*');
    match seg(1) {
        None => return true,
        Some(svc) if spans_rest(2) && svc.ends_with('*') => return true,
        Some(svc) if !wildcard_match(svc, service) => return false,
        Some(_) => {}
    }
    if spans_rest(4) {
        return true;
    }
    let Some(res) = seg(4) else {
        return false;
    };
    // The literal start of the resource part must agree with the resource type.
    let lit: &str = res.split(['*', '?']).next().unwrap_or("");
    let (a, b) = (lit.to_ascii_lowercase(), prefix.to_ascii_lowercase());
    a.starts_with(&b) || b.starts_with(&a)
}

/// True when some Resource of the statement may match a resource of `action` (NotResource
/// statements are taken to reach everything).
fn statement_reaches(st: &Statement, action: &str) -> bool {
    match &st.resource {
        Some(r) => r.items.iter().any(|i| {
            i.get()
                .is_none_or(|p| resource_is_broad(p) && resource_reaches(p, action))
        }),
        None => true,
    }
}

/// Where the statement's Action (or NotAction complement) covers `action`: the matching action
/// string, or the NotAction key.
pub fn code_covers(st: &Statement, action: &str) -> Option<Span> {
    match (&st.action, &st.not_action) {
        (Some(a), _) => a
            .items
            .iter()
            .find(|s| s.get().is_some_and(|p| wildcard_match(p, action)))
            .map(|s| s.span),
        (None, Some(na)) => (!na
            .items
            .iter()
            .any(|s| s.get().is_none_or(|p| wildcard_match(p, action))))
        .then_some(na.key_span),
        (None, None) => None,
    }
}

/// The services a statement's positive `iam:PassedToService` condition allows its iam:PassRole
/// to pass roles to; `None` when no such condition limits it (or its values are unknown).
fn passed_to_of(st: &Statement) -> Option<Vec<String>> {
    use crate::iam::conditions::{OpKind, SetOp, names_key, parse_operator};
    let mut out: Option<Vec<String>> = None;
    for c in st
        .conditions
        .iter()
        .filter(|c| names_key(c, "iam:PassedToService"))
    {
        let Some(op) = c.operator.get().and_then(parse_operator) else {
            continue;
        };
        if op.negated || op.if_exists || op.set == SetOp::ForAllValues || op.kind != OpKind::String
        {
            continue;
        }
        let values: Option<Vec<String>> = c
            .values
            .iter()
            .map(|v| v.get().map(str::to_string))
            .collect();
        out = Some(values?);
    }
    out
}

/// The actions the summary asks about, in a fixed order: what [`managed_allows`] caches.
fn query_actions() -> &'static (Vec<String>, std::collections::HashMap<String, usize>) {
    static Q: OnceLock<(Vec<String>, std::collections::HashMap<String, usize>)> = OnceLock::new();
    Q.get_or_init(|| {
        let mut list: Vec<String> = Vec::new();
        let mut push = |a: &str| {
            if !list.iter().any(|x| x == a) {
                list.push(a.to_string());
            }
        };
        for p in escalation::PATHS {
            p.actions.iter().for_each(|a| push(a));
        }
        for (a, _) in DATA_READ_ACTIONS {
            push(a);
        }
        push("iam:PassRole");
        push("sts:AssumeRole");
        for a in actions::service_actions("iam") {
            if matches!(
                a.level,
                AccessLevel::Write | AccessLevel::PermissionsManagement
            ) {
                push(&a.full());
            }
        }
        let index = list
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), i))
            .collect();
        (list, index)
    })
}

/// How far an AWS managed policy allows `action`, cached per policy for the actions of
/// [`query_actions`] (every role that attaches ReadOnlyAccess asks the same questions). The
/// cache is filled once per policy, without a lock on reads.
fn managed_allows(p: &'static ManagedPolicy, action: &str) -> Allowance {
    static CACHE: OnceLock<Vec<OnceLock<Box<[Allowance]>>>> = OnceLock::new();
    let (list, index) = query_actions();
    let Some(&i) = index.get(action) else {
        return p.allows(action);
    };
    let all = managed::all();
    let cache = CACHE.get_or_init(|| (0..all.len()).map(|_| OnceLock::new()).collect());
    let offset = (p as *const ManagedPolicy as usize).wrapping_sub(all.as_ptr() as usize)
        / std::mem::size_of::<ManagedPolicy>().max(1);
    match (all.get(offset), cache.get(offset)) {
        (Some(q), Some(slot)) if std::ptr::eq(q, p) => slot
            .get_or_init(|| list.iter().map(|a| p.allows(a)).collect())
            .get(i)
            .copied()
            .unwrap_or_else(|| p.allows(action)),
        _ => p.allows(action),
    }
}

fn service_of(action: &str) -> &str {
    action.split_once(':').map_or(action, |(s, _)| s)
}

impl<'a> Permissions<'a> {
    /// Gathers the role's permission statements and managed policies.
    pub fn of(role: &'a Role) -> Permissions<'a> {
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        let mut services: Option<Vec<&'a str>> = Some(Vec::new());
        for (policy, doc) in role.permission_documents() {
            for st in &doc.statements {
                match st.effect {
                    Some(Effect::Allow) => {
                        if !statement_broad(st) || limits_permission(st) {
                            continue;
                        }
                        match (&st.action, &st.not_action) {
                            (Some(a), _) => {
                                for p in a.items.iter().filter_map(|s| s.get()) {
                                    let svc = service_of(p);
                                    if svc.contains(['*', '?']) || !p.contains(':') {
                                        services = None;
                                    } else if let Some(list) = services.as_mut() {
                                        list.push(svc);
                                    }
                                }
                            }
                            _ => services = None,
                        }
                        allows.push(CodeStatement { policy, st });
                    }
                    Some(Effect::Deny) => {
                        let on_all = st.resource.as_ref().is_some_and(|r| {
                            r.items.iter().any(|i| i.get().is_some_and(all_stars))
                        });
                        if on_all && st.conditions.is_empty() && st.condition_unknown.is_none() {
                            denies.push(st);
                        }
                    }
                    None => {}
                }
            }
        }
        // A service-role policy on a role that only its own AWS service can assume is the
        // shape AWS prescribes (see `services::prescribed_service_role`): the service, not a
        // person or the customer's code, holds those grants.
        let grants = role
            .trust
            .as_ref()
            .map(crate::iam::trust::grants)
            .unwrap_or_default();
        let trusted_services: Vec<&str> = grants
            .iter()
            .map(|g| match &g.class {
                crate::iam::principals::Class::Service {
                    name,
                    wildcard: false,
                } => Some(name.as_str()),
                _ => None,
            })
            .collect::<Option<Vec<&str>>>()
            .unwrap_or_default();
        let trust_known = role.trust_resolved();
        let managed: Vec<(&ManagedPolicyRef, &'static ManagedPolicy)> = role
            .managed_policies
            .iter()
            .filter_map(|r| r.arn.get().and_then(managed::lookup).map(|p| (r, p)))
            .filter(|(_, p)| {
                !(trust_known
                    && crate::iam::services::prescribed_service_role(
                        p.arn_path,
                        p.name,
                        &trusted_services,
                    ))
            })
            .collect();
        let boundary = role
            .permissions_boundary
            .as_ref()
            .and_then(|b| b.get())
            .and_then(managed::lookup);
        let managed_denies = managed.iter().any(|(_, p): &(_, &ManagedPolicy)| {
            p.statements.iter().any(|s| {
                s.effect == managed::Effect::Deny
                    && s.resource == managed::ResourceScope::Any
                    && !s.conditional
            })
        });
        // A boundary document with parts that could not be resolved may allow more than it
        // shows: it caps nothing then.
        let code_boundary = Boundary::of(role).and_then(|b| b.code);
        Permissions {
            allows,
            denies,
            managed,
            boundary,
            code_boundary,
            managed_denies,
            services,
        }
    }

    /// True when the permissions boundary written in the code lets `action` through on all
    /// resources: an Allow on all resources without a limiting condition covers it and no
    /// unconditional Deny on all resources does. No such boundary caps nothing.
    fn code_boundary_allows(&self, action: &str) -> bool {
        Boundary {
            managed: None,
            code: self.code_boundary,
        }
        .allows(action)
    }

    /// True when nothing in the role grants anything on all resources.
    pub fn is_empty(&self) -> bool {
        self.allows.is_empty() && self.managed.is_empty()
    }

    /// True when an unconditional Deny on all resources (in the code or in an attached AWS
    /// managed policy) covers `action`.
    pub fn denied(&self, action: &str) -> bool {
        self.denies.iter().any(|d| code_covers(d, action).is_some())
            || (self.managed_denies
                && self.managed.iter().any(|(_, p)| {
                    p.statements.iter().any(|s| {
                        s.effect == managed::Effect::Deny
                            && s.resource == managed::ResourceScope::Any
                            && !s.conditional
                            && s.covers_action(action)
                    })
                }))
    }

    fn any_deny(&self) -> bool {
        !self.denies.is_empty() || self.managed_denies
    }

    /// Where `action` (a concrete `service:Action`) is allowed on all resources without a
    /// limiting condition, unless a Deny removes it or the boundary does not allow it.
    pub fn allows(&self, action: &str) -> Option<Place> {
        self.find(action).map(|f| f.place(action))
    }

    /// [`Permissions::allows`] without building the label (the hot path of the summary).
    fn find(&self, action: &str) -> Option<Found<'a>> {
        self.find_where(action, |_| true, |_| true)
    }

    /// Where iam:PassRole on all resources may pass roles to one of `services`: grants whose
    /// positive `iam:PassedToService` condition names none of them do not count.
    fn find_pass_role(&self, services: &[&str]) -> Option<Found<'a>> {
        let reaches = |allowed: &[&str]| {
            services.is_empty()
                || allowed.is_empty()
                || allowed
                    .iter()
                    .any(|a| services.iter().any(|s| wildcard_match(a, s)))
        };
        self.find_where(
            "iam:PassRole",
            |st| {
                passed_to_of(st)
                    .is_none_or(|v| reaches(&v.iter().map(String::as_str).collect::<Vec<_>>()))
            },
            |p| {
                p.statements.iter().any(|st| {
                    st.effect == managed::Effect::Allow
                        && !matches!(st.resource, managed::ResourceScope::Specific)
                        && st.covers_action("iam:PassRole")
                        && !st.limiting_condition()
                        && reaches(&st.passed_to)
                })
            },
        )
    }

    /// The services every iam:PassRole grant is limited to by `iam:PassedToService`, or `None`
    /// when some grant may pass roles to any service.
    fn pass_role_services(&self) -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for cs in &self.allows {
            if code_covers(cs.st, "iam:PassRole").is_some()
                && statement_reaches(cs.st, "iam:PassRole")
            {
                out.extend(passed_to_of(cs.st)?);
            }
        }
        for (_, p) in &self.managed {
            for st in p.statements.iter().filter(|st| {
                st.effect == managed::Effect::Allow
                    && !matches!(st.resource, managed::ResourceScope::Specific)
                    && st.covers_action("iam:PassRole")
                    && !st.limiting_condition()
            }) {
                if st.passed_to.is_empty() {
                    return None;
                }
                out.extend(st.passed_to.iter().map(|s| s.to_string()));
            }
        }
        out.sort();
        out.dedup();
        (!out.is_empty()).then_some(out)
    }

    /// [`Permissions::find`] counting only the code statements and managed policies that pass
    /// the filters.
    fn find_where(
        &self,
        action: &str,
        code_ok: impl Fn(&Statement) -> bool,
        managed_ok: impl Fn(&'static ManagedPolicy) -> bool,
    ) -> Option<Found<'a>> {
        if self.is_empty() {
            return None;
        }
        let code_may = self.services.as_ref().is_none_or(|list| {
            let svc = service_of(action);
            list.iter().any(|s| s.eq_ignore_ascii_case(svc))
        });
        if !code_may && self.managed.is_empty() {
            return None;
        }
        if self
            .boundary
            .is_some_and(|b| b.allows(action) == Allowance::No)
            || !self.code_boundary_allows(action)
        {
            return None;
        }
        if self.denied(action) {
            return None;
        }
        if code_may {
            for cs in &self.allows {
                if let Some(span) = code_covers(cs.st, action)
                    && code_ok(cs.st)
                    && statement_reaches(cs.st, action)
                {
                    return Some(Found {
                        span,
                        policy: Some(cs.policy),
                        managed: None,
                    });
                }
            }
        }
        for (r, p) in &self.managed {
            if managed_allows(p, action) == Allowance::AnyResource && managed_ok(p) {
                return Some(Found {
                    span: r.arn.span,
                    policy: None,
                    managed: Some(p.name),
                });
            }
        }
        None
    }

    fn admin(&self) -> Option<Hit> {
        if self.any_deny() {
            return None;
        }
        if self.boundary.is_some_and(|b| !b.grants.full_admin) {
            return None;
        }
        // A boundary in the code caps `*` unless it allows every action itself.
        if let Some(doc) = self.code_boundary {
            let allows_all = doc.statements.iter().any(|st| {
                st.is_allow()
                    && statement_broad(st)
                    && !limits_permission(st)
                    && st.action.as_ref().is_some_and(|a| {
                        a.items
                            .iter()
                            .any(|s| s.get().is_some_and(|t| all_stars(t) || t == "*:*"))
                    })
            });
            let denies = doc
                .statements
                .iter()
                .any(|st| st.effect == Some(Effect::Deny) && st.conditions.is_empty());
            if !allows_all || denies {
                return None;
            }
        }
        for cs in &self.allows {
            // `*` on `arn:aws:s3:::*` is every S3 action, not administrator access.
            let everywhere = cs.st.not_resource.is_some()
                || cs.st.resource.as_ref().is_some_and(|r| {
                    r.items.iter().any(|i| {
                        i.get().is_none_or(|p| {
                            all_stars(p)
                                || p.strip_prefix("arn:").is_some_and(|rest| {
                                    rest.split(':').nth(1).is_some_and(all_stars)
                                        || (rest.split(':').count() <= 2 && p.ends_with('*'))
                                })
                        })
                    })
                });
            if !everywhere {
                continue;
            }
            if let Some(a) = &cs.st.action
                && let Some(item) = a
                    .items
                    .iter()
                    .find(|s| s.get().is_some_and(|t| all_stars(t) || t == "*:*"))
            {
                let address = (!cs.policy.is_inline()).then(|| cs.policy.origin.clone());
                return Some(Hit {
                    kind: Kind::Admin,
                    name: "*".into(),
                    detail: "has full administrator access (`*` on all resources)".into(),
                    primary: Place {
                        span: item.span,
                        label: "allows every action on all resources".into(),
                        address,
                    },
                    others: Vec::new(),
                });
            }
        }
        self.managed
            .iter()
            .find(|(_, p)| p.grants.full_admin)
            .map(|(r, p)| Hit {
                kind: Kind::Admin,
                name: p.name.to_string(),
                detail: format!(
                    "has full administrator access (AWS managed policy {})",
                    p.name
                ),
                primary: Place {
                    span: r.arn.span,
                    label: format!("{} allows every action on all resources", p.name),
                    address: None,
                },
                others: Vec::new(),
            })
    }

    /// True when some grant may cover IAM write actions through a wildcard.
    fn may_have_full_iam(&self) -> bool {
        let code = self
            .allows
            .iter()
            .any(|cs| match (&cs.st.action, &cs.st.not_action) {
                (Some(a), _) => a.items.iter().filter_map(|s| s.get()).any(|p| {
                    let (svc, name) = p.split_once(':').unwrap_or((p, "*"));
                    wildcard_match(svc, "iam") && name.contains(['*', '?'])
                }),
                _ => true,
            });
        code || self
            .managed
            .iter()
            .any(|(_, p)| p.grants.full_iam || p.grants.full_admin)
    }

    fn full_iam(&self) -> Option<Hit> {
        if !self.may_have_full_iam() {
            return None;
        }
        let mut first = None;
        let mut name = String::with_capacity(64);
        for a in actions::service_actions("iam").iter().filter(|a| {
            matches!(
                a.level,
                AccessLevel::Write | AccessLevel::PermissionsManagement
            )
        }) {
            name.clear();
            name.push_str("iam:");
            name.push_str(a.name);
            let found = self.find(&name)?;
            if first.is_none() {
                first = Some(found.place(&name));
            }
        }
        let primary = first?;
        Some(Hit {
            kind: Kind::FullIam,
            name: "iam:*".into(),
            detail: "has every IAM write and permissions-management action on all resources".into(),
            primary: Place {
                label: "allows every IAM write action on all resources".into(),
                ..primary
            },
            others: Vec::new(),
        })
    }

    /// Every escalation path of the role, as one grant: the first path is the primary place,
    /// the actions of all paths are labelled, and the detail names them.
    fn escalation(&self, has_full_iam: bool) -> Option<Hit> {
        let mut paths: Vec<(&'static escalation::Path, Vec<Found<'a>>)> = Vec::new();
        for path in escalation::PATHS {
            if has_full_iam && path.iam_only() {
                continue;
            }
            let found: Option<Vec<Found<'a>>> = path
                .actions
                .iter()
                .map(|a| match *a {
                    "iam:PassRole" => self.find_pass_role(path.passed_to),
                    _ => self.find(a),
                })
                .collect();
            if let Some(found) = found {
                paths.push((path, found));
            }
        }
        let (first, first_found) = paths.first()?;
        let primary = first_found.first()?.place(first.actions[0]);
        let mut others: Vec<Place> = Vec::new();
        for (path, found) in &paths {
            for (action, f) in path.actions.iter().zip(found) {
                if f.span == primary.span {
                    continue;
                }
                match others.iter_mut().find(|o| o.span == f.span) {
                    Some(o) => {
                        if !o.label.contains(action) && o.label.len() < 200 {
                            o.label = format!("{}, {action}", o.label);
                        }
                    }
                    None => others.push(f.place(action)),
                }
            }
        }
        let mut detail = format!(
            "can escalate privileges through {}: {} ({})",
            first.name, first.how, first.reference
        );
        if paths.len() > 1 {
            const SHOWN: usize = 6;
            let names: Vec<&str> = paths[1..].iter().take(SHOWN).map(|(p, _)| p.name).collect();
            detail.push_str(&format!("; also {}", names.join("; ")));
            if paths.len() - 1 > SHOWN {
                detail.push_str(&format!(" and {} more paths", paths.len() - 1 - SHOWN));
            }
        }
        Some(Hit {
            kind: Kind::PrivilegeEscalation,
            name: first.name.to_string(),
            detail,
            primary,
            others,
        })
    }

    /// The risky grants of the role. Full admin hides the rest; full IAM hides the
    /// escalation paths made only of IAM actions and iam:PassRole on `*`.
    pub fn summary(&self) -> Vec<Hit> {
        let mut out = Vec::new();
        if self.is_empty() {
            return out;
        }
        if let Some(h) = self.admin() {
            out.push(h);
            return out;
        }
        let full_iam = self.full_iam();
        let has_full_iam = full_iam.is_some();
        out.extend(full_iam);
        out.extend(self.escalation(has_full_iam));
        if !has_full_iam && let Some(p) = self.allows("iam:PassRole") {
            let detail = match self.pass_role_services() {
                None => "can pass every role in the account to any service (iam:PassRole on all resources)".to_string(),
                Some(services) => format!(
                    "can pass every role in the account to {} (iam:PassRole on all resources, limited by iam:PassedToService)",
                    services.join(", ")
                ),
            };
            out.push(Hit {
                kind: Kind::PassRoleAny,
                name: "iam:PassRole".into(),
                detail,
                primary: p,
                others: Vec::new(),
            });
        }
        if let Some(p) = self.allows("sts:AssumeRole") {
            out.push(Hit {
                kind: Kind::AssumeRoleAny,
                name: "sts:AssumeRole".into(),
                detail: "can assume every role whose trust policy lets this account in (sts:AssumeRole on all resources)".into(),
                primary: p,
                others: Vec::new(),
            });
        }
        // One grant per policy that reads data (an AWS managed policy, a policy resource, the
        // inline policies), naming every kind of data it reads.
        type Group<'f> = (String, Vec<(&'static str, &'static str, Found<'f>)>);
        let mut groups: Vec<Group<'a>> = Vec::new();
        for (action, what) in DATA_READ_ACTIONS {
            if let Some(f) = self.find(action) {
                let key = match (f.managed, f.policy) {
                    (Some(name), _) => format!("managed {name}"),
                    (None, Some(p)) if !p.is_inline() => p.origin.clone(),
                    _ => "inline".to_string(),
                };
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, list)) => list.push((action, what, f)),
                    None => groups.push((key, vec![(action, what, f)])),
                }
            }
        }
        for (_, list) in groups {
            let Some((first_action, _, first)) = list.first() else {
                continue;
            };
            let actions: Vec<&str> = list.iter().map(|(a, _, _)| *a).collect();
            let whats: Vec<&str> = list.iter().map(|(_, w, _)| *w).collect();
            let via = first
                .managed
                .map(|n| format!(" through AWS managed policy {n}"))
                .unwrap_or_default();
            let mut others: Vec<Place> = Vec::new();
            for (a, _, f) in list.iter().skip(1) {
                if f.span != first.span && !others.iter().any(|o| o.span == f.span) {
                    others.push(f.place(a));
                }
            }
            out.push(Hit {
                kind: Kind::DataRead,
                name: actions.join(", "),
                detail: format!(
                    "can {} ({} on all resources{via})",
                    whats.join(" and "),
                    actions.join(", ")
                ),
                primary: first.place(first_action),
                others,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_reach_the_arn_space_of_the_action() {
        for (r, a) in [
            ("*", "iam:PassRole"),
            ("arn:aws:iam::*:role/*", "iam:PassRole"),
            ("arn:aws:iam::123456789012:*", "sts:AssumeRole"),
            ("arn:aws:*", "iam:PassRole"),
            ("arn:aws:iam:*", "iam:PassRole"),
            ("arn:*:*:*:*:*", "sts:AssumeRole"),
            ("arn:aws:s3:::*", "s3:GetObject"),
            // ssm:SendCommand acts on EC2 instances: resources of another service count.
            ("arn:aws:ec2:*:*:instance/*", "ssm:SendCommand"),
        ] {
            assert!(resource_reaches(r, a), "{r} {a}");
        }
        for (r, a) in [
            ("arn:aws:s3:::*", "iam:PassRole"),
            ("arn:aws:s3:::*", "sts:AssumeRole"),
            ("arn:aws:iam::*:user/*", "iam:PassRole"),
            ("arn:aws:iam::*:policy/*", "sts:AssumeRole"),
            ("arn:aws:ssm:*:*:document/*", "ssm:GetParameter"),
            ("arn:aws:s3:::*", "iam:CreateUser"),
        ] {
            assert!(!resource_reaches(r, a), "{r} {a}");
        }
    }

    #[test]
    fn broad_resources() {
        for r in [
            "*",
            "arn:aws:s3:::*",
            "arn:aws:s3:::*/*",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:secretsmanager:*:*:secret:*",
            "arn:*:*:*:*:*",
        ] {
            assert!(resource_is_broad(r), "{r}");
        }
        for r in [
            "arn:aws:s3:::my-bucket/*",
            "arn:aws:iam::123456789012:role/app-*",
            "arn:aws:iam::123456789012:role/service-role/*",
            "arn:aws:kms:eu-west-1:123456789012:key/abcd",
        ] {
            assert!(!resource_is_broad(r), "{r}");
        }
    }
}
