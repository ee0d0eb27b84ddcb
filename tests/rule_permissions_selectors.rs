//! The permission selectors of custom rules (`can`, `has_boundary`, `max_session_duration_over`)
//! and the `{action}` placeholder, run through the whole pipeline with a rules directory of
//! their own, on Terraform and CloudFormation.

use iamlint::config;
use iamlint::rules::{self, engine::Finding};
use iamlint::run::{self, Options};

/// Runs the one rule `rule` (YAML text, loaded from a rules directory) over `files`.
fn run_rule(rule: &str, files: &[(&str, &str)]) -> Vec<Finding> {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules_dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(rules_dir.path().join("T1.yaml"), rule).expect("write rule");
    for (name, text) in files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write file");
    }
    let rules = rules::load_dir(rules_dir.path()).expect("the rule loads");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let outcome = run::check(&opts, &config::Config::default(), &rules).expect("run");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .findings
        .into_iter()
        .filter(|f| f.rule == "T1")
        .collect()
}

fn rule(scope: &str, matcher: &str, message: &str) -> String {
    format!(
        "id: T1\ntitle: test\nseverity: high\nscope: {scope}\nmatch:\n{matcher}\nmessage: \"{message}\"\ndescription:\n  what: a\n  why: b\n  fix: c\n"
    )
}

fn can(actions: &str, resources: Option<&str>) -> String {
    let matcher = match resources {
        Some(r) => format!("  can:\n    actions: {actions}\n    resources: {r}"),
        None => format!("  can:\n    actions: {actions}"),
    };
    rule("role", &matcher, "{role} can {action}: {detail}")
}

fn not_can(actions: &str) -> String {
    rule(
        "role",
        &format!("  not:\n    can:\n      actions: {actions}"),
        "{role} cannot {action}",
    )
}

/// A Terraform role with an inline policy (aws_iam_role_policy) of these statements (HCL
/// object list items), and extra attributes for the role.
fn tf_role(statements: &str, role_attrs: &str) -> String {
    format!(
        r#"resource "aws_iam_role" "app" {{
  name = "app"
  {role_attrs}
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "lambda.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_iam_role_policy" "p" {{
  role = aws_iam_role.app.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{statements}]
  }})
}}
"#
    )
}

fn cfn_role(statements: &str, props: &str) -> String {
    format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
{props}      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
{statements}"#
    )
}

const S3_ALL_TF: &str = r#"{ Sid = "S3All", Effect = "Allow", Action = "s3:*", Resource = "*" }"#;

fn labels(f: &Finding) -> String {
    f.labels
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn can_through_an_inline_policy_terraform() {
    let found = run_rule(
        &can("[s3:DeleteBucket]", None),
        &[("main.tf", &tf_role(S3_ALL_TF, ""))],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert!(
        f.message
            .contains("can s3:DeleteBucket (granted by `s3:*`)"),
        "{}",
        f.message
    );
    assert!(f.message.contains("S3All"), "{}", f.message);
    assert!(
        labels(f).contains("allows s3:DeleteBucket"),
        "{}",
        labels(f)
    );
}

#[test]
fn can_through_an_inline_policy_cloudformation() {
    let st = "              - Sid: S3All\n                Effect: Allow\n                Action: s3:*\n                Resource: '*'\n";
    let found = run_rule(
        &can("[s3:DeleteBucket]", None),
        &[("template.yaml", &cfn_role(st, ""))],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("s3:DeleteBucket"),
        "{}",
        found[0].message
    );
}

#[test]
fn can_through_a_customer_managed_policy() {
    let tf = r#"resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_policy" "cleanup" {
  name = "cleanup"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Cleanup", Effect = "Allow", Action = ["s3:Delete*"], Resource = "*" }]
  })
}

resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.cleanup.arn
}
"#;
    let found = run_rule(&can("[s3:DeleteBucket]", None), &[("main.tf", tf)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .message
            .contains("s3:DeleteBucket (granted by `s3:Delete*`)"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].message.contains("aws_iam_policy.cleanup"),
        "{}",
        found[0].message
    );
}

