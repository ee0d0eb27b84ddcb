variable "partners" {
  description = "Vendor accounts allowed to read our audit logs, by vendor name"
  type        = map(string)
}

data "aws_iam_policy_document" "partner" {
  for_each = var.partners
  statement {
    sid     = "Partner${title(each.key)}"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${each.value}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = ["ext-${each.key}"]
    }
  }
}

resource "aws_iam_role" "partner" {
  for_each           = var.partners
  name               = "partner-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.partner[each.key].json
}
