//! IAM semantics that decide whether a finding is real (issue 10, points 7 to 14): permissions
//! boundaries, AWS service-role policies, resource ARN spaces, single dangerous actions, access
//! levels, condition grammar, federation subjects and noise. Each case is a small Terraform or
//! CloudFormation file written from AWS's documented behaviour, run through the whole pipeline.

use iamlint::config;
use iamlint::rules;
use iamlint::run::{self, Options};

/// The findings of one file, as `RULE message` lines.
fn findings(file: &str, text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(file), text).expect("write");
    let rules = rules::builtin().expect("built-in rules");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let o = run::check(&opts, &config::Config::default(), &rules).expect("run");
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    o.findings
        .iter()
        .map(|f| format!("{} {} {}", f.rule, f.severity.as_str(), f.message))
        .collect()
}

fn tf(text: &str) -> Vec<String> {
    findings("main.tf", text)
}

fn cfn(text: &str) -> Vec<String> {
    findings("template.yaml", text)
}

fn has(found: &[String], rule: &str) -> bool {
    found.iter().any(|f| f.starts_with(&format!("{rule} ")))
}

fn count(found: &[String], rule: &str) -> usize {
    found
        .iter()
        .filter(|f| f.starts_with(&format!("{rule} ")))
        .count()
}

/// A Terraform role trusted by `service`, with `statements` as its inline policy and `extra`
/// attributes in the role block.
fn tf_role(service: &str, statements: &str, extra: &str) -> String {
    format!(
        r#"
resource "aws_iam_role" "r" {{
  name = "r"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "{service}" }}, Action = "sts:AssumeRole" }}]
  }})
  {extra}
}}
resource "aws_iam_role_policy" "p" {{
  role = aws_iam_role.r.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{statements}]
  }})
}}
"#
    )
}

// ---- 7. Permissions boundaries cap permissions ------------------------------------------------

const IAM_STAR: &str = r#"{ Effect = "Allow", Action = "iam:*", Resource = "*" }"#;

fn with_code_boundary(boundary_actions: &str) -> String {
    format!(
        r#"{}
resource "aws_iam_policy" "boundary" {{
  name = "boundary"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = {boundary_actions}, Resource = "*" }}]
  }})
}}
"#,
        tf_role(
            "ec2.amazonaws.com",
            IAM_STAR,
            "permissions_boundary = aws_iam_policy.boundary.arn"
        )
    )
}

