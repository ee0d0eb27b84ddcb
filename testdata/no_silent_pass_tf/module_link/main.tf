variable "role_name" {
  type = string
}

module "admin" {
  source          = "./modules/role"
  name            = var.role_name
  trusted_service = "ec2.amazonaws.com"
}

module "reader" {
  source          = "./modules/role"
  name            = var.role_name
  trusted_service = "lambda.amazonaws.com"
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = module.admin.role_name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

module "prefixed" {
  source = "./modules/prefixed"
  create = true
}
