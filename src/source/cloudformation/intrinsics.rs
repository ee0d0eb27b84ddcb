//! Intrinsic functions, evaluated offline: Ref (parameters, resources, pseudo parameters),
//! Fn::Sub, Fn::Join, Fn::GetAtt, Fn::If, Fn::Select, Fn::Split, Fn::FindInMap, Fn::ImportValue,
//! Fn::Base64, Fn::GetAZs, Fn::Cidr, Fn::Length and Fn::ToJsonString, short and long forms alike
//! (the YAML DOM hands short forms on as long ones). What cannot be known becomes
//! `ValKind::Unknown` with the expression as written and the reason; nothing is guessed.
//! A resolved value keeps the span of the expression at its use site.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::span::Span;
use crate::value::{Key, SELF_ACCOUNT, SELF_REGION, Val, ValKind};

use super::conditions::Choice;
use super::parameters::{Origin, ParamValue};
use super::template::Template;

/// Nested intrinsic calls allowed before giving up (templates nest a handful).
const MAX_CALL_DEPTH: usize = 64;

/// Longest expression text kept in an unknown.
const MAX_EXPR_CHARS: usize = 160;
/// The longest string an intrinsic may build. Real ARNs and policy values are far shorter; a
/// template that joins or substitutes its way past this is hostile and stays unknown.
const MAX_STRING_BYTES: usize = 1 << 20;
/// The most items `Fn::Split` may produce.
const MAX_SPLIT_ITEMS: usize = 10_000;

/// The partition assumed for `AWS::Partition`.
pub const PARTITION: &str = "aws";

/// Evaluates values of one template under one assignment of its undecided choices.
pub struct Resolver<'t> {
    pub tpl: &'t Template,
    pub params: &'t HashMap<String, ParamValue>,
    /// Choices made for this variant: a condition's value (0 = true, 1 = false) or the index of
    /// a parameter's allowed value.
    pub choices: &'t BTreeMap<Choice, usize>,
    /// May the resolver ask for a branch on an undecided choice? When not (the variant limit is
    /// reached), undecided things become unknowns.
    pub branching: bool,
    /// Undecided choices met, in the order met.
    pub pending: Vec<Choice>,
    /// Choices consulted (for the role's notes).
    pub used: BTreeSet<Choice>,
    /// `Fn::ImportValue` calls met: span and export name.
    pub imports: Vec<(Span, String)>,
    /// SAM policy template parameters, looked up before the template's own names.
    pub overlay: Option<HashMap<String, Val>>,
    pub(super) condition_stack: Vec<String>,
    /// Parameters read through `Ref`, in order (to tell what decided a condition).
    pub(super) params_read: Vec<String>,
    /// Choices consulted so far (a condition decided by a variant's choice is no default's).
    pub(super) consulted: usize,
    /// While deciding whether defaults decide a condition: parameter defaults read as unknown.
    pub(super) hide_defaults: bool,
    /// Conditions taken as decided: a resource switched off by a default or a given value is
    /// built as if its condition were true.
    pub forced: BTreeMap<String, bool>,
    /// Parameters whose default a forced condition overrides: unknown, with the reason.
    pub hidden: BTreeMap<String, String>,
    /// Notes for the role: `Fn::If` branches that parameter defaults decided.
    pub default_notes: Vec<String>,
    depth: usize,
}

