//! The EKS Blueprints addon module (`aws-ia/eks-blueprints-addon/aws`), checked without
//! `terraform init`: the IAM role for service accounts it makes next to its Helm release, from
//! the module's documented behaviour (README and variables.tf). Each entry of `oidc_providers`
//! trusts its `provider_arn` for `system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT` (the entry's
//! `namespace`, else the release's `namespace`, else `default`) with `aud` `sts.amazonaws.com`,
//! both under `assume_role_condition_test`; the role exists only with `create` and
//! `create_role`; the name is `role_name` (else the release `name`), a prefix by default;
//! `trust_policy_statements` add statements to the trust, `role_policies` attach ARNs and
//! `policy_statements` / `source_policy_documents` make the module's own policy.

use serde_json::Value;
use std::collections::BTreeSet;

mod module_support;
use module_support::*;

/// A finding as the tests compare it.
#[derive(Debug, Clone)]
struct F {
    rule: String,
    severity: String,
    line: u64,
    resource: String,
    message: String,
    notes: String,
}

/// The exit code and findings of `main.tf`.
fn findings(main: &str) -> (Option<i32>, Vec<F>) {
    findings_with(main, "")
}

/// The exit code and findings of `main.tf` with `.iamlint.yaml` holding `config`.
fn findings_with(main: &str, config: &str) -> (Option<i32>, Vec<F>) {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    write(d.path(), ".iamlint.yaml", config);
    let (code, v) = iamlint(d.path(), &["--format", "json", "."]);
    let fs = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| F {
            rule: f["rule"].as_str().unwrap_or_default().into(),
            severity: f["severity"].as_str().unwrap_or_default().into(),
            line: f["line"].as_u64().unwrap_or_default(),
            resource: f["resource"].as_str().unwrap_or_default().into(),
            message: f["message"].as_str().unwrap_or_default().into(),
            notes: f["notes"].to_string(),
        })
        .collect();
    (code, fs)
}

/// (rule, severity) of the findings.
fn rules(fs: &[F]) -> BTreeSet<(String, String)> {
    fs.iter()
        .map(|f| (f.rule.clone(), f.severity.clone()))
        .collect()
}

/// A call of the module; `VERSION` and `EXTRA` are replaced.
const CALL: &str = r#"module "addon" {
  source  = "aws-ia/eks-blueprints-addon/aws"
  version = "VERSION"

  name      = "karpenter"
  chart     = "karpenter"
  namespace = "karpenter"

  create_role = true
  role_name   = "karpenter-controller"
EXTRA}
"#;

fn call(version: &str, extra: &str) -> String {
    CALL.replace("VERSION", version).replace("EXTRA", extra)
}

const CONFIG: &str = "trusted_accounts:\n  \"111122223333\": shared\n";
const ADDRESS: &str = "module.addon.aws_iam_role.this";
const PROVIDER: &str =
    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/5C3A0F0E1D2B";
const ISSUER: &str = "oidc.eks.eu-west-1.amazonaws.com/id/5C3A0F0E1D2B";

