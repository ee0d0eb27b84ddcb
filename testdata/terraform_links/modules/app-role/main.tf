variable "trusted_account" {
  type    = string
  default = "444455556666"
}

resource "aws_iam_role" "this" {
  name = "module-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.trusted_account}:root" }
      Action    = "sts:AssumeRole"
    }]
  })
}
