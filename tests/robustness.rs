//! Robustness: "no panic is reachable from any input file" and "spans always inside the file".
//!
//! Property tests feed mutated fixtures (testdata/ and examples/) and randomly generated
//! Terraform and CloudFormation inputs to the whole check (`run::check`: discover, load,
//! resolve, extract, rules) and assert that
//! 1. nothing panics and every run finishes quickly (each run has a watchdog),
//! 2. every span (roles, trust and permission documents, findings and their labels, the
//!    unknowns of the trust policy) lies inside its file, on char boundaries, and every error's
//!    line and column is inside the file,
//! 3. the same input gives the same findings twice.
//!
//! Plain tests cover known hostile shapes (alias bombs, deep nesting, huge ranges, recursion,
//! reads outside the root, symlinks).
//!
//! Seeds are fixed so that a failure reproduces; set `PROPTEST_RNG_SEED=<n>` for another seed and
//! `PROPTEST_CASES=<n>` for a longer fuzzing session.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use iamlint::config::Config;
use iamlint::iam::model::{PolicyDocument, Role, Str};
use iamlint::rules::Rule;
use iamlint::run::{self, Options, Outcome};
use iamlint::span::{SourceFile, Span};
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestCaseError};

// ------------------------------------------------------------------------------------------
// Harness
// ------------------------------------------------------------------------------------------

/// How long one whole check of one small input may take (debug build, 2 cores, tests running in
/// parallel). Generous: the point is to catch hangs and blowups, not to benchmark.
const WATCHDOG: Duration = Duration::from_secs(20);

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| iamlint::rules::builtin().expect("builtin rules"))
}

fn config(default_cases: u32) -> ProptestConfig {
    let env_cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok());
    let seeded = std::env::var("PROPTEST_RNG_SEED").is_ok();
    let mut c = ProptestConfig {
        cases: env_cases.unwrap_or(default_cases),
        failure_persistence: None,
        max_shrink_iters: 256,
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    };
    if !seeded {
        c.rng_seed = RngSeed::Fixed(0x1a31_1a31);
    }
    c
}

/// Writes `files` (relative path, bytes) under a fresh temporary directory.
fn write_tree(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (rel, bytes) in files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write");
    }
}

/// Runs the whole check on `paths` in a thread with a watchdog. A panic in the check is
/// re-raised here; a run over the watchdog fails with `what` in the message.
fn check_paths(paths: Vec<PathBuf>, what: &str) -> Outcome {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("iamlint-check".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let opts = Options {
                paths,
                ..Options::default()
            };
            let start = Instant::now();
            let out = run::check(&opts, &Config::default(), rules());
            let _ = tx.send((out, start.elapsed()));
        })
        .expect("spawn");
    match rx.recv_timeout(WATCHDOG) {
        Ok((out, _elapsed)) => {
            let _ = handle.join();
            out.unwrap_or_else(|e| panic!("check failed to start on {what}: {e}"))
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => panic!("check thread ended without a result on {what}"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            // The thread is leaked; the test fails.
            panic!("check did not finish within {WATCHDOG:?} on {what}")
        }
    }
}

/// Writes the files to a temporary directory and checks it twice.
fn check_files(files: &[(String, Vec<u8>)]) -> Result<Outcome, TestCaseError> {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), files);
    let what = describe(files);
    let first = check_paths(vec![dir.path().to_path_buf()], &what);
    if std::env::var_os("IAMLINT_ROBUSTNESS_STATS").is_some() {
        // One line per case: how far the input got (to tune the generators).
        eprintln!(
            "STATS roles={} findings={} errors={} unknowns={} {:?}",
            first.roles.len(),
            first.findings.len(),
            first.errors.len(),
            first
                .roles
                .iter()
                .map(|r| r.trust_unknowns().len())
                .sum::<usize>(),
            first.errors.first().map(|e| &e.message)
        );
        if std::env::var_os("IAMLINT_ROBUSTNESS_STATS").is_some_and(|v| v == "2") {
            eprintln!("INPUT {what}\nERRORS {:?}", first.errors);
        }
    }
    validate(&first, &what)?;
    let second = check_paths(vec![dir.path().to_path_buf()], &what);
    let (a, b) = (summary(&first), summary(&second));
    prop_assert_eq!(a, b, "not deterministic on {}", what);
    Ok(first)
}

fn describe(files: &[(String, Vec<u8>)]) -> String {
    let mut s = String::new();
    for (rel, bytes) in files {
        s.push_str(&format!(
            "\n--- {rel} ({} bytes) ---\n{}",
            bytes.len(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(4000)])
        ));
    }
    s
}

/// A finding as compared across runs: file, rule, line, message.
type FindingKey = (String, String, usize, String);

/// Findings (rule, line, message) and errors, for the determinism check.
fn summary(o: &Outcome) -> (Vec<FindingKey>, Vec<String>) {
    let findings = o
        .findings
        .iter()
        .map(|f| {
            let line = o.sources.range(f.span).map_or(0, |(s, _)| s.line);
            (
                o.sources
                    .display(f.span.file)
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string(),
                f.rule.clone(),
                line,
                f.message.clone(),
            )
        })
        .map(|(file, rule, line, msg)| (format!("{file}:{rule}"), rule, line, msg))
        .collect();
    let errors = o
        .errors
        .iter()
        .map(|e| format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message))
        .collect();
    (findings, errors)
}

// ------------------------------------------------------------------------------------------
// Span checks
// ------------------------------------------------------------------------------------------

struct SpanCheck<'a> {
    o: &'a Outcome,
    files: BTreeMap<u32, Arc<SourceFile>>,
    bad: Vec<String>,
}

impl SpanCheck<'_> {
    fn span(&mut self, span: Span, what: &str) {
        let Some(f) = self.files.get(&span.file.0) else {
            self.bad
                .push(format!("{what}: span {span:?} names no loaded file"));
            return;
        };
        let (s, e, len) = (span.start as usize, span.end as usize, f.text.len());
        if !(s <= e && e <= len) {
            self.bad.push(format!(
                "{what}: span {s}..{e} outside {} ({len} bytes)",
                f.display
            ));
        } else if !f.text.is_char_boundary(s) || !f.text.is_char_boundary(e) {
            self.bad.push(format!(
                "{what}: span {s}..{e} not on char boundaries in {}",
                f.display
            ));
        }
        let _ = self.o;
    }

    fn str(&mut self, s: &Str, what: &str) {
        self.span(s.span, what);
    }

    fn doc(&mut self, d: &PolicyDocument, what: &str) {
        self.span(d.span, &format!("{what} document"));
        if let Some(v) = &d.version {
            self.str(v, &format!("{what} Version"));
        }
        for p in &d.problems {
            self.span(p.span, &format!("{what} problem `{}`", p.message));
        }
        for (s, u) in &d.unknowns {
            self.span(*s, &format!("{what} unknown `{}`", u.expr));
        }
        for (i, st) in d.statements.iter().enumerate() {
            let w = format!("{what} statement {i}");
            self.span(st.span, &w);
            self.span(st.effect_span, &format!("{w} Effect"));
            if let Some(sid) = &st.sid {
                self.str(sid, &format!("{w} Sid"));
            }
            for set in [&st.principal, &st.not_principal].into_iter().flatten() {
                self.span(set.key_span, &format!("{w} Principal key"));
                self.span(set.span, &format!("{w} Principal"));
                for p in &set.entries {
                    self.str(&p.value, &format!("{w} principal {}", p.type_name));
                }
            }
            for list in [&st.action, &st.not_action, &st.resource, &st.not_resource]
                .into_iter()
                .flatten()
            {
                self.span(list.key_span, &format!("{w} Action/Resource key"));
                for it in &list.items {
                    self.str(it, &format!("{w} Action/Resource item"));
                }
            }
            if let Some(s) = st.condition_span {
                self.span(s, &format!("{w} Condition"));
            }
            for c in &st.conditions {
                self.span(c.span, &format!("{w} condition"));
                self.str(&c.operator, &format!("{w} condition operator"));
                self.str(&c.key, &format!("{w} condition key"));
                for v in &c.values {
                    self.str(v, &format!("{w} condition value"));
                }
            }
        }
    }

    fn role(&mut self, r: &Role) {
        let what = format!("role {}", r.address);
        self.span(r.span, &what);
        for (s, n) in [(&r.name, "name"), (&r.path, "path")] {
            if let Some(s) = s {
                self.str(s, &format!("{what} {n}"));
            }
        }
        if let Some(s) = r.trust_span {
            self.span(s, &format!("{what} trust attribute"));
        }
        if let Some((s, _)) = &r.trust_unknown {
            self.span(*s, &format!("{what} trust unknown"));
        }
        if let Some(d) = &r.trust {
            self.doc(d, &format!("{what} trust"));
        }
        for (s, u) in r.trust_unknowns() {
            self.span(s, &format!("{what} trust_unknowns() `{}`", u.expr));
        }
        for p in &r.inline_policies {
            let w = format!("{what} policy {}", p.origin);
            self.span(p.span, &w);
            if let Some(n) = &p.name {
                self.str(n, &format!("{w} name"));
            }
            if let Some((s, _)) = &p.unknown {
                self.span(*s, &format!("{w} unknown"));
            }
            if let Some(d) = &p.document {
                self.doc(d, &w);
            }
        }
        for m in &r.managed_policies {
            self.str(&m.arn, &format!("{what} managed policy {}", m.origin));
        }
        for (s, n) in [
            (&r.permissions_boundary, "permissions boundary"),
            (&r.max_session_duration, "max session duration"),
        ] {
            if let Some(s) = s {
                self.str(s, &format!("{what} {n}"));
            }
        }
    }
}

/// Line counts of the files errors may name: loaded files by display path, and files on disk
/// (load failures are not in the source map).
fn error_file_lines(o: &Outcome, file: &str) -> Option<usize> {
    for (_, f) in o.sources.all() {
        if f.display == file {
            return Some(f.line_count());
        }
    }
    let bytes = std::fs::read(file).ok()?;
    Some(bytes.iter().filter(|b| **b == b'\n').count() + 1)
}

