//! Terraform's collection functions that take whole, known values: `setproduct`, `transpose`
//! and `matchkeys`. Pure functions: values in, a value (or the error Terraform reports) out.
//! The caller makes the result unknown when any argument holds an unknown.

use crate::span::Span;
use crate::value::{Key, Val, ValKind};

use super::eval::{MAX_ITEMS, as_string, equal, sorted_entries};

/// The functions this family evaluates.
pub const NAMES: &[&str] = &["setproduct", "transpose", "matchkeys"];

fn items<'v>(v: &'v Val, what: &str) -> Result<&'v Vec<Val>, String> {
    match &v.kind {
        ValKind::List(items) => Ok(items),
        _ => Err(format!("{what} must be a list or a set")),
    }
}

/// Evaluates one of [`NAMES`] on known arguments.
pub fn call(name: &str, args: &[Val], span: Span) -> Result<Val, String> {
    match name {
        "setproduct" => setproduct(args, span),
        "transpose" => transpose(args, span),
        "matchkeys" => matchkeys(args, span),
        _ => Err(format!("{name} is not a collection function")),
    }
}

/// Every combination of one element from each argument, the first argument varying slowest.
fn setproduct(args: &[Val], span: Span) -> Result<Val, String> {
    if args.len() < 2 {
        return Err("at least two arguments are required".into());
    }
    let lists = args
        .iter()
        .enumerate()
        .map(|(i, a)| items(a, &format!("argument {}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let total = lists
        .iter()
        .try_fold(1usize, |acc, l| acc.checked_mul(l.len()))
        .filter(|n| *n <= MAX_ITEMS)
        .ok_or("the result has too many elements")?;
    let mut out: Vec<Vec<Val>> = vec![Vec::new()];
    for list in &lists {
        let mut next = Vec::with_capacity(total);
        for prefix in &out {
            for item in list.iter() {
                let mut row = prefix.clone();
                row.push(item.clone());
                next.push(row);
            }
        }
        out = next;
    }
    Ok(Val::new(
        ValKind::List(
            out.into_iter()
                .map(|row| Val::new(ValKind::List(row), span))
                .collect(),
        ),
        span,
    ))
}

/// A map of lists of strings turned inside out: each value becomes a key listing the keys
/// that held it (keys taken in lexical order, as Terraform iterates a map).
fn transpose(args: &[Val], span: Span) -> Result<Val, String> {
    let [m] = args else {
        return Err("needs one argument".into());
    };
    let ValKind::Map(entries) = &m.kind else {
        return Err("the argument must be a map of lists of strings".into());
    };
    let mut out: Vec<(String, Vec<Val>)> = Vec::new();
    for (k, v) in sorted_entries(entries) {
        for item in items(v, &format!("the value of {}", k.name))? {
            let s = as_string(item)
                .ok_or_else(|| format!("the value of {} must hold strings", k.name))?;
            let key = Val::str(k.name.clone(), k.span);
            match out.iter_mut().find(|(name, _)| *name == s) {
                Some((_, keys)) => keys.push(key),
                None => out.push((s, vec![key])),
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Val::new(
        ValKind::Map(
            out.into_iter()
                .map(|(name, keys)| (Key { name, span }, Val::new(ValKind::List(keys), span)))
                .collect(),
        ),
        span,
    ))
}

/// The elements of `values` whose element at the same index of `keys` is in `searchset`.
fn matchkeys(args: &[Val], span: Span) -> Result<Val, String> {
    let [values, keys, search] = args else {
        return Err("needs three arguments: values, keys and searchset".into());
    };
    let values = items(values, "values")?;
    let keys = items(keys, "keys")?;
    let search = items(search, "searchset")?;
    if values.len() != keys.len() {
        return Err("length of keys and values should be equal".into());
    }
    let out = values
        .iter()
        .zip(keys)
        .filter(|(_, k)| search.iter().any(|s| equal(k, s) == Some(true)))
        .map(|(v, _)| v.clone())
        .collect();
    Ok(Val::new(ValKind::List(out), span))
}
