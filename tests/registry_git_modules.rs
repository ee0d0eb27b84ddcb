//! Two old cloudposse modules that public code calls by git source with a tag, described for
//! their outputs (data/modules/cloudposse-kops-data-iam.yaml and
//! cloudposse-iam-system-user.yaml): a role trusting what they name is resolved without
//! `terraform init`; a ref outside the described releases leaves it unresolved, with a reason.
//!
//! Facts used: cloudposse/terraform-aws-kops-data-iam (0.1.0, 0.2.0) looks up the roles named
//! `masters.CLUSTER` and `nodes.CLUSTER` in the account it runs in (kops creates them without a
//! path) and its `*_role_arn` outputs are their ARNs, "" when `enabled` is false;
//! cloudposse/terraform-aws-iam-system-user creates an IAM user at `path` (default "/") named
//! by its label module, and `user_arn` is its ARN, "" when `enabled` is false.

use serde_json::Value;

mod module_support;
use module_support::{iamlint, write};

/// `iamlint ARGS --format json .` on a tree of one main.tf.
fn json(main_tf: &str, args: &[&str]) -> (Option<i32>, Value) {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main_tf);
    let args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--format", "json", "."])
        .collect();
    iamlint(d.path(), &args)
}

/// The inventory entry of the role at `address`.
fn role(main_tf: &str, address: &str) -> Value {
    let (_, v) = json(main_tf, &["roles"]);
    v["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["address"] == address)
        .cloned()
        .unwrap_or_else(|| panic!("no role {address} in {v:#}"))
}

/// The AWS principals of the role's trust, in order.
fn principals(role: &Value) -> Vec<Value> {
    role["trust"]["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| s["principals"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["type"] == "AWS")
        .collect()
}

/// The rules the check run reports, with the resource they name.
fn findings(main_tf: &str) -> (Option<i32>, Vec<(String, String)>) {
    let (code, v) = json(main_tf, &[]);
    assert!(
        v["errors"].as_array().is_some_and(|e| e.is_empty()),
        "errors: {}",
        v["errors"]
    );
    let fs = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["resource"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    (code, fs)
}

/// A role that kops masters and nodes may assume, as the kops components of
/// terraform-aws-components write it; `SOURCE` is the module's source.
const KOPS_ROOT: &str = r#"module "kops_metadata" {
  source       = "SOURCE"
  cluster_name = "us-east-1.prod.example.com"
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [module.kops_metadata.masters_role_arn, module.kops_metadata.nodes_role_arn]
    }
  }
}

resource "aws_iam_role" "kiam" {
  name               = "kiam"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}
"#;

const KOPS_GIT: &str = "git::https://github.com/cloudposse/terraform-aws-kops-data-iam.git";

#[test]
fn kops_data_iam_role_arns_resolve_the_trust() {
    for reference in ["?ref=tags/0.1.0", "?ref=tags/0.2.0", "?ref=0.2.0"] {
        let root = KOPS_ROOT.replace("SOURCE", &format!("{KOPS_GIT}{reference}"));
        let r = role(&root, "aws_iam_role.kiam");
        assert_eq!(r["state"], "checked", "{reference}: {r:#}");
        assert_eq!(r["trust_resolved"], true, "{reference}: {r:#}");
        let ps = principals(&r);
        let values: Vec<&str> = ps.iter().filter_map(|p| p["value"].as_str()).collect();
        assert_eq!(
            values,
            [
                "arn:aws:iam::(this-account):role/masters.us-east-1.prod.example.com",
                "arn:aws:iam::(this-account):role/nodes.us-east-1.prod.example.com",
            ],
            "{reference}: {r:#}"
        );
        for p in &ps {
            assert_eq!(p["relation"], "self", "{reference}: {p}");
        }
        // Checked: nothing is left unresolved, and a role of this account is no finding.
        let (code, fs) = findings(&root);
        assert!(
            !fs.iter()
                .any(|(rule, res)| rule == "IAM008" && res == "aws_iam_role.kiam"),
            "{reference}: {fs:#?}"
        );
        assert_eq!(code, Some(0), "{reference}: {fs:#?}");
    }
}

