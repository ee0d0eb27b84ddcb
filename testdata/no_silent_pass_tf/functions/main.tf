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
  max_session_duration = sum([1800, pow(2, 3) * 225])
  permissions_boundary = "arn:aws:iam::123456789012:policy/${strrev("cba")}-${base64decode(base64encode("x"))}-${parseint("ff", 16)}-${basename("a/b")}-${urlencode("a b")}-${length(chunklist([1, 2, 3], 2))}"
  path = "/${uuidv5("dns", "www.example.com")}/${md5("a")}/"
}

resource "aws_iam_role_policy_attachment" "ci" {
  role       = "ci-${local.suffix}"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
