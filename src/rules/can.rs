//! The permission selectors of custom rules: `can` (the role's effective permissions allow one
//! of some actions on a resource matching one of some patterns), `has_boundary` and
//! `max_session_duration_over`. Each answers in three values: holds (with what it found), fails,
//! or undecided (a value it needs is unknown, with the reason).
//!
//! `can` reads the same sources as [`Permissions`](crate::iam::permissions::Permissions): the
//! inline and customer managed policies in the code, the AWS managed policies of the embedded
//! catalog, unconditional Deny statements, and the permissions boundary (an AWS managed policy
//! or a policy of the code). It matches actions with the catalog and IAM's wildcards (through
//! the statement matching of `iam::permissions`), and unlike the risky-grant summary it keeps
//! grants on specific resources and under conditions: a rule asks whether the role can do
//! something at all, not whether it can do it everywhere.

use crate::iam::actions::{self, wildcard_match};
use crate::iam::managed::{self, Allowance, ManagedPolicy, ResourceScope};
use crate::iam::model::{AttachedPolicy, Effect, PolicyDocument, Role, Statement};
use crate::iam::permissions::code_covers;
use crate::span::Span;

/// The outcome of a selector in three values.
pub enum Decision<T> {
    Holds(T),
    Fails,
    /// The selector needs a value that is unknown: why, in one sentence.
    Undecided(String),
}

/// What `can` found: the first place (statement or AWS managed policy) that grants one of the
/// actions, and every action of the rule it grants.
pub struct Granted {
    /// The `{action}` placeholder: the actions granted, and the statement pattern granting
    /// them when it is not the action itself (`s3:DeleteBucket (granted by `s3:*`)`).
    pub action: String,
    /// The `{detail}` placeholder: where, what, on which resources, under conditions.
    pub detail: String,
    /// The statement's action (or NotAction key), or the managed policy's ARN.
    pub span: Span,
    pub label: String,
    /// What the answer assumed (a permissions boundary whose document is unknown).
    pub notes: Vec<String>,
}

/// A `can` query: action patterns (`s3:Delete*`), and resource patterns (`None`: any).
pub struct Query<'q> {
    pub actions: &'q [String],
    pub resources: Option<&'q [String]>,
}

/// Where a grant reaches within the rule's resources.
#[derive(Clone, Copy)]
struct Region<'a> {
    /// The statement's Resource pattern; `None` for every resource (`*`, NotResource, an AWS
    /// managed policy on `*`), or resources the catalog does not keep.
    allow: Option<&'a str>,
    /// The rule's resource pattern it overlaps; `None` when the rule asks about any resource.
    rule: Option<&'a str>,
}

impl Region<'_> {
    fn describe(&self) -> String {
        match (self.allow, self.rule) {
            (Some(p), _) => format!("on `{p}`"),
            (None, Some(r)) => format!("on `{r}`"),
            (None, None) => "on all resources".to_string(),
        }
    }
}

/// A permissions boundary's answer for one action in one region.
enum Cap {
    Allows { conditional: bool },
    Blocks,
    Unknown(String),
}

