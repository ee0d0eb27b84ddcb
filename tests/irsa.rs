//! EKS IAM roles for service accounts (issue 10, point 4): a condition key built from an OIDC
//! provider that is not known offline (`"${replace(var.oidc_provider_arn, ...)}:sub"`) keeps its
//! known `:sub` / `:aud` suffix, so the trust's subject is checked with the EKS rules; the
//! outputs of the registry EKS module (`module.eks.oidc_provider_arn`) are an OIDC provider of
//! this account whose issuer is assigned at apply. A whole key from a variable stays unknown.
//!
//! Facts used: the IRSA trust policy of the EKS user guide (`<issuer>:sub` =
//! `system:serviceaccount:NS:SA`, `<issuer>:aud` = `sts.amazonaws.com`), the issuer URL form
//! `https://oidc.eks.REGION.amazonaws.com/id/ID`, and the documented outputs of
//! terraform-aws-modules/eks/aws (`oidc_provider_arn`, `oidc_provider`, `cluster_oidc_issuer_url`).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .args(["--format", "json", "."])
        .output()
        .expect("run iamlint");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn tree(main_tf: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "main.tf", main_tf);
    dir
}

/// The inventory entry of the role at `address`.
fn role(dir: &Path, address: &str) -> Value {
    let v = json(dir, &["roles"]);
    v["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["address"] == address)
        .cloned()
        .unwrap_or_else(|| panic!("no role {address} in {v:#}"))
}

/// (rule, line) of every finding, sorted.
fn findings(dir: &Path) -> Vec<(String, u64)> {
    let v = json(dir, &[]);
    let mut out: Vec<(String, u64)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

fn rules(dir: &Path) -> Vec<String> {
    let mut r: Vec<String> = findings(dir).into_iter().map(|(r, _)| r).collect();
    r.dedup();
    r
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"))
}

/// The (provider, kind) of the trust's principals in the inventory.
fn principal_kinds(role: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for st in role["trust"]["statements"].as_array().into_iter().flatten() {
        for p in st["principals"].as_array().into_iter().flatten() {
            out.push((
                p["kind"].as_str().unwrap_or("").to_string(),
                p["provider"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

/// An IRSA role whose trust comes from a policy document with `principal` and the given
/// condition blocks, with `head` declared before it.
fn irsa(head: &str, principal: &str, conditions: &str) -> String {
    format!(
        r#"{head}
data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {{
      type        = "Federated"
      identifiers = [{principal}]
    }}
{conditions}
  }}
}}

resource "aws_iam_role" "irsa" {{
  name               = "irsa"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}}
"#
    )
}

fn cond(test: &str, variable: &str, values: &str) -> String {
    format!(
        "    condition {{\n      test     = \"{test}\"\n      variable = {variable}\n      values   = [{values}]\n    }}\n"
    )
}

const VAR_ARN: &str = r#"variable "oidc_provider_arn" {
  type = string
}"#;

const SUB_PINNED: &str = r#""system:serviceaccount:kube-system:aws-node""#;
const AUD: &str = r#""sts.amazonaws.com""#;

fn pinned(prefix: &str) -> String {
    cond(
        "StringEquals",
        &format!("\"${{{prefix}}}:sub\""),
        SUB_PINNED,
    ) + &cond("StringEquals", &format!("\"${{{prefix}}}:aud\""), AUD)
}

// ---------------------------------------------------------------------------------------------
// A provider ARN from an input variable: the key keeps its `:sub` suffix.

const REPLACE: &str = r#"replace(var.oidc_provider_arn, "/^(.*provider/)/", "")"#;

#[test]
fn replace_of_a_variable_with_a_pinned_subject_is_checked_and_quiet() {
    let main = irsa(VAR_ARN, "var.oidc_provider_arn", &pinned(REPLACE));
    let dir = tree(&main);
    let r = rules(dir.path());
    assert!(r.is_empty(), "a pinned IRSA trust is clean: {r:?}\n{main}");
}

#[test]
fn replace_of_a_variable_with_a_namespace_wide_subject_is_iam005() {
    let c = cond(
        "StringLike",
        &format!("\"${{{REPLACE}}}:sub\""),
        r#""system:serviceaccount:payments:*""#,
    ) + &cond("StringEquals", &format!("\"${{{REPLACE}}}:aud\""), AUD);
    let main = irsa(VAR_ARN, "var.oidc_provider_arn", &c);
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, "system:serviceaccount:payments:*");
    assert!(
        f.contains(&("IAM005".to_string(), line)),
        "IAM005 at line {line}: {f:?}"
    );
    assert!(!f.iter().any(|(r, _)| r == "IAM004"), "{f:?}");
}

#[test]
fn replace_of_a_variable_with_every_service_account_is_iam004() {
    let c = cond(
        "StringLike",
        &format!("\"${{{REPLACE}}}:sub\""),
        r#""system:serviceaccount:*""#,
    ) + &cond("StringEquals", &format!("\"${{{REPLACE}}}:aud\""), AUD);
    let main = irsa(VAR_ARN, "var.oidc_provider_arn", &c);
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, "system:serviceaccount:*");
    assert!(
        f.contains(&("IAM004".to_string(), line)),
        "IAM004 at line {line}: {f:?}"
    );
}

#[test]
fn trimprefix_of_the_issuer_url_without_audience_is_iam006() {
    let head = format!("{VAR_ARN}\nvariable \"cluster_oidc_issuer_url\" {{\n  type = string\n}}");
    let key = r#"trimprefix(var.cluster_oidc_issuer_url, "https://")"#;
    let c = cond("StringEquals", &format!("\"${{{key}}}:sub\""), SUB_PINNED);
    let main = irsa(&head, "var.oidc_provider_arn", &c);
    let dir = tree(&main);
    let r = rules(dir.path());
    assert_eq!(r, vec!["IAM006".to_string()], "{main}");
}

#[test]
fn format_of_a_local_from_a_cluster_data_source_resolves() {
    let head = r#"data "aws_eks_cluster" "this" {
  name = "prod"
}
data "aws_iam_openid_connect_provider" "this" {
  url = data.aws_eks_cluster.this.identity[0].oidc[0].issuer
}
locals {
  issuer = replace(data.aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
}"#;
    let c = cond(
        "StringEquals",
        r#"format("%s:sub", local.issuer)"#,
        SUB_PINNED,
    ) + &cond("StringEquals", r#"format("%s:aud", local.issuer)"#, AUD);
    let main = irsa(head, "data.aws_iam_openid_connect_provider.this.arn", &c);
    let dir = tree(&main);
    let r = role(dir.path(), "aws_iam_role.irsa");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    assert_eq!(
        principal_kinds(&r),
        vec![("federated".to_string(), "eks".to_string())]
    );
    assert!(rules(dir.path()).is_empty());
}

#[test]
fn format_of_a_variable_keeps_the_suffix() {
    let c = cond(
        "StringEquals",
        &format!("format(\"%s:sub\", {REPLACE})"),
        SUB_PINNED,
    ) + &cond(
        "StringEquals",
        &format!("format(\"%s:aud\", {REPLACE})"),
        AUD,
    );
    let main = irsa(VAR_ARN, "var.oidc_provider_arn", &c);
    let dir = tree(&main);
    assert!(rules(dir.path()).is_empty(), "{main}");
}

#[test]
fn provider_created_alongside_from_the_cluster_issuer_resolves() {
    let head = r#"resource "aws_eks_cluster" "this" {
  name     = "prod"
  role_arn = "arn:aws:iam::111122223333:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1"]
  }
}
resource "aws_iam_openid_connect_provider" "this" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}
locals {
  issuer = replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
}"#;
    let main = irsa(
        head,
        "aws_iam_openid_connect_provider.this.arn",
        &pinned("local.issuer"),
    );
    let dir = tree(&main);
    let r = role(dir.path(), "aws_iam_role.irsa");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    assert_eq!(
        principal_kinds(&r),
        vec![("federated".to_string(), "eks".to_string())]
    );
    assert!(rules(dir.path()).is_empty());
}

