//! Registry modules that `terraform init` has not downloaded: a call of a modelled module gives
//! the same findings, at the caller's input lines, as the same role written out by hand; a safe
//! call gives none; a version that no described interface matches falls back to checking the
//! inputs alone; an unknown module's inputs are checked; a downloaded module's own code wins.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// A finding as the tests compare it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct F {
    rule: String,
    severity: String,
    line: u64,
    resource: String,
    message: String,
    notes: String,
}

fn run(files: &[(&str, &str)]) -> (Option<i32>, Vec<F>) {
    let d = tempfile::tempdir().expect("tempdir");
    for (n, t) in files {
        write(d.path(), n, t);
    }
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .args(["--format", "json", "."])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["errors"].as_array().is_some_and(|e| e.is_empty()),
        "errors: {}",
        v["errors"]
    );
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
    (out.status.code(), fs)
}

fn rules(fs: &[F]) -> BTreeSet<(String, String)> {
    fs.iter()
        .map(|f| (f.rule.clone(), f.severity.clone()))
        .collect()
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"))
}

struct Case {
    name: &'static str,
    /// The module call with a risky input; `VERSION` is replaced by the version constraint.
    call: &'static str,
    version: &'static str,
    /// The role the call creates, written out by hand.
    hand: &'static str,
    /// For each rule the call must report, the text of the input line it must point at.
    at: &'static [(&'static str, &'static str)],
    /// A call of the same module that is safe.
    safe: &'static str,
    /// A version constraint that admits no described major version.
    other_version: &'static str,
    /// The role's address inside the module.
    role: &'static str,
    /// Whether the risky input is one that the inputs-only check recognises (a principal, a
    /// subject, a managed policy ARN), so that the fallback still fails the gate.
    fallback_fails: bool,
}

const CONFIG: &str = "trusted_accounts:\n  \"111122223333\": shared\n";

/// Runs the checks of the "done when" list for one module and major version.
fn check(c: &Case) {
    let call = c.call.replace("VERSION", c.version);
    let (code, modelled) = run(&[("main.tf", &call)]);
    let (_, hand) = run(&[("main.tf", c.hand)]);
    assert!(
        !hand.is_empty(),
        "{}: the hand-written role has findings",
        c.name
    );
    assert_eq!(
        rules(&modelled),
        rules(&hand),
        "{}: same rules and severities as by hand\nmodule: {modelled:#?}\nhand: {hand:#?}",
        c.name
    );
    assert_eq!(code, Some(1), "{}: fails the gate", c.name);
    let address = format!("module.{}.{}", c.name, c.role);
    for f in &modelled {
        assert!(
            f.resource.starts_with(&address),
            "{}: finding on the modelled role: {f:?}",
            c.name
        );
        assert!(
            f.notes.contains("modelled from the module's interface"),
            "{}: note says modelled: {f:?}",
            c.name
        );
    }
    for (rule, needle) in c.at {
        let line = line_of(&call, needle);
        assert!(
            modelled.iter().any(|f| f.rule == *rule && f.line == line),
            "{}: {rule} at line {line} (`{needle}`): {modelled:#?}",
            c.name
        );
    }
    // Every finding is on a line of the call's inputs, never on `source` or `version`.
    let src = line_of(&call, "source");
    for f in &modelled {
        assert!(f.line > src + 1, "{}: at an input line: {f:?}", c.name);
    }
    // A safe call: nothing.
    let safe = c.safe.replace("VERSION", c.version);
    let (code, fs) = run(&[("main.tf", &safe), (".iamlint.yaml", CONFIG)]);
    assert!(
        fs.is_empty(),
        "{}: safe call has no findings: {fs:#?}",
        c.name
    );
    assert_eq!(code, Some(0), "{}", c.name);
    // A version no interface describes: inputs only, with the IAM009 note saying why.
    let other = c.call.replace("VERSION", c.other_version);
    let (code, fs) = run(&[("main.tf", &other)]);
    let note = fs
        .iter()
        .find(|f| f.rule == "IAM009")
        .unwrap_or_else(|| panic!("{}: IAM009 on fallback: {fs:#?}", c.name));
    assert!(note.message.contains("not modelled"), "{note:?}");
    assert!(
        fs.iter()
            .all(|f| f.resource == format!("module.{}", c.name)),
        "{}: fallback findings are on the module block: {fs:#?}",
        c.name
    );
    assert!(
        !fs.iter().any(|f| f.notes.contains("modelled from")),
        "{}",
        c.name
    );
    let expected = if c.fallback_fails { 1 } else { 0 };
    assert_eq!(code, Some(expected), "{}: fallback exit code", c.name);
}

