//! From evaluated module instances to the IAM model: every `aws_iam_role` instance becomes a
//! [`Role`] (trust policy, inline policies, managed policy ARNs, boundary, session duration), and
//! the resources that attach things to roles (`aws_iam_role_policy`, the attachment resources,
//! the exclusive-management resources, instance profiles) are linked to the roles they name, by
//! reference or by literal role name, within one root module and its children. `aws_iam_policy`
//! documents attached by ARN or reference become [`AttachedPolicy`]s; other ARNs stay
//! [`ManagedPolicyRef`]s. Module calls whose source is not on disk become notices.

use crate::iam::model::{
    AttachedPolicy, DocumentKind, ManagedPolicyRef, PolicyDocument, Problem, ProblemCode, Role,
    RoleState, SourceKind, Str,
};
use crate::iam::policy::parse_document;
use crate::source::Notice;
use crate::span::{FileId, Span};
use crate::value::{Unknown, Val, ValKind};

use super::eval::{InstKey, Instance, Scope, as_string};
use super::parse::{Body, Resource};
use super::policy_document::{BlockItem, each_block};

/// What something attaches to roles.
enum LinkWhat {
    Inline(Box<AttachedPolicy>),
    Arn(Val),
    Note(String),
}

struct Link {
    origin: String,
    refs: Vec<Val>,
    what: LinkWhat,
    /// The files the link's evaluation read (added to the roles it attaches to).
    files: Vec<FileId>,
    /// Whether the linking resource is created (see [`RoleState`]).
    state: RoleState,
    /// The module instance each reference goes through, if any (see [`ref_instances`]); one
    /// entry stands for every reference.
    within: Vec<Option<String>>,
}

struct CodePolicy {
    address: String,
    arn: Val,
    policy: AttachedPolicy,
}

/// Roles and links gathered over an instance tree.
#[derive(Default)]
pub struct Collected {
    roles: Vec<(Role, Val)>,
    links: Vec<Link>,
    policies: Vec<CodePolicy>,
    /// Managed policy ARNs written on roles (role index, origin, arn).
    role_arns: Vec<(usize, String, Val)>,
}

impl Collected {
    /// Adds a role made from a module's interface or inputs, with its managed policy ARNs.
    fn add_modelled(&mut self, m: Option<super::registry::Modelled>) {
        let Some(m) = m else { return };
        let idx = self.roles.len();
        for (origin, arn) in m.arns {
            self.role_arns.push((idx, origin, arn));
        }
        let obj = match &m.role.name {
            Some(n) => match &n.value {
                Ok(s) => Val::new(
                    ValKind::Map(vec![(
                        crate::value::Key {
                            name: "name".into(),
                            span: n.span,
                        },
                        Val::str(s.clone(), n.span),
                    )]),
                    n.span,
                ),
                Err(_) => Val::new(ValKind::Null, m.role.span),
            },
            None => Val::new(ValKind::Null, m.role.span),
        };
        self.roles.push((m.role, obj));
    }
}

/// A policy document from an attribute value: a JSON string (with spans recovered), an
/// object, or unknown.
pub fn policy_from(
    inst: &Instance,
    v: &Val,
    kind: DocumentKind,
) -> (Option<PolicyDocument>, Option<(Span, Unknown)>) {
    match &v.kind {
        ValKind::Unknown(u) => (None, Some((v.span, u.clone()))),
        ValKind::Null => (None, None),
        ValKind::Map(_) => (Some(parse_document(v, kind)), None),
        _ => match super::functions::decode(inst, v) {
            Ok(mut doc) => {
                let marked = inst.sh.marked.borrow();
                if !marked.is_empty() {
                    super::eval::restore_markers(&mut doc, &marked);
                }
                (Some(parse_document(&doc, kind)), None)
            }
            Err(e) => (
                Some(PolicyDocument {
                    kind,
                    span: v.span,
                    version: None,
                    statements: Vec::new(),
                    problems: vec![Problem {
                        span: v.span,
                        code: ProblemCode::NotADocument,
                        message: format!("the policy is not valid JSON: {e}"),
                    }],
                    unknowns: Vec::new(),
                }),
                None,
            ),
        },
    }
}

fn opt_str(inst: &Instance, body: &Body, name: &str, scope: &Scope) -> Option<Str> {
    let v = inst.eval_attr(body, name, scope)?;
    if matches!(v.kind, ValKind::Null) {
        return None;
    }
    Some(Str::from_val(&v))
}

