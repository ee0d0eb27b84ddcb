//! The IAM model: roles, policy documents, statements, principals and conditions, the same
//! whatever the source format. Every field keeps its span so that a rule reports on the line the
//! user wrote. Built from resolved [`Val`] trees by [`crate::iam::policy::parse_document`].

use crate::span::Span;
use crate::value::{Unknown, Val};

/// Where a role was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Terraform,
    Cloudformation,
}

/// A string that may be unknown, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Str {
    pub span: Span,
    pub value: Result<String, Unknown>,
}

impl Str {
    pub fn known(s: impl Into<String>, span: Span) -> Str {
        Str {
            span,
            value: Ok(s.into()),
        }
    }

    /// The string, when known.
    pub fn get(&self) -> Option<&str> {
        self.value.as_deref().ok()
    }

    pub fn unknown(&self) -> Option<&Unknown> {
        self.value.as_ref().err()
    }

    /// The text for messages: the value, or `${expr}` when unknown.
    pub fn render(&self) -> String {
        match &self.value {
            Ok(s) => s.clone(),
            Err(u) => format!("${{{}}}", u.expr),
        }
    }

    /// From a scalar value; lists and maps become unknowns that say what they were.
    pub fn from_val(v: &Val) -> Str {
        use crate::value::ValKind;
        let value = match &v.kind {
            ValKind::Str(s) | ValKind::Number(s) => Ok(s.clone()),
            ValKind::Bool(b) => Ok(b.to_string()),
            ValKind::Unknown(u) => Err(u.clone()),
            ValKind::Null => Err(Unknown::new("null", "expected a string, found null")),
            ValKind::List(_) | ValKind::Map(_) => Err(Unknown::new(
                v.render(),
                "expected a string, found a list or map",
            )),
        };
        Str {
            span: v.span,
            value,
        }
    }
}

/// A problem in the shape of a policy document (wrong element, wrong type). Grammar rules
/// report these.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub span: Span,
    pub code: ProblemCode,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemCode {
    /// A key IAM does not know (`Effects`, `principal`).
    UnknownElement,
    /// An element of the wrong type (`Action: {}`), or an empty required list.
    BadType,
    /// `Effect` other than Allow or Deny.
    BadEffect,
    /// `Version` missing or not 2012-10-17 / 2008-10-17.
    BadVersion,
    /// Neither Action nor NotAction, or both.
    ActionElement,
    /// Both Principal and NotPrincipal, or both Resource and NotResource.
    Conflicting,
    /// A document that is not a JSON object, or has no Statement.
    NotADocument,
    /// `Version` is missing: IAM reads the policy as 2008-10-17 (no policy variables).
    MissingVersion,
    /// `Version` is 2008-10-17: policy variables such as `${aws:username}` are literal text.
    OldVersion,
    /// A `Principal` in an identity policy (IAM rejects it).
    PrincipalInIdentity,
    /// `Resource` or `NotResource` in a trust policy (IAM rejects it).
    ResourceInTrust,
    /// `NotPrincipal` in a trust policy (IAM rejects it).
    NotPrincipalInTrust,
    /// A trust policy statement without `Principal`.
    MissingPrincipal,
    /// A resource that is neither `*` nor an ARN (IAM rejects it).
    InvalidArn,
    /// Two statements with the same Sid.
    DuplicateSid,
    /// A statement that can never apply (NotAction `*`, an unknown condition operator, an
    /// account id in an ARN that no account has).
    NeverMatches,
    /// An action or service prefix that AWS does not have.
    UnknownAction,
}

