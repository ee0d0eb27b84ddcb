//! Terraform plan JSON (`terraform show -json plan.out`): the roles in `planned_values` (root
//! and child modules), their trust policy from the `assume_role_policy` JSON string, inline
//! policies and managed policy ARNs, and the `aws_iam_role_policy` / attachment / policy
//! resources linked to them by role name or, when a value is known only after apply, by the
//! references recorded in the `configuration` section. Spans point into the plan file; the
//! policy JSON inside a string is aligned with the escaped text so a principal keeps its line.

use std::collections::HashMap;
use std::path::Path;

use crate::iam::model::{
    AttachedPolicy, DocumentKind, ManagedPolicyRef, PolicyDocument, Role, SourceKind, Str,
};
use crate::iam::policy::parse_document;
use crate::source::{Context, Extraction, LoadFailure, SourceError};
use crate::span::{SourceFile, Span};
use crate::value::{SELF_ACCOUNT, Unknown, Val, ValKind};

/// `module.a[0].aws_iam_role.x["k"]` → `module.a.aws_iam_role.x`.
/// An attachment in the plan: the roles it names, its origin, and the policy it attaches or
/// the ARN (with its value) it points at.
type PlanLink = (
    Vec<String>,
    Option<String>,
    Result<AttachedPolicy, (String, Val)>,
);

fn config_address(addr: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    let mut in_str = false;
    let mut prev = '\0';
    for c in addr.chars() {
        match c {
            '"' if depth > 0 && prev != '\\' => in_str = !in_str,
            '[' if !in_str => depth += 1,
            ']' if !in_str => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out
}

/// Resources of `planned_values` (root and child modules).
fn planned<'a>(module: &'a Val, out: &mut Vec<&'a Val>, depth: usize) {
    if depth > 32 {
        return;
    }
    if let Some(Val {
        kind: ValKind::List(rs),
        ..
    }) = module.get("resources")
    {
        out.extend(
            rs.iter()
                .filter(|r| r.get("mode").and_then(Val::as_str) == Some("managed")),
        );
    }
    if let Some(Val {
        kind: ValKind::List(cs),
        ..
    }) = module.get("child_modules")
    {
        for c in cs {
            planned(c, out, depth + 1);
        }
    }
}

/// Configuration expressions by config address (`module.x.aws_iam_role.y` → expressions).
fn configuration<'a>(
    module: &'a Val,
    prefix: &str,
    out: &mut HashMap<String, &'a Val>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    if let Some(Val {
        kind: ValKind::List(rs),
        ..
    }) = module.get("resources")
    {
        for r in rs {
            if let (Some(a), Some(e)) =
                (r.get("address").and_then(Val::as_str), r.get("expressions"))
            {
                out.insert(format!("{prefix}{a}"), e);
            }
        }
    }
    if let Some(Val {
        kind: ValKind::Map(calls),
        ..
    }) = module.get("module_calls")
    {
        for (k, call) in calls {
            if let Some(m) = call.get("module") {
                configuration(m, &format!("{prefix}module.{}.", k.name), out, depth + 1);
            }
        }
    }
}