/// An attribute that is null only because a root module variable keeps its default: its
/// value in the probe instance (where such defaults are unknown, marked with the variable), so
/// that rules see a value the module's callers may set, not a decided absence.
fn null_by_default(inst: &Instance, body: &Body, name: &str, scope: &Scope) -> Option<Str> {
    let v = inst.probe.as_ref()?.eval_attr(body, name, scope)?;
    let s = Str::from_val(&v);
    s.unknown()
        .is_some_and(|u| super::eval::default_variable(&u.reason).is_some())
        .then_some(s)
}

fn list_of(v: Val) -> Vec<Val> {
    match v.kind {
        ValKind::List(items) => items,
        ValKind::Null => Vec::new(),
        _ => vec![v],
    }
}

/// Walks an instance and its children, collecting roles and links.
pub fn walk(inst: &Instance, out: &mut Collected) {
    walk_from(inst, &[], out);
}

/// The files an instance's evaluation read so far: its module's and its ancestors' files, and
/// the `file()` targets read in it and above it.
fn instance_files(inst: &Instance, above: &[FileId]) -> Vec<FileId> {
    let mut files: Vec<FileId> = inst.lineage_files.clone();
    files.extend_from_slice(above);
    files.extend(inst.reads.borrow().iter().copied());
    files.sort_unstable();
    files.dedup();
    files
}

/// [`walk`], with the `file()` targets read by the instances above.
fn walk_from(inst: &Instance, above: &[FileId], out: &mut Collected) {
    for res in inst.def.resources.iter().filter(|r| !r.data) {
        if !matches!(
            res.ty.as_str(),
            "aws_iam_role"
                | "aws_iam_role_policy"
                | "aws_iam_role_policy_attachment"
                | "aws_iam_policy_attachment"
                | "aws_iam_role_policies_exclusive"
                | "aws_iam_role_policy_attachments_exclusive"
                | "aws_iam_instance_profile"
                | "aws_iam_policy"
        ) {
            continue;
        }
        let is_count = res.body.attr("count").is_some();
        let exp = inst.expansion(&res.body, &res.address());
        // A template (unknown instances, or switched off only by a default) or not created
        // (switched off by a value the user supplied): every role says why.
        let state = super::eval::combine_state(&inst.state, exp.state(is_count));
        let template_note = state.reason().map(str::to_string);
        for (key, bound) in exp.instances(is_count) {
            let empty = Scope::empty();
            let scope = match &bound {
                Some((n, v)) => empty.with(n, v.clone()),
                None => Scope::empty(),
            };
            let (roles, links) = (out.roles.len(), out.links.len());
            one_resource(inst, res, &key, &scope, template_note.clone(), out);
            let files = instance_files(inst, above);
            for (role, _) in out.roles.iter_mut().skip(roles) {
                role.files.clone_from(&files);
                role.state = state.clone();
                // Terraform evaluates nothing of an instance that is not created: what its
                // trust reads (`data.x[0].json` of a data source switched off alike) does not
                // exist, so its errors are not the role's unknowns.
                if matches!(state, RoleState::NotCreated(_)) {
                    role.trust = None;
                    role.trust_unknown = None;
                }
            }
            if out.links.len() > links {
                let within = ref_instances(inst, &res.body, &scope);
                for link in out.links.iter_mut().skip(links) {
                    link.files.clone_from(&files);
                    link.state = state.clone();
                    link.within.clone_from(&within);
                }
            }
        }
    }
    for call in &inst.def.modules {
        let is_count = call.body.attr("count").is_some();
        let exp = inst.expansion(&call.body, &format!("module.{}", call.name));
        let mut noticed = false;
        for (key, bound) in exp.instances(is_count) {
            match inst.child(call, &key) {
                Ok(child) => {
                    let mine: Vec<FileId> = above
                        .iter()
                        .copied()
                        .chain(inst.reads.borrow().iter().copied())
                        .collect();
                    walk_from(&child, &mine, out)
                }
                Err(u) => {
                    // A call that closes a cycle is reported as an error where it is made.
                    if u.as_unknown()
                        .is_some_and(|x| x.reason.ends_with(super::module::CYCLE))
                    {
                        continue;
                    }
                    // Not on disk: the module's described interface, else its inputs alone.
                    let why = match super::registry::model(inst, call, &key, bound.as_ref()) {
                        super::registry::Model::Modelled(roles) => {
                            for m in roles {
                                out.add_modelled(Some(m));
                            }
                            continue;
                        }
                        super::registry::Model::Unmodelled(why) => why,
                    };
                    let read = u.as_unknown().map_or(String::new(), |x| x.reason.clone());
                    let m = super::registry::inputs_only(inst, call, &key, bound.as_ref(), &read);
                    if !noticed {
                        noticed = true;
                        module_notice(inst, call, &u, why.as_deref(), m.is_some());
                    }
                    out.add_modelled(m);
                }
            }
        }
    }
}