impl<'t> Resolver<'t> {
    pub fn new(
        tpl: &'t Template,
        params: &'t HashMap<String, ParamValue>,
        choices: &'t BTreeMap<Choice, usize>,
        branching: bool,
    ) -> Resolver<'t> {
        Resolver {
            tpl,
            params,
            choices,
            branching,
            pending: Vec::new(),
            used: BTreeSet::new(),
            imports: Vec::new(),
            overlay: None,
            condition_stack: Vec::new(),
            params_read: Vec::new(),
            consulted: 0,
            hide_defaults: false,
            forced: BTreeMap::new(),
            hidden: BTreeMap::new(),
            default_notes: Vec::new(),
            depth: 0,
        }
    }

    /// The expression as written at `span`, on one line and shortened.
    pub fn expr(&self, v: &Val) -> String {
        let text = self.tpl.text(v.span);
        let text = if text.is_empty() {
            v.render()
        } else {
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        if text.chars().count() > MAX_EXPR_CHARS {
            let cut: String = text.chars().take(MAX_EXPR_CHARS).collect();
            format!("{cut}…")
        } else {
            text
        }
    }

    pub fn unknown(&self, v: &Val, reason: impl Into<String>) -> Val {
        Val::unknown(self.expr(v), reason, v.span)
    }

    /// Resolves a value; `None` means `AWS::NoValue` (the property is removed).
    pub fn resolve(&mut self, v: &Val) -> Option<Val> {
        match &v.kind {
            ValKind::Map(entries) => {
                if let Some((name, arg)) = intrinsic(v) {
                    if self.depth >= MAX_CALL_DEPTH {
                        return Some(self.unknown(v, "intrinsic functions nest too deeply"));
                    }
                    self.depth += 1;
                    let r = self.call(v, name, arg);
                    self.depth -= 1;
                    return r;
                }
                let mut out = Vec::with_capacity(entries.len());
                for (k, x) in entries {
                    if let Some(r) = self.resolve(x) {
                        out.push((k.clone(), r));
                    }
                }
                Some(Val::new(ValKind::Map(out), v.span))
            }
            ValKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for x in items {
                    if let Some(r) = self.resolve(x) {
                        out.push(r);
                    }
                }
                Some(Val::new(ValKind::List(out), v.span))
            }
            _ => Some(v.clone()),
        }
    }

    /// Resolves to a value; `AWS::NoValue` becomes null.
    pub fn value(&mut self, v: &Val) -> Val {
        self.resolve(v)
            .unwrap_or_else(|| Val::new(ValKind::Null, v.span))
    }

    fn call(&mut self, v: &Val, name: &str, arg: &Val) -> Option<Val> {
        match name {
            "Ref" => self.reference(v, arg),
            "Fn::If" => self.fn_if(v, arg),
            "Fn::Sub" => Some(self.sub(v, arg)),
            "Fn::Join" => Some(self.join(v, arg)),
            "Fn::GetAtt" => Some(self.get_att(v, arg)),
            "Fn::Select" => Some(self.select(v, arg)),
            "Fn::Split" => Some(self.split(v, arg)),
            "Fn::FindInMap" => Some(self.find_in_map(v, arg)),
            "Fn::ImportValue" => {
                let name = self.value(arg);
                let export = match (&name.kind, name.as_str()) {
                    (_, Some(s)) => s.to_string(),
                    _ => self.expr(arg),
                };
                self.imports.push((v.span, export.clone()));
                Some(self.unknown(v, format!("cross-stack import of {export}")))
            }
            "Fn::Base64" => {
                let s = self.value(arg);
                Some(match self.text_of(&s) {
                    Ok(t) => Val::str(base64(t.as_bytes()), v.span),
                    Err(reason) => self.unknown(v, reason),
                })
            }
            "Fn::GetAZs" => Some(self.unknown(
                v,
                "the availability zones of a region are known only at deployment",
            )),
            "Fn::Cidr" => Some(self.cidr(v, arg)),
            "Fn::Length" => {
                let l = self.value(arg);
                Some(match &l.kind {
                    ValKind::List(items) => {
                        Val::new(ValKind::Number(items.len().to_string()), v.span)
                    }
                    ValKind::Unknown(u) => self.unknown(v, u.reason.clone()),
                    _ => self.unknown(v, "Fn::Length needs a list"),
                })
            }
            "Fn::ToJsonString" => {
                let x = self.value(arg);
                Some(match x.unknowns().first() {
                    Some((_, u)) => self.unknown(v, u.reason.clone()),
                    None => Val::str(x.to_json().to_string(), v.span),
                })
            }
            "Fn::Transform" => Some(self.unknown(
                v,
                "the output of a CloudFormation macro (Fn::Transform) is not known offline",
            )),
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                Some(match self.eval_condition_expr(v) {
                    Ok(b) => Val::new(ValKind::Bool(b), v.span),
                    Err(reason) => self.unknown(v, reason),
                })
            }
            other => Some(self.unknown(
                v,
                format!("{other} is not an intrinsic function iamlint evaluates"),
            )),
        }
    }

    /// A scalar as text for Sub and Join: strings, numbers and booleans.
    pub fn text_of(&self, v: &Val) -> Result<String, String> {
        match &v.kind {
            ValKind::Str(s) | ValKind::Number(s) => Ok(s.clone()),
            ValKind::Bool(b) => Ok(b.to_string()),
            ValKind::Unknown(u) => Err(u.reason.clone()),
            ValKind::Null => Err("the value is empty (AWS::NoValue or null)".into()),
            ValKind::List(_) | ValKind::Map(_) => {
                Err(format!("expected a string, found {}", v.render()))
            }
        }
    }

    fn reference(&mut self, v: &Val, arg: &Val) -> Option<Val> {
        let target = self.value(arg);
        let Some(name) = target.as_str().map(str::to_string) else {
            return Some(self.unknown(v, "Ref needs the name of a parameter or resource"));
        };
        if let Some(val) = self.overlay.as_ref().and_then(|o| o.get(&name)) {
            return Some(val.clone());
        }
        match name.as_str() {
            "AWS::NoValue" => return None,
            "AWS::AccountId" => return Some(Val::str(SELF_ACCOUNT, v.span)),
            "AWS::Partition" => return Some(Val::str(PARTITION, v.span)),
            "AWS::URLSuffix" => return Some(Val::str("amazonaws.com", v.span)),
            "AWS::Region" => return Some(Val::str(SELF_REGION, v.span)),
            "AWS::StackName" | "AWS::StackId" => {
                return Some(self.unknown(v, format!("{name} is known only at deployment")));
            }
            "AWS::NotificationARNs" => {
                return Some(
                    self.unknown(v, "the stack's notification ARNs are given at deployment"),
                );
            }
            _ => {}
        }
        if let Some(p) = self.params.get(&name) {
            self.params_read.push(name.clone());
            if let Some(reason) = self.hidden.get(&name) {
                return Some(self.unknown(v, reason.clone()));
            }
            return Some(match p {
                ParamValue::Known(_, Origin::Default(why)) if self.hide_defaults => {
                    self.unknown(v, why.clone())
                }
                ParamValue::Known(val, _) => {
                    let mut val = val.clone();
                    respan_shallow(&mut val, v.span);
                    val
                }
                ParamValue::Unknown(reason) => self.unknown(v, reason.clone()),
                ParamValue::Choice(allowed) => {
                    let choice = Choice::Param(name.clone());
                    match self.choices.get(&choice) {
                        Some(i) => {
                            self.consulted += 1;
                            self.used.insert(choice);
                            match allowed.get(*i) {
                                Some(s) => Val::str(s.clone(), v.span),
                                None => self.unknown(v, "internal: allowed value out of range"),
                            }
                        }
                        None => {
                            let reason = format!(
                                "parameter {name} has no Default and no value was given with --parameter; it allows {} values, more than the variants iamlint checks",
                                allowed.len()
                            );
                            if self.branching {
                                self.ask(choice);
                            }
                            self.unknown(v, reason)
                        }
                    }
                }
            });
        }
        if let Some(r) = self.tpl.resource(&name) {
            let ty = r.ty.clone();
            return Some(match ty.as_str() {
                "AWS::IAM::Role" => self.named(v, &name, "RoleName", "role"),
                "AWS::IAM::User" => self.named(v, &name, "UserName", "user"),
                "AWS::IAM::InstanceProfile" => {
                    self.named(v, &name, "InstanceProfileName", "instance profile")
                }
                "AWS::IAM::ManagedPolicy" => match self.resource_name(&name, "ManagedPolicyName") {
                    Ok(n) => {
                        let path = self.resource_path(&name);
                        Val::str(
                            format!("arn:{PARTITION}:iam::{SELF_ACCOUNT}:policy{path}{n}"),
                            v.span,
                        )
                    }
                    Err(reason) => self.unknown(v, reason),
                },
                _ => self.unknown(
                    v,
                    format!(
                        "the physical id of {name} ({ty}) is assigned when the stack is deployed"
                    ),
                ),
            });
        }
        Some(self.unknown(
            v,
            format!("{name} is neither a parameter nor a resource of this template"),
        ))
    }

    fn named(&mut self, v: &Val, id: &str, prop: &str, what: &str) -> Val {
        match self.resource_name(id, prop) {
            Ok(n) => Val::str(n, v.span),
            Err(_) => self.unknown(
                v,
                format!("the name of {what} {id} is generated by CloudFormation (no {prop})"),
            ),
        }
    }

    /// The physical name property of a resource, resolved.
    pub fn resource_name(&mut self, id: &str, prop: &str) -> Result<String, String> {
        let tpl = self.tpl;
        let Some(raw) = tpl.resource(id).and_then(|r| r.property(prop)) else {
            return Err(format!(
                "{id} has no {prop}; CloudFormation generates the name"
            ));
        };
        if self.depth >= MAX_CALL_DEPTH {
            return Err("intrinsic functions nest too deeply".into());
        }
        self.depth += 1;
        let name = self.value(raw);
        self.depth -= 1;
        self.text_of(&name)
    }

    fn resource_path(&mut self, id: &str) -> String {
        let tpl = self.tpl;
        let raw = tpl.resource(id).and_then(|r| r.property("Path"));
        match raw.map(|p| self.value(p)) {
            Some(p) => self.text_of(&p).unwrap_or_else(|_| "/".into()),
            None => "/".into(),
        }
    }

    /// `arn:aws:iam::(this-account):role/<path><name>`; a generated name is written
    /// `(generated-name-of-<LogicalId>)` so that the account is still known.
    pub fn iam_arn(&mut self, id: &str, kind: &str, prop: &str) -> String {
        let path = self.resource_path(id);
        let name = self
            .resource_name(id, prop)
            .unwrap_or_else(|_| format!("(generated-name-of-{id})"));
        format!("arn:{PARTITION}:iam::{SELF_ACCOUNT}:{kind}{path}{name}")
    }

    fn fn_if(&mut self, v: &Val, arg: &Val) -> Option<Val> {
        let items = list_items(arg);
        let (Some(cond), Some(a), Some(b)) = (items.first(), items.get(1), items.get(2)) else {
            return Some(
                self.unknown(v, "Fn::If needs [condition, value if true, value if false]"),
            );
        };
        let Some(name) = cond.as_str().map(str::to_string) else {
            return Some(self.unknown(v, "Fn::If needs a condition name"));
        };
        match self.if_condition(&name) {
            Ok(true) => self.resolve(a),
            Ok(false) => self.resolve(b),
            Err(reason) => Some(self.unknown(v, reason)),
        }
    }

    fn sub(&mut self, v: &Val, arg: &Val) -> Val {
        let (template, vars) = match &arg.kind {
            ValKind::List(items) => {
                let (Some(t), vars) = (items.first(), items.get(1)) else {
                    return self.unknown(v, "Fn::Sub needs a string");
                };
                (t, vars)
            }
            _ => (arg, None),
        };
        let template = self.value(template);
        let Some(text) = template.as_str().map(str::to_string) else {
            return match template.kind {
                ValKind::Unknown(u) => self.unknown(v, u.reason),
                _ => self.unknown(v, "Fn::Sub needs a string"),
            };
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        let mut first_unknown: Option<String> = None;
        while let Some(i) = rest.find("${") {
            out.push_str(rest.get(..i).unwrap_or(""));
            let after = rest.get(i + 2..).unwrap_or("");
            if let Some(lit) = after.strip_prefix('!') {
                // `${!Literal}` is written as `${Literal}`.
                out.push_str("${");
                rest = lit;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(rest.get(i..).unwrap_or(""));
                rest = "";
                break;
            };
            let var = after.get(..end).unwrap_or("").trim();
            rest = after.get(end + 1..).unwrap_or("");
            let value = self.sub_var(v, var, vars);
            match self.text_of(&value) {
                Ok(s) if out.len() + s.len() > MAX_STRING_BYTES => {
                    return self.unknown(v, "Fn::Sub would build a string over 1 MiB");
                }
                Ok(s) => out.push_str(&s),
                Err(reason) => {
                    if first_unknown.is_none() {
                        first_unknown = Some(reason);
                    }
                    out.push_str("${");
                    out.push_str(var);
                    out.push('}');
                }
            }
        }
        out.push_str(rest);
        match first_unknown {
            Some(reason) => self.unknown(v, reason),
            None => Val::str(out, v.span),
        }
    }

    fn sub_var(&mut self, at: &Val, var: &str, vars: Option<&Val>) -> Val {
        if let Some(x) = vars.and_then(|m| m.get(var)) {
            return self.value(x);
        }
        let synthetic = |name: &str, arg: Val| {
            Val::new(
                ValKind::Map(vec![(
                    Key {
                        name: name.into(),
                        span: at.span,
                    },
                    arg,
                )]),
                at.span,
            )
        };
        let is_param_or_pseudo = var.starts_with("AWS::")
            || self.params.contains_key(var)
            || self.overlay.as_ref().is_some_and(|o| o.contains_key(var));
        let call = if var.contains('.') && !is_param_or_pseudo {
            synthetic("Fn::GetAtt", Val::str(var, at.span))
        } else {
            synthetic("Ref", Val::str(var, at.span))
        };
        let r = self.value(&call);
        match r.kind {
            // Report the variable, not the synthetic call.
            ValKind::Unknown(u) => Val::unknown(format!("${{{var}}}"), u.reason, at.span),
            _ => r,
        }
    }

    fn join(&mut self, v: &Val, arg: &Val) -> Val {
        let items = list_items(arg);
        let (Some(delim), Some(list)) = (items.first(), items.get(1)) else {
            return self.unknown(v, "Fn::Join needs [delimiter, list]");
        };
        let delim = self.value(delim);
        let delim = match self.text_of(&delim) {
            Ok(d) => d,
            Err(reason) => return self.unknown(v, reason),
        };
        let list = self.value(list);
        let parts = match &list.kind {
            ValKind::List(items) => items.clone(),
            ValKind::Unknown(u) => return self.unknown(v, u.reason.clone()),
            _ => return self.unknown(v, "Fn::Join needs a list"),
        };
        let mut texts = Vec::with_capacity(parts.len());
        let mut total = 0usize;
        for p in &parts {
            match self.text_of(p) {
                Ok(s) => {
                    total = total.saturating_add(s.len()).saturating_add(delim.len());
                    if total > MAX_STRING_BYTES {
                        return self.unknown(v, "Fn::Join would build a string over 1 MiB");
                    }
                    texts.push(s)
                }
                Err(reason) => return self.unknown(v, reason),
            }
        }
        Val::str(texts.join(&delim), v.span)
    }

    fn get_att(&mut self, v: &Val, arg: &Val) -> Val {
        let (res, attr) = match &arg.kind {
            ValKind::List(items) => {
                let r = items.first().map(|x| self.value(x));
                let a = items.get(1).map(|x| self.value(x));
                match (
                    r.as_ref().and_then(|r| r.as_str().map(str::to_string)),
                    a.as_ref().and_then(|a| a.as_str().map(str::to_string)),
                ) {
                    (Some(r), Some(a)) => (r, a),
                    _ => {
                        let reason = a
                            .as_ref()
                            .and_then(|a| a.as_unknown().map(|u| u.reason.clone()))
                            .unwrap_or_else(|| "Fn::GetAtt needs [resource, attribute]".into());
                        return self.unknown(v, reason);
                    }
                }
            }
            _ => match arg.as_str().and_then(|s| s.split_once('.')) {
                Some((r, a)) => (r.to_string(), a.to_string()),
                None => return self.unknown(v, "Fn::GetAtt needs Resource.Attribute"),
            },
        };
        let Some(r) = self.tpl.resource(&res) else {
            return self.unknown(v, format!("{res} is not a resource of this template"));
        };
        let ty = r.ty.clone();
        match (ty.as_str(), attr.as_str()) {
            ("AWS::IAM::Role", "Arn") => Val::str(self.iam_arn(&res, "role", "RoleName"), v.span),
            ("AWS::IAM::User", "Arn") => Val::str(self.iam_arn(&res, "user", "UserName"), v.span),
            ("AWS::IAM::InstanceProfile", "Arn") => Val::str(
                self.iam_arn(&res, "instance-profile", "InstanceProfileName"),
                v.span,
            ),
            ("AWS::IAM::Role", "RoleId") | ("AWS::IAM::User", "UserId") => self.unknown(
                v,
                format!("the unique id of {res} is assigned by IAM at creation"),
            ),
            _ => self.unknown(
                v,
                format!("attribute {attr} of {res} ({ty}) is known only after deployment"),
            ),
        }
    }

    fn select(&mut self, v: &Val, arg: &Val) -> Val {
        let items = list_items(arg);
        let (Some(index), Some(list)) = (items.first(), items.get(1)) else {
            return self.unknown(v, "Fn::Select needs [index, list]");
        };
        let index = self.value(index);
        let i = match self.text_of(&index).map(|s| s.trim().parse::<usize>()) {
            Ok(Ok(i)) => i,
            Ok(Err(_)) => return self.unknown(v, "the index of Fn::Select is not a number"),
            Err(reason) => return self.unknown(v, reason),
        };
        let list = self.value(list);
        match &list.kind {
            ValKind::List(items) => match items.get(i) {
                Some(x) => {
                    let mut x = x.clone();
                    respan_shallow(&mut x, v.span);
                    x
                }
                None => self.unknown(v, format!("Fn::Select index {i} is out of range")),
            },
            ValKind::Unknown(u) => self.unknown(v, u.reason.clone()),
            _ => self.unknown(v, "Fn::Select needs a list"),
        }
    }

    fn split(&mut self, v: &Val, arg: &Val) -> Val {
        let items = list_items(arg);
        let (Some(delim), Some(s)) = (items.first(), items.get(1)) else {
            return self.unknown(v, "Fn::Split needs [delimiter, string]");
        };
        let delim = self.value(delim);
        let s = self.value(s);
        match (self.text_of(&delim), self.text_of(&s)) {
            (Ok(d), Ok(s))
                if !d.is_empty() && s.matches(d.as_str()).nth(MAX_SPLIT_ITEMS).is_some() =>
            {
                self.unknown(v, "Fn::Split would produce more than 10,000 items")
            }
            (Ok(d), Ok(s)) if !d.is_empty() => Val::new(
                ValKind::List(s.split(d.as_str()).map(|p| Val::str(p, v.span)).collect()),
                v.span,
            ),
            (Ok(_), Ok(_)) => self.unknown(v, "Fn::Split needs a non-empty delimiter"),
            (Err(reason), _) | (_, Err(reason)) => self.unknown(v, reason),
        }
    }

    fn find_in_map(&mut self, v: &Val, arg: &Val) -> Val {
        let items = list_items(arg);
        let (Some(m), Some(k1), Some(k2)) = (items.first(), items.get(1), items.get(2)) else {
            return self.unknown(
                v,
                "Fn::FindInMap needs [map, top-level key, second-level key]",
            );
        };
        let default = items.get(3).and_then(|d| d.get("DefaultValue"));
        let m = self.value(m);
        let k1 = self.value(k1);
        let k2 = self.value(k2);
        let tpl = self.tpl;
        let Some(map_name) = m.as_str() else {
            return self.unknown(
                v,
                m.as_unknown()
                    .map_or("the map name is not a string".into(), |u| u.reason.clone()),
            );
        };
        let Some(map) = tpl.mappings.as_ref().and_then(|ms| ms.get(map_name)) else {
            return match default {
                Some(d) => self.value(d),
                None => self.unknown(v, format!("the template has no mapping {map_name}")),
            };
        };
        // A key that is the deployment's region (a placeholder) picks an entry per region.
        let key = |r: Result<String, String>| match r {
            Ok(s) if s.contains(SELF_REGION) => {
                Err("the region is known only at deployment".into())
            }
            other => other,
        };
        let k2 = key(self.text_of(&k2));
        let k1 = key(self.text_of(&k1));
        let found = match (&k1, &k2) {
            (Ok(a), Ok(b)) => map.get(a).and_then(|x| x.get(b)),
            (Err(reason), Ok(b)) => {
                // The top-level key is unknown (often AWS::Region): the value is still known
                // when every top-level entry gives the same one.
                let values: Vec<&Val> = match &map.kind {
                    ValKind::Map(entries) => entries.iter().filter_map(|(_, e)| e.get(b)).collect(),
                    _ => Vec::new(),
                };
                let first = values.first().copied();
                let same = first.is_some_and(|f| {
                    values.iter().all(|x| x.kind == f.kind)
                        && matches!(&map.kind, ValKind::Map(e) if e.len() == values.len())
                });
                if same {
                    first
                } else {
                    let reason = reason.clone();
                    return self.unknown(
                        v,
                        format!(
                            "the mapping {map_name} is looked up with an unknown key: {reason}"
                        ),
                    );
                }
            }
            (_, Err(reason)) => {
                let reason = reason.clone();
                return self.unknown(
                    v,
                    format!("the mapping {map_name} is looked up with an unknown key: {reason}"),
                );
            }
        };
        match (found, default) {
            (Some(x), _) => {
                let x = x.clone();
                let mut r = self.value(&x);
                respan_shallow(&mut r, v.span);
                r
            }
            (None, Some(d)) => self.value(d),
            (None, None) => self.unknown(
                v,
                format!(
                    "the mapping {map_name} has no entry {} / {}",
                    k1.unwrap_or_default(),
                    k2.unwrap_or_default()
                ),
            ),
        }
    }

    fn cidr(&mut self, v: &Val, arg: &Val) -> Val {
        let items = list_items(arg);
        let parts: Vec<Result<String, String>> = items
            .iter()
            .map(|x| {
                let r = self.value(x);
                self.text_of(&r)
            })
            .collect();
        let (Some(Ok(block)), Some(Ok(count)), Some(Ok(bits))) =
            (parts.first(), parts.get(1), parts.get(2))
        else {
            let reason = parts
                .iter()
                .find_map(|p| p.as_ref().err().cloned())
                .unwrap_or_else(|| "Fn::Cidr needs [ipBlock, count, cidrBits]".into());
            return self.unknown(v, reason);
        };
        match cidr_v4(block, count, bits) {
            Some(list) => Val::new(
                ValKind::List(list.into_iter().map(|c| Val::str(c, v.span)).collect()),
                v.span,
            ),
            None => self.unknown(v, "Fn::Cidr is evaluated for IPv4 blocks only"),
        }
    }

    /// Records an undecided choice for the variant driver.
    pub(super) fn ask(&mut self, c: Choice) {
        if !self.pending.contains(&c) {
            self.pending.push(c);
        }
    }
}

