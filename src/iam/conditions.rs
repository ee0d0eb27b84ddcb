//! Condition semantics: what an operator with its modifiers means, and whether a statement's
//! conditions really restrict a key. `StringEquals` with `*` is a literal; `StringLike` with `*`
//! matches anything; a condition under `...IfExists` or `ForAllValues:` passes when the key is
//! missing, so it does not restrict; negated operators exclude values but do not pin one.

use crate::iam::model::{Condition, Statement, Str};
use crate::span::Span;
use crate::value::Piece;

/// The family of an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    String,
    Arn,
    Numeric,
    Date,
    Bool,
    Ip,
    Binary,
    Null,
}

/// A parsed condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    pub kind: OpKind,
    /// `*Like` operators (and all ARN operators) treat `*` and `?` as wildcards.
    pub like: bool,
    pub negated: bool,
    pub if_exists: bool,
    pub set: SetOp,
    pub ignore_case: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// Parses an operator name; `None` when IAM does not know it.
pub fn parse_operator(name: &str) -> Option<Operator> {
    let (set, rest) = if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
        (SetOp::ForAnyValue, r)
    } else if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
        (SetOp::ForAllValues, r)
    } else {
        (SetOp::Single, name)
    };
    let (base, if_exists) = match strip_suffix_ci(rest, "IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let b = base.to_ascii_lowercase();
    let (kind, like, negated, ignore_case) = match b.as_str() {
        "stringequals" => (OpKind::String, false, false, false),
        "stringnotequals" => (OpKind::String, false, true, false),
        "stringequalsignorecase" => (OpKind::String, false, false, true),
        "stringnotequalsignorecase" => (OpKind::String, false, true, true),
        "stringlike" => (OpKind::String, true, false, false),
        "stringnotlike" => (OpKind::String, true, true, false),
        "arnequals" | "arnlike" => (OpKind::Arn, true, false, false),
        "arnnotequals" | "arnnotlike" => (OpKind::Arn, true, true, false),
        "numericequals"
        | "numericlessthan"
        | "numericlessthanequals"
        | "numericgreaterthan"
        | "numericgreaterthanequals" => (OpKind::Numeric, false, false, false),
        "numericnotequals" => (OpKind::Numeric, false, true, false),
        "dateequals"
        | "datelessthan"
        | "datelessthanequals"
        | "dategreaterthan"
        | "dategreaterthanequals" => (OpKind::Date, false, false, false),
        "datenotequals" => (OpKind::Date, false, true, false),
        "bool" => (OpKind::Bool, false, false, false),
        "binaryequals" => (OpKind::Binary, false, false, false),
        "ipaddress" => (OpKind::Ip, false, false, false),
        "notipaddress" => (OpKind::Ip, false, true, false),
        "null" if !if_exists => (OpKind::Null, false, false, false),
        _ => return None,
    };
    Some(Operator {
        kind,
        like,
        negated,
        if_exists,
        set,
        ignore_case,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    (s.len() >= p.len() && s.is_char_boundary(p.len()) && s[..p.len()].eq_ignore_ascii_case(p))
        .then(|| &s[p.len()..])
}

fn strip_suffix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(p.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(p)).then(|| &s[..cut])
}

/// One allowed value of a key: literal, or a pattern with `*`/`?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    pub text: String,
    pub pattern: bool,
    pub span: Span,
}

impl Allowed {
    /// True when the value admits every string (`*` under a Like operator).
    pub fn matches_anything(&self) -> bool {
        self.pattern && !self.text.is_empty() && self.text.chars().all(|c| c == '*')
    }
}

/// How a statement's conditions constrain one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// No condition requires the key to have particular values.
    None,
    /// The key must take one of these values (from the first positive condition on it).
    OneOf { values: Vec<Allowed>, span: Span },
    /// A condition on the key has a value that could not be resolved.
    Unresolved { span: Span },
}

