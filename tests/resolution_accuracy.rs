//! Resolution accuracy (issue 10, points 1 to 6): what Terraform or CloudFormation would know at
//! deployment is known to iamlint too. Each case is a small tree written from the documented
//! behaviour of the tool (the pseudo parameters, the data sources, the type constraints), run
//! through the command line as a user runs it; the assertions read the JSON inventory
//! (`roles --format json`) and the findings (`--format json`).

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

/// A tree with the given files.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        write(dir.path(), name, text);
    }
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

/// The rule ids of the findings on the role at `address` (on the role or on a policy of it).
fn rule_ids(dir: &Path, address: &str) -> Vec<String> {
    let v = json(dir, &[]);
    let mut ids: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["resource"] == address
                || f["message"].as_str().is_some_and(|m| {
                    m.starts_with(&format!("{address} ")) || m.starts_with(&format!("{address}:"))
                })
        })
        .filter_map(|f| f["rule_id"].as_str().or(f["rule"].as_str()))
        .map(str::to_string)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The principals of the role's trust policy: (kind, value as JSON text).
fn principals(role: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for st in role["trust"]["statements"].as_array().into_iter().flatten() {
        for p in st["principals"].as_array().into_iter().flatten() {
            out.push((
                p["kind"].as_str().unwrap_or("").to_string(),
                p["value"].to_string(),
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Point 2: region and partition are placeholders like the account.
// ---------------------------------------------------------------------------------------------

const CFN_REGIONAL: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  SfnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: !Sub states.${AWS::Region}.amazonaws.com
            Action: sts:AssumeRole
            Condition:
              ArnLike:
                aws:SourceArn: !Sub arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:*
      Policies:
        - PolicyName: everything
          PolicyDocument: !Sub |
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Effect": "Allow", "Action": "logs:PutLogEvents",
               "Resource": "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:x"}]}
"#;

#[test]
fn cfn_regional_service_principal_is_the_service() {
    let dir = tree(&[("t.yaml", CFN_REGIONAL)]);
    let r = role(dir.path(), "SfnRole");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    let ps = principals(&r);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].0, "service");
    assert!(ps[0].1.contains("states."), "{ps:?}");
}

#[test]
fn cfn_sub_policy_document_with_region_is_read() {
    let dir = tree(&[("t.yaml", CFN_REGIONAL)]);
    let ids = rule_ids(dir.path(), "SfnRole");
    assert!(ids.contains(&"IAM101".to_string()), "{ids:?}");
    assert!(!ids.contains(&"IAM019".to_string()), "{ids:?}");
    assert!(!ids.contains(&"IAM008".to_string()), "{ids:?}");
}

const TF_REGIONAL: &str = r#"data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_iam_role" "sfn" {
  name = "sfn"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.${data.aws_region.current.name}.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        ArnLike = {
          "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:stateMachine:*"
        }
      }
    }]
  })
}

resource "aws_iam_role" "logs" {
  name = "logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "logs.${data.aws_region.current.id}.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#;

#[test]
fn tf_region_data_source_is_this_region() {
    let dir = tree(&[("main.tf", TF_REGIONAL)]);
    for addr in ["aws_iam_role.sfn", "aws_iam_role.logs"] {
        let r = role(dir.path(), addr);
        assert_eq!(r["trust_resolved"], true, "{addr}: {r:#}");
        let ps = principals(&r);
        assert_eq!(ps.len(), 1, "{addr}");
        assert_eq!(ps[0].0, "service", "{addr}: {ps:?}");
    }
    let ids = rule_ids(dir.path(), "aws_iam_role.sfn");
    assert!(!ids.contains(&"IAM008".to_string()), "{ids:?}");
}

#[test]
fn tf_region_named_in_the_data_source_is_that_region() {
    let dir = tree(&[(
        "main.tf",
        r#"data "aws_region" "other" {
  name = "eu-west-1"
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.${data.aws_region.other.name}.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#,
    )]);
    let r = role(dir.path(), "aws_iam_role.r");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    assert!(
        principals(&r)[0]
            .1
            .contains("states.eu-west-1.amazonaws.com"),
        "{r:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Point 3: values created in the same configuration are this account's.
// ---------------------------------------------------------------------------------------------

const TF_CREATED: &str = r#"data "aws_caller_identity" "current" {}

resource "aws_scheduler_schedule_group" "g" {
  name = "nightly"
}

resource "aws_iam_saml_provider" "idp" {
  name                   = var.idp_name
  saml_metadata_document = "<xml/>"
}

resource "aws_iam_saml_provider" "named" {
  name                   = "corp-idp"
  saml_metadata_document = "<xml/>"
}

variable "idp_name" {
  type = string
}

resource "aws_iam_role" "worker" {
  name_prefix = "worker-"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role" "scheduler" {
  name = "scheduler"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnEquals    = { "aws:SourceArn" = aws_scheduler_schedule_group.g.arn }
      }
    }]
  })
}

