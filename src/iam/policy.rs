//! Reads a resolved policy document ([`Val`]) into the model's [`PolicyDocument`], recording
//! shape problems (unknown elements, wrong types, bad Effect or Version) instead of failing, so
//! that grammar rules can report them on their line and the other rules still see the rest.

use super::model::*;
use crate::span::Span;
use crate::value::{Unknown, Val, ValKind};

const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Reads a document. A value that is not a map gives an empty document with a problem.
pub fn parse_document(v: &Val, kind: DocumentKind) -> PolicyDocument {
    let mut doc = PolicyDocument {
        kind,
        span: v.span,
        version: None,
        statements: Vec::new(),
        problems: Vec::new(),
        unknowns: Vec::new(),
    };
    match &v.kind {
        ValKind::Map(_) => {}
        ValKind::Unknown(u) => {
            doc.unknowns.push((v.span, u.clone()));
            return doc;
        }
        _ => {
            doc.problems.push(Problem {
                span: v.span,
                code: ProblemCode::NotADocument,
                message: "a policy document must be a JSON object".into(),
            });
            return doc;
        }
    }
    if let ValKind::Map(entries) = &v.kind {
        for (k, _) in entries {
            if !matches!(k.name.as_str(), "Version" | "Statement" | "Id") {
                doc.problems.push(Problem {
                    span: k.span,
                    code: ProblemCode::UnknownElement,
                    message: format!(
                        "`{}` is not a policy element (expected Version, Id or Statement)",
                        k.name
                    ),
                });
            }
        }
    }
    doc.version = v.get("Version").map(Str::from_val);
    match v.get("Statement") {
        None => doc.problems.push(Problem {
            span: v.span,
            code: ProblemCode::NotADocument,
            message: "the policy has no Statement".into(),
        }),
        Some(st) => match &st.kind {
            ValKind::Unknown(u) => doc.unknowns.push((st.span, u.clone())),
            ValKind::List(items) => {
                for item in items {
                    read_statement(item, &mut doc);
                }
            }
            ValKind::Map(_) => read_statement(st, &mut doc),
            _ => doc.problems.push(Problem {
                span: st.span,
                code: ProblemCode::BadType,
                message: "Statement must be an object or a list of objects".into(),
            }),
        },
    }
    check_grammar(&mut doc);
    doc
}

/// The grammar checks that need the whole document: Version, elements that the document's
/// kind forbids or requires, resource ARNs, duplicate Sids, statements that can never apply
/// and actions that AWS does not have.
fn check_grammar(doc: &mut PolicyDocument) {
    let mut problems = Vec::new();
    let has_statements = !doc.statements.is_empty();
    match &doc.version {
        None if has_statements => problems.push(Problem {
            span: doc.span,
            code: ProblemCode::MissingVersion,
            message: "the policy has no Version: IAM reads it with the 2008-10-17 grammar, in which policy variables such as ${aws:username} are literal text".into(),
        }),
        Some(v) => match v.get() {
            Some("2012-10-17") | None => {}
            Some("2008-10-17") => problems.push(Problem {
                span: v.span,
                code: ProblemCode::OldVersion,
                message: "Version 2008-10-17 treats policy variables such as ${aws:username} as literal text; use 2012-10-17".into(),
            }),
            Some(other) => problems.push(Problem {
                span: v.span,
                code: ProblemCode::BadVersion,
                message: format!(
                    "Version `{other}` is not a policy language version (2012-10-17 or 2008-10-17); IAM rejects the policy"
                ),
            }),
        },
        None => {}
    }
    let mut sids: Vec<&str> = Vec::new();
    for st in &doc.statements {
        if let Some(sid) = st.sid.as_ref()
            && let Some(text) = sid.get()
        {
            if sids.contains(&text) {
                problems.push(Problem {
                    span: sid.span,
                    code: ProblemCode::DuplicateSid,
                    message: format!(
                        "Sid `{text}` is used by an earlier statement of the same policy"
                    ),
                });
            } else {
                sids.push(text);
            }
        }
        check_statement(st, doc.kind, &mut problems);
    }
    doc.problems.extend(problems);
}

