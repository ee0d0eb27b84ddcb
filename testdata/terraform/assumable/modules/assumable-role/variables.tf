variable "role_name" {
  type = string
}

variable "trusted_role_arns" {
  type    = list(string)
  default = []
}

variable "trusted_role_services" {
  type    = list(string)
  default = []
}

variable "role_requires_mfa" {
  type    = bool
  default = true
}

variable "custom_role_trust_policy" {
  type    = string
  default = ""
}