impl ProblemCode {
    /// The rule-file name of the code.
    pub fn id(self) -> &'static str {
        match self {
            ProblemCode::UnknownElement => "unknown_element",
            ProblemCode::BadType => "bad_type",
            ProblemCode::BadEffect => "bad_effect",
            ProblemCode::BadVersion => "bad_version",
            ProblemCode::ActionElement => "action_element",
            ProblemCode::Conflicting => "conflicting",
            ProblemCode::NotADocument => "not_a_document",
            ProblemCode::MissingVersion => "missing_version",
            ProblemCode::OldVersion => "old_version",
            ProblemCode::PrincipalInIdentity => "principal_in_identity",
            ProblemCode::ResourceInTrust => "resource_in_trust",
            ProblemCode::NotPrincipalInTrust => "not_principal_in_trust",
            ProblemCode::MissingPrincipal => "missing_principal",
            ProblemCode::InvalidArn => "invalid_arn",
            ProblemCode::DuplicateSid => "duplicate_sid",
            ProblemCode::NeverMatches => "never_matches",
            ProblemCode::UnknownAction => "unknown_action",
        }
    }

    /// Every code, for rule-file validation.
    pub const ALL: &'static [ProblemCode] = &[
        ProblemCode::UnknownElement,
        ProblemCode::BadType,
        ProblemCode::BadEffect,
        ProblemCode::BadVersion,
        ProblemCode::ActionElement,
        ProblemCode::Conflicting,
        ProblemCode::NotADocument,
        ProblemCode::MissingVersion,
        ProblemCode::OldVersion,
        ProblemCode::PrincipalInIdentity,
        ProblemCode::ResourceInTrust,
        ProblemCode::NotPrincipalInTrust,
        ProblemCode::MissingPrincipal,
        ProblemCode::InvalidArn,
        ProblemCode::DuplicateSid,
        ProblemCode::NeverMatches,
        ProblemCode::UnknownAction,
    ];
}

/// What a policy document is attached as; decides which elements are required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// A role's trust policy (resource-based: Principal required, no Resource).
    Trust,
    /// An identity policy (inline or managed: Resource required, no Principal).
    Identity,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDocument {
    pub kind: DocumentKind,
    /// The document as a whole (the JSON object, the jsonencode call, the data source block).
    pub span: Span,
    pub version: Option<Str>,
    pub statements: Vec<Statement>,
    /// Shape problems found while reading it.
    pub problems: Vec<Problem>,
    /// Parts of the document that could not be resolved (a whole statement list from a
    /// variable, say), with their spans.
    pub unknowns: Vec<(Span, Unknown)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub span: Span,
    pub sid: Option<Str>,
    /// `None` when missing or unknown: such a statement grants nothing we can show.
    pub effect: Option<Effect>,
    pub effect_span: Span,
    pub effect_unknown: Option<Unknown>,
    pub principal: Option<PrincipalSet>,
    pub not_principal: Option<PrincipalSet>,
    pub action: Option<Strings>,
    pub not_action: Option<Strings>,
    pub resource: Option<Strings>,
    pub not_resource: Option<Strings>,
    pub conditions: Vec<Condition>,
    /// The `Condition` element as a whole, when present.
    pub condition_span: Option<Span>,
    /// The Condition block could not be resolved (it came from an unknown value): rules must
    /// not assume the statement is unrestricted.
    pub condition_unknown: Option<Unknown>,
}

impl Statement {
    /// The statement's unknown parts with their spans, in order: the effect, the principals,
    /// with `actions_and_resources` the Action, NotAction, Resource and NotResource items, the
    /// Condition block as a whole, and each condition's operator, key and values.
    pub fn unknown_parts(&self, actions_and_resources: bool) -> Vec<(Span, &Unknown)> {
        let mut out = Vec::new();
        if let Some(u) = &self.effect_unknown {
            out.push((self.effect_span, u));
        }
        for set in [&self.principal, &self.not_principal].into_iter().flatten() {
            for p in &set.entries {
                if let Some(u) = p.value.unknown() {
                    out.push((p.value.span, u));
                }
            }
        }
        if actions_and_resources {
            for list in [
                &self.action,
                &self.not_action,
                &self.resource,
                &self.not_resource,
            ]
            .into_iter()
            .flatten()
            {
                for s in &list.items {
                    if let Some(u) = s.unknown() {
                        out.push((s.span, u));
                    }
                }
            }
        }
        if let (Some(u), Some(span)) = (&self.condition_unknown, self.condition_span) {
            out.push((span, u));
        }
        for c in &self.conditions {
            for s in std::iter::once(&c.operator)
                .chain(std::iter::once(&c.key))
                .chain(c.values.iter())
            {
                if let Some(u) = s.unknown() {
                    out.push((s.span, u));
                }
            }
        }
        out
    }

