//! Reads a hostile repository cannot steer: every file the tool finds by itself (tfvars,
//! `*.auto.tfvars(.json)`, `.terraform/modules/modules.json`, module files, `file()` targets)
//! goes through one guarded door that refuses links leaving the repository root, FIFOs and
//! devices, and reads at most the size cap. Each refusal is an error naming the path, and
//! nothing of the target's content reaches any output format. Odd encodings (a NUL byte,
//! UTF-16) are reported as what they are, with a position.

mod hostile_support;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use hostile_support::{Run, repo, run_limited, write};

const FORMATS: [&str; 5] = ["human", "json", "sarif", "github", "junit"];

/// A role whose trusted account comes from a variable.
const ROLE_TF: &str = r#"variable "partner" {
  type = string
}

resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.partner }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#;

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// Runs every output format over `dir` and checks each: exit code 2, an error that names
/// `shown_path`, none of `secrets` anywhere in the output, and no hang or memory blow-up.
fn assert_refused(dir: &Path, shown_path: &str, secrets: &[&str]) {
    for format in FORMATS {
        let run: Run = run_limited(
            dir,
            &["--format", format, "."],
            1024,
            Duration::from_secs(20),
        );
        let all = run.all();
        assert!(!run.timed_out, "{format}: the run hung\n{all}");
        assert_eq!(run.code, Some(2), "{format}: exit code\n{all}");
        assert!(
            all.contains(shown_path),
            "{format}: the error does not name {shown_path}\n{all}"
        );
        for s in secrets {
            assert!(
                !all.contains(s),
                "{format}: the target's content `{s}` is in the output\n{all}"
            );
        }
    }
}

#[test]
fn auto_tfvars_linked_outside_the_root_is_refused_and_never_shown() {
    let outside = tempfile::tempdir().expect("tempdir");
    // Not HCL: a parse error would quote its first line.
    write(
        outside.path(),
        "passwd",
        b"root:x:0:0:CANARY-LINE-ONE:/root:/bin/bash\nsecond CANARY-LINE-TWO\n",
    );
    let r = repo();
    write(r.path(), "main.tf", ROLE_TF.as_bytes());
    symlink(
        outside.path().join("passwd"),
        r.path().join("x.auto.tfvars"),
    )
    .expect("symlink");
    assert_refused(
        r.path(),
        "x.auto.tfvars",
        &["CANARY-LINE-ONE", "CANARY-LINE-TWO", "root:x:0:0"],
    );
}

#[test]
fn auto_tfvars_json_linked_outside_the_root_gives_no_values() {
    let outside = tempfile::tempdir().expect("tempdir");
    write(
        outside.path(),
        "creds.json",
        br#"{"partner": "arn:aws:iam::987654321098:root", "secret": "CANARY-CREDS"}"#,
    );
    let r = repo();
    write(r.path(), "main.tf", ROLE_TF.as_bytes());
    symlink(
        outside.path().join("creds.json"),
        r.path().join("creds.auto.tfvars.json"),
    )
    .expect("symlink");
    assert_refused(
        r.path(),
        "creds.auto.tfvars.json",
        &["987654321098", "CANARY-CREDS"],
    );
}

const REGISTRY_MODULE_TF: &str = r#"module "roles" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-assumable-role"
  version = "5.0.0"
  trusted_role_arns = ["arn:aws:iam::111122223333:root"]
}
"#;

#[test]
fn modules_json_linked_to_dev_zero_is_refused_without_reading_it() {
    let r = repo();
    write(r.path(), "main.tf", REGISTRY_MODULE_TF.as_bytes());
    std::fs::create_dir_all(r.path().join(".terraform/modules")).expect("mkdir");
    symlink(
        "/dev/zero",
        r.path().join(".terraform/modules/modules.json"),
    )
    .expect("symlink");
    assert_refused(r.path(), ".terraform/modules/modules.json", &[]);
}

#[test]
fn modules_json_linked_to_a_file_outside_is_refused() {
    let outside = tempfile::tempdir().expect("tempdir");
    write(
        outside.path(),
        "modules.json",
        br#"{"Modules": [{"Key": "roles", "Source": "CANARY-MODULES", "Dir": "/etc"}]}"#,
    );
    let r = repo();
    write(r.path(), "main.tf", REGISTRY_MODULE_TF.as_bytes());
    std::fs::create_dir_all(r.path().join(".terraform/modules")).expect("mkdir");
    symlink(
        outside.path().join("modules.json"),
        r.path().join(".terraform/modules/modules.json"),
    )
    .expect("symlink");
    assert_refused(
        r.path(),
        ".terraform/modules/modules.json",
        &["CANARY-MODULES"],
    );
}

