//! A whole run: a directory holding one file (its name chosen by the first byte), checked with
//! the built-in rules and the default configuration, then rendered in every output format.
#![no_main]

use iamlint::config::Config;
use iamlint::run::{Options, check};
use iamlint_fuzz::{MAX_INPUT, builtin_rules, scratch};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 8] = [
    "main.tf",
    "main.tf.json",
    "template.yaml",
    "template.json",
    "stack.template",
    "plan.json",
    "cdk.out/manifest.json",
    "terraform.tfvars",
];

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[first as usize % NAMES.len()];
    let (dir, _) = scratch(name, rest);
    let opts = Options {
        paths: vec![dir],
        ..Options::default()
    };
    let config = Config::default();
    let rules = builtin_rules();
    let outcome = check(&opts, &config, rules).expect("a run over a readable directory starts");
    for f in &outcome.findings {
        let file = outcome
            .sources
            .get(f.span.file)
            .unwrap_or_else(|| panic!("finding {} points to an unknown file", f.rule));
        iamlint_fuzz::check_span(f.span, file.text.len(), "finding");
    }
    let _ = iamlint::report::human::check(&outcome, rules, false);
    let _ = iamlint::report::human::summary(&outcome);
    let _ = iamlint::report::json::check(&outcome);
    let _ = iamlint::report::sarif::check(&outcome, rules);
    let _ = iamlint::report::github::check(&outcome);
    let _ = iamlint::report::junit::check(&outcome, rules);
    let _ = iamlint::report::concise::check(&outcome);
    let _ = iamlint::report::markdown::check(&outcome);
    let _ = iamlint::report::human::roles(&outcome, &config);
    let _ = iamlint::report::json::roles(&outcome, &config);
});