#[test]
fn iam_assumable_role_v5() {
    check(&Case {
        name: "partner_role",
        call: r#"module "partner_role" {
  source                  = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version                 = "VERSION"
  create_role             = true
  role_name               = "partner"
  trusted_role_arns       = ["arn:aws:iam::999988887777:root"]
  role_requires_mfa       = false
  custom_role_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
"#,
        version: "~> 5.0",
        hand: r#"resource "aws_iam_role" "partner" {
  name = "partner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = ["sts:AssumeRole", "sts:TagSession"]
      Principal = { AWS = ["arn:aws:iam::999988887777:root"] }
    }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
"#,
        at: &[
            ("IAM002", "trusted_role_arns"),
            ("IAM003", "trusted_role_arns"),
            ("IAM101", "custom_role_policy_arns"),
        ],
        safe: r#"module "partner_role" {
  source            = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version           = "VERSION"
  create_role       = true
  role_name         = "audit"
  trusted_role_arns = ["arn:aws:iam::111122223333:role/auditor"]
  custom_role_policy_arns = ["arn:aws:iam::aws:policy/SecurityAudit"]
}
"#,
        other_version: "~> 4.0",
        role: "aws_iam_role.this",
        fallback_fails: true,
    });
}

#[test]
fn iam_assumable_role_v5_requires_mfa_by_default() {
    // The module's documented default (role_requires_mfa = true) adds the MFA conditions: the
    // same root trust without `role_requires_mfa = false` gives no MFA finding, with it one.
    let call = |extra: &str| {
        format!(
            r#"module "r" {{
  source            = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version           = ">= 5.0, < 6.0"
  create_role       = true
  trusted_role_arns = ["arn:aws:iam::111122223333:user/alice"]
  trusted_role_actions = ["sts:AssumeRole"]
  {extra}
}}
"#
        )
    };
    let (_, with_default) = run(&[("main.tf", &call("")), (".iamlint.yaml", CONFIG)]);
    let (_, without) = run(&[
        ("main.tf", &call("role_requires_mfa = false")),
        (".iamlint.yaml", CONFIG),
    ]);
    // IAM012: a user of another account without MFA.
    assert!(with_default.is_empty(), "{with_default:#?}");
    assert_eq!(
        rules(&without).into_iter().map(|r| r.0).collect::<Vec<_>>(),
        ["IAM012"],
        "{without:#?}"
    );
    assert_eq!(without[0].line, 5);
    // create_role defaults to false: no role, no finding.
    let off = call("").replace("  create_role       = true\n", "");
    let (code, fs) = run(&[("main.tf", &off)]);
    assert!(fs.is_empty(), "{fs:#?}");
    assert_eq!(code, Some(0));
}

#[test]
fn iam_assumable_role_with_oidc_v5() {
    check(&Case {
        name: "deploy",
        call: r#"module "deploy" {
  source       = "terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc"
  version      = "VERSION"
  create_role  = true
  role_name    = "deploy"
  provider_url = "https://token.actions.githubusercontent.com"
  oidc_subjects_with_wildcards   = ["repo:my-org/*"]
  oidc_fully_qualified_audiences = ["sts.amazonaws.com"]
}
"#,
        version: "5.60.0",
        hand: r#"data "aws_caller_identity" "current" {}
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
      Principal = { Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringLike = {
          "token.actions.githubusercontent.com:sub" = ["repo:my-org/*"]
          "token.actions.githubusercontent.com:aud" = ["sts.amazonaws.com"]
        }
      }
    }]
  })
}
"#,
        at: &[("IAM005", "oidc_subjects_with_wildcards")],
        safe: r#"module "deploy" {
  source       = "terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc"
  version      = "VERSION"
  create_role  = true
  role_name    = "deploy"
  provider_url = "token.actions.githubusercontent.com"
  oidc_fully_qualified_subjects  = ["repo:my-org/app:ref:refs/heads/main"]
  oidc_fully_qualified_audiences = ["sts.amazonaws.com"]
}
"#,
        other_version: "6.0.0",
        role: "aws_iam_role.this",
        fallback_fails: true,
    });
}

#[test]
fn iam_github_oidc_role_v5() {
    check(&Case {
        name: "gh",
        call: r#"module "gh" {
  source   = "terraform-aws-modules/iam/aws//modules/iam-github-oidc-role"
  version  = "VERSION"
  subjects = ["*"]
}
"#,
        version: ">= 5.0, < 6.0",
        hand: r#"data "aws_caller_identity" "current" {}
resource "aws_iam_role" "gh" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "GithubOidcAuth"
      Effect    = "Allow"
      Action    = ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"]
      Principal = { Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        "ForAllValues:StringEquals" = {
          "token.actions.githubusercontent.com:iss" = ["https://token.actions.githubusercontent.com"]
          "token.actions.githubusercontent.com:aud" = ["sts.amazonaws.com"]
        }
        StringLike = { "token.actions.githubusercontent.com:sub" = ["repo:*"] }
      }
    }]
  })
}
"#,
        at: &[("IAM004", "subjects")],
        safe: r#"module "gh" {
  source   = "terraform-aws-modules/iam/aws//modules/iam-github-oidc-role"
  version  = "VERSION"
  subjects = ["my-org/app:ref:refs/heads/main"]
}
"#,
        other_version: "~> 6.0",
        role: "aws_iam_role.this",
        fallback_fails: true,
    });
}

