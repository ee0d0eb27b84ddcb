locals {
  deep  = [[[[[[[[[[["x"]]]]]]]]]]]
  big   = [for i in range(1000000000) : i]
  many  = flatten([for i in range(1000) : [for j in range(1000) : [for k in range(1000) : "${i}-${j}-${k}"]]])
  long  = join("", [for i in range(1000) : join("", [for j in range(1000) : "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])])
}

resource "aws_iam_role" "survivor" {
  name = "survivor"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" }, Condition = { StringEquals = { "aws:x" = [length(local.big), length(local.many), length(local.long)] } } }]
  })
}
