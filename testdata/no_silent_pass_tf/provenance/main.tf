variable "partner_account" {
  type = string
}

module "app" {
  source  = "./modules/app"
  account = var.partner_account
}
