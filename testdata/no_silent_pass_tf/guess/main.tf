module "prod" {
  source = "./modules/role"
}

module "staging" {
  source = "./modules/role"
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = "app"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