/// The "module-not-found" notice, listing the inputs that look like IAM principals.
fn module_notice(
    inst: &Instance,
    call: &super::parse::ModuleCall,
    u: &Val,
    unmodelled: Option<&str>,
    inputs_checked: bool,
) {
    let addr = format!("{}module.{}", inst.prefix, call.name);
    let why = u.as_unknown().map_or(String::new(), |u| u.reason.clone());
    let empty = Scope::empty();
    let mut parts = Vec::new();
    for a in &call.body.attrs {
        if matches!(
            a.name.as_str(),
            "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
        ) {
            continue;
        }
        let lname = a.name.to_ascii_lowercase();
        let by_name = [
            "role",
            "arn",
            "account",
            "principal",
            "trusted",
            "oidc",
            "subject",
            "repo",
        ]
        .iter()
        .any(|w| lname.contains(w));
        let v = inst.eval(&a.expr, &empty);
        let by_value = looks_like_principal(&v);
        if by_name || by_value {
            let shown = match &v.kind {
                ValKind::Unknown(_) => inst
                    .sh
                    .text(a.span)
                    .split_once('=')
                    .map_or(String::new(), |(_, r)| r.trim().to_string()),
                _ => super::functions::encode(&v),
            };
            parts.push(format!("{} = {}", a.name, shown));
        }
    }
    let source = call
        .body
        .attr("source")
        .and_then(|a| super::parse::literal_string(&a.expr))
        .unwrap_or_default();
    let detail = why
        .strip_prefix(&format!("{addr} ("))
        .and_then(|r| r.strip_suffix(") was not read"))
        .unwrap_or(&why)
        .to_string();
    let detail = if detail.starts_with("source ") {
        detail
    } else {
        format!("source {source}, {detail}")
    };
    let message = if parts.is_empty() {
        format!("{addr} ({detail}): its roles were not checked; run terraform init")
    } else if inputs_checked {
        format!(
            "{addr} ({detail}) receives {}: these inputs were checked on their own, the roles the module makes were not; run terraform init",
            parts.join(", ")
        )
    } else {
        format!(
            "{addr} ({detail}) receives {}: its trust was not checked; run terraform init",
            parts.join(", ")
        )
    };
    let message = match unmodelled {
        Some(why) => format!("{message} (not modelled: {why})"),
        None => message,
    };
    let span = call.body.attr("source").map_or(call.span, |a| a.span);
    inst.sh.notices.borrow_mut().push(Notice {
        kind: "module-not-found".into(),
        span,
        address: addr,
        message,
    });
}

/// True when a trust policy names no principal at all (no statement, or statements whose
/// principal lists are empty): AWS rejects it, and it is usually a list left empty.
fn admits_nobody(d: &crate::iam::model::PolicyDocument) -> bool {
    d.unknowns.is_empty()
        && d.statements.iter().all(|st| {
            st.principal.as_ref().is_none_or(|p| p.entries.is_empty()) && st.not_principal.is_none()
        })
}

