//! No silent passes at the level of a run: what pre-commit passes (only the changed files), what
//! a baseline hides, which configuration applies, and a run that read nothing. Each case is a
//! way a change could slip a new trust past the gate with exit code 0.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("TF_VAR_") {
            c.env_remove(k);
        }
    }
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// A git work tree, as pre-commit and CI see it (the repository root bounds what is read).
fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(d.path().join(".git")).expect("mkdir .git");
    d
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn findings(v: &Value) -> Vec<&Value> {
    v["findings"].as_array().expect("findings").iter().collect()
}

fn rules_of(v: &Value) -> Vec<String> {
    findings(v)
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A role trusting `var.partner`; the default is a trusted account (this one, in the config).
const PARTNER_TF: &str = r#"variable "partner" {
  type    = string
  default = "111122223333"
}

resource "aws_iam_role" "partner" {
  name = "partner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.partner}:root" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = "x-123" } }
    }]
  })
}
"#;

const TRUST_111: &str = "trusted_accounts: [\"111122223333\"]\n";

/// The hook's command line for the staged files, as `.pre-commit-hooks.yaml` defines it: its
/// `entry` followed by the files its `files` pattern matches.
fn hook_command(dir: &Path, staged: &[&str]) -> Command {
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect("hook file");
    let field = |name: &str| {
        hooks
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().trim_matches('\'').to_string())
    };
    let entry = field("entry").expect("entry in .pre-commit-hooks.yaml");
    // No `files` pattern: pre-commit passes every (text) file.
    let pattern = regex::Regex::new(&field("files").unwrap_or_default()).expect("files pattern");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("iamlint"), "the hook runs iamlint");
    let mut c = iamlint(dir);
    c.args(words);
    let matched: Vec<&&str> = staged.iter().filter(|f| pattern.is_match(f)).collect();
    assert_eq!(
        matched.len(),
        staged.len(),
        "the hook's pattern must pass every staged file"
    );
    c.args(matched.iter().map(|s| **s));
    c
}

#[test]
fn precommit_with_only_a_changed_tfvars_reports_the_role_it_affects() {
    let d = repo();
    write(d.path(), ".iamlint.yaml", TRUST_111);
    write(d.path(), "envs/prod/main.tf", PARTNER_TF);
    // Clean before the change.
    iamlint(d.path()).arg("envs/prod").assert().code(0);
    // The change: only terraform.tfvars, pointing the trust at an unknown account.
    write(
        d.path(),
        "envs/prod/terraform.tfvars",
        "partner = \"999988887777\"\n",
    );
    let out = hook_command(d.path(), &["envs/prod/terraform.tfvars"])
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    let f = findings(&v)
        .into_iter()
        .find(|f| f["rule"] == "IAM002")
        .expect("IAM002 for the account the tfvars file brings in");
    // Reported where the role is, with a note naming the changed file.
    assert_eq!(f["file"], "envs/prod/main.tf");
    assert_eq!(f["line"], 12);
    assert!(f["message"].as_str().unwrap_or("").contains("999988887777"));
    let notes = f["notes"].to_string();
    assert!(
        notes.contains("envs/prod/terraform.tfvars"),
        "a note names the changed file: {notes}"
    );
}

#[test]
fn precommit_with_only_a_changed_module_file_evaluates_it_through_its_caller() {
    let d = repo();
    write(d.path(), ".iamlint.yaml", TRUST_111);
    // The module's own default is safe; its caller passes an unknown account.
    write(d.path(), "modules/partner/main.tf", PARTNER_TF);
    write(
        d.path(),
        "live/main.tf",
        "module \"p\" {\n  source  = \"../modules/partner\"\n  partner = \"999988887777\"\n}\n",
    );
    let out = hook_command(d.path(), &["modules/partner/main.tf"])
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{v}");
    let f = findings(&v)
        .into_iter()
        .find(|f| f["rule"] == "IAM002")
        .expect("IAM002 through the caller's input");
    assert_eq!(f["resource"], "module.p.aws_iam_role.partner");
    assert_eq!(f["file"], "modules/partner/main.tf");
    assert_eq!(f["root"], "live");
}

#[test]
fn precommit_on_an_unrelated_file_reports_nothing_of_other_roles() {
    let d = repo();
    write(
        d.path(),
        "a/main.tf",
        &PARTNER_TF.replace("111122223333", "999988887777"),
    );
    write(d.path(), "b/main.tf", PARTNER_TF);
    write(d.path(), ".iamlint.yaml", TRUST_111);
    // b is clean; a's finding is not b's business.
    hook_command(d.path(), &["b/main.tf"]).assert().code(0);
    hook_command(d.path(), &["a/main.tf"]).assert().code(1);
}

