//! Values as the resolvers hand them to the extractors: a JSON-like tree in which every node keeps
//! its span, and in which whatever could not be known offline is an [`Unknown`] carrying the
//! expression and the reason. Terraform and CloudFormation both resolve to this type, so the IAM
//! model is built from one shape whatever the source.

use crate::span::Span;

/// The account the code is deployed into (`data.aws_caller_identity.current.account_id`,
/// `AWS::AccountId`). It stands in the account field of ARNs so that they classify as "self".
pub const SELF_ACCOUNT: &str = "(this-account)";

/// The region the code is deployed into (`AWS::Region`, `data.aws_region.current.name`). It
/// stands in the region field of ARNs and in regional service principals
/// (`states.(this-region).amazonaws.com`), so that they stay known values of this account.
pub const SELF_REGION: &str = "(this-region)";

/// How a placeholder for a value assigned at apply ends (`(name of aws_iam_role.x assigned at
/// apply)`): a known string may carry such parts, like [`SELF_ACCOUNT`], when only a name, an id
/// or an issuer host of something this configuration creates is unknown.
pub const AT_APPLY: &str = " assigned at apply)";

/// How a placeholder for a part that is not known at all begins (`(unknown issuer)`).
pub const UNKNOWN_PART: &str = "(unknown ";

/// The byte ranges of the placeholders in a known string: [`SELF_ACCOUNT`], [`SELF_REGION`],
/// `(... assigned at apply)` and `(unknown ...)`.
pub fn placeholders(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find('(').map(|i| i + from) {
        let rest = &text[i..];
        let len = if rest.starts_with(SELF_ACCOUNT) {
            Some(SELF_ACCOUNT.len())
        } else if rest.starts_with(SELF_REGION) {
            Some(SELF_REGION.len())
        } else if rest.starts_with(UNKNOWN_PART) {
            rest.find(')')
                .filter(|end| !rest[1..*end].contains('('))
                .map(|end| end + 1)
        } else {
            rest.find(AT_APPLY)
                .filter(|end| !rest[1..*end].contains(['(', ')']))
                .map(|end| end + AT_APPLY.len())
        };
        match len {
            Some(n) => {
                out.push(i..i + n);
                from = i + n;
            }
            None => from = i + 1,
        }
    }
    out
}

/// A string as pieces: the placeholders of [`placeholders`], and `${expr}` that a loader wrote
/// back for an unknown interpolation (a decoded policy, a condition key), are holes.
pub fn pieces_of(text: &str) -> Vec<Piece> {
    let mut cuts: Vec<std::ops::Range<usize>> = placeholders(text);
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'$' && b[i + 1] == b'{' {
            let mut depth = 0usize;
            let mut end = None;
            for (j, c) in b.iter().enumerate().skip(i + 1) {
                match c {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(j + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            match end {
                // `${aws:username}` is an IAM policy variable, not a hole.
                Some(e) if is_policy_variable(&text[i + 2..e - 1]) => i = e,
                Some(e) => {
                    cuts.push(i..e);
                    i = e;
                }
                None => break,
            }
        } else {
            i += 1;
        }
    }
    cuts.sort_by_key(|r| r.start);
    let mut out = Vec::new();
    let mut last = 0;
    for r in cuts {
        if r.start < last {
            continue;
        }
        out.push(Piece::Text(text[last..r.start].to_string()));
        out.push(Piece::Hole(text[r.clone()].to_string()));
        last = r.end;
    }
    out.push(Piece::Text(text[last..].to_string()));
    out.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    out
}

/// `aws:username`, `aws:PrincipalTag/team`, `*`: the name inside an IAM policy variable.
fn is_policy_variable(name: &str) -> bool {
    if matches!(name, "*" | "?" | "$") {
        return true;
    }
    let Some((service, key)) = name.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !key.contains(['(', ')', '"', ' ', '$', '{', '}', ','])
}

/// The text of a partial string with each unknown part written as `${expr}`, the form loaders
/// use for a name (a condition key) that must stay a string.
pub fn template_text(parts: &[Piece]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.clone(),
            Piece::Hole(e) => format!("${{{e}}}"),
        })
        .collect()
}

