module "iam_assumable_role" {
  source            = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version           = "5.39.0"
  role_name         = "partner"
  trusted_role_arns = ["arn:aws:iam::111122223333:root"]
  create_role       = true
}

module "downloaded" {
  source  = "acme/ci-role/aws"
  version = "1.0.0"
  trusted = "arn:aws:iam::777777777777:root"
}
