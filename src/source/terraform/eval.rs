//! The expression evaluator: walks hcl-edit expressions (and Terraform JSON values) of one module
//! instance and produces [`Val`] trees with spans. Literals keep the span where they were written;
//! computed values get the span of the expression that produced them. What cannot be known
//! offline is an [`Unknown`](crate::value::Unknown) carrying the expression text and the reason,
//! and unknowns inside lists and maps keep their known neighbours. Hostile input is bounded: a
//! nesting depth limit, an evaluation step budget, and caps on list and string sizes.
//!
//! References: `var.*`, `local.*` (lazily, in dependency order, with cycle detection),
//! `each.*`, `count.index`, for-expression and dynamic-block iterators, `path.*`, `data.*`,
//! resources of the module (`aws_iam_role.x.arn` ...), and `module.x.output`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use hcl::edit::Span as _;
use hcl::edit::expr::{BinaryOperator, Expression, TraversalOperator, UnaryOperator};
use hcl::edit::template::{Directive, Element, Template};

use crate::iam::model::RoleState;
use crate::source::{Context, Notice, SourceError};
use crate::span::{FileId, SourceFile, Span};
use crate::value::{Key, Piece, Unknown, Val, ValKind};

use super::module::ModuleCache;
use super::parse::{Body, Expr, JNode, ModuleCall, ModuleDef, Resource, span_of};
use super::strmap::StrMap;

/// Deepest expression nesting evaluated.
pub const MAX_DEPTH: usize = 96;
/// Largest list or map built.
pub const MAX_ITEMS: usize = 10_000;
/// Longest string built.
pub const MAX_STR: usize = 1 << 20;
/// `count` and `for_each` instances (of resources and module calls) expanded in one run, all
/// root modules together: a bound on nested expansions (`count = 10000` in a module called with
/// `count = 10000`). Past it, the expansion that does not fit is an error at its expression and
/// gives no instances.
pub const MAX_INSTANCES: usize = 25_000;

/// What is left of [`MAX_INSTANCES`] in a run; shared by the threads of the root modules.
pub struct InstanceBudget(std::sync::atomic::AtomicUsize);

impl Default for InstanceBudget {
    fn default() -> InstanceBudget {
        InstanceBudget(std::sync::atomic::AtomicUsize::new(MAX_INSTANCES))
    }
}

impl InstanceBudget {
    /// Takes `n` instances; false (taking nothing) when fewer are left.
    pub fn take(&self, n: usize) -> bool {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }
}

/// Evaluation steps per root module (a bound on hostile for-expressions).
pub const STEP_BUDGET: u64 = 1_000_000;
/// Prefix of the reason of an unknown that stands for an evaluation error (`try` skips these).
pub const ERR: &str = "invalid: ";

/// State shared by every module instance of one root evaluation (single-threaded).
pub struct Shared<'c> {
    pub ctx: &'c Context<'c>,
    pub cache: &'c ModuleCache,
    /// The root module directory: relative `file()` paths and `.terraform/modules` are here.
    pub top_dir: PathBuf,
    pub errors: RefCell<Vec<SourceError>>,
    pub notices: RefCell<Vec<Notice>>,
    pub load_failures: RefCell<Vec<crate::source::LoadFailure>>,
    /// JSON text produced by jsonencode / policy documents → the structured value with spans.
    pub json_vals: RefCell<HashMap<String, Val>>,
    /// Byte maps of template strings, by the span of the template.
    pub str_maps: RefCell<HashMap<Span, Rc<StrMap>>>,
    pub files: RefCell<HashMap<FileId, Arc<SourceFile>>>,
    pub templates: RefCell<HashMap<FileId, Option<Rc<Template>>>>,
    pub regexes: RefCell<HashMap<String, Option<Rc<regex::Regex>>>>,
    pub modules_json: Option<HashMap<String, PathBuf>>,
    /// While a policy attribute is evaluated a second time (see
    /// [`Instance::eval_policy_attr`]), the unknowns that string templates met, by marker
    /// number; `None` otherwise.
    pub markers: RefCell<Option<Vec<Unknown>>>,
    /// The root module's variable files that were read (tfvars, `--var-file`): provenance of
    /// every role of this root.
    pub input_files: RefCell<Vec<FileId>>,
    /// Every unknown a marker stands for, by marker number.
    pub marked: RefCell<Vec<Unknown>>,
    /// While a string template is evaluated outside marker collection, its unknown
    /// interpolations with their byte offsets in the text, so that the string keeps its known
    /// parts ([`Unknown::partial`]).
    holes: RefCell<Option<Vec<(usize, Unknown)>>>,
    depth: Cell<usize>,
    steps: Cell<u64>,
}

impl<'c> Shared<'c> {
    pub fn new(ctx: &'c Context<'c>, cache: &'c ModuleCache, top_dir: PathBuf) -> Shared<'c> {
        let mut failures = Vec::new();
        let modules_json = super::module::read_modules_json(ctx, &top_dir, &mut failures);
        Shared {
            ctx,
            cache,
            top_dir,
            errors: RefCell::default(),
            notices: RefCell::default(),
            load_failures: RefCell::new(failures),
            json_vals: RefCell::default(),
            str_maps: RefCell::default(),
            files: RefCell::default(),
            templates: RefCell::default(),
            regexes: RefCell::default(),
            modules_json,
            markers: RefCell::default(),
            input_files: RefCell::default(),
            marked: RefCell::default(),
            holes: RefCell::default(),
            depth: Cell::new(0),
            steps: Cell::new(STEP_BUDGET),
        }
    }

    pub fn file(&self, id: FileId) -> Option<Arc<SourceFile>> {
        if let Some(f) = self.files.borrow().get(&id) {
            return Some(f.clone());
        }
        let f = self.ctx.sources.get(id)?;
        self.files.borrow_mut().insert(id, f.clone());
        Some(f)
    }

    /// The source text of a span, shortened for messages.
    pub fn text(&self, span: Span) -> String {
        let s = self
            .file(span.file)
            .map(|f| f.slice(span).to_string())
            .unwrap_or_default();
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.len() > 160 {
            let mut end = 157;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", &s[..end])
        } else {
            s
        }
    }

    pub fn error(&self, e: SourceError) {
        let mut errs = self.errors.borrow_mut();
        if !errs.contains(&e) {
            errs.push(e);
        }
    }

    pub fn regex(&self, pattern: &str) -> Option<Rc<regex::Regex>> {
        if let Some(r) = self.regexes.borrow().get(pattern) {
            return r.clone();
        }
        let r = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .ok()
            .map(Rc::new);
        self.regexes
            .borrow_mut()
            .insert(pattern.to_string(), r.clone());
        r
    }

    /// Takes one evaluation step; false when the budget is spent.
    fn step(&self) -> bool {
        let s = self.steps.get();
        if s == 0 {
            return false;
        }
        self.steps.set(s - 1);
        true
    }
}

/// Variables bound while evaluating: `each`, `count`, for-expression and iterator names.
pub struct Scope<'s> {
    parent: Option<&'s Scope<'s>>,
    name: &'s str,
    val: Option<Val>,
}

impl<'s> Scope<'s> {
    pub fn empty() -> Scope<'static> {
        Scope {
            parent: None,
            name: "",
            val: None,
        }
    }

    pub fn with(&'s self, name: &'s str, val: Val) -> Scope<'s> {
        Scope {
            parent: Some(self),
            name,
            val: Some(val),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Val> {
        let mut s = Some(self);
        while let Some(sc) = s {
            if sc.name == name
                && let Some(v) = &sc.val
            {
                return Some(v);
            }
            s = sc.parent;
        }
        None
    }
}

/// The key of one instance of a resource or module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstKey {
    None,
    Int(usize),
    Str(String),
}

impl InstKey {
    pub fn suffix(&self) -> String {
        match self {
            InstKey::None => String::new(),
            InstKey::Int(i) => format!("[{i}]"),
            InstKey::Str(s) => format!("[{}]", quote(s)),
        }
    }
}

/// A JSON-quoted string, as Terraform writes instance keys.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// How many instances a resource or module call has.
#[derive(Clone)]
pub enum Expansion {
    Single,
    /// `count` or `for_each` instances with the value bound to `count` / `each`.
    Many(Vec<(InstKey, Val)>),
    /// The collection is unknown: checked once as a template.
    Unknown(Val),
    /// `count` is 0 or `for_each` is empty: no instance. The value is bound to `count` /
    /// `each` (unknown) when the resource is still read as a template, to be listed.
    Off(Val, Off),
}

/// The state of something inside a module instance in state `outer`: not created if either
/// is, else a template if either is (the outer reason first), else checked.
pub fn combine_state(outer: &RoleState, own: RoleState) -> RoleState {
    match (outer, own) {
        (RoleState::NotCreated(r), _) => RoleState::NotCreated(r.clone()),
        (_, own @ RoleState::NotCreated(_)) => own,
        (RoleState::Template(r), _) => RoleState::Template(r.clone()),
        (_, own) => own,
    }
}

/// Why a resource or module call has no instance.
#[derive(Clone, Debug)]
pub struct Off {
    /// `not created with the default values: count = 0 from var.enable_ci_role`.
    pub reason: String,
    /// Only a variable default switches it off (a value the user supplied would not): it is
    /// checked as a template. Otherwise it is listed as not created.
    pub by_default: bool,
}

/// The reason of an unknown that stands for a variable's default in a probe instance (see
/// [`Instance::probe`]), followed by the variable's address.
pub const DEFAULT_MARK: &str = "the default of ";

/// An object constructor's items with each key once: where a key is written twice, the later
/// item wins, as in Terraform.
fn later_wins(entries: Vec<(Key, Val)>) -> Vec<(Key, Val)> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    for (i, (k, _)) in entries.iter().enumerate() {
        last.insert(k.name.as_str(), i);
    }
    if last.len() == entries.len() {
        return entries;
    }
    let keep: std::collections::HashSet<usize> = last.into_values().collect();
    entries
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, e)| e)
        .collect()
}