/// An empty trust policy that is empty only because of a variable's default (evaluated again
/// in the probe instance, where defaults are unknown, it is no longer empty) is unresolved,
/// with that cause: the module's users are expected to fill the list.
fn empty_by_default(
    inst: &Instance,
    body: &super::parse::Body,
    scope: &Scope,
    span: Span,
) -> Option<(Span, crate::value::Unknown)> {
    let probe = inst.probe.as_ref()?;
    let v = probe.eval_policy_attr(body, "assume_role_policy", scope)?;
    let (doc, unknown) = policy_from(probe, &v, DocumentKind::Trust);
    let mut reasons = unknown
        .map(|(_, u)| u.reason)
        .into_iter()
        .chain(doc.iter().flat_map(|d| {
            d.unknowns.iter().map(|(_, u)| u.reason.clone()).chain(
                d.statements
                    .iter()
                    .flat_map(|st| st.principal.iter().flat_map(|p| p.entries.iter()))
                    .filter_map(|p| p.value.unknown().map(|u| u.reason.clone())),
            )
        }));
    let var = reasons.find_map(|r| super::eval::default_variable(&r))?;
    Some((
        span,
        crate::value::Unknown::new(
            "assume_role_policy",
            format!(
                "the trust policy names no principal only because {var} keeps its empty default; the callers of this module fill it"
            ),
        ),
    ))
}

/// The role's `tags`. The AWS provider's `default_tags` (a provider block in a file of the role's
/// module or of the modules above it) add tags that iamlint does not read: a tag the resource
/// does not set is then unknown (the resource's own tags win over the defaults).
fn role_tags(inst: &Instance, body: &super::parse::Body, scope: &Scope) -> crate::iam::model::Tags {
    let mut tags = crate::iam::model::Tags::from_map(inst.eval_attr(body, "tags", scope).as_ref());
    if tags.unknown.is_none()
        && inst.lineage_files.iter().any(|id| {
            inst.sh
                .ctx
                .sources
                .get(*id)
                .is_some_and(|f| f.text.contains("default_tags") && f.text.contains("provider"))
        })
    {
        tags.unknown = Some(crate::value::Unknown::new(
            "provider \"aws\" default_tags",
            "the AWS provider's default_tags may add it, and iamlint does not read provider blocks",
        ));
    }
    tags
}

fn looks_like_principal(v: &Val) -> bool {
    match &v.kind {
        ValKind::Str(s) => {
            s.starts_with("arn:") || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        }
        ValKind::Number(s) => s.len() == 12,
        ValKind::List(items) => items.iter().any(looks_like_principal),
        ValKind::Map(entries) => entries.iter().any(|(_, v)| looks_like_principal(v)),
        _ => false,
    }
}

