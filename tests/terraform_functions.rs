//! The Terraform functions and expression forms that IAM code uses, each computed by iamlint
//! and compared with the value Terraform documents (testdata/terraform_functions/main.tf feeds
//! each result into one condition of a trust policy).

use std::collections::BTreeMap;
use std::path::PathBuf;

use iamlint::config::Config;
use iamlint::run::{self, Options};

fn values() -> BTreeMap<String, Vec<Result<String, String>>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/terraform_functions");
    let opts = Options {
        paths: vec![dir],
        ..Options::default()
    };
    let (_, ex, _, _) = run::extract(&opts, &Config::default()).expect("extract");
    assert!(ex.errors.is_empty(), "{:?}", ex.errors);
    let role = ex
        .roles
        .iter()
        .find(|r| r.address == "aws_iam_role.functions")
        .expect("role");
    let doc = role.trust.as_ref().expect("trust");
    let mut out = BTreeMap::new();
    for c in &doc.statements[0].conditions {
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
                Err(u) => Err(u.expr.clone()),
            })
            .collect();
        out.insert(key, vals);
    }
    out
}

fn known(v: &[&str]) -> Vec<Result<String, String>> {
    v.iter().map(|s| Ok(s.to_string())).collect()
}

#[test]
fn functions_compute_terraforms_values() {
    let got = values();
    let expected: &[(&str, &[&str])] = &[
        ("jsondecode", &["x", "y"]),
        ("merge", &["3", "2"]),
        ("concat", &["a", "b", "c"]),
        ("flatten", &["a", "b", "c"]),
        ("distinct", &["a", "b"]),
        ("compact", &["a", "b"]),
        ("toset", &["a", "b"]),
        ("tomap", &["1"]),
        ("keys", &["a", "b"]),
        ("lookup", &["default"]),
        ("element", &["b"]),
        ("length", &["2"]),
        ("contains", &["true"]),
        ("coalesce", &["x"]),
        ("coalescelist", &["y"]),
        ("try", &["fallback"]),
        ("can", &["true", "false"]),
        ("format", &["arn:aws:iam::111122223333:role/x"]),
        ("formatlist", &["repo:a/b:*", "repo:c/d:*"]),
        ("join", &["a,b"]),
        ("split", &["a", "b"]),
        ("replace", &["a_b_c", "abc"]),
        ("lower", &["abc", "ABC"]),
        ("trimspace", &["x"]),
        ("trimprefix", &["token.actions.githubusercontent.com"]),
        ("trimsuffix", &["a"]),
        ("startswith", &["true", "true"]),
        ("regex", &["111122223333"]),
        ("regexall", &["ab", "cd"]),
        ("zipmap", &["v1", "v2"]),
        ("setunion", &["a", "b"]),
        ("one", &["only"]),
        ("sort", &["a", "b"]),
        ("file", &["111122223333"]),
        ("templatefile", &["repo:a/b:ref:refs/heads/main"]),
        ("fileexists", &["true", "false"]),
        ("for_if", &["A"]),
        ("for_object", &["x=1", "y=2"]),
        ("conditional", &["yes", "mod"]),
        ("splat", &["a", "b"]),
        ("index", &["b", "v"]),
        ("directive", &["a;b;ok"]),
    ];
    let mut wrong = Vec::new();
    for (name, want) in expected {
        match got.get(*name) {
            Some(v) if *v == known(want) => {}
            other => wrong.push(format!("{name}: expected {want:?}, got {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(got.len(), expected.len() + 1, "every check is asserted");
}

#[test]
fn an_unknown_element_keeps_the_known_ones() {
    let got = values();
    let v = &got["unknown_kept"];
    assert_eq!(v[0], Ok("known".to_string()));
    assert_eq!(v[1], Err("var.unknown_list".to_string()));
    assert_eq!(v.len(), 2);
}