/// `(operator, key, values)` of a trust statement's conditions.
fn conditions(statement: &Value) -> Vec<(String, String, Vec<String>)> {
    statement["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["operator"].as_str().unwrap_or_default().to_string(),
                c["key"].as_str().unwrap_or_default().to_string(),
                c["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// One statement per OIDC provider: the provider is the federated principal, `sub` names the
/// service account in the entry's namespace (else the release's, else `default`), `aud` is
/// `sts.amazonaws.com`, both `StringEquals` by default. The name is `role_name`, a prefix.
#[test]
fn oidc_providers_become_the_irsa_trust() {
    let extra = format!(
        r#"  oidc_providers = {{
    this = {{
      provider_arn    = "{PROVIDER}"
      service_account = "karpenter"
    }}
    node = {{
      provider_arn    = "{PROVIDER}"
      namespace       = "kube-system"
      service_account = "aws-node"
    }}
  }}
"#
    );
    let rs = roles(&call("1.1.1", &extra));
    let r = role(&rs, ADDRESS);
    assert_eq!(r["state"], "checked", "{r}");
    assert_eq!(r["trust_resolved"], true, "{r}");
    assert_eq!(r["name"], "karpenter-controller-", "{r}");
    assert!(
        r["notes"]
            .to_string()
            .contains("modelled from the module's interface, v1"),
        "{r}"
    );
    let sts = r["trust"]["statements"].as_array().expect("statements");
    assert_eq!(sts.len(), 2, "{r}");
    let mut subs = Vec::new();
    for st in sts {
        assert_eq!(st["actions"][0], "sts:AssumeRoleWithWebIdentity", "{st}");
        let p = &st["principals"][0];
        assert_eq!(p["type"], "Federated", "{st}");
        assert_eq!(p["value"], PROVIDER, "{st}");
        assert_eq!(p["provider"], "eks", "{st}");
        let cs = conditions(st);
        assert!(
            cs.contains(&(
                "StringEquals".into(),
                format!("{ISSUER}:aud"),
                strings(&["sts.amazonaws.com"])
            )),
            "{cs:?}"
        );
        let sub = cs
            .iter()
            .find(|(op, k, _)| op == "StringEquals" && *k == format!("{ISSUER}:sub"))
            .unwrap_or_else(|| panic!("sub in {cs:?}"));
        subs.extend(sub.2.clone());
    }
    subs.sort();
    assert_eq!(
        subs,
        strings(&[
            "system:serviceaccount:karpenter:karpenter",
            "system:serviceaccount:kube-system:aws-node"
        ])
    );
    // Pinned subject and audience, a provider of a trusted account: no findings.
    let (code, fs) = findings_with(&call("1.1.1", &extra), CONFIG);
    assert!(fs.is_empty(), "{fs:#?}");
    assert_eq!(code, Some(0));

    // Without the release's namespace the service account is in `default`; without
    // `role_use_name_prefix` the name is the release name, exact.
    let main = call("~> 1.0", &extra)
        .replace("  namespace = \"karpenter\"\n", "")
        .replace(
            "  role_name   = \"karpenter-controller\"\n",
            "  role_name_use_prefix = false\n",
        );
    let rs = roles(&main);
    let r = role(&rs, ADDRESS);
    assert_eq!(r["name"], "karpenter", "{r}");
    let all = r["trust"].to_string();
    assert!(
        all.contains("system:serviceaccount:default:karpenter")
            && all.contains("system:serviceaccount:kube-system:aws-node"),
        "{all}"
    );
}

/// The same trust written by hand.
fn by_hand(sub: &str) -> String {
    format!(
        r#"resource "aws_iam_role" "irsa" {{
  name = "irsa"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = {{ Federated = "{PROVIDER}" }}
      Condition = {{
        StringLike = {{
          "{ISSUER}:sub" = ["{sub}"]
          "{ISSUER}:aud" = ["sts.amazonaws.com"]
        }}
      }}
    }}]
  }})
}}
"#
    )
}

