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

/// The JSON errors of a limited run over `dir` (which must exit 2 within the limits).
fn errors_within(dir: &std::path::Path, mem_mib: u64, secs: u64) -> Vec<serde_json::Value> {
    let run = run_limited(
        dir,
        &["--format", "json", "."],
        mem_mib,
        Duration::from_secs(secs),
    );
    assert!(!run.timed_out, "the run did not finish in {secs} s");
    assert_eq!(
        run.code,
        Some(2),
        "exit code under a {mem_mib} MiB limit: {}",
        run.stderr
    );
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    v["errors"].as_array().cloned().unwrap_or_default()
}

#[test]
fn yaml_alias_of_a_large_scalar_is_an_alias_bomb_at_its_place() {
    // A 200 KB scalar anchored once and aliased 10,000 times: 215 KB of file, 2 GB expanded.
    let mut y = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Description: &big ",
    );
    y.push_str(&"x".repeat(200_000));
    y.push_str("\n      Tags:\n");
    for _ in 0..10_000 {
        y.push_str("        - *big\n");
    }
    let r = repo();
    write(r.path(), "template.yaml", y.as_bytes());
    let errors = errors_within(r.path(), 1024, 60);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    let msg = e["message"].as_str().unwrap_or_default();
    assert!(msg.contains("alias bomb"), "{msg}");
    // At the alias that goes over the budget, not at the top of the file.
    assert!(e["line"].as_u64().is_some_and(|l| l > 7), "{e}");
    assert_eq!(e["column"], 11, "{e}");
}

fn json_template(values: usize) -> String {
    let mut s = String::from(
        "{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {}, \"Metadata\": {\"x\": [",
    );
    s.push_str(&vec!["0"; values].join(","));
    s.push_str("]}}");
    s
}

#[test]
fn json_has_a_node_budget() {
    // Just under the budget: read, within the memory bound.
    let r = repo();
    write(r.path(), "under.json", json_template(1_900_000).as_bytes());
    let run = run_limited(
        r.path(),
        &["--format", "json", "."],
        1024,
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(0), "{}", run.all());

    // Over it: an error at the value that goes over, before anything is built.
    let r = repo();
    write(r.path(), "over.json", json_template(2_100_000).as_bytes());
    let errors = errors_within(r.path(), 512, 60);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let msg = errors[0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("more than 2000000 values"), "{msg}");
    assert!(
        errors[0]["column"].as_u64().is_some_and(|c| c > 3_000_000),
        "{}",
        errors[0]
    );
}

const BIG_COUNT_ROLE: &str = r#"resource "aws_iam_role" "r" {
  count = COUNT
  name  = "r-${count.index}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
"#;

#[test]
fn count_over_the_item_cap_is_an_error_at_the_expression() {
    // 10 lines: a module with count = 100000000 whose role has count = 100000000.
    let r = repo();
    write(
        r.path(),
        "main.tf",
        b"module \"m\" {\n  source = \"./m\"\n  count  = 100000000\n}\n",
    );
    write(
        r.path(),
        "m/main.tf",
        BIG_COUNT_ROLE.replace("COUNT", "100000000").as_bytes(),
    );
    let errors = errors_within(r.path(), 1024, 60);
    let at: Vec<(String, u64)> = errors
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap_or_default().to_string(),
                e["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(at.contains(&("main.tf".to_string(), 3)), "{errors:?}");
    assert!(at.contains(&("m/main.tf".to_string(), 2)), "{errors:?}");
    assert!(
        errors.iter().all(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("over the 10000 instances"))),
        "{errors:?}"
    );
}

#[test]
fn instance_budget_is_per_run_not_per_root_module() {
    // Three root modules of 10,000 roles each: 30,000 instances, over the run's 25,000.
    let r = repo();
    for d in ["a", "b", "c"] {
        write(
            r.path(),
            &format!("{d}/main.tf"),
            BIG_COUNT_ROLE.replace("COUNT", "10000").as_bytes(),
        );
    }
    let errors = errors_within(r.path(), 1024, 240);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e["line"], 2, "{e}");
    let msg = e["message"].as_str().unwrap_or_default();
    assert!(msg.contains("budget of 25000"), "{msg}");
}
