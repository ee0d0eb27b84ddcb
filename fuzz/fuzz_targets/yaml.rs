//! The YAML reader (CloudFormation YAML, SAM): any text parses or fails with a position inside
//! the text; every node span is inside the text.
#![no_main]

use iamlint::source::yaml;
use iamlint::span::{FileId, decode};
use iamlint_fuzz::{MAX_INPUT, check_span, check_val};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(text) = decode(data) else { return };
    match yaml::parse(&text, FileId(0)) {
        Ok(doc) => {
            for c in &doc.comments {
                check_span(c.span, text.len(), "comment");
            }
            for d in &doc.duplicates {
                check_span(d.span, text.len(), "duplicate");
                check_span(d.first, text.len(), "duplicate's first");
            }
            if let Some(root) = &doc.root {
                check_val(&yaml::to_val(root), text.len());
            }
        }
        Err(e) => assert!(
            e.offset <= text.len() && e.line >= 1 && e.column >= 1,
            "error position {e:?} outside a text of {} bytes",
            text.len()
        ),
    }
});
