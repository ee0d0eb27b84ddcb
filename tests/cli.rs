//! The command line as users and CI see it: exit codes, the JSON schema, rule and config errors,
//! and what bad input files get (an error with file, line and column, never a panic).

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TF_VAR_account");
    c
}

fn write(dir: &Path, name: &str, text: &[u8]) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

const OPEN_TF: &str = r#"variable "account" {
  default = "210987654321"
}

resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.account}:root" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#;

const SAFE_CFN: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
"#;

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("valid JSON output")
}

#[test]
fn exit_0_when_clean_1_with_findings() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "template.yaml", SAFE_CFN.as_bytes());
    iamlint(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no findings in 1 roles"));
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    iamlint(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("IAM002"));
}

#[test]
fn threshold_decides_the_exit_code() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    // IAM002 (high) and IAM003 (high) fire; a critical threshold lets the run pass.
    iamlint(d.path())
        .args(["--severity-threshold", "critical"])
        .assert()
        .code(0);
    iamlint(d.path())
        .args(["--severity-threshold", "high"])
        .assert()
        .code(1);
}

#[test]
fn json_check_schema_and_lines() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out.stdout);
    assert_eq!(v["version"], 1);
    let f = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "IAM002")
        .expect("IAM002 finding");
    assert_eq!(f["file"], "main.tf");
    assert_eq!(f["line"], 11, "{f}");
    for key in ["column", "end_line", "end_column"] {
        assert!(f[key].as_u64().is_some_and(|n| n >= 1), "{key}: {f}");
    }
    assert_eq!(f["resource"], "aws_iam_role.ci");
    assert_eq!(f["role"], "ci");
    assert_eq!(f["severity"], "high");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("210987654321")
    );
    assert!(v["errors"].as_array().expect("errors").is_empty());
    assert_eq!(v["summary"]["roles"], 1);
}

#[test]
fn config_trusted_accounts_and_vendor_names_change_findings() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    write(
        d.path(),
        ".iamlint.yaml",
        b"trusted_accounts:\n  \"210987654321\": partner\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(!rules.contains(&"IAM002"), "{rules:?}");

    let vendor = OPEN_TF.replace("210987654321", "464622532012");
    write(d.path(), "main.tf", vendor.as_bytes());
    std::fs::remove_file(d.path().join(".iamlint.yaml")).expect("rm");
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    let f = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "IAM002")
        .expect("IAM002");
    assert_eq!(
        f["severity"], "medium",
        "a vendor ranks below an unknown account"
    );
    assert!(
        f["message"]
            .as_str()
            .expect("msg")
            .contains("464622532012 (Datadog)"),
        "{f}"
    );
}

#[test]
fn config_disables_and_rerates_rules() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    write(
        d.path(),
        ".iamlint.yaml",
        b"disable: [IAM003]\nrules:\n  IAM002:\n    severity: low\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    let fs = v["findings"].as_array().expect("findings");
    assert!(fs.iter().all(|f| f["rule"] != "IAM003"));
    assert!(
        fs.iter()
            .any(|f| f["rule"] == "IAM002" && f["severity"] == "low")
    );
}

#[test]
fn inline_suppression_needs_a_reason() {
    let d = tempfile::tempdir().expect("tempdir");
    let with = OPEN_TF.replace(
        "      Principal = {",
        "      # iamlint:ignore IAM002,IAM003 -- partner approved in SEC-42\n      Principal = {",
    );
    write(d.path(), "main.tf", with.as_bytes());
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    assert_eq!(v["summary"]["suppressed"], 2, "{v}");
    assert_eq!(out.status.code(), Some(0));
    let without = OPEN_TF.replace(
        "      Principal = {",
        "      # iamlint:ignore IAM002\n      Principal = {",
    );
    write(d.path(), "main.tf", without.as_bytes());
    iamlint(d.path()).assert().code(1);
}

#[test]
fn malformed_rule_file_stops_with_2_naming_file_line_field() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "template.yaml", SAFE_CFN.as_bytes());
    write(
        d.path(),
        "myrules/X1.yaml",
        b"id: X1\ntitle: t\nseverity: severe\nscope: role\nmessage: m\ndescription: {what: a, why: b, fix: c}\n",
    );
    iamlint(d.path())
        .args(["--rules", "myrules"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("myrules/X1.yaml:3").and(predicate::str::contains("severe")),
        );
    write(
        d.path(),
        "myrules/X1.yaml",
        b"id: X1\ntitle: t\nseverity: low\nscope: role\nmatch: {principal: [any]}\nmessage: m\ndescription: {what: a, why: b, fix: c}\n",
    );
    iamlint(d.path())
        .args(["--rules", "myrules"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("myrules/X1.yaml:5").and(predicate::str::contains("match")),
        );
}

#[test]
fn custom_rule_directory_adds_rules() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "template.yaml", SAFE_CFN.as_bytes());
    write(
        d.path(),
        "myrules/ORG001.yaml",
        b"id: ORG001\ntitle: Lambda roles need review\nseverity: low\nscope: trust_principal\nmatch: {principal: [service]}\nmessage: \"{role} trusts {principal}\"\ndescription: {what: a, why: b, fix: c}\n",
    );
    iamlint(d.path())
        .args(["--rules", "myrules"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("ORG001")
                .and(predicate::str::contains("lambda.amazonaws.com")),
        );
}

