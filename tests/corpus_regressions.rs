//! Cases found by running iamlint over real public modules and templates, each reduced to a
//! minimal input: what iamlint got wrong, and now gets right.

use iamlint::config;
use iamlint::rules;
use iamlint::run::{self, Options, Outcome};

fn check(file: &str, text: &str, cfg: &str) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(file), text).expect("write");
    let cfg = config::parse(cfg, "test config", None).expect("config");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let o = run::check(&opts, &cfg, &rules::builtin().expect("rules")).expect("run");
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    o
}

fn rules_of(o: &Outcome, resource: &str) -> Vec<String> {
    o.findings
        .iter()
        .filter(|f| f.resource == resource)
        .map(|f| f.rule.clone())
        .collect()
}

/// A heredoc trust with one unknown interpolation kept only that value unknown; it used to lose
/// the whole policy (and with it an any-principal trust).
#[test]
fn heredoc_with_an_unknown_interpolation_keeps_the_rest_of_the_policy() {
    let o = check(
        "main.tf",
        r#"resource "aws_cognito_identity_pool" "main" { identity_pool_name = "p" }
resource "aws_iam_role" "hp" {
  name = "hp"
  assume_role_policy = <<EOT
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
 "Condition":{"StringEquals":{"sts:ExternalId":"${aws_cognito_identity_pool.main.id}"}}}]}
EOT
}
"#,
        "",
    );
    let role = &o.roles[0];
    let doc = role.trust.as_ref().expect("the policy is read");
    let cond = &doc.statements[0].conditions[0];
    assert_eq!(cond.key.get(), Some("sts:ExternalId"));
    let u = cond.values[0]
        .unknown()
        .expect("the interpolation stays unknown");
    assert_eq!(u.expr, "aws_cognito_identity_pool.main.id");
    let found = rules_of(&o, "aws_iam_role.hp");
    assert!(found.contains(&"IAM001".to_string()), "{found:?}");
    // The value of an ExternalId changes no verdict: its unknown is not an IAM008 (issue 10).
    assert!(!found.contains(&"IAM008".to_string()), "{found:?}");
    // The unknown keeps its own line, where the interpolation is.
    assert_eq!(
        o.sources.range(cond.values[0].span).map(|(s, _)| s.line),
        Some(6)
    );
}

/// A policy document condition whose variable is computed from an unknown kept its test; it
/// used to become the operator "Unknown" (a false IAM304) and to drop its values.
#[test]
fn an_unknown_condition_variable_keeps_the_test_and_values() {
    let o = check(
        "main.tf",
        r#"variable "provider_arn" { type = string }
data "aws_iam_policy_document" "this" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB12"]
    }
    condition {
      test     = "StringEquals"
      variable = "${replace(var.provider_arn, "/^(.*provider/)/", "")}:sub"
      values   = ["system:serviceaccount:default:app"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.this.json
}
"#,
        "",
    );
    let c = &o.roles[0].trust.as_ref().expect("trust").statements[0].conditions[0];
    assert_eq!(c.operator.get(), Some("StringEquals"));
    assert!(c.key.unknown().is_some());
    assert_eq!(c.values[0].get(), Some("system:serviceaccount:default:app"));
    let found = rules_of(&o, "aws_iam_role.r");
    // The key keeps its known `:sub` suffix (issue 10, point 4): it is the provider's `sub`
    // key, pinned, so no "sub is not pinned" claim, no grammar finding, and no IAM008 for the
    // unknown issuer (it cannot change the verdict); the missing `aud` is IAM006.
    assert!(
        !found
            .iter()
            .any(|r| r == "IAM304" || r == "IAM004" || r == "IAM008"),
        "{found:?}"
    );
    assert!(found.contains(&"IAM006".to_string()), "{found:?}");
}