/// A part of a string whose other parts are unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// An unknown part, with the expression it came from.
    Hole(String),
}

/// Something that cannot be known without AWS or without inputs the run does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// The expression as written (`var.trusted_accounts`, `!ImportValue SharedAccount`).
    pub expr: String,
    /// Why it is unknown ("var.trusted_accounts has no default and no value in any tfvars file").
    pub reason: String,
    /// A string built from known text and unknown parts (`"${var.issuer}:sub"`) keeps them here,
    /// in order; empty when nothing of the value is known.
    pub parts: Vec<Piece>,
}

impl Unknown {
    pub fn new(expr: impl Into<String>, reason: impl Into<String>) -> Unknown {
        Unknown {
            expr: expr.into(),
            reason: reason.into(),
            parts: Vec::new(),
        }
    }

    /// A string of known text and holes; adjacent texts are joined, and an unknown part that
    /// is itself partial contributes its pieces.
    pub fn partial(
        expr: impl Into<String>,
        reason: impl Into<String>,
        pieces: impl IntoIterator<Item = Piece>,
    ) -> Unknown {
        let mut parts: Vec<Piece> = Vec::new();
        for p in pieces {
            match (parts.last_mut(), p) {
                (_, Piece::Text(t)) if t.is_empty() => {}
                (Some(Piece::Text(prev)), Piece::Text(t)) => prev.push_str(&t),
                (_, p) => parts.push(p),
            }
        }
        Unknown {
            expr: expr.into(),
            reason: reason.into(),
            parts,
        }
    }

    /// True for a partial string that ends in known text with a `:claim` after its last unknown
    /// part (`${var.issuer}:sub`): the shape of a provider's condition key, which loaders keep
    /// as a name with `${expr}` for the unknown parts ([`template_text`]).
    pub fn ends_in_claim(&self) -> bool {
        match self.parts.last() {
            Some(Piece::Text(t)) => t.rsplit_once(':').is_some_and(|(_, claim)| {
                !claim.is_empty()
                    && claim
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            }),
            _ => false,
        }
    }

    /// The pieces this unknown contributes to a string it is interpolated into: its own parts
    /// when it has known ones, else one hole.
    pub fn pieces(&self) -> Vec<Piece> {
        if self.parts.iter().any(|p| matches!(p, Piece::Text(_))) {
            self.parts.clone()
        } else {
            vec![Piece::Hole(self.expr.clone())]
        }
    }
}

/// A value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub kind: ValKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValKind {
    Null,
    Bool(bool),
    /// Numbers keep their text: IAM compares strings, and account ids must not lose digits.
    Number(String),
    Str(String),
    List(Vec<Val>),
    /// Keys keep their order and their spans; duplicates are kept as written.
    Map(Vec<(Key, Val)>),
    Unknown(Unknown),
}

