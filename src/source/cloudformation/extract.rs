//! Builds the IAM model from one resolved template: `AWS::IAM::Role` with its trust policy,
//! inline `Policies`, `ManagedPolicyArns`, boundary and session duration; the policies that link
//! to it (`AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` through `Roles`,
//! `AWS::IAM::RolePolicy` through `RoleName`, a ManagedPolicy named in `ManagedPolicyArns`);
//! instance profiles (a note); SAM's implicit roles (see `sam`); local nested stacks, followed
//! with their parameters and addressed `NestedStack/Role`. Each role is built once per variant
//! of the conditions it meets (see `conditions`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::iam::model::{
    AttachedPolicy, DocumentKind, ManagedPolicyRef, PolicyDocument, Role, RoleState, SourceKind,
    Str,
};
use crate::iam::policy::parse_document;
use crate::source::{Context, Extraction, Notice, SourceError};
use crate::span::{FileId, Span};
use crate::value::{Val, ValKind};

use super::conditions::{Built, Choice, Decided, variants};
use super::intrinsics::{Resolver, intrinsic, list_items};
use super::parameters::{Given, Origin, ParamValue, values};
use super::sam;
use super::template::{Resource, Template};

/// Nested stacks followed at most this deep.
const MAX_NESTING: usize = 8;

/// Where nested templates come from: already parsed ones, or parsed on demand.
pub trait Templates: Sync {
    /// The template at `path` (canonical), or the errors reading it gave.
    fn get(&self, ctx: &Context<'_>, path: &Path) -> Result<Arc<Template>, Vec<SourceError>>;
}

/// Which policy-like resources may point at which role (found once per template).
#[derive(Default)]
pub struct Links {
    /// Role logical id → indexes of Policy / ManagedPolicy / RolePolicy / InstanceProfile.
    by_role: HashMap<String, Vec<usize>>,
    /// Role names that policies of the template attach to but no role of the template has
    /// (the role is defined in another stack) → indexes of those policies.
    external: std::collections::BTreeMap<String, Vec<usize>>,
}

/// How a template is reached: on its own, or as a nested stack of a parent.
pub struct Frame<'a> {
    /// Parameter values from the user or the parent stack.
    pub given: &'a HashMap<String, Given>,
    pub nested: bool,
    /// Address prefix of nested stacks (`Parent/`).
    pub prefix: String,
    /// The state the parent's stack resource gives every role below it (a nested stack
    /// switched off by a default is a template, by a given value not created).
    pub state: RoleState,
    /// Files read before this template: parameter files, the CDK manifest, parent templates.
    pub files: Vec<FileId>,
}

/// Extracts the roles of a template and of the local nested stacks it names.
pub fn extract_template(
    ctx: &Context<'_>,
    templates: &dyn Templates,
    tpl: &Template,
    frame: &Frame<'_>,
    chain: &mut Vec<PathBuf>,
    out: &mut Extraction,
) {
    let params = values(&tpl.parameters, frame.given, frame.nested);
    let links = links(tpl, &params);
    let prefix = frame.prefix.as_str();
    let mut seen_imports = HashSet::new();
    let first_role = out.roles.len();
    for r in &tpl.resources {
        let kind = match r.ty.as_str() {
            "AWS::IAM::Role" => RoleKind::Role,
            "AWS::Serverless::Function" if tpl.sam => RoleKind::Sam(sam::Kind::Function),
            "AWS::Serverless::StateMachine" if tpl.sam => RoleKind::Sam(sam::Kind::StateMachine),
            ty if !tpl.sam && ty.starts_with("AWS::Serverless::") => {
                sam_without_transform(r, prefix, out);
                continue;
            }
            _ => continue,
        };
        let address = format!("{prefix}{}", r.id);
        let built = variants(&params, |choices, branching| {
            let mut res = Resolver::new(tpl, &params, choices, branching);
            let mut role = match kind {
                RoleKind::Role => build_role(&mut res, r, &links, &address),
                RoleKind::Sam(k) => sam::implicit_role(&mut res, r, k, &address, &links),
            };
            if let Some(role) = role.as_mut() {
                for n in std::mem::take(&mut res.default_notes) {
                    if !role.notes.contains(&n) {
                        role.notes.push(n);
                    }
                }
            }
            Built {
                value: (role, std::mem::take(&mut res.imports)),
                pending: std::mem::take(&mut res.pending),
                used: std::mem::take(&mut res.used),
            }
        });
        for v in built {
            let (role, imports) = v.value;
            for (span, name) in imports {
                if seen_imports.insert((span, name.clone())) {
                    out.notices.push(Notice {
                        kind: "cross-stack-import".into(),
                        span,
                        address: address.clone(),
                        message: format!(
                            "`{}` is imported from another stack (export {name}); its value is not known offline",
                            expr_text(tpl, span)
                        ),
                    });
                }
            }
            if let Some(mut role) = role {
                role.notes.extend(v.notes);
                out.roles.push(role);
            }
        }
    }
    if !links.external.is_empty() {
        let choices: BTreeMap<Choice, usize> = BTreeMap::new();
        let mut res = Resolver::new(tpl, &params, &choices, false);
        external_roles(&mut res, &links, prefix, out);
    }
    // Every role of this template: the parent stack's state and the files read.
    let mut files = frame.files.clone();
    files.push(tpl.file);
    files.sort();
    files.dedup();
    for role in out.roles.iter_mut().skip(first_role) {
        inherit(role, &frame.state);
        role.files.clone_from(&files);
    }
    nested_stacks(ctx, templates, tpl, &params, frame, &files, chain, out);
}

