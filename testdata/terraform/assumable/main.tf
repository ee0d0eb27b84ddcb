variable "admin_account" {
  type = string
}

module "admin" {
  source            = "./modules/assumable-role"
  role_name         = "admin"
  trusted_role_arns = ["arn:aws:iam::${var.admin_account}:root"]
}

module "batch" {
  source                = "./modules/assumable-role"
  role_name             = "batch"
  trusted_role_services = ["batch.amazonaws.com"]
  role_requires_mfa     = false
}

module "custom" {
  source                   = "./modules/assumable-role"
  role_name                = "custom"
  custom_role_trust_policy = file("${path.module}/custom-trust.json")
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = module.admin.iam_role_name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
