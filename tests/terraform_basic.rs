mod terraform_common;
use terraform_common::*;

#[test]
fn dump_basic() {
    let r = run("basic");
    for role in &r.ex.roles {
        println!("{} {:?} unk={:?}", role.address, r.principals(&role.address), role.trust_unknowns());
        println!("  inline {:?}", role.inline_policies.iter().map(|p| (&p.origin, p.document.as_ref().map(|d| d.statements.len()))).collect::<Vec<_>>());
        println!("  managed {:?}", role.managed_policies.iter().map(|p| (&p.origin, p.arn.render())).collect::<Vec<_>>());
        println!("  notes {:?}", role.notes);
    }
    println!("{:?}", r.ex.errors);
}
