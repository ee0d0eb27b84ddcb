variable "ci_account_id" {
  type    = string
  default = "111122223333"
}

variable "bucket" {
  type    = string
  default = "artifacts"
}