#[test]
fn can_through_an_aws_managed_policy() {
    let tf = r#"resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]
}
"#;
    let found = run_rule(&can("[s3:DeleteBucket]", None), &[("main.tf", tf)]);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert!(f.message.contains("AmazonS3FullAccess"), "{}", f.message);
    assert!(labels(f).contains("AmazonS3FullAccess"), "{}", labels(f));

    let cfn = cfn_role(
        "              - Effect: Allow\n                Action: sqs:SendMessage\n                Resource: '*'\n",
        "      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/AmazonS3FullAccess\n",
    );
    let found = run_rule(&can("[s3:DeleteBucket]", None), &[("template.yaml", &cfn)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("AmazonS3FullAccess"),
        "{}",
        found[0].message
    );
    // A read-only managed policy does not grant it.
    let ro = cfn.replace("AmazonS3FullAccess", "AmazonS3ReadOnlyAccess");
    assert!(run_rule(&can("[s3:DeleteBucket]", None), &[("template.yaml", &ro)]).is_empty());
}

#[test]
fn a_rule_pattern_matches_a_narrower_statement_action() {
    let st =
        r#"{ Effect = "Allow", Action = "s3:DeleteObject", Resource = "arn:aws:s3:::logs/*" }"#;
    let found = run_rule(
        &can("[\"s3:Delete*\"]", None),
        &[("main.tf", &tf_role(st, ""))],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("can s3:DeleteObject:"),
        "{}",
        found[0].message
    );
    // A statement of another service does not.
    let other = r#"{ Effect = "Allow", Action = "sqs:DeleteQueue", Resource = "*" }"#;
    assert!(
        run_rule(
            &can("[\"s3:Delete*\"]", None),
            &[("main.tf", &tf_role(other, ""))]
        )
        .is_empty()
    );
}

#[test]
fn a_deny_that_certainly_covers_removes_the_grant() {
    let st = format!(
        r#"{S3_ALL_TF}, {{ Effect = "Deny", Action = "s3:DeleteBucket", Resource = "*" }}"#
    );
    assert!(
        run_rule(
            &can("[s3:DeleteBucket]", None),
            &[("main.tf", &tf_role(&st, ""))]
        )
        .is_empty()
    );
    // A Deny under a condition does not certainly apply.
    let cond = format!(
        r#"{S3_ALL_TF}, {{ Effect = "Deny", Action = "s3:DeleteBucket", Resource = "*", Condition = {{ Bool = {{ "aws:MultiFactorAuthPresent" = "false" }} }} }}"#
    );
    assert_eq!(
        run_rule(
            &can("[s3:DeleteBucket]", None),
            &[("main.tf", &tf_role(&cond, ""))]
        )
        .len(),
        1
    );
    // A Deny of other resources leaves the rest.
    let narrow = format!(
        r#"{S3_ALL_TF}, {{ Effect = "Deny", Action = "s3:*", Resource = "arn:aws:s3:::prod-*" }}"#
    );
    assert_eq!(
        run_rule(
            &can("[s3:DeleteBucket]", None),
            &[("main.tf", &tf_role(&narrow, ""))]
        )
        .len(),
        1
    );
    assert!(
        run_rule(
            &can("[s3:DeleteBucket]", Some("[\"arn:aws:s3:::prod-data\"]")),
            &[("main.tf", &tf_role(&narrow, ""))]
        )
        .is_empty()
    );
}

#[test]
fn a_permissions_boundary_that_does_not_allow_it_removes_the_grant() {
    let ro = r#"permissions_boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess""#;
    assert!(
        run_rule(
            &can("[s3:DeleteBucket]", None),
            &[("main.tf", &tf_role(S3_ALL_TF, ro))]
        )
        .is_empty()
    );
    // A boundary that allows it lets the grant through.
    let full = r#"permissions_boundary = "arn:aws:iam::aws:policy/AmazonS3FullAccess""#;
    assert_eq!(
        run_rule(
            &can("[s3:DeleteBucket]", None),
            &[("main.tf", &tf_role(S3_ALL_TF, full))]
        )
        .len(),
        1
    );
    // A boundary written in the template caps the role too.
    let cfn = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ["s3:Get*", "s3:List*"]
            Resource: "*"
  App:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: !Ref Boundary
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:*
                Resource: "*"
"#;
    assert!(run_rule(&can("[s3:DeleteBucket]", None), &[("template.yaml", cfn)]).is_empty());
    assert_eq!(
        run_rule(&can("[s3:GetObject]", None), &[("template.yaml", cfn)]).len(),
        1
    );
}