resource "aws_iam_role" "chained" {
  name = "chained"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = [aws_iam_role.worker.arn, data.aws_caller_identity.current.arn] }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role" "sso" {
  name = "sso"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = [aws_iam_saml_provider.idp.arn, aws_iam_saml_provider.named.id] }
      Action    = "sts:AssumeRoleWithSAML"
      Condition = { StringEquals = { "SAML:aud" = "https://signin.aws.amazon.com/saml" } }
    }]
  })
}
"#;

#[test]
fn tf_arn_of_a_resource_created_alongside_is_this_accounts() {
    let dir = tree(&[("main.tf", TF_CREATED)]);
    let r = role(dir.path(), "aws_iam_role.scheduler");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    let ids = rule_ids(dir.path(), "aws_iam_role.scheduler");
    assert!(!ids.contains(&"IAM008".to_string()), "{ids:?}");
}

#[test]
fn tf_generated_role_name_and_caller_arn_are_this_account() {
    let dir = tree(&[("main.tf", TF_CREATED)]);
    let r = role(dir.path(), "aws_iam_role.chained");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    for st in r["trust"]["statements"].as_array().expect("statements") {
        for p in st["principals"].as_array().expect("principals") {
            assert_eq!(p["relation"], "self", "{p:#}");
        }
    }
    let ids = rule_ids(dir.path(), "aws_iam_role.chained");
    assert!(!ids.contains(&"IAM008".to_string()), "{ids:?}");
    assert!(!ids.contains(&"IAM002".to_string()), "{ids:?}");
}

#[test]
fn tf_saml_provider_created_alongside_is_this_accounts() {
    let dir = tree(&[("main.tf", TF_CREATED)]);
    let r = role(dir.path(), "aws_iam_role.sso");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    let ps = principals(&r);
    assert_eq!(ps.len(), 2, "{ps:?}");
    assert!(ps.iter().all(|p| p.0 == "federated"), "{ps:?}");
    assert!(ps[1].1.contains(":saml-provider/corp-idp"), "{ps:?}");
}

// ---------------------------------------------------------------------------------------------
// Point 1: optional(T, default) in variable type constraints.
// ---------------------------------------------------------------------------------------------

const TF_OPTIONAL: &str = r#"variable "trust" {
  type = object({
    services = optional(list(string), ["lambda.amazonaws.com"])
    accounts = optional(list(string))
  })
  default = {}
}

variable "statements" {
  type = list(object({
    sid         = optional(string)
    effect      = optional(string, "Allow")
    actions     = optional(list(string))
    not_actions = optional(list(string))
    resources   = optional(list(string))
    not_resources = optional(list(string))
  }))
  default = [{
    actions   = ["*"]
    resources = ["*"]
  }]
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = var.trust.services
    }
    dynamic "principals" {
      for_each = var.trust.accounts == null ? [] : [1]
      content {
        type        = "AWS"
        identifiers = var.trust.accounts
      }
    }
  }
}

