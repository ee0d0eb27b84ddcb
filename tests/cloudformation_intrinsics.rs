//! Every CloudFormation intrinsic function, in short YAML tags (template.yaml) and long JSON
//! forms (template.json), computed by iamlint and compared with the value CloudFormation
//! documents. Each result feeds one condition of a trust policy in
//! testdata/cloudformation_intrinsics.

use std::collections::BTreeMap;
use std::path::PathBuf;

use iamlint::config::Config;
use iamlint::run::{self, Options};
use iamlint::value::SELF_ACCOUNT;

type Values = BTreeMap<String, Vec<Result<String, String>>>;

fn values(file: &str) -> (Values, Vec<String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/cloudformation_intrinsics")
        .join(file);
    let opts = Options {
        paths: vec![path],
        ..Options::default()
    };
    let (_, ex, _, _) = run::extract(&opts, &Config::default()).expect("extract");
    assert!(ex.errors.is_empty(), "{:?}", ex.errors);
    let role = ex
        .roles
        .iter()
        .find(|r| r.address == "Intrinsics")
        .expect("role");
    let st = &role.trust.as_ref().expect("trust").statements[0];
    let principals = st
        .principal
        .iter()
        .flat_map(|p| p.entries.iter())
        .map(|p| p.value.render())
        .collect();
    let mut out = BTreeMap::new();
    for c in &st.conditions {
        let key = c
            .key
            .get()
            .unwrap_or("?")
            .trim_start_matches("fn:")
            .to_string();
        let vals = c
            .values
            .iter()
            .map(|v| match &v.value {
                Ok(s) => Ok(s.clone()),
                Err(u) => Err(u.reason.clone()),
            })
            .collect();
        out.insert(key, vals);
    }
    (out, principals)
}

fn check(file: &str) {
    let (got, principals) = values(file);
    assert_eq!(
        principals,
        ["444455556666"],
        "{file}: Select over a CommaDelimitedList"
    );
    let role_arn = format!("arn:aws:iam::{SELF_ACCOUNT}:role/target");
    let sub = format!("arn:aws:iam::{SELF_ACCOUNT}:role/prod");
    let expected: Vec<(&str, Vec<&str>)> = vec![
        ("select", vec!["b"]),
        ("split", vec!["a", "b"]),
        ("join", vec!["a-prod"]),
        ("sub", vec![&sub]),
        ("sub_list", vec!["a-y"]),
        ("sub_escape", vec!["${Literal}"]),
        ("base64", vec!["YWJj"]),
        ("cidr", vec!["10.0.0.0/24", "10.0.1.0/24"]),
        ("length", vec!["3"]),
        ("tojsonstring", vec![r#"{"a":"b"}"#]),
        ("findinmap", vec!["210987654321"]),
        ("findinmap_default", vec!["none"]),
        ("if", vec!["both"]),
        ("or", vec!["yes"]),
        ("getatt", vec![&role_arn]),
        ("getatt_list", vec![&role_arn]),
        ("ref_role", vec!["target"]),
    ];
    let mut wrong = Vec::new();
    for (name, want) in &expected {
        let want: Vec<Result<String, String>> = want.iter().map(|s| Ok(s.to_string())).collect();
        if got.get(*name) != Some(&want) {
            wrong.push(format!(
                "{name}: expected {want:?}, got {:?}",
                got.get(*name)
            ));
        }
    }
    assert!(wrong.is_empty(), "{file}:\n{}", wrong.join("\n"));
    // AWS::NoValue removed the key; GetAZs and ImportValue stay unknown with a reason.
    assert!(
        !got.contains_key("novalue"),
        "{file}: AWS::NoValue must remove the key"
    );
    assert!(matches!(&got["getazs"][..], [Err(r)] if r.contains("availability zones")));
    assert!(
        matches!(&got["import"][..], [Err(r)] if r.contains("cross-stack import of shared-account-id"))
    );
    assert_eq!(
        got.len(),
        expected.len() + 2,
        "{file}: every condition is asserted"
    );
}

#[test]
fn short_forms_compute_cloudformations_values() {
    check("template.yaml");
}

#[test]
fn long_forms_compute_cloudformations_values() {
    check("template.json");
}
