//! The share of trust principals resolved over every template under testdata/cloudformation.
//! Parameters without a Default are given on the command line, as a run in CI would; the figure
//! without them is printed too.

mod cloudformation_support;

use cloudformation_support::*;
use iamlint::source::ResolveOptions;

fn share(r: &Run) -> (usize, usize) {
    let mut total = 0;
    let mut resolved = 0;
    for role in &r.out.roles {
        for st in role.trust.iter().flat_map(|d| d.statements.iter()) {
            for p in [&st.principal, &st.not_principal]
                .into_iter()
                .flatten()
                .flat_map(|s| s.entries.iter())
            {
                total += 1;
                match p.value.unknown() {
                    None => resolved += 1,
                    Some(u) => println!(
                        "unresolved: {} {} line {}: {} ({})",
                        r.sources.display(p.value.span.file),
                        role.address,
                        r.line(p.value.span),
                        u.expr,
                        u.reason
                    ),
                }
            }
        }
    }
    (resolved, total)
}

#[test]
fn trust_principals_are_resolved() {
    let bare = run(&["."]);
    let (b_ok, b_total) = share(&bare);
    println!("without --parameter: {b_ok}/{b_total} principals resolved");

    let options = ResolveOptions {
        cfn_parameters: vec![
            ("TrustedAccount".into(), "123123123123".into()),
            ("UseSharedRunner".into(), "false".into()),
            ("VendorAccount".into(), "303030303030".into()),
            ("VendorExternalId".into(), "vendor-xyz".into()),
        ],
        ..Default::default()
    };
    let r = run_with(&["."], options);
    let (ok, total) = share(&r);
    let pct = 100.0 * ok as f64 / total.max(1) as f64;
    println!("with --parameter: {ok}/{total} principals resolved ({pct:.1}%)");
    for role in &r.out.roles {
        for (span, u) in role.trust_unknowns() {
            println!(
                "trust unknown: {} line {}: {} ({})",
                role.address,
                r.line(span),
                u.expr,
                u.reason
            );
        }
    }
    assert!(total >= 25, "too few principals to measure: {total}");
    assert!(pct >= 99.0, "{pct:.1}% resolved");
    // Without values the two parameters without Default stay visible as unknowns.
    assert_eq!(b_total - b_ok, 2);
}
