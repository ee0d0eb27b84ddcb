variable "trusted_accounts" {
  type = map(string)
}

variable "external_id" {
  type = string
}

resource "aws_iam_role" "audit" {
  for_each = var.trusted_accounts
  name     = "audit-${each.key}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${each.value}:root" }
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
    }]
  })
}

resource "aws_iam_role" "readers" {
  count = length(local.reader_accounts)
  name  = "reader-${count.index}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = local.reader_accounts[count.index] }
    }]
  })
}

locals {
  reader_accounts = [for id in values(var.trusted_accounts) : format("arn:aws:iam::%s:root", id)]
}
