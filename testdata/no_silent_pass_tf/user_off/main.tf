variable "enable_ci_role" {
  type    = bool
  default = false
}

resource "aws_iam_role" "ci" {
  count = var.enable_ci_role ? 1 : 0
  name  = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "*" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "ci_admin" {
  count      = var.enable_ci_role ? 1 : 0
  role       = aws_iam_role.ci[0].name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}


variable "policies" {
  type    = map(string)
  default = {}
}

resource "aws_iam_role_policy_attachment" "extra" {
  for_each   = { for k, v in var.policies : k => v if var.enable_ci_role }
  role       = aws_iam_role.ci[0].name
  policy_arn = each.value
}
