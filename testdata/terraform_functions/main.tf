# Every function and expression form issue 3 lists, each feeding one condition of a trust policy
# so that the test can read the value iamlint computed. Expected values follow Terraform's
# documented semantics.

variable "unknown_list" {
  type = list(string)
}

locals {
  checks = {
    jsondecode   = jsondecode("{\"k\": [\"x\", \"y\"]}").k
    merge        = values(merge({ a = "1" }, { b = "2" }, { a = "3" }))
    concat       = concat(["a"], ["b", "c"])
    flatten      = flatten([["a"], ["b", ["c"]]])
    distinct     = distinct(["a", "b", "a"])
    compact      = compact(["a", "", "b"])
    toset        = tolist(toset(["b", "a", "b"]))
    tomap        = values(tomap({ x = "1" }))
    keys         = keys({ b = 1, a = 2 })
    lookup       = [lookup({ a = "x" }, "b", "default")]
    element      = [element(["a", "b", "c"], 4)]
    length       = [tostring(length(["a", "b"]))]
    contains     = [tostring(contains(["a"], "a"))]
    coalesce     = [coalesce("", "x")]
    coalescelist = coalescelist([], ["y"])
    try          = [try(lookup({}, "k"), "fallback")]
    can          = [tostring(can(regex("^a", "abc"))), tostring(can(regex("^z", "abc")))]
    format       = [format("arn:aws:iam::%s:role/%s", "111122223333", "x")]
    formatlist   = formatlist("repo:%s:*", ["a/b", "c/d"])
    join         = [join(",", ["a", "b"])]
    split        = split(",", "a,b")
    replace      = [replace("a-b-c", "-", "_"), replace("abc123", "/[0-9]+/", "")]
    lower        = [lower("AbC"), upper("AbC")]
    trimspace    = [trimspace("  x  ")]
    trimprefix   = [trimprefix("https://token.actions.githubusercontent.com", "https://")]
    trimsuffix   = [trimsuffix("a.json", ".json")]
    startswith   = [tostring(startswith("abc", "ab")), tostring(endswith("abc", "bc"))]
    regex        = [regex("[0-9]{12}", "arn:aws:iam::111122223333:root")]
    regexall     = regexall("[a-z]+", "ab 12 cd")
    zipmap       = values(zipmap(["k1", "k2"], ["v1", "v2"]))
    setunion     = sort(setunion(["b"], ["a", "b"]))
    one          = [one(["only"])]
    sort         = sort(["b", "a"])
    file         = [trimspace(file("${path.module}/account.txt"))]
    templatefile = [templatefile("${path.module}/sub.tpl", { repo = "a/b" })]
    fileexists   = [tostring(fileexists("${path.module}/account.txt")), tostring(fileexists("${path.module}/nope.txt"))]
    for_if       = [for s in ["a", "b"] : upper(s) if s != "b"]
    for_object   = values({ for k, v in { x = "1", y = "2" } : "${k}!" => "${k}=${v}" })
    conditional  = [1 + 2 * 3 > 6 ? "yes" : "no", 10 % 4 == 2 && !false ? "mod" : "no"]
    splat        = [{ n = "a" }, { n = "b" }][*].n
    index        = [["a", "b"][1], { k = "v" }["k"]]
    directive    = [trimspace(<<-EOT
      %{for r in ["a", "b"]}${r};%{endfor}%{if true}ok%{else}no%{endif}
    EOT
    )]
    unknown_kept = concat(["known"], var.unknown_list)
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
