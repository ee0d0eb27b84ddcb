//! An object constructor may write a key twice: Terraform accepts it and the later item wins
//! (HCL refuses duplicates only in `for` expressions). iamlint reads such a file instead of
//! reporting it as invalid, with the later value.

use assert_cmd::Command;
use serde_json::Value;

fn run(main: &str, args: &[&str]) -> Value {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("main.tf"), main).expect("write");
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .args(args)
        .args(["--format", "json", "."])
        .output()
        .expect("run");
    serde_json::from_slice(&out.stdout).expect("json")
}

fn role(principal_first: &str, principal_then: &str) -> String {
    format!(
        r#"resource "aws_iam_role" "r" {{
  name = "r"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {principal_first}
      Principal = {principal_then}
      Condition = {{ StringEquals = {{
        "sts:ExternalId" = "first"
        "sts:ExternalId" = "second-4711"
      }} }}
    }}]
  }})
}}
"#
    )
}

#[test]
fn the_later_of_two_items_wins() {
    let main = role(
        r#"{ AWS = "*" }"#,
        r#"{ Service = "lambda.amazonaws.com" }"#,
    );
    let v = run(&main, &["roles"]);
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    let st = &v["roles"][0]["trust"]["statements"][0];
    assert_eq!(st["principals"][0]["value"], "lambda.amazonaws.com", "{st}");
    assert_eq!(st["principals"].as_array().map(Vec::len), Some(1), "{st}");
    assert_eq!(
        st["conditions"][0]["values"],
        serde_json::json!(["second-4711"]),
        "{st}"
    );
    let f = run(&main, &[]);
    assert_eq!(f["findings"], serde_json::json!([]), "{f}");
}

#[test]
fn a_risky_later_item_is_reported_at_its_line() {
    let main = role(
        r#"{ Service = "lambda.amazonaws.com" }"#,
        r#"{ AWS = "*" }"#,
    );
    let f = run(&main, &[]);
    assert_eq!(f["errors"], serde_json::json!([]), "{f}");
    let line = main
        .lines()
        .position(|l| l.contains(r#"{ AWS = "*" }"#))
        .map(|i| i as u64 + 1);
    assert!(
        f["findings"].as_array().is_some_and(|fs| fs
            .iter()
            .any(|x| x["rule"] == "IAM001" && x["line"].as_u64() == line)),
        "IAM001 at the later item's line: {f}"
    );
}

#[test]
fn an_attribute_written_twice_in_a_block_stays_an_error() {
    // A block attribute written twice is an error in Terraform ("Attribute redefined"): that
    // stays a parse error with its position.
    let v = run(
        "resource \"aws_iam_role\" \"r\" {\n  name = \"a\"\n  name = \"b\"\n}\n",
        &["roles"],
    );
    let e = &v["errors"][0];
    assert_eq!(e["line"], 3, "{v}");
}

/// Repeated keys on one line after text with multi-byte characters, and a bare name repeated:
/// still read, the later item winning.
#[test]
fn repeated_keys_after_multibyte_text_and_bare_names() {
    let main = r#"resource "aws_iam_role" "r" {
  name = "r"
  tags = { "名前" = "x", Team = "a", Team = "b" }
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" }, Principal = { Service = "lambda.amazonaws.com" } }] })
}
"#;
    let v = run(main, &["roles"]);
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    let st = &v["roles"][0]["trust"]["statements"][0];
    assert_eq!(st["principals"][0]["value"], "lambda.amazonaws.com", "{st}");
}
