//! The example pack `examples/rules/` (ORG001-ORG005, written with the selectors of issue 12)
//! passes its own examples, and the README's end-to-end walk through ORG002 holds as written.

use assert_cmd::Command;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn iamlint(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_example_pack_passes_rules_test() {
    let (code, out, err) = iamlint(&["rules", "test", "examples/rules"]);
    assert_eq!(code, Some(0), "{out}{err}");
    for id in ["ORG001", "ORG002", "ORG003", "ORG004", "ORG005"] {
        assert!(out.contains(&format!("ok   {id}  ")), "{id}: {out}");
    }
    assert!(!out.contains("FAIL"), "{out}");
    assert!(
        out.ends_with("rules test: 5 rules, 24 examples: 24 ok, 0 failed\n"),
        "{out}"
    );
}

/// The fenced block of the README's "Custom rules" section that starts with `start`.
fn readme_block(start: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let section = readme
        .split("\n## Custom rules\n")
        .nth(1)
        .expect("a Custom rules section");
    let at = section.find(start).expect("the block");
    let body = &section[at..];
    body[..body.find("```").expect("the block's end")].to_string()
}

#[test]
fn the_readme_check_output_is_what_iamlint_prints() {
    let block = readme_block("$ iamlint check --rules examples/rules");
    let mut lines = block.lines();
    let cmd = lines.next().unwrap_or_default();
    assert_eq!(
        cmd,
        "$ iamlint check --rules examples/rules --format concise examples/terraform | grep ORG"
    );
    let expected: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let (code, out, err) = iamlint(&[
        "check",
        "--rules",
        "examples/rules",
        "--format",
        "concise",
        "examples/terraform",
    ]);
    assert_eq!(code, Some(1), "{out}{err}");
    let got: Vec<&str> = out.lines().filter(|l| l.contains(" ORG")).collect();
    assert_eq!(got, expected);
}

#[test]
fn the_readme_rule_is_the_packs_rule_and_passes() {
    let block = readme_block("# yaml-language-server:");
    let shown = iamlint::rules::parse_rule(&block, "README.md").expect("the README rule loads");
    let file = std::fs::read_to_string(root().join("examples/rules/ORG002-banned-account.yaml"))
        .expect("ORG002");
    let pack = iamlint::rules::parse_rule(&file, "ORG002").expect("ORG002 loads");
    assert_eq!(
        (
            &shown.id,
            &shown.matcher,
            &shown.message,
            &shown.description
        ),
        (&pack.id, &pack.matcher, &pack.message, &pack.description)
    );
    for e in &shown.examples {
        let same = pack
            .examples
            .iter()
            .any(|p| p.name == e.name && p.expect == e.expect && p.terraform == e.terraform);
        assert!(same, "the README's example `{}` is not the file's", e.name);
    }
    let builtin = iamlint::rules::builtin().expect("built-in rules");
    let all = iamlint::rules::merge(builtin, vec![shown.clone()]);
    let outcomes = iamlint::rules::testing::test_rules(&[shown], &all);
    assert_eq!(outcomes.len(), 2);
    assert!(
        outcomes.iter().all(|o| o.passed()),
        "{}",
        iamlint::rules::testing::render(&outcomes)
    );
}