#[test]
fn usage_and_config_errors_exit_2() {
    let d = tempfile::tempdir().expect("tempdir");
    iamlint(d.path()).args(["--format", "xml"]).assert().code(2);
    iamlint(d.path()).arg("does-not-exist").assert().code(2);
    write(d.path(), ".iamlint.yaml", b"trusted_accounts: [\"123\"]\n");
    iamlint(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".iamlint.yaml:1"));
}

#[test]
fn bad_input_files_are_errors_with_positions_and_the_run_goes_on() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "good/template.yaml", SAFE_CFN.as_bytes());
    write(d.path(), "good/main.tf", OPEN_TF.as_bytes());
    write(
        d.path(),
        "bad/broken.tf",
        b"resource \"aws_iam_role\" \"x\" {\n  name = \n}\n",
    );
    write(
        d.path(),
        "bad2/latin1.tf",
        b"# caf\xe9\nresource \"aws_iam_role\" \"x\" {}\n",
    );
    write(
        d.path(),
        "bad3/binary.template",
        b"AWSTemplateFormatVersion\0\0\x01\x02",
    );
    write(
        d.path(),
        "bad4/broken.yaml",
        b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: [\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out.stdout);
    let errors = v["errors"].as_array().expect("errors");
    let by_file = |name: &str| {
        errors
            .iter()
            .find(|e| e["file"].as_str().is_some_and(|f| f.ends_with(name)))
            .unwrap_or_else(|| panic!("no error for {name}: {errors:?}"))
    };
    assert_eq!(by_file("broken.tf")["line"], 2);
    let latin = by_file("latin1.tf");
    assert_eq!(latin["line"], 1);
    assert_eq!(latin["column"], 6);
    assert!(
        by_file("binary.template")["message"]
            .as_str()
            .expect("msg")
            .contains("binary")
    );
    assert!(by_file("broken.yaml")["line"].as_u64().expect("line") >= 3);
    // The good files were still checked.
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "IAM002")
    );
    assert_eq!(v["summary"]["roles"], 2);
}

#[test]
fn empty_and_hostile_files_do_not_crash() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "empty.tf", b"");
    write(d.path(), "empty.yaml", b"");
    let mut bomb = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\na: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n",
    );
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("a{}", i - 1)
        };
        bomb.push_str(&format!("a{i}: &a{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    bomb.push_str("Resources:\n  X:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: *a11}\n");
    write(d.path(), "bomb/template.yaml", bomb.as_bytes());
    let deep = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}{}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    write(d.path(), "deep/template.yaml", deep.as_bytes());
    let deep_tf = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    write(d.path(), "deeptf/main.tf", deep_tf.as_bytes());
    let deep_json = format!(
        "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {}{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    write(d.path(), "deepjson/template.json", deep_json.as_bytes());
    let big = vec![b'#'; 9 * 1024 * 1024];
    write(d.path(), "big/huge.tf", &big);
    let start = std::time::Instant::now();
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out.stdout);
    let errors = v["errors"].as_array().expect("errors");
    for name in [
        "bomb/template.yaml",
        "deep/template.yaml",
        "deeptf/main.tf",
        "deepjson/template.json",
        "big/huge.tf",
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e["file"].as_str().is_some_and(|f| f.ends_with(name))),
            "no error for {name}: {errors:?}"
        );
    }
    assert!(
        !errors
            .iter()
            .any(|e| e["file"].as_str().is_some_and(|f| f.starts_with("empty"))),
        "{errors:?}"
    );
}

