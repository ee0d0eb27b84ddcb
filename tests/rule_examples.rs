//! Every rule's examples are tests: each bad example must produce the rule's finding and each
//! good one must not. Examples run through the whole pipeline (discover, load, resolve, check),
//! once per source format they give.

use iamlint::config;
use iamlint::rules::{self, ExampleKind};
use iamlint::run::{self, Options};

fn run_example(
    rule_id: &str,
    file: &str,
    text: &str,
    cfg: Option<&str>,
    extra: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(file), text).expect("write example");
    for (name, body) in extra {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, body).expect("write example file");
    }
    let config = match cfg {
        Some(c) => config::parse(c, "example config", None).expect("example config"),
        None => config::Config::default(),
    };
    let rules = rules::builtin().expect("built-in rules load");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let outcome = run::check(&opts, &config, &rules).expect("run");
    assert!(
        outcome.errors.is_empty(),
        "{rule_id} example {file} has errors: {:?}",
        outcome.errors
    );
    outcome
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule, f.message))
        .collect()
}

#[test]
fn every_rule_has_bad_and_good_examples_that_behave() {
    let rules = rules::builtin().expect("built-in rules load");
    assert!(rules.len() >= 10, "{} rules", rules.len());
    let mut failures = Vec::new();
    let mut ran = 0;
    for rule in &rules {
        let bad = rule.examples.iter().any(|e| e.expect == ExampleKind::Bad);
        let good = rule.examples.iter().any(|e| e.expect == ExampleKind::Good);
        if !bad || !good {
            failures.push(format!(
                "{} needs at least one bad and one good example",
                rule.id
            ));
        }
        for ex in &rule.examples {
            let variants = [
                ("main.tf", &ex.terraform),
                ("template.yaml", &ex.cloudformation),
            ];
            for (file, text) in variants {
                let Some(text) = text else { continue };
                ran += 1;
                let found = run_example(&rule.id, file, text, ex.config.as_deref(), &ex.files);
                let hit = found
                    .iter()
                    .any(|f| f.starts_with(&format!("{} ", rule.id)));
                match ex.expect {
                    ExampleKind::Bad if !hit => failures.push(format!(
                        "{} bad example `{}` ({file}) gave no finding; findings: {found:?}",
                        rule.id, ex.name
                    )),
                    ExampleKind::Good if hit => failures.push(format!(
                        "{} good example `{}` ({file}) gave a finding: {found:?}",
                        rule.id, ex.name
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(ran > 20, "only {ran} examples ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn both_formats_are_covered_by_examples() {
    let rules = rules::builtin().expect("built-in rules load");
    for rule in rules.iter().filter(|r| r.scope != rules::Scope::Notice) {
        let tf = rule.examples.iter().any(|e| e.terraform.is_some());
        let cfn = rule.examples.iter().any(|e| e.cloudformation.is_some());
        assert!(
            tf && cfn,
            "{} needs Terraform and CloudFormation examples",
            rule.id
        );
    }
}