/// The role's permissions boundary, as far as iamlint knows its document.
enum Boundary<'a> {
    None,
    Managed(&'static ManagedPolicy),
    Code(&'a PolicyDocument),
    /// A boundary whose document is unknown: it caps nothing iamlint can show, and the
    /// finding says so.
    Opaque(String),
}

impl<'a> Boundary<'a> {
    fn of(role: &'a Role) -> Boundary<'a> {
        if let Some(doc) = role
            .boundary_policy
            .as_ref()
            .and_then(|p| p.document.as_ref())
            .filter(|d| d.unknowns.is_empty() && d.statements.iter().all(|s| s.effect.is_some()))
        {
            return Boundary::Code(doc);
        }
        let Some(b) = &role.permissions_boundary else {
            return Boundary::None;
        };
        if let Some(p) = b.get().and_then(managed::lookup) {
            return Boundary::Managed(p);
        }
        if b.get().is_some_and(|s| s.trim().is_empty()) {
            return Boundary::None;
        }
        Boundary::Opaque(match b.unknown() {
            Some(u) => format!(
                "the permissions boundary `{}` is unknown ({}); iamlint cannot tell whether it lets this through",
                u.expr, u.reason
            ),
            None => format!(
                "the permissions boundary `{}` is not an AWS managed policy or a policy of the code; iamlint cannot tell whether it lets this through",
                b.render()
            ),
        })
    }

    fn caps(&self, action: &str, region: Region) -> Cap {
        match self {
            Boundary::None | Boundary::Opaque(_) => Cap::Allows { conditional: false },
            Boundary::Managed(p) => match p.allows(action) {
                Allowance::No => Cap::Blocks,
                Allowance::AnyResource => Cap::Allows { conditional: false },
                Allowance::AnyResourceConditional => Cap::Allows { conditional: true },
                Allowance::SpecificResources if region.allow.is_none() && region.rule.is_none() => {
                    Cap::Allows { conditional: false }
                }
                Allowance::SpecificResources => Cap::Unknown(format!(
                    "the permissions boundary {} allows {action} only on resources the catalog does not keep",
                    p.name
                )),
            },
            Boundary::Code(doc) => {
                let denied = doc
                    .statements
                    .iter()
                    .any(|d| certainly_denies(d, action, region));
                if denied {
                    return Cap::Blocks;
                }
                let allow = doc.statements.iter().find(|st| {
                    st.is_allow() && code_covers(st, action).is_some() && reaches(st, region)
                });
                match allow {
                    Some(st) => Cap::Allows {
                        conditional: conditional(st),
                    },
                    None => Cap::Blocks,
                }
            }
        }
    }
}

/// True when a boundary statement's resources may overlap the region.
fn reaches(st: &Statement, region: Region) -> bool {
    let Some(r) = &st.resource else {
        // NotResource: everything but a few resources.
        return st.not_resource.is_some();
    };
    r.items.iter().any(|i| match i.get() {
        None => true,
        Some(b) => {
            region.allow.is_none_or(|a| overlaps(b, a))
                && region.rule.is_none_or(|x| overlaps(b, x))
        }
    })
}

fn conditional(st: &Statement) -> bool {
    !st.conditions.is_empty() || st.condition_unknown.is_some()
}

/// True when a Deny statement certainly takes `action` away in the whole region: it has no
/// condition, its Action covers the action, and one of its Resource patterns contains the
/// statement's pattern or the rule's.
fn certainly_denies(d: &Statement, action: &str, region: Region) -> bool {
    if d.effect != Some(Effect::Deny) || conditional(d) || code_covers(d, action).is_none() {
        return false;
    }
    let Some(res) = &d.resource else {
        return false;
    };
    res.items.iter().filter_map(|i| i.get()).any(|p| {
        all_stars(p)
            || region.allow.is_some_and(|a| contains(p, a))
            || region.rule.is_some_and(|r| contains(p, r))
    })
}

/// One action of the rule that a place grants, with the statement pattern that grants it.
struct Match {
    action: String,
    pattern: String,
    span: Span,
}

/// The rule's patterns matched against statement action patterns through the catalog. The
/// matches are produced lazily: a rule asking `*` stops at the first actions that take effect.
#[derive(Clone, Copy)]
struct Actions<'q> {
    patterns: &'q [String],
}

/// Lazily produced action names.
type Names<'s> = Box<dyn Iterator<Item = String> + 's>;

fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

fn all_stars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'*')
}

/// The catalog's spelling of a concrete action, or the action as written when the catalog
/// does not list it (a new action).
fn canonical(action: &str) -> String {
    actions::lookup(action).map_or_else(|| action.to_string(), |a| a.full())
}

fn literal_service(pattern: &str) -> bool {
    pattern
        .split_once(':')
        .is_some_and(|(s, _)| !has_wildcard(s))
}

fn any_pattern(_: &str) -> bool {
    true
}

/// A rule pattern that names one service (`s3:Delete*`) or one action.
fn one_service(r: &str) -> bool {
    !has_wildcard(r) || literal_service(r)
}

fn every_service(r: &str) -> bool {
    !one_service(r)
}

/// False when both patterns name a literal service and the services differ.
fn same_service(a: &str, b: &str) -> bool {
    match (a.split_once(':'), b.split_once(':')) {
        (Some((x, _)), Some((y, _))) if !has_wildcard(x) && !has_wildcard(y) => {
            x.eq_ignore_ascii_case(y)
        }
        _ => true,
    }
}