impl Constraint {
    /// True when the constraint admits only some values.
    pub fn restricts(&self) -> bool {
        match self {
            Constraint::None => false,
            Constraint::Unresolved { .. } => true,
            Constraint::OneOf { values, .. } => {
                !values.is_empty() && !values.iter().any(Allowed::matches_anything)
            }
        }
    }
}

/// True when `cond` names `key` (condition keys are case-insensitive).
pub fn names_key(cond: &Condition, key: &str) -> bool {
    key_match(&cond.key, key) == Some(true)
}

/// Whether a condition's key is `key`: `None` when it cannot be told.
///
/// Keys compare case-insensitively. A key with unknown parts (`${var.issuer}:sub`, an issuer
/// assigned at apply) is `key` when its claim, after the last `:`, is known and the same, and
/// its known text fits around the unknown parts; a different claim is a different key. Either
/// way the verdict holds: a positive condition on a provider key other than the token's issuer
/// is on a key the request does not carry, so the statement never applies. A key whose claim
/// is unknown (a whole key from a variable) cannot be told.
pub fn key_match(cond_key: &Str, key: &str) -> Option<bool> {
    let cond = match &cond_key.value {
        Ok(t) => crate::value::pieces_of(t),
        Err(u) if u.parts.iter().any(|p| matches!(p, Piece::Text(_))) => u
            .parts
            .iter()
            .flat_map(|p| match p {
                Piece::Text(t) => crate::value::pieces_of(t),
                hole => vec![hole.clone()],
            })
            .collect(),
        Err(_) => return None,
    };
    let asked = crate::value::pieces_of(key);
    let holes = |v: &[Piece]| v.iter().any(|p| matches!(p, Piece::Hole(_)));
    if !holes(&cond) && !holes(&asked) {
        return Some(joined(&cond).eq_ignore_ascii_case(&joined(&asked)));
    }
    let (cond_issuer, cond_claim) = split_claim(&cond)?;
    let (asked_issuer, asked_claim) = split_claim(&asked)?;
    if !cond_claim.eq_ignore_ascii_case(&asked_claim) {
        return Some(false);
    }
    Some(fits(&cond_issuer, &asked_issuer))
}

fn joined(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) | Piece::Hole(t) => t.as_str(),
        })
        .collect()
}

/// The pieces before the claim and the claim, when the text after the last hole has a `:`.
fn split_claim(pieces: &[Piece]) -> Option<(Vec<Piece>, String)> {
    let (last, before) = pieces.split_last()?;
    let Piece::Text(t) = last else { return None };
    let (head, claim) = t.rsplit_once(':')?;
    let mut issuer = before.to_vec();
    if !head.is_empty() {
        issuer.push(Piece::Text(head.to_string()));
    }
    Some((issuer, claim.to_string()))
}

/// True when two issuers with holes can be the same text: the known text before the first
/// hole and after the last agree (one is a prefix, or a suffix, of the other), and a side with
/// no holes matches the other as a pattern.
fn fits(a: &[Piece], b: &[Piece]) -> bool {
    let lower = |p: &[Piece]| -> Vec<Option<String>> {
        p.iter()
            .map(|x| match x {
                Piece::Text(t) => Some(t.to_ascii_lowercase()),
                Piece::Hole(_) => None,
            })
            .collect()
    };
    let (a, b) = (lower(a), lower(b));
    let lead = |v: &[Option<String>]| v.first().cloned().flatten().unwrap_or_default();
    let trail = |v: &[Option<String>]| v.last().cloned().flatten().unwrap_or_default();
    let (la, lb) = (lead(&a), lead(&b));
    let (ta, tb) = (trail(&a), trail(&b));
    if !(la.starts_with(&lb) || lb.starts_with(&la)) || !(ta.ends_with(&tb) || tb.ends_with(&ta)) {
        return false;
    }
    let pattern = |v: &[Option<String>]| -> String {
        v.iter()
            .map(|p| match p {
                Some(t) => t.replace(['*', '?'], "\u{0}"),
                None => "*".to_string(),
            })
            .collect()
    };
    match (a.iter().all(Option::is_some), b.iter().all(Option::is_some)) {
        (true, false) => crate::iam::actions::wildcard_match(&pattern(&b), &pattern(&a)),
        (false, true) => crate::iam::actions::wildcard_match(&pattern(&a), &pattern(&b)),
        _ => true,
    }
}

