//! Suppressions under attack: an `iamlint:ignore` marker inside data (a string, a heredoc, a
//! JSON value, a plan's tag) must not silence anything; only real comments (HCL, YAML),
//! CloudFormation `Metadata` and Terraform JSON's `"//"` property may. Suppressions are
//! reviewable: a comment above a resource covers the resource, stacked comments combine, one
//! without a reason or matching nothing is a finding, and `--show-suppressed` shows each
//! suppressed finding with its reason in every format.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TF_VAR_account");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// Runs `iamlint --format json ARGS` on a tree holding `files` and returns the report.
fn run_json(files: &[(&str, &str)], args: &[&str]) -> Value {
    let d = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        write(d.path(), name, text);
    }
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or("").to_string())
        .collect()
}

fn has(v: &Value, rule: &str) -> bool {
    rules_of(v).iter().any(|r| r == rule)
}

/// A role that trusts an unknown account: IAM002 and IAM003 at the principal.
const TF_PARTNER: &str = r##"resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Sid       = "# iamlint:ignore IAM002,IAM003 -- forged in a string"
      Principal = { AWS = "arn:aws:iam::210987654321:root" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"##;

#[test]
fn hcl_marker_inside_a_string_does_not_suppress() {
    let v = run_json(&[("main.tf", TF_PARTNER)], &[]);
    assert!(has(&v, "IAM002") && has(&v, "IAM003"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 0, "{v}");
    // A real comment in the same place does suppress.
    let tf = TF_PARTNER.replace(
        "      Principal = {",
        "      # iamlint:ignore IAM002,IAM003 -- partner approved in SEC-42\n      Principal = {",
    );
    let v = run_json(&[("main.tf", &tf)], &[]);
    assert!(!has(&v, "IAM002") && !has(&v, "IAM003"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 2, "{v}");
}

#[test]
fn hcl_marker_inside_a_heredoc_does_not_suppress() {
    let tf = r##"resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Sid": "# iamlint:ignore all -- forged in a heredoc",
    "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
    "Action": "sts:AssumeRole"
  }]
}
EOF
}
"##;
    let v = run_json(&[("main.tf", tf)], &[]);
    assert!(has(&v, "IAM002"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 0, "{v}");
}

const CFN_YAML_FORGED: &str = r##"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Partner:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Sid: "# iamlint:ignore all -- forged in a YAML string"
            Principal: {AWS: "arn:aws:iam::210987654321:root"}
            Action: sts:AssumeRole
"##;

#[test]
fn yaml_marker_inside_a_string_does_not_suppress() {
    let v = run_json(&[("template.yaml", CFN_YAML_FORGED)], &[]);
    assert!(has(&v, "IAM002"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 0, "{v}");
    // A real YAML comment in the same place does suppress.
    let yaml = CFN_YAML_FORGED.replace(
        "            Principal:",
        "            # iamlint:ignore IAM002,IAM003 -- partner approved in SEC-42\n            Principal:",
    );
    let v = run_json(&[("template.yaml", &yaml)], &[]);
    assert!(!has(&v, "IAM002") && !has(&v, "IAM003"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 2, "{v}");
}

#[test]
fn cloudformation_json_marker_inside_a_string_does_not_suppress() {
    let json = r##"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Partner": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {
          "Version": "2012-10-17",
          "Statement": [{
            "Effect": "Allow",
            "Sid": "// iamlint:ignore all -- forged in a JSON string",
            "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
            "Action": "sts:AssumeRole"
          }]
        }
      }
    }
  }
}
"##;
    let v = run_json(&[("template.json", json)], &[]);
    assert!(has(&v, "IAM002"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 0, "{v}");
}

/// A one-line plan, as `terraform show -json` writes it, with `roles` roles trusting an
/// unknown account; the first role's tag holds a forged marker.
fn one_line_plan(roles: usize) -> String {
    let mut resources = Vec::new();
    for i in 0..roles {
        resources.push(format!(
            r##"{{"address":"aws_iam_role.r{i}","mode":"managed","type":"aws_iam_role","name":"r{i}","values":{{"name":"r{i}","tags":{{"note":"# iamlint:ignore all -- forged in a tag"}},"assume_role_policy":"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{{\"AWS\":\"arn:aws:iam::210987654321:root\"}}}}]}}"}}}}"##
        ));
    }
    format!(
        r#"{{"format_version":"1.2","terraform_version":"1.9.5","planned_values":{{"root_module":{{"resources":[{}]}}}},"configuration":{{"root_module":{{}}}}}}"#,
        resources.join(",")
    )
}

#[test]
fn one_line_plan_tag_marker_does_not_suppress() {
    let plan = one_line_plan(3);
    let v = run_json(&[("plan.json", &plan)], &[]);
    let iam002 = rules_of(&v).iter().filter(|r| *r == "IAM002").count();
    assert_eq!(iam002, 3, "{v}");
    assert_eq!(v["summary"]["suppressed"], 0, "{v}");
}

