//! The JSON output, version 1 (documented in docs/json-output.md). `check` gives findings,
//! errors and a summary; `roles` gives the inventory; `rules` lists the rules.

use serde_json::{Value, json};

use crate::iam::model::{AttachedPolicy, PolicyDocument, Role, Str};
use crate::iam::principals::{Class, Trust, classify, relate};
use crate::rules::{Rule, Severity};
use crate::run::Outcome;
use crate::span::Span;
use crate::value::Unknown;

pub const VERSION: u32 = 1;

fn tool() -> Value {
    json!({"name": "iamlint", "version": env!("CARGO_PKG_VERSION")})
}

fn finding(o: &Outcome, f: &crate::rules::engine::Finding) -> Value {
    let (line, column, end_line, end_column) = super::position(&o.sources, f);
    json!({
        "rule": f.rule,
        "title": f.title,
        "severity": f.severity.as_str(),
        "message": f.message,
        "file": o.sources.display(f.span.file),
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "resource": f.resource,
        "root": f.root,
        "role": f.role,
        "notes": f.notes,
        "fingerprint": f.fingerprint,
    })
}

/// The check report.
pub fn check(o: &Outcome) -> Value {
    let findings: Vec<Value> = o.findings.iter().map(|f| finding(o, f)).collect();
    let errors: Vec<Value> = o
        .errors
        .iter()
        .map(|e| json!({"file": e.file, "line": e.line, "column": e.column, "message": e.message}))
        .collect();
    let mut by_sev = serde_json::Map::new();
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = o.findings.iter().filter(|f| f.severity == s).count();
        by_sev.insert(s.as_str().into(), json!(n));
    }
    let mut out = json!({
        "version": VERSION,
        "tool": tool(),
        "findings": findings,
        "errors": errors,
        "summary": {
            "files": o.files_scanned,
            "roles": o.roles.len(),
            "findings": o.findings.len(),
            "by_severity": by_sev,
            "errors": o.errors.len(),
            "suppressed": o.suppressed.len(),
            "baselined": o.baselined,
            "diff": o.diff.as_ref().map(|d| json!({
                "ref": d.reference,
                "existing": d.existing,
                "trust_changes": d.trusts.iter().map(|c| json!({
                    "change": c.kind.as_str(),
                    "message": c.describe(),
                    "edge": crate::trusts::render::edge_json(&c.edge),
                    "guards": c.guards.iter().map(|g| g.describe()).collect::<Vec<_>>(),
                    "approved_in_change": c.approved_in_change,
                })).collect::<Vec<_>>(),
                "gate_changes": d.gate.iter().map(|g| json!({
                    "file": g.file,
                    "change": g.change,
                    "approvals": g.approvals.iter().map(|a| json!({
                        "change": a.change,
                        "line": a.line,
                        "root": a.entry.root,
                        "role": a.entry.role,
                        "type": a.entry.principal_type,
                        "principal": a.entry.principal,
                        "guards": a.entry.guards.labels(),
                        "expires": a.entry.human.expires,
                        "message": a.describe(),
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })),
        }
    });
    if o.show_suppressed
        && let Some(map) = out.as_object_mut()
    {
        let shown: Vec<Value> = o
            .suppressed
            .iter()
            .map(|s| {
                let mut v = finding(o, &s.finding);
                if let Some(m) = v.as_object_mut() {
                    m.insert(
                        "suppression".into(),
                        json!({"kind": "inSource", "reason": s.reasons.join("; ")}),
                    );
                }
                v
            })
            .collect();
        map.insert("suppressed".into(), Value::Array(shown));
    }
    out
}

fn str_json(s: &crate::iam::model::Str) -> Value {
    match &s.value {
        Ok(v) => json!(v),
        Err(u) => json!({"unknown": u.expr, "reason": u.reason}),
    }
}

fn document(doc: &PolicyDocument, trust: &(dyn Trust + Sync)) -> Value {
    let statements: Vec<Value> = doc
        .statements
        .iter()
        .map(|st| {
            let principals = |set: &Option<crate::iam::model::PrincipalSet>| -> Value {
                let Some(set) = set else { return Value::Null };
                Value::Array(
                    set.entries
                        .iter()
                        .map(|p| {
                            let class = classify(p);
                            let (kind, account) = match &class {
                                Class::Any => ("any", None),
                                Class::Account { account, .. } => ("account", Some(account.clone())),
                                Class::Service { .. } => ("service", None),
                                Class::Federated { account, .. } => ("federated", account.clone()),
                                Class::CanonicalUser => ("canonical_user", None),
                                Class::Unresolved => ("unresolved", None),
                                Class::Invalid(_) => ("invalid", None),
                            };
                            let relation = match &class {
                                Class::Any => Some("any".to_string()),
                                _ => account.as_deref().map(|a| relate(a, trust).0.id().to_string()),
                            };
                            let provider = match &class {
                                Class::Federated { provider, .. } => Some(provider.id()),
                                _ => None,
                            };
                            json!({
                                "type": if p.type_name.is_empty() { "*" } else { p.type_name.as_str() },
                                "kind": kind,
                                "value": str_json(&p.value),
                                "account": account,
                                "relation": relation,
                                "provider": provider,
                            })
                        })
                        .collect(),
                )
            };
            let strings = |s: &Option<crate::iam::model::Strings>| -> Value {
                s.as_ref()
                    .map(|s| Value::Array(s.items.iter().map(str_json).collect()))
                    .unwrap_or(Value::Null)
            };
            let conditions: Vec<Value> = st
                .conditions
                .iter()
                .map(|c| {
                    json!({
                        "operator": str_json(&c.operator),
                        "key": str_json(&c.key),
                        "values": c.values.iter().map(str_json).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "sid": st.sid.as_ref().map(str_json),
                "effect": st.effect,
                "principals": principals(&st.principal),
                "not_principals": principals(&st.not_principal),
                "actions": strings(&st.action),
                "not_actions": strings(&st.not_action),
                "resources": strings(&st.resource),
                "not_resources": strings(&st.not_resource),
                "conditions": conditions,
            })
        })
        .collect();
    json!({"version": doc.version.as_ref().map(str_json), "statements": statements})
}

/// Every unknown part of a permission policy, with its span: the whole policy, unresolved parts
/// of the document, and any effect, principal, action, resource or condition part. A policy is
/// resolved only when this is empty.
fn policy_unknowns(p: &AttachedPolicy) -> Vec<(Span, &Unknown)> {
    let mut out: Vec<(Span, &Unknown)> = Vec::new();
    if let Some((span, u)) = &p.unknown {
        out.push((*span, u));
    }
    let Some(doc) = &p.document else {
        return out;
    };
    out.extend(doc.unknowns.iter().map(|(s, u)| (*s, u)));
    if let Some(u) = doc.version.as_ref().and_then(Str::unknown) {
        out.push((doc.version.as_ref().map_or(doc.span, |v| v.span), u));
    }
    for st in &doc.statements {
        out.extend(st.unknown_parts(true));
    }
    out
}

/// One role of the inventory.
pub fn role(o: &Outcome, r: &Role, trust: &(dyn Trust + Sync)) -> Value {
    let line = o.sources.range(r.span).map_or(1, |(s, _)| s.line);
    let unresolved: Vec<Value> = r
        .trust_unknowns()
        .into_iter()
        .map(|(span, u)| {
            let (l, c) = o.sources.range(span).map_or((1, 1), |(s, _)| (s.line, s.column));
            json!({"expression": u.expr, "reason": u.reason, "file": o.sources.display(span.file), "line": l, "column": c})
        })
        .collect();
    let mut files: Vec<String> = r.files.iter().map(|f| o.sources.display(*f)).collect();
    files.sort();
    files.dedup();
    json!({
        "address": r.address,
        "root": r.root,
        "state": r.state.as_str(),
        "state_reason": r.state.reason(),
        "files_read": files,
        "file": o.sources.display(r.span.file),
        "line": line,
        "name": r.name.as_ref().map(str_json),
        "source": r.source,
        "resource_type": r.resource_type,
        "trust": r.trust.as_ref().map(|d| document(d, trust)),
        "trust_resolved": r.trust_resolved(),
        "trust_decided": r.trust_decided(),
        "unresolved": unresolved,
        "inline_policies": r.inline_policies.iter().map(|p| {
            let unresolved: Vec<Value> = policy_unknowns(p)
                .into_iter()
                .map(|(span, u)| {
                    let (l, c) = o.sources.range(span).map_or((1, 1), |(s, _)| (s.line, s.column));
                    json!({"expression": u.expr, "reason": u.reason, "file": o.sources.display(span.file), "line": l, "column": c})
                })
                .collect();
            json!({
                "origin": p.origin,
                "name": p.name.as_ref().map(str_json),
                "resolved": p.document.is_some() && unresolved.is_empty(),
                "unresolved": unresolved,
            })
        }).collect::<Vec<_>>(),
        "managed_policies": r.managed_policies.iter().map(|m| json!({
            "origin": m.origin,
            "arn": str_json(&m.arn),
        })).collect::<Vec<_>>(),
        "permissions_boundary": r.permissions_boundary.as_ref().map(str_json),
        "max_session_duration": r.max_session_duration.as_ref().map(str_json),
        "path": r.path.as_ref().map(str_json),
        "notes": r.notes,
        "metadata": r.metadata.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
    })
}

/// The inventory report.
pub fn roles(o: &Outcome, trust: &(dyn Trust + Sync)) -> Value {
    let errors: Vec<Value> = o
        .errors
        .iter()
        .map(|e| json!({"file": e.file, "line": e.line, "column": e.column, "message": e.message}))
        .collect();
    json!({
        "version": VERSION,
        "tool": tool(),
        "roles": o.roles.iter().map(|r| role(o, r, trust)).collect::<Vec<_>>(),
        "errors": errors,
        "summary": {
            "roles": o.roles.len(),
            "trust_resolved": o.roles.iter().filter(|r| r.trust_resolved()).count(),
            "trust_decided": o.roles.iter().filter(|r| r.trust_decided()).count(),
            "errors": o.errors.len(),
        }
    })
}

/// The rule list.
pub fn rules(rules: &[Rule]) -> Value {
    json!({
        "version": VERSION,
        "rules": rules.iter().map(|r| json!({
            "id": r.id,
            "title": r.title,
            "severity": r.severity.as_str(),
            "scope": r.scope.as_str(),
            "equivalents": r.equivalents,
            "enabled_by_default": r.enabled_by_default,
            "origin": r.origin,
        })).collect::<Vec<_>>(),
    })
}
