//! Resolution on real code (issue 10, measurement): the causes found by running
//! `scripts/measure-resolution.py` on public Terraform modules and CloudFormation collections,
//! each reduced to a small case of our own, written from Terraform's documented behaviour. Run
//! through the command line; the assertions read the JSON inventory (`roles --format json`).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// `iamlint roles --format json ARGS .` in `dir`.
fn roles(dir: &Path, args: &[&str]) -> Vec<Value> {
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .arg("roles")
        .args(args)
        .args(["--format", "json", "."])
        .output()
        .expect("run iamlint");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["roles"].as_array().cloned().unwrap_or_default()
}

/// A tree with the given files.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

/// The entries of the role at `address`.
fn entries<'a>(all: &'a [Value], address: &str) -> Vec<&'a Value> {
    all.iter().filter(|r| r["address"] == address).collect()
}

/// The one entry of the role at `address`.
fn one<'a>(all: &'a [Value], address: &str) -> &'a Value {
    let found = entries(all, address);
    assert_eq!(
        found.len(),
        1,
        "{address} listed {} times: {all:#?}",
        found.len()
    );
    found[0]
}

/// The unresolved reasons of a role, joined.
fn reasons(role: &Value) -> String {
    role["unresolved"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["reason"].as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------------------------
// Roles in a module switched off by a value the caller gives (terraform-aws-eks: the
// `disabled_*` module calls with `create = false`).
// ---------------------------------------------------------------------------------------------

const CHILD_WITH_COUNTED_DOCUMENT: &str = r#"
variable "create" {
  type    = bool
  default = true
}

data "aws_iam_policy_document" "assume" {
  count = var.create ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count              = var.create ? 1 : 0
  name               = "cluster"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json
}
"#;

/// Terraform evaluates nothing of a resource with `count = 0`: its trust is not an
/// "index out of range" error (the data source it reads has no instance either). The role is
/// listed once, as not created, with no unresolved part; the enabled call is resolved.
#[test]
fn a_role_in_a_module_switched_off_by_the_caller_is_listed_once_without_errors() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
module "enabled" {
  source = "./modules/cluster"
}

module "disabled" {
  source = "./modules/cluster"
  create = false
}
"#,
        ),
        ("modules/cluster/main.tf", CHILD_WITH_COUNTED_DOCUMENT),
    ]);
    let all = roles(dir.path(), &[]);
    let enabled = one(&all, "module.enabled.aws_iam_role.this[0]");
    assert_eq!(enabled["trust_resolved"], true, "{enabled:#}");
    let disabled = one(&all, "module.disabled.aws_iam_role.this");
    assert_eq!(disabled["state"], "not_created", "{disabled:#}");
    assert!(
        disabled["unresolved"].as_array().is_some_and(Vec::is_empty),
        "a role that is not created has no unresolved trust: {disabled:#}"
    );
    assert_eq!(all.len(), 2, "{all:#?}");
}

// ---------------------------------------------------------------------------------------------
// Functions on unknown arguments (terraform-aws-lambda: the principals of the trust are
// `slice([...], 0, var.lambda_at_edge ? 2 : 1)`).
// ---------------------------------------------------------------------------------------------

/// `slice` with an unknown end is unknown for the reason its end is, not an invalid call.
#[test]
fn slice_with_an_unknown_end_is_unknown_not_invalid() {
    let dir = tree(&[(
        "main.tf",
        r#"
variable "at_edge" {
  type = bool
}

resource "aws_iam_role" "fn" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = slice(["lambda.amazonaws.com", "edgelambda.amazonaws.com"], 0, var.at_edge ? 2 : 1) }
    }]
  })
}
"#,
    )]);
    let all = roles(dir.path(), &[]);
    let fn_role = one(&all, "aws_iam_role.fn");
    let why = reasons(fn_role);
    assert!(why.contains("var.at_edge"), "{fn_role:#}");
    assert!(!why.contains("invalid"), "{fn_role:#}");
    let given = roles(dir.path(), &["--var", "at_edge=true"]);
    assert_eq!(one(&given, "aws_iam_role.fn")["trust_resolved"], true);
}

// ---------------------------------------------------------------------------------------------
// Registry modules without `terraform init` (terraform-aws-ecs examples call
// terraform-aws-modules/autoscaling/aws with `create_iam_instance_profile = true`).
// ---------------------------------------------------------------------------------------------