#[test]
fn modules_json_fifo_does_not_block() {
    let r = repo();
    write(r.path(), "main.tf", REGISTRY_MODULE_TF.as_bytes());
    std::fs::create_dir_all(r.path().join(".terraform/modules")).expect("mkdir");
    mkfifo(&r.path().join(".terraform/modules/modules.json"));
    assert_refused(r.path(), ".terraform/modules/modules.json", &[]);
}

#[test]
fn auto_tfvars_fifo_and_device_are_errors_not_skipped() {
    let r = repo();
    write(r.path(), "main.tf", ROLE_TF.as_bytes());
    mkfifo(&r.path().join("a.auto.tfvars"));
    assert_refused(r.path(), "a.auto.tfvars", &[]);

    let r = repo();
    write(r.path(), "main.tf", ROLE_TF.as_bytes());
    symlink("/dev/zero", r.path().join("b.auto.tfvars")).expect("symlink");
    assert_refused(r.path(), "b.auto.tfvars", &[]);
}

#[test]
fn file_function_on_a_fifo_does_not_block() {
    let r = repo();
    write(
        r.path(),
        "main.tf",
        br#"resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = file("${path.module}/trust.json")
}
"#,
    );
    mkfifo(&r.path().join("trust.json"));
    assert_refused(r.path(), "trust.json", &[]);
}

#[test]
fn linked_tf_file_outside_the_root_is_an_error_not_skipped() {
    let outside = tempfile::tempdir().expect("tempdir");
    write(
        outside.path(),
        "shared.tf",
        b"variable \"CANARY-TF\" {\n  default = \"x\"\n}\n",
    );
    let r = repo();
    write(
        r.path(),
        "main.tf",
        ROLE_TF
            .replace(
                "type = string",
                "default = \"arn:aws:iam::111122223333:root\"",
            )
            .as_bytes(),
    );
    symlink(outside.path().join("shared.tf"), r.path().join("shared.tf")).expect("symlink");
    assert_refused(r.path(), "shared.tf", &["CANARY-TF"]);
}

#[test]
fn linked_tf_file_inside_the_root_is_read() {
    // Terraform reads a linked `.tf` file; so does iamlint when the link stays in the root.
    let r = repo();
    let role = ROLE_TF
        .split_once("resource")
        .map(|(_, rest)| format!("resource{rest}"))
        .unwrap_or_default();
    write(r.path(), "main.tf", role.as_bytes());
    write(
        r.path(),
        "common/partner.txt",
        b"variable \"partner\" {\n  default = \"arn:aws:iam::987654321098:root\"\n}\n",
    );
    symlink(
        r.path().join("common/partner.txt"),
        r.path().join("variables.tf"),
    )
    .expect("symlink");
    let run = run_limited(
        r.path(),
        &["--format", "json", "."],
        1024,
        Duration::from_secs(20),
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stdout.contains("987654321098"), "{}", run.stdout);
}

/// The JSON errors of a run over `dir`.
fn json_errors(dir: &Path) -> Vec<serde_json::Value> {
    let run = run_limited(
        dir,
        &["--format", "json", "."],
        1024,
        Duration::from_secs(20),
    );
    assert_eq!(run.code, Some(2), "{}", run.all());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json output");
    v["errors"].as_array().cloned().unwrap_or_default()
}

#[test]
fn nul_byte_is_reported_at_its_line_and_column() {
    let r = repo();
    write(
        r.path(),
        "template.yaml",
        b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {Path: \"ab\0c\"}\n",
    );
    let errors = json_errors(r.path());
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e["file"], "template.yaml");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(5), Some(27)),
        "{e}"
    );
    let msg = e["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("NUL") && msg.contains("line 5, column 27"),
        "{msg}"
    );
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units: Vec<u16> = (if bom { "\u{feff}" } else { "" })
        .encode_utf16()
        .chain(text.encode_utf16())
        .collect();
    for u in units {
        if big_endian {
            out.extend(u.to_be_bytes());
        } else {
            out.extend(u.to_le_bytes());
        }
    }
    out
}

#[test]
fn utf16_files_are_reported_as_utf16_with_or_without_bom() {
    let tf = ROLE_TF;
    for (big_endian, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        let r = repo();
        write(r.path(), "main.tf", &utf16(tf, big_endian, bom));
        let errors = json_errors(r.path());
        assert_eq!(errors.len(), 1, "{errors:?}");
        let msg = errors[0]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("UTF-16") && !msg.contains("binary"),
            "big_endian {big_endian}, bom {bom}: {msg}"
        );
        let order = if big_endian {
            "big-endian"
        } else {
            "little-endian"
        };
        assert!(msg.contains(order), "{msg}");
    }
}
