//! Registry modules that are not on disk. Owns two things:
//!
//! - Modelled modules: the public interfaces of popular role-making modules, described as data in
//!   `data/modules/*.yaml` (embedded at build time, schema in docs/module-interfaces.md). A call
//!   whose `version` constraint picks one described major version is evaluated into the role the
//!   module creates, built from the caller's inputs (with their spans) and the module's
//!   documented defaults, so that every rule checks it.
//! - Inputs only: for any other module that is not on disk, the inputs whose values are
//!   principals, OIDC subjects or managed policy ARNs become a role-shaped record
//!   ([`MODULE_INPUTS`]) on which the rules that hold whatever the module does run.
//!
//! Modules that `terraform init` downloaded never come here: their code is evaluated instead.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::iam::model::{
    AttachedPolicy, DocumentKind, MODULE_INPUTS, ManagedPolicyRef, Role, RoleState, SourceKind, Str,
};
use crate::iam::policy::parse_document;
use crate::span::Span;
use crate::value::{Key, Piece, SELF_ACCOUNT, Unknown, Val, ValKind};

use super::eval::{InstKey, Instance, Scope, as_bool, as_string};
use super::extract::policy_from;
use super::parse::{ModuleCall, literal_string};

include!(concat!(env!("OUT_DIR"), "/builtin_modules.rs"));

/// Arguments of a module block that are Terraform's, not the module's inputs.
pub const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

// ---------------------------------------------------------------------------------------------
// The interface schema (docs/module-interfaces.md).

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceFile {
    /// The registry address, with the submodule (`terraform-aws-modules/iam/aws//modules/x`).
    pub module: String,
    /// The repository the registry serves it from (`github.com/owner/repo//modules/x`), to
    /// recognise `git::` sources.
    pub repository: String,
    /// The major version a call without `version` gets from the registry, when described.
    #[serde(default)]
    pub latest_major: Option<u64>,
    pub versions: Vec<VersionSpec>,
}

/// One major version of a module: its inputs and locals, the outputs it describes, and the
/// roles it makes. In the file, the first role's fields may stand at the version's own level
/// (the common one-role module) and further roles under `roles`.
#[derive(Debug, Deserialize)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct VersionSpec {
    pub major: u64,
    /// The release whose variables and README this description was written from.
    pub reviewed: String,
    pub documentation: String,
    /// The lowest release of this major the description holds for: a version constraint that
    /// admits an earlier release of the major is not modelled.
    pub from: Option<String>,
    /// The lowest release of this major the roles are described for (the outputs from `from`):
    /// a constraint that admits an earlier release gets the outputs, and its roles are checked
    /// at the "inputs only" level.
    pub roles_from: Option<String>,
    /// The documented default of every input used below (`null` for none).
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// Values the module computes from its inputs, read like inputs (`{input: NAME}`, `when`
    /// switches, `${input.NAME}`); a local uses inputs only.
    pub locals: BTreeMap<String, ValueSpec>,
    /// Outputs that name something the module creates (an OIDC provider), by output name.
    pub outputs: BTreeMap<String, OutputSpec>,
    /// The roles the module makes; none for a module described only for its outputs.
    pub roles: Vec<RoleSpec>,
    /// The module makes no IAM role at all (a label, a lookup of existing roles): a call is
    /// then fully described by its outputs, and its inputs are not checked as a role's.
    pub makes_no_roles: bool,
}

/// The version-level fields of a [`VersionSpec`] as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionHead {
    major: u64,
    reviewed: String,
    documentation: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    roles_from: Option<String>,
    #[serde(default)]
    inputs: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    locals: BTreeMap<String, ValueSpec>,
    #[serde(default)]
    outputs: BTreeMap<String, OutputSpec>,
    #[serde(default)]
    roles: Vec<RoleSpec>,
    #[serde(default)]
    makes_no_roles: bool,
}

const VERSION_KEYS: &[&str] = &[
    "major",
    "reviewed",
    "documentation",
    "from",
    "roles_from",
    "inputs",
    "locals",
    "outputs",
    "roles",
    "makes_no_roles",
];

impl TryFrom<serde_json::Map<String, serde_json::Value>> for VersionSpec {
    type Error = String;

    fn try_from(map: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let (head, first): (serde_json::Map<_, _>, serde_json::Map<_, _>) = map
            .into_iter()
            .partition(|(k, _)| VERSION_KEYS.contains(&k.as_str()));
        let head: VersionHead =
            serde_json::from_value(serde_json::Value::Object(head)).map_err(|e| e.to_string())?;
        let mut roles = Vec::new();
        if !first.is_empty() {
            let role: RoleSpec = serde_json::from_value(serde_json::Value::Object(first))
                .map_err(|e| format!("version {}: {e}", head.major))?;
            roles.push(role);
        }
        roles.extend(head.roles);
        if head.makes_no_roles && !roles.is_empty() {
            return Err(format!(
                "version {}: `makes_no_roles` with roles described",
                head.major
            ));
        }
        Ok(VersionSpec {
            major: head.major,
            reviewed: head.reviewed,
            documentation: head.documentation,
            from: head.from,
            roles_from: head.roles_from,
            inputs: head.inputs,
            locals: head.locals,
            outputs: head.outputs,
            roles,
            makes_no_roles: head.makes_no_roles,
        })
    }
}

/// A role the module makes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// The address of the role inside the module (`aws_iam_role.this`).
    pub role: String,
    /// Inputs that must all be true for the role to be created (`!NAME`: false;
    /// `NAME!=TEXT`, `NAME==TEXT`: the input's string compared with TEXT).
    #[serde(default)]
    pub create: Vec<String>,
    /// The role's name: the first of these that is set.
    #[serde(default)]
    pub name: Vec<ValueSpec>,
    /// Inputs that must all be true for the name to be a prefix (`name_prefix`).
    #[serde(default)]
    pub name_prefix_when: Vec<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub max_session_duration: Option<String>,
    /// An input holding a whole trust policy that replaces the statements below when set.
    #[serde(default)]
    pub trust_document: Option<ValueSpec>,
    #[serde(default)]
    pub trust: Vec<StatementSpec>,
    #[serde(default)]
    pub managed_policies: Vec<ValueSpec>,
    /// Inputs holding JSON policy documents that become inline (or module-made) policies.
    #[serde(default)]
    pub policy_documents: Vec<ValueSpec>,
    /// Inputs holding statements in the module's object form (sid, effect, actions, ...), or
    /// the module's own statements as literals.
    #[serde(default)]
    pub policy_statements: Vec<ValueSpec>,
    /// Switches that make the module write a policy of its own that is not modelled: the note
    /// added to the role when the input is set.
    #[serde(default)]
    pub not_modelled: BTreeMap<String, NotModelled>,
    /// One role per item of a map input (a node group each): the values above read the item
    /// with `each: FIELD`, `${each.FIELD}`, `${each.key}` and `each.FIELD` switches.
    #[serde(default)]
    pub for_each: Option<RoleForEach>,
}

/// A role the module makes once per item of a map input, through a module call of its own
/// (`module.eks_managed_node_group["KEY"]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleForEach {
    /// The map input whose items each get a role.
    pub input: String,
    /// The name of the module's own call that makes one role per item: the role's address is
    /// `module.CALL["KEY"].ROLE`.
    pub call: String,
    /// A map input whose fields stand for the fields an item leaves out (v20's
    /// `eks_managed_node_group_defaults`).
    #[serde(default)]
    pub defaults: Option<String>,
    /// The documented default of every item field used, when neither the item nor `defaults`
    /// sets it (`null` for none).
    #[serde(default)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// A documented output: a string in which `${this_account}`, `${this_region}`,
/// `${assigned}` (the id the module's resource gets at apply, the same in every output of one
/// call) and `${generated}` (a name the module generates from its inputs) stand for what
/// iamlint does not work out, and `${input.NAME}` is an input's value; or a value computed
/// from the inputs. It is `otherwise` (null by
/// default) unless every `when` input is true.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// A string output; exactly one of `template` and `value`.
    #[serde(default)]
    pub template: Option<String>,
    /// An output of any type computed from the inputs.
    #[serde(default)]
    pub value: Option<ValueSpec>,
    /// An attribute of a role the version describes (`aws_iam_role.this.name`,
    /// `aws_iam_role.this.arn`): a policy attached through the output is the role's, and the
    /// ARN is one of this account's.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub when: Vec<String>,
    /// The output when a `when` switch is false.
    #[serde(default)]
    pub otherwise: Option<serde_json::Value>,
}

/// A part of the module that iamlint does not model, switched on by an input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotModelled {
    /// What the input makes the module do.
    pub note: String,
    /// It adds to the trust policy: the trust is then reported as not fully known (IAM008).
    #[serde(default)]
    pub trust: bool,
}

