//! Arguments set in a resource's nested blocks are known at plan, as Terraform knows them:
//! `kubernetes_namespace_v1.ns.metadata[0].name` is the name the block sets. An argument the
//! block does not set is computed (known only after apply), and a block type that a `dynamic`
//! block writes is not read from its static blocks alone.

use assert_cmd::Command;
use serde_json::Value;

fn role_of(main: &str) -> Value {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("main.tf"), main).expect("write");
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(d.path())
        .args(["roles", "--format", "json", "."])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["roles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["address"] == "aws_iam_role.irsa"))
        .cloned()
        .unwrap_or_else(|| panic!("no role: {v}"))
}

const ROLE: &str = r#"
resource "aws_iam_role" "irsa" {
  name = "irsa"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC" }
      Condition = { StringEquals = {
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub" = "system:serviceaccount:SUBJECT"
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud" = "sts.amazonaws.com"
      } }
    }]
  })
}
"#;

fn main_with(resources: &str, subject: &str) -> String {
    format!("{resources}{}", ROLE.replace("SUBJECT", subject))
}

fn sub_values(role: &Value) -> String {
    role["trust"]["statements"][0]["conditions"].to_string()
}

#[test]
fn an_argument_of_a_nested_block_is_known() {
    let ns = r#"resource "kubernetes_namespace_v1" "jobs" {
  metadata {
    name   = "batch-jobs"
    labels = { team = "data" }
  }
}
"#;
    let role = role_of(&main_with(
        ns,
        "${kubernetes_namespace_v1.jobs.metadata[0].name}:runner",
    ));
    assert_eq!(role["trust_resolved"], true, "{role}");
    assert!(
        sub_values(&role).contains("system:serviceaccount:batch-jobs:runner"),
        "{role}"
    );
}

#[test]
fn an_argument_the_block_does_not_set_is_computed() {
    let ns = r#"resource "kubernetes_namespace_v1" "jobs" {
  metadata {
    generate_name = "jobs-"
  }
}
"#;
    let role = role_of(&main_with(
        ns,
        "${kubernetes_namespace_v1.jobs.metadata[0].name}:runner",
    ));
    assert_eq!(role["trust_resolved"], false, "{role}");
    assert_eq!(
        role["unresolved"][0]["reason"],
        "kubernetes_namespace_v1.jobs.metadata[0].name is known only after apply",
        "{role}"
    );
}

#[test]
fn a_block_type_a_dynamic_block_writes_is_not_read() {
    let ns = r#"variable "extra" {
  type    = list(string)
  default = []
}
resource "kubernetes_namespace_v1" "jobs" {
  metadata {
    name = "batch-jobs"
  }
  dynamic "metadata" {
    for_each = var.extra
    content {
      name = metadata.value
    }
  }
}
"#;
    let role = role_of(&main_with(
        ns,
        "${kubernetes_namespace_v1.jobs.metadata[0].name}:runner",
    ));
    assert_eq!(role["trust_resolved"], false, "{role}");
    assert!(
        !sub_values(&role).contains("batch-jobs"),
        "not the static block alone: {role}"
    );
}