impl<'q> Actions<'q> {
    /// The concrete actions that the rule's patterns and the statement pattern `p` both match.
    fn both<'s>(self, p: &'s str, only: fn(&str) -> bool) -> Names<'s>
    where
        'q: 's,
    {
        Box::new(
            self.patterns
                .iter()
                .filter(move |r| only(r))
                .flat_map(move |r| -> Names<'s> {
                    if !has_wildcard(r) {
                        Box::new(wildcard_match(p, r).then(|| canonical(r)).into_iter())
                    } else if !has_wildcard(p) {
                        Box::new(wildcard_match(r, p).then(|| canonical(p)).into_iter())
                    } else if !same_service(r, p) {
                        Box::new(std::iter::empty())
                    } else {
                        // Walk the catalog of the narrower pattern: a literal service prefix scans one
                        // service (a rule asking `*` against ReadOnlyAccess's thousand patterns).
                        let (walk, other): (&str, &'s str) =
                            if literal_service(r) || !literal_service(p) {
                                (r, p)
                            } else {
                                (p, r)
                            };
                        Box::new(
                            actions::iter_matches(walk)
                                .map(|a| a.full())
                                .filter(move |a| wildcard_match(other, a)),
                        )
                    }
                }),
        )
    }

    /// The concrete actions of the rule's patterns that `keep` accepts.
    fn every<'s>(self, keep: &'s (dyn Fn(&str) -> bool + 's), only: fn(&str) -> bool) -> Names<'s>
    where
        'q: 's,
    {
        Box::new(
            self.patterns
                .iter()
                .filter(move |r| only(r))
                .flat_map(move |r| -> Names<'s> {
                    if has_wildcard(r) {
                        Box::new(
                            actions::iter_matches(r)
                                .map(|a| a.full())
                                .filter(move |a| keep(a)),
                        )
                    } else {
                        Box::new(keep(r).then(|| canonical(r)).into_iter())
                    }
                }),
        )
    }
}

/// Where a statement sits, for messages: `statement `S3All` of aws_iam_role_policy.p`.
fn statement_name(policy: &AttachedPolicy, st: &Statement) -> String {
    let sid = st
        .sid
        .as_ref()
        .and_then(|s| s.get())
        .filter(|s| !s.is_empty())
        .map_or_else(|| "a statement".to_string(), |s| format!("statement `{s}`"));
    let policy_name = policy.name.as_ref().and_then(|n| n.get());
    let of = match (policy.is_inline(), policy_name) {
        (false, _) => policy.origin.clone(),
        (true, Some(n)) => format!("inline policy `{n}`"),
        (true, None) => "an inline policy".to_string(),
    };
    format!("{sid} of {of}")
}

/// At most this many granted actions are gathered for one place (a rule asking `*` against
/// a statement `*` would otherwise list the whole catalog).
const MAX_MATCHES: usize = 200;

/// The actions a place grants, in catalog order; `truncated` when there were more than
/// [`MAX_MATCHES`].
#[derive(Default)]
struct Found {
    matches: Vec<Match>,
    truncated: bool,
}

/// The `{action}` text of a place's matches: up to five actions, and the patterns that grant
/// them when they differ from the actions.
fn action_text(found: &Found) -> String {
    let mut text = action_names(found);
    let mut seen = std::collections::HashSet::new();
    let by: Vec<String> = found
        .matches
        .iter()
        .filter(|m| !m.pattern.eq_ignore_ascii_case(&m.action))
        .map(|m| m.pattern.as_str())
        .filter(|p| seen.insert(*p))
        .map(|p| {
            if p == "NotAction" {
                p.to_string()
            } else {
                format!("`{p}`")
            }
        })
        .collect();
    if !by.is_empty() {
        text.push_str(&format!(" (granted by {})", by.join(", ")));
    }
    text
}