#[test]
fn a_customer_managed_boundary_in_the_code_caps_terraform_permissions() {
    // The effective permissions are the intersection of the identity policy and the boundary
    // (IAM User Guide, "Permissions boundaries for IAM entities").
    let capped = tf(&with_code_boundary(r#"["s3:*", "logs:*"]"#));
    assert!(!has(&capped, "IAM102"), "{capped:#?}");
    assert!(!has(&capped, "IAM105"), "{capped:#?}");
    // Statement rules see the cap too: `iam:*` grants nothing through this boundary.
    assert!(!has(&capped, "IAM108"), "{capped:#?}");
    let open = tf(&with_code_boundary(r#"["iam:*", "s3:*"]"#));
    assert!(has(&open, "IAM102"), "{open:#?}");
    assert!(has(&open, "IAM108"), "{open:#?}");
}

#[test]
fn a_customer_managed_boundary_in_the_template_caps_cloudformation_permissions() {
    let template = |actions: &str| {
        format!(
            r#"
Resources:
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: {actions}
            Resource: "*"
  App:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: !Ref Boundary
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: ec2.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: "iam:*"
                Resource: "*"
"#
        )
    };
    let capped = cfn(&template(r#"["s3:*", "logs:*"]"#));
    assert!(!has(&capped, "IAM102"), "{capped:#?}");
    let open = cfn(&template(r#""*""#));
    assert!(has(&open, "IAM102"), "{open:#?}");
}

// ---- 8. AWS service-role policies on roles only that service assumes --------------------------

#[test]
fn a_service_role_policy_on_its_own_service_role_is_not_escalation() {
    let batch = r#"
resource "aws_iam_role" "batch" {
  name = "batch"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "batch.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole"]
}
"#;
    let f = tf(batch);
    assert!(!has(&f, "IAM103"), "{f:#?}");
    assert!(!has(&f, "IAM105"), "{f:#?}");
    // The same policy on a role that an EC2 instance (running the customer's code) assumes is
    // a real grant.
    let f = tf(&batch.replace("batch.amazonaws.com", "ec2.amazonaws.com"));
    assert!(has(&f, "IAM103") || has(&f, "IAM105"), "{f:#?}");
}

#[test]
fn a_service_role_policy_is_still_reported_when_a_person_can_assume_the_role() {
    let text = r#"
Resources:
  Batch:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: batch.amazonaws.com, AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole
"#;
    let f = cfn(text);
    assert!(has(&f, "IAM103") || has(&f, "IAM105"), "{f:#?}");
    let only_service = text.replace(
        r#"{Service: batch.amazonaws.com, AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}"#,
        "{Service: batch.amazonaws.com}",
    );
    let f = cfn(&only_service);
    assert!(!has(&f, "IAM103") && !has(&f, "IAM105"), "{f:#?}");
}

// ---- 9. Resource patterns are matched against the actions' ARN space ---------------------------

#[test]
fn pass_role_and_assume_role_on_bucket_arns_reach_no_role() {
    let on = |resource: &str| {
        tf(&tf_role(
            "ec2.amazonaws.com",
            &format!(
                r#"{{ Effect = "Allow", Action = ["iam:PassRole", "sts:AssumeRole"], Resource = "{resource}" }}"#
            ),
            "",
        ))
    };
    let s3 = on("arn:aws:s3:::*");
    assert!(!has(&s3, "IAM103"), "{s3:#?}");
    assert!(!has(&s3, "IAM104"), "{s3:#?}");
    let roles = on("arn:aws:iam::*:role/*");
    assert!(has(&roles, "IAM103"), "{roles:#?}");
    assert!(has(&roles, "IAM104"), "{roles:#?}");
}

// ---- 10. Single dangerous actions on every resource ---------------------------------------------

#[test]
fn one_named_dangerous_action_on_every_resource_is_reported() {
    let f = tf(&tf_role(
        "lambda.amazonaws.com",
        r#"{ Effect = "Allow", Action = ["s3:PutBucketPolicy", "kms:ScheduleKeyDeletion"], Resource = "*" }"#,
        "",
    ));
    assert!(has(&f, "IAM111"), "{f:#?}");
    let msg = f.iter().find(|m| m.starts_with("IAM111 ")).cloned();
    let msg = msg.unwrap_or_default();
    assert!(msg.contains("s3:PutBucketPolicy"), "{msg}");
    assert!(msg.contains("kms:ScheduleKeyDeletion"), "{msg}");
    // On one bucket it is the intended grant; an action that only accepts `*` is not reported.
    let f = tf(&tf_role(
        "lambda.amazonaws.com",
        r#"{ Effect = "Allow", Action = "s3:PutBucketPolicy", Resource = "arn:aws:s3:::my-bucket" },
           { Effect = "Allow", Action = ["cloudwatch:PutMetricData", "ec2:Describe*"], Resource = "*" }"#,
        "",
    ));
    assert!(!has(&f, "IAM111"), "{f:#?}");
}

#[test]
fn every_dangerous_action_entry_is_a_catalogued_action_with_a_source() {
    let list = iamlint::iam::dangerous::ACTIONS;
    assert!(list.len() >= 13, "{}", list.len());
    for d in list {
        assert!(
            iamlint::iam::actions::lookup(d.action).is_some(),
            "{} is not in the action catalog",
            d.action
        );
        assert!(
            d.source.starts_with("https://docs.aws.amazon.com/"),
            "{}: {}",
            d.action,
            d.source
        );
        assert!(!d.why.is_empty(), "{}", d.action);
    }
}

// ---- 11. Access levels -------------------------------------------------------------------------

#[test]
fn list_and_describe_actions_of_monitoring_policies_are_not_writes() {
    let f = tf(&tf_role(
        "ec2.amazonaws.com",
        r#"{ Effect = "Allow", Action = ["backup:List*", "glue:ListEntities", "iot:ListSubscriptions", "quicksight:Describe*Permissions"], Resource = "*" }"#,
        "",
    ));
    assert!(!has(&f, "IAM109"), "{f:#?}");
}

#[test]
fn every_list_describe_get_action_reads_unless_the_override_table_says_why() {
    use iamlint::iam::actions::{self, AccessLevel};
    let mut wrong = Vec::new();
    for a in actions::all() {
        let read_name = ["List", "Describe", "Get"].iter().any(|p| {
            a.name
                .strip_prefix(p)
                .is_some_and(|rest| rest.chars().next().is_none_or(|c| c.is_ascii_uppercase()))
        });
        if read_name
            && !matches!(a.level, AccessLevel::Read | AccessLevel::List)
            && actions::level_exception(&a.full()).is_none()
        {
            wrong.push(format!("{} {:?}", a.full(), a.level));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} actions:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // An exception says why.
    let why = actions::level_exception("cognito-identity:GetId");
    assert!(why.is_some_and(|w| w.len() > 20), "{why:?}");
}

#[test]
fn iam109_names_the_write_actions_it_matched() {
    let f = tf(&tf_role(
        "ec2.amazonaws.com",
        r#"{ Effect = "Allow", Action = "sqs:Delete*", Resource = "*" }"#,
        "",
    ));
    let msg = f
        .iter()
        .find(|m| m.starts_with("IAM109 "))
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("sqs:DeleteQueue"), "{f:#?}");
    assert!(msg.contains("sqs:DeleteMessage"), "{f:#?}");
}

// ---- 12. Condition grammar ----------------------------------------------------------------------

#[test]
fn boolean_and_number_condition_values_deploy() {
    let f = tf(&tf_role(
        "ec2.amazonaws.com",
        r#"{ Effect = "Allow", Action = "kms:CreateGrant", Resource = "arn:aws:kms:eu-west-1:111122223333:key/k",
             Condition = { Bool = { "kms:GrantIsForAWSResource" = true } } },
           { Effect = "Deny", Action = "s3:*", Resource = "*",
             Condition = { Bool = { "aws:SecureTransport" = false }, NumericGreaterThan = { "s3:max-keys" = 10 } } }"#,
        "",
    ));
    assert!(!has(&f, "IAM301"), "{f:#?}");
    let f = cfn(r#"
Resources:
  App:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Deny
                Action: "s3:*"
                Resource: "*"
                Condition:
                  Bool: {aws:SecureTransport: false}
"#);
    assert!(!has(&f, "IAM301"), "{f:#?}");
}

#[test]
fn a_star_that_ends_an_arn_segment_is_a_complete_pattern() {
    let f = tf(&tf_role(
        "ec2.amazonaws.com",
        r#"{ Effect = "Allow", Action = "logs:CreateLogStream", Resource = ["arn:aws:logs:*", "arn:aws:logs:eu-west-1:*"] }"#,
        "",
    ));
    assert!(!has(&f, "IAM301"), "{f:#?}");
    // Without a wildcard the ARN is incomplete and IAM rejects it.
    let f = tf(&tf_role(
        "ec2.amazonaws.com",
        r#"{ Effect = "Allow", Action = "logs:CreateLogStream", Resource = "arn:aws:logs:eu-west-1" }"#,
        "",
    ));
    assert!(has(&f, "IAM301"), "{f:#?}");
}

// ---- 13. Federation subjects ------------------------------------------------------------------

fn oidc_role(provider_path: &str, conditions: &str) -> String {
    format!(
        r#"
data "aws_caller_identity" "current" {{}}
resource "aws_iam_role" "ci" {{
  name = "ci"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Federated = "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:oidc-provider/{provider_path}" }}
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {conditions}
    }}]
  }})
}}
"#
    )
}

