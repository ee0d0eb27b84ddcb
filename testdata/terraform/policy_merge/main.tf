locals {
  trusted = {
    ci   = "arn:aws:iam::333333333333:role/ci"
    prod = "arn:aws:iam::444444444444:role/deployer"
  }
}

data "aws_iam_policy_document" "base" {
  statement {
    sid     = "Services"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
  statement {
    sid     = "Old"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::555555555555:root"]
    }
  }
}

data "aws_iam_policy_document" "override" {
  statement {
    sid     = "Old"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::666666666666:root"]
    }
  }
}

data "aws_iam_policy_document" "trust" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.override.minified_json]

  dynamic "statement" {
    for_each = local.trusted
    content {
      sid     = "Trust${title(statement.key)}"
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = [statement.value]
      }
      dynamic "condition" {
        for_each = statement.key == "prod" ? ["x"] : []
        content {
          test     = "Bool"
          variable = "aws:MultiFactorAuthPresent"
          values   = ["true"]
        }
      }
    }
  }
}

resource "aws_iam_role" "merged" {
  name               = "merged"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
