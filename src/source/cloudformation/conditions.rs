//! Conditions (Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition) and role variants. A condition
//! that known values decide is decided. One that is not (it compares a parameter without a
//! value, say) is a choice: the role is built once per assignment of the choices it actually
//! meets, at most [`MAX_VARIANTS`] times, and each variant carries notes such as "when condition
//! IsProd is true". A parameter without a value but with AllowedValues is a choice too, one
//! variant per allowed value.

use std::collections::BTreeMap;

use crate::value::{Val, ValKind};

use super::intrinsics::{Resolver, intrinsic, list_items};
use super::parameters::{Origin, ParamValue};

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
        if let Some(b) = self.forced.get(name) {
            return Ok(*b);
        }
        let choice = Choice::Condition(name.to_string());
        if let Some(i) = self.choices.get(&choice) {
            self.consulted += 1;
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

    /// Decides a named condition and says what decided it: the values the user gave (or the
    /// template's literals), a variant's choice, or only parameter defaults. A condition is
    /// decided by defaults when it has a value with them but none once the defaults it read
    /// are taken as unknown: a user who overrides them may flip it.
    pub fn decide(&mut self, name: &str) -> Decided {
        let mark = self.params_read.len();
        let consulted = self.consulted;
        let inner = !self.condition_stack.is_empty() || self.hide_defaults;
        let first = self.condition(name);
        if inner {
            // An Fn::If inside a condition: the outer decision accounts for the defaults, and
            // deciding again at every level would grow exponentially with the nesting.
            return match first {
                Err(reason) => Decided::Undecided(reason),
                Ok(b) if self.consulted != consulted => Decided::Choice(b),
                Ok(b) => Decided::Value {
                    value: b,
                    why: String::new(),
                },
            };
        }
        let mut read: Vec<String> = Vec::new();
        for p in self.params_read.get(mark..).unwrap_or_default() {
            if !read.contains(p) {
                read.push(p.clone());
            }
        }
        let b = match first {
            Err(reason) => return Decided::Undecided(reason),
            Ok(b) if self.consulted != consulted => return Decided::Choice(b),
            Ok(b) => b,
        };
        let params = self.params;
        let whys = |want_default: bool| -> Vec<(String, String)> {
            read.iter()
                .filter_map(|p| match params.get(p) {
                    Some(ParamValue::Known(_, Origin::Default(why))) if want_default => {
                        Some((p.clone(), why.clone()))
                    }
                    Some(ParamValue::Known(_, Origin::Given(why))) if !want_default => {
                        Some((p.clone(), why.clone()))
                    }
                    _ => None,
                })
                .collect()
        };
        let defaults = whys(true);
        if !defaults.is_empty() {
            let saved = (
                self.branching,
                self.hide_defaults,
                self.pending.len(),
                self.used.clone(),
                self.params_read.len(),
            );
            self.branching = false;
            self.hide_defaults = true;
            let without = self.condition(name);
            self.branching = saved.0;
            self.hide_defaults = saved.1;
            self.pending.truncate(saved.2);
            self.used = saved.3;
            self.params_read.truncate(saved.4);
            if without != Ok(b) {
                let why: Vec<String> = defaults.iter().map(|(_, w)| w.clone()).collect();
                return Decided::ByDefaults {
                    value: b,
                    params: defaults.into_iter().map(|(p, _)| p).collect(),
                    why: why.join(" and "),
                };
            }
        }
        let given: Vec<String> = whys(false).into_iter().map(|(_, w)| w).collect();
        Decided::Value {
            value: b,
            why: given.join(" and "),
        }
    }

    /// The value of the condition of an `Fn::If`. When only parameter defaults decide it, the
    /// branch of the default values is taken and the role gets a note saying so (see README:
    /// a resource switched off by a default is checked as a template; within a resource, a
    /// default decides an `Fn::If` as it decides any other value).
    pub fn if_condition(&mut self, name: &str) -> Result<bool, String> {
        match self.decide(name) {
            Decided::Undecided(reason) => Err(reason),
            Decided::Choice(b) | Decided::Value { value: b, .. } => Ok(b),
            Decided::ByDefaults { value, why, .. } => {
                let note = format!(
                    "Fn::If on condition {name} takes its {value} branch because {why}; the other branch is not checked"
                );
                if !self.default_notes.contains(&note) {
                    self.default_notes.push(note);
                }
                Ok(value)
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

/// What decided a condition (see [`Resolver::decide`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    /// The values the user gave, or the template's literals; `why` names the given values read.
    Value { value: bool, why: String },
    /// A variant's choice (the condition itself or one it depends on is undecided).
    Choice(bool),
    /// Only parameter defaults: `params` are those defaults, `why` says so ("parameter Env
    /// defaults to dev").
    ByDefaults {
        value: bool,
        params: Vec<String>,
        why: String,
    },
    /// Not decidable offline.
    Undecided(String),
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