#[test]
fn a_circleci_or_bitbucket_trust_with_only_the_audience_is_open_to_every_project() {
    // CircleCI's token: aud is the organization id, sub is org/ORG/project/PROJECT/user/USER.
    let f = tf(&oidc_role(
        "oidc.circleci.com/org/0a1b2c3d",
        r#"{ StringEquals = { "oidc.circleci.com/org/0a1b2c3d:aud" = "0a1b2c3d" } }"#,
    ));
    assert!(has(&f, "IAM004"), "{f:#?}");
    let f = tf(&oidc_role(
        "oidc.circleci.com/org/0a1b2c3d",
        r#"{ StringEquals = { "oidc.circleci.com/org/0a1b2c3d:aud" = "0a1b2c3d" },
             StringLike = { "oidc.circleci.com/org/0a1b2c3d:sub" = "org/0a1b2c3d/project/5e6f/user/*" } }"#,
    ));
    assert!(!has(&f, "IAM004"), "{f:#?}");
    // Bitbucket Pipelines: aud is the workspace, sub is {REPOSITORY_UUID}:{STEP_UUID}.
    let f = tf(&oidc_role(
        "api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
        r#"{ StringEquals = { "api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc:aud" = "ari:cloud:bitbucket::workspace/1234" } }"#,
    ));
    assert!(has(&f, "IAM004"), "{f:#?}");
}

