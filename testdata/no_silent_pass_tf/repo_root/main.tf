variable "trusted_principal" {
  type    = string
  default = "arn:aws:iam::111122223333:role/deployer"
}

resource "aws_iam_role" "this" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = var.trusted_principal }
    }]
  })
}

output "role_name" {
  value = aws_iam_role.this.name
}