/// The autoscaling module's instance profile role trusts EC2 (its documented, fixed trust) and
/// gets `iam_role_policies` attached: modelled, not "inputs only" with no trust.
#[test]
fn autoscaling_module_instance_profile_role_is_modelled() {
    let dir = tree(&[(
        "main.tf",
        r#"
module "asg" {
  source  = "terraform-aws-modules/autoscaling/aws"
  version = "~> 9.0"

  name                        = "web"
  create_iam_instance_profile = true
  iam_role_name               = "web-node"
  iam_role_policies = {
    AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"
  }
}

module "asg_without_profile" {
  source  = "terraform-aws-modules/autoscaling/aws"
  version = "~> 8.0"
  name    = "plain"
}
"#,
    )]);
    let all = roles(dir.path(), &[]);
    let asg = one(&all, "module.asg.aws_iam_role.this");
    assert_eq!(asg["trust_resolved"], true, "{asg:#}");
    let statements = asg["trust"]["statements"].as_array().expect("statements");
    let principals: Vec<&str> = statements
        .iter()
        .flat_map(|s| s["principals"].as_array().into_iter().flatten())
        .filter_map(|p| p["value"].as_str())
        .collect();
    assert_eq!(principals, vec!["ec2.amazonaws.com"], "{asg:#}");
    assert_eq!(statements[0]["actions"][0], "sts:AssumeRole", "{asg:#}");
    assert!(
        asg["managed_policies"]
            .to_string()
            .contains("AdministratorAccess"),
        "{asg:#}"
    );
    let plain = one(&all, "module.asg_without_profile.aws_iam_role.this");
    assert_eq!(plain["state"], "not_created", "{plain:#}");
}

// ---------------------------------------------------------------------------------------------
// fileset(): Terraform lists the regular files under a path that match a pattern (`*` and `?`
// within a path segment, `**` across segments, `{a,b}`, `[class]` and `[^class]`), relative
// to the path, with `/` separators, as a set (sorted). Inside the scanned root only.
// ---------------------------------------------------------------------------------------------

const ADMIN_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
const READ_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;

/// One inline policy per JSON file of a directory, a common layout: every file is read and
/// checked (the admin one gives IAM101), and files the pattern does not match are not.
#[test]
fn fileset_policies_from_a_directory_are_read() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "each" {
  for_each = fileset("${path.module}/policies", "**/*.json")
  name     = trimsuffix(basename(each.value), ".json")
  role     = aws_iam_role.app.id
  policy   = file("${path.module}/policies/${each.value}")
}
"#,
        ),
        ("policies/admin.json", ADMIN_POLICY),
        ("policies/team/read.json", READ_POLICY),
        ("policies/notes.md", "not a policy"),
    ]);
    let all = roles(dir.path(), &[]);
    let app = one(&all, "aws_iam_role.app");
    let policies = app["inline_policies"].as_array().expect("inline policies");
    assert_eq!(policies.len(), 2, "{app:#}");
    assert!(policies.iter().all(|p| p["resolved"] == true), "{app:#}");
    let names = app["inline_policies"].to_string();
    assert!(names.contains("admin") && names.contains("read"), "{names}");
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(dir.path())
        .args(["--format", "json", "."])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["rule"] == "IAM101"),
        "the admin policy read through fileset is checked: {v:#}"
    );
}

/// A path outside the scanned root is not listed: the result is unknown and the run reports
/// an error at the call, as for file().
#[test]
fn fileset_outside_the_root_is_refused() {
    let outer = tempfile::tempdir().expect("tempdir");
    write(outer.path(), "secret/p.json", ADMIN_POLICY);
    write(
        outer.path(),
        "repo/main.tf",
        r#"
resource "aws_iam_role" "app" {
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = tolist(fileset("../secret", "*.json")) } }]
  })
}
"#,
    );
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("git dir");
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(&repo)
        .args(["roles", "--format", "json", "."])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let text = v.to_string();
    assert!(
        !text.contains("p.json"),
        "nothing outside the root is listed: {v:#}"
    );
    let app = &v["roles"][0];
    assert_eq!(app["trust_resolved"], false, "{v:#}");
    assert!(reasons(app).contains("outside the scanned root"), "{v:#}");
    assert_eq!(out.status.code(), Some(2), "{v:#}");
}

// ---------------------------------------------------------------------------------------------
// Wrapper modules (terraform-aws-modules' `wrappers/`: `module "wrapper" { for_each =
// var.items ... x = try(each.value.x, var.defaults.x, DEFAULT) }` with `items` empty by
// default). Terraform creates no instance with the defaults; the template iamlint checks stands
// for an item the user will give, which no value in the code decides: the unknown says so.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_wrapper_template_names_the_item_the_user_supplies() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
variable "items" {
  type    = any
  default = {}
}