fn validate(o: &Outcome, what: &str) -> Result<(), TestCaseError> {
    let mut c = SpanCheck {
        o,
        files: o
            .sources
            .all()
            .into_iter()
            .map(|(id, f)| (id.0, f))
            .collect(),
        bad: Vec::new(),
    };
    for r in &o.roles {
        c.role(r);
    }
    for f in &o.findings {
        c.span(f.span, &format!("finding {} `{}`", f.rule, f.message));
        for (s, l) in &f.labels {
            c.span(*s, &format!("label `{l}` of finding {}", f.rule));
        }
    }
    for e in &o.errors {
        let ok_pos = e.line >= 1 && e.column >= 1;
        let lines = error_file_lines(o, &e.file);
        let in_file = lines.is_none_or(|n| e.line <= n + 1);
        if !ok_pos || !in_file {
            c.bad.push(format!(
                "error {}:{}:{} `{}` outside the file ({lines:?} lines)",
                e.file, e.line, e.column, e.message
            ));
        }
        // The column must fit the line it names.
        if let Some(f) = c.files.values().find(|f| f.display == e.file)
            && let Some(range) = f.line_range(e.line.saturating_sub(1))
        {
            let chars = f.text[range].chars().count();
            if e.column > chars + 1 {
                c.bad.push(format!(
                    "error {}:{}:{} `{}`: the line has only {chars} characters",
                    e.file, e.line, e.column, e.message
                ));
            }
        }
    }
    // Reported positions go through line_col; it must not panic on any span.
    for f in &o.findings {
        let _ = o.sources.range(f.span);
    }
    prop_assert!(c.bad.is_empty(), "{}\non input:{}", c.bad.join("\n"), what);
    Ok(())
}

// ------------------------------------------------------------------------------------------
// (a) Mutations of the fixtures
// ------------------------------------------------------------------------------------------

/// A fixture group: a directory copied as a whole (modules, nested stacks and tfvars files
/// come with it).
struct Group {
    name: String,
    files: Vec<(String, Vec<u8>)>,
}

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, base, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().to_string();
            out.push((rel, bytes));
        }
    }
}

fn groups() -> &'static [Group] {
    static GROUPS: OnceLock<Vec<Group>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for kind in ["testdata/terraform", "testdata/cloudformation"] {
            let mut dirs: Vec<_> = std::fs::read_dir(root.join(kind))
                .expect("testdata")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            dirs.sort();
            for d in dirs {
                let mut files = Vec::new();
                collect(&d, &d, &mut files);
                out.push(Group {
                    name: d.strip_prefix(root).unwrap().display().to_string(),
                    files,
                });
            }
        }
        let mut files = Vec::new();
        collect(&root.join("examples"), &root.join("examples"), &mut files);
        out.push(Group {
            name: "examples".into(),
            files,
        });
        out.retain(|g| !g.files.is_empty());
        out
    })
}

fn is_text_input(rel: &str) -> bool {
    [
        ".tf",
        ".json",
        ".yaml",
        ".yml",
        ".tfvars",
        ".tpl",
        ".template",
    ]
    .iter()
    .any(|x| rel.ends_with(x))
}

const SPECIALS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"'",
    b"${",
    b"%{",
    b"${var.x}",
    b"%{ for x in range(3) }${x}%{ endfor }",
    b"!Ref ",
    b"!Sub ",
    b"!GetAtt ",
    b"!If [",
    b"*",
    b"&a ",
    b"*a",
    b"<<EOF\n",
    b"<<-EOT\n",
    b"\nEOF\n",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xef\xbb\xbf",
    b"\r",
    b"\r\n",
    b"\t",
    b":",
    b": ",
    b"- ",
    b"? ",
    b"|",
    b">-",
    b"#",
    b"//",
    b"/*",
    b"*/",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"---\n",
    b"...\n",
    b"%YAML 1.2\n",
    b"<<: *a\n",
    b"=",
    b"=>",
    b"...",
    b"?",
    b",",
    "é".as_bytes(),
    "𝄞".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{feff}".as_bytes(),
    "\u{2028}".as_bytes(),
    b"1e999",
    b"-9223372036854775809",
    b"18446744073709551616",
    b"0x",
    b"null",
    b"jsonencode(",
    b"module.",
    b"local.",
    b"each.",
    b"count.index",
];

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(prop::sample::Index, u8),
    SetByte(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    DeleteLines(prop::sample::Index, usize),
    DuplicateLines(prop::sample::Index, usize, usize),
    Insert(prop::sample::Index, prop::sample::Index),
    LongLine(prop::sample::Index, usize, u8),
    SwapLines(prop::sample::Index, prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = any::<prop::sample::Index>;
    prop_oneof![
        (idx(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (idx(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        idx().prop_map(Mutation::Truncate),
        (idx(), 1usize..6).prop_map(|(i, n)| Mutation::DeleteLines(i, n)),
        (idx(), 1usize..6, 1usize..4).prop_map(|(i, n, k)| Mutation::DuplicateLines(i, n, k)),
        (idx(), idx()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        (
            idx(),
            100usize..3000,
            prop::sample::select(b"x[{\"$ *".to_vec())
        )
            .prop_map(|(i, n, c)| Mutation::LongLine(i, n, c)),
        (idx(), idx()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        // Inserting specials is the most productive: weigh it up.
        (idx(), idx()).prop_map(|(i, s)| Mutation::Insert(i, s)),
    ]
}

fn lines_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn apply(m: &Mutation, bytes: &mut Vec<u8>) {
    let pos = |i: &prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
    match m {
        Mutation::FlipBit(i, bit) => {
            if !bytes.is_empty() {
                let p = i.index(bytes.len());
                bytes[p] ^= 1 << bit;
            }
        }
        Mutation::SetByte(i, b) => {
            if !bytes.is_empty() {
                let p = i.index(bytes.len());
                bytes[p] = *b;
            }
        }
        Mutation::Truncate(i) => {
            let p = pos(i, bytes.len());
            bytes.truncate(p);
        }
        Mutation::DeleteLines(i, n) => {
            let mut lines = lines_of(bytes);
            if !lines.is_empty() {
                let s = i.index(lines.len());
                let e = (s + n).min(lines.len());
                lines.drain(s..e);
                *bytes = lines.concat();
            }
        }
        Mutation::DuplicateLines(i, n, k) => {
            let mut lines = lines_of(bytes);
            if !lines.is_empty() {
                let s = i.index(lines.len());
                let e = (s + n).min(lines.len());
                let chunk: Vec<Vec<u8>> = lines[s..e].to_vec();
                for _ in 0..*k {
                    for (j, l) in chunk.iter().enumerate() {
                        lines.insert(e + j, l.clone());
                    }
                }
                *bytes = lines.concat();
            }
        }
        Mutation::Insert(i, s) => {
            let p = pos(i, bytes.len());
            let what = SPECIALS[s.index(SPECIALS.len())];
            bytes.splice(p..p, what.iter().copied());
        }
        Mutation::LongLine(i, n, c) => {
            let p = pos(i, bytes.len());
            bytes.splice(p..p, std::iter::repeat_n(*c, *n));
        }
        Mutation::SwapLines(a, b) => {
            let mut lines = lines_of(bytes);
            if !lines.is_empty() {
                let (x, y) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(x, y);
                *bytes = lines.concat();
            }
        }
    }
}

fn mutated_fixture(
    group: &prop::sample::Index,
    file: &prop::sample::Index,
    muts: &[Mutation],
) -> Vec<(String, Vec<u8>)> {
    let gs = groups();
    let g = &gs[group.index(gs.len())];
    let mut files = g.files.clone();
    let candidates: Vec<usize> = (0..files.len())
        .filter(|i| is_text_input(&files[*i].0))
        .collect();
    if candidates.is_empty() {
        return files;
    }
    let target = candidates[file.index(candidates.len())];
    for m in muts {
        apply(m, &mut files[target].1);
    }
    // Keep the group name visible in failure messages.
    let _ = &g.name;
    files
}

proptest! {
    #![proptest_config(config(64))]

    /// One fixture group, one of its files mutated one to four times.
    #[test]
    fn mutated_fixtures_never_panic_and_spans_stay_inside(
        group in any::<prop::sample::Index>(),
        file in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..5),
    ) {
        let files = mutated_fixture(&group, &file, &muts);
        check_files(&files)?;
    }

    /// Heavier damage: many special insertions at once.
    #[test]
    fn heavily_mutated_fixtures(
        group in any::<prop::sample::Index>(),
        file in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 5..24),
    ) {
        let files = mutated_fixture(&group, &file, &muts);
        check_files(&files)?;
    }
}

// ------------------------------------------------------------------------------------------
// (b) Generated Terraform
// ------------------------------------------------------------------------------------------

fn hcl_ident() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "acct", "ids", "x"]).prop_map(str::to_string)
}

fn hcl_string_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "arn:aws:iam::123456789012:root",
            "*",
            "ec2.amazonaws.com",
            "sts:AssumeRole",
            "arn:aws:iam::",
            ":root",
            "accounts.google.com",
            "o-abc",
            "%s",
            "%d",
            "%v",
            "%%",
            "%",
            "$$",
            "%%{",
            "$${",
            "é",
            "\\n",
            "\\\"",
            "\\u00e9",
            "\\u{1F600}",
            "",
        ])
        .prop_map(str::to_string),
        hcl_ident().prop_map(|i| format!("${{var.{i}}}")),
        hcl_ident().prop_map(|i| format!("${{local.{i}}}")),
        Just("${data.aws_caller_identity.current.account_id}".to_string()),
        Just("${path.module}".to_string()),
        Just("${each.key}".to_string()),
        Just("${count.index}".to_string()),
        Just("%{ if true }y%{ else }n%{ endif }".to_string()),
        Just("%{ for x in [1, 2] }${x},%{ endfor }".to_string()),
        "[a-z0-9:*]{0,12}",
    ]
}

fn hcl_string() -> impl Strategy<Value = String> {
    prop::collection::vec(hcl_string_piece(), 0..4).prop_map(|p| format!("\"{}\"", p.concat()))
}

