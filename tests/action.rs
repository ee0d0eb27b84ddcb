//! The GitHub Action (`action.yml`) and the pre-commit hook definition, checked for the
//! structure their runners need: the action restores a cached binary keyed by the action's
//! version and builds only on a miss, writes the Markdown summary, uploads SARIF when asked,
//! takes a `diff` ref, and its shell scripts parse; the hook passes tfvars files to iamlint.

use serde_json::Value;
use std::path::Path;

fn yaml(name: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn steps(action: &Value) -> Vec<&Value> {
    action["runs"]["steps"]
        .as_array()
        .expect("runs.steps")
        .iter()
        .collect()
}

#[test]
fn action_caches_the_binary_by_the_action_version() {
    let a = yaml("action.yml");
    assert_eq!(a["runs"]["using"], "composite");
    let steps = steps(&a);
    let cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("a cache step");
    let key = cache["with"]["key"].as_str().expect("cache key");
    assert!(key.contains("github.action_ref"), "{key}");
    assert!(key.contains("runner.os"), "{key}");
    let id = cache["id"].as_str().expect("cache step id");
    let build = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo install"))
        })
        .expect("a build step");
    let cond = build["if"].as_str().expect("the build is conditional");
    assert!(
        cond.contains(&format!("steps.{id}.outputs.cache-hit")),
        "{cond}"
    );
    assert!(
        cache["with"]["path"].as_str().is_some_and(|p| build["run"]
            .as_str()
            .unwrap_or("")
            .contains("--root \"$RUNNER_TEMP/iamlint\"")
            && p.contains("runner.temp")),
        "the cached path is where the build installs"
    );
}

#[test]
fn action_writes_the_summary_uploads_sarif_and_takes_a_diff_ref() {
    let a = yaml("action.yml");
    for input in [
        "paths",
        "format",
        "severity-threshold",
        "diff",
        "summary",
        "sarif",
        "args",
    ] {
        assert!(a["inputs"][input].is_object(), "input {input}");
    }
    let steps = steps(&a);
    let run = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("/bin/iamlint"))
        })
        .expect("the run step");
    let script = run["run"].as_str().unwrap_or("");
    assert!(script.contains("markdown=$GITHUB_STEP_SUMMARY"), "{script}");
    assert!(script.contains("--diff \"$DIFF\""), "{script}");
    assert!(script.contains("sarif=$SARIF"), "{script}");
    // Inputs reach the script through the environment, never spliced into its text.
    assert!(!script.contains("${{"), "{script}");
    assert_eq!(run["env"]["DIFF"], "${{ inputs.diff }}");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload step");
    let cond = upload["if"].as_str().expect("conditional upload");
    assert!(
        cond.contains("always()") && cond.contains("inputs.sarif"),
        "{cond}"
    );
    assert_eq!(upload["with"]["sarif_file"], "${{ inputs.sarif }}");
}

#[test]
fn action_scripts_parse_with_bash() {
    let a = yaml("action.yml");
    for s in steps(&a) {
        let Some(script) = s["run"].as_str() else {
            continue;
        };
        let out = std::process::Command::new("bash")
            .args(["-n", "-c", script])
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{script}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn hook_passes_every_file_that_can_change_a_role() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "iamlint");
    assert_eq!(hook["language"], "rust");
    // No `files` pattern means every file (pre-commit's default); `types: [text]` skips binaries.
    let files = regex::Regex::new(hook["files"].as_str().unwrap_or("")).expect("regex");
    assert_eq!(hook["types"], serde_json::json!(["text"]));
    for f in [
        "main.tf",
        "main.tf.json",
        "envs/prod/terraform.tfvars",
        "x.auto.tfvars.json",
        "template.yaml",
        "stack.yml",
        "params.json",
        "t.template",
        ".iamlint.yaml",
        "iam-trusts.yaml",
    ] {
        assert!(files.is_match(f), "{f}");
    }
    // A policy document read with file() may have any extension.
    assert!(files.is_match("policies/trust.json.tpl"));
}
