//! End-to-end benchmark: generates a tree of Terraform modules and CloudFormation templates
//! (YAML and JSON) with roles, then times full runs of the check (discover, parse, resolve,
//! check). `cargo bench --bench full_run` runs mixed trees of 1,250 to 10,000 files, Terraform
//! monorepos with modules of 2,500 to 10,000 files and CloudFormation sets of 1,250 to 5,000
//! templates; set `IAMLINT_BENCH_FILES=N` for one mixed size. Under `cargo test` it runs a small tree once as a
//! smoke test. Prints files per second and the process's peak resident memory. It also times a
//! Terraform plan of 8,000 roles on one line (as `terraform show -json` writes it) against the
//! same plan pretty-printed (`IAMLINT_BENCH_PLAN_ROLES=N` for that alone), and a pre-commit run
//! on two named files in repositories of 1,250 and 10,000 files
//! (`IAMLINT_BENCH_PRECOMMIT_FILES=N` for one size).

use std::path::Path;
use std::time::{Duration, Instant};

use iamlint::config::Config;
use iamlint::rules;
use iamlint::run::{self, Options};

fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

const MODULE: &str = r#"variable "name" { type = string }
variable "trusted_arns" { type = list(string) }
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.trusted_arns
    }
  }
}
resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
output "arn" { value = aws_iam_role.this.arn }
"#;

