//! Variable type constraints, as far as they change a value: `optional(T, default)` attributes
//! of object types (Terraform 1.3+). An attribute the value omits, or sets to null, takes the
//! default (converted by its own type, so nested optional attributes are filled too), or null
//! without one; through nested objects, lists, sets, maps and tuples. Other conversions
//! (numbers to strings and the like) are left to the evaluator, which already compares values
//! as IAM does.

use hcl::edit::expr::{Expression, ObjectKey};

use crate::span::FileId;
use crate::value::{Key, Val, ValKind};

use super::eval::{Instance, Scope};

/// Deepest type nesting followed; real types nest a handful of levels.
const MAX_DEPTH: usize = 32;

/// `v` converted by the type constraint `ty` (written in `file`).
pub fn apply(inst: &Instance, ty: &Expression, file: FileId, v: Val) -> Val {
    convert(inst, ty, file, v, 0)
}

fn convert(inst: &Instance, ty: &Expression, file: FileId, v: Val, depth: usize) -> Val {
    if depth > MAX_DEPTH || v.is_unknown() {
        return v;
    }
    let ty = match ty {
        Expression::Parenthesis(p) => p.inner(),
        t => t,
    };
    let Expression::FuncCall(fc) = ty else {
        return v;
    };
    if !fc.name.namespace.is_empty() {
        return v;
    }
    let args: Vec<&Expression> = fc.args.iter().collect();
    match (fc.name.name.as_str(), args.as_slice()) {
        ("optional", [inner, ..]) => convert(inst, inner, file, v, depth + 1),
        ("list" | "set", [elem]) => match v.kind {
            ValKind::List(items) => Val::new(
                ValKind::List(
                    items
                        .into_iter()
                        .map(|x| convert(inst, elem, file, x, depth + 1))
                        .collect(),
                ),
                v.span,
            ),
            kind => Val::new(kind, v.span),
        },
        ("map", [elem]) => match v.kind {
            ValKind::Map(entries) => Val::new(
                ValKind::Map(
                    entries
                        .into_iter()
                        .map(|(k, x)| (k, convert(inst, elem, file, x, depth + 1)))
                        .collect(),
                ),
                v.span,
            ),
            kind => Val::new(kind, v.span),
        },
        ("tuple", [Expression::Array(types)]) => match v.kind {
            ValKind::List(items) => {
                let types: Vec<&Expression> = types.iter().collect();
                let out = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| match types.get(i) {
                        Some(t) => convert(inst, t, file, x, depth + 1),
                        None => x,
                    })
                    .collect();
                Val::new(ValKind::List(out), v.span)
            }
            kind => Val::new(kind, v.span),
        },
        ("object", [Expression::Object(attrs)]) => {
            let ValKind::Map(mut entries) = v.kind else {
                return v;
            };
            for (k, attr) in attrs.iter() {
                let name = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
                    ObjectKey::Expression(_) => continue,
                };
                let aty = attr.expr();
                let pos = entries.iter().rposition(|(key, _)| key.name == name);
                let given = pos.map(|i| &entries[i].1);
                let absent = given.is_none_or(|x| matches!(x.kind, ValKind::Null));
                let filled = match optional_default(aty) {
                    Some(default) if absent => match default {
                        Some(d) => {
                            let dv = inst.eval_hcl(d, file, 0, &Scope::empty());
                            convert(inst, aty, file, dv, depth + 1)
                        }
                        None => Val::new(ValKind::Null, v.span),
                    },
                    _ => match pos {
                        Some(i) => {
                            let x = entries[i].1.clone();
                            convert(inst, aty, file, x, depth + 1)
                        }
                        // A required attribute that is missing: Terraform rejects the value;
                        // reading it later says which attribute is missing.
                        None => continue,
                    },
                };
                match pos {
                    Some(i) => entries[i].1 = filled,
                    None => entries.push((Key { name, span: v.span }, filled)),
                }
            }
            Val::new(ValKind::Map(entries), v.span)
        }
        _ => v,
    }
}

/// For `optional(T)` `Some(None)`, for `optional(T, d)` `Some(Some(d))`, else `None`.
fn optional_default(ty: &Expression) -> Option<Option<&Expression>> {
    let Expression::FuncCall(fc) = ty else {
        return None;
    };
    if fc.name.name.as_str() != "optional" || !fc.name.namespace.is_empty() {
        return None;
    }
    let args: Vec<&Expression> = fc.args.iter().collect();
    Some(args.get(1).copied())
}
