# Terraform's order for root module variables, lowest first: default, TF_VAR_ environment,
# terraform.tfvars, terraform.tfvars.json, *.auto.tfvars(.json) in lexical order, then -var-file
# and -var in command-line order. Each variable is set by a different subset of the files.

variable "only_default" { default = "111111111111" }
variable "tfvars" { default = "000000000000" }
variable "tfvars_json" { default = "000000000000" }
variable "auto" { default = "000000000000" }
variable "auto_order" { default = "000000000000" }

resource "aws_iam_role" "precedence" {
  name = "precedence"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = { AWS = [
        var.only_default,
        var.tfvars,
        var.tfvars_json,
        var.auto,
        var.auto_order,
      ] }
      Action = "sts:AssumeRole"
    }]
  })
}
