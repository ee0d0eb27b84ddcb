//! Terraform's built-in functions over [`Val`]: encoding (jsonencode/jsondecode), collections
//! (merge, concat, flatten, lookup, zipmap, ...), strings (format, join, replace with regex, ...),
//! files (file, templatefile, fileexists, read only inside the scanned root) and conversions.
//! An unknown argument makes the result unknown, except where the known parts survive (concat,
//! flatten, lists). Sizes are bounded (see [`super::eval::MAX_ITEMS`] and `MAX_STR`).

use std::path::PathBuf;
use std::rc::Rc;

use hcl::edit::expr::FuncCall;

use crate::source::SourceError;
use crate::span::{FileId, Span};
use crate::value::{Key, Val, ValKind};

use super::eval::{
    ERR, Instance, MAX_ITEMS, MAX_STR, Scope, as_bool, as_num, as_string, equal, err_val,
    first_unknown, is_spread, num_val, sorted_entries, spread,
};
use super::{collections, crypto, encoding, network, time};

/// Evaluates a function call.
pub fn call(
    inst: &Instance,
    fc: &FuncCall,
    file: FileId,
    base: usize,
    scope: &Scope,
    span: Span,
) -> Val {
    let namespace: Vec<&str> = fc.name.namespace.iter().map(|n| n.as_str()).collect();
    let name = match (namespace.as_slice(), fc.name.name.as_str()) {
        ([], n) => n,
        // The AWS provider's pure functions are evaluated like built-ins.
        (["provider", "aws"], "arn_build") => "provider::aws::arn_build",
        (["provider", "aws"], "arn_parse") => "provider::aws::arn_parse",
        (_, n) => n,
    };
    let text = || inst.sh.text(span);
    if !fc.name.namespace.is_empty() && !name.starts_with("provider::aws::") {
        return Val::unknown(
            text(),
            "provider-defined functions are not evaluated offline",
            span,
        );
    }
    let arg_exprs: Vec<&hcl::edit::expr::Expression> = fc.args.iter().collect();
    // Lazily evaluated functions.
    match name {
        "try" => {
            let mut last = None;
            for a in &arg_exprs {
                let v = inst.eval_hcl(a, file, base, scope);
                if !is_error(&v) {
                    return v;
                }
                last = Some(v);
            }
            return last.unwrap_or_else(|| err_val(text(), "try needs arguments", span));
        }
        "can" => {
            let Some(a) = arg_exprs.first() else {
                return err_val(text(), "can needs one argument", span);
            };
            let v = inst.eval_hcl(a, file, base, scope);
            return if is_error(&v) {
                Val::new(ValKind::Bool(false), span)
            } else if v.is_unknown() {
                Val::unknown(
                    text(),
                    v.as_unknown().map_or(String::new(), |u| u.reason.clone()),
                    span,
                )
            } else {
                Val::new(ValKind::Bool(true), span)
            };
        }
        // Terraform takes the template of templatestring only from a reference to a string,
        // never from a literal (whose own interpolations would already have run).
        "templatestring"
            if !matches!(
                arg_exprs.first(),
                Some(hcl::edit::expr::Expression::Traversal(_))
                    | Some(hcl::edit::expr::Expression::Variable(_))
            ) =>
        {
            return err_val(
                text(),
                "templatestring: invalid template expression: must be a direct reference to a single string",
                span,
            );
        }
        _ => {}
    }
    let mut args: Vec<Val> = arg_exprs
        .iter()
        .map(|a| inst.eval_hcl(a, file, base, scope))
        .collect();
    if fc.args.expand_final()
        && let Some(last) = args.pop()
    {
        match last.kind {
            ValKind::List(items) => args.extend(items),
            _ => args.push(last),
        }
    }
    let f = Call { inst, span, name };
    f.run(&args)
}

fn is_error(v: &Val) -> bool {
    matches!(&v.kind, ValKind::Unknown(u) if u.reason.starts_with(ERR))
}

struct Call<'a, 'c> {
    inst: &'a Instance<'c>,
    span: Span,
    name: &'a str,
}

fn list_items(v: &Val) -> Option<&Vec<Val>> {
    match &v.kind {
        ValKind::List(items) => Some(items),
        _ => None,
    }
}

impl Call<'_, '_> {
    fn text(&self) -> String {
        self.inst.sh.text(self.span)
    }

    fn err(&self, msg: impl std::fmt::Display) -> Val {
        err_val(self.text(), format!("{}: {msg}", self.name), self.span)
    }

    fn unknown_from(&self, v: &Val) -> Val {
        let reason = v.as_unknown().map_or(String::new(), |u| u.reason.clone());
        Val::unknown(self.text(), reason, self.span)
    }

    fn s(&self, v: String) -> Val {
        if v.len() > MAX_STR {
            return self.err("the result is too long");
        }
        Val::str(v, self.span)
    }

    /// A list element that stands for an unknown number of elements.
    fn spread(&self, v: &Val) -> Val {
        spread(v, || self.text())
    }

    /// Unknown when `items` holds an element standing for an unknown number of elements: the
    /// length and the positions are then unknown.
    fn no_spread(&self, items: &[Val]) -> Result<(), Val> {
        match items.iter().find(|i| is_spread(i)) {
            Some(s) => Err(self.unknown_from(s)),
            None => Ok(()),
        }
    }

    fn list(&self, items: Vec<Val>) -> Val {
        if items.len() > MAX_ITEMS {
            return self.err("the result has too many elements");
        }
        Val::new(ValKind::List(items), self.span)
    }

    fn bool(&self, b: bool) -> Val {
        Val::new(ValKind::Bool(b), self.span)
    }

