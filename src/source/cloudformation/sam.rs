//! SAM (`Transform: AWS::Serverless-2016-10-31`): the role that an `AWS::Serverless::Function`
//! or `AWS::Serverless::StateMachine` gets when it names no `Role`. The role is addressed by the
//! function's logical id. Its trust is lambda.amazonaws.com (states.amazonaws.com for state
//! machines) unless `AssumeRolePolicyDocument` replaces it; its policies come from `Policies`
//! (managed policy names and ARNs, inline documents, SAM policy templates expanded with their
//! parameters), plus what SAM always adds: AWSLambdaBasicExecutionRole for functions, the VPC
//! policy with `VpcConfig`, X-Ray with `Tracing: Active`, the queue/stream policies of SQS,
//! Kinesis and DynamoDB events, and the dead-letter queue's send permission. Function `Globals`
//! are merged first (maps merged, lists appended, scalars overridden by the function).
//! Connectors are not read.

use crate::iam::model::{AttachedPolicy, DocumentKind, ManagedPolicyRef, Role, Str};
use crate::iam::policy::parse_document;
use crate::span::Span;
use crate::value::{Key, Val, ValKind};

use super::extract::{document, new_role, resource_exists, role_state};
use super::intrinsics::{PARTITION, Resolver, intrinsic};
use super::sam_policies;
use super::template::Resource;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Function,
    StateMachine,
}

/// AWS managed policies that live under `service-role/`.
const SERVICE_ROLE_POLICIES: &[&str] = &[
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSLambdaRole",
    "AWSLambdaENIManagementAccess",
];

/// The ARN SAM uses for an AWS managed policy written by name.
pub fn managed_arn(name: &str) -> String {
    let path = if SERVICE_ROLE_POLICIES.contains(&name) {
        "service-role/"
    } else {
        ""
    };
    format!("arn:{PARTITION}:iam::aws:policy/{path}{name}")
}

/// The implicit role of a SAM function or state machine, or `None` when it names a `Role` or
/// does not exist in this variant.
/// The SAM function or state machine whose generated role has the logical id `id`: SAM names
/// it `<LogicalId>Role` when the resource has no `Role` property.
pub fn implicit_role_owner<'t>(
    tpl: &'t crate::source::cloudformation::Template,
    id: &str,
) -> Option<&'t Resource> {
    let owner = tpl.resource(id.strip_suffix("Role")?)?;
    let sam_kind = matches!(
        owner.ty.as_str(),
        "AWS::Serverless::Function" | "AWS::Serverless::StateMachine"
    );
    (tpl.sam && sam_kind && owner.properties().is_none_or(|p| p.get("Role").is_none()))
        .then_some(owner)
}