/// iam:PassedToService decides which escalation paths through iam:PassRole work, for inline
/// statements and for AWS managed policies alike.
#[test]
fn passed_to_service_limits_pass_role_escalation_paths() {
    let o = check(
        "template.yaml",
        r#"Resources:
  ToAutoscaling:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: [lambda:CreateFunction, lambda:CreateEventSourceMapping], Resource: "*"}
              - Effect: Allow
                Action: iam:PassRole
                Resource: "*"
                Condition: {StringLike: {iam:PassedToService: [application-autoscaling.amazonaws.com, dax.amazonaws.com]}}
  ToLambda:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: [lambda:CreateFunction, lambda:InvokeFunction], Resource: "*"}
              - Effect: Allow
                Action: iam:PassRole
                Resource: "*"
                Condition: {StringEquals: {iam:PassedToService: lambda.amazonaws.com}}
  DynamoManaged:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess]
  LambdaManaged:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AWSLambda_FullAccess]
"#,
        "",
    );
    assert!(!rules_of(&o, "ToAutoscaling").contains(&"IAM105".to_string()));
    assert!(!rules_of(&o, "DynamoManaged").contains(&"IAM105".to_string()));
    assert!(rules_of(&o, "ToLambda").contains(&"IAM105".to_string()));
    assert!(rules_of(&o, "LambdaManaged").contains(&"IAM105".to_string()));
    let msg = o
        .findings
        .iter()
        .find(|f| f.rule == "IAM103" && f.resource == "DynamoManaged")
        .map(|f| f.message.clone())
        .unwrap_or_default();
    assert!(
        msg.contains("dax.amazonaws.com") && !msg.contains("any service"),
        "{msg}"
    );
}

/// People, not vendors: an MFA-gated trust of another account's user is not a confused-deputy
/// case (IAM003), and an organization that is not the user's own is reported (IAM018).
#[test]
fn mfa_trusts_and_foreign_organizations() {
    let o = check(
        "main.tf",
        r#"resource "aws_iam_role" "people" {
  name = "people"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::210987654321:root", "arn:aws:iam::210987654321:user/anton"] }
      Action    = "sts:AssumeRole"
      Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } }
    }]
  })
}
resource "aws_iam_role" "org" {
  name = "org"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-someorgid1" } }
    }]
  })
}
"#,
        "trusted_organizations: [o-a1b2c3d4e5]\n",
    );
    let people = rules_of(&o, "aws_iam_role.people");
    assert!(!people.contains(&"IAM003".to_string()), "{people:?}");
    assert!(people.contains(&"IAM002".to_string()), "{people:?}");
    let org = rules_of(&o, "aws_iam_role.org");
    assert_eq!(org, ["IAM018"], "{org:?}");
}

/// Attachments that reference a role whose name is unknown still attach to it; a literal name
/// shared by roles of two module instances attaches only within the link's own instance.
#[test]
fn attachments_link_by_reference_and_stay_in_their_instance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |p: &str, t: &str| {
        let p = dir.path().join(p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, t).expect("write");
    };
    write(
        "main.tf",
        r#"variable "environment" { type = string }
resource "aws_iam_role" "a" {
  name               = "${var.environment}-a"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
}
resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.a.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
module "prod" {
  source = "./mod"
}
module "dev" {
  source       = "./mod"
  attach_admin = true
}
"#,
    );
    write(
        "mod/main.tf",
        r#"variable "attach_admin" { default = false }
resource "aws_iam_role" "this" {
  name               = "deployer"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }] })
}
resource "aws_iam_role_policy_attachment" "admin" {
  count      = var.attach_admin ? 1 : 0
  role       = "deployer"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"#,
    );
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let o = run::check(
        &opts,
        &config::Config::default(),
        &rules::builtin().expect("rules"),
    )
    .expect("run");
    assert!(rules_of(&o, "aws_iam_role.a").contains(&"IAM101".to_string()));
    assert!(rules_of(&o, "module.dev.aws_iam_role.this").contains(&"IAM101".to_string()));
    assert!(!rules_of(&o, "module.prod.aws_iam_role.this").contains(&"IAM101".to_string()));
}

