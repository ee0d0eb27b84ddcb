//! `docs/rules/` holds one page per built-in rule, generated from the rule file with the text
//! `iamlint explain` prints, and an index. This test fails when they drift from the rules.
//! Regenerate with `IAMLINT_UPDATE_DOCS=1 cargo test --test rule_docs`.

use std::path::Path;

use iamlint::cli::explain_text;
use iamlint::rules::{self, Rule, Scope};

const HOW: &str = "IAMLINT_UPDATE_DOCS=1 cargo test --test rule_docs";

fn group(id: &str) -> &'static str {
    match id.get(3..4) {
        Some("0") => "Trust policies (IAM0xx)",
        Some("1") => "Role permissions (IAM1xx)",
        Some("2") => "Trust and permissions together (IAM2xx)",
        Some("3") => "Policy grammar (IAM3xx)",
        Some("4") => "Approved trusts (IAM4xx)",
        Some("9") => "Suppressions (IAM9xx)",
        _ => "Other rules",
    }
}

fn index(rules: &[Rule]) -> String {
    let mut s = String::from(
        "# iamlint rules\n\n\
         Generated from `rules/*.yaml` by `tests/rule_docs.rs`; do not edit by hand \
         (regenerate with `IAMLINT_UPDATE_DOCS=1 cargo test --test rule_docs`).\n\n\
         Rule ids are grouped by what they look at:\n\n\
         - `IAM0xx`: trust policies, principal by principal after Deny statements are \
         subtracted (who can assume the role), and what could not be resolved.\n\
         - `IAM1xx`: the role's effective permissions: inline policies, customer managed \
         policies in the code and AWS managed policies attached by ARN, together.\n\
         - `IAM2xx`: combinations: a trust that lets outsiders in together with permissions \
         worth taking. These are the critical ones.\n\
         - `IAM3xx`: policy grammar: documents that will fail to deploy, or that do not do \
         what they say.\n\
         - `IAM4xx`: the approval file (`iam-trusts.yaml`): trusts it does not approve, \
         guards weaker than approved, stale and expired approvals.\n\
         - `IAM9xx`: inline suppressions that give no reason or match no finding.\n\n\
         A rule marked *off by default* runs only when `.iamlint.yaml` lists it under \
         `enable:`.\n",
    );
    let mut current = "";
    for r in rules {
        let g = group(&r.id);
        if g != current {
            s.push_str(&format!(
                "\n## {g}\n\n| id | severity | title | scope |\n|---|---|---|---|\n"
            ));
            current = g;
        }
        let off = if r.enabled_by_default {
            ""
        } else {
            " (off by default)"
        };
        s.push_str(&format!(
            "| [{id}]({id}.md) | {sev} | {title}{off} | {scope} |\n",
            id = r.id,
            sev = r.severity.as_str(),
            title = r.title,
            scope = r.scope.as_str()
        ));
    }
    s
}

#[test]
fn rule_pages_match_the_rule_files() {
    let rules = rules::builtin().expect("built-in rules load");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let mut wanted: Vec<(String, String)> = rules
        .iter()
        .map(|r| (format!("{}.md", r.id), explain_text(r)))
        .collect();
    wanted.push(("README.md".into(), index(&rules)));
    if std::env::var_os("IAMLINT_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&dir).expect("create docs/rules");
        for entry in std::fs::read_dir(&dir).expect("read docs/rules").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") && !wanted.iter().any(|(n, _)| *n == name) {
                std::fs::remove_file(entry.path()).expect("remove stale page");
            }
        }
        for (name, text) in &wanted {
            std::fs::write(dir.join(name), text).expect("write page");
        }
    }
    let mut drift = Vec::new();
    for (name, text) in &wanted {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(have) if have == *text => {}
            Ok(_) => drift.push(format!("docs/rules/{name} differs from its rule file")),
            Err(_) => drift.push(format!("docs/rules/{name} is missing")),
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") && !wanted.iter().any(|(n, _)| *n == name) {
                drift.push(format!("docs/rules/{name} belongs to no rule"));
            }
        }
    }
    assert!(
        drift.is_empty(),
        "{}\nregenerate with: {HOW}",
        drift.join("\n")
    );
}

#[test]
fn every_rule_documents_itself() {
    let rules = rules::builtin().expect("built-in rules load");
    for r in &rules {
        for (part, text) in [
            ("what", &r.description.what),
            ("why", &r.description.why),
            ("fix", &r.description.fix),
        ] {
            assert!(
                text.trim().len() > 40,
                "{}: description.{part} is too short",
                r.id
            );
        }
        assert!(!r.references.is_empty(), "{} has no references", r.id);
        for reference in &r.references {
            assert!(reference.starts_with("https://"), "{}: {reference}", r.id);
        }
        if r.scope != Scope::Notice {
            assert!(
                r.examples
                    .iter()
                    .any(|e| e.expect == rules::ExampleKind::Bad),
                "{} has no bad example",
                r.id
            );
        }
    }
}