/// A value: exactly one of `input`, `each`, `template`, `value`, `concat`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueSpec {
    /// A module input (its caller's value, else its documented default).
    #[serde(default)]
    pub input: Option<String>,
    /// A field of the current `for_each` element.
    #[serde(default)]
    pub each: Option<String>,
    /// A string with `${input.x}`, `${each}`, `${each.f}`, `${this_account}` and filters
    /// (`|or_input:NAME` falls back to another input or local).
    #[serde(default)]
    pub template: Option<String>,
    /// A literal.
    #[serde(default)]
    pub value: Option<serde_json::Value>,
    /// The elements of several values, in order.
    #[serde(default)]
    pub concat: Vec<ValueSpec>,
    /// The first of these values that is not null (an unknown one before it makes it unknown).
    #[serde(default)]
    pub first: Vec<ValueSpec>,
    /// An object with these attributes.
    #[serde(default)]
    pub object: BTreeMap<String, ValueSpec>,
    /// A list of these values, each one element (those whose `when` is false left out).
    #[serde(default)]
    pub list: Vec<ValueSpec>,
    /// A value the module works out that iamlint does not: unknown, described by this text.
    #[serde(default)]
    pub unknown: Option<String>,
    /// Keeps only the string elements of a list (lists that mix strings and objects).
    #[serde(default)]
    pub strings_only: bool,
    /// The value used when the result is null or empty.
    #[serde(default)]
    pub if_empty: Option<serde_json::Value>,
    /// Maps each element of a list through this template (`${item}` is the element).
    #[serde(default)]
    pub item: Option<String>,
    /// The values at this dotted path (`service.tls.role_arn`) in each element, lists along the
    /// way flattened (Terraform's `x[*].service[*].tls[*].role_arn`); nulls and empty strings
    /// are left out, and an unknown on the way makes the whole value unknown.
    #[serde(default)]
    pub pluck: Option<String>,
    /// Prefixes each element with this text unless it already starts with it.
    #[serde(default)]
    pub ensure_prefix: Option<String>,
    /// Inputs that must all be true for this value to apply.
    #[serde(default)]
    pub when: Vec<String>,
    /// Inputs that, when all true, make this value not apply.
    #[serde(default)]
    pub unless: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementSpec {
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub when: Vec<String>,
    /// One statement per element: the inputs' list elements (strings), or the entries of one
    /// map input.
    #[serde(default)]
    pub for_each: Option<ForEach>,
    /// Inputs whose place in the caller stands for this statement and for the defaults it uses.
    #[serde(default)]
    pub anchor: Vec<String>,
    #[serde(default)]
    pub actions: Vec<ValueSpec>,
    #[serde(default)]
    pub principals: Vec<PrincipalSpec>,
    /// Inputs holding principals by type: a map of type to identifiers, or a list of
    /// `{type, identifiers}` objects (string elements are skipped).
    #[serde(default)]
    pub principals_from: Vec<ValueSpec>,
    #[serde(default)]
    pub conditions: Vec<ConditionSpec>,
    /// Inputs holding extra conditions as objects with test, variable and values.
    #[serde(default)]
    pub conditions_from: Vec<ValueSpec>,
    /// Statements in the module's object form, instead of the fields above.
    #[serde(default)]
    pub from: Option<ValueSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    pub inputs: Vec<String>,
    #[serde(default)]
    pub strip_prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSpec {
    #[serde(rename = "type")]
    pub ty: String,
    pub values: ValueSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    pub test: ValueSpec,
    pub variable: ValueSpec,
    pub values: ValueSpec,
    #[serde(default)]
    pub when: Vec<String>,
}

/// The embedded interfaces, parsed once. A file that does not parse or names an input it does
/// not declare is a build defect that `tests/registry_modules.rs` catches; here it is skipped.
pub fn interfaces() -> &'static [InterfaceFile] {
    static CELL: OnceLock<Vec<InterfaceFile>> = OnceLock::new();
    CELL.get_or_init(|| {
        BUILTIN_MODULES
            .iter()
            .filter_map(|(name, text)| parse_interface(name, text).ok())
            .collect()
    })
}

/// Parses and validates one interface file.
pub fn parse_interface(name: &str, text: &str) -> Result<InterfaceFile, String> {
    let f: InterfaceFile = serde_saphyr::from_str(text).map_err(|e| format!("{name}: {e}"))?;
    for v in &f.versions {
        let mut used = Vec::new();
        v.refs(&mut used);
        for u in used.iter().filter_map(Ref::input) {
            if !v.inputs.contains_key(u) && !v.locals.contains_key(u) {
                return Err(format!(
                    "{name}: version {} uses input `{u}` that `inputs` does not declare",
                    v.major
                ));
            }
        }
        for r in &v.roles {
            let Some(fe) = &r.for_each else { continue };
            let mut read = Vec::new();
            r.refs(&mut read);
            for field in read.iter().filter_map(Ref::field) {
                if field != "key" && !fe.fields.contains_key(field) {
                    return Err(format!(
                        "{name}: version {}: role {} reads item field `{field}` that its `for_each.fields` does not declare",
                        v.major, r.role
                    ));
                }
            }
        }
        for (l, spec) in &v.locals {
            if v.inputs.contains_key(l) {
                return Err(format!(
                    "{name}: version {}: local `{l}` has the name of an input",
                    v.major
                ));
            }
            let mut used = Vec::new();
            value_refs(spec, false, &mut used);
            if let Some(u) = used
                .iter()
                .filter_map(Ref::input)
                .find(|u| !v.inputs.contains_key(*u))
            {
                return Err(format!(
                    "{name}: version {}: local `{l}` uses `{u}`, which is not an input",
                    v.major
                ));
            }
        }
        for (o, spec) in &v.outputs {
            let given = [
                spec.template.is_some(),
                spec.value.is_some(),
                spec.role.is_some(),
            ];
            if given.iter().filter(|g| **g).count() != 1 {
                return Err(format!(
                    "{name}: version {}: output `{o}` needs exactly one of `template`, `value` and `role`",
                    v.major
                ));
            }
            if let Some(r) = &spec.role {
                let described = r.rsplit_once('.').is_some_and(|(addr, attr)| {
                    matches!(attr, "name" | "arn" | "id" | "unique_id")
                        && v.roles.iter().any(|x| x.role == addr)
                });
                if !described {
                    return Err(format!(
                        "{name}: version {}: output `{o}`: `role: {r}` is not the name, arn, id or unique_id of a role the version describes",
                        v.major
                    ));
                }
            }
        }
        for (key, from) in [("from", &v.from), ("roles_from", &v.roles_from)] {
            let Some(from) = from else { continue };
            match parse_version(from) {
                Some((m, ..)) if m == v.major => {}
                _ => {
                    return Err(format!(
                        "{name}: version {}: `{key}: {from}` is not a release of major {}",
                        v.major, v.major
                    ));
                }
            }
        }
    }
    Ok(f)
}

/// A switch of a `when` or `create` list: (negated, input, compared text). `!NAME` is true when
/// the input is false or empty, `NAME!=TEXT` when its string is not TEXT, `NAME==TEXT` when it is
/// (`NAME!=null`: the input is not null, even when it is an empty object).
fn switch(flag: &str) -> (bool, &str, Option<&str>) {
    if let Some((n, t)) = flag.split_once("!=") {
        return (true, n.trim(), Some(t.trim()));
    }
    if let Some((n, t)) = flag.split_once("==") {
        return (false, n.trim(), Some(t.trim()));
    }
    match flag.strip_prefix('!') {
        Some(n) => (true, n, None),
        None => (false, flag, None),
    }
}

impl ValueSpec {
    /// The values this one is made of (`concat`, `first`, `list`, `object`).
    fn parts(&self) -> impl Iterator<Item = &ValueSpec> {
        self.concat
            .iter()
            .chain(&self.first)
            .chain(&self.list)
            .chain(self.object.values())
    }
}

/// What a part of an interface reads: an input (or local), or a field of the item a repeated
/// role is made for (`each: FIELD`, `${each.FIELD}`, an `each.FIELD` switch).
enum Ref<'a> {
    Input(&'a str),
    Field(&'a str),
}

impl<'a> Ref<'a> {
    fn input(&self) -> Option<&'a str> {
        match self {
            Ref::Input(n) => Some(n),
            Ref::Field(_) => None,
        }
    }

    fn field(&self) -> Option<&'a str> {
        match self {
            Ref::Field(f) => Some(f),
            Ref::Input(_) => None,
        }
    }
}

/// A name as a switch or a role field writes it: `each.FIELD` is the item's field (none inside
/// a statement repeated by its own `for_each`, whose `each` is its element), else an input.
fn name_ref<'a>(name: &'a str, in_element: bool, out: &mut Vec<Ref<'a>>) {
    match name.strip_prefix("each.") {
        Some(f) if !in_element => out.push(Ref::Field(f)),
        Some(_) => {}
        None => out.push(Ref::Input(name)),
    }
}

/// What the switches of a `when`, `unless` or `create` list read.
fn switch_refs<'a>(w: &'a [String], in_element: bool, out: &mut Vec<Ref<'a>>) {
    for s in w {
        name_ref(switch(s).1, in_element, out);
    }
}

/// What a value reads; `in_element`: it is inside a statement repeated by its own `for_each`.
fn value_refs<'a>(v: &'a ValueSpec, in_element: bool, out: &mut Vec<Ref<'a>>) {
    out.extend(v.input.as_deref().map(Ref::Input));
    if !in_element {
        out.extend(v.each.as_deref().map(Ref::Field));
    }
    switch_refs(&v.when, in_element, out);
    switch_refs(&v.unless, in_element, out);
    for c in v.parts() {
        value_refs(c, in_element, out);
    }
    for t in v.template.iter().chain(v.item.iter()) {
        template_refs(t, in_element, out);
    }
}

/// What a template reads: `${input.NAME}` (`${input.NAME.FIELD}`, `${input.NAME|f}`), the
/// fallbacks of `|or_input:NAME` filters, and `${each.FIELD}` of a repeated role's item.
fn template_refs<'a>(t: &'a str, in_element: bool, out: &mut Vec<Ref<'a>>) {
    let mut names = Vec::new();
    for key in ["${input.", "|or_input:"] {
        names_after(t, key, &mut names);
    }
    out.extend(names.into_iter().map(Ref::Input));
    if !in_element {
        let mut fields = Vec::new();
        names_after(t, "${each.", &mut fields);
        out.extend(fields.into_iter().map(Ref::Field));
    }
}

/// The names that follow `key` in a template (up to `}`, `|` or `.`).
fn names_after<'a>(t: &'a str, key: &str, out: &mut Vec<&'a str>) {
    let mut rest = t;
    while let Some(i) = rest.find(key) {
        let after = &rest[i + key.len()..];
        let end = after.find(['}', '|', '.']).unwrap_or(after.len());
        out.push(&after[..end]);
        rest = &after[end..];
    }
}

