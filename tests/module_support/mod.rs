//! What the registry-module tests share: a `main.tf` written to a temporary directory and run
//! through the binary, with the roles, findings and `can` answers read from its JSON.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

pub fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

pub fn iamlint(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::cargo_bin("iamlint")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "json: {e}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

/// The roles of `main.tf`.
pub fn roles(main: &str) -> Vec<Value> {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    let (_, v) = iamlint(d.path(), &["roles", "--format", "json", "."]);
    v["roles"].as_array().cloned().unwrap_or_default()
}

pub fn role<'a>(roles: &'a [Value], address: &str) -> &'a Value {
    roles
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("no {address} in {roles:#?}"))
}

/// The findings of `main.tf`: (rule, resource, line).
pub fn findings(main: &str) -> (Option<i32>, Vec<(String, String, u64)>) {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    let (code, v) = iamlint(d.path(), &["--format", "json", "."]);
    let fs = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["resource"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    (code, fs)
}

/// The roles of `main.tf` that may do `action` (a custom rule's `can` selector, which reads
/// every policy a role has, the module's own included).
pub fn can(main: &str, action: &str) -> Vec<String> {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    write(
        d.path(),
        "rules/T001.yaml",
        &format!(
            "id: T001\ntitle: may do it\nseverity: low\nscope: role\nmatch:\n  can:\n    actions: [\"{action}\"]\nmessage: \"{{role}}: {{detail}}\"\ndescription:\n  what: w\n  why: w\n  fix: w\n"
        ),
    );
    let (_, v) = iamlint(d.path(), &["--rules", "rules", "--format", "json", "."]);
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "T001")
        .map(|f| f["resource"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"))
}