/// A wildcard service account under `StringLike` gives the finding the same trust gives by
/// hand (IAM005: every service account of the namespace; IAM004: of every namespace), at the
/// input that holds the wildcard.
#[test]
fn a_wildcard_service_account_is_reported_as_by_hand() {
    for (entry, sub, rule) in [
        (
            "service_account = \"*\"",
            "system:serviceaccount:karpenter:*",
            "IAM005",
        ),
        (
            "namespace = \"*\", service_account = \"karpenter\"",
            "system:serviceaccount:*:karpenter",
            "IAM004",
        ),
    ] {
        let extra = format!(
            r#"  assume_role_condition_test = "StringLike"
  oidc_providers = {{
    this = {{
      provider_arn = "{PROVIDER}"
      {entry}
    }}
  }}
"#
        );
        let main = call("1.1.1", &extra);
        let (code, modelled) = findings(&main);
        let (_, hand) = findings(&by_hand(sub));
        assert!(hand.iter().any(|f| f.rule == rule), "{rule}: {hand:#?}");
        assert_eq!(
            rules(&modelled),
            rules(&hand),
            "{sub}: same rules as by hand\nmodule: {modelled:#?}\nhand: {hand:#?}"
        );
        assert_eq!(code, Some(1), "{sub}");
        let line = line_of(&main, entry);
        let f = modelled
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("{rule}: {modelled:#?}"));
        assert_eq!(f.line, line, "{rule} at the entry: {f:?}");
        assert_eq!(f.resource, ADDRESS, "{f:?}");
        assert!(
            f.notes.contains("modelled from the module's interface"),
            "{f:?}"
        );
        assert!(
            f.message.contains(ISSUER) || f.message.contains("eks"),
            "{f:?}"
        );
    }
}

/// `create_role` is false by default, and `create = false` turns everything off: the role is
/// listed as not created.
#[test]
fn no_role_without_create_role_or_create() {
    let extra = format!(
        "  oidc_providers = {{ this = {{ provider_arn = \"{PROVIDER}\", service_account = \"*\" }} }}\n  assume_role_condition_test = \"StringLike\"\n"
    );
    for main in [
        call("1.3.0", &extra).replace("  create_role = true\n", ""),
        call("1.3.0", &extra).replace("  create_role = true\n", "  create_role = false\n"),
        call("1.3.0", &extra).replace(
            "  create_role = true\n",
            "  create = false\n  create_role = true\n",
        ),
    ] {
        let rs = roles(&main);
        let r = role(&rs, ADDRESS);
        assert_eq!(r["state"], "not_created", "{main}\n{r}");
        let (code, fs) = findings(&main);
        assert!(fs.is_empty(), "{main}\n{fs:#?}");
        assert_eq!(code, Some(0));
    }
}

/// `trust_policy_statements` add to the trust (a wildcard AWS principal is IAM001 at its
/// input), `role_policies` attach ARNs (AdministratorAccess is IAM101), and the module's own
/// policy holds `policy_statements` unless `create_policy = false`.
#[test]
fn extra_trust_statements_and_policies_reach_the_role() {
    let extra = format!(
        r#"  oidc_providers = {{ this = {{ provider_arn = "{PROVIDER}", service_account = "karpenter" }} }}
  trust_policy_statements = [
    {{
      actions    = ["sts:AssumeRole"]
      principals = [{{ type = "AWS", identifiers = ["*"] }}]
    }},
    {{
      sid        = "PodIdentity"
      actions    = ["sts:AssumeRole", "sts:TagSession"]
      principals = [{{ type = "Service", identifiers = ["pods.eks.amazonaws.com"] }}]
    }}
  ]
  role_policies = {{ admin = "arn:aws:iam::aws:policy/AdministratorAccess" }}
  policy_statements = [
    {{
      actions   = ["ec2:RunInstances"]
      resources = ["*"]
    }}
  ]
"#
    );
    let main = call("1.3.0", &extra);
    let rs = roles(&main);
    let r = role(&rs, ADDRESS);
    assert_eq!(r["state"], "checked", "{r}");
    let trust = r["trust"].to_string();
    assert!(
        trust.contains("pods.eks.amazonaws.com") && trust.contains("PodIdentity"),
        "{trust}"
    );
    let (code, fs) = findings(&main);
    assert_eq!(code, Some(1));
    let f = fs
        .iter()
        .find(|f| f.rule == "IAM001")
        .unwrap_or_else(|| panic!("IAM001: {fs:#?}"));
    assert_eq!(f.line, line_of(&main, "identifiers = [\"*\"]"), "{f:?}");
    let f = fs
        .iter()
        .find(|f| f.rule == "IAM101")
        .unwrap_or_else(|| panic!("IAM101: {fs:#?}"));
    assert_eq!(f.line, line_of(&main, "AdministratorAccess"), "{f:?}");
    assert_eq!(can(&main, "ec2:RunInstances"), [ADDRESS]);

    // Without the administrator policy only the module's own policy grants it, and
    // `create_policy = false` leaves it out.
    let own = main.replace(
        "  role_policies = { admin = \"arn:aws:iam::aws:policy/AdministratorAccess\" }\n",
        "",
    );
    assert_eq!(can(&own, "ec2:RunInstances"), [ADDRESS]);
    let off = own.replace(
        "  policy_statements",
        "  create_policy = false\n  policy_statements",
    );
    assert_ne!(off, own);
    assert!(can(&off, "ec2:RunInstances").is_empty());
}

