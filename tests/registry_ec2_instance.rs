//! The instance profile's role of terraform-aws-modules/ec2-instance/aws, checked without
//! `terraform init`: made only with `create_iam_instance_profile = true`, trusted by EC2 alone,
//! named `iam_role_name` (else the instance's `name`), with the policy ARNs of
//! `iam_role_policies` attached; described for majors 4 (from 4.2.0, where the role appeared),
//! 5 and 6. Other versions fall back to reading the inputs only.

use serde_json::Value;

mod module_support;
use module_support::*;

/// A finding: rule, resource, line, notes.
#[derive(Debug)]
struct Finding {
    rule: String,
    resource: String,
    line: u64,
    message: String,
    notes: String,
}

/// The findings of `main.tf` and the exit code.
fn findings(main: &str) -> (Option<i32>, Vec<Finding>) {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    let (code, v) = iamlint(d.path(), &["--format", "json", "."]);
    let text = |f: &Value, k: &str| f[k].as_str().unwrap_or_default().to_string();
    let fs = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| Finding {
            rule: text(f, "rule"),
            resource: text(f, "resource"),
            line: f["line"].as_u64().unwrap_or_default(),
            message: text(f, "message"),
            notes: f["notes"].to_string(),
        })
        .collect();
    (code, fs)
}

const CALL: &str = r#"module "bastion" {
  source  = "terraform-aws-modules/ec2-instance/aws"
  version = "VERSION"

  name          = "bastion"
  instance_type = "t3.micro"
EXTRA}
"#;

fn call(version: &str, extra: &str) -> String {
    CALL.replace("VERSION", version).replace("EXTRA", extra)
}

const ROLE: &str = "module.bastion.aws_iam_role.this";

/// Without `create_iam_instance_profile` the module makes no role: the call is modelled and
/// its role listed as not created, in every described major.
#[test]
fn ec2_instance_role_is_not_created_by_default() {
    for version in ["~> 6.0", "~> 5.0", "4.5.0"] {
        let rs = roles(&call(version, ""));
        let r = role(&rs, ROLE);
        assert_eq!(r["state"], "not_created", "{version}: {r:#}");
    }
    // `create = false` turns the role off too, even with the profile asked for.
    let rs = roles(&call(
        "~> 6.0",
        "  create                      = false\n  create_iam_instance_profile = true\n",
    ));
    assert_eq!(role(&rs, ROLE)["state"], "not_created", "{rs:#?}");
}

/// Switched on, the role is checked: EC2 (`ec2.amazonaws.com`, the module's fixed trust) may
/// assume it, its name is `iam_role_name`, its path and boundary are the caller's.
#[test]
fn ec2_instance_role_switched_on_trusts_ec2() {
    let extra = r#"  create_iam_instance_profile   = true
  iam_role_name                 = "bastion-node"
  iam_role_path                 = "/instances/"
  iam_role_permissions_boundary = "arn:aws:iam::111122223333:policy/boundary"
"#;
    for (version, major) in [
        ("~> 6.0", "v6.4.0"),
        ("~> 5.0", "v5.8.0"),
        ("4.3.0", "v4.5.0"),
    ] {
        let rs = roles(&call(version, extra));
        let r = role(&rs, ROLE);
        assert_eq!(r["state"], "checked", "{version}: {r:#}");
        assert_eq!(r["trust_resolved"], true, "{version}: {r:#}");
        assert_eq!(r["name"], "bastion-node", "{version}: {r:#}");
        assert_eq!(r["path"], "/instances/", "{version}: {r:#}");
        assert_eq!(
            r["permissions_boundary"], "arn:aws:iam::111122223333:policy/boundary",
            "{version}: {r:#}"
        );
        let statements = r["trust"]["statements"].as_array().expect("statements");
        assert_eq!(statements.len(), 1, "{version}: {r:#}");
        let s = &statements[0];
        assert_eq!(s["sid"], "EC2AssumeRole", "{version}: {r:#}");
        assert_eq!(s["actions"], serde_json::json!(["sts:AssumeRole"]), "{r:#}");
        let principals = s["principals"].as_array().expect("principals");
        assert_eq!(principals.len(), 1, "{version}: {r:#}");
        assert_eq!(principals[0]["type"], "Service", "{version}: {r:#}");
        assert_eq!(
            principals[0]["value"], "ec2.amazonaws.com",
            "{version}: {r:#}"
        );
        assert!(
            r["notes"].to_string().contains(major),
            "{version}: described from {major}: {r:#}"
        );
    }
}