    /// Arguments must all be known (scalars and containers with unknowns inside are fine for
    /// the caller to check).
    fn known<'v>(&self, args: &'v [Val]) -> Result<&'v [Val], Val> {
        match first_unknown(args) {
            Some(u) => Err(self.unknown_from(u)),
            None => Ok(args),
        }
    }

    fn str_arg(&self, args: &[Val], i: usize) -> Result<String, Val> {
        let v = args
            .get(i)
            .ok_or_else(|| self.err(format!("argument {} is missing", i + 1)))?;
        if v.is_unknown() {
            return Err(self.unknown_from(v));
        }
        as_string(v).ok_or_else(|| self.err(format!("argument {} must be a string", i + 1)))
    }

    fn list_arg<'v>(&self, args: &'v [Val], i: usize) -> Result<&'v Vec<Val>, Val> {
        let v = args
            .get(i)
            .ok_or_else(|| self.err(format!("argument {} is missing", i + 1)))?;
        if v.is_unknown() {
            return Err(self.unknown_from(v));
        }
        list_items(v).ok_or_else(|| self.err(format!("argument {} must be a list", i + 1)))
    }

    fn run(&self, args: &[Val]) -> Val {
        match self.dispatch(args) {
            Ok(v) | Err(v) => v,
        }
    }

    fn dispatch(&self, args: &[Val]) -> Result<Val, Val> {
        let span = self.span;
        Ok(match self.name {
            "provider::aws::arn_build" => {
                let parts: Vec<String> = (0..5)
                    .map(|i| self.str_arg(args, i))
                    .collect::<Result<_, _>>()?;
                Val::str(format!("arn:{}", parts.join(":")), span)
            }
            "provider::aws::arn_parse" => {
                let arn = self.str_arg(args, 0)?;
                let parts: Vec<&str> = arn.splitn(6, ':').collect();
                let [_, partition, service, region, account_id, resource] = parts.as_slice() else {
                    return Err(self.err(format!("`{arn}` is not an ARN")));
                };
                let entry = |k: &str, v: &str| {
                    (
                        Key {
                            name: k.to_string(),
                            span,
                        },
                        Val::str(v, span),
                    )
                };
                Val::new(
                    ValKind::Map(vec![
                        entry("account_id", account_id),
                        entry("partition", partition),
                        entry("region", region),
                        entry("resource", resource),
                        entry("service", service),
                    ]),
                    span,
                )
            }
            "jsonencode" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                if v.is_unknown() {
                    return Err(self.unknown_from(v));
                }
                let text = encode(v);
                if text.len() > MAX_STR {
                    return Err(self.err("the result is too long"));
                }
                self.inst
                    .sh
                    .json_vals
                    .borrow_mut()
                    .insert(text.clone(), v.clone());
                Val::str(text, span)
            }
            "jsondecode" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                if v.is_unknown() {
                    return Err(self.unknown_from(v));
                }
                match decode(self.inst, v) {
                    Ok(d) => d,
                    Err(e) => self.err(e),
                }
            }
            "merge" => {
                let args = self.known(args)?;
                let mut out: Vec<(Key, Val)> = Vec::new();
                for a in args {
                    match &a.kind {
                        ValKind::Map(entries) => {
                            for (k, v) in entries {
                                out.retain(|(x, _)| x.name != k.name);
                                out.push((k.clone(), v.clone()));
                            }
                        }
                        ValKind::Null => {}
                        _ => return Err(self.err("arguments must be maps or objects")),
                    }
                }
                Val::new(ValKind::Map(out), span)
            }
            "concat" => {
                let mut out = Vec::new();
                for a in args {
                    match &a.kind {
                        ValKind::List(items) => out.extend(items.iter().cloned()),
                        // An unknown list adds an unknown number of elements.
                        ValKind::Unknown(_) => out.push(self.spread(a)),
                        _ => return Err(self.err("arguments must be lists")),
                    }
                    if out.len() > MAX_ITEMS {
                        return Err(self.err("the result has too many elements"));
                    }
                }
                self.list(out)
            }
            "flatten" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                let mut out = Vec::new();
                flatten_into(v, &mut out, 0);
                if v.is_unknown() {
                    return Err(self.unknown_from(v));
                }
                self.list(out)
            }
            "distinct" | "toset" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                if v.is_unknown() {
                    return Err(self.unknown_from(v));
                }
                let items = match &v.kind {
                    ValKind::List(items) => items.clone(),
                    ValKind::Null => Vec::new(),
                    _ => return Err(self.err("needs a list")),
                };
                let mut out: Vec<Val> = Vec::new();
                for i in items {
                    if i.is_unknown() {
                        // It may equal another element and merge with it.
                        out.push(self.spread(&i));
                    } else if !out.iter().any(|o| equal(o, &i) == Some(true)) {
                        out.push(i);
                    }
                }
                if self.name == "toset" && out.iter().all(|i| matches!(i.kind, ValKind::Str(_))) {
                    out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                self.list(out)
            }
            "tolist" | "tomap" | "nonsensitive" | "sensitive" | "tostring" | "type" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                if self.name == "tostring" {
                    if v.is_unknown() || matches!(v.kind, ValKind::Null) {
                        return Ok(v.clone());
                    }
                    return Ok(self
                        .s(as_string(v)
                            .ok_or_else(|| self.err("needs a string, number or bool"))?));
                }
                v.clone()
            }
            "tonumber" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                if v.is_unknown() || matches!(v.kind, ValKind::Null) {
                    return Ok(v.clone());
                }
                num_val(as_num(v).ok_or_else(|| self.err("not a number"))?, span)
            }
            "tobool" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                if v.is_unknown() || matches!(v.kind, ValKind::Null) {
                    return Ok(v.clone());
                }
                self.bool(as_bool(v).ok_or_else(|| self.err("not a bool"))?)
            }
            "compact" => {
                let items = self.list_arg(args, 0)?;
                self.list(
                    items
                        .iter()
                        .filter(|i| !matches!(&i.kind, ValKind::Null) && i.as_str() != Some(""))
                        // An unknown element may be null or empty and go.
                        .map(|i| {
                            if i.is_unknown() {
                                self.spread(i)
                            } else {
                                i.clone()
                            }
                        })
                        .collect(),
                )
            }
            "keys" | "values" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                if v.is_unknown() {
                    return Err(self.unknown_from(v));
                }
                let ValKind::Map(entries) = &v.kind else {
                    return Err(self.err("needs a map"));
                };
                let sorted = sorted_entries(entries);
                self.list(
                    sorted
                        .into_iter()
                        .filter(|(k, _)| !super::eval::is_hidden_key(&k.name))
                        .map(|(k, v)| {
                            if self.name == "keys" {
                                Val::str(k.name.clone(), k.span)
                            } else {
                                v.clone()
                            }
                        })
                        .collect(),
                )
            }
            "lookup" => {
                let m = args.first().ok_or_else(|| self.err("needs a map"))?;
                let k = self.str_arg(args, 1)?;
                if m.is_unknown() {
                    return Err(self.unknown_from(m));
                }
                match m.get(&k) {
                    Some(v) => v.clone(),
                    None => match args.get(2) {
                        Some(d) => d.clone(),
                        None => return Err(self.err(format!("the key {k} is not in the map"))),
                    },
                }
            }
            "element" => {
                let items = self.list_arg(args, 0)?;
                self.no_spread(items)?;
                let i = args.get(1).ok_or_else(|| self.err("needs an index"))?;
                if i.is_unknown() {
                    return Err(self.unknown_from(i));
                }
                let n = as_num(i).ok_or_else(|| self.err("the index must be a number"))?;
                if items.is_empty() || n < 0.0 {
                    return Err(self.err("cannot use element on an empty list"));
                }
                items
                    .get(n as usize % items.len())
                    .cloned()
                    .unwrap_or_else(|| self.err("out of range"))
            }
            "index" => {
                let items = self.list_arg(args, 0)?;
                let v = args.get(1).ok_or_else(|| self.err("needs a value"))?;
                match items.iter().position(|i| equal(i, v) != Some(false)) {
                    Some(p) if equal(&items[p], v) == Some(true) => num_val(p as f64, span),
                    // An element before the match, or the value, is unknown.
                    Some(p) => return Err(self.unknown_from(&items[p])),
                    None => return Err(self.err("the value is not in the list")),
                }
            }
            "length" => {
                let v = args.first().ok_or_else(|| self.err("needs one argument"))?;
                match &v.kind {
                    ValKind::List(items) => {
                        self.no_spread(items)?;
                        num_val(items.len() as f64, span)
                    }
                    ValKind::Map(entries) => num_val(
                        entries
                            .iter()
                            .filter(|(k, _)| !super::eval::is_hidden_key(&k.name))
                            .count() as f64,
                        span,
                    ),
                    ValKind::Str(s) => num_val(s.chars().count() as f64, span),
                    ValKind::Unknown(_) => return Err(self.unknown_from(v)),
                    _ => return Err(self.err("needs a list, map or string")),
                }
            }
            "contains" => {
                let items = self.list_arg(args, 0)?;
                let v = args.get(1).ok_or_else(|| self.err("needs a value"))?;
                let mut unknown = v.is_unknown();
                for i in items {
                    match equal(i, v) {
                        Some(true) => return Ok(self.bool(true)),
                        None => unknown = true,
                        _ => {}
                    }
                }
                if unknown {
                    return Err(Val::unknown(
                        self.text(),
                        "an element compared is unknown",
                        span,
                    ));
                }
                self.bool(false)
            }
            "coalesce" => {
                for a in args {
                    if a.is_unknown() {
                        return Err(self.unknown_from(a));
                    }
                    if !matches!(a.kind, ValKind::Null) && a.as_str() != Some("") {
                        return Ok(a.clone());
                    }
                }
                return Err(self.err("no non-null, non-empty argument"));
            }
            "coalescelist" => {
                for a in args {
                    if a.is_unknown() {
                        return Err(self.unknown_from(a));
                    }
                    if let Some(l) = list_items(a)
                        && !l.is_empty()
                    {
                        if l.iter().all(is_spread) {
                            // It may be empty.
                            return Err(self.no_spread(l).err().unwrap_or_else(|| a.clone()));
                        }
                        return Ok(a.clone());
                    }
                }
                return Err(self.err("no non-empty list"));
            }
            "one" => {
                let items = self.list_arg(args, 0)?;
                self.no_spread(items)?;
                match items.len() {
                    0 => Val::new(ValKind::Null, span),
                    1 => items
                        .first()
                        .cloned()
                        .unwrap_or_else(|| Val::new(ValKind::Null, span)),
                    _ => return Err(self.err("the list has more than one element")),
                }
            }
            "sort" => {
                let items = self.list_arg(args, 0)?;
                if let Some(u) = first_unknown(items.iter()) {
                    return Err(self.unknown_from(u));
                }
                let mut out = items.clone();
                out.sort_by_key(|v| as_string(v).unwrap_or_default());
                self.list(out)
            }
            "reverse" => {
                let items = self.list_arg(args, 0)?;
                self.list(items.iter().rev().cloned().collect())
            }
            "slice" => {
                let items = self.list_arg(args, 0)?;
                self.no_spread(items)?;
                // An unknown bound (`var.at_edge ? 2 : 1`) makes the slice unknown, not bad.
                if let Some(u) = args.iter().skip(1).find(|a| a.is_unknown()) {
                    return Err(self.unknown_from(u));
                }
                let a = args
                    .get(1)
                    .and_then(as_num)
                    .ok_or_else(|| self.err("bad start"))? as usize;
                let b = args
                    .get(2)
                    .and_then(as_num)
                    .ok_or_else(|| self.err("bad end"))? as usize;
                match items.get(a..b) {
                    Some(s) => self.list(s.to_vec()),
                    None => return Err(self.err("out of range")),
                }
            }
            "setunion" => {
                let mut out: Vec<Val> = Vec::new();
                for a in args {
                    match &a.kind {
                        ValKind::List(items) => {
                            for i in items {
                                if i.is_unknown() {
                                    out.push(self.spread(i));
                                } else if !out.iter().any(|o| equal(o, i) == Some(true)) {
                                    out.push(i.clone());
                                }
                            }
                        }
                        ValKind::Unknown(_) => out.push(self.spread(a)),
                        _ => return Err(self.err("arguments must be sets")),
                    }
                }
                self.list(out)
            }
            "setintersection" | "setsubtract" => {
                let first = self.list_arg(args, 0)?;
                if let Some(u) = first_unknown(first.iter()) {
                    return Err(self.unknown_from(u));
                }
                let mut out = first.clone();
                for (n, _) in args.iter().enumerate().skip(1) {
                    let other = self.list_arg(args, n)?;
                    if let Some(u) = first_unknown(other.iter()) {
                        // Whether it matches an element is unknown.
                        return Err(self.unknown_from(u));
                    }
                    let keep = self.name == "setintersection";
                    out.retain(|i| other.iter().any(|o| equal(o, i) == Some(true)) == keep);
                }
                self.list(out)
            }
            "zipmap" => {
                let ks = self.list_arg(args, 0)?;
                let vs = self.list_arg(args, 1)?;
                self.no_spread(ks)?;
                self.no_spread(vs)?;
                let mut out = Vec::new();
                for (k, v) in ks.iter().zip(vs) {
                    if k.is_unknown() {
                        return Err(self.unknown_from(k));
                    }
                    let name = as_string(k).ok_or_else(|| self.err("keys must be strings"))?;
                    out.push((Key { name, span: k.span }, v.clone()));
                }
                Val::new(ValKind::Map(out), span)
            }
            "range" => {
                let args = self.known(args)?;
                let nums: Vec<f64> = args.iter().filter_map(as_num).collect();
                let (start, end, step) = match nums.as_slice() {
                    [e] => (0.0, *e, 1.0),
                    [s, e] => (*s, *e, if e >= s { 1.0 } else { -1.0 }),
                    [s, e, st] => (*s, *e, *st),
                    _ => return Err(self.err("needs 1 to 3 numbers")),
                };
                if step == 0.0 || ((end - start) / step) > 1024.0 {
                    return Err(self.err("more than 1024 elements"));
                }
                let mut out = Vec::new();
                let mut x = start;
                while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                    out.push(num_val(x, span));
                    x += step;
                    if out.len() > 1024 {
                        break;
                    }
                }
                self.list(out)
            }
            "alltrue" | "anytrue" => {
                let items = self.list_arg(args, 0)?;
                if let Some(u) = first_unknown(items.iter()) {
                    return Err(self.unknown_from(u));
                }
                let bools: Vec<bool> = items.iter().map(|i| as_bool(i).unwrap_or(false)).collect();
                self.bool(if self.name == "alltrue" {
                    bools.iter().all(|b| *b)
                } else {
                    bools.iter().any(|b| *b)
                })
            }
            "max" | "min" | "abs" | "ceil" | "floor" | "signum" => {
                let args = self.known(args)?;
                let nums: Vec<f64> = args.iter().filter_map(as_num).collect();
                let first = *nums.first().ok_or_else(|| self.err("needs numbers"))?;
                let r = match self.name {
                    "max" => nums.iter().cloned().fold(f64::MIN, f64::max),
                    "min" => nums.iter().cloned().fold(f64::MAX, f64::min),
                    "abs" => first.abs(),
                    "ceil" => first.ceil(),
                    "floor" => first.floor(),
                    _ => first.signum(),
                };
                num_val(r, span)
            }
            "format" => {
                let fmt = self.str_arg(args, 0)?;
                let rest = args.get(1..).unwrap_or(&[]);
                if let Some(u) = first_unknown(rest) {
                    return Err(partial_format(&fmt, rest, self.text(), self.span)
                        .unwrap_or_else(|| self.unknown_from(u)));
                }
                self.s(format(&fmt, rest).map_err(|e| self.err(e))?)
            }
            "formatlist" => {
                let fmt = self.str_arg(args, 0)?;
                let rest = args.get(1..).unwrap_or(&[]);
                if let Some(u) = first_unknown(rest) {
                    return Err(self.unknown_from(u));
                }
                for l in rest.iter().filter_map(list_items) {
                    self.no_spread(l)?;
                }
                let n = rest
                    .iter()
                    .filter_map(list_items)
                    .map(Vec::len)
                    .max()
                    .unwrap_or(1);
                let mut out = Vec::new();
                for i in 0..n.min(MAX_ITEMS) {
                    let row: Vec<Val> = rest
                        .iter()
                        .map(|a| match list_items(a) {
                            Some(l) => l
                                .get(i)
                                .cloned()
                                .unwrap_or_else(|| Val::new(ValKind::Null, span)),
                            None => a.clone(),
                        })
                        .collect();
                    if let Some(u) = first_unknown(&row) {
                        out.push(self.unknown_from(u));
                        continue;
                    }
                    out.push(self.s(format(&fmt, &row).map_err(|e| self.err(e))?));
                }
                self.list(out)
            }
            "join" => {
                let sep = self.str_arg(args, 0)?;
                let mut parts = Vec::new();
                for a in args.get(1..).unwrap_or(&[]) {
                    let items = match &a.kind {
                        ValKind::List(items) => items,
                        ValKind::Unknown(_) => return Err(self.unknown_from(a)),
                        _ => return Err(self.err("needs lists")),
                    };
                    for i in items {
                        if i.is_unknown() {
                            return Err(self.unknown_from(i));
                        }
                        parts.push(
                            as_string(i).ok_or_else(|| self.err("elements must be strings"))?,
                        );
                    }
                }
                self.s(parts.join(&sep))
            }
            "split" => {
                let sep = self.str_arg(args, 0)?;
                let s = self.str_arg(args, 1)?;
                let parts: Vec<Val> = if sep.is_empty() {
                    s.chars().map(|c| Val::str(c.to_string(), span)).collect()
                } else {
                    s.split(sep.as_str()).map(|p| Val::str(p, span)).collect()
                };
                self.list(parts)
            }
            "replace" => {
                let s = self.str_arg(args, 0)?;
                let sub = self.str_arg(args, 1)?;
                let rep = self.str_arg(args, 2)?;
                if sub.len() > 2 && sub.starts_with('/') && sub.ends_with('/') {
                    let pat = sub.get(1..sub.len() - 1).unwrap_or("");
                    let re = self
                        .inst
                        .sh
                        .regex(pat)
                        .ok_or_else(|| self.err("invalid regular expression"))?;
                    self.s(re.replace_all(&s, rep.as_str()).into_owned())
                } else if sub.is_empty() {
                    self.s(s)
                } else {
                    self.s(s.replace(&sub, &rep))
                }
            }
            "regex" | "regexall" => {
                let pat = self.str_arg(args, 0)?;
                let s = self.str_arg(args, 1)?;
                let re = self
                    .inst
                    .sh
                    .regex(&pat)
                    .ok_or_else(|| self.err("invalid regular expression"))?;
                let one = |caps: regex::Captures| -> Val {
                    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
                    if names.is_empty() {
                        Val::str(caps.get(0).map_or("", |m| m.as_str()), span)
                    } else if names.iter().all(|n| n.is_some()) {
                        Val::new(
                            ValKind::Map(
                                names
                                    .iter()
                                    .flatten()
                                    .map(|n| {
                                        (
                                            Key {
                                                name: n.to_string(),
                                                span,
                                            },
                                            Val::str(caps.name(n).map_or("", |m| m.as_str()), span),
                                        )
                                    })
                                    .collect(),
                            ),
                            span,
                        )
                    } else {
                        Val::new(
                            ValKind::List(
                                (1..caps.len())
                                    .map(|i| Val::str(caps.get(i).map_or("", |m| m.as_str()), span))
                                    .collect(),
                            ),
                            span,
                        )
                    }
                };
                if self.name == "regex" {
                    match re.captures(&s) {
                        Some(c) => one(c),
                        None => return Err(self.err("the pattern did not match")),
                    }
                } else {
                    self.list(re.captures_iter(&s).take(MAX_ITEMS + 1).map(one).collect())
                }
            }
            "lower" => self.s(self.str_arg(args, 0)?.to_lowercase()),
            "upper" => self.s(self.str_arg(args, 0)?.to_uppercase()),
            "trimspace" => self.s(self.str_arg(args, 0)?.trim().to_string()),
            "chomp" => self.s(self
                .str_arg(args, 0)?
                .trim_end_matches(['\n', '\r'])
                .to_string()),
            "title" => {
                let s = self.str_arg(args, 0)?;
                let mut out = String::new();
                let mut start = true;
                for c in s.chars() {
                    if start {
                        out.extend(c.to_uppercase());
                    } else {
                        out.push(c);
                    }
                    start = !c.is_alphanumeric();
                }
                self.s(out)
            }
            "trimprefix" => {
                let s = self.str_arg(args, 0)?;
                let p = self.str_arg(args, 1)?;
                self.s(s.strip_prefix(p.as_str()).unwrap_or(&s).to_string())
            }
            "trimsuffix" => {
                let s = self.str_arg(args, 0)?;
                let p = self.str_arg(args, 1)?;
                self.s(s.strip_suffix(p.as_str()).unwrap_or(&s).to_string())
            }
            "trim" => {
                let s = self.str_arg(args, 0)?;
                let cs = self.str_arg(args, 1)?;
                self.s(s.trim_matches(|c| cs.contains(c)).to_string())
            }
            "startswith" | "endswith" | "strcontains" => {
                let s = self.str_arg(args, 0)?;
                let p = self.str_arg(args, 1)?;
                self.bool(match self.name {
                    "startswith" => s.starts_with(&p),
                    "endswith" => s.ends_with(&p),
                    _ => s.contains(&p),
                })
            }
            "substr" => {
                let s = self.str_arg(args, 0)?;
                let off = args
                    .get(1)
                    .and_then(as_num)
                    .ok_or_else(|| self.err("bad offset"))?;
                let len = args
                    .get(2)
                    .and_then(as_num)
                    .ok_or_else(|| self.err("bad length"))?;
                let chars: Vec<char> = s.chars().collect();
                let start = if off < 0.0 {
                    chars.len().saturating_sub((-off) as usize)
                } else {
                    off as usize
                };
                let end = if len < 0.0 {
                    chars.len()
                } else {
                    start.saturating_add(len as usize).min(chars.len())
                };
                self.s(chars
                    .get(start.min(end)..end)
                    .unwrap_or(&[])
                    .iter()
                    .collect())
            }
            "md5" | "sha1" | "sha256" | "sha512" => {
                let s = self.str_arg(args, 0)?;
                let d = crypto::digest(self.name, s.as_bytes()).unwrap_or_default();
                self.s(crypto::hex(&d))
            }
            "base64sha256" | "base64sha512" => {
                let s = self.str_arg(args, 0)?;
                let d = crypto::digest(&self.name[6..], s.as_bytes()).unwrap_or_default();
                self.s(crypto::base64_encode(&d))
            }
            "filemd5" | "filesha1" | "filesha256" | "filesha512" | "filebase64"
            | "filebase64sha256" | "filebase64sha512" => {
                let file = Call {
                    inst: self.inst,
                    span,
                    name: "file",
                };
                let text = file.file_fn(args)?;
                let Some(text) = as_string(&text) else {
                    return Err(self.unknown_from(&text));
                };
                let out = match self.name {
                    "filebase64" => crypto::base64_encode(text.as_bytes()),
                    n => match n.strip_prefix("filebase64") {
                        Some(h) => crypto::base64_encode(
                            &crypto::digest(h, text.as_bytes()).unwrap_or_default(),
                        ),
                        None => crypto::hex(
                            &crypto::digest(&n[4..], text.as_bytes()).unwrap_or_default(),
                        ),
                    },
                };
                self.s(out)
            }
            "base64encode" => self.s(crypto::base64_encode(self.str_arg(args, 0)?.as_bytes())),
            "textencodebase64" | "textdecodebase64" => {
                let s = self.str_arg(args, 0)?;
                let enc = self.str_arg(args, 1)?;
                if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                    return Ok(Val::unknown(
                        self.text(),
                        format!("{}: the encoding {enc} is not evaluated offline", self.name),
                        span,
                    ));
                }
                if self.name == "textencodebase64" {
                    self.s(crypto::base64_encode(s.as_bytes()))
                } else {
                    self.base64_text(&s)?
                }
            }
            "base64decode" => {
                let s = self.str_arg(args, 0)?;
                self.base64_text(&s)?
            }
            "uuidv5" => {
                let ns = self.str_arg(args, 0)?;
                let name = self.str_arg(args, 1)?;
                self.s(crypto::uuidv5(&ns, &name).map_err(|e| self.err(e))?)
            }
            "strrev" => self.s(self.str_arg(args, 0)?.chars().rev().collect()),
            "indent" => {
                let n = args
                    .first()
                    .and_then(as_num)
                    .ok_or_else(|| self.err("the number of spaces must be a number"))?;
                let s = self.str_arg(args, 1)?;
                let pad = " ".repeat((n.max(0.0) as usize).min(MAX_STR));
                self.s(s.replace('\n', &format!("\n{pad}")))
            }
            "sum" => {
                let items = self.list_arg(args, 0)?;
                if let Some(u) = first_unknown(items.iter()) {
                    return Err(self.unknown_from(u));
                }
                let mut total = 0.0;
                for i in items {
                    total += as_num(i).ok_or_else(|| self.err("elements must be numbers"))?;
                }
                num_val(total, span)
            }
            "pow" | "log" => {
                let args = self.known(args)?;
                let (Some(a), Some(b)) =
                    (args.first().and_then(as_num), args.get(1).and_then(as_num))
                else {
                    return Err(self.err("needs two numbers"));
                };
                let r = if self.name == "pow" {
                    a.powf(b)
                } else {
                    a.ln() / b.ln()
                };
                if !r.is_finite() {
                    return Err(self.err("the result is not a finite number"));
                }
                num_val(r, span)
            }
            "parseint" => {
                let s = self.str_arg(args, 0)?;
                let base = args
                    .get(1)
                    .and_then(as_num)
                    .filter(|b| (2.0..=62.0).contains(b))
                    .ok_or_else(|| self.err("the base must be a number from 2 to 62"))?;
                let digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
                let (neg, body) = match s.strip_prefix('-') {
                    Some(r) => (true, r),
                    None => (false, s.strip_prefix('+').unwrap_or(&s)),
                };
                let mut n: f64 = 0.0;
                for c in body.chars() {
                    let d = if base <= 36.0 {
                        c.to_digit(36).map(f64::from)
                    } else {
                        digits.find(c).map(|d| d as f64)
                    }
                    .filter(|d| *d < base)
                    .ok_or_else(|| self.err(format!("`{s}` is not a number in base {base}")))?;
                    n = n * base + d;
                }
                if body.is_empty() {
                    return Err(self.err(format!("`{s}` is not a number")));
                }
                num_val(if neg { -n } else { n }, span)
            }
            "chunklist" => {
                let items = self.list_arg(args, 0)?;
                let size = args
                    .get(1)
                    .and_then(as_num)
                    .filter(|n| *n >= 0.0)
                    .ok_or_else(|| self.err("the size must be a number"))?
                    as usize;
                if size == 0 {
                    self.list(vec![self.list(items.clone())])
                } else {
                    self.list(items.chunks(size).map(|c| self.list(c.to_vec())).collect())
                }
            }
            "urlencode" => {
                let s = self.str_arg(args, 0)?;
                let mut out = String::new();
                for b in s.bytes() {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                        out.push(char::from(b));
                    } else {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
                self.s(out)
            }
            "basename" | "dirname" => {
                let s = self.str_arg(args, 0)?;
                let trimmed = s.trim_end_matches('/');
                let (dir, base) = match trimmed.rsplit_once('/') {
                    Some(("", b)) => ("/", b),
                    Some((d, b)) => (d, b),
                    None if trimmed.is_empty() && s.starts_with('/') => ("/", "/"),
                    None => (".", trimmed),
                };
                self.s(if self.name == "basename" { base } else { dir }.to_string())
            }
            "issensitive" => self.bool(false),
            "ephemeralasnull" => args
                .first()
                .cloned()
                .ok_or_else(|| self.err("needs one argument"))?,
            "file" | "templatefile" | "fileexists" => self.file_fn(args)?,
            "fileset" => self.fileset(args)?,
            "yamlencode" => {
                let [v] = args else {
                    return Err(self.err("needs one argument"));
                };
                if let Some((_, u)) = v.unknowns().first() {
                    return Err(Val::unknown(self.text(), u.reason.clone(), span));
                }
                match encoding::yamlencode(v) {
                    Some(text) => self.s(text),
                    None => Val::unknown(
                        self.text(),
                        "yamlencode: Terraform's YAML emitter output (a multi-line or folded \
                         string, a non-integer number) is not reproduced offline",
                        span,
                    ),
                }
            }
            "templatestring" => self.template_string(args)?,
            "timestamp" | "uuid" | "plantimestamp" | "bcrypt" => Val::unknown(
                self.text(),
                format!("{} changes on every run", self.name),
                span,
            ),
            n if collections::NAMES.contains(&n) => {
                self.pure(args, |a| collections::call(n, a, span))?
            }
            n if encoding::NAMES.contains(&n) => self.pure(args, |a| encoding::call(n, a, span))?,
            n if time::NAMES.contains(&n) => self.pure(args, |a| time::call(n, a, span))?,
            n if network::NAMES.contains(&n) => self.pure(args, |a| network::call(n, a, span))?,
            _ => Val::unknown(
                self.text(),
                format!("the function {} is not evaluated offline", self.name),
                span,
            ),
        })
    }

    /// A function of a family file on fully known arguments: any unknown inside an argument
    /// makes the result unknown with its reason, and an error Terraform reports becomes an
    /// unknown that says so.
    fn pure(
        &self,
        args: &[Val],
        f: impl FnOnce(&[Val]) -> Result<Val, String>,
    ) -> Result<Val, Val> {
        if let Some((_, u)) = args.iter().flat_map(|a| a.unknowns()).next() {
            return Err(Val::unknown(self.text(), u.reason.clone(), self.span));
        }
        let v = f(args).map_err(|e| self.err(e))?;
        match &v.kind {
            ValKind::List(items) if items.len() > MAX_ITEMS => {
                Err(self.err("the result has too many elements"))
            }
            ValKind::Str(s) if s.len() > MAX_STR => Err(self.err("the result is too long")),
            _ => Ok(v),
        }
    }

    /// Base64 text decoded to a UTF-8 string.
    fn base64_text(&self, s: &str) -> Result<Val, Val> {
        let bytes = crypto::base64_decode(s).map_err(|e| self.err(e))?;
        let text =
            String::from_utf8(bytes).map_err(|_| self.err("the decoded bytes are not UTF-8"))?;
        Ok(self.s(text))
    }

    /// templatestring(): a string value parsed as a template and evaluated with only the
    /// given variables. Positions inside the string cannot be mapped back to the file, so the
    /// result takes the call's span, and any unknown in it makes the whole result unknown.
    fn template_string(&self, args: &[Val]) -> Result<Val, Val> {
        let text = self.str_arg(args, 0)?;
        let tpl = hcl::edit::parser::parse_template(&text)
            .map_err(|e| self.err(format!("invalid template: {}", e.message())))?;
        let entries = self.template_vars(args)?;
        let v = eval_in_scope(self.inst, &tpl, self.span, &Scope::empty(), &entries);
        if let Some((_, u)) = v.unknowns().first() {
            return Err(Val::unknown(self.text(), u.reason.clone(), self.span));
        }
        let mut v = v;
        v.respan(self.span);
        match &v.kind {
            ValKind::Str(s) if s.len() > MAX_STR => Err(self.err("the result is too long")),
            _ => Ok(v),
        }
    }

    /// The variables argument of templatefile() and templatestring(), an object.
    fn template_vars(&self, args: &[Val]) -> Result<Vec<(String, Val)>, Val> {
        let vars = args
            .get(1)
            .cloned()
            .unwrap_or_else(|| Val::new(ValKind::Map(Vec::new()), self.span));
        if vars.is_unknown() {
            return Err(self.unknown_from(&vars));
        }
        match &vars.kind {
            ValKind::Map(e) => Ok(e.iter().map(|(k, v)| (k.name.clone(), v.clone())).collect()),
            _ => Err(self.err("the variables must be an object")),
        }
    }

    /// fileset(path, pattern): the regular files under `path` (resolved like file()'s) that
    /// match `pattern`, relative to `path`, sorted; listed through the guarded reader, inside
    /// the scanned root only.
    fn fileset(&self, args: &[Val]) -> Result<Val, Val> {
        let rel = self.str_arg(args, 0)?;
        let pattern = self.str_arg(args, 1)?;
        let dir = {
            let p = PathBuf::from(&rel);
            if p.is_absolute() {
                p
            } else {
                self.inst.sh.top_dir.join(p)
            }
        };
        let sh = self.inst.sh;
        let files = match crate::source::read::list_files(&dir, &sh.ctx.root, MAX_ITEMS, 64) {
            Ok(files) => files,
            Err(crate::span::LoadError::OutsideRoot) => {
                sh.error(SourceError::at(
                    self.span,
                    format!(
                        "fileset(\"{rel}\") lists outside the scanned root; nothing was listed"
                    ),
                ));
                return Err(Val::unknown(
                    self.text(),
                    format!("{rel} is outside the scanned root and was not listed"),
                    self.span,
                ));
            }
            Err(e) => return Err(self.err(format!("cannot list {rel}: {e}"))),
        };
        let chosen = super::fileset::select(&files, &pattern).map_err(|e| self.err(e))?;
        Ok(self.list(chosen.into_iter().map(|f| Val::str(f, self.span)).collect()))
    }

    /// file(), templatefile() and fileexists(): paths resolve against the root module
    /// directory and must stay under the scanned root.
    fn file_fn(&self, args: &[Val]) -> Result<Val, Val> {
        let rel = self.str_arg(args, 0)?;
        let path = {
            let p = PathBuf::from(&rel);
            if p.is_absolute() {
                p
            } else {
                self.inst.sh.top_dir.join(p)
            }
        };
        let sh = self.inst.sh;
        if self.name == "fileexists" {
            if path.exists() && !sh.ctx.inside_root(&path) {
                sh.error(SourceError::at(
                    self.span,
                    format!("fileexists(\"{rel}\") looks outside the scanned root; the file was not checked"),
                ));
                return Err(Val::unknown(
                    self.text(),
                    "the path is outside the scanned root",
                    self.span,
                ));
            }
            return Ok(self.bool(path.is_file()));
        }
        if !path.exists() {
            return Err(self.err(format!("no file at {rel}")));
        }
        if !sh.ctx.inside_root(&path) {
            sh.error(SourceError::at(
                self.span,
                format!(
                    "{}(\"{rel}\") reads outside the scanned root; the file was not read",
                    self.name
                ),
            ));
            return Err(Val::unknown(
                self.text(),
                format!("{rel} is outside the scanned root and was not read"),
                self.span,
            ));
        }
        let display = sh.ctx.display_path(&path);
        let (id, f) = match sh.ctx.load(&path, display) {
            Ok(x) => x,
            Err(e) => {
                // The guarded door refused it (a FIFO, a device, a link outside the root, too
                // large, not UTF-8): an error of the run, not only an unknown value.
                sh.error(SourceError::at(
                    self.span,
                    format!("{}(\"{rel}\"): {e}", self.name),
                ));
                return Err(self.err(format!("cannot read {rel}: {e}")));
            }
        };
        self.inst.reads.borrow_mut().insert(id);
        let whole = Span::new(id, 0, f.text.len());
        if self.name == "file" {
            return Ok(Val::str(f.text.to_string(), whole));
        }
        let tpl = {
            let cached = sh.templates.borrow().get(&id).cloned();
            match cached {
                Some(t) => t,
                None => {
                    let t = match hcl::edit::parser::parse_template(&f.text) {
                        Ok(t) => Some(Rc::new(t)),
                        Err(e) => {
                            let loc = e.location();
                            sh.error(SourceError::at_line(
                                id,
                                loc.line(),
                                loc.column(),
                                format!("invalid template: {}", e.message()),
                            ));
                            None
                        }
                    };
                    sh.templates.borrow_mut().insert(id, t.clone());
                    t
                }
            }
        };
        let Some(tpl) = tpl else {
            return Err(self.err(format!("{rel} is not a valid template")));
        };
        let entries = self.template_vars(args)?;
        Ok(eval_in_scope(
            self.inst,
            &tpl,
            whole,
            &Scope::empty(),
            &entries,
        ))
    }
}

