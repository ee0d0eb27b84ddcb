//! HCL parse and evaluate: the input is the only file (`main.tf`) of a Terraform root module,
//! loaded, evaluated (variables, locals, functions, count/for_each, policy documents) and turned
//! into roles. Spans of roles, errors and notices stay inside the file.
#![no_main]

use std::collections::BTreeSet;

use iamlint::span::SourceMap;
use iamlint_fuzz::{MAX_INPUT, check_extraction, context, scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let (dir, _) = scratch("main.tf", data);
    let sources = SourceMap::default();
    let ctx = context(&sources, &dir);
    let dirs = BTreeSet::from([dir.clone()]);
    let out = iamlint::source::terraform::extract(&ctx, &dirs, &[]);
    check_extraction(&sources, &out);
});
