variable "role_name" {
  type = string
}

resource "aws_iam_role_policy" "admin" {
  name = "admin"
  role = aws_iam_role.missing.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = var.role_name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.missing.name
}