const HCL_FUNCS: &[&str] = &[
    "jsonencode",
    "jsondecode",
    "join",
    "format",
    "formatlist",
    "concat",
    "flatten",
    "merge",
    "lookup",
    "element",
    "length",
    "range",
    "split",
    "replace",
    "try",
    "can",
    "coalesce",
    "coalescelist",
    "tolist",
    "toset",
    "tomap",
    "tostring",
    "tonumber",
    "distinct",
    "keys",
    "values",
    "upper",
    "lower",
    "substr",
    "slice",
    "zipmap",
    "contains",
    "compact",
    "reverse",
    "sort",
    "setproduct",
    "chunklist",
    "index",
    "regex",
    "regexall",
    "trimprefix",
    "trimsuffix",
    "startswith",
    "one",
    "sum",
    "max",
    "min",
    "pow",
    "abs",
    "ceil",
    "floor",
    "cidrsubnet",
    "cidrhost",
    "base64encode",
    "base64decode",
    "file",
    "templatefile",
    "fileexists",
    "fileset",
    "abspath",
    "yamldecode",
    "yamlencode",
    "strrev",
    "title",
    "transpose",
    "matchkeys",
    "urlencode",
    "nonexistent_function",
];

fn hcl_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => hcl_string(),
        1 => prop::sample::select(vec![
            "0", "1", "-1", "3", "1e3", "1.5", "9223372036854775808", "-9223372036854775809",
            "1e308", "1e400", "true", "false", "null", "\"10.0.0.0/8\"",
        ])
        .prop_map(str::to_string),
        2 => hcl_ident().prop_map(|i| format!("var.{i}")),
        2 => hcl_ident().prop_map(|i| format!("local.{i}")),
        1 => prop::sample::select(vec![
            "data.aws_caller_identity.current.account_id",
            "data.aws_iam_policy_document.doc.json",
            "aws_iam_role.r0.arn",
            "aws_iam_role.r0.name",
            "module.m.arn",
            "each.key",
            "each.value",
            "count.index",
            "path.module",
            "path.root",
            "terraform.workspace",
            "self",
            "x",
        ])
        .prop_map(str::to_string),
    ];
    leaf.prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((hcl_ident(), inner.clone()), 0..4).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", body.join(", "))
            }),
            (
                prop::sample::select(HCL_FUNCS.to_vec()),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(f, a)| format!("{f}({})", a.join(", "))),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("{c} ? {a} : {b}")),
            (inner.clone(), inner.clone()).prop_map(|(l, b)| format!("[for x in {l} : {b}]")),
            (inner.clone(), inner.clone())
                .prop_map(|(l, b)| format!("{{ for k, v in {l} : k => {b} }}")),
            (inner.clone(), inner.clone()).prop_map(|(l, b)| format!("{l}[{b}]")),
            inner.clone().prop_map(|e| format!("{e}[*].id")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("!{e}")),
            inner.clone().prop_map(|e| format!("-{e}")),
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "==", "!=", "<", "&&", "||"]),
                inner.clone()
            )
                .prop_map(|(a, o, b)| format!("{a} {o} {b}")),
            inner.clone().prop_map(|e| format!("\"x${{{e}}}y\"")),
            (inner.clone(), inner.clone())
                .prop_map(|(l, b)| format!("\"%{{ for x in {l} }}${{{b}}}%{{ endfor }}\"")),
        ]
    })
}

fn hcl_principal() -> impl Strategy<Value = String> {
    prop_oneof![
        hcl_expr(),
        Just("\"*\"".to_string()),
        (
            prop::sample::select(vec![
                "AWS",
                "Service",
                "Federated",
                "CanonicalUser",
                "Bogus"
            ]),
            hcl_expr()
        )
            .prop_map(|(t, v)| format!("{{ {t} = {v} }}")),
        (hcl_expr(), hcl_expr()).prop_map(|(k, v)| format!("{{ ({k}) = {v} }}")),
    ]
}

fn hcl_condition() -> impl Strategy<Value = String> {
    prop_oneof![
        hcl_expr(),
        (
            prop::sample::select(vec![
                "StringEquals",
                "StringLike",
                "StringEqualsIfExists",
                "ForAnyValue:StringLike",
                "ForAllValues:StringEquals",
                "Null",
                "Bool",
                "ArnLike",
                "StringEquals\u{0}",
            ]),
            prop::sample::select(vec![
                "sts:ExternalId",
                "aws:PrincipalOrgID",
                "token.actions.githubusercontent.com:sub",
                "aws:SourceArn",
                "aws:MultiFactorAuthPresent",
            ]),
            hcl_expr()
        )
            .prop_map(|(op, k, v)| format!("{{ {op:?} = {{ {k:?} = {v} }} }}")),
    ]
}

fn hcl_statement() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("\"Allow\"".to_string()),
            Just("\"Deny\"".to_string()),
            hcl_expr()
        ],
        hcl_principal(),
        prop_oneof![Just("\"sts:AssumeRole\"".to_string()), hcl_expr()],
        prop::option::of(hcl_condition()),
        any::<bool>(),
    )
        .prop_map(|(e, p, a, c, not)| {
            let pkey = if not { "NotPrincipal" } else { "Principal" };
            let mut s = format!("{{ Effect = {e}, {pkey} = {p}, Action = {a}");
            if let Some(c) = c {
                s.push_str(&format!(", Condition = {c}"));
            }
            s.push_str(" }");
            s
        })
}

fn heredoc_json() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["*", "arn:aws:iam::${var.a}:root", "${local.b}", "${jsonencode(var.ids)}"]),
        prop::option::of(hcl_expr()),
        any::<bool>(),
    )
        .prop_map(|(p, interp, indent)| {
            let extra = interp.map_or(String::new(), |e| {
                format!(", \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"${{{e}}}\"}}}}")
            });
            let (open, close) = if indent { ("<<-EOT", "  EOT") } else { ("<<EOF", "EOF") };
            format!(
                "{open}\n{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"{p}\"}}, \"Action\": \"sts:AssumeRole\"{extra}}}]}}\n{close}\n"
            )
        })
}

fn policy_document_data() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            (
                prop::sample::select(vec!["AWS", "Service", "Federated", "*"]),
                hcl_expr(),
                prop::option::of((hcl_expr(), hcl_expr())),
                prop::option::of(hcl_expr()),
            ),
            0..3,
        ),
        prop::option::of(hcl_expr()),
    )
        .prop_map(|(statements, source)| {
            let mut s = String::from("data \"aws_iam_policy_document\" \"doc\" {\n");
            if let Some(src) = source {
                s.push_str(&format!("  source_policy_documents = [{src}]\n"));
            }
            for (ty, ids, cond, for_each) in statements {
                if let Some(fe) = &for_each {
                    s.push_str(&format!("  dynamic \"statement\" {{\n    for_each = {fe}\n    content {{\n"));
                } else {
                    s.push_str("  statement {\n");
                }
                s.push_str("    actions = [\"sts:AssumeRole\"]\n");
                s.push_str(&format!(
                    "    principals {{\n      type = {ty:?}\n      identifiers = {ids}\n    }}\n"
                ));
                if let Some((var, vals)) = cond {
                    s.push_str(&format!(
                        "    condition {{\n      test = \"StringEquals\"\n      variable = {var}\n      values = {vals}\n    }}\n"
                    ));
                }
                s.push_str("  }\n");
                if for_each.is_some() {
                    s.push_str("  }\n");
                }
            }
            s.push_str("}\n");
            s
        })
}

fn hcl_module() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((hcl_ident(), prop::option::of(hcl_expr())), 0..3),
        prop::collection::vec((hcl_ident(), hcl_expr()), 0..4),
        prop::collection::vec(
            (
                prop_oneof![
                    3 => prop::collection::vec(hcl_statement(), 0..3).prop_map(|s| format!(
                        "jsonencode({{ Version = \"2012-10-17\", Statement = [{}] }})",
                        s.join(", ")
                    )),
                    1 => heredoc_json(),
                    1 => Just("data.aws_iam_policy_document.doc.json".to_string()),
                    1 => hcl_expr(),
                ],
                prop::option::of(prop_oneof![
                    hcl_expr().prop_map(|e| format!("for_each = {e}")),
                    hcl_expr().prop_map(|e| format!("count = {e}")),
                ]),
                prop::option::of(hcl_expr()),
            ),
            1..3,
        ),
        prop::option::of(policy_document_data()),
        prop::option::of(hcl_expr()),
    )
        .prop_map(|(vars, locals, roles, data, inline)| {
            let mut s = String::new();
            for (name, default) in vars {
                s.push_str(&format!("variable \"{name}\" {{\n"));
                if let Some(d) = default {
                    s.push_str(&format!("  default = {d}\n"));
                }
                s.push_str("}\n");
            }
            if !locals.is_empty() {
                s.push_str("locals {\n");
                for (k, v) in locals {
                    s.push_str(&format!("  {k} = {v}\n"));
                }
                s.push_str("}\n");
            }
            s.push_str("data \"aws_caller_identity\" \"current\" {}\n");
            if let Some(d) = data {
                s.push_str(&d);
            }
            for (i, (trust, meta, name)) in roles.into_iter().enumerate() {
                s.push_str(&format!("resource \"aws_iam_role\" \"r{i}\" {{\n"));
                if let Some(m) = meta {
                    s.push_str(&format!("  {m}\n"));
                }
                if let Some(n) = name {
                    s.push_str(&format!("  name = {n}\n"));
                }
                s.push_str(&format!("  assume_role_policy = {trust}\n"));
                if let Some(p) = &inline {
                    s.push_str(&format!(
                        "  inline_policy {{\n    name = \"p\"\n    policy = jsonencode({{ Statement = [{{ Effect = \"Allow\", Action = {p}, Resource = \"*\" }}] }})\n  }}\n"
                    ));
                }
                s.push_str("}\n");
            }
            s
        })
}

fn tfvars() -> impl Strategy<Value = String> {
    prop::collection::vec((hcl_ident(), hcl_expr()), 0..3).prop_map(|kv| {
        kv.into_iter()
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect()
    })
}

