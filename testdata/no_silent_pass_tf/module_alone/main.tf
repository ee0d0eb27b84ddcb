variable "create_role" {
  type    = bool
  default = false
}

variable "trusted" {
  type    = list(string)
  default = ["*"]
}

resource "aws_iam_role" "this" {
  count = var.create_role ? 1 : 0
  name  = "deployer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = var.trusted }
    }]
  })
}