pub fn implicit_role(
    res: &mut Resolver<'_>,
    r: &Resource,
    kind: Kind,
    address: &str,
    links: &super::extract::Links,
) -> Option<Role> {
    let mut notes = Vec::new();
    let state = role_state(&resource_exists(res, r, &mut notes))?;
    if let Some(reason) = state.reason() {
        notes.insert(0, reason.to_string());
    }
    let tpl = res.tpl;
    let section = match kind {
        Kind::Function => "Function",
        Kind::StateMachine => "StateMachine",
    };
    let empty = Val::new(ValKind::Map(Vec::new()), r.span);
    let local = r.properties().unwrap_or(&empty);
    let props = match tpl.globals.as_ref().and_then(|g| g.get(section)) {
        Some(global) => merge(global, local),
        None => local.clone(),
    };
    if let Some(role) = props.get("Role")
        && res.resolve(role).is_some()
    {
        // The function uses a role declared elsewhere; that role is checked where it is.
        return None;
    }
    let ty = match kind {
        Kind::Function => "AWS::Serverless::Function",
        Kind::StateMachine => "AWS::Serverless::StateMachine",
    };
    let mut role = new_role(address, r, ty);
    role.notes = notes;
    role.state = state;
    role.notes.push(format!(
        "the role SAM creates for {address} (no Role property); CloudFormation names it"
    ));
    role.path = props
        .get("RolePath")
        .and_then(|v| res.resolve(v))
        .map(|v| Str::from_val(&v));
    // SAM gives the role it generates the resource's Tags (a map), and a function's role
    // `lambda:createdBy: SAM`.
    role.tags =
        crate::iam::model::Tags::from_map(props.get("Tags").and_then(|v| res.resolve(v)).as_ref());
    if kind == Kind::Function && role.tags.pairs.iter().all(|(k, _)| k != "lambda:createdBy") {
        role.tags
            .pairs
            .push(("lambda:createdBy".into(), Str::known("SAM", r.key_span)));
    }
    let at = r.key_span;
    match props.entry("AssumeRolePolicyDocument") {
        Some((k, raw)) => {
            role.trust_span = Some(Span::new(
                k.span.file,
                k.span.start as usize,
                raw.span.end as usize,
            ));
            if let Some(v) = res.resolve(raw) {
                match document(&v, DocumentKind::Trust) {
                    Ok(doc) => role.trust = Some(doc),
                    Err(u) => role.trust_unknown = Some((v.span, u)),
                }
            }
        }
        None => {
            let service = match kind {
                Kind::Function => "lambda.amazonaws.com",
                Kind::StateMachine => "states.amazonaws.com",
            };
            role.trust_span = Some(at);
            role.trust = Some(parse_document(
                &default_trust(service, at),
                DocumentKind::Trust,
            ));
        }
    }
    if kind == Kind::Function {
        managed(&mut role, "AWSLambdaBasicExecutionRole", at);
        if props
            .get("VpcConfig")
            .and_then(|v| res.resolve(v))
            .is_some()
        {
            managed(&mut role, "AWSLambdaVPCAccessExecutionRole", at);
        }
        if let Some(t) = props.get("Tracing").and_then(|v| res.resolve(v))
            && t.as_str() == Some("Active")
        {
            managed(&mut role, "AWSXrayWriteOnlyAccess", t.span);
        }
        if let Some(ValKind::Map(events)) = props.get("Events").map(|e| &e.kind) {
            for (_, e) in events {
                let policy = match e.get("Type").and_then(Val::as_str) {
                    Some("SQS") => "AWSLambdaSQSQueueExecutionRole",
                    Some("Kinesis") => "AWSLambdaKinesisExecutionRole",
                    Some("DynamoDB") => "AWSLambdaDynamoDBExecutionRole",
                    Some("MSK") => "AWSLambdaMSKExecutionRole",
                    _ => continue,
                };
                if !role
                    .managed_policies
                    .iter()
                    .any(|m| m.arn.get() == Some(&managed_arn(policy)))
                {
                    managed(&mut role, policy, e.span);
                }
            }
        }
        if let Some(dlq) = props.get("DeadLetterQueue").and_then(|v| res.resolve(v))
            && let Some(p) = dead_letter_policy(&dlq)
        {
            role.inline_policies.push(p);
        }
    }
    if let Some(policies) = props.get("Policies") {
        let items: Vec<&Val> = match &policies.kind {
            ValKind::List(items) => items.iter().collect(),
            _ => vec![policies],
        };
        for (index, item) in items.into_iter().enumerate() {
            policy_item(res, index, item, &mut role);
        }
    }
    role.permissions_boundary = props
        .get("PermissionsBoundary")
        .and_then(|v| res.resolve(v))
        .map(|v| Str::from_val(&v));
    // Policies elsewhere in the template that name the generated role (`!Ref FnRole`).
    super::extract::attach_linked(
        res,
        &format!("{}Role", r.id),
        None,
        links,
        &mut std::collections::HashSet::new(),
        &mut role,
    );
    if let Some(path) = r.metadata_str("aws:cdk:path") {
        role.metadata
            .push(("aws:cdk:path".into(), path.to_string()));
    }
    Some(role)
}

fn managed(role: &mut Role, name: &str, span: Span) {
    role.managed_policies.push(ManagedPolicyRef {
        origin: "SAM".into(),
        arn: Str::known(managed_arn(name), span),
    });
}

