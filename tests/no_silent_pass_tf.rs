//! No silent passes, Terraform side: every shape by which a role used to vanish (a module
//! called from an example with `source = "../.."` and scanned from the repository root, a role
//! switched off by a default, directories that call each other, policies attached to a role the
//! configuration does not declare, links through module outputs, unevaluated pure functions)
//! now lists the role with its state and reports what it should, at the right file and line.
//! Each case runs the binary in its own directory of `testdata/no_silent_pass_tf`.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/no_silent_pass_tf")
        .join(name)
}

/// Runs `iamlint ARGS` in `dir` and parses its JSON output.
fn run_in(dir: &PathBuf, args: &[&str]) -> Value {
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn roles(dir: &PathBuf, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["roles", "--format", "json"];
    args.extend_from_slice(extra);
    run_in(dir, &args)["roles"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn check(dir: &PathBuf, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().cloned().unwrap_or_default()
}

fn role<'a>(roles: &'a [Value], address: &str) -> &'a Value {
    roles
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| {
            let all: Vec<&Value> = roles.iter().map(|r| &r["address"]).collect();
            panic!("no role {address}; roles: {all:?}")
        })
}

/// The findings of `rule` on the role at `address`, as (file, line).
fn places(report: &Value, rule: &str, resource: &str) -> Vec<(String, u64)> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] == rule && f["resource"] == resource)
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_module_called_from_its_example_is_evaluated_with_the_examples_inputs_from_the_repo_root() {
    let dir = case("repo_root");
    for extra in [&[][..], &["."][..]] {
        let rs = roles(&dir, extra);
        assert_eq!(rs.len(), 1, "{rs:#?}");
        let r = role(&rs, "module.app.aws_iam_role.this");
        assert_eq!(r["state"], "checked");
        assert_eq!(
            r["root"],
            "testdata/no_silent_pass_tf/repo_root/examples/basic"
        );
        let report = check(&dir, extra);
        assert_eq!(
            places(&report, "IAM001", "module.app.aws_iam_role.this"),
            [("examples/basic/main.tf".to_string(), 3)],
            "{report:#}"
        );
        let text = report.to_string();
        assert!(!text.contains("not found at"), "{text}");
        assert!(!text.contains("/../"), "paths are normalised: {text}");
    }
}

#[test]
fn a_role_switched_off_by_a_default_is_checked_as_a_template() {
    let dir = case("default_off");
    let rs = roles(&dir, &[]);
    let ci = role(&rs, "aws_iam_role.ci");
    assert_eq!(ci["state"], "template");
    let reason = "not created with the default values: count = 0 from var.enable_ci_role";
    assert_eq!(ci["state_reason"], reason);
    let managed = ci["managed_policies"].to_string();
    assert!(managed.contains("AdministratorAccess"), "{ci:#}");
    let report = check(&dir, &[]);
    let any = findings(&report)
        .into_iter()
        .find(|f| f["rule"] == "IAM001" && f["resource"] == "aws_iam_role.ci")
        .unwrap_or_else(|| panic!("no IAM001 on aws_iam_role.ci: {report:#}"));
    assert_eq!(any["file"], "main.tf");
    assert_eq!(any["line"], 19);
    assert!(
        strings(&any["notes"]).iter().any(|n| n == reason),
        "{any:#}"
    );
}

#[test]
fn a_module_switched_off_by_a_default_is_checked_as_a_template() {
    let dir = case("default_off");
    let rs = roles(&dir, &[]);
    let deployer = role(&rs, "module.deployer.aws_iam_role.this[0]");
    assert_eq!(deployer["state"], "template");
    assert_eq!(
        deployer["state_reason"],
        "not created with the default values: count = 0 from var.create_deployer"
    );
    // `create_role = false` inside a wrapper module that its caller leaves unset: the caller's
    // module block accepts the default, so the role is listed as not created.
    let inner = role(&rs, "module.wrapped.module.inner.aws_iam_role.this");
    assert_eq!(inner["state"], "not_created", "{inner:#}");
    let report = check(&dir, &[]);
    assert_eq!(
        places(&report, "IAM001", "module.deployer.aws_iam_role.this[0]"),
        [("modules/ci/main.tf".to_string(), 8)],
        "{report:#}"
    );
    assert!(
        places(
            &report,
            "IAM001",
            "module.wrapped.module.inner.aws_iam_role.this"
        )
        .is_empty(),
        "{report:#}"
    );
}