/// The constraint that `conds` put on `key`. Only positive operators without IfExists or
/// ForAllValues count: those are the ones that fail when the key is missing or has another
/// value. `Bool` and `Null` are not value restrictions and are handled by their callers.
pub fn constraint(conds: &[Condition], key: &str) -> Constraint {
    // A condition whose key could not be resolved may be on this key: do not claim the key is
    // unconstrained (the unknown is reported on its own).
    if let Some(c) = conds.iter().find(|c| key_match(&c.key, key).is_none()) {
        return Constraint::Unresolved { span: c.span };
    }
    let mut out = Constraint::None;
    for c in conds.iter().filter(|c| names_key(c, key)) {
        let Some(op_name) = c.operator.get() else {
            return Constraint::Unresolved { span: c.span };
        };
        let Some(op) = parse_operator(op_name) else {
            continue;
        };
        if op.negated || op.if_exists || op.set == SetOp::ForAllValues {
            continue;
        }
        if matches!(op.kind, OpKind::Null | OpKind::Bool) {
            continue;
        }
        if c.values.iter().any(|v| v.get().is_none()) {
            return Constraint::Unresolved { span: c.span };
        }
        let values: Vec<Allowed> = c
            .values
            .iter()
            .filter_map(|v| {
                v.get().map(|t| Allowed {
                    text: t.to_string(),
                    pattern: op.like && (t.contains('*') || t.contains('?')),
                    span: v.span,
                })
            })
            .collect();
        let this = Constraint::OneOf {
            values,
            span: c.span,
        };
        // Several conditions on one key must all hold: a restricting one wins.
        if !out.restricts() || this.restricts() {
            out = this;
        }
    }
    out
}

/// Keys whose positive condition limits which identities can use a statement.
pub const IDENTITY_KEYS: &[&str] = &[
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:userid",
    "aws:username",
    "aws:SourceOwner",
];

/// The first identity key that the statement restricts, with the constraint's span. A
/// `Deny` with a negated operator on an identity key, in the same document, restricts the
/// Allow too (the pattern "Allow *, Deny unless aws:PrincipalOrgID is o-x").
pub fn identity_restriction<'a>(
    st: &Statement,
    denies: impl Iterator<Item = &'a Statement>,
) -> Option<(String, Span)> {
    for key in IDENTITY_KEYS {
        if let c @ (Constraint::OneOf { .. } | Constraint::Unresolved { .. }) =
            constraint(&st.conditions, key)
            && c.restricts()
        {
            let span = match c {
                Constraint::OneOf { span, .. } | Constraint::Unresolved { span } => span,
                Constraint::None => st.span,
            };
            return Some((key.to_string(), span));
        }
    }
    for d in denies {
        for c in &d.conditions {
            let Some(op) = c.operator.get().and_then(parse_operator) else {
                continue;
            };
            if !op.negated || op.set == SetOp::ForAllValues {
                continue;
            }
            if let Some(k) = IDENTITY_KEYS.iter().find(|k| names_key(c, k)) {
                let real = c
                    .values
                    .iter()
                    .any(|v| v.get().is_none_or(|t| !t.chars().all(|ch| ch == '*')));
                if real {
                    return Some((format!("{k} (through a Deny)"), c.span));
                }
            }
        }
    }
    None
}

/// The organizations a statement limits its callers to: the values of a positive
/// aws:PrincipalOrgID condition and the organization segment of aws:PrincipalOrgPaths, when
/// known and without wildcards in the organization id.
pub fn organizations(st: &Statement) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (key, first_segment) in [
        ("aws:PrincipalOrgID", false),
        ("aws:PrincipalOrgPaths", true),
    ] {
        if let Constraint::OneOf { values, .. } = constraint(&st.conditions, key) {
            for v in values {
                let id = if first_segment {
                    v.text.split('/').next().unwrap_or("")
                } else {
                    v.text.as_str()
                };
                if id.starts_with("o-") && !id.contains(['*', '?']) && !out.iter().any(|o| o == id)
                {
                    out.push(id.to_string());
                }
            }
        }
    }
    out
}

