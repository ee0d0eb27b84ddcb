//! `iamlint rules test DIR...`: every example of every rule file runs through the pipeline; a line
//! per example, a summary, exit 0 when all behave, 1 on a failure (naming the rule, the example
//! and what was found instead), 2 on a rule that does not load (file:line:col).

use assert_cmd::Command;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let out = iamlint(dir).args(args).output().expect("run");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const STAR_TF: &str = r#"      resource "aws_iam_role" "x" {
        name = "x"
        assume_role_policy = jsonencode({
          Version = "2012-10-17"
          Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "sts:AssumeRole" }]
        })
      }
"#;

const LAMBDA_TF: &str = r#"      resource "aws_iam_role" "x" {
        name = "x"
        assume_role_policy = jsonencode({
          Version = "2012-10-17"
          Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
        })
      }
"#;

const STAR_CFN: &str = r#"      Resources:
        X:
          Type: AWS::IAM::Role
          Properties:
            AssumeRolePolicyDocument:
              Version: "2012-10-17"
              Statement:
                - Effect: Allow
                  Principal: {AWS: "*"}
                  Action: sts:AssumeRole
"#;

/// A rule file `id` whose examples are (name, expect, terraform text).
fn rule(id: &str, extra: &str, examples: &[(&str, &str, &str)]) -> String {
    let mut s = format!(
        "id: {id}\ntitle: Every principal\nseverity: high\nscope: trust_principal\n\
         match: {{principal: [any]}}\nmessage: \"{{role}} trusts every principal\"\n\
         description: {{what: a, why: b, fix: c}}\n{extra}examples:\n"
    );
    for (name, expect, tf) in examples {
        s.push_str(&format!(
            "  - name: {name}\n    expect: {expect}\n    terraform: |\n{tf}"
        ));
    }
    s
}

#[test]
fn a_passing_directory_exits_0_with_a_line_per_example() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = rule(
        "ACME001",
        // Off by default: `rules test` still runs it.
        "enabled_by_default: false\n",
        &[
            ("every principal", "bad", STAR_TF),
            ("a service", "good", LAMBDA_TF),
        ],
    );
    text.push_str(&format!(
        "  - name: every principal, CloudFormation\n    expect: bad\n    cloudformation: |\n{STAR_CFN}"
    ));
    write(dir.path(), "rules/ACME001.yaml", &text);
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "ok   ACME001  every principal (terraform)\n\
         ok   ACME001  a service (terraform)\n\
         ok   ACME001  every principal, CloudFormation (cloudformation)\n\
         rules test: 1 rule, 3 examples: 3 ok, 0 failed\n"
    );
}

#[test]
fn a_bad_example_that_does_not_fire_exits_1_and_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "rules/ACME002.yaml",
        &rule(
            "ACME002",
            "",
            &[
                ("every principal", "bad", STAR_TF),
                ("lambda is not every principal", "bad", LAMBDA_TF),
                ("a service", "good", LAMBDA_TF),
            ],
        ),
    );
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("ok   ACME002  every principal (terraform)\n")
    );
    assert!(
        r.stdout.contains(
            "FAIL ACME002  lambda is not every principal (terraform): expected a finding of \
             ACME002, got none (no finding at all) [rules/ACME002.yaml]\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .ends_with("rules test: 1 rule, 3 examples: 2 ok, 1 failed\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_good_example_that_fires_exits_1_with_the_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "rules/ACME003.yaml",
        &rule(
            "ACME003",
            "",
            &[
                ("every principal", "bad", STAR_TF),
                ("wrongly called good", "good", STAR_TF),
            ],
        ),
    );
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "FAIL ACME003  wrongly called good (terraform): expected no finding of ACME003, got: \
             main.tf:5:"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("aws_iam_role.x (x) trusts every principal"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_malformed_rule_exits_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = rule("ACME004", "", &[("every principal", "bad", STAR_TF)])
        .replace("severity: high", "severity: severe");
    write(dir.path(), "rules/ACME004.yaml", &text);
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("rules/ACME004.yaml:3:11: ")
            && r.stderr.contains("unknown variant `severe`"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_rule_without_a_good_example_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "rules/ACME005.yaml",
        &rule("ACME005", "", &[("every principal", "bad", STAR_TF)]),
    );
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "FAIL ACME005  no good example (a rule needs at least one bad and one good one) \
             [rules/ACME005.yaml]\n"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn an_example_that_does_not_parse_fails_even_when_good() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "rules/ACME006.yaml",
        &rule(
            "ACME006",
            "",
            &[
                ("every principal", "bad", STAR_TF),
                ("broken HCL", "good", "      resource \"aws_iam_role\" {\n"),
            ],
        ),
    );
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "FAIL ACME006  broken HCL (terraform): the example did not run cleanly: main.tf:"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn example_files_stay_inside_the_example() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = rule("ACME007", "", &[("every principal", "bad", STAR_TF)]);
    text.push_str(&format!(
        "  - name: escapes\n    expect: good\n    terraform: |\n{LAMBDA_TF}    files:\n      \
         ../outside.tf: \"# no\"\n"
    ));
    write(dir.path(), "rules/ACME007.yaml", &text);
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "FAIL ACME007  escapes (terraform): files: `../outside.tf` must be a relative path \
             inside the example's directory"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn the_examples_config_and_files_are_used() {
    // A rule on trusted accounts: the bad example trusts an account its config lists, from a
    // local module given under `files`.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = r#"id: ACME008
title: A trusted account
severity: low
scope: trust_principal
match: {relation: [trusted]}
message: "{role} trusts {account}"
description: {what: a, why: b, fix: c}
examples:
  - name: a trusted account through a module
    expect: bad
    config: |
      trusted_accounts: {"111122223333": tools}
    terraform: |
      module "r" {
        source = "./modules/role"
      }
    files:
      modules/role/main.tf: |
        resource "aws_iam_role" "x" {
          name = "x"
          assume_role_policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "sts:AssumeRole" }]
          })
        }
  - name: the same account, not trusted
    expect: good
    terraform: |
      module "r" {
        source = "./modules/role"
      }
    files:
      modules/role/main.tf: |
        resource "aws_iam_role" "x" {
          name = "x"
          assume_role_policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "sts:AssumeRole" }]
          })
        }
