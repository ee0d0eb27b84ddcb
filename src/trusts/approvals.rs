//! The approval file (`iam-trusts.yaml`): the trust relationships a team has reviewed, one entry
//! per (role, principal) keyed by root, role address (a `*` glob is allowed, for roles stamped
//! out by `for_each`), principal type and principal, with the guards that were approved and the
//! fields people fill in (`reason`, `ticket`, `approved_by`, `expires`).
//!
//! [`render`] writes it (sorted, stable, one entry per edge, human fields kept); [`load`] reads
//! it with the line of every entry; [`compare`] checks the edge list against it and hands on
//! [`Notice`]s (`trust-not-approved`, `trust-weaker-than-approved`, `trust-approval-stale`,
//! `trust-approval-expired`) that the rules in `rules/IAM40x-*.yaml` report.

use std::path::Path;

use crate::source::yaml::{self, Node, NodeKind};
use crate::source::{Notice, SourceError};
use crate::span::{FileId, SourceMap, Span};
use crate::trusts::edges::{Edge, Guards, LIST_GUARDS};
use crate::trusts::pattern;

/// The notice kinds the approval comparison emits.
pub const NOT_APPROVED: &str = "trust-not-approved";
pub const WEAKER: &str = "trust-weaker-than-approved";
pub const STALE: &str = "trust-approval-stale";
pub const EXPIRED: &str = "trust-approval-expired";
pub const KINDS: &[&str] = &[NOT_APPROVED, WEAKER, STALE, EXPIRED];

/// The fields people fill in; kept when the file is rewritten.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Human {
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub approved_by: Option<String>,
    /// `YYYY-MM-DD`; the approval lapses after this day.
    pub expires: Option<String>,
}

/// One approved trust relationship.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub root: String,
    /// The role address, or a glob of addresses (`module.team[*].aws_iam_role.ci`).
    pub role: String,
    pub principal_type: String,
    pub principal: String,
    pub guards: Guards,
    pub human: Human,
    /// The entry in the file (its first line).
    pub span: Span,
}

impl Entry {
    /// True when the entry covers the edge: same root, principal type and principal, and a role
    /// address its `role` (a glob where `*` matches any run of characters) matches.
    pub fn matches(&self, e: &Edge) -> bool {
        self.principal_type == e.principal.ty
            && self.principal == e.principal.value
            && glob_match(&self.root, &e.root)
            && glob_match(&self.role, &e.role)
    }

    fn is_glob(&self) -> bool {
        self.role.contains('*') || self.root.contains('*')
    }
}

fn glob_match(glob: &str, text: &str) -> bool {
    if !glob.contains('*') {
        return glob == text;
    }
    pattern::contains(&glob.replace('?', "${?}"), &pattern::encode(text, false))
}

/// How one guard of an edge differs from another's (old → new).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardChange {
    /// `external_id`, `mfa`, or a name of [`LIST_GUARDS`].
    pub guard: &'static str,
    pub change: Change,
    /// The values before and after (empty for the flags and for a missing guard).
    pub from: Vec<String>,
    pub to: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The guard is gone.
    Removed,
    /// The new values admit something the old ones do not.
    Widened,
    /// The new values admit less.
    Narrowed,
    /// A guard was added.
    Added,
}

impl Change {
    /// True for the changes that let more callers in.
    pub fn weakens(self) -> bool {
        matches!(self, Change::Removed | Change::Widened)
    }
}

impl GuardChange {
    /// `sub widened from `a` to `b``, `the sts:ExternalId condition was removed`.
    pub fn describe(&self) -> String {
        let key = condition_key(self.guard);
        let list = |v: &[String]| {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.change {
            Change::Removed if self.from.is_empty() => {
                format!("the {key} condition was removed")
            }
            Change::Removed => format!(
                "the {key} condition was removed (approved: {})",
                list(&self.from)
            ),
            Change::Added => format!("a {key} condition was added"),
            Change::Widened => format!(
                "{} widened from {} to {}",
                self.guard,
                list(&self.from),
                list(&self.to)
            ),
            Change::Narrowed => format!(
                "{} narrowed from {} to {}",
                self.guard,
                list(&self.from),
                list(&self.to)
            ),
        }
    }
}

fn condition_key(guard: &str) -> &'static str {
    match guard {
        "external_id" => "sts:ExternalId",
        "mfa" => "MFA (aws:MultiFactorAuthPresent)",
        "organizations" => "aws:PrincipalOrgID",
        "org_paths" => "aws:PrincipalOrgPaths",
        "principal_arn" => "aws:PrincipalArn",
        "source_account" => "aws:SourceAccount",
        "source_arn" => "aws:SourceArn",
        "sub" => "subject (sub)",
        "aud" => "audience (aud)",
        _ => "guard",
    }
}