    pub fn is_allow(&self) -> bool {
        self.effect == Some(Effect::Allow)
    }
}

/// A list of strings such as Action or Resource, with the element's key span.
#[derive(Clone, Debug, PartialEq)]
pub struct Strings {
    pub key_span: Span,
    pub items: Vec<Str>,
}

/// The principal element: `"*"`, or a map of type to one or many values.
#[derive(Clone, Debug, PartialEq)]
pub struct PrincipalSet {
    pub key_span: Span,
    pub span: Span,
    pub entries: Vec<Principal>,
}

/// The type key of a principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum PrincipalType {
    /// `Principal: "*"` written bare.
    Wildcard,
    #[serde(rename = "AWS")]
    Aws,
    Service,
    Federated,
    CanonicalUser,
    /// The type key could not be resolved, or is not one IAM knows.
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    pub ty: PrincipalType,
    /// The type as written (`AWS`, `Service`), for messages.
    pub type_name: String,
    pub value: Str,
}

/// One condition: operator, key and values, e.g. `StringEquals` `sts:ExternalId` `["abc"]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub operator: Str,
    pub key: Str,
    pub values: Vec<Str>,
    /// From the operator key to the end of the values.
    pub span: Span,
}

/// The `resource_type` of the role-shaped record made from the inputs of a Terraform module that
/// is not on disk and not modelled: only the rules that hold whatever the module does run on it.
pub const MODULE_INPUTS: &str = "module (inputs only)";

/// Whether and how a role is created with the values iamlint knows. Every role in the scanned
/// files has one, and `iamlint roles` shows it: nothing disappears from the inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RoleState {
    /// Created with the values iamlint knows, and checked.
    #[default]
    Checked,
    /// Checked as a template: how many instances there are is unknown, or the role is switched
    /// off only by a default (a variable default, a parameter `Default`) that its users are
    /// expected to override. The reason is shown with every finding.
    Template(String),
    /// Not created, because a value the user supplied (a tfvars file, `--var`, `--parameter`,
    /// a calling module's input) says so. Listed, not checked.
    NotCreated(String),
}

impl RoleState {
    /// The state's name in the JSON output: `checked`, `template` or `not_created`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RoleState::Checked => "checked",
            RoleState::Template(_) => "template",
            RoleState::NotCreated(_) => "not_created",
        }
    }

    /// Why the role is a template or not created.
    pub fn reason(&self) -> Option<&str> {
        match self {
            RoleState::Checked => None,
            RoleState::Template(r) | RoleState::NotCreated(r) => Some(r),
        }
    }
}