impl VersionSpec {
    /// What the version's outputs and roles read.
    fn refs<'a>(&'a self, out: &mut Vec<Ref<'a>>) {
        for o in self.outputs.values() {
            switch_refs(&o.when, false, out);
            if let Some(v) = &o.value {
                value_refs(v, false, out);
            }
            if let Some(t) = &o.template {
                template_refs(t, false, out);
            }
        }
        for r in &self.roles {
            r.refs(out);
        }
    }
}

impl RoleSpec {
    /// What the role reads: the inputs, and the item fields of a role repeated over a map.
    fn refs<'a>(&'a self, out: &mut Vec<Ref<'a>>) {
        switch_refs(&self.create, false, out);
        switch_refs(&self.name_prefix_when, false, out);
        for s in [
            &self.path,
            &self.permissions_boundary,
            &self.max_session_duration,
        ]
        .into_iter()
        .flatten()
        {
            name_ref(s, false, out);
        }
        out.extend(self.not_modelled.keys().map(|s| Ref::Input(s)));
        if let Some(fe) = &self.for_each {
            out.push(Ref::Input(&fe.input));
            out.extend(fe.defaults.as_deref().map(Ref::Input));
        }
        for v in self
            .name
            .iter()
            .chain(self.trust_document.iter())
            .chain(&self.managed_policies)
            .chain(&self.policy_documents)
            .chain(&self.policy_statements)
        {
            value_refs(v, false, out);
        }
        for s in &self.trust {
            // A statement repeated by its own `for_each` reads that element, not the item.
            let elem = s.for_each.is_some();
            switch_refs(&s.when, elem, out);
            out.extend(s.anchor.iter().map(|a| Ref::Input(a)));
            if let Some(fe) = &s.for_each {
                out.extend(fe.inputs.iter().map(|a| Ref::Input(a)));
            }
            for v in s
                .actions
                .iter()
                .chain(&s.conditions_from)
                .chain(&s.principals_from)
                .chain(s.from.iter())
                .chain(s.principals.iter().map(|p| &p.values))
            {
                value_refs(v, elem, out);
            }
            for c in &s.conditions {
                switch_refs(&c.when, elem, out);
                for v in [&c.test, &c.variable, &c.values] {
                    value_refs(v, elem, out);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Which interface a call gets.

/// What a module call that is not on disk gets.
pub enum Model {
    /// The roles the interface describes (listed as not created when the call switches
    /// them off).
    Modelled(Vec<Modelled>),
    /// No interface applies; the reason, for the IAM009 note.
    Unmodelled(Option<String>),
}

/// A role built from an interface, with the managed policy ARNs to link.
pub struct Modelled {
    pub role: Role,
    pub arns: Vec<(String, Val)>,
}

/// The registry address of a source: `registry.terraform.io/` dropped, `git::` GitHub sources
/// mapped through the interfaces' repositories, and the `ref` of a git source as its version.
fn normalise_source(source: &str) -> (String, Option<String>) {
    let s = source.trim();
    let s = s.strip_prefix("registry.terraform.io/").unwrap_or(s);
    let git = s
        .strip_prefix("git::https://")
        .or_else(|| s.strip_prefix("git::ssh://git@"))
        .or_else(|| s.strip_prefix("https://"))
        .or_else(|| s.strip_prefix("git@"))
        .filter(|r| r.starts_with("github.com"));
    let Some(rest) = git else {
        return (s.to_ascii_lowercase(), None);
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path
        .replacen("github.com:", "github.com/", 1)
        .replace(".git", "");
    let version = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("ref="))
        .map(|r| {
            let r = r.strip_prefix("tags/").unwrap_or(r);
            r.trim_start_matches('v').to_string()
        });
    let path = path.to_ascii_lowercase();
    for f in interfaces() {
        if f.repository.to_ascii_lowercase() == path {
            return (f.module.to_ascii_lowercase(), version);
        }
    }
    (path, version)
}

/// The values at a dotted path in each element of `v` (a list, or one object), lists along the
/// way flattened; nulls and empty strings are left out. An unknown on the way is the result.
fn pluck(v: &Val, path: &str) -> Val {
    let mut cur = vec![v.clone()];
    for part in path.split('.') {
        let mut next = Vec::new();
        for x in cur {
            if x.is_unknown() {
                return x;
            }
            let items = match &x.kind {
                ValKind::List(items) => items.clone(),
                ValKind::Null => Vec::new(),
                _ => vec![x],
            };
            for item in items {
                if item.is_unknown() {
                    return item;
                }
                if let Some(y) = item.get(part) {
                    next.push(y.clone());
                }
            }
        }
        cur = next;
    }
    let mut out = Vec::new();
    for x in cur {
        match &x.kind {
            ValKind::Unknown(_) => return x,
            ValKind::List(items) => out.extend(items.iter().cloned()),
            _ => out.push(x),
        }
    }
    out.retain(|x| {
        !matches!(&x.kind, ValKind::Null) && !matches!(&x.kind, ValKind::Str(s) if s.is_empty())
    });
    Val::new(ValKind::List(out), v.span)
}

/// A version as (major, minor, patch); missing parts are 0.
fn parse_version(s: &str) -> Option<(u64, u64, u64, usize)> {
    let s = s.trim().trim_start_matches('v');
    let core = s.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut n = [0u64; 3];
    for (i, p) in parts.iter().enumerate() {
        n[i] = p.parse().ok()?;
    }
    Some((n[0], n[1], n[2], parts.len()))
}

/// The major versions in `majors` that `constraint` admits (Terraform's version constraint
/// syntax: comma-separated `=`, `!=`, `>`, `>=`, `<`, `<=`, `~>` and bare versions).
pub fn admitted_majors(constraint: &str, majors: &[u64]) -> Result<Vec<u64>, String> {
    let (lo, lo_incl, hi) = interval(constraint)?;
    let below_hi = |v: (u64, u64, u64)| match hi {
        None => true,
        Some((h, incl)) => v < h || (incl && v == h),
    };
    Ok(majors
        .iter()
        .copied()
        .filter(|&m| {
            // Some version of major m is admitted: the smallest candidate at or above lo.
            let start = if lo.0 == m {
                if lo_incl { lo } else { (lo.0, lo.1, lo.2 + 1) }
            } else if lo.0 < m {
                (m, 0, 0)
            } else {
                return false;
            };
            below_hi(start)
        })
        .collect())
}

/// A version (major, minor, patch).
type Version3 = (u64, u64, u64);

/// A bound of an interval of versions, and whether it is included.
type Bound = (Version3, bool);

/// The versions a constraint admits as an interval: the lower bound (inclusive or not) and the
/// upper bound, if any (`!=` is ignored).
fn interval(constraint: &str) -> Result<(Version3, bool, Option<Bound>), String> {
    // Each term as an interval on (major, minor, patch).
    let mut lo = (0u64, 0u64, 0u64);
    let mut lo_incl = true;
    let mut hi: Option<((u64, u64, u64), bool)> = None;
    let mut narrow_lo = |v: (u64, u64, u64), incl: bool| {
        if v > lo || (v == lo && !incl) {
            lo = v;
            lo_incl = incl;
        }
    };
    let mut his: Vec<((u64, u64, u64), bool)> = Vec::new();
    for term in constraint.split(',') {
        let t = term.trim();
        if t.is_empty() {
            continue;
        }
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| t.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("=", t));
        let (a, b, c, n) =
            parse_version(rest).ok_or_else(|| format!("`{t}` is not a version constraint"))?;
        let v = (a, b, c);
        match op {
            "=" => {
                narrow_lo(v, true);
                his.push((v, true));
            }
            "!=" => {}
            ">" => narrow_lo(v, false),
            ">=" => narrow_lo(v, true),
            "<" => his.push((v, false)),
            "<=" => his.push((v, true)),
            _ => {
                // ~> X.Y.Z allows the rightmost part to grow: < X.(Y+1).0; ~> X.Y and ~> X:
                // < (X+1).0.0.
                narrow_lo(v, true);
                let upper = if n == 3 { (a, b + 1, 0) } else { (a + 1, 0, 0) };
                his.push((upper, false));
            }
        }
    }
    for h in his {
        hi = match hi {
            Some(cur) if cur.0 < h.0 || (cur.0 == h.0 && !cur.1) => Some(cur),
            _ => Some(h),
        };
    }
    Ok((lo, lo_incl, hi))
}

/// Picks the interface of a call, or says why there is none.
fn pick<'a>(
    source: &str,
    version: Option<&str>,
) -> Result<(&'a InterfaceFile, &'a VersionSpec), Option<String>> {
    let (addr, git_version) = normalise_source(source);
    let Some(file) = interfaces()
        .iter()
        .find(|f| f.module.to_ascii_lowercase() == addr)
    else {
        return Err(None);
    };
    let majors: Vec<u64> = file.versions.iter().map(|v| v.major).collect();
    let described = majors
        .iter()
        .map(|m| format!("v{m}"))
        .collect::<Vec<_>>()
        .join(", ");
    let version = version.map(str::to_string).or(git_version);
    let chosen = match &version {
        Some(c) => {
            let ok = admitted_majors(c, &majors).map_err(Some)?;
            match ok.as_slice() {
                [m] => *m,
                [] => {
                    return Err(Some(format!(
                        "iamlint describes its interface for {described} only, and version \"{c}\" admits none of them"
                    )));
                }
                _ => {
                    return Err(Some(format!(
                        "version \"{c}\" admits several major versions that iamlint describes ({described}); pin one"
                    )));
                }
            }
        }
        None => match file.latest_major.filter(|m| majors.contains(m)) {
            Some(m) => m,
            None => {
                return Err(Some(format!(
                    "it has no version constraint, and iamlint describes its interface for {described} only"
                )));
            }
        },
    };
    let spec = file
        .versions
        .iter()
        .find(|v| v.major == chosen)
        .ok_or(None)?;
    if let (Some(from), Some(c)) = (&spec.from, &version)
        && admits_before(c, from)?
    {
        return Err(Some(format!(
            "iamlint describes its interface from {from} on, and version \"{c}\" admits an earlier release"
        )));
    }
    Ok((file, spec))
}

/// Whether `constraint` admits a release of `from`'s major below `from`.
fn admits_before(constraint: &str, from: &str) -> Result<bool, Option<String>> {
    let Some((a, b, c, _)) = parse_version(from) else {
        return Ok(true);
    };
    let (lo, lo_incl, hi) = interval(constraint).map_err(Some)?;
    // The smallest admitted release of the major, if any is below `from`.
    let start = if lo.0 == a {
        if lo_incl { lo } else { (lo.0, lo.1, lo.2 + 1) }
    } else if lo.0 < a {
        (a, 0, 0)
    } else {
        return Ok(false);
    };
    let below_hi = match hi {
        None => true,
        Some((h, incl)) => start < h || (incl && start == h),
    };
    Ok(start < (a, b, c) && below_hi)
}

// ---------------------------------------------------------------------------------------------
// Evaluating a call against an interface.

/// The call being modelled: the caller's inputs (evaluated in the caller, with their spans)
/// and the interface's defaults.
struct Call<'a> {
    spec: &'a VersionSpec,
    given: HashMap<String, Val>,
    /// Where defaults point when no anchor input is given: the call's `source` (an item's
    /// place for a role repeated over a map input).
    fallback: Span,
    /// The item of a role repeated over a map input.
    item: Option<Item>,
}

/// The item a repeated role is made for: its key (none when the map is unknown: one role then
/// stands for every item) and its fields, with the defaults filled in.
struct Item {
    key: Option<String>,
    value: Val,
}

/// Tri-state truth of a switch.
fn truth(v: &Val) -> Option<bool> {
    match &v.kind {
        ValKind::Unknown(_) => None,
        ValKind::Null => Some(false),
        ValKind::Bool(b) => Some(*b),
        ValKind::List(l) => Some(!l.is_empty()),
        ValKind::Map(m) => Some(!m.is_empty()),
        ValKind::Str(s) => Some(as_bool(v).unwrap_or(!s.is_empty())),
        ValKind::Number(n) => Some(n != "0"),
    }
}

fn json_to_val(j: &serde_json::Value, span: Span) -> Val {
    let kind = match j {
        serde_json::Value::Null => ValKind::Null,
        serde_json::Value::Bool(b) => ValKind::Bool(*b),
        serde_json::Value::Number(n) => ValKind::Number(n.to_string()),
        serde_json::Value::String(s) => ValKind::Str(s.clone()),
        serde_json::Value::Array(a) => {
            ValKind::List(a.iter().map(|x| json_to_val(x, span)).collect())
        }
        serde_json::Value::Object(o) => ValKind::Map(
            o.iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.clone(),
                            span,
                        },
                        json_to_val(v, span),
                    )
                })
                .collect(),
        ),
    };
    Val::new(kind, span)
}

