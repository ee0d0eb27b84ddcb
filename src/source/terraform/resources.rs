//! Attributes of resources and data sources that are computed by AWS but can be known offline:
//! role, policy, user and instance-profile ARNs built from their names, OIDC provider ARNs from
//! their URL, `data.aws_caller_identity` (this account), `data.aws_partition` ("aws"),
//! `data.aws_iam_policy` / `data.aws_iam_role` ARNs, and the JSON of
//! `data.aws_iam_policy_document`. Anything else is "known only after apply".

use crate::span::Span;
use crate::value::{Key, SELF_ACCOUNT, SELF_REGION, Val, ValKind};

use super::eval::{Instance, Scope, as_string};
use super::parse::Resource;

fn set(obj: &mut Val, name: &str, v: Val) {
    if let ValKind::Map(entries) = &mut obj.kind {
        if let Some(e) = entries.iter_mut().find(|(k, _)| k.name == name) {
            e.1 = v;
        } else {
            entries.push((
                Key {
                    name: name.to_string(),
                    span: v.span,
                },
                v,
            ));
        }
    }
}

fn known(obj: &Val, name: &str) -> Option<String> {
    obj.get(name).and_then(as_string)
}

/// `path` with a leading and trailing slash, as IAM writes it in ARNs.
fn iam_path(obj: &Val) -> Option<String> {
    match obj.get("path") {
        None => Some("/".into()),
        Some(v) if matches!(v.kind, ValKind::Null) => Some("/".into()),
        Some(v) => as_string(v),
    }
}

/// The IAM name of a resource: its `name`, or an unknown saying why there is none.
fn name_or_unknown(obj: &Val, full: &str, span: Span) -> Val {
    match obj.get("name") {
        Some(v) if !matches!(v.kind, ValKind::Null) => v.clone(),
        _ => {
            let why = if obj.get("name_prefix").is_some() {
                format!("{full} has a name_prefix: its name is generated at apply")
            } else {
                format!("{full} has no name: Terraform generates one at apply")
            };
            Val::unknown(format!("{full}.name"), why, span)
        }
    }
}

fn iam_arn(obj: &Val, full: &str, kind: &str, attr: &str, span: Span) -> Val {
    let name = name_or_unknown(obj, full, span);
    match (as_string(&name), iam_path(obj)) {
        (Some(n), Some(p)) => Val::str(format!("arn:aws:iam::{SELF_ACCOUNT}:{kind}{p}{n}"), span),
        // Created by this configuration: an ARN of this account whatever its name turns out to
        // be (a generated name, a name from an input).
        (None, Some(p)) => Val::str(
            format!(
                "arn:aws:iam::{SELF_ACCOUNT}:{kind}{p}{}",
                created_name(full)
            ),
            span,
        ),
        _ => Val::unknown(
            format!("{full}.{attr}"),
            name.as_unknown()
                .map_or(format!("{full}.{attr} is known only after apply"), |u| {
                    u.reason.clone()
                }),
            span,
        ),
    }
}

/// The stand-in for a name Terraform or the provider assigns at apply to a resource created by
/// this configuration.
fn created_name(full: &str) -> String {
    format!("(name of {full} assigned at apply)")
}

