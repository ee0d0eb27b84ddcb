//! Baselines: a file of finding fingerprints (rule, resource and subject, not lines) that a
//! team has accepted. `--write-baseline FILE` records the current findings; `--baseline FILE`
//! drops the findings it lists, so a pull-request check reports only what the change adds ("new
//! trust to account X") while old findings are worked off.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::rules::engine::Finding;

/// FNV-1a, 64-bit, as 16 hex digits: a stable digest for identities without a dependency.
pub fn digest(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// The fingerprints of a baseline file.
pub fn load(path: &Path) -> Result<BTreeSet<String>, String> {
    let shown = crate::discover::display_path(path);
    let bytes = crate::source::read::read(path, crate::source::read::Access::Named)
        .map_err(|e| format!("{shown}: cannot read the baseline: {e}"))?;
    let text = crate::span::decode(&bytes).map_err(|e| format!("{shown}: {e}"))?;
    parse(&text, &shown)
}

/// The fingerprints of a baseline file's text; `shown` names it in errors.
pub fn parse(text: &str, shown: &str) -> Result<BTreeSet<String>, String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("{shown}:{}:{}: {e}", e.line(), e.column()))?;
    if v["version"] != 1 {
        return Err(format!(
            "{shown}: not an iamlint baseline (expected \"version\": 1)"
        ));
    }
    let list = v["fingerprints"]
        .as_array()
        .ok_or_else(|| format!("{shown}: `fingerprints` must be a list of strings"))?;
    Ok(list
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect())
}

/// The baseline file text for `findings`, sorted so that it diffs well.
pub fn render(findings: &[Finding]) -> String {
    let set: BTreeSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    let mut s = serde_json::to_string_pretty(&json!({"version": 1, "fingerprints": set}))
        .unwrap_or_default();
    s.push('\n');
    s
}
