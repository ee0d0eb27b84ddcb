//! Terraform's `fileset(path, pattern)`: the regular files under `path` whose path relative to
//! it matches `pattern`, with `/` separators, as a sorted set. The pattern language is
//! Terraform's documented one: `*` any run of characters but `/`, `**` any run including `/`
//! (`**/` also matches no directory), `?` one character but `/`, `{a,b}` alternatives,
//! `[class]` and `[^class]`, `\` escapes. Listing goes through the guarded reader
//! ([`crate::source::read::list_files`]): inside the scanned root only.

use globset::{GlobBuilder, GlobMatcher};

/// The matcher of a `fileset` pattern, or the error Terraform would report.
pub fn matcher(pattern: &str) -> Result<GlobMatcher, String> {
    // Terraform negates a class with `^`, globset with `!`.
    let mut translated = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut escaped = false;
    while let Some(c) = chars.next() {
        translated.push(c);
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if chars.peek() == Some(&'^') => {
                chars.next();
                translated.push('!');
            }
            _ => {}
        }
    }
    GlobBuilder::new(&translated)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid pattern {pattern:?}: {}", e.kind()))
}

/// The files of `files` (relative paths) that `pattern` matches, in order.
pub fn select(files: &[String], pattern: &str) -> Result<Vec<String>, String> {
    let m = matcher(pattern.strip_prefix("./").unwrap_or(pattern))?;
    Ok(files
        .iter()
        .filter(|f| m.is_match(f.as_str()))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<String> {
        [
            "a.json",
            "b.txt",
            "c.json",
            "sub/d.json",
            "sub/deep/e.json",
            "x?.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn sel(pattern: &str) -> Vec<String> {
        select(&files(), pattern).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn star_stays_in_a_segment_and_double_star_crosses_them() {
        assert_eq!(sel("*.json"), ["a.json", "c.json", "x?.json"]);
        assert_eq!(
            sel("**/*.json"),
            [
                "a.json",
                "c.json",
                "sub/d.json",
                "sub/deep/e.json",
                "x?.json"
            ]
        );
        assert_eq!(sel("sub/*"), ["sub/d.json"]);
        assert_eq!(sel("sub/**"), ["sub/d.json", "sub/deep/e.json"]);
        assert_eq!(sel("./*.txt"), ["b.txt"]);
    }

    #[test]
    fn question_mark_alternatives_and_classes() {
        assert_eq!(sel("?.json"), ["a.json", "c.json"]);
        assert_eq!(sel("*.{txt,json}").len(), 4);
        assert_eq!(sel("[ab].*"), ["a.json", "b.txt"]);
        assert_eq!(sel("[^ab].*"), ["c.json"]);
        assert_eq!(sel("x\\?.json"), ["x?.json"]);
    }

    #[test]
    fn a_bad_pattern_is_an_error() {
        assert!(select(&files(), "[a").is_err());
        assert!(select(&files(), "{a").is_err());
    }
}