/// The state a role has under its parent stack's: not created wins, then template. The
/// parent's reason goes on the role's notes, so that every finding carries it.
fn inherit(role: &mut Role, parent: &RoleState) {
    let Some(reason) = parent.reason() else {
        return;
    };
    if !role.notes.iter().any(|n| n == reason) {
        role.notes.insert(0, reason.to_string());
    }
    role.state = combine(parent, &role.state);
}

/// A state under a parent's: not created if either is, else a template if either is (the
/// parent's reason first).
fn combine(parent: &RoleState, own: &RoleState) -> RoleState {
    match (parent, own) {
        (RoleState::NotCreated(_), _) => parent.clone(),
        (_, RoleState::NotCreated(_)) => own.clone(),
        (RoleState::Template(_), _) => parent.clone(),
        _ => own.clone(),
    }
}

/// A SAM resource in a template without the SAM transform: CloudFormation does not know the
/// type, and the role SAM would create is not read. A notice, so that it is not a silent pass.
fn sam_without_transform(r: &Resource, prefix: &str, out: &mut Extraction) {
    let span = r.body.entry("Type").map_or(r.key_span, |(_, v)| v.span);
    out.notices.push(Notice {
        kind: "sam-without-transform".into(),
        span,
        address: format!("{prefix}{}", r.id),
        message: format!(
            "{prefix}{} is a SAM resource ({}) but the template does not declare `Transform: {}`; CloudFormation rejects the type, and the role SAM would create for it is not checked",
            r.id, r.ty, super::template::SAM_TRANSFORM
        ),
    });
}

#[derive(Clone, Copy)]
enum RoleKind {
    Role,
    Sam(sam::Kind),
}