fn one_resource(
    inst: &Instance,
    res: &Resource,
    key: &InstKey,
    scope: &Scope,
    note: Option<String>,
    out: &mut Collected,
) {
    let address = format!("{}{}{}", inst.prefix, res.address(), key.suffix());
    let body = &res.body;
    match res.ty.as_str() {
        "aws_iam_role" => {
            let given = opt_str(inst, body, "name", scope);
            let name_is_prefix = given.is_none() && body.attr("name_prefix").is_some();
            let name = given.or_else(|| opt_str(inst, body, "name_prefix", scope));
            let mut role = Role {
                address: address.clone(),
                source: SourceKind::Terraform,
                span: res.span,
                resource_type: res.ty.clone(),
                name,
                path: opt_str(inst, body, "path", scope),
                trust: None,
                trust_span: None,
                trust_unknown: None,
                inline_policies: Vec::new(),
                managed_policies: Vec::new(),
                permissions_boundary: opt_str(inst, body, "permissions_boundary", scope)
                    .or_else(|| null_by_default(inst, body, "permissions_boundary", scope)),
                boundary_policy: None,
                max_session_duration: opt_str(inst, body, "max_session_duration", scope),
                name_is_prefix,
                tags: role_tags(inst, body, scope),
                notes: note.into_iter().collect(),
                metadata: Vec::new(),
                root: String::new(),
                state: Default::default(),
                files: Vec::new(),
            };
            if let Some(a) = body.attr("assume_role_policy") {
                let v = inst
                    .eval_policy_attr(body, "assume_role_policy", scope)
                    .unwrap_or_else(|| inst.eval(&a.expr, scope));
                role.trust_span = Some(a.span);
                let (doc, unknown) = policy_from(inst, &v, DocumentKind::Trust);
                role.trust_unknown = unknown.or_else(|| {
                    doc.as_ref()
                        .filter(|d| admits_nobody(d))
                        .and_then(|_| empty_by_default(inst, body, scope, a.span))
                });
                role.trust = doc;
            }
            each_block(inst, body, "inline_policy", scope, &mut |item| match item {
                BlockItem::Block(b, sc, sp) => {
                    let pv = inst.eval_policy_attr(b, "policy", sc);
                    let (document, unknown) = match &pv {
                        Some(v) => policy_from(inst, v, DocumentKind::Identity),
                        None => (None, None),
                    };
                    if pv.is_none() && b.attr("name").is_none() {
                        return; // `inline_policy {}` removes inline policies
                    }
                    role.inline_policies.push(AttachedPolicy {
                        origin: "inline".into(),
                        name: opt_str(inst, b, "name", sc),
                        span: sp,
                        document,
                        unknown,
                    });
                }
                BlockItem::Unknown(u) => role.inline_policies.push(AttachedPolicy {
                    origin: "inline".into(),
                    name: None,
                    span: u.span,
                    document: None,
                    unknown: u.as_unknown().map(|x| (u.span, x.clone())),
                }),
            });
            let obj = inst.instance_object(res, key, scope);
            let idx = out.roles.len();
            if let Some(arns) = inst.eval_attr(body, "managed_policy_arns", scope) {
                for arn in list_of(arns) {
                    out.role_arns
                        .push((idx, format!("{address}.managed_policy_arns"), arn));
                }
            }
            out.roles.push((role, obj));
        }
        "aws_iam_role_policy" => {
            let refs = inst.eval_attr(body, "role", scope).into_iter().collect();
            let pv = inst.eval_policy_attr(body, "policy", scope);
            let (document, unknown) = match &pv {
                Some(v) => policy_from(inst, v, DocumentKind::Identity),
                None => (None, None),
            };
            out.links.push(Link {
                origin: address.clone(),
                refs,
                files: Vec::new(),
                state: RoleState::Checked,
                within: Vec::new(),
                what: LinkWhat::Inline(Box::new(AttachedPolicy {
                    origin: address,
                    name: opt_str(inst, body, "name", scope),
                    span: res.span,
                    document,
                    unknown,
                })),
            });
        }
        "aws_iam_role_policy_attachment" => {
            let refs = inst.eval_attr(body, "role", scope).into_iter().collect();
            if let Some(arn) = inst.eval_attr(body, "policy_arn", scope) {
                out.links.push(Link {
                    origin: address,
                    refs,
                    what: LinkWhat::Arn(arn),
                    files: Vec::new(),
                    state: RoleState::Checked,
                    within: Vec::new(),
                });
            }
        }
        "aws_iam_policy_attachment" => {
            let refs = inst
                .eval_attr(body, "roles", scope)
                .map(list_of)
                .unwrap_or_default();
            if let Some(arn) = inst.eval_attr(body, "policy_arn", scope) {
                out.links.push(Link {
                    origin: address,
                    refs,
                    what: LinkWhat::Arn(arn),
                    files: Vec::new(),
                    state: RoleState::Checked,
                    within: Vec::new(),
                });
            }
        }
        "aws_iam_role_policy_attachments_exclusive" => {
            let refs: Vec<Val> = inst
                .eval_attr(body, "role_name", scope)
                .into_iter()
                .collect();
            for arn in inst
                .eval_attr(body, "policy_arns", scope)
                .map(list_of)
                .unwrap_or_default()
            {
                out.links.push(Link {
                    origin: address.clone(),
                    refs: refs.clone(),
                    what: LinkWhat::Arn(arn),
                    files: Vec::new(),
                    state: RoleState::Checked,
                    within: Vec::new(),
                });
            }
            out.links.push(Link {
                origin: address.clone(),
                refs,
                files: Vec::new(),
                state: RoleState::Checked,
                within: Vec::new(),
                what: LinkWhat::Note(format!(
                    "its managed policy attachments are managed exclusively by {address}"
                )),
            });
        }
        "aws_iam_role_policies_exclusive" => {
            let refs = inst
                .eval_attr(body, "role_name", scope)
                .into_iter()
                .collect();
            out.links.push(Link {
                origin: address.clone(),
                refs,
                files: Vec::new(),
                state: RoleState::Checked,
                within: Vec::new(),
                what: LinkWhat::Note(format!(
                    "its inline policies are managed exclusively by {address}"
                )),
            });
        }
        "aws_iam_instance_profile" => {
            let refs = inst.eval_attr(body, "role", scope).into_iter().collect();
            out.links.push(Link {
                origin: address.clone(),
                refs,
                files: Vec::new(),
                state: RoleState::Checked,
                within: Vec::new(),
                what: LinkWhat::Note(format!(
                    "used by the instance profile {address} (EC2 instances can assume it)"
                )),
            });
        }
        "aws_iam_policy" => {
            let obj = inst.instance_object(res, key, scope);
            let arn = obj
                .get("arn")
                .cloned()
                .unwrap_or_else(|| Val::new(ValKind::Null, res.span));
            let pv = inst.eval_policy_attr(body, "policy", scope);
            let (document, unknown) = match &pv {
                Some(v) => policy_from(inst, v, DocumentKind::Identity),
                None => (None, None),
            };
            out.policies.push(CodePolicy {
                address: address.clone(),
                arn,
                policy: AttachedPolicy {
                    origin: address,
                    name: opt_str(inst, body, "name", scope),
                    span: res.span,
                    document,
                    unknown,
                },
            });
        }
        _ => {}
    }
}