/// A template evaluated in a chain of scopes, one per variable; each borrows the previous one.
fn eval_in_scope<'s>(
    inst: &Instance,
    tpl: &hcl::edit::template::Template,
    whole: Span,
    scope: &Scope<'s>,
    rest: &'s [(String, Val)],
) -> Val {
    match rest.split_first() {
        None => inst.eval_template(tpl, whole.file, 0, scope, whole),
        Some(((n, v), tail)) => {
            let s = scope.with(n.as_str(), v.clone());
            eval_in_scope(inst, tpl, whole, &s, tail)
        }
    }
}

fn flatten_into(v: &Val, out: &mut Vec<Val>, depth: usize) {
    match &v.kind {
        ValKind::List(items) if depth < 32 => {
            for i in items {
                flatten_into(i, out, depth + 1);
                if out.len() > MAX_ITEMS {
                    return;
                }
            }
        }
        _ if depth == 0 => {}
        // An unknown element may be a list of any length.
        ValKind::Unknown(_) => out.push(spread(v, String::new)),
        _ => out.push(v.clone()),
    }
}

/// The widest width or precision `format` accepts. Rust's formatter panics above u16::MAX, and no
/// IAM value needs more than a few characters of padding.
const MAX_FORMAT_WIDTH: usize = 4096;

