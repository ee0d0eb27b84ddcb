//! Conditions (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition) and role variants. A condition
//! that known values decide is decided. One that is not (it compares a parameter without a
//! value, say) is a choice: the role is built once per assignment of the choices it actually
//! meets, at most [`MAX_VARIANTS`] times, and each variant carries notes such as "when condition
//! IsProd is true". A parameter without a value but with AllowedValues is a choice too, one
//! variant per allowed value.

use std::collections::BTreeMap;

use crate::value::{Val, ValKind};

use super::intrinsics::{Resolver, intrinsic, list_items};
use super::parameters::ParamValue;

/// Variants built per role at most.
pub const MAX_VARIANTS: usize = 8;

/// Something a variant decides.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Choice {
    /// A condition: 0 is true, 1 is false.
    Condition(String),
    /// A parameter without a value: the index of its allowed value.
    Param(String),
}

impl Resolver<'_> {
    /// The value of a named condition under this variant's choices.
    pub fn condition(&mut self, name: &str) -> Result<bool, String> {
        let choice = Choice::Condition(name.to_string());
        if let Some(i) = self.choices.get(&choice) {
            self.used.insert(choice);
            return Ok(*i == 0);
        }
        let tpl = self.tpl;
        let Some(expr) = tpl.conditions.get(name) else {
            return Err(format!("the template has no condition {name}"));
        };
        if self.condition_stack.iter().any(|c| c == name) {
            return Err(format!("condition {name} refers to itself"));
        }
        if self.condition_stack.len() >= 32 {
            return Err("conditions refer to each other too deeply".into());
        }
        self.condition_stack.push(name.to_string());
        let r = self.eval_condition_expr(expr);
        self.condition_stack.pop();
        match r {
            Ok(b) => Ok(b),
            Err(reason) => {
                // Ask for a branch on the condition unless a parameter choice was asked first:
                // deciding that parameter may decide the condition.
                if self.branching && self.pending.is_empty() {
                    self.ask(choice);
                }
                Err(format!(
                    "condition {name} cannot be decided offline: {reason}"
                ))
            }
        }
    }

    /// Evaluates a condition function. `Err` carries why it is undecided.
    pub fn eval_condition_expr(&mut self, v: &Val) -> Result<bool, String> {
        if let ValKind::Map(entries) = &v.kind
            && let (1, Some((k, arg))) = (entries.len(), entries.first())
            && k.name == "Condition"
        {
            return match arg.as_str() {
                Some(name) => {
                    let name = name.to_string();
                    self.condition(&name)
                }
                None => Err("Condition needs a condition name".into()),
            };
        }
        let Some((name, arg)) = intrinsic(v) else {
            // A literal: "true"/"false" as CloudFormation would read them.
            return match &v.kind {
                ValKind::Bool(b) => Ok(*b),
                ValKind::Str(s) if s == "true" => Ok(true),
                ValKind::Str(s) if s == "false" => Ok(false),
                _ => Err(format!("{} is not a condition", self.expr(v))),
            };
        };
        let args = list_items(arg);
        match name {
            "Fn::Equals" => {
                let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
                    return Err("Fn::Equals needs two values".into());
                };
                let a = self.value(a);
                let b = self.value(b);
                equal(self, &a, &b)
            }
            "Fn::Not" => {
                let Some(a) = args.first() else {
                    return Err("Fn::Not needs a condition".into());
                };
                self.eval_condition_expr(a).map(|b| !b)
            }
            "Fn::And" | "Fn::Or" => {
                let is_and = name == "Fn::And";
                let mut undecided = None;
                for a in args {
                    match self.eval_condition_expr(a) {
                        Ok(b) if b != is_and => return Ok(b),
                        Ok(_) => {}
                        Err(reason) => {
                            if undecided.is_none() {
                                undecided = Some(reason);
                            }
                        }
                    }
                }
                match undecided {
                    Some(reason) => Err(reason),
                    None => Ok(is_and),
                }
            }
            "Fn::If" => {
                let value = self.value(v);
                self.eval_condition_expr(&value)
            }
            _ => {
                let value = self.value(v);
                match &value.kind {
                    ValKind::Unknown(u) => Err(u.reason.clone()),
                    _ => self.eval_condition_expr(&value),
                }
            }
        }
    }
}

