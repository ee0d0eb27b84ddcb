//! Precision: policies that follow IAM's semantics and keep their roles closed get no finding,
//! even where naive scanners report one (`"*"` restricted by aws:PrincipalOrgID, directly or
//! through a Deny; a Deny with NotAction; kms:Decrypt limited by kms:ViaService; PassRole to one
//! role for one service; pinned GitHub and EKS trusts; service roles exempt from or protected
//! against the confused deputy; a trusted vendor with its external id).

use std::path::PathBuf;

use iamlint::config;
use iamlint::rules;
use iamlint::run::{self, Options};

#[test]
fn safe_policies_get_no_finding() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/safe");
    let cfg = config::load(&dir.join(".iamlint.yaml")).expect("config");
    let opts = Options {
        paths: vec![dir],
        ..Options::default()
    };
    let rules = rules::builtin().expect("rules");
    let o = run::check(&opts, &cfg, &rules).expect("run");
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(o.roles.len(), 8, "every safe role is read");
    assert!(
        o.roles.iter().all(|r| r.trust_resolved()),
        "every trust is resolved"
    );
    let found: Vec<String> = o
        .findings
        .iter()
        .map(|f| format!("{} {} {}", f.rule, f.resource, f.message))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}