fn map_val(entries: Vec<(&str, Val)>, span: Span) -> Val {
    Val::new(
        ValKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.to_string(),
                            span,
                        },
                        v,
                    )
                })
                .collect(),
        ),
        span,
    )
}

fn is_empty(v: &Val) -> bool {
    match &v.kind {
        ValKind::Null => true,
        ValKind::Str(s) => s.is_empty(),
        ValKind::List(l) => l.is_empty(),
        ValKind::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// The elements of a list or a map's values, a scalar as itself; nulls and empty strings go.
fn elements(v: &Val) -> Vec<Val> {
    match &v.kind {
        ValKind::List(l) => l.iter().filter(|x| !is_empty(x)).cloned().collect(),
        ValKind::Map(m) => m
            .iter()
            .map(|(_, x)| x.clone())
            .filter(|x| !is_empty(x))
            .collect(),
        _ if is_empty(v) => Vec::new(),
        _ => vec![v.clone()],
    }
}

impl Call<'_> {
    /// An input's value: the caller's, else the documented default at `anchor`.
    fn input(&self, name: &str, anchor: Span) -> Val {
        if let Some(f) = name.strip_prefix("each.") {
            return self.item_field(f, anchor);
        }
        if let Some(v) = self.given.get(name) {
            return v.clone();
        }
        // A local reads inputs only (the loader checks), so this does not recurse further.
        if let Some(l) = self.spec.locals.get(name) {
            return self
                .value(l, None, anchor)
                .unwrap_or_else(|| Val::new(ValKind::Null, anchor));
        }
        match self.spec.inputs.get(name) {
            Some(d) => json_to_val(d, anchor),
            None => Val::new(ValKind::Null, anchor),
        }
    }

    /// A field of the current item (`key`: its key); every field of an unknown item is unknown.
    fn item_field(&self, field: &str, anchor: Span) -> Val {
        let Some(item) = &self.item else {
            return Val::new(ValKind::Null, anchor);
        };
        if item.value.is_unknown() {
            return item.value.clone();
        }
        if field == "key" {
            return item.key.as_ref().map_or_else(
                || Val::new(ValKind::Null, anchor),
                |k| Val::str(k.clone(), item.value.span),
            );
        }
        item.value
            .get(field)
            .cloned()
            .unwrap_or_else(|| Val::new(ValKind::Null, anchor))
    }

    /// All switches true: Some(true); one known false: Some(false); else None (unknown).
    fn when(&self, flags: &[String], anchor: Span) -> Option<bool> {
        let mut all = Some(true);
        for f in flags {
            let (neg, name, text) = switch(f);
            let v = self.input(name, anchor);
            let t = match text {
                // `null` compares with null itself (an empty object is not null).
                Some("null") if !v.is_unknown() => Some(matches!(v.kind, ValKind::Null)),
                // A comparison: an unknown stays unknown; null is not the text.
                Some(t) if !v.is_unknown() => Some(as_string(&v).as_deref() == Some(t)),
                Some(_) => None,
                None => truth(&v),
            };
            match t {
                Some(t) if t == neg => return Some(false),
                Some(_) => {}
                None => all = None,
            }
        }
        all
    }

    /// Evaluates a value; `None` when its `when` is false.
    fn value(&self, v: &ValueSpec, each: Option<&Val>, anchor: Span) -> Option<Val> {
        // A role repeated over a map input reads its item where no statement element is bound.
        let each = each.or(self.item.as_ref().map(|i| &i.value));
        if self.when(&v.when, anchor) == Some(false) {
            return None;
        }
        if !v.unless.is_empty() && self.when(&v.unless, anchor) == Some(true) {
            return None;
        }
        let mut base = if !v.concat.is_empty() {
            let mut items = Vec::new();
            for c in &v.concat {
                let Some(x) = self.value(c, each, anchor) else {
                    continue;
                };
                if x.is_unknown() {
                    return Some(x);
                }
                items.extend(elements(&x));
            }
            Val::new(ValKind::List(items), anchor)
        } else if !v.first.is_empty() {
            let mut found = Val::new(ValKind::Null, anchor);
            for c in &v.first {
                match self.value(c, each, anchor) {
                    Some(x) if x.is_unknown() || !matches!(x.kind, ValKind::Null) => {
                        found = x;
                        break;
                    }
                    _ => {}
                }
            }
            found
        } else if !v.list.is_empty() {
            let items = v
                .list
                .iter()
                .filter_map(|x| self.value(x, each, anchor))
                .collect();
            Val::new(ValKind::List(items), anchor)
        } else if !v.object.is_empty() {
            let entries = v
                .object
                .iter()
                .map(|(k, f)| {
                    let x = self
                        .value(f, each, anchor)
                        .unwrap_or_else(|| Val::new(ValKind::Null, anchor));
                    (
                        Key {
                            name: k.clone(),
                            span: anchor,
                        },
                        x,
                    )
                })
                .collect();
            Val::new(ValKind::Map(entries), anchor)
        } else if let Some(u) = &v.unknown {
            Val::unknown(
                u.clone(),
                format!("{u} is worked out by the module, which is not downloaded"),
                anchor,
            )
        } else if let Some(i) = &v.input {
            self.input(i, anchor)
        } else if let Some(f) = &v.each {
            match each {
                Some(e) if e.is_unknown() => e.clone(),
                _ => each
                    .and_then(|e| e.get(f).cloned())
                    .unwrap_or_else(|| Val::new(ValKind::Null, anchor)),
            }
        } else if let Some(t) = &v.template {
            self.template(t, each, None, anchor)
        } else if let Some(j) = &v.value {
            json_to_val(j, anchor)
        } else {
            Val::new(ValKind::Null, anchor)
        };
        if let Some(path) = &v.pluck {
            base = pluck(&base, path);
        }
        if v.strings_only
            && let ValKind::List(items) = &base.kind
        {
            let kept = items
                .iter()
                .filter(|x| matches!(x.kind, ValKind::Str(_) | ValKind::Unknown(_)))
                .cloned()
                .collect();
            base = Val::new(ValKind::List(kept), base.span);
        }
        if let Some(d) = &v.if_empty
            && is_empty(&base)
        {
            base = json_to_val(d, anchor);
        }
        if v.item.is_none() && v.ensure_prefix.is_none() {
            return Some(base);
        }
        let map_one = |x: &Val| -> Val {
            let x = match &v.item {
                Some(t) => self.template(t, each, Some(x), x.span),
                None => x.clone(),
            };
            match (&v.ensure_prefix, &x.kind) {
                (Some(p), ValKind::Str(s)) if !s.starts_with(p.as_str()) => {
                    Val::str(format!("{p}{s}"), x.span)
                }
                _ => x,
            }
        };
        Some(match &base.kind {
            ValKind::List(items) => Val::new(
                ValKind::List(items.iter().map(map_one).collect()),
                base.span,
            ),
            ValKind::Unknown(_) | ValKind::Null => base,
            _ => map_one(&base),
        })
    }

    /// Expands `${...}` references. A template that is one reference gives that value as it is.
    fn template(&self, t: &str, each: Option<&Val>, item: Option<&Val>, anchor: Span) -> Val {
        let lookup = |r: &str| -> Val {
            let (name, filters) = match r.split_once('|') {
                Some((n, f)) => (n, Some(f)),
                None => (r, None),
            };
            let mut v = if name == "this_account" {
                Val::str(SELF_ACCOUNT, anchor)
            } else if name == "this_region" {
                Val::str(crate::value::SELF_REGION, anchor)
            } else if name == "item" {
                item.cloned()
                    .unwrap_or_else(|| Val::new(ValKind::Null, anchor))
            } else if name == "each" {
                each.cloned()
                    .unwrap_or_else(|| Val::new(ValKind::Null, anchor))
            } else if name == "each.key" && self.item.is_some() {
                self.item_field("key", anchor)
            } else if let Some(f) = name.strip_prefix("each.") {
                let mut cur = each.cloned();
                for part in f.split('.') {
                    cur = match cur {
                        Some(e) if e.is_unknown() => Some(e),
                        c => c.and_then(|e| e.get(part).cloned()),
                    };
                }
                cur.unwrap_or_else(|| Val::new(ValKind::Null, anchor))
            } else if let Some(i) = name.strip_prefix("input.") {
                // `input.NAME.FIELD...`: a field of an object input; an unknown stays unknown.
                let mut parts = i.split('.');
                let mut cur = self.input(parts.next().unwrap_or_default(), anchor);
                for part in parts {
                    if cur.is_unknown() {
                        break;
                    }
                    cur = cur
                        .get(part)
                        .cloned()
                        .unwrap_or_else(|| Val::new(ValKind::Null, anchor));
                }
                cur
            } else {
                Val::new(ValKind::Null, anchor)
            };
            for f in filters.into_iter().flat_map(|f| f.split('|')) {
                let s = as_string(&v);
                v = match (f.split_once(':'), s) {
                    (Some(("strip", p)), Some(s)) => {
                        Val::str(s.strip_prefix(p).unwrap_or(&s).to_string(), v.span)
                    }
                    (Some(("after", p)), Some(s)) => Val::str(
                        s.rfind(p)
                            .map_or(s.as_str(), |i| &s[i + p.len()..])
                            .to_string(),
                        v.span,
                    ),
                    (None, s)
                        if f == "or_this_account"
                            && !v.is_unknown()
                            && s.as_deref().is_none_or(str::is_empty) =>
                    {
                        Val::str(SELF_ACCOUNT, v.span)
                    }
                    (Some(("or", d)), s)
                        if !v.is_unknown() && s.as_deref().is_none_or(str::is_empty) =>
                    {
                        Val::str(d, v.span)
                    }
                    // Another input's (or local's) value, with its own place in the caller.
                    (Some(("or_input", n)), s)
                        if !v.is_unknown() && s.as_deref().is_none_or(str::is_empty) =>
                    {
                        self.input(n, anchor)
                    }
                    _ => v,
                };
            }
            v
        };
        if let Some(inner) = t.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
            && !inner.contains("${")
        {
            return lookup(inner);
        }
        let mut out = String::new();
        let mut span: Option<Span> = None;
        let mut wild = false;
        let mut rest = t;
        // An unknown part keeps the known text around it (`${each.provider_arn|after:...}:sub`).
        let mut pieces: Vec<Piece> = Vec::new();
        let mut first_unknown: Option<Val> = None;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find('}').unwrap_or(after.len());
            let v = lookup(&after[..end]);
            if let Some(u) = v.as_unknown() {
                pieces.push(Piece::Text(std::mem::take(&mut out)));
                pieces.extend(u.pieces());
                first_unknown.get_or_insert(v.clone());
                rest = after.get(end + 1..).unwrap_or("");
                continue;
            }
            // The string's place is its first part from the caller, or rather the first that
            // holds a wildcard: the input that makes the value loose.
            let text = as_string(&v).unwrap_or_default();
            if v.span != anchor && (span.is_none() || (!wild && text.contains('*'))) {
                wild = text.contains('*');
                span = Some(v.span);
            }
            out.push_str(&text);
            rest = after.get(end + 1..).unwrap_or("");
        }
        out.push_str(rest);
        if let Some(first) = first_unknown {
            pieces.push(Piece::Text(out));
            let reason = first
                .as_unknown()
                .map_or(String::new(), |u| u.reason.clone());
            let u = Unknown::partial(crate::value::template_text(&pieces), reason, pieces);
            return Val::new(ValKind::Unknown(u), first.span);
        }
        Val::str(out, span.unwrap_or(anchor))
    }

    fn anchor(&self, names: &[String]) -> Span {
        names
            .iter()
            .find_map(|n| self.given.get(n).map(|v| v.span))
            .unwrap_or(self.fallback)
    }

    /// The trust policy's statements.
    fn trust_statements(&self, role: &RoleSpec) -> (Vec<Val>, Span) {
        let mut out = Vec::new();
        let mut first: Option<Span> = None;
        for s in &role.trust {
            let anchor = self.anchor(&s.anchor);
            if self.when(&s.when, anchor) == Some(false) {
                continue;
            }
            first.get_or_insert(anchor);
            if let Some(from) = &s.from {
                if let Some(v) = self.value(from, None, anchor) {
                    out.extend(object_statements(&v));
                }
                continue;
            }
            let eaches: Vec<Option<Val>> = match &s.for_each {
                None => vec![None],
                Some(fe) => {
                    let mut items: Vec<Val> = Vec::new();
                    for i in &fe.inputs {
                        let v = self.input(i, anchor);
                        if v.is_unknown() {
                            items.push(v);
                            continue;
                        }
                        for mut x in elements(&v) {
                            if let (Some(p), ValKind::Str(st)) = (&fe.strip_prefix, &x.kind) {
                                x = Val::str(
                                    st.strip_prefix(p.as_str()).unwrap_or(st).to_string(),
                                    x.span,
                                );
                            }
                            if !items.iter().any(|y| y.kind == x.kind) {
                                items.push(x);
                            }
                        }
                    }
                    items.into_iter().map(Some).collect()
                }
            };
            for each in eaches {
                out.push(self.statement(s, each.as_ref(), anchor));
            }
        }
        (out, first.unwrap_or(self.fallback))
    }

    fn statement(&self, s: &StatementSpec, each: Option<&Val>, anchor: Span) -> Val {
        let anchor = each.map_or(anchor, |e| e.span);
        let mut st: Vec<(&str, Val)> = Vec::new();
        if let Some(sid) = &s.sid {
            st.push(("Sid", Val::str(sid.clone(), anchor)));
        }
        st.push(("Effect", Val::str("Allow", anchor)));
        let mut actions: Vec<Val> = Vec::new();
        for a in &s.actions {
            if let Some(v) = self.value(a, each, anchor) {
                if v.is_unknown() {
                    actions.push(v);
                    continue;
                }
                for x in elements(&v) {
                    if !actions.iter().any(|y| y.kind == x.kind) {
                        actions.push(x);
                    }
                }
            }
        }
        st.push(("Action", Val::new(ValKind::List(actions), anchor)));
        let mut principals: Vec<(String, Val)> = Vec::new();
        for p in &s.principals {
            let Some(v) = self.value(&p.values, each, anchor) else {
                continue;
            };
            let items = if v.is_unknown() {
                vec![v.clone()]
            } else {
                elements(&v)
            };
            add_principals(&mut principals, &p.ty, items, v.span);
        }
        for pf in &s.principals_from {
            let Some(v) = self.value(pf, each, anchor) else {
                continue;
            };
            let one = |ids: &Val| -> Vec<Val> {
                if ids.is_unknown() {
                    vec![ids.clone()]
                } else {
                    elements(ids)
                }
            };
            match &v.kind {
                ValKind::Map(m) => {
                    for (k, ids) in m {
                        add_principals(&mut principals, &k.name, one(ids), ids.span);
                    }
                }
                ValKind::List(l) => {
                    for o in l {
                        if o.is_unknown() {
                            add_principals(&mut principals, "AWS", vec![o.clone()], o.span);
                            continue;
                        }
                        let (Some(t), Some(ids)) =
                            (o.get("type").and_then(as_string), o.get("identifiers"))
                        else {
                            continue;
                        };
                        add_principals(&mut principals, &t, one(ids), ids.span);
                    }
                }
                ValKind::Unknown(_) => {
                    add_principals(&mut principals, "AWS", vec![v.clone()], v.span)
                }
                _ => {}
            }
        }
        if !principals.is_empty() {
            let entries = principals
                .into_iter()
                .map(|(t, v)| {
                    (
                        Key {
                            name: t,
                            span: v.span,
                        },
                        v,
                    )
                })
                .collect();
            st.push(("Principal", Val::new(ValKind::Map(entries), anchor)));
        }
        // Conditions: operator → key → values, in the order written.
        let mut conds: Vec<CondGroup> = Vec::new();
        let mut add = |test: &Val, var: &Val, values: Val| {
            let (Some(t), Some(k)) = (as_string(test), as_string(var)) else {
                return;
            };
            let i = match conds.iter().position(|(o, _, _)| *o == t) {
                Some(i) => i,
                None => {
                    conds.push((t, test.span, Vec::new()));
                    conds.len() - 1
                }
            };
            if let Some((_, _, keys)) = conds.get_mut(i) {
                keys.push((k, var.span, values));
            }
        };
        let mut unknown_cond: Option<Val> = None;
        for c in &s.conditions {
            if self.when(&c.when, anchor) == Some(false) {
                continue;
            }
            let Some(values) = self.value(&c.values, each, anchor) else {
                continue;
            };
            if !values.is_unknown() && elements(&values).is_empty() {
                continue;
            }
            let test = self
                .value(&c.test, each, anchor)
                .unwrap_or_else(|| Val::new(ValKind::Null, anchor));
            let var = self
                .value(&c.variable, each, anchor)
                .unwrap_or_else(|| Val::new(ValKind::Null, anchor));
            // A key with a known `:claim` keeps its known parts (see `Unknown::ends_in_claim`).
            let var = match var.as_unknown().filter(|u| u.ends_in_claim()) {
                Some(u) => Val::str(crate::value::template_text(&u.parts), var.span),
                None => var,
            };
            if test.is_unknown() || var.is_unknown() {
                unknown_cond = Some(if test.is_unknown() { test } else { var });
                continue;
            }
            let values = if values.is_unknown() {
                values
            } else {
                Val::new(ValKind::List(elements(&values)), values.span)
            };
            add(&test, &var, values);
        }
        for cf in &s.conditions_from {
            let Some(v) = self.value(cf, each, anchor) else {
                continue;
            };
            if v.is_unknown() {
                unknown_cond = Some(v);
                continue;
            }
            for c in elements(&v) {
                let (Some(t), Some(k), Some(vals)) =
                    (c.get("test"), c.get("variable"), c.get("values"))
                else {
                    unknown_cond = Some(c.clone());
                    continue;
                };
                if t.is_unknown() || k.is_unknown() {
                    unknown_cond = Some(if t.is_unknown() { t.clone() } else { k.clone() });
                    continue;
                }
                add(t, k, vals.clone());
            }
        }
        if let Some(u) = unknown_cond {
            st.push(("Condition", u));
        } else if !conds.is_empty() {
            let span = conds.first().map_or(anchor, |c| c.1);
            let ops: Vec<(String, Span, Val)> = conds
                .into_iter()
                .map(|(op, sp, keys)| {
                    let m = Val::new(
                        ValKind::Map(
                            keys.into_iter()
                                .map(|(k, ks, v)| (Key { name: k, span: ks }, v))
                                .collect(),
                        ),
                        sp,
                    );
                    (op, sp, m)
                })
                .collect();
            st.push((
                "Condition",
                Val::new(
                    ValKind::Map(
                        ops.into_iter()
                            .map(|(op, sp, m)| (Key { name: op, span: sp }, m))
                            .collect(),
                    ),
                    span,
                ),
            ));
        }
        map_val(st, anchor)
    }
}