#[test]
fn a_reusable_module_scanned_on_its_own_checks_a_role_its_create_role_default_switches_off() {
    let dir = case("module_alone");
    let rs = roles(&dir, &[]);
    let this = role(&rs, "aws_iam_role.this");
    assert_eq!(this["state"], "template");
    assert_eq!(
        this["state_reason"],
        "not created with the default values: count = 0 from var.create_role"
    );
    let report = check(&dir, &[]);
    assert_eq!(
        places(&report, "IAM001", "aws_iam_role.this"),
        [("main.tf".to_string(), 8)],
        "{report:#}"
    );
}

#[test]
fn a_role_switched_off_by_a_value_the_user_supplied_is_listed_and_not_checked() {
    let dir = case("user_off");
    let rs = roles(&dir, &[]);
    let ci = role(&rs, "aws_iam_role.ci");
    assert_eq!(ci["state"], "not_created", "{ci:#}");
    assert!(
        ci["state_reason"]
            .as_str()
            .is_some_and(|r| r.contains("count = 0")),
        "{ci:#}"
    );
    // The attachments are switched off by the same value (`if var.enable_ci_role` filters
    // whatever the default of var.policies is): nothing is attached to an outside role.
    assert_eq!(rs.len(), 1, "{rs:#?}");
    let report = check(&dir, &[]);
    assert!(findings(&report).is_empty(), "{report:#}");
    // The same with the default and `--var` switching it on: checked.
    let on = check(&dir, &["--var", "enable_ci_role=true"]);
    assert_eq!(
        places(&on, "IAM001", "aws_iam_role.ci[0]"),
        [("main.tf".to_string(), 14)],
        "{on:#}"
    );
    // `--var` switching off the default-off role of default_off: not created.
    let rs = roles(&case("default_off"), &["--var", "enable_ci_role=false"]);
    assert_eq!(role(&rs, "aws_iam_role.ci")["state"], "not_created");
}

fn cycle_case(name: &str, dirs: &[&str]) {
    let dir = case(name);
    let rs = roles(&dir, &[]);
    for d in dirs {
        let found = rs.iter().any(|r| {
            r["address"]
                .as_str()
                .is_some_and(|a| a.ends_with(&format!("aws_iam_role.{d}")))
        });
        assert!(found, "role {d} missing: {rs:#?}");
    }
    let report = check(&dir, &[]);
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    let cycle: Vec<&Value> = errors
        .iter()
        .filter(|e| e["message"].as_str().is_some_and(|m| m.contains("cycle")))
        .collect();
    assert!(!cycle.is_empty(), "{report:#}");
    for e in &cycle {
        assert_eq!(e["line"], 2, "{e}");
        assert_eq!(e["column"], 3, "{e}");
        let file = e["file"].as_str().unwrap_or("");
        assert!(dirs.iter().any(|d| file == format!("{d}/main.tf")), "{e}");
    }
    for d in dirs {
        let any = findings(&report).into_iter().any(|f| {
            f["rule"] == "IAM001" && f["file"] == format!("{d}/main.tf") && f["line"] == 12
        });
        assert!(any, "IAM001 in {d}/main.tf: {report:#}");
    }
}

#[test]
fn directories_that_call_each_other_are_each_evaluated_and_the_cycle_is_an_error() {
    cycle_case("cycle", &["a", "b"]);
}

#[test]
fn a_longer_cycle_of_modules_is_evaluated_and_reported() {
    cycle_case("cycle3", &["x", "y", "z"]);
}

