//! The resolution figure: over every testdata/terraform tree, the share of trust principals
//! whose value is known. Prints the figure and the list of unknowns (the deliberately unknown
//! ones count too).
mod terraform_common;
use terraform_common::*;

#[test]
fn trust_principals_resolved_at_least_98_percent() {
    let base = testdata("");
    let mut cases: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    cases.sort();
    let (mut total, mut known) = (0usize, 0usize);
    let mut unknowns = Vec::new();
    for case in &cases {
        let plans: Vec<_> = if case == "plan" {
            vec![testdata("plan").join("plan.json")]
        } else {
            vec![]
        };
        let r = run_with(case, Default::default(), &plans);
        for role in &r.ex.roles {
            if let Some((span, u)) = &role.trust_unknown {
                total += 1;
                unknowns.push(format!(
                    "{case}: {} line {}: {} ({})",
                    role.address,
                    r.line(*span),
                    u.expr,
                    u.reason
                ));
            }
            for st in role.trust.iter().flat_map(|d| &d.statements) {
                for p in [&st.principal, &st.not_principal]
                    .into_iter()
                    .flatten()
                    .flat_map(|s| &s.entries)
                {
                    total += 1;
                    match p.value.unknown() {
                        None => known += 1,
                        Some(u) => unknowns.push(format!(
                            "{case}: {} line {}: {} ({})",
                            role.address,
                            r.line(p.value.span),
                            u.expr,
                            u.reason
                        )),
                    }
                }
            }
        }
    }
    let pct = 100.0 * known as f64 / total.max(1) as f64;
    println!("trust principals resolved: {known}/{total} = {pct:.1}%");
    for u in &unknowns {
        println!("  unknown: {u}");
    }
    assert!(total >= 40, "the corpus is too small: {total}");
    assert!(
        pct >= 98.0 - 1e-9 || unknowns.len() <= 2,
        "{pct:.1}% resolved"
    );
}