/// Adds principals of a type to a statement's Principal entries, merging same types.
fn add_principals(out: &mut Vec<(String, Val)>, ty: &str, items: Vec<Val>, span: Span) {
    if items.is_empty() {
        return;
    }
    match out.iter_mut().find(|(t, _)| t == ty) {
        Some((
            _,
            Val {
                kind: ValKind::List(l),
                ..
            },
        )) => l.extend(items),
        _ => out.push((ty.to_string(), Val::new(ValKind::List(items), span))),
    }
}

/// Conditions of one operator: the operator, its span, and key → values.
type CondGroup = (String, Span, Vec<(String, Span, Val)>);

/// Statements written in a module's object form (a list, or a map whose keys are Sids):
/// `sid`, `effect`, `actions`, `not_actions`, `resources`, `not_resources`, `principals` and
/// `not_principals` as lists of `{type, identifiers}`, `condition` or `conditions` as lists of
/// `{test, variable, values}`. An unknown value stays unknown.
fn object_statements(v: &Val) -> Vec<Val> {
    let items: Vec<(Option<&str>, &Val)> = match &v.kind {
        ValKind::Unknown(_) => return vec![v.clone()],
        ValKind::List(l) => l.iter().map(|x| (None, x)).collect(),
        ValKind::Map(m) => m.iter().map(|(k, x)| (Some(k.name.as_str()), x)).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (key, o) in items {
        if o.is_unknown() {
            out.push(o.clone());
            continue;
        }
        let sp = o.span;
        let mut st: Vec<(&str, Val)> = Vec::new();
        match o.get("sid").filter(|s| !is_empty(s)) {
            Some(s) => st.push(("Sid", s.clone())),
            None => {
                if let Some(k) = key {
                    let sid: String = k.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                    st.push(("Sid", Val::str(sid, sp)));
                }
            }
        }
        st.push((
            "Effect",
            o.get("effect")
                .filter(|e| !is_empty(e))
                .cloned()
                .unwrap_or_else(|| Val::str("Allow", sp)),
        ));
        for (from, to) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(x) = o.get(from).filter(|x| !is_empty(x)) {
                st.push((to, x.clone()));
            }
        }
        for (from, to) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            let Some(ps) = o.get(from).filter(|x| !is_empty(x)) else {
                continue;
            };
            if ps.is_unknown() {
                st.push((to, ps.clone()));
                continue;
            }
            let mut m: Vec<(Key, Val)> = Vec::new();
            for p in elements(ps) {
                match (p.get("type"), p.get("identifiers")) {
                    (Some(t), Some(ids)) => match as_string(t) {
                        Some(t) => m.push((
                            Key {
                                name: t,
                                span: p.span,
                            },
                            ids.clone(),
                        )),
                        None => m.push((
                            Key {
                                name: "?".into(),
                                span: p.span,
                            },
                            t.clone(),
                        )),
                    },
                    _ => m.push((
                        Key {
                            name: "?".into(),
                            span: p.span,
                        },
                        p.clone(),
                    )),
                }
            }
            st.push((to, Val::new(ValKind::Map(m), ps.span)));
        }
        let conds = o
            .get("condition")
            .or_else(|| o.get("conditions"))
            .filter(|x| !is_empty(x));
        if let Some(cs) = conds {
            if cs.is_unknown() {
                st.push(("Condition", cs.clone()));
            } else {
                let mut ops: Vec<(Key, Val)> = Vec::new();
                for c in elements(cs) {
                    let (Some(t), Some(k), Some(vals)) = (
                        c.get("test").and_then(as_string),
                        c.get("variable"),
                        c.get("values"),
                    ) else {
                        st.push((
                            "Condition",
                            Val::unknown(
                                c.render(),
                                "a condition without test, variable or values",
                                c.span,
                            ),
                        ));
                        break;
                    };
                    let key = Key {
                        name: as_string(k).unwrap_or_default(),
                        span: k.span,
                    };
                    match ops.iter_mut().find(|(o, _)| o.name == t) {
                        Some((
                            _,
                            Val {
                                kind: ValKind::Map(m),
                                ..
                            },
                        )) => m.push((key, vals.clone())),
                        _ => ops.push((
                            Key {
                                name: t,
                                span: c.span,
                            },
                            Val::new(ValKind::Map(vec![(key, vals.clone())]), c.span),
                        )),
                    }
                }
                if !ops.is_empty() {
                    st.push(("Condition", Val::new(ValKind::Map(ops), cs.span)));
                }
            }
        }
        out.push(map_val(st, sp));
    }
    out
}