/// Up to five action names of a place's matches, and how many more.
fn action_names(found: &Found) -> String {
    const SHOWN: usize = 5;
    let mut seen = std::collections::HashSet::new();
    let names: Vec<&str> = found
        .matches
        .iter()
        .map(|m| m.action.as_str())
        .filter(|a| seen.insert(*a))
        .collect();
    let mut text = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = names.len().saturating_sub(SHOWN);
    if found.truncated {
        text.push_str(&format!(" and at least {more} more"));
    } else if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Collects reasons why the answer may be incomplete.
#[derive(Default)]
struct Unknowns(Vec<String>);

impl Unknowns {
    fn add(&mut self, why: String) {
        if !self.0.contains(&why) {
            self.0.push(why);
        }
    }

    fn sentence(self) -> String {
        const SHOWN: usize = 3;
        let more = self.0.len().saturating_sub(SHOWN);
        let mut s = self
            .0
            .into_iter()
            .take(SHOWN)
            .collect::<Vec<_>>()
            .join("; ");
        if more > 0 {
            s.push_str(&format!("; and {more} more unknown parts"));
        }
        s
    }
}

/// The evaluation of one query over one role.
struct Eval<'a> {
    role: &'a Role,
    query: &'a Query<'a>,
    actions: Actions<'a>,
    denies: Vec<&'a Statement>,
    managed_denies: Vec<&'static ManagedPolicy>,
    boundary: Boundary<'a>,
    unknown: Unknowns,
}

impl<'a> Eval<'a> {
    /// The regions where a Resource / NotResource pair reaches the rule's resources.
    fn regions(&mut self, st: &'a Statement, place: &str) -> Vec<Region<'a>> {
        let mut out = Vec::new();
        let rule: Vec<Option<&'a str>> = match self.query.resources {
            None => vec![None],
            Some(rs) => rs.iter().map(|r| Some(r.as_str())).collect(),
        };
        if let Some(res) = &st.resource {
            for item in &res.items {
                let Some(p) = item.get() else {
                    if let Some(u) = item.unknown() {
                        self.unknown.add(format!(
                            "the Resource `{}` of {place} is unknown ({})",
                            item.render(),
                            u.reason
                        ));
                    }
                    continue;
                };
                for r in &rule {
                    match r {
                        None => out.push(Region {
                            allow: (!all_stars(p)).then_some(p),
                            rule: None,
                        }),
                        Some(r) if overlaps(p, r) => out.push(Region {
                            allow: (!all_stars(p)).then_some(p),
                            rule: Some(r),
                        }),
                        Some(_) => {}
                    }
                }
            }
        } else if let Some(not) = &st.not_resource {
            for r in &rule {
                let excluded = not.items.iter().filter_map(|i| i.get()).any(|e| match r {
                    None => all_stars(e),
                    Some(r) => contains(e, r),
                });
                if excluded {
                    continue;
                }
                if let Some(u) = not.items.iter().find_map(|i| i.unknown())
                    && r.is_some()
                {
                    self.unknown.add(format!(
                        "the NotResource of {place} has an unknown value ({})",
                        u.reason
                    ));
                    continue;
                }
                out.push(Region {
                    allow: None,
                    rule: *r,
                });
            }
        }
        out
    }

    /// True when no certain Deny takes `action` away in the region.
    fn not_denied(&self, action: &str, region: Region) -> bool {
        !self
            .denies
            .iter()
            .any(|d| certainly_denies(d, action, region))
            && !self.managed_denies.iter().any(|p| {
                p.statements.iter().any(|s| {
                    s.effect == managed::Effect::Deny
                        && s.resource == ResourceScope::Any
                        && !s.conditional
                        && s.covers_action(action)
                })
            })
    }