#[test]
fn resource_patterns_must_overlap() {
    let st =
        r#"{ Effect = "Allow", Action = "s3:DeleteBucket", Resource = "arn:aws:s3:::prod-*" }"#;
    let tf = tf_role(st, "");
    for (pattern, expected) in [
        ("arn:aws:s3:::prod-logs", 1),
        ("arn:aws:s3:::*-logs", 1),
        ("arn:aws:s3:::pr?d-*", 1),
        ("arn:aws:s3:::dev-*", 0),
        ("arn:aws:s3:::prod", 0),
    ] {
        let found = run_rule(
            &can("[s3:DeleteBucket]", Some(&format!("[\"{pattern}\"]"))),
            &[("main.tf", &tf)],
        );
        assert_eq!(found.len(), expected, "{pattern}: {found:?}");
    }
}

#[test]
fn not_action_grants_what_it_does_not_exclude() {
    let st = r#"{ Effect = "Allow", NotAction = ["iam:*", "organizations:*"], Resource = "*" }"#;
    let tf = tf_role(st, "");
    let found = run_rule(&can("[s3:DeleteBucket]", None), &[("main.tf", &tf)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("NotAction"),
        "{}",
        found[0].message
    );
    assert!(run_rule(&can("[iam:CreateUser]", None), &[("main.tf", &tf)]).is_empty());
}

#[test]
fn a_conditional_allow_counts_under_conditions() {
    let st = r#"{ Effect = "Allow", Action = "s3:DeleteBucket", Resource = "*", Condition = { StringEquals = { "aws:RequestedRegion" = "eu-west-1" } } }"#;
    let found = run_rule(
        &can("[s3:DeleteBucket]", None),
        &[("main.tf", &tf_role(st, ""))],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("under conditions"),
        "{}",
        found[0].message
    );
}

#[test]
fn an_unknown_policy_is_undecided() {
    let tf = r#"variable "policy_json" {}

resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.app.id
  policy = var.policy_json
}
"#;
    assert!(run_rule(&can("[s3:DeleteBucket]", None), &[("main.tf", tf)]).is_empty());
    let found = run_rule(&not_can("[s3:DeleteBucket]"), &[("main.tf", tf)]);
    assert_eq!(found.len(), 1, "{found:?}");
    let notes = found[0].notes.join("\n");
    assert!(notes.contains("could not decide `can`"), "{notes}");
    assert!(notes.contains("var.policy_json"), "{notes}");

    // A managed policy ARN that is not in the catalog is unknown too.
    let cfn = cfn_role(
        "              - Effect: Allow\n                Action: sqs:SendMessage\n                Resource: '*'\n",
        "      ManagedPolicyArns:\n        - arn:aws:iam::123456789012:policy/Cleanup\n",
    );
    assert!(run_rule(&can("[s3:DeleteBucket]", None), &[("template.yaml", &cfn)]).is_empty());
    let found = run_rule(&not_can("[s3:DeleteBucket]"), &[("template.yaml", &cfn)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].notes.join("\n").contains("policy/Cleanup"),
        "{:?}",
        found[0].notes
    );
}

#[test]
fn a_known_grant_holds_despite_unknown_parts() {
    let tf = r#"variable "policy_json" {}

resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.app.id
  policy = var.policy_json
}

resource "aws_iam_role_policy" "q" {
  role   = aws_iam_role.app.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
  })
}
"#;
    assert_eq!(
        run_rule(&can("[s3:DeleteBucket]", None), &[("main.tf", tf)]).len(),
        1
    );
    assert!(run_rule(&not_can("[s3:DeleteBucket]"), &[("main.tf", tf)]).is_empty());
}

#[test]
fn the_action_placeholder_in_role_permission_and_severity_by() {
    let r = r#"id: T1
title: test
severity: low
scope: role_permission
match:
  can:
    actions: ["iam:PassRole"]
severity_by:
  - when: {has_boundary: false}
    severity: critical
message: "{role} grants {permission}; it can {action}"
description:
  what: a
  why: b
  fix: c
"#;
    let st = r#"{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }"#;
    let found = run_rule(r, &[("main.tf", &tf_role(st, ""))]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.ends_with("it can iam:PassRole"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].severity, rules::Severity::Critical);
}