/// Writes a baseline of `dir`, applies `change`, and returns the findings the baseline does not
/// hide.
fn new_after(dir: &Path, change: impl FnOnce(&Path)) -> Vec<String> {
    iamlint(dir)
        .args(["--write-baseline", "baseline.json"])
        .output()
        .expect("run");
    change(dir);
    let out = iamlint(dir)
        .args(["--baseline", "baseline.json", "--format", "json"])
        .output()
        .expect("run");
    rules_of(&json(&out))
}

#[test]
fn baseline_does_not_hide_the_same_trust_in_a_second_environment() {
    let d = repo();
    let open = PARTNER_TF.replace("111122223333", "999988887777");
    write(d.path(), "envs/staging/main.tf", &open);
    let new = new_after(d.path(), |d| write(d, "envs/prod/main.tf", &open));
    assert!(new.contains(&"IAM002".to_string()), "{new:?}");
}

const GITHUB_TF: &str = r#"resource "aws_iam_openid_connect_provider" "gh" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.gh.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:my-org/*" }
      }
    }]
  })
}
"#;

#[test]
fn baseline_does_not_hide_a_subject_moved_to_another_organization() {
    let d = repo();
    write(d.path(), "main.tf", GITHUB_TF);
    let new = new_after(d.path(), |d| {
        write(
            d,
            "main.tf",
            &GITHUB_TF.replace("repo:my-org/*", "repo:other-org/*"),
        )
    });
    assert!(new.contains(&"IAM005".to_string()), "{new:?}");
}

const ORG_TF: &str = r#"resource "aws_iam_role" "org" {
  name = "org"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-aaaaaaaaaa" } }
    }]
  })
}
"#;

#[test]
fn baseline_does_not_hide_one_untrusted_organization_swapped_for_another() {
    let d = repo();
    write(d.path(), "main.tf", ORG_TF);
    let before = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert!(rules_of(&json(&before)).contains(&"IAM018".to_string()));
    let new = new_after(d.path(), |d| {
        write(
            d,
            "main.tf",
            &ORG_TF.replace("o-aaaaaaaaaa", "o-bbbbbbbbbb"),
        )
    });
    assert!(new.contains(&"IAM018".to_string()), "{new:?}");
}

#[test]
fn baseline_does_not_hide_a_removed_external_id() {
    let d = repo();
    let open = PARTNER_TF.replace("111122223333", "999988887777");
    write(d.path(), "main.tf", &open);
    let new = new_after(d.path(), |d| {
        let without = open.replace(
            "      Condition = { StringEquals = { \"sts:ExternalId\" = \"x-123\" } }\n",
            "",
        );
        assert_ne!(without, open);
        write(d, "main.tf", &without)
    });
    // The untrusted account's finding is a new one once its guard is gone.
    assert!(new.contains(&"IAM002".to_string()), "{new:?}");
}

#[test]
fn baseline_survives_a_line_move() {
    let d = repo();
    let open = PARTNER_TF.replace("111122223333", "999988887777");
    write(d.path(), "main.tf", &open);
    let new = new_after(d.path(), |d| {
        write(d, "main.tf", &format!("\n\n# moved\n{open}"))
    });
    assert!(new.is_empty(), "{new:?}");
}

/// Every SARIF result over every tree of testdata/ has its own partial fingerprint.
#[test]
fn distinct_sarif_results_never_share_a_fingerprint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = iamlint(root)
        .args(["testdata", "examples", "--format", "sarif"])
        .output()
        .expect("run");
    let v = json(&out);
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(results.len() > 100, "{}", results.len());
    let mut seen = std::collections::HashMap::new();
    for r in results {
        let fp = r["partialFingerprints"]["iamlint/v1"]
            .as_str()
            .expect("fingerprint")
            .to_string();
        if let Some(prev) = seen.insert(fp.clone(), r.clone()) {
            panic!("{fp} shared by\n{prev}\nand\n{r}");
        }
    }
}

// Configuration is per file.

