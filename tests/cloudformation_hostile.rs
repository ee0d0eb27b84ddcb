//! Hostile and non-template inputs: each is an error with a location (or ignored quietly when it
//! is not a template), and the other files are still processed.

mod cloudformation_support;

use cloudformation_support::*;
use iamlint::source::SourceError;

fn error_for<'a>(r: &'a Run, file: &str) -> Vec<&'a SourceError> {
    r.out
        .errors
        .iter()
        .filter(|e| r.sources.display(e.file).ends_with(file))
        .collect()
}

fn line_col(r: &Run, e: &SourceError) -> (usize, usize) {
    match (e.line_col, e.span) {
        (Some(lc), _) => lc,
        (None, Some(s)) => r
            .sources
            .range(s)
            .map(|(a, _)| (a.line, a.column))
            .unwrap_or((0, 0)),
        (None, None) => (1, 1),
    }
}

#[test]
fn hostile_files_are_errors_and_the_rest_is_processed() {
    let start = std::time::Instant::now();
    let r = run(&["hostile", "landing_zone"]);
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());

    let invalid = error_for(&r, "hostile/invalid.yaml");
    assert_eq!(invalid.len(), 1);
    assert_eq!(line_col(&r, invalid[0]), (7, 9));
    assert!(
        invalid[0].message.starts_with("invalid YAML template"),
        "{}",
        invalid[0].message
    );

    let bomb = error_for(&r, "hostile/alias-bomb.yaml");
    assert_eq!(bomb.len(), 1);
    assert!(
        bomb[0].message.contains("alias bomb"),
        "{}",
        bomb[0].message
    );
    assert!(line_col(&r, bomb[0]).0 >= 4);

    let deep = error_for(&r, "hostile/deep-nesting.yaml");
    assert_eq!(deep.len(), 1);
    assert_eq!(line_col(&r, deep[0]).0, 6);

    let dup = error_for(&r, "hostile/duplicate-keys.yaml");
    assert_eq!(dup.len(), 1);
    assert_eq!(line_col(&r, dup[0]), (14, 7));
    assert!(
        dup[0]
            .message
            .contains("duplicate key `RoleName` (first at line 13)")
    );
    // The template is still read (the last value wins, as in CloudFormation's JSON parser).
    assert_eq!(
        r.role("DupRole").name.as_ref().and_then(|n| n.get()),
        Some("second")
    );

    // Binary: a load failure, not a crash.
    assert_eq!(r.out.load_failures.len(), 1);
    assert!(
        r.out.load_failures[0]
            .display
            .ends_with("hostile/binary.yaml")
    );

    // Empty file, Kubernetes YAML, package.json and invalid non-template YAML: ignored quietly.
    for quiet in [
        "empty.yaml",
        "kubernetes-deployment.yaml",
        "package.json",
        "docker-compose.yml",
    ] {
        assert!(error_for(&r, quiet).is_empty(), "{quiet}");
    }
    assert_eq!(r.out.errors.len(), 4, "{:?}", r.out.errors);

    // The good templates were processed.
    assert_eq!(r.role("AuditRole").address, "AuditRole");
}

#[test]
fn deep_json_nesting_and_json_syntax_errors_have_locations() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("deep.json");
    let mut text = String::from("{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Metadata\": ");
    text.push_str(&"[".repeat(400));
    text.push_str(&"]".repeat(400));
    text.push('}');
    std::fs::write(&deep, &text).unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {,}\n}\n",
    )
    .unwrap();
    let sources = iamlint::span::SourceMap::default();
    let options = iamlint::source::ResolveOptions::default();
    let ctx = iamlint::source::Context {
        sources: &sources,
        root: dir.path().to_path_buf(),
        options: &options,
    };
    let out = iamlint::source::cloudformation::extract(&ctx, &[deep, broken]);
    assert_eq!(out.errors.len(), 2, "{:?}", out.errors);
    let broken_err = out
        .errors
        .iter()
        .find(|e| sources.display(e.file).ends_with("broken.json"))
        .unwrap();
    assert_eq!(broken_err.line_col.map(|(l, _)| l), Some(3));
}

#[test]
fn nested_template_outside_the_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("child.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::SNS::Topic\n",
    )
    .unwrap();
    let parent = dir.path().join("parent.yaml");
    std::fs::write(
        &parent,
        format!(
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: {}\n",
            outside.path().join("child.yaml").display()
        ),
    )
    .unwrap();
    let sources = iamlint::span::SourceMap::default();
    let options = iamlint::source::ResolveOptions::default();
    let ctx = iamlint::source::Context {
        sources: &sources,
        root: dir.path().to_path_buf(),
        options: &options,
    };
    let out = iamlint::source::cloudformation::extract(&ctx, &[parent]);
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(out.errors[0].message.contains("outside the root"));
    let line = out.errors[0]
        .span
        .and_then(|s| sources.range(s))
        .map(|(a, _)| a.line);
    assert_eq!(line, Some(6));
}
