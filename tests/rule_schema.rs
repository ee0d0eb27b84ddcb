//! docs/rule.schema.json, the JSON Schema of rule files that editors use: `iamlint rules schema`
//! prints exactly it, it is a valid draft 2020-12 schema, every built-in rule and every rule of
//! the example pack validates against it, it knows every predicate the engine knows, its closed
//! sets are the engine's, and it rejects what the loader rejects.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("docs/rule.schema.json")).expect("schema file");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles")
}

/// A rule file as the JSON value an editor's YAML language server checks.
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("YAML")
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn rules_schema_prints_the_checked_in_file() {
    let expected = std::fs::read_to_string(root().join("docs/rule.schema.json")).expect("schema");
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .args(["rules", "schema"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    let s = schema();
    assert_eq!(
        s["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    jsonschema::meta::validate(&s).expect("valid against the draft 2020-12 meta-schema");
}

#[test]
fn every_built_in_rule_validates() {
    let v = validator();
    let files = yaml_files(&root().join("rules"));
    assert!(files.len() >= 40, "{} built-in rules", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("rule file");
        let errs = errors(&v, &yaml(&text));
        if !errs.is_empty() {
            bad.push(format!("{}: {}", f.display(), errs.join("; ")));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_example_pack_rule_validates_and_names_the_schema() {
    let v = validator();
    let files = yaml_files(&root().join("examples/rules"));
    assert_eq!(files.len(), 5, "{files:?}");
    for f in &files {
        let text = std::fs::read_to_string(f).expect("rule file");
        let errs = errors(&v, &yaml(&text));
        assert!(errs.is_empty(), "{}: {}", f.display(), errs.join("; "));
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "# yaml-language-server: $schema=../../docs/rule.schema.json",
            "{}",
            f.display()
        );
    }
}

fn predicates(s: &Value) -> Vec<String> {
    let mut names: Vec<String> = s["$defs"]["predicate"]["properties"]
        .as_object()
        .expect("predicate properties")
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

#[test]
fn the_schema_knows_every_predicate_of_the_engine() {
    let known = predicates(&schema());
    let engine = iamlint::rules::engine::predicate_names();
    assert!(engine.len() > 25, "{engine:?}");
    let missing: Vec<&&str> = engine
        .iter()
        .filter(|n| !known.iter().any(|k| k == *n))
        .collect();
    assert!(missing.is_empty(), "not in the schema: {missing:?}");
}

#[test]
fn the_engine_knows_every_predicate_of_the_schema() {
    let engine = iamlint::rules::engine::predicate_names();
    let extra: Vec<String> = predicates(&schema())
        .into_iter()
        .filter(|k| !engine.contains(&k.as_str()))
        .collect();
    assert!(extra.is_empty(), "the engine does not know: {extra:?}");
}

#[test]
fn the_schema_has_the_agreed_selectors() {
    let known = predicates(&schema());
    for name in [
        "role_name",
        "role_path",
        "role_tag",
        "address",
        "file",
        "source",
        "account",
        "principal_matches",
        "vendor",
        "subjects_within",
        "audiences_within",
        "can",
        "has_boundary",
        "max_session_duration_over",
    ] {
        assert!(known.iter().any(|k| k == name), "{name} missing");
    }
}

fn enum_of(v: &Value) -> Vec<String> {
    let e = if v.get("enum").is_some() {
        &v["enum"]
    } else {
        &v["items"]["enum"]
    };
    e.as_array()
        .expect("an enum")
        .iter()
        .map(|x| x.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn closed_sets_are_the_engines() {
    let s = schema();
    let p = &s["$defs"]["predicate"]["properties"];
    let providers: Vec<String> = iamlint::iam::principals::Provider::all()
        .iter()
        .map(|x| x.id().to_string())
        .collect();
    assert_eq!(enum_of(&p["provider"]), providers);
    let problems: Vec<String> = iamlint::iam::model::ProblemCode::ALL
        .iter()
        .map(|x| x.id().to_string())
        .collect();
    assert_eq!(enum_of(&p["problem"]), problems);
    let kinds: Vec<String> = iamlint::iam::permissions::Kind::ALL
        .iter()
        .map(|x| x.id().to_string())
        .collect();
    assert_eq!(enum_of(&p["permission"]), kinds);
    let severities = enum_of(&s["$defs"]["severity"]);
    assert_eq!(severities, ["info", "low", "medium", "high", "critical"]);
    for sev in &severities {
        assert!(iamlint::rules::Severity::parse(sev).is_some(), "{sev}");
    }
}

/// A rule with `scope` and `match` that the loader and the schema both judge.
fn rule_text(severity: &str, scope: &str, matcher: &str) -> String {
    format!(
        "id: X1\ntitle: t\nseverity: {severity}\nscope: {scope}\nmatch: {matcher}\n\
         message: \"{{role}}\"\ndescription: {{what: a, why: b, fix: c}}\n"
    )
}

#[test]
fn every_enum_value_in_the_schema_loads() {
    let s = schema();
    let v = validator();
    let p = &s["$defs"]["predicate"]["properties"];
    // (predicate, a scope it applies to)
    let cases = [
        ("principal", "trust_principal"),
        ("relation", "trust_principal"),
        ("identity", "trust_principal"),
        ("provider", "trust_principal"),
        ("federation", "trust_principal"),
        ("organization", "trust_principal"),
        ("uses", "policy_statement"),
        ("permission", "role"),
        ("aws_managed", "managed_policy"),
        ("problem", "document_problem"),
    ];
    for (pred, scope) in cases {
        for value in enum_of(&p[pred]) {
            let text = rule_text("high", scope, &format!("{{{pred}: [{value}]}}"));
            assert!(errors(&v, &yaml(&text)).is_empty(), "{text}");
            iamlint::rules::parse_rule(&text, "x.yaml")
                .unwrap_or_else(|e| panic!("{pred}: {value}: {e}"));
        }
    }
    for value in enum_of(&p["source"]) {
        let text = rule_text("high", "role", &format!("{{source: [{value}]}}"));
        assert!(errors(&v, &yaml(&text)).is_empty(), "{text}");
        iamlint::rules::parse_rule(&text, "x.yaml").unwrap_or_else(|e| panic!("source: {e}"));
    }
    for value in enum_of(&p["effect"]) {
        let text = rule_text("high", "policy_statement", &format!("{{effect: {value}}}"));
        iamlint::rules::parse_rule(&text, "x.yaml").expect("effect loads");
    }
    for value in enum_of(&p["document_kind"]) {
        let text = rule_text(
            "high",
            "document_problem",
            &format!("{{document_kind: {value}}}"),
        );
        iamlint::rules::parse_rule(&text, "x.yaml").expect("document_kind loads");
    }
    for scope in enum_of(&s["properties"]["scope"]) {
        let text = format!(
            "id: X1\ntitle: t\nseverity: low\nscope: {scope}\nmessage: m\n\
             description: {{what: a, why: b, fix: c}}\n"
        );
        assert!(errors(&v, &yaml(&text)).is_empty(), "{text}");
        iamlint::rules::parse_rule(&text, "x.yaml").unwrap_or_else(|e| panic!("{scope}: {e}"));
    }
}

#[test]
fn invalid_rules_fail_validation_as_they_fail_to_load() {
    let v = validator();
    let good = rule_text("high", "trust_principal", "{principal: [any]}");
    assert!(errors(&v, &yaml(&good)).is_empty());
    iamlint::rules::parse_rule(&good, "x.yaml").expect("the good rule loads");
    let invalid = [
        // a misspelled severity
        rule_text("hihg", "trust_principal", "{principal: [any]}"),
        // a misspelled scope
        rule_text("high", "trust_principals", "{principal: [any]}"),
        // an unknown predicate
        rule_text("high", "trust_principal", "{principals: [any]}"),
        // a value outside a closed set
        rule_text("high", "trust_principal", "{relation: [friend]}"),
        // two keys in one predicate
        rule_text(
            "high",
            "trust_principal",
            "{principal: [any], relation: [vendor]}",
        ),
        // a boolean predicate given a list
        rule_text("high", "trust_principal", "{requires_mfa: [true]}"),
        // an unknown top-level field
        format!("{good}serverity: high\n"),
        // an example with neither terraform nor cloudformation
        format!("{good}examples:\n  - {{name: e, expect: bad}}\n"),
    ];
    for text in &invalid {
        assert!(
            !errors(&v, &yaml(text)).is_empty(),
            "schema accepted:\n{text}"
        );
        assert!(
            iamlint::rules::parse_rule(text, "x.yaml").is_err(),
            "loader accepted:\n{text}"
        );
    }
    let misspelled = rule_text("hihg", "trust_principal", "{principal: [any]}");
    let errs = errors(&v, &yaml(&misspelled));
    assert!(
        errs.iter().any(|e| e.contains("/severity")),
        "the error points at severity: {errs:?}"
    );
}

#[test]
fn selector_values_have_their_shapes() {
    let v = validator();
    let ok = [
        "{role_name: [\"ci-*\"]}",
        "{role_tag: {team: \"pay*\", env: prod}}",
        "{source: [terraform, sam]}",
        "{trust: {all: [{account: [\"999988887777\"]}, {subjects_within: [\"repo:acme/*:environment:prod\"]}]}}",
        "{can: {actions: [\"s3:DeleteBucket\"], resources: [\"arn:aws:s3:::prod-*\"]}}",
        "{has_boundary: false}",
        "{max_session_duration_over: 3600}",
        "{trust: {account: [999988887777, tools]}}",
    ];
    for m in ok {
        let text = rule_text("high", "role", m);
        let errs = errors(&v, &yaml(&text));
        assert!(errs.is_empty(), "{m}: {errs:?}");
    }
    let bad = [
        "{role_name: \"ci-*\"}",
        "{role_tag: [team]}",
        "{source: [terraform_cloud]}",
        "{can: {resources: [\"*\"]}}",
        "{can: {actions: [DeleteBucket]}}",
        "{has_boundary: no-boundary}",
        "{max_session_duration_over: \"1h\"}",
        "{trust: {account: []}}",
        "{trust: {account: [true]}}",
    ];
    for m in bad {
        let text = rule_text("high", "role", m);
        assert!(!errors(&v, &yaml(&text)).is_empty(), "schema accepted {m}");
    }
}
