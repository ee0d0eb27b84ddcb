//! Parameter values from `--parameter` and from parameter files of both forms.

mod cloudformation_support;

use cloudformation_support::*;
use iamlint::source::ResolveOptions;

#[test]
fn cli_form_parameter_file() {
    let options = ResolveOptions {
        cfn_parameter_files: vec![testdata().join("param_files/params-cli.json")],
        ..Default::default()
    };
    let r = run_with(&["param_files"], options);
    let role = r.role("VendorRole");
    let values: Vec<String> = principals(role).into_iter().map(|p| p.1).collect();
    assert_eq!(
        values,
        vec![
            "arn:aws:iam::303030303030:root",
            // CommaDelimitedList default, split and trimmed.
            "arn:aws:iam::101010101010:root",
            "arn:aws:iam::202020202020:root",
        ]
    );
    let cond = &role.trust.as_ref().unwrap().statements[0].conditions[0];
    assert_eq!(cond.values[0].get(), Some("vendor-xyz"));
    assert_eq!(r.line(cond.values[0].span), 25);
    assert!(role.trust_resolved());
    // The parameter files themselves are not templates and give no error.
    assert!(r.out.errors.is_empty(), "{:?}", r.out.errors);
}

#[test]
fn map_form_parameter_file_and_command_line_override() {
    let options = ResolveOptions {
        cfn_parameter_files: vec![testdata().join("param_files/params-map.json")],
        cfn_parameters: vec![("VendorExternalId".into(), "from-cli".into())],
        ..Default::default()
    };
    let r = run_with(&["param_files"], options);
    let role = r.role("VendorRole");
    assert_eq!(principals(role)[0].1, "arn:aws:iam::404040404040:root");
    let cond = &role.trust.as_ref().unwrap().statements[0].conditions[0];
    assert_eq!(cond.values[0].get(), Some("from-cli"));
}

#[test]
fn bad_parameter_file_is_an_error_with_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("params.json");
    std::fs::write(&bad, "[\n  {\"ParameterKey\": \"A\"},\n  {\"ParameterKey\": \"B\", \"ParameterValue\": \"x\"}\n]\n").unwrap();
    let options = ResolveOptions {
        cfn_parameter_files: vec![bad],
        ..Default::default()
    };
    let r = run_with(&["param_files"], options);
    assert_eq!(r.out.errors.len(), 1, "{:?}", r.out.errors);
    assert_eq!(r.out.errors[0].span.map(|s| r.line(s)), Some(2));
}