#[test]
fn provider_created_alongside_with_an_unknown_url_is_this_accounts() {
    let head = r#"variable "issuer_url" {
  type = string
}
resource "aws_iam_openid_connect_provider" "this" {
  url            = var.issuer_url
  client_id_list = ["sts.amazonaws.com"]
}"#;
    let c = cond(
        "StringEquals",
        r#""${trimprefix(var.issuer_url, "https://")}:sub""#,
        SUB_PINNED,
    ) + &cond(
        "StringEquals",
        r#""${trimprefix(var.issuer_url, "https://")}:aud""#,
        AUD,
    );
    let main = irsa(head, "aws_iam_openid_connect_provider.this.arn", &c);
    let dir = tree(&main);
    let r = role(dir.path(), "aws_iam_role.irsa");
    let account = r["trust"]["statements"][0]["principals"][0]["account"].clone();
    assert_eq!(account, "(this-account)", "{r:#}");
    assert!(rules(dir.path()).is_empty(), "{main}");
}

// ---------------------------------------------------------------------------------------------
// The registry EKS module (not downloaded).

fn eks_module(version: &str) -> String {
    format!(
        r#"module "eks" {{
  source  = "terraform-aws-modules/eks/aws"
  version = "{version}"
  name    = "prod"
}}"#
    )
}

