module "deploy" {
  source       = "./modules/gha-role"
  name         = "gha-deploy"
  repositories = ["acme/infra", "acme/app"]
}

module "team" {
  source   = "./modules/gha-role"
  for_each = { a = "acme/team-a", b = "acme/team-b" }
  name         = "gha-${each.key}"
  repositories = [each.value]
}
