//! Findings on whole trees, compared with reviewed golden files: every testdata tree (Terraform
//! and CloudFormation) and the bundled examples, as `RULE severity file:line:column resource
//! message` lines, plus the human, JSON and SARIF renderings of `examples/`. A change in what is
//! found, or where, fails here. After a deliberate change, regenerate with
//! `IAMLINT_UPDATE_GOLDEN=1 cargo test --test golden_findings` and review the diff.

use std::path::{Path, PathBuf};

use iamlint::config;
use iamlint::rules;
use iamlint::run::{self, Options, Outcome};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(dir: &Path) -> Outcome {
    let cfg = match config::find(dir) {
        Some(p) if p.starts_with(dir) => config::load(&p).expect("config"),
        _ => config::Config::default(),
    };
    let rules = rules::builtin().expect("rules");
    let opts = Options {
        paths: vec![dir.to_path_buf()],
        ..Options::default()
    };
    run::check(&opts, &cfg, &rules).expect("run")
}

fn listing(o: &Outcome, base: &Path) -> String {
    let strip = |f: &str| -> String {
        let p = Path::new(f);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root().join(p)
        };
        abs.strip_prefix(base)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| f.to_string())
    };
    let mut out = String::new();
    for f in &o.findings {
        let (line, col, _, _) = iamlint::report::position(&o.sources, f);
        out.push_str(&format!(
            "{} {} {}:{}:{} {} | {}\n",
            f.rule,
            f.severity.as_str(),
            strip(&o.sources.display(f.span.file)),
            line,
            col,
            f.resource,
            f.message
        ));
        for n in &f.notes {
            out.push_str(&format!("    note: {n}\n"));
        }
    }
    for e in &o.errors {
        out.push_str(&format!(
            "error {}:{}:{} | {}\n",
            strip(&e.file),
            e.line,
            e.column,
            e.message
        ));
    }
    out
}

fn compare(name: &str, actual: &str) -> Option<String> {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("IAMLINT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return None;
    }
    let diff: Vec<String> = expected
        .lines()
        .filter(|l| !actual.lines().any(|a| a == *l))
        .map(|l| format!("- {l}"))
        .chain(
            actual
                .lines()
                .filter(|l| !expected.lines().any(|e| e == *l))
                .map(|l| format!("+ {l}")),
        )
        .take(40)
        .collect();
    Some(format!("{name} differs:\n{}", diff.join("\n")))
}

#[test]
fn testdata_trees_give_the_reviewed_findings() {
    let mut failures = Vec::new();
    for kind in ["terraform", "cloudformation"] {
        let dir = root().join("testdata").join(kind);
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("testdata")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        cases.sort();
        assert!(cases.len() >= 8, "{kind}: {} cases", cases.len());
        for case in cases {
            let o = check(&case);
            let name = format!(
                "{kind}-{}.txt",
                case.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            if let Some(f) = compare(&name, &listing(&o, &case)) {
                failures.push(f);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn examples_in_every_format() {
    let dir = root().join("examples");
    let o = check(&dir);
    let rules = rules::builtin().expect("rules");
    let mut failures = Vec::new();
    // Display paths are relative to the current directory (the crate root under cargo test).
    for (name, text) in [
        ("examples.txt", listing(&o, &dir)),
        (
            "examples.human.txt",
            iamlint::report::human::check(&o, &rules, false),
        ),
        (
            "examples.json",
            serde_json::to_string_pretty(&iamlint::report::json::check(&o)).expect("json") + "\n",
        ),
        (
            "examples.sarif",
            serde_json::to_string_pretty(&iamlint::report::sarif::check(&o, &rules)).expect("json")
                + "\n",
        ),
    ] {
        if let Some(f) = compare(name, &text) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