#[test]
fn eks_module_outputs_are_an_oidc_provider_of_this_account() {
    for version in ["~> 21.0", "~> 20.0", "~> 19.0", "~> 18.0"] {
        let main = irsa(
            &eks_module(version),
            "module.eks.oidc_provider_arn",
            &pinned("module.eks.oidc_provider"),
        );
        let dir = tree(&main);
        let r = role(dir.path(), "aws_iam_role.irsa");
        assert_eq!(r["trust_resolved"], true, "{version}: {r:#}");
        assert_eq!(
            principal_kinds(&r),
            vec![("federated".to_string(), "eks".to_string())],
            "{version}"
        );
        assert_eq!(
            r["trust"]["statements"][0]["principals"][0]["account"],
            "(this-account)"
        );
        // IAM009 says the module itself was not read; nothing about the role.
        let rs: Vec<String> = rules(dir.path())
            .into_iter()
            .filter(|r| r != "IAM009")
            .collect();
        assert!(rs.is_empty(), "{version}: {rs:?}");
    }
}

#[test]
fn eks_module_issuer_url_output_builds_the_same_keys() {
    let c = pinned(r#"trimprefix(module.eks.cluster_oidc_issuer_url, "https://")"#);
    let main = irsa(&eks_module("~> 20.0"), "module.eks.oidc_provider_arn", &c);
    let dir = tree(&main);
    let r = role(dir.path(), "aws_iam_role.irsa");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    let rs: Vec<String> = rules(dir.path())
        .into_iter()
        .filter(|r| r != "IAM009")
        .collect();
    assert!(rs.is_empty(), "{rs:?}");
}

#[test]
fn eks_module_trust_without_subject_is_iam004_at_the_principal() {
    let c = cond("StringEquals", r#""${module.eks.oidc_provider}:aud""#, AUD);
    let main = irsa(&eks_module("~> 20.0"), "module.eks.oidc_provider_arn", &c);
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, "identifiers = [module.eks.oidc_provider_arn]");
    assert!(
        f.contains(&("IAM004".to_string(), line)),
        "IAM004 at line {line}: {f:?}"
    );
}

#[test]
fn eks_module_with_irsa_switched_off_has_no_provider() {
    let head = r#"module "eks" {
  source      = "terraform-aws-modules/eks/aws"
  version     = "~> 20.0"
  name        = "prod"
  enable_irsa = false
}"#;
    let main = irsa(
        head,
        "module.eks.oidc_provider_arn",
        &pinned("module.eks.oidc_provider"),
    );
    let dir = tree(&main);
    let r = role(dir.path(), "aws_iam_role.irsa");
    let kinds = principal_kinds(&r);
    assert_ne!(
        kinds,
        vec![("federated".to_string(), "eks".to_string())],
        "no provider is created: {r:#}"
    );
}

#[test]
fn an_unmodelled_module_output_stays_unknown() {
    let head = r#"module "cluster" {
  source  = "example-corp/eks/aws"
  version = "1.0.0"
}"#;
    let main = irsa(
        head,
        "module.cluster.oidc_provider_arn",
        &pinned("module.cluster.oidc_provider"),
    );
    let dir = tree(&main);
    let r = role(dir.path(), "aws_iam_role.irsa");
    assert_eq!(r["trust_resolved"], false, "{r:#}");
}

// ---------------------------------------------------------------------------------------------
// Honesty: a key that is unknown as a whole stays unknown.

#[test]
fn a_whole_key_from_a_variable_stays_iam008() {
    let head = format!("{VAR_ARN}\nvariable \"sub_key\" {{\n  type = string\n}}");
    let c = cond("StringEquals", "var.sub_key", SUB_PINNED);
    let main = irsa(&head, "var.oidc_provider_arn", &c);
    let dir = tree(&main);
    let r = rules(dir.path());
    assert_eq!(r, vec!["IAM008".to_string()], "{main}");
}

#[test]
fn a_key_whose_claim_is_unknown_stays_iam008() {
    let head = r#"variable "claim" {
  type = string
}"#;
    let c = cond(
        "StringEquals",
        r#""oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF:${var.claim}""#,
        SUB_PINNED,
    );
    let main = irsa(
        head,
        r#""arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF""#,
        &c,
    );
    let dir = tree(&main);
    let r = rules(dir.path());
    assert!(r.contains(&"IAM008".to_string()), "{r:?}");
    assert!(!r.contains(&"IAM004".to_string()), "{r:?}");
}

#[test]
fn a_known_provider_with_a_partial_key_is_checked() {
    let head = r#"variable "issuer" {
  type = string
}"#;
    let c = cond(
        "StringLike",
        r#""${var.issuer}:sub""#,
        r#""system:serviceaccount:*""#,
    ) + &cond("StringEquals", r#""${var.issuer}:aud""#, AUD);
    let main = irsa(
        head,
        r#""arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF""#,
        &c,
    );
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, "system:serviceaccount:*");
    assert!(
        f.contains(&("IAM004".to_string(), line)),
        "IAM004 at line {line}: {f:?}"
    );
}