/// A width or precision of a format verb (`""` gives `default`).
fn format_number(text: &str, default: usize) -> Result<usize, String> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Ok(default);
    }
    match digits.parse::<usize>() {
        Ok(n) if n <= MAX_FORMAT_WIDTH => Ok(n),
        _ => Err(format!(
            "a width or precision of {digits} is over the {MAX_FORMAT_WIDTH} iamlint evaluates"
        )),
    }
}

/// `format` with unknown arguments, each used by a plain `%s`: a string that keeps the known
/// text around them (`format("%s:sub", var.issuer)` is `…:sub`). `None` when an unknown has
/// another verb or a width, or the format is invalid.
fn partial_format(fmt: &str, args: &[Val], text: String, span: Span) -> Option<Val> {
    use crate::value::{Piece, Unknown};
    // Each unknown stands as a run of control characters no format verb produces.
    let stand_in = |n: usize| format!("\u{1}{n}\u{1}");
    // A width or flag could pad the unknown: its length is not known.
    if fmt
        .split('%')
        .skip(1)
        .any(|v| v.starts_with(|c: char| c.is_ascii_digit() || ".-+# ".contains(c)))
    {
        return None;
    }
    let mut known = Vec::new();
    for (n, a) in args.iter().enumerate() {
        known.push(match &a.kind {
            ValKind::Unknown(_) => Val::str(stand_in(n), a.span),
            _ => a.clone(),
        });
    }
    let out = format(fmt, &known).ok()?;
    let mut pieces = Vec::new();
    let mut reason = None;
    let mut rest = out.as_str();
    while let Some(start) = rest.find('\u{1}') {
        let after = &rest[start + 1..];
        let end = after.find('\u{1}')?;
        let n: usize = after[..end].parse().ok()?;
        let u = args.get(n)?.as_unknown()?;
        pieces.push(Piece::Text(rest[..start].to_string()));
        pieces.extend(u.pieces());
        reason.get_or_insert_with(|| u.reason.clone());
        rest = &after[end + 1..];
    }
    pieces.push(Piece::Text(rest.to_string()));
    // Every unknown argument must have been placed whole by a plain verb.
    let placed = pieces
        .iter()
        .filter(|p| matches!(p, Piece::Hole(_)))
        .count();
    let unknowns: usize = args
        .iter()
        .filter_map(Val::as_unknown)
        .map(|u| {
            u.pieces()
                .iter()
                .filter(|p| matches!(p, Piece::Hole(_)))
                .count()
        })
        .sum();
    if placed != unknowns || placed == 0 {
        return None;
    }
    Some(Val::new(
        ValKind::Unknown(Unknown::partial(text, reason?, pieces)),
        span,
    ))
}