/// A map key with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Val {
    pub fn new(kind: ValKind, span: Span) -> Val {
        Val { kind, span }
    }

    pub fn str(s: impl Into<String>, span: Span) -> Val {
        Val::new(ValKind::Str(s.into()), span)
    }

    pub fn unknown(expr: impl Into<String>, reason: impl Into<String>, span: Span) -> Val {
        Val::new(ValKind::Unknown(Unknown::new(expr, reason)), span)
    }

    /// The value of `key` in a map, compared exactly.
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value of `key` in a map (the last one wins, as in JSON parsers AWS uses).
    pub fn entry(&self, key: &str) -> Option<(&Key, &Val)> {
        match &self.kind {
            ValKind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.name == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value of `key`, ignoring ASCII case (policy element names are case-sensitive in
    /// IAM, but the grammar rules want to find `effect` to say it is misspelt).
    pub fn get_ignore_case(&self, key: &str) -> Option<(&Key, &Val)> {
        match &self.kind {
            ValKind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.name.eq_ignore_ascii_case(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValKind::Str(s) | ValKind::Number(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_unknown(&self) -> Option<&Unknown> {
        match &self.kind {
            ValKind::Unknown(u) => Some(u),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, ValKind::Unknown(_))
    }

    /// The elements of a list, or the value itself when it is a scalar (IAM accepts both).
    pub fn items(&self) -> Vec<&Val> {
        match &self.kind {
            ValKind::List(items) => items.iter().collect(),
            ValKind::Null => Vec::new(),
            _ => vec![self],
        }
    }

    /// A short rendering for messages: strings as they are, other values as compact JSON-ish.
    pub fn render(&self) -> String {
        match &self.kind {
            ValKind::Null => "null".into(),
            ValKind::Bool(b) => b.to_string(),
            ValKind::Number(n) => n.clone(),
            ValKind::Str(s) => s.clone(),
            ValKind::Unknown(u) => format!("${{{}}}", u.expr),
            ValKind::List(items) => {
                let parts: Vec<String> = items.iter().map(|v| v.render()).collect();
                format!("[{}]", parts.join(", "))
            }
            ValKind::Map(entries) => {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.name, v.render()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }

    /// Sets every span in the value (keys included) to `span`: for a value parsed from text whose
    /// positions cannot be mapped back to the file (a JSON string inside a string).
    pub fn respan(&mut self, span: Span) {
        self.span = span;
        match &mut self.kind {
            ValKind::List(items) => items.iter_mut().for_each(|i| i.respan(span)),
            ValKind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.span = span;
                v.respan(span);
            }),
            _ => {}
        }
    }

    /// Every unknown inside this value, with its span.
    pub fn unknowns(&self) -> Vec<(Span, &Unknown)> {
        let mut out = Vec::new();
        self.collect_unknowns(&mut out);
        out
    }

    fn collect_unknowns<'a>(&'a self, out: &mut Vec<(Span, &'a Unknown)>) {
        match &self.kind {
            ValKind::Unknown(u) => out.push((self.span, u)),
            ValKind::List(items) => items.iter().for_each(|v| v.collect_unknowns(out)),
            ValKind::Map(entries) => entries.iter().for_each(|(_, v)| v.collect_unknowns(out)),
            _ => {}
        }
    }

    /// Converts to serde_json for output; unknowns become `"${expr}"` strings.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            ValKind::Null => J::Null,
            ValKind::Bool(b) => J::Bool(*b),
            ValKind::Number(n) => n
                .parse::<serde_json::Number>()
                .map(J::Number)
                .unwrap_or_else(|_| J::String(n.clone())),
            ValKind::Str(s) => J::String(s.clone()),
            ValKind::Unknown(u) => J::String(format!("${{{}}}", u.expr)),
            ValKind::List(items) => J::Array(items.iter().map(Val::to_json).collect()),
            ValKind::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_holes() {
        let t = "arn:aws:iam::(this-account):role/(name of aws_iam_role.x assigned at apply)";
        let r = placeholders(t);
        assert_eq!(r.len(), 2);
        assert_eq!(&t[r[0].clone()], SELF_ACCOUNT);
        assert!(placeholders("(unknown issuer):sub").first() == Some(&(0..16)));
        assert!(placeholders("aws:ResourceTag/(team)").is_empty());
        let p = pieces_of("${replace(var.a, \"x\", \"\")}:sub");
        assert_eq!(
            p,
            vec![
                Piece::Hole("${replace(var.a, \"x\", \"\")}".into()),
                Piece::Text(":sub".into())
            ]
        );
        assert_eq!(
            pieces_of("${aws:username}"),
            vec![Piece::Text("${aws:username}".into())]
        );
        let u = Unknown::partial(
            "e",
            "r",
            [Piece::Hole("var.a".into()), Piece::Text(":sub".into())],
        );
        assert!(u.ends_in_claim());
        assert_eq!(template_text(&u.parts), "${var.a}:sub");
        assert!(
            !Unknown::partial(
                "e",
                "r",
                [Piece::Text("a:".into()), Piece::Hole("x".into())]
            )
            .ends_in_claim()
        );
    }
}
