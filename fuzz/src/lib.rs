//! Helpers shared by the fuzz targets: a scratch directory per process, the invariants that every
//! target checks (spans stay inside their file), and the built-in rules loaded once.
//!
//! The targets use only iamlint's public API; nothing here is compiled into iamlint itself.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use iamlint::source::{Context, Extraction, ResolveOptions};
use iamlint::span::{SourceMap, Span};
use iamlint::value::{Val, ValKind};

/// Inputs longer than this are skipped: the README's size cap is 8 MiB, but libFuzzer finds
/// bugs faster on small inputs, and `-max_len` in scripts/fuzz.sh keeps them small anyway.
pub const MAX_INPUT: usize = 1 << 20;

/// Writes `text` as `name` into a directory of this process, emptied for each input. Returns
/// the directory and the file's path.
pub fn scratch(name: &str, text: &[u8]) -> (PathBuf, PathBuf) {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    let base = BASE
        .get_or_init(|| std::env::temp_dir().join(format!("iamlint-fuzz-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(base);
    let path = base.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the scratch directory");
    }
    std::fs::write(&path, text).expect("write the scratch file");
    (base.clone(), path)
}

/// Resolve options with nothing given on the command line.
pub fn no_options() -> &'static ResolveOptions {
    static O: OnceLock<ResolveOptions> = OnceLock::new();
    O.get_or_init(ResolveOptions::default)
}

/// A loader context rooted at `root`.
pub fn context<'a>(sources: &'a SourceMap, root: &Path) -> Context<'a> {
    Context {
        sources,
        root: root.to_path_buf(),
        options: no_options(),
    }
}

/// Panics (a finding for libFuzzer) when a span is not inside the text it points into.
pub fn check_span(span: Span, len: usize, what: &str) {
    assert!(
        span.start <= span.end && span.end as usize <= len,
        "{what} span {}..{} outside a text of {len} bytes",
        span.start,
        span.end
    );
}

/// Checks every span of a value (iteratively: values may be deep).
pub fn check_val(v: &Val, len: usize) {
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        check_span(v.span, len, "value");
        match &v.kind {
            ValKind::List(items) => todo.extend(items),
            ValKind::Map(entries) => {
                for (k, v) in entries {
                    check_span(k.span, len, "key");
                    todo.push(v);
                }
            }
            _ => {}
        }
    }
}

/// Checks that the roles, errors and notices of an extraction point into loaded files, inside
/// their text.
pub fn check_extraction(sources: &SourceMap, out: &Extraction) {
    let in_file = |span: Span, what: &str| {
        let f = sources
            .get(span.file)
            .unwrap_or_else(|| panic!("{what} points to an unknown file {:?}", span.file));
        check_span(span, f.text.len(), what);
    };
    for r in &out.roles {
        in_file(r.span, "role");
    }
    for e in &out.errors {
        if let Some(s) = e.span {
            in_file(s, "error");
        }
    }
    for n in &out.notices {
        in_file(n.span, "notice");
    }
}

/// The built-in rules, parsed once.
pub fn builtin_rules() -> &'static [iamlint::rules::Rule] {
    static R: OnceLock<Vec<iamlint::rules::Rule>> = OnceLock::new();
    R.get_or_init(|| iamlint::rules::builtin().expect("the built-in rules parse"))
}