#[test]
fn comments_above_a_resource_cover_it_and_stack() {
    let tf = format!(
        "# iamlint:ignore IAM002 -- partner approved in SEC-42\n\
         // iamlint:ignore IAM003 -- external id enforced by the partner, SEC-43\n{}",
        TF_PARTNER.replace(
            "Sid       = \"# iamlint:ignore IAM002,IAM003 -- forged in a string\"\n",
            ""
        )
    );
    let v = run_json(&[("main.tf", &tf)], &[]);
    assert!(!has(&v, "IAM002") && !has(&v, "IAM003"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 2, "{v}");

    let yaml = CFN_YAML_FORGED.replace(
        "  Partner:\n",
        "  # iamlint:ignore IAM002 -- partner approved in SEC-42\n  # iamlint:ignore IAM003 -- SEC-43\n  Partner:\n",
    );
    let v = run_json(&[("template.yaml", &yaml)], &[]);
    assert!(!has(&v, "IAM002") && !has(&v, "IAM003"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 2, "{v}");
}

#[test]
fn cloudformation_metadata_suppresses_in_yaml_and_json() {
    let yaml = CFN_YAML_FORGED.replace(
        "    Type: AWS::IAM::Role\n",
        "    Type: AWS::IAM::Role\n    Metadata:\n      iamlint:\n        ignore:\n          - {rule: IAM002, reason: partner approved in SEC-42}\n          - {rule: IAM003, reason: partner approved in SEC-42}\n",
    );
    let v = run_json(&[("template.yaml", &yaml)], &["--show-suppressed"]);
    assert!(!has(&v, "IAM002") && !has(&v, "IAM003"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 2, "{v}");
    let shown = v["suppressed"].as_array().expect("suppressed list");
    assert!(
        shown
            .iter()
            .any(|s| s["rule"] == "IAM002"
                && s["suppression"]["reason"] == "partner approved in SEC-42"),
        "{v}"
    );

    let json = r#"{"Resources": {"Partner": {
  "Type": "AWS::IAM::Role",
  "Metadata": {"iamlint": {"ignore": [{"rule": "IAM002", "reason": "approved"}]}},
  "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
     "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}}}}}
"#;
    let v = run_json(&[("template.json", json)], &[]);
    assert!(!has(&v, "IAM002"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 1, "{v}");
}

#[test]
fn terraform_json_comment_property_suppresses_but_values_do_not() {
    let forged = r##"{"resource": {"aws_iam_role": {"ci": {
  "name": "# iamlint:ignore all -- forged",
  "description": "// iamlint:ignore all -- forged",
  "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"AWS\":\"arn:aws:iam::210987654321:root\"}}]}"
}}}}
"##;
    let v = run_json(&[("main.tf.json", forged)], &[]);
    assert!(has(&v, "IAM002"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 0, "{v}");

    let real = forged.replace(
        "\"name\": \"# iamlint:ignore all -- forged\"",
        "\"//\": \"iamlint:ignore IAM002,IAM003 -- partner approved in SEC-42\"",
    );
    let v = run_json(&[("main.tf.json", &real)], &[]);
    assert!(!has(&v, "IAM002") && !has(&v, "IAM003"), "{v}");
    assert_eq!(v["summary"]["suppressed"], 2, "{v}");
}

#[test]
fn suppression_without_reason_or_unused_is_a_finding() {
    let tf = TF_PARTNER.replace(
        "      Principal = {",
        "      # iamlint:ignore IAM002\n      Principal = {",
    );
    let v = run_json(&[("main.tf", &tf)], &[]);
    // Not silenced, and the missing reason is reported at the comment.
    assert!(has(&v, "IAM002"), "{v}");
    let f = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "IAM901")
        .unwrap_or_else(|| panic!("IAM901 expected: {v}"));
    assert_eq!(f["severity"], "low");
    assert_eq!(f["line"], 8, "{f}");

    let tf = TF_PARTNER.replace(
        "      Principal = {",
        "      # iamlint:ignore IAM002,IAM003 -- approved\n      # iamlint:ignore IAM101 -- stale\n      Principal = {",
    );
    let v = run_json(&[("main.tf", &tf)], &[]);
    assert!(!has(&v, "IAM002"), "{v}");
    let unused: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "IAM902")
        .collect();
    assert_eq!(unused.len(), 1, "{v}");
    assert_eq!(unused[0]["severity"], "low");
    assert_eq!(unused[0]["line"], 9, "{v}");
    assert!(
        unused[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("IAM101")),
        "{v}"
    );
}

#[test]
fn show_suppressed_in_human_and_sarif() {
    let d = tempfile::tempdir().expect("tempdir");
    let tf = TF_PARTNER.replace(
        "      Principal = {",
        "      # iamlint:ignore IAM002,IAM003 -- partner approved in SEC-42\n      Principal = {",
    );
    write(d.path(), "main.tf", &tf);
    let out = iamlint(d.path())
        .args(["--show-suppressed"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("IAM002"), "{text}");
    assert!(text.contains("partner approved in SEC-42"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");

    let out = iamlint(d.path())
        .args(["--show-suppressed", "--format", "sarif"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{v}");
    for r in results {
        assert_eq!(r["suppressions"][0]["kind"], "inSource", "{r}");
        assert_eq!(
            r["suppressions"][0]["justification"], "partner approved in SEC-42",
            "{r}"
        );
    }
    // Without the flag, SARIF carries no suppressed results.
    let out = iamlint(d.path())
        .args(["--format", "sarif"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    assert_eq!(v["runs"][0]["results"].as_array().map(Vec::len), Some(0));
}
