variable "create" {
  type    = bool
  default = false
}

resource "aws_iam_role" "this" {
  count       = var.create ? 1 : 0
  name_prefix = "batch-"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "batch.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "this" {
  count      = var.create ? 1 : 0
  role       = aws_iam_role.this[0].name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