fn expr_text(tpl: &Template, span: Span) -> String {
    tpl.text(span)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a resource exists in a variant, by its `Condition` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exists {
    Yes,
    /// Not in this variant: the condition is a choice the variant driver makes false, or one
    /// it is about to branch on.
    No,
    /// Switched off only by parameter defaults: built as if the condition were true, checked as
    /// a template, with the reason.
    Template(String),
    /// Switched off by values the user gave (or by literals): built to be listed, not checked.
    NotCreated(String),
}

/// Checks a resource's `Condition` attribute. For a resource switched off by a default or a
/// given value, the condition is taken as true for the rest of the resolver's work (and, for a
/// default, the defaults that decided it become unknown: the user overrides them).
pub fn resource_exists(res: &mut Resolver<'_>, r: &Resource, notes: &mut Vec<String>) -> Exists {
    let Some(c) = &r.condition else {
        return Exists::Yes;
    };
    match res.decide(c) {
        Decided::Value { value: true, .. }
        | Decided::Choice(true)
        | Decided::ByDefaults { value: true, .. } => Exists::Yes,
        Decided::Choice(false) => Exists::No,
        Decided::Value { value: false, why } => {
            res.forced.insert(c.clone(), true);
            Exists::NotCreated(if why.is_empty() {
                format!("not created: condition {c} is always false")
            } else {
                format!("not created with the values given: condition {c} is false because {why}")
            })
        }
        Decided::ByDefaults {
            value: false,
            params,
            why,
        } => {
            res.forced.insert(c.clone(), true);
            for p in params {
                let reason = format!(
                    "condition {c} is true only when parameter {p} is given a value other than its default; that value is not known offline"
                );
                res.hidden.insert(p, reason);
            }
            Exists::Template(format!(
                "not created with the default values: condition {c} is false because {why}"
            ))
        }
        Decided::Undecided(reason) => {
            if res.branching && !res.pending.is_empty() {
                // The driver branches on it and builds again.
                return Exists::No;
            }
            notes.push(format!("checked as if condition {c} were true: {reason}"));
            Exists::Yes
        }
    }
}

/// Applies a resource's [`Exists`] to the role built for it: its state, and the reason on its
/// notes. `None` when the resource is not in this variant.
pub fn role_state(exists: &Exists) -> Option<RoleState> {
    match exists {
        Exists::Yes => Some(RoleState::Checked),
        Exists::No => None,
        Exists::Template(r) => Some(RoleState::Template(r.clone())),
        Exists::NotCreated(r) => Some(RoleState::NotCreated(r.clone())),
    }
}

/// A linked policy is attached when its resource exists, or exists but for a default (with a
/// note on the role); not when a given value switches it off.
fn attach_exists(res: &mut Resolver<'_>, p: &Resource, role: &mut Role) -> bool {
    let (forced, hidden) = (res.forced.clone(), res.hidden.clone());
    let mut ignored = Vec::new();
    let exists = resource_exists(res, p, &mut ignored);
    // The policy's own condition must not change how the rest of the role resolves.
    res.forced = forced;
    res.hidden = hidden;
    match exists {
        Exists::Yes => true,
        Exists::No | Exists::NotCreated(_) => false,
        Exists::Template(reason) => {
            let note = format!("{} is attached although it is {reason}", p.id);
            if !role.notes.contains(&note) {
                role.notes.push(note);
            }
            true
        }
    }
}

fn build_role(res: &mut Resolver<'_>, r: &Resource, links: &Links, address: &str) -> Option<Role> {
    let mut notes = Vec::new();
    let state = role_state(&resource_exists(res, r, &mut notes))?;
    let mut role = new_role(address, r, "AWS::IAM::Role");
    if let Some(reason) = state.reason() {
        notes.insert(0, reason.to_string());
    }
    role.notes = notes;
    role.state = state;
    role.name = r
        .property("RoleName")
        .and_then(|v| res.resolve(v))
        .map(|v| Str::from_val(&v));
    role.path = r
        .property("Path")
        .and_then(|v| res.resolve(v))
        .map(|v| Str::from_val(&v));
    role.tags = crate::iam::model::Tags::from_list(
        r.property("Tags").and_then(|v| res.resolve(v)).as_ref(),
    );
    match r.property_entry("AssumeRolePolicyDocument") {
        Some((k, raw)) => {
            let span = Span::new(k.span.file, k.span.start as usize, raw.span.end as usize);
            role.trust_span = Some(span);
            match res.resolve(raw) {
                None => {
                    role.trust_unknown = Some((
                        raw.span,
                        crate::value::Unknown::new(
                            res.expr(raw),
                            "AssumeRolePolicyDocument is AWS::NoValue: the role has no trust policy in the template",
                        ),
                    ))
                }
                Some(v) => match document(&v, DocumentKind::Trust) {
                    Ok(doc) => role.trust = Some(doc),
                    Err(u) => role.trust_unknown = Some((v.span, u)),
                },
            }
        }
        // CloudFormation requires the property; without it a macro or a transform iamlint
        // does not run must supply the trust, which is then not checked.
        None => {
            role.trust_span = Some(r.key_span);
            role.trust_unknown = Some((
                r.key_span,
                crate::value::Unknown::new(
                    "AssumeRolePolicyDocument",
                    format!(
                        "{} has no AssumeRolePolicyDocument; a macro or a transform iamlint does not run must supply it",
                        r.id
                    ),
                ),
            ));
        }
    }
    if let Some(policies) = r.property("Policies").and_then(|v| res.resolve(v)) {
        for item in policies.items() {
            role.inline_policies.push(inline_policy(item, "inline"));
        }
    }
    let mut attached: HashSet<String> = HashSet::new();
    if let Some(raw) = r.property("ManagedPolicyArns") {
        for entry in branches(res, raw) {
            for item in list_items(entry) {
                for item in branches(res, item) {
                    if let Some(mp) = ref_to(res, item, "AWS::IAM::ManagedPolicy") {
                        // A managed policy of this template: its document is attached.
                        if attached.insert(mp.id.clone())
                            && let Some(p) = standalone_policy(res, mp)
                        {
                            role.inline_policies.push(p);
                        }
                        continue;
                    }
                    if let Some(v) = res.resolve(item) {
                        for arn in v.items() {
                            role.managed_policies.push(ManagedPolicyRef {
                                origin: "ManagedPolicyArns".into(),
                                arn: Str::from_val(arn),
                            });
                        }
                    }
                }
            }
        }
    }
    role.permissions_boundary = r
        .property("PermissionsBoundary")
        .and_then(|v| res.resolve(v))
        .map(|v| Str::from_val(&v));
    // A boundary that is a managed policy of this template: its document caps the role.
    role.boundary_policy = r
        .property("PermissionsBoundary")
        .and_then(|v| ref_to(res, v, "AWS::IAM::ManagedPolicy"))
        .and_then(|mp| standalone_policy(res, mp));
    role.max_session_duration = r
        .property("MaxSessionDuration")
        .and_then(|v| res.resolve(v))
        .map(|v| Str::from_val(&v));
    let role_name = res.resource_name(&r.id, "RoleName").ok();
    attach_linked(
        res,
        &r.id,
        role_name.as_deref(),
        links,
        &mut attached,
        &mut role,
    );
    if let Some(path) = r.metadata_str("aws:cdk:path") {
        role.metadata
            .push(("aws:cdk:path".into(), path.to_string()));
    }
    Some(role)
}

/// Attaches the policies, managed policies and instance profiles that name the role (logical
/// id `role_id`, or `role_name`) through `Roles` or `RoleName`.
pub fn attach_linked(
    res: &mut Resolver<'_>,
    role_id: &str,
    role_name: Option<&str>,
    links: &Links,
    attached: &mut HashSet<String>,
    role: &mut Role,
) {
    let tpl = res.tpl;
    for idx in links.by_role.get(role_id).into_iter().flatten() {
        let Some(p) = tpl.resources.get(*idx) else {
            continue;
        };
        if !attach_exists(res, p, role) {
            continue;
        }
        let key = if p.ty == "AWS::IAM::RolePolicy" {
            "RoleName"
        } else {
            "Roles"
        };
        let Some(raw) = p.property(key) else {
            continue;
        };
        if !targets(res, raw, role_id, role_name) {
            continue;
        }
        match p.ty.as_str() {
            "AWS::IAM::InstanceProfile" => role
                .notes
                .push(format!("used by EC2 through instance profile {}", p.id)),
            "AWS::IAM::ManagedPolicy" if !attached.insert(p.id.clone()) => {}
            _ => {
                if let Some(pol) = standalone_policy(res, p) {
                    role.inline_policies.push(pol);
                }
            }
        }
    }
}

pub fn new_role(address: &str, r: &Resource, ty: &str) -> Role {
    Role {
        address: address.to_string(),
        source: SourceKind::Cloudformation,
        span: r.span,
        resource_type: ty.to_string(),
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
        tags: Default::default(),
        notes: Vec::new(),
        metadata: Vec::new(),
        root: String::new(),
        state: Default::default(),
        files: Vec::new(),
    }
}

/// A resolved policy document: a map, or a JSON string (its spans point at the string).
pub fn document(v: &Val, kind: DocumentKind) -> Result<PolicyDocument, crate::value::Unknown> {
    match &v.kind {
        ValKind::Unknown(u) => Err(u.clone()),
        ValKind::Str(s) if s.trim_start().starts_with('{') => {
            match crate::source::json::parse(s, v.span.file, 0) {
                Ok(mut parsed) => {
                    parsed.respan(v.span);
                    Ok(parse_document(&parsed, kind))
                }
                Err(_) => Ok(parse_document(v, kind)),
            }
        }
        _ => Ok(parse_document(v, kind)),
    }
}

/// An item of a `Policies` list: `{PolicyName, PolicyDocument}`.
fn inline_policy(item: &Val, origin: &str) -> AttachedPolicy {
    let mut p = AttachedPolicy {
        origin: origin.to_string(),
        name: item.get("PolicyName").map(Str::from_val),
        span: item.span,
        document: None,
        unknown: None,
    };
    match (&item.kind, item.get("PolicyDocument")) {
        (ValKind::Unknown(u), _) => p.unknown = Some((item.span, u.clone())),
        (_, Some(d)) => match document(d, DocumentKind::Identity) {
            Ok(doc) => p.document = Some(doc),
            Err(u) => p.unknown = Some((d.span, u)),
        },
        (_, None) => {}
    }
    p
}

/// The document of an `AWS::IAM::Policy`, `ManagedPolicy` or `RolePolicy` as attached to a role.
fn standalone_policy(res: &mut Resolver<'_>, p: &Resource) -> Option<AttachedPolicy> {
    let name_key = if p.ty == "AWS::IAM::ManagedPolicy" {
        "ManagedPolicyName"
    } else {
        "PolicyName"
    };
    let mut out = AttachedPolicy {
        origin: p.id.clone(),
        name: p
            .property(name_key)
            .and_then(|v| res.resolve(v))
            .map(|v| Str::from_val(&v)),
        span: p.span,
        document: None,
        unknown: None,
    };
    match p.property("PolicyDocument").and_then(|d| res.resolve(d)) {
        Some(d) => match document(&d, DocumentKind::Identity) {
            Ok(doc) => out.document = Some(doc),
            Err(u) => out.unknown = Some((d.span, u)),
        },
        None => return None,
    }
    Some(out)
}

/// The values an `Fn::If` chain may select under this variant: one when decided, both when
/// not (the variant driver rebuilds once the condition is a choice). `AWS::NoValue` selects
/// nothing.
fn branches<'v>(res: &mut Resolver<'_>, v: &'v Val) -> Vec<&'v Val> {
    let mut out = Vec::new();
    let mut todo = vec![v];
    while let Some(x) = todo.pop() {
        match intrinsic(x) {
            Some(("Fn::If", arg)) => {
                let items = list_items(arg);
                let (Some(c), Some(a), Some(b)) = (items.first(), items.get(1), items.get(2))
                else {
                    out.push(x);
                    continue;
                };
                let Some(name) = c.as_str() else {
                    out.push(x);
                    continue;
                };
                match res.if_condition(name) {
                    Ok(true) => todo.push(a),
                    Ok(false) => todo.push(b),
                    Err(_) => {
                        todo.push(b);
                        todo.push(a);
                    }
                }
            }
            Some(("Ref", arg)) if arg.as_str() == Some("AWS::NoValue") => {}
            _ => out.push(x),
        }
    }
    out
}

/// The resource of type `ty` that `v` refers to with `Ref`.
fn ref_to<'t>(res: &Resolver<'t>, v: &Val, ty: &str) -> Option<&'t Resource> {
    match intrinsic(v) {
        Some(("Ref", arg)) => {
            let tpl: &'t Template = res.tpl;
            tpl.resource(arg.as_str()?).filter(|r| r.ty == ty)
        }
        _ => None,
    }
}

