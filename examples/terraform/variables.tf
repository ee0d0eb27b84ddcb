variable "partner_account_id" {
  description = "AWS account of the reporting partner"
  type        = string
}

variable "github_repositories" {
  description = "Repositories allowed to deploy"
  type        = list(string)
  default     = ["my-org/app", "my-org/*"]
}
