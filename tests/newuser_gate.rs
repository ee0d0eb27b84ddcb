//! The gate as a new user and an attacker meet it: a role behind a symlinked directory, a
//! nested `.iamlint.yaml` that reaches beyond its directory, a policy that is only partly
//! resolved, and what `--diff` shows when a pull request edits the files that steer the gate.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("TF_VAR_") || k.starts_with("GITHUB_") {
            c.env_remove(k);
        }
    }
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// A git work tree (the repository root bounds what is read).
fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(d.path().join(".git")).expect("mkdir .git");
    d
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (rule, file) of every finding.
fn found(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

const OPEN_ROLE: &str = r#"resource "aws_iam_role" "open" {
  name = "open"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }]
  })
}
"#;

#[cfg(unix)]
#[test]
fn a_role_behind_a_symlinked_directory_inside_the_repository_is_checked() {
    // Terraform run in `prod/` creates the role; the walk must not skip the link because its
    // target sits in a hidden directory.
    let d = repo();
    write(d.path(), ".templates/prod/main.tf", OPEN_ROLE);
    std::os::unix::fs::symlink(".templates/prod", d.path().join("prod")).expect("symlink");
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        found(&v).contains(&("IAM001".to_string(), "prod/main.tf".to_string())),
        "{v}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[cfg(unix)]
#[test]
fn a_symlinked_directory_that_leaves_the_repository_is_an_error() {
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "main.tf", OPEN_ROLE);
    let d = repo();
    write(d.path(), "ok/main.tf", "");
    std::os::unix::fs::symlink(outside.path(), d.path().join("prod")).expect("symlink");
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let errors = v["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["file"] == "prod"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("outside the repository"))),
        "{v}"
    );
    assert_eq!(out.status.code(), Some(2));
}

/// A root module calling a shared module with an untrusted partner account.
fn caller_and_module(d: &Path) {
    write(
        d,
        "envs/prod/main.tf",
        r#"module "r" {
  source  = "../../modules/role"
  partner = "arn:aws:iam::999988887777:root"
}
"#,
    );
    write(
        d,
        "modules/role/main.tf",
        r#"variable "partner" { type = string }
resource "aws_iam_role" "this" {
  name = "partner"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.partner } }]
  })
}
"#,
    );
}

#[test]
fn a_nested_config_does_not_turn_off_rules_for_a_caller_outside_its_directory() {
    let d = repo();
    caller_and_module(d.path());
    write(
        d.path(),
        "modules/role/.iamlint.yaml",
        "disable: [IAM002]\ntrusted_accounts: [\"999988887777\"]\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        found(&v).contains(&("IAM002".to_string(), "envs/prod/main.tf".to_string())),
        "{v}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_nested_config_applies_to_the_roots_under_its_directory() {
    let d = repo();
    caller_and_module(d.path());
    // Root module and module are both under the repository root: its config governs them.
    write(d.path(), ".iamlint.yaml", "disable: [IAM002, IAM003]\n");
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        !found(&v)
            .iter()
            .any(|(r, _)| r == "IAM002" || r == "IAM003"),
        "{v}"
    );
    // A role written and evaluated inside a team's directory takes the team's config.
    let d = repo();
    write(
        d.path(),
        "team/main.tf",
        &OPEN_ROLE.replace("\"*\"", "\"arn:aws:iam::999988887777:root\""),
    );
    write(
        d.path(),
        "team/.iamlint.yaml",
        "disable: [IAM002, IAM003]\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        !found(&v)
            .iter()
            .any(|(r, _)| r == "IAM002" || r == "IAM003"),
        "{v}"
    );
}

