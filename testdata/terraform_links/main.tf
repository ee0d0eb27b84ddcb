# Every way Terraform attaches a policy to a role, and a dynamic principals block.

locals {
  trusted = {
    AWS     = ["arn:aws:iam::111122223333:role/deployer"]
    Service = ["ec2.amazonaws.com"]
  }
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    dynamic "principals" {
      for_each = local.trusted
      content {
        type        = principals.key
        identifiers = principals.value
      }
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_policy" "shared" {
  name = "shared"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::logs" }]
  })
}

# The legacy resource that attaches a policy to several roles, users and groups.
resource "aws_iam_policy_attachment" "shared" {
  name       = "shared"
  roles      = [aws_iam_role.app.name]
  policy_arn = aws_iam_policy.shared.arn
}

resource "aws_iam_role_policy" "inline" {
  name = "inline"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = "arn:aws:sqs:eu-west-1:111122223333:q" }]
  })
}

resource "aws_iam_role_policies_exclusive" "app" {
  role_name    = aws_iam_role.app.name
  policy_names = [aws_iam_role_policy.inline.name]
}

resource "aws_iam_role_policy_attachments_exclusive" "app" {
  role_name   = "app"
  policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}

module "app" {
  source          = "./modules/app-role"
  trusted_account = "777788889999"
}