/// A trust policy JSON text with escapes, multibyte characters and interpolations, embedded
/// in Terraform as a quoted string or a heredoc (indented, CRLF): the spans of the embedded
/// document must be mapped back into the file exactly.
fn embedded_json_role() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "arn:aws:iam::123456789012:root",
        "*",
        "é",
        "𝄞",
        "\\u00e9",
        "\\ud834\\udd1e",
        "\\\"",
        "\\\\",
        "\\n",
        "\\t",
        "\\/",
        "${var.a}",
        "${local.b}",
        "$${x}",
        "%%{y}",
        "%{ if true }z%{ endif }",
        "\t",
        "",
    ]);
    (
        prop::collection::vec((piece.clone(), piece.clone()), 1..4),
        0u8..4,
        prop::sample::select(vec!["", "  ", "\t", "    ", "\u{3000}"]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(principals, form, indent, crlf, cond)| {
            let list: Vec<String> = principals
                .iter()
                .map(|(a, b)| format!("\"{a}{b}\""))
                .collect();
            let condition = if cond {
                format!(
                    ", \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": [{}]}}}}",
                    list.join(", ")
                )
            } else {
                String::new()
            };
            let json = format!(
                "{{\n{indent}\"Version\": \"2012-10-17\",\n{indent}\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\",\n{indent}{indent}\"Principal\": {{\"AWS\": [{}]}}{condition}}}]\n{indent}}}",
                list.join(", ")
            );
            let value = match form {
                0 => format!("<<EOF\n{json}\nEOF"),
                1 => format!(
                    "<<-EOT\n{}\n{indent}EOT",
                    json.lines().map(|l| format!("{indent}{l}")).collect::<Vec<_>>().join("\n")
                ),
                2 => {
                    // A quoted HCL string: escape quotes and backslashes, keep interpolations.
                    let q = json.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
                    format!("\"{q}\"")
                }
                _ => format!("jsonencode(jsondecode(<<EOF\n{json}\nEOF\n))"),
            };
            let tf = format!(
                "variable \"a\" {{\n  default = \"1é2\"\n}}\nlocals {{\n  b = \"𝄞\"\n}}\n{}",
                tf_role(&value)
            );
            if crlf { tf.replace('\n', "\r\n") } else { tf }
        })
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn embedded_json_spans_map_back_into_the_file(tf in embedded_json_role()) {
        let out = check_files(&[("main.tf".to_string(), tf.clone().into_bytes())])?;
        // Every known principal's span must cover text of the file that holds the principal.
        for r in &out.roles {
            let Some(doc) = &r.trust else { continue };
            let file = out.sources.get(r.span.file).expect("file");
            for st in &doc.statements {
                for set in [&st.principal, &st.not_principal].into_iter().flatten() {
                    for p in &set.entries {
                        let text = file.slice(p.value.span);
                        // A plain value (no escapes, no interpolation) must be under its span.
                        if let Some(v) = p.value.get()
                            && !v.is_empty()
                            && v.chars().all(|c| c.is_ascii_alphanumeric() || ":*".contains(c))
                            && tf.contains(&format!("\"{v}\""))
                            && !tf.contains("jsondecode")
                        {
                            prop_assert!(
                                text.contains(v),
                                "principal {:?} has span {:?} over {:?} in\n{}", v, p.value.span, text, tf
                            );
                        }
                        prop_assert!(
                            !text.is_empty() || p.value.span.start == p.value.span.end,
                            "empty slice for {:?} in {}", p.value, tf
                        );
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// A random module with variables, locals, roles (jsonencode, heredoc, policy document data
    /// source, arbitrary expression) and a tfvars file.
    #[test]
    fn generated_terraform(main in hcl_module(), vars in tfvars(), child in prop::option::of(hcl_module())) {
        let mut files = vec![
            ("main.tf".to_string(), main.into_bytes()),
            ("terraform.tfvars".to_string(), vars.into_bytes()),
        ];
        if let Some(child) = child {
            files.push(("modules/m/main.tf".to_string(), child.into_bytes()));
            files.push((
                "call.tf".to_string(),
                b"module \"m\" {\n  source = \"./modules/m\"\n  a = var.a\n  b = local.b\n}\n".to_vec(),
            ));
        }
        check_files(&files)?;
    }

    /// Generated Terraform, then mutated.
    #[test]
    fn generated_terraform_mutated(main in hcl_module(), muts in prop::collection::vec(mutation(), 1..6)) {
        let mut bytes = main.into_bytes();
        for m in &muts {
            apply(m, &mut bytes);
        }
        check_files(&[("main.tf".to_string(), bytes)])?;
    }
}

// ------------------------------------------------------------------------------------------
// (b) Generated CloudFormation
// ------------------------------------------------------------------------------------------

/// A template value: JSON-like, with intrinsic functions that render as `{"Fn::X": ...}` in
/// JSON and as `!X` (or the long form) in YAML.
#[derive(Clone, Debug)]
enum Node {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
    /// An intrinsic: name without `Fn::` (`Ref`, `Sub`, `If`, `Condition`...), argument.
    Fn(String, Box<Node>),
}

fn long_name(f: &str) -> String {
    if f == "Ref" || f == "Condition" {
        f.to_string()
    } else {
        format!("Fn::{f}")
    }
}

impl Node {
    fn json(&self) -> String {
        match self {
            Node::Str(s) => serde_json::to_string(s).unwrap(),
            Node::Num(n) => n.clone(),
            Node::Bool(b) => b.to_string(),
            Node::Null => "null".into(),
            Node::List(v) => format!(
                "[{}]",
                v.iter().map(Node::json).collect::<Vec<_>>().join(", ")
            ),
            Node::Map(kv) => format!(
                "{{{}}}",
                kv.iter()
                    .map(|(k, v)| format!("{}: {}", serde_json::to_string(k).unwrap(), v.json()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Node::Fn(f, a) => format!("{{\"{}\": {}}}", long_name(f), a.json()),
        }
    }

    /// YAML: flow style, with short-form tags when `short`.
    fn yaml_flow(&self, short: bool) -> String {
        match self {
            Node::Str(_) | Node::Num(_) | Node::Bool(_) | Node::Null => self.json(),
            Node::List(v) => format!(
                "[{}]",
                v.iter()
                    .map(|n| n.yaml_flow(short))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Node::Map(kv) => format!(
                "{{{}}}",
                kv.iter()
                    .map(|(k, v)| format!(
                        "{}: {}",
                        serde_json::to_string(k).unwrap(),
                        v.yaml_flow(short)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            // A tag cannot apply to a tagged node: the inner call takes the long form.
            Node::Fn(f, a) if short && f != "Condition" => match &**a {
                Node::Fn(g, b) => format!("!{f} {{\"{}\": {}}}", long_name(g), b.yaml_flow(short)),
                _ => format!("!{f} {}", a.yaml_flow(short)),
            },
            Node::Fn(f, a) => format!("{{\"{}\": {}}}", long_name(f), a.yaml_flow(short)),
        }
    }

    /// YAML: block style at `indent`, for the value after `key:` or `- `.
    fn yaml_block(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Node::List(v) if !v.is_empty() => {
                out.push('\n');
                for n in v {
                    out.push_str(&format!("{pad}-"));
                    n.yaml_block_item(indent + 2, out);
                }
            }
            Node::Map(kv) if !kv.is_empty() => {
                out.push('\n');
                for (k, v) in kv {
                    out.push_str(&format!("{pad}{}:", serde_json::to_string(k).unwrap()));
                    v.yaml_block(indent + 2, out);
                }
            }
            Node::Fn(f, a) if f != "Condition" => {
                out.push_str(&format!(" !{f}"));
                match &**a {
                    Node::List(_) | Node::Map(_) => a.yaml_block(indent, out),
                    Node::Fn(..) => out.push_str(&format!(" {}\n", a.yaml_flow(false))),
                    _ => {
                        out.push_str(&format!(" {}\n", a.yaml_flow(true)));
                    }
                }
            }
            _ => {
                out.push_str(&format!(" {}\n", self.yaml_flow(true)));
            }
        }
    }

    fn yaml_block_item(&self, indent: usize, out: &mut String) {
        match self {
            Node::Map(kv) if !kv.is_empty() => {
                // `- key: value` then the other keys aligned.
                let pad = " ".repeat(indent);
                for (i, (k, v)) in kv.iter().enumerate() {
                    if i == 0 {
                        out.push_str(&format!(" {}:", serde_json::to_string(k).unwrap()));
                    } else {
                        out.push_str(&format!("{pad}{}:", serde_json::to_string(k).unwrap()));
                    }
                    v.yaml_block(indent + 2, out);
                }
            }
            _ => self.yaml_block(indent, out),
        }
    }
}

fn cfn_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Acct",
        "Env",
        "IsProd",
        "NotProd",
        "Role0",
        "Role1",
        "Map",
        "Missing",
        "AWS::AccountId",
        "AWS::Region",
        "AWS::NoValue",
        "AWS::StackName",
        "AWS::Partition",
        "",
    ])
    .prop_map(str::to_string)
}

fn cfn_leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "arn:aws:iam::123456789012:root",
            "*",
            "ec2.amazonaws.com",
            "sts:AssumeRole",
            "Allow",
            "Deny",
            "2012-10-17",
            "arn:aws:iam::${Acct}:root",
            "${AWS::AccountId}",
            "${Missing}",
            "${!Literal}",
            "${",
            "}",
            "${Role0.Arn}",
            "a,b,c",
            "",
            "é𝄞",
            "10.0.0.0/8",
            "::/0",
        ])
        .prop_map(|s| Node::Str(s.to_string())),
        1 => prop::sample::select(vec![
            "0", "1", "-1", "2", "9223372036854775807", "9223372036854775808",
            "18446744073709551616", "-9223372036854775809", "1e308", "1.5", "4294967296",
        ])
        .prop_map(|s| Node::Num(s.to_string())),
        1 => any::<bool>().prop_map(Node::Bool),
        1 => Just(Node::Null),
        2 => cfn_name().prop_map(|n| Node::Fn("Ref".into(), Box::new(Node::Str(n)))),
    ]
}

fn cfn_value() -> impl Strategy<Value = Node> {
    cfn_leaf().prop_recursive(5, 48, 4, |inner| {
        let list = prop::collection::vec(inner.clone(), 0..4).prop_map(Node::List);
        let fnames = prop::sample::select(vec![
            "Ref", "Sub", "Join", "If", "Select", "Split", "FindInMap", "GetAtt", "Base64",
            "Cidr", "GetAZs", "ImportValue", "Equals", "Not", "And", "Or", "Condition",
            "Length", "ToJsonString", "Transform", "Bogus",
        ]);
        prop_oneof![
            3 => list.clone(),
            2 => prop::collection::vec((cfn_name(), inner.clone()), 0..4).prop_map(Node::Map),
            // An intrinsic with a well-shaped or malformed argument.
            6 => (fnames, prop_oneof![list, inner.clone()])
                .prop_map(|(f, a)| Node::Fn(f.to_string(), Box::new(a))),
            // Sub with variables map.
            1 => (inner.clone(), prop::collection::vec((cfn_name(), inner.clone()), 0..3))
                .prop_map(|(s, vars)| Node::Fn("Sub".into(), Box::new(Node::List(vec![s, Node::Map(vars)])))),
            // Select with a hostile index.
            1 => (prop::sample::select(vec!["0", "1", "-1", "9223372036854775808", "18446744073709551615", "1e20"]), inner.clone())
                .prop_map(|(i, l)| Node::Fn("Select".into(), Box::new(Node::List(vec![Node::Num(i.into()), l])))),
            // Cidr with huge counts.
            1 => (prop::sample::select(vec!["1", "256", "1000000000", "4294967296", "-1"]), prop::sample::select(vec!["8", "0", "128", "200", "-3"]))
                .prop_map(|(c, b)| Node::Fn("Cidr".into(), Box::new(Node::List(vec![
                    Node::Str("10.0.0.0/8".into()), Node::Num(c.into()), Node::Num(b.into())])))),
        ]
    })
}

/// A generated role: logical id, name, trust, policies, condition.
type CfnRole = (String, Option<String>, Node, Node, Option<Node>);

#[derive(Clone, Debug)]
struct CfnTemplate {
    parameters: Vec<(String, Node)>,
    conditions: Vec<(String, Node)>,
    mappings: Node,
    roles: Vec<CfnRole>,
    nested_self: bool,
}

fn cfn_template() -> impl Strategy<Value = CfnTemplate> {
    (
        prop::collection::vec((cfn_name(), cfn_leaf()), 0..3),
        prop::collection::vec((cfn_name(), cfn_value()), 0..3),
        cfn_value(),
        prop::collection::vec(
            (
                cfn_name(),
                prop::option::weighted(0.2, cfn_name()),
                prop::sample::select(vec![
                    "AWS::IAM::Role",
                    "AWS::IAM::Role",
                    "AWS::IAM::Role",
                    "AWS::Serverless::Function",
                    "AWS::IAM::Policy",
                    "AWS::IAM::ManagedPolicy",
                ]),
                cfn_value(),
                cfn_value(),
                prop::option::of(cfn_value()),
                any::<bool>(),
            ),
            1..3,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(params, conds, mappings, roles, nested_self)| CfnTemplate {
                parameters: params
                    .into_iter()
                    .map(|(n, d)| {
                        (
                            n,
                            Node::Map(vec![
                                ("Type".into(), Node::Str("String".into())),
                                ("Default".into(), d),
                            ]),
                        )
                    })
                    .collect(),
                conditions: conds,
                mappings,
                roles: roles
                    .into_iter()
                    .map(|(name, cond, ty, principal, condition, policies, wrap)| {
                        let mut st = vec![
                            ("Effect".to_string(), Node::Str("Allow".into())),
                            ("Principal".to_string(), principal),
                            ("Action".to_string(), Node::Str("sts:AssumeRole".into())),
                            ("Condition".to_string(), condition),
                        ];
                        if wrap {
                            st.swap(0, 3);
                        }
                        let doc = Node::Map(vec![
                            ("Version".into(), Node::Str("2012-10-17".into())),
                            ("Statement".into(), Node::List(vec![Node::Map(st)])),
                        ]);
                        let doc = if wrap {
                            Node::Fn(
                                "If".into(),
                                Box::new(Node::List(vec![
                                    Node::Str("IsProd".into()),
                                    doc,
                                    Node::Fn(
                                        "Ref".into(),
                                        Box::new(Node::Str("AWS::NoValue".into())),
                                    ),
                                ])),
                            )
                        } else {
                            doc
                        };
                        (
                            format!("{name}{ty}"),
                            cond,
                            Node::Str(ty.into()),
                            doc,
                            policies,
                        )
                    })
                    .collect(),
                nested_self,
            },
        )
}

impl CfnTemplate {
    fn resources(&self) -> Vec<(String, Node)> {
        let mut out = Vec::new();
        for (i, (name, cond, ty, doc, policies)) in self.roles.iter().enumerate() {
            let logical: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
            let logical = format!("R{i}{logical}");
            let mut props = vec![("AssumeRolePolicyDocument".to_string(), doc.clone())];
            if let Some(p) = policies {
                props.push(("Policies".into(), p.clone()));
                props.push(("ManagedPolicyArns".into(), p.clone()));
                props.push(("PolicyDocument".into(), p.clone()));
                props.push((
                    "Roles".into(),
                    Node::List(vec![Node::Fn(
                        "Ref".into(),
                        Box::new(Node::Str("R0".into())),
                    )]),
                ));
            }
            let mut res = vec![
                ("Type".to_string(), ty.clone()),
                ("Properties".to_string(), Node::Map(props)),
            ];
            if let Some(c) = cond {
                res.push(("Condition".into(), Node::Str(c.clone())));
            }
            out.push((logical, Node::Map(res)));
        }
        if self.nested_self {
            out.push((
                "Self".into(),
                Node::Map(vec![
                    (
                        "Type".into(),
                        Node::Str("AWS::CloudFormation::Stack".into()),
                    ),
                    (
                        "Properties".into(),
                        Node::Map(vec![(
                            "TemplateURL".into(),
                            Node::Str("./template.yaml".into()),
                        )]),
                    ),
                ]),
            ));
        }
        out
    }

    fn sections(&self) -> Vec<(String, Node)> {
        vec![
            (
                "AWSTemplateFormatVersion".into(),
                Node::Str("2010-09-09".into()),
            ),
            ("Parameters".into(), Node::Map(self.parameters.clone())),
            ("Conditions".into(), Node::Map(self.conditions.clone())),
            ("Mappings".into(), self.mappings.clone()),
            ("Resources".into(), Node::Map(self.resources())),
        ]
    }

    fn json(&self) -> String {
        Node::Map(self.sections()).json()
    }

    fn yaml(&self, block: bool) -> String {
        let mut s = String::new();
        for (k, v) in self.sections() {
            if block {
                s.push_str(&format!("{k}:"));
                v.yaml_block(2, &mut s);
            } else {
                s.push_str(&format!("{k}: {}\n", v.yaml_flow(true)));
            }
        }
        s
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// A random template with intrinsics nested anywhere, as JSON, flow YAML and block YAML.
    #[test]
    fn generated_cloudformation(t in cfn_template(), form in 0u8..3) {
        let text = match form {
            0 => t.json(),
            1 => t.yaml(false),
            _ => t.yaml(true),
        };
        let name = if form == 0 { "template.json" } else { "template.yaml" };
        let mut files = vec![(name.to_string(), text.into_bytes())];
        if form == 0 && t.nested_self {
            // Make the nested stack resolve to a template (itself, in YAML form).
            files.push(("template.yaml".to_string(), t.yaml(true).into_bytes()));
        }
        check_files(&files)?;
    }

    /// Generated templates, then mutated.
    #[test]
    fn generated_cloudformation_mutated(
        t in cfn_template(),
        form in 0u8..3,
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let text = match form {
            0 => t.json(),
            1 => t.yaml(false),
            _ => t.yaml(true),
        };
        let mut bytes = text.into_bytes();
        for m in &muts {
            apply(m, &mut bytes);
        }
        let name = if form == 0 { "template.json" } else { "template.yaml" };
        check_files(&[(name.to_string(), bytes)])?;
    }
}

// ------------------------------------------------------------------------------------------
// Known hostile shapes
// ------------------------------------------------------------------------------------------

/// A hostile case must finish within this (debug build, tests in parallel).
const HOSTILE_LIMIT: Duration = Duration::from_secs(10);

/// Runs `body` in a child process (this test binary, filtered to `name`), so that an abort
/// (allocation failure, stack overflow) or a hang fails only this test, with the child's output.
fn isolated(name: &str, body: impl FnOnce()) {
    const CHILD: &str = "IAMLINT_ROBUSTNESS_CHILD";
    if std::env::var(CHILD).is_ok_and(|v| v == name) {
        body();
        return;
    }
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdin(std::process::Stdio::null())
        .stdout(log.reopen().expect("log"))
        .stderr(log.reopen().expect("log"))
        .spawn()
        .expect("spawn the test binary");
    let start = Instant::now();
    let limit = Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(log.path()).unwrap_or_default();
    let ok = status.is_some_and(|s| s.success()) && text.contains("1 passed");
    if !ok {
        let tail: String = {
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| {
                    !l.trim_start().starts_with("at /rustc") && !l.contains("/.cargo/registry/")
                })
                .collect();
            lines[lines.len().saturating_sub(120)..].join("\n")
        };
        panic!(
            "{name} failed in its child process ({}):\n{tail}",
            match status {
                None => format!("killed after {limit:?}"),
                Some(s) => s.to_string(),
            }
        );
    }
}

/// A labelled case: its files, by name.
type Case<'a> = (String, Vec<(&'a str, Vec<u8>)>);

/// Runs every case, catching panics, and fails listing the cases that failed.
fn each_case(cases: Vec<Case<'_>>) {
    let mut failed = Vec::new();
    for (label, files) in cases {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            hostile(&files);
        }));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let msg: String = msg.chars().take(300).collect();
            failed.push(format!("{label}: {msg}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} case(s) failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

fn hostile(files: &[(&str, &[u8])]) -> Outcome {
    let owned: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), &owned);
    hostile_in(dir.path(), &describe(&owned))
}

fn hostile_in(dir: &Path, what: &str) -> Outcome {
    let start = Instant::now();
    let o = check_paths(vec![dir.to_path_buf()], what);
    let took = start.elapsed();
    assert!(took < HOSTILE_LIMIT, "took {took:?} on {what}");
    if let Err(e) = validate(&o, what) {
        panic!("{e}");
    }
    o
}

/// The role's trust policy is an error or has an unknown: not a clean known value.
fn errored_or_unknown(o: &Outcome, address: &str) -> bool {
    let role = o.roles.iter().find(|r| r.address == address);
    !o.errors.is_empty() || role.is_none_or(|r| r.trust.is_none() || !r.trust_unknowns().is_empty())
}

fn tf_role(trust_expr: &str) -> String {
    format!(
        "resource \"aws_iam_role\" \"r\" {{\n  name = \"r\"\n  assume_role_policy = {trust_expr}\n}}\n"
    )
}

fn tf_role_with_condition(value_expr: &str) -> String {
    tf_role(&format!(
        "jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = \"sts:AssumeRole\", Principal = {{ AWS = \"arn:aws:iam::123456789012:root\" }}, Condition = {{ StringEquals = {{ \"sts:ExternalId\" = {value_expr} }} }} }}]\n  }})"
    ))
}

#[test]
fn yaml_alias_bomb() {
    isolated("yaml_alias_bomb", || {
        let mut y = String::from(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nMetadata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
        );
        for i in 1..16 {
            let p = i - 1;
            y.push_str(&format!(
                "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        y.push_str("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: *a15}\n            Action: sts:AssumeRole\n");
        let o = hostile(&[("bomb.yaml", y.as_bytes())]);
        assert!(!o.errors.is_empty(), "an alias bomb is an error");
    });
}

#[test]
fn yaml_alias_bomb_in_json_like_flow_and_merge_keys() {
    isolated("yaml_alias_bomb_in_json_like_flow_and_merge_keys", || {
        let mut y = String::from(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nMetadata:\n  m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n",
        );
        for i in 1..14 {
            let p = i - 1;
            y.push_str(&format!(
                "  m{i}: &m{i} {{k1: *m{p}, k2: *m{p}, k3: *m{p}, k4: *m{p}, k5: *m{p}, k6: *m{p}, k7: *m{p}, k8: *m{p}, <<: *m{p}}}\n"
            ));
        }
        y.push_str(
            "Resources: {R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: *m13}}}\n",
        );
        hostile(&[("bomb.yaml", y.as_bytes())]);
    });
}

#[test]
fn deep_flow_nesting_yaml() {
    isolated("deep_flow_nesting_yaml", || {
        let n = 10_000;
        let y = format!(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}x{}\n",
            "[".repeat(n),
            "]".repeat(n)
        );
        let o = hostile(&[("deep.yaml", y.as_bytes())]);
        assert!(!o.errors.is_empty() || errored_or_unknown(&o, "R"));
        let y = format!(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}x: 1{}\n",
            "{a: ".repeat(n),
            "}".repeat(n)
        );
        hostile(&[("deep.yaml", y.as_bytes())]);
        // Block nesting, and deep tags.
        let mut y = String::from(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: ",
        );
        y.push_str(&"!Base64 ".repeat(2_000));
        y.push_str("x\n");
        hostile(&[("tags.yaml", y.as_bytes())]);
        let y = format!(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}x{}\n",
            "{\"Fn::Base64\": ".repeat(3_000),
            "}".repeat(3_000)
        );
        hostile(&[("intrinsics.yaml", y.as_bytes())]);
    });
}