    /// Adds to `found` the actions of `candidates` that take effect in one of `regions`: not
    /// denied, and let through by the boundary; at most [`MAX_MATCHES`] in all. Returns the
    /// region of the first and whether a boundary condition applies to it.
    fn effective(
        &mut self,
        candidates: impl Iterator<Item = (String, String, Span)>,
        regions: &[Region<'a>],
        found: &mut Found,
    ) -> (Option<Region<'a>>, bool) {
        let mut first = None;
        let mut cond = false;
        for (action, pattern, span) in candidates {
            if found.matches.len() >= MAX_MATCHES {
                found.truncated = true;
                break;
            }
            for region in regions {
                if !self.not_denied(&action, *region) {
                    continue;
                }
                match self.boundary.caps(&action, *region) {
                    Cap::Blocks => continue,
                    Cap::Unknown(why) => {
                        self.unknown.add(why);
                        continue;
                    }
                    Cap::Allows { conditional } => {
                        if first.is_none() {
                            first = Some(*region);
                            cond = conditional;
                        }
                        found.matches.push(Match {
                            action,
                            pattern,
                            span,
                        });
                        break;
                    }
                }
            }
        }
        (first, cond)
    }

    fn code_statement(&mut self, policy: &'a AttachedPolicy, st: &'a Statement) -> Option<Granted> {
        if st.effect == Some(Effect::Deny) {
            return None;
        }
        let place = statement_name(policy, st);
        let actions = self.actions;
        // The actions of the rule the statement's Action (or NotAction) covers.
        let excluded: Vec<&str> = st
            .not_action
            .iter()
            .flat_map(|na| na.items.iter().filter_map(|i| i.get()))
            .collect();
        let keep = |a: &str| !excluded.iter().any(|e| wildcard_match(e, a));
        let mut candidates: std::iter::Peekable<Box<dyn Iterator<Item = (String, String, Span)>>> =
            match (&st.action, &st.not_action) {
                (Some(a), _) => {
                    let unknown = a.items.iter().find_map(|i| i.unknown().map(|u| (i, u)));
                    if let Some((item, u)) = unknown {
                        self.unknown.add(format!(
                            "the action `{}` of {place} is unknown ({})",
                            item.render(),
                            u.reason
                        ));
                    }
                    let it: Box<dyn Iterator<Item = (String, String, Span)>> =
                        Box::new(a.items.iter().flat_map(move |i| {
                            let span = i.span;
                            i.get().into_iter().flat_map(move |p| {
                                actions
                                    .both(p, any_pattern)
                                    .map(move |n| (n, p.to_string(), span))
                            })
                        }));
                    it.peekable()
                }
                (None, Some(na)) => {
                    let span = na.key_span;
                    let it: Box<dyn Iterator<Item = (String, String, Span)>> = Box::new(
                        actions
                            .every(&keep, any_pattern)
                            .map(move |n| (n, "NotAction".to_string(), span)),
                    );
                    let mut it = it.peekable();
                    if let Some(u) = na.items.iter().find_map(|i| i.unknown()) {
                        if it.peek().is_some() {
                            self.unknown.add(format!(
                                "the NotAction of {place} has an unknown value ({})",
                                u.reason
                            ));
                        }
                        return None;
                    }
                    it
                }
                (None, None) => return None,
            };
        // Nothing of the rule's actions: the statement does not matter.
        candidates.peek()?;
        if st.effect.is_none() {
            if let Some(u) = &st.effect_unknown {
                self.unknown
                    .add(format!("the Effect of {place} is unknown ({})", u.reason));
            }
            return None;
        }
        let regions = self.regions(st, &place);
        if regions.is_empty() {
            return None;
        }
        let mut found = Found::default();
        let (region, boundary_cond) = self.effective(candidates, &regions, &mut found);
        let (first, region) = (found.matches.first()?, region?);
        let cond = conditional(st) || boundary_cond;
        let names = action_names(&found);
        let under = if cond { " under conditions" } else { "" };
        let on = match (&st.resource, region.rule) {
            (None, None) => "on every resource but its NotResource".to_string(),
            _ => region.describe(),
        };
        Some(Granted {
            detail: format!("{place} allows {names} {on}{under}"),
            span: first.span,
            label: format!("allows {names}{under}"),
            action: action_text(&found),
            notes: Vec::new(),
        })
    }

    fn managed_policy(
        &mut self,
        r: &'a crate::iam::model::ManagedPolicyRef,
        p: &'static ManagedPolicy,
    ) -> Option<Granted> {
        let mut found = Found::default();
        let mut cond = false;
        let actions = self.actions;
        let span = r.arn.span;
        for s in p
            .statements
            .iter()
            .filter(|s| s.effect == managed::Effect::Allow)
        {
            // Each action with the statement pattern that grants it.
            let keep = |a: &str| s.covers_action(a);
            let it: Box<dyn Iterator<Item = (String, String, Span)>> = if s.not_action {
                Box::new(
                    actions
                        .every(&keep, any_pattern)
                        .map(move |n| (n, "NotAction".to_string(), span)),
                )
            } else {
                // A rule pattern of one service expands to a few actions, each looked up in the
                // statement (its patterns are sorted by service); a pattern of every service
                // (`*`) is matched against the statement's patterns instead.
                let pattern_of = move |n: &str| {
                    s.actions
                        .iter()
                        .find(|x| wildcard_match(x, n))
                        .cloned()
                        .unwrap_or_else(|| n.to_string())
                };
                let narrow = actions
                    .every(&keep, one_service)
                    .map(move |n| (pattern_of(&n), n))
                    .map(move |(pat, n)| (n, pat, span));
                let broad = s.actions.iter().flat_map(move |pat| {
                    actions
                        .both(pat, every_service)
                        .map(move |n| (n, pat.clone(), span))
                });
                Box::new(narrow.chain(broad))
            };
            let mut candidates = it.peekable();
            let Some((first_name, _, _)) = candidates.peek() else {
                continue;
            };
            let regions: Vec<Region> = match (s.resource, self.query.resources) {
                (ResourceScope::Specific, Some(_)) => {
                    self.unknown.add(format!(
                        "AWS managed policy {} allows {first_name} only on resources the catalog does not keep",
                        p.name
                    ));
                    continue;
                }
                (_, None) => vec![Region {
                    allow: None,
                    rule: None,
                }],
                (_, Some(rs)) => rs
                    .iter()
                    .map(|x| Region {
                        allow: None,
                        rule: Some(x.as_str()),
                    })
                    .collect(),
            };
            let before = found.matches.len();
            let (_, boundary_cond) = self.effective(candidates, &regions, &mut found);
            if found.matches.len() > before {
                cond |= s.conditional || boundary_cond || s.resource == ResourceScope::Specific;
            }
            if found.truncated {
                break;
            }
        }
        if found.matches.is_empty() {
            return None;
        }
        // The same action from two statements is named once.
        let mut seen = std::collections::HashSet::new();
        found.matches.retain(|m| seen.insert(m.action.clone()));
        let names = action_names(&found);
        let under = if cond { " under conditions" } else { "" };
        let scope = match self.query.resources.and_then(|r| r.first()) {
            Some(x) => format!("on `{x}`"),
            None => "on all resources".to_string(),
        };
        Some(Granted {
            detail: format!(
                "AWS managed policy {} allows {names} {scope}{under}",
                p.name
            ),
            span,
            label: format!("AWS managed policy {} allows {names}{under}", p.name),
            action: action_text(&found),
            notes: Vec::new(),
        })
    }
}

/// `can`: the first statement or AWS managed policy of the role that grants one of the query's
/// actions on one of its resources, after unconditional Deny statements and within the
/// permissions boundary. Parts that are unknown make it undecided, unless a known grant holds.
pub fn can<'a>(role: &'a Role, query: &'a Query<'a>) -> Decision<Granted> {
    let mut denies: Vec<&Statement> = Vec::new();
    for (_, doc) in role.permission_documents() {
        denies.extend(
            doc.statements
                .iter()
                .filter(|s| s.effect == Some(Effect::Deny)),
        );
    }
    let mut managed: Vec<(&crate::iam::model::ManagedPolicyRef, &'static ManagedPolicy)> =
        Vec::new();
    let mut unknown = Unknowns::default();
    for r in &role.managed_policies {
        match r.arn.get() {
            None => unknown.add(format!(
                "the managed policy ARN `{}` is unknown ({})",
                r.arn.render(),
                r.arn.unknown().map_or("", |u| u.reason.as_str())
            )),
            Some(arn) => match managed::lookup(arn) {
                Some(p) => managed.push((r, p)),
                None if arn.contains(":iam::aws:policy/") => unknown.add(format!(
                    "`{arn}` is not an AWS managed policy iamlint knows"
                )),
                None => unknown.add(format!(
                    "the customer managed policy `{arn}` is not defined in the code"
                )),
            },
        }
    }
    for p in &role.inline_policies {
        match &p.document {
            None => {
                let what = p.unknown.as_ref().map_or_else(
                    || "its document could not be read".to_string(),
                    |(_, u)| format!("`{}` is unknown ({})", u.expr, u.reason),
                );
                unknown.add(format!("the policy {}: {what}", policy_label(p)));
            }
            Some(doc) => {
                if let Some((_, u)) = doc.unknowns.first() {
                    unknown.add(format!(
                        "part of the policy {} is unknown (`{}`: {})",
                        policy_label(p),
                        u.expr,
                        u.reason
                    ));
                }
            }
        }
    }
    let mut eval = Eval {
        role,
        query,
        actions: Actions {
            patterns: query.actions,
        },
        denies,
        managed_denies: managed
            .iter()
            .map(|(_, p)| *p)
            .filter(|p| {
                p.statements.iter().any(|s| {
                    s.effect == managed::Effect::Deny
                        && s.resource == ResourceScope::Any
                        && !s.conditional
                })
            })
            .collect(),
        boundary: Boundary::of(role),
        unknown,
    };
    let mut granted = None;
    'outer: for (policy, doc) in eval.role.permission_documents() {
        for st in &doc.statements {
            if let Some(g) = eval.code_statement(policy, st) {
                granted = Some(g);
                break 'outer;
            }
        }
    }
    if granted.is_none() {
        for (r, p) in managed {
            if let Some(g) = eval.managed_policy(r, p) {
                granted = Some(g);
                break;
            }
        }
    }
    match granted {
        Some(mut g) => {
            if let Boundary::Opaque(why) = &eval.boundary {
                g.notes.push(why.clone());
            }
            Decision::Holds(g)
        }
        None if eval.unknown.0.is_empty() => Decision::Fails,
        None => Decision::Undecided(eval.unknown.sentence()),
    }
}