/// A role and everything attached to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    /// Terraform address (`module.ci.aws_iam_role.this["a"]`) or CloudFormation logical id.
    pub address: String,
    pub source: SourceKind,
    /// The resource as a whole (its block or its logical id entry).
    pub span: Span,
    /// The resource type (`aws_iam_role`, `AWS::IAM::Role`, `AWS::Serverless::Function`).
    pub resource_type: String,
    pub name: Option<Str>,
    /// `name` is a prefix (Terraform's `name_prefix`): the real name adds a generated suffix.
    pub name_is_prefix: bool,
    pub path: Option<Str>,
    /// The trust policy; `None` when the attribute is missing or its whole value is unknown.
    pub trust: Option<PolicyDocument>,
    /// The trust attribute's span (for findings about the trust policy as a whole).
    pub trust_span: Option<Span>,
    /// The trust policy's value could not be resolved at all.
    pub trust_unknown: Option<(Span, Unknown)>,
    pub inline_policies: Vec<AttachedPolicy>,
    pub managed_policies: Vec<ManagedPolicyRef>,
    pub permissions_boundary: Option<Str>,
    /// The boundary's document when it is a customer managed policy defined in the same code.
    pub boundary_policy: Option<AttachedPolicy>,
    pub max_session_duration: Option<Str>,
    /// The role's tags (Terraform `tags`, CloudFormation `Tags`), for rule selectors.
    pub tags: Tags,
    /// Facts about how this instance was evaluated, shown with its findings ("checked as a
    /// template: for_each is unknown", "when condition IsProd is true").
    pub notes: Vec<String>,
    /// Extra properties reported with findings, such as `aws:cdk:path`.
    pub metadata: Vec<(String, String)>,
    /// What the role was evaluated in, relative to the repository root with `/` separators:
    /// the Terraform root module's directory (`.` for the root itself), or the CloudFormation
    /// template (the top-level one for nested stacks) or plan file. Part of a finding's
    /// identity, so the same address in two environments is two roles.
    pub root: String,
    /// Whether the role is created with the known values (see [`RoleState`]).
    pub state: RoleState,
    /// Provenance: every source file the role's evaluation read (its resource, the variable
    /// defaults and tfvars of its root, the callers' module blocks, `file()` targets,
    /// parameter files, parent templates), sorted. Partial runs select roles by these files.
    pub files: Vec<crate::span::FileId>,
}

/// A role's tags as the code gives them. `unknown` says why some may be missing from `pairs`
/// (the whole map, or a key, could not be resolved); a tag value that could not be resolved is
/// an unknown [`Str`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tags {
    pub pairs: Vec<(String, Str)>,
    pub unknown: Option<Unknown>,
}

impl Tags {
    /// Tags that are not known at all, with the reason.
    pub fn unknown(expr: &str, reason: impl Into<String>) -> Tags {
        Tags {
            pairs: Vec::new(),
            unknown: Some(Unknown::new(expr, reason)),
        }
    }

    /// From a map of key to value (Terraform's `tags`); `None` and null are no tags.
    pub fn from_map(v: Option<&Val>) -> Tags {
        use crate::value::ValKind;
        let Some(v) = v else {
            return Tags::default();
        };
        match &v.kind {
            ValKind::Null => Tags::default(),
            ValKind::Map(entries) => Tags {
                pairs: entries
                    .iter()
                    .filter(|(_, v)| !matches!(v.kind, ValKind::Null))
                    .map(|(k, v)| (k.name.clone(), Str::from_val(v)))
                    .collect(),
                unknown: None,
            },
            ValKind::Unknown(u) => Tags {
                pairs: Vec::new(),
                unknown: Some(u.clone()),
            },
            _ => Tags::unknown(&v.render(), "the tags are not a map"),
        }
    }

    /// From a list of `{Key, Value}` maps (CloudFormation's `Tags`); `None` is no tags.
    pub fn from_list(v: Option<&Val>) -> Tags {
        use crate::value::ValKind;
        let Some(v) = v else {
            return Tags::default();
        };
        let items = match &v.kind {
            ValKind::Null => return Tags::default(),
            ValKind::List(items) => items,
            ValKind::Unknown(u) => {
                return Tags {
                    pairs: Vec::new(),
                    unknown: Some(u.clone()),
                };
            }
            _ => return Tags::unknown(&v.render(), "Tags is not a list of {Key, Value}"),
        };
        let mut out = Tags::default();
        for item in items {
            match (item.get("Key").map(Str::from_val), item.get("Value")) {
                (Some(k), Some(value)) => match k.value {
                    Ok(key) => out.pairs.push((key, Str::from_val(value))),
                    Err(u) => out.unknown = Some(u),
                },
                _ => {
                    let u = match &item.kind {
                        ValKind::Unknown(u) => u.clone(),
                        _ => Unknown::new(item.render(), "a tag without Key or Value"),
                    };
                    out.unknown = Some(u);
                }
            }
        }
        out
    }
}

