//! The trust inventory as text: a table for people, Markdown for pull requests and wikis, JSON
//! for tools (see docs/json-output.md).

use serde_json::{Value, json};

use crate::trusts::edges::{Edge, LIST_GUARDS};

fn relation_text(e: &Edge) -> String {
    let p = &e.principal;
    match (&p.relation, &p.name) {
        (Some(r), Some(n)) if p.kind == "account" => format!("{} ({n})", r.id()),
        (Some(r), _) => r.id().to_string(),
        (None, _) => "-".to_string(),
    }
}

fn kind_text(e: &Edge) -> String {
    match (e.principal.kind, &e.principal.name) {
        ("federated", Some(n)) => format!("federated ({n})"),
        (k, _) => k.to_string(),
    }
}

fn guards_text(e: &Edge) -> String {
    let g = e.guards.labels();
    if g.is_empty() {
        "none".into()
    } else {
        g.join("; ")
    }
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A table: one line per trust relationship, then a count.
pub fn table(edges: &[Edge]) -> String {
    let head = [
        "ROLE",
        "ROOT",
        "PRINCIPAL",
        "KIND",
        "ACCOUNT",
        "RELATION",
        "GUARDS",
        "UNRESOLVED",
        "WHERE",
    ];
    let rows: Vec<[String; 9]> = edges
        .iter()
        .map(|e| {
            [
                one_line(&e.role),
                one_line(&e.root),
                one_line(&format!("{} {}", e.principal.ty, e.principal.value)),
                kind_text(e),
                e.principal.account.clone().unwrap_or_else(|| "-".into()),
                relation_text(e),
                one_line(&guards_text(e)),
                if e.unresolved.is_empty() {
                    "-".into()
                } else {
                    one_line(&e.unresolved.join("; "))
                },
                format!("{}:{}", one_line(&e.file), e.line),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                let pad = widths[i] - c.chars().count() + 2;
                s.push_str(&" ".repeat(pad));
            }
        }
        s.push('\n');
        s
    };
    let mut s = line(head.to_vec());
    for r in &rows {
        s.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    let roles: std::collections::BTreeSet<_> = edges.iter().map(|e| (&e.root, &e.role)).collect();
    let unresolved = edges.iter().filter(|e| !e.unresolved.is_empty()).count();
    s.push_str(&format!(
        "\n{} trust relationship{} of {} role{}; {} with something unresolved\n",
        edges.len(),
        if edges.len() == 1 { "" } else { "s" },
        roles.len(),
        if roles.len() == 1 { "" } else { "s" },
        unresolved
    ));
    s
}

/// Markdown cell text: pipes, backticks, angle brackets and line breaks cannot break the table.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '*' => out.push_str("\\*"),
            '_' => out.push_str("\\_"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table of the trust relationships.
pub fn markdown(edges: &[Edge]) -> String {
    let mut s = String::from("## Trust relationships\n\n");
    if edges.is_empty() {
        s.push_str("No role in these files can be assumed by anyone.\n");
        return s;
    }
    s.push_str(
        "| Role | Root | Principal | Kind | Account | Relation | Guards | Unresolved | Where |\n",
    );
    s.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for e in edges {
        s.push_str(&format!(
            "| {} | {} | {} {} | {} | {} | {} | {} | {} | {}:{} |\n",
            md(&e.role),
            md(&e.root),
            md(&e.principal.ty),
            md(&e.principal.value),
            md(&kind_text(e)),
            md(e.principal.account.as_deref().unwrap_or("-")),
            md(&relation_text(e)),
            md(&guards_text(e)),
            md(&if e.unresolved.is_empty() {
                "-".to_string()
            } else {
                e.unresolved.join("; ")
            }),
            md(&e.file),
            e.line
        ));
    }
    s.push_str(&format!(
        "\n{} trust relationship{}.\n",
        edges.len(),
        if edges.len() == 1 { "" } else { "s" }
    ));
    s
}

/// One edge as JSON.
pub fn edge_json(e: &Edge) -> Value {
    let mut guards = serde_json::Map::new();
    guards.insert("external_id".into(), json!(e.guards.external_id));
    guards.insert("mfa".into(), json!(e.guards.mfa));
    for n in LIST_GUARDS {
        guards.insert((*n).into(), json!(e.guards.list(n)));
    }
    json!({
        "root": e.root,
        "role": e.role,
        "role_name": e.role_name,
        "file": e.file,
        "line": e.line,
        "state": e.state,
        "principal": {
            "type": e.principal.ty,
            "value": e.principal.value,
            "kind": e.principal.kind,
            "account": e.principal.account,
            "relation": e.principal.relation.as_ref().map(|r| r.id()),
            "name": e.principal.name,
        },
        "guards": Value::Object(guards),
        "unresolved": e.unresolved,
    })
}

/// The inventory report: `{"version": 1, "trusts": [...], "errors": [...], "summary": {...}}`.
pub fn json(edges: &[Edge], errors: &[crate::run::ReportedError]) -> Value {
    let roles: std::collections::BTreeSet<_> = edges.iter().map(|e| (&e.root, &e.role)).collect();
    json!({
        "version": 1,
        "tool": {"name": "iamlint", "version": env!("CARGO_PKG_VERSION")},
        "trusts": edges.iter().map(edge_json).collect::<Vec<_>>(),
        "errors": errors.iter().map(|e| json!({
            "file": e.file, "line": e.line, "column": e.column, "message": e.message
        })).collect::<Vec<_>>(),
        "summary": {
            "trusts": edges.len(),
            "roles": roles.len(),
            "unresolved": edges.iter().filter(|e| !e.unresolved.is_empty()).count(),
            "errors": errors.len(),
        }
    })
}
