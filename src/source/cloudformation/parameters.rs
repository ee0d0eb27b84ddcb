//! Template parameters: their declarations (type, Default, AllowedValues), the values the user
//! gave (`--parameter KEY=VALUE`, `--parameters FILE` in the CLI form
//! `[{"ParameterKey": .., "ParameterValue": ..}]` or the `{"Parameters": {..}}` form) and the
//! values a parent stack passes to a nested one. Hands the resolver one [`ParamValue`] per name:
//! known, to be checked with each allowed value, or unknown with the reason.

use std::collections::HashMap;

use crate::source::{Context, LoadFailure, SourceError};
use crate::value::{Key, Val, ValKind};

/// A declared parameter.
#[derive(Clone, Debug)]
pub struct ParamDecl {
    pub ty: String,
    pub default: Option<Val>,
    pub allowed: Vec<String>,
}

impl ParamDecl {
    pub fn read(_key: &Key, v: &Val) -> ParamDecl {
        let ty = v
            .get("Type")
            .and_then(Val::as_str)
            .unwrap_or("String")
            .to_string();
        let default = v.get("Default").cloned();
        let allowed = v
            .get("AllowedValues")
            .map(|a| a.items().iter().filter_map(|x| scalar_text(x)).collect())
            .unwrap_or_default();
        ParamDecl {
            ty,
            default,
            allowed,
        }
    }

    fn is_list(&self) -> bool {
        self.ty == "CommaDelimitedList" || self.ty.starts_with("List<")
    }

    fn is_ssm(&self) -> bool {
        self.ty.starts_with("AWS::SSM::Parameter::Value<")
    }
}