/// The ARN of a resource created by this configuration (`full` is its address, with any module
/// prefix and instance key) whose `arn` is known only after apply: an ARN in this account (and,
/// for regional services, this region) whose name is assigned at apply. `None` for data sources
/// and for types that are not AWS resources.
pub fn created_arn(full: &str, span: Span) -> Option<Val> {
    let mut segs = full.split('.');
    let mut ty = None;
    while let Some(seg) = segs.next() {
        match seg {
            "module" => {
                segs.next();
            }
            "data" => return None,
            _ => {
                ty = Some(seg);
                break;
            }
        }
    }
    let rest = ty?.strip_prefix("aws_")?;
    let name = created_name(full);
    let iam_kinds = [
        ("iam_role", "role/"),
        ("iam_user", "user/"),
        ("iam_group", "group/"),
        ("iam_policy", "policy/"),
        ("iam_instance_profile", "instance-profile/"),
        ("iam_saml_provider", "saml-provider/"),
        ("iam_openid_connect_provider", "oidc-provider/"),
        ("iam_server_certificate", "server-certificate/"),
    ];
    if let Some((_, kind)) = iam_kinds.iter().find(|(t, _)| *t == rest) {
        return Some(Val::str(
            format!("arn:aws:iam::{SELF_ACCOUNT}:{kind}{name}"),
            span,
        ));
    }
    // Services whose ARNs have neither region nor account.
    if rest.starts_with("s3_") {
        return Some(Val::str(format!("arn:aws:s3:::{name}"), span));
    }
    let prefixed = [
        ("sfn_", "states"),
        ("cloudwatch_event_", "events"),
        ("cloudwatch_log_", "logs"),
        ("cloudwatch_", "cloudwatch"),
        ("cognito_identity_", "cognito-identity"),
        ("cognito_", "cognito-idp"),
        ("lb", "elasticloadbalancing"),
        ("alb", "elasticloadbalancing"),
        ("api_gateway", "apigateway"),
        ("apigatewayv2_", "apigateway"),
        ("db_", "rds"),
        ("rds_", "rds"),
        ("kinesis_firehose_", "firehose"),
        ("elasticsearch_", "es"),
        ("opensearch_", "es"),
        ("codestarconnections_", "codestar-connections"),
    ];
    let service = prefixed
        .iter()
        .find(|(p, _)| rest.starts_with(p))
        .map_or_else(|| rest.split('_').next().unwrap_or(rest), |(_, s)| s);
    Some(Val::str(
        format!("arn:aws:{service}:{SELF_REGION}:{SELF_ACCOUNT}:{name}"),
        span,
    ))
}

/// The OIDC issuer of an EKS cluster: `https://oidc.eks.REGION.amazonaws.com/id/ID`, the form
/// the EKS documentation gives, with the id EKS assigns when the cluster is created.
fn eks_issuer(region: &str, cluster: &str) -> String {
    format!(
        "https://oidc.eks.{region}.amazonaws.com/id/(OIDC id of {cluster}{}",
        crate::value::AT_APPLY
    )
}

/// `identity[0].oidc[0].issuer` of an EKS cluster (resource or data source), in its region.
fn eks_identity(obj: &Val, full: &str, span: Span) -> Val {
    let region = known(obj, "region").unwrap_or_else(|| SELF_REGION.to_string());
    let issuer = Val::str(eks_issuer(&region, full), span);
    let one = |name: &str, v: Val| {
        Val::new(
            ValKind::List(vec![Val::new(
                ValKind::Map(vec![(
                    Key {
                        name: name.to_string(),
                        span,
                    },
                    v,
                )]),
                span,
            )]),
            span,
        )
    };
    one("oidc", one("issuer", issuer))
}

/// An OIDC provider ARN from its URL.
pub fn oidc_arn(url: &str, span: Span) -> Val {
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    Val::str(
        format!("arn:aws:iam::{SELF_ACCOUNT}:oidc-provider/{host}"),
        span,
    )
}