/// The address a reference's unknown stands for (`aws_iam_role.x` from `aws_iam_role.x.name`).
fn ref_address(u: &Unknown) -> Option<&str> {
    let (addr, attr) = u.expr.rsplit_once('.')?;
    matches!(attr, "name" | "id" | "arn" | "unique_id").then_some(addr)
}

/// The role a "known only after apply" unknown stands for, by its full address
/// (`module.admin.aws_iam_role.this` from `module.admin.aws_iam_role.this.name is known only
/// after apply`): a computed name reached through a module output.
fn after_apply_address(u: &Unknown) -> Option<&str> {
    let full = u.reason.strip_suffix(" is known only after apply")?;
    let (addr, attr) = full.rsplit_once('.')?;
    matches!(attr, "name" | "id" | "arn" | "unique_id").then_some(addr)
}

/// Whether `address` is in the module instance `prefix` (`module.a` also covers
/// `module.a[0].` and `module.a["x"].`; `module.a[0].` only that instance).
fn in_instance(address: &str, prefix: &str) -> bool {
    match address.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('.') || rest.starts_with('.') || rest.starts_with('['),
        None => false,
    }
}

/// The module instance each role reference of a link goes through (`module.admin.role_name`
/// → `module.admin.`, `module.team["a"].arn` → `module.team["a"].`), by the expression as
/// written: `role` and `role_name` give one, a `roles = [...]` list one per element.
fn ref_instances(inst: &Instance, body: &Body, scope: &Scope) -> Vec<Option<String>> {
    use hcl::edit::expr::{Expression, TraversalOperator};
    let Some(a) = ["role", "role_name", "roles"]
        .iter()
        .find_map(|n| body.attr(n))
    else {
        return Vec::new();
    };
    let super::parse::Expr::Hcl { expr, file } = &a.expr else {
        return Vec::new();
    };
    let one = |e: &Expression| -> Option<String> {
        let Expression::Traversal(t) = e else {
            return None;
        };
        if !matches!(&t.expr, Expression::Variable(v) if v.as_str() == "module") {
            return None;
        }
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let Some(TraversalOperator::GetAttr(name)) = ops.first() else {
            return None;
        };
        let call = inst.def.module_call(name.as_str())?;
        let many = call.body.attr("count").is_some() || call.body.attr("for_each").is_some();
        let base = format!("{}module.{}", inst.prefix, name.as_str());
        match ops.get(1) {
            Some(TraversalOperator::Index(ie)) if many => {
                let k = inst.eval_hcl(ie, *file, 0, scope);
                let key = match (&k.kind, as_string(&k)) {
                    (ValKind::Number(_), Some(n)) => n.parse::<usize>().ok().map(InstKey::Int),
                    (ValKind::Str(_), Some(s)) => Some(InstKey::Str(s)),
                    _ => None,
                };
                Some(match key {
                    Some(k) => format!("{base}{}.", k.suffix()),
                    None => base,
                })
            }
            _ if many => Some(base),
            _ => Some(format!("{base}.")),
        }
    };
    match expr {
        Expression::Array(items) => items.iter().map(one).collect(),
        e => vec![one(e)],
    }
}