fn policy_label(p: &AttachedPolicy) -> String {
    if p.is_inline() {
        match p.name.as_ref().and_then(|n| n.get()) {
            Some(n) => format!("`{n}`"),
            None => "inline".to_string(),
        }
    } else {
        p.origin.clone()
    }
}

/// `has_boundary`: whether the role has a permissions boundary. An unknown ARN still is a
/// boundary; a boundary that is null only because a root module variable keeps its default
/// (the extraction records it as an unknown that names that default) may be set by the
/// module's callers, and is undecided.
pub fn has_boundary(role: &Role) -> Decision<()> {
    let Some(b) = &role.permissions_boundary else {
        return Decision::Fails;
    };
    match &b.value {
        Ok(s) if s.trim().is_empty() => Decision::Fails,
        Ok(_) => Decision::Holds(()),
        Err(u) => match crate::source::terraform::default_variable(&u.reason) {
            Some(var) => Decision::Undecided(format!(
                "the permissions boundary is `{}`, null unless the callers of this module set {var}",
                u.expr
            )),
            None => Decision::Holds(()),
        },
    }
}

/// AWS's default maximum session duration of a role, in seconds.
pub const DEFAULT_MAX_SESSION: u64 = 3600;

/// `max_session_duration_over`: whether the role's MaxSessionDuration (3600 seconds when
/// absent) is over `limit`, with the duration.
pub fn max_session_over(role: &Role, limit: u64) -> Decision<u64> {
    let secs = match &role.max_session_duration {
        None => DEFAULT_MAX_SESSION,
        Some(s) => match &s.value {
            Ok(v) => match v.trim().parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => n as u64,
                _ => {
                    return Decision::Undecided(format!(
                        "the maximum session duration `{v}` is not a number of seconds"
                    ));
                }
            },
            Err(u) => {
                return Decision::Undecided(format!(
                    "the maximum session duration is `{}`, unknown ({})",
                    u.expr, u.reason
                ));
            }
        },
    };
    if secs > limit {
        Decision::Holds(secs)
    } else {
        Decision::Fails
    }
}

