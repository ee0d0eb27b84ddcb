locals {
  suffix = substr(sha256("ci"), 0, 8)
}

resource "aws_iam_role" "ci" {
  name = "ci-${local.suffix}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
  path = "/${uuidv5("dns", "www.example.com")}/${md5("a")}/"
}

resource "aws_iam_role_policy_attachment" "ci" {
  role       = "ci-${local.suffix}"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