/// True when the statement requires MFA: `Bool aws:MultiFactorAuthPresent true` (not IfExists),
/// or `NumericLessThan aws:MultiFactorAuthAge`.
pub fn requires_mfa(st: &Statement) -> bool {
    st.conditions.iter().any(|c| {
        let Some(op) = c.operator.get().and_then(parse_operator) else {
            return false;
        };
        if op.if_exists || op.negated {
            return false;
        }
        (names_key(c, "aws:MultiFactorAuthPresent")
            && op.kind == OpKind::Bool
            && c.values
                .iter()
                .all(|v| v.get().is_some_and(|t| t.eq_ignore_ascii_case("true"))))
            || (names_key(c, "aws:MultiFactorAuthAge") && op.kind == OpKind::Numeric)
    })
}

/// Condition keys that do not stop a principal from using a permission statement within its
/// own account: which service a role is passed to or called through, the region, transport, and
/// own-account or organization checks (the managed-policy data uses the same list).
pub const NON_LIMITING_PERMISSION_KEYS: &[&str] = crate::iam::managed::NON_LIMITING_CONDITION_KEYS;

/// True when a permission statement's conditions may limit who can use it or on what, so that a
/// rule must not claim it grants the action everywhere. A condition under IfExists or
/// ForAllValues (passes when the key is missing), a Like pattern of `*` alone, a `Null` test and
/// the keys of [`NON_LIMITING_PERMISSION_KEYS`] do not limit; anything else does, and so does a
/// Condition block that could not be resolved. On a tag key (`aws:ResourceTag/KEY`,
/// `aws:RequestTag/KEY`, `ec2:ResourceTag/KEY`), a Like `*` or `Null: false` is true only when
/// the tag is there, so it limits the statement to tagged resources.
pub fn limits_permission(st: &Statement) -> bool {
    if st.condition_unknown.is_some() {
        return true;
    }
    st.conditions.iter().any(|c| {
        let (Some(op_name), Some(key)) = (c.operator.get(), c.key.get()) else {
            return true;
        };
        let lower = key.to_ascii_lowercase();
        if NON_LIMITING_PERMISSION_KEYS.contains(&lower.as_str()) {
            return false;
        }
        let Some(op) = parse_operator(op_name) else {
            // An unknown operator never matches: the statement applies nowhere.
            return true;
        };
        let tag_key = lower.contains(":resourcetag/") || lower.contains(":requesttag/");
        if op.kind == OpKind::Null && !op.if_exists && tag_key {
            // `Null: false` requires the tag.
            return c.values.iter().any(|v| v.get() != Some("true"));
        }
        if op.if_exists || op.set == SetOp::ForAllValues || op.kind == OpKind::Null {
            return false;
        }
        if c.values.iter().any(|v| v.get().is_none()) {
            return true;
        }
        let open = op.like
            && !op.negated
            && !tag_key
            && c.values.iter().any(|v| {
                v.get()
                    .is_some_and(|t| !t.is_empty() && t.chars().all(|ch| ch == '*'))
            });
        !open
    })
}

