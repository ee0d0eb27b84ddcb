variable "teams" {
  type = map(object({ account = string, services = list(string) }))
  default = {
    data = { account = "111111111111", services = ["glue.amazonaws.com"] }
    web  = { account = "222222222222", services = ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"] }
  }
}

variable "extra_teams" {
  type = set(string)
}

data "aws_iam_policy_document" "team" {
  for_each = var.teams
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${each.value.account}:root"]
    }
    principals {
      type        = "Service"
      identifiers = each.value.services
    }
  }
}

resource "aws_iam_role" "team" {
  for_each           = var.teams
  name               = "team-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.team[each.key].json
}

resource "aws_iam_role" "extra" {
  for_each = var.extra_teams
  name     = "extra-${each.key}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