data "aws_iam_policy_document" "perms" {
  dynamic "statement" {
    for_each = var.statements
    content {
      sid           = statement.value.sid
      effect        = statement.value.effect
      actions       = statement.value.actions
      not_actions   = statement.value.not_actions
      resources     = statement.value.resources
      not_resources = statement.value.not_resources
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "fn"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "fn" {
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.perms.json
}
"#;

#[test]
fn tf_optional_default_fills_an_omitted_attribute() {
    let dir = tree(&[("main.tf", TF_OPTIONAL)]);
    let r = role(dir.path(), "aws_iam_role.fn");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    let ps = principals(&r);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(ps[0].0, "service");
    assert!(ps[0].1.contains("lambda.amazonaws.com"), "{ps:?}");
}

#[test]
fn tf_optional_without_default_is_null_and_default_effect_is_allow() {
    let dir = tree(&[("main.tf", TF_OPTIONAL)]);
    let ids = rule_ids(dir.path(), "aws_iam_role.fn");
    // effect defaults to "Allow": the statement grants * on *.
    assert!(ids.contains(&"IAM101".to_string()), "{ids:?}");
    // not_actions and not_resources are null (omitted), not present.
    for absent in ["IAM301", "IAM106", "IAM107", "IAM019"] {
        assert!(!ids.contains(&absent.to_string()), "{absent} in {ids:?}");
    }
}

#[test]
fn tf_optional_defaults_apply_to_module_inputs() {
    let dir = tree(&[
        (
            "main.tf",
            r#"module "role" {
  source = "./mod"
  trust  = { accounts = ["111122223333"] }
}
"#,
        ),
        (
            "mod/main.tf",
            r#"variable "trust" {
  type = object({
    accounts = list(string)
    options  = optional(object({
      external_id = optional(string, "shared-secret")
    }), {})
  })
}

resource "aws_iam_role" "this" {
  name = "cross"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.trust.accounts }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = var.trust.options.external_id } }
    }]
  })
}
"#,
        ),
    ]);
    let r = role(dir.path(), "module.role.aws_iam_role.this");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    let conds = r["trust"]["statements"][0]["conditions"].to_string();
    assert!(conds.contains("shared-secret"), "{conds}");
}

// ---------------------------------------------------------------------------------------------
// Point 5: data "aws_iam_policy" reads AWS managed policies from the embedded catalog.
// ---------------------------------------------------------------------------------------------

const TF_MANAGED_DATA: &str = r#"data "aws_iam_policy" "basic" {
  name = "AWSLambdaBasicExecutionRole"
}

data "aws_iam_policy" "admin" {
  arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_role" "fn" {
  name = "fn"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.fn.name
  policy_arn = data.aws_iam_policy.basic.arn
}

resource "aws_iam_role_policy" "copy" {
  name   = "copy-${data.aws_iam_policy.basic.path == "/service-role/" ? "ok" : "bad"}"
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy.admin.policy
}
"#;

#[test]
fn tf_managed_policy_by_name_has_its_path() {
    let dir = tree(&[("main.tf", TF_MANAGED_DATA)]);
    let ids = rule_ids(dir.path(), "aws_iam_role.fn");
    assert!(!ids.contains(&"IAM306".to_string()), "{ids:?}");
    let r = role(dir.path(), "aws_iam_role.fn");
    let text = r.to_string();
    assert!(
        text.contains("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
        "{r:#}"
    );
    assert!(text.contains("copy-ok"), "{r:#}");
}

#[test]
fn tf_managed_policy_document_copied_inline_is_read() {
    let dir = tree(&[("main.tf", TF_MANAGED_DATA)]);
    let ids = rule_ids(dir.path(), "aws_iam_role.fn");
    assert!(ids.contains(&"IAM101".to_string()), "{ids:?}");
    assert!(!ids.contains(&"IAM019".to_string()), "{ids:?}");
}

#[test]
fn tf_eks_cluster_id_is_its_name() {
    let dir = tree(&[(
        "main.tf",
        r#"data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_eks_cluster" "this" {
  name     = "prod"
  role_arn = "arn:aws:iam::111122223333:role/eks"
}

resource "aws_iam_role" "fargate" {
  name = "fargate"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks-fargate-pods.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        ArnLike = {
          "aws:SourceArn" = "arn:aws:eks:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:fargateprofile/${aws_eks_cluster.this.id}/*"
        }
      }
    }]
  })
}
"#,
    )]);
    let r = role(dir.path(), "aws_iam_role.fargate");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    assert!(r.to_string().contains("fargateprofile/prod/*"), "{r:#}");
}
