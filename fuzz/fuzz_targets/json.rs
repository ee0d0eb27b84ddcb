//! The JSON reader (CloudFormation JSON, CDK output, `.tf.json`, plans): any text parses or fails
//! with an offset inside the text; every value span is inside the text.
#![no_main]

use iamlint::source::json;
use iamlint::span::{FileId, decode};
use iamlint_fuzz::{MAX_INPUT, check_val};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(text) = decode(data) else { return };
    match json::parse(&text, FileId(0), 0) {
        Ok(v) => check_val(&v, text.len()),
        Err(e) => assert!(
            e.offset <= text.len(),
            "error offset {} outside a text of {} bytes",
            e.offset,
            text.len()
        ),
    }
});