fn document(statements: Vec<Val>, span: Span) -> Val {
    map_val(
        vec![
            ("Version", Val::str("2012-10-17", span)),
            ("Statement", Val::new(ValKind::List(statements), span)),
        ],
        span,
    )
}

/// An output of a module call that is not on disk, when its interface describes it: `None`
/// for an output that is not described (it stays unknown), or whose switches are unknown.
pub fn output(
    inst: &Instance,
    call: &ModuleCall,
    key: &InstKey,
    name: &str,
    span: Span,
) -> Option<Val> {
    let source = call
        .body
        .attr("source")
        .and_then(|a| literal_string(&a.expr))?;
    if super::module::is_local_source(&source) {
        return None;
    }
    let version = call
        .body
        .attr("version")
        .and_then(|a| literal_string(&a.expr));
    let (_, spec) = pick(&source, version.as_deref()).ok()?;
    let out = spec.outputs.get(name)?;
    // The inputs the interface declares; one that depends on `each` or `count` is unknown here.
    let given = spec
        .inputs
        .keys()
        .filter_map(|n| {
            call.body
                .attr(n)
                .map(|a| (n.clone(), inst.eval(&a.expr, &Scope::empty())))
        })
        .collect();
    let c = Call {
        spec,
        given,
        fallback: span,
        item: None,
    };
    // A role attribute of a role that only a root variable's default switches off stands for
    // the role checked as a template, so that what is attached through it reaches that role.
    let role_template = || {
        let addr = out.role.as_deref()?.rsplit_once('.')?.0;
        let r = spec.roles.iter().find(|r| r.role == addr)?;
        off_by_default(inst, call, &c, r, &Scope::empty())
    };
    let on = match c.when(&out.when, span)? {
        false => role_template().is_some(),
        true => true,
    };
    match on {
        false => Some(match &out.otherwise {
            Some(j) => json_to_val(j, span),
            None => Val::new(ValKind::Null, span),
        }),
        true => {
            if let Some(v) = &out.value {
                // An unknown input keeps its own reason (`var.enabled has no value`).
                return c.value(v, None, span).map(|v| Val { span, ..v });
            }
            let addr = format!("{}module.{}{}", inst.prefix, call.name, key.suffix());
            if let Some((role, attr)) = out.role.as_deref().and_then(|r| r.rsplit_once('.')) {
                let full = format!("{addr}.{role}");
                // The role's ARN is this account's, with the name assigned at apply; any other
                // attribute is known only after apply, and carries the role's address, so that
                // a policy attached through it is linked to the modelled role.
                if attr == "arn"
                    && let Some(arn) = super::resources::created_arn(&full, span)
                {
                    return Some(arn);
                }
                return Some(Val::unknown(
                    format!("module.{}.{name}", call.name),
                    format!("{full}.{attr} is known only after apply"),
                    span,
                ));
            }
            let text = out
                .template
                .as_deref()?
                .replace("${this_account}", SELF_ACCOUNT)
                .replace("${this_region}", crate::value::SELF_REGION)
                .replace(
                    "${assigned}",
                    &format!("(id of {addr}{}", crate::value::AT_APPLY),
                )
                .replace(
                    "${generated}",
                    &format!("{}name generated by {addr})", crate::value::UNKNOWN_PART),
                );
            // `${input.NAME}` parts are the caller's values; an unknown one keeps its reason.
            let v = c.template(&text, None, None, span);
            Some(Val { span, ..v })
        }
    }
}