#[test]
fn rules_and_explain() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = iamlint(d.path())
        .args(["rules", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out.stdout);
    let rules = v["rules"].as_array().expect("rules");
    assert!(
        rules
            .iter()
            .any(|r| r["id"] == "IAM001" && r["severity"] == "critical")
    );
    assert!(
        rules
            .iter()
            .all(|r| r["equivalents"].is_array() && r["title"].is_string())
    );
    iamlint(d.path())
        .args(["explain", "IAM004"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("## Why is this bad?")
                .and(predicate::str::contains("## Use instead")),
        );
    iamlint(d.path()).args(["explain", "NOPE"]).assert().code(2);
}

#[test]
fn roles_inventory_json() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    write(d.path(), "template.yaml", SAFE_CFN.as_bytes());
    let out = iamlint(d.path())
        .args(["roles", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out.stdout);
    assert_eq!(v["version"], 1);
    let roles = v["roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 2);
    let ci = roles
        .iter()
        .find(|r| r["address"] == "aws_iam_role.ci")
        .expect("ci");
    assert_eq!(ci["source"], "terraform");
    assert_eq!(ci["line"], 5);
    assert_eq!(ci["trust_resolved"], true);
    let p = &ci["trust"]["statements"][0]["principals"][0];
    assert_eq!(p["kind"], "account");
    assert_eq!(p["account"], "210987654321");
    assert_eq!(p["relation"], "unknown");
    assert_eq!(p["value"], "arn:aws:iam::210987654321:root");
    let f = roles.iter().find(|r| r["address"] == "Fn").expect("Fn");
    assert_eq!(f["source"], "cloudformation");
    assert_eq!(
        f["trust"]["statements"][0]["principals"][0]["kind"],
        "service"
    );
}

#[test]
fn sarif_and_github_formats() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    let out = iamlint(d.path())
        .args(["--format", "sarif"])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let result = &run["results"][0];
    let idx = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], result["ruleId"]);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "main.tf"
    );
    assert!(result["partialFingerprints"]["iamlint/v1"].is_string());
    let out = iamlint(d.path())
        .args(["--format", "github"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("::error file=main.tf,line=11,"), "{text}");
}

#[test]
fn explicit_files_limit_findings_to_them() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    // In another module: a role in the same module as main.tf reads main.tf (its variables,
    // locals) and is reported with it.
    write(d.path(), "other/other.tf", b"resource \"aws_iam_role\" \"o\" {\n  name = \"o\"\n  assume_role_policy = jsonencode({Version = \"2012-10-17\", Statement = [{Effect = \"Allow\", Principal = {AWS = \"*\"}, Action = \"sts:AssumeRole\"}]})\n}\n");
    let out = iamlint(d.path())
        .args(["--format", "json", "main.tf"])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(
        !files.is_empty() && files.iter().all(|f| *f == "main.tf"),
        "{files:?}"
    );
    iamlint(d.path())
        .args(["--exclude", "other"])
        .assert()
        .code(1);
}

#[test]
fn colour_only_when_asked() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    let out = iamlint(d.path()).output().expect("run");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains('\u{1b}'),
        "colour in a pipe"
    );
    let out = iamlint(d.path())
        .args(["--color", "always"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn var_and_var_file_apply_in_command_line_order_over_env_and_tfvars() {
    let d = tempfile::tempdir().expect("tempdir");
    let tf = OPEN_TF.replace("  default = \"210987654321\"\n", "");
    write(d.path(), "main.tf", tf.as_bytes());
    write(
        d.path(),
        "terraform.tfvars",
        b"account = \"111111111111\"\n",
    );
    write(d.path(), "a.tfvars", b"account = \"222222222222\"\n");
    let account = |args: &[&str], env: Option<&str>| -> String {
        let mut c = iamlint(d.path());
        if let Some(e) = env {
            c.env("TF_VAR_account", e);
        }
        let out = c
            .args(["roles", "--format", "json"])
            .args(args)
            .output()
            .expect("run");
        let v = json_of(&out.stdout);
        v["roles"][0]["trust"]["statements"][0]["principals"][0]["account"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        account(&[], Some("999999999999")),
        "111111111111",
        "tfvars beats the environment"
    );
    std::fs::remove_file(d.path().join("terraform.tfvars")).expect("rm");
    assert_eq!(
        account(&[], Some("999999999999")),
        "999999999999",
        "TF_VAR_ is read"
    );
    assert_eq!(
        account(
            &["--var", "account=333333333333", "--var-file", "a.tfvars"],
            None
        ),
        "222222222222"
    );
    assert_eq!(
        account(
            &["--var-file", "a.tfvars", "--var", "account=333333333333"],
            None
        ),
        "333333333333"
    );
}

#[test]
fn gitignored_files_are_skipped_in_walks_but_read_when_named() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), ".gitignore", b"generated/\n");
    write(d.path(), "generated/main.tf", OPEN_TF.as_bytes());
    write(d.path(), "template.yaml", SAFE_CFN.as_bytes());
    iamlint(d.path()).assert().code(0);
    iamlint(d.path()).arg("generated/main.tf").assert().code(1);
}