/// Terraform's `format` verbs: %s %d %f %v %q %t %% (width and precision for %f).
fn format(fmt: &str, args: &[Val]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = fmt.chars().peekable();
    let mut n = 0usize;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = it.peek() {
            if d.is_ascii_digit() || d == '.' || d == '-' || d == '+' || d == '#' || d == ' ' {
                spec.push(d);
                it.next();
            } else {
                break;
            }
        }
        let Some(verb) = it.next() else {
            return Err("the format ends after %".into());
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let a = args.get(n).ok_or("not enough arguments for the format")?;
        n += 1;
        match verb {
            's' | 'd' | 't' | 'v' => match as_string(a) {
                Some(s) => {
                    let s = if verb == 'd' {
                        as_num(a).map_or(s, |x| format!("{}", x.trunc() as i64))
                    } else {
                        s
                    };
                    let width = format_number(spec.trim_start_matches('-'), 0)?;
                    if spec.starts_with('-') {
                        out.push_str(&format!("{s:<width$}"));
                    } else if spec.starts_with('0') && verb == 'd' {
                        out.push_str(&format!("{s:0>width$}"));
                    } else {
                        out.push_str(&format!("{s:>width$}"));
                    }
                }
                None if verb == 'v' => out.push_str(&encode(a)),
                None => return Err("a list or map cannot be formatted with %s".into()),
            },
            'q' => out.push_str(&encode(a)),
            'f' => {
                let x = as_num(a).ok_or("%f needs a number")?;
                let prec = match spec.split('.').nth(1) {
                    Some(p) => format_number(p, 6)?,
                    None => 6,
                };
                out.push_str(&format!("{x:.prec$}"));
            }
            _ => return Err(format!("the verb %{verb} is not supported")),
        }
        if out.len() > MAX_STR {
            return Err("the result is too long".into());
        }
    }
    Ok(out)
}

