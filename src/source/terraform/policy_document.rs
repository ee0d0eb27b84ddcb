//! `data "aws_iam_policy_document"`: statement blocks (with `dynamic` statement, principals and
//! condition blocks), `source_policy_documents` and `override_policy_documents` with the AWS
//! provider's merge rules (a statement with the same sid replaces the earlier one; statements
//! without a sid are appended; duplicate sids among source documents are an error). Builds the
//! IAM JSON shape as a [`Val`] whose spans point at the HCL: a statement at its block, a
//! principal identifier at its literal, a condition at its block. `.json` / `.minified_json`
//! render it and remember the text, so a role using the JSON gets these spans back.

use crate::source::SourceError;
use crate::span::Span;
use crate::value::{Key, Val, ValKind};

use super::eval::{Instance, Scope, as_string, sorted_entries};
use super::parse::{Body, Expr, Resource};

/// The `json` and `minified_json` attributes of a policy document data source instance.
pub fn json_of(inst: &Instance, res: &Resource, scope: &Scope) -> (Val, Val) {
    let doc = build(inst, &res.body, scope, res.span);
    if doc.is_unknown() {
        return (doc.clone(), doc);
    }
    let minified = super::functions::encode(&doc);
    let pretty = serde_json::to_string_pretty(&doc.to_json()).unwrap_or_else(|_| minified.clone());
    {
        let mut cache = inst.sh.json_vals.borrow_mut();
        cache.insert(minified.clone(), doc.clone());
        cache.insert(pretty.clone(), doc);
    }
    (Val::str(pretty, res.span), Val::str(minified, res.span))
}

fn key(name: &str, span: Span) -> Key {
    Key {
        name: name.to_string(),
        span,
    }
}

/// One item of a block list: a static or dynamic block, or an unknown dynamic collection.
pub enum BlockItem<'a, 's> {
    Block(&'a Body, &'s Scope<'s>, Span),
    Unknown(Val),
}

/// Calls `f` for each `kind` block of `body`, expanding `dynamic "kind"` blocks.
pub fn each_block(
    inst: &Instance,
    body: &Body,
    kind: &str,
    scope: &Scope,
    f: &mut dyn FnMut(BlockItem),
) {
    for b in &body.blocks {
        if b.kind == kind {
            f(BlockItem::Block(&b.body, scope, b.span));
            continue;
        }
        if b.kind != "dynamic" || b.labels.first().map(String::as_str) != Some(kind) {
            continue;
        }
        let Some(content) = b.body.blocks("content").next() else {
            continue;
        };
        let iter_name = match b.body.attr("iterator").map(|a| &a.expr) {
            Some(Expr::Hcl {
                expr: hcl::edit::expr::Expression::Variable(i),
                ..
            }) => i.as_str().to_string(),
            Some(e) => super::parse::literal_string(e).unwrap_or_else(|| kind.to_string()),
            None => kind.to_string(),
        };
        let coll = inst
            .eval_attr(&b.body, "for_each", scope)
            .unwrap_or_else(|| Val::new(ValKind::List(Vec::new()), b.span));
        let items: Vec<(Val, Val)> = match &coll.kind {
            ValKind::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (super::eval::num_val(i as f64, v.span), v.clone()))
                .collect(),
            ValKind::Map(entries) => sorted_entries(entries)
                .into_iter()
                .map(|(k, v)| (Val::str(k.name.clone(), k.span), v.clone()))
                .collect(),
            ValKind::Null => Vec::new(),
            ValKind::Unknown(u) => {
                f(BlockItem::Unknown(Val::unknown(
                    u.expr.clone(),
                    format!("the dynamic \"{kind}\" blocks are unknown: {}", u.reason),
                    b.span,
                )));
                continue;
            }
            _ => Vec::new(),
        };
        for (k, v) in items.into_iter().take(super::eval::MAX_ITEMS) {
            let obj = Val::new(
                ValKind::Map(vec![(key("key", k.span), k), (key("value", v.span), v)]),
                b.span,
            );
            let sc = scope.with(iter_name.as_str(), obj);
            f(BlockItem::Block(&content.body, &sc, content.span));
        }
    }
}

