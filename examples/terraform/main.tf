data "aws_caller_identity" "current" {}

# A partner's reporting role: the account comes from terraform.tfvars, and nobody added an
# external id.
resource "aws_iam_role" "partner_reporting" {
  name = "partner-reporting"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.partner_account_id}:root" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "partner_reporting_admin" {
  role       = aws_iam_role.partner_reporting.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

# Datadog's integration role, written by hand from the vendor's docs.
data "aws_iam_policy_document" "datadog_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::464622532012:root"]
    }
  }
}

resource "aws_iam_role" "datadog" {
  name               = "datadog-integration"
  assume_role_policy = data.aws_iam_policy_document.datadog_trust.json
}

# Break-glass role that "only people in the org" can use; the condition is under IfExists, so it
# restricts nothing.
resource "aws_iam_role" "break_glass" {
  name               = "break-glass"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    }
  ]
}
EOF
}

# This account's own administrators: fine.
resource "aws_iam_role" "ops" {
  name = "ops"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "sts:AssumeRole"
      Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } }
    }]
  })
}

module "deploy_role" {
  source       = "./modules/github-oidc-role"
  name         = "deploy"
  repositories = var.github_repositories
}

# An auditor role from the public terraform-aws-modules/iam module, not downloaded (no
# `terraform init` in this CI job): iamlint models the call from the module's interface (v5).
# The auditor's account is nobody we know, and the caller turned the module's MFA default off.
module "auditor_role" {
  source                  = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version                 = "~> 5.0"
  create_role             = true
  role_name               = "external-auditor"
  trusted_role_arns       = ["arn:aws:iam::999988887777:root"]
  trusted_role_actions    = ["sts:AssumeRole"]
  role_requires_mfa       = false
  custom_role_policy_arns = ["arn:aws:iam::aws:policy/SecurityAudit"]
}