/// The function name and argument of an intrinsic call (`{"Fn::Sub": ..}`, `{"Ref": ..}`).
pub fn intrinsic(v: &Val) -> Option<(&str, &Val)> {
    match &v.kind {
        ValKind::Map(entries) if entries.len() == 1 => {
            let (k, arg) = entries.first()?;
            if k.name == "Ref" || k.name.starts_with("Fn::") {
                Some((k.name.as_str(), arg))
            } else {
                None
            }
        }
        _ => None,
    }
}

pub fn list_items(v: &Val) -> Vec<&Val> {
    match &v.kind {
        ValKind::List(items) => items.iter().collect(),
        _ => vec![v],
    }
}

/// Gives a value copied from elsewhere (a parameter default, a mapping) the span of its use.
fn respan_shallow(v: &mut Val, span: Span) {
    v.span = span;
    if let ValKind::List(items) = &mut v.kind {
        for i in items {
            i.span = span;
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0) as u32;
        let b1 = chunk.get(1).copied().unwrap_or(0) as u32;
        let b2 = chunk.get(2).copied().unwrap_or(0) as u32;
        let n = (b0 << 16) | (b1 << 8) | b2;
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                let idx = ((n >> shift) & 63) as usize;
                out.push(T.get(idx).map_or('A', |c| *c as char));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Fn::Cidr` for an IPv4 block: `count` subnets of `32 - bits` prefix length.
fn cidr_v4(block: &str, count: &str, bits: &str) -> Option<Vec<String>> {
    let (addr, prefix) = block.split_once('/')?;
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    let prefix: u32 = prefix.parse().ok()?;
    let count: u32 = count.trim().parse().ok()?;
    let bits: u32 = bits.trim().parse().ok()?;
    if prefix > 32 || bits == 0 || bits > 32 - prefix || count == 0 || count > 256 {
        return None;
    }
    let new_prefix = 32 - bits;
    let base = u32::from(ip)
        & if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
    let step = 1u64 << bits;
    let room = 1u64 << (32 - prefix);
    if u64::from(count) * step > room {
        return None;
    }
    Some(
        (0..u64::from(count))
            .map(|i| {
                let a = std::net::Ipv4Addr::from((u64::from(base) + i * step) as u32);
                format!("{a}/{new_prefix}")
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn cidr_splits_ipv4_blocks() {
        assert_eq!(
            cidr_v4("10.0.0.0/16", "3", "8"),
            Some(vec![
                "10.0.0.0/24".to_string(),
                "10.0.1.0/24".to_string(),
                "10.0.2.0/24".to_string()
            ])
        );
        assert_eq!(cidr_v4("10.0.0.0/30", "3", "8"), None);
        assert_eq!(cidr_v4("fd00::/8", "1", "64"), None);
    }
}
