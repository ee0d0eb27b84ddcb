variable "account" {
  type = string
}

resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = templatefile("${path.module}/trust.json.tpl", {
    account = var.account
  })
  inline_policy {
    name   = "read"
    policy = file("${path.module}/policy.json")
  }
}