const GH: &str = "token.actions.githubusercontent.com";

fn github(sub: &str) -> Vec<String> {
    tf(&oidc_role(
        GH,
        &format!(
            r#"{{ StringEquals = {{ "{GH}:aud" = "sts.amazonaws.com", "{GH}:sub" = "{sub}" }} }}"#
        ),
    ))
}

#[test]
fn a_github_subject_that_starts_with_a_claim_anyone_picks_is_not_pinned() {
    // With a customised subject template, `environment:prod` is what any repository whose
    // organisation chose `environment` first can mint.
    for sub in [
        "environment:prod",
        "workflow:deploy",
        "ref:refs/heads/main",
        "context:prod",
    ] {
        let f = github(sub);
        assert!(has(&f, "IAM004"), "{sub}: {f:#?}");
    }
    for sub in [
        "repo:acme/app:ref:refs/heads/main",
        "repository_id:123456:environment:prod",
        "job_workflow_ref:acme/workflows/.github/workflows/deploy.yml@refs/heads/main",
    ] {
        let f = github(sub);
        assert!(!has(&f, "IAM004") && !has(&f, "IAM005"), "{sub}: {f:#?}");
    }
    // A reusable workflow of one repository, at any ref, is that repository's.
    let f = tf(&oidc_role(
        GH,
        &format!(
            r#"{{ StringEquals = {{ "{GH}:aud" = "sts.amazonaws.com" }}, StringLike = {{ "{GH}:sub" = "job_workflow_ref:acme/workflows/.github/workflows/deploy.yml@*" }} }}"#
        ),
    ));
    assert!(!has(&f, "IAM004") && !has(&f, "IAM005"), "{f:#?}");
    // The owner alone admits all of its repositories.
    let f = github("repository_owner:acme:environment:prod");
    assert!(!has(&f, "IAM004"), "{f:#?}");
    assert!(has(&f, "IAM005"), "{f:#?}");
}

#[test]
fn an_enterprise_issuer_key_under_the_plain_issuer_never_matches() {
    let f = tf(&oidc_role(
        GH,
        &format!(
            r#"{{ StringEquals = {{ "{GH}:aud" = "sts.amazonaws.com", "{GH}/acme:sub" = "repo:acme/app:ref:refs/heads/main" }} }}"#
        ),
    ));
    assert!(!has(&f, "IAM004"), "{f:#?}");
    assert!(has(&f, "IAM304"), "{f:#?}");
    let m = f
        .iter()
        .find(|m| m.starts_with("IAM304 "))
        .cloned()
        .unwrap_or_default();
    assert!(m.contains(&format!("{GH}/acme:sub")), "{m}");
}

// ---- 14. Noise -------------------------------------------------------------------------------------

#[test]
fn an_unknown_external_id_value_is_not_an_unresolved_trust() {
    let f = tf(r#"
variable "external_id" { type = string }
resource "aws_iam_role" "vendor" {
  name = "vendor"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::999988887777:root" }, Action = "sts:AssumeRole",
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } } }]
  })
}
"#);
    assert!(!has(&f, "IAM008"), "{f:#?}");
    assert!(!has(&f, "IAM003"), "{f:#?}");
}

#[test]
fn one_unresolved_finding_per_root_cause() {
    let f = tf(r#"
variable "account" { type = string }
locals {
  root  = "arn:aws:iam::${var.account}:root"
  admin = "arn:aws:iam::${var.account}:role/admin"
}
resource "aws_iam_role" "x" {
  name = "x"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = [local.root, local.admin] }, Action = "sts:AssumeRole" }]
  })
}
"#);
    assert_eq!(count(&f, "IAM008"), 1, "{f:#?}");
}