#[test]
fn deep_nesting_json() {
    isolated("deep_nesting_json", || {
        let n = 10_000;
        let j = format!(
            "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\"R\": {{\"Type\": \"AWS::IAM::Role\", \"Properties\": {{\"AssumeRolePolicyDocument\": {}1{}}}}}}}}}",
            "[".repeat(n),
            "]".repeat(n)
        );
        hostile(&[("deep.json", j.as_bytes())]);
        let j = format!(
            "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\"R\": {{\"Type\": \"AWS::IAM::Role\", \"Properties\": {{\"AssumeRolePolicyDocument\": {}1{}}}}}}}}}",
            "{\"Fn::Join\": [\"\", [".repeat(n / 4),
            "]]}".repeat(n / 4)
        );
        hostile(&[("deep-intrinsics.json", j.as_bytes())]);
        // A Terraform JSON file and a plan.
        let j = format!(
            "{{\"resource\": {{\"aws_iam_role\": {{\"r\": {{\"assume_role_policy\": {}1{}}}}}}}}}",
            "[".repeat(n),
            "]".repeat(n)
        );
        hostile(&[("main.tf.json", j.as_bytes())]);
        let j = format!(
            "{{\"format_version\": \"1.2\", \"terraform_version\": \"1.9.0\", \"planned_values\": {}1{}}}",
            "[".repeat(n),
            "]".repeat(n)
        );
        hostile(&[("plan.json", j.as_bytes())]);
    });
}