/// `enabled = false` (a string in 0.1.0, a bool in 0.2.0) makes the outputs "", as the
/// module's `join("", ...)` of no data source does.
#[test]
fn kops_data_iam_disabled_gives_empty_arns() {
    for (reference, enabled) in [("tags/0.1.0", "\"false\""), ("tags/0.2.0", "false")] {
        let root = KOPS_ROOT
            .replace("SOURCE", &format!("{KOPS_GIT}?ref={reference}"))
            .replace(
                "  cluster_name",
                &format!("  enabled      = {enabled}\n  cluster_name"),
            )
            .replace(
                "[module.kops_metadata.masters_role_arn, module.kops_metadata.nodes_role_arn]",
                "compact([module.kops_metadata.masters_role_arn, \"arn:aws:iam::999988887777:role/ci\"])",
            );
        let r = role(&root, "aws_iam_role.kiam");
        assert_eq!(r["trust_resolved"], true, "{reference}: {r:#}");
        let values: Vec<Value> = principals(&r).iter().map(|p| p["value"].clone()).collect();
        assert_eq!(
            values,
            ["arn:aws:iam::999988887777:role/ci"],
            "{reference}: {r:#}"
        );
    }
}

/// A ref that is not a described release (a branch, a later major) is not modelled: the trust
/// stays unresolved and says why.
#[test]
fn kops_data_iam_outside_the_described_releases_stays_unresolved() {
    for reference in ["?ref=master", "?ref=tags/1.0.0"] {
        let root = KOPS_ROOT.replace("SOURCE", &format!("{KOPS_GIT}{reference}"));
        let r = role(&root, "aws_iam_role.kiam");
        assert_eq!(r["trust_resolved"], false, "{reference}: {r:#}");
        let reasons: Vec<&str> = r["unresolved"]
            .as_array()
            .expect("unresolved")
            .iter()
            .filter_map(|u| u["reason"].as_str())
            .collect();
        assert!(
            !reasons.is_empty()
                && reasons
                    .iter()
                    .all(|why| why.contains("module.kops_metadata")
                        && why.contains("not downloaded")),
            "{reference}: {r:#}"
        );
    }
}

/// A role that a system user may assume, as terraform-aws-components' bootstrap writes it.
const USER_ROOT: &str = r#"module "user" {
  source    = "SOURCE"
  namespace = "eg"
  stage     = "prod"
  name      = "bootstrap"
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [module.user.user_arn]
    }
  }
}

resource "aws_iam_role" "bootstrap" {
  name               = "bootstrap"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}
"#;

const USER_GIT: &str = "git::https://github.com/cloudposse/terraform-aws-iam-system-user.git";

fn user_root(source: &str, version: Option<&str>) -> String {
    let root = USER_ROOT.replace("SOURCE", source);
    match version {
        Some(v) => root.replace(
            "  namespace = \"eg\"",
            &format!("  version   = \"{v}\"\n  namespace = \"eg\""),
        ),
        None => root,
    }
}

#[test]
fn iam_system_user_arn_resolves_the_trust() {
    let git = |r: &str| format!("{USER_GIT}?ref={r}");
    for (source, version) in [
        (git("tags/0.2.2"), None),
        (git("tags/0.3.2"), None),
        (git("0.9.0"), None),
        (git("tags/0.22.0"), None),
        (git("tags/1.2.1"), None),
        ("cloudposse/iam-system-user/aws".to_string(), Some("~> 1.0")),
        ("cloudposse/iam-system-user/aws".to_string(), None),
    ] {
        let root = user_root(&source, version);
        let r = role(&root, "aws_iam_role.bootstrap");
        assert_eq!(r["state"], "checked", "{source}: {r:#}");
        assert_eq!(r["trust_resolved"], true, "{source}: {r:#}");
        let ps = principals(&r);
        assert_eq!(ps.len(), 1, "{source}: {r:#}");
        assert_eq!(
            ps[0]["value"],
            "arn:aws:iam::(this-account):user/(unknown name generated by module.user)",
            "{source}: {r:#}"
        );
        assert_eq!(ps[0]["relation"], "self", "{source}: {r:#}");
        let (code, fs) = findings(&root);
        assert!(
            !fs.iter().any(|(rule, _)| rule == "IAM008"),
            "{source}: {fs:#?}"
        );
        assert_eq!(code, Some(0), "{source}: {fs:#?}");
    }
}

/// The user's `path` is part of its ARN.
#[test]
fn iam_system_user_path_is_in_the_arn() {
    let root = user_root(&format!("{USER_GIT}?ref=tags/0.3.2"), None).replace(
        "  name      = \"bootstrap\"",
        "  name      = \"bootstrap\"\n  path      = \"/ci/\"",
    );
    let r = role(&root, "aws_iam_role.bootstrap");
    assert_eq!(r["trust_resolved"], true, "{r:#}");
    assert_eq!(
        principals(&r)[0]["value"],
        "arn:aws:iam::(this-account):user/ci/(unknown name generated by module.user)",
        "{r:#}"
    );
}