/// How the guards of a trust changed from `old` to `new`, guard by guard, with IAM wildcard
/// semantics for the values: widened means a value of `new` admits a string that no value of
/// `old` admits.
pub fn compare_guards(old: &Guards, new: &Guards) -> Vec<GuardChange> {
    let mut out = Vec::new();
    for (guard, was, is) in [
        ("external_id", old.external_id, new.external_id),
        ("mfa", old.mfa, new.mfa),
    ] {
        let change = match (was, is) {
            (true, false) => Change::Removed,
            (false, true) => Change::Added,
            _ => continue,
        };
        out.push(GuardChange {
            guard,
            change,
            from: Vec::new(),
            to: Vec::new(),
        });
    }
    for guard in LIST_GUARDS {
        let (was, is) = (old.list(guard), new.list(guard));
        let change = match (was, is) {
            (None, None) => continue,
            (Some(_), None) => Change::Removed,
            (None, Some(_)) => Change::Added,
            (Some(a), Some(b)) => {
                if !pattern::not_contained(a, b).is_empty() {
                    Change::Widened
                } else if !pattern::not_contained(b, a).is_empty() {
                    Change::Narrowed
                } else {
                    continue;
                }
            }
        };
        out.push(GuardChange {
            guard,
            change,
            from: was.cloned().unwrap_or_default(),
            to: is.cloned().unwrap_or_default(),
        });
    }
    out
}

/// A problem in the approval file, with its place.
fn err(span: Span, message: impl Into<String>) -> SourceError {
    SourceError::at(span, message)
}

fn scalar(n: &Node) -> Option<&str> {
    match &n.kind {
        NodeKind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn field<'n>(map: &'n [(Node, Node)], key: &str) -> Option<&'n Node> {
    map.iter()
        .find(|(k, _)| scalar(k) == Some(key))
        .map(|(_, v)| v)
}

fn text_field(map: &[(Node, Node)], key: &str, at: Span) -> Result<Option<String>, SourceError> {
    match field(map, key) {
        None => Ok(None),
        Some(n) => match &n.kind {
            NodeKind::Scalar { text, quoted } if !quoted && (text == "~" || text == "null") => {
                Ok(None)
            }
            NodeKind::Scalar { text, .. } => Ok(Some(text.clone())),
            _ => Err(err(
                if n.span == Span::default() {
                    at
                } else {
                    n.span
                },
                format!("`{key}` must be a string"),
            )),
        },
    }
}

fn required(map: &[(Node, Node)], key: &str, at: Span) -> Result<String, SourceError> {
    text_field(map, key, at)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err(at, format!("this entry has no `{key}`")))
}

/// True for a real `YYYY-MM-DD` date.
fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    s.bytes()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=days).contains(&d)
}