/// The `create` switch that is false in the call and the root variable whose default alone
/// makes it so: the call's inputs evaluated in the probe instance (every default unknown)
/// leave that switch unknown.
fn off_by_default(
    inst: &Instance,
    call: &ModuleCall,
    actual: &Call,
    role: &RoleSpec,
    scope: &Scope,
) -> Option<(String, String)> {
    let probe = inst.probe.as_ref()?;
    let (spec, fallback) = (actual.spec, actual.fallback);
    let given = spec
        .inputs
        .keys()
        .filter_map(|n| {
            call.body
                .attr(n)
                .map(|a| (n.clone(), probe.eval(&a.expr, scope)))
        })
        .collect();
    let c = Call {
        spec,
        given,
        fallback,
        item: None,
    };
    // Every switch that is off in the call must be unknown once root defaults are not taken
    // (one that is off whatever the variables keeps the role off); the first names the
    // variable. A switch that is on says nothing about why the role is not made.
    let mut off = role
        .create
        .iter()
        .filter(|f| actual.when(std::slice::from_ref(*f), fallback) == Some(false))
        .map(|f| {
            let v = c.input(switch(f).1, fallback);
            v.as_unknown()
                .and_then(|u| super::eval::default_variable(&u.reason))
                .map(|var| (f.clone(), var))
        });
    let first = off.next()??;
    off.all(|x| x.is_some()).then_some(first)
}

