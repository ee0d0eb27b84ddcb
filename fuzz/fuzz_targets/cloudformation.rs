//! CloudFormation template evaluation: the input is one template (YAML, or JSON when the first
//! byte is odd), read, resolved (parameters, conditions, intrinsics, SAM) and turned into roles.
//! Spans of roles, errors and notices stay inside the file.
#![no_main]

use iamlint::span::SourceMap;
use iamlint_fuzz::{MAX_INPUT, check_extraction, context, scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let name = if first & 1 == 1 {
        "template.json"
    } else {
        "template.yaml"
    };
    let (dir, path) = scratch(name, rest);
    let sources = SourceMap::default();
    let ctx = context(&sources, &dir);
    let out = iamlint::source::cloudformation::extract(&ctx, &[path]);
    check_extraction(&sources, &out);
});
