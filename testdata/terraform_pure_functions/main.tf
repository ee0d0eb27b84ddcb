# Terraform's pure functions added after issue 8, each feeding one condition of a trust policy
# so that the test can read the value iamlint computed. Expected values follow Terraform's
# documented examples.

variable "unknown_list" {
  type = list(string)
}

locals {
  checks = {
    setproduct = [for p in setproduct(["a", "b"], ["x", "y"]) : join("-", p)]
    transpose  = [for k, v in transpose({ a = ["1", "2"], b = ["2", "3"] }) : "${k}=${join(",", v)}"]
    matchkeys  = matchkeys(["i-1", "i-2", "i-3"], ["us-west", "us-east", "us-east"], ["us-east"])
    # Errors Terraform reports and unknown operands give unknowns with a reason.
    matchkeys_lengths  = matchkeys(["a"], [], [])
    setproduct_unknown = setproduct(["a"], var.unknown_list)
  }
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/ci"]
    }
    dynamic "condition" {
      for_each = local.checks
      content {
        test     = "StringEquals"
        variable = "fn:${condition.key}"
        values   = condition.value
      }
    }
  }
}

resource "aws_iam_role" "functions" {
  name               = "functions"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