/// Compact JSON, keys sorted as Terraform writes them. Unknowns become `"${expr}"`.
pub fn encode(v: &Val) -> String {
    let mut out = String::new();
    encode_into(v, &mut out, 0);
    out
}

fn encode_into(v: &Val, out: &mut String, depth: usize) {
    if depth > 64 || out.len() > MAX_STR {
        out.push_str("null");
        return;
    }
    match &v.kind {
        ValKind::Null => out.push_str("null"),
        ValKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ValKind::Number(n) => match n.parse::<serde_json::Number>() {
            Ok(_) => out.push_str(n),
            Err(_) => out.push_str(&super::eval::quote(n)),
        },
        ValKind::Str(s) => out.push_str(&super::eval::quote(s)),
        ValKind::Unknown(u) => out.push_str(&super::eval::quote(&format!("${{{}}}", u.expr))),
        ValKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_into(item, out, depth + 1);
            }
            out.push(']');
        }
        ValKind::Map(entries) => {
            out.push('{');
            let sorted = sorted_entries(entries);
            let mut first = true;
            for (k, val) in sorted {
                if super::eval::is_hidden_key(&k.name) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&super::eval::quote(&k.name));
                out.push(':');
                encode_into(val, out, depth + 1);
            }
            out.push('}');
        }
    }
}

