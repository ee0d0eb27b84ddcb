//! Terraform's pure functions that issue 8 adds (collections, encodings, IP networks, dates),
//! each computed by iamlint and compared with the value Terraform documents
//! (testdata/terraform_pure_functions/main.tf feeds each result into one condition of a trust
//! policy). One test per function, so that each names what broke.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use iamlint::config::Config;
use iamlint::run::{self, Options};

type Values = BTreeMap<String, Vec<Result<String, String>>>;

fn values() -> &'static Values {
    static VALUES: OnceLock<Values> = OnceLock::new();
    VALUES.get_or_init(|| {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/terraform_pure_functions");
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
            let key = c.key.get().unwrap_or("?").trim_start_matches("fn:");
            let vals = c
                .values
                .iter()
                .map(|v| match &v.value {
                    Ok(s) => Ok(s.clone()),
                    Err(u) => Err(format!("{} ({})", u.expr, u.reason)),
                })
                .collect();
            out.insert(key.to_string(), vals);
        }
        out
    })
}

fn check(name: &str, want: &[&str]) {
    let want: Vec<Result<String, String>> = want.iter().map(|s| Ok(s.to_string())).collect();
    assert_eq!(values().get(name), Some(&want), "{name}");
}

/// The check's values are unknown, each with a reason that contains `reason`.
fn check_unknown(name: &str, reason: &str) {
    let got = values().get(name).expect(name);
    assert!(!got.is_empty(), "{name}: no values");
    for v in got {
        match v {
            Err(u) => assert!(u.contains(reason), "{name}: {u}"),
            Ok(s) => panic!("{name}: expected an unknown, got {s:?}"),
        }
    }
}

#[test]
fn setproduct() {
    check("setproduct", &["a-x", "a-y", "b-x", "b-y"]);
}

#[test]
fn transpose() {
    check("transpose", &["1=a", "2=a,b", "3=b"]);
}

#[test]
fn matchkeys() {
    check("matchkeys", &["i-2", "i-3"]);
}

#[test]
fn an_error_terraform_reports_is_an_unknown_with_its_reason() {
    check_unknown(
        "matchkeys_lengths",
        "length of keys and values should be equal",
    );
}

#[test]
fn an_unknown_operand_gives_an_unknown_result() {
    // The reason is the operand's, not "not evaluated offline".
    check_unknown(
        "setproduct_unknown",
        "(var.unknown_list has no default and no value",
    );
}

#[test]
fn cidrhost() {
    check(
        "cidrhost",
        &[
            "10.12.112.16",
            "10.12.113.12",
            "10.12.127.255",
            "fd00:fd12:3456:7890::22",
        ],
    );
    check_unknown(
        "cidrhost_range",
        "prefix of 30 does not accommodate a host numbered 4",
    );
}

#[test]
fn cidrnetmask() {
    check("cidrnetmask", &["255.240.0.0"]);
    check_unknown("cidrnetmask_v6", "only IPv4 networks are supported");
}

#[test]
fn cidrsubnet() {
    check(
        "cidrsubnet",
        &[
            "172.18.0.0/16",
            "10.1.2.240/28",
            "fd00:fd12:3456:7800:a200::/72",
        ],
    );
}

#[test]
fn cidrsubnets() {
    check(
        "cidrsubnets",
        &[
            "10.1.0.0/20",
            "10.1.16.0/20",
            "10.1.32.0/24",
            "10.1.48.0/20",
            "fd00:fd12:3456:7800::/72",
            "fd00:fd12:3456:7800:100::/72",
            "fd00:fd12:3456:7800:200::/72",
            "fd00:fd12:3456:7800:300::/88",
        ],
    );
    check_unknown("cidrsubnets_full", "not enough remaining address space");
}

#[test]
fn formatdate() {
    check(
        "formatdate",
        &[
            "02 Jan 2018 23:12 UTC",
            "Tuesday, 02-Jan-18 23:12:01 UTC",
            "Tue, 02 Jan 2018 23:12:01 -0800",
            "Jan 02, 2018",
            "11:12pm",
            "2024-02-29T00:05:09+05:30",
        ],
    );
    check_unknown("formatdate_verb", "invalid date format verb");
}

#[test]
fn timeadd() {
    check(
        "timeadd",
        &[
            "2017-11-22T00:10:00Z",
            "2024-02-29T01:00:00+01:00",
            "2017-11-21T22:30:00Z",
        ],
    );
    check_unknown("timeadd_bad", "not a valid RFC3339 timestamp");
}

#[test]
fn timecmp() {
    check("timecmp", &["0", "-1", "1", "0"]);
    // A multi-byte character where the offset's colon belongs is an error, not a panic.
    check_unknown("timecmp_bad", "not a valid RFC3339 timestamp");
}

#[test]
fn csvdecode() {
    check("csvdecode", &["1|2|3", "4|x,\"y\"|6"]);
    check_unknown("csvdecode_fields", "wrong number of fields");
}

#[test]
fn yamldecode() {
    check(
        "yamldecode",
        &["s3:GetObject", "2012-10-17", "true", "true"],
    );
    check_unknown("yamldecode_tag", "unsupported YAML tag !Ref");
}

#[test]
fn templatestring() {
    check("templatestring", &["repo:acme/a,b,"]);
    check_unknown(
        "templatestring_literal",
        "must be a direct reference to a single string",
    );
}