/// Adds the computed attributes of one instance.
pub fn computed_attrs(inst: &Instance, res: &Resource, full: &str, scope: &Scope, obj: &mut Val) {
    let span = res.span;
    match (res.data, res.ty.as_str()) {
        (false, "aws_iam_role") => {
            let name = name_or_unknown(obj, full, span);
            let arn = iam_arn(obj, full, "role", "arn", span);
            set(obj, "arn", arn);
            set(obj, "id", Val { ..name.clone() });
            set(obj, "name", name);
        }
        (false, "aws_iam_policy") => {
            let name = name_or_unknown(obj, full, span);
            let arn = iam_arn(obj, full, "policy", "arn", span);
            set(obj, "id", arn.clone());
            set(obj, "arn", arn);
            set(obj, "name", name);
        }
        (false, "aws_iam_user") => {
            let arn = iam_arn(obj, full, "user", "arn", span);
            set(obj, "arn", arn);
        }
        // The provider's id of an EKS cluster is its name.
        (false, "aws_eks_cluster") => {
            if let Some(name) = obj.get("name").filter(|v| as_string(v).is_some()).cloned() {
                set(obj, "id", name);
            }
            set(obj, "identity", eks_identity(obj, full, span));
        }
        (true, "aws_eks_cluster") => set(obj, "identity", eks_identity(obj, full, span)),
        // The provider's id of a SAML provider is its ARN.
        (false, "aws_iam_saml_provider") => {
            let arn = iam_arn(obj, full, "saml-provider", "arn", span);
            set(obj, "id", arn.clone());
            set(obj, "arn", arn);
        }
        (false, "aws_iam_instance_profile") => {
            let arn = iam_arn(obj, full, "instance-profile", "arn", span);
            set(obj, "arn", arn);
        }
        (false, "aws_iam_openid_connect_provider") | (true, "aws_iam_openid_connect_provider") => {
            if let Some(arn) = obj.get("arn").filter(|v| as_string(v).is_some()).cloned() {
                set(obj, "id", arn);
            } else if let Some(url) = known(obj, "url") {
                let arn = oidc_arn(&url, span);
                set(obj, "id", arn.clone());
                set(obj, "arn", arn);
            } else if let Some(u) = obj.get("url").and_then(Val::as_unknown).cloned() {
                // A provider of this account whose issuer is not known offline.
                let arn = crate::value::Unknown::partial(
                    format!("{full}.arn"),
                    u.reason,
                    [
                        crate::value::Piece::Text(format!(
                            "arn:aws:iam::{SELF_ACCOUNT}:oidc-provider/"
                        )),
                        crate::value::Piece::Hole(u.expr),
                    ],
                );
                set(obj, "arn", Val::new(ValKind::Unknown(arn), span));
            }
        }
        (true, "aws_caller_identity") | (true, "aws_partition") | (true, "aws_region") => {
            // A region named in the data source's arguments is that region.
            let chosen = ["region", "name"]
                .iter()
                .find_map(|a| obj.get(a).filter(|v| as_string(v).is_some()).cloned());
            let wk = well_known_data(&res.ty, full, span);
            if let ValKind::Map(entries) = wk.kind {
                for (k, v) in entries {
                    match &chosen {
                        Some(c) if res.ty == "aws_region" && k.name != "__resource__" => {
                            set(obj, &k.name, c.clone())
                        }
                        _ => set(obj, &k.name, v),
                    }
                }
            }
        }
        (true, "aws_iam_policy") => managed_policy_data(obj, full, span),
        // The provider's service principal data source: `<service>.amazonaws.com` in the
        // commercial partition, which is what the trust policies compare.
        (true, "aws_service_principal") => {
            if let Some(service) = known(obj, "service_name") {
                let name = format!("{service}.amazonaws.com");
                set(obj, "name", Val::str(name.clone(), span));
                set(obj, "id", Val::str(name, span));
                set(obj, "suffix", Val::str("amazonaws.com", span));
            }
        }
        (true, "aws_iam_role") => {
            if let Some(name) = known(obj, "name") {
                set(
                    obj,
                    "arn",
                    Val::str(format!("arn:aws:iam::{SELF_ACCOUNT}:role/{name}"), span),
                );
            }
        }
        (true, "aws_iam_policy_document") => {
            let (json, minified) = super::policy_document::json_of(inst, res, scope);
            set(obj, "json", json);
            set(obj, "minified_json", minified);
        }
        _ => {}
    }
}

