//! Evaluates rules over the IAM model. Each rule names a scope; the engine walks the items of
//! that scope (trust principals after Deny subtraction, statements, roles, unknowns, notices,
//! document problems), tests the rule's predicates with the `iam` module's semantics, and makes a
//! [`Finding`] on the item's span with the message filled in.

use crate::iam::conditions::{self, constraint};
use crate::iam::federation;
use crate::iam::model::{DocumentKind, Effect, PolicyDocument, Problem, Role, Statement};
use crate::iam::permissions::{self, Permissions};
use crate::iam::principals::{Class, IdentityKind, Relation, Trust, relate};
use crate::iam::services;
use crate::iam::trust::{self, Grant};
use crate::rules::select;
use crate::rules::*;
use crate::source::Notice;
use crate::span::Span;
use crate::value::Unknown;

/// A finding: a rule that matched an item, with where and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Secondary places with a label (the statement, the condition that is too loose).
    pub labels: Vec<(Span, String)>,
    /// The resource address (Terraform address or CloudFormation logical id).
    pub resource: String,
    /// The role's name when known.
    pub role: Option<String>,
    /// How the role was evaluated (template instance, condition branch) and its metadata.
    pub notes: Vec<String>,
    /// The root module directory or template the role was evaluated in, relative to the
    /// repository root (see [`Role::root`]). Filled from the file for findings without a role.
    pub root: String,
    /// The values that decide the finding: the principal or expression it is about, and a
    /// digest of the conditions of its statement (ExternalId, organization ids, `sub`/`aud`
    /// patterns, MFA). No line numbers.
    pub subject: String,
    /// The finding's identity across runs (see [`identity`]); baselines and SARIF
    /// `partialFingerprints` use it. Set by [`Finding::set_fingerprint`].
    pub fingerprint: String,
}

impl Finding {
    /// Recomputes the fingerprint from the rule, root, resource and subject.
    pub fn set_fingerprint(&mut self) {
        self.fingerprint = identity(&self.rule, &self.root, &self.resource, &self.subject);
    }
}

/// A finding's identity: `RULE|ROOT|RESOURCE|SUBJECT`. Two environments (roots) with the same
/// address, or the same trust with a different `sub` pattern, organization id or missing
/// ExternalId, are different findings; a line move is the same one.
pub fn identity(rule: &str, root: &str, resource: &str, subject: &str) -> String {
    format!(
        "{rule}|{}|{}|{subject}",
        escape_part(root),
        escape_part(resource)
    )
}

/// A part of an identity taken from the code (a directory name, an address, a principal) with
/// its `%` and `|` percent-encoded, so no value can shift the separators and make one finding's
/// identity equal another's. Values without them (nearly all) are unchanged.
pub fn escape_part(part: &str) -> std::borrow::Cow<'_, str> {
    if part.contains(['%', '|']) {
        part.replace('%', "%25").replace('|', "%7C").into()
    } else {
        part.into()
    }
}

/// The conditions of a statement in a canonical order (`op key=v1,v2` sorted), so that the
/// identity of a finding changes with any condition value but not with formatting or order.
fn conditions_key(st: &Statement) -> String {
    let mut conds: Vec<String> = st
        .conditions
        .iter()
        .map(|c| {
            let mut vals: Vec<String> = c.values.iter().map(|v| v.render()).collect();
            vals.sort();
            format!(
                "{} {}={}",
                c.operator.render(),
                c.key.render().to_ascii_lowercase(),
                vals.join(",")
            )
        })
        .collect();
    if let Some(u) = &st.condition_unknown {
        conds.push(format!("${{{}}}", u.expr));
    }
    conds.sort();
    conds.join(";")
}

/// What rules may use from the configuration.
pub struct Env<'a> {
    pub trust: &'a (dyn Trust + Sync),
    /// Repository-relative paths of the run's files by file id (`file` and `source` selectors).
    pub paths: &'a [String],
}

/// One item of a scope.
#[derive(Default, Clone, Copy)]
struct Item<'a> {
    role: Option<&'a Role>,
    doc: Option<&'a PolicyDocument>,
    statement: Option<&'a Statement>,
    grant: Option<&'a Grant<'a>>,
    unknown: Option<(Span, &'a Unknown)>,
    notice: Option<&'a Notice>,
    problem: Option<&'a Problem>,
    /// The role's trust grants and risky permissions (role and role_permission scopes).
    grants: &'a [Grant<'a>],
    perms: &'a [permissions::Hit],
    /// The permission this item is about (role_permission scope).
    perm: Option<&'a permissions::Hit>,
    /// The managed policy this item is about (managed_policy scope).
    managed: Option<&'a crate::iam::model::ManagedPolicyRef>,
}

/// The outcome of a predicate: whether it holds, and what it found.
#[derive(Default, Clone)]
struct Hit {
    detail: Option<String>,
    span: Option<Span>,
    /// Secondary places the predicate found (the permission line of a combination).
    labels: Vec<(Span, String)>,
    /// The trust grant (index into `Item::grants`) that a `trust` predicate matched.
    grant: Option<usize>,
    /// The permission (index into `Item::perms`) that a `permission` predicate matched.
    perm: Option<usize>,
    /// Selectors that could not be decided (an unknown value) but let the rule fire under a
    /// `not`: one sentence each, shown as the finding's notes.
    undecided: Vec<String>,
    /// The actions a `can` predicate found (the `{action}` placeholder).
    action: Option<String>,
    /// Placeholders the emitting rule fills in itself (`{subject}`).
    fills: Vec<(&'static str, String)>,
}

/// The outcome of a predicate in three values: a selector whose value is unknown (a role name
/// from a variable) neither holds nor fails. An unknown value never matches a positive
/// selector; under `not` it lets the rule fire, and the finding says which selector could not
/// be decided and why.
enum Verdict {
    Holds(Hit),
    Fails,
    Undecided(Vec<String>),
}

impl Verdict {
    fn from(h: Option<Hit>) -> Verdict {
        h.map_or(Verdict::Fails, Verdict::Holds)
    }

    /// The hit when the predicate holds; undecided counts as not holding.
    fn hit(self) -> Option<Hit> {
        match self {
            Verdict::Holds(h) => Some(h),
            Verdict::Fails | Verdict::Undecided(_) => None,
        }
    }
}

/// An undecided selector: `name` is the selector, `why` what is unknown.
fn undecided(name: &str, why: impl std::fmt::Display) -> Verdict {
    Verdict::Undecided(vec![format!("could not decide `{name}`: {why}")])
}

fn preds_for(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::TrustPrincipal => &[
            "principal",
            "relation",
            "identity",
            "account_wildcard",
            "service_wildcard",
            "provider",
            "federation",
            "restricted",
            "has_condition",
            "requires_mfa",
            "organization",
            "allows_action",
            "confused_deputy",
            "account",
            "principal_matches",
            "vendor",
            "subjects_within",
            "audiences_within",
        ],
        Scope::TrustStatement => &[
            "effect",
            "uses",
            "allows_action",
            "has_condition",
            "requires_mfa",
            "organization",
            "restricted",
        ],
        Scope::PolicyStatement => &[
            "effect",
            "uses",
            "allows_action",
            "has_condition",
            "wildcard_service",
            "wildcard_write",
            "dangerous_action",
            "resource_wildcard",
        ],
        Scope::Role | Scope::RolePermission => &[
            "trust",
            "permission",
            "can",
            "has_boundary",
            "max_session_duration_over",
        ],
        Scope::Unresolved | Scope::UnresolvedPolicy => &[],
        Scope::ManagedPolicy => &["aws_managed"],
        Scope::Notice => &["notice_kind"],
        Scope::DocumentProblem => &["document_kind", "problem"],
    }
}