/// `enabled = false` (or the label context's `enabled` from 0.16.0 on) creates no user:
/// `user_arn` is "".
#[test]
fn iam_system_user_disabled_gives_an_empty_arn() {
    for (reference, input) in [
        ("tags/0.3.2", "enabled   = \"false\""),
        ("0.9.0", "enabled   = false"),
        ("tags/1.2.1", "enabled   = false"),
        ("tags/1.2.1", "context   = { enabled = false }"),
    ] {
        let root = user_root(&format!("{USER_GIT}?ref={reference}"), None)
            .replace(
                "  namespace = \"eg\"",
                &format!("  {input}\n  namespace = \"eg\""),
            )
            .replace(
                "[module.user.user_arn]",
                "compact([module.user.user_arn, \"arn:aws:iam::999988887777:role/ci\"])",
            );
        let r = role(&root, "aws_iam_role.bootstrap");
        assert_eq!(r["trust_resolved"], true, "{reference} {input}: {r:#}");
        let values: Vec<Value> = principals(&r).iter().map(|p| p["value"].clone()).collect();
        assert_eq!(
            values,
            ["arn:aws:iam::999988887777:role/ci"],
            "{reference} {input}: {r:#}"
        );
    }
}

/// 0.2.1 and earlier are not described (their `user_arn` fails when the user is switched
/// off), nor a branch: the trust stays unresolved and says why.
#[test]
fn iam_system_user_outside_the_described_releases_stays_unresolved() {
    for reference in ["tags/0.2.1", "tags/0.1.0", "master"] {
        let root = user_root(&format!("{USER_GIT}?ref={reference}"), None);
        let r = role(&root, "aws_iam_role.bootstrap");
        assert_eq!(r["trust_resolved"], false, "{reference}: {r:#}");
        let reasons: Vec<&str> = r["unresolved"]
            .as_array()
            .expect("unresolved")
            .iter()
            .filter_map(|u| u["reason"].as_str())
            .collect();
        assert!(
            !reasons.is_empty()
                && reasons
                    .iter()
                    .all(|why| why.contains("module.user") && why.contains("not downloaded")),
            "{reference}: {r:#}"
        );
        let (_, fs) = findings(&root);
        assert!(
            fs.iter()
                .any(|(rule, res)| rule == "IAM008" && res == "aws_iam_role.bootstrap"),
            "{reference}: {fs:#?}"
        );
    }
}

/// A cluster name from a variable without a value leaves the role's name unknown: the trust
/// is unresolved for that variable, no longer for the module.
#[test]
fn kops_data_iam_unknown_cluster_name_is_the_callers_unknown() {
    let root = format!(
        "variable \"cluster_name\" {{\n  type = string\n}}\n{}",
        KOPS_ROOT
            .replace("SOURCE", &format!("{KOPS_GIT}?ref=tags/0.2.0"))
            .replace("\"us-east-1.prod.example.com\"", "var.cluster_name")
    );
    let r = role(&root, "aws_iam_role.kiam");
    assert_eq!(r["trust_resolved"], false, "{r:#}");
    let reasons: Vec<&str> = r["unresolved"]
        .as_array()
        .expect("unresolved")
        .iter()
        .filter_map(|u| u["reason"].as_str())
        .collect();
    assert!(
        !reasons.is_empty()
            && reasons
                .iter()
                .all(|why| why.contains("var.cluster_name") && !why.contains("not downloaded")),
        "{r:#}"
    );
}

/// A module whose description says it makes no role (a label, a lookup of existing roles, an
/// IAM user) is fully described by its outputs: no inputs-only record and no IAM009 note for
/// it. A module described for its outputs only that does make roles (EKS) keeps the note.
#[test]
fn a_module_that_makes_no_role_gets_no_note() {
    let main = r#"module "label" {
  source    = "cloudposse/label/null"
  version   = "0.25.0"
  namespace = "eg"
  name      = "app"
}
module "kops" {
  source       = "git::https://github.com/cloudposse/terraform-aws-kops-data-iam.git?ref=tags/0.2.0"
  cluster_name = "k8s.example.com"
}
module "user" {
  source  = "cloudposse/iam-system-user/aws"
  version = "1.2.1"
  context = module.label.context
}
"#;
    let (code, fs) = findings(main);
    assert!(fs.is_empty(), "{fs:#?}");
    assert_eq!(code, Some(0));
    let (_, v) = json(main, &["roles"]);
    assert_eq!(v["roles"], serde_json::json!([]), "{v:#}");

    let eks = r#"module "eks" {
  source          = "terraform-aws-modules/eks/aws"
  version         = "~> 17.0"
  cluster_name    = "main"
  cluster_version = "1.29"
}
"#;
    let (_, fs) = findings(eks);
    assert!(
        fs.iter()
            .any(|(rule, res)| rule == "IAM009" && res == "module.eks"),
        "{fs:#?}"
    );
}