/// The document as an IAM JSON value.
pub fn build(inst: &Instance, body: &Body, scope: &Scope, span: Span) -> Val {
    let mut statements: Vec<Val> = Vec::new();
    if let Some(src) = inst.eval_attr(body, "source_policy_documents", scope) {
        let mut seen: Vec<String> = Vec::new();
        for doc in doc_list(inst, &src) {
            for st in doc {
                if let Some(sid) = sid_of(&st) {
                    if seen.contains(&sid) {
                        inst.sh.error(SourceError::at(
                            src.span,
                            format!("source_policy_documents hold two statements with sid \"{sid}\"; Terraform rejects this"),
                        ));
                    }
                    seen.push(sid);
                }
                statements.push(st);
            }
        }
    }
    let mut own = Vec::new();
    each_block(inst, body, "statement", scope, &mut |item| match item {
        BlockItem::Block(b, sc, sp) => own.push(statement(inst, b, sc, sp)),
        BlockItem::Unknown(u) => own.push(u),
    });
    for st in own {
        merge_sid(&mut statements, st);
    }
    if let Some(ov) = inst.eval_attr(body, "override_policy_documents", scope) {
        for doc in doc_list(inst, &ov) {
            for st in doc {
                merge_sid(&mut statements, st);
            }
        }
    }
    let version = inst
        .eval_attr(body, "version", scope)
        .unwrap_or_else(|| Val::str("2012-10-17", span));
    let mut entries = vec![(key("Version", version.span), version)];
    if let Some(id) = inst.eval_attr(body, "policy_id", scope) {
        entries.push((key("Id", id.span), id));
    }
    entries.push((
        key("Statement", span),
        Val::new(ValKind::List(statements), span),
    ));
    Val::new(ValKind::Map(entries), span)
}

fn sid_of(st: &Val) -> Option<String> {
    st.get("Sid").and_then(as_string).filter(|s| !s.is_empty())
}

/// A statement replaces an earlier one with the same sid; others are appended.
fn merge_sid(statements: &mut Vec<Val>, st: Val) {
    if let Some(sid) = sid_of(&st)
        && let Some(slot) = statements
            .iter_mut()
            .find(|s| sid_of(s).as_deref() == Some(&sid))
    {
        *slot = st;
        return;
    }
    statements.push(st);
}

/// The statements of each document of a list of JSON strings.
fn doc_list(inst: &Instance, v: &Val) -> Vec<Vec<Val>> {
    let items: Vec<&Val> = match &v.kind {
        ValKind::List(items) => items.iter().collect(),
        ValKind::Null => Vec::new(),
        _ => vec![v],
    };
    let mut out = Vec::new();
    for item in items {
        if item.is_unknown() || matches!(item.kind, ValKind::Null) {
            if item.is_unknown() {
                out.push(vec![item.clone()]);
            }
            continue;
        }
        match super::functions::decode(inst, item) {
            Ok(doc) => match doc.get("Statement") {
                Some(Val {
                    kind: ValKind::List(sts),
                    ..
                }) => out.push(sts.clone()),
                Some(st) => out.push(vec![st.clone()]),
                None => {}
            },
            Err(e) => inst.sh.error(SourceError::at(
                item.span,
                format!("a policy document is not valid JSON: {e}"),
            )),
        }
    }
    out
}