#[test]
fn iam110_gives_one_finding_per_managed_policy_with_every_data_class() {
    let f = tf(r#"
resource "aws_iam_role" "ro" {
  name = "ro"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
}
"#);
    assert_eq!(count(&f, "IAM110"), 1, "{f:#?}");
    let m = f
        .iter()
        .find(|m| m.starts_with("IAM110 "))
        .cloned()
        .unwrap_or_default();
    assert!(
        m.contains("s3:GetObject") && m.contains("ssm:GetParameter"),
        "{m}"
    );
}

#[test]
fn a_condition_that_requires_a_resource_tag_limits_a_dangerous_action() {
    // `StringLike "*"` and `Null = false` on aws:ResourceTag/KEY are true only for resources that
    // carry the tag (IAM User Guide, "Controlling access to AWS resources using tags"): the
    // statement does not reach every resource. The EBS CSI driver's policy is written so.
    for condition in [
        r#"{ StringLike = { "aws:ResourceTag/CSIVolumeSnapshotName" = "*" } }"#,
        r#"{ Null = { "aws:ResourceTag/elbv2.k8s.aws/cluster" = "false" } }"#,
    ] {
        let f = tf(&tf_role(
            "ec2.amazonaws.com",
            &format!(
                r#"{{ Effect = "Allow", Action = ["ec2:DeleteSnapshot", "ec2:AuthorizeSecurityGroupIngress"], Resource = "*", Condition = {condition} }}"#
            ),
            "",
        ));
        assert!(!has(&f, "IAM111"), "{condition}: {f:#?}");
    }
    // On a key every request has, `StringLike "*"` limits nothing.
    let f = tf(&tf_role(
        "ec2.amazonaws.com",
        r#"{ Effect = "Allow", Action = "ec2:DeleteSnapshot", Resource = "*", Condition = { StringLike = { "aws:PrincipalArn" = "*" } } }"#,
        "",
    ));
    assert!(has(&f, "IAM111"), "{f:#?}");
}

#[test]
fn an_action_on_resources_of_another_service_keeps_its_grant() {
    // ssm:SendCommand acts on EC2 instances (and SSM documents): every instance is every
    // instance, whatever the action's own prefix. Only role ARNs (PassRole, AssumeRole), IAM
    // actions and the data reads are matched against their ARN space.
    let f = tf(&tf_role(
        "lambda.amazonaws.com",
        r#"{ Effect = "Allow", Action = "ssm:SendCommand", Resource = "arn:aws:ec2:*:*:instance/*" }"#,
        "",
    ));
    assert!(has(&f, "IAM105"), "{f:#?}");
}

#[test]
fn a_dangerous_action_next_to_a_wildcard_that_covers_it_is_left_to_the_wildcard_rules() {
    let f = tf(&tf_role(
        "lambda.amazonaws.com",
        r#"{ Effect = "Allow", Action = ["s3:*", "s3:PutBucketPolicy"], Resource = "*" }"#,
        "",
    ));
    assert!(has(&f, "IAM108"), "{f:#?}");
    assert!(!has(&f, "IAM111"), "{f:#?}");
}

#[test]
fn a_dangerous_action_on_every_resource_of_another_service_reaches_none_of_its_own() {
    let f = tf(&tf_role(
        "lambda.amazonaws.com",
        r#"{ Effect = "Allow", Action = ["s3:PutBucketPolicy", "kms:PutKeyPolicy"], Resource = "arn:aws:logs:*:*:log-group:*" }"#,
        "",
    ));
    assert!(!has(&f, "IAM111"), "{f:#?}");
    let f = tf(&tf_role(
        "lambda.amazonaws.com",
        r#"{ Effect = "Allow", Action = "kms:PutKeyPolicy", Resource = "arn:aws:kms:*:*:key/*" }"#,
        "",
    ));
    assert!(has(&f, "IAM111"), "{f:#?}");
}

#[test]
fn a_source_arn_of_a_resource_the_configuration_creates_is_not_an_unresolved_trust() {
    // The schedule group's ARN is known only after apply, but it is an ARN of this account: no
    // value it can take changes a verdict.
    let f = tf(r#"
resource "aws_scheduler_schedule_group" "g" {
  name = "g"
}
resource "aws_iam_role" "s" {
  name = "s"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "scheduler.amazonaws.com" }, Action = "sts:AssumeRole",
      Condition = { ArnLike = { "aws:SourceArn" = aws_scheduler_schedule_group.g.arn } } }]
  })
}
"#);
    assert!(!has(&f, "IAM008"), "{f:#?}");
    assert!(!has(&f, "IAM014"), "{f:#?}");
    // A SourceArn from a variable without a value is still reported.
    let f = tf(r#"
variable "group_arn" { type = string }
resource "aws_iam_role" "s" {
  name = "s"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "scheduler.amazonaws.com" }, Action = "sts:AssumeRole",
      Condition = { ArnLike = { "aws:SourceArn" = var.group_arn } } }]
  })
}
"#);
    assert!(has(&f, "IAM008"), "{f:#?}");
}

