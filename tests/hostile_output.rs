//! Output that input cannot hijack: role names, principals, resource labels and file names
//! holding newlines, carriage returns, ESC and other C0/C1 controls are escaped in human and
//! GitHub output (no line of ours can be forged, no `::workflow-command` and no terminal
//! control), and JSON, SARIF and JUnit stay well formed. CR-only line endings give the right
//! lines and columns.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TF_VAR_account");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// HCL escapes put raw controls into the resource label, the role name and a principal.
const HOSTILE_TF: &str = r#"resource "aws_iam_role" "x\n::stop-commands::tok\r\u001b[2K\u009b2K\uFFFE" {
  name = "evil\n::error file=a.tf::pwned\u001b]0;title\u0007\r\u0085"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::210987654321:root", "bad\n::warning::x\u001b[1A\u0000"] }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#;

/// A file whose name holds a newline and ESC (allowed on Linux).
const HOSTILE_FILE: &str = "a\u{1b}[2K\n::notice::f.tf";

fn hostile_tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", HOSTILE_TF);
    write(d.path(), HOSTILE_FILE, HOSTILE_TF);
    d
}

fn output(d: &Path, format: &str) -> String {
    let out = iamlint(d).args(["--format", format]).output().expect("run");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// No control character other than the line feeds of our own lines.
fn assert_no_controls(text: &str, format: &str) {
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line
            .chars()
            .find(|c| c.is_control() && *c != '\n' && *c != '\t')
        {
            panic!(
                "{format}: line {} holds the control U+{:04X}: {line:?}\n{text}",
                i + 1,
                c as u32
            );
        }
    }
}

#[test]
fn human_output_escapes_controls_from_input() {
    let d = hostile_tree();
    let text = output(d.path(), "human");
    assert!(text.contains("IAM002"), "{text}");
    assert_no_controls(&text, "human");
    for line in text.lines() {
        assert!(!line.starts_with("::"), "forged line {line:?} in\n{text}");
    }
    // The values are still shown, escaped.
    assert!(text.contains(r"\u{1b}"), "{text}");
    let inventory = {
        let out = iamlint(d.path()).args(["roles"]).output().expect("run");
        String::from_utf8(out.stdout).expect("UTF-8 output")
    };
    assert_no_controls(&inventory, "roles");
    for line in inventory.lines() {
        assert!(!line.starts_with("::"), "forged line {line:?}");
    }
}

#[test]
fn github_output_cannot_start_a_workflow_command() {
    let d = hostile_tree();
    let text = output(d.path(), "github");
    assert!(text.contains("IAM002"), "{text}");
    assert_no_controls(&text, "github");
    for line in text.lines().filter(|l| l.starts_with("::")) {
        assert!(
            ["::error file=", "::warning file=", "::notice file="]
                .iter()
                .any(|p| line.starts_with(p)),
            "forged workflow command {line:?}"
        );
    }
}

#[test]
fn machine_formats_stay_well_formed() {
    let d = hostile_tree();
    for format in ["json", "sarif"] {
        let text = output(d.path(), format);
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert!(text.contains("IAM002"), "{format}: {v}");
    }
    let xml = output(d.path(), "junit");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("junit: {e}\n{xml}"));
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert!(failures >= 2, "{xml}");
}

#[test]
fn cr_only_line_endings_give_lines_and_columns() {
    let yaml = "AWSTemplateFormatVersion: \"2010-09-09\"\rResources:\r  Partner:\r    Type: AWS::IAM::Role\r    Properties:\r      AssumeRolePolicyDocument:\r        Version: \"2012-10-17\"\r        Statement:\r          - Effect: Allow\r            Action: sts:AssumeRole\r            Principal: {AWS: \"arn:aws:iam::210987654321:root\"}\r";
    let json = "{\r  \"Resources\": {\r    \"Partner\": {\r      \"Type\": \"AWS::IAM::Role\",\r      \"Properties\": {\"AssumeRolePolicyDocument\": {\r        \"Version\": \"2012-10-17\",\r        \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\",\r          \"Principal\": {\"AWS\": \"arn:aws:iam::210987654321:root\"}}]}}}}}\r";
    for (name, text) in [("template.yaml", yaml), ("template.json", json)] {
        // The same file with LF line endings gives the reference position.
        let lf = text.replace('\r', "\n");
        let mut at = Vec::new();
        for body in [lf.as_str(), text] {
            let d = tempfile::tempdir().expect("tempdir");
            write(d.path(), name, body);
            let out = output(d.path(), "json");
            let v: Value = serde_json::from_str(&out).expect("json");
            let f = v["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .find(|f| f["rule"] == "IAM002")
                .unwrap_or_else(|| panic!("{name}: no IAM002 in {v}"))
                .clone();
            let line = f["line"].as_u64().unwrap_or(0);
            let column = f["column"].as_u64().unwrap_or(0);
            at.push((line, column));
            let human = output(d.path(), "human");
            assert!(
                human.contains(&format!("{name}:{line}:{column}")),
                "{name}: {human}"
            );
            assert_no_controls(&human, "human");
        }
        assert!(at[0].0 > 1, "{name}: {at:?}");
        assert_eq!(at[1], at[0], "{name}: CR-only against LF");
    }
}