/// One `statement` block as an IAM statement.
fn statement(inst: &Instance, b: &Body, scope: &Scope, span: Span) -> Val {
    let mut entries: Vec<(Key, Val)> = Vec::new();
    if let Some(a) = b.attr("sid") {
        let v = inst.eval(&a.expr, scope);
        if v.as_str() != Some("") && !matches!(v.kind, ValKind::Null) {
            entries.push((key("Sid", a.key_span), v));
        }
    }
    match b.attr("effect") {
        Some(a) => entries.push((key("Effect", a.key_span), inst.eval(&a.expr, scope))),
        None => entries.push((key("Effect", span), Val::str("Allow", span))),
    }
    for (attr, elem) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(a) = b.attr(attr) {
            let v = inst.eval(&a.expr, scope);
            if !matches!(v.kind, ValKind::Null) {
                entries.push((key(elem, a.key_span), v));
            }
        }
    }
    for (kind, elem) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        if let Some(p) = principals(inst, b, kind, scope) {
            entries.push((key(elem, p.span), p));
        }
    }
    let mut conds: Vec<(Key, Val)> = Vec::new();
    let mut cond_span: Option<Span> = None;
    let mut cond_unknown: Option<Val> = None;
    each_block(inst, b, "condition", scope, &mut |item| match item {
        BlockItem::Unknown(u) => cond_unknown = Some(u),
        BlockItem::Block(cb, sc, csp) => {
            cond_span.get_or_insert(csp);
            let test = inst
                .eval_attr(cb, "test", sc)
                .unwrap_or_else(|| Val::new(ValKind::Null, csp));
            let var = inst
                .eval_attr(cb, "variable", sc)
                .unwrap_or_else(|| Val::new(ValKind::Null, csp));
            let values = inst
                .eval_attr(cb, "values", sc)
                .unwrap_or_else(|| Val::new(ValKind::List(Vec::new()), csp));
            // A test or variable that is not known keeps its place as `${expression}`, which
            // the policy reader turns back into an unknown; the other parts stay known.
            // A key with known parts (`"${var.issuer}:sub"`) keeps them, with `${expr}` in place
            // of each unknown part.
            let name_of = |v: &Val| {
                as_string(v).or_else(|| {
                    v.as_unknown().map(|u| match u.parts.is_empty() {
                        true => format!("${{{}}}", u.expr),
                        false => crate::value::template_text(&u.parts),
                    })
                })
            };
            let (Some(t), Some(vname)) = (name_of(&test), name_of(&var)) else {
                let u = if test.is_unknown() { test } else { var };
                conds.push((key("${condition}", csp), Val { span: csp, ..u }));
                return;
            };
            let var_span = cb
                .attr("variable")
                .map_or(csp, |a| Instance::expr_span(&a.expr));
            // Values of the same test and variable across blocks are merged.
            if let Some((
                _,
                Val {
                    kind: ValKind::Map(keys),
                    ..
                },
            )) = conds.iter_mut().find(|(k, _)| k.name == t)
            {
                if let Some((_, existing)) = keys.iter_mut().find(|(k, _)| k.name == vname)
                    && let (ValKind::List(a), ValKind::List(b)) =
                        (&mut existing.kind, values.kind.clone())
                {
                    a.extend(b);
                    return;
                }
                keys.push((key(&vname, var_span), values));
                return;
            }
            let body = Val::new(ValKind::Map(vec![(key(&vname, var_span), values)]), csp);
            conds.push((key(&t, csp), body));
        }
    });
    if let Some(u) = cond_unknown {
        entries.push((key("Condition", u.span), u));
    } else if !conds.is_empty() {
        let csp = cond_span.unwrap_or(span);
        entries.push((key("Condition", csp), Val::new(ValKind::Map(conds), csp)));
    }
    Val::new(ValKind::Map(entries), span)
}

/// The `principals` (or `not_principals`) blocks of a statement as one Principal value.
fn principals(inst: &Instance, b: &Body, kind: &str, scope: &Scope) -> Option<Val> {
    let mut map: Vec<(Key, Val)> = Vec::new();
    let mut first: Option<Span> = None;
    let mut star = false;
    let mut unknown: Option<Val> = None;
    each_block(inst, b, kind, scope, &mut |item| match item {
        BlockItem::Unknown(u) => unknown = Some(u),
        BlockItem::Block(pb, sc, psp) => {
            first.get_or_insert(psp);
            let ty = inst
                .eval_attr(pb, "type", sc)
                .unwrap_or_else(|| Val::new(ValKind::Null, psp));
            let ids = inst
                .eval_attr(pb, "identifiers", sc)
                .unwrap_or_else(|| Val::new(ValKind::List(Vec::new()), psp));
            let Some(t) = as_string(&ty) else {
                unknown = Some(if ty.is_unknown() {
                    ty
                } else {
                    Val::unknown("type", "the principal type is missing", psp)
                });
                return;
            };
            if t == "*" {
                star = true;
                return;
            }
            let ids: Vec<Val> = match ids.kind {
                ValKind::List(items) => items,
                _ => vec![ids],
            };
            if let Some((
                _,
                Val {
                    kind: ValKind::List(l),
                    ..
                },
            )) = map.iter_mut().find(|(k, _)| k.name == t)
            {
                l.extend(ids);
            } else {
                map.push((key(&t, ty.span), Val::new(ValKind::List(ids), psp)));
            }
        }
    });
    let span = first?;
    if let Some(u) = unknown {
        if map.is_empty() {
            return Some(u);
        }
        // Keep the known types; the unknown block joins as an unknown AWS-typed value.
        let name = "AWS";
        if let Some((
            _,
            Val {
                kind: ValKind::List(l),
                ..
            },
        )) = map.iter_mut().find(|(k, _)| k.name == name)
        {
            l.push(u);
        } else {
            map.push((key(name, u.span), Val::new(ValKind::List(vec![u]), span)));
        }
    }
    if star && map.is_empty() {
        return Some(Val::str("*", span));
    }
    Some(Val::new(ValKind::Map(map), span))
}