/// Attaches the links to the roles and returns the roles.
pub fn link(c: Collected) -> Vec<Role> {
    let Collected {
        mut roles,
        links,
        policies,
        role_arns,
    } = c;
    // The module instance part of an address (`module.a["x"].`), to prefer roles of the link's
    // own instance when a literal name matches roles in several (the same name in two accounts).
    let instance_of = |addr: &str| -> String {
        match addr.rfind("aws_") {
            Some(i) => addr[..i].to_string(),
            None => String::new(),
        }
    };
    // `own` is the link's module instance prefix: a reference written there is to a role of
    // that instance; `within` limits the roles to a module instance the reference goes through
    // (`module.admin.role_name`).
    let targets = |r: &Val, own: &str, within: Option<&str>, roles: &[(Role, Val)]| -> Vec<usize> {
        let mut out = Vec::new();
        for (i, (role, obj)) in roles.iter().enumerate() {
            if let Some(w) = within
                && !in_instance(&role.address, w)
            {
                continue;
            }
            let hit = match &r.kind {
                ValKind::Str(s) => {
                    obj.get("name").and_then(as_string).as_deref() == Some(s.as_str())
                        || obj.get("arn").and_then(as_string).as_deref() == Some(s.as_str())
                }
                // A reference to the role's name, id or ARN that is unknown (the name is
                // built from an unknown) is still a reference to this role: the value is the
                // role's own attribute, with its span.
                ValKind::Unknown(u) => {
                    // The expression as written in the link's instance (`aws_iam_role.x`
                    // in module.a is module.a.aws_iam_role.x), or a full address that a
                    // computed attribute carries.
                    ref_address(u).is_some_and(|a| {
                        format!("{own}{a}") == role.address
                            || (a.starts_with(own) && a == role.address)
                    }) || after_apply_address(u) == Some(role.address.as_str())
                        || ["name", "id", "arn", "unique_id"].iter().any(|k| {
                            obj.get(k)
                                .is_some_and(|v| v.span == r.span && v.as_unknown() == Some(u))
                        })
                }
                _ => false,
            };
            if hit {
                out.push(i);
            }
        }
        out
    };
    let resolve_arn = |origin: &str, arn: &Val| -> Result<AttachedPolicy, ManagedPolicyRef> {
        for p in &policies {
            let hit = match (&arn.kind, &p.arn.kind) {
                (ValKind::Str(a), ValKind::Str(b)) => a == b,
                (ValKind::Unknown(u), _) => ref_address(u) == Some(p.address.as_str()),
                _ => false,
            };
            if hit {
                return Ok(p.policy.clone());
            }
        }
        Err(ManagedPolicyRef {
            origin: origin.to_string(),
            arn: Str::from_val(arn),
        })
    };
    // A permissions boundary that is a policy of the configuration: its document caps the role.
    for (role, _) in roles.iter_mut() {
        let Some(b) = &role.permissions_boundary else {
            continue;
        };
        role.boundary_policy = policies
            .iter()
            .find(|p| match (&b.value, &p.arn.kind) {
                (Ok(a), ValKind::Str(s)) => a == s,
                (Err(u), _) => ref_address(u) == Some(p.address.as_str()),
                _ => false,
            })
            .map(|p| p.policy.clone());
    }
    for (idx, origin, arn) in role_arns {
        let r = resolve_arn(&origin, &arn);
        if let Some((role, _)) = roles.get_mut(idx) {
            match r {
                Ok(p) => role.inline_policies.push(p),
                Err(m) => role.managed_policies.push(m),
            }
        }
    }
    let mut external: Vec<(String, Role)> = Vec::new();
    for link in links {
        // A policy that is not created attaches nothing.
        if matches!(link.state, RoleState::NotCreated(_)) {
            continue;
        }
        let own = instance_of(&link.origin);
        let mut hits: Vec<usize> = link
            .refs
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                let within = match link.within.as_slice() {
                    [one] => one.as_deref(),
                    many => many.get(i).and_then(|w| w.as_deref()),
                };
                targets(r, &own, within, &roles)
            })
            .collect();
        hits.sort_unstable();
        hits.dedup();
        if hits.is_empty() {
            // A role named by a literal that no role of the configuration has, or by a
            // reference to a role the configuration does not declare (`aws_iam_role.x.name`
            // without `x`, an input without a value): it is defined elsewhere. Keep what is
            // attached to it, so that the permissions are checked.
            for r in &link.refs {
                let (name, note) = match &r.kind {
                    ValKind::Str(n) if !n.is_empty() && !n.starts_with("arn:") => (
                        n.clone(),
                        format!(
                            "role {n} is not defined in this configuration; only the policies attached to it here are checked"
                        ),
                    ),
                    ValKind::Unknown(u) => {
                        let what = ref_address(u).unwrap_or(u.expr.as_str());
                        let name = format!("{}{what}", instance_of(&link.origin));
                        let reason = u.reason.strip_prefix(super::eval::ERR).unwrap_or(&u.reason);
                        let note = format!(
                            "the role {name} is not in this configuration ({reason}); only the policies attached to it here are checked"
                        );
                        (name, note)
                    }
                    _ => continue,
                };
                let i = match external.iter().position(|(n, _)| *n == name) {
                    Some(i) => i,
                    None => {
                        let mut role = external_role(&name, r.span, note);
                        role.state = link.state.clone();
                        external.push((name.clone(), role));
                        external.len() - 1
                    }
                };
                if let Some((_, role)) = external.get_mut(i)
                    && link.state == RoleState::Checked
                {
                    role.state = RoleState::Checked;
                }
                if let Some((_, role)) = external.get_mut(i) {
                    attach(role, &link, &resolve_arn);
                }
            }
            continue;
        }
        if hits.len() > 1 {
            let same: Vec<usize> = hits
                .iter()
                .copied()
                .filter(|i| {
                    roles
                        .get(*i)
                        .is_some_and(|(r, _)| instance_of(&r.address) == own)
                })
                .collect();
            if !same.is_empty() {
                hits = same;
            }
        }
        // Several roles of different module instances have the name the link gives: it is
        // attached to each, and each says that the link is a guess.
        let guess = (hits.len() > 1).then(|| {
            let names: Vec<String> = link
                .refs
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect();
            let addrs: Vec<&str> = hits
                .iter()
                .filter_map(|i| roles.get(*i).map(|(r, _)| r.address.as_str()))
                .collect();
            format!(
                "{} is linked by the role name {} only, which {} roles have ({}): iamlint guessed that it attaches to each",
                link.origin,
                names.join(", "),
                addrs.len(),
                addrs.join(", ")
            )
        });
        for i in hits {
            let Some((role, _)) = roles.get_mut(i) else {
                continue;
            };
            attach(role, &link, &resolve_arn);
            if let Some(g) = &guess
                && !role.notes.contains(g)
            {
                role.notes.push(g.clone());
            }
        }
    }
    let mut out: Vec<Role> = roles.into_iter().map(|(r, _)| r).collect();
    out.extend(
        external
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| !r.inline_policies.is_empty() || !r.managed_policies.is_empty()),
    );
    out
}