/// Evaluates a module call that is not on disk against the interfaces.
pub fn model(
    inst: &Instance,
    call: &ModuleCall,
    key: &InstKey,
    bound: Option<&(&'static str, Val)>,
) -> Model {
    let Some(source) = call
        .body
        .attr("source")
        .and_then(|a| literal_string(&a.expr))
    else {
        return Model::Unmodelled(None);
    };
    if super::module::is_local_source(&source) {
        return Model::Unmodelled(None);
    }
    let version = call
        .body
        .attr("version")
        .and_then(|a| literal_string(&a.expr));
    let (file, spec) = match pick(&source, version.as_deref()) {
        Ok(x) => x,
        Err(why) => return Model::Unmodelled(why),
    };
    // A module that makes no role is fully described by its outputs; one described for its
    // outputs only keeps its roles at the inputs-only level.
    if spec.makes_no_roles {
        return Model::Modelled(Vec::new());
    }
    if spec.roles.is_empty() {
        return Model::Unmodelled(None);
    }
    // Roles described from a later release than the constraint admits: inputs only.
    let constraint = version.or_else(|| normalise_source(&source).1);
    if let (Some(from), Some(c)) = (&spec.roles_from, &constraint) {
        match admits_before(c, from) {
            Ok(false) => {}
            Ok(true) => {
                return Model::Unmodelled(Some(format!(
                    "iamlint describes its roles from {from} on, and version \"{c}\" admits an earlier release"
                )));
            }
            Err(why) => return Model::Unmodelled(why),
        }
    }
    let empty = Scope::empty();
    let scope = match bound {
        Some((n, v)) => empty.with(n, v.clone()),
        None => Scope::empty(),
    };
    let mut given = HashMap::new();
    for a in &call.body.attrs {
        if META_ARGUMENTS.contains(&a.name.as_str()) {
            continue;
        }
        given.insert(a.name.clone(), inst.eval(&a.expr, &scope));
    }
    let fallback = call.body.attr("source").map_or(call.span, |a| a.span);
    let c = Call {
        spec,
        given,
        fallback,
        item: None,
    };
    let mut roles = Vec::new();
    for r in &spec.roles {
        match &r.for_each {
            None => roles.push(model_role(inst, call, key, &c, file, r, &scope)),
            Some(fe) => {
                for item in items(&c, fe) {
                    let each = Call {
                        spec,
                        given: c.given.clone(),
                        fallback: item.value.span,
                        item: Some(item),
                    };
                    roles.push(model_role(inst, call, key, &each, file, r, &scope));
                }
            }
        }
    }
    Model::Modelled(roles)
}

/// The items a repeated role is made for: one per entry of the map input, its fields the
/// entry's, else the `defaults` map's, else the documented ones; one unknown item when the
/// map is unknown; none when it is empty or null.
fn items(c: &Call, fe: &RoleForEach) -> Vec<Item> {
    let map = c.input(&fe.input, c.fallback);
    let entries = match &map.kind {
        ValKind::Unknown(_) => {
            return vec![Item {
                key: None,
                value: map,
            }];
        }
        ValKind::Map(m) => m,
        _ => return Vec::new(),
    };
    let defaults = fe.defaults.as_ref().map(|d| c.input(d, c.fallback));
    entries
        .iter()
        .map(|(k, v)| {
            if v.is_unknown() {
                return Item {
                    key: Some(k.name.clone()),
                    value: v.clone(),
                };
            }
            let set = |x: Option<&Val>| x.filter(|x| !matches!(x.kind, ValKind::Null)).cloned();
            let fields = fe
                .fields
                .iter()
                .map(|(f, doc)| {
                    let from_defaults = defaults.as_ref().and_then(|d| {
                        if d.is_unknown() {
                            Some(d.clone())
                        } else {
                            set(d.get(f))
                        }
                    });
                    let x = set(v.get(f))
                        .or(from_defaults)
                        .unwrap_or_else(|| json_to_val(doc, v.span));
                    (f.as_str(), x)
                })
                .collect();
            Item {
                key: Some(k.name.clone()),
                value: map_val(fields, v.span),
            }
        })
        .collect()
}

/// Where a modelled policy comes from: the input that holds it, or the module itself.
fn policy_origin(d: &ValueSpec) -> String {
    match (&d.input, &d.each) {
        (Some(i), _) => format!("inline (module input {i})"),
        (None, Some(f)) => format!("inline (item field {f})"),
        (None, None) => "the module's own policy".into(),
    }
}

/// One role of a modelled call.
fn model_role(
    inst: &Instance,
    call: &ModuleCall,
    key: &InstKey,
    c: &Call,
    file: &InterfaceFile,
    r: &RoleSpec,
    scope: &Scope,
) -> Modelled {
    let spec = c.spec;
    let fallback = c.fallback;
    // A repeated role is made by the module's own call, one instance per item.
    let role_addr = match (&r.for_each, &c.item) {
        (Some(fe), Some(item)) => {
            let k = item
                .key
                .as_ref()
                .map_or(String::new(), |k| format!("[{}]", super::eval::quote(k)));
            format!("module.{}{k}.{}", fe.call, r.role)
        }
        _ => r.role.clone(),
    };
    let addr = format!(
        "{}module.{}{}.{}",
        inst.prefix,
        call.name,
        key.suffix(),
        role_addr
    );
    let mut notes = vec![format!(
        "modelled from the module's interface, v{} ({}, described from {}); run terraform init for the exact code",
        spec.major, file.module, spec.reviewed
    )];
    let mut state = RoleState::Checked;
    let unknown_items = match (&r.for_each, &c.item) {
        (Some(fe), Some(Item { key: None, value })) => Some(format!(
            "one role stands for every item of {}, which is unknown ({})",
            fe.input,
            value.as_unknown().map_or("", |u| u.reason.as_str())
        )),
        _ => None,
    };
    match c.when(&r.create, fallback) {
        // Listed, not checked: the call says the module makes no role (its own default
        // when the caller leaves the input out, which is the caller's choice).
        Some(false) => {
            state = match off_by_default(inst, call, c, r, scope) {
                // Only a root variable's default switches it off: checked as a template.
                Some((flag, var)) => RoleState::Template(format!(
                    "not created with the default values: {flag} is false from {var}"
                )),
                None => RoleState::NotCreated(format!(
                    "not created: the module creates no role unless {} is true",
                    r.create.join(" and ")
                )),
            }
        }
        Some(true) => {}
        None => {
            state = RoleState::Template(unknown_items.clone().unwrap_or_else(|| {
                format!(
                    "whether the module creates the role ({}) is unknown",
                    r.create.join(", ")
                )
            }))
        }
    }
    if let (Some(why), RoleState::Checked) = (&unknown_items, &state) {
        state = RoleState::Template(why.clone());
    }
    let text = |name: &Option<String>| -> Option<Str> {
        let v = c.input(name.as_deref()?, fallback);
        (!matches!(v.kind, ValKind::Null)).then(|| Str::from_val(&v))
    };
    let name = r
        .name
        .iter()
        .filter_map(|n| c.value(n, None, fallback))
        .find(|v| !is_empty(v))
        .map(|v| Str::from_val(&v));
    // Trust: a whole document given by the caller, or the statements.
    let replaced = r.trust_document.as_ref().and_then(|d| {
        let v = c.value(d, None, fallback)?;
        (!is_empty(&v)).then_some(v)
    });
    let (mut trust, trust_unknown, trust_span) = match replaced {
        Some(v) => {
            let (doc, unknown) = policy_from(inst, &v, DocumentKind::Trust);
            (doc, unknown, v.span)
        }
        None => {
            let (stmts, span) = c.trust_statements(r);
            let doc = parse_document(&document(stmts, span), DocumentKind::Trust);
            (Some(doc), None, span)
        }
    };
    let mut inline: Vec<AttachedPolicy> = Vec::new();
    for d in &r.policy_documents {
        let Some(v) = c.value(d, None, fallback) else {
            continue;
        };
        let docs = if v.is_unknown() {
            vec![v]
        } else {
            elements(&v)
        };
        for v in docs {
            let (document, unknown) = policy_from(inst, &v, DocumentKind::Identity);
            inline.push(AttachedPolicy {
                origin: policy_origin(d),
                name: None,
                span: v.span,
                document,
                unknown,
            });
        }
    }
    for d in &r.policy_statements {
        let Some(v) = c.value(d, None, fallback) else {
            continue;
        };
        if is_empty(&v) {
            continue;
        }
        let doc = parse_document(
            &document(object_statements(&v), v.span),
            DocumentKind::Identity,
        );
        inline.push(AttachedPolicy {
            origin: policy_origin(d),
            name: None,
            span: v.span,
            document: Some(doc),
            unknown: None,
        });
    }
    let mut arns = Vec::new();
    for m in &r.managed_policies {
        let Some(v) = c.value(m, None, fallback) else {
            continue;
        };
        let items = if v.is_unknown() {
            vec![v]
        } else {
            elements(&v)
        };
        for a in items {
            arns.push((format!("{addr}.managed_policy_arns"), a));
        }
    }
    for (input, nm) in &r.not_modelled {
        let Some(v) = c.given.get(input) else {
            continue;
        };
        match truth(v) {
            Some(false) => continue,
            Some(true) => notes.push(format!("{input}: {}; not modelled", nm.note)),
            None => notes.push(format!("{input} is unknown: {}; not modelled", nm.note)),
        }
        if nm.trust
            && let Some(doc) = trust.as_mut()
        {
            doc.unknowns.push((
                v.span,
                crate::value::Unknown::new(
                    input.clone(),
                    format!(
                        "{input}: {}; iamlint does not model it (run terraform init)",
                        nm.note
                    ),
                ),
            ));
        }
    }
    let role = Role {
        address: addr,
        source: SourceKind::Terraform,
        span: call.span,
        resource_type: "aws_iam_role".into(),
        name,
        path: text(&r.path),
        trust,
        trust_span: Some(trust_span),
        trust_unknown,
        inline_policies: inline,
        managed_policies: Vec::new(),
        permissions_boundary: text(&r.permissions_boundary).filter(|s| s.get() != Some("")),
        boundary_policy: None,
        max_session_duration: text(&r.max_session_duration),
        name_is_prefix: !r.name_prefix_when.is_empty()
            && c.when(&r.name_prefix_when, fallback) == Some(true),
        tags: crate::iam::model::Tags::unknown(
            "tags",
            "the tags of a role a registry module makes are not modelled",
        ),
        notes,
        metadata: Vec::new(),
        root: String::new(),
        state,
        files: vec![call.span.file],
    };
    Modelled { role, arns }
}

// ---------------------------------------------------------------------------------------------
// Inputs only.

/// What an input's value is, read as IAM would read it in a policy.
enum Kind {
    Principal(&'static str),
    ManagedPolicy,
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Classifies one string of a module input. Principals (account ids, IAM principal ARNs,
/// service principals, `*`) count only in inputs whose name says they are trusted or are
/// principals: an ARN in `task_role_arn` or `kms_key_administrators` is a role the module uses
/// or a key policy, not a trust. Managed policy ARNs count in any input but a boundary.
fn classify_value(s: &str, name: &str) -> Option<Kind> {
    let says_principal = ["trust", "principal", "assum", "account", "allowed"]
        .iter()
        .any(|w| name.contains(w));
    if name.contains("boundary") {
        return None;
    }
    if is_account(s) {
        return says_principal.then_some(Kind::Principal("AWS"));
    }
    if let Some(rest) = s.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if let [_, "iam", "", _, res] = parts.as_slice() {
            if res.starts_with("policy/") {
                return Some(Kind::ManagedPolicy);
            }
            // An identity provider ARN alone says nothing: what matters is the subject and
            // audience conditions the module writes, which are not known (subject inputs are
            // read on their own).
            if *res == "root" || ["role/", "user/"].iter().any(|p| res.starts_with(p)) {
                return says_principal.then_some(Kind::Principal("AWS"));
            }
        }
        if let [_, "sts", "", _, res] = parts.as_slice()
            && res.starts_with("assumed-role/")
        {
            return says_principal.then_some(Kind::Principal("AWS"));
        }
        return None;
    }
    if !says_principal {
        return None;
    }
    if s == "*" {
        return Some(Kind::Principal("AWS"));
    }
    if s.ends_with(".amazonaws.com") && !s.contains('/') && !s.contains(':') {
        return Some(Kind::Principal("Service"));
    }
    None
}

fn strings(v: &Val, out: &mut Vec<Val>) {
    match &v.kind {
        ValKind::Str(_) | ValKind::Number(_) => out.push(v.clone()),
        ValKind::List(l) => l.iter().for_each(|x| strings(x, out)),
        ValKind::Map(m) => m.iter().for_each(|(_, x)| strings(x, out)),
        _ => {}
    }
}

/// The issuer a subject input belongs to: a provider URL input of the call, else the subject's
/// shape (`repo:` is GitHub Actions), else GitHub when the input or the module's source names it.
fn issuer_of(
    given: &[(String, Val)],
    input: &str,
    subjects: &[Val],
    source: &str,
) -> Option<String> {
    for (n, v) in given {
        let n = n.to_ascii_lowercase();
        if (n.contains("provider_url") || n.contains("issuer"))
            && let Some(s) = as_string(v)
        {
            let s = s.trim_start_matches("https://").to_string();
            if !s.is_empty() {
                return Some(s);
            }
        }
    }
    let github = subjects
        .iter()
        .filter_map(|s| s.as_str())
        .any(|s| s.starts_with("repo:"))
        || source.to_ascii_lowercase().contains("github")
        || input.contains("github");
    github.then(|| "token.actions.githubusercontent.com".to_string())
}

/// The role-shaped record of a module that is not on disk and not modelled: its inputs that are
/// principals, OIDC subjects or managed policy ARNs. `None` when it has none.
pub fn inputs_only(
    inst: &Instance,
    call: &ModuleCall,
    key: &InstKey,
    bound: Option<&(&'static str, Val)>,
    why: &str,
) -> Option<Modelled> {
    let source = call
        .body
        .attr("source")
        .and_then(|a| literal_string(&a.expr))
        .unwrap_or_default();
    let empty = Scope::empty();
    let scope = match bound {
        Some((n, v)) => empty.with(n, v.clone()),
        None => Scope::empty(),
    };
    let given: Vec<(String, Val)> = call
        .body
        .attrs
        .iter()
        .filter(|a| !META_ARGUMENTS.contains(&a.name.as_str()))
        .map(|a| (a.name.clone(), inst.eval(&a.expr, &scope)))
        .collect();
    let addr = format!("{}module.{}{}", inst.prefix, call.name, key.suffix());
    // `module.x (source s, not downloaded) was not read` → `source s, not downloaded`.
    let why = why
        .split_once(" (")
        .and_then(|(_, r)| r.strip_suffix(") was not read"))
        .unwrap_or(why);
    let mut statements = Vec::new();
    let mut arns = Vec::new();
    for (name, v) in &given {
        let lname = name.to_ascii_lowercase();
        let mut leaves = Vec::new();
        strings(v, &mut leaves);
        if lname.contains("subject") {
            let subs: Vec<Val> = leaves
                .iter()
                .filter(|s| s.as_str().is_some())
                .cloned()
                .collect();
            if subs.is_empty() {
                continue;
            }
            let Some(issuer) = issuer_of(&given, &lname, &subs, &source) else {
                continue;
            };
            let span = v.span;
            let provider = Val::str(
                format!("arn:aws:iam::{SELF_ACCOUNT}:oidc-provider/{issuer}"),
                span,
            );
            let cond = map_val(
                vec![(
                    "StringLike",
                    Val::new(
                        ValKind::Map(vec![(
                            Key {
                                name: format!("{issuer}:sub"),
                                span,
                            },
                            Val::new(ValKind::List(subs), span),
                        )]),
                        span,
                    ),
                )],
                span,
            );
            statements.push(map_val(
                vec![
                    ("Effect", Val::str("Allow", span)),
                    ("Action", Val::str("sts:AssumeRoleWithWebIdentity", span)),
                    ("Principal", map_val(vec![("Federated", provider)], span)),
                    ("Condition", cond),
                ],
                span,
            ));
            continue;
        }
        let mut by_type: Vec<(&'static str, Vec<Val>)> = Vec::new();
        for leaf in leaves {
            let Some(s) = leaf.as_str() else { continue };
            match classify_value(s, &lname) {
                Some(Kind::ManagedPolicy) => {
                    arns.push((format!("{addr} (input {name})"), leaf.clone()))
                }
                Some(Kind::Principal(t)) => match by_type.iter_mut().find(|(x, _)| *x == t) {
                    Some((_, l)) => l.push(leaf.clone()),
                    None => by_type.push((t, vec![leaf.clone()])),
                },
                None => {}
            }
        }
        if by_type.is_empty() {
            continue;
        }
        let span = v.span;
        let action = "sts:AssumeRole";
        let principal = map_val(
            by_type
                .into_iter()
                .map(|(t, l)| (t, Val::new(ValKind::List(l), span)))
                .collect(),
            span,
        );
        statements.push(map_val(
            vec![
                ("Effect", Val::str("Allow", span)),
                ("Action", Val::str(action, span)),
                ("Principal", principal),
            ],
            span,
        ));
    }
    if statements.is_empty() && arns.is_empty() {
        return None;
    }
    let span = call.body.attr("source").map_or(call.span, |a| a.span);
    let trust = (!statements.is_empty())
        .then(|| parse_document(&document(statements, span), DocumentKind::Trust));
    let managed = arns
        .into_iter()
        .map(|(origin, a)| ManagedPolicyRef {
            origin,
            arn: Str::from_val(&a),
        })
        .collect();
    let role = Role {
        address: addr,
        source: SourceKind::Terraform,
        span: call.span,
        resource_type: MODULE_INPUTS.into(),
        name: None,
        path: None,
        trust,
        trust_span: Some(span),
        trust_unknown: None,
        inline_policies: Vec::new(),
        managed_policies: managed,
        permissions_boundary: None,
        boundary_policy: None,
        max_session_duration: None,
        name_is_prefix: false,
        tags: crate::iam::model::Tags::unknown("tags", "the module was not read"),
        notes: vec![format!(
            "inputs only: the module was not read ({why}); its inputs are checked as they would be in a role's trust and permission policies, and the conditions the module may add are not known; run terraform init for the exact code"
        )],
        metadata: Vec::new(),
        root: String::new(),
        state: RoleState::Checked,
        files: vec![call.span.file],
    };
    Some(Modelled {
        role,
        arns: Vec::new(),
    })
}