/// Does a `Roles` list or a `RoleName` name this role (by Ref or by name)?
fn targets(res: &mut Resolver<'_>, raw: &Val, role_id: &str, role_name: Option<&str>) -> bool {
    for v in branches(res, raw) {
        for item in list_items(v) {
            for item in branches(res, item) {
                if let Some(("Ref", arg)) = intrinsic(item)
                    && arg.as_str() == Some(role_id)
                {
                    return true;
                }
                if let (Some(name), Some(r)) = (role_name, res.resolve(item))
                    && r.items().iter().any(|x| x.as_str() == Some(name))
                {
                    return true;
                }
            }
        }
    }
    false
}

fn links(tpl: &Template, params: &HashMap<String, ParamValue>) -> Links {
    let choices: BTreeMap<Choice, usize> = BTreeMap::new();
    let mut res = Resolver::new(tpl, params, &choices, false);
    let mut by_name: HashMap<String, String> = HashMap::new();
    for r in &tpl.resources {
        if r.ty == "AWS::IAM::Role"
            && let Ok(n) = res.resource_name(&r.id, "RoleName")
        {
            by_name.insert(n, r.id.clone());
        }
    }
    let mut links = Links::default();
    for (i, p) in tpl.resources.iter().enumerate() {
        let key = match p.ty.as_str() {
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::InstanceProfile" => "Roles",
            "AWS::IAM::RolePolicy" => "RoleName",
            _ => continue,
        };
        let Some(raw) = p.property(key) else {
            continue;
        };
        let mut found: Vec<String> = Vec::new();
        let mut todo = vec![raw];
        while let Some(x) = todo.pop() {
            match &x.kind {
                ValKind::Map(entries) => {
                    if let Some(("Ref", arg)) = intrinsic(x)
                        && let Some(n) = arg.as_str()
                    {
                        match tpl.resource(n) {
                            Some(t) if t.ty == "AWS::IAM::Role" => found.push(t.id.clone()),
                            // `!Ref FnRole`: the role SAM creates for function `Fn`.
                            None if sam::implicit_role_owner(tpl, n).is_some() => {
                                found.push(n.to_string())
                            }
                            _ => {}
                        }
                    }
                    todo.extend(entries.iter().map(|(_, v)| v));
                }
                ValKind::List(items) => todo.extend(items.iter()),
                _ => {}
            }
        }
        if let Some(v) = res.resolve(raw) {
            let mut todo = vec![&v];
            while let Some(x) = todo.pop() {
                match &x.kind {
                    ValKind::List(items) => todo.extend(items.iter()),
                    _ => {
                        if let Some(id) = x.as_str().and_then(|n| by_name.get(n)) {
                            found.push(id.clone());
                        }
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        for id in found {
            links.by_role.entry(id).or_default().push(i);
        }
        // Names written in the template (or given as parameters) that no role here has.
        if p.ty != "AWS::IAM::InstanceProfile" {
            for item in list_items(raw) {
                let named = match (&item.kind, intrinsic(item)) {
                    (ValKind::Str(_), _) => true,
                    (_, Some(("Ref", arg))) => {
                        arg.as_str().is_some_and(|n| tpl.resource(n).is_none())
                    }
                    _ => false,
                };
                if !named {
                    continue;
                }
                if let Some(name) = res
                    .resolve(item)
                    .and_then(|v| v.as_str().map(str::to_string))
                    && !name.is_empty()
                    && !by_name.contains_key(&name)
                    && !name.starts_with("arn:")
                {
                    let list = links.external.entry(name).or_default();
                    if !list.contains(&i) {
                        list.push(i);
                    }
                }
            }
        }
    }
    links
}

/// Roles defined outside the template that its policies attach to by name: each becomes a role
/// without a trust policy, so that the permissions granted here are still checked.
fn external_roles(res: &mut Resolver<'_>, links: &Links, prefix: &str, out: &mut Extraction) {
    let tpl = res.tpl;
    for (name, idxs) in &links.external {
        let Some(first) = idxs.first().and_then(|i| tpl.resources.get(*i)) else {
            continue;
        };
        let mut role = new_role(
            &format!("{prefix}role {name} (outside this template)"),
            first,
            "AWS::IAM::Role",
        );
        role.notes.push(format!(
            "role {name} is not defined in this template; only the policies attached to it here are checked"
        ));
        role.tags =
            crate::iam::model::Tags::unknown(name, "the role is not defined in this template");
        for p in idxs.iter().filter_map(|i| tpl.resources.get(*i)) {
            if attach_exists(res, p, &mut role)
                && let Some(pol) = standalone_policy(res, p)
            {
                role.inline_policies.push(pol);
            }
        }
        if !role.inline_policies.is_empty() {
            out.roles.push(role);
        }
    }
}

/// Follows `AWS::CloudFormation::Stack` resources whose template is a local file under the
/// root (a relative `TemplateURL`, or CDK's `aws:asset:path` metadata). A stack switched off by
/// a default or a given value is followed too, and its roles get that state. A template that is
/// already on the chain (a cycle) is an error at the `TemplateURL`.
// The recursion threads its context explicitly rather than through a struct that would exist
// only to hold these arguments.
#[allow(clippy::too_many_arguments)]
fn nested_stacks(
    ctx: &Context<'_>,
    templates: &dyn Templates,
    tpl: &Template,
    params: &HashMap<String, ParamValue>,
    frame: &Frame<'_>,
    files: &[FileId],
    chain: &mut Vec<PathBuf>,
    out: &mut Extraction,
) {
    let choices: BTreeMap<Choice, usize> = BTreeMap::new();
    for r in &tpl.resources {
        if r.ty != "AWS::CloudFormation::Stack" {
            continue;
        }
        let mut res = Resolver::new(tpl, params, &choices, false);
        let mut ignored = Vec::new();
        let Some(own) = role_state(&resource_exists(&mut res, r, &mut ignored)) else {
            continue;
        };
        let address = format!("{}{}", frame.prefix, r.id);
        let Some((at, path)) = nested_path(&mut res, tpl, r, &address, out) else {
            continue;
        };
        let path = crate::discover::normalize(&path);
        if !path.exists() {
            // A template that is not there may hide roles: an error, like a file that cannot
            // be read.
            out.errors.push(SourceError::at(
                at,
                format!(
                    "{address}: the nested template {} does not exist; its roles were not checked",
                    crate::discover::display_path(&path)
                ),
            ));
            continue;
        }
        if !ctx.inside_root(&path) {
            out.errors.push(SourceError::at(
                at,
                format!(
                    "the nested template {} is outside the root {}; it was not read",
                    crate::discover::display_path(&path),
                    crate::discover::display_path(&ctx.root)
                ),
            ));
            continue;
        }
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        if let Some(i) = chain.iter().position(|c| *c == canonical) {
            let mut names: Vec<String> = chain
                .get(i..)
                .unwrap_or_default()
                .iter()
                .map(|c| ctx.display_path(c))
                .collect();
            names.push(ctx.display_path(&canonical));
            out.errors.push(SourceError::at(
                at,
                format!(
                    "{address}: nested stacks form a cycle ({}); this one was not followed",
                    names.join(" → ")
                ),
            ));
            continue;
        }
        if chain.len() >= MAX_NESTING {
            out.errors.push(SourceError::at(
                at,
                format!(
                    "{address}: nested stacks nest deeper than {MAX_NESTING} levels; this one was not followed"
                ),
            ));
            continue;
        }
        let child = match templates.get(ctx, &canonical) {
            Ok(t) => t,
            Err(errors) => {
                out.errors.extend(errors);
                continue;
            }
        };
        let mut given = HashMap::new();
        if let Some(ValKind::Map(entries)) = r.property("Parameters").map(|p| &p.kind) {
            for (k, v) in entries {
                let mark = res.params_read.len();
                if let Some(val) = res.resolve(v) {
                    // The parent's defaults this value was built from, if any.
                    let mut defaults: Vec<String> = Vec::new();
                    for p in res.params_read.get(mark..).unwrap_or_default() {
                        if let Some(ParamValue::Known(_, Origin::Default(why))) = params.get(p)
                            && !defaults.contains(why)
                        {
                            defaults.push(why.clone());
                        }
                    }
                    given.insert(
                        k.name.clone(),
                        Given::Value {
                            value: val,
                            defaults,
                        },
                    );
                }
            }
        }
        let state = combine(&frame.state, &own);
        chain.push(canonical);
        let child_frame = Frame {
            given: &given,
            nested: true,
            prefix: format!("{address}/"),
            state,
            files: files.to_vec(),
        };
        extract_template(ctx, templates, &child, &child_frame, chain, out);
        chain.pop();
    }
}

fn nested_path(
    res: &mut Resolver<'_>,
    tpl: &Template,
    r: &Resource,
    address: &str,
    out: &mut Extraction,
) -> Option<(Span, PathBuf)> {
    let dir = tpl.path.parent().unwrap_or(Path::new("."));
    if let Some(asset) = r.metadata_str("aws:asset:path") {
        let span = r
            .body
            .get("Metadata")
            .and_then(|m| m.entry("aws:asset:path"))
            .map_or(r.key_span, |(_, v)| v.span);
        return Some((span, dir.join(asset)));
    }
    let raw = r.property("TemplateURL")?;
    let url = res.value(raw);
    let Some(s) = url.as_str() else {
        out.notices.push(Notice {
            kind: "nested-stack-unresolved".into(),
            span: raw.span,
            address: address.to_string(),
            message: format!(
                "the nested template location `{}` is not known offline; its roles are not checked",
                res.expr(raw)
            ),
        });
        return None;
    };
    let s = s.strip_prefix("file://").unwrap_or(s);
    if s.contains("://") {
        out.notices.push(Notice {
            kind: "nested-stack-remote".into(),
            span: raw.span,
            address: address.to_string(),
            message: format!("the nested template {s} is remote; its roles are not checked"),
        });
        return None;
    }
    Some((raw.span, dir.join(s)))
}