#[test]
fn deep_nesting_hcl() {
    isolated("deep_nesting_hcl", || {
        let n = 10_000;
        let tf = format!(
            "locals {{\n  deep = {}1{}\n}}\n{}",
            "[".repeat(n),
            "]".repeat(n),
            tf_role("jsonencode(local.deep)")
        );
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role(&format!(
            "jsonencode({}1{})",
            "{a = ".repeat(n),
            "}".repeat(n)
        ));
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role(&format!("{}\"x\"{}", "(".repeat(n), ")".repeat(n)));
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role(&format!(
            "{}\"x\"{}",
            "jsonencode(".repeat(n / 2),
            ")".repeat(n / 2)
        ));
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role(&format!("{}1", "-".repeat(n)));
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role(&format!(
            "\"{}x{}\"",
            "${\"".repeat(n / 2),
            "\"}".repeat(n / 2)
        ));
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role(&format!(
            "{}1{}",
            "true ? ".repeat(n / 2),
            " : 0".repeat(n / 2)
        ));
        hostile(&[("main.tf", tf.as_bytes())]);
        // Deeply nested blocks.
        let tf = format!(
            "{}{}",
            "resource \"aws_iam_role\" \"r\" {\n".repeat(n / 4),
            "}\n".repeat(n / 4)
        );
        hostile(&[("main.tf", tf.as_bytes())]);
    });
}

#[test]
fn terraform_huge_range() {
    isolated("terraform_huge_range", || {
        let tf = tf_role_with_condition("[for i in range(1000000000) : tostring(i)]");
        let o = hostile(&[("main.tf", tf.as_bytes())]);
        assert!(errored_or_unknown(&o, "aws_iam_role.r"));
        let tf = tf_role_with_condition("length(range(1000000000))");
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role_with_condition("range(-1000000000, 1000000000, 0.000001)");
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = tf_role_with_condition("[for i in range(100000) : i if i > 99999]");
        hostile(&[("main.tf", tf.as_bytes())]);
        let tf = format!(
            "resource \"aws_iam_role\" \"r\" {{\n  count = 1000000000\n  assume_role_policy = \"{{}}\"\n}}\n{}",
            "resource \"aws_iam_role\" \"s\" {\n  for_each = toset([for i in range(1000000000) : tostring(i)])\n  assume_role_policy = \"{}\"\n}\n"
        );
        hostile(&[("main.tf", tf.as_bytes())]);
    });
}

#[test]
fn terraform_string_blowups() {
    isolated("terraform_string_blowups", || {
        let exprs = [
            "join(\",\", [for i in range(1000000) : \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"])",
            "join(\"\", [for i in range(10000) : join(\"\", [for j in range(10000) : \"xx\"])])",
            "format(\"%s%s%s%s\", join(\"\", range(100000)), join(\"\", range(100000)), join(\"\", range(100000)), join(\"\", range(100000)))",
            "formatlist(\"%s-%s\", range(1000000), range(1000000))",
            "formatlist(\"%s\", [for i in range(1000000) : join(\"\", range(1000))])",
            "join(\"\", setproduct(range(1000), range(1000), range(1000)))",
            "length(setproduct(range(1000), range(1000), range(1000)))",
            "flatten([for i in range(1000) : [for j in range(1000) : [for k in range(1000) : k]]])",
            "length(jsonencode([for i in range(1000000) : { a = i }]))",
            "replace(join(\"\", range(100000)), \"\", \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\")",
            "replace(join(\"\", range(100000)), \"/(.*)*$/\", \"$1$1$1$1\")",
            "regexall(\"(a*)*b\", join(\"\", [for i in range(100000) : \"a\"]))",
            "chunklist(range(100000), 0)",
            "substr(join(\"\", range(100000)), -1, 9223372036854775807)",
            "element(range(3), 9223372036854775807)",
            "element(range(3), -9223372036854775808)",
            "slice(range(3), 9223372036854775807, -1)",
            "pow(10, 400)",
            "cidrsubnet(\"10.0.0.0/8\", 1000000000, 4294967296)",
            "cidrhost(\"::/0\", 340282366920938463463374607431768211455)",
            "cidrsubnets(\"10.0.0.0/8\", [for i in range(100000) : 24]...)",
            "strrev(join(\"\", [for i in range(1000000) : \"é\"]))",
            "title(join(\" \", [for i in range(1000000) : \"x\"]))",
        ];
        each_case(
            exprs
                .iter()
                .map(|e| {
                    (
                        e.to_string(),
                        vec![("main.tf", tf_role_with_condition(e).into_bytes())],
                    )
                })
                .collect(),
        );
    });
}

