# Terraform's pure functions added after issue 8, each feeding one condition of a trust policy
# so that the test can read the value iamlint computed. Expected values follow Terraform's
# documented examples.

variable "unknown_list" {
  type = list(string)
}

locals {
  template = "repo:$${org}/%%{ for r in repos }$${r},%%{ endfor }"
  checks = {
    setproduct = [for p in setproduct(["a", "b"], ["x", "y"]) : join("-", p)]
    transpose  = [for k, v in transpose({ a = ["1", "2"], b = ["2", "3"] }) : "${k}=${join(",", v)}"]
    matchkeys  = matchkeys(["i-1", "i-2", "i-3"], ["us-west", "us-east", "us-east"], ["us-east"])
    cidrhost    = [cidrhost("10.12.112.0/20", 16), cidrhost("10.12.112.0/20", 268), cidrhost("10.12.112.0/20", -1), cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)]
    cidrnetmask = [cidrnetmask("172.16.0.0/12")]
    cidrsubnet  = [cidrsubnet("172.16.0.0/12", 4, 2), cidrsubnet("10.1.2.0/24", 4, 15), cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)]
    cidrsubnets = concat(cidrsubnets("10.1.0.0/16", 4, 4, 8, 4), cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32))
    formatdate = [
      formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z"),
      formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z"),
      formatdate("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00"),
      formatdate("MMM DD, YYYY", "2018-01-02T23:12:01Z"),
      formatdate("HH:mmaa", "2018-01-02T23:12:01Z"),
      formatdate("YYYY-MM-DD'T'hh:mm:ssZ", "2024-02-29T00:05:09.25+05:30"),
    ]
    timeadd = [timeadd("2017-11-22T00:00:00Z", "10m"), timeadd("2024-02-28T23:30:00+01:00", "1h30m"), timeadd("2017-11-22T00:00:00Z", "-1.5h")]
    timecmp = [tostring(timecmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z")), tostring(timecmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00Z")), tostring(timecmp("2017-11-22T01:00:00Z", "2017-11-22T00:00:00Z")), tostring(timecmp("2017-11-22T01:00:00Z", "2017-11-22T00:00:00-01:00"))]
    csvdecode  = [for r in csvdecode("a,b,c\n1,2,3\n4,\"x,\"\"y\"\"\",6\n") : "${r.a}|${r.b}|${r.c}"]
    yamldecode = [
      yamldecode("Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: [\"s3:GetObject\"]\n").Statement[0].Action[0],
      yamldecode("Version: '2012-10-17'\n").Version,
      tostring(yamldecode("a: true\n").a),
      tostring(yamldecode("") == null),
    ]
    templatestring = [templatestring(local.template, { org = "acme", repos = ["a", "b"] })]
    # Errors Terraform reports and unknown operands give unknowns with a reason.
    matchkeys_lengths  = matchkeys(["a"], [], [])
    cidrhost_range     = [cidrhost("10.0.0.0/30", 4)]
    cidrsubnets_full   = cidrsubnets("10.0.0.0/24", 1, 1, 1)
    cidrnetmask_v6     = [cidrnetmask("fd00::/8")]
    timeadd_bad        = [timeadd("2017-11-22", "10m")]
    formatdate_verb    = [formatdate("YYYY-MM-DD at hh", "2018-01-02T23:12:01Z")]
    csvdecode_fields   = csvdecode("a,b\n1\n")
    yamldecode_tag     = [yamldecode("a: !Ref b\n").a]
    templatestring_literal = [templatestring("x$${y}", { y = "z" })]
    timecmp_bad        = [tostring(timecmp("2017-11-22T00:00:00+0é:0", "2017-11-22T00:00:00Z"))]
    setproduct_unknown = setproduct(["a"], var.unknown_list)
  }
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/ci"]
    }
    dynamic "condition" {
      for_each = local.checks
      content {
        test     = "StringEquals"
        variable = "fn:${condition.key}"
        values   = condition.value
      }
    }
  }
}

resource "aws_iam_role" "functions" {
  name               = "functions"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