/// An inline policy or a customer managed policy whose document is in the code.
#[derive(Clone, Debug, PartialEq)]
pub struct AttachedPolicy {
    /// Where it comes from: `inline`, `aws_iam_role_policy.x`, `MyPolicy` (CloudFormation).
    pub origin: String,
    pub name: Option<Str>,
    pub span: Span,
    pub document: Option<PolicyDocument>,
    pub unknown: Option<(Span, Unknown)>,
}

/// An attached managed policy by ARN (AWS managed or customer managed outside the code).
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedPolicyRef {
    pub origin: String,
    pub arn: Str,
}

impl Role {
    /// Every unknown in the trust policy, with its span: the whole attribute, unresolved parts of
    /// the document, principals, and condition values.
    pub fn trust_unknowns(&self) -> Vec<(Span, &Unknown)> {
        let mut out = Vec::new();
        if let Some((span, u)) = &self.trust_unknown {
            out.push((*span, u));
        }
        if let Some(doc) = &self.trust {
            for (span, u) in &doc.unknowns {
                out.push((*span, u));
            }
            for st in &doc.statements {
                out.extend(st.unknown_parts(false));
            }
        }
        out
    }

    /// The spans of the trust policy's unknowns that cannot change a verdict: the value of
    /// sts:ExternalId (that the condition is there is what rules check), an aws:SourceArn or
    /// aws:SourceAccount that is an attribute of a resource the same configuration creates (an
    /// ARN of this account, known only after apply), and the unknown issuer of a web-identity
    /// provider in a statement whose subject is pinned (see [`federation::settled_unknowns`]).
    ///
    /// [`federation::settled_unknowns`]: crate::iam::federation::settled_unknowns
    pub fn settled_trust_unknowns(&self) -> Vec<Span> {
        self.trust
            .iter()
            .flat_map(|d| &d.statements)
            .flat_map(|st| &st.conditions)
            .flat_map(|c| {
                let key = c.key.get().unwrap_or("").to_ascii_lowercase();
                c.values.iter().filter(move |v| match key.as_str() {
                    "sts:externalid" => true,
                    "aws:sourcearn" | "aws:sourceaccount" => v
                        .unknown()
                        .is_some_and(|u| u.reason.contains("is known only after apply")),
                    _ => false,
                })
            })
            .map(|v| v.span)
            .chain(
                self.trust
                    .iter()
                    .flat_map(crate::iam::federation::settled_unknowns),
            )
            .collect()
    }

    /// The trust policy's unknowns that could change a verdict (IAM008 reports these).
    pub fn open_trust_unknowns(&self) -> Vec<(Span, &Unknown)> {
        let settled = self.settled_trust_unknowns();
        self.trust_unknowns()
            .into_iter()
            .filter(|(span, _)| !settled.contains(span))
            .collect()
    }

    /// True when the trust policy is there and every unknown left in it cannot change a verdict
    /// (see [`Role::settled_trust_unknowns`]): every rule could decide it.
    pub fn trust_decided(&self) -> bool {
        self.trust.is_some() && self.open_trust_unknowns().is_empty()
    }

    /// True when every principal and condition value of the trust policy is known.
    pub fn trust_resolved(&self) -> bool {
        self.trust.is_some() && self.trust_unknowns().is_empty()
    }

    /// The permission documents with their origin: inline and customer managed in the code.
    pub fn permission_documents(&self) -> impl Iterator<Item = (&AttachedPolicy, &PolicyDocument)> {
        self.inline_policies
            .iter()
            .filter_map(|p| p.document.as_ref().map(|d| (p, d)))
    }
}

impl AttachedPolicy {
    /// True for a policy written inside the role (origin `inline`, or `inline (...)` with what
    /// made it, such as a SAM policy template), as opposed to a resource of its own.
    pub fn is_inline(&self) -> bool {
        self.origin.is_empty() || self.origin.starts_with("inline")
    }

    /// The address a finding in this policy belongs to: the policy resource when it has its own
    /// (`aws_iam_role_policy.x`), else the role.
    pub fn origin_address(&self, role_address: &str) -> String {
        if self.is_inline() {
            role_address.to_string()
        } else {
            self.origin.clone()
        }
    }
}