#[test]
fn selectors_in_scopes_without_a_role_permission_are_rejected() {
    let r = rule(
        "trust_principal",
        "  can:\n    actions: [s3:DeleteBucket]",
        "x",
    );
    let err = rules::parse_rule(&r, "T1.yaml").expect_err("can in trust_principal");
    assert!(
        err.message.contains(
            "`can` applies to role, role_permission; this rule's scope is trust_principal"
        ),
        "{err}"
    );
    // In the role scopes they load, and `{action}` is filled in.
    for scope in ["role", "role_permission"] {
        let r = rule(
            scope,
            "  all:\n    - can:\n        actions: [\"s3:Delete*\"]\n        resources: [\"arn:aws:s3:::prod-*\"]\n    - has_boundary: false\n    - max_session_duration_over: 3600",
            "{role} can {action}",
        );
        if let Err(e) = rules::parse_rule(&r, "T1.yaml") {
            panic!("{scope}: {e}");
        }
    }
    let r = rule("policy_statement", "  has_boundary: true", "x {action}");
    assert!(rules::parse_rule(&r, "T1.yaml").is_err());
    // `{action}` is not filled in a statement scope.
    let r = rule("policy_statement", "  effect: Allow", "x {action}");
    assert!(rules::parse_rule(&r, "T1.yaml").is_err());
    // An action that is not `service:Action` is a load error.
    let r = rule("role", "  can:\n    actions: [DeleteBucket]", "x");
    assert!(rules::parse_rule(&r, "T1.yaml").is_err());
}

#[test]
fn has_boundary_both_ways_and_unknown() {
    let yes = rule("role", "  has_boundary: true", "{role} has a boundary");
    let no = rule("role", "  has_boundary: false", "{role} has no boundary");
    let with = tf_role(
        S3_ALL_TF,
        r#"permissions_boundary = "arn:aws:iam::123456789012:policy/Boundary""#,
    );
    let without = tf_role(S3_ALL_TF, "");
    assert_eq!(run_rule(&yes, &[("main.tf", &with)]).len(), 1);
    assert!(run_rule(&no, &[("main.tf", &with)]).is_empty());
    assert!(run_rule(&yes, &[("main.tf", &without)]).is_empty());
    assert_eq!(run_rule(&no, &[("main.tf", &without)]).len(), 1);
    // An unknown ARN is still a boundary.
    let unknown = format!(
        "variable \"boundary_arn\" {{\n  type = string\n}}\n{}",
        tf_role(S3_ALL_TF, "permissions_boundary = var.boundary_arn")
    );
    assert_eq!(run_rule(&yes, &[("main.tf", &unknown)]).len(), 1);
    assert!(run_rule(&no, &[("main.tf", &unknown)]).is_empty());
    // A boundary that is null only by a variable's default may be set by the module's callers:
    // undecided; under `not`, the finding says so.
    let maybe = format!(
        "variable \"boundary_arn\" {{\n  type    = string\n  default = null\n}}\n{}",
        tf_role(S3_ALL_TF, "permissions_boundary = var.boundary_arn")
    );
    assert!(run_rule(&yes, &[("main.tf", &maybe)]).is_empty());
    assert!(run_rule(&no, &[("main.tf", &maybe)]).is_empty());
    let not_yes = rule(
        "role",
        "  not:\n    has_boundary: true",
        "{role} has no boundary",
    );
    let found = run_rule(&not_yes, &[("main.tf", &maybe)]);
    assert_eq!(found.len(), 1, "{found:?}");
    let notes = found[0].notes.join("\n");
    assert!(notes.contains("could not decide `has_boundary`"), "{notes}");
    assert!(notes.contains("var.boundary_arn"), "{notes}");

    // CloudFormation.
    let cfn_with = cfn_role(
        "              - Effect: Allow\n                Action: s3:*\n                Resource: '*'\n",
        "      PermissionsBoundary: arn:aws:iam::123456789012:policy/Boundary\n",
    );
    let cfn_without = cfn_role(
        "              - Effect: Allow\n                Action: s3:*\n                Resource: '*'\n",
        "",
    );
    assert_eq!(run_rule(&yes, &[("template.yaml", &cfn_with)]).len(), 1);
    assert_eq!(run_rule(&no, &[("template.yaml", &cfn_without)]).len(), 1);
    assert!(run_rule(&no, &[("template.yaml", &cfn_with)]).is_empty());
}

