//! SARIF 2.1.0 for code-scanning services (GitHub, GitLab, Azure DevOps). Columns are Unicode
//! code points (`columnKind`), matching the human and JSON output. Each result carries a
//! `partialFingerprints` entry built from the rule, the resource address and the subject, so an
//! alert keeps its identity when lines move.

use serde_json::{Value, json};

use crate::rules::{Rule, Severity};
use crate::run::Outcome;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub maps security-severity to its levels: 9.0+ critical, 7.0+ high, 4.0+ medium.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

pub fn check(o: &Outcome, rules: &[Rule]) -> Value {
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.title.split_whitespace().map(|w| {
                    let mut c = w.chars();
                    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
                }).collect::<String>().chars().filter(|c| c.is_alphanumeric()).collect::<String>(),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.description.what.trim()},
                "help": {
                    "text": format!("{}\n\nWhy: {}\n\nFix: {}", r.description.what.trim(), r.description.why.trim(), r.description.fix.trim()),
                    "markdown": format!("{}\n\n**Why.** {}\n\n**Fix.** {}", r.description.what.trim(), r.description.why.trim(), r.description.fix.trim()),
                },
                "helpUri": r.references.first(),
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "tags": ["security", "iam"],
                    "precision": "high",
                    "security-severity": security_severity(r.severity),
                },
            })
        })
        .collect();
    let result = |f: &crate::rules::engine::Finding| {
        let (line, column, end_line, end_column) = super::position(&o.sources, f);
        let index = rules.iter().position(|r| r.id == f.rule);
        json!({
            "ruleId": f.rule,
            "ruleIndex": index,
            "level": level(f.severity),
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": super::uri_path(&o.repo_path(f.span.file)), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column},
                },
                "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}],
            }],
            "partialFingerprints": {"iamlint/v1": crate::baseline::digest(&f.fingerprint)},
            "properties": {"severity": f.severity.as_str(), "notes": f.notes},
        })
    };
    let mut results: Vec<Value> = o.findings.iter().map(result).collect();
    // With --show-suppressed, suppressed findings are results with an `inSource` suppression
    // (SARIF 2.1.0 §3.35), which code-scanning services show as dismissed in the code.
    if o.show_suppressed {
        results.extend(o.suppressed.iter().map(|s| {
            let mut r = result(&s.finding);
            if let Some(m) = r.as_object_mut() {
                m.insert(
                    "suppressions".into(),
                    json!([{"kind": "inSource", "justification": s.reasons.join("; ")}]),
                );
            }
            r
        }));
    }
    let notifications: Vec<Value> = o
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": super::uri_path(&o.repo_path_of(&e.file)), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": e.line, "startColumn": e.column},
                }}],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "iamlint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/iamlint/iamlint",
                "rules": descriptors,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [{
                "executionSuccessful": o.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
        }],
    })
}
