variable "trusted_service" {
  type = string
}

variable "name" {
  type = string
}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = var.trusted_service }
    }]
  })
}

output "role_name" {
  value = aws_iam_role.this.name
}