fn check_statement(st: &Statement, kind: DocumentKind, out: &mut Vec<Problem>) {
    match kind {
        DocumentKind::Identity => {
            for set in [&st.principal, &st.not_principal].into_iter().flatten() {
                out.push(Problem {
                    span: set.key_span,
                    code: ProblemCode::PrincipalInIdentity,
                    message: "a permission policy cannot name a Principal: the principal is the identity it is attached to; IAM rejects the policy".into(),
                });
            }
        }
        DocumentKind::Trust => {
            for set in [&st.resource, &st.not_resource].into_iter().flatten() {
                out.push(Problem {
                    span: set.key_span,
                    code: ProblemCode::ResourceInTrust,
                    message: "a trust policy cannot have Resource or NotResource (the resource is the role itself); IAM rejects it with \"Has prohibited field Resource\"".into(),
                });
            }
            // Allow with NotPrincipal is reported by its own rule (it is also an open door).
            if let (Some(np), Some(Effect::Deny)) = (&st.not_principal, st.effect) {
                out.push(Problem {
                    span: np.key_span,
                    code: ProblemCode::NotPrincipalInTrust,
                    message: "NotPrincipal is not supported in a role trust policy; IAM rejects it"
                        .into(),
                });
            }
            if st.is_allow() {
                let issuers = st
                    .principal
                    .iter()
                    .flat_map(|p| &p.entries)
                    .filter_map(|p| {
                        let arn = p.value.get().filter(|_| p.ty == PrincipalType::Federated)?;
                        arn.split_once(":oidc-provider/").map(|(_, host)| host)
                    });
                if let Some((issuer, c)) = issuers
                    .filter_map(|i| crate::iam::federation::unsatisfiable(i, st).map(|c| (i, c)))
                    .next()
                {
                    out.push(Problem {
                        span: c.key.span,
                        code: ProblemCode::NeverMatches,
                        message: format!(
                            "`{}` is a key of GitHub's enterprise issuer, but the provider is the shared issuer {issuer}, whose tokens never carry it: the condition is never true and the statement lets nobody in (name the provider's own keys, {issuer}:sub, or trust the enterprise's provider)",
                            c.key.render()
                        ),
                    });
                }
            }
            if st.principal.is_none() && st.not_principal.is_none() {
                out.push(Problem {
                    span: st.span,
                    code: ProblemCode::MissingPrincipal,
                    message:
                        "a trust policy statement needs a Principal; IAM rejects it without one"
                            .into(),
                });
            }
        }
    }
    if kind == DocumentKind::Identity {
        for set in [&st.resource, &st.not_resource].into_iter().flatten() {
            for r in &set.items {
                if let Some(text) = r.get()
                    && let Some(p) = check_resource(text, r.span)
                {
                    out.push(p);
                }
            }
        }
    }
    let allow = st.effect == Some(Effect::Allow);
    if allow {
        for (set, what) in [
            (&st.not_action, "NotAction"),
            (&st.not_resource, "NotResource"),
        ] {
            if let Some(set) = set
                && let Some(star) = set.items.iter().find(|s| s.get().is_some_and(all_stars))
            {
                out.push(Problem {
                    span: star.span,
                    code: ProblemCode::NeverMatches,
                    message: format!(
                        "{what} `*` excludes everything: this Allow statement grants nothing"
                    ),
                });
            }
        }
    }
    for c in &st.conditions {
        if let Some(op) = c.operator.get()
            && crate::iam::conditions::parse_operator(op).is_none()
        {
            out.push(Problem {
                span: c.operator.span,
                code: ProblemCode::NeverMatches,
                message: format!(
                    "`{op}` is not a condition operator: IAM rejects the policy or the statement never applies"
                ),
            });
        }
    }
    for set in [&st.action, &st.not_action].into_iter().flatten() {
        for a in &set.items {
            if let Some(text) = a.get()
                && let Some(p) = check_action(text, a.span)
            {
                out.push(p);
            }
        }
    }
}

fn all_stars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'*')
}