"#;
    write(dir.path(), "rules/ACME008.yaml", text);
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("ok   ACME008  a trusted account through a module (terraform)\n")
    );
}

#[test]
fn a_custom_rule_replaces_the_built_in_of_its_id_when_tested() {
    // IAM001 narrowed to nothing: its bad example no longer fires, and the built-in IAM001 does
    // not answer for it.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = rule(
        "IAM001",
        "",
        &[
            ("every principal", "bad", LAMBDA_TF),
            ("star", "good", STAR_TF),
        ],
    )
    .replace("principal: [any]", "principal: [canonical_user]");
    write(dir.path(), "rules/IAM001.yaml", &text);
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "FAIL IAM001  every principal (terraform): expected a finding of IAM001, got none"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("ok   IAM001  star (terraform)\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn without_directories_it_tests_the_configured_ones_or_says_what_to_give() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = run(dir.path(), &["rules", "test"]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no rules to test"), "{}", r.stderr);

    write(
        dir.path(),
        "team-rules/ACME009.yaml",
        &rule(
            "ACME009",
            "",
            &[
                ("every principal", "bad", STAR_TF),
                ("a service", "good", LAMBDA_TF),
            ],
        ),
    );
    write(dir.path(), ".iamlint.yaml", "rules_dirs: [team-rules]\n");
    let r = run(dir.path(), &["rules", "test"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("ok   ACME009  a service (terraform)\n"),
        "{}",
        r.stdout
    );

    std::fs::remove_file(dir.path().join(".iamlint.yaml")).expect("rm");
    let r = run(dir.path(), &["rules", "test", "--rules", "team-rules"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ACME009"), "{}", r.stdout);
}

#[test]
fn an_empty_directory_is_not_a_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
    let r = run(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no rule files"), "{}", r.stderr);
}

#[test]
fn builtin_tests_the_built_in_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = run(dir.path(), &["rules", "test", "--builtin"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("ok   IAM003  Datadog without an external id (terraform)\n"),
        "{}",
        r.stdout
    );
    let last = r.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("rules test: ") && last.ends_with(" 0 failed"),
        "{last}"
    );
}

#[test]
fn an_off_by_default_rule_stays_off_in_a_check() {
    // `rules test` enables the rule under test; a plain check does not (IAM017 is off by
    // default, and its BoolIfExists example fires only when enabled).
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "template.yaml",
        "Resources:\n  Admin:\n    Type: AWS::IAM::Role\n    Properties:\n      \
         AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          \
         - Effect: Allow\n            Principal: {AWS: \"arn:aws:iam::111122223333:root\"}\n            \
         Action: sts:AssumeRole\n            Condition:\n              BoolIfExists: \
         {aws:MultiFactorAuthPresent: \"true\"}\n",
    );
    let out = iamlint(dir.path())
        .args(["--format", "json", "."])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"IAM002\""), "the template is read: {text}");
    assert!(!text.contains("\"IAM017\""), "{text}");
    write(dir.path(), ".iamlint.yaml", "enable: [IAM017]\n");
    let out = iamlint(dir.path())
        .args(["--format", "json", "."])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"IAM017\""));
}