#[test]
fn terraform_heredoc_template_for_over_huge_range() {
    isolated("terraform_heredoc_template_for_over_huge_range", || {
        let tf = tf_role(
            "<<EOF\n{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {\"AWS\": [%{ for i in range(1000000000) }\"arn:aws:iam::${i}:root\",%{ endfor }\"x\"]}}]}\nEOF",
        );
        let o = hostile(&[("main.tf", tf.as_bytes())]);
        assert!(errored_or_unknown(&o, "aws_iam_role.r"));
        let tf = tf_role(
            "<<-EOT\n  %{ for i in range(10000) }%{ for j in range(10000) }${i}${j}%{ endfor }%{ endfor }\n  EOT",
        );
        hostile(&[("main.tf", tf.as_bytes())]);
        // templatefile() over a huge range too.
        let tpl = b"%{ for i in range(1000000000) }${i}%{ endfor }";
        let tf = tf_role("templatefile(\"${path.module}/t.tpl\", {})");
        hostile(&[("main.tf", tf.as_bytes()), ("t.tpl", tpl)]);
    });
}

#[test]
fn terraform_recursive_locals_and_variables() {
    isolated("terraform_recursive_locals_and_variables", || {
        let tf = format!(
            "locals {{\n  a = local.b\n  b = [local.c]\n  c = {{ x = local.a }}\n  d = local.d\n  e = \"${{local.e}}x\"\n  f = jsonencode(local.f)\n}}\n{}",
            tf_role_with_condition("[local.a, local.d, local.e, local.f]")
        );
        let o = hostile(&[("main.tf", tf.as_bytes())]);
        assert!(errored_or_unknown(&o, "aws_iam_role.r"));
        // A cycle through a data source and the role itself.
        let tf = format!(
            "data \"aws_iam_policy_document\" \"d\" {{\n  source_policy_documents = [aws_iam_role.r.assume_role_policy]\n  statement {{\n    actions = [\"sts:AssumeRole\"]\n    principals {{\n      type = \"AWS\"\n      identifiers = [aws_iam_role.r.arn]\n    }}\n  }}\n}}\n{}",
            tf_role("data.aws_iam_policy_document.d.json")
        );
        hostile(&[("main.tf", tf.as_bytes())]);
        // Exponential fan-out without a cycle: each local uses the previous one twice.
        let mut tf = String::from("locals {\n  l0 = \"x\"\n");
        for i in 1..64 {
            let p = i - 1;
            tf.push_str(&format!("  l{i} = \"${{local.l{p}}}${{local.l{p}}}\"\n"));
        }
        tf.push_str("}\n");
        tf.push_str(&tf_role_with_condition("local.l63"));
        hostile(&[("main.tf", tf.as_bytes())]);
        let mut tf = String::from("locals {\n  m0 = [1]\n");
        for i in 1..64 {
            let p = i - 1;
            tf.push_str(&format!("  m{i} = concat(local.m{p}, local.m{p})\n"));
        }
        tf.push_str("}\n");
        tf.push_str(&tf_role_with_condition("length(local.m63)"));
        hostile(&[("main.tf", tf.as_bytes())]);
    });
}

#[test]
fn terraform_module_that_calls_itself() {
    isolated("terraform_module_that_calls_itself", || {
        let tf = format!(
            "variable \"depth\" {{\n  default = 0\n}}\nmodule \"again\" {{\n  source = \"./\"\n  depth = var.depth + 1\n}}\nmodule \"again_dot\" {{\n  source = \".\"\n}}\n{}",
            tf_role("module.again.trust")
        );
        hostile(&[("main.tf", tf.as_bytes())]);
        // Mutual recursion a -> b -> a, and a module that calls its parent.
        let a = format!(
            "module \"b\" {{\n  source = \"../b\"\n}}\noutput \"trust\" {{\n  value = module.b.trust\n}}\n{}",
            tf_role("module.b.trust")
        );
        let b = "module \"a\" {\n  source = \"../a\"\n}\nmodule \"up\" {\n  source = \"../\"\n}\noutput \"trust\" {\n  value = module.a.trust\n}\n";
        let root = "module \"a\" {\n  source = \"./a\"\n}\n";
        hostile(&[
            ("a/main.tf", a.as_bytes()),
            ("b/main.tf", b.as_bytes()),
            ("main.tf", root.as_bytes()),
        ]);
    });
}

#[test]
fn cloudformation_nested_stack_that_includes_itself() {
    isolated("cloudformation_nested_stack_that_includes_itself", || {
        let y = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Me:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./self.yaml\n  Also:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: !Sub \"./${AWS::NoValue}self.yaml\"\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: \"*\"}\n            Action: sts:AssumeRole\n";
        hostile(&[("self.yaml", y.as_bytes())]);
        let a = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  B:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./b.yaml\n";
        let b = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  A:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./a.yaml\n  A2:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: ./a.yaml\n";
        hostile(&[("a.yaml", a.as_bytes()), ("b.yaml", b.as_bytes())]);
    });
}

#[test]
fn cloudformation_conditions_cycle() {
    isolated("cloudformation_conditions_cycle", || {
        let y = "AWSTemplateFormatVersion: \"2010-09-09\"\nConditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n  C: !And [!Condition C, !Condition C]\n  D: !Equals [!Ref D, !Ref D]\nParameters:\n  D:\n    Type: String\n    Default: !Ref D\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Condition: A\n    Properties:\n      AssumeRolePolicyDocument: !If\n        - C\n        - Statement: [{Effect: Allow, Principal: {AWS: !If [A, \"*\", !Ref D]}, Action: sts:AssumeRole}]\n        - !Ref AWS::NoValue\n";
        hostile(&[("t.yaml", y.as_bytes())]);
        // Many independent conditions: variants must stay bounded.
        let mut y = String::from(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  P: {Type: String}\nConditions:\n",
        );
        for i in 0..64 {
            y.push_str(&format!("  C{i}: !Equals [!Ref P, \"{i}\"]\n"));
        }
        y.push_str("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n");
        for i in 0..64 {
            y.push_str(&format!(
                "          - {{Effect: Allow, Action: sts:AssumeRole, Principal: {{AWS: !If [C{i}, \"*\", \"arn:aws:iam::123456789012:root\"]}}}}\n"
            ));
        }
        hostile(&[("t.yaml", y.as_bytes())]);
    });
}

fn cfn_principal(expr: &str) -> String {
    format!(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRole\n            Principal:\n              AWS: {expr}\n"
    )
}

#[test]
fn cloudformation_select_with_hostile_index() {
    isolated("cloudformation_select_with_hostile_index", || {
        for idx in [
            "9223372036854775808",
            "9223372036854775807",
            "18446744073709551616",
            "-1",
            "-9223372036854775808",
            "1e308",
            "1.5",
            "NaN",
            "\"9223372036854775808\"",
            "[0]",
            "!Ref AWS::AccountId",
        ] {
            let y = cfn_principal(&format!(
                "!Select [{idx}, [\"arn:aws:iam::123456789012:root\", \"*\"]]"
            ));
            let o = hostile(&[("t.yaml", y.as_bytes())]);
            if idx.starts_with('9') || idx.starts_with('1') || idx.starts_with('-') {
                assert!(
                    errored_or_unknown(&o, "R") || o.roles.is_empty(),
                    "index {idx}"
                );
            }
            let j = format!(
                "{{\"Resources\": {{\"R\": {{\"Type\": \"AWS::IAM::Role\", \"Properties\": {{\"AssumeRolePolicyDocument\": {{\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {{\"AWS\": {{\"Fn::Select\": [{}, [\"a\"]]}}}}}}]}}}}}}}}}}",
                if idx.starts_with('!') || idx == "NaN" {
                    "2"
                } else {
                    idx
                }
            );
            hostile(&[("t.json", j.as_bytes())]);
        }
    });
}

#[test]
fn cloudformation_cidr_with_huge_counts() {
    isolated("cloudformation_cidr_with_huge_counts", || {
        for args in [
            "[\"10.0.0.0/8\", 1000000000, 8]",
            "[\"10.0.0.0/8\", 4294967296, 1]",
            "[\"10.0.0.0/8\", 9223372036854775808, 24]",
            "[\"::/0\", 4294967296, 128]",
            "[\"::/0\", 256, 200]",
            "[\"10.0.0.0/8\", -1, -1]",
            "[\"10.0.0.0/33\", 1, 8]",
            "[\"x\", 1, 8]",
            "[\"10.0.0.0/8\"]",
            "[]",
        ] {
            let y = cfn_principal(&format!("!Select [0, !Cidr {args}]"));
            hostile(&[("t.yaml", y.as_bytes())]);
            let y = cfn_principal(&format!("!Join [\",\", !Cidr {args}]"));
            hostile(&[("t.yaml", y.as_bytes())]);
        }
    });
}

#[test]
fn cloudformation_string_blowups() {
    isolated("cloudformation_string_blowups", || {
        // Join/Split/Sub over large inputs, GetAZs, FindInMap.
        let big = "a,".repeat(200_000);
        let cases = vec![
            format!("!Join [\"{big}\", !Split [\",\", \"{big}\"]]"),
            format!("!Select [199999, !Split [\",\", \"{big}\"]]"),
            format!("!Join [\"\", !Split [\",\", \"{big}\"]]"),
            format!(
                "!Sub [\"{}\", {{A: \"{}\"}}]",
                "${A}".repeat(2_000),
                "x".repeat(1_000)
            ),
            "!FindInMap [M, !Ref AWS::Region, !Select [9223372036854775808, !GetAZs \"\"]]"
                .to_string(),
            "!Select [0, !GetAZs !GetAZs !GetAZs \"\"]".to_string(),
            "!Base64 !Base64 !Base64 !Base64 !Base64 !Base64 !Base64 !Base64 x".to_string(),
            "!Length [1, 2]".to_string(),
            "!ToJsonString {a: !ToJsonString {b: !ToJsonString [1, 2]}}".to_string(),
        ];
        each_case(
            cases
                .into_iter()
                .map(|e| {
                    let label: String = e.chars().take(80).collect();
                    (label, vec![("t.yaml", cfn_principal(&e).into_bytes())])
                })
                .collect(),
        );
    });
}