#[test]
fn iam_role_for_service_accounts_eks_v5() {
    check(&Case {
        name: "irsa",
        call: r#"data "aws_caller_identity" "current" {}
module "irsa" {
  source    = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version   = "VERSION"
  role_name = "irsa"
  assume_role_condition_test = "StringLike"
  oidc_providers = {
    main = {
      provider_arn               = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
      namespace_service_accounts = ["*:*"]
    }
  }
}
"#,
        version: "~> 5.30",
        hand: r#"data "aws_caller_identity" "current" {}
resource "aws_iam_role" "irsa" {
  name = "irsa"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC" }
      Condition = {
        StringLike = {
          "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub" = ["system:serviceaccount:*:*"]
          "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud" = ["sts.amazonaws.com"]
        }
      }
    }]
  })
}
"#,
        at: &[("IAM004", "namespace_service_accounts")],
        safe: r#"data "aws_caller_identity" "current" {}
module "irsa" {
  source    = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version   = "VERSION"
  role_name = "irsa"
  oidc_providers = {
    main = {
      provider_arn               = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
      namespace_service_accounts = ["kube-system:ebs-csi-controller-sa"]
    }
  }
}
"#,
        other_version: "4.24.0",
        role: "aws_iam_role.this",
        fallback_fails: false,
    });
}

#[test]
fn iam_role_v6() {
    check(&Case {
        name: "partner",
        call: r#"module "partner" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role"
  version = "VERSION"
  name    = "partner"
  trust_policy_permissions = {
    Partner = {
      actions    = ["sts:AssumeRole"]
      principals = [{ type = "AWS", identifiers = ["arn:aws:iam::999988887777:root"] }]
    }
  }
  policies = { admin = "arn:aws:iam::aws:policy/AdministratorAccess" }
}
"#,
        version: "~> 6.0",
        hand: r#"resource "aws_iam_role" "partner" {
  name = "partner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Partner"
      Effect    = "Allow"
      Action    = ["sts:AssumeRole"]
      Principal = { AWS = ["arn:aws:iam::999988887777:root"] }
    }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
"#,
        at: &[("IAM002", "principals ="), ("IAM101", "policies =")],
        safe: r#"module "partner" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role"
  version = "VERSION"
  name    = "ci"
  enable_github_oidc = true
  oidc_subjects      = ["my-org/app:ref:refs/heads/main"]
}
"#,
        other_version: "~> 5.0",
        role: "aws_iam_role.this",
        fallback_fails: true,
    });
}

#[test]
fn iam_role_v6_github_wildcard_and_no_version() {
    // Without a version the registry serves v6, which is described: the call is modelled.
    let call = r#"module "ci" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role"
  name    = "ci"
  enable_github_oidc     = true
  oidc_wildcard_subjects = ["my-org/*"]
}
"#;
    let (code, fs) = run(&[("main.tf", call)]);
    assert_eq!(code, Some(1));
    let f = fs
        .iter()
        .find(|f| f.rule == "IAM005")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(f.line, line_of(call, "oidc_wildcard_subjects"));
    assert_eq!(f.resource, "module.ci.aws_iam_role.this");
}

#[test]
fn iam_role_for_service_accounts_v6() {
    check(&Case {
        name: "irsa",
        call: r#"module "irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts"
  version = "VERSION"
  name    = "irsa"
  trust_condition_test = "StringLike"
  oidc_providers = {
    main = {
      provider_arn               = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
      namespace_service_accounts = ["*:*"]
    }
  }
}
"#,
        version: "6.5.0",
        hand: r#"resource "aws_iam_role" "irsa" {
  name = "irsa"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC" }
      Condition = {
        StringLike = {
          "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub" = ["system:serviceaccount:*:*"]
          "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud" = ["sts.amazonaws.com"]
        }
      }
    }]
  })
}
"#,
        at: &[("IAM004", "namespace_service_accounts")],
        safe: r#"module "irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts"
  version = "VERSION"
  name    = "irsa"
  oidc_providers = {
    main = {
      provider_arn               = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
      namespace_service_accounts = ["kube-system:aws-node"]
    }
  }
}
"#,
        other_version: "~> 5.0",
        role: "aws_iam_role.this",
        fallback_fails: false,
    });
}

const CLOUDPOSSE_CALL: &str = r#"module "cp" {
  source  = "cloudposse/iam-role/aws"
  version = "VERSION"
  name    = "cp"
  role_description = "partner"
  principals = {
    AWS = ["arn:aws:iam::999988887777:role/reader"]
  }
  assume_role_actions = ["sts:AssumeRole"]
  policy_documents = [jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })]
}
"#;

const CLOUDPOSSE_HAND: &str = r#"resource "aws_iam_role" "cp" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = ["sts:AssumeRole"]
      Principal = { AWS = ["arn:aws:iam::999988887777:role/reader"] }
    }]
  })
  inline_policy {
    name = "cp"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
    })
  }
}
"#;