/// A reusable module whose trust lists its principals from a variable that defaults to `[]`
/// has an empty trust when scanned on its own: that is an info (IAM008) naming the default,
/// not a silent pass and not a "will fail to deploy" finding.
#[test]
fn an_empty_trust_that_is_empty_only_because_of_an_empty_default_is_an_info_with_that_cause() {
    for principals in [
        // The list in a policy document's principals block.
        r#"data "aws_iam_policy_document" "trust" {
  dynamic "statement" {
    for_each = length(var.trusted_arns) > 0 ? [1] : []
    content {
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = var.trusted_arns
      }
    }
  }
}
resource "aws_iam_role" "this" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"#,
        // One statement per principal in jsonencode.
        r#"resource "aws_iam_role" "this" {
  name = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for a in var.trusted_arns : { Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = a } }]
  })
}
"#,
    ] {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            d.path().join("main.tf"),
            format!(
                "variable \"trusted_arns\" {{\n  type    = list(string)\n  default = []\n}}\n{principals}"
            ),
        )
        .expect("write");
        let out = assert_cmd::Command::cargo_bin("iamlint")
            .expect("binary")
            .current_dir(d.path())
            .args(["--format", "json"])
            .output()
            .expect("run");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let fs = v["findings"].as_array().expect("findings");
        let f = fs
            .iter()
            .find(|f| f["rule"] == "IAM008")
            .unwrap_or_else(|| panic!("IAM008 for the empty default: {v}"));
        assert_eq!(f["severity"], "info");
        assert!(
            f["message"]
                .as_str()
                .unwrap_or("")
                .contains("var.trusted_arns")
                || f["notes"].to_string().contains("var.trusted_arns"),
            "{f}"
        );
        assert!(
            fs.iter().all(|f| f["rule"] != "IAM301"),
            "an empty default is not a deploy failure: {v}"
        );
        // With a value given, the trust is read as written.
        let out = assert_cmd::Command::cargo_bin("iamlint")
            .expect("binary")
            .current_dir(d.path())
            .args([
                "--format",
                "json",
                "--var",
                "trusted_arns=[\"arn:aws:iam::999988887777:root\"]",
            ])
            .output()
            .expect("run");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let rules: Vec<&str> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        assert!(rules.contains(&"IAM002"), "{rules:?}");
        assert!(!rules.contains(&"IAM008"), "{rules:?}");
    }
}

/// A web-identity trust whose whole Condition block comes from a variable without a value may
/// pin the subject: it is unresolved (IAM008), not an open trust (IAM004, critical).
#[test]
fn a_federated_trust_with_an_unknown_condition_block_is_unresolved_not_open() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("main.tf"),
        r#"variable "cond" {}
resource "aws_iam_openid_connect_provider" "gh" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.gh.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = var.cond
    }]
  })
}
"#,
    )
    .expect("write");
    let out = assert_cmd::Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"IAM008"), "{rules:?}");
    assert!(!rules.contains(&"IAM004"), "{rules:?}");
    assert!(!rules.contains(&"IAM006"), "{rules:?}");
}

/// The EKS cluster role's AWS managed policies for EKS Auto Mode are at the root path, not
/// under `/service-role/`, but AWS prescribes them for the cluster role that only
/// eks.amazonaws.com assumes: AmazonEKSComputePolicy's PassRole to EC2 and instance launch are
/// the service's, not a person's. On a role an EC2 instance assumes they are a real grant.
#[test]
fn the_eks_auto_mode_cluster_policies_on_the_cluster_role_are_not_escalation() {
    let cluster = r#"
resource "aws_iam_role" "cluster" {
  name = "cluster"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = ["sts:AssumeRole", "sts:TagSession"] }]
  })
  managed_policy_arns = [
    "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    "arn:aws:iam::aws:policy/AmazonEKSComputePolicy",
    "arn:aws:iam::aws:policy/AmazonEKSBlockStoragePolicy",
    "arn:aws:iam::aws:policy/AmazonEKSLoadBalancingPolicy",
    "arn:aws:iam::aws:policy/AmazonEKSNetworkingPolicy",
  ]
}
"#;
    let f = tf(cluster);
    assert!(!has(&f, "IAM103") && !has(&f, "IAM105"), "{f:#?}");
    let f = tf(&cluster.replace("eks.amazonaws.com", "ec2.amazonaws.com"));
    assert!(has(&f, "IAM103") || has(&f, "IAM105"), "{f:#?}");
}