/// Asserts that no file outside `root` is in the source map and that `marker` appears nowhere
/// in the outcome.
fn assert_not_read(o: &Outcome, root: &Path, marker: &str) {
    let root = root.canonicalize().unwrap();
    for (_, f) in o.sources.all() {
        let p = f.path.canonicalize().unwrap_or_else(|_| f.path.clone());
        assert!(
            p.starts_with(&root),
            "read outside the root: {}",
            f.path.display()
        );
        assert!(
            !f.text.contains(marker),
            "{} holds the marker",
            f.path.display()
        );
    }
    let dump = format!(
        "{:?} {:?} {:?}",
        o.roles,
        o.errors,
        o.findings
            .iter()
            .map(|f| (&f.message, &f.labels))
            .collect::<Vec<_>>()
    );
    assert!(
        !dump.contains(marker),
        "the outcome holds the outside file's content"
    );
}

#[test]
fn file_outside_the_root_is_an_error_and_never_read() {
    isolated("file_outside_the_root_is_an_error_and_never_read", || {
        let tmp = tempfile::tempdir().unwrap();
        let scan = tmp.path().join("a/b");
        let marker = "OUTSIDE_SECRET_4f1e";
        let secret = format!(
            "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {{\"AWS\": \"{marker}\"}}}}]}}"
        );
        std::fs::create_dir_all(&scan).unwrap();
        std::fs::write(tmp.path().join("outside"), &secret).unwrap();
        std::fs::write(tmp.path().join("outside.json"), &secret).unwrap();
        std::fs::write(tmp.path().join("outside.yaml"), format!("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  {marker}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {secret}\n")).unwrap();
        let tf = format!(
            "{}{}{}{}{}",
            tf_role("file(\"/etc/passwd\")").replace("\"r\"", "\"passwd\""),
            tf_role("file(\"../../outside\")").replace("\"r\"", "\"rel\""),
            tf_role("file(\"${path.module}/../../outside\")").replace("\"r\"", "\"module_rel\""),
            tf_role("templatefile(\"${path.module}/../../outside.json\", {})")
                .replace("\"r\"", "\"tpl\""),
            tf_role("file(abspath(\"${path.module}/../../outside.json\"))")
                .replace("\"r\"", "\"abs\""),
        );
        let cfn = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  S:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ../../outside.yaml\n  T:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: /etc/passwd\n";
        std::fs::write(scan.join("main.tf"), tf).unwrap();
        std::fs::write(scan.join("stack.yaml"), cfn).unwrap();
        let o = hostile_in(&scan, "file() outside the root");
        for name in ["passwd", "rel", "module_rel", "tpl", "abs"] {
            let addr = format!("aws_iam_role.{name}");
            let r = o
                .roles
                .iter()
                .find(|r| r.address == addr)
                .unwrap_or_else(|| panic!("no role {addr}"));
            assert!(r.trust.is_none(), "{addr} trust was read: {:?}", r.trust);
            assert!(r.trust_unknown.is_some(), "{addr} has no unknown");
        }
        assert!(!o.errors.is_empty(), "reads outside the root are errors");
        assert_not_read(&o, &scan, marker);
        assert!(
            !o.sources
                .all()
                .iter()
                .any(|(_, f)| f.path.ends_with("passwd"))
        );
    });
}

#[test]
fn symlinks_pointing_outside_and_loops() {
    isolated("symlinks_pointing_outside_and_loops", || {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let scan = tmp.path().join("scan");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(scan.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let marker = "SYMLINK_SECRET_9c2d";
        std::fs::write(
            outside.join("evil.tf"),
            tf_role(&format!(
                "\"{{\\\"Statement\\\": [{{\\\"Principal\\\": \\\"{marker}\\\"}}]}}\""
            )),
        )
        .unwrap();
        std::fs::write(
            outside.join("evil.yaml"),
            format!("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  {marker}:\n    Type: AWS::IAM::Role\n    Properties: {{}}\n"),
        )
        .unwrap();
        std::fs::write(outside.join("trust.json"), format!("{{\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {{\"AWS\": \"{marker}\"}}}}]}}")).unwrap();
        // Links to files and directories outside, and loops.
        symlink(outside.join("evil.tf"), scan.join("evil.tf")).unwrap();
        symlink(outside.join("evil.yaml"), scan.join("evil.yaml")).unwrap();
        symlink(outside.join("trust.json"), scan.join("trust.json")).unwrap();
        symlink(&outside, scan.join("outside_dir")).unwrap();
        symlink("/etc/passwd", scan.join("passwd.yaml")).unwrap();
        symlink(scan.join("loop.tf"), scan.join("loop.tf")).unwrap();
        symlink(scan.join("b.yaml"), scan.join("a.yaml")).unwrap();
        symlink(scan.join("a.yaml"), scan.join("b.yaml")).unwrap();
        symlink(&scan, scan.join("sub/up")).unwrap();
        symlink("..", scan.join("sub/parent")).unwrap();
        symlink(scan.join("sub/loopdir"), scan.join("sub/loopdir")).unwrap();
        // A file()/module/nested stack through the links.
        let tf = format!(
            "{}{}module \"m\" {{\n  source = \"./outside_dir\"\n}}\nmodule \"loop\" {{\n  source = \"./sub/loopdir\"\n}}\nmodule \"up\" {{\n  source = \"./sub/up\"\n}}\n",
            tf_role("file(\"${path.module}/trust.json\")").replace("\"r\"", "\"via_link\""),
            tf_role("file(\"${path.module}/loop.tf\")").replace("\"r\"", "\"via_loop\""),
        );
        std::fs::write(scan.join("main.tf"), tf).unwrap();
        std::fs::write(
            scan.join("parent.yaml"),
            "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  S:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./evil.yaml\n  T:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./outside_dir/evil.yaml\n  L:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./a.yaml\n",
        )
        .unwrap();
        let o = hostile_in(&scan, "symlinks");
        let r = o
            .roles
            .iter()
            .find(|r| r.address == "aws_iam_role.via_link")
            .expect("role via_link");
        assert!(
            r.trust.is_none(),
            "trust read through a link outside: {:?}",
            r.trust
        );
        assert_not_read(&o, &scan, marker);
        // Explicit paths that are links: the file named on the command line is outside.
        let o = check_paths(vec![scan.join("sub/up/sub/up/main.tf")], "link loop path");
        validate(&o, "link loop path").unwrap();
    });
}

#[test]
fn special_files_and_encodings() {
    isolated("special_files_and_encodings", || {
        // Invalid UTF-8, NUL, BOM, CRLF, lone CR, very long line: errors with positions in range.
        let role = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Action: sts:AssumeRole, Principal: {AWS: \"*\"}}]}\n";
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(role.as_bytes());
        let crlf = role.replace('\n', "\r\n");
        let cr = role.replace('\n', "\r");
        let mut bad = role.as_bytes().to_vec();
        bad.splice(60..60, b"\xff\xfe".iter().copied());
        let long = format!("{}# {}\n", role, "é".repeat(300_000));
        let tf = tf_role("\"{\\\"Statement\\\": []}\"");
        let mut tf_bom = b"\xef\xbb\xbf".to_vec();
        tf_bom.extend_from_slice(tf.as_bytes());
        let tf_crlf = tf.replace('\n', "\r\n");
        let tf_cr = tf.replace('\n', "\r");
        let mut tf_bad = tf.as_bytes().to_vec();
        tf_bad.push(0xc3);
        hostile(&[
            ("bom.yaml", &bom),
            ("crlf.yaml", crlf.as_bytes()),
            ("cr.yaml", cr.as_bytes()),
            ("bad.yaml", &bad),
            ("long.yaml", long.as_bytes()),
            ("nul.json", b"{\"Resources\": {}}\0"),
            ("a/main.tf", &tf_bom),
            ("b/main.tf", tf_crlf.as_bytes()),
            ("c/main.tf", tf_cr.as_bytes()),
            ("d/main.tf", &tf_bad),
            ("e/main.tf", b"\xef\xbb\xbf"),
            ("f/main.tf.json", b"\xef\xbb\xbf{"),
            ("g/x.tfvars", b"a = \"\xff\""),
        ]);
    });
}

// ------------------------------------------------------------------------------------------
// Minimal reproductions of bugs these tests found (both panicked or aborted at the time they
// were written; the fixes landed in the same working tree)
// ------------------------------------------------------------------------------------------

/// Was a panic: Terraform `format()` (src/source/terraform/functions.rs, `format`) passed a
/// width or precision over u16::MAX to `format!("{s:>width$}")`, which panics with "Formatting
/// argument out of range".
#[test]
fn terraform_format_width_over_u16_is_not_a_panic() {
    isolated("terraform_format_width_over_u16_is_not_a_panic", || {
        each_case(
            [
                "format(\"%70000s\", \"x\")",
                "format(\"%-70000s\", \"x\")",
                "format(\"%070000d\", 1)",
                "format(\"%.70000f\", 1)",
                "format(\"%10000000d\", 1)",
                "format(\"%-999999999s\", \"x\")",
                "format(\"%.999999999f\", 1)",
                "format(\"%99999999999999999999999s\", \"x\")",
            ]
            .iter()
            .map(|e| {
                (
                    e.to_string(),
                    vec![("main.tf", tf_role_with_condition(e).into_bytes())],
                )
            })
            .collect(),
        );
    });
}

/// Was an abort: CloudFormation `Fn::Join` (src/source/cloudformation/intrinsics.rs,
/// `Resolver::join`) had no size bound: a 5 KB template joins a million items with a 1 MB
/// delimiter, a 10^12-byte allocation that aborts the process ("memory allocation of ... bytes
/// failed").
#[test]
fn cloudformation_join_split_blowup_is_bounded() {
    isolated("cloudformation_join_split_blowup_is_bounded", || {
        // 1000 A's joining 1001 empty strings: a 1 MB string of A's.
        let inner = format!(
            "!Join [\"{}\", !Split [\",\", \"{}\"]]",
            "A".repeat(1000),
            ",".repeat(1000)
        );
        // Split it on "A" (a million items) and join them with itself.
        let y = cfn_principal(&format!("!Join [{inner}, !Split [\"A\", {inner}]]"));
        assert!(y.len() < 5_000);
        let o = hostile(&[("t.yaml", y.as_bytes())]);
        assert!(errored_or_unknown(&o, "R"));
    });
}