/// The predicates a scope takes: its own, and the role selectors wherever its items have a role.
fn takes(scope: Scope) -> Vec<&'static str> {
    let mut v = preds_for(scope).to_vec();
    if scope != Scope::Notice {
        v.extend(select::ROLE_SELECTORS);
    }
    v
}

/// Every predicate name the engine knows, combinators included, sorted (the rule schema's test
/// checks that docs/rule.schema.json has each).
pub fn predicate_names() -> Vec<&'static str> {
    // A new scope must be listed here: this match stops compiling until it is.
    let every = |s: Scope| match s {
        Scope::TrustPrincipal
        | Scope::TrustStatement
        | Scope::PolicyStatement
        | Scope::Role
        | Scope::Unresolved
        | Scope::ManagedPolicy
        | Scope::UnresolvedPolicy
        | Scope::Notice
        | Scope::DocumentProblem
        | Scope::RolePermission => takes(s),
    };
    let scopes = [
        Scope::TrustPrincipal,
        Scope::TrustStatement,
        Scope::PolicyStatement,
        Scope::Role,
        Scope::Unresolved,
        Scope::ManagedPolicy,
        Scope::UnresolvedPolicy,
        Scope::Notice,
        Scope::DocumentProblem,
        Scope::RolePermission,
    ];
    let mut names: Vec<&'static str> = vec!["all", "any", "not"];
    names.extend(scopes.into_iter().flat_map(every));
    names.sort_unstable();
    names.dedup();
    names
}

fn pred_name(p: &Pred) -> &'static str {
    match p {
        Pred::All(_) => "all",
        Pred::Any(_) => "any",
        Pred::Not(_) => "not",
        Pred::Principal(_) => "principal",
        Pred::Relation(_) => "relation",
        Pred::Identity(_) => "identity",
        Pred::AccountWildcard(_) => "account_wildcard",
        Pred::ServiceWildcard(_) => "service_wildcard",
        Pred::Provider(_) => "provider",
        Pred::Federation(_) => "federation",
        Pred::Restricted(_) => "restricted",
        Pred::HasCondition(_) => "has_condition",
        Pred::RequiresMfa(_) => "requires_mfa",
        Pred::Organization(_) => "organization",
        Pred::AwsManaged(_) => "aws_managed",
        Pred::Effect(_) => "effect",
        Pred::Uses(_) => "uses",
        Pred::AllowsAction(_) => "allows_action",
        Pred::NoticeKind(_) => "notice_kind",
        Pred::DocumentKind(_) => "document_kind",
        Pred::Problem(_) => "problem",
        Pred::ConfusedDeputy(_) => "confused_deputy",
        Pred::WildcardService(_) => "wildcard_service",
        Pred::WildcardWrite(_) => "wildcard_write",
        Pred::DangerousAction(_) => "dangerous_action",
        Pred::ResourceWildcard(_) => "resource_wildcard",
        Pred::Trust(_) => "trust",
        Pred::Permission(_) => "permission",
        Pred::Can(_) => "can",
        Pred::HasBoundary(_) => "has_boundary",
        Pred::MaxSessionDurationOver(_) => "max_session_duration_over",
        Pred::RoleName(_) => "role_name",
        Pred::RolePath(_) => "role_path",
        Pred::RoleTag(_) => "role_tag",
        Pred::Address(_) => "address",
        Pred::File(_) => "file",
        Pred::Source(_) => "source",
        Pred::Account(_) => "account",
        Pred::PrincipalMatches(_) => "principal_matches",
        Pred::Vendor(_) => "vendor",
        Pred::SubjectsWithin(_) => "subjects_within",
        Pred::AudiencesWithin(_) => "audiences_within",
    }
}

/// True when the rule needs the role's permission summary.
fn uses_permissions(rule: &Rule) -> bool {
    fn walk(p: &Pred) -> bool {
        match p {
            Pred::All(ps) | Pred::Any(ps) => ps.iter().any(walk),
            Pred::Not(p) | Pred::Trust(p) => walk(p),
            Pred::Permission(_) => true,
            _ => false,
        }
    }
    rule.scope == Scope::RolePermission
        || rule.matcher.as_ref().is_some_and(walk)
        || rule.severity_by.iter().any(|s| walk(&s.when))
}

/// Checks that every predicate applies to the scope and that its arguments are known names.
pub fn check_pred(p: &Pred, scope: Scope) -> Result<(), String> {
    check_pred_at(p, scope).map_err(|e| e.message)
}

/// A predicate that does not load: the message, and which predicate it is (its key, and the
/// how-manieth of that key it is in the `match` or `when`, counting from 1 in document order),
/// so that the loader can point at its line.
#[derive(Clone, Debug, PartialEq)]
pub struct PredError {
    pub key: &'static str,
    pub nth: usize,
    pub message: String,
}

const ALL_SCOPES: &[Scope] = &[
    Scope::TrustPrincipal,
    Scope::TrustStatement,
    Scope::PolicyStatement,
    Scope::Role,
    Scope::RolePermission,
    Scope::Unresolved,
    Scope::UnresolvedPolicy,
    Scope::ManagedPolicy,
    Scope::Notice,
    Scope::DocumentProblem,
];

/// [`check_pred`], saying which predicate failed.
pub fn check_pred_at(p: &Pred, scope: Scope) -> Result<(), PredError> {
    fn walk(
        p: &Pred,
        scope: Scope,
        inside_trust: bool,
        seen: &mut Vec<&'static str>,
    ) -> Result<(), PredError> {
        let key = pred_name(p);
        seen.push(key);
        let fail = |seen: &Vec<&'static str>, message: String| PredError {
            key,
            nth: seen.iter().filter(|k| **k == key).count(),
            message: if inside_trust {
                format!("in `trust`: {message}")
            } else {
                message
            },
        };
        if let Err(m) = check_node(p, scope) {
            return Err(fail(seen, m));
        }
        match p {
            Pred::All(ps) | Pred::Any(ps) => ps
                .iter()
                .try_for_each(|p| walk(p, scope, inside_trust, seen)),
            Pred::Not(p) => walk(p, scope, inside_trust, seen),
            Pred::Trust(inner) => walk(inner, Scope::TrustPrincipal, true, seen),
            _ => Ok(()),
        }
    }
    walk(p, scope, false, &mut Vec::new())
}