/// `allow_self_assume_role` lets the role assume itself: any principal of this account whose
/// ARN is the role's (its name prefix followed by anything).
#[test]
fn self_assume_names_the_role() {
    let extra = format!(
        "  allow_self_assume_role = true\n  role_path = \"/irsa/\"\n  oidc_providers = {{ this = {{ provider_arn = \"{PROVIDER}\", service_account = \"karpenter\" }} }}\n"
    );
    let rs = roles(&call("1.1.1", &extra));
    let r = role(&rs, ADDRESS);
    let st = r["trust"]["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["sid"] == "ExplicitSelfRoleAssumption")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(st["principals"][0]["value"], "*", "{st}");
    assert_eq!(
        conditions(st),
        [(
            "ArnLike".to_string(),
            "aws:PrincipalArn".to_string(),
            strings(&["arn:aws:iam::(this-account):role/irsa/karpenter-controller-*"])
        )]
    );
}

/// A version outside the description (no 2.x is described) falls back to the inputs: the role
/// is not built, and IAM009 names the module.
#[test]
fn a_version_outside_the_description_is_inputs_only() {
    let extra = format!(
        "  assume_role_condition_test = \"StringLike\"\n  oidc_providers = {{ this = {{ provider_arn = \"{PROVIDER}\", service_account = \"*\" }} }}\n"
    );
    for version in ["2.0.0", "~> 0.1"] {
        let main = call(version, &extra);
        let rs = roles(&main);
        assert!(
            !rs.iter().any(|r| r["address"] == ADDRESS),
            "{version}: {rs:#?}"
        );
        let (_, fs) = findings(&main);
        let f = fs
            .iter()
            .find(|f| f.rule == "IAM009")
            .unwrap_or_else(|| panic!("{version}: IAM009 {fs:#?}"));
        assert!(
            f.message.contains("not modelled") && f.message.contains("v1"),
            "{f:?}"
        );
        assert!(
            !fs.iter().any(|f| f.notes.contains("modelled from")),
            "{fs:#?}"
        );
    }
}

/// `|or_input:NAME` in a template falls back to another input (or local) when the value is
/// null; the loader refuses one that names no declared input.
#[test]
fn or_input_filter_reads_a_declared_input() {
    use iamlint::source::terraform::registry::parse_interface;
    let head = "module: a/b/aws\nrepository: github.com/a/b\nversions:\n  - major: 0\n    reviewed: v0.1.0\n    documentation: x\n";
    let bad =
        "    inputs: {a: null}\n    outputs:\n      x: {template: \"${input.a|or_input:gone}\"}\n";
    let e = parse_interface("bad.yaml", &format!("{head}{bad}"))
        .err()
        .unwrap_or_default();
    assert!(e.contains("bad.yaml") && e.contains("`gone`"), "{e}");
    let good = "    inputs: {a: null, b: x}\n    outputs:\n      x: {template: \"${input.a|or_input:b}\"}\n";
    parse_interface("good.yaml", &format!("{head}{good}")).unwrap_or_else(|e| panic!("{e}"));
}