#[test]
fn cloudformation_parameters_from_the_command_line_and_files() {
    let d = tempfile::tempdir().expect("tempdir");
    let tpl = "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Partner:\n    Type: String\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal:\n              AWS: !Sub 'arn:${AWS::Partition}:iam::${Partner}:root'\n            Action: sts:AssumeRole\n";
    write(d.path(), "template.yaml", tpl.as_bytes());
    write(
        d.path(),
        "params.json",
        b"[{\"ParameterKey\": \"Partner\", \"ParameterValue\": \"464622532012\"}]",
    );
    let rules_of = |args: &[&str]| -> Vec<String> {
        let out = iamlint(d.path())
            .args(["--format", "json", "template.yaml"])
            .args(args)
            .output()
            .expect("run");
        let v = json_of(&out.stdout);
        v["findings"]
            .as_array()
            .expect("f")
            .iter()
            .map(|f| format!("{} {}", f["rule"].as_str().unwrap_or(""), f["line"]))
            .collect()
    };
    assert_eq!(rules_of(&[]), ["IAM008 14"], "unknown without a value");
    let with_param = rules_of(&["--parameter", "Partner=210987654321"]);
    assert!(
        with_param.contains(&"IAM002 14".to_string()),
        "{with_param:?}"
    );
    let with_file = rules_of(&["--parameters", "params.json"]);
    assert!(
        with_file.contains(&"IAM003 14".to_string()),
        "{with_file:?}"
    );
}

#[test]
fn baseline_keeps_only_new_findings_across_line_moves() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    iamlint(d.path())
        .args(["--write-baseline", "baseline.json"])
        .assert()
        .code(1);
    // Lines move and a new role appears: only the new role's findings remain.
    let moved = format!(
        "# a comment that moves every line\n\n{OPEN_TF}\nresource \"aws_iam_role\" \"new\" {{\n  name = \"new\"\n  assume_role_policy = jsonencode({{Version = \"2012-10-17\", Statement = [{{Effect = \"Allow\", Principal = {{AWS = \"*\"}}, Action = \"sts:AssumeRole\"}}]}})\n}}\n"
    );
    write(d.path(), "main.tf", moved.as_bytes());
    let out = iamlint(d.path())
        .args(["--baseline", "baseline.json", "--format", "json"])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    let fs = v["findings"].as_array().expect("findings");
    assert!(
        !fs.is_empty() && fs.iter().all(|f| f["resource"] == "aws_iam_role.new"),
        "{fs:?}"
    );
    assert_eq!(v["summary"]["baselined"], 2);
    write(d.path(), "bad.json", b"{\"version\": 2}");
    iamlint(d.path())
        .args(["--baseline", "bad.json"])
        .assert()
        .code(2);
}

#[test]
fn junit_output() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    let out = iamlint(d.path())
        .args(["--format", "junit"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(
        text.contains("<testsuite name=\"main.tf\" tests=\"2\" failures=\"2\""),
        "{text}"
    );
    assert!(text.contains("<failure type=\"high\""), "{text}");
}

#[test]
fn an_option_before_the_command_keeps_the_command() {
    // `iamlint --rules DIR check .` (a global option first, as in many CI scripts) runs
    // `check`; before, clap read `check` as a path and the run failed.
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    write(
        d.path(),
        "team-rules/T1.yaml",
        br#"id: T1
title: Role named ci
severity: low
scope: role
match: {role_name: ["ci"]}
message: "{role_name} is a CI role"
description: {what: w, why: y, fix: f}
"#,
    );
    let out = iamlint(d.path())
        .args(["--rules", "team-rules", "check", "--format", "json", "."])
        .output()
        .expect("run");
    let v = json_of(&out.stdout);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"T1") && rules.contains(&"IAM002"), "{v}");
    assert_eq!(out.status.code(), Some(1));
    // A directory that is really named like a command is still a path.
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "roles/main.tf", OPEN_TF.as_bytes());
    iamlint(d.path())
        .args(["--format", "concise", "roles"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("IAM002"));
}

#[test]
fn a_yaml_error_gives_its_position_once() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF.as_bytes());
    write(d.path(), ".iamlint.yaml", b"severity_threshold: severe\n");
    write(
        d.path(),
        "r/X1.yaml",
        b"id: X1\ntitle: t\nseverity: severe\nscope: role\nmessage: m\n",
    );
    let out = iamlint(d.path()).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".iamlint.yaml:1:21: unknown variant `severe`") && !err.contains("column"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_file(d.path().join(".iamlint.yaml")).expect("rm");
    let out = iamlint(d.path())
        .args(["check", "--rules", "r", "."])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("X1.yaml:3:11: unknown variant `severe`") && !err.contains("column"),
        "{err}"
    );
}