fn guards_of(node: Option<&Node>) -> Result<Guards, SourceError> {
    let mut g = Guards::default();
    let Some(node) = node else { return Ok(g) };
    let NodeKind::Map(map) = &node.kind else {
        if scalar(node).is_some_and(|s| s == "{}" || s.is_empty()) {
            return Ok(g);
        }
        return Err(err(node.span, "`guards` must be a mapping"));
    };
    for (k, v) in map {
        let name = scalar(k).unwrap_or("");
        match name {
            "external_id" | "mfa" => {
                let on = match scalar(v) {
                    Some("true") => true,
                    Some("false") => false,
                    _ => return Err(err(v.span, format!("`{name}` must be true or false"))),
                };
                if name == "external_id" {
                    g.external_id = on;
                } else {
                    g.mfa = on;
                }
            }
            other => {
                let Some(slot) = g.list_mut(other) else {
                    return Err(err(
                        k.span,
                        format!(
                            "unknown guard `{other}` (expected external_id, mfa, {})",
                            LIST_GUARDS.join(", ")
                        ),
                    ));
                };
                let values: Vec<String> = match &v.kind {
                    NodeKind::Seq(items) => items
                        .iter()
                        .map(|i| {
                            scalar(i).map(str::to_string).ok_or_else(|| {
                                err(i.span, format!("`{other}` values must be strings"))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    NodeKind::Scalar { text, .. } => vec![text.clone()],
                    NodeKind::Map(_) => {
                        return Err(err(v.span, format!("`{other}` must be a list of strings")));
                    }
                };
                *slot = Some(values);
            }
        }
    }
    Ok(g)
}

/// Reads the approval file's text (already in `sources` as `file`).
pub fn parse(text: &str, file: FileId) -> Result<Vec<Entry>, SourceError> {
    let doc = yaml::parse(text, file).map_err(|e| {
        SourceError::at_line(
            file,
            e.line,
            e.column,
            format!("invalid YAML: {}", e.message),
        )
    })?;
    let Some(root) = doc.root else {
        return Ok(Vec::new());
    };
    let NodeKind::Map(top) = &root.kind else {
        return Err(err(
            root.span,
            "expected a mapping with `version` and `trusts`",
        ));
    };
    for (k, _) in top {
        let name = scalar(k).unwrap_or("");
        if name != "version" && name != "trusts" {
            return Err(err(
                k.span,
                format!("unknown key `{name}` (expected version, trusts)"),
            ));
        }
    }
    if let Some(v) = field(top, "version")
        && scalar(v) != Some("1")
    {
        return Err(err(
            v.span,
            "unsupported version (this iamlint reads version 1)",
        ));
    }
    let Some(list) = field(top, "trusts") else {
        return Ok(Vec::new());
    };
    let items: &[Node] = match &list.kind {
        NodeKind::Seq(items) => items,
        NodeKind::Scalar { text, .. } if text.is_empty() || text == "[]" => &[],
        _ => return Err(err(list.span, "`trusts` must be a list of entries")),
    };
    let mut out = Vec::new();
    for item in items {
        let at = item.span;
        let NodeKind::Map(map) = &item.kind else {
            return Err(err(at, "an entry must be a mapping"));
        };
        const KEYS: &[&str] = &[
            "root",
            "role",
            "type",
            "principal",
            "account",
            "relation",
            "name",
            "guards",
            "unresolved",
            "reason",
            "ticket",
            "approved_by",
            "expires",
        ];
        for (k, _) in map {
            let name = scalar(k).unwrap_or("");
            if !KEYS.contains(&name) {
                return Err(err(
                    k.span,
                    format!("unknown key `{name}` (expected one of {})", KEYS.join(", ")),
                ));
            }
        }
        let expires = text_field(map, "expires", at)?;
        if let Some(d) = &expires
            && !valid_date(d)
        {
            let span = field(map, "expires").map_or(at, |n| n.span);
            return Err(err(
                span,
                format!("`expires: {d}` is not a date (YYYY-MM-DD)"),
            ));
        }
        out.push(Entry {
            root: text_field(map, "root", at)?.unwrap_or_else(|| ".".into()),
            role: required(map, "role", at)?,
            principal_type: required(map, "type", at)?,
            principal: required(map, "principal", at)?,
            guards: guards_of(field(map, "guards"))?,
            human: Human {
                reason: text_field(map, "reason", at)?,
                ticket: text_field(map, "ticket", at)?,
                approved_by: text_field(map, "approved_by", at)?,
                expires,
            },
            span: Span::new(file, at.start as usize, at.start as usize),
        });
    }
    Ok(out)
}

/// Loads the approval file into `sources`; `Ok(None)` when it does not exist. The file is found
/// by iamlint (next to a config, or its `trusts_file`), so under the repository `repo` it goes
/// through the guarded reader: a link out of the repository is an error that shows nothing of
/// its target.
pub fn load(
    path: &Path,
    sources: &SourceMap,
    repo: &Path,
) -> Result<Option<Vec<Entry>>, SourceError> {
    if !path.exists() && path.symlink_metadata().is_err() {
        return Ok(None);
    }
    let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    let access = if crate::config::within(
        &path
            .parent()
            .map_or_else(|| path.to_path_buf(), |d| d.join("x")),
        &repo,
    ) {
        crate::source::read::Access::Inside(&repo)
    } else {
        crate::source::read::Access::Named
    };
    let display = crate::discover::display_path(path);
    let (id, file) = sources.load(path, display.clone(), access).map_err(|e| {
        let id = sources.add(crate::span::SourceFile::new(
            path.to_path_buf(),
            display,
            std::sync::Arc::from(""),
        ));
        SourceError::whole_file(id, e.to_string())
    })?;
    parse(&file.text, id).map(Some)
}

/// Today as `YYYY-MM-DD` in UTC: `IAMLINT_TODAY` when set (tests, reproducible runs), else the
/// system clock.
pub fn today() -> String {
    if let Ok(t) = std::env::var("IAMLINT_TODAY")
        && valid_date(t.trim())
    {
        return t.trim().to_string();
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whether an entry's root was looked at in this run: some edge has it, or it no longer exists
/// under the repository root. Only such entries can be called stale (a run over one directory
/// says nothing about the others).
fn root_covered(entry: &Entry, edges: &[Edge], evaluated_roots: &[String], repo: &Path) -> bool {
    evaluated_roots.iter().any(|r| glob_match(&entry.root, r))
        || edges.iter().any(|e| glob_match(&entry.root, &e.root))
        || (!entry.root.contains('*') && !repo.join(&entry.root).exists())
}

/// Checks the edges against the approval file: a trust not in it, a trust whose guards are
/// weaker than approved, an entry that matches nothing (of a root this run evaluated), an entry
/// past its `expires` date. `evaluated_roots` are the roots of every role of the run; roles
/// that are not created are not required to be approved but keep their entries alive.
pub fn compare(
    edges: &[Edge],
    entries: &[Entry],
    evaluated_roots: &[String],
    repo: &Path,
    today: &str,
    file_name: &str,
) -> Vec<Notice> {
    let mut out = Vec::new();
    let mut used = vec![false; entries.len()];
    for e in edges {
        // An exact entry wins over a glob.
        let found = entries
            .iter()
            .enumerate()
            .filter(|(_, a)| a.matches(e))
            .min_by_key(|(_, a)| a.is_glob());
        match found {
            Some((i, a)) => {
                used[i] = true;
                if e.state == "not_created" {
                    continue;
                }
                let weaker: Vec<String> = compare_guards(&a.guards, &e.guards)
                    .into_iter()
                    .filter(|c| c.change.weakens())
                    .map(|c| c.describe())
                    .collect();
                if !weaker.is_empty() {
                    out.push(Notice {
                        kind: WEAKER.into(),
                        span: e.span,
                        address: e.role.clone(),
                        message: format!(
                            "{} can be assumed by {} with weaker guards than {file_name} approves: {}",
                            e.role,
                            e.principal.describe(),
                            weaker.join("; ")
                        ),
                    });
                }
            }
            None if e.state == "not_created" => {}
            None => out.push(Notice {
                kind: NOT_APPROVED.into(),
                span: e.span,
                address: e.role.clone(),
                message: format!(
                    "{} can now be assumed by {}, which is not in {file_name}",
                    e.role,
                    e.principal.describe()
                ),
            }),
        }
    }
    for (i, a) in entries.iter().enumerate() {
        if !used[i] && root_covered(a, edges, evaluated_roots, repo) {
            out.push(Notice {
                kind: STALE.into(),
                span: a.span,
                address: a.role.clone(),
                message: format!(
                    "the approval of {} {} for {} (root {}) matches no trust relationship in the code",
                    a.principal_type, a.principal, a.role, a.root
                ),
            });
        }
        if let Some(exp) = &a.human.expires
            && exp.as_str() < today
        {
            out.push(Notice {
                kind: EXPIRED.into(),
                span: a.span,
                address: a.role.clone(),
                message: format!(
                    "the approval of {} {} for {} expired on {exp}",
                    a.principal_type, a.principal, a.role
                ),
            });
        }
    }
    out
}

/// The approval file for `edges`: one entry per edge, or one per glob entry of `previous` that
/// still matches edges (with the union of their guards), sorted by root, role, type and
/// principal; the human fields of the matching previous entry are kept. Previous entries of
/// roots this run did not look at are kept as they are.
pub fn render(
    edges: &[Edge],
    previous: &[Entry],
    evaluated_roots: &[String],
    repo: &Path,
) -> String {
    struct Out<'a> {
        root: String,
        role: String,
        ty: String,
        principal: String,
        guards: Guards,
        human: Human,
        edge: Option<&'a Edge>,
    }
    let mut out: Vec<Out> = Vec::new();
    for e in edges {
        let prev = previous
            .iter()
            .filter(|a| a.matches(e))
            .min_by_key(|a| a.is_glob());
        match prev {
            Some(a) if a.is_glob() => {
                match out.iter_mut().find(|o| {
                    o.edge.is_none()
                        && o.root == a.root
                        && o.role == a.role
                        && o.ty == a.principal_type
                        && o.principal == a.principal
                }) {
                    Some(o) => o.guards = union_guards(&o.guards, &e.guards),
                    None => out.push(Out {
                        root: a.root.clone(),
                        role: a.role.clone(),
                        ty: a.principal_type.clone(),
                        principal: a.principal.clone(),
                        guards: e.guards.clone(),
                        human: a.human.clone(),
                        edge: None,
                    }),
                }
            }
            _ => out.push(Out {
                root: e.root.clone(),
                role: e.role.clone(),
                ty: e.principal.ty.clone(),
                principal: e.principal.value.clone(),
                guards: e.guards.clone(),
                human: prev.map(|a| a.human.clone()).unwrap_or_default(),
                edge: Some(e),
            }),
        }
    }
    for a in previous {
        let matched = edges.iter().any(|e| a.matches(e));
        if !matched && !root_covered(a, edges, evaluated_roots, repo) {
            out.push(Out {
                root: a.root.clone(),
                role: a.role.clone(),
                ty: a.principal_type.clone(),
                principal: a.principal.clone(),
                guards: a.guards.clone(),
                human: a.human.clone(),
                edge: None,
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.root, &a.role, &a.ty, &a.principal).cmp(&(&b.root, &b.role, &b.ty, &b.principal))
    });
    out.dedup_by(|a, b| {
        (&a.root, &a.role, &a.ty, &a.principal) == (&b.root, &b.role, &b.ty, &b.principal)
    });
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut s = String::from(
        "# Approved trust relationships: who may assume which role, with the guards that were\n\
         # reviewed. Written by `iamlint trusts --write`; `iamlint check` reports a trust that is\n\
         # not listed here, a trust whose guards are weaker than listed, an entry that matches\n\
         # nothing, and an entry past its `expires` date. Fill in reason, ticket, approved_by and\n\
         # expires (YYYY-MM-DD): they are kept when the file is rewritten. `role` may be a glob\n\
         # (module.team[*].aws_iam_role.ci). Protect this file with CODEOWNERS.\n\
         version: 1\n",
    );
    if out.is_empty() {
        s.push_str("trusts: []\n");
        return s;
    }
    s.push_str("trusts:\n");
    for o in &out {
        s.push_str(&format!("  - root: {}\n", q(&o.root)));
        s.push_str(&format!("    role: {}\n", q(&o.role)));
        s.push_str(&format!("    type: {}\n", q(&o.ty)));
        s.push_str(&format!("    principal: {}\n", q(&o.principal)));
        if let Some(e) = o.edge {
            if let Some(a) = &e.principal.account {
                s.push_str(&format!("    account: {}\n", q(a)));
            }
            if let Some(r) = &e.principal.relation {
                s.push_str(&format!("    relation: {}\n", q(r.id())));
            }
            if let Some(n) = &e.principal.name {
                s.push_str(&format!("    name: {}\n", q(n)));
            }
        }
        let g = &o.guards;
        let lists: Vec<(&str, &Vec<String>)> = LIST_GUARDS
            .iter()
            .filter_map(|n| g.list(n).map(|v| (*n, v)))
            .collect();
        if !g.external_id && !g.mfa && lists.is_empty() {
            s.push_str("    guards: {}\n");
        } else {
            s.push_str("    guards:\n");
            if g.external_id {
                s.push_str("      external_id: true\n");
            }
            if g.mfa {
                s.push_str("      mfa: true\n");
            }
            for (n, v) in lists {
                let items: Vec<String> = v.iter().map(|x| q(x)).collect();
                s.push_str(&format!("      {n}: [{}]\n", items.join(", ")));
            }
        }
        if let Some(e) = o.edge
            && !e.unresolved.is_empty()
        {
            let items: Vec<String> = e.unresolved.iter().map(|x| q(x)).collect();
            s.push_str(&format!("    unresolved: [{}]\n", items.join(", ")));
        }
        for (k, v) in [
            ("reason", &o.human.reason),
            ("ticket", &o.human.ticket),
            ("approved_by", &o.human.approved_by),
            ("expires", &o.human.expires),
        ] {
            if let Some(v) = v {
                s.push_str(&format!("    {k}: {}\n", q(v)));
            }
        }
    }
    s
}

fn union_guards(a: &Guards, b: &Guards) -> Guards {
    let mut out = Guards {
        external_id: a.external_id && b.external_id,
        mfa: a.mfa && b.mfa,
        ..Guards::default()
    };
    for n in LIST_GUARDS {
        let merged = match (a.list(n), b.list(n)) {
            (Some(x), Some(y)) => {
                let mut v = x.clone();
                v.extend(y.iter().cloned());
                v.sort();
                v.dedup();
                Some(v)
            }
            _ => None,
        };
        if let Some(slot) = out.list_mut(n) {
            *slot = merged;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_454), "2026-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("2023-13-01"));
        assert!(!valid_date("2023-1-01"));
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        let file = FileId(0);
        for text in [
            "[1, 2]",
            "version: 2\ntrusts: []\n",
            "trusts: {a: 1}\n",
            "trusts:\n  - 1\n",
            "trusts:\n  - role: x\n",
            "trusts:\n  - {role: x, type: AWS, principal: p, guards: [1]}\n",
            "trusts:\n  - {role: x, type: AWS, principal: p, guards: {mfa: maybe}}\n",
            "trusts:\n  - {role: x, type: AWS, principal: p, guards: {sub: {a: b}}}\n",
            "trusts:\n  - {role: x, type: AWS, principal: p, guards: {colour: [red]}}\n",
            "trusts:\n  - {role: x, type: AWS, principal: p, expires: 2024-02-30}\n",
            "trusts:\n  - {role: [x], type: AWS, principal: p}\n",
            "trusts:\n  - {role: x, type: AWS, principal: p, extra: 1}\n",
            "other: 1\n",
            "a: &a [*a, *a]\ntrusts: *a\n",
            "trusts: [\n",
        ] {
            assert!(parse(text, file).is_err(), "{text}");
        }
        let ok = parse(
            "version: 1\ntrusts:\n  - {role: x, type: AWS, principal: p, guards: {}, expires: 2024-02-29}\n",
            file,
        );
        assert!(ok.is_ok_and(|e| e.len() == 1 && e[0].root == "."));
        assert!(parse("", file).is_ok_and(|e| e.is_empty()));
    }

    #[test]
    fn globs_match_for_each_addresses() {
        assert!(glob_match(
            "module.team[*].aws_iam_role.ci",
            "module.team[\"a\"].aws_iam_role.ci"
        ));
        assert!(!glob_match(
            "module.team[*].aws_iam_role.ci",
            "module.other[\"a\"].aws_iam_role.ci"
        ));
        assert!(glob_match("aws_iam_role.ci", "aws_iam_role.ci"));
    }

    #[test]
    fn guard_changes() {
        let old = Guards {
            sub: Some(vec!["repo:org/app:environment:prod".into()]),
            external_id: true,
            ..Guards::default()
        };
        let new = Guards {
            sub: Some(vec!["repo:org/*".into()]),
            ..Guards::default()
        };
        let c = compare_guards(&old, &new);
        assert_eq!(c.len(), 2, "{c:?}");
        assert!(c.iter().all(|c| c.change.weakens()));
        let back = compare_guards(&new, &old);
        assert!(back.iter().all(|c| !c.change.weakens()), "{back:?}");
    }
}