/// The resource addresses an expression refers to (`aws_iam_role.x` from `aws_iam_role.x.name`).
fn references(expressions: Option<&&Val>, attr: &str, module_prefix: &str) -> Vec<String> {
    let Some(e) = expressions.and_then(|e| e.get(attr)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut collect = |v: &Val| {
        if let Some(Val {
            kind: ValKind::List(refs),
            ..
        }) = v.get("references")
        {
            for r in refs.iter().filter_map(Val::as_str) {
                out.push(format!("{module_prefix}{}", config_address(r)));
            }
        }
    };
    match &e.kind {
        ValKind::List(items) => items.iter().for_each(&mut collect),
        _ => collect(e),
    }
    out
}

fn module_prefix(config_addr: &str) -> String {
    match config_addr.rfind("module.") {
        Some(_) => {
            let parts: Vec<&str> = config_addr.split('.').collect();
            let keep = parts.len().saturating_sub(2);
            let mut s = parts.get(..keep).map(|p| p.join(".")).unwrap_or_default();
            if !s.is_empty() {
                s.push('.');
            }
            s
        }
        None => String::new(),
    }
}

fn policy(
    file: &SourceFile,
    v: Option<&Val>,
    span: Span,
    kind: DocumentKind,
    addr: &str,
) -> (Option<PolicyDocument>, Option<(Span, Unknown)>) {
    match v {
        Some(Val {
            kind: ValKind::Str(s),
            span: sp,
        }) if !s.is_empty() => {
            match crate::source::terraform::strmap::decode_in_source(s, *sp, file.slice(*sp)) {
                Ok(doc) => (Some(parse_document(&doc, kind)), None),
                Err(e) => (
                    Some(parse_document(
                        &Val::unknown(addr, format!("the policy is not valid JSON: {e}"), *sp),
                        kind,
                    )),
                    None,
                ),
            }
        }
        Some(Val {
            kind: ValKind::Map(_),
            ..
        }) => (v.map(|d| parse_document(d, kind)), None),
        _ => (
            None,
            Some((
                span,
                Unknown::new(
                    addr,
                    format!("{addr} is known only after apply in this plan"),
                ),
            )),
        ),
    }
}

/// Reads one plan file.
pub fn extract(ctx: &Context, path: &Path) -> Extraction {
    let mut out = Extraction::default();
    let display = ctx.display_path(path);
    let (id, file) = match ctx.load(path, display.clone()) {
        Ok(x) => x,
        Err(error) => {
            out.load_failures.push(LoadFailure { display, error });
            return out;
        }
    };
    let plan = match crate::source::json::parse(&file.text, id, 0) {
        Ok(v) => v,
        Err(e) => {
            out.errors.push(SourceError::at(
                Span::new(id, e.offset, e.offset + 1),
                format!("invalid plan JSON: {}", e.message),
            ));
            return out;
        }
    };
    let mut resources = Vec::new();
    if let Some(root) = plan
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        planned(root, &mut resources, 0);
    }
    let mut config = HashMap::new();
    if let Some(root) = plan.get("configuration").and_then(|c| c.get("root_module")) {
        configuration(root, "", &mut config, 0);
    }
    let s = |v: Option<&Val>| {
        v.filter(|v| !matches!(v.kind, ValKind::Null))
            .map(Str::from_val)
    };
    let mut roles: Vec<(Role, String)> = Vec::new();
    let mut policies: HashMap<String, AttachedPolicy> = HashMap::new();
    let mut links: Vec<PlanLink> = Vec::new();
    for r in &resources {
        let (Some(addr), Some(ty)) = (
            r.get("address").and_then(Val::as_str),
            r.get("type").and_then(Val::as_str),
        ) else {
            continue;
        };
        let values = r.get("values");
        let get = |k: &str| values.and_then(|v| v.get(k));
        let caddr = config_address(addr);
        let exprs = config.get(&caddr);
        let mp = module_prefix(&caddr);
        match ty {
            "aws_iam_role" => {
                let trust_v = get("assume_role_policy");
                let (trust, trust_unknown) = policy(
                    &file,
                    trust_v,
                    r.span,
                    DocumentKind::Trust,
                    &format!("{addr}.assume_role_policy"),
                );
                let mut role = Role {
                    address: addr.to_string(),
                    source: SourceKind::Terraform,
                    span: r.span,
                    resource_type: ty.to_string(),
                    name: s(get("name")),
                    path: s(get("path")),
                    trust,
                    trust_span: trust_v.map(|v| v.span),
                    trust_unknown,
                    inline_policies: Vec::new(),
                    managed_policies: Vec::new(),
                    permissions_boundary: s(get("permissions_boundary"))
                        .filter(|p| p.get() != Some("")),
                    boundary_policy: None,
                    max_session_duration: s(get("max_session_duration")),
                    name_is_prefix: false,
                    // tags_all has the provider's default_tags too; a plan that has neither knows
                    // them only after apply.
                    tags: match (get("tags_all"), get("tags")) {
                        (None, None) => crate::iam::model::Tags::unknown(
                            "tags_all",
                            format!("{addr}.tags_all is known only after apply in this plan"),
                        ),
                        (all, tags) => crate::iam::model::Tags::from_map(
                            all.filter(|v| !matches!(v.kind, ValKind::Null)).or(tags),
                        ),
                    },
                    notes: vec!["read from a plan file".into()],
                    metadata: Vec::new(),
                    root: crate::discover::repo_relative(&ctx.root, path),
                    state: Default::default(),
                    files: vec![id],
                };
                if let Some(Val {
                    kind: ValKind::List(ips),
                    ..
                }) = get("inline_policy")
                {
                    for ip in ips {
                        if ip
                            .get("policy")
                            .and_then(Val::as_str)
                            .is_none_or(str::is_empty)
                        {
                            continue;
                        }
                        let (document, unknown) = policy(
                            &file,
                            ip.get("policy"),
                            ip.span,
                            DocumentKind::Identity,
                            addr,
                        );
                        role.inline_policies.push(AttachedPolicy {
                            origin: "inline".into(),
                            name: s(ip.get("name")),
                            span: ip.span,
                            document,
                            unknown,
                        });
                    }
                }
                if let Some(Val {
                    kind: ValKind::List(arns),
                    ..
                }) = get("managed_policy_arns")
                {
                    for a in arns {
                        role.managed_policies.push(ManagedPolicyRef {
                            origin: format!("{addr}.managed_policy_arns"),
                            arn: Str::from_val(a),
                        });
                    }
                }
                roles.push((role, caddr));
            }
            "aws_iam_policy" => {
                let (document, unknown) =
                    policy(&file, get("policy"), r.span, DocumentKind::Identity, addr);
                let p = AttachedPolicy {
                    origin: addr.to_string(),
                    name: s(get("name")),
                    span: r.span,
                    document,
                    unknown,
                };
                if let Some(n) = get("name").and_then(Val::as_str) {
                    let path = get("path").and_then(Val::as_str).unwrap_or("/");
                    policies.insert(
                        format!("arn:aws:iam::{SELF_ACCOUNT}:policy{path}{n}"),
                        p.clone(),
                    );
                }
                if let Some(a) = get("arn").and_then(Val::as_str) {
                    policies.insert(a.to_string(), p.clone());
                }
                policies.insert(caddr.clone(), p);
            }
            "aws_iam_role_policy"
            | "aws_iam_role_policy_attachment"
            | "aws_iam_policy_attachment" => {
                let role_attr = if ty == "aws_iam_policy_attachment" {
                    "roles"
                } else {
                    "role"
                };
                let mut targets: Vec<String> = get(role_attr)
                    .map(|v| {
                        v.items()
                            .into_iter()
                            .filter_map(Val::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                targets.extend(references(exprs, role_attr, &mp));
                if ty == "aws_iam_role_policy" {
                    let (document, unknown) =
                        policy(&file, get("policy"), r.span, DocumentKind::Identity, addr);
                    links.push((
                        targets,
                        None,
                        Ok(AttachedPolicy {
                            origin: addr.to_string(),
                            name: s(get("name")),
                            span: r.span,
                            document,
                            unknown,
                        }),
                    ));
                } else {
                    let refs = references(exprs, "policy_arn", &mp);
                    let arn = get("policy_arn").cloned().unwrap_or_else(|| {
                        Val::unknown(
                            format!("{addr}.policy_arn"),
                            "known only after apply in this plan",
                            r.span,
                        )
                    });
                    links.push((
                        targets,
                        refs.into_iter().find(|r| r.contains("aws_iam_policy.")),
                        Err((addr.to_string(), arn)),
                    ));
                }
            }
            _ => {}
        }
    }
    for (targets, policy_ref, what) in links {
        for (role, caddr) in roles.iter_mut() {
            let name = role.name.as_ref().and_then(|n| n.get()).map(str::to_string);
            if !targets
                .iter()
                .any(|t| Some(t) == name.as_ref() || t == caddr)
            {
                continue;
            }
            match &what {
                Ok(p) => role.inline_policies.push(p.clone()),
                Err((origin, arn)) => {
                    let found = arn
                        .as_str()
                        .and_then(|a| policies.get(a))
                        .or_else(|| policy_ref.as_ref().and_then(|r| policies.get(r)));
                    match found {
                        Some(p) => role.inline_policies.push(p.clone()),
                        None => role.managed_policies.push(ManagedPolicyRef {
                            origin: origin.clone(),
                            arn: Str::from_val(arn),
                        }),
                    }
                }
            }
        }
    }
    out.roles = roles.into_iter().map(|(r, _)| r).collect();
    out
}