fn attach(
    role: &mut Role,
    link: &Link,
    resolve_arn: &dyn Fn(&str, &Val) -> Result<AttachedPolicy, ManagedPolicyRef>,
) {
    role.files.extend_from_slice(&link.files);
    let (what, origin) = (&link.what, link.origin.as_str());
    if let (RoleState::Template(why), RoleState::Checked) = (&link.state, &role.state) {
        let note = format!("{origin} is read as a template: {why}");
        if !role.notes.contains(&note) {
            role.notes.push(note);
        }
    }
    match what {
        LinkWhat::Inline(p) => role.inline_policies.push((**p).clone()),
        LinkWhat::Arn(arn) => match resolve_arn(origin, arn) {
            Ok(p) => role.inline_policies.push(p),
            Err(m) => role.managed_policies.push(m),
        },
        LinkWhat::Note(n) => role.notes.push(n.clone()),
    }
}

/// A role that policies of the configuration attach to by name but that it does not define.
fn external_role(name: &str, span: Span, note: String) -> Role {
    Role {
        address: format!("role {name} (outside this configuration)"),
        source: SourceKind::Terraform,
        span,
        resource_type: "aws_iam_role".into(),
        name: None,
        path: None,
        trust: None,
        trust_span: None,
        trust_unknown: None,
        inline_policies: Vec::new(),
        managed_policies: Vec::new(),
        permissions_boundary: None,
        boundary_policy: None,
        max_session_duration: None,
        name_is_prefix: false,
        tags: crate::iam::model::Tags::unknown(
            name,
            "the role is not defined in this configuration",
        ),
        notes: vec![note],
        metadata: Vec::new(),
        root: String::new(),
        state: Default::default(),
        files: Vec::new(),
    }
}