fn equal(r: &Resolver<'_>, a: &Val, b: &Val) -> Result<bool, String> {
    for x in [a, b] {
        if let Some((_, u)) = x.unknowns().first() {
            return Err(u.reason.clone());
        }
    }
    match (&a.kind, &b.kind) {
        (ValKind::List(x), ValKind::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !equal(r, p, q)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => match (r.text_of(a), r.text_of(b)) {
            (Ok(x), Ok(y)) => Ok(x == y),
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
    }
}

/// How many values a choice can take.
pub fn options(c: &Choice, params: &std::collections::HashMap<String, ParamValue>) -> usize {
    match c {
        Choice::Condition(_) => 2,
        Choice::Param(p) => match params.get(p) {
            Some(ParamValue::Choice(allowed)) => allowed.len(),
            _ => 1,
        },
    }
}

/// A note for a choice made in a variant.
pub fn note(
    c: &Choice,
    i: usize,
    params: &std::collections::HashMap<String, ParamValue>,
) -> String {
    match c {
        Choice::Condition(name) => {
            format!(
                "when condition {name} is {}",
                if i == 0 { "true" } else { "false" }
            )
        }
        Choice::Param(name) => {
            let value = match params.get(name) {
                Some(ParamValue::Choice(allowed)) => allowed.get(i).cloned().unwrap_or_default(),
                _ => String::new(),
            };
            format!(
                "with parameter {name} = {value} (no value was given; each AllowedValue is checked)"
            )
        }
    }
}

/// One result of [`variants`]: what `build` returned, and the notes of the choices made.
pub struct Variant<T> {
    pub value: T,
    pub notes: Vec<String>,
}

/// What one build under a set of choices gave.
pub struct Built<T> {
    pub value: T,
    /// Undecided choices met (the driver branches on the first).
    pub pending: Vec<Choice>,
    /// Choices consulted.
    pub used: std::collections::BTreeSet<Choice>,
}

/// Builds `T` once per assignment of the undecided choices it meets, at most [`MAX_VARIANTS`]
/// times. `build(choices, branching)` must record undecided choices only when `branching`.
pub fn variants<T>(
    params: &std::collections::HashMap<String, ParamValue>,
    mut build: impl FnMut(&BTreeMap<Choice, usize>, bool) -> Built<T>,
) -> Vec<Variant<T>> {
    let mut out = Vec::new();
    let mut queue: Vec<BTreeMap<Choice, usize>> = vec![BTreeMap::new()];
    while let Some(choices) = queue.pop() {
        let built = build(&choices, true);
        let next = built.pending.first().cloned();
        let Some(c) = next else {
            out.push(finish(built, &choices, params));
            continue;
        };
        let n = options(&c, params).max(1);
        let leaves = out.len() + queue.len() + n;
        if n > 1 && leaves <= MAX_VARIANTS {
            for i in (0..n).rev() {
                let mut more = choices.clone();
                more.insert(c.clone(), i);
                queue.push(more);
            }
        } else {
            let built = build(&choices, false);
            out.push(finish(built, &choices, params));
        }
    }
    out
}

fn finish<T>(
    built: Built<T>,
    choices: &BTreeMap<Choice, usize>,
    params: &std::collections::HashMap<String, ParamValue>,
) -> Variant<T> {
    let notes = choices
        .iter()
        .filter(|(c, _)| built.used.contains(*c))
        .map(|(c, i)| note(c, *i, params))
        .collect();
    Variant {
        value: built.value,
        notes,
    }
}
