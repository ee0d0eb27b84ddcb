//! Every rule's examples are tests: each bad example must produce the rule's finding and each
//! good one must not. Examples run through the whole pipeline (discover, load, resolve, check),
//! once per source format they give.

use iamlint::rules::{self, testing};

#[test]
fn every_rule_has_bad_and_good_examples_that_behave() {
    let rules = rules::builtin().expect("built-in rules load");
    assert!(rules.len() >= 10, "{} rules", rules.len());
    // The runner `iamlint rules test` uses: each example in a directory of its own, through the
    // whole pipeline, with its config; a rule without a bad or a good example fails too.
    let outcomes = testing::test_rules(&rules, &rules);
    let ran = outcomes.iter().filter(|o| o.example.is_some()).count();
    assert!(ran > 20, "only {ran} examples ran");
    let failures: Vec<&testing::Outcome> = outcomes.iter().filter(|o| !o.passed()).collect();
    assert!(
        failures.is_empty(),
        "{}",
        testing::render(&failures.into_iter().cloned().collect::<Vec<_>>())
    );
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
