//! Human output: each finding like a rustc diagnostic (file, line, the source snippet with the
//! span underlined, the message, a note with why, a help line with the fix), then a summary.
//! Colour only when asked (the CLI decides: a terminal and no NO_COLOR).

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as CSeverity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor};

use crate::rules::{Rule, Severity};
use crate::run::Outcome;
use crate::span::{FileId, SourceMap};

/// The run's files as codespan sees them: names and texts with their controls made harmless
/// (computed once per file shown), lines and columns from our own index.
struct Db<'a>(
    &'a SourceMap,
    std::cell::RefCell<std::collections::HashMap<FileId, std::sync::Arc<str>>>,
);

impl<'a> Db<'a> {
    fn new(sources: &'a SourceMap) -> Db<'a> {
        Db(sources, Default::default())
    }
}

impl<'a> Files<'a> for Db<'a> {
    type FileId = FileId;
    type Name = String;
    type Source = std::sync::Arc<str>;

    fn name(&'a self, id: FileId) -> Result<String, FilesError> {
        self.0
            .get(id)
            .map(|f| esc(&f.display))
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<Self::Source, FilesError> {
        if let Some(t) = self.1.borrow().get(&id) {
            return Ok(t.clone());
        }
        let f = self.0.get(id).ok_or(FilesError::FileMissing)?;
        let text: std::sync::Arc<str> = if f.text.chars().any(char::is_control) {
            super::printable_source(&f.text).into()
        } else {
            f.text.clone()
        };
        self.1.borrow_mut().insert(id, text.clone());
        Ok(text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let f = self.0.get(id).ok_or(FilesError::FileMissing)?;
        Ok(f.line_col(byte_index).line - 1)
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.0.get(id).ok_or(FilesError::FileMissing)?;
        f.line_range(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: f.line_count(),
        })
    }
}

fn esc(s: &str) -> String {
    super::escape_controls(s).into_owned()
}

fn level(s: Severity) -> CSeverity {
    match s {
        Severity::Critical | Severity::High => CSeverity::Error,
        Severity::Medium => CSeverity::Warning,
        Severity::Low => CSeverity::Note,
        Severity::Info => CSeverity::Help,
    }
}

/// Renders the check report. `color` turns ANSI colours on.
pub fn check(o: &Outcome, rules: &[Rule], color: bool) -> String {
    let db = Db::new(&o.sources);
    let config = term::Config::default();
    let mut buf = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    for f in &o.findings {
        let rule = rules.iter().find(|r| r.id == f.rule);
        let span = f.span.start as usize..f.span.end as usize;
        let mut labels = vec![Label::primary(f.span.file, span).with_message(esc(&f.title))];
        for (s, msg) in &f.labels {
            // A label over a long block (a whole statement) buries the primary span; keep
            // short ones only.
            let lines = o.sources.range(*s).map_or(0, |(a, b)| b.line - a.line);
            if s.file == f.span.file && lines <= 3 {
                labels.push(
                    Label::secondary(s.file, s.start as usize..s.end as usize)
                        .with_message(esc(msg)),
                );
            }
        }
        let mut notes: Vec<String> = Vec::new();
        notes.push(format!(
            "severity: {}; resource: {}",
            f.severity.as_str(),
            esc(&f.resource)
        ));
        for n in &f.notes {
            notes.push(format!("note: {}", esc(n)));
        }
        if let Some(r) = rule {
            notes.push(format!("why: {}", first_paragraph(&r.description.why)));
            notes.push(format!("help: {}", first_paragraph(&r.description.fix)));
            notes.push(format!("docs: iamlint explain {}", r.id));
        }
        let d = Diagnostic::new(level(f.severity))
            .with_code(esc(&f.rule))
            .with_message(esc(&f.message))
            .with_labels(labels)
            .with_notes(notes);
        let _ = term::emit_to_write_style(&mut buf, &config, &db, &d);
    }
    for e in &o.errors {
        let file = o
            .sources
            .all()
            .into_iter()
            .find(|(_, f)| f.display == e.file);
        let mut d = Diagnostic::error().with_message(esc(&format!(
            "{}:{}:{}: {}",
            e.file, e.line, e.column, e.message
        )));
        if let Some((id, f)) = file {
            let start = (f.line_start(e.line) + e.column.saturating_sub(1)).min(f.text.len());
            let start = (0..=start)
                .rev()
                .find(|i| f.text.is_char_boundary(*i))
                .unwrap_or(0);
            d = d.with_labels(vec![Label::primary(id, start..start)]);
        }
        let _ = term::emit_to_write_style(&mut buf, &config, &db, &d);
    }
    let mut text = String::from_utf8_lossy(buf.as_slice()).into_owned();
    if o.show_suppressed {
        for sup in &o.suppressed {
            let f = &sup.finding;
            let (line, column, _, _) = super::position(&o.sources, f);
            text.push_str(&esc(&format!(
                "suppressed[{}]: {}:{line}:{column}: {} ({}); reason: {}",
                f.rule,
                o.sources.display(f.span.file),
                f.message,
                f.severity.as_str(),
                sup.reasons.join("; ")
            )));
            text.push('\n');
        }
    }
    text.push_str(&trust_changes(o));
    text.push_str(&summary(o));
    text
}

fn first_paragraph(s: &str) -> String {
    s.split("\n\n")
        .next()
        .unwrap_or(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// "3 findings (1 critical, 2 high) in 2 of 5 roles; 12 files; 1 error".
pub fn summary(o: &Outcome) -> String {
    let mut parts = Vec::new();
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = o.findings.iter().filter(|f| f.severity == s).count();
        if n > 0 {
            parts.push(format!("{n} {}", s.as_str()));
        }
    }
    let roles_hit: std::collections::BTreeSet<&str> =
        o.findings.iter().map(|f| f.resource.as_str()).collect();
    let mut line = if o.findings.is_empty() {
        format!("no findings in {} roles", o.roles.len())
    } else {
        format!(
            "{} finding{} ({}) on {} resource{}, {} roles in all",
            o.findings.len(),
            if o.findings.len() == 1 { "" } else { "s" },
            parts.join(", "),
            roles_hit.len(),
            if roles_hit.len() == 1 { "" } else { "s" },
            o.roles.len()
        )
    };
    line.push_str(&format!("; {} files read", o.files_scanned));
    if o.baselined > 0 {
        line.push_str(&format!("; {} in the baseline", o.baselined));
    }
    if let Some(d) = &o.diff {
        line.push_str(&format!(
            "; {} already at {}, not shown; {} trust change{}",
            d.existing,
            d.reference,
            d.trusts.len(),
            if d.trusts.len() == 1 { "" } else { "s" }
        ));
    }
    if !o.suppressed.is_empty() {
        line.push_str(&format!("; {} suppressed inline", o.suppressed.len()));
    }
    if !o.errors.is_empty() {
        line.push_str(&format!(
            "; {} error{} (files that could not be read or parsed)",
            o.errors.len(),
            if o.errors.len() == 1 { "" } else { "s" }
        ));
    }
    line.push('\n');
    line
}

/// With `--diff`: the trust relationships the change adds, widens, narrows or removes, one a
/// line (`+`, `!`, `~`, `-`), with where the principal is written.
pub fn trust_changes(o: &Outcome) -> String {
    let Some(d) = &o.diff else {
        return String::new();
    };
    if d.trusts.is_empty() {
        return format!("trust changes since {}: none\n", esc(&d.reference));
    }
    let mut out = format!("trust changes since {}:\n", esc(&d.reference));
    for c in &d.trusts {
        use crate::diff::TrustChangeKind as K;
        let mark = match c.kind {
            K::Added => '+',
            K::Widened => '!',
            K::Narrowed => '~',
            K::Removed => '-',
        };
        out.push_str(&esc(&format!(
            "  {mark} {} ({}:{})",
            c.describe(),
            c.edge.file,
            c.edge.line
        )));
        if let Some(at) = &c.approved_in_change {
            out.push_str(&esc(&format!("; approved in this change ({at})")));
        }
        out.push('\n');
    }
    out.push_str(&gate_changes(d));
    out
}

/// With `--diff`: the approval files, configs and baseline the change edited, approval entries
/// one a line. Empty when none changed.
fn gate_changes(d: &crate::diff::DiffInfo) -> String {
    if d.gate.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "approval and configuration files changed since {}:\n",
        esc(&d.reference)
    );
    for g in &d.gate {
        out.push_str(&esc(&format!("  {} ({})", g.file, g.change)));
        out.push('\n');
        for a in &g.approvals {
            out.push_str(&esc(&format!(
                "    {} ({}:{})",
                a.describe(),
                g.file,
                a.line
            )));
            out.push('\n');
        }
    }
    out
}

/// The inventory as a table: one role a line, its principals and what stayed unknown.
pub fn roles(o: &Outcome, trust: &(dyn crate::iam::principals::Trust + Sync)) -> String {
    use crate::iam::model::RoleState;
    use crate::iam::principals::{Class, classify, relate};
    let mut out = String::new();
    for r in &o.roles {
        let line = o.sources.range(r.span).map_or(1, |(s, _)| s.line);
        push_line(
            &mut out,
            format!(
                "{} ({}:{}){}\n",
                r.address,
                o.sources.display(r.span.file),
                line,
                r.name
                    .as_ref()
                    .map(|n| format!(" name={}", n.render()))
                    .unwrap_or_default()
            ),
        );
        if r.root != "." && !r.root.is_empty() {
            push_line(&mut out, format!("  root: {}\n", r.root));
        }
        match &r.state {
            RoleState::Checked => {}
            RoleState::Template(why) => {
                push_line(&mut out, format!("  state: checked as a template: {why}\n"));
            }
            RoleState::NotCreated(why) => {
                push_line(
                    &mut out,
                    format!("  state: not created, not checked: {why}\n"),
                );
            }
        }
        match &r.trust {
            None => push_line(&mut out, "  trust: none\n".to_string()),
            Some(doc) => {
                for st in &doc.statements {
                    let effect = match st.effect {
                        Some(e) => format!("{e:?}"),
                        None => "?".into(),
                    };
                    for p in st.principal.iter().flat_map(|s| s.entries.iter()) {
                        let who = match classify(p) {
                            Class::Account { account, .. } => {
                                let (rel, label) = relate(&account, trust);
                                format!("{} [{}: {}]", p.value.render(), rel.id(), label)
                            }
                            Class::Federated { provider, .. } => {
                                format!("{} [{}]", p.value.render(), provider.label())
                            }
                            Class::Any => format!("{} [any principal]", p.value.render()),
                            Class::Unresolved => format!("{} [unresolved]", p.value.render()),
                            Class::Service { wildcard: true, .. } => {
                                format!("{} [service, wildcard]", p.value.render())
                            }
                            Class::Service { .. } => format!("{} [service]", p.value.render()),
                            Class::CanonicalUser => {
                                format!("{} [canonical user]", p.value.render())
                            }
                            Class::Invalid(why) => format!("{} [invalid: {why}]", p.value.render()),
                        };
                        let conds = if st.conditions.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " when {}",
                                st.conditions
                                    .iter()
                                    .map(|c| format!(
                                        "{} {} {}",
                                        c.operator.render(),
                                        c.key.render(),
                                        c.values
                                            .iter()
                                            .map(|v| v.render())
                                            .collect::<Vec<_>>()
                                            .join("|")
                                    ))
                                    .collect::<Vec<_>>()
                                    .join(" and ")
                            )
                        };
                        push_line(
                            &mut out,
                            format!("  {effect} {}: {who}{conds}\n", p.type_name),
                        );
                    }
                }
            }
        }
        if !r.trust_resolved() {
            for (_, u) in r.trust_unknowns() {
                push_line(
                    &mut out,
                    format!("  unresolved: {} ({})\n", u.expr, u.reason),
                );
            }
        }
        for p in &r.inline_policies {
            push_line(&mut out, format!("  policy: {}\n", p.origin));
        }
        for m in &r.managed_policies {
            push_line(&mut out, format!("  managed: {}\n", m.arn.render()));
        }
        for n in &r.notes {
            push_line(&mut out, format!("  note: {n}\n"));
        }
    }
    for e in &o.errors {
        push_line(
            &mut out,
            format!("error: {}:{}:{}: {}\n", e.file, e.line, e.column, e.message),
        );
    }
    let resolved = o.roles.iter().filter(|r| r.trust_resolved()).count();
    push_line(
        &mut out,
        format!(
            "{} roles, {} with a fully resolved trust policy{}\n",
            o.roles.len(),
            resolved,
            match o.errors.len() {
                0 => String::new(),
                1 => "; 1 error (a file that could not be read or parsed may hide a role)".into(),
                n =>
                    format!("; {n} errors (files that could not be read or parsed may hide roles)"),
            }
        ),
    );
    out
}

/// Appends one line of the inventory with the controls of its values escaped.
fn push_line(out: &mut String, line: String) {
    out.push_str(&esc(line.strip_suffix('\n').unwrap_or(&line)));
    out.push('\n');
}