const CLOUDPOSSE_SAFE: &str = r#"module "cp" {
  source  = "cloudposse/iam-role/aws"
  version = "VERSION"
  name    = "cp"
  role_description = "ec2"
  principals = {
    Service = ["ec2.amazonaws.com"]
  }
  policy_documents = [jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::my-bucket/*" }]
  })]
}
"#;

#[test]
fn cloudposse_iam_role_v0() {
    check(&Case {
        name: "cp",
        call: CLOUDPOSSE_CALL,
        version: "0.19.0",
        hand: CLOUDPOSSE_HAND,
        at: &[("IAM002", "AWS = ["), ("IAM101", "Action = \"*\"")],
        safe: CLOUDPOSSE_SAFE,
        other_version: "~> 2.0",
        role: "aws_iam_role.default",
        fallback_fails: true,
    });
}

#[test]
fn cloudposse_iam_role_v1() {
    check(&Case {
        name: "cp",
        call: CLOUDPOSSE_CALL,
        version: "~> 1.0",
        hand: CLOUDPOSSE_HAND,
        at: &[("IAM002", "AWS = ["), ("IAM101", "Action = \"*\"")],
        safe: CLOUDPOSSE_SAFE,
        other_version: ">= 2.0",
        role: "aws_iam_role.default",
        fallback_fails: true,
    });
}

#[test]
fn cloudposse_eks_iam_role_v2() {
    check(&Case {
        name: "eks",
        call: r#"module "eks" {
  source  = "cloudposse/eks-iam-role/aws"
  version = "VERSION"
  eks_cluster_oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
}
"#,
        version: "2.2.0",
        hand: r#"data "aws_caller_identity" "current" {}
resource "aws_iam_role" "eks" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC" }
      Condition = {
        StringLike   = { "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub" = ["system:serviceaccount:*:*"] }
        StringEquals = { "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud" = ["sts.amazonaws.com"] }
      }
    }]
  })
}
"#,
        at: &[("IAM004", "eks_cluster_oidc_issuer_url")],
        safe: r#"module "eks" {
  source  = "cloudposse/eks-iam-role/aws"
  version = "VERSION"
  eks_cluster_oidc_issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
  service_account_namespace   = "monitoring"
  service_account_name        = "agent"
}
"#,
        other_version: "~> 1.0",
        role: "aws_iam_role.service_account",
        fallback_fails: false,
    });
}

const LAMBDA_CALL: &str = r#"module "fn" {
  source        = "terraform-aws-modules/lambda/aws"
  version       = "VERSION"
  function_name = "fn"
  trusted_entities = [{ type = "AWS", identifiers = ["arn:aws:iam::999988887777:root"] }]
  attach_policy_statements = true
  policy_statements = {
    iam = { effect = "Allow", actions = ["iam:*"], resources = ["*"] }
  }
}
"#;

const LAMBDA_HAND: &str = r#"resource "aws_iam_role" "fn" {
  name = "fn"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = ["lambda.amazonaws.com"], AWS = ["arn:aws:iam::999988887777:root"] }
    }]
  })
  inline_policy {
    name = "fn-inline"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Sid = "iam", Effect = "Allow", Action = ["iam:*"], Resource = ["*"] }]
    })
  }
}
"#;

const LAMBDA_SAFE: &str = r#"module "fn" {
  source        = "terraform-aws-modules/lambda/aws"
  version       = "VERSION"
  function_name = "fn"
  attach_policy_statements = true
  policy_statements = {
    read = { effect = "Allow", actions = ["s3:GetObject"], resources = ["arn:aws:s3:::my-bucket/*"] }
  }
}
"#;

#[test]
fn lambda_role_v8() {
    check(&Case {
        name: "fn",
        call: LAMBDA_CALL,
        version: "~> 8.0",
        hand: LAMBDA_HAND,
        at: &[("IAM002", "trusted_entities"), ("IAM102", "iam = {")],
        safe: LAMBDA_SAFE,
        other_version: "~> 6.0",
        role: "aws_iam_role.lambda",
        fallback_fails: true,
    });
}

#[test]
fn lambda_role_v7() {
    check(&Case {
        name: "fn",
        call: LAMBDA_CALL,
        version: "7.21.1",
        hand: LAMBDA_HAND,
        at: &[("IAM002", "trusted_entities"), ("IAM102", "iam = {")],
        safe: LAMBDA_SAFE,
        other_version: "3.3.1",
        role: "aws_iam_role.lambda",
        fallback_fails: true,
    });
}

#[test]
fn every_embedded_interface_parses_and_declares_its_inputs() {
    use iamlint::source::terraform::registry::{BUILTIN_MODULES, parse_interface};
    assert!(BUILTIN_MODULES.len() >= 9);
    for (name, text) in BUILTIN_MODULES {
        let f = parse_interface(name, text).unwrap_or_else(|e| panic!("{e}"));
        assert!(!f.versions.is_empty(), "{name}");
    }
    // A file that uses an input it does not declare is refused, with the file and the input.
    let bad = "module: a/b/aws\nrepository: github.com/a/b\nversions:\n  - major: 1\n    reviewed: v1.0.0\n    documentation: x\n    role: aws_iam_role.this\n    inputs: {}\n    create: [create_role]\n";
    let e = parse_interface("bad.yaml", bad).err().unwrap_or_default();
    assert!(e.contains("bad.yaml") && e.contains("create_role"), "{e}");
}

#[test]
fn version_constraints_pick_one_major() {
    use iamlint::source::terraform::registry::admitted_majors;
    let m = |c: &str| admitted_majors(c, &[5, 6]).unwrap_or_default();
    assert_eq!(m("~> 5.0"), vec![5]);
    assert_eq!(m("~> 5.30.1"), vec![5]);
    assert_eq!(m(">= 5, < 6"), vec![5]);
    assert_eq!(m("5.60.0"), vec![5]);
    assert_eq!(m("= 6.1.0"), vec![6]);
    assert_eq!(m(">= 5.0"), vec![5, 6]);
    assert_eq!(m("> 6.0, < 6.1"), vec![6]);
    assert_eq!(m("~> 4.0"), Vec::<u64>::new());
    assert_eq!(m("<= 5.0.0"), vec![5]);
    assert_eq!(m("< 5.0.0"), Vec::<u64>::new());
    assert!(admitted_majors("~> banana", &[5]).is_err());
}

#[test]
fn unknown_module_inputs_are_checked() {
    let call = r#"module "vendor" {
  source  = "acme/integration/aws"
  version = "1.2.0"
  trusted_principal_arns = ["arn:aws:iam::999988887777:root"]
  policy_arn             = "arn:aws:iam::aws:policy/AdministratorAccess"
  github_subjects        = ["*"]
  external_id            = "abc"
}
module "vpc" {
  source = "terraform-aws-modules/vpc/aws"
  name   = "main"
  cidr   = "10.0.0.0/16"
  azs    = ["eu-west-1a"]
  flow_log_cloudwatch_iam_role_arn = "arn:aws:iam::999988887777:role/flow-logs"
  kms_key_administrators           = ["arn:aws:iam::999988887777:role/admin"]
  permissions_boundary             = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"#;
    let (code, fs) = run(&[("main.tf", call)]);
    assert_eq!(code, Some(1), "{fs:#?}");
    let at = |rule: &str, needle: &str| {
        let line = line_of(call, needle);
        fs.iter()
            .find(|f| f.rule == rule && f.line == line)
            .unwrap_or_else(|| panic!("{rule} at {needle}: {fs:#?}"))
            .clone()
    };
    let f = at("IAM002", "trusted_principal_arns");
    assert_eq!(f.severity, "high");
    assert_eq!(f.resource, "module.vendor");
    assert!(f.notes.contains("inputs only"), "{f:?}");
    assert_eq!(at("IAM101", "policy_arn").severity, "high");
    assert_eq!(at("IAM004", "github_subjects").severity, "critical");
    // Rules about conditions the unread module may add stay quiet (no IAM003 for the external
    // id, no IAM017 for MFA), and the IAM009 note remains for what is not known.
    assert!(
        !fs.iter().any(|f| f.rule == "IAM003" || f.rule == "IAM017"),
        "{fs:#?}"
    );
    assert!(
        fs.iter()
            .any(|f| f.rule == "IAM009" && f.resource == "module.vendor")
    );
    // A module that has nothing to do with IAM gets the IAM009 note only: role ARNs it uses,
    // key administrators and a boundary are not trusts.
    let vpc: Vec<&F> = fs.iter().filter(|f| f.resource == "module.vpc").collect();
    assert_eq!(vpc.len(), 1, "{vpc:#?}");
    assert_eq!(vpc[0].rule, "IAM009");
    assert_eq!(vpc[0].severity, "info");
}

#[test]
fn downloaded_module_wins_over_the_interface() {
    // The call names a risky input, but the downloaded code of the module (what terraform init
    // put in .terraform/modules) ignores it and trusts a service: its code is what is checked.
    let main = r#"module "partner_role" {
  source            = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version           = "~> 5.0"
  create_role       = true
  trusted_role_arns = ["arn:aws:iam::999988887777:root"]
  role_requires_mfa = false
}
"#;
    let downloaded = r#"variable "create_role" {
  default = false
}
variable "trusted_role_arns" {
  default = []
}
variable "role_requires_mfa" {
  default = true
}
resource "aws_iam_role" "downloaded" {
  count = var.create_role ? 1 : 0
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}
"#;
    let modules_json = r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"partner_role","Source":"registry.terraform.io/terraform-aws-modules/iam/aws//modules/iam-assumable-role","Version":"5.60.0","Dir":".terraform/modules/partner_role/modules/iam-assumable-role"}]}"#;
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    write(
        d.path(),
        ".terraform/modules/partner_role/modules/iam-assumable-role/main.tf",
        downloaded,
    );
    write(d.path(), ".terraform/modules/modules.json", modules_json);
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .args(["roles", "--format", "json", "."])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("module.partner_role.aws_iam_role.downloaded[0]"),
        "{text}"
    );
    assert!(!text.contains("modelled from"), "{text}");
    assert!(!text.contains("999988887777"), "{text}");
    // The check passes: the downloaded code trusts EC2 only.
    let (code, fs) = {
        let out = Command::cargo_bin("iamlint")
            .expect("binary")
            .current_dir(d.path())
            .env("NO_COLOR", "1")
            .args(["--format", "json", "."])
            .output()
            .expect("run");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        (out.status.code(), v["findings"].clone())
    };
    assert_eq!(code, Some(0), "{fs}");
}

#[test]
fn git_source_with_a_ref_is_modelled() {
    let call = r#"module "partner_role" {
  source            = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-assumable-role?ref=v5.60.0"
  create_role       = true
  trusted_role_arns = ["arn:aws:iam::999988887777:root"]
  role_requires_mfa = false
}
"#;
    let (code, fs) = run(&[("main.tf", call)]);
    assert_eq!(code, Some(1));
    let f = fs
        .iter()
        .find(|f| f.rule == "IAM002")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(f.resource, "module.partner_role.aws_iam_role.this");
    assert_eq!(f.line, 4);
    // A ref of another major falls back to the inputs.
    let (_, fs) = run(&[("main.tf", &call.replace("v5.60.0", "v4.24.1"))]);
    assert!(
        fs.iter().all(|f| f.resource == "module.partner_role"),
        "{fs:#?}"
    );
}

/// A modelled call that creates no role (`create_role = false`, or the module's own `false`
/// default left as it is) is listed in `roles` as not created, and checked for nothing.
#[test]
fn a_modelled_call_that_creates_no_role_is_listed_as_not_created() {
    let d = tempfile::tempdir().expect("tempdir");
    write(
        d.path(),
        "main.tf",
        r#"module "off" {
  source            = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version           = "~> 5.0"
  create_role       = false
  trusted_role_arns = ["arn:aws:iam::999988887777:root"]
  role_requires_mfa = false
}
"#,
    );
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(d.path())
        .args(["roles", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let role = v["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["address"] == "module.off.aws_iam_role.this")
        .unwrap_or_else(|| panic!("the role is listed: {v}"));
    assert_eq!(role["state"], "not_created", "{role}");
    let (code, fs) = run(&[(
        "main.tf",
        &std::fs::read_to_string(d.path().join("main.tf")).expect("read"),
    )]);
    assert_eq!(code, Some(0), "{fs:?}");
}

/// A cloudposse root as `context.tf` writes it: the label module `this` computes `enabled` from
/// its `enabled` input, else the `context` input's `enabled` (the label's documented
/// interface); every resource is switched by `module.this.enabled`.
const LABEL_ROOT: &str = r#"variable "enabled" {
  type    = bool
  default = null
}
variable "context" {
  type = any
  default = {
    enabled   = true
    namespace = null
  }
}
module "this" {
  source  = "cloudposse/label/null"
  version = "VERSION"
  enabled = var.enabled
  context = var.context
}
resource "aws_iam_role" "default" {
  count = module.this.enabled ? 1 : 0
  name  = module.this.id
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::999988887777:root" }
    }]
  })
}
"#;

/// `iamlint roles --format json` on one main.tf plus extra files: the role at `address`.
fn role_of(files: &[(&str, &str)], address: &str) -> Value {
    let d = tempfile::tempdir().expect("tempdir");
    for (n, t) in files {
        write(d.path(), n, t);
    }
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(d.path())
        .args(["roles", "--format", "json", "."])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["address"] == address)
        .cloned()
        .unwrap_or_else(|| panic!("{address} is listed: {v}"))
}

#[test]
fn label_module_enabled_by_default_creates_the_role() {
    let git = LABEL_ROOT
        .replace(
            "cloudposse/label/null",
            "git::https://github.com/cloudposse/terraform-null-label.git?ref=tags/0.25.0",
        )
        .replace("  version = \"VERSION\"\n", "");
    for (version, root) in ["0.25.0", "~> 0.24", ">= 0.21.0, < 1.0.0"]
        .map(|v| (v, LABEL_ROOT.replace("VERSION", v)))
        .into_iter()
        .chain([("git ref", git)])
    {
        let role = role_of(&[("main.tf", &root)], "aws_iam_role.default[0]");
        assert_eq!(role["state"], "checked", "{version}: {role}");
        assert_eq!(role["trust_resolved"], true, "{version}: {role}");
        // The generated name is a name, not an unknown value.
        assert!(role["name"].is_string(), "{version}: {role}");
        assert!(
            role["name"]
                .as_str()
                .is_some_and(|n| n.contains("name generated by module.this")),
            "{role}"
        );
        // And the rules check it: the other account's root is trusted without a condition.
        let (code, fs) = run(&[("main.tf", &root)]);
        assert_eq!(code, Some(1), "{fs:#?}");
        assert!(
            fs.iter()
                .any(|f| f.rule == "IAM002" && f.resource == "aws_iam_role.default[0]"),
            "{fs:#?}"
        );
    }
}

#[test]
fn label_module_enabled_false_creates_no_role() {
    let root = LABEL_ROOT.replace("VERSION", "0.25.0");
    // The input, given in a tfvars file.
    let role = role_of(
        &[
            ("main.tf", &root),
            ("terraform.tfvars", "enabled = false\n"),
        ],
        "aws_iam_role.default",
    );
    assert_eq!(role["state"], "not_created", "{role}");
    // The context's `enabled`, when the input is left null. Switched off only by variables'
    // defaults, the role is still checked, as a template.
    let role = role_of(
        &[(
            "main.tf",
            &root.replace("enabled   = true", "enabled   = false"),
        )],
        "aws_iam_role.default",
    );
    assert_eq!(role["state"], "template", "{role}");
    assert!(
        role["state_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("not created with the default values")),
        "{role}"
    );
    // The input wins over the context.
    let role = role_of(
        &[
            (
                "main.tf",
                &root.replace("enabled   = true", "enabled   = false"),
            ),
            ("terraform.tfvars", "enabled = true\n"),
        ],
        "aws_iam_role.default[0]",
    );
    assert_eq!(role["state"], "checked", "{role}");
    let (code, _) = run(&[
        ("main.tf", &root),
        ("terraform.tfvars", "enabled = false\n"),
    ]);
    assert_eq!(code, Some(0));
}

#[test]
fn label_module_outside_the_modelled_versions_stays_unknown() {
    for (source, version) in [
        ("cloudposse/label/null", "0.20.0"),
        ("cloudposse/label/null", ">= 0.13.0"),
        (
            "git::https://github.com/cloudposse/terraform-null-label.git?ref=tags/0.16.0",
            "",
        ),
    ] {
        let mut root = LABEL_ROOT.replace("cloudposse/label/null", source);
        root = if version.is_empty() {
            root.replace("  version = \"VERSION\"\n", "")
        } else {
            root.replace("VERSION", version)
        };
        let role = role_of(&[("main.tf", &root)], "aws_iam_role.default");
        assert_eq!(role["state"], "template", "{source} {version}: {role}");
        assert!(
            role["state_reason"]
                .as_str()
                .is_some_and(|r| r.contains("not downloaded")),
            "{role}"
        );
    }
}

/// The loader refuses what it cannot evaluate: an output with both or neither of `template`
/// and `value`, a local named like an input or reading something that is not an input, an
/// output switch that is neither, and a `from` release of another major.
#[test]
fn interface_loader_refuses_bad_outputs_and_locals() {
    use iamlint::source::terraform::registry::parse_interface;
    let head = "module: a/b/aws\nrepository: github.com/a/b\nversions:\n  - major: 0\n    reviewed: v0.1.0\n    documentation: x\n";
    let cases = [
        (
            "    inputs: {sw: true}\n    outputs:\n      x: {template: a, value: {value: 1}}\n",
            "exactly one of",
        ),
        (
            "    inputs: {sw: true}\n    outputs:\n      x: {when: [sw]}\n",
            "exactly one of",
        ),
        (
            "    inputs: {sw: true}\n    locals:\n      sw: {input: sw}\n",
            "has the name of an input",
        ),
        (
            "    inputs: {sw: true}\n    locals:\n      a: {input: sw}\n      b: {input: a}\n",
            "not an input",
        ),
        (
            "    inputs: {sw: true}\n    outputs:\n      x: {template: a, when: [gone]}\n",
            "`gone`",
        ),
        (
            "    inputs: {ctx: {}}\n    outputs:\n      x: {template: \"${input.other.field}\"}\n",
            "`other`",
        ),
        (
            "    from: 1.2.0\n    inputs: {}\n",
            "not a release of major 0",
        ),
        (
            "    inputs: {}\n    outputs:\n      x: {role: aws_iam_role.this.name}\n",
            "is not the name, arn, id or unique_id of a role the version describes",
        ),
        (
            "    inputs: {}\n    role: aws_iam_role.this\n    outputs:\n      x: {role: aws_iam_role.this.policy}\n",
            "is not the name, arn, id or unique_id of a role the version describes",
        ),
    ];
    for (body, want) in cases {
        let e = parse_interface("bad.yaml", &format!("{head}{body}"))
            .err()
            .unwrap_or_default();
        assert!(e.contains("bad.yaml") && e.contains(want), "{body}: {e}");
    }
    // Their good forms load.
    let good = "    from: 0.1.0\n    inputs: {sw: null, ctx: {sw: true}}\n    locals:\n      lit: {first: [{input: sw}, {template: \"${input.ctx.sw}\"}]}\n    outputs:\n      x: {value: {input: lit}}\n      y: {template: \"${generated}\", when: [lit], otherwise: \"\"}\n";
    parse_interface("good.yaml", &format!("{head}{good}")).unwrap_or_else(|e| panic!("{e}"));
}

/// A modelled call switched off only by a root variable's default is still checked, as a
/// template (a value the user supplies would create the role), not listed as not created.
#[test]
fn a_modelled_call_switched_off_by_a_default_is_a_template() {
    let root = r#"variable "addons" {
  type    = list(string)
  default = []
}
module "addon_role" {
  source     = "cloudposse/iam-role/aws"
  version    = "0.23.0"
  enabled    = contains(var.addons, "partner")
  principals = { AWS = ["arn:aws:iam::999988887777:root"] }
}
"#;
    let addr = "module.addon_role.aws_iam_role.default";
    let role = role_of(&[("main.tf", root)], addr);
    assert_eq!(role["state"], "template", "{role}");
    assert!(
        role["state_reason"].as_str().is_some_and(|r| {
            r.starts_with("not created with the default values") && r.contains("var.addons")
        }),
        "{role}"
    );
    let (code, fs) = run(&[("main.tf", root)]);
    assert_eq!(code, Some(1), "{fs:#?}");
    assert!(
        fs.iter().any(|f| f.rule == "IAM002" && f.resource == addr),
        "{fs:#?}"
    );
    // The user's own value switches it off: listed as not created.
    let role = role_of(
        &[
            ("main.tf", root),
            ("terraform.tfvars", "addons = [\"other\"]\n"),
        ],
        addr,
    );
    assert_eq!(role["state"], "not_created", "{role}");
}

/// `context = module.this.context` carries the label's `enabled` into child modules (the
/// pattern of every cloudposse module call) and into a modelled cloudposse module.
#[test]
fn label_context_output_carries_enabled_into_child_modules() {
    let root = format!(
        "{}{}",
        LABEL_ROOT
            .replace("VERSION", "0.25.0")
            .split("resource \"aws_iam_role\"")
            .next()
            .unwrap_or_default(),
        r#"module "child" {
  source  = "./child"
  context = module.this.context
}
module "modelled" {
  source     = "cloudposse/iam-role/aws"
  version    = "0.23.0"
  principals = { AWS = ["arn:aws:iam::999988887777:root"] }
  context    = module.this.context
}
"#
    );
    let child = LABEL_ROOT.replace("VERSION", "0.25.0");
    let files = [
        ("main.tf", root.as_str()),
        ("child/main.tf", child.as_str()),
    ];
    let role = role_of(&files, "module.child.aws_iam_role.default[0]");
    assert_eq!(role["state"], "checked", "{role}");
    let role = role_of(&files, "module.modelled.aws_iam_role.default");
    assert_eq!(role["state"], "checked", "{role}");
    let off = [
        ("main.tf", root.as_str()),
        ("child/main.tf", child.as_str()),
        ("terraform.tfvars", "enabled = false\n"),
    ];
    let role = role_of(&off, "module.child.aws_iam_role.default");
    assert_eq!(role["state"], "not_created", "{role}");
    let role = role_of(&off, "module.modelled.aws_iam_role.default");
    assert_eq!(role["state"], "not_created", "{role}");
}

/// cloudposse/eks-cluster/aws: its OIDC issuer output (the EKS issuer URL of the cluster it
/// creates when the label is enabled) makes an IRSA trust on it resolved.
#[test]
fn cloudposse_eks_cluster_issuer_output_resolves_an_irsa_trust() {
    let root = format!(
        "{}{}",
        LABEL_ROOT
            .replace("VERSION", "0.25.0")
            .split("resource \"aws_iam_role\"")
            .next()
            .unwrap_or_default(),
        r#"module "eks_cluster" {
  source  = "cloudposse/eks-cluster/aws"
  version = "VERSION"
  context = module.this.context
}
data "aws_caller_identity" "current" {}
locals {
  issuer = replace(module.eks_cluster.eks_cluster_identity_oidc_issuer, "https://", "")
}
resource "aws_iam_role" "irsa" {
  count = module.this.enabled ? 1 : 0
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.issuer}" }
      Condition = {
        StringEquals = {
          "${local.issuer}:sub" = "system:serviceaccount:kube-system:ebs-csi-controller-sa"
          "${local.issuer}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}
"#
    );
    for version in ["4.1.0", "~> 3.0"] {
        let role = role_of(
            &[("main.tf", &root.replace("VERSION", version))],
            "aws_iam_role.irsa[0]",
        );
        assert_eq!(role["state"], "checked", "{version}: {role}");
        assert_eq!(role["trust_resolved"], true, "{version}: {role}");
    }
    // A major that is not described leaves the issuer unknown.
    let role = role_of(
        &[("main.tf", &root.replace("VERSION", "2.9.0"))],
        "aws_iam_role.irsa[0]",
    );
    assert_eq!(role["trust_resolved"], false, "{role}");
}
