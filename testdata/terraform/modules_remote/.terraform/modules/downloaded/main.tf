variable "trusted" {
  type = string
}

resource "aws_iam_role" "this" {
  name = "downloaded-ci"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.trusted } }]
  })
}