/// The literal values a statement pins `key` to (`StringEquals aws:PrincipalOrgID o-x`), or
/// `None` when the key is not restricted to literals.
pub fn pinned_values(st: &Statement, key: &str) -> Option<Vec<String>> {
    match constraint(&st.conditions, key) {
        Constraint::OneOf { values, .. }
            if !values.is_empty() && values.iter().all(|v| !v.pattern) =>
        {
            Some(values.into_iter().map(|v| v.text).collect())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::model::Str;

    fn cond(op: &str, key: &str, vals: &[&str]) -> Condition {
        Condition {
            operator: Str::known(op, Span::default()),
            key: Str::known(key, Span::default()),
            values: vals
                .iter()
                .map(|v| Str::known(*v, Span::default()))
                .collect(),
            span: Span::default(),
        }
    }

    fn partial(parts: &[Option<&str>]) -> Str {
        use crate::value::{Piece, Unknown};
        let pieces = parts.iter().map(|p| match p {
            Some(t) => Piece::Text(t.to_string()),
            None => Piece::Hole("var.issuer".into()),
        });
        Str {
            span: Span::default(),
            value: Err(Unknown::partial("k", "unknown", pieces)),
        }
    }

    #[test]
    fn keys_with_unknown_parts_match_by_their_known_claim() {
        let eks = "oidc.eks.eu-west-1.amazonaws.com/id/AB12:sub";
        let sub = partial(&[None, Some(":sub")]);
        assert_eq!(key_match(&sub, eks), Some(true));
        assert_eq!(
            key_match(&sub, "oidc.eks.eu-west-1.amazonaws.com/id/AB12:aud"),
            Some(false)
        );
        assert_eq!(key_match(&sub, "aws:PrincipalOrgID"), Some(false));
        // Known text around the hole must fit.
        let eks_host = partial(&[Some("oidc.eks."), None, Some(":sub")]);
        assert_eq!(key_match(&eks_host, eks), Some(true));
        assert_eq!(
            key_match(&eks_host, "token.actions.githubusercontent.com:sub"),
            Some(false)
        );
        // A whole key, or an unknown claim, cannot be told.
        let whole = Str {
            span: Span::default(),
            value: Err(crate::value::Unknown::new("var.k", "unknown")),
        };
        assert_eq!(key_match(&whole, eks), None);
        assert_eq!(key_match(&partial(&[Some("oidc.eks.x:"), None]), eks), None);
        // A placeholder issuer (assigned at apply, or unknown) matches a known issuer's key.
        let assigned = Str::known(
            "oidc.eks.(this-region).amazonaws.com/id/(id of module.eks assigned at apply):sub",
            Span::default(),
        );
        assert_eq!(key_match(&assigned, eks), Some(true));
        assert_eq!(
            key_match(&Str::known(eks, Span::default()), "(unknown issuer):sub"),
            Some(true)
        );
        // Known keys compare case-insensitively, `${aws:...}` is a policy variable, not a hole.
        assert_eq!(
            key_match(
                &Str::known("AWS:SourceArn", Span::default()),
                "aws:sourcearn"
            ),
            Some(true)
        );
        let tag = Str::known("aws:ResourceTag/${aws:username}", Span::default());
        assert_eq!(key_match(&tag, "aws:ResourceTag/x"), Some(false));
    }

    #[test]
    fn operators() {
        let op = parse_operator("ForAnyValue:StringLikeIfExists");
        assert!(op.is_some_and(|op| op.like && op.if_exists && op.set == SetOp::ForAnyValue));
        assert!(parse_operator("StringNotEquals").is_some_and(|op| op.negated));
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("StringEqualz").is_none());
    }

    #[test]
    fn star_is_literal_under_string_equals() {
        let c = [cond("StringEquals", "aws:PrincipalOrgID", &["*"])];
        assert!(constraint(&c, "aws:principalorgid").restricts());
        let c = [cond("StringLike", "aws:PrincipalOrgID", &["*"])];
        assert!(!constraint(&c, "aws:PrincipalOrgID").restricts());
    }

    #[test]
    fn if_exists_and_for_all_values_do_not_restrict() {
        let c = [cond(
            "StringEqualsIfExists",
            "aws:PrincipalOrgID",
            &["o-abc"],
        )];
        assert!(!constraint(&c, "aws:PrincipalOrgID").restricts());
        let c = [cond(
            "ForAllValues:StringEquals",
            "aws:PrincipalOrgID",
            &["o-abc"],
        )];
        assert!(!constraint(&c, "aws:PrincipalOrgID").restricts());
        let c = [cond("StringNotEquals", "aws:PrincipalOrgID", &["o-abc"])];
        assert!(!constraint(&c, "aws:PrincipalOrgID").restricts());
    }
}
