variable "create_role" {
  type    = bool
  default = false
}

module "inner" {
  source      = "../ci"
  create_role = var.create_role
}
