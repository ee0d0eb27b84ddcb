//! What iamlint says of a root variable that has no value: Terraform reads `terraform.tfvars`
//! and `*.auto.tfvars` by itself, and any other tfvars file only with `-var-file`; a file of
//! the second kind in the root is named in the reason, and passing it resolves the trust.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const MAIN: &str = r#"variable "partner_account" {
  type = string
}
resource "aws_iam_role" "partner" {
  name = "partner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${var.partner_account}:root" }
      Condition = { StringEquals = { "sts:ExternalId" = "x-7" } }
    }]
  })
}
"#;

fn roles(dir: &Path, extra: &[&str]) -> Value {
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(dir)
        .args(["roles", "--format", "json"])
        .args(extra)
        .arg(".")
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["roles"][0].clone()
}

#[test]
fn a_tfvars_file_terraform_does_not_read_by_itself_is_named() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("main.tf"), MAIN).expect("write");
    // No tfvars at all: the plain reason.
    let r = roles(d.path(), &[]);
    assert_eq!(r["trust_resolved"], false, "{r}");
    assert_eq!(
        r["unresolved"][0]["reason"],
        "var.partner_account has no default and no value in any tfvars file"
    );
    // A fixtures file a CI job passes with -var-file: named.
    std::fs::write(
        d.path().join("fixtures.us-east-2.tfvars"),
        "partner_account = \"111122223333\"\n",
    )
    .expect("write");
    let r = roles(d.path(), &[]);
    let reason = r["unresolved"][0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("fixtures.us-east-2.tfvars is not: pass it with --var-file"),
        "{reason}"
    );
    let r = roles(d.path(), &["--var-file", "fixtures.us-east-2.tfvars"]);
    assert_eq!(r["trust_resolved"], true, "{r}");
    // terraform.tfvars and *.auto.tfvars are read by themselves and never named.
    std::fs::write(d.path().join("extra.auto.tfvars"), "unrelated = 1\n").expect("write");
    std::fs::write(d.path().join("prod.tfvars"), "partner_account = \"1\"\n").expect("write");
    let r = roles(d.path(), &[]);
    let reason = r["unresolved"][0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("2 files such as fixtures.us-east-2.tfvars are not")
            && !reason.contains("auto"),
        "{reason}"
    );
}

/// A role switched off by a root default names the default that switched it off, not the
/// first variable of the expression: in `var.create && var.enable_partner` with `create`
/// true by default, it is `enable_partner`, also when a local holds the condition.
#[test]
fn the_default_that_switches_a_role_off_is_named() {
    let role = |count: &str, locals: &str| -> String {
        let d = tempfile::tempdir().expect("tempdir");
        let main = format!(
            r#"variable "create" {{
  type    = bool
  default = true
}}
variable "enable_partner" {{
  type    = bool
  default = false
}}
{locals}
resource "aws_iam_role" "partner" {{
  count = {count}
  name  = "partner"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ AWS = "arn:aws:iam::111122223333:root" }} }}]
  }})
}}
"#
        );
        std::fs::write(d.path().join("main.tf"), main).expect("write");
        roles(d.path(), &[])["state_reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        role("var.create && var.enable_partner ? 1 : 0", ""),
        "not created with the default values: count = 0 from var.enable_partner"
    );
    assert_eq!(
        role(
            "local.partner_on ? 1 : 0",
            "locals {\n  partner_on = var.create && var.enable_partner\n}"
        ),
        "not created with the default values: count = 0 from var.enable_partner"
    );
    // The one switch that is off is named when it comes first too.
    assert_eq!(
        role("var.enable_partner && var.create ? 1 : 0", ""),
        "not created with the default values: count = 0 from var.enable_partner"
    );
}
