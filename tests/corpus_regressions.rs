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
    assert!(found.contains(&"IAM008".to_string()), "{found:?}");
    // The unknown is reported on its own line, where the interpolation is.
    let f = o
        .findings
        .iter()
        .find(|f| f.rule == "IAM008")
        .expect("IAM008");
    assert_eq!(o.sources.range(f.span).map(|(s, _)| s.line), Some(6));
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
    // The unknown key may be the `sub` key: no "sub is not pinned" claim, no grammar finding.
    assert!(
        !found.iter().any(|r| r == "IAM304" || r == "IAM004"),
        "{found:?}"
    );
    assert!(found.contains(&"IAM008".to_string()), "{found:?}");
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