#[test]
fn max_session_duration_over_absent_given_and_unknown() {
    let over = |n: u32| {
        rule(
            "role",
            &format!("  max_session_duration_over: {n}"),
            "{role} sessions last too long",
        )
    };
    let absent = tf_role(S3_ALL_TF, "");
    // Absent: AWS's default of one hour.
    assert_eq!(run_rule(&over(3599), &[("main.tf", &absent)]).len(), 1);
    assert!(run_rule(&over(3600), &[("main.tf", &absent)]).is_empty());
    let given = tf_role(S3_ALL_TF, "max_session_duration = 43200");
    assert_eq!(run_rule(&over(3600), &[("main.tf", &given)]).len(), 1);
    assert!(run_rule(&over(43200), &[("main.tf", &given)]).is_empty());
    let unknown = format!(
        "variable \"hours\" {{\n  type = number\n}}\n{}",
        tf_role(S3_ALL_TF, "max_session_duration = var.hours * 3600")
    );
    assert!(run_rule(&over(3600), &[("main.tf", &unknown)]).is_empty());
    let not_over = rule(
        "role",
        "  not:\n    max_session_duration_over: 3600",
        "{role} ok",
    );
    let found = run_rule(&not_over, &[("main.tf", &unknown)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .notes
            .join("\n")
            .contains("could not decide `max_session_duration_over`"),
        "{:?}",
        found[0].notes
    );
    // CloudFormation.
    let cfn = cfn_role(
        "              - Effect: Allow\n                Action: s3:*\n                Resource: '*'\n",
        "      MaxSessionDuration: 7200\n",
    );
    assert_eq!(run_rule(&over(3600), &[("template.yaml", &cfn)]).len(), 1);
    assert!(run_rule(&over(7200), &[("template.yaml", &cfn)]).is_empty());
}

#[test]
fn an_unknown_boundary_limits_nothing_and_says_so() {
    let tf = format!(
        "variable \"boundary_arn\" {{\n  type = string\n}}\n{}",
        tf_role(S3_ALL_TF, "permissions_boundary = var.boundary_arn")
    );
    let found = run_rule(&can("[s3:DeleteBucket]", None), &[("main.tf", &tf)]);
    assert_eq!(found.len(), 1, "{found:?}");
    let notes = found[0].notes.join("\n");
    assert!(
        notes.contains("the permissions boundary `var.boundary_arn` is unknown"),
        "{notes}"
    );
}

#[test]
fn aws_managed_policies_against_resource_patterns() {
    let cfn = |arn: &str| {
        cfn_role(
            "              - Effect: Allow\n                Action: sqs:SendMessage\n                Resource: '*'\n",
            &format!("      ManagedPolicyArns:\n        - {arn}\n"),
        )
    };
    // AmazonS3FullAccess allows s3:* on `*`: every pattern is reached.
    let full = cfn("arn:aws:iam::aws:policy/AmazonS3FullAccess");
    let found = run_rule(
        &can("[s3:DeleteBucket]", Some("[\"arn:aws:s3:::prod-*\"]")),
        &[("template.yaml", &full)],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("on `arn:aws:s3:::prod-*`"),
        "{}",
        found[0].message
    );
    // AWSLambdaBasicExecutionRole allows logs:CreateLogStream on `*` but nothing of S3.
    let basic = cfn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
    assert!(
        run_rule(
            &can("[s3:DeleteBucket]", Some("[\"arn:aws:s3:::prod-*\"]")),
            &[("template.yaml", &basic)]
        )
        .is_empty()
    );
    assert_eq!(
        run_rule(
            &can("[\"logs:Create*\"]", None),
            &[("template.yaml", &basic)]
        )
        .len(),
        1
    );
}

#[test]
fn not_resource_reaches_what_it_does_not_exclude() {
    let st =
        r#"{ Effect = "Allow", Action = "s3:DeleteBucket", NotResource = "arn:aws:s3:::prod-*" }"#;
    let tf = tf_role(st, "");
    let found = run_rule(&can("[s3:DeleteBucket]", None), &[("main.tf", &tf)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .message
            .contains("on every resource but its NotResource"),
        "{}",
        found[0].message
    );
    assert_eq!(
        run_rule(
            &can("[s3:DeleteBucket]", Some("[\"arn:aws:s3:::dev-*\"]")),
            &[("main.tf", &tf)]
        )
        .len(),
        1
    );
    assert!(
        run_rule(
            &can("[s3:DeleteBucket]", Some("[\"arn:aws:s3:::prod-logs\"]")),
            &[("main.tf", &tf)]
        )
        .is_empty()
    );
}