/// The scopes a predicate applies to, for messages: `trust_principal, and inside `trust:` in
/// role and role_permission`.
fn scopes_of(name: &str) -> String {
    let direct: Vec<&str> = ALL_SCOPES
        .iter()
        .filter(|s| takes(**s).contains(&name))
        .map(|s| s.as_str())
        .collect();
    let mut out = direct.join(", ");
    if preds_for(Scope::TrustPrincipal).contains(&name) && !preds_for(Scope::Role).contains(&name) {
        out.push_str(", and inside `trust:` in role and role_permission");
    }
    out
}

/// Checks one predicate (not its children): that it applies to the scope, and its arguments.
fn check_node(p: &Pred, scope: Scope) -> Result<(), String> {
    match p {
        Pred::All(_) | Pred::Any(_) | Pred::Not(_) => Ok(()),
        other => {
            let name = pred_name(other);
            if !takes(scope).contains(&name) {
                return Err(format!(
                    "`{name}` applies to {}; this rule's scope is {} (it takes: {})",
                    scopes_of(name),
                    scope.as_str(),
                    takes(scope).join(", ")
                ));
            }
            if select::is_selector(other) {
                return select::check(other).map_err(|e| format!("`{name}`: {e}"));
            }
            let check_names = |given: &[String], known: &[&str], what: &str| match given
                .iter()
                .find(|g| !known.contains(&g.as_str()))
            {
                Some(bad) => Err(format!(
                    "`{bad}` is not a {what} (expected one of {})",
                    known.join(", ")
                )),
                None => Ok(()),
            };
            match other {
                Pred::Provider(v) => {
                    let known: Vec<&str> = crate::iam::principals::Provider::all()
                        .iter()
                        .map(|p| p.id())
                        .collect();
                    check_names(v, &known, "provider")
                }
                Pred::Organization(v) => {
                    check_names(v, &["trusted", "untrusted"], "organization state")
                }
                Pred::Federation(v) => check_names(
                    v,
                    &[
                        "sub_missing",
                        "sub_any",
                        "sub_owner_wide",
                        "aud_missing",
                        "amr_missing",
                    ],
                    "federation weakness",
                ),
                Pred::Uses(v) => check_names(
                    v,
                    &[
                        "not_principal",
                        "not_action",
                        "not_resource",
                        "principal",
                        "resource",
                    ],
                    "statement element",
                ),
                Pred::AllowsAction(v) => match v.iter().find(|a| !a.contains(':') && *a != "*") {
                    Some(bad) => Err(format!("`{bad}` is not an action (service:Action)")),
                    None => Ok(()),
                },
                Pred::Problem(v) => {
                    let known: Vec<&str> = crate::iam::model::ProblemCode::ALL
                        .iter()
                        .map(|c| c.id())
                        .collect();
                    check_names(v, &known, "problem code")
                }
                Pred::Permission(v) => {
                    let known: Vec<&str> = permissions::Kind::ALL.iter().map(|k| k.id()).collect();
                    check_names(v, &known, "permission kind")
                }
                Pred::WildcardService(v) => {
                    match v
                        .iter()
                        .find(|s| s.as_str() != "*" && !crate::iam::actions::service_known(s))
                    {
                        Some(bad) => Err(format!("`{bad}` is not a service prefix")),
                        None => Ok(()),
                    }
                }
                Pred::Can(q) => check_can(q),
                _ => Ok(()),
            }
        }
    }
}

/// `can`: at least one action, each `service:Action` (wildcards allowed) or `*`; resource
/// patterns, when given, not empty.
fn check_can(q: &CanQuery) -> Result<(), String> {
    if q.actions.is_empty() {
        return Err("`can` needs at least one action".into());
    }
    if let Some(bad) = q
        .actions
        .iter()
        .find(|a| !a.contains(':') && !a.chars().all(|c| c == '*'))
    {
        return Err(format!(
            "`{bad}` in `can` is not an action (service:Action)"
        ));
    }
    match &q.resources {
        Some(r) if r.is_empty() || r.iter().any(|x| x.is_empty()) => Err(
            "`can` resources must be non-empty patterns (leave `resources` out for any resource)"
                .into(),
        ),
        _ => Ok(()),
    }
}

const PLACEHOLDERS_ALL: &[&str] = &["role", "resource", "detail"];

fn placeholders_for(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::TrustPrincipal => &[
            "principal",
            "principal_type",
            "account",
            "relation",
            "provider",
            "restriction",
            "role_name",
            "subject",
        ],
        Scope::TrustStatement | Scope::PolicyStatement => &["sid", "statement", "role_name"],
        Scope::Unresolved | Scope::UnresolvedPolicy => &["expr", "reason", "role_name"],
        Scope::ManagedPolicy => &["policy", "role_name"],
        Scope::Notice => &["message", "kind"],
        Scope::DocumentProblem => &["message", "document", "role_name"],
        Scope::RolePermission => &[
            "permission",
            "principal",
            "principal_type",
            "account",
            "provider",
            "action",
            "role_name",
            "subject",
        ],
        // A `trust` predicate fills the principal placeholders, a `permission` one `permission`.
        Scope::Role => &[
            "permission",
            "principal",
            "principal_type",
            "account",
            "provider",
            "action",
            "role_name",
            "subject",
        ],
    }
}

/// Checks that a message uses only placeholders the scope fills in.
pub fn check_message(msg: &str, scope: Scope) -> Result<(), String> {
    let mut rest = msg;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            return Err("a `{` is not closed".into());
        };
        let name = &after[..j];
        if !PLACEHOLDERS_ALL.contains(&name) && !placeholders_for(scope).contains(&name) {
            return Err(format!(
                "placeholder `{{{name}}}` is not available in scope `{}`",
                scope.as_str()
            ));
        }
        rest = &after[j + 1..];
    }
    Ok(())
}

/// The rules that hold on the inputs of a module that was not read (a
/// [`MODULE_INPUTS`](crate::iam::model::MODULE_INPUTS) record): the principal, subject or
/// managed policy is the problem whatever conditions the module adds. Rules about a missing
/// condition (external id, MFA, source account, audience) and rules that combine a principal
/// with permissions do not, since the module's code is unknown.
const MODULE_INPUT_RULES: &[&str] = &[
    "IAM001", "IAM002", "IAM004", "IAM005", "IAM010", "IAM011", "IAM015", "IAM101", "IAM102",
    "IAM103", "IAM104", "IAM105", "IAM106", "IAM107", "IAM108", "IAM109", "IAM110", "IAM306",
];

