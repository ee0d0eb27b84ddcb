//! IAM wildcard patterns as the trust edges and the approval file keep them: `*` matches any
//! run of characters and `?` one character, as under `StringLike` and the ARN operators; a
//! literal `*` or `?` (of a `StringEquals` value) is written `${*}` or `${?}`, IAM's own escapes
//! (`${$}` is read as a literal `$` too). The one question asked of them is containment: does the approved pattern admit every
//! string the current one admits?

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Lit(char),
    One,
    Many,
}

/// Writes a condition value in pattern form: a literal value (`pattern == false`) has its
/// wildcard characters escaped.
pub fn encode(text: &str, pattern: bool) -> String {
    if pattern {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            c => out.push(c),
        }
    }
    out
}

/// The tokens of a pattern, with every run of wildcards in a canonical order (`?` first, then
/// one `*`), which matches the same strings.
fn tokens(p: &str) -> Vec<Tok> {
    let chars: Vec<char> = p.chars().collect();
    let mut raw = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$'
            && chars.get(i + 1) == Some(&'{')
            && chars.get(i + 3) == Some(&'}')
            && matches!(chars.get(i + 2), Some('*' | '?' | '$'))
        {
            raw.push(Tok::Lit(chars[i + 2]));
            i += 4;
            continue;
        }
        raw.push(match c {
            '*' => Tok::Many,
            '?' => Tok::One,
            c => Tok::Lit(c),
        });
        i += 1;
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut j = 0;
    while j < raw.len() {
        if matches!(raw[j], Tok::Lit(_)) {
            out.push(raw[j]);
            j += 1;
            continue;
        }
        let (mut ones, mut many) = (0, false);
        while j < raw.len() && !matches!(raw[j], Tok::Lit(_)) {
            match raw[j] {
                Tok::One => ones += 1,
                _ => many = true,
            }
            j += 1;
        }
        out.extend(std::iter::repeat_n(Tok::One, ones));
        if many {
            out.push(Tok::Many);
        }
    }
    out
}

/// True when every string that `inner` matches is matched by `outer`.
pub fn contains(outer: &str, inner: &str) -> bool {
    let o = tokens(outer);
    let i = tokens(inner);
    // covers[a][b]: outer[a..] matches every string inner[b..] matches.
    let mut covers = vec![vec![false; i.len() + 1]; o.len() + 1];
    covers[o.len()][i.len()] = true;
    for a in (0..o.len()).rev() {
        for b in (0..=i.len()).rev() {
            covers[a][b] = match o[a] {
                // `*` takes nothing, or the next token of inner (whatever it matches).
                Tok::Many => covers[a + 1][b] || (b < i.len() && covers[a][b + 1]),
                Tok::One => {
                    b < i.len() && matches!(i[b], Tok::Lit(_) | Tok::One) && covers[a + 1][b + 1]
                }
                Tok::Lit(c) => b < i.len() && i[b] == Tok::Lit(c) && covers[a + 1][b + 1],
            };
        }
    }
    covers[0][0]
}

/// The patterns of `inner` that no pattern of `outer` contains: what a widened guard admits
/// that the approved one does not.
pub fn not_contained<'a>(outer: &[String], inner: &'a [String]) -> Vec<&'a str> {
    inner
        .iter()
        .filter(|p| !outer.iter().any(|o| contains(o, p)))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_follows_wildcards() {
        assert!(contains("repo:org/*", "repo:org/app:environment:prod"));
        assert!(!contains("repo:org/app:environment:prod", "repo:org/*"));
        assert!(contains("*", "anything*"));
        assert!(contains("a?c", "abc"));
        assert!(!contains("abc", "a?c"));
        assert!(contains("a*", "a?*"));
        assert!(!contains("a?*", "a*"));
        // `*?` and `?*` are the same language.
        assert!(contains("*?", "?*") && contains("?*", "*?"));
        assert!(!contains("*a*", "?*"));
    }

    #[test]
    fn escaped_literals_are_not_wildcards() {
        let lit = encode("repo:org/*", false);
        assert_eq!(lit, "repo:org/${*}");
        assert!(contains("repo:org/*", &lit));
        assert!(!contains(&lit, "repo:org/x"));
        assert!(contains(&lit, &lit));
    }
}
