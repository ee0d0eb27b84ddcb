//! Budgets a hostile repository cannot break: YAML aliases counted by bytes as well as nodes, a
//! node budget for JSON, one Terraform instance budget per run; each is checked with the
//! binary under an address-space limit, so a blow-up fails the test instead of the machine.
//! And lengths that depend on unknowns stay unknown, never a known wrong number.

mod hostile_support;

use std::time::Duration;

use hostile_support::{repo, run_limited, write};

/// The role addresses `iamlint roles` lists for a Terraform file whose `count` is `count`.
fn role_addresses(count: &str) -> Vec<String> {
    let r = repo();
    let tf = format!(
        r#"variable "extra" {{
  type = list(string)
}}
variable "one" {{
  type = string
}}
variable "flag" {{
  type = bool
}}
resource "aws_iam_role" "r" {{
  count = {count}
  name  = "r"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }} }}]
  }})
}}
"#
    );
    write(r.path(), "main.tf", tf.as_bytes());
    let run = run_limited(
        r.path(),
        &["roles", "--format", "json", "."],
        1024,
        Duration::from_secs(30),
    );
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.all()));
    v["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["address"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn lengths_with_unknown_operands_stay_unknown() {
    // Each count depends on how many elements an unknown contributes: the role is checked once
    // as a template, never as a known (wrong) number of instances.
    for count in [
        r#"length(concat(var.extra, ["a"]))"#,
        r#"length(flatten([var.extra, ["a"]]))"#,
        r#"length(setunion(var.extra, ["a"]))"#,
        r#"length(distinct(["a", var.one]))"#,
        r#"length(toset(["a", var.one]))"#,
        r#"length(compact(["a", var.one]))"#,
        r#"length([for x in ["a", "b"] : x if var.flag])"#,
        r#"length([for x in concat(var.extra, ["a"]) : "k"])"#,
        r#"length(slice(concat(var.extra, ["a", "b"]), 0, 1)) + length(concat(var.extra, ["a"])) - 1"#,
        r#"length(concat(var.extra, ["a"])[0])"#,
        r#"index(concat(var.extra, ["a"]), "a") + 1"#,
        r#"length(setsubtract(["a", "b"], [var.one]))"#,
    ] {
        let roles = role_addresses(count);
        assert_eq!(roles, ["aws_iam_role.r"], "count = {count}");
    }
    // Known lengths stay known.
    for (count, n) in [
        (r#"length(concat(["x"], ["a"]))"#, 2),
        (r#"length(distinct(["a", "a", "b"]))"#, 2),
        (r#"length(["a", var.one])"#, 2),
    ] {
        let roles = role_addresses(count);
        assert_eq!(roles.len(), n, "count = {count}: {roles:?}");
    }
}
