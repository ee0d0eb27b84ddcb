//! `iamlint init`: a commented `.iamlint.yaml` that lists every account and organization the code
//! trusts today as suggestions (vendors named), which is valid once uncommented; no overwrite
//! without `--force`; `--write-trusts` creates the approval file. And a mistyped command gets a
//! suggestion instead of "no such file".

use assert_cmd::Command;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn role(name: &str, principal: &str, condition: &str) -> String {
    format!(
        r#"resource "aws_iam_role" "{name}" {{
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {principal}
      Action    = "sts:AssumeRole"
      Condition = {condition}
    }}]
  }})
}}
"#
    )
}

fn repo(dir: &Path) {
    let mut tf = role(
        "datadog",
        r#"{ AWS = "arn:aws:iam::464622532012:root" }"#,
        r#"{ StringEquals = { "sts:ExternalId" = "f3a9" } }"#,
    );
    tf.push_str(&role(
        "partner",
        r#"{ AWS = "arn:aws:iam::999988887777:role/sync" }"#,
        r#"{ StringEquals = { "aws:PrincipalOrgID" = "o-abcdef1234" } }"#,
    ));
    tf.push_str(&role(
        "app",
        r#"{ Service = "lambda.amazonaws.com" }"#,
        "{}",
    ));
    write(dir, "main.tf", &tf);
}

fn run(c: &mut Command) -> (i32, String) {
    let out = c.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn init_lists_trusted_accounts_and_organizations_as_comments() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo(dir.path());
    let (code, out) = run(iamlint(dir.path()).arg("init"));
    assert_eq!(code, 0, "{out}");
    let cfg = std::fs::read_to_string(dir.path().join(".iamlint.yaml")).expect("config");
    assert!(cfg.contains("#   \"464622532012\": \"Datadog\"  # known vendor Datadog; trusted by aws_iam_role.datadog"), "{cfg}");
    assert!(
        cfg.contains(
            "#   \"999988887777\": \"\"  # unknown account; trusted by aws_iam_role.partner"
        ),
        "{cfg}"
    );
    assert!(
        cfg.contains("#   - \"o-abcdef1234\"  # required by aws_iam_role.partner"),
        "{cfg}"
    );
    assert!(!cfg.contains("lambda"), "services are not accounts: {cfg}");
    // As written, nothing is trusted: the check reports the unknown account.
    let (code, out) = run(iamlint(dir.path()).args(["--format", "json"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\"IAM002\""), "{out}");
    assert!(!dir.path().join("iam-trusts.yaml").exists());

    // Uncommented, the suggestions are a valid config that trusts them.
    let uncommented: String = cfg
        .lines()
        .map(|l| {
            if l.starts_with("# trusted_") || l.starts_with("#   ") {
                l.trim_start_matches('#').strip_prefix(' ').unwrap_or(l)
            } else {
                l
            }
        })
        .map(|l| format!("{l}\n"))
        .collect();
    write(dir.path(), ".iamlint.yaml", &uncommented);
    let (code, out) = run(iamlint(dir.path()).args(["--format", "json"]));
    assert!(code == 0 || code == 1, "{uncommented}\n{out}");
    assert!(!out.contains("\"IAM002\""), "{uncommented}\n{out}");
    assert!(!out.contains("\"IAM018\""), "{uncommented}\n{out}");
}

#[test]
fn init_does_not_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo(dir.path());
    write(dir.path(), ".iamlint.yaml", "exclude: [vendor]\n");
    let (code, out) = run(iamlint(dir.path()).arg("init"));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("already exists") && out.contains("--force"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".iamlint.yaml")).expect("config"),
        "exclude: [vendor]\n"
    );
    let (code, out) = run(iamlint(dir.path()).args(["init", "--force"]));
    assert_eq!(code, 0, "{out}");
    let cfg = std::fs::read_to_string(dir.path().join(".iamlint.yaml")).expect("config");
    assert!(cfg.contains("464622532012"), "{cfg}");
}

#[test]
fn init_with_write_trusts_creates_the_approval_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo(dir.path());
    let (code, out) = run(iamlint(dir.path()).args(["init", "--write-trusts"]));
    assert_eq!(code, 0, "{out}");
    let approvals = std::fs::read_to_string(dir.path().join("iam-trusts.yaml")).expect("file");
    assert!(
        approvals.contains("role: \"aws_iam_role.partner\""),
        "{approvals}"
    );
    assert!(
        approvals.contains("principal: \"lambda.amazonaws.com\""),
        "{approvals}"
    );
    let (code, out) = run(iamlint(dir.path()).args(["trusts", "--check"]));
    assert_eq!(code, 0, "{out}");
    // Without --force a second init refuses; with it, both files are rewritten.
    let (code, _) = run(iamlint(dir.path()).args(["init", "--write-trusts"]));
    assert_eq!(code, 2);
    let (code, out) = run(iamlint(dir.path()).args(["init", "--write-trusts", "--force"]));
    assert_eq!(code, 0, "{out}");
    // A new trust is now a finding of the check.
    let mut tf = std::fs::read_to_string(dir.path().join("main.tf")).expect("tf");
    tf.push_str(&role(
        "extra",
        r#"{ AWS = "arn:aws:iam::999988887777:root" }"#,
        "{}",
    ));
    write(dir.path(), "main.tf", &tf);
    let (code, out) = run(iamlint(dir.path()).args(["trusts", "--check"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("aws_iam_role.extra can now be assumed by 999988887777 (unknown account)"),
        "{out}"
    );
}

#[test]
fn init_in_a_repository_without_other_accounts_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "main.tf",
        &role("app", r#"{ Service = "lambda.amazonaws.com" }"#, "{}"),
    );
    let (code, out) = run(iamlint(dir.path()).arg("init"));
    assert_eq!(code, 0, "{out}");
    let cfg = std::fs::read_to_string(dir.path().join(".iamlint.yaml")).expect("config");
    assert!(
        cfg.contains("No role in the code trusts another account today."),
        "{cfg}"
    );
    assert!(iamlint::config::parse(&cfg, "c", None).is_ok(), "{cfg}");
}

#[test]
fn a_mistyped_command_gets_a_suggestion() {
    let dir = tempfile::tempdir().expect("tempdir");
    repo(dir.path());
    let (code, out) = run(iamlint(dir.path()).arg("trust"));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no such command `trust`; did you mean trusts"),
        "{out}"
    );
    assert!(!out.contains("no such file"), "{out}");
    let (code, out) = run(iamlint(dir.path()).arg("rule"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("did you mean rules"), "{out}");
    // A directory of that name is a path, as before.
    std::fs::create_dir(dir.path().join("trust")).expect("mkdir");
    let (code, out) = run(iamlint(dir.path()).arg("trust"));
    assert_eq!(code, 0, "{out}");
    // Something far from every command is still a missing path.
    let (code, out) = run(iamlint(dir.path()).arg("infra/prod"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no such file or directory"), "{out}");
}