#[test]
fn policies_attached_to_a_role_not_declared_here_are_checked_on_an_outside_role() {
    let dir = case("outside_ref");
    let rs = roles(&dir, &[]);
    let outside: Vec<&Value> = rs
        .iter()
        .filter(|r| {
            r["address"]
                .as_str()
                .is_some_and(|a| a.contains("outside this configuration"))
        })
        .collect();
    assert_eq!(outside.len(), 2, "{rs:#?}");
    let report = check(&dir, &[]);
    let admin: Vec<(String, u64)> = findings(&report)
        .iter()
        .filter(|f| f["rule"] == "IAM101")
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // The inline policy's `Action = "*"` and the AdministratorAccess attachment.
    assert!(admin.contains(&("main.tf".to_string(), 10)), "{report:#}");
    assert!(
        admin.iter().any(|(_, l)| *l == 16 || *l == 14),
        "{report:#}"
    );
    let missing = rs
        .iter()
        .find(|r| {
            r["address"]
                .as_str()
                .is_some_and(|a| a.contains("aws_iam_role.missing"))
        })
        .unwrap_or_else(|| panic!("{rs:#?}"));
    assert!(
        missing["notes"]
            .to_string()
            .contains("aws_iam_instance_profile.app"),
        "{missing:#}"
    );
}

#[test]
fn a_policy_attached_through_a_module_output_links_to_that_instance_only() {
    let dir = case("module_link");
    let rs = roles(&dir, &[]);
    let admin = role(&rs, "module.admin.aws_iam_role.this");
    let reader = role(&rs, "module.reader.aws_iam_role.this");
    assert!(
        admin["managed_policies"]
            .to_string()
            .contains("AdministratorAccess"),
        "{admin:#}"
    );
    assert_eq!(
        reader["managed_policies"],
        Value::Array(Vec::new()),
        "{reader:#}"
    );
    // A generated name (name_prefix) referenced inside the module links by address.
    let prefixed = role(&rs, "module.prefixed.aws_iam_role.this[0]");
    assert!(
        prefixed["managed_policies"]
            .to_string()
            .contains("ReadOnlyAccess"),
        "{prefixed:#}"
    );
    assert!(
        !rs.iter()
            .any(|r| r["address"].as_str().is_some_and(|a| a.contains("outside"))),
        "{rs:#?}"
    );
}

#[test]
fn hashes_and_uuidv5_are_evaluated() {
    let dir = case("functions");
    let rs = roles(&dir, &[]);
    let ci = role(&rs, "aws_iam_role.ci");
    assert_eq!(ci["name"], "ci-1b158839");
    assert_eq!(
        ci["path"],
        "/2ed6657d-e927-568b-95e1-2665a8aea6a2/0cc175b9c0f1b6a831c399e269772661/"
    );
    assert_eq!(ci["max_session_duration"], "3600");
    assert_eq!(
        ci["permissions_boundary"],
        "arn:aws:iam::123456789012:policy/abc-x-255-b-a%20b-2"
    );
    assert!(
        ci["managed_policies"]
            .to_string()
            .contains("AdministratorAccess"),
        "{ci:#}"
    );
}

#[test]
fn a_role_records_the_tfvars_the_child_module_and_the_files_it_read() {
    let dir = case("provenance");
    let rs = roles(&dir, &[]);
    let app = role(&rs, "module.app.aws_iam_role.app");
    let files = strings(&app["files_read"]);
    for f in [
        "main.tf",
        "terraform.tfvars",
        "modules/app/main.tf",
        "modules/app/policy.json",
        "modules/app/trust.json.tpl",
    ] {
        assert!(files.iter().any(|x| x == f), "{f} missing: {files:?}");
    }
    assert_eq!(app["root"], "testdata/no_silent_pass_tf/provenance");
}

#[test]
fn a_link_by_a_name_that_several_roles_have_says_it_is_a_guess() {
    let rs = roles(&case("guess"), &[]);
    for addr in [
        "module.prod.aws_iam_role.this",
        "module.staging.aws_iam_role.this",
    ] {
        let r = role(&rs, addr);
        assert!(
            r["managed_policies"]
                .to_string()
                .contains("AdministratorAccess"),
            "{r:#}"
        );
        let notes = strings(&r["notes"]);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("aws_iam_role_policy_attachment.admin") && n.contains("guess")),
            "{notes:?}"
        );
    }
}
