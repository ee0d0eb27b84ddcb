resource "aws_iam_role" "from_file" {
  name               = "from-file"
  assume_role_policy = file("${path.module}/policies/trust.json")
}

resource "aws_iam_role" "from_template" {
  name = "from-template"
  assume_role_policy = templatefile("${path.module}/policies/trust.json.tpl", {
    accounts = ["123123123123", "456456456456"]
  })
}

resource "aws_iam_role" "outside" {
  name               = "outside"
  assume_role_policy = file("${path.module}/../../../Cargo.toml")
}