/// Whether two resource patterns (`*` any run, `?` one character, case-sensitive as IAM
/// compares ARNs) match some common resource. A policy variable (`${aws:username}`) is taken
/// as `*`.
pub fn overlaps(a: &str, b: &str) -> bool {
    let a = glob_symbols(a);
    let b = glob_symbols(b);
    // Patterns longer than any ARN: do not spend quadratic time, say they may overlap.
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return true;
    }
    // ok[i][j]: a[i..] and b[j..] match a common string.
    let (n, m) = (a.len(), b.len());
    let mut ok = vec![vec![false; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            ok[i][j] = match (a.get(i), b.get(j)) {
                (None, None) => true,
                (Some(Sym::Star), _) => ok[i + 1][j] || (j < m && ok[i][j + 1]),
                (_, Some(Sym::Star)) => ok[i][j + 1] || (i < n && ok[i + 1][j]),
                (Some(x), Some(y)) => x.compatible(*y) && ok[i + 1][j + 1],
                _ => false,
            };
        }
    }
    ok[0][0]
}

/// Whether every resource that pattern `inner` matches is matched by `outer` (sound, not
/// complete: when unsure, it says no, so a Deny is subtracted only when it certainly covers).
pub fn contains(outer: &str, inner: &str) -> bool {
    if all_stars(outer) {
        return true;
    }
    let o = glob_symbols(outer);
    let i = glob_symbols(inner);
    if o.len().saturating_mul(i.len()) > 4_000_000 {
        return false;
    }
    // Match `outer` against `inner` read as symbols: a literal of `outer` matches the same
    // literal, `?` any one symbol but a `*`, and `*` any run of symbols.
    let (n, m) = (o.len(), i.len());
    let mut ok = vec![vec![false; m + 1]; n + 1];
    for a in (0..=n).rev() {
        for b in (0..=m).rev() {
            ok[a][b] = match o.get(a) {
                None => b == m,
                Some(Sym::Star) => ok[a + 1][b] || (b < m && ok[a][b + 1]),
                Some(Sym::One) => {
                    matches!(i.get(b), Some(Sym::Lit(_) | Sym::One)) && ok[a + 1][b + 1]
                }
                Some(Sym::Lit(c)) => i.get(b) == Some(&Sym::Lit(*c)) && ok[a + 1][b + 1],
            };
        }
    }
    ok[0][0]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sym {
    Lit(char),
    One,
    Star,
}

impl Sym {
    fn compatible(self, other: Sym) -> bool {
        match (self, other) {
            (Sym::Lit(a), Sym::Lit(b)) => a == b,
            _ => true,
        }
    }
}

/// A resource pattern as symbols; `${...}` policy variables become `*`.
fn glob_symbols(p: &str) -> Vec<Sym> {
    let mut out = Vec::with_capacity(p.len());
    let mut rest = p;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("${")
            && let Some(end) = rest.find('}')
        {
            out.push(Sym::Star);
            rest = &rest[end + 1..];
            continue;
        }
        out.push(match c {
            '*' => Sym::Star,
            '?' => Sym::One,
            c => Sym::Lit(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_overlap_when_some_resource_matches_both() {
        for (a, b) in [
            ("*", "arn:aws:s3:::x"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::prod-logs"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::*-logs"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::pr?d-*"),
            ("a*b", "*ab*"),
            ("x*", "*y"),
            ("a?c", "ab*"),
            ("", ""),
            ("*", ""),
            ("arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::alice/x"),
        ] {
            assert!(overlaps(a, b), "{a} {b}");
            assert!(overlaps(b, a), "{b} {a}");
        }
        for (a, b) in [
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::dev-*"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::prod"),
            ("a?", "a"),
            ("a?c", "a??c"),
            ("*a", "*b"),
            ("a*", "b*"),
            // ARNs are case-sensitive.
            ("arn:aws:s3:::Prod", "arn:aws:s3:::prod"),
            ("?", ""),
        ] {
            assert!(!overlaps(a, b), "{a} {b}");
            assert!(!overlaps(b, a), "{b} {a}");
        }
    }

    #[test]
    fn containment_is_sound() {
        for (outer, inner) in [
            ("*", "anything*"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::prod-logs"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::prod-*/x"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::prod-?"),
            ("a?c", "abc"),
            ("a*", "a*b*"),
        ] {
            assert!(contains(outer, inner), "{outer} {inner}");
        }
        for (outer, inner) in [
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::*"),
            ("a?", "a*"),
            ("a?c", "a*c"),
            ("abc", "a?c"),
            ("arn:aws:s3:::prod-*", "arn:aws:s3:::dev-x"),
            ("*b", "a*"),
        ] {
            assert!(!contains(outer, inner), "{outer} {inner}");
        }
    }

    #[test]
    fn action_text_names_the_granting_pattern() {
        let span = Span::default();
        let m = |a: &str, p: &str| Match {
            action: a.into(),
            pattern: p.into(),
            span,
        };
        let found = |matches: Vec<Match>, truncated| Found { matches, truncated };
        assert_eq!(
            action_text(&found(vec![m("s3:DeleteBucket", "s3:*")], false)),
            "s3:DeleteBucket (granted by `s3:*`)"
        );
        assert_eq!(
            action_text(&found(vec![m("s3:DeleteBucket", "s3:deletebucket")], false)),
            "s3:DeleteBucket"
        );
        let many = || {
            (0..7)
                .map(|i| m(&format!("s3:A{i}"), "NotAction"))
                .collect()
        };
        assert_eq!(
            action_text(&found(many(), false)),
            "s3:A0, s3:A1, s3:A2, s3:A3, s3:A4 and 2 more (granted by NotAction)"
        );
        assert_eq!(
            action_names(&found(many(), true)),
            "s3:A0, s3:A1, s3:A2, s3:A3, s3:A4 and at least 2 more"
        );
    }
}
