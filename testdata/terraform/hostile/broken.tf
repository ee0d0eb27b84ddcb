resource "aws_iam_role" "broken" {
  name = "broken"
  assume_role_policy = jsonencode({
    Statement = [
  }
