//! `iamlint roles --format json` tells a trust whose every value is known (`trust_resolved`)
//! from one whose remaining unknowns cannot change a verdict (`trust_decided`): an
//! sts:ExternalId from a variable without a value is unknown, but every rule is decided.

use assert_cmd::Command;
use serde_json::Value;

fn roles(tf: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), tf).expect("write");
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(dir.path())
        .args(["roles", "--format", "json", "."])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    serde_json::from_slice(&out.stdout).expect("json")
}

fn role(principal: &str, condition: &str) -> String {
    format!(
        r#"
variable "external_id" {{}}
variable "partner" {{}}
resource "aws_iam_role" "r" {{
  name = "r"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ AWS = {principal} }}
      Action    = "sts:AssumeRole"
      Condition = {condition}
    }}]
  }})
}}
"#
    )
}

#[test]
fn an_unknown_external_id_leaves_the_trust_decided_but_not_resolved() {
    let j = roles(&role(
        r#""arn:aws:iam::464622532012:root""#,
        "{ StringEquals = { \"sts:ExternalId\" = var.external_id } }",
    ));
    let r = &j["roles"][0];
    assert_eq!(r["trust_resolved"], false, "{r}");
    assert_eq!(r["trust_decided"], true, "{r}");
    assert_eq!(j["summary"]["trust_decided"], 1);
    assert_eq!(j["summary"]["trust_resolved"], 0);
}

#[test]
fn an_unknown_principal_leaves_the_trust_undecided() {
    let j = roles(&role(
        "var.partner",
        "{ StringEquals = { \"sts:ExternalId\" = \"x-1\" } }",
    ));
    let r = &j["roles"][0];
    assert_eq!(r["trust_resolved"], false, "{r}");
    assert_eq!(r["trust_decided"], false, "{r}");
}

#[test]
fn a_known_trust_is_both() {
    let j = roles(&role(
        r#""arn:aws:iam::464622532012:root""#,
        "{ StringEquals = { \"sts:ExternalId\" = \"x-1\" } }",
    ));
    let r = &j["roles"][0];
    assert_eq!(r["trust_resolved"], true, "{r}");
    assert_eq!(r["trust_decided"], true, "{r}");
}