/// The hidden key that marks an object as a nested block of a resource (beside
/// `__resource__`, which holds the block's address).
pub const BLOCK_MARK: &str = "__block__";

/// Whether an object key is one of the hidden ones iamlint adds to resource objects.
pub fn is_hidden_key(name: &str) -> bool {
    name == "__resource__" || name == BLOCK_MARK
}

/// The variable (`var.x`, `module.m.var.x`) whose default an unknown's reason names, when the
/// unknown comes from a default in a probe instance.
pub fn default_variable(reason: &str) -> Option<String> {
    let (_, rest) = reason.split_once(DEFAULT_MARK)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | ',' | ';' | ':'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

impl Expansion {
    /// Each instance with the scope variable name (`each` or `count`) and its value.
    pub fn instances(&self, is_count: bool) -> Vec<(InstKey, Option<(&'static str, Val)>)> {
        let name = if is_count { "count" } else { "each" };
        match self {
            Expansion::Single => vec![(InstKey::None, None)],
            Expansion::Many(items) => items
                .iter()
                .map(|(k, v)| (k.clone(), Some((name, v.clone()))))
                .collect(),
            Expansion::Unknown(v) | Expansion::Off(v, _) => {
                vec![(InstKey::None, Some((name, v.clone())))]
            }
        }
    }

    /// The state of the instances: a template when the instances are unknown or switched off
    /// only by a default, not created when a value the user supplied switches them off.
    pub fn state(&self, is_count: bool) -> RoleState {
        match self {
            Expansion::Off(_, off) if off.by_default => RoleState::Template(off.reason.clone()),
            Expansion::Off(_, off) => RoleState::NotCreated(off.reason.clone()),
            Expansion::Unknown(v) => {
                let what = if is_count { "count" } else { "for_each" };
                let reason = v.unknowns().first().map_or_else(
                    || "the instances are unknown".to_string(),
                    |(_, u)| {
                        u.reason
                            .split_once(" is unknown (")
                            .map_or(u.reason.as_str(), |(_, r)| r.strip_suffix(')').unwrap_or(r))
                            .to_string()
                    },
                );
                RoleState::Template(format!(
                    "checked once as a template: {what} is unknown ({reason})"
                ))
            }
            _ => RoleState::Checked,
        }
    }
}

enum Slot {
    InProgress(Span),
    Done(Val),
}

/// One instance of a module: its definition, its variable values and memoised results.
pub struct Instance<'c> {
    pub sh: &'c Shared<'c>,
    pub def: Arc<ModuleDef>,
    /// `""`, `module.ci.`, `module.team["a"].`
    pub prefix: String,
    /// The modules.json key (`ci`, `a.b`), empty for the root.
    pub key_path: String,
    pub depth: usize,
    /// Directories of the calling chain (cycle guard).
    pub chain: Vec<PathBuf>,
    /// Input values (root: tfvars and options; child: the module call's arguments).
    pub inputs: HashMap<String, Val>,
    /// Why a variable without input or default is unknown.
    pub missing_reason: String,
    /// The source files of this module and of every module above it (provenance).
    pub lineage_files: Vec<FileId>,
    /// Files read by `file()` and `templatefile()` while evaluating this instance.
    pub reads: RefCell<std::collections::BTreeSet<FileId>>,
    /// A probe instance: every root variable whose value would come from its default is
    /// unknown (marked with [`DEFAULT_MARK`]), so that what a default decides shows up as
    /// unknown. Defaults of child modules stay: the caller's module block accepts them.
    pub defaults_unknown: bool,
    /// The probe counterpart of this instance (`None` for probes themselves).
    pub probe: Option<Rc<Instance<'c>>>,
    /// Whether the roles of this instance are created (a module call with `count = 0`).
    pub state: RoleState,
    vars: RefCell<HashMap<String, Val>>,
    locals: RefCell<HashMap<String, Slot>>,
    local_stack: RefCell<Vec<(String, Span)>>,
    resources: RefCell<HashMap<usize, Slot>>,
    outputs: RefCell<HashMap<String, Slot>>,
    children: RefCell<HashMap<(String, InstKey), ChildInstance<'c>>>,
    /// Expansions by the span of their `count` / `for_each` (each is charged to the run's
    /// [`InstanceBudget`] once).
    expansions: RefCell<HashMap<Span, Rc<Expansion>>>,
}

/// `path` written relative to `base` (both directories), with `..` where it lies outside;
/// `.` for the same directory. Falls back to `path` when either cannot be resolved.
fn relative_to(path: &std::path::Path, base: &std::path::Path) -> PathBuf {
    let (Ok(p), Ok(b)) = (path.canonicalize(), base.canonicalize()) else {
        return path.to_path_buf();
    };
    let common = p
        .components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = PathBuf::new();
    for _ in b.components().skip(common) {
        out.push("..");
    }
    for c in p.components().skip(common) {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// The highest marker number; past it, a template with unknown parts stays wholly unknown.
const MAX_MARKER: usize = 999_999;

/// The text standing for unknown interpolation number `n` in a policy template: a JSON number
/// when it stands alone (`"AWS": ${var.x}`), and a run of characters that real policies do not
/// contain when it is inside a JSON string.
fn marker(n: usize) -> String {
    format!("9{n:06}e-9999")
}

/// The marker numbers in `text`, with their byte ranges.
fn markers_in(text: &str) -> Vec<(usize, std::ops::Range<usize>)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 13 <= b.len() {
        let m = &b[i..i + 13];
        if m[0] == b'9' && m[1..7].iter().all(u8::is_ascii_digit) && &m[7..] == b"e-9999" {
            let n = m[1..7]
                .iter()
                .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
            out.push((n, i..i + 13));
            i += 13;
        } else {
            i += 1;
        }
    }
    out
}

/// Turns the markers of a decoded policy back into unknowns: a value that is one marker is that
/// unknown; a string with markers in it is unknown with the interpolations written back as
/// `${expr}`; a key keeps its text with `${expr}` in place of the marker.
pub fn restore_markers(v: &mut Val, marked: &[Unknown]) {
    let rewrite = |text: &str| -> Option<(String, Option<&Unknown>, bool)> {
        let found = markers_in(text);
        let first = found.first()?;
        let whole = found.len() == 1 && first.1 == (0..text.len());
        let mut out = String::new();
        let mut last = 0;
        for (n, r) in &found {
            out.push_str(&text[last..r.start]);
            match marked.get(*n) {
                Some(u) => out.push_str(&format!("${{{}}}", u.expr)),
                None => out.push_str(&text[r.clone()]),
            }
            last = r.end;
        }
        out.push_str(&text[last..]);
        Some((out, marked.get(first.0), whole))
    };
    match &mut v.kind {
        ValKind::Str(s) | ValKind::Number(s) => {
            if let Some((text, first, whole)) = rewrite(s) {
                let u = match (whole, first) {
                    (true, Some(u)) => u.clone(),
                    (_, first) => Unknown::new(
                        text,
                        first.map_or_else(
                            || "an interpolation is unknown".into(),
                            |u| u.reason.clone(),
                        ),
                    ),
                };
                v.kind = ValKind::Unknown(u);
            }
        }
        ValKind::List(items) => items.iter_mut().for_each(|i| restore_markers(i, marked)),
        ValKind::Map(entries) => {
            for (k, val) in entries.iter_mut() {
                if let Some((text, _, _)) = rewrite(&k.name) {
                    k.name = text;
                }
                restore_markers(val, marked);
            }
        }
        _ => {}
    }
}

/// A module instance evaluated for a caller, or the unknown that stands for it.
type ChildInstance<'c> = Result<Rc<Instance<'c>>, Val>;

pub fn err_val(expr: impl Into<String>, msg: impl std::fmt::Display, span: Span) -> Val {
    Val::unknown(expr, format!("{ERR}{msg}"), span)
}

/// Numbers: Terraform numbers as text, formatted without a trailing `.0`.
pub fn num_val(n: f64, span: Span) -> Val {
    let s = if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    };
    Val::new(ValKind::Number(s), span)
}

pub fn as_num(v: &Val) -> Option<f64> {
    match &v.kind {
        ValKind::Number(s) | ValKind::Str(s) => {
            s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
        }
        _ => None,
    }
}

/// A scalar as a string (Terraform's automatic conversion).
pub fn as_string(v: &Val) -> Option<String> {
    match &v.kind {
        ValKind::Str(s) | ValKind::Number(s) => Some(s.clone()),
        ValKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn as_bool(v: &Val) -> Option<bool> {
    match &v.kind {
        ValKind::Bool(b) => Some(*b),
        ValKind::Str(s) if s == "true" => Some(true),
        ValKind::Str(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// The end of the reason of an unknown list element that stands for an unknown number of
/// elements: an unknown list spliced by `concat` or `flatten`, an element that `distinct` may
/// merge or a `for` condition may drop. A list holding one has an unknown length, and its
/// positions from there on are unknown.
pub const SPREAD: &str = " (it stands for an unknown number of elements)";

/// True for a list element that stands for an unknown number of elements.
pub fn is_spread(v: &Val) -> bool {
    matches!(&v.kind, ValKind::Unknown(u) if u.reason.ends_with(SPREAD))
}

/// `v` (unknown, or known but of unknown multiplicity) as a spread element.
pub fn spread(v: &Val, expr: impl FnOnce() -> String) -> Val {
    match &v.kind {
        ValKind::Unknown(u) if u.reason.ends_with(SPREAD) => v.clone(),
        ValKind::Unknown(u) => {
            Val::unknown(u.expr.clone(), format!("{}{SPREAD}", u.reason), v.span)
        }
        _ => Val::unknown(
            expr(),
            format!("the element may or may not be there{SPREAD}"),
            v.span,
        ),
    }
}

/// The first unknown among values (top level), for propagation.
pub fn first_unknown<'a>(vals: impl IntoIterator<Item = &'a Val>) -> Option<&'a Val> {
    vals.into_iter().find(|v| v.is_unknown())
}

/// Values compared the Terraform way (numbers by value, unknowns never equal).
pub fn equal(a: &Val, b: &Val) -> Option<bool> {
    match (&a.kind, &b.kind) {
        (ValKind::Unknown(_), _) | (_, ValKind::Unknown(_)) => None,
        (ValKind::Null, ValKind::Null) => Some(true),
        (ValKind::Number(_), ValKind::Number(_)) => Some(as_num(a) == as_num(b)),
        (ValKind::Str(x), ValKind::Str(y)) => Some(x == y),
        (ValKind::Bool(x), ValKind::Bool(y)) => Some(x == y),
        (ValKind::List(x), ValKind::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            for (p, q) in x.iter().zip(y) {
                match equal(p, q) {
                    Some(true) => {}
                    other => return other,
                }
            }
            Some(true)
        }
        (ValKind::Map(x), ValKind::Map(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            for (k, v) in x {
                match b.get(&k.name) {
                    None => return Some(false),
                    Some(w) => match equal(v, w) {
                        Some(true) => {}
                        other => return other,
                    },
                }
            }
            Some(true)
        }
        _ => Some(false),
    }
}

/// Map entries in Terraform's iteration order (sorted by key).
/// The (key, value) pairs a `for` iterates: index and element of a list, key and value of a map
/// in key order. `None` for values that cannot be iterated (the caller says why).
fn iteration_items(coll: &Val) -> Option<Vec<(Val, Val)>> {
    match &coll.kind {
        ValKind::List(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (num_val(i as f64, v.span), v.clone()))
                .collect(),
        ),
        ValKind::Map(entries) => Some(
            sorted_entries(entries)
                .into_iter()
                .map(|(k, v)| (Val::str(k.name.clone(), k.span), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

pub fn sorted_entries(entries: &[(Key, Val)]) -> Vec<&(Key, Val)> {
    let mut out: Vec<&(Key, Val)> = entries.iter().collect();
    out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    out.dedup_by(|a, b| a.0.name == b.0.name);
    out
}

impl<'c> Instance<'c> {
    // A module instance is built from its caller's context; the arguments are that context.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sh: &'c Shared<'c>,
        def: Arc<ModuleDef>,
        prefix: String,
        key_path: String,
        depth: usize,
        chain: Vec<PathBuf>,
        inputs: HashMap<String, Val>,
        missing_reason: String,
    ) -> Instance<'c> {
        Instance {
            sh,
            def,
            prefix,
            key_path,
            depth,
            chain,
            inputs,
            missing_reason,
            lineage_files: Vec::new(),
            reads: RefCell::default(),
            defaults_unknown: false,
            probe: None,
            state: RoleState::Checked,
            vars: RefCell::default(),
            locals: RefCell::default(),
            local_stack: RefCell::default(),
            resources: RefCell::default(),
            outputs: RefCell::default(),
            children: RefCell::default(),
            expansions: RefCell::default(),
        }
    }

    /// Evaluates an attribute's expression.
    pub fn eval(&self, e: &Expr, scope: &Scope) -> Val {
        match e {
            Expr::Hcl { expr, file } => self.eval_hcl(expr, *file, 0, scope),
            Expr::Json(n) => self.eval_json(n, scope),
        }
    }

    /// The span of an expression.
    pub fn expr_span(e: &Expr) -> Span {
        match e {
            Expr::Hcl { expr, file } => span_of(*file, expr.span()),
            Expr::Json(n) => n.span(),
        }
    }

    pub fn eval_attr(&self, body: &Body, name: &str, scope: &Scope) -> Option<Val> {
        body.attr(name).map(|a| self.eval(&a.expr, scope))
    }

    /// Evaluates a policy attribute. When a string template (a heredoc, a quoted JSON string)
    /// is unknown only because some of its interpolations are, it is evaluated again with a
    /// marker in place of each unknown interpolation, so that the JSON can still be read and
    /// only those values stay unknown ([`restore_markers`]).
    pub fn eval_policy_attr(&self, body: &Body, name: &str, scope: &Scope) -> Option<Val> {
        let a = body.attr(name)?;
        let v = self.eval(&a.expr, scope);
        if !v.is_unknown() {
            return Some(v);
        }
        let previous = self.sh.markers.borrow_mut().replace(Vec::new());
        let again = self.eval(&a.expr, scope);
        let found = std::mem::replace(&mut *self.sh.markers.borrow_mut(), previous);
        match (&again.kind, found) {
            (ValKind::Str(_), Some(list)) if !list.is_empty() => {
                self.sh.marked.borrow_mut().extend(list);
                Some(again)
            }
            _ => Some(v),
        }
    }

    /// The marker text standing for an unknown interpolation, while markers are collected.
    fn marker_for(&self, u: &Unknown) -> Option<String> {
        let mut markers = self.sh.markers.borrow_mut();
        let list = markers.as_mut()?;
        let n = self.sh.marked.borrow().len() + list.len();
        if n > MAX_MARKER {
            return None;
        }
        list.push(u.clone());
        Some(marker(n))
    }

    fn eval_json(&self, n: &JNode, scope: &Scope) -> Val {
        match n {
            JNode::Null(s) => Val::new(ValKind::Null, *s),
            JNode::Bool(b, s) => Val::new(ValKind::Bool(*b), *s),
            JNode::Number(x, s) => Val::new(ValKind::Number(x.clone()), *s),
            JNode::Str {
                value,
                span,
                template,
                base,
            } => match template {
                Some(t) => {
                    let v = self.eval_template(t, span.file, *base, scope, *span);
                    Val { span: *span, ..v }
                }
                None => Val::str(value.clone(), *span),
            },
            JNode::List(items, s) => Val::new(
                ValKind::List(items.iter().map(|i| self.eval_json(i, scope)).collect()),
                *s,
            ),
            JNode::Map(entries, s) => Val::new(
                ValKind::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.eval_json(v, scope)))
                        .collect(),
                ),
                *s,
            ),
        }
    }

    /// Evaluates an hcl-edit expression of `file` (spans shifted by `base`).
    pub fn eval_hcl(&self, e: &Expression, file: FileId, base: usize, scope: &Scope) -> Val {
        let span = span_of(file, e.span()).shifted(base);
        let d = self.sh.depth.get();
        if d >= MAX_DEPTH {
            return err_val("...", "the expression is nested too deeply", span);
        }
        if !self.sh.step() {
            return Val::unknown(
                self.sh.text(span),
                "evaluation stopped: the configuration needs too many steps to evaluate",
                span,
            );
        }
        self.sh.depth.set(d + 1);
        let v = self.eval_inner(e, file, base, scope, span);
        self.sh.depth.set(d);
        v
    }

    fn eval_inner(
        &self,
        e: &Expression,
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Val {
        match e {
            Expression::Null(_) => Val::new(ValKind::Null, span),
            Expression::Bool(b) => Val::new(ValKind::Bool(*b.value()), span),
            Expression::Number(n) => Val::new(ValKind::Number(n.value().to_string()), span),
            Expression::String(s) => Val::str(s.value().clone(), span),
            Expression::Array(a) => {
                let mut items = Vec::new();
                for x in a.iter() {
                    if items.len() >= MAX_ITEMS {
                        return err_val(self.sh.text(span), "the list is too long", span);
                    }
                    items.push(self.eval_hcl(x, file, base, scope));
                }
                Val::new(ValKind::List(items), span)
            }
            Expression::Object(o) => {
                let mut entries = Vec::new();
                for (k, v) in o.iter() {
                    let kspan = span_of(file, k.span()).shifted(base);
                    // A key written twice was parsed under a stand-in (see `renamed_keys`).
                    let renamed = k
                        .span()
                        .filter(|_| base == 0)
                        .and_then(|r| self.def.renamed_keys.get(&(file, r.start)));
                    let name = match k {
                        _ if renamed.is_some() => renamed.cloned().unwrap_or_default(),
                        hcl::edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                        hcl::edit::expr::ObjectKey::Expression(ke) => {
                            let kv = match ke {
                                // `(x) = ...` and `x = ...`: a bare name is a literal key
                                Expression::Variable(i) => Val::str(i.as_str(), kspan),
                                _ => self.eval_hcl(ke, file, base, scope),
                            };
                            match as_string(&kv) {
                                Some(s) => s,
                                // `"${local.issuer}:sub" = ...`: a key that ends in a known
                                // `:claim` keeps its known parts, with `${expr}` for the
                                // unknown ones (the form condition keys are read in).
                                None if kv.as_unknown().is_some_and(Unknown::ends_in_claim) => kv
                                    .as_unknown()
                                    .map(|u| crate::value::template_text(&u.parts))
                                    .unwrap_or_default(),
                                None if kv.is_unknown() => {
                                    let reason = kv
                                        .as_unknown()
                                        .map(|u| u.reason.clone())
                                        .unwrap_or_default();
                                    return Val::unknown(
                                        self.sh.text(span),
                                        format!("an object key is unknown: {reason}"),
                                        span,
                                    );
                                }
                                None => {
                                    return err_val(
                                        self.sh.text(kspan),
                                        "an object key must be a string",
                                        kspan,
                                    );
                                }
                            }
                        }
                    };
                    let val = self.eval_hcl(v.expr(), file, base, scope);
                    entries.push((Key { name, span: kspan }, val));
                }
                Val::new(ValKind::Map(later_wins(entries)), span)
            }
            Expression::StringTemplate(t) => self.eval_elements(t.iter(), file, base, scope, span),
            Expression::HeredocTemplate(h) => {
                self.eval_elements(h.template.iter(), file, base, scope, span)
            }
            Expression::Parenthesis(p) => {
                let v = self.eval_hcl(p.inner(), file, base, scope);
                Val { span, ..v }
            }
            Expression::Variable(id) => match scope.get(id.as_str()) {
                Some(v) => v.clone(),
                None => self.root_name(id.as_str(), span),
            },
            Expression::Conditional(c) => {
                let cond = self.eval_hcl(&c.cond_expr, file, base, scope);
                match as_bool(&cond) {
                    Some(true) => self.eval_hcl(&c.true_expr, file, base, scope),
                    Some(false) => self.eval_hcl(&c.false_expr, file, base, scope),
                    None => match &cond.kind {
                        ValKind::Unknown(u) => Val::unknown(
                            self.sh.text(span),
                            format!("the condition is unknown: {}", u.reason),
                            span,
                        ),
                        _ => err_val(self.sh.text(span), "the condition is not a bool", span),
                    },
                }
            }
            Expression::FuncCall(fc) => super::functions::call(self, fc, file, base, scope, span),
            Expression::Traversal(t) => self.eval_traversal(t, file, base, scope, span),
            Expression::UnaryOp(u) => {
                let v = self.eval_hcl(&u.expr, file, base, scope);
                if v.is_unknown() {
                    return Val { span, ..v };
                }
                match u.operator.value() {
                    UnaryOperator::Neg => match as_num(&v) {
                        Some(n) => num_val(-n, span),
                        None => err_val(self.sh.text(span), "`-` needs a number", span),
                    },
                    UnaryOperator::Not => match as_bool(&v) {
                        Some(b) => Val::new(ValKind::Bool(!b), span),
                        None => err_val(self.sh.text(span), "`!` needs a bool", span),
                    },
                }
            }
            Expression::BinaryOp(b) => self.eval_binary(b, file, base, scope, span),
            Expression::ForExpr(f) => self.eval_for(f, file, base, scope, span),
        }
    }

    fn eval_binary(
        &self,
        b: &hcl::edit::expr::BinaryOp,
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Val {
        use BinaryOperator as B;
        let op = *b.operator.value();
        let l = self.eval_hcl(&b.lhs_expr, file, base, scope);
        // short-circuit logic on known values
        if matches!(op, B::And | B::Or)
            && let Some(lb) = as_bool(&l)
        {
            if op == B::And && !lb {
                return Val::new(ValKind::Bool(false), span);
            }
            if op == B::Or && lb {
                return Val::new(ValKind::Bool(true), span);
            }
        }
        let r = self.eval_hcl(&b.rhs_expr, file, base, scope);
        if matches!(op, B::Eq | B::NotEq) {
            return match equal(&l, &r) {
                Some(e) => Val::new(ValKind::Bool(if op == B::Eq { e } else { !e }), span),
                None => {
                    let u = first_unknown([&l, &r]).and_then(|v| v.as_unknown());
                    Val::unknown(
                        self.sh.text(span),
                        u.map_or("unknown comparison".to_string(), |u| u.reason.clone()),
                        span,
                    )
                }
            };
        }
        if let Some(u) = first_unknown([&l, &r]).and_then(|v| v.as_unknown()) {
            return Val::unknown(self.sh.text(span), u.reason.clone(), span);
        }
        match op {
            B::And | B::Or => match (as_bool(&l), as_bool(&r)) {
                (Some(x), Some(y)) => Val::new(
                    ValKind::Bool(if op == B::And { x && y } else { x || y }),
                    span,
                ),
                _ => err_val(self.sh.text(span), "logical operators need bools", span),
            },
            _ => {
                let (Some(x), Some(y)) = (as_num(&l), as_num(&r)) else {
                    return err_val(self.sh.text(span), "arithmetic needs numbers", span);
                };
                match op {
                    B::Plus => num_val(x + y, span),
                    B::Minus => num_val(x - y, span),
                    B::Mul => num_val(x * y, span),
                    B::Div if y != 0.0 => num_val(x / y, span),
                    B::Mod if y != 0.0 => num_val(x % y, span),
                    B::Less => Val::new(ValKind::Bool(x < y), span),
                    B::LessEq => Val::new(ValKind::Bool(x <= y), span),
                    B::Greater => Val::new(ValKind::Bool(x > y), span),
                    B::GreaterEq => Val::new(ValKind::Bool(x >= y), span),
                    _ => err_val(self.sh.text(span), "division by zero", span),
                }
            }
        }
    }

    fn eval_for(
        &self,
        f: &hcl::edit::expr::ForExpr,
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Val {
        let coll = self.eval_hcl(&f.intro.collection_expr, file, base, scope);
        let items: Vec<(Val, Val)> = match (iteration_items(&coll), &coll.kind) {
            (Some(items), _) => items,
            (None, ValKind::Unknown(u)) => {
                // `[for k, v in var.x : v if var.create]`: a condition that is false whatever
                // the elements are gives an empty result even when the collection is unknown.
                if let Some(c) = &f.cond {
                    let any = Val::unknown("each element", u.reason.clone(), span);
                    let s1 = scope.with(f.intro.value_var.as_str(), any.clone());
                    let s2;
                    let sc: &Scope = match &f.intro.key_var {
                        Some(k) => {
                            s2 = s1.with(k.as_str(), any);
                            &s2
                        }
                        None => &s1,
                    };
                    if as_bool(&self.eval_hcl(&c.expr, file, base, sc)) == Some(false) {
                        let kind = if f.key_expr.is_some() {
                            ValKind::Map(Vec::new())
                        } else {
                            ValKind::List(Vec::new())
                        };
                        return Val::new(kind, span);
                    }
                }
                return Val::unknown(self.sh.text(span), u.reason.clone(), span);
            }
            (None, ValKind::Null) => {
                return err_val(self.sh.text(span), "cannot iterate over null", span);
            }
            _ => {
                return err_val(
                    self.sh.text(span),
                    "a for expression needs a list or map",
                    span,
                );
            }
        };
        let kname = f.intro.key_var.as_ref().map(|k| k.as_str());
        let vname = f.intro.value_var.as_str();
        let mut list = Vec::new();
        let mut map: Vec<(Key, Val)> = Vec::new();
        for (k, v) in items {
            // An element that stands for many gives as many results.
            let from_spread = is_spread(&v);
            let spread_reason = v.as_unknown().map_or(String::new(), |u| u.reason.clone());
            if list.len() + map.len() >= MAX_ITEMS {
                return err_val(
                    self.sh.text(span),
                    "the for expression builds too many items",
                    span,
                );
            }
            let s1;
            let s2;
            let sc: &Scope = match kname {
                Some(kn) => {
                    s1 = scope.with(kn, k);
                    s2 = s1.with(vname, v);
                    &s2
                }
                None => {
                    s1 = scope.with(vname, v);
                    &s1
                }
            };
            if let Some(c) = &f.cond {
                let cv = self.eval_hcl(&c.expr, file, base, sc);
                match as_bool(&cv) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        let item = Val::unknown(
                            self.sh.text(span),
                            cv.as_unknown()
                                .map_or("the for condition is not a bool".into(), |u| {
                                    format!("the for condition is unknown: {}", u.reason)
                                }),
                            span,
                        );
                        if f.key_expr.is_some() {
                            return item;
                        }
                        list.push(spread(&item, String::new));
                        continue;
                    }
                }
            }
            let val = self.eval_hcl(&f.value_expr, file, base, sc);
            match &f.key_expr {
                None if from_spread => list.push(spread(&val, || self.sh.text(span))),
                Some(_) if from_spread => {
                    return Val::unknown(self.sh.text(span), spread_reason, span);
                }
                None => list.push(val),
                Some(ke) => {
                    let kv = self.eval_hcl(ke, file, base, sc);
                    let Some(name) = as_string(&kv) else {
                        return Val::unknown(
                            self.sh.text(span),
                            kv.as_unknown()
                                .map_or("a key is not a string".into(), |u| u.reason.clone()),
                            span,
                        );
                    };
                    if f.grouping {
                        if let Some((_, ValKind::List(g))) = map
                            .iter_mut()
                            .find(|(k, _)| k.name == name)
                            .map(|(k, v)| (k, &mut v.kind))
                        {
                            g.push(val);
                        } else {
                            let vs = val.span;
                            map.push((
                                Key {
                                    name,
                                    span: kv.span,
                                },
                                Val::new(ValKind::List(vec![val]), vs),
                            ));
                        }
                    } else {
                        map.retain(|(k, _)| k.name != name);
                        map.push((
                            Key {
                                name,
                                span: kv.span,
                            },
                            val,
                        ));
                    }
                }
            }
        }
        if f.key_expr.is_some() {
            Val::new(ValKind::Map(map), span)
        } else {
            Val::new(ValKind::List(list), span)
        }
    }

    /// Evaluates template elements into a string, recording where each byte came from. A
    /// template that is a single interpolation returns the value itself (any type).
    pub fn eval_elements<'e>(
        &self,
        elements: impl Iterator<Item = &'e Element>,
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Val {
        let els: Vec<&Element> = elements.collect();
        let non_empty: Vec<&&Element> = els
            .iter()
            .filter(|e| !matches!(e, Element::Literal(l) if l.value().is_empty()))
            .collect();
        if let [Element::Interpolation(i)] = non_empty.as_slice() {
            let v = self.eval_hcl(&i.expr, file, base, scope);
            return v;
        }
        let mut out = StrMap::new(file);
        let mut unknown: Option<String> = None;
        let previous = self.sh.holes.replace(Some(Vec::new()));
        self.template_into(&els, file, base, scope, &mut out, &mut unknown, false);
        let holes = std::mem::replace(&mut *self.sh.holes.borrow_mut(), previous);
        if let Some(reason) = unknown {
            return Val::unknown(self.sh.text(span), reason, span);
        }
        if let Some(holes) = holes.filter(|h| !h.is_empty()) {
            return self.partial_string(&out.text, holes, span);
        }
        if out.text.len() > MAX_STR {
            return err_val(self.sh.text(span), "the string is too long", span);
        }
        let text = out.text.clone();
        if out.complete() && (text.contains('{') || text.contains('[')) {
            self.sh.str_maps.borrow_mut().insert(span, Rc::new(out));
        }
        Val::str(text, span)
    }

    /// A template string some of whose interpolations are unknown: an unknown that keeps the
    /// known text between them. Its reason is the first unknown part's.
    fn partial_string(&self, text: &str, holes: Vec<(usize, Unknown)>, span: Span) -> Val {
        let reason = holes
            .first()
            .map(|(_, u)| u.reason.clone())
            .unwrap_or_default();
        let mut pieces = Vec::new();
        let mut last = 0;
        for (at, u) in holes {
            let at = at.clamp(last, text.len());
            pieces.push(Piece::Text(text.get(last..at).unwrap_or("").to_string()));
            pieces.extend(u.pieces());
            last = at;
        }
        pieces.push(Piece::Text(text.get(last..).unwrap_or("").to_string()));
        Val::new(
            ValKind::Unknown(Unknown::partial(self.sh.text(span), reason, pieces)),
            span,
        )
    }

    /// Evaluates a template (from templatefile) with its own byte map.
    pub fn eval_template(
        &self,
        t: &Template,
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Val {
        self.eval_elements(t.iter(), file, base, scope, span)
    }

    #[allow(clippy::too_many_arguments)]
    fn template_into(
        &self,
        els: &[&Element],
        file: FileId,
        base: usize,
        scope: &Scope,
        out: &mut StrMap,
        unknown: &mut Option<String>,
        mut strip_next: bool,
    ) {
        let src = self.sh.file(file);
        for el in els {
            if out.text.len() > MAX_STR || unknown.is_some() {
                return;
            }
            match el {
                Element::Literal(l) => {
                    let lspan = span_of(file, l.span()).shifted(base);
                    let mut value: &str = l.value();
                    if strip_next {
                        value = value.trim_start();
                        strip_next = false;
                    }
                    let s = src.as_ref().map(|f| f.slice(lspan)).unwrap_or("");
                    out.push_literal(value, s, lspan.start as usize);
                }
                Element::Interpolation(i) => {
                    if i.strip.strip_start() {
                        out.trim_end();
                    }
                    strip_next = i.strip.strip_end();
                    let v = self.eval_hcl(&i.expr, file, base, scope);
                    let ispan = span_of(file, i.span()).shifted(base);
                    match &v.kind {
                        ValKind::Unknown(u) => match self.marker_for(u) {
                            Some(marker) => out.push_whole(&marker, ispan),
                            None => match self.sh.holes.borrow_mut().as_mut() {
                                // Outside marker collection: a hole, and the rest goes on.
                                Some(holes) if self.sh.markers.borrow().is_none() => {
                                    holes.push((out.text.len(), u.clone()))
                                }
                                _ => *unknown = Some(u.reason.clone()),
                            },
                        },
                        ValKind::Null => {
                            *unknown = Some(format!("{ERR}null in a string template"));
                        }
                        _ => match as_string(&v) {
                            Some(s) => out.push_whole(&s, ispan),
                            None => {
                                *unknown =
                                    Some(format!("{ERR}a list or map cannot be interpolated"))
                            }
                        },
                    }
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        if ifd.if_expr.strip.strip_start() {
                            out.trim_end();
                        }
                        let c = self.eval_hcl(&ifd.if_expr.cond_expr, file, base, scope);
                        match as_bool(&c) {
                            Some(true) => {
                                let inner: Vec<&Element> = ifd.if_expr.template.iter().collect();
                                self.template_into(
                                    &inner,
                                    file,
                                    base,
                                    scope,
                                    out,
                                    unknown,
                                    ifd.if_expr.strip.strip_end(),
                                );
                            }
                            Some(false) => {
                                if let Some(e) = &ifd.else_expr {
                                    let inner: Vec<&Element> = e.template.iter().collect();
                                    self.template_into(
                                        &inner,
                                        file,
                                        base,
                                        scope,
                                        out,
                                        unknown,
                                        e.strip.strip_end(),
                                    );
                                }
                            }
                            None => {
                                *unknown = Some(c.as_unknown().map_or(
                                    format!("{ERR}the %{{if}} condition is not a bool"),
                                    |u| u.reason.clone(),
                                ))
                            }
                        }
                        strip_next = ifd.endif_expr.strip.strip_end();
                    }
                    Directive::For(fd) => {
                        let fe = &fd.for_expr;
                        if fe.strip.strip_start() {
                            out.trim_end();
                        }
                        let coll = self.eval_hcl(&fe.collection_expr, file, base, scope);
                        let items: Vec<(Val, Val)> = match (iteration_items(&coll), &coll.kind) {
                            (Some(items), _) => items,
                            (None, ValKind::Unknown(u)) => {
                                *unknown = Some(u.reason.clone());
                                return;
                            }
                            _ => {
                                *unknown = Some(format!("{ERR}%{{for}} needs a list or map"));
                                return;
                            }
                        };
                        let inner: Vec<&Element> = fe.template.iter().collect();
                        let vname = fe.value_var.as_str();
                        for (k, v) in items {
                            let s1;
                            let s2;
                            let sc: &Scope = match &fe.key_var {
                                Some(kn) => {
                                    s1 = scope.with(kn.as_str(), k);
                                    s2 = s1.with(vname, v);
                                    &s2
                                }
                                None => {
                                    s1 = scope.with(vname, v);
                                    &s1
                                }
                            };
                            self.template_into(
                                &inner,
                                file,
                                base,
                                sc,
                                out,
                                unknown,
                                fe.strip.strip_end(),
                            );
                            if unknown.is_some() || out.text.len() > MAX_STR {
                                return;
                            }
                        }
                        strip_next = fd.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
    }

    /// A bare name that is not in scope.
    fn root_name(&self, name: &str, span: Span) -> Val {
        match name {
            "var" | "local" | "data" | "module" | "path" | "count" | "each" | "self"
            | "terraform" => err_val(
                name,
                format!("`{name}` must be followed by an attribute"),
                span,
            ),
            _ => err_val(name, format!("`{name}` is not defined here"), span),
        }
    }

    fn eval_traversal(
        &self,
        t: &hcl::edit::expr::Traversal,
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Val {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let attr = |i: usize| -> Option<&str> {
            match ops.get(i) {
                Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
                _ => None,
            }
        };
        let (val, used) = match &t.expr {
            Expression::Variable(id) if scope.get(id.as_str()).is_none() => {
                let name = id.as_str();
                match name {
                    "var" => match attr(0) {
                        Some(v) => (self.var(v, span), 1),
                        None => (self.root_name(name, span), ops.len()),
                    },
                    "local" => match attr(0) {
                        Some(l) => (self.local(l, span), 1),
                        None => (self.root_name(name, span), ops.len()),
                    },
                    "path" => {
                        // Terraform runs in the root module's directory: path.root is ".",
                        // path.module is relative to it, and file() reads relative paths from
                        // there; path.cwd is that directory's absolute path (so that
                        // `basename(path.cwd)` is its name).
                        let dir = match attr(0) {
                            Some("module") => relative_to(&self.def.dir, &self.sh.top_dir),
                            Some("cwd") => std::path::absolute(&self.sh.top_dir)
                                .unwrap_or_else(|_| self.sh.top_dir.clone()),
                            _ => PathBuf::from("."),
                        };
                        (Val::str(dir.to_string_lossy().replace('\\', "/"), span), 1)
                    }
                    "terraform" => (Val::str("default", span), 1),
                    "data" => match (attr(0), attr(1)) {
                        (Some(ty), Some(n)) => (self.resource_ref(true, ty, n, span), 2),
                        _ => (self.root_name(name, span), ops.len()),
                    },
                    "module" => match attr(0) {
                        Some(m) => self.module_ref(m, &ops[1..], file, base, scope, span),
                        None => (self.root_name(name, span), ops.len()),
                    },
                    "self" | "count" | "each" => (
                        Val::unknown(
                            self.sh.text(span),
                            format!("`{name}` is not available here"),
                            span,
                        ),
                        ops.len(),
                    ),
                    _ => match attr(0) {
                        Some(n) if self.def.resource(false, name, n).is_some() => {
                            (self.resource_ref(false, name, n, span), 1)
                        }
                        Some(n) => (
                            Val::unknown(
                                self.sh.text(span),
                                format!(
                                    "{}{name}.{n} is not declared in {}",
                                    self.prefix,
                                    self.def.dir.display()
                                ),
                                span,
                            ),
                            ops.len(),
                        ),
                        None => (self.root_name(name, span), ops.len()),
                    },
                }
            }
            other => (self.eval_hcl(other, file, base, scope), 0),
        };
        self.apply_ops(val, ops.get(used..).unwrap_or(&[]), file, base, scope, span)
    }

    /// Applies attribute access, indexing and splats.
    fn apply_ops(
        &self,
        mut val: Val,
        ops: &[&TraversalOperator],
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> Val {
        for (i, op) in ops.iter().enumerate() {
            if let ValKind::Unknown(u) = &val.kind {
                let reason = u.reason.clone();
                let expr = if reason.starts_with(ERR) {
                    u.expr.clone()
                } else {
                    self.sh.text(span)
                };
                return Val::unknown(expr, reason, span);
            }
            val = match op {
                TraversalOperator::GetAttr(a) => self.get_attr(&val, a.as_str(), span),
                TraversalOperator::Index(ie) => {
                    let k = self.eval_hcl(ie, file, base, scope);
                    self.index(&val, &k, span)
                }
                TraversalOperator::LegacyIndex(n) => {
                    let k = num_val(*n.value() as f64, span);
                    self.index(&val, &k, span)
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let rest = ops.get(i + 1..).unwrap_or(&[]);
                    let items = match val.kind {
                        ValKind::List(items) => items,
                        ValKind::Null => Vec::new(),
                        _ => vec![val.clone()],
                    };
                    let out = items
                        .into_iter()
                        .map(|it| self.apply_ops(it, rest, file, base, scope, span))
                        .collect();
                    return Val::new(ValKind::List(out), span);
                }
            };
        }
        val
    }

    pub fn get_attr(&self, val: &Val, name: &str, span: Span) -> Val {
        match &val.kind {
            ValKind::Map(_) => match val.get(name) {
                // A computed attribute of a resource carries the resource's span: point at the use.
                Some(v) if v.span == val.span && val.get("__resource__").is_some() => {
                    Val { span, ..v.clone() }
                }
                Some(v) => v.clone(),
                // The ARN of a resource this configuration creates is in this account.
                None if name == "arn" && val.get(BLOCK_MARK).is_none() => match val
                    .get("__resource__")
                    .and_then(|r| r.as_str())
                    .and_then(|addr| super::resources::created_arn(addr, span))
                {
                    Some(arn) => arn,
                    None => self.no_attr(val, name, span),
                },
                None => self.no_attr(val, name, span),
            },
            ValKind::Unknown(_) => val.clone(),
            // `.attr` of a nested block read without its index: the provider may nest it as a
            // single object; what it holds is not read from here.
            ValKind::List(items)
                if !items.is_empty() && items.iter().all(|i| i.get(BLOCK_MARK).is_some()) =>
            {
                self.no_attr(&items[0], name, span)
            }
            _ => err_val(
                self.sh.text(span),
                format!("cannot read `.{name}` of {}", kind_name(val)),
                span,
            ),
        }
    }

    fn no_attr(&self, val: &Val, name: &str, span: Span) -> Val {
        Val::unknown(
            self.sh.text(span),
            match val.get("__resource__").and_then(|r| r.as_str()) {
                Some(addr) => format!("{addr}.{name} is known only after apply"),
                None => format!("{ERR}the object has no attribute `{name}`"),
            },
            span,
        )
    }

    pub fn index(&self, val: &Val, key: &Val, span: Span) -> Val {
        if let ValKind::Unknown(u) = &key.kind {
            return Val::unknown(self.sh.text(span), u.reason.clone(), span);
        }
        match &val.kind {
            ValKind::List(items)
                if as_num(key).is_some_and(|n| {
                    n >= 0.0 && items.iter().take(n as usize + 1).any(is_spread)
                }) =>
            {
                let u = items
                    .iter()
                    .find(|i| is_spread(i))
                    .and_then(Val::as_unknown);
                Val::unknown(
                    self.sh.text(span),
                    u.map_or(String::new(), |u| u.reason.clone()),
                    span,
                )
            }
            ValKind::List(items) => match as_num(key) {
                Some(n) if n >= 0.0 && (n as usize) < items.len() => items
                    .get(n as usize)
                    .cloned()
                    .unwrap_or_else(|| Val::new(ValKind::Null, span)),
                _ => err_val(self.sh.text(span), "the index is out of range", span),
            },
            ValKind::Map(_) => match as_string(key) {
                Some(k) => match val.get(&k) {
                    Some(v) => v.clone(),
                    None => err_val(
                        self.sh.text(span),
                        format!("the key {} is not in the map", quote(&k)),
                        span,
                    ),
                },
                None => err_val(self.sh.text(span), "a map key must be a string", span),
            },
            ValKind::Unknown(_) => val.clone(),
            _ => err_val(
                self.sh.text(span),
                format!("cannot index {}", kind_name(val)),
                span,
            ),
        }
    }

    /// `var.name`: input, else default, else unknown with the reason.
    pub fn var(&self, name: &str, span: Span) -> Val {
        if let Some(v) = self.vars.borrow().get(name) {
            return use_site(v.clone(), span);
        }
        let v = if let Some(v) = self.inputs.get(name) {
            v.clone()
        } else {
            match self.def.variable(name) {
                None => err_val(
                    format!("var.{name}"),
                    format!("var.{name} is not declared"),
                    span,
                ),
                Some(decl) => match &decl.default {
                    // Only the root module's defaults: a child's default that its caller
                    // leaves unset is the caller's choice, written in its module block.
                    Some(_) if self.defaults_unknown && self.depth == 0 => Val::unknown(
                        format!("var.{name}"),
                        format!("{DEFAULT_MARK}{}var.{name}", self.prefix),
                        span,
                    ),
                    Some(d) => self.eval(&d.expr, &Scope::empty()),
                    None => Val::unknown(
                        format!("var.{name}"),
                        self.missing_reason.replace("{}", name),
                        span,
                    ),
                },
            }
        };
        // The type constraint fills optional attributes the value omits.
        let v = match self.def.variable(name).and_then(|d| d.ty.as_ref()) {
            Some(super::parse::Attr {
                expr: Expr::Hcl { expr, file },
                ..
            }) => super::types::apply(self, expr, *file, v),
            _ => v,
        };
        self.vars.borrow_mut().insert(name.to_string(), v.clone());
        use_site(v, span)
    }

    /// `local.name`, evaluated once; a cycle is an error naming both locals.
    pub fn local(&self, name: &str, span: Span) -> Val {
        match self.locals.borrow().get(name) {
            Some(Slot::Done(v)) => return v.clone(),
            Some(Slot::InProgress(decl)) => {
                let msg = self.cycle_message(name, *decl);
                self.sh.error(SourceError::at(*decl, msg.clone()));
                return Val::unknown(format!("local.{name}"), format!("{ERR}{msg}"), span);
            }
            None => {}
        }
        let Some(attr) = self.def.local(name) else {
            return err_val(
                format!("local.{name}"),
                format!("local.{name} is not declared"),
                span,
            );
        };
        self.locals
            .borrow_mut()
            .insert(name.to_string(), Slot::InProgress(attr.span));
        self.local_stack
            .borrow_mut()
            .push((name.to_string(), attr.span));
        let v = self.eval(&attr.expr, &Scope::empty());
        self.local_stack.borrow_mut().pop();
        self.locals
            .borrow_mut()
            .insert(name.to_string(), Slot::Done(v.clone()));
        v
    }

    /// "locals form a cycle: local.a (line 3) and local.b (line 4) depend on each other".
    fn cycle_message(&self, name: &str, decl: Span) -> String {
        let line = |sp: Span| {
            self.sh
                .file(sp.file)
                .map_or(0, |f| f.line_col(sp.start as usize).line)
        };
        let stack = self.local_stack.borrow();
        match stack.last() {
            Some((other, ospan)) if other != name => format!(
                "locals form a cycle: local.{name} (line {}) and local.{other} (line {}) depend on each other",
                line(decl),
                line(*ospan)
            ),
            _ => format!("local.{name} (line {}) refers to itself", line(decl)),
        }
    }

    /// Which root default switched an expansion off. The probe names the first default it
    /// met (`var.create` in `var.create && var.enable_partner`); when that default is itself
    /// on (true, non-empty), the first variable of the expression (or of the locals it reads)
    /// whose default is off (false, zero, empty, null) and which no value overrides is the one
    /// that decided it. Otherwise the probe's answer stands.
    fn decisive_default(&self, first: String, expr: &Expr) -> String {
        if self.depth != 0 {
            return first;
        }
        let default_of = |name: &str| -> Option<Val> {
            if self.inputs.contains_key(name) {
                return None;
            }
            let d = self.def.variable(name)?.default.as_ref()?;
            Some(self.eval(&d.expr, &Scope::empty()))
        };
        let off = |v: &Val| match &v.kind {
            ValKind::Null => true,
            ValKind::Bool(b) => !b,
            ValKind::Number(_) => as_num(v) == Some(0.0),
            ValKind::Str(s) => s.is_empty(),
            ValKind::List(l) => l.is_empty(),
            ValKind::Map(m) => m.is_empty(),
            _ => false,
        };
        let Some(first_name) = first.strip_prefix("var.") else {
            return first;
        };
        if default_of(first_name).is_none_or(|v| off(&v)) {
            return first;
        }
        // The variables the expression names, through locals (a few levels deep).
        let mut names: Vec<String> = Vec::new();
        let mut texts = vec![self.sh.text(Self::expr_span(expr))];
        let mut seen_locals: Vec<String> = Vec::new();
        while let Some(text) = texts.pop() {
            for (prefix, is_var) in [("var.", true), ("local.", false)] {
                let mut rest = text.as_str();
                while let Some(i) = rest.find(prefix) {
                    let before = rest[..i].chars().next_back();
                    let after = &rest[i + prefix.len()..];
                    let end = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                        .unwrap_or(after.len());
                    let name = &after[..end];
                    rest = &after[end..];
                    if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                        || name.is_empty()
                    {
                        continue;
                    }
                    if is_var {
                        if !names.iter().any(|n| n == name) {
                            names.push(name.to_string());
                        }
                    } else if seen_locals.len() < 16 && !seen_locals.iter().any(|n| n == name) {
                        seen_locals.push(name.to_string());
                        if let Some(l) = self.def.local(name) {
                            texts.push(self.sh.text(Self::expr_span(&l.expr)));
                        }
                    }
                }
            }
        }
        names
            .iter()
            .find(|n| default_of(n).is_some_and(|v| off(&v)))
            .map_or(first, |n| format!("var.{n}"))
    }

    /// How many instances `body` (a resource or module call) has. Zero instances are
    /// [`Expansion::Off`], with whether only a variable default decided it: the `count` or
    /// `for_each` expression is evaluated again in the probe instance, where every default is
    /// unknown; if it becomes unknown there, a default decided it.
    pub fn expansion(&self, body: &Body, addr: &str) -> Expansion {
        let exp = self.expansion_values(body, addr);
        let (what, attr) = match (&exp, body.attr("count"), body.attr("for_each")) {
            (Expansion::Many(items), Some(c), _) if items.is_empty() => ("count", c),
            (Expansion::Many(items), None, Some(f)) if items.is_empty() => ("for_each", f),
            _ => return exp,
        };
        let probe = self
            .probe
            .as_ref()
            .map(|p| p.eval(&attr.expr, &Scope::empty()));
        let empty = match &self.eval(&attr.expr, &Scope::empty()).kind {
            ValKind::Map(_) => "{}",
            ValKind::List(_) => "[]",
            _ => "0",
        };
        let by_default = probe
            .as_ref()
            .and_then(|v| v.as_unknown())
            .and_then(|u| default_variable(&u.reason))
            .map(|first| self.decisive_default(first, &attr.expr));
        let (reason, by_default) = match by_default {
            Some(var) => (
                format!("not created with the default values: {what} = {empty} from {var}"),
                true,
            ),
            None => (
                format!(
                    "not created: {what} = {empty} with the values given ({})",
                    self.sh.text(Self::expr_span(&attr.expr))
                ),
                false,
            ),
        };
        let span = attr.span;
        // The instance checked as a template stands for one the user switches on: its `each`
        // or `count` is what they supply, which nothing in the code decides.
        let u = |e: &str| {
            let what = if e.starts_with("count") {
                "an instance the user switches on"
            } else {
                "an item the user supplies"
            };
            Val::unknown(e, format!("{e} is {what} ({reason})"), span)
        };
        let key = |name: &str| Key {
            name: name.into(),
            span,
        };
        let obj = if what == "count" {
            Val::new(ValKind::Map(vec![(key("index"), u("count.index"))]), span)
        } else {
            Val::new(
                ValKind::Map(vec![
                    (key("key"), u("each.key")),
                    (key("value"), u("each.value")),
                ]),
                span,
            )
        };
        Expansion::Off(obj, Off { reason, by_default })
    }

    /// How many instances `body` (a resource or module call) has, computed once per instance
    /// and charged to the run's instance budget.
    fn expansion_values(&self, body: &Body, addr: &str) -> Expansion {
        let Some(at) = body
            .attr("count")
            .or_else(|| body.attr("for_each"))
            .map(|a| a.span)
        else {
            return Expansion::Single;
        };
        if let Some(e) = self.expansions.borrow().get(&at) {
            return Expansion::clone(e);
        }
        let mut e = self.expand(body, addr);
        if let Expansion::Many(items) = &e
            && !self.sh.cache.budget.take(items.len())
        {
            self.sh.error(SourceError::at(
                at,
                format!(
                    "the run's budget of {MAX_INSTANCES} count/for_each instances is spent; \
                     these {} instances were not expanded or checked",
                    items.len()
                ),
            ));
            e = Expansion::Many(Vec::new());
        }
        self.expansions.borrow_mut().insert(at, Rc::new(e.clone()));
        e
    }

    /// The `count` / `each` value of instance `key` of `body`: `Some(None)` without count and
    /// for_each, `None` when there is no such instance.
    pub fn instance_value(&self, body: &Body, addr: &str, key: &InstKey) -> Option<Option<Val>> {
        match self.expansion(body, addr) {
            Expansion::Many(items) => items
                .into_iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| Some(v)),
            Expansion::Unknown(v) | Expansion::Off(v, _) => Some(Some(v)),
            Expansion::Single => Some(None),
        }
    }

    fn expand(&self, body: &Body, addr: &str) -> Expansion {
        if let Some(c) = body.attr("count") {
            let v = self.eval(&c.expr, &Scope::empty());
            let over = as_num(&v).filter(|n| *n > MAX_ITEMS as f64);
            if let Some(n) = over {
                self.sh.error(SourceError::at(
                    c.span,
                    format!(
                        "count is {n}, over the {MAX_ITEMS} instances iamlint expands; \
                         the resource is checked once as a template"
                    ),
                ));
            }
            return match as_num(&v) {
                Some(n) if n >= 0.0 && over.is_none() => {
                    let n = (n as usize).min(MAX_ITEMS);
                    Expansion::Many(
                        (0..n)
                            .map(|i| {
                                let idx = num_val(i as f64, c.span);
                                let obj = Val::new(
                                    ValKind::Map(vec![(
                                        Key {
                                            name: "index".into(),
                                            span: c.span,
                                        },
                                        idx,
                                    )]),
                                    c.span,
                                );
                                (InstKey::Int(i), obj)
                            })
                            .collect(),
                    )
                }
                _ => {
                    let reason = match (over, v.as_unknown()) {
                        (Some(n), _) => format!("{n} is over the {MAX_ITEMS} instances expanded"),
                        (None, Some(u)) => u.reason.clone(),
                        (None, None) => "count is not a number".to_string(),
                    };
                    let u = Val::unknown(
                        "count.index",
                        format!("count of {}{addr} is unknown ({reason})", self.prefix),
                        c.span,
                    );
                    let obj = Val::new(
                        ValKind::Map(vec![(
                            Key {
                                name: "index".into(),
                                span: c.span,
                            },
                            u,
                        )]),
                        c.span,
                    );
                    Expansion::Unknown(obj)
                }
            };
        }
        if let Some(f) = body.attr("for_each") {
            let v = self.eval(&f.expr, &Scope::empty());
            let entry = |k: String, kspan: Span, val: Val| {
                let obj = Val::new(
                    ValKind::Map(vec![
                        (
                            Key {
                                name: "key".into(),
                                span: kspan,
                            },
                            Val::str(k.clone(), kspan),
                        ),
                        (
                            Key {
                                name: "value".into(),
                                span: val.span,
                            },
                            val,
                        ),
                    ]),
                    f.span,
                );
                (InstKey::Str(k), obj)
            };
            return match &v.kind {
                ValKind::Map(entries) => Expansion::Many(
                    sorted_entries(entries)
                        .into_iter()
                        .take(MAX_ITEMS)
                        .map(|(k, val)| entry(k.name.clone(), k.span, val.clone()))
                        .collect(),
                ),
                ValKind::List(items) if items.iter().all(|i| as_string(i).is_some()) => {
                    let mut seen: Vec<(String, Span)> = items
                        .iter()
                        .filter_map(|i| as_string(i).map(|s| (s, i.span)))
                        .collect();
                    seen.sort_by(|a, b| a.0.cmp(&b.0));
                    seen.dedup_by(|a, b| a.0 == b.0);
                    Expansion::Many(
                        seen.into_iter()
                            .take(MAX_ITEMS)
                            .map(|(s, sp)| entry(s.clone(), sp, Val::str(s, sp)))
                            .collect(),
                    )
                }
                _ => {
                    let reason = match &v.kind {
                        ValKind::Unknown(u) => u.reason.clone(),
                        ValKind::List(_) => {
                            "the for_each set holds values that are not known strings".into()
                        }
                        _ => "for_each is not a map or set".into(),
                    };
                    let why = format!("for_each of {}{addr} is unknown ({reason})", self.prefix);
                    let obj = Val::new(
                        ValKind::Map(vec![
                            (
                                Key {
                                    name: "key".into(),
                                    span: f.span,
                                },
                                Val::unknown("each.key", why.clone(), f.span),
                            ),
                            (
                                Key {
                                    name: "value".into(),
                                    span: f.span,
                                },
                                Val::unknown("each.value", why, f.span),
                            ),
                        ]),
                        f.span,
                    );
                    Expansion::Unknown(obj)
                }
            };
        }
        Expansion::Single
    }

    /// The value of a resource or data source reference (all instances).
    fn resource_ref(&self, data: bool, ty: &str, name: &str, span: Span) -> Val {
        let Some((idx, res)) = self.def.resource(data, ty, name) else {
            let what = if data {
                format!("data.{ty}.{name}")
            } else {
                format!("{ty}.{name}")
            };
            return match (data, ty) {
                (true, "aws_caller_identity") | (true, "aws_partition") | (true, "aws_region") => {
                    super::resources::well_known_data(ty, &what, span)
                }
                _ => Val::unknown(
                    self.sh.text(span),
                    format!("{}{what} is not declared in this module", self.prefix),
                    span,
                ),
            };
        };
        let key = if data { idx + 1_000_000 } else { idx };
        match self.resources.borrow().get(&key) {
            Some(Slot::Done(v)) => return v.clone(),
            Some(Slot::InProgress(_)) => {
                return Val::unknown(
                    self.sh.text(span),
                    format!("{}{} refers to itself", self.prefix, res.address()),
                    span,
                );
            }
            None => {}
        }
        self.resources
            .borrow_mut()
            .insert(key, Slot::InProgress(res.span));
        let v = self.resource_value(res);
        self.resources
            .borrow_mut()
            .insert(key, Slot::Done(v.clone()));
        v
    }

    fn resource_value(&self, res: &Resource) -> Val {
        let addr = res.address();
        let is_count = res.body.attr("count").is_some();
        match self.expansion(&res.body, &addr) {
            Expansion::Single => self.instance_object(res, &InstKey::None, &Scope::empty()),
            Expansion::Many(items) => {
                let mut list = Vec::new();
                let mut map = Vec::new();
                for (k, v) in items {
                    let sc = Scope::empty();
                    let sc = sc.with(if is_count { "count" } else { "each" }, v);
                    let obj = self.instance_object(res, &k, &sc);
                    match k {
                        InstKey::Str(s) => map.push((
                            Key {
                                name: s,
                                span: res.span,
                            },
                            obj,
                        )),
                        _ => list.push(obj),
                    }
                }
                if is_count {
                    Val::new(ValKind::List(list), res.span)
                } else {
                    Val::new(ValKind::Map(map), res.span)
                }
            }
            // An unknown count (typically `var.enabled ? 1 : 0`) gives one template instance,
            // as the role beside it is checked once as a template: `x[0]`, `x[*]` and
            // `one(x[*])` then read the document instead of losing it.
            Expansion::Off(_, off) if !off.by_default => {
                if is_count {
                    Val::new(ValKind::List(Vec::new()), res.span)
                } else {
                    Val::new(ValKind::Map(Vec::new()), res.span)
                }
            }
            Expansion::Unknown(v) | Expansion::Off(v, _) if is_count => {
                let empty = Scope::empty();
                let sc = empty.with("count", v);
                let obj = self.instance_object(res, &InstKey::None, &sc);
                Val::new(ValKind::List(vec![obj]), res.span)
            }
            Expansion::Unknown(v) | Expansion::Off(v, _) => {
                let reason = v
                    .unknowns()
                    .first()
                    .map_or("the instances are unknown".to_string(), |(_, u)| {
                        u.reason.clone()
                    });
                Val::unknown(format!("{}{addr}", self.prefix), reason, res.span)
            }
        }
    }

    /// One instance as an object: its arguments and the attributes we can compute.
    pub fn instance_object(&self, res: &Resource, key: &InstKey, scope: &Scope) -> Val {
        let full = format!("{}{}{}", self.prefix, res.address(), key.suffix());
        let mut entries: Vec<(Key, Val)> = vec![(
            Key {
                name: "__resource__".into(),
                span: res.span,
            },
            Val::str(full.clone(), res.span),
        )];
        for a in &res.body.attrs {
            if matches!(
                a.name.as_str(),
                "count" | "for_each" | "depends_on" | "provider"
            ) {
                continue;
            }
            entries.push((
                Key {
                    name: a.name.clone(),
                    span: a.key_span,
                },
                self.eval(&a.expr, scope),
            ));
        }
        self.block_entries(&res.body, &full, scope, &mut entries);
        let mut obj = Val::new(ValKind::Map(entries), res.span);
        super::resources::computed_attrs(self, res, &full, scope, &mut obj);
        obj
    }

    /// The nested blocks of a resource body as Terraform exposes them: each block type a list
    /// of objects (`metadata[0].name`), holding the arguments the configuration sets; an
    /// argument it does not set is computed ("known only after apply"). A block type that a
    /// `dynamic` block also writes is left out (its instances are not all known here), and so
    /// are Terraform's own blocks.
    fn block_entries(&self, body: &Body, at: &str, scope: &Scope, entries: &mut Vec<(Key, Val)>) {
        let mut kinds: Vec<&str> = Vec::new();
        for b in &body.blocks {
            if !kinds.contains(&b.kind.as_str()) {
                kinds.push(&b.kind);
            }
        }
        for kind in kinds {
            let meta = matches!(
                kind,
                "dynamic" | "lifecycle" | "provisioner" | "connection" | "timeouts"
            );
            let dynamic = body
                .blocks("dynamic")
                .any(|d| d.labels.first().is_some_and(|l| l == kind));
            if meta || dynamic || entries.iter().any(|(k, _)| k.name == kind) {
                continue;
            }
            let mut items = Vec::new();
            let mut first_span = None;
            for (i, b) in body.blocks(kind).enumerate() {
                first_span.get_or_insert(b.span);
                let addr = format!("{at}.{kind}[{i}]");
                let mut inner = vec![
                    (
                        Key {
                            name: "__resource__".into(),
                            span: b.span,
                        },
                        Val::str(addr.clone(), b.span),
                    ),
                    (
                        Key {
                            name: BLOCK_MARK.into(),
                            span: b.span,
                        },
                        Val::new(ValKind::Bool(true), b.span),
                    ),
                ];
                for a in &b.body.attrs {
                    inner.push((
                        Key {
                            name: a.name.clone(),
                            span: a.key_span,
                        },
                        self.eval(&a.expr, scope),
                    ));
                }
                self.block_entries(&b.body, &addr, scope, &mut inner);
                items.push(Val::new(ValKind::Map(inner), b.span));
            }
            if let Some(span) = first_span {
                entries.push((
                    Key {
                        name: kind.to_string(),
                        span,
                    },
                    Val::new(ValKind::List(items), span),
                ));
            }
        }
    }

    /// `module.name[...]...`: returns the value and how many operators were used.
    fn module_ref(
        &self,
        name: &str,
        rest: &[&TraversalOperator],
        file: FileId,
        base: usize,
        scope: &Scope,
        span: Span,
    ) -> (Val, usize) {
        let Some(call) = self.def.module_call(name) else {
            return (
                Val::unknown(
                    self.sh.text(span),
                    format!("module.{name} is not declared in this module"),
                    span,
                ),
                1 + rest.len(),
            );
        };
        let has_many = call.body.attr("count").is_some() || call.body.attr("for_each").is_some();
        let mut used = 1;
        let key = if has_many {
            match rest.first() {
                Some(TraversalOperator::Index(ie)) => {
                    used += 1;
                    let k = self.eval_hcl(ie, file, base, scope);
                    match (&k.kind, as_num(&k), as_string(&k)) {
                        (ValKind::Unknown(u), _, _) => {
                            return (
                                Val::unknown(self.sh.text(span), u.reason.clone(), span),
                                1 + rest.len(),
                            );
                        }
                        (ValKind::Number(_), Some(n), _) if n >= 0.0 => {
                            Some(InstKey::Int(n as usize))
                        }
                        (_, _, Some(s)) => Some(InstKey::Str(s)),
                        _ => {
                            return (
                                err_val(self.sh.text(span), "bad module instance key", span),
                                1 + rest.len(),
                            );
                        }
                    }
                }
                _ => None,
            }
        } else {
            Some(InstKey::None)
        };
        let output = match rest.get(used - 1) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
            _ => None,
        };
        let Some(key) = key else {
            // `module.x` with count/for_each used whole: a collection of all instances.
            let v = self.module_all(call, span);
            return (v, used);
        };
        match output {
            Some(o) => (self.module_output(call, &key, &o, span), used + 1),
            None => (self.module_object(call, &key, span), used),
        }
    }

    fn module_all(&self, call: &ModuleCall, span: Span) -> Val {
        let is_count = call.body.attr("count").is_some();
        match self.expansion(&call.body, &format!("module.{}", call.name)) {
            Expansion::Many(items) => {
                let mut list = Vec::new();
                let mut map = Vec::new();
                for (k, _) in items {
                    let obj = self.module_object(call, &k, span);
                    match k {
                        InstKey::Str(s) => map.push((Key { name: s, span }, obj)),
                        _ => list.push(obj),
                    }
                }
                if is_count {
                    Val::new(ValKind::List(list), span)
                } else {
                    Val::new(ValKind::Map(map), span)
                }
            }
            Expansion::Off(_, off) if !off.by_default => {
                if is_count {
                    Val::new(ValKind::List(Vec::new()), span)
                } else {
                    Val::new(ValKind::Map(Vec::new()), span)
                }
            }
            other => {
                // Say why: the count or for_each's own unknown (or the default that left it
                // empty).
                let why = match &other {
                    Expansion::Unknown(v) | Expansion::Off(v, _) => v
                        .unknowns()
                        .first()
                        .map(|(_, u)| format!(" ({})", u.reason))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                Val::unknown(
                    self.sh.text(span),
                    format!("the instances of module.{} are unknown{why}", call.name),
                    span,
                )
            }
        }
    }

    fn module_object(&self, call: &ModuleCall, key: &InstKey, span: Span) -> Val {
        match self.child(call, key) {
            Ok(child) => {
                let names: Vec<String> = child.def.outputs.iter().map(|o| o.0.clone()).collect();
                let entries = names
                    .into_iter()
                    .map(|n| {
                        let v = child.output(&n, span);
                        (Key { name: n, span }, v)
                    })
                    .collect();
                Val::new(ValKind::Map(entries), span)
            }
            Err(u) => Val { span, ..u },
        }
    }

    fn module_output(&self, call: &ModuleCall, key: &InstKey, name: &str, span: Span) -> Val {
        match self.child(call, key) {
            Ok(child) => child.output(name, span),
            // Not on disk: the output its interface describes, if any.
            Err(u) => match super::registry::output(self, call, key, name, span) {
                Some(v) => v,
                None => match u.as_unknown() {
                    Some(x) => Val::unknown(self.sh.text(span), x.reason.clone(), span),
                    None => u,
                },
            },
        }
    }

    /// An output of this instance.
    pub fn output(&self, name: &str, span: Span) -> Val {
        match self.outputs.borrow().get(name) {
            Some(Slot::Done(v)) => return v.clone(),
            Some(Slot::InProgress(_)) => {
                return Val::unknown(
                    format!("{}{name}", self.prefix),
                    format!("{ERR}output {name} refers to itself"),
                    span,
                );
            }
            None => {}
        }
        let Some((_, ospan, attr)) = self.def.outputs.iter().find(|o| o.0 == name) else {
            return err_val(
                format!("{}{name}", self.prefix),
                format!("the module has no output `{name}`"),
                span,
            );
        };
        self.outputs
            .borrow_mut()
            .insert(name.to_string(), Slot::InProgress(*ospan));
        let v = match attr {
            Some(a) => self.eval(&a.expr, &Scope::empty()),
            None => Val::new(ValKind::Null, *ospan),
        };
        self.outputs
            .borrow_mut()
            .insert(name.to_string(), Slot::Done(v.clone()));
        v
    }

    /// The child instance of a module call (created once). `Err` holds an unknown explaining
    /// why its outputs cannot be known (source not on disk, cycle, depth).
    pub fn child(&self, call: &ModuleCall, key: &InstKey) -> Result<Rc<Instance<'c>>, Val> {
        let k = (call.name.clone(), key.clone());
        if let Some(r) = self.children.borrow().get(&k) {
            return r.clone();
        }
        let r = super::module::instantiate(self, call, key).map(Rc::new);
        self.children.borrow_mut().insert(k, r.clone());
        r
    }
}

/// A variable's value as seen at its use: known values keep the span where they were written;
/// an unknown gets the span of the use.
fn use_site(v: Val, span: Span) -> Val {
    if v.is_unknown() { Val { span, ..v } } else { v }
}

pub fn kind_name(v: &Val) -> &'static str {
    match v.kind {
        ValKind::Null => "null",
        ValKind::Bool(_) => "a bool",
        ValKind::Number(_) => "a number",
        ValKind::Str(_) => "a string",
        ValKind::List(_) => "a list",
        ValKind::Map(_) => "an object",
        ValKind::Unknown(_) => "an unknown value",
    }
}