/// Without `iam_role_name` the role is named after the instance (`name`).
#[test]
fn ec2_instance_role_is_named_after_the_instance_by_default() {
    let rs = roles(&call("~> 5.0", "  create_iam_instance_profile = true\n"));
    let r = role(&rs, ROLE);
    assert_eq!(r["state"], "checked", "{r:#}");
    assert_eq!(r["name"], "bastion", "{r:#}");
}

/// AdministratorAccess in `iam_role_policies` is IAM101 on the modelled role, at the line of
/// the map's entry, and says the role was modelled; a read-only policy is not.
#[test]
fn ec2_instance_admin_policy_is_found_at_the_input() {
    let extra = r#"  create_iam_instance_profile = true
  iam_role_policies = {
    SSM   = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    Admin = "arn:aws:iam::aws:policy/AdministratorAccess"
  }
"#;
    let main = call("~> 6.0", extra);
    let (code, fs) = findings(&main);
    assert_eq!(code, Some(1), "{fs:#?}");
    let admin = fs
        .iter()
        .find(|f| f.rule == "IAM101")
        .unwrap_or_else(|| panic!("IAM101: {fs:#?}"));
    assert_eq!(admin.resource, ROLE, "{admin:?}");
    assert_eq!(admin.line, line_of(&main, "Admin ="), "{admin:?}");
    assert!(
        admin.notes.contains("modelled from the module's interface"),
        "{admin:?}"
    );
    assert_eq!(
        fs.iter().filter(|f| f.rule == "IAM101").count(),
        1,
        "only the admin policy: {fs:#?}"
    );

    // The same map with the role switched off: no role, nothing to find.
    let off = call(
        "~> 6.0",
        r#"  iam_role_policies = {
    Admin = "arn:aws:iam::aws:policy/AdministratorAccess"
  }
"#,
    );
    let (_, fs) = findings(&off);
    assert!(!fs.iter().any(|f| f.rule == "IAM101"), "{fs:#?}");
}

/// A call without `version` gets the registry's latest major, v6, which is described.
#[test]
fn ec2_instance_without_version_is_modelled_as_v6() {
    let main = r#"module "bastion" {
  source                      = "terraform-aws-modules/ec2-instance/aws"
  name                        = "bastion"
  create_iam_instance_profile = true
}
"#;
    let rs = roles(main);
    let r = role(&rs, ROLE);
    assert_eq!(r["state"], "checked", "{r:#}");
    assert!(r["notes"].to_string().contains("v6.4.0"), "{r:#}");
}

/// A version outside the description (v3, which had no role; 4.1.x, before the role; a
/// constraint that admits several majors) is read from its inputs only: no modelled role,
/// IAM009 says why, and the admin ARN is IAM101 on the module block. 4.2.0, the first release
/// with the role, is modelled.
#[test]
fn ec2_instance_outside_the_described_versions_falls_back_to_inputs() {
    let extra = r#"  create_iam_instance_profile = true
  iam_role_policies = {
    Admin = "arn:aws:iam::aws:policy/AdministratorAccess"
  }
"#;
    let first = call("4.2.0", extra);
    let rs = roles(&first);
    assert_eq!(role(&rs, ROLE)["state"], "checked", "{rs:#?}");
    let (_, fs) = findings(&first);
    assert!(
        fs.iter().any(|f| f.rule == "IAM101" && f.resource == ROLE),
        "4.2.0 is modelled: {fs:#?}"
    );
    for version in ["~> 3.0", "4.1.4", ">= 4.0"] {
        let main = call(version, extra);
        let rs = roles(&main);
        assert!(
            !rs.iter().any(|r| r["address"] == ROLE),
            "{version}: no modelled role: {rs:#?}"
        );
        let (code, fs) = findings(&main);
        assert_eq!(code, Some(1), "{version}: {fs:#?}");
        let note = fs
            .iter()
            .find(|f| f.rule == "IAM009")
            .unwrap_or_else(|| panic!("{version}: IAM009: {fs:#?}"));
        assert!(note.message.contains("not modelled"), "{version}: {note:?}");
        let admin = fs
            .iter()
            .find(|f| f.rule == "IAM101")
            .unwrap_or_else(|| panic!("{version}: IAM101: {fs:#?}"));
        assert_eq!(admin.resource, "module.bastion", "{version}: {admin:?}");
        assert_eq!(
            admin.line,
            line_of(&main, "Admin ="),
            "{version}: {admin:?}"
        );
        assert!(admin.notes.contains("inputs only"), "{version}: {admin:?}");
        assert!(
            !fs.iter().any(|f| f.notes.contains("modelled from")),
            "{version}: {fs:#?}"
        );
    }
}