fn terraform_dir(i: usize) -> (String, String) {
    let main = format!(
        r#"locals {{
  partner = "2109876{i:05}"
}}
resource "aws_iam_role" "ci_{i}" {{
  name = "ci-{i}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ AWS = "arn:aws:iam::${{local.partner}}:root" }}
      Action    = "sts:AssumeRole"
      Condition = {{ StringEquals = {{ "sts:ExternalId" = "x{i}" }} }}
    }}]
  }})
}}
resource "aws_iam_role_policy" "ci_{i}" {{
  role = aws_iam_role.ci_{i}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::bucket-{i}/*" }}]
  }})
}}
module "team" {{
  source       = "../../modules/role"
  name         = "team-{i}"
  trusted_arns = [var.team_account == "" ? "arn:aws:iam::111122223333:root" : "arn:aws:iam::${{var.team_account}}:root"]
}}
"#
    );
    let vars = format!("variable \"team_account\" {{\n  default = \"3333{i:08}\"\n}}\n");
    (main, vars)
}

fn cfn_yaml(i: usize) -> String {
    format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  TrustedAccount:
    Type: String
    Default: "4444{i:08}"
Resources:
  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "role-${{AWS::StackName}}-{i}"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub "arn:${{AWS::Partition}}:iam::${{TrustedAccount}}:root"
            Action: sts:AssumeRole
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:ListBucket]
                Resource: "*"
  Fn{i}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
"#
    )
}

fn cfn_json(i: usize) -> String {
    format!(
        r#"{{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {{"Vendor{i}": {{"Type": "AWS::IAM::Role", "Properties": {{"AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": {{"Fn::Join": ["", ["arn:", {{"Ref": "AWS::Partition"}}, ":iam::464622532012:root"]]}}}}, "Action": "sts:AssumeRole", "Condition": {{"StringEquals": {{"sts:ExternalId": "e{i}"}}}}}}]}}}}}}}}}}"#
    )
}

/// The mix of a generated tree.
#[derive(Clone, Copy, Debug)]
enum Mix {
    /// Terraform directories, CloudFormation YAML and JSON in the ratio 2:2:1 by file count.
    Mixed,
    /// Terraform only: a monorepo of stacks that each call a shared local module.
    Terraform,
    /// CloudFormation only: YAML and JSON templates, 1:1.
    CloudFormation,
}

/// Writes about `files` files of the given mix under `root`; returns how many.
fn generate(root: &Path, files: usize, mix: Mix) -> usize {
    write(&root.join("modules/role/main.tf"), MODULE);
    let mut n = 1;
    let mut i = 0;
    while n < files {
        let slot = match mix {
            Mix::Mixed => i % 4,
            Mix::Terraform => 0,
            Mix::CloudFormation => 2 + i % 2,
        };
        match slot {
            0 | 1 => {
                let (main, vars) = terraform_dir(i);
                write(&root.join(format!("stacks/s{i}/main.tf")), &main);
                write(&root.join(format!("stacks/s{i}/variables.tf")), &vars);
                n += 2;
            }
            2 => {
                write(&root.join(format!("cfn/t{i}.yaml")), &cfn_yaml(i));
                n += 1;
            }
            _ => {
                write(&root.join(format!("cfn/t{i}.json")), &cfn_json(i));
                n += 1;
            }
        }
        i += 1;
    }
    n
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

fn bench(files: usize, runs: usize, mix: Mix) {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = generate(dir.path(), files, mix);
    let rules = rules::builtin().expect("rules");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let config = Config::default();
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let o = run::check(&opts, &config, &rules).expect("run");
        times.push(t.elapsed());
        last = Some(o);
    }
    times.sort();
    let median = times[times.len() / 2];
    // The check phase alone: rules over the extracted model, as many times as the full runs.
    let (_, extraction, _, _) = run::extract(&opts, &config).expect("extract");
    let env = iamlint::rules::engine::Env {
        trust: &config,
        paths: &[],
    };
    let mut check_times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let f = iamlint::rules::engine::evaluate(
                &rules,
                &extraction.roles,
                &extraction.notices,
                &env,
            );
            std::hint::black_box(f.len());
            t.elapsed()
        })
        .collect();
    check_times.sort();
    let check = check_times[check_times.len() / 2];
    let o = last.expect("one run");
    assert!(
        o.errors.is_empty(),
        "generated corpus has errors: {:?}",
        &o.errors[..o.errors.len().min(3)]
    );
    println!(
        "mix={mix:?} files={written} roles={} findings={} median={:.3}s min={:.3}s files/s={:.0} checking={:.1}ms peak_rss={} MiB threads={}",
        o.roles.len(),
        o.findings.len(),
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        written as f64 / median.as_secs_f64(),
        check.as_secs_f64() * 1000.0,
        peak_rss_kib().map_or(0, |k| k / 1024),
        rayon::current_num_threads(),
    );
}

/// Pre-commit: two files named in a repository of `files` files (a Terraform stack's main.tf
/// and a template). The whole repository is read around them, as a run on files does, and the
/// roles whose evaluation read them are checked.
fn bench_precommit(files: usize, runs: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = generate(dir.path(), files, Mix::Mixed);
    std::fs::create_dir_all(dir.path().join(".git")).expect(".git");
    let rules = rules::builtin().expect("rules");
    let opts = Options {
        paths: vec![
            dir.path().join("stacks/s0/main.tf"),
            dir.path().join("cfn/t2.yaml"),
        ],
        ..Options::default()
    };
    let config = Config::default();
    let mut times: Vec<Duration> = Vec::new();
    let mut roles = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let o = run::check(&opts, &config, &rules).expect("run");
        times.push(t.elapsed());
        roles = o.roles.len();
    }
    times.sort();
    println!(
        "precommit: 2 named files in a repository of {written} files: roles checked={roles} median={:.3}s min={:.3}s",
        times[times.len() / 2].as_secs_f64(),
        times[0].as_secs_f64(),
    );
}

/// A plan with `roles` roles (each trusting an unknown account, so each has findings), as
/// `terraform show -json` writes it: one line. Values hold non-ASCII text, as real plans do.
fn plan_one_line(roles: usize) -> String {
    let mut resources = Vec::with_capacity(roles);
    for i in 0..roles {
        resources.push(format!(
            r#"{{"address":"aws_iam_role.r{i}","mode":"managed","type":"aws_iam_role","name":"r{i}","values":{{"name":"r{i}","description":"rôle {i} — équipe","tags":{{"team":"t{i}"}},"assume_role_policy":"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{{\"AWS\":\"arn:aws:iam::2109876{i:05}:root\"}}}}]}}"}}}}"#
        ));
    }
    format!(
        r#"{{"format_version":"1.2","terraform_version":"1.9.5","planned_values":{{"root_module":{{"resources":[{}]}}}},"configuration":{{"root_module":{{}}}}}}"#,
        resources.join(",")
    )
}

/// Times the same plan on one line and pretty-printed: line and column lookups and
/// suppressions must not depend on the length of a line.
fn bench_plan(roles: usize, runs: usize) {
    let one_line = plan_one_line(roles);
    let value: serde_json::Value = serde_json::from_str(&one_line).expect("plan JSON");
    let pretty = serde_json::to_string_pretty(&value).expect("pretty");
    let rules = rules::builtin().expect("rules");
    let config = Config::default();
    let mut results = Vec::new();
    for (label, text) in [("one-line", &one_line), ("pretty", &pretty)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.json");
        write(&path, text);
        let opts = Options {
            paths: vec![path],
            ..Options::default()
        };
        let mut times: Vec<Duration> = Vec::new();
        let mut findings = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let o = run::check(&opts, &config, &rules).expect("run");
            times.push(t.elapsed());
            assert!(o.errors.is_empty(), "plan errors: {:?}", o.errors);
            assert_eq!(o.roles.len(), roles);
            findings = o.findings.len();
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "plan={label} bytes={} roles={roles} findings={findings} median={:.3}s min={:.3}s",
            text.len(),
            median.as_secs_f64(),
            times[0].as_secs_f64(),
        );
        results.push((median, findings));
    }
    assert_eq!(results[0].1, results[1].1, "same findings either way");
    println!(
        "plan one-line/pretty = {:.2}",
        results[0].0.as_secs_f64() / results[1].0.as_secs_f64()
    );
}

fn main() {
    let is_bench = std::env::args().any(|a| a == "--bench");
    if !is_bench {
        // `cargo test --all-targets`: a smoke run on a small tree and a small plan.
        bench(200, 1, Mix::Mixed);
        bench_plan(200, 1);
        bench_precommit(200, 1);
        return;
    }
    if let Some(n) = std::env::var("IAMLINT_BENCH_PRECOMMIT_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        bench_precommit(n, 5);
        return;
    }
    if let Some(n) = std::env::var("IAMLINT_BENCH_PLAN_ROLES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        bench_plan(n, 5);
        return;
    }
    match std::env::var("IAMLINT_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => bench(n, 5, Mix::Mixed),
        None => {
            for n in [1_250, 2_500, 5_000, 10_000] {
                bench(n, 5, Mix::Mixed);
            }
            for n in [2_500, 5_000, 10_000] {
                bench(n, 5, Mix::Terraform);
            }
            for n in [1_250, 2_500, 5_000] {
                bench(n, 5, Mix::CloudFormation);
            }
            bench_plan(8_000, 5);
            for n in [1_250, 10_000] {
                bench_precommit(n, 5);
            }
        }
    }
}