module "wrapper" {
  source   = "./modules/role"
  for_each = var.items
  principals = try(each.value.principals, ["ec2.amazonaws.com"])
}
"#,
        ),
        (
            "modules/role/main.tf",
            r#"
variable "principals" {
  type    = list(string)
  default = ["ec2.amazonaws.com"]
}

data "aws_iam_policy_document" "assume" {
  dynamic "statement" {
    for_each = var.principals
    content {
      actions = ["sts:AssumeRole"]
      principals {
        type        = "Service"
        identifiers = [statement.value]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  assume_role_policy = data.aws_iam_policy_document.assume.json
}
"#,
        ),
    ]);
    let all = roles(dir.path(), &[]);
    let this = one(&all, "module.wrapper.aws_iam_role.this");
    assert_eq!(this["state"], "template", "{this:#}");
    let why = reasons(this);
    assert!(
        why.contains("each.value is an item the user supplies"),
        "{this:#}"
    );
    assert!(why.contains("for_each = {} from var.items"), "{this:#}");
    // Given an item, it resolves.
    let given = roles(
        dir.path(),
        &[
            "--var",
            r#"items={"a": {"principals": ["lambda.amazonaws.com"]}}"#,
        ],
    );
    let a = one(&given, r#"module.wrapper["a"].aws_iam_role.this"#);
    assert_eq!(a["trust_resolved"], true, "{a:#}");
}

// ---------------------------------------------------------------------------------------------
// yamlencode(): the output of Terraform 1.11's `terraform console` for each value, byte for
// byte; values whose output iamlint does not reproduce stay unknown.
// ---------------------------------------------------------------------------------------------

#[test]
fn yamlencode_writes_what_terraform_writes() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{a = "x", b = [1, true, "y"], c = {d = null}}"#,
            "\"a\": \"x\"\n\"b\":\n- 1\n- true\n- \"y\"\n\"c\":\n  \"d\": null\n",
        ),
        (
            r#"{a = {b = {c = 1, d = [1, {e = "f", g = [2, 3]}]}}, l = [{x = 1, y = [4, [5]]}, {}, [], [[]]], b = "zz"}"#,
            "\"a\":\n  \"b\":\n    \"c\": 1\n    \"d\":\n    - 1\n    - \"e\": \"f\"\n      \"g\":\n      - 2\n      - 3\n\"b\": \"zz\"\n\"l\":\n- \"x\": 1\n  \"y\":\n  - 4\n  - - 5\n- {}\n- []\n- - []\n",
        ),
        (
            r#"["", "a b", "tab\there", "quote\"s", "back\\slash", "x: y", "true", "123", "~", "- a", "üñí"]"#,
            "- \"\"\n- \"a b\"\n- \"tab\\there\"\n- \"quote\\\"s\"\n- \"back\\\\slash\"\n- \"x: y\"\n- \"true\"\n- \"123\"\n- \"~\"\n- \"- a\"\n- \"üñí\"\n",
        ),
        ("{e = [], f = {}}", "\"e\": []\n\"f\": {}\n"),
        (r#""x""#, "\"x\"\n"),
        ("1", "1\n...\n"),
        ("true", "true\n...\n"),
        ("[]", "[]\n"),
    ];
    let mut tf = String::new();
    for (i, (value, _)) in cases.iter().enumerate() {
        tf.push_str(&format!(
            "resource \"aws_iam_role\" \"r{i}\" {{\n  name = yamlencode({value})\n  assume_role_policy = \"{{}}\"\n}}\n"
        ));
    }
    tf.push_str("resource \"aws_iam_role\" \"multi\" {\n  name = yamlencode([\"a\\nb\", 1.5])\n  assume_role_policy = \"{}\"\n}\n");
    let dir = tree(&[("main.tf", &tf)]);
    let all = roles(dir.path(), &[]);
    for (i, (value, expected)) in cases.iter().enumerate() {
        let r = one(&all, &format!("aws_iam_role.r{i}"));
        assert_eq!(r["name"], *expected, "yamlencode({value})");
    }
    // Literal blocks and 512-bit numbers are not reproduced: unknown, with the reason.
    let multi = one(&all, "aws_iam_role.multi");
    assert!(
        multi["name"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("yamlencode")),
        "{multi:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Reasons that name their cause (terraform-aws-components: `module.x[*]` of a module whose
// count is unknown said only "the instances of module.x are unknown").
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_module_instances_name_why() {
    let dir = tree(&[
        (
            "main.tf",
            r#"
variable "enabled" {
  type = bool
}

module "peer" {
  source = "./peer"
  count  = var.enabled ? 1 : 0
}

resource "aws_iam_role" "r" {
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = one(module.peer[*].arn) } }]
  })
}
"#,
        ),
        (
            "peer/main.tf",
            "output \"arn\" {\n  value = \"arn:aws:iam::111122223333:root\"\n}\n",
        ),
    ]);
    let all = roles(dir.path(), &[]);
    let r = one(&all, "aws_iam_role.r");
    let why = reasons(r);
    assert!(
        why.contains("the instances of module.peer are unknown"),
        "{r:#}"
    );
    assert!(why.contains("var.enabled"), "{r:#}");
}
