//! Outputs for pull requests: Markdown and concise formats, several reports in one run,
//! `--exit-zero`, report paths relative to the repository root whatever the current directory,
//! and a clean JUnit report that dashboards accept.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_SHA");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

const OPEN_TF: &str = r#"resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::210987654321:root" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#;

const SAFE_TF: &str = r#"resource "aws_iam_role" "fn" {
  name = "fn"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#;

fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(d.path().join(".git")).expect(".git");
    for (name, text) in files {
        write(d.path(), name, text);
    }
    d
}

#[test]
fn concise_is_one_line_per_finding() {
    let d = repo_with(&[("stacks/app/main.tf", OPEN_TF)]);
    let out = iamlint(d.path())
        .args(["--format", "concise"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 2, "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("stacks/app/main.tf:7:") && l.contains(": IAM002 high ")),
        "{text}"
    );
    for l in &lines {
        let parts: Vec<&str> = l.splitn(4, ':').collect();
        assert_eq!(parts.len(), 4, "{l}");
        assert!(
            parts[1].parse::<usize>().is_ok() && parts[2].parse::<usize>().is_ok(),
            "{l}"
        );
    }
}

#[test]
fn markdown_summarises_with_counts_a_table_and_links() {
    let d = repo_with(&[("stacks/app/main.tf", OPEN_TF)]);
    let out = iamlint(d.path())
        .args(["--format", "markdown"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("## iamlint"), "{md}");
    assert!(md.contains("high"), "{md}");
    assert!(
        md.contains("| severity | rule | where | resource | finding |"),
        "{md}"
    );
    assert!(
        md.contains("[stacks/app/main.tf:7](stacks/app/main.tf#L7)"),
        "{md}"
    );
    // On GitHub Actions, links point at the commit.
    let out = iamlint(d.path())
        .args(["--format", "markdown"])
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/infra")
        .env("GITHUB_SHA", "0123abc")
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("(https://github.com/acme/infra/blob/0123abc/stacks/app/main.tf#L7)"),
        "{md}"
    );
}

#[test]
fn markdown_cells_cannot_break_the_table_or_mention_people() {
    let hostile = OPEN_TF.replace("name = \"ci\"", "name = \"a|b @admins <img src=x>\"");
    let d = repo_with(&[("main.tf", &hostile)]);
    let out = iamlint(d.path())
        .args(["--format", "markdown"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&out.stdout);
    for row in md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("IAM0"))
    {
        // Five cells: six unescaped bars.
        let bars = row.matches('|').count() - row.matches("\\|").count();
        assert_eq!(bars, 6, "{row}");
    }
    assert!(!md.contains("@admins"), "{md}");
    assert!(!md.contains("<img"), "{md}");
}

#[test]
fn several_formats_in_one_run() {
    let d = repo_with(&[("main.tf", OPEN_TF)]);
    let out = iamlint(d.path())
        .args([
            "--format",
            "human",
            "--format",
            "sarif=out/iamlint.sarif",
            "--format",
            "markdown=summary.md",
            "--format",
            "junit=junit.xml",
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("IAM002"));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(d.path().join("out/iamlint.sarif")).expect("sarif written"),
    )
    .expect("sarif JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let md = std::fs::read_to_string(d.path().join("summary.md")).expect("markdown written");
    assert!(md.contains("IAM002"));
    assert!(
        std::fs::read_to_string(d.path().join("junit.xml"))
            .expect("junit")
            .contains("IAM002")
    );
    // Two reports cannot share standard output.
    iamlint(d.path())
        .args(["--format", "human", "--format", "json"])
        .assert()
        .code(2);
    iamlint(d.path())
        .args(["--format", "yaml"])
        .assert()
        .code(2);
}

#[test]
fn exit_zero_reports_without_failing() {
    let d = repo_with(&[("main.tf", OPEN_TF)]);
    let out = iamlint(d.path())
        .args(["--exit-zero", "--format", "concise"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("IAM002"));
    // Errors still fail.
    write(d.path(), "broken.tf", "resource \"aws_iam_role\" \"x\" {\n");
    iamlint(d.path()).arg("--exit-zero").assert().code(2);
}

#[test]
fn report_paths_are_relative_to_the_repository_root_from_a_subdirectory() {
    let d = repo_with(&[("stacks/app/main.tf", OPEN_TF)]);
    let sub = d.path().join("stacks");
    let out = iamlint(&sub)
        .args(["app", "--format", "sarif"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let uri =
        &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "stacks/app/main.tf");
    let out = iamlint(&sub)
        .args(["app", "--format", "github"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("file=stacks/app/main.tf,"), "{text}");
    let out = iamlint(&sub)
        .args(["./app/../app", "--format", "junit"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("file=\"stacks/app/main.tf\""), "{text}");
    // --root makes another directory the root.
    let out = iamlint(&sub)
        .args(["app", "--root", ".", "--format", "sarif"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/main.tf"
    );
}

#[test]
fn a_clean_junit_report_has_a_passing_case_per_rule() {
    let d = repo_with(&[("main.tf", SAFE_TF)]);
    let out = iamlint(d.path())
        .args(["--format", "junit"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8_lossy(&out.stdout);
    let cases = xml.matches("<testcase ").count();
    assert!(cases >= 30, "one case per rule: {xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(xml.contains("IAM001"), "{xml}");
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn diff_reports_only_what_the_change_adds() {
    let d = tempfile::tempdir().expect("tempdir");
    git(d.path(), &["init", "-q", "-b", "main"]);
    // At main: one role with an untrusted account (an existing finding).
    write(d.path(), "stacks/app/main.tf", OPEN_TF);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "base"]);
    // The change moves the old role down (a line move) and adds a new trust.
    let new_role = OPEN_TF
        .replace("\"ci\"", "\"deploy\"")
        .replace("210987654321", "999988887777");
    write(
        d.path(),
        "stacks/app/main.tf",
        &format!("# moved\n\n{OPEN_TF}\n{new_role}"),
    );
    let out = iamlint(d.path())
        .args(["--diff", "main", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    assert_eq!(out.status.code(), Some(1), "{v}");
    let found: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap_or(""),
                f["resource"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        found.iter().all(|f| f.ends_with("aws_iam_role.deploy")),
        "{found:?}"
    );
    assert!(
        found.contains(&"IAM002 aws_iam_role.deploy".to_string()),
        "{found:?}"
    );
    assert!(
        v["summary"]["diff"]["existing"].as_u64().unwrap_or(0) >= 1,
        "{v}"
    );
    // Run from a subdirectory, on a path: the same.
    let out = iamlint(&d.path().join("stacks"))
        .args(["app", "--diff", "main", "--format", "concise"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("IAM002") && !text.contains("210987654321"),
        "{text}"
    );
    // Nothing new after committing: exit 0.
    git(d.path(), &["commit", "-q", "-am", "change"]);
    iamlint(d.path()).args(["--diff", "HEAD"]).assert().code(0);
    iamlint(d.path())
        .args(["--diff", "HEAD~1"])
        .assert()
        .code(1);
}

#[test]
fn diff_errors_are_clear() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", OPEN_TF);
    let out = iamlint(d.path())
        .args(["--diff", "main"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not in a git repository"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(d.path(), &["init", "-q", "-b", "main"]);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "base"]);
    let out = iamlint(d.path())
        .args(["--diff", "no-such-branch"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such commit, branch or tag"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const GH_TF: &str = r#"resource "aws_iam_openid_connect_provider" "gh" {
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
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:acme/app:environment:prod" }
      }
    }]
  })
}
"#;

#[test]
fn diff_reports_trusts_added_widened_narrowed_and_removed() {
    let d = tempfile::tempdir().expect("tempdir");
    git(d.path(), &["init", "-q", "-b", "main"]);
    let partner = OPEN_TF.replace("\"ci\"", "\"partner\"").replace(
        "      Action    = \"sts:AssumeRole\"\n",
        "      Action    = \"sts:AssumeRole\"\n      Condition = { StringEquals = { \"sts:ExternalId\" = \"x\" } }\n",
    );
    write(d.path(), "gh.tf", GH_TF);
    write(d.path(), "ci.tf", OPEN_TF);
    write(
        d.path(),
        "partner.tf",
        &OPEN_TF.replace("\"ci\"", "\"partner\""),
    );
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "base"]);
    // Widened: the subject admits every repository of acme. Narrowed: an ExternalId is added.
    // Removed: the ci role. Added: a new role for an unknown account.
    write(
        d.path(),
        "gh.tf",
        &GH_TF.replace("repo:acme/app:environment:prod", "repo:acme/*"),
    );
    write(d.path(), "partner.tf", &partner);
    std::fs::remove_file(d.path().join("ci.tf")).expect("rm");
    write(
        d.path(),
        "new.tf",
        &OPEN_TF
            .replace("\"ci\"", "\"payments\"")
            .replace("210987654321", "999988887777"),
    );
    let out = iamlint(d.path())
        .args(["--diff", "main", "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let changes = v["summary"]["diff"]["trust_changes"]
        .as_array()
        .expect("changes");
    let got: Vec<(String, String)> = changes
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap_or("").to_string(),
                c["edge"]["role"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for want in [
        ("added", "aws_iam_role.payments"),
        ("widened", "aws_iam_role.deploy"),
        ("narrowed", "aws_iam_role.partner"),
        ("removed", "aws_iam_role.ci"),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {got:?}"
        );
    }
    let added = changes
        .iter()
        .find(|c| c["change"] == "added")
        .expect("added");
    assert!(
        added["message"]
            .as_str()
            .unwrap_or("")
            .contains("aws_iam_role.payments can now be assumed by 999988887777 (unknown account)"),
        "{added}"
    );
    let widened = changes
        .iter()
        .find(|c| c["change"] == "widened")
        .expect("widened");
    assert!(
        widened["message"]
            .as_str()
            .unwrap_or("")
            .contains("repo:acme/*"),
        "{widened}"
    );
    // The Markdown summary has the table and a Mermaid graph of the new and widened edges.
    let out = iamlint(d.path())
        .args(["--diff", "main", "--format", "markdown"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("### Trust changes since `main`"), "{md}");
    assert!(md.contains("```mermaid"), "{md}");
    let graph: String = md
        .split("```mermaid")
        .nth(1)
        .and_then(|g| g.split("```").next())
        .unwrap_or("")
        .to_string();
    assert!(graph.contains("999988887777"), "{graph}");
    assert!(
        !graph.contains("210987654321"),
        "removed and narrowed edges stay out: {graph}"
    );
    // `iamlint trusts --diff` prints the same changes.
    let out = iamlint(d.path())
        .args(["trusts", "--diff", "main"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for mark in [
        "+ aws_iam_role.payments",
        "! aws_iam_role.deploy",
        "~ aws_iam_role.partner",
        "- aws_iam_role.ci",
    ] {
        assert!(text.contains(mark), "{mark}: {text}");
    }
}
