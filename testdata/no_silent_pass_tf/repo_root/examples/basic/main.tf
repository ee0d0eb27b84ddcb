module "app" {
  source            = "../.."
  trusted_principal = "*"
}