/// `data "aws_iam_policy"`: by `arn`, or by `name` (and `path_prefix`). An AWS managed policy
/// comes from the embedded catalog with its real path; `.policy` is its document when the
/// catalog keeps every statement whole (actions on `*` without conditions), otherwise an
/// unknown that says so. A name the catalog does not know is a customer managed policy of this
/// account.
fn managed_policy_data(obj: &mut Val, full: &str, span: Span) {
    use crate::iam::managed;
    let by_arn = known(obj, "arn");
    let found = match (&by_arn, known(obj, "name")) {
        (Some(arn), _) => managed::lookup(arn),
        (None, Some(name)) => {
            let prefix = known(obj, "path_prefix");
            managed::lookup_name(&name).filter(|p| {
                prefix
                    .as_deref()
                    .is_none_or(|pre| p.arn_path.starts_with(pre))
            })
        }
        (None, None) => None,
    };
    let Some(p) = found else {
        if by_arn.is_none()
            && let Some(name) = known(obj, "name")
        {
            let prefix = known(obj, "path_prefix").unwrap_or_else(|| "/".into());
            set(
                obj,
                "arn",
                Val::str(
                    format!("arn:aws:iam::{SELF_ACCOUNT}:policy{prefix}{name}"),
                    span,
                ),
            );
        }
        return;
    };
    if by_arn.is_none() {
        set(obj, "arn", Val::str(p.arn(), span));
    }
    set(obj, "name", Val::str(p.name, span));
    set(obj, "path", Val::str(p.arn_path, span));
    set(
        obj,
        "policy_id",
        Val::unknown(
            format!("{full}.policy_id"),
            format!("{full}.policy_id is known only at plan"),
            span,
        ),
    );
    let policy = match managed_document(p) {
        Some(json) => Val::str(json, span),
        None => Val::unknown(
            format!("{full}.policy"),
            format!(
                "the catalog keeps only a summary of {}'s statements (resources and conditions are not embedded)",
                p.name
            ),
            span,
        ),
    };
    set(obj, "policy", policy);
}

/// The JSON document of a managed policy whose statements the catalog keeps whole: every
/// statement on `Resource: "*"` without a condition.
fn managed_document(p: &crate::iam::managed::ManagedPolicy) -> Option<String> {
    use crate::iam::managed::{Effect, ResourceScope};
    let mut statements = Vec::new();
    for st in &p.statements {
        if st.conditional || st.resource != ResourceScope::Any {
            return None;
        }
        let effect = match st.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        let key = if st.not_action { "NotAction" } else { "Action" };
        let mut m = serde_json::Map::new();
        m.insert("Effect".into(), effect.into());
        m.insert(key.into(), st.actions.clone().into());
        m.insert("Resource".into(), "*".into());
        statements.push(serde_json::Value::Object(m));
    }
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    Some(doc.to_string())
}

/// `data.aws_caller_identity`, `data.aws_partition`, `data.aws_region` as objects.
pub fn well_known_data(ty: &str, full: &str, span: Span) -> Val {
    let mut obj = Val::new(
        ValKind::Map(vec![(
            Key {
                name: "__resource__".into(),
                span,
            },
            Val::str(full, span),
        )]),
        span,
    );
    match ty {
        "aws_caller_identity" => {
            set(&mut obj, "account_id", Val::str(SELF_ACCOUNT, span));
            set(&mut obj, "id", Val::str(SELF_ACCOUNT, span));
            // The identity running Terraform: in this account, of a kind known only at plan.
            set(
                &mut obj,
                "arn",
                Val::str(
                    format!("arn:aws:iam::{SELF_ACCOUNT}:(identity running Terraform)"),
                    span,
                ),
            );
        }
        "aws_partition" => {
            set(&mut obj, "partition", Val::str("aws", span));
            set(&mut obj, "id", Val::str("aws", span));
            set(&mut obj, "dns_suffix", Val::str("amazonaws.com", span));
        }
        _ => {
            // The region the provider deploys into: a placeholder like the account, so that
            // ARNs and regional service principals built from it stay known.
            for attr in ["name", "region", "id"] {
                set(&mut obj, attr, Val::str(SELF_REGION, span));
            }
        }
    }
    obj
}