/// Runs `rules` over `roles` and `notices`.
pub fn evaluate(rules: &[Rule], roles: &[Role], notices: &[Notice], env: &Env) -> Vec<Finding> {
    use rayon::prelude::*;
    let need_perms = rules.iter().any(uses_permissions);
    let mut out: Vec<Finding> = roles
        .par_iter()
        // A role that a value the user supplied switches off is listed, not checked.
        .filter(|role| !matches!(role.state, crate::iam::model::RoleState::NotCreated(_)))
        .flat_map_iter(|role| {
            // A role that a value the user supplied switches off is listed, not checked.
            if matches!(role.state, crate::iam::model::RoleState::NotCreated(_)) {
                return Vec::new();
            }
            let grants: Vec<Grant> = role.trust.as_ref().map(trust::grants).unwrap_or_default();
            let perms = if need_perms {
                Permissions::of(role).summary()
            } else {
                Vec::new()
            };
            let mut found = Vec::new();
            let inputs_only = role.resource_type == crate::iam::model::MODULE_INPUTS;
            for rule in rules {
                if inputs_only && !MODULE_INPUT_RULES.contains(&rule.id.as_str()) {
                    continue;
                }
                eval_role(rule, role, &grants, &perms, env, &mut found);
            }
            found
        })
        .collect();
    for rule in rules.iter().filter(|r| r.scope == Scope::Notice) {
        for n in notices {
            let item = Item {
                notice: Some(n),
                ..Item::default()
            };
            emit(rule, &item, env, n.span, &n.address, &mut out);
        }
    }
    out
}

fn eval_role<'a>(
    rule: &Rule,
    role: &'a Role,
    grants: &'a [Grant<'a>],
    perms: &'a [permissions::Hit],
    env: &Env,
    out: &mut Vec<Finding>,
) {
    let base = Item {
        role: Some(role),
        doc: role.trust.as_ref(),
        grants,
        perms,
        ..Item::default()
    };
    match rule.scope {
        Scope::TrustPrincipal => {
            for g in grants {
                let item = Item {
                    doc: role.trust.as_ref(),
                    statement: Some(g.statement),
                    grant: Some(g),
                    ..Item::default()
                };
                let item = Item {
                    role: Some(role),
                    ..item
                };
                emit(rule, &item, env, g.principal.value.span, &role.address, out);
            }
        }
        Scope::TrustStatement => {
            if let Some(doc) = &role.trust {
                for st in &doc.statements {
                    let item = Item {
                        role: Some(role),
                        doc: Some(doc),
                        statement: Some(st),
                        ..Item::default()
                    };
                    emit(rule, &item, env, st.span, &role.address, out);
                }
            }
        }
        Scope::PolicyStatement => {
            for (policy, doc) in role.permission_documents() {
                for st in &doc.statements {
                    let item = Item {
                        role: Some(role),
                        doc: Some(doc),
                        statement: Some(st),
                        ..Item::default()
                    };
                    emit(
                        rule,
                        &item,
                        env,
                        st.span,
                        &policy.origin_address(&role.address),
                        out,
                    );
                }
            }
        }
        Scope::Role => {
            let span = role.trust_span.unwrap_or(role.span);
            emit(rule, &base, env, span, &role.address, out);
        }
        Scope::RolePermission => {
            for p in perms {
                let item = Item {
                    perm: Some(p),
                    ..base
                };
                let address = p
                    .primary
                    .address
                    .clone()
                    .unwrap_or_else(|| role.address.clone());
                emit(rule, &item, env, p.primary.span, &address, out);
            }
        }
        Scope::Unresolved => {
            // Unknowns that cannot change a verdict are not reported
            // (`Role::settled_trust_unknowns`).
            let parts = role
                .open_trust_unknowns()
                .into_iter()
                .map(|(span, u)| (span, u, role.address.clone()));
            emit_unknowns(rule, role, env, parts, out);
        }
        Scope::ManagedPolicy => {
            for m in &role.managed_policies {
                let item = Item {
                    role: Some(role),
                    managed: Some(m),
                    ..Item::default()
                };
                emit(rule, &item, env, m.arn.span, &role.address, out);
            }
        }
        Scope::UnresolvedPolicy => {
            let parts = role.inline_policies.iter().flat_map(|p| {
                let address = p.origin_address(&role.address);
                p.unknown
                    .iter()
                    .map(|(s, u)| (*s, u))
                    .chain(
                        p.document
                            .iter()
                            .flat_map(|d| d.unknowns.iter().map(|(s, u)| (*s, u))),
                    )
                    .map(move |(s, u)| (s, u, address.clone()))
            });
            emit_unknowns(rule, role, env, parts, out);
        }
        Scope::DocumentProblem => {
            let docs = role.trust.iter().map(|d| (d, role.address.clone())).chain(
                role.permission_documents()
                    .map(|(p, d)| (d, p.origin_address(&role.address))),
            );
            for (doc, address) in docs {
                for p in &doc.problems {
                    let item = Item {
                        role: Some(role),
                        doc: Some(doc),
                        problem: Some(p),
                        ..Item::default()
                    };
                    emit(rule, &item, env, p.span, &address, out);
                }
            }
        }
        Scope::Notice => {}
    }
}

/// One finding per unresolved value (the same expression at the same place once), at the
/// expression, for the `unresolved` and `unresolved_policy` scopes.
fn emit_unknowns<'a>(
    rule: &Rule,
    role: &'a Role,
    env: &Env,
    parts: impl Iterator<Item = (Span, &'a Unknown, String)>,
    out: &mut Vec<Finding>,
) {
    // One finding per root cause: values derived from the same unknown (a variable used in
    // several ARNs) carry its reason, which names it. The other places are labels.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for (span, u, address) in parts {
        if let Some((_, _, i)) = seen
            .iter()
            .find(|(a, r, _)| *r == u.reason && *a == address)
        {
            if let Some(f) = out.get_mut(*i)
                && f.span != span
                && !f.labels.iter().any(|(s, _)| *s == span)
            {
                f.labels
                    .push((span, format!("`{}` depends on the same unknown", u.expr)));
            }
            continue;
        }
        let before = out.len();
        let item = Item {
            role: Some(role),
            unknown: Some((span, u)),
            ..Item::default()
        };
        emit(rule, &item, env, span, &address, out);
        if out.len() > before {
            seen.push((address, u.reason.clone(), before));
        }
    }
}