#[test]
fn saml_from_a_variable_is_not_taken_for_oidc() {
    let head = r#"variable "saml_provider_arn" {
  type = string
}"#;
    let main = format!(
        r#"{head}
resource "aws_iam_role" "saml" {{
  name = "saml"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Federated = var.saml_provider_arn }}
      Action    = "sts:AssumeRoleWithSAML"
      Condition = {{ StringEquals = {{ "SAML:aud" = "https://signin.aws.amazon.com/saml" }} }}
    }}]
  }})
}}
"#
    );
    let dir = tree(&main);
    let r = rules(dir.path());
    assert_eq!(r, vec!["IAM008".to_string()], "{main}");
}

// ---------------------------------------------------------------------------------------------
// The same key in a jsonencode object and in a heredoc policy.

const JSONENCODE_HEAD: &str = r#"variable "oidc_provider_arn" {
  type = string
}
locals {
  issuer = replace(var.oidc_provider_arn, "/^(.*provider/)/", "")
}
"#;

fn jsonencode_role(test: &str, sub: &str) -> String {
    format!(
        r#"{JSONENCODE_HEAD}
resource "aws_iam_role" "irsa" {{
  name = "irsa"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Federated = var.oidc_provider_arn }}
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {{
        {test} = {{
          "${{local.issuer}}:sub" = "{sub}"
          "${{local.issuer}}:aud" = "sts.amazonaws.com"
        }}
      }}
    }}]
  }})
}}
"#
    )
}

#[test]
fn jsonencode_object_key_keeps_its_suffix() {
    let main = jsonencode_role("StringEquals", "system:serviceaccount:kube-system:aws-node");
    let dir = tree(&main);
    assert!(rules(dir.path()).is_empty(), "{main}");
    let main = jsonencode_role("StringLike", "system:serviceaccount:kube-system:*");
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, "system:serviceaccount:kube-system:*");
    assert!(
        f.contains(&("IAM005".to_string(), line)),
        "IAM005 at line {line}: {f:?}"
    );
}

#[test]
fn heredoc_policy_key_keeps_its_suffix() {
    let main = format!(
        r#"{JSONENCODE_HEAD}
resource "aws_iam_role" "irsa" {{
  name = "irsa"
  assume_role_policy = <<EOT
{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"Federated": "${{var.oidc_provider_arn}}"}},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {{"StringLike": {{"${{local.issuer}}:sub": "system:serviceaccount:*",
     "${{local.issuer}}:aud": "sts.amazonaws.com"}}}}}}]}}
EOT
}}
"#
    );
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, "system:serviceaccount:*");
    assert!(
        f.contains(&("IAM004".to_string(), line)),
        "IAM004 at line {line}: {f:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// A modelled IRSA module (not downloaded) fed a provider ARN from a variable.

#[test]
fn modelled_irsa_module_with_a_variable_provider_is_checked() {
    let main = format!(
        r#"{VAR_ARN}
module "pinned" {{
  source    = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version   = "~> 5.0"
  role_name = "pinned"
  oidc_providers = {{
    main = {{
      provider_arn               = var.oidc_provider_arn
      namespace_service_accounts = ["kube-system:aws-node"]
    }}
  }}
}}
module "wide" {{
  source               = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts"
  version              = "~> 6.0"
  name                 = "wide"
  trust_condition_test = "StringLike"
  oidc_providers = {{
    main = {{
      provider_arn               = var.oidc_provider_arn
      namespace_service_accounts = ["kube-system:*"]
    }}
  }}
}}
"#
    );
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, r#"["kube-system:*"]"#);
    assert!(
        f.contains(&("IAM005".to_string(), line)),
        "IAM005 at line {line}: {f:?}"
    );
    let pinned_line = line_of(&main, r#"["kube-system:aws-node"]"#);
    let provider_line = line_of(&main, "provider_arn               = var.oidc_provider_arn");
    assert!(
        !f.iter()
            .any(|(_, l)| *l == pinned_line || *l == provider_line),
        "the pinned role is clean: {f:?}"
    );
}

#[test]
fn a_variable_provider_with_known_github_keys_is_github() {
    let c = cond(
        "StringEquals",
        r#""token.actions.githubusercontent.com:aud""#,
        AUD,
    ) + &cond(
        "StringLike",
        r#""token.actions.githubusercontent.com:sub""#,
        r#""repo:*""#,
    );
    let main = irsa(VAR_ARN, "var.oidc_provider_arn", &c);
    let dir = tree(&main);
    let f = findings(dir.path());
    let line = line_of(&main, r#""repo:*""#);
    assert!(
        f.contains(&("IAM004".to_string(), line)),
        "every repository on GitHub: IAM004 at line {line}: {f:?}"
    );
}