/// Decodes a JSON string value into a value whose spans point where the JSON was written: the
/// structured value behind a jsonencode/policy document, the byte map of a template, the file
/// text itself, or an escaped string literal; else every span is the string's span.
pub fn decode(inst: &Instance, v: &Val) -> Result<Val, String> {
    let Some(text) = v.as_str() else {
        return Err("jsondecode needs a string".into());
    };
    if let Some(val) = inst.sh.json_vals.borrow().get(text) {
        return Ok(val.clone());
    }
    let map = inst.sh.str_maps.borrow().get(&v.span).cloned();
    let mut parsed = match map {
        Some(m) if m.text == text && m.complete() => {
            let mut parsed = crate::source::json::parse(text, v.span.file, 0).map_err(|e| {
                format!(
                    "the string is not valid JSON ({} at byte {})",
                    e.message, e.offset
                )
            })?;
            super::strmap::remap(&mut parsed, &m);
            parsed
        }
        _ => {
            let src = inst.sh.file(v.span.file);
            let slice = src.as_ref().map(|f| f.slice(v.span)).unwrap_or("");
            super::strmap::decode_in_source(text, v.span, slice)
                .map_err(|e| format!("the string is not valid JSON ({e})"))?
        }
    };
    placeholders(&mut parsed);
    Ok(parsed)
}

/// `"${expr}"` strings in decoded JSON stand for values that were unknown when encoded (IAM
/// policy variables such as `${aws:username}` hold a colon and are left alone).
fn placeholders(v: &mut Val) {
    match &mut v.kind {
        ValKind::Str(s) => {
            if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
                && !inner.contains(':')
                && !matches!(inner, "*" | "?" | "$")
                && !inner.is_empty()
            {
                let expr = inner.to_string();
                v.kind = ValKind::Unknown(crate::value::Unknown::new(
                    expr.clone(),
                    format!("{expr} was unknown when the JSON was built"),
                ));
            }
        }
        ValKind::List(items) => items.iter_mut().for_each(placeholders),
        ValKind::Map(entries) => entries.iter_mut().for_each(|(_, v)| placeholders(v)),
        _ => {}
    }
}