fn scalar_text(v: &Val) -> Option<String> {
    match &v.kind {
        ValKind::Str(s) | ValKind::Number(s) => Some(s.clone()),
        ValKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value given for a parameter from outside the template.
#[derive(Clone, Debug)]
pub enum Given {
    /// From `--parameter` or a parameter file; `source` says which.
    Text { value: String, source: String },
    /// From a parent stack's `Parameters`, resolved in the parent. `defaults` says why when the
    /// value was built from the parent's parameter defaults ("parameter Env defaults to dev").
    Value { value: Val, defaults: Vec<String> },
}

/// Where a known parameter value comes from, as a phrase for notes and states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A value the user supplied (`--parameter`, a parameter file, a parent stack's value):
    /// "parameter Env is prod (--parameter)".
    Given(String),
    /// The parameter's `Default`, or a parent's value built from the parent's defaults:
    /// "parameter Env defaults to dev". Users are expected to override these.
    Default(String),
}

/// What the resolver knows of a parameter.
#[derive(Clone, Debug)]
pub enum ParamValue {
    Known(Val, Origin),
    /// No value: each allowed value is checked in its own variant.
    Choice(Vec<String>),
    Unknown(String),
}

/// The parameter values of one template.
pub fn values(
    decls: &HashMap<String, ParamDecl>,
    given: &HashMap<String, Given>,
    nested: bool,
) -> HashMap<String, ParamValue> {
    let mut out = HashMap::with_capacity(decls.len());
    for (name, decl) in decls {
        let value = match given.get(name) {
            Some(Given::Value { value: v, defaults }) => {
                let origin = if defaults.is_empty() {
                    Origin::Given(format!(
                        "parameter {name} is {}, passed by the parent stack",
                        shown(v)
                    ))
                } else {
                    Origin::Default(format!("{} (in the parent stack)", defaults.join(" and ")))
                };
                match &v.kind {
                    ValKind::Unknown(u) => ParamValue::Unknown(format!(
                        "parameter {name} is passed by the parent stack as {}, which is unknown: {}",
                        u.expr, u.reason
                    )),
                    ValKind::Str(s) | ValKind::Number(s) if decl.is_list() => {
                        ParamValue::Known(split_list(s, v.span), origin)
                    }
                    _ => ParamValue::Known(v.clone(), origin),
                }
            }
            Some(Given::Text { value, .. }) if decl.is_ssm() => ParamValue::Unknown(format!(
                "parameter {name} is read from SSM parameter {value} at deployment"
            )),
            Some(Given::Text { value, source }) => {
                let span = decl.default.as_ref().map(|d| d.span).unwrap_or_default();
                ParamValue::Known(
                    typed(decl, value, span),
                    Origin::Given(format!("parameter {name} is {value} ({source})")),
                )
            }
            None => match &decl.default {
                Some(d) if decl.is_ssm() => ParamValue::Unknown(format!(
                    "parameter {name} is read from SSM parameter {} at deployment",
                    d.render()
                )),
                Some(d) => {
                    let origin =
                        Origin::Default(format!("parameter {name} defaults to {}", shown(d)));
                    match (&d.kind, decl.is_list()) {
                        (ValKind::Str(s) | ValKind::Number(s), true) => {
                            ParamValue::Known(split_list(s, d.span), origin)
                        }
                        (ValKind::Number(s), false) => {
                            ParamValue::Known(Val::str(s.clone(), d.span), origin)
                        }
                        _ => ParamValue::Known(d.clone(), origin),
                    }
                }
                None if !decl.allowed.is_empty() => ParamValue::Choice(decl.allowed.clone()),
                None if nested => ParamValue::Unknown(format!(
                    "parameter {name} has no Default and the parent stack passes no value"
                )),
                None => ParamValue::Unknown(format!(
                    "parameter {name} has no Default and no value was given with --parameter"
                )),
            },
        };
        out.insert(name.clone(), value);
    }
    out
}

/// A value as shown in a note: `""` for the empty string.
fn shown(v: &Val) -> String {
    match v.render() {
        s if s.is_empty() => "\"\"".to_string(),
        s => s,
    }
}

fn typed(decl: &ParamDecl, value: &str, span: crate::span::Span) -> Val {
    if decl.is_list() {
        split_list(value, span)
    } else {
        Val::str(value, span)
    }
}

/// A comma-delimited list: each member is space-trimmed, as CloudFormation does.
fn split_list(s: &str, span: crate::span::Span) -> Val {
    Val::new(
        ValKind::List(s.split(',').map(|p| Val::str(p.trim(), span)).collect()),
        span,
    )
}

/// Values from the command line and parameter files, with the errors reading them gave.
#[derive(Debug, Default)]
pub struct UserParameters {
    pub given: HashMap<String, Given>,
    /// The parameter files read: every role's evaluation read them (provenance).
    pub files: Vec<crate::span::FileId>,
    pub errors: Vec<SourceError>,
    pub load_failures: Vec<LoadFailure>,
}

/// Reads `--parameter` values and `--parameters` files. Command-line values win over files;
/// among files the later one wins.
pub fn user_parameters(ctx: &Context<'_>) -> UserParameters {
    let mut out = UserParameters::default();
    for path in &ctx.options.cfn_parameter_files {
        let display = ctx.display_path(path);
        let (file, source) = match ctx.load(path, display.clone()) {
            Ok(x) => x,
            Err(error) => {
                out.load_failures.push(LoadFailure { display, error });
                continue;
            }
        };
        out.files.push(file);
        let root = match crate::source::json::parse(&source.text, file, 0) {
            Ok(v) => v,
            Err(e) => {
                let lc = source.line_col(e.offset);
                out.errors.push(SourceError::at_line(
                    file,
                    lc.line,
                    lc.column,
                    format!("invalid parameter file: {}", e.message),
                ));
                continue;
            }
        };
        match &root.kind {
            ValKind::List(items) => {
                for item in items {
                    let key = item.get("ParameterKey").and_then(scalar_text);
                    let value = item.get("ParameterValue").and_then(scalar_text);
                    match (key, value) {
                        (Some(k), Some(value)) => {
                            out.given.insert(
                                k,
                                Given::Text {
                                    value,
                                    source: display.clone(),
                                },
                            );
                        }
                        _ if item.get("UsePreviousValue").is_some() => {}
                        _ => out.errors.push(SourceError::at(
                            item.span,
                            "expected an object with ParameterKey and ParameterValue strings",
                        )),
                    }
                }
            }
            ValKind::Map(_) => match root.get("Parameters").map(|p| &p.kind) {
                Some(ValKind::Map(entries)) => {
                    for (k, v) in entries {
                        match scalar_text(v) {
                            Some(value) => {
                                out.given.insert(
                                    k.name.clone(),
                                    Given::Text {
                                    value,
                                    source: display.clone(),
                                },
                                );
                            }
                            None => out.errors.push(SourceError::at(
                                v.span,
                                format!("the value of parameter {} must be a string", k.name),
                            )),
                        }
                    }
                }
                _ => out.errors.push(SourceError::at(
                    root.span,
                    "expected a list of {\"ParameterKey\", \"ParameterValue\"} objects or {\"Parameters\": {..}}",
                )),
            },
            _ => out.errors.push(SourceError::at(
                root.span,
                "expected a list of {\"ParameterKey\", \"ParameterValue\"} objects or {\"Parameters\": {..}}",
            )),
        }
    }
    for (k, v) in &ctx.options.cfn_parameters {
        out.given.insert(
            k.clone(),
            Given::Text {
                value: v.clone(),
                source: "--parameter".into(),
            },
        );
    }
    out
}