fn check_action(text: &str, span: Span) -> Option<Problem> {
    use crate::iam::actions::{ActionCheck, check};
    let (code, message) = match check(text) {
        ActionCheck::Ok => return None,
        ActionCheck::Malformed { reason } => (
            ProblemCode::BadType,
            format!("`{text}` is not an action ({reason}); IAM rejects the policy"),
        ),
        ActionCheck::UnknownService { prefix, suggestion } => (
            ProblemCode::UnknownAction,
            format!(
                "`{text}`: no AWS service has the prefix `{prefix}`{}",
                suggestion
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default()
            ),
        ),
        ActionCheck::UnknownAction { suggestion } => (
            ProblemCode::UnknownAction,
            format!(
                "`{text}` matches no action of the service{}",
                suggestion
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default()
            ),
        ),
    };
    Some(Problem {
        span,
        code,
        message,
    })
}

/// A resource must be `*` or an ARN; an ARN whose account is not an account id never matches.
fn check_resource(text: &str, span: Span) -> Option<Problem> {
    if all_stars(text) || text.contains("${") {
        return None;
    }
    let Some(rest) = text.strip_prefix("arn:") else {
        return Some(Problem {
            span,
            code: ProblemCode::InvalidArn,
            message: format!(
                "resource `{text}` is neither \"*\" nor an ARN (arn:partition:service:region:account:resource); IAM rejects the policy"
            ),
        });
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    // A `*` at the end of a short ARN matches the colons of the segments that follow
    // (`arn:aws:logs:*` covers every log resource), so the pattern is complete.
    if parts.len() < 5 && !text.ends_with('*') {
        return Some(Problem {
            span,
            code: ProblemCode::InvalidArn,
            message: format!(
                "resource `{text}` is not a complete ARN (arn:partition:service:region:account:resource); IAM rejects the policy"
            ),
        });
    }
    let account = parts.get(3).copied().filter(|_| parts.len() == 5)?;
    let account_ok = account.is_empty()
        || account == "aws"
        || account == crate::value::SELF_ACCOUNT
        || account.contains(['*', '?'])
        || crate::iam::principals::is_account_id(account);
    if !account_ok {
        return Some(Problem {
            span,
            code: ProblemCode::NeverMatches,
            message: format!(
                "`{account}` in resource `{text}` is not a 12-digit account id: the ARN matches no resource"
            ),
        });
    }
    None
}

fn read_statement(v: &Val, doc: &mut PolicyDocument) {
    let entries = match &v.kind {
        ValKind::Map(e) => e,
        ValKind::Unknown(u) => {
            doc.unknowns.push((v.span, u.clone()));
            return;
        }
        _ => {
            doc.problems.push(Problem {
                span: v.span,
                code: ProblemCode::BadType,
                message: "a statement must be an object".into(),
            });
            return;
        }
    };
    for (k, _) in entries {
        if !STATEMENT_ELEMENTS.contains(&k.name.as_str()) {
            let hint = STATEMENT_ELEMENTS
                .iter()
                .find(|e| e.eq_ignore_ascii_case(&k.name) || format!("{e}s") == k.name)
                .map(|e| format!(" (did you mean `{e}`?)"))
                .unwrap_or_default();
            doc.problems.push(Problem {
                span: k.span,
                code: ProblemCode::UnknownElement,
                message: format!("`{}` is not a statement element{hint}", k.name),
            });
        }
    }
    let mut st = Statement {
        span: v.span,
        sid: v.get("Sid").map(Str::from_val),
        effect: None,
        effect_span: v.span,
        effect_unknown: None,
        principal: None,
        not_principal: None,
        action: None,
        not_action: None,
        resource: None,
        not_resource: None,
        conditions: Vec::new(),
        condition_span: None,
        condition_unknown: None,
    };
    match v.entry("Effect") {
        None => doc.problems.push(Problem {
            span: v.span,
            code: ProblemCode::BadEffect,
            message: "the statement has no Effect".into(),
        }),
        Some((k, e)) => {
            st.effect_span = Span::new(k.span.file, k.span.start as usize, e.span.end as usize);
            match &e.kind {
                ValKind::Str(s) if s == "Allow" => st.effect = Some(Effect::Allow),
                ValKind::Str(s) if s == "Deny" => st.effect = Some(Effect::Deny),
                ValKind::Unknown(u) => st.effect_unknown = Some(u.clone()),
                _ => doc.problems.push(Problem {
                    span: e.span,
                    code: ProblemCode::BadEffect,
                    message: format!(
                        "Effect must be \"Allow\" or \"Deny\" (case-sensitive), not {}",
                        e.render()
                    ),
                }),
            }
        }
    }
    st.principal = read_principals(v, "Principal", doc);
    st.not_principal = read_principals(v, "NotPrincipal", doc);
    st.action = read_strings(v, "Action", doc);
    st.not_action = read_strings(v, "NotAction", doc);
    st.resource = read_strings(v, "Resource", doc);
    st.not_resource = read_strings(v, "NotResource", doc);
    if st.action.is_some() == st.not_action.is_some() {
        doc.problems.push(Problem {
            span: v.span,
            code: ProblemCode::ActionElement,
            message: if st.action.is_some() {
                "a statement cannot have both Action and NotAction".into()
            } else {
                "the statement has neither Action nor NotAction".into()
            },
        });
    }
    for (a, b, name) in [
        (
            &st.principal.is_some(),
            &st.not_principal.is_some(),
            "Principal and NotPrincipal",
        ),
        (
            &st.resource.is_some(),
            &st.not_resource.is_some(),
            "Resource and NotResource",
        ),
    ] {
        if *a && *b {
            doc.problems.push(Problem {
                span: v.span,
                code: ProblemCode::Conflicting,
                message: format!("a statement cannot have both {name}"),
            });
        }
    }
    if let Some((k, c)) = v.entry("Condition") {
        st.condition_span = Some(Span::new(
            k.span.file,
            k.span.start as usize,
            c.span.end as usize,
        ));
        read_conditions(c, &mut st, doc);
    }
    doc.statements.push(st);
}

fn read_strings(v: &Val, key: &str, doc: &mut PolicyDocument) -> Option<Strings> {
    let (k, val) = v.entry(key)?;
    let mut items = Vec::new();
    match &val.kind {
        ValKind::List(list) => {
            for item in list {
                push_str(item, &mut items, doc);
            }
        }
        _ => push_str(val, &mut items, doc),
    }
    Some(Strings {
        key_span: k.span,
        items,
    })
}

fn push_str(v: &Val, items: &mut Vec<Str>, doc: &mut PolicyDocument) {
    match &v.kind {
        ValKind::List(inner) => {
            // An unknown list spliced into a list (Terraform concat of an unknown, say) keeps its
            // known elements.
            for i in inner {
                push_str(i, items, doc);
            }
        }
        ValKind::Map(_) | ValKind::Null | ValKind::Bool(_) => doc.problems.push(Problem {
            span: v.span,
            code: ProblemCode::BadType,
            message: format!("expected a string, found {}", v.render()),
        }),
        _ => items.push(Str::from_val(v)),
    }
}

/// Condition values: strings, and also JSON booleans and numbers, which IAM accepts and compares
/// as their text (`"Bool": {"aws:SecureTransport": false}`, `"NumericLessThan": {"s3:max-keys":
/// 10}`).
fn push_condition_values(v: &Val, items: &mut Vec<Str>, doc: &mut PolicyDocument) {
    match &v.kind {
        ValKind::List(inner) => {
            for i in inner {
                push_condition_values(i, items, doc);
            }
        }
        ValKind::Bool(_) => items.push(Str::from_val(v)),
        _ => push_str(v, items, doc),
    }
}

fn principal_type(name: &str) -> PrincipalType {
    match name {
        "AWS" => PrincipalType::Aws,
        "Service" => PrincipalType::Service,
        "Federated" => PrincipalType::Federated,
        "CanonicalUser" => PrincipalType::CanonicalUser,
        _ => PrincipalType::Other,
    }
}

fn read_principals(v: &Val, key: &str, doc: &mut PolicyDocument) -> Option<PrincipalSet> {
    let (k, val) = v.entry(key)?;
    let mut set = PrincipalSet {
        key_span: k.span,
        span: val.span,
        entries: Vec::new(),
    };
    match &val.kind {
        ValKind::Str(_) | ValKind::Unknown(_) => set.entries.push(Principal {
            ty: if val.as_str() == Some("*") {
                PrincipalType::Wildcard
            } else {
                PrincipalType::Other
            },
            type_name: String::new(),
            value: Str::from_val(val),
        }),
        ValKind::Map(entries) => {
            for (tk, tv) in entries {
                let ty = principal_type(&tk.name);
                if ty == PrincipalType::Other {
                    doc.problems.push(Problem {
                        span: tk.span,
                        code: ProblemCode::UnknownElement,
                        message: format!(
                            "`{}` is not a principal type (expected AWS, Service, Federated or CanonicalUser)",
                            tk.name
                        ),
                    });
                }
                let mut values = Vec::new();
                push_str(tv, &mut values, doc);
                for value in values {
                    set.entries.push(Principal {
                        ty,
                        type_name: tk.name.clone(),
                        value,
                    });
                }
            }
        }
        _ => doc.problems.push(Problem {
            span: val.span,
            code: ProblemCode::BadType,
            message: format!("{key} must be \"*\" or an object of principal types"),
        }),
    }
    Some(set)
}

fn read_conditions(c: &Val, st: &mut Statement, doc: &mut PolicyDocument) {
    let ops = match &c.kind {
        ValKind::Map(ops) => ops,
        ValKind::Unknown(u) => {
            st.condition_unknown = Some(u.clone());
            return;
        }
        _ => {
            doc.problems.push(Problem {
                span: c.span,
                code: ProblemCode::BadType,
                message: "Condition must be an object of operators".into(),
            });
            return;
        }
    };
    for (op, body) in ops {
        let operator = name_str(&op.name, op.span);
        match &body.kind {
            ValKind::Map(keys) => {
                for (key, vals) in keys {
                    let mut values = Vec::new();
                    push_condition_values(vals, &mut values, doc);
                    st.conditions.push(Condition {
                        operator: operator.clone(),
                        key: name_str(&key.name, key.span),
                        values,
                        span: Span::new(
                            op.span.file,
                            op.span.start as usize,
                            vals.span.end as usize,
                        ),
                    });
                }
            }
            ValKind::Unknown(u) => st.conditions.push(Condition {
                operator: operator.clone(),
                key: Str {
                    span: body.span,
                    value: Err(u.clone()),
                },
                values: Vec::new(),
                span: Span::new(op.span.file, op.span.start as usize, body.span.end as usize),
            }),
            _ => doc.problems.push(Problem {
                span: body.span,
                code: ProblemCode::BadType,
                message: format!(
                    "the body of {} must be an object of condition keys",
                    op.name
                ),
            }),
        }
    }
}

/// A condition operator or key name. Loaders write a name they could not resolve as
/// `${expression}` (no IAM operator or key starts that way), which becomes an unknown here; a
/// name with known parts around such holes (`${var.issuer}:sub`) becomes an unknown that keeps
/// them.
fn name_str(name: &str, span: Span) -> Str {
    let pieces = crate::value::pieces_of(name);
    let holes = pieces
        .iter()
        .filter(|p| matches!(p, crate::value::Piece::Hole(h) if h.starts_with("${")))
        .count();
    let whole = name.strip_prefix("${").and_then(|n| n.strip_suffix('}'));
    match whole {
        Some(expr) if pieces.len() == 1 => Str {
            span,
            value: Err(Unknown::new(
                expr,
                "the condition's operator or key could not be resolved",
            )),
        },
        _ if holes > 0 => {
            let first = pieces.iter().find_map(|p| match p {
                crate::value::Piece::Hole(h) if h.starts_with("${") => Some(h.as_str()),
                _ => None,
            });
            let reason = format!(
                "part of the condition key, `{}`, could not be resolved",
                first.unwrap_or(name)
            );
            Str {
                span,
                value: Err(Unknown::partial(name, reason, pieces)),
            }
        }
        Some(expr) => Str {
            span,
            value: Err(Unknown::new(
                expr,
                "the condition's operator or key could not be resolved",
            )),
        },
        None => Str::known(name, span),
    }
}

/// An unknown for a whole document that could not be read.
pub fn unknown_document(span: Span, u: Unknown, kind: DocumentKind) -> PolicyDocument {
    PolicyDocument {
        kind,
        span,
        version: None,
        statements: Vec::new(),
        problems: Vec::new(),
        unknowns: vec![(span, u)],
    }
}