#[test]
fn nested_config_applies_when_the_root_is_scanned_and_order_does_not_matter() {
    let d = repo();
    let open = PARTNER_TF.replace("111122223333", "999988887777");
    write(d.path(), "a/main.tf", &open);
    write(d.path(), "b/main.tf", &open);
    // b's team trusts the partner; a's does not.
    write(
        d.path(),
        "b/.iamlint.yaml",
        "trusted_accounts: [\"999988887777\"]\n",
    );
    let run = |args: &[&str]| {
        let out = iamlint(d.path())
            .args(args)
            .args(["--format", "json"])
            .output()
            .expect("run");
        let v = json(&out);
        let mut got: Vec<(String, String)> = findings(&v)
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap_or("").to_string(),
                    f["rule"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        got.sort();
        got
    };
    let whole = run(&[]);
    assert!(
        whole.contains(&("a/main.tf".into(), "IAM002".into())),
        "{whole:?}"
    );
    assert!(
        !whole.iter().any(|(f, _)| f == "b/main.tf"),
        "b's config trusts the account: {whole:?}"
    );
    assert_eq!(run(&["a", "b"]), run(&["b", "a"]));
    assert_eq!(run(&["a", "b"]), whole);
}

#[test]
fn config_override_applies_to_every_file() {
    let d = repo();
    let open = PARTNER_TF.replace("111122223333", "999988887777");
    write(d.path(), "a/main.tf", &open);
    write(d.path(), "a/.iamlint.yaml", "disable: [IAM002, IAM003]\n");
    write(d.path(), "strict.yaml", "{}\n");
    let out = iamlint(d.path())
        .args(["--config", "strict.yaml", "--format", "json"])
        .output()
        .expect("run");
    assert!(rules_of(&json(&out)).contains(&"IAM002".to_string()));
}

#[test]
fn unknown_rule_ids_in_the_config_are_errors_with_the_nearest_id() {
    let d = repo();
    write(d.path(), "main.tf", PARTNER_TF);
    for (text, line) in [
        ("disable:\n  - IAM0002\n", 2),
        ("enable: [IAM017]\nrules:\n  IAM01: {severity: low}\n", 3),
        ("enable: [IAM107, IAM9999]\n", 1),
    ] {
        write(d.path(), ".iamlint.yaml", text);
        let out = iamlint(d.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(".iamlint.yaml:{line}:")),
            "{text}: {err}"
        );
        assert!(err.contains("did you mean IAM0"), "{text}: {err}");
    }
}

#[test]
fn account_ids_written_as_yaml_numbers_are_errors() {
    let d = repo();
    write(d.path(), "main.tf", PARTNER_TF);
    write(
        d.path(),
        ".iamlint.yaml",
        "trusted_accounts:\n  - 011122223333\n",
    );
    let out = iamlint(d.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".iamlint.yaml:2:"), "{err}");
    assert!(err.contains("quote"), "{err}");
}

// Empty is not clean.

#[test]
fn a_run_that_read_nothing_says_so_and_can_fail() {
    let d = repo();
    write(d.path(), "README.md", "nothing here\n");
    let out = iamlint(d.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no Terraform or CloudFormation file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    iamlint(d.path()).arg("--fail-on-empty").assert().code(2);
    write(d.path(), ".iamlint.yaml", "fail_on_empty: true\n");
    iamlint(d.path()).assert().code(2);
    // A tree with a template is not empty.
    write(
        d.path(),
        "t.yaml",
        "Resources:\n  R:\n    Type: AWS::S3::Bucket\n",
    );
    iamlint(d.path()).assert().code(0);
}

#[test]
fn roles_prints_its_errors_and_rejects_formats_it_does_not_have() {
    let d = repo();
    write(d.path(), "main.tf", "resource \"aws_iam_role\" \"x\" {\n");
    let out = iamlint(d.path()).arg("roles").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("main.tf:"),
        "the parse error is shown: {text}"
    );
    for f in ["sarif", "github", "junit"] {
        let out = iamlint(d.path())
            .args(["roles", "--format", f])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{f}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("roles"),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_nested_config_excludes_paths_under_it() {
    let d = repo();
    let open = PARTNER_TF.replace("111122223333", "999988887777");
    write(d.path(), "team/live/main.tf", &open);
    write(d.path(), "team/legacy/main.tf", &open);
    write(d.path(), "other/legacy/main.tf", &open);
    write(d.path(), "team/.iamlint.yaml", "exclude: [\"legacy/**\"]\n");
    let out = iamlint(d.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let files: std::collections::BTreeSet<String> = findings(&v)
        .iter()
        .map(|f| f["file"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(files.contains("team/live/main.tf"), "{files:?}");
    assert!(
        files.contains("other/legacy/main.tf"),
        "the exclude is relative to its config: {files:?}"
    );
    assert!(!files.contains("team/legacy/main.tf"), "{files:?}");
    // The same from inside the team directory.
    let out = iamlint(&d.path().join("team"))
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        findings(&v)
            .iter()
            .all(|f| !f["file"].as_str().unwrap_or("").contains("legacy")),
        "{v}"
    );
}