/// cloudposse-style documents gated on an unknown count are read once as a template, and the
/// AWS provider's pure functions and service-principal data source resolve.
#[test]
fn counted_documents_provider_functions_and_service_principals() {
    let o = check(
        "main.tf",
        r#"variable "enabled" { type = bool }
data "aws_iam_policy_document" "assume" {
  count = var.enabled ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
resource "aws_iam_role" "splat" {
  count              = var.enabled ? 1 : 0
  name               = "splat"
  assume_role_policy = join("", data.aws_iam_policy_document.assume[*].json)
}
resource "aws_iam_role" "one" {
  name               = "one"
  assume_role_policy = one(data.aws_iam_policy_document.assume[*].json)
}
data "aws_service_principal" "ec2" {
  service_name = "ec2"
}
resource "aws_iam_role" "node" {
  name = "node"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = data.aws_service_principal.ec2.name } }]
  })
}
resource "aws_iam_role" "built" {
  name = "built"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = provider::aws::arn_build("aws", "iam", "", "210987654321", "root") } }]
  })
}
"#,
        "",
    );
    assert!(rules_of(&o, "aws_iam_role.splat").contains(&"IAM001".to_string()));
    assert!(rules_of(&o, "aws_iam_role.one").contains(&"IAM001".to_string()));
    let value = |addr: &str| {
        o.roles
            .iter()
            .find(|r| r.address == addr)
            .and_then(|r| r.trust.as_ref())
            .and_then(|d| d.statements[0].principal.as_ref())
            .map(|p| p.entries[0].value.render())
            .unwrap_or_default()
    };
    assert_eq!(value("aws_iam_role.node"), "ec2.amazonaws.com");
    assert_eq!(
        value("aws_iam_role.built"),
        "arn:aws:iam::210987654321:root"
    );
}

/// CloudFormation and SAM: a policy attached to the role SAM generates (`!Ref FnRole`), a policy
/// attached by name to a role of another stack, a misspelt AWS managed policy, an unknown SAM
/// policy template, a missing nested template, and SAM's own statements left alone.
#[test]
fn sam_generated_roles_external_roles_and_missing_inputs() {
    let o = check(
        "template.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Policies:
        - AmazonS3FullAccesss
        - MadeUpPolicyTemplate: {}
        - SQSPollerPolicy:
            QueueName: jobs
  Extra:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref FnRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "iam:*", Resource: "*"}]
  Shared:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: shared
      Roles: [deployment-role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "*", Resource: "*"}]
"#,
        "",
    );
    let mut fn_rules = rules_of(&o, "Fn");
    // The iam:* grant is reported at the policy resource that attaches it to Fn's role.
    fn_rules.extend(rules_of(&o, "Extra"));
    for r in ["IAM102", "IAM306", "IAM019"] {
        assert!(
            fn_rules.contains(&r.to_string()),
            "{r} missing: {fn_rules:?}"
        );
    }
    assert!(
        !fn_rules.contains(&"IAM303".to_string()),
        "SAM's own statements: {fn_rules:?}"
    );
    // Reported at the policy that attaches the admin grant to the role of another stack.
    let ext = rules_of(&o, "Shared");
    assert!(ext.contains(&"IAM101".to_string()), "{ext:?}");
    assert!(
        o.roles
            .iter()
            .any(|r| r.address == "role deployment-role (outside this template)")
    );

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("parent.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./missing/child.yaml\n",
    )
    .expect("write");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let o = run::check(
        &opts,
        &config::Config::default(),
        &rules::builtin().expect("rules"),
    )
    .expect("run");
    assert!(
        o.errors
            .iter()
            .any(|e| e.message.contains("does not exist") && e.line == 6),
        "{:?}",
        o.errors
    );
}

/// Terraform: a policy attached by a literal name to a role the configuration does not define.
#[test]
fn terraform_policies_of_a_role_defined_elsewhere_are_checked() {
    let o = check(
        "main.tf",
        r#"resource "aws_iam_role_policy_attachment" "a" {
  role       = "deploy-role"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"#,
        "",
    );
    let ext = rules_of(&o, "role deploy-role (outside this configuration)");
    assert_eq!(ext, ["IAM101"], "{ext:?}");
    assert!(
        o.roles
            .iter()
            .any(|r| r.address == "role deploy-role (outside this configuration)")
    );
}
