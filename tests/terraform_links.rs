//! Terraform: every resource that links a policy to a role, a dynamic principals block, the
//! precedence of variable files, and a child module scanned with its caller and on its own.

use std::path::PathBuf;

use iamlint::config::Config;
use iamlint::iam::model::Role;
use iamlint::run::{self, Options};

fn roles(dir: &str) -> Vec<Role> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let opts = Options {
        paths: vec![path],
        ..Options::default()
    };
    let (_, ex, _, _) = run::extract(&opts, &Config::default()).expect("extract");
    assert!(ex.errors.is_empty(), "{:?}", ex.errors);
    ex.roles
}

fn principals(r: &Role) -> Vec<(String, String)> {
    r.trust
        .iter()
        .flat_map(|d| d.statements.iter())
        .flat_map(|s| s.principal.iter().flat_map(|p| p.entries.iter()))
        .map(|p| (p.type_name.clone(), p.value.render()))
        .collect()
}

#[test]
fn every_attachment_resource_links_to_the_role() {
    let rs = roles("testdata/terraform_links");
    let app = rs
        .iter()
        .find(|r| r.address == "aws_iam_role.app")
        .expect("app");
    let inline: Vec<&str> = app
        .inline_policies
        .iter()
        .map(|p| p.origin.as_str())
        .collect();
    assert!(
        inline.contains(&"aws_iam_policy.shared"),
        "policy_attachment: {inline:?}"
    );
    assert!(inline.contains(&"aws_iam_role_policy.inline"), "{inline:?}");
    assert!(app.inline_policies.iter().all(|p| p.document.is_some()));
    let managed: Vec<String> = app
        .managed_policies
        .iter()
        .map(|m| m.arn.render())
        .collect();
    assert_eq!(
        managed,
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        "by literal role name"
    );
    let notes = app.notes.join("\n");
    for n in [
        "aws_iam_role_policies_exclusive.app",
        "aws_iam_role_policy_attachments_exclusive.app",
        "aws_iam_instance_profile.app",
    ] {
        assert!(notes.contains(n), "{n} missing from notes: {notes}");
    }
}

#[test]
fn dynamic_principals_blocks_expand() {
    let rs = roles("testdata/terraform_links");
    let app = rs
        .iter()
        .find(|r| r.address == "aws_iam_role.app")
        .expect("app");
    assert_eq!(
        principals(app),
        [
            (
                "AWS".to_string(),
                "arn:aws:iam::111122223333:role/deployer".to_string()
            ),
            ("Service".to_string(), "ec2.amazonaws.com".to_string()),
        ]
    );
}

#[test]
fn a_child_module_is_reported_under_its_caller_and_standalone_with_defaults() {
    let rs = roles("testdata/terraform_links");
    let addresses: Vec<&str> = rs.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(
        addresses,
        ["aws_iam_role.app", "module.app.aws_iam_role.this"],
        "no duplicate"
    );
    let m = &rs[1];
    assert_eq!(
        principals(m)[0].1,
        "arn:aws:iam::777788889999:root",
        "the caller's input"
    );

    let alone = roles("testdata/terraform_links/modules/app-role");
    assert_eq!(alone.len(), 1);
    assert_eq!(alone[0].address, "aws_iam_role.this");
    assert_eq!(
        principals(&alone[0])[0].1,
        "arn:aws:iam::444455556666:root",
        "the default"
    );
}

#[test]
fn variable_files_apply_in_terraforms_order() {
    let rs = roles("testdata/terraform_precedence");
    let got: Vec<String> = principals(&rs[0]).into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        got,
        [
            "111111111111", // default only
            "222222222222", // terraform.tfvars over the default
            "333333333333", // terraform.tfvars.json over terraform.tfvars
            "444444444444", // a.auto.tfvars over both
            "555555555555", // b.auto.tfvars.json after a.auto.tfvars
        ]
    );
}