fn emit(rule: &Rule, item: &Item, env: &Env, span: Span, resource: &str, out: &mut Vec<Finding>) {
    let hit = match &rule.matcher {
        None => Some(Hit::default()),
        Some(m) => eval(m, item, env).hit(),
    };
    let Some(hit) = hit else { return };
    let severity = rule
        .severity_by
        .iter()
        .find(|s| eval(&s.when, item, env).hit().is_some())
        .map_or(rule.severity, |s| s.severity);
    // What the predicates chose (a trust grant, a permission) fills the placeholders.
    let chosen = Item {
        grant: item
            .grant
            .or_else(|| hit.grant.and_then(|i| item.grants.get(i))),
        perm: item
            .perm
            .or_else(|| hit.perm.and_then(|i| item.perms.get(i))),
        ..*item
    };
    let item = &chosen;
    let mut hit = hit;
    if rule.message.contains("{subject}") {
        let globs = rule.matcher.as_ref().and_then(select::subject_globs);
        hit.fills
            .push(("subject", select::subject_text(item.grant, globs)));
    }
    let message = render(&rule.message, item, env, &hit, resource);
    let mut labels = Vec::new();
    let span = hit.span.unwrap_or(span);
    if let Some(st) = item.statement
        && st.span != span
    {
        labels.push((st.span, "in this statement".to_string()));
    }
    if let Some(p) = item
        .perm
        .filter(|_| item.perm.is_some() && hit.perm.is_none())
    {
        for o in &p.others {
            labels.push((o.span, o.label.clone()));
        }
    }
    for l in &hit.labels {
        if l.0 != span && !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let mut notes = Vec::new();
    if let Some(role) = item.role {
        notes.extend(role.notes.iter().cloned());
        notes.extend(role.metadata.iter().map(|(k, v)| format!("{k}: {v}")));
    }
    for u in &hit.undecided {
        if !notes.contains(u) {
            notes.push(u.clone());
        }
    }
    let subject = item
        .grant
        .map(|g| g.principal.value.render())
        .or_else(|| item.unknown.map(|(_, u)| u.expr.clone()))
        .or_else(|| {
            item.statement
                .and_then(|s| s.sid.as_ref().map(|s| s.render()))
        })
        .or_else(|| item.problem.map(|p| p.message.clone()))
        .or_else(|| item.notice.map(|n| n.message.clone()))
        .map(|s| escape_part(&s).into_owned())
        .unwrap_or_default();
    let mut subject = match item.perm {
        Some(p) if item.grant.is_some() || item.statement.is_none() => {
            format!("{subject}|{}", p.name)
        }
        _ => subject,
    };
    // The guards that decide a trust finding: the grant's statement conditions and the Deny
    // that restricts it; for other statements, their own conditions.
    let deciding = item.grant.map_or_else(
        || item.statement.map(conditions_key).unwrap_or_default(),
        |g| {
            let mut k = conditions_key(g.statement);
            if let Some((key, _)) = &g.restricted_by {
                k.push_str(";restricted-by ");
                k.push_str(key);
            }
            k
        },
    );
    if !deciding.is_empty() {
        subject.push_str("|c:");
        subject.push_str(&crate::baseline::digest(&deciding));
    }
    let root = item.role.map(|r| r.root.clone()).unwrap_or_default();
    out.push(Finding {
        rule: rule.id.clone(),
        title: rule.title.clone(),
        severity,
        message,
        span,
        labels,
        resource: resource.to_string(),
        role: item.role.and_then(|r| r.name.as_ref().map(|n| n.render())),
        notes,
        fingerprint: identity(&rule.id, &root, resource, &subject),
        root,
        subject,
    });
}

fn holds(b: bool) -> Option<Hit> {
    b.then(Hit::default)
}

/// Evaluates a predicate in three values: the combinators follow Kleene's logic, except that
/// `not` of an undecided predicate holds, with a note naming what could not be decided.
fn eval(p: &Pred, item: &Item, env: &Env) -> Verdict {
    match p {
        Pred::All(ps) => {
            let mut acc = Hit::default();
            let mut unknown = Vec::new();
            for p in ps {
                let h = match eval(p, item, env) {
                    Verdict::Fails => return Verdict::Fails,
                    Verdict::Undecided(why) => {
                        unknown.extend(why);
                        continue;
                    }
                    Verdict::Holds(h) => h,
                };
                if h.detail.is_some() {
                    acc.detail = h.detail;
                }
                if h.span.is_some() {
                    acc.span = h.span;
                }
                acc.labels.extend(h.labels);
                acc.grant = acc.grant.or(h.grant);
                acc.perm = acc.perm.or(h.perm);
                acc.action = acc.action.or(h.action);
                acc.undecided.extend(h.undecided);
            }
            if unknown.is_empty() {
                Verdict::Holds(acc)
            } else {
                Verdict::Undecided(unknown)
            }
        }
        Pred::Any(ps) => {
            let mut unknown = Vec::new();
            for p in ps {
                match eval(p, item, env) {
                    Verdict::Holds(h) => return Verdict::Holds(h),
                    Verdict::Undecided(why) => unknown.extend(why),
                    Verdict::Fails => {}
                }
            }
            if unknown.is_empty() {
                Verdict::Fails
            } else {
                Verdict::Undecided(unknown)
            }
        }
        Pred::Not(p) => match eval(p, item, env) {
            Verdict::Holds(_) => Verdict::Fails,
            Verdict::Fails => Verdict::Holds(Hit::default()),
            Verdict::Undecided(why) => Verdict::Holds(Hit {
                undecided: why,
                ..Hit::default()
            }),
        },
        Pred::Trust(inner) => {
            let mut unknown = Vec::new();
            for (i, g) in item.grants.iter().enumerate() {
                let sub = Item {
                    statement: Some(g.statement),
                    grant: Some(g),
                    perm: None,
                    ..*item
                };
                let h = match eval(inner, &sub, env) {
                    Verdict::Holds(h) => h,
                    Verdict::Undecided(why) => {
                        unknown.extend(why);
                        continue;
                    }
                    Verdict::Fails => continue,
                };
                let span = g.principal.value.span;
                let mut hit = Hit {
                    detail: h.detail,
                    grant: Some(i),
                    labels: h.labels,
                    undecided: h.undecided,
                    ..Hit::default()
                };
                if item.perm.is_some() {
                    hit.labels.push((
                        span,
                        format!("{} can assume the role", g.principal.value.render()),
                    ));
                } else {
                    hit.span = Some(span);
                }
                return Verdict::Holds(hit);
            }
            if unknown.is_empty() {
                Verdict::Fails
            } else {
                Verdict::Undecided(unknown)
            }
        }
        Pred::Can(_) | Pred::HasBoundary(_) | Pred::MaxSessionDurationOver(_) => {
            permission_selector(p, item)
        }
        sel if select::is_selector(sel) => {
            let cx = select::Ctx {
                role: item.role,
                grant: item.grant,
                trust: env.trust,
                paths: env.paths,
            };
            match select::eval(sel, &cx) {
                select::Sel::Holds => Verdict::Holds(Hit::default()),
                select::Sel::Fails => Verdict::Fails,
                select::Sel::Undecided(why) => undecided(pred_name(sel), why),
            }
        }
        leaf => Verdict::from(eval_leaf(leaf, item, env)),
    }
}

/// The permission selectors of `rules::can`, on the item's role.
fn permission_selector(p: &Pred, item: &Item) -> Verdict {
    use crate::rules::can::{self, Decision};
    let Some(role) = item.role else {
        return Verdict::Fails;
    };
    let (name, decision) = match p {
        Pred::Can(q) => {
            let query = can::Query {
                actions: &q.actions,
                resources: q.resources.as_deref(),
            };
            let d = match can::can(role, &query) {
                Decision::Holds(g) => Decision::Holds(Hit {
                    detail: Some(g.detail),
                    labels: vec![(g.span, g.label)],
                    undecided: g.notes,
                    action: Some(g.action),
                    ..Hit::default()
                }),
                Decision::Fails => Decision::Fails,
                Decision::Undecided(why) => Decision::Undecided(why),
            };
            ("can", d)
        }
        Pred::HasBoundary(want) => match can::has_boundary(role) {
            Decision::Holds(()) if *want => ("has_boundary", Decision::Holds(Hit::default())),
            Decision::Fails if !*want => ("has_boundary", Decision::Holds(Hit::default())),
            Decision::Undecided(why) => ("has_boundary", Decision::Undecided(why)),
            _ => ("has_boundary", Decision::Fails),
        },
        Pred::MaxSessionDurationOver(limit) => {
            let d = match can::max_session_over(role, *limit) {
                Decision::Holds(secs) => Decision::Holds(Hit {
                    detail: Some(format!("the maximum session duration is {secs} seconds")),
                    ..Hit::default()
                }),
                Decision::Fails => Decision::Fails,
                Decision::Undecided(why) => Decision::Undecided(why),
            };
            ("max_session_duration_over", d)
        }
        _ => return Verdict::Fails,
    };
    match decision {
        Decision::Holds(h) => Verdict::Holds(h),
        Decision::Fails => Verdict::Fails,
        Decision::Undecided(why) => undecided(name, why),
    }
}

/// A predicate that is always decided (today's predicates on known values).
fn eval_leaf(p: &Pred, item: &Item, env: &Env) -> Option<Hit> {
    match p {
        Pred::All(_)
        | Pred::Any(_)
        | Pred::Not(_)
        | Pred::Trust(_)
        | Pred::Can(_)
        | Pred::HasBoundary(_)
        | Pred::MaxSessionDurationOver(_)
        | Pred::RoleName(_)
        | Pred::RolePath(_)
        | Pred::RoleTag(_)
        | Pred::Address(_)
        | Pred::File(_)
        | Pred::Source(_)
        | Pred::Account(_)
        | Pred::PrincipalMatches(_)
        | Pred::Vendor(_)
        | Pred::SubjectsWithin(_)
        | Pred::AudiencesWithin(_) => eval(p, item, env).hit(),
        Pred::Principal(kinds) => {
            let g = item.grant?;
            let k = match &g.class {
                Class::Any => PrincipalKind::Any,
                Class::Account { account, .. } if account == "*" => PrincipalKind::Account,
                Class::Account { .. } => PrincipalKind::Account,
                Class::Service { .. } => PrincipalKind::Service,
                Class::Federated { .. } => PrincipalKind::Federated,
                Class::CanonicalUser => PrincipalKind::CanonicalUser,
                Class::Unresolved => PrincipalKind::Unresolved,
                Class::Invalid(_) => PrincipalKind::Invalid,
            };
            let detail = match &g.class {
                Class::Invalid(why) => Some(why.clone()),
                _ => None,
            };
            kinds.contains(&k).then_some(Hit {
                detail,
                ..Hit::default()
            })
        }
        Pred::Relation(rels) => {
            let g = item.grant?;
            let rel = grant_relation(g, env)?.0;
            let name = match rel {
                Relation::SelfAccount => RelationName::SelfAccount,
                Relation::Trusted => RelationName::Trusted,
                Relation::Vendor => RelationName::Vendor,
                Relation::Unknown => RelationName::Unknown,
                Relation::Any => RelationName::Any,
            };
            holds(rels.contains(&name))
        }
        Pred::Identity(kinds) => {
            let Class::Account { kind, .. } = &item.grant?.class else {
                return None;
            };
            let name = match kind {
                IdentityKind::Root => IdentityName::Root,
                IdentityKind::Role => IdentityName::Role,
                IdentityKind::User => IdentityName::User,
                IdentityKind::AssumedRole => IdentityName::AssumedRole,
                IdentityKind::FederatedUser => IdentityName::FederatedUser,
                IdentityKind::Group | IdentityKind::Other => return None,
            };
            holds(kinds.contains(&name))
        }
        Pred::AccountWildcard(b) => {
            let is = matches!(&item.grant?.class, Class::Account { account, .. } if account == "*");
            holds(is == *b)
        }
        Pred::ServiceWildcard(b) => {
            let is = matches!(&item.grant?.class, Class::Service { wildcard: true, .. });
            holds(is == *b)
        }
        Pred::Provider(names) => match &item.grant?.class {
            Class::Federated { provider, .. } => holds(names.iter().any(|n| n == provider.id())),
            _ => None,
        },
        Pred::Federation(weak) => {
            let g = item.grant?;
            let Class::Federated {
                provider, issuer, ..
            } = &g.class
            else {
                return None;
            };
            // A condition block that could not be resolved may pin the subject: the unresolved
            // rule reports it, not an open trust.
            if g.statement.condition_unknown.is_some() {
                return None;
            }
            federation::gaps(*provider, issuer, g.statement)
                .into_iter()
                .find(|gap| weak.iter().any(|w| w == gap.weakness.id()))
                .map(|gap| Hit {
                    detail: Some(gap.detail),
                    span: gap.span.filter(|s| *s != g.statement.span),
                    ..Hit::default()
                })
        }
        Pred::Restricted(b) => {
            let restricted = match item.grant {
                Some(g) => g.restricted_by.is_some(),
                None => {
                    let st = item.statement?;
                    let denies = item
                        .doc
                        .map(|d| {
                            d.statements
                                .iter()
                                .filter(|s| s.effect == Some(Effect::Deny))
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default();
                    conditions::identity_restriction(st, denies.into_iter()).is_some()
                }
            };
            // A condition block that could not be resolved may restrict: do not claim it
            // does not (the unresolved rule reports it).
            let unknown = item
                .statement
                .is_some_and(|s| s.condition_unknown.is_some());
            if unknown && !*b {
                return None;
            }
            holds(restricted == *b)
        }
        Pred::HasCondition(keys) => {
            let st = item.statement?;
            holds(
                keys.iter()
                    .any(|k| constraint(&st.conditions, k).restricts()),
            )
        }
        Pred::RequiresMfa(b) => holds(conditions::requires_mfa(item.statement?) == *b),
        Pred::AwsManaged(which) => {
            let arn = item.managed?.arn.get()?;
            let (_, rest) = arn.split_once(":iam::aws:policy/")?;
            if !arn.starts_with("arn:") {
                return None;
            }
            let exists = crate::iam::managed::lookup(arn).is_some();
            let state = if exists { "exists" } else { "missing" };
            if !which.iter().any(|w| w == state) {
                return None;
            }
            let name = rest.rsplit('/').next().unwrap_or(rest);
            let detail = if exists {
                name.to_string()
            } else {
                match crate::iam::managed::lookup_name(name) {
                    Some(p) => format!(
                        "the policy exists under another path: did you mean {}?",
                        p.arn()
                    ),
                    None => match crate::iam::managed::suggest(name) {
                        Some(n) => format!("did you mean {n}?"),
                        None => "no AWS managed policy has this name".to_string(),
                    },
                }
            };
            Some(Hit {
                detail: Some(detail),
                ..Hit::default()
            })
        }
        Pred::Organization(which) => {
            let orgs = conditions::organizations(item.statement?);
            if orgs.is_empty() {
                return None;
            }
            let untrusted: Vec<&String> = orgs
                .iter()
                .filter(|o| !env.trust.trusted_organization(o))
                .collect();
            let state = if untrusted.is_empty() {
                "trusted"
            } else {
                "untrusted"
            };
            which.iter().any(|w| w == state).then(|| Hit {
                detail: Some(if untrusted.is_empty() {
                    orgs.join(", ")
                } else {
                    untrusted
                        .iter()
                        .map(|o| o.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
                ..Hit::default()
            })
        }
        Pred::Effect(e) => {
            let st = item.statement?;
            holds(match e {
                EffectName::Allow => st.effect == Some(Effect::Allow),
                EffectName::Deny => st.effect == Some(Effect::Deny),
            })
        }
        Pred::Uses(elems) => {
            let st = item.statement?;
            holds(elems.iter().any(|e| match e.as_str() {
                "not_principal" => st.not_principal.is_some(),
                "not_action" => st.not_action.is_some(),
                "not_resource" => st.not_resource.is_some(),
                "principal" => st.principal.is_some(),
                "resource" => st.resource.is_some(),
                _ => false,
            }))
        }
        Pred::AllowsAction(actions) => {
            let st = item.statement?;
            actions
                .iter()
                .find(|a| trust::covers_action(st, a))
                .map(|a| Hit {
                    detail: Some(a.clone()),
                    ..Hit::default()
                })
        }
        Pred::NoticeKind(kinds) => {
            let n = item.notice?;
            holds(kinds.contains(&n.kind))
        }
        Pred::DocumentKind(k) => {
            let d = item.doc?;
            holds(match k {
                DocKindName::Trust => d.kind == DocumentKind::Trust,
                DocKindName::Identity => d.kind == DocumentKind::Identity,
            })
        }
        Pred::Problem(codes) => {
            let p = item.problem?;
            holds(codes.iter().any(|c| c == p.code.id()))
        }
        Pred::ConfusedDeputy(b) => {
            let g = item.grant?;
            let Class::Service { name, .. } = &g.class else {
                return None;
            };
            let Some(entry) = services::source_key_service(name) else {
                return holds(!*b);
            };
            let pinned = g.restricted_by.is_some()
                || services::SOURCE_KEYS
                    .iter()
                    .any(|k| constraint(&g.statement.conditions, k).restricts());
            if g.statement.condition_unknown.is_some() {
                return None;
            }
            (pinned != *b).then(|| Hit {
                detail: Some(entry.reference.to_string()),
                ..Hit::default()
            })
        }
        Pred::WildcardService(svcs) => {
            let st = item.statement?;
            if !st.is_allow() {
                return None;
            }
            let a = st.action.as_ref()?;
            // Every sensitive service wildcard of the statement is named; the finding points
            // at the first.
            // A permissions boundary that lets no write of the service through caps it.
            let boundary = item.role.and_then(permissions::Boundary::of);
            let capped = |svc: &str| {
                boundary.as_ref().is_some_and(|b| {
                    !crate::iam::actions::service_actions(svc)
                        .iter()
                        .any(|a| a.level.is_mutating() && b.allows(&a.full()))
                })
            };
            let found: Vec<&crate::iam::model::Str> = a
                .items
                .iter()
                .filter(|s| {
                    s.get()
                        .and_then(|t| t.split_once(':'))
                        .is_some_and(|(svc, name)| {
                            let whole = !name.is_empty() && name.bytes().all(|b| b == b'*');
                            let listed =
                                svcs.iter().any(|x| x == "*" || x.eq_ignore_ascii_case(svc));
                            whole && listed && !svc.contains(['*', '?']) && !capped(svc)
                        })
                })
                .collect();
            let first = found.first()?;
            Some(Hit {
                detail: Some(
                    found
                        .iter()
                        .map(|s| s.render())
                        .collect::<Vec<_>>()
                        .join("`, `"),
                ),
                span: Some(first.span),
                ..Hit::default()
            })
        }
        Pred::WildcardWrite(b) => {
            let st = item.statement?;
            let boundary = item.role.and_then(permissions::Boundary::of);
            let found = wildcard_write(st, boundary.as_ref());
            match (found, *b) {
                (Some(h), true) => Some(h),
                (None, false) => Some(Hit::default()),
                _ => None,
            }
        }
        Pred::DangerousAction(b) => {
            let st = item.statement?;
            let boundary = item.role.and_then(permissions::Boundary::of);
            match (dangerous_action(st, boundary.as_ref()), *b) {
                (Some(h), true) => Some(h),
                (None, false) => Some(Hit::default()),
                _ => None,
            }
        }
        Pred::ResourceWildcard(b) => {
            let st = item.statement?;
            holds(permissions::applies_to_all_resources(st) == *b)
        }
        Pred::Permission(kinds) => {
            let wanted = |p: &permissions::Hit| kinds.iter().any(|k| k == p.kind.id());
            if let Some(p) = item.perm {
                return wanted(p).then(|| Hit {
                    detail: Some(p.detail.clone()),
                    ..Hit::default()
                });
            }
            // The most severe grant first: the summary lists them in that order.
            let (i, p) = item.perms.iter().enumerate().find(|(_, p)| wanted(p))?;
            let mut labels = vec![(p.primary.span, p.primary.label.clone())];
            labels.extend(p.others.iter().map(|o| (o.span, o.label.clone())));
            Some(Hit {
                detail: Some(p.detail.clone()),
                labels,
                perm: Some(i),
                ..Hit::default()
            })
        }
    }
}

/// The first wildcard action pattern (not `*` alone) of an unconditioned Allow on all
/// resources that covers Write or Permissions-management actions, with a count.
fn wildcard_write(st: &Statement, boundary: Option<&permissions::Boundary>) -> Option<Hit> {
    use crate::iam::actions::{self, AccessLevel};
    if !st.is_allow()
        || !permissions::applies_to_all_resources(st)
        || crate::iam::conditions::limits_permission(st)
    {
        return None;
    }
    let a = st.action.as_ref()?;
    a.items.iter().find_map(|s| {
        let t = s.get()?;
        if !t.contains(['*', '?']) || t.bytes().all(|b| b == b'*') || t == "*:*" {
            return None;
        }
        // Actions a permissions boundary does not let through are not granted.
        let mutating = |a: &actions::Action| {
            matches!(
                a.level,
                AccessLevel::Write | AccessLevel::PermissionsManagement
            ) && boundary.is_none_or(|b| b.allows(&a.full()))
        };
        if !actions::any_match(t, mutating) {
            return None;
        }
        let (mut write, mut perms) = (0usize, 0usize);
        // The matched actions are named, permissions management first.
        let mut named: Vec<(AccessLevel, String)> = Vec::new();
        for a in actions::iter_matches(t) {
            if !mutating(&a) {
                continue;
            }
            match a.level {
                AccessLevel::Write => write += 1,
                AccessLevel::PermissionsManagement => perms += 1,
                _ => continue,
            }
            named.push((a.level, a.full()));
        }
        named.sort_by_key(|(l, _)| *l != AccessLevel::PermissionsManagement);
        const SHOWN: usize = 8;
        let mut list: Vec<&str> = named.iter().take(SHOWN).map(|(_, n)| n.as_str()).collect();
        let more = named.len().saturating_sub(SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        list.dedup();
        let list = format!("{}{more}", list.join(", "));
        let detail = match (write, perms) {
            (w, 0) => format!("`{t}` allows {w} write actions on all resources: {list}"),
            (0, p) => {
                format!("`{t}` allows {p} permissions-management actions on all resources: {list}")
            }
            (w, p) => format!(
                "`{t}` allows {w} write and {p} permissions-management actions on all resources: {list}"
            ),
        };
        Some(Hit {
            detail: Some(detail),
            span: Some(s.span),
            ..Hit::default()
        })
    })
}

/// The single dangerous actions an unconditioned Allow on all resources names, at the first.
fn dangerous_action(st: &Statement, boundary: Option<&permissions::Boundary>) -> Option<Hit> {
    if !st.is_allow()
        || !permissions::applies_to_all_resources(st)
        || crate::iam::conditions::limits_permission(st)
    {
        return None;
    }
    let mut found = crate::iam::dangerous::named_in(st);
    found.retain(|(_, d)| {
        boundary.is_none_or(|b| b.allows(d.action))
            && crate::iam::dangerous::reaches_everything(st, d.action)
    });
    let (first, _) = found.first()?;
    let detail = found
        .iter()
        .map(|(s, d)| format!("`{}` ({})", s.render(), d.why))
        .collect::<Vec<_>>()
        .join("; ");
    let labels = found
        .iter()
        .skip(1)
        .map(|(s, d)| (s.span, format!("{} on all resources", d.action)))
        .collect();
    Some(Hit {
        detail: Some(detail),
        span: Some(first.span),
        labels,
        ..Hit::default()
    })
}

/// The relation and label of a grant's account; `None` for principals without one.
fn grant_relation(g: &Grant, env: &Env) -> Option<(Relation, String)> {
    match &g.class {
        Class::Any => Some((Relation::Any, "any account".into())),
        Class::Account { account, .. } => Some(relate(account, env.trust)),
        Class::Federated {
            account: Some(a), ..
        } => Some(relate(a, env.trust)),
        _ => None,
    }
}

fn render(template: &str, item: &Item, env: &Env, hit: &Hit, resource: &str) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        out.push_str(&placeholder(&after[..j], item, env, hit, resource));
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

fn placeholder(name: &str, item: &Item, env: &Env, hit: &Hit, resource: &str) -> String {
    let role = item.role;
    if let Some((_, v)) = hit.fills.iter().find(|(n, _)| *n == name) {
        return v.clone();
    }
    match name {
        // The name, or the address when it is generated or unknown.
        "role_name" => role
            .map(|r| match r.name.as_ref().and_then(|n| n.get()) {
                Some(n) => n.to_string(),
                None => r.address.clone(),
            })
            .unwrap_or_else(|| resource.to_string()),
        "role" => role
            .map(|r| match &r.name {
                Some(n) if n.get().is_some() => format!("{} ({})", r.address, n.render()),
                _ => r.address.clone(),
            })
            .unwrap_or_else(|| resource.to_string()),
        "resource" => resource.to_string(),
        "detail" => hit.detail.clone().unwrap_or_default(),
        "principal" => item
            .grant
            .map(|g| g.principal.value.render())
            .unwrap_or_default(),
        "principal_type" => item
            .grant
            .map(|g| {
                if g.principal.type_name.is_empty() {
                    "\"*\"".to_string()
                } else {
                    g.principal.type_name.clone()
                }
            })
            .unwrap_or_default(),
        "account" => item
            .grant
            .and_then(|g| grant_relation(g, env))
            .map(|(_, label)| label)
            .unwrap_or_default(),
        "relation" => item
            .grant
            .and_then(|g| grant_relation(g, env))
            .map(|(r, _)| r.id().to_string())
            .unwrap_or_default(),
        "provider" => match item.grant.map(|g| &g.class) {
            Some(Class::Federated { provider, .. }) => provider.label().to_string(),
            _ => String::new(),
        },
        "restriction" => item
            .grant
            .and_then(|g| g.restricted_by.as_ref().map(|(k, _)| k.clone()))
            .unwrap_or_default(),
        "sid" => item
            .statement
            .and_then(|s| s.sid.as_ref().map(|s| s.render()))
            .unwrap_or_else(|| "(no Sid)".into()),
        "statement" => item
            .statement
            .and_then(|s| s.sid.as_ref().map(|s| format!("statement {}", s.render())))
            .unwrap_or_else(|| "a statement".into()),
        "expr" => item
            .unknown
            .map(|(_, u)| u.expr.clone())
            .unwrap_or_default(),
        "reason" => item
            .unknown
            .map(|(_, u)| u.reason.clone())
            .unwrap_or_default(),
        "message" => item
            .problem
            .map(|p| p.message.clone())
            .or_else(|| item.notice.map(|n| n.message.clone()))
            .unwrap_or_default(),
        "kind" => item.notice.map(|n| n.kind.clone()).unwrap_or_default(),
        "policy" => item.managed.map(|m| m.arn.render()).unwrap_or_default(),
        "permission" => item.perm.map(|p| p.name.clone()).unwrap_or_default(),
        "action" => hit.action.clone().unwrap_or_default(),
        "document" => match item.doc.map(|d| d.kind) {
            Some(DocumentKind::Trust) => "trust policy".into(),
            Some(DocumentKind::Identity) => "permission policy".into(),
            None => String::new(),
        },
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::identity;

    #[test]
    fn no_value_shifts_the_separators_of_an_identity() {
        // A directory named `envs|aws_iam_role.a` must not make a finding in it equal one on
        // `aws_iam_role.a|...` in `envs`.
        assert_ne!(
            identity("IAM001", "envs|aws_iam_role.a", "b", "*"),
            identity("IAM001", "envs", "aws_iam_role.a|b", "*")
        );
        assert_eq!(
            identity("IAM001", "a%7Cb", "c", "*"),
            "IAM001|a%257Cb|c|*",
            "the escape character is escaped too"
        );
        // Identities of ordinary values are as they were, so existing baselines still match.
        assert_eq!(
            identity("IAM001", ".", "aws_iam_role.x[\"a\"]", "*"),
            "IAM001|.|aws_iam_role.x[\"a\"]|*"
        );
    }
}