#[test]
fn a_policy_with_an_unknown_resource_is_not_reported_as_resolved() {
    let d = repo();
    write(
        d.path(),
        "main.tf",
        r#"variable "bucket" { type = string }
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
resource "aws_iam_role_policy" "p" {
  role = aws_iam_role.r.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::${var.bucket}/*" }]
  })
}
resource "aws_iam_role_policy" "q" {
  role = aws_iam_role.r.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::known/*" }]
  })
}
"#,
    );
    let out = iamlint(d.path())
        .args(["roles", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let policies = v["roles"][0]["inline_policies"]
        .as_array()
        .expect("inline_policies");
    let p = policies
        .iter()
        .find(|p| p["origin"] == "aws_iam_role_policy.p")
        .expect("policy p");
    assert_eq!(p["resolved"], false, "{v}");
    let unresolved = p["unresolved"].as_array().expect("unresolved");
    assert!(
        unresolved.iter().any(|u| u["expression"]
            .as_str()
            .is_some_and(|e| e.contains("var.bucket"))
            && u["file"] == "main.tf"
            && u["line"] == 13),
        "{v}"
    );
    let q = policies
        .iter()
        .find(|p| p["origin"] == "aws_iam_role_policy.q")
        .expect("policy q");
    assert_eq!(q["resolved"], true, "{v}");
    assert_eq!(q["unresolved"], serde_json::json!([]), "{v}");
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

/// A git repository whose `main` has one service role and its approval file, on a branch
/// `change` that a pull request would bring.
fn repo_at_main() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    git(d.path(), &["init", "-q", "-b", "main"]);
    write(
        d.path(),
        "main.tf",
        r#"resource "aws_iam_role" "svc" {
  name = "svc"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
"#,
    );
    iamlint(d.path())
        .args(["trusts", "--write"])
        .assert()
        .code(0);
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-q", "-m", "base"]);
    git(d.path(), &["checkout", "-q", "-b", "change"]);
    d
}

const PARTNER_ROLE: &str = r#"resource "aws_iam_role" "partner" {
  name = "partner"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::999988887777:root" }, Condition = { StringEquals = { "sts:ExternalId" = "x" } } }]
  })
}
"#;

#[test]
fn diff_shows_an_approval_added_in_the_same_change() {
    let d = repo_at_main();
    let main = std::fs::read_to_string(d.path().join("main.tf")).expect("read");
    write(d.path(), "main.tf", &format!("{main}{PARTNER_ROLE}"));
    // The change approves its own new trust.
    iamlint(d.path())
        .args(["trusts", "--write"])
        .assert()
        .code(0);
    git(d.path(), &["commit", "-q", "-am", "partner"]);
    let out = iamlint(d.path())
        .args(["--diff", "main", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let gate = v["summary"]["diff"]["gate_changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no gate_changes: {v}"));
    let trusts = gate
        .iter()
        .find(|g| g["file"] == "iam-trusts.yaml")
        .unwrap_or_else(|| panic!("iam-trusts.yaml not listed: {v}"));
    assert_eq!(trusts["change"], "modified", "{v}");
    let entries = trusts["approvals"].as_array().expect("approvals");
    assert!(
        entries.iter().any(|e| e["change"] == "added"
            && e["role"] == "aws_iam_role.partner"
            && e["principal"] == "arn:aws:iam::999988887777:root"
            && e["line"].as_u64().is_some_and(|l| l > 1)),
        "{v}"
    );
    // The new trust says that its approval came with it.
    let changes = v["summary"]["diff"]["trust_changes"]
        .as_array()
        .expect("trust_changes");
    assert!(
        changes.iter().any(|c| c["change"] == "added"
            && c["approved_in_change"]
                .as_str()
                .is_some_and(|a| a.starts_with("iam-trusts.yaml:"))),
        "{v}"
    );
    // The human report and the Markdown summary show it too.
    let human = iamlint(d.path())
        .args(["--diff", "main"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("approval and configuration files changed since main:")
            && text.contains("+ approves aws_iam_role.partner"),
        "{text}"
    );
    assert!(text.contains("approved in this change"), "{text}");
    let md = iamlint(d.path())
        .args(["--diff", "main", "--format", "markdown"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("### Approval and configuration files changed since `main`")
            && md.contains("aws\\_iam\\_role.partner"),
        "{md}"
    );
}

#[test]
fn github_format_annotates_trust_changes_and_gate_files_with_diff() {
    // The Action's log format: a new trust and the approval file edited in the same change are
    // annotations on the pull request's diff, not only lines of the job summary.
    let d = repo_at_main();
    let main = std::fs::read_to_string(d.path().join("main.tf")).expect("read");
    write(d.path(), "main.tf", &format!("{main}{PARTNER_ROLE}"));
    iamlint(d.path())
        .args(["trusts", "--write"])
        .assert()
        .code(0);
    git(d.path(), &["commit", "-q", "-am", "partner"]);
    let out = iamlint(d.path())
        .args(["--diff", "main", "--format", "github"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("title=iamlint%3A new trust relationship::"))
        .unwrap_or_else(|| panic!("no annotation for the new trust: {text}"));
    assert!(
        line.starts_with("::warning file=main.tf,line=")
            && line.contains("aws_iam_role.partner")
            && line.contains("999988887777")
            && line.contains("approved in this change (iam-trusts.yaml"),
        "{line}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("::notice file=iam-trusts.yaml,")
                && l.contains("approves aws_iam_role.partner")),
        "{text}"
    );
    // Without --diff there are no such annotations.
    let out = iamlint(d.path())
        .args(["--format", "github"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("trust relationship"), "{text}");
}

#[test]
fn diff_checks_the_ref_with_its_own_config_and_shows_a_config_change() {
    // The change adds a role and an exclude that hides it: the ref, checked with its own
    // config, had no such role, so nothing is "new"; but the role is gone from view and the
    // config change must be visible.
    let d = repo_at_main();
    write(d.path(), "prod/main.tf", PARTNER_ROLE);
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-q", "-m", "prod"]);
    git(d.path(), &["branch", "with-prod"]);
    write(d.path(), ".iamlint.yaml", "exclude: [\"prod/**\"]\n");
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-q", "-m", "hide prod"]);
    let out = iamlint(d.path())
        .args(["--diff", "with-prod", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let gate = v["summary"]["diff"]["gate_changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no gate_changes: {v}"));
    assert!(
        gate.iter()
            .any(|g| g["file"] == ".iamlint.yaml" && g["change"] == "added"),
        "{v}"
    );
    // Checked with the ref's config, the ref had the partner trust; now it is out of view.
    let changes = v["summary"]["diff"]["trust_changes"]
        .as_array()
        .expect("trust_changes");
    assert!(
        changes
            .iter()
            .any(|c| c["change"] == "removed" && c["edge"]["role"] == "aws_iam_role.partner"),
        "{v}"
    );
}

#[test]
fn diff_honours_only_the_baseline_entries_the_ref_already_had() {
    let d = repo_at_main();
    git(d.path(), &["checkout", "-q", "main"]);
    iamlint(d.path())
        .args(["--write-baseline", "baseline.json"])
        .assert()
        .code(0);
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-q", "-m", "baseline"]);
    git(d.path(), &["checkout", "-q", "change"]);
    git(d.path(), &["merge", "-q", "main"]);
    let main = std::fs::read_to_string(d.path().join("main.tf")).expect("read");
    write(d.path(), "main.tf", &format!("{main}{PARTNER_ROLE}"));
    // The change also writes its own new findings into the baseline.
    iamlint(d.path())
        .args(["--write-baseline", "baseline.json"])
        .assert()
        .code(1);
    git(d.path(), &["commit", "-q", "-am", "partner, baselined"]);
    let out = iamlint(d.path())
        .args([
            "--diff",
            "main",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        found(&v).contains(&("IAM002".to_string(), "main.tf".to_string())),
        "{v}"
    );
    assert_eq!(out.status.code(), Some(1), "{v}");
    let gate = v["summary"]["diff"]["gate_changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no gate_changes: {v}"));
    assert!(
        gate.iter()
            .any(|g| g["file"] == "baseline.json" && g["change"] == "modified"),
        "{v}"
    );
}

/// A repository whose root approves its own service role, and a team directory with a partner
/// trust.
fn repo_with_team() -> tempfile::TempDir {
    let d = repo();
    write(
        d.path(),
        "main.tf",
        r#"resource "aws_iam_role" "svc" {
  name = "svc"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
"#,
    );
    iamlint(d.path())
        .args(["trusts", "--write"])
        .assert()
        .code(0);
    write(d.path(), "team/main.tf", PARTNER_ROLE);
    d
}

fn not_approved(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "IAM401")
        .map(|f| f["resource"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_nested_config_trusts_file_is_the_approval_file_of_the_roots_under_it() {
    let d = repo_with_team();
    write(
        d.path(),
        "team/.iamlint.yaml",
        "trusted_accounts: [\"999988887777\"]\ntrusts_file: team-trusts.yaml\n",
    );
    // Writing the approvals puts the team's trust in the team's file, not the root's.
    iamlint(d.path())
        .args(["trusts", "--write"])
        .assert()
        .code(0);
    let team = std::fs::read_to_string(d.path().join("team/team-trusts.yaml")).expect("team");
    assert!(team.contains("aws_iam_role.partner"), "{team}");
    let top = std::fs::read_to_string(d.path().join("iam-trusts.yaml")).expect("top");
    assert!(!top.contains("aws_iam_role.partner"), "{top}");
    assert!(top.contains("aws_iam_role.svc"), "{top}");
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(not_approved(&v).is_empty(), "{v}");
    // An entry removed from the team's file is a new trust again, reported against that file.
    write(
        d.path(),
        "team/team-trusts.yaml",
        "version: 1\ntrusts: []\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(not_approved(&v), vec!["aws_iam_role.partner"], "{v}");
    let msg = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "IAM401")
        .and_then(|f| f["message"].as_str())
        .unwrap_or("")
        .to_string();
    assert!(msg.contains("team-trusts.yaml"), "{msg}");
}

#[test]
fn a_nested_config_without_trusts_file_keeps_the_approval_file_above_it() {
    // An empty `.iamlint.yaml` in the team's directory must not take its roles out of the
    // repository's approval file.
    let d = repo_with_team();
    write(
        d.path(),
        "team/.iamlint.yaml",
        "trusted_accounts: [\"999988887777\"]\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(not_approved(&v), vec!["aws_iam_role.partner"], "{v}");
}

#[cfg(unix)]
#[test]
fn a_hostile_directory_name_cannot_break_the_markdown_table_or_the_sarif_uri() {
    let d = repo();
    let dir = "team x|y\n<img src=z>\u{1b}[31m";
    write(d.path(), &format!("{dir}/main.tf"), OPEN_ROLE);
    let out = iamlint(d.path())
        .args(["--format", "markdown"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&out.stdout);
    // The one finding is one table row, and nothing of the name is raw markup or control text.
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("IAM001"))
        .collect();
    assert_eq!(rows.len(), 1, "{md}");
    assert_eq!(rows[0].matches(" | ").count(), 4, "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(!md.contains('\u{1b}'), "{md}");
    assert!(
        md.lines()
            .all(|l| !l.starts_with("<img") && !l.starts_with("#L")),
        "{md}"
    );
    // SARIF locations are URI references (RFC 3986): the name is percent-encoded.
    let out = iamlint(d.path())
        .args(["--format", "sarif"])
        .output()
        .expect("run");
    let v = json(&out);
    let uri =
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("no uri: {v}"))
            .to_string();
    assert_eq!(uri, "team%20x%7Cy%0A%3Cimg%20src%3Dz%3E%1B%5B31m/main.tf");
}

#[test]
fn a_plan_named_on_the_command_line_is_read_whatever_its_name() {
    // `terraform show -json plan.out > tfplan`: one line, no `.json`.
    let d = repo();
    let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"AWS\":\"*\"}}]}"#;
    let plan = format!(
        r#"{{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{{"root_module":{{"resources":[{{"address":"aws_iam_role.a","mode":"managed","type":"aws_iam_role","name":"a","values":{{"name":"a","assume_role_policy":"{policy}"}}}}]}}}},"resource_changes":[]}}"#
    );
    write(d.path(), "tfplan", &plan);
    let out = iamlint(d.path())
        .args(["tfplan", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        found(&v).contains(&("IAM001".to_string(), "tfplan".to_string())),
        "{v}"
    );
    assert_eq!(out.status.code(), Some(1));
    // A CloudFormation template named `stack.cfn` is read by content too.
    let d = repo();
    write(
        d.path(),
        "stack.cfn",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRole\n            Principal: {AWS: '*'}\n",
    );
    let out = iamlint(d.path())
        .args(["stack.cfn", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        found(&v).contains(&("IAM001".to_string(), "stack.cfn".to_string())),
        "{v}"
    );
    // A README that pre-commit passes is not sniffed, even with a template in it.
    write(
        d.path(),
        "README.md",
        "Resources: `AWS::IAM::Role` is {not: [yaml\n- x: : y\n",
    );
    iamlint(d.path())
        .args(["README.md", "--format", "json"])
        .assert()
        .code(0);
}

#[test]
fn init_trusts_and_roles_accept_a_config_that_names_rules() {
    // A config that disables or re-rates rules is valid for every command, not only for the
    // check: `init --force` reads the existing config, and `--config` applies it as given.
    let d = repo();
    write(d.path(), "main.tf", PARTNER_ROLE);
    write(
        d.path(),
        ".iamlint.yaml",
        "disable: [IAM008]\nrules:\n  IAM002: {severity: medium}\n",
    );
    iamlint(d.path())
        .args(["init", "--write-trusts", "--force"])
        .assert()
        .code(0);
    write(d.path(), ".iamlint.yaml", "disable: [IAM008]\n");
    for args in [
        &["trusts", "--check", "--config", ".iamlint.yaml"][..],
        &["trusts", "--config", ".iamlint.yaml"][..],
        &["roles", "--config", ".iamlint.yaml"][..],
    ] {
        let out = iamlint(d.path()).args(args).output().expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[cfg(unix)]
#[test]
fn configs_and_approval_files_found_in_the_repository_cannot_read_outside_it() {
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = "SECRET_TOKEN=abc123notforlogs";
    write(outside.path(), "secret.yaml", &format!("{secret}\n"));
    let target = outside.path().join("secret.yaml");
    let check = |d: &Path, what: &str| {
        for format in ["human", "json"] {
            let out = iamlint(d).args(["--format", format]).output().expect("run");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!all.contains("abc123notforlogs"), "{what}: {all}");
            assert!(all.contains("outside the repository"), "{what}: {all}");
            assert_eq!(out.status.code(), Some(2), "{what}: {all}");
        }
    };
    // The approval file as a link out of the repository.
    let d = repo();
    write(d.path(), "main.tf", PARTNER_ROLE);
    std::os::unix::fs::symlink(&target, d.path().join("iam-trusts.yaml")).expect("symlink");
    check(d.path(), "iam-trusts.yaml link");
    // A nested config as a link out of the repository.
    let d = repo();
    write(d.path(), "team/main.tf", PARTNER_ROLE);
    std::os::unix::fs::symlink(&target, d.path().join("team/.iamlint.yaml")).expect("symlink");
    check(d.path(), "nested config link");
    // The top-level config as a link out of the repository.
    let d = repo();
    write(d.path(), "main.tf", PARTNER_ROLE);
    std::os::unix::fs::symlink(&target, d.path().join(".iamlint.yaml")).expect("symlink");
    check(d.path(), "config link");
    // A nested config whose trusts_file climbs out of the repository.
    let d = repo();
    write(d.path(), "team/main.tf", PARTNER_ROLE);
    let climb = format!(
        "trusts_file: {}\n",
        Path::new("../..")
            .join(target.strip_prefix("/").expect("absolute"))
            .display()
    );
    let up = "../".repeat(d.path().components().count() + 2);
    write(
        d.path(),
        "team/.iamlint.yaml",
        &climb.replace("../..", up.trim_end_matches('/')),
    );
    check(d.path(), "trusts_file outside");
    // A rule file of the config's rules directory as a link out of the repository.
    let d = repo();
    write(d.path(), "main.tf", PARTNER_ROLE);
    write(d.path(), ".iamlint.yaml", "rules_dirs: [team-rules]\n");
    std::fs::create_dir_all(d.path().join("team-rules")).expect("mkdir");
    std::os::unix::fs::symlink(&target, d.path().join("team-rules/x.yaml")).expect("symlink");
    check(d.path(), "rule file link");
}

#[cfg(unix)]
#[test]
fn a_link_to_a_directory_the_walk_reaches_anyway_is_not_checked_twice() {
    // `envs/prod/shared -> ../../shared` is a common layout: the shared directory is checked
    // where it is, not a second time through the link.
    let d = repo();
    write(d.path(), "shared/main.tf", OPEN_ROLE);
    write(d.path(), "envs/prod/main.tf", "");
    std::os::unix::fs::symlink("../../shared", d.path().join("envs/prod/shared")).expect("symlink");
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let open: Vec<(String, String)> = found(&v)
        .into_iter()
        .filter(|(r, _)| r == "IAM001")
        .collect();
    assert_eq!(
        open,
        vec![("IAM001".to_string(), "shared/main.tf".to_string())],
        "{v}"
    );
    // One role, one root: no second trust edge for the approval file to demand.
    let out = iamlint(d.path())
        .args(["roles", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let roots: Vec<&str> = v["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["root"].as_str())
        .collect();
    assert_eq!(roots, vec!["shared"], "{v}");
}

#[cfg(unix)]
#[test]
fn no_report_starts_a_line_with_text_from_the_code() {
    // A line that starts with `::` is a GitHub workflow command when a report goes to the log
    // (`::stop-commands::`, `::error ...::`): a name from the code must never begin a line.
    let d = repo();
    let dir = "x\n::error file=a,line=1::forged\r::add-mask::y";
    write(d.path(), &format!("{dir}/main.tf"), OPEN_ROLE);
    for format in [
        "human", "concise", "github", "junit", "markdown", "json", "sarif",
    ] {
        let out = iamlint(d.path())
            .args(["--format", format])
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.split(['\n', '\r'])
                .all(|l| !l.starts_with("::error file=a") && !l.starts_with("::add-mask::")),
            "{format}: {text}"
        );
    }
}

#[test]
fn diff_lists_a_changed_rule_file_of_the_config() {
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/IAM001-any-principal.yaml"),
    )
    .expect("rule");
    let custom =
        builtin[..builtin.find("examples:").expect("examples")].replace("id: IAM001", "id: ORG001");
    let d = repo_at_main();
    git(d.path(), &["checkout", "-q", "main"]);
    write(d.path(), ".iamlint.yaml", "rules_dirs: [policy]\n");
    write(d.path(), "policy/org001.yaml", &custom);
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-q", "-m", "custom rule"]);
    git(d.path(), &["checkout", "-q", "change"]);
    git(d.path(), &["merge", "-q", "main"]);
    // The change makes the custom rule an info.
    write(
        d.path(),
        "policy/org001.yaml",
        &custom.replace("severity: critical", "severity: info"),
    );
    git(d.path(), &["commit", "-q", "-am", "quieter"]);
    let out = iamlint(d.path())
        .args(["--diff", "main", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let gate = v["summary"]["diff"]["gate_changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no gate_changes: {v}"));
    assert!(
        gate.iter()
            .any(|g| g["file"] == "policy/org001.yaml" && g["change"] == "modified"),
        "{v}"
    );
}

#[test]
fn a_file_named_from_a_subdirectory_is_shown_as_typed() {
    let d = repo();
    write(d.path(), "sub/main.tf", OPEN_ROLE);
    let out = iamlint(&d.path().join("sub"))
        .args(["main.tf", "--format", "concise"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("main.tf:5:"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn trusts_check_runs_with_only_a_nested_approval_file() {
    let d = repo();
    write(d.path(), "team/main.tf", PARTNER_ROLE);
    write(
        d.path(),
        "team/.iamlint.yaml",
        "trusts_file: team-trusts.yaml\n",
    );
    iamlint(d.path())
        .args(["trusts", "--write"])
        .assert()
        .code(0);
    assert!(d.path().join("team/team-trusts.yaml").exists());
    assert!(!d.path().join("iam-trusts.yaml").exists());
    iamlint(d.path())
        .args(["trusts", "--check"])
        .assert()
        .code(0);
    write(
        d.path(),
        "team/team-trusts.yaml",
        "version: 1\ntrusts: []\n",
    );
    iamlint(d.path())
        .args(["trusts", "--check"])
        .assert()
        .code(1);
}

#[test]
fn a_nested_config_does_not_turn_off_the_approval_check_for_callers_outside_it() {
    // The principal is written in the shared module, so the approval finding points there; the
    // role is still the caller's, and the module's config does not govern it.
    let d = repo();
    write(
        d.path(),
        "envs/prod/main.tf",
        "module \"r\" {\n  source = \"../../modules/role\"\n}\n",
    );
    write(d.path(), "modules/role/main.tf", PARTNER_ROLE);
    write(d.path(), "iam-trusts.yaml", "version: 1\ntrusts: []\n");
    write(
        d.path(),
        "modules/role/.iamlint.yaml",
        "disable: [IAM401, IAM002, IAM003]\n",
    );
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        not_approved(&v).contains(&"module.r.aws_iam_role.partner".to_string()),
        "{v}"
    );
}