/// One entry of `Policies`, the `index`th of the list.
fn policy_item(res: &mut Resolver<'_>, index: usize, item: &Val, role: &mut Role) {
    match &item.kind {
        ValKind::Str(name) => {
            let arn = if name.starts_with("arn:") {
                name.clone()
            } else {
                managed_arn(name)
            };
            role.managed_policies.push(ManagedPolicyRef {
                origin: "Policies".into(),
                arn: Str::known(arn, item.span),
            });
        }
        ValKind::Map(entries) if intrinsic(item).is_some() => {
            let _ = entries;
            if let Some(v) = res.resolve(item) {
                // An intrinsic may also give a template or a document.
                match &v.kind {
                    ValKind::Map(_) => policy_item(res, index, &v, role),
                    _ => {
                        for arn in v.items() {
                            let arn = match arn.as_str() {
                                Some(s) if !s.starts_with("arn:") => {
                                    Str::known(managed_arn(s), arn.span)
                                }
                                _ => Str::from_val(arn),
                            };
                            role.managed_policies.push(ManagedPolicyRef {
                                origin: "Policies".into(),
                                arn,
                            });
                        }
                    }
                }
            }
        }
        ValKind::Map(_) if item.get("Statement").is_some() => {
            let mut p = AttachedPolicy {
                origin: "inline (Policies)".into(),
                name: None,
                span: item.span,
                document: None,
                unknown: None,
            };
            if let Some(v) = res.resolve(item) {
                match document(&v, DocumentKind::Identity) {
                    Ok(doc) => p.document = Some(doc),
                    Err(u) => p.unknown = Some((v.span, u)),
                }
            }
            role.inline_policies.push(p);
        }
        ValKind::Map(entries) => match entries.as_slice() {
            [(k, params)] => role
                .inline_policies
                .push(sam_policies::expand(res, k, params, item)),
            // SAM's transform takes an entry for a policy template only when it has one key.
            _ => role.inline_policies.push(AttachedPolicy {
                origin: "inline (Policies)".into(),
                name: None,
                span: item.span,
                document: None,
                unknown: Some((
                    item.span,
                    crate::value::Unknown::new(
                        res.expr(item),
                        format!("SAM rejects it: Policy at index {index} in the 'Policies' property is not valid (a policy template entry has one key, the template's name)"),
                    ),
                )),
            }),
        },
        ValKind::Unknown(u) => role.inline_policies.push(AttachedPolicy {
            origin: "inline (Policies)".into(),
            name: None,
            span: item.span,
            document: None,
            unknown: Some((item.span, u.clone())),
        }),
        _ => {}
    }
}

fn key(name: &str, span: Span) -> Key {
    Key {
        name: name.into(),
        span,
    }
}

fn default_trust(service: &str, span: Span) -> Val {
    let s = |x: &str| Val::str(x, span);
    let map = |entries: Vec<(&str, Val)>| {
        Val::new(
            ValKind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (key(k, span), v))
                    .collect(),
            ),
            span,
        )
    };
    map(vec![
        ("Version", s("2012-10-17")),
        (
            "Statement",
            Val::new(
                ValKind::List(vec![map(vec![
                    ("Effect", s("Allow")),
                    (
                        "Action",
                        Val::new(ValKind::List(vec![s("sts:AssumeRole")]), span),
                    ),
                    (
                        "Principal",
                        map(vec![(
                            "Service",
                            Val::new(ValKind::List(vec![s(service)]), span),
                        )]),
                    ),
                ])]),
                span,
            ),
        ),
    ])
}

/// The policy SAM adds for a dead-letter queue or topic.
fn dead_letter_policy(dlq: &Val) -> Option<AttachedPolicy> {
    let action = match dlq.get("Type").and_then(Val::as_str)? {
        "SQS" => "sqs:SendMessage",
        "SNS" => "sns:Publish",
        _ => return None,
    };
    let target = dlq.get("TargetArn")?.clone();
    let span = dlq.span;
    let doc = Val::new(
        ValKind::Map(vec![
            (key("Version", span), Val::str("2012-10-17", span)),
            (
                key("Statement", span),
                Val::new(
                    ValKind::List(vec![Val::new(
                        ValKind::Map(vec![
                            (key("Effect", span), Val::str("Allow", span)),
                            (key("Action", span), Val::str(action, span)),
                            (key("Resource", span), target),
                        ]),
                        span,
                    )]),
                    span,
                ),
            ),
        ]),
        span,
    );
    Some(AttachedPolicy {
        origin: "inline (DeadLetterQueue)".into(),
        name: None,
        span,
        document: Some(parse_document(&doc, DocumentKind::Identity)),
        unknown: None,
    })
}

/// Merges a Globals section into a resource's properties: maps merged, lists appended (global
/// items first), scalars taken from the resource.
pub fn merge(global: &Val, local: &Val) -> Val {
    match (&global.kind, &local.kind) {
        (ValKind::Map(g), ValKind::Map(l))
            if intrinsic(global).is_none() && intrinsic(local).is_none() =>
        {
            let mut out: Vec<(Key, Val)> = Vec::with_capacity(g.len() + l.len());
            for (k, v) in g {
                match l.iter().rev().find(|(lk, _)| lk.name == k.name) {
                    Some((lk, lv)) => out.push((lk.clone(), merge(v, lv))),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            for (k, v) in l {
                if !g.iter().any(|(gk, _)| gk.name == k.name) {
                    out.push((k.clone(), v.clone()));
                }
            }
            Val::new(ValKind::Map(out), local.span)
        }
        (ValKind::List(g), ValKind::List(l)) => Val::new(
            ValKind::List(g.iter().chain(l.iter()).cloned().collect()),
            local.span,
        ),
        _ => local.clone(),
    }
}
